/* plab-pool.c: a pool of workers: the workers, the map, and the pool's states.
 * Futures and imap are in plab-pool-task.c, on the same workers.
 *
 * One algorithm serves the threads, gil and processes backends; only where the
 * workers live differs. The parent and the workers share a PoolShared block (an
 * anonymous shared mapping, inherited by forked workers) holding:
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
#include "plab-sysinfo.h"
#include "plab-trace-private.h"

#define WAIT_TICK_MS POOL_TICK_MS
/* How long stopped workers may take to leave before SIGKILL: after SIGTERM
 * (terminate), and when asked politely (free, join), where a slow exit (say,
 * under valgrind) must not be mistaken for a hang. */
#define TERMINATE_GRACE_NS 1000000000LL
#define STOP_GRACE_NS 5000000000LL
/* How long terminated workers may take to stop through the cancel flag before
 * SIGTERM: a task that looks at the flag ends within this, with its span. */
#define CANCEL_GRACE_NS 100000000LL
#define CHUNK_TARGET_NS 2000000LL
#define CHUNK_HINT_MAX (1u << 24)
#define TASK_BYTES_DEFAULT (64 * 1024)
#define TASK_BYTES_MAX (4 * 1024 * 1024)
#define STATE_PENDING 0
#define STATE_DONE 1

static const char *const backend_names[PLAB_N_BACKENDS] = {
  [PLAB_BACKEND_SERIAL] = "serial",
  [PLAB_BACKEND_THREADS] = "threads",
  [PLAB_BACKEND_PROCESSES] = "processes",
  [PLAB_BACKEND_GIL] = "gil",
};

const char *
plab_backend_name (PlabBackend backend)
{
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
  return PLAB_EINVAL;
}

static void
futex_wait (_Atomic uint32_t *word, uint32_t expected, int timeout_ms)
{
  struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };

  /* Not FUTEX_PRIVATE: the word may be shared between processes. */
  syscall (SYS_futex, word, FUTEX_WAIT, expected, &ts, NULL, 0);
}

