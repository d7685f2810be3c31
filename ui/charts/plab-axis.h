/* plab-axis.h: maps data values to 0..1 and chooses readable ticks.
 *
 * Charts normalise once: an axis turns a value (nanoseconds, seconds, a
 * speedup) into a fraction of the plot, and drawing only multiplies the
 * fraction by the plot's width or height. Ticks are "nice" numbers (1, 2 or 5
 * times a power of ten); time axes pick the unit (ns, µs, ms, s) from the
 * range they show, so a 3 ms run reads "0 ms, 0.5 ms, 1 ms" and not
 * "0, 500000, 1000000".
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  double min;
  double max;
} PlabAxis;

#define PLAB_AXIS_MAX_TICKS 32

typedef struct
{
  int n;
  double step;
  double values[PLAB_AXIS_MAX_TICKS];
} PlabTicks;

/* Sets the range; a degenerate range (max <= min) is widened to one unit so
 * fractions stay finite. */
void plab_axis_init (PlabAxis *self, double min, double max);

/* (value - min) / (max - min): 0 at min, 1 at max, outside 0..1 beyond. */
double plab_axis_fraction (const PlabAxis *self, double value);

/* The value at fraction @f (the inverse of plab_axis_fraction ()). */
double plab_axis_value (const PlabAxis *self, double f);

/* Widens the axis outwards to multiples of a nice step, with about
 * @target_ticks intervals. Used for value axes that start at 0. */
void plab_axis_make_nice (PlabAxis *self, int target_ticks);

/* A nice step for showing @range with about @target_ticks intervals. */
double plab_nice_step (double range, int target_ticks);

/* Tick values inside [min, max] at a nice step, about @target_ticks of them. */
void plab_axis_ticks (const PlabAxis *self, int target_ticks, PlabTicks *out);

/* Formats @value with as many decimals as @step needs ("0.25", "1.5", "20"). */
void plab_format_tick (double value, double step, char *buf, size_t len);

/* Formats a number for people to read. Whole numbers print as integers,
 * digits grouped in threes by a thin space from 10 000 on ("1200",
 * "100 000"); other numbers keep three significant digits ("0.123", "12.3");
 * very large or very small ones use a power of ten ("2.67 × 10¹⁵"). */
void plab_format_number (double value, char *buf, size_t len);

/* The unit for showing times across @range_ns: stores its name ("ns", "µs",
 * "ms", "s") and how many nanoseconds one unit is. */
void plab_time_unit (double range_ns, const char **unit_out, double *ns_per_unit_out);

/* Formats a duration with a unit and three significant digits:
 * "812 ns", "12.3 µs", "4.56 ms", "1.20 s". */
void plab_format_duration (double ns, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
