/* plab-core-error.c: core error codes as GError. */
#include "plab-core-error.h"

#include "plab-error.h"

G_DEFINE_QUARK (plab - core - error - quark, plab_core_error)

void
plab_set_core_error (GError **error, int rc, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  if (error == NULL)
    return;
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, PLAB_CORE_ERROR, -rc, "%s: %s", what, plab_strerror (rc));
}
