/* test-load-timeline.c: the timeline's data set at the scale of a million
 * spans: built a batch at a time from a real run store, in less memory than
 * the events it came from, drawing what it was given.
 */
#include <cairo.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chart-test-util.h"
#include "load-test-util.h"
#include "plab-chart-data.h"
#include "plab-chart-export.h"
#include "plab-chart-style.h"
#include "plab-error.h"
#include "plab-timeline-chart.h"
#include "tmp-test-util.h"

#define W 1600
#define H 900
#define MILLION 1000000

/* A folder of its own for each test, with the path of a run store in it. */
typedef TmpTestFixture Fixture;

static cairo_surface_t *
render (const PlabTimelineData *data)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  cairo_t *cr = cairo_create (surface);
  PlabChartStyle style;

  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
  plab_timeline_chart_draw (cr, data, NULL, &style, W, H);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  return surface;
}

static gboolean
same_pixels (cairo_surface_t *a, cairo_surface_t *b)
{
  int stride = cairo_image_surface_get_stride (a);

  return stride == cairo_image_surface_get_stride (b)
         && memcmp (cairo_image_surface_get_data (a), cairo_image_surface_get_data (b),
                    (size_t)stride * H)
                == 0;
}

/* Events in scrambled order, fed in uneven batches with counter samples among
 * them, give the same data set as plab_timeline_data_new (): the same spans
 * at the same indices, and the same pixels. */
static void
test_builder_matches_new (void)
{
  enum
  {
    N = 50000
  };
  g_autofree PlabEvent *events = g_new0 (PlabEvent, N);
  PlabLaneInfo lanes[3];
  PlabTimelineData *whole, *batched;
  PlabTimelineBuilder *b;
  cairo_surface_t *sa, *sb;
  GRand *rand = g_rand_new_with_seed (7);
  size_t n_counters = 0;

  memset (lanes, 0, sizeof lanes);
  for (int i = 0; i < 3; i++)
    {
      lanes[i].lane = i;
      lanes[i].kind = i == 0 ? PLAB_LANE_MAIN : PLAB_LANE_PROCESS;
      g_snprintf (lanes[i].name, sizeof lanes[i].name, "lane %d", i);
    }
  for (int i = 0; i < N; i++)
    {
      gint64 start = g_rand_int_range (rand, 0, 1000000000);
      char label[32];

      if (i % 97 == 0)
        {
          events[i] = chart_test_event (0, PLAB_SPAN_COUNTER, start, start, i % 13, "busy workers");
          n_counters++;
          continue;
        }
      /* Half the labels recur, half are new. */
      g_snprintf (label, sizeof label, i % 2 ? "chunk %d" : "x=%d", i % 2 ? i % 5 : i);
      events[i] = chart_test_event (1 + i % 2, i % 11 == 0 ? PLAB_SPAN_LOCK_WAIT : PLAB_SPAN_TASK,
                                    start, start + g_rand_int_range (rand, 0, 5000000), i, label);
    }
  whole = plab_timeline_data_new (lanes, 3, events, N, NULL, 0);
  b = plab_timeline_builder_new (lanes, 3);
  for (size_t at = 0; at < N;)
    {
      size_t n = MIN ((size_t)g_rand_int_range (rand, 1, 3000), N - at);
      g_assert_cmpint (plab_timeline_builder_add (b, events + at, n), ==, 0);
      at += n;
    }
  batched = plab_timeline_builder_finish (b);
  g_assert_nonnull (whole);
  g_assert_nonnull (batched);

  g_assert_cmpuint (plab_timeline_data_n_spans (batched), ==, N - n_counters);
  g_assert_cmpuint (plab_timeline_data_n_spans (whole), ==, N - n_counters);
  for (size_t i = 0, j = 0; i < N; i++)
    {
      PlabEvent got;

      if (events[i].kind == PLAB_SPAN_COUNTER)
        continue;
      g_assert_true (plab_timeline_data_get_span (batched, j++, &got));
      g_assert_cmpint (got.start_ns, ==, events[i].start_ns);
      g_assert_cmpint (got.end_ns, ==, events[i].end_ns);
      g_assert_cmpint (got.task_id, ==, events[i].task_id);
      g_assert_cmpint (got.lane, ==, events[i].lane);
      g_assert_cmpint (got.kind, ==, events[i].kind);
      g_assert_cmpstr (got.label, ==, events[i].label);
    }
  g_assert_false (plab_timeline_data_get_span (batched, N, &(PlabEvent){ 0 }));

  sa = render (whole);
  sb = render (batched);
  g_assert_true (same_pixels (sa, sb));
  cairo_surface_destroy (sa);
  cairo_surface_destroy (sb);
  plab_timeline_data_free (whole);
  plab_timeline_data_free (batched);
  g_rand_free (rand);
}

