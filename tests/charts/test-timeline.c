/* test-chart-timeline.c: the timeline draws spans where their times say. */
#include <cairo.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "chart-test-util.h"
#include "plab-axis.h"
#include "plab-chart-style.h"
#include "plab-timeline-chart.h"

#define W 1600
#define H 900
#define MS 1000000LL

static PlabLaneInfo
lane_info (int lane, const char *name, int pid)
{
  PlabLaneInfo l;

  memset (&l, 0, sizeof l);
  l.lane = lane;
  l.kind = lane == 0 ? PLAB_LANE_MAIN : PLAB_LANE_PROCESS;
  l.pid = pid;
  g_strlcpy (l.name, name, sizeof l.name);
  return l;
}

typedef struct
{
  cairo_surface_t *surface;
  cairo_t *cr;
  PlabChartStyle style;
  PlabTimelineLayout layout;
} Rendered;

static void
render (Rendered *r, const PlabTimelineData *data, const PlabTimeWindow *window)
{
  r->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  r->cr = cairo_create (r->surface);
  plab_chart_style_init (&r->style, PLAB_THEME_LIGHT, 1.0);
  plab_timeline_chart_draw (r->cr, data, window, &r->style, W, H);
  if (data != NULL)
    plab_timeline_chart_layout (r->cr, data, window, &r->style, W, H, &r->layout);
  g_assert_cmpint (cairo_status (r->cr), ==, CAIRO_STATUS_SUCCESS);
}

static void
rendered_clear (Rendered *r)
{
  cairo_destroy (r->cr);
  cairo_surface_destroy (r->surface);
}

static double
lane_mid (const Rendered *r, int row)
{
  return r->layout.lanes_y + (row + 0.5) * r->layout.lane_h;
}

/* The height of lane @row's bars: the run of non-background pixels through
 * the lane's middle at @x. */
static double
bar_height_at (const Rendered *r, int row, double x)
{
  double mid = lane_mid (r, row);
  PlabRgba bg = r->style.background;
  int top = (int)mid, bottom = (int)mid;

  while (top > r->layout.lanes_y + row * r->layout.lane_h
         && chart_test_count_ink (r->surface, x, top - 1, 1, 1, bg) == 1)
    top--;
  while (bottom < r->layout.lanes_y + (row + 1) * r->layout.lane_h
         && chart_test_count_ink (r->surface, x, bottom + 1, 1, 1, bg) == 1)
    bottom++;
  return bottom - top + 1;
}

/* The tallest bar of lane @row in the 200 columns from @x, grid lines
 * (ink at the lane's top edge) aside. */
static double
bar_height (const Rendered *r, int row, double x)
{
  double best = 0, lane_top = r->layout.lanes_y + row * r->layout.lane_h + 1;

  for (int i = 0; i < 200; i++)
    if (chart_test_count_ink (r->surface, x + i, lane_top, 1, 1, r->style.background) == 0)
      best = fmax (best, bar_height_at (r, row, x + i));
  return best;
}

static void
test_span_pixels (void)
{
  PlabLaneInfo lanes[] = { lane_info (0, "main", 100), lane_info (1, "worker-1", 101),
                           lane_info (2, "worker-2", 102) };
  PlabEvent spans[] = {
    chart_test_event (1, PLAB_SPAN_TASK, 200 * MS, 600 * MS, 1, "chunk 1"),
    chart_test_event (2, PLAB_SPAN_SLEEP, 0, 1000 * MS, -1, NULL),
  };
  PlabTimelineData *data = plab_timeline_data_new (lanes, 3, spans, 2, NULL, 0);
  PlabRgba task;
  Rendered r;
  double x200, x600, y;

  render (&r, data, NULL);
  task = r.style.span[PLAB_SPAN_TASK];
  g_assert_cmpint (r.layout.window.start_ns, ==, 0);
  g_assert_cmpint (r.layout.window.end_ns, ==, 1000 * MS);

  x200 = plab_timeline_layout_x (&r.layout, 200 * MS);
  x600 = plab_timeline_layout_x (&r.layout, 600 * MS);
  g_assert_cmpfloat_with_epsilon (x600 - x200, r.layout.plot_w * 0.4, 1e-6);
  y = lane_mid (&r, 1) + r.layout.lane_h * 0.25; /* below the label */

  /* Inside the span, at both ends and in the middle. */
  g_assert_true (chart_test_pixel_is (r.surface, x200 + 2, y, task));
  g_assert_true (chart_test_pixel_is (r.surface, (x200 + x600) / 2, y, task));
  g_assert_true (chart_test_pixel_is (r.surface, x600 - 3, y, task));
  /* Outside it, before and after, and in other lanes. */
  g_assert_false (chart_test_pixel_is (r.surface, x200 - 3, y, task));
  g_assert_false (chart_test_pixel_is (r.surface, x600 + 3, y, task));
  g_assert_false (chart_test_pixel_is (r.surface, (x200 + x600) / 2, lane_mid (&r, 0), task));
  g_assert_true (chart_test_pixel_is (r.surface, (x200 + x600) / 2, lane_mid (&r, 2),
                                      r.style.span[PLAB_SPAN_SLEEP]));

  /* The whole span is task-coloured along a row: about 40% of the plot. */
  {
    int n = chart_test_count_colour (r.surface, r.layout.plot_x, y, r.layout.plot_w, 1, task);
    g_assert_cmpint (n, >=, (int)(r.layout.plot_w * 0.4) - 3);
    g_assert_cmpint (n, <=, (int)(r.layout.plot_w * 0.4) + 3);
  }

  rendered_clear (&r);
  plab_timeline_data_free (data);
}

