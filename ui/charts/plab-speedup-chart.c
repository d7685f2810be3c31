/* plab-speedup-chart.c: speedup with Amdahl fits, efficiency and Karp-Flatt. */
#include "plab-speedup-chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plab-chart-private.h"

/* The speedup panel takes this share of the width; efficiency the rest. */
#define SPEEDUP_PANEL_SHARE 0.60
#define CURVE_STEPS 96
#define MAX_SERIES 8
/* A fitted serial fraction this close to 1 means no speedup was measured. */
#define NO_SPEEDUP_F 0.995

int
plab_amdahl_fit (const double *workers, const double *speedup, size_t n, PlabAmdahlFit *out)
{
  double sxx = 0, sxy = 0, ss = 0, tb = 0, pb = INFINITY, a, b;
  double counts[PLAB_AMDAHL_MIN_COUNTS];
  int n_counts = 0, n_base = 0, used = 0;

  memset (out, 0, sizeof *out);
  /* The baseline: the measured point at the fewest workers (the mean time
   * of its repeats), through which the curve must pass. */
  for (size_t i = 0; i < n; i++)
    {
      bool seen = false;

      if (!(workers[i] >= 1) || !(speedup[i] > 0) || !isfinite (speedup[i]))
        continue;
      for (int k = 0; k < n_counts; k++)
        seen |= counts[k] == workers[i];
      if (!seen && n_counts < PLAB_AMDAHL_MIN_COUNTS)
        counts[n_counts++] = workers[i];
      pb = fmin (pb, workers[i]);
    }
  if (n_counts < PLAB_AMDAHL_MIN_COUNTS)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (workers[i] == pb && speedup[i] > 0 && isfinite (speedup[i]))
      {
        tb += 1 / speedup[i];
        n_base++;
      }
  tb /= n_base;
  /* Times in units of the baseline's reference: t = a + b / p, with the
   * curve held to pass through (pb, tb), so b is the one thing to fit. */
  for (size_t i = 0; i < n; i++)
    {
      double p = workers[i], sp = speedup[i], x, y;
      if (!(p > pb) || !(sp > 0) || !isfinite (sp))
        continue;
      x = 1 / p - 1 / pb;
      y = 1 / sp - tb;
      sxx += x * x;
      sxy += x * y;
      used++;
    }
  if (used == 0 || sxx <= 0)
    return -1;
  b = fmax (0, sxy / sxx);
  a = tb - b / pb;
  if (a < 0)
    a = 0;
  out->f = a + b > 0 ? a / (a + b) : 1;
  out->base_workers = pb;
  out->base_speedup = 1 / tb;
  out->ceiling = out->f > 0 ? plab_amdahl_fit_speedup (out, INFINITY) : INFINITY;
  out->n_used = used;
  for (size_t i = 0; i < n; i++)
    {
      double p = workers[i], sp = speedup[i], r;
      if (!(p > pb) || !(sp > 0) || !isfinite (sp))
        continue;
      r = 1 / sp - 1 / plab_amdahl_fit_speedup (out, p);
      ss += r * r;
    }
  out->rms = sqrt (ss / used);
  return 0;
}

double
plab_amdahl_fit_speedup (const PlabAmdahlFit *fit, double p)
{
  double f = fit->f, pb = fit->base_workers;

  /* Amdahl's law scaled to pass through the measured baseline. */
  return fit->base_speedup * (f + (1 - f) / pb) / (f + (isinf (p) ? 0 : (1 - f) / p));
}

/* Points measured once, against a baseline measured once. */
static int
single_runs (const PlabSpeedupSeries *s)
{
  int n = 0;

  for (int i = 0; i < s->n; i++)
    n += s->repeats[i] == 1 && !plab_speedup_series_has_spread (s, i);
  return n;
}

