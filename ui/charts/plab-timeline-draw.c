/* plab-timeline-draw.c: paints the timeline from its data and layout.
 *
 * Spans at least a pixel long are drawn one by one, longest classes first;
 * shorter ones are summed into a density bar per pixel column, from the
 * lane's pyramid or directly. Labels go inside the spans wide enough to
 * hold them, waits for a core as a hatched strip over the spans, crash
 * markers on top, counter tracks under the lanes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plab-mem.h"
#include "plab-timeline-private.h"

/* Host bands: a light tint of the text colour, every other host darker, and
 * a gap between the band and the lane labels. */
#define HOST_BAND_ALPHA_EVEN 0.10
#define HOST_BAND_ALPHA_ODD 0.20
#define HOST_BAND_GAP_PX 3
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
/* The width of a narrow character in ems ("1", "r", "t"), for the first
 * guess at which spans may hold a label. */
#define LABEL_NARROW_EM 0.4
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
/* The notice box: padding and height in ems of the label size, and how
 * opaque its background is over the spans. */
#define NOTICE_PAD_EM 0.5
#define NOTICE_HEIGHT_EM 1.8
#define NOTICE_ALPHA 0.92
/* The arrowhead at the end of a span still going on: its half-height as a
 * share of the bar (within MIN and MAX pixels), how opaque, and how many a
 * lane marks at most. */
#define OPEN_MARK_SHARE 0.22
#define OPEN_MARK_MIN_PX 3
#define OPEN_MARK_MAX_PX 9
#define OPEN_MARK_ALPHA 0.8
#define OPEN_MARKS_MAX 16
/* Waiting for a core: a hatched strip along the bottom of the bar, this
 * share of its height but at least CORE_WAIT_MIN_PX, over the task it
 * stretches; the task's label, in the middle, stays readable above it. */
#define CORE_WAIT_SHARE 0.3
#define CORE_WAIT_MIN_PX 3
/* Adjacent spans of at least this many pixels get a one-pixel gap. */
#define SPAN_GAP_MIN_PX 4
/* At most this many span labels per frame: labels cost text measurement. */
#define MAX_LABELS_PER_FRAME 2048

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

/* Adds @share of the time from @start to @end to the columns, as @kind. */
static void
add_share_to_columns (Frame *f, double start, double end, int kind, double share)
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
        f->cols[c * N_DENSITY_KINDS + kind] += (float)((hi - lo) * share);
    }
}

static void
add_span_to_columns (Frame *f, double start, double end, int kind)
{
  add_share_to_columns (f, start, end, kind, 1);
}

/* The lane's coverage intervals in view, spread evenly over each: busy 60 %
 * of an interval, the lane is drawn 60 % busy all along it. */
