/* plab-axis.c: value-to-fraction mapping and nice ticks. */
#include "plab-axis.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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

/* A thin space: groups digits without letting a line break split a number
 * in a way a reader could mistake for two numbers. */
#define THIN_SPACE "\u2009"
/* Whole numbers up to this print digit by digit; larger ones as a power of
 * ten, which reads better than sixteen digits on a slide. */
#define MAX_GROUPED 1e12
/* Grouping starts at five digits: "1200" reads as one number already. */
#define MIN_GROUPED 1e4

/* Writes the digits of @text (an optional sign, digits, an optional
 * fraction) into @buf with the integer part grouped in threes. */
static void
group_digits (const char *text, char *buf, size_t len)
{
  const char *digits = text, *end;
  size_t n_int, used = 0;

  if (*digits == '-')
    digits++;
  end = digits;
  while (*end >= '0' && *end <= '9')
    end++;
  n_int = (size_t)(end - digits);
  if (len == 0)
    return;
  if (digits != text && used + 1 < len)
    buf[used++] = '-';
  for (size_t i = 0; i < n_int; i++)
    {
      if (i > 0 && (n_int - i) % 3 == 0)
        for (const char *t = THIN_SPACE; *t && used + 1 < len; t++)
          buf[used++] = *t;
      if (used + 1 < len)
        buf[used++] = digits[i];
    }
  for (const char *t = end; *t && used + 1 < len; t++)
    buf[used++] = *t;
  buf[used] = '\0';
}

static void
append_superscript (char *buf, size_t len, int exponent)
{
  static const char *const digits[] = { "⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹" };
  char plain[16];
  size_t used = strlen (buf);

  snprintf (plain, sizeof plain, "%d", exponent);
  for (const char *p = plain; *p; p++)
    {
      const char *s = *p == '-' ? "⁻" : digits[*p - '0'];
      size_t n = strlen (s);
      if (used + n + 1 > len)
        break;
      memcpy (buf + used, s, n);
      used += n;
      buf[used] = '\0';
    }
}

void
plab_format_number (double value, char *buf, size_t len)
{
  double mag = fabs (value);
  char plain[64];

  if (len == 0)
    return;
  if (isnan (value))
    {
      snprintf (buf, len, "—");
      return;
    }
  if (isinf (value))
    {
      snprintf (buf, len, value < 0 ? "−∞" : "∞");
      return;
    }
  if (mag == 0)
    {
      snprintf (buf, len, "0");
      return;
    }
  if (mag >= MAX_GROUPED || mag < 1e-3)
    {
      int exponent = (int)floor (log10 (mag));
      double mantissa = value / pow (10, exponent);

      /* Rounding may carry 9.995 up to 10.0. */
      if (fabs (mantissa) >= 9.995)
        mantissa /= 10, exponent++;
      snprintf (buf, len, "%.2f × 10", mantissa);
      append_superscript (buf, len, exponent);
      return;
    }
  if (value == floor (value))
    snprintf (plain, sizeof plain, "%.0f", value);
  else
    {
      /* Three significant digits, never an exponent in this range. */
      int decimals = 2 - (int)floor (log10 (mag));
      if (decimals < 0)
        decimals = 0;
      snprintf (plain, sizeof plain, "%.*f", decimals, value);
    }
  if (mag >= MIN_GROUPED)
    group_digits (plain, buf, len);
  else
    snprintf (buf, len, "%s", plain);
}

void
plab_format_tick (double value, double step, char *buf, size_t len)
{
  char plain[64];
  int decimals = 0;

  /* As many decimals as the step needs to be exact: 0.25 needs two, 2.5 one
   * (or the ticks 2.5 and 7.5 would read 2 and 8). */
  while (step > 0 && decimals < 9)
    {
      double scaled = step * pow (10, decimals);
      if (fabs (scaled - round (scaled)) <= 1e-6 * fmax (1.0, scaled))
        break;
      decimals++;
    }
  snprintf (plain, sizeof plain, "%.*f", decimals, value);
  if (fabs (value) >= MIN_GROUPED)
    group_digits (plain, buf, len);
  else
    snprintf (buf, len, "%s", plain);
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
