/* plab-timeline-chart.c: lanes of spans with level-of-detail aggregation. */
#include "plab-timeline-chart.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "plab-chart-private.h"

/* Duration classes: class c holds spans lasting [2^c, 2^(c+1)) ns; class 0
 * also holds spans of zero length. */
#define N_CLASSES 64
/* Kinds that are drawn as spans and summed into density bars: task .. wait.
 * Crashes are markers, counters are tracks. */
#define N_DENSITY_KINDS PLAB_SPAN_CRASH
/* A lane with fewer spans than this sums its short spans directly: that is
 * already cheaper than building a pyramid. */
#define PYRAMID_MIN_SPANS 4096
/* The finest pyramid level has at most this many bins (a power of two); the
 * pyramid of a lane then takes at most 2 * bins * kinds floats (1.2 MB). */
#define PYRAMID_MAX_BINS 16384
#define PYRAMID_MAX_LEVELS 32
/* Share of a lane's height a span fills; the rest separates lanes, but the
 * gap stays at most LANE_GAP_MAX_EM label heights once lanes grow tall. */
#define SPAN_FILL 0.70
#define LANE_GAP_MAX_EM 2.4
/* Nested spans fill this share of the bar's height, below its middle plus
 * this gap. */
#define NESTED_SHARE 0.42
#define NESTED_GAP 0.08
/* Labels move to the upper half of a bar at least this many label heights tall. */
#define LABEL_TOP_MIN_EM 2.6
/* A label is drawn whole or with at least this many characters before the
 * ellipsis: "x=…" says nothing, and "x=88…" of x=88227 misleads. */
#define LABEL_MIN_CHARS 6
/* Bars at least this many label heights tall get labels at tick size, so
 * they read from the back of a room. */
#define LABEL_LARGE_MIN_EM 4.0
/* Density bars span the full bar height; the share of a column's time the
 * lane was busy sets their opacity, in DENSITY_LEVELS steps from
 * DENSITY_MIN_ALPHA to solid. A share within DENSITY_SLACK steps of the next
 * step is rounded up to it, so a lane busy 90-100 % of every column draws as
 * one solid bar instead of a ragged one, the partly covered column at the
 * edge of an idle gap shades like an antialiased edge, and an idle column
 * stays empty. */
#define DENSITY_LEVELS 5
#define DENSITY_SLACK 0.45
#define DENSITY_MIN_ALPHA 0.3
/* Adjacent spans of at least this many pixels get a one-pixel gap. */
#define SPAN_GAP_MIN_PX 4
/* At most this many span labels per frame: labels cost text measurement. */
#define MAX_LABELS_PER_FRAME 2048
/* Lanes share the height left by the legend, axis and counter tracks, up to
 * LANE_MAX_EM label heights each (a 3-lane run fills a 1600 x 900 slide; a
 * single lane does not become a wall). Counter tracks are COUNTER_SHARE of a
 * lane, at least COUNTER_TRACK_EM tick heights. */
#define LANE_MAX_EM 12.0
#define COUNTER_SHARE 0.55
#define COUNTER_TRACK_EM 3.2
/* Lanes at least this many label heights tall get lane names at label size. */
#define LANE_LARGE_LABEL_EM 5.0
/* The label column takes at most this share of the width. */
#define LABEL_COLUMN_MAX_SHARE 0.24

typedef struct
{
  int64_t start;
  int64_t end;
  uint32_t index; /* into PlabTimelineData.spans */
  uint8_t kind;   /* < N_DENSITY_KINDS */
  uint8_t cls;
  uint8_t nested; /* lies inside a longer span of the same lane */
} Item;

typedef struct
{
  PlabLaneInfo info;

  /* Spans of this lane, sorted by class, then start. */
  Item *items;
  size_t n_items;
  size_t class_first[N_CLASSES + 1];

  /* Density pyramid: level l has n_bins0 >> l bins of bin0_ns << l ns each,
   * starting at the data's extent start; every bin holds the nanoseconds
   * covered by each density kind. n_levels is 0 when there is none. */
  int n_levels;
  size_t n_bins0;
  double bin0_ns;
  size_t level_off[PYRAMID_MAX_LEVELS];
  float *bins;

  /* Crash instants of this lane: indices into PlabTimelineData.spans. */
  uint32_t *crashes;
  size_t n_crashes;
  int64_t last_end;
  bool has_nested; /* some span lies inside another: labels leave it room */
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
  PlabEvent *spans;
  size_t n_spans;
  Lane *lanes;
  int n_lanes;
  PlabEvent *counter_samples;
  size_t n_counter_samples;
  Counter *counters;
  int n_counters;
  int64_t ext_start;
  int64_t ext_end;
  unsigned kinds_present; /* bit per PlabSpanKind */
  char *title;
  char *footer;
};

static int
duration_class (int64_t d)
{
  if (d <= 1)
    return 0;
  return 63 - __builtin_clzll ((unsigned long long)d);
}

/* By start; of two spans starting together the longer one comes first, so
 * it is the container when they nest. */
static int
compare_items_by_start (const void *a, const void *b)
{
  const Item *x = a, *y = b;

  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  if (x->end != y->end)
    return x->end > y->end ? -1 : 1;
  return x->index < y->index ? -1 : (x->index > y->index);
}

/* Marks nested spans, then orders the items by class keeping start order
 * within a class (a counting sort, stable), and fills class_first. */
static int
index_lane (Lane *l)
{
  Item *sorted;
  size_t count[N_CLASSES + 1] = { 0 };
  int64_t max_end = INT64_MIN;

  qsort (l->items, l->n_items, sizeof (Item), compare_items_by_start);
  for (size_t i = 0; i < l->n_items; i++)
    {
      Item *it = &l->items[i];
      it->nested = i > 0 && it->end <= max_end && it->end > it->start;
      if (it->nested)
        l->has_nested = true;
      if (it->end > max_end)
        max_end = it->end;
      count[it->cls + 1]++;
    }
  for (int c = 0; c < N_CLASSES; c++)
    count[c + 1] += count[c];
  memcpy (l->class_first, count, sizeof count);

  sorted = malloc ((l->n_items + 1) * sizeof (Item));
  if (sorted == NULL)
    return -1;
  for (size_t i = 0; i < l->n_items; i++)
    sorted[count[l->items[i].cls]++] = l->items[i];
  free (l->items);
  l->items = sorted;
  return 0;
}

static int
compare_counter_samples (const void *a, const void *b)
{
  const PlabEvent *x = a, *y = b;
  int c = strncmp (x->label, y->label, PLAB_LABEL_MAX);

  if (c != 0)
    return c;
  return x->start_ns < y->start_ns ? -1 : (x->start_ns > y->start_ns);
}

static int
compare_lane_info (const void *a, const void *b)
{
  const Lane *x = a, *y = b;
  return x->info.lane < y->info.lane ? -1 : (x->info.lane > y->info.lane);
}

