/* plab-result-chart.c: lines, bars or stacked bars from a result's figure,
 * plus a table. */
#include "plab-result-chart.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plab-chart-private.h"
#include "plab-trace.h"

/* The table takes this share of the width when there is a figure. */
#define TABLE_SHARE 0.34
/* ...but at least this many em of its text, up to this share. */
#define TABLE_MIN_EM 16.0
#define TABLE_MAX_SHARE 0.45
/* A value takes at most this share of the table's width; its label wraps
 * in the rest. */
#define MAX_VALUE_SHARE 0.4
/* Line height of a row's label, and the space above and below a row, in
 * units of the table's font size. */
#define ROW_LINE_EM 1.3
#define ROW_PAD_EM 0.3
/* The median and min-max line under a value, in ems of the table's text. */
#define SPREAD_TEXT_EM 0.85
/* Headings are this much larger than the rows, and take this many lines
 * of their own size. */
#define HEADING_EM 1.15
#define HEADING_LINE_EM 1.6
#define MAX_SERIES 16
/* The table draws at most this many rows, and counts the rest. */
#define MAX_TABLE_ROWS 40
#define BAR_GROUP_SHARE 0.78
/* A segment of a stacked bar holds its value when it is this many lines of
 * tick text tall. */
#define STACK_LABEL_EM 1.4
/* Extra space between notes, in rows: wrapped lines of one note stay
 * closer together than two notes. */
#define NOTE_GAP 0.3
/* Line height of a wrapped note, in units of its font size. */
#define NOTE_LINE_EM 1.35
/* Rows and notes that do not fit are tried again in text this much
 * smaller, down to the footer's size. */
#define TEXT_SHRINK 0.92
/* Notes moved under the figure leave it at least this share of its
 * column's height, and at least this many lines of tick text. */
#define FIGURE_MIN_SHARE 0.5
#define FIGURE_MIN_EM 16.0

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

static bool
is_series_key (const char *key)
{
  return strcmp (key, "figure") == 0;
}

/* One table, so that a CSV reader needs no knowledge of the file: the
 * figure's points (table "figure") and the rest of the result (table
 * "result") share the columns table,series,key,x,y,value; a row leaves empty
 * what its table does not use. */
int
plab_result_chart_write_csv (const PlabResultChartData *data, FILE *out)
{
  const PlabJson *fig = plab_json_get (data->result, "figure");
  const PlabJson *series = plab_json_get (fig, "series");
  const char *kind = plab_json_string (plab_json_get (fig, "kind"), "lines");
  const PlabJson *cats = plab_json_get (fig, "categories");
  bool bars = strcmp (kind, "bars") == 0 || strcmp (kind, "stacked") == 0;

  fputs (PLAB_RESULT_CSV_HEADER "\n", out);
  for (size_t s = 0; fig != NULL && s < plab_json_length (series); s++)
    {
      const PlabJson *ser = plab_json_at (series, s);
      const char *name = plab_json_string (plab_json_get (ser, "name"), "");
      const PlabJson *xs = plab_json_get (ser, "x"), *ys = plab_json_get (ser, "y");
      const PlabJson *values = plab_json_get (ser, "values");
      size_t n
          = bars ? plab_json_length (values) : MIN (plab_json_length (xs), plab_json_length (ys));

      for (size_t i = 0; i < n; i++)
        {
          fputs ("figure,", out);
          _plab_chart_csv_text (out, name);
          fputc (',', out);
          if (bars)
            {
              _plab_chart_csv_text (out, plab_json_string (plab_json_at (cats, i), ""));
              fprintf (out, ",,,%.17g\n", plab_json_number (plab_json_at (values, i), NAN));
            }
          else
            fprintf (out, ",%.17g,%.17g,\n", plab_json_number (plab_json_at (xs, i), NAN),
                     plab_json_number (plab_json_at (ys, i), NAN));
        }
    }
  for (size_t i = 0; i < plab_json_length (data->result); i++)
    {
      const PlabJson *m = &data->result->children[i];
      char value[256];
      if (is_series_key (m->key))
        continue;
      plab_json_format_value (m, value, sizeof value);
      fputs ("result,,", out);
      _plab_chart_csv_text (out, m->key);
      fputs (",,,", out);
      _plab_chart_csv_text (out, value);
      fputc ('\n', out);
    }
  return ferror (out) ? -1 : 0;
}

static PlabLegendShape
series_shape (const PlabJson *ser)
{
  const char *st = plab_json_string (plab_json_get (ser, "style"), "line");
  if (strcmp (st, "dashed") == 0)
    return PLAB_LEGEND_DASHED;
  if (strcmp (st, "points") == 0)
    return PLAB_LEGEND_POINT;
  return PLAB_LEGEND_LINE;
}

