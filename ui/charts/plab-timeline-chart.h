/* plab-timeline-chart.h: the timeline of one run.
 *
 * A lane per worker (and the main process) with its name and pid, time on x,
 * spans coloured by kind, task labels inside the spans wide enough to hold
 * them, counter tracks (queue depth, busy workers) under the lanes, and a
 * marker where a worker died.
 *
 * The data set is indexed once, when it is created, so that drawing a frame
 * costs about the number of pixel columns plus the spans wide enough to see,
 * not the number of spans:
 *
 * - Spans of each lane are grouped by duration class (durations in
 *   [2^c, 2^(c+1)) ns) and sorted by start within a class. A frame showing p
 *   ns per pixel draws the classes whose spans are at least p long one by
 *   one, finding the visible ones by binary search.
 * - Shorter spans merge into density bars: for every pixel column, the time
 *   covered by each kind. A per-lane pyramid of time bins (each level halves
 *   the resolution of the one below) gives those sums for the whole run in
 *   O(columns); when zoomed in further than its finest level, the few short
 *   spans in view are summed directly.
 *
 * A bar's height is the fraction of the column's time the lane was busy, its
 * colour the kind that covered most of it.
 */
#pragma once

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plab-chart-style.h"
#include "plab-trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PlabTimelineData PlabTimelineData;

/* A time window in nanoseconds since the run's origin: what the chart shows. */
typedef struct
{
  int64_t start_ns;
  int64_t end_ns;
} PlabTimeWindow;

/* Builds a data set from copies of @lanes, @spans (spans and instants, times
 * relative to the run's origin, in any order) and @counters (counter samples:
 * name in label, value in task_id). Counter samples found among @spans are
 * moved to the counters. Lanes named by spans but missing from @lanes get a
 * plain description. Returns NULL when out of memory. The caller keeps its
 * arrays. */
PlabTimelineData *plab_timeline_data_new (const PlabLaneInfo *lanes,
                                          size_t n_lanes,
                                          const PlabEvent *spans,
                                          size_t n_spans,
                                          const PlabEvent *counters,
                                          size_t n_counters);

void plab_timeline_data_free (PlabTimelineData *self);

/* Builds a data set from events given a batch at a time, as they are read
 * from a run store, so that nobody has to hold them all as PlabEvent first:
 * the data set keeps a span in 32 bytes plus its label once (a PlabEvent
 * takes 64). plab_timeline_data_new () is new, one add and finish. */
typedef struct PlabTimelineBuilder PlabTimelineBuilder;

/* Starts a data set with copies of @lanes. NULL when out of memory. */
PlabTimelineBuilder *plab_timeline_builder_new (const PlabLaneInfo *lanes, size_t n_lanes);

/* Adds @events: spans and instants, and counter samples (kind
 * PLAB_SPAN_COUNTER), in any order. Returns 0, or -1 when out of memory (the
 * builder then only awaits finish or free). */
int plab_timeline_builder_add (PlabTimelineBuilder *self, const PlabEvent *events, size_t n_events);

/* Adds spans still going (a live run's, PlabTraceSink's open callback): each
 * drawn from its start to @now_ns, and said to be open. Returns 0 or -1 as
 * above. */
int plab_timeline_builder_add_open (PlabTimelineBuilder *self,
                                    const PlabEvent *open,
                                    size_t n_open,
                                    int64_t now_ns);

/* What a lane did over an interval whose spans are not at hand (a live
 * stream left them out): the time they covered by kind, and how many of
 * each there were. */
typedef struct
{
  int lane;
  int64_t start_ns;
  int64_t end_ns;
  int64_t busy_ns[PLAB_N_SPAN_KINDS];
  int64_t count[PLAB_N_SPAN_KINDS];
} PlabTimelineCoverage;

/* Adds intervals of @coverage, drawn as density over their interval (as
 * spans shorter than a pixel are): a lane busy 90 % of one is drawn busy
 * 90 % of it, evenly. Intervals of lanes without spans or given lanes are
 * left out. Returns 0 or -1 as above. */
int plab_timeline_builder_add_coverage (PlabTimelineBuilder *self,
                                        const PlabTimelineCoverage *coverage,
                                        size_t n_coverage);

/* How many coverage intervals the data set holds, and a copy of interval
 * @index (by lane, then start) in *@out; false when out of range. */
size_t plab_timeline_data_n_coverage (const PlabTimelineData *self);
bool plab_timeline_data_get_coverage (const PlabTimelineData *self,
                                      size_t index,
                                      PlabTimelineCoverage *out);

/* Indexes what was added and frees the builder. NULL when out of memory. */
PlabTimelineData *plab_timeline_builder_finish (PlabTimelineBuilder *self);

/* Frees a builder that will not be finished. */
void plab_timeline_builder_free (PlabTimelineBuilder *self);

/* Title and footer for exports (copied); NULL or "" draws none. */
void plab_timeline_data_set_caption (PlabTimelineData *self, const char *title, const char *footer);

/* A sentence drawn over the lanes, for what the picture lacks ("the live
 * picture is incomplete: ..."); NULL or "" draws none. Copied. */
