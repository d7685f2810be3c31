/* plab-queue.c: a bounded multi-producer, multi-consumer queue in shared memory.
 *
 * Layout: a QueueHeader, then a byte ring of `capacity` bytes. A message is a
 * frame: an 8-byte FrameHeader (its length) and the payload, padded to 8
 * bytes. A frame never wraps: when it does not fit before the end of the ring,
 * the producer writes a wrap marker (length WRAP) there and starts the frame
 * at offset 0; the consumer skips the marker.
 *
 * Invariants, all under `mutex`: `head` is where the oldest frame starts,
 * `tail` where the next one goes, `used` the bytes between them (markers
 * included) and `count` the frames. Producers sleep on not_full only while
 * the frame does not fit (or count is at max_items); consumers sleep on
 * not_empty only while count is 0. The waiter counts let a put or get skip
 * the signal system call when nobody sleeps.
 */
#include "plab-queue.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "plab-error.h"
#include "plab-gil.h"
#include "plab-sync-private.h"
#include "plab-trace.h"

#define WRAP UINT32_MAX
#define DEFAULT_CAPACITY (1u << 20)

typedef struct
{
  uint32_t size;
  uint32_t reserved;
} FrameHeader;

typedef struct
{
  pthread_mutex_t mutex;
  pthread_cond_t not_empty;
  pthread_cond_t not_full;
  pthread_cond_t all_done;
  uint64_t capacity;
  uint64_t max_items;
  uint64_t head;
  uint64_t tail;
  uint64_t used;
  uint64_t count;
  uint64_t unfinished; /* put minus task_done */
  uint32_t getters_waiting;
  uint32_t putters_waiting;
  int closed;
  char name[32];
  char counter[36];
} QueueHeader;

struct PlabQueue
{
  QueueHeader hdr;
  /* The ring follows, 64-byte aligned. */
  _Alignas(64) unsigned char ring[];
};

static size_t
pad8 (size_t n)
{
  return (n + 7) & ~(size_t)7;
}

static size_t
map_size_for (uint64_t capacity)
{
  return sizeof (PlabQueue) + capacity;
}

PlabQueue *
plab_queue_new (const char *name, size_t max_items, size_t capacity)
{
  PlabQueue *self;

  if (capacity == 0)
    capacity = DEFAULT_CAPACITY;
  capacity = pad8 (capacity);
  if (capacity < 64)
    capacity = 64;
  self = _plab_shared_alloc (map_size_for (capacity));
  if (self == NULL)
    return NULL;
  if (_plab_mutex_init (&self->hdr.mutex, 0) != 0 || _plab_cond_init (&self->hdr.not_empty) != 0
      || _plab_cond_init (&self->hdr.not_full) != 0 || _plab_cond_init (&self->hdr.all_done) != 0)
    {
      _plab_shared_release (self, map_size_for (capacity));
      return NULL;
    }
  self->hdr.capacity = capacity;
  self->hdr.max_items = max_items;
  snprintf (self->hdr.name, sizeof self->hdr.name, "%s", name ? name : "queue");
  snprintf (self->hdr.counter, sizeof self->hdr.counter, "queue %s", self->hdr.name);
  return self;
}

void
plab_queue_free (PlabQueue *self)
{
  if (self == NULL)
    return;
  pthread_cond_destroy (&self->hdr.not_empty);
  pthread_cond_destroy (&self->hdr.not_full);
  pthread_cond_destroy (&self->hdr.all_done);
  pthread_mutex_destroy (&self->hdr.mutex);
  _plab_shared_release (self, map_size_for (self->hdr.capacity));
}

const char *
plab_queue_name (const PlabQueue *self)
{
  return self->hdr.name;
}

static int
lock (QueueHeader *h)
{
  int rc;

  /* The queue's mutex is held for a copy at most, and close and task_done
   * change the state once they have it: a cancel must not hand it over
   * unlocked, so this wait goes on through one. Waits that a cancel ends
   * are the condition waits, for room or for an item. */
  do
    rc = _plab_mutex_lock (&h->mutex, -1);
  while (rc == PLAB_ECANCELLED);
  return rc == PLAB_EOWNERDEAD ? 0 : rc;
}

/* Bytes a frame of @size needs at the current tail, wrap marker included. */
static uint64_t
frame_cost (const QueueHeader *h, size_t size)
{
  uint64_t frame = sizeof (FrameHeader) + pad8 (size);
  uint64_t room_to_end = h->capacity - h->tail;

  if (frame <= room_to_end)
    return frame;
  return room_to_end + frame;
}

