/* plab-chart-look.c: the theme and placeholder both chart views share, with
 * the style they draw in at their size on screen. */
#include "plab-widgets-private.h"

/* Charts are designed for 1600 x 900; on screen they are drawn with sizes
 * scaled to the widget, but never below this, so ticks stay readable. */
#define DESIGN_WIDTH 1600.0
#define DESIGN_HEIGHT 900.0
#define MIN_STYLE_SCALE 0.72
#define MAX_STYLE_SCALE 1.0
#define SCREEN_BOOST 1.15
/* On a projector no text is smaller than this, however small the view. */
#define PROJECTOR_MIN_TEXT_PX 16.0

/* The style scale for a chart of this size on screen, the same for both
 * views so they read alike. */
static double
style_scale (double width, double height)
{
  double s = MIN (width / DESIGN_WIDTH, height / DESIGN_HEIGHT) * SCREEN_BOOST;
  return CLAMP (s, MIN_STYLE_SCALE, MAX_STYLE_SCALE);
}

void
_plab_chart_look_class_init (GObjectClass *object_class,
                             GParamSpec **properties,
                             guint n_props,
                             GObjectGetPropertyFunc get_property,
                             GObjectSetPropertyFunc set_property)
{
  object_class->get_property = get_property;
  object_class->set_property = set_property;
  properties[PLAB_CHART_LOOK_PROP_THEME]
      = g_param_spec_int ("theme", NULL, NULL, 0, PLAB_N_THEMES - 1, PLAB_THEME_LIGHT,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PLAB_CHART_LOOK_PROP_PLACEHOLDER]
      = g_param_spec_string ("placeholder", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, n_props, properties);
}

void
_plab_chart_look_clear (PlabChartLook *look)
{
  g_clear_pointer (&look->placeholder, g_free);
}

void
_plab_chart_look_set_theme (PlabChartLook *look, GtkWidget *widget, GParamSpec *pspec, int theme)
{
  if (look->theme == theme)
    return;
  look->theme = theme;
  g_object_notify_by_pspec (G_OBJECT (widget), pspec);
  gtk_widget_queue_draw (widget);
}

void
_plab_chart_look_set_placeholder (PlabChartLook *look,
                                  GtkWidget *widget,
                                  GParamSpec *pspec,
                                  const char *text)
{
  if (g_strcmp0 (look->placeholder, text) == 0)
    return;
  g_free (look->placeholder);
  look->placeholder = g_strdup (text);
  g_object_notify_by_pspec (G_OBJECT (widget), pspec);
  gtk_widget_queue_draw (widget);
}

void
_plab_chart_look_get_property (const PlabChartLook *look,
                               GObject *object,
                               guint prop_id,
                               GValue *value,
                               GParamSpec *pspec)
{
  if (prop_id == PLAB_CHART_LOOK_PROP_THEME)
    g_value_set_int (value, look->theme);
  else if (prop_id == PLAB_CHART_LOOK_PROP_PLACEHOLDER)
    g_value_set_string (value, look->placeholder);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

void
_plab_chart_look_set_property (PlabChartLook *look,
                               GObject *object,
                               guint prop_id,
                               const GValue *value,
                               GParamSpec *pspec)
{
  GtkWidget *widget = GTK_WIDGET (object);

  if (prop_id == PLAB_CHART_LOOK_PROP_THEME)
    _plab_chart_look_set_theme (look, widget, pspec, g_value_get_int (value));
  else if (prop_id == PLAB_CHART_LOOK_PROP_PLACEHOLDER)
    _plab_chart_look_set_placeholder (look, widget, pspec, g_value_get_string (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

void
_plab_chart_look_style (const PlabChartLook *look,
                        double width,
                        double height,
                        PlabChartStyle *style)
{
  plab_chart_style_init (style, (PlabTheme)look->theme, style_scale (width, height));
  if (look->theme == PLAB_THEME_PROJECTOR && style->small_size < PROJECTOR_MIN_TEXT_PX)
    plab_chart_style_init (style, (PlabTheme)look->theme,
                           style->scale * PROJECTOR_MIN_TEXT_PX / style->small_size);
}

cairo_t *
_plab_chart_look_begin_frame (const PlabChartLook *look,
                              GtkWidget *widget,
                              GtkSnapshot *snapshot,
                              PlabChartStyle *style,
                              double *width,
                              double *height)
{
  double w = gtk_widget_get_width (widget);
  double h = gtk_widget_get_height (widget);

  if (w <= 0 || h <= 0)
    return NULL;
  _plab_chart_look_style (look, w, h, style);
  *width = w;
  *height = h;
  return gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
}

void
_plab_draw_placeholder (cairo_t *cr,
                        const PlabChartStyle *style,
                        const char *text,
                        double w,
                        double h)
{
  cairo_text_extents_t ext;

  cairo_set_source_rgba (cr, style->background.r, style->background.g, style->background.b,
                         style->background.a);
  cairo_paint (cr);
  if (text == NULL || text[0] == '\0')
    return;
  cairo_select_font_face (cr, style->font_family, CAIRO_FONT_SLANT_NORMAL,
                          CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, style->label_size);
  cairo_text_extents (cr, text, &ext);
  cairo_set_source_rgba (cr, style->muted.r, style->muted.g, style->muted.b, style->muted.a);
  cairo_move_to (cr, floor ((w - ext.width) / 2 - ext.x_bearing),
                 floor ((h - ext.height) / 2 - ext.y_bearing));
  cairo_show_text (cr, text);
}
