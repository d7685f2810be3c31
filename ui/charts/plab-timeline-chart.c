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
/* Lane numbers are 16 bits in a PlabEvent: a table of this many entries maps
 * each to its lane. */
#define N_LANE_NUMBERS 65536
/* Labels just added are remembered in a table of this many entries (a power
 * of two), so a label that recurs ("start", "wait: queue cars") is stored
 * once, at no cost per span for labels that never do ("x=81"). */
#define LABEL_CACHE_SIZE 4096
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

_Static_assert(sizeof (Span) == 32, "a span takes 32 bytes");

/* Every label once, each NUL-terminated; offset 0 holds the empty label. */
typedef struct
{
  char *text;
  size_t len;
  size_t cap;
  uint32_t cache[LABEL_CACHE_SIZE]; /* offsets of labels seen lately, by hash; 0: none */
} LabelPool;

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
  char *title;
  char *footer;
};

struct PlabTimelineBuilder
{
  PlabLaneInfo *lanes;
  size_t n_lanes;
  Span *spans;
  size_t n_spans;
  size_t spans_cap;
  PlabEvent *counters;
  size_t n_counters;
  size_t counters_cap;
  LabelPool pool;
  bool failed; /* out of memory once: finish gives NULL */
};

static int
duration_class (int64_t d)
{
  if (d <= 1)
    return 0;
  return 63 - __builtin_clzll ((unsigned long long)d);
}

/* The kind a span is drawn and summed as. */
static inline int
density_kind (const Span *s)
{
  return s->kind < N_DENSITY_KINDS ? s->kind : PLAB_SPAN_WAIT;
}

static inline const char *
span_label (const PlabTimelineData *self, const Span *s)
{
  return self->labels + s->label;
}

/* --- The label pool --- */

static int
label_pool_init (LabelPool *pool)
{
  memset (pool, 0, sizeof *pool);
  pool->cap = 4096;
  pool->text = malloc (pool->cap);
  if (pool->text == NULL)
    return -1;
  pool->text[0] = '\0';
  pool->len = 1;
  return 0;
}

/* The offset of @label (at most @max bytes of it) in the pool, adding it
 * unless it was seen lately; UINT32_MAX when out of memory or room. */
static uint32_t
label_pool_add (LabelPool *pool, const char *label, size_t max)
{
  size_t len = strnlen (label, max);
  uint32_t hash = 2166136261u;
  uint32_t *slot;

  if (len == 0)
    return 0;
  /* FNV-1a: cheap, and spreads "x=1", "x=2", ... well enough. */
  for (size_t i = 0; i < len; i++)
    hash = (hash ^ (unsigned char)label[i]) * 16777619u;
  slot = &pool->cache[hash & (LABEL_CACHE_SIZE - 1)];
  if (*slot != 0 && strncmp (pool->text + *slot, label, len) == 0
      && pool->text[*slot + len] == '\0')
    return *slot;

  if (pool->len + len + 1 > UINT32_MAX)
    return UINT32_MAX;
  if (pool->len + len + 1 > pool->cap)
    {
      size_t cap = pool->cap * 2;
      char *grown;

      while (cap < pool->len + len + 1)
        cap *= 2;
      grown = realloc (pool->text, cap);
      if (grown == NULL)
        return UINT32_MAX;
      pool->text = grown;
      pool->cap = cap;
    }
  memcpy (pool->text + pool->len, label, len);
  pool->text[pool->len + len] = '\0';
  *slot = (uint32_t)pool->len;
  pool->len += len + 1;
  return *slot;
}

/* --- Building --- */

static void *
grow_array (void *array, size_t elem, size_t need, size_t *cap)
{
  size_t new_cap = *cap ? *cap : 1024;
  void *grown;

  if (need <= *cap)
    return array;
  while (new_cap < need)
    new_cap *= 2;
  grown = realloc (array, new_cap * elem);
  if (grown != NULL)
    *cap = new_cap;
  return grown;
}

