/* plab-window-selection.c: one selection in the window.
 *
 * What the window shows belongs together: selecting a run in History shows
 * that run's demo (the sidebar, the title and the lesson follow it) and, read
 * only above the controls, the run's own configuration and parameters, with
 * "Run again with these" to copy them into the controls (and, for a run of a
 * sweep, the sweep's backends, worker counts and repeats into the sweep
 * controls). Two runs selected
 * are named both. A prediction belongs to the demo it was typed for (each
 * demo keeps its own) and, once a sweep started with it, to that sweep: a
 * speedup chart draws a prediction only beside the measurements it was made
 * for, never one typed for another demo.
 */
#include "plab-window-private.h"

#include "plab-json.h"

/* "Chunk size: 10" lines of a run's parameters. */
static char *
describe_params (const char *params_json)
{
  PlabJson *params = plab_json_parse (params_json ? params_json : "{}", NULL, 0);
  GString *text = g_string_new (NULL);

  for (size_t i = 0; params != NULL && i < plab_json_length (params); i++)
    {
      const PlabJson *member = &params->children[i];
      g_autofree char *title = plab_param_editor_title_for (member->key ? member->key : "?");
      char value[64];

      plab_json_format_value (member, value, sizeof value);
      g_string_append_printf (text, "%s%s: %s", text->len ? "\n" : "", title, value);
    }
  plab_json_free (params);
  if (text->len == 0)
    g_string_append (text, "Default parameters");
  return g_string_free (text, FALSE);
}

/* "Run 12 · threads × 2 · ok", or with its sweep's name. */
static char *
describe_run (const PlabRunRecord *run)
{
  g_autofree char *title = plab_history_list_format_title (run);

  if (run->sweep_id != 0)
    return g_strdup_printf ("Run %" G_GINT64_FORMAT " · %s · %s\nin sweep %" G_GINT64_FORMAT
                            " · %s",
                            run->id, title, plab_run_status_name (run->status), run->sweep_id,
                            run->sweep_label ? run->sweep_label : "");
  return g_strdup_printf ("Run %" G_GINT64_FORMAT " · %s · %s", run->id, title,
                          plab_run_status_name (run->status));
}

/* The selected runs' demo becomes the window's, and their configuration is
 * shown read-only; @n is 0 when nothing is selected. */
void
_plab_window_select_runs (PlabWindow *self, const gint64 *ids, guint n)
{
  const PlabRunRecord *a = n > 0 ? _plab_window_history_run (self, ids[0]) : NULL;
  const PlabRunRecord *b = n > 1 ? _plab_window_history_run (self, ids[1]) : NULL;
  g_autofree char *text = NULL;

  self->selected_run_id = 0;
  if (a == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->shown_run_box), FALSE);
      return;
    }
  if (self->demo == NULL || g_strcmp0 (self->demo->name, a->demo) != 0)
    {
      self->following_history = TRUE;
      plab_window_select_demo (self, a->demo);
      self->following_history = FALSE;
    }
  if (b != NULL)
    {
      g_autofree char *first = describe_run (a);
      g_autofree char *second = describe_run (b);
      text = g_strdup_printf ("Comparing\n%s\nwith\n%s", first, second);
    }
  else
    {
      g_autofree char *what = describe_run (a);
      g_autofree char *params = describe_params (a->params_json);
      text = g_strdup_printf ("%s\n%s", what, params);
      self->selected_run_id = a->id;
    }
  gtk_label_set_text (self->shown_run_label, text);
  gtk_widget_set_visible (self->run_again_button, b == NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->shown_run_box), TRUE);
}

/* The user picked a demo in the sidebar: the views follow it, to its newest
 * run in History, or to nothing when it has none, so that no run of another
 * demo stays beside its lesson. A live run keeps the views until it ends. */