static void
test_lane_order (void)
{
  /* Lanes given out of order, each with a kind of its own. */
  PlabLaneInfo lanes[] = { lane_info (2, "c", 3), lane_info (0, "a", 1), lane_info (1, "b", 2) };
  PlabEvent spans[] = {
    chart_test_event (1, PLAB_SPAN_TASK, 0, 100 * MS, 0, NULL),
    chart_test_event (2, PLAB_SPAN_IO, 0, 100 * MS, -1, NULL),
    chart_test_event (0, PLAB_SPAN_QUEUE_WAIT, 0, 100 * MS, -1, NULL),
  };
  const int kinds[] = { PLAB_SPAN_QUEUE_WAIT, PLAB_SPAN_TASK, PLAB_SPAN_IO };
  PlabTimelineData *data = plab_timeline_data_new (lanes, 3, spans, 3, NULL, 0);
  Rendered r;

  render (&r, data, NULL);
  g_assert_cmpint (plab_timeline_data_n_lanes (data), ==, 3);
  for (int row = 0; row < 3; row++)
    {
      double x = r.layout.plot_x + r.layout.plot_w / 2;
      double y = lane_mid (&r, row) + r.layout.lane_h * 0.25;
      for (int k = 0; k < 3; k++)
        g_assert_true (chart_test_pixel_is (r.surface, x, y, r.style.span[kinds[k]]) == (k == row));
    }
  rendered_clear (&r);
  plab_timeline_data_free (data);
}

static void
test_empty_run (void)
{
  PlabLaneInfo lanes[] = { lane_info (0, "main", 1) };
  PlabTimelineData *data = plab_timeline_data_new (lanes, 1, NULL, 0, NULL, 0);
  Rendered r;
  int ink;

  g_assert_nonnull (data);
  render (&r, data, NULL);
  /* The message is written across the middle of the chart. */
  ink = chart_test_count_ink (r.surface, 0, H / 2 - 20, W, 40, r.style.background);
  g_assert_cmpint (ink, >, 200);
  g_assert_cmpint (chart_test_count_colour (r.surface, 0, 0, W, H, r.style.span[PLAB_SPAN_TASK]),
                   ==, 0);
  rendered_clear (&r);
  plab_timeline_data_free (data);

  /* No data at all, and a zero-sized chart, draw without crashing. */
  render (&r, NULL, NULL);
  ink = chart_test_count_ink (r.surface, 0, H / 2 - 20, W, 40, r.style.background);
  g_assert_cmpint (ink, >, 200);
  plab_timeline_chart_draw (r.cr, NULL, NULL, &r.style, 0, 0);
  rendered_clear (&r);
}

static void
test_density (void)
{
  /* 100000 spans of 2 µs every 4 µs fill the first 400 ms at half density;
   * a pixel is 0.7 ms, so every span is far below a pixel. */
  enum
  {
    N = 100000
  };
  PlabLaneInfo lanes[] = { lane_info (0, "main", 1), lane_info (1, "w", 2) };
  PlabEvent *spans = g_new0 (PlabEvent, N + 1);
  PlabTimelineData *data;
  PlabRgba task;
  Rendered r;
  double span_h, x_in, x_out, y_mid;

  for (int i = 0; i < N; i++)
    spans[i] = chart_test_event (1, PLAB_SPAN_TASK, i * 4000LL, i * 4000LL + 2000, i, NULL);
  spans[N] = chart_test_event (0, PLAB_SPAN_WAIT, 0, 1000 * MS, -1, NULL);
  data = plab_timeline_data_new (lanes, 2, spans, N + 1, NULL, 0);
  render (&r, data, NULL);
  task = r.style.span[PLAB_SPAN_TASK];
  y_mid = lane_mid (&r, 1);
  x_in = plab_timeline_layout_x (&r.layout, 200 * MS);
  span_h = bar_height (&r, 1, x_in);
  x_out = plab_timeline_layout_x (&r.layout, 650 * MS);

  /* A half-busy lane is a paler bar at full height: neither the solid span
   * colour nor background, at the middle and near the bar's edges. */
  g_assert_false (chart_test_pixel_is (r.surface, x_in, y_mid, task));
  g_assert_cmpint (chart_test_count_ink (r.surface, x_in, y_mid, 1, 1, r.style.background), ==, 1);
  g_assert_cmpint (chart_test_count_ink (r.surface, x_in, y_mid + span_h * 0.45, 1, 1,
                                         r.style.background),
                   ==, 1);
  g_assert_cmpint (chart_test_count_ink (r.surface, x_out, y_mid, 1, 1, r.style.background), ==, 0);
  {
    /* Paler means between the two: closer to the span colour than to the
     * background for a half-busy lane, but not equal to either. */
    PlabRgba c = chart_test_pixel (r.surface, x_in, y_mid), bg = r.style.background;
    double to_task = fabs (c.r - task.r) + fabs (c.g - task.g) + fabs (c.b - task.b);
    double to_bg = fabs (c.r - bg.r) + fabs (c.g - bg.g) + fabs (c.b - bg.b);
    g_assert_cmpfloat (to_task, >, 0.05);
    g_assert_cmpfloat (to_bg, >, to_task);
  }
  /* It stops where the spans stop. */
  {
    double x_end = plab_timeline_layout_x (&r.layout, 400 * MS);
    g_assert_cmpint (chart_test_count_ink (r.surface, x_end - 2, y_mid, 1, 1, r.style.background),
                     ==, 1);
    g_assert_cmpint (chart_test_count_ink (r.surface, x_end + 2, y_mid, 1, 1, r.style.background),
                     ==, 0);
  }
  rendered_clear (&r);

  /* Zoomed in past the pyramid, the direct sums say the same. */
  {
    PlabTimeWindow w = { 390 * MS, 410 * MS };
    render (&r, data, &w);
    x_in = plab_timeline_layout_x (&r.layout, 395 * MS);
    g_assert_cmpint (chart_test_count_ink (r.surface, x_in, lane_mid (&r, 1), 1, 1,
                                           r.style.background),
                     ==, 1);
    g_assert_cmpint (chart_test_count_ink (r.surface, plab_timeline_layout_x (&r.layout, 405 * MS),
                                           lane_mid (&r, 1), 1, 1, r.style.background),
                     ==, 0);
    rendered_clear (&r);
  }
  plab_timeline_data_free (data);
  g_free (spans);
}

