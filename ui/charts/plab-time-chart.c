/* plab-time-chart.c: bars with whiskers, grouped by backend. */
#include "plab-time-chart.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "plab-chart-private.h"
#include "plab-mem.h"

/* Share of a slot a bar fills, and the gap between backend groups in slots. */
#define BAR_SHARE 0.72
#define GROUP_GAP_SLOTS 0.6
/* A bar this many lines of small text tall holds "1 run" inside its top. */
#define SINGLE_RUN_INSIDE_LINES 1.9
/* Headroom above the tallest whisker for its value, as a share of the axis. */
#define HEADROOM 1.12

static int
backend_rank (const char *const *order, int n_order, const char *backend)
{
  for (int i = 0; i < n_order; i++)
    if (strcmp (order[i], backend) == 0)
      return i;
  return n_order;
}

int
plab_time_points_from_samples (const PlabRunSample *samples,
                               size_t n_samples,
                               PlabTimePoint **out,
                               size_t *n_out)
{
  PlabTimePoint *points = NULL;
  const char **order = NULL;
  double *walls = NULL;
  size_t n_points = 0;
  int n_order = 0;
  int rc = -1;

  *out = NULL;
  *n_out = 0;
  if (n_samples == 0)
    return 0;
  points = calloc (n_samples, sizeof *points);
  order = calloc (n_samples + 1, sizeof *order);
  walls = calloc (n_samples, sizeof *walls);
  if (points == NULL || order == NULL || walls == NULL)
    goto fail;

  /* Backend order: serial first, then as they appear. */
  for (size_t i = 0; i < n_samples; i++)
    if (strcmp (samples[i].backend, "serial") == 0)
      {
        order[n_order++] = "serial";
        break;
      }
  for (size_t i = 0; i < n_samples; i++)
    if (backend_rank (order, n_order, samples[i].backend) == n_order)
      order[n_order++] = samples[i].backend;

  for (int b = 0; b < n_order; b++)
    {
      /* Worker counts of this backend, ascending, each once. */
      int last = 0;
      for (;;)
        {
          int next = -1;
          size_t n_walls = 0;
          PlabTimePoint *p;
          PlabSpread spread;

          for (size_t i = 0; i < n_samples; i++)
            if (strcmp (samples[i].backend, order[b]) == 0 && samples[i].workers > last
                && (next < 0 || samples[i].workers < next))
              next = samples[i].workers;
          if (next < 0)
            break;
          for (size_t i = 0; i < n_samples; i++)
            if (strcmp (samples[i].backend, order[b]) == 0 && samples[i].workers == next)
              walls[n_walls++] = (double)samples[i].wall_ns;
          plab_spread_of (walls, n_walls, &spread);

          p = &points[n_points++];
          snprintf (p->backend, sizeof p->backend, "%s", order[b]);
          p->workers = next;
          p->n_repeats = spread.n;
          p->min_ns = spread.min;
          p->max_ns = spread.max;
          p->median_ns = spread.median;
          last = next;
        }
    }
  *out = points;
  *n_out = n_points;
  points = NULL;
  rc = 0;

fail:
  PLAB_FREE_ALL (points, order, walls);
  return rc;
}

const PlabTimePoint *
plab_time_points_serial (const PlabTimePoint *points, size_t n_points)
{
  for (size_t i = 0; i < n_points; i++)
    if (strcmp (points[i].backend, "serial") == 0)
      return &points[i];
  return NULL;
}

double
plab_time_points_serial_baseline (const PlabTimePoint *points, size_t n_points)
{
  const PlabTimePoint *serial = plab_time_points_serial (points, n_points);

  return serial != NULL ? serial->median_ns : 0;
}

void
plab_time_point_spread (const PlabTimePoint *point, PlabSpread *out)
{
  bool extremes = point->min_ns > 0 && point->max_ns >= point->min_ns;

  out->n = point->median_ns > 0 ? (point->n_repeats > 1 && extremes ? point->n_repeats : 1) : 0;
  out->median = out->n > 0 ? point->median_ns : NAN;
  out->min = out->n > 1 ? point->min_ns : out->median;
  out->max = out->n > 1 ? point->max_ns : out->median;
  out->q1 = out->q3 = NAN;
}

int
plab_time_chart_write_csv (const PlabTimeChartData *data, FILE *out)
{
  fprintf (out, "backend,workers,repeats,median_ns,min_ns,max_ns\n");
  for (size_t i = 0; i < data->n_points; i++)
    {
      const PlabTimePoint *p = &data->points[i];
      fprintf (out, "%s,%d,%d,%.0f,%.0f,%.0f\n", p->backend, p->workers, p->n_repeats, p->median_ns,
               p->min_ns, p->max_ns);
    }
  return ferror (out) ? -1 : 0;
}

