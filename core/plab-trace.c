/* plab-trace.c: the trace recorder.
 *
 * Each lane owns one buffer in an anonymous shared mapping, created by the
 * parent before the worker starts, so a forked child writes into memory the
 * parent reads. A buffer is a single-producer, single-consumer ring:
 *
 *   +-----------------------------+  page 0: LaneHeader
 *   | head (worker)   | own line  |
 *   | tail (parent)   | own line  |
 *   | pid, tid, version, dropped  |
 *   +-----------------------------+  page 1..: capacity * RingEvent (32 bytes)
 *   +-----------------------------+  then: capacity * label (32 bytes)
 *
 * A ring event is half a PlabEvent: the label is not in it. A span with a
 * label writes it into the label array at the event's own index, so the
 * label slot has the event's owner and life; a span without one (a map's
 * item, most waits) touches only its 32 bytes. The drain turns ring events
 * back into PlabEvents for the sink. The task spans of a run of map items
 * without labels, timed together, are one ring event (RING_ITEM_RUN) that
 * the drain turns into one PlabEvent per item.
 *
 * The worker is the only writer of head, the events and the lane's identity;
 * the parent is the only writer of tail. An event slot between tail and head
 * belongs to the parent until it advances tail; a slot outside that range
 * belongs to the worker. When the ring is full the worker drops the event and
 * counts it, so recording never blocks or takes a lock.
 *
 * A ring outlives its worker: when a lane is added, the ring of a lane whose
 * worker has ended and whose events are all drained and reported is handed
 * to it (the old lane keeps its description in the parent), so a run that
 * makes pool after pool writes into pages that are already there instead of
 * faulting in fresh ones. A worker also populates the part of its ring it
 * is about to write in one system call when it attaches, rather than taking
 * a page fault for every page it first writes.
 *
 * The header also holds the lane's open spans (plab_span_begin ()): a small
 * stack of the spans the worker has begun and not yet ended, which the parent
 * reads at every drain so that a live view can draw a task while it runs.
 * The worker is its only writer; the parent reads it under a sequence lock
 * (open_seq is odd while the worker changes the stack) and tries again at the
 * next drain when it caught the worker in the middle of a change.
 */
#include "plab-trace-private.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plab-error.h"

#define CACHE_LINE 64

#define OPEN_WORDS (sizeof (PlabEvent) / sizeof (uint64_t))
/* The words of an open slot that hold start_ns, kind and the label's start. */
#define START_WORD (offsetof (PlabEvent, start_ns) / sizeof (uint64_t))
#define KIND_WORD (offsetof (PlabEvent, kind) / sizeof (uint64_t))
#define LABEL_WORD (offsetof (PlabEvent, label) / sizeof (uint64_t))

typedef struct
{
  /* Written by the worker only. */
  _Alignas(CACHE_LINE) _Atomic uint64_t head;
  _Atomic uint64_t dropped;

  /* Written by the parent only. */
  _Alignas(CACHE_LINE) _Atomic uint64_t tail;
  uint64_t parent_mapped; /* events of the ring the parent has populated */

  /* Set by the parent before the worker starts; read-only afterwards. */
  _Alignas(CACHE_LINE) uint64_t capacity; /* a power of two */
  uint64_t mask;
  size_t map_size;

  /* Written by the worker when it attaches, then version is bumped (release).
   * Atomic because the parent may read them while a worker attaches. */
  _Atomic int32_t pid;
  _Atomic int32_t tid;
  _Atomic uint32_t version;

  /* Open spans, written by the worker only. open_seq is odd while the
   * worker changes open_depth or a slot; the parent copies them between two
   * equal, even reads of it. A slot is a PlabEvent in words, so the copy is
   * made of atomic loads. open_depth may exceed PLAB_TRACE_OPEN_MAX; only the
   * first slots are kept. */
  _Alignas(CACHE_LINE) _Atomic uint32_t open_seq;
  _Atomic uint32_t open_depth;
  _Alignas(CACHE_LINE) _Atomic uint64_t open_slots[PLAB_TRACE_OPEN_MAX][OPEN_WORDS];
} LaneHeader;

#define HEADER_SIZE 4096

/* A ring is populated a block at a time, ahead of the first write (the
 * worker) or read (the parent) in it: 256 KiB, 4096 events, 64 pages. */
#define POPULATE_EVENTS 4096u

/* How far ahead of its head a worker prefetches its ring: 8 lines. */
#define PREFETCH_EVENTS 64

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

_Static_assert(sizeof (LaneHeader) <= HEADER_SIZE, "lane header fits its page");
_Static_assert(sizeof (PlabEvent) == 64, "an event is one cache line");

/* An event in a lane's ring: a PlabEvent without its label and lane. */
typedef struct
{
  int64_t start_ns;
  int64_t end_ns;
  int64_t task_id;
  int32_t item;
  uint8_t kind;
  uint8_t flow;
  uint8_t has_label; /* the label is in the label array at the same index */
  uint8_t unused;
} RingEvent;

_Static_assert(sizeof (RingEvent) == 32, "two ring events a cache line");

/* RingEvent.flow of a run of map items' task spans, written by
 * _plab_trace_item_spans (): task_id is the first item, item the number of
 * items (task ids task_id, task_id + 1, ...), and the drain gives each an
 * equal share of [start_ns, end_ns]. One event stands for up to
 * PLAB_ITEM_SPANS_MAX spans without labels. */
#define RING_ITEM_RUN 0xff

typedef struct
{
  char text[PLAB_LABEL_MAX];
} Label;

/* How many ring events the drain turns into PlabEvents at a time. */
#define DRAIN_BATCH 256