static int
find_lane (const PlabTimelineData *self, int lane)
{
  int lo = 0, hi = self->n_lanes - 1;

  while (lo <= hi)
    {
      int mid = (lo + hi) / 2;
      if (self->lanes[mid].info.lane == lane)
        return mid;
      if (self->lanes[mid].info.lane < lane)
        lo = mid + 1;
      else
        hi = mid - 1;
    }
  return -1;
}

static void
add_coverage (float *bins, size_t n_bins, double bin_ns, int64_t origin, const Item *it)
{
  double s = (it->start - origin) / bin_ns;
  double e = (it->end - origin) / bin_ns;
  size_t b0, b1;

  if (e <= s || e <= 0)
    return;
  if (s < 0)
    s = 0;
  b0 = (size_t)s;
  b1 = (size_t)e;
  if (b1 >= n_bins)
    b1 = n_bins - 1;
  for (size_t b = b0; b <= b1 && b0 < n_bins; b++)
    {
      double lo = s > b ? s : (double)b;
      double hi = e < b + 1.0 ? e : (double)b + 1.0;
      if (hi > lo)
        bins[b * N_DENSITY_KINDS + it->kind] += (float)((hi - lo) * bin_ns);
    }
}

static int
build_pyramid (Lane *lane, int64_t ext_start, int64_t ext_end)
{
  size_t n0 = 1, total = 0;
  int levels = 0;

  while (n0 < PYRAMID_MAX_BINS && n0 < lane->n_items / 4)
    n0 <<= 1;
  for (size_t n = n0; n >= 1 && levels < PYRAMID_MAX_LEVELS; n >>= 1)
    {
      lane->level_off[levels++] = total * N_DENSITY_KINDS;
      total += n;
    }
  lane->bins = calloc (total * N_DENSITY_KINDS, sizeof (float));
  if (lane->bins == NULL)
    return -1;
  lane->n_levels = levels;
  lane->n_bins0 = n0;
  lane->bin0_ns = (double)(ext_end - ext_start) / (double)n0;
  if (lane->bin0_ns < 1)
    lane->bin0_ns = 1;

  for (size_t i = 0; i < lane->n_items; i++)
    add_coverage (lane->bins, n0, lane->bin0_ns, ext_start, &lane->items[i]);

  for (int l = 1; l < levels; l++)
    {
      const float *below = lane->bins + lane->level_off[l - 1];
      float *level = lane->bins + lane->level_off[l];
      size_t n = n0 >> l;

      for (size_t b = 0; b < n; b++)
        for (int k = 0; k < N_DENSITY_KINDS; k++)
          level[b * N_DENSITY_KINDS + k]
              = below[2 * b * N_DENSITY_KINDS + k] + below[(2 * b + 1) * N_DENSITY_KINDS + k];
    }
  return 0;
}

PlabTimelineData *
plab_timeline_data_new (const PlabLaneInfo *lanes,
                        size_t n_lanes,
                        const PlabEvent *spans,
                        size_t n_spans,
                        const PlabEvent *counters,
                        size_t n_counters)
{
  PlabTimelineData *self = calloc (1, sizeof *self);
  size_t n_moved = 0, max_lanes;
  bool have_any = false;

  if (self == NULL)
    return NULL;

  /* Split counter samples from spans. */
  for (size_t i = 0; i < n_spans; i++)
    if (spans[i].kind == PLAB_SPAN_COUNTER)
      n_moved++;
  self->spans = malloc ((n_spans - n_moved + 1) * sizeof (PlabEvent));
  self->counter_samples = malloc ((n_counters + n_moved + 1) * sizeof (PlabEvent));
  if (self->spans == NULL || self->counter_samples == NULL)
    goto fail;
  for (size_t i = 0; i < n_spans; i++)
    {
      if (spans[i].kind == PLAB_SPAN_COUNTER)
        self->counter_samples[self->n_counter_samples++] = spans[i];
      else
        self->spans[self->n_spans++] = spans[i];
    }
  if (n_counters > 0)
    memcpy (self->counter_samples + self->n_counter_samples, counters,
            n_counters * sizeof (PlabEvent));
  self->n_counter_samples += n_counters;

  /* Lanes: the given ones plus any that only spans name. */
  max_lanes = n_lanes + self->n_spans + 1;
  if (max_lanes > n_lanes + 65536)
    max_lanes = n_lanes + 65536;
  self->lanes = calloc (max_lanes, sizeof (Lane));
  if (self->lanes == NULL)
    goto fail;
  for (size_t i = 0; i < n_lanes; i++)
    {
      if (find_lane (self, lanes[i].lane) >= 0)
        continue;
      self->lanes[self->n_lanes++].info = lanes[i];
      qsort (self->lanes, self->n_lanes, sizeof (Lane), compare_lane_info);
    }
  for (size_t i = 0; i < self->n_spans; i++)
    {
      int lane = self->spans[i].lane;
      Lane *l;

      if (find_lane (self, lane) >= 0)
        continue;
      l = &self->lanes[self->n_lanes++];
      l->info.lane = lane;
      l->info.kind = lane == 0 ? PLAB_LANE_MAIN : PLAB_LANE_PROCESS;
      snprintf (l->info.name, sizeof l->info.name, lane == 0 ? "main" : "lane %d", lane);
      qsort (self->lanes, self->n_lanes, sizeof (Lane), compare_lane_info);
    }

  /* Extent, and how many items each lane gets. */
  self->ext_start = 0;
  self->ext_end = 0;
  for (size_t i = 0; i < self->n_spans; i++)
    {
      PlabEvent *e = &self->spans[i];
      Lane *l = &self->lanes[find_lane (self, e->lane)];

      if (e->end_ns < e->start_ns)
        e->end_ns = e->start_ns;
      if (!have_any || e->start_ns < self->ext_start)
        self->ext_start = e->start_ns;
      if (!have_any || e->end_ns > self->ext_end)
        self->ext_end = e->end_ns;
      have_any = true;
      if (e->end_ns > l->last_end)
        l->last_end = e->end_ns;
      if (e->kind == PLAB_SPAN_CRASH)
        l->n_crashes++;
      else
        l->n_items++;
      self->kinds_present |= 1u << (e->kind < PLAB_N_SPAN_KINDS ? e->kind : PLAB_SPAN_WAIT);
    }
  for (size_t i = 0; i < self->n_counter_samples; i++)
    {
      const PlabEvent *e = &self->counter_samples[i];
      if (!have_any || e->start_ns < self->ext_start)
        self->ext_start = e->start_ns;
      if (!have_any || e->start_ns > self->ext_end)
        self->ext_end = e->start_ns;
      have_any = true;
    }
  /* Times are relative to the run's origin, so the axis starts at 0 unless
   * something happened before it. */
  if (self->ext_start > 0)
    self->ext_start = 0;
  if (self->ext_end <= self->ext_start)
    self->ext_end = self->ext_start + 1000;

  for (int i = 0; i < self->n_lanes; i++)
    {
      Lane *l = &self->lanes[i];

      l->items = malloc ((l->n_items + 1) * sizeof (Item));
      l->crashes = malloc ((l->n_crashes + 1) * sizeof (uint32_t));
      if (l->items == NULL || l->crashes == NULL)
        goto fail;
      l->n_items = 0;
      l->n_crashes = 0;
    }
  for (size_t i = 0; i < self->n_spans; i++)
    {
      const PlabEvent *e = &self->spans[i];
      Lane *l = &self->lanes[find_lane (self, e->lane)];

      if (e->kind == PLAB_SPAN_CRASH)
        l->crashes[l->n_crashes++] = (uint32_t)i;
      else
        {
          Item *it = &l->items[l->n_items++];
          it->start = e->start_ns;
          it->end = e->end_ns;
          it->index = (uint32_t)i;
          it->kind = e->kind < N_DENSITY_KINDS ? e->kind : PLAB_SPAN_WAIT;
          it->cls = (uint8_t)duration_class (e->end_ns - e->start_ns);
        }
    }

  for (int i = 0; i < self->n_lanes; i++)
    {
      Lane *l = &self->lanes[i];

      if (index_lane (l) < 0)
        goto fail;
      if (l->n_items >= PYRAMID_MIN_SPANS && build_pyramid (l, self->ext_start, self->ext_end) < 0)
        goto fail;
    }

  /* Counters: grouped by name, by time within a name. */
  qsort (self->counter_samples, self->n_counter_samples, sizeof (PlabEvent),
         compare_counter_samples);
  self->counters = calloc (self->n_counter_samples + 1, sizeof (Counter));
  if (self->counters == NULL)
    goto fail;
  for (size_t i = 0; i < self->n_counter_samples; i++)
    {
      PlabEvent *e = &self->counter_samples[i];
      Counter *c = self->n_counters > 0 ? &self->counters[self->n_counters - 1] : NULL;

      if (c == NULL || strncmp (c->name, e->label, PLAB_LABEL_MAX) != 0)
        {
          c = &self->counters[self->n_counters++];
          memcpy (c->name, e->label, PLAB_LABEL_MAX);
          c->name[PLAB_LABEL_MAX - 1] = '\0';
          c->samples = e;
        }
      c->n++;
      if (e->task_id > c->max_value)
        c->max_value = e->task_id;
    }
  return self;

fail:
  plab_timeline_data_free (self);
  return NULL;
}