void
plab_speedup_notes (const PlabSpeedupSeries *s, bool fit, char *buf, size_t size)
{
  size_t len = 0;
  PlabAmdahlFit unused;

  buf[0] = '\0';
  if (fit && s->n > 0 && plab_amdahl_fit (s->workers, s->speedup, (size_t)s->n, &unused) != 0)
    len += (size_t)snprintf (buf + len, size - len,
                             "%s: %s: not enough to fit Amdahl's law (3 worker counts needed). ",
                             s->name, s->n == 1 ? "one point" : "two points");
  if (single_runs (s) > 0 && len < size)
    len += (size_t)snprintf (buf + len, size - len, "%s: %s: no spread to show. ", s->name,
                             single_runs (s) == s->n ? "1 run each" : "some configurations 1 run");
  if (s->base_workers > 1 && len < size)
    len += (size_t)snprintf (buf + len, size - len,
                             "%s: measured against its own %g-worker run (no serial or 1-worker "
                             "run): speedup and efficiency are relative to %g workers. ",
                             s->name, s->base_workers, s->base_workers);
  for (int i = 0; i < s->n && len < size; i++)
    {
      double e = plab_speedup_series_efficiency (s, i);
      double kf = plab_speedup_series_karp_flatt (s, i);

      if (e > 1)
        len += (size_t)snprintf (buf + len, size - len,
                                 "%s: E = %.2f at p = %g, above 1: noise or cache effects. ",
                                 s->name, e, s->workers[i]);
      if (len < size && !isnan (kf) && (kf < 0 || kf > 1))
        len += (size_t)snprintf (buf + len, size - len,
                                 "%s: Karp–Flatt e = %.2f at p = %g, %s: noise or overhead. ",
                                 s->name, kf, s->workers[i], kf < 0 ? "below 0" : "above 1");
    }
  if (len > 0 && len < size && buf[len - 1] == ' ')
    buf[len - 1] = '\0';
}

double
plab_amdahl_speedup (double f, double p)
{
  return 1 / (f + (1 - f) / p);
}

double
plab_karp_flatt (double speedup, double p)
{
  if (!(p > 1) || !(speedup > 0))
    return NAN;
  return (1 / speedup - 1 / p) / (1 - 1 / p);
}

double
plab_speedup_series_relative_p (const PlabSpeedupSeries *s, int i)
{
  return s->base_workers > 1 ? s->workers[i] / s->base_workers : s->workers[i];
}

double
plab_speedup_series_efficiency (const PlabSpeedupSeries *s, int i)
{
  return s->speedup[i] / plab_speedup_series_relative_p (s, i);
}

double
plab_speedup_series_karp_flatt (const PlabSpeedupSeries *s, int i)
{
  return plab_karp_flatt (s->speedup[i], plab_speedup_series_relative_p (s, i));
}

bool
plab_speedup_series_has_spread (const PlabSpeedupSeries *s, int i)
{
  return s->low[i] > 0 && s->high[i] > s->low[i] && isfinite (s->high[i]);
}

char *
plab_speedup_series_format (const PlabSpeedupSeries *s, int i, char *buf, size_t len)
{
  if (plab_speedup_series_has_spread (s, i))
    snprintf (buf, len, "%.2f× (%.2f–%.2f)", s->speedup[i], s->low[i], s->high[i]);
  else if (s->repeats[i] == 1)
    snprintf (buf, len, "%.2f× (1 run)", s->speedup[i]);
  else
    snprintf (buf, len, "%.2f×", s->speedup[i]);
  return buf;
}

size_t
plab_speedup_series_from_points (const PlabTimePoint *points,
                                 size_t n_points,
                                 PlabSpeedupSeries *out,
                                 size_t max_series)
{
  const PlabTimePoint *serial = plab_time_points_serial (points, n_points);
  size_t n_series = 0;

  for (size_t i = 0; i < n_points && n_series < max_series;)
    {
      size_t end = i;
      const PlabTimePoint *base_point;
      PlabSpread base;
      PlabSpeedupSeries *s;

      while (end < n_points && strcmp (points[end].backend, points[i].backend) == 0)
        end++;
      if (strcmp (points[i].backend, "serial") == 0)
        {
          i = end;
          continue;
        }
      /* Points of a backend are sorted by workers: the first is the fewest. */
      base_point = serial != NULL && serial->median_ns > 0 ? serial : &points[i];
      if (base_point == &points[i] && end == i + 1)
        {
          i = end; /* only itself to compare with */
          continue;
        }
      plab_time_point_spread (base_point, &base);
      s = &out[n_series++];
      memset (s, 0, sizeof *s);
      snprintf (s->name, sizeof s->name, "%s", points[i].backend);
      s->base_workers = base_point == serial ? 1 : points[i].workers;
      for (size_t j = i; j < end && s->n < PLAB_SPEEDUP_MAX_POINTS; j++)
        {
          PlabSpread config;
          PlabRatio ratio;

          plab_time_point_spread (&points[j], &config);
          plab_spread_ratio (&base, &config, &ratio);
          if (isnan (ratio.value))
            continue;
          /* The baseline against itself is 1 by definition, not a spread. */
          ratio.spread &= &points[j] != base_point;
          s->workers[s->n] = points[j].workers;
          s->speedup[s->n] = ratio.value;
          s->low[s->n] = ratio.spread ? ratio.low : ratio.value;
          s->high[s->n] = ratio.spread ? ratio.high : ratio.value;
          s->repeats[s->n] = config.n;
          s->n++;
        }
      i = end;
    }
  return n_series;
}

