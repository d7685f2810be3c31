/* plab-demo-crew.c: workers that are not a pool, and the small tools the demos
 * share (waiting that notices a stop, calibrated CPU work, shared memory).
 *
 * A pool hides its workers; many classic examples do not use one. The chef
 * starts one process per task, the car factory runs producers and consumers,
 * the painters meet at a barrier. A crew gives those demos the same guarantees
 * the pool gives: every worker records on a lane of its own, the trace is
 * drained while the parent waits, and a cancelled run stops within a second,
 * however its workers are blocked.
 */
#include "plab-demo-private.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define CREW_MAX 256
#define JOIN_TICK_NS 2000000     /* how often a join looks at its workers */
#define STOP_GRACE_NS 700000000  /* then SIGTERM to processes that did not stop */
#define KILL_GRACE_NS 1200000000 /* then SIGKILL */
#define WAIT_SLICE_NS 50000000   /* a stop is noticed within this while waiting */
#define SPIN_BLOCK 65536         /* rounds of CPU work between looks at the stop flag */
#define CALIBRATION_ROUNDS (1u << 22)

/* What the workers and the parent share. Lives in a shared anonymous mapping,
 * so forked workers see the parent's stop flag. stop goes from 0 to 1 once and
 * never back, written and read with __atomic builtins; it is the cancel flag
 * every thread and process worker watches (plab_cancel_watch ()), so their
 * blocking calls and CPU loops end once it is up. done[i] is set by thread
 * worker i when its function returned (processes are watched through their
 * exit status instead). */
typedef struct
{
  volatile sig_atomic_t stop;
  _Atomic int done[CREW_MAX];
  int rc[CREW_MAX]; /* written by thread worker i before done[i] */
} CrewShared;

typedef struct
{
  PlabCrew *crew;
  int index;
  int lane;
  PlabCrewFunc func;
  void *arg;
  char name[PLAB_LANE_NAME_MAX];

  /* Exactly one of these, by backend. */
  PlabProcess *process;
  pthread_t thread;
  bool thread_started;

  bool joined;
  int result; /* 0, or PLAB_ETASK once the worker failed */
} CrewWorker;

struct PlabCrew
{
  PlabDemoRun *run; /* borrowed */
  PlabBackend backend;
  CrewShared *sh;
  PlabGil *gil; /* gil backend only */
  /* The workers' slots (_plab_crew_limit ()): a worker holds one while its
   * function runs, so at most as many functions run at once as the
   * semaphore started with. NULL: no limit. */
  PlabSemaphore *slots;
  CrewWorker *workers[CREW_MAX];
  int n_workers;
  int64_t stop_ns; /* when the stop flag went up; 0 while running */
  bool failed;     /* it went up because a worker failed, not for a cancel */
  void (*poke) (void *user_data);
  void *poke_data;
};

/* --- Shared memory --- */

void *
_plab_demo_shared_new (size_t size)
{
  void *data;

  if (size == 0)
    size = 1;
  data = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return data == MAP_FAILED ? NULL : data;
}

void
_plab_demo_shared_free (void *data, size_t size)
{
  if (data != NULL)
    munmap (data, size ? size : 1);
}

/* --- The crew --- */

PlabCrew *
_plab_crew_new (PlabDemoRun *run)
{
  PlabCrew *self = calloc (1, sizeof *self);

  if (self == NULL)
    goto fail;
  self->run = run;
  self->backend = run->backend;
  self->sh = _plab_demo_shared_new (sizeof *self->sh);
  if (self->sh == NULL)
    goto fail;
  if (self->backend == PLAB_BACKEND_GIL)
    {
      self->gil = plab_gil_new (0);
      if (self->gil == NULL)
        goto fail;
    }
  return self;

fail:
  snprintf (run->error, sizeof run->error, "out of memory for the workers");
  if (self)
    {
      _plab_demo_shared_free (self->sh, sizeof *self->sh);
      free (self);
    }
  return NULL;
}

void
_plab_crew_set_poke (PlabCrew *self, void (*poke) (void *user_data), void *user_data)
{
  self->poke = poke;
  self->poke_data = user_data;
}

