/* plab-chart-export.h: charts to files, for the command line and the GUI.
 *
 * Two levels. plab_chart_export_data () writes a chart from data already in
 * memory (what the GUI holds, what the tests build); plab_chart_export_run ()
 * and plab_chart_export_sweep () first load a run or a sweep from the run
 * store. Every function returns 0 or a negative PLAB_E* code and, on failure,
 * writes one line for the user into @error.
 *
 * Formats: PNG (width x height device pixels, times the scale), SVG (width x
 * height px), PDF (width x height points, titled with the chart's title; the
 * scale does not apply to vectors), and CSV, the data behind the chart. Every
 * file is written through plab-export-file.h.
 */
#pragma once

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plab-chart-style.h"
#include "plab-result-chart.h"
#include "plab-speedup-chart.h"
#include "plab-store.h"
#include "plab-time-chart.h"
#include "plab-timeline-chart.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PLAB_EXPORT_DEFAULT_WIDTH 1600
#define PLAB_EXPORT_DEFAULT_HEIGHT 900
/* Larger sizes are refused: a PNG of this many pixels is already 256 MB. */
#define PLAB_EXPORT_MAX_PIXELS (64 * 1000 * 1000)
/* Smaller sizes are refused: the title, the legend, the axes with their
 * ticks and the footer take the same room at any size, and in less they run
 * into one another and leave the plot none. This is for the light and dark
 * themes' type; see plab_chart_export_min_size (). */
#define PLAB_EXPORT_MIN_WIDTH 640
#define PLAB_EXPORT_MIN_HEIGHT 360

typedef enum
{
  PLAB_CHART_TIMELINE = 0,
  PLAB_CHART_TIME,
  PLAB_CHART_SPEEDUP,
  PLAB_CHART_RESULT,
  PLAB_N_CHART_KINDS
} PlabChartKind;

typedef enum
{
  PLAB_CHART_FORMAT_PNG = 0,
  PLAB_CHART_FORMAT_SVG,
  PLAB_CHART_FORMAT_PDF,
  PLAB_CHART_FORMAT_CSV,
  PLAB_N_CHART_FORMATS
} PlabChartFormat;

/* "timeline", "time", "speedup", "result"; -1 when unknown. */
const char *plab_chart_kind_name (PlabChartKind kind);
int plab_chart_kind_from_name (const char *name);

/* "png", "svg", "pdf", "csv"; -1 when unknown. */
const char *plab_chart_format_name (PlabChartFormat format);
int plab_chart_format_from_name (const char *name);

/* The format a file name's extension names, or -1. */
int plab_chart_format_from_path (const char *path);

typedef struct
{
  PlabChartKind kind;
  PlabChartFormat format;
  const char *path; /* the file to write; "-" writes CSV to stdout */
  int width;        /* 0: PLAB_EXPORT_DEFAULT_WIDTH */
  int height;       /* 0: PLAB_EXPORT_DEFAULT_HEIGHT */
  double scale;     /* PNG only; 0: 1 */
  PlabTheme theme;
  const PlabSpeedupSeries *predicted; /* speedup: a student's prediction, or NULL */
  const char *title;                  /* the document's title (PDF); NULL: the chart's own */
  PlabResultLabelFunc result_labels;  /* result: names its keys; NULL lists them as they are */
} PlabExportOptions;

/* The data of one chart; only the member matching the kind is read. */
typedef struct
{
  PlabChartKind kind;
  const PlabTimelineData *timeline;
  const PlabTimeWindow *window; /* timeline: NULL for the whole run */
  const PlabTimeChartData *time;
  const PlabSpeedupChartData *speedup;
  const PlabResultChartData *result;
} PlabChartInput;

/* How a chart is drawn: @input with @style into @cr, in a @width x @height
 * area. plab_chart_draw () and the renderer of each kind it picks share
 * this signature. */
typedef void PlabChartRenderer (cairo_t *cr,
                                const PlabChartInput *input,
                                const PlabChartStyle *style,
                                double width,
                                double height);

/* Draws @input with @style into @cr: the one entry point the GUI, the
 * exports and the tests share. */
PlabChartRenderer plab_chart_draw;

/* The smallest size a chart in @theme is drawn readably at:
 * PLAB_EXPORT_MIN_WIDTH x PLAB_EXPORT_MIN_HEIGHT, and as much larger as the
 * theme's type is (the projector's). */
void plab_chart_export_min_size (PlabTheme theme, int *width, int *height);

/* Whether a @width x @height chart in @theme is too small to read; then
 * writes one line for the user saying the smallest size into @message. */
bool plab_chart_export_too_small (PlabTheme theme,
                                  int width,
                                  int height,
                                  char *message,
                                  size_t message_len);

/* Writes @input to options->path in options->format. A PNG, SVG or PDF
 * smaller than plab_chart_export_min_size () is refused with PLAB_ERANGE,
 * and nothing is written. */
int plab_chart_export_data (const PlabChartInput *input,
                            const PlabExportOptions *options,
                            char *error,
                            size_t error_len);

/* Loads run @run_id and writes the chart. Time and speedup charts of a run
 * show its sweep when it belongs to one, else every finished run of the same
 * demo with the same parameters. */
int plab_chart_export_run (PlabStore *store,
                           int64_t run_id,
                           const PlabExportOptions *options,
                           char *error,
                           size_t error_len);

/* Loads every run of sweep @sweep_id and writes the chart; a timeline or
 * result chart of a sweep shows its newest finished run. */
int plab_chart_export_sweep (PlabStore *store,
                             int64_t sweep_id,
                             const PlabExportOptions *options,
                             char *error,
                             size_t error_len);

#ifdef __cplusplus
}
#endif
