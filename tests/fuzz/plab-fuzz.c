/* plab-fuzz.c: reporting a broken invariant. */
#include "plab-fuzz.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PLAB_FUZZ_SANITIZED 1
#include <sanitizer/common_interface_defs.h>
#endif
#endif

void
plab_fuzz_fail (const char *file, int line, const char *what)
{
  char message[512];

  snprintf (message, sizeof message, "%s:%d: invariant broken: %s", file, line, what);
  fprintf (stderr, "%s\n", message);
#ifdef PLAB_FUZZ_SANITIZED
  /* libFuzzer may have closed stderr (-close_fd_mask) to hide the output of
   * the code under test; the sanitizers' report channel stays open. */
  __sanitizer_report_error_summary (message);
#endif
  abort ();
}
