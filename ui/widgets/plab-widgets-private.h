/* plab-widgets-private.h: what the widgets of ui/ share. */
#pragma once

#include <gtk/gtk.h>

#include "plab-chart-style.h"

G_BEGIN_DECLS

/* "1.25 s", "310 ms", "42.0 µs", "800 ns". */
char *_plab_format_duration (double ns);

/* --- plab-chart-look.c --- */

/* What the chart view and the timeline view share besides their data: the
 * theme they draw in and the text shown while there is nothing to draw. Each
 * view holds one and exposes it as its "theme" and "placeholder"
 * properties. */
typedef struct
{
  int theme; /* a PlabTheme */
  char *placeholder;
} PlabChartLook;

/* Property ids of the look. A view numbers its own properties after
 * PLAB_CHART_LOOK_N_PROPS. */
enum
{
  PLAB_CHART_LOOK_PROP_THEME = 1,
  PLAB_CHART_LOOK_PROP_PLACEHOLDER,
  PLAB_CHART_LOOK_N_PROPS
};

/* Sets up the look in a view's class: fills the look's entries of
 * @properties (the view's own, numbered after PLAB_CHART_LOOK_N_PROPS, are
 * already there), installs all @n_props of them, and makes @get_property and
 * @set_property the class's. */
void _plab_chart_look_class_init (GObjectClass *object_class,
                                  GParamSpec **properties,
                                  guint n_props,
                                  GObjectGetPropertyFunc get_property,
                                  GObjectSetPropertyFunc set_property);

/* Frees what the look owns. */
void _plab_chart_look_clear (PlabChartLook *look);

/* Sets the theme or the placeholder of @widget's look: returns at once when
 * nothing changes, else stores it, notifies @pspec and queues a redraw. */
void _plab_chart_look_set_theme (PlabChartLook *look,
                                 GtkWidget *widget,
                                 GParamSpec *pspec,
                                 int theme);
void _plab_chart_look_set_placeholder (PlabChartLook *look,
                                       GtkWidget *widget,
                                       GParamSpec *pspec,
                                       const char *text);

/* What a view's get_property and set_property do for the look's
 * properties; a @prop_id that is not one of them is warned about, as GObject
 * does. */
void _plab_chart_look_get_property (const PlabChartLook *look,
                                    GObject *object,
                                    guint prop_id,
                                    GValue *value,
                                    GParamSpec *pspec);
void _plab_chart_look_set_property (PlabChartLook *look,
                                    GObject *object,
                                    guint prop_id,
                                    const GValue *value,
                                    GParamSpec *pspec);

/* Fills @style for the look's theme on a chart of @width x @height pixels on
 * screen: sizes follow the size, and on a projector no text is under 16 px. */
void _plab_chart_look_style (const PlabChartLook *look,
                             double width,
                             double height,
                             PlabChartStyle *style);

/* Starts a frame of @widget: fills @style for the look's theme at the
 * widget's size (*@width x *@height) and returns a cairo context covering it,
 * or NULL when the widget has no size. The caller destroys the context. */
cairo_t *_plab_chart_look_begin_frame (const PlabChartLook *look,
                                       GtkWidget *widget,
                                       GtkSnapshot *snapshot,
                                       PlabChartStyle *style,
                                       double *width,
                                       double *height);

/* Paints the background of @style and @text in its middle. */
void _plab_draw_placeholder (cairo_t *cr,
                             const PlabChartStyle *style,
                             const char *text,
                             double width,
                             double height);

G_END_DECLS
