/* test-recording.c: the recording engine, on a real SQLite store in a
 * temporary folder. Runs record a pool's work through the engine's trace;
 * the store is then read back with a second connection, as a reader would.
 */
#include "plab.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define N_ITEMS 200

typedef struct
{
  char *dir;
  char *path;
  PlabStore *store;
  PlabRecording *rec;

  /* What the live sink saw */
  int begins;
  int ends;
  int64_t begun_id;
  size_t task_events;
  int lanes_seen;
  int stalls;
  bool stall_stopped;
  PlabRunStatus end_status;
} Fixture;

/* --- Live sink --- */

static void
run_begin_cb (void *user_data, int64_t run_id, const PlabRecordingConfig *config, int64_t origin)
{
  Fixture *f = user_data;

  f->begins++;
  f->begun_id = run_id;
}

static void
lane_cb (void *user_data, const PlabLaneInfo *lane)
{
  Fixture *f = user_data;

  f->lanes_seen = MAX (f->lanes_seen, lane->lane + 1);
}

static void
events_cb (void *user_data, const PlabEvent *events, size_t n)
{
  Fixture *f = user_data;

  /* Atomic: the recording's watching thread may deliver events while the
   * run function reads the count (own_lane_cb). */
  for (size_t i = 0; i < n; i++)
    if (events[i].kind == PLAB_SPAN_TASK)
      __atomic_fetch_add (&f->task_events, 1, __ATOMIC_RELAXED);
}

/* A stopped worker is reported; the test then lets it go on. */
static void
stalled_cb (void *user_data, const PlabLaneInfo *lane, int64_t idle_ns, bool stopped)
{
  Fixture *f = user_data;

  f->stalls++;
  if (lane != NULL && stopped)
    {
      f->stall_stopped = true;
      g_assert_cmpint (idle_ns, >, 0);
      kill (lane->pid, SIGCONT);
    }
}

static void
run_end_cb (void *user_data, const PlabRecordingOutcome *outcome)
{
  Fixture *f = user_data;

  f->ends++;
  f->end_status = outcome->status;
}

static void
watch (Fixture *f)
{
  PlabRecordingSink sink = {
    .run_begin = run_begin_cb,
    .lane = lane_cb,
    .events = events_cb,
    .stalled = stalled_cb,
    .run_end = run_end_cb,
    .user_data = f,
  };

  plab_recording_set_sink (f->rec, &sink);
}

