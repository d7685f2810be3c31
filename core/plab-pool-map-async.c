/* plab-pool-map-async.c: map_async, a map the caller does not wait for
 * (Python's Pool.map_async () and its AsyncResult).
 *
 * A pool is driven from one thread and has no thread of its own, so a map
 * that returns at once cannot use the map engine of plab-pool-map.c, which
 * holds the caller until the map ends. Each item runs as a submitted task
 * instead: its bytes are copied into a task slot, so the workers need not see
 * the caller's array, and a dying worker, a shutdown or a terminate treat it
 * as any future. The items are handed out while slots are free; the done
 * callback of each item's future writes the result, status and task code into
 * the caller's arrays, frees the future and hands out the next item. Those
 * callbacks run inside whichever pool call collects finished tasks, so a map
 * goes on while the caller waits on anything of the pool (or joins it).
 *
 * Futures that end without their callback (cancelled by a shutdown, failed by
 * a terminate) are found by a sweep in every call on the result. The serial
 * backend has no slots: there the whole map runs inside plab_pool_map_async ().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plab-error.h"
#include "plab-mem.h"
#include "plab-pool-private.h"

/* The done data of one item's future. */
typedef struct
{
  PlabMapResult *self;
  size_t index;
} ItemRef;

struct PlabMapResult
{
  PlabPool *pool; /* borrowed */
  PlabMap map;    /* the caller's arrays, borrowed until ready or freed */
  PlabMapCallbacks callbacks;
  ItemRef *refs;        /* n_items */
  PlabFuture **futures; /* n_items: an item's future while it is in flight */
  size_t next;          /* the next item to hand out */
  size_t low;           /* every item below it is recorded */
  size_t n_in_flight;
  MapState ms;
  bool stopping; /* hand out no more: fail-fast, or the pool stopped taking work */
  bool ready;
  bool freeing;
  int rc; /* once ready: what plab_pool_map () would return */
};

/* Writes what item @i's finished future @f says into the caller's arrays and
 * the report, frees @f, and calls the error callback at the first failure. */
static void
record (PlabMapResult *self, size_t i, PlabFuture *f)
{
  const PlabMap *map = &self->map;
  int code = f->rc;

  if (code == 0 && map->result_size > 0)
    memcpy ((char *)map->results + i * map->result_size, f->result, map->result_size);
  if (map->status != NULL)
    map->status[i] = code;
  if (map->task_codes != NULL)
    map->task_codes[i] = code == PLAB_ETASK ? f->task_code : 0;
  if (code != 0)
    {
      bool first = self->ms.report.n_failed == 0;

      if (code == PLAB_ECANCELLED)
        self->rc = PLAB_ECANCELLED;
      if (code == PLAB_ECRASHED)
        self->ms.report.n_crashes++;
      _plab_pool_note_failure (&self->ms, i, code, f->task_code,
                               code == PLAB_ETASK ? NULL : f->message);
      if (map->fail_fast)
        self->stopping = true;
      if (first && self->callbacks.error != NULL)
        self->callbacks.error (self, i, code, code == PLAB_ETASK ? f->task_code : 0, f->message,
                               self->callbacks.data);
    }
  self->futures[i] = NULL;
  self->n_in_flight--;
  plab_future_free (f);
}

/* Marks the items never handed out: skipped after a fail-fast failure, else
 * cancelled by the pool (a shutdown, a terminate). */
static void
skip_rest (PlabMapResult *self)
{
  const PlabMap *map = &self->map;

  for (size_t i = self->next; i < map->n_items; i++)
    {
      if (map->status != NULL)
        map->status[i] = PLAB_ECANCELLED;
      if (map->task_codes != NULL)
        map->task_codes[i] = 0;
    }
  if (self->next == map->n_items)
    return;
  if (map->fail_fast && self->ms.report.n_failed > 0)
    self->ms.report.n_skipped += map->n_items - self->next;
  else
    {
      _plab_pool_note_failure (&self->ms, self->next, PLAB_ECANCELLED, 0,
                               "not started: the pool stopped taking work");
      self->ms.report.n_failed += map->n_items - self->next - 1;
      self->rc = PLAB_ECANCELLED;
    }
  self->next = map->n_items;
}

static void item_done_cb (PlabFuture *future, void *data);

