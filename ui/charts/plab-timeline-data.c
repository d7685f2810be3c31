/* plab-timeline-data.c: the timeline's span store.
 *
 * Spans arrive a batch at a time through a builder, which keeps each in 32
 * bytes with its label in a pool of labels stored once; finishing the
 * builder gathers the lanes and counters and indexes every lane
 * (plab-timeline-index.c). The data set then answers for its spans, its
 * extent and its CSV. */
#include <stdlib.h>
#include <string.h>

#include "plab-mem.h"
#include "plab-timeline-private.h"

/* Lane numbers are 16 bits in a PlabEvent: a table of this many entries maps
 * each to its lane. */
#define N_LANE_NUMBERS 65536
/* Labels just added are remembered in a table of this many entries (a power
 * of two), so a label that recurs ("start", "wait: queue cars") is stored
 * once, at no cost per span for labels that never do ("x=81"). */
#define LABEL_CACHE_SIZE 4096

/* Every label once, each NUL-terminated; offset 0 holds the empty label. */
typedef struct
{
  char *text;
  size_t len;
  size_t cap;
  uint32_t cache[LABEL_CACHE_SIZE]; /* offsets of labels seen lately, by hash; 0: none */
} LabelPool;

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
  size_t n_open;
  PlabTimelineCoverage *coverage;
  size_t n_coverage;
  size_t coverage_cap;
  FlowEnd *flow_ends;
  size_t n_flow_ends;
  size_t flow_ends_cap;
  bool failed; /* out of memory once: finish gives NULL */
};

static int
duration_class (int64_t d)
{
  if (d <= 1)
    return 0;
  return 63 - __builtin_clzll ((unsigned long long)d);
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
  PLAB_FREE_ALL (self->lanes, self->spans, self->counters, self->coverage, self->flow_ends,
                 self->pool.text, self);
}

/* Adds one span ending at @end (not before its start). */
static int
add_span (PlabTimelineBuilder *self, const PlabEvent *e, int64_t end, bool open)
{
  void *grown;
  Span *s;
  uint32_t label;

  if (self->n_spans >= UINT32_MAX)
    return -1;
  grown = grow_array (self->spans, sizeof (Span), self->n_spans + 1, &self->spans_cap);
  if (grown == NULL)
    return -1;
  self->spans = grown;
  label = label_pool_add (&self->pool, e->label, PLAB_LABEL_MAX - 1);
  if (label == UINT32_MAX)
    return -1;
  s = &self->spans[self->n_spans++];
  s->start = e->start_ns;
  s->end = end < e->start_ns ? e->start_ns : end;
  s->task_id = e->task_id;
  s->label = label;
  s->lane = e->lane;
  s->kind = (uint8_t)(e->kind < PLAB_N_SPAN_KINDS ? e->kind : PLAB_SPAN_WAIT);
  s->flags = (uint8_t)(duration_class (s->end - s->start) | (open ? FLAG_OPEN : 0));
  if (open)
    self->n_open++;
  /* A span still going has not handed its item on yet. */
  if (!open && (e->flow == PLAB_FLOW_PUT || e->flow == PLAB_FLOW_GET) && e->item >= 0)
    {
      grown = grow_array (self->flow_ends, sizeof (FlowEnd), self->n_flow_ends + 1,
                          &self->flow_ends_cap);
      if (grown == NULL)
        return -1;
      self->flow_ends = grown;
      self->flow_ends[self->n_flow_ends++]
          = (FlowEnd){ (uint32_t)(self->n_spans - 1), e->item, e->flow };
    }
  return 0;
}

int
plab_timeline_builder_add_open (PlabTimelineBuilder *self,
                                const PlabEvent *open,
                                size_t n_open,
                                int64_t now_ns)
{
  if (self->failed)
    return -1;
  for (size_t i = 0; i < n_open; i++)
    if (is_density_kind (open[i].kind) && add_span (self, &open[i], now_ns, true) != 0)
      {
        self->failed = true;
        return -1;
      }
  return 0;
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
      else if (add_span (self, e, e->end_ns, false) != 0)
        goto fail;
    }
  return 0;

fail:
  self->failed = true;
  return -1;
}

int
plab_timeline_builder_add_coverage (PlabTimelineBuilder *self,
                                    const PlabTimelineCoverage *coverage,
                                    size_t n_coverage)
{
  void *grown;

  if (self->failed)
    return -1;
  if (n_coverage == 0)
    return 0;
  grown = grow_array (self->coverage, sizeof (PlabTimelineCoverage), self->n_coverage + n_coverage,
                      &self->coverage_cap);
  if (grown == NULL)
    {
      self->failed = true;
      return -1;
    }
  self->coverage = grown;
  memcpy (self->coverage + self->n_coverage, coverage, n_coverage * sizeof (PlabTimelineCoverage));
  self->n_coverage += n_coverage;
  return 0;
}

