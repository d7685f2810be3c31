/* plab-core-error.h: core error codes as GError.
 *
 * Core functions return 0 or a negative PLAB_E* code; where GLib code reports
 * such a failure it uses this one domain, with the code negated (PLAB_ENOTFOUND
 * becomes the positive error code -PLAB_ENOTFOUND), so callers can still test
 * for a particular core error with g_error_matches ().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PLAB_CORE_ERROR (plab_core_error_quark ())

GQuark plab_core_error_quark (void);

/* Sets @error from core code @rc with a message: "@format: plab_strerror (rc)". */
void plab_set_core_error (GError **error, int rc, const char *format, ...) G_GNUC_PRINTF (3, 4);

G_END_DECLS
