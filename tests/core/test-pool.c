/* test-pool.c: PlabPool on every backend, with crashing and killed workers. */
#include <glib.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"
#include "start-test-util.h"

/* The slow item waits this long unless it is killed; every limit below that
 * guards "it was killed, not waited for" is this figure, so a busy machine
 * can be as slow as it likes without a correct pool failing. */
#define SLOW_ITEM_MS 60000

typedef struct
{
  int64_t crash_item; /* segfault on this item (processes only) */
  int64_t abort_item; /* abort () on this item */
  int64_t fail_item;  /* return an error for this item */
  int64_t slow_item;  /* sleep on this item, so it can be killed from outside */
  int64_t sleep_us;   /* sleep on every item */
  int fail_code;      /* what fail_item returns; 0: PLAB_EINVAL */
} Ctx;

static int
square (const void *item, void *result, void *user_data)
{
  const Ctx *ctx = user_data;
  int64_t x = *(const int64_t *)item;

  if (ctx != NULL)
    {
      if (x == ctx->crash_item)
        raise (SIGSEGV);
      if (x == ctx->abort_item)
        abort ();
      if (x == ctx->fail_item)
        return ctx->fail_code != 0 ? ctx->fail_code : PLAB_EINVAL;
      if (x == ctx->slow_item)
        poll (NULL, 0, SLOW_ITEM_MS); /* in poll, not nanosleep: the killer tells it apart */
      if (ctx->sleep_us > 0)
        g_usleep (ctx->sleep_us);
    }
  *(int64_t *)result = x * x;
  return 0;
}

static Ctx no_faults = { -1, -1, -1, -1, 0, 0 };

static int64_t *
make_items (size_t n)
{
  int64_t *items = g_new (int64_t, n);
  for (size_t i = 0; i < n; i++)
    items[i] = (int64_t)i;
  return items;
}

/* A map of square () over the items 0 .. @n - 1 with its arrays: @ctx
 * (NULL: no faults) says which items fail, and @with_status asks for a
 * status per item. Free the arrays with squares_free (). */
typedef struct
{
  int64_t *items;
  int64_t *results;
  int *status;
  int *task_codes;
  PlabMap map;
} Squares;

static Squares
squares_new (Ctx *ctx, size_t n, size_t chunk, gboolean with_status)
{
  Squares sq = { make_items (n), g_new0 (int64_t, n), with_status ? g_new0 (int, n) : NULL,
                 with_status ? g_new0 (int, n) : NULL };

  sq.map = (PlabMap){ .func = square,
                      .user_data = ctx,
                      .user_data_size = ctx != NULL ? sizeof *ctx : 0,
                      .items = sq.items,
                      .item_size = sizeof (int64_t),
                      .n_items = n,
                      .results = sq.results,
                      .result_size = sizeof (int64_t),
                      .chunk_size = chunk,
                      .status = sq.status,
                      .task_codes = sq.task_codes };
  return sq;
}

static void
squares_free (Squares *sq)
{
  g_free (sq->items);
  g_free (sq->results);
  g_free (sq->status);
  g_free (sq->task_codes);
}

static void
check_squares (const int64_t *results, size_t n, int64_t except)
{
  for (size_t i = 0; i < n; i++)
    if ((int64_t)i != except)
      g_assert_cmpint (results[i], ==, (int64_t)i * (int64_t)i);
}

static void
test_backend_names (void)
{
  PlabBackend b;
  for (int i = 0; i < PLAB_N_BACKENDS; i++)
    {
      g_assert_cmpint (plab_backend_from_name (plab_backend_name (i), &b), ==, 0);
      g_assert_cmpint (b, ==, i);
    }
  g_assert_cmpint (plab_backend_from_name ("fibers", &b), ==, PLAB_EINVAL);
}

static void
run_map_on (PlabBackend backend, int workers, size_t n, size_t chunk)
{
  PlabPoolOptions opts
      = { .start_method = test_start_method, .backend = backend, .workers = workers };
  PlabPool *pool;
  Squares sq = squares_new (&no_faults, n, chunk, TRUE);
  PlabMapReport report;

  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  /* Map twice with the same pool: workers are reused. */
  for (int round = 0; round < 2; round++)
    {
      memset (sq.results, 0, n * sizeof *sq.results);
      memset (sq.status, 0xff, n * sizeof *sq.status);
      g_assert_cmpint (plab_pool_map (pool, &sq.map, &report), ==, 0);
      g_assert_cmpuint (report.n_failed, ==, 0);
      check_squares (sq.results, n, -1);
      for (size_t i = 0; i < n; i++)
        g_assert_cmpint (sq.status[i], ==, 0);
    }
  plab_pool_free (pool);
  squares_free (&sq);
}

static void
test_every_backend_and_chunk (void)
{
  static const size_t chunks[] = { 0, 1, 7, 1000, 100000 };
  for (int b = 0; b < PLAB_N_BACKENDS; b++)
    for (guint c = 0; c < G_N_ELEMENTS (chunks); c++)
      run_map_on (b, 2, 10007, chunks[c]);
}

