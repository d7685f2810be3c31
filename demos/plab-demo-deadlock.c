/* plab-demo-deadlock.c: two workers, two locks, taken in opposite order.
 *
 * This demo teaches what a deadlock is and the usual fix. Worker 1 takes lock
 * A then lock B, worker 2 takes B then A: once each holds its first lock, each
 * waits for the lock the other holds, and neither can ever go on. A real
 * deadlock never ends, so here every wait for the second lock gives up after
 * a timeout the demo sets; both workers meet at a barrier before reaching for
 * the second lock and again before letting their first one go, so that the
 * cycle forms and is seen by both on every run, however busy the machine.
 * The fix is one lock order for everyone (mode one-order): a worker then
 * waits for the other to finish, never for ever. A third mode shows why
 * Python's queue-join deadlock (a producer joined before the items it put
 * are taken never ends, because its feeder thread still holds them) cannot
 * happen with the lab's queue, which copies an item in before put returns.
 */
#include "plab-demo-private.h"

#include <stdio.h>
#include <string.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_deadlock_lesson[]
    = "Worker 1 takes lock A then lock B, worker 2 takes B then A, each working Hold ms in "
      "between. With Mode opposite each ends up holding one lock and waiting for the other, a "
      "cycle that never breaks by itself: the timeline shows both lanes waiting on each other's "
      "lock until the demo's Timeout ms gives up, and the Result names the cycle. Mode one-order "
      "is the fix: both take A before B, so one simply waits for the other and both finish. "
      "Python's texts warn of another deadlock: joining a process before the items it put on a "
      "multiprocessing Queue are taken hangs, because its feeder thread still holds them and "
      "must flush them into a pipe first. The lab's queue has no feeder thread (a put copies the "
      "item into shared memory before it returns), so Mode queue-join joins the producer at once "
      "with its items still queued.";

enum
{
  PARAM_MODE,
  PARAM_HOLD_MS,
  PARAM_TIMEOUT_MS,
  N_PARAMS
};

enum
{
  MODE_OPPOSITE,
  MODE_ONE_ORDER,
  MODE_QUEUE_JOIN,
};

static const char *const modes[] = { "opposite", "one-order", "queue-join", NULL };

const PlabParamSpec _plab_demo_deadlock_params[N_PARAMS] = {
  [PARAM_MODE] = { "mode", PLAB_PARAM_CHOICE,
                   "opposite: A then B against B then A; one-order: both A then B (the fix); "
                   "queue-join: join a producer before its items are taken",
                   MODE_OPPOSITE, 0, 0, modes, NULL },
  [PARAM_HOLD_MS] = { "hold_ms", PLAB_PARAM_INT,
                      "work each worker does holding its first lock, before it reaches for "
                      "the second",
                      300, 10, 5000, NULL, "ms" },
  [PARAM_TIMEOUT_MS] = { "timeout_ms", PLAB_PARAM_INT,
                         "how long a worker waits for its second lock before it gives up: "
                         "the demo's own end of the deadlock",
                         1000, 100, 10000, NULL, "ms" },
};

#define N_WORKERS 2
#define QUEUE_ITEMS 8
/* Beyond the timeouts a barrier may wait: only catches a lost worker. */
#define BARRIER_GRACE_NS 5000000000LL

static const char *const lock_names[N_WORKERS] = { "A", "B" };

/* Written by worker i only (its own index), read by the parent after the
 * join. */
typedef struct
{
  int got_second[N_WORKERS];
  int64_t wait_ns[N_WORKERS];
  int64_t queued_at_join;
} DeadlockShared;

typedef struct
{
  DeadlockShared *sh;
  PlabLock *locks[N_WORKERS];
  PlabBarrier *holding; /* both hold their first lock */
  PlabBarrier *gave_up; /* both are back from reaching for the second */
  PlabQueue *queue;
  int mode;
  int64_t hold_ns;
  int64_t timeout_ns;
} Deadlock;

typedef struct
{
  Deadlock *d;
  int index;
} DeadlockArg;

/* In mode opposite, waits at @barrier; false when the run is stopping or a
 * worker was lost (the barrier broke). */
static bool
meet (PlabCrew *crew, const Deadlock *d, PlabBarrier *barrier)
{
  if (d->mode != MODE_OPPOSITE)
    return true;
  return plab_barrier_wait (barrier, 2 * d->timeout_ns + BARRIER_GRACE_NS) >= 0
         && !_plab_crew_stopping (crew);
}

