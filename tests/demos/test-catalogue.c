/* test-demo-catalogue.c: every demo of the catalogue on every backend it
 * supports, with small parameters: it runs, passes its own check, and its
 * result states the facts the lesson is about. Cancelling a demo whose
 * workers are not a pool stops it within a second or two. */
#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "plab-demo.h"

static const char *const catalogue[] = {
  "squares",         "chef",          "cars",    "kde",
  "list-append",     "sleepers",      "counter", "pipe",
  "pool-vs-process", "barrier",       "amdahl",  "deadlock",
  "futures",         "shared",        "print",   "lifecycle",
  "messages",        "start-methods", "manager",
};

typedef struct
{
  const char *demo;
  const char *sets; /* "key=value key=value" */
} Case;

static const Case cases[] = {
  { "chef", "unit_ms=5" },
  { "cars", "cars=60 producers=2 consumers=2 capacity=3 producer_ms=0.5 consumer_ms=1" },
  { "kde", "samples=500 grid=512 chunk=64" },
  { "list-append", "count=20000 rounds=5" },
  { "squares", "n=3000 work=20 view=arrival" },
  { "sleepers", "unit_ms=20" },
  { "counter", "increments=20000 work=50" },
  { "pipe", "messages=12 ping_pongs=200" },
  { "pool-vs-process", "tasks=10 size_kb=4 latency_ms=1" },
  { "barrier", "walls=4 phases=3 wall_ms=5" },
  { "amdahl", "work_ms=100 tasks=8" },
  { "deadlock", "hold_ms=20 timeout_ms=200" },
  { "futures", "tasks=6 unit_ms=20" },
  { "shared", "additions=500 child_ms=20" },
  { "print", "writers=2 lines=3 piece_ms=5" },
  { "lifecycle", "step_ms=60" },
  { "start-methods", "starts=2" },
  { "manager", "increments=300 counters=3" },
};

/* Sets the run's parameters from "key=value ..." through the same parser the
 * command line uses. */
static void
apply_sets (PlabDemoRun *run, const char *sets)
{
  g_auto (GStrv) parts = g_strsplit (sets, " ", -1);

  for (int i = 0; parts[i]; i++)
    {
      g_auto (GStrv) kv = g_strsplit (parts[i], "=", 2);
      int index = plab_demo_param_index (run->demo, kv[0]);
      char err[256];

      g_assert_cmpint (index, >=, 0);
      g_assert_cmpint (plab_param_parse (&run->demo->params[index], kv[1], &run->values[index], err,
                                         sizeof err),
                       ==, 0);
    }
}

static gboolean
has (const char *json, const char *fact)
{
  if (strstr (json, fact) == NULL)
    {
      g_test_message ("missing %s in %s", fact, json);
      return FALSE;
    }
  return TRUE;
}

/* The integer after "key": in @json. */
static gint64
json_int (const char *json, const char *key)
{
  g_autofree char *needle = g_strdup_printf ("\"%s\": ", key);
  const char *p = strstr (json, needle);

  g_assert_nonnull (p);
  return g_ascii_strtoll (p + strlen (needle), NULL, 10);
}

static int
lane_named (PlabTrace *trace, const char *name)
{
  PlabLaneInfo lane;

  for (int i = 0; i < plab_trace_n_lanes (trace); i++)
    if (plab_trace_get_lane (trace, i, &lane) == 0 && !strcmp (lane.name, name))
      return i;
  return -1;
}

typedef struct
{
  const Case *c;
  PlabBackend backend;
} CaseRun;

