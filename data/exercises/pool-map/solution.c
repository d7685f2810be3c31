/* Parallelise a loop with a pool map: 64 items of a few milliseconds each,
 * run over a pool of worker processes instead of one after another. */
#include <plab.h>
#include <stdio.h>

#define N_ITEMS 64
#define ROUNDS 2000000

/* The work of one item: a few milliseconds of arithmetic. */
static int
work (const void *item, void *result, void *user_data)
{
  uint64_t h = *(const uint64_t *)item;

  for (int r = 0; r < ROUNDS; r++)
    h = h * 6364136223846793005ULL + 1442695040888963407ULL;
  *(uint64_t *)result = h >> 40;
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
    items[i] = plab_exercise_random (plab_exercise_seed (ex), i);

  /* SOLUTION BEGIN: TODO 1: this loop runs every item on the main lane, one after another.
   * Run work () on the items with a pool instead: plab_pool_new () with
   * PlabPoolOptions { .backend = PLAB_BACKEND_PROCESSES, .workers =
   * plab_exercise_workers (ex), .trace = plab_exercise_trace (ex) }, then
   * plab_pool_map () with a PlabMap of items and results, and plab_pool_free (). */
  PlabPoolOptions options = { .backend = PLAB_BACKEND_PROCESSES,
                              .workers = plab_exercise_workers (ex),
                              .trace = plab_exercise_trace (ex) };
  PlabMap map = { .func = work,
                  .items = items,
                  .item_size = sizeof items[0],
                  .n_items = N_ITEMS,
                  .results = results,
                  .result_size = sizeof results[0],
                  .chunk_size = 1 };
  rc = plab_pool_new (&options, &pool);
  if (rc == 0)
    rc = plab_pool_map (pool, &map, &report);
  plab_pool_free (pool);
  /* SOLUTION ELSE */
  rc = 0;
  for (int i = 0; i < N_ITEMS; i++)
    {
      int64_t t0 = plab_now_ns ();

      work (&items[i], &results[i], NULL);
      plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), i, "item");
    }
  (void)pool;
  (void)report;
  /* SOLUTION END */
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
  return plab_exercise_main ("pool-map", argc, argv, solve);
}
