/* plab-queue.c: a bounded multi-producer, multi-consumer queue in shared memory.
 *
 * Layout: a QueueHeader, then a byte ring of `capacity` bytes. A message is a
 * frame: an 8-byte FrameHeader (its length) and the payload, padded to 8
 * bytes. A frame never wraps: when it does not fit before the end of the ring,
 * the producer writes a wrap marker (length WRAP) there and starts the frame
 * at offset 0; the consumer skips the marker.
 *
 * The header has one Side for the producers and one for the consumers, each
 * on its own cache lines. A side's `pos` counts the bytes it ever wrote (the
 * tail) or read (the head), markers included, and `count` the messages; both
 * only grow, and only the side's current user changes them. So the bytes in
 * use are tail - head, the messages queued put count - got count, and the two
 * sides never share a lock: a producer publishes a frame by storing its tail
 * with release order after the copy, a consumer frees it by storing its head
 * after reading it out. Each side keeps its last look at the other side's
 * position, and looks again only when that says full (or empty).
 *
 * Who uses a side. The first thread to use a side becomes its solo user and
 * runs without a lock: it raises `busy` for the few instructions of one
 * attempt and looks at `shared` after. A second user moves `shared` from
 * SOLO to SWITCHING and, once it is sure to see a solo attempt under way
 * (an asymmetric fence: the solo user pays only a compiler barrier, the
 * switch a membarrier (2) call, once; sequentially consistent atomics where
 * the system has none), to SHARED, for good. From then on every user of the
 * side takes the side's robust mutex and, once it holds it, waits for a solo
 * attempt still under way to end. A solo user that died in an attempt leaves `busy` up: the waiter sees
 * that its process or thread is gone and lowers it. A side whose solo user is
 * gone, never shared, is taken over by the next user. A death in the middle
 * of an attempt loses nothing: the position was not published yet.
 *
 * Sleeping. Each side has a futex word `wake` and a flag `armed`. A sleeper
 * reads `wake`, raises `armed`, looks again and sleeps only while the word is
 * unchanged; the other side, after publishing, looks at `armed` (after a full
 * fence) and only when it is up takes it down, bumps the word and wakes every
 * sleeper: one system call per sleep, not one per message while the sleeper
 * is still on its way. Close wakes everyone. task_done and join work the same
 * way on `done` against the producers' count.
 */
#include "plab-queue.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "plab-error.h"
#include "plab-gil.h"
#include "plab-sync-private.h"
#include "plab-trace.h"

#define WRAP UINT32_MAX
#define SOLO 0
#define SWITCHING 1
#define SHARED 2
#define DEFAULT_CAPACITY (1u << 20)
#define CACHE_LINE 64
/* A side's depth goes on the counter track at most this often (and when the
 * queue runs empty), not once per message. */
#define SAMPLE_NS 5000
/* Checks of the ring before a waiter goes to sleep, when another CPU may run
 * the other side meanwhile: waking a sleeper costs a few microseconds. */
#define SPINS 200
/* Then gives the CPU away this often before it sleeps: a large message takes
 * the other side a few microseconds to copy. */
#define YIELDS 20
/* The longest a producer sleeps between looks at the ring (see
 * wake_producers ()). */
#define PUT_POLL_NS 1000000

typedef struct
{
  uint32_t size;
  uint32_t reserved;
} FrameHeader;

typedef struct
{
  /* Written by the side's current user only (solo, or the mutex holder). */
  _Alignas(CACHE_LINE) _Atomic uint64_t pos;
  _Atomic uint64_t count;
  uint64_t peer_pos;   /* the other side's pos, as last seen */
  uint64_t peer_count; /* the other side's count, as last seen */
  int64_t next_sample_ns;
  int64_t last_depth;
  /* Who uses the side. */
  _Atomic uint64_t owner;  /* the solo user (_plab_thread_id ()), 0 at first */
  _Atomic uint32_t shared; /* SOLO, SWITCHING (for a moment), then SHARED for good */
  _Atomic uint32_t busy;
  pthread_mutex_t mutex; /* taken once shared */
  /* Sleepers of this side, woken by the other side. */
  _Alignas(CACHE_LINE) _Atomic uint32_t wake;
  _Atomic uint32_t armed; /* a sleeper waits for a wake not sent yet */
} Side;

