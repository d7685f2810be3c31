/* test-process.c: PlabProcess on real child processes. */
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"
#include "start-test-util.h"

/* How long a wait for another process or thread may take before the test
 * calls it a hang: generous, because valgrind and a loaded machine slow the
 * other side down, and the tests claim nothing about speed. */
#define HANG_NS (60 * 1000000000LL)

/* A process started by the start method under test. */
static PlabProcess *
new_process (const char *name, PlabProcessFunc func, void *arg)
{
  PlabProcess *p = plab_process_new (name, func, arg);

  g_assert_cmpint (plab_process_set_start_method (p, test_start_method), ==, 0);
  return p;
}

/* Under spawn, waits until @p's child has exec'd the program. valgrind
 * (the memcheck stage) drops a signal that reaches a forked child before its
 * exec, so a SIGTERM sent in that window would be lost there; a plain run
 * has no such window, and the wait costs it nothing. */
static void
wait_until_execd (PlabProcess *p)
{
  char path[64];
  int64_t t0 = plab_now_ns ();

  if (test_start_method != PLAB_START_SPAWN)
    return;
  snprintf (path, sizeof path, "/proc/%d/cmdline", (int)plab_process_pid (p));
  for (;;)
    {
      char *cmdline = NULL;
      gsize len = 0;
      gboolean execd = g_file_get_contents (path, &cmdline, &len, NULL)
                       && memmem (cmdline, len, "--plab-spawn-child", 18) != NULL;
      g_free (cmdline);
      if (execd)
        return;
      g_assert_cmpint (plab_now_ns () - t0, <, HANG_NS);
      g_usleep (1000);
    }
}

static int
exit_with (void *arg)
{
  return GPOINTER_TO_INT (arg);
}

static int
sleep_long (void *arg)
{
  sleep (30);
  return 0;
}

static int
crash (void *arg)
{
  raise (SIGSEGV);
  return 0;
}

static void
test_exit_code (void)
{
  PlabProcess *p = new_process ("seven", exit_with, GINT_TO_POINTER (7));
  PlabExitStatus st;

  g_assert_cmpstr (plab_process_name (p), ==, "seven");
  g_assert_cmpint (plab_process_join (p, 0, &st), ==, PLAB_ESTATE);
  g_assert_cmpint (plab_process_start (p), ==, 0);
  g_assert_cmpint (plab_process_pid (p), >, 0);
  g_assert_cmpint (plab_process_pid (p), !=, getpid ());
  g_assert_cmpint (plab_process_start (p), ==, PLAB_ESTATE);
  g_assert_cmpint (plab_process_join (p, -1, &st), ==, 0);
  g_assert_cmpint (st.state, ==, PLAB_PROCESS_EXITED);
  g_assert_cmpint (st.code, ==, 7);
  g_assert_false (plab_process_is_alive (p));
  /* It was reaped: no zombie is left. */
  g_assert_cmpint (waitpid (plab_process_pid (p), NULL, WNOHANG), ==, -1);
  plab_process_free (p);
}

static void
test_join_timeout_then_terminate (void)
{
  PlabProcess *p = new_process (NULL, sleep_long, NULL);
  PlabExitStatus st;
  int64_t t0;
  char buf[64];

  g_assert_cmpint (plab_process_start (p), ==, 0);
  t0 = plab_now_ns ();
  g_assert_cmpint (plab_process_join (p, 50 * 1000000LL, &st), ==, PLAB_ETIMEDOUT);
  g_assert_cmpint (plab_now_ns () - t0, >=, 45 * 1000000LL);
  g_assert_cmpint (st.state, ==, PLAB_PROCESS_RUNNING);
  g_assert_true (plab_process_is_alive (p));
  wait_until_execd (p);
  g_assert_cmpint (plab_process_terminate (p), ==, 0);
  g_assert_cmpint (plab_process_join (p, HANG_NS, &st), ==, 0);
  plab_exit_status_describe (&st, buf, sizeof buf);
  g_assert_cmpint (st.state, ==, PLAB_PROCESS_KILLED);
  g_assert_cmpint (st.signal, ==, SIGTERM);
  g_assert_nonnull (strstr (buf, "signal 15"));
  g_assert_cmpint (plab_process_kill (p), ==, PLAB_ESTATE);
  plab_process_free (p);
}

