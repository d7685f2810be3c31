/* plab-export-dialog.c: exporting a chart of the shown run to a file. */
#include "plab-export-dialog.h"

#include "plab-core-error.h"
#include "plab-demo.h"
#include "plab-error.h"
#include "plab-run-export.h"
#include "plab-resources.h"

#define FORMAT_TRACE PLAB_EXPORT_FORMAT_TRACE

struct _PlabExportDialog
{
  AdwWindow parent_instance;

  /* Template widgets */
  GtkLabel *subject_label;
  GtkDropDown *chart_dropdown;
  GtkDropDown *format_dropdown;
  GtkWidget *size_box;
  GtkSpinButton *width_spin;
  GtkSpinButton *height_spin;
  GtkDropDown *theme_dropdown;
  GtkLabel *message_label;
  GtkWidget *export_button;

  /* Owned */
  char *db_path;
  GtkFileChooserNative *chooser;
  PlabSpeedupSeries prediction;
  gboolean have_prediction;
  gint64 run_id;
  gint64 sweep_id;
};

G_DEFINE_FINAL_TYPE (PlabExportDialog, plab_export_dialog, ADW_TYPE_WINDOW)

enum
{
  EXPORTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
format_extension (guint format)
{
  if (format == FORMAT_TRACE)
    return "json";
  return plab_chart_format_name ((PlabChartFormat)format);
}

static void
show_message (PlabExportDialog *self, const char *message)
{
  gtk_label_set_text (self->message_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
}

/* --- A trace, written in a worker thread ---
 *
 * A trace of millions of spans takes seconds to write, so it is written by
 * plab_run_export () in a worker thread, streaming from a connection of its
 * own: opened and closed on the main thread, used only by the worker in
 * between (as plab_run_data_load_async () does). */

typedef struct
{
  PlabStore *store;
  gint64 run_id;
  char *path;
} TraceJob;

static void
trace_job_free (gpointer data)
{
  TraceJob *job = data;

  plab_store_close (job->store);
  g_free (job->path);
  g_free (job);
}

static void
trace_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  TraceJob *job = task_data;
  char message[512] = "";
  int rc = plab_run_export (job->store, job->run_id, PLAB_RUN_EXPORT_TRACE, job->path, NULL,
                            message, sizeof message);

  if (rc != 0)
    g_task_return_new_error (task, PLAB_CORE_ERROR, -rc, "%s",
                             message[0] ? message : plab_strerror (rc));
  else
    g_task_return_boolean (task, TRUE);
}

static void
trace_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PlabExportDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  TraceJob *job = g_task_get_task_data (G_TASK (result));

  /* The worker has returned: the store is the main thread's to close. */
  g_clear_pointer (&job->store, plab_store_close);
  gtk_widget_set_sensitive (self->export_button, TRUE);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      show_message (self, error->message);
      return;
    }
  g_signal_emit (self, signals[EXPORTED], 0, job->path);
  gtk_window_close (GTK_WINDOW (self));
}

static PlabStore *
open_store (PlabExportDialog *self, GError **error)
{
  PlabStore *store = NULL;
  int rc = plab_store_open (self->db_path, PLAB_STORE_READ_ONLY, &store);

  if (rc != 0)
    g_set_error (error, PLAB_CORE_ERROR, -rc, "Cannot open the run store %s: %s", self->db_path,
                 plab_strerror (rc));
  return store;
}

static gboolean
write_trace (PlabExportDialog *self, const char *path, GError **error)
{
  g_autoptr (GTask) task = NULL;
  TraceJob *job;
  PlabStore *store = open_store (self, error);

  if (store == NULL)
    return FALSE;
  job = g_new0 (TraceJob, 1);
  job->store = store;
  job->run_id = self->run_id;
  job->path = g_strdup (path);
  task = g_task_new (NULL, NULL, trace_done_cb, g_object_ref (self));
  g_task_set_source_tag (task, write_trace);
  g_task_set_task_data (task, job, trace_job_free);
  gtk_widget_set_sensitive (self->export_button, FALSE);
  g_task_run_in_thread (task, trace_thread);
  return TRUE;
}

