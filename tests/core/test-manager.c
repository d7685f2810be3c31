/* test-manager.c: PlabManager's server process and its proxies, used by
 * real forked processes. */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"
#include "proc-test-util.h"

#define N_CHILDREN 4
#define N_ADDS 500

static void
test_counter_across_processes (void)
{
  PlabManager *mgr;
  pid_t pids[N_CHILDREN];
  int64_t v = -1;
  pid_t server;

  g_assert_cmpint (plab_manager_new (N_CHILDREN + 1, &mgr), ==, 0);
  server = plab_manager_pid (mgr);
  g_assert_cmpint (server, >, 0);
  for (int c = 0; c < N_CHILDREN; c++)
    if ((pids[c] = proc_test_fork ()) == 0)
      {
        PlabProxy *p = plab_manager_proxy (mgr, c);
        for (int i = 0; i < N_ADDS; i++)
          if (plab_proxy_add (p, "hits", 1, NULL) != 0)
            _exit (1);
        _exit (plab_proxy_set (p, c % 2 ? "odd" : "even", c) == 0 ? 0 : 1);
      }
  for (int c = 0; c < N_CHILDREN; c++)
    g_assert_cmpint (proc_test_wait_code (pids[c]), ==, 0);

  /* Every add went through the server one at a time: none was lost. */
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, N_CHILDREN), "hits", &v), ==, 0);
  g_assert_cmpint (v, ==, N_CHILDREN * N_ADDS);
  g_assert_cmpint (plab_proxy_add (plab_manager_proxy (mgr, N_CHILDREN), "hits", -10, &v), ==, 0);
  g_assert_cmpint (v, ==, N_CHILDREN * N_ADDS - 10);
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, N_CHILDREN), "odd", &v), ==, 0);
  g_assert_true (v == 1 || v == 3);
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, N_CHILDREN), "none", &v), ==,
                   PLAB_ENOTFOUND);
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, N_CHILDREN),
                                   "a key far too long to fit in the forty-eight bytes", &v),
                   ==, PLAB_EINVAL);
  g_assert_null (plab_manager_proxy (mgr, N_CHILDREN + 1));

  /* Freeing it ends the server and reaps it. */
  plab_manager_free (mgr);
  g_assert_cmpint (kill (server, 0), ==, -1);
}

static void
round_trips (void *user_data, const PlabEvent *events, size_t n)
{
  int *count = user_data;

  for (size_t i = 0; i < n; i++)
    if (strcmp (events[i].label, "manager: add hits") == 0)
      (*count)++;
}

static void
test_round_trips_on_the_timeline (void)
{
  PlabTrace *trace = plab_trace_new ();
  PlabTraceSink sink = { .events = round_trips };
  PlabManager *mgr;
  int count = 0;

  sink.user_data = &count;
  plab_trace_set_sink (trace, &sink);
  plab_trace_attach (trace, 0);
  g_assert_cmpint (plab_manager_new (1, &mgr), ==, 0);
  for (int i = 0; i < 5; i++)
    g_assert_cmpint (plab_proxy_add (plab_manager_proxy (mgr, 0), "hits", 1, NULL), ==, 0);
  plab_trace_drain (trace);
  g_assert_cmpint (count, ==, 5);
  plab_manager_free (mgr);
  plab_trace_detach ();
  plab_trace_free (trace);
}

static void
test_server_gone (void)
{
  PlabManager *mgr;
  int64_t v;

  g_assert_cmpint (plab_manager_new (0, &mgr), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_manager_new (1, &mgr), ==, 0);
  kill (plab_manager_pid (mgr), SIGKILL);
  /* A call to a dead server fails with a code; it does not hang. */
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, 0), "x", &v), <, 0);
  plab_manager_free (mgr);
}

