/* test-chart-speedup.c: Amdahl fits, Karp-Flatt, speedup series, and the
 * execution-time grouping they start from. */
#include <cairo.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "chart-test-util.h"
#include "plab-chart-export.h"
#include "plab-speedup-chart.h"
#include "plab-time-chart.h"

static void
test_amdahl_recovers_f (void)
{
  const double fs[] = { 0.0, 0.05, 0.2, 0.5, 0.9 };
  double p[] = { 1, 2, 3, 4, 6, 8, 16 };

  for (size_t k = 0; k < G_N_ELEMENTS (fs); k++)
    {
      double s[G_N_ELEMENTS (p)];
      PlabAmdahlFit fit;

      for (size_t i = 0; i < G_N_ELEMENTS (p); i++)
        s[i] = plab_amdahl_speedup (fs[k], p[i]);
      g_assert_cmpint (plab_amdahl_fit (p, s, G_N_ELEMENTS (p), &fit), ==, 0);
      g_assert_cmpfloat_with_epsilon (fit.f, fs[k], 1e-9);
      g_assert_cmpint (fit.n_used, ==, 6); /* p = 1 says nothing about f */
      g_assert_cmpfloat (fit.rms, <, 1e-9);
      if (fs[k] > 0)
        g_assert_cmpfloat_with_epsilon (fit.ceiling, 1 / fs[k], 1e-6);
      else
        g_assert_true (isinf (fit.ceiling));
    }
}

static void
test_amdahl_noisy (void)
{
  /* f = 0.1 with +-2% noise on the times: the fit lands within 0.02. */
  double p[] = { 2, 4, 8, 2, 4, 8 };
  double noise[] = { 1.02, 0.98, 1.01, 0.99, 1.02, 0.98 };
  double s[6];
  PlabAmdahlFit fit;

  for (int i = 0; i < 6; i++)
    s[i] = plab_amdahl_speedup (0.1, p[i]) / noise[i];
  g_assert_cmpint (plab_amdahl_fit (p, s, 6, &fit), ==, 0);
  g_assert_cmpfloat (fabs (fit.f - 0.1), <, 0.02);
  g_assert_cmpfloat (fit.rms, >, 0);

  /* Superlinear speedup clamps to f = 0; nothing usable fails. */
  {
    double sp[] = { 1.0, 2.5, 5.0 }, pp[] = { 1, 2, 4 }, one[] = { 1 };
    g_assert_cmpint (plab_amdahl_fit (pp, sp, 3, &fit), ==, 0);
    g_assert_cmpfloat (fit.f, ==, 0);
    g_assert_cmpint (plab_amdahl_fit (one, one, 1, &fit), ==, -1);
  }
}

/* Two worker counts fit any curve: no fit, and a note says so. */
static void
test_two_points_no_fit (void)
{
  PlabSpeedupSeries s = { "threads", 2, { 1, 2 }, { 0.74, 1.3 } };
  PlabAmdahlFit fit;
  char notes[512];

  g_assert_cmpint (plab_amdahl_fit (s.workers, s.speedup, 2, &fit), ==, -1);
  plab_speedup_notes (&s, true, notes, sizeof notes);
  g_assert_nonnull (strstr (notes, "threads: two points: not enough to fit"));
  /* Without a fit asked for, and with sane values, nothing to say. */
  plab_speedup_notes (&s, false, notes, sizeof notes);
  g_assert_cmpstr (notes, ==, "");
}

/* From three worker counts the curve passes through the measured baseline,
 * 0.74 at one worker here, not 1.0, and through an exact Amdahl run. */
static void
test_fit_through_baseline (void)
{
  double p[] = { 1, 2, 3, 4 }, s[4];
  PlabAmdahlFit fit;

  for (int i = 0; i < 4; i++)
    s[i] = 0.74 * plab_amdahl_speedup (0.2, p[i]);
  g_assert_cmpint (plab_amdahl_fit (p, s, 4, &fit), ==, 0);
  g_assert_cmpfloat_with_epsilon (plab_amdahl_fit_speedup (&fit, 1), 0.74, 1e-9);
  g_assert_cmpfloat_with_epsilon (fit.f, 0.2, 1e-9);
  g_assert_cmpfloat_with_epsilon (plab_amdahl_fit_speedup (&fit, 3), s[2], 1e-9);
  g_assert_cmpfloat_with_epsilon (fit.ceiling, 0.74 * 5, 1e-6);

  /* Noisy points: still through the baseline, and only three needed. */
  {
    double q[] = { 1, 2, 3 }, t[] = { 0.74, 1.1, 1.6 };
    g_assert_cmpint (plab_amdahl_fit (q, t, 3, &fit), ==, 0);
    g_assert_cmpfloat_with_epsilon (plab_amdahl_fit_speedup (&fit, 1), 0.74, 1e-9);
    g_assert_cmpfloat (fit.f, >=, 0);
    g_assert_cmpfloat (fit.f, <=, 1);
  }
}

