/* plab-json.h: a small JSON reader for result summaries and run parameters.
 *
 * Charts must not depend on GLib, so ui/ reads the JSON a demo writes (its
 * result summary with the optional "figure", its parameters) with this
 * reader: a whole document is parsed into a tree of PlabJson nodes that the
 * caller frees with plab_json_free (). Strict RFC 8259 syntax, UTF-8 in and
 * out, nesting limited to PLAB_JSON_MAX_DEPTH. Object members keep their
 * order, which is the order tables show them in.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PLAB_JSON_MAX_DEPTH 64

typedef enum
{
  PLAB_JSON_NULL = 0,
  PLAB_JSON_BOOL,
  PLAB_JSON_NUMBER,
  PLAB_JSON_STRING,
  PLAB_JSON_ARRAY,
  PLAB_JSON_OBJECT,
} PlabJsonType;

typedef struct PlabJson PlabJson;

struct PlabJson
{
  PlabJsonType type;
  bool boolean;
  double number;
  char *string;       /* PLAB_JSON_STRING: the decoded text */
  char *key;          /* the member name, when this node is in an object */
  PlabJson *children; /* array items or object members */
  size_t n_children;
};

/* Parses @text. Returns the root (free with plab_json_free ()) or NULL, with
 * a message naming the offset in @error (may be NULL). */
PlabJson *plab_json_parse (const char *text, char *error, size_t error_len);

void plab_json_free (PlabJson *json);

/* The member @key of an object (the first one when repeated), or NULL. Also
 * NULL when @object is NULL or not an object, so lookups chain. */
const PlabJson *plab_json_get (const PlabJson *object, const char *key);

/* Item @index of an array, or NULL. */
const PlabJson *plab_json_at (const PlabJson *array, size_t index);

/* Items of an array or members of an object; 0 for anything else. */
size_t plab_json_length (const PlabJson *json);

/* The number, or @fallback when @json is not a number. */
double plab_json_number (const PlabJson *json, double fallback);

/* The string, or @fallback when @json is not a string. */
const char *plab_json_string (const PlabJson *json, const char *fallback);

/* Writes a short text for a value, as a table cell shows it: numbers with up
 * to six significant digits, strings as they are, true/false/null, and
 * "[n items]" or "{n keys}" for containers. */
void plab_json_format_value (const PlabJson *json, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