static void
test_dict_and_namespace (void)
{
  PlabManager *mgr;
  PlabProxy *p;
  PlabManaged v, s;
  char longest[PLAB_MANAGER_STR_MAX + 1] = { 0 };
  int64_t n = -1;

  g_assert_cmpint (plab_manager_new (1, &mgr), ==, 0);
  p = plab_manager_proxy (mgr, 0);
  g_assert_null (plab_proxy_inherited ());

  /* Each type goes in and comes back whole. */
  v = plab_managed_int64 (-7);
  g_assert_cmpint (plab_proxy_dict_set (p, "scores", "ann", &v), ==, 0);
  v = plab_managed_double (2.5);
  g_assert_cmpint (plab_proxy_dict_set (p, "scores", "bob", &v), ==, 0);
  memset (longest, 'x', PLAB_MANAGER_STR_MAX - 1);
  g_assert_cmpint (plab_managed_string (longest, &s), ==, 0);
  g_assert_cmpint (plab_proxy_dict_set (p, "scores", "cy", &s), ==, 0);
  g_assert_cmpint (plab_proxy_dict_get (p, "scores", "ann", &v), ==, 0);
  g_assert_cmpint (v.type, ==, PLAB_MANAGED_INT64);
  g_assert_cmpint (v.u.i, ==, -7);
  g_assert_cmpint (plab_proxy_dict_get (p, "scores", "bob", &v), ==, 0);
  g_assert_cmpint (v.type, ==, PLAB_MANAGED_DOUBLE);
  g_assert_cmpfloat (v.u.d, ==, 2.5);
  g_assert_cmpint (plab_proxy_dict_get (p, "scores", "cy", &v), ==, 0);
  g_assert_cmpint (v.type, ==, PLAB_MANAGED_STRING);
  g_assert_cmpstr (v.u.s, ==, s.u.s);
  g_assert_cmpint (plab_proxy_dict_len (p, "scores", &n), ==, 0);
  g_assert_cmpint (n, ==, 3);

  /* Every dict operation but len names its entry: one without a key is
   * refused before it travels, and changes nothing. */
  g_assert_cmpint (plab_proxy_dict_get (p, "scores", NULL, &v), ==, PLAB_EINVAL);
  g_assert_cmpint (v.type, ==, PLAB_MANAGED_NONE);
  g_assert_cmpint (plab_proxy_dict_del (p, "scores", NULL), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_proxy_dict_add (p, "scores", NULL, 1, &n), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_proxy_dict_len (p, "scores", &n), ==, 0);
  g_assert_cmpint (n, ==, 3);

  /* A string too long for a value is refused, never cut. */
  longest[PLAB_MANAGER_STR_MAX - 1] = 'y';
  g_assert_cmpint (plab_managed_string (longest, &v), ==, PLAB_EINVAL);
  g_assert_cmpint (v.type, ==, PLAB_MANAGED_NONE);
  g_assert_cmpint (plab_proxy_dict_set (p, "scores", "dan", &v), ==, PLAB_EINVAL);

  /* add counts on an int64; other types are a type error and stay as they were. */
  g_assert_cmpint (plab_proxy_dict_add (p, "scores", "ann", 10, &n), ==, 0);
  g_assert_cmpint (n, ==, 3);
  g_assert_cmpint (plab_proxy_dict_add (p, "scores", "bob", 1, &n), ==, PLAB_ETYPE);
  g_assert_cmpint (plab_proxy_dict_add (p, "scores", "cy", 1, &n), ==, PLAB_ETYPE);
  g_assert_cmpint (plab_proxy_dict_get (p, "scores", "bob", &v), ==, 0);
  g_assert_cmpfloat (v.u.d, ==, 2.5);

  /* del, and a missing key. */
  g_assert_cmpint (plab_proxy_dict_del (p, "scores", "ann"), ==, 0);
  g_assert_cmpint (plab_proxy_dict_del (p, "scores", "ann"), ==, PLAB_ENOTFOUND);
  g_assert_cmpint (plab_proxy_dict_get (p, "scores", "ann", &v), ==, PLAB_ENOTFOUND);
  g_assert_cmpint (v.type, ==, PLAB_MANAGED_NONE);
  g_assert_cmpint (plab_proxy_dict_len (p, "scores", &n), ==, 0);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpint (plab_proxy_dict_len (p, "never", &n), ==, 0);
  g_assert_cmpint (n, ==, 0);

  /* The namespace is the dict "": its int64 attributes are what
   * plab_proxy_add/set/get () see, and they are not another dict's keys. */
  g_assert_cmpint (plab_proxy_set (p, "hits", 5), ==, 0);
  g_assert_cmpint (plab_proxy_ns_get (p, "hits", &v), ==, 0);
  g_assert_cmpint (v.type, ==, PLAB_MANAGED_INT64);
  g_assert_cmpint (v.u.i, ==, 5);
  g_assert_cmpint (plab_proxy_get (p, "bob", &n), ==, PLAB_ENOTFOUND);
  v = plab_managed_double (0.25);
  g_assert_cmpint (plab_proxy_ns_set (p, "ratio", &v), ==, 0);
  g_assert_cmpint (plab_proxy_dict_get (p, "", "ratio", &v), ==, 0);
  g_assert_cmpfloat (v.u.d, ==, 0.25);
  n = 99;
  g_assert_cmpint (plab_proxy_get (p, "ratio", &n), ==, PLAB_ETYPE);
  g_assert_cmpint (n, ==, 99);
  g_assert_cmpint (plab_proxy_add (p, "ratio", 1, NULL), ==, PLAB_ETYPE);
  g_assert_cmpint (plab_proxy_ns_set (p, "name", &s), ==, 0);
  g_assert_cmpint (plab_proxy_ns_get (p, "name", &v), ==, 0);
  g_assert_cmpstr (v.u.s, ==, s.u.s);
  /* set replaces whatever type the attribute held. */
  g_assert_cmpint (plab_proxy_set (p, "ratio", 4), ==, 0);
  g_assert_cmpint (plab_proxy_get (p, "ratio", &n), ==, 0);
  g_assert_cmpint (n, ==, 4);
  g_assert_cmpint (plab_proxy_ns_get (p, "none", &v), ==, PLAB_ENOTFOUND);

  plab_manager_free (mgr);
}

