/* plab-axis.c: value-to-fraction mapping and nice ticks. */
#include "plab-axis.h"

#include <math.h>
#include <stdio.h>

/* A range below this fraction of its magnitude counts as empty. */
#define DEGENERATE_RELATIVE 1e-12

void
plab_axis_init (PlabAxis *self, double min, double max)
{
  if (!isfinite (min))
    min = 0;
  if (!isfinite (max))
    max = min + 1;
  if (max - min <= fabs (max) * DEGENERATE_RELATIVE || max <= min)
    {
      double half = fabs (min) > 0 ? fabs (min) * 0.5 : 0.5;
      min -= half;
      max = min + 2 * half;
    }
  self->min = min;
  self->max = max;
}

double
plab_axis_fraction (const PlabAxis *self, double value)
{
  return (value - self->min) / (self->max - self->min);
}

double
plab_axis_value (const PlabAxis *self, double f)
{
  return self->min + f * (self->max - self->min);
}

double
plab_nice_step (double range, int target_ticks)
{
  double raw, mag, norm;

  if (target_ticks < 1)
    target_ticks = 1;
  if (!(range > 0) || !isfinite (range))
    return 1;
  raw = range / target_ticks;
  mag = pow (10, floor (log10 (raw)));
  norm = raw / mag;
  if (norm <= 1.0)
    return mag;
  if (norm <= 2.0)
    return 2 * mag;
  if (norm <= 2.5)
    return 2.5 * mag;
  if (norm <= 5.0)
    return 5 * mag;
  return 10 * mag;
}

void
plab_axis_make_nice (PlabAxis *self, int target_ticks)
{
  double step = plab_nice_step (self->max - self->min, target_ticks);

  self->min = floor (self->min / step + 1e-9) * step;
  self->max = ceil (self->max / step - 1e-9) * step;
  if (self->max <= self->min)
    self->max = self->min + step;
}

void
plab_axis_ticks (const PlabAxis *self, int target_ticks, PlabTicks *out)
{
  double step = plab_nice_step (self->max - self->min, target_ticks);
  double first = ceil (self->min / step - 1e-9) * step;
  double eps = step * 1e-6;

  out->n = 0;
  out->step = step;
  for (int i = 0; out->n < PLAB_AXIS_MAX_TICKS; i++)
    {
      double v = first + i * step;
      if (v > self->max + eps)
        break;
      /* Avoid printing "-0". */
      if (fabs (v) < eps)
        v = 0;
      out->values[out->n++] = v;
    }
}

void
plab_format_tick (double value, double step, char *buf, size_t len)
{
  int decimals = 0;

  if (step > 0 && step < 1)
    {
      decimals = (int)ceil (-log10 (step) - 1e-9);
      /* 0.25 needs two decimals, though its magnitude says one. */
      if (fabs (step * pow (10, decimals) - round (step * pow (10, decimals))) > 1e-6)
        decimals++;
    }
  if (decimals > 9)
    decimals = 9;
  snprintf (buf, len, "%.*f", decimals, value);
}

void
plab_time_unit (double range_ns, const char **unit_out, double *ns_per_unit_out)
{
  /* A unit is chosen when the range is at least two of it, so ticks stay
   * mostly whole numbers: 1.5 ms shows as 1500 µs, 2 ms as ms. */
  if (range_ns >= 2e9)
    {
      *unit_out = "s";
      *ns_per_unit_out = 1e9;
    }
  else if (range_ns >= 2e6)
    {
      *unit_out = "ms";
      *ns_per_unit_out = 1e6;
    }
  else if (range_ns >= 2e3)
    {
      *unit_out = "µs";
      *ns_per_unit_out = 1e3;
    }
  else
    {
      *unit_out = "ns";
      *ns_per_unit_out = 1;
    }
}

void
plab_format_duration (double ns, char *buf, size_t len)
{
  const char *unit;
  double per, v;

  if (fabs (ns) >= 1e9)
    unit = "s", per = 1e9;
  else if (fabs (ns) >= 1e6)
    unit = "ms", per = 1e6;
  else if (fabs (ns) >= 1e3)
    unit = "µs", per = 1e3;
  else
    unit = "ns", per = 1;
  v = ns / per;
  if (per == 1)
    snprintf (buf, len, "%.0f %s", v, unit);
  else if (fabs (v) >= 100)
    snprintf (buf, len, "%.0f %s", v, unit);
  else if (fabs (v) >= 10)
    snprintf (buf, len, "%.1f %s", v, unit);
  else
    snprintf (buf, len, "%.2f %s", v, unit);
}