static void
test_hit_test (void)
{
  PlabLaneInfo lanes[] = { lane_info (0, "main", 1), lane_info (1, "w", 2) };
  PlabEvent spans[] = {
    chart_test_event (1, PLAB_SPAN_TASK, 100 * MS, 500 * MS, 7, "outer"),
    chart_test_event (1, PLAB_SPAN_LOCK_WAIT, 200 * MS, 250 * MS, 7, "inner"),
    chart_test_event (0, PLAB_SPAN_QUEUE_WAIT, 0, 1000 * MS, -1, NULL),
  };
  PlabTimelineData *data = plab_timeline_data_new (lanes, 2, spans, 3, NULL, 0);
  Rendered r;
  long hit;

  render (&r, data, NULL);
  hit = plab_timeline_chart_hit_test (data, &r.layout, plab_timeline_layout_x (&r.layout, 400 * MS),
                                      lane_mid (&r, 1));
  g_assert_cmpint (hit, ==, 0);
  {
    PlabEvent hit_span;
    g_assert_true (plab_timeline_data_get_span (data, (size_t)hit, &hit_span));
    g_assert_cmpstr (hit_span.label, ==, "outer");
  }
  hit = plab_timeline_chart_hit_test (data, &r.layout, plab_timeline_layout_x (&r.layout, 225 * MS),
                                      lane_mid (&r, 1));
  g_assert_cmpint (hit, ==, 1);
  hit = plab_timeline_chart_hit_test (data, &r.layout, plab_timeline_layout_x (&r.layout, 700 * MS),
                                      lane_mid (&r, 1));
  g_assert_cmpint (hit, ==, -1);
  hit = plab_timeline_chart_hit_test (data, &r.layout, plab_timeline_layout_x (&r.layout, 700 * MS),
                                      lane_mid (&r, 0));
  g_assert_cmpint (hit, ==, 2);
  rendered_clear (&r);
  plab_timeline_data_free (data);
}

static void
test_crash_marker (void)
{
  PlabLaneInfo lanes[] = { lane_info (0, "main", 1), lane_info (1, "w", 2) };
  PlabEvent spans[] = {
    chart_test_event (1, PLAB_SPAN_TASK, 0, 300 * MS, 1, NULL),
    chart_test_event (1, PLAB_SPAN_CRASH, 700 * MS, 700 * MS, -1, "SIGSEGV"),
    chart_test_event (0, PLAB_SPAN_QUEUE_WAIT, 0, 1000 * MS, -1, NULL),
  };
  PlabTimelineData *data = plab_timeline_data_new (lanes, 2, spans, 3, NULL, 0);
  Rendered r;
  double x;
  int near, far;

  render (&r, data, NULL);
  x = plab_timeline_layout_x (&r.layout, 700 * MS);
  near = chart_test_count_colour (r.surface, x - 6, r.layout.lanes_y + r.layout.lane_h, 12,
                                  r.layout.lane_h, r.style.warning);
  far = chart_test_count_colour (r.surface, plab_timeline_layout_x (&r.layout, 500 * MS) - 6,
                                 r.layout.lanes_y + r.layout.lane_h, 12, r.layout.lane_h,
                                 r.style.warning);
  g_assert_cmpint (near, >, 20);
  g_assert_cmpint (far, ==, 0);
  rendered_clear (&r);
  plab_timeline_data_free (data);
}

/* Waits for a core lie over the task they stretch: a hatched strip of their
 * own colour along the bottom of the bar, only where they are, the task
 * still showing above it, "waiting for a core" in the legend and on hover. */
