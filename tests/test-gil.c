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
  GArray *tasks;
  guint gil_waits;
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
        s->gil_waits++;
    }
}

/* Total time during which task spans of different lanes overlap. */
static int64_t
cross_lane_overlap (GArray *tasks)
{
  int64_t total = 0;
  for (guint i = 0; i < tasks->len; i++)
    for (guint j = i + 1; j < tasks->len; j++)
      {
        PlabEvent *a = &g_array_index (tasks, PlabEvent, i);
        PlabEvent *b = &g_array_index (tasks, PlabEvent, j);
        if (a->lane == b->lane)
          continue;
        int64_t lo = MAX (a->start_ns, b->start_ns), hi = MIN (a->end_ns, b->end_ns);
        if (hi > lo)
          total += hi - lo;
      }
  return total;
}

static int64_t
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
  int64_t overlap;

  for (int i = 0; i < 24; i++)
    items[i] = i;
  spans->tasks = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
  plab_trace_set_sink (trace, &sink);
  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  g_assert_cmpint (plab_pool_map (pool, &map, NULL), ==, 0);
  plab_pool_free (pool);
  plab_trace_drain (trace);
  g_assert_cmpuint (spans->tasks->len, ==, 24);
  overlap = cross_lane_overlap (spans->tasks);
  g_array_unref (spans->tasks);
  plab_trace_free (trace);
  return overlap;
}

static void
test_cpu_bound_never_overlaps (void)
{
  Spans s = { 0 };
  /* With a switch interval longer than a task, a task holds the GIL from
   * start to end, so no two run at once ... */
  g_assert_cmpint (run (PLAB_BACKEND_GIL, cpu_item, 50000000, &s), ==, 0);
  /* ... and the other worker waited for it. */
  g_assert_cmpuint (s.gil_waits, >, 0);
}

static void
test_io_bound_overlaps (void)
{
  Spans s = { 0 };
  /* Sleeping releases the GIL: the other worker's sleep runs meanwhile. */
  g_assert_cmpint (run (PLAB_BACKEND_GIL, io_item, 0, &s), >, 10 * 1000000LL);
}

static void
test_plain_threads_overlap (void)
{
  Spans s = { 0 };
  /* Without the GIL, CPU-bound tasks of both workers run at the same time
   * (on one core too: the scheduler interleaves them). */
  g_assert_cmpint (run (PLAB_BACKEND_THREADS, cpu_item, 0, &s), >, 0);
  g_assert_cmpuint (s.gil_waits, ==, 0);
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
  int64_t end = plab_now_ns () + 60000000;

  plab_gil_attach (sw.gil);
  while (plab_now_ns () < end)
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
  g_test_add_func ("/plab/gil/cpu-bound-never-overlaps", test_cpu_bound_never_overlaps);
  g_test_add_func ("/plab/gil/io-bound-overlaps", test_io_bound_overlaps);
  g_test_add_func ("/plab/gil/plain-threads-overlap", test_plain_threads_overlap);
  g_test_add_func ("/plab/gil/switch-interval", test_switch_interval_hands_over);
  return g_test_run ();
}
