/* plab-pool.c: a pool's life: creating it, starting and replacing workers,
 * and closing, terminating and joining it. The workers' own loop is in
 * plab-pool-worker.c, maps in plab-pool-map.c, and futures and imap in
 * plab-pool-task.c and plab-pool-future.c, on the same workers.
 *
 * One algorithm serves the threads, gil and processes backends; only where the
 * workers live differs. The parent and the workers share a PoolShared block (a
 * shared mapping, inherited by forked workers; for processes a memfd, whose
 * descriptor reaches workers started by spawn or forkserver) holding:
 *
 *   generation   futex word: the parent bumps it to wake the workers (a new
 *                map, new tasks, more work to retry, or stop)
 *   map          the current map: function, sizes, where items, results and
 *                per-item states are in the arena, and map_seq, its number
 *   next_item    the next item to hand out (workers fetch_add a chunk)
 *   retry ring   item ranges to hand out again (written by the parent only)
 *   task ring    submitted tasks, in order (see plab-pool-task.c)
 *   slots[]      per worker: the chunk it holds, the item it is running, the
 *                last map it finished, and why it left if it did
 *
 * The arena holds items, results and one int32 state per item (0: pending,
 * 1: done, negative: the item's error). For processes it is a memfd that
 * only grows: the parent and each worker keep it mapped from one map to the
 * next and map it again only when it grew, so maps of any size need no
 * re-fork, and a map into an arena already in place costs no page faults.
 * For threads the workers use the caller's arrays directly.
 *
 * A worker writes an item's result, then its state with release order; the
 * parent reads states with acquire order, so a done state means a complete
 * result. The parent rewrites the map only while every live worker has
 * finished claiming from the previous one (idle_map == map_seq), and decides
 * that a map is finished when every item has a state and every live worker
 * is idle for it (so none still touches the arena).
 *
 * Chunks. With chunk_size 0 the chunk is measured: after each chunk a worker
 * stores how many items would have taken about 2 ms (chunk_hint), starting
 * from one item; a claim never takes more than the remaining items divided by
 * twice the workers, so chunks shrink towards the end and no worker is left
 * with a long tail while the others wait.
 *
 * When a worker process dies, the parent reads its slot: the item (or task)
 * it was running fails with PLAB_ECRASHED and a message naming the pid and
 * the signal, the rest of its chunk goes to the retry ring, and a new worker
 * takes the slot. A chunk lost to a worker killed between claiming and
 * recording it is found by the final sweep (all workers idle, items still
 * pending) and retried too. Each crash fails at most one item and every
 * wake-up either finishes items or finds idle workers, so a map always ends.
 * A worker that reached max_tasks_per_worker leaves on its own and is
 * replaced quietly; one whose initializer failed breaks the pool.
 */
#include "plab-pool.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab-error.h"
#include "plab-gil.h"
#include "plab-pool-private.h"
#include "plab-process-private.h"
#include "plab-start-private.h"
#include "plab-sysinfo.h"
#include "plab-trace-private.h"

/* How long stopped workers may take to leave before SIGKILL: after SIGTERM
 * (terminate), and when asked politely (free, join), where a slow exit (say,
 * under valgrind) must not be mistaken for a hang. */
#define TERMINATE_GRACE_NS 1000000000LL
#define STOP_GRACE_NS 5000000000LL
/* How long terminated workers may take to stop through the cancel flag before
 * SIGTERM: a task that looks at the flag ends within this, with its span. */
#define CANCEL_GRACE_NS 100000000LL
#define TASK_BYTES_DEFAULT (64 * 1024)
#define TASK_BYTES_MAX (4 * 1024 * 1024)

static const char *const backend_names[PLAB_N_BACKENDS] = {
  [PLAB_BACKEND_SERIAL] = "serial",
  [PLAB_BACKEND_THREADS] = "threads",
  [PLAB_BACKEND_PROCESSES] = "processes",
  [PLAB_BACKEND_GIL] = "gil",
};

const char *
plab_backend_name (PlabBackend backend)
{
  if (backend == PLAB_BACKEND_MPI)
    return "mpi";
  if ((unsigned)backend >= PLAB_N_BACKENDS)
    return "unknown";
  return backend_names[backend];
}

int
plab_backend_from_name (const char *name, PlabBackend *out)
{
  for (int i = 0; name != NULL && i < PLAB_N_BACKENDS; i++)
    if (strcmp (name, backend_names[i]) == 0)
      {
        *out = (PlabBackend)i;
        return 0;
      }
  if (name != NULL && strcmp (name, "mpi") == 0)
    {
      *out = PLAB_BACKEND_MPI;
      return 0;
    }
  return PLAB_EINVAL;
}

