/* plab-window-run.c: running demos through the runner process and drawing
 * them live.
 *
 * The runner's events arrive on the main loop as it writes them. They are
 * only appended to arrays here; the timeline's data set (which indexes every
 * span) is rebuilt from them on a timer, at most every REBUILD_MIN_MS and
 * never more often than four times its own cost, so that a run of a million
 * spans slows the redraws, not the window. A data set of fewer than
 * LIVE_ASYNC_MIN_EVENTS events is built on the main thread, in milliseconds;
 * a bigger one in a worker thread, which indexes a second or more of work
 * for a million spans. One build runs at a time, and reads the live arrays
 * themselves (it holds a reference to them): while it runs, new events wait
 * in the pending arrays and join the live ones when it is done, and a run
 * that starts or ends meanwhile gets new arrays rather than emptying the ones
 * being read. A build of a run that has since ended or been replaced is
 * dropped (live_generation).
 *
 * Spans still going (a task, a sleep, a wait; the stream's "open" lines) are
 * kept apart, a few per lane, and every build draws them from their start to
 * now, so that a busy worker never looks idle; while any is open the
 * timeline is rebuilt on every tick and they grow. When the stream left
 * spans out, it says per lane what they covered (its "busy" lines): the
 * timeline draws each such interval as density, busy as much as the lane
 * was, as it draws spans shorter than a pixel, so a thinned picture still
 * shows how busy every worker is. It says too that events were left out,
 * until the run ends, and then the run is shown whole from the store.
 */
#include "plab-window-private.h"

#define REBUILD_MIN_MS 150
#define TICK_MS 100
#define LIVE_ASYNC_MIN_EVENTS 200000

/* A live data set built in a worker thread. The window appends nothing to
 * the arrays it reads until the build is done. */
typedef struct
{
  GWeakRef window; /* not a reference: a destroyed window is not kept for the answer */
  guint generation;
  gint64 run_id;
  PlabLaneInfo *lanes; /* a copy: lanes change in place */
  guint n_lanes;
  GArray *spans; /* references to the live arrays */
  GArray *counters;
  PlabEvent *open; /* a copy */
  guint n_open;
  PlabTimelineCoverage *coverage; /* a copy */
  guint n_coverage;
  gint64 now_ns;
  gint64 left_out;
  PlabTimelineData *data; /* the result */
  gint64 cost_us;
} LiveBuild;

static void schedule_rebuild (PlabWindow *self);

static void
live_build_free (LiveBuild *build)
{
  g_weak_ref_clear (&build->window);
  g_free (build->lanes);
  g_free (build->open);
  g_free (build->coverage);
  g_array_unref (build->spans);
  g_array_unref (build->counters);
  plab_timeline_data_free (build->data);
  g_free (build);
}

/* The sentence the timeline shows while the stream has left events out. */
static char *
left_out_notice (gint64 left_out)
{
  if (left_out <= 0)
    return NULL;
  return g_strdup_printf ("The live picture is incomplete: %" G_GINT64_FORMAT
                          " event%s left out; the full run appears when it ends",
                          left_out, left_out == 1 ? "" : "s");
}

static PlabTimelineData *
build_live_data (gint64 run_id,
                 const PlabLaneInfo *lanes,
                 guint n_lanes,
                 const PlabEvent *spans,
                 guint n_spans,
                 const PlabEvent *counters,
                 guint n_counters,
                 const PlabEvent *open,
                 guint n_open,
                 const PlabTimelineCoverage *coverage,
                 guint n_coverage,
                 gint64 now_ns,
                 gint64 left_out)
{
  PlabTimelineBuilder *builder = plab_timeline_builder_new (lanes, n_lanes);
  PlabTimelineData *data;
  g_autofree char *caption = NULL;
  g_autofree char *notice = left_out_notice (left_out);

  if (builder == NULL)
    return NULL;
  plab_timeline_builder_add (builder, spans, n_spans);
  plab_timeline_builder_add (builder, counters, n_counters);
  plab_timeline_builder_add_open (builder, open, n_open, now_ns);
  plab_timeline_builder_add_coverage (builder, coverage, n_coverage);
  data = plab_timeline_builder_finish (builder);
  if (data == NULL)
    return NULL;
  caption = g_strdup_printf ("Run %" G_GINT64_FORMAT " · live", run_id);
  plab_timeline_data_set_caption (data, caption, NULL);
  plab_timeline_data_set_notice (data, notice);
  return data;
}