void
plab_timeline_data_free (PlabTimelineData *self)
{
  if (self == NULL)
    return;
  for (int i = 0; self->lanes != NULL && i < self->n_lanes; i++)
    {
      free (self->lanes[i].items);
      free (self->lanes[i].crashes);
      free (self->lanes[i].bins);
    }
  free (self->lanes);
  free (self->spans);
  free (self->counter_samples);
  free (self->counters);
  free (self->title);
  free (self->footer);
  free (self);
}

void
plab_timeline_data_set_caption (PlabTimelineData *self, const char *title, const char *footer)
{
  free (self->title);
  free (self->footer);
  self->title = title ? strdup (title) : NULL;
  self->footer = footer ? strdup (footer) : NULL;
}

PlabTimeWindow
plab_timeline_data_extent (const PlabTimelineData *self)
{
  PlabTimeWindow w = { self->ext_start, self->ext_end };
  return w;
}

size_t
plab_timeline_data_n_spans (const PlabTimelineData *self)
{
  return self->n_spans;
}

const PlabEvent *
plab_timeline_data_span (const PlabTimelineData *self, size_t index)
{
  if (index >= self->n_spans)
    return NULL;
  return &self->spans[index];
}

int
plab_timeline_data_n_lanes (const PlabTimelineData *self)
{
  return self->n_lanes;
}

static void
csv_field (FILE *out, const char *text)
{
  fputc ('"', out);
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        fputc ('"', out);
      fputc (*p, out);
    }
  fputc ('"', out);
}

int
plab_timeline_data_write_csv (const PlabTimelineData *self, FILE *out)
{
  fprintf (out, "record,lane,lane_name,pid,tid,kind,start_ns,end_ns,task_id,label,value\n");
  for (size_t i = 0; i < self->n_spans; i++)
    {
      const PlabEvent *e = &self->spans[i];
      const Lane *l = &self->lanes[find_lane (self, e->lane)];

      fprintf (out, "span,%d,", l->info.lane);
      csv_field (out, l->info.name);
      fprintf (out, ",%d,%d,%s,%lld,%lld,%lld,", l->info.pid, l->info.tid,
               plab_chart_span_kind_label (e->kind), (long long)e->start_ns, (long long)e->end_ns,
               (long long)e->task_id);
      csv_field (out, e->label);
      fputs (",\n", out);
    }
  for (size_t i = 0; i < self->n_counter_samples; i++)
    {
      const PlabEvent *e = &self->counter_samples[i];

      fprintf (out, "counter,,,,,counter,%lld,%lld,,", (long long)e->start_ns,
               (long long)e->start_ns);
      csv_field (out, e->label);
      fprintf (out, ",%lld\n", (long long)e->task_id);
    }
  return ferror (out) ? -1 : 0;
}

/* --- Layout --- */

static void
lane_label_lines (const Lane *l,
                  char *name,
                  size_t name_len,
                  char *detail,
                  size_t detail_len,
                  bool *alarming)
{
  const PlabLaneInfo *info = &l->info;
  char id[48] = "";

  snprintf (name, name_len, "%s", info->name[0] ? info->name : "lane");
  if (info->kind == PLAB_LANE_THREAD && info->tid > 0)
    snprintf (id, sizeof id, "tid %d", info->tid);
  else if (info->pid > 0)
    snprintf (id, sizeof id, "pid %d", info->pid);

  *alarming = false;
  if (info->end == PLAB_LANE_KILLED)
    {
      snprintf (detail, detail_len, "%s%skilled (signal %d)", id, id[0] ? " · " : "",
                info->exit_signal);
      *alarming = true;
    }
  else if (info->end == PLAB_LANE_EXITED && info->exit_code != 0)
    {
      snprintf (detail, detail_len, "%s%sexit %d", id, id[0] ? " · " : "", info->exit_code);
      *alarming = true;
    }
  else
    snprintf (detail, detail_len, "%s", id);
}

/* Font sizes of a lane's name and its detail line: larger once lanes are
 * tall enough that small text would look lost beside them. */
static void
lane_label_sizes (const PlabChartStyle *style, double lane_h, double *name, double *detail)
{
  bool large = lane_h >= LANE_LARGE_LABEL_EM * style->label_size;

  *name = large ? style->label_size : style->tick_size;
  *detail = large ? style->tick_size : style->small_size;
}

