/* plab-chart-view.h: a GTK widget showing one chart drawn by the renderers.
 *
 * The view draws whatever PlabChartInput it holds with plab_chart_draw (), the
 * same function the exports use, so what the screen shows is what a file
 * holds. The data the input points to belongs to an owner object that the
 * view frees when the input is replaced.
 */
#pragma once

#include <gtk/gtk.h>

#include "plab-chart-export.h"

G_BEGIN_DECLS

#define PLAB_TYPE_CHART_VIEW (plab_chart_view_get_type ())
G_DECLARE_FINAL_TYPE (PlabChartView, plab_chart_view, PLAB, CHART_VIEW, GtkWidget)

GtkWidget *plab_chart_view_new (void);

/* Shows @input (copied). Its pointers stay valid as long as @owner lives: the
 * view calls @owner_free (@owner) when the input is replaced or the view is
 * destroyed. NULL shows @placeholder text instead. */
void plab_chart_view_set_input (PlabChartView *self,
                                const PlabChartInput *input,
                                gpointer owner,
                                GDestroyNotify owner_free);

/* The input shown, or NULL. */
const PlabChartInput *plab_chart_view_get_input (PlabChartView *self);

/* Text drawn when there is no input ("Run a sweep to see the speedup"). */
void plab_chart_view_set_placeholder (PlabChartView *self, const char *text);
const char *plab_chart_view_get_placeholder (PlabChartView *self);

/* The theme charts are drawn in (a PlabTheme). */
void plab_chart_view_set_theme (PlabChartView *self, int theme);
int plab_chart_view_get_theme (PlabChartView *self);

/* Redraws after the data behind the input changed in place. */
void plab_chart_view_data_changed (PlabChartView *self);

G_END_DECLS
