/* plab-timeline-explore.c: what a reader asks of a timeline beyond the
 * picture: the statistics of a time range, the spans whose label matches a
 * search, and the overview strip that shows the whole run in miniature with
 * the visible window marked. Plain C over the data set, so that the widget,
 * the tests and anything else ask the same questions the same way. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plab-axis.h"
#include "plab-mem.h"
#include "plab-timeline-private.h"

/* The overview strip: the visible window's frame and the shade over what
 * lies outside it. */
#define OVERVIEW_SHADE_ALPHA 0.45
#define OVERVIEW_MIN_SHARE 0.25
/* The range box: padding in ems of the tick size, how opaque its background
 * is, and the share of the range shading. */
#define RANGE_PAD_EM 0.5
#define RANGE_BOX_ALPHA 0.94
#define RANGE_SHADE_ALPHA 0.16
#define RANGE_LINE_EM 1.35
/* Lanes listed in the range box at most; the rest are summed in one line. */
#define RANGE_MAX_LANE_LINES 8
/* A search match's outline, and the current one's, in line widths. */
#define MATCH_OUTLINE_LINES 1.5
#define MATCH_CURRENT_LINES 3.0
/* A match narrower than this many pixels is drawn this wide, so it shows. */
#define MATCH_MIN_PX 3.0

static bool
overlaps (const Span *s, int64_t start, int64_t end)
{
  if (s->start == s->end)
    return s->start >= start && s->start <= end;
  return s->start < end && s->end > start;
}

typedef struct
{
  int64_t start, end;
} Interval;

static int
compare_intervals (const void *a, const void *b)
{
  const Interval *x = a, *y = b;
  return (x->start > y->start) - (x->start < y->start);
}

/* The time covered by @iv (sorted in place), overlaps counted once. */
static int64_t
union_length (Interval *iv, size_t n)
{
  int64_t total = 0, cur_start = 0, cur_end = 0;

  if (n == 0)
    return 0;
  qsort (iv, n, sizeof *iv, compare_intervals);
  cur_start = iv[0].start;
  cur_end = iv[0].end;
  for (size_t i = 1; i < n; i++)
    {
      if (iv[i].start > cur_end)
        {
          total += cur_end - cur_start;
          cur_start = iv[i].start;
          cur_end = iv[i].end;
        }
      else if (iv[i].end > cur_end)
        cur_end = iv[i].end;
    }
  return total + (cur_end - cur_start);
}

static void
count_span (PlabTimelineRangeStats *st, const PlabTimelineData *data, uint32_t index)
{
  const Span *s = &data->spans[index];
  int64_t d = s->end - s->start;
  bool is_task = s->kind == PLAB_SPAN_TASK;
  bool best_is_task = st->longest >= 0 && data->spans[st->longest].kind == PLAB_SPAN_TASK;

  if (!overlaps (s, st->range.start_ns, st->range.end_ns))
    return;
  if (s->kind < PLAB_N_SPAN_KINDS)
    st->n_by_kind[s->kind]++;
  st->n_spans++;
  /* Tasks win over waits: the main process's wait for the whole map would
   * otherwise be the longest span of every range. */
  if (st->longest < 0 || (is_task && !best_is_task)
      || (is_task == best_is_task && d > st->longest_ns))
    {
      st->longest = (long)index;
      st->longest_ns = d;
    }
}

