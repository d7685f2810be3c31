/* test-result.c: the result chart, drawn from a demo's JSON result.
 *
 *   lines     a line figure, its CSV, and a result without a figure
 *   stacked   a stacked bar per category: segments in their span kinds'
 *             colours, series 0 at the bottom, heights in proportion to
 *             the values, every bar as tall as its total; its CSV
 *   bar-values side-by-side bars show their value above them only where it
 *             fits the bar's width: four series of eight bars show none at
 *             800 px, where they ran into each other, and all at 3200 px
 *   long-values a value too wide for the table's value column is shown
 *             whole on the lines under its label, where there is room, not
 *             cut with an ellipsis
 *   notes-fit  a figure, a long table, three long notes and a busy-machine
 *             footer: every note is drawn in full in the window's Result
 *             tab at 1280x720 and in default-size and 1280x720 exports
 *             (projector too), and nothing is drawn over the footer
 *   notes-counted where the notes cannot fit (a 640x360 export), a line
 *             counts those left out
 *   rows-fit  a figure and a table of 14 rows with long labels, as a
 *             1280x720 projector export and as the window's Result tab:
 *             every row is drawn whole and once, in order, or a line says
 *             how many are left out, and nothing is drawn over the footer
 */
#include <cairo.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
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

/* The columns of @surface, at or below row @from, that hold @colour: the
 * first column of each run of such columns goes into @starts (at most
 * @max), and the number of runs is returned. */
static int
colour_runs (cairo_surface_t *surface, int from, PlabRgba colour, int *starts, int max)
{
  int w = cairo_image_surface_get_width (surface), h = cairo_image_surface_get_height (surface);
  int n = 0;
  bool in_run = false;

  for (int x = 0; x < w; x++)
    {
      bool here = chart_test_count_colour (surface, x, from, 1, h - from, colour) > 0;

      if (here && !in_run && n < max)
        starts[n++] = x;
      in_run = here;
    }
  return n;
}

/* The first and last row of column @x, at or below row @from, in @colour,
 * and how many rows hold it. */
static int
colour_extent (cairo_surface_t *surface, int x, int from, PlabRgba colour, int *top, int *bottom)
{
  int h = cairo_image_surface_get_height (surface), n = 0;

  *top = h;
  *bottom = -1;
  for (int y = from; y < h; y++)
    if (chart_test_pixel_is (surface, x, y, colour))
      {
        n++;
        *top = MIN (*top, y);
        *bottom = MAX (*bottom, y);
      }
  return n;
}