bool
_plab_crew_stopping (PlabCrew *self)
{
  if (self == NULL)
    return false;
  if (__atomic_load_n (&self->sh->stop, __ATOMIC_RELAXED))
    return true;
  /* On the serial backend the worker is the runner itself, which sees the
   * cancel flag directly. Other workers only look at the stop flag: the
   * cancel flag is a sig_atomic_t set by a signal handler on the runner's
   * side, which another thread may not read while it changes (and a forked
   * worker only has a copy); watch_cancel () passes it on as the stop flag. */
  return self->backend == PLAB_BACKEND_SERIAL && self->run->cancel != NULL
         && *self->run->cancel != 0;
}

int
_plab_crew_count (const PlabCrew *self)
{
  return self->n_workers;
}

int
_plab_crew_limit (PlabCrew *self, int slots)
{
  /* On the serial backend the functions run one after another anyway. */
  if (self->backend == PLAB_BACKEND_SERIAL || slots < 1 || self->slots != NULL)
    return 0;
  self->slots = plab_semaphore_new ("workers", (unsigned)slots, 0);
  if (self->slots == NULL)
    {
      snprintf (self->run->error, sizeof self->run->error, "out of memory for the worker slots");
      return PLAB_ENOMEM;
    }
  return 0;
}

/* Runs the worker's function in one of the crew's slots, when it has them.
 * The wait for a slot watches the stop flag, so a stopped run (a cancel, or
 * a worker that died holding its slot) ends the wait; the worker then
 * returns without running its function, as a stopped worker does. */
/* The index of the worker whose function runs on this thread (-1: none).
 * Each thread and each worker process runs one worker's function at a time,
 * so a thread-local variable is enough; the serial backend sets it around
 * its call on the calling thread. */
static _Thread_local int current_index = -1;

static int
call_worker (CrewWorker *w)
{
  int outer = current_index;
  int rc;

  current_index = w->index;
  rc = w->func (w->crew, w->arg);
  current_index = outer;
  return rc;
}

int
_plab_crew_index (PlabCrew *self)
{
  (void)self;
  return current_index;
}

static int
run_in_slot (CrewWorker *w)
{
  PlabSemaphore *slots = w->crew->slots;
  int rc;

  if (slots != NULL && plab_semaphore_acquire (slots, -1) != 0)
    return 1;
  rc = call_worker (w);
  if (slots != NULL)
    plab_semaphore_release (slots);
  return rc;
}

static int
process_main (void *data)
{
  CrewWorker *w = data;

  plab_cancel_watch (&w->crew->sh->stop);
  return run_in_slot (w);
}

static void *
thread_main (void *data)
{
  CrewWorker *w = data;
  PlabCrew *crew = w->crew;
  int rc;

  plab_cancel_watch (&crew->sh->stop);
  plab_trace_attach (crew->run->trace, w->lane);
  if (crew->gil)
    plab_gil_attach (crew->gil);
  rc = run_in_slot (w);
  if (crew->gil)
    plab_gil_detach ();
  plab_instant (PLAB_SPAN_EXIT, "exit");
  plab_trace_detach ();
  crew->sh->rc[w->index] = rc;
  atomic_store_explicit (&crew->sh->done[w->index], 1, memory_order_release);
  return NULL;
}

/* A worker failed (it crashed, was killed or returned an error): the run
 * has failed, and the rest of the crew is stopped as on a cancel. Going on
 * could hang, since the others may wait for what the failed one will never
 * do: consumers for the sentinels of a producer that was killed, painters at
 * a barrier for a painter that crashed. */
static void
describe_failure (PlabCrew *self, CrewWorker *w, const char *how)
{
  /* The first failure is the run's error; later ones add nothing new. */
  if (self->run->error[0] == '\0')
    snprintf (self->run->error, sizeof self->run->error, "%s %s", w->name, how);
  w->result = PLAB_ETASK;
  if (self->stop_ns == 0)
    {
      self->failed = true;
      __atomic_store_n (&self->sh->stop, 1, __ATOMIC_SEQ_CST);
      self->stop_ns = plab_now_ns ();
    }
}

