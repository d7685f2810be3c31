/* plab-timeline-view.c: the timeline chart as an interactive widget. */
#include "plab-timeline-view.h"

#include "plab-chart-style.h"
#include "plab-widgets-private.h"

/* One wheel step zooms by this factor. */
#define SCROLL_ZOOM_STEP 1.25
/* One step of Shift+wheel, a horizontal wheel or an arrow key pans by this
 * share of the window. */
#define PAN_STEP 0.1
/* + and - zoom by this factor. */
#define KEY_ZOOM_STEP 2.0
/* The narrowest window: a microsecond across the whole plot. */
#define MIN_WINDOW_NS 1000
/* Fitting a span leaves this share of its length free on either side. */
#define FIT_MARGIN 0.05
/* Going to a search match shows it with this share of its length on either
 * side, so its neighbours show too. */
#define MATCH_MARGIN 0.25
/* The overview strip under the chart: its height in tick-size ems, the gap
 * above it, and the least height in pixels. */
#define OVERVIEW_EM 2.2
#define OVERVIEW_MIN_PX 18
#define OVERVIEW_GAP_PX 4
/* Room under the strip, so that its frame shows whole. */
#define OVERVIEW_BOTTOM_PX 3
/* A drag shorter than this many pixels is a click. */
#define CLICK_SLOP_PX 3
/* Flow arrows are drawn while each has PLAB_TIMELINE_FLOW_ARROW_MIN_PX of
 * the plot's width: more are a smear, until the user zooms in. */
/* The search bar's distance from the top right corner. */
#define SEARCH_MARGIN_PX 8

typedef enum
{
  DRAG_PAN,
  DRAG_SELECT,
  DRAG_OVERVIEW,
} DragMode;

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

  /* The overview strip: made for one data set, window and width; where it
   * was drawn last. */
  PlabTimelineOverview *overview;
  PlabRect overview_area;
  gboolean have_overview;

  /* Whether flow arrows (a put to the get of its item) are drawn. */
  gboolean show_flows;

  /* The selected time range and its statistics (NULL while none). */
  gboolean have_range;
  PlabTimeWindow range;
  PlabTimelineRangeStats *stats;

  /* Search: the spans matching, the one gone to last (-1: none yet). */
  GtkWidget *search_popover;
  GtkWidget *search_entry;
  GtkWidget *search_count;
  char *search_text; /* what the matches were found for */
  uint32_t *matches;
  long n_matches;
  long current_match;

  /* Gestures in progress */
  DragMode drag_mode;
  double drag_x, drag_y;
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

/* The overview of the whole run, made again when the data, the whole run
 * or the width changed. */
static const PlabTimelineOverview *
get_overview (PlabTimelineView *self, int n_cols)
{
  PlabTimeWindow full = full_window (self);

  if (self->overview != NULL)
    {
      PlabTimeWindow was = plab_timeline_overview_full (self->overview);

      if (was.start_ns == full.start_ns && was.end_ns == full.end_ns
          && plab_timeline_overview_n_cols (self->overview) == n_cols)
        return self->overview;
      g_clear_pointer (&self->overview, plab_timeline_overview_free);
    }
  self->overview = plab_timeline_overview_new (self->data, full, n_cols);
  return self->overview;
}