/* Now, in the run's time (ns since its origin): the end of open spans. */
static gint64
live_now_ns (PlabWindow *self)
{
  gint64 origin = plab_runner_client_get_origin_ns (self->runner);

  /* A stream without an origin: the time since its "run" line. */
  if (origin <= 0)
    return self->live_started_us > 0 ? (g_get_monotonic_time () - self->live_started_us) * 1000 : 0;
  return g_get_monotonic_time () * 1000 - origin;
}

static void
live_build_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LiveBuild *build = task_data;
  gint64 t0 = g_get_monotonic_time ();

  build->data = build_live_data (build->run_id, build->lanes, build->n_lanes,
                                 (const PlabEvent *)build->spans->data, build->spans->len,
                                 (const PlabEvent *)build->counters->data, build->counters->len,
                                 build->open, build->n_open, build->coverage, build->n_coverage,
                                 build->now_ns, build->left_out);
  build->cost_us = g_get_monotonic_time () - t0;
  g_task_return_boolean (task, build->data != NULL);
}

static void
live_built_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LiveBuild *build = user_data;
  g_autoptr (PlabWindow) self = g_weak_ref_get (&build->window);

  /* Gone, or disposed (no runner): nothing more to do. */
  if (self == NULL)
    goto out;
  self->live_building = FALSE;
  if (self->runner == NULL)
    goto out;
  /* What arrived meanwhile joins the live arrays. */
  g_array_append_vals (self->live_spans, self->pending_spans->data, self->pending_spans->len);
  g_array_append_vals (self->live_counters, self->pending_counters->data,
                       self->pending_counters->len);
  g_array_set_size (self->pending_spans, 0);
  g_array_set_size (self->pending_counters, 0);
  /* The run has ended or been replaced since. */
  if (build->generation != self->live_generation)
    goto out;
  self->rebuild_cost_us = build->cost_us;
  if (build->data != NULL)
    {
      plab_timeline_view_set_lanes (self->timeline_view, build->lanes, build->n_lanes);
      plab_timeline_view_take_data (self->timeline_view, g_steal_pointer (&build->data), TRUE);
    }
  if (self->live_dirty)
    schedule_rebuild (self);

out:
  live_build_free (build);
}

static void
new_live_arrays (PlabWindow *self)
{
  self->live_lanes = g_array_new (FALSE, FALSE, sizeof (PlabLaneInfo));
  self->live_spans = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
  self->live_counters = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
  self->pending_spans = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
  self->pending_counters = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
  self->live_open = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
  self->live_coverage = g_array_new (FALSE, FALSE, sizeof (PlabTimelineCoverage));
}

static void
free_live_arrays (PlabWindow *self)
{
  g_clear_pointer (&self->live_lanes, g_array_unref);
  g_clear_pointer (&self->live_spans, g_array_unref);
  g_clear_pointer (&self->live_counters, g_array_unref);
  g_clear_pointer (&self->pending_spans, g_array_unref);
  g_clear_pointer (&self->pending_counters, g_array_unref);
  g_clear_pointer (&self->live_open, g_array_unref);
  g_clear_pointer (&self->live_coverage, g_array_unref);
}

/* A new run's events start from nothing. A build in flight keeps reading
 * the arrays it holds; the window moves on to new ones. */
static void
reset_live_arrays (PlabWindow *self)
{
  self->live_generation++;
  self->live_left_out = 0;
  if (self->live_building)
    {
      free_live_arrays (self);
      new_live_arrays (self);
      return;
    }
  g_array_set_size (self->live_open, 0);
  g_array_set_size (self->live_coverage, 0);
  g_array_set_size (self->live_lanes, 0);
  g_array_set_size (self->live_spans, 0);
  g_array_set_size (self->live_counters, 0);
}

static void
stop_timers (PlabWindow *self)
{
  g_clear_handle_id (&self->rebuild_source, g_source_remove);
  g_clear_handle_id (&self->tick_source, g_source_remove);
}

