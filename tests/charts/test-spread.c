/* test-spread.c: repeats and their spread, from a real run store to the
 * pixels: the one median/min-max function (core/plab-spread.c), the speedup
 * bounds the chart loader computes from it, and the error bars the execution
 * time and speedup charts draw in PNG exports, with none where a
 * configuration ran once. */
#include <cairo.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "chart-test-util.h"
#include "plab-chart-data.h"
#include "plab-chart-export.h"
#include "plab-spread.h"
#include "plab-store.h"
#include "tmp-test-util.h"

#define EXPORT_W 1600
#define EXPORT_H 900

typedef struct
{
  char *dir;
  char *db;
  PlabStore *store;
  int64_t repeated; /* a sweep with repeats */
  int64_t once;     /* a sweep where every configuration ran once */
} Fixture;

static void
add_run (Fixture *fx, int64_t sweep, const char *backend, int workers, int repeat, double wall_s)
{
  PlabRunSpec spec = { .demo = "squares",
                       .backend = backend,
                       .workers = workers,
                       .params_json = "{\"n\": 64}",
                       .seed = 1,
                       .sweep_id = sweep,
                       .repeat = repeat };
  PlabRunOutcome outcome = { .status = PLAB_RUN_OK,
                             .wall_ns = (int64_t)(wall_s * 1e9),
                             .cpu_ns = (int64_t)(wall_s * 1e9),
                             .result_json = "{}",
                             .check_ok = true,
                             .check_message = "ok" };
  int64_t id = 0;

  g_assert_cmpint (plab_store_begin_run (fx->store, &spec, &id), ==, 0);
  g_assert_cmpint (plab_store_finish_run (fx->store, id, &outcome), ==, 0);
}

/* Serial ran 1.0, 1.1, 1.2 s; threads x2 0.5, 0.6, 0.9 s (a slow outlier
 * above the median); threads x4 once, 0.4 s. The second sweep: each once. */
static void
fixture_set_up (Fixture *fx, gconstpointer user_data)
{
  const double serial[] = { 1.2, 1.0, 1.1 }, two[] = { 0.9, 0.5, 0.6 };

  fx->dir = tmp_test_dir_new ("plab-spread-XXXXXX", &fx->db);
  g_assert_cmpint (plab_store_open (fx->db, PLAB_STORE_READ_WRITE, &fx->store), ==, 0);
  g_assert_cmpint (plab_store_new_sweep (fx->store, "squares", "repeats", &fx->repeated), ==, 0);
  for (int r = 0; r < 3; r++)
    {
      add_run (fx, fx->repeated, "serial", 1, r, serial[r]);
      add_run (fx, fx->repeated, "threads", 2, r, two[r]);
    }
  add_run (fx, fx->repeated, "threads", 4, 0, 0.4);
  g_assert_cmpint (plab_store_new_sweep (fx->store, "squares", "once", &fx->once), ==, 0);
  add_run (fx, fx->once, "serial", 1, 0, 1.0);
  add_run (fx, fx->once, "threads", 2, 0, 0.6);
  add_run (fx, fx->once, "threads", 4, 0, 0.4);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer user_data)
{
  plab_store_close (fx->store);
  tmp_test_dir_free (fx->dir, fx->db);
}

static PlabChartData *
load_sweep (Fixture *fx, int64_t sweep)
{
  PlabChartData *data = NULL;
  char error[256] = "";

  if (plab_chart_data_load (fx->store,
                            &(PlabChartRequest){ .sweep_id = sweep, .what = PLAB_CHART_LOAD_GROUP },
                            &data, error, sizeof error)
      != 0)
    g_error ("cannot load sweep %" G_GINT64_FORMAT ": %s", sweep, error);
  return data;
}

/* The one function: medians, extremes, quartiles from five values on, and
 * the text the command line prints. */
