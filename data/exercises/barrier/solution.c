/* Phases at a barrier: painters work in PHASES phases, each painter's value
 * of a phase computed from every painter's value of the phase before. */
#include <plab.h>

#define PHASES 6

typedef struct
{
  PlabShared *values; /* int64_t per worker, for each phase and the one before */
  PlabBarrier *barrier;
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

      /* Uneven walls: painter w takes 1 + 3 w ms a phase, so that a painter
       * that does not wait reads a slower one's value before it is painted. */
      plab_sleep_ns (1000000 * (1 + 3 * (int64_t)job->index));
      for (int w = 0; w < job->workers; w++)
        total += before[w];
      now[job->index] = (total * 31 + job->index + p) % 1000003;
      plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), p, "phase");
      /* SOLUTION BEGIN: TODO 1: the next phase reads every painter's value of this one. Wait
       * here until all painters finished the phase: plab_barrier_wait
       * (job->barrier, -1) (a negative return means the barrier broke). */
      if (plab_barrier_wait (job->barrier, -1) < 0)
        return 1;
      /* SOLUTION END */
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
    {
      v[w] = (int64_t)(plab_exercise_random (plab_exercise_seed (ex), w) % 1000);
      jobs[w] = (Job){ values, barrier, w, workers };
    }
  plab_exercise_start_workers (ex, "painter", painter, jobs, sizeof jobs[0], workers, procs);
  plab_exercise_join_workers (procs, workers);
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