static void
test_list_operations (void)
{
  PlabManager *mgr;
  PlabProxy *p;
  PlabManaged v, s;
  int64_t n = -1;

  g_assert_cmpint (plab_manager_new (1, &mgr), ==, 0);
  p = plab_manager_proxy (mgr, 0);
  g_assert_cmpint (plab_proxy_list_len (p, "xs", &n), ==, 0);
  g_assert_cmpint (n, ==, 0);
  g_assert_cmpint (plab_proxy_list_pop (p, "xs", -1, &v), ==, PLAB_ERANGE);

  v = plab_managed_int64 (10);
  g_assert_cmpint (plab_proxy_list_append (p, "xs", &v, &n), ==, 0);
  g_assert_cmpint (n, ==, 1);
  v = plab_managed_double (1.5);
  g_assert_cmpint (plab_proxy_list_append (p, "xs", &v, &n), ==, 0);
  g_assert_cmpint (plab_managed_string ("three", &s), ==, 0);
  g_assert_cmpint (plab_proxy_list_append (p, "xs", &s, &n), ==, 0);
  g_assert_cmpint (n, ==, 3);
  g_assert_cmpint (plab_proxy_list_len (p, "xs", &n), ==, 0);
  g_assert_cmpint (n, ==, 3);

  /* get, by an index from the front or from the end. */
  g_assert_cmpint (plab_proxy_list_get (p, "xs", 0, &v), ==, 0);
  g_assert_cmpint (v.type, ==, PLAB_MANAGED_INT64);
  g_assert_cmpint (v.u.i, ==, 10);
  g_assert_cmpint (plab_proxy_list_get (p, "xs", -2, &v), ==, 0);
  g_assert_cmpint (v.type, ==, PLAB_MANAGED_DOUBLE);
  g_assert_cmpfloat (v.u.d, ==, 1.5);
  g_assert_cmpint (plab_proxy_list_get (p, "xs", 2, &v), ==, 0);
  g_assert_cmpstr (v.u.s, ==, "three");
  g_assert_cmpint (plab_proxy_list_get (p, "xs", 3, &v), ==, PLAB_ERANGE);
  g_assert_cmpint (v.type, ==, PLAB_MANAGED_NONE);
  g_assert_cmpint (plab_proxy_list_get (p, "xs", -4, &v), ==, PLAB_ERANGE);
  g_assert_cmpint (plab_proxy_list_get (p, "other", 0, &v), ==, PLAB_ERANGE);

  /* set replaces one item, of any type. */
  v = plab_managed_int64 (20);
  g_assert_cmpint (plab_proxy_list_set (p, "xs", 1, &v), ==, 0);
  g_assert_cmpint (plab_proxy_list_set (p, "xs", 3, &v), ==, PLAB_ERANGE);
  g_assert_cmpint (plab_proxy_list_get (p, "xs", 1, &v), ==, 0);
  g_assert_cmpint (v.type, ==, PLAB_MANAGED_INT64);
  g_assert_cmpint (v.u.i, ==, 20);

  /* pop (-1) takes the last, pop (0) the first; the rest close up. */
  g_assert_cmpint (plab_proxy_list_pop (p, "xs", -1, &v), ==, 0);
  g_assert_cmpstr (v.u.s, ==, "three");
  g_assert_cmpint (plab_proxy_list_pop (p, "xs", 0, &v), ==, 0);
  g_assert_cmpint (v.u.i, ==, 10);
  g_assert_cmpint (plab_proxy_list_len (p, "xs", &n), ==, 0);
  g_assert_cmpint (n, ==, 1);
  g_assert_cmpint (plab_proxy_list_get (p, "xs", 0, &v), ==, 0);
  g_assert_cmpint (v.u.i, ==, 20);
  g_assert_cmpint (plab_proxy_list_pop (p, "xs", 0, NULL), ==, 0);
  g_assert_cmpint (plab_proxy_list_pop (p, "xs", 0, NULL), ==, PLAB_ERANGE);

  /* A value of no known type is refused before it travels. */
  v.type = (PlabManagedType)42;
  g_assert_cmpint (plab_proxy_list_append (p, "xs", &v, NULL), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_proxy_list_append (
                       p, "a list name far too long to fit in the forty-eight bytes", &s, NULL),
                   ==, PLAB_EINVAL);
  plab_manager_free (mgr);
}

