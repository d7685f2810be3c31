/* plab-demo-lifecycle.c: the life of a process, step by step.
 *
 * This demo teaches what a Process object lets its parent do and see. It
 * walks through the steps the classic texts describe, each a span on the
 * main lane while the children sleep on theirs: a named worker and a daemon
 * start and report their parent; a join with a timeout returns while the
 * worker is still alive; the worker ends with exit code 0, another child with
 * code 3; terminate ends a child by SIGTERM and kill by SIGKILL, which Python
 * reports as exit codes -15 and -9 and the lab as "killed by signal 15";
 * starting a finished process again is refused; and at the end the parent
 * waits for a non-daemon child but terminates the daemon. Only processes have
 * this life, so the demo runs on the processes backend.
 */
#include "plab-demo-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_lifecycle_lesson[]
    = "Follow the main lane step by step: a worker named worker and a daemon start, and the "
      "worker reports the runner as its parent; a join with a timeout returns while the worker "
      "is still alive, so is_alive () must be asked. The worker ends with exit code 0 and another "
      "child with 3; terminate () ends a child by SIGTERM and kill () by SIGKILL, which the lab "
      "reports as killed by signal 15 or 9 and Python as exitcode -15 or -9. Starting a finished "
      "process again is refused, as in Python. At the end the parent waits for its non-daemon "
      "child but terminates the daemon, which is why a daemon must not be trusted to finish.";

enum
{
  PARAM_STEP_MS,
  N_PARAMS
};

const PlabParamSpec _plab_demo_lifecycle_params[N_PARAMS] = {
  [PARAM_STEP_MS] = { "step_ms", PLAB_PARAM_INT,
                      "length of one step; the children sleep a few steps, so that each step "
                      "shows on the timeline",
                      500, 50, 3000, NULL, "ms" },
};

/* How many steps a child sleeps, in the order the demo starts them. */
enum
{
  CHILD_WORKER,
  CHILD_DAEMON,
  CHILD_EXIT3,
  CHILD_TERMINATED,
  CHILD_KILLED,
  CHILD_NON_DAEMON,
  N_CHILDREN
};

typedef struct
{
  const char *name;
  int steps; /* of sleep */
  int code;  /* returned after the sleep */
  bool daemon;
} ChildSpec;

static const ChildSpec specs[N_CHILDREN] = {
  [CHILD_WORKER] = { "worker", 3, 0, false },
  [CHILD_DAEMON] = { "daemon", 40, 0, true },
  [CHILD_EXIT3] = { "exits with 3", 1, 3, false },
  [CHILD_TERMINATED] = { "terminated", 40, 0, false },
  [CHILD_KILLED] = { "killed", 40, 0, false },
  [CHILD_NON_DAEMON] = { "non-daemon", 2, 0, false },
};

#define SLEEP_SLICE_NS 100000000 /* a child's sleep is recorded in slices of this */
#define JOIN_SLICE_NS 200000000  /* a join looks at the cancel flag this often */

/* Written by child i only, before its sleep; read by the parent after. */
typedef struct
{
  pid_t pid[N_CHILDREN];
  pid_t parent[N_CHILDREN];
} LifeShared;

typedef struct
{
  LifeShared *sh;
  int index;
  int64_t sleep_ns;
} Child;

static int
child_cb (void *arg)
{
  Child *c = arg;

  c->sh->pid[c->index] = getpid ();
  c->sh->parent[c->index] = plab_process_parent_pid ();
  /* In slices, so that a child terminated in its sleep shows what it slept. */
  for (int64_t left = c->sleep_ns; left > 0; left -= SLEEP_SLICE_NS)
    plab_sleep_ns (left < SLEEP_SLICE_NS ? left : SLEEP_SLICE_NS);
  return specs[c->index].code;
}

typedef struct
{
  PlabDemoRun *run;
  int64_t step_ns;
  PlabProcess *procs[N_CHILDREN];
  Child children[N_CHILDREN];
  PlabExitStatus status[N_CHILDREN];
  int64_t free_ns[N_CHILDREN]; /* how long freeing the handle took */
  bool alive_after_timeout;
  int timeout_rc;
  int restart_rc;
} Life;

static bool
cancelled (const Life *l)
{
  return l->run->cancel && *l->run->cancel;
}

/* Waits @ns in slices that watch the cancel flag, recording nothing: the
 * step's own span covers it. */
static void
pause_ns (const Life *l, int64_t ns)
{
  for (int64_t end = plab_now_ns () + ns, left;
       (left = end - plab_now_ns ()) > 0 && !cancelled (l);)
    {
      struct timespec ts = { 0, left < JOIN_SLICE_NS ? left : JOIN_SLICE_NS };

      nanosleep (&ts, NULL);
    }
}

/* Ends a step begun at @t0: lasts at least @min_ns, so that it shows. */
static void
step_end (const Life *l, int64_t t0, int64_t min_ns, const char *label)
{
  pause_ns (l, t0 + min_ns - plab_now_ns ());
  plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), -1, label);
}