/* Per demo, the facts its result must state on @backend. */
static void
assert_facts (const char *demo, PlabBackend backend, const char *json, PlabTrace *trace)
{
  gboolean parallel = backend != PLAB_BACKEND_SERIAL;

  g_assert_true (has (json, "\"figure\": {\"kind\": "));
  if (!strcmp (demo, "chef"))
    {
      g_assert_true (has (json, "\"tasks\": 6"));
      /* A serial run is the for loop and saves nothing; a parallel one is
       * compared with a for loop it measured, beside the text's figure. */
      g_assert_true (has (json, "\"for_loop_s\": "));
      if (parallel)
        {
          g_assert_true (has (json, "\"classic_saved_percent\": 44.4"));
          g_assert_true (
              has (json, "the for loop was measured in this run, just before the kitchen"));
          g_assert_cmpint (lane_named (trace, "bake bread"), >, 0);
        }
      else
        g_assert_false (has (json, "saved_percent"));
    }
  else if (!strcmp (demo, "cars"))
    {
      g_assert_true (has (json, "\"delivered_once\": 60"));
      g_assert_true (has (json, "\"cnt\": 60"));
      g_assert_true (has (json, "\"fifo_violations\": 0"));
      g_assert_cmpint (lane_named (trace, "producer 2"), >, 0);
      g_assert_cmpint (lane_named (trace, "consumer 1"), >, 0);
    }
  else if (!strcmp (demo, "kde"))
    {
      g_assert_true (has (json, "\"equal_to_serial\": 64"));
      g_assert_true (has (json, "\"name\": \"true density\""));
    }
  else if (!strcmp (demo, "list-append"))
    {
      g_assert_true (has (json, "\"appended_in_workers\": 20000"));
      /* Processes fill their own copies; threads fill the parent's lists. */
      if (backend == PLAB_BACKEND_PROCESSES)
        g_assert_true (has (json, "\"in_parent_lists\": 0,"));
      else
        g_assert_true (has (json, "\"in_parent_lists\": 20000"));
    }
  else if (!strcmp (demo, "squares"))
    {
      g_assert_true (has (json, "\"correct\": 3000"));
      g_assert_true (has (json, "\"title\": \"The order results arrive in\""));
      g_assert_cmpint (json_int (json, "imap_held_back"), <=, 3000);
    }
  else if (!strcmp (demo, "sleepers"))
    {
      g_assert_true (has (json, "\"sleepers\": 4"));
      if (parallel)
        {
          /* Which sleeper finishes last depends on when each was started,
           * which a busy machine delays: the order is not asserted, only
           * that the join order is the start order and every sleeper is
           * listed as finished. */
          g_assert_true (has (json, "\"join_order\": \"1 (5), 2 (2), 3 (1), 4 (3)\""));
          {
            const char *order = strstr (json, "\"finish_order\": \"");
            g_autofree char *finished = NULL;

            g_assert_nonnull (order);
            order += strlen ("\"finish_order\": \"");
            finished = g_strndup (order, strcspn (order, "\""));
            for (int i = 0; i < 4; i++)
              g_assert_nonnull (
                  strstr (finished, (const char *[]){ "1 (5)", "2 (2)", "3 (1)", "4 (3)" }[i]));
          }
          g_assert_cmpint (lane_named (trace, "sleeper 1 (5 units)"), >, 0);
        }
    }
  else if (!strcmp (demo, "counter"))
    {
      gint64 expected = json_int (json, "expected");

      g_assert_cmpint (expected, ==, 80000);
      g_assert_cmpint (json_int (json, "lock_count"), ==, expected);
      g_assert_cmpint (json_int (json, "atomic_count"), ==, expected);
      g_assert_cmpint (json_int (json, "no-lock_count"), <=, expected);
      g_assert_cmpint (json_int (json, "no-lock_count"), >, 0);
      if (!parallel)
        g_assert_cmpint (json_int (json, "no-lock_count"), ==, expected);
      g_test_message ("%s: no lock counted %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT,
                      plab_backend_name (backend), json_int (json, "no-lock_count"), expected);
    }
  else if (!strcmp (demo, "pipe"))
    {
      g_assert_true (has (json, "\"received_in_order\": 12"));
      g_assert_true (has (json, "\"ping_pongs\": 200"));
      g_assert_cmpint (lane_named (trace, "sender"), >, 0);
    }
  else if (!strcmp (demo, "pool-vs-process"))
    {
      g_assert_true (has (json, "\"kind\": \"io\""));
      g_assert_true (has (json, "\"process_per_task_s\": "));
      g_assert_true (has (json, "\"pool_s\": "));
    }
  else if (!strcmp (demo, "barrier"))
    g_assert_true (has (json, "\"walls\": 4, \"phases\": 3"));
  else if (!strcmp (demo, "deadlock"))
    {
      /* Opposite lock orders close the cycle whenever the workers run
       * together; the for loop never does. */
      g_assert_true (has (json, parallel ? "\"deadlocked\": true" : "\"deadlocked\": false"));
      if (parallel)
        {
          g_assert_true (has (json, "\"cycle\": \"1 → 2 → 1\""));
          g_assert_true (has (json, "worker 1 holds A and waits for B"));
          g_assert_cmpint (lane_named (trace, "worker 2 (B, A)"), >, 0);
        }
    }
  else if (!strcmp (demo, "futures"))
    {
      g_assert_true (has (json, "\"wrong\": 0"));
      g_assert_true (has (json, "\"imap_order\": \"1, 2, 3, 4, 5, 6\""));
      g_assert_true (has (json, "\"imap_out_of_order\": 0"));
      g_assert_true (has (json, "\"apply_order\": \"1, 2, 3, 4, 5, 6\""));
      if (!parallel)
        g_assert_true (has (json, "\"as_completed_order\": \"1, 2, 3, 4, 5, 6\""));
    }
  else if (!strcmp (demo, "shared"))
    {
      g_assert_true (has (json, "\"shared_array\": \"[2, 4, 6, 8, 10]\""));
      g_assert_true (has (json, "\"value\": 2000, \"value_expected\": 2000"));
      /* A forked child doubles its own copy; threads double the parent's. */
      g_assert_true (has (json, backend == PLAB_BACKEND_PROCESSES
                                    ? "\"plain_array\": \"[1, 2, 3, 4, 5]\""
                                    : "\"plain_array\": \"[2, 4, 6, 8, 10]\""));
      if (parallel)
        g_assert_cmpint (lane_named (trace, "adder 4"), >, 0);
    }
  else if (!strcmp (demo, "print"))
    {
      g_assert_true (has (json, "\"lock_whole\": 6, \"lock_mixed\": 0"));
      if (!parallel)
        g_assert_true (has (json, "\"no-lock_whole\": 6, \"no-lock_mixed\": 0"));
    }
  else if (!strcmp (demo, "lifecycle"))
    {
      g_assert_true (has (json, "\"alive_after_timeout\": true"));
      g_assert_true (has (json, "\"exit3_python_exitcode\": 3"));
      g_assert_true (has (json, "\"terminate\": \"killed by signal 15"));
      g_assert_true (has (json, "\"terminate_python_exitcode\": -15"));
      g_assert_true (has (json, "\"kill_python_exitcode\": -9"));
      g_assert_true (has (json, "\"restart\": \"refused\""));
      g_assert_cmpint (lane_named (trace, "daemon"), >, 0);
    }
  else if (!strcmp (demo, "start-methods"))
    {
      g_assert_true (has (json, "\"fork_global\": \"changed\""));
      g_assert_true (has (json, "\"spawn_global\": \"as it began\""));
      g_assert_true (has (json, "\"forkserver_global\": \"as it began\""));
      g_assert_true (has (json, "\"fork_threads\": 1"));
      g_assert_true (has (json, "\"fork_thread_memory\": \"frozen copy\""));
      g_assert_cmpint (lane_named (trace, "spawn 2"), >, 0);
      g_assert_cmpint (lane_named (trace, "forkserver 1"), >, 0);
    }
  else if (!strcmp (demo, "manager"))
    {
      g_assert_true (has (json, "\"expected\": 900, \"manager_count\": 900"));
      g_assert_true (has (json, "\"lock_count\": 900"));
      g_assert_true (has (json, "\"atomic_count\": 900"));
      g_assert_cmpint (json_int (json, "round_trips"), ==, 900);
      /* Each of the 3 workers appended its share to the manager list. */
      g_assert_cmpint (json_int (json, "list_round_trips"), ==, 3);
      g_assert_cmpint (json_int (json, "list_items"), ==, 3);
      g_assert_cmpint (json_int (json, "list_sum"), ==, 900);
      if (parallel)
        g_assert_cmpint (lane_named (trace, "counter 3"), >, 0);
    }
  else if (!strcmp (demo, "amdahl"))
    {
      g_assert_true (has (json, "\"serial_fraction\": 0.2"));
      g_assert_true (has (json, "\"name\": \"Amdahl\""));
    }
}

