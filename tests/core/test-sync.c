/* test-sync.c: locks, semaphores, event flags, conditions and barriers between real processes. */
#include <glib.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"
#include "proc-test-util.h"

static void
test_lock_counter_processes (void)
{
  PlabShared *shared = plab_shared_new ("counter", sizeof (int64_t), true);
  volatile int64_t *counter = plab_shared_data (shared);
  PlabLock *lock = plab_shared_lock (shared);
  pid_t pids[4];

  g_assert_nonnull (lock);
  for (int p = 0; p < 4; p++)
    if ((pids[p] = proc_test_fork ()) == 0)
      {
        for (int i = 0; i < 20000; i++)
          {
            if (plab_lock_acquire (lock, -1) != 0)
              _exit (1);
            *counter = *counter + 1;
            plab_lock_release (lock);
          }
        _exit (0);
      }
  for (int p = 0; p < 4; p++)
    g_assert_cmpint (proc_test_wait_code (pids[p]), ==, 0);
  g_assert_cmpint (*counter, ==, 80000);
  plab_shared_free (shared);
}

static void
test_atomic_counter_processes (void)
{
  PlabShared *shared = plab_shared_new ("atomic", sizeof (_Atomic int64_t), false);
  _Atomic int64_t *counter = plab_shared_data (shared);
  pid_t pids[4];

  g_assert_null (plab_shared_lock (shared));
  for (int p = 0; p < 4; p++)
    if ((pids[p] = proc_test_fork ()) == 0)
      {
        for (int i = 0; i < 20000; i++)
          atomic_fetch_add (counter, 1);
        _exit (0);
      }
  for (int p = 0; p < 4; p++)
    proc_test_wait_code (pids[p]);
  g_assert_cmpint (atomic_load (counter), ==, 80000);
  plab_shared_free (shared);
}

static void
test_lock_timeout_and_owner_died (void)
{
  PlabLock *lock = plab_lock_new ("robust");
  PlabTrace *trace = plab_trace_new ();
  pid_t pid;
  int64_t t0;

  pid = proc_test_fork ();
  if (pid == 0)
    {
      plab_trace_free (trace); /* the parent's; the child records nothing */
      plab_lock_acquire (lock, -1);
      _exit (0); /* dies holding it */
    }
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);
  g_assert_cmpint (plab_lock_acquire (lock, -1), ==, PLAB_EOWNERDEAD);
  g_assert_cmpint (plab_lock_release (lock), ==, 0);
  /* Usable again afterwards. */
  g_assert_cmpint (plab_lock_acquire (lock, 0), ==, 0);

  pid = proc_test_fork ();
  if (pid == 0)
    {
      int timed_out;

      plab_trace_free (trace);
      timed_out = plab_lock_acquire (lock, 50 * 1000000LL) == PLAB_ETIMEDOUT;
      _exit (timed_out ? 0 : 1);
    }
  t0 = plab_now_ns ();
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);
  g_assert_cmpint (plab_now_ns () - t0, >=, 40 * 1000000LL);
  plab_lock_release (lock);
  plab_lock_free (lock);
  plab_trace_free (trace);
}

/* Threads of one process taking a lock with a timeout: under contention the
 * wait goes through pthread_mutex_clocklock (), which the thread sanitizer
 * must be told about (plab-sync.c), or it reports the counter as a race. */
typedef struct
{
  PlabLock *lock;
  int64_t counter; /* only changed while holding lock */
  int failures;    /* acquires that did not return 0, idem for the count */
} TimedLockShared;

#define TIMED_LOCK_ROUNDS 20000

static gpointer
timed_lock_thread (gpointer data)
{
  TimedLockShared *t = data;

  for (int i = 0; i < TIMED_LOCK_ROUNDS; i++)
    {
      if (plab_lock_acquire (t->lock, HANG_NS) != 0)
        {
          g_atomic_int_inc (&t->failures);
          continue;
        }
      t->counter++;
      plab_lock_release (t->lock);
    }
  return NULL;
}

