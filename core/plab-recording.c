/* plab-recording.c: the recording engine (see plab-recording.h).
 *
 * One run goes through these steps, each a function below:
 *
 *   begin_run ()     a trace, the run's row in the store, its journal
 *   run_timed ()     the caller's function between two clock reads; while
 *                    it runs, the pool drains the trace into on_events_cb ()
 *                    (held back, journalled, passed to the live sink) and
 *                    on_drained_cb () (the run's wall time kept up to date,
 *                    stalled workers reported, each worker's waits for a
 *                    core recorded: sample_core_waits ())
 *   judge ()         status, check and error from what the function returned
 *   finish_run ()    the held-back events and the outcome into the store
 *
 * The process model: the engine runs in the runner's main thread, which is
 * also the thread that forks the pool's workers. It starts no thread of its
 * own, so forking stays as safe as the caller left it.
 */
#include "plab-recording.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plab-error.h"
#include "plab-mem.h"
#include "plab-sysinfo.h"

/* Up to 8 Mi events wait for the end of the run: writing them while the
 * workers run stalls the drain, and the workers' buffers overflow. */
#define MAX_PENDING_EVENTS (1u << 23)

/* Held-back events are packed into blocks of this many bytes... */
#define HELD_BLOCK_BYTES (1024 * 1024)
/* ...none of them longer than this: two bytes, five varints of at most ten
 * bytes and up to a whole label with its length. */
#define HELD_RECORD_MAX (2 + 5 * 10 + 1 + PLAB_LABEL_MAX)
/* and are unpacked for the store this many at a time. */
#define UNPACK_BATCH 1024

/* How often the run's wall time in the store is brought up to date. */
#define WALL_UPDATE_NS 1000000000LL

/* How often stalled workers are looked for (it may read /proc). */
#define STALL_CHECK_NS 250000000LL

/* A worker that merely records nothing (it may be waiting for work) is
 * reported only after this many times the stall time, and only when no
 * worker at all recorded anything. */
#define IDLE_FACTOR 8

/* How often the trace is drained on the serial backend while a task runs. */
#define WATCH_INTERVAL_NS 100000000LL

/* How often each worker's run delay (its time runnable but waiting for a
 * core) is read: a small /proc read per worker. The "core wait" spans made
 * from it are placed only as finely as this. */
#define CORE_WAIT_SAMPLE_NS 25000000LL

/* Run delay that grew by less than this between two samples waits for the
 * next one, so that a run is not strewn with slivers of scheduler noise. */
#define CORE_WAIT_MIN_NS 1000000LL

/* The events held back from the store until the run is timed, packed.
 *
 * A PlabEvent is 64 bytes, most of them small numbers and zeros: a ten
 * million span run would hold 640 MB, and more while the array grows. Held
 * back, each event is a record of its kind and flow (a byte each), then as
 * varints its lane, its start less the previous record's start, its length,
 * its task id and its item (the last four zigzag-coded, so that -1 is one
 * byte), then its label's length in a byte and the label's bytes: 10 to 20
 * bytes for a task span. Records go one after another into blocks of
 * HELD_BLOCK_BYTES, each record whole in one block, and are read back in
 * the same order. Differences are taken modulo 2^64, so that any int64
 * comes back exact. */
typedef struct
{
  unsigned char *data;
  size_t used;
} HeldBlock;

typedef struct
{
  HeldBlock *blocks;
  size_t n_blocks;
  size_t blocks_cap;
  size_t n_events;
  int64_t last_start; /* the start of the last record packed */
} Held;

static void held_clear (Held *held);

/* What the engine knows of a lane while the run goes. */
typedef struct
{
  PlabLaneInfo info;
  bool known;
  int64_t last_event_ns; /* the last drain that brought events of this lane */
  bool reported;         /* its stall was reported; cleared by its next event */
  size_t n_open;         /* spans it has begun and not ended */

  /* The worker's run delay as far as it is recorded in core wait spans, and
   * when it was read; delay_known once the first read succeeded. */
  bool delay_known;
  int64_t delay_ns;
  int64_t delay_at_ns;
} LaneWatch;

struct PlabRecording
{
  /* Borrowed */
  PlabStore *store;

