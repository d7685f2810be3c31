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
      snprintf (buf, size, "%s from %s to %s%s%s",
                spec->type == PLAB_PARAM_INT ? "an integer" : "a number", lo, hi,
                spec->unit ? " " : "", spec->unit ? spec->unit : "");
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
plab_demo_run_workers (const PlabDemoRun *run)
{
  const PlabDemo *d = run->demo;
  double sum = 0;

  if (d->no_worker_axis == NULL)
    return run->workers;
  if (d->worker_params[0] == NULL)
    return d->fixed_workers;
  for (size_t i = 0; i < sizeof d->worker_params / sizeof d->worker_params[0]; i++)
    if (d->worker_params[i] != NULL)
      sum += plab_demo_run_get (run, d->worker_params[i]);
  return (int)sum;
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

/* --- Result labels --- */

const PlabResultLabel *
plab_demo_result_label (const PlabDemo *demo, const char *key)
{
  size_t n;
  const PlabResultLabel *labels = plab_demo_result_labels (demo, &n);

  for (size_t i = 0; key != NULL && i < n; i++)
    if (strcmp (labels[i].key, key) == 0)
      return &labels[i];
  return NULL;
}

bool
plab_demo_result_label_for (const char *demo,
                            const char *key,
                            const char **label,
                            const char **unit)
{
  const PlabDemo *d = demo ? plab_demo_find (demo) : NULL;
  const PlabResultLabel *l;
  size_t n = 0;

  *label = key;
  *unit = NULL;
  if (d != NULL)
    plab_demo_result_labels (d, &n);
  if (n == 0)
    return true;
  l = plab_demo_result_label (d, key);
  if (l == NULL)
    return false;
  *label = l->label;
  *unit = l->unit;
  return true;
}

char *
plab_demo_run_params_json (const PlabDemoRun *run)
{
  PlabBuf buf;
  char text[64];

  plab_buf_init (&buf);
  plab_buf_append (&buf, "{");
  for (size_t i = 0; i < run->demo->n_params; i++)
    {
      const PlabParamSpec *spec = &run->demo->params[i];

      if (i > 0)
        plab_buf_append (&buf, ", ");
      plab_json_write_string (&buf, spec->name);
      plab_buf_append (&buf, ": ");
      switch (spec->type)
        {
        case PLAB_PARAM_BOOL:
          plab_buf_append (&buf, run->values[i] != 0 ? "true" : "false");
          break;
        case PLAB_PARAM_CHOICE:
          plab_param_format (spec, run->values[i], text, sizeof text);
          plab_json_write_string (&buf, text);
          break;
        default:
          plab_json_write_number (&buf, run->values[i]);
        }
    }
  plab_buf_append (&buf, "}");
  return plab_buf_steal (&buf);
}