#define N_APPENDS 1000

static void
test_list_append_across_processes (void)
{
  PlabManager *mgr;
  PlabProxy *mine;
  pid_t pids[N_CHILDREN];
  int seen[N_CHILDREN] = { 0 };
  int64_t n = -1;

  g_assert_cmpint (plab_manager_new (N_CHILDREN + 1, &mgr), ==, 0);
  for (int c = 0; c < N_CHILDREN; c++)
    if ((pids[c] = proc_test_fork ()) == 0)
      {
        PlabProxy *p = plab_manager_proxy (mgr, c);
        for (int i = 0; i < N_APPENDS; i++)
          {
            PlabManaged v = plab_managed_int64 ((int64_t)c * N_APPENDS + i);
            if (plab_proxy_list_append (p, "results", &v, NULL) != 0)
              _exit (1);
          }
        _exit (0);
      }
  for (int c = 0; c < N_CHILDREN; c++)
    g_assert_cmpint (proc_test_wait_code (pids[c]), ==, 0);

  /* None lost, none twice, and each process's items in its own order. */
  mine = plab_manager_proxy (mgr, N_CHILDREN);
  g_assert_cmpint (plab_proxy_list_len (mine, "results", &n), ==, 0);
  g_assert_cmpint (n, ==, N_CHILDREN * N_APPENDS);
  for (int64_t i = 0; i < n; i++)
    {
      PlabManaged v;
      int c;

      g_assert_cmpint (plab_proxy_list_get (mine, "results", i, &v), ==, 0);
      g_assert_cmpint (v.type, ==, PLAB_MANAGED_INT64);
      c = (int)(v.u.i / N_APPENDS);
      g_assert_cmpint (c, >=, 0);
      g_assert_cmpint (c, <, N_CHILDREN);
      g_assert_cmpint (v.u.i % N_APPENDS, ==, seen[c]);
      seen[c]++;
    }
  plab_manager_free (mgr);
}

