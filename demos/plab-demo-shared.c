/* plab-demo-shared.c: a shared Array and a Value with its lock.
 *
 * This demo teaches what memory a child shares with its parent. The classic
 * texts' example: a child doubles [1, 2, 3, 4, 5] in an Array of shared
 * memory, and the parent then reads [2, 4, 6, 8, 10]; the same child doubling
 * an ordinary array changes only its own copy, so the parent's stays
 * [1, 2, 3, 4, 5]. Threads share everything, so on threads the ordinary
 * array changes as well: that is the difference between the backends. Then
 * workers add to a shared Value, each addition under the Value's own lock
 * (the texts' get_lock ()), and the total is exact. Both are the library's
 * typed shared objects, PlabArray and PlabValue (plab-value.h).
 */
#include "plab-demo-private.h"

#include <stdio.h>
#include <string.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_shared_lesson[]
    = "A child doubles [1, 2, 3, 4, 5] twice over: once in an Array of shared memory, once in an "
      "ordinary array of the parent's. On processes the parent then reads [2, 4, 6, 8, 10] from "
      "the Array, while its ordinary array is still [1, 2, 3, 4, 5]: a forked child changes its "
      "own copy of ordinary memory. On threads the ordinary array changes too, because threads "
      "share all of it. Then Adders workers add 1 to a shared Value, each under the Value's own "
      "lock (Python's value.get_lock ()), and the total comes out exact: look for their lock "
      "waits on the timeline.";

enum
{
  PARAM_ADDERS,
  PARAM_ADDITIONS,
  PARAM_CHILD_MS,
  N_PARAMS
};

#define N_ITEMS 5
#define MAX_ADDERS 16
/* Rounds of arithmetic between reading and writing the Value, so that
 * the adders really meet at its lock. */
#define ADD_WORK 2000

const PlabParamSpec _plab_demo_shared_params[N_PARAMS] = {
  [PARAM_ADDERS] = { "adders", PLAB_PARAM_INT, "workers adding to the shared Value", 4, 1,
                     MAX_ADDERS, NULL, "workers" },
  [PARAM_ADDITIONS] = { "additions", PLAB_PARAM_INT, "additions of 1 each adder makes", 2000, 1,
                        1000000, NULL, "additions" },
  [PARAM_CHILD_MS] = { "child_ms", PLAB_PARAM_INT,
                       "how long the child takes over doubling the arrays, so that it shows", 200,
                       0, 5000, NULL, "ms" },
};

typedef struct
{
  PlabArray *array; /* N_ITEMS int64_t */
  PlabValue *value; /* one int64_t, with its lock */
  int64_t *plain;   /* the parent's ordinary array */
  int64_t child_ns;
  int64_t additions;
} Shared;

/* The child of the texts' example: doubles both arrays. */
static int
double_cb (PlabCrew *crew, void *arg)
{
  Shared *s = arg;
  int64_t t0 = plab_now_ns ();

  for (int i = 0; i < N_ITEMS; i++)
    {
      if (plab_array_set_int (s->array, (size_t)i, 2 * plab_array_get_int (s->array, (size_t)i))
          != 0)
        return 1;
      s->plain[i] *= 2;
    }
  if (!_plab_demo_wait (crew, s->child_ns, PLAB_SPAN_TASK, 0, NULL))
    return 1;
  plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), 0, "double both arrays");
  return 0;
}

/* value.get_lock () around value.value += 1, @additions times. The lock is
 * the Value's own: it is held while the value is read and written. */
static int
add_cb (PlabCrew *crew, void *arg)
{
  Shared *s = arg;
  uint64_t acc = 0;
  int64_t t0 = plab_now_ns ();

  for (int64_t i = 0; i < s->additions; i++)
    {
      int64_t seen;
      int rc;

      if (plab_value_lock (s->value, -1) == PLAB_ECANCELLED)
        return 1;
      seen = plab_value_get_int (s->value);
      acc = _plab_demo_spin (ADD_WORK, acc);
      rc = plab_value_set_int (s->value, seen + 1);
      plab_value_unlock (s->value);
      if (rc != 0 || plab_cancelled ())
        return 1;
    }
  plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), 1, "add under the lock");
  return (int)(acc & 0); /* acc only keeps the work from being optimised away */
}

/* "[2, 4, 6, 8, 10]", inside a JSON string. */
static void
write_list (PlabBuf *buf, const int64_t *a)
{
  plab_buf_append (buf, "[");
  for (int i = 0; i < N_ITEMS; i++)
    plab_buf_printf (buf, "%s%lld", i ? ", " : "", (long long)a[i]);
  plab_buf_append (buf, "]");
}

