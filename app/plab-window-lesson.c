/* plab-window-lesson.c: the lesson panel of the selected demo, its "Try
 * this" steps, and the welcome a first start shows in place of the charts.
 *
 * The lesson is a panel the student opens and closes (F1); the controls a
 * run needs come before it. Each Try this step is a button that sets the
 * controls the step names (backend, workers, parameter values) and moves the
 * keyboard focus to Run, or to Sweep when the step is a sweep: it never
 * starts a run by itself, so a click in front of a class does nothing that
 * Run does not confirm.
 */
#include "plab-window-private.h"

/* The index of @backend in the drop-down, or -1 when the demo lacks it. */
static int
backend_position (PlabWindow *self, PlabBackend backend)
{
  const char *name = plab_backend_name (backend);

  for (guint i = 0; self->backend_names != NULL && i < self->backend_names->len; i++)
    if (!g_strcmp0 (g_ptr_array_index (self->backend_names, i), name))
      return (int)i;
  return -1;
}

/* Sets the values of "name=value name=value"; a value the demo refuses is
 * a mistake in the demo's table, said once in the log and left alone. */
static void
apply_params (PlabWindow *self, const char *params)
{
  g_auto (GStrv) parts = g_strsplit_set (params, " ", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *eq = strchr (parts[i], '=');
      char err[256];
      double value;
      int index;

      if (eq == NULL)
        continue;
      *eq = '\0';
      index = plab_demo_param_index (self->demo, parts[i]);
      if (index < 0
          || plab_param_parse (&self->demo->params[index], eq + 1, &value, err, sizeof err) != 0)
        {
          g_warning ("Try this step of %s sets '%s' to '%s', which it cannot", self->demo->name,
                     parts[i], eq + 1);
          continue;
        }
      plab_param_editor_set_value (self->param_editor, (guint)index, value);
    }
}

void
_plab_window_apply_try (PlabWindow *self, const PlabDemoTry *step)
{
  if (self->demo == NULL || step == NULL)
    return;
  if (step->backend >= 0)
    {
      int position = backend_position (self, (PlabBackend)step->backend);
      if (position >= 0)
        gtk_drop_down_set_selected (self->backend_dropdown, (guint)position);
    }
  if (step->workers > 0)
    plab_param_editor_field_set_value (self->workers_spin, step->workers);
  if (step->params != NULL)
    apply_params (self, step->params);
  gtk_widget_grab_focus (step->sweep ? self->sweep_button : self->run_button);
}

static void
try_clicked_cb (GtkButton *button, PlabWindow *self)
{
  _plab_window_apply_try (self, g_object_get_data (G_OBJECT (button), "plab-try"));
}

static GtkWidget *
make_try_button (PlabWindow *self, const PlabDemoTry *step, int number)
{
  g_autofree char *text = g_strdup_printf ("%d. %s", number, step->text);
  GtkWidget *button = gtk_button_new ();
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_button_set_child (GTK_BUTTON (button), label);
  gtk_widget_add_css_class (button, "try-step");
  gtk_widget_set_tooltip_text (button, step->sweep ? "Sets the controls; then press Sweep"
                                                   : "Sets the controls; then press Run");
  g_object_set_data (G_OBJECT (button), "plab-try", (gpointer)step);
  g_signal_connect (button, "clicked", G_CALLBACK (try_clicked_cb), self);
  return button;
}

void
_plab_window_show_lesson (PlabWindow *self, const PlabDemo *demo)
{
  GtkWidget *child;
  size_t n;
  const PlabDemoTry *tries = plab_demo_tries (demo, &n);

  gtk_label_set_text (self->demo_lesson, demo->lesson);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->try_box))) != NULL)
    gtk_box_remove (self->try_box, child);
  for (size_t i = 0; i < n; i++)
    gtk_box_append (self->try_box, make_try_button (self, &tries[i], (int)i + 1));
  gtk_widget_set_visible (self->try_heading, n > 0);
}

/* The welcome stands in for the charts until there is anything to show:
 * no run recorded, none running, none loading. */
void
_plab_window_update_welcome (PlabWindow *self)
{
  gboolean running = self->runner != NULL && plab_runner_client_is_running (self->runner);
  gboolean welcome = !running && self->shown == NULL && self->loading == NULL
                     && plab_history_list_get_n_runs (self->history_list) == 0;

  gtk_widget_set_visible (self->welcome_box, welcome);
  gtk_widget_set_visible (GTK_WIDGET (self->view_stack), !welcome);
}
