/* plab-error.c: messages for the core error codes, and the cancel flag
 * each thread watches. */
#include "plab-error.h"

#include <stddef.h>

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