static int
compare_coverage (const void *a, const void *b)
{
  const PlabTimelineCoverage *x = a, *y = b;

  if (x->lane != y->lane)
    return x->lane < y->lane ? -1 : 1;
  return x->start_ns < y->start_ns ? -1 : (x->start_ns > y->start_ns);
}

/* Hands each lane its coverage intervals, sorted; those of lanes the data
 * set does not have are dropped. Their time counts in the extent. */
static void
distribute_coverage (PlabTimelineData *self, PlabTimelineBuilder *b, const int32_t *slot)
{
  size_t kept = 0;

  self->coverage = b->coverage;
  b->coverage = NULL;
  for (size_t i = 0; i < b->n_coverage; i++)
    {
      const PlabTimelineCoverage *c = &self->coverage[i];

      if (c->lane < 0 || c->lane >= N_LANE_NUMBERS || slot[c->lane] < 0 || c->end_ns < c->start_ns)
        continue;
      self->coverage[kept++] = *c;
    }
  self->n_coverage = kept;
  if (kept > 0)
    qsort (self->coverage, kept, sizeof (PlabTimelineCoverage), compare_coverage);
  for (size_t i = 0; i < kept; i++)
    {
      const PlabTimelineCoverage *c = &self->coverage[i];
      Lane *l = &self->lanes[slot[c->lane]];

      if (l->n_coverage == 0)
        l->coverage = c;
      l->n_coverage++;
      if (c->start_ns < self->ext_start)
        self->ext_start = c->start_ns;
      if (c->end_ns > self->ext_end)
        self->ext_end = c->end_ns;
      if (c->end_ns > l->last_end)
        l->last_end = c->end_ns;
      for (int k = 0; k < N_DENSITY_KINDS; k++)
        if (is_density_kind (k) && c->count[k] > 0)
          self->kinds_present |= 1u << k;
    }
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
  char x_host[PLAB_LANE_NAME_MAX], y_host[PLAB_LANE_NAME_MAX];
  long x_rank, y_rank;
  bool x_is = _plab_timeline_lane_rank (&x->info, x_host, sizeof x_host, &x_rank);
  bool y_is = _plab_timeline_lane_rank (&y->info, y_host, sizeof y_host, &y_rank);
  int c;

  /* MPI ranks go under the other lanes, grouped by host, by rank within
   * a host: a host file may deal ranks out round the hosts. */
  if (x_is != y_is)
    return x_is ? 1 : -1;
  if (x_is && (c = strcmp (x_host, y_host)) != 0)
    return c;
  if (x_is && x_rank != y_rank)
    return x_rank < y_rank ? -1 : 1;
  return x->info.lane < y->info.lane ? -1 : (x->info.lane > y->info.lane);
}

/* Lanes: the given ones (the first of equal numbers wins) plus any that only
 * spans name, sorted by number (MPI ranks by host, then rank). @slot maps a lane number to its lane. */
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

/* The builder's arrays become the data's, fitted to what they hold (they
 * grew by doubling). */
static void
adopt_arrays (PlabTimelineData *self, PlabTimelineBuilder *b)
{
  self->spans = b->spans;
  self->n_spans = b->n_spans;
  b->spans = NULL;
  self->counter_samples = b->counters;
  self->n_counter_samples = b->n_counters;
  b->counters = NULL;
  self->labels = b->pool.text;
  self->labels_len = b->pool.len;
  b->pool.text = NULL;
  self->flow_ends = b->flow_ends;
  self->n_flow_ends = b->n_flow_ends;
  b->flow_ends = NULL;
  if (self->n_spans > 0)
    {
      Span *fitted = realloc (self->spans, self->n_spans * sizeof (Span));
      if (fitted != NULL)
        self->spans = fitted;
    }
  {
    char *fitted = realloc (self->labels, self->labels_len);
    if (fitted != NULL)
      self->labels = fitted;
  }
}

/* The extent of every span and counter sample, the kinds present, and how
 * many items and crashes each lane gets. */
static void
measure (PlabTimelineData *self, const int32_t *slot)
{
  bool have_any = false;

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
      else if (s->kind == PLAB_SPAN_CORE_WAIT)
        l->n_core_waits++;
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
}

