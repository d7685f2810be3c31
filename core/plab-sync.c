/* plab-sync.c: process-shared locks, semaphores, event flags, conditions,
 * barriers and shared memory blocks.
 *
 * Every object is one anonymous shared mapping holding its lock: a futex
 * word for a plain lock (see Lock below), a robust process-shared pthread
 * mutex for the others (with condition variables on CLOCK_MONOTONIC where it
 * waits for a state). Threads of one process and forked processes
 * use the very same object. A wait is recorded on the timeline only when it
 * really blocked: the fast path tries first and records nothing.
 */
#include "plab-sync.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "plab-error.h"
#include "plab-gil.h"
#include "plab-sync-private.h"
#include "plab-sysinfo.h"
#include "plab-trace.h"

/* ThreadSanitizer (gcc 12, clang 14) does not intercept
 * pthread_mutex_clocklock (): a lock taken through it would be invisible to
 * it, so everything done under that lock would be reported as a race and the
 * unlock as the unlock of a free mutex. The timed lock below says what
 * happened itself. */
#if defined(__SANITIZE_THREAD__)
#define PLAB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PLAB_TSAN 1
#endif
#endif
#ifdef PLAB_TSAN
#include <sanitizer/tsan_interface.h>
#endif

/* --- Helpers --- */

void *
_plab_shared_alloc (size_t size)
{
  void *mem = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

  if (mem == MAP_FAILED)
    {
      /* Every constructor of a shared object comes here: say how much. */
      char call[64];
      snprintf (call, sizeof call, "mmap of %zu bytes of shared memory", size);
      _plab_error_syscall (call, errno);
      return NULL;
    }
  return mem;
}

void
_plab_shared_release (void *mem, size_t size)
{
  if (mem != NULL)
    munmap (mem, size);
}

