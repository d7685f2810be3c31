/* plab-pool-task.c: the pool's task table, under the pool and its futures.
 *
 * This file is the bottom of the pool: plab-pool.c (the pool's life),
 * plab-pool-map.c (maps) and plab-pool-future.c (the calls that wait:
 * submit, results, wait, as_completed, imap) call into it, and it calls none
 * of them, so the calls go one way. It fills and frees task slots, hands finished tasks to
 * their futures, and answers the calls on a future that never wait.
 *
 * A submitted task takes one of PLAB_POOL_MAX_TASKS task slots: a TaskSlot
 * (function, sizes, state) and a payload holding the argument and, after it,
 * the result. Slots live in a mapping shared with the workers; which slots
 * are free, and which future waits on which slot, only the parent knows.
 * The parent copies the argument in, marks the slot queued and appends it to
 * the task ring; a worker claims it, runs it, writes the result and marks it
 * finished. The parent then copies the result into the future and frees the
 * slot, so a slot is held only while its task is queued or running: a future
 * can be kept for as long as the caller likes without holding the pool up.
 *
 * A cancelled slot stays busy until the ring's head has passed its entry
 * (workers skip it, or the parent steps over it at the head), so the ring can
 * never hold more entries than there are slots.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "plab-error.h"
#include "plab-pool-private.h"

static void
free_slot (PlabPool *self, int idx)
{
  atomic_store_explicit (&self->tasks[idx].state, TASK_FREE, memory_order_relaxed);
  self->slot_future[idx] = NULL;
  self->slot_busy[idx] = false;
  self->free_slots[self->n_free++] = (uint32_t)idx;
  self->n_busy--;
}

static void
finish (PlabFuture *f, int rc)
{
  f->rc = rc;
  f->done = true;
  f->slot = -1;
}

/* Finishes @f with what its task returned: kept apart as the task's own
 * code, so that a task returning -4 never reads as PLAB_ETIMEDOUT. */
static void
finish_task (PlabFuture *f, int task_rc)
{
  f->task_code = task_rc;
  finish (f, task_rc != 0 ? PLAB_ETASK : 0);
  if (task_rc != 0 && f->message[0] == '\0')
    snprintf (f->message, sizeof f->message, "the task returned %d", task_rc);
}

/* Hands the finished task in slot @idx to its future: result, order, code. */
static void
take_result (PlabPool *self, int idx, PlabFuture *f)
{
  const TaskSlot *t = &self->tasks[idx];

  if (f->result_size > 0)
    memcpy (f->result, self->payload + (size_t)idx * self->task_stride + t->result_off,
            f->result_size);
  f->done_seq = t->done_seq;
  if (t->library_error != 0)
    finish (f, t->library_error);
  else
    finish_task (f, t->error);
}

void
_plab_pool_collect (PlabPool *self)
{
  PoolShared *sh = self->sh;
  PlabFuture *finished[PLAB_POOL_MAX_TASKS];
  int n_finished = 0;
  uint64_t head, to_find;

  if (sh == NULL || self->n_busy == 0)
    return;
  /* A finished task counts itself in done_counter before its state says so:
   * look for as many as were counted, and find them now or at a next call. */
  to_find = atomic_load_explicit (&sh->done_counter, memory_order_acquire) - self->n_collected;
  if (to_find == 0 && self->n_cancelled == 0)
    return;

  /* Step over cancelled entries at the head of the ring, as a worker would. */
  head = atomic_load_explicit (&sh->task_head, memory_order_acquire);
  while (self->n_cancelled > 0
         && head < atomic_load_explicit (&sh->task_tail, memory_order_acquire))
    {
      uint32_t idx = sh->task_ring[head % PLAB_POOL_MAX_TASKS];
      if (atomic_load_explicit (&self->tasks[idx].state, memory_order_acquire) != TASK_CANCELLED)
        break;
      if (!atomic_compare_exchange_weak_explicit (&sh->task_head, &head, head + 1,
                                                  memory_order_acq_rel, memory_order_acquire))
        continue;
      head++;
    }

  for (int i = 0;
       i < PLAB_POOL_MAX_TASKS && self->n_busy > 0 && (to_find > 0 || self->n_cancelled > 0); i++)
    {
      TaskSlot *t = &self->tasks[i];
      PlabFuture *f = self->slot_future[i];
      uint32_t state;

      if (!self->slot_busy[i])
        continue;
      state = atomic_load_explicit (&t->state, memory_order_acquire);
      if (state == TASK_FINISHED)
        {
          if (f != NULL)
            {
              take_result (self, i, f);
              if (f->done_func != NULL)
                finished[n_finished++] = f;
            }
          free_slot (self, i);
          self->idle_deaths = 0;
          self->n_collected++;
          if (to_find > 0)
            to_find--;
        }
      else if (state == TASK_CANCELLED
               && atomic_load_explicit (&sh->task_head, memory_order_acquire) > self->slot_pos[i])
        {
          free_slot (self, i);
          self->n_cancelled--;
        }
    }

  /* Callbacks last: they may submit more work. */
  for (int i = 0; i < n_finished; i++)
    finished[i]->done_func (finished[i], finished[i]->done_data);
}