static void
draw_lines (cairo_t *cr, const PlabChartStyle *style, const PlabJson *fig, PlabRect area)
{
  const PlabJson *series = plab_json_get (fig, "series");
  PlabLegendItem items[MAX_SERIES];
  size_t n_series = plab_json_length (series);
  double xmin = INFINITY, xmax = -INFINITY, ymin = 0, ymax = -INFINITY;
  PlabAxis ax, ay;
  PlabTicks tx, ty;
  PlabRect plot;

  if (n_series > MAX_SERIES)
    n_series = MAX_SERIES;
  for (size_t s = 0; s < n_series; s++)
    {
      const PlabJson *ser = plab_json_at (series, s);
      const PlabJson *xs = plab_json_get (ser, "x"), *ys = plab_json_get (ser, "y");
      for (size_t i = 0; i < plab_json_length (xs) && i < plab_json_length (ys); i++)
        {
          double x = plab_json_number (plab_json_at (xs, i), NAN);
          double y = plab_json_number (plab_json_at (ys, i), NAN);
          if (!isfinite (x) || !isfinite (y))
            continue;
          xmin = fmin (xmin, x);
          xmax = fmax (xmax, x);
          ymin = fmin (ymin, y);
          ymax = fmax (ymax, y);
        }
      items[s].label = plab_json_string (plab_json_get (ser, "name"), "series");
      items[s].colour = plab_chart_style_series_colour (style, (int)s);
      items[s].shape = series_shape (ser);
    }
  if (!isfinite (xmin) || !isfinite (ymax))
    {
      _plab_chart_message (cr, style, area, "The figure has no points.");
      return;
    }
  plab_axis_init (&ax, xmin, xmax);
  plab_axis_init (&ay, ymin, ymax);
  plab_axis_make_nice (&ay, 6);
  plab_axis_ticks (&ax, 8, &tx);
  plab_axis_ticks (&ay, 6, &ty);

  plot = _plab_chart_plot_under_legend (cr, style, area, &ty, _plab_chart_x_axis_room (style),
                                        items, (int)n_series);
  _plab_chart_y_axis (cr, style, plot, &ay, &ty,
                      plab_json_string (plab_json_get (fig, "y_label"), "y"));
  _plab_chart_x_axis (cr, style, plot, &ax, &tx,
                      plab_json_string (plab_json_get (fig, "x_label"), "x"), true);

  cairo_save (cr);
  cairo_rectangle (cr, plot.x, plot.y - style->marker_radius, plot.w,
                   plot.h + 2 * style->marker_radius);
  cairo_clip (cr);
  for (size_t s = 0; s < n_series; s++)
    {
      const PlabJson *ser = plab_json_at (series, s);
      const PlabJson *xs = plab_json_get (ser, "x"), *ys = plab_json_get (ser, "y");
      size_t n = plab_json_length (xs) < plab_json_length (ys) ? plab_json_length (xs)
                                                               : plab_json_length (ys);
      bool started = false;

      cairo_save (cr);
      _plab_chart_set_colour (cr, items[s].colour);
      cairo_set_line_width (cr, style->line_width);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      _plab_chart_dash (cr, style, items[s].shape);
      for (size_t i = 0; i < n; i++)
        {
          double x = plab_json_number (plab_json_at (xs, i), NAN);
          double y = plab_json_number (plab_json_at (ys, i), NAN);
          double dx = plot.x + plab_axis_fraction (&ax, x) * plot.w;
          double dy = plot.y + plot.h - plab_axis_fraction (&ay, y) * plot.h;

          if (!isfinite (x) || !isfinite (y))
            {
              started = false;
              continue;
            }
          if (items[s].shape == PLAB_LEGEND_POINT)
            _plab_chart_marker (cr, style, dx, dy, PLAB_LEGEND_POINT, items[s].colour);
          else if (!started)
            cairo_move_to (cr, dx, dy);
          else
            cairo_line_to (cr, dx, dy);
          started = true;
        }
      if (items[s].shape != PLAB_LEGEND_POINT)
        cairo_stroke (cr);
      cairo_restore (cr);
    }
  cairo_restore (cr);
}

/* The colour of series @s of a bars figure: the colour of the span kind it
 * names ("span_kind": "collective"), so that a figure of where time went
 * reads like the timeline, else the next colour of the palette. */
static PlabRgba
bar_series_colour (const PlabChartStyle *style, const PlabJson *ser, int s)
{
  const char *kind = plab_json_string (plab_json_get (ser, "span_kind"), NULL);

  if (kind != NULL && plab_span_kind_from_name (kind) >= 0)
    return plab_chart_style_span_colour (style, plab_span_kind_from_name (kind));
  return plab_chart_style_series_colour (style, s);
}

static double
luminance (PlabRgba c)
{
  return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
}

/* The text colour that reads on @fill: whichever of the theme's background
 * and foreground differs more from it in brightness, so that a value stays
 * readable inside a segment in every theme. */
static PlabRgba
text_on (const PlabChartStyle *style, PlabRgba fill)
{
  double l = luminance (fill);

  return fabs (luminance (style->background) - l) > fabs (luminance (style->foreground) - l)
             ? style->background
             : style->foreground;
}

