/* plab-timeline-private.h: what the timeline's files share.
 *
 * The timeline is four files around this header, each with one job:
 *
 * - plab-timeline-data.c: the span store. The label pool, the builder that
 *   takes events a batch at a time, and the finished data set with its
 *   accessors and CSV.
 * - plab-timeline-index.c: the index for range queries and level of detail:
 *   a lane's spans by duration class and start, and its density pyramids.
 * - plab-timeline-layout.c: where things go on a chart of a given size:
 *   lanes, rows, the time axis mapping, and hit testing.
 * - plab-timeline-draw.c: the painting, from the data and the layout.
 * - plab-timeline-explore.c: range statistics, search and the overview.
 *
 * The types below are the data set's inside; only these files see them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plab-chart-private.h"
#include "plab-timeline-chart.h"

/* Duration classes: class c holds spans lasting [2^c, 2^(c+1)) ns; class 0
 * also holds spans of zero length. */
#define N_CLASSES 64
/* Kinds that are drawn as spans and summed into density bars: task .. wait,
 * and the MPI waits (send, receive, collective). Crashes are markers,
 * counters are tracks, core waits a strip over the spans: their slots among
 * the density kinds stay empty (is_density_kind () says which). */
#define N_DENSITY_KINDS PLAB_N_SPAN_KINDS
#define PYRAMID_MAX_LEVELS 32

/* One span as the chart keeps it: 32 bytes where a PlabEvent takes 64, the
 * label moved to the data's label pool. A run of ten million spans then
 * needs about 400 MB in the window instead of 900 MB. */
typedef struct
{
  int64_t start;
  int64_t end;
  int64_t task_id;
  uint32_t label; /* offset into the label pool; 0 is the empty label */
  uint16_t lane;  /* the lane number, as in PlabEvent */
  uint8_t kind;   /* PlabSpanKind as recorded */
  uint8_t flags;  /* the duration class (FLAG_CLASS bits) and FLAG_NESTED */
} Span;

#define FLAG_CLASS 0x3f
#define FLAG_NESTED 0x40 /* lies inside a longer span of the same lane */
#define FLAG_OPEN 0x80   /* still going: its end is the time the data was built */

_Static_assert(sizeof (Span) == 32, "a span takes 32 bytes");

/* A span that moves an item between lanes (PlabEvent.flow): kept apart
 * from the spans, which only a few have, by span index. */
typedef struct
{
  uint32_t span;
  int32_t item;
  uint8_t flow; /* PLAB_FLOW_PUT or PLAB_FLOW_GET */
} FlowEnd;

/* A lane's spans are drawn in two layers: LAYER_TOP fills the bar, and
 * LAYER_NESTED (spans inside a longer span of the lane) its lower part. */
enum
{
  LAYER_TOP,
  LAYER_NESTED,
  N_LAYERS
};

/* Level l has n_bins0 >> l bins of bin0_ns << l ns each, starting at the
 * data's extent start; every bin holds the nanoseconds covered by each
 * density kind. n_levels is 0 when there is none. */
typedef struct
{
  int n_levels;
  size_t n_bins0;
  double bin0_ns;
  size_t level_off[PYRAMID_MAX_LEVELS];
  float *bins;
} Pyramid;

typedef struct
{
  PlabLaneInfo info;

  /* Spans of this lane as indices into PlabTimelineData.spans, sorted by
   * class, then start. Four bytes each: the spans stay in the order they
   * were given. */
  uint32_t *items;
  size_t n_items;
  size_t class_first[N_CLASSES + 1];

  /* Density pyramids, one of the spans at the top level and one of the
   * spans nested in others (tasks inside a map's wait): the nested ones are
   * drawn in the lower part of the bar, over their container, so a million
   * tiny tasks inside one long span still show. */
  Pyramid pyramid[N_LAYERS];

  /* Coverage intervals of this lane (plab_timeline_builder_add_coverage ()),
   * borrowed from PlabTimelineData.coverage, by start. */
  const PlabTimelineCoverage *coverage;
  size_t n_coverage;

  /* Crash instants of this lane: indices into PlabTimelineData.spans. */
  uint32_t *crashes;
  size_t n_crashes;
  /* Its waits for a core: indices into PlabTimelineData.spans. They overlap
   * the lane's other spans (a task stretched by them), so they are drawn
   * over those, not among them. */
  uint32_t *core_waits;
  size_t n_core_waits;
  int64_t last_end;
  bool has_nested; /* some span lies inside another: labels leave it room */

  /* For the lane's summary: the time inside spans of each kind (spans of a
   * kind that overlap counted once) and the number of task spans. */
  int64_t kind_ns[N_DENSITY_KINDS];
  size_t n_tasks;
} Lane;