static int
legend_items (const PlabTimelineData *self, const PlabChartStyle *style, PlabLegendItem *items)
{
  int n = 0;

  for (int k = 0; k < N_DENSITY_KINDS; k++)
    if (self->kinds_present & (1u << k))
      {
        items[n].label = plab_chart_span_kind_label (k);
        items[n].colour = style->span[k];
        items[n].shape = PLAB_LEGEND_BOX;
        n++;
      }
  {
    bool died = (self->kinds_present & (1u << PLAB_SPAN_CRASH)) != 0;
    for (int i = 0; i < self->n_lanes && !died; i++)
      died = self->lanes[i].info.end == PLAB_LANE_KILLED;
    if (died)
      {
        items[n].label = "worker died";
        items[n].colour = style->warning;
        items[n].shape = PLAB_LEGEND_CROSS;
        n++;
      }
  }
  return n;
}

static PlabTimeWindow
effective_window (const PlabTimelineData *data, const PlabTimeWindow *window)
{
  PlabTimeWindow w;

  if (window != NULL && window->end_ns > window->start_ns)
    return *window;
  if (data == NULL)
    {
      w.start_ns = 0;
      w.end_ns = 1000;
      return w;
    }
  return plab_timeline_data_extent (data);
}

/* The vertical half of the layout: legend, lanes and counter tracks, for
 * the plot width already in @out. */
static void
layout_rows (cairo_t *cr,
             const PlabChartStyle *style,
             PlabRect body,
             const PlabLegendItem *items,
             int n_items,
             PlabTimelineLayout *out)
{
  double avail, lane_max, room_x, counter_min;

  out->legend_y = body.y;
  out->lanes_y
      = body.y
        + _plab_chart_legend (cr, style, items, n_items, out->plot_x, body.y, out->plot_w, false)
        + style->padding * 0.5;
  out->lanes_y = floor (out->lanes_y);

  room_x = _plab_chart_x_axis_room (style);
  avail = body.y + body.h - room_x - out->lanes_y;
  lane_max = LANE_MAX_EM * style->label_size;
  counter_min = floor (COUNTER_TRACK_EM * style->tick_size);
  /* Lanes and tracks grow together; a track keeps its minimum when lanes are
   * so many that a share of one would be smaller. */
  out->lane_h = out->n_lanes > 0 ? avail / (out->n_lanes + out->n_counters * COUNTER_SHARE) : 0;
  if (out->lane_h * COUNTER_SHARE < counter_min && out->n_lanes > 0)
    out->lane_h = (avail - out->n_counters * counter_min) / out->n_lanes;
  if (out->lane_h > lane_max)
    out->lane_h = lane_max;
  out->lane_h = floor (out->lane_h);
  if (out->lane_h < 1)
    out->lane_h = 1;
  out->counter_h = floor (fmax (counter_min, out->lane_h * COUNTER_SHARE));
  if (out->n_lanes == 0)
    out->counter_h = floor (fmin (lane_max * COUNTER_SHARE, avail / fmax (1, out->n_counters)));
  out->counters_y = out->lanes_y + out->n_lanes * out->lane_h;
}

static void
layout_with_body (cairo_t *cr,
                  const PlabTimelineData *data,
                  const PlabTimeWindow *window,
                  const PlabChartStyle *style,
                  PlabRect body,
                  PlabTimelineLayout *out)
{
  PlabLegendItem items[PLAB_N_SPAN_KINDS + 1];
  int n_items = legend_items (data, style, items);
  double label_w = 0, name_size, detail_size;

  memset (out, 0, sizeof *out);
  out->window = effective_window (data, window);
  out->n_lanes = data->n_lanes;
  out->n_counters = data->n_counters;

  /* Label sizes depend on lane height, which depends on the legend's height
   * at the plot's width, which depends on the label column: break the circle
   * with the narrowest plot the label column allows. */
  out->plot_x = body.x;
  out->plot_w = floor (body.w * (1 - LABEL_COLUMN_MAX_SHARE));
  layout_rows (cr, style, body, items, n_items, out);
  lane_label_sizes (style, out->lane_h, &name_size, &detail_size);

  cairo_save (cr);
  for (int i = 0; i < data->n_lanes; i++)
    {
      char name[64], detail[96];
      bool alarming;
      double w;

      lane_label_lines (&data->lanes[i], name, sizeof name, detail, sizeof detail, &alarming);
      _plab_chart_font (cr, style, name_size, true);
      w = _plab_chart_text_width (cr, name);
      if (w > label_w)
        label_w = w;
      _plab_chart_font (cr, style, detail_size, false);
      w = _plab_chart_text_width (cr, detail);
      if (w > label_w)
        label_w = w;
    }
  for (int j = 0; j < data->n_counters; j++)
    {
      double w;
      _plab_chart_font (cr, style, style->tick_size, true);
      w = _plab_chart_text_width (cr, data->counters[j].name);
      if (w > label_w)
        label_w = w;
    }
  cairo_restore (cr);
  label_w += style->padding;
  if (label_w > body.w * LABEL_COLUMN_MAX_SHARE)
    label_w = body.w * LABEL_COLUMN_MAX_SHARE;

  out->label_x = body.x;
  out->label_w = label_w;
  out->plot_x = floor (body.x + label_w);
  out->plot_w = floor (body.w - label_w);
  if (out->plot_w < 1)
    out->plot_w = 1;

  layout_rows (cr, style, body, items, n_items, out);
}

void
plab_timeline_chart_layout (cairo_t *cr,
                            const PlabTimelineData *data,
                            const PlabTimeWindow *window,
                            const PlabChartStyle *style,
                            double width,
                            double height,
                            PlabTimelineLayout *out)
{
  PlabRect body;

  /* The frame paints; measure it on a scratch context so layout has no
   * visible effect. */
  cairo_surface_t *scratch
      = cairo_surface_create_similar (cairo_get_target (cr), CAIRO_CONTENT_COLOR_ALPHA, 1, 1);
  cairo_t *sc = cairo_create (scratch);

  memset (out, 0, sizeof *out);
  body = _plab_chart_frame (sc, style, data ? data->title : NULL, data ? data->footer : NULL, width,
                            height);
  if (data != NULL)
    layout_with_body (sc, data, window, style, body, out);
  else
    out->window = effective_window (NULL, window);
  cairo_destroy (sc);
  cairo_surface_destroy (scratch);
}

double
plab_timeline_layout_x (const PlabTimelineLayout *layout, double t_ns)
{
  double span = (double)(layout->window.end_ns - layout->window.start_ns);
  return layout->plot_x + (t_ns - (double)layout->window.start_ns) / span * layout->plot_w;
}

double
plab_timeline_layout_time (const PlabTimelineLayout *layout, double x)
{
  double span = (double)(layout->window.end_ns - layout->window.start_ns);
  return (double)layout->window.start_ns + (x - layout->plot_x) / layout->plot_w * span;
}