int
plab_speedup_chart_write_csv (const PlabSpeedupChartData *data, FILE *out)
{
  fprintf (out, "series,workers,speedup,efficiency,karp_flatt,amdahl_f,speedup_low,"
                "speedup_high\n");
  for (size_t k = 0; k < data->n_series + (data->predicted ? 1 : 0); k++)
    {
      const PlabSpeedupSeries *s = k < data->n_series ? &data->series[k] : data->predicted;
      PlabAmdahlFit fit;
      bool fitted = plab_amdahl_fit (s->workers, s->speedup, (size_t)s->n, &fit) == 0;

      for (int i = 0; i < s->n; i++)
        {
          double e = plab_speedup_series_karp_flatt (s, i);
          fprintf (out, "%s,%g,%.6g,%.6g,", k < data->n_series ? s->name : "predicted",
                   s->workers[i], s->speedup[i], plab_speedup_series_efficiency (s, i));
          if (isnan (e))
            fputs (",", out);
          else
            fprintf (out, "%.6g,", e);
          if (fitted)
            fprintf (out, "%.6g", fit.f);
          if (plab_speedup_series_has_spread (s, i))
            fprintf (out, ",%.6g,%.6g\n", s->low[i], s->high[i]);
          else
            fputs (",,\n", out);
        }
    }
  return ferror (out) ? -1 : 0;
}

static double
px (PlabRect r, const PlabAxis *a, double v)
{
  return r.x + plab_axis_fraction (a, v) * r.w;
}

static double
py (PlabRect r, const PlabAxis *a, double v)
{
  return r.y + r.h - plab_axis_fraction (a, v) * r.h;
}

static void
polyline (cairo_t *cr,
          PlabRect r,
          const PlabAxis *ax,
          const PlabAxis *ay,
          const double *xs,
          const double *ys,
          int n)
{
  bool started = false;
  for (int i = 0; i < n; i++)
    {
      if (!isfinite (ys[i]))
        continue;
      if (!started)
        cairo_move_to (cr, px (r, ax, xs[i]), py (r, ay, ys[i]));
      else
        cairo_line_to (cr, px (r, ax, xs[i]), py (r, ay, ys[i]));
      started = true;
    }
}

static void
worker_ticks (const PlabAxis *ax, int target, PlabTicks *ticks)
{
  plab_axis_ticks (ax, target, ticks);
  /* Workers are whole: a step below 1 would label half a worker. */
  if (ticks->step < 1)
    {
      PlabAxis whole = *ax;
      ticks->n = 0;
      ticks->step = 1;
      for (double v = ceil (whole.min); v <= whole.max && ticks->n < PLAB_AXIS_MAX_TICKS; v++)
        ticks->values[ticks->n++] = v;
    }
}

/* What the stages of a frame share: the data, its fits, the axes and the
 * two panels. */
typedef struct
{
  cairo_t *cr;
  const PlabChartStyle *style;
  const PlabSpeedupChartData *data;
  int n_series;
  PlabAmdahlFit fits[MAX_SERIES];
  bool fitted[MAX_SERIES];
  bool any_fit;
  PlabAxis ax, ay, ae;
  PlabTicks tx, ty, te;
  PlabRect left, right;
  /* The ideal line is S = p / ideal_base: 1, or the workers of a baseline
   * every series shares when there is no serial run. */
  double ideal_base;
  char ideal_label[32];
} Frame;

/* Sets the ideal line's base and its legend's words. */
static void
ideal_of (Frame *f)
{
  f->ideal_base = f->n_series > 0 ? f->data->series[0].base_workers : 1;
  for (int k = 1; k < f->n_series; k++)
    if (f->data->series[k].base_workers != f->ideal_base)
      f->ideal_base = 1;
  if (!(f->ideal_base > 1))
    f->ideal_base = 1;
  if (f->ideal_base > 1)
    snprintf (f->ideal_label, sizeof f->ideal_label, "ideal S = p / %g", f->ideal_base);
  else
    snprintf (f->ideal_label, sizeof f->ideal_label, "ideal S = p");
}

/* The measured series, then the predicted one; NULL when there is none. */
static const PlabSpeedupSeries *
series_at (const Frame *f, int k)
{
  return k < f->n_series ? &f->data->series[k] : f->data->predicted;
}

