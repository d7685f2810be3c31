/* Measure a serial fraction and predict the speedup: a serial part whose
 * length depends on the input, then a parallel part of TASKS tasks. */
#include <plab.h>

#define TASKS 16

/* CPU work of about @ms milliseconds (the same amount every time). */
static uint64_t
spin (int64_t ms)
{
  volatile uint64_t h = 1;

  for (int64_t r = 0; r < ms * 300000; r++)
    h = h * 6364136223846793005ULL + 1442695040888963407ULL;
  return h;
}

static int
task (const void *item, void *result, void *user_data)
{
  *(uint64_t *)result = spin (*(const int64_t *)item);
  return 0;
}

/* The parallel part: TASKS tasks of @task_ms each on @workers workers. */
static int
parallel_part (PlabExercise *ex, int workers, int64_t task_ms)
{
  static int64_t items[TASKS];
  static uint64_t results[TASKS];
  PlabMap map = { .func = task,
                  .items = items,
                  .item_size = sizeof items[0],
                  .n_items = TASKS,
                  .results = results,
                  .result_size = sizeof results[0],
                  .chunk_size = 1 };

  for (int i = 0; i < TASKS; i++)
    items[i] = task_ms;
  return plab_exercise_map (ex, PLAB_BACKEND_PROCESSES, workers, &map);
}

/* The serial part: the main lane alone. */
static void
serial_part (int64_t ms)
{
  int64_t t0 = plab_now_ns ();

  spin (ms);
  plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), 0, "serial part");
}

static int
solve (PlabExercise *ex)
{
  int workers = plab_exercise_workers (ex);
  int64_t serial_ms = 40 + (int64_t)(plab_exercise_seed (ex) % 80);
  int64_t task_ms = 10;
  int64_t t0, t1, t2;
  double f, predicted;

  /* SOLUTION BEGIN: TODO 1: measure, with plab_now_ns (), how long serial_part (serial_ms)
   * and parallel_part (ex, 1, task_ms) take on one worker, and compute the
   * serial fraction f: the serial part's share of the whole time. */
  /* Measure on one worker: the serial part, then the parallel part. */
  t0 = plab_now_ns ();
  serial_part (serial_ms);
  t1 = plab_now_ns ();
  if (parallel_part (ex, 1, task_ms) != 0)
    return 1;
  t2 = plab_now_ns ();
  f = (double)(t1 - t0) / (double)(t2 - t0);
  /* SOLUTION ELSE */
  t0 = t1 = t2 = 0;
  serial_part (serial_ms);
  f = 0;
  (void)t0, (void)t1, (void)t2;
  /* SOLUTION END */

  /* SOLUTION BEGIN: TODO 2: predict the speedup on `workers` workers with Amdahl's law. */
  /* Amdahl's law: the serial fraction stays, the rest divides by the workers. */
  predicted = 1.0 / (f + (1.0 - f) / workers);
  /* SOLUTION ELSE */
  predicted = workers;
  /* SOLUTION END */

  plab_exercise_answer (ex, "f", f);
  plab_exercise_answer (ex, "predicted", predicted);
  return parallel_part (ex, workers, task_ms) != 0;
}

int
main (int argc, char **argv)
{
  return plab_exercise_main ("amdahl", argc, argv, solve);
}
