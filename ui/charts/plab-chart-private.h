/* plab-chart-private.h: drawing helpers shared by the chart renderers.
 *
 * Every chart draws the same frame (background, title, footer), the same
 * legends and the same axes, so they look like one family on a slide. Sizes
 * come from the PlabChartStyle; positions are in device units of the cairo
 * context handed to the chart.
 */
#pragma once

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "plab-axis.h"
#include "plab-chart-export.h"
#include "plab-chart-style.h"

typedef enum
{
  PLAB_LEGEND_BOX = 0, /* a filled square: bars, spans */
  PLAB_LEGEND_LINE,    /* a solid line with a point */
  PLAB_LEGEND_DASHED,  /* a dashed line */
  PLAB_LEGEND_DOTTED,  /* a dotted line with a hollow point */
  PLAB_LEGEND_POINT,   /* a point alone */
  PLAB_LEGEND_CROSS,   /* a cross marker (a worker died) */
  PLAB_LEGEND_HATCH,   /* a hatched square: waiting for a core */
  PLAB_LEGEND_RANGE,   /* an error bar: the min-max of repeats */
} PlabLegendShape;

typedef struct
{
  const char *label;
  PlabRgba colour;
  PlabLegendShape shape;
} PlabLegendItem;

/* The renderers plab_chart_draw () picks by kind: each draws its kind's
 * data from the input (input->time, ->speedup, ->result; the timeline's
 * renderer is in plab-timeline-chart.h). Everything else, the tests
 * included, draws through plab_chart_draw (). */
PlabChartRenderer plab_time_chart_draw;
PlabChartRenderer plab_speedup_chart_draw;
PlabChartRenderer plab_result_chart_draw;

/* The entry @value of the name table @names (of @n_names), or @fallback when
 * @value is out of range. */
const char *_plab_chart_name_of (const char *const *names,
                                 int n_names,
                                 int value,
                                 const char *fallback);

/* The index of @name in @names, compared with or without case, or -1 when it
 * is NULL or not there. */
int _plab_chart_name_find (const char *const *names,
                           int n_names,
                           const char *name,
                           bool ignore_case);

void _plab_chart_set_colour (cairo_t *cr, PlabRgba colour);
void _plab_chart_set_colour_alpha (cairo_t *cr, PlabRgba colour, double alpha);

/* Selects the style's font at @size, regular or bold, with grey antialiasing
 * and unhinted metrics so text measures the same in PNG, SVG and PDF. */
void _plab_chart_font (cairo_t *cr, const PlabChartStyle *style, double size, bool bold);

double _plab_chart_text_width (cairo_t *cr, const char *text);

/* Draws @text anchored at (x, y): @halign 0 left, 0.5 centre, 1 right;
 * @valign 0 top, 0.5 middle, 1 bottom of the font's ascent..descent box. */
void _plab_chart_text (cairo_t *cr,
                       double x,
                       double y,
                       double halign,
                       double valign,
                       const char *text);

/* Like _plab_chart_text () but rotated a quarter turn anticlockwise, for
 * y-axis titles; (x, y) is the centre. */
void _plab_chart_text_vertical (cairo_t *cr, double x, double y, const char *text);

/* Copies @text into @buf, shortened with an ellipsis to fit @max_width.
 * Returns false when not even the ellipsis fits. */
bool _plab_chart_text_fit (cairo_t *cr, const char *text, double max_width, char *buf, size_t len);

/* Draws @text from (x, y) (top left) broken at spaces into lines no wider
 * than @max_width, @line_height apart, with @indent (say "• ") before the
 * first line and the others aligned after it. A word wider than a line is
 * shortened with an ellipsis, and so is the last line that still ends
 * above @max_bottom. Returns the y below the last line drawn. */
double _plab_chart_text_wrapped (cairo_t *cr,
                                 double x,
                                 double y,
                                 double max_width,
                                 double line_height,
                                 double max_bottom,
                                 const char *indent,
                                 const char *text);

/* Paints the background, the title at the top and the footer at the bottom,
 * and returns the area left for the chart's body. Either string may be NULL
 * or empty (a GUI widget draws no title). The footer may have more lines,
 * parted by '\n': the first says what the chart shows, the others warn (a
 * busy machine) and are drawn above it in the warning colour. */