/* What the stages of a frame share. */
typedef struct
{
  cairo_t *cr;
  const PlabChartStyle *style;
  const PlabTimeChartData *data;
  PlabAxis axis;
  double ns_per_unit;
  PlabRect plot;
  double slot_w;
} Frame;

/* The longest time to show: the tallest whisker or the baseline. */
static double
tallest (const PlabTimeChartData *data)
{
  double top = 0;

  for (size_t i = 0; i < data->n_points; i++)
    if (data->points[i].max_ns > top)
      top = data->points[i].max_ns;
  if (data->baseline_ns > top)
    top = data->baseline_ns;
  return top;
}

/* A box per backend, the whiskers when some configuration was repeated, and
 * the baseline with its value (written into @baseline_text). @items has room
 * for PLAB_PALETTE_SIZE + 2. */
static int
legend_items (const PlabTimeChartData *data,
              const PlabChartStyle *style,
              char *baseline_text,
              size_t baseline_len,
              PlabLegendItem *items)
{
  int n = 0;

  for (size_t i = 0; i < data->n_points; i++)
    if (i == 0 || strcmp (data->points[i].backend, data->points[i - 1].backend) != 0)
      if (n < PLAB_PALETTE_SIZE)
        _plab_chart_legend_add (items, &n, data->points[i].backend,
                                plab_chart_style_backend_colour (style, data->points[i].backend),
                                PLAB_LEGEND_BOX);
  /* Whiskers only exist where a configuration was repeated. */
  for (size_t i = 0; i < data->n_points; i++)
    if (data->points[i].n_repeats > 1)
      {
        _plab_chart_legend_add (items, &n, "median, min–max of repeats", style->foreground,
                                PLAB_LEGEND_RANGE);
        break;
      }
  if (data->baseline_ns > 0)
    {
      char value[32];
      plab_format_duration (data->baseline_ns, value, sizeof value);
      snprintf (baseline_text, baseline_len, "%s %s",
                data->baseline_label ? data->baseline_label : "serial baseline", value);
      _plab_chart_legend_add (items, &n, baseline_text, style->muted, PLAB_LEGEND_DASHED);
    }
  return n;
}

/* The y of @ns on the plot. */
static double
value_y (const Frame *f, double ns)
{
  return f->plot.y + f->plot.h * (1 - plab_axis_fraction (&f->axis, ns / f->ns_per_unit));
}

/* "1 run" where a bar has no spread to show, rather than a whisker that would
 * invent one: inside the top of the bar, or above its value when the bar is
 * too short to hold it. */
static void
single_run_label (Frame *f, double cx, double y_top, double base)
{
  cairo_t *cr = f->cr;
  const PlabChartStyle *style = f->style;
  const char *text = "1 run";

  _plab_chart_font (cr, style, style->small_size, false);
  if (_plab_chart_text_width (cr, text) > f->slot_w * BAR_SHARE * 0.95)
    return;
  if (base - y_top >= style->small_size * SINGLE_RUN_INSIDE_LINES)
    {
      _plab_chart_set_colour (cr, style->background);
      _plab_chart_text (cr, cx, y_top + style->small_size * 0.35, 0.5, 0, text);
    }
  else
    {
      _plab_chart_set_colour (cr, style->muted);
      _plab_chart_text (cr, cx, y_top - style->tick_size * 1.6, 0.5, 1, text);
    }
}

/* The bar of @p in the slot starting at @x: the median, the whisker, the
 * median's value above them and the worker count below. */
static void
bar (Frame *f, const PlabTimePoint *p, double x)
{
  cairo_t *cr = f->cr;
  const PlabChartStyle *style = f->style;
  double cx = x + f->slot_w / 2, bw = f->slot_w * BAR_SHARE;
  double y_med = value_y (f, p->median_ns);
  double y_min = value_y (f, p->min_ns);
  double y_max = value_y (f, p->max_ns);
  double base = f->plot.y + f->plot.h;
  char value[32], workers[32];
  double tw;

  _plab_chart_set_colour (cr, plab_chart_style_backend_colour (style, p->backend));
  cairo_rectangle (cr, round (cx - bw / 2), round (y_med), round (bw), base - round (y_med));
  cairo_fill (cr);

  if (p->n_repeats > 1)
    _plab_chart_error_bar (cr, style, cx, y_min, y_max, bw * 0.22, style->foreground);

  /* The median above the whisker, where it cannot collide with it. */
  plab_format_duration (p->median_ns, value, sizeof value);
  _plab_chart_font (cr, style, style->tick_size, true);
  tw = _plab_chart_text_width (cr, value);
  if (tw > f->slot_w * 0.98)
    _plab_chart_font (cr, style, style->small_size, true);
  _plab_chart_set_colour (cr, style->foreground);
  _plab_chart_text (cr, cx, fmin (y_max, y_med) - style->tick_size * 0.35, 0.5, 1, value);
  if (p->n_repeats <= 1)
    single_run_label (f, cx, y_med, base);

  _plab_chart_font (cr, style, style->tick_size, false);
  _plab_chart_set_colour (cr, style->muted);
  snprintf (workers, sizeof workers, "%d", p->workers);
  _plab_chart_text (cr, cx, base + style->tick_size * 0.4, 0.5, 0, workers);
}

