/* plab-timeline-view.c: the timeline chart as an interactive widget. */
#include "plab-timeline-view.h"

#include "plab-chart-style.h"
#include "plab-widgets-private.h"

/* One Ctrl+scroll step zooms by this factor. */
#define SCROLL_ZOOM_STEP 1.25
/* The narrowest window: a microsecond across the whole plot. */
#define MIN_WINDOW_NS 1000

struct _PlabTimelineView
{
  GtkWidget parent_instance;

  /* Owned */
  PlabTimelineData *data;
  GArray *lanes; /* PlabLaneInfo */
  PlabChartLook look;

  /* The window when zoomed; when not, the whole run is shown. */
  gboolean zoomed;
  PlabTimeWindow window;
  gint64 min_duration_ns;

  /* The layout of the last frame, for hit tests. */
  PlabTimelineLayout layout;
  gboolean have_layout;

  /* Gestures in progress */
  PlabTimeWindow drag_start_window;
  PlabTimeWindow pinch_start_window;
  double pinch_x;
  double pointer_x; /* -1 when the pointer is elsewhere */
};

G_DEFINE_FINAL_TYPE (PlabTimelineView, plab_timeline_view, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_THEME = PLAB_CHART_LOOK_PROP_THEME,
  PROP_PLACEHOLDER = PLAB_CHART_LOOK_PROP_PLACEHOLDER,
  PROP_ZOOMED = PLAB_CHART_LOOK_N_PROPS,
  N_PROPS
};

enum
{
  WINDOW_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The whole run: from 0 to the later of the data's end and the minimum duration. */
static PlabTimeWindow
full_window (PlabTimelineView *self)
{
  PlabTimeWindow w = { 0, 0 };

  if (self->data != NULL)
    w = plab_timeline_data_extent (self->data);
  if (w.start_ns > 0)
    w.start_ns = 0;
  if (w.end_ns < self->min_duration_ns)
    w.end_ns = self->min_duration_ns;
  if (w.end_ns - w.start_ns < MIN_WINDOW_NS)
    w.end_ns = w.start_ns + MIN_WINDOW_NS;
  return w;
}

PlabTimeWindow
plab_timeline_view_get_window (PlabTimelineView *self)
{
  PlabTimeWindow none = { 0, 0 };

  g_return_val_if_fail (PLAB_IS_TIMELINE_VIEW (self), none);
  return self->zoomed ? self->window : full_window (self);
}

static void
plab_timeline_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  PlabTimelineView *self = PLAB_TIMELINE_VIEW (widget);
  PlabTimeWindow window = plab_timeline_view_get_window (self);
  PlabChartStyle style;
  double w, h;
  cairo_t *cr = _plab_chart_look_begin_frame (&self->look, widget, snapshot, &style, &w, &h);

  if (cr == NULL)
    return;
  if (self->data == NULL && self->look.placeholder != NULL)
    {
      _plab_draw_placeholder (cr, &style, self->look.placeholder, w, h);
      self->have_layout = FALSE;
      cairo_destroy (cr);
      return;
    }
  plab_timeline_chart_draw (cr, self->data, &window, &style, w, h);
  plab_timeline_chart_layout (cr, self->data, &window, &style, w, h, &self->layout);
  self->have_layout = TRUE;
  cairo_destroy (cr);
}

/* Sets the window from a user's gesture: clamped to the run, and announced. */
static void
user_set_window (PlabTimelineView *self, double start, double end)
{
  PlabTimeWindow full = full_window (self);
  double span = end - start;
  gboolean was_zoomed = self->zoomed;

  if (span < MIN_WINDOW_NS)
    {
      double mid = (start + end) / 2;
      span = MIN_WINDOW_NS;
      start = mid - span / 2;
    }
  if (span >= (double)(full.end_ns - full.start_ns))
    {
      self->zoomed = FALSE;
    }
  else
    {
      if (start < full.start_ns)
        start = full.start_ns;
      if (start + span > full.end_ns)
        start = full.end_ns - span;
      self->zoomed = TRUE;
      self->window.start_ns = (gint64)start;
      self->window.end_ns = (gint64)(start + span);
    }
  if (was_zoomed != self->zoomed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOMED]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[WINDOW_CHANGED], 0);
}

static double
time_at (PlabTimelineView *self, double x)
{
  PlabTimeWindow window = plab_timeline_view_get_window (self);
  double plot_x = self->have_layout ? self->layout.plot_x : 0;
  double plot_w
      = self->have_layout ? self->layout.plot_w : gtk_widget_get_width (GTK_WIDGET (self));

  if (plot_w <= 0)
    return window.start_ns;
  return window.start_ns + (x - plot_x) / plot_w * (double)(window.end_ns - window.start_ns);
}

