/* test-widget-timeline.c: the interactive timeline: tooltips, zoom, pan, live growth. */
#include "gui-test-util.h"
#include "plab-timeline-view.h"

#define MS 1000000

typedef struct
{
  GtkWidget *window;
  PlabTimelineView *view;
  int window_changed;
} Fixture;

static PlabTimelineData *
make_data (gint64 end_ns)
{
  PlabLaneInfo lanes[2]
      = { { .lane = 0, .kind = PLAB_LANE_MAIN, .pid = 100, .name = "main" },
          { .lane = 1, .kind = PLAB_LANE_PROCESS, .pid = 101, .name = "worker 1" } };
  PlabEvent spans[3] = {
    { .start_ns = 0,
      .end_ns = end_ns,
      .task_id = -1,
      .kind = PLAB_SPAN_WAIT,
      .lane = 0,
      .label = "map" },
    { .start_ns = 10 * MS,
      .end_ns = 60 * MS,
      .task_id = 7,
      .kind = PLAB_SPAN_TASK,
      .lane = 1,
      .label = "x=7" },
    { .start_ns = 70 * MS,
      .end_ns = 90 * MS,
      .task_id = -1,
      .kind = PLAB_SPAN_LOCK_WAIT,
      .lane = 1,
      .label = "" },
  };
  return plab_timeline_data_new (lanes, 2, spans, 3, NULL, 0);
}

static void
changed_cb (PlabTimelineView *view, Fixture *f)
{
  f->window_changed++;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  PlabLaneInfo lanes[2] = { { .lane = 0, .pid = 100, .name = "main" },
                            { .lane = 1, .pid = 101, .name = "worker 1" } };

  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 420);
  f->view = PLAB_TIMELINE_VIEW (plab_timeline_view_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->view));
  plab_timeline_view_set_lanes (f->view, lanes, 2);
  plab_timeline_view_take_data (f->view, make_data (100 * MS), FALSE);
  g_signal_connect (f->view, "window-changed", G_CALLBACK (changed_cb), f);
  gtk_window_present (GTK_WINDOW (f->window));
  gui_test_spin (200);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  gui_test_spin (20);
}

/* The point in the middle of time @t on lane @lane. */
static void
point_at (Fixture *f, double t, int lane, double *x, double *y)
{
  PlabTimelineLayout layout;

  g_assert_true (plab_timeline_view_get_layout (f->view, &layout));
  *x = plab_timeline_layout_x (&layout, t);
  *y = layout.lanes_y + (lane + 0.5) * layout.lane_h;
}

static void
test_tooltip_names_the_span (Fixture *f, gconstpointer data)
{
  g_autofree char *task = NULL;
  g_autofree char *wait = NULL;
  g_autofree char *nothing = NULL;
  double x, y;

  point_at (f, 35 * MS, 1, &x, &y);
  task = plab_timeline_view_describe_at (f->view, x, y);
  g_assert_nonnull (task);
  g_test_message ("%s", task);
  g_assert_nonnull (strstr (task, "task"));
  g_assert_nonnull (strstr (task, "x=7"));
  g_assert_nonnull (strstr (task, "worker 1 (pid 101)"));
  g_assert_nonnull (strstr (task, "start 10.0 ms"));
  g_assert_nonnull (strstr (task, "duration 50.0 ms"));

  point_at (f, 80 * MS, 1, &x, &y);
  wait = plab_timeline_view_describe_at (f->view, x, y);
  g_assert_nonnull (wait);
  g_assert_nonnull (strstr (wait, "lock wait"));

  /* Below the lanes there is nothing. */
  point_at (f, 65 * MS, 1, &x, &y);
  {
    PlabTimelineLayout layout;

    g_assert_true (plab_timeline_view_get_layout (f->view, &layout));
    nothing = plab_timeline_view_describe_at (f->view, x, layout.lanes_y + 2 * layout.lane_h + 2);
    g_assert_null (nothing);
  }
}

/* Between its spans, and over its name, a lane summarises itself: worker 1
 * works 50 of the run's 100 ms in one task and waits 20 ms for a lock; main
 * does no task and waits the whole run. */