static void
futex_wake_all (_Atomic uint32_t *word)
{
  syscall (SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Wakes the workers asleep on the generation, the caller having bumped it:
 * none when none sleeps, or when every one that went to sleep was woken
 * already (PoolShared.sleeps). */
static void
wake_sleepers (PlabPool *self)
{
  PoolShared *sh = self->sh;
  uint32_t sleeps = atomic_load (&sh->sleeps);

  self->wake_owed = false;
  if (atomic_load (&sh->sleepers) == 0 || sleeps == self->sleeps_woken)
    return;
  self->sleeps_woken = sleeps;
  futex_wake_all (&sh->generation);
}

/* Bumps the generation, and wakes the workers that may sleep on it (see
 * PoolShared.sleepers): none asleep, no system call. */
static void
wake_workers (PlabPool *self)
{
  atomic_fetch_add (&self->sh->generation, 1);
  wake_sleepers (self);
}

void
_plab_pool_wake (PlabPool *self)
{
  self->wake_owed = false;
  wake_workers (self);
}

/* A worker that is not asleep sees the new generation before it sleeps (see
 * PoolShared.sleepers), so a task queued while one is awake is taken without
 * a system call; the others are woken when the queue outgrows the awake
 * workers, or before the parent waits. */
void
_plab_pool_wake_for_task (PlabPool *self)
{
  PoolShared *sh = self->sh;
  uint32_t sleepers;
  uint64_t queued;

  atomic_fetch_add (&sh->generation, 1);
  sleepers = atomic_load (&sh->sleepers);
  if (sleepers == 0)
    return;
  queued = atomic_load (&sh->task_tail) - atomic_load (&sh->task_head);
  if (sleepers >= (uint32_t)self->n_workers || queued > (uint64_t)(self->n_workers - sleepers))
    wake_sleepers (self);
  else
    self->wake_owed = true;
}

/* --- Parent side --- */

static int
start_worker (PlabPool *self, int slot)
{
  Worker *w = &self->workers[slot];
  PoolShared *sh = self->sh;
  Slot *sl = &sh->slots[slot];
  char name[PLAB_LANE_NAME_MAX];
  pid_t parent = getpid ();
  uint32_t map_seq = atomic_load (&sh->map_seq);
  int rc;

  memset (w, 0, sizeof *w);
  w->pool = self;
  w->slot = slot;
  w->lane = -1;
  w->pidfd = -1;
  w->number = ++self->worker_counter;
  atomic_store (&sl->current, -1);
  atomic_store (&sl->chunk_start, -1);
  atomic_store (&sl->chunk_end, -1);
  atomic_store (&sl->exit_reason, WORKER_RUNNING);
  sl->init_error = 0;
  /* A worker started during a map joins it; otherwise it is idle for the
   * last map, so the parent may write the next one. */
  atomic_store (&sl->idle_map, self->map_active ? map_seq - 1 : map_seq);

  if (self->trace != NULL)
    {
      snprintf (name, sizeof name, "%s %d", self->lane_prefix, w->number);
      rc = plab_trace_add_lane (self->trace,
                                self->backend == PLAB_BACKEND_PROCESSES ? PLAB_LANE_PROCESS
                                                                        : PLAB_LANE_THREAD,
                                name, &w->lane);
      if (rc != 0)
        return rc;
    }
  w->start_ns = plab_now_ns ();

  if (self->backend == PLAB_BACKEND_PROCESSES && self->start_method != PLAB_START_FORK)
    {
      PoolWorkerBoot b = {
        .slot = slot,
        .number = w->number,
        .max_tasks = self->max_tasks,
        .lane = -1,
        .initializer = (uint64_t)(uintptr_t)self->initializer,
        .init_data = (uint64_t)(uintptr_t)self->init_data,
        .task_stride = self->task_stride,
        .tasks_mapped = self->tasks_mapped,
        .payload_off = (uint64_t)(self->payload - (char *)self->tasks),
        .start_ns = w->start_ns,
      };
      size_t map_size = 0;
      int fds[] = { self->sh_fd, self->tasks_fd, self->memfd, self->efd,
                    _plab_trace_lane_fd (self->trace, w->lane, &map_size) };

      b.lane_map_size = fds[4] >= 0 ? map_size : 0;
      rc = _plab_start_child (self->start_method, BOOT_POOL_WORKER, &b, sizeof b, fds,
                              fds[4] >= 0 ? 5 : 4, &w->pid);
      if (rc != 0)
        return rc;
      w->pidfd = _plab_pidfd_open (w->pid);
      atomic_store_explicit (&self->live_pids[slot], w->pid, memory_order_relaxed);
    }
  else if (self->backend == PLAB_BACKEND_PROCESSES)
    {
      pid_t pid;

      fflush (NULL);
      pid = fork ();
      if (pid < 0)
        return _plab_error_syscall ("fork", errno);
      if (pid == 0)
        {
          _plab_child_setup (parent);
          _plab_pool_worker_main (w);
          _exit (0);
        }
      w->pid = pid;
      w->pidfd = _plab_pidfd_open (pid);
      atomic_store_explicit (&self->live_pids[slot], pid, memory_order_relaxed);
    }
  else
    {
      rc = pthread_create (&w->thread, NULL, _plab_pool_worker_thread, w);
      if (rc != 0)
        return _plab_error_syscall ("pthread_create", rc);
      w->pid = getpid ();
    }
  w->alive = true;
  return 0;
}

/* Undoes a mapping of @size bytes (none when @mem is NULL) and closes the
 * descriptor it was made from (none when @fd is negative). */
static void
unmap_and_close (void *mem, size_t size, int fd)
{
  if (mem != NULL)
    munmap (mem, size);
  if (fd >= 0)
    close (fd);
}

static void
pool_free_shared (PlabPool *self)
{
  unmap_and_close (self->arena, self->arena_mapped, self->memfd);
  unmap_and_close (NULL, 0, self->efd);
  unmap_and_close (self->sh, sizeof (PoolShared), self->sh_fd);
  unmap_and_close (self->tasks, self->tasks_mapped, self->tasks_fd);
  free (self->t_states);
}

/* A shared mapping of a new memfd of @size bytes (sparse: pages cost only
 * once touched); *fd_out keeps the descriptor for workers that do not fork
 * from here. MAP_FAILED on failure. */
static void *
shared_memfd_map (size_t size, const char *name, int *fd_out)
{
  int fd = memfd_create (name, MFD_CLOEXEC);
  void *mem;

  if (fd < 0)
    {
      _plab_error_syscall ("memfd_create", errno);
      return MAP_FAILED;
    }
  if (ftruncate (fd, (off_t)size) < 0)
    {
      _plab_error_syscall ("ftruncate", errno);
      close (fd);
      return MAP_FAILED;
    }
  mem = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  if (mem == MAP_FAILED)
    {
      _plab_error_syscall ("mmap", errno);
      close (fd);
    }
  else
    *fd_out = fd;
  return mem;
}

/* The task slots and their payloads: one mapping, shared with the workers. */
static int
tasks_map (PlabPool *self, size_t task_bytes)
{
  size_t table = (sizeof (TaskSlot) * PLAB_POOL_MAX_TASKS + 4095) / 4096 * 4096;

  self->task_stride = (task_bytes + POOL_CACHE_LINE - 1) / POOL_CACHE_LINE * POOL_CACHE_LINE;
  self->tasks_mapped = table + self->task_stride * PLAB_POOL_MAX_TASKS;
  /* Untouched pages cost nothing: only the payloads in use are ever faulted in. */
  if (self->backend == PLAB_BACKEND_PROCESSES)
    self->tasks = shared_memfd_map (self->tasks_mapped, "plab-pool-tasks", &self->tasks_fd);
  else
    self->tasks = mmap (NULL, self->tasks_mapped, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (self->tasks == MAP_FAILED)
    {
      if (self->backend != PLAB_BACKEND_PROCESSES)
        _plab_error_syscall ("mmap", errno);
      self->tasks = NULL;
      return PLAB_ENOMEM;
    }
  self->payload = (char *)self->tasks + table;
  for (int i = 0; i < PLAB_POOL_MAX_TASKS; i++)
    self->free_slots[i] = (uint32_t)(PLAB_POOL_MAX_TASKS - 1 - i);
  self->n_free = PLAB_POOL_MAX_TASKS;
  return 0;
}

/* PLAB_EINVAL, with the option at fault in plab_error_detail (), or 0. */
static int
check_options (const PlabPoolOptions *o)
{
  if (o == NULL)
    return _plab_error_set (PLAB_EINVAL, "plab_pool_new: options is NULL");
  if ((unsigned)o->backend >= PLAB_N_BACKENDS)
    return _plab_error_set (PLAB_EINVAL, "plab_pool_new: backend %d is not a PlabBackend",
                            (int)o->backend);
  if (o->workers < 0 || o->workers > PLAB_POOL_MAX_WORKERS)
    return _plab_error_set (PLAB_EINVAL, "plab_pool_new: workers is %d, not 0 (usable CPUs) .. %d",
                            o->workers, PLAB_POOL_MAX_WORKERS);
  if ((unsigned)o->start_method >= PLAB_N_START_METHODS)
    return _plab_error_set (PLAB_EINVAL, "plab_pool_new: start method %d is not a PlabStartMethod",
                            (int)o->start_method);
  if (o->max_tasks_per_worker < 0)
    return _plab_error_set (PLAB_EINVAL, "plab_pool_new: max_tasks_per_worker is negative");
  if (o->task_max_bytes > TASK_BYTES_MAX)
    return _plab_error_set (PLAB_EINVAL, "plab_pool_new: task_max_bytes is over %zu",
                            (size_t)TASK_BYTES_MAX);
  if (o->gil_switch_ns < 0)
    return _plab_error_set (PLAB_EINVAL, "plab_pool_new: gil_switch_ns is negative");
  return 0;
}

int
plab_pool_new (const PlabPoolOptions *options, PlabPool **out)
{
  PlabPool *self;
  size_t task_bytes;
  int rc = PLAB_ENOMEM;

  *out = NULL;
  rc = check_options (options);
  if (rc != 0)
    return rc;
  task_bytes = options->task_max_bytes ? options->task_max_bytes : TASK_BYTES_DEFAULT;

  self = calloc (1, sizeof *self);
  if (self == NULL)
    return _plab_error_set (PLAB_ENOMEM, "plab_pool_new: out of memory");
  self->backend = options->backend;
  self->n_workers = options->workers > 0 ? options->workers : plab_usable_cpus ();
  if (self->n_workers > PLAB_POOL_MAX_WORKERS)
    self->n_workers = PLAB_POOL_MAX_WORKERS;
  if (self->backend == PLAB_BACKEND_SERIAL)
    self->n_workers = 1;
  self->trace = options->trace;
  self->cancel = options->cancel;
  self->initializer = options->initializer;
  self->init_data = options->init_data;
  self->max_tasks = options->max_tasks_per_worker;
  self->task_stride = task_bytes;
  snprintf (self->lane_prefix, sizeof self->lane_prefix, "%s",
            options->lane_prefix ? options->lane_prefix : "worker");
  self->start_method = options->start_method;
  self->efd = -1;
  self->memfd = -1;
  self->sh_fd = -1;
  self->tasks_fd = -1;
  if (self->backend == PLAB_BACKEND_GIL)
    {
      self->gil = plab_gil_new (options->gil_switch_ns);
      if (self->gil == NULL)
        {
          free (self);
          return _plab_error_set (PLAB_ENOMEM, "plab_pool_new: cannot make the GIL");
        }
    }

  if (self->backend == PLAB_BACKEND_SERIAL)
    {
      /* No workers: the caller runs everything. An initializer runs once, here. */
      if (self->initializer != NULL && (rc = self->initializer (self->init_data)) != 0)
        {
          snprintf (self->message, sizeof self->message, "the initializer failed: %s",
                    plab_strerror (_plab_pool_error_code (rc)));
          self->state = PLAB_POOL_BROKEN;
        }
      *out = self;
      return 0;
    }

  if (self->backend == PLAB_BACKEND_PROCESSES)
    self->sh = shared_memfd_map (sizeof (PoolShared), "plab-pool-shared", &self->sh_fd);
  else
    self->sh = mmap (NULL, sizeof (PoolShared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                     -1, 0);
  if (self->sh == MAP_FAILED)
    {
      if (self->backend != PLAB_BACKEND_PROCESSES)
        _plab_error_syscall ("mmap", errno);
      self->sh = NULL;
      rc = PLAB_ESYS;
      goto fail;
    }
  self->sh->n_workers = (uint32_t)self->n_workers;
  atomic_store (&self->sh->chunk_hint, 1);
  rc = tasks_map (self, task_bytes);
  if (rc != 0)
    goto fail;
  self->efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (self->efd < 0)
    {
      rc = _plab_error_syscall ("eventfd", errno);
      goto fail;
    }
  if (self->backend == PLAB_BACKEND_PROCESSES)
    {
      self->memfd = memfd_create ("plab-pool", MFD_CLOEXEC);
      if (self->memfd < 0)
        {
          rc = _plab_error_syscall ("memfd_create", errno);
          goto fail;
        }
    }

  for (int i = 0; i < self->n_workers; i++)
    {
      rc = start_worker (self, i);
      if (rc != 0)
        {
          self->n_workers = i;
          plab_pool_free (self);
          return rc;
        }
    }
  *out = self;
  return 0;

fail:
  pool_free_shared (self);
  plab_gil_free (self->gil);
  free (self);
  return rc;
}

static void
note_lane_end (PlabPool *self, Worker *w, const PlabExitStatus *st)
{
  if (self->trace == NULL || w->lane < 0)
    return;
  plab_trace_set_lane_end (self->trace, w->lane, w->pid,
                           st->state == PLAB_PROCESS_KILLED ? PLAB_LANE_KILLED : PLAB_LANE_EXITED,
                           st->code, st->signal);
}

/* Reaps the worker processes that exit by @deadline; the others go on. */
static void
reap_exited (PlabPool *self, int64_t deadline)
{
  for (int i = 0; i < self->n_workers; i++)
    {
      Worker *w = &self->workers[i];
      PlabExitStatus st;
      int64_t left;

      if (!w->alive)
        continue;
      left = deadline - plab_now_ns ();
      if (_plab_wait_pid (w->pid, w->pidfd, left > 0 ? left : 0, &st) != 0)
        continue;
      note_lane_end (self, w, &st);
      w->alive = false;
      atomic_store_explicit (&self->live_pids[i], 0, memory_order_relaxed);
    }
}

/* Reaps every live worker process, giving each until a common grace period
 * ends to exit by itself, then SIGKILL. With @terminate, SIGTERM first; but
 * before that the workers have CANCEL_GRACE_NS to stop through the cancel
 * flag, so that a task that looks at it ends with its span recorded, as on
 * threads, instead of being killed with it. */
static void
reap_processes (PlabPool *self, bool terminate)
{
  int64_t deadline;

  if (terminate)
    {
      reap_exited (self, plab_now_ns () + CANCEL_GRACE_NS);
      for (int i = 0; i < self->n_workers; i++)
        if (self->workers[i].alive)
          kill (self->workers[i].pid, SIGTERM);
    }
  deadline = plab_now_ns () + (terminate ? TERMINATE_GRACE_NS : STOP_GRACE_NS);
  reap_exited (self, deadline);
  for (int i = 0; i < self->n_workers; i++)
    {
      Worker *w = &self->workers[i];
      PlabExitStatus st;

      if (!w->alive)
        continue;
      kill (w->pid, SIGKILL);
      _plab_wait_pid (w->pid, w->pidfd, -1, &st);
      note_lane_end (self, w, &st);
      w->alive = false;
      atomic_store_explicit (&self->live_pids[i], 0, memory_order_relaxed);
    }
}

/* Joins every worker thread; they leave at their next look at stop. */
static void
join_threads (PlabPool *self)
{
  for (int i = 0; i < self->n_workers; i++)
    if (self->workers[i].alive)
      {
        PlabExitStatus st = { .state = PLAB_PROCESS_EXITED };
        pthread_join (self->workers[i].thread, NULL);
        note_lane_end (self, &self->workers[i], &st);
        self->workers[i].alive = false;
      }
}

/* Tells the workers to stop and waits for them: processes get a grace period
 * (then SIGKILL), or SIGTERM at once with @terminate. A thread cannot be
 * killed: with @terminate its running task is asked to end through the
 * cancel flag, which every blocking call of the library and every demo loop
 * looks at, and the thread is then waited for. */
static void
stop_workers (PlabPool *self, bool terminate)
{
  if (self->sh == NULL)
    return;
  if (terminate)
    __atomic_store_n (&self->sh->cancel, 1, __ATOMIC_RELAXED);
  atomic_store (&self->sh->stop, 1);
  atomic_store (&self->sh->abort, 1);
  wake_workers (self);
  if (self->backend == PLAB_BACKEND_PROCESSES)
    reap_processes (self, terminate);
  else
    join_threads (self);
  if (self->trace != NULL)
    plab_trace_drain (self->trace);
}

void
_plab_pool_stop_hard (PlabPool *self, PlabPoolState state, int rc, const char *message)
{
  char why[sizeof self->message];

  if (self->state == PLAB_POOL_BROKEN || self->state == PLAB_POOL_TERMINATED)
    return;
  /* @message may be self->message itself. */
  snprintf (why, sizeof why, "%s", message);
  stop_workers (self, true);
  self->state = state;
  snprintf (self->message, sizeof self->message, "%s", why);
  _plab_pool_release_futures (self, rc, why);
}

void
plab_pool_free (PlabPool *self)
{
  if (self == NULL)
    return;

  /* Workers exit on their own at the wake-up; processes get a moment, then force. */
  if (self->state == PLAB_POOL_RUNNING || self->state == PLAB_POOL_CLOSING)
    stop_workers (self, false);
  _plab_pool_release_futures (self, PLAB_ECANCELLED, "the pool was freed");

  for (int i = 0; i < self->n_workers; i++)
    if (self->workers[i].pidfd >= 0)
      close (self->workers[i].pidfd);

  pool_free_shared (self);
  plab_gil_free (self->gil);
  free (self);
}

int
plab_pool_workers (const PlabPool *self)
{
  return self->n_workers;
}

PlabBackend
plab_pool_backend (const PlabPool *self)
{
  return self->backend;
}

PlabPoolState
plab_pool_state (const PlabPool *self)
{
  return self->state;
}

const char *
plab_pool_state_name (PlabPoolState state)
{
  switch (state)
    {
    case PLAB_POOL_RUNNING:
      return "running";
    case PLAB_POOL_CLOSING:
      return "closing";
    case PLAB_POOL_TERMINATED:
      return "terminated";
    case PLAB_POOL_BROKEN:
      return "broken";
    }
  return "unknown";
}

const char *
plab_pool_message (const PlabPool *self)
{
  return self->message;
}

int
plab_pool_worker_pids (const PlabPool *self, int *pids, int max)
{
  int n = 0;

  if (self->backend != PLAB_BACKEND_PROCESSES)
    return 0;
  for (int i = 0; i < self->n_workers && n < max; i++)
    {
      int pid = atomic_load_explicit (&self->live_pids[i], memory_order_relaxed);
      if (pid != 0)
        pids[n++] = pid;
    }
  return n;
}

int
plab_pool_close (PlabPool *self)
{
  if (self->state != PLAB_POOL_RUNNING)
    return PLAB_ESTATE;
  self->state = PLAB_POOL_CLOSING;
  return 0;
}

int
plab_pool_shutdown (PlabPool *self, bool wait, bool cancel_futures)
{
  if (self->state == PLAB_POOL_RUNNING)
    self->state = PLAB_POOL_CLOSING;
  if (cancel_futures && self->state == PLAB_POOL_CLOSING)
    {
      self->cancel_not_started = true;
      _plab_pool_cancel_queued (self);
    }
  if (wait && self->state == PLAB_POOL_CLOSING)
    return plab_pool_join (self, -1);
  return 0;
}

void
plab_pool_terminate (PlabPool *self)
{
  if (self->state == PLAB_POOL_TERMINATED)
    return;
  if (self->state == PLAB_POOL_BROKEN)
    {
      self->state = PLAB_POOL_TERMINATED;
      return;
    }
  if (self->sh == NULL)
    {
      self->state = PLAB_POOL_TERMINATED;
      snprintf (self->message, sizeof self->message, "the pool was terminated");
      return;
    }
  _plab_pool_stop_hard (self, PLAB_POOL_TERMINATED, PLAB_ECANCELLED, "the pool was terminated");
}

int
plab_pool_join (PlabPool *self, int64_t timeout_ns)
{
  int64_t deadline = timeout_ns < 0 ? INT64_MAX : plab_now_ns () + timeout_ns;

  if (self->state == PLAB_POOL_TERMINATED || self->state == PLAB_POOL_BROKEN)
    return 0;
  if (self->state != PLAB_POOL_CLOSING)
    return PLAB_ESTATE;
  if (self->sh != NULL)
    {
      for (;;)
        {
          int64_t left;
          int rc;

          _plab_pool_collect (self);
          if (self->n_busy == 0)
            break;
          left = deadline - plab_now_ns ();
          if (left <= 0)
            return PLAB_ETIMEDOUT;
          rc = _plab_pool_progress (self, _plab_pool_tick_ms (deadline));
          if (rc != 0)
            return rc;
        }
      stop_workers (self, false);
    }
  self->state = PLAB_POOL_TERMINATED;
  snprintf (self->message, sizeof self->message, "the pool was closed and joined");
  return 0;
}

void
_plab_pool_note_failure (MapState *ms, size_t item, int code, int task_code, const char *message)
{
  PlabMapReport *r = &ms->report;

  if (r->n_failed == 0 || item < r->first_failed)
    {
      r->first_failed = item;
      r->first_error = code;
      r->first_task_code = code == PLAB_ETASK ? task_code : 0;
      if (message != NULL)
        snprintf (r->message, sizeof r->message, "item %zu: %s", item, message);
      else if (code == PLAB_ETASK)
        snprintf (r->message, sizeof r->message, "item %zu: the task returned %d", item, task_code);
      else
        snprintf (r->message, sizeof r->message, "item %zu: %s", item, plab_strerror (code));
    }
  r->n_failed++;
}

bool
_plab_pool_push_retry (PoolShared *sh, uint64_t start, uint64_t end)
{
  uint64_t tail = atomic_load_explicit (&sh->retry_tail, memory_order_relaxed);

  if (start >= end)
    return true;
  if (tail - atomic_load_explicit (&sh->retry_head, memory_order_acquire) >= POOL_RETRY_MAX)
    return false;
  sh->retry_start[tail % POOL_RETRY_MAX] = start;
  sh->retry_end[tail % POOL_RETRY_MAX] = end;
  /* Release: the entry is written before workers can see it. */
  atomic_store_explicit (&sh->retry_tail, tail + 1, memory_order_release);
  return true;
}

static void
crash_marker (PlabPool *self, Worker *w, const PlabExitStatus *st, int64_t task_id)
{
  PlabEvent ev = { 0 };

  if (self->trace == NULL || w->lane < 0)
    return;
  ev.start_ns = ev.end_ns = plab_now_ns ();
  ev.task_id = task_id;
  ev.kind = PLAB_SPAN_CRASH;
  ev.item = -1;
  snprintf (ev.label, sizeof ev.label, "%s",
            st->state == PLAB_PROCESS_KILLED ? strsignal (st->signal) : "exited");
  _plab_trace_append (self->trace, w->lane, &ev);
}

/* Fails the task a dead worker was running, if any. Returns whether there was one. */
static bool
fail_running_task (PlabPool *self, int slot, const char *message)
{
  uint32_t running = TASK_RUNNING | (uint32_t)(slot + 1) << 8;

  for (int i = 0; i < PLAB_POOL_MAX_TASKS; i++)
    {
      TaskSlot *t = &self->tasks[i];
      if (!self->slot_busy[i] || atomic_load (&t->state) != running)
        continue;
      /* The worker is dead: nobody else writes this slot now. */
      t->library_error = PLAB_ECRASHED;
      t->done_seq = atomic_fetch_add (&self->sh->done_counter, 1);
      if (self->slot_future[i] != NULL)
        snprintf (self->slot_future[i]->message, sizeof self->slot_future[i]->message, "%s",
                  message);
      atomic_store_explicit (&t->state, TASK_FINISHED, memory_order_release);
      return true;
    }
  return false;
}

/* A worker ended: a quiet retirement, a failed initializer, or a death that
 * fails the item or task it held. Returns an error when the pool cannot go on. */
static int
worker_ended (PlabPool *self,
              Worker *w,
              const PlabExitStatus *st,
              _Atomic int32_t *states,
              MapState *ms)
{
  PoolShared *sh = self->sh;
  Slot *slot = &sh->slots[w->slot];
  uint32_t reason = atomic_load (&slot->exit_reason);
  int64_t cur = atomic_load (&slot->current);
  int64_t end = atomic_load (&slot->chunk_end);
  char how[96], msg[200];

  w->alive = false;
  atomic_store_explicit (&self->live_pids[w->slot], 0, memory_order_relaxed);
  note_lane_end (self, w, st);
  if (w->pidfd >= 0)
    close (w->pidfd);
  w->pidfd = -1;

  if (reason == WORKER_INIT_FAILED)
    {
      snprintf (self->message, sizeof self->message, "the initializer failed in %s %d: %s",
                self->lane_prefix, w->number, plab_strerror (slot->init_error));
      return PLAB_EINIT;
    }
  /* A worker that retired held no task: how its exit went after that (an
   * exit handler's code, a memory checker's error code at exit) loses no
   * work, so it retires, whatever the code; only a signal counts. */
  if (reason == WORKER_RETIRED && st->state == PLAB_PROCESS_EXITED)
    return start_worker (self, w->slot);

  plab_exit_status_describe (st, how, sizeof how);
  snprintf (msg, sizeof msg, "%s %d (pid %d) %s", self->lane_prefix, w->number, (int)w->pid, how);
  crash_marker (self, w, st, cur);

  if (ms != NULL)
    ms->report.n_crashes++;
  if (states != NULL && cur >= 0 && (uint64_t)cur < sh->n_items)
    {
      int32_t expected = POOL_ITEM_PENDING;
      if (atomic_compare_exchange_strong (&states[cur], &expected, PLAB_ECRASHED))
        {
          _plab_pool_note_failure (ms, (size_t)cur, PLAB_ECRASHED, 0, msg);
          if (ms->fail_fast)
            atomic_store (&sh->abort, 1);
        }
      if (end > cur + 1 && !_plab_pool_push_retry (sh, (uint64_t)cur + 1, (uint64_t)end))
        {
          /* The retry ring is full; the final sweep picks these items up. */
        }
    }
  else if (!fail_running_task (self, w->slot, msg))
    self->idle_deaths++;

  atomic_store (&slot->current, -1);
  atomic_store (&slot->chunk_start, -1);
  atomic_store (&slot->chunk_end, -1);

  if (self->idle_deaths > (size_t)(2 * self->n_workers + 3))
    {
      snprintf (self->message, sizeof self->message,
                "workers keep dying before doing anything (last: %s)", msg);
      return PLAB_ECRASHED;
    }
  return start_worker (self, w->slot);
}

/* Reaps workers that ended; returns an error when the pool cannot go on. */
int
_plab_pool_check_workers (PlabPool *self, _Atomic int32_t *states, MapState *ms, bool *changed)
{
  for (int i = 0; i < self->n_workers; i++)
    {
      Worker *w = &self->workers[i];
      PlabExitStatus st = { .state = PLAB_PROCESS_EXITED };
      int rc;

      if (!w->alive)
        continue;
      if (self->backend == PLAB_BACKEND_PROCESSES)
        {
          if (_plab_wait_pid (w->pid, -1, 0, &st) != 0)
            continue;
        }
      else
        {
          /* Threads cannot crash alone; they only leave on their own. */
          if (atomic_load_explicit (&self->sh->slots[i].exit_reason, memory_order_acquire)
              == WORKER_RUNNING)
            continue;
          pthread_join (w->thread, NULL);
        }
      rc = worker_ended (self, w, &st, states, ms);
      if (rc != 0)
        return rc;
      *changed = true;
    }
  return 0;
}

bool
_plab_pool_all_idle (PlabPool *self)
{
  uint32_t seq = atomic_load_explicit (&self->sh->map_seq, memory_order_relaxed);

  for (int i = 0; i < self->n_workers; i++)
    if (self->workers[i].alive
        && atomic_load_explicit (&self->sh->slots[i].idle_map, memory_order_acquire) != seq)
      return false;
  return true;
}

void
_plab_pool_wait_events (PlabPool *self, int timeout_ms)
{
  struct pollfd fds[PLAB_POOL_MAX_WORKERS + 1];
  nfds_t n = 0;
  uint64_t v;
  uint32_t seq;

  if (self->wake_owed)
    wake_sleepers (self);
  /* A notification soon after is seen by looking, without the workers
   * writing the eventfd: they do only while parent_waiting is up. */
  if (timeout_ms > 0)
    _plab_pool_spin (&self->sh->notify_seq, self->notify_seen);
  /* See PoolShared.parent_waiting: a worker that notified since the last
   * look did so perhaps without writing the eventfd, so do not sleep. */
  atomic_store (&self->sh->parent_waiting, 1);
  seq = atomic_load (&self->sh->notify_seq);
  if (seq != self->notify_seen)
    {
      atomic_store (&self->sh->parent_waiting, 0);
      self->notify_seen = seq;
      return;
    }
  fds[n++] = (struct pollfd){ .fd = self->efd, .events = POLLIN };
  for (int i = 0; i < self->n_workers; i++)
    if (self->workers[i].alive && self->workers[i].pidfd >= 0)
      fds[n++] = (struct pollfd){ .fd = self->workers[i].pidfd, .events = POLLIN };
  if (poll (fds, n, timeout_ms) > 0 && (fds[0].revents & POLLIN))
    {
      if (read (self->efd, &v, sizeof v) < 0)
        {
          /* EAGAIN: another read emptied it; nothing to do. */
        }
    }
  atomic_store (&self->sh->parent_waiting, 0);
  self->notify_seen = atomic_load (&self->sh->notify_seq);
}

bool
_plab_pool_cancelled (PlabPool *self)
{
  /* Set by a signal handler or by another thread: read it as an atomic. */
  return self->cancel != NULL && __atomic_load_n (self->cancel, __ATOMIC_RELAXED) != 0;
}

int
_plab_pool_progress (PlabPool *self, int timeout_ms)
{
  bool changed = false;
  int rc;

  if (self->state == PLAB_POOL_BROKEN || self->state == PLAB_POOL_TERMINATED)
    return PLAB_ESTATE;
  _plab_pool_wait_events (self, timeout_ms);
  if (self->trace != NULL)
    plab_trace_drain (self->trace);
  if (_plab_pool_cancelled (self))
    {
      _plab_pool_stop_hard (self, PLAB_POOL_BROKEN, PLAB_ECANCELLED, "cancelled");
      return PLAB_ECANCELLED;
    }
  rc = _plab_pool_check_workers (self, NULL, NULL, &changed);
  if (rc != 0)
    {
      _plab_pool_stop_hard (self, PLAB_POOL_BROKEN, rc, self->message);
      return rc;
    }
  if (changed)
    wake_workers (self);
  _plab_pool_collect (self);
  return 0;
}
