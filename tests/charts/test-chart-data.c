/* test-chart-data.c: the one chart-data loader (plab-chart-data.c), and charts
 * exported from runs in a real run store. */
#include <cairo.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "chart-test-util.h"
#include "plab-chart-data.h"
#include "plab-chart-export.h"
#include "plab-run-export.h"
#include "plab-error.h"
#include "plab-store.h"
#include "tmp-test-util.h"

typedef struct
{
  char *dir;
  char *db;
  PlabStore *store;
  int64_t sweep;
  int64_t first_run;
} Fixture;

static int64_t
add_run (Fixture *fx, const char *backend, int workers, int repeat, int64_t wall_ns)
{
  PlabRunSpec spec = { .demo = "squares",
                       .backend = backend,
                       .workers = workers,
                       .params_json = "{\"n\": 64}",
                       .seed = 1,
                       .sweep_id = fx->sweep,
                       .repeat = repeat,
                       .origin_ns = 0 };
  PlabRunOutcome outcome
      = { .status = PLAB_RUN_OK,
          .wall_ns = wall_ns,
          .cpu_ns = wall_ns,
          .result_json = "{\"figure\": {\"kind\": \"bars\", \"categories\": [\"a\"],"
                         " \"series\": [{\"name\": \"v\", \"values\": [3]}]},"
                         " \"sum\": 85344}",
          .check_ok = true,
          .check_message = "ok" };
  PlabLaneInfo lanes[2];
  PlabEvent ev[3];
  int64_t id = 0;

  g_assert_cmpint (plab_store_begin_run (fx->store, &spec, &id), ==, 0);
  memset (lanes, 0, sizeof lanes);
  memset (ev, 0, sizeof ev);
  for (int i = 0; i < 2; i++)
    {
      lanes[i].lane = i;
      lanes[i].kind = i == 0 ? PLAB_LANE_MAIN : PLAB_LANE_PROCESS;
      lanes[i].pid = 100 + i;
      g_snprintf (lanes[i].name, sizeof lanes[i].name, i ? "worker-%d" : "main", i);
      g_assert_cmpint (plab_store_put_lane (fx->store, id, &lanes[i]), ==, 0);
    }
  ev[0] = (PlabEvent){ .start_ns = 0,
                       .end_ns = wall_ns / 2,
                       .task_id = 0,
                       .kind = PLAB_SPAN_TASK,
                       .lane = 1,
                       .label = "chunk 0" };
  ev[1] = (PlabEvent){
    .start_ns = 0, .end_ns = wall_ns, .task_id = -1, .kind = PLAB_SPAN_QUEUE_WAIT, .lane = 0
  };
  ev[2] = (PlabEvent){ .start_ns = wall_ns / 4,
                       .end_ns = wall_ns / 4,
                       .task_id = 5,
                       .kind = PLAB_SPAN_COUNTER,
                       .lane = 0,
                       .label = "queue depth" };
  g_assert_cmpint (plab_store_add_events (fx->store, id, ev, 3), ==, 0);
  g_assert_cmpint (plab_store_finish_run (fx->store, id, &outcome), ==, 0);
  return id;
}

static void
fixture_set_up (Fixture *fx, gconstpointer user_data)
{
  fx->dir = tmp_test_dir_new ("plab-chart-store-XXXXXX", &fx->db);
  g_assert_cmpint (plab_store_open (fx->db, PLAB_STORE_READ_WRITE, &fx->store), ==, 0);
  g_assert_cmpint (plab_store_new_sweep (fx->store, "squares", "test", &fx->sweep), ==, 0);
  fx->first_run = add_run (fx, "serial", 1, 0, 1000000000);
  add_run (fx, "serial", 1, 1, 1200000000);
  add_run (fx, "processes", 2, 0, 600000000);
  add_run (fx, "processes", 2, 1, 500000000);
  add_run (fx, "processes", 2, 2, 700000000);
  add_run (fx, "processes", 4, 0, 400000000);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer user_data)
{
  plab_store_close (fx->store);
  tmp_test_dir_free (fx->dir, fx->db);
}

