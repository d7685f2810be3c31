/* plab-result-chart.h: a demo's own picture, from its result summary.
 *
 * The result JSON of a run may hold a "figure" (see the figure contract in
 * the demos' documentation):
 *
 *   {"kind": "lines" | "bars" | "stacked", "title": ..., "x_label": ..., "y_label": ...,
 *    "series": [{"name": ..., "x": [...], "y": [...], "style": "line" | "dashed" | "points"}],
 *    "categories": [...]  (bars: "series": [{"name": ..., "values": [...]}]),
 *    "notes": ["every car delivered once", ...]}
 *
 * "stacked" is "bars" with one bar per category made of the series' values
 * one above the other (series 0 at the bottom), its total above it. A bars
 * series may name a span kind ("span_kind": "collective") to be drawn in
 * that kind's timeline colour.
 *
 * The figure is drawn on the left; the other keys of the result are listed
 * in a table on the right, in words a student reads ("time of the for loop"
 * and "2.24 s", not for_loop_s), with the notes under it. Notes the table
 * leaves no room for go under the figure, which gives up height for them,
 * and shrink down to the footer's size before any is left out; a line
 * then counts those left out. A result without a figure is drawn as the
 * table alone.
 */
#pragma once

#include <cairo.h>
#include <stdbool.h>
#include <stdio.h>

#include "plab-chart-style.h"
#include "plab-json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Names key @key of a result of demo @demo for the table: sets *@label and
 * *@unit ("s", "%"; NULL for none) and returns true, or returns false for a
 * key the table does not show. The chart knows no demo: the lab passes the
 * demos' own table (plab_demo_result_label_for ()). */
typedef bool (*PlabResultLabelFunc) (const char *demo,
                                     const char *key,
                                     const char **label,
                                     const char **unit);

typedef struct
{
  const char *title;
  const char *footer;
  const PlabJson *result; /* the parsed result JSON (an object), borrowed */
  /* "Wall time: median 0.41 s, min–max 0.40 s–0.43 s over 3 runs of
   * threads × 2", written above the table; NULL or "": none */
  const char *spread;
  const char *demo; /* the run's demo, for @label_for */
  /* NULL: every key is listed under its own name */
  PlabResultLabelFunc label_for;
  /* Pixels of the table's text; the window passes its own font's size so
   * the table reads like the rest of it. 0: the style's tick size. */
  double text_size;
  /* The results of the run's configuration over its repeats (the run's own
   * among them), borrowed; with two or more, each number of the table gets
   * its median and min-max under it (plab_result_chart_spread ()). */
  const PlabJson *const *repeats;
  size_t n_repeats;
} PlabResultChartData;

/* What the table's row for member @member of @data->result says: its
 * label (the key itself when nothing names it) and its value with the unit
 * ("2.24 s", "-56.3%", "yes"). Returns false for a member the table does
 * not show. `plab show` prints the same rows. */
bool plab_result_chart_row (const PlabResultChartData *data,
                            const PlabJson *member,
                            const char **label,
                            char *value,
                            size_t value_size);

/* "median 47.0%, 45.1–49.0%": number @key of the result over
 * @data->repeats, with the unit its label gives. Returns false (and writes
 * nothing) when fewer than two repeats have that number, or when they all
 * have the same. */
bool plab_result_chart_spread (const PlabResultChartData *data,
                               const char *key,
                               char *text,
                               size_t text_size);

/* The columns of the result chart's CSV, one table: "figure" rows hold the
 * figure's points (series, then key = category and value for bars, or x and
 * y for lines), "result" rows the rest of the result (key, value). */
#define PLAB_RESULT_CSV_HEADER "table,series,key,x,y,value"

/* Writes the result as that CSV. Returns 0 or -1. */
int plab_result_chart_write_csv (const PlabResultChartData *data, FILE *out);

#ifdef __cplusplus
}
#endif
