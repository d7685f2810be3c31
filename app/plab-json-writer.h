/* plab-json-writer.h: the few JSON writing helpers the command line needs.
 *
 * The command line writes JSON (summaries, the progress stream, Chrome traces)
 * but never parses it, so a GString and correct escaping are enough.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends @text as a quoted JSON string (NULL as null); bytes that are not
 * UTF-8 become U+FFFD. */
void plab_json_append_string (GString *out, const char *text);

/* Appends a number with up to 9 significant digits; NaN and infinities as null. */
void plab_json_append_double (GString *out, double value);

/* Appends @json as is when it is one valid JSON object in UTF-8, else {}.
 * For the demos' result and parameter objects, which are JSON already. */
void plab_json_append_object (GString *out, const char *json);

G_END_DECLS