typedef struct
{
  LaneHeader *hdr; /* the shared mapping; NULL once handed to another lane */
  RingEvent *events;
  Label *labels;
  /* A process lane's ring is a memfd, so that a child started by spawn or
   * forkserver can map it too; -1 otherwise. The descriptor goes with the
   * ring when the ring is handed on, and is closed when the trace is freed. */
  int fd;
  PlabLaneInfo final; /* the description of a lane whose ring was handed on */

  /* Parent-private. */
  PlabLaneKind kind;
  char name[PLAB_LANE_NAME_MAX];
  PlabLaneEnd end;
  int exit_code;
  int exit_signal;
  int end_pid;
  uint32_t parent_version;   /* bumped by the parent on changes it makes */
  uint32_t reported_version; /* hdr->version + parent_version at the last report */
  uint64_t reported_dropped;
  int reported;
  PlabEvent open[PLAB_TRACE_OPEN_MAX]; /* the open spans last reported */
  size_t n_open;
} Lane;

struct PlabTrace
{
  /* Held by every drain, so that the owner's drains and the watching
   * thread's take turns; the sink's callbacks run under it. */
  pthread_mutex_t drain_lock;
  _Atomic int64_t last_drain_ns;

  /* The watching thread (plab_trace_start_watch ()). watch_stop and the
   * condition are under watch_lock. */
  pthread_t watch_thread;
  bool watching;
  bool watch_stop;
  int64_t watch_interval_ns;
  pthread_mutex_t watch_lock;
  pthread_cond_t watch_cond;

  int64_t origin_ns;
  size_t capacity;
  PlabTraceSink sink;
  Lane *lanes;
  int n_lanes;
  int lanes_alloc;
};

/* The lane the calling thread records into. Per thread, so a worker thread or
 * a forked child writes only to its own ring; reset in a forked child (see
 * atfork_child) so a child never writes into its parent's lane. */
typedef struct
{
  LaneHeader *lane;
  RingEvent *events;
  Label *labels;
  uint64_t tail_cache;
  uint64_t populated; /* events of the ring this thread populated */
  PlabTrace *trace;
} Current;

/* One thread-local block in the initial-exec model: a span reads it with one
 * instruction, not a call per variable. */
static __thread __attribute__ ((tls_model ("initial-exec"))) Current cur;

static bool recording_enabled = true;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* Held while a trace's lane array is grown (plab_trace_add_lane, by the
 * trace's owner) and while a worker thread looks up its lane in it
 * (plab_trace_attach): realloc () may move the array under a thread that is
 * attaching. One lock for every trace; fork holds it (see install_atfork), so
 * a child never starts with it taken by a thread it does not have. */
static pthread_mutex_t lanes_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const span_kind_names[PLAB_N_SPAN_KINDS] = {
  [PLAB_SPAN_TASK] = "task",
  [PLAB_SPAN_LOCK_WAIT] = "lock wait",
  [PLAB_SPAN_QUEUE_WAIT] = "queue wait",
  [PLAB_SPAN_GIL_WAIT] = "gil wait",
  [PLAB_SPAN_SLEEP] = "sleep",
  [PLAB_SPAN_IO] = "io",
  [PLAB_SPAN_SPAWN] = "spawn",
  [PLAB_SPAN_EXIT] = "exit",
  [PLAB_SPAN_WAIT] = "wait",
  [PLAB_SPAN_CRASH] = "crash",
  [PLAB_SPAN_COUNTER] = "counter",
  [PLAB_SPAN_CORE_WAIT] = "core wait",
  [PLAB_SPAN_SEND] = "send",
  [PLAB_SPAN_RECV] = "receive",
  [PLAB_SPAN_COLLECTIVE] = "collective",
};

const char *
plab_span_kind_name (PlabSpanKind kind)
{
  if ((unsigned)kind >= PLAB_N_SPAN_KINDS)
    return "unknown";
  return span_kind_names[kind];
}

int
plab_span_kind_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  for (int i = 0; i < PLAB_N_SPAN_KINDS; i++)
    if (strcmp (span_kind_names[i], name) == 0)
      return i;
  return -1;
}

const char *
plab_flow_name (PlabFlow flow)
{
  switch (flow)
    {
    case PLAB_FLOW_PUT:
      return "put";
    case PLAB_FLOW_GET:
      return "get";
    case PLAB_FLOW_NONE:
    case PLAB_N_FLOWS:
    default:
      return NULL;
    }
}

const char *
plab_lane_kind_name (PlabLaneKind kind)
{
  switch (kind)
    {
    case PLAB_LANE_MAIN:
      return "main";
    case PLAB_LANE_PROCESS:
      return "process";
    case PLAB_LANE_THREAD:
      return "thread";
    default:
      return "unknown";
    }
}

static void
atfork_prepare (void)
{
  pthread_mutex_lock (&lanes_lock);
}

static void
atfork_parent (void)
{
  pthread_mutex_unlock (&lanes_lock);
}

static void
atfork_child (void)
{
  pthread_mutex_unlock (&lanes_lock);
  cur.lane = NULL;
  cur.events = NULL;
  cur.labels = NULL;
  cur.trace = NULL;
}

static void
install_atfork (void)
{
  pthread_atfork (atfork_prepare, atfork_parent, atfork_child);
}

static size_t
round_up_pow2 (size_t n)
{
  size_t p = 1;
  while (p < n)
    p <<= 1;
  return p;
}

/* Populates the block of events [@from, @from + POPULATE_EVENTS) of @events
 * in one system call, @advice MADV_POPULATE_WRITE or _READ: a page fault for
 * every page costs far more. A kernel that does not know the advice (before
 * Linux 5.14) fails it, and the pages fault in one by one as before. */
static void
populate (RingEvent *events, uint64_t from, uint64_t capacity, int advice)
{
  uint64_t n = capacity - from < POPULATE_EVENTS ? capacity - from : POPULATE_EVENTS;

  (void)madvise (&events[from], n * sizeof (RingEvent), advice);
}

PlabTrace *
plab_trace_new (void)
{
  PlabTrace *self;
  int lane;

  pthread_once (&atfork_once, install_atfork);

  self = calloc (1, sizeof *self);
  if (self == NULL)
    return NULL;
  self->origin_ns = plab_now_ns ();
  self->capacity = PLAB_TRACE_DEFAULT_CAPACITY;
  pthread_mutex_init (&self->drain_lock, NULL);
  pthread_mutex_init (&self->watch_lock, NULL);
  {
    pthread_condattr_t attr;

    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (&self->watch_cond, &attr);
    pthread_condattr_destroy (&attr);
  }

  if (plab_trace_add_lane (self, PLAB_LANE_MAIN, "main", &lane) != 0)
    {
      free (self);
      return NULL;
    }
  plab_trace_attach (self, lane);
  return self;
}