static int
start_child (Life *l, int i)
{
  l->children[i] = (Child){ l->children[0].sh, i, specs[i].steps * l->step_ns };
  l->procs[i] = plab_process_new (specs[i].name, child_cb, &l->children[i]);
  if (l->procs[i] == NULL)
    return PLAB_ENOMEM;
  plab_process_set_trace (l->procs[i], l->run->trace);
  plab_process_set_daemon (l->procs[i], specs[i].daemon);
  return plab_process_start (l->procs[i]);
}

/* Joins child @i for at most @timeout_ns (negative: until it ends), in
 * slices that watch the cancel flag. */
static int
join_child (Life *l, int i, int64_t timeout_ns)
{
  int64_t end = plab_now_ns () + timeout_ns;

  for (;;)
    {
      int64_t left = timeout_ns < 0 ? JOIN_SLICE_NS : end - plab_now_ns ();
      int rc = plab_process_join (l->procs[i], left < JOIN_SLICE_NS ? left : JOIN_SLICE_NS,
                                  &l->status[i]);

      if (rc != PLAB_ETIMEDOUT)
        return rc;
      if (cancelled (l))
        return PLAB_ECANCELLED;
      if (timeout_ns >= 0 && plab_now_ns () >= end)
        return rc;
    }
}

/* Python's exitcode: the code of an exit, minus the signal of a kill. */
static int
python_exitcode (const PlabExitStatus *s)
{
  return s->state == PLAB_PROCESS_KILLED ? -s->signal : s->code;
}

/* The steps, in order; returns 0 or the first failure. */
static int
walk (Life *l)
{
  int64_t s = l->step_ns, t0;
  char label[PLAB_LABEL_MAX];
  int rc;

  t0 = plab_now_ns ();
  if ((rc = start_child (l, CHILD_WORKER)) != 0 || (rc = start_child (l, CHILD_DAEMON)) != 0)
    return rc;
  step_end (l, t0, s, "start worker, daemon");

  t0 = plab_now_ns ();
  l->timeout_rc = join_child (l, CHILD_WORKER, s);
  l->alive_after_timeout = plab_process_is_alive (l->procs[CHILD_WORKER]);
  step_end (l, t0, 0, l->alive_after_timeout ? "join timed out: alive" : "join: ended");
  if (l->timeout_rc == PLAB_ECANCELLED)
    return l->timeout_rc;

  t0 = plab_now_ns ();
  if ((rc = join_child (l, CHILD_WORKER, -1)) != 0)
    return rc;
  snprintf (label, sizeof label, "exitcode %d", python_exitcode (&l->status[CHILD_WORKER]));
  step_end (l, t0, s, label);

  t0 = plab_now_ns ();
  if ((rc = start_child (l, CHILD_EXIT3)) != 0 || (rc = join_child (l, CHILD_EXIT3, -1)) != 0)
    return rc;
  snprintf (label, sizeof label, "exitcode %d", python_exitcode (&l->status[CHILD_EXIT3]));
  step_end (l, t0, s, label);

  for (int i = CHILD_TERMINATED; i <= CHILD_KILLED; i++)
    {
      t0 = plab_now_ns ();
      if ((rc = start_child (l, i)) != 0)
        return rc;
      pause_ns (l, s);
      rc = i == CHILD_TERMINATED ? plab_process_terminate (l->procs[i])
                                 : plab_process_kill (l->procs[i]);
      if (rc != 0 || (rc = join_child (l, i, -1)) != 0)
        return rc;
      snprintf (label, sizeof label, "%s: %d", i == CHILD_TERMINATED ? "SIGTERM" : "SIGKILL",
                python_exitcode (&l->status[i]));
      step_end (l, t0, s, label);
    }

  t0 = plab_now_ns ();
  l->restart_rc = plab_process_start (l->procs[CHILD_WORKER]);
  step_end (l, t0, s, l->restart_rc == PLAB_ESTATE ? "restart refused" : "restarted");

  /* What the parent does with its children at the end: waits for a
   * non-daemon one, terminates a daemon. */
  if ((rc = start_child (l, CHILD_NON_DAEMON)) != 0)
    return rc;
  for (int k = 0; k < 2; k++)
    {
      int i = k == 0 ? CHILD_NON_DAEMON : CHILD_DAEMON;

      if (cancelled (l))
        return PLAB_ECANCELLED;
      t0 = plab_now_ns ();
      plab_process_free (l->procs[i]);
      l->procs[i] = NULL;
      l->free_ns[i] = plab_now_ns () - t0;
      step_end (l, t0, s / 2, specs[i].daemon ? "daemon terminated" : "non-daemon waited for");
    }
  return 0;
}

static void
write_status (PlabBuf *buf, const char *key, const PlabExitStatus *status)
{
  char text[96], pykey[48];

  plab_exit_status_describe (status, text, sizeof text);
  plab_buf_printf (buf, ", \"%s\": ", key);
  plab_json_write_string (buf, text);
  snprintf (pykey, sizeof pykey, "%s_python_exitcode", key);
  plab_buf_printf (buf, ", \"%s\": %d", pykey, python_exitcode (status));
}

