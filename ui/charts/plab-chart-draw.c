/* plab-chart-draw.c: frame, text, legend and axes shared by all charts. */
#include "plab-chart-private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Space between a tick label and its axis, and tick length, in units of the
 * tick font size. */
#define TICK_GAP_EM 0.45
/* Legend swatch width, in units of the tick font size. */
#define SWATCH_EM 1.6
/* Gap between legend entries, in units of the tick font size. */
#define LEGEND_GAP_EM 1.3
/* Hatching: stripes this many thin line widths apart, the background's
 * stripes this share of the period wide and this opaque. */
#define HATCH_STEP 6.0
#define HATCH_STRIPE_SHARE 0.4
#define HATCH_STRIPE_ALPHA 0.85
#define ELLIPSIS "…"
/* The background around an error bar, in its own line widths, each side. */
#define ERROR_BAR_HALO 0.8

void
_plab_chart_set_colour (cairo_t *cr, PlabRgba colour)
{
  cairo_set_source_rgba (cr, colour.r, colour.g, colour.b, colour.a);
}

void
_plab_chart_set_colour_alpha (cairo_t *cr, PlabRgba colour, double alpha)
{
  cairo_set_source_rgba (cr, colour.r, colour.g, colour.b, colour.a * alpha);
}

void
_plab_chart_font (cairo_t *cr, const PlabChartStyle *style, double size, bool bold)
{
  cairo_font_options_t *options = cairo_font_options_create ();

  cairo_font_options_set_antialias (options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_SLIGHT);
  cairo_set_font_options (cr, options);
  cairo_font_options_destroy (options);

  cairo_select_font_face (cr, style->font_family, CAIRO_FONT_SLANT_NORMAL,
                          bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, size);
}

double
_plab_chart_text_width (cairo_t *cr, const char *text)
{
  cairo_text_extents_t ext;

  if (text == NULL || *text == '\0')
    return 0;
  cairo_text_extents (cr, text, &ext);
  return ext.x_advance;
}

void
_plab_chart_text (cairo_t *cr, double x, double y, double halign, double valign, const char *text)
{
  cairo_font_extents_t fext;
  double w;

  if (text == NULL || *text == '\0')
    return;
  cairo_font_extents (cr, &fext);
  w = _plab_chart_text_width (cr, text);
  /* The box runs from ascent above the baseline to descent below it. */
  cairo_move_to (cr, x - halign * w, y + fext.ascent - valign * (fext.ascent + fext.descent));
  cairo_show_text (cr, text);
  cairo_new_path (cr);
}

void
_plab_chart_text_vertical (cairo_t *cr, double x, double y, const char *text)
{
  cairo_save (cr);
  cairo_translate (cr, x, y);
  cairo_rotate (cr, -M_PI / 2);
  _plab_chart_text (cr, 0, 0, 0.5, 0.5, text);
  cairo_restore (cr);
}

bool
_plab_chart_text_fit (cairo_t *cr, const char *text, double max_width, char *buf, size_t len)
{
  size_t n;

  if (len == 0)
    return false;
  snprintf (buf, len, "%s", text ? text : "");
  if (_plab_chart_text_width (cr, buf) <= max_width)
    return true;
  if (_plab_chart_text_width (cr, ELLIPSIS) > max_width)
    {
      buf[0] = '\0';
      return false;
    }

  n = strlen (buf);
  while (n > 0)
    {
      char tmp[512];

      n--;
      /* Do not cut a UTF-8 sequence in half. */
      while (n > 0 && ((unsigned char)buf[n] & 0xC0) == 0x80)
        n--;
      snprintf (tmp, sizeof tmp, "%.*s" ELLIPSIS, (int)n, buf);
      if (_plab_chart_text_width (cr, tmp) <= max_width)
        {
          snprintf (buf, len, "%s", tmp);
          return true;
        }
    }
  snprintf (buf, len, ELLIPSIS);
  return true;
}