static void
rebuild_live (PlabWindow *self)
{
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (GTask) task = NULL;
  PlabTimelineData *data;
  LiveBuild *build;

  /* The build in flight picks the new events up when it is done. */
  if (self->live_building)
    {
      self->live_dirty = TRUE;
      return;
    }
  self->live_dirty = FALSE;
  if (self->live_spans->len + self->live_counters->len < LIVE_ASYNC_MIN_EVENTS)
    {
      data = build_live_data (self->live_run_id, (const PlabLaneInfo *)self->live_lanes->data,
                              self->live_lanes->len, (const PlabEvent *)self->live_spans->data,
                              self->live_spans->len, (const PlabEvent *)self->live_counters->data,
                              self->live_counters->len, (const PlabEvent *)self->live_open->data,
                              self->live_open->len,
                              (const PlabTimelineCoverage *)self->live_coverage->data,
                              self->live_coverage->len, live_now_ns (self), self->live_left_out);
      if (data == NULL)
        return;
      plab_timeline_view_set_lanes (self->timeline_view,
                                    (const PlabLaneInfo *)self->live_lanes->data,
                                    self->live_lanes->len);
      plab_timeline_view_take_data (self->timeline_view, data, TRUE);
      self->rebuild_cost_us = g_get_monotonic_time () - t0;
      return;
    }

  build = g_new0 (LiveBuild, 1);
  g_weak_ref_init (&build->window, self);
  build->generation = self->live_generation;
  build->run_id = self->live_run_id;
  build->n_lanes = self->live_lanes->len;
  build->lanes = g_memdup2 (self->live_lanes->data, build->n_lanes * sizeof (PlabLaneInfo));
  build->spans = g_array_ref (self->live_spans);
  build->counters = g_array_ref (self->live_counters);
  build->n_open = self->live_open->len;
  build->open = g_memdup2 (self->live_open->data, build->n_open * sizeof (PlabEvent));
  build->n_coverage = self->live_coverage->len;
  build->coverage
      = g_memdup2 (self->live_coverage->data, build->n_coverage * sizeof (PlabTimelineCoverage));
  build->now_ns = live_now_ns (self);
  build->left_out = self->live_left_out;
  self->live_building = TRUE;
  task = g_task_new (NULL, NULL, live_built_cb, build);
  g_task_set_task_data (task, build, NULL);
  g_task_run_in_thread (task, live_build_thread);
}