PlabRect _plab_chart_frame (cairo_t *cr,
                            const PlabChartStyle *style,
                            const char *title,
                            const char *footer,
                            double width,
                            double height);

/* How every renderer starts: returns false, having drawn nothing, when the
 * chart has no size; otherwise saves @cr (the renderer restores it when
 * done), draws the frame as _plab_chart_frame () does and sets *@body to the
 * area left for the chart. */
bool _plab_chart_begin (cairo_t *cr,
                        const PlabChartStyle *style,
                        const char *title,
                        const char *footer,
                        double width,
                        double height,
                        PlabRect *body);

/* A centred explanatory message in @area, for data that cannot be drawn
 * (an empty run, a sweep with one configuration). */
void _plab_chart_message (cairo_t *cr,
                          const PlabChartStyle *style,
                          PlabRect area,
                          const char *message);

/* Lays out @items left to right from (x, y), wrapping at @max_width, and
 * returns the height used. Draws only when @draw is true, so callers can
 * measure first and reserve the space. */
double _plab_chart_legend (cairo_t *cr,
                           const PlabChartStyle *style,
                           const PlabLegendItem *items,
                           int n_items,
                           double x,
                           double y,
                           double max_width,
                           bool draw);

/* Lays a plot out in @area: the legend of @items on top (none when @n_items
 * is 0), room on the left for a y axis with @y_ticks and @bottom_room below
 * for what goes under the plot. Draws the legend, over the plot's width, and
 * returns the plot. */
PlabRect _plab_chart_plot_under_legend (cairo_t *cr,
                                        const PlabChartStyle *style,
                                        PlabRect area,
                                        const PlabTicks *y_ticks,
                                        double bottom_room,
                                        const PlabLegendItem *items,
                                        int n_items);

/* Appends an item to @items, of which there are *@n_items, and counts it. */
void _plab_chart_legend_add (PlabLegendItem *items,
                             int *n_items,
                             const char *label,
                             PlabRgba colour,
                             PlabLegendShape shape);

/* Widest tick label of @ticks. */
double _plab_chart_ticks_width (cairo_t *cr, const PlabChartStyle *style, const PlabTicks *ticks);

/* Room a y axis needs left of the plot (tick labels and title). */
double _plab_chart_y_axis_room (cairo_t *cr, const PlabChartStyle *style, const PlabTicks *ticks);

/* Room an x axis needs below the plot. */
double _plab_chart_x_axis_room (const PlabChartStyle *style);

/* Draws a y axis at the left of @plot: grid lines across the plot, tick
 * labels and a rotated @title. */
void _plab_chart_y_axis (cairo_t *cr,
                         const PlabChartStyle *style,
                         PlabRect plot,
                         const PlabAxis *axis,
                         const PlabTicks *ticks,
                         const char *title);

/* Draws an x axis under @plot, same conventions. */
void _plab_chart_x_axis (cairo_t *cr,
                         const PlabChartStyle *style,
                         PlabRect plot,
                         const PlabAxis *axis,
                         const PlabTicks *ticks,
                         const char *title,
                         bool grid);

/* Fills the current path with @colour crossed by diagonal stripes of the
 * background, and clears the path: what is hatched lies over other marks
 * (waiting for a core over a task) and reads apart from solid fills. */
void _plab_chart_fill_hatched (cairo_t *cr, const PlabChartStyle *style, PlabRgba colour);

/* A marker for series points: filled disc, hollow disc or square. */
void _plab_chart_marker (cairo_t *cr,
                         const PlabChartStyle *style,
                         double x,
                         double y,
                         PlabLegendShape shape,
                         PlabRgba colour);

/* An error bar at @x from @y0 to @y1 with caps @cap wide on each side: the
 * spread of repeated measurements. */
void _plab_chart_error_bar (cairo_t *cr,
                            const PlabChartStyle *style,
                            double x,
                            double y0,
                            double y1,
                            double cap,
                            PlabRgba colour);

/* Sets a dash pattern matching a legend shape (none for solid). */
void _plab_chart_dash (cairo_t *cr, const PlabChartStyle *style, PlabLegendShape shape);

/* Writes @text as a quoted CSV field, doubling the quotes in it. */
void _plab_chart_csv_text (FILE *out, const char *text);
