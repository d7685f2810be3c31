/* test-chart-json.c: the JSON reader and the result chart built on it. */
#include <cairo.h>
#include <glib.h>
#include <string.h>

#include "chart-test-util.h"
#include "plab-json.h"
#include "plab-result-chart.h"

static void
test_parse (void)
{
  char err[128];
  PlabJson *j = plab_json_parse (" {\"a\": [1, -2.5e3, true, null], \"s\": "
                                 "\"x\\\"y\\u00e9\\ud83d\\ude00\", \"o\": {}} ",
                                 err, sizeof err);

  g_assert_nonnull (j);
  g_assert_cmpint (j->type, ==, PLAB_JSON_OBJECT);
  g_assert_cmpuint (plab_json_length (j), ==, 3);
  g_assert_cmpfloat (plab_json_number (plab_json_at (plab_json_get (j, "a"), 1), 0), ==, -2500);
  g_assert_true (plab_json_at (plab_json_get (j, "a"), 2)->boolean);
  g_assert_cmpint (plab_json_at (plab_json_get (j, "a"), 3)->type, ==, PLAB_JSON_NULL);
  g_assert_null (plab_json_at (plab_json_get (j, "a"), 4));
  g_assert_cmpstr (plab_json_string (plab_json_get (j, "s"), NULL), ==,
                   "x\"y\xc3\xa9\xf0\x9f\x98\x80");
  g_assert_cmpint (plab_json_get (j, "o")->type, ==, PLAB_JSON_OBJECT);
  g_assert_null (plab_json_get (j, "missing"));
  g_assert_null (plab_json_get (plab_json_get (j, "missing"), "deeper"));
  /* Member order is kept. */
  g_assert_cmpstr (j->children[0].key, ==, "a");
  g_assert_cmpstr (j->children[2].key, ==, "o");
  plab_json_free (j);
}

static void
test_reject (void)
{
  const char *bad[]
      = { "",    "{",     "[1,]",    "{\"a\" 1}", "01",         "1.",          "-",    "+1",
          "nul", "\"abc", "\"\\x\"", "[1] 2",     "{\"a\":1,}", "\"\\ud800\"", "0x10", "\"a\tb\"" };
  char nested[200];
  char err[128];

  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      PlabJson *j = plab_json_parse (bad[i], err, sizeof err);
      if (j != NULL)
        g_error ("accepted bad JSON: %s", bad[i]);
      g_assert_nonnull (strstr (err, "offset"));
    }
  /* Deeper than the limit is refused rather than overflowing the stack. */
  memset (nested, '[', sizeof nested - 1);
  nested[sizeof nested - 1] = '\0';
  g_assert_null (plab_json_parse (nested, err, sizeof err));
  g_assert_nonnull (strstr (err, "deep"));
}

static void
test_format (void)
{
  PlabJson *j = plab_json_parse ("[3, 0.125, \"t\", false, [1,2]]", NULL, 0);
  char buf[64];

  plab_json_format_value (plab_json_at (j, 0), buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "3");
  plab_json_format_value (plab_json_at (j, 1), buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "0.125");
  plab_json_format_value (plab_json_at (j, 2), buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "t");
  plab_json_format_value (plab_json_at (j, 3), buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "false");
  plab_json_format_value (plab_json_at (j, 4), buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "[2 items]");
  plab_json_free (j);
}

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
  plab_result_chart_draw (cr, &data, &style, 1000, 600);
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
  g_assert_true (g_str_has_prefix (csv, "series,x,y\n\"flat\",0,1\n"));
  g_assert_nonnull (strstr (csv, "key,value\n\"answer\",\"42\"\n"));
  free (csv);

  /* No result at all: a message, no crash. */
  data.result = NULL;
  plab_result_chart_draw (cr, &data, &style, 1000, 600);
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
  g_test_add_func ("/plab/chart/json/parse", test_parse);
  g_test_add_func ("/plab/chart/json/reject", test_reject);
  g_test_add_func ("/plab/chart/json/format", test_format);
  g_test_add_func ("/plab/chart/json/result-lines", test_result_lines);
  return g_test_run ();
}