static void
test_more_workers_than_items (void)
{
  run_map_on (PLAB_BACKEND_PROCESSES, 8, 3, 1);
  run_map_on (PLAB_BACKEND_THREADS, 8, 3, 1);
  run_map_on (PLAB_BACKEND_PROCESSES, 2, 1, 0);
}

static void
test_growing_arena (void)
{
  PlabPoolOptions opts
      = { .start_method = test_start_method, .backend = PLAB_BACKEND_PROCESSES, .workers = 2 };
  PlabPool *pool;

  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  for (size_t n = 10; n <= 1000000; n *= 10)
    {
      Squares sq = squares_new (NULL, n, 0, FALSE);
      g_assert_cmpint (plab_pool_map (pool, &sq.map, NULL), ==, 0);
      check_squares (sq.results, n, -1);
      squares_free (&sq);
    }
  plab_pool_free (pool);
}

static void
test_task_error_per_item (void)
{
  for (int b = 0; b < PLAB_N_BACKENDS; b++)
    {
      Ctx ctx = no_faults;
      PlabPoolOptions opts = { .start_method = test_start_method, .backend = b, .workers = 2 };
      PlabPool *pool;
      size_t n = 500;
      Squares sq = squares_new (&ctx, n, 10, TRUE);
      PlabMapReport report;

      ctx.fail_item = 123;
      g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
      g_assert_cmpint (plab_pool_map (pool, &sq.map, &report), ==, PLAB_ETASK);
      g_assert_cmpuint (report.n_failed, ==, 1);
      g_assert_cmpuint (report.first_failed, ==, 123);
      g_assert_cmpint (report.first_error, ==, PLAB_ETASK);
      g_assert_cmpint (report.first_task_code, ==, PLAB_EINVAL);
      g_assert_cmpint (sq.status[123], ==, PLAB_ETASK);
      g_assert_cmpint (sq.task_codes[123], ==, PLAB_EINVAL);
      g_assert_cmpint (sq.status[122], ==, 0);
      g_assert_cmpint (sq.task_codes[122], ==, 0);
      check_squares (sq.results, n, 123);
      plab_pool_free (pool);
      squares_free (&sq);
    }
}

/* A task's own value that happens to be a library code (-4 reads as
 * PLAB_ETIMEDOUT, -5 as PLAB_ECRASHED) stays the task's: the item's status
 * is PLAB_ETASK and its task code says what it returned, on every backend,
 * as for futures and imap. */
static void
test_task_codes_apart (void)
{
  static const int codes[] = { PLAB_ETIMEDOUT, PLAB_ECRASHED, PLAB_ECANCELLED, 7 };

  for (int b = 0; b < PLAB_N_BACKENDS; b++)
    for (size_t c = 0; c < G_N_ELEMENTS (codes); c++)
      {
        Ctx ctx = no_faults;
        PlabPoolOptions opts = { .start_method = test_start_method, .backend = b, .workers = 2 };
        PlabPool *pool;
        size_t n = 64;
        Squares sq = squares_new (&ctx, n, 4, TRUE);
        PlabMapReport report;

        ctx.fail_item = 17;
        ctx.fail_code = codes[c];
        g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
        g_assert_cmpint (plab_pool_map (pool, &sq.map, &report), ==, PLAB_ETASK);
        g_assert_cmpuint (report.n_failed, ==, 1);
        g_assert_cmpuint (report.n_crashes, ==, 0);
        g_assert_cmpuint (report.first_failed, ==, 17);
        g_assert_cmpint (report.first_error, ==, PLAB_ETASK);
        g_assert_cmpint (report.first_task_code, ==, codes[c]);
        g_assert_nonnull (strstr (report.message, "returned"));
        for (size_t i = 0; i < n; i++)
          {
            g_assert_cmpint (sq.status[i], ==, i == 17 ? PLAB_ETASK : 0);
            g_assert_cmpint (sq.task_codes[i], ==, i == 17 ? codes[c] : 0);
          }
        check_squares (sq.results, n, 17);
        g_assert_cmpint (plab_pool_state (pool), ==, PLAB_POOL_RUNNING);
        plab_pool_free (pool);
        squares_free (&sq);
      }
}