gboolean
plab_export_dialog_write (PlabExportDialog *self, const char *path, GError **error)
{
  guint format = gtk_drop_down_get_selected (self->format_dropdown);
  PlabExportOptions options = { 0 };
  PlabStore *store = NULL;
  char message[512] = "";
  int rc;

  g_return_val_if_fail (PLAB_IS_EXPORT_DIALOG (self), FALSE);

  if (format == FORMAT_TRACE)
    return write_trace (self, path, error);

  options.kind = (PlabChartKind)gtk_drop_down_get_selected (self->chart_dropdown);
  options.format = (PlabChartFormat)format;
  options.path = path;
  options.width = gtk_spin_button_get_value_as_int (self->width_spin);
  options.height = gtk_spin_button_get_value_as_int (self->height_spin);
  options.scale = 1;
  options.theme = (PlabTheme)gtk_drop_down_get_selected (self->theme_dropdown);
  options.predicted = self->have_prediction ? &self->prediction : NULL;
  options.result_labels = plab_demo_result_label_for;

  store = open_store (self, error);
  if (store == NULL)
    return FALSE;
  if (self->sweep_id != 0
      && (options.kind == PLAB_CHART_TIME || options.kind == PLAB_CHART_SPEEDUP))
    rc = plab_chart_export_sweep (store, self->sweep_id, &options, message, sizeof message);
  else
    rc = plab_chart_export_run (store, self->run_id, &options, message, sizeof message);
  plab_store_close (store);
  if (rc != 0)
    {
      g_set_error_literal (error, PLAB_CORE_ERROR, -rc, message[0] ? message : plab_strerror (rc));
      return FALSE;
    }
  g_signal_emit (self, signals[EXPORTED], 0, path);
  gtk_window_close (GTK_WINDOW (self));
  return TRUE;
}

static void
chooser_response_cb (GtkNativeDialog *chooser, int response, PlabExportDialog *self)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      path = file ? g_file_get_path (file) : NULL;
    }
  g_clear_object (&self->chooser);
  if (path == NULL)
    return;
  show_message (self, NULL);
  if (!plab_export_dialog_write (self, path, &error))
    show_message (self, error->message);
}

static void
choose_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PlabExportDialog *self = PLAB_EXPORT_DIALOG (widget);
  guint format = gtk_drop_down_get_selected (self->format_dropdown);
  guint kind = gtk_drop_down_get_selected (self->chart_dropdown);
  char suggested[128];

  if (format == FORMAT_TRACE)
    plab_run_export_file_name (suggested, sizeof suggested, false, self->run_id, "trace", "json");
  else
    plab_run_export_file_name (suggested, sizeof suggested, false, self->run_id,
                               plab_chart_kind_name ((PlabChartKind)kind),
                               format_extension (format));
  self->chooser = gtk_file_chooser_native_new ("Export Chart", GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SAVE, "_Export", "_Cancel");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), suggested);
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* A chart too small for its theme's type is refused by the export: the
 * dialog says so under the fields as the size is typed, and Export waits
 * until it is fixed. The fields take any number, so that nothing typed is
 * silently replaced by the smallest size. */
static void
size_changed_cb (PlabExportDialog *self)
{
  guint format = gtk_drop_down_get_selected (self->format_dropdown);
  char message[256];
  gboolean small
      = format <= PLAB_CHART_FORMAT_PDF
        && plab_chart_export_too_small ((PlabTheme)gtk_drop_down_get_selected (
                                            self->theme_dropdown),
                                        gtk_spin_button_get_value_as_int (self->width_spin),
                                        gtk_spin_button_get_value_as_int (self->height_spin),
                                        message, sizeof message);

  if (small)
    message[0] = g_ascii_toupper (message[0]);
  show_message (self, small ? message : NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "export.choose", !small);
}

/* Sizes and themes mean nothing for data files. */
static void
format_changed_cb (PlabExportDialog *self)
{
  guint format = gtk_drop_down_get_selected (self->format_dropdown);
  gboolean image = format <= PLAB_CHART_FORMAT_PDF;

  gtk_widget_set_sensitive (self->size_box, image);
  gtk_widget_set_sensitive (GTK_WIDGET (self->theme_dropdown), image);
  gtk_widget_set_sensitive (GTK_WIDGET (self->chart_dropdown), format != FORMAT_TRACE);
  size_changed_cb (self);
}

static void
plab_export_dialog_dispose (GObject *object)
{
  PlabExportDialog *self = PLAB_EXPORT_DIALOG (object);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), PLAB_TYPE_EXPORT_DIALOG);
  G_OBJECT_CLASS (plab_export_dialog_parent_class)->dispose (object);
}

static void
plab_export_dialog_finalize (GObject *object)
{
  PlabExportDialog *self = PLAB_EXPORT_DIALOG (object);

  g_free (self->db_path);
  G_OBJECT_CLASS (plab_export_dialog_parent_class)->finalize (object);
}