static void
test_killed_user (void)
{
  PlabManager *mgr;
  pid_t looper, worker;
  int64_t v = -1;
  int status;

  g_assert_cmpint (plab_manager_new (4, &mgr), ==, 0);

  /* One user calls without end until it is killed, most likely in the
   * middle of a call (its time is almost all round trips). */
  if ((looper = proc_test_fork ()) == 0)
    {
      PlabProxy *p = plab_manager_proxy (mgr, 0);
      for (;;)
        plab_proxy_add (p, "looped", 1, NULL);
    }
  while (plab_proxy_get (plab_manager_proxy (mgr, 3), "looped", &v) == PLAB_ENOTFOUND || v < 50)
    g_usleep (1000);
  kill (looper, SIGKILL);
  g_assert_cmpint (waitpid (looper, &status, 0), ==, looper);
  g_assert_true (WIFSIGNALED (status));

  /* The others are served as before. */
  if ((worker = proc_test_fork ()) == 0)
    {
      for (int i = 0; i < N_ADDS; i++)
        if (plab_proxy_add (plab_manager_proxy (mgr, 2), "after", 1, NULL) != 0)
          _exit (1);
      _exit (0);
    }
  g_assert_cmpint (proc_test_wait_code (worker), ==, 0);
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, 3), "after", &v), ==, 0);
  g_assert_cmpint (v, ==, N_ADDS);
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, 3), "looped", &v), ==, 0);
  g_assert_cmpint (v, >=, 50);
  plab_manager_free (mgr);
}

#define N_STARTED 2
#define N_STARTED_APPENDS 100

/* A child's function under any start method: it finds its proxy by
 * plab_proxy_inherited (), as the heap pointer would mean nothing after
 * spawn. */
static int
append_through_inherited (void *arg)
{
  PlabProxy *p = plab_proxy_inherited ();
  int id = *(const int *)arg;

  if (p == NULL)
    return 2;
  for (int i = 0; i < N_STARTED_APPENDS; i++)
    {
      PlabManaged v = plab_managed_int64 (id);
      if (plab_proxy_list_append (p, "started", &v, NULL) != 0)
        return 3;
    }
  return 0;
}

/* Counts the appends recorded on the children's lanes (not the parent's, 0). */
static void
appends_on_child_lanes (void *user_data, const PlabEvent *events, size_t n)
{
  int *count = user_data;

  for (size_t i = 0; i < n; i++)
    if (events[i].lane > 0 && strcmp (events[i].label, "manager: append started") == 0)
      (*count)++;
}