static void
futex_wake_all (_Atomic uint32_t *word)
{
  syscall (SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void
wake_workers (PlabPool *self)
{
  atomic_fetch_add_explicit (&self->sh->generation, 1, memory_order_release);
  futex_wake_all (&self->sh->generation);
}

void
_plab_pool_wake (PlabPool *self)
{
  wake_workers (self);
}

static void
notify_parent (PlabPool *self)
{
  uint64_t one = 1;

  if (write (self->efd, &one, sizeof one) < 0)
    {
      /* The counter can only overflow after 2^64 writes; nothing to do. */
    }
}

/* --- Worker side --- */

typedef struct
{
  const char *items;
  char *results;
  _Atomic int32_t *states;
  void *mapping;
  size_t mapping_size;
} View;

static int
view_open (PlabPool *self, View *v)
{
  PoolShared *sh = self->sh;

  if (self->backend != PLAB_BACKEND_PROCESSES)
    {
      v->items = self->t_items;
      v->results = self->t_results;
      v->states = self->t_states;
      return 0;
    }
  if (sh->arena_size == 0)
    return PLAB_EINVAL;
  if (v->mapping == NULL || v->mapping_size != sh->arena_size)
    {
      if (v->mapping != NULL)
        munmap (v->mapping, v->mapping_size);
      v->mapping = mmap (NULL, sh->arena_size, PROT_READ | PROT_WRITE, MAP_SHARED, self->memfd, 0);
      if (v->mapping == MAP_FAILED)
        {
          v->mapping = NULL;
          return PLAB_ESYS;
        }
      v->mapping_size = sh->arena_size;
    }
  v->items = (const char *)v->mapping + sh->items_off;
  v->results = (char *)v->mapping + sh->results_off;
  v->states = (_Atomic int32_t *)((char *)v->mapping + sh->states_off);
  return 0;
}

static void
view_close (View *v)
{
  if (v->mapping != NULL)
    munmap (v->mapping, v->mapping_size);
}

/* Claims the next range of map items; false when none is left. */
static bool
claim (PoolShared *sh, uint64_t *start, uint64_t *end)
{
  uint64_t n = sh->n_items;
  uint64_t next, k, head;

  if (atomic_load_explicit (&sh->abort, memory_order_relaxed))
    return false;

  next = atomic_load_explicit (&sh->next_item, memory_order_relaxed);
  if (next < n)
    {
      k = sh->chunk_fixed;
      if (k == 0)
        {
          uint64_t cap = (n - next) / (2 * (uint64_t)sh->n_workers);
          k = atomic_load_explicit (&sh->chunk_hint, memory_order_relaxed);
          if (k > cap)
            k = cap;
          if (k == 0)
            k = 1;
        }
      next = atomic_fetch_add_explicit (&sh->next_item, k, memory_order_relaxed);
      if (next < n)
        {
          atomic_fetch_add_explicit (&sh->chunks_claimed, 1, memory_order_relaxed);
          *start = next;
          *end = next + k < n ? next + k : n;
          return true;
        }
    }

  head = atomic_load_explicit (&sh->retry_head, memory_order_acquire);
  while (head < atomic_load_explicit (&sh->retry_tail, memory_order_acquire))
    {
      uint64_t s = sh->retry_start[head % POOL_RETRY_MAX];
      uint64_t e = sh->retry_end[head % POOL_RETRY_MAX];
      if (atomic_compare_exchange_weak_explicit (&sh->retry_head, &head, head + 1,
                                                 memory_order_acq_rel, memory_order_acquire))
        {
          atomic_fetch_add_explicit (&sh->chunks_claimed, 1, memory_order_relaxed);
          *start = s;
          *end = e;
          return true;
        }
    }
  return false;
}

static void
run_range (PlabPool *self, Slot *slot, const View *v, uint64_t start, uint64_t end)
{
  PoolShared *sh = self->sh;
  bool gil = self->backend == PLAB_BACKEND_GIL;
  bool tracing = plab_tracing ();
  int64_t chunk_t0 = plab_now_ns ();
  uint64_t ran = 0;
  char label[PLAB_LABEL_MAX];

  atomic_store_explicit (&slot->chunk_end, (int64_t)end, memory_order_relaxed);
  atomic_store_explicit (&slot->chunk_start, (int64_t)start, memory_order_relaxed);

  for (uint64_t i = start; i < end; i++)
    {
      const void *item = v->items + i * sh->item_size;
      void *result = v->results + i * sh->result_size;
      int64_t t0, t1;
      int rc;

      if (atomic_load_explicit (&sh->abort, memory_order_relaxed))
        break;
      atomic_store_explicit (&slot->current, (int64_t)i, memory_order_relaxed);
      t0 = 0;
      if (tracing)
        {
          label[0] = '\0';
          if (sh->label != NULL)
            sh->label (i, item, label, sizeof label, sh->user_data);
          t0 = plab_span_begin (PLAB_SPAN_TASK, (int64_t)i, label);
        }
      rc = _plab_pool_error_code (sh->func (item, result, sh->user_data));
      if (tracing)
        {
          t1 = plab_now_ns ();
          plab_span (PLAB_SPAN_TASK, t0, t1, (int64_t)i, label);
        }
      if (gil)
        plab_checkpoint ();
      /* Release: the result is complete before the state says so. */
      atomic_store_explicit (&v->states[i], rc == 0 ? STATE_DONE : rc, memory_order_release);
      if (rc != 0 && sh->fail_fast)
        atomic_store_explicit (&sh->abort, 1, memory_order_relaxed);
      ran++;
    }
  atomic_store_explicit (&slot->current, -1, memory_order_relaxed);
  atomic_store_explicit (&slot->chunk_start, -1, memory_order_relaxed);
  atomic_store_explicit (&slot->chunk_end, -1, memory_order_relaxed);

  if (sh->chunk_fixed == 0 && ran > 0)
    {
      /* Items per CHUNK_TARGET_NS at the pace of this chunk. */
      int64_t per_item = (plab_now_ns () - chunk_t0) / (int64_t)ran;
      uint64_t hint = (uint64_t)(CHUNK_TARGET_NS / (per_item > 0 ? per_item : 1));
      if (hint < 1)
        hint = 1;
      if (hint > CHUNK_HINT_MAX)
        hint = CHUNK_HINT_MAX;
      atomic_store_explicit (&sh->chunk_hint, hint, memory_order_relaxed);
    }
}

/* Claims the next queued task; -1 when there is none. */
static int
claim_task (PlabPool *self, int slot_index)
{
  PoolShared *sh = self->sh;
  uint64_t head = atomic_load_explicit (&sh->task_head, memory_order_acquire);

  while (head < atomic_load_explicit (&sh->task_tail, memory_order_acquire))
    {
      uint32_t idx = sh->task_ring[head % PLAB_POOL_MAX_TASKS];
      if (atomic_compare_exchange_weak_explicit (&sh->task_head, &head, head + 1,
                                                 memory_order_acq_rel, memory_order_acquire))
        {
          uint32_t expected = TASK_QUEUED;
          uint32_t running = TASK_RUNNING | (uint32_t)(slot_index + 1) << 8;
          if (atomic_compare_exchange_strong_explicit (&self->tasks[idx].state, &expected, running,
                                                       memory_order_acq_rel, memory_order_acquire))
            return (int)idx;
          /* Cancelled before it started: skip it. */
          head = atomic_load_explicit (&sh->task_head, memory_order_acquire);
        }
    }
  return -1;
}

static void
run_task (PlabPool *self, int idx)
{
  TaskSlot *t = &self->tasks[idx];
  char *arg = self->payload + (size_t)idx * self->task_stride;
  int64_t t0 = plab_span_begin (PLAB_SPAN_TASK, t->id, t->label);
  int rc;

  rc = _plab_pool_error_code (t->func (arg, arg + t->result_off, t->user_data));
  if (plab_tracing ())
    plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), t->id, t->label);
  if (self->backend == PLAB_BACKEND_GIL)
    plab_checkpoint ();
  t->error = rc;
  t->done_seq = atomic_fetch_add_explicit (&self->sh->done_counter, 1, memory_order_relaxed);
  atomic_store_explicit (&t->state, TASK_FINISHED, memory_order_release);
}