/* Fits Amdahl's law to each series and sets the axes to hold every point. */
static void
fit_and_scale (Frame *f)
{
  double max_p = 1, max_s = 1, max_e = 1;

  for (int k = 0; k < f->n_series + 1; k++)
    {
      const PlabSpeedupSeries *s = series_at (f, k);
      if (s == NULL)
        continue;
      for (int i = 0; i < s->n; i++)
        {
          max_p = fmax (max_p, s->workers[i]);
          if (isfinite (s->speedup[i]))
            max_s = fmax (max_s, s->speedup[i]);
          /* Efficiencies above 1 and Karp-Flatt values outside 0..1 are
           * written as notes, not plotted: the panel is 0..1. */
        }
      if (k < f->n_series)
        {
          f->fitted[k]
              = f->data->fit_amdahl
                && plab_amdahl_fit (s->workers, s->speedup, (size_t)s->n, &f->fits[k]) == 0;
          f->any_fit |= f->fitted[k];
        }
    }

  /* Half a worker of room on the right keeps the last points and their
   * labels inside the panel. */
  plab_axis_init (&f->ax, 0, max_p + 0.5);
  plab_axis_init (&f->ay, 0, fmax (max_s, max_p) * 1.05);
  plab_axis_make_nice (&f->ay, 6);
  plab_axis_init (&f->ae, 0, fmax (1.0, max_e) * 1.05);
  plab_axis_make_nice (&f->ae, 5);
  worker_ticks (&f->ax, 8, &f->tx);
  plab_axis_ticks (&f->ay, 6, &f->ty);
  plab_axis_ticks (&f->ae, 5, &f->te);
}

static bool
series_has_spread (const PlabSpeedupSeries *s)
{
  for (int i = 0; i < s->n; i++)
    if (plab_speedup_series_has_spread (s, i))
      return true;
  return false;
}

/* Returns the number of items; @items has room for MAX_SERIES + 5. */
static int
legend_items (const Frame *f, PlabLegendItem *items)
{
  const PlabChartStyle *style = f->style;
  int n = 0;

  for (int k = 0; k < f->n_series; k++)
    _plab_chart_legend_add (items, &n, f->data->series[k].name,
                            plab_chart_style_backend_colour (style, f->data->series[k].name),
                            PLAB_LEGEND_LINE);
  if (f->data->predicted != NULL && f->data->predicted->n > 0)
    _plab_chart_legend_add (items, &n, "predicted", style->foreground, PLAB_LEGEND_DASHED);
  for (int k = 0; k < f->n_series; k++)
    if (series_has_spread (&f->data->series[k]))
      {
        _plab_chart_legend_add (items, &n, "min–max of repeats", style->muted, PLAB_LEGEND_RANGE);
        break;
      }
  _plab_chart_legend_add (items, &n, f->ideal_label, style->muted, PLAB_LEGEND_DASHED);
  if (f->any_fit)
    _plab_chart_legend_add (items, &n, "Amdahl fit", style->muted, PLAB_LEGEND_DOTTED);
  _plab_chart_legend_add (items, &n, "Karp–Flatt e (right)", style->muted, PLAB_LEGEND_DOTTED);
  return n;
}

/* The speedup panel on the left, efficiency on the right, under the legend. */
static void
place_panels (Frame *f, PlabRect body, double legend_h)
{
  const PlabChartStyle *style = f->style;
  double room_y = _plab_chart_y_axis_room (f->cr, style, &f->ty);
  double room_e = _plab_chart_y_axis_room (f->cr, style, &f->te);
  double gap = style->padding * 2.5;

  f->left.x = body.x + room_y;
  f->left.y = body.y + legend_h + style->padding * 1.5 + style->label_size * 1.3;
  f->left.w = (body.w - room_y - room_e - gap) * SPEEDUP_PANEL_SHARE;
  f->left.h = body.y + body.h - f->left.y - _plab_chart_x_axis_room (style);
  f->right = f->left;
  f->right.x = f->left.x + f->left.w + gap + room_e;
  f->right.w = body.x + body.w - f->right.x;
}

static const char *const efficiency_titles[] = {
  "Efficiency and Karp–Flatt",
  "Efficiency, Karp–Flatt",
  "Efficiency",
};
#define N_EFFICIENCY_TITLES (sizeof efficiency_titles / sizeof efficiency_titles[0])

