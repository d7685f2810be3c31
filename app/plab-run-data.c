/* plab-run-data.c: one recorded run loaded for the lab window's views. */
#include "plab-run-data.h"

#include <gio/gio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "plab-core-error.h"
#include "plab-error.h"

static void
run_data_clear (PlabRunData *self)
{
  g_clear_pointer (&self->run, plab_run_record_free);
  g_clear_pointer (&self->lanes, free);
  g_clear_pointer (&self->timeline, plab_timeline_data_free);
  g_clear_pointer (&self->footer, g_free);
  g_clear_pointer (&self->points, free);
  g_clear_pointer (&self->time_title, g_free);
  g_clear_pointer (&self->speedup_title, g_free);
  g_clear_pointer (&self->group_footer, g_free);
  g_clear_pointer (&self->result, plab_json_free);
  g_clear_pointer (&self->result_title, g_free);
}

static void
unref_cb (gpointer data)
{
  plab_run_data_unref (data);
}

PlabRunData *
plab_run_data_ref (PlabRunData *self)
{
  return g_rc_box_acquire (self);
}

void
plab_run_data_unref (PlabRunData *self)
{
  g_rc_box_release_full (self, (GDestroyNotify)run_data_clear);
}

/* "n=1000, chunk_size=0" from the run's parameters. */
static char *
format_params (const char *params_json)
{
  PlabJson *params = plab_json_parse (params_json ? params_json : "{}", NULL, 0);
  GString *out = g_string_new (NULL);

  for (size_t i = 0; i < plab_json_length (params); i++)
    {
      char value[64];
      plab_json_format_value (&params->children[i], value, sizeof value);
      g_string_append_printf (out, "%s%s=%s", i ? ", " : "", params->children[i].key, value);
    }
  plab_json_free (params);
  return g_string_free (out, FALSE);
}

/* What every chart says at the bottom: demo, parameters, what, where, when. */
static char *
make_footer (PlabStore *store, const PlabRunRecord *run, const char *what)
{
  g_autofree char *params = format_params (run->params_json);
  g_autofree char *where = NULL;
  g_autofree char *date = NULL;
  g_autoptr (GDateTime) when
      = g_date_time_new_from_unix_local (run->started_at_us / G_USEC_PER_SEC);
  PlabMachineRecord machine;

  memset (&machine, 0, sizeof machine);
  if (plab_store_get_machine (store, run->machine_id, &machine) == 0)
    {
      where = g_strdup_printf ("%s (%s, %d CPUs)", machine.host ? machine.host : "?",
                               machine.cpu_model ? machine.cpu_model : "?", machine.usable_cpus);
      plab_machine_record_clear (&machine);
    }
  date = when ? g_date_time_format (when, "%Y-%m-%d %H:%M") : g_strdup ("");
  return g_strdup_printf ("demo %s · %s · %s · %s · %s", run->demo, params, what,
                          where ? where : "unknown machine", date);
}

static bool
keep_going_cb (void *user_data)
{
  return !g_cancellable_is_cancelled (user_data);
}

static gboolean
load_timeline (PlabRunData *self, PlabStore *store, GCancellable *cancellable, GError **error)
{
  size_t n_lanes = 0;
  g_autofree char *what = NULL;
  g_autofree char *title = NULL;
  int rc;

  /* The spans go from the store straight into the timeline's compact form,
   * a batch at a time: ten million of them never sit in memory twice. */
  rc = plab_store_get_lanes (store, self->run->id, &self->lanes, &n_lanes);
  if (rc == 0)
    rc = plab_timeline_data_load (store, self->run->id, cancellable ? keep_going_cb : NULL,
                                  cancellable, &self->timeline);
  if (rc == PLAB_ECANCELLED)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Loading was cancelled");
      return FALSE;
    }
  if (rc == PLAB_ENOMEM)
    {
      g_set_error (error, PLAB_CORE_ERROR, -PLAB_ENOMEM,
                   "Not enough memory to show the %" G_GINT64_FORMAT
                   " spans of run %" G_GINT64_FORMAT,
                   self->run->n_spans, self->run->id);
      return FALSE;
    }
  if (rc != 0)
    {
      g_set_error (error, PLAB_CORE_ERROR, -PLAB_ESTORE_IO,
                   "Cannot read run %" G_GINT64_FORMAT ": %s", self->run->id,
                   plab_store_errmsg (store));
      return FALSE;
    }
  self->n_lanes = n_lanes;
  what = g_strdup_printf ("%s × %d", self->run->backend, self->run->workers);
  self->footer = make_footer (store, self->run, what);
  title = plab_run_data_describe (self);
  plab_timeline_data_set_caption (self->timeline, title, NULL);
  return TRUE;
}

