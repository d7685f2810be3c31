/* pool-map.c: square 100000 numbers on 2 worker processes and record the run
 * in the lab's run store, so that `plab show last` shows it.
 *
 *   cc -o pool-map pool-map.c $(pkg-config --cflags --libs plab)
 */
#include <plab.h>
#include <stdio.h>
#include <stdlib.h>

static int
square (const void *item, void *result, void *user_data)
{
  int64_t x = *(const int64_t *)item;

  *(int64_t *)result = x * x;
  return 0;
}

int
main (void)
{
  enum
  {
    N = 100000
  };
  static int64_t items[N], results[N];
  PlabTrace *trace = plab_trace_new ();
  PlabStore *store = NULL;
  PlabTraceSink sink;
  PlabPool *pool = NULL;
  PlabMapReport report;
  int64_t run_id, t0;
  int rc;

  for (int i = 0; i < N; i++)
    items[i] = i;

  /* Record into the lab's run store, so that `plab show last` finds the run. */
  char *path = plab_store_default_path ();
  rc = plab_store_open (path, PLAB_STORE_READ_WRITE, &store);
  if (rc != 0)
    {
      fprintf (stderr, "%s: %s\n", path, plab_strerror (rc));
      return 1;
    }
  PlabRunSpec spec = { .demo = "my-squares",
                       .backend = "processes",
                       .workers = 2,
                       .origin_ns = plab_trace_origin_ns (trace) };
  plab_store_begin_run (store, &spec, &run_id);
  plab_store_sink_init (store, run_id, &sink);
  plab_trace_set_sink (trace, &sink);

  PlabPoolOptions options = { .backend = PLAB_BACKEND_PROCESSES, .workers = 2, .trace = trace };
  PlabMap map = { .func = square,
                  .items = items,
                  .item_size = sizeof items[0],
                  .n_items = N,
                  .results = results,
                  .result_size = sizeof results[0] };
  t0 = plab_now_ns ();
  rc = plab_pool_new (&options, &pool);
  if (rc == 0)
    rc = plab_pool_map (pool, &map, &report);
  plab_pool_free (pool);
  plab_trace_drain (trace);

  PlabRunOutcome outcome
      = { .status = rc == 0 ? PLAB_RUN_OK : PLAB_RUN_FAILED,
          .wall_ns = plab_now_ns () - t0,
          .check_ok = rc == 0,
          .check_message = rc == 0 ? "all squares computed" : plab_strerror (rc) };
  plab_store_finish_run (store, run_id, &outcome);
  printf ("run %lld: 99999^2 = %lld (%s)\n", (long long)run_id, (long long)results[N - 1],
          plab_strerror (rc));

  plab_trace_free (trace);
  plab_store_close (store);
  free (path);
  return rc == 0 ? 0 : 1;
}