static void
test_lock_timed_threads (void)
{
  TimedLockShared t = { .lock = plab_lock_new ("timed") };
  GThread *threads[3];

  for (int i = 0; i < 3; i++)
    threads[i] = g_thread_new ("locker", timed_lock_thread, &t);
  for (int i = 0; i < 3; i++)
    g_thread_join (threads[i]);
  g_assert_cmpint (g_atomic_int_get (&t.failures), ==, 0);
  g_assert_cmpint (t.counter, ==, 3 * TIMED_LOCK_ROUNDS);
  plab_lock_free (t.lock);
}

static void
test_rlock (void)
{
  PlabLock *r = plab_rlock_new ("r");
  PlabLock *l = plab_lock_new ("l");

  g_assert_cmpint (plab_lock_acquire (r, 0), ==, 0);
  g_assert_cmpint (plab_lock_acquire (r, 0), ==, 0);
  g_assert_cmpint (plab_lock_release (r), ==, 0);
  g_assert_cmpint (plab_lock_release (r), ==, 0);
  g_assert_cmpint (plab_lock_release (r), ==, PLAB_ESTATE);
  g_assert_cmpint (plab_lock_acquire (l, 0), ==, 0);
  g_assert_cmpint (plab_lock_acquire (l, 0), !=, 0);
  g_assert_cmpint (plab_lock_release (l), ==, 0);
  g_assert_cmpstr (plab_lock_name (l), ==, "l");
  plab_lock_free (r);
  plab_lock_free (l);
}

static void
test_semaphore (void)
{
  PlabSemaphore *s = plab_semaphore_new ("ovens", 2, 2);
  pid_t pid;

  g_assert_null (plab_semaphore_new ("bad", 3, 2));
  g_assert_cmpint (plab_semaphore_release (s), ==, PLAB_ERANGE);
  g_assert_cmpint (plab_semaphore_acquire (s, 0), ==, 0);
  g_assert_cmpint (plab_semaphore_acquire (s, 0), ==, 0);
  g_assert_cmpint (plab_semaphore_acquire (s, 0), ==, PLAB_ETIMEDOUT);
  g_assert_cmpint (plab_semaphore_acquire (s, 20 * 1000000LL), ==, PLAB_ETIMEDOUT);
  g_assert_cmpuint (plab_semaphore_value (s), ==, 0);

  /* A child releases; we were blocked until then. */
  pid = proc_test_fork ();
  if (pid == 0)
    {
      g_usleep (50000);
      _exit (plab_semaphore_release (s) == 0 ? 0 : 1);
    }
  g_assert_cmpint (plab_semaphore_acquire (s, HANG_NS), ==, 0);
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);
  plab_semaphore_free (s);
}

static void
test_event_flag (void)
{
  PlabEventFlag *e = plab_event_flag_new ("go");
  pid_t pid;

  g_assert_false (plab_event_flag_is_set (e));
  g_assert_cmpint (plab_event_flag_wait (e, 10 * 1000000LL), ==, PLAB_ETIMEDOUT);
  pid = proc_test_fork ();
  if (pid == 0)
    _exit (plab_event_flag_wait (e, HANG_NS) == 0 ? 0 : 1);
  g_usleep (20000);
  plab_event_flag_set (e);
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);
  g_assert_true (plab_event_flag_is_set (e));
  plab_event_flag_clear (e);
  g_assert_false (plab_event_flag_is_set (e));
  plab_event_flag_free (e);
}

static void
test_condition (void)
{
  PlabCondition *c = plab_condition_new ("ready");
  PlabShared *shared = plab_shared_new ("flag", sizeof (int), false);
  volatile int *ready = plab_shared_data (shared);
  pid_t pid;

  pid = proc_test_fork ();
  if (pid == 0)
    {
      int rc = 0;
      plab_lock_acquire (plab_condition_lock (c), -1);
      while (!*ready && rc == 0)
        rc = plab_condition_wait (c, HANG_NS);
      plab_lock_release (plab_condition_lock (c));
      _exit (rc == 0 && *ready ? 0 : 1);
    }
  g_usleep (20000);
  plab_lock_acquire (plab_condition_lock (c), -1);
  *ready = 1;
  plab_condition_notify_all (c);
  plab_lock_release (plab_condition_lock (c));
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);

  plab_lock_acquire (plab_condition_lock (c), -1);
  g_assert_cmpint (plab_condition_wait (c, 10 * 1000000LL), ==, PLAB_ETIMEDOUT);
  plab_lock_release (plab_condition_lock (c));
  plab_condition_free (c);
  plab_shared_free (shared);
}

