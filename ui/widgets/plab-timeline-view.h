/* plab-timeline-view.h: the timeline chart as an interactive widget.
 *
 * Draws a PlabTimelineData with plab_timeline_chart_draw () and adds what a
 * screen can do and a file cannot: Ctrl+scroll and pinch zoom around the
 * pointer, dragging pans, and a tooltip names the span under the pointer
 * (kind, label, worker, start and duration). While a run is live the data is
 * replaced as it grows and the view follows the end of the run unless the
 * user has zoomed in.
 */
#pragma once

#include <gtk/gtk.h>

#include "plab-timeline-chart.h"

G_BEGIN_DECLS

#define PLAB_TYPE_TIMELINE_VIEW (plab_timeline_view_get_type ())
G_DECLARE_FINAL_TYPE (PlabTimelineView, plab_timeline_view, PLAB, TIMELINE_VIEW, GtkWidget)

GtkWidget *plab_timeline_view_new (void);

/* Takes @data (may be NULL). The zoom is kept when @keep_window is TRUE (a
 * live run growing), else reset to the whole run. */
void plab_timeline_view_take_data (PlabTimelineView *self,
                                   PlabTimelineData *data,
                                   gboolean keep_window);
PlabTimelineData *plab_timeline_view_get_data (PlabTimelineView *self);

/* The lanes, for tooltips that name the worker (copied). */
void plab_timeline_view_set_lanes (PlabTimelineView *self,
                                   const PlabLaneInfo *lanes,
                                   gsize n_lanes);

/* The whole view lasts at least @ns: a live run shows the time elapsed so far,
 * and two compared runs share one time scale. 0: the data's own extent. */
void plab_timeline_view_set_min_duration (PlabTimelineView *self, gint64 ns);

/* The window shown. */
PlabTimeWindow plab_timeline_view_get_window (PlabTimelineView *self);

/* Zooms to @window (clamped to the run). Does not emit window-changed. */
void plab_timeline_view_set_window (PlabTimelineView *self, const PlabTimeWindow *window);

/* Back to the whole run. */
void plab_timeline_view_reset_zoom (PlabTimelineView *self);
gboolean plab_timeline_view_get_zoomed (PlabTimelineView *self);

/* Zooms by @factor (> 1 zooms in) around the time at x = @x (-1: the middle). */
void plab_timeline_view_zoom (PlabTimelineView *self, double factor, double x);

/* Text shown while there is no data at all ("Press Run to watch the workers"). */
void plab_timeline_view_set_placeholder (PlabTimelineView *self, const char *text);

void plab_timeline_view_set_theme (PlabTimelineView *self, int theme);
int plab_timeline_view_get_theme (PlabTimelineView *self);

/* The layout of the last frame drawn; FALSE before the first one. */
gboolean plab_timeline_view_get_layout (PlabTimelineView *self, PlabTimelineLayout *out);

/* The tooltip text (markup) for the point (x, y): the span there; over a
 * lane's name or where it has no span, the lane's summary (busy share of
 * the run, tasks, time in each kind of wait); NULL elsewhere. */
char *plab_timeline_view_describe_at (PlabTimelineView *self, double x, double y);

G_END_DECLS