/* The family of a span's label: the text before its first ": " ("oven" of
 * "oven: bake bread"), after the "wait: " or "sleep: " core puts before
 * what a generic wait waited for ("wait: barrier"); the whole label when it
 * has no ": ". *@len is its length, *@stated whether the label said it. */
static const char *
label_family (const char *label, size_t *len, bool *stated)
{
  static const char *const generic[] = { "wait: ", "sleep: " };
  const char *colon;

  for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
    if (strncmp (label, generic[i], strlen (generic[i])) == 0)
      label += strlen (generic[i]);
  colon = strstr (label, ": ");
  *stated = colon != NULL;
  *len = colon != NULL ? (size_t)(colon - label) : strlen (label);
  return label;
}

/* Names the kinds for the legend. A kind whose name says nothing of what
 * was waited for (sleep, I/O, waiting) takes the family its spans share,
 * when they all share one that their labels state ("oven: bake bread",
 * "oven: bake cake") or that two or more spans carry alike: the chef's
 * bakes read "sleep: oven". */
static void
name_kinds (PlabTimelineData *self)
{
  static const int generic[] = { PLAB_SPAN_SLEEP, PLAB_SPAN_IO, PLAB_SPAN_WAIT };

  for (int k = 0; k < N_DENSITY_KINDS; k++)
    snprintf (self->kind_names[k], sizeof self->kind_names[k], "%s",
              plab_chart_span_kind_label (k));
  for (size_t g = 0; g < sizeof generic / sizeof generic[0]; g++)
    {
      int kind = generic[g];
      const char *family = NULL;
      size_t family_len = 0, n = 0;
      uint32_t last_label = 0;
      bool mixed = false, stated = false;

      for (size_t i = 0; i < self->n_spans && !mixed; i++)
        {
          const Span *s = &self->spans[i];
          const char *f;
          size_t len;
          bool said;

          if (s->kind != kind)
            continue;
          if (n++ > 0 && s->label == last_label)
            continue;
          last_label = s->label;
          f = label_family (span_label (self, s), &len, &said);
          stated = stated || said;
          if (family == NULL)
            family = f, family_len = len;
          else if (len != family_len || strncmp (f, family, len) != 0)
            mixed = true;
        }
      /* A family that only repeats the kind ("sleep: sleep") adds nothing. */
      if (!mixed && family_len > 0 && (stated || n >= 2)
          && !(strlen (plab_chart_span_kind_label (kind)) == family_len
               && strncmp (plab_chart_span_kind_label (kind), family, family_len) == 0))
        snprintf (self->kind_names[kind], sizeof self->kind_names[kind], "%s: %.*s",
                  plab_chart_span_kind_label (kind), (int)family_len, family);
    }
}

/* Hands every span to its lane: crashes to the markers, core waits to the
 * strip over the spans, the rest to the items, in the order given. */
static int
distribute_spans (PlabTimelineData *self, const int32_t *slot)
{
  for (int i = 0; i < self->n_lanes; i++)
    {
      Lane *l = &self->lanes[i];

      l->items = malloc ((l->n_items + 1) * sizeof (uint32_t));
      l->crashes = malloc ((l->n_crashes + 1) * sizeof (uint32_t));
      l->core_waits = malloc ((l->n_core_waits + 1) * sizeof (uint32_t));
      if (l->items == NULL || l->crashes == NULL || l->core_waits == NULL)
        return -1;
      l->n_items = 0;
      l->n_crashes = 0;
      l->n_core_waits = 0;
    }
  for (size_t i = 0; i < self->n_spans; i++)
    {
      Lane *l = &self->lanes[slot[self->spans[i].lane]];

      if (self->spans[i].kind == PLAB_SPAN_CRASH)
        l->crashes[l->n_crashes++] = (uint32_t)i;
      else if (self->spans[i].kind == PLAB_SPAN_CORE_WAIT)
        l->core_waits[l->n_core_waits++] = (uint32_t)i;
      else
        l->items[l->n_items++] = (uint32_t)i;
    }
  return 0;
}

