/* chart-test-util.h: events to draw and pixels read back from image surfaces,
 * for the chart tests. */
#pragma once

#include <cairo-script.h>
#include <cairo.h>
#include <glib.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "plab-chart-export.h"
#include "plab-chart-style.h"
#include "plab-timeline-chart.h"
#include "plab-trace.h"

/* The colour at (x, y) of an opaque ARGB32 image surface, 0..1 per channel. */
static inline PlabRgba
chart_test_pixel (cairo_surface_t *surface, double x, double y)
{
  unsigned char *data;
  int stride, ix = (int)floor (x), iy = (int)floor (y);
  guint32 px;
  PlabRgba c;

  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  g_assert_cmpint (ix, >=, 0);
  g_assert_cmpint (iy, >=, 0);
  g_assert_cmpint (ix, <, cairo_image_surface_get_width (surface));
  g_assert_cmpint (iy, <, cairo_image_surface_get_height (surface));
  px = *(guint32 *)(data + iy * stride + ix * 4);
  c.a = ((px >> 24) & 0xff) / 255.0;
  c.r = ((px >> 16) & 0xff) / 255.0;
  c.g = ((px >> 8) & 0xff) / 255.0;
  c.b = (px & 0xff) / 255.0;
  return c;
}

static inline bool
chart_test_same_colour (PlabRgba a, PlabRgba b)
{
  const double tol = 3.0 / 255.0;
  return fabs (a.r - b.r) <= tol && fabs (a.g - b.g) <= tol && fabs (a.b - b.b) <= tol;
}

static inline bool
chart_test_pixel_is (cairo_surface_t *surface, double x, double y, PlabRgba colour)
{
  return chart_test_same_colour (chart_test_pixel (surface, x, y), colour);
}

/* How many pixels of @rect (x, y, w, h) have @colour. */
static inline int
chart_test_count_colour (cairo_surface_t *surface,
                         double x,
                         double y,
                         double w,
                         double h,
                         PlabRgba colour)
{
  int n = 0;
  for (int j = (int)y; j < (int)(y + h); j++)
    for (int i = (int)x; i < (int)(x + w); i++)
      if (chart_test_pixel_is (surface, i, j, colour))
        n++;
  return n;
}

/* A pixel that is neither background nor nearly so: ink of some kind. */
static inline int
chart_test_count_ink (cairo_surface_t *surface,
                      double x,
                      double y,
                      double w,
                      double h,
                      PlabRgba background)
{
  int n = 0;
  for (int j = (int)y; j < (int)(y + h); j++)
    for (int i = (int)x; i < (int)(x + w); i++)
      {
        PlabRgba c = chart_test_pixel (surface, i, j);
        if (fabs (c.r - background.r) + fabs (c.g - background.g) + fabs (c.b - background.b) > 0.3)
          n++;
      }
  return n;
}

/* An event for a timeline: a span of @kind on @lane (a counter sample when
 * @kind says so), @label NULL for none. */
static inline PlabEvent
chart_test_event (int lane, int kind, int64_t start, int64_t end, int64_t task, const char *label)
{
  PlabEvent e;

  memset (&e, 0, sizeof e);
  e.lane = (uint16_t)lane;
  e.kind = (uint16_t)kind;
  e.start_ns = start;
  e.end_ns = end;
  e.task_id = task;
  g_strlcpy (e.label, label ? label : "", sizeof e.label);
  return e;
}

static inline int
chart_test_compare_events_by_start (const void *a, const void *b)
{
  const PlabEvent *x = a, *y = b;
  return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

/* Checks, on a timeline drawn as @layout, every pair of back-to-back task
 * spans of lane @lane (the second starts less than a pixel after the first
 * ends) both at least @min_px wide: at height @y, each is task-coloured in
 * its middle, and the columns around the boundary hold a pixel of another
 * colour: an edge between them. Returns how many pairs it checked. */
static inline int
chart_test_assert_edges (cairo_surface_t *surface,
                         const PlabTimelineData *data,
                         const PlabTimelineLayout *layout,
                         const PlabChartStyle *style,
                         int lane,
                         double y,
                         double min_px)
{
  PlabRgba task = style->span[PLAB_SPAN_TASK];
  double ns_px = (double)(layout->window.end_ns - layout->window.start_ns) / layout->plot_w;
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
  int checked = 0;

  for (size_t i = 0; i < plab_timeline_data_n_spans (data); i++)
    {
      PlabEvent e;
      g_assert_true (plab_timeline_data_get_span (data, i, &e));
      if (e.lane == lane && e.kind == PLAB_SPAN_TASK)
        g_array_append_val (spans, e);
    }
  g_array_sort (spans, chart_test_compare_events_by_start);
  for (guint i = 1; i < spans->len; i++)
    {
      const PlabEvent *a = &g_array_index (spans, PlabEvent, i - 1);
      const PlabEvent *b = &g_array_index (spans, PlabEvent, i);
      double xa = plab_timeline_layout_x (layout, (double)a->start_ns);
      double xb = plab_timeline_layout_x (layout, (double)b->start_ns);
      double xe = plab_timeline_layout_x (layout, (double)b->end_ns);
      int other = 0;

      if ((double)(b->start_ns - a->end_ns) >= ns_px || b->start_ns < a->end_ns || xb - xa < min_px
          || xe - xb < min_px)
        continue;
      g_assert_true (chart_test_pixel_is (surface, (xa + xb) / 2, y, task));
      g_assert_true (chart_test_pixel_is (surface, (xb + xe) / 2, y, task));
      for (int dx = -2; dx <= 1; dx++)
        other += !chart_test_pixel_is (surface, floor (xb) + dx, y, task);
      if (other == 0)
        g_error ("no edge between the spans %s and %s at x = %.1f", a->label, b->label, xb);
      checked++;
    }
  g_array_free (spans, TRUE);
  return checked;
}

static inline cairo_status_t
chart_test_append_cb (void *closure, const unsigned char *data, unsigned int length)
{
  g_string_append_len (closure, (const char *)data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* Every string the renderer draws for @input at @width x @height in
 * @theme, read from a cairo script surface, which keeps each one (in
 * parentheses, a line of wrapped text at a time). */
static inline GString *
chart_test_drawn_text (const PlabChartInput *input, double width, double height, PlabTheme theme)
{
  GString *words = g_string_new (NULL);
  cairo_device_t *script = cairo_script_create_for_stream (chart_test_append_cb, words);
  cairo_surface_t *surface
      = cairo_script_surface_create (script, CAIRO_CONTENT_COLOR_ALPHA, width, height);
  cairo_t *cr = cairo_create (surface);
  PlabChartStyle style;

  plab_chart_style_init (&style, theme, 1.0);
  plab_chart_draw (cr, input, &style, width, height);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  cairo_device_finish (script);
  cairo_device_destroy (script);
  return words;
}

/* How many times @text stands in @haystack. */
static inline int
chart_test_count_in (const char *haystack, const char *text)
{
  int n = 0;

  for (const char *p = haystack; (p = strstr (p, text)) != NULL; p++)
    n++;
  return n;
}