static gboolean
rebuild_cb (gpointer user_data)
{
  PlabWindow *self = user_data;

  self->rebuild_source = 0;
  if (self->live_dirty)
    rebuild_live (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_rebuild (PlabWindow *self)
{
  guint delay = MAX (REBUILD_MIN_MS, (guint)(self->rebuild_cost_us * 4 / 1000));

  self->live_dirty = TRUE;
  if (self->rebuild_source == 0)
    self->rebuild_source = g_timeout_add (delay, rebuild_cb, self);
}

static gboolean
tick_cb (gpointer user_data)
{
  PlabWindow *self = user_data;
  g_autofree char *status = NULL;
  double elapsed_s = 0;

  if (self->live_started_us > 0)
    {
      gint64 elapsed_us = g_get_monotonic_time () - self->live_started_us;
      elapsed_s = elapsed_us / 1e6;
      plab_timeline_view_set_min_duration (self->timeline_view, elapsed_us * 1000);
      /* Spans still going grow with the time. */
      if (self->live_open->len > 0)
        schedule_rebuild (self);
    }

  if (self->sweeping && self->runs_expected > 0)
    {
      gtk_progress_bar_set_fraction (self->progress_bar,
                                     MIN (1.0, (double)self->runs_ended / self->runs_expected));
      status = g_strdup_printf ("Sweep: run %d of %d · %.1f s · %u spans", self->runs_ended + 1,
                                self->runs_expected, elapsed_s,
                                self->live_spans->len + self->pending_spans->len);
    }
  else
    {
      gtk_progress_bar_pulse (self->progress_bar);
      if (self->live_run_id > 0 && self->live_open->len > 0)
        status = g_strdup_printf ("Run %" G_GINT64_FORMAT " running · %.1f s · %u spans, %u open",
                                  self->live_run_id, elapsed_s,
                                  self->live_spans->len + self->pending_spans->len,
                                  self->live_open->len);
      else if (self->live_run_id > 0)
        status = g_strdup_printf ("Run %" G_GINT64_FORMAT " running · %.1f s · %u spans",
                                  self->live_run_id, elapsed_s,
                                  self->live_spans->len + self->pending_spans->len);
      else
        status = g_strdup ("Starting the runner…");
    }
  _plab_window_set_status (self, status);
  return G_SOURCE_CONTINUE;
}

static void
run_started_cb (PlabRunnerClient *runner,
                gint64 id,
                const char *demo,
                const char *backend,
                int workers,
                gint64 sweep_id,
                PlabWindow *self)
{
  reset_live_arrays (self);
  if (sweep_id != 0)
    _plab_window_sweep_started (self, sweep_id);
  self->live_run_id = id;
  self->last_run_id = id;
  self->live_started_us = g_get_monotonic_time ();
  plab_timeline_view_set_min_duration (self->timeline_view, 0);
  plab_timeline_view_take_data (self->timeline_view, NULL, FALSE);
  schedule_rebuild (self);
}

/* Forgets lane @lane's open spans; with @ended, only the one that ended as
 * @ended (same kind and start). */
static void
drop_open (PlabWindow *self, int lane, const PlabEvent *ended)
{
  for (guint i = self->live_open->len; i-- > 0;)
    {
      const PlabEvent *o = &g_array_index (self->live_open, PlabEvent, i);

      if (o->lane != lane)
        continue;
      if (ended != NULL && (o->kind != ended->kind || o->start_ns != ended->start_ns))
        continue;
      g_array_remove_index (self->live_open, i);
    }
}

static void
open_cb (PlabRunnerClient *runner, int lane, const PlabEvent *open, guint n, PlabWindow *self)
{
  drop_open (self, lane, NULL);
  g_array_append_vals (self->live_open, open, n);
  schedule_rebuild (self);
}

static void
left_out_cb (PlabRunnerClient *runner, gint64 n, PlabWindow *self)
{
  self->live_left_out = n;
  schedule_rebuild (self);
}

/* Spans of a lane left out: the interval they covered is drawn as density. */
static void
busy_cb (PlabRunnerClient *runner, const PlabTimelineCoverage *coverage, guint n, PlabWindow *self)
{
  g_array_append_vals (self->live_coverage, coverage, n);
  schedule_rebuild (self);
}

static void
lane_cb (PlabRunnerClient *runner, const PlabLaneInfo *lane, PlabWindow *self)
{
  /* A worker that has ended is in no span any more. */
  if (lane->end != PLAB_LANE_RUNNING)
    drop_open (self, lane->lane, NULL);
  for (guint i = 0; i < self->live_lanes->len; i++)
    if (g_array_index (self->live_lanes, PlabLaneInfo, i).lane == lane->lane)
      {
        g_array_index (self->live_lanes, PlabLaneInfo, i) = *lane;
        schedule_rebuild (self);
        return;
      }
  g_array_append_val (self->live_lanes, *lane);
  schedule_rebuild (self);
}

static void
events_cb (PlabRunnerClient *runner, const PlabEvent *events, guint n, PlabWindow *self)
{
  for (guint i = 0; i < n; i++)
    {
      /* A build in flight reads the live arrays: new events wait beside them. */
      if (events[i].kind == PLAB_SPAN_COUNTER)
        g_array_append_val (self->live_building ? self->pending_counters : self->live_counters,
                            events[i]);
      else
        {
          g_array_append_val (self->live_building ? self->pending_spans : self->live_spans,
                              events[i]);
          /* An open span that ended is drawn as what it was from now on. */
          if (self->live_open->len > 0)
            drop_open (self, events[i].lane, &events[i]);
        }
    }
  schedule_rebuild (self);
}

static void
run_ended_cb (PlabRunnerClient *runner,
              gint64 id,
              const char *status,
              const char *error,
              double wall_s,
              const char *check,
              PlabWindow *self)
{
  self->runs_ended++;
  /* Every span of the run has ended: none is drawn going on. */
  if (self->live_open->len > 0)
    {
      g_array_set_size (self->live_open, 0);
      self->live_dirty = TRUE;
    }
  if (self->live_dirty)
    rebuild_live (self);
  /* The next run of a sweep is new data; the history shows this one now. */
  _plab_window_reload_history (self);
}

static gboolean
destroy_cb (gpointer user_data)
{
  gtk_window_destroy (GTK_WINDOW (user_data));
  return G_SOURCE_REMOVE;
}

static void
finished_cb (PlabRunnerClient *runner, const char *status, const char *message, PlabWindow *self)
{
  gint64 run_id = self->last_run_id;
  gboolean sweep = self->sweeping;

  stop_timers (self);
  /* The run is in the store now: it is loaded from there, and a live build
   * still in flight is dropped. The live arrays give their memory back. */
  self->live_generation++;
  self->live_dirty = FALSE;
  free_live_arrays (self);
  new_live_arrays (self);
  if (self->closing)
    {
      /* The run is recorded: the closed window can go now, from the main
       * loop rather than from inside the runner's signal. */
      g_idle_add_full (G_PRIORITY_DEFAULT, destroy_cb, g_object_ref (self), g_object_unref);
      return;
    }
  self->live_started_us = 0;
  self->sweeping = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
  plab_timeline_view_set_min_duration (self->timeline_view, 0);
  _plab_window_update_actions (self);

  _plab_window_reload_history (self);
  if (run_id > 0 && self->live_run_id > 0)
    {
      plab_history_list_select_run (self->history_list, run_id, FALSE);
      _plab_window_show_run (self, run_id, TRUE);
    }
  self->live_run_id = 0;

  if (!g_strcmp0 (status, "ok"))
    {
      g_autofree char *toast
          = g_strdup_printf (sweep ? "Sweep finished · newest run %" G_GINT64_FORMAT
                                   : "Run %" G_GINT64_FORMAT " recorded",
                             run_id);
      _plab_window_toast (self, toast);
      if (sweep)
        gtk_stack_set_visible_child_name (self->view_stack, "speedup");
    }
  else if (!g_strcmp0 (status, "cancelled"))
    {
      g_autofree char *toast = run_id > 0 ? g_strdup_printf ("Stopped · run %" G_GINT64_FORMAT
                                                             " recorded as cancelled",
                                                             run_id)
                                          : g_strdup ("Stopped");
      _plab_window_toast (self, toast);
      _plab_window_set_status (self, message ? message : "Stopped");
    }
  else
    {
      g_autofree char *text = g_strdup_printf ("The run failed: %s",
                                               message ? message : "the runner reported no reason");
      _plab_window_show_error (self, text);
      _plab_window_set_status (self, "The run failed");
    }
}

char **
_plab_window_build_args (PlabWindow *self, gboolean sweep)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) sets = plab_param_editor_dup_assignments (self->param_editor);
  const char *backend = _plab_window_selected_backend (self);
  int workers = (int)plab_param_editor_field_get_value (self->workers_spin);

  g_strv_builder_add (builder, self->demo->name);
  if (sweep)
    _plab_window_sweep_add_args (self, builder);
  else
    {
      /* A wrong number goes as typed, as a parameter's does: Run waits for
       * it, and the command line shows what the runner would refuse. */
      g_autofree char *w
          = plab_param_editor_field_problem (self->workers_spin) != NULL
                ? g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->workers_spin))))
                : g_strdup_printf ("%d", workers);
      g_strv_builder_add_many (builder, "-b", backend ? backend : "serial", NULL);
      /* A demo with no worker axis starts as many as its values say. */
      if (self->demo->no_worker_axis == NULL)
        g_strv_builder_add_many (builder, "-j", w, NULL);
      _plab_window_add_repeat_args (builder, self->run_repeat_spin);
    }
  _plab_window_mpi_add_args (self, builder, sweep);
  for (guint i = 0; sets[i] != NULL; i++)
    {
      g_strv_builder_add (builder, "--set");
      g_strv_builder_add (builder, sets[i]);
    }
  return g_strv_builder_end (builder);
}