void
plab_trace_free (PlabTrace *self)
{
  if (self == NULL)
    return;
  plab_trace_stop_watch (self);
  if (cur.trace == self)
    plab_trace_detach ();
  pthread_mutex_destroy (&self->drain_lock);
  pthread_mutex_destroy (&self->watch_lock);
  pthread_cond_destroy (&self->watch_cond);
  for (int i = 0; i < self->n_lanes; i++)
    if (self->lanes[i].hdr != NULL)
      {
        if (self->lanes[i].fd >= 0)
          close (self->lanes[i].fd);
        munmap (self->lanes[i].hdr, self->lanes[i].hdr->map_size);
      }
  free (self->lanes);
  free (self);
}

void
plab_trace_set_capacity (PlabTrace *self, size_t events)
{
  if (events < 64)
    events = 64;
  self->capacity = round_up_pow2 (events);
}

void
plab_trace_set_sink (PlabTrace *self, const PlabTraceSink *sink)
{
  if (sink != NULL)
    self->sink = *sink;
  else
    memset (&self->sink, 0, sizeof self->sink);
}

int64_t
plab_trace_origin_ns (const PlabTrace *self)
{
  return self->origin_ns;
}

/* A lane whose ring may go to a new lane: its worker has ended (and is not
 * the calling thread), every event is drained and the sink has its last
 * description and no open span of it. Called under drain_lock. */
static bool
ring_free (PlabTrace *self, int i)
{
  Lane *l = &self->lanes[i];
  LaneHeader *hdr = l->hdr;

  return i > 0 && hdr != NULL && hdr != cur.lane && l->end != PLAB_LANE_RUNNING
         && hdr->capacity == self->capacity && l->reported && l->n_open == 0
         && atomic_load (&hdr->head) == atomic_load (&hdr->tail)
         && l->reported_version == atomic_load (&hdr->version) + l->parent_version
         && l->reported_dropped == atomic_load (&hdr->dropped);
}

/* Takes the ring of an ended lane (see ring_free ()) for a new one of @kind,
 * resetting its header; NULL when there is none. A process lane takes only a
 * ring with a memfd, which goes to *fd. The old lane keeps its description.
 * Called under drain_lock. */
static LaneHeader *
take_ring (PlabTrace *self, PlabLaneKind kind, int *fd)
{
  for (int i = 1; i < self->n_lanes; i++)
    {
      Lane *l = &self->lanes[i];
      LaneHeader *hdr = l->hdr;

      if (!ring_free (self, i) || (kind == PLAB_LANE_PROCESS && l->fd < 0))
        continue;
      plab_trace_get_lane (self, i, &l->final);
      *fd = l->fd;
      l->fd = -1;
      l->hdr = NULL;
      l->events = NULL;
      l->labels = NULL;
      /* Nobody else maps it now: the worker is gone. */
      atomic_store (&hdr->head, 0);
      atomic_store (&hdr->tail, 0);
      atomic_store (&hdr->dropped, 0);
      atomic_store (&hdr->pid, 0);
      atomic_store (&hdr->tid, 0);
      atomic_store (&hdr->version, 0);
      atomic_store (&hdr->open_depth, 0);
      atomic_store (&hdr->open_seq, 0);
      return hdr;
    }
  return NULL;
}

/* Maps a new ring of @map_size bytes: a memfd for a process lane (its
 * descriptor in *fd), anonymous memory otherwise. NULL with errno set on
 * failure. MAP_NORESERVE: pages are only committed when a worker writes them,
 * so an idle lane costs a page, not its whole capacity. */