PlabTimelineRangeStats *
plab_timeline_range_stats_new (const PlabTimelineData *data, PlabTimeWindow range)
{
  PlabTimelineRangeStats *st;
  Interval *iv = NULL;
  size_t cap = 0;

  if (range.end_ns < range.start_ns)
    {
      int64_t t = range.start_ns;
      range.start_ns = range.end_ns;
      range.end_ns = t;
    }
  st = calloc (1, sizeof *st);
  if (st == NULL)
    return NULL;
  st->range = range;
  st->longest = -1;
  if (data == NULL)
    return st;
  st->n_lanes = data->n_lanes;
  st->lane_busy_ns = calloc ((size_t)data->n_lanes + 1, sizeof (int64_t));
  if (st->lane_busy_ns == NULL)
    goto fail;
  for (int r = 0; r < data->n_lanes; r++)
    {
      const Lane *l = &data->lanes[r];
      size_t n = 0;

      if (l->n_items > cap)
        {
          Interval *grown = realloc (iv, l->n_items * sizeof *iv);
          if (grown == NULL)
            goto fail;
          iv = grown;
          cap = l->n_items;
        }
      for (size_t i = 0; i < l->n_items; i++)
        {
          const Span *s = &data->spans[l->items[i]];

          count_span (st, data, l->items[i]);
          if (s->kind != PLAB_SPAN_TASK || s->end <= range.start_ns || s->start >= range.end_ns)
            continue;
          iv[n].start = s->start > range.start_ns ? s->start : range.start_ns;
          iv[n].end = s->end < range.end_ns ? s->end : range.end_ns;
          n++;
        }
      for (size_t i = 0; i < l->n_crashes; i++)
        count_span (st, data, l->crashes[i]);
      for (size_t i = 0; i < l->n_core_waits; i++)
        count_span (st, data, l->core_waits[i]);
      st->lane_busy_ns[r] = union_length (iv, n);
    }
  free (iv);
  return st;

fail:
  free (iv);
  plab_timeline_range_stats_free (st);
  return NULL;
}

void
plab_timeline_range_stats_free (PlabTimelineRangeStats *self)
{
  if (self == NULL)
    return;
  free (self->lane_busy_ns);
  free (self);
}

/* --- Search --- */

/* Whether @label contains @needle, ASCII letters compared without case. */
static bool
label_matches (const char *label, const char *needle, size_t needle_len)
{
  for (; *label != '\0'; label++)
    {
      size_t i = 0;

      while (i < needle_len && label[i] != '\0'
             && tolower ((unsigned char)label[i]) == tolower ((unsigned char)needle[i]))
        i++;
      if (i == needle_len)
        return true;
    }
  return false;
}

static _Thread_local const Span *sort_spans;

static int
compare_by_start (const void *a, const void *b)
{
  const Span *x = &sort_spans[*(const uint32_t *)a], *y = &sort_spans[*(const uint32_t *)b];

  if (x->start != y->start)
    return (x->start > y->start) - (x->start < y->start);
  return (x->lane > y->lane) - (x->lane < y->lane);
}

long
plab_timeline_data_find (const PlabTimelineData *data, const char *text, uint32_t **out)
{
  size_t n = 0, cap = 0, needle_len;
  uint32_t *found = NULL;

  *out = NULL;
  if (data == NULL || text == NULL || text[0] == '\0')
    return 0;
  needle_len = strlen (text);
  for (size_t i = 0; i < data->n_spans; i++)
    {
      if (!label_matches (span_label (data, &data->spans[i]), text, needle_len))
        continue;
      if (n == cap)
        {
          uint32_t *grown;

          cap = cap ? cap * 2 : 64;
          grown = realloc (found, cap * sizeof *found);
          if (grown == NULL)
            {
              free (found);
              return -1;
            }
          found = grown;
        }
      found[n++] = (uint32_t)i;
    }
  sort_spans = data->spans;
  if (n > 1)
    qsort (found, n, sizeof *found, compare_by_start);
  *out = found;
  return (long)n;
}

/* The row lane number @lane is drawn in, or -1. */
static int
row_of_lane (const PlabTimelineData *data, int lane)
{
  for (int r = 0; r < data->n_lanes; r++)
    if (data->lanes[r].info.lane == lane)
      return r;
  return -1;
}

int
plab_timeline_data_span_row (const PlabTimelineData *data, size_t index)
{
  if (data == NULL || index >= data->n_spans)
    return -1;
  return row_of_lane (data, data->spans[index].lane);
}