void
_plab_window_demo_picked (PlabWindow *self)
{
  guint n = plab_history_list_get_n_runs (self->history_list);
  g_autofree char *status = NULL;

  if (self->following_history || self->demo == NULL || self->runner == NULL
      || plab_runner_client_is_running (self->runner))
    return;
  if (self->shown != NULL && !g_strcmp0 (self->shown->chart->run->demo, self->demo->name)
      && self->compared == NULL)
    return;
  for (guint i = 0; i < n; i++)
    {
      const PlabRunRecord *r = plab_history_list_get_run (self->history_list, i);

      if (!g_strcmp0 (r->demo, self->demo->name))
        {
          /* History announces it: the views and this pane follow. */
          plab_history_list_select_run (self->history_list, r->id, FALSE);
          return;
        }
    }
  plab_history_list_unselect_all (self->history_list);
  _plab_window_select_runs (self, NULL, 0);
  _plab_window_show_nothing (self);
  status = g_strdup_printf ("No run of %s recorded yet: set it up and press Run (Ctrl+R)",
                            self->demo->name);
  _plab_window_set_status (self, status);
}

/* Sets parameter @member of the run into the editor; FALSE when this demo
 * has no such parameter or refuses the value. */
static gboolean
copy_param (PlabWindow *self, const PlabJson *member)
{
  int index = member->key ? plab_demo_param_index (self->demo, member->key) : -1;
  char text[64], err[256];
  double value;

  if (index < 0)
    return FALSE;
  /* A number in full, not as a table cell rounds it. */
  if (member->type == PLAB_JSON_NUMBER)
    g_snprintf (text, sizeof text, "%.17g", member->number);
  else
    plab_json_format_value (member, text, sizeof text);
  if (plab_param_parse (&self->demo->params[index], text, &value, err, sizeof err) != 0)
    return FALSE;
  plab_param_editor_set_value (self->param_editor, (guint)index, value);
  return TRUE;
}

/* The sweep controls take sweep @sweep_id's backends, worker counts and
 * repeats, as History lists its runs. */
static void
copy_sweep (PlabWindow *self, gint64 sweep_id)
{
  guint n = plab_history_list_get_n_runs (self->history_list);
  g_autoptr (GString) counts = g_string_new (NULL);
  unsigned backends = 0;
  guint64 workers = 0; /* bit w: a run on w workers (up to 63) */
  int repeats = 1;

  for (guint i = 0; i < n; i++)
    {
      const PlabRunRecord *r = plab_history_list_get_run (self->history_list, i);
      PlabBackend b;

      if (r->sweep_id != sweep_id || plab_backend_from_name (r->backend, &b) != 0)
        continue;
      backends |= PLAB_BACKEND_BIT (b);
      repeats = MAX (repeats, r->repeat + 1);
      if (b != PLAB_BACKEND_SERIAL && r->workers > 0 && r->workers < 64)
        workers |= G_GUINT64_CONSTANT (1) << r->workers;
    }
  for (int w = 1; w < 64; w++)
    if (workers & (G_GUINT64_CONSTANT (1) << w))
      g_string_append_printf (counts, "%s%d", counts->len ? "," : "", w);
  if (counts->len > 0)
    gtk_editable_set_text (GTK_EDITABLE (self->sweep_counts_entry), counts->str);
  for (int b = PLAB_BACKEND_SERIAL; b <= PLAB_BACKEND_MPI; b++)
    gtk_check_button_set_active (self->sweep_checks[b], (backends & PLAB_BACKEND_BIT (b)) != 0);
  gtk_spin_button_set_value (self->repeat_spin, repeats);
}

static void
run_again_cb (PlabWindow *self)
{
  const PlabRunRecord *run = _plab_window_history_run (self, self->selected_run_id);
  g_autofree char *toast = NULL;
  PlabJson *params;

  if (run == NULL || !plab_window_select_demo (self, run->demo))
    return;
  plab_param_editor_reset (self->param_editor);
  params = plab_json_parse (run->params_json ? run->params_json : "{}", NULL, 0);
  for (size_t i = 0; params != NULL && i < plab_json_length (params); i++)
    copy_param (self, &params->children[i]);
  plab_json_free (params);
  for (guint i = 0; i < self->backend_names->len; i++)
    if (!g_strcmp0 (g_ptr_array_index (self->backend_names, i), run->backend))
      gtk_drop_down_set_selected (self->backend_dropdown, i);
  plab_param_editor_field_set_value (self->workers_spin, run->workers);
  if (run->sweep_id != 0)
    {
      copy_sweep (self, run->sweep_id);
      toast = g_strdup_printf ("The settings of run %" G_GINT64_FORMAT " and of its sweep are in "
                               "the controls: press Run or Sweep",
                               run->id);
    }
  else
    toast = g_strdup_printf ("The settings of run %" G_GINT64_FORMAT
                             " are in the controls: press Run",
                             run->id);
  _plab_window_toast (self, toast);
}