static void
test_spread_of (void)
{
  double three[] = { 0.9, 0.5, 0.6 }, four[] = { 4, 1, 3, 2 };
  double seven[] = { 7, 1, 6, 2, NAN, 5, 3, 4 }, none[] = { NAN };
  PlabSpread s;
  char text[64];

  plab_spread_of (three, 3, &s);
  g_assert_cmpint (s.n, ==, 3);
  g_assert_cmpfloat (s.median, ==, 0.6);
  g_assert_cmpfloat (s.min, ==, 0.5);
  g_assert_cmpfloat (s.max, ==, 0.9);
  g_assert_true (isnan (s.q1) && isnan (s.q3)); /* three values: no IQR */
  g_assert_cmpstr (plab_spread_format (&s, 1, 3, " s", text, sizeof text), ==,
                   "0.600 s (0.500-0.900)");

  plab_spread_of (four, 4, &s);
  g_assert_cmpfloat (s.median, ==, 2.5);

  plab_spread_of (seven, 8, &s); /* the NAN is not a measurement */
  g_assert_cmpint (s.n, ==, 7);
  g_assert_cmpfloat (s.median, ==, 4);
  g_assert_cmpfloat (s.q1, ==, 2.5);
  g_assert_cmpfloat (s.q3, ==, 5.5);

  plab_spread_of (none, 1, &s);
  g_assert_cmpint (s.n, ==, 0);
  g_assert_true (isnan (s.median));
  g_assert_cmpstr (plab_spread_format (&s, 1, 3, " s", text, sizeof text), ==, "-");

  plab_spread_of (three, 1, &s);
  g_assert_cmpstr (plab_spread_format (&s, 1, 2, " s", text, sizeof text), ==, "0.50 s (1 run)");
}

/* Speedup from medians, its bounds from the extremes, and one run on both
 * sides: no bounds invented. */
static void
test_ratio (void)
{
  double base_v[] = { 1.0, 1.2, 1.1 }, config_v[] = { 0.5, 0.6, 0.9 }, one_v[] = { 0.4 };
  double base1_v[] = { 1.0 };
  PlabSpread base, config, one, base1;
  PlabRatio r, e;
  char text[64];

  plab_spread_of (base_v, 3, &base);
  plab_spread_of (config_v, 3, &config);
  plab_spread_of (one_v, 1, &one);
  plab_spread_of (base1_v, 1, &base1);

  plab_spread_ratio (&base, &config, &r);
  g_assert_cmpfloat_with_epsilon (r.value, 1.1 / 0.6, 1e-12);
  g_assert_cmpfloat_with_epsilon (r.low, 1.0 / 0.9, 1e-12);
  g_assert_cmpfloat_with_epsilon (r.high, 1.2 / 0.5, 1e-12);
  g_assert_true (r.spread);
  g_assert_cmpstr (plab_ratio_format (&r, 2, "x", text, sizeof text), ==, "1.83x (1.11-2.40)");
  plab_ratio_scale (&r, 2, &e);
  g_assert_cmpfloat_with_epsilon (e.value, 1.1 / 0.6 / 2, 1e-12);
  g_assert_cmpfloat_with_epsilon (e.high, 1.2 / 0.5 / 2, 1e-12);

  /* One run of the configuration against a repeated baseline still has
   * the baseline's spread. */
  plab_spread_ratio (&base, &one, &r);
  g_assert_true (r.spread);
  g_assert_cmpfloat_with_epsilon (r.low, 1.0 / 0.4, 1e-12);

  plab_spread_ratio (&base1, &one, &r);
  g_assert_false (r.spread);
  g_assert_cmpstr (plab_ratio_format (&r, 2, "x", text, sizeof text), ==, "2.50x (1 run)");
}

/* From the store: the points hold median, min and max of the repeats, and
 * the speedup series the bounds computed from them. */
