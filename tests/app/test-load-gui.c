/* test-load-gui.c: the lab window opening a run of a million spans.
 *
 * A finished run is read from the store and indexed in a worker thread, so
 * the window keeps answering while that goes on. What is asserted is what
 * would be false if loading ran on the main thread: callbacks scheduled on
 * the main loop run while the run is still loading, and the loaded run is
 * the one asked for, whole. How long the main loop went without running is
 * reported, not asserted (a loaded 2-core machine decides that).
 */
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "gui-test-util.h"
#include "tmp-test-util.h"
#include "app-test-util.h"
#include "load-test-util.h"
#include "plab-application.h"
#include "plab-window-private.h"

#define BIG_RUN_SPANS 1000000
#define LOAD_TIMEOUT_MS 90000 /* only against hangs */
#define TICK_MS 5

typedef AppTestFixture Fixture;

static gint64
store_spans (Fixture *f, gint64 run_id)
{
  PlabStore *store = NULL;
  PlabRunRecord *run = NULL;
  gint64 n;

  g_assert_cmpint (plab_store_open (f->tmp.db, PLAB_STORE_READ_ONLY, &store), ==, 0);
  g_assert_cmpint (plab_store_get_run (store, run_id, &run), ==, 0);
  n = run->n_spans;
  plab_run_record_free (run);
  plab_store_close (store);
  return n;
}

/* What the main loop did while the window loaded. */
typedef struct
{
  PlabWindow *window;
  gboolean idle_ran;
  gboolean idle_saw_loading;
  AppTestWatch ticks; /* while it loads */
} LoopWatch;

static gboolean
idle_cb (gpointer data)
{
  LoopWatch *w = data;

  w->idle_ran = TRUE;
  w->idle_saw_loading = plab_window_is_loading (w->window);
  return G_SOURCE_REMOVE;
}

/* The window opens on the newest run, a million spans: it loads in a worker
 * thread while the main loop goes on, then shows every span of it. */
static void
test_million_spans_load_async (Fixture *f, gconstpointer data)
{
  gint64 t0, small_id, big_id;
  LoopWatch watch = { 0 };
  PlabTimelineData *timeline;
  guint tick;
  const char *status;

  small_id = load_test_write_run (f->tmp.db, "squares", 1000, 2);
  big_id = load_test_write_run (f->tmp.db, "squares", BIG_RUN_SPANS, 2);
  g_assert_cmpint (big_id, >, small_id);

  t0 = g_get_monotonic_time ();
  app_test_fixture_open (f);
  g_assert_true (plab_window_is_loading (f->window));
  status = gtk_label_get_text (f->window->status_label);
  g_test_message ("while loading: %s", status);
  g_assert_nonnull (strstr (status, "Loading run"));

  watch.window = watch.ticks.window = f->window;
  g_idle_add (idle_cb, &watch);
  tick = g_timeout_add (TICK_MS, app_test_watch_tick_cb, &watch.ticks);
  g_assert_true (gui_test_wait (app_test_loaded_cond, f->window, LOAD_TIMEOUT_MS));
  g_source_remove (tick);
  g_test_message ("loaded %d spans in %.2f s; the main loop ran %u times meanwhile, at most "
                  "%.0f ms apart",
                  BIG_RUN_SPANS, (g_get_monotonic_time () - t0) / 1e6, watch.ticks.ticks,
                  watch.ticks.max_gap_us / 1e3);

  /* The main loop was free while the run loaded. */
  g_assert_true (watch.idle_ran);
  g_assert_true (watch.idle_saw_loading);
  g_assert_cmpuint (watch.ticks.ticks, >=, 2);

  /* And the run shown is the big one, whole. */
  g_assert_cmpint (plab_window_get_shown_run (f->window), ==, big_id);
  timeline = plab_timeline_view_get_data (f->window->timeline_view);
  g_assert_nonnull (timeline);
  g_assert_cmpuint (plab_timeline_data_n_spans (timeline), ==, (gsize)store_spans (f, big_id));
  g_assert_cmpint (plab_timeline_data_n_lanes (timeline), ==, 3);
  status = gtk_label_get_text (f->window->status_label);
  g_assert_nonnull (strstr (status, "written by the load test"));

  gui_test_spin (200);
  {
    g_autoptr (GdkTexture) shot = gui_test_render (GTK_WIDGET (f->window));
    guint colours;
    double fraction;

    gui_test_texture_stats (shot, &colours, &fraction);
    g_assert_cmpuint (colours, >, 16);
  }
}

/* Picking a big run and then a small one shows the small one: the big load
 * is cancelled and its answer, whenever it comes, is dropped. Closing the
 * window while a big run loads is safe. */
static void
test_newer_selection_wins (Fixture *f, gconstpointer data)
{
  gint64 big_id, small_id;
  PlabTimelineData *timeline;

  big_id = load_test_write_run (f->tmp.db, "squares", BIG_RUN_SPANS / 2, 2);
  small_id = load_test_write_run (f->tmp.db, "squares", 2000, 2);
  app_test_fixture_open (f);
  g_assert_true (gui_test_wait (app_test_loaded_cond, f->window, LOAD_TIMEOUT_MS));
  g_assert_cmpint (plab_window_get_shown_run (f->window), ==, small_id);

  plab_history_list_select_run (f->window->history_list, big_id, FALSE);
  g_assert_true (plab_window_is_loading (f->window));
  gui_test_spin (20);
  plab_history_list_select_run (f->window->history_list, small_id, FALSE);
  g_assert_true (gui_test_wait (app_test_loaded_cond, f->window, LOAD_TIMEOUT_MS));
  /* Long enough for the cancelled load to have answered too. */
  gui_test_spin (1500);
  g_assert_cmpint (plab_window_get_shown_run (f->window), ==, small_id);
  timeline = plab_timeline_view_get_data (f->window->timeline_view);
  g_assert_nonnull (timeline);
  g_assert_cmpuint (plab_timeline_data_n_spans (timeline), ==, (gsize)store_spans (f, small_id));

  /* The window goes away in the middle of a big load. */
  plab_history_list_select_run (f->window->history_list, big_id, FALSE);
  g_assert_true (plab_window_is_loading (f->window));
  gui_test_spin (20);
  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = NULL;
  gui_test_spin (1500);
}