static void
panel_titles (Frame *f)
{
  cairo_t *cr = f->cr;
  const PlabChartStyle *style = f->style;

  char buf[64];

  /* Each title stays over its own panel, shortened when the panel is narrow. */
  _plab_chart_font (cr, style, style->label_size, true);
  _plab_chart_set_colour (cr, style->foreground);
  if (_plab_chart_text_fit (cr, "Speedup", f->left.w, buf, sizeof buf))
    _plab_chart_text (cr, f->left.x, f->left.y - style->padding * 0.5, 0, 1, buf);
  /* The efficiency panel is the narrower: a shorter name before an ellipsis. */
  for (size_t i = 0; i < N_EFFICIENCY_TITLES; i++)
    if (i + 1 == N_EFFICIENCY_TITLES
        || _plab_chart_text_width (cr, efficiency_titles[i]) <= f->right.w)
      {
        if (_plab_chart_text_fit (cr, efficiency_titles[i], f->right.w, buf, sizeof buf))
          _plab_chart_text (cr, f->right.x, f->left.y - style->padding * 0.5, 0, 1, buf);
        break;
      }
}

static void
panel_axes (Frame *f)
{
  _plab_chart_y_axis (f->cr, f->style, f->left, &f->ay, &f->ty, "speedup S = T₁ / Tₚ");
  _plab_chart_x_axis (f->cr, f->style, f->left, &f->ax, &f->tx, "workers p", true);
  _plab_chart_y_axis (f->cr, f->style, f->right, &f->ae, &f->te, "E = S / p,  e");
  _plab_chart_x_axis (f->cr, f->style, f->right, &f->ax, &f->tx, "workers p", true);
}

static void
ideal_line (Frame *f)
{
  cairo_t *cr = f->cr;

  _plab_chart_set_colour (cr, f->style->muted);
  cairo_set_line_width (cr, f->style->line_width * 0.7);
  _plab_chart_dash (cr, f->style, PLAB_LEGEND_DASHED);
  cairo_move_to (cr, px (f->left, &f->ax, 0), py (f->left, &f->ay, 0));
  cairo_line_to (cr, px (f->left, &f->ax, f->ax.max),
                 py (f->left, &f->ay, f->ax.max / f->ideal_base));
  /* (The clip ends the line where it leaves the panel.) */
  cairo_stroke (cr);
}

/* Under the measurements. */
static void
amdahl_curves (Frame *f)
{
  cairo_t *cr = f->cr;

  for (int k = 0; k < f->n_series; k++)
    {
      PlabRgba colour = plab_chart_style_backend_colour (f->style, f->data->series[k].name);
      if (!f->fitted[k])
        continue;
      cairo_save (cr);
      _plab_chart_set_colour_alpha (cr, colour, 0.9);
      cairo_set_line_width (cr, f->style->line_width * 0.9);
      _plab_chart_dash (cr, f->style, PLAB_LEGEND_DOTTED);
      for (int i = 0; i <= CURVE_STEPS; i++)
        {
          double p0 = f->fits[k].base_workers;
          double p = p0 + (f->ax.max - p0) * i / CURVE_STEPS;
          double s = plab_amdahl_fit_speedup (&f->fits[k], p);
          if (i == 0)
            cairo_move_to (cr, px (f->left, &f->ax, p), py (f->left, &f->ay, s));
          else
            cairo_line_to (cr, px (f->left, &f->ax, p), py (f->left, &f->ay, s));
        }
      cairo_stroke (cr);
      cairo_restore (cr);
    }
}

/* The speedup at the most workers with its bounds, "1.80× (1.60–2.00)", left
 * of its point: what the series reached, and how sure that is. */
static void
end_label (Frame *f, const PlabSpeedupSeries *s, PlabRgba colour)
{
  cairo_t *cr = f->cr;
  const PlabChartStyle *style = f->style;
  int last = s->n - 1;
  double x = px (f->left, &f->ax, s->workers[last]);
  double y = py (f->left, &f->ay, s->speedup[last]);
  char text[64];

  plab_speedup_series_format (s, last, text, sizeof text);
  _plab_chart_font (cr, style, style->small_size, true);
  _plab_chart_set_colour_alpha (cr, style->background, 0.85);
  cairo_rectangle (cr, x - style->marker_radius * 2 - _plab_chart_text_width (cr, text) - 3,
                   y - style->marker_radius - style->small_size * 1.25,
                   _plab_chart_text_width (cr, text) + 6, style->small_size * 1.3);
  cairo_fill (cr);
  _plab_chart_set_colour (cr, colour);
  _plab_chart_text (cr, x - style->marker_radius * 2, y - style->marker_radius, 1, 1, text);
}

/* The error bars of every measured series on panel @r, under all the
 * series' lines and points so that none hides another's point. With
 * @per_worker, of the efficiency (the bounds over p) where it is plotted. */
