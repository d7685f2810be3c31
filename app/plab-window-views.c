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
  plab_store_data_version (store, &self->store_version);
  if (!plab_history_list_reload (self->history_list, store, &error))
    _plab_window_show_error (self, error->message);
}

/* --- Runs recorded elsewhere ---
 *
 * Another window, or `plab run` in a terminal, may record runs in the same
 * store. Once a second the window asks its own connection for the store's
 * data version, which moves only when another connection commits, and reads
 * History again only then (the list keeps its selection, focus and scroll
 * position). While History lists a run as running it is read every time:
 * a runner killed outright commits nothing, and a reader tells that run from
 * a live one (it reads as failed). The run in the views, when it was shown
 * running and has ended since, is loaded again as it ended.
 */

#define STORE_POLL_S 1

static gboolean
history_has_running (PlabWindow *self)
{
  guint n = plab_history_list_get_n_runs (self->history_list);

  for (guint i = 0; i < n; i++)
    if (plab_history_list_get_run (self->history_list, i)->status == PLAB_RUN_RUNNING)
      return TRUE;
  return FALSE;
}

/* Run @id as History lists it, or NULL. */
const PlabRunRecord *
_plab_window_history_run (PlabWindow *self, gint64 id)
{
  guint n = plab_history_list_get_n_runs (self->history_list);

  for (guint i = 0; i < n; i++)
    {
      const PlabRunRecord *r = plab_history_list_get_run (self->history_list, i);
      if (r->id == id)
        return r;
    }
  return NULL;
}

static gboolean
store_poll_cb (gpointer user_data)
{
  PlabWindow *self = user_data;
  gint64 version = 0;
  const PlabRunRecord *listed;

  if (self->store == NULL)
    {
      /* The file appears with the first run recorded anywhere. A store
       * still being created may refuse the open: quietly try again. */
      if (self->db_path == NULL || !g_file_test (self->db_path, G_FILE_TEST_EXISTS)
          || plab_store_open (self->db_path, PLAB_STORE_READ_ONLY, &self->store) != 0)
        {
          self->store = NULL;
          return G_SOURCE_CONTINUE;
        }
      self->store_version = -1;
    }
  if (plab_store_data_version (self->store, &version) != 0)
    return G_SOURCE_CONTINUE;
  if (version == self->store_version && !history_has_running (self))
    return G_SOURCE_CONTINUE;

  /* A failed read is tried again next time; the banner is for what the user did. */
  if (!plab_history_list_reload (self->history_list, self->store, NULL))
    return G_SOURCE_CONTINUE;
  self->store_version = version;
  _plab_window_update_welcome (self);

  listed
      = self->shown != NULL ? _plab_window_history_run (self, self->shown->chart->run->id) : NULL;
  if (listed != NULL && listed->status != PLAB_RUN_RUNNING
      && self->shown->chart->run->status == PLAB_RUN_RUNNING && self->compared == NULL
      && self->loading == NULL && !plab_runner_client_is_running (self->runner))
    _plab_window_show_run (self, listed->id, TRUE);
  return G_SOURCE_CONTINUE;
}

/* The speedup chart shows the measurement of the run's group and, when the
 * student entered one, the prediction beside it. */
static void
show_speedup (PlabWindow *self)
{
  PlabChartInput input = { .kind = PLAB_CHART_SPEEDUP };

  if (self->shown == NULL || self->shown->chart->speedup.n_series == 0)
    {
      plab_chart_view_set_input (self->speedup_view, NULL, NULL, NULL);
      return;
    }
  self->speedup_shown = self->shown->chart->speedup;
  /* Only the prediction made for this demo (or this sweep) goes beside it. */
  self->speedup_shown.predicted = _plab_window_prediction_for (self, self->shown->chart->run);
  input.speedup = &self->speedup_shown;
  plab_chart_view_set_input (self->speedup_view, &input, plab_run_data_ref (self->shown), unref_cb);
}

static void
show_charts (PlabWindow *self)
{
  PlabRunData *data = self->shown;
  PlabChartInput input;

  memset (&input, 0, sizeof input);
  if (data->chart->n_points > 0)
    {
      input.kind = PLAB_CHART_TIME;
      input.time = &data->chart->time;
      plab_chart_view_set_input (self->time_view, &input, plab_run_data_ref (data), unref_cb);
    }
  else
    plab_chart_view_set_input (self->time_view, NULL, NULL, NULL);

  show_speedup (self);

  memset (&input, 0, sizeof input);
  input.kind = PLAB_CHART_RESULT;
  input.result = &data->chart->result_chart;
  plab_chart_view_set_input (self->result_view, &input, plab_run_data_ref (data), unref_cb);
}

static void
set_run_status (PlabWindow *self)
{
  const PlabRunRecord *r = self->shown->chart->run;
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
  /* A run measured on a busy machine says so first: its times are not to
   * be trusted. In few words, so that the run's own result still shows in
   * the line's two lines at 1280 px; the chart's footer gives the figures. */
  if (self->compared == NULL && self->shown->chart->load_warning[0] != '\0')
    {
      char *busy = g_strdup_printf ("Busy machine, times may be long · %s", text);
      g_free (text);
      text = busy;
    }
  _plab_window_set_status (self, text);
}