static bool
fits (const QueueHeader *h, size_t size)
{
  if (h->max_items > 0 && h->count >= h->max_items)
    return false;
  return h->used + frame_cost (h, size) <= h->capacity;
}

static void
record_wait (int64_t t0, const char *name)
{
  char label[PLAB_LABEL_MAX];

  if (t0 < 0 || !plab_tracing ())
    return;
  snprintf (label, sizeof label, "wait: queue %s", name);
  plab_span (PLAB_SPAN_QUEUE_WAIT, t0, plab_now_ns (), -1, label);
}

static bool
has_frame (const QueueHeader *h, size_t size)
{
  return h->count > 0;
}

/* With the lock held, sleeps on @cond while the queue is open and
 * @ready (@h, @size) is false, counting itself in *@waiting meanwhile; a
 * timeout that finds the queue ready still succeeds. Returns 0 (ready, or
 * closed: the caller looks), @busy_rc for a zero timeout or one that passed,
 * or the wait's error. A zero @timeout_ns never sleeps; otherwise the wait
 * ends at @deadline. A span opens at the first sleep; *@t0 is its start. */
static int
wait_ready (QueueHeader *h,
            pthread_cond_t *cond,
            uint32_t *waiting,
            bool (*ready) (const QueueHeader *h, size_t size),
            size_t size,
            int busy_rc,
            int64_t timeout_ns,
            int64_t deadline,
            int64_t *t0)
{
  int rc = 0;

  while (!h->closed && !ready (h, size))
    {
      if (timeout_ns == 0)
        return busy_rc;
      if (*t0 < 0)
        *t0 = plab_span_begin (PLAB_SPAN_QUEUE_WAIT, -1, "wait: queue");
      (*waiting)++;
      rc = _plab_cond_wait (cond, &h->mutex, deadline);
      (*waiting)--;
      if (rc == PLAB_EOWNERDEAD)
        rc = 0;
      if (rc == PLAB_ETIMEDOUT)
        rc = ready (h, size) ? 0 : busy_rc;
      if (rc != 0)
        return rc;
    }
  return 0;
}

/* Lets the lock go after a put or a get, then records the wait begun at @t0
 * (if any) and the depth the operation left. */
static void
unlock_done (QueueHeader *h, int64_t t0)
{
  int64_t depth = (int64_t)h->count;

  pthread_mutex_unlock (&h->mutex);
  record_wait (t0, h->name);
  plab_counter (h->counter, depth);
}

static int
queue_put_blocking (PlabQueue *self, const void *data, size_t size, int64_t timeout_ns)
{
  QueueHeader *h = &self->hdr;
  int64_t deadline = _plab_deadline (timeout_ns);
  int64_t t0 = -1;
  FrameHeader fh = { (uint32_t)size, 0 };
  int rc;

  if (size > h->capacity / 2 - sizeof (FrameHeader) || size >= WRAP)
    return PLAB_EMSGSIZE;
  rc = lock (h);
  if (rc != 0)
    return rc;
  rc = wait_ready (h, &h->not_full, &h->putters_waiting, fits, size, PLAB_EFULL, timeout_ns,
                   deadline, &t0);
  if (rc == 0 && h->closed)
    rc = PLAB_ECLOSED;
  if (rc != 0)
    {
      pthread_mutex_unlock (&h->mutex);
      record_wait (t0, h->name);
      return rc;
    }

  if (h->capacity - h->tail < sizeof (FrameHeader) + pad8 (size))
    {
      /* Not enough room before the end: mark the rest as skipped. */
      FrameHeader wrap = { WRAP, 0 };
      uint64_t skipped = h->capacity - h->tail;
      if (skipped >= sizeof wrap)
        memcpy (self->ring + h->tail, &wrap, sizeof wrap);
      h->used += skipped;
      h->tail = 0;
    }
  memcpy (self->ring + h->tail, &fh, sizeof fh);
  memcpy (self->ring + h->tail + sizeof fh, data, size);
  h->tail += sizeof fh + pad8 (size);
  if (h->tail == h->capacity)
    h->tail = 0;
  h->used += sizeof fh + pad8 (size);
  h->count++;
  h->unfinished++;
  if (h->getters_waiting > 0)
    pthread_cond_signal (&h->not_empty);
  unlock_done (h, t0);
  return 0;
}