static void
test_tooltip_sums_up_the_lane (Fixture *f, gconstpointer data)
{
  g_autofree char *worker = NULL;
  g_autofree char *main_lane = NULL;
  PlabTimelineLayout layout;
  double x, y;

  point_at (f, 65 * MS, 1, &x, &y);
  worker = plab_timeline_view_describe_at (f->view, x, y);
  g_assert_nonnull (worker);
  g_test_message ("%s", worker);
  g_assert_nonnull (strstr (worker, "<b>worker 1</b> · pid 101"));
  g_assert_nonnull (strstr (worker, "busy 50% of the run"));
  g_assert_nonnull (strstr (worker, "1 task\n"));
  g_assert_nonnull (strstr (worker, "lock wait 20.0 ms"));
  g_assert_null (strstr (worker, "waiting"));

  g_assert_true (plab_timeline_view_get_layout (f->view, &layout));
  main_lane = plab_timeline_view_describe_at (f->view, layout.label_x + 4,
                                              layout.lanes_y + layout.lane_h / 2);
  g_assert_nonnull (main_lane);
  g_test_message ("%s", main_lane);
  g_assert_nonnull (strstr (main_lane, "<b>main</b>"));
  g_assert_nonnull (strstr (main_lane, "busy 0% of the run"));
  g_assert_nonnull (strstr (main_lane, "0 tasks"));
  g_assert_nonnull (strstr (main_lane, "waiting 100.0 ms"));
}

static void
test_zoom_and_reset (Fixture *f, gconstpointer data)
{
  PlabTimeWindow w;
  double x, y;

  w = plab_timeline_view_get_window (f->view);
  g_assert_cmpint (w.start_ns, ==, 0);
  g_assert_cmpint (w.end_ns, ==, 100 * MS);
  g_assert_false (plab_timeline_view_get_zoomed (f->view));

  /* Zooming in around 35 ms keeps 35 ms under the pointer. */
  point_at (f, 35 * MS, 1, &x, &y);
  plab_timeline_view_zoom (f->view, 4.0, x);
  w = plab_timeline_view_get_window (f->view);
  g_assert_true (plab_timeline_view_get_zoomed (f->view));
  g_assert_cmpint (w.end_ns - w.start_ns, ==, 25 * MS);
  g_assert_cmpint (w.start_ns, <, 35 * MS);
  g_assert_cmpint (w.end_ns, >, 35 * MS);
  g_assert_cmpint (f->window_changed, ==, 1);
  gui_test_spin (50);

  /* Zooming out past the whole run shows the whole run. */
  plab_timeline_view_zoom (f->view, 0.01, -1);
  g_assert_false (plab_timeline_view_get_zoomed (f->view));
  w = plab_timeline_view_get_window (f->view);
  g_assert_cmpint (w.end_ns, ==, 100 * MS);

  /* A window set by code is clamped, not announced. */
  f->window_changed = 0;
  plab_timeline_view_set_window (f->view, &(PlabTimeWindow){ 20 * MS, 40 * MS });
  g_assert_true (plab_timeline_view_get_zoomed (f->view));
  g_assert_cmpint (f->window_changed, ==, 0);
  plab_timeline_view_reset_zoom (f->view);
  g_assert_false (plab_timeline_view_get_zoomed (f->view));
  g_assert_cmpint (f->window_changed, ==, 1);
}

static void
test_live_growth_keeps_zoom (Fixture *f, gconstpointer data)
{
  PlabTimeWindow w;

  /* A live run lasts at least the time elapsed, even before spans arrive. */
  plab_timeline_view_set_min_duration (f->view, 500 * MS);
  w = plab_timeline_view_get_window (f->view);
  g_assert_cmpint (w.end_ns, ==, 500 * MS);

  plab_timeline_view_set_window (f->view, &(PlabTimeWindow){ 10 * MS, 20 * MS });
  plab_timeline_view_take_data (f->view, make_data (800 * MS), TRUE);
  w = plab_timeline_view_get_window (f->view);
  g_assert_cmpint (w.start_ns, ==, 10 * MS);
  g_assert_cmpint (w.end_ns, ==, 20 * MS);

  /* New data that is not the same run resets the zoom. */
  plab_timeline_view_take_data (f->view, make_data (800 * MS), FALSE);
  plab_timeline_view_set_min_duration (f->view, 0);
  w = plab_timeline_view_get_window (f->view);
  g_assert_cmpint (w.end_ns, ==, 800 * MS);
  gui_test_spin (50);
}