static void
test_barrier (void)
{
  PlabBarrier *b = plab_barrier_new ("phase", 3);
  PlabShared *shared = plab_shared_new ("seen", 3 * sizeof (int), false);
  _Atomic int *arrived = plab_shared_data (shared);
  pid_t pids[3];

  g_assert_null (plab_barrier_new ("none", 0));
  for (int p = 0; p < 3; p++)
    if ((pids[p] = proc_test_fork ()) == 0)
      {
        for (int phase = 0; phase < 3; phase++)
          {
            g_usleep (1000 * (p + 1) * 3);
            atomic_fetch_add (&arrived[phase], 1);
            if (plab_barrier_wait (b, HANG_NS) < 0)
              _exit (1);
            /* Everyone arrived at this phase before anyone left it. */
            if (atomic_load (&arrived[phase]) != 3)
              _exit (2);
          }
        _exit (0);
      }
  for (int p = 0; p < 3; p++)
    g_assert_cmpint (proc_test_wait_code (pids[p]), ==, 0);

  /* Only 1 of 3 arrives: it times out and breaks the barrier. */
  g_assert_cmpint (plab_barrier_wait (b, 20 * 1000000LL), ==, PLAB_ETIMEDOUT);
  g_assert_cmpint (plab_barrier_wait (b, 0), ==, PLAB_EBROKEN);
  plab_barrier_reset (b);
  g_assert_cmpint (plab_barrier_parties (b), ==, 3);
  plab_barrier_free (b);
  plab_shared_free (shared);
}

typedef struct
{
  guint waits;
  guint sleeps;
} Kinds;

static void
count_kinds (void *user_data, const PlabEvent *events, size_t n)
{
  Kinds *k = user_data;
  for (size_t i = 0; i < n; i++)
    {
      if (events[i].kind == PLAB_SPAN_LOCK_WAIT && strcmp (events[i].label, "wait: lock busy") == 0)
        k->waits++;
      if (events[i].kind == PLAB_SPAN_SLEEP)
        k->sleeps++;
    }
}

static void
test_wait_spans (void)
{
  PlabTrace *trace = plab_trace_new ();
  Kinds k = { 0 };
  PlabTraceSink sink = { NULL, count_kinds, &k };
  PlabLock *lock = plab_lock_new ("busy");
  int held[2];
  char c = 0;
  pid_t pid;

  plab_trace_set_sink (trace, &sink);
  /* Uncontended: no span. */
  plab_lock_acquire (lock, -1);
  plab_lock_release (lock);
  g_assert_cmpint (pipe (held), ==, 0);
  pid = proc_test_fork ();
  if (pid == 0)
    {
      plab_trace_free (trace);
      plab_lock_acquire (lock, -1);
      /* Tell the parent the lock is taken, rather than hoping a sleep of the
       * parent's was long enough for this child to start (under valgrind or
       * on a loaded machine it is not). */
      if (write (held[1], &c, 1) != 1)
        _exit (1);
      g_usleep (200000);
      plab_lock_release (lock);
      _exit (0);
    }
  g_assert_cmpint (read (held[0], &c, 1), ==, 1);
  close (held[0]);
  close (held[1]);
  plab_lock_acquire (lock, -1);
  plab_lock_release (lock);
  proc_test_wait_code (pid);
  plab_sleep_ns (1000000);
  plab_trace_drain (trace);
  g_assert_cmpuint (k.waits, ==, 1);
  g_assert_cmpuint (k.sleeps, ==, 1);
  plab_lock_free (lock);
  plab_trace_free (trace);
}

