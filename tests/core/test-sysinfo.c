/* test-sysinfo.c: machine facts, checked against real processes. */
#include "plab.h"

#include <glib.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

static void
test_usable_cpus_range (void)
{
  int usable = plab_usable_cpus ();
  int online = plab_online_cpus ();

  g_assert_cmpint (usable, >=, 1);
  g_assert_cmpint (online, >=, 1);
  g_assert_cmpint (usable, <=, online);
}

/* A child pinned to one CPU must see exactly one usable CPU, whatever the
 * machine has. */
static void
test_usable_cpus_affinity (void)
{
  cpu_set_t set;
  int first = -1;
  int status;
  pid_t pid;

  g_assert_cmpint (sched_getaffinity (0, sizeof set, &set), ==, 0);
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET (i, &set))
      {
        first = i;
        break;
      }
  g_assert_cmpint (first, >=, 0);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      cpu_set_t one;

      CPU_ZERO (&one);
      CPU_SET (first, &one);
      if (sched_setaffinity (0, sizeof one, &one) != 0)
        _exit (100);
      _exit (plab_usable_cpus ());
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);

  /* The parent's own mask is untouched. */
  g_assert_cmpint (plab_usable_cpus (), >=, 1);
}

static void
test_start_ticks (void)
{
  int to_child[2];
  int64_t self_ticks, child_ticks, after;
  siginfo_t info;
  int status;
  pid_t pid;
  char c = 0;

  self_ticks = plab_process_start_ticks ((int)getpid ());
  g_assert_cmpint (self_ticks, >, 0);
  /* Stable: the same process always has the same start. */
  g_assert_cmpint (plab_process_start_ticks ((int)getpid ()), ==, self_ticks);
  g_assert_cmpint (plab_process_start_ticks (0), ==, -1);
  g_assert_cmpint (plab_process_start_ticks (-5), ==, -1);

  g_assert_cmpint (pipe (to_child), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      close (to_child[1]);
      /* Wait until the parent has looked at us, then end. */
      if (read (to_child[0], &c, 1) < 0)
        _exit (2);
      _exit (0);
    }
  close (to_child[0]);

  child_ticks = plab_process_start_ticks (pid);
  g_assert_cmpint (child_ticks, >, 0);
  g_assert_cmpint (child_ticks, >=, self_ticks);

  g_assert_cmpint (write (to_child[1], &c, 1), ==, 1);
  close (to_child[1]);

  /* Exited but not reaped: a zombie counts as gone. */
  memset (&info, 0, sizeof info);
  g_assert_cmpint (waitid (P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), ==, 0);
  g_assert_cmpint (plab_process_start_ticks (pid), ==, -1);

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  after = plab_process_start_ticks (pid);
  /* Gone, or (rarely) the pid was already reused by a younger process. */
  g_assert_true (after == -1 || after != child_ticks);
}

static void
test_machine_info (void)
{
  PlabMachineInfo info;

  plab_machine_info (&info);
  g_assert_cmpstr (info.host, !=, "");
  g_assert_cmpstr (info.cpu_model, !=, "");
  g_assert_true (g_str_has_prefix (info.os, "Linux "));
  g_assert_true (g_str_has_prefix (info.compiler, "gcc ")
                 || g_str_has_prefix (info.compiler, "clang "));
  g_assert_cmpstr (info.version, !=, "");
  g_assert_cmpstr (info.version, !=, "unknown");
  g_assert_cmpint (info.usable_cpus, ==, plab_usable_cpus ());
  g_assert_cmpint (info.online_cpus, ==, plab_online_cpus ());
}

static int64_t
process_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spends @ns of CPU time (not wall time: the machine may be busy). */
static void
burn (int64_t ns)
{
  int64_t end = process_cpu_ns () + ns;
  volatile uint64_t x = 1;

  while (process_cpu_ns () < end)
    for (int i = 0; i < 1000; i++)
      x = x * 6364136223846793005u + 1;
}

/* CPU time counts this process and, once reaped, its children. */
static void
test_cpu_time (void)
{
  int64_t before, after;
  int status;
  pid_t pid;

  before = plab_cpu_time_ns ();
  burn (60 * 1000000);
  after = plab_cpu_time_ns ();
  g_assert_cmpint (after - before, >=, 55 * 1000000);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      burn (100 * 1000000);
      _exit (0);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  before = after;
  after = plab_cpu_time_ns ();
  g_assert_cmpint (after - before, >=, 95 * 1000000);
}

/* --- Run delay --- */

#define N_SPINNERS 4

/* A child process that spins on @cpu until it is killed, or its parent dies
 * (a failed assertion must not leave it spinning). */