/* A crashing item on the processes backend fails alone; the rest complete. */
static void
crash_case (Ctx ctx, int64_t bad, int expect_signal, size_t chunk)
{
  PlabTrace *trace = plab_trace_new ();
  PlabPoolOptions opts = { .start_method = test_start_method,
                           .backend = PLAB_BACKEND_PROCESSES,
                           .workers = 2,
                           .trace = trace };
  PlabPool *pool;
  size_t n = 2000;
  Squares sq = squares_new (&ctx, n, chunk, TRUE);
  PlabMapReport report;
  char sig[16];
  int killed_lanes = 0;

  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  g_assert_cmpint (plab_pool_map (pool, &sq.map, &report), ==, PLAB_ETASK);
  g_assert_cmpuint (report.n_failed, ==, 1);
  g_assert_cmpuint (report.n_crashes, ==, 1);
  g_assert_cmpuint (report.first_failed, ==, (size_t)bad);
  g_assert_cmpint (report.first_error, ==, PLAB_ECRASHED);
  g_snprintf (sig, sizeof sig, "signal %d", expect_signal);
  g_assert_nonnull (strstr (report.message, sig));
  g_assert_nonnull (strstr (report.message, "pid "));
  g_assert_cmpint (sq.status[bad], ==, PLAB_ECRASHED);
  check_squares (sq.results, n, bad);
  for (size_t i = 0; i < n; i++)
    if ((int64_t)i != bad)
      g_assert_cmpint (sq.status[i], ==, 0);

  /* The dead worker's lane says how it died, and a replacement lane exists. */
  g_assert_cmpint (plab_trace_n_lanes (trace), ==, 1 + 2 + 1);
  for (int l = 1; l < plab_trace_n_lanes (trace); l++)
    {
      PlabLaneInfo info;
      plab_trace_get_lane (trace, l, &info);
      if (info.end == PLAB_LANE_KILLED)
        {
          killed_lanes++;
          g_assert_cmpint (info.exit_signal, ==, expect_signal);
        }
    }
  g_assert_cmpint (killed_lanes, ==, 1);
  g_assert_cmpint (plab_pool_workers (pool), ==, 2);

  /* The pool is still usable after the crash. */
  ctx.crash_item = ctx.abort_item = -1;
  memset (sq.results, 0, n * 8);
  sq.map.user_data = &no_faults;
  g_assert_cmpint (plab_pool_map (pool, &sq.map, &report), ==, 0);
  check_squares (sq.results, n, -1);

  plab_pool_free (pool);
  plab_trace_free (trace);
  squares_free (&sq);
}

static void
test_crash_segfault (void)
{
  Ctx ctx = no_faults;
  ctx.crash_item = 5;
  crash_case (ctx, 5, SIGSEGV, 0);
  crash_case (ctx, 5, SIGSEGV, 1);
  crash_case (ctx, 5, SIGSEGV, 100);
}

static void
test_crash_abort (void)
{
  Ctx ctx = no_faults;
  ctx.abort_item = 1500;
  crash_case (ctx, 1500, SIGABRT, 0);
}

typedef struct
{
  PlabPool *pool;
  volatile gint done;
} KillerArgs;

static gpointer
killer_thread (gpointer data)
{
  KillerArgs *k = data;
  gboolean killed = FALSE;
  int pids[4];

  /* Wait for the slow item to start (slowly under valgrind), then kill -9
   * exactly the worker that runs it. */
  int64_t give_up = plab_now_ns () + (SLOW_ITEM_MS - 10000) * 1000000LL;

  while (!killed && plab_now_ns () < give_up)
    {
      int n;

      g_usleep (50000);
      n = plab_pool_worker_pids (k->pool, pids, 4);
      for (int i = 0; i < n && !killed; i++)
        {
          char path[64];
          gchar *contents = NULL;
          g_snprintf (path, sizeof path, "/proc/%d/wchan", pids[i]);
          /* The slow item waits in poll; the other worker sleeps between items
           * in nanosleep or waits in futex. */
          if (g_file_get_contents (path, &contents, NULL, NULL)
              && strstr (contents, "poll") != NULL)
            {
              kill (pids[i], SIGKILL);
              killed = TRUE;
            }
          g_free (contents);
        }
    }
  g_atomic_int_set (&k->done, 1);
  return NULL;
}

static void
test_kill_minus_nine_from_outside (void)
{
  Ctx ctx = no_faults;
  PlabPoolOptions opts
      = { .start_method = test_start_method, .backend = PLAB_BACKEND_PROCESSES, .workers = 2 };
  PlabPool *pool;
  size_t n = 200;
  Squares sq = squares_new (&ctx, n, 1, FALSE);
  PlabMapReport report;
  KillerArgs k = { 0 };
  pthread_t th;
  int64_t t0;

  ctx.slow_item = 3;
  ctx.sleep_us = 1000;
  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  k.pool = pool;
  /* Detached: the pool forks a replacement worker while this thread may be
   * finished but not joined, which a forked child would count as leaked. */
  g_assert_cmpint (pthread_create (&th, NULL, (void *(*)(void *))killer_thread, &k), ==, 0);
  pthread_detach (th);
  t0 = plab_now_ns ();
  g_assert_cmpint (plab_pool_map (pool, &sq.map, &report), ==, PLAB_ETASK);
  /* Less than the slow item would have taken had its worker not been
   * killed: the direction, not the speed. */
  g_assert_cmpint (plab_now_ns () - t0, <, SLOW_ITEM_MS * 1000000LL);
  while (!g_atomic_int_get (&k.done))
    g_usleep (1000);
  g_assert_cmpuint (report.n_failed, ==, 1);
  g_assert_cmpuint (report.first_failed, ==, 3);
  g_assert_nonnull (strstr (report.message, "signal 9"));
  check_squares (sq.results, n, 3);
  plab_pool_free (pool);
  squares_free (&sq);
}