/* --- Fixture --- */

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  GError *error = NULL;

  f->dir = g_dir_make_tmp ("plab-recording-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "runs.db", NULL);
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_WRITE, &f->store), ==, 0);
  g_assert_cmpint (plab_recording_new (f->store, &f->rec), ==, 0);
  watch (f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  const char *name;
  GDir *dir;

  plab_recording_free (f->rec);
  plab_store_close (f->store);
  dir = g_dir_open (f->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      char *child = g_build_filename (f->dir, name, NULL);

      g_unlink (child);
      g_free (child);
    }
  if (dir != NULL)
    g_dir_close (dir);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* --- Run functions --- */

static int
square (const void *item, void *result, void *user_data)
{
  int x = *(const int *)item;

  if (user_data != NULL && x == 7)
    raise (SIGSTOP); /* stops this worker until the test's stall callback resumes it */
  *(int *)result = x * x;
  return 0;
}

typedef struct
{
  PlabBackend backend;
  bool stop_a_worker;
} MapJob;

/* Maps square over N_ITEMS on a pool that records into the engine's trace. */
static int
map_cb (void *user_data,
        PlabTrace *trace,
        const volatile sig_atomic_t *cancel,
        PlabRecordingReport *report)
{
  MapJob *job = user_data;
  PlabPoolOptions options
      = { .backend = job->backend, .workers = 2, .trace = trace, .cancel = cancel };
  int items[N_ITEMS], results[N_ITEMS];
  PlabMap map = { 0 };
  PlabPool *pool = NULL;
  bool right = true;
  int rc;

  for (int i = 0; i < N_ITEMS; i++)
    items[i] = i;
  map.func = square;
  map.user_data = job->stop_a_worker ? job : NULL;
  map.items = items;
  map.item_size = sizeof (int);
  map.n_items = N_ITEMS;
  map.results = results;
  map.result_size = sizeof (int);
  map.chunk_size = 1;
  rc = plab_pool_new (&options, &pool);
  if (rc == 0)
    rc = plab_pool_map (pool, &map, NULL);
  plab_pool_free (pool);
  if (rc != 0)
    {
      snprintf (report->error, sizeof report->error, "the map failed: %s", plab_strerror (rc));
      return rc;
    }
  for (int i = 0; i < N_ITEMS; i++)
    right &= results[i] == i * i;
  report->check_ok = right;
  snprintf (report->check_message, sizeof report->check_message, "%s",
            right ? "all squares right" : "wrong");
  report->result_json = strdup ("{\"items\": 200}");
  return 0;
}

static int
cancel_cb (void *user_data,
           PlabTrace *trace,
           const volatile sig_atomic_t *cancel,
           PlabRecordingReport *report)
{
  Fixture *f = user_data;
  MapJob job = { PLAB_BACKEND_THREADS, false };

  /* As a SIGTERM would, before the pool starts: the pool sees the flag. */
  plab_recording_cancel (f->rec, SIGTERM);
  g_assert_cmpint (*cancel, ==, SIGTERM);
  return map_cb (&job, trace, cancel, report);
}

static int
fail_cb (void *user_data,
         PlabTrace *trace,
         const volatile sig_atomic_t *cancel,
         PlabRecordingReport *report)
{
  int64_t t0 = plab_now_ns ();

  plab_span (PLAB_SPAN_TASK, t0, t0 + 1000, 0, "before the failure");
  snprintf (report->error, sizeof report->error, "the demo broke on purpose");
  return PLAB_ETASK;
}

static int
wrong_cb (void *user_data,
          PlabTrace *trace,
          const volatile sig_atomic_t *cancel,
          PlabRecordingReport *report)
{
  report->check_ok = false;
  snprintf (report->check_message, sizeof report->check_message, "3 squares wrong");
  return 0;
}

/* --- Held-back events --- */

/* More spans than one block of held-back events holds (about 50,000), fewer
 * than the lane's ring: all wait for the end of the run. */
#define N_ODD_SPANS 120000

static const char *const odd_labels[] = {
  "",
  "x=1",
  "caf\xc3\xa9 \xf0\x9f\x98\x80",
  "a label of thirty-one bytes....",
  "label, with \"quotes\"",
};

/* Span @i of the held-back test, times relative to the run's origin: starts
 * that go back and forth, lengths from none to hours, task ids and items
 * from -1 to the largest, every flow and label. */
static void
odd_span (size_t i, PlabEvent *e)
{
  memset (e, 0, sizeof *e);
  e->start_ns = (int64_t)(i * 1000) + (i % 7 == 0 ? ((int64_t)1 << 40) : 0) - (int64_t)(i % 3);
  e->end_ns = e->start_ns + (i % 5 == 0 ? ((int64_t)1 << 43) : (int64_t)(i % 11));
  e->task_id = i % 4 == 0 ? -1 : i % 13 == 0 ? INT64_MAX : (int64_t)i * 977;
  e->kind = (uint8_t)(i % 9);
  e->flow = (uint8_t)(i % PLAB_N_FLOWS);
  e->item = e->flow == PLAB_FLOW_NONE ? -1 : i % 17 == 0 ? INT32_MAX : (int32_t)(i % 1000);
  snprintf (e->label, sizeof e->label, "%s", odd_labels[i % G_N_ELEMENTS (odd_labels)]);
}

static int
odd_spans_cb (void *user_data,
              PlabTrace *trace,
              const volatile sig_atomic_t *cancel,
              PlabRecordingReport *report)
{
  int64_t origin = plab_trace_origin_ns (trace);

  for (size_t i = 0; i < N_ODD_SPANS; i++)
    {
      PlabEvent e;

      odd_span (i, &e);
      plab_span_flow (e.kind, origin + e.start_ns, origin + e.end_ns, e.task_id, e.label, e.flow,
                      e.item);
    }
  plab_counter ("depth", INT64_MIN);
  plab_counter ("busy", -1);
  plab_counter ("wide", INT64_MAX);
  report->check_ok = true;
  return 0;
}

/* The store's order: by start, then as recorded. */
static int
compare_start (const void *a, const void *b)
{
  const PlabEvent *x = a, *y = b;

  if (x->start_ns != y->start_ns)
    return x->start_ns < y->start_ns ? -1 : 1;
  return x < y ? -1 : x > y;
}

/* Runs for a little over a second, draining as a pool would, and reads its
 * own run through a second connection while it is still running. */
static int
slow_cb (void *user_data,
         PlabTrace *trace,
         const volatile sig_atomic_t *cancel,
         PlabRecordingReport *report)
{
  Fixture *f = user_data;
  PlabRunRecord *run = NULL;
  PlabStore *reader = NULL;
  int64_t until = plab_now_ns () + 1500000000LL;

  while (plab_now_ns () < until)
    {
      g_usleep (20000);
      plab_trace_drain (trace);
    }
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &reader), ==, 0);
  g_assert_cmpint (plab_store_get_run (reader, f->begun_id, &run), ==, 0);
  g_assert_cmpint (run->status, ==, PLAB_RUN_RUNNING);
  g_assert_cmpint (run->wall_ns, >=, 1000000000LL);
  plab_run_record_free (run);
  plab_store_close (reader);
  report->check_ok = true;
  return 0;
}

