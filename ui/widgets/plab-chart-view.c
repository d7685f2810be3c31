/* plab-chart-view.c: a GTK widget showing one chart drawn by the renderers. */
#include "plab-chart-view.h"
#include "plab-widgets-private.h"

/* Charts are designed for 1600 x 900; on screen they are drawn with sizes
 * scaled to the widget, but never below this, so ticks stay readable. */
#define DESIGN_WIDTH 1600.0
#define DESIGN_HEIGHT 900.0
#define MIN_STYLE_SCALE 0.72
#define MAX_STYLE_SCALE 1.0
#define SCREEN_BOOST 1.15

struct _PlabChartView
{
  GtkWidget parent_instance;

  /* Owned */
  PlabChartInput input;
  gboolean has_input;
  gpointer owner;
  GDestroyNotify owner_free;
  char *placeholder;

  int theme;
};

G_DEFINE_FINAL_TYPE (PlabChartView, plab_chart_view, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_THEME,
  PROP_PLACEHOLDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The style scale for a chart of this size on screen; shared with the
 * timeline view so both read alike. */
double
_plab_chart_view_style_scale (double width, double height)
{
  double s = MIN (width / DESIGN_WIDTH, height / DESIGN_HEIGHT) * SCREEN_BOOST;
  return CLAMP (s, MIN_STYLE_SCALE, MAX_STYLE_SCALE);
}

static void
clear_input (PlabChartView *self)
{
  if (self->owner != NULL && self->owner_free != NULL)
    self->owner_free (self->owner);
  self->owner = NULL;
  self->owner_free = NULL;
  self->has_input = FALSE;
  memset (&self->input, 0, sizeof self->input);
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

static void
plab_chart_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  PlabChartView *self = PLAB_CHART_VIEW (widget);
  double w = gtk_widget_get_width (widget);
  double h = gtk_widget_get_height (widget);
  PlabChartStyle style;
  cairo_t *cr;

  if (w <= 0 || h <= 0)
    return;
  plab_chart_style_init (&style, (PlabTheme)self->theme, _plab_chart_view_style_scale (w, h));
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  if (self->has_input)
    plab_chart_draw (cr, &self->input, &style, w, h);
  else
    _plab_draw_placeholder (cr, &style, self->placeholder, w, h);
  cairo_destroy (cr);
}

static void
plab_chart_view_finalize (GObject *object)
{
  PlabChartView *self = PLAB_CHART_VIEW (object);

  clear_input (self);
  g_free (self->placeholder);
  G_OBJECT_CLASS (plab_chart_view_parent_class)->finalize (object);
}

static void
plab_chart_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PlabChartView *self = PLAB_CHART_VIEW (object);

  switch (prop_id)
    {
    case PROP_THEME:
      g_value_set_int (value, self->theme);
      break;
    case PROP_PLACEHOLDER:
      g_value_set_string (value, self->placeholder);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plab_chart_view_set_property (GObject *object,
                              guint prop_id,
                              const GValue *value,
                              GParamSpec *pspec)
{
  PlabChartView *self = PLAB_CHART_VIEW (object);

  switch (prop_id)
    {
    case PROP_THEME:
      plab_chart_view_set_theme (self, g_value_get_int (value));
      break;
    case PROP_PLACEHOLDER:
      plab_chart_view_set_placeholder (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plab_chart_view_class_init (PlabChartViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = plab_chart_view_finalize;
  object_class->get_property = plab_chart_view_get_property;
  object_class->set_property = plab_chart_view_set_property;
  widget_class->snapshot = plab_chart_view_snapshot;

  properties[PROP_THEME]
      = g_param_spec_int ("theme", NULL, NULL, 0, PLAB_N_THEMES - 1, PLAB_THEME_LIGHT,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLACEHOLDER]
      = g_param_spec_string ("placeholder", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "plabchart");
}

static void
plab_chart_view_init (PlabChartView *self)
{
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self), 320, 200);
}

GtkWidget *
plab_chart_view_new (void)
{
  return g_object_new (PLAB_TYPE_CHART_VIEW, NULL);
}

void
plab_chart_view_set_input (PlabChartView *self,
                           const PlabChartInput *input,
                           gpointer owner,
                           GDestroyNotify owner_free)
{
  g_return_if_fail (PLAB_IS_CHART_VIEW (self));

  clear_input (self);
  if (input != NULL)
    {
      self->input = *input;
      self->has_input = TRUE;
    }
  self->owner = owner;
  self->owner_free = owner_free;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const PlabChartInput *
plab_chart_view_get_input (PlabChartView *self)
{
  g_return_val_if_fail (PLAB_IS_CHART_VIEW (self), NULL);
  return self->has_input ? &self->input : NULL;
}

void
plab_chart_view_set_placeholder (PlabChartView *self, const char *text)
{
  g_return_if_fail (PLAB_IS_CHART_VIEW (self));

  if (g_strcmp0 (self->placeholder, text) == 0)
    return;
  g_free (self->placeholder);
  self->placeholder = g_strdup (text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLACEHOLDER]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
plab_chart_view_get_placeholder (PlabChartView *self)
{
  g_return_val_if_fail (PLAB_IS_CHART_VIEW (self), NULL);
  return self->placeholder;
}

void
plab_chart_view_set_theme (PlabChartView *self, int theme)
{
  g_return_if_fail (PLAB_IS_CHART_VIEW (self));
  g_return_if_fail (theme >= 0 && theme < PLAB_N_THEMES);

  if (self->theme == theme)
    return;
  self->theme = theme;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THEME]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
plab_chart_view_get_theme (PlabChartView *self)
{
  g_return_val_if_fail (PLAB_IS_CHART_VIEW (self), PLAB_THEME_LIGHT);
  return self->theme;
}

void
plab_chart_view_data_changed (PlabChartView *self)
{
  g_return_if_fail (PLAB_IS_CHART_VIEW (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

char *
_plab_format_duration (double ns)
{
  if (ns >= 1e9)
    return g_strdup_printf ("%.2f s", ns / 1e9);
  if (ns >= 1e6)
    return g_strdup_printf ("%.1f ms", ns / 1e6);
  if (ns >= 1e3)
    return g_strdup_printf ("%.1f µs", ns / 1e3);
  return g_strdup_printf ("%.0f ns", ns);
}
