/* plab-pool-map.c: plab_pool_map () on a running pool. The parent lays the
 * items out (the arena, for processes), publishes the map to the workers,
 * drives it until every item has a state, and collects results and statuses;
 * the serial backend runs the items here instead. Dead workers are handled by
 * the pool itself (plab-pool.c), which this file calls.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "plab-error.h"
#include "plab-pool-private.h"
#include "plab-trace-private.h"

/* Items in one task span of a serial map with chunk spans and no chunk size:
 * as many as run between two drains of the trace. */
#define SERIAL_CHUNK 1024

/* Closes the open chunk span of a serial map, if any. */
static void
end_chunk_span (int64_t *t0, size_t first, const char *label)
{
  if (*t0 != 0)
    plab_span (PLAB_SPAN_TASK, *t0, plab_now_ns (), (int64_t)first, label);
  *t0 = 0;
}

static int
map_serial (PlabPool *self, const PlabMap *map, MapState *ms, size_t *ran)
{
  bool tracing = plab_tracing ();
  bool item_spans = tracing && !map->chunk_spans;
  bool chunk_spans = tracing && map->chunk_spans;
  size_t chunk = map->chunk_size ? map->chunk_size : SERIAL_CHUNK;
  int64_t last_drain = plab_now_ns ();
  int64_t chunk_t0 = 0;
  size_t chunk_first = 0;
  char label[PLAB_LABEL_MAX];
  int rc = 0;

  for (size_t i = 0; i < map->n_items; i++)
    {
      const void *item = (const char *)map->items + i * map->item_size;
      void *result = (char *)map->results + i * map->result_size;
      int64_t t0;
      int task_rc;

      if ((i & 1023) == 0)
        {
          /* The serial backend runs in the draining thread: drain as we go, so
           * a long map does not overflow the main lane's ring. */
          if (_plab_pool_cancelled (self))
            {
              end_chunk_span (&chunk_t0, chunk_first, label);
              return PLAB_ECANCELLED;
            }
          if (self->trace != NULL
              && ((i & 65535) == 0 || plab_now_ns () - last_drain > POOL_TICK_MS * 1000000LL))
            {
              plab_trace_drain (self->trace);
              last_drain = plab_now_ns ();
            }
        }
      /* A chunk span covers items [i, the next multiple of chunk). */
      if (chunk_spans && chunk_t0 == 0)
        {
          size_t end = (i / chunk + 1) * chunk;

          chunk_first = i;
          chunk_t0
              = _plab_pool_chunk_span_begin (map->label, i, end < map->n_items ? end : map->n_items,
                                             item, map->user_data, label);
        }
      /* Timed after the drain: the drain is the runner's work, not the task's. */
      t0 = item_spans ? _plab_pool_item_span_begin (map->label, i, item, map->user_data, label) : 0;
      task_rc = map->func (item, result, map->user_data);
      rc = task_rc != 0 ? PLAB_ETASK : 0;
      if (item_spans)
        plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), (int64_t)i, label);
      /* A failure ends its chunk's span: the next item opens another. */
      if ((i + 1) % chunk == 0 || i + 1 == map->n_items || rc != 0)
        end_chunk_span (&chunk_t0, chunk_first, label);
      *ran = i + 1;
      if (map->task_codes != NULL)
        map->task_codes[i] = task_rc;
      /* The item ended early because the run is cancelled: not its failure. */
      if (task_rc == PLAB_ECANCELLED && _plab_pool_cancelled (self))
        {
          if (map->status != NULL)
            map->status[i] = PLAB_ECANCELLED;
          return PLAB_ECANCELLED;
        }
      if (map->status != NULL)
        map->status[i] = rc;
      if (rc != 0)
        _plab_pool_note_failure (ms, i, rc, task_rc, NULL);
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
  /* Each item's state, then each item's task code (_plab_pool_task_codes ()). */
  size_t states_bytes = 2 * map->n_items * sizeof (int32_t);
  size_t results_off = (items_bytes + page - 1) / page * page;
  size_t states_off = results_off + (results_bytes + page - 1) / page * page;
  size_t size = states_off + (states_bytes + page - 1) / page * page;

  if (self->backend != PLAB_BACKEND_PROCESSES)
    {
      if (self->t_states_alloc < 2 * map->n_items)
        {
          _Atomic int32_t *s = realloc (self->t_states, states_bytes);
          if (s == NULL)
            return PLAB_ENOMEM;
          self->t_states = s;
          self->t_states_alloc = 2 * map->n_items;
        }
      memset ((void *)self->t_states, 0, states_bytes);
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
      if (atomic_load_explicit (&states[i], memory_order_acquire) != POOL_ITEM_PENDING)
        {
          i++;
          continue;
        }
      j = i;
      while (j < sh->n_items
             && atomic_load_explicit (&states[j], memory_order_acquire) == POOL_ITEM_PENDING)
        j++;
      if (!_plab_pool_push_retry (sh, i, j))
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
      int rc = _plab_pool_check_workers (self, NULL, NULL, &changed);

      if (rc != 0)
        return rc;
      if (_plab_pool_all_idle (self))
        return 0;
      if (_plab_pool_cancelled (self))
        return PLAB_ECANCELLED;
      _plab_pool_wait_events (self, POOL_TICK_MS);
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
  /* Only worker processes read the copy; threads share the caller's memory. */
  sh->user_data_size = self->backend == PLAB_BACKEND_PROCESSES ? map->user_data_size : 0;
  if (sh->user_data_size > 0)
    memcpy (sh->user_data_copy, map->user_data, map->user_data_size);
  sh->label = map->label;
  sh->n_items = map->n_items;
  sh->item_size = map->item_size;
  sh->result_size = map->result_size;
  sh->chunk_fixed = map->chunk_size;
  sh->chunk_spans = map->chunk_spans;
  sh->fail_fast = map->fail_fast;
  atomic_store (&sh->chunk_hint, 1);
  atomic_store (&sh->next_item, 0);
  for (int i = 0; i < self->n_workers; i++)
    atomic_store (&sh->slots[i].chunks, 0);
  atomic_store (&sh->retry_head, 0);
  atomic_store (&sh->retry_tail, 0);
  atomic_store (&sh->abort, 0);
  self->idle_deaths = 0;
  self->map_active = true;
  /* Release: the map is complete before a worker sees its number. */
  atomic_fetch_add_explicit (&sh->map_seq, 1, memory_order_release);
  _plab_pool_wake (self);
}

