/* plab-pool-worker.c: the workers' side of a pool. A worker sleeps on the
 * generation futex, claims chunks of the current map and queued tasks, runs
 * them, and tells the parent through the eventfd. The shared layout and the
 * rules for who writes what are described in plab-pool.c.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plab-error.h"
#include "plab-gil.h"
#include "plab-pool-private.h"
#include "plab-start-private.h"
#include "plab-trace-private.h"

#define CHUNK_TARGET_NS 2000000LL
#define CHUNK_HINT_MAX (1u << 24)

static void
futex_wait (_Atomic uint32_t *word, uint32_t expected, int timeout_ms)
{
  struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };

  /* Not FUTEX_PRIVATE: the word may be shared between processes. */
  syscall (SYS_futex, word, FUTEX_WAIT, expected, &ts, NULL, 0);
}

/* Tells the parent something changed (see PoolShared.parent_waiting): a
 * system call only when the parent is waiting for it. */
static void
notify_parent (PlabPool *self)
{
  PoolShared *sh = self->sh;
  uint64_t one = 1;

  atomic_fetch_add (&sh->notify_seq, 1);
  /* The first worker to see the parent waiting wakes it, the others need not. */
  if (!atomic_load (&sh->parent_waiting) || !atomic_exchange (&sh->parent_waiting, 0))
    return;
  if (write (self->efd, &one, sizeof one) < 0)
    {
      /* The counter can only overflow after 2^64 writes; nothing to do. */
    }
}

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

/* Counts a claimed chunk on the worker's own slot. */
static void
count_chunk (Slot *slot)
{
  atomic_store_explicit (&slot->chunks,
                         atomic_load_explicit (&slot->chunks, memory_order_relaxed) + 1,
                         memory_order_relaxed);
}

/* Claims the next range of map items; false when none is left. One atomic
 * read-modify-write per chunk, on next_item. */
static bool
claim (PoolShared *sh, Slot *slot, uint64_t *start, uint64_t *end)
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
          count_chunk (slot);
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
          count_chunk (slot);
          *start = s;
          *end = e;
          return true;
        }
    }
  return false;
}

/* Items that take longer than this on average are timed one by one; faster
 * ones share a clock read with the items of their block. A clock read costs
 * about 25 ns on bare metal and over 100 ns in some virtual machines, many
 * times a tiny item. */
#define ITEM_TIMED_NS 2000

/* The task spans of the map items a worker runs, one per item, recorded a
 * block at a time: the clock is read at the end of each block, and the
 * block's items share the time since the last read (see
 * _plab_trace_item_spans ()). A block grows, doubling up to
 * PLAB_ITEM_SPANS_MAX items, while its items are faster than ITEM_TIMED_NS
 * and record nothing of their own, and goes back to one item (timed
 * exactly, and shown open while it runs) as soon as they are not. The
 * block lives across the chunks a worker claims in a row, and is flushed
 * before the worker goes idle. An item much slower than the ones before it
 * shares its block's time with them (at most PLAB_ITEM_SPANS_MAX - 1 items);
 * the items after it are timed one by one again. */
typedef struct
{
  bool on;          /* recording item spans */
  uint32_t block;   /* items per clock read */
  uint32_t n;       /* items in the current block */
  int64_t t0;       /* the block's start: the last clock read */
  uint64_t written; /* the lane's event count when the block began */
  int64_t open_t0;  /* the open span of a lone item, or 0 */
  bool labelled;    /* the map has a label function */
  int64_t ids[PLAB_ITEM_SPANS_MAX];
  char labels[PLAB_ITEM_SPANS_MAX][PLAB_LABEL_MAX];
} ItemSpans;

static void
item_spans_start (ItemSpans *s, bool on)
{
  s->on = on;
  s->n = 0;
  s->open_t0 = 0;
  /* Every map starts timing its items one by one: its items may be slow
   * where the last map's were fast. */
  s->block = 1;
  if (on)
    {
      s->t0 = plab_now_ns ();
      s->written = _plab_trace_written ();
    }
}

/* Records the current block's spans, then sizes the next block. */
static void
item_spans_flush (ItemSpans *s)
{
  int64_t t1;
  bool recorded;

  if (!s->on || s->n == 0)
    return;
  t1 = plab_now_ns ();
  /* Something the items recorded (a wait, a span of their own) would not
   * sit inside shares of the block: time the next items one by one. */
  recorded = _plab_trace_written () != s->written;
  _plab_trace_item_spans (s->ids, s->labelled ? s->labels : NULL, s->n, s->t0, t1);
  if (s->open_t0 != 0)
    plab_span_forget (PLAB_SPAN_TASK, s->open_t0);
  if (recorded || (t1 - s->t0) / s->n >= ITEM_TIMED_NS)
    s->block = 1;
  else if (s->block < PLAB_ITEM_SPANS_MAX)
    s->block *= 2;
  s->n = 0;
  s->open_t0 = 0;
  s->t0 = t1;
  s->written = _plab_trace_written ();
}

