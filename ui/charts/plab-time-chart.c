/* plab-time-chart.c: bars with whiskers, grouped by backend. */
#include "plab-time-chart.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plab-chart-private.h"

/* Share of a slot a bar fills, and the gap between backend groups in slots. */
#define BAR_SHARE 0.72
#define GROUP_GAP_SLOTS 0.6
/* Headroom above the tallest whisker for its value, as a share of the axis. */
#define HEADROOM 1.12

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

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

          for (size_t i = 0; i < n_samples; i++)
            if (strcmp (samples[i].backend, order[b]) == 0 && samples[i].workers > last
                && (next < 0 || samples[i].workers < next))
              next = samples[i].workers;
          if (next < 0)
            break;
          for (size_t i = 0; i < n_samples; i++)
            if (strcmp (samples[i].backend, order[b]) == 0 && samples[i].workers == next)
              walls[n_walls++] = (double)samples[i].wall_ns;
          qsort (walls, n_walls, sizeof (double), compare_double);

          p = &points[n_points++];
          snprintf (p->backend, sizeof p->backend, "%s", order[b]);
          p->workers = next;
          p->n_repeats = (int)n_walls;
          p->min_ns = walls[0];
          p->max_ns = walls[n_walls - 1];
          p->median_ns = n_walls % 2 ? walls[n_walls / 2]
                                     : (walls[n_walls / 2 - 1] + walls[n_walls / 2]) / 2;
          last = next;
        }
    }
  *out = points;
  *n_out = n_points;
  points = NULL;
  rc = 0;

fail:
  free (points);
  free (order);
  free (walls);
  return rc;
}