void
_plab_window_run (PlabWindow *self, gboolean sweep)
{
  g_auto (GStrv) args = NULL;
  g_autoptr (GError) error = NULL;

  if (self->demo == NULL || plab_runner_client_is_running (self->runner))
    return;
  if (sweep && self->demo->no_worker_axis != NULL)
    {
      g_autofree char *text
          = g_strdup_printf ("%s has no worker axis to sweep: %s, so every worker count would "
                             "measure the same run. Use Run instead.",
                             self->demo->name, self->demo->no_worker_axis);
      _plab_window_show_error (self, text);
      return;
    }
  if (sweep && !_plab_window_sweep_ready (self))
    return;
  args = _plab_window_build_args (self, sweep);
  if (sweep)
    _plab_window_sweep_launching (self);
  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  if (!plab_runner_client_start (self->runner, (const char *const *)args, &error))
    {
      g_autofree char *text = g_strdup_printf ("Cannot start the runner: %s", error->message);
      _plab_window_show_error (self, text);
      return;
    }

  self->sweeping = sweep;
  self->runs_expected = sweep ? _plab_window_sweep_count_runs (self)
                              : gtk_spin_button_get_value_as_int (self->run_repeat_spin);
  self->runs_ended = 0;
  self->live_run_id = 0;
  self->live_started_us = 0;
  self->last_run_id = 0;
  reset_live_arrays (self);

  /* The live run takes over the timeline, alone. */
  _plab_window_cancel_loading (self);
  g_clear_pointer (&self->compared, plab_run_data_unref);
  gtk_widget_set_visible (GTK_WIDGET (self->compare_view), FALSE);
  plab_timeline_view_take_data (self->timeline_view, NULL, FALSE);
  /* Said at once in the chart, not only in the status line: a runner can
   * take seconds to start on a busy machine. */
  plab_timeline_view_set_placeholder (self->timeline_view,
                                      "Starting the runner… each worker's lane appears here "
                                      "as it starts");
  gtk_stack_set_visible_child_name (self->view_stack, "timeline");
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), TRUE);
  _plab_window_set_status (self, "Starting the runner…");
  self->tick_source = g_timeout_add (TICK_MS, tick_cb, self);
  _plab_window_update_actions (self);
}

