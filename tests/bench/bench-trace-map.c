/* bench-trace-map.c: warm-pool maps of x*x over 100,000 items on two
 * processes, tracing on or off, for a profiler to look at one case alone.
 *
 *   build/tests/bench/bench-trace-map ON CHUNK MAPS
 *
 * ON is 1 or 0, CHUNK the map's chunk size (0: measured), MAPS how many maps
 * one pool makes. Prints the best and the mean time of the maps after the
 * first, and the task spans a counting sink saw. `plab bench core` measures
 * the same maps side by side (trace_map_chunk1, trace_map_auto).
 */
#include <stdio.h>
#include <stdlib.h>

#include "plab.h"

#define ITEMS 100000

static int
square (const void *item, void *result, void *user_data)
{
  int64_t x = *(const int64_t *)item;

  (void)user_data;
  *(int64_t *)result = x * x;
  return 0;
}

static void
count_cb (void *user_data, const PlabEvent *events, size_t n_events)
{
  size_t *tasks = user_data;

  for (size_t i = 0; i < n_events; i++)
    *tasks += events[i].kind == PLAB_SPAN_TASK;
}

int
main (int argc, char **argv)
{
  static int64_t items[ITEMS], results[ITEMS];
  size_t tasks = 0;
  PlabTrace *trace;
  PlabTraceSink sink = { .events = count_cb, .user_data = &tasks };
  PlabPoolOptions opts = { .backend = PLAB_BACKEND_PROCESSES, .workers = 2 };
  PlabMap map = { .func = square,
                  .items = items,
                  .item_size = sizeof (int64_t),
                  .n_items = ITEMS,
                  .results = results,
                  .result_size = sizeof (int64_t) };
  PlabPool *pool;
  double best = 0, sum = 0;
  int on, maps, rc;

  if (argc != 4 || (maps = atoi (argv[3])) < 2)
    {
      fprintf (stderr, "usage: %s ON CHUNK MAPS (MAPS >= 2)\n", argv[0]);
      return 2;
    }
  on = atoi (argv[1]) != 0;
  map.chunk_size = (size_t)atol (argv[2]);
  for (size_t i = 0; i < ITEMS; i++)
    items[i] = (int64_t)i;
  trace = plab_trace_new ();
  if (trace == NULL)
    return 1;
  plab_trace_set_sink (trace, &sink);
  opts.trace = trace;
  /* Workers inherit the switch when they are forked: set it before the pool. */
  plab_trace_set_enabled (on);
  rc = plab_pool_new (&opts, &pool);
  for (int k = 0; rc == 0 && k < maps; k++)
    {
      int64_t t0 = plab_now_ns ();
      double ms;

      rc = plab_pool_map (pool, &map, NULL);
      ms = (double)(plab_now_ns () - t0) / 1e6;
      /* The first map is the fresh pool's: left out. */
      if (k > 0)
        {
          sum += ms;
          if (best == 0 || ms < best)
            best = ms;
        }
    }
  if (rc == 0)
    plab_pool_free (pool);
  plab_trace_drain (trace);
  plab_trace_free (trace);
  if (rc != 0)
    {
      fprintf (stderr, "plab_pool_map: %s\n", plab_strerror (rc));
      return 1;
    }
  printf ("tracing %s, chunk %zu: best %.2f ms, mean %.2f ms of %d maps, %zu task spans\n",
          on ? "on" : "off", map.chunk_size, best, sum / (maps - 1), maps - 1, tasks);
  return 0;
}