/* The view's controller of type @type: the tests drive the real handlers. */
static GtkEventController *
find_controller (Fixture *f, GType type)
{
  g_autoptr (GListModel) list = gtk_widget_observe_controllers (GTK_WIDGET (f->view));

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr (GtkEventController) c = g_list_model_get_item (list, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (c, type))
        return c;
    }
  g_assert_not_reached ();
  return NULL;
}

static gboolean
scroll (Fixture *f, double dx, double dy)
{
  gboolean handled = FALSE;

  g_signal_emit_by_name (find_controller (f, GTK_TYPE_EVENT_CONTROLLER_SCROLL), "scroll", dx, dy,
                         &handled);
  return handled;
}

static gboolean
press_key (Fixture *f, guint keyval)
{
  gboolean handled = FALSE;

  g_signal_emit_by_name (find_controller (f, GTK_TYPE_EVENT_CONTROLLER_KEY), "key-pressed", keyval,
                         0, (GdkModifierType)0, &handled);
  gui_test_spin (20);
  return handled;
}

/* The wheel zooms without a modifier, around the pointer; a horizontal
 * wheel pans; Home shows the whole run again. */
static void
test_wheel_zoom_and_home (Fixture *f, gconstpointer data)
{
  PlabTimeWindow before = plab_timeline_view_get_window (f->view), w, panned;
  double x, y;

  point_at (f, 35 * MS, 1, &x, &y);
  g_signal_emit_by_name (find_controller (f, GTK_TYPE_EVENT_CONTROLLER_MOTION), "motion", x, y);
  for (int i = 0; i < 3; i++)
    g_assert_true (scroll (f, 0, -1));
  gui_test_spin (50);
  w = plab_timeline_view_get_window (f->view);
  g_test_message ("after 3 wheel steps: %" G_GINT64_FORMAT " .. %" G_GINT64_FORMAT, w.start_ns,
                  w.end_ns);
  g_assert_true (plab_timeline_view_get_zoomed (f->view));
  g_assert_cmpint (w.end_ns - w.start_ns, <, (before.end_ns - before.start_ns) / 1.9);
  /* 35 ms stays under the pointer. */
  g_assert_cmpint (w.start_ns, <, 35 * MS);
  g_assert_cmpint (w.end_ns, >, 35 * MS);
  g_assert_cmpint (f->window_changed, ==, 3);

  /* A horizontal wheel moves the window, keeping its length. */
  g_assert_true (scroll (f, 1, 0));
  panned = plab_timeline_view_get_window (f->view);
  g_assert_cmpint (panned.start_ns, >, w.start_ns);
  g_assert_cmpint (panned.end_ns - panned.start_ns, ==, w.end_ns - w.start_ns);

  /* Wheel down zooms back out. */
  g_assert_true (scroll (f, 0, 1));
  g_assert_cmpint (plab_timeline_view_get_window (f->view).end_ns
                       - plab_timeline_view_get_window (f->view).start_ns,
                   >, w.end_ns - w.start_ns);

  g_assert_true (press_key (f, GDK_KEY_Home));
  g_assert_false (plab_timeline_view_get_zoomed (f->view));
  w = plab_timeline_view_get_window (f->view);
  g_assert_cmpint (w.start_ns, ==, before.start_ns);
  g_assert_cmpint (w.end_ns, ==, before.end_ns);
}