static void
test_every_item_crashes (void)
{
  Ctx ctx = no_faults;
  PlabPoolOptions opts
      = { .start_method = test_start_method, .backend = PLAB_BACKEND_PROCESSES, .workers = 2 };
  PlabPool *pool;
  int64_t items[6] = { 7, 7, 7, 7, 7, 7 };
  int64_t results[6];
  PlabMap map = { .func = square,
                  .user_data = &ctx,
                  .user_data_size = sizeof ctx,
                  .items = items,
                  .item_size = 8,
                  .n_items = 6,
                  .results = results,
                  .result_size = 8,
                  .chunk_size = 2 };
  PlabMapReport report;

  ctx.crash_item = 7;
  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  g_assert_cmpint (plab_pool_map (pool, &map, &report), ==, PLAB_ETASK);
  g_assert_cmpuint (report.n_failed, ==, 6);
  g_assert_cmpuint (report.n_crashes, ==, 6);
  plab_pool_free (pool);
}

static volatile sig_atomic_t cancel_flag;

static gpointer
cancel_thread (gpointer data)
{
  g_usleep (200000);
  __atomic_store_n (&cancel_flag, 1, __ATOMIC_RELAXED);
  return NULL;
}

static void
test_cancel (void)
{
  for (int b = PLAB_BACKEND_THREADS; b <= PLAB_BACKEND_PROCESSES; b++)
    {
      Ctx ctx = no_faults;
      PlabPoolOptions opts = {
        .start_method = test_start_method, .backend = b, .workers = 2, .cancel = &cancel_flag
      };
      PlabPool *pool;
      size_t n = 100000;
      Squares sq = squares_new (&ctx, n, 1, FALSE);
      int pids[2];
      GThread *th;
      int64_t t0;

      ctx.sleep_us = 1000;
      cancel_flag = 0;
      g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
      int np = plab_pool_worker_pids (pool, pids, 2);
      th = g_thread_new ("cancel", cancel_thread, NULL);
      t0 = plab_now_ns ();
      g_assert_cmpint (plab_pool_map (pool, &sq.map, NULL), ==, PLAB_ECANCELLED);
      /* Cancelled before the items were done: less than the 50 s the 2
       * workers need for 100,000 items of 1 ms, however busy the machine. */
      g_assert_cmpint (plab_now_ns () - t0, <, (int64_t)n * ctx.sleep_us * 1000 / 2);
      g_thread_join (th);
      /* Workers are gone and reaped. */
      for (int i = 0; i < np; i++)
        g_assert_cmpint (kill (pids[i], 0), ==, -1);
      /* A cancelled pool refuses more work. */
      g_assert_cmpint (plab_pool_map (pool, &sq.map, NULL), ==, PLAB_ESTATE);
      plab_pool_free (pool);
      squares_free (&sq);
    }
}

static void
test_lanes_and_spans (void)
{
  PlabTrace *trace = plab_trace_new ();
  PlabPoolOptions opts = { .start_method = test_start_method,
                           .backend = PLAB_BACKEND_PROCESSES,
                           .workers = 2,
                           .trace = trace };
  PlabPool *pool;
  size_t n = 1000;
  Squares sq = squares_new (NULL, n, 10, FALSE);
  PlabLaneInfo a, b;

  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  g_assert_cmpint (plab_pool_map (pool, &sq.map, NULL), ==, 0);
  plab_pool_free (pool);
  g_assert_cmpint (plab_trace_n_lanes (trace), ==, 3);
  plab_trace_get_lane (trace, 1, &a);
  plab_trace_get_lane (trace, 2, &b);
  g_assert_cmpint (a.pid, !=, b.pid);
  g_assert_cmpint (a.pid, !=, getpid ());
  g_assert_cmpstr (a.name, ==, "worker 1");
  g_assert_cmpstr (b.name, ==, "worker 2");
  /* Both lanes say how their worker ended. Freeing the pool gives idle
   * workers a grace period to exit by themselves and kills the rest; a
   * loaded machine (or valgrind's exit-time leak check in the worker) can
   * outlast the grace, so either end is right, as long as it is recorded
   * and says what happened. */
  for (int i = 0; i < 2; i++)
    {
      const PlabLaneInfo *l = i ? &b : &a;

      g_test_message ("%s ended %d (code %d, signal %d)", l->name, l->end, l->exit_code,
                      l->exit_signal);
      g_assert_cmpint (l->end, !=, PLAB_LANE_RUNNING);
      if (l->end == PLAB_LANE_EXITED)
        g_assert_cmpint (l->exit_code, ==, 0);
      else
        g_assert_cmpint (l->exit_signal, ==, SIGKILL);
    }
  plab_trace_free (trace);
  squares_free (&sq);
}

typedef struct
{
  guint tasks[PLAB_N_SPAN_KINDS];
  GHashTable *task_ids;
} SpanCount;

static void
count_spans (void *user_data, const PlabEvent *events, size_t n)
{
  SpanCount *c = user_data;
  for (size_t i = 0; i < n; i++)
    {
      c->tasks[events[i].kind]++;
      if (events[i].kind == PLAB_SPAN_TASK)
        {
          g_assert_cmpint (events[i].end_ns, >=, events[i].start_ns);
          g_hash_table_add (c->task_ids, GINT_TO_POINTER ((int)events[i].task_id + 1));
        }
    }
}