static void
test_result_stacked (void)
{
  /* Two ranks: rank 0 computes 30 and waits 10, rank 1 the other way round. */
  PlabJson *j = plab_json_parse (
      "{\"figure\": {\"kind\": \"stacked\", \"title\": \"Where each rank's time went\", "
      "\"x_label\": \"rank\", \"y_label\": \"time (ms)\", "
      "\"categories\": [\"rank 0\", \"rank 1\"], \"series\": ["
      "{\"name\": \"computing\", \"span_kind\": \"task\", \"values\": [30, 10]}, "
      "{\"name\": \"collectives\", \"span_kind\": \"collective\", \"values\": [10, 30]}]}, "
      "\"sum\": 7}",
      NULL, 0);
  PlabResultChartData data = { "Result", "footer", j };
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1280, 720);
  cairo_t *cr = cairo_create (surface);
  PlabChartStyle style;
  PlabRgba task, coll;
  int task_runs[4], coll_runs[4], from = 720 / 4;
  int task_h[2], coll_h[2];

  g_assert_nonnull (j);
  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
  task = plab_chart_style_span_colour (&style, PLAB_SPAN_TASK);
  coll = plab_chart_style_span_colour (&style, PLAB_SPAN_COLLECTIVE);
  plab_chart_draw (cr, &(PlabChartInput){ .kind = PLAB_CHART_RESULT, .result = &data }, &style,
                   1280, 720);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  if (g_getenv ("PLAB_SCREENSHOT_DIR") != NULL)
    {
      g_autofree char *path
          = g_build_filename (g_getenv ("PLAB_SCREENSHOT_DIR"), "chart-result-stacked.png", NULL);
      g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
    }

  /* One bar per rank in each colour, below the legend: stacked, not side
   * by side, so both colours start at the same columns. */
  g_assert_cmpint (colour_runs (surface, from, task, task_runs, 4), ==, 2);
  g_assert_cmpint (colour_runs (surface, from, coll, coll_runs, 4), ==, 2);
  for (int i = 0; i < 2; i++)
    {
      int x = task_runs[i] + 2, t_top, t_bottom, c_top, c_bottom;

      g_assert_cmpint (abs (coll_runs[i] - task_runs[i]), <=, 1);
      task_h[i] = colour_extent (surface, x, from, task, &t_top, &t_bottom);
      coll_h[i] = colour_extent (surface, x, from, coll, &c_top, &c_bottom);
      g_test_message ("rank %d: computing %d px, collectives %d px", i, task_h[i], coll_h[i]);
      /* Computing (series 0) at the bottom, the collectives right on top. */
      g_assert_cmpint (c_bottom, <, t_top);
      g_assert_cmpint (t_top - c_bottom, <=, 2);
    }
  /* 30 against 10: three times as tall, within rounding; both bars 40 tall. */
  g_assert_cmpfloat (fabs (task_h[0] - 3.0 * coll_h[0]), <=, 4);
  g_assert_cmpfloat (fabs (coll_h[1] - 3.0 * task_h[1]), <=, 4);
  g_assert_cmpint (abs ((task_h[0] + coll_h[0]) - (task_h[1] + coll_h[1])), <=, 2);
  g_assert_cmpint (task_h[1], >, 20);

  /* The CSV lists each segment as a bar figure's value. */
  {
    char *csv = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&csv, &len);

    g_assert_cmpint (plab_result_chart_write_csv (&data, f), ==, 0);
    fclose (f);
    g_assert_nonnull (strstr (csv, "\nfigure,\"computing\",\"rank 1\",,,10\n"));
    g_assert_nonnull (strstr (csv, "\nfigure,\"collectives\",\"rank 1\",,,30\n"));
    free (csv);
  }

  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  plab_json_free (j);
}

/* Every string the renderer draws for @data at @width x @height in @theme. */
static GString *
drawn_text (const PlabResultChartData *data, double width, double height, PlabTheme theme)
{
  return chart_test_drawn_text (&(PlabChartInput){ .kind = PLAB_CHART_RESULT, .result = data },
                                width, height, theme);
}

/* How many times the renderer shows @text drawing @data at @width x 450. */
static int
times_shown (const PlabResultChartData *data, double width, const char *text)
{
  GString *words = drawn_text (data, width, 450, PLAB_THEME_LIGHT);
  int n = chart_test_count_in (words->str, text);

  g_string_free (words, TRUE);
  return n;
}

static void
test_result_bar_values (void)
{
  /* The futures demo's figure: four ways, eight tasks, every value 0.501. */
  GString *json = g_string_new ("{\"figure\": {\"kind\": \"bars\", \"categories\": [\"1\", "
                                "\"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\"], \"series\": [");
  PlabJson *j;

  for (int s = 0; s < 4; s++)
    g_string_append_printf (json,
                            "%s{\"name\": \"way %d\", \"values\": [0.501, 0.501, 0.501, "
                            "0.501, 0.501, 0.501, 0.501, 0.501]}",
                            s ? ", " : "", s);
  g_string_append (json, "]}}");
  j = plab_json_parse (json->str, NULL, 0);
  g_assert_nonnull (j);
  {
    PlabResultChartData data = { "Result", "footer", j };

    g_assert_cmpint (times_shown (&data, 800, "0.501"), ==, 0);
    g_assert_cmpint (times_shown (&data, 3200, "0.501"), ==, 32);
  }
  plab_json_free (j);
  g_string_free (json, TRUE);
}