void
_plab_window_stop (PlabWindow *self)
{
  if (!plab_runner_client_is_running (self->runner))
    return;
  _plab_window_set_status (self, "Stopping…");
  plab_runner_client_stop (self->runner);
}

/* Closing the window mid-run stops the run rather than abandoning it: the
 * window hides at once, the runner is asked to stop (SIGTERM, SIGKILL after
 * PLAB_RUNNER_CLIENT_KILL_DELAY_MS), records the run as cancelled and exits, and
 * only then is the window destroyed. Until then the hidden window still
 * holds the application, so the process stays to read the runner's end.
 * Returns TRUE when the close is taken care of here. */
gboolean
_plab_window_close_request (PlabWindow *self)
{
  if (self->closing)
    return TRUE;
  if (!plab_runner_client_is_running (self->runner))
    return FALSE;
  self->closing = TRUE;
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  _plab_window_stop (self);
  return TRUE;
}

void
_plab_window_run_init (PlabWindow *self)
{
  new_live_arrays (self);
  g_signal_connect (self->runner, "run-started", G_CALLBACK (run_started_cb), self);
  g_signal_connect (self->runner, "lane", G_CALLBACK (lane_cb), self);
  g_signal_connect (self->runner, "events", G_CALLBACK (events_cb), self);
  g_signal_connect (self->runner, "open", G_CALLBACK (open_cb), self);
  g_signal_connect (self->runner, "busy", G_CALLBACK (busy_cb), self);
  g_signal_connect (self->runner, "left-out", G_CALLBACK (left_out_cb), self);
  g_signal_connect (self->runner, "run-ended", G_CALLBACK (run_ended_cb), self);
  g_signal_connect (self->runner, "finished", G_CALLBACK (finished_cb), self);
}

void
_plab_window_run_dispose (PlabWindow *self)
{
  stop_timers (self);
  if (self->runner != NULL)
    {
      /* Destroyed some other way mid-run: the run still stops. The runner
       * object lives on until its process has exited (its pending reads
       * hold it). */
      plab_runner_client_stop (self->runner);
      g_signal_handlers_disconnect_by_data (self->runner, self);
      g_clear_object (&self->runner);
    }
  self->live_generation++;
  free_live_arrays (self);
}
