/* Fix a lost-update race with an atomic: the race of race-lock, fixed
 * without a lock by one atomic read-modify-write. */
#include <plab.h>

#define INCREMENTS 20000

typedef struct
{
  PlabShared *counter; /* one int64_t, shared by the worker processes */
  int64_t step;
} Job;

static int
worker (void *arg)
{
  Job *job = arg;
  volatile int64_t *counter = plab_shared_data (job->counter);
  int64_t t0 = plab_now_ns ();

  for (int i = 0; i < INCREMENTS; i++)
    {
      /* SOLUTION BEGIN: TODO 1: two workers can read the same value here and both write
       * value + step: one update is lost. Make the read-modify-write one
       * atomic operation (__atomic_fetch_add (), or <stdatomic.h>), without
       * a lock: the check measures the speed against an atomic reference. */
      __atomic_fetch_add (counter, job->step, __ATOMIC_RELAXED);
      /* SOLUTION ELSE */
      *counter = plab_exercise_slow_add (*counter, job->step);
      /* SOLUTION END */
    }
  plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), 0, "increments");
  return 0;
}

static int
solve (PlabExercise *ex)
{
  int workers = plab_exercise_workers (ex), rc;
  Job job = { .counter = plab_shared_new ("counter", sizeof (int64_t), false),
              .step = 1 + (int64_t)(plab_exercise_seed (ex) % 7) };
  PlabProcess *procs[64];

  if (job.counter == NULL)
    return 1;
  rc = plab_exercise_start_workers (ex, "worker", worker, &job, 0, workers, procs);
  rc |= plab_exercise_join_workers (procs, workers);
  plab_exercise_answer (ex, "count", (double)*(int64_t *)plab_shared_data (job.counter));
  plab_shared_free (job.counter);
  return rc != 0;
}

int
main (int argc, char **argv)
{
  return plab_exercise_main ("race-atomic", argc, argv, solve);
}