void
plab_timeline_chart_draw_matches (cairo_t *cr,
                                  const PlabTimelineData *data,
                                  const PlabTimelineLayout *layout,
                                  const PlabChartStyle *style,
                                  const uint32_t *matches,
                                  size_t n_matches,
                                  long current)
{
  if (data == NULL || layout->plot_w <= 0 || n_matches == 0)
    return;
  cairo_save (cr);
  cairo_rectangle (cr, layout->plot_x, layout->lanes_y, layout->plot_w,
                   layout->n_lanes * layout->lane_h);
  cairo_clip (cr);
  for (size_t i = 0; i < n_matches; i++)
    {
      const Span *s;
      double x0, x1, y;
      int row;
      bool is_current = (long)i == current;

      if (matches[i] >= data->n_spans)
        continue;
      s = &data->spans[matches[i]];
      if (s->end < layout->window.start_ns || s->start > layout->window.end_ns)
        continue;
      row = row_of_lane (data, s->lane);
      if (row < 0)
        continue;
      x0 = plab_timeline_layout_x (layout, (double)s->start);
      x1 = plab_timeline_layout_x (layout, (double)s->end);
      if (x1 - x0 < MATCH_MIN_PX)
        {
          double mid = (x0 + x1) / 2;
          x0 = mid - MATCH_MIN_PX / 2;
          x1 = mid + MATCH_MIN_PX / 2;
        }
      y = layout->lanes_y + row * layout->lane_h;
      cairo_rectangle (cr, x0, y + 1, x1 - x0, layout->lane_h - 2);
      _plab_chart_set_colour (cr, is_current ? style->warning : style->foreground);
      cairo_set_line_width (cr, style->line_width
                                    * (is_current ? MATCH_CURRENT_LINES : MATCH_OUTLINE_LINES));
      cairo_stroke (cr);
    }
  cairo_restore (cr);
}

/* --- The range box --- */

size_t
plab_timeline_range_stats_lines (const PlabTimelineData *data,
                                 const PlabTimelineRangeStats *st,
                                 char lines[][PLAB_TIMELINE_STATS_LINE_MAX],
                                 size_t max_lines)
{
  size_t n = 0;
  char a[32], b[32];
  int listed = 0;
  int64_t rest = 0;

  if (max_lines == 0)
    return 0;
  plab_format_duration ((double)(st->range.end_ns - st->range.start_ns), a, sizeof a);
  plab_format_duration ((double)st->range.start_ns, b, sizeof b);
  snprintf (lines[n++], PLAB_TIMELINE_STATS_LINE_MAX, "%s selected, from %s", a, b);
  for (int r = 0; r < st->n_lanes && data != NULL && n < max_lines; r++)
    {
      double share;

      if (listed >= RANGE_MAX_LANE_LINES)
        {
          rest += st->lane_busy_ns[r];
          continue;
        }
      share = st->range.end_ns > st->range.start_ns
                  ? 100.0 * (double)st->lane_busy_ns[r]
                        / (double)(st->range.end_ns - st->range.start_ns)
                  : 0;
      plab_format_duration ((double)st->lane_busy_ns[r], a, sizeof a);
      snprintf (lines[n++], PLAB_TIMELINE_STATS_LINE_MAX, "%s: busy %s (%.0f%%)",
                data->lanes[r].info.name[0] ? data->lanes[r].info.name : "lane", a, share);
      listed++;
    }
  if (rest > 0 && n < max_lines)
    {
      plab_format_duration ((double)rest, a, sizeof a);
      snprintf (lines[n++], PLAB_TIMELINE_STATS_LINE_MAX, "other lanes: busy %s", a);
    }
  if (n < max_lines)
    {
      size_t len = 0;
      char *line = lines[n++];

      line[0] = '\0';
      for (int k = 0; k < PLAB_N_SPAN_KINDS; k++)
        {
          const char *name;

          if (st->n_by_kind[k] == 0 || k == PLAB_SPAN_COUNTER)
            continue;
          name = data != NULL ? plab_timeline_data_kind_name (data, k)
                              : plab_chart_span_kind_label (k);
          len += (size_t)snprintf (line + len,
                                   len < PLAB_TIMELINE_STATS_LINE_MAX
                                       ? PLAB_TIMELINE_STATS_LINE_MAX - len
                                       : 0,
                                   "%s%zu %s", len ? " · " : "", st->n_by_kind[k], name);
          if (len >= PLAB_TIMELINE_STATS_LINE_MAX)
            break;
        }
      if (line[0] == '\0')
        snprintf (line, PLAB_TIMELINE_STATS_LINE_MAX, "no spans");
    }
  if (st->longest >= 0 && data != NULL && n < max_lines)
    {
      const Span *s = &data->spans[st->longest];

      plab_format_duration ((double)st->longest_ns, a, sizeof a);
      snprintf (lines[n++], PLAB_TIMELINE_STATS_LINE_MAX, "longest: %s%s%s, %s",
                plab_chart_span_kind_label (s->kind), span_label (data, s)[0] ? " " : "",
                span_label (data, s), a);
    }
  return n;
}

