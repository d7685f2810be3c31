/* plab-timeline-index.c: a lane's spans indexed for range queries and
 * level of detail.
 *
 * Items of a lane are ordered by duration class, then start, so that the
 * spans of a class in a time window are found by binary search; the density
 * pyramids sum the time each kind covers in bins that halve in resolution
 * level by level. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plab-timeline-private.h"

/* A lane with fewer spans than this sums its short spans directly: that is
 * already cheaper than building a pyramid. */
#define PYRAMID_MIN_SPANS 4096
/* The finest pyramid level has at most this many bins (a power of two); the
 * pyramid of a lane then takes at most 2 * bins * kinds floats (1.2 MB). */
#define PYRAMID_MAX_BINS 16384

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
int
_plab_timeline_index_lane (Lane *l, Span *spans)
{
  uint32_t *sorted;
  size_t count[N_CLASSES + 1] = { 0 };
  int64_t max_end = INT64_MIN;
  int64_t covered_to[N_DENSITY_KINDS];
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
  for (int k = 0; k < N_DENSITY_KINDS; k++)
    covered_to[k] = INT64_MIN;
  memset (l->kind_ns, 0, sizeof l->kind_ns);
  l->n_tasks = 0;
  for (size_t i = 0; i < l->n_items; i++)
    {
      Span *s = &spans[l->items[i]];
      bool nested = i > 0 && s->end <= max_end && s->end > s->start;
      int kind = density_kind (s);

      /* By start, the time each kind covers is the union of its spans. */
      if (s->end > covered_to[kind])
        {
          l->kind_ns[kind] += s->end - (s->start > covered_to[kind] ? s->start : covered_to[kind]);
          covered_to[kind] = s->end;
        }
      if (s->kind == PLAB_SPAN_TASK)
        l->n_tasks++;

      s->flags = (uint8_t)((s->flags & (FLAG_CLASS | FLAG_OPEN)) | (nested ? FLAG_NESTED : 0));
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

int
_plab_timeline_build_pyramids (Lane *lane, const Span *spans, int64_t ext_start, int64_t ext_end)
{
  size_t n_nested = 0;

  for (size_t j = 0; j < lane->n_items && lane->has_nested; j++)
    n_nested += span_layer (&spans[lane->items[j]]) == LAYER_NESTED;
  if (build_pyramid (lane, LAYER_TOP, lane->n_items - n_nested, spans, ext_start, ext_end) < 0
      || build_pyramid (lane, LAYER_NESTED, n_nested, spans, ext_start, ext_end) < 0)
    return -1;
  return 0;
}

size_t
_plab_timeline_lower_bound (const Span *spans,
                            const uint32_t *items,
                            size_t lo,
                            size_t hi,
                            double t)
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