/* Hands out items while the pool has free slots. */
static void
fill (PlabMapResult *self)
{
  PlabPool *pool = self->pool;
  const PlabMap *map = &self->map;

  while (!self->stopping && self->next < map->n_items && pool->n_free > 0)
    {
      size_t i = self->next;
      const void *item = (const char *)map->items + i * map->item_size;
      char label[PLAB_LABEL_MAX] = "";
      PlabTask task = {
        .func = map->func,
        .user_data = map->user_data,
        .arg = item,
        .arg_size = map->item_size,
        .result_size = map->result_size,
        .label = label,
        .done = item_done_cb,
        .done_data = &self->refs[i],
      };

      if (map->label != NULL)
        map->label (i, item, label, sizeof label, map->user_data);
      /* A slot is free, so this neither waits nor collects. */
      if (_plab_pool_submit (pool, &task, true, &self->futures[i]) != 0)
        {
          self->stopping = true;
          break;
        }
      self->n_in_flight++;
      self->next++;
    }
}

/* Brings the result up to date: hands out more items, and once nothing is
 * left in flight, becomes ready and calls the done callback. @outside is true
 * when no collection is under way (a call on the result, not an item's
 * callback): only then are futures that ended without their callback
 * recorded here (inside a collection, a finished future may still wait for
 * its callback), and a fail-fast failure cancels the items queued. */
static void
advance (PlabMapResult *self, bool outside)
{
  PlabPool *pool = self->pool;

  if (self->ready || self->freeing)
    return;
  for (size_t i = self->low; outside && i < self->next; i++)
    if (self->futures[i] != NULL && self->futures[i]->done)
      record (self, i, self->futures[i]);

  if (pool->state != PLAB_POOL_RUNNING
      && !(pool->state == PLAB_POOL_CLOSING && !pool->cancel_not_started))
    self->stopping = true;
  fill (self);

  if (self->stopping && outside && self->map.fail_fast)
    for (size_t i = self->low; i < self->next; i++)
      {
        PlabFuture *f = self->futures[i];

        /* Cancelling collects, which may record other items: look again each time. */
        if (f != NULL && plab_future_cancel (f) == 0 && self->futures[i] == f)
          {
            if (self->map.status != NULL)
              self->map.status[i] = PLAB_ECANCELLED;
            if (self->map.task_codes != NULL)
              self->map.task_codes[i] = 0;
            self->ms.report.n_skipped++;
            self->futures[i] = NULL;
            self->n_in_flight--;
            plab_future_free (f);
          }
      }
  /* The callbacks of the cancel's collection may have made it ready. */
  if (self->ready)
    return;
  while (self->low < self->next && self->futures[self->low] == NULL)
    self->low++;

  if (self->stopping)
    skip_rest (self);
  if (self->n_in_flight > 0 || self->next < self->map.n_items)
    return;
  self->ready = true;
  if (self->rc == 0 && self->ms.report.n_failed > 0)
    self->rc = PLAB_ETASK;
  if (self->ms.report.n_skipped > 0 && self->ms.report.n_failed > 0)
    {
      PlabMapReport *r = &self->ms.report;
      size_t len = strlen (r->message);

      snprintf (r->message + len, sizeof r->message - len, " (fail-fast: %zu items not run)",
                r->n_skipped);
    }
  if (self->callbacks.done != NULL)
    self->callbacks.done (self, self->callbacks.data);
}

static void
item_done_cb (PlabFuture *future, void *data)
{
  ItemRef *ref = data;
  PlabMapResult *self = ref->self;

  if (self->freeing)
    {
      self->futures[ref->index] = NULL;
      plab_future_free (future);
      return;
    }
  record (self, ref->index, future);
  advance (self, false);
}

/* The serial backend: the map runs now, in this thread. */
static int
run_here (PlabMapResult *self)
{
  PlabMapReport *r = &self->ms.report;
  int rc = plab_pool_map (self->pool, &self->map, r);

  if (rc != 0 && rc != PLAB_ETASK && rc != PLAB_ECANCELLED)
    return rc;
  self->rc = rc;
  self->ready = true;
  self->next = self->map.n_items;
  if (r->n_failed > 0 && self->callbacks.error != NULL)
    self->callbacks.error (self, r->first_failed, r->first_error, r->first_task_code, r->message,
                           self->callbacks.data);
  if (self->callbacks.done != NULL)
    self->callbacks.done (self, self->callbacks.data);
  return 0;
}

