/* chunk-size: the reference solution. */
#include <plab.h>
#include <stdio.h>

#define N_ITEMS 40000

/* A tiny task: less work than handing it to a worker costs. */
static int
square (const void *item, void *result, void *user_data)
{
  uint64_t x = *(const uint64_t *)item, h = x;

  for (int r = 0; r < 200; r++)
    h = (h * x + r) % 1000003;
  *(uint64_t *)result = h;
  return 0;
}

static int
solve (PlabExercise *ex)
{
  static uint64_t items[N_ITEMS], results[N_ITEMS];
  PlabPool *pool = NULL;
  PlabMapReport report;
  double sum = 0;
  int rc;

  for (int i = 0; i < N_ITEMS; i++)
    items[i] = plab_exercise_random (plab_exercise_seed (ex), i) % 1000000;

  PlabPoolOptions options = { .backend = PLAB_BACKEND_PROCESSES,
                              .workers = plab_exercise_workers (ex),
                              .trace = plab_exercise_trace (ex) };
  PlabMap map = { .func = square,
                  .items = items,
                  .item_size = sizeof items[0],
                  .n_items = N_ITEMS,
                  .results = results,
                  .result_size = sizeof results[0],
                  .chunk_spans = true,
                  .chunk_size = N_ITEMS / 8 / plab_exercise_workers (ex) };
  rc = plab_pool_new (&options, &pool);
  if (rc == 0)
    rc = plab_pool_map (pool, &map, &report);
  plab_pool_free (pool);
  if (rc != 0)
    {
      fprintf (stderr, "pool map: %s\n", plab_strerror (rc));
      return 1;
    }

  for (int i = 0; i < N_ITEMS; i++)
    sum += (double)results[i];
  plab_exercise_answer (ex, "sum", sum);
  return 0;
}

int
main (int argc, char **argv)
{
  return plab_exercise_main ("chunk-size", argc, argv, solve);
}