static void
worker_loop (Worker *w)
{
  PlabPool *self = w->pool;
  PoolShared *sh = self->sh;
  Slot *slot = &sh->slots[w->slot];
  uint32_t seen = atomic_load_explicit (&sh->generation, memory_order_acquire) - 1;
  int tasks_run = 0;
  View v = { 0 };

  for (;;)
    {
      uint32_t gen, map_seq;
      uint64_t s, e;
      int idx;

      while ((gen = atomic_load_explicit (&sh->generation, memory_order_acquire)) == seen
             && !atomic_load_explicit (&sh->stop, memory_order_acquire))
        futex_wait (&sh->generation, seen, 1000);
      if (atomic_load_explicit (&sh->stop, memory_order_acquire))
        break;
      seen = gen;

      /* Under the gil backend a worker holds the GIL while it runs items
       * and lets it go before it sleeps. */
      plab_gil_attach (self->gil);
      map_seq = atomic_load_explicit (&sh->map_seq, memory_order_acquire);
      if (map_seq != atomic_load_explicit (&slot->idle_map, memory_order_relaxed))
        {
          if (sh->n_items > 0 && view_open (self, &v) == 0)
            while (claim (sh, &s, &e))
              {
                run_range (self, slot, &v, s, e);
                if (self->max_tasks > 0 && ++tasks_run >= self->max_tasks)
                  goto retire;
              }
          atomic_store_explicit (&slot->idle_map, map_seq, memory_order_release);
          notify_parent (self);
        }
      while (!atomic_load_explicit (&sh->stop, memory_order_acquire)
             && (idx = claim_task (self, w->slot)) >= 0)
        {
          run_task (self, idx);
          notify_parent (self);
          if (self->max_tasks > 0 && ++tasks_run >= self->max_tasks)
            goto retire;
          /* A new map may have come: look at it before more tasks. */
          if (atomic_load_explicit (&sh->generation, memory_order_acquire) != seen)
            break;
        }
      plab_gil_detach ();
    }
  view_close (&v);
  return;

retire:
  plab_gil_detach ();
  view_close (&v);
  atomic_store_explicit (&slot->exit_reason, WORKER_RETIRED, memory_order_release);
  notify_parent (self);
}

