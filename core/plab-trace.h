/* plab-trace.h: the trace recorder.
 *
 * A PlabTrace is the recording of one run. It has lanes: lane 0 is the main
 * process, every worker (thread or process) gets a lane of its own. A worker
 * attaches to its lane once, then records spans and counter samples into the
 * lane's buffer without locks or system calls: two clock reads and a store.
 * Buffers live in shared memory, so a forked worker records into a buffer the
 * parent can read. The parent drains all buffers into a sink (the run store,
 * the live progress stream) whenever it likes; plab_pool_map () drains while
 * it waits.
 *
 * Times are nanoseconds of CLOCK_MONOTONIC. Events carry absolute times; the
 * trace's origin (plab_trace_origin_ns ()) is its creation time, and the run
 * store keeps times relative to it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a span is. The names (plab_span_kind_name ()) are stored in the run store. */
typedef enum
{
  PLAB_SPAN_TASK = 0,   /* a task of a pool, or any unit of work */
  PLAB_SPAN_LOCK_WAIT,  /* waiting for a lock, semaphore, condition */
  PLAB_SPAN_QUEUE_WAIT, /* waiting on a queue or pipe */
  PLAB_SPAN_GIL_WAIT,   /* waiting for the simulated interpreter lock */
  PLAB_SPAN_SLEEP,      /* sleeping */
  PLAB_SPAN_IO,         /* file or other I/O */
  PLAB_SPAN_SPAWN,      /* a worker starting */
  PLAB_SPAN_EXIT,       /* a worker ending */
  PLAB_SPAN_WAIT,       /* any other wait (barrier, event, join) */
  PLAB_SPAN_CRASH,      /* instant: a worker died abnormally */
  PLAB_SPAN_COUNTER,    /* not a span: a counter sample (see PlabEvent) */
  PLAB_SPAN_CORE_WAIT,  /* runnable, but waiting for a CPU core (recorded by the
                         * recording engine from the kernel's run delay, over
                         * the worker's other spans) */
  PLAB_SPAN_SEND,       /* an MPI rank sending a message (waits until it may go on) */
  PLAB_SPAN_RECV,       /* an MPI rank waiting for a message */
  PLAB_SPAN_COLLECTIVE, /* an MPI rank in a collective (barrier, scatter, gather, reduce) */
  PLAB_N_SPAN_KINDS
} PlabSpanKind;

/* "task", "lock wait", "queue wait", "gil wait", "sleep", "io", "spawn",
 * "exit", "wait", "crash", "counter", "core wait", "send", "receive",
 * "collective". */
const char *plab_span_kind_name (PlabSpanKind kind);

/* Parses a name as printed by plab_span_kind_name (); -1 when unknown. */
int plab_span_kind_from_name (const char *name);

#define PLAB_LABEL_MAX 32

/* How a span moves an item between lanes: a producer's span that ends with
 * the item put on a queue or pipe, and the consumer's span that took it.
 * The timeline draws an arrow from each put to the get of the same item. */
typedef enum
{
  PLAB_FLOW_NONE = 0,
  PLAB_FLOW_PUT,
  PLAB_FLOW_GET,
  PLAB_N_FLOWS
} PlabFlow;

/* "put", "get"; NULL for PLAB_FLOW_NONE and unknown values. */
const char *plab_flow_name (PlabFlow flow);

/* One recorded event, 64 bytes. A span covers [start_ns, end_ns]. A counter
 * sample (kind PLAB_SPAN_COUNTER) has start_ns == end_ns, the counter's name in
 * label and its value in task_id. An instant (crash) has start_ns == end_ns. */
typedef struct
{
  int64_t start_ns;
  int64_t end_ns;
  int64_t task_id;            /* -1 when the span belongs to no task; counter value for counters */
  uint8_t kind;               /* PlabSpanKind */
  uint8_t flow;               /* PlabFlow: the span puts or gets item */
  uint16_t lane;              /* filled in when drained */
  int32_t item;               /* the item a flow span moves; -1 when none */
  char label[PLAB_LABEL_MAX]; /* NUL-terminated, truncated */
} PlabEvent;

typedef enum
{
  PLAB_LANE_MAIN = 0,
  PLAB_LANE_PROCESS,
  PLAB_LANE_THREAD,
} PlabLaneKind;

