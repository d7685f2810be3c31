/* plab-pool-future.c: the calls on futures and imap that wait for the pool.
 *
 * Submitting, waiting for a result, wait, as_completed and imap all make the
 * pool progress while they wait, so they sit on top of both halves of the
 * pool: the engine in plab-pool.c (_plab_pool_progress, _plab_pool_wake) and
 * the task table in plab-pool-task.c (slots, collection, the calls on a
 * future that never wait). Neither of those calls back up into this file.
 *
 * imap keeps at most `window` futures in flight and reads the next input item
 * only when a result is taken, so an endless or expensive input is never
 * consumed ahead of the consumer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "plab-error.h"
#include "plab-mem.h"
#include "plab-pool-private.h"

/* A wait that blocked goes on the caller's lane, like every other wait. */
static void
wait_span (int64_t t0, bool waited, const char *label)
{
  if (waited && plab_tracing ())
    plab_span (PLAB_SPAN_WAIT, t0, plab_now_ns (), -1, label);
}

static int64_t
deadline_of (int64_t timeout_ns)
{
  return timeout_ns < 0 ? INT64_MAX : plab_now_ns () + timeout_ns;
}

/* A wait that makes the pool progress until its condition holds; once it has
 * blocked, it shows as a span labelled @label. */
typedef struct
{
  int64_t t0;
  int64_t deadline;
  bool waited;
  const char *label;
} Wait;

static Wait
wait_begin (int64_t timeout_ns, const char *label)
{
  return (Wait){ plab_now_ns (), deadline_of (timeout_ns), false, label };
}

static void
wait_end (const Wait *w)
{
  wait_span (w->t0, w->waited, w->label);
}

/* Ends the wait with PLAB_ETIMEDOUT, recording it, once its deadline has
 * come; otherwise lets @pool progress for a tick and returns what that
 * returned (never PLAB_ETIMEDOUT). */
static int
wait_tick (Wait *w, PlabPool *pool)
{
  if (plab_now_ns () >= w->deadline)
    {
      wait_end (w);
      return PLAB_ETIMEDOUT;
    }
  w->waited = true;
  return _plab_pool_progress (pool, _plab_pool_tick_ms (w->deadline));
}

int
_plab_pool_submit (PlabPool *self, const PlabTask *task, bool while_closing, PlabFuture **out)
{
  PlabFuture *f;
  int rc;

  *out = NULL;
  rc = _plab_pool_task_new (self, task, while_closing, &f);
  if (rc != 0)
    return rc;
  if (self->sh == NULL)
    {
      *out = f;
      return _plab_pool_task_run_here (self, task, f);
    }

  /* Every slot in flight: let one finish first. */
  while (self->n_free == 0)
    {
      rc = _plab_pool_progress (self, POOL_TICK_MS);
      if (rc != 0 || (self->state != PLAB_POOL_RUNNING && !while_closing))
        {
          plab_future_free (f);
          return rc != 0 ? rc : PLAB_ESTATE;
        }
    }
  _plab_pool_task_queue (self, task, f);
  _plab_pool_wake_for_task (self);
  *out = f;
  return 0;
}

int
plab_pool_submit (PlabPool *self, const PlabTask *task, PlabFuture **out)
{
  return _plab_pool_submit (self, task, false, out);
}

int
plab_pool_apply (PlabPool *self, const PlabTask *task, void *result)
{
  PlabFuture *f;
  int rc = plab_pool_submit (self, task, &f);

  if (rc != 0)
    return rc;
  rc = plab_future_result (f, result, -1);
  plab_future_free (f);
  return rc;
}

/* Waits for one future, recording the wait as @label. Returns 0 once it is
 * done, PLAB_ETIMEDOUT, or the error that broke the pool. */
static int
future_wait (PlabFuture *future, int64_t timeout_ns, const char *label)
{
  Wait w = wait_begin (timeout_ns, label);

  while (!plab_future_done (future))
    {
      int rc = wait_tick (&w, future->pool);

      if (rc == PLAB_ETIMEDOUT)
        return rc;
      if (rc != 0 && !future->done)
        {
          wait_end (&w);
          return rc;
        }
    }
  wait_end (&w);
  return 0;
}

int
plab_future_result (PlabFuture *future, void *result, int64_t timeout_ns)
{
  int rc = future_wait (future, timeout_ns, "wait: future");

  if (rc != 0)
    return rc;
  if (result != NULL && future->result_size > 0)
    memcpy (result, future->result, future->result_size);
  return future->rc;
}

int
plab_future_exception (PlabFuture *future, int64_t timeout_ns, int *task_code, const char **message)
{
  int rc = plab_future_result (future, NULL, timeout_ns);

  if (task_code != NULL)
    *task_code = plab_future_task_code (future);
  if (message != NULL)
    *message = future->message;
  return rc;
}

