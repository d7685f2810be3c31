/* plab-pool.c: a pool of workers mapping a function over an array.
 *
 * One algorithm serves the threads, gil and processes backends; only where the
 * workers live differs. The parent and the workers share a PoolShared block (an
 * anonymous shared mapping, inherited by forked workers), laid out like this:
 *
 *   generation   futex word: the parent bumps it to wake the workers (a new
 *                map, more work to retry, or stop)
 *   map          the current map: function, sizes, where items, results and
 *                per-item states are in the arena
 *   next_chunk   the next chunk to hand out (workers fetch_add it)
 *   retry ring   item ranges to hand out again (written by the parent only)
 *   slots[]      per worker: the chunk it holds and the item it is running
 *
 * The arena holds items, results and one int32 state per item (0: pending,
 * 1: done, negative: the item's error). For processes it is a memfd that
 * only grows: the parent and each worker keep it mapped from one map to the
 * next and map it again only when it grew, so maps of any size need no
 * re-fork, and a map into an arena already in place costs no page faults;
 * the parent clears the states of a new map while every worker is idle. For
 * threads the workers use the caller's arrays directly.
 *
 * A worker writes an item's result, then its state with release order; the
 * parent reads states with acquire order, so a done state means a complete
 * result. The parent decides that a map is finished when every item has a
 * state and every live worker has reported idle for the current generation
 * (so none still touches the arena).
 *
 * When a worker process dies, the parent reads its slot: the item it was
 * running fails with PLAB_ECRASHED and a message naming the pid and the
 * signal, the rest of its chunk goes to the retry ring, and a new worker
 * takes the slot. A chunk lost to a worker killed between claiming and
 * recording it is found by the final sweep (all workers idle, items still
 * pending) and retried too. Each crash fails at most one item and every
 * wake-up either finishes items or finds idle workers, so a map always ends.
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
#include "plab-process-private.h"
#include "plab-sysinfo.h"
#include "plab-trace-private.h"

#define CACHE_LINE 64
#define RETRY_MAX 1024
#define WAIT_TICK_MS 20
#define TERMINATE_GRACE_NS 1000000000LL
#define STATE_PENDING 0
#define STATE_DONE 1

typedef struct
{
  /* Written by the worker owning the slot; read by the parent only once that
   * worker is dead, or idle for the current generation. */
  _Alignas(CACHE_LINE) _Atomic int64_t chunk_start;
  _Atomic int64_t chunk_end;
  _Atomic int64_t current;   /* the item being run, -1 when none */
  _Atomic uint32_t idle_gen; /* the last generation this worker finished */
} Slot;

typedef struct
{
  /* The futex word. Only the parent writes it. */
  _Alignas(CACHE_LINE) _Atomic uint32_t generation;
  _Atomic uint32_t stop;  /* workers exit at their next wake-up */
  _Atomic uint32_t abort; /* workers stop claiming items (cancellation) */

  /* The current map. Written by the parent while every worker is idle, before
   * it bumps generation; read-only for workers. The function and user data
   * addresses are valid in forked workers because fork keeps the address space. */
  PlabMapFunc func;
  void *user_data;
  PlabLabelFunc label;
  uint64_t n_items;
  uint64_t item_size;
  uint64_t result_size;
  uint64_t chunk_size;
  uint64_t n_chunks;
  uint64_t items_off;
  uint64_t results_off;
  uint64_t states_off;
  uint64_t arena_size;

  /* Handed out with fetch_add; values past n_chunks mean "none left". */
  _Alignas(CACHE_LINE) _Atomic uint64_t next_chunk;

  /* Entries [retry_head, retry_tail) are ranges to run again. The parent is
   * the only writer of retry_tail and the entries; workers claim an entry by
   * advancing retry_head with compare-and-swap. */
  _Alignas(CACHE_LINE) _Atomic uint64_t retry_head;
  _Atomic uint64_t retry_tail;
  uint64_t retry_start[RETRY_MAX];
  uint64_t retry_end[RETRY_MAX];

  Slot slots[PLAB_POOL_MAX_WORKERS];
} PoolShared;

typedef struct
{
  PlabPool *pool;
  int slot;
  int lane;
  int number; /* "worker N" */
  pid_t pid;
  int pidfd;
  pthread_t thread;
  bool alive;
  int64_t start_ns;
} Worker;

typedef enum
{
  POOL_RUNNING = 0,
  POOL_BROKEN, /* workers were terminated (cancel) or cannot be started */
} PoolState;