void
plab_timeline_view_zoom (PlabTimelineView *self, double factor, double x)
{
  PlabTimeWindow window;
  double t, span, frac;

  g_return_if_fail (PLAB_IS_TIMELINE_VIEW (self));
  g_return_if_fail (factor > 0);

  window = plab_timeline_view_get_window (self);
  span = (double)(window.end_ns - window.start_ns);
  if (x < 0)
    t = window.start_ns + span / 2;
  else
    t = time_at (self, x);
  frac = span > 0 ? (t - window.start_ns) / span : 0.5;
  frac = CLAMP (frac, 0.0, 1.0);
  span /= factor;
  user_set_window (self, t - frac * span, t - frac * span + span);
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller, double dx, double dy, PlabTimelineView *self)
{
  GdkModifierType state
      = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));

  /* Plain scrolling belongs to whatever scrolls around the view. */
  if (!(state & GDK_CONTROL_MASK))
    return FALSE;
  plab_timeline_view_zoom (self, dy < 0 ? SCROLL_ZOOM_STEP : 1 / SCROLL_ZOOM_STEP, self->pointer_x);
  return TRUE;
}

static void
motion_cb (GtkEventControllerMotion *controller, double x, double y, PlabTimelineView *self)
{
  self->pointer_x = x;
}

static void
leave_cb (GtkEventControllerMotion *controller, PlabTimelineView *self)
{
  self->pointer_x = -1;
}

static void
drag_begin_cb (GtkGestureDrag *gesture, double x, double y, PlabTimelineView *self)
{
  self->drag_start_window = plab_timeline_view_get_window (self);
}

static void
drag_update_cb (GtkGestureDrag *gesture, double dx, double dy, PlabTimelineView *self)
{
  PlabTimeWindow w = self->drag_start_window;
  double plot_w
      = self->have_layout ? self->layout.plot_w : gtk_widget_get_width (GTK_WIDGET (self));
  double shift;

  if (plot_w <= 0 || !self->zoomed)
    return;
  shift = -dx / plot_w * (double)(w.end_ns - w.start_ns);
  user_set_window (self, w.start_ns + shift, w.end_ns + shift);
}

static void
pinch_begin_cb (GtkGesture *gesture, GdkEventSequence *sequence, PlabTimelineView *self)
{
  double x, y;

  self->pinch_start_window = plab_timeline_view_get_window (self);
  if (gtk_gesture_get_bounding_box_center (gesture, &x, &y))
    self->pinch_x = x;
  else
    self->pinch_x = gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
}

static void
pinch_scale_cb (GtkGestureZoom *gesture, double scale, PlabTimelineView *self)
{
  PlabTimeWindow w = self->pinch_start_window;
  double plot_x = self->have_layout ? self->layout.plot_x : 0;
  double plot_w
      = self->have_layout ? self->layout.plot_w : gtk_widget_get_width (GTK_WIDGET (self));
  double span = (double)(w.end_ns - w.start_ns);
  double frac, t;

  if (scale <= 0 || plot_w <= 0)
    return;
  frac = CLAMP ((self->pinch_x - plot_x) / plot_w, 0.0, 1.0);
  t = w.start_ns + frac * span;
  span /= scale;
  user_set_window (self, t - frac * span, t - frac * span + span);
}

/* The summary of the lane in row @row: how busy it was, its tasks, and the
 * time it spent in each kind of wait. */
static char *
describe_lane (PlabTimelineView *self, int row)
{
  PlabLaneSummary sum;
  g_autofree char *run = NULL, *busy = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  int n_waits = 0;

  if (!plab_timeline_data_lane_summary (self->data, row, &sum))
    return NULL;
  if (sum.info.kind == PLAB_LANE_THREAD && sum.info.tid > 0)
    g_string_append_printf (text, " · tid %d", sum.info.tid);
  else if (sum.info.pid > 0)
    g_string_append_printf (text, " · pid %d", sum.info.pid);
  run = _plab_format_duration ((double)sum.run_ns);
  busy = _plab_format_duration ((double)sum.busy_ns);
  g_string_append_printf (text, "\nbusy %.0f%% of the run (%s of %s) · %zu task%s",
                          sum.busy_percent, busy, run, sum.n_tasks, sum.n_tasks == 1 ? "" : "s");
  for (int k = 0; k < PLAB_N_SPAN_KINDS; k++)
    {
      g_autofree char *t = NULL;

      /* Waits: every kind but work and a worker's start and exit. */
      if (sum.kind_ns[k] <= 0 || k == PLAB_SPAN_TASK || k == PLAB_SPAN_SPAWN || k == PLAB_SPAN_EXIT)
        continue;
      t = _plab_format_duration ((double)sum.kind_ns[k]);
      g_string_append_printf (text, "%s%s %s", n_waits++ == 0 ? "\n" : " · ",
                              plab_timeline_data_kind_name (self->data, k), t);
    }
  if (n_waits == 0)
    g_string_append (text, "\nno waits");
  /* Names and labels come from the run: escaped for the tooltip's markup. */
  return g_markup_printf_escaped ("<b>%s</b>%s", sum.info.name[0] ? sum.info.name : "lane",
                                  text->str);
}