/* The runner's stream, as the window receives it: a run, its lanes, and
 * @n task spans in batches of a thousand (PLAB_PROGRESS_MAX_BATCH). */
static void
emit_live_run (PlabWindow *window, gint64 run_id, guint n)
{
  g_autofree PlabEvent *batch = g_new0 (PlabEvent, 1000);

  g_signal_emit_by_name (window->runner, "run-started", run_id, "squares", "threads", 2, (gint64)0);
  for (int l = 0; l <= 2; l++)
    {
      PlabLaneInfo lane;

      memset (&lane, 0, sizeof lane);
      lane.lane = l;
      lane.kind = l == 0 ? PLAB_LANE_MAIN : PLAB_LANE_THREAD;
      g_snprintf (lane.name, sizeof lane.name, l == 0 ? "main" : "worker %d", l);
      g_signal_emit_by_name (window->runner, "lane", &lane);
    }
  for (guint at = 0; at < n; at += 1000)
    {
      guint k = MIN (1000, n - at);

      for (guint i = 0; i < k; i++)
        {
          PlabEvent *e = &batch[i];

          memset (e, 0, sizeof *e);
          e->lane = (uint16_t)(1 + (at + i) % 2);
          e->kind = PLAB_SPAN_TASK;
          e->start_ns = (gint64)(at + i) * 600;
          e->end_ns = e->start_ns + 1000;
          e->task_id = at + i;
          g_snprintf (e->label, sizeof e->label, "x=%u", at + i);
        }
      g_signal_emit_by_name (window->runner, "events", batch, k);
    }
}

typedef struct
{
  PlabWindow *window;
  guint ticks_while_building;
} BuildWatch;

static gboolean
build_tick_cb (gpointer data)
{
  BuildWatch *w = data;

  if (w->window->live_building)
    w->ticks_while_building++;
  return G_SOURCE_CONTINUE;
}

static gboolean
building_cond (gpointer data)
{
  return ((PlabWindow *)data)->live_building;
}

static gboolean
live_spans_cond (gpointer data)
{
  PlabWindow *window = data;
  PlabTimelineData *timeline = plab_timeline_view_get_data (window->timeline_view);
  guint want = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (window), "want-spans"));

  return !window->live_building && timeline != NULL
         && plab_timeline_data_n_spans (timeline) == want;
}

/* A live run of a million spans: its timeline is rebuilt in a worker thread
 * while the main loop goes on, and shows every span received. A new run
 * starting while a build is in flight drops that build's answer. */
static void
test_live_million_spans (Fixture *f, gconstpointer data)
{
  BuildWatch watch = { 0 };
  guint tick;

  app_test_fixture_open (f);
  watch.window = f->window;
  tick = g_timeout_add (2, build_tick_cb, &watch);

  emit_live_run (f->window, 77, BIG_RUN_SPANS);
  g_object_set_data (G_OBJECT (f->window), "want-spans", GUINT_TO_POINTER (BIG_RUN_SPANS));
  g_assert_true (gui_test_wait (live_spans_cond, f->window, LOAD_TIMEOUT_MS));
  g_test_message ("the main loop ran %u times while the live data set was built",
                  watch.ticks_while_building);
  g_assert_cmpuint (watch.ticks_while_building, >=, 1);
  g_assert_cmpint (plab_timeline_data_n_lanes (
                       plab_timeline_view_get_data (f->window->timeline_view)),
                   ==, 3);

  /* Another big build starts; a new run begins before it is done. */
  emit_live_run (f->window, 78, BIG_RUN_SPANS / 2);
  g_assert_true (gui_test_wait (building_cond, f->window, LOAD_TIMEOUT_MS));
  emit_live_run (f->window, 79, 500);
  g_object_set_data (G_OBJECT (f->window), "want-spans", GUINT_TO_POINTER (500));
  g_assert_true (gui_test_wait (live_spans_cond, f->window, LOAD_TIMEOUT_MS));
  /* The dropped answer, had it been taken, would show 500000 spans now. */
  gui_test_spin (300);
  g_assert_cmpuint (plab_timeline_data_n_spans (
                        plab_timeline_view_get_data (f->window->timeline_view)),
                    ==, 500);
  g_source_remove (tick);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gui_test_init ();

#define ADD(path, func)                                                                            \
  gui_test_add (path, Fixture, app_test_fixture_setup, func, app_test_fixture_teardown)

  ADD ("/plab/load/gui/million-spans-load-async", test_million_spans_load_async);
  ADD ("/plab/load/gui/newer-selection-wins", test_newer_selection_wins);
  ADD ("/plab/load/gui/live-million-spans", test_live_million_spans);
#undef ADD

  return g_test_run ();
}
