/* plab-pool-private.h: the pool's shared layout, for plab-pool.c (the pool's
 * life), plab-pool-worker.c (the workers' loop), plab-pool-map.c (maps),
 * plab-pool-task.c (the task table), plab-pool-future.c (the calls that
 * wait: submit, results, wait, as_completed, imap) and plab-pool-map-async.c
 * (map_async, items as tasks). See plab-pool.c for the design.
 *
 * The calls go one way: plab-pool-map-async.c calls plab-pool-future.c,
 * plab-pool-map.c, plab-pool.c and plab-pool-task.c (through done callbacks
 * they call back into it, never by name); plab-pool-future.c and plab-pool-map.c call
 * plab-pool.c and plab-pool-task.c; plab-pool.c calls plab-pool-worker.c and
 * plab-pool-task.c; plab-pool-worker.c and plab-pool-task.c call neither. */
#pragma once

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "plab-error.h"
#include "plab-gil.h"
#include "plab-pool.h"

#define POOL_CACHE_LINE 64
#define POOL_RETRY_MAX 1024
#define POOL_TICK_MS 20
/* An item's state in a map: pending, done, or (negative) the item's error. */
#define POOL_ITEM_PENDING 0
#define POOL_ITEM_DONE 1

/* Why a worker left on its own (Slot.exit_reason). */
enum
{
  WORKER_RUNNING = 0,
  WORKER_RETIRED,     /* max_tasks_per_worker reached */
  WORKER_INIT_FAILED, /* the initializer returned an error (Slot.init_error) */
};

/* TaskSlot.state. While running, the state also names the worker slot:
 * TASK_RUNNING | (slot + 1) << 8, so the parent can fail exactly the task of
 * a worker that died. */
enum
{
  TASK_FREE = 0,
  TASK_QUEUED,
  TASK_RUNNING,
  TASK_FINISHED, /* TaskSlot.error says how */
  TASK_CANCELLED,
};

typedef struct
{
  /* Written by the worker owning the slot; read by the parent only once that
   * worker is dead, or idle for the current map. */
  _Alignas(POOL_CACHE_LINE) _Atomic int64_t chunk_start;
  _Atomic int64_t chunk_end;
  _Atomic int64_t current;   /* the map item being run, -1 when none */
  _Atomic uint32_t idle_map; /* the last map_seq this worker has finished claiming */
  _Atomic uint32_t exit_reason;
  int32_t init_error;
  /* Chunks this slot's workers claimed in the current map: only the worker
   * holding the slot writes it (load and store, no read-modify-write), the
   * parent zeroes it while every worker is idle and sums the slots after. */
  _Atomic uint64_t chunks;
} Slot;

typedef struct
{
  /* The futex word. Only the parent writes it; every change of work (a new
   * map, new tasks, retries, stop) bumps it. */
  _Alignas(POOL_CACHE_LINE) _Atomic uint32_t generation;
  _Atomic uint32_t stop; /* workers exit at their next look at it */
  /* Workers in (or about to enter) the futex wait on generation. A worker
   * raises it before it looks at generation a last time and sleeps; the
   * parent bumps generation before it looks at sleepers (both sequentially
   * consistent), so either the worker sees the new generation or the parent
   * sees the sleeper and wakes it: the FUTEX_WAKE is skipped only when no
   * worker can be asleep. */
  _Atomic uint32_t sleepers;
  /* How many times a worker went to sleep: a FUTEX_WAKE wakes every worker
   * counted before it (the others see the new generation and do not sleep),
   * so the parent wakes again only once this moved. */
  _Atomic uint32_t sleeps;
  /* The parent's side of the same handshake for the eventfd: it raises
   * parent_waiting, reads notify_seq, and polls only when nothing was
   * notified since it last looked; a worker bumps notify_seq and writes the
   * eventfd only when parent_waiting is up. So a busy parent costs its
   * workers no system call, and a finished task never waits for a tick. */
  _Atomic uint32_t parent_waiting;
  _Atomic uint32_t notify_seq;
  _Atomic uint32_t abort; /* workers stop claiming map items (cancel, fail-fast) */
  /* The flag every worker watches (plab_cancel_watch ()): raised once by the
   * parent when it stops the workers hard (a cancel, terminate), so that
   * running tasks end early instead of being waited for. Here, in shared
   * memory, a forked worker sees it as well as a thread. */
  volatile sig_atomic_t cancel;
  uint32_t n_workers;

  /* The current map. Written by the parent while every worker is idle for the
   * previous map (Slot.idle_map == map_seq), before it bumps map_seq; read-only
   * for workers. The function and user data addresses are valid in forked
   * workers because fork keeps the address space. */
  _Atomic uint32_t map_seq;
  uint32_t fail_fast;
  PlabMapFunc func;
  void *user_data;
  uint64_t user_data_size; /* > 0: workers use user_data_copy instead */
  char user_data_copy[PLAB_POOL_USER_DATA_MAX];
  PlabLabelFunc label;
  uint64_t n_items;
  uint64_t item_size;
  uint64_t result_size;
  uint64_t chunk_fixed; /* 0: measured (chunk_hint) */
  uint32_t chunk_spans; /* one task span per chunk instead of one per item */
  uint64_t items_off;
  uint64_t results_off;
  uint64_t states_off;
  uint64_t arena_size;

  /* Items are claimed with fetch_add, a chunk at a time. chunk_hint is the
   * measured number of items that take about 2 ms (any worker may store it). */
  _Alignas(POOL_CACHE_LINE) _Atomic uint64_t next_item;
  _Atomic uint64_t chunk_hint;

  /* Entries [retry_head, retry_tail) are ranges to run again. The parent is
   * the only writer of retry_tail and the entries; workers claim an entry by
   * advancing retry_head with compare-and-swap. */
  _Alignas(POOL_CACHE_LINE) _Atomic uint64_t retry_head;
  _Atomic uint64_t retry_tail;
  uint64_t retry_start[POOL_RETRY_MAX];
  uint64_t retry_end[POOL_RETRY_MAX];

  /* Submitted tasks: entries [task_head, task_tail) of task_ring are task
   * slots in submission order. The parent writes an entry, then task_tail
   * (release); workers claim by advancing task_head with compare-and-swap and
   * then moving the slot from TASK_QUEUED to running, which fails for a slot
   * cancelled meanwhile. A slot stays busy until the head has passed it, so
   * at most PLAB_POOL_MAX_TASKS entries are ever in the ring. */
  _Alignas(POOL_CACHE_LINE) _Atomic uint64_t task_head;
  _Atomic uint64_t task_tail;
  _Atomic uint64_t done_counter; /* completion order of tasks */
  uint32_t task_ring[PLAB_POOL_MAX_TASKS];

  Slot slots[PLAB_POOL_MAX_WORKERS];
} PoolShared;