static void
test_kill_and_crash (void)
{
  PlabProcess *a = new_process ("sleeper", sleep_long, NULL);
  PlabProcess *b = new_process ("crasher", crash, NULL);
  PlabExitStatus st;

  g_assert_cmpint (plab_process_start (a), ==, 0);
  g_assert_cmpint (plab_process_start (b), ==, 0);
  g_assert_cmpint (plab_process_kill (a), ==, 0);
  g_assert_cmpint (plab_process_join (a, -1, &st), ==, 0);
  g_assert_cmpint (st.state, ==, PLAB_PROCESS_KILLED);
  g_assert_cmpint (st.signal, ==, SIGKILL);
  g_assert_cmpint (plab_process_join (b, -1, &st), ==, 0);
  g_assert_cmpint (st.state, ==, PLAB_PROCESS_KILLED);
  g_assert_cmpint (st.signal, ==, SIGSEGV);
  plab_process_free (a);
  plab_process_free (b);
}

static void
test_free_running_reaps (void)
{
  PlabProcess *p = new_process ("orphan", sleep_long, NULL);
  pid_t pid;

  g_assert_cmpint (plab_process_set_daemon (p, true), ==, 0);
  g_assert_true (plab_process_daemon (p));
  g_assert_cmpint (plab_process_start (p), ==, 0);
  g_assert_cmpint (plab_process_set_daemon (p, false), ==, PLAB_ESTATE);
  pid = plab_process_pid (p);
  plab_process_free (p);
  /* Gone and reaped: kill finds no such process. */
  g_assert_cmpint (kill (pid, 0), ==, -1);
}

static int
record_spans (void *arg)
{
  for (int i = 0; i < 10; i++)
    {
      int64_t t = plab_now_ns ();
      plab_span (PLAB_SPAN_TASK, t, t + 100, i, "child task");
    }
  return 0;
}

static void
count_events (void *user_data, const PlabEvent *events, size_t n)
{
  int *counts = user_data;
  for (size_t i = 0; i < n; i++)
    if (events[i].kind == PLAB_SPAN_TASK && strcmp (events[i].label, "child task") == 0)
      counts[events[i].lane]++;
}

static void
test_traced_child (void)
{
  PlabTrace *trace = plab_trace_new ();
  PlabProcess *p = new_process ("traced", record_spans, NULL);
  PlabTraceSink sink = { .events = count_events };
  int counts[4] = { 0 };
  PlabLaneInfo lane;
  PlabExitStatus st;

  sink.user_data = counts;
  plab_trace_set_sink (trace, &sink);
  plab_process_set_trace (p, trace);
  g_assert_cmpint (plab_process_start (p), ==, 0);
  g_assert_cmpint (plab_process_join (p, -1, &st), ==, 0);
  plab_trace_drain (trace);
  g_assert_cmpint (plab_process_lane (p), ==, 1);
  g_assert_cmpint (counts[1], ==, 10);
  g_assert_cmpint (counts[0], ==, 0);
  g_assert_cmpint (plab_trace_get_lane (trace, 1, &lane), ==, 0);
  g_assert_cmpint (lane.pid, ==, plab_process_pid (p));
  g_assert_cmpint (lane.kind, ==, PLAB_LANE_PROCESS);
  g_assert_cmpint (lane.end, ==, PLAB_LANE_EXITED);
  g_assert_cmpstr (lane.name, ==, "traced");
  plab_process_free (p);
  plab_trace_free (trace);
}

static int
sleep_briefly (void *arg)
{
  (void)arg;
  plab_sleep_ns (100 * 1000000LL);
  return 0;
}

static void
find_join_wait (void *user_data, const PlabEvent *events, size_t n)
{
  int64_t *longest = user_data;
  for (size_t i = 0; i < n; i++)
    if (events[i].lane == 0 && events[i].kind == PLAB_SPAN_WAIT
        && strcmp (events[i].label, "wait: join napper") == 0)
      *longest = MAX (*longest, events[i].end_ns - events[i].start_ns);
}

static void
test_join_is_a_wait (void)
{
  PlabTrace *trace = plab_trace_new ();
  PlabProcess *p = new_process ("napper", sleep_briefly, NULL);
  PlabTraceSink sink = { .events = find_join_wait };
  int64_t longest = -1;

  sink.user_data = &longest;
  plab_trace_set_sink (trace, &sink);
  plab_process_set_trace (p, trace);
  g_assert_cmpint (plab_process_start (p), ==, 0);
  g_assert_cmpint (plab_process_join (p, -1, NULL), ==, 0);
  /* A second join finds it gone at once: no second span. */
  g_assert_cmpint (plab_process_join (p, -1, NULL), ==, 0);
  plab_trace_drain (trace);
  /* The parent's lane shows it waited for the child by name, most of its 100 ms. */
  g_assert_cmpint (longest, >, 50 * 1000000LL);
  plab_process_free (p);
  plab_trace_free (trace);
}

static int
report_parent (void *arg)
{
  (void)arg;
  /* Exit code 0 when the child knows its parent, 1 when it does not. */
  return plab_process_parent_pid () == getppid () ? 0 : 1;
}