static char *
result_json (const Life *l)
{
  static const char *const cats[] = { "worker", "exits with 3", "terminate", "kill" };
  static const int shown[] = { CHILD_WORKER, CHILD_EXIT3, CHILD_TERMINATED, CHILD_KILLED };
  double codes[4];
  PlabBuf buf;

  plab_buf_init (&buf);
  plab_buf_printf (&buf,
                   "{\"worker_pid\": %d, \"worker_parent_pid\": %d, \"parent_pid\": %d, "
                   "\"join_timeout\": ",
                   (int)l->children[0].sh->pid[CHILD_WORKER],
                   (int)l->children[0].sh->parent[CHILD_WORKER], (int)getpid ());
  plab_json_write_string (&buf, plab_strerror (l->timeout_rc));
  plab_buf_printf (&buf, ", \"alive_after_timeout\": %s",
                   l->alive_after_timeout ? "true" : "false");
  write_status (&buf, "worker_exit", &l->status[CHILD_WORKER]);
  write_status (&buf, "exit3", &l->status[CHILD_EXIT3]);
  write_status (&buf, "terminate", &l->status[CHILD_TERMINATED]);
  write_status (&buf, "kill", &l->status[CHILD_KILLED]);
  plab_buf_append (&buf, ", \"restart\": ");
  plab_json_write_string (&buf, l->restart_rc == PLAB_ESTATE ? "refused" : "allowed");
  _plab_demo_json_short (&buf, "non_daemon_end_s", l->free_ns[CHILD_NON_DAEMON] / 1e9);
  _plab_demo_json_short (&buf, "daemon_end_s", l->free_ns[CHILD_DAEMON] / 1e9);
  plab_buf_append (&buf, ", ");
  for (int i = 0; i < 4; i++)
    codes[i] = python_exitcode (&l->status[shown[i]]);
  _plab_demo_json_figure (&buf, "bars", "Python's exitcode of each child", "child", "exitcode");
  _plab_demo_json_bar_values (&buf, cats, "exitcode", codes, 4);
  plab_buf_append (&buf, ", \"notes\": [");
  for (int i = 0; i < 4; i++)
    {
      char text[96];

      plab_exit_status_describe (&l->status[shown[i]], text, sizeof text);
      plab_buf_printf (&buf, "\"%s: %s, exitcode %d in Python\", ", cats[i], text,
                       python_exitcode (&l->status[shown[i]]));
    }
  plab_buf_append (&buf, "\"a negative exitcode is Python's way of saying killed by that "
                         "signal\"]}}");
  return plab_buf_steal (&buf);
}

int
_plab_demo_lifecycle_run (PlabDemoRun *run)
{
  Life *l = calloc (1, sizeof *l);
  LifeShared *sh = _plab_demo_shared_new (sizeof *sh);
  const PlabExitStatus *st;
  int rc = PLAB_ENOMEM;

  if (l == NULL || sh == NULL)
    {
      snprintf (run->error, sizeof run->error, "out of memory");
      goto fail;
    }
  l->run = run;
  l->step_ns = (int64_t)run->values[PARAM_STEP_MS] * 1000000;
  l->children[0].sh = sh;
  plab_demo_run_set_tasks_total (run, 0);
  rc = walk (l);
  if (rc != 0)
    {
      snprintf (run->error, sizeof run->error, "%s", plab_strerror (rc));
      goto fail;
    }

  st = l->status;
  run->check_ok
      = l->timeout_rc == PLAB_ETIMEDOUT && l->alive_after_timeout
        && sh->parent[CHILD_WORKER] == getpid () && python_exitcode (&st[CHILD_WORKER]) == 0
        && python_exitcode (&st[CHILD_EXIT3]) == 3 && python_exitcode (&st[CHILD_TERMINATED]) == -15
        && python_exitcode (&st[CHILD_KILLED]) == -9 && l->restart_rc == PLAB_ESTATE
        && l->free_ns[CHILD_DAEMON] < specs[CHILD_DAEMON].steps * l->step_ns;
  snprintf (run->check_message, sizeof run->check_message,
            "join with a timeout %s; exitcodes %d, %d, %d, %d; restart %s; the daemon %s",
            l->alive_after_timeout ? "left it alive" : "found it ended",
            python_exitcode (&st[CHILD_WORKER]), python_exitcode (&st[CHILD_EXIT3]),
            python_exitcode (&st[CHILD_TERMINATED]), python_exitcode (&st[CHILD_KILLED]),
            l->restart_rc == PLAB_ESTATE ? "refused" : "NOT refused",
            l->free_ns[CHILD_DAEMON] < specs[CHILD_DAEMON].steps * l->step_ns
                ? "was terminated at the end"
                : "was NOT terminated");
  run->result_json = result_json (l);
  rc = 0;

fail:
  /* After a stop, nobody is waited for: every child still running ends now. */
  for (int i = 0; l && i < N_CHILDREN; i++)
    if (l->procs[i])
      {
        if (plab_process_is_alive (l->procs[i]))
          plab_process_kill (l->procs[i]);
        plab_process_free (l->procs[i]);
      }
  free (l);
  _plab_demo_shared_free (sh, sizeof *sh);
  return rc;
}
