/* plab-demo-params.c: typed demo parameters (parsing, formatting, JSON) and
 * the small JSON writer the demos use for their results.
 *
 * Parameter values are doubles whatever their type: integers are whole
 * doubles, booleans 0 or 1, choices the index of the choice. That keeps a run's
 * values one flat array the runner, the store and the GUI can all handle, and a
 * double holds every integer a demo needs exactly (up to 2^53).
 */
#include "plab-demo-private.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- PlabBuf --- */

void
_plab_buf_init (PlabBuf *buf)
{
  memset (buf, 0, sizeof *buf);
}

void
_plab_buf_clear (PlabBuf *buf)
{
  free (buf->data);
  _plab_buf_init (buf);
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
_plab_buf_append (PlabBuf *buf, const char *text)
{
  size_t n = strlen (text);

  if (!buf_reserve (buf, n))
    return;
  memcpy (buf->data + buf->len, text, n + 1);
  buf->len += n;
}

void
_plab_buf_printf (PlabBuf *buf, const char *format, ...)
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
_plab_buf_steal (PlabBuf *buf)
{
  char *data;

  /* An empty buffer still hands out a string. */
  if (!buf_reserve (buf, 0))
    {
      _plab_buf_clear (buf);
      return NULL;
    }
  buf->data[buf->len] = '\0';
  data = buf->data;
  _plab_buf_init (buf);
  return data;
}

void
_plab_json_string (PlabBuf *buf, const char *text)
{
  const unsigned char *p;

  _plab_buf_append (buf, "\"");
  for (p = (const unsigned char *)(text ? text : ""); *p; p++)
    {
      switch (*p)
        {
        case '"':
          _plab_buf_append (buf, "\\\"");
          break;
        case '\\':
          _plab_buf_append (buf, "\\\\");
          break;
        case '\n':
          _plab_buf_append (buf, "\\n");
          break;
        case '\t':
          _plab_buf_append (buf, "\\t");
          break;
        case '\r':
          _plab_buf_append (buf, "\\r");
          break;
        default:
          if (*p < 0x20)
            _plab_buf_printf (buf, "\\u%04x", *p);
          else
            {
              char c[2] = { (char)*p, '\0' };
              _plab_buf_append (buf, c);
            }
        }
    }
  _plab_buf_append (buf, "\"");
}

void
_plab_json_number (PlabBuf *buf, double value)
{
  if (!isfinite (value))
    _plab_buf_append (buf, "null");
  else if (value == floor (value) && fabs (value) < 9007199254740992.0)
    _plab_buf_printf (buf, "%.0f", value);
  else
    _plab_buf_printf (buf, "%.17g", value);
}

/* --- Parameters --- */

static void
format_number (const PlabParamSpec *spec, double value, char *buf, size_t size)
{
  if (spec->type == PLAB_PARAM_INT)
    snprintf (buf, size, "%.0f", value);
  else
    snprintf (buf, size, "%g", value);
}

void
plab_param_describe (const PlabParamSpec *spec, char *buf, size_t size)
{
  char lo[32];
  char hi[32];
  size_t used;

  switch (spec->type)
    {
    case PLAB_PARAM_INT:
    case PLAB_PARAM_DOUBLE:
      format_number (spec, spec->min, lo, sizeof lo);
      format_number (spec, spec->max, hi, sizeof hi);
      snprintf (buf, size, "%s from %s to %s",
                spec->type == PLAB_PARAM_INT ? "an integer" : "a number", lo, hi);
      break;
    case PLAB_PARAM_BOOL:
      snprintf (buf, size, "true or false");
      break;
    case PLAB_PARAM_CHOICE:
      snprintf (buf, size, "one of:");
      used = strlen (buf);
      for (size_t i = 0; spec->choices && spec->choices[i]; i++)
        {
          snprintf (buf + used, size - used, "%s %s", i ? "," : "", spec->choices[i]);
          used = strlen (buf);
        }
      break;
    default:
      snprintf (buf, size, "?");
    }
}

int
plab_param_parse (const PlabParamSpec *spec,
                  const char *text,
                  double *value,
                  char *err,
                  size_t err_size)
{
  char allowed[160];
  const char *p;
  char *end = NULL;
  double v;

  plab_param_describe (spec, allowed, sizeof allowed);
  if (text == NULL || text[0] == '\0')
    {
      snprintf (err, err_size, "%s needs a value: %s", spec->name, allowed);
      return PLAB_EINVAL;
    }

  switch (spec->type)
    {
    case PLAB_PARAM_BOOL:
      if (!strcasecmp (text, "true") || !strcmp (text, "1") || !strcasecmp (text, "yes")
          || !strcasecmp (text, "on"))
        v = 1;
      else if (!strcasecmp (text, "false") || !strcmp (text, "0") || !strcasecmp (text, "no")
               || !strcasecmp (text, "off"))
        v = 0;
      else
        goto invalid;
      break;

    case PLAB_PARAM_CHOICE:
      for (size_t i = 0; spec->choices && spec->choices[i]; i++)
        if (!strcmp (spec->choices[i], text))
          {
            *value = (double)i;
            return 0;
          }
      goto invalid;

    case PLAB_PARAM_INT:
    case PLAB_PARAM_DOUBLE:
      /* strtod accepts leading blanks, "nan", "inf" and hex; a parameter
       * value is a plain decimal number and nothing else. */
      for (p = text; *p; p++)
        if (!strchr ("0123456789+-.eE", *p))
          goto invalid;
      errno = 0;
      v = strtod (text, &end);
      if (end == text || *end != '\0' || !isfinite (v))
        goto invalid;
      if (spec->type == PLAB_PARAM_INT && v != floor (v))
        goto invalid;
      if (v < spec->min || v > spec->max)
        {
          snprintf (err, err_size, "%s must be %s, not %s", spec->name, allowed, text);
          return PLAB_ERANGE;
        }
      break;

    default:
      goto invalid;
    }

  *value = v;
  return 0;

invalid:
  snprintf (err, err_size, "%s must be %s, not '%s'", spec->name, allowed, text);
  return PLAB_EINVAL;
}

void
plab_param_format (const PlabParamSpec *spec, double value, char *buf, size_t size)
{
  size_t i;

  switch (spec->type)
    {
    case PLAB_PARAM_BOOL:
      snprintf (buf, size, "%s", value != 0 ? "true" : "false");
      break;
    case PLAB_PARAM_CHOICE:
      for (i = 0; spec->choices && spec->choices[i]; i++)
        if ((double)i == value)
          {
            snprintf (buf, size, "%s", spec->choices[i]);
            return;
          }
      snprintf (buf, size, "%.0f", value);
      break;
    case PLAB_PARAM_INT:
      snprintf (buf, size, "%.0f", value);
      break;
    default:
      snprintf (buf, size, "%.17g", value);
    }
}

/* --- Runs --- */

void
plab_demo_run_init (PlabDemoRun *run, const PlabDemo *demo)
{
  memset (run, 0, sizeof *run);
  run->demo = demo;
  run->backend = demo->default_backend;
  run->workers = 1;
  for (size_t i = 0; i < demo->n_params && i < PLAB_DEMO_MAX_PARAMS; i++)
    run->values[i] = demo->params[i].def;
}

void
plab_demo_run_clear (PlabDemoRun *run)
{
  free (run->result_json);
  run->result_json = NULL;
}

double
plab_demo_run_get (const PlabDemoRun *run, const char *name)
{
  int i = plab_demo_param_index (run->demo, name);

  return i < 0 ? NAN : run->values[i];
}

int
plab_demo_run_validate (const PlabDemoRun *run, char *err, size_t err_size)
{
  if (!(run->demo->backends & PLAB_BACKEND_BIT (run->backend)))
    {
      snprintf (err, err_size, "%s does not run on the %s backend", run->demo->name,
                plab_backend_name (run->backend));
      return PLAB_EINVAL;
    }
  if (run->demo->validate == NULL)
    return 0;
  return run->demo->validate (run, err, err_size);
}

char *
plab_demo_run_params_json (const PlabDemoRun *run)
{
  PlabBuf buf;
  char text[64];

  _plab_buf_init (&buf);
  _plab_buf_append (&buf, "{");
  for (size_t i = 0; i < run->demo->n_params; i++)
    {
      const PlabParamSpec *spec = &run->demo->params[i];

      if (i > 0)
        _plab_buf_append (&buf, ", ");
      _plab_json_string (&buf, spec->name);
      _plab_buf_append (&buf, ": ");
      switch (spec->type)
        {
        case PLAB_PARAM_BOOL:
          _plab_buf_append (&buf, run->values[i] != 0 ? "true" : "false");
          break;
        case PLAB_PARAM_CHOICE:
          plab_param_format (spec, run->values[i], text, sizeof text);
          _plab_json_string (&buf, text);
          break;
        default:
          _plab_json_number (&buf, run->values[i]);
        }
    }
  _plab_buf_append (&buf, "}");
  return _plab_buf_steal (&buf);
}

void
_plab_json_short (PlabBuf *buf, double value)
{
  if (!isfinite (value))
    _plab_buf_append (buf, "null");
  else
    _plab_buf_printf (buf, "%.6g", value);
}

void
_plab_json_numbers (PlabBuf *buf, const double *values, size_t n)
{
  _plab_buf_append (buf, "[");
  for (size_t i = 0; i < n; i++)
    {
      if (i > 0)
        _plab_buf_append (buf, ", ");
      _plab_json_short (buf, values[i]);
    }
  _plab_buf_append (buf, "]");
}
