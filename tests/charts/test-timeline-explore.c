/* test-timeline-explore.c: exploring a recorded run's timeline.
 *
 * A real cars run is recorded by the plab program of this build into a
 * fresh store and loaded by the one chart loader. The questions the window
 * asks of it are answered again by SQL over the same SQLite file:
 *
 *   range-stats   busy time per lane, spans by kind and the longest task of
 *                 a time range equal the sums SQLite computes from the spans
 *                 table
 *   search        a search for a car's name finds the spans SQLite's LIKE
 *                 finds, by start time, and each label holds the name
 *   drawn         the range box and the overview strip paint pixels into a
 *                 real image
 *   flows         every car delivered is one flow, from the producer's
 *                 "build car N" to the consumer's "car N", put before get,
 *                 as many as the run's result says were delivered and as
 *                 the store holds gets; the arrows that cross the window
 *                 are drawn, none when they are too many
 */
#include <cairo.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "plab-chart-data.h"
#include "plab-chart-style.h"
#include "plab-store.h"
#include "plab-timeline-chart.h"
#include "tmp-test-util.h"

#define W 1200
#define H 700

typedef struct
{
  char *dir;
  char *db;
  PlabTimelineData *data;
  sqlite3 *sql;
  gint64 run_id;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer user_data)
{
  const char *build = g_getenv ("PLAB_BUILD_DIR");
  g_autofree char *plab = g_build_filename (build ? build : "build", "app", "plab", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  PlabStore *store = NULL;
  int status = 0;

  fx->dir = tmp_test_dir_new (NULL, &fx->db);
  {
    const char *argv[] = { plab, "run", "cars", "-b", "processes", "--db", fx->db, NULL };
    g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                                 &status, &error));
  }
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("plab run cars failed: %s", err);
  fx->run_id = 1;
  g_assert_cmpint (plab_store_open (fx->db, PLAB_STORE_READ_ONLY, &store), ==, 0);
  g_assert_cmpint (plab_timeline_data_load (store, fx->run_id, NULL, NULL, &fx->data), ==, 0);
  plab_store_close (store);
  g_assert_cmpint (sqlite3_open_v2 (fx->db, &fx->sql, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
}

static void
fixture_teardown (Fixture *fx, gconstpointer user_data)
{
  sqlite3_close (fx->sql);
  plab_timeline_data_free (fx->data);
  tmp_test_dir_free (fx->dir, fx->db);
}

/* One integer from @sql with ?1 = run id, ?2 = start, ?3 = end, ?4 = @extra. */
static gint64
query_int (Fixture *fx, const char *sql, gint64 start, gint64 end, gint64 extra)
{
  sqlite3_stmt *st = NULL;
  gint64 v = -1;

  if (sqlite3_prepare_v2 (fx->sql, sql, -1, &st, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (fx->sql));
  sqlite3_bind_int64 (st, 1, fx->run_id);
  sqlite3_bind_int64 (st, 2, start);
  sqlite3_bind_int64 (st, 3, end);
  sqlite3_bind_int64 (st, 4, extra);
  if (sqlite3_step (st) == SQLITE_ROW)
    v = sqlite3_column_int64 (st, 0);
  sqlite3_finalize (st);
  return v;
}

#define OVERLAPS                                                                                   \
  "((start_ns < ?3 AND end_ns > ?2) OR (start_ns = end_ns AND start_ns BETWEEN ?2 AND ?3))"

static void
check_range (Fixture *fx, gint64 start, gint64 end)
{
  PlabTimelineRangeStats *st
      = plab_timeline_range_stats_new (fx->data, (PlabTimeWindow){ end, start });
  gint64 busy_total = 0;
  size_t n_total = 0;

  g_assert_nonnull (st);
  g_assert_cmpint (st->range.start_ns, ==, start);
  g_assert_cmpint (st->n_lanes, ==, plab_timeline_data_n_lanes (fx->data));
  for (int row = 0; row < st->n_lanes; row++)
    {
      PlabLaneSummary sum;
      gint64 expect;

      g_assert_true (plab_timeline_data_lane_summary (fx->data, row, &sum));
      /* Tasks of one lane never overlap in cars, so the plain sum of the
       * clipped tasks is the lane's busy time. */
      expect = query_int (fx,
                          "SELECT COALESCE (SUM (MIN (end_ns, ?3) - MAX (start_ns, ?2)), 0)"
                          " FROM spans WHERE run_id = ?1 AND lane = ?4 AND kind = 0"
                          " AND start_ns < ?3 AND end_ns > ?2",
                          start, end, sum.info.lane);
      g_test_message ("%s: busy %" G_GINT64_FORMAT " ns (SQLite %" G_GINT64_FORMAT ")",
                      sum.info.name, st->lane_busy_ns[row], expect);
      g_assert_cmpint (st->lane_busy_ns[row], ==, expect);
      busy_total += expect;
    }
  /* The range is inside the run, where the consumers work. */
  g_assert_cmpint (busy_total, >, 0);
  for (int k = 0; k < PLAB_N_SPAN_KINDS; k++)
    {
      gint64 expect = query_int (fx,
                                 "SELECT COUNT (*) FROM spans WHERE run_id = ?1 AND kind = ?4"
                                 " AND " OVERLAPS,
                                 start, end, k);

      g_assert_cmpint ((gint64)st->n_by_kind[k], ==, expect);
      n_total += st->n_by_kind[k];
    }
  g_assert_cmpuint (st->n_spans, ==, n_total);
  g_assert_cmpuint (st->n_by_kind[PLAB_SPAN_TASK], >, 0);
  g_assert_cmpint (st->longest, >=, 0);
  g_assert_cmpint (st->longest_ns, ==,
                   query_int (fx,
                              "SELECT MAX (end_ns - start_ns) FROM spans WHERE run_id = ?1"
                              " AND kind = 0 AND " OVERLAPS,
                              start, end, 0));
  {
    PlabEvent e;
    char lines[16][PLAB_TIMELINE_STATS_LINE_MAX];
    size_t n = plab_timeline_range_stats_lines (fx->data, st, lines, 16);

    g_assert_cmpuint (n, >=, 4);
    for (size_t i = 0; i < n; i++)
      g_test_message ("%s", lines[i]);
    g_assert_nonnull (strstr (lines[0], "selected"));
    /* Which task is longest depends on the machine's load (a consumer's
     * car or the producer's build): the line names whichever it is. */
    g_assert_true (plab_timeline_data_get_span (fx->data, (size_t)st->longest, &e));
    g_assert_cmpint (e.kind, ==, PLAB_SPAN_TASK);
    g_assert_cmpint (e.end_ns - e.start_ns, ==, st->longest_ns);
    g_assert_nonnull (strstr (lines[n - 1], "longest: task "));
    g_assert_nonnull (strstr (lines[n - 1], e.label));
  }
  plab_timeline_range_stats_free (st);
}

static void
test_range_stats (Fixture *fx, gconstpointer user_data)
{
  PlabTimeWindow ext = plab_timeline_data_extent (fx->data);
  gint64 len = ext.end_ns - ext.start_ns;

  g_assert_cmpint (len, >, 0);
  check_range (fx, ext.start_ns + len * 3 / 10, ext.start_ns + len * 6 / 10);
  check_range (fx, ext.start_ns + len / 7, ext.start_ns + len / 5);
  check_range (fx, ext.start_ns, ext.end_ns);
}

static void
test_search (Fixture *fx, gconstpointer user_data)
{
  g_autofree uint32_t *found = NULL;
  long n = plab_timeline_data_find (fx->data, "fORd", &found);
  gint64 expect = query_int (fx,
                             "SELECT COUNT (*) FROM spans WHERE run_id = ?1"
                             " AND label LIKE '%ford%' AND ?2 = ?2 AND ?3 = ?3 AND ?4 = ?4",
                             0, 0, 0);
  gint64 last = G_MININT64;

  g_test_message ("%ld spans name a Ford (SQLite: %" G_GINT64_FORMAT ")", n, expect);
  g_assert_cmpint (n, >, 0);
  g_assert_cmpint (n, ==, expect);
  for (long i = 0; i < n; i++)
    {
      PlabEvent e;

      g_assert_true (plab_timeline_data_get_span (fx->data, found[i], &e));
      g_assert_nonnull (strstr (e.label, "Ford"));
      g_assert_cmpint (e.start_ns, >=, last);
      g_assert_cmpint (plab_timeline_data_span_row (fx->data, found[i]), >=, 0);
      last = e.start_ns;
    }
  g_clear_pointer (&found, g_free);
  g_assert_cmpint (plab_timeline_data_find (fx->data, "no car is called this", &found), ==, 0);
  g_assert_cmpint (plab_timeline_data_find (fx->data, "", &found), ==, 0);
}

static guint64
count_differences (cairo_surface_t *a, cairo_surface_t *b)
{
  int stride = cairo_image_surface_get_stride (a);
  const guint32 *pa = (const guint32 *)cairo_image_surface_get_data (a);
  const guint32 *pb = (const guint32 *)cairo_image_surface_get_data (b);
  guint64 n = 0;

  for (size_t i = 0; i < (size_t)stride / 4 * H; i++)
    n += pa[i] != pb[i];
  return n;
}

static cairo_surface_t *
render (Fixture *fx, gboolean explore)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  cairo_t *cr = cairo_create (surface);
  PlabTimeWindow ext = plab_timeline_data_extent (fx->data);
  PlabTimeWindow range = { ext.end_ns / 4, ext.end_ns / 2 };
  PlabTimeWindow visible = { ext.end_ns / 3, ext.end_ns / 2 };
  PlabChartStyle style;
  PlabTimelineLayout layout;

  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
  plab_timeline_chart_draw (cr, fx->data, NULL, &style, W, H - 40);
  plab_timeline_chart_layout (cr, fx->data, NULL, &style, W, H - 40, &layout);
  if (explore)
    {
      PlabTimelineRangeStats *st = plab_timeline_range_stats_new (fx->data, range);
      PlabTimelineOverview *ov = plab_timeline_overview_new (fx->data, ext, (int)layout.plot_w);

      plab_timeline_chart_draw_range (cr, fx->data, &layout, &style, &range, st);
      plab_timeline_overview_draw (cr, ov, &style, &visible,
                                   (PlabRect){ layout.plot_x, H - 36, layout.plot_w, 30 });
      plab_timeline_overview_free (ov);
      plab_timeline_range_stats_free (st);
    }
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  return surface;
}

static void
test_drawn (Fixture *fx, gconstpointer user_data)
{
  cairo_surface_t *plain = render (fx, FALSE);
  cairo_surface_t *explored = render (fx, TRUE);
  guint64 diff = count_differences (plain, explored);

  g_test_message ("%" G_GUINT64_FORMAT " pixels differ", diff);
  /* The shaded range alone covers about a quarter of the plot. */
  g_assert_cmpuint (diff, >, (guint64)W * H / 20);
  if (g_getenv ("PLAB_TEST_KEEP_PNG"))
    cairo_surface_write_to_png (explored, g_getenv ("PLAB_TEST_KEEP_PNG"));
  cairo_surface_destroy (plain);
  cairo_surface_destroy (explored);
}

static void
test_flows (Fixture *fx, gconstpointer user_data)
{
  size_t n = plab_timeline_data_n_flows (fx->data);
  gint64 delivered = query_int (fx,
                                "SELECT json_extract (result, '$.delivered_once') FROM runs"
                                " WHERE id = ?1 AND ?2 = ?2 AND ?3 = ?3 AND ?4 = ?4",
                                0, 0, 0);
  gint64 gets = query_int (fx,
                           "SELECT COUNT (*) FROM spans WHERE run_id = ?1 AND flow = 2"
                           " AND ?2 = ?2 AND ?3 = ?3 AND ?4 = ?4",
                           0, 0, 0);
  g_autofree gboolean *seen = NULL;
  gint64 last_put_end = G_MININT64;

  g_test_message ("%zu flows, %" G_GINT64_FORMAT " cars delivered", n, delivered);
  g_assert_cmpint (delivered, >, 0);
  g_assert_cmpint ((gint64)n, ==, delivered);
  g_assert_cmpint ((gint64)n, ==, gets);
  seen = g_new0 (gboolean, n);
  for (size_t i = 0; i < n; i++)
    {
      PlabTimelineFlow flow;
      PlabEvent put, get;
      char want[PLAB_LABEL_MAX];

      g_assert_true (plab_timeline_data_get_flow (fx->data, i, &flow));
      g_assert_true (plab_timeline_data_get_span (fx->data, flow.put, &put));
      g_assert_true (plab_timeline_data_get_span (fx->data, flow.get, &get));
      g_assert_cmpint (put.flow, ==, PLAB_FLOW_PUT);
      g_assert_cmpint (get.flow, ==, PLAB_FLOW_GET);
      g_assert_cmpint (put.item, ==, flow.item);
      g_assert_cmpint (get.item, ==, flow.item);
      g_assert_cmpint (flow.item, >=, 0);
      g_assert_cmpint (flow.item, <, (gint64)n);
      g_assert_false (seen[flow.item]);
      seen[flow.item] = TRUE;
      /* "build car 7: Fiat" on a producer's lane, "car 7: Fiat" on a
       * consumer's, and the car is got after it was put. */
      g_snprintf (want, sizeof want, "car %d:", flow.item);
      g_assert_true (g_str_has_prefix (put.label, "build "));
      g_assert_true (g_str_has_prefix (put.label + 6, want));
      g_assert_true (g_str_has_prefix (get.label, want));
      g_assert_cmpint (put.lane, !=, get.lane);
      g_assert_cmpint (put.end_ns, <=, get.start_ns);
      g_assert_cmpint (put.end_ns, >=, last_put_end);
      last_put_end = put.end_ns;
    }
  g_assert_false (plab_timeline_data_get_flow (fx->data, n, &(PlabTimelineFlow){ 0 }));

  {
    cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
    cairo_t *cr = cairo_create (surface);
    PlabChartStyle style;
    PlabTimelineLayout layout;
    PlabTimeWindow ext = plab_timeline_data_extent (fx->data);
    PlabTimeWindow part = { ext.end_ns / 4, ext.end_ns / 2 };

    plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
    plab_timeline_chart_layout (cr, fx->data, NULL, &style, W, H, &layout);
    g_assert_cmpuint (plab_timeline_chart_draw_flows (cr, fx->data, &layout, &style, G_MAXSIZE), ==,
                      n);
    /* More than the limit on screen: none. */
    g_assert_cmpuint (plab_timeline_chart_draw_flows (cr, fx->data, &layout, &style, 10), ==, 0);
    /* A quarter of the run shows only the flows that cross it. */
    plab_timeline_chart_layout (cr, fx->data, &part, &style, W, H, &layout);
    {
      size_t shown = plab_timeline_chart_draw_flows (cr, fx->data, &layout, &style, G_MAXSIZE);

      g_test_message ("%zu flows cross a quarter of the run", shown);
      g_assert_cmpuint (shown, >, 0);
      g_assert_cmpuint (shown, <, n);
    }
    cairo_destroy (cr);
    cairo_surface_destroy (surface);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/plab/timeline/explore/range-stats", test_range_stats);
  ADD ("/plab/timeline/explore/search", test_search);
  ADD ("/plab/timeline/explore/drawn", test_drawn);
  ADD ("/plab/timeline/explore/flows", test_flows);
#undef ADD
  return g_test_run ();
}