/* A million spans with labels of their own take less than a PlabEvent each
 * (64 bytes): 32 for the span, 4 for its place in the index, the label once. */
static void
test_memory_per_span (void)
{
  enum
  {
    BATCH = 4096
  };
  PlabLaneInfo lanes[3];
  g_autofree PlabEvent *batch = g_new0 (PlabEvent, BATCH);
  PlabTimelineBuilder *b, *recurring;
  PlabTimelineData *data, *same_labels;
  double per_span, per_span_recurring;

  memset (lanes, 0, sizeof lanes);
  for (int i = 0; i < 3; i++)
    lanes[i].lane = i;
  b = plab_timeline_builder_new (lanes, 3);
  recurring = plab_timeline_builder_new (lanes, 3);
  for (gint64 at = 0; at < MILLION; at += BATCH)
    {
      for (int i = 0; i < BATCH; i++)
        {
          gint64 t = (at + i) * 1000;
          char label[32];

          g_snprintf (label, sizeof label, "x=%" G_GINT64_FORMAT, at + i);
          batch[i] = chart_test_event (1 + i % 2, PLAB_SPAN_TASK, t, t + 900, at + i, label);
        }
      g_assert_cmpint (plab_timeline_builder_add (b, batch, BATCH), ==, 0);
      for (int i = 0; i < BATCH; i++)
        g_strlcpy (batch[i].label, i % 3 ? "chunk" : "start", sizeof batch[i].label);
      g_assert_cmpint (plab_timeline_builder_add (recurring, batch, BATCH), ==, 0);
    }
  data = plab_timeline_builder_finish (b);
  same_labels = plab_timeline_builder_finish (recurring);
  g_assert_nonnull (data);
  g_assert_nonnull (same_labels);
  g_assert_cmpuint (plab_timeline_data_n_spans (data), >=, MILLION);

  per_span = (double)plab_timeline_data_memory (data) / plab_timeline_data_n_spans (data);
  per_span_recurring
      = (double)plab_timeline_data_memory (same_labels) / plab_timeline_data_n_spans (same_labels);
  g_test_message ("%.1f bytes a span with labels of their own, %.1f with recurring labels",
                  per_span, per_span_recurring);
  g_assert_cmpfloat (per_span, <, 52);
  /* A label that recurs is kept once. */
  g_assert_cmpfloat (per_span_recurring, <, per_span - 6);
  plab_timeline_data_free (data);
  plab_timeline_data_free (same_labels);
}

static bool
stop_after_first_cb (void *user_data)
{
  int *calls = user_data;
  return (*calls)++ == 0;
}

/* plab_timeline_data_load () reads a run of a real store a batch at a time:
 * the same spans, in the store's order, as plab_store_get_spans (); it stops
 * when asked to, and a missing run says so. */