  /* Owned */
  Held held;                        /* events held back from the store until the run ends */
  PlabEvent unpacked[UNPACK_BATCH]; /* held events on their way to the store */
  LaneWatch *lanes;
  int lanes_cap;
  char errmsg[512];

  PlabRecordingSink sink;
  int64_t stall_ns;

  /* The run in progress */
  PlabTraceSink store_sink;
  int64_t run_id;
  int64_t t0_ns;
  int64_t cpu0_ns;
  int64_t last_wall_update_ns;
  int64_t last_stall_check_ns;
  int64_t last_any_event_ns;
  bool run_stall_reported;
  int64_t last_core_sample_ns;
  bool sample_main;                /* the work runs in the runner's own thread (serial) */
  PlabMachineLoadProbe load_probe; /* the machine before the run */

  /* Set by the signal handler or plab_recording_cancel (), read by the
   * caller's run function (a pool watches it): 0 while running, else the
   * signal that asked to stop. */
  volatile sig_atomic_t cancel_signal;
};

/* --- Signals --- */

/* The engine signals go to, and the process that installed the handler:
 * both set once before the handler is installed and read only by it. */
static PlabRecording *signal_target;
static pid_t signal_pid;

/* SIGINT and SIGTERM received so far: a second one stops the runner at once.
 * SIGHUP is not counted, since the kernel sends a parent-death signal again
 * for every thread of the dying parent that the runner is handed on to. */
static volatile sig_atomic_t signals_received;

static void
on_signal (int sig)
{
  static const char at_once[] = "plab run: second signal, stopping at once\n";

  /* Workers forked by a pool inherit the handler: in them the signal does
   * what it does by default, so a signal to a worker still ends it. */
  if (getpid () != signal_pid || (signal_target == NULL && signals_received == 0))
    {
      signal (sig, SIG_DFL);
      raise (sig);
      return;
    }
  if (sig != SIGHUP && signals_received++ > 0)
    {
      /* Only async-signal-safe calls here. */
      if (write (STDERR_FILENO, at_once, sizeof at_once - 1) < 0)
        {
        }
      _exit (128 + sig);
    }
  if (signal_target != NULL && signal_target->cancel_signal == 0)
    signal_target->cancel_signal = sig;
}

int
plab_recording_catch_signals (PlabRecording *self)
{
  struct sigaction sa;

  if (self == NULL)
    return PLAB_EINVAL;
  signal_target = self;
  signal_pid = getpid ();
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  /* One handler at a time, so that signals_received counts exactly. */
  sigemptyset (&sa.sa_mask);
  sigaddset (&sa.sa_mask, SIGINT);
  sigaddset (&sa.sa_mask, SIGTERM);
  sigaddset (&sa.sa_mask, SIGHUP);
  if (sigaction (SIGINT, &sa, NULL) != 0 || sigaction (SIGTERM, &sa, NULL) != 0
      || sigaction (SIGHUP, &sa, NULL) != 0)
    return PLAB_ESYS;
  /* A reader of a pipe that goes away must not kill the runner halfway
   * through writing a run: the write fails instead. */
  signal (SIGPIPE, SIG_IGN);
  return 0;
}

void
plab_recording_cancel (PlabRecording *self, int sig)
{
  if (self != NULL && self->cancel_signal == 0)
    self->cancel_signal = sig;
}

int
plab_recording_cancelled (PlabRecording *self)
{
  return self != NULL ? self->cancel_signal : 0;
}

const char *
plab_recording_cancel_reason (int sig)
{
  switch (sig)
    {
    case SIGHUP:
      return " by SIGHUP: the terminal or the lab window that started the run went away";
    case SIGTERM:
      return " by SIGTERM";
    case SIGINT:
      return " by SIGINT";
    default:
      return "";
    }
}

/* --- The engine --- */

int
plab_recording_new (PlabStore *store, PlabRecording **out)
{
  PlabRecording *self;

  if (out == NULL)
    return PLAB_EINVAL;
  *out = NULL;
  if (store == NULL)
    return PLAB_EINVAL;
  self = calloc (1, sizeof *self);
  if (self == NULL)
    return PLAB_ENOMEM;
  self->store = store;
  self->stall_ns = PLAB_RECORDING_STALL_NS;
  *out = self;
  return 0;
}