/* Value @i of series @s of a bars figure; NaN when it has none. */
static double
bar_value (const PlabJson *series, size_t s, size_t i)
{
  return plab_json_number (plab_json_at (plab_json_get (plab_json_at (series, s), "values"), i),
                           NAN);
}

/* The segments of one stacked bar, series 0 at the bottom, each with its
 * value inside when the segment is tall enough to hold it, and the total
 * above the bar. */
static void
draw_stack (cairo_t *cr,
            const PlabChartStyle *style,
            const PlabJson *series,
            const PlabLegendItem *items,
            size_t n_series,
            size_t i,
            const PlabAxis *ay,
            PlabRect plot,
            double x,
            double bw)
{
  double total = 0, top = plot.y + plot.h - plab_axis_fraction (ay, 0) * plot.h;
  char value[32];

  for (size_t s = 0; s < n_series; s++)
    {
      double v = bar_value (series, s, i);
      double y0, y1;

      if (!isfinite (v) || v <= 0)
        continue;
      y0 = plot.y + plot.h - plab_axis_fraction (ay, total) * plot.h;
      total += v;
      y1 = plot.y + plot.h - plab_axis_fraction (ay, total) * plot.h;
      top = y1;
      _plab_chart_set_colour (cr, items[s].colour);
      cairo_rectangle (cr, round (x), round (y1), round (bw), round (y0) - round (y1));
      cairo_fill (cr);
      _plab_chart_font (cr, style, style->tick_size, true);
      plab_format_number (v, value, sizeof value);
      if (y0 - y1 > style->tick_size * STACK_LABEL_EM && _plab_chart_text_width (cr, value) < bw)
        {
          _plab_chart_set_colour (cr, text_on (style, items[s].colour));
          _plab_chart_text (cr, x + bw / 2, (y0 + y1) / 2, 0.5, 0.5, value);
        }
    }
  if (total <= 0)
    return;
  plab_format_number (total, value, sizeof value);
  _plab_chart_font (cr, style, style->tick_size, true);
  _plab_chart_set_colour (cr, style->foreground);
  _plab_chart_text (cr, x + bw / 2, top - style->tick_size * 0.3, 0.5, 1, value);
}

/* Bars per category: side by side, one per series, or with kind
 * "stacked", one bar per category made of its series' segments. */