/* How a join ends once the crew was stopped. */
static int
stopped_result (PlabCrew *self)
{
  bool cancelled = self->run->cancel != NULL && *self->run->cancel != 0;

  return self->failed && !cancelled ? PLAB_ETASK : PLAB_ECANCELLED;
}

int
_plab_crew_start (PlabCrew *self, const char *name, PlabCrewFunc func, void *arg)
{
  CrewWorker *w;
  int rc;

  /* A cancelled run starts no more workers: a demo that starts one per
   * task would otherwise go on forking after Stop. */
  if (self->run->cancel != NULL && *self->run->cancel != 0)
    {
      snprintf (self->run->error, sizeof self->run->error, "cancelled");
      return PLAB_ECANCELLED;
    }
  if (self->n_workers == CREW_MAX)
    {
      snprintf (self->run->error, sizeof self->run->error, "at most %d workers", CREW_MAX);
      return PLAB_ERANGE;
    }
  w = calloc (1, sizeof *w);
  if (w == NULL)
    {
      snprintf (self->run->error, sizeof self->run->error, "out of memory for a worker");
      return PLAB_ENOMEM;
    }
  w->crew = self;
  w->index = self->n_workers;
  w->lane = -1;
  w->func = func;
  w->arg = arg;
  snprintf (w->name, sizeof w->name, "%s", name);
  self->workers[self->n_workers++] = w;

  switch (self->backend)
    {
    case PLAB_BACKEND_SERIAL:
      /* A for loop: the function runs now, on the main lane, watching the
       * run's cancel flag. */
      {
        const volatile sig_atomic_t *watched = plab_cancel_flag ();

        if (self->run->cancel != NULL)
          plab_cancel_watch (self->run->cancel);
        rc = call_worker (w);
        plab_cancel_watch (watched);
      }
      w->joined = true;
      if (self->run->trace)
        plab_trace_drain (self->run->trace);
      if (rc != 0 && !_plab_crew_stopping (self))
        {
          char how[64];

          snprintf (how, sizeof how, "returned %d", rc);
          describe_failure (self, w, how);
        }
      return w->index;

    case PLAB_BACKEND_PROCESSES:
      w->process = plab_process_new (w->name, process_main, w);
      if (w->process == NULL)
        {
          rc = PLAB_ENOMEM;
          break;
        }
      if (self->run->trace)
        plab_process_set_trace (w->process, self->run->trace);
      rc = plab_process_start (w->process);
      break;

    case PLAB_BACKEND_THREADS:
    case PLAB_BACKEND_GIL:
    default:
      if (self->run->trace)
        {
          rc = plab_trace_add_lane (self->run->trace, PLAB_LANE_THREAD, w->name, &w->lane);
          if (rc != 0)
            break;
        }
      rc = pthread_create (&w->thread, NULL, thread_main, w);
      rc = rc == 0 ? 0 : _plab_error_syscall ("pthread_create", rc);
      w->thread_started = rc == 0;
      break;
    }

  if (rc != 0)
    {
      w->joined = true;
      char why[300];

      snprintf (self->run->error, sizeof self->run->error, "cannot start %s: %s", w->name,
                plab_error_describe (rc, why, sizeof why));
      return rc;
    }
  return w->index;
}

int
_plab_crew_startf (PlabCrew *self, PlabCrewFunc func, void *arg, const char *name_format, ...)
{
  char name[PLAB_LANE_NAME_MAX];
  va_list ap;

  va_start (ap, name_format);
  vsnprintf (name, sizeof name, name_format, ap);
  va_end (ap);
  return _plab_crew_start (self, name, func, arg);
}

/* Raises the stop flag once the run is cancelled, pokes blocked workers and,
 * after a grace period, ends processes that did not stop by themselves. */