static void
test_loaded (Fixture *fx, gconstpointer user_data)
{
  PlabChartData *data = load_sweep (fx, fx->repeated);
  const PlabSpeedupSeries *s;
  char text[64];

  g_assert_cmpuint (data->n_points, ==, 3);
  g_assert_cmpstr (data->points[0].backend, ==, "serial");
  g_assert_cmpfloat_with_epsilon (data->points[0].median_ns, 1.1e9, 1);
  g_assert_cmpfloat_with_epsilon (data->points[0].min_ns, 1.0e9, 1);
  g_assert_cmpfloat_with_epsilon (data->points[0].max_ns, 1.2e9, 1);
  g_assert_cmpint (data->points[0].n_repeats, ==, 3);
  g_assert_cmpfloat_with_epsilon (data->points[1].median_ns, 0.6e9, 1);
  g_assert_cmpfloat_with_epsilon (data->points[1].max_ns, 0.9e9, 1);
  g_assert_cmpint (data->points[2].n_repeats, ==, 1);

  g_assert_cmpuint (data->speedup.n_series, ==, 1);
  s = &data->series[0];
  g_assert_cmpint (s->n, ==, 2);
  g_assert_cmpfloat_with_epsilon (s->speedup[0], 1.1 / 0.6, 1e-6);
  g_assert_cmpfloat_with_epsilon (s->low[0], 1.0 / 0.9, 1e-6);
  g_assert_cmpfloat_with_epsilon (s->high[0], 1.2 / 0.5, 1e-6);
  g_assert_true (plab_speedup_series_has_spread (s, 0));
  g_assert_cmpint (s->repeats[0], ==, 3);
  /* x4 ran once, the baseline three times: the baseline's spread. */
  g_assert_true (plab_speedup_series_has_spread (s, 1));
  g_assert_cmpfloat_with_epsilon (s->low[1], 1.0 / 0.4, 1e-6);
  g_assert_cmpfloat_with_epsilon (s->high[1], 1.2 / 0.4, 1e-6);
  g_assert_cmpstr (plab_speedup_series_format (s, 0, text, sizeof text), ==, "1.83× (1.11–2.40)");
  plab_chart_data_free (data);

  data = load_sweep (fx, fx->once);
  s = &data->series[0];
  g_assert_false (plab_speedup_series_has_spread (s, 0));
  g_assert_false (plab_speedup_series_has_spread (s, 1));
  g_assert_cmpint (s->repeats[0], ==, 1);
  g_assert_cmpstr (plab_speedup_series_format (s, 0, text, sizeof text), ==, "1.67× (1 run)");
  plab_speedup_notes (s, false, text, sizeof text);
  g_assert_nonnull (strstr (text, "threads: 1 run each: no spread to show"));
  plab_chart_data_free (data);
}

/* The Result says how sure its run's time is: the spread of the run's
 * configuration, or "1 run". */
static void
test_result_spread (Fixture *fx, gconstpointer user_data)
{
  PlabChartData *data = NULL;
  char error[256];
  int64_t first = 0;
  PlabRunRecord **runs = NULL;
  size_t n_runs = 0;
  PlabRunFilter filter = { .sweep_id = fx->repeated };

  g_assert_cmpint (plab_chart_data_load (fx->store,
                                         &(PlabChartRequest){ .sweep_id = fx->repeated,
                                                              .what = PLAB_CHART_LOAD_GROUP
                                                                      | PLAB_CHART_LOAD_RESULT },
                                         &data, error, sizeof error),
                   ==, 0);
  /* The sweep's newest run, threads x4, ran once. */
  g_assert_cmpstr (data->result_chart.spread, ==, "Wall time: 400 ms, 1 run of threads × 4");
  plab_chart_data_free (data);

  g_assert_cmpint (plab_store_list_runs (fx->store, &filter, &runs, &n_runs), ==, 0);
  for (size_t i = 0; i < n_runs; i++)
    if (strcmp (runs[i]->backend, "threads") == 0 && runs[i]->workers == 2)
      first = runs[i]->id;
  plab_run_records_free (runs, n_runs);
  g_assert_cmpint (plab_chart_data_load (fx->store,
                                         &(PlabChartRequest){ .run_id = first,
                                                              .what = PLAB_CHART_LOAD_GROUP
                                                                      | PLAB_CHART_LOAD_RESULT },
                                         &data, error, sizeof error),
                   ==, 0);
  g_assert_nonnull (data->result_chart.spread);
  g_test_message ("%s", data->result_chart.spread);
  g_assert_nonnull (strstr (data->result_chart.spread, "median 600 ms, min–max 500 ms–900 ms over "
                                                       "3 runs of threads × 2"));
  plab_chart_data_free (data);
}