/* + and - zoom, the arrows pan a zoomed view. */
static void
test_keys_zoom_and_pan (Fixture *f, gconstpointer data)
{
  PlabTimeWindow w, right;

  g_assert_true (press_key (f, GDK_KEY_plus));
  w = plab_timeline_view_get_window (f->view);
  g_assert_cmpint (w.end_ns - w.start_ns, ==, 50 * MS);
  g_assert_true (press_key (f, GDK_KEY_Right));
  right = plab_timeline_view_get_window (f->view);
  g_assert_cmpint (right.start_ns, >, w.start_ns);
  g_assert_true (press_key (f, GDK_KEY_Left));
  g_assert_true (press_key (f, GDK_KEY_Left));
  g_assert_cmpint (plab_timeline_view_get_window (f->view).start_ns, <, right.start_ns);
  g_assert_true (press_key (f, GDK_KEY_minus));
  g_assert_false (plab_timeline_view_get_zoomed (f->view));
  /* An unknown key is left to others. */
  g_assert_false (press_key (f, GDK_KEY_q));
}

/* A double click on a span fits the window to it. */
static void
test_double_click_fits_span (Fixture *f, gconstpointer data)
{
  PlabTimeWindow w;
  double x, y;

  point_at (f, 80 * MS, 1, &x, &y);
  g_assert_true (plab_timeline_view_fit_span_at (f->view, x, y));
  w = plab_timeline_view_get_window (f->view);
  /* The lock wait, 70 to 90 ms, with a little room. */
  g_assert_cmpint (w.start_ns, <=, 70 * MS);
  g_assert_cmpint (w.start_ns, >, 65 * MS);
  g_assert_cmpint (w.end_ns, >=, 90 * MS);
  g_assert_cmpint (w.end_ns, <, 95 * MS);
}

/* A selected range counts its spans and busy time; the search marks and
 * goes to matches. */
static void
test_range_and_search (Fixture *f, gconstpointer data)
{
  const PlabTimelineRangeStats *st;
  g_autofree char *status = NULL;
  g_autofree char *status2 = NULL;
  PlabTimeWindow w;

  plab_timeline_view_select_range (f->view, &(PlabTimeWindow){ 50 * MS, 20 * MS });
  gui_test_spin (50);
  st = plab_timeline_view_get_range_stats (f->view);
  g_assert_nonnull (st);
  g_assert_cmpint (st->range.start_ns, ==, 20 * MS);
  g_assert_cmpint (st->lane_busy_ns[1], ==, 30 * MS);
  g_assert_cmpint (st->lane_busy_ns[0], ==, 0);
  g_assert_cmpuint (st->n_by_kind[PLAB_SPAN_TASK], ==, 1);
  g_assert_cmpuint (st->n_by_kind[PLAB_SPAN_WAIT], ==, 1);
  g_assert_cmpuint (st->n_by_kind[PLAB_SPAN_LOCK_WAIT], ==, 0);
  plab_timeline_view_clear_range (f->view);
  g_assert_null (plab_timeline_view_get_range_stats (f->view));

  g_assert_cmpint (plab_timeline_view_search (f->view, "X=7"), ==, 1);
  status = plab_timeline_view_get_search_status (f->view);
  g_assert_cmpstr (status, ==, "1 found");
  g_assert_cmpint (plab_timeline_view_next_match (f->view, TRUE), ==, 1);
  status2 = plab_timeline_view_get_search_status (f->view);
  g_assert_cmpstr (status2, ==, "1 of 1");
  w = plab_timeline_view_get_window (f->view);
  g_assert_cmpint (w.start_ns, <, 10 * MS);
  g_assert_cmpint (w.end_ns, >, 60 * MS);
  g_assert_cmpint (w.end_ns - w.start_ns, <, 100 * MS);
  gui_test_spin (50);
  g_assert_cmpint (plab_timeline_view_search (f->view, "nothing like it"), ==, 0);
  g_assert_cmpint (plab_timeline_view_next_match (f->view, TRUE), ==, -1);
}

static void
drag (Fixture *f, double x, double y, double dx)
{
  GtkEventController *c = find_controller (f, GTK_TYPE_GESTURE_DRAG);

  g_signal_emit_by_name (c, "drag-begin", x, y);
  g_signal_emit_by_name (c, "drag-update", dx, 0.0);
  g_signal_emit_by_name (c, "drag-end", dx, 0.0);
  gui_test_spin (50);
}