int
_plab_mutex_init (pthread_mutex_t *mutex, int recursive)
{
  pthread_mutexattr_t attr;
  int rc;

  pthread_mutexattr_init (&attr);
  pthread_mutexattr_setpshared (&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust (&attr, PTHREAD_MUTEX_ROBUST);
  if (recursive)
    pthread_mutexattr_settype (&attr, PTHREAD_MUTEX_RECURSIVE);
  else
    pthread_mutexattr_settype (&attr, PTHREAD_MUTEX_ERRORCHECK);
  rc = pthread_mutex_init (mutex, &attr);
  pthread_mutexattr_destroy (&attr);
  return rc == 0 ? 0 : _plab_error_syscall ("pthread_mutex_init", rc);
}

int
_plab_cond_init (pthread_cond_t *cond)
{
  pthread_condattr_t attr;
  int rc;

  pthread_condattr_init (&attr);
  pthread_condattr_setpshared (&attr, PTHREAD_PROCESS_SHARED);
  pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
  rc = pthread_cond_init (cond, &attr);
  pthread_condattr_destroy (&attr);
  return rc == 0 ? 0 : _plab_error_syscall ("pthread_cond_init", rc);
}

int64_t
_plab_deadline (int64_t timeout_ns)
{
  return timeout_ns < 0 ? -1 : plab_now_ns () + timeout_ns;
}

bool
_plab_gil_let_go (int64_t timeout_ns)
{
  return timeout_ns != 0 && plab_gil_release ();
}

int
_plab_gil_back (bool let_go, int rc)
{
  plab_gil_acquire (let_go);
  return rc;
}

/* This process and the asymmetric fence (below): 0 not asked yet, 1
 * registered, 2 not available. */
static _Atomic int light_state;

/* The calling thread: process id << 32 | thread id. Cached per thread; a
 * forked child forgets its parent's. Initial-exec, as in plab-gil.c: every
 * queue attempt and every lock and release reads it, and a __tls_get_addr ()
 * call each time was 3% of the samples of a small-message transfer. */
static __thread __attribute__ ((tls_model ("initial-exec"))) uint64_t my_id;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void
forget_id (void)
{
  my_id = 0;
  /* Whether a forked child is registered for the asymmetric fence is the
   * kernel's business: it asks again. */
  atomic_store (&light_state, 0);
}

static void
register_atfork (void)
{
  pthread_atfork (NULL, NULL, forget_id);
}

uint64_t
_plab_thread_id (void)
{
  if (my_id == 0)
    {
      pthread_once (&atfork_once, register_atfork);
      my_id = (uint64_t)getpid () << 32 | (uint32_t)syscall (SYS_gettid);
    }
  return my_id;
}

bool
_plab_thread_alive (uint32_t tid)
{
  char path[40], stat[256];
  const char *state;
  ssize_t n;
  int fd;

  if (kill ((pid_t)tid, 0) != 0 && errno == ESRCH)
    return false;
  /* A process that died and was not reaped yet is a zombie: gone too. */
  snprintf (path, sizeof path, "/proc/%u/stat", tid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno != ENOENT;
  n = read (fd, stat, sizeof stat - 1);
  close (fd);
  if (n <= 0)
    return true;
  stat[n] = '\0';
  state = strrchr (stat, ')');
  return state == NULL || state[1] == '\0' || (state[2] != 'Z' && state[2] != 'X');
}

/* The asymmetric fence: the solo side of a Dekker handshake stores and then
 * loads with only a compiler barrier between, and the rare other side, after
 * its own store, makes every CPU that runs a registered process execute a
 * full barrier (membarrier (2)). ThreadSanitizer does not know that system
 * call, so its builds use sequentially consistent atomics throughout. */
static int
membarrier (int cmd)
{
  return (int)syscall (SYS_membarrier, cmd, 0, 0);
}

bool
_plab_asym_fence_register (void)
{
#ifdef PLAB_TSAN
  return false;
#else
  int state = atomic_load_explicit (&light_state, memory_order_relaxed);

  if (state == 0)
    {
      int cmds = membarrier (MEMBARRIER_CMD_QUERY);

      state = cmds >= 0 && (cmds & MEMBARRIER_CMD_GLOBAL_EXPEDITED)
                      && membarrier (MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0
                  ? 1
                  : 2;
      atomic_store (&light_state, state);
    }
  return state == 1;
#endif
}

void
_plab_asym_fence_heavy (void)
{
  if (membarrier (MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0)
    membarrier (MEMBARRIER_CMD_GLOBAL);
}

static struct timespec
to_timespec (int64_t ns)
{
  struct timespec ts = { ns / 1000000000, ns % 1000000000 };
  return ts;
}

static int
owner_died (pthread_mutex_t *mutex)
{
  /* The previous holder died: the protected state may be half-updated, but
   * the mutex is ours and usable again. Say so on the timeline. */
  pthread_mutex_consistent (mutex);
  plab_instant (PLAB_SPAN_CRASH, "lock owner died");
  return PLAB_EOWNERDEAD;
}

/* What a pthread lock or condition wait on @mutex returned, as a PLAB code. */
static int
lock_result (pthread_mutex_t *mutex, int rc)
{
  if (rc == 0)
    return 0;
  if (rc == EOWNERDEAD)
    return owner_died (mutex);
  if (rc == ETIMEDOUT)
    return PLAB_ETIMEDOUT;
  if (rc == EDEADLK)
    return PLAB_EDEADLK;
  return PLAB_ESYS;
}

/* The end of the next slice of a wait until @deadline (-1: forever):
 * @deadline itself, or PLAB_CANCEL_SLICE_NS from now when that is sooner and
 * the calling thread watches a cancel flag, which it looks at between slices. */
static int64_t
slice_end (int64_t deadline)
{
  int64_t slice;

  if (plab_cancel_flag () == NULL)
    return deadline;
  slice = plab_now_ns () + PLAB_CANCEL_SLICE_NS;
  return deadline < 0 || slice < deadline ? slice : deadline;
}

static int
clock_lock (pthread_mutex_t *mutex, int64_t until)
{
  struct timespec ts = to_timespec (until);
  int rc;

#ifdef PLAB_TSAN
  __tsan_mutex_pre_lock (mutex, __tsan_mutex_try_lock);
#endif
  rc = pthread_mutex_clocklock (mutex, CLOCK_MONOTONIC, &ts);
#ifdef PLAB_TSAN
  {
    unsigned flags = __tsan_mutex_try_lock;

    if (rc != 0 && rc != EOWNERDEAD)
      flags |= __tsan_mutex_try_lock_failed;
    __tsan_mutex_post_lock (mutex, flags, 0);
  }
#endif
  return rc;
}

int
_plab_mutex_lock (pthread_mutex_t *mutex, int64_t deadline)
{
  int rc;

  for (;;)
    {
      int64_t until = slice_end (deadline);

      rc = until < 0 ? pthread_mutex_lock (mutex) : clock_lock (mutex, until);
      if (rc != ETIMEDOUT || until == deadline)
        break;
      /* A slice ended, not the wait. */
      if (plab_cancelled ())
        return PLAB_ECANCELLED;
    }
  return lock_result (mutex, rc);
}

int
_plab_cond_wait (pthread_cond_t *cond, pthread_mutex_t *mutex, int64_t deadline)
{
  int rc;

  /* A cancelled thread does not start waiting; the callers only wait when
   * what they wait for is not there yet. */
  if (plab_cancelled ())
    return PLAB_ECANCELLED;
  for (;;)
    {
      int64_t until = slice_end (deadline);

      if (until < 0)
        rc = pthread_cond_wait (cond, mutex);
      else
        {
          struct timespec ts = to_timespec (until);
          rc = pthread_cond_timedwait (cond, mutex, &ts);
        }
      if (rc != ETIMEDOUT || until == deadline)
        break;
      /* A slice ended, not the wait: the mutex is held again, so no signal
       * was missed meanwhile by a notifier that holds it. */
      if (plab_cancelled ())
        return PLAB_ECANCELLED;
    }
  return lock_result (mutex, rc);
}

/* A futex word in shared memory (no FUTEX_PRIVATE_FLAG: the waiters may be
 * other processes). The waiter passes the value it saw; the kernel puts it
 * to sleep only while the word still holds it, so a wake that came first is
 * never missed. */
int
_plab_futex_wait (_Atomic uint32_t *word, uint32_t expected, int64_t deadline)
{
  int64_t until, now;
  struct timespec ts;

  if (plab_cancelled ())
    return PLAB_ECANCELLED;
  until = slice_end (deadline);
  now = plab_now_ns ();
  if (deadline >= 0 && now >= deadline)
    return PLAB_ETIMEDOUT;
  ts = to_timespec (until < 0 ? 0 : until - now);
  syscall (SYS_futex, word, FUTEX_WAIT, expected, until < 0 ? NULL : &ts, NULL, 0);
  /* Woken, interrupted, the word changed or a slice ended: the caller looks
   * again at what it waits for; the deadline and the flag are looked at next
   * time round. */
  if (plab_cancelled ())
    return PLAB_ECANCELLED;
  return 0;
}

void
_plab_futex_wake_all (_Atomic uint32_t *word)
{
  atomic_fetch_add_explicit (word, 1, memory_order_seq_cst);
  syscall (SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* A new object of @size bytes from _plab_shared_alloc (), with its
 * process-shared mutex and condition set up at @mutex_at and @cond_at and its
 * name (PLAB_SYNC_NAME_MAX bytes at @name_at) set to @name, or @fallback when
 * @name is NULL. NULL when memory or a pthread object is refused. */
static void *
object_new (size_t size,
            size_t mutex_at,
            size_t cond_at,
            size_t name_at,
            const char *name,
            const char *fallback)
{
  char *self = _plab_shared_alloc (size);

  if (self == NULL)
    return NULL;
  if (_plab_mutex_init ((pthread_mutex_t *)(self + mutex_at), 0) != 0
      || _plab_cond_init ((pthread_cond_t *)(self + cond_at)) != 0)
    {
      _plab_shared_release (self, size);
      return NULL;
    }
  snprintf (self + name_at, PLAB_SYNC_NAME_MAX, "%s", name ? name : fallback);
  return self;
}

/* object_new () for a @Type whose fields @mutex, @cond and @name_field are
 * its mutex, condition and name. */
#define OBJECT_NEW(Type, mutex, cond, name_field, name, fallback)                                  \
  ((Type *)object_new (sizeof (Type), offsetof (Type, mutex), offsetof (Type, cond),               \
                       offsetof (Type, name_field), name, fallback))

/* Undoes object_new () and releases @self. The condition is not destroyed:
 * glibc's pthread_cond_destroy () waits until every waiter has confirmed its
 * wake-up, and a waiter killed inside a wait (a crashed or terminated worker)
 * never does, so the free would hang for ever. Unmapping the shared memory
 * is all a process-shared condition needs. A NULL @self is nothing to do. */
static void
object_free (void *self, size_t size, size_t mutex_at)
{
  if (self == NULL)
    return;
  pthread_mutex_destroy ((pthread_mutex_t *)((char *)self + mutex_at));
  _plab_shared_release (self, size);
}

/* object_free () for a @Type whose field @mutex is its mutex. */
#define OBJECT_FREE(Type, mutex, self) object_free (self, sizeof (Type), offsetof (Type, mutex))

/* Locks a mutex guarding an object's own state. A dead previous holder is
 * not an error there: the state is a few counters, consistent at every store. */
static int
state_lock (pthread_mutex_t *mutex)
{
  int rc;

  /* A state mutex is held for a few instructions at a time, and callers
   * such as event_flag_set or barrier_reset change the state once they have
   * it without looking at a result: a cancel must not hand them the state
   * unlocked, so this wait goes on through one (in slices, never a spin). */
  do
    rc = _plab_mutex_lock (mutex, -1);
  while (rc == PLAB_ECANCELLED);
  return rc == PLAB_EOWNERDEAD ? 0 : rc;
}

/* Records the wait span begun at @t0 (none when @t0 is negative), with a
 * label naming the kind of object (@what) and the object. */
static void
wait_span_end (PlabSpanKind kind, int64_t t0, const char *what, const char *name)
{
  char label[PLAB_LABEL_MAX];

  if (t0 < 0 || !plab_tracing ())
    return;
  snprintf (label, sizeof label, "wait: %s %s", what, name);
  plab_span (kind, t0, plab_now_ns (), -1, label);
}

/* How a wait on an object shows in a trace. */
typedef struct
{
  PlabSpanKind span;
  const char *what;       /* the kind of object, as in "wait: semaphore name" */
  const char *open_label; /* the span's label while it is open */
} WaitKind;

/* Takes @mutex and waits on @cond until @try_take (@self) succeeds, then
 * lets the mutex go. @try_take runs with the mutex held and consumes what it
 * waited for (a semaphore's unit), if anything. A zero @timeout_ns never
 * sleeps; a span opens at the first sleep and is recorded at the end. The
 * simulated GIL is let go meanwhile. */
static int
wait_for (void *self,
          bool (*try_take) (void *self),
          pthread_mutex_t *mutex,
          pthread_cond_t *cond,
          const char *name,
          const WaitKind *kind,
          int64_t timeout_ns)
{
  bool gil = _plab_gil_let_go (timeout_ns);
  int64_t deadline = _plab_deadline (timeout_ns);
  int64_t t0 = -1;
  int rc = state_lock (mutex);

  if (rc != 0)
    return _plab_gil_back (gil, rc);
  while (!try_take (self))
    {
      if (timeout_ns == 0)
        {
          rc = PLAB_ETIMEDOUT;
          break;
        }
      if (t0 < 0)
        t0 = plab_span_begin (kind->span, -1, kind->open_label);
      rc = _plab_cond_wait (cond, mutex, deadline);
      if (rc == PLAB_EOWNERDEAD)
        rc = 0;
      if (rc != 0)
        break;
    }
  pthread_mutex_unlock (mutex);
  wait_span_end (kind->span, t0, kind->what, name);
  return _plab_gil_back (gil, rc);
}

/* --- Lock --- */

/* A plain lock (plab_lock_new (), a shared block's lock) is one futex word:
 * 0 when free, else the owner's thread id, with WAITERS set once somebody
 * sleeps on it. Taking it is one compare-and-swap and letting it go one
 * exchange (a system call only when WAITERS was set), as cheap as a default
 * pthread mutex, where glibc's robust mutex also keeps a list per thread for
 * the kernel. Robust all the same: a sleeper looks every DEAD_CHECK_NS (and
 * a try at once) whether the owner still runs, and takes a dead owner's lock
 * with PLAB_EOWNERDEAD. An RLock and a condition's lock are robust pthread
 * mutexes (the condition variable waits on them). */
#define WAITERS 0x80000000u
#define DEAD_CHECK_NS (10 * 1000000LL)

struct PlabLock
{
  /* Held by the lock's owner; robust, so a dead owner frees it. Used by an
   * RLock and a condition's lock. */
  pthread_mutex_t mutex;
  /* The plain lock's futex word (see above). */
  _Atomic uint32_t word;
  bool plain;
  char name[PLAB_SYNC_NAME_MAX];
};

static PlabLock *
lock_new (const char *name, int recursive)
{
  PlabLock *self = _plab_shared_alloc (sizeof *self);

  if (self == NULL)
    return NULL;
  if (recursive && _plab_mutex_init (&self->mutex, recursive) != 0)
    {
      _plab_shared_release (self, sizeof *self);
      return NULL;
    }
  self->plain = !recursive;
  snprintf (self->name, sizeof self->name, "%s", name ? name : "lock");
  return self;
}

PlabLock *
plab_lock_new (const char *name)
{
  return lock_new (name, 0);
}

PlabLock *
plab_rlock_new (const char *name)
{
  return lock_new (name, 1);
}

void
plab_lock_free (PlabLock *self)
{
  if (self == NULL)
    return;
  if (!self->plain)
    pthread_mutex_destroy (&self->mutex);
  _plab_shared_release (self, sizeof *self);
}

#define LOCK_SPINS 100
#define PLAIN_SPINS 10

bool
_plab_spin_worthwhile (void)
{
  static _Atomic int cpus;
  int n = atomic_load_explicit (&cpus, memory_order_relaxed);

  if (n == 0)
    {
      n = plab_usable_cpus ();
      atomic_store_explicit (&cpus, n, memory_order_relaxed);
    }
  return n > 1;
}

static uint32_t
my_tid (void)
{
  return (uint32_t)_plab_thread_id ();
}

/* Takes the plain lock once if it is free, or from a dead owner: 0,
 * PLAB_EOWNERDEAD, or PLAB_ETIMEDOUT when another thread holds it. @keep is
 * WAITERS when the caller sleeps on it (others may sleep too). */
static int
plain_try (PlabLock *self, uint32_t me, uint32_t keep, bool look_for_dead)
{
  uint32_t v = atomic_load_explicit (&self->word, memory_order_relaxed);

  if ((v & ~WAITERS) == 0)
    {
      if (atomic_compare_exchange_strong_explicit (&self->word, &v, me | keep | (v & WAITERS),
                                                   memory_order_acquire, memory_order_relaxed))
        return 0;
    }
  if (look_for_dead && (v & ~WAITERS) != 0 && !_plab_thread_alive (v & ~WAITERS)
      && atomic_compare_exchange_strong_explicit (&self->word, &v, me | (v & WAITERS),
                                                  memory_order_acquire, memory_order_relaxed))
    {
      /* The previous holder died: what it guarded may be half-updated, but
       * the lock is ours. Say so on the timeline. */
      plab_instant (PLAB_SPAN_CRASH, "lock owner died");
      return PLAB_EOWNERDEAD;
    }
  return PLAB_ETIMEDOUT;
}

/* The blocking part of a plain lock's acquire: sleeps on the word with
 * WAITERS set, in slices, until it is free, its owner is gone, @deadline or
 * a cancel. */
static int
plain_wait (PlabLock *self, uint32_t me, int64_t deadline)
{
  for (;;)
    {
      uint32_t v = atomic_load_explicit (&self->word, memory_order_relaxed);
      int64_t check = plab_now_ns () + DEAD_CHECK_NS;
      int rc;

      if ((v & ~WAITERS) == 0)
        {
          /* Free: take it, marked, since others may sleep too. */
          rc = plain_try (self, me, WAITERS, false);
          if (rc != PLAB_ETIMEDOUT)
            return rc;
          continue;
        }
      if (!(v & WAITERS))
        {
          if (!atomic_compare_exchange_strong (&self->word, &v, v | WAITERS))
            continue;
          v |= WAITERS;
        }
      rc = _plab_futex_wait (&self->word, v, deadline >= 0 && deadline < check ? deadline : check);
      if (rc == PLAB_ECANCELLED)
        return rc;
      if (rc == PLAB_ETIMEDOUT || plab_now_ns () >= check)
        {
          rc = plain_try (self, me, WAITERS, true);
          if (rc != PLAB_ETIMEDOUT)
            return rc;
          if (deadline >= 0 && plab_now_ns () >= deadline)
            return PLAB_ETIMEDOUT;
        }
    }
}

int
plab_lock_acquire (PlabLock *self, int64_t timeout_ns)
{
  int64_t t0;
  uint32_t me = 0;
  int rc;

  if (self->plain)
    {
      uint32_t v = 0;

      me = my_tid ();
      if (atomic_compare_exchange_strong_explicit (&self->word, &v, me, memory_order_acquire,
                                                   memory_order_relaxed))
        return 0;
      if ((v & ~WAITERS) == me)
        return PLAB_EDEADLK; /* the caller holds it already */
      if (timeout_ns == 0)
        return plain_try (self, me, 0, true);
      rc = PLAB_ETIMEDOUT;
      /* A short spin: a longer one hands the lock from CPU to CPU at every
       * acquire, where a sleeping waiter lets the holder take it again. */
      if (_plab_spin_worthwhile ())
        for (int i = 0; i < PLAIN_SPINS && rc == PLAB_ETIMEDOUT; i++)
          {
            _plab_cpu_relax ();
            rc = plain_try (self, me, 0, false);
          }
      if (rc != PLAB_ETIMEDOUT)
        return rc;
    }
  else
    {
      rc = pthread_mutex_trylock (&self->mutex);
      if (rc == 0)
        return 0;
      if (rc == EOWNERDEAD)
        return owner_died (&self->mutex);
      if (rc == EDEADLK)
        return PLAB_EDEADLK; /* the caller holds it already */
      if (rc != EBUSY)
        return PLAB_ESYS;
      if (timeout_ns == 0)
        return PLAB_ETIMEDOUT;

      /* Most critical sections are a few instructions long: with another CPU
       * to run the holder, spinning a moment is cheaper than going to sleep
       * in the kernel and being woken (what an adaptive mutex does). Under
       * the GIL the holder may be waiting for the GIL we hold: then the spin
       * is a few wasted microseconds before the blocking path below lets the
       * GIL go. */
      if (_plab_spin_worthwhile ())
        for (int i = 0; i < LOCK_SPINS; i++)
          {
            _plab_cpu_relax ();
            rc = pthread_mutex_trylock (&self->mutex);
            if (rc == 0)
              return 0;
            if (rc == EOWNERDEAD)
              return owner_died (&self->mutex);
          }
    }

  t0 = plab_span_begin (PLAB_SPAN_LOCK_WAIT, -1, "wait: lock");
  {
    /* Never wait for a lock while holding the simulated GIL. */
    bool gil = plab_gil_release ();
    int64_t deadline = _plab_deadline (timeout_ns);

    rc = self->plain ? plain_wait (self, me, deadline) : _plab_mutex_lock (&self->mutex, deadline);
    plab_gil_acquire (gil);
  }
  wait_span_end (PLAB_SPAN_LOCK_WAIT, t0, "lock", self->name);
  return rc;
}

int
plab_lock_release (PlabLock *self)
{
  uint32_t v;

  if (!self->plain)
    return pthread_mutex_unlock (&self->mutex) == 0 ? 0 : PLAB_ESTATE;
  v = atomic_load_explicit (&self->word, memory_order_relaxed);
  if ((v & ~WAITERS) != my_tid ())
    return PLAB_ESTATE;
  v = atomic_exchange_explicit (&self->word, 0, memory_order_release);
  if (v & WAITERS)
    syscall (SYS_futex, &self->word, FUTEX_WAKE, 1, NULL, NULL, 0);
  return 0;
}

const char *
plab_lock_name (const PlabLock *self)
{
  return self->name;
}

/* --- Semaphore --- */

struct PlabSemaphore
{
  /* Held while reading or changing value; waiters sleep on positive while
   * value is 0. */
  pthread_mutex_t mutex;
  pthread_cond_t positive;
  unsigned value;
  unsigned max; /* 0: unbounded */
  char name[PLAB_SYNC_NAME_MAX];
};

PlabSemaphore *
plab_semaphore_new (const char *name, unsigned value, unsigned max)
{
  PlabSemaphore *self;

  if (max > 0 && value > max)
    {
      _plab_error_set (PLAB_EINVAL, "plab_semaphore_new %s: value %u is over its bound %u",
                       name ? name : "semaphore", value, max);
      return NULL;
    }
  self = OBJECT_NEW (PlabSemaphore, mutex, positive, name, name, "semaphore");
  if (self == NULL)
    return NULL;
  self->value = value;
  self->max = max;
  return self;
}

void
plab_semaphore_free (PlabSemaphore *self)
{
  OBJECT_FREE (PlabSemaphore, mutex, self);
}

static bool
semaphore_try_take (void *data)
{
  PlabSemaphore *self = data;

  if (self->value == 0)
    return false;
  self->value--;
  return true;
}

int
plab_semaphore_acquire (PlabSemaphore *self, int64_t timeout_ns)
{
  static const WaitKind kind = { PLAB_SPAN_LOCK_WAIT, "semaphore", "wait: semaphore" };

  return wait_for (self, semaphore_try_take, &self->mutex, &self->positive, self->name, &kind,
                   timeout_ns);
}

int
plab_semaphore_release (PlabSemaphore *self)
{
  int rc = state_lock (&self->mutex);

  if (rc != 0)
    return rc;
  if (self->max > 0 && self->value >= self->max)
    rc = PLAB_ERANGE;
  else
    {
      self->value++;
      pthread_cond_signal (&self->positive);
    }
  pthread_mutex_unlock (&self->mutex);
  return rc;
}

unsigned
plab_semaphore_value (PlabSemaphore *self)
{
  unsigned v;

  state_lock (&self->mutex);
  v = self->value;
  pthread_mutex_unlock (&self->mutex);
  return v;
}

/* --- Event flag --- */

struct PlabEventFlag
{
  /* Held while reading or changing is_set; waiters sleep on changed. */
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  int is_set;
  char name[PLAB_SYNC_NAME_MAX];
};

PlabEventFlag *
plab_event_flag_new (const char *name)
{
  return OBJECT_NEW (PlabEventFlag, mutex, changed, name, name, "event");
}

void
plab_event_flag_free (PlabEventFlag *self)
{
  OBJECT_FREE (PlabEventFlag, mutex, self);
}

void
plab_event_flag_set (PlabEventFlag *self)
{
  state_lock (&self->mutex);
  self->is_set = 1;
  pthread_cond_broadcast (&self->changed);
  pthread_mutex_unlock (&self->mutex);
}

void
plab_event_flag_clear (PlabEventFlag *self)
{
  state_lock (&self->mutex);
  self->is_set = 0;
  pthread_mutex_unlock (&self->mutex);
}

bool
plab_event_flag_is_set (PlabEventFlag *self)
{
  int v;

  state_lock (&self->mutex);
  v = self->is_set;
  pthread_mutex_unlock (&self->mutex);
  return v != 0;
}

static bool
event_flag_try_take (void *data)
{
  PlabEventFlag *self = data;

  return self->is_set != 0;
}

int
plab_event_flag_wait (PlabEventFlag *self, int64_t timeout_ns)
{
  static const WaitKind kind = { PLAB_SPAN_WAIT, "event", "wait: event" };

  return wait_for (self, event_flag_try_take, &self->mutex, &self->changed, self->name, &kind,
                   timeout_ns);
}

/* --- Condition --- */

struct PlabCondition
{
  PlabLock lock; /* the user's lock, held around wait and notify */
  pthread_cond_t cond;
};

PlabCondition *
plab_condition_new (const char *name)
{
  return OBJECT_NEW (PlabCondition, lock.mutex, cond, lock.name, name, "condition");
}

void
plab_condition_free (PlabCondition *self)
{
  OBJECT_FREE (PlabCondition, lock.mutex, self);
}

PlabLock *
plab_condition_lock (PlabCondition *self)
{
  return &self->lock;
}

static int
condition_wait_blocking (PlabCondition *self, int64_t timeout_ns)
{
  int64_t t0;
  int rc;

  if (timeout_ns == 0)
    return PLAB_ETIMEDOUT;
  t0 = plab_span_begin (PLAB_SPAN_LOCK_WAIT, -1, "wait: condition");
  rc = _plab_cond_wait (&self->cond, &self->lock.mutex, _plab_deadline (timeout_ns));
  wait_span_end (PLAB_SPAN_LOCK_WAIT, t0, "condition", self->lock.name);
  return rc;
}

int
plab_condition_wait (PlabCondition *self, int64_t timeout_ns)
{
  bool gil = _plab_gil_let_go (timeout_ns);

  return _plab_gil_back (gil, condition_wait_blocking (self, timeout_ns));
}

void
plab_condition_notify (PlabCondition *self)
{
  pthread_cond_signal (&self->cond);
}

void
plab_condition_notify_all (PlabCondition *self)
{
  pthread_cond_broadcast (&self->cond);
}

void
plab_condition_notify_n (PlabCondition *self, unsigned n)
{
  /* Each signal wakes at least one waiter, if any wait. */
  for (unsigned i = 0; i < n; i++)
    pthread_cond_signal (&self->cond);
}

int
plab_condition_wait_for (PlabCondition *self,
                         PlabPredicateFunc predicate,
                         void *data,
                         int64_t timeout_ns)
{
  int64_t deadline = _plab_deadline (timeout_ns);

  while (!predicate (data))
    {
      int64_t left = deadline < 0 ? -1 : deadline - plab_now_ns ();
      int rc;

      if (deadline >= 0 && left <= 0)
        return PLAB_ETIMEDOUT;
      rc = plab_condition_wait (self, left);
      if (rc == PLAB_ETIMEDOUT)
        return predicate (data) ? 0 : PLAB_ETIMEDOUT;
      if (rc != 0 && rc != PLAB_EOWNERDEAD)
        return rc;
    }
  return 0;
}

/* --- Barrier --- */

struct PlabBarrier
{
  /* Held while reading or changing the counts. A round ends when arrived
   * reaches parties: round is bumped and everyone waiting on released wakes. */
  pthread_mutex_t mutex;
  pthread_cond_t released;
  unsigned parties;
  unsigned arrived;
  unsigned round;
  int broken;
  /* Run by the last party to arrive, under the mutex, before the others go:
   * a function address, valid in forked children. */
  PlabBarrierAction action;
  void *action_data;
  char name[PLAB_SYNC_NAME_MAX];
};

PlabBarrier *
plab_barrier_new (const char *name, unsigned parties)
{
  PlabBarrier *self;

  if (parties == 0)
    {
      _plab_error_set (PLAB_EINVAL, "plab_barrier_new %s: parties must be 1 or more",
                       name ? name : "barrier");
      return NULL;
    }
  self = OBJECT_NEW (PlabBarrier, mutex, released, name, name, "barrier");
  if (self != NULL)
    self->parties = parties;
  return self;
}

void
plab_barrier_free (PlabBarrier *self)
{
  OBJECT_FREE (PlabBarrier, mutex, self);
}

static int
barrier_wait_blocking (PlabBarrier *self, int64_t timeout_ns)
{
  int64_t deadline = _plab_deadline (timeout_ns);
  int64_t t0 = plab_now_ns ();
  int64_t open_t0;
  unsigned round;
  int rc = state_lock (&self->mutex);
  int index;

  if (rc != 0)
    return rc;
  if (self->broken)
    {
      pthread_mutex_unlock (&self->mutex);
      return PLAB_EBROKEN;
    }
  index = (int)self->arrived++;
  round = self->round;
  if (self->arrived == self->parties)
    {
      if (self->action != NULL && self->action (self->action_data) != 0)
        {
          /* A failed action breaks the barrier, as Python's does. */
          self->broken = 1;
          self->arrived = 0;
          pthread_cond_broadcast (&self->released);
          pthread_mutex_unlock (&self->mutex);
          return PLAB_EBROKEN;
        }
      self->arrived = 0;
      self->round++;
      pthread_cond_broadcast (&self->released);
      pthread_mutex_unlock (&self->mutex);
      return index;
    }
  /* Shown open while this party waits for the others; recorded from t0. */
  open_t0 = plab_span_begin (PLAB_SPAN_WAIT, -1, "wait: barrier");
  while (self->round == round && !self->broken)
    {
      rc = _plab_cond_wait (&self->released, &self->mutex, deadline);
      if (rc == PLAB_EOWNERDEAD)
        rc = 0;
      if (rc != 0)
        {
          /* A timeout breaks the barrier for everyone, as in Python. */
          self->broken = 1;
          pthread_cond_broadcast (&self->released);
          break;
        }
    }
  if (rc == 0 && self->round == round)
    rc = PLAB_EBROKEN;
  pthread_mutex_unlock (&self->mutex);
  plab_span_forget (PLAB_SPAN_WAIT, open_t0);
  wait_span_end (PLAB_SPAN_WAIT, t0, "barrier", self->name);
  return rc == 0 ? index : rc;
}

int
plab_barrier_wait (PlabBarrier *self, int64_t timeout_ns)
{
  bool gil = _plab_gil_let_go (timeout_ns);

  return _plab_gil_back (gil, barrier_wait_blocking (self, timeout_ns));
}

void
plab_barrier_reset (PlabBarrier *self)
{
  state_lock (&self->mutex);
  self->broken = 0;
  self->arrived = 0;
  self->round++;
  pthread_cond_broadcast (&self->released);
  pthread_mutex_unlock (&self->mutex);
}

unsigned
plab_barrier_parties (const PlabBarrier *self)
{
  return self->parties;
}

void
plab_barrier_set_action (PlabBarrier *self, PlabBarrierAction action, void *data)
{
  state_lock (&self->mutex);
  self->action = action;
  self->action_data = data;
  pthread_mutex_unlock (&self->mutex);
}

void
plab_barrier_abort (PlabBarrier *self)
{
  state_lock (&self->mutex);
  self->broken = 1;
  pthread_cond_broadcast (&self->released);
  pthread_mutex_unlock (&self->mutex);
}

unsigned
plab_barrier_n_waiting (PlabBarrier *self)
{
  unsigned n;

  state_lock (&self->mutex);
  n = self->broken ? 0 : self->arrived;
  pthread_mutex_unlock (&self->mutex);
  return n;
}

bool
plab_barrier_broken (PlabBarrier *self)
{
  bool broken;

  state_lock (&self->mutex);
  broken = self->broken != 0;
  pthread_mutex_unlock (&self->mutex);
  return broken;
}

/* --- Sleep --- */

int
plab_sleep_ns (int64_t ns)
{
  int64_t t0 = plab_span_begin (PLAB_SPAN_SLEEP, -1, "sleep");
  int64_t end = t0 + ns;
  int rc = 0;
  bool gil = plab_gil_release ();

  for (;;)
    {
      int64_t until = slice_end (end);
      struct timespec ts = to_timespec (until);

      while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
      if (until == end)
        break;
      if (plab_cancelled ())
        {
          rc = PLAB_ECANCELLED;
          break;
        }
    }
  plab_gil_acquire (gil);
  plab_span (PLAB_SPAN_SLEEP, t0, plab_now_ns (), -1, "sleep");
  return rc;
}

/* --- Shared memory block --- */

struct PlabShared
{
  PlabLock lock;
  int with_lock;
  size_t size;
  size_t map_size;
  /* The data follows, aligned for any type. */
  _Alignas(64) unsigned char data[];
};

PlabShared *
plab_shared_new (const char *name, size_t size, bool with_lock)
{
  size_t map_size = sizeof (PlabShared) + size;
  PlabShared *self = _plab_shared_alloc (map_size);

  if (self == NULL)
    return NULL;
  self->lock.plain = true;
  snprintf (self->lock.name, sizeof self->lock.name, "%s", name ? name : "shared");
  self->with_lock = with_lock;
  self->size = size;
  self->map_size = map_size;
  return self;
}

void
plab_shared_free (PlabShared *self)
{
  if (self == NULL)
    return;
  _plab_shared_release (self, self->map_size);
}

void *
plab_shared_data (PlabShared *self)
{
  return self->data;
}

size_t
plab_shared_size (const PlabShared *self)
{
  return self->size;
}

PlabLock *
plab_shared_lock (PlabShared *self)
{
  return self->with_lock ? &self->lock : NULL;
}