static void
test_task_spans_recorded_by_pool (void)
{
  for (int b = 0; b < PLAB_N_BACKENDS; b++)
    {
      PlabTrace *trace = plab_trace_new ();
      SpanCount c = { { 0 }, g_hash_table_new (NULL, NULL) };
      PlabTraceSink sink = { NULL, count_spans, &c };
      PlabPoolOptions opts
          = { .start_method = test_start_method, .backend = b, .workers = 2, .trace = trace };
      PlabPool *pool;
      size_t n = 5000;
      Squares sq = squares_new (NULL, n, 0, FALSE);

      plab_trace_set_sink (trace, &sink);
      g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
      g_assert_cmpint (plab_pool_map (pool, &sq.map, NULL), ==, 0);
      plab_pool_free (pool);
      plab_trace_drain (trace);
      /* One task span per item, each item once. */
      g_assert_cmpuint (c.tasks[PLAB_SPAN_TASK], ==, n);
      g_assert_cmpuint (g_hash_table_size (c.task_ids), ==, n);
      g_hash_table_unref (c.task_ids);
      plab_trace_free (trace);
      squares_free (&sq);
    }
}

/* With chunk_spans a map records one task span per chunk handed out, each
 * starting at its chunk's first item, and every item still computed once:
 * as many spans as the report's chunks (no retries here), far fewer than
 * items; with chunk_size 1 a span per item again. */
static void
test_chunk_spans (void)
{
  for (int b = 0; b < PLAB_N_BACKENDS; b++)
    for (size_t chunk = 0; chunk <= 1; chunk++)
      {
        PlabTrace *trace = plab_trace_new ();
        SpanCount c = { { 0 }, g_hash_table_new (NULL, NULL) };
        PlabTraceSink sink = { NULL, count_spans, &c };
        PlabPoolOptions opts
            = { .start_method = test_start_method, .backend = b, .workers = 2, .trace = trace };
        PlabPool *pool;
        PlabMapReport report = { 0 };
        size_t n = 5000;
        Squares sq = squares_new (NULL, n, chunk, FALSE);

        sq.map.chunk_spans = true;
        plab_trace_set_sink (trace, &sink);
        g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
        g_assert_cmpint (plab_pool_map (pool, &sq.map, &report), ==, 0);
        plab_pool_free (pool);
        plab_trace_drain (trace);
        check_squares (sq.results, n, -1);
        if (chunk == 1)
          g_assert_cmpuint (c.tasks[PLAB_SPAN_TASK], ==, n);
        else
          {
            g_assert_cmpuint (c.tasks[PLAB_SPAN_TASK], >=, 1);
            g_assert_cmpuint (c.tasks[PLAB_SPAN_TASK], <, n / 4);
            /* The serial backend hands out no chunks: its spans cover 1024 items. */
            if (b != PLAB_BACKEND_SERIAL)
              g_assert_cmpuint (c.tasks[PLAB_SPAN_TASK], ==, report.n_chunks);
            else
              g_assert_cmpuint (c.tasks[PLAB_SPAN_TASK], ==, (n + 1023) / 1024);
          }
        /* Spans are named by distinct first items. */
        g_assert_cmpuint (g_hash_table_size (c.task_ids), ==, c.tasks[PLAB_SPAN_TASK]);
        g_hash_table_unref (c.task_ids);
        plab_trace_free (trace);
        squares_free (&sq);
      }
}

static void
keep_task_spans (void *user_data, const PlabEvent *events, size_t n)
{
  GArray *spans = user_data;

  for (size_t i = 0; i < n; i++)
    if (events[i].kind == PLAB_SPAN_TASK)
      g_array_append_val (spans, events[i]);
}

static int
by_lane_then_start (gconstpointer a, gconstpointer b)
{
  const PlabEvent *x = a, *y = b;

  if (x->lane != y->lane)
    return x->lane < y->lane ? -1 : 1;
  if (x->start_ns != y->start_ns)
    return x->start_ns < y->start_ns ? -1 : 1;
  /* Items of one block may share a start when the block took less than a
   * nanosecond an item: a worker runs them in the order of their ids. */
  return x->task_id < y->task_id ? -1 : x->task_id > y->task_id;
}

/* A map of items too fast to time one by one (their spans share clock
 * reads, a block of items at a time): still one task span per item, each
 * item once, all inside the map's call, and a worker's spans one after the
 * other without overlap, in the order it ran them. */
static void
test_fast_item_spans (void)
{
  for (int b = 0; b < PLAB_N_BACKENDS; b++)
    for (size_t chunk = 0; chunk <= 1; chunk++)
      {
        PlabTrace *trace = plab_trace_new ();
        GArray *spans = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
        PlabTraceSink sink = { NULL, keep_task_spans, spans };
        PlabPoolOptions opts
            = { .start_method = test_start_method, .backend = b, .workers = 2, .trace = trace };
        PlabPool *pool;
        size_t n = 20000;
        Squares sq = squares_new (NULL, n, chunk, FALSE);
        guint8 *seen = g_new0 (guint8, n);
        int64_t t0, t1;

        plab_trace_set_sink (trace, &sink);
        g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
        t0 = plab_now_ns ();
        g_assert_cmpint (plab_pool_map (pool, &sq.map, NULL), ==, 0);
        t1 = plab_now_ns ();
        plab_pool_free (pool);
        plab_trace_drain (trace);
        check_squares (sq.results, n, -1);

        g_assert_cmpuint (spans->len, ==, n);
        g_array_sort (spans, by_lane_then_start);
        for (guint i = 0; i < spans->len; i++)
          {
            const PlabEvent *e = &g_array_index (spans, PlabEvent, i);

            g_assert_cmpint (e->task_id, >=, 0);
            g_assert_cmpint (e->task_id, <, (int64_t)n);
            g_assert_cmpint (seen[e->task_id]++, ==, 0);
            g_assert_cmpint (e->start_ns, >=, t0);
            g_assert_cmpint (e->end_ns, <=, t1);
            g_assert_cmpint (e->end_ns, >=, e->start_ns);
            if (i > 0 && e[-1].lane == e->lane)
              g_assert_cmpint (e[-1].end_ns, <=, e->start_ns);
          }
        g_free (seen);
        g_array_unref (spans);
        plab_trace_free (trace);
        squares_free (&sq);
      }
}

