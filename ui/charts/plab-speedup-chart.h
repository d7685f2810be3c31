/* plab-speedup-chart.h: speedup, efficiency and Amdahl's law.
 *
 * Two panels. Left: the measured speedup S = T_baseline / T_p against the
 * number of workers p for each backend, the ideal line S = p, and for each
 * backend the least-squares fit of Amdahl's law
 *
 *     1/S = f + (1 - f)/p
 *
 * drawn as a curve, with the serial fraction f and the ceiling 1/f (the
 * speedup no number of workers can pass) written next to it. A student's
 * predicted speedup, when given, is drawn dashed beside the measurement.
 * Right: the efficiency E = S/p and the Karp-Flatt metric
 *
 *     e = (1/S - 1/p) / (1 - 1/p),
 *
 * the serial fraction each measurement implies on its own. A Karp-Flatt that
 * grows with p means overhead grows with p (spawning, locking), not just a
 * fixed serial part.
 */
#pragma once

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "plab-chart-style.h"
#include "plab-time-chart.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PLAB_SPEEDUP_MAX_POINTS 64

typedef struct
{
  char name[PLAB_BACKEND_NAME_MAX]; /* the backend, or "predicted" */
  int n;
  double workers[PLAB_SPEEDUP_MAX_POINTS];
  double speedup[PLAB_SPEEDUP_MAX_POINTS]; /* from the medians */
  /* The bounds the repeats allow (plab_spread_ratio ()): baseline min /
   * configuration max .. baseline max / configuration min, drawn as an
   * error bar. 0 where not known (a prediction). */
  double low[PLAB_SPEEDUP_MAX_POINTS];
  double high[PLAB_SPEEDUP_MAX_POINTS];
  /* Runs of the configuration; 1 with a baseline of 1 run too: "1 run",
   * no bar; 0: not known. */
  int repeats[PLAB_SPEEDUP_MAX_POINTS];
  /* The workers of the run measured against: 1 against serial or a
   * one-worker run; more where the backend's fewest workers were more, so
   * that its speedups, efficiencies and Karp-Flatt values are relative to
   * that many. 0 is taken as 1. */
  double base_workers;
} PlabSpeedupSeries;

/* Point @i's workers relative to the baseline's (p / base_workers). */
double plab_speedup_series_relative_p (const PlabSpeedupSeries *s, int i);

/* Point @i's efficiency, S over the relative p. */
double plab_speedup_series_efficiency (const PlabSpeedupSeries *s, int i);

/* Point @i's Karp-Flatt metric at the relative p; NAN at the baseline. */
double plab_speedup_series_karp_flatt (const PlabSpeedupSeries *s, int i);

/* Whether point @i of @s has a spread to draw. */
bool plab_speedup_series_has_spread (const PlabSpeedupSeries *s, int i);

/* "1.80× (1.60–2.00)", "1.80× (1 run)" or "1.80×" (not known) for point @i. */
char *plab_speedup_series_format (const PlabSpeedupSeries *s, int i, char *buf, size_t len);

/* Fewer worker counts than this are not enough to fit Amdahl's law. */
#define PLAB_AMDAHL_MIN_COUNTS 3

typedef struct
{
  double f;            /* serial fraction, 0..1 */
  double ceiling;      /* the curve's limit; 1/f for a baseline at S(1) = 1; INFINITY when f is 0 */
  double base_workers; /* the measured baseline the curve passes through */
  double base_speedup;
  int n_used; /* points with p > 1 that entered the fit */
  double rms; /* root mean square of the residuals of 1/S */
} PlabAmdahlFit;

/* Fits f to points (p, S) by least squares on the times 1/S = a + b/p, held
 * to pass through the measured baseline: the point at the fewest workers
 * (speedup 0.74 at p = 1 stays 0.74, it is not taken as 1). f = a / (a + b),
 * clamped to [0, 1]. Returns -1 when fewer than PLAB_AMDAHL_MIN_COUNTS
 * worker counts were measured: two points fit any curve. */
int plab_amdahl_fit (const double *workers, const double *speedup, size_t n, PlabAmdahlFit *out);

/* The fitted curve at @p workers (INFINITY: its ceiling). */
double plab_amdahl_fit_speedup (const PlabAmdahlFit *fit, double p);

/* What the chart writes instead of plotting as if meaningful: too few
 * points to fit (when @fit), efficiencies above 1, and Karp-Flatt values
 * below 0 or above 1, in sentences; "" when none. */
void plab_speedup_notes (const PlabSpeedupSeries *s, bool fit, char *buf, size_t size);

/* Amdahl's speedup for serial fraction @f on @p workers. */
double plab_amdahl_speedup (double f, double p);

/* The Karp-Flatt metric of one measurement; NAN when p <= 1. */
double plab_karp_flatt (double speedup, double p);

/* Speedup series from configurations: every backend except serial gets a
 * series, measured against the serial median when there is one, else against
 * its own run with the fewest workers (base_workers says how many), each
 * point with the bounds its repeats allow. A backend with one worker count
 * and no serial run gets none: a run against itself is no speedup. Returns
 * the number of series written to @out (at most @max_series). */
size_t plab_speedup_series_from_points (const PlabTimePoint *points,
                                        size_t n_points,
                                        PlabSpeedupSeries *out,
                                        size_t max_series);

typedef struct
{
  const char *title;
  const char *footer;
  const PlabSpeedupSeries *series;
  size_t n_series;
  const PlabSpeedupSeries *predicted; /* NULL: none */
  bool fit_amdahl;
} PlabSpeedupChartData;

/* series,workers,speedup,efficiency,karp_flatt,amdahl_f,speedup_low,speedup_high
 * (the last two empty where there is no spread). Returns 0 or -1. */
int plab_speedup_chart_write_csv (const PlabSpeedupChartData *data, FILE *out);

#ifdef __cplusplus
}
#endif
