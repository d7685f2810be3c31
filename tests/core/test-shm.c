/* test-shm.c: named shared memory leaves nothing in /dev/shm, even when its
 * creator is killed. */
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"

/* How many /dev/shm entries the process @pid created. */
static int
segments_of (int pid)
{
  g_autofree char *prefix = g_strdup_printf ("plab.%d.", pid);
  GDir *dir = g_dir_open ("/dev/shm", 0, NULL);
  const char *name;
  int n = 0;

  while (dir && (name = g_dir_read_name (dir)))
    n += g_str_has_prefix (name, prefix);
  if (dir)
    g_dir_close (dir);
  return n;
}

static void
test_create_open_close (void)
{
  PlabShm *shm, *other;
  pid_t pid;
  int status;

  g_assert_cmpint (plab_shm_create ("counts", 4096, &shm), ==, 0);
  g_assert_cmpuint (plab_shm_size (shm), ==, 4096);
  g_assert_true (g_str_has_prefix (plab_shm_name (shm), "/plab."));
  g_assert_cmpint (segments_of (getpid ()), ==, 1);
  g_assert_cmpint (((int *)plab_shm_data (shm))[0], ==, 0);

  /* Another process attaches by name and writes. */
  pid = fork ();
  if (pid == 0)
    {
      PlabShm *s;
      if (plab_shm_open (plab_shm_name (shm), &s) != 0)
        _exit (1);
      ((int *)plab_shm_data (s))[0] = 42;
      plab_shm_close (s);
      _exit (0);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_assert_cmpint (((int *)plab_shm_data (shm))[0], ==, 42);

  g_assert_cmpint (plab_shm_open (plab_shm_name (shm), &other), ==, 0);
  plab_shm_close (other);
  /* A non-owner's close leaves it; the creator's close removes it. */
  g_assert_cmpint (segments_of (getpid ()), ==, 1);
  plab_shm_close (shm);
  g_assert_cmpint (segments_of (getpid ()), ==, 0);
  g_assert_cmpint (plab_shm_open ("/plab.1.nothing-here", &other), ==, PLAB_ENOTFOUND);
}

static void
test_bad_names (void)
{
  PlabShm *shm;

  g_assert_cmpint (plab_shm_create ("", 10, &shm), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_shm_create ("../etc", 10, &shm), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_shm_create ("ok", 0, &shm), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_shm_open ("/other", &shm), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_shm_create ("twice", 10, &shm), ==, 0);
  PlabShm *again;
  g_assert_cmpint (plab_shm_create ("twice", 10, &again), ==, PLAB_EINVAL);
  plab_shm_close (shm);
}

/* A creator killed with its segments open: the watchdog unlinks them. With
 * @closed_std the creator starts with stdin, stdout and stderr closed (as
 * some launchers start programs), so the watchdog's own descriptors are the
 * first free ones, 0 to 2. */
static void
creator_killed (bool closed_std)
{
  pid_t pid = fork ();
  int status;
  int left = -1;

  if (pid == 0)
    {
      PlabShm *a, *b;
      if (closed_std)
        for (int fd = 0; fd < 3; fd++)
          close (fd);
      if (plab_shm_create ("a", 1 << 20, &a) != 0 || plab_shm_create ("b", 100, &b) != 0)
        _exit (1);
      raise (SIGKILL); /* no cleanup code of ours runs */
      _exit (2);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  /* The watchdog notices within moments. */
  for (int i = 0; i < 200 && left != 0; i++)
    {
      left = segments_of (pid);
      if (left)
        g_usleep (10000);
    }
  g_assert_cmpint (left, ==, 0);
}

static void
test_creator_killed (void)
{
  creator_killed (false);
}

static void
test_creator_killed_std_closed (void)
{
  creator_killed (true);
}

static void
test_reap_stale (void)
{
  /* /dev/shm is the machine's: a plab run elsewhere may reap the orphan
   * first, or the dead child's pid may already be someone else's. Either only
   * costs a round; a reaper that never works fails every round. */
  for (int round = 0; round < 20; round++)
    {
      pid_t pid = fork ();
      g_autofree char *name = NULL;
      int fd, reaped;

      if (pid == 0)
        _exit (0);
      waitpid (pid, NULL, 0);
      /* A segment of a dead process whose watchdog is gone too. */
      name = g_strdup_printf ("/plab.%d.orphan", pid);
      fd = shm_open (name, O_RDWR | O_CREAT, 0600);
      g_assert_cmpint (fd, >=, 0);
      close (fd);
      g_assert_cmpint (segments_of (pid), ==, 1);
      reaped = plab_shm_reap_stale ();
      if (reaped >= 1 && segments_of (pid) == 0)
        return;
      g_test_message ("round %d: reaped %d, orphan %s", round, reaped,
                      segments_of (pid) ? "still there" : "gone");
      shm_unlink (name);
    }
  g_assert_not_reached ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/shm/create-open-close", test_create_open_close);
  g_test_add_func ("/plab/shm/bad-names", test_bad_names);
  g_test_add_func ("/plab/shm/creator-killed", test_creator_killed);
  g_test_add_func ("/plab/shm/creator-killed-std-closed", test_creator_killed_std_closed);
  g_test_add_func ("/plab/shm/reap-stale", test_reap_stale);
  return g_test_run ();
}