static int
sleep_item (const void *item, void *result, void *user_data)
{
  int64_t ms = *(const int64_t *)item;

  (void)user_data;
  g_usleep ((gulong)ms * 1000);
  *(int64_t *)result = ms;
  return 0;
}

/* Items slower than a clock read by far are timed one by one: items of 1 and
 * 20 ms, one after the other on one worker, each get a span at least as long
 * as the item slept (a block of two would give both 10.5 ms). */
static void
test_slow_item_spans_timed_alone (void)
{
  for (int b = PLAB_BACKEND_THREADS; b <= PLAB_BACKEND_PROCESSES; b++)
    {
      PlabTrace *trace = plab_trace_new ();
      GArray *spans = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
      PlabTraceSink sink = { NULL, keep_task_spans, spans };
      PlabPoolOptions opts
          = { .start_method = test_start_method, .backend = b, .workers = 1, .trace = trace };
      PlabPool *pool;
      enum
      {
        N = 12
      };
      int64_t items[N], results[N];
      PlabMap map = { .func = sleep_item,
                      .items = items,
                      .item_size = sizeof (int64_t),
                      .n_items = N,
                      .results = results,
                      .result_size = sizeof (int64_t),
                      .chunk_size = 1 };

      for (int i = 0; i < N; i++)
        items[i] = i % 2 ? 20 : 1;
      plab_trace_set_sink (trace, &sink);
      g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
      g_assert_cmpint (plab_pool_map (pool, &map, NULL), ==, 0);
      plab_pool_free (pool);
      plab_trace_drain (trace);
      g_assert_cmpuint (spans->len, ==, N);
      for (guint i = 0; i < spans->len; i++)
        {
          const PlabEvent *e = &g_array_index (spans, PlabEvent, i);

          g_assert_cmpint (e->end_ns - e->start_ns, >=, items[e->task_id] * 1000000);
        }
      g_array_unref (spans);
      plab_trace_free (trace);
    }
}

static void
count_all (void *user_data, const PlabEvent *events, size_t n)
{
  *(size_t *)user_data += n;
}

static void
test_serial_long_map_drains (void)
{
  PlabTrace *trace = plab_trace_new ();
  size_t seen = 0;
  PlabTraceSink sink = { NULL, count_all, &seen };
  PlabPoolOptions opts
      = { .start_method = test_start_method, .backend = PLAB_BACKEND_SERIAL, .trace = trace };
  PlabPool *pool;
  size_t n = 300000;
  int64_t *items = make_items (n);
  int64_t *results = g_new0 (int64_t, n);
  Ctx ctx = no_faults;
  PlabMap map = { .func = square,
                  .user_data = &ctx,
                  .items = items,
                  .item_size = 8,
                  .n_items = n,
                  .results = results,
                  .result_size = 8 };
  PlabLaneInfo info;

  /* More items than the main lane's ring holds (PLAB_TRACE_DEFAULT_CAPACITY). */
  g_assert_cmpuint (n, >, PLAB_TRACE_DEFAULT_CAPACITY);
  plab_trace_set_sink (trace, &sink);
  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  g_assert_cmpint (plab_pool_map (pool, &map, NULL), ==, 0);
  plab_pool_free (pool);
  plab_trace_drain (trace);
  plab_trace_get_lane (trace, 0, &info);
  g_assert_cmpuint (info.dropped, ==, 0);
  g_assert_cmpuint (seen, >=, n);
  plab_trace_free (trace);
  g_free (items);
  g_free (results);
}

/* A task that would run for SLOW_ITEM_MS unless its thread's cancel flag
 * goes up: the way a demo's CPU loop stops. */
static int
spin_until_cancelled (const void *item, void *result, void *user_data)
{
  int64_t end = plab_now_ns () + SLOW_ITEM_MS * 1000000LL;
  uint64_t acc = 1;

  memset (result, 0, 8);
  while (plab_now_ns () < end)
    for (int i = 0; i < 4096; i++)
      {
        acc = acc * 6364136223846793005u + 1442695040888963407u;
        __asm__ volatile("" : "+r"(acc));
        if (i == 4095 && plab_checkpoint ())
          return PLAB_ECANCELLED;
      }
  return 0;
}

/* A cancel reaches tasks that are running, on every backend: a thread cannot
 * be killed, so the pool raises the flag its workers watch (the serial
 * backend's thread watches the pool's own flag), and the map ends long
 * before its tasks would have. */