static int
locker_cb (PlabCrew *crew, void *arg)
{
  DeadlockArg *a = arg;
  Deadlock *d = a->d;
  int first = d->mode == MODE_OPPOSITE ? a->index : 0;
  int second = 1 - first;
  char label[PLAB_LABEL_MAX];
  int64_t t0;
  int rc;

  /* The first lock is free in mode opposite; in one-order the second worker
   * waits here for the first to finish, which is the fix working. */
  if (plab_lock_acquire (d->locks[first], -1) == PLAB_ECANCELLED)
    return 1;
  snprintf (label, sizeof label, "work holding %s", lock_names[first]);
  if (!_plab_demo_wait (crew, d->hold_ns, PLAB_SPAN_TASK, a->index, label)
      || !meet (crew, d, d->holding))
    goto stop;

  t0 = plab_now_ns ();
  rc = plab_lock_acquire (d->locks[second], d->timeout_ns);
  d->sh->wait_ns[a->index] = plab_now_ns () - t0;
  if (rc == PLAB_ECANCELLED)
    goto stop;
  d->sh->got_second[a->index] = rc != PLAB_ETIMEDOUT;
  /* Nobody lets a lock go before both are back: the cycle is seen by both. */
  if (!meet (crew, d, d->gave_up))
    goto stop_second;
  if (rc != PLAB_ETIMEDOUT)
    {
      _plab_demo_wait (crew, d->hold_ns, PLAB_SPAN_TASK, a->index, "work holding A and B");
      plab_lock_release (d->locks[second]);
    }
  plab_lock_release (d->locks[first]);
  return 0;

stop_second:
  if (d->sh->got_second[a->index])
    plab_lock_release (d->locks[second]);
stop:
  plab_lock_release (d->locks[first]);
  return 1;
}

/* Mode queue-join: puts the items and returns at once, as a Python producer
 * would, before anyone took them. */
static int
producer_cb (PlabCrew *crew, void *arg)
{
  DeadlockArg *a = arg;

  for (int32_t i = 0; i < QUEUE_ITEMS; i++)
    if (plab_queue_put (a->d->queue, &i, sizeof i, -1) != 0)
      return 1;
  return 0;
}

/* Releases workers blocked at a barrier once the run is stopping. */
static void
poke_cb (void *user_data)
{
  Deadlock *d = user_data;

  plab_barrier_wait (d->holding, 1);
  plab_barrier_wait (d->gave_up, 1);
}

static char *
result_json (const Deadlock *d, bool deadlocked, int taken)
{
  const char *cats[N_WORKERS] = { "worker 1", "worker 2" };
  double waited[N_WORKERS];
  PlabBuf buf;

  plab_buf_init (&buf);
  plab_buf_printf (&buf, "{\"mode\": \"%s\", \"deadlocked\": %s", modes[d->mode],
                   deadlocked ? "true" : "false");
  if (d->mode == MODE_QUEUE_JOIN)
    {
      plab_buf_printf (&buf,
                       ", \"put\": %d, \"queued_at_join\": %lld, \"taken_after_join\": %d, "
                       "\"joined\": true, ",
                       QUEUE_ITEMS, (long long)d->sh->queued_at_join, taken);
      _plab_demo_json_figure (&buf, "bars", "The producer was joined with its items still queued",
                              "", "items");
      _plab_demo_json_bar_values (&buf,
                                  (const char *const[]){ "put", "queued at the join",
                                                         "taken after it" },
                                  "items",
                                  (const double[]){ QUEUE_ITEMS, (double)d->sh->queued_at_join,
                                                    taken },
                                  3);
      plab_buf_append (&buf,
                       ", \"notes\": [\"the join returned at once: a put copies the item "
                       "into shared memory before it returns, there is no feeder thread\"]}}");
      return plab_buf_steal (&buf);
    }
  /* The wait-for graph in a few characters; the notes say it in words. */
  plab_buf_printf (&buf, ", \"cycle\": \"%s\"", deadlocked ? "1 → 2 → 1" : "none");
  for (int i = 0; i < N_WORKERS; i++)
    {
      char key[32];

      waited[i] = d->sh->wait_ns[i] / 1e9;
      snprintf (key, sizeof key, "worker%d_waited_s", i + 1);
      _plab_demo_json_short (&buf, key, waited[i]);
    }
  _plab_demo_json_short (&buf, "timeout_s", d->timeout_ns / 1e9);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "bars", "How long each worker waited for its second lock", "",
                          "seconds");
  _plab_demo_json_bar_values (&buf, cats, "waited for the second lock (s)", waited, N_WORKERS);
  plab_buf_printf (&buf, ", \"notes\": [\"%s\"]}}",
                   deadlocked ? "a cycle: worker 1 holds A and waits for B, held by worker 2, "
                                "which waits for A; only the timeout ended it"
                              : "no cycle: both workers got both locks");
  return plab_buf_steal (&buf);
}