static void
test_proxy_under_start_methods (void)
{
  for (int m = 0; m < PLAB_N_START_METHODS; m++)
    {
      PlabTrace *trace = plab_trace_new ();
      PlabTraceSink sink = { .events = appends_on_child_lanes };
      int spans = 0;
      PlabManager *mgr;
      PlabProcess *procs[N_STARTED];
      int ids[N_STARTED];
      int64_t n = -1, sum = 0;

      sink.user_data = &spans;
      plab_trace_set_sink (trace, &sink);
      g_assert_cmpint (plab_manager_new (N_STARTED + 1, &mgr), ==, 0);
      for (int c = 0; c < N_STARTED; c++)
        {
          ids[c] = c + 1;
          procs[c] = plab_process_new ("user", append_through_inherited, &ids[c]);
          g_assert_cmpint (plab_process_set_start_method (procs[c], (PlabStartMethod)m), ==, 0);
          g_assert_cmpint (plab_process_set_arg_size (procs[c], sizeof ids[c]), ==, 0);
          g_assert_cmpint (plab_process_set_proxy (procs[c], plab_manager_proxy (mgr, c)), ==, 0);
          /* A traced child gets its lane's descriptor beside the proxy's. */
          plab_process_set_trace (procs[c], trace);
          g_assert_cmpint (plab_process_start (procs[c]), ==, 0);
          g_assert_cmpint (plab_process_set_proxy (procs[c], NULL), ==, PLAB_ESTATE);
        }
      for (int c = 0; c < N_STARTED; c++)
        {
          PlabExitStatus st;
          g_assert_cmpint (plab_process_join (procs[c], HANG_NS, &st), ==, 0);
          g_test_message ("%s: child %d ended with %d", plab_start_method_name (m), c, st.code);
          g_assert_cmpint (st.state, ==, PLAB_PROCESS_EXITED);
          g_assert_cmpint (st.code, ==, 0);
          plab_process_free (procs[c]);
        }
      g_assert_cmpint (plab_proxy_list_len (plab_manager_proxy (mgr, N_STARTED), "started", &n), ==,
                       0);
      g_assert_cmpint (n, ==, N_STARTED * N_STARTED_APPENDS);
      for (int64_t i = 0; i < n; i++)
        {
          PlabManaged v;
          g_assert_cmpint (plab_proxy_list_get (plab_manager_proxy (mgr, N_STARTED), "started", i,
                                                &v),
                           ==, 0);
          sum += v.u.i;
        }
      g_assert_cmpint (sum, ==, N_STARTED_APPENDS * (1 + 2));
      /* Each append was a round trip on the child's own lane. */
      plab_trace_drain (trace);
      g_assert_cmpint (spans, ==, N_STARTED * N_STARTED_APPENDS);
      plab_manager_free (mgr);
      plab_trace_free (trace);
    }
}

/* --- Pool workers connecting by the manager's address --- */

#define N_POOL_ITEMS 200

typedef struct
{
  char address[PLAB_MANAGER_ADDRESS_MAX];
} Address;

/* A pool task: connects (once per worker thread or process, the same proxy
 * after that) and counts its item, twice over: a hit, and the item's own
 * key, so that an item run twice would show. */
static int
count_through_address (const void *item, void *result, void *user_data)
{
  const Address *a = user_data;
  PlabProxy *p = NULL, *again = NULL;
  char key[32];
  int rc;

  snprintf (key, sizeof key, "item %d", *(const int *)item);
  rc = plab_proxy_connect (a->address, &p);
  if (rc == 0)
    rc = plab_proxy_connect (a->address, &again);
  if (rc == 0 && again != p)
    rc = PLAB_EPROTO;
  if (rc == 0)
    rc = plab_proxy_add (p, "hits", 1, NULL);
  if (rc == 0)
    rc = plab_proxy_dict_add (p, "items", key, 1, NULL);
  *(int *)result = getpid ();
  return rc;
}

static void
check_pool_counts (PlabBackend backend, PlabStartMethod method)
{
  PlabPoolOptions opts = { .backend = backend, .workers = 2, .start_method = method };
  int items[N_POOL_ITEMS], results[N_POOL_ITEMS], status[N_POOL_ITEMS];
  PlabMap map = { 0 };
  PlabMapReport report;
  Address a;
  PlabManager *mgr;
  PlabPool *pool;
  int64_t hits = -1, n_keys = -1;
  int64_t t0;

  g_test_message ("%s, %s", plab_backend_name (backend), plab_start_method_name (method));
  g_assert_cmpint (plab_manager_new (1, &mgr), ==, 0);
  g_assert_cmpuint (strlen (plab_manager_address (mgr)), <, sizeof a.address);
  strcpy (a.address, plab_manager_address (mgr));
  for (int i = 0; i < N_POOL_ITEMS; i++)
    items[i] = i;
  map.func = count_through_address;
  map.user_data = &a;
  map.user_data_size = sizeof a;
  map.items = items;
  map.item_size = sizeof items[0];
  map.n_items = N_POOL_ITEMS;
  map.results = results;
  map.result_size = sizeof results[0];
  map.chunk_size = 1;
  map.status = status;
  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  g_assert_cmpint (plab_pool_map (pool, &map, &report), ==, 0);
  plab_pool_free (pool);
  for (int i = 0; i < N_POOL_ITEMS; i++)
    g_assert_cmpint (status[i], ==, 0);
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, 0), "hits", &hits), ==, 0);
  g_assert_cmpint (hits, ==, N_POOL_ITEMS);
  g_assert_cmpint (plab_proxy_dict_len (plab_manager_proxy (mgr, 0), "items", &n_keys), ==, 0);
  g_assert_cmpint (n_keys, ==, N_POOL_ITEMS);
  if (backend == PLAB_BACKEND_PROCESSES)
    for (int i = 0; i < N_POOL_ITEMS; i++)
      g_assert_cmpint (results[i], !=, getpid ());
  /* Every connection closed with its worker (or, serial, with the manager):
   * the server exits at once, not after the second it is given. */
  t0 = plab_now_ns ();
  plab_manager_free (mgr);
  g_test_message ("the manager freed in %.1f ms", (plab_now_ns () - t0) / 1e6);
  g_assert_cmpint (plab_now_ns () - t0, <, HANG_NS);
}

