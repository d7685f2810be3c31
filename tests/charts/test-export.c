/* test-chart-export.c: exported files are what their names say. */
#include <cairo.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "plab-chart-export.h"
#include "plab-error.h"
#include "plab-run-export.h"
#include "tmp-test-util.h"

typedef struct
{
  char *dir;
  PlabTimelineData *timeline;
  PlabTimePoint points[3];
  PlabTimeChartData time;
  PlabSpeedupSeries series[2];
  PlabSpeedupChartData speedup;
  PlabJson *result_json;
  PlabResultChartData result;
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer user_data)
{
  PlabLaneInfo lane;
  PlabEvent ev[2];

  fx->dir = tmp_test_dir_new ("plab-chart-XXXXXX", NULL);
  memset (&lane, 0, sizeof lane);
  g_strlcpy (lane.name, "main", sizeof lane.name);
  memset (ev, 0, sizeof ev);
  ev[0].kind = PLAB_SPAN_TASK;
  ev[0].end_ns = 1000000;
  g_strlcpy (ev[0].label, "a <task> & \"quotes\"", sizeof ev[0].label);
  ev[1].kind = PLAB_SPAN_SLEEP;
  ev[1].start_ns = 1000000;
  ev[1].end_ns = 3000000;
  fx->timeline = plab_timeline_data_new (&lane, 1, ev, 2, NULL, 0);
  plab_timeline_data_set_caption (fx->timeline, "Timeline <test>", "footer & more");

  memset (fx->points, 0, sizeof fx->points);
  g_strlcpy (fx->points[0].backend, "serial", sizeof fx->points[0].backend);
  g_strlcpy (fx->points[1].backend, "threads", sizeof fx->points[1].backend);
  g_strlcpy (fx->points[2].backend, "threads", sizeof fx->points[2].backend);
  fx->points[0].workers = 1;
  fx->points[1].workers = 2;
  fx->points[2].workers = 4;
  for (int i = 0; i < 3; i++)
    {
      fx->points[i].median_ns = 1e9 / (i + 1);
      fx->points[i].min_ns = fx->points[i].median_ns * 0.9;
      fx->points[i].max_ns = fx->points[i].median_ns * 1.1;
      fx->points[i].n_repeats = 3;
    }
  fx->time = (PlabTimeChartData){ "Time", "footer", fx->points, 3, 1e9, NULL };
  fx->speedup = (PlabSpeedupChartData){
    "Speedup", "footer", fx->series, plab_speedup_series_from_points (fx->points, 3, fx->series, 2),
    NULL,      true
  };
  fx->result_json
      = plab_json_parse ("{\"figure\": {\"kind\": \"bars\", \"categories\": [\"a\", \"b\"],"
                         " \"series\": [{\"name\": \"v\", \"values\": [1, 2]}]}, \"k\": 1}",
                         NULL, 0);
  fx->result = (PlabResultChartData){ "Result", "footer", fx->result_json };
}

static void
fixture_tear_down (Fixture *fx, gconstpointer user_data)
{
  tmp_test_remove_tree (fx->dir);
  g_free (fx->dir);
  plab_timeline_data_free (fx->timeline);
  plab_json_free (fx->result_json);
}

static PlabChartInput
input_for (Fixture *fx, PlabChartKind kind)
{
  PlabChartInput in = { .kind = kind };
  in.timeline = fx->timeline;
  in.time = &fx->time;
  in.speedup = &fx->speedup;
  in.result = &fx->result;
  return in;
}

static char *export(Fixture *fx,
                    PlabChartKind kind,
                    PlabChartFormat format,
                    int width,
                    int height,
                    double scale)
{
  PlabChartInput in = input_for (fx, kind);
  char *path = g_strdup_printf ("%s/%s.%s", fx->dir, plab_chart_kind_name (kind),
                                plab_chart_format_name (format));
  PlabExportOptions opt = { .kind = kind,
                            .format = format,
                            .path = path,
                            .width = width,
                            .height = height,
                            .scale = scale,
                            .theme = PLAB_THEME_PROJECTOR };
  char err[256];
  int rc = plab_chart_export_data (&in, &opt, err, sizeof err);

  if (rc != 0)
    g_error ("export %s as %s failed: %s", plab_chart_kind_name (kind),
             plab_chart_format_name (format), err);
  return path;
}

static void
test_png_size (Fixture *fx, gconstpointer user_data)
{
  for (int k = 0; k < PLAB_N_CHART_KINDS; k++)
    {
      char *path = export(fx, k, PLAB_CHART_FORMAT_PNG, 960, 540, 2.0);
      cairo_surface_t *png = cairo_image_surface_create_from_png (path);

      g_assert_cmpint (cairo_surface_status (png), ==, CAIRO_STATUS_SUCCESS);
      g_assert_cmpint (cairo_image_surface_get_width (png), ==, 1920);
      g_assert_cmpint (cairo_image_surface_get_height (png), ==, 1080);
      cairo_surface_destroy (png);
      g_free (path);
    }
  {
    /* Defaults: 1600 x 900. */
    char *path = export(fx, PLAB_CHART_TIMELINE, PLAB_CHART_FORMAT_PNG, 0, 0, 0);
    cairo_surface_t *png = cairo_image_surface_create_from_png (path);
    g_assert_cmpint (cairo_image_surface_get_width (png), ==, 1600);
    g_assert_cmpint (cairo_image_surface_get_height (png), ==, 900);
    cairo_surface_destroy (png);
    g_free (path);
  }
}