/* Each demo keeps the prediction typed for it. */
void
_plab_window_selection_demo_changed (PlabWindow *self, const PlabDemo *old_demo)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->prediction_entry));
  const char *kept;

  if (self->predictions == NULL)
    return;
  if (old_demo != NULL)
    g_hash_table_insert (self->predictions, g_strdup (old_demo->name), g_strdup (text));
  kept = g_hash_table_lookup (self->predictions, self->demo->name);
  gtk_editable_set_text (GTK_EDITABLE (self->prediction_entry), kept ? kept : "");
  _plab_window_update_prediction (self);
}

/* A sweep starts: the prediction typed now becomes the sweep's once the
 * runner says which sweep it is. */
void
_plab_window_sweep_launching (PlabWindow *self)
{
  self->launch_has_prediction = self->have_prediction;
  if (self->have_prediction)
    self->launch_prediction = self->prediction;
}

void
_plab_window_sweep_started (PlabWindow *self, gint64 sweep_id)
{
  if (!self->launch_has_prediction)
    return;
  self->launch_has_prediction = FALSE;
  g_hash_table_insert (self->sweep_predictions, g_memdup2 (&sweep_id, sizeof sweep_id),
                       g_memdup2 (&self->launch_prediction, sizeof self->launch_prediction));
}

/* The prediction to draw beside @run's measurements: its sweep's, else the
 * one typed for its demo, if it is the window's demo; NULL when none. */
const PlabSpeedupSeries *
_plab_window_prediction_for (PlabWindow *self, const PlabRunRecord *run)
{
  const PlabSpeedupSeries *of_sweep;

  if (run == NULL)
    return NULL;
  of_sweep
      = run->sweep_id != 0 ? g_hash_table_lookup (self->sweep_predictions, &run->sweep_id) : NULL;
  if (of_sweep != NULL)
    return of_sweep;
  if (self->have_prediction && self->demo != NULL && !g_strcmp0 (self->demo->name, run->demo))
    return &self->prediction;
  return NULL;
}

void
_plab_window_selection_init (PlabWindow *self)
{
  GtkWidget *button;

  self->predictions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->sweep_predictions = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->shown_run_box), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (self->shown_run_box, 6);
  gtk_widget_add_css_class (GTK_WIDGET (self->shown_run_box), "shown-run");
  gtk_widget_add_css_class (GTK_WIDGET (self->shown_run_box), "card");
  self->shown_run_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->shown_run_label, 0);
  gtk_label_set_wrap (self->shown_run_label, TRUE);
  gtk_label_set_selectable (self->shown_run_label, TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->shown_run_label),
                               "The run selected in History, as it was run (read-only)");
  gtk_box_append (self->shown_run_box, GTK_WIDGET (self->shown_run_label));
  button = gtk_button_new_with_label ("Run again with these");
  gtk_widget_set_halign (button, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text (button, "Copy this run's demo, parameters, backend and workers "
                                       "into the controls");
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (run_again_cb), self);
  gtk_box_append (self->shown_run_box, button);
  self->run_again_button = button;
  gtk_widget_set_visible (GTK_WIDGET (self->shown_run_box), FALSE);
}

void
_plab_window_selection_dispose (PlabWindow *self)
{
  g_clear_pointer (&self->predictions, g_hash_table_unref);
  g_clear_pointer (&self->sweep_predictions, g_hash_table_unref);
}
