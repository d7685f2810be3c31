/* race-atomic: your solution. Fill in the places marked TODO; `plab exercise check
 * race-atomic` builds it, runs it beside the reference and says what it sees. */
#include <plab.h>
#include <stdio.h>

#define INCREMENTS 20000

typedef struct
{
  PlabShared *counter; /* one int64_t, shared by the worker processes */
  int64_t step;
} Job;

/* A slow read-modify-write: the gap between reading and writing is where
 * another worker's update gets lost. */
static int64_t
add_slowly (int64_t value, int64_t step)
{
  volatile int64_t v = value;

  for (int spin = 0; spin < 3000; spin++)
    v = v + 0;
  return v + step;
}

static int
worker (void *arg)
{
  Job *job = arg;
  volatile int64_t *counter = plab_shared_data (job->counter);
  int64_t t0 = plab_now_ns ();

  for (int i = 0; i < INCREMENTS; i++)
    {
      /* TODO 1: two workers can read the same value here and both write
       * value + step: one update is lost. Make the read-modify-write one
       * atomic operation (__atomic_fetch_add (), or <stdatomic.h>), without
       * a lock: the check measures the speed against an atomic reference. */
      *counter = add_slowly (*counter, job->step);
    }
  plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), 0, "increments");
  return 0;
}

static int
solve (PlabExercise *ex)
{
  int workers = plab_exercise_workers (ex);
  Job job = { .counter = plab_shared_new ("counter", sizeof (int64_t), false),
              .step = 1 + (int64_t)(plab_exercise_seed (ex) % 7) };
  PlabProcess *procs[64];
  int rc = 0;

  if (job.counter == NULL)
    return 1;
  for (int w = 0; w < workers; w++)
    {
      procs[w] = plab_process_new (NULL, worker, &job);
      plab_process_set_trace (procs[w], plab_exercise_trace (ex));
      rc |= plab_process_start (procs[w]);
    }
  for (int w = 0; w < workers; w++)
    {
      plab_process_join (procs[w], -1, NULL);
      plab_process_free (procs[w]);
    }
  plab_exercise_answer (ex, "count", (double)*(int64_t *)plab_shared_data (job.counter));
  plab_shared_free (job.counter);
  return rc != 0;
}

int
main (int argc, char **argv)
{
  return plab_exercise_main ("race-atomic", argc, argv, solve);
}