static void
test_cancel_reaches_running_tasks (void)
{
  for (int b = 0; b < PLAB_N_BACKENDS; b++)
    {
      PlabPoolOptions opts = {
        .start_method = test_start_method, .backend = b, .workers = 2, .cancel = &cancel_flag
      };
      PlabPool *pool;
      int64_t items[2] = { 0, 1 }, results[2];
      int status[2];
      PlabMap map = { .func = spin_until_cancelled,
                      .items = items,
                      .item_size = 8,
                      .n_items = 2,
                      .results = results,
                      .result_size = 8,
                      .chunk_size = 1,
                      .status = status };
      GThread *th;
      int64_t t0;

      g_test_message ("%s", plab_backend_name (b));
      cancel_flag = 0;
      g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
      th = g_thread_new ("cancel", cancel_thread, NULL);
      t0 = plab_now_ns ();
      g_assert_cmpint (plab_pool_map (pool, &map, NULL), ==, PLAB_ECANCELLED);
      /* Not waited for: far less than one task's SLOW_ITEM_MS. */
      g_assert_cmpint (plab_now_ns () - t0, <, SLOW_ITEM_MS * 1000000LL / 2);
      g_thread_join (th);
      for (int i = 0; i < 2; i++)
        g_assert_cmpint (status[i], ==, PLAB_ECANCELLED);
      /* The serial thread watches nothing once the map is over. */
      g_assert_false (plab_cancelled ());
      plab_pool_free (pool);
    }
}

/* 0 at program start; 2 when the fork server starts; 3 once the tests run:
 * what a worker reads tells which memory it began from. */
static int64_t global_mark;

static int
read_global_mark (const void *item, void *result, void *user_data)
{
  (void)item;
  (void)user_data;
  *(int64_t *)result = global_mark;
  return 0;
}

static void
opts_bad_method (void)
{
  PlabPoolOptions opts = { .backend = PLAB_BACKEND_PROCESSES, .start_method = 7 };
  PlabPool *pool;

  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, PLAB_EINVAL);
}

static void
test_start_method_workers (void)
{
  static const int64_t expect[PLAB_N_START_METHODS]
      = { [PLAB_START_FORK] = 3, [PLAB_START_SPAWN] = 0, [PLAB_START_FORKSERVER] = 2 };

  for (int m = 0; m < PLAB_N_START_METHODS; m++)
    {
      PlabPoolOptions opts = { .backend = PLAB_BACKEND_PROCESSES, .workers = 2, .start_method = m };
      int64_t items[4] = { 0 }, results[4];
      PlabMap map = { .func = read_global_mark,
                      .items = items,
                      .item_size = 8,
                      .n_items = 4,
                      .results = results,
                      .result_size = 8,
                      .chunk_size = 1 };
      PlabPool *pool;
      int pids[2];
      char path[64];
      char *cmdline = NULL;
      gsize len = 0;

      g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
      g_assert_cmpint (plab_pool_map (pool, &map, NULL), ==, 0);
      for (int i = 0; i < 4; i++)
        g_assert_cmpint (results[i], ==, expect[m]);
      /* Every worker is this process's child, whoever forked it; a spawned
       * one is a fresh run of the program with the spawn flag. */
      g_assert_cmpint (plab_pool_worker_pids (pool, pids, 2), ==, 2);
      g_snprintf (path, sizeof path, "/proc/%d/cmdline", pids[0]);
      g_assert_true (g_file_get_contents (path, &cmdline, &len, NULL));
      g_assert_cmpint (memmem (cmdline, len, "--plab-spawn-child", 18) != NULL, ==,
                       m == PLAB_START_SPAWN);
      g_free (cmdline);
      plab_pool_free (pool);
      for (int i = 0; i < 2; i++)
        g_assert_cmpint (waitpid (pids[i], NULL, WNOHANG), ==, -1);
    }
  opts_bad_method ();
}

/* One pool's map and futures, recording into @trace or not (@on): items
 * 0 .. @n - 1 with item @n / 2 failing, then @n futures. Fills @sq's results
 * and statuses and @futs with the futures' results. */
static void
run_traced_or_not (PlabTrace *trace, bool on, int backend, Squares *sq, int64_t *futs, size_t n)
{
  PlabPoolOptions opts = { .backend = backend, .workers = 2, .trace = trace };
  PlabPool *pool;
  PlabFuture **f = g_new0 (PlabFuture *, n);

  /* Forked workers take the switch with them: set it before the pool. */
  plab_trace_set_enabled (on);
  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  g_assert_cmpint (plab_pool_map (pool, &sq->map, NULL), ==, PLAB_ETASK);
  for (size_t i = 0; i < n; i++)
    {
      int64_t x = (int64_t)i;
      PlabTask task
          = { .func = square, .arg = &x, .arg_size = sizeof x, .result_size = sizeof (int64_t) };

      g_assert_cmpint (plab_pool_submit (pool, &task, &f[i]), ==, 0);
    }
  for (size_t i = 0; i < n; i++)
    {
      g_assert_cmpint (plab_future_result (f[i], &futs[i], -1), ==, 0);
      plab_future_free (f[i]);
    }
  plab_pool_free (pool);
  plab_trace_drain (trace);
  plab_trace_set_enabled (true);
  g_free (f);
}