static void
error_bars (Frame *f, PlabRect r, const PlabAxis *ay, bool per_worker)
{
  for (int k = 0; k < f->n_series; k++)
    {
      const PlabSpeedupSeries *s = &f->data->series[k];
      PlabRgba colour = plab_chart_style_backend_colour (f->style, s->name);

      for (int i = 0; i < s->n; i++)
        {
          double d = per_worker ? plab_speedup_series_relative_p (s, i) : 1;

          if (!plab_speedup_series_has_spread (s, i) || (per_worker && s->speedup[i] / d > 1))
            continue;
          _plab_chart_error_bar (f->cr, f->style, px (r, &f->ax, s->workers[i]),
                                 py (r, ay, s->low[i] / d), py (r, ay, s->high[i] / d),
                                 f->style->marker_radius * 1.3, colour);
        }
    }
}

/* Each series' speedups, the predicted one dashed. */
static void
measured_speedups (Frame *f)
{
  cairo_t *cr = f->cr;
  const PlabChartStyle *style = f->style;

  for (int k = 0; k < f->n_series + 1; k++)
    {
      const PlabSpeedupSeries *s = series_at (f, k);
      bool predicted = k == f->n_series;
      PlabRgba colour = predicted ? style->foreground
                                  : plab_chart_style_backend_colour (style, s ? s->name : NULL);
      if (s == NULL || s->n == 0)
        continue;
      cairo_save (cr);
      _plab_chart_set_colour (cr, colour);
      cairo_set_line_width (cr, style->line_width);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      _plab_chart_dash (cr, style, predicted ? PLAB_LEGEND_DASHED : PLAB_LEGEND_LINE);
      polyline (cr, f->left, &f->ax, &f->ay, s->workers, s->speedup, s->n);
      cairo_stroke (cr);
      cairo_restore (cr);
      for (int i = 0; i < s->n; i++)
        _plab_chart_marker (cr, style, px (f->left, &f->ax, s->workers[i]),
                            py (f->left, &f->ay, s->speedup[i]),
                            predicted ? PLAB_LEGEND_DASHED : PLAB_LEGEND_POINT, colour);
    }
  for (int k = 0; k < f->n_series; k++)
    end_label (f, &f->data->series[k],
               plab_chart_style_backend_colour (style, f->data->series[k].name));
}

/* @text at *@y on a light box, in @name's colour (NULL: the text's), wrapped to the speedup
 * panel's width (a line may not reach into the efficiency panel); moves *@y
 * down. The text is laid out first on a scratch surface with the same font,
 * to know the box's height (a group pushed on an SVG surface leaks in
 * cairo 1.16). */
static void
note_line (Frame *f, const char *name, const char *text, double size, bool bold, double *y)
{
  cairo_t *cr = f->cr;
  const PlabChartStyle *style = f->style;
  double x = f->left.x + style->padding * 0.5;
  double width = f->left.w - style->padding;
  double max_bottom = f->left.y + f->left.h;
  double bottom;
  cairo_surface_t *scratch;
  cairo_font_options_t *options;
  cairo_matrix_t font_matrix;
  cairo_t *measure;

  if (width <= 8)
    return;
  _plab_chart_font (cr, style, size, bold);
  scratch = cairo_image_surface_create (CAIRO_FORMAT_A8, 1, 1);
  measure = cairo_create (scratch);
  options = cairo_font_options_create ();
  cairo_get_font_options (cr, options);
  cairo_set_font_options (measure, options);
  cairo_font_options_destroy (options);
  cairo_set_font_face (measure, cairo_get_font_face (cr));
  cairo_get_font_matrix (cr, &font_matrix);
  cairo_set_font_matrix (measure, &font_matrix);
  bottom = _plab_chart_text_wrapped (measure, x + 4, *y, width - 8, size * 1.3, max_bottom, NULL,
                                     text);
  cairo_destroy (measure);
  cairo_surface_destroy (scratch);

  _plab_chart_set_colour_alpha (cr, style->background, 0.85);
  cairo_rectangle (cr, x, *y - 2, width, bottom - *y + 2);
  cairo_fill (cr);
  _plab_chart_set_colour (cr, name != NULL ? plab_chart_style_backend_colour (style, name)
                                           : style->foreground);
  _plab_chart_text_wrapped (cr, x + 4, *y, width - 8, size * 1.3, max_bottom, NULL, text);
  *y = bottom + size * 0.15;
}

#define MAX_NOTES 24

/* One note of the speedup panel: its sentence without the series' name,
 * and the series it is about (bit k: series k). */
typedef struct
{
  char text[200];
  unsigned series;
} Note;

/* Adds the sentences of @notes ("threads: 1 run each: no spread to show.
 * threads: ...") for series @k to @list; a sentence another series said
 * already joins that note, so that three backends with two points each
 * give one line, not three. */