const char *plab_lane_kind_name (PlabLaneKind kind); /* "main", "process", "thread" */

/* How a lane's worker ended. */
typedef enum
{
  PLAB_LANE_RUNNING = 0, /* still running, or ended normally without a report */
  PLAB_LANE_EXITED,      /* exited; exit_code says how */
  PLAB_LANE_KILLED,      /* killed by signal exit_signal */
} PlabLaneEnd;

#define PLAB_LANE_NAME_MAX 32

typedef struct
{
  int lane;
  PlabLaneKind kind;
  int pid; /* OS process id; 0 until the worker attached */
  int tid; /* OS thread id; 0 until the worker attached */
  char name[PLAB_LANE_NAME_MAX];
  PlabLaneEnd end;
  int exit_code;
  int exit_signal;
  uint64_t dropped; /* events lost because the buffer was full */
} PlabLaneInfo;

typedef struct PlabTrace PlabTrace;

/* Receives what plab_trace_drain () collects. The callbacks run in the
 * draining thread. @lane is called when a lane appears or changes (a worker
 * attached, a worker died); @events with a batch of events of one lane, oldest
 * first; @drained at the end of every drain, even one that found nothing (a
 * pool drains at least every few milliseconds while it waits, so a sink can
 * watch the time there). Any may be NULL. */
typedef struct
{
  void (*lane) (void *user_data, const PlabLaneInfo *lane);
  void (*events) (void *user_data, const PlabEvent *events, size_t n_events);
  void *user_data;
  void (*drained) (void *user_data);
  /* The spans of lane @lane open now (begun with plab_span_begin () and not
   * ended), oldest first, each with end_ns == start_ns; called during a
   * drain when the set changed since the last call, after the lane's drained
   * events (a span ended among them is no longer in the set). @n_open is 0
   * when none is open any more. */
  void (*open) (void *user_data, int lane, const PlabEvent *open, size_t n_open);
} PlabTraceSink;

/* How many nested open spans a lane shows at a time (a task, a wait in it);
 * deeper ones are recorded when they end but not shown while they last. */
#define PLAB_TRACE_OPEN_MAX 4

/* Creates a trace and lane 0 ("main") for the calling thread, which is
 * attached to it. Returns NULL when out of memory. */
PlabTrace *plab_trace_new (void);

/* Detaches the calling thread if it is attached to this trace and frees all
 * buffers. Events not drained are lost. */
void plab_trace_free (PlabTrace *self);

/* Default number of events a lane's buffer holds before it drops events. */
#define PLAB_TRACE_DEFAULT_CAPACITY (1u << 18)

/* Sets the capacity of lanes added from now on (rounded up to a power of two). */
void plab_trace_set_capacity (PlabTrace *self, size_t events);

/* Where plab_trace_drain () delivers events (copied; NULL: discard them). */
void plab_trace_set_sink (PlabTrace *self, const PlabTraceSink *sink);

/* The plab_now_ns () time the trace was created: time 0 of its timeline. */
int64_t plab_trace_origin_ns (const PlabTrace *self);

/* Adds a lane with a shared buffer, for a worker to attach to. Call it in the
 * parent before the fork or thread start. Stores the new lane's index in
 * *lane_out. Returns 0, PLAB_ENOMEM or PLAB_ESYS. */
int plab_trace_add_lane (PlabTrace *self, PlabLaneKind kind, const char *name, int *lane_out);

/* Called by the worker itself (in the new thread, or in the forked child):
 * from now on this thread's events go to @lane. Records pid and tid. */
void plab_trace_attach (PlabTrace *self, int lane);

/* Stops recording in the calling thread. */
void plab_trace_detach (void);

/* The parent records how a lane's worker ended (and the pid, if the worker
 * never got to attach). */
void plab_trace_set_lane_end (PlabTrace *self,
                              int lane,
                              int pid,
                              PlabLaneEnd end,
                              int code,
                              int sig);

/* Appends @event, recorded elsewhere (an MPI rank, on this host or another)
 * and already on this trace's clock, to lane @lane, whose worker never
 * attached: the caller is the lane's one writer. An event that finds the
 * lane's buffer full is counted as dropped. */
void plab_trace_append (PlabTrace *self, int lane, const PlabEvent *event);