static void
test_case (gconstpointer data)
{
  const CaseRun *cr = data;
  const PlabDemo *demo = plab_demo_find (cr->c->demo);
  PlabTrace *trace = plab_trace_new ();
  PlabDemoRun run;
  gint64 t0 = g_get_monotonic_time ();
  char err[256];
  int rc;

  g_assert_nonnull (demo);
  plab_demo_run_init (&run, demo);
  run.backend = cr->backend;
  run.workers = 2;
  run.seed = 7;
  run.trace = trace;
  apply_sets (&run, cr->c->sets);
  g_assert_cmpint (plab_demo_run_validate (&run, err, sizeof err), ==, 0);

  rc = demo->run (&run);
  plab_trace_drain (trace);
  if (rc != 0)
    g_test_message ("error: %s", run.error);
  g_assert_cmpint (rc, ==, 0);
  g_test_message ("%s on %s: %s", demo->name, plab_backend_name (cr->backend), run.check_message);
  g_assert_true (run.check_ok);
  g_assert_cmpuint (strlen (run.check_message), >, 10);
  g_assert_nonnull (run.result_json);
  g_assert_true (run.result_json[0] == '{');
  assert_facts (demo->name, cr->backend, run.result_json, trace);
  /* Small parameters take well under a second; the limit only catches a
   * hang, on a machine however busy. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 60 * G_USEC_PER_SEC);

  plab_demo_run_clear (&run);
  plab_trace_free (trace);
}

static void
test_catalogue (void)
{
  size_t n = 0;
  const PlabDemo *const *demos = plab_demos (&n);

  g_assert_cmpuint (n, ==, G_N_ELEMENTS (catalogue));
  for (size_t i = 0; i < G_N_ELEMENTS (catalogue); i++)
    {
      const PlabDemo *d = plab_demo_find (catalogue[i]);
      int sentences = 0;

      g_assert_nonnull (d);
      g_assert_true (demos[i] == d);
      /* The lesson is a few plain sentences (3 to 6, counting full stops
       * followed by a space or the end; "e.g." style abbreviations are not used). */
      for (const char *p = d->lesson; *p; p++)
        if ((*p == '.' || *p == '!' || *p == '?') && (p[1] == ' ' || p[1] == '\0'))
          sentences++;
      g_test_message ("%s: %d sentences", d->name, sentences);
      g_assert_cmpint (sentences, >=, 3);
      g_assert_cmpint (sentences, <=, 6);
      g_assert_cmpuint (d->n_params, >=, 1);
      for (size_t p = 0; p < d->n_params; p++)
        g_assert_cmpuint (strlen (d->params[p].help), >, 10);
      /* A demo with no worker axis says how many workers its values start:
       * parameters that exist, or a fixed count; other demos neither. */
      if (d->no_worker_axis != NULL)
        {
          PlabDemoRun run;

          plab_demo_run_init (&run, d);
          run.workers = 64;
          for (size_t p = 0; p < G_N_ELEMENTS (d->worker_params); p++)
            g_assert_true (d->worker_params[p] == NULL
                           || plab_demo_param_index (d, d->worker_params[p]) >= 0);
          g_assert_true ((d->worker_params[0] != NULL) != (d->fixed_workers > 0));
          g_assert_cmpint (plab_demo_run_workers (&run), >=, 1);
          g_assert_cmpint (plab_demo_run_workers (&run), <, 64);
          plab_demo_run_clear (&run);
        }
      else
        g_assert_true (d->worker_params[0] == NULL && d->fixed_workers == 0);
    }
}

