/* test-error.c: the error codes' messages, the detail of a failed system
 * call, and the reasons the constructors give when they fail. */
#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"

static void
test_table (void)
{
  g_assert_cmpstr (plab_strerror (PLAB_ETIMEDOUT), ==, "timed out");
  g_assert_cmpstr (plab_error_name (PLAB_ETIMEDOUT), ==, "PLAB_ETIMEDOUT");
  g_assert_cmpstr (plab_strerror (-9999), ==, "unknown error");
  g_assert_cmpstr (plab_error_name (-9999), ==, "PLAB_E?");
}

static void
test_syscall_names_call_and_limit (void)
{
  struct rlimit old, lower;
  char buf[400];

  /* Any process may lower its own soft limit; the message reads it. */
  g_assert_cmpint (getrlimit (RLIMIT_NPROC, &old), ==, 0);
  lower = old;
  lower.rlim_cur = 7;
  g_assert_cmpint (setrlimit (RLIMIT_NPROC, &lower), ==, 0);
  g_assert_cmpint (_plab_error_syscall ("fork", EAGAIN), ==, PLAB_ESYS);
  g_assert_cmpint (setrlimit (RLIMIT_NPROC, &old), ==, 0);

  g_assert_true (g_str_has_prefix (plab_error_detail (), "fork: "));
  g_assert_nonnull (strstr (plab_error_detail (), "at most 7 processes"));
  g_assert_nonnull (strstr (plab_error_detail (), "RLIMIT_NPROC"));
  plab_error_describe (PLAB_ESYS, buf, sizeof buf);
  g_assert_true (g_str_has_prefix (buf, "a system call failed: fork: "));

  /* Another error is not about a limit; other codes keep their plain text. */
  _plab_error_syscall ("mmap", ENOMEM);
  g_assert_null (strstr (plab_error_detail (), "RLIMIT"));
  g_assert_true (g_str_has_prefix (plab_error_detail (), "mmap: "));
  plab_error_describe (PLAB_ECANCELLED, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "cancelled");
}

static void *
other_thread (void *data)
{
  /* A fresh thread has seen no failure, whatever the main thread saw. */
  g_assert_cmpstr (plab_error_detail (), ==, "");
  _plab_error_syscall ("pthread_create", EINVAL);
  return NULL;
}

static void
test_detail_per_thread (void)
{
  pthread_t t;

  _plab_error_syscall ("fork", ENOMEM);
  g_assert_cmpint (pthread_create (&t, NULL, other_thread, NULL), ==, 0);
  g_assert_cmpint (pthread_join (t, NULL), ==, 0);
  g_assert_true (g_str_has_prefix (plab_error_detail (), "fork: "));
}

static int
never_run (void *arg)
{
  return 0;
}

/* Arguments a constructor refuses: each says which, under PLAB_EINVAL. */
static void
test_constructor_invalid_argument (void)
{
  PlabPoolOptions options = { .backend = PLAB_BACKEND_THREADS, .workers = -1 };
  PlabPool *pool = NULL;
  PlabShm *shm = NULL;
  char buf[400];

  g_assert_null (plab_barrier_new ("painters", 0));
  g_assert_cmpint (plab_error_detail_code (), ==, PLAB_EINVAL);
  g_assert_cmpstr (plab_error_detail (), ==,
                   "plab_barrier_new painters: parties must be 1 or more");
  plab_error_describe (PLAB_EINVAL, buf, sizeof buf);
  g_assert_cmpstr (buf, ==,
                   "invalid argument: plab_barrier_new painters: parties must be 1 or more");

  g_assert_null (plab_process_new ("nobody", NULL, NULL));
  g_assert_nonnull (strstr (plab_error_detail (), "func is NULL"));

  g_assert_cmpint (plab_pool_new (&options, &pool), ==, PLAB_EINVAL);
  g_assert_null (pool);
  g_assert_nonnull (strstr (plab_error_detail (), "workers is -1"));

  g_assert_cmpint (plab_shm_create ("no spaces", 64, &shm), ==, PLAB_EINVAL);
  g_assert_null (shm);
  g_assert_nonnull (strstr (plab_error_detail (), "\"no spaces\" is not a segment name"));

  g_assert_null (plab_semaphore_new ("seats", 5, 3));
  g_assert_nonnull (strstr (plab_error_detail (), "value 5 is over its bound 3"));

  /* A success leaves the last failure's text, as documented. */
  plab_process_free (plab_process_new ("fine", never_run, NULL));
  g_assert_nonnull (strstr (plab_error_detail (), "bound 3"));
}

/* In a child, so that the limits it lowers die with it: with no descriptor
 * left, shm_open fails; with no address space left, every shared object's
 * mmap does. Returns 0 when each failure named its call and its reason. */
static int
provoke_resource_failures (void)
{
  char emfile[128], enomem[128];
  struct rlimit lim;
  PlabShm *shm = NULL;
  int fd;

  snprintf (emfile, sizeof emfile, "%s", strerror (EMFILE));
  snprintf (enomem, sizeof enomem, "%s", strerror (ENOMEM));
  fd = open ("/dev/null", O_RDONLY);
  if (fd < 0)
    return 10;
  close (fd);
  /* The lowest free descriptor is the last one allowed to exist: none is left. */
  lim.rlim_cur = lim.rlim_max = (rlim_t)fd;
  if (setrlimit (RLIMIT_NOFILE, &lim) != 0)
    return 11;
  if (plab_shm_create ("counts", 4096, &shm) != PLAB_ESYS || shm != NULL)
    return 12;
  if (strncmp (plab_error_detail (), "shm_open /plab.", 15) != 0
      || strstr (plab_error_detail (), emfile) == NULL)
    return 13;

  lim.rlim_cur = lim.rlim_max = 1 << 20;
  if (setrlimit (RLIMIT_AS, &lim) != 0)
    return 14;
  if (plab_lock_new ("counter") != NULL)
    return 15;
  if (plab_error_detail_code () != PLAB_ESYS || strncmp (plab_error_detail (), "mmap of ", 8) != 0
      || strstr (plab_error_detail (), enomem) == NULL)
    return 16;
  if (plab_queue_new ("cars", 0, 0) != NULL || strstr (plab_error_detail (), enomem) == NULL)
    return 17;
  if (plab_value_new ("count", PLAB_TYPE_INT64, NULL) != NULL
      || strstr (plab_error_detail (), "mmap of ") == NULL)
    return 18;
  return 0;
}

static void
test_constructor_resource_failure (void)
{
  const char *preload = g_getenv ("LD_PRELOAD");
  int wstatus;
  pid_t pid;

  /* Under valgrind (the memcheck stage) a lowered RLIMIT_AS leaves the
   * tool itself no room. */
  if (preload != NULL && strstr (preload, "vgpreload") != NULL)
    {
      g_test_skip ("under valgrind, whose own memory a lowered RLIMIT_AS takes away");
      return;
    }
  pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    _exit (provoke_resource_failures ());
  g_assert_cmpint (waitpid (pid, &wstatus, 0), ==, pid);
  g_assert_true (WIFEXITED (wstatus));
  g_assert_cmpint (WEXITSTATUS (wstatus), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/error/table", test_table);
  g_test_add_func ("/plab/error/syscall-names-call-and-limit", test_syscall_names_call_and_limit);
  g_test_add_func ("/plab/error/detail-per-thread", test_detail_per_thread);
  g_test_add_func ("/plab/error/constructor-invalid-argument", test_constructor_invalid_argument);
  g_test_add_func ("/plab/error/constructor-resource-failure", test_constructor_resource_failure);
  return g_test_run ();
}
