/* test-result-labels.c: the Result panel names a demo's values in words.
 *
 * A real chef run is recorded by the plab program of this build into a
 * fresh store, loaded by the one chart loader and drawn by the result
 * renderer with the demos' labels, as the window and the exports draw it.
 * The SVG and PNG exports draw text as glyph outlines, so the words are read
 * from a cairo script surface, which keeps every string the renderer shows:
 *
 *   chef-in-words   the labels and units are shown ("time of the for loop",
 *                   "saved against the for loop", "0.123 s"), the internal
 *                   keys (for_loop_s, classic_saved_percent) are not; drawn
 *                   without labels, the same run shows the keys, so the
 *                   check can fail
 *   unknown-hidden  a key the demo does not label is not shown; a run of a
 *                   demo the lab does not know shows its keys as they are
 *   export          `plab export --chart result` draws the labelled table:
 *                   its PNG differs from one drawn without labels
 *   show            `plab show` prints the same words; `plab show --json`
 *                   keeps every key
 */
#include <cairo.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "chart-test-util.h"
#include "plab-axis.h"
#include "plab-chart-data.h"
#include "plab-chart-export.h"
#include "plab-demo.h"
#include "plab-store.h"
#include "tmp-test-util.h"

#define WIDTH 1600
#define HEIGHT 900

typedef struct
{
  char *dir;
  char *db;
  PlabStore *store;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  const char *build = g_getenv ("PLAB_BUILD_DIR");
  g_autofree char *plab = g_build_filename (build ? build : "build", "app", "plab", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  fx->dir = tmp_test_dir_new (NULL, &fx->db);
  {
    const char *argv[] = { plab, "run",   "chef",      "-b",   "processes", "-j",
                           "2",  "--set", "unit_ms=5", "--db", fx->db,      NULL };
    g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                                 &status, &error));
  }
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("plab run chef failed: %s", err);
  g_assert_cmpint (plab_store_open (fx->db, PLAB_STORE_READ_ONLY, &fx->store), ==, 0);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  plab_store_close (fx->store);
  tmp_test_dir_free (fx->dir, fx->db);
}

/* Every string the result renderer shows for @chart, as a cairo script. */
static char *
draw_words (const PlabResultChartData *chart)
{
  return g_string_free (chart_test_drawn_text (&(PlabChartInput){ .kind = PLAB_CHART_RESULT,
                                                                  .result = chart },
                                               WIDTH, HEIGHT, PLAB_THEME_LIGHT),
                        FALSE);
}

static PlabChartData *
load_run (Fixture *fx, int64_t id)
{
  PlabChartData *data = NULL;
  char error[256];

  g_assert_cmpint (plab_chart_data_load (fx->store,
                                         &(PlabChartRequest){ .run_id = id,
                                                              .what = PLAB_CHART_LOAD_RESULT },
                                         &data, error, sizeof error),
                   ==, 0);
  return data;
}

static void
assert_shows (const char *words, const char *text)
{
  if (strstr (words, text) == NULL)
    g_error ("the result chart does not show '%s'", text);
}

static void
assert_hides (const char *words, const char *text)
{
  if (strstr (words, text) != NULL)
    g_error ("the result chart shows '%s'", text);
}

static void
test_chef_in_words (Fixture *fx, gconstpointer user_data)
{
  PlabChartData *data = load_run (fx, 1);
  PlabResultChartData chart = data->result_chart;
  const PlabJson *for_loop = plab_json_get (data->result, "for_loop_s");
  g_autofree char *labelled = NULL;
  g_autofree char *raw = NULL;

  g_assert_nonnull (for_loop);
  g_assert_cmpstr (chart.demo, ==, "chef");
  chart.label_for = plab_demo_result_label_for;
  labelled = draw_words (&chart);
  assert_shows (labelled, "time of the for loop");
  assert_shows (labelled, "time in the kitchen");
  assert_shows (labelled, "saved against the for loop");
  assert_shows (labelled, "the text's figure");
  assert_shows (labelled, "44.4%");
  /* The for loop's time with its unit, as the table writes it. */
  {
    char number[64];
    g_autofree char *value = NULL;

    plab_format_number (for_loop->number, number, sizeof number);
    value = g_strdup_printf ("%s s", number);
    assert_shows (labelled, value);
  }
  /* No key a program would write (a word like "tasks" may be in a label). */
  for (size_t i = 0; i < plab_json_length (data->result); i++)
    if (strchr (data->result->children[i].key, '_') != NULL)
      assert_hides (labelled, data->result->children[i].key);
  assert_hides (labelled, "for_loop_s");
  assert_hides (labelled, "classic_saved_percent");

  /* Without the demos' labels the very same run shows its keys: the check
   * above reads what is drawn. */
  chart.label_for = NULL;
  raw = draw_words (&chart);
  assert_shows (raw, "for_loop_s");
  assert_shows (raw, "classic_saved_percent");
  plab_chart_data_free (data);
}

static void
test_unknown_hidden (void)
{
  PlabJson *result = plab_json_parse (
      "{\"tasks\": 6, \"mystery_count\": 7, \"cpu_s\": 0.5, \"saved_percent\": 12.5}", NULL, 0);
  PlabResultChartData chart = { .title = "Result",
                                .footer = "footer",
                                .result = result,
                                .demo = "chef",
                                .label_for = plab_demo_result_label_for };
  g_autofree char *chef = NULL;
  g_autofree char *own = NULL;

  chef = draw_words (&chart);
  assert_hides (chef, "mystery_count");
  assert_shows (chef, "CPU time spent");
  assert_shows (chef, "0.500 s");
  assert_shows (chef, "12.5%");
  assert_shows (chef, "tasks cooked");

  /* A recording of a program of one's own: nothing names its keys. */
  chart.demo = "my-program";
  own = draw_words (&chart);
  assert_shows (own, "mystery_count");
  assert_shows (own, "cpu_s");
  plab_json_free (result);
}

