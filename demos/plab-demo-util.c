/* plab-demo-util.c: the pieces of result JSON that the demos share.
 *
 * A demo's result is one object of measured numbers and an optional
 * "figure": bars (categories and one or more series of values) or lines (one
 * or more series of points). These functions write the members and series in
 * the one form every demo uses, so that the figures read the same whichever
 * demo made them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plab-demo-private.h"

void
_plab_demo_check_append (PlabDemoRun *run, const char *format, ...)
{
  size_t len = strlen (run->check_message);
  size_t size = sizeof run->check_message;
  va_list ap;

  if (len > 0 && len + 2 < size)
    {
      memcpy (run->check_message + len, "; ", 3);
      len += 2;
    }
  if (len + 1 >= size)
    return;
  va_start (ap, format);
  vsnprintf (run->check_message + len, size - len, format, ap);
  va_end (ap);
}

void
_plab_demo_json_figure (PlabBuf *buf,
                        const char *kind,
                        const char *title,
                        const char *x_label,
                        const char *y_label)
{
  plab_buf_append (buf, "\"figure\": {\"kind\": ");
  plab_json_write_string (buf, kind);
  plab_buf_append (buf, ", \"title\": ");
  plab_json_write_string (buf, title);
  plab_buf_append (buf, ", \"x_label\": ");
  plab_json_write_string (buf, x_label);
  plab_buf_append (buf, ", \"y_label\": ");
  plab_json_write_string (buf, y_label);
  plab_buf_append (buf, strcmp (kind, "lines") != 0 ? ", \"categories\": [" : ", \"series\": [");
}

double
_plab_demo_serial_number (const PlabDemoRun *run, const char *key)
{
  PlabJson *serial;
  double value;

  if (run->serial_result_json == NULL)
    return 0;
  serial = plab_json_parse (run->serial_result_json, NULL, 0);
  value = serial ? plab_json_number (plab_json_get (serial, key), 0) : 0;
  plab_json_free (serial);
  return value > 0 ? value : 0;
}

void
_plab_demo_json_note (PlabBuf *buf, int index, const char *format, ...)
{
  va_list ap;
  char *text;
  int len;

  va_start (ap, format);
  len = vsnprintf (NULL, 0, format, ap);
  va_end (ap);
  text = len >= 0 ? malloc ((size_t)len + 1) : NULL;
  if (text == NULL)
    return;
  va_start (ap, format);
  vsnprintf (text, (size_t)len + 1, format, ap);
  va_end (ap);
  if (index > 0)
    plab_buf_append (buf, ", ");
  plab_json_write_string (buf, text);
  free (text);
}

void
_plab_demo_json_short (PlabBuf *buf, const char *key, double value)
{
  plab_buf_append (buf, ", ");
  plab_json_write_string (buf, key);
  plab_buf_append (buf, ": ");
  plab_json_write_short (buf, value);
}

void
_plab_demo_json_strings (PlabBuf *buf, const char *const *strings, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      if (i)
        plab_buf_append (buf, ", ");
      plab_json_write_string (buf, strings[i]);
    }
}

void
_plab_demo_json_bars_series (PlabBuf *buf, const char *name, const double *values, size_t n)
{
  plab_buf_append (buf, "{\"name\": ");
  plab_json_write_string (buf, name);
  plab_buf_append (buf, ", \"values\": ");
  plab_json_write_numbers (buf, values, n);
  plab_buf_append (buf, "}");
}

void
_plab_demo_json_bar_values (PlabBuf *buf,
                            const char *const *categories,
                            const char *series,
                            const double *values,
                            size_t n)
{
  _plab_demo_json_bar_table (buf, categories, n, &series, values, 1);
}

void
_plab_demo_json_bar_table (PlabBuf *buf,
                           const char *const *categories,
                           size_t n,
                           const char *const *series,
                           const double *values,
                           size_t n_series)
{
  _plab_demo_json_strings (buf, categories, n);
  plab_buf_append (buf, "], \"series\": [");
  for (size_t s = 0; s < n_series; s++)
    {
      if (s)
        plab_buf_append (buf, ", ");
      _plab_demo_json_bars_series (buf, series[s], values + s * n, n);
    }
  plab_buf_append (buf, "]");
}

void
_plab_demo_json_line_series (PlabBuf *buf,
                             const char *name,
                             const char *style,
                             const double *xs,
                             const double *ys,
                             size_t n)
{
  plab_buf_append (buf, "{\"name\": ");
  plab_json_write_string (buf, name);
  plab_buf_append (buf, ", \"style\": ");
  plab_json_write_string (buf, style);
  plab_buf_append (buf, ", \"x\": ");
  plab_json_write_numbers (buf, xs, n);
  plab_buf_append (buf, ", \"y\": ");
  plab_json_write_numbers (buf, ys, n);
  plab_buf_append (buf, "}");
}
