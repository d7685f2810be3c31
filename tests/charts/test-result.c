/* test-result.c: the result chart, drawn from a demo's JSON result. */
#include <cairo.h>
#include <glib.h>
#include <string.h>

#include "chart-test-util.h"
#include "plab-chart-export.h"
#include "plab-json.h"
#include "plab-result-chart.h"

static void
test_result_lines (void)
{
  /* A horizontal line at y = 1 over y in [0, 2]: drawn across the middle of
   * the plot in the first series colour. */
  PlabJson *j = plab_json_parse ("{\"figure\": {\"kind\": \"lines\", \"series\": [{\"name\": "
                                 "\"flat\", \"x\": [0, 10],"
                                 " \"y\": [1, 1]}, {\"name\": \"ramp\", \"x\": [0, 10], \"y\": [0, "
                                 "2], \"style\": \"points\"}],"
                                 " \"notes\": [\"a note\"]}, \"answer\": 42}",
                                 NULL, 0);
  PlabResultChartData data = { "Result", "footer", j };
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1000, 600);
  cairo_t *cr = cairo_create (surface);
  PlabChartStyle style;
  PlabRgba first;
  int best_row = -1, best = 0;
  char *csv = NULL;
  size_t len = 0;
  FILE *f;

  g_assert_nonnull (j);
  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
  first = plab_chart_style_series_colour (&style, 0);
  plab_chart_draw (cr, &(PlabChartInput){ .kind = PLAB_CHART_RESULT, .result = &data }, &style,
                   1000, 600);
  /* The row with the most first-colour pixels is the flat line: long and
   * level, between the top and the bottom of the chart. */
  for (int y = 0; y < 600; y++)
    {
      int n = chart_test_count_colour (surface, 0, y, 1000, 1, first);
      if (n > best)
        best = n, best_row = y;
    }
  g_assert_cmpint (best, >, 400);
  g_assert_cmpint (best_row, >, 150);
  g_assert_cmpint (best_row, <, 450);

  f = open_memstream (&csv, &len);
  g_assert_cmpint (plab_result_chart_write_csv (&data, f), ==, 0);
  fclose (f);
  /* One table: the figure's points and the rest of the result share a header. */
  g_assert_true (g_str_has_prefix (csv, "table,series,key,x,y,value\nfigure,\"flat\",,0,1,\n"));
  g_assert_nonnull (strstr (csv, "\nresult,,\"answer\",,,\"42\"\n"));
  g_assert_null (strstr (csv, "\nkey,value\n"));
  free (csv);

  /* No result at all: a message, no crash. */
  data.result = NULL;
  plab_chart_draw (cr, &(PlabChartInput){ .kind = PLAB_CHART_RESULT, .result = &data }, &style,
                   1000, 600);
  g_assert_cmpint (chart_test_count_ink (surface, 0, 280, 1000, 40, style.background), >, 100);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  plab_json_free (j);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/chart/result/lines", test_result_lines);
  return g_test_run ();
}
