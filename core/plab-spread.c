/* plab-spread.c: medians, extremes and quartiles of repeated measurements. */
#include "plab-spread.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  /* NAN sorts last, so the counted values are the first ones. */
  if (isnan (x) || isnan (y))
    return isnan (x) - isnan (y);
  return (x > y) - (x < y);
}

/* The @q quantile of @n sorted values, interpolated between neighbours. */
static double
quantile (const double *sorted, size_t n, double q)
{
  double at = q * (double)(n - 1);
  size_t lo = (size_t)floor (at);
  size_t hi = lo + 1 < n ? lo + 1 : lo;

  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - (double)lo);
}

void
plab_spread_of (double *values, size_t n, PlabSpread *out)
{
  size_t counted = 0;

  out->n = 0;
  out->median = out->min = out->max = out->q1 = out->q3 = NAN;
  if (values == NULL || n == 0)
    return;
  qsort (values, n, sizeof *values, compare_doubles);
  while (counted < n && !isnan (values[counted]))
    counted++;
  if (counted == 0)
    return;
  out->n = (int)counted;
  out->min = values[0];
  out->max = values[counted - 1];
  out->median = quantile (values, counted, 0.5);
  if (counted >= PLAB_SPREAD_IQR_MIN)
    {
      out->q1 = quantile (values, counted, 0.25);
      out->q3 = quantile (values, counted, 0.75);
    }
}

void
plab_spread_ratio (const PlabSpread *base, const PlabSpread *config, PlabRatio *out)
{
  out->value = out->low = out->high = NAN;
  out->spread = false;
  if (base->n == 0 || config->n == 0 || !(base->median > 0) || !(config->median > 0)
      || !(config->min > 0))
    return;
  out->value = base->median / config->median;
  out->low = base->min / config->max;
  out->high = base->max / config->min;
  out->spread = base->n > 1 || config->n > 1;
}

void
plab_ratio_scale (const PlabRatio *ratio, double divisor, PlabRatio *out)
{
  *out = *ratio;
  out->value /= divisor;
  out->low /= divisor;
  out->high /= divisor;
}

char *
plab_spread_format (const PlabSpread *spread,
                    double scale,
                    int decimals,
                    const char *unit,
                    char *buf,
                    size_t len)
{
  if (spread->n == 0)
    snprintf (buf, len, "-");
  else if (spread->n == 1)
    snprintf (buf, len, "%.*f%s (1 run)", decimals, spread->median * scale, unit);
  else
    snprintf (buf, len, "%.*f%s (%.*f-%.*f)", decimals, spread->median * scale, unit, decimals,
              spread->min * scale, decimals, spread->max * scale);
  return buf;
}

char *
plab_ratio_format (const PlabRatio *ratio, int decimals, const char *unit, char *buf, size_t len)
{
  if (isnan (ratio->value))
    snprintf (buf, len, "-");
  else if (!ratio->spread)
    snprintf (buf, len, "%.*f%s (1 run)", decimals, ratio->value, unit);
  else
    snprintf (buf, len, "%.*f%s (%.*f-%.*f)", decimals, ratio->value, unit, decimals, ratio->low,
              decimals, ratio->high);
  return buf;
}
