/* plab-history-list.h: the recorded runs of a store, newest first.
 *
 * Each row names the demo, backend and workers, the wall time, the status
 * and when the run started. One run can be selected to show it, or two (Ctrl
 * and click) to compare them. The runs of a sweep are listed as one group,
 * under a header that names the sweep; a group can be folded to its newest
 * run.
 */
#pragma once

#include <gtk/gtk.h>

#include "plab-store.h"

G_BEGIN_DECLS

#define PLAB_TYPE_HISTORY_LIST (plab_history_list_get_type ())
G_DECLARE_FINAL_TYPE (PlabHistoryList, plab_history_list, PLAB, HISTORY_LIST, GtkWidget)

/* At most this many runs are listed; older ones stay in the store. */
#define PLAB_HISTORY_MAX_RUNS 500

GtkWidget *plab_history_list_new (void);

/* Reads the runs of @store (borrowed; NULL empties the list) again, keeping
 * the selection where the runs still exist. Returns FALSE with @error set
 * when the store cannot be read. */
gboolean plab_history_list_reload (PlabHistoryList *self, PlabStore *store, GError **error);

guint plab_history_list_get_n_runs (PlabHistoryList *self);

/* The run shown in row @index (0 is the newest), or NULL. */
const PlabRunRecord *plab_history_list_get_run (PlabHistoryList *self, guint index);

/* The selected runs' ids in list order, at most @max of them; returns how many. */
guint plab_history_list_get_selected (PlabHistoryList *self, gint64 *ids, guint max);

/* Selects run @id alone, or adds it to the selection when @extend. */
gboolean plab_history_list_select_run (PlabHistoryList *self, gint64 id, gboolean extend);

void plab_history_list_unselect_all (PlabHistoryList *self);

/* The two lines of a run's row: "squares · processes × 2" and
 * "0.412 s · ok · today 14:02 · run 12". Free with g_free (). */
char *plab_history_list_format_title (const PlabRunRecord *run);
char *plab_history_list_format_subtitle (const PlabRunRecord *run);

/* A sweep's header: "Sweep 3 · chef: serial, processes ×1,2 · 3 repeats ·
 * 10:42 · 9 runs", from one of its runs. Free with g_free (). */
char *plab_history_list_format_group (const PlabRunRecord *run, guint n_runs);

/* The sweeps listed as groups, in list order, at most @max of them, with
 * their header texts in @titles (free each with g_free ()) when not NULL;
 * returns how many. */
guint plab_history_list_get_groups (PlabHistoryList *self,
                                    gint64 *sweep_ids,
                                    char **titles,
                                    guint max);

/* Folds sweep @sweep_id's group to its newest run, or opens it again. */
void plab_history_list_set_folded (PlabHistoryList *self, gint64 sweep_id, gboolean folded);

G_END_DECLS