static bool
wait_met (PlabFuture *const *futures, size_t n, PlabWaitMode mode, size_t *n_done)
{
  size_t done = 0;
  bool failed = false;

  for (size_t i = 0; i < n; i++)
    if (plab_future_done (futures[i]))
      {
        done++;
        failed |= futures[i]->rc != 0;
      }
  if (n_done != NULL)
    *n_done = done;
  switch (mode)
    {
    case PLAB_WAIT_FIRST_COMPLETED:
      return done > 0 || n == 0;
    case PLAB_WAIT_FIRST_ERROR:
      return failed || done == n;
    case PLAB_WAIT_ALL:
    default:
      return done == n;
    }
}

int
plab_pool_wait (PlabPool *self,
                PlabFuture *const *futures,
                size_t n,
                PlabWaitMode mode,
                int64_t timeout_ns,
                size_t *n_done)
{
  Wait w = wait_begin (timeout_ns, "wait: futures");

  _plab_pool_collect (self);
  while (!wait_met (futures, n, mode, n_done))
    {
      int rc = wait_tick (&w, self);

      /* A broken pool has failed every future: the condition is met below. */
      if (rc == PLAB_ETIMEDOUT || rc == PLAB_ECANCELLED)
        return rc;
      if (rc != 0 && !wait_met (futures, n, mode, n_done))
        return rc;
    }
  wait_end (&w);
  return 0;
}

/* The finished, not yet handed out future that finished first; -1 if none. */
static ssize_t
earliest_done (PlabFuture *const *futures, size_t n, bool *all_taken)
{
  ssize_t best = -1;

  *all_taken = true;
  for (size_t i = 0; i < n; i++)
    {
      if (futures[i]->taken)
        continue;
      *all_taken = false;
      if (plab_future_done (futures[i])
          && (best < 0 || futures[i]->done_seq < futures[best]->done_seq))
        best = (ssize_t)i;
    }
  return best;
}

int
plab_pool_as_completed (PlabPool *self,
                        PlabFuture *const *futures,
                        size_t n,
                        int64_t timeout_ns,
                        size_t *index)
{
  Wait w = wait_begin (timeout_ns, "wait: as_completed");

  _plab_pool_collect (self);
  for (;;)
    {
      bool all_taken;
      ssize_t best = earliest_done (futures, n, &all_taken);
      int rc;

      if (all_taken)
        return PLAB_EDONE;
      if (best >= 0)
        {
          futures[best]->taken = true;
          *index = (size_t)best;
          wait_end (&w);
          return 0;
        }
      /* Other errors broke the pool, which failed every future: one is
       * handed out next time round. */
      rc = wait_tick (&w, self);
      if (rc == PLAB_ETIMEDOUT || rc == PLAB_ECANCELLED)
        return rc;
    }
}

/* --- imap --- */

struct PlabImapIter
{
  PlabPool *pool;
  PlabImap spec;
  size_t window;
  PlabFuture **futures; /* a ring of window entries, oldest at head */
  size_t *indices;
  size_t head;
  size_t count;
  size_t next_index; /* input position of the next item read */
  bool input_done;
  int input_error;
  bool ended;
  void *item;
  char message[200];
  int task_code; /* of the last item handed out */
};

/* Reads input and submits until the window is full or the input ends. */
static int
imap_fill (PlabImapIter *it)
{
  while (!it->ended && !it->input_done && it->count < it->window)
    {
      PlabTask task = { 0 };
      char label[PLAB_LABEL_MAX] = "";
      size_t slot = (it->head + it->count) % it->window;
      int rc = it->spec.next (it->item, it->spec.next_data);

      if (rc <= 0)
        {
          it->input_done = true;
          it->input_error = rc;
          break;
        }
      if (it->spec.label != NULL)
        it->spec.label (it->next_index, it->item, label, sizeof label, it->spec.user_data);
      task.func = it->spec.func;
      task.user_data = it->spec.user_data;
      task.arg = it->item;
      task.arg_size = it->spec.item_size;
      task.result_size = it->spec.result_size;
      task.label = label;
      rc = plab_pool_submit (it->pool, &task, &it->futures[slot]);
      if (rc != 0)
        return rc;
      it->indices[slot] = it->next_index++;
      it->count++;
    }
  return 0;
}