/* A run repeated three times: each number the repeats disagree on gets its
 * median and min-max under it, in the unit of its label; one they agree on,
 * and any number of a single run, gets none. */
static void
test_repeats_spread (void)
{
  PlabJson *runs[3] = {
    plab_json_parse ("{\"tasks\": 6, \"saved_percent\": 40, \"cpu_s\": 0.5}", NULL, 0),
    plab_json_parse ("{\"tasks\": 6, \"saved_percent\": 50, \"cpu_s\": 0.7}", NULL, 0),
    plab_json_parse ("{\"tasks\": 6, \"saved_percent\": 45}", NULL, 0),
  };
  PlabResultChartData chart = { .title = "Result",
                                .footer = "footer",
                                .result = runs[0],
                                .demo = "chef",
                                .label_for = plab_demo_result_label_for,
                                .repeats = (const PlabJson *const *)runs,
                                .n_repeats = 3 };
  g_autofree char *words = NULL;
  char text[160];

  g_assert_true (plab_result_chart_spread (&chart, "saved_percent", text, sizeof text));
  g_assert_cmpstr (text, ==, "median 45%, 40–50%");
  g_assert_true (plab_result_chart_spread (&chart, "cpu_s", text, sizeof text));
  g_assert_cmpstr (text, ==, "median 0.600 s, 0.500–0.700 s");
  g_assert_false (plab_result_chart_spread (&chart, "tasks", text, sizeof text));
  g_assert_false (plab_result_chart_spread (&chart, "nothing", text, sizeof text));
  words = draw_words (&chart);
  /* The script escapes the dash. */
  assert_shows (words, "median 45%, 40");
  assert_shows (words, "50%");
  assert_hides (words, "median 6");

  chart.n_repeats = 1;
  g_assert_false (plab_result_chart_spread (&chart, "saved_percent", text, sizeof text));
  for (int i = 0; i < 3; i++)
    plab_json_free (runs[i]);
}

static cairo_surface_t *
export_png (Fixture *fx, const char *name, PlabResultLabelFunc labels)
{
  g_autofree char *path = g_build_filename (fx->dir, name, NULL);
  PlabExportOptions options = { .kind = PLAB_CHART_RESULT,
                                .format = PLAB_CHART_FORMAT_PNG,
                                .path = path,
                                .result_labels = labels };
  char error[256] = "";
  cairo_surface_t *png;

  g_assert_cmpint (plab_chart_export_run (fx->store, 1, &options, error, sizeof error), ==, 0);
  png = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (png), ==, CAIRO_STATUS_SUCCESS);
  return png;
}

/* Bytes that differ between two images of one size. */
static gsize
count_differences (cairo_surface_t *a, cairo_surface_t *b)
{
  int h = cairo_image_surface_get_height (a), stride = cairo_image_surface_get_stride (a);
  const unsigned char *pa = cairo_image_surface_get_data (a);
  const unsigned char *pb = cairo_image_surface_get_data (b);
  gsize n = 0;

  g_assert_cmpint (cairo_image_surface_get_width (a), ==, cairo_image_surface_get_width (b));
  g_assert_cmpint (h, ==, cairo_image_surface_get_height (b));
  for (gsize i = 0; i < (gsize)h * (gsize)stride; i++)
    n += pa[i] != pb[i];
  return n;
}

static void
test_export (Fixture *fx, gconstpointer user_data)
{
  cairo_surface_t *labelled = export_png (fx, "labelled.png", plab_demo_result_label_for);
  cairo_surface_t *again = export_png (fx, "again.png", plab_demo_result_label_for);
  cairo_surface_t *raw = export_png (fx, "raw.png", NULL);

  /* The same drawing twice is the same picture; the labels change it. */
  g_assert_cmpuint (count_differences (labelled, again), ==, 0);
  g_assert_cmpuint (count_differences (labelled, raw), >, 1000);
  cairo_surface_destroy (labelled);
  cairo_surface_destroy (again);
  cairo_surface_destroy (raw);
}

/* What `plab show 1 ARGS` prints on the fixture's store. */
static char *
plab_show (Fixture *fx, const char *extra)
{
  const char *build = g_getenv ("PLAB_BUILD_DIR");
  g_autofree char *plab = g_build_filename (build ? build : "build", "app", "plab", NULL);
  const char *argv[] = { plab, "show", "1", "--db", fx->db, extra, NULL };
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

static void
test_show (Fixture *fx, gconstpointer user_data)
{
  g_autofree char *text = plab_show (fx, NULL);
  g_autofree char *json = plab_show (fx, "--json");

  assert_shows (text, "result      tasks cooked: 6\n");
  assert_shows (text, "time of the for loop, measured: ");
  assert_shows (text, "saved, the text's figure: 44.4%\n");
  assert_hides (text, "for_loop_s");
  assert_shows (json, "\"for_loop_s\"");
  assert_shows (json, "\"classic_saved_percent\"");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/plab/chart/result-labels/chef-in-words", test_chef_in_words);
  g_test_add_func ("/plab/chart/result-labels/unknown-hidden", test_unknown_hidden);
  g_test_add_func ("/plab/chart/result-labels/repeats-spread", test_repeats_spread);
  ADD ("/plab/chart/result-labels/export", test_export);
  ADD ("/plab/chart/result-labels/show", test_show);
#undef ADD
  return g_test_run ();
}