/* --- Cancelling --- */

/* Set by a signal handler on the runner's thread, as plab run's SIGINT
 * handler sets it: a sig_atomic_t is only safe between a thread and its own
 * signal handlers. */
static volatile sig_atomic_t cancel_flag;
static pthread_t runner_thread;

static void
on_cancel_signal (int sig)
{
  cancel_flag = SIGINT;
}

static gpointer
cancel_later_cb (gpointer data)
{
  g_usleep (GPOINTER_TO_UINT (data));
  pthread_kill (runner_thread, SIGUSR1);
  return NULL;
}

typedef struct
{
  const char *demo;
  const char *sets;
  PlabBackend backend;
} CancelCase;

static const CancelCase cancel_cases[] = {
  { "sleepers", "unit_ms=2000", PLAB_BACKEND_PROCESSES },
  { "sleepers", "unit_ms=2000", PLAB_BACKEND_THREADS },
  { "cars", "producer_ms=1000 consumer_ms=1000", PLAB_BACKEND_GIL },
  { "barrier", "walls=2 wall_ms=1000 kind=wait imbalance=1", PLAB_BACKEND_THREADS },
  { "pipe", "ping_pongs=1000000", PLAB_BACKEND_PROCESSES },
  { "deadlock", "hold_ms=100 timeout_ms=10000", PLAB_BACKEND_PROCESSES },
  { "deadlock", "hold_ms=100 timeout_ms=10000", PLAB_BACKEND_GIL },
  { "print", "lines=100 piece_ms=200", PLAB_BACKEND_THREADS },
  { "lifecycle", "step_ms=3000", PLAB_BACKEND_PROCESSES },
  { "manager", "increments=200000", PLAB_BACKEND_PROCESSES },
};

