/* test-gil.c: the simulated interpreter lock lets one thread run at a time,
 * except while a thread blocks. Checked on the recorded spans, not on timings. */
#include <glib.h>

#include "plab.h"

static int
cpu_item (const void *item, void *result, void *user_data)
{
  /* About 2 ms of arithmetic with checkpoints, like bytecode between eval breaks. */
  volatile uint64_t x = *(const int64_t *)item;
  int64_t end = plab_now_ns () + 2000000;
  while (plab_now_ns () < end)
    {
      for (int i = 0; i < 1000; i++)
        x = x * 6364136223846793005u + 1442695040888963407u;
      plab_checkpoint ();
    }
  *(uint64_t *)result = x;
  return 0;
}

static int
io_item (const void *item, void *result, void *user_data)
{
  plab_sleep_ns (3000000);
  *(int64_t *)result = 1;
  return 0;
}

typedef struct
{
  GArray *tasks; /* task spans of the workers */
  GArray *waits; /* gil wait spans */
} Spans;

static void
collect (void *user_data, const PlabEvent *events, size_t n)
{
  Spans *s = user_data;
  for (size_t i = 0; i < n; i++)
    {
      if (events[i].kind == PLAB_SPAN_TASK && events[i].lane > 0)
        g_array_append_val (s->tasks, events[i]);
      if (events[i].kind == PLAB_SPAN_GIL_WAIT)
        g_array_append_val (s->waits, events[i]);
    }
}

static gboolean
covers (GArray *spans, int lane, int64_t t)
{
  for (guint i = 0; i < spans->len; i++)
    {
      PlabEvent *e = &g_array_index (spans, PlabEvent, i);
      if (e->lane == lane && e->start_ns <= t && t < e->end_ns)
        return TRUE;
    }
  return FALSE;
}

/* The share of time, sampled every 20 us, during which the workers (lanes 1
 * and 2) both run a task, not counting the time a task waits for the GIL. */
static double
both_running_share (const Spans *s)
{
  int64_t t0 = INT64_MAX, t1 = 0;
  guint any = 0, both = 0;

  for (guint i = 0; i < s->tasks->len; i++)
    {
      PlabEvent *e = &g_array_index (s->tasks, PlabEvent, i);
      t0 = MIN (t0, e->start_ns);
      t1 = MAX (t1, e->end_ns);
    }
  for (int64_t t = t0; t < t1; t += 20000)
    {
      gboolean a = covers (s->tasks, 1, t) && !covers (s->waits, 1, t);
      gboolean b = covers (s->tasks, 2, t) && !covers (s->waits, 2, t);
      any += a || b;
      both += a && b;
    }
  return any ? (double)both / any : 0;
}

static void
run (PlabBackend backend, PlabMapFunc func, int64_t switch_ns, Spans *spans)
{
  PlabTrace *trace = plab_trace_new ();
  PlabTraceSink sink = { NULL, collect, spans };
  PlabPoolOptions opts
      = { .backend = backend, .workers = 2, .trace = trace, .gil_switch_ns = switch_ns };
  PlabPool *pool;
  int64_t items[24], results[24];
  PlabMap map = { .func = func,
                  .items = items,
                  .item_size = 8,
                  .n_items = 24,
                  .results = results,
                  .result_size = 8,
                  .chunk_size = 1 };

  for (int i = 0; i < 24; i++)
    items[i] = i;
  spans->tasks = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
  spans->waits = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
  plab_trace_set_sink (trace, &sink);
  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  g_assert_cmpint (plab_pool_map (pool, &map, NULL), ==, 0);
  plab_pool_free (pool);
  plab_trace_drain (trace);
  g_assert_cmpuint (spans->tasks->len, ==, 24);
  plab_trace_free (trace);
}

static void
spans_clear (Spans *s)
{
  g_array_unref (s->tasks);
  g_array_unref (s->waits);
}

/* The best share of time both workers ran at once, over up to five maps:
 * on a loaded machine one worker may not be scheduled during a whole map, so
 * a single map can show little overlap. Code that really runs them one at a
 * time shows none in any map. */
static double
best_overlap (PlabBackend backend, PlabMapFunc func, double enough)
{
  double best = 0;

  for (int attempt = 0; attempt < 5 && best <= enough; attempt++)
    {
      Spans s = { 0 };
      double share;

      run (backend, func, 0, &s);
      /* Plain threads never wait for a GIL. */
      if (backend == PLAB_BACKEND_THREADS)
        g_assert_cmpuint (s.waits->len, ==, 0);
      share = both_running_share (&s);
      if (share <= enough)
        g_test_message ("map %d: both ran %.0f%% of the time", attempt, share * 100);
      best = MAX (best, share);
      spans_clear (&s);
    }
  return best;
}

static void
test_cpu_bound_one_at_a_time (void)
{
  Spans s = { 0 };

  /* A short switch interval: tasks are interrupted and interleave on the
   * timeline, but outside their GIL waits only one of them runs at a time
   * (the few microseconds of a hand-over aside). */
  run (PLAB_BACKEND_GIL, cpu_item, 1000000, &s);
  g_assert_cmpuint (s.waits->len, >, 0);
  g_assert_cmpfloat (both_running_share (&s), <, 0.05);
  spans_clear (&s);
}

static void
test_io_bound_overlaps (void)
{
  /* Sleeping releases the GIL: both workers sleep at the same time. */
  g_assert_cmpfloat (best_overlap (PLAB_BACKEND_GIL, io_item, 0.5), >, 0.5);
}

static void
test_plain_threads_overlap (void)
{
  /* Without the GIL, CPU-bound tasks of both workers run at the same time. */
  g_assert_cmpfloat (best_overlap (PLAB_BACKEND_THREADS, cpu_item, 0.3), >, 0.3);
}

typedef struct
{
  PlabGil *gil;
  int64_t runs[2];
} SwitchArgs;

static SwitchArgs sw;

static gpointer
spin_thread (gpointer data)
{
  int id = GPOINTER_TO_INT (data);
  /* Spin until the lock has changed hands a few times; the deadline is only
   * against a hang (a slow or loaded machine, valgrind, may need long). */
  int64_t deadline = plab_now_ns () + 20 * 1000000000LL;

  plab_gil_attach (sw.gil);
  while (plab_gil_switches (sw.gil) < 4 && plab_now_ns () < deadline)
    {
      sw.runs[id]++;
      plab_checkpoint ();
    }
  plab_gil_detach ();
  return NULL;
}

static void
test_switch_interval_hands_over (void)
{
  GThread *a, *b;

  sw.gil = plab_gil_new (2000000);
  a = g_thread_new ("a", spin_thread, GINT_TO_POINTER (0));
  b = g_thread_new ("b", spin_thread, GINT_TO_POINTER (1));
  g_thread_join (a);
  g_thread_join (b);
  /* Both got turns: the holder gave the lock up at checkpoints. */
  g_assert_cmpint (sw.runs[0], >, 0);
  g_assert_cmpint (sw.runs[1], >, 0);
  g_assert_cmpuint (plab_gil_switches (sw.gil), >=, 3);
  plab_gil_free (sw.gil);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/gil/cpu-bound-one-at-a-time", test_cpu_bound_one_at_a_time);
  g_test_add_func ("/plab/gil/io-bound-overlaps", test_io_bound_overlaps);
  g_test_add_func ("/plab/gil/plain-threads-overlap", test_plain_threads_overlap);
  g_test_add_func ("/plab/gil/switch-interval", test_switch_interval_hands_over);
  return g_test_run ();
}