static void
test_core_wait (void)
{
  PlabLaneInfo lanes[] = { lane_info (0, "main", 1), lane_info (1, "w", 2) };
  PlabEvent spans[] = {
    chart_test_event (1, PLAB_SPAN_TASK, 0, 1000 * MS, 1, "grid 0-127"),
    chart_test_event (1, PLAB_SPAN_CORE_WAIT, 300 * MS, 500 * MS, -1, NULL),
    chart_test_event (1, PLAB_SPAN_CORE_WAIT, 700 * MS, 720 * MS, -1, NULL),
    chart_test_event (0, PLAB_SPAN_WAIT, 0, 1000 * MS, -1, "map"),
  };
  PlabTimelineData *with = plab_timeline_data_new (lanes, 2, spans, 4, NULL, 0);
  PlabTimelineData *without = plab_timeline_data_new (lanes, 2, spans, 1, NULL, 0);
  PlabRgba crimson, task;
  Rendered r, plain;
  double lane_top, lane_h, strip_y, x300, x500, legend_h;
  int in_wait, before_wait, stripes, legend_with, legend_without, ink_with, ink_without;
  long hit;

  g_assert_cmpstr (plab_span_kind_name (PLAB_SPAN_CORE_WAIT), ==, "core wait");
  g_assert_cmpint (plab_span_kind_from_name ("core wait"), ==, PLAB_SPAN_CORE_WAIT);
  g_assert_cmpstr (plab_chart_span_kind_label (PLAB_SPAN_CORE_WAIT), ==, "waiting for a core");

  render (&r, with, NULL);
  render (&plain, without, NULL);
  crimson = r.style.span[PLAB_SPAN_CORE_WAIT];
  task = r.style.span[PLAB_SPAN_TASK];
  /* Its own colour, apart from every other kind's. */
  for (int k = 0; k < PLAB_N_SPAN_KINDS; k++)
    if (k != PLAB_SPAN_CORE_WAIT && k != PLAB_SPAN_COUNTER)
      g_assert_false (chart_test_same_colour (crimson, r.style.span[k]));

  lane_top = r.layout.lanes_y + r.layout.lane_h;
  lane_h = r.layout.lane_h;
  x300 = plab_timeline_layout_x (&r.layout, 300 * MS);
  x500 = plab_timeline_layout_x (&r.layout, 500 * MS);

  /* The lower part of the lane: crimson inside the wait, none before it. */
  in_wait = chart_test_count_colour (r.surface, x300 + 2, lane_top + lane_h / 2, x500 - x300 - 4,
                                     lane_h / 2, crimson);
  before_wait = chart_test_count_colour (r.surface, x300 - 100, lane_top + lane_h / 2, 90,
                                         lane_h / 2, crimson);
  g_assert_cmpint (in_wait, >, 200);
  g_assert_cmpint (before_wait, ==, 0);
  /* Hatched: along one row of the strip, crimson and the stripes take
   * turns, many times. */
  strip_y = -1;
  for (double y = lane_top + lane_h - 1; y > lane_top + lane_h / 2 && strip_y < 0; y--)
    if (chart_test_count_colour (r.surface, x300 + 2, y, x500 - x300 - 4, 1, crimson) > 10)
      strip_y = y;
  g_assert_cmpfloat (strip_y, >, 0);
  stripes = 0;
  for (double x = x300 + 3; x < x500 - 3; x++)
    if (chart_test_pixel_is (r.surface, x, strip_y, crimson)
        && !chart_test_pixel_is (r.surface, x + 1, strip_y, crimson))
      stripes++;
  g_assert_cmpint (stripes, >, 5);
  /* The task it stretches still shows above it, across the wait. */
  g_assert_true (chart_test_pixel_is (r.surface, (x300 + x500) / 2, lane_top + lane_h * 0.3, task));
  /* The short wait (2 % of the run) shows too. */
  g_assert_cmpint (chart_test_count_colour (r.surface, plab_timeline_layout_x (&r.layout, 700 * MS),
                                            lane_top + lane_h / 2,
                                            plab_timeline_layout_x (&r.layout, 720 * MS)
                                                - plab_timeline_layout_x (&r.layout, 700 * MS),
                                            lane_h / 2, crimson),
                   >, 10);

  /* The legend, above the lanes, has a crimson swatch and a longer line of
   * text ("waiting for a core") only when the run has waits for a core. */
  legend_h = r.layout.lanes_y;
  legend_with = chart_test_count_colour (r.surface, 0, 0, W, legend_h, crimson);
  legend_without = chart_test_count_colour (plain.surface, 0, 0, W, legend_h, crimson);
  g_assert_cmpint (legend_with, >, 20);
  g_assert_cmpint (legend_without, ==, 0);
  ink_with = chart_test_count_ink (r.surface, 0, 0, W, legend_h, r.style.background);
  ink_without = chart_test_count_ink (plain.surface, 0, 0, W, legend_h, plain.style.background);
  g_assert_cmpint (ink_with, >, ink_without + 200);

  /* Hovering the strip finds the wait; the middle of the bar, the task. */
  hit = plab_timeline_chart_hit_test (with, &r.layout, (x300 + x500) / 2, lane_top + lane_h * 0.8);
  g_assert_cmpint (hit, ==, 1);
  hit = plab_timeline_chart_hit_test (with, &r.layout, (x300 + x500) / 2, lane_top + lane_h * 0.5);
  g_assert_cmpint (hit, ==, 0);

  rendered_clear (&r);
  rendered_clear (&plain);
  plab_timeline_data_free (with);
  plab_timeline_data_free (without);
}

static void
test_counters (void)
{
  PlabLaneInfo lanes[] = { lane_info (0, "main", 1) };
  PlabEvent spans[] = { chart_test_event (0, PLAB_SPAN_TASK, 0, 10 * MS, 0, NULL),
                        chart_test_event (0, PLAB_SPAN_COUNTER, 5 * MS, 5 * MS, 3, "queue depth") };
  PlabEvent counters[]
      = { chart_test_event (0, PLAB_SPAN_COUNTER, 0, 0, 1, "queue depth"),
          chart_test_event (0, PLAB_SPAN_COUNTER, 2 * MS, 2 * MS, 4, "busy workers") };
  PlabTimelineData *data = plab_timeline_data_new (lanes, 1, spans, 2, counters, 2);
  Rendered r;

  /* The counter sample among the spans moved to the counters. */
  g_assert_cmpuint (plab_timeline_data_n_spans (data), ==, 1);
  render (&r, data, NULL);
  g_assert_cmpint (r.layout.n_counters, ==, 2);
  g_assert_cmpfloat (r.layout.counters_y, >=, r.layout.lanes_y + r.layout.lane_h);
  rendered_clear (&r);
  plab_timeline_data_free (data);
}

