/* plab-run-data.c: one recorded run loaded for the lab window's views. */
#include "plab-run-data.h"

#include <gio/gio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "plab-core-error.h"
#include "plab-demo.h"
#include "plab-error.h"

static void
run_data_clear (PlabRunData *self)
{
  g_clear_pointer (&self->chart, plab_chart_data_free);
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

static bool
keep_going_cb (void *user_data)
{
  return !g_cancellable_is_cancelled (user_data);
}

static PlabRunData *
load_run (PlabStore *store, gint64 run_id, GCancellable *cancellable, GError **error)
{
  g_autoptr (PlabRunData) self = g_rc_box_new0 (PlabRunData);
  g_autofree char *title = NULL;
  PlabChartRequest request = { 0 };
  char message[512];
  int rc;

  request.run_id = run_id;
  request.what = PLAB_CHART_LOAD_ALL;
  if (cancellable != NULL)
    {
      request.keep_going = keep_going_cb;
      request.user_data = cancellable;
    }
  rc = plab_chart_data_load (store, &request, &self->chart, message, sizeof message);
  if (rc == PLAB_ECANCELLED)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Loading was cancelled");
      return NULL;
    }
  if (rc != 0)
    {
      /* The loader's messages are lines for a terminal; the window shows a
       * sentence. */
      message[0] = g_ascii_toupper (message[0]);
      g_set_error_literal (error, PLAB_CORE_ERROR, -rc, message);
      return NULL;
    }
  /* On screen the timeline is titled with the run's summary, and its
   * footer is the window's business. */
  title = plab_run_data_describe (self);
  plab_timeline_data_set_caption (self->chart->timeline, title, NULL);
  /* The Result table names the keys its demo labels, in words. */
  self->chart->result_chart.label_for = plab_demo_result_label_for;
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
  return g_steal_pointer (&self->chart->timeline);
}

char *
plab_run_data_describe (const PlabRunData *self)
{
  const PlabRunRecord *r = self->chart->run;

  if (r->status == PLAB_RUN_OK)
    return g_strdup_printf ("Run %" G_GINT64_FORMAT " · %s × %d · %.3f s", r->id, r->backend,
                            r->workers, (double)r->wall_ns / 1e9);
  return g_strdup_printf ("Run %" G_GINT64_FORMAT " · %s × %d · %s", r->id, r->backend, r->workers,
                          plab_run_status_name (r->status));
}