static void
test_result_long_values (void)
{
  PlabJson *j = plab_json_parse ("{\"order\": \"2, 3, 1, 4, 5, 7, 6, 8, 10, 9, 12, 11\", "
                                 "\"figure\": {\"kind\": \"bars\", \"categories\": [\"a\"], "
                                 "\"series\": [{\"name\": \"s\", \"values\": [1]}]}}",
                                 NULL, 0);
  PlabResultChartData data = { "Result", "footer", j };

  g_assert_nonnull (j);
  /* Wrapped at its spaces where the table is narrow, never shortened: its
   * first and last numbers are drawn (the script keeps each line's text in
   * parentheses). */
  g_assert_cmpint (times_shown (&data, 800, "(2, 3, 1,"), ==, 1);
  g_assert_cmpint (times_shown (&data, 800, " 12,"), ==, 1);
  g_assert_cmpint (times_shown (&data, 800, "(11)") + times_shown (&data, 800, " 11)"), ==, 1);
  plab_json_free (j);
}

/* A result as full as the futures demo's on a busy machine: a bars figure
 * with a legend, nine rows, some with long values, three notes of two or
 * three lines each (the last word of each is its own), and a footer with
 * a busy-machine warning above its first line. */
static const char notes_fixture[]
    = "{\"slow squares\": 8, \"order apply gave them\": \"1, 2, 3, 4, 5, 6, 7, 8\", "
      "\"time of apply, one call after another\": 2.4, "
      "\"order as completed gave them\": \"2, 3, 1, 4, 5, 7, 8, 6\", "
      "\"pairs out of input order, as completed\": 4, "
      "\"time of the tasks submitted at once, as completed\": 1.2, "
      "\"order imap gave them\": \"1, 2, 3, 4, 5, 6, 7, 8\", "
      "\"order imap unordered gave them\": \"2, 3, 1, 4, 5, 7, 8, 6\", "
      "\"pairs out of input order, imap unordered\": 4, "
      "\"figure\": {\"kind\": \"bars\", \"title\": \"When each result arrived\", "
      "\"x_label\": \"task\", \"y_label\": \"seconds\", "
      "\"categories\": [\"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\"], "
      "\"series\": [{\"name\": \"apply\", \"values\": [0.5, 0.7, 0.8, 1.1, 1.5, 2.1, 2.3, 2.4]}, "
      "{\"name\": \"as_completed\", \"values\": [0.5, 0.2, 0.3, 0.6, 0.9, 1.2, 1.1, 1.2]}, "
      "{\"name\": \"imap\", \"values\": [0.5, 0.5, 0.5, 0.6, 0.9, 1.2, 1.2, 1.2]}, "
      "{\"name\": \"imap_unordered\", \"values\": [0.5, 0.2, 0.3, 0.6, 0.9, 1.2, 1.1, 1.2]}], "
      "\"notes\": [\"80 ns between one item and the next on a worker (the median): the "
      "hand-over, claiming the next chunk from the shared queue, amber\", "
      "\"apply took 2.40 s, the sum of the sleeps; as_completed 1.20 s, the tasks overlapping "
      "on the two workers, cobalt\", "
      "\"as_completed and imap_unordered hand results over as they finish; imap holds them back "
      "for input order, violet\"]}}";

static const char *const note_ends[] = { "amber)", "cobalt)", "violet)" };

#define NOTES_FOOTER                                                                               \
  "demo futures · tasks=8, unit_ms=100 · processes × 2 · vm (AMD EPYC, 2 CPUs)\n"              \
  "Other programs used 46% of the 2 CPUs during this run: times may be longer than on a quiet "    \
  "machine"

static cairo_surface_t *
draw_image (const PlabResultChartData *data, int width, int height, PlabTheme theme)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cairo_t *cr = cairo_create (surface);
  PlabChartStyle style;

  plab_chart_style_init (&style, theme, 1.0);
  plab_chart_draw (cr, &(PlabChartInput){ .kind = PLAB_CHART_RESULT, .result = data }, &style,
                   width, height);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  return surface;
}

/* Whether rows @from to the bottom of @a and @b hold the same pixels. */
static bool
same_rows (cairo_surface_t *a, cairo_surface_t *b, int from)
{
  int w = cairo_image_surface_get_width (a), h = cairo_image_surface_get_height (a);
  int stride = cairo_image_surface_get_stride (a);

  cairo_surface_flush (a);
  cairo_surface_flush (b);
  for (int y = from; y < h; y++)
    if (memcmp (cairo_image_surface_get_data (a) + y * stride,
                cairo_image_surface_get_data (b) + y * stride, w * 4)
        != 0)
      return false;
  return true;
}