static void
density_coverage (Frame *f, const Lane *l)
{
  double t1 = f->t0 + f->ns_px * f->n_cols;

  for (size_t i = 0; i < l->n_coverage; i++)
    {
      const PlabTimelineCoverage *c = &l->coverage[i];
      double length = (double)(c->end_ns - c->start_ns);
      double busy = 0;

      if ((double)c->start_ns > t1 || (double)c->end_ns < f->t0 || length <= 0)
        continue;
      for (int k = 0; k < N_DENSITY_KINDS; k++)
        if (is_density_kind (k))
          busy += (double)c->busy_ns[k];
      /* Spans inside others may be counted twice: never more than all of it. */
      for (int k = 0; k < N_DENSITY_KINDS; k++)
        if (is_density_kind (k) && c->busy_ns[k] > 0)
          add_share_to_columns (f, (double)c->start_ns, (double)c->end_ns, k,
                                (double)c->busy_ns[k] / fmax (length, busy));
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
      for (size_t i = _plab_timeline_lower_bound (spans, l->items, lo, hi, f->t0 - longest);
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

/* The end of a span still going on: a small arrowhead pointing on, inside
 * the span's right end, so that "running" reads apart from "ended now". */
static void
draw_open_end (Frame *f, double x1, double top, double h)
{
  cairo_t *cr = f->cr;
  double w = fmin (h * OPEN_MARK_SHARE, OPEN_MARK_MAX_PX);

  if (w < OPEN_MARK_MIN_PX)
    return;
  cairo_save (cr);
  cairo_move_to (cr, x1 - 2 - w, top + h / 2 - w);
  cairo_line_to (cr, x1 - 2, top + h / 2);
  cairo_line_to (cr, x1 - 2 - w, top + h / 2 + w);
  cairo_close_path (cr);
  _plab_chart_set_colour_alpha (cr, f->style->background, OPEN_MARK_ALPHA);
  cairo_fill (cr);
  cairo_restore (cr);
}

/* The columns [*x0, *x1) span @it fills. Both ends are rounded the same
 * way, so a span that ends where the next begins ends on the column where
 * the next one starts; a span at least SPAN_GAP_MIN_PX wide then gives up
 * its last column, which shows the lane's background between the two: back
 * to back tasks stay apart as a hairline. A span too short for a column
 * still fills one. */
static void
span_columns (const Frame *f, const Span *it, double *x0, double *x1)
{
  double px0 = f->layout->plot_x, px1 = f->layout->plot_x + f->layout->plot_w;
  double end = round (px0 + ((double)it->end - f->t0) / f->ns_px);

  *x0 = round (px0 + ((double)it->start - f->t0) / f->ns_px);
  *x1 = end;
  if (*x0 < px0)
    *x0 = px0;
  if (*x1 > px1)
    *x1 = px1;
  /* A span going on past the plot's right edge keeps its last column. */
  if (*x1 - *x0 >= SPAN_GAP_MIN_PX && end <= px1)
    *x1 -= 1;
  if (*x1 - *x0 < 1)
    *x1 = *x0 + 1;
}

static void
draw_big_spans (Frame *f, const Lane *l, int layer, int big_class, double y_mid, double span_h)
{
  cairo_t *cr = f->cr;
  /* Open spans seen below, marked once the spans are filled. */
  double open_marks[OPEN_MARKS_MAX][3];
  int n_open_marks = 0;
  const Span *spans = f->data->spans;
  double t1 = f->t0 + f->ns_px * f->n_cols;
  double top = floor (y_mid - span_h / 2), h = ceil (span_h);
  /* A span inside another (a lock wait during a task) takes the lower part
   * of the bar, so the outer span and its label stay visible above it. */
  double nested_top = floor (y_mid + span_h * NESTED_GAP), nested_h = ceil (span_h * NESTED_SHARE);
  double label_size = span_h >= LABEL_LARGE_MIN_EM * f->style->label_size ? f->style->tick_size
                                                                          : f->style->small_size;
  /* About LABEL_MIN_CHARS narrow characters: narrower spans cannot hold a
   * label worth reading. The wider ones are measured (draw_span_label ()),
   * so a label is drawn, whole or elided, in every span it fits. */
  double label_min = label_size * LABEL_NARROW_EM * LABEL_MIN_CHARS;
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
      first = _plab_timeline_lower_bound (spans, l->items, lo, hi, f->t0 - longest);
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
              span_columns (f, it, &x0, &x1);
              if (x1 - x0 >= label_min)
                want_labels = true;
              if (it->flags & FLAG_NESTED)
                cairo_rectangle (cr, x0, nested_top, x1 - x0, nested_h);
              else
                cairo_rectangle (cr, x0, top, x1 - x0, h);
              if ((it->flags & FLAG_OPEN) && n_open_marks < OPEN_MARKS_MAX && (double)it->end <= t1)
                {
                  open_marks[n_open_marks][0] = x1;
                  open_marks[n_open_marks][1] = (it->flags & FLAG_NESTED) ? nested_top : top;
                  open_marks[n_open_marks][2] = (it->flags & FLAG_NESTED) ? nested_h : h;
                  n_open_marks++;
                }
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
          double x0, x1;

          if ((double)it->end < f->t0 || span_layer (it) != layer)
            continue;
          span_columns (f, it, &x0, &x1);
          if (x1 - x0 < label_min)
            continue;
          if (f->n_labels >= MAX_LABELS_PER_FRAME)
            break;
          draw_span_label (f, it, x0, x1,
                           (it->flags & FLAG_NESTED) ? nested_top + nested_h / 2 : label_y);
        }
    }
  for (int i = 0; i < n_open_marks; i++)
    draw_open_end (f, open_marks[i][0], open_marks[i][1], open_marks[i][2]);
}

/* The lane's waits for a core in the bar from @top, @h high: one hatched
 * path, each wait at least a pixel wide so that a short one still shows. */
static void
draw_core_waits (Frame *f, const Lane *l, double top, double h)
{
  cairo_t *cr = f->cr;
  double px0 = f->layout->plot_x, px1 = f->layout->plot_x + f->layout->plot_w;
  double strip_h = fmax (ceil (h * CORE_WAIT_SHARE), CORE_WAIT_MIN_PX);
  double strip_top = top + h - fmin (strip_h, h);
  double t1 = f->t0 + f->ns_px * f->n_cols;
  double run_x0 = 0, run_x1 = -1;
  bool any = false;

  for (size_t i = 0; i < l->n_core_waits; i++)
    {
      const Span *it = &f->data->spans[l->core_waits[i]];
      double x0, x1;

      if ((double)it->end < f->t0 || (double)it->start > t1)
        continue;
      x0 = fmax (floor (px0 + ((double)it->start - f->t0) / f->ns_px), px0);
      x1 = fmin (ceil (px0 + ((double)it->end - f->t0) / f->ns_px), px1);
      if (x1 - x0 < 1)
        x1 = x0 + 1;
      /* Waits in order that touch or share a pixel become one rectangle. */
      if (x0 <= run_x1 && x0 >= run_x0)
        {
          run_x1 = fmax (run_x1, x1);
          continue;
        }
      if (run_x1 > run_x0)
        cairo_rectangle (cr, run_x0, strip_top, run_x1 - run_x0, fmin (strip_h, h));
      run_x0 = x0;
      run_x1 = x1;
      any = true;
    }
  if (!any)
    return;
  cairo_rectangle (cr, run_x0, strip_top, run_x1 - run_x0, fmin (strip_h, h));
  _plab_chart_fill_hatched (cr, f->style, f->style->span[PLAB_SPAN_CORE_WAIT]);
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
      _plab_timeline_lane_label_sizes (style, lane_h, &name_size, &size);
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
        {
          density_coverage (f, l);
          draw_density (f, floor (y_mid - span_h / 2), ceil (span_h));
        }
      else
        draw_density (f, floor (y_mid + span_h * NESTED_GAP), ceil (span_h * NESTED_SHARE));
      draw_big_spans (f, l, layer, big_class, y_mid, span_h);
    }
  draw_core_waits (f, l, floor (y_mid - span_h / 2), ceil (span_h));

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

/* The host column: a band per host beside its ranks' labels, tinted every
 * other host, with the host's name turned a quarter turn, and a rule across
 * the chart where one host's lanes end and the next one's begin. */
static void
draw_host_groups (cairo_t *cr,
                  const PlabTimelineData *data,
                  const PlabTimelineLayout *lay,
                  const PlabChartStyle *style)
{
  char host[PLAB_LANE_NAME_MAX], buf[PLAB_LANE_NAME_MAX + 8];

  if (lay->host_w <= 0)
    return;
  cairo_save (cr);
  for (int first = 0; first < data->n_lanes;)
    {
      int group = plab_timeline_data_lane_host (data, first, host, sizeof host);
      int last = first;
      double top, h;

      if (group < 0)
        {
          first++;
          continue;
        }
      while (last + 1 < data->n_lanes
             && plab_timeline_data_lane_host (data, last + 1, NULL, 0) == group)
        last++;
      top = lay->lanes_y + first * lay->lane_h;
      h = (last - first + 1) * lay->lane_h;
      _plab_chart_set_colour_alpha (cr, style->foreground,
                                    group % 2 ? HOST_BAND_ALPHA_ODD : HOST_BAND_ALPHA_EVEN);
      cairo_rectangle (cr, lay->host_x, top, lay->host_w - HOST_BAND_GAP_PX, h);
      cairo_fill (cr);
      /* The rule over the group, from the host column across the plot. */
      _plab_chart_set_colour (cr, style->muted);
      cairo_set_line_width (cr, style->thin_line_width);
      cairo_move_to (cr, lay->host_x, floor (top) + 0.5);
      cairo_line_to (cr, lay->plot_x + lay->plot_w, floor (top) + 0.5);
      cairo_stroke (cr);
      _plab_chart_font (cr, style, style->tick_size, true);
      _plab_chart_set_colour (cr, style->foreground);
      if (_plab_chart_text_fit (cr, host, h - style->padding * 0.5, buf, sizeof buf))
        _plab_chart_text_vertical (cr, lay->host_x + (lay->host_w - HOST_BAND_GAP_PX) / 2,
                                   top + h / 2, buf);
      first = last + 1;
    }
  cairo_restore (cr);
}

static void
draw_lane_labels (cairo_t *cr,
                  const PlabTimelineData *data,
                  const PlabTimelineLayout *lay,
                  const PlabChartStyle *style)
{
  char buf[128];
  double name_size, detail_size;

  _plab_timeline_lane_label_sizes (style, lay->lane_h, &name_size, &detail_size);
  cairo_save (cr);
  for (int i = 0; i < data->n_lanes; i++)
    {
      char name[64], detail[96];
      bool alarming, two_lines;
      double y = lay->lanes_y + i * lay->lane_h;
      double max_w = lay->label_w - style->padding * 0.5;

      _plab_timeline_lane_label_lines (&data->lanes[i], name, sizeof name, detail, sizeof detail,
                                       &alarming);
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

/* The notice (what the picture lacks): one line in a box across the top of
 * @area, over whatever is drawn there, so that nobody reads the picture
 * without it. */
static void
draw_notice (cairo_t *cr, const PlabChartStyle *style, PlabRect area, const char *notice)
{
  double pad = style->label_size * NOTICE_PAD_EM;
  char buf[512];
  double text_w, box_h = style->label_size * NOTICE_HEIGHT_EM;

  if (notice == NULL || area.w < 2 * pad)
    return;
  cairo_save (cr);
  _plab_chart_font (cr, style, style->label_size, true);
  _plab_chart_text_fit (cr, notice, area.w - 4 * pad, buf, sizeof buf);
  text_w = _plab_chart_text_width (cr, buf);
  cairo_rectangle (cr, floor (area.x + pad), floor (area.y + pad), ceil (text_w + 2 * pad),
                   ceil (box_h));
  _plab_chart_set_colour_alpha (cr, style->background, NOTICE_ALPHA);
  cairo_fill_preserve (cr);
  _plab_chart_set_colour (cr, style->warning);
  cairo_set_line_width (cr, style->line_width);
  cairo_stroke (cr);
  _plab_chart_text (cr, area.x + 2 * pad, area.y + pad + box_h / 2, 0, 0.5, buf);
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

  if (!_plab_chart_begin (cr, style, data ? data->title : NULL, data ? data->footer : NULL, width,
                          height, &body))
    return;
  if (data == NULL || (data->n_spans == 0 && data->n_counters == 0))
    {
      _plab_chart_message (cr, style, body,
                           "This run recorded no spans: nothing to draw on a timeline.");
      if (data != NULL)
        draw_notice (cr, style, body, data->notice);
      goto out;
    }

  _plab_timeline_layout_body (cr, data, window, style, body, &lay);
  _plab_chart_legend (cr, style, items, _plab_timeline_legend_items (data, style, items),
                      lay.plot_x, lay.legend_y, lay.plot_w, true);

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
  _plab_chart_x_axis (cr, style, plot, &axis, &ticks, title, true);

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
  draw_host_groups (cr, data, &lay, style);

  if (data->n_spans == 0)
    {
      PlabRect lanes = { lay.plot_x, lay.lanes_y, lay.plot_w, lay.n_lanes * lay.lane_h };
      _plab_chart_message (cr, style, lanes, "No spans were recorded, only counters.");
    }
  {
    PlabRect lanes = { lay.plot_x, lay.lanes_y, lay.plot_w, lay.n_lanes * lay.lane_h };
    draw_notice (cr, style, lanes, data->notice);
  }

out_free:
  PLAB_FREE_ALL (f.cols, f.col_kind, f.col_level);
out:
  cairo_restore (cr);
}
