/* plab-demo-start-methods.c: fork, spawn and forkserver side by side.
 *
 * This demo teaches what Python's start methods cost and what a child sees
 * under each. Before starting children the parent changes a global and
 * starts a thread that ticks a counter. Under fork the child is a copy of
 * the parent at the start: it sees the changed global and the counter as it
 * was, but the thread is not there, so the counter never moves again. Under
 * spawn the child is a fresh run of the program, and under forkserver a fork
 * of a server started before the change: both see the global as the program
 * began and no counter at all. Each child says what it saw in its exit code
 * (the one channel every start method gives back without help), and the
 * time from the start call until the child has ended is its start cost, a
 * span per start on the main lane; the child itself only looks around for
 * a few milliseconds, the same under every method.
 */
#include "plab-demo-private.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_start_methods_lesson[]
    = "Before starting its children the parent changes a global and starts a thread that ticks "
      "a counter; each child reports what it sees, and the time from the start call to its end "
      "(it only looks around for a few milliseconds) is a span on the main lane. Under fork the "
      "child is a copy of the parent: it sees the "
      "changed global and the counter as it stood, but fork copies only the calling thread, so "
      "the counter never moves again (and a lock that thread held would stay held for ever). "
      "Under spawn the child is a fresh run of the program, and under forkserver a fork of a "
      "server started before the change: both see the global as the program began, and spawn "
      "costs more than fork because the whole program is loaded again. Python uses fork by "
      "default on Linux before 3.14 and forkserver from 3.14, and spawn on macOS and Windows, "
      "which is why its arguments must be picklable there.";

enum
{
  PARAM_MODE,
  PARAM_STARTS,
  N_PARAMS
};

static const char *const modes[] = { "all", "fork", "spawn", "forkserver", NULL };

#define MAX_STARTS 16
#define MARK_AT_START 1    /* the global as the program starts */
#define MARK_CHANGED 42    /* the global once the parent changed it */
#define TICK_NS 1000000    /* the parent's thread ticks this often */
#define WATCH_NS 5000000   /* a child watches the counter this long */
#define JOIN_NS 2000000000 /* a child's join looks at the cancel flag this often */

const PlabParamSpec _plab_demo_start_methods_params[N_PARAMS] = {
  [PARAM_MODE]
  = { "mode", PLAB_PARAM_CHOICE,
      "which start methods to compare: all three one after another, or one", 0, 0, 0, modes, NULL },
  [PARAM_STARTS] = { "starts", PLAB_PARAM_INT,
                     "children started one after another under each method (the cost is "
                     "their median)",
                     4, 1, MAX_STARTS, NULL, "children" },
};

/* The program's own globals: what a child sees of them tells where its
 * memory came from. mark is changed by the parent before its starts, ticks
 * advanced by the parent's ticker thread meanwhile. */
static int mark = MARK_AT_START;
static _Atomic int64_t ticks;
static _Atomic int ticking;

/* What one child saw, as the parent decodes it from the child's exit code. */
typedef struct
{
  int mark;
  int threads;
  bool ticks_seen; /* the counter was above 0 */
  bool ticks_moved;
  bool reported;
} Seen;

/* The bits of a child's exit code (at most 127, so that it never reads as
 * a signal): what it saw of the parent's global, thread and counter. */
#define SEEN_MARK_CHANGED 0x01
#define SEEN_TICKS 0x02
#define SEEN_TICKS_MOVED 0x04
#define SEEN_THREADS_SHIFT 3 /* 4 bits of thread count, 15 at most */

/* The threads of the calling process, from /proc/self/status; 0 when unknown. */
static int
count_threads (void)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char line[128];
  int n = 0;

  if (f == NULL)
    return 0;
  while (fgets (line, sizeof line, f))
    if (sscanf (line, "Threads: %d", &n) == 1)
      break;
  fclose (f);
  return n;
}

static int
child_cb (void *arg)
{
  int64_t before = atomic_load (&ticks);
  int threads = count_threads ();
  int code = 0;

  (void)arg;
  /* A ticker thread in this process would move the counter meanwhile. */
  plab_sleep_ns (WATCH_NS);
  if (mark == MARK_CHANGED)
    code |= SEEN_MARK_CHANGED;
  if (before > 0)
    code |= SEEN_TICKS;
  if (atomic_load (&ticks) != before)
    code |= SEEN_TICKS_MOVED;
  return code | (threads < 15 ? threads : 15) << SEEN_THREADS_SHIFT;
}