static int
nap_then_exit_7 (void *arg)
{
  (void)arg;
  plab_sleep_ns (200 * 1000000LL);
  return 7;
}

static void
test_parent_and_non_daemon_free (void)
{
  PlabProcess *p = new_process ("child", report_parent, NULL);
  PlabExitStatus st;
  pid_t pid;
  int64_t t0;
  int wstatus;

  g_assert_cmpint (plab_process_parent_pid (), ==, 0);
  g_assert_cmpint (plab_process_start (p), ==, 0);
  g_assert_cmpint (plab_process_join (p, -1, &st), ==, 0);
  g_assert_cmpint (st.code, ==, 0);
  plab_process_free (p);

  /* Freeing a running non-daemon waits for it to finish its work. */
  p = new_process ("worker", nap_then_exit_7, NULL);
  g_assert_false (plab_process_daemon (p));
  g_assert_cmpint (plab_process_start (p), ==, 0);
  pid = plab_process_pid (p);
  t0 = plab_now_ns ();
  plab_process_free (p);
  /* It was not killed: free waited out its 200 ms nap. */
  g_assert_cmpint (plab_now_ns () - t0, >, 100 * 1000000LL);
  /* And it was reaped: nothing left to wait for. */
  g_assert_cmpint (waitpid (pid, &wstatus, WNOHANG), ==, -1);
}

/* 0 at program start; set to 2 just before the fork server starts and to 1
 * after, so what a child reads tells which memory it began from. */
static int global_mark;

static int
return_global_mark (void *arg)
{
  (void)arg;
  return global_mark;
}

static void
test_what_a_child_inherits (void)
{
  /* fork: the caller's memory now; forkserver: the server's, from when it
   * started; spawn: the program's own, as it starts. */
  static const int expect[PLAB_N_START_METHODS]
      = { [PLAB_START_FORK] = 3, [PLAB_START_SPAWN] = 0, [PLAB_START_FORKSERVER] = 2 };

  global_mark = 3;
  for (int m = 0; m < PLAB_N_START_METHODS; m++)
    {
      PlabProcess *p = plab_process_new ("inherits", return_global_mark, NULL);
      PlabExitStatus st;

      g_assert_cmpint (plab_process_set_start_method (p, (PlabStartMethod)m), ==, 0);
      g_assert_cmpint (plab_process_start_method (p), ==, m);
      g_assert_cmpint (plab_process_start (p), ==, 0);
      g_assert_cmpint (plab_process_set_start_method (p, PLAB_START_FORK), ==, PLAB_ESTATE);
      g_assert_cmpint (plab_process_join (p, HANG_NS, &st), ==, 0);
      g_test_message ("%s: the child saw %d", plab_start_method_name (m), st.code);
      g_assert_cmpint (st.state, ==, PLAB_PROCESS_EXITED);
      g_assert_cmpint (st.code, ==, expect[m]);
      plab_process_free (p);
    }
  global_mark = 1;
}

typedef struct
{
  int values[5];
  char word[16];
} ArgBlock;

static int
sum_arg (void *arg)
{
  const ArgBlock *b = arg;
  int sum = 0;

  for (int i = 0; i < 5; i++)
    sum += b->values[i];
  return strcmp (b->word, "copied") == 0 ? sum : 255;
}

static void
test_arg_copy (void)
{
  ArgBlock *b = g_new0 (ArgBlock, 1);
  PlabProcess *p = new_process ("arg", sum_arg, b);
  PlabExitStatus st;

  for (int i = 0; i < 5; i++)
    b->values[i] = i + 1;
  g_strlcpy (b->word, "copied", sizeof b->word);
  g_assert_cmpint (plab_process_set_arg_size (p, sizeof *b), ==, 0);
  g_assert_cmpint (plab_process_start (p), ==, 0);
  g_assert_cmpint (plab_process_set_arg_size (p, 8), ==, PLAB_ESTATE);
  /* The child has its own copy (or, under fork, its own memory): a change now is not seen. */
  b->values[0] = 100;
  g_assert_cmpint (plab_process_join (p, HANG_NS, &st), ==, 0);
  g_assert_cmpint (st.state, ==, PLAB_PROCESS_EXITED);
  g_assert_cmpint (st.code, ==, 15);
  plab_process_free (p);
  g_free (b);

  p = new_process ("no arg", sum_arg, NULL);
  g_assert_cmpint (plab_process_set_arg_size (p, 8), ==, PLAB_EINVAL);
  plab_process_free (p);
}