/* The overview strip lies under the chart: a drag in it moves a zoomed
 * window, keeping its length; a drag over the whole run selects a range. */
static void
test_overview_and_drag_select (Fixture *f, gconstpointer data)
{
  PlabTimelineLayout layout;
  PlabTimeWindow w;
  const PlabTimelineRangeStats *st;
  double x0, x1, y, strip_y;

  g_assert_true (plab_timeline_view_get_layout (f->view, &layout));
  /* The chart leaves room under it for the strip. */
  strip_y = gtk_widget_get_height (GTK_WIDGET (f->view)) - 6;
  g_assert_cmpfloat (layout.counters_y + layout.n_counters * layout.counter_h, <, strip_y);

  /* A plain drag over the whole run, from 20 to 50 ms on worker 1. */
  point_at (f, 20 * MS, 1, &x0, &y);
  point_at (f, 50 * MS, 1, &x1, &y);
  drag (f, x0, y, x1 - x0);
  g_assert_false (plab_timeline_view_get_zoomed (f->view));
  st = plab_timeline_view_get_range_stats (f->view);
  g_assert_nonnull (st);
  g_assert_cmpint (ABS (st->range.start_ns - 20 * MS), <, MS);
  g_assert_cmpint (ABS (st->range.end_ns - 50 * MS), <, MS);
  g_assert_cmpint (ABS (st->lane_busy_ns[1] - 30 * MS), <, 2 * MS);
  /* A click drops it. */
  drag (f, x0, y, 0);
  g_assert_null (plab_timeline_view_get_range_stats (f->view));

  /* Zoomed to 10 ms at the start, a press at 80% of the strip moves there. */
  plab_timeline_view_set_window (f->view, &(PlabTimeWindow){ 0, 10 * MS });
  gui_test_spin (50);
  g_assert_true (plab_timeline_view_get_layout (f->view, &layout));
  drag (f, layout.plot_x + 0.8 * layout.plot_w, strip_y, 0);
  w = plab_timeline_view_get_window (f->view);
  g_test_message ("after the strip: %" G_GINT64_FORMAT " .. %" G_GINT64_FORMAT, w.start_ns,
                  w.end_ns);
  g_assert_cmpint (w.end_ns - w.start_ns, ==, 10 * MS);
  g_assert_cmpint (w.start_ns, >, 70 * MS);
  g_assert_cmpint (w.end_ns, <, 90 * MS);
  /* Dragging in the strip carries the window along. */
  drag (f, layout.plot_x + 0.2 * layout.plot_w, strip_y, 0.1 * layout.plot_w);
  w = plab_timeline_view_get_window (f->view);
  g_assert_cmpint (w.start_ns, >, 20 * MS);
  g_assert_cmpint (w.end_ns, <, 40 * MS);
  g_assert_null (plab_timeline_view_get_range_stats (f->view));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gui_test_init ();

#define ADD(path, func) gui_test_add (path, Fixture, fixture_setup, func, fixture_teardown)

  ADD ("/plab/widget/timeline/tooltip-names-the-span", test_tooltip_names_the_span);
  ADD ("/plab/widget/timeline/tooltip-sums-up-the-lane", test_tooltip_sums_up_the_lane);
  ADD ("/plab/widget/timeline/zoom-and-reset", test_zoom_and_reset);
  ADD ("/plab/widget/timeline/live-growth-keeps-zoom", test_live_growth_keeps_zoom);
  ADD ("/plab/widget/timeline/wheel-zoom-and-home", test_wheel_zoom_and_home);
  ADD ("/plab/widget/timeline/keys-zoom-and-pan", test_keys_zoom_and_pan);
  ADD ("/plab/widget/timeline/double-click-fits-span", test_double_click_fits_span);
  ADD ("/plab/widget/timeline/range-and-search", test_range_and_search);
  ADD ("/plab/widget/timeline/overview-and-drag-select", test_overview_and_drag_select);
#undef ADD

  return g_test_run ();
}