static void
draw_bars (cairo_t *cr, const PlabChartStyle *style, const PlabJson *fig, PlabRect area)
{
  const PlabJson *series = plab_json_get (fig, "series");
  const PlabJson *cats = plab_json_get (fig, "categories");
  size_t n_series = plab_json_length (series), n_cats = plab_json_length (cats);
  PlabLegendItem items[MAX_SERIES];
  double ymin = 0, ymax = -INFINITY, slot;
  bool stacked = strcmp (plab_json_string (plab_json_get (fig, "kind"), "bars"), "stacked") == 0;
  bool by_category = n_series == 1 && !stacked;
  PlabAxis ay;
  PlabTicks ty;
  PlabRect plot;

  if (n_series > MAX_SERIES)
    n_series = MAX_SERIES;
  for (size_t s = 0; s < n_series; s++)
    {
      const PlabJson *ser = plab_json_at (series, s);
      const PlabJson *values = plab_json_get (ser, "values");
      for (size_t i = 0; i < plab_json_length (values); i++)
        {
          double v = plab_json_number (plab_json_at (values, i), NAN);
          if (isfinite (v) && !stacked)
            {
              ymin = fmin (ymin, v);
              ymax = fmax (ymax, v);
            }
        }
      if (plab_json_length (values) > n_cats)
        n_cats = plab_json_length (values);
      items[s].label = plab_json_string (plab_json_get (ser, "name"), "value");
      items[s].colour = bar_series_colour (style, ser, (int)s);
      items[s].shape = PLAB_LEGEND_BOX;
    }
  /* A stack is as tall as its positive segments together. */
  for (size_t i = 0; stacked && i < n_cats; i++)
    {
      double total = 0;

      for (size_t s = 0; s < n_series; s++)
        if (isfinite (bar_value (series, s, i)) && bar_value (series, s, i) > 0)
          total += bar_value (series, s, i);
      ymax = fmax (ymax, total);
    }
  if (n_cats == 0 || !isfinite (ymax))
    {
      _plab_chart_message (cr, style, area, "The figure has no values.");
      return;
    }
  plab_axis_init (&ay, ymin, ymax * 1.1);
  plab_axis_make_nice (&ay, 6);
  plab_axis_ticks (&ay, 6, &ty);

  /* One series: each bar takes its category's colour (a backend keeps its
   * colour from the other charts), and the legend is not needed. */
  plot = _plab_chart_plot_under_legend (cr, style, area, &ty, _plab_chart_x_axis_room (style),
                                        items, by_category ? 0 : (int)n_series);
  _plab_chart_y_axis (cr, style, plot, &ay, &ty,
                      plab_json_string (plab_json_get (fig, "y_label"),
                                        by_category ? items[0].label : "value"));

  slot = plot.w / n_cats;
  for (size_t i = 0; i < n_cats; i++)
    {
      const char *cat = plab_json_string (plab_json_at (cats, i), "");
      double bw = slot * BAR_GROUP_SHARE / (stacked ? 1 : n_series);
      char buf[128];

      if (stacked)
        draw_stack (cr, style, series, items, n_series, i, &ay, plot,
                    plot.x + i * slot + slot * (1 - BAR_GROUP_SHARE) / 2, bw);
      for (size_t s = 0; s < n_series && !stacked; s++)
        {
          double v = bar_value (series, s, i);
          double x = plot.x + i * slot + slot * (1 - BAR_GROUP_SHARE) / 2 + s * bw;
          double y0 = plot.y + plot.h - plab_axis_fraction (&ay, 0) * plot.h;
          double y1 = plot.y + plot.h - plab_axis_fraction (&ay, v) * plot.h;
          PlabRgba colour
              = by_category
                        && (strcmp (cat, "serial") == 0 || strcmp (cat, "threads") == 0
                            || strcmp (cat, "processes") == 0 || strcmp (cat, "gil") == 0)
                    ? plab_chart_style_backend_colour (style, cat)
                : by_category ? plab_chart_style_series_colour (style, (int)i)
                              : items[s].colour;
          char value[32];

          if (!isfinite (v))
            continue;
          _plab_chart_set_colour (cr, colour);
          cairo_rectangle (cr, round (x + bw * 0.06), fmin (y0, y1), round (bw * 0.88),
                           fabs (y1 - y0));
          cairo_fill (cr);
          plab_format_number (v, value, sizeof value);
          _plab_chart_font (cr, style, n_series > 2 ? style->small_size : style->tick_size, true);
          /* A value wider than its bar would run into its neighbours'
           * values: the axis reads it instead. */
          if (_plab_chart_text_width (cr, value) > bw)
            continue;
          _plab_chart_set_colour (cr, style->foreground);
          _plab_chart_text (cr, x + bw / 2, fmin (y0, y1) - style->tick_size * 0.3, 0.5, 1, value);
        }
      _plab_chart_font (cr, style, style->tick_size, false);
      _plab_chart_set_colour (cr, style->foreground);
      _plab_chart_text_fit (cr, cat, slot * 0.95, buf, sizeof buf);
      _plab_chart_text (cr, plot.x + (i + 0.5) * slot, plot.y + plot.h + style->tick_size * 0.5,
                        0.5, 0, buf);
    }
  _plab_chart_set_colour (cr, style->foreground);
  cairo_set_line_width (cr, style->thin_line_width);
  {
    double y0 = floor (plot.y + plot.h - plab_axis_fraction (&ay, 0) * plot.h) + 0.5;
    cairo_move_to (cr, plot.x, y0);
    cairo_line_to (cr, plot.x + plot.w, y0);
    cairo_stroke (cr);
  }
  if (plab_json_string (plab_json_get (fig, "x_label"), NULL) != NULL)
    {
      _plab_chart_font (cr, style, style->label_size, false);
      _plab_chart_text (cr, plot.x + plot.w / 2, plot.y + plot.h + style->tick_size * 2.0, 0.5, 0,
                        plab_json_string (plab_json_get (fig, "x_label"), ""));
    }
}

/* The size of the table's text: the window's own, never below the
 * chart's ticks. */
static double
table_text_size (const PlabResultChartData *data, const PlabChartStyle *style)
{
  return data->text_size > style->tick_size ? data->text_size : style->tick_size;
}

/* A heading of the table at (x, y), a little larger than its rows; returns
 * the y of the first row under it. */
static double
table_heading (cairo_t *cr,
               const PlabChartStyle *style,
               double size,
               double x,
               double y,
               const char *text)
{
  size *= HEADING_EM;
  _plab_chart_font (cr, style, size, true);
  _plab_chart_set_colour (cr, style->foreground);
  _plab_chart_text (cr, x, y, 0, 0, text);
  return y + size * HEADING_LINE_EM;
}