double
_plab_chart_text_wrapped (cairo_t *cr,
                          double x,
                          double y,
                          double max_width,
                          double line_height,
                          double max_bottom,
                          const char *indent,
                          const char *text)
{
  char line[512];
  const char *p = text ? text : "";
  double indent_w = indent ? _plab_chart_text_width (cr, indent) : 0;
  bool first = true;

  while (*p)
    {
      size_t n = 0, best = 0;
      bool last_line = y + 2 * line_height > max_bottom;

      while (*p == ' ')
        p++;
      if (*p == '\0')
        break;
      /* The longest prefix ending at a word boundary that fits. */
      while (p[n] && n + 1 < sizeof line)
        {
          size_t end = n;

          while (p[end] && p[end] != ' ' && end + 1 < sizeof line)
            end++;
          memcpy (line, p, end);
          line[end] = '\0';
          if (best > 0 && _plab_chart_text_width (cr, line) > max_width - indent_w)
            break;
          best = end;
          n = end;
          if (p[n] == ' ')
            n++;
        }
      if (last_line && p[best] != '\0')
        best = strlen (p);
      memcpy (line, p, best < sizeof line ? best : sizeof line - 1);
      line[best < sizeof line ? best : sizeof line - 1] = '\0';
      {
        char fitted[512];
        _plab_chart_text_fit (cr, line, max_width - indent_w, fitted, sizeof fitted);
        if (first && indent)
          _plab_chart_text (cr, x, y, 0, 0, indent);
        _plab_chart_text (cr, x + indent_w, y, 0, 0, fitted);
      }
      first = false;
      p += best;
      y += line_height;
      if (last_line)
        break;
    }
  return y;
}

/* Draws @footer's lines upwards from @bottom, @line_height apart: its first
 * line (what, with what, where, when) last, in the muted colour, and any
 * further lines (a busy-machine warning) above it in the warning colour.
 * Returns the number of lines. */
static int
draw_footer_lines (cairo_t *cr,
                   const PlabChartStyle *style,
                   const char *footer,
                   PlabRect body,
                   double bottom,
                   double line_height)
{
  char line[512], buf[512];
  int n_lines = 1, index = 0;

  for (const char *p = footer; *p != '\0'; p++)
    n_lines += *p == '\n';
  for (const char *p = footer; index < n_lines; index++)
    {
      size_t n = strcspn (p, "\n");
      double y = index == 0 ? bottom : bottom - (n_lines - index) * line_height;

      snprintf (line, sizeof line, "%.*s", (int)n, p);
      _plab_chart_font (cr, style, style->small_size, index > 0);
      _plab_chart_set_colour (cr, index == 0 ? style->muted : style->warning);
      _plab_chart_text_fit (cr, line, body.w, buf, sizeof buf);
      _plab_chart_text (cr, body.x, y, 0, 1, buf);
      p += n + (p[n] == '\n');
    }
  return n_lines;
}

PlabRect
_plab_chart_frame (cairo_t *cr,
                   const PlabChartStyle *style,
                   const char *title,
                   const char *footer,
                   double width,
                   double height)
{
  PlabRect body
      = { style->padding, style->padding, width - 2 * style->padding, height - 2 * style->padding };
  char buf[512];

  cairo_save (cr);
  _plab_chart_set_colour (cr, style->background);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);

  if (title != NULL && *title != '\0')
    {
      _plab_chart_font (cr, style, style->title_size, true);
      _plab_chart_set_colour (cr, style->foreground);
      _plab_chart_text_fit (cr, title, body.w, buf, sizeof buf);
      _plab_chart_text (cr, body.x, body.y, 0, 0, buf);
      body.y += style->title_size * 1.25 + style->padding * 0.5;
      body.h -= style->title_size * 1.25 + style->padding * 0.5;
    }

  if (footer != NULL && *footer != '\0')
    {
      double line_height = style->small_size * 1.3;
      int n_lines
          = draw_footer_lines (cr, style, footer, body, height - style->padding, line_height);

      body.h -= n_lines * line_height + style->padding * 0.5;

      /* A hairline separates the footer from the chart. */
      cairo_set_line_width (cr, style->thin_line_width);
      _plab_chart_set_colour (cr, style->grid);
      cairo_move_to (cr, body.x, floor (body.y + body.h + style->padding * 0.25) + 0.5);
      cairo_rel_line_to (cr, body.w, 0);
      cairo_stroke (cr);
    }
  cairo_restore (cr);

  if (body.w < 0)
    body.w = 0;
  if (body.h < 0)
    body.h = 0;
  return body;
}

bool
_plab_chart_begin (cairo_t *cr,
                   const PlabChartStyle *style,
                   const char *title,
                   const char *footer,
                   double width,
                   double height,
                   PlabRect *body)
{
  if (width < 1 || height < 1)
    return false;
  cairo_save (cr);
  *body = _plab_chart_frame (cr, style, title, footer, width, height);
  return true;
}

void
_plab_chart_message (cairo_t *cr, const PlabChartStyle *style, PlabRect area, const char *message)
{
  char buf[512];

  cairo_save (cr);
  _plab_chart_font (cr, style, style->label_size, false);
  _plab_chart_set_colour (cr, style->muted);
  _plab_chart_text_fit (cr, message, area.w, buf, sizeof buf);
  _plab_chart_text (cr, area.x + area.w / 2, area.y + area.h / 2, 0.5, 0.5, buf);
  cairo_restore (cr);
}