typedef struct
{
  char name[PLAB_LABEL_MAX];
  PlabEvent *samples; /* borrowed from PlabTimelineData.counter_samples, by time */
  size_t n;
  int64_t max_value;
} Counter;

struct PlabTimelineData
{
  Span *spans;
  size_t n_spans;
  char *labels; /* the label pool: Span.label is an offset into it */
  size_t labels_len;
  Lane *lanes;
  int n_lanes;
  PlabEvent *counter_samples;
  size_t n_counter_samples;
  Counter *counters;
  int n_counters;
  int64_t ext_start;
  int64_t ext_end;
  unsigned kinds_present; /* bit per PlabSpanKind */
  /* What the legend calls each kind: "sleep: oven" when every span of a
   * generic kind shares one family of labels, else the kind's name. */
  char kind_names[N_DENSITY_KINDS][PLAB_LABEL_MAX + 16];
  char *title;
  char *footer;
  char *notice; /* drawn over the lanes: what the picture lacks */
  size_t n_open;
  PlabTimelineCoverage *coverage; /* by lane, then start */
  size_t n_coverage;
  FlowEnd *flow_ends; /* by span index */
  size_t n_flow_ends;
  PlabTimelineFlow *flows; /* each put with the get of its item, by the put's end */
  size_t n_flows;
};

/* The kind a span is drawn and summed as. */
static inline bool
is_density_kind (int kind)
{
  return kind >= 0 && kind < N_DENSITY_KINDS && kind != PLAB_SPAN_CRASH && kind != PLAB_SPAN_COUNTER
         && kind != PLAB_SPAN_CORE_WAIT;
}

static inline int
density_kind (const Span *s)
{
  return is_density_kind (s->kind) ? s->kind : PLAB_SPAN_WAIT;
}

static inline const char *
span_label (const PlabTimelineData *self, const Span *s)
{
  return self->labels + s->label;
}

static inline int
span_layer (const Span *s)
{
  return (s->flags & FLAG_NESTED) ? LAYER_NESTED : LAYER_TOP;
}

/* --- plab-timeline-index.c --- */

/* Sorts the lane's items by start, marks nested spans and orders the items
 * by class, start within a class. Returns 0, or -1 when out of memory. */
int _plab_timeline_index_lane (Lane *lane, Span *spans);

/* Builds the lane's density pyramids over [@ext_start, @ext_end], for the
 * layers with spans enough to be worth one. Returns 0, or -1 when out of
 * memory. */
int _plab_timeline_build_pyramids (Lane *lane,
                                   const Span *spans,
                                   int64_t ext_start,
                                   int64_t ext_end);

/* First item of class range [lo, hi) of @items whose start is >= @t. */
size_t _plab_timeline_lower_bound (const Span *spans,
                                   const uint32_t *items,
                                   size_t lo,
                                   size_t hi,
                                   double t);

/* --- plab-timeline-explore.c --- */

/* Pairs the data's flow ends into flows: the puts of an item, by time, each
 * with the item's get of the same rank. Returns 0, or -1 when out of
 * memory. */
int _plab_timeline_link_flows (PlabTimelineData *self);

/* --- plab-timeline-layout.c --- */

/* Whether @info is an MPI rank's lane, named "host:rank": then its host
 * and rank. */
bool _plab_timeline_lane_rank (const PlabLaneInfo *info, char *host, size_t host_len, long *rank);

/* The name and detail lines (pid or tid, how it ended) of a lane's label;
 * *@alarming when the detail reports a death or lost events. */
void _plab_timeline_lane_label_lines (const Lane *lane,
                                      char *name,
                                      size_t name_len,
                                      char *detail,
                                      size_t detail_len,
                                      bool *alarming);

/* Font sizes of a lane's name and its detail line for lanes @lane_h high. */
void _plab_timeline_lane_label_sizes (const PlabChartStyle *style,
                                      double lane_h,
                                      double *name,
                                      double *detail);

/* The legend of @self: a box per span kind present, a cross when a worker
 * died. @items has room for PLAB_N_SPAN_KINDS + 1. Returns their number. */
int _plab_timeline_legend_items (const PlabTimelineData *self,
                                 const PlabChartStyle *style,
                                 PlabLegendItem *items);

/* The layout of @data in @body, the area the frame leaves. */
void _plab_timeline_layout_body (cairo_t *cr,
                                 const PlabTimelineData *data,
                                 const PlabTimeWindow *window,
                                 const PlabChartStyle *style,
                                 PlabRect body,
                                 PlabTimelineLayout *out);