/* The views take a loaded run. */
static void
apply_run (PlabWindow *self, PlabRunData *data)
{
  g_clear_pointer (&self->shown, plab_run_data_unref);
  g_clear_pointer (&self->compared, plab_run_data_unref);
  self->shown = plab_run_data_ref (data);

  gtk_widget_set_visible (GTK_WIDGET (self->compare_view), FALSE);
  plab_timeline_view_set_min_duration (self->timeline_view, 0);
  plab_timeline_view_set_lanes (self->timeline_view, data->chart->lanes, data->chart->n_lanes);
  plab_timeline_view_take_data (self->timeline_view, plab_run_data_steal_timeline (data), FALSE);
  show_charts (self);
  set_run_status (self);
}

/* The views take two loaded runs, on one time scale. */
static void
apply_comparison (PlabWindow *self, PlabRunData *a, PlabRunData *b)
{
  PlabTimeWindow wa, wb;
  gint64 duration;

  g_clear_pointer (&self->shown, plab_run_data_unref);
  g_clear_pointer (&self->compared, plab_run_data_unref);
  self->shown = plab_run_data_ref (a);
  self->compared = plab_run_data_ref (b);

  /* One time scale for both: the longer run fills the width. */
  wa = plab_timeline_data_extent (a->chart->timeline);
  wb = plab_timeline_data_extent (b->chart->timeline);
  duration = MAX (wa.end_ns, wb.end_ns);
  plab_timeline_view_set_lanes (self->timeline_view, a->chart->lanes, a->chart->n_lanes);
  plab_timeline_view_take_data (self->timeline_view, plab_run_data_steal_timeline (a), FALSE);
  plab_timeline_view_set_min_duration (self->timeline_view, duration);
  plab_timeline_view_set_lanes (self->compare_view, b->chart->lanes, b->chart->n_lanes);
  plab_timeline_view_take_data (self->compare_view, plab_run_data_steal_timeline (b), FALSE);
  plab_timeline_view_set_min_duration (self->compare_view, duration);
  gtk_widget_set_visible (GTK_WIDGET (self->compare_view), TRUE);

  show_charts (self);
  set_run_status (self);
  gtk_stack_set_visible_child_name (self->view_stack, "timeline");
}

/* --- Loading runs in a worker thread ---
 *
 * Reading a run of ten million spans and indexing them for the timeline
 * takes seconds. That happens in a worker thread (plab_run_data_load_async),
 * so the window keeps drawing and answering while it goes on: the status
 * line says what is loading, and a load that takes longer than
 * LOADING_PLACEHOLDER_MS clears the timeline to say so there too (a quicker
 * one swaps the views without a flash). A newer selection cancels the older
 * load; a load is recognised by its generation number, so a late answer of
 * a cancelled one is never shown.
 */

#define LOADING_PLACEHOLDER_MS 150

/* A weak reference: a window destroyed meanwhile is not kept alive for the
 * answer (finalized late, after its application, it would unhook handlers
 * from objects already gone). */
typedef struct
{
  GWeakRef window;
  guint generation;
} LoadRequest;

static void
stop_loading (PlabWindow *self)
{
  if (self->loading != NULL)
    {
      g_cancellable_cancel (self->loading);
      g_clear_object (&self->loading);
    }
  g_clear_handle_id (&self->loading_source, g_source_remove);
  if (self->idle_placeholder != NULL)
    plab_timeline_view_set_placeholder (self->timeline_view, self->idle_placeholder);
}

gboolean
_plab_window_is_loading (PlabWindow *self)
{
  return self->loading != NULL;
}

void
_plab_window_cancel_loading (PlabWindow *self)
{
  self->load_generation++;
  stop_loading (self);
  _plab_window_update_actions (self);
}

/* How many spans the history says run @id has (for the loading message). */
static gint64
history_spans (PlabWindow *self, gint64 id)
{
  const PlabRunRecord *r = _plab_window_history_run (self, id);

  return r != NULL ? r->n_spans : -1;
}

static gboolean
loading_placeholder_cb (gpointer user_data)
{
  PlabWindow *self = user_data;

  self->loading_source = 0;
  gtk_widget_set_visible (GTK_WIDGET (self->compare_view), FALSE);
  plab_timeline_view_set_placeholder (self->timeline_view, self->loading_text);
  plab_timeline_view_take_data (self->timeline_view, NULL, FALSE);
  return G_SOURCE_REMOVE;
}

static void
load_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LoadRequest *request = user_data;
  g_autoptr (PlabWindow) self = g_weak_ref_get (&request->window);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) loaded = plab_run_data_load_finish (result, &error);

  /* The window is gone, or a newer selection, a live run or the window's
   * end took over. */
  if (self == NULL || request->generation != self->load_generation)
    goto out;

  stop_loading (self);
  if (loaded == NULL)
    {
      _plab_window_show_error (self, error->message);
      _plab_window_set_status (self, "The run could not be shown");
    }
  else if (loaded->len == 2)
    apply_comparison (self, g_ptr_array_index (loaded, 0), g_ptr_array_index (loaded, 1));
  else
    apply_run (self, g_ptr_array_index (loaded, 0));
  _plab_window_update_actions (self);

