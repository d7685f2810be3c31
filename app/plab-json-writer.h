/* plab-json-writer.h: core's JSON writer (plab-json.h) on a GString.
 *
 * The command line and the window build their text in GStrings; these append
 * what core's writer writes, so escaping and number formats have one home.
 */
#pragma once

#include <glib.h>

#include "plab-machine-load.h"

G_BEGIN_DECLS

/* Appends @text as a quoted JSON string (NULL as null); bytes that are not
 * UTF-8 become U+FFFD. */
void plab_json_append_string (GString *out, const char *text);

/* Appends a number with up to 9 significant digits; NaN and infinities as null. */
void plab_json_append_double (GString *out, double value);

/* Append one more member of an object: a comma, @key quoted, a colon and
 * the value as the functions above write it. @key is plain ASCII. */
void plab_json_append_string_member (GString *out, const char *key, const char *text);
void plab_json_append_double_member (GString *out, const char *key, double value);

/* Appends @json as is when it is one valid JSON object in UTF-8, else {}.
 * For the demos' result and parameter objects, which are JSON already. */
void plab_json_append_object (GString *out, const char *json);

/* Appends how busy the machine was around a run: null when not measured,
 * else {"busy": ..., "load_avg_1m": ..., "cpus": ..., "others_share": ...,
 * "steal_share": ..., "note": "..."} with the shares from 0 to 1. */
void plab_json_append_machine_load (GString *out, const PlabMachineLoad *load);

G_END_DECLS