PlabTimelineBuilder *
plab_timeline_builder_new (const PlabLaneInfo *lanes, size_t n_lanes)
{
  PlabTimelineBuilder *self = calloc (1, sizeof *self);

  if (self == NULL)
    return NULL;
  self->lanes = malloc ((n_lanes + 1) * sizeof (PlabLaneInfo));
  if (self->lanes == NULL || label_pool_init (&self->pool) < 0)
    {
      plab_timeline_builder_free (self);
      return NULL;
    }
  if (n_lanes > 0)
    memcpy (self->lanes, lanes, n_lanes * sizeof (PlabLaneInfo));
  self->n_lanes = n_lanes;
  return self;
}

void
plab_timeline_builder_free (PlabTimelineBuilder *self)
{
  if (self == NULL)
    return;
  free (self->lanes);
  free (self->spans);
  free (self->counters);
  free (self->pool.text);
  free (self);
}

int
plab_timeline_builder_add (PlabTimelineBuilder *self, const PlabEvent *events, size_t n_events)
{
  if (self->failed)
    return -1;
  for (size_t i = 0; i < n_events; i++)
    {
      const PlabEvent *e = &events[i];

      if (e->kind == PLAB_SPAN_COUNTER)
        {
          void *grown = grow_array (self->counters, sizeof (PlabEvent), self->n_counters + 1,
                                    &self->counters_cap);
          if (grown == NULL)
            goto fail;
          self->counters = grown;
          self->counters[self->n_counters++] = *e;
        }
      else
        {
          void *grown;
          Span *s;
          uint32_t label;

          if (self->n_spans >= UINT32_MAX)
            goto fail;
          grown = grow_array (self->spans, sizeof (Span), self->n_spans + 1, &self->spans_cap);
          if (grown == NULL)
            goto fail;
          self->spans = grown;
          label = label_pool_add (&self->pool, e->label, PLAB_LABEL_MAX - 1);
          if (label == UINT32_MAX)
            goto fail;
          s = &self->spans[self->n_spans++];
          s->start = e->start_ns;
          s->end = e->end_ns < e->start_ns ? e->start_ns : e->end_ns;
          s->task_id = e->task_id;
          s->label = label;
          s->lane = e->lane;
          s->kind = (uint8_t)(e->kind < PLAB_N_SPAN_KINDS ? e->kind : PLAB_SPAN_WAIT);
          s->flags = (uint8_t)duration_class (s->end - s->start);
        }
    }
  return 0;

fail:
  self->failed = true;
  return -1;
}

/* Items of one lane by start; of two spans starting together the longer one
 * comes first, so it is the container when they nest. qsort has no user
 * data, so the spans come through a thread-local pointer: the window indexes
 * a loaded run in a worker thread while it indexes a live one. */
static _Thread_local const Span *sort_spans;

static int
compare_items_by_start (const void *a, const void *b)
{
  uint32_t ia = *(const uint32_t *)a, ib = *(const uint32_t *)b;
  const Span *x = &sort_spans[ia], *y = &sort_spans[ib];

  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  if (x->end != y->end)
    return x->end > y->end ? -1 : 1;
  return ia < ib ? -1 : (ia > ib);
}

/* Sorts the lane's items by start (they usually come sorted, from the
 * store), marks nested spans, then orders the items by class keeping start
 * order within a class (a counting sort, stable), and fills class_first. */