static void
write_array (PlabBuf *buf, const char *key, const int64_t *a)
{
  plab_buf_printf (buf, ", \"%s\": \"", key);
  write_list (buf, a);
  plab_buf_append (buf, "\"");
}

static char *
result_json (const int64_t *before,
             const int64_t *shared,
             const int64_t *plain,
             int64_t value,
             int64_t expected)
{
  const char *cats[N_ITEMS] = { "1", "2", "3", "4", "5" };
  double series[3][N_ITEMS];
  bool changed = memcmp (before, plain, sizeof *plain * N_ITEMS) != 0;
  PlabBuf buf;

  plab_buf_init (&buf);
  plab_buf_append (&buf, "{\"items\": 5");
  write_array (&buf, "before", before);
  write_array (&buf, "shared_array", shared);
  write_array (&buf, "plain_array", plain);
  plab_buf_printf (&buf,
                   ", \"plain_array_changed\": %s, \"value\": %lld, \"value_expected\": %lld, ",
                   changed ? "true" : "false", (long long)value, (long long)expected);
  for (int i = 0; i < N_ITEMS; i++)
    {
      series[0][i] = (double)before[i];
      series[1][i] = (double)shared[i];
      series[2][i] = (double)plain[i];
    }
  _plab_demo_json_figure (&buf, "bars", "What the parent reads afterwards", "item", "value");
  _plab_demo_json_bar_table (&buf, cats, N_ITEMS,
                             (const char *const[]){ "before", "shared Array after",
                                                    "ordinary array after" },
                             &series[0][0], 3);
  plab_buf_append (&buf, ", \"notes\": [\"shared Array after: ");
  write_list (&buf, shared);
  plab_buf_append (&buf, "; ordinary array after: ");
  write_list (&buf, plain);
  plab_buf_printf (&buf, "\", \"%s\", \"the Value reached %lld of %lld\"]}}",
                   changed ? "the ordinary array changed too: the child shares the parent's memory"
                           : "the ordinary array is unchanged: the child doubled its own copy",
                   (long long)value, (long long)expected);
  return plab_buf_steal (&buf);
}

int
_plab_demo_shared_run (PlabDemoRun *run)
{
  int adders = (int)run->values[PARAM_ADDERS];
  int64_t before[N_ITEMS], plain[N_ITEMS], shared[N_ITEMS];
  Shared s = {
    .array = plab_array_new ("array", PLAB_TYPE_INT64, N_ITEMS, NULL),
    .value = plab_value_new ("value", PLAB_TYPE_INT64, NULL),
    .plain = plain,
    .child_ns = (int64_t)run->values[PARAM_CHILD_MS] * 1000000,
    .additions = (int64_t)run->values[PARAM_ADDITIONS],
  };
  PlabCrew *crew = s.array && s.value ? _plab_crew_new (run) : NULL;
  int64_t value, expected = s.additions * adders;
  bool doubled = true, changed;
  int rc = PLAB_ENOMEM;

  if (crew == NULL)
    {
      snprintf (run->error, sizeof run->error, "cannot make the shared memory: %s",
                plab_error_detail ());
      goto fail;
    }
  for (int i = 0; i < N_ITEMS; i++)
    {
      before[i] = plain[i] = i + 1;
      plab_array_set_int (s.array, (size_t)i, i + 1);
    }

  /* The texts' example first: one child, joined before the parent reads. */
  rc = _plab_crew_start (crew, "child", double_cb, &s);
  if (rc >= 0)
    rc = _plab_crew_join (crew, "join the child");
  for (int i = 0; rc >= 0 && i < adders; i++)
    rc = _plab_crew_startf (crew, add_cb, &s, "adder %d", i + 1);
  if (rc >= 0)
    rc = _plab_crew_join (crew, "join the adders");
  if (rc != 0)
    goto fail;

  value = plab_value_get_int (s.value);
  for (int i = 0; i < N_ITEMS; i++)
    {
      shared[i] = plab_array_get_int (s.array, (size_t)i);
      doubled = doubled && shared[i] == 2 * before[i];
    }
  changed = memcmp (before, plain, sizeof plain) != 0;
  /* A forked child writes its own copy of ordinary memory; threads and the
   * for loop write the parent's. */
  run->check_ok
      = doubled && value == expected && changed == (run->backend != PLAB_BACKEND_PROCESSES);
  snprintf (run->check_message, sizeof run->check_message,
            "shared Array %s; ordinary array %s; Value %lld of %lld",
            doubled ? "doubled" : "NOT doubled", changed ? "doubled too" : "unchanged",
            (long long)value, (long long)expected);
  run->result_json = result_json (before, shared, plain, value, expected);
  rc = 0;

fail:
  _plab_crew_free (crew);
  plab_array_free (s.array);
  plab_value_free (s.value);
  return rc;
}
