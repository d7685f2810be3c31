/* test-error.c: the error codes' messages and the detail of a failed system call. */
#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>

#include "plab-error.h"

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/error/table", test_table);
  g_test_add_func ("/plab/error/syscall-names-call-and-limit", test_syscall_names_call_and_limit);
  g_test_add_func ("/plab/error/detail-per-thread", test_detail_per_thread);
  return g_test_run ();
}
