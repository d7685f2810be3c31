/* proc-test-util.h: children forked by the tests of core's cross-process
 * objects (queues, pipes, locks), and their exit codes. */
#pragma once

#include <glib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

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