static pid_t
spawn_spinner (int cpu)
{
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      cpu_set_t one;
      volatile uint64_t x = 1;

      prctl (PR_SET_PDEATHSIG, SIGKILL);
      CPU_ZERO (&one);
      CPU_SET (cpu, &one);
      if (sched_setaffinity (0, sizeof one, &one) != 0)
        _exit (1);
      for (;;)
        x = x * 6364136223846793005u + 1;
    }
  return pid;
}

/* A process that spins on one CPU beside three others spends about three
 * quarters of the time runnable but waiting for the CPU (more when the
 * machine is busy as well): its run delay grows by at least half the time
 * that passed, and by no more than that time (a wait that was going on at
 * the first read may add a few slices). Its run time, the field before, grows
 * by a quarter at most, so reading the wrong field fails. The spinners are
 * processes, not threads: under valgrind the threads of one process take
 * turns on one lock, asleep rather than waiting for the CPU. */
static void
test_run_delay_grows (void)
{
  pid_t spinners[N_SPINNERS];
  cpu_set_t mask;
  int cpu = 0, status;
  int64_t d0 = -1, d1 = -1, t0, t1;

  g_assert_cmpint (sched_getaffinity (0, sizeof mask, &mask), ==, 0);
  while (!CPU_ISSET (cpu, &mask))
    cpu++;
  for (int i = 0; i < N_SPINNERS; i++)
    spinners[i] = spawn_spinner (cpu);
  /* Let all four start spinning on the CPU (under valgrind, starting takes
   * a while, spent mostly on the CPU the spinners share). */
  g_usleep (RUNNING_ON_VALGRIND ? 2000000 : 50000);

  t0 = plab_now_ns ();
  g_assert_cmpint (plab_sched_run_delay (spinners[0], 0, &d0), ==, 0);
  g_usleep (400000);
  g_assert_cmpint (plab_sched_run_delay (spinners[0], 0, &d1), ==, 0);
  t1 = plab_now_ns ();

  for (int i = 0; i < N_SPINNERS; i++)
    {
      kill (spinners[i], SIGKILL);
      g_assert_cmpint (waitpid (spinners[i], &status, 0), ==, spinners[i]);
      g_assert_true (WIFSIGNALED (status));
    }

  g_test_message ("run delay grew %.1f ms in %.1f ms", (d1 - d0) / 1e6, (t1 - t0) / 1e6);
  g_assert_cmpint (d0, >=, 0);
  g_assert_cmpint (d1 - d0, >=, (t1 - t0) / 2);
  g_assert_cmpint (d1 - d0, <=, (t1 - t0) + 100 * 1000000LL);
}

/* This process's main thread and the calling thread are read; a process or
 * thread that does not exist (a child already reaped) is PLAB_ENOTFOUND and
 * leaves the value alone; nonsense is PLAB_EINVAL. */
static void
test_run_delay_missing (void)
{
  int64_t ns = -1;
  int status;
  pid_t pid;

  g_assert_cmpint (plab_sched_run_delay (getpid (), 0, &ns), ==, 0);
  g_assert_cmpint (ns, >=, 0);
  ns = -1;
  g_assert_cmpint (plab_sched_run_delay (getpid (), (int)syscall (SYS_gettid), &ns), ==, 0);
  g_assert_cmpint (ns, >=, 0);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    _exit (0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  ns = 12345;
  g_assert_cmpint (plab_sched_run_delay (pid, 0, &ns), ==, PLAB_ENOTFOUND);
  g_assert_cmpint (plab_sched_run_delay (pid, pid, &ns), ==, PLAB_ENOTFOUND);
  g_assert_cmpint (plab_sched_run_delay (getpid (), pid, &ns), ==, PLAB_ENOTFOUND);
  g_assert_cmpint (ns, ==, 12345);

  g_assert_cmpint (plab_sched_run_delay (0, 0, &ns), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_sched_run_delay (-1, 0, &ns), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_sched_run_delay (getpid (), 0, NULL), ==, PLAB_EINVAL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/plab/sysinfo/usable-cpus-range", test_usable_cpus_range);
  g_test_add_func ("/plab/sysinfo/usable-cpus-affinity", test_usable_cpus_affinity);
  g_test_add_func ("/plab/sysinfo/start-ticks", test_start_ticks);
  g_test_add_func ("/plab/sysinfo/machine-info", test_machine_info);
  g_test_add_func ("/plab/sysinfo/cpu-time", test_cpu_time);
  g_test_add_func ("/plab/sysinfo/run-delay-grows", test_run_delay_grows);
  g_test_add_func ("/plab/sysinfo/run-delay-missing", test_run_delay_missing);

  return g_test_run ();
}