void plab_timeline_data_set_notice (PlabTimelineData *self, const char *notice);
const char *plab_timeline_data_get_notice (const PlabTimelineData *self);

/* How many spans are still going (plab_timeline_builder_add_open ()), and
 * whether span @index is one of them. */
size_t plab_timeline_data_n_open (const PlabTimelineData *self);
bool plab_timeline_data_span_is_open (const PlabTimelineData *self, size_t index);

/* The time range of all events: [0 or the earliest start, the latest end]. */
PlabTimeWindow plab_timeline_data_extent (const PlabTimelineData *self);

size_t plab_timeline_data_n_spans (const PlabTimelineData *self);

/* The name the legend gives span kind @kind: the kind's own name
 * (plab_chart_span_kind_label ()), or for sleep, I/O and the generic wait,
 * when every span of the kind states one family in its label ("oven: bake
 * bread", "oven: bake cake") or carries one label on two or more spans, the
 * kind and that family: "sleep: oven". */
const char *plab_timeline_data_kind_name (const PlabTimelineData *self, int kind);

/* What one lane did over the run: a summary for the lane on hover. */
typedef struct
{
  PlabLaneInfo info;
  int64_t run_ns;      /* the run's length: the data's extent */
  int64_t busy_ns;     /* time inside task spans */
  double busy_percent; /* busy_ns as a share of run_ns, 0..100 */
  size_t n_tasks;      /* task spans, finished or going on */
  /* Time inside spans of each kind (spans of one kind that overlap count
   * once): kind_ns[PLAB_SPAN_SLEEP] is the lane's sleep, and so on. */
  int64_t kind_ns[PLAB_N_SPAN_KINDS];
} PlabLaneSummary;

/* The summary of lane @row (0 at the top, as drawn); false, with *@out
 * zeroed, when there is no such lane. It was counted when the data set was
 * built, so asking costs nothing. */
bool plab_timeline_data_lane_summary (const PlabTimelineData *self, int row, PlabLaneSummary *out);

/* Copies span @index (in the order they were given, counter samples removed)
 * into *out, with its flow and item when it moves one; false when out of
 * range. */
bool plab_timeline_data_get_span (const PlabTimelineData *self, size_t index, PlabEvent *out);

/* An item moved between lanes: span @put (PLAB_FLOW_PUT) handed it on and
 * span @get (PLAB_FLOW_GET) took it; indices for plab_timeline_data_get_span (). */
typedef struct
{
  uint32_t put;
  uint32_t get;
  int32_t item;
} PlabTimelineFlow;

/* How many flows the data links (a put and a get of one item each, the
 * k-th put of an item with its k-th get), and flow @index, by the put's end
 * time; false when out of range. A put without its get (still in the queue)
 * or a get without its put is no flow. */
size_t plab_timeline_data_n_flows (const PlabTimelineData *self);
bool plab_timeline_data_get_flow (const PlabTimelineData *self,
                                  size_t index,
                                  PlabTimelineFlow *out);

/* Bytes the data set holds, for the benchmarks. */
size_t plab_timeline_data_memory (const PlabTimelineData *self);

int plab_timeline_data_n_lanes (const PlabTimelineData *self);

/* The host of lane @row when the lane is an MPI rank (named "host:rank"):
 * copies the host into @host and returns the host's group, 0 for the
 * topmost host, counting down; -1 for any other lane. Rank lanes come
 * ordered by host, then rank, under the lanes that are not ranks. */
int plab_timeline_data_lane_host (const PlabTimelineData *self, int row, char *host, size_t len);

/* Send-to-receive (put-to-get) arrows are drawn when no more of them cross
 * the window than one per this many pixels of plot width. */
#define PLAB_TIMELINE_FLOW_ARROW_MIN_PX 12

/* Where things are on a chart of a given size; all in device units. */
typedef struct
{
  PlabTimeWindow window;  /* the window in effect (the whole run when none was given) */
  double plot_x, plot_w;  /* the time axis spans plot_x .. plot_x + plot_w */
  double lanes_y, lane_h; /* lane i occupies lanes_y + i * lane_h, lane_h high */
  int n_lanes;
  double counters_y, counter_h; /* counter track j, under the lanes */
  int n_counters;
  double label_x, label_w; /* lane labels, left of the plot */
  double host_x, host_w;   /* the host column, left of the labels: 0 wide when no lane is a rank */
  double legend_y;
} PlabTimelineLayout;

/* Computes the layout plab_timeline_chart_draw () uses. @cr is only used to
 * measure text. @window may be NULL for the whole run. */
void plab_timeline_chart_layout (cairo_t *cr,
                                 const PlabTimelineData *data,
                                 const PlabTimeWindow *window,
                                 const PlabChartStyle *style,
                                 double width,
                                 double height,
                                 PlabTimelineLayout *out);

/* The x of time @t_ns in @layout (not clamped). */
double plab_timeline_layout_x (const PlabTimelineLayout *layout, double t_ns);

/* The time at x (not clamped). */
double plab_timeline_layout_time (const PlabTimelineLayout *layout, double x);

