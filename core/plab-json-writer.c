/* plab-json-writer.c: the JSON writer of the whole tree, on a growable string.
 *
 * The reader is plab-json.c; both are declared in plab-json.h. Demos write
 * their results with it, the store and the command line their summaries, the
 * progress stream and the trace exports, so there is one escaping rule and one
 * way to write a number. A PlabBuf that failed to grow remembers it (oom) and
 * ignores later appends, so a writer checks once, at the end.
 */
#include "plab-json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- PlabBuf --- */

void
plab_buf_init (PlabBuf *buf)
{
  memset (buf, 0, sizeof *buf);
}

void
plab_buf_clear (PlabBuf *buf)
{
  free (buf->data);
  plab_buf_init (buf);
}

static bool
buf_reserve (PlabBuf *buf, size_t extra)
{
  size_t need;
  size_t cap;
  char *data;

  if (buf->oom)
    return false;
  need = buf->len + extra + 1;
  if (need <= buf->cap)
    return true;
  cap = buf->cap ? buf->cap : 256;
  while (cap < need)
    cap *= 2;
  data = realloc (buf->data, cap);
  if (data == NULL)
    {
      buf->oom = true;
      return false;
    }
  buf->data = data;
  buf->cap = cap;
  return true;
}

void
plab_buf_append_len (PlabBuf *buf, const char *text, size_t n)
{
  if (!buf_reserve (buf, n))
    return;
  memcpy (buf->data + buf->len, text, n);
  buf->len += n;
  buf->data[buf->len] = '\0';
}

void
plab_buf_append (PlabBuf *buf, const char *text)
{
  plab_buf_append_len (buf, text, strlen (text));
}

void
plab_buf_printf (PlabBuf *buf, const char *format, ...)
{
  va_list ap;
  int n;

  va_start (ap, format);
  n = vsnprintf (NULL, 0, format, ap);
  va_end (ap);
  if (n < 0 || !buf_reserve (buf, (size_t)n))
    return;
  va_start (ap, format);
  vsnprintf (buf->data + buf->len, (size_t)n + 1, format, ap);
  va_end (ap);
  buf->len += (size_t)n;
}

char *
plab_buf_steal (PlabBuf *buf)
{
  char *data;

  /* An empty buffer still hands out a string. */
  if (!buf_reserve (buf, 0))
    {
      plab_buf_clear (buf);
      return NULL;
    }
  buf->data[buf->len] = '\0';
  data = buf->data;
  plab_buf_init (buf);
  return data;
}

/* --- Writing JSON --- */

/* The length of the well-formed UTF-8 sequence at @p (1 to 4), or 0 when the
 * bytes there are not one (a stray continuation byte, an overlong form, a
 * surrogate, past U+10FFFF or cut short). */
size_t
plab_utf8_sequence_length (const unsigned char *p)
{
  size_t n;
  uint32_t cp;

  if (p[0] < 0x80)
    return 1;
  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    n = 2, cp = p[0] & 0x1f;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    n = 3, cp = p[0] & 0x0f;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    n = 4, cp = p[0] & 0x07;
  else
    return 0;
  for (size_t i = 1; i < n; i++)
    {
      if ((p[i] & 0xc0) != 0x80)
        return 0;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))
      || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

bool
plab_utf8_valid (const char *text)
{
  const unsigned char *p = (const unsigned char *)text;

  while (*p)
    {
      size_t n = plab_utf8_sequence_length (p);

      if (n == 0)
        return false;
      p += n;
    }
  return true;
}

/* The ASCII characters that JSON writes as a two-character escape. */
static const char *const short_escapes[0x80] = {
  ['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n", ['\t'] = "\\t", ['\r'] = "\\r",
};

void
plab_json_write_string (PlabBuf *buf, const char *text)
{
  const unsigned char *p;

  if (text == NULL)
    {
      plab_buf_append (buf, "null");
      return;
    }
  plab_buf_append (buf, "\"");
  for (p = (const unsigned char *)text; *p;)
    {
      size_t n = plab_utf8_sequence_length (p);

      /* JSON is UTF-8, and text read from a run store can be anything (the
       * file is anyone's to edit): a byte that starts no valid sequence
       * becomes U+FFFD. */
      if (*p < 0x80 && short_escapes[*p] != NULL)
        plab_buf_append (buf, short_escapes[*p]);
      else if (n == 0)
        plab_buf_append (buf, "\xef\xbf\xbd");
      else if (*p < 0x20)
        plab_buf_printf (buf, "\\u%04x", *p);
      else
        plab_buf_append_len (buf, (const char *)p, n);
      p += n ? n : 1;
    }
  plab_buf_append (buf, "\"");
}

/* printf follows LC_NUMERIC, and a decimal comma would break JSON: a
 * formatted number has no other comma, so any comma is the decimal point. */
static void
append_number (PlabBuf *buf, const char *format, double value)
{
  char text[64];

  snprintf (text, sizeof text, format, value);
  for (char *c = text; *c; c++)
    if (*c == ',')
      *c = '.';
  plab_buf_append (buf, text);
}

void
plab_json_write_number (PlabBuf *buf, double value)
{
  if (!isfinite (value))
    plab_buf_append (buf, "null");
  else if (value == floor (value) && fabs (value) < 9007199254740992.0)
    append_number (buf, "%.0f", value);
  else
    append_number (buf, "%.17g", value);
}

void
plab_json_write_digits (PlabBuf *buf, double value, int digits)
{
  char format[16];

  if (!isfinite (value))
    {
      plab_buf_append (buf, "null");
      return;
    }
  snprintf (format, sizeof format, "%%.%dg", digits < 1 ? 1 : digits > 17 ? 17 : digits);
  append_number (buf, format, value);
}

void
plab_json_write_short (PlabBuf *buf, double value)
{
  plab_json_write_digits (buf, value, 6);
}

void
plab_json_write_numbers (PlabBuf *buf, const double *values, size_t n)
{
  plab_buf_append (buf, "[");
  for (size_t i = 0; i < n; i++)
    {
      if (i > 0)
        plab_buf_append (buf, ", ");
      plab_json_write_short (buf, values[i]);
    }
  plab_buf_append (buf, "]");
}

bool
plab_json_is_object (const char *text)
{
  const unsigned char *p = (const unsigned char *)text;
  PlabJson *parsed;
  bool object;

  if (text == NULL)
    return false;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  /* Starting with a brace is not enough: a damaged or edited store may hold
   * any text, and what is written must stay valid JSON (UTF-8 included). */
  if (*p != '{' || !plab_utf8_valid ((const char *)p))
    return false;
  parsed = plab_json_parse ((const char *)p, NULL, 0);
  object = parsed != NULL && parsed->type == PLAB_JSON_OBJECT;
  plab_json_free (parsed);
  return object;
}

void
plab_json_write_object (PlabBuf *buf, const char *json)
{
  const char *p = json;

  if (!plab_json_is_object (json))
    {
      plab_buf_append (buf, "{}");
      return;
    }
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  plab_buf_append (buf, p);
}
