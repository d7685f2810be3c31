/* plab-window-views.c: recorded runs in the chart tabs, one or two compared,
 * and the student's predicted speedup. */
#include "plab-window-private.h"

#include <stdlib.h>

static void
unref_cb (gpointer data)
{
  plab_run_data_unref (data);
}

void
_plab_window_reload_history (PlabWindow *self)
{
  g_autoptr (GError) error = NULL;
  PlabStore *store = _plab_window_get_store (self);

  if (store == NULL)
    return;
  if (!plab_history_list_reload (self->history_list, store, &error))
    _plab_window_show_error (self, error->message);
}

/* The speedup chart shows the measurement of the run's group and, when the
 * student entered one, the prediction beside it. */
static void
show_speedup (PlabWindow *self)
{
  PlabChartInput input = { .kind = PLAB_CHART_SPEEDUP };

  if (self->shown == NULL || self->shown->speedup.n_series == 0)
    {
      plab_chart_view_set_input (self->speedup_view, NULL, NULL, NULL);
      return;
    }
  self->speedup_shown = self->shown->speedup;
  self->speedup_shown.predicted = self->have_prediction ? &self->prediction : NULL;
  input.speedup = &self->speedup_shown;
  plab_chart_view_set_input (self->speedup_view, &input, plab_run_data_ref (self->shown), unref_cb);
}

static void
show_charts (PlabWindow *self)
{
  PlabRunData *data = self->shown;
  PlabChartInput input;

  memset (&input, 0, sizeof input);
  if (data->n_points > 0)
    {
      input.kind = PLAB_CHART_TIME;
      input.time = &data->time;
      plab_chart_view_set_input (self->time_view, &input, plab_run_data_ref (data), unref_cb);
    }
  else
    plab_chart_view_set_input (self->time_view, NULL, NULL, NULL);

  show_speedup (self);

  memset (&input, 0, sizeof input);
  input.kind = PLAB_CHART_RESULT;
  input.result = &data->result_chart;
  plab_chart_view_set_input (self->result_view, &input, plab_run_data_ref (data), unref_cb);
}

static void
set_run_status (PlabWindow *self)
{
  const PlabRunRecord *r = self->shown->run;
  g_autofree char *text = NULL;
  g_autofree char *what = plab_run_data_describe (self->shown);

  if (self->compared != NULL)
    {
      g_autofree char *other = plab_run_data_describe (self->compared);
      text = g_strdup_printf ("Comparing %s  with  %s", what, other);
    }
  else if (r->status == PLAB_RUN_OK)
    text = g_strdup_printf ("%s · %s", what, r->check_message ? r->check_message : "");
  else
    text = g_strdup_printf ("%s%s%s", what, r->error && r->error[0] ? " · " : "",
                            r->error ? r->error : "");
  _plab_window_set_status (self, text);
}

gboolean
_plab_window_show_run (PlabWindow *self, gint64 run_id)
{
  g_autoptr (GError) error = NULL;
  PlabStore *store = _plab_window_get_store (self);
  PlabRunData *data;

  if (store == NULL)
    return FALSE;
  data = plab_run_data_load (store, run_id, &error);
  if (data == NULL)
    {
      _plab_window_show_error (self, error->message);
      return FALSE;
    }
  g_clear_pointer (&self->shown, plab_run_data_unref);
  g_clear_pointer (&self->compared, plab_run_data_unref);
  self->shown = data;

  gtk_widget_set_visible (GTK_WIDGET (self->compare_view), FALSE);
  plab_timeline_view_set_min_duration (self->timeline_view, 0);
  plab_timeline_view_set_lanes (self->timeline_view, data->lanes, data->n_lanes);
  plab_timeline_view_take_data (self->timeline_view, plab_run_data_steal_timeline (data), FALSE);
  show_charts (self);
  set_run_status (self);
  _plab_window_update_actions (self);
  return TRUE;
}

void
_plab_window_show_comparison (PlabWindow *self, gint64 run_a, gint64 run_b)
{
  g_autoptr (GError) error = NULL;
  PlabStore *store = _plab_window_get_store (self);
  PlabRunData *a, *b;
  PlabTimeWindow wa, wb;
  gint64 duration;

  if (store == NULL)
    return;
  a = plab_run_data_load (store, run_a, &error);
  b = a ? plab_run_data_load (store, run_b, &error) : NULL;
  if (b == NULL)
    {
      g_clear_pointer (&a, plab_run_data_unref);
      _plab_window_show_error (self, error->message);
      return;
    }
  g_clear_pointer (&self->shown, plab_run_data_unref);
  g_clear_pointer (&self->compared, plab_run_data_unref);
  self->shown = a;
  self->compared = b;

  /* One time scale for both: the longer run fills the width. */
  wa = plab_timeline_data_extent (a->timeline);
  wb = plab_timeline_data_extent (b->timeline);
  duration = MAX (wa.end_ns, wb.end_ns);
  plab_timeline_view_set_lanes (self->timeline_view, a->lanes, a->n_lanes);
  plab_timeline_view_take_data (self->timeline_view, plab_run_data_steal_timeline (a), FALSE);
  plab_timeline_view_set_min_duration (self->timeline_view, duration);
  plab_timeline_view_set_lanes (self->compare_view, b->lanes, b->n_lanes);
  plab_timeline_view_take_data (self->compare_view, plab_run_data_steal_timeline (b), FALSE);
  plab_timeline_view_set_min_duration (self->compare_view, duration);
  gtk_widget_set_visible (GTK_WIDGET (self->compare_view), TRUE);

  show_charts (self);
  set_run_status (self);
  gtk_stack_set_visible_child_name (self->view_stack, "timeline");
  _plab_window_update_actions (self);
}