/* Efficiency 1.3 and a negative Karp-Flatt get a note instead of a point. */
static void
test_notes_out_of_range (void)
{
  PlabSpeedupSeries s = { "processes", 3, { 1, 2, 3 }, { 1.3, 2.2, 2.5 } };
  char notes[512];

  plab_speedup_notes (&s, true, notes, sizeof notes);
  g_test_message ("%s", notes);
  g_assert_nonnull (strstr (notes, "E = 1.30 at p = 1, above 1: noise or cache effects"));
  g_assert_nonnull (strstr (notes, "E = 1.10 at p = 2"));
  g_assert_nonnull (strstr (notes, "Karp–Flatt e = -0.09 at p = 2, below 0"));
  g_assert_null (strstr (notes, "not enough to fit"));
}

/* A note that holds for several series is written once, naming them; one
 * series' own note keeps its name: three backends measured at two worker
 * counts once each give two shared lines, not six. */
static void
test_notes_shared (void)
{
  PlabSpeedupSeries series[] = {
    { "threads", 2, { 1, 2 }, { 1.0, 1.8 }, .repeats = { 1, 1 }, .base_workers = 1 },
    { "processes", 2, { 1, 2 }, { 1.0, 1.7 }, .repeats = { 1, 1 }, .base_workers = 1 },
    { "gil", 2, { 1, 2 }, { 1.0, 0.9 }, .repeats = { 1, 1 }, .base_workers = 1 },
  };
  PlabSpeedupChartData data = { "Speedup", "footer", series, G_N_ELEMENTS (series), NULL, true };
  GString *words
      = chart_test_drawn_text (&(PlabChartInput){ .kind = PLAB_CHART_SPEEDUP, .speedup = &data },
                               1600, 900, PLAB_THEME_LIGHT);

  g_assert_cmpint (chart_test_count_in (words->str, "two points"), ==, 1);
  g_assert_cmpint (chart_test_count_in (words->str, "threads, processes, gil: two points"), ==, 1);
  g_assert_cmpint (chart_test_count_in (words->str, "no spread to show"), ==, 1);
  g_assert_cmpint (chart_test_count_in (words->str, "gil: Karp"), ==, 1);
  g_string_free (words, TRUE);
}

/* A Karp-Flatt below 0 is not drawn under the efficiency axis: the chart of
 * such a series has no ink of its colour below the panels that the same
 * chart without the point lacks. */
static void
test_karp_flatt_not_clipped (void)
{
  PlabSpeedupSeries bad = { "threads", 2, { 1, 2 }, { 1.0, 2.3 } };
  PlabSpeedupSeries good = { "threads", 2, { 1, 2 }, { 1.0, 1.6 } };
  PlabChartStyle style;
  int ink[2];

  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
  for (int k = 0; k < 2; k++)
    {
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 900, 600);
      cairo_t *cr = cairo_create (surface);
      PlabSpeedupChartData data = { "Speedup", NULL, k ? &good : &bad, 1, NULL, true };

      plab_chart_draw (cr, &(PlabChartInput){ .kind = PLAB_CHART_SPEEDUP, .speedup = &data },
                       &style, 900, 600);
      /* The right half, from the efficiency axis down. */
      ink[k] = chart_test_count_colour (surface, 560, 480, 340, 120,
                                        plab_chart_style_backend_colour (&style, "threads"));
      cairo_destroy (cr);
      cairo_surface_destroy (surface);
    }
  g_assert_cmpint (ink[0], <=, ink[1]);
}

static void
test_karp_flatt (void)
{
  /* For an exact Amdahl speedup, Karp-Flatt gives back f at every p. */
  for (int p = 2; p <= 32; p *= 2)
    g_assert_cmpfloat_with_epsilon (plab_karp_flatt (plab_amdahl_speedup (0.25, p), p), 0.25,
                                    1e-12);
  g_assert_cmpfloat_with_epsilon (plab_karp_flatt (4, 4), 0, 1e-12);
  g_assert_true (isnan (plab_karp_flatt (1, 1)));
}