static void
watch_cancel (PlabCrew *self)
{
  int64_t now;

  if (self->stop_ns == 0)
    {
      if (self->run->cancel == NULL || *self->run->cancel == 0)
        return;
      __atomic_store_n (&self->sh->stop, 1, __ATOMIC_SEQ_CST);
      self->stop_ns = plab_now_ns ();
    }
  if (self->poke)
    self->poke (self->poke_data);
  now = plab_now_ns ();
  for (int i = 0; i < self->n_workers; i++)
    {
      CrewWorker *w = self->workers[i];

      if (w->process == NULL || w->joined)
        continue;
      if (now - self->stop_ns > KILL_GRACE_NS)
        plab_process_kill (w->process);
      else if (now - self->stop_ns > STOP_GRACE_NS)
        plab_process_terminate (w->process);
    }
}

/* Looks whether worker @w ended, without blocking. */
static bool
poll_worker (PlabCrew *self, CrewWorker *w)
{
  PlabExitStatus st;
  char how[96];

  if (w->joined)
    return true;
  if (w->process)
    {
      if (plab_process_join (w->process, 0, &st) != 0)
        return false;
      w->joined = true;
      if (self->stop_ns != 0)
        return true; /* ended by the stop, not a failure of its own */
      if (st.state != PLAB_PROCESS_EXITED || st.code != 0)
        {
          plab_exit_status_describe (&st, how, sizeof how);
          describe_failure (self, w, how);
        }
      return true;
    }
  if (w->thread_started)
    {
      if (!atomic_load_explicit (&self->sh->done[w->index], memory_order_acquire))
        return false;
      pthread_join (w->thread, NULL);
      w->joined = true;
      if (self->run->trace)
        plab_trace_set_lane_end (self->run->trace, w->lane, getpid (), PLAB_LANE_EXITED,
                                 self->sh->rc[w->index], 0);
      if (self->sh->rc[w->index] != 0 && self->stop_ns == 0)
        {
          snprintf (how, sizeof how, "returned %d", self->sh->rc[w->index]);
          describe_failure (self, w, how);
        }
      return true;
    }
  w->joined = true;
  return true;
}

int
_plab_crew_join_one (PlabCrew *self, int index, const char *label)
{
  struct timespec tick = { 0, JOIN_TICK_NS };
  int64_t t0 = label ? plab_span_begin (PLAB_SPAN_WAIT, -1, label) : plab_now_ns ();
  CrewWorker *w;

  if (index < 0 || index >= self->n_workers)
    return PLAB_EINVAL;
  w = self->workers[index];
  if (!w->joined)
    {
      while (!poll_worker (self, w))
        {
          /* The others too: a failure anywhere stops the crew, not only
           * one of the worker being waited for. */
          for (int i = 0; i < self->n_workers; i++)
            if (i != index)
              poll_worker (self, self->workers[i]);
          if (self->run->trace)
            plab_trace_drain (self->run->trace);
          watch_cancel (self);
          nanosleep (&tick, NULL);
        }
      if (label)
        plab_span (PLAB_SPAN_WAIT, t0, plab_now_ns (), -1, label);
    }
  else if (label)
    plab_span_forget (PLAB_SPAN_WAIT, t0);
  if (self->run->trace)
    plab_trace_drain (self->run->trace);
  if (self->stop_ns != 0 || _plab_crew_stopping (self))
    return w->result != 0 ? w->result : stopped_result (self);
  return w->result;
}

int
_plab_crew_join (PlabCrew *self, const char *label)
{
  int64_t t0 = plab_now_ns ();
  int first = 0;
  bool waited = false;

  for (int i = 0; i < self->n_workers; i++)
    {
      int rc;

      waited |= !self->workers[i]->joined;
      rc = _plab_crew_join_one (self, i, NULL);
      if (rc == PLAB_ECANCELLED)
        first = rc;
      else if (rc != 0 && first == 0)
        first = rc;
    }
  if (label && waited)
    plab_span (PLAB_SPAN_WAIT, t0, plab_now_ns (), -1, label);
  if (self->run->trace)
    plab_trace_drain (self->run->trace);
  if (first == PLAB_ECANCELLED)
    snprintf (self->run->error, sizeof self->run->error, "cancelled");
  return first;
}