static void
history_selection_cb (PlabWindow *self)
{
  gint64 ids[2];
  guint n = plab_history_list_get_selected (self->history_list, ids, G_N_ELEMENTS (ids));

  /* A live run owns the timeline until it ends. */
  if (plab_runner_is_running (self->runner))
    return;
  if (n == 1)
    _plab_window_show_run (self, ids[0]);
  else if (n == 2)
    _plab_window_show_comparison (self, ids[0], ids[1]);
}

/* Zooming or panning one compared timeline moves the other the same way. */
static void
window_changed_cb (PlabTimelineView *view, PlabWindow *self)
{
  PlabTimelineView *other = view == self->timeline_view ? self->compare_view : self->timeline_view;
  PlabTimeWindow window;

  if (!gtk_widget_get_visible (GTK_WIDGET (self->compare_view)))
    return;
  window = plab_timeline_view_get_window (view);
  if (plab_timeline_view_get_zoomed (view))
    plab_timeline_view_set_window (other, &window);
  else
    plab_timeline_view_reset_zoom (other);
}

/* "1.8": the speedup on the most workers; "1, 1.9, 2.7": one per worker count from 1. */
static gboolean
parse_prediction (const char *text, int max_workers, PlabSpeedupSeries *out)
{
  g_auto (GStrv) parts = g_strsplit_set (text, ",; ", -1);
  double values[PLAB_SPEEDUP_MAX_POINTS];
  int n = 0;

  for (guint i = 0; parts[i] != NULL && n < PLAB_SPEEDUP_MAX_POINTS; i++)
    {
      char *end;
      double v;

      if (parts[i][0] == '\0')
        continue;
      v = g_ascii_strtod (parts[i], &end);
      if (*end != '\0' || !(v > 0) || v > 1000)
        return FALSE;
      values[n++] = v;
    }
  if (n == 0)
    return FALSE;
  memset (out, 0, sizeof *out);
  g_strlcpy (out->name, "predicted", sizeof out->name);
  if (n == 1)
    {
      /* Everyone agrees on one worker; the student predicts the far end. */
      out->workers[0] = 1;
      out->speedup[0] = 1;
      out->workers[1] = MAX (2, max_workers);
      out->speedup[1] = values[0];
      out->n = 2;
    }
  else
    {
      for (int i = 0; i < n; i++)
        {
          out->workers[i] = i + 1;
          out->speedup[i] = values[i];
        }
      out->n = n;
    }
  return TRUE;
}

void
_plab_window_update_prediction (PlabWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->prediction_entry));
  int workers = gtk_spin_button_get_value_as_int (self->workers_spin);
  g_autofree char *trimmed = g_strstrip (g_strdup (text ? text : ""));
  gboolean empty = trimmed[0] == '\0';

  self->have_prediction = !empty && parse_prediction (text, workers, &self->prediction);
  if (!empty && !self->have_prediction)
    gtk_widget_add_css_class (GTK_WIDGET (self->prediction_entry), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->prediction_entry), "error");
  show_speedup (self);
}

void
_plab_window_apply_theme (PlabWindow *self)
{
  int theme = _plab_window_chart_theme (self);

  plab_timeline_view_set_theme (self->timeline_view, theme);
  plab_timeline_view_set_theme (self->compare_view, theme);
  plab_chart_view_set_theme (self->time_view, theme);
  plab_chart_view_set_theme (self->speedup_view, theme);
  plab_chart_view_set_theme (self->result_view, theme);
}

void
_plab_window_views_init (PlabWindow *self)
{
  g_signal_connect_swapped (self->history_list, "selection-changed",
                            G_CALLBACK (history_selection_cb), self);
  g_signal_connect (self->timeline_view, "window-changed", G_CALLBACK (window_changed_cb), self);
  g_signal_connect (self->compare_view, "window-changed", G_CALLBACK (window_changed_cb), self);
  g_signal_connect_swapped (self->prediction_entry, "changed",
                            G_CALLBACK (_plab_window_update_prediction), self);
  g_signal_connect_swapped (self->workers_spin, "value-changed",
                            G_CALLBACK (_plab_window_update_prediction), self);
}

void
_plab_window_views_dispose (PlabWindow *self)
{
  g_clear_pointer (&self->shown, plab_run_data_unref);
  g_clear_pointer (&self->compared, plab_run_data_unref);
}