double
plab_time_points_serial_baseline (const PlabTimePoint *points, size_t n_points)
{
  for (size_t i = 0; i < n_points; i++)
    if (strcmp (points[i].backend, "serial") == 0)
      return points[i].median_ns;
  return 0;
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

void
plab_time_chart_draw (cairo_t *cr,
                      const PlabTimeChartData *data,
                      const PlabChartStyle *style,
                      double width,
                      double height)
{
  PlabRect body, plot;
  PlabAxis axis;
  PlabTicks ticks;
  PlabLegendItem items[PLAB_PALETTE_SIZE + 2];
  int n_items = 0;
  const char *unit;
  double ns_per_unit, top = 0, legend_h, slots, slot_w, x;
  char title[64], baseline_text[96];

  if (width < 1 || height < 1)
    return;
  cairo_save (cr);
  body = _plab_chart_frame (cr, style, data ? data->title : NULL, data ? data->footer : NULL, width,
                            height);
  if (data == NULL || data->n_points == 0)
    {
      _plab_chart_message (cr, style, body, "No finished runs to compare yet.");
      goto out;
    }

  for (size_t i = 0; i < data->n_points; i++)
    {
      if (data->points[i].max_ns > top)
        top = data->points[i].max_ns;
      if (i == 0 || strcmp (data->points[i].backend, data->points[i - 1].backend) != 0)
        if (n_items < PLAB_PALETTE_SIZE)
          {
            items[n_items].label = data->points[i].backend;
            items[n_items].colour
                = plab_chart_style_backend_colour (style, data->points[i].backend);
            items[n_items].shape = PLAB_LEGEND_BOX;
            n_items++;
          }
    }
  if (data->baseline_ns > top)
    top = data->baseline_ns;
  /* Whiskers only exist where a configuration was repeated. */
  for (size_t i = 0; i < data->n_points; i++)
    if (data->points[i].n_repeats > 1)
      {
        items[n_items].label = "min–max of repeats";
        items[n_items].colour = style->foreground;
        items[n_items].shape = PLAB_LEGEND_LINE;
        n_items++;
        break;
      }
  if (data->baseline_ns > 0)
    {
      char value[32];
      plab_format_duration (data->baseline_ns, value, sizeof value);
      snprintf (baseline_text, sizeof baseline_text, "%s %s",
                data->baseline_label ? data->baseline_label : "serial baseline", value);
      items[n_items].label = baseline_text;
      items[n_items].colour = style->muted;
      items[n_items].shape = PLAB_LEGEND_DASHED;
      n_items++;
    }

  plab_time_unit (top, &unit, &ns_per_unit);
  plab_axis_init (&axis, 0, top * HEADROOM / ns_per_unit);
  plab_axis_make_nice (&axis, 6);
  plab_axis_ticks (&axis, 6, &ticks);

  legend_h = _plab_chart_legend (cr, style, items, n_items, body.x, body.y, body.w, false);
  plot.x = body.x + _plab_chart_y_axis_room (cr, style, &ticks, 1.0);
  plot.y = body.y + legend_h + style->padding;
  plot.w = body.x + body.w - plot.x;
  /* Two rows under the bars: workers, then the backend of the group. */
  plot.h = body.y + body.h - plot.y - style->tick_size * 1.6 - style->label_size * 2.6;
  _plab_chart_legend (cr, style, items, n_items, plot.x, body.y, plot.w, true);

  snprintf (title, sizeof title, "wall time (%s)", unit);
  _plab_chart_y_axis (cr, style, plot, &axis, &ticks, 1.0, title);

  /* Slots: one per bar plus a gap between backends. */
  slots = (double)data->n_points;
  for (size_t i = 1; i < data->n_points; i++)
    if (strcmp (data->points[i].backend, data->points[i - 1].backend) != 0)
      slots += GROUP_GAP_SLOTS;
  slot_w = plot.w / (slots + GROUP_GAP_SLOTS);
  x = plot.x + slot_w * GROUP_GAP_SLOTS / 2;

  for (size_t i = 0; i < data->n_points;)
    {
      size_t end = i;
      double group_x0 = x;

      while (end < data->n_points
             && strcmp (data->points[end].backend, data->points[i].backend) == 0)
        end++;
      for (size_t j = i; j < end; j++)
        {
          const PlabTimePoint *p = &data->points[j];
          PlabRgba colour = plab_chart_style_backend_colour (style, p->backend);
          double cx = x + slot_w / 2, bw = slot_w * BAR_SHARE;
          double y_med
              = plot.y + plot.h * (1 - plab_axis_fraction (&axis, p->median_ns / ns_per_unit));
          double y_min
              = plot.y + plot.h * (1 - plab_axis_fraction (&axis, p->min_ns / ns_per_unit));
          double y_max
              = plot.y + plot.h * (1 - plab_axis_fraction (&axis, p->max_ns / ns_per_unit));
          double base = plot.y + plot.h;
          char value[32], workers[32];
          double tw;

          _plab_chart_set_colour (cr, colour);
          cairo_rectangle (cr, round (cx - bw / 2), round (y_med), round (bw),
                           base - round (y_med));
          cairo_fill (cr);

          if (p->n_repeats > 1)
            {
              double cap = bw * 0.22;
              cairo_save (cr);
              _plab_chart_set_colour (cr, style->foreground);
              cairo_set_line_width (cr, style->thin_line_width * 1.5);
              cairo_move_to (cr, floor (cx) + 0.5, y_min);
              cairo_line_to (cr, floor (cx) + 0.5, y_max);
              cairo_move_to (cr, cx - cap, floor (y_min) + 0.5);
              cairo_line_to (cr, cx + cap, floor (y_min) + 0.5);
              cairo_move_to (cr, cx - cap, floor (y_max) + 0.5);
              cairo_line_to (cr, cx + cap, floor (y_max) + 0.5);
              cairo_stroke (cr);
              cairo_restore (cr);
            }

          /* The median above the whisker, where it cannot collide with it. */
          plab_format_duration (p->median_ns, value, sizeof value);
          _plab_chart_font (cr, style, style->tick_size, true);
          tw = _plab_chart_text_width (cr, value);
          if (tw > slot_w * 0.98)
            _plab_chart_font (cr, style, style->small_size, true);
          _plab_chart_set_colour (cr, style->foreground);
          _plab_chart_text (cr, cx, fmin (y_max, y_med) - style->tick_size * 0.35, 0.5, 1, value);

          _plab_chart_font (cr, style, style->tick_size, false);
          _plab_chart_set_colour (cr, style->muted);
          snprintf (workers, sizeof workers, "%d", p->workers);
          _plab_chart_text (cr, cx, base + style->tick_size * 0.4, 0.5, 0, workers);
          x += slot_w;
        }

      /* The backend under its group. */
      _plab_chart_font (cr, style, style->label_size, false);
      _plab_chart_set_colour (cr, style->foreground);
      {
        char label[64];
        snprintf (label, sizeof label, "%s · workers", data->points[i].backend);
        if (_plab_chart_text_width (cr, label) > x - group_x0)
          snprintf (label, sizeof label, "%s", data->points[i].backend);
        _plab_chart_text (cr, (group_x0 + x) / 2, plot.y + plot.h + style->tick_size * 1.8, 0.5, 0,
                          label);
      }
      x += slot_w * GROUP_GAP_SLOTS;
      i = end;
    }

  /* Baseline on top of the bars, so it reads across all of them. */
  cairo_save (cr);
  _plab_chart_set_colour (cr, style->foreground);
  cairo_set_line_width (cr, style->thin_line_width);
  cairo_move_to (cr, plot.x, floor (plot.y + plot.h) + 0.5);
  cairo_line_to (cr, plot.x + plot.w, floor (plot.y + plot.h) + 0.5);
  cairo_stroke (cr);
  if (data->baseline_ns > 0)
    {
      double y
          = plot.y + plot.h * (1 - plab_axis_fraction (&axis, data->baseline_ns / ns_per_unit));
      /* Its value is in the legend: a label here would collide with bars. */
      _plab_chart_set_colour (cr, style->muted);
      cairo_set_line_width (cr, style->line_width * 0.7);
      _plab_chart_dash (cr, style, PLAB_LEGEND_DASHED);
      cairo_move_to (cr, plot.x, floor (y) + 0.5);
      cairo_line_to (cr, plot.x + plot.w, floor (y) + 0.5);
      cairo_stroke (cr);
    }
  cairo_restore (cr);

out:
  cairo_restore (cr);
}