PlabTimelineData *
plab_timeline_builder_finish (PlabTimelineBuilder *b)
{
  PlabTimelineData *self = NULL;
  int32_t *slot = NULL;

  if (b == NULL || b->failed)
    goto fail;
  self = calloc (1, sizeof *self);
  slot = malloc (N_LANE_NUMBERS * sizeof (int32_t));
  if (self == NULL || slot == NULL || collect_lanes (self, b, slot) < 0)
    goto fail;
  self->n_open = b->n_open;
  adopt_arrays (self, b);
  measure (self, slot);
  name_kinds (self);
  distribute_coverage (self, b, slot);
  if (distribute_spans (self, slot) < 0)
    goto fail;
  for (int i = 0; i < self->n_lanes; i++)
    if (_plab_timeline_index_lane (&self->lanes[i], self->spans) < 0
        || _plab_timeline_build_pyramids (&self->lanes[i], self->spans, self->ext_start,
                                          self->ext_end)
               < 0)
      goto fail;

  /* Counters: grouped by name, by time within a name. */
  if (build_counters (self) < 0 || _plab_timeline_link_flows (self) < 0)
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
      PLAB_FREE_ALL (self->lanes[i].items, self->lanes[i].crashes, self->lanes[i].core_waits);
      for (int layer = 0; layer < N_LAYERS; layer++)
        free (self->lanes[i].pyramid[layer].bins);
    }
  PLAB_FREE_ALL (self->lanes, self->spans, self->coverage, self->labels, self->counter_samples,
                 self->counters, self->title, self->footer, self->notice, self->flow_ends,
                 self->flows, self);
}

void
plab_timeline_data_set_notice (PlabTimelineData *self, const char *notice)
{
  free (self->notice);
  self->notice = notice && notice[0] ? strdup (notice) : NULL;
}

const char *
plab_timeline_data_get_notice (const PlabTimelineData *self)
{
  return self->notice;
}

size_t
plab_timeline_data_n_coverage (const PlabTimelineData *self)
{
  return self->n_coverage;
}

bool
plab_timeline_data_get_coverage (const PlabTimelineData *self,
                                 size_t index,
                                 PlabTimelineCoverage *out)
{
  if (self == NULL || index >= self->n_coverage)
    return false;
  *out = self->coverage[index];
  return true;
}

size_t
plab_timeline_data_n_open (const PlabTimelineData *self)
{
  return self->n_open;
}

bool
plab_timeline_data_span_is_open (const PlabTimelineData *self, size_t index)
{
  return index < self->n_spans && (self->spans[index].flags & FLAG_OPEN) != 0;
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

const char *
plab_timeline_data_kind_name (const PlabTimelineData *self, int kind)
{
  if (self == NULL || kind < 0 || kind >= N_DENSITY_KINDS)
    return plab_chart_span_kind_label (kind);
  return self->kind_names[kind];
}

bool
plab_timeline_data_lane_summary (const PlabTimelineData *self, int row, PlabLaneSummary *out)
{
  const Lane *l;

  memset (out, 0, sizeof *out);
  if (self == NULL || row < 0 || row >= self->n_lanes)
    return false;
  l = &self->lanes[row];
  out->info = l->info;
  out->run_ns = self->ext_end - self->ext_start;
  out->n_tasks = l->n_tasks;
  for (int k = 0; k < N_DENSITY_KINDS; k++)
    out->kind_ns[k] = l->kind_ns[k];
  out->busy_ns = l->kind_ns[PLAB_SPAN_TASK];
  out->busy_percent = out->run_ns > 0 ? 100.0 * (double)out->busy_ns / (double)out->run_ns : 0;
  return true;
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
  out->item = -1;
  snprintf (out->label, sizeof out->label, "%s", span_label (self, s));
  /* Flow ends are few and by span index: a binary search. */
  {
    size_t lo = 0, hi = self->n_flow_ends;

    while (lo < hi)
      {
        size_t mid = lo + (hi - lo) / 2;

        if (self->flow_ends[mid].span < index)
          lo = mid + 1;
        else
          hi = mid;
      }
    if (lo < self->n_flow_ends && self->flow_ends[lo].span == index)
      {
        out->flow = self->flow_ends[lo].flow;
        out->item = self->flow_ends[lo].item;
      }
  }
  return true;
}

size_t
plab_timeline_data_memory (const PlabTimelineData *self)
{
  size_t bytes = sizeof *self + self->n_spans * sizeof (Span) + self->labels_len
                 + self->n_lanes * sizeof (Lane) + self->n_counter_samples * sizeof (PlabEvent)
                 + (size_t)self->n_counters * sizeof (Counter)
                 + self->n_flow_ends * sizeof (FlowEnd) + self->n_flows * sizeof (PlabTimelineFlow);

  for (int i = 0; i < self->n_lanes; i++)
    {
      const Lane *l = &self->lanes[i];
      bytes += (l->n_items + l->n_crashes + l->n_core_waits) * sizeof (uint32_t);
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