/* Adds map item @index to the block before it runs (the label function
 * runs here, outside the item's time when the item is timed alone). */
static void
item_spans_add (ItemSpans *s,
                PlabLabelFunc label_func,
                uint64_t index,
                const void *item,
                void *user_data)
{
  char *label = s->labels[s->n];

  label[0] = '\0';
  if (label_func != NULL)
    label_func (index, item, label, PLAB_LABEL_MAX, user_data);
  s->labelled = label_func != NULL;
  s->ids[s->n++] = (int64_t)index;
  /* A lone item is timed exactly, from just before it runs (not from the
   * last read, which a GIL wait or a preemption may lie between), and may be
   * a long one: a live view shows it while it runs. */
  if (s->block == 1)
    {
      s->t0 = plab_now_ns ();
      s->open_t0 = _plab_span_begin_at (PLAB_SPAN_TASK, (int64_t)index, label, s->t0);
    }
}

static void
run_range (PlabPool *self,
           Slot *slot,
           const View *v,
           uint64_t start,
           uint64_t end,
           ItemSpans *spans)
{
  PoolShared *sh = self->sh;
  /* The parent's addresses, moved for a worker started by spawn. */
  PlabMapFunc func = (PlabMapFunc)_plab_addr_local ((const void *)sh->func);
  PlabLabelFunc label_func = (PlabLabelFunc)_plab_addr_local ((const void *)sh->label);
  void *user_data = sh->user_data_size > 0 ? sh->user_data_copy : _plab_addr_local (sh->user_data);
  bool gil = self->backend == PLAB_BACKEND_GIL;
  bool tracing = plab_tracing ();
  bool item_spans = spans->on;
  /* The clock is read per chunk only to measure the chunk size. */
  int64_t chunk_t0 = sh->chunk_fixed == 0 ? plab_now_ns () : 0;
  int64_t span_t0 = 0;
  uint64_t ran = 0;
  char label[PLAB_LABEL_MAX];

  atomic_store_explicit (&slot->chunk_end, (int64_t)end, memory_order_relaxed);
  atomic_store_explicit (&slot->chunk_start, (int64_t)start, memory_order_relaxed);
  if (tracing && !item_spans && start < end)
    span_t0 = _plab_pool_chunk_span_begin (label_func, start, end, v->items + start * sh->item_size,
                                           user_data, label);

  for (uint64_t i = start; i < end; i++)
    {
      const void *item = v->items + i * sh->item_size;
      void *result = v->results + i * sh->result_size;
      int rc;

      if (atomic_load_explicit (&sh->abort, memory_order_relaxed))
        break;
      atomic_store_explicit (&slot->current, (int64_t)i, memory_order_relaxed);
      if (item_spans)
        item_spans_add (spans, label_func, i, item, user_data);
      /* The task's own value goes beside its state, apart from the
       * library's codes (PLAB_ETASK). */
      rc = func (item, result, user_data);
      /* Under the GIL the checkpoint may wait for another thread: every
       * item is timed alone, its span ending before the checkpoint. */
      if (item_spans && (gil || spans->n == spans->block))
        {
          item_spans_flush (spans);
          if (gil)
            spans->block = 1;
        }
      if (gil)
        plab_checkpoint ();
      atomic_store_explicit (&_plab_pool_task_codes (v->states, sh->n_items)[i], rc,
                             memory_order_relaxed);
      /* Release: the result and the task's code are complete before the
       * state says so. */
      atomic_store_explicit (&v->states[i], rc == 0 ? POOL_ITEM_DONE : PLAB_ETASK,
                             memory_order_release);
      if (rc != 0 && sh->fail_fast)
        atomic_store_explicit (&sh->abort, 1, memory_order_relaxed);
      ran++;
    }
  if (span_t0 != 0)
    plab_span (PLAB_SPAN_TASK, span_t0, plab_now_ns (), (int64_t)start, label);
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
  PlabMapFunc func = (PlabMapFunc)_plab_addr_local ((const void *)t->func);
  int rc;

  /* The task's own value, kept apart from the library's codes (PLAB_ETASK). */
  rc = func (arg, arg + t->result_off, _plab_addr_local (t->user_data));
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
  ItemSpans spans = { 0 };

  for (;;)
    {
      uint32_t gen, map_seq;
      uint64_t s, e;
      int idx;

      if (atomic_load_explicit (&sh->generation, memory_order_acquire) == seen)
        _plab_pool_spin (&sh->generation, seen);
      while ((gen = atomic_load_explicit (&sh->generation, memory_order_acquire)) == seen
             && !atomic_load_explicit (&sh->stop, memory_order_acquire))
        {
          /* See PoolShared.sleepers: raised before the last look. */
          atomic_fetch_add (&sh->sleepers, 1);
          atomic_fetch_add (&sh->sleeps, 1);
          if (atomic_load (&sh->generation) == seen)
            futex_wait (&sh->generation, seen, 1000);
          atomic_fetch_sub (&sh->sleepers, 1);
        }
      if (atomic_load_explicit (&sh->stop, memory_order_acquire))
        break;
      seen = gen;

      /* Under the gil backend a worker holds the GIL while it runs items
       * and lets it go before it sleeps. */
      plab_gil_attach (self->gil);
      map_seq = atomic_load_explicit (&sh->map_seq, memory_order_acquire);
      if (map_seq != atomic_load_explicit (&slot->idle_map, memory_order_relaxed))
        {
          spans.on = false;
          if (sh->n_items > 0 && view_open (self, &v) == 0)
            {
              /* Timed from here on: mapping the arena is no item's work. */
              item_spans_start (&spans, plab_tracing () && !sh->chunk_spans);
              while (claim (sh, slot, &s, &e))
                {
                  run_range (self, slot, &v, s, e, &spans);
                  if (self->max_tasks > 0 && ++tasks_run >= self->max_tasks)
                    {
                      item_spans_flush (&spans);
                      goto retire;
                    }
                }
            }
          item_spans_flush (&spans);
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

/* The body of a worker, thread or forked process: it watches the pool's
 * cancel flag, records on its lane, runs the initializer and then the loop. */
void
_plab_pool_worker_main (Worker *w)
{
  PlabPool *self = w->pool;

  plab_cancel_watch (&self->sh->cancel);
  if (self->trace != NULL)
    {
      plab_trace_attach (self->trace, w->lane);
      plab_span (PLAB_SPAN_SPAWN, w->start_ns, plab_now_ns (), -1, "start");
    }
  if (worker_init (w))
    worker_loop (w);
  plab_instant (PLAB_SPAN_EXIT, "exit");
}

void *
_plab_pool_worker_thread (void *data)
{
  _plab_pool_worker_main (data);
  plab_trace_detach ();
  plab_cancel_watch (NULL);
  return NULL;
}

/* A worker started by spawn or forkserver: it maps the pool's shared blocks
 * from the descriptors it was given and rebuilds the part of the pool a
 * worker reads; everything else in it stays zero (no trace, no GIL). */
void
_plab_pool_worker_boot (const void *payload, size_t size, const int *fds, int n_fds)
{
  const PoolWorkerBoot *b = payload;
  PlabPool *self = calloc (1, sizeof *self);
  Worker w;

  if (self == NULL || size != sizeof *b || n_fds < 4)
    _exit (127);
  /* The worker's lane, when the pool records: its start span covers the
   * whole start, exec or server round trip included. */
  if (n_fds == 5 && b->lane_map_size > 0 && _plab_trace_attach_fd (fds[4], b->lane_map_size) == 0)
    plab_span (PLAB_SPAN_SPAWN, b->start_ns, plab_now_ns (), -1, "start");
  self->backend = PLAB_BACKEND_PROCESSES;
  self->sh = mmap (NULL, sizeof (PoolShared), PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
  self->tasks
      = mmap (NULL, b->tasks_mapped, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fds[1], 0);
  if (self->sh == MAP_FAILED || self->tasks == MAP_FAILED)
    _exit (127);
  close (fds[0]);
  close (fds[1]);
  self->payload = (char *)self->tasks + b->payload_off;
  self->task_stride = b->task_stride;
  self->tasks_mapped = b->tasks_mapped;
  self->memfd = fds[2];
  self->efd = fds[3];
  self->max_tasks = b->max_tasks;
  self->initializer = (PlabInitFunc)_plab_addr_local ((const void *)(uintptr_t)b->initializer);
  self->init_data = _plab_addr_local ((const void *)(uintptr_t)b->init_data);

  memset (&w, 0, sizeof w);
  w.pool = self;
  w.slot = b->slot;
  w.lane = -1;
  w.number = b->number;
  w.pid = getpid ();
  _plab_pool_worker_main (&w);
  _exit (0);
}
