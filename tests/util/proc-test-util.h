/* proc-test-util.h: children forked by the tests of core's cross-process
 * objects (queues, pipes, locks), their exit codes, and the check that a
 * blocking call ends when its thread's cancel flag goes up. */
#pragma once

#include <glib.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"

/* How long a wait for another process or thread may take before the test
 * calls it a hang: generous, because valgrind and a loaded machine slow the
 * other side down, and the tests claim nothing about speed. */
#define HANG_NS (60 * 1000000000LL)

/* Forks; the test fails at once when it cannot. */
static G_GNUC_UNUSED pid_t
proc_test_fork (void)
{
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  return pid;
}

/* Waits for child @pid, which must exit (not die of a signal), and returns
 * its exit code. */
static G_GNUC_UNUSED int
proc_test_wait_code (pid_t pid)
{
  int status;

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

/* Runs @func on a thread whose blocking call watches @cancel and stores
 * plab_now_ns () in @returned_ns when it returns. The call must still be
 * blocked after a few cancel slices; then the flag goes up, the thread is
 * joined, and the call must have returned after the flag, not before.
 * Returns how long after the flag it returned, in nanoseconds. */
static G_GNUC_UNUSED int64_t
proc_test_cancel_blocked (GThreadFunc func,
                          gpointer data,
                          volatile sig_atomic_t *cancel,
                          int64_t *returned_ns)
{
  GThread *th = g_thread_new ("waiter", func, data);
  int64_t raised;

  g_usleep (3 * PLAB_CANCEL_SLICE_NS / 1000);
  g_assert_cmpint (__atomic_load_n (returned_ns, __ATOMIC_ACQUIRE), ==, 0);
  raised = plab_now_ns ();
  __atomic_store_n (cancel, 1, __ATOMIC_SEQ_CST);
  g_thread_join (th);
  g_assert_cmpint (*returned_ns, >=, raised);
  return *returned_ns - raised;
}