static void
test_few_lanes_fill_slide (void)
{
  /* A pool run of two workers: main waits, the workers work. At 1600 x 900
   * the three lanes use the height of the slide, not its upper half. */
  PlabLaneInfo lanes[]
      = { lane_info (0, "main", 1), lane_info (1, "worker 1", 2), lane_info (2, "worker 2", 3) };
  PlabEvent spans[] = {
    chart_test_event (0, PLAB_SPAN_WAIT, 0, 1000 * MS, -1, "map 200000 items"),
    chart_test_event (1, PLAB_SPAN_TASK, 0, 900 * MS, 1, NULL),
    chart_test_event (2, PLAB_SPAN_TASK, 0, 950 * MS, 2, NULL),
  };
  PlabTimelineData *data = plab_timeline_data_new (lanes, 3, spans, 3, NULL, 0);
  PlabChartStyle style;
  Rendered r;
  int below;

  render (&r, data, NULL);
  g_assert_cmpfloat (r.layout.lanes_y + 3 * r.layout.lane_h, >, 600);
  below = chart_test_count_colour (r.surface, r.layout.plot_x, 600, r.layout.plot_w, H - 600,
                                   r.style.span[PLAB_SPAN_TASK]);
  g_assert_cmpint (below, >, 1000);
  /* Bars are most of a lane: thick enough to see from the back of a room. */
  g_assert_cmpfloat (bar_height (&r, 2, r.layout.plot_x + r.layout.plot_w / 2), >=,
                     r.layout.lane_h * 0.7);
  rendered_clear (&r);
  plab_timeline_data_free (data);

  /* One lane stops at a sensible height rather than filling 700 pixels. */
  data = plab_timeline_data_new (lanes, 1, spans, 1, NULL, 0);
  render (&r, data, NULL);
  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
  g_assert_cmpfloat (r.layout.lane_h, <=, 12.0 * style.label_size + 1);
  g_assert_cmpfloat (r.layout.lane_h, >=, 6.0 * style.label_size);
  rendered_clear (&r);
  plab_timeline_data_free (data);
}

static void
test_busy_lane_is_solid (void)
{
  /* 200000 spans of 2.5 µs with gaps of 0..0.28 µs: busy 90..100 % of every
   * pixel column, like a worker squaring numbers, with a 6 ms pause half way.
   * A busy lane must draw as one solid bar: every pixel of its band is the
   * task colour (no background showing through ragged top and bottom rows,
   * no label over the aggregated spans), and the pause stays visible. */
  enum
  {
    N = 200000
  };
  PlabLaneInfo lanes[] = { lane_info (0, "main", 1), lane_info (1, "worker 1", 2) };
  PlabEvent *spans = g_new0 (PlabEvent, N + 1);
  PlabTimelineData *data;
  GRand *rand = g_rand_new_with_seed (7);
  PlabRgba task;
  Rendered r;
  int64_t t = 0, pause_start = 0, gap = 0;
  double x_first, x_last, x_pause0, x_pause1, mid, top, bottom, h;

  for (int i = 0; i < N; i++)
    {
      if (i == N / 2)
        {
          pause_start = t;
          t += 6 * MS;
        }
      /* The gap changes every few hundred spans, as a real worker's does
       * when it is preempted or its cache warms up. */
      if (i % 300 == 0)
        gap = g_rand_int_range (rand, 0, 280);
      spans[i] = chart_test_event (1, PLAB_SPAN_TASK, t, t + 2500, i, "x=12345");
      t += 2500 + gap;
    }
  spans[N] = chart_test_event (0, PLAB_SPAN_WAIT, 0, t, -1, "map");
  data = plab_timeline_data_new (lanes, 2, spans, N + 1, NULL, 0);
  render (&r, data, NULL);
  task = r.style.span[PLAB_SPAN_TASK];

  mid = lane_mid (&r, 1);
  h = bar_height (&r, 1, plab_timeline_layout_x (&r.layout, (double)pause_start / 2));
  top = mid - h / 2 + 1;
  bottom = mid + h / 2 - 1;
  g_assert_cmpfloat (bottom - top, >, r.layout.lane_h * 0.6);
  x_first = plab_timeline_layout_x (&r.layout, 0) + 2;
  x_last = plab_timeline_layout_x (&r.layout, (double)t) - 2;
  x_pause0 = plab_timeline_layout_x (&r.layout, (double)pause_start);
  x_pause1 = plab_timeline_layout_x (&r.layout, (double)(pause_start + 6 * MS));

  for (int y = (int)top; y <= (int)bottom; y++)
    {
      /* Every row of the band is task-coloured from start to pause and from
       * pause to end, the columns next to the pause's edges aside. */
      int a = (int)x_first, b = (int)x_pause0 - 2, c = (int)x_pause1 + 2, d = (int)x_last;
      g_assert_cmpint (chart_test_count_colour (r.surface, a, y, b - a, 1, task), ==, b - a);
      g_assert_cmpint (chart_test_count_colour (r.surface, c, y, d - c, 1, task), ==, d - c);
    }
  /* The pause is a gap through the whole band. */
  g_assert_cmpint (chart_test_count_ink (r.surface, (x_pause0 + x_pause1) / 2, top, 1, bottom - top,
                                         r.style.background),
                   ==, 0);
  rendered_clear (&r);
  plab_timeline_data_free (data);
  g_rand_free (rand);
  g_free (spans);
}