void
plab_timeline_chart_draw_range (cairo_t *cr,
                                const PlabTimelineData *data,
                                const PlabTimelineLayout *layout,
                                const PlabChartStyle *style,
                                const PlabTimeWindow *range,
                                const PlabTimelineRangeStats *stats)
{
  char lines[RANGE_MAX_LANE_LINES + 4][PLAB_TIMELINE_STATS_LINE_MAX];
  double x0, x1, top, bottom, pad, line_h, box_w = 0, box_h, bx, by;
  size_t n;

  if (layout->plot_w <= 0 || range == NULL)
    return;
  x0 = plab_timeline_layout_x (layout, (double)range->start_ns);
  x1 = plab_timeline_layout_x (layout, (double)range->end_ns);
  if (x1 < x0)
    {
      double t = x0;
      x0 = x1;
      x1 = t;
    }
  x0 = fmax (x0, layout->plot_x);
  x1 = fmin (x1, layout->plot_x + layout->plot_w);
  top = layout->lanes_y;
  bottom = layout->counters_y + layout->n_counters * layout->counter_h;

  cairo_save (cr);
  if (x1 > x0)
    {
      cairo_rectangle (cr, x0, top, x1 - x0, bottom - top);
      _plab_chart_set_colour_alpha (cr, style->foreground, RANGE_SHADE_ALPHA);
      cairo_fill (cr);
      _plab_chart_set_colour (cr, style->foreground);
      cairo_set_line_width (cr, style->thin_line_width);
      cairo_move_to (cr, floor (x0) + .5, top);
      cairo_line_to (cr, floor (x0) + .5, bottom);
      cairo_move_to (cr, floor (x1) + .5, top);
      cairo_line_to (cr, floor (x1) + .5, bottom);
      cairo_stroke (cr);
    }
  if (stats == NULL)
    goto out;

  n = plab_timeline_range_stats_lines (data, stats, lines, sizeof lines / sizeof lines[0]);
  _plab_chart_font (cr, style, style->tick_size, false);
  pad = style->tick_size * RANGE_PAD_EM;
  line_h = style->tick_size * RANGE_LINE_EM;
  for (size_t i = 0; i < n; i++)
    box_w = fmax (box_w, _plab_chart_text_width (cr, lines[i]));
  box_w = fmin (box_w + 2 * pad, layout->plot_w);
  box_h = n * line_h + 2 * pad;
  /* Right of the range when there is room, else left of it, else inside. */
  if (x1 + pad + box_w <= layout->plot_x + layout->plot_w)
    bx = x1 + pad;
  else if (x0 - pad - box_w >= layout->plot_x)
    bx = x0 - pad - box_w;
  else
    bx = layout->plot_x + layout->plot_w - box_w;
  by = top + pad;
  cairo_rectangle (cr, floor (bx) + .5, floor (by) + .5, ceil (box_w), ceil (box_h));
  _plab_chart_set_colour_alpha (cr, style->background, RANGE_BOX_ALPHA);
  cairo_fill_preserve (cr);
  _plab_chart_set_colour (cr, style->foreground);
  cairo_set_line_width (cr, style->thin_line_width);
  cairo_stroke (cr);
  for (size_t i = 0; i < n; i++)
    {
      char fit[PLAB_TIMELINE_STATS_LINE_MAX];

      _plab_chart_font (cr, style, style->tick_size, i == 0);
      _plab_chart_text_fit (cr, lines[i], box_w - 2 * pad, fit, sizeof fit);
      _plab_chart_text (cr, bx + pad, by + pad + (i + 0.5) * line_h, 0, 0.5, fit);
    }
out:
  cairo_restore (cr);
}

