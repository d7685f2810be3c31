/* plab-result-chart.h: a demo's own picture, from its result summary.
 *
 * The result JSON of a run may hold a "figure" (see the figure contract in
 * the demos' documentation):
 *
 *   {"kind": "lines" | "bars", "title": ..., "x_label": ..., "y_label": ...,
 *    "series": [{"name": ..., "x": [...], "y": [...], "style": "line" | "dashed" | "points"}],
 *    "categories": [...]  (bars: "series": [{"name": ..., "values": [...]}]),
 *    "notes": ["every car delivered once", ...]}
 *
 * The figure is drawn on the left; every other key of the result is listed
 * in a small table on the right, with the notes under it. A result without a
 * figure is drawn as the table alone.
 */
#pragma once

#include <cairo.h>
#include <stdio.h>

#include "plab-chart-style.h"
#include "plab-json.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  const char *title;
  const char *footer;
  const PlabJson *result; /* the parsed result JSON (an object), borrowed */
  /* "Wall time: median 0.41 s, min–max 0.40 s–0.43 s over 3 runs of
   * threads × 2", written above the table; NULL or "": none */
  const char *spread;
} PlabResultChartData;

/* The columns of the result chart's CSV, one table: "figure" rows hold the
 * figure's points (series, then key = category and value for bars, or x and
 * y for lines), "result" rows the rest of the result (key, value). */
#define PLAB_RESULT_CSV_HEADER "table,series,key,x,y,value"

/* Writes the result as that CSV. Returns 0 or -1. */
int plab_result_chart_write_csv (const PlabResultChartData *data, FILE *out);

#ifdef __cplusplus
}
#endif