typedef struct
{
  uint64_t capacity;
  uint64_t max_items;
  char name[32];
  char counter[36];
  _Atomic int closed;
  Side put;
  Side get;
  /* task_done () calls, against put.count; join sleeps on done_wake. */
  _Alignas(CACHE_LINE) _Atomic uint64_t done;
  _Atomic uint32_t done_wake;
  _Atomic uint32_t joiners;
} QueueHeader;

struct PlabQueue
{
  QueueHeader hdr;
  /* The ring follows, 64-byte aligned. */
  _Alignas(CACHE_LINE) unsigned char ring[];
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
  /* The allocation and the mutexes say in plab_error_detail () why they failed. */
  self = _plab_shared_alloc (map_size_for (capacity));
  if (self == NULL)
    return NULL;
  if (_plab_mutex_init (&self->hdr.put.mutex, 0) != 0)
    goto fail;
  if (_plab_mutex_init (&self->hdr.get.mutex, 0) != 0)
    {
      pthread_mutex_destroy (&self->hdr.put.mutex);
      goto fail;
    }
  self->hdr.capacity = capacity;
  self->hdr.max_items = max_items;
  snprintf (self->hdr.name, sizeof self->hdr.name, "%s", name ? name : "queue");
  snprintf (self->hdr.counter, sizeof self->hdr.counter, "queue %s", self->hdr.name);
  return self;

fail:
  _plab_shared_release (self, map_size_for (capacity));
  return NULL;
}

void
plab_queue_free (PlabQueue *self)
{
  if (self == NULL)
    return;
  pthread_mutex_destroy (&self->hdr.put.mutex);
  pthread_mutex_destroy (&self->hdr.get.mutex);
  _plab_shared_release (self, map_size_for (self->hdr.capacity));
}

const char *
plab_queue_name (const PlabQueue *self)
{
  return self->hdr.name;
}

/* --- Who uses a side --- */

/* Enters @side for one attempt. Returns true when the caller is its solo user
 * (with `busy` raised: leave with solo_leave ()), false when the side is
 * shared (the mutex is then held, and no solo attempt runs: leave with
 * pthread_mutex_unlock ()). */
static bool
side_enter (Side *side)
{
  uint64_t me = _plab_thread_id ();
  uint64_t owner = atomic_load (&side->owner);

  if (!atomic_load_explicit (&side->shared, memory_order_relaxed))
    {
      if ((owner == 0
           || (owner != me && atomic_load (&side->busy) == 0
               && !_plab_thread_alive ((uint32_t)owner)))
          && atomic_compare_exchange_strong (&side->owner, &owner, me))
        owner = me;
      if (owner == me)
        {
          if (_plab_asym_fence_register ())
            {
              atomic_store_explicit (&side->busy, 1, memory_order_relaxed);
              atomic_signal_fence (memory_order_seq_cst);
              if (atomic_load_explicit (&side->shared, memory_order_relaxed) == SOLO)
                return true;
            }
          else
            {
              atomic_store (&side->busy, 1);
              if (atomic_load (&side->shared) == SOLO)
                return true;
            }
          atomic_store (&side->busy, 0);
        }
      else
        {
          uint32_t solo = SOLO;

          if (atomic_compare_exchange_strong (&side->shared, &solo, SWITCHING))
            {
              /* Either the solo user sees SWITCHING, or this sees its busy. */
              if (_plab_asym_fence_register ())
                _plab_asym_fence_heavy ();
              atomic_store (&side->shared, SHARED);
            }
        }
    }
  while (atomic_load (&side->shared) != SHARED)
    sched_yield ();

  /* The side's mutex is held for one attempt at most, and close and
   * task_done take none: a cancel must not hand the side over unlocked, so
   * this wait goes on through one. A dead holder left the side consistent
   * (nothing it did was published yet). */
  {
    int rc;

    do
      rc = _plab_mutex_lock (&side->mutex, -1);
    while (rc == PLAB_ECANCELLED);
  }
  /* A solo attempt that began before the side became shared. */
  for (int i = 0; atomic_load (&side->busy) != 0; i++)
    {
      if (i < 100)
        sched_yield ();
      else
        {
          uint64_t owner_now = atomic_load (&side->owner);
          if (!_plab_thread_alive ((uint32_t)owner_now))
            atomic_store (&side->busy, 0);
          else
            usleep (100);
        }
    }
  return false;
}