static void
test_connect_from_pool_workers (void)
{
  for (int m = 0; m < PLAB_N_START_METHODS; m++)
    check_pool_counts (PLAB_BACKEND_PROCESSES, (PlabStartMethod)m);
  check_pool_counts (PLAB_BACKEND_THREADS, PLAB_START_FORK);
  check_pool_counts (PLAB_BACKEND_GIL, PLAB_START_FORK);
  check_pool_counts (PLAB_BACKEND_SERIAL, PLAB_START_FORK);
}

static void
test_connect_refused (void)
{
  PlabManager *mgr;
  PlabProxy *p = NULL;
  char address[PLAB_MANAGER_ADDRESS_MAX];
  int64_t v = 0;

  g_assert_cmpint (plab_proxy_connect (NULL, &p), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_proxy_connect ("/tmp/not-a-manager", &p), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_proxy_connect ("@", &p), ==, PLAB_EINVAL);
  g_assert_null (p);
  g_assert_cmpint (plab_proxy_connect ("@plab-manager-none-here", &p), ==, PLAB_ECLOSED);
  g_assert_null (p);

  g_assert_cmpint (plab_manager_new (1, &mgr), ==, 0);
  g_assert_cmpint (plab_manager_address (mgr)[0], ==, '@');
  g_assert_cmpint (plab_proxy_connect (plab_manager_address (mgr), &p), ==, 0);
  g_assert_cmpint (plab_proxy_set (p, "x", 7), ==, 0);
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, 0), "x", &v), ==, 0);
  g_assert_cmpint (v, ==, 7);
  strcpy (address, plab_manager_address (mgr));
  plab_manager_free (mgr);
  /* Its server has gone: nothing answers at the address any more. */
  g_assert_cmpint (plab_proxy_connect (address, &p), ==, PLAB_ECLOSED);
}

int
main (int argc, char **argv)
{
  plab_spawn_main (argc, argv);
  g_assert_cmpint (plab_forkserver_start (), ==, 0);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/manager/counter-across-processes", test_counter_across_processes);
  g_test_add_func ("/plab/manager/round-trips-on-the-timeline", test_round_trips_on_the_timeline);
  g_test_add_func ("/plab/manager/server-gone", test_server_gone);
  g_test_add_func ("/plab/manager/dict-and-namespace", test_dict_and_namespace);
  g_test_add_func ("/plab/manager/list-operations", test_list_operations);
  g_test_add_func ("/plab/manager/list-append-across-processes", test_list_append_across_processes);
  g_test_add_func ("/plab/manager/killed-user", test_killed_user);
  g_test_add_func ("/plab/manager/proxy-under-start-methods", test_proxy_under_start_methods);
  g_test_add_func ("/plab/manager/connect-from-pool-workers", test_connect_from_pool_workers);
  g_test_add_func ("/plab/manager/connect-refused", test_connect_refused);
  return g_test_run ();
}