void
plab_recording_free (PlabRecording *self)
{
  if (self == NULL)
    return;
  if (signal_target == self)
    {
      /* After a first SIGINT or SIGTERM the handler stays: the runner is on
       * its way out, and a second signal still ends it with 128 + the signal
       * rather than killing it before it has said what it recorded. */
      signal_target = NULL;
      if (signals_received == 0)
        {
          signal (SIGINT, SIG_DFL);
          signal (SIGTERM, SIG_DFL);
          signal (SIGHUP, SIG_DFL);
        }
    }
  held_clear (&self->held);
  PLAB_FREE_ALL (self->lanes, self);
}

void
plab_recording_set_sink (PlabRecording *self, const PlabRecordingSink *sink)
{
  if (sink != NULL)
    self->sink = *sink;
  else
    memset (&self->sink, 0, sizeof self->sink);
}

void
plab_recording_set_stall_ns (PlabRecording *self, int64_t ns)
{
  self->stall_ns = ns > 0 ? ns : PLAB_RECORDING_STALL_NS;
}

const char *
plab_recording_errmsg (PlabRecording *self)
{
  return self->errmsg;
}

void
plab_recording_outcome_clear (PlabRecordingOutcome *outcome)
{
  if (outcome == NULL)
    return;
  PLAB_FREE_ALL (outcome->check, outcome->error, outcome->result_json);
  memset (outcome, 0, sizeof *outcome);
}

static char *
text_printf (const char *format, ...)
{
  va_list ap;
  char *text = NULL;

  va_start (ap, format);
  if (vasprintf (&text, format, ap) < 0)
    text = NULL;
  va_end (ap);
  return text;
}

/* Keeps what the store said about its failed call @rc. */
static void
keep_store_error (PlabRecording *self, int rc)
{
  const char *detail = plab_store_errmsg (self->store);

  snprintf (self->errmsg, sizeof self->errmsg, "%s",
            detail != NULL && detail[0] != '\0' ? detail : plab_strerror (rc));
}

static void
notice (PlabRecording *self, const char *format, ...)
{
  char message[768];
  va_list ap;

  if (self->sink.notice == NULL)
    return;
  va_start (ap, format);
  vsnprintf (message, sizeof message, format, ap);
  va_end (ap);
  self->sink.notice (self->sink.user_data, message);
}

/* --- Held-back events --- */

static unsigned char *
put_varint (unsigned char *p, uint64_t v)
{
  while (v >= 0x80)
    {
      *p++ = (unsigned char)(v | 0x80);
      v >>= 7;
    }
  *p++ = (unsigned char)v;
  return p;
}

static const unsigned char *
get_varint (const unsigned char *p, uint64_t *v)
{
  uint64_t value = 0;

  for (int shift = 0; shift < 64; shift += 7)
    {
      value |= (uint64_t)(*p & 0x7f) << shift;
      if (!(*p++ & 0x80))
        break;
    }
  *v = value;
  return p;
}

/* Zigzag: 0, -1, 1, -2 ... as 0, 1, 2, 3 ..., so that small negative
 * numbers take one byte. */
static unsigned char *
put_signed (unsigned char *p, int64_t v)
{
  return put_varint (p, v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1);
}

static const unsigned char *
get_signed (const unsigned char *p, int64_t *v)
{
  uint64_t u;

  p = get_varint (p, &u);
  *v = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
  return p;
}

/* The difference @b - @a modulo 2^64, as a signed number. */
static int64_t
wrapping_diff (int64_t b, int64_t a)
{
  return (int64_t)((uint64_t)b - (uint64_t)a);
}

static int64_t
wrapping_add (int64_t a, int64_t d)
{
  return (int64_t)((uint64_t)a + (uint64_t)d);
}

static void
held_clear (Held *held)
{
  for (size_t i = 0; i < held->n_blocks; i++)
    free (held->blocks[i].data);
  free (held->blocks);
  memset (held, 0, sizeof *held);
}

/* Packs @e after the records held; false when out of memory (nothing is
 * then added). */
