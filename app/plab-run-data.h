/* plab-run-data.h: one recorded run loaded for the lab window's views.
 *
 * Loading goes through the one loader of chart data, plab_chart_data_load ()
 * in ui/charts, as plab export does: the run, its lanes, spans and
 * counters, its result and the group of runs its time and speedup charts
 * compare it with, in one go, so the views draw from memory. This file adds
 * what the window needs on top: reference counting, GError, and loading in a
 * worker thread.
 */
#pragma once

#include <gio/gio.h>

#include "plab-chart-data.h"

G_BEGIN_DECLS

/* A run loaded by the one chart loader (plab-chart-data.h), shared by
 * reference between the window's views. */
typedef struct
{
  PlabChartData *chart;
} PlabRunData;

/* Loads run @run_id from @store. NULL with @error set when it cannot. */
PlabRunData *plab_run_data_load (PlabStore *store, gint64 run_id, GError **error);

/* How many runs one asynchronous load takes: one shown, or two compared. */
#define PLAB_RUN_DATA_MAX_LOAD 2

/* Loads @n_runs runs from the store file @db_path in a worker thread, with a
 * connection of its own, so that a run of millions of spans does not stop
 * the window while it is read and indexed. Cancelling @cancellable stops the
 * reading at its next batch of spans. Call from the main thread, and call
 * plab_run_data_load_finish () in @callback: it closes the connection. */
void plab_run_data_load_async (const char *db_path,
                               const gint64 *run_ids,
                               guint n_runs,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);

/* The loaded runs (PlabRunData, in the order asked for; the array owns
 * them), or NULL with @error set (G_IO_ERROR_CANCELLED when cancelled). */
GPtrArray *plab_run_data_load_finish (GAsyncResult *result, GError **error);

PlabRunData *plab_run_data_ref (PlabRunData *self);
void plab_run_data_unref (PlabRunData *self);

/* A new timeline data set of the run (the loaded one may have been stolen). */
PlabTimelineData *plab_run_data_steal_timeline (PlabRunData *self);

/* "run 12 · processes × 2 · 0.41 s". */
char *plab_run_data_describe (const PlabRunData *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlabRunData, plab_run_data_unref)

G_END_DECLS