static void
test_load_from_store (Fixture *f, gconstpointer data)
{
  gint64 run_id = load_test_write_run (f->db, "squares", 200000, 2);
  PlabStore *store = NULL;
  PlabEvent *spans = NULL;
  size_t n_spans = 0;
  PlabTimelineData *timeline = NULL;
  PlabRunRecord *run = NULL;
  int calls = 0;

  g_assert_cmpint (plab_store_open (f->db, PLAB_STORE_READ_ONLY, &store), ==, 0);
  g_assert_cmpint (plab_store_get_run (store, run_id, &run), ==, 0);
  g_assert_cmpint (plab_store_get_spans (store, run_id, 0, INT64_MAX, &spans, &n_spans), ==, 0);
  g_assert_cmpint (plab_timeline_data_load (store, run_id, NULL, NULL, &timeline), ==, 0);
  g_assert_nonnull (timeline);
  g_assert_cmpuint (n_spans, ==, (size_t)run->n_spans);
  g_assert_cmpuint (plab_timeline_data_n_spans (timeline), ==, n_spans);
  g_assert_cmpint (plab_timeline_data_n_lanes (timeline), ==, 3);
  for (size_t i = 0; i < n_spans; i += 997)
    {
      PlabEvent got;

      g_assert_true (plab_timeline_data_get_span (timeline, i, &got));
      g_assert_cmpint (got.start_ns, ==, spans[i].start_ns);
      g_assert_cmpint (got.end_ns, ==, spans[i].end_ns);
      g_assert_cmpint (got.lane, ==, spans[i].lane);
      g_assert_cmpstr (got.label, ==, spans[i].label);
    }
  plab_timeline_data_free (timeline);

  timeline = (PlabTimelineData *)&calls; /* must be reset to NULL */
  g_assert_cmpint (plab_timeline_data_load (store, run_id, stop_after_first_cb, &calls, &timeline),
                   ==, PLAB_ECANCELLED);
  g_assert_null (timeline);
  g_assert_cmpint (calls, ==, 2);
  g_assert_cmpint (plab_timeline_data_load (store, run_id + 100, NULL, NULL, &timeline), ==,
                   PLAB_ENOTFOUND);
  g_assert_null (timeline);

  plab_run_record_free (run);
  free (spans);
  plab_store_close (store);
}

/* A hundred thousand tasks of a microsecond inside one long span on the same
 * lane (a serial map): in the whole-run view they are far narrower than a
 * pixel, and the lower part of the bar still shows them in the task colour
 * over the long span's. */
static void
test_nested_density_shows (Fixture *f, gconstpointer data)
{
  gint64 run_id = load_test_write_run (f->db, "squares", 100000, 0);
  PlabStore *store = NULL;
  PlabTimelineData *timeline = NULL;
  PlabChartStyle style;
  PlabTimelineLayout layout;
  cairo_surface_t *surface;
  cairo_t *cr;
  const guint8 *pixels;
  int stride, task_pixels = 0, wait_pixels = 0;
  double upper_y, lower_y;
  PlabRgba task;

  g_assert_cmpint (plab_store_open (f->db, PLAB_STORE_READ_ONLY, &store), ==, 0);
  g_assert_cmpint (plab_timeline_data_load (store, run_id, NULL, NULL, &timeline), ==, 0);
  plab_store_close (store);

  surface = render (timeline);
  cr = cairo_create (surface);
  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
  plab_timeline_chart_layout (cr, timeline, NULL, &style, W, H, &layout);
  cairo_destroy (cr);
  g_assert_cmpint (layout.n_lanes, ==, 1);

  /* The test tells task pixels by their blue: the palette's task colour is blue. */
  task = plab_chart_style_span_colour (&style, PLAB_SPAN_TASK);
  g_assert_cmpfloat (task.b, >, task.r + 0.3);
  pixels = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  /* The upper quarter of the bar is the long span; the lower quarter holds
   * the tasks nested in it. */
  upper_y = layout.lanes_y + layout.lane_h * 0.3;
  lower_y = layout.lanes_y + layout.lane_h * 0.7;
  for (int x = (int)layout.plot_x + 20; x < (int)(layout.plot_x + layout.plot_w) - 20; x++)
    {
      const guint8 *lo = pixels + (size_t)lower_y * stride + x * 4;
      const guint8 *up = pixels + (size_t)upper_y * stride + x * 4;
      /* ARGB32 in native order: blue, green, red. A task pixel is the task
       * colour at any density step (bluish), a wait pixel grey. */
      if (lo[0] > lo[2] + 40)
        task_pixels++;
      if (abs ((int)up[0] - (int)up[2]) < 12 && up[0] < 240)
        wait_pixels++;
    }
  g_test_message ("%d columns show tasks under the map span, %d show the map span", task_pixels,
                  wait_pixels);
  g_assert_cmpint (task_pixels, >, layout.plot_w * 0.8);
  g_assert_cmpint (wait_pixels, >, layout.plot_w * 0.8);
  cairo_surface_destroy (surface);
  plab_timeline_data_free (timeline);
}

