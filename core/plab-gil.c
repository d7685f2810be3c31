/* plab-gil.c: the simulated interpreter lock.
 *
 * A ticket lock: a thread takes the next ticket and runs when now_serving
 * reaches it, so a thread that gives the lock up at a checkpoint goes to the
 * back of the queue and a waiting thread really gets its turn (a plain mutex
 * would let the releasing thread take it straight back).
 */
#include "plab-gil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "plab-error.h"
#include "plab-trace.h"

/* A hand-over shorter than this is not worth a span. */
#define GAP_NS 2000

struct PlabGil
{
  /* Held while taking a ticket or advancing now_serving; waiters sleep on
   * turn until now_serving equals their ticket. */
  pthread_mutex_t mutex;
  pthread_cond_t turn;
  uint64_t next_ticket;
  uint64_t now_serving;
  _Atomic uint32_t waiting;
  int64_t switch_ns;
  _Atomic uint64_t switches;
};

/* The GIL of the calling thread, whether it holds it, and since when.
 * Initial-exec: libplab is linked, never loaded later, and a checkpoint in
 * an inner loop must not pay for a __tls_get_addr () call. */
#define THREAD_LOCAL __thread __attribute__ ((tls_model ("initial-exec")))
static THREAD_LOCAL PlabGil *thread_gil;
static THREAD_LOCAL bool thread_holds;
static THREAD_LOCAL int64_t held_since;

PlabGil *
plab_gil_new (int64_t switch_interval_ns)
{
  PlabGil *self = calloc (1, sizeof *self);

  if (self == NULL)
    return NULL;
  pthread_mutex_init (&self->mutex, NULL);
  pthread_cond_init (&self->turn, NULL);
  self->switch_ns = switch_interval_ns > 0 ? switch_interval_ns : PLAB_GIL_DEFAULT_SWITCH_NS;
  return self;
}

void
plab_gil_free (PlabGil *self)
{
  if (self == NULL)
    return;
  pthread_cond_destroy (&self->turn);
  pthread_mutex_destroy (&self->mutex);
  free (self);
}

/* Takes the lock. @since is when the thread stopped running Python-like code
 * (at a checkpoint: before it gave the lock up), or 0 for now: the GIL wait
 * span starts there, so time spent descheduled between giving the lock up
 * and queueing again is shown as waiting, not as running. */
static void
take (PlabGil *self, int64_t since)
{
  uint64_t ticket;
  int64_t open_t0 = 0;
  /* A thread that gave the lock up was not running from then on, even when
   * it finds the lock free again by the time it queues (it may have been
   * descheduled in between): that time is a wait too. */
  bool waited = since != 0 && plab_now_ns () - since > GAP_NS;

  pthread_mutex_lock (&self->mutex);
  if (since == 0)
    since = plab_now_ns ();
  ticket = self->next_ticket++;
  if (self->now_serving != ticket)
    {
      waited = true;
      /* Shown open while the thread waits; recorded from @since below. */
      open_t0 = plab_span_begin (PLAB_SPAN_GIL_WAIT, -1, "wait: gil");
      atomic_fetch_add (&self->waiting, 1);
      while (self->now_serving != ticket)
        pthread_cond_wait (&self->turn, &self->mutex);
      atomic_fetch_sub (&self->waiting, 1);
    }
  pthread_mutex_unlock (&self->mutex);
  thread_holds = true;
  held_since = plab_now_ns ();
  if (open_t0 != 0)
    plab_span_forget (PLAB_SPAN_GIL_WAIT, open_t0);
  if (waited)
    plab_span (PLAB_SPAN_GIL_WAIT, since, held_since, -1, "wait: gil");
}

static void
give (PlabGil *self)
{
  thread_holds = false;
  pthread_mutex_lock (&self->mutex);
  self->now_serving++;
  pthread_cond_broadcast (&self->turn);
  pthread_mutex_unlock (&self->mutex);
}

void
plab_gil_attach (PlabGil *gil)
{
  if (thread_gil != NULL && thread_holds)
    give (thread_gil);
  thread_gil = gil;
  thread_holds = false;
  if (gil != NULL)
    take (gil, 0);
}

void
plab_gil_detach (void)
{
  plab_gil_attach (NULL);
}

bool
plab_checkpoint (void)
{
  PlabGil *self = thread_gil;
  int64_t now;

  /* A cancelled thread keeps the lock: it is about to return, and giving
   * the lock up now would only make it queue again to do so. */
  if (plab_cancelled ())
    return true;
  if (self == NULL || !thread_holds)
    return false;
  if (atomic_load_explicit (&self->waiting, memory_order_relaxed) == 0)
    return false;
  if (plab_now_ns () - held_since < self->switch_ns)
    return false;
  atomic_fetch_add_explicit (&self->switches, 1, memory_order_relaxed);
  now = plab_now_ns ();
  give (self);
  take (self, now);
  return plab_cancelled ();
}

bool
plab_gil_release (void)
{
  if (thread_gil == NULL || !thread_holds)
    return false;
  give (thread_gil);
  return true;
}

void
plab_gil_acquire (bool was_released)
{
  if (was_released && thread_gil != NULL)
    take (thread_gil, 0);
}

uint64_t
plab_gil_switches (PlabGil *self)
{
  return atomic_load (&self->switches);
}