static int
index_lane (Lane *l, Span *spans)
{
  uint32_t *sorted;
  size_t count[N_CLASSES + 1] = { 0 };
  int64_t max_end = INT64_MIN;
  bool in_order = true;

  for (size_t i = 1; i < l->n_items && in_order; i++)
    {
      const Span *x = &spans[l->items[i - 1]], *y = &spans[l->items[i]];
      in_order = x->start < y->start || (x->start == y->start && x->end >= y->end);
    }
  if (!in_order)
    {
      sort_spans = spans;
      qsort (l->items, l->n_items, sizeof (uint32_t), compare_items_by_start);
      sort_spans = NULL;
    }
  for (size_t i = 0; i < l->n_items; i++)
    {
      Span *s = &spans[l->items[i]];
      bool nested = i > 0 && s->end <= max_end && s->end > s->start;

      s->flags = (uint8_t)((s->flags & FLAG_CLASS) | (nested ? FLAG_NESTED : 0));
      if (nested)
        l->has_nested = true;
      if (s->end > max_end)
        max_end = s->end;
      count[(s->flags & FLAG_CLASS) + 1]++;
    }
  for (int c = 0; c < N_CLASSES; c++)
    count[c + 1] += count[c];
  memcpy (l->class_first, count, sizeof count);

  sorted = malloc ((l->n_items + 1) * sizeof (uint32_t));
  if (sorted == NULL)
    return -1;
  for (size_t i = 0; i < l->n_items; i++)
    sorted[count[spans[l->items[i]].flags & FLAG_CLASS]++] = l->items[i];
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
add_coverage (float *bins, size_t n_bins, double bin_ns, int64_t origin, const Span *it)
{
  double s = (it->start - origin) / bin_ns;
  double e = (it->end - origin) / bin_ns;
  int kind = density_kind (it);
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
        bins[b * N_DENSITY_KINDS + kind] += (float)((hi - lo) * bin_ns);
    }
}

static inline int
span_layer (const Span *s)
{
  return (s->flags & FLAG_NESTED) ? LAYER_NESTED : LAYER_TOP;
}

/* The pyramid of the lane's spans in @layer, when they are @n_spans, enough
 * to be worth one. */
static int
build_pyramid (Lane *lane,
               int layer,
               size_t n_spans,
               const Span *spans,
               int64_t ext_start,
               int64_t ext_end)
{
  Pyramid *p = &lane->pyramid[layer];
  size_t n0 = 1, total = 0;
  int levels = 0;

  if (n_spans < PYRAMID_MIN_SPANS)
    return 0;
  while (n0 < PYRAMID_MAX_BINS && n0 < n_spans / 4)
    n0 <<= 1;
  for (size_t n = n0; n >= 1 && levels < PYRAMID_MAX_LEVELS; n >>= 1)
    {
      p->level_off[levels++] = total * N_DENSITY_KINDS;
      total += n;
    }
  p->bins = calloc (total * N_DENSITY_KINDS, sizeof (float));
  if (p->bins == NULL)
    return -1;
  p->n_levels = levels;
  p->n_bins0 = n0;
  p->bin0_ns = (double)(ext_end - ext_start) / (double)n0;
  if (p->bin0_ns < 1)
    p->bin0_ns = 1;

  for (size_t i = 0; i < lane->n_items; i++)
    if (span_layer (&spans[lane->items[i]]) == layer)
      add_coverage (p->bins, n0, p->bin0_ns, ext_start, &spans[lane->items[i]]);

  for (int l = 1; l < levels; l++)
    {
      const float *below = p->bins + p->level_off[l - 1];
      float *level = p->bins + p->level_off[l];
      size_t n = n0 >> l;

      for (size_t b = 0; b < n; b++)
        for (int k = 0; k < N_DENSITY_KINDS; k++)
          level[b * N_DENSITY_KINDS + k]
              = below[2 * b * N_DENSITY_KINDS + k] + below[(2 * b + 1) * N_DENSITY_KINDS + k];
    }
  return 0;
}

/* Lanes: the given ones (the first of equal numbers wins) plus any that only
 * spans name, sorted by number. @slot maps a lane number to its lane. */