/* Drives the published map until every item has left POOL_ITEM_PENDING (or the
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

      _plab_pool_wait_events (self, POOL_TICK_MS);
      if (self->trace != NULL)
        plab_trace_drain (self->trace);

      if (_plab_pool_cancelled (self))
        {
          snprintf (self->message, sizeof self->message, "cancelled");
          return PLAB_ECANCELLED;
        }

      rc = _plab_pool_check_workers (self, states, ms, &changed);
      if (rc != 0)
        return rc;

      while (done < map->n_items
             && atomic_load_explicit (&states[done], memory_order_acquire) != POOL_ITEM_PENDING)
        done++;

      aborted = atomic_load (&sh->abort) != 0;
      if (_plab_pool_all_idle (self) && !changed)
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
        _plab_pool_wake (self);
    }
}

/* After a finished map: copies the results out of the arena (processes) and
 * gives every item its status; an item never started (fail-fast) is skipped. */
static void
collect_map (PlabPool *self, const PlabMap *map, _Atomic int32_t *states, MapState *ms)
{
  PoolShared *sh = self->sh;
  _Atomic int32_t *codes = _plab_pool_task_codes (states, map->n_items);

  ms->report.n_chunks = 0;
  for (int i = 0; i < self->n_workers; i++)
    ms->report.n_chunks += atomic_load (&sh->slots[i].chunks);
  if (self->backend == PLAB_BACKEND_PROCESSES && map->result_size > 0)
    memcpy (map->results, self->arena + sh->results_off, map->n_items * map->result_size);
  for (size_t i = 0; i < map->n_items; i++)
    {
      int32_t s = atomic_load_explicit (&states[i], memory_order_acquire);
      int32_t task_rc
          = s == PLAB_ETASK ? atomic_load_explicit (&codes[i], memory_order_relaxed) : 0;

      if (s == POOL_ITEM_PENDING)
        {
          /* Fail-fast: never started. */
          ms->report.n_skipped++;
          s = PLAB_ECANCELLED;
        }
      else if (s != POOL_ITEM_DONE && s != PLAB_ECRASHED)
        _plab_pool_note_failure (ms, i, s, task_rc, NULL);
      if (map->status != NULL)
        map->status[i] = s == POOL_ITEM_DONE ? 0 : s;
      if (map->task_codes != NULL)
        map->task_codes[i] = task_rc;
    }
}

/* Cancelled or unrecoverable: stops everything now; items not finished get
 * @rc as their status. */
static void
break_map (PlabPool *self, const PlabMap *map, _Atomic int32_t *states, int rc)
{
  self->map_active = false;
  _plab_pool_stop_hard (self, PLAB_POOL_BROKEN, rc, self->message);
  if (states != NULL)
    for (size_t i = 0; i < map->n_items; i++)
      {
        int32_t s = atomic_load_explicit (&states[i], memory_order_acquire);
        int32_t task_rc
            = s == PLAB_ETASK
                  ? atomic_load_explicit (&_plab_pool_task_codes (states, map->n_items)[i],
                                          memory_order_relaxed)
                  : 0;

        /* A task that returned PLAB_ECANCELLED because this cancel reached
         * it was cancelled, not failed. */
        if (s == PLAB_ETASK && task_rc == PLAB_ECANCELLED && rc == PLAB_ECANCELLED)
          s = PLAB_ECANCELLED;
        if (map->status != NULL)
          map->status[i] = s == POOL_ITEM_DONE ? 0 : (s == POOL_ITEM_PENDING ? rc : s);
        if (map->task_codes != NULL)
          map->task_codes[i] = task_rc;
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
      for (size_t i = ran; i < map->n_items; i++)
        {
          if (map->status != NULL)
            map->status[i] = PLAB_ECANCELLED;
          if (map->task_codes != NULL)
            map->task_codes[i] = 0;
        }
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
      || (map->n_items > 0 && map->result_size > 0 && map->results == NULL)
      || map->user_data_size > PLAB_POOL_USER_DATA_MAX
      || (map->user_data_size > 0 && map->user_data == NULL))
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
