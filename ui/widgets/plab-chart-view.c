/* plab-chart-view.c: a GTK widget showing one chart drawn by the renderers. */
#include "plab-chart-view.h"
#include "plab-widgets-private.h"

struct _PlabChartView
{
  GtkWidget parent_instance;

  /* Owned */
  PlabChartInput input;
  gboolean has_input;
  gpointer owner;
  GDestroyNotify owner_free;
  PlabChartLook look;
};

G_DEFINE_FINAL_TYPE (PlabChartView, plab_chart_view, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_THEME = PLAB_CHART_LOOK_PROP_THEME,
  PROP_PLACEHOLDER = PLAB_CHART_LOOK_PROP_PLACEHOLDER,
  N_PROPS = PLAB_CHART_LOOK_N_PROPS
};

static GParamSpec *properties[N_PROPS];

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

/* The size in pixels of the text around the widget (presentation mode
 * makes it larger), so that the Result table reads like the rest of the
 * window. */
static double
text_size_px (GtkWidget *widget)
{
  PangoContext *context = gtk_widget_get_pango_context (widget);
  const PangoFontDescription *font = pango_context_get_font_description (context);
  double size, dpi;

  if (font == NULL)
    return 0;
  size = pango_font_description_get_size (font) / (double)PANGO_SCALE;
  if (pango_font_description_get_size_is_absolute (font))
    return size;
  dpi = pango_cairo_context_get_resolution (context);
  return size * (dpi > 0 ? dpi : 96) / 72;
}

static void
plab_chart_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  PlabChartView *self = PLAB_CHART_VIEW (widget);
  PlabChartInput input = self->input;
  PlabResultChartData result;
  PlabChartStyle style;
  double w, h;
  cairo_t *cr = _plab_chart_look_begin_frame (&self->look, widget, snapshot, &style, &w, &h);

  if (cr == NULL)
    return;
  if (self->has_input && input.kind == PLAB_CHART_RESULT && input.result != NULL)
    {
      result = *input.result;
      result.text_size = text_size_px (widget);
      input.result = &result;
    }
  if (self->has_input)
    plab_chart_draw (cr, &input, &style, w, h);
  else
    _plab_draw_placeholder (cr, &style, self->look.placeholder, w, h);
  cairo_destroy (cr);
}

static void
plab_chart_view_finalize (GObject *object)
{
  PlabChartView *self = PLAB_CHART_VIEW (object);

  clear_input (self);
  _plab_chart_look_clear (&self->look);
  G_OBJECT_CLASS (plab_chart_view_parent_class)->finalize (object);
}

/* The view's properties are the look's. */
static void
plab_chart_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  _plab_chart_look_get_property (&PLAB_CHART_VIEW (object)->look, object, prop_id, value, pspec);
}

static void
plab_chart_view_set_property (GObject *object,
                              guint prop_id,
                              const GValue *value,
                              GParamSpec *pspec)
{
  _plab_chart_look_set_property (&PLAB_CHART_VIEW (object)->look, object, prop_id, value, pspec);
}

static void
plab_chart_view_class_init (PlabChartViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  _plab_chart_look_class_init (object_class, properties, N_PROPS, plab_chart_view_get_property,
                               plab_chart_view_set_property);
  object_class->finalize = plab_chart_view_finalize;
  widget_class->snapshot = plab_chart_view_snapshot;
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

  _plab_chart_look_set_placeholder (&self->look, GTK_WIDGET (self), properties[PROP_PLACEHOLDER],
                                    text);
}

const char *
plab_chart_view_get_placeholder (PlabChartView *self)
{
  g_return_val_if_fail (PLAB_IS_CHART_VIEW (self), NULL);
  return self->look.placeholder;
}

void
plab_chart_view_set_theme (PlabChartView *self, int theme)
{
  g_return_if_fail (PLAB_IS_CHART_VIEW (self));
  g_return_if_fail (theme >= 0 && theme < PLAB_N_THEMES);

  _plab_chart_look_set_theme (&self->look, GTK_WIDGET (self), properties[PROP_THEME], theme);
}

int
plab_chart_view_get_theme (PlabChartView *self)
{
  g_return_val_if_fail (PLAB_IS_CHART_VIEW (self), PLAB_THEME_LIGHT);
  return self->look.theme;
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