/* Nothing of @data drawn at @width x @height over the footer: from its
 * hairline down, the chart is what the frame alone draws. In the frame
 * alone the body holds only a one-row table at its top, so the hairline is
 * the first ink in the lower half. */
static void
assert_footer_untouched (const PlabResultChartData *data, int width, int height, PlabTheme theme)
{
  PlabJson *plain = plab_json_parse ("{\"x\": 1}", NULL, 0);
  PlabResultChartData frame_only = *data;
  cairo_surface_t *full, *bare;
  PlabChartStyle style;
  int footer_top = height;

  g_assert_nonnull (plain);
  frame_only.result = plain;
  full = draw_image (data, width, height, theme);
  bare = draw_image (&frame_only, width, height, theme);
  plab_chart_style_init (&style, theme, 1.0);
  for (int y = height / 2; y < height && footer_top == height; y++)
    if (chart_test_count_ink (bare, 0, y, width, 1, style.background) > 0)
      footer_top = y;
  g_assert_cmpint (footer_top, <, height - 2 * style.small_size);
  g_assert_true (same_rows (full, bare, footer_top));
  cairo_surface_destroy (full);
  cairo_surface_destroy (bare);
  plab_json_free (plain);
}

static void
test_result_notes_fit (void)
{
  /* The Result tab of a 1280x720 window (the window's 11 pt text), a
   * default-size and a 1280x720 export, and both in the projector theme. */
  const struct
  {
    int width, height;
    double text_size;
    PlabTheme theme;
  } sizes[] = {
    { 577, 600, 14.67, PLAB_THEME_LIGHT },  { 1600, 900, 0, PLAB_THEME_LIGHT },
    { 1280, 720, 0, PLAB_THEME_LIGHT },     { 1600, 900, 0, PLAB_THEME_PROJECTOR },
    { 1280, 720, 0, PLAB_THEME_PROJECTOR },
  };
  PlabJson *j = plab_json_parse (notes_fixture, NULL, 0);

  g_assert_nonnull (j);
  for (size_t i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      PlabResultChartData data = { "Result", NOTES_FOOTER, j };
      int w = sizes[i].width, h = sizes[i].height;
      GString *words;

      g_test_message ("%d x %d, %s", w, h, plab_theme_name (sizes[i].theme));
      data.text_size = sizes[i].text_size;
      words = drawn_text (&data, w, h, sizes[i].theme);
      /* Every note in full: its last word drawn, nothing counted out. */
      for (size_t n = 0; n < G_N_ELEMENTS (note_ends); n++)
        g_assert_cmpint (chart_test_count_in (words->str, note_ends[n]), ==, 1);
      g_assert_cmpint (chart_test_count_in (words->str, "more note"), ==, 0);
      g_string_free (words, TRUE);

      assert_footer_untouched (&data, w, h, sizes[i].theme);
    }
  plab_json_free (j);
}

static void
test_result_notes_counted (void)
{
  PlabJson *j = plab_json_parse (notes_fixture, NULL, 0);
  PlabResultChartData data = { "Result", NOTES_FOOTER, j };
  GString *words;
  int shown = 0;

  g_assert_nonnull (j);
  /* A thumbnail has no room for the notes: those not drawn are counted
   * in a line of their own, never dropped unseen. */
  words = drawn_text (&data, 640, 360, PLAB_THEME_LIGHT);
  for (size_t n = 0; n < G_N_ELEMENTS (note_ends); n++)
    shown += chart_test_count_in (words->str, note_ends[n]);
  g_test_message ("%d of 3 notes shown", shown);
  g_assert_cmpint (shown, <, 3);
  if (shown == 0)
    g_assert_cmpint (chart_test_count_in (words->str, "(3 notes do not fit at this size)"), ==, 1);
  else
    {
      g_autofree char *line = g_strdup_printf ("(+%d more note", 3 - shown);

      g_assert_cmpint (chart_test_count_in (words->str, line), ==, 1);
    }
  g_string_free (words, TRUE);
  plab_json_free (j);
}

#define N_ROWS 14