bool
plab_result_chart_row (const PlabResultChartData *data,
                       const PlabJson *m,
                       const char **label,
                       char *value,
                       size_t value_size)
{
  const char *unit = NULL;
  char number[192];

  *label = m->key;
  if (is_series_key (m->key))
    return false;
  if (data->label_for != NULL && !data->label_for (data->demo, m->key, label, &unit))
    return false;
  if (m->type == PLAB_JSON_NUMBER)
    plab_format_number (m->number, number, sizeof number);
  else if (m->type == PLAB_JSON_BOOL)
    snprintf (number, sizeof number, "%s", m->boolean ? "yes" : "no");
  else
    plab_json_format_value (m, number, sizeof number);
  if (unit == NULL || unit[0] == '\0')
    snprintf (value, value_size, "%s", number);
  else
    snprintf (value, value_size, strcmp (unit, "%") == 0 ? "%s%s" : "%s %s", number, unit);
  return true;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

bool
plab_result_chart_spread (const PlabResultChartData *data,
                          const char *key,
                          char *text,
                          size_t text_size)
{
  const char *label = NULL, *unit = NULL;
  const char *sep;
  char median[64], low[64], high[64];
  double *values;
  size_t n = 0;

  if (data->n_repeats < 2 || data->repeats == NULL)
    return false;
  values = malloc (data->n_repeats * sizeof *values);
  if (values == NULL)
    return false;
  for (size_t i = 0; i < data->n_repeats; i++)
    {
      const PlabJson *v = plab_json_get (data->repeats[i], key);

      if (v != NULL && v->type == PLAB_JSON_NUMBER && isfinite (v->number))
        values[n++] = v->number;
    }
  if (n >= 2)
    qsort (values, n, sizeof *values, compare_doubles);
  /* A number every repeat agrees on (a count, the text's figure) has no
   * spread to show. */
  if (n < 2 || values[0] == values[n - 1])
    {
      free (values);
      return false;
    }
  plab_format_number (n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2, median,
                      sizeof median);
  plab_format_number (values[0], low, sizeof low);
  plab_format_number (values[n - 1], high, sizeof high);
  free (values);
  if (data->label_for != NULL)
    data->label_for (data->demo, key, &label, &unit);
  if (unit == NULL)
    unit = "";
  sep = unit[0] == '\0' || strcmp (unit, "%") == 0 ? "" : " ";
  /* Short, to fit under a value in a narrow panel: the line above the
   * table says how many runs. */
  snprintf (text, text_size, "median %s%s%s, %s–%s%s%s", median, sep, unit, low, high, sep, unit);
  return true;
}

/* How many rows the table of @data has. */
static size_t
table_length (const PlabResultChartData *data)
{
  const char *label;
  char value[256];
  size_t n = 0;

  for (size_t i = 0; i < plab_json_length (data->result); i++)
    if (plab_result_chart_row (data, &data->result->children[i], &label, value, sizeof value))
      n++;
  return n;
}

/* One row of the table at @y: the label on the left, wrapped when it is
 * long, the value in bold on the right, a thin rule under it; a number
 * with repeats has its median and min-max under it, small and muted. The
 * row is drawn whole, so the caller measures it first (on a
 * measure_context ()) and begins only a row that fits. Returns the y under
 * the row's rule. */
static double
table_row (cairo_t *cr,
           const PlabChartStyle *style,
           const PlabResultChartData *data,
           const PlabJson *m,
           const char *label,
           const char *value,
           double size,
           double value_w,
           PlabRect area,
           double y)
{
  double line_h = size * ROW_LINE_EM, top = y, bottom;
  char spread[160], fitted[256];

  _plab_chart_font (cr, style, size, true);
  if (_plab_chart_text_width (cr, value) > value_w)
    {
      /* Too wide for the value column ("2, 3, 1, 4, 5, 7, 6, 8"): the
       * label takes the row, the value the lines under it, wrapped at its
       * spaces. */
      _plab_chart_font (cr, style, size, false);
      _plab_chart_set_colour (cr, style->muted);
      bottom = _plab_chart_text_wrapped (cr, area.x, y + ROW_PAD_EM * size, area.w, line_h,
                                         INFINITY, NULL, label);
      _plab_chart_font (cr, style, size, true);
      _plab_chart_set_colour (cr, style->foreground);
      bottom = _plab_chart_text_wrapped (cr, area.x, fmax (bottom, top + line_h), area.w, line_h,
                                         INFINITY, NULL, value);
    }
  else
    {
      _plab_chart_font (cr, style, size, false);
      _plab_chart_set_colour (cr, style->muted);
      bottom = _plab_chart_text_wrapped (cr, area.x, y + ROW_PAD_EM * size,
                                         area.w - value_w - style->padding, line_h, INFINITY, NULL,
                                         label);
      _plab_chart_font (cr, style, size, true);
      _plab_chart_set_colour (cr, style->foreground);
      _plab_chart_text (cr, area.x + area.w, top + ROW_PAD_EM * size, 1, 0, value);
    }
  y = fmax (bottom, top + line_h) + ROW_PAD_EM * size;
  if (m->type == PLAB_JSON_NUMBER && plab_result_chart_spread (data, m->key, spread, sizeof spread))
    {
      _plab_chart_font (cr, style, size * SPREAD_TEXT_EM, false);
      _plab_chart_set_colour (cr, style->muted);
      _plab_chart_text_fit (cr, spread, area.w, fitted, sizeof fitted);
      _plab_chart_text (cr, area.x + area.w, y, 1, 0, fitted);
      y += line_h * SPREAD_TEXT_EM + ROW_PAD_EM * size;
    }
  _plab_chart_set_colour (cr, style->lane_stripe);
  cairo_set_line_width (cr, style->thin_line_width);
  cairo_move_to (cr, area.x, floor (y) + 0.5);
  cairo_line_to (cr, area.x + area.w, floor (y) + 0.5);
  cairo_stroke (cr);
  return y;
}

/* A muted line at (@x, @y), at most @width wide, that counts the @n -
 * @shown of @n items (@one, @many: "note", "notes") not drawn: "+2 more
 * notes", or with none drawn "3 notes do not fit at this size". */
static void
left_out_line (cairo_t *cr,
               const PlabChartStyle *style,
               double size,
               double x,
               double y,
               double width,
               size_t n,
               size_t shown,
               const char *one,
               const char *many)
{
  char more[64], fitted[64];

  if (shown == 0)
    snprintf (more, sizeof more,
              n == 1 ? "%zu %s does not fit at this size" : "%zu %s do not fit at this size", n,
              n == 1 ? one : many);
  else
    snprintf (more, sizeof more, "+%zu more %s", n - shown, n - shown == 1 ? one : many);
  _plab_chart_font (cr, style, size, false);
  _plab_chart_set_colour (cr, style->muted);
  _plab_chart_text_fit (cr, more, width, fitted, sizeof fitted);
  _plab_chart_text (cr, x, y, 0, 0, fitted);
}

/* The spread of the run's configuration over its repeats, at the top of
 * @area, which it then leaves below itself. */
static void
spread_line (cairo_t *cr, const PlabChartStyle *style, const char *text, PlabRect *area)
{
  double below;

  if (text == NULL || text[0] == '\0')
    return;
  _plab_chart_font (cr, style, style->tick_size, false);
  _plab_chart_set_colour (cr, style->muted);
  below = _plab_chart_text_wrapped (cr, area->x, area->y, area->w, style->tick_size * NOTE_LINE_EM,
                                    area->y + area->h, "", text)
          + style->tick_size * 0.6;
  area->h -= below - area->y;
  area->y = below;
}

/* A context that draws nowhere, to measure text with the fonts and
 * options _plab_chart_font () sets on any context. */
static cairo_t *
measure_context (void)
{
  cairo_surface_t *scratch = cairo_image_surface_create (CAIRO_FORMAT_A8, 1, 1);
  cairo_t *measure = cairo_create (scratch);

  cairo_surface_destroy (scratch);
  return measure;
}

/* The height of note @text wrapped to @width at @size, as draw_notes ()
 * draws it. */
static double
note_height (const PlabChartStyle *style, double size, double width, const char *text)
{
  cairo_t *measure = measure_context ();
  double h;

  _plab_chart_font (measure, style, size, false);
  h = _plab_chart_text_wrapped (measure, 0, 0, width, size * NOTE_LINE_EM, INFINITY, "• ", text);
  cairo_destroy (measure);
  return h;
}

/* The rows of the table at @size, from @y down to the bottom of @area:
 * as many whole rows as fit, in order, MAX_TABLE_ROWS at most; a row that
 * does not fit is not begun, and a muted "+2 more rows" line then says
 * what was left out, so that no row is dropped unseen. Returns how many
 * rows were drawn and sets *@bottom to the y under the last line. */
static size_t
table_rows (cairo_t *cr,
            const PlabChartStyle *style,
            const PlabResultChartData *data,
            double size,
            PlabRect area,
            double y,
            double *bottom)
{
  double line_h = size * ROW_LINE_EM, end = area.y + area.h, value_w = 0;
  double count_h = line_h + ROW_PAD_EM * size;
  size_t n = table_length (data), shown = 0;
  const char *label;
  char value[256];
  cairo_t *measure;

  _plab_chart_font (cr, style, size, true);
  for (size_t i = 0; i < plab_json_length (data->result); i++)
    if (plab_result_chart_row (data, &data->result->children[i], &label, value, sizeof value))
      value_w = fmax (value_w, _plab_chart_text_width (cr, value));
  value_w = fmin (value_w, area.w * MAX_VALUE_SHARE);

  measure = measure_context ();
  for (size_t i = 0; i < plab_json_length (data->result) && shown < MAX_TABLE_ROWS; i++)
    {
      const PlabJson *m = &data->result->children[i];
      /* Room for the line that counts the rows after this one, in case
       * they do not fit. */
      double reserve = shown + 1 < n ? count_h : 0;

      if (!plab_result_chart_row (data, m, &label, value, sizeof value))
        continue;
      if (y + table_row (measure, style, data, m, label, value, size, value_w, area, 0) + reserve
          > end)
        break;
      y = table_row (cr, style, data, m, label, value, size, value_w, area, y);
      shown++;
    }
  cairo_destroy (measure);
  if (shown < n && y + count_h <= end)
    {
      left_out_line (cr, style, size, area.x, y + ROW_PAD_EM * size, area.w, n, shown, "row",
                     "rows");
      y += count_h;
    }
  *bottom = y;
  return shown;
}

/* The spread line, the "Result" heading and the rows at @size, from the
 * top of @area; returns how many rows were drawn and sets *@bottom to the
 * y under the last line. */
static size_t
table_at_size (cairo_t *cr,
               const PlabChartStyle *style,
               const PlabResultChartData *data,
               double size,
               PlabRect area,
               double *bottom)
{
  double y;
  size_t shown = 0;

  cairo_save (cr);
  spread_line (cr, style, data->spread, &area);
  *bottom = area.y;
  if (area.h >= size * (HEADING_EM * HEADING_LINE_EM + ROW_LINE_EM))
    {
      y = table_heading (cr, style, size, area.x, area.y, "Result");
      shown = table_rows (cr, style, data, size, area, y, bottom);
    }
  else if (area.h >= size * ROW_LINE_EM && table_length (data) > 0)
    {
      /* No room for the heading: the line that counts the rows. */
      left_out_line (cr, style, size, area.x, area.y, area.w, table_length (data), 0, "row",
                     "rows");
      *bottom = area.y + size * ROW_LINE_EM;
    }
  cairo_restore (cr);
  return shown;
}

/* The table in @area: at the window's text size where all its rows fit,
 * else in text a step smaller at a time, never below the footer's size, so
 * that a slide shows every value while its text is still one the theme
 * reads from afar; where even that is too tall (a small export), the rows
 * that fit at the footer's size and a line that counts the rest. Returns
 * the y under the last line. */
static double
draw_table (cairo_t *cr,
            const PlabChartStyle *style,
            const PlabResultChartData *data,
            PlabRect area)
{
  double size = table_text_size (data, style), least = style->small_size, bottom;
  size_t n = MIN (table_length (data), MAX_TABLE_ROWS);
  cairo_t *measure = measure_context ();

  while (size > least && table_at_size (measure, style, data, size, area, &bottom) < n)
    size = fmax (size * TEXT_SHRINK, least);
  cairo_destroy (measure);
  table_at_size (cr, style, data, size, area, &bottom);
  return bottom;
}

/* The "Notes" heading and as many whole notes as fit in @area at @size,
 * in order; a note that does not fit is not begun, and a muted "+2 more
 * notes" line then says what was left out, so that no note is dropped
 * unseen. Returns how many notes were drawn and sets *@bottom to the y
 * under the last line. */
static size_t
draw_notes (cairo_t *cr,
            const PlabChartStyle *style,
            const PlabJson *notes,
            double size,
            PlabRect area,
            double *bottom)
{
  double line_h = size * NOTE_LINE_EM, end = area.y + area.h, y = area.y;
  size_t n = plab_json_length (notes), shown = 0;

  cairo_save (cr);
  if (area.h >= size * HEADING_EM * HEADING_LINE_EM + line_h)
    {
      y = table_heading (cr, style, size, area.x, area.y, "Notes");
      _plab_chart_font (cr, style, size, false);
      _plab_chart_set_colour (cr, style->foreground);
      for (; shown < n; shown++)
        {
          const char *text = plab_json_string (plab_json_at (notes, shown), "");
          /* Room for the line that counts the notes after this one, in
           * case they do not fit. */
          double reserve = shown + 1 < n ? line_h : 0;

          if (y + note_height (style, size, area.w, text) + reserve > end)
            break;
          y = _plab_chart_text_wrapped (cr, area.x, y, area.w, line_h, end, "• ", text);
          y += line_h * NOTE_GAP;
        }
    }
  if (shown < n && y + line_h <= end)
    {
      left_out_line (cr, style, size, area.x, y, area.w, n, shown, "note", "notes");
      y += line_h;
    }
  cairo_restore (cr);
  *bottom = y;
  return shown;
}

/* Where the figure and the notes go, and the size of the notes' text; the
 * table keeps its column. */
typedef struct
{
  PlabRect figure; /* its title included */
  PlabRect notes;
  double note_size;
} Layout;

/* Notes at @size in @area: true when all of them fit, with *@used set to
 * the height they take. */
static bool
notes_fit (const PlabChartStyle *style,
           const PlabJson *notes,
           double size,
           PlabRect area,
           double *used)
{
  cairo_t *measure = measure_context ();
  double bottom;
  bool all = draw_notes (measure, style, notes, size, area, &bottom) == plab_json_length (notes);

  cairo_destroy (measure);
  *used = bottom - area.y;
  return all;
}

/* Lays out a result with a figure: the table (and the notes, when they fit
 * under it) in the column @table, the figure in the column @figure. The
 * notes are drawn whole at the table's text size where they fit; otherwise
 * they move under the figure, which gives up height down to
 * FIGURE_MIN_SHARE of its column; otherwise their text shrinks, never below
 * the footer's size. Where even that does not fit (a small export), they
 * take whichever place shows more of them, and draw_notes () counts the
 * rest. */
static Layout
layout_body (const PlabChartStyle *style,
             const PlabResultChartData *data,
             const PlabJson *notes,
             PlabRect figure,
             PlabRect table)
{
  double end = table.y + table.h, table_bottom, used, bottom;
  double size = table_text_size (data, style), least = style->small_size;
  Layout lay = { figure, table, size };
  PlabRect under_table, under_figure;
  size_t shown_under_table, shown_under_figure;
  cairo_t *measure;

  if (plab_json_length (notes) == 0)
    return lay;
  measure = measure_context ();
  table_bottom
      = draw_table (measure, style, data, (PlabRect){ table.x, table.y, table.w, INFINITY });
  cairo_destroy (measure);

  under_table = table;
  under_table.y = fmin (table_bottom + style->padding, end);
  under_table.h = end - under_table.y;
  under_figure = figure;
  under_figure.h
      = fmax (figure.h - fmax (figure.h * FIGURE_MIN_SHARE, style->tick_size * FIGURE_MIN_EM)
                  - style->padding,
              0);
  under_figure.y = figure.y + figure.h - under_figure.h;

  for (double s = size;; s = fmax (s * TEXT_SHRINK, least))
    {
      lay.note_size = s;
      if (notes_fit (style, notes, s, under_table, &used))
        {
          lay.notes = under_table;
          return lay;
        }
      if (notes_fit (style, notes, s, under_figure, &used))
        break;
      if (s <= least)
        {
          /* Nowhere for all of them: where more of them show, and at
           * least the line that counts them. */
          measure = measure_context ();
          shown_under_table = draw_notes (measure, style, notes, s, under_table, &bottom);
          shown_under_figure = draw_notes (measure, style, notes, s, under_figure, &used);
          used -= under_figure.y;
          cairo_destroy (measure);
          if (bottom > under_table.y && shown_under_table >= shown_under_figure)
            {
              lay.notes = under_table;
              return lay;
            }
          if (used <= 0)
            used = s * NOTE_LINE_EM;
          break;
        }
    }
  /* Under the figure, which keeps what the notes do not use; whole pixels,
   * so that the notes measured to fit still do. */
  lay.figure.h = fmax (figure.h - ceil (used) - 1 - style->padding, 0);
  lay.notes = figure;
  lay.notes.y = figure.y + lay.figure.h + style->padding;
  lay.notes.h = figure.y + figure.h - lay.notes.y;
  return lay;
}

void
plab_result_chart_draw (cairo_t *cr,
                        const PlabChartInput *input,
                        const PlabChartStyle *style,
                        double width,
                        double height)
{
  const PlabResultChartData *data = input->result;
  const PlabJson *fig, *notes;
  PlabRect body, left, right;
  const char *kind, *fig_title;
  double share, notes_bottom;
  Layout lay;

  if (!_plab_chart_begin (cr, style, data ? data->title : NULL, data ? data->footer : NULL, width,
                          height, &body))
    return;
  if (data == NULL || data->result == NULL || data->result->type != PLAB_JSON_OBJECT
      || data->result->n_children == 0)
    {
      _plab_chart_message (cr, style, body, "This run has no result summary.");
      goto out;
    }
  fig = plab_json_get (data->result, "figure");
  if (fig == NULL)
    {
      draw_table (cr, style, data, body);
      goto out;
    }

  left = body;
  /* Large text (presentation mode, a narrow window) widens the table so
   * its labels do not wrap word by word, up to a limit the figure keeps. */
  share = fmin (fmax (TABLE_SHARE, table_text_size (data, style) * TABLE_MIN_EM / body.w),
                TABLE_MAX_SHARE);
  left.w = body.w * (1 - share) - style->padding * 2;
  right = body;
  right.x = body.x + body.w * (1 - share);
  right.w = body.w * share;
  notes = plab_json_get (fig, "notes");
  lay = layout_body (style, data, notes, left, right);
  left = lay.figure;

  fig_title = plab_json_string (plab_json_get (fig, "title"), NULL);
  if (fig_title != NULL)
    {
      _plab_chart_font (cr, style, style->label_size, true);
      _plab_chart_set_colour (cr, style->foreground);
      _plab_chart_text (cr, left.x, left.y, 0, 0, fig_title);
      left.y += style->label_size * 1.6;
      left.h -= style->label_size * 1.6;
    }
  kind = plab_json_string (plab_json_get (fig, "kind"), "lines");
  if (strcmp (kind, "bars") == 0 || strcmp (kind, "stacked") == 0)
    draw_bars (cr, style, fig, left);
  else
    draw_lines (cr, style, fig, left);
  draw_table (cr, style, data, right);
  if (plab_json_length (notes) > 0)
    draw_notes (cr, style, notes, lay.note_size, lay.notes, &notes_bottom);

out:
  cairo_restore (cr);
}