static gpointer
timed_waiter_thread (gpointer data)
{
  volatile sig_atomic_t cancel = 0;
  int64_t t0 = plab_now_ns ();
  int rc;

  plab_cancel_watch (&cancel);
  rc = plab_lock_acquire (data, 3 * PLAB_CANCEL_SLICE_NS);
  plab_cancel_watch (NULL);
  g_assert_cmpint (plab_now_ns () - t0, >=, 3 * PLAB_CANCEL_SLICE_NS);
  return GINT_TO_POINTER (rc);
}

/* Each blocking call of the module, waiting forever in a thread that
 * watches a cancel flag. */
enum
{
  WAIT_LOCK,
  WAIT_SEMAPHORE,
  WAIT_EVENT,
  WAIT_CONDITION,
  WAIT_BARRIER,
  WAIT_SLEEP,
  N_WAITS
};

static const char *const wait_names[N_WAITS]
    = { "lock", "semaphore", "event", "condition", "barrier", "sleep" };

typedef struct
{
  int what;
  PlabLock *lock;
  PlabSemaphore *semaphore;
  PlabEventFlag *event;
  PlabCondition *condition;
  PlabBarrier *barrier;
  volatile sig_atomic_t cancel;
  int rc;
  int64_t returned_ns;
} CancelWaiter;

static gpointer
cancel_waiter_thread (gpointer data)
{
  CancelWaiter *w = data;

  plab_cancel_watch (&w->cancel);
  switch (w->what)
    {
    case WAIT_LOCK:
      w->rc = plab_lock_acquire (w->lock, -1);
      break;
    case WAIT_SEMAPHORE:
      w->rc = plab_semaphore_acquire (w->semaphore, -1);
      break;
    case WAIT_EVENT:
      w->rc = plab_event_flag_wait (w->event, -1);
      break;
    case WAIT_CONDITION:
      plab_lock_acquire (plab_condition_lock (w->condition), -1);
      w->rc = plab_condition_wait (w->condition, -1);
      /* The lock is held again on every return, a cancel included. */
      g_assert_cmpint (plab_lock_release (plab_condition_lock (w->condition)), ==, 0);
      break;
    case WAIT_BARRIER:
      w->rc = plab_barrier_wait (w->barrier, -1);
      break;
    default:
      w->rc = plab_sleep_ns (HANG_NS);
      break;
    }
  __atomic_store_n (&w->returned_ns, plab_now_ns (), __ATOMIC_RELEASE);
  plab_cancel_watch (NULL);
  return NULL;
}

/* A lock held by someone else, a semaphore at 0, an event not set, a
 * condition not notified, a barrier short of parties and a long sleep: each
 * wait ends with PLAB_ECANCELLED once the flag its thread watches goes up,
 * and not before. A cancelled lock wait does not hold the lock. */
static void
test_cancel_wakes_waits (void)
{
  for (int what = 0; what < N_WAITS; what++)
    {
      CancelWaiter w = {
        .what = what,
        .lock = plab_lock_new ("held"),
        .semaphore = plab_semaphore_new ("empty", 0, 0),
        .event = plab_event_flag_new ("unset"),
        .condition = plab_condition_new ("quiet"),
        .barrier = plab_barrier_new ("short", 2),
      };
      g_test_message ("%s", wait_names[what]);
      g_assert_cmpint (plab_lock_acquire (w.lock, 0), ==, 0);
      g_assert_cmpint (proc_test_cancel_blocked (cancel_waiter_thread, &w, &w.cancel,
                                                 &w.returned_ns),
                       <, HANG_NS);
      g_assert_cmpint (w.rc, ==, PLAB_ECANCELLED);
      /* Still ours: the cancelled waiter never took it. */
      g_assert_cmpint (plab_lock_release (w.lock), ==, 0);
      plab_lock_free (w.lock);
      plab_semaphore_free (w.semaphore);
      plab_event_flag_free (w.event);
      plab_condition_free (w.condition);
      plab_barrier_free (w.barrier);
    }
}

/* Waiting in slices changes nothing while the flag is down: a timed lock
 * wait and a timed event wait run to their timeouts. */