static size_t
collect_notes (char *notes, const char *name, int k, Note *list, size_t n)
{
  size_t prefix = strlen (name) + 2;

  for (char *sentence = notes, *next; sentence != NULL && sentence[0] != '\0'; sentence = next)
    {
      const char *text = sentence;
      size_t i;

      next = strstr (sentence, ". ");
      if (next != NULL)
        {
          next[1] = '\0';
          next += 2;
        }
      if (strncmp (sentence, name, prefix - 2) == 0
          && strncmp (sentence + prefix - 2, ": ", 2) == 0)
        text = sentence + prefix;
      for (i = 0; i < n && strcmp (list[i].text, text) != 0; i++)
        ;
      if (i == n)
        {
          if (n == MAX_NOTES)
            continue;
          snprintf (list[n].text, sizeof list[n].text, "%s", text);
          list[n++].series = 0;
        }
      list[i].series |= 1u << k;
    }
  return n;
}

/* The fits and the notes, written in the empty upper-left corner of the
 * speedup panel: a note that holds for several series once, naming them,
 * in the text colour; one series' note in its colour. */
static void
fit_notes (Frame *f)
{
  const PlabChartStyle *style = f->style;
  double ty0 = f->left.y + style->padding * 0.6;
  Note list[MAX_NOTES];
  size_t n = 0;

  for (int k = 0; k < f->n_series; k++)
    {
      char notes[512];

      plab_speedup_notes (&f->data->series[k], f->data->fit_amdahl, notes, sizeof notes);
      n = collect_notes (notes, f->data->series[k].name, k, list, n);
    }
  for (size_t i = 0; i < n; i++)
    {
      char names[160] = "", line[400];
      const char *colour_of = NULL;
      int count = 0;

      for (int k = 0; k < f->n_series; k++)
        if (list[i].series & (1u << k))
          {
            size_t len = strlen (names);

            snprintf (names + len, sizeof names - len, "%s%s", count > 0 ? ", " : "",
                      f->data->series[k].name);
            colour_of = f->data->series[k].name;
            count++;
          }
      snprintf (line, sizeof line, "%s: %s", names, list[i].text);
      note_line (f, count == 1 ? colour_of : NULL, line, style->small_size, false, &ty0);
    }
  for (int k = 0; k < f->n_series; k++)
    {
      const char *name = f->data->series[k].name;
      char text[160];

      if (!f->fitted[k])
        continue;
      if (f->fits[k].f >= NO_SPEEDUP_F)
        snprintf (text, sizeof text, "%s: no speedup measured (serial fraction f ≈ 1)", name);
      else if (isfinite (f->fits[k].ceiling))
        snprintf (text, sizeof text, "%s: serial fraction f = %.3f, ceiling %.1f×", name,
                  f->fits[k].f, f->fits[k].ceiling);
      else
        snprintf (text, sizeof text, "%s: serial fraction f = 0, no ceiling", name);
      note_line (f, name, text, style->tick_size, true, &ty0);
    }
}

/* A Karp-Flatt point: a hollow marker with its value, or, above the axis,
 * on the top edge with the value written beside it. */
static void
karp_flatt_point (Frame *f, double workers, double kf, double kf_shown, PlabRgba colour)
{
  cairo_t *cr = f->cr;
  const PlabChartStyle *style = f->style;
  char v[32];
  double x = px (f->right, &f->ax, workers), y = py (f->right, &f->ae, kf_shown);
  bool off_scale = kf > kf_shown;

  _plab_chart_marker (cr, style, x, y, PLAB_LEGEND_DOTTED, colour);
  snprintf (v, sizeof v, off_scale ? "e = %.2f ↑" : "%.2f", kf);
  _plab_chart_font (cr, style, style->small_size, off_scale);
  _plab_chart_set_colour (cr, colour);
  if (off_scale)
    _plab_chart_text (cr, x - style->marker_radius * 2, y, 1, 0.5, v);
  else
    _plab_chart_text (cr, x, y - style->marker_radius * 1.6, 0.5, 1, v);
}