/* --- Drawing --- */

typedef struct
{
  cairo_t *cr;
  const PlabChartStyle *style;
  const PlabTimelineData *data;
  const PlabTimelineLayout *layout;
  double t0;    /* window start, ns */
  double ns_px; /* nanoseconds per pixel */
  int n_cols;
  float *cols;    /* n_cols * N_DENSITY_KINDS, coverage in pixels */
  int *col_kind;  /* dominant kind per column, -1 when empty */
  int *col_level; /* density_level () per column */
  int n_labels;
} Frame;

/* First item of class range [lo, hi) whose start is >= t. */
static size_t
lower_bound (const Item *items, size_t lo, size_t hi, double t)
{
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if ((double)items[mid].start < t)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
add_span_to_columns (Frame *f, double start, double end, int kind)
{
  double x0 = (start - f->t0) / f->ns_px;
  double x1 = (end - f->t0) / f->ns_px;
  int c0, c1;

  if (x1 <= 0 || x0 >= f->n_cols)
    return;
  if (x0 < 0)
    x0 = 0;
  if (x1 > f->n_cols)
    x1 = f->n_cols;
  c0 = (int)x0;
  c1 = (int)x1;
  if (c1 >= f->n_cols)
    c1 = f->n_cols - 1;
  for (int c = c0; c <= c1; c++)
    {
      double lo = x0 > c ? x0 : c;
      double hi = x1 < c + 1 ? x1 : c + 1;
      if (hi > lo)
        f->cols[c * N_DENSITY_KINDS + kind] += (float)(hi - lo);
    }
}

static void
density_from_pyramid (Frame *f, const Lane *l)
{
  int level = 0;
  double bin_ns;
  const float *bins;
  size_t n_bins, b0, b1;
  double t1 = f->t0 + f->ns_px * f->n_cols;
  double origin = (double)f->data->ext_start;

  while (level + 1 < l->n_levels && l->bin0_ns * (double)(2u << level) <= f->ns_px)
    level++;
  bin_ns = l->bin0_ns * (double)(1u << level);
  bins = l->bins + l->level_off[level];
  n_bins = l->n_bins0 >> level;

  b0 = f->t0 > origin ? (size_t)((f->t0 - origin) / bin_ns) : 0;
  b1 = t1 > origin ? (size_t)((t1 - origin) / bin_ns) + 1 : 0;
  if (b1 > n_bins)
    b1 = n_bins;

  for (size_t b = b0; b < b1; b++)
    {
      const float *v = bins + b * N_DENSITY_KINDS;
      double bs = origin + b * bin_ns;
      double x0 = (bs - f->t0) / f->ns_px;
      double x1 = (bs + bin_ns - f->t0) / f->ns_px;
      double w = x1 - x0;
      int c0, c1;

      if (x1 <= 0 || x0 >= f->n_cols)
        continue;
      /* A bin is narrower than a column, so it touches one or two; share its
       * time between them in proportion to overlap. */
      c0 = x0 < 0 ? 0 : (int)x0;
      c1 = x1 >= f->n_cols ? f->n_cols - 1 : (int)x1;
      for (int c = c0; c <= c1; c++)
        {
          double lo = x0 > c ? x0 : c;
          double hi = x1 < c + 1 ? x1 : c + 1;
          double share;

          if (hi <= lo)
            continue;
          share = (hi - lo) / w / f->ns_px;
          for (int k = 0; k < N_DENSITY_KINDS; k++)
            if (v[k] != 0)
              f->cols[c * N_DENSITY_KINDS + k] += (float)(v[k] * share);
        }
    }
}

static void
density_direct (Frame *f, const Lane *l, int big_class)
{
  double t1 = f->t0 + f->ns_px * f->n_cols;

  for (int c = 0; c < big_class && c < N_CLASSES; c++)
    {
      size_t lo = l->class_first[c], hi = l->class_first[c + 1];
      double longest = ldexp (1.0, c + 1);

      if (lo == hi)
        continue;
      for (size_t i = lower_bound (l->items, lo, hi, f->t0 - longest);
           i < hi && (double)l->items[i].start <= t1; i++)
        add_span_to_columns (f, (double)l->items[i].start, (double)l->items[i].end,
                             l->items[i].kind);
    }
}

/* The intensity step of a column busy for @share of its time: 1 (faint,
 * but visible) .. DENSITY_LEVELS (solid). */
static int
density_level (double share)
{
  double level = ceil (share * DENSITY_LEVELS - DENSITY_SLACK);

  if (level < 1)
    return 1;
  if (level > DENSITY_LEVELS)
    return DENSITY_LEVELS;
  return (int)level;
}

static void
draw_density (Frame *f, double y_mid, double span_h)
{
  cairo_t *cr = f->cr;
  unsigned present = 0;
  double top = floor (y_mid - span_h / 2), h = ceil (span_h);

  for (int c = 0; c < f->n_cols; c++)
    {
      const float *v = f->cols + c * N_DENSITY_KINDS;
      double total = 0, best = 0;
      int kind = -1;

      for (int k = 0; k < N_DENSITY_KINDS; k++)
        {
          total += v[k];
          if (v[k] > best)
            best = v[k], kind = k;
        }
      f->col_kind[c] = -1;
      if (kind < 0 || total < 1e-3)
        continue;
      f->col_kind[c] = kind;
      f->col_level[c] = density_level (total > 1 ? 1 : total);
      present |= 1u << kind;
    }

  /* One path per kind and level, so a frame costs a few fills whatever the
   * number of columns. */
  for (int k = 0; k < N_DENSITY_KINDS; k++)
    {
      if (!(present & (1u << k)))
        continue;
      for (int level = 1; level <= DENSITY_LEVELS; level++)
        {
          bool any = false;

          for (int c = 0; c < f->n_cols;)
            {
              int e = c + 1;

              if (f->col_kind[c] != k || f->col_level[c] != level)
                {
                  c++;
                  continue;
                }
              /* Neighbouring columns of one kind and level become one
               * rectangle. */
              while (e < f->n_cols && f->col_kind[e] == k && f->col_level[e] == level)
                e++;
              cairo_rectangle (cr, f->layout->plot_x + c, top, e - c, h);
              any = true;
              c = e;
            }
          if (!any)
            continue;
          _plab_chart_set_colour_alpha (cr, f->style->span[k],
                                        DENSITY_MIN_ALPHA
                                            + (1 - DENSITY_MIN_ALPHA) * (level - 1)
                                                  / (DENSITY_LEVELS - 1));
          cairo_fill (cr);
        }
    }
}

static bool
is_dark (PlabRgba c)
{
  return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b < 0.55;
}

/* Characters (code points) in a UTF-8 string. */
static size_t
utf8_length (const char *text)
{
  size_t n = 0;

  for (const unsigned char *p = (const unsigned char *)text; *p; p++)
    if ((*p & 0xC0) != 0x80)
      n++;
  return n;
}

static void
draw_span_label (Frame *f, const PlabEvent *e, double x0, double x1, double y_mid)
{
  char text[PLAB_LABEL_MAX + 24];
  char fitted[PLAB_LABEL_MAX + 24];
  double inset = f->style->small_size * 0.35;
  PlabRgba bg = plab_chart_style_span_colour (f->style, e->kind);
  PlabRgba fg = { 1, 1, 1, 1 };

  if (e->label[0])
    snprintf (text, sizeof text, "%s", e->label);
  else if (e->kind == PLAB_SPAN_TASK && e->task_id >= 0)
    snprintf (text, sizeof text, "#%lld", (long long)e->task_id);
  else
    return;

  if (x0 < f->layout->plot_x)
    x0 = f->layout->plot_x;
  if (x1 > f->layout->plot_x + f->layout->plot_w)
    x1 = f->layout->plot_x + f->layout->plot_w;
  if (!_plab_chart_text_fit (f->cr, text, x1 - x0 - 2 * inset, fitted, sizeof fitted))
    return;
  /* A shortened label keeps enough characters to say something. */
  if (strcmp (fitted, text) != 0 && utf8_length (fitted) < LABEL_MIN_CHARS + 1)
    return;
  if (!is_dark (bg))
    fg.r = fg.g = fg.b = 0.05;
  _plab_chart_set_colour (f->cr, fg);
  _plab_chart_text (f->cr, x0 + inset, y_mid, 0, 0.5, fitted);
  f->n_labels++;
}

static void
draw_big_spans (Frame *f, const Lane *l, int big_class, double y_mid, double span_h)
{
  cairo_t *cr = f->cr;
  double t1 = f->t0 + f->ns_px * f->n_cols;
  double px0 = f->layout->plot_x, px1 = f->layout->plot_x + f->layout->plot_w;
  double top = floor (y_mid - span_h / 2), h = ceil (span_h);
  /* A span inside another (a lock wait during a task) takes the lower part
   * of the bar, so the outer span and its label stay visible above it. */
  double nested_top = floor (y_mid + span_h * NESTED_GAP), nested_h = ceil (span_h * NESTED_SHARE);
  double label_size = span_h >= LABEL_LARGE_MIN_EM * f->style->label_size ? f->style->tick_size
                                                                          : f->style->small_size;
  /* About LABEL_MIN_CHARS characters: narrower spans cannot hold a label
   * worth reading. */
  double label_min = label_size * 0.6 * LABEL_MIN_CHARS;
  double label_y = l->has_nested && span_h >= LABEL_TOP_MIN_EM * label_size
                       ? y_mid + span_h * (NESTED_GAP - 0.5) / 2
                       : y_mid;

  /* Longest spans first, so shorter spans nested in them (a lock wait inside
   * a task) are drawn on top. */
  for (int c = N_CLASSES - 1; c >= big_class && c >= 0; c--)
    {
      size_t lo = l->class_first[c], hi = l->class_first[c + 1], first;
      double longest = ldexp (1.0, c + 1);
      unsigned kinds = 0;
      bool want_labels = false;

      if (lo == hi)
        continue;
      first = lower_bound (l->items, lo, hi, f->t0 - longest);
      for (size_t i = first; i < hi && (double)l->items[i].start <= t1; i++)
        if ((double)l->items[i].end >= f->t0)
          kinds |= 1u << l->items[i].kind;

      for (int k = 0; k < N_DENSITY_KINDS; k++)
        {
          if (!(kinds & (1u << k)))
            continue;
          for (size_t i = first; i < hi && (double)l->items[i].start <= t1; i++)
            {
              const Item *it = &l->items[i];
              double x0, x1;

              if (it->kind != k || (double)it->end < f->t0)
                continue;
              x0 = floor (px0 + ((double)it->start - f->t0) / f->ns_px);
              x1 = ceil (px0 + ((double)it->end - f->t0) / f->ns_px);
              if (x0 < px0)
                x0 = px0;
              if (x1 > px1)
                x1 = px1;
              if (x1 - x0 >= SPAN_GAP_MIN_PX)
                x1 -= 1;
              if (x1 - x0 >= label_min)
                want_labels = true;
              if (it->nested)
                cairo_rectangle (cr, x0, nested_top, x1 - x0 < 1 ? 1 : x1 - x0, nested_h);
              else
                cairo_rectangle (cr, x0, top, x1 - x0 < 1 ? 1 : x1 - x0, h);
            }
          _plab_chart_set_colour (cr, f->style->span[k]);
          cairo_fill (cr);
        }

      if (!want_labels || f->n_labels >= MAX_LABELS_PER_FRAME || span_h < label_size)
        continue;
      _plab_chart_font (cr, f->style, label_size, false);
      for (size_t i = first; i < hi && (double)l->items[i].start <= t1; i++)
        {
          const Item *it = &l->items[i];
          double x0 = px0 + ((double)it->start - f->t0) / f->ns_px;
          double x1 = px0 + ((double)it->end - f->t0) / f->ns_px;

          if ((double)it->end < f->t0 || x1 - x0 < label_min)
            continue;
          if (f->n_labels >= MAX_LABELS_PER_FRAME)
            break;
          draw_span_label (f, &f->data->spans[it->index], x0, x1,
                           it->nested ? nested_top + nested_h / 2 : label_y);
        }
    }
}

static void
draw_crash_marker (Frame *f, double x, double lane_y, double lane_h, const char *label)
{
  cairo_t *cr = f->cr;
  const PlabChartStyle *style = f->style;
  double r = style->marker_radius;

  if (x < f->layout->plot_x - 0.5 || x > f->layout->plot_x + f->layout->plot_w + 0.5)
    return;
  cairo_save (cr);
  _plab_chart_set_colour (cr, style->warning);
  cairo_set_line_width (cr, style->line_width * 0.8);
  cairo_move_to (cr, floor (x) + 0.5, lane_y + 1);
  cairo_line_to (cr, floor (x) + 0.5, lane_y + lane_h - 1);
  cairo_stroke (cr);
  cairo_arc (cr, x, lane_y + lane_h / 2, r * 1.9, 0, 2 * M_PI);
  _plab_chart_set_colour (cr, style->background);
  cairo_fill (cr);
  _plab_chart_marker (cr, style, x, lane_y + lane_h / 2, PLAB_LEGEND_CROSS, style->warning);
  if (label != NULL && *label && lane_h >= style->small_size)
    {
      double tx = x + r * 2.4, name_size, size;
      lane_label_sizes (style, lane_h, &name_size, &size);
      _plab_chart_font (cr, style, size, true);
      if (tx + _plab_chart_text_width (cr, label) > f->layout->plot_x + f->layout->plot_w)
        tx = x - r * 2.4 - _plab_chart_text_width (cr, label);
      _plab_chart_set_colour (cr, style->background);
      {
        double w = _plab_chart_text_width (cr, label);
        cairo_rectangle (cr, tx - 2, lane_y + lane_h / 2 - size * 0.65, w + 4, size * 1.3);
        cairo_fill (cr);
      }
      _plab_chart_set_colour (cr, style->warning);
      _plab_chart_text (cr, tx, lane_y + lane_h / 2, 0, 0.5, label);
    }
  cairo_restore (cr);
}

static void
draw_lane (Frame *f, const Lane *l, int row)
{
  const PlabTimelineLayout *lay = f->layout;
  double lane_y = lay->lanes_y + row * lay->lane_h;
  double y_mid = lane_y + lay->lane_h / 2;
  double span_h
      = lay->lane_h - fmin (lay->lane_h * (1 - SPAN_FILL), LANE_GAP_MAX_EM * f->style->label_size);
  int big_class = 0;

  if (span_h < 1)
    span_h = 1;
  /* Spans at least a pixel long are drawn one by one; class big_class is the
   * first whose shortest span is that long. */
  while (big_class < N_CLASSES && ldexp (1.0, big_class) < f->ns_px)
    big_class++;

  memset (f->cols, 0, (size_t)f->n_cols * N_DENSITY_KINDS * sizeof (float));
  if (l->n_levels > 0 && l->bin0_ns <= f->ns_px)
    density_from_pyramid (f, l);
  else
    density_direct (f, l, big_class);
  draw_density (f, y_mid, span_h);
  draw_big_spans (f, l, big_class, y_mid, span_h);

  for (size_t i = 0; i < l->n_crashes; i++)
    {
      const PlabEvent *e = &f->data->spans[l->crashes[i]];
      draw_crash_marker (f, plab_timeline_layout_x (lay, (double)e->start_ns), lane_y, lay->lane_h,
                         e->label[0] ? e->label : "died");
    }
  if (l->n_crashes == 0 && l->info.end == PLAB_LANE_KILLED)
    {
      char text[48];
      snprintf (text, sizeof text, "killed (signal %d)", l->info.exit_signal);
      draw_crash_marker (f, plab_timeline_layout_x (lay, (double)l->last_end), lane_y, lay->lane_h,
                         text);
    }
}

static void
draw_lane_labels (cairo_t *cr,
                  const PlabTimelineData *data,
                  const PlabTimelineLayout *lay,
                  const PlabChartStyle *style)
{
  char buf[128];
  double name_size, detail_size;

  lane_label_sizes (style, lay->lane_h, &name_size, &detail_size);
  cairo_save (cr);
  for (int i = 0; i < data->n_lanes; i++)
    {
      char name[64], detail[96];
      bool alarming, two_lines;
      double y = lay->lanes_y + i * lay->lane_h;
      double max_w = lay->label_w - style->padding * 0.5;

      lane_label_lines (&data->lanes[i], name, sizeof name, detail, sizeof detail, &alarming);
      two_lines = detail[0] && lay->lane_h >= (name_size + detail_size) * 1.2;
      if (lay->lane_h < style->small_size * 0.9)
        continue;

      _plab_chart_font (cr, style, name_size, true);
      _plab_chart_set_colour (cr, style->foreground);
      _plab_chart_text_fit (cr, name, max_w, buf, sizeof buf);
      if (two_lines)
        {
          double top = y + lay->lane_h / 2 - (name_size + detail_size) * 0.6;
          _plab_chart_text (cr, lay->label_x, top, 0, 0, buf);
          _plab_chart_font (cr, style, detail_size, false);
          _plab_chart_set_colour (cr, alarming ? style->warning : style->muted);
          _plab_chart_text_fit (cr, detail, max_w, buf, sizeof buf);
          _plab_chart_text (cr, lay->label_x, top + name_size * 1.2, 0, 0, buf);
        }
      else
        _plab_chart_text (cr, lay->label_x, y + lay->lane_h / 2, 0, 0.5, buf);
    }
  cairo_restore (cr);
}

static size_t
counter_sample_at (const Counter *c, double t)
{
  size_t lo = 0, hi = c->n;

  /* The last sample at or before t (or the first one). */
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if ((double)c->samples[mid].start_ns <= t)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo > 0 ? lo - 1 : 0;
}

static void
draw_counter (Frame *f, const Counter *c, int row)
{
  cairo_t *cr = f->cr;
  const PlabChartStyle *style = f->style;
  const PlabTimelineLayout *lay = f->layout;
  double top = lay->counters_y + row * lay->counter_h;
  double inset = style->small_size * 0.4;
  double y_base = top + lay->counter_h - inset;
  double h = lay->counter_h - 2 * inset - style->small_size * 0.4;
  double max_v = c->max_value > 0 ? (double)c->max_value : 1;
  double t1 = f->t0 + f->ns_px * f->n_cols;
  size_t i0 = counter_sample_at (c, f->t0), i1 = counter_sample_at (c, t1);
  double px0 = lay->plot_x, px1 = lay->plot_x + lay->plot_w;
  char buf[64];
  PlabRgba colour = style->palette[0];

  cairo_save (cr);
  /* Track name and scale at the left. */
  _plab_chart_font (cr, style, style->tick_size, true);
  _plab_chart_set_colour (cr, style->foreground);
  _plab_chart_text_fit (cr, c->name, lay->label_w - style->padding * 0.5, buf, sizeof buf);
  _plab_chart_text (cr, lay->label_x, top + lay->counter_h / 2, 0, 1, buf);
  _plab_chart_font (cr, style, style->small_size, false);
  _plab_chart_set_colour (cr, style->muted);
  snprintf (buf, sizeof buf, "max %lld", (long long)c->max_value);
  _plab_chart_text (cr, lay->label_x, top + lay->counter_h / 2 + 2, 0, 0, buf);

  _plab_chart_set_colour (cr, style->grid);
  cairo_set_line_width (cr, style->thin_line_width);
  cairo_move_to (cr, px0, floor (top) + 0.5);
  cairo_line_to (cr, px1, floor (top) + 0.5);
  cairo_stroke (cr);

  cairo_rectangle (cr, px0, top, px1 - px0, lay->counter_h);
  cairo_clip (cr);
  cairo_move_to (cr, px0, y_base);
  if (i1 - i0 <= (size_t)(2 * f->n_cols))
    {
      /* Few samples in view: an exact step line. */
      double prev_y = y_base;
      for (size_t i = i0; i <= i1 && i < c->n; i++)
        {
          double x = plab_timeline_layout_x (lay, (double)c->samples[i].start_ns);
          double y = y_base - (double)c->samples[i].task_id / max_v * h;
          if (x < px0)
            x = px0;
          cairo_line_to (cr, x, prev_y);
          cairo_line_to (cr, x, y);
          prev_y = y;
        }
      cairo_line_to (cr, px1, prev_y);
    }
  else
    {
      /* More samples than pixels: the envelope of each column's maximum. */
      size_t i = i0;
      for (int col = 0; col < f->n_cols; col++)
        {
          double col_end = f->t0 + (col + 1) * f->ns_px;
          int64_t best = i < c->n ? c->samples[i].task_id : 0;
          while (i + 1 < c->n && (double)c->samples[i + 1].start_ns < col_end)
            {
              i++;
              if (c->samples[i].task_id > best)
                best = c->samples[i].task_id;
            }
          cairo_line_to (cr, px0 + col, y_base - (double)best / max_v * h);
          cairo_line_to (cr, px0 + col + 1, y_base - (double)best / max_v * h);
          best = c->samples[i].task_id;
        }
    }
  cairo_line_to (cr, px1, y_base);
  cairo_close_path (cr);
  _plab_chart_set_colour_alpha (cr, colour, 0.18);
  cairo_fill_preserve (cr);
  _plab_chart_set_colour (cr, colour);
  cairo_set_line_width (cr, style->line_width * 0.6);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);
  cairo_stroke (cr);
  cairo_restore (cr);
}