void
_plab_pool_release_futures (PlabPool *self, int rc, const char *message)
{
  if (self->tasks == NULL)
    return;
  for (int i = 0; i < PLAB_POOL_MAX_TASKS; i++)
    {
      PlabFuture *f = self->slot_future[i];
      if (!self->slot_busy[i])
        continue;
      if (f != NULL && atomic_load (&self->tasks[i].state) == TASK_FINISHED)
        take_result (self, i, f);
      else if (f != NULL && !f->done)
        {
          if (f->message[0] == '\0')
            snprintf (f->message, sizeof f->message, "%s", message);
          finish (f, rc);
        }
      free_slot (self, i);
    }
  self->n_cancelled = 0;
  self->n_collected = atomic_load (&self->sh->done_counter);
  /* The workers are gone: nothing is queued any more. */
  atomic_store (&self->sh->task_head, atomic_load (&self->sh->task_tail));
}

int
_plab_pool_task_new (PlabPool *self, const PlabTask *task, bool while_closing, PlabFuture **out)
{
  PlabFuture *f;
  size_t result_off;

  *out = NULL;
  if (task == NULL || task->func == NULL || (task->arg_size > 0 && task->arg == NULL))
    return PLAB_EINVAL;
  if (self->state != PLAB_POOL_RUNNING
      && !(while_closing && self->state == PLAB_POOL_CLOSING && !self->cancel_not_started))
    return PLAB_ESTATE;
  result_off = (task->arg_size + 15) / 16 * 16;
  if (self->sh != NULL && result_off + task->result_size > self->task_stride)
    return PLAB_EMSGSIZE;

  f = calloc (1, sizeof *f);
  if (f == NULL)
    return PLAB_ENOMEM;
  f->pool = self;
  f->slot = -1;
  f->result_size = task->result_size;
  f->done_func = task->done;
  f->done_data = task->done_data;
  if (task->result_size > 0 && (f->result = calloc (1, task->result_size)) == NULL)
    {
      free (f);
      return PLAB_ENOMEM;
    }
  self->task_counter++;
  *out = f;
  return 0;
}

int
_plab_pool_task_run_here (PlabPool *self, const PlabTask *task, PlabFuture *f)
{
  const volatile sig_atomic_t *watched;
  int64_t t0;
  int rc;

  if (self->state == PLAB_POOL_BROKEN)
    {
      snprintf (f->message, sizeof f->message, "%s", self->message);
      finish (f, PLAB_EINIT);
      return 0;
    }
  /* The task runs on this thread: it watches the pool's cancel flag
   * meanwhile, as a worker would. */
  watched = plab_cancel_flag ();
  if (self->cancel != NULL)
    plab_cancel_watch (self->cancel);
  t0 = plab_span_begin (PLAB_SPAN_TASK, self->task_counter - 1,
                        task->label != NULL ? task->label : "");
  rc = task->func (task->arg, f->result, task->user_data);
  plab_cancel_watch (watched);
  if (plab_tracing ())
    plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), self->task_counter - 1,
               task->label != NULL ? task->label : "");
  finish_task (f, rc);
  if (f->done_func != NULL)
    f->done_func (f, f->done_data);
  return 0;
}