static void
plab_export_dialog_class_init (PlabExportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = plab_export_dialog_dispose;
  object_class->finalize = plab_export_dialog_finalize;

  /* Emitted with the path of the file written. */
  signals[EXPORTED] = g_signal_new ("exported", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /* Referencing the resource links it in from the static library, and its
   * constructor registers it. */
  (void)plab_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/parallellab/Plab/plab-export-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PlabExportDialog, subject_label);
  gtk_widget_class_bind_template_child (widget_class, PlabExportDialog, chart_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PlabExportDialog, format_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PlabExportDialog, size_box);
  gtk_widget_class_bind_template_child (widget_class, PlabExportDialog, width_spin);
  gtk_widget_class_bind_template_child (widget_class, PlabExportDialog, height_spin);
  gtk_widget_class_bind_template_child (widget_class, PlabExportDialog, theme_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PlabExportDialog, message_label);
  gtk_widget_class_bind_template_child (widget_class, PlabExportDialog, export_button);

  gtk_widget_class_install_action (widget_class, "export.choose", NULL, choose_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
plab_export_dialog_init (PlabExportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->format_dropdown, "notify::selected",
                            G_CALLBACK (format_changed_cb), self);
  g_signal_connect_swapped (self->theme_dropdown, "notify::selected", G_CALLBACK (size_changed_cb),
                            self);
  g_signal_connect_swapped (self->width_spin, "value-changed", G_CALLBACK (size_changed_cb), self);
  g_signal_connect_swapped (self->height_spin, "value-changed", G_CALLBACK (size_changed_cb), self);
}

PlabExportDialog *
plab_export_dialog_new (GtkWindow *parent, const char *db_path, gint64 run_id, gint64 sweep_id)
{
  PlabExportDialog *self = g_object_new (PLAB_TYPE_EXPORT_DIALOG, "transient-for", parent, NULL);
  g_autofree char *subject = NULL;

  self->db_path = g_strdup (db_path);
  self->run_id = run_id;
  self->sweep_id = sweep_id;
  if (sweep_id != 0)
    subject = g_strdup_printf ("Run %" G_GINT64_FORMAT
                               "; its time and speedup charts show sweep %" G_GINT64_FORMAT ".",
                               run_id, sweep_id);
  else
    subject
        = g_strdup_printf ("Run %" G_GINT64_FORMAT
                           "; its time and speedup charts show every run with the same parameters.",
                           run_id);
  gtk_label_set_text (self->subject_label, subject);
  return self;
}

void
plab_export_dialog_set_chart (PlabExportDialog *self, int kind)
{
  g_return_if_fail (PLAB_IS_EXPORT_DIALOG (self));
  if (kind >= 0 && kind < PLAB_N_CHART_KINDS)
    gtk_drop_down_set_selected (self->chart_dropdown, (guint)kind);
}

void
plab_export_dialog_set_theme (PlabExportDialog *self, int theme)
{
  g_return_if_fail (PLAB_IS_EXPORT_DIALOG (self));
  if (theme >= 0 && theme < PLAB_N_THEMES)
    gtk_drop_down_set_selected (self->theme_dropdown, (guint)theme);
}

void
plab_export_dialog_set_prediction (PlabExportDialog *self, const PlabSpeedupSeries *predicted)
{
  g_return_if_fail (PLAB_IS_EXPORT_DIALOG (self));
  self->have_prediction = predicted != NULL;
  if (predicted != NULL)
    self->prediction = *predicted;
}

void
plab_export_dialog_set_size (PlabExportDialog *self, int width, int height)
{
  g_return_if_fail (PLAB_IS_EXPORT_DIALOG (self));
  gtk_spin_button_set_value (self->width_spin, width);
  gtk_spin_button_set_value (self->height_spin, height);
}

const char *
plab_export_dialog_get_message (PlabExportDialog *self)
{
  g_return_val_if_fail (PLAB_IS_EXPORT_DIALOG (self), NULL);
  if (!gtk_widget_get_visible (GTK_WIDGET (self->message_label)))
    return NULL;
  return gtk_label_get_text (self->message_label);
}

void
plab_export_dialog_set_format (PlabExportDialog *self, int format)
{
  g_return_if_fail (PLAB_IS_EXPORT_DIALOG (self));
  if (format >= 0 && format <= FORMAT_TRACE)
    gtk_drop_down_set_selected (self->format_dropdown, (guint)format);
}