int
plab_pool_imap (PlabPool *self, const PlabImap *imap, PlabImapIter **out)
{
  PlabImapIter *it;

  *out = NULL;
  if (imap == NULL || imap->func == NULL || imap->next == NULL || imap->item_size == 0)
    return PLAB_EINVAL;
  if (self->state != PLAB_POOL_RUNNING)
    return PLAB_ESTATE;
  it = calloc (1, sizeof *it);
  if (it == NULL)
    return PLAB_ENOMEM;
  it->pool = self;
  it->spec = *imap;
  it->window = imap->window ? imap->window : 4 * (size_t)self->n_workers;
  if (it->window > PLAB_POOL_MAX_TASKS)
    it->window = PLAB_POOL_MAX_TASKS;
  it->futures = calloc (it->window, sizeof *it->futures);
  it->indices = calloc (it->window, sizeof *it->indices);
  it->item = calloc (1, imap->item_size);
  if (it->futures == NULL || it->indices == NULL || it->item == NULL)
    {
      plab_imap_free (it);
      return PLAB_ENOMEM;
    }
  *out = it;
  return 0;
}

/* Takes the window entry at offset @k from the head out of the window. */
static PlabFuture *
imap_take (PlabImapIter *it, size_t k, size_t *index)
{
  size_t at = (it->head + k) % it->window;
  PlabFuture *f = it->futures[at];

  *index = it->indices[at];
  if (k == 0)
    it->head = (it->head + 1) % it->window;
  else
    /* Close the gap: the entries after it move one towards the head. */
    for (size_t j = k; j + 1 < it->count; j++)
      {
        size_t a = (it->head + j) % it->window, b = (it->head + j + 1) % it->window;
        it->futures[a] = it->futures[b];
        it->indices[a] = it->indices[b];
      }
  it->count--;
  return f;
}

int
plab_imap_next (PlabImapIter *it, size_t *index, void *result, int64_t timeout_ns)
{
  int64_t t0 = plab_now_ns ();
  int64_t deadline = deadline_of (timeout_ns);
  bool waited = false;
  PlabFuture *f;
  size_t k = 0;
  int rc;

  *index = SIZE_MAX;
  if (it->ended)
    return PLAB_EDONE;
  rc = imap_fill (it);
  if (rc != 0)
    return rc;
  if (it->count == 0)
    {
      it->ended = true;
      return it->input_error < 0 ? it->input_error : PLAB_EDONE;
    }

  if (!it->spec.unordered)
    {
      rc = future_wait (it->futures[it->head], timeout_ns, "wait: imap");
      if (rc == PLAB_ETIMEDOUT || !it->futures[it->head]->done)
        return rc;
    }
  else
    {
      for (;;)
        {
          ssize_t best = -1;
          for (size_t j = 0; j < it->count; j++)
            {
              PlabFuture *g = it->futures[(it->head + j) % it->window];
              PlabFuture *b = best < 0 ? NULL : it->futures[(it->head + (size_t)best) % it->window];
              if (plab_future_done (g) && (b == NULL || g->done_seq < b->done_seq))
                best = (ssize_t)j;
            }
          if (best >= 0)
            {
              k = (size_t)best;
              break;
            }
          if (plab_now_ns () >= deadline)
            {
              wait_span (t0, true, "wait: imap");
              return PLAB_ETIMEDOUT;
            }
          rc = _plab_pool_progress (it->pool, _plab_pool_tick_ms (deadline));
          waited = true;
          if (rc != 0)
            return rc;
        }
    }

  wait_span (t0, waited, "wait: imap");
  f = imap_take (it, k, index);
  rc = f->rc;
  it->task_code = f->task_code;
  if (result != NULL && f->result_size > 0)
    memcpy (result, f->result, f->result_size);
  snprintf (it->message, sizeof it->message, "%s", rc != 0 ? f->message : "");
  plab_future_free (f);
  if (rc != 0 && it->spec.fail_fast)
    it->ended = true;
  else
    {
      int fill = imap_fill (it);
      if (fill != 0 && rc == 0)
        return fill;
    }
  return rc;
}

int
plab_imap_task_code (const PlabImapIter *it)
{
  return it->task_code;
}

bool
plab_future_running (const PlabFuture *future)
{
  uint32_t state;

  if (future->done || future->pool == NULL || future->slot < 0)
    return false;
  state = atomic_load_explicit (&future->pool->tasks[future->slot].state, memory_order_acquire);
  return (state & 0xff) == TASK_RUNNING;
}

bool
plab_future_cancelled (const PlabFuture *future)
{
  return future->done && future->rc == PLAB_ECANCELLED;
}

int
plab_future_task_code (const PlabFuture *future)
{
  return future->done ? future->task_code : 0;
}

const char *
plab_imap_message (const PlabImapIter *it)
{
  return it->message;
}

void
plab_imap_free (PlabImapIter *it)
{
  if (it == NULL)
    return;
  for (size_t j = 0; it->futures != NULL && j < it->count; j++)
    plab_future_free (it->futures[(it->head + j) % it->window]);
  PLAB_FREE_ALL (it->futures, it->indices, it->item, it);
}
