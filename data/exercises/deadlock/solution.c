/* Break a deadlock by ordering locks: clerk processes move money between two
 * accounts, holding both accounts' locks during a transfer. */
#include <plab.h>

#define ACCOUNTS 2
#define TRANSFERS 40

typedef struct
{
  PlabShared *balances; /* int64_t per account */
  PlabLock *locks[ACCOUNTS];
  uint64_t seed;
  int index;
} Job;

/* Moves money between the two accounts, holding both locks. */
static int
clerk (void *arg)
{
  Job *job = arg;
  int64_t *balance = plab_shared_data (job->balances);

  for (int t = 0; t < TRANSFERS; t++)
    {
      int from = (job->index + t) % ACCOUNTS, to = 1 - from;
      int64_t amount = (int64_t)(plab_exercise_random (job->seed, job->index * 1000 + t) % 50);
      /* SOLUTION BEGIN: TODO 1: clerk 0 locks account 0 then 1, clerk 1 locks 1 then 0: each
       * can hold one lock and wait forever for the other. Choose first and
       * second so that every clerk takes the locks in the same order. */
      /* Every clerk takes the locks in one order, the lower account first:
       * no clerk can then hold one lock while waiting for the other's. */
      int first = from < to ? from : to, second = from < to ? to : from;
      /* SOLUTION ELSE */
      int first = from, second = to;
      /* SOLUTION END */
      int64_t t0;

      plab_lock_acquire (job->locks[first], -1);
      plab_sleep_ns (200000);
      plab_lock_acquire (job->locks[second], -1);
      t0 = plab_now_ns ();
      balance[from] -= amount;
      balance[to] += amount;
      plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), t, "transfer");
      plab_lock_release (job->locks[second]);
      plab_lock_release (job->locks[first]);
    }
  return 0;
}

static int
solve (PlabExercise *ex)
{
  int workers = plab_exercise_workers (ex);
  PlabShared *balances = plab_shared_new ("balances", sizeof (int64_t) * ACCOUNTS, false);
  PlabProcess *procs[64];
  Job jobs[64];
  PlabLock *locks[ACCOUNTS] = { plab_lock_new ("account 0"), plab_lock_new ("account 1") };
  int64_t *balance;

  if (balances == NULL || locks[0] == NULL || locks[1] == NULL)
    return 1;
  balance = plab_shared_data (balances);
  for (int a = 0; a < ACCOUNTS; a++)
    balance[a] = 1000 + (int64_t)(plab_exercise_random (plab_exercise_seed (ex), a) % 1000);
  for (int w = 0; w < workers; w++)
    jobs[w] = (Job){ balances, { locks[0], locks[1] }, plab_exercise_seed (ex), w };
  plab_exercise_start_workers (ex, "clerk", clerk, jobs, sizeof jobs[0], workers, procs);
  plab_exercise_join_workers (procs, workers);
  plab_exercise_answer (ex, "total", (double)(balance[0] + balance[1]));
  plab_exercise_answer (ex, "account0", (double)balance[0]);
  plab_lock_free (locks[0]);
  plab_lock_free (locks[1]);
  plab_shared_free (balances);
  return 0;
}

int
main (int argc, char **argv)
{
  return plab_exercise_main ("deadlock", argc, argv, solve);
}
