/* plab-timeline-layout.c: where the timeline's parts go on a chart of a
 * given size: the legend, the label column, lanes and counter tracks, the
 * mapping between time and x, and which span lies under a point. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plab-timeline-private.h"

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
/* A point this far down a lane or further is on the strip of waits for a
 * core (the bottom of the bar, plab-timeline-draw.c) when one lies there. */
#define CORE_WAIT_HIT_SHARE 0.6
/* The host column is this many tick heights wide: one line of text turned
 * a quarter turn, with room either side. */
#define HOST_COLUMN_EM 1.8

bool
_plab_timeline_lane_rank (const PlabLaneInfo *info, char *host, size_t host_len, long *rank)
{
  const char *colon = strrchr (info->name, ':');
  const char *digits;
  char *end;

  if (info->kind == PLAB_LANE_MAIN || colon == NULL || colon == info->name)
    return false;
  digits = colon + 1;
  if (*digits < '0' || *digits > '9')
    return false;
  *rank = strtol (digits, &end, 10);
  if (*end != '\0')
    return false;
  snprintf (host, host_len, "%.*s", (int)(colon - info->name), info->name);
  return true;
}

int
plab_timeline_data_lane_host (const PlabTimelineData *self, int row, char *host, size_t len)
{
  char here[PLAB_LANE_NAME_MAX], above[PLAB_LANE_NAME_MAX];
  int group = -1;
  long rank;

  if (self == NULL || row < 0 || row >= self->n_lanes)
    return -1;
  /* Rank lanes are sorted by host: a group starts where the host changes. */
  above[0] = '\0';
  for (int r = 0; r <= row; r++)
    {
      if (!_plab_timeline_lane_rank (&self->lanes[r].info, here, sizeof here, &rank))
        {
          if (r == row)
            return -1;
          continue;
        }
      if (group < 0 || strcmp (here, above) != 0)
        group++;
      snprintf (above, sizeof above, "%s", here);
    }
  if (host != NULL && len > 0)
    snprintf (host, len, "%s", here);
  return group;
}

void
_plab_timeline_lane_label_lines (const Lane *l,
                                 char *name,
                                 size_t name_len,
                                 char *detail,
                                 size_t detail_len,
                                 bool *alarming)
{
  const PlabLaneInfo *info = &l->info;
  char id[48] = "";

  char host[PLAB_LANE_NAME_MAX];
  long rank;

  /* A rank's host heads its group (the host column): the lane says which rank. */
  if (_plab_timeline_lane_rank (info, host, sizeof host, &rank))
    snprintf (name, name_len, "rank %ld", rank);
  else
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
void
_plab_timeline_lane_label_sizes (const PlabChartStyle *style,
                                 double lane_h,
                                 double *name,
                                 double *detail)
{
  bool large = lane_h >= LANE_LARGE_LABEL_EM * style->label_size;

  *name = large ? style->label_size : style->tick_size;
  *detail = large ? style->tick_size : style->small_size;
}

int
_plab_timeline_legend_items (const PlabTimelineData *self,
                             const PlabChartStyle *style,
                             PlabLegendItem *items)
{
  bool died = (self->kinds_present & (1u << PLAB_SPAN_CRASH)) != 0;
  int n = 0;

  for (int k = 0; k < N_DENSITY_KINDS; k++)
    if (is_density_kind (k) && (self->kinds_present & (1u << k)))
      _plab_chart_legend_add (items, &n, plab_timeline_data_kind_name (self, k), style->span[k],
                              PLAB_LEGEND_BOX);
  if (self->kinds_present & (1u << PLAB_SPAN_CORE_WAIT))
    _plab_chart_legend_add (items, &n, plab_chart_span_kind_label (PLAB_SPAN_CORE_WAIT),
                            style->span[PLAB_SPAN_CORE_WAIT], PLAB_LEGEND_HATCH);
  for (int i = 0; i < self->n_lanes && !died; i++)
    died = self->lanes[i].info.end == PLAB_LANE_KILLED;
  if (died)
    _plab_chart_legend_add (items, &n, "worker died", style->warning, PLAB_LEGEND_CROSS);
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

void
_plab_timeline_layout_body (cairo_t *cr,
                            const PlabTimelineData *data,
                            const PlabTimeWindow *window,
                            const PlabChartStyle *style,
                            PlabRect body,
                            PlabTimelineLayout *out)
{
  PlabLegendItem items[PLAB_N_SPAN_KINDS + 1];
  int n_items = _plab_timeline_legend_items (data, style, items);
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
  _plab_timeline_lane_label_sizes (style, out->lane_h, &name_size, &detail_size);

  cairo_save (cr);
  for (int i = 0; i < data->n_lanes; i++)
    {
      char name[64], detail[96];
      bool alarming;
      double w;

      _plab_timeline_lane_label_lines (&data->lanes[i], name, sizeof name, detail, sizeof detail,
                                       &alarming);
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
  for (int i = 0; i < data->n_lanes && out->host_w == 0; i++)
    {
      char host[PLAB_LANE_NAME_MAX];
      long rank;

      if (_plab_timeline_lane_rank (&data->lanes[i].info, host, sizeof host, &rank))
        out->host_w = ceil (HOST_COLUMN_EM * style->tick_size);
    }
  out->host_x = body.x;
  if (label_w + out->host_w > body.w * LABEL_COLUMN_MAX_SHARE)
    label_w = body.w * LABEL_COLUMN_MAX_SHARE - out->host_w;
  label_w += out->host_w;

  out->label_x = body.x + out->host_w;
  out->label_w = label_w - out->host_w;
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
    _plab_timeline_layout_body (sc, data, window, style, body, out);
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

  /* Waits for a core are a strip along the bottom of the bar: there they
   * win over the task they lie on. */
  if (y - layout->lanes_y - row * layout->lane_h >= CORE_WAIT_HIT_SHARE * layout->lane_h)
    for (size_t i = 0; i < l->n_core_waits; i++)
      {
        const Span *it = &data->spans[l->core_waits[i]];

        if ((double)it->start <= t + tol && (double)it->end >= t - tol)
          return (long)l->core_waits[i];
      }

  /* Shortest classes first: the innermost of nested spans wins. */
  for (int c = 0; c < N_CLASSES; c++)
    {
      size_t lo = l->class_first[c], hi = l->class_first[c + 1];
      double longest = ldexp (1.0, c + 1);
      long best = -1;
      double best_d = INFINITY;

      if (lo == hi)
        continue;
      for (size_t i = _plab_timeline_lower_bound (data->spans, l->items, lo, hi, t - tol - longest);
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