static void
test_watched_timeout_unchanged (void)
{
  PlabLock *lock = plab_lock_new ("slices");
  PlabEventFlag *event = plab_event_flag_new ("slices");
  volatile sig_atomic_t cancel = 0;
  int64_t t0;

  plab_cancel_watch (&cancel);
  t0 = plab_now_ns ();
  g_assert_cmpint (plab_event_flag_wait (event, 3 * PLAB_CANCEL_SLICE_NS), ==, PLAB_ETIMEDOUT);
  g_assert_cmpint (plab_now_ns () - t0, >=, 3 * PLAB_CANCEL_SLICE_NS);
  plab_cancel_watch (NULL);

  /* The lock's holder must be another thread: take it here, wait there. */
  g_assert_cmpint (plab_lock_acquire (lock, 0), ==, 0);
  {
    GThread *th = g_thread_new ("timed", timed_waiter_thread, lock);
    g_assert_cmpint (GPOINTER_TO_INT (g_thread_join (th)), ==, PLAB_ETIMEDOUT);
  }
  plab_lock_release (lock);
  plab_event_flag_free (event);
  plab_lock_free (lock);
}

static void
test_relock_is_edeadlk (void)
{
  PlabLock *lock = plab_lock_new ("once");
  PlabLock *rlock = plab_rlock_new ("again");

  g_assert_cmpint (plab_lock_acquire (lock, -1), ==, 0);
  /* Waiting for oneself would never end: a documented code, at once. */
  g_assert_cmpint (plab_lock_acquire (lock, -1), ==, PLAB_EDEADLK);
  g_assert_cmpint (plab_lock_acquire (lock, 0), !=, 0);
  g_assert_cmpint (plab_lock_release (lock), ==, 0);
  g_assert_cmpint (plab_lock_release (lock), ==, PLAB_ESTATE);
  g_assert_cmpstr (plab_error_name (PLAB_EDEADLK), ==, "PLAB_EDEADLK");
  /* An rlock is for that. */
  g_assert_cmpint (plab_lock_acquire (rlock, -1), ==, 0);
  g_assert_cmpint (plab_lock_acquire (rlock, -1), ==, 0);
  g_assert_cmpint (plab_lock_release (rlock), ==, 0);
  g_assert_cmpint (plab_lock_release (rlock), ==, 0);
  plab_lock_free (lock);
  plab_lock_free (rlock);
}

static bool
at_least_three (void *data)
{
  return *(volatile int *)data >= 3;
}

static void
test_condition_wait_for_notify_n (void)
{
  PlabCondition *c = plab_condition_new ("count");
  PlabShared *shared = plab_shared_new ("count", 2 * sizeof (int), false);
  volatile int *count = plab_shared_data (shared);
  pid_t pids[3];

  /* wait_for: the child waits for a count the parent raises one by one. */
  pids[0] = proc_test_fork ();
  if (pids[0] == 0)
    {
      int rc;
      plab_lock_acquire (plab_condition_lock (c), -1);
      rc = plab_condition_wait_for (c, at_least_three, (void *)count, HANG_NS);
      plab_lock_release (plab_condition_lock (c));
      _exit (rc == 0 && *count >= 3 ? 0 : 1);
    }
  for (int i = 0; i < 3; i++)
    {
      g_usleep (10000);
      plab_lock_acquire (plab_condition_lock (c), -1);
      *count = *count + 1;
      plab_condition_notify_all (c);
      plab_lock_release (plab_condition_lock (c));
    }
  g_assert_cmpint (proc_test_wait_code (pids[0]), ==, 0);

  /* A predicate that stays false times out, and holds the lock after. */
  *count = 0;
  plab_lock_acquire (plab_condition_lock (c), -1);
  g_assert_cmpint (plab_condition_wait_for (c, at_least_three, (void *)count, 20 * 1000000LL), ==,
                   PLAB_ETIMEDOUT);
  plab_lock_release (plab_condition_lock (c));

  /* notify_n (2) wakes two of three waiters: the third is still waiting. */
  for (int p = 0; p < 3; p++)
    if ((pids[p] = proc_test_fork ()) == 0)
      {
        int rc;
        plab_lock_acquire (plab_condition_lock (c), -1);
        count[1]++;
        rc = plab_condition_wait (c, HANG_NS);
        plab_lock_release (plab_condition_lock (c));
        _exit (rc == 0 ? 0 : 1);
      }
  for (int64_t give_up = plab_now_ns () + HANG_NS; plab_now_ns () < give_up;)
    {
      bool all;
      plab_lock_acquire (plab_condition_lock (c), -1);
      all = count[1] == 3;
      plab_lock_release (plab_condition_lock (c));
      if (all)
        break;
      g_usleep (1000);
    }
  plab_lock_acquire (plab_condition_lock (c), -1);
  plab_condition_notify_n (c, 2);
  plab_lock_release (plab_condition_lock (c));
  {
    int ended = 0;
    for (int64_t give_up = plab_now_ns () + HANG_NS; ended < 2 && plab_now_ns () < give_up;)
      {
        int st;
        pid_t r = waitpid (-1, &st, WNOHANG);
        if (r > 0)
          ended++;
        else
          g_usleep (1000);
      }
    g_assert_cmpint (ended, ==, 2);
    g_usleep (50000);
    /* The third is still waiting: nothing more ended. */
    g_assert_cmpint (waitpid (-1, NULL, WNOHANG), ==, 0);
  }
  plab_lock_acquire (plab_condition_lock (c), -1);
  plab_condition_notify_all (c);
  plab_lock_release (plab_condition_lock (c));
  g_assert_cmpint (waitpid (-1, NULL, 0), >, 0);
  plab_condition_free (c);
  plab_shared_free (shared);
}