/* How many lanes the trace has, main included. */
int plab_trace_n_lanes (const PlabTrace *self);

/* Copies lane @lane's description into *out. Returns 0 or PLAB_EINVAL. */
int plab_trace_get_lane (const PlabTrace *self, int lane, PlabLaneInfo *out);

/* Moves every buffered event of every lane to the sink (or discards it when
 * there is none), and reports changed lanes and open spans. Call from one
 * thread only (the parent's; drains of the watching thread, see
 * plab_trace_start_watch (), take turns with it). Returns the number of
 * events moved. */
size_t plab_trace_drain (PlabTrace *self);

/* Starts a thread that drains the trace every @interval_ns when nobody else
 * has drained for that long, until plab_trace_stop_watch (): for a parent
 * that runs the work in its own thread (the serial backend), so that a
 * reader sees its spans, and the one it is in, while it works. The sink's
 * callbacks then run in that thread or in the caller's, one drain at a time.
 * Returns 0 or PLAB_ESYS. */
int plab_trace_start_watch (PlabTrace *self, int64_t interval_ns);

/* Stops and joins the watching thread (nothing when none runs). */
void plab_trace_stop_watch (PlabTrace *self);

/* --- Recording (any attached thread or process) --- */

/* Durations and timeouts are int64_t nanoseconds everywhere in the library
 * (a negative timeout waits forever, 0 only looks). These write them in the
 * units a person thinks in: plab_future_result (f, &r, PLAB_MS (250)),
 * plab_pool_join (pool, PLAB_SEC (5)). @n is widened before it is scaled, so
 * PLAB_SEC (3) does not overflow an int. */
#define PLAB_MS(n) ((int64_t)(n)*1000000)
#define PLAB_SEC(n) ((int64_t)(n)*1000000000)

/* The monotonic clock in nanoseconds, the time base of every span. */
int64_t _plab_now_ns (void);

#ifdef CLOCK_MONOTONIC
static inline int64_t
plab_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
#else
/* Strict ISO C (cc -std=c11) hides clock_gettime: call the library's copy. */
static inline int64_t
plab_now_ns (void)
{
  return _plab_now_ns ();
}
#endif

/* True when the calling thread is attached to a lane. */
bool plab_tracing (void);

/* Records a span. @label may be NULL; it is truncated to PLAB_LABEL_MAX - 1
 * bytes. Does nothing when the thread is not attached. */
void plab_span (PlabSpanKind kind,
                int64_t start_ns,
                int64_t end_ns,
                int64_t task_id,
                const char *label);

/* Records a span that moves item @item between lanes (@flow PLAB_FLOW_PUT:
 * the span ends with the item handed on; PLAB_FLOW_GET: it begins with the
 * item taken), as plab_span () otherwise. Ids are the caller's: a queue's
 * producers and consumers agree on them (a car's number). */
void plab_span_flow (PlabSpanKind kind,
                     int64_t start_ns,
                     int64_t end_ns,
                     int64_t task_id,
                     const char *label,
                     PlabFlow flow,
                     int32_t item);

/* Marks the beginning of a span of the calling thread, so that a reader
 * draining the trace sees the span while it lasts (the open callback of its
 * sink), and returns the start time (plab_now_ns ()) to pass to plab_span ()
 * or plab_span_forget () when it ends. Costs a clock read and a store into
 * the lane's shared header, no event in its ring: the open span is not
 * recorded, only shown. Spans must end in the reverse order they began on a
 * thread (a wait inside a task ends first). When the thread is not attached,
 * only reads the clock. */
int64_t plab_span_begin (PlabSpanKind kind, int64_t task_id, const char *label);

/* Ends a span begun with plab_span_begin () without recording it (a wait too
 * short to show). plab_span () with the same kind and start ends it too. */
void plab_span_forget (PlabSpanKind kind, int64_t start_ns);

/* Records a counter sample (queue depth, busy workers) at the current time. */
void plab_counter (const char *name, int64_t value);

/* Records an instant event (kind PLAB_SPAN_CRASH and friends) at the current time. */
void plab_instant (PlabSpanKind kind, const char *label);

/* Turns recording off or on for the whole process (on by default), to measure
 * its overhead. */
void plab_trace_set_enabled (bool enabled);

#ifdef __cplusplus
}
#endif