static int
collect_lanes (PlabTimelineData *self, PlabTimelineBuilder *b, int32_t *slot)
{
  size_t max_lanes = b->n_lanes;

  /* Room for the given lanes and every other number a span names: a Lane
   * is a kilobyte and more, too much to reserve for all 65536 numbers. */
  for (size_t i = 0; i < N_LANE_NUMBERS; i++)
    slot[i] = -1;
  for (size_t i = 0; i < b->n_spans; i++)
    if (slot[b->spans[i].lane] < 0)
      {
        slot[b->spans[i].lane] = 0;
        max_lanes++;
      }
  self->lanes = calloc (max_lanes + 1, sizeof (Lane));
  if (self->lanes == NULL)
    return -1;
  for (size_t i = 0; i < N_LANE_NUMBERS; i++)
    slot[i] = -1;
  for (size_t i = 0; i < b->n_lanes; i++)
    {
      int number = b->lanes[i].lane;
      bool seen = false;

      if (number >= 0 && number < N_LANE_NUMBERS)
        seen = slot[number] >= 0;
      else
        for (int j = 0; j < self->n_lanes && !seen; j++)
          seen = self->lanes[j].info.lane == number;
      if (seen)
        continue;
      if (number >= 0 && number < N_LANE_NUMBERS)
        slot[number] = self->n_lanes;
      self->lanes[self->n_lanes++].info = b->lanes[i];
    }
  for (size_t i = 0; i < b->n_spans; i++)
    {
      int number = b->spans[i].lane;
      Lane *l;

      if (slot[number] >= 0)
        continue;
      slot[number] = self->n_lanes;
      l = &self->lanes[self->n_lanes++];
      l->info.lane = number;
      l->info.kind = number == 0 ? PLAB_LANE_MAIN : PLAB_LANE_PROCESS;
      snprintf (l->info.name, sizeof l->info.name, number == 0 ? "main" : "lane %d", number);
    }
  qsort (self->lanes, self->n_lanes, sizeof (Lane), compare_lane_info);
  for (int i = 0; i < self->n_lanes; i++)
    if (self->lanes[i].info.lane >= 0 && self->lanes[i].info.lane < N_LANE_NUMBERS)
      slot[self->lanes[i].info.lane] = i;
  return 0;
}

static int
build_counters (PlabTimelineData *self)
{
  /* A run without counters has no array at all, and qsort () must not be
   * given NULL, even for no elements. */
  if (self->n_counter_samples > 0)
    qsort (self->counter_samples, self->n_counter_samples, sizeof (PlabEvent),
           compare_counter_samples);
  self->counters = calloc (self->n_counter_samples + 1, sizeof (Counter));
  if (self->counters == NULL)
    return -1;
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
  return 0;
}