static int
count_rounds (void *data)
{
  atomic_fetch_add ((_Atomic int *)data, 1);
  return 0;
}

static void
test_barrier_action_abort (void)
{
  PlabBarrier *b = plab_barrier_new ("phase", 2);
  PlabShared *shared = plab_shared_new ("rounds", sizeof (int), false);
  _Atomic int *rounds = plab_shared_data (shared);
  pid_t pid;

  plab_barrier_set_action (b, count_rounds, (void *)rounds);
  pid = proc_test_fork ();
  if (pid == 0)
    {
      for (int i = 0; i < 3; i++)
        if (plab_barrier_wait (b, HANG_NS) < 0)
          _exit (1);
      _exit (0);
    }
  for (int i = 0; i < 3; i++)
    g_assert_cmpint (plab_barrier_wait (b, HANG_NS), >=, 0);
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);
  /* The action ran once per round, before any party went on. */
  g_assert_cmpint (atomic_load (rounds), ==, 3);

  /* n_waiting sees a party waiting; abort breaks the barrier for it. */
  pid = proc_test_fork ();
  if (pid == 0)
    _exit (plab_barrier_wait (b, HANG_NS) == PLAB_EBROKEN ? 0 : 1);
  for (int64_t give_up = plab_now_ns () + HANG_NS;
       plab_barrier_n_waiting (b) == 0 && plab_now_ns () < give_up;)
    g_usleep (1000);
  g_assert_cmpuint (plab_barrier_n_waiting (b), ==, 1);
  g_assert_false (plab_barrier_broken (b));
  plab_barrier_abort (b);
  g_assert_true (plab_barrier_broken (b));
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);
  g_assert_cmpint (plab_barrier_wait (b, 0), ==, PLAB_EBROKEN);
  plab_barrier_reset (b);
  g_assert_false (plab_barrier_broken (b));
  plab_barrier_free (b);
  plab_shared_free (shared);
}

/* A plain lock's owner is killed while another process sleeps waiting for
 * it: the waiter gets it with PLAB_EOWNERDEAD, without a hang. */