static void
side_leave (Side *side, bool solo)
{
  if (solo)
    atomic_store_explicit (&side->busy, 0, memory_order_release);
  else
    pthread_mutex_unlock (&side->mutex);
}

/* --- Sleeping --- */

/* After publishing: wakes the sleepers of @side, if any. */
static void
wake_side (Side *side)
{
  atomic_thread_fence (memory_order_seq_cst);
  if (atomic_load_explicit (&side->armed, memory_order_relaxed) != 0
      && atomic_exchange (&side->armed, 0) != 0)
    _plab_futex_wake_all (&side->wake);
}

/* After a get: wakes the sleeping producers once half the ring (and half the
 * item limit) is free, not at every message, lest a fast producer and its
 * consumer hand the CPU back and forth for each one. A producer that waits
 * for less room than that looks again every PUT_POLL_NS meanwhile. */
static void
wake_producers (QueueHeader *h)
{
  uint64_t head, tail, got, put;

  atomic_thread_fence (memory_order_seq_cst);
  if (atomic_load_explicit (&h->put.armed, memory_order_relaxed) == 0)
    return;
  got = atomic_load (&h->get.count);
  head = atomic_load (&h->get.pos);
  put = atomic_load (&h->put.count);
  tail = atomic_load (&h->put.pos);
  if (tail - head <= h->capacity / 2 && (h->max_items == 0 || put - got <= h->max_items / 2)
      && atomic_exchange (&h->put.armed, 0) != 0)
    _plab_futex_wake_all (&h->put.wake);
}

/* Sleeps on @side until @ready (@self, @size) may have changed: woken by the
 * other side, a close, a slice or the deadline. Returns 0 (look again),
 * PLAB_ETIMEDOUT or PLAB_ECANCELLED. A span opens at the first sleep; *@t0
 * is its start. */