void
plab_timeline_chart_draw (cairo_t *cr,
                          const PlabTimelineData *data,
                          const PlabTimeWindow *window,
                          const PlabChartStyle *style,
                          double width,
                          double height)
{
  PlabTimelineLayout lay;
  PlabRect body, plot;
  PlabLegendItem items[PLAB_N_SPAN_KINDS + 1];
  Frame f = { 0 };
  PlabAxis axis;
  PlabTicks ticks;
  const char *unit;
  double ns_per_unit, bottom;
  char title[64];

  if (width < 1 || height < 1)
    return;

  cairo_save (cr);
  body = _plab_chart_frame (cr, style, data ? data->title : NULL, data ? data->footer : NULL, width,
                            height);
  if (data == NULL || (data->n_spans == 0 && data->n_counters == 0))
    {
      _plab_chart_message (cr, style, body,
                           "This run recorded no spans: nothing to draw on a timeline.");
      goto out;
    }

  layout_with_body (cr, data, window, style, body, &lay);
  _plab_chart_legend (cr, style, items, legend_items (data, style, items), lay.plot_x, lay.legend_y,
                      lay.plot_w, true);

  /* Lane stripes and the time grid under the spans. */
  for (int i = 1; i < data->n_lanes; i += 2)
    {
      _plab_chart_set_colour (cr, style->lane_stripe);
      cairo_rectangle (cr, lay.label_x, lay.lanes_y + i * lay.lane_h,
                       lay.plot_x + lay.plot_w - lay.label_x, lay.lane_h);
    }
  cairo_fill (cr);

  bottom = lay.counters_y + lay.n_counters * lay.counter_h;
  plot.x = lay.plot_x;
  plot.y = lay.lanes_y;
  plot.w = lay.plot_w;
  plot.h = bottom - lay.lanes_y;
  plab_time_unit ((double)(lay.window.end_ns - lay.window.start_ns), &unit, &ns_per_unit);
  plab_axis_init (&axis, lay.window.start_ns / ns_per_unit, lay.window.end_ns / ns_per_unit);
  plab_axis_ticks (&axis, (int)(lay.plot_w / (style->tick_size * 7)) + 1, &ticks);
  snprintf (title, sizeof title, "time since start (%s)", unit);
  _plab_chart_x_axis (cr, style, plot, &axis, &ticks, 1.0, title, true);

  f.cr = cr;
  f.style = style;
  f.data = data;
  f.layout = &lay;
  f.t0 = (double)lay.window.start_ns;
  f.n_cols = (int)ceil (lay.plot_w);
  f.ns_px = (double)(lay.window.end_ns - lay.window.start_ns) / lay.plot_w;
  f.cols = malloc ((size_t)f.n_cols * N_DENSITY_KINDS * sizeof (float));
  f.col_kind = malloc ((size_t)f.n_cols * sizeof (int));
  f.col_level = malloc ((size_t)f.n_cols * sizeof (int));
  if (f.cols == NULL || f.col_kind == NULL || f.col_level == NULL)
    goto out_free;

  cairo_save (cr);
  cairo_rectangle (cr, lay.plot_x, lay.lanes_y, lay.plot_w, bottom - lay.lanes_y);
  cairo_clip (cr);
  for (int i = 0; i < data->n_lanes; i++)
    draw_lane (&f, &data->lanes[i], i);
  cairo_restore (cr);

  for (int j = 0; j < data->n_counters; j++)
    draw_counter (&f, &data->counters[j], j);
  draw_lane_labels (cr, data, &lay, style);

  if (data->n_spans == 0)
    {
      PlabRect lanes = { lay.plot_x, lay.lanes_y, lay.plot_w, lay.n_lanes * lay.lane_h };
      _plab_chart_message (cr, style, lanes, "No spans were recorded, only counters.");
    }

out_free:
  free (f.cols);
  free (f.col_kind);
  free (f.col_level);
out:
  cairo_restore (cr);
}