/* --- The overview strip --- */

struct PlabTimelineOverview
{
  PlabTimeWindow full;
  int n_cols;
  int n_rows;
  /* Per row and column: the kind that covered most of the column (-1: none)
   * and the share of the column's time the lane was busy. */
  signed char *kind;
  float *share;
};

PlabTimelineOverview *
plab_timeline_overview_new (const PlabTimelineData *data, PlabTimeWindow full, int n_cols)
{
  PlabTimelineOverview *self;
  float *cover = NULL;
  double ns_col;

  if (n_cols < 1)
    n_cols = 1;
  self = calloc (1, sizeof *self);
  if (self == NULL)
    return NULL;
  self->full = full;
  self->n_cols = n_cols;
  self->n_rows = data != NULL ? data->n_lanes : 0;
  self->kind = malloc ((size_t)(self->n_rows * n_cols + 1));
  self->share = calloc ((size_t)(self->n_rows * n_cols + 1), sizeof (float));
  cover = calloc ((size_t)n_cols * N_DENSITY_KINDS, sizeof (float));
  if (self->kind == NULL || self->share == NULL || cover == NULL)
    goto fail;
  memset (self->kind, -1, (size_t)(self->n_rows * n_cols + 1));
  ns_col = ((double)full.end_ns - (double)full.start_ns) / n_cols;
  if (ns_col <= 0)
    goto out;

  for (int r = 0; r < self->n_rows; r++)
    {
      const Lane *l = &data->lanes[r];

      memset (cover, 0, (size_t)n_cols * N_DENSITY_KINDS * sizeof (float));
      for (size_t i = 0; i < l->n_items; i++)
        {
          const Span *s = &data->spans[l->items[i]];
          double a = ((double)s->start - (double)full.start_ns) / ns_col;
          double b = ((double)s->end - (double)full.start_ns) / ns_col;
          int k = density_kind (s);

          /* Nested spans lie inside their container: counted once. */
          if (span_layer (s) != LAYER_TOP || b <= 0 || a >= n_cols)
            continue;
          a = fmax (a, 0);
          b = fmin (b, n_cols);
          for (int c = (int)a; c < n_cols && c < b; c++)
            cover[c * N_DENSITY_KINDS + k] += (float)(fmin (b, c + 1) - fmax (a, c));
        }
      for (int c = 0; c < n_cols; c++)
        {
          float total = 0, best = 0;
          int best_k = -1;

          for (int k = 0; k < N_DENSITY_KINDS; k++)
            {
              float v = cover[c * N_DENSITY_KINDS + k];
              total += v;
              if (v > best)
                best = v, best_k = k;
            }
          self->kind[r * n_cols + c] = (signed char)best_k;
          self->share[r * n_cols + c] = total > 1 ? 1 : total;
        }
    }
out:
  free (cover);
  return self;

fail:
  free (cover);
  plab_timeline_overview_free (self);
  return NULL;
}

void
plab_timeline_overview_free (PlabTimelineOverview *self)
{
  if (self == NULL)
    return;
  PLAB_FREE_ALL (self->kind, self->share, self);
}

int
plab_timeline_overview_n_cols (const PlabTimelineOverview *self)
{
  return self->n_cols;
}

PlabTimeWindow
plab_timeline_overview_full (const PlabTimelineOverview *self)
{
  return self->full;
}