static void
test_result_rows_fit (void)
{
  /* A 1280x720 projector export, and the Result tab of a 1280x720 window
   * (the window's 11 pt text). */
  const struct
  {
    int width, height;
    double text_size;
    PlabTheme theme;
  } sizes[] = {
    { 1280, 720, 0, PLAB_THEME_PROJECTOR },
    { 577, 600, 14.67, PLAB_THEME_LIGHT },
  };
  /* Fourteen rows, each label long enough to wrap in the table's column
   * and ending in a word of its own ("part7"), each value its own
   * ("v7x"), and a small figure. */
  GString *json = g_string_new ("{");
  PlabJson *j;

  for (int r = 1; r <= N_ROWS; r++)
    g_string_append_printf (json,
                            "\"what the lab measured for the stage of the work named part%d\": "
                            "\"v%dx\", ",
                            r, r);
  g_string_append (json, "\"figure\": {\"kind\": \"bars\", \"categories\": [\"a\", \"b\"], "
                         "\"series\": [{\"name\": \"s\", \"values\": [1, 2]}]}}");
  j = plab_json_parse (json->str, NULL, 0);
  g_assert_nonnull (j);
  for (size_t i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      PlabResultChartData data = { "Result", NOTES_FOOTER, j };
      int w = sizes[i].width, h = sizes[i].height, shown = 0;
      GString *words;

      data.text_size = sizes[i].text_size;
      words = drawn_text (&data, w, h, sizes[i].theme);
      /* The rows drawn are the first ones, each once and whole: its value
       * and the last word of its label. */
      for (int r = 1; r <= N_ROWS; r++)
        {
          g_autofree char *value = g_strdup_printf ("(v%dx)", r);
          g_autofree char *label_end = g_strdup_printf ("part%d)", r);
          int n = chart_test_count_in (words->str, value);

          g_assert_cmpint (n, <=, 1);
          g_assert_cmpint (chart_test_count_in (words->str, label_end), ==, n);
          if (n == 0)
            break;
          g_assert_cmpint (shown, ==, r - 1);
          shown++;
        }
      g_test_message ("%d x %d, %s: %d of %d rows shown", w, h, plab_theme_name (sizes[i].theme),
                      shown, N_ROWS);
      /* Those not drawn are counted, with the right number. */
      if (shown == N_ROWS)
        g_assert_cmpint (chart_test_count_in (words->str, "more row"), ==, 0);
      else if (shown == 0)
        g_assert_cmpint (chart_test_count_in (words->str, "(14 rows do not fit at this size)"), ==,
                         1);
      else
        {
          g_autofree char *line = g_strdup_printf ("(+%d more row%s)", N_ROWS - shown,
                                                   N_ROWS - shown == 1 ? "" : "s");

          g_assert_cmpint (chart_test_count_in (words->str, "more row"), ==, 1);
          g_assert_cmpint (chart_test_count_in (words->str, line), ==, 1);
        }
      g_string_free (words, TRUE);
      /* The count line is in the table's column, above the footer. */
      assert_footer_untouched (&data, w, h, sizes[i].theme);
      if (g_getenv ("PLAB_SCREENSHOT_DIR") != NULL)
        {
          g_autofree char *name = g_strdup_printf ("chart-result-rows-%dx%d.png", w, h);
          g_autofree char *path = g_build_filename (g_getenv ("PLAB_SCREENSHOT_DIR"), name, NULL);
          cairo_surface_t *surface = draw_image (&data, w, h, sizes[i].theme);

          g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
          cairo_surface_destroy (surface);
        }
    }
  plab_json_free (j);
  g_string_free (json, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/chart/result/lines", test_result_lines);
  g_test_add_func ("/plab/chart/result/stacked", test_result_stacked);
  g_test_add_func ("/plab/chart/result/bar-values", test_result_bar_values);
  g_test_add_func ("/plab/chart/result/long-values", test_result_long_values);
  g_test_add_func ("/plab/chart/result/notes-fit", test_result_notes_fit);
  g_test_add_func ("/plab/chart/result/notes-counted", test_result_notes_counted);
  g_test_add_func ("/plab/chart/result/rows-fit", test_result_rows_fit);
  return g_test_run ();
}