/* Runs the initializer; false when it failed (the worker then leaves). */
static bool
worker_init (Worker *w)
{
  PlabPool *self = w->pool;
  Slot *slot = &self->sh->slots[w->slot];
  int64_t t0;
  int rc;

  if (self->initializer == NULL)
    return true;
  plab_gil_attach (self->gil);
  t0 = plab_now_ns ();
  rc = self->initializer (self->init_data);
  if (plab_tracing ())
    plab_span (PLAB_SPAN_SPAWN, t0, plab_now_ns (), -1, "initializer");
  plab_gil_detach ();
  if (rc == 0)
    return true;
  slot->init_error = _plab_pool_error_code (rc);
  atomic_store_explicit (&slot->exit_reason, WORKER_INIT_FAILED, memory_order_release);
  notify_parent (self);
  return false;
}

static void *
thread_main (void *data)
{
  Worker *w = data;

  plab_cancel_watch (&w->pool->sh->cancel);
  if (w->pool->trace != NULL)
    {
      plab_trace_attach (w->pool->trace, w->lane);
      plab_span (PLAB_SPAN_SPAWN, w->start_ns, plab_now_ns (), -1, "start");
    }
  if (worker_init (w))
    worker_loop (w);
  plab_instant (PLAB_SPAN_EXIT, "exit");
  plab_trace_detach ();
  plab_cancel_watch (NULL);
  return NULL;
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

  if (self->backend == PLAB_BACKEND_PROCESSES)
    {
      pid_t pid;

      fflush (NULL);
      pid = fork ();
      if (pid < 0)
        return _plab_error_syscall ("fork", errno);
      if (pid == 0)
        {
          _plab_child_setup (parent);
          plab_cancel_watch (&sh->cancel);
          if (self->trace != NULL)
            {
              plab_trace_attach (self->trace, w->lane);
              plab_span (PLAB_SPAN_SPAWN, w->start_ns, plab_now_ns (), -1, "start");
            }
          if (worker_init (w))
            worker_loop (w);
          plab_instant (PLAB_SPAN_EXIT, "exit");
          _exit (0);
        }
      w->pid = pid;
      w->pidfd = _plab_pidfd_open (pid);
      atomic_store_explicit (&self->live_pids[slot], pid, memory_order_relaxed);
    }
  else
    {
      rc = pthread_create (&w->thread, NULL, thread_main, w);
      if (rc != 0)
        return _plab_error_syscall ("pthread_create", rc);
      w->pid = getpid ();
    }
  w->alive = true;
  return 0;
}

static void
pool_free_shared (PlabPool *self)
{
  if (self->arena != NULL)
    munmap (self->arena, self->arena_mapped);
  if (self->memfd >= 0)
    close (self->memfd);
  if (self->efd >= 0)
    close (self->efd);
  if (self->sh != NULL)
    munmap (self->sh, sizeof (PoolShared));
  if (self->tasks != NULL)
    munmap (self->tasks, self->tasks_mapped);
  free (self->t_states);
}