static void
test_labels_need_room (void)
{
  /* Spans wide enough for "x…" but not for a readable label get none; a wide
   * span gets its label; the generic wait kind is called "waiting". */
  PlabLaneInfo lanes[] = { lane_info (1, "worker 1", 2) };
  PlabEvent spans[] = {
    chart_test_event (1, PLAB_SPAN_TASK, 100 * MS, 124 * MS, 1, "x=88227"),
    chart_test_event (1, PLAB_SPAN_TASK, 300 * MS, 600 * MS, 2, "x=91388"),
  };
  PlabTimelineData *data;
  Rendered r;
  double x0, x1, top, h;
  int white;
  PlabRgba text = { 1, 1, 1, 1 };

  data = plab_timeline_data_new (lanes, 1, spans, 2, NULL, 0);
  render (&r, data, &(PlabTimeWindow){ 0, 1000 * MS });
  h = bar_height_at (&r, 0, plab_timeline_layout_x (&r.layout, 590 * MS));
  top = lane_mid (&r, 0) - h / 2;
  /* The narrow span: about 34 px, room for "x=…" but not for its label. */
  x0 = plab_timeline_layout_x (&r.layout, 100 * MS);
  x1 = plab_timeline_layout_x (&r.layout, 124 * MS);
  g_assert_cmpfloat (x1 - x0, >, 30);
  white = chart_test_count_ink (r.surface, x0 + 1, top + 2, x1 - x0 - 3, h - 4,
                                r.style.span[PLAB_SPAN_TASK]);
  g_assert_cmpint (white, ==, 0);
  /* The wide one carries its label. */
  x0 = plab_timeline_layout_x (&r.layout, 300 * MS);
  x1 = plab_timeline_layout_x (&r.layout, 600 * MS);
  white = chart_test_count_colour (r.surface, x0, top, x1 - x0, h, text);
  g_assert_cmpint (white, >, 10);
  rendered_clear (&r);
  plab_timeline_data_free (data);

  g_assert_cmpstr (plab_chart_span_kind_label (PLAB_SPAN_WAIT), ==, "waiting");
}

/* Sixty tasks back to back, 7 to 23 ms each, like a worker taking chunk
 * after chunk of a grid: every pair is told apart by an edge, whatever
 * fraction of a pixel the boundary falls on. */
static void
test_adjacent_spans_have_edges (void)
{
  enum
  {
    N = 60
  };
  PlabLaneInfo lanes[] = { lane_info (0, "main", 1), lane_info (1, "worker 1", 2) };
  PlabEvent spans[N + 1];
  GRand *rand = g_rand_new_with_seed (13);
  PlabTimelineData *data;
  int64_t t = 3 * MS + 123457;
  Rendered r;

  for (int i = 0; i < N; i++)
    {
      int64_t d = g_rand_int_range (rand, 7 * MS, 23 * MS);
      char label[32];

      g_snprintf (label, sizeof label, "grid %d-%d", i * 128, i * 128 + 127);
      spans[i] = chart_test_event (1, PLAB_SPAN_TASK, t, t + d, i, label);
      t += d;
    }
  spans[N] = chart_test_event (0, PLAB_SPAN_WAIT, 0, t + 2 * MS, -1, "map 60 items");
  data = plab_timeline_data_new (lanes, 2, spans, N + 1, NULL, 0);
  render (&r, data, NULL);
  /* In the bar's upper part, above the labels. */
  g_assert_cmpint (chart_test_assert_edges (r.surface, data, &r.layout, &r.style, 1,
                                            lane_mid (&r, 1) - r.layout.lane_h * 0.25, 4),
                   ==, N - 1);
  rendered_clear (&r);
  plab_timeline_data_free (data);
  g_rand_free (rand);
}

/* The rightmost column of [x0, x1) at rows [y0, y1) that holds a pixel
 * other than @colour; x0 - 1 when none does. */
static int
rightmost_other (const Rendered *r, int x0, int x1, int y0, int y1, PlabRgba colour)
{
  for (int x = x1 - 1; x >= x0; x--)
    for (int y = y0; y < y1; y++)
      if (!chart_test_pixel_is (r->surface, x, y, colour))
        return x;
  return x0 - 1;
}

/* A label longer than its span is cut short with an ellipsis that ends
 * inside the span; the short span right after it gets no label, and no text
 * spills past either. */
static void
test_long_label_elided (void)
{
  const char *long_label = "grid 3328-3455 of the density estimate";
  PlabLaneInfo lanes[] = { lane_info (1, "worker 1", 2) };
  PlabEvent spans[] = {
    chart_test_event (1, PLAB_SPAN_TASK, 100 * MS, 180 * MS, 1, long_label),
    chart_test_event (1, PLAB_SPAN_TASK, 180 * MS, 190 * MS, 2, "grid 3456-3583"),
    chart_test_event (1, PLAB_SPAN_TASK, 400 * MS, 800 * MS, 3, long_label),
  };
  PlabTimelineData *data = plab_timeline_data_new (lanes, 1, spans, 3, NULL, 0);
  PlabRgba task, white = { 1, 1, 1, 1 };
  double xa0, xa1, xb1, xc0, xc1;
  int y0, y1, a_end, c_end;
  Rendered r;

  render (&r, data, &(PlabTimeWindow){ 0, 1000 * MS });
  task = r.style.span[PLAB_SPAN_TASK];
  y0 = (int)(lane_mid (&r, 0) - r.style.small_size);
  y1 = (int)(lane_mid (&r, 0) + r.style.small_size);
  xa0 = plab_timeline_layout_x (&r.layout, 100 * MS);
  xa1 = plab_timeline_layout_x (&r.layout, 180 * MS);
  xb1 = plab_timeline_layout_x (&r.layout, 190 * MS);
  xc0 = plab_timeline_layout_x (&r.layout, 400 * MS);
  xc1 = plab_timeline_layout_x (&r.layout, 800 * MS);
  g_assert_cmpfloat (xa1 - xa0, >, 100);
  g_assert_cmpfloat (xb1 - xa1, <, 20);

  /* The wide span holds the whole label, and it is wider than span A. */
  c_end = rightmost_other (&r, (int)xc0 + 2, (int)xc1 - 2, y0, y1, task);
  g_assert_cmpint (chart_test_count_colour (r.surface, xc0, y0, xc1 - xc0, y1 - y0, white), >, 20);
  g_assert_cmpfloat (c_end - xc0, >, xa1 - xa0 + 20);
  g_assert_cmpfloat (c_end - xc0, <, xc1 - xc0 - 40);

  /* Span A: text (the label, cut) up to near its end, and not past it. */
  a_end = rightmost_other (&r, (int)xa0 + 2, (int)floor (xa1) - 2, y0, y1, task);
  g_assert_cmpint (chart_test_count_colour (r.surface, xa0, y0, xa1 - xa0, y1 - y0, white), >, 20);
  g_assert_cmpfloat (a_end, >, xa1 - 25);
  /* Span B (about 14 px): no label, no text from A. */
  g_assert_cmpint (rightmost_other (&r, (int)ceil (xa1) + 1, (int)floor (xb1) - 2, y0, y1, task), <,
                   (int)ceil (xa1) + 1);
  rendered_clear (&r);
  plab_timeline_data_free (data);
}

