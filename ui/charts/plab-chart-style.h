/* plab-chart-style.h: how every chart looks.
 *
 * A PlabChartStyle is plain data: colours, font sizes and line widths, all in
 * device units at scale 1 for a 1600 x 900 chart. The three themes share one
 * palette, Okabe and Ito's eight colours, chosen so the kinds of spans and the
 * backends stay apart for readers with any common colour-vision deficiency
 * (sleep takes a light green beside them, a hue apart from the task blue);
 * the dark theme lightens the two darkest hues so they still read on a dark
 * background. The projector theme is the light theme with larger text and
 * thicker lines, for the back row of a lecture room.
 *
 * Charts only read a style; nothing in it is owned memory, so a style can be
 * copied with `=`.
 */
#pragma once

#include <stdbool.h>

#include "plab-trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A rectangle in the device units of a chart's cairo context. */
typedef struct
{
  double x, y, w, h;
} PlabRect;

typedef enum
{
  PLAB_THEME_LIGHT = 0,
  PLAB_THEME_DARK,
  PLAB_THEME_PROJECTOR,
  PLAB_N_THEMES
} PlabTheme;

/* "light", "dark", "projector". */
const char *plab_theme_name (PlabTheme theme);

/* Parses a theme name; -1 when unknown. */
int plab_theme_from_name (const char *name);

typedef struct
{
  double r, g, b, a;
} PlabRgba;

#define PLAB_PALETTE_SIZE 8

typedef struct
{
  PlabTheme theme;
  double scale; /* multiplies every size below when the style is initialised */

  /* Colours */
  PlabRgba background;
  PlabRgba foreground; /* text, axes */
  PlabRgba muted;      /* secondary text: ticks, footer */
  PlabRgba grid;
  PlabRgba lane_stripe; /* every other lane of a timeline */
  PlabRgba palette[PLAB_PALETTE_SIZE];
  PlabRgba span[PLAB_N_SPAN_KINDS];
  PlabRgba warning; /* crash markers, failed runs */

  /* Text, in device units */
  const char *font_family;
  double title_size;
  double label_size; /* axis titles */
  double tick_size;  /* tick labels, legend, values on bars */
  double small_size; /* footer, labels inside spans */

  /* Lines, in device units */
  double line_width;      /* data lines */
  double thin_line_width; /* axes, grid, whiskers */
  double marker_radius;
  double padding; /* around the plot and between blocks */
} PlabChartStyle;

/* Fills @self for @theme. @scale multiplies sizes (1 for a 1600 x 900 chart;
 * a GUI at a small size may pass 0.75). Values <= 0 mean 1. */
void plab_chart_style_init (PlabChartStyle *self, PlabTheme theme, double scale);

/* The colour of a span kind; a neutral grey for values out of range. */
PlabRgba plab_chart_style_span_colour (const PlabChartStyle *self, int kind);

/* A colour for series number @index (cycles through the palette, skipping the
 * foreground-like entry 0). */
PlabRgba plab_chart_style_series_colour (const PlabChartStyle *self, int index);

/* A stable colour per backend name: serial, threads, processes and gil always
 * get the same colour in every chart; other names get a palette colour derived
 * from the name. */
PlabRgba plab_chart_style_backend_colour (const PlabChartStyle *self, const char *backend);

/* Human names of span kinds for legends: "task", "lock wait", ..., "crash".
 * Kept here rather than in core so a chart never depends on how core stores
 * kind names. */
const char *plab_chart_span_kind_label (int kind);

#ifdef __cplusplus
}
#endif