typedef struct
{
  /* The parent fills the fields, then sets state to TASK_QUEUED; the worker
   * writes the result into the payload, then error and done_seq, then state
   * TASK_FINISHED with release order. */
  _Atomic uint32_t state;
  int32_t error;         /* what the task returned */
  int32_t library_error; /* set by the parent instead: PLAB_ECRASHED */
  uint64_t done_seq;
  PlabMapFunc func;
  void *user_data;
  uint32_t arg_size;
  uint32_t result_off;
  int64_t id;
  char label[PLAB_LABEL_MAX];
} TaskSlot;

/* The boot message of a worker started by spawn or forkserver; its
 * descriptors are the PoolShared block, the task slots, the map arena and the
 * eventfd, in that order. Addresses are the parent's. */
typedef struct
{
  int32_t slot;
  int32_t number;
  int32_t max_tasks;
  int32_t lane;
  uint64_t initializer;
  uint64_t init_data;
  uint64_t task_stride;
  uint64_t tasks_mapped;
  uint64_t payload_off;
  int64_t start_ns;       /* when the parent began the start */
  uint64_t lane_map_size; /* > 0: a fifth descriptor is the worker's trace lane */
} PoolWorkerBoot;

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

struct PlabFuture
{
  PlabPool *pool; /* NULL once the pool is gone */
  int slot;       /* the task slot while in flight, -1 after */
  bool done;
  bool taken;    /* handed out by plab_pool_as_completed () */
  int rc;        /* the library's code: 0, PLAB_ETASK, PLAB_ECRASHED, ... */
  int task_code; /* what the task returned, when it ended by returning */
  uint64_t done_seq;
  size_t result_size;
  void *result;
  PlabDoneFunc done_func;
  void *done_data;
  char message[200];
};

struct PlabPool
{
  PlabBackend backend;
  int n_workers;
  PlabTrace *trace; /* borrowed */
  const volatile sig_atomic_t *cancel;
  char lane_prefix[24];
  PlabPoolState state;
  char message[256];
  PlabInitFunc initializer;
  void *init_data;
  int max_tasks;
  bool map_active;
  /* Set by plab_pool_shutdown () with cancel_futures: work not started yet
   * (queued tasks, map_async items not handed out) never starts. */
  bool cancel_not_started;
  size_t idle_deaths; /* workers that died holding nothing, since work last finished */

  PoolShared *sh;
  PlabStartMethod start_method;
  int sh_fd;    /* processes: the memfd behind sh, for workers that do not fork from here */
  int tasks_fd; /* processes: the memfd behind tasks */
  int efd;      /* workers write 1 when they go idle or finish a task and the parent waits */
  uint32_t notify_seen;  /* sh->notify_seq when the parent last looked */
  bool wake_owed;        /* a task was queued without waking sleeping workers */
  uint32_t sleeps_woken; /* sh->sleeps at the last FUTEX_WAKE */
  int memfd;             /* the map arena, processes only */
  char *arena;           /* parent's mapping of it */
  size_t arena_mapped;