/* A lane's summary: the time of each kind counted once where spans of it
 * overlap, its tasks, and its busy share of the run. */
static void
test_lane_summary (void)
{
  PlabLaneInfo lanes[] = { lane_info (0, "main", 1), lane_info (1, "worker 1", 2) };
  PlabEvent spans[] = {
    chart_test_event (0, PLAB_SPAN_WAIT, 0, 1000 * MS, -1, "map 5 items"),
    chart_test_event (1, PLAB_SPAN_TASK, 0, 100 * MS, 0, "a"),
    chart_test_event (1, PLAB_SPAN_TASK, 100 * MS, 250 * MS, 1, "b"),
    chart_test_event (1, PLAB_SPAN_LOCK_WAIT, 120 * MS, 140 * MS, -1, "lock"),
    chart_test_event (1, PLAB_SPAN_TASK, 300 * MS, 400 * MS, 2, "c"),
    chart_test_event (1, PLAB_SPAN_SLEEP, 400 * MS, 600 * MS, -1, "oven: bake bread"),
    chart_test_event (1, PLAB_SPAN_SLEEP, 650 * MS, 700 * MS, -1, "oven: bake cake"),
    /* Two tasks that overlap: 150 ms of work, not 200. */
    chart_test_event (1, PLAB_SPAN_TASK, 800 * MS, 900 * MS, 3, "d"),
    chart_test_event (1, PLAB_SPAN_TASK, 850 * MS, 950 * MS, 4, "e"),
  };
  PlabTimelineData *data = plab_timeline_data_new (lanes, 2, spans, G_N_ELEMENTS (spans), NULL, 0);
  PlabLaneSummary sum;

  g_assert_true (plab_timeline_data_lane_summary (data, 1, &sum));
  g_assert_cmpstr (sum.info.name, ==, "worker 1");
  g_assert_cmpint (sum.run_ns, ==, 1000 * MS);
  g_assert_cmpint (sum.busy_ns, ==, 500 * MS);
  g_assert_cmpfloat_with_epsilon (sum.busy_percent, 50.0, 1e-9);
  g_assert_cmpuint (sum.n_tasks, ==, 5);
  g_assert_cmpint (sum.kind_ns[PLAB_SPAN_LOCK_WAIT], ==, 20 * MS);
  g_assert_cmpint (sum.kind_ns[PLAB_SPAN_SLEEP], ==, 250 * MS);
  g_assert_cmpint (sum.kind_ns[PLAB_SPAN_WAIT], ==, 0);

  g_assert_true (plab_timeline_data_lane_summary (data, 0, &sum));
  g_assert_cmpstr (sum.info.name, ==, "main");
  g_assert_cmpint (sum.busy_ns, ==, 0);
  g_assert_cmpuint (sum.n_tasks, ==, 0);
  g_assert_cmpint (sum.kind_ns[PLAB_SPAN_WAIT], ==, 1000 * MS);

  g_assert_false (plab_timeline_data_lane_summary (data, 2, &sum));
  g_assert_false (plab_timeline_data_lane_summary (data, -1, &sum));
  g_assert_cmpint (sum.run_ns, ==, 0);
  plab_timeline_data_free (data);
}

/* The name the legend gives @kind in a run of @spans. */
static char *
kind_name_of (const PlabEvent *spans, size_t n, int kind)
{
  PlabLaneInfo lanes[] = { lane_info (0, "main", 1) };
  PlabTimelineData *data = plab_timeline_data_new (lanes, 1, spans, n, NULL, 0);
  char *name = g_strdup (plab_timeline_data_kind_name (data, kind));

  plab_timeline_data_free (data);
  return name;
}

/* A generic kind whose spans share a family of labels is named after it in
 * the legend ("sleep: oven"); one with spans of several families, with no
 * label, or with one lone label keeps its own name. */
