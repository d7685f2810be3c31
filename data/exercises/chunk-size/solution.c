/* Choose a chunk size for tiny tasks: 40000 items, each less work than
 * handing it to a worker costs. */
#include <plab.h>

#define N_ITEMS 40000

/* A tiny task: a square modulo a prime, 200 times. */
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
  int workers = plab_exercise_workers (ex);
  double sum = 0;

  for (int i = 0; i < N_ITEMS; i++)
    items[i] = plab_exercise_random (plab_exercise_seed (ex), i) % 1000000;

  /* SOLUTION BEGIN: TODO 1: one item per hand-over costs far more than the
   * item. Choose a chunk size so that each task (one span on the timeline)
   * holds thousands of items. */
  int chunk_size = N_ITEMS / 8 / workers;
  /* SOLUTION ELSE */
  int chunk_size = 1;
  /* SOLUTION END */
  PlabMap map = { .func = square,
                  .items = items,
                  .item_size = sizeof items[0],
                  .n_items = N_ITEMS,
                  .results = results,
                  .result_size = sizeof results[0],
                  .chunk_spans = true,
                  .chunk_size = chunk_size };
  if (plab_exercise_map (ex, PLAB_BACKEND_PROCESSES, workers, &map) != 0)
    return 1;

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