/* Recording changes nothing but the recording: a map (chunk 1 and the
 * automatic chunk) and a batch of futures give the same results and
 * statuses with tracing on and off, on every backend. With it on, every
 * item and every future is one task span, map after map on the same trace
 * (the lanes' rings are reused), and nothing is dropped; with it off there
 * is none. */
static void
test_trace_on_off_same (void)
{
  static Ctx fail_half = { -1, -1, 1000, -1, 0 };

  for (int b = 0; b < PLAB_N_BACKENDS; b++)
    for (size_t chunk = 0; chunk <= 1; chunk++)
      {
        PlabTrace *trace = plab_trace_new ();
        SpanCount c = { { 0 }, g_hash_table_new (NULL, NULL) };
        PlabTraceSink sink = { NULL, count_spans, &c };
        size_t n = 2000;
        Squares on = squares_new (&fail_half, n, chunk, TRUE);
        Squares off = squares_new (&fail_half, n, chunk, TRUE);
        int64_t *futs_on = g_new0 (int64_t, n), *futs_off = g_new0 (int64_t, n);
        guint after_first;

        g_test_message ("%s, chunk %zu", plab_backend_name (b), chunk);
        plab_trace_set_sink (trace, &sink);
        run_traced_or_not (trace, true, b, &on, futs_on, n);
        after_first = c.tasks[PLAB_SPAN_TASK];
        g_assert_cmpuint (after_first, ==, 2 * n);
        run_traced_or_not (trace, false, b, &off, futs_off, n);
        g_assert_cmpuint (c.tasks[PLAB_SPAN_TASK], ==, after_first);
        g_assert_cmpmem (on.results, n * sizeof (int64_t), off.results, n * sizeof (int64_t));
        g_assert_cmpmem (on.status, n * sizeof (int), off.status, n * sizeof (int));
        g_assert_cmpmem (futs_on, n * sizeof (int64_t), futs_off, n * sizeof (int64_t));
        check_squares (on.results, n, 1000);
        g_assert_cmpint (on.status[1000], ==, PLAB_ETASK);
        g_assert_cmpint (on.task_codes[1000], ==, PLAB_EINVAL);
        for (size_t i = 0; i < n; i++)
          g_assert_cmpint (futs_on[i], ==, (int64_t)(i * i));

        /* Again on the same trace: the same count, so nothing is lost when
         * a new pool's lanes take over rings of the last. */
        run_traced_or_not (trace, true, b, &on, futs_on, n);
        g_assert_cmpuint (c.tasks[PLAB_SPAN_TASK], ==, 2 * after_first);
        for (int l = 0; l < plab_trace_n_lanes (trace); l++)
          {
            PlabLaneInfo lane;

            g_assert_cmpint (plab_trace_get_lane (trace, l, &lane), ==, 0);
            g_assert_cmpuint (lane.dropped, ==, 0);
          }
        g_hash_table_unref (c.task_ids);
        plab_trace_free (trace);
        squares_free (&on);
        squares_free (&off);
        g_free (futs_on);
        g_free (futs_off);
      }
}

int
main (int argc, char **argv)
{
  plab_spawn_main (argc, argv);
  global_mark = 2;
  g_assert_cmpint (plab_forkserver_start (), ==, 0);
  global_mark = 3;
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/pool/start-method-workers", test_start_method_workers);
  g_test_add_func ("/plab/pool/backend-names", test_backend_names);
  start_test_add ("plab/pool", "every-backend-and-chunk", test_every_backend_and_chunk);
  start_test_add ("plab/pool", "more-workers-than-items", test_more_workers_than_items);
  start_test_add ("plab/pool", "growing-arena", test_growing_arena);
  start_test_add ("plab/pool", "task-error-per-item", test_task_error_per_item);
  start_test_add ("plab/pool", "task-codes-apart", test_task_codes_apart);
  start_test_add ("plab/pool", "crash-segfault", test_crash_segfault);
  start_test_add ("plab/pool", "crash-abort", test_crash_abort);
  start_test_add ("plab/pool", "kill-9-from-outside", test_kill_minus_nine_from_outside);
  start_test_add ("plab/pool", "every-item-crashes", test_every_item_crashes);
  start_test_add ("plab/pool", "cancel", test_cancel);
  start_test_add ("plab/pool", "cancel-reaches-running-tasks", test_cancel_reaches_running_tasks);
  start_test_add ("plab/pool", "lanes", test_lanes_and_spans);
  start_test_add ("plab/pool", "task-spans", test_task_spans_recorded_by_pool);
  start_test_add ("plab/pool", "chunk-spans", test_chunk_spans);
  start_test_add ("plab/pool", "fast-item-spans", test_fast_item_spans);
  start_test_add ("plab/pool", "slow-item-spans-timed-alone", test_slow_item_spans_timed_alone);
  g_test_add_func ("/plab/pool/serial-long-map-drains", test_serial_long_map_drains);
  g_test_add_func ("/plab/pool/trace-on-off-same", test_trace_on_off_same);
  return g_test_run ();
}