static char *
export_to_string (Fixture *fx, bool sweep, PlabChartKind kind, PlabChartFormat format)
{
  char *path = g_strdup_printf ("%s/out.%s", fx->dir, plab_chart_format_name (format));
  PlabExportOptions opt = { .kind = kind, .format = format, .path = path };
  char err[256] = "", *text = NULL;
  gsize len = 0;
  int rc = sweep ? plab_chart_export_sweep (fx->store, fx->sweep, &opt, err, sizeof err)
                 : plab_chart_export_run (fx->store, fx->first_run, &opt, err, sizeof err);

  if (rc != 0)
    g_error ("export failed: %s", err);
  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  g_assert_cmpuint (len, >, 20);
  g_free (path);
  return text;
}

static void
test_timeline_from_store (Fixture *fx, gconstpointer user_data)
{
  char *csv = export_to_string (fx, false, PLAB_CHART_TIMELINE, PLAB_CHART_FORMAT_CSV);
  char *span = g_strdup_printf ("\r\nspan,%" G_GINT64_FORMAT
                                ",1,worker-1,101,0,task,0,500000000,0,chunk 0,\r\n",
                                fx->first_run);
  char *png;

  /* The run's spans CSV (plab-run-export.h), the same as plab export --format csv. */
  g_assert_true (g_str_has_prefix (csv, PLAB_RUN_CSV_HEADER "\r\n"));
  g_assert_nonnull (strstr (csv, span));
  g_assert_nonnull (strstr (csv, ",counter,250000000,250000000,,queue depth,5\r\n"));
  g_free (span);
  g_free (csv);
  png = export_to_string (fx, false, PLAB_CHART_TIMELINE, PLAB_CHART_FORMAT_PNG);
  g_assert_true (memcmp (png, "\x89PNG", 4) == 0);
  g_free (png);
}

static void
test_time_and_speedup_from_sweep (Fixture *fx, gconstpointer user_data)
{
  char *time = export_to_string (fx, true, PLAB_CHART_TIME, PLAB_CHART_FORMAT_CSV);
  char *speedup = export_to_string (fx, true, PLAB_CHART_SPEEDUP, PLAB_CHART_FORMAT_CSV);
  char *via_run = export_to_string (fx, false, PLAB_CHART_TIME, PLAB_CHART_FORMAT_CSV);

  g_assert_cmpstr (time, ==,
                   "backend,workers,repeats,median_ns,min_ns,max_ns\n"
                   "serial,1,2,1100000000,1000000000,1200000000\n"
                   "processes,2,3,600000000,500000000,700000000\n"
                   "processes,4,1,400000000,400000000,400000000\n");
  /* A run of a sweep charts its sweep. */
  g_assert_cmpstr (via_run, ==, time);
  /* Against the serial median: 1.1 / 0.6 and 1.1 / 0.4. */
  g_assert_nonnull (strstr (speedup, "processes,2,1.83333,"));
  g_assert_nonnull (strstr (speedup, "processes,4,2.75,"));
  g_free (time);
  g_free (speedup);
  g_free (via_run);
}

static void
test_result_and_errors (Fixture *fx, gconstpointer user_data)
{
  char *csv = export_to_string (fx, false, PLAB_CHART_RESULT, PLAB_CHART_FORMAT_CSV);
  PlabExportOptions opt
      = { .kind = PLAB_CHART_TIMELINE, .format = PLAB_CHART_FORMAT_PNG, .path = "unused.png" };
  char err[256] = "";

  /* One table: the figure's bars, then the rest of the result. */
  g_assert_true (g_str_has_prefix (csv, PLAB_RESULT_CSV_HEADER "\n"));
  g_assert_nonnull (strstr (csv, "\nfigure,\"v\",\"a\",,,3\n"));
  g_assert_nonnull (strstr (csv, "\nresult,,\"sum\",,,\"85344\"\n"));
  g_free (csv);

  g_assert_cmpint (plab_chart_export_run (fx->store, 9999, &opt, err, sizeof err), ==,
                   PLAB_ENOTFOUND);
  g_assert_nonnull (strstr (err, "9999"));
  g_assert_cmpint (plab_chart_export_sweep (fx->store, 9999, &opt, err, sizeof err), ==,
                   PLAB_ENOTFOUND);
  g_assert_nonnull (strstr (err, "9999"));
  g_assert_false (g_file_test ("unused.png", G_FILE_TEST_EXISTS));
}

