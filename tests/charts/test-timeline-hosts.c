/* test-timeline-hosts.c: the timeline of a run over several hosts.
 *
 * A store is written by hand (hosts-test-util.h) with the lanes an mpi run
 * over two hosts records (main, then "host:rank" lanes, dealt out round the
 * hosts as a host file may), a send on one host and its receive on the
 * other. It is read back by the one chart loader and drawn:
 *
 *   grouped    rank lanes come under main, by host then rank; each knows its
 *              host and group; a lane named like no rank is in no group
 *   drawn      the host column paints a band per host, each host's band
 *              unlike the other's and unlike the background, in the window's
 *              renderer and in exports alike
 *   arrows     the export draws the send-to-receive arrow the window draws
 *   no-hosts   a run of workers has no host column and keeps lane order
 *   interleaved  lanes built by hand in no order of host or rank (as ranks
 *              dealt round three hosts arrive): the chart puts them in one
 *              band per host, in rank order within a host, and every
 *              lane's row lies in its own host's band
 */
#include <cairo.h>
#include <glib.h>
#include <string.h>

#include "plab-chart-data.h"
#include "plab-chart-export.h"
#include "plab-chart-style.h"
#include "plab-store.h"
#include "plab-timeline-chart.h"
#include "hosts-test-util.h"
#include "tmp-test-util.h"

#define W 1280
#define H 720
#define MS HOSTS_TEST_MS

typedef struct
{
  char *dir;
  char *db;
  PlabTimelineData *data;
} Fixture;

/* Writes the run (hosts_test_write_run ()) and loads it. */
static void
write_run (Fixture *fx, const char *const *names, int n)
{
  PlabStore *store = NULL;
  gint64 id;

  fx->dir = tmp_test_dir_new ("plab-hosts-XXXXXX", &fx->db);
  id = hosts_test_write_run (fx->db, names, n);
  g_assert_cmpint (plab_store_open (fx->db, PLAB_STORE_READ_ONLY, &store), ==, 0);
  g_assert_cmpint (plab_timeline_data_load (store, id, NULL, NULL, &fx->data), ==, 0);
  plab_store_close (store);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  plab_timeline_data_free (fx->data);
  /* A run built by hand has no store. */
  if (fx->dir != NULL)
    tmp_test_dir_free (fx->dir, fx->db);
}

static void
test_grouped (Fixture *fx, gconstpointer data)
{
  const char *want_names[] = { "main", "plab-a:0", "plab-a:2", "plab-b:1", "plab-b:3" };
  const char *want_hosts[] = { NULL, "plab-a", "plab-a", "plab-b", "plab-b" };
  const int want_groups[] = { -1, 0, 0, 1, 1 };

  write_run (fx, hosts_test_two_hosts, 4);
  g_assert_cmpint (plab_timeline_data_n_lanes (fx->data), ==, 5);
  for (int row = 0; row < 5; row++)
    {
      PlabLaneSummary sum;
      char host[64] = "";

      g_assert_true (plab_timeline_data_lane_summary (fx->data, row, &sum));
      g_assert_cmpstr (sum.info.name, ==, want_names[row]);
      g_assert_cmpint (plab_timeline_data_lane_host (fx->data, row, host, sizeof host), ==,
                       want_groups[row]);
      if (want_hosts[row] != NULL)
        g_assert_cmpstr (host, ==, want_hosts[row]);
    }
  g_assert_cmpint (plab_timeline_data_lane_host (fx->data, 5, NULL, 0), ==, -1);
  /* The send on plab-b:1 (drawn at row 3) reaches the receive on plab-a:0 (row 1). */
  g_assert_cmpuint (plab_timeline_data_n_flows (fx->data), ==, 1);
}

/* The pixel at (@x, @y) of @surface, as 0xAARRGGBB. */
static guint32
pixel (cairo_surface_t *surface, int x, int y)
{
  unsigned char *bytes = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);

  return *(guint32 *)(bytes + (gsize)y * stride + (gsize)x * 4);
}