/* Works on its own lane, as a demo does before or after its pool (chef's
 * for loop), and never drains: the task it finished must reach the live
 * sink while it still runs. Gives up after 20 s. */
static int
own_lane_cb (void *user_data,
             PlabTrace *trace,
             const volatile sig_atomic_t *cancel,
             PlabRecordingReport *report)
{
  Fixture *f = user_data;
  int64_t t0 = plab_now_ns ();

  plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), 0, "for loop: one task");
  while (__atomic_load_n (&f->task_events, __ATOMIC_RELAXED) == 0
         && plab_now_ns () - t0 < 20000000000LL)
    g_usleep (10000);
  report->check_ok = __atomic_load_n (&f->task_events, __ATOMIC_RELAXED) == 1;
  return 0;
}

static PlabRecordingConfig
config_for (const char *backend, PlabRecordingFunc func, void *user_data)
{
  PlabRecordingConfig config = {
    .demo = "test-squares",
    .backend = backend,
    .workers = 2,
    .params_json = "{\"n\": 200}",
    .seed = 7,
    .func = func,
    .user_data = user_data,
  };

  return config;
}

/* Records a run of @func on @backend into @outcome (to be cleared by the
 * caller), and returns its status. */
static PlabRunStatus
record (Fixture *f,
        const char *backend,
        PlabRecordingFunc func,
        void *user_data,
        PlabRecordingOutcome *outcome)
{
  PlabRecordingConfig config = config_for (backend, func, user_data);

  g_assert_cmpint (plab_recording_run (f->rec, &config, outcome), ==, 0);
  return outcome->status;
}

/* --- Tests --- */

static void
test_ok (Fixture *f, gconstpointer data)
{
  MapJob job = { PLAB_BACKEND_PROCESSES, false };
  PlabRecordingOutcome outcome;
  PlabRunRecord *run = NULL;
  PlabLaneInfo *lanes = NULL;
  PlabEvent *spans = NULL;
  size_t n_lanes = 0, n_spans = 0, n_tasks = 0;

  g_assert_cmpint (record (f, "processes", map_cb, &job, &outcome), ==, PLAB_RUN_OK);
  g_assert_true (outcome.recorded);
  g_assert_true (outcome.check_ok);
  g_assert_cmpstr (outcome.check, ==, "all squares right");
  g_assert_null (outcome.error);
  g_assert_cmpint (outcome.wall_ns, >, 0);
  g_assert_cmpint (f->begins, ==, 1);
  g_assert_cmpint (f->ends, ==, 1);
  g_assert_cmpint (f->begun_id, ==, outcome.run_id);
  g_assert_cmpint (f->lanes_seen, ==, 3);

  g_assert_cmpint (plab_store_get_run (f->store, outcome.run_id, &run), ==, 0);
  g_assert_cmpint (run->status, ==, PLAB_RUN_OK);
  g_assert_cmpstr (run->demo, ==, "test-squares");
  g_assert_cmpstr (run->backend, ==, "processes");
  g_assert_cmpint (run->workers, ==, 2);
  g_assert_cmpint (run->seed, ==, 7);
  g_assert_cmpint (run->wall_ns, ==, outcome.wall_ns);
  g_assert_nonnull (strstr (run->result_json, "200"));
  g_assert_true (run->check_ok);

  g_assert_cmpint (plab_store_get_lanes (f->store, outcome.run_id, &lanes, &n_lanes), ==, 0);
  g_assert_cmpuint (n_lanes, ==, 3);
  g_assert_cmpint (lanes[1].kind, ==, PLAB_LANE_PROCESS);
  g_assert_cmpint (lanes[1].pid, >, 0);
  g_assert_cmpint (lanes[1].pid, !=, getpid ());
  g_assert_cmpint (plab_store_get_spans (f->store, outcome.run_id, 0, INT64_MAX, &spans, &n_spans),
                   ==, 0);
  for (size_t i = 0; i < n_spans; i++)
    if (spans[i].kind == PLAB_SPAN_TASK)
      n_tasks++;
  /* One task span per item (chunks of one), and the live sink saw the same. */
  g_assert_cmpuint (n_tasks, ==, N_ITEMS);
  g_assert_cmpuint (f->task_events, ==, n_tasks);

  free (spans);
  free (lanes);
  plab_run_record_free (run);
  plab_recording_outcome_clear (&outcome);
}