static void
plab_timeline_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  PlabTimelineView *self = PLAB_TIMELINE_VIEW (widget);
  PlabTimeWindow window = plab_timeline_view_get_window (self);
  PlabChartStyle style;
  double w, h, strip_h, chart_h;
  cairo_t *cr = _plab_chart_look_begin_frame (&self->look, widget, snapshot, &style, &w, &h);

  if (cr == NULL)
    return;
  if (self->data == NULL && self->look.placeholder != NULL)
    {
      _plab_draw_placeholder (cr, &style, self->look.placeholder, w, h);
      self->have_layout = FALSE;
      self->have_overview = FALSE;
      cairo_destroy (cr);
      return;
    }
  /* The overview strip takes the bottom of the widget when there is
   * something to show in it and room for it. */
  strip_h = MAX (OVERVIEW_MIN_PX, ceil (style.tick_size * OVERVIEW_EM));
  self->have_overview
      = self->data != NULL && plab_timeline_data_n_spans (self->data) > 0 && h > 4 * strip_h;
  chart_h = self->have_overview ? h - strip_h - OVERVIEW_GAP_PX : h;
  cairo_set_source_rgba (cr, style.background.r, style.background.g, style.background.b,
                         style.background.a);
  cairo_paint (cr);
  plab_timeline_chart_draw (cr, self->data, &window, &style, w, chart_h);
  plab_timeline_chart_layout (cr, self->data, &window, &style, w, chart_h, &self->layout);
  self->have_layout = TRUE;
  if (self->show_flows)
    plab_timeline_chart_draw_flows (cr, self->data, &self->layout, &style,
                                    (size_t)(self->layout.plot_w
                                             / PLAB_TIMELINE_FLOW_ARROW_MIN_PX));
  if (self->n_matches > 0)
    plab_timeline_chart_draw_matches (cr, self->data, &self->layout, &style, self->matches,
                                      (size_t)self->n_matches, self->current_match);
  if (self->have_range)
    plab_timeline_chart_draw_range (cr, self->data, &self->layout, &style, &self->range,
                                    self->stats);
  if (self->have_overview)
    {
      self->overview_area.x = self->layout.plot_x;
      self->overview_area.w = self->layout.plot_w;
      self->overview_area.y = h - strip_h;
      self->overview_area.h = strip_h - OVERVIEW_BOTTOM_PX;
      plab_timeline_overview_draw (cr, get_overview (self, MAX (1, (int)self->overview_area.w)),
                                   &style, &window, self->overview_area);
    }
  cairo_destroy (cr);
  if (self->search_popover != NULL && gtk_widget_get_visible (self->search_popover))
    gtk_widget_snapshot_child (widget, self->search_popover, snapshot);
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

/* Moves the window by @share of its length (negative: to the left). */
static void
pan_by (PlabTimelineView *self, double share)
{
  PlabTimeWindow w = plab_timeline_view_get_window (self);
  double shift = share * (double)(w.end_ns - w.start_ns);

  if (!self->zoomed)
    return;
  user_set_window (self, w.start_ns + shift, w.end_ns + shift);
}

/* The wheel zooms around the pointer, with or without Ctrl; Shift+wheel
 * and a horizontal wheel pan. */
static gboolean
scroll_cb (GtkEventControllerScroll *controller, double dx, double dy, PlabTimelineView *self)
{
  GdkModifierType state
      = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));

  if (dx != 0 || (state & GDK_SHIFT_MASK))
    {
      pan_by (self, (dx != 0 ? dx : dy) * PAN_STEP);
      return TRUE;
    }
  if (dy == 0)
    return FALSE;
  plab_timeline_view_zoom (self, pow (SCROLL_ZOOM_STEP, -dy), self->pointer_x);
  return TRUE;
}

/* Shows [@start, @end] with @margin of its length free on either side. */
static void
fit_time (PlabTimelineView *self, gint64 start, gint64 end, double margin)
{
  double d = (double)(end - start);

  user_set_window (self, start - d * margin, end + d * margin);
}

gboolean
plab_timeline_view_fit_span_at (PlabTimelineView *self, double x, double y)
{
  PlabEvent span;
  long index;

  g_return_val_if_fail (PLAB_IS_TIMELINE_VIEW (self), FALSE);

  if (self->data == NULL || !self->have_layout)
    return FALSE;
  index = plab_timeline_chart_hit_test (self->data, &self->layout, x, y);
  if (index < 0 || !plab_timeline_data_get_span (self->data, (size_t)index, &span))
    return FALSE;
  fit_time (self, span.start_ns, span.end_ns, FIT_MARGIN);
  return TRUE;
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint keyval,
                guint keycode,
                GdkModifierType state,
                PlabTimelineView *self)
{
  /* Ctrl with + and - belongs to the window's zoom actions. */
  gboolean plain = !(state & (GDK_CONTROL_MASK | GDK_ALT_MASK));

  if ((state & GDK_CONTROL_MASK) && (keyval == GDK_KEY_f || keyval == GDK_KEY_F))
    {
      plab_timeline_view_start_search (self);
      return TRUE;
    }
  if (!plain)
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_plus:
    case GDK_KEY_equal:
    case GDK_KEY_KP_Add:
      plab_timeline_view_zoom (self, KEY_ZOOM_STEP, self->pointer_x);
      return TRUE;
    case GDK_KEY_minus:
    case GDK_KEY_KP_Subtract:
      plab_timeline_view_zoom (self, 1 / KEY_ZOOM_STEP, self->pointer_x);
      return TRUE;
    case GDK_KEY_Left:
    case GDK_KEY_KP_Left:
      pan_by (self, -PAN_STEP);
      return TRUE;
    case GDK_KEY_Right:
    case GDK_KEY_KP_Right:
      pan_by (self, PAN_STEP);
      return TRUE;
    case GDK_KEY_Home:
    case GDK_KEY_KP_Home:
      plab_timeline_view_reset_zoom (self);
      return TRUE;
    case GDK_KEY_f:
      plab_timeline_view_set_show_flows (self, !self->show_flows);
      return TRUE;
    default:
      return FALSE;
    }
}