static bool
held_add (Held *held, const PlabEvent *e)
{
  HeldBlock *block = held->n_blocks > 0 ? &held->blocks[held->n_blocks - 1] : NULL;
  size_t label_len = strnlen (e->label, sizeof e->label);
  unsigned char *p;

  if (block == NULL || block->used + HELD_RECORD_MAX > HELD_BLOCK_BYTES)
    {
      if (held->n_blocks == held->blocks_cap)
        {
          size_t cap = held->blocks_cap ? 2 * held->blocks_cap : 16;
          HeldBlock *grown = realloc (held->blocks, cap * sizeof *grown);

          if (grown == NULL)
            return false;
          held->blocks = grown;
          held->blocks_cap = cap;
        }
      block = &held->blocks[held->n_blocks];
      block->data = malloc (HELD_BLOCK_BYTES);
      block->used = 0;
      if (block->data == NULL)
        return false;
      held->n_blocks++;
    }
  p = block->data + block->used;
  *p++ = e->kind;
  *p++ = e->flow;
  p = put_varint (p, e->lane);
  p = put_signed (p, wrapping_diff (e->start_ns, held->last_start));
  p = put_signed (p, wrapping_diff (e->end_ns, e->start_ns));
  p = put_signed (p, e->task_id);
  p = put_signed (p, e->item);
  *p++ = (unsigned char)label_len;
  memcpy (p, e->label, label_len);
  p += label_len;
  block->used = (size_t)(p - block->data);
  held->last_start = e->start_ns;
  held->n_events++;
  return true;
}

/* Where the reading of the held records is: hands them to the store a
 * batch at a time (a PlabStoreEventBatches). */
typedef struct
{
  PlabRecording *self;
  size_t block;
  size_t offset;
  int64_t last_start;
} HeldReader;

static const PlabEvent *
held_next_cb (void *user_data, size_t *n_out)
{
  HeldReader *r = user_data;
  const Held *held = &r->self->held;
  PlabEvent *batch = r->self->unpacked;
  size_t n = 0;

  while (n < UNPACK_BATCH && r->block < held->n_blocks)
    {
      const HeldBlock *block = &held->blocks[r->block];
      const unsigned char *p = block->data + r->offset;
      PlabEvent *e = &batch[n++];
      uint64_t lane;
      int64_t v;

      memset (e, 0, sizeof *e);
      e->kind = *p++;
      e->flow = *p++;
      p = get_varint (p, &lane);
      e->lane = (uint16_t)lane;
      p = get_signed (p, &v);
      e->start_ns = wrapping_add (r->last_start, v);
      p = get_signed (p, &v);
      e->end_ns = wrapping_add (e->start_ns, v);
      p = get_signed (p, &e->task_id);
      p = get_signed (p, &v);
      e->item = (int32_t)v;
      memcpy (e->label, p + 1, *p);
      p += 1 + *p;
      r->last_start = e->start_ns;
      r->offset = (size_t)(p - block->data);
      if (r->offset >= block->used)
        {
          r->block++;
          r->offset = 0;
        }
    }
  *n_out = n;
  return n > 0 ? batch : NULL;
}

/* Writes the held-back events to the store in one transaction, then starts
 * the run's journal afresh: everything it held is in the store now. */
static void
flush_pending (PlabRecording *self)
{
  HeldReader reader = { self, 0, 0, 0 };

  if (self->held.n_events == 0)
    return;
  plab_store_sink_add_batches (self->store, held_next_cb, &reader);
  if (plab_store_sink_error (self->store) == 0)
    plab_store_journal_reset (self->store);
  held_clear (&self->held);
}

static void
hold_events (PlabRecording *self, const PlabEvent *events, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!held_add (&self->held, &events[i]))
      {
        /* No memory to hold them: they go to the store now, inside the
         * measured time, rather than be lost. */
        flush_pending (self);
        self->store_sink.events (self->store_sink.user_data, events + i, n - i);
        return;
      }
  if (self->held.n_events >= MAX_PENDING_EVENTS)
    flush_pending (self);
}

/* Events for the store and the live sink: journalled and held back now,
 * written once the run is timed. */
static void
keep_events (PlabRecording *self, const PlabEvent *events, size_t n_events)
{
  /* Writing spans to SQLite costs about a microsecond each. Done while the
   * run goes, that cost would land inside the measured time, and on the
   * serial backend (where the pool drains between items) on the critical
   * path. So events wait in memory and go to the store after the run has
   * been timed. The journal keeps a copy on disk (one write () per batch)
   * for the case the runner is killed before then. */
  plab_store_journal_append (self->store, events, n_events);
  hold_events (self, events, n_events);
  if (self->sink.events)
    self->sink.events (self->sink.user_data, events, n_events);
}