/* The backend under its group, from @x0 to @x1. */
static void
group_label (Frame *f, const char *backend, double x0, double x1)
{
  cairo_t *cr = f->cr;
  const PlabChartStyle *style = f->style;
  char label[64];

  _plab_chart_font (cr, style, style->label_size, false);
  _plab_chart_set_colour (cr, style->foreground);
  snprintf (label, sizeof label, "%s · workers", backend);
  if (_plab_chart_text_width (cr, label) > x1 - x0)
    snprintf (label, sizeof label, "%s", backend);
  _plab_chart_text (cr, (x0 + x1) / 2, f->plot.y + f->plot.h + style->tick_size * 1.8, 0.5, 0,
                    label);
}

/* Slots: one per bar plus a gap between backends. */
static void
bars (Frame *f)
{
  const PlabTimeChartData *data = f->data;
  double slots = (double)data->n_points, x;

  for (size_t i = 1; i < data->n_points; i++)
    if (strcmp (data->points[i].backend, data->points[i - 1].backend) != 0)
      slots += GROUP_GAP_SLOTS;
  f->slot_w = f->plot.w / (slots + GROUP_GAP_SLOTS);
  x = f->plot.x + f->slot_w * GROUP_GAP_SLOTS / 2;

  for (size_t i = 0; i < data->n_points;)
    {
      size_t end = i;
      double group_x0 = x;

      while (end < data->n_points
             && strcmp (data->points[end].backend, data->points[i].backend) == 0)
        end++;
      for (size_t j = i; j < end; j++)
        {
          bar (f, &data->points[j], x);
          x += f->slot_w;
        }
      group_label (f, data->points[i].backend, group_x0, x);
      x += f->slot_w * GROUP_GAP_SLOTS;
      i = end;
    }
}

/* The axis line and the baseline on top of the bars, so it reads across all
 * of them. */
static void
baseline (Frame *f)
{
  cairo_t *cr = f->cr;
  const PlabChartStyle *style = f->style;
  PlabRect plot = f->plot;

  cairo_save (cr);
  _plab_chart_set_colour (cr, style->foreground);
  cairo_set_line_width (cr, style->thin_line_width);
  cairo_move_to (cr, plot.x, floor (plot.y + plot.h) + 0.5);
  cairo_line_to (cr, plot.x + plot.w, floor (plot.y + plot.h) + 0.5);
  cairo_stroke (cr);
  if (f->data->baseline_ns > 0)
    {
      double y = value_y (f, f->data->baseline_ns);
      /* Its value is in the legend: a label here would collide with bars. */
      _plab_chart_set_colour (cr, style->muted);
      cairo_set_line_width (cr, style->line_width * 0.7);
      _plab_chart_dash (cr, style, PLAB_LEGEND_DASHED);
      cairo_move_to (cr, plot.x, floor (y) + 0.5);
      cairo_line_to (cr, plot.x + plot.w, floor (y) + 0.5);
      cairo_stroke (cr);
    }
  cairo_restore (cr);
}

void
plab_time_chart_draw (cairo_t *cr,
                      const PlabChartInput *input,
                      const PlabChartStyle *style,
                      double width,
                      double height)
{
  const PlabTimeChartData *data = input->time;
  Frame f = { .cr = cr, .style = style, .data = data };
  PlabRect body;
  PlabTicks ticks;
  PlabLegendItem items[PLAB_PALETTE_SIZE + 2];
  int n_items;
  const char *unit;
  double top;
  char title[64], baseline_text[96];

  if (!_plab_chart_begin (cr, style, data ? data->title : NULL, data ? data->footer : NULL, width,
                          height, &body))
    return;
  if (data == NULL || data->n_points == 0)
    {
      _plab_chart_message (cr, style, body, "No finished runs to compare yet.");
      goto out;
    }

  top = tallest (data);
  n_items = legend_items (data, style, baseline_text, sizeof baseline_text, items);
  plab_time_unit (top, &unit, &f.ns_per_unit);
  plab_axis_init (&f.axis, 0, top * HEADROOM / f.ns_per_unit);
  plab_axis_make_nice (&f.axis, 6);
  plab_axis_ticks (&f.axis, 6, &ticks);

  /* Two rows under the bars: workers, then the backend of the group. */
  f.plot = _plab_chart_plot_under_legend (cr, style, body, &ticks,
                                          style->tick_size * 1.6 + style->label_size * 2.6, items,
                                          n_items);

  snprintf (title, sizeof title, "wall time (%s)", unit);
  _plab_chart_y_axis (cr, style, f.plot, &f.axis, &ticks, title);
  bars (&f);
  baseline (&f);

out:
  cairo_restore (cr);
}
