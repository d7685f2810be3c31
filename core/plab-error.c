/* plab-error.c: messages for the core error codes, the detail of the last
 * failed system call, and the cancel flag each thread watches. */
#include "plab-error.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* Per thread: a worker thread's failure never changes what another reads. */
static __thread char error_detail[256];
/* The code error_detail explains. */
static __thread int error_detail_code;

/* The flag the calling thread watches; NULL for none. Only the thread itself
 * changes it; the flag it points to is written by a signal handler or by
 * another thread or process, and read here as an atomic. */
static __thread __attribute__ ((tls_model ("initial-exec")))
const volatile sig_atomic_t *thread_cancel;

const char *
plab_strerror (int code)
{
  switch (code)
    {
#define PLAB_ERROR_TEXT(name, value, text)                                                         \
  case value:                                                                                      \
    return text;
      PLAB_ERROR_TABLE (PLAB_ERROR_TEXT)
#undef PLAB_ERROR_TEXT
    default:
      return "unknown error";
    }
}

const char *
plab_error_name (int code)
{
  switch (code)
    {
#define PLAB_ERROR_NAME(name, value, text)                                                         \
  case value:                                                                                      \
    return #name;
      PLAB_ERROR_TABLE (PLAB_ERROR_NAME)
#undef PLAB_ERROR_NAME
    default:
      return "PLAB_E?";
    }
}

const char *
plab_error_detail (void)
{
  return error_detail;
}

int
plab_error_detail_code (void)
{
  return error_detail_code;
}

const char *
plab_error_describe (int code, char *buf, unsigned long len)
{
  if (code != 0 && code == error_detail_code && error_detail[0] != '\0')
    snprintf (buf, len, "%s: %s", plab_strerror (code), error_detail);
  else
    snprintf (buf, len, "%s", plab_strerror (code));
  return buf;
}

int
_plab_error_syscall (const char *call, int errnum)
{
  char reason[128];
  struct rlimit limit;
  int n;

  /* strerror_r is the GNU one under _GNU_SOURCE: it may return a static
   * string instead of filling the buffer. */
  error_detail_code = PLAB_ESYS;
  n = snprintf (error_detail, sizeof error_detail, "%s: %s", call,
                strerror_r (errnum, reason, sizeof reason));
  /* A process or a thread that cannot start for want of room is most often
   * the per-user limit on processes (threads count too): name it, with its
   * value, so the user knows what to raise. */
  if (errnum == EAGAIN && (strcmp (call, "fork") == 0 || strcmp (call, "pthread_create") == 0)
      && getrlimit (RLIMIT_NPROC, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && n > 0
      && (size_t)n < sizeof error_detail)
    snprintf (error_detail + n, sizeof error_detail - (size_t)n,
              " (this user may run at most %llu processes and threads: RLIMIT_NPROC, "
              "ulimit -u)",
              (unsigned long long)limit.rlim_cur);
  return PLAB_ESYS;
}

int
_plab_error_set (int code, const char *format, ...)
{
  va_list args;

  error_detail_code = code;
  va_start (args, format);
  vsnprintf (error_detail, sizeof error_detail, format, args);
  va_end (args);
  return code;
}

bool
plab_cancelled (void)
{
  const volatile sig_atomic_t *flag = thread_cancel;

  return flag != NULL && __atomic_load_n (flag, __ATOMIC_RELAXED) != 0;
}

const volatile sig_atomic_t *
plab_cancel_watch (const volatile sig_atomic_t *flag)
{
  const volatile sig_atomic_t *before = thread_cancel;

  thread_cancel = flag;
  return before;
}

const volatile sig_atomic_t *
plab_cancel_flag (void)
{
  return thread_cancel;
}