static void
test_svg_is_xml (Fixture *fx, gconstpointer user_data)
{
  char *python = g_find_program_in_path ("python3");

  if (python == NULL)
    {
      g_test_skip ("python3 is needed to parse the SVG");
      return;
    }
  for (int k = 0; k < PLAB_N_CHART_KINDS; k++)
    {
      char *path = export(fx, k, PLAB_CHART_FORMAT_SVG, 0, 0, 1);
      const char *argv[] = { python, "-c",
                             "import sys, xml.etree.ElementTree as E\n"
                             "r = E.parse(sys.argv[1]).getroot()\n"
                             "assert r.tag.endswith('svg'), r.tag\n"
                             "assert r.get('width').startswith('1600'), r.get('width')\n"
                             "assert len(list(r.iter())) > 20\n",
                             path, NULL };
      int status = -1;
      char *err = NULL;

      g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                                   &err, &status, NULL));
      if (!g_spawn_check_wait_status (status, NULL))
        g_error ("%s is not valid SVG: %s", path, err);
      g_free (err);
      g_free (path);
    }
  g_free (python);
}

static void
test_pdf_opens (Fixture *fx, gconstpointer user_data)
{
  char *pdftoppm = g_find_program_in_path ("pdftoppm");

  for (int k = 0; k < PLAB_N_CHART_KINDS; k++)
    {
      char *path = export(fx, k, PLAB_CHART_FORMAT_PDF, 0, 0, 1);
      char *data = NULL;
      gsize len = 0;

      g_assert_true (g_file_get_contents (path, &data, &len, NULL));
      g_assert_true (len > 1000);
      g_assert_true (g_str_has_prefix (data, "%PDF-"));
      g_assert_nonnull (g_strrstr_len (data + len - 32, 32, "%%EOF"));
      /* 1600 x 900 points on the page. */
      g_assert_nonnull (memmem (data, len, "/MediaBox [ 0 0 1600 900 ]", 26));
      if (pdftoppm != NULL)
        {
          char *out = g_strdup_printf ("%s/page", fx->dir);
          const char *argv[] = { pdftoppm, "-r", "10", "-png", path, out, NULL };
          int status = -1;
          g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                                       NULL, NULL, NULL, &status, NULL));
          g_assert_true (g_spawn_check_wait_status (status, NULL));
          g_free (out);
        }
      g_free (data);
      g_free (path);
    }
  g_free (pdftoppm);
}

static void
test_csv (Fixture *fx, gconstpointer user_data)
{
  const char *heads[]
      = { NULL, "backend,workers,repeats,median_ns",
          "series,workers,speedup,efficiency,karp_flatt,amdahl_f", "table,series,key,x,y,value\n" };
  PlabChartInput in = input_for (fx, PLAB_CHART_TIMELINE);
  PlabExportOptions opt = { .format = PLAB_CHART_FORMAT_CSV };
  char err[256];

  /* A timeline's CSV is the run's spans, written from the store by the one
   * span writer (tests/app/test-cli.c); data in memory is refused. */
  opt.path = "-";
  g_assert_cmpint (plab_chart_export_data (&in, &opt, err, sizeof err), ==, PLAB_EINVAL);
  g_assert_nonnull (strstr (err, "store"));
  for (int k = PLAB_CHART_TIME; k < PLAB_N_CHART_KINDS; k++)
    {
      char *path = export(fx, k, PLAB_CHART_FORMAT_CSV, 0, 0, 1);
      char *data = NULL;

      g_assert_true (g_file_get_contents (path, &data, NULL, NULL));
      g_assert_true (g_str_has_prefix (data, heads[k]));
      g_free (data);
      g_free (path);
    }
}