void
_plab_pool_task_queue (PlabPool *self, const PlabTask *task, PlabFuture *f)
{
  PoolShared *sh = self->sh;
  TaskSlot *t;
  uint64_t pos;
  int idx;

  idx = (int)self->free_slots[--self->n_free];
  self->n_busy++;
  self->slot_busy[idx] = true;
  self->slot_future[idx] = f;
  t = &self->tasks[idx];
  t->func = task->func;
  t->user_data = task->user_data;
  t->arg_size = (uint32_t)task->arg_size;
  t->result_off = (uint32_t)((task->arg_size + 15) / 16 * 16);
  t->error = 0;
  t->library_error = 0;
  t->done_seq = 0;
  t->id = self->task_counter - 1;
  t->label[0] = '\0';
  if (task->label != NULL)
    {
      size_t n = strnlen (task->label, sizeof t->label - 1);

      memcpy (t->label, task->label, n);
      t->label[n] = '\0';
    }
  if (task->arg_size > 0)
    memcpy (self->payload + (size_t)idx * self->task_stride, task->arg, task->arg_size);
  atomic_store_explicit (&t->state, TASK_QUEUED, memory_order_relaxed);

  pos = atomic_load_explicit (&sh->task_tail, memory_order_relaxed);
  sh->task_ring[pos % PLAB_POOL_MAX_TASKS] = (uint32_t)idx;
  self->slot_pos[idx] = pos;
  /* Release: the slot and the entry are written before workers see the tail. */
  atomic_store_explicit (&sh->task_tail, pos + 1, memory_order_release);
  f->slot = idx;
}

bool
plab_future_done (PlabFuture *future)
{
  if (!future->done && future->pool != NULL)
    _plab_pool_collect (future->pool);
  return future->done;
}

/* Moves @future from queued to cancelled, without collecting. Returns 0, or
 * PLAB_ESTATE when it is running or finished. */
static int
cancel_queued (PlabFuture *future)
{
  PlabPool *self = future->pool;
  uint32_t expected = TASK_QUEUED;

  if (future->done || self == NULL || future->slot < 0)
    return PLAB_ESTATE;
  if (!atomic_compare_exchange_strong (&self->tasks[future->slot].state, &expected, TASK_CANCELLED))
    return PLAB_ESTATE;
  /* The slot is freed once the ring's head has passed it (see _plab_pool_collect). */
  self->slot_future[future->slot] = NULL;
  self->n_cancelled++;
  snprintf (future->message, sizeof future->message, "cancelled before it started");
  finish (future, PLAB_ECANCELLED);
  return 0;
}

int
plab_future_cancel (PlabFuture *future)
{
  int rc = cancel_queued (future);

  if (rc == 0)
    _plab_pool_collect (future->pool);
  return rc;
}

void
_plab_pool_cancel_queued (PlabPool *self)
{
  if (self->tasks == NULL)
    return;
  for (int i = 0; i < PLAB_POOL_MAX_TASKS; i++)
    if (self->slot_busy[i] && self->slot_future[i] != NULL)
      cancel_queued (self->slot_future[i]);
  _plab_pool_collect (self);
}

const char *
plab_future_message (const PlabFuture *future)
{
  return future->message;
}

void
plab_future_free (PlabFuture *future)
{
  if (future == NULL)
    return;
  if (!future->done && future->pool != NULL && future->slot >= 0)
    {
      /* Queued: it will not run. Running: it finishes and its slot is freed unseen. */
      if (plab_future_cancel (future) != 0)
        future->pool->slot_future[future->slot] = NULL;
    }
  free (future->result);
  free (future);
}
