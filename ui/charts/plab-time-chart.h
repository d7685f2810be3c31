/* plab-time-chart.h: execution time per configuration.
 *
 * A bar per configuration (backend x workers), grouped by backend and
 * coloured like the backend everywhere else: the bar is the median of the
 * repeats, the whisker their minimum and maximum, the value is printed on the
 * bar, and a dashed line marks the serial baseline.
 */
#pragma once

#include <cairo.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plab-chart-style.h"
#include "plab-spread.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PLAB_BACKEND_NAME_MAX 32

/* One measured run: what plab_time_points_from_samples () groups. */
typedef struct
{
  const char *backend;
  int workers;
  int64_t wall_ns;
} PlabRunSample;

/* One configuration: the statistics of its repeats. */
typedef struct
{
  char backend[PLAB_BACKEND_NAME_MAX];
  int workers;
  double median_ns;
  double min_ns;
  double max_ns;
  int n_repeats;
} PlabTimePoint;

/* Groups @samples by (backend, workers). Points come out with the serial
 * backend first, then the other backends in order of first appearance, and
 * by workers within a backend. Returns 0 or -1 when out of memory; *out is
 * malloc'ed (NULL when there are no samples). */
int plab_time_points_from_samples (const PlabRunSample *samples,
                                   size_t n_samples,
                                   PlabTimePoint **out,
                                   size_t *n_out);

/* The serial configuration (its fewest workers), or NULL when there is none. */
const PlabTimePoint *plab_time_points_serial (const PlabTimePoint *points, size_t n_points);

/* The baseline the speedup is measured against: the serial backend's median
 * when there is one (its fewest workers), else 0. */
double plab_time_points_serial_baseline (const PlabTimePoint *points, size_t n_points);

/* The spread of @point's repeats, in nanoseconds. A point that does not say
 * how many repeats it has, or gives no extremes, counts as one run. */
void plab_time_point_spread (const PlabTimePoint *point, PlabSpread *out);

typedef struct
{
  const char *title;  /* NULL or "": none */
  const char *footer; /* NULL or "": none */
  const PlabTimePoint *points;
  size_t n_points;
  double baseline_ns;         /* <= 0: no baseline line */
  const char *baseline_label; /* NULL: "serial baseline" */
} PlabTimeChartData;

/* backend,workers,repeats,median_ns,min_ns,max_ns. Returns 0 or -1. */
int plab_time_chart_write_csv (const PlabTimeChartData *data, FILE *out);

#ifdef __cplusplus
}
#endif