static void
test_cancel (gconstpointer data)
{
  const CancelCase *cc = data;
  const PlabDemo *demo = plab_demo_find (cc->demo);
  PlabTrace *trace = plab_trace_new ();
  PlabDemoRun run;
  GThread *thread;
  struct sigaction sa, old_sa;
  gint64 t0;
  int rc;

  plab_demo_run_init (&run, demo);
  run.backend = cc->backend;
  run.workers = 2;
  run.trace = trace;
  run.cancel = &cancel_flag;
  apply_sets (&run, cc->sets);
  cancel_flag = 0;
  runner_thread = pthread_self ();
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_cancel_signal;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGUSR1, &sa, &old_sa);
  thread = g_thread_new ("cancel", cancel_later_cb, GUINT_TO_POINTER (300000));
  t0 = g_get_monotonic_time ();
  rc = demo->run (&run);
  g_thread_join (thread);
  sigaction (SIGUSR1, &old_sa, NULL);
  g_test_message ("%s on %s stopped after %.2f s", cc->demo, plab_backend_name (cc->backend),
                  (g_get_monotonic_time () - t0) / 1e6);
  g_assert_cmpint (rc, ==, PLAB_ECANCELLED);
  g_assert_false (run.check_ok);
  /* Cancelled at 0.3 s: PLAB_ECANCELLED above says the demo stopped
   * before its end rather than finishing. The time limit only catches a
   * demo that ignores the stop; it is not a speed claim, which a busy
   * machine would break. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 60 * G_USEC_PER_SEC);
  plab_demo_run_clear (&run);
  plab_trace_free (trace);
  cancel_flag = 0;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/plab/demo-catalogue/lessons", test_catalogue);
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const PlabDemo *demo = plab_demo_find (cases[i].demo);

      for (int b = 0; demo && b < PLAB_N_BACKENDS; b++)
        {
          CaseRun *cr;
          g_autofree char *path = NULL;

          if (!(demo->backends & PLAB_BACKEND_BIT (b)))
            continue;
          cr = g_new0 (CaseRun, 1); /* freed with the test suite */
          cr->c = &cases[i];
          cr->backend = (PlabBackend)b;
          path = g_strdup_printf ("/plab/demo-catalogue/%s/%s", cases[i].demo,
                                  plab_backend_name (b));
          g_test_add_data_func_full (path, cr, test_case, g_free);
        }
    }
  for (size_t i = 0; i < G_N_ELEMENTS (cancel_cases); i++)
    {
      g_autofree char *path
          = g_strdup_printf ("/plab/demo-catalogue/cancel/%s/%s", cancel_cases[i].demo,
                             plab_backend_name (cancel_cases[i].backend));

      g_test_add_data_func (path, &cancel_cases[i], test_cancel);
    }
  return g_test_run ();
}