static void
test_time_points (void)
{
  PlabRunSample s[] = {
    { "threads", 2, 600 },   { "serial", 1, 1000 }, { "threads", 1, 1100 },
    { "threads", 2, 500 },   { "threads", 2, 700 }, { "serial", 1, 1200 },
    { "processes", 2, 650 }, { "threads", 4, 300 }, { "threads", 4, 350 },
  };
  PlabTimePoint *pts;
  size_t n;
  PlabSpeedupSeries series[4];
  size_t n_series;

  g_assert_cmpint (plab_time_points_from_samples (s, G_N_ELEMENTS (s), &pts, &n), ==, 0);
  g_assert_cmpuint (n, ==, 5);
  /* Serial first, then backends as they appeared, workers ascending. */
  g_assert_cmpstr (pts[0].backend, ==, "serial");
  g_assert_cmpfloat (pts[0].median_ns, ==, 1100); /* even count: mean of the middle two */
  g_assert_cmpstr (pts[1].backend, ==, "threads");
  g_assert_cmpint (pts[1].workers, ==, 1);
  g_assert_cmpint (pts[2].workers, ==, 2);
  g_assert_cmpfloat (pts[2].median_ns, ==, 600);
  g_assert_cmpfloat (pts[2].min_ns, ==, 500);
  g_assert_cmpfloat (pts[2].max_ns, ==, 700);
  g_assert_cmpint (pts[2].n_repeats, ==, 3);
  g_assert_cmpint (pts[3].workers, ==, 4);
  g_assert_cmpstr (pts[4].backend, ==, "processes");
  g_assert_cmpfloat (plab_time_points_serial_baseline (pts, n), ==, 1100);

  n_series = plab_speedup_series_from_points (pts, n, series, 4);
  g_assert_cmpuint (n_series, ==, 2);
  g_assert_cmpstr (series[0].name, ==, "threads");
  g_assert_cmpint (series[0].n, ==, 3);
  g_assert_cmpfloat_with_epsilon (series[0].speedup[1], 1100.0 / 600.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (series[0].speedup[2], 1100.0 / 325.0, 1e-12);

  /* Without a serial run, a backend is measured against its fewest workers. */
  n_series = plab_speedup_series_from_points (pts + 1, 3, series, 4);
  g_assert_cmpfloat_with_epsilon (series[0].speedup[0], 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (series[0].speedup[1], 1100.0 / 600.0, 1e-12);
  g_free (pts);
}

/* With no serial run, a backend's fewest workers are its baseline: with
 * more than one, efficiency and Karp-Flatt are relative to them, and a
 * backend with only that one worker count has no speedup at all (a run
 * against itself). */
static void
test_baseline_not_one_worker (void)
{
  PlabRunSample s[] = {
    { "processes", 2, 1000 },
    { "processes", 4, 600 },
    { "threads", 2, 900 },
  };
  PlabTimePoint *pts;
  size_t n;
  PlabSpeedupSeries series[4];
  size_t n_series;
  char notes[512];

  g_assert_cmpint (plab_time_points_from_samples (s, G_N_ELEMENTS (s), &pts, &n), ==, 0);
  n_series = plab_speedup_series_from_points (pts, n, series, 4);
  g_assert_cmpuint (n_series, ==, 1); /* threads: one run of itself */
  g_assert_cmpstr (series[0].name, ==, "processes");
  g_assert_cmpfloat (series[0].base_workers, ==, 2);
  g_assert_cmpfloat_with_epsilon (plab_speedup_series_efficiency (&series[0], 0), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (plab_speedup_series_efficiency (&series[0], 1),
                                  (1000.0 / 600.0) / 2, 1e-12);
  g_assert_true (isnan (plab_speedup_series_karp_flatt (&series[0], 0)));
  g_assert_cmpfloat_with_epsilon (plab_speedup_series_karp_flatt (&series[0], 1),
                                  plab_karp_flatt (1000.0 / 600.0, 2), 1e-12);
  plab_speedup_notes (&series[0], false, notes, sizeof notes);
  g_assert_nonnull (strstr (notes, "relative to 2 workers"));
  /* The ideal line is relative to the same 2 workers. */
  {
    PlabSpeedupChartData data = { "Speedup", "footer", series, 1, NULL, false };
    GString *words
        = chart_test_drawn_text (&(PlabChartInput){ .kind = PLAB_CHART_SPEEDUP, .speedup = &data },
                                 1600, 900, PLAB_THEME_LIGHT);

    g_assert_cmpint (chart_test_count_in (words->str, "ideal S = p / 2"), ==, 1);
    g_string_free (words, TRUE);
  }
  /* A zeroed series (a prediction) is relative to one worker. */
  series[0].base_workers = 0;
  g_assert_cmpfloat_with_epsilon (plab_speedup_series_efficiency (&series[0], 1),
                                  (1000.0 / 600.0) / 4, 1e-12);
  g_free (pts);
}

static void
test_time_chart_bar_heights (void)
{
  /* Two bars, one twice as tall as the other, coloured like their backends. */
  PlabTimePoint pts[2];
  PlabTimeChartData data = { NULL, NULL, pts, 2, 0, NULL };
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 800, 600);
  cairo_t *cr = cairo_create (surface);
  PlabChartStyle style;
  int h[2] = { 0, 0 };

  memset (pts, 0, sizeof pts);
  g_strlcpy (pts[0].backend, "threads", sizeof pts[0].backend);
  g_strlcpy (pts[1].backend, "processes", sizeof pts[1].backend);
  pts[0].workers = pts[1].workers = 2;
  pts[0].median_ns = pts[0].min_ns = pts[0].max_ns = 2e9;
  pts[1].median_ns = pts[1].min_ns = pts[1].max_ns = 1e9;
  pts[0].n_repeats = pts[1].n_repeats = 1;
  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
  plab_chart_draw (cr, &(PlabChartInput){ .kind = PLAB_CHART_TIME, .time = &data }, &style, 800,
                   600);

  for (int b = 0; b < 2; b++)
    {
      PlabRgba c = plab_chart_style_backend_colour (&style, pts[b].backend);
      /* The tallest column of each colour. */
      for (int x = 0; x < 800; x++)
        {
          int n = chart_test_count_colour (surface, x, 0, 1, 600, c);
          if (n > h[b])
            h[b] = n;
        }
    }
  g_assert_cmpint (h[0], >, 100);
  g_assert_cmpint (abs (h[0] - 2 * h[1]), <=, 2);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}

static void
test_speedup_chart_empty (void)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 800, 600);
  cairo_t *cr = cairo_create (surface);
  PlabChartStyle style;
  PlabSpeedupChartData data = { "Speedup", NULL, NULL, 0, NULL, true };

  plab_chart_style_init (&style, PLAB_THEME_DARK, 1.0);
  plab_chart_draw (cr, &(PlabChartInput){ .kind = PLAB_CHART_SPEEDUP, .speedup = &data }, &style,
                   800, 600);
  plab_chart_draw (cr, &(PlabChartInput){ .kind = PLAB_CHART_SPEEDUP, .speedup = NULL }, &style,
                   800, 600);
  g_assert_cmpint (chart_test_count_ink (surface, 0, 280, 800, 40, style.background), >, 100);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/chart/speedup/amdahl-recovers-f", test_amdahl_recovers_f);
  g_test_add_func ("/plab/chart/speedup/amdahl-noisy", test_amdahl_noisy);
  g_test_add_func ("/plab/chart/speedup/karp-flatt", test_karp_flatt);
  g_test_add_func ("/plab/chart/speedup/two-points-no-fit", test_two_points_no_fit);
  g_test_add_func ("/plab/chart/speedup/fit-through-baseline", test_fit_through_baseline);
  g_test_add_func ("/plab/chart/speedup/notes-out-of-range", test_notes_out_of_range);
  g_test_add_func ("/plab/chart/speedup/notes-shared", test_notes_shared);
  g_test_add_func ("/plab/chart/speedup/karp-flatt-not-clipped", test_karp_flatt_not_clipped);
  g_test_add_func ("/plab/chart/speedup/time-points", test_time_points);
  g_test_add_func ("/plab/chart/speedup/baseline-not-one-worker", test_baseline_not_one_worker);
  g_test_add_func ("/plab/chart/speedup/time-chart-bar-heights", test_time_chart_bar_heights);
  g_test_add_func ("/plab/chart/speedup/empty", test_speedup_chart_empty);
  return g_test_run ();
}