static gboolean
load_group (PlabRunData *self, PlabStore *store, GError **error)
{
  PlabRunFilter filter = { 0 };
  PlabRunRecord **runs = NULL;
  size_t n_runs = 0, n_samples = 0, n_points = 0;
  g_autofree PlabRunSample *samples = NULL;
  g_autofree char *what = NULL;
  const char *group;

  if (self->run->sweep_id != 0)
    {
      filter.sweep_id = self->run->sweep_id;
      group = "sweep";
    }
  else
    {
      filter.demo = self->run->demo;
      group = "runs with these parameters";
    }
  if (plab_store_list_runs (store, &filter, &runs, &n_runs) != 0)
    {
      g_set_error (error, PLAB_CORE_ERROR, -PLAB_ESTORE_IO, "Cannot list runs: %s",
                   plab_store_errmsg (store));
      return FALSE;
    }
  samples = g_new0 (PlabRunSample, n_runs + 1);
  for (size_t i = 0; i < n_runs; i++)
    {
      const PlabRunRecord *r = runs[i];
      if (r->status != PLAB_RUN_OK || r->wall_ns <= 0)
        continue;
      if (self->run->sweep_id == 0
          && g_strcmp0 (r->params_json ? r->params_json : "",
                        self->run->params_json ? self->run->params_json : "")
                 != 0)
        continue;
      samples[n_samples].backend = r->backend;
      samples[n_samples].workers = r->workers;
      samples[n_samples].wall_ns = r->wall_ns;
      n_samples++;
    }
  self->n_group_runs = (int)n_samples;
  if (plab_time_points_from_samples (samples, n_samples, &self->points, &n_points) != 0)
    {
      plab_run_records_free (runs, n_runs);
      g_set_error_literal (error, PLAB_CORE_ERROR, -PLAB_ENOMEM, "Out of memory");
      return FALSE;
    }
  /* The samples borrow the records' backend names, which the points copied. */
  plab_run_records_free (runs, n_runs);
  self->n_points = n_points;

  what = g_strdup_printf ("%s, %zu configurations", group, n_points);
  self->group_footer = make_footer (store, self->run, what);
  self->time_title = g_strdup_printf ("Execution time · %s", self->run->demo);
  self->speedup_title = g_strdup_printf ("Speedup · %s", self->run->demo);

  self->time.title = self->time_title;
  self->time.footer = self->group_footer;
  self->time.points = self->points;
  self->time.n_points = n_points;
  self->time.baseline_ns = plab_time_points_serial_baseline (self->points, n_points);

  self->speedup.title = self->speedup_title;
  self->speedup.footer = self->group_footer;
  self->speedup.series = self->series;
  self->speedup.n_series = plab_speedup_series_from_points (self->points, n_points, self->series,
                                                            PLAB_RUN_DATA_MAX_SERIES);
  self->speedup.fit_amdahl = TRUE;
  return TRUE;
}

static void
load_result (PlabRunData *self)
{
  self->result = plab_json_parse (self->run->result_json ? self->run->result_json : "{}", NULL, 0);
  if (self->result == NULL)
    self->result = plab_json_parse ("{}", NULL, 0);
  self->result_title
      = g_strdup_printf ("Result · %s, run %" G_GINT64_FORMAT, self->run->demo, self->run->id);
  self->result_chart.title = self->result_title;
  self->result_chart.footer = self->footer;
  self->result_chart.result = self->result;
}