void
plab_timeline_overview_draw (cairo_t *cr,
                             const PlabTimelineOverview *self,
                             const PlabChartStyle *style,
                             const PlabTimeWindow *visible,
                             PlabRect area)
{
  double x = area.x, y = area.y, w = area.w, h = area.h;
  double row_h, col_w, vx0, vx1, span_ns;

  if (self == NULL || w < 1 || h < 1)
    return;
  cairo_save (cr);
  cairo_rectangle (cr, x, y, w, h);
  _plab_chart_set_colour (cr, style->lane_stripe);
  cairo_fill (cr);

  row_h = self->n_rows > 0 ? h / self->n_rows : h;
  col_w = w / self->n_cols;
  for (int r = 0; r < self->n_rows; r++)
    for (int c = 0; c < self->n_cols; c++)
      {
        int k = self->kind[r * self->n_cols + c];
        float share = self->share[r * self->n_cols + c];

        if (k < 0 || share <= 0)
          continue;
        _plab_chart_set_colour_alpha (cr, plab_chart_style_span_colour (style, k),
                                      OVERVIEW_MIN_SHARE + (1 - OVERVIEW_MIN_SHARE) * share);
        cairo_rectangle (cr, x + c * col_w, y + r * row_h, ceil (col_w), fmax (row_h, 1));
        cairo_fill (cr);
      }

  /* The visible window: the rest shaded, the window framed. */
  span_ns = (double)self->full.end_ns - (double)self->full.start_ns;
  if (visible != NULL && span_ns > 0)
    {
      vx0 = x + ((double)visible->start_ns - (double)self->full.start_ns) / span_ns * w;
      vx1 = x + ((double)visible->end_ns - (double)self->full.start_ns) / span_ns * w;
      vx0 = fmax (x, fmin (vx0, x + w));
      vx1 = fmax (vx0 + 1, fmin (vx1, x + w));
      _plab_chart_set_colour_alpha (cr, style->background, OVERVIEW_SHADE_ALPHA);
      cairo_rectangle (cr, x, y, vx0 - x, h);
      cairo_rectangle (cr, vx1, y, x + w - vx1, h);
      cairo_fill (cr);
      _plab_chart_set_colour (cr, style->foreground);
      cairo_set_line_width (cr, style->line_width);
      cairo_rectangle (cr, floor (vx0) + .5, floor (y) + .5, fmax (ceil (vx1 - vx0) - 1, 1),
                       ceil (h) - 1);
      cairo_stroke (cr);
    }
  cairo_restore (cr);
}

/* --- Flows: a put linked to the get of the same item --- */

/* The arrowhead's length and half-width in line widths, and how opaque the
 * arrows are over the spans. */
#define FLOW_HEAD_LINES 4.0
#define FLOW_HEAD_HALF_LINES 2.0
#define FLOW_ALPHA 0.85
/* The halo under an arrow, in arrow widths. */
#define FLOW_HALO_LINES 3.0

static _Thread_local const Span *flow_spans;

/* By item, then puts before gets, then by time. */
static int
compare_flow_ends (const void *a, const void *b)
{
  const FlowEnd *x = a, *y = b;
  int64_t tx = flow_spans[x->span].start, ty = flow_spans[y->span].start;

  if (x->item != y->item)
    return (x->item > y->item) - (x->item < y->item);
  if (x->flow != y->flow)
    return (x->flow > y->flow) - (x->flow < y->flow);
  return (tx > ty) - (tx < ty);
}

static int
compare_flows (const void *a, const void *b)
{
  const PlabTimelineFlow *x = a, *y = b;
  int64_t tx = flow_spans[x->put].end, ty = flow_spans[y->put].end;

  return (tx > ty) - (tx < ty);
}

int
_plab_timeline_link_flows (PlabTimelineData *self)
{
  FlowEnd *sorted;
  size_t i = 0;

  self->flows = NULL;
  self->n_flows = 0;
  if (self->n_flow_ends == 0)
    return 0;
  sorted = malloc (self->n_flow_ends * sizeof *sorted);
  self->flows = malloc ((self->n_flow_ends / 2 + 1) * sizeof *self->flows);
  if (sorted == NULL || self->flows == NULL)
    {
      free (sorted);
      return -1;
    }
  memcpy (sorted, self->flow_ends, self->n_flow_ends * sizeof *sorted);
  flow_spans = self->spans;
  qsort (sorted, self->n_flow_ends, sizeof *sorted, compare_flow_ends);
  while (i < self->n_flow_ends)
    {
      size_t first = i, puts, gets;

      while (i < self->n_flow_ends && sorted[i].item == sorted[first].item
             && sorted[i].flow == PLAB_FLOW_PUT)
        i++;
      puts = i - first;
      while (i < self->n_flow_ends && sorted[i].item == sorted[first].item)
        i++;
      gets = i - first - puts;
      for (size_t k = 0; k < puts && k < gets; k++)
        self->flows[self->n_flows++]
            = (PlabTimelineFlow){ sorted[first + k].span, sorted[first + puts + k].span,
                                  sorted[first].item };
    }
  free (sorted);
  qsort (self->flows, self->n_flows, sizeof *self->flows, compare_flows);
  return 0;
}