static LaneHeader *
map_ring (PlabLaneKind kind, size_t map_size, int *fd)
{
  void *hdr;
  int saved;

  if (kind != PLAB_LANE_PROCESS)
    {
      hdr = mmap (NULL, map_size, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      return hdr == MAP_FAILED ? NULL : hdr;
    }
  *fd = memfd_create ("plab-trace-lane", MFD_CLOEXEC);
  if (*fd < 0)
    return NULL;
  if (ftruncate (*fd, (off_t)map_size) == 0)
    {
      hdr = mmap (NULL, map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, *fd, 0);
      if (hdr != MAP_FAILED)
        return hdr;
    }
  saved = errno;
  close (*fd);
  *fd = -1;
  errno = saved;
  return NULL;
}

int
plab_trace_add_lane (PlabTrace *self, PlabLaneKind kind, const char *name, int *lane_out)
{
  size_t map_size = HEADER_SIZE + self->capacity * (sizeof (RingEvent) + sizeof (Label));
  LaneHeader *hdr;
  Lane *lane;
  int fd = -1;

  if (self->n_lanes == UINT16_MAX)
    return PLAB_ERANGE;

  /* A watching thread's drain reads the lane array. */
  pthread_mutex_lock (&self->drain_lock);
  hdr = take_ring (self, kind, &fd);
  if (hdr == NULL)
    {
      hdr = map_ring (kind, map_size, &fd);
      if (hdr == NULL)
        {
          pthread_mutex_unlock (&self->drain_lock);
          return errno == ENOMEM ? PLAB_ENOMEM : PLAB_ESYS;
        }
      hdr->capacity = self->capacity;
      hdr->mask = self->capacity - 1;
      hdr->map_size = map_size;
    }

  pthread_mutex_lock (&lanes_lock);
  if (self->n_lanes == self->lanes_alloc)
    {
      int n = self->lanes_alloc ? self->lanes_alloc * 2 : 16;
      Lane *lanes = realloc (self->lanes, n * sizeof *lanes);
      if (lanes == NULL)
        {
          pthread_mutex_unlock (&lanes_lock);
          pthread_mutex_unlock (&self->drain_lock);
          munmap (hdr, hdr->map_size);
          if (fd >= 0)
            close (fd);
          return PLAB_ENOMEM;
        }
      self->lanes = lanes;
      self->lanes_alloc = n;
    }
  lane = &self->lanes[self->n_lanes];
  memset (lane, 0, sizeof *lane);
  lane->hdr = hdr;
  lane->fd = fd;
  lane->events = (RingEvent *)((char *)hdr + HEADER_SIZE);
  lane->labels = (Label *)(lane->events + hdr->capacity);
  lane->kind = kind;
  snprintf (lane->name, sizeof lane->name, "%s", name ? name : "lane");
  *lane_out = self->n_lanes++;
  pthread_mutex_unlock (&lanes_lock);
  pthread_mutex_unlock (&self->drain_lock);
  return 0;
}

/* The worker's side of the open-span sequence lock: changes made between
 * open_write_begin () and open_write_end () are seen by the parent all at
 * once or not at all. */
static inline void
open_write_begin (LaneHeader *hdr)
{
  uint32_t seq = atomic_load_explicit (&hdr->open_seq, memory_order_relaxed);

  atomic_store_explicit (&hdr->open_seq, seq + 1, memory_order_relaxed);
  atomic_thread_fence (memory_order_release);
}

static inline void
open_write_end (LaneHeader *hdr)
{
  uint32_t seq = atomic_load_explicit (&hdr->open_seq, memory_order_relaxed);

  atomic_store_explicit (&hdr->open_seq, seq + 1, memory_order_release);
}

static void
set_open_depth (LaneHeader *hdr, uint32_t depth)
{
  open_write_begin (hdr);
  atomic_store_explicit (&hdr->open_depth, depth, memory_order_relaxed);
  open_write_end (hdr);
}

static void attach_lane (LaneHeader *hdr, RingEvent *events, Label *labels, PlabTrace *trace);

void
plab_trace_attach (PlabTrace *self, int lane)
{
  LaneHeader *hdr;
  RingEvent *events;
  Label *labels;

  if (self == NULL || lane < 0)
    return;
  pthread_mutex_lock (&lanes_lock);
  if (lane >= self->n_lanes)
    {
      pthread_mutex_unlock (&lanes_lock);
      return;
    }
  hdr = self->lanes[lane].hdr;
  events = self->lanes[lane].events;
  labels = self->lanes[lane].labels;
  pthread_mutex_unlock (&lanes_lock);
  if (hdr == NULL)
    return;
  attach_lane (hdr, events, labels, self);
}

int
_plab_trace_lane_fd (PlabTrace *self, int lane, size_t *map_size)
{
  int fd = -1;

  if (self == NULL || lane < 0)
    return -1;
  pthread_mutex_lock (&lanes_lock);
  if (lane < self->n_lanes && self->lanes[lane].hdr != NULL)
    {
      fd = self->lanes[lane].fd;
      *map_size = self->lanes[lane].hdr->map_size;
    }
  pthread_mutex_unlock (&lanes_lock);
  return fd;
}

int
_plab_trace_attach_fd (int fd, size_t map_size)
{
  LaneHeader *hdr
      = mmap (NULL, map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  RingEvent *events;

  close (fd);
  if (hdr == MAP_FAILED)
    return PLAB_ESYS;
  events = (RingEvent *)((char *)hdr + HEADER_SIZE);
  attach_lane (hdr, events, (Label *)(events + hdr->capacity), NULL);
  return 0;
}

/* Makes the calling thread record into @hdr (its parent's trace @trace, or
 * NULL in a child that has only the lane's mapping). */
static void
attach_lane (LaneHeader *hdr, RingEvent *events, Label *labels, PlabTrace *trace)
{
  atomic_store_explicit (&hdr->pid, (int32_t)getpid (), memory_order_relaxed);
  atomic_store_explicit (&hdr->tid, (int32_t)syscall (SYS_gettid), memory_order_relaxed);
  atomic_fetch_add_explicit (&hdr->version, 1, memory_order_release);
  set_open_depth (hdr, 0);

  cur.lane = hdr;
  cur.events = events;
  cur.labels = labels;
  cur.tail_cache = atomic_load_explicit (&hdr->tail, memory_order_acquire);
  /* A new lane starts at 0; a thread attaching to a lane it recorded into
   * before populates its blocks again, which costs little. */
  cur.populated = atomic_load_explicit (&hdr->head, memory_order_relaxed) & hdr->mask
                  & ~(uint64_t)(POPULATE_EVENTS - 1);
  cur.trace = trace;
}

void
plab_trace_detach (void)
{
  if (cur.lane != NULL)
    set_open_depth (cur.lane, 0);
  cur.lane = NULL;
  cur.events = NULL;
  cur.labels = NULL;
  cur.trace = NULL;
}

void
plab_trace_set_lane_end (PlabTrace *self, int lane, int pid, PlabLaneEnd end, int code, int sig)
{
  Lane *l;

  if (self == NULL || lane < 0 || lane >= self->n_lanes)
    return;
  pthread_mutex_lock (&self->drain_lock);
  l = &self->lanes[lane];
  l->end = end;
  l->exit_code = code;
  l->exit_signal = sig;
  l->end_pid = pid;
  l->parent_version++;
  pthread_mutex_unlock (&self->drain_lock);
}

int
plab_trace_n_lanes (const PlabTrace *self)
{
  return self->n_lanes;
}

int
plab_trace_get_lane (const PlabTrace *self, int lane, PlabLaneInfo *out)
{
  const Lane *l;
  int32_t pid;

  if (self == NULL || lane < 0 || lane >= self->n_lanes)
    return PLAB_EINVAL;
  l = &self->lanes[lane];
  if (l->hdr == NULL)
    {
      *out = l->final;
      return 0;
    }
  /* Acquire pairs with the release in plab_trace_attach: pid and tid are
   * complete once the version shows the attach. */
  (void)atomic_load_explicit (&l->hdr->version, memory_order_acquire);
  memset (out, 0, sizeof *out);
  out->lane = lane;
  out->kind = l->kind;
  pid = atomic_load_explicit (&l->hdr->pid, memory_order_relaxed);
  out->pid = pid ? pid : l->end_pid;
  out->tid = atomic_load_explicit (&l->hdr->tid, memory_order_relaxed);
  memcpy (out->name, l->name, sizeof out->name);
  out->end = l->end;
  out->exit_code = l->exit_code;
  out->exit_signal = l->exit_signal;
  out->dropped = atomic_load_explicit (&l->hdr->dropped, memory_order_relaxed);
  return 0;
}

static void
report_lane_if_changed (PlabTrace *self, int i)
{
  Lane *l = &self->lanes[i];
  uint32_t v;
  uint64_t dropped;
  PlabLaneInfo info;

  /* A lane whose ring went on reported its last state before. */
  if (l->hdr == NULL)
    return;
  v = atomic_load_explicit (&l->hdr->version, memory_order_acquire) + l->parent_version;
  dropped = atomic_load_explicit (&l->hdr->dropped, memory_order_relaxed);

  if (l->reported && v == l->reported_version && dropped == l->reported_dropped)
    return;
  l->reported = 1;
  l->reported_version = v;
  l->reported_dropped = dropped;
  if (self->sink.lane == NULL)
    return;
  plab_trace_get_lane (self, i, &info);
  self->sink.lane (self->sink.user_data, &info);
}

/* Copies lane @l's open spans into @open. Returns their number, or -1 when
 * the worker was changing them (the next drain tries again). A lane whose
 * worker has ended has none, whatever it left behind. */
static int
read_open (Lane *l, int lane, PlabEvent *open)
{
  LaneHeader *hdr = l->hdr;
  uint32_t seq = atomic_load_explicit (&hdr->open_seq, memory_order_acquire);
  uint32_t depth;
  int n;

  if (seq & 1)
    return -1;
  depth = atomic_load_explicit (&hdr->open_depth, memory_order_relaxed);
  n = depth < PLAB_TRACE_OPEN_MAX ? (int)depth : PLAB_TRACE_OPEN_MAX;
  for (int k = 0; k < n; k++)
    {
      uint64_t words[OPEN_WORDS];

      for (size_t w = 0; w < OPEN_WORDS; w++)
        words[w] = atomic_load_explicit (&hdr->open_slots[k][w], memory_order_relaxed);
      memcpy (&open[k], words, sizeof open[k]);
      open[k].lane = (uint16_t)lane;
      open[k].label[PLAB_LABEL_MAX - 1] = '\0';
    }
  /* Acquire: the copies above are read before open_seq is read again. */
  atomic_thread_fence (memory_order_acquire);
  if (atomic_load_explicit (&hdr->open_seq, memory_order_relaxed) != seq)
    return -1;
  if (l->end != PLAB_LANE_RUNNING)
    return 0;
  return n;
}

/* Removes from @open the spans that end among @events. */
static int
drop_ended (PlabEvent *open, int n_open, const PlabEvent *events, size_t n_events)
{
  for (size_t i = 0; i < n_events && n_open > 0; i++)
    for (int k = 0; k < n_open; k++)
      if (open[k].kind == events[i].kind && open[k].start_ns == events[i].start_ns)
        {
          memmove (&open[k], &open[k + 1], (size_t)(n_open - k - 1) * sizeof *open);
          n_open--;
          break;
        }
  return n_open;
}

static bool
same_open (const PlabEvent *a, size_t n_a, const PlabEvent *b, size_t n_b)
{
  if (n_a != n_b)
    return false;
  for (size_t k = 0; k < n_a; k++)
    if (a[k].kind != b[k].kind || a[k].start_ns != b[k].start_ns || a[k].task_id != b[k].task_id)
      return false;
  return true;
}

static void
report_open (PlabTrace *self, int i, const PlabEvent *open, int n_open)
{
  Lane *l = &self->lanes[i];

  if (n_open < 0 || same_open (l->open, l->n_open, open, (size_t)n_open))
    return;
  memcpy (l->open, open, (size_t)n_open * sizeof *open);
  l->n_open = (size_t)n_open;
  if (self->sink.open != NULL)
    self->sink.open (self->sink.user_data, i, open, (size_t)n_open);
}

/* Turns ring event @e, with its label @label, into @out on lane @lane. */
static inline void
unpack (PlabEvent *out, const RingEvent *e, const Label *label, uint16_t lane)
{
  out->start_ns = e->start_ns;
  out->end_ns = e->end_ns;
  out->task_id = e->task_id;
  out->kind = e->kind;
  out->flow = e->flow;
  out->lane = lane;
  out->item = e->item;
  if (e->has_label)
    {
      memcpy (out->label, label->text, PLAB_LABEL_MAX);
      out->label[PLAB_LABEL_MAX - 1] = '\0';
    }
  else
    memset (out->label, 0, PLAB_LABEL_MAX);
}

/* How many spans ring event @e stands for: 1, or a run's items (kept to
 * 1..PLAB_ITEM_SPANS_MAX whatever the shared memory says). */
static inline size_t
run_length (const RingEvent *e)
{
  if (e->flow != RING_ITEM_RUN)
    return 1;
  if (e->item < 1)
    return 1;
  return e->item > PLAB_ITEM_SPANS_MAX ? PLAB_ITEM_SPANS_MAX : (size_t)e->item;
}

/* Turns run @e into @count task spans at @out, one per item, each an equal
 * share of the run's time; the last ends where the run does. */
static void
unpack_run (PlabEvent *out, const RingEvent *e, size_t count, uint16_t lane)
{
  int64_t share = (e->end_ns - e->start_ns) / (int64_t)count;

  for (size_t j = 0; j < count; j++)
    {
      PlabEvent *o = &out[j];

      o->start_ns = e->start_ns + (int64_t)j * share;
      o->end_ns = j + 1 == count ? e->end_ns : o->start_ns + share;
      o->task_id = e->task_id + (int64_t)j;
      o->kind = e->kind;
      o->flow = PLAB_FLOW_NONE;
      o->lane = lane;
      o->item = -1;
      memset (o->label, 0, PLAB_LABEL_MAX);
    }
}

/* Hands @n unpacked events to the sink and takes those that ended off the
 * open spans; returns the open spans left. */
static int
deliver (PlabTrace *self, const PlabEvent *batch, size_t n, PlabEvent *open, int n_open)
{
  if (n == 0)
    return n_open;
  if (self->sink.events != NULL)
    self->sink.events (self->sink.user_data, batch, n);
  if (n_open > 0)
    n_open = drop_ended (open, n_open, batch, n);
  return n_open;
}

size_t
plab_trace_drain (PlabTrace *self)
{
  PlabEvent batch[DRAIN_BATCH];
  size_t moved = 0;

  if (self == NULL)
    return 0;

  pthread_mutex_lock (&self->drain_lock);
  /* Lanes first, so a sink learns of a lane before its events. */
  for (int i = 0; i < self->n_lanes; i++)
    report_lane_if_changed (self, i);

  for (int i = 0; i < self->n_lanes; i++)
    {
      Lane *l = &self->lanes[i];
      LaneHeader *hdr = l->hdr;
      PlabEvent open[PLAB_TRACE_OPEN_MAX];
      int n_open;
      uint64_t head, tail;

      if (hdr == NULL)
        continue;
      /* The open spans are read before the ring: a span open then whose end
       * is drained below is left out of the set, and one that ends after
       * the ring was read is still open in it. */
      n_open = read_open (l, i, open);
      /* Acquire: the events up to head are fully written. */
      head = atomic_load_explicit (&hdr->head, memory_order_acquire);
      tail = atomic_load_explicit (&hdr->tail, memory_order_relaxed);

      while (tail != head)
        {
          uint64_t start = tail & hdr->mask;
          uint64_t n = head - tail;

          if (start + n > hdr->capacity)
            n = hdr->capacity - start; /* up to the end of the ring; the rest next turn */
          /* The parent's reads are populated ahead too, till the ring wrapped. */
          while (hdr->parent_mapped < start + n)
            {
              populate (l->events, hdr->parent_mapped, hdr->capacity, MADV_POPULATE_READ);
              hdr->parent_mapped += POPULATE_EVENTS;
            }
          if (n > DRAIN_BATCH)
            n = DRAIN_BATCH;
          /* Nobody to read them: the events are only dropped. */
          if (self->sink.events == NULL && n_open <= 0)
            {
              for (uint64_t k = 0; k < n; k++)
                moved += run_length (&l->events[start + k]);
              tail += n;
              continue;
            }
          for (uint64_t k = 0, filled = 0; k < n; k++)
            {
              const RingEvent *e = &l->events[start + k];
              size_t count = run_length (e);

              /* The worker wrote these lines on its CPU: ask for them ahead. */
              if (k + PREFETCH_EVENTS < n)
                __builtin_prefetch (&l->events[start + k + PREFETCH_EVENTS], 0);
              if (filled + count > DRAIN_BATCH)
                {
                  n_open = deliver (self, batch, filled, open, n_open);
                  filled = 0;
                }
              if (e->flow == RING_ITEM_RUN)
                unpack_run (&batch[filled], e, count, (uint16_t)i);
              else
                unpack (&batch[filled], e, &l->labels[start + k], (uint16_t)i);
              filled += count;
              moved += count;
              if (k + 1 == n)
                n_open = deliver (self, batch, filled, open, n_open);
            }
          tail += n;
        }
      /* Release: the worker may reuse the slots only after we are done with them. */
      atomic_store_explicit (&hdr->tail, tail, memory_order_release);
      report_open (self, i, open, n_open);
    }

  /* A drop counter may have moved while draining. */
  for (int i = 0; i < self->n_lanes; i++)
    report_lane_if_changed (self, i);
  if (self->sink.drained != NULL)
    self->sink.drained (self->sink.user_data);
  atomic_store_explicit (&self->last_drain_ns, plab_now_ns (), memory_order_relaxed);
  pthread_mutex_unlock (&self->drain_lock);
  return moved;
}

static void *
watch_main (void *data)
{
  PlabTrace *self = data;

  pthread_mutex_lock (&self->watch_lock);
  while (!self->watch_stop)
    {
      int64_t last = atomic_load_explicit (&self->last_drain_ns, memory_order_relaxed);
      int64_t due = last + self->watch_interval_ns;
      struct timespec ts;

      if (plab_now_ns () >= due)
        {
          pthread_mutex_unlock (&self->watch_lock);
          plab_trace_drain (self);
          pthread_mutex_lock (&self->watch_lock);
          due = plab_now_ns () + self->watch_interval_ns;
        }
      ts.tv_sec = due / 1000000000;
      ts.tv_nsec = due % 1000000000;
      if (!self->watch_stop)
        pthread_cond_timedwait (&self->watch_cond, &self->watch_lock, &ts);
    }
  pthread_mutex_unlock (&self->watch_lock);
  return NULL;
}

int
plab_trace_start_watch (PlabTrace *self, int64_t interval_ns)
{
  if (self == NULL || self->watching)
    return 0;
  self->watch_stop = false;
  self->watch_interval_ns = interval_ns > 0 ? interval_ns : 100000000;
  atomic_store_explicit (&self->last_drain_ns, plab_now_ns (), memory_order_relaxed);
  if (pthread_create (&self->watch_thread, NULL, watch_main, self) != 0)
    return PLAB_ESYS;
  self->watching = true;
  return 0;
}

void
plab_trace_stop_watch (PlabTrace *self)
{
  if (self == NULL || !self->watching)
    return;
  pthread_mutex_lock (&self->watch_lock);
  self->watch_stop = true;
  pthread_cond_signal (&self->watch_cond);
  pthread_mutex_unlock (&self->watch_lock);
  pthread_join (self->watch_thread, NULL);
  self->watching = false;
}

/* The worker's side: populates the block @head falls in when it is the
 * first write there since the attach (the ring's pages stay once it wraps). */
static inline void
populate_ahead (LaneHeader *hdr, uint64_t head)
{
  uint64_t at = head & hdr->mask;

  if (at < cur.populated || cur.populated >= hdr->capacity)
    return;
  populate (cur.events, at & ~(uint64_t)(POPULATE_EVENTS - 1), hdr->capacity, MADV_POPULATE_WRITE);
  cur.populated = (at | (POPULATE_EVENTS - 1)) + 1;
}

/* Reserves the next slot of the calling thread's ring, or returns NULL (not
 * attached, recording off, or full: then the drop is counted). */
static inline RingEvent *
reserve (uint64_t *head_out)
{
  LaneHeader *hdr = cur.lane;
  uint64_t head;

  if (hdr == NULL || !recording_enabled)
    return NULL;
  head = atomic_load_explicit (&hdr->head, memory_order_relaxed);
  if (head - cur.tail_cache >= hdr->capacity)
    {
      /* Only when the cached tail says full do we look at the parent's line. */
      cur.tail_cache = atomic_load_explicit (&hdr->tail, memory_order_acquire);
      if (head - cur.tail_cache >= hdr->capacity)
        {
          atomic_fetch_add_explicit (&hdr->dropped, 1, memory_order_relaxed);
          return NULL;
        }
    }
  populate_ahead (hdr, head);
  /* The line a few events on is fetched for writing now: the ring is far
   * larger than the cache, so every new line would otherwise stall a store. */
  __builtin_prefetch (&cur.events[(head + PREFETCH_EVENTS) & hdr->mask], 1);
  *head_out = head;
  return &cur.events[head & hdr->mask];
}

static inline void
commit (uint64_t head)
{
  /* Release: the parent sees the event complete once it sees the new head. */
  atomic_store_explicit (&cur.lane->head, head + 1, memory_order_release);
}

/* Copies a label, cut to PLAB_LABEL_MAX - 1 bytes on a UTF-8 character
 * boundary: a character cut in half makes the label invalid UTF-8, which
 * CSV and JSON readers refuse. When the byte after the cut continues a
 * character, that whole character is left out. */
static inline void copy_label (char *dst, const char *src);

/* Fills ring event @e and its label slot @slot with @ev's fields and
 * @label (NULL or "" for none); lane is the drain's to fill in. */
static inline void
pack (RingEvent *e, Label *slot, const PlabEvent *ev, const char *label)
{
  e->start_ns = ev->start_ns;
  e->end_ns = ev->end_ns;
  e->task_id = ev->task_id;
  e->item = ev->item;
  e->kind = ev->kind;
  e->flow = ev->flow;
  e->has_label = label != NULL && label[0] != '\0';
  if (e->has_label)
    copy_label (slot->text, label);
}

static inline void
copy_label (char *dst, const char *src)
{
  size_t n = 0;

  if (src != NULL)
    {
      n = strnlen (src, PLAB_LABEL_MAX - 1);
      if (n == PLAB_LABEL_MAX - 1)
        while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
          n--;
      memcpy (dst, src, n);
    }
  dst[n] = '\0';
}

bool
plab_tracing (void)
{
  return cur.lane != NULL && recording_enabled;
}

int64_t
plab_span_begin (PlabSpanKind kind, int64_t task_id, const char *label)
{
  return _plab_span_begin_at (kind, task_id, label, plab_now_ns ());
}

int64_t
_plab_span_begin_at (PlabSpanKind kind, int64_t task_id, const char *label, int64_t now)
{
  LaneHeader *hdr = cur.lane;
  uint32_t depth;
  uint64_t words[OPEN_WORDS];
  size_t n_words;
  PlabEvent e;

  if (hdr == NULL || !recording_enabled)
    return now;
  depth = atomic_load_explicit (&hdr->open_depth, memory_order_relaxed);
  /* Deeper spans are not shown open; they are recorded when they end. */
  if (depth >= PLAB_TRACE_OPEN_MAX)
    return now;
  memset (&e, 0, sizeof e);
  e.start_ns = e.end_ns = now;
  e.task_id = task_id;
  e.kind = (uint8_t)kind;
  e.item = -1;
  copy_label (e.label, label);
  memcpy (words, &e, sizeof words);
  /* Without a label, its first word (all NUL) is all the reader needs. */
  n_words = e.label[0] != '\0' ? OPEN_WORDS : LABEL_WORD + 1;

  open_write_begin (hdr);
  for (size_t w = 0; w < n_words; w++)
    atomic_store_explicit (&hdr->open_slots[depth][w], words[w], memory_order_relaxed);
  atomic_store_explicit (&hdr->open_depth, depth + 1, memory_order_relaxed);
  open_write_end (hdr);
  return now;
}

/* Takes the open span (@kind, @start_ns) off the calling thread's stack, if
 * it is there: usually on top, searched downwards. */
static inline void
end_open (PlabSpanKind kind, int64_t start_ns)
{
  LaneHeader *hdr = cur.lane;
  uint32_t depth;

  if (hdr == NULL)
    return;
  depth = atomic_load_explicit (&hdr->open_depth, memory_order_relaxed);
  for (uint32_t k = depth; k-- > 0;)
    {
      PlabEvent e;
      uint64_t start_word, kind_word;

      /* The worker reads its own slots: no other thread writes them. Only
       * the words holding start_ns and kind are compared. */
      start_word = atomic_load_explicit (&hdr->open_slots[k][START_WORD], memory_order_relaxed);
      kind_word = atomic_load_explicit (&hdr->open_slots[k][KIND_WORD], memory_order_relaxed);
      memcpy ((char *)&e + START_WORD * sizeof (uint64_t), &start_word, sizeof start_word);
      memcpy ((char *)&e + KIND_WORD * sizeof (uint64_t), &kind_word, sizeof kind_word);
      if (e.start_ns != start_ns || e.kind != (uint8_t)kind)
        continue;
      open_write_begin (hdr);
      for (uint32_t j = k + 1; j < depth; j++)
        for (size_t w = 0; w < OPEN_WORDS; w++)
          atomic_store_explicit (&hdr->open_slots[j - 1][w],
                                 atomic_load_explicit (&hdr->open_slots[j][w],
                                                       memory_order_relaxed),
                                 memory_order_relaxed);
      atomic_store_explicit (&hdr->open_depth, depth - 1, memory_order_relaxed);
      open_write_end (hdr);
      return;
    }
}

void
plab_span_forget (PlabSpanKind kind, int64_t start_ns)
{
  end_open (kind, start_ns);
}

void
plab_span (PlabSpanKind kind, int64_t start_ns, int64_t end_ns, int64_t task_id, const char *label)
{
  plab_span_flow (kind, start_ns, end_ns, task_id, label, PLAB_FLOW_NONE, -1);
}

void
plab_span_flow (PlabSpanKind kind,
                int64_t start_ns,
                int64_t end_ns,
                int64_t task_id,
                const char *label,
                PlabFlow flow,
                int32_t item)
{
  uint64_t head;
  RingEvent *e;

  /* The span is recorded before its open mark goes (see plab_trace_drain). */
  e = reserve (&head);
  if (e == NULL)
    {
      end_open (kind, start_ns);
      return;
    }
  pack (e, &cur.labels[head & cur.lane->mask],
        &(PlabEvent){ .start_ns = start_ns,
                      .end_ns = end_ns,
                      .task_id = task_id,
                      .kind = (uint8_t)kind,
                      .flow = (uint8_t)flow,
                      .item = flow != PLAB_FLOW_NONE ? item : -1 },
        label);
  commit (head);
  end_open (kind, start_ns);
}

/* Room in the calling thread's ring for @n more events, at most @n: as in
 * reserve (), the parent's line is read only when the cached tail says
 * there is not enough. */
static inline uint64_t
ring_room (LaneHeader *hdr, uint64_t head, uint64_t n)
{
  uint64_t room = hdr->capacity - (head - cur.tail_cache);

  if (room < n)
    {
      cur.tail_cache = atomic_load_explicit (&hdr->tail, memory_order_acquire);
      room = hdr->capacity - (head - cur.tail_cache);
    }
  return room < n ? room : n;
}

void
_plab_trace_item_spans (const int64_t *task_ids,
                        const char (*labels)[PLAB_LABEL_MAX],
                        size_t n,
                        int64_t start_ns,
                        int64_t end_ns)
{
  LaneHeader *hdr = cur.lane;
  int64_t share;
  uint64_t head, at, written = 0, dropped = 0;

  if (hdr == NULL || !recording_enabled || n == 0 || n > PLAB_ITEM_SPANS_MAX)
    return;
  head = atomic_load_explicit (&hdr->head, memory_order_relaxed);
  share = (end_ns - start_ns) / (int64_t)n;
  for (size_t k = 0, run; k < n; k += run)
    {
      RingEvent *e;

      /* Without labels, items with consecutive task ids are one event. */
      run = 1;
      if (labels == NULL)
        while (k + run < n && task_ids[k + run] == task_ids[k] + (int64_t)run)
          run++;
      if (ring_room (hdr, head + written, 1) == 0)
        {
          dropped += run;
          continue;
        }
      at = (head + written) & hdr->mask;
      populate_ahead (hdr, head + written);
      e = &cur.events[at];
      e->start_ns = start_ns + (int64_t)k * share;
      /* The block's last item ends at the clock read: the remainder is its. */
      e->end_ns = k + run == n ? end_ns : start_ns + (int64_t)(k + run) * share;
      e->task_id = task_ids[k];
      e->kind = PLAB_SPAN_TASK;
      e->flow = run > 1 ? RING_ITEM_RUN : PLAB_FLOW_NONE;
      e->item = run > 1 ? (int32_t)run : -1;
      e->has_label = labels != NULL && labels[k][0] != '\0';
      if (e->has_label)
        copy_label (cur.labels[at].text, labels[k]);
      written++;
    }
  if (dropped > 0)
    atomic_fetch_add_explicit (&hdr->dropped, dropped, memory_order_relaxed);
  if (written > 0)
    atomic_store_explicit (&hdr->head, head + written, memory_order_release);
  /* The next lines are fetched for writing while the next items run: a
   * store to a line not in the cache is most of what an event costs. */
  __builtin_prefetch (&cur.events[(head + written) & hdr->mask], 1);
  __builtin_prefetch (&cur.events[(head + written + 2) & hdr->mask], 1);
}

uint64_t
_plab_trace_written (void)
{
  return cur.lane != NULL ? atomic_load_explicit (&cur.lane->head, memory_order_relaxed) : 0;
}

void
plab_counter (const char *name, int64_t value)
{
  uint64_t head;
  RingEvent *e = reserve (&head);
  int64_t now;

  if (e == NULL)
    return;
  now = plab_now_ns ();
  pack (e, &cur.labels[head & cur.lane->mask],
        &(PlabEvent){ .start_ns = now,
                      .end_ns = now,
                      .task_id = value,
                      .kind = PLAB_SPAN_COUNTER,
                      .flow = PLAB_FLOW_NONE,
                      .item = -1 },
        name);
  commit (head);
}

void
plab_instant (PlabSpanKind kind, const char *label)
{
  int64_t now = plab_now_ns ();

  plab_span (kind, now, now, -1, label);
}

void
plab_trace_set_enabled (bool enabled)
{
  recording_enabled = enabled;
}

void
_plab_trace_append (PlabTrace *self, int lane, const PlabEvent *event)
{
  LaneHeader *hdr;
  uint64_t head, tail;

  if (self == NULL || lane < 0 || lane >= self->n_lanes || self->lanes[lane].hdr == NULL)
    return;
  hdr = self->lanes[lane].hdr;
  head = atomic_load_explicit (&hdr->head, memory_order_relaxed);
  /* Acquire: another thread (the recording's watching one) may drain this
   * lane now, and a slot it freed must be read out before it is reused. */
  tail = atomic_load_explicit (&hdr->tail, memory_order_acquire);
  if (head - tail >= hdr->capacity)
    {
      atomic_fetch_add_explicit (&hdr->dropped, 1, memory_order_relaxed);
      return;
    }
  pack (&self->lanes[lane].events[head & hdr->mask], &self->lanes[lane].labels[head & hdr->mask],
        event, event->label);
  atomic_store_explicit (&hdr->head, head + 1, memory_order_release);
}

void
plab_trace_append (PlabTrace *self, int lane, const PlabEvent *event)
{
  _plab_trace_append (self, lane, event);
}

int64_t
_plab_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
