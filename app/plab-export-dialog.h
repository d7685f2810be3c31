/* plab-export-dialog.h: exporting a chart of the shown run to a file.
 *
 * The user picks the chart, the format (PNG, SVG, PDF, CSV or a Chrome
 * trace), the size and the theme, then a file. Charts are written by
 * plab_chart_export_run () / plab_chart_export_sweep (), the code behind
 * `plab export`, so a file from the window equals one from the command line;
 * a trace by plab_run_export (), in a worker thread of this process.
 */
#pragma once

#include <adwaita.h>

#include "plab-chart-export.h"

G_BEGIN_DECLS

#define PLAB_TYPE_EXPORT_DIALOG (plab_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PlabExportDialog, plab_export_dialog, PLAB, EXPORT_DIALOG, AdwWindow)

/* A dialog exporting run @run_id (of sweep @sweep_id, or 0) of the store at @db_path. */
PlabExportDialog *plab_export_dialog_new (GtkWindow *parent,
                                          const char *db_path,
                                          gint64 run_id,
                                          gint64 sweep_id);

/* The format drop-down offers the chart formats, then a Chrome trace. */
#define PLAB_EXPORT_FORMAT_TRACE PLAB_N_CHART_FORMATS

/* A PlabChartFormat or PLAB_EXPORT_FORMAT_TRACE. */
void plab_export_dialog_set_format (PlabExportDialog *self, int format);

void plab_export_dialog_set_chart (PlabExportDialog *self, int kind);
void plab_export_dialog_set_theme (PlabExportDialog *self, int theme);
void plab_export_dialog_set_prediction (PlabExportDialog *self, const PlabSpeedupSeries *predicted);

/* The chart's size in pixels, as typed in the dialog's fields. A size
 * smaller than plab_chart_export_min_size () for the theme is explained
 * under the fields, and Export waits until it is fixed. */
void plab_export_dialog_set_size (PlabExportDialog *self, int width, int height);

/* What the dialog says under its fields (a size too small, a failed
 * export), or NULL. */
const char *plab_export_dialog_get_message (PlabExportDialog *self);

/* Writes the chart as set up in the dialog to @path, without asking; the
 * same as choosing @path in the file chooser. FALSE with @error on failure.
 * A trace is written in a worker thread: the dialog emits "exported" (path)
 * when the file is complete, as it does for charts. */
gboolean plab_export_dialog_write (PlabExportDialog *self, const char *path, GError **error);

G_END_DECLS