char *
plab_timeline_view_describe_at (PlabTimelineView *self, double x, double y)
{
  PlabEvent event;
  const PlabEvent *span = &event;
  g_autofree char *start = NULL, *duration = NULL;
  g_autofree char *worker = NULL;
  long index;

  g_return_val_if_fail (PLAB_IS_TIMELINE_VIEW (self), NULL);

  if (self->data == NULL || !self->have_layout)
    return NULL;
  index = plab_timeline_chart_hit_test (self->data, &self->layout, x, y);
  if (index < 0 || !plab_timeline_data_get_span (self->data, (size_t)index, &event))
    {
      /* No span here: over a lane's name or its idle time, the lane's
       * summary. */
      const PlabTimelineLayout *lay = &self->layout;
      double row = lay->lane_h > 0 ? floor ((y - lay->lanes_y) / lay->lane_h) : -1;

      if (x < lay->label_x || x > lay->plot_x + lay->plot_w || row < 0 || row >= lay->n_lanes)
        return NULL;
      return describe_lane (self, (int)row);
    }

  for (guint i = 0; self->lanes != NULL && i < self->lanes->len; i++)
    {
      const PlabLaneInfo *lane = &g_array_index (self->lanes, PlabLaneInfo, i);
      if (lane->lane == span->lane)
        {
          worker = lane->pid > 0 ? g_strdup_printf ("%s (pid %d)", lane->name, lane->pid)
                                 : g_strdup (lane->name);
          break;
        }
    }
  if (worker == NULL)
    worker = g_strdup_printf ("lane %d", span->lane);
  start = _plab_format_duration ((double)span->start_ns);
  duration = _plab_format_duration ((double)(span->end_ns - span->start_ns));

  return g_markup_printf_escaped ("<b>%s</b>%s%s\n%s\nstart %s · duration %s",
                                  plab_chart_span_kind_label (span->kind),
                                  span->label[0] ? " · " : "", span->label, worker, start,
                                  span->end_ns > span->start_ns ? duration : "instant");
}

static gboolean
query_tooltip_cb (GtkWidget *widget,
                  int x,
                  int y,
                  gboolean keyboard,
                  GtkTooltip *tooltip,
                  PlabTimelineView *self)
{
  g_autofree char *text = NULL;

  if (keyboard)
    return FALSE;
  text = plab_timeline_view_describe_at (self, x, y);
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_markup (tooltip, text);
  return TRUE;
}

static void
plab_timeline_view_finalize (GObject *object)
{
  PlabTimelineView *self = PLAB_TIMELINE_VIEW (object);

  g_clear_pointer (&self->data, plab_timeline_data_free);
  g_clear_pointer (&self->lanes, g_array_unref);
  _plab_chart_look_clear (&self->look);
  G_OBJECT_CLASS (plab_timeline_view_parent_class)->finalize (object);
}

static void
plab_timeline_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PlabTimelineView *self = PLAB_TIMELINE_VIEW (object);

  if (prop_id == PROP_ZOOMED)
    g_value_set_boolean (value, self->zoomed);
  else
    _plab_chart_look_get_property (&self->look, object, prop_id, value, pspec);
}

static void
plab_timeline_view_set_property (GObject *object,
                                 guint prop_id,
                                 const GValue *value,
                                 GParamSpec *pspec)
{
  _plab_chart_look_set_property (&PLAB_TIMELINE_VIEW (object)->look, object, prop_id, value, pspec);
}

static void
plab_timeline_view_class_init (PlabTimelineViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  properties[PROP_ZOOMED]
      = g_param_spec_boolean ("zoomed", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _plab_chart_look_class_init (object_class, properties, N_PROPS, plab_timeline_view_get_property,
                               plab_timeline_view_set_property);
  object_class->finalize = plab_timeline_view_finalize;
  widget_class->snapshot = plab_timeline_view_snapshot;

  /* Emitted when the user zoomed or panned (not when the window was set by
   * code), so that a second view can follow without echoing back. */
  signals[WINDOW_CHANGED] = g_signal_new ("window-changed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_css_name (widget_class, "plabtimeline");
}

static void
plab_timeline_view_init (PlabTimelineView *self)
{
  GtkEventController *scroll, *motion;
  GtkGesture *drag, *zoom;

  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self), 320, 160);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), self);

  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);

  self->pointer_x = -1;
  motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  drag = gtk_gesture_drag_new ();
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  zoom = gtk_gesture_zoom_new ();
  g_signal_connect (zoom, "begin", G_CALLBACK (pinch_begin_cb), self);
  g_signal_connect (zoom, "scale-changed", G_CALLBACK (pinch_scale_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (zoom));
}