  /* Tasks: slots and their payloads in one shared mapping made before the
   * workers, so forked workers inherit it. */
  TaskSlot *tasks;
  char *payload;
  size_t task_stride;
  size_t tasks_mapped;
  PlabFuture *slot_future[PLAB_POOL_MAX_TASKS];
  bool slot_busy[PLAB_POOL_MAX_TASKS];
  uint64_t slot_pos[PLAB_POOL_MAX_TASKS]; /* each busy slot's entry in the task ring */
  uint32_t free_slots[PLAB_POOL_MAX_TASKS];
  int n_free;
  int n_busy;
  /* Tasks seen finished by _plab_pool_collect (): while it equals
   * sh->done_counter and no slot is cancelled, nothing is left to collect
   * and the slots need no scan. */
  uint64_t n_collected;
  int n_cancelled; /* cancelled slots not yet freed */
  int64_t task_counter;

  /* Threads: the caller's arrays for the current map, and the GIL. */
  const char *t_items;
  char *t_results;
  _Atomic int32_t *t_states;
  size_t t_states_alloc;
  PlabGil *gil; /* gil backend only */

  Worker workers[PLAB_POOL_MAX_WORKERS];
  int worker_counter;

  /* The pids of live worker processes, 0 for none: written by the thread
   * driving the pool, read by plab_pool_worker_pids () from any thread. */
  _Atomic int live_pids[PLAB_POOL_MAX_WORKERS];
};

/* A task's return value as an error code: 0, its own negative code, or
 * PLAB_ETASK for a positive one. */
static inline int
_plab_pool_error_code (int rc)
{
  return rc == 0 ? 0 : (rc < 0 ? rc : PLAB_ETASK);
}

/* How long one progress step may wait before @deadline (plab_now_ns () time):
 * at most POOL_TICK_MS, so cancellation is seen within that. */
static inline int
_plab_pool_tick_ms (int64_t deadline)
{
  int64_t left = deadline - plab_now_ns ();

  if (left <= 0)
    return 0;
  return left / 1000000 < POOL_TICK_MS ? (int)(left / 1000000) + 1 : POOL_TICK_MS;
}

/* How long a worker that ran out of work, and a parent waiting for one,
 * look again before they sleep in the kernel: work that comes within it (the
 * next task of a stream of small ones) costs no system call on either side. */
#define POOL_SPIN_NS 30000

/* Waits until *@word differs from @value or POOL_SPIN_NS have passed; true
 * when it changed. */
static inline bool
_plab_pool_spin (_Atomic uint32_t *word, uint32_t value)
{
  int64_t deadline = 0;

  for (unsigned i = 0;; i++)
    {
      if (atomic_load_explicit (word, memory_order_acquire) != value)
        return true;
      if ((i & 63) == 0)
        {
          int64_t now = plab_now_ns ();

          if (deadline == 0)
            deadline = now + POOL_SPIN_NS;
          else if (now >= deadline)
            return false;
        }
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause ();
#endif
    }
}

/* Failure bookkeeping of one map. */
typedef struct
{
  PlabMapReport report;
  bool fail_fast;
} MapState;

/* Opens the task span of map item @index, labelled by @label_func when there
 * is one; @label (PLAB_LABEL_MAX bytes) keeps the label for the span's end.
 * Returns the span's start. */
static inline int64_t
_plab_pool_item_span_begin (PlabLabelFunc label_func,
                            size_t index,
                            const void *item,
                            void *user_data,
                            char *label)
{
  label[0] = '\0';
  if (label_func != NULL)
    label_func (index, item, label, PLAB_LABEL_MAX, user_data);
  return plab_span_begin (PLAB_SPAN_TASK, (int64_t)index, label);
}

/* Opens the task span of the chunk of items [@start, @end), @item the
 * first: labelled as that item when it is alone, else "N items from
 * LABEL" (or "items A-B" without a label function). Returns the span's
 * start. */
static inline int64_t
_plab_pool_chunk_span_begin (PlabLabelFunc label_func,
                             size_t start,
                             size_t end,
                             const void *item,
                             void *user_data,
                             char *label)
{
  char first[PLAB_LABEL_MAX];

  if (end - start == 1)
    return _plab_pool_item_span_begin (label_func, start, item, user_data, label);
  first[0] = '\0';
  if (label_func != NULL)
    label_func (start, item, first, sizeof first, user_data);
  if (first[0])
    snprintf (label, PLAB_LABEL_MAX, "%zu items from %s", end - start, first);
  else
    snprintf (label, PLAB_LABEL_MAX, "items %zu-%zu", start, end - 1);
  return plab_span_begin (PLAB_SPAN_TASK, (int64_t)start, label);
}