static PlabRunData *
load_run (PlabStore *store, gint64 run_id, GCancellable *cancellable, GError **error)
{
  g_autoptr (PlabRunData) self = g_rc_box_new0 (PlabRunData);
  int rc;

  rc = plab_store_get_run (store, run_id, &self->run);
  if (rc != 0)
    {
      if (rc == PLAB_ENOTFOUND)
        g_set_error (error, PLAB_CORE_ERROR, -PLAB_ENOTFOUND,
                     "There is no run %" G_GINT64_FORMAT " in the store", run_id);
      else
        g_set_error (error, PLAB_CORE_ERROR, -PLAB_ESTORE_IO,
                     "Cannot read run %" G_GINT64_FORMAT ": %s", run_id, plab_store_errmsg (store));
      return NULL;
    }
  if (!load_timeline (self, store, cancellable, error) || !load_group (self, store, error))
    return NULL;
  load_result (self);
  return g_steal_pointer (&self);
}

PlabRunData *
plab_run_data_load (PlabStore *store, gint64 run_id, GError **error)
{
  return load_run (store, run_id, NULL, error);
}

/* --- Loading in a worker thread ---
 *
 * The connection is opened and closed on the calling (main) thread and only
 * used in between by the worker: SQLite lets a connection move between
 * threads as long as one uses it at a time, and opening and closing, which
 * look at side files, check the file and may checkpoint the -wal on close,
 * then never overlap the main thread's own use of the store.
 */

typedef struct
{
  PlabStore *store; /* the worker's while it runs; closed by the finish, on the main thread */
  gint64 run_ids[PLAB_RUN_DATA_MAX_LOAD];
  guint n_runs;
} LoadJob;

static void
load_job_free (gpointer data)
{
  LoadJob *job = data;

  /* Only when the finish never ran (it closes the store itself). */
  plab_store_close (job->store);
  g_free (job);
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadJob *job = task_data;
  g_autoptr (GPtrArray) loaded = g_ptr_array_new_with_free_func (unref_cb);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < job->n_runs; i++)
    {
      PlabRunData *data = load_run (job->store, job->run_ids[i], cancellable, &error);

      if (data == NULL)
        break;
      g_ptr_array_add (loaded, data);
    }
  /* Returning is the worker's last use of the store. */
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (!g_task_return_error_if_cancelled (task))
    g_task_return_pointer (task, g_steal_pointer (&loaded), (GDestroyNotify)g_ptr_array_unref);
}

void
plab_run_data_load_async (const char *db_path,
                          const gint64 *run_ids,
                          guint n_runs,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  LoadJob *job;
  int rc;

  g_return_if_fail (n_runs >= 1 && n_runs <= PLAB_RUN_DATA_MAX_LOAD);
  g_task_set_source_tag (task, plab_run_data_load_async);

  job = g_new0 (LoadJob, 1);
  memcpy (job->run_ids, run_ids, n_runs * sizeof (gint64));
  job->n_runs = n_runs;
  g_task_set_task_data (task, job, load_job_free);
  rc = plab_store_open (db_path, PLAB_STORE_READ_ONLY, &job->store);
  if (rc != 0)
    {
      g_task_return_new_error (task, PLAB_CORE_ERROR, -rc, "Cannot open the run store %s: %s (%s)",
                               db_path, plab_strerror (rc), plab_store_open_error ());
      return;
    }
  g_task_run_in_thread (task, load_thread);
}

GPtrArray *
plab_run_data_load_finish (GAsyncResult *result, GError **error)
{
  LoadJob *job;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  /* The worker has returned: the store is the main thread's again. */
  job = g_task_get_task_data (G_TASK (result));
  g_clear_pointer (&job->store, plab_store_close);
  return g_task_propagate_pointer (G_TASK (result), error);
}

PlabTimelineData *
plab_run_data_steal_timeline (PlabRunData *self)
{
  return g_steal_pointer (&self->timeline);
}

char *
plab_run_data_describe (const PlabRunData *self)
{
  const PlabRunRecord *r = self->run;

  if (r->status == PLAB_RUN_OK)
    return g_strdup_printf ("Run %" G_GINT64_FORMAT " · %s × %d · %.3f s", r->id, r->backend,
                            r->workers, (double)r->wall_ns / 1e9);
  return g_strdup_printf ("Run %" G_GINT64_FORMAT " · %s × %d · %s", r->id, r->backend, r->workers,
                          plab_run_status_name (r->status));
}