static void *
ticker_thread (void *data)
{
  (void)data;
  while (atomic_load (&ticking))
    {
      atomic_fetch_add (&ticks, 1);
      plab_sleep_ns (TICK_NS);
    }
  return NULL;
}

typedef struct
{
  PlabDemoRun *run;
  Seen seen[PLAB_N_START_METHODS][MAX_STARTS];
  bool methods[PLAB_N_START_METHODS];
  int starts;
  int parent_threads;
  int64_t cost_ns[PLAB_N_START_METHODS][MAX_STARTS];
  double start_ms[PLAB_N_START_METHODS]; /* median */
} Starts;

/* Starts child @i under @method, waits for it, decodes what it saw and
 * records its start span. */
static int
start_one (Starts *st, PlabStartMethod method, int i)
{
  char name[PLAB_LABEL_MAX];
  Seen *seen = &st->seen[method][i];
  PlabExitStatus status;
  PlabProcess *p;
  int64_t t0;
  int rc;

  snprintf (name, sizeof name, "%s %d", plab_start_method_name (method), i + 1);
  p = plab_process_new (name, child_cb, NULL);
  if (p == NULL)
    return PLAB_ENOMEM;
  plab_process_set_trace (p, st->run->trace);
  if ((rc = plab_process_set_start_method (p, method)) != 0)
    goto out;
  t0 = plab_now_ns ();
  if ((rc = plab_process_start (p)) != 0)
    goto out;
  while ((rc = plab_process_join (p, JOIN_NS, &status)) == PLAB_ETIMEDOUT)
    if (st->run->cancel && *st->run->cancel)
      {
        plab_process_kill (p);
        rc = PLAB_ECANCELLED;
        goto out;
      }
  st->cost_ns[method][i] = plab_now_ns () - t0;
  if (rc == 0 && status.state != PLAB_PROCESS_EXITED)
    {
      plab_exit_status_describe (&status, st->run->error, sizeof st->run->error);
      rc = PLAB_ECRASHED;
    }
  if (rc == 0)
    {
      *seen = (Seen){
        .mark = status.code & SEEN_MARK_CHANGED ? MARK_CHANGED : MARK_AT_START,
        .threads = status.code >> SEEN_THREADS_SHIFT,
        .ticks_seen = status.code & SEEN_TICKS,
        .ticks_moved = status.code & SEEN_TICKS_MOVED,
        .reported = true,
      };
      snprintf (name, sizeof name, "start: %s", plab_start_method_name (method));
      plab_span (PLAB_SPAN_SPAWN, t0, t0 + st->cost_ns[method][i], i, name);
    }

out:
  plab_process_free (p);
  return rc;
}

static int
compare_int64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

  return (x > y) - (x < y);
}

static void
measure_medians (Starts *st)
{
  for (int m = 0; m < PLAB_N_START_METHODS; m++)
    {
      int64_t cost[MAX_STARTS];

      if (!st->methods[m])
        continue;
      for (int i = 0; i < st->starts; i++)
        cost[i] = st->cost_ns[m][i];
      qsort (cost, (size_t)st->starts, sizeof cost[0], compare_int64);
      st->start_ms[m] = (st->starts % 2 ? cost[st->starts / 2]
                                        : (cost[st->starts / 2 - 1] + cost[st->starts / 2]) / 2)
                        / 1e6;
    }
}

/* Whether every child of @m saw what its method promises: under fork the
 * changed global and a counter that stands still; otherwise the global as
 * the program began and no counter; one thread under every method. */
static bool
as_promised (const Starts *st, int m)
{
  for (int i = 0; i < st->starts; i++)
    {
      const Seen *s = &st->seen[m][i];

      if (!s->reported || s->threads != 1 || s->ticks_moved)
        return false;
      if (m == PLAB_START_FORK ? s->mark != MARK_CHANGED || !s->ticks_seen
                               : s->mark != MARK_AT_START || s->ticks_seen)
        return false;
    }
  return true;
}