GtkWidget *
plab_timeline_view_new (void)
{
  return g_object_new (PLAB_TYPE_TIMELINE_VIEW, NULL);
}

void
plab_timeline_view_take_data (PlabTimelineView *self, PlabTimelineData *data, gboolean keep_window)
{
  g_return_if_fail (PLAB_IS_TIMELINE_VIEW (self));

  if (self->data != data)
    g_clear_pointer (&self->data, plab_timeline_data_free);
  self->data = data;
  self->have_layout = FALSE;
  if (!keep_window && self->zoomed)
    {
      self->zoomed = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOMED]);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

PlabTimelineData *
plab_timeline_view_get_data (PlabTimelineView *self)
{
  g_return_val_if_fail (PLAB_IS_TIMELINE_VIEW (self), NULL);
  return self->data;
}

void
plab_timeline_view_set_lanes (PlabTimelineView *self, const PlabLaneInfo *lanes, gsize n_lanes)
{
  g_return_if_fail (PLAB_IS_TIMELINE_VIEW (self));

  g_clear_pointer (&self->lanes, g_array_unref);
  self->lanes = g_array_sized_new (FALSE, FALSE, sizeof (PlabLaneInfo), (guint)n_lanes);
  if (n_lanes > 0)
    g_array_append_vals (self->lanes, lanes, (guint)n_lanes);
}

void
plab_timeline_view_set_min_duration (PlabTimelineView *self, gint64 ns)
{
  g_return_if_fail (PLAB_IS_TIMELINE_VIEW (self));

  if (self->min_duration_ns == ns)
    return;
  self->min_duration_ns = ns;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
plab_timeline_view_set_window (PlabTimelineView *self, const PlabTimeWindow *window)
{
  PlabTimeWindow full;
  gboolean zoomed;

  g_return_if_fail (PLAB_IS_TIMELINE_VIEW (self));
  g_return_if_fail (window != NULL);

  full = full_window (self);
  zoomed = window->start_ns > full.start_ns || window->end_ns < full.end_ns;
  if (zoomed == self->zoomed
      && (!zoomed
          || (self->window.start_ns == window->start_ns && self->window.end_ns == window->end_ns)))
    return;
  self->window = *window;
  if (self->window.end_ns - self->window.start_ns < MIN_WINDOW_NS)
    self->window.end_ns = self->window.start_ns + MIN_WINDOW_NS;
  if (zoomed != self->zoomed)
    {
      self->zoomed = zoomed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOMED]);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
plab_timeline_view_reset_zoom (PlabTimelineView *self)
{
  g_return_if_fail (PLAB_IS_TIMELINE_VIEW (self));

  if (!self->zoomed)
    return;
  self->zoomed = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOMED]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[WINDOW_CHANGED], 0);
}

gboolean
plab_timeline_view_get_zoomed (PlabTimelineView *self)
{
  g_return_val_if_fail (PLAB_IS_TIMELINE_VIEW (self), FALSE);
  return self->zoomed;
}

void
plab_timeline_view_set_theme (PlabTimelineView *self, int theme)
{
  g_return_if_fail (PLAB_IS_TIMELINE_VIEW (self));
  g_return_if_fail (theme >= 0 && theme < PLAB_N_THEMES);

  _plab_chart_look_set_theme (&self->look, GTK_WIDGET (self), properties[PROP_THEME], theme);
}

int
plab_timeline_view_get_theme (PlabTimelineView *self)
{
  g_return_val_if_fail (PLAB_IS_TIMELINE_VIEW (self), PLAB_THEME_LIGHT);
  return self->look.theme;
}

void
plab_timeline_view_set_placeholder (PlabTimelineView *self, const char *text)
{
  g_return_if_fail (PLAB_IS_TIMELINE_VIEW (self));

  _plab_chart_look_set_placeholder (&self->look, GTK_WIDGET (self), properties[PROP_PLACEHOLDER],
                                    text);
}

gboolean
plab_timeline_view_get_layout (PlabTimelineView *self, PlabTimelineLayout *out)
{
  g_return_val_if_fail (PLAB_IS_TIMELINE_VIEW (self), FALSE);

  if (!self->have_layout)
    return FALSE;
  *out = self->layout;
  return TRUE;
}
