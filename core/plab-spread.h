/* plab-spread.h: the median of repeated measurements and how far they spread.
 *
 * A time measured once on a busy laptop is a sample, not a fact. Every time
 * the lab shows (the execution-time bars, the speedup points, the tables of
 * `plab run` and `plab show`) is the median of a configuration's repeats
 * with their minimum and maximum, and the interquartile range once there are
 * enough repeats for quartiles to mean something. This is the one place
 * those are computed:
 *
 *   PlabSpread t;
 *   PlabRatio s;
 *   char text[64];
 *
 *   plab_spread_of (seconds, n, &t);             // sorts seconds
 *   plab_spread_ratio (&serial, &t, &s);         // speedup, from medians
 *   plab_ratio_format (&s, 2, "x", text, sizeof text);  // "1.8x (1.6-2.0)"
 *
 * A ratio of two spreads (a speedup: the baseline's time over a
 * configuration's) is the ratio of the medians, bounded by the ratios of the
 * extremes: baseline min / configuration max .. baseline max / configuration
 * min. Where both sides were measured once there is no spread to show, and
 * the text says "1 run" instead of inventing one.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fewer values than this get no quartiles: the IQR of three is min-max. */
#define PLAB_SPREAD_IQR_MIN 5

typedef struct
{
  int n;         /* how many values; 0: all NAN */
  double median; /* of an even count, the mean of the middle two */
  double min;
  double max;
  double q1; /* quartiles (linear interpolation); NAN below PLAB_SPREAD_IQR_MIN */
  double q3;
} PlabSpread;

/* A value with the bounds its measurements allow. */
typedef struct
{
  double value; /* NAN when it cannot be computed */
  double low;
  double high;
  bool spread; /* false when every measurement behind it was a single run */
} PlabRatio;

/* The statistics of @values; sorts them in place. NAN values are not
 * counted. */
void plab_spread_of (double *values, size_t n, PlabSpread *out);

/* @base / @config as above: a speedup from the baseline's and the
 * configuration's times. NAN when either has no values or a time <= 0. */
void plab_spread_ratio (const PlabSpread *base, const PlabSpread *config, PlabRatio *out);

/* @ratio divided by @divisor (efficiency: the speedup over the workers). */
void plab_ratio_scale (const PlabRatio *ratio, double divisor, PlabRatio *out);

/* "0.412 s (0.401-0.430)", "0.412 s (1 run)", with @decimals digits after
 * the point, the values multiplied by @scale and followed by @unit (" s").
 * "-" when @spread has no values. Returns @buf. */
char *plab_spread_format (const PlabSpread *spread,
                          double scale,
                          int decimals,
                          const char *unit,
                          char *buf,
                          size_t len);

/* "1.80x (1.60-2.00)", or "1.80x (1 run)" where @ratio has no spread. */
char *plab_ratio_format (const PlabRatio *ratio,
                         int decimals,
                         const char *unit,
                         char *buf,
                         size_t len);

#ifdef __cplusplus
}
#endif