PlabTimelineData *
plab_timeline_builder_finish (PlabTimelineBuilder *b)
{
  PlabTimelineData *self = NULL;
  int32_t *slot = NULL;
  bool have_any = false;

  if (b == NULL || b->failed)
    goto fail;
  self = calloc (1, sizeof *self);
  slot = malloc (N_LANE_NUMBERS * sizeof (int32_t));
  if (self == NULL || slot == NULL || collect_lanes (self, b, slot) < 0)
    goto fail;

  /* The builder's arrays become the data's. */
  self->spans = b->spans;
  self->n_spans = b->n_spans;
  b->spans = NULL;
  self->counter_samples = b->counters;
  self->n_counter_samples = b->n_counters;
  b->counters = NULL;
  self->labels = b->pool.text;
  self->labels_len = b->pool.len;
  b->pool.text = NULL;
  if (self->n_spans > 0)
    {
      /* The arrays grew by doubling; give back what is not used. */
      Span *fitted = realloc (self->spans, self->n_spans * sizeof (Span));
      if (fitted != NULL)
        self->spans = fitted;
    }
  {
    char *fitted = realloc (self->labels, self->labels_len);
    if (fitted != NULL)
      self->labels = fitted;
  }

  /* Extent, and how many items each lane gets. */
  self->ext_start = 0;
  self->ext_end = 0;
  for (size_t i = 0; i < self->n_spans; i++)
    {
      const Span *s = &self->spans[i];
      Lane *l = &self->lanes[slot[s->lane]];

      if (!have_any || s->start < self->ext_start)
        self->ext_start = s->start;
      if (!have_any || s->end > self->ext_end)
        self->ext_end = s->end;
      have_any = true;
      if (s->end > l->last_end)
        l->last_end = s->end;
      if (s->kind == PLAB_SPAN_CRASH)
        l->n_crashes++;
      else
        l->n_items++;
      self->kinds_present |= 1u << s->kind;
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

      l->items = malloc ((l->n_items + 1) * sizeof (uint32_t));
      l->crashes = malloc ((l->n_crashes + 1) * sizeof (uint32_t));
      if (l->items == NULL || l->crashes == NULL)
        goto fail;
      l->n_items = 0;
      l->n_crashes = 0;
    }
  for (size_t i = 0; i < self->n_spans; i++)
    {
      Lane *l = &self->lanes[slot[self->spans[i].lane]];

      if (self->spans[i].kind == PLAB_SPAN_CRASH)
        l->crashes[l->n_crashes++] = (uint32_t)i;
      else
        l->items[l->n_items++] = (uint32_t)i;
    }

  for (int i = 0; i < self->n_lanes; i++)
    {
      Lane *l = &self->lanes[i];

      size_t n_nested = 0;

      if (index_lane (l, self->spans) < 0)
        goto fail;
      for (size_t j = 0; j < l->n_items && l->has_nested; j++)
        n_nested += span_layer (&self->spans[l->items[j]]) == LAYER_NESTED;
      if (build_pyramid (l, LAYER_TOP, l->n_items - n_nested, self->spans, self->ext_start,
                         self->ext_end)
              < 0
          || build_pyramid (l, LAYER_NESTED, n_nested, self->spans, self->ext_start, self->ext_end)
                 < 0)
        goto fail;
    }

  /* Counters: grouped by name, by time within a name. */
  if (build_counters (self) < 0)
    goto fail;
  free (slot);
  plab_timeline_builder_free (b);
  return self;

fail:
  free (slot);
  plab_timeline_builder_free (b);
  plab_timeline_data_free (self);
  return NULL;
}

PlabTimelineData *
plab_timeline_data_new (const PlabLaneInfo *lanes,
                        size_t n_lanes,
                        const PlabEvent *spans,
                        size_t n_spans,
                        const PlabEvent *counters,
                        size_t n_counters)
{
  PlabTimelineBuilder *b = plab_timeline_builder_new (lanes, n_lanes);

  if (b == NULL)
    return NULL;
  if (plab_timeline_builder_add (b, spans, n_spans) < 0)
    {
      plab_timeline_builder_free (b);
      return NULL;
    }
  /* Counters go in as counters, whatever their kind says. */
  for (size_t i = 0; i < n_counters; i++)
    {
      void *grown
          = grow_array (b->counters, sizeof (PlabEvent), b->n_counters + 1, &b->counters_cap);
      if (grown == NULL)
        {
          plab_timeline_builder_free (b);
          return NULL;
        }
      b->counters = grown;
      b->counters[b->n_counters++] = counters[i];
    }
  return plab_timeline_builder_finish (b);
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
      for (int layer = 0; layer < N_LAYERS; layer++)
        free (self->lanes[i].pyramid[layer].bins);
    }
  free (self->lanes);
  free (self->spans);
  free (self->labels);
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

bool
plab_timeline_data_get_span (const PlabTimelineData *self, size_t index, PlabEvent *out)
{
  const Span *s;

  if (self == NULL || index >= self->n_spans)
    return false;
  s = &self->spans[index];
  memset (out, 0, sizeof *out);
  out->start_ns = s->start;
  out->end_ns = s->end;
  out->task_id = s->task_id;
  out->kind = s->kind;
  out->lane = s->lane;
  snprintf (out->label, sizeof out->label, "%s", span_label (self, s));
  return true;
}