/* Draws the chart. @data may be NULL or empty: the chart then says so. */
void plab_timeline_chart_draw (cairo_t *cr,
                               const PlabTimelineData *data,
                               const PlabTimeWindow *window,
                               const PlabChartStyle *style,
                               double width,
                               double height);

/* The span under (x, y) in a chart laid out as @layout: the index for
 * plab_timeline_data_get_span (), the shortest span when they nest, or -1. A span
 * narrower than a pixel is found within half a pixel. */
long plab_timeline_chart_hit_test (const PlabTimelineData *data,
                                   const PlabTimelineLayout *layout,
                                   double x,
                                   double y);

/* --- Exploring (plab-timeline-explore.c) --- */

/* What happened within a time range: how long each lane was busy (inside
 * task spans, overlaps counted once, clipped to the range), how many spans
 * of each kind overlap it (instants lying in it count too), and the longest
 * of them: the longest task, or when no task overlaps, the longest span. */
typedef struct
{
  PlabTimeWindow range; /* start <= end */
  int n_lanes;
  int64_t *lane_busy_ns; /* per row, as drawn */
  size_t n_by_kind[PLAB_N_SPAN_KINDS];
  size_t n_spans;
  long longest;       /* span index (plab_timeline_data_get_span ()), -1 when none */
  int64_t longest_ns; /* its whole duration */
} PlabTimelineRangeStats;

/* The statistics of @range (its ends in any order) over @data (may be
 * NULL). NULL when out of memory; free with plab_timeline_range_stats_free (). */
PlabTimelineRangeStats *plab_timeline_range_stats_new (const PlabTimelineData *data,
                                                       PlabTimeWindow range);
void plab_timeline_range_stats_free (PlabTimelineRangeStats *self);

#define PLAB_TIMELINE_STATS_LINE_MAX 160

/* The statistics as lines of text, as the range box shows them: the
 * range, busy time per lane, spans by kind, the longest span. Returns how
 * many of @max_lines were filled. */
size_t plab_timeline_range_stats_lines (const PlabTimelineData *data,
                                        const PlabTimelineRangeStats *stats,
                                        char lines[][PLAB_TIMELINE_STATS_LINE_MAX],
                                        size_t max_lines);

/* Shades @range over the lanes of a chart laid out as @layout and, when
 * @stats is not NULL, draws its statistics in a box beside it. */
void plab_timeline_chart_draw_range (cairo_t *cr,
                                     const PlabTimelineData *data,
                                     const PlabTimelineLayout *layout,
                                     const PlabChartStyle *style,
                                     const PlabTimeWindow *range,
                                     const PlabTimelineRangeStats *stats);

/* The spans whose label contains @text (ASCII letters without regard to
 * case), by start time: their indices in a malloc'd *@out the caller frees.
 * Returns how many, or -1 when out of memory. An empty @text matches none. */
long plab_timeline_data_find (const PlabTimelineData *data, const char *text, uint32_t **out);

/* The row (0 at the top) span @index is drawn in; -1 when out of range. */
int plab_timeline_data_span_row (const PlabTimelineData *data, size_t index);

/* Outlines the spans @matches (indices) that lie in the window of @layout;
 * match number @current (-1: none) stands out. */
void plab_timeline_chart_draw_matches (cairo_t *cr,
                                       const PlabTimelineData *data,
                                       const PlabTimelineLayout *layout,
                                       const PlabChartStyle *style,
                                       const uint32_t *matches,
                                       size_t n_matches,
                                       long current);

/* Draws an arrow from the end of each put to the start of its get, for the
 * flows that cross the window of @layout; returns how many were drawn.
 * When more than @max cross it, draws none: so many arrows are a smear
 * until the window is zoomed in. */
size_t plab_timeline_chart_draw_flows (cairo_t *cr,
                                       const PlabTimelineData *data,
                                       const PlabTimelineLayout *layout,
                                       const PlabChartStyle *style,
                                       size_t max);

/* The whole run in miniature: a thin row per lane, a column per pixel,
 * coloured by the kind that covered most of the column. Counted once over
 * all spans when made, so drawing it costs its size only. */
typedef struct PlabTimelineOverview PlabTimelineOverview;

/* The overview of @data over @full in @n_cols columns. NULL when out of
 * memory. */
PlabTimelineOverview *plab_timeline_overview_new (const PlabTimelineData *data,
                                                  PlabTimeWindow full,
                                                  int n_cols);
void plab_timeline_overview_free (PlabTimelineOverview *self);
int plab_timeline_overview_n_cols (const PlabTimelineOverview *self);
PlabTimeWindow plab_timeline_overview_full (const PlabTimelineOverview *self);

/* Draws the overview into @area, the time outside @visible (may be NULL)
 * shaded and @visible framed. */
void plab_timeline_overview_draw (cairo_t *cr,
                                  const PlabTimelineOverview *self,
                                  const PlabChartStyle *style,
                                  const PlabTimeWindow *visible,
                                  PlabRect area);

#ifdef __cplusplus
}
#endif
