/* plab-timeline-view.h: the timeline chart as an interactive widget.
 *
 * Draws a PlabTimelineData with plab_timeline_chart_draw () and adds what a
 * screen can do and a file cannot: the wheel (with or without Ctrl) and
 * pinch zoom around the pointer, Shift+wheel or a horizontal wheel pans,
 * dragging pans a zoomed view, a double click fits the span clicked, and
 * the keys +, -, Left, Right and Home zoom, pan and show the whole run. An
 * overview strip under the chart shows the whole run with the visible
 * window framed; a click or drag there moves the window. Shift+drag (or a
 * plain drag over the whole run) selects a time range and shows its
 * statistics; Ctrl+F searches span labels, Enter and Shift+Enter go from
 * match to match. Arrows link a put of an item to its get (F hides them). A tooltip names the span under the pointer (kind, label,
 * worker, start and duration). While a run is live the data is
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

/* Fits the window to the span at (x, y), as a double click does; FALSE
 * when there is none. */
gboolean plab_timeline_view_fit_span_at (PlabTimelineView *self, double x, double y);

/* Selects @range (clamped to the run) and counts its statistics, as a
 * Shift+drag does; clearing drops it. */
void plab_timeline_view_select_range (PlabTimelineView *self, const PlabTimeWindow *range);
void plab_timeline_view_clear_range (PlabTimelineView *self);

/* The statistics of the selected range; NULL when none is selected. Owned by
 * the view, valid until the selection or the data changes. */
const PlabTimelineRangeStats *plab_timeline_view_get_range_stats (PlabTimelineView *self);

/* Whether arrows link each put of an item to its get (the queue demos);
 * on by default, F toggles them. */
void plab_timeline_view_set_show_flows (PlabTimelineView *self, gboolean show);
gboolean plab_timeline_view_get_show_flows (PlabTimelineView *self);

/* Shows the search bar and focuses its entry (Ctrl+F). */
void plab_timeline_view_start_search (PlabTimelineView *self);

/* Marks the spans whose label contains @text, as typing in the search bar
 * does; returns how many. */
long plab_timeline_view_search (PlabTimelineView *self, const char *text);

/* Goes to the next (or previous) match and zooms to it, as Enter (Shift+Enter)
 * does: returns its span index, or -1 when nothing matches. */
long plab_timeline_view_next_match (PlabTimelineView *self, gboolean forward);

/* What the search bar says: "3 of 12", "12 found", "no match" or "". */
char *plab_timeline_view_get_search_status (PlabTimelineView *self);

G_END_DECLS