out:
  g_weak_ref_clear (&request->window);
  g_free (request);
}

/* Starts loading @n runs; the views keep what they show until they arrive
 * (for ever, when @keep_view: the live timeline of the same run). */
static void
start_loading (PlabWindow *self, const gint64 *ids, guint n, gboolean keep_view)
{
  LoadRequest *request;
  gint64 spans = history_spans (self, ids[0]);

  if (g_file_test (self->db_path, G_FILE_TEST_EXISTS) == FALSE)
    return;
  self->load_generation++;
  stop_loading (self);
  self->loading = g_cancellable_new ();

  g_free (self->loading_text);
  if (n == 2)
    self->loading_text
        = g_strdup_printf ("Loading runs %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT "…", ids[0],
                           ids[1]);
  else if (spans > 0)
    self->loading_text
        = g_strdup_printf ("Loading run %" G_GINT64_FORMAT " · %" G_GINT64_FORMAT " spans…", ids[0],
                           spans);
  else
    self->loading_text = g_strdup_printf ("Loading run %" G_GINT64_FORMAT "…", ids[0]);
  _plab_window_set_status (self, self->loading_text);
  if (!keep_view)
    self->loading_source = g_timeout_add (LOADING_PLACEHOLDER_MS, loading_placeholder_cb, self);

  request = g_new0 (LoadRequest, 1);
  g_weak_ref_init (&request->window, self);
  request->generation = self->load_generation;
  plab_run_data_load_async (self->db_path, ids, n, self->loading, load_done_cb, request);
  _plab_window_update_actions (self);
}

void
_plab_window_show_run (PlabWindow *self, gint64 run_id, gboolean keep_view)
{
  start_loading (self, &run_id, 1, keep_view);
}

void
_plab_window_show_comparison (PlabWindow *self, gint64 run_a, gint64 run_b)
{
  gint64 ids[2] = { run_a, run_b };

  start_loading (self, ids, 2, FALSE);
}

/* No run in the views: a demo picked that has none recorded yet. */
void
_plab_window_show_nothing (PlabWindow *self)
{
  self->load_generation++;
  stop_loading (self);
  g_clear_pointer (&self->shown, plab_run_data_unref);
  g_clear_pointer (&self->compared, plab_run_data_unref);
  gtk_widget_set_visible (GTK_WIDGET (self->compare_view), FALSE);
  plab_timeline_view_take_data (self->timeline_view, NULL, FALSE);
  plab_chart_view_set_input (self->time_view, NULL, NULL, NULL);
  plab_chart_view_set_input (self->speedup_view, NULL, NULL, NULL);
  plab_chart_view_set_input (self->result_view, NULL, NULL, NULL);
  _plab_window_update_actions (self);
}

static void
history_selection_cb (PlabWindow *self)
{
  gint64 ids[2];
  guint n = plab_history_list_get_selected (self->history_list, ids, G_N_ELEMENTS (ids));

  /* A live run owns the timeline until it ends. */
  if (plab_runner_client_is_running (self->runner))
    return;
  _plab_window_select_runs (self, ids, n);
  if (n == 1)
    _plab_window_show_run (self, ids[0], FALSE);
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
  _plab_widget_set_css_class (GTK_WIDGET (self->prediction_entry), "error",
                              !empty && !self->have_prediction);
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
  g_object_get (self->timeline_view, "placeholder", &self->idle_placeholder, NULL);
  g_signal_connect_swapped (self->history_list, "selection-changed",
                            G_CALLBACK (history_selection_cb), self);
  g_signal_connect (self->timeline_view, "window-changed", G_CALLBACK (window_changed_cb), self);
  g_signal_connect (self->compare_view, "window-changed", G_CALLBACK (window_changed_cb), self);
  g_signal_connect_swapped (self->prediction_entry, "changed",
                            G_CALLBACK (_plab_window_update_prediction), self);
  g_signal_connect_swapped (self->workers_spin, "value-changed",
                            G_CALLBACK (_plab_window_update_prediction), self);
  self->store_poll_source = g_timeout_add_seconds (STORE_POLL_S, store_poll_cb, self);
}

void
_plab_window_views_dispose (PlabWindow *self)
{
  /* A load still running answers into a window that shows nothing more. */
  self->load_generation++;
  if (self->loading != NULL)
    g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  g_clear_handle_id (&self->loading_source, g_source_remove);
  g_clear_handle_id (&self->store_poll_source, g_source_remove);
  g_clear_pointer (&self->loading_text, g_free);
  g_clear_pointer (&self->idle_placeholder, g_free);
  g_clear_pointer (&self->shown, plab_run_data_unref);
  g_clear_pointer (&self->compared, plab_run_data_unref);
}