static cairo_surface_t *
render (Fixture *fx, gboolean export, PlabTimelineLayout *layout)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  cairo_t *cr = cairo_create (surface);
  PlabChartStyle style;
  PlabChartInput input = { .kind = PLAB_CHART_TIMELINE, .timeline = fx->data };

  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
  if (export)
    plab_chart_draw (cr, &input, &style, W, H);
  else
    plab_timeline_chart_draw (cr, fx->data, NULL, &style, W, H);
  plab_timeline_chart_layout (cr, fx->data, NULL, &style, W, H, layout);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  if (g_getenv ("PLAB_SCREENSHOT_DIR") != NULL && export)
    {
      g_autofree char *path
          = g_build_filename (g_getenv ("PLAB_SCREENSHOT_DIR"), "chart-timeline-hosts.png", NULL);
      g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
    }
  return surface;
}

static void
test_drawn (Fixture *fx, gconstpointer data)
{
  PlabTimelineLayout lay;
  cairo_surface_t *window, *export;
  guint32 background, band_a, band_b;
  int x, y_main, y_a, y_b;
  gsize differ = 0;

  write_run (fx, hosts_test_two_hosts, 4);
  window = render (fx, FALSE, &lay);
  g_assert_cmpfloat (lay.host_w, >, 4);
  g_assert_cmpfloat (lay.label_x, >=, lay.host_x + lay.host_w);
  g_assert_cmpfloat (lay.plot_x, >, lay.label_x);
  /* The band's edge, clear of the host name in its middle. */
  x = (int)(lay.host_x + 1);
  y_main = (int)(lay.lanes_y + 0.5 * lay.lane_h);
  y_a = (int)(lay.lanes_y + 1.1 * lay.lane_h);
  y_b = (int)(lay.lanes_y + 3.1 * lay.lane_h);
  background = pixel (window, x, y_main);
  band_a = pixel (window, x, y_a);
  band_b = pixel (window, x, y_b);
  g_test_message ("host column: main %08x, plab-a %08x, plab-b %08x", background, band_a, band_b);
  g_assert_cmpuint (band_a, !=, background);
  g_assert_cmpuint (band_b, !=, background);
  g_assert_cmpuint (band_a, !=, band_b);
  /* Both lanes of a host share its band. */
  g_assert_cmpuint (pixel (window, x, (int)(lay.lanes_y + 2.9 * lay.lane_h)), ==, band_a);

  /* The export is the window's picture plus the arrow, between the send's
   * end and the receive's start. */
  export = render (fx, TRUE, &lay);
  for (int y = 0; y < H; y++)
    for (int xx = 0; xx < W; xx++)
      if (pixel (window, xx, y) != pixel (export, xx, y))
        {
          double t = plab_timeline_layout_time (&lay, xx);

          differ++;
          g_assert_cmpfloat (t, >=, 60 * MS - 2 * (100.0 * MS / lay.plot_w) - 1e6);
          g_assert_cmpfloat (t, <=, 80 * MS + 1e6);
        }
  g_test_message ("%" G_GSIZE_FORMAT " pixels of arrow", differ);
  g_assert_cmpuint (differ, >, 50);
  cairo_surface_destroy (window);
  cairo_surface_destroy (export);
}

static void
test_no_hosts (Fixture *fx, gconstpointer data)
{
  static const char *const workers[] = { "worker-2", "worker-1" };
  PlabTimelineLayout lay;
  cairo_surface_t *surface;
  PlabLaneSummary sum;

  write_run (fx, workers, 2);
  g_assert_true (plab_timeline_data_lane_summary (fx->data, 1, &sum));
  g_assert_cmpstr (sum.info.name, ==, "worker-2");
  g_assert_cmpint (plab_timeline_data_lane_host (fx->data, 1, NULL, 0), ==, -1);
  surface = render (fx, FALSE, &lay);
  g_assert_cmpfloat (lay.host_w, ==, 0);
  cairo_surface_destroy (surface);
}

/* Ranks 0..5 dealt round two hosts, their lanes given in an order that is
 * neither: the grouping must come from the names alone. */
