/* barrier: your solution. Fill in the places marked TODO; `plab exercise check
 * barrier` builds it, runs it beside the reference and says what it sees. */
#include <plab.h>
#include <stdio.h>

#define PHASES 6

typedef struct
{
  PlabShared *values; /* int64_t per worker, for each phase and the one before */
  PlabBarrier *barrier;
  uint64_t seed;
  int index;
  int workers;
} Job;

/* Phase p of worker w: its new value is computed from every worker's value of
 * phase p - 1, so no worker may start phase p before all finished p - 1. */
static int
painter (void *arg)
{
  Job *job = arg;
  int64_t *v = plab_shared_data (job->values);

  for (int p = 1; p <= PHASES; p++)
    {
      int64_t *before = v + (p - 1) * job->workers, *now = v + p * job->workers;
      int64_t t0 = plab_now_ns (), total = 0;

      /* Uneven walls: some painters take longer than others. */
      plab_sleep_ns (1000000 * (1 + (int64_t)((job->index + p) % job->workers) * 3));
      for (int w = 0; w < job->workers; w++)
        total += before[w];
      now[job->index] = (total * 31 + job->index + p) % 1000003;
      plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), p, "phase");
      /* TODO 1: the next phase reads every painter's value of this one. Wait
       * here until all painters finished the phase: plab_barrier_wait
       * (job->barrier, -1) (a negative return means the barrier broke). */
    }
  return 0;
}

static int
solve (PlabExercise *ex)
{
  int workers = plab_exercise_workers (ex);
  PlabShared *values = plab_shared_new ("values", sizeof (int64_t) * workers * (PHASES + 1), false);
  PlabBarrier *barrier = plab_barrier_new ("phase end", workers);
  PlabProcess *procs[64];
  Job jobs[64];
  int64_t *v, checksum = 0;

  if (values == NULL || barrier == NULL)
    return 1;
  v = plab_shared_data (values);
  for (int w = 0; w < workers; w++)
    v[w] = (int64_t)(plab_exercise_random (plab_exercise_seed (ex), w) % 1000);
  for (int w = 0; w < workers; w++)
    {
      jobs[w] = (Job){ values, barrier, plab_exercise_seed (ex), w, workers };
      procs[w] = plab_process_new ("painter", painter, &jobs[w]);
      plab_process_set_trace (procs[w], plab_exercise_trace (ex));
      plab_process_start (procs[w]);
    }
  for (int w = 0; w < workers; w++)
    {
      plab_process_join (procs[w], -1, NULL);
      plab_process_free (procs[w]);
    }
  for (int w = 0; w < workers; w++)
    checksum += v[PHASES * workers + w];
  plab_exercise_answer (ex, "checksum", (double)checksum);
  plab_barrier_free (barrier);
  plab_shared_free (values);
  return 0;
}

int
main (int argc, char **argv)
{
  return plab_exercise_main ("barrier", argc, argv, solve);
}