/* The warning-coloured pixels of the bottom @band of chart @kind of @data,
 * drawn as an export is. */
static int
footer_warning_pixels (const PlabChartData *data, PlabChartKind kind, double band)
{
  const int width = 1600, height = 900;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cairo_t *cr = cairo_create (surface);
  PlabChartStyle style;
  PlabChartInput input;
  int n;

  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1);
  plab_chart_data_input (data, kind, &input);
  plab_chart_draw (cr, &input, &style, width, height);
  cairo_destroy (cr);
  n = chart_test_count_colour (surface, 0, height - band, width, band, style.warning);
  cairo_surface_destroy (surface);
  return n;
}

/* A run measured while other programs used the CPUs carries the warning in
 * its footer, drawn in the warning colour above the line that names the
 * run; the charts of its group say how many of their runs were measured so.
 * A run that was not measured has neither. */
static void
test_busy_machine_footer (Fixture *fx, gconstpointer user_data)
{
  PlabMachineLoad load = { .measured = true,
                           .load_avg = 4.0,
                           .cpus = 2,
                           .others_share = 0.6,
                           .steal_share = 0,
                           .window_ns = 600000000 };
  PlabRunOutcome outcome = { .status = PLAB_RUN_OK,
                             .wall_ns = 600000000,
                             .cpu_ns = 600000000,
                             .check_ok = true,
                             .check_message = "ok",
                             .load = &load };
  const char *warning = "other programs used 60% of the 2 CPUs during this run: times may be "
                        "longer than on a quiet machine";
  int64_t busy = add_run (fx, "threads", 2, 0, 600000000);
  PlabChartData *data = NULL, *quiet = NULL;
  char err[256] = "";
  const double band = 120;

  g_assert_cmpint (plab_store_finish_run (fx->store, busy, &outcome), ==, 0);

  g_assert_cmpint (plab_chart_data_load (fx->store,
                                         &(PlabChartRequest){ .run_id = busy,
                                                              .what = PLAB_CHART_LOAD_ALL },
                                         &data, err, sizeof err),
                   ==, 0);
  g_assert_true (data->run->load.measured);
  g_assert_cmpstr (data->load_warning, ==, warning);
  g_assert_nonnull (strstr (data->footer, "\nOther programs used 60% of the 2 CPUs during this "
                                          "run: times may be longer than on a quiet machine"));
  g_assert_true (g_str_has_prefix (data->footer, "demo squares"));
  g_assert_nonnull (strstr (data->group_footer, "\n1 of 7 runs were measured on a busy machine"));
  g_assert_nonnull (strstr (data->group_footer, "run " G_STRINGIFY (7)));
  g_assert_cmpint (footer_warning_pixels (data, PLAB_CHART_RESULT, band), >, 100);
  g_assert_cmpint (footer_warning_pixels (data, PLAB_CHART_TIME, band), >, 100);

  g_assert_cmpint (plab_chart_data_load (fx->store,
                                         &(PlabChartRequest){ .run_id = fx->first_run,
                                                              .what = PLAB_CHART_LOAD_ALL },
                                         &quiet, err, sizeof err),
                   ==, 0);
  g_assert_false (quiet->run->load.measured);
  g_assert_cmpstr (quiet->load_warning, ==, "");
  g_assert_null (strchr (quiet->footer, '\n'));
  g_assert_cmpint (footer_warning_pixels (quiet, PLAB_CHART_RESULT, band), ==, 0);
  plab_chart_data_free (quiet);
  plab_chart_data_free (data);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/plab/chart/store/timeline", test_timeline_from_store);
  ADD ("/plab/chart/store/time-and-speedup", test_time_and_speedup_from_sweep);
  ADD ("/plab/chart/store/result-and-errors", test_result_and_errors);
  ADD ("/plab/chart/store/busy-machine-footer", test_busy_machine_footer);
#undef ADD
  return g_test_run ();
}
