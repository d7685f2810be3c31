/* plab-widgets-private.h: what the widgets of ui/ share. */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "plab-chart-style.h"

G_BEGIN_DECLS

/* The chart style scale for a chart of @width x @height on screen. */
double _plab_chart_view_style_scale (double width, double height);

/* "1.25 s", "310 ms", "42.0 µs", "800 ns". */
char *_plab_format_duration (double ns);

/* Paints the background of @style and @text in its middle. */
void _plab_draw_placeholder (cairo_t *cr,
                             const PlabChartStyle *style,
                             const char *text,
                             double width,
                             double height);

G_END_DECLS
