/* plab-json.h: the one JSON reader and writer of the tree.
 *
 * Core, the demos and the charts have no GLib, and all of them read or write
 * JSON: a demo's result summary (with its optional "figure") and parameters,
 * the runner's summaries and progress stream, the trace exports. So both live
 * here, in plain C.
 *
 * Reading: a whole document is parsed into a tree of PlabJson nodes that the
 * caller frees with plab_json_free (). Strict RFC 8259 syntax, UTF-8 in and
 * out, nesting limited to PLAB_JSON_MAX_DEPTH. Object members keep their
 * order, which is the order tables show them in.
 *
 * Writing: appends to a PlabBuf, a growable NUL-terminated string
 * (plab-json-writer.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* --- Writing --- */

/* A growable NUL-terminated string. One that failed to grow remembers it
 * (oom) and ignores later appends, so a writer checks once at the end. Zero
 * it with plab_buf_init (); data is NULL until something is appended. */
typedef struct
{
  char *data;
  size_t len;
  size_t cap;
  bool oom;
} PlabBuf;

void plab_buf_init (PlabBuf *buf);
void plab_buf_clear (PlabBuf *buf);
void plab_buf_append (PlabBuf *buf, const char *text);
void plab_buf_append_len (PlabBuf *buf, const char *text, size_t n);
void plab_buf_printf (PlabBuf *buf, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Takes the string out of @buf (NULL when it ran out of memory); the caller
 * frees it with free (). @buf is empty again. */
char *plab_buf_steal (PlabBuf *buf);

/* Appends @text as a quoted JSON string (NULL as null); bytes that are not
 * UTF-8 become U+FFFD. */
void plab_json_write_string (PlabBuf *buf, const char *text);

/* Appends a number: integers without a fraction, others with enough digits to
 * read back the same double; NaN and infinities (not JSON) as null. */
void plab_json_write_number (PlabBuf *buf, double value);

/* Appends a number with @digits significant digits (1..17), null for NaN
 * and infinities, whatever the locale's decimal point. */
void plab_json_write_digits (PlabBuf *buf, double value, int digits);

/* Appends a measured number with six significant digits, which is what a
 * table or a chart can show (null for NaN and infinities). */
void plab_json_write_short (PlabBuf *buf, double value);

/* Appends [v0, v1, ...] with plab_json_write_short (). */
void plab_json_write_numbers (PlabBuf *buf, const double *values, size_t n);

/* Appends @json as it is when it is one valid JSON object in UTF-8, else {}:
 * for the demos' result and parameter objects, which are JSON already but
 * may come from a store anyone can edit. */
void plab_json_write_object (PlabBuf *buf, const char *json);

/* True when @text is one JSON object in valid UTF-8. */
bool plab_json_is_object (const char *text);

/* True when @text is valid UTF-8 throughout. */
bool plab_utf8_valid (const char *text);

/* The length of the well-formed UTF-8 sequence at @p (1 to 4), or 0 when the
 * bytes there are not one; also a safe place to cut a string (a cut before a
 * byte for which this is non-zero never splits a character). */
size_t plab_utf8_sequence_length (const unsigned char *p);

#ifdef __cplusplus
}
#endif