/* The honest fit with medians: two worker counts give no fit and say so;
 * three give a curve through the measured median at the fewest workers;
 * an efficiency above 1 gets a note, not a point. */
static void
test_honest_fit (Fixture *fx, gconstpointer user_data)
{
  PlabChartData *data = load_sweep (fx, fx->repeated);
  const double one[] = { 1.3, 1.4, 1.35 };
  PlabAmdahlFit fit;
  char notes[512];

  plab_speedup_notes (&data->series[0], true, notes, sizeof notes);
  g_assert_nonnull (strstr (notes, "threads: two points: not enough to fit"));
  plab_chart_data_free (data);

  /* threads x1 in three runs, 1.3, 1.4, 1.35 s: its median 1.35 s against
   * the serial median 1.1 s, a baseline of 0.81 the curve must pass. */
  for (int r = 0; r < 3; r++)
    add_run (fx, fx->repeated, "threads", 1, r, one[r]);
  data = load_sweep (fx, fx->repeated);
  g_assert_cmpint (data->series[0].n, ==, 3);
  g_assert_cmpfloat_with_epsilon (data->series[0].speedup[0], 1.1 / 1.35, 1e-6);
  g_assert_cmpint (plab_amdahl_fit (data->series[0].workers, data->series[0].speedup, 3, &fit), ==,
                   0);
  g_assert_cmpfloat_with_epsilon (plab_amdahl_fit_speedup (&fit, 1), 1.1 / 1.35, 1e-9);
  plab_chart_data_free (data);

  /* Efficiency above 1: x2's median 0.3 s against 1.0 s, 1.67 per worker. */
  add_run (fx, fx->once, "threads", 2, 1, 0.25);
  add_run (fx, fx->once, "threads", 2, 2, 0.3);
  data = load_sweep (fx, fx->once);
  plab_speedup_notes (&data->series[0], true, notes, sizeof notes);
  g_assert_nonnull (strstr (notes, "above 1: noise or cache effects"));
  plab_chart_data_free (data);
}

/* Exports the chart @kind of @sweep to a PNG and reads it back. */
static cairo_surface_t *
export_png (Fixture *fx, int64_t sweep, PlabChartKind kind, PlabChartStyle *style)
{
  g_autofree char *path = g_strdup_printf ("%s/%s-%" G_GINT64_FORMAT ".png", fx->dir,
                                           plab_chart_kind_name (kind), sweep);
  PlabExportOptions opt = { .kind = kind,
                            .format = PLAB_CHART_FORMAT_PNG,
                            .path = path,
                            .width = EXPORT_W,
                            .height = EXPORT_H,
                            .theme = PLAB_THEME_PROJECTOR };
  char error[256] = "";
  cairo_surface_t *surface;

  if (plab_chart_export_sweep (fx->store, sweep, &opt, error, sizeof error) != 0)
    g_error ("export failed: %s", error);
  surface = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (surface), ==, EXPORT_W);
  plab_chart_style_init (style, PLAB_THEME_PROJECTOR, 1.0);
  return surface;
}

static bool
near_colour (cairo_surface_t *surface, int x, int y, PlabRgba colour)
{
  PlabRgba c = chart_test_pixel (surface, x, y);

  return fabs (c.r - colour.r) + fabs (c.g - colour.g) + fabs (c.b - colour.b) < 0.25;
}