static void
test_lock_owner_killed_while_waited (void)
{
  PlabLock *lock = plab_lock_new ("killed");
  PlabShared *flag_mem = plab_shared_new ("held", sizeof (int), false);
  _Atomic int *held = plab_shared_data (flag_mem);
  pid_t holder, waiter;
  int status;

  holder = fork ();
  if (holder == 0)
    {
      plab_lock_acquire (lock, -1);
      atomic_store (held, 1);
      pause ();
      _exit (0);
    }
  while (atomic_load (held) == 0)
    g_usleep (1000);
  waiter = fork ();
  if (waiter == 0)
    _exit (plab_lock_acquire (lock, HANG_NS) == PLAB_EOWNERDEAD ? 0 : 1);
  g_usleep (50000); /* the waiter is asleep by now, or soon */
  kill (holder, SIGKILL);
  g_assert_cmpint (proc_test_wait_code (waiter), ==, 0);
  g_assert_cmpint (waitpid (holder, &status, 0), ==, holder);
  /* The waiter exited holding it in turn: the next one gets it the same way. */
  g_assert_cmpint (plab_lock_acquire (lock, HANG_NS), ==, PLAB_EOWNERDEAD);
  g_assert_cmpint (plab_lock_release (lock), ==, 0);
  g_assert_cmpint (plab_lock_release (lock), ==, PLAB_ESTATE);
  plab_shared_free (flag_mem);
  plab_lock_free (lock);
}

/* A process killed while it waits on a condition never confirms its wake-up:
 * freeing the condition afterwards must still return (it once waited for
 * that confirmation for ever). The free runs in a child with an alarm, so a
 * hang fails the test instead of holding it up. */
static void
test_free_after_waiter_killed (void)
{
  PlabCondition *c = plab_condition_new ("killed waiter");
  PlabShared *shared = plab_shared_new ("waiting", sizeof (int), false);
  volatile int *waiting = plab_shared_data (shared);
  pid_t waiter, freer;

  waiter = proc_test_fork ();
  if (waiter == 0)
    {
      plab_lock_acquire (plab_condition_lock (c), -1);
      *waiting = 1;
      plab_condition_wait (c, HANG_NS);
      _exit (0);
    }
  /* The waiter sets the flag holding the lock and lets the lock go only by
   * waiting: once we hold the lock and see the flag, it waits. */
  for (int64_t give_up = plab_now_ns () + HANG_NS; plab_now_ns () < give_up;)
    {
      bool in_wait;

      plab_lock_acquire (plab_condition_lock (c), -1);
      in_wait = *waiting == 1;
      plab_lock_release (plab_condition_lock (c));
      if (in_wait)
        break;
      g_usleep (1000);
    }
  g_assert_cmpint (*waiting, ==, 1);
  kill (waiter, SIGKILL);
  g_assert_cmpint (waitpid (waiter, NULL, 0), ==, waiter);

  freer = proc_test_fork ();
  if (freer == 0)
    {
      alarm (20);
      plab_condition_free (c);
      _exit (0);
    }
  g_assert_cmpint (proc_test_wait_code (freer), ==, 0);
  plab_condition_free (c);
  plab_shared_free (shared);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/sync/lock-counter-processes", test_lock_counter_processes);
  g_test_add_func ("/plab/sync/atomic-counter-processes", test_atomic_counter_processes);
  g_test_add_func ("/plab/sync/lock-timeout-owner-died", test_lock_timeout_and_owner_died);
  g_test_add_func ("/plab/sync/lock-timed-threads", test_lock_timed_threads);
  g_test_add_func ("/plab/sync/lock-owner-killed-while-waited",
                   test_lock_owner_killed_while_waited);
  g_test_add_func ("/plab/sync/rlock", test_rlock);
  g_test_add_func ("/plab/sync/semaphore", test_semaphore);
  g_test_add_func ("/plab/sync/event-flag", test_event_flag);
  g_test_add_func ("/plab/sync/condition", test_condition);
  g_test_add_func ("/plab/sync/barrier", test_barrier);
  g_test_add_func ("/plab/sync/relock-is-edeadlk", test_relock_is_edeadlk);
  g_test_add_func ("/plab/sync/condition-wait-for-notify-n", test_condition_wait_for_notify_n);
  g_test_add_func ("/plab/sync/barrier-action-abort", test_barrier_action_abort);
  g_test_add_func ("/plab/sync/free-after-waiter-killed", test_free_after_waiter_killed);
  g_test_add_func ("/plab/sync/wait-spans", test_wait_spans);
  g_test_add_func ("/plab/sync/cancel-wakes-waits", test_cancel_wakes_waits);
  g_test_add_func ("/plab/sync/watched-timeout-unchanged", test_watched_timeout_unchanged);
  return g_test_run ();
}