static void
click_pressed_cb (GtkGestureClick *gesture, int n_press, double x, double y, PlabTimelineView *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (n_press == 2)
    plab_timeline_view_fit_span_at (self, x, y);
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

static gboolean
in_overview (PlabTimelineView *self, double x, double y)
{
  return self->have_overview && y >= self->overview_area.y - OVERVIEW_GAP_PX
         && x >= self->overview_area.x - OVERVIEW_GAP_PX
         && x <= self->overview_area.x + self->overview_area.w + OVERVIEW_GAP_PX;
}

/* Centres the window at the time under x in the overview strip. */
static void
overview_move_to (PlabTimelineView *self, double x)
{
  PlabTimeWindow full = full_window (self);
  PlabTimeWindow w = plab_timeline_view_get_window (self);
  double t, half = (double)(w.end_ns - w.start_ns) / 2;

  if (!self->zoomed || self->overview_area.w <= 0)
    return;
  t = full.start_ns
      + CLAMP ((x - self->overview_area.x) / self->overview_area.w, 0.0, 1.0)
            * (double)(full.end_ns - full.start_ns);
  user_set_window (self, t - half, t + half);
}

static void
drag_begin_cb (GtkGestureDrag *gesture, double x, double y, PlabTimelineView *self)
{
  GdkModifierType state
      = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));

  self->drag_x = x;
  self->drag_y = y;
  self->drag_start_window = plab_timeline_view_get_window (self);
  if (in_overview (self, x, y))
    {
      self->drag_mode = DRAG_OVERVIEW;
      overview_move_to (self, x);
    }
  /* Shift+drag selects; so does a plain drag while the whole run is shown,
   * where there is nothing to pan. */
  else if ((state & GDK_SHIFT_MASK) || !self->zoomed)
    self->drag_mode = DRAG_SELECT;
  else
    self->drag_mode = DRAG_PAN;
}

static void
drag_update_cb (GtkGestureDrag *gesture, double dx, double dy, PlabTimelineView *self)
{
  PlabTimeWindow w = self->drag_start_window;
  double plot_w
      = self->have_layout ? self->layout.plot_w : gtk_widget_get_width (GTK_WIDGET (self));
  double shift;

  switch (self->drag_mode)
    {
    case DRAG_OVERVIEW:
      overview_move_to (self, self->drag_x + dx);
      return;
    case DRAG_SELECT:
      if (fabs (dx) < CLICK_SLOP_PX)
        return;
      g_clear_pointer (&self->stats, plab_timeline_range_stats_free);
      self->have_range = TRUE;
      self->range.start_ns = (gint64)time_at (self, self->drag_x);
      self->range.end_ns = (gint64)time_at (self, self->drag_x + dx);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    case DRAG_PAN:
    default:
      if (plot_w <= 0 || !self->zoomed)
        return;
      shift = -dx / plot_w * (double)(w.end_ns - w.start_ns);
      user_set_window (self, w.start_ns + shift, w.end_ns + shift);
    }
}