static char *
result_json (const Starts *st)
{
  const char *cats[PLAB_N_START_METHODS];
  double cost[PLAB_N_START_METHODS];
  int k = 0;
  PlabBuf buf;

  plab_buf_init (&buf);
  plab_buf_printf (&buf, "{\"starts\": %d, \"parent_threads\": %d", st->starts, st->parent_threads);
  for (int m = 0; m < PLAB_N_START_METHODS; m++)
    {
      const char *name = plab_start_method_name (m);
      const Seen *s = &st->seen[m][0];
      char key[48];

      if (!st->methods[m])
        continue;
      snprintf (key, sizeof key, "%s_start_ms", name);
      _plab_demo_json_short (&buf, key, st->start_ms[m]);
      plab_buf_printf (&buf,
                       ", \"%s_global\": \"%s\", \"%s_threads\": %d, \"%s_thread_memory\": \"%s\"",
                       name, s->mark == MARK_CHANGED ? "changed" : "as it began", name, s->threads,
                       name,
                       !s->ticks_seen   ? "none"
                       : s->ticks_moved ? "running"
                                        : "frozen copy");
      cats[k] = name;
      cost[k++] = st->start_ms[m];
    }
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "bars", "Time from the start call to the child's end",
                          "start method", "ms (median)");
  _plab_demo_json_bar_values (&buf, cats, "start (ms)", cost, (size_t)k);
  plab_buf_append (&buf, ", \"notes\": [");
  for (int m = 0, shown = 0; m < PLAB_N_START_METHODS; m++)
    if (st->methods[m])
      _plab_demo_json_note (&buf, shown++, "%s: %.2f ms a start; the global %s; %d thread(s)",
                            plab_start_method_name (m), st->start_ms[m],
                            st->seen[m][0].mark == MARK_CHANGED ? "as the parent changed it"
                                                                : "as the program began",
                            st->seen[m][0].threads);
  plab_buf_append (&buf, "]}}");
  return plab_buf_steal (&buf);
}

int
_plab_demo_start_methods_run (PlabDemoRun *run)
{
  int mode = (int)run->values[PARAM_MODE];
  Starts st = { .run = run, .starts = (int)run->values[PARAM_STARTS] };
  bool own_server = false, ticker = false;
  pthread_t thread;
  bool ok = true;
  int rc;

  for (int m = 0; m < PLAB_N_START_METHODS; m++)
    st.methods[m] = mode == 0 || mode == m + 1;
  plab_demo_run_set_tasks_total (run, 0);
  /* The server starts before the change, as Python starts it early: its
   * children see the program as it was then. */
  if (st.methods[PLAB_START_FORKSERVER] && plab_forkserver_pid () == 0)
    {
      if ((rc = plab_forkserver_start ()) != 0)
        {
          snprintf (run->error, sizeof run->error, "cannot start the fork server: %s",
                    plab_strerror (rc));
          goto fail;
        }
      own_server = true;
    }
  mark = MARK_CHANGED;
  atomic_store (&ticks, 0);
  atomic_store (&ticking, 1);
  ticker = pthread_create (&thread, NULL, ticker_thread, NULL) == 0;
  if (!ticker)
    {
      rc = PLAB_ESYS;
      snprintf (run->error, sizeof run->error, "cannot start the ticker thread");
      goto fail;
    }
  while (atomic_load (&ticks) == 0)
    plab_sleep_ns (TICK_NS);
  st.parent_threads = count_threads ();

  for (int m = 0; m < PLAB_N_START_METHODS; m++)
    for (int i = 0; st.methods[m] && i < st.starts; i++)
      if ((rc = start_one (&st, m, i)) != 0)
        {
          if (run->error[0] == '\0' || rc == PLAB_ECANCELLED)
            snprintf (run->error, sizeof run->error, "%s",
                      rc == PLAB_ECANCELLED ? "cancelled" : plab_strerror (rc));
          goto fail;
        }
  plab_trace_drain (run->trace);

  measure_medians (&st);
  for (int m = 0; m < PLAB_N_START_METHODS; m++)
    {
      if (!st.methods[m])
        continue;
      ok = ok && as_promised (&st, m);
      _plab_demo_check_append (run, "%s: global %s, %d thread(s)%s", plab_start_method_name (m),
                               st.seen[m][0].mark == MARK_CHANGED ? "changed" : "as it began",
                               st.seen[m][0].threads,
                               as_promised (&st, m) ? "" : " (NOT as promised)");
    }
  run->check_ok = ok;
  run->result_json = result_json (&st);
  rc = 0;

fail:
  if (ticker)
    {
      atomic_store (&ticking, 0);
      pthread_join (thread, NULL);
    }
  /* The next run begins from the program's own state again (its fork
   * server too, started before its change). */
  mark = MARK_AT_START;
  atomic_store (&ticks, 0);
  if (own_server)
    plab_forkserver_stop ();
  return rc;
}