static void
test_errors (Fixture *fx, gconstpointer user_data)
{
  PlabChartInput in = input_for (fx, PLAB_CHART_TIME);
  /* A folder that does not exist inside our own temporary folder. */
  char *png = g_strdup_printf ("%s/missing/x.png", fx->dir);
  char *csv = g_strdup_printf ("%s/missing/x.csv", fx->dir);
  char *huge = g_strdup_printf ("%s/huge.png", fx->dir);
  PlabExportOptions opt = { .kind = PLAB_CHART_TIME, .format = PLAB_CHART_FORMAT_PNG, .path = png };
  char err[256] = "";

  g_assert_cmpint (plab_chart_export_data (&in, &opt, err, sizeof err), <, 0);
  g_assert_nonnull (strstr (err, png));
  opt.format = PLAB_CHART_FORMAT_CSV;
  opt.path = csv;
  g_assert_cmpint (plab_chart_export_data (&in, &opt, err, sizeof err), <, 0);
  opt.format = PLAB_CHART_FORMAT_PNG;
  opt.path = huge;
  opt.width = 100000;
  opt.height = 100000;
  g_assert_cmpint (plab_chart_export_data (&in, &opt, err, sizeof err), <, 0);
  g_assert_false (g_file_test (huge, G_FILE_TEST_EXISTS));
  g_free (png);
  g_free (csv);
  g_free (huge);

  g_assert_cmpint (plab_chart_kind_from_name ("speedup"), ==, PLAB_CHART_SPEEDUP);
  g_assert_cmpint (plab_chart_kind_from_name ("pie"), ==, -1);
  g_assert_cmpint (plab_chart_format_from_name ("SVG"), ==, PLAB_CHART_FORMAT_SVG);
  g_assert_cmpint (plab_chart_format_from_path ("a/b.pdf"), ==, PLAB_CHART_FORMAT_PDF);
  g_assert_cmpint (plab_chart_format_from_path ("noext"), ==, -1);
  g_assert_cmpint (plab_theme_from_name ("projector"), ==, PLAB_THEME_PROJECTOR);

  /* The one default file name, the command line's and the window's. */
  {
    char name[64];

    plab_run_export_file_name (name, sizeof name, false, 18, "time", "png");
    g_assert_cmpstr (name, ==, "plab-run18-time.png");
    plab_run_export_file_name (name, sizeof name, true, 3, "speedup", "svg");
    g_assert_cmpstr (name, ==, "plab-sweep3-speedup.svg");
    plab_run_export_file_name (name, sizeof name, false, 18, "trace", "json");
    g_assert_cmpstr (name, ==, "plab-run18-trace.json");
  }
}

/* A chart too small for its title, legend, axes and footer is refused with
 * a message that gives the smallest size, and no file is written; the
 * smallest size itself is drawn. The projector's larger type needs more. */
static void
test_too_small (Fixture *fx, gconstpointer user_data)
{
  char *png = g_strdup_printf ("%s/small.png", fx->dir);
  int light_w, light_h, min_w, min_h;

  plab_chart_export_min_size (PLAB_THEME_LIGHT, &light_w, &light_h);
  g_assert_cmpint (light_w, ==, PLAB_EXPORT_MIN_WIDTH);
  g_assert_cmpint (light_h, ==, PLAB_EXPORT_MIN_HEIGHT);
  plab_chart_export_min_size (PLAB_THEME_PROJECTOR, &min_w, &min_h);
  g_assert_cmpint (min_w, >, light_w);
  g_assert_cmpint (min_h, >, light_h);
  for (int theme = 0; theme < PLAB_N_THEMES; theme++)
    for (int k = 0; k < PLAB_N_CHART_KINDS; k++)
      for (int f = PLAB_CHART_FORMAT_PNG; f <= PLAB_CHART_FORMAT_PDF; f++)
        {
          static const int sizes[][2] = { { 100, 50 }, { 0, -1 }, { -1, 0 } };
          PlabChartInput in = input_for (fx, k);
          PlabExportOptions opt = { .kind = k, .format = f, .path = png, .theme = theme };
          char err[256] = "", expected[64];

          plab_chart_export_min_size (theme, &min_w, &min_h);
          g_snprintf (expected, sizeof expected, "at least %d x %d", min_w, min_h);
          for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
            {
              /* 0 and -1: one pixel less than the smallest in one direction. */
              opt.width = sizes[i][0] > 0 ? sizes[i][0] : min_w + sizes[i][0];
              opt.height = sizes[i][1] > 0 ? sizes[i][1] : min_h + sizes[i][1];
              g_assert_cmpint (plab_chart_export_data (&in, &opt, err, sizeof err), ==,
                               PLAB_ERANGE);
              g_assert_nonnull (strstr (err, "too small"));
              g_assert_nonnull (strstr (err, expected));
              g_assert_false (g_file_test (png, G_FILE_TEST_EXISTS));
            }
          opt.width = min_w;
          opt.height = min_h;
          g_assert_cmpint (plab_chart_export_data (&in, &opt, err, sizeof err), ==, 0);
          g_assert_true (g_file_test (png, G_FILE_TEST_EXISTS));
          g_assert_cmpint (g_unlink (png), ==, 0);
        }
  g_free (png);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/plab/chart/export/png-size", test_png_size);
  ADD ("/plab/chart/export/svg-is-xml", test_svg_is_xml);
  ADD ("/plab/chart/export/pdf-opens", test_pdf_opens);
  ADD ("/plab/chart/export/csv", test_csv);
  ADD ("/plab/chart/export/errors", test_errors);
  ADD ("/plab/chart/export/too-small", test_too_small);
#undef ADD
  return g_test_run ();
}