void
_plab_chart_dash (cairo_t *cr, const PlabChartStyle *style, PlabLegendShape shape)
{
  double lw = style->line_width;

  if (shape == PLAB_LEGEND_DASHED)
    {
      double d[] = { 3 * lw, 2 * lw };
      cairo_set_dash (cr, d, 2, 0);
    }
  else if (shape == PLAB_LEGEND_DOTTED)
    {
      double d[] = { 0.01, 1.8 * lw };
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      cairo_set_dash (cr, d, 2, 0);
    }
  else
    cairo_set_dash (cr, NULL, 0, 0);
}

void
_plab_chart_marker (cairo_t *cr,
                    const PlabChartStyle *style,
                    double x,
                    double y,
                    PlabLegendShape shape,
                    PlabRgba colour)
{
  double r = style->marker_radius;

  cairo_save (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  cairo_new_path (cr);
  switch (shape)
    {
    case PLAB_LEGEND_DOTTED:
      cairo_arc (cr, x, y, r * 0.85, 0, 2 * M_PI);
      _plab_chart_set_colour (cr, style->background);
      cairo_fill_preserve (cr);
      _plab_chart_set_colour (cr, colour);
      cairo_set_line_width (cr, style->line_width * 0.7);
      cairo_stroke (cr);
      break;
    case PLAB_LEGEND_DASHED:
      cairo_rectangle (cr, x - r * 0.85, y - r * 0.85, 1.7 * r, 1.7 * r);
      _plab_chart_set_colour (cr, colour);
      cairo_fill (cr);
      break;
    case PLAB_LEGEND_CROSS:
      cairo_set_line_width (cr, style->line_width);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      cairo_move_to (cr, x - r, y - r);
      cairo_line_to (cr, x + r, y + r);
      cairo_move_to (cr, x + r, y - r);
      cairo_line_to (cr, x - r, y + r);
      _plab_chart_set_colour (cr, colour);
      cairo_stroke (cr);
      break;
    case PLAB_LEGEND_BOX:
    case PLAB_LEGEND_LINE:
    case PLAB_LEGEND_POINT:
    default:
      cairo_arc (cr, x, y, r, 0, 2 * M_PI);
      _plab_chart_set_colour (cr, colour);
      cairo_fill_preserve (cr);
      _plab_chart_set_colour (cr, style->background);
      cairo_set_line_width (cr, style->thin_line_width);
      cairo_stroke (cr);
      break;
    }
  cairo_restore (cr);
}

void
_plab_chart_error_bar (cairo_t *cr,
                       const PlabChartStyle *style,
                       double x,
                       double y0,
                       double y1,
                       double cap,
                       PlabRgba colour)
{
  double lx = floor (x) + 0.5;

  cairo_save (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  cairo_new_path (cr);
  cairo_move_to (cr, lx, y0);
  cairo_line_to (cr, lx, y1);
  cairo_move_to (cr, lx - cap, floor (y0) + 0.5);
  cairo_line_to (cr, lx + cap, floor (y0) + 0.5);
  cairo_move_to (cr, lx - cap, floor (y1) + 0.5);
  cairo_line_to (cr, lx + cap, floor (y1) + 0.5);
  /* A halo of the background keeps it readable over a bar of its own
   * colour and over the lines it crosses. */
  _plab_chart_set_colour (cr, style->background);
  cairo_set_line_width (cr, style->thin_line_width * (1.5 + 2 * ERROR_BAR_HALO));
  cairo_stroke_preserve (cr);
  _plab_chart_set_colour (cr, colour);
  cairo_set_line_width (cr, style->thin_line_width * 1.5);
  cairo_stroke (cr);
  cairo_restore (cr);
}

void
_plab_chart_fill_hatched (cairo_t *cr, const PlabChartStyle *style, PlabRgba colour)
{
  double x1, y1, x2, y2, h;
  double step = HATCH_STEP * style->thin_line_width;

  cairo_save (cr);
  cairo_path_extents (cr, &x1, &y1, &x2, &y2);
  _plab_chart_set_colour (cr, colour);
  cairo_fill_preserve (cr);
  cairo_clip (cr);
  h = y2 - y1;
  /* Stripes at 45 degrees, on a grid fixed to the page so that neighbouring
   * hatched areas line up. */
  for (double x = floor ((x1 - h) / step) * step; x < x2; x += step)
    {
      cairo_move_to (cr, x, y2);
      cairo_line_to (cr, x + h, y1);
    }
  _plab_chart_set_colour_alpha (cr, style->background, HATCH_STRIPE_ALPHA);
  cairo_set_line_width (cr, step * HATCH_STRIPE_SHARE);
  cairo_stroke (cr);
  cairo_restore (cr);
  cairo_new_path (cr);
}

double
_plab_chart_legend (cairo_t *cr,
                    const PlabChartStyle *style,
                    const PlabLegendItem *items,
                    int n_items,
                    double x,
                    double y,
                    double max_width,
                    bool draw)
{
  double em = style->tick_size;
  double line_h = em * 1.5;
  double cx = x, cy = y;

  if (n_items <= 0)
    return 0;

  cairo_save (cr);
  _plab_chart_font (cr, style, style->tick_size, false);
  for (int i = 0; i < n_items; i++)
    {
      double w = SWATCH_EM * em + em * 0.4 + _plab_chart_text_width (cr, items[i].label);
      double mid;

      if (cx > x && cx + w > x + max_width)
        {
          cx = x;
          cy += line_h;
        }
      mid = cy + line_h / 2;
      if (draw)
        {
          double sw = SWATCH_EM * em;

          switch (items[i].shape)
            {
            case PLAB_LEGEND_BOX:
              _plab_chart_set_colour (cr, items[i].colour);
              cairo_rectangle (cr, cx + sw * 0.15, mid - em * 0.45, sw * 0.7, em * 0.9);
              cairo_fill (cr);
              break;
            case PLAB_LEGEND_HATCH:
              cairo_rectangle (cr, cx + sw * 0.15, mid - em * 0.45, sw * 0.7, em * 0.9);
              _plab_chart_fill_hatched (cr, style, items[i].colour);
              break;
            case PLAB_LEGEND_RANGE:
              _plab_chart_error_bar (cr, style, cx + sw / 2, mid - em * 0.5, mid + em * 0.5,
                                     em * 0.3, items[i].colour);
              break;
            case PLAB_LEGEND_POINT:
            case PLAB_LEGEND_CROSS:
              _plab_chart_marker (cr, style, cx + sw / 2, mid, items[i].shape, items[i].colour);
              break;
            case PLAB_LEGEND_LINE:
            case PLAB_LEGEND_DASHED:
            case PLAB_LEGEND_DOTTED:
            default:
              cairo_save (cr);
              _plab_chart_set_colour (cr, items[i].colour);
              cairo_set_line_width (cr, style->line_width);
              _plab_chart_dash (cr, style, items[i].shape);
              cairo_move_to (cr, cx, mid);
              cairo_line_to (cr, cx + sw, mid);
              cairo_stroke (cr);
              cairo_restore (cr);
              if (items[i].shape == PLAB_LEGEND_LINE || items[i].shape == PLAB_LEGEND_DOTTED)
                _plab_chart_marker (cr, style, cx + sw / 2, mid, items[i].shape, items[i].colour);
              break;
            }
          _plab_chart_set_colour (cr, style->foreground);
          _plab_chart_text (cr, cx + sw + em * 0.4, mid, 0, 0.5, items[i].label);
        }
      cx += w + LEGEND_GAP_EM * em;
    }
  cairo_restore (cr);
  return cy + line_h - y;
}

PlabRect
_plab_chart_plot_under_legend (cairo_t *cr,
                               const PlabChartStyle *style,
                               PlabRect area,
                               const PlabTicks *y_ticks,
                               double bottom_room,
                               const PlabLegendItem *items,
                               int n_items)
{
  double legend_h = _plab_chart_legend (cr, style, items, n_items, area.x, area.y, area.w, false);
  PlabRect plot;

  plot.x = area.x + _plab_chart_y_axis_room (cr, style, y_ticks);
  plot.y = area.y + legend_h + style->padding;
  plot.w = area.x + area.w - plot.x;
  plot.h = area.y + area.h - plot.y - bottom_room;
  _plab_chart_legend (cr, style, items, n_items, plot.x, area.y, plot.w, true);
  return plot;
}

void
_plab_chart_legend_add (PlabLegendItem *items,
                        int *n_items,
                        const char *label,
                        PlabRgba colour,
                        PlabLegendShape shape)
{
  PlabLegendItem *item = &items[(*n_items)++];

  item->label = label;
  item->colour = colour;
  item->shape = shape;
}

double
_plab_chart_ticks_width (cairo_t *cr, const PlabChartStyle *style, const PlabTicks *ticks)
{
  double widest = 0;

  cairo_save (cr);
  _plab_chart_font (cr, style, style->tick_size, false);
  for (int i = 0; i < ticks->n; i++)
    {
      char buf[64];
      double w;

      plab_format_tick (ticks->values[i], ticks->step, buf, sizeof buf);
      w = _plab_chart_text_width (cr, buf);
      if (w > widest)
        widest = w;
    }
  cairo_restore (cr);
  return widest;
}

double
_plab_chart_y_axis_room (cairo_t *cr, const PlabChartStyle *style, const PlabTicks *ticks)
{
  return _plab_chart_ticks_width (cr, style, ticks) + TICK_GAP_EM * style->tick_size * 2
         + style->label_size * 1.4;
}

double
_plab_chart_x_axis_room (const PlabChartStyle *style)
{
  return style->tick_size * (1.2 + TICK_GAP_EM * 2) + style->label_size * 1.4;
}

void
_plab_chart_y_axis (cairo_t *cr,
                    const PlabChartStyle *style,
                    PlabRect plot,
                    const PlabAxis *axis,
                    const PlabTicks *ticks,
                    const char *title)
{
  double gap = TICK_GAP_EM * style->tick_size;
  double widest = _plab_chart_ticks_width (cr, style, ticks);

  cairo_save (cr);
  cairo_set_line_width (cr, style->thin_line_width);
  _plab_chart_font (cr, style, style->tick_size, false);
  for (int i = 0; i < ticks->n; i++)
    {
      double f = plab_axis_fraction (axis, ticks->values[i]);
      double y = floor (plot.y + plot.h - f * plot.h) + 0.5;
      char buf[64];

      if (f < -1e-9 || f > 1 + 1e-9)
        continue;
      _plab_chart_set_colour (cr, style->grid);
      cairo_move_to (cr, plot.x, y);
      cairo_line_to (cr, plot.x + plot.w, y);
      cairo_stroke (cr);

      plab_format_tick (ticks->values[i], ticks->step, buf, sizeof buf);
      _plab_chart_set_colour (cr, style->muted);
      _plab_chart_text (cr, plot.x - gap, y, 1, 0.5, buf);
    }

  /* The axis line itself. */
  _plab_chart_set_colour (cr, style->foreground);
  cairo_move_to (cr, floor (plot.x) + 0.5, plot.y);
  cairo_line_to (cr, floor (plot.x) + 0.5, plot.y + plot.h);
  cairo_stroke (cr);

  if (title != NULL)
    {
      _plab_chart_font (cr, style, style->label_size, false);
      _plab_chart_set_colour (cr, style->foreground);
      _plab_chart_text_vertical (cr, plot.x - 2 * gap - widest - style->label_size * 0.7,
                                 plot.y + plot.h / 2, title);
    }
  cairo_restore (cr);
}

void
_plab_chart_x_axis (cairo_t *cr,
                    const PlabChartStyle *style,
                    PlabRect plot,
                    const PlabAxis *axis,
                    const PlabTicks *ticks,
                    const char *title,
                    bool grid)
{
  double gap = TICK_GAP_EM * style->tick_size;
  double base = floor (plot.y + plot.h) + 0.5;

  cairo_save (cr);
  cairo_set_line_width (cr, style->thin_line_width);
  _plab_chart_font (cr, style, style->tick_size, false);
  for (int i = 0; i < ticks->n; i++)
    {
      double f = plab_axis_fraction (axis, ticks->values[i]);
      double x = floor (plot.x + f * plot.w) + 0.5;
      char buf[64];

      if (f < -1e-9 || f > 1 + 1e-9)
        continue;
      if (grid)
        {
          _plab_chart_set_colour (cr, style->grid);
          cairo_move_to (cr, x, plot.y);
          cairo_line_to (cr, x, plot.y + plot.h);
          cairo_stroke (cr);
        }
      _plab_chart_set_colour (cr, style->foreground);
      cairo_move_to (cr, x, base);
      cairo_line_to (cr, x, base + gap);
      cairo_stroke (cr);

      plab_format_tick (ticks->values[i], ticks->step, buf, sizeof buf);
      _plab_chart_set_colour (cr, style->muted);
      _plab_chart_text (cr, x, base + 2 * gap, 0.5, 0, buf);
    }

  _plab_chart_set_colour (cr, style->foreground);
  cairo_move_to (cr, plot.x, base);
  cairo_line_to (cr, plot.x + plot.w, base);
  cairo_stroke (cr);

  if (title != NULL)
    {
      _plab_chart_font (cr, style, style->label_size, false);
      _plab_chart_text (cr, plot.x + plot.w / 2,
                        base + 2 * gap + style->tick_size * 1.2 + style->label_size * 0.2, 0.5, 0,
                        title);
    }
  cairo_restore (cr);
}