/* --- plab-pool-worker.c, for plab-pool.c --- */

/* The body of a worker thread or forked worker process; it returns when the
 * worker leaves (stopped, retired, or its initializer failed). */
void _plab_pool_worker_main (Worker *w);

/* pthread_create () entry point: _plab_pool_worker_main () on @data, a Worker. */
void *_plab_pool_worker_thread (void *data);

/* --- plab-pool.c, for plab-pool-map.c and plab-pool-future.c --- */

/* Records that @item failed with @code; the report keeps the lowest item's
 * error and @message (or the code's text when NULL). */
/* Counts a failed item of a map in @ms: @code is the library's code
 * (PLAB_ETASK, PLAB_ECRASHED, ...), @task_code what the task returned when
 * @code is PLAB_ETASK. */
void _plab_pool_note_failure (MapState *ms,
                              size_t item,
                              int code,
                              int task_code,
                              const char *message);

/* A map's states hold two int32 per item: its state (POOL_ITEM_PENDING,
 * POOL_ITEM_DONE, PLAB_ETASK or PLAB_ECRASHED) in the first n_items, and
 * what its task returned in the next n_items, written before the state with
 * release order. This returns the second half. */
static inline _Atomic int32_t *
_plab_pool_task_codes (_Atomic int32_t *states, size_t n_items)
{
  return states + n_items;
}

/* Appends the items [@start, @end) to the retry ring; false when it is full. */
bool _plab_pool_push_retry (PoolShared *sh, uint64_t start, uint64_t end);

/* Reaps workers that ended and starts their replacements; the item a dead
 * worker held fails in @states and @ms (both NULL outside a map). Sets
 * *@changed when a worker was replaced. Returns an error when the pool cannot
 * go on. */
int _plab_pool_check_workers (PlabPool *self, _Atomic int32_t *states, MapState *ms, bool *changed);

/* Whether every live worker has finished claiming from the current map. */
bool _plab_pool_all_idle (PlabPool *self);

/* Waits up to @timeout_ms for a worker to report or to end. */
void _plab_pool_wait_events (PlabPool *self, int timeout_ms);

/* Whether the pool's cancel flag is set. */
bool _plab_pool_cancelled (PlabPool *self);

/* One step of the parent's work: waits up to @timeout_ms for a worker to
 * report, drains the trace, replaces dead workers, collects finished tasks.
 * Returns 0, or the error that broke the pool (PLAB_ECANCELLED, ...). */
int _plab_pool_progress (PlabPool *self, int timeout_ms);

/* Bumps the generation and wakes the workers. */
void _plab_pool_wake (PlabPool *self);

/* Bumps the generation for a task just queued, and wakes the workers only
 * when none is awake to take it or more tasks wait than workers are awake;
 * otherwise the wake is owed and made before the parent next waits. */
void _plab_pool_wake_for_task (PlabPool *self);

/* --- plab-pool-future.c, for plab-pool-map-async.c --- */

/* plab_pool_submit (); with @while_closing, as _plab_pool_task_new (). */
int _plab_pool_submit (PlabPool *self, const PlabTask *task, bool while_closing, PlabFuture **out);

/* --- plab-pool-task.c, for both others --- */

/* Validates @task and makes its future, not yet in a slot (EINVAL, ESTATE,
 * EMSGSIZE, ENOMEM). Counts the task, so its id is task_counter - 1. With
 * @while_closing, a CLOSING pool takes it too (work the caller started before
 * the close), unless a shutdown cancelled what had not started. */
int _plab_pool_task_new (PlabPool *self,
                         const PlabTask *task,
                         bool while_closing,
                         PlabFuture **out);

/* The serial backend: runs @task here, now, into @f, and calls its done
 * callback. Returns 0; the task's own code is in @f. */
int _plab_pool_task_run_here (PlabPool *self, const PlabTask *task, PlabFuture *f);

/* Puts @task into a free slot (the caller made sure n_free > 0) and appends
 * it to the task ring; the caller wakes the workers. */
void _plab_pool_task_queue (PlabPool *self, const PlabTask *task, PlabFuture *f);

/* Collects finished tasks into their futures and runs done callbacks; no
 * system call. */
void _plab_pool_collect (PlabPool *self);

/* Stops the workers now and fails every task in flight with @rc. The pool
 * becomes @state (BROKEN or TERMINATED) and remembers @message. */
void _plab_pool_stop_hard (PlabPool *self, PlabPoolState state, int rc, const char *message);

/* Cancels every task that has not started (plab_pool_shutdown ()). */
void _plab_pool_cancel_queued (PlabPool *self);

/* Detaches the futures still in flight from a pool being freed. */
void _plab_pool_release_futures (PlabPool *self, int rc, const char *message);