/* The bars of @colour: their left and right columns, left to right. */
static int
find_bars (cairo_surface_t *surface, PlabRgba colour, int *x0, int *x1, int max)
{
  int n = 0;
  bool in = false;

  for (int x = 0; x < EXPORT_W; x++)
    {
      /* A bar is a tall column of its colour; the legend's box is short. */
      bool tall = chart_test_count_colour (surface, x, 0, 1, EXPORT_H, colour) > 40;

      if (tall && !in && n < max)
        x0[n] = x;
      if (!tall && in)
        x1[n++] = x - 1;
      in = tall;
    }
  return n;
}

/* The top of a bar: the first row of the longest run of @colour in column @x. */
static int
bar_top (cairo_surface_t *surface, int x, PlabRgba colour)
{
  int best = 0, best_top = -1, run = 0;

  for (int y = 0; y < EXPORT_H; y++)
    {
      run = chart_test_pixel_is (surface, x, y, colour) ? run + 1 : 0;
      if (run > best)
        {
          best = run;
          best_top = y - run + 1;
        }
    }
  return best_top;
}

/* The whisker's column near @cx: the one with the most @ink pixels in
 * rows @y0..@y1. */
static int
whisker_column (cairo_surface_t *surface, int cx, int y0, int y1, PlabRgba ink)
{
  int best = -1, best_n = 0;

  for (int x = cx - 3; x <= cx + 3; x++)
    {
      int n = 0;

      for (int y = y0; y < y1; y++)
        n += near_colour (surface, x, y, ink);
      if (n > best_n)
        {
          best_n = n;
          best = x;
        }
    }
  return best;
}

/* The end of the run of @ink from (@x, @y) going by @dy. */
static int
run_end (cairo_surface_t *surface, int x, int y, int dy, PlabRgba ink)
{
  while (y + dy >= 0 && y + dy < EXPORT_H && near_colour (surface, x, y + dy, ink))
    y += dy;
  return y;
}

/* Execution time: threads x2 (0.5, 0.6, 0.9 s) has a whisker in the
 * foreground colour from its max above the bar top down to its min inside
 * the bar, three times as far up as down; threads x4, run once, none. */
static void
test_time_chart_whiskers (Fixture *fx, gconstpointer user_data)
{
  PlabChartStyle style;
  cairo_surface_t *surface = export_png (fx, fx->repeated, PLAB_CHART_TIME, &style);
  PlabRgba bar = plab_chart_style_backend_colour (&style, "threads");
  PlabRgba ink = style.foreground;
  int x0[4], x1[4], top, col, up, down, ink_in_bar = 0;

  g_assert_cmpint (find_bars (surface, bar, x0, x1, 4), ==, 2);
  /* The repeated bar: its top is the median; the whisker crosses it. */
  top = bar_top (surface, x0[0] + (x1[0] - x0[0]) / 8, bar);
  g_assert_cmpint (top, >, 0);
  col = whisker_column (surface, (x0[0] + x1[0]) / 2, top - 5, top + 5, ink);
  g_assert_cmpint (col, >, 0);
  g_assert_true (near_colour (surface, col, top - 2, ink)); /* above the top */
  g_assert_true (near_colour (surface, col, top + 2, ink)); /* inside the bar */
  up = top - run_end (surface, col, top - 2, -1, ink);
  down = run_end (surface, col, top + 2, 1, ink) - top;
  /* max - median = 0.3 s, median - min = 0.1 s. */
  g_test_message ("whisker %d px up, %d px down from the median at row %d", up, down, top);
  g_assert_cmpint (down, >, 10);
  g_assert_cmpfloat (fabs ((double)up / down - 3.0), <, 0.6);

  /* The bar that ran once: nothing of the foreground inside it. */
  top = bar_top (surface, x0[1] + (x1[1] - x0[1]) / 8, bar);
  for (int y = top + 3; y < top + (EXPORT_H - top) / 2; y++)
    for (int x = (x0[1] + x1[1]) / 2 - 3; x <= (x0[1] + x1[1]) / 2 + 3; x++)
      ink_in_bar += near_colour (surface, x, y, ink);
  g_assert_cmpint (ink_in_bar, ==, 0);
  cairo_surface_destroy (surface);
}