static void
test_kind_names (void)
{
  PlabEvent ovens[] = {
    chart_test_event (0, PLAB_SPAN_TASK, 0, 10 * MS, 0, "knead dough"),
    chart_test_event (0, PLAB_SPAN_SLEEP, 10 * MS, 20 * MS, 1, "oven: bake bread"),
    chart_test_event (0, PLAB_SPAN_SLEEP, 20 * MS, 30 * MS, 4, "oven: bake cake"),
  };
  PlabEvent one_oven[] = { chart_test_event (0, PLAB_SPAN_SLEEP, 0, 9, 1, "oven: bake bread") };
  PlabEvent sleepers[] = {
    chart_test_event (0, PLAB_SPAN_SLEEP, 0, 10, 0, "sleep 5 units"),
    chart_test_event (0, PLAB_SPAN_SLEEP, 0, 20, 1, "sleep 2 units"),
  };
  PlabEvent barrier[] = {
    chart_test_event (0, PLAB_SPAN_WAIT, 0, 10, -1, "wait: barrier"),
    chart_test_event (0, PLAB_SPAN_WAIT, 20, 30, -1, "wait: barrier"),
  };
  PlabEvent mixed[] = {
    chart_test_event (0, PLAB_SPAN_WAIT, 0, 10, -1, "oven: bake bread"),
    chart_test_event (0, PLAB_SPAN_WAIT, 20, 30, -1, "join the cooks"),
  };
  PlabEvent lone[] = { chart_test_event (0, PLAB_SPAN_WAIT, 0, 10, -1, "map 64 items") };
  /* futures' sleeps are labelled "sleep": "sleep: sleep" says nothing more. */
  PlabEvent futures[] = {
    chart_test_event (0, PLAB_SPAN_SLEEP, 0, 10, 0, "sleep"),
    chart_test_event (0, PLAB_SPAN_SLEEP, 20, 30, 1, "sleep"),
  };
  PlabEvent unlabelled[] = {
    chart_test_event (0, PLAB_SPAN_WAIT, 0, 10, -1, NULL),
    chart_test_event (0, PLAB_SPAN_WAIT, 20, 30, -1, NULL),
  };
  struct
  {
    const PlabEvent *spans;
    size_t n;
    int kind;
    const char *name;
  } cases[] = {
    { ovens, G_N_ELEMENTS (ovens), PLAB_SPAN_SLEEP, "sleep: oven" },
    { ovens, G_N_ELEMENTS (ovens), PLAB_SPAN_TASK, "task" },
    { one_oven, 1, PLAB_SPAN_SLEEP, "sleep: oven" },
    { sleepers, G_N_ELEMENTS (sleepers), PLAB_SPAN_SLEEP, "sleep" },
    { barrier, G_N_ELEMENTS (barrier), PLAB_SPAN_WAIT, "waiting: barrier" },
    { mixed, G_N_ELEMENTS (mixed), PLAB_SPAN_WAIT, "waiting" },
    { lone, 1, PLAB_SPAN_WAIT, "waiting" },
    { futures, G_N_ELEMENTS (futures), PLAB_SPAN_SLEEP, "sleep" },
    { unlabelled, G_N_ELEMENTS (unlabelled), PLAB_SPAN_WAIT, "waiting" },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = kind_name_of (cases[i].spans, cases[i].n, cases[i].kind);
      g_assert_cmpstr (name, ==, cases[i].name);
    }
  g_assert_cmpstr (plab_timeline_data_kind_name (NULL, PLAB_SPAN_SLEEP), ==, "sleep");
}

/* Hue in degrees of an RGB colour, 0..360. */
static double
hue_of (PlabRgba c)
{
  double max = fmax (c.r, fmax (c.g, c.b)), min = fmin (c.r, fmin (c.g, c.b));
  double d = max - min, h;

  g_assert_cmpfloat (d, >, 0.1); /* a colour, not a grey */
  if (max == c.r)
    h = fmod ((c.g - c.b) / d, 6);
  else if (max == c.g)
    h = (c.b - c.r) / d + 2;
  else
    h = (c.r - c.g) / d + 4;
  return fmod (h * 60 + 360, 360);
}

/* Sleep and task differ in hue, not only in lightness, in every theme. */
static void
test_sleep_and_task_hues (void)
{
  for (int theme = 0; theme < PLAB_N_THEMES; theme++)
    {
      PlabChartStyle style;
      double a, b, d;

      plab_chart_style_init (&style, theme, 1.0);
      a = hue_of (style.span[PLAB_SPAN_TASK]);
      b = hue_of (style.span[PLAB_SPAN_SLEEP]);
      d = fabs (a - b);
      if (d > 180)
        d = 360 - d;
      g_test_message ("%s: task %.0f°, sleep %.0f°", plab_theme_name (theme), a, b);
      g_assert_cmpfloat (d, >=, 60);
    }
}

static void
test_tick_labels (void)
{
  char buf[64];

  /* A time axis of 20 s gets ticks every 2.5 s: they must not read 2 and 8. */
  plab_format_tick (2.5, 2.5, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "2.5");
  plab_format_tick (7.5, 2.5, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "7.5");
  plab_format_tick (5, 2.5, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "5.0");
  plab_format_tick (0.25, 0.25, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "0.25");
  plab_format_tick (0.3, 0.1, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "0.3");
  plab_format_tick (40, 20, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "40");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/chart/timeline/span-pixels", test_span_pixels);
  g_test_add_func ("/plab/chart/timeline/lane-order", test_lane_order);
  g_test_add_func ("/plab/chart/timeline/empty-run", test_empty_run);
  g_test_add_func ("/plab/chart/timeline/density", test_density);
  g_test_add_func ("/plab/chart/timeline/few-lanes-fill-slide", test_few_lanes_fill_slide);
  g_test_add_func ("/plab/chart/timeline/busy-lane-is-solid", test_busy_lane_is_solid);
  g_test_add_func ("/plab/chart/timeline/labels-need-room", test_labels_need_room);
  g_test_add_func ("/plab/chart/timeline/adjacent-spans-have-edges",
                   test_adjacent_spans_have_edges);
  g_test_add_func ("/plab/chart/timeline/long-label-elided", test_long_label_elided);
  g_test_add_func ("/plab/chart/timeline/lane-summary", test_lane_summary);
  g_test_add_func ("/plab/chart/timeline/kind-names", test_kind_names);
  g_test_add_func ("/plab/chart/timeline/sleep-and-task-hues", test_sleep_and_task_hues);
  g_test_add_func ("/plab/chart/timeline/hit-test", test_hit_test);
  g_test_add_func ("/plab/chart/timeline/crash-marker", test_crash_marker);
  g_test_add_func ("/plab/chart/timeline/counters", test_counters);
  g_test_add_func ("/plab/chart/timeline/core-wait", test_core_wait);
  g_test_add_func ("/plab/chart/timeline/tick-labels", test_tick_labels);
  return g_test_run ();
}