static int
sleep_on (PlabQueue *self,
          Side *side,
          bool (*ready) (PlabQueue *self, size_t size),
          size_t size,
          int64_t deadline,
          int64_t poll_ns,
          int64_t *t0)
{
  QueueHeader *h = &self->hdr;
  uint32_t seen;
  int rc = 0;

  if (*t0 < 0 && _plab_spin_worthwhile ())
    for (int i = 0; i < SPINS + YIELDS; i++)
      {
        if (i < SPINS)
          _plab_cpu_relax ();
        else
          sched_yield ();
        if (ready (self, size) || atomic_load_explicit (&h->closed, memory_order_relaxed))
          return 0;
      }
  if (*t0 < 0)
    *t0 = plab_span_begin (PLAB_SPAN_QUEUE_WAIT, -1, "wait: queue");
  seen = atomic_load (&side->wake);
  atomic_store (&side->armed, 1);
  if (!ready (self, size) && !atomic_load (&h->closed))
    {
      int64_t poll_end = poll_ns > 0 ? plab_now_ns () + poll_ns : -1;

      if (poll_end >= 0 && (deadline < 0 || poll_end < deadline))
        rc = _plab_futex_wait (&side->wake, seen, poll_end) == PLAB_ECANCELLED ? PLAB_ECANCELLED
                                                                               : 0;
      else
        rc = _plab_futex_wait (&side->wake, seen, deadline);
    }
  return rc;
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

/* Records the depth on the counter track, at most every SAMPLE_NS per side,
 * and whenever the queue runs empty. Called by the side's current user. */
static void
sample_depth (QueueHeader *h, Side *side)
{
  int64_t depth, now;

  if (!plab_tracing ())
    return;
  depth = (int64_t)(atomic_load (&h->put.count) - atomic_load (&h->get.count));
  if (depth < 0)
    depth = 0;
  now = plab_now_ns ();
  if (now < side->next_sample_ns && !(depth == 0 && side->last_depth != 0))
    return;
  side->next_sample_ns = now + SAMPLE_NS;
  side->last_depth = depth;
  plab_counter (h->counter, depth);
}

/* --- Put --- */

/* Bytes a frame of @size needs at @tail, wrap marker included. */
static uint64_t
frame_cost (uint64_t capacity, uint64_t tail, size_t size)
{
  uint64_t frame = sizeof (FrameHeader) + pad8 (size);
  uint64_t room_to_end = capacity - tail % capacity;

  if (frame <= room_to_end)
    return frame;
  return room_to_end + frame;
}

/* Whether a frame of @size fits now, looking at the consumers only when the
 * last look says it does not. Called by the producers' current user. */
static bool
room_for (PlabQueue *self, size_t size)
{
  QueueHeader *h = &self->hdr;
  Side *s = &h->put;
  uint64_t tail = atomic_load_explicit (&s->pos, memory_order_relaxed);
  uint64_t count = atomic_load_explicit (&s->count, memory_order_relaxed);
  uint64_t cost = frame_cost (h->capacity, tail, size);

  if (tail - s->peer_pos + cost <= h->capacity
      && (h->max_items == 0 || count - s->peer_count < h->max_items))
    return true;
  s->peer_count = atomic_load_explicit (&h->get.count, memory_order_acquire);
  s->peer_pos = atomic_load_explicit (&h->get.pos, memory_order_acquire);
  return tail - s->peer_pos + cost <= h->capacity
         && (h->max_items == 0 || count - s->peer_count < h->max_items);
}

/* Any thread's look: whether a frame of @size would fit now (for sleepers). */
static bool
room_now (PlabQueue *self, size_t size)
{
  QueueHeader *h = &self->hdr;
  uint64_t got = atomic_load (&h->get.count);
  uint64_t head = atomic_load (&h->get.pos);
  uint64_t tail = atomic_load (&h->put.pos);
  uint64_t count = atomic_load (&h->put.count);

  return tail - head + frame_cost (h->capacity, tail, size) <= h->capacity
         && (h->max_items == 0 || count - got < h->max_items);
}

/* One attempt by the producers' current user: 0, PLAB_EFULL or PLAB_ECLOSED. */
static int
try_put (PlabQueue *self, const void *data, size_t size)
{
  QueueHeader *h = &self->hdr;
  Side *s = &h->put;
  uint64_t tail = atomic_load_explicit (&s->pos, memory_order_relaxed);
  uint64_t at = tail % h->capacity;
  FrameHeader fh = { (uint32_t)size, 0 };

  if (atomic_load_explicit (&h->closed, memory_order_relaxed))
    return PLAB_ECLOSED;
  if (!room_for (self, size))
    return PLAB_EFULL;
  if (h->capacity - at < sizeof fh + pad8 (size))
    {
      /* Not enough room before the end: mark the rest as skipped. The
       * capacity and every frame are multiples of 8, so a marker fits. */
      FrameHeader wrap = { WRAP, 0 };
      memcpy (self->ring + at, &wrap, sizeof wrap);
      tail += h->capacity - at;
      at = 0;
    }
  memcpy (self->ring + at, &fh, sizeof fh);
  memcpy (self->ring + at + sizeof fh, data, size);
  atomic_store_explicit (&s->count, atomic_load_explicit (&s->count, memory_order_relaxed) + 1,
                         memory_order_release);
  atomic_store_explicit (&s->pos, tail + sizeof fh + pad8 (size), memory_order_release);
  return 0;
}

/* One blocking call on one side of the queue: what the side tries, what it
 * waits for when the try says @busy, and how long a sleep may last. */
typedef struct
{
  Side *side;
  int (*attempt) (PlabQueue *self, void *op);
  void *op;
  int busy;                                     /* PLAB_EFULL or PLAB_EEMPTY */
  bool (*ready) (PlabQueue *self, size_t size); /* any thread's look, for sleepers */
  size_t ready_size;
  int64_t poll_ns;
} Turn;

/* Tries @turn as the side's current user until it succeeds, fails for good
 * or @timeout_ns runs out (the try's @busy code then); sleeps in between. A
 * span opens at the first sleep; *@t0 is its start. */
static int
take_turn (PlabQueue *self, const Turn *turn, int64_t timeout_ns, int64_t *t0)
{
  QueueHeader *h = &self->hdr;
  int64_t deadline = timeout_ns > 0 ? _plab_deadline (timeout_ns) : timeout_ns;
  int rc;

  for (;;)
    {
      bool solo = side_enter (turn->side);

      rc = turn->attempt (self, turn->op);
      if (rc == 0)
        sample_depth (h, turn->side);
      side_leave (turn->side, solo);
      if (rc != turn->busy || timeout_ns == 0)
        break;
      rc = sleep_on (self, turn->side, turn->ready, turn->ready_size, deadline, turn->poll_ns, t0);
      if (rc == PLAB_ETIMEDOUT)
        rc = turn->busy;
      if (rc != 0)
        break;
    }
  return rc;
}

typedef struct
{
  const void *data;
  size_t size;
} PutOp;

static int
put_attempt (PlabQueue *self, void *op)
{
  PutOp *put = op;

  return try_put (self, put->data, put->size);
}

static int
queue_put_blocking (PlabQueue *self, const void *data, size_t size, int64_t timeout_ns)
{
  QueueHeader *h = &self->hdr;
  PutOp op = { data, size };
  Turn turn = { &h->put, put_attempt, &op, PLAB_EFULL, room_now, size, PUT_POLL_NS };
  int64_t t0 = -1;
  int rc;

  if (size > h->capacity / 2 - sizeof (FrameHeader) || size >= WRAP)
    return PLAB_EMSGSIZE;
  rc = take_turn (self, &turn, timeout_ns, &t0);
  if (rc == 0)
    wake_side (&h->get);
  record_wait (t0, h->name);
  return rc;
}

/* --- Get --- */

static bool
items_for (PlabQueue *self, size_t size)
{
  QueueHeader *h = &self->hdr;
  Side *s = &h->get;
  uint64_t head = atomic_load_explicit (&s->pos, memory_order_relaxed);

  (void)size;
  if (s->peer_pos != head)
    return true;
  s->peer_pos = atomic_load_explicit (&h->put.pos, memory_order_acquire);
  return s->peer_pos != head;
}

static bool
items_now (PlabQueue *self, size_t size)
{
  (void)size;
  return atomic_load (&self->hdr.put.pos) != atomic_load (&self->hdr.get.pos);
}

/* One attempt by the consumers' current user: 0, PLAB_EEMPTY, PLAB_ECLOSED
 * (closed and drained) or PLAB_EMSGSIZE. */
static int
try_get (PlabQueue *self, void *buf, size_t buf_size, size_t *size_out)
{
  QueueHeader *h = &self->hdr;
  Side *s = &h->get;
  uint64_t head = atomic_load_explicit (&s->pos, memory_order_relaxed);
  uint64_t at = head % h->capacity;
  FrameHeader fh;

  if (!items_for (self, 0))
    {
      /* Closed, then looked again: a put that got in first is not lost. */
      if (atomic_load (&h->closed) && !items_for (self, 0))
        return PLAB_ECLOSED;
      return PLAB_EEMPTY;
    }
  memcpy (&fh, self->ring + at, sizeof fh);
  if (fh.size == WRAP)
    {
      /* Skip the marker; the frame starts at the front. */
      head += h->capacity - at;
      at = 0;
      memcpy (&fh, self->ring, sizeof fh);
    }
  if (size_out != NULL)
    *size_out = fh.size;
  if (fh.size > buf_size)
    return PLAB_EMSGSIZE;
  memcpy (buf, self->ring + at + sizeof fh, fh.size);
  atomic_store_explicit (&s->count, atomic_load_explicit (&s->count, memory_order_relaxed) + 1,
                         memory_order_release);
  atomic_store_explicit (&s->pos, head + sizeof fh + pad8 (fh.size), memory_order_release);
  return 0;
}

typedef struct
{
  void *buf;
  size_t buf_size;
  size_t *size_out;
} GetOp;

static int
get_attempt (PlabQueue *self, void *op)
{
  GetOp *get = op;

  return try_get (self, get->buf, get->buf_size, get->size_out);
}

static int
queue_get_blocking (PlabQueue *self,
                    void *buf,
                    size_t buf_size,
                    size_t *size_out,
                    int64_t timeout_ns)
{
  QueueHeader *h = &self->hdr;
  GetOp op = { buf, buf_size, size_out };
  Turn turn = { &h->get, get_attempt, &op, PLAB_EEMPTY, items_now, 0, 0 };
  int64_t t0 = -1;
  int rc = take_turn (self, &turn, timeout_ns, &t0);

  if (rc == 0)
    wake_producers (h);
  record_wait (t0, h->name);
  return rc;
}

size_t
plab_queue_depth (PlabQueue *self)
{
  uint64_t got = atomic_load (&self->hdr.get.count);

  return (size_t)(atomic_load (&self->hdr.put.count) - got);
}

void
plab_queue_close (PlabQueue *self)
{
  atomic_store (&self->hdr.closed, 1);
  _plab_futex_wake_all (&self->hdr.put.wake);
  _plab_futex_wake_all (&self->hdr.get.wake);
}

int
plab_queue_task_done (PlabQueue *self)
{
  QueueHeader *h = &self->hdr;
  uint64_t done = atomic_load (&h->done);

  do
    if (done >= atomic_load (&h->put.count))
      return PLAB_ERANGE;
  while (!atomic_compare_exchange_weak (&h->done, &done, done + 1));
  /* The last one of those put so far wakes the joiners. */
  if (done + 1 == atomic_load (&h->put.count) && atomic_load (&h->joiners) > 0)
    _plab_futex_wake_all (&h->done_wake);
  return 0;
}

static bool
all_done (QueueHeader *h)
{
  uint64_t done = atomic_load (&h->done);

  return done >= atomic_load (&h->put.count);
}

static int
queue_join_blocking (PlabQueue *self, int64_t timeout_ns)
{
  QueueHeader *h = &self->hdr;
  int64_t deadline = timeout_ns > 0 ? _plab_deadline (timeout_ns) : timeout_ns;
  int64_t t0 = -1;
  int rc = 0;

  while (!all_done (h))
    {
      uint32_t seen;

      if (timeout_ns == 0)
        {
          rc = PLAB_ETIMEDOUT;
          break;
        }
      if (t0 < 0)
        t0 = plab_span_begin (PLAB_SPAN_QUEUE_WAIT, -1, "wait: queue");
      seen = atomic_load (&h->done_wake);
      atomic_fetch_add (&h->joiners, 1);
      if (!all_done (h))
        rc = _plab_futex_wait (&h->done_wake, seen, deadline);
      atomic_fetch_sub (&h->joiners, 1);
      if (rc == PLAB_ETIMEDOUT && all_done (h))
        rc = 0;
      if (rc != 0)
        break;
    }
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