static int
queue_get_blocking (PlabQueue *self,
                    void *buf,
                    size_t buf_size,
                    size_t *size_out,
                    int64_t timeout_ns)
{
  QueueHeader *h = &self->hdr;
  int64_t deadline = _plab_deadline (timeout_ns);
  int64_t t0 = -1;
  FrameHeader fh;
  int rc;

  rc = lock (h);
  if (rc != 0)
    return rc;
  rc = wait_ready (h, &h->not_empty, &h->getters_waiting, has_frame, 0, PLAB_EEMPTY, timeout_ns,
                   deadline, &t0);
  if (rc == 0 && h->count == 0)
    rc = PLAB_ECLOSED;
  if (rc != 0)
    {
      pthread_mutex_unlock (&h->mutex);
      record_wait (t0, h->name);
      return rc;
    }

  /* Skip a wrap marker, or the few bytes too small to hold one. */
  if (h->capacity - h->head < sizeof fh
      || (memcpy (&fh, self->ring + h->head, sizeof fh), fh.size == WRAP))
    {
      h->used -= h->capacity - h->head;
      h->head = 0;
      memcpy (&fh, self->ring, sizeof fh);
    }
  if (size_out != NULL)
    *size_out = fh.size;
  if (fh.size > buf_size)
    {
      pthread_mutex_unlock (&h->mutex);
      /* The wait ended, whatever the caller's buffer: its open span too. */
      record_wait (t0, h->name);
      return PLAB_EMSGSIZE;
    }
  memcpy (buf, self->ring + h->head + sizeof fh, fh.size);
  h->head += sizeof fh + pad8 (fh.size);
  if (h->head == h->capacity)
    h->head = 0;
  h->used -= sizeof fh + pad8 (fh.size);
  h->count--;
  if (h->count == 0)
    {
      /* Empty: start again at the front, so large frames do not need to wrap. */
      h->head = h->tail = 0;
      h->used = 0;
    }
  if (h->putters_waiting > 0)
    pthread_cond_broadcast (&h->not_full);
  unlock_done (h, t0);
  return 0;
}

size_t
plab_queue_depth (PlabQueue *self)
{
  size_t n;

  lock (&self->hdr);
  n = self->hdr.count;
  pthread_mutex_unlock (&self->hdr.mutex);
  return n;
}

void
plab_queue_close (PlabQueue *self)
{
  lock (&self->hdr);
  self->hdr.closed = 1;
  pthread_cond_broadcast (&self->hdr.not_empty);
  pthread_cond_broadcast (&self->hdr.not_full);
  pthread_mutex_unlock (&self->hdr.mutex);
}

int
plab_queue_task_done (PlabQueue *self)
{
  QueueHeader *h = &self->hdr;
  int rc = 0;

  lock (h);
  if (h->unfinished == 0)
    rc = PLAB_ERANGE;
  else if (--h->unfinished == 0)
    pthread_cond_broadcast (&h->all_done);
  pthread_mutex_unlock (&h->mutex);
  return rc;
}

static int
queue_join_blocking (PlabQueue *self, int64_t timeout_ns)
{
  QueueHeader *h = &self->hdr;
  int64_t deadline = _plab_deadline (timeout_ns);
  int64_t t0 = -1;
  int rc = lock (h);

  if (rc != 0)
    return rc;
  while (h->unfinished > 0)
    {
      if (timeout_ns == 0)
        {
          rc = PLAB_ETIMEDOUT;
          break;
        }
      if (t0 < 0)
        t0 = plab_span_begin (PLAB_SPAN_QUEUE_WAIT, -1, "wait: queue");
      rc = _plab_cond_wait (&h->all_done, &h->mutex, deadline);
      if (rc == PLAB_EOWNERDEAD)
        rc = 0;
      if (rc != 0)
        break;
    }
  pthread_mutex_unlock (&h->mutex);
  record_wait (t0, h->name);
  return rc;
}

int
plab_queue_put (PlabQueue *self, const void *data, size_t size, int64_t timeout_ns)
{
  bool gil = _plab_gil_let_go (timeout_ns);

  return _plab_gil_back (gil, queue_put_blocking (self, data, size, timeout_ns));
}

int
plab_queue_get (PlabQueue *self, void *buf, size_t buf_size, size_t *size_out, int64_t timeout_ns)
{
  bool gil = _plab_gil_let_go (timeout_ns);

  return _plab_gil_back (gil, queue_get_blocking (self, buf, buf_size, size_out, timeout_ns));
}

int
plab_queue_join (PlabQueue *self, int64_t timeout_ns)
{
  /* Blocking calls let other threads run under a simulated GIL, as in CPython. */
  bool gil = timeout_ns != 0 && plab_gil_release ();
  int rc = queue_join_blocking (self, timeout_ns);

  plab_gil_acquire (gil);
  return rc;
}