static void
test_interleaved (Fixture *fx, gconstpointer data)
{
  static const char *const given[]
      = { "plab-b:3", "plab-a:4", "plab-b:1", "plab-a:0", "plab-b:5", "plab-a:2" };
  static const char *const want[]
      = { "main", "plab-a:0", "plab-a:2", "plab-a:4", "plab-b:1", "plab-b:3", "plab-b:5" };
  PlabLaneInfo lanes[7];
  PlabTimelineBuilder *b;
  PlabTimelineLayout lay;
  cairo_surface_t *surface;
  cairo_t *cr;
  PlabChartStyle style;
  guint32 band[2] = { 0, 0 };

  memset (lanes, 0, sizeof lanes);
  for (int i = 0; i < 7; i++)
    {
      lanes[i].lane = i;
      lanes[i].kind = i == 0 ? PLAB_LANE_MAIN : PLAB_LANE_PROCESS;
      g_snprintf (lanes[i].name, sizeof lanes[i].name, "%s", i == 0 ? "main" : given[i - 1]);
    }
  b = plab_timeline_builder_new (lanes, 7);
  for (int i = 0; i < 7; i++)
    {
      PlabEvent ev = { .start_ns = 10 * MS,
                       .end_ns = (20 + 10 * i) * MS,
                       .task_id = i,
                       .kind = PLAB_SPAN_TASK,
                       .lane = (uint16_t)i,
                       .item = -1 };

      g_assert_cmpint (plab_timeline_builder_add (b, &ev, 1), ==, 0);
    }
  fx->data = plab_timeline_builder_finish (b);
  g_assert_nonnull (fx->data);

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  cr = cairo_create (surface);
  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
  plab_timeline_chart_draw (cr, fx->data, NULL, &style, W, H);
  plab_timeline_chart_layout (cr, fx->data, NULL, &style, W, H, &lay);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  g_assert_cmpfloat (lay.host_w, >, 4);

  g_assert_cmpint (plab_timeline_data_n_lanes (fx->data), ==, 7);
  for (int row = 0; row < 7; row++)
    {
      PlabLaneSummary sum;
      char host[64] = "";
      int group = plab_timeline_data_lane_host (fx->data, row, host, sizeof host);
      /* The edge of the host column in the middle of the row. */
      guint32 here
          = pixel (surface, (int)(lay.host_x + 1), (int)(lay.lanes_y + (row + 0.5) * lay.lane_h));

      g_assert_true (plab_timeline_data_lane_summary (fx->data, row, &sum));
      g_assert_cmpstr (sum.info.name, ==, want[row]);
      if (row == 0)
        {
          g_assert_cmpint (group, ==, -1);
          continue;
        }
      g_assert_cmpint (group, ==, row <= 3 ? 0 : 1);
      g_assert_true (g_str_has_prefix (sum.info.name, host));
      g_assert_cmpint (sum.info.name[strlen (host)], ==, ':');
      /* Each host's lanes share one band, unlike the other host's. */
      if (band[group] == 0)
        band[group] = here;
      g_assert_cmpuint (here, ==, band[group]);
    }
  g_test_message ("bands: plab-a %08x, plab-b %08x", band[0], band[1]);
  g_assert_cmpuint (band[0], !=, band[1]);
  g_assert_cmpuint (band[0], !=,
                    pixel (surface, (int)(lay.host_x + 1), (int)(lay.lanes_y + 0.5 * lay.lane_h)));
  cairo_surface_destroy (surface);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/plab/timeline-hosts/grouped", Fixture, NULL, NULL, test_grouped, fixture_teardown);
  g_test_add ("/plab/timeline-hosts/drawn", Fixture, NULL, NULL, test_drawn, fixture_teardown);
  g_test_add ("/plab/timeline-hosts/no-hosts", Fixture, NULL, NULL, test_no_hosts,
              fixture_teardown);
  g_test_add ("/plab/timeline-hosts/interleaved", Fixture, NULL, NULL, test_interleaved,
              fixture_teardown);
  return g_test_run ();
}