/* The task slots and their payloads: one mapping, shared with the workers. */
static int
tasks_map (PlabPool *self, size_t task_bytes)
{
  size_t table = (sizeof (TaskSlot) * PLAB_POOL_MAX_TASKS + 4095) / 4096 * 4096;

  self->task_stride = (task_bytes + POOL_CACHE_LINE - 1) / POOL_CACHE_LINE * POOL_CACHE_LINE;
  self->tasks_mapped = table + self->task_stride * PLAB_POOL_MAX_TASKS;
  /* Untouched pages cost nothing: only the payloads in use are ever faulted in. */
  self->tasks = mmap (NULL, self->tasks_mapped, PROT_READ | PROT_WRITE,
                      (self->backend == PLAB_BACKEND_PROCESSES ? MAP_SHARED : MAP_PRIVATE)
                          | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
  if (self->tasks == MAP_FAILED)
    {
      self->tasks = NULL;
      return PLAB_ENOMEM;
    }
  self->payload = (char *)self->tasks + table;
  for (int i = 0; i < PLAB_POOL_MAX_TASKS; i++)
    self->free_slots[i] = (uint32_t)(PLAB_POOL_MAX_TASKS - 1 - i);
  self->n_free = PLAB_POOL_MAX_TASKS;
  return 0;
}

int
plab_pool_new (const PlabPoolOptions *options, PlabPool **out)
{
  PlabPool *self;
  size_t task_bytes;
  int rc = PLAB_ENOMEM;

  *out = NULL;
  if (options == NULL || (unsigned)options->backend >= PLAB_N_BACKENDS || options->workers < 0
      || options->workers > PLAB_POOL_MAX_WORKERS || options->max_tasks_per_worker < 0
      || options->task_max_bytes > TASK_BYTES_MAX || options->gil_switch_ns < 0)
    return PLAB_EINVAL;
  task_bytes = options->task_max_bytes ? options->task_max_bytes : TASK_BYTES_DEFAULT;

  self = calloc (1, sizeof *self);
  if (self == NULL)
    return PLAB_ENOMEM;
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
  self->efd = -1;
  self->memfd = -1;
  if (self->backend == PLAB_BACKEND_GIL)
    {
      self->gil = plab_gil_new (options->gil_switch_ns);
      if (self->gil == NULL)
        {
          free (self);
          return PLAB_ENOMEM;
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

  self->sh
      = mmap (NULL, sizeof (PoolShared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (self->sh == MAP_FAILED)
    {
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
      rc = PLAB_ESYS;
      goto fail;
    }
  if (self->backend == PLAB_BACKEND_PROCESSES)
    {
      self->memfd = memfd_create ("plab-pool", MFD_CLOEXEC);
      if (self->memfd < 0)
        {
          rc = PLAB_ESYS;
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

/* Failure bookkeeping of one map. */
typedef struct
{
  PlabMapReport report;
  bool fail_fast;
} MapState;

static void
note_failure (MapState *ms, size_t item, int code, const char *message)
{
  PlabMapReport *r = &ms->report;

  if (r->n_failed == 0 || item < r->first_failed)
    {
      r->first_failed = item;
      r->first_error = code;
      if (message != NULL)
        snprintf (r->message, sizeof r->message, "item %zu: %s", item, message);
      else
        snprintf (r->message, sizeof r->message, "item %zu: %s", item, plab_strerror (code));
    }
  r->n_failed++;
}

static bool
push_retry (PoolShared *sh, uint64_t start, uint64_t end)
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
      t->error = PLAB_ECRASHED;
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
  if (reason == WORKER_RETIRED && st->state == PLAB_PROCESS_EXITED && st->code == 0)
    return start_worker (self, w->slot);

  plab_exit_status_describe (st, how, sizeof how);
  snprintf (msg, sizeof msg, "%s %d (pid %d) %s", self->lane_prefix, w->number, (int)w->pid, how);
  crash_marker (self, w, st, cur);

  if (ms != NULL)
    ms->report.n_crashes++;
  if (states != NULL && cur >= 0 && (uint64_t)cur < sh->n_items)
    {
      int32_t expected = STATE_PENDING;
      if (atomic_compare_exchange_strong (&states[cur], &expected, PLAB_ECRASHED))
        {
          note_failure (ms, (size_t)cur, PLAB_ECRASHED, msg);
          if (ms->fail_fast)
            atomic_store (&sh->abort, 1);
        }
      if (end > cur + 1 && !push_retry (sh, (uint64_t)cur + 1, (uint64_t)end))
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
static int
check_workers (PlabPool *self, _Atomic int32_t *states, MapState *ms, bool *changed)
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

static bool
all_idle (PlabPool *self)
{
  uint32_t seq = atomic_load_explicit (&self->sh->map_seq, memory_order_relaxed);

  for (int i = 0; i < self->n_workers; i++)
    if (self->workers[i].alive
        && atomic_load_explicit (&self->sh->slots[i].idle_map, memory_order_acquire) != seq)
      return false;
  return true;
}

static void
wait_events (PlabPool *self, int timeout_ms)
{
  struct pollfd fds[PLAB_POOL_MAX_WORKERS + 1];
  nfds_t n = 0;
  uint64_t v;

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
}

static bool
cancelled (PlabPool *self)
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
  wait_events (self, timeout_ms);
  if (self->trace != NULL)
    plab_trace_drain (self->trace);
  if (cancelled (self))
    {
      _plab_pool_stop_hard (self, PLAB_POOL_BROKEN, PLAB_ECANCELLED, "cancelled");
      return PLAB_ECANCELLED;
    }
  rc = check_workers (self, NULL, NULL, &changed);
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

static int
map_serial (PlabPool *self, const PlabMap *map, MapState *ms, size_t *ran)
{
  bool tracing = plab_tracing ();
  int64_t last_drain = plab_now_ns ();
  char label[PLAB_LABEL_MAX];

  for (size_t i = 0; i < map->n_items; i++)
    {
      const void *item = (const char *)map->items + i * map->item_size;
      void *result = (char *)map->results + i * map->result_size;
      int64_t t0;
      int rc;

      if ((i & 1023) == 0)
        {
          /* The serial backend runs in the draining thread: drain as we go, so
           * a long map does not overflow the main lane's ring. */
          if (cancelled (self))
            return PLAB_ECANCELLED;
          if (self->trace != NULL
              && ((i & 65535) == 0 || plab_now_ns () - last_drain > WAIT_TICK_MS * 1000000LL))
            {
              plab_trace_drain (self->trace);
              last_drain = plab_now_ns ();
            }
        }
      /* Timed after the drain: the drain is the runner's work, not the task's. */
      t0 = 0;
      if (tracing)
        {
          label[0] = '\0';
          if (map->label != NULL)
            map->label (i, item, label, sizeof label, map->user_data);
          t0 = plab_span_begin (PLAB_SPAN_TASK, (int64_t)i, label);
        }
      rc = _plab_pool_error_code (map->func (item, result, map->user_data));
      if (tracing)
        plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), (int64_t)i, label);
      *ran = i + 1;
      if (map->status != NULL)
        map->status[i] = rc;
      /* The item ended early because the run is cancelled: not its failure. */
      if (rc == PLAB_ECANCELLED && cancelled (self))
        return PLAB_ECANCELLED;
      if (rc != 0)
        note_failure (ms, i, rc, NULL);
      if (rc != 0 && map->fail_fast)
        break;
    }
  return 0;
}

static int
prepare_arena (PlabPool *self, const PlabMap *map, _Atomic int32_t **states_out)
{
  PoolShared *sh = self->sh;
  size_t page = 4096;
  size_t items_bytes = map->n_items * map->item_size;
  size_t results_bytes = map->n_items * map->result_size;
  size_t states_bytes = map->n_items * sizeof (int32_t);
  size_t results_off = (items_bytes + page - 1) / page * page;
  size_t states_off = results_off + (results_bytes + page - 1) / page * page;
  size_t size = states_off + (states_bytes + page - 1) / page * page;

  if (self->backend != PLAB_BACKEND_PROCESSES)
    {
      if (self->t_states_alloc < map->n_items)
        {
          _Atomic int32_t *s = realloc (self->t_states, map->n_items * sizeof *s);
          if (s == NULL)
            return PLAB_ENOMEM;
          self->t_states = s;
          self->t_states_alloc = map->n_items;
        }
      memset ((void *)self->t_states, 0, map->n_items * sizeof (int32_t));
      self->t_items = map->items;
      self->t_results = map->results;
      sh->arena_size = 0;
      *states_out = self->t_states;
      return 0;
    }

  if (self->arena == NULL || self->arena_mapped < size)
    {
      if (self->arena != NULL)
        {
          munmap (self->arena, self->arena_mapped);
          self->arena = NULL;
        }
      if (ftruncate (self->memfd, (off_t)size) < 0)
        return errno == ENOSPC || errno == ENOMEM ? PLAB_ENOMEM : PLAB_ESYS;
      self->arena = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, self->memfd, 0);
      if (self->arena == MAP_FAILED)
        {
          self->arena = NULL;
          return PLAB_ESYS;
        }
      self->arena_mapped = size;
    }
  /* Every worker is idle for the last map: the arena is the parent's until
   * map_seq moves on. */
  memcpy (self->arena, map->items, items_bytes);
  memset (self->arena + states_off, 0, states_bytes);
  sh->items_off = 0;
  sh->results_off = results_off;
  sh->states_off = states_off;
  sh->arena_size = self->arena_mapped;
  *states_out = (_Atomic int32_t *)(self->arena + states_off);
  return 0;
}

/* Queues every still-pending item from @from on; returns false when the ring is full. */
static bool
requeue_pending (PoolShared *sh, _Atomic int32_t *states, size_t from)
{
  size_t i = from;

  while (i < sh->n_items)
    {
      size_t j;
      if (atomic_load_explicit (&states[i], memory_order_acquire) != STATE_PENDING)
        {
          i++;
          continue;
        }
      j = i;
      while (j < sh->n_items
             && atomic_load_explicit (&states[j], memory_order_acquire) == STATE_PENDING)
        j++;
      if (!push_retry (sh, i, j))
        return false;
      i = j;
    }
  return true;
}

/* Waits until every live worker has finished claiming from the last map, so
 * the parent may write the next one (a worker busy with a task gets there
 * when the task ends). */
static int
wait_map_idle (PlabPool *self)
{
  for (;;)
    {
      bool changed = false;
      int rc = check_workers (self, NULL, NULL, &changed);

      if (rc != 0)
        return rc;
      if (all_idle (self))
        return 0;
      if (cancelled (self))
        return PLAB_ECANCELLED;
      wait_events (self, WAIT_TICK_MS);
    }
}

/* Hands @map to the workers: every worker is idle for the previous map, so
 * the shared fields can be written before map_seq announces the new one. */
static void
publish_map (PlabPool *self, const PlabMap *map)
{
  PoolShared *sh = self->sh;

  sh->func = map->func;
  sh->user_data = map->user_data;
  sh->label = map->label;
  sh->n_items = map->n_items;
  sh->item_size = map->item_size;
  sh->result_size = map->result_size;
  sh->chunk_fixed = map->chunk_size;
  sh->fail_fast = map->fail_fast;
  atomic_store (&sh->chunk_hint, 1);
  atomic_store (&sh->next_item, 0);
  atomic_store (&sh->chunks_claimed, 0);
  atomic_store (&sh->retry_head, 0);
  atomic_store (&sh->retry_tail, 0);
  atomic_store (&sh->abort, 0);
  self->idle_deaths = 0;
  self->map_active = true;
  /* Release: the map is complete before a worker sees its number. */
  atomic_fetch_add_explicit (&sh->map_seq, 1, memory_order_release);
  wake_workers (self);
}

/* Drives the published map until every item has left STATE_PENDING (or the
 * map was aborted), replacing dead workers and requeueing lost chunks.
 * Returns 0, or the error that breaks the pool, with self->message set. */
static int
drive_map (PlabPool *self, const PlabMap *map, _Atomic int32_t *states, MapState *ms)
{
  PoolShared *sh = self->sh;
  size_t done = 0;

  for (;;)
    {
      bool changed = false;
      bool aborted;
      int rc;

      wait_events (self, WAIT_TICK_MS);
      if (self->trace != NULL)
        plab_trace_drain (self->trace);

      if (cancelled (self))
        {
          snprintf (self->message, sizeof self->message, "cancelled");
          return PLAB_ECANCELLED;
        }

      rc = check_workers (self, states, ms, &changed);
      if (rc != 0)
        return rc;

      while (done < map->n_items
             && atomic_load_explicit (&states[done], memory_order_acquire) != STATE_PENDING)
        done++;

      aborted = atomic_load (&sh->abort) != 0;
      if (all_idle (self) && !changed)
        {
          if (done == map->n_items || aborted)
            return 0;
          /* Everyone is idle, yet items are pending: their chunk was lost with
           * a worker killed at the wrong moment, or the retry ring overflowed. */
          if (!requeue_pending (sh, states, done))
            {
              snprintf (self->message, sizeof self->message, "too many items to retry");
              return PLAB_ENOMEM;
            }
          changed = true;
        }
      if (changed)
        wake_workers (self);
    }
}

/* After a finished map: copies the results out of the arena (processes) and
 * gives every item its status; an item never started (fail-fast) is skipped. */
static void
collect_map (PlabPool *self, const PlabMap *map, _Atomic int32_t *states, MapState *ms)
{
  PoolShared *sh = self->sh;

  ms->report.n_chunks = atomic_load (&sh->chunks_claimed);
  if (self->backend == PLAB_BACKEND_PROCESSES && map->result_size > 0)
    memcpy (map->results, self->arena + sh->results_off, map->n_items * map->result_size);
  for (size_t i = 0; i < map->n_items; i++)
    {
      int32_t s = atomic_load_explicit (&states[i], memory_order_relaxed);
      if (s == STATE_PENDING)
        {
          /* Fail-fast: never started. */
          ms->report.n_skipped++;
          s = PLAB_ECANCELLED;
        }
      else if (s != STATE_DONE && s != PLAB_ECRASHED)
        note_failure (ms, i, s, NULL);
      if (map->status != NULL)
        map->status[i] = s == STATE_DONE ? 0 : s;
    }
}

/* Cancelled or unrecoverable: stops everything now; items not finished get
 * @rc as their status. */
static void
break_map (PlabPool *self, const PlabMap *map, _Atomic int32_t *states, int rc)
{
  self->map_active = false;
  _plab_pool_stop_hard (self, PLAB_POOL_BROKEN, rc, self->message);
  if (map->status != NULL && states != NULL)
    for (size_t i = 0; i < map->n_items; i++)
      {
        int32_t s = atomic_load_explicit (&states[i], memory_order_relaxed);
        map->status[i] = s == STATE_DONE ? 0 : (s == STATE_PENDING ? rc : s);
      }
}

/* The serial backend: items run here, in order; those a cancel or fail-fast
 * left unrun are skipped. The calling thread watches the pool's cancel flag
 * meanwhile, so that an item's own loops and blocking calls see a cancel. */
static int
map_here (PlabPool *self, const PlabMap *map, MapState *ms)
{
  const volatile sig_atomic_t *watched = plab_cancel_flag ();
  size_t ran = 0;
  int rc;

  if (self->cancel != NULL)
    plab_cancel_watch (self->cancel);
  rc = map_serial (self, map, ms, &ran);
  plab_cancel_watch (watched);
  ms->report.n_chunks = 1;
  if (ran < map->n_items)
    {
      ms->report.n_skipped = map->n_items - ran;
      for (size_t i = ran; map->status != NULL && i < map->n_items; i++)
        map->status[i] = PLAB_ECANCELLED;
    }
  return rc;
}

int
plab_pool_map (PlabPool *self, const PlabMap *map, PlabMapReport *report)
{
  _Atomic int32_t *states = NULL;
  MapState ms;
  int64_t t0 = plab_now_ns ();
  char label[PLAB_LABEL_MAX];
  int rc = 0;

  memset (&ms, 0, sizeof ms);
  if (report != NULL)
    memset (report, 0, sizeof *report);
  if (map == NULL || map->func == NULL
      || (map->n_items > 0 && (map->items == NULL || map->item_size == 0))
      || (map->n_items > 0 && map->result_size > 0 && map->results == NULL))
    return PLAB_EINVAL;
  if (self->state != PLAB_POOL_RUNNING)
    return PLAB_ESTATE;
  if (map->n_items == 0)
    return 0;
  ms.fail_fast = map->fail_fast;
  /* Shown open while the map goes; recorded at out. */
  if (self->trace != NULL)
    {
      snprintf (label, sizeof label, "map %zu items", map->n_items);
      t0 = plab_span_begin (PLAB_SPAN_WAIT, -1, label);
    }

  if (self->backend == PLAB_BACKEND_SERIAL)
    {
      rc = map_here (self, map, &ms);
      goto out;
    }

  rc = wait_map_idle (self);
  if (rc != 0)
    goto broken;
  rc = prepare_arena (self, map, &states);
  if (rc != 0)
    {
      plab_span_forget (PLAB_SPAN_WAIT, t0);
      return rc;
    }
  publish_map (self, map);
  rc = drive_map (self, map, states, &ms);
  if (rc != 0)
    goto broken;
  self->map_active = false;
  collect_map (self, map, states, &ms);
  _plab_pool_collect (self);
  goto out;

broken:
  break_map (self, map, states, rc);

out:
  if (self->trace != NULL)
    {
      snprintf (label, sizeof label, "map %zu items", map->n_items);
      plab_span (PLAB_SPAN_WAIT, t0, plab_now_ns (), -1, label);
      plab_trace_drain (self->trace);
    }
  if (ms.report.n_skipped > 0 && ms.report.n_failed > 0)
    {
      size_t len = strlen (ms.report.message);
      snprintf (ms.report.message + len, sizeof ms.report.message - len,
                " (fail-fast: %zu items not run)", ms.report.n_skipped);
    }
  if (report != NULL)
    *report = ms.report;
  if (rc == 0 && ms.report.n_failed > 0)
    rc = PLAB_ETASK;
  return rc;
}