int
_plab_demo_deadlock_run (PlabDemoRun *run)
{
  bool serial = run->backend == PLAB_BACKEND_SERIAL;
  Deadlock d = {
    .mode = (int)run->values[PARAM_MODE],
    .hold_ns = (int64_t)run->values[PARAM_HOLD_MS] * 1000000,
    .timeout_ns = (int64_t)run->values[PARAM_TIMEOUT_MS] * 1000000,
  };
  DeadlockArg args[N_WORKERS];
  PlabCrew *crew = NULL;
  bool deadlocked = false;
  size_t size;
  int taken = 0;
  int rc = PLAB_ENOMEM;

  d.sh = _plab_demo_shared_new (sizeof *d.sh);
  d.locks[0] = plab_lock_new ("A");
  d.locks[1] = plab_lock_new ("B");
  /* On the serial backend the workers run one after another: nobody to meet. */
  d.holding = plab_barrier_new ("both hold one lock", serial ? 1 : N_WORKERS);
  d.gave_up = plab_barrier_new ("both are back", serial ? 1 : N_WORKERS);
  d.queue = plab_queue_new ("items", 0, 0);
  crew = d.sh && d.locks[0] && d.locks[1] && d.holding && d.gave_up && d.queue
             ? _plab_crew_new (run)
             : NULL;
  if (crew == NULL)
    {
      snprintf (run->error, sizeof run->error, "cannot make the locks");
      goto fail;
    }
  _plab_crew_set_poke (crew, poke_cb, &d);

  if (d.mode == MODE_QUEUE_JOIN)
    {
      args[0] = (DeadlockArg){ &d, 0 };
      rc = _plab_crew_start (crew, "producer", producer_cb, &args[0]);
      if (rc >= 0)
        rc = _plab_crew_join_one (crew, 0, "join the producer");
      if (rc != 0)
        goto fail;
      d.sh->queued_at_join = (int64_t)plab_queue_depth (d.queue);
      for (int32_t item; plab_queue_get (d.queue, &item, sizeof item, &size, 0) == 0;)
        taken++;
      run->check_ok = d.sh->queued_at_join == QUEUE_ITEMS && taken == QUEUE_ITEMS;
      snprintf (run->check_message, sizeof run->check_message,
                "the producer was joined with %lld of %d items still queued, then all %d taken",
                (long long)d.sh->queued_at_join, QUEUE_ITEMS, taken);
    }
  else
    {
      rc = 0;
      for (int i = 0; i < N_WORKERS && rc >= 0; i++)
        {
          args[i] = (DeadlockArg){ &d, i };
          rc = _plab_crew_startf (crew, locker_cb, &args[i], "worker %d (%s, %s)", i + 1,
                                  lock_names[d.mode == MODE_OPPOSITE ? i : 0],
                                  lock_names[d.mode == MODE_OPPOSITE ? 1 - i : 1]);
        }
      if (rc >= 0)
        rc = _plab_crew_join (crew, "join the workers");
      if (rc != 0)
        goto fail;
      deadlocked = !d.sh->got_second[0] && !d.sh->got_second[1];
      /* Opposite orders on workers that run together always close the
       * cycle (the barriers see to it); one order, or one worker after the
       * other, never does. */
      run->check_ok = deadlocked == (d.mode == MODE_OPPOSITE && !serial);
      snprintf (run->check_message, sizeof run->check_message, "%s",
                deadlocked ? "deadlock: worker 1 holds A and waits for B, worker 2 holds B and "
                             "waits for A; the timeout ended it"
                : d.sh->got_second[0] && d.sh->got_second[1]
                    ? "no deadlock: both workers got both locks"
                    : "only one worker gave up: no cycle was seen by both");
    }
  run->result_json = result_json (&d, deadlocked, taken);
  rc = 0;

fail:
  _plab_crew_free (crew);
  plab_queue_free (d.queue);
  for (int i = 0; i < N_WORKERS; i++)
    plab_lock_free (d.locks[i]);
  plab_barrier_free (d.holding);
  plab_barrier_free (d.gave_up);
  _plab_demo_shared_free (d.sh, sizeof *d.sh);
  return rc;
}