/* Events wait for the end of the run packed: they reach the store exactly
 * as they were recorded, every field of every one. */
static void
test_held_events_exact (Fixture *f, gconstpointer data)
{
  PlabRecordingOutcome outcome;
  PlabEvent *want = g_new (PlabEvent, N_ODD_SPANS);
  PlabEvent *spans = NULL, *counters = NULL;
  size_t n_spans = 0, n_counters = 0, n_odd = 0;

  for (size_t i = 0; i < N_ODD_SPANS; i++)
    odd_span (i, &want[i]);
  /* A stable sort: qsort with the address as the last key. */
  qsort (want, N_ODD_SPANS, sizeof *want, compare_start);

  g_assert_cmpint (record (f, "serial", odd_spans_cb, NULL, &outcome), ==, PLAB_RUN_OK);
  g_assert_cmpint (plab_store_get_spans (f->store, outcome.run_id, 0, INT64_MAX, &spans, &n_spans),
                   ==, 0);
  for (size_t i = 0; i < n_spans; i++)
    {
      const PlabEvent *got = &spans[i];
      const PlabEvent *e;

      /* The engine's own spans on lane 0 (core waits) are not the test's. */
      if (got->kind == PLAB_SPAN_CORE_WAIT)
        continue;
      g_assert_cmpuint (n_odd, <, N_ODD_SPANS);
      e = &want[n_odd++];
      g_assert_cmpint (got->lane, ==, 0);
      g_assert_cmpint (got->start_ns, ==, e->start_ns);
      g_assert_cmpint (got->end_ns, ==, e->end_ns);
      g_assert_cmpint (got->task_id, ==, e->task_id);
      g_assert_cmpint (got->kind, ==, e->kind);
      g_assert_cmpint (got->flow, ==, e->flow);
      g_assert_cmpint (got->item, ==, e->item);
      g_assert_cmpstr (got->label, ==, e->label);
    }
  g_assert_cmpuint (n_odd, ==, N_ODD_SPANS);

  g_assert_cmpint (plab_store_get_counters (f->store, outcome.run_id, &counters, &n_counters), ==,
                   0);
  g_assert_cmpuint (n_counters, ==, 3);
  g_assert_cmpstr (counters[0].label, ==, "busy");
  g_assert_cmpint (counters[0].task_id, ==, -1);
  g_assert_cmpstr (counters[1].label, ==, "depth");
  g_assert_cmpint (counters[1].task_id, ==, INT64_MIN);
  g_assert_cmpstr (counters[2].label, ==, "wide");
  g_assert_cmpint (counters[2].task_id, ==, INT64_MAX);

  free (counters);
  free (spans);
  g_free (want);
  plab_recording_outcome_clear (&outcome);
}

static void
test_cancelled (Fixture *f, gconstpointer data)
{
  PlabRecordingOutcome outcome;
  PlabRunRecord *run = NULL;

  g_assert_cmpint (record (f, "threads", cancel_cb, f, &outcome), ==, PLAB_RUN_CANCELLED);
  g_assert_false (outcome.check_ok);
  g_assert_cmpstr (outcome.error, ==, "cancelled by SIGTERM");
  g_assert_cmpstr (outcome.check, ==, "not checked: the run was cancelled");
  g_assert_cmpint (plab_recording_cancelled (f->rec), ==, SIGTERM);
  g_assert_cmpint (f->end_status, ==, PLAB_RUN_CANCELLED);

  g_assert_cmpint (plab_store_get_run (f->store, outcome.run_id, &run), ==, 0);
  g_assert_cmpint (run->status, ==, PLAB_RUN_CANCELLED);
  g_assert_cmpstr (run->error, ==, "cancelled by SIGTERM");
  plab_run_record_free (run);
  plab_recording_outcome_clear (&outcome);
}