static void
drag_end_cb (GtkGestureDrag *gesture, double dx, double dy, PlabTimelineView *self)
{
  if (self->drag_mode != DRAG_SELECT)
    return;
  /* A click without a drag drops the selection. */
  if (fabs (dx) < CLICK_SLOP_PX)
    {
      plab_timeline_view_clear_range (self);
      return;
    }
  plab_timeline_view_select_range (self,
                                   &(PlabTimeWindow){ (gint64)time_at (self, self->drag_x),
                                                      (gint64)time_at (self, self->drag_x + dx) });
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

/* --- Range selection --- */

void
plab_timeline_view_select_range (PlabTimelineView *self, const PlabTimeWindow *range)
{
  PlabTimeWindow full;

  g_return_if_fail (PLAB_IS_TIMELINE_VIEW (self));
  g_return_if_fail (range != NULL);

  full = full_window (self);
  self->range.start_ns = CLAMP (MIN (range->start_ns, range->end_ns), full.start_ns, full.end_ns);
  self->range.end_ns = CLAMP (MAX (range->start_ns, range->end_ns), full.start_ns, full.end_ns);
  self->have_range = TRUE;
  g_clear_pointer (&self->stats, plab_timeline_range_stats_free);
  self->stats = plab_timeline_range_stats_new (self->data, self->range);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
plab_timeline_view_clear_range (PlabTimelineView *self)
{
  g_return_if_fail (PLAB_IS_TIMELINE_VIEW (self));

  if (!self->have_range)
    return;
  self->have_range = FALSE;
  g_clear_pointer (&self->stats, plab_timeline_range_stats_free);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const PlabTimelineRangeStats *
plab_timeline_view_get_range_stats (PlabTimelineView *self)
{
  g_return_val_if_fail (PLAB_IS_TIMELINE_VIEW (self), NULL);
  return self->have_range ? self->stats : NULL;
}

/* --- Search --- */

/* "3 of 12", "12 found", "no match", or "" while nothing is searched. */
static char *
search_status (PlabTimelineView *self)
{
  if (self->search_text == NULL || self->search_text[0] == '\0')
    return g_strdup ("");
  if (self->n_matches == 0)
    return g_strdup ("no match");
  if (self->current_match < 0)
    return g_strdup_printf ("%ld found", self->n_matches);
  return g_strdup_printf ("%ld of %ld", self->current_match + 1, self->n_matches);
}

static void
update_search_count (PlabTimelineView *self)
{
  g_autofree char *text = search_status (self);

  /* Gone once the view is disposed. */
  if (self->search_count != NULL)
    gtk_label_set_text (GTK_LABEL (self->search_count), text);
}

long
plab_timeline_view_search (PlabTimelineView *self, const char *text)
{
  /* @text may be the view's own search text, which is replaced below (and
   * by the entry's search-changed): search for a copy. */
  g_autofree char *wanted = g_strdup (text ? text : "");

  g_return_val_if_fail (PLAB_IS_TIMELINE_VIEW (self), 0);

  if (self->search_entry != NULL
      && g_strcmp0 (wanted, gtk_editable_get_text (GTK_EDITABLE (self->search_entry))) != 0)
    {
      /* Setting the entry's text searches again, through search-changed. */
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), wanted);
    }
  g_free (self->search_text);
  self->search_text = g_strdup (wanted);
  g_clear_pointer (&self->matches, g_free);
  self->n_matches = plab_timeline_data_find (self->data, wanted, &self->matches);
  if (self->n_matches < 0)
    self->n_matches = 0;
  self->current_match = -1;
  update_search_count (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return self->n_matches;
}

long
plab_timeline_view_next_match (PlabTimelineView *self, gboolean forward)
{
  PlabEvent span;

  g_return_val_if_fail (PLAB_IS_TIMELINE_VIEW (self), -1);

  if (self->n_matches <= 0)
    return -1;
  if (self->current_match < 0)
    self->current_match = forward ? 0 : self->n_matches - 1;
  else
    self->current_match
        = (self->current_match + (forward ? 1 : self->n_matches - 1)) % self->n_matches;
  if (plab_timeline_data_get_span (self->data, self->matches[self->current_match], &span))
    fit_time (self, span.start_ns, span.end_ns, MATCH_MARGIN);
  update_search_count (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return (long)self->matches[self->current_match];
}

char *
plab_timeline_view_get_search_status (PlabTimelineView *self)
{
  g_return_val_if_fail (PLAB_IS_TIMELINE_VIEW (self), NULL);
  return search_status (self);
}

void
plab_timeline_view_start_search (PlabTimelineView *self)
{
  g_return_if_fail (PLAB_IS_TIMELINE_VIEW (self));

  if (self->search_popover == NULL)
    return;
  gtk_widget_set_visible (self->search_popover, TRUE);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
  gtk_widget_grab_focus (self->search_entry);
}

static void
search_changed_cb (GtkSearchEntry *entry, PlabTimelineView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  /* Set from code, it was searched for already. */
  if (g_strcmp0 (text, self->search_text) != 0)
    plab_timeline_view_search (self, text);
}

static void
search_activate_cb (GtkSearchEntry *entry, PlabTimelineView *self)
{
  plab_timeline_view_next_match (self, TRUE);
}

/* Escape closes the bar; the matches stay marked until the text is
 * cleared. */
static void
search_stop_cb (GtkSearchEntry *entry, PlabTimelineView *self)
{
  gtk_widget_set_visible (self->search_popover, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

/* Shift+Enter goes back; the entry itself only knows Enter. */
static gboolean
search_key_cb (GtkEventControllerKey *controller,
               guint keyval,
               guint keycode,
               GdkModifierType state,
               PlabTimelineView *self)
{
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter) && (state & GDK_SHIFT_MASK))
    {
      plab_timeline_view_next_match (self, FALSE);
      return TRUE;
    }
  if (keyval == GDK_KEY_Escape)
    {
      search_stop_cb (GTK_SEARCH_ENTRY (self->search_entry), self);
      return TRUE;
    }
  return FALSE;
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
  char flow_item[16] = "";
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
  if (span->flow != PLAB_FLOW_NONE)
    g_snprintf (flow_item, sizeof flow_item, "%d", (int)span->item);
  start = _plab_format_duration ((double)span->start_ns);
  duration = _plab_format_duration ((double)(span->end_ns - span->start_ns));

  return g_markup_printf_escaped ("<b>%s</b>%s%s\n%s\nstart %s · duration %s%s%s",
                                  plab_chart_span_kind_label (span->kind),
                                  span->label[0] ? " · " : "", span->label, worker, start,
                                  span->end_ns > span->start_ns ? duration : "instant",
                                  span->flow == PLAB_FLOW_PUT   ? "\nhands on item "
                                  : span->flow == PLAB_FLOW_GET ? "\ntakes item "
                                                                : "",
                                  flow_item);
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
plab_timeline_view_dispose (GObject *object)
{
  PlabTimelineView *self = PLAB_TIMELINE_VIEW (object);

  g_clear_pointer (&self->search_popover, gtk_widget_unparent);
  self->search_entry = NULL;
  self->search_count = NULL;
  G_OBJECT_CLASS (plab_timeline_view_parent_class)->dispose (object);
}

static void
plab_timeline_view_finalize (GObject *object)
{
  PlabTimelineView *self = PLAB_TIMELINE_VIEW (object);

  g_clear_pointer (&self->data, plab_timeline_data_free);
  g_clear_pointer (&self->lanes, g_array_unref);
  g_clear_pointer (&self->overview, plab_timeline_overview_free);
  g_clear_pointer (&self->stats, plab_timeline_range_stats_free);
  g_clear_pointer (&self->matches, g_free);
  g_clear_pointer (&self->search_text, g_free);
  _plab_chart_look_clear (&self->look);
  G_OBJECT_CLASS (plab_timeline_view_parent_class)->finalize (object);
}

/* The search bar sits at the top right, over the chart, at its natural size. */
static void
plab_timeline_view_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  PlabTimelineView *self = PLAB_TIMELINE_VIEW (widget);
  int min_w, nat_w, min_h, nat_h, w;

  if (self->search_popover == NULL || !gtk_widget_get_visible (self->search_popover))
    return;
  gtk_widget_measure (self->search_popover, GTK_ORIENTATION_HORIZONTAL, -1, &min_w, &nat_w, NULL,
                      NULL);
  w = CLAMP (nat_w, min_w, MAX (min_w, width - 2 * SEARCH_MARGIN_PX));
  gtk_widget_measure (self->search_popover, GTK_ORIENTATION_VERTICAL, w, &min_h, &nat_h, NULL,
                      NULL);
  gtk_widget_size_allocate (self->search_popover,
                            &(GtkAllocation){ MAX (0, width - w - SEARCH_MARGIN_PX),
                                              SEARCH_MARGIN_PX, w, nat_h },
                            -1);
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
  object_class->dispose = plab_timeline_view_dispose;
  object_class->finalize = plab_timeline_view_finalize;
  widget_class->snapshot = plab_timeline_view_snapshot;
  widget_class->size_allocate = plab_timeline_view_size_allocate;

  /* Emitted when the user zoomed or panned (not when the window was set by
   * code), so that a second view can follow without echoing back. */
  signals[WINDOW_CHANGED] = g_signal_new ("window-changed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_css_name (widget_class, "plabtimeline");
}

static void
plab_timeline_view_init (PlabTimelineView *self)
{
  GtkEventController *scroll, *motion, *key, *entry_key;
  GtkGesture *drag, *zoom, *click;

  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self), 320, 160);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), self);

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_focus_on_click (GTK_WIDGET (self), TRUE);
  self->current_match = -1;
  self->show_flows = TRUE;

  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
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
  g_signal_connect (drag, "drag-end", G_CALLBACK (drag_end_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  zoom = gtk_gesture_zoom_new ();
  g_signal_connect (zoom, "begin", G_CALLBACK (pinch_begin_cb), self);
  g_signal_connect (zoom, "scale-changed", G_CALLBACK (pinch_scale_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (zoom));

  click = gtk_gesture_click_new ();
  g_signal_connect (click, "pressed", G_CALLBACK (click_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  key = gtk_event_controller_key_new ();
  g_signal_connect (key, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);

  /* The search bar, shown by Ctrl+F: an entry and "3 of 12". */
  self->search_popover = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_add_css_class (self->search_popover, "toolbar");
  gtk_widget_add_css_class (self->search_popover, "osd");
  self->search_entry = gtk_search_entry_new ();
  gtk_editable_set_width_chars (GTK_EDITABLE (self->search_entry), 18);
  g_object_set (self->search_entry, "placeholder-text", "Find spans by label", NULL);
  self->search_count = gtk_label_new ("");
  gtk_label_set_width_chars (GTK_LABEL (self->search_count), 9);
  gtk_box_append (GTK_BOX (self->search_popover), self->search_entry);
  gtk_box_append (GTK_BOX (self->search_popover), self->search_count);
  gtk_widget_set_visible (self->search_popover, FALSE);
  gtk_widget_set_parent (self->search_popover, GTK_WIDGET (self));
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb), self);
  g_signal_connect (self->search_entry, "activate", G_CALLBACK (search_activate_cb), self);
  g_signal_connect (self->search_entry, "stop-search", G_CALLBACK (search_stop_cb), self);
  entry_key = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (entry_key, GTK_PHASE_CAPTURE);
  g_signal_connect (entry_key, "key-pressed", G_CALLBACK (search_key_cb), self);
  gtk_widget_add_controller (self->search_entry, entry_key);
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
  g_clear_pointer (&self->overview, plab_timeline_overview_free);
  /* The selection and the matches belong to the data shown: a live run's
   * keep theirs, counted again over the grown data. */
  if (!keep_window)
    plab_timeline_view_clear_range (self);
  else if (self->have_range)
    plab_timeline_view_select_range (self, &self->range);
  plab_timeline_view_search (self, self->search_text);
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

void
plab_timeline_view_set_show_flows (PlabTimelineView *self, gboolean show)
{
  g_return_if_fail (PLAB_IS_TIMELINE_VIEW (self));

  show = !!show;
  if (self->show_flows == show)
    return;
  self->show_flows = show;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
plab_timeline_view_get_show_flows (PlabTimelineView *self)
{
  g_return_val_if_fail (PLAB_IS_TIMELINE_VIEW (self), FALSE);
  return self->show_flows;
}