static void
test_active_children (void)
{
  PlabProcess *a = new_process ("sleeper", sleep_long, NULL);
  PlabProcess *b = new_process ("quick", exit_with, GINT_TO_POINTER (0));
  PlabProcess *c = new_process ("never started", exit_with, NULL);
  PlabProcess *out[4] = { NULL };

  g_assert_cmpint (plab_active_children (NULL, 0), ==, 0);
  g_assert_cmpint (plab_process_start (a), ==, 0);
  g_assert_cmpint (plab_process_start (b), ==, 0);
  g_assert_cmpint (plab_process_join (b, HANG_NS, NULL), ==, 0);
  /* Only the sleeper runs: the quick one ended, c never started. */
  g_assert_cmpint (plab_active_children (out, 4), ==, 1);
  g_assert_true (out[0] == a);
  g_assert_cmpint (plab_process_kill (a), ==, 0);
  g_assert_cmpint (plab_process_join (a, HANG_NS, NULL), ==, 0);
  g_assert_cmpint (plab_active_children (out, 4), ==, 0);
  plab_process_free (a);
  plab_process_free (b);
  plab_process_free (c);
}

static void
test_start_method_names (void)
{
  PlabStartMethod m;

  for (int i = 0; i < PLAB_N_START_METHODS; i++)
    {
      g_assert_cmpint (plab_start_method_from_name (plab_start_method_name (i), &m), ==, 0);
      g_assert_cmpint (m, ==, i);
    }
  g_assert_cmpint (plab_start_method_from_name ("vfork", &m), ==, PLAB_EINVAL);
  g_assert_cmpstr (plab_start_method_name (PLAB_START_SPAWN), ==, "spawn");
}

/* The sentinel stays quiet while the child runs and becomes readable once
 * it ends, joined or not, under every start method. */
static void
test_sentinel (void)
{
  PlabProcess *p = new_process ("sentinel", sleep_long, NULL);
  struct pollfd pfd = { .events = POLLIN };
  PlabExitStatus st;

  g_assert_cmpint (plab_process_sentinel (p), ==, PLAB_ESTATE);
  g_assert_cmpint (plab_process_start (p), ==, 0);
  pfd.fd = plab_process_sentinel (p);
  if (pfd.fd == PLAB_ESYS)
    {
      /* valgrind 3.19 (the memcheck stage) does not know pidfd_open. */
      g_test_skip ("no pidfd_open here: a process has no sentinel");
      wait_until_execd (p);
      g_assert_cmpint (plab_process_terminate (p), ==, 0);
      g_assert_cmpint (plab_process_join (p, HANG_NS, &st), ==, 0);
      plab_process_free (p);
      return;
    }
  g_assert_cmpint (pfd.fd, >=, 0);
  g_assert_cmpint (poll (&pfd, 1, 100), ==, 0);

  wait_until_execd (p);
  g_assert_cmpint (plab_process_terminate (p), ==, 0);
  g_assert_cmpint (poll (&pfd, 1, (int)(HANG_NS / 1000000)), ==, 1);
  g_assert_true (pfd.revents & POLLIN);
  /* Readable before the join reaped it, and still after. */
  g_assert_cmpint (plab_process_join (p, HANG_NS, &st), ==, 0);
  g_assert_cmpint (st.state, ==, PLAB_PROCESS_KILLED);
  g_assert_cmpint (plab_process_sentinel (p), ==, pfd.fd);
  g_assert_cmpint (poll (&pfd, 1, 0), ==, 1);
  plab_process_free (p);
}

int
main (int argc, char **argv)
{
  plab_spawn_main (argc, argv);
  /* Early, while the program is small and has one thread, as Python does. */
  global_mark = 2;
  g_assert_cmpint (plab_forkserver_start (), ==, 0);
  global_mark = 1;
  g_test_init (&argc, &argv, NULL);
  start_test_add ("plab/process", "exit-code", test_exit_code);
  start_test_add ("plab/process", "join-timeout-terminate", test_join_timeout_then_terminate);
  start_test_add ("plab/process", "kill-and-crash", test_kill_and_crash);
  start_test_add ("plab/process", "free-reaps", test_free_running_reaps);
  start_test_add ("plab/process", "traced-child", test_traced_child);
  start_test_add ("plab/process", "join-is-a-wait", test_join_is_a_wait);
  start_test_add ("plab/process", "parent-and-non-daemon-free", test_parent_and_non_daemon_free);
  start_test_add ("plab/process", "arg-copy", test_arg_copy);
  start_test_add ("plab/process", "active-children", test_active_children);
  start_test_add ("plab/process", "sentinel", test_sentinel);
  g_test_add_func ("/plab/process/what-a-child-inherits", test_what_a_child_inherits);
  g_test_add_func ("/plab/process/start-method-names", test_start_method_names);
  return g_test_run ();
}