int
plab_pool_map_async (PlabPool *self,
                     const PlabMap *map,
                     const PlabMapCallbacks *callbacks,
                     PlabMapResult **out)
{
  PlabMapResult *ar;
  int rc;

  *out = NULL;
  if (map == NULL || map->func == NULL)
    return _plab_error_set (PLAB_EINVAL, "plab_pool_map_async: no map or no map function");
  if (map->n_items > 0 && (map->items == NULL || map->item_size == 0))
    return _plab_error_set (PLAB_EINVAL, "plab_pool_map_async: %zu items but no items array",
                            map->n_items);
  if (map->n_items > 0 && map->result_size > 0 && map->results == NULL)
    return _plab_error_set (PLAB_EINVAL, "plab_pool_map_async: result_size but no results array");
  if (map->user_data_size > 0)
    return _plab_error_set (PLAB_EINVAL, "plab_pool_map_async: user_data_size is not supported: "
                                         "each item runs as a task of its own");
  if (self->state != PLAB_POOL_RUNNING)
    return _plab_error_set (PLAB_ESTATE, "plab_pool_map_async: the pool is %s",
                            plab_pool_state_name (self->state));
  if (self->sh != NULL && (map->item_size + 15) / 16 * 16 + map->result_size > self->task_stride)
    return _plab_error_set (PLAB_EMSGSIZE,
                            "plab_pool_map_async: an item and its result take %zu bytes, a task "
                            "slot holds %zu",
                            (map->item_size + 15) / 16 * 16 + map->result_size,
                            (size_t)self->task_stride);

  ar = calloc (1, sizeof *ar);
  if (ar == NULL)
    return PLAB_ENOMEM;
  ar->pool = self;
  ar->map = *map;
  ar->ms.fail_fast = map->fail_fast;
  if (callbacks != NULL)
    ar->callbacks = *callbacks;
  if (self->sh == NULL)
    {
      rc = run_here (ar);
      if (rc != 0)
        {
          free (ar);
          return rc;
        }
      *out = ar;
      return 0;
    }
  ar->refs = calloc (map->n_items ? map->n_items : 1, sizeof *ar->refs);
  ar->futures = calloc (map->n_items ? map->n_items : 1, sizeof *ar->futures);
  if (ar->refs == NULL || ar->futures == NULL)
    {
      PLAB_FREE_ALL (ar->refs, ar->futures, ar);
      return PLAB_ENOMEM;
    }
  for (size_t i = 0; i < map->n_items; i++)
    ar->refs[i] = (ItemRef){ ar, i };
  *out = ar;
  advance (ar, true);
  return 0;
}

bool
plab_map_result_ready (PlabMapResult *result)
{
  if (!result->ready)
    {
      _plab_pool_collect (result->pool);
      advance (result, true);
    }
  return result->ready;
}

int
plab_map_result_wait (PlabMapResult *result, int64_t timeout_ns)
{
  int64_t t0 = plab_now_ns ();
  int64_t deadline = timeout_ns < 0 ? INT64_MAX : t0 + timeout_ns;
  bool waited = false;
  int rc = 0;

  while (!plab_map_result_ready (result))
    {
      if (plab_now_ns () >= deadline)
        {
          rc = PLAB_ETIMEDOUT;
          break;
        }
      waited = true;
      /* A pool that broke or stopped has failed every future in flight: the
       * next look records them and the result is ready. */
      rc = _plab_pool_progress (result->pool, _plab_pool_tick_ms (deadline));
      if (rc != 0)
        {
          advance (result, true);
          if (!result->ready)
            break;
          rc = 0;
        }
    }
  if (waited && plab_tracing ())
    plab_span (PLAB_SPAN_WAIT, t0, plab_now_ns (), -1, "wait: map_async");
  return rc;
}

bool
plab_map_result_successful (PlabMapResult *result)
{
  return plab_map_result_ready (result) && result->rc == 0;
}

int
plab_map_result_get (PlabMapResult *result, PlabMapReport *report, int64_t timeout_ns)
{
  int rc = plab_map_result_wait (result, timeout_ns);

  if (rc != 0)
    return rc;
  if (report != NULL)
    *report = result->ms.report;
  return result->rc;
}

void
plab_map_result_free (PlabMapResult *result)
{
  if (result == NULL)
    return;
  /* Freeing a future may collect, which calls back for other items of this
   * map: with freeing set they only free their future. */
  result->freeing = true;
  for (size_t i = result->low; result->futures != NULL && i < result->next; i++)
    {
      PlabFuture *f = result->futures[i];

      result->futures[i] = NULL;
      plab_future_free (f);
    }
  PLAB_FREE_ALL (result->refs, result->futures, result);
}