/* Efficiency (solid) and Karp-Flatt (dotted, hollow points) of a series. */
static void
efficiency_series (Frame *f, const PlabSpeedupSeries *s)
{
  cairo_t *cr = f->cr;
  const PlabChartStyle *style = f->style;
  PlabRgba colour = plab_chart_style_backend_colour (style, s->name);
  double eff[PLAB_SPEEDUP_MAX_POINTS], kf[PLAB_SPEEDUP_MAX_POINTS];
  double kf_shown[PLAB_SPEEDUP_MAX_POINTS];

  for (int i = 0; i < s->n; i++)
    {
      /* Outside 0..1 they mean noise or cache effects: a note says so. */
      eff[i] = plab_speedup_series_efficiency (s, i);
      eff[i] = eff[i] > 1 ? NAN : eff[i];
      kf[i] = plab_speedup_series_karp_flatt (s, i);
      kf[i] = kf[i] < 0 || kf[i] > 1 ? NAN : kf[i];
      kf_shown[i] = kf[i];
    }
  cairo_save (cr);
  _plab_chart_set_colour (cr, colour);
  cairo_set_line_width (cr, style->line_width);
  _plab_chart_dash (cr, style, PLAB_LEGEND_LINE);
  polyline (cr, f->right, &f->ax, &f->ae, s->workers, eff, s->n);
  cairo_stroke (cr);
  cairo_set_line_width (cr, style->line_width * 0.9);
  _plab_chart_dash (cr, style, PLAB_LEGEND_DOTTED);
  polyline (cr, f->right, &f->ax, &f->ae, s->workers, kf_shown, s->n);
  cairo_stroke (cr);
  cairo_restore (cr);
  for (int i = 0; i < s->n; i++)
    {
      if (!isnan (eff[i]))
        _plab_chart_marker (cr, style, px (f->right, &f->ax, s->workers[i]),
                            py (f->right, &f->ae, eff[i]), PLAB_LEGEND_POINT, colour);
      if (!isnan (kf[i]))
        karp_flatt_point (f, s->workers[i], kf[i], kf_shown[i], colour);
    }
}

/* The right panel: a dashed line at E = 1, then every series. */
static void
efficiency_panel (Frame *f)
{
  cairo_t *cr = f->cr;
  const PlabChartStyle *style = f->style;
  PlabRect right = f->right;

  cairo_save (cr);
  cairo_rectangle (cr, right.x, right.y - style->marker_radius * 2, right.w,
                   right.h + style->marker_radius * 4);
  cairo_clip (cr);
  _plab_chart_set_colour (cr, style->muted);
  cairo_set_line_width (cr, style->thin_line_width);
  _plab_chart_dash (cr, style, PLAB_LEGEND_DASHED);
  cairo_move_to (cr, right.x, py (right, &f->ae, 1));
  cairo_line_to (cr, right.x + right.w, py (right, &f->ae, 1));
  cairo_stroke (cr);
  error_bars (f, right, &f->ae, true);
  for (int k = 0; k < f->n_series; k++)
    efficiency_series (f, &f->data->series[k]);
  cairo_restore (cr);
}

static int
count_points (const PlabSpeedupChartData *data, int n_series)
{
  int points = 0;

  for (int k = 0; k < n_series; k++)
    points += data->series[k].n;
  return points;
}

void
plab_speedup_chart_draw (cairo_t *cr,
                         const PlabChartInput *input,
                         const PlabChartStyle *style,
                         double width,
                         double height)
{
  const PlabSpeedupChartData *data = input->speedup;
  Frame f = { .cr = cr, .style = style, .data = data };
  PlabLegendItem items[MAX_SERIES + 6];
  PlabRect body;
  int n_items;

  if (!_plab_chart_begin (cr, style, data ? data->title : NULL, data ? data->footer : NULL, width,
                          height, &body))
    return;
  f.n_series = data ? (int)(data->n_series < MAX_SERIES ? data->n_series : MAX_SERIES) : 0;
  if (count_points (data, f.n_series) == 0)
    {
      _plab_chart_message (cr, style, body,
                           "A speedup needs runs with different worker counts: run a sweep "
                           "(plab run DEMO --sweep 1,2,4).");
      goto out;
    }

  fit_and_scale (&f);
  ideal_of (&f);
  n_items = legend_items (&f, items);
  place_panels (&f, body,
                _plab_chart_legend (cr, style, items, n_items, body.x, body.y, body.w, false));
  _plab_chart_legend (cr, style, items, n_items, f.left.x, body.y, body.x + body.w - f.left.x,
                      true);
  panel_titles (&f);
  panel_axes (&f);

  cairo_save (cr);
  cairo_rectangle (cr, f.left.x, f.left.y, f.left.w, f.left.h);
  cairo_clip (cr);
  ideal_line (&f);
  amdahl_curves (&f);
  error_bars (&f, f.left, &f.ay, false);
  measured_speedups (&f);
  cairo_restore (cr);

  fit_notes (&f);
  efficiency_panel (&f);

out:
  cairo_restore (cr);
}