/* Rows of @colour that a marker's outline or anti-aliasing may interrupt
 * for this many rows and still count as one vertical run. */
#define RUN_GAP 3

/* The longest vertical run of @colour in column @x from row @y0 down. */
static int
vertical_run (cairo_surface_t *surface, int x, int y0, PlabRgba colour)
{
  int best = 0, start = -1, last = -1;

  for (int y = y0; y < EXPORT_H; y++)
    {
      if (!near_colour (surface, x, y, colour))
        continue;
      if (start < 0 || y - last > RUN_GAP + 1)
        start = y;
      last = y;
      best = MAX (best, last - start + 1);
    }
  return best;
}

/* The longest vertical run of @colour in the speedup panel (the left 55%,
 * under the legend) away from column @not_near, and its column. */
static int
longest_vertical (cairo_surface_t *surface, PlabRgba colour, int not_near, int *at_x)
{
  int best = 0;

  for (int x = 0; x < EXPORT_W * 55 / 100; x++)
    {
      int run = abs (x - not_near) < 40 ? 0 : vertical_run (surface, x, EXPORT_H / 6, colour);

      if (run > best)
        {
          best = run;
          *at_x = x;
        }
    }
  return best;
}

/* Speedup: the repeated sweep draws error bars in the series' colour, far
 * longer than a marker is tall, at the lengths its bounds give; the sweep
 * of single runs draws none. */
static void
test_speedup_error_bars (Fixture *fx, gconstpointer user_data)
{
  PlabChartStyle style;
  cairo_surface_t *once = export_png (fx, fx->once, PLAB_CHART_SPEEDUP, &style);
  cairo_surface_t *repeated = export_png (fx, fx->repeated, PLAB_CHART_SPEEDUP, &style);
  PlabRgba colour = plab_chart_style_backend_colour (&style, "threads");
  double marker = 2 * style.marker_radius;
  int x_once = -1, x_bar = -1, longest, second, x2 = -1;

  longest = longest_vertical (once, colour, -100, &x_once);
  g_test_message ("single runs: longest vertical run %d px, a marker %.0f px", longest, marker);
  g_assert_cmpfloat (longest, <, marker + 6);

  longest = longest_vertical (repeated, colour, -100, &x_bar);
  g_assert_cmpfloat (longest, >, marker * 3);
  /* The other bar, at p = 4: bounds 2.50..3.00 against 1.11..2.40 at p = 2. */
  second = longest_vertical (repeated, colour, x_bar, &x2);
  g_test_message ("error bars: %d px at x = %d, %d px at x = %d", longest, x_bar, second, x2);
  g_assert_cmpint (x2, >, x_bar); /* p = 4 right of p = 2 */
  g_assert_cmpfloat (fabs ((double)second / longest - (3.0 - 2.5) / (2.4 - 1.0 / 0.9)), <, 0.12);
  cairo_surface_destroy (once);
  cairo_surface_destroy (repeated);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/spread/of", test_spread_of);
  g_test_add_func ("/plab/spread/ratio", test_ratio);
  g_test_add ("/plab/spread/loaded", Fixture, NULL, fixture_set_up, test_loaded, fixture_tear_down);
  g_test_add ("/plab/spread/result", Fixture, NULL, fixture_set_up, test_result_spread,
              fixture_tear_down);
  g_test_add ("/plab/spread/honest-fit", Fixture, NULL, fixture_set_up, test_honest_fit,
              fixture_tear_down);
  g_test_add ("/plab/spread/time-chart-whiskers", Fixture, NULL, fixture_set_up,
              test_time_chart_whiskers, fixture_tear_down);
  g_test_add ("/plab/spread/speedup-error-bars", Fixture, NULL, fixture_set_up,
              test_speedup_error_bars, fixture_tear_down);
  return g_test_run ();
}