/* Pixels of the label column (left of the plot) close to @colour. */
static int
label_pixels_like (cairo_surface_t *surface, const PlabTimelineLayout *layout, PlabRgba colour)
{
  const guint8 *pixels = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface), n = 0;

  for (int y = (int)layout->lanes_y; y < (int)(layout->lanes_y + layout->n_lanes * layout->lane_h);
       y++)
    for (int x = 0; x < (int)layout->plot_x; x++)
      {
        const guint8 *p = pixels + (size_t)y * stride + x * 4;
        if (abs (p[2] - (int)(colour.r * 255)) < 40 && abs (p[1] - (int)(colour.g * 255)) < 40
            && abs (p[0] - (int)(colour.b * 255)) < 40)
          n++;
      }
  return n;
}

/* A lane whose buffer overflowed says so beside its name, in the warning
 * colour: a timeline missing events must not look complete. */
static void
test_lost_events_are_named (void)
{
  PlabLaneInfo lanes[2];
  PlabEvent spans[2];
  PlabTimelineData *complete, *lossy;
  PlabChartStyle style;
  PlabTimelineLayout layout;
  cairo_surface_t *a, *b;
  cairo_t *cr;
  int warning_a, warning_b;

  memset (lanes, 0, sizeof lanes);
  for (int i = 0; i < 2; i++)
    {
      lanes[i].lane = i;
      lanes[i].pid = 4242;
      lanes[i].kind = PLAB_LANE_PROCESS;
      g_snprintf (lanes[i].name, sizeof lanes[i].name, "worker %d", i);
    }
  spans[0] = chart_test_event (0, PLAB_SPAN_TASK, 0, 1000000, 0, "a");
  spans[1] = chart_test_event (1, PLAB_SPAN_TASK, 0, 1000000, 1, "b");
  complete = plab_timeline_data_new (lanes, 2, spans, 2, NULL, 0);
  lanes[1].dropped = 123456;
  lossy = plab_timeline_data_new (lanes, 2, spans, 2, NULL, 0);

  a = render (complete);
  b = render (lossy);
  cr = cairo_create (b);
  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
  plab_timeline_chart_layout (cr, lossy, NULL, &style, W, H, &layout);
  cairo_destroy (cr);
  warning_a = label_pixels_like (a, &layout, style.warning);
  warning_b = label_pixels_like (b, &layout, style.warning);
  g_test_message ("label pixels in the warning colour: %d without loss, %d with", warning_a,
                  warning_b);
  g_assert_cmpint (warning_a, ==, 0);
  g_assert_cmpint (warning_b, >, 30);
  cairo_surface_destroy (a);
  cairo_surface_destroy (b);
  plab_timeline_data_free (complete);
  plab_timeline_data_free (lossy);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/load/timeline/builder-matches-new", test_builder_matches_new);
  g_test_add_func ("/plab/load/timeline/memory-per-span", test_memory_per_span);
  g_test_add_func ("/plab/load/timeline/lost-events-are-named", test_lost_events_are_named);
  g_test_add ("/plab/load/timeline/load-from-store", Fixture, NULL, tmp_test_fixture_setup,
              test_load_from_store, tmp_test_fixture_teardown);
  g_test_add ("/plab/load/timeline/nested-density-shows", Fixture, NULL, tmp_test_fixture_setup,
              test_nested_density_shows, tmp_test_fixture_teardown);
  return g_test_run ();
}