struct PlabPool
{
  PlabBackend backend;
  int n_workers;
  PlabTrace *trace; /* borrowed */
  const volatile sig_atomic_t *cancel;
  char lane_prefix[24];
  PoolState state;

  PoolShared *sh;
  int efd;     /* workers write 1 when they go idle */
  int memfd;   /* the arena, processes only */
  char *arena; /* parent's mapping of it */
  size_t arena_mapped;

  /* Threads: the caller's arrays for the current map, and the GIL. */
  const char *t_items;
  char *t_results;
  _Atomic int32_t *t_states;
  size_t t_states_alloc;
  PlabGil *gil; /* gil backend only */

  Worker workers[PLAB_POOL_MAX_WORKERS];
  int worker_counter;
};

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
    return 0;
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

/* Claims the next range of items; false when none is left. */
static bool
claim (PoolShared *sh, uint64_t *start, uint64_t *end)
{
  uint64_t c, head;

  if (atomic_load_explicit (&sh->abort, memory_order_relaxed))
    return false;

  if (atomic_load_explicit (&sh->next_chunk, memory_order_relaxed) < sh->n_chunks)
    {
      c = atomic_fetch_add_explicit (&sh->next_chunk, 1, memory_order_relaxed);
      if (c < sh->n_chunks)
        {
          *start = c * sh->chunk_size;
          *end = *start + sh->chunk_size;
          if (*end > sh->n_items)
            *end = sh->n_items;
          return true;
        }
    }

  head = atomic_load_explicit (&sh->retry_head, memory_order_acquire);
  while (head < atomic_load_explicit (&sh->retry_tail, memory_order_acquire))
    {
      uint64_t s = sh->retry_start[head % RETRY_MAX];
      uint64_t e = sh->retry_end[head % RETRY_MAX];
      if (atomic_compare_exchange_weak_explicit (&sh->retry_head, &head, head + 1,
                                                 memory_order_acq_rel, memory_order_acquire))
        {
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
      t0 = tracing ? plab_now_ns () : 0;
      rc = sh->func (item, result, sh->user_data);
      if (tracing)
        {
          t1 = plab_now_ns ();
          label[0] = '\0';
          if (sh->label != NULL)
            sh->label (i, item, label, sizeof label, sh->user_data);
          plab_span (PLAB_SPAN_TASK, t0, t1, (int64_t)i, label);
        }
      if (gil)
        plab_checkpoint ();
      /* Release: the result is complete before the state says so. */
      atomic_store_explicit (&v->states[i], rc == 0 ? STATE_DONE : (rc < 0 ? rc : PLAB_ETASK),
                             memory_order_release);
    }
  atomic_store_explicit (&slot->current, -1, memory_order_relaxed);
  atomic_store_explicit (&slot->chunk_start, -1, memory_order_relaxed);
  atomic_store_explicit (&slot->chunk_end, -1, memory_order_relaxed);
}

static void
worker_loop (Worker *w)
{
  PlabPool *self = w->pool;
  PoolShared *sh = self->sh;
  Slot *slot = &sh->slots[w->slot];
  uint32_t seen = atomic_load_explicit (&slot->idle_gen, memory_order_acquire);
  View v = { 0 };

  for (;;)
    {
      uint32_t gen;
      uint64_t s, e;
      uint64_t one = 1;

      while ((gen = atomic_load_explicit (&sh->generation, memory_order_acquire)) == seen
             && !atomic_load_explicit (&sh->stop, memory_order_acquire))
        futex_wait (&sh->generation, seen, 1000);
      if (atomic_load_explicit (&sh->stop, memory_order_acquire))
        {
          view_close (&v);
          return;
        }
      seen = gen;

      if (sh->n_items > 0 && view_open (self, &v) == 0)
        {
          /* Under the gil backend a worker holds the GIL while it runs items
           * and lets it go before it sleeps between maps. */
          plab_gil_attach (self->gil);
          while (claim (sh, &s, &e))
            run_range (self, slot, &v, s, e);
          plab_gil_detach ();
        }
      atomic_store_explicit (&slot->idle_gen, gen, memory_order_release);
      if (write (self->efd, &one, sizeof one) < 0)
        {
          /* The counter can only overflow after 2^64 writes; nothing to do. */
        }
    }
}

static void *
thread_main (void *data)
{
  Worker *w = data;

  if (w->pool->trace != NULL)
    {
      plab_trace_attach (w->pool->trace, w->lane);
      plab_span (PLAB_SPAN_SPAWN, w->start_ns, plab_now_ns (), -1, "start");
    }
  worker_loop (w);
  plab_instant (PLAB_SPAN_EXIT, "exit");
  plab_trace_detach ();
  return NULL;
}

/* --- Parent side --- */

static int
start_worker (PlabPool *self, int slot)
{
  Worker *w = &self->workers[slot];
  PoolShared *sh = self->sh;
  char name[PLAB_LANE_NAME_MAX];
  pid_t parent = getpid ();
  int rc;

  memset (w, 0, sizeof *w);
  w->pool = self;
  w->slot = slot;
  w->lane = -1;
  w->pidfd = -1;
  w->number = ++self->worker_counter;
  atomic_store (&sh->slots[slot].current, -1);
  atomic_store (&sh->slots[slot].chunk_start, -1);
  atomic_store (&sh->slots[slot].chunk_end, -1);
  /* A new worker joins the current generation: it has not finished it. */
  atomic_store (&sh->slots[slot].idle_gen, atomic_load (&sh->generation) - 1);

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
        return PLAB_ESYS;
      if (pid == 0)
        {
          _plab_child_setup (parent);
          if (self->trace != NULL)
            {
              plab_trace_attach (self->trace, w->lane);
              plab_span (PLAB_SPAN_SPAWN, w->start_ns, plab_now_ns (), -1, "start");
            }
          worker_loop (w);
          plab_instant (PLAB_SPAN_EXIT, "exit");
          _exit (0);
        }
      w->pid = pid;
      w->pidfd = _plab_pidfd_open (pid);
    }
  else
    {
      rc = pthread_create (&w->thread, NULL, thread_main, w);
      if (rc != 0)
        return PLAB_ESYS;
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
  free (self->t_states);
}

int
plab_pool_new (const PlabPoolOptions *options, PlabPool **out)
{
  PlabPool *self;
  int rc = PLAB_ENOMEM;

  *out = NULL;
  if (options == NULL || (unsigned)options->backend >= PLAB_N_BACKENDS || options->workers < 0
      || options->workers > PLAB_POOL_MAX_WORKERS)
    return PLAB_EINVAL;

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

/* Reaps every live worker process, giving each until a common grace period
 * ends to exit by itself, then SIGKILL. With @terminate, SIGTERM first. */
static void
reap_processes (PlabPool *self, bool terminate)
{
  int64_t deadline = plab_now_ns () + TERMINATE_GRACE_NS;

  if (terminate)
    for (int i = 0; i < self->n_workers; i++)
      if (self->workers[i].alive)
        kill (self->workers[i].pid, SIGTERM);
  for (int i = 0; i < self->n_workers; i++)
    {
      Worker *w = &self->workers[i];
      PlabExitStatus st;
      int64_t left;

      if (!w->alive)
        continue;
      left = deadline - plab_now_ns ();
      if (_plab_wait_pid (w->pid, w->pidfd, left > 0 ? left : 0, &st) != 0)
        {
          kill (w->pid, SIGKILL);
          _plab_wait_pid (w->pid, w->pidfd, -1, &st);
        }
      note_lane_end (self, w, &st);
      w->alive = false;
    }
}

/* Joins every worker thread; they leave at their next wake-up once stop is set. */
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

void
plab_pool_free (PlabPool *self)
{
  if (self == NULL)
    return;

  if (self->sh != NULL)
    {
      atomic_store (&self->sh->stop, 1);
      atomic_store (&self->sh->abort, 1);
      wake_workers (self);
    }

  /* Workers exit on their own at the wake-up; processes get a moment, then force. */
  if (self->backend == PLAB_BACKEND_PROCESSES)
    reap_processes (self, false);
  else if (self->backend != PLAB_BACKEND_SERIAL)
    join_threads (self);

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

int
plab_pool_worker_pids (const PlabPool *self, int *pids, int max)
{
  int n = 0;

  if (self->backend != PLAB_BACKEND_PROCESSES)
    return 0;
  for (int i = 0; i < self->n_workers && n < max; i++)
    if (self->workers[i].alive)
      pids[n++] = self->workers[i].pid;
  return n;
}

/* Failure bookkeeping of one map. */
typedef struct
{
  PlabMapReport report;
  size_t dead_idle; /* workers that died holding no item */
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
  if (tail - atomic_load_explicit (&sh->retry_head, memory_order_acquire) >= RETRY_MAX)
    return false;
  sh->retry_start[tail % RETRY_MAX] = start;
  sh->retry_end[tail % RETRY_MAX] = end;
  /* Release: the entry is written before workers can see it. */
  atomic_store_explicit (&sh->retry_tail, tail + 1, memory_order_release);
  return true;
}

/* A worker process died: fail its item, queue the rest of its chunk, replace it. */
static int
handle_death (PlabPool *self,
              Worker *w,
              const PlabExitStatus *st,
              _Atomic int32_t *states,
              MapState *ms)
{
  PoolShared *sh = self->sh;
  Slot *slot = &sh->slots[w->slot];
  int64_t cur = atomic_load (&slot->current);
  int64_t end = atomic_load (&slot->chunk_end);
  char how[96], msg[200];

  w->alive = false;
  note_lane_end (self, w, st);
  plab_exit_status_describe (st, how, sizeof how);
  snprintf (msg, sizeof msg, "%s %d (pid %d) %s", self->lane_prefix, w->number, (int)w->pid, how);

  if (self->trace != NULL && w->lane >= 0)
    {
      PlabEvent ev = { 0 };
      ev.start_ns = ev.end_ns = plab_now_ns ();
      ev.task_id = cur;
      ev.kind = PLAB_SPAN_CRASH;
      snprintf (ev.label, sizeof ev.label, "%s",
                st->state == PLAB_PROCESS_KILLED ? strsignal (st->signal) : "exited");
      _plab_trace_append (self->trace, w->lane, &ev);
    }

  ms->report.n_crashes++;
  if (states != NULL && cur >= 0 && (uint64_t)cur < sh->n_items)
    {
      int32_t expected = STATE_PENDING;
      if (atomic_compare_exchange_strong (&states[cur], &expected, PLAB_ECRASHED))
        note_failure (ms, (size_t)cur, PLAB_ECRASHED, msg);
      if (end > cur + 1 && !push_retry (sh, (uint64_t)cur + 1, (uint64_t)end))
        {
          /* The retry ring is full; the final sweep picks these items up. */
        }
    }
  else
    ms->dead_idle++;

  atomic_store (&slot->current, -1);
  atomic_store (&slot->chunk_start, -1);
  atomic_store (&slot->chunk_end, -1);
  if (w->pidfd >= 0)
    close (w->pidfd);
  w->pidfd = -1;

  if (ms->dead_idle > (size_t)(2 * self->n_workers + 3))
    return PLAB_ECRASHED; /* workers die before doing anything: do not respawn forever */
  return start_worker (self, w->slot);
}

/* Reaps dead workers; returns an error when the pool cannot go on. */
static int
check_workers (PlabPool *self, _Atomic int32_t *states, MapState *ms, bool *changed)
{
  if (self->backend != PLAB_BACKEND_PROCESSES)
    return 0;
  for (int i = 0; i < self->n_workers; i++)
    {
      Worker *w = &self->workers[i];
      PlabExitStatus st;
      int rc;

      if (!w->alive || _plab_wait_pid (w->pid, -1, 0, &st) != 0)
        continue;
      rc = handle_death (self, w, &st, states, ms);
      if (rc != 0)
        return rc;
      *changed = true;
    }
  return 0;
}

static bool
all_idle (PlabPool *self)
{
  uint32_t gen = atomic_load_explicit (&self->sh->generation, memory_order_acquire);

  for (int i = 0; i < self->n_workers; i++)
    if (self->workers[i].alive
        && atomic_load_explicit (&self->sh->slots[i].idle_gen, memory_order_acquire) != gen)
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

static size_t
auto_chunk (size_t n_items, int workers)
{
  /* About four chunks per worker, as Python's Pool.map does. */
  size_t chunks = (size_t)workers * 4;
  size_t c = (n_items + chunks - 1) / chunks;
  return c ? c : 1;
}

static bool
cancelled (PlabPool *self)
{
  return self->cancel != NULL && *self->cancel != 0;
}

static int
map_serial (PlabPool *self, const PlabMap *map, MapState *ms)
{
  bool tracing = plab_tracing ();
  int64_t last_drain = plab_now_ns ();
  char label[PLAB_LABEL_MAX];

  for (size_t i = 0; i < map->n_items; i++)
    {
      const void *item = (const char *)map->items + i * map->item_size;
      void *result = (char *)map->results + i * map->result_size;
      int64_t t0 = tracing ? plab_now_ns () : 0;
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
      rc = map->func (item, result, map->user_data);
      if (tracing)
        {
          label[0] = '\0';
          if (map->label != NULL)
            map->label (i, item, label, sizeof label, map->user_data);
          plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), (int64_t)i, label);
        }
      if (rc != 0)
        note_failure (ms, i, rc < 0 ? rc : PLAB_ETASK, NULL);
      if (map->status != NULL)
        map->status[i] = rc == 0 ? 0 : (rc < 0 ? rc : PLAB_ETASK);
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
  /* Every worker is idle: the arena is the parent's until the next wake. */
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

int
plab_pool_map (PlabPool *self, const PlabMap *map, PlabMapReport *report)
{
  PoolShared *sh = self->sh;
  _Atomic int32_t *states = NULL;
  MapState ms;
  size_t done = 0;
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
  if (self->state != POOL_RUNNING)
    return PLAB_ESTATE;
  if (map->n_items == 0)
    return 0;

  if (self->backend == PLAB_BACKEND_SERIAL)
    {
      rc = map_serial (self, map, &ms);
      goto out;
    }

  rc = prepare_arena (self, map, &states);
  if (rc != 0)
    return rc;
  sh->func = map->func;
  sh->user_data = map->user_data;
  sh->label = map->label;
  sh->n_items = map->n_items;
  sh->item_size = map->item_size;
  sh->result_size = map->result_size;
  sh->chunk_size = map->chunk_size ? map->chunk_size : auto_chunk (map->n_items, self->n_workers);
  sh->n_chunks = (map->n_items + sh->chunk_size - 1) / sh->chunk_size;
  atomic_store (&sh->next_chunk, 0);
  atomic_store (&sh->retry_head, 0);
  atomic_store (&sh->retry_tail, 0);
  atomic_store (&sh->abort, 0);

  /* Workers that died between maps are replaced before the map starts. */
  {
    bool changed = false;
    rc = check_workers (self, NULL, &ms, &changed);
    if (rc != 0)
      goto broken;
  }
  wake_workers (self);

  for (;;)
    {
      bool changed = false;

      wait_events (self, WAIT_TICK_MS);
      if (self->trace != NULL)
        plab_trace_drain (self->trace);

      if (cancelled (self))
        {
          rc = PLAB_ECANCELLED;
          goto broken;
        }

      rc = check_workers (self, states, &ms, &changed);
      if (rc != 0)
        goto broken;

      while (done < map->n_items
             && atomic_load_explicit (&states[done], memory_order_acquire) != STATE_PENDING)
        done++;

      if (all_idle (self) && !changed)
        {
          if (done == map->n_items)
            break;
          /* Everyone is idle, yet items are pending: their chunk was lost with
           * a worker killed at the wrong moment, or the retry ring overflowed. */
          if (!requeue_pending (sh, states, done))
            {
              rc = PLAB_ENOMEM;
              goto broken;
            }
          changed = true;
        }
      if (changed)
        wake_workers (self);
    }

  /* Collect results and failures. */
  if (self->backend == PLAB_BACKEND_PROCESSES && map->result_size > 0)
    memcpy (map->results, self->arena + sh->results_off, map->n_items * map->result_size);
  for (size_t i = 0; i < map->n_items; i++)
    {
      int32_t s = atomic_load_explicit (&states[i], memory_order_relaxed);
      if (map->status != NULL)
        map->status[i] = s == STATE_DONE ? 0 : s;
      if (s != STATE_DONE && s != PLAB_ECRASHED)
        note_failure (&ms, i, s, NULL);
    }
  rc = 0;
  goto out;

broken:
  /* Cancelled or unrecoverable: stop everything now. */
  atomic_store (&sh->abort, 1);
  if (self->backend == PLAB_BACKEND_PROCESSES)
    reap_processes (self, true);
  else
    {
      atomic_store (&sh->stop, 1);
      wake_workers (self);
      join_threads (self);
    }
  self->state = POOL_BROKEN;
  if (map->status != NULL && states != NULL)
    for (size_t i = 0; i < map->n_items; i++)
      {
        int32_t s = atomic_load_explicit (&states[i], memory_order_relaxed);
        map->status[i] = s == STATE_DONE ? 0 : (s == STATE_PENDING ? rc : s);
      }

out:
  if (self->trace != NULL)
    {
      snprintf (label, sizeof label, "map %zu items", map->n_items);
      plab_span (PLAB_SPAN_WAIT, t0, plab_now_ns (), -1, label);
      plab_trace_drain (self->trace);
    }
  if (report != NULL)
    *report = ms.report;
  if (rc == 0 && ms.report.n_failed > 0)
    rc = PLAB_ETASK;
  return rc;
}