void
_plab_crew_free (PlabCrew *self)
{
  if (self == NULL)
    return;
  /* Workers still running (an early error in the demo) are stopped first. */
  for (int i = 0; i < self->n_workers; i++)
    if (!self->workers[i]->joined)
      {
        __atomic_store_n (&self->sh->stop, 1, __ATOMIC_SEQ_CST);
        if (self->stop_ns == 0)
          self->stop_ns = plab_now_ns ();
      }
  /* Every worker is joined before any is freed: watch_cancel () looks at all
   * of them while it waits for one. */
  for (int i = 0; i < self->n_workers; i++)
    {
      CrewWorker *w = self->workers[i];
      struct timespec tick = { 0, JOIN_TICK_NS };

      while (!w->joined && !poll_worker (self, w))
        {
          watch_cancel (self);
          if (self->poke)
            self->poke (self->poke_data);
          nanosleep (&tick, NULL);
        }
    }
  for (int i = 0; i < self->n_workers; i++)
    {
      plab_process_free (self->workers[i]->process);
      free (self->workers[i]);
    }
  if (self->run->trace)
    plab_trace_drain (self->run->trace);
  plab_gil_free (self->gil);
  plab_semaphore_free (self->slots);
  _plab_demo_shared_free (self->sh, sizeof *self->sh);
  free (self);
}

/* --- Waiting and working --- */

bool
_plab_demo_wait (PlabCrew *crew, int64_t ns, PlabSpanKind kind, int64_t task_id, const char *label)
{
  return _plab_demo_wait_flow (crew, ns, kind, task_id, label, PLAB_FLOW_NONE, -1);
}

bool
_plab_demo_wait_flow (PlabCrew *crew,
                      int64_t ns,
                      PlabSpanKind kind,
                      int64_t task_id,
                      const char *label,
                      PlabFlow flow,
                      int32_t item)
{
  int64_t t0 = label ? plab_span_begin (kind, task_id, label) : plab_now_ns ();
  int64_t end = t0 + ns;
  bool stopped = false;
  bool gil = plab_gil_release ();

  for (;;)
    {
      int64_t now = plab_now_ns ();
      int64_t left = end - now;
      struct timespec ts;

      if (left <= 0)
        break;
      if (_plab_crew_stopping (crew))
        {
          stopped = true;
          break;
        }
      if (left > WAIT_SLICE_NS)
        left = WAIT_SLICE_NS;
      ts.tv_sec = left / 1000000000;
      ts.tv_nsec = left % 1000000000;
      nanosleep (&ts, NULL);
    }
  plab_gil_acquire (gil);
  if (label)
    plab_span_flow (kind, t0, plab_now_ns (), task_id, label, flow, item);
  return !stopped;
}

uint64_t
_plab_demo_spin (uint64_t rounds, uint64_t seed)
{
  uint64_t acc = seed;

  for (uint64_t i = 0; i < rounds; i++)
    {
      acc = acc * 6364136223846793005u + 1442695040888963407u;
      /* Hides acc from the optimiser, so the chain cannot be folded. */
      __asm__ volatile("" : "+r"(acc));
      if ((i & 1023) == 1023 && plab_checkpoint ())
        break;
    }
  return acc;
}

/* Rounds of _plab_demo_spin () per CPU second: set from the store by the
 * runner (plab_demo_set_spin_rate ()), else measured once in this process.
 * Forked workers inherit it. */
static double spin_rate;

