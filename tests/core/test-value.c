/* test-value.c: PlabValue and PlabArray shared by real child processes. */
#include <glib.h>
#include <sched.h>

#include "plab.h"

#define HANG_NS (60 * 1000000000LL)
#define ADDERS 4
#define ADDS 10000

static void
join_all (PlabProcess **p, int n)
{
  for (int i = 0; i < n; i++)
    {
      PlabExitStatus st;

      g_assert_cmpint (plab_process_join (p[i], HANG_NS, &st), ==, 0);
      g_assert_cmpint (st.state, ==, PLAB_PROCESS_EXITED);
      g_assert_cmpint (st.code, ==, 0);
      plab_process_free (p[i]);
    }
}

typedef struct
{
  PlabArray *array;
  size_t from, to;
} Half;

/* Doubles its part of the array in place, element by element. */
static int
double_part (void *arg)
{
  Half *h = arg;

  for (size_t i = h->from; i < h->to; i++)
    if (plab_array_set_double (h->array, i, 2 * plab_array_get_double (h->array, i)) != 0)
      return 1;
  return 0;
}

/* Python's Array ('d', [1, 2, 3, 4, 5]) doubled by two children, each its
 * own part: the parent reads every element doubled. */
static void
test_array_doubled_by_children (void)
{
  const double init[5] = { 1, 2, 3, 4, 5 };
  PlabArray *a = plab_array_new ("numbers", PLAB_TYPE_DOUBLE, 5, init);
  Half halves[2] = { { a, 0, 2 }, { a, 2, 5 } };
  PlabProcess *p[2];
  const double *data;

  g_assert_nonnull (a);
  g_assert_cmpuint (plab_array_length (a), ==, 5);
  g_assert_cmpint (plab_array_type (a), ==, PLAB_TYPE_DOUBLE);
  for (int i = 0; i < 2; i++)
    {
      p[i] = plab_process_new (NULL, double_part, &halves[i]);
      g_assert_cmpint (plab_process_start (p[i]), ==, 0);
    }
  join_all (p, 2);
  data = plab_array_data (a);
  for (int i = 0; i < 5; i++)
    {
      g_assert_cmpfloat (plab_array_get_double (a, (size_t)i), ==, 2 * init[i]);
      g_assert_cmpfloat (data[i], ==, 2 * init[i]);
    }
  g_assert_cmpint (plab_array_set_double (a, 5, 1.0), ==, PLAB_ERANGE);
  g_assert_cmpfloat (plab_array_get_double (a, 5), ==, 0.0);
  plab_array_free (a);
}

typedef struct
{
  PlabValue *value;
  /* Set once every adder runs; they spin on it, so that they add at once. */
  PlabShared *go;
} Adders;

static int
add_many (void *arg)
{
  Adders *a = arg;
  PlabValue *v = a->value;

  int *go = plab_shared_data (a->go);
  int64_t give_up = plab_now_ns () + HANG_NS;

  while (!__atomic_load_n (go, __ATOMIC_ACQUIRE))
    if (plab_now_ns () > give_up)
      return 1;
  for (int i = 0; i < ADDS; i++)
    {
      if (plab_value_add_int (v, 1, NULL) != 0)
        return 1;
    }
  return 0;
}

/* Value ('i', 0) and four processes adding 1 ten thousand times each. */
static void
test_add_loses_nothing (void)
{
  int32_t zero = 0;
  PlabValue *v = plab_value_new ("count", PLAB_TYPE_INT32, &zero);
  Adders a = { v, plab_shared_new ("go", sizeof (int), false) };
  PlabProcess *p[ADDERS];
  int64_t result;

  g_assert_nonnull (v);
  for (int i = 0; i < ADDERS; i++)
    {
      p[i] = plab_process_new (NULL, add_many, &a);
      g_assert_cmpint (plab_process_start (p[i]), ==, 0);
    }
  __atomic_store_n ((int *)plab_shared_data (a.go), 1, __ATOMIC_RELEASE);
  join_all (p, ADDERS);
  plab_shared_free (a.go);
  g_assert_cmpint (plab_value_get_int (v), ==, ADDERS * ADDS);
  g_assert_cmpint (plab_value_add_int (v, -5, &result), ==, 0);
  g_assert_cmpint (result, ==, ADDERS * ADDS - 5);
  plab_value_free (v);
}

/* A read-modify-write of the caller's own: get, yield (so the other process
 * runs in between if it can), set. Only the lock held across it keeps it whole. */
static int
get_set_locked (void *arg)
{
  PlabValue *v = arg;

  for (int i = 0; i < ADDS; i++)
    {
      int64_t seen;
      int rc = plab_value_lock (v, HANG_NS);

      if (rc != 0 && rc != PLAB_EOWNERDEAD)
        return 1;
      seen = plab_value_get_int (v);
      if ((i & 15) == 0)
        sched_yield ();
      if (plab_value_set_int (v, seen + 1) != 0)
        return 1;
      if (plab_value_unlock (v) != 0)
        return 1;
    }
  return 0;
}

static void
test_lock_across_get_set (void)
{
  PlabValue *v = plab_value_new ("held", PLAB_TYPE_INT64, NULL);
  PlabProcess *p[2];

  g_assert_nonnull (v);
  g_assert_nonnull (plab_value_get_lock (v));
  for (int i = 0; i < 2; i++)
    {
      p[i] = plab_process_new (NULL, get_set_locked, v);
      g_assert_cmpint (plab_process_start (p[i]), ==, 0);
    }
  join_all (p, 2);
  g_assert_cmpint (plab_value_get_int (v), ==, 2 * ADDS);
  plab_value_free (v);
}

static void
test_types_and_bad_arguments (void)
{
  double half = 2.5;
  PlabValue *d = plab_value_new (NULL, PLAB_TYPE_DOUBLE, &half);
  PlabValue *b = plab_value_new (NULL, PLAB_TYPE_UINT8, NULL);
  double r;

  g_assert_cmpfloat (plab_value_get_double (d), ==, 2.5);
  g_assert_cmpint (plab_value_get_int (d), ==, 2);
  g_assert_cmpint (plab_value_add_double (d, 0.25, &r), ==, 0);
  g_assert_cmpfloat (r, ==, 2.75);
  g_assert_cmpint (plab_value_set_int (b, 255), ==, 0);
  g_assert_cmpint (plab_value_add_int (b, 1, NULL), ==, 0);
  g_assert_cmpint (plab_value_get_int (b), ==, 0); /* uint8_t wraps, as in C */
  g_assert_cmpuint (plab_type_size (PLAB_TYPE_INT32), ==, 4);
  g_assert_cmpuint (plab_type_size (PLAB_N_TYPES), ==, 0);
  plab_value_free (d);
  plab_value_free (b);

  g_assert_null (plab_value_new ("bad", PLAB_N_TYPES, NULL));
  g_assert_cmpint (plab_error_detail_code (), ==, PLAB_EINVAL);
  g_assert_nonnull (strstr (plab_error_detail (), "bad"));
  g_assert_null (plab_array_new ("empty", PLAB_TYPE_INT32, 0, NULL));
  g_assert_nonnull (strstr (plab_error_detail (), "length"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/value/array-doubled-by-children", test_array_doubled_by_children);
  g_test_add_func ("/plab/value/add-loses-nothing", test_add_loses_nothing);
  g_test_add_func ("/plab/value/lock-across-get-set", test_lock_across_get_set);
  g_test_add_func ("/plab/value/types-and-bad-arguments", test_types_and_bad_arguments);
  return g_test_run ();
}