long
plab_timeline_chart_hit_test (const PlabTimelineData *data,
                              const PlabTimelineLayout *layout,
                              double x,
                              double y)
{
  const Lane *l;
  double t, ns_px, tol;
  int row;

  if (data == NULL || layout->lane_h <= 0 || y < layout->lanes_y || x < layout->plot_x
      || x > layout->plot_x + layout->plot_w)
    return -1;
  row = (int)((y - layout->lanes_y) / layout->lane_h);
  if (row < 0 || row >= data->n_lanes)
    return -1;
  l = &data->lanes[row];
  t = plab_timeline_layout_time (layout, x);
  ns_px = (double)(layout->window.end_ns - layout->window.start_ns) / layout->plot_w;
  tol = ns_px / 2;

  /* Shortest classes first: the innermost of nested spans wins. */
  for (int c = 0; c < N_CLASSES; c++)
    {
      size_t lo = l->class_first[c], hi = l->class_first[c + 1];
      double longest = ldexp (1.0, c + 1);
      long best = -1;
      double best_d = INFINITY;

      if (lo == hi)
        continue;
      for (size_t i = lower_bound (l->items, lo, hi, t - tol - longest);
           i < hi && (double)l->items[i].start <= t + tol; i++)
        {
          const Item *it = &l->items[i];
          double d;

          if ((double)it->end < t - tol)
            continue;
          /* Prefer a span that contains t over one merely near it. */
          d = ((double)it->start <= t && (double)it->end >= t)
                  ? 0
                  : fmin (fabs ((double)it->start - t), fabs ((double)it->end - t));
          if (d < best_d)
            best_d = d, best = (long)it->index;
        }
      if (best >= 0)
        return best;
    }
  return -1;
}