static int64_t
thread_cpu_ns (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return plab_now_ns ();
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double
plab_demo_measure_spin_rate (int runs, int64_t *cpu_ns, int64_t *wall_ns)
{
  /* Counted against the calling thread's CPU time, not the wall clock: on a
   * busy machine the thread waits for a core between its slices, which
   * stretches the wall time but not the CPU time, so the rate, and with it
   * the amount of work in "80 ms of CPU work", stays the same. The best of
   * a few runs is the rate of a core at full speed. */
  int64_t cpu0 = thread_cpu_ns (), t0 = plab_now_ns ();
  double best = 0;

  for (int i = 0; i < runs; i++)
    {
      int64_t c0 = thread_cpu_ns ();
      int64_t dt;

      _plab_demo_spin (CALIBRATION_ROUNDS, (uint64_t)i);
      dt = thread_cpu_ns () - c0;
      if (dt > 0 && CALIBRATION_ROUNDS * 1e9 / (double)dt > best)
        best = CALIBRATION_ROUNDS * 1e9 / (double)dt;
    }
  if (cpu_ns)
    *cpu_ns = thread_cpu_ns () - cpu0;
  if (wall_ns)
    *wall_ns = plab_now_ns () - t0;
  return best > 0 ? best : 1e9;
}

void
plab_demo_set_spin_rate (double rounds_per_cpu_s)
{
  if (rounds_per_cpu_s > 0)
    spin_rate = rounds_per_cpu_s;
}

double
_plab_demo_spin_rate (void)
{
  if (spin_rate == 0)
    spin_rate = plab_demo_measure_spin_rate (PLAB_DEMO_CALIBRATION_RUNS, NULL, NULL);
  return spin_rate;
}

bool
_plab_demo_cpu (PlabCrew *crew, int64_t ns, int64_t task_id, const char *label, uint64_t *out)
{
  uint64_t rounds = (uint64_t)((double)ns * _plab_demo_spin_rate () / 1e9);
  uint64_t acc = (uint64_t)task_id;
  int64_t t0 = label ? plab_span_begin (PLAB_SPAN_TASK, task_id, label) : plab_now_ns ();
  bool stopped = false;

  for (uint64_t done = 0; done < rounds; done += SPIN_BLOCK)
    {
      uint64_t n = rounds - done < SPIN_BLOCK ? rounds - done : SPIN_BLOCK;

      if (_plab_crew_stopping (crew) || plab_cancelled ())
        {
          stopped = true;
          break;
        }
      acc = _plab_demo_spin (n, acc);
    }
  if (label)
    plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), task_id, label);
  if (out)
    *out = acc;
  return !stopped;
}

/* --- Pool runs --- */

int
_plab_demo_pool_new (PlabDemoRun *run, const char *lane_prefix, const char *what, PlabPool **out)
{
  PlabPoolOptions options = {
    .backend = run->backend,
    .workers = run->workers,
    .trace = run->trace,
    .cancel = run->cancel,
    .lane_prefix = lane_prefix,
  };
  int rc;

  rc = plab_pool_new (&options, out);
  if (rc != 0)
    {
      char why[300];

      snprintf (run->error, sizeof run->error, "cannot start the %s: %s", what,
                plab_error_describe (rc, why, sizeof why));
    }
  return rc;
}

int
_plab_demo_pool_map (PlabDemoRun *run,
                     const char *lane_prefix,
                     const char *what,
                     const PlabMap *map)
{
  PlabMapReport report = { 0 };
  PlabPool *pool = NULL;
  int rc;

  rc = _plab_demo_pool_new (run, lane_prefix, what, &pool);
  if (rc != 0)
    return rc;
  rc = plab_pool_map (pool, map, &report);
  plab_pool_free (pool);
  if (rc == PLAB_ECANCELLED)
    snprintf (run->error, sizeof run->error, "cancelled");
  else if (rc == PLAB_ETASK && report.message[0] != '\0')
    snprintf (run->error, sizeof run->error, "%s", report.message);
  else if (rc != 0)
    snprintf (run->error, sizeof run->error, "%s", plab_strerror (rc));
  return rc;
}

int
_plab_demo_pool_map_tasks (PlabDemoRun *run,
                           const char *lane_prefix,
                           const char *what,
                           PlabMap *map)
{
  int32_t *items = calloc (map->n_items + 1, sizeof *items);
  int32_t *results = calloc (map->n_items + 1, sizeof *results);
  int rc = PLAB_ENOMEM;

  if (items != NULL && results != NULL)
    {
      for (size_t i = 0; i < map->n_items; i++)
        items[i] = (int32_t)i;
      rc = _plab_demo_pool_map_items (run, lane_prefix, what, map, items, sizeof *items, results,
                                      sizeof *results);
    }
  else
    snprintf (run->error, sizeof run->error, "%s", plab_strerror (rc));
  free (items);
  free (results);
  return rc;
}