/* --- Watching the workers --- */

static LaneWatch *
lane_watch (PlabRecording *self, int lane)
{
  if (lane < 0)
    return NULL;
  if (lane >= self->lanes_cap)
    {
      int cap = self->lanes_cap ? self->lanes_cap : 16;
      LaneWatch *grown;

      while (cap <= lane)
        cap *= 2;
      grown = realloc (self->lanes, (size_t)cap * sizeof *grown);
      if (grown == NULL)
        return NULL;
      memset (grown + self->lanes_cap, 0, (size_t)(cap - self->lanes_cap) * sizeof *grown);
      self->lanes = grown;
      self->lanes_cap = cap;
    }
  return &self->lanes[lane];
}

/* Whether the thread @tid of process @pid is stopped (SIGSTOP, a debugger):
 * the state letter of /proc/PID/task/TID/stat is T or t. */
static bool
is_stopped (int pid, int tid)
{
  char path[64];
  char buf[512];
  const char *paren;
  size_t n;
  FILE *f;

  if (pid <= 0)
    return false;
  if (tid > 0)
    snprintf (path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
  else
    snprintf (path, sizeof path, "/proc/%d/stat", pid);
  f = fopen (path, "re");
  if (f == NULL)
    return false;
  n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  /* "PID (COMM) S ...": COMM may hold blanks and parentheses. */
  paren = strrchr (buf, ')');
  return paren != NULL && paren[1] == ' ' && (paren[2] == 'T' || paren[2] == 't');
}

static void
check_stalls (PlabRecording *self, int64_t now)
{
  if (now - self->last_stall_check_ns < STALL_CHECK_NS)
    return;
  self->last_stall_check_ns = now;

  for (int i = 1; i < self->lanes_cap; i++)
    {
      LaneWatch *w = &self->lanes[i];
      int64_t idle = now - w->last_event_ns;

      if (!w->known || w->reported || w->info.end != PLAB_LANE_RUNNING || idle < self->stall_ns)
        continue;
      if (is_stopped (w->info.pid, w->info.kind == PLAB_LANE_THREAD ? w->info.tid : 0))
        {
          w->reported = true;
          if (self->sink.stalled)
            self->sink.stalled (self->sink.user_data, &w->info, idle, true);
        }
    }

  /* A worker inside a span it began (a long task, a sleep) is busy, not
   * idle. */
  for (int i = 0; i < self->lanes_cap; i++)
    if (self->lanes[i].n_open > 0 && self->lanes[i].info.end == PLAB_LANE_RUNNING)
      self->last_any_event_ns = now;

  if (!self->run_stall_reported && now - self->last_any_event_ns >= IDLE_FACTOR * self->stall_ns)
    {
      self->run_stall_reported = true;
      if (self->sink.stalled)
        self->sink.stalled (self->sink.user_data, NULL, now - self->last_any_event_ns, false);
    }
}

/* --- Waiting for a core --- */

/* Reads the run delay of every running worker (and of the runner's own
 * thread when the work runs there) at most every CORE_WAIT_SAMPLE_NS, or now
 * when @force, and turns its growth into "core wait" spans on the worker's
 * lane. Growth d since the last span, which ended at t0, read at t1 becomes
 * the span [t1 - min (d, t1 - t0), t1]: the lane's core wait time adds up to
 * its measured run delay, but where it lies is only known as finely as the
 * sampling, so the span is put at the end of the interval. The delay before
 * a worker's first read, and after its last (a worker that ended is gone
 * from /proc), is not recorded. Where the kernel keeps no
 * schedstat, nothing is recorded and nothing fails. */
static void
sample_core_waits (PlabRecording *self, int64_t now, bool force)
{
  /* Between full samples, a worker that appeared since is read at once, so
   * that little of its waiting goes before its first read. */
  bool full = force || now - self->last_core_sample_ns >= CORE_WAIT_SAMPLE_NS;

  if (full)
    self->last_core_sample_ns = now;
  for (int i = 0; i < self->lanes_cap; i++)
    {
      LaneWatch *w = &self->lanes[i];
      PlabEvent ev;
      int64_t delay, t, grown, len;

      if (!w->known || w->info.pid <= 0 || w->info.end != PLAB_LANE_RUNNING)
        continue;
      if ((i == 0 && !self->sample_main) || (w->delay_known && !full))
        continue;
      if (plab_sched_run_delay (w->info.pid, w->info.tid, &delay) != 0)
        continue;
      t = plab_now_ns ();
      if (!w->delay_known)
        {
          w->delay_known = true;
          w->delay_ns = delay;
          w->delay_at_ns = t;
          continue;
        }
      grown = delay - w->delay_ns;
      if (grown < CORE_WAIT_MIN_NS)
        continue;
      /* The kernel adds a wait to the run delay when it ends: growth may
       * hold a wait begun before the last span, longer than the time since.
       * What does not fit waits for the next sample, so that spans never
       * overlap and their sum stays the run delay. */
      len = grown < t - w->delay_at_ns ? grown : t - w->delay_at_ns;
      w->delay_ns += len;
      w->delay_at_ns = t;
      if (len <= 0)
        continue;
      memset (&ev, 0, sizeof ev);
      ev.start_ns = t - len;
      ev.end_ns = t;
      ev.task_id = -1;
      ev.kind = PLAB_SPAN_CORE_WAIT;
      ev.item = -1;
      ev.lane = (uint16_t)i;
      keep_events (self, &ev, 1);
    }
}

/* --- The trace sink --- */

static void
on_lane_cb (void *user_data, const PlabLaneInfo *lane)
{
  PlabRecording *self = user_data;
  LaneWatch *w = lane_watch (self, lane->lane);

  if (w != NULL)
    {
      if (!w->known)
        w->last_event_ns = plab_now_ns ();
      w->info = *lane;
      w->known = true;
    }
  self->store_sink.lane (self->store_sink.user_data, lane);
  if (self->sink.lane)
    self->sink.lane (self->sink.user_data, lane);
}

static void
on_events_cb (void *user_data, const PlabEvent *events, size_t n_events)
{
  PlabRecording *self = user_data;
  int64_t now = plab_now_ns ();
  LaneWatch *w;

  if (n_events == 0)
    return;
  w = lane_watch (self, events[0].lane);
  if (w != NULL)
    {
      w->last_event_ns = now;
      w->reported = false;
    }
  self->last_any_event_ns = now;
  self->run_stall_reported = false;
  keep_events (self, events, n_events);
}

/* Open spans go to the live sink only: the store gets each span when it
 * ends. */
static void
on_open_cb (void *user_data, int lane, const PlabEvent *open, size_t n_open)
{
  PlabRecording *self = user_data;
  LaneWatch *w = lane_watch (self, lane);

  if (w != NULL)
    w->n_open = n_open;
  if (self->sink.open)
    self->sink.open (self->sink.user_data, lane, open, n_open);
}

static void
on_drained_cb (void *user_data)
{
  PlabRecording *self = user_data;
  int64_t now = plab_now_ns ();

  /* The run's wall time so far, so that a runner killed now leaves a run
   * that says how long it ran. One small UPDATE a second. */
  if (now - self->last_wall_update_ns >= WALL_UPDATE_NS)
    {
      /* Best effort: a store locked by another runner skips this second. */
      plab_store_note_progress (self->store, self->run_id, now - self->t0_ns,
                                plab_cpu_time_ns () - self->cpu0_ns);
      self->last_wall_update_ns = now;
    }
  check_stalls (self, now);
  sample_core_waits (self, now, false);
  if (self->sink.drained)
    self->sink.drained (self->sink.user_data);
}

/* --- One run --- */

/* Whether a failed write's message (strerror text) says the disk or the
 * file size limit has no room left. */
static bool
no_room (const char *message)
{
  return message != NULL
         && (strstr (message, strerror (ENOSPC)) != NULL
             || strstr (message, strerror (EFBIG)) != NULL
             || strstr (message, strerror (EDQUOT)) != NULL);
}

static int
begin_run (PlabRecording *self,
           const PlabRecordingConfig *config,
           PlabTrace *trace,
           PlabRecordingOutcome *outcome)
{
  PlabTraceSink sink = {
    .lane = on_lane_cb,
    .events = on_events_cb,
    .user_data = self,
    .drained = on_drained_cb,
    .open = on_open_cb,
  };
  PlabRunSpec spec = { 0 };
  int rc;

  spec.demo = config->demo;
  spec.backend = config->backend;
  spec.workers = config->workers;
  spec.params_json = config->params_json;
  spec.seed = config->seed;
  spec.sweep_id = config->sweep_id;
  spec.repeat = config->repeat;
  spec.origin_ns = plab_trace_origin_ns (trace);
  rc = plab_store_begin_run (self->store, &spec, &outcome->run_id);
  if (rc != 0)
    {
      keep_store_error (self, rc);
      outcome->run_id = 0;
      return rc;
    }
  self->run_id = outcome->run_id;

  plab_store_sink_init (self->store, self->run_id, &self->store_sink);
  rc = plab_store_journal_begin (self->store, self->run_id);
  /* Without room on the disk the store's own writes fail as well, and that
   * one line says it all; otherwise the run goes on, unprotected, and the
   * user is told. */
  if (rc != 0 && !no_room (plab_store_errmsg (self->store)))
    notice (self, "no journal for run %lld (%s): if the runner is killed, its spans are lost",
            (long long)self->run_id, plab_store_errmsg (self->store));

  /* No lanes are known before the first run (memset of NULL is undefined,
   * even for no bytes). */
  if (self->lanes != NULL)
    memset (self->lanes, 0, (size_t)self->lanes_cap * sizeof *self->lanes);
  held_clear (&self->held);
  plab_trace_set_sink (trace, &sink);
  if (self->sink.run_begin)
    self->sink.run_begin (self->sink.user_data, self->run_id, config, spec.origin_ns);
  return 0;
}

/* Calls the run function between two clock reads; returns what it returned. */
static int
run_timed (PlabRecording *self,
           const PlabRecordingConfig *config,
           PlabTrace *trace,
           PlabRecordingReport *report,
           PlabRecordingOutcome *outcome)
{
  int rc;

  /* Outside the measured time: reading /proc costs tens of microseconds. */
  plab_machine_load_begin (&self->load_probe);
  self->cpu0_ns = plab_cpu_time_ns ();
  self->t0_ns = plab_now_ns ();
  self->last_wall_update_ns = self->t0_ns;
  self->last_stall_check_ns = self->t0_ns;
  self->last_any_event_ns = self->t0_ns;
  self->run_stall_reported = false;
  self->last_core_sample_ns = self->t0_ns;
  /* While the work runs in this thread it cannot drain the trace: on the
   * serial backend for every task, elsewhere for whatever a demo does on
   * its own lane before or after its pool (chef's for loop). A watching
   * thread drains whenever no drain came for WATCH_INTERVAL_NS, so that the
   * live reader sees the task it is in; a pool draining while it waits
   * leaves it idle. Only on serial is the runner's own waiting for a core
   * the run's: elsewhere its thread mostly watches the workers. */
  self->sample_main = config->backend != NULL && strcmp (config->backend, "serial") == 0;
  plab_trace_start_watch (trace, WATCH_INTERVAL_NS);
  {
    /* The run function's own thread watches the cancel flag, so that its
     * CPU loops and blocking calls end as a pool's workers do. */
    const volatile sig_atomic_t *watched = plab_cancel_watch (&self->cancel_signal);

    rc = config->func (config->user_data, trace, &self->cancel_signal, report);
    plab_cancel_watch (watched);
  }
  plab_trace_stop_watch (trace);
  outcome->wall_ns = plab_now_ns () - self->t0_ns;
  outcome->cpu_ns = plab_cpu_time_ns () - self->cpu0_ns;
  plab_machine_load_end (&self->load_probe, &outcome->load);

  /* The last of the runner's own waiting for a core, while its lane still
   * runs; workers still there give theirs too. */
  sample_core_waits (self, plab_now_ns (), true);

  /* The main lane ends with the run: the runner itself goes on to the next. */
  plab_trace_set_lane_end (trace, 0, getpid (), PLAB_LANE_EXITED, 0, 0);
  plab_trace_drain (trace);
  flush_pending (self);
  return rc;
}

/* The outcome. A run is ok only when it ran and its own check passed; a
 * check that fails makes the run failed with check_ok false. */
static void
judge (PlabRecording *self,
       int rc,
       const PlabRecordingReport *report,
       PlabRecordingOutcome *outcome)
{
  const char *check = report->check_message;

  outcome->check_ok = report->check_ok;
  if (self->cancel_signal != 0 || rc == PLAB_ECANCELLED)
    {
      outcome->status = PLAB_RUN_CANCELLED;
      outcome->check_ok = false;
      outcome->error
          = text_printf ("cancelled%s", plab_recording_cancel_reason (self->cancel_signal));
      if (!check[0])
        check = "not checked: the run was cancelled";
    }
  else if (rc != 0)
    {
      outcome->status = PLAB_RUN_FAILED;
      outcome->check_ok = false;
      outcome->error = strdup (report->error[0] ? report->error : plab_strerror (rc));
      if (!check[0])
        check = "not checked: the run failed";
    }
  else if (!report->check_ok)
    {
      outcome->status = PLAB_RUN_FAILED;
      outcome->error
          = report->error[0] ? strdup (report->error) : text_printf ("check failed: %s", check);
    }
  else
    outcome->status = PLAB_RUN_OK;
  outcome->check = strdup (check);
  outcome->result_json = strdup (report->result_json ? report->result_json : "{}");

  /* A run whose timeline did not all reach the store (the disk filled up,
   * another program kept the store locked) is not ok, whatever the run
   * function says: its spans are missing, and a reader must not take it for
   * whole. */
  outcome->store_error = plab_store_sink_error (self->store);
  if (outcome->store_error != 0)
    {
      keep_store_error (self, outcome->store_error);
      if (outcome->status == PLAB_RUN_OK)
        outcome->status = PLAB_RUN_FAILED;
      free (outcome->error);
      outcome->error = text_printf ("part of the run's timeline could not be written to the run "
                                    "store: %s",
                                    self->errmsg);
    }
}

/* Writes the outcome. The journal goes once the run's end is recorded; when
 * that failed, the run stays "running" and the journal with it: the next open
 * for writing imports what it holds and marks the run failed. */
static int
finish_run (PlabRecording *self, PlabRecordingOutcome *outcome)
{
  PlabRunOutcome end = { 0 };
  int rc;

  end.status = outcome->status;
  end.wall_ns = outcome->wall_ns;
  end.cpu_ns = outcome->cpu_ns;
  end.result_json = outcome->result_json;
  end.check_ok = outcome->check_ok;
  end.check_message = outcome->check;
  end.error = outcome->error;
  end.load = &outcome->load;
  rc = plab_store_finish_run (self->store, self->run_id, &end);
  if (rc != 0)
    {
      keep_store_error (self, rc);
      return rc;
    }
  plab_store_journal_end (self->store);
  outcome->recorded = true;
  return 0;
}

int
plab_recording_run (PlabRecording *self,
                    const PlabRecordingConfig *config,
                    PlabRecordingOutcome *outcome)
{
  PlabRecordingReport report;
  PlabTrace *trace = NULL;
  int rc;

  memset (outcome, 0, sizeof *outcome);
  self->errmsg[0] = '\0';
  if (config == NULL || config->func == NULL || config->demo == NULL || config->backend == NULL)
    return PLAB_EINVAL;
  memset (&report, 0, sizeof report);

  trace = plab_trace_new ();
  if (trace == NULL)
    {
      snprintf (self->errmsg, sizeof self->errmsg, "%s", plab_strerror (PLAB_ENOMEM));
      return PLAB_ENOMEM;
    }
  rc = begin_run (self, config, trace, outcome);
  if (rc != 0)
    goto fail;

  rc = run_timed (self, config, trace, &report, outcome);
  judge (self, rc, &report, outcome);
  rc = finish_run (self, outcome);
  if (rc == 0)
    rc = outcome->store_error;
  if (self->sink.run_end)
    self->sink.run_end (self->sink.user_data, outcome);

fail:
  plab_trace_set_sink (trace, NULL);
  plab_trace_free (trace);
  free (report.result_json);
  self->run_id = 0;
  return rc;
}