size_t
plab_timeline_data_memory (const PlabTimelineData *self)
{
  size_t bytes = sizeof *self + self->n_spans * sizeof (Span) + self->labels_len
                 + self->n_lanes * sizeof (Lane) + self->n_counter_samples * sizeof (PlabEvent)
                 + (size_t)self->n_counters * sizeof (Counter);

  for (int i = 0; i < self->n_lanes; i++)
    {
      const Lane *l = &self->lanes[i];
      bytes += (l->n_items + l->n_crashes) * sizeof (uint32_t);
      for (int layer = 0; layer < N_LAYERS; layer++)
        if (l->pyramid[layer].n_levels > 0)
          bytes += 2 * l->pyramid[layer].n_bins0 * N_DENSITY_KINDS * sizeof (float);
    }
  return bytes;
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
      const Span *s = &self->spans[i];
      const Lane *l = &self->lanes[find_lane (self, s->lane)];

      fprintf (out, "span,%d,", l->info.lane);
      csv_field (out, l->info.name);
      fprintf (out, ",%d,%d,%s,%lld,%lld,%lld,", l->info.pid, l->info.tid,
               plab_chart_span_kind_label (s->kind), (long long)s->start, (long long)s->end,
               (long long)s->task_id);
      csv_field (out, span_label (self, s));
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
  else if (info->dropped > 0)
    {
      /* The lane's buffer overflowed: the timeline misses events, and says so. */
      snprintf (detail, detail_len, "%s%s%llu events lost", id, id[0] ? " · " : "",
                (unsigned long long)info->dropped);
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
  double span = ((double)layout->window.end_ns - (double)layout->window.start_ns);
  return layout->plot_x + (t_ns - (double)layout->window.start_ns) / span * layout->plot_w;
}

double
plab_timeline_layout_time (const PlabTimelineLayout *layout, double x)
{
  double span = ((double)layout->window.end_ns - (double)layout->window.start_ns);
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
lower_bound (const Span *spans, const uint32_t *items, size_t lo, size_t hi, double t)
{
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if ((double)spans[items[mid]].start < t)
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
density_from_pyramid (Frame *f, const Pyramid *l)
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
density_direct (Frame *f, const Lane *l, int layer, int big_class)
{
  const Span *spans = f->data->spans;
  double t1 = f->t0 + f->ns_px * f->n_cols;

  for (int c = 0; c < big_class && c < N_CLASSES; c++)
    {
      size_t lo = l->class_first[c], hi = l->class_first[c + 1];
      double longest = ldexp (1.0, c + 1);

      if (lo == hi)
        continue;
      for (size_t i = lower_bound (spans, l->items, lo, hi, f->t0 - longest);
           i < hi && (double)spans[l->items[i]].start <= t1; i++)
        {
          const Span *it = &spans[l->items[i]];
          if (span_layer (it) == layer)
            add_span_to_columns (f, (double)it->start, (double)it->end, density_kind (it));
        }
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
draw_density (Frame *f, double top, double h)
{
  cairo_t *cr = f->cr;
  unsigned present = 0;

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
draw_span_label (Frame *f, const Span *e, double x0, double x1, double y_mid)
{
  char text[PLAB_LABEL_MAX + 24];
  char fitted[PLAB_LABEL_MAX + 24];
  double inset = f->style->small_size * 0.35;
  PlabRgba bg = plab_chart_style_span_colour (f->style, e->kind);
  PlabRgba fg = { 1, 1, 1, 1 };
  const char *label = span_label (f->data, e);

  if (label[0])
    snprintf (text, sizeof text, "%s", label);
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
draw_big_spans (Frame *f, const Lane *l, int layer, int big_class, double y_mid, double span_h)
{
  cairo_t *cr = f->cr;
  const Span *spans = f->data->spans;
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
      first = lower_bound (spans, l->items, lo, hi, f->t0 - longest);
      for (size_t i = first; i < hi && (double)spans[l->items[i]].start <= t1; i++)
        if ((double)spans[l->items[i]].end >= f->t0 && span_layer (&spans[l->items[i]]) == layer)
          kinds |= 1u << density_kind (&spans[l->items[i]]);

      for (int k = 0; k < N_DENSITY_KINDS; k++)
        {
          if (!(kinds & (1u << k)))
            continue;
          for (size_t i = first; i < hi && (double)spans[l->items[i]].start <= t1; i++)
            {
              const Span *it = &spans[l->items[i]];
              double x0, x1;

              if (density_kind (it) != k || (double)it->end < f->t0 || span_layer (it) != layer)
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
              if (it->flags & FLAG_NESTED)
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
      for (size_t i = first; i < hi && (double)spans[l->items[i]].start <= t1; i++)
        {
          const Span *it = &spans[l->items[i]];
          double x0 = px0 + ((double)it->start - f->t0) / f->ns_px;
          double x1 = px0 + ((double)it->end - f->t0) / f->ns_px;

          if ((double)it->end < f->t0 || x1 - x0 < label_min || span_layer (it) != layer)
            continue;
          if (f->n_labels >= MAX_LABELS_PER_FRAME)
            break;
          draw_span_label (f, it, x0, x1,
                           (it->flags & FLAG_NESTED) ? nested_top + nested_h / 2 : label_y);
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

  /* The top layer fills the bar; the nested layer comes after it, in the
   * lower part, so spans too short to draw one by one still show inside the
   * long span that holds them. */
  for (int layer = 0; layer < (l->has_nested ? N_LAYERS : 1); layer++)
    {
      const Pyramid *p = &l->pyramid[layer];

      memset (f->cols, 0, (size_t)f->n_cols * N_DENSITY_KINDS * sizeof (float));
      if (p->n_levels > 0 && p->bin0_ns <= f->ns_px)
        density_from_pyramid (f, p);
      else
        density_direct (f, l, layer, big_class);
      if (layer == LAYER_TOP)
        draw_density (f, floor (y_mid - span_h / 2), ceil (span_h));
      else
        draw_density (f, floor (y_mid + span_h * NESTED_GAP), ceil (span_h * NESTED_SHARE));
      draw_big_spans (f, l, layer, big_class, y_mid, span_h);
    }

  for (size_t i = 0; i < l->n_crashes; i++)
    {
      const Span *e = &f->data->spans[l->crashes[i]];
      const char *label = span_label (f->data, e);
      draw_crash_marker (f, plab_timeline_layout_x (lay, (double)e->start), lane_y, lay->lane_h,
                         label[0] ? label : "died");
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
  /* In doubles: a hostile store can put a window end and start 2^63 apart. */
  plab_time_unit ((double)lay.window.end_ns - (double)lay.window.start_ns, &unit, &ns_per_unit);
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
  f.ns_px = ((double)lay.window.end_ns - (double)lay.window.start_ns) / lay.plot_w;
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
  ns_px = ((double)layout->window.end_ns - (double)layout->window.start_ns) / layout->plot_w;
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
      for (size_t i = lower_bound (data->spans, l->items, lo, hi, t - tol - longest);
           i < hi && (double)data->spans[l->items[i]].start <= t + tol; i++)
        {
          const Span *it = &data->spans[l->items[i]];
          double d;

          if ((double)it->end < t - tol)
            continue;
          /* Prefer a span that contains t over one merely near it. */
          d = ((double)it->start <= t && (double)it->end >= t)
                  ? 0
                  : fmin (fabs ((double)it->start - t), fabs ((double)it->end - t));
          if (d < best_d)
            best_d = d, best = (long)l->items[i];
        }
      if (best >= 0)
        return best;
    }
  return -1;
}