size_t
plab_timeline_data_n_flows (const PlabTimelineData *self)
{
  return self != NULL ? self->n_flows : 0;
}

bool
plab_timeline_data_get_flow (const PlabTimelineData *self, size_t index, PlabTimelineFlow *out)
{
  if (self == NULL || index >= self->n_flows)
    return false;
  *out = self->flows[index];
  return true;
}

size_t
plab_timeline_chart_draw_flows (cairo_t *cr,
                                const PlabTimelineData *data,
                                const PlabTimelineLayout *layout,
                                const PlabChartStyle *style,
                                size_t max)
{
  size_t drawn = 0, crossing = 0;
  double lw, head, half;

  if (data == NULL || data->n_flows == 0 || layout->plot_w <= 0 || layout->lane_h <= 0)
    return 0;
  for (size_t i = 0; i < data->n_flows && crossing <= max; i++)
    {
      /* By the put's end: once past the window, every later one is too. */
      if (data->spans[data->flows[i].put].end > layout->window.end_ns)
        break;
      crossing += data->spans[data->flows[i].get].start >= layout->window.start_ns;
    }
  if (crossing > max)
    return 0;
  lw = style->line_width * 0.75;
  head = FLOW_HEAD_LINES * style->line_width;
  half = FLOW_HEAD_HALF_LINES * style->line_width;
  cairo_save (cr);
  cairo_rectangle (cr, layout->plot_x, layout->lanes_y, layout->plot_w,
                   layout->n_lanes * layout->lane_h);
  cairo_clip (cr);
  cairo_set_line_width (cr, lw);
  _plab_chart_set_colour_alpha (cr, style->foreground, FLOW_ALPHA);
  for (size_t i = 0; i < data->n_flows; i++)
    {
      const Span *put = &data->spans[data->flows[i].put];
      const Span *get = &data->spans[data->flows[i].get];
      int put_row, get_row;
      double x0, y0, x1, y1, bend, dx, dy, len;

      if (put->end > layout->window.end_ns)
        break;
      if (get->start < layout->window.start_ns)
        continue;
      put_row = row_of_lane (data, put->lane);
      get_row = row_of_lane (data, get->lane);
      if (put_row < 0 || get_row < 0)
        continue;
      x0 = plab_timeline_layout_x (layout, (double)put->end);
      y0 = layout->lanes_y + (put_row + 0.5) * layout->lane_h;
      x1 = plab_timeline_layout_x (layout, (double)get->start);
      y1 = layout->lanes_y + (get_row + 0.5) * layout->lane_h;
      /* An S from the put's end to the get's start: leaves and arrives
       * level, so the head points along the time axis. */
      bend = fmax ((x1 - x0) / 2, head);
      cairo_move_to (cr, x0, y0);
      cairo_curve_to (cr, x0 + bend, y0, x1 - bend, y1, x1, y1);
      /* A halo of the background keeps the arrow readable over spans. */
      _plab_chart_set_colour_alpha (cr, style->background, FLOW_ALPHA);
      cairo_set_line_width (cr, lw * FLOW_HALO_LINES);
      cairo_stroke_preserve (cr);
      _plab_chart_set_colour_alpha (cr, style->foreground, FLOW_ALPHA);
      cairo_set_line_width (cr, lw);
      cairo_stroke (cr);
      dx = bend;
      dy = 0;
      len = hypot (dx, dy);
      dx /= len;
      dy /= len;
      cairo_move_to (cr, x1, y1);
      cairo_line_to (cr, x1 - dx * head - dy * half, y1 - dy * head + dx * half);
      cairo_line_to (cr, x1 - dx * head + dy * half, y1 - dy * head - dx * half);
      cairo_close_path (cr);
      cairo_fill (cr);
      drawn++;
    }
  cairo_restore (cr);
  return drawn;
}
