/* bench-core.c: what the core library costs, next to the raw POSIX equivalent.
 *
 * A benchmark, not a test: it measures on the machine at hand and prints the
 * figures (--json for a machine-readable line). Nothing here asserts a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"

typedef struct
{
  const char *name;
  double plab;
  double raw;
  const char *unit;
} Figure;

static Figure figures[16];
static int n_figures;

static void
add (const char *name, double plab, double raw, const char *unit)
{
  figures[n_figures++] = (Figure){ name, plab, raw, unit };
}

static double
seconds_since (int64_t t0)
{
  return (double)(plab_now_ns () - t0) / 1e9;
}

static void
bench_span_cost (void)
{
  enum
  {
    BATCH = 100000,
    ROUNDS = 50
  };
  PlabTrace *trace = plab_trace_new ();
  int64_t recording = 0, clocks = 0;
  volatile int64_t sink = 0;

  for (int r = 0; r < ROUNDS; r++)
    {
      int64_t t0 = plab_now_ns ();
      for (int i = 0; i < BATCH; i++)
        {
          int64_t s = plab_now_ns ();
          plab_span (PLAB_SPAN_TASK, s, plab_now_ns (), i, "x*x");
        }
      recording += plab_now_ns () - t0;
      plab_trace_drain (trace);

      /* The same two clock reads without the store. */
      t0 = plab_now_ns ();
      for (int i = 0; i < BATCH; i++)
        {
          int64_t s = plab_now_ns ();
          sink += plab_now_ns () - s;
        }
      clocks += plab_now_ns () - t0;
    }
  add ("record one span (2 clock reads + store)", (double)recording / (BATCH * ROUNDS),
       (double)clocks / (BATCH * ROUNDS), "ns");
  plab_trace_free (trace);
}

static int
nothing (void *arg)
{
  return 0;
}

static void
bench_process_start (void)
{
  enum
  {
    N = 300
  };
  int64_t t0 = plab_now_ns ();
  double plab_s, raw_s;

  for (int i = 0; i < N; i++)
    {
      PlabProcess *p = plab_process_new ("p", nothing, NULL);
      plab_process_start (p);
      plab_process_join (p, -1, NULL);
      plab_process_free (p);
    }
  plab_s = seconds_since (t0);
  t0 = plab_now_ns ();
  for (int i = 0; i < N; i++)
    {
      pid_t pid = fork ();
      if (pid == 0)
        _exit (0);
      waitpid (pid, NULL, 0);
    }
  raw_s = seconds_since (t0);
  add ("process start + join", plab_s / N * 1e6, raw_s / N * 1e6, "us");
}

static int
square (const void *item, void *result, void *user_data)
{
  int64_t x = *(const int64_t *)item;
  *(int64_t *)result = x * x;
  return 0;
}

static void
bench_pool_map (size_t chunk, const char *name)
{
  enum
  {
    N = 100000
  };
  PlabPoolOptions opts = { .backend = PLAB_BACKEND_PROCESSES, .workers = 2 };
  PlabPool *pool;
  int64_t *items = malloc (N * sizeof *items);
  int64_t *results = malloc (N * sizeof *results);
  PlabMap map = { .func = square,
                  .items = items,
                  .item_size = 8,
                  .n_items = N,
                  .results = results,
                  .result_size = 8,
                  .chunk_size = chunk };
  double best = 1e9;

  for (int i = 0; i < N; i++)
    items[i] = i;
  plab_pool_new (&opts, &pool);
  for (int r = 0; r < 5; r++)
    {
      int64_t t0 = plab_now_ns ();
      plab_pool_map (pool, &map, NULL);
      double s = seconds_since (t0);
      if (s < best)
        best = s;
    }
  plab_pool_free (pool);
  add (name, N / best / 1e6, 0, "M tasks/s");
  free (items);
  free (results);
}

int
main (int argc, char **argv)
{
  int json = argc > 1 && strcmp (argv[1], "--json") == 0;
  PlabMachineInfo m;

  bench_span_cost ();
  bench_process_start ();
  bench_pool_map (1, "pool map x*x, 100000 items, 2 processes, chunk 1");
  bench_pool_map (0, "pool map x*x, 100000 items, 2 processes, auto chunk");

  plab_machine_info (&m);
  if (json)
    {
      printf ("{\"machine\": {\"cpu\": \"%s\", \"usable_cpus\": %d}, \"figures\": [", m.cpu_model,
              m.usable_cpus);
      for (int i = 0; i < n_figures; i++)
        printf ("%s{\"name\": \"%s\", \"plab\": %.3f, \"raw\": %.3f, \"unit\": \"%s\"}",
                i ? ", " : "", figures[i].name, figures[i].plab, figures[i].raw, figures[i].unit);
      printf ("]}\n");
      return 0;
    }
  printf ("machine: %s, %d usable CPUs\n", m.cpu_model, m.usable_cpus);
  printf ("%-55s %12s %12s %8s\n", "workload", "plab", "raw POSIX", "ratio");
  for (int i = 0; i < n_figures; i++)
    {
      if (figures[i].raw > 0)
        printf ("%-55s %9.2f %-2s %9.2f %-2s %7.2fx\n", figures[i].name, figures[i].plab,
                figures[i].unit, figures[i].raw, figures[i].unit, figures[i].plab / figures[i].raw);
      else
        printf ("%-55s %9.2f %s\n", figures[i].name, figures[i].plab, figures[i].unit);
    }
  return 0;
}