static void
test_failed (Fixture *f, gconstpointer data)
{
  PlabRecordingOutcome outcome;
  PlabRunRecord *run = NULL;
  PlabEvent *spans = NULL;
  size_t n_spans = 0;

  g_assert_cmpint (record (f, "serial", fail_cb, NULL, &outcome), ==, PLAB_RUN_FAILED);
  g_assert_cmpstr (outcome.error, ==, "the demo broke on purpose");
  g_assert_cmpstr (outcome.check, ==, "not checked: the run failed");
  g_assert_cmpstr (outcome.result_json, ==, "{}");

  g_assert_cmpint (plab_store_get_run (f->store, outcome.run_id, &run), ==, 0);
  g_assert_cmpint (run->status, ==, PLAB_RUN_FAILED);
  g_assert_false (run->check_ok);
  g_assert_cmpstr (run->error, ==, "the demo broke on purpose");
  /* What the run recorded before it failed is kept. */
  g_assert_cmpint (plab_store_get_spans (f->store, outcome.run_id, 0, INT64_MAX, &spans, &n_spans),
                   ==, 0);
  g_assert_cmpuint (n_spans, ==, 1);
  g_assert_cmpstr (spans[0].label, ==, "before the failure");
  free (spans);
  plab_run_record_free (run);
  plab_recording_outcome_clear (&outcome);
}

static void
test_check_failed (Fixture *f, gconstpointer data)
{
  PlabRecordingOutcome outcome;

  g_assert_cmpint (record (f, "serial", wrong_cb, NULL, &outcome), ==, PLAB_RUN_FAILED);
  g_assert_false (outcome.check_ok);
  g_assert_cmpstr (outcome.error, ==, "check failed: 3 squares wrong");
  plab_recording_outcome_clear (&outcome);
}

static void
test_wall_time_as_it_goes (Fixture *f, gconstpointer data)
{
  PlabRecordingOutcome outcome;

  g_assert_cmpint (record (f, "serial", slow_cb, f, &outcome), ==, PLAB_RUN_OK);
  g_assert_cmpint (outcome.wall_ns, >=, 1500000000LL);
  plab_recording_outcome_clear (&outcome);
}

/* What a demo does on its own lane reaches the live timeline as it
 * happens, on a pool backend as on serial. */
static void
test_own_lane_live (Fixture *f, gconstpointer data)
{
  PlabRecordingOutcome outcome;

  g_assert_cmpint (record (f, "processes", own_lane_cb, f, &outcome), ==, PLAB_RUN_OK);
  g_assert_true (outcome.check_ok);
  plab_recording_outcome_clear (&outcome);
}

static void
test_stopped_worker (Fixture *f, gconstpointer data)
{
  MapJob job = { PLAB_BACKEND_PROCESSES, true };
  PlabRecordingOutcome outcome;

  plab_recording_set_stall_ns (f->rec, 300000000LL);
  /* The stall callback resumes the worker, so the run finishes whole. */
  g_assert_cmpint (record (f, "processes", map_cb, &job, &outcome), ==, PLAB_RUN_OK);
  g_assert_true (f->stall_stopped);
  plab_recording_outcome_clear (&outcome);
}

static void
test_bad_config (Fixture *f, gconstpointer data)
{
  PlabRecordingConfig config = config_for ("serial", NULL, NULL);
  PlabRecordingOutcome outcome;
  PlabRecording *none = (PlabRecording *)&config;

  g_assert_cmpint (plab_recording_run (f->rec, &config, &outcome), ==, PLAB_EINVAL);
  g_assert_cmpint (outcome.run_id, ==, 0);
  g_assert_cmpint (plab_recording_new (NULL, &none), ==, PLAB_EINVAL);
  g_assert_null (none);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/plab/recording/ok", test_ok);
  ADD ("/plab/recording/held-events-exact", test_held_events_exact);
  ADD ("/plab/recording/cancelled", test_cancelled);
  ADD ("/plab/recording/failed", test_failed);
  ADD ("/plab/recording/check-failed", test_check_failed);
  ADD ("/plab/recording/wall-time-as-it-goes", test_wall_time_as_it_goes);
  ADD ("/plab/recording/own-lane-live", test_own_lane_live);
  ADD ("/plab/recording/stopped-worker", test_stopped_worker);
  ADD ("/plab/recording/bad-config", test_bad_config);
#undef ADD
  return g_test_run ();
}
