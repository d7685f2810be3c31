/* plab-history-list.c: the recorded runs of a store, newest first.
 *
 * The runs of one sweep are one group: a header row above them names the
 * sweep (its label, as the runner recorded it, and its number of runs), and
 * the runs under it are indented. The header's button folds the group to its
 * newest run and opens it again. Headers are GtkListBox headers, so every row
 * is still one run, at the index of that run in self->runs.
 */
#include "plab-history-list.h"

#include "plab-error.h"
#include "plab-widgets-private.h"

struct _PlabHistoryList
{
  GtkWidget parent_instance;

  /* Owned */
  GtkWidget *scroller; /* our only child, holding the list box */
  GtkWidget *list;
  GPtrArray *runs;    /* PlabRunRecord, in row order */
  GHashTable *folded; /* sweep ids (gint64 *) whose groups show only their newest run */

  /* Selection changes made by reload () are not announced. */
  gboolean reloading;
};

G_DEFINE_FINAL_TYPE (PlabHistoryList, plab_history_list, GTK_TYPE_WIDGET)

enum
{
  SELECTION_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

char *
plab_history_list_format_title (const PlabRunRecord *run)
{
  return g_strdup_printf ("%s · %s × %d", run->demo, run->backend, run->workers);
}

char *
plab_history_list_format_subtitle (const PlabRunRecord *run)
{
  g_autoptr (GDateTime) when
      = g_date_time_new_from_unix_local (run->started_at_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = NULL;
  g_autofree char *wall = NULL;

  if (when == NULL)
    date = g_strdup ("?");
  else if (g_date_time_get_year (when) == g_date_time_get_year (now)
           && g_date_time_get_day_of_year (when) == g_date_time_get_day_of_year (now))
    date = g_date_time_format (when, "today %H:%M");
  else
    date = g_date_time_format (when, "%d %b %H:%M");
  wall = run->status == PLAB_RUN_RUNNING ? g_strdup ("…")
                                         : _plab_format_duration ((double)run->wall_ns);
  return g_strdup_printf ("%s · %s · %s · run %" G_GINT64_FORMAT, wall,
                          plab_run_status_name (run->status), date, run->id);
}

#define SWEEP_INDENT_PX 14
#define HEADER_MARGIN_END_PX 16

/* What a row shows of @run. */
static GtkWidget *
make_row_content (const PlabRunRecord *run)
{
  g_autofree char *title = plab_history_list_format_title (run);
  g_autofree char *subtitle = plab_history_list_format_subtitle (run);
  g_autofree char *status_class = g_strdup_printf ("status-%s", plab_run_status_name (run->status));
  GtkWidget *box, *text, *label, *sub, *status;

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_add_css_class (box, "history-row");
  text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_hexpand (text, TRUE);
  label = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (label, "heading");
  sub = gtk_label_new (subtitle);
  gtk_label_set_xalign (GTK_LABEL (sub), 0);
  gtk_label_set_ellipsize (GTK_LABEL (sub), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (sub, "dim-label");
  gtk_widget_add_css_class (sub, "caption");
  gtk_box_append (GTK_BOX (text), label);
  gtk_box_append (GTK_BOX (text), sub);

  status = gtk_label_new (plab_run_status_name (run->status));
  gtk_widget_set_valign (status, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (status, "status-pill");
  gtk_widget_add_css_class (status, status_class);

  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), status);
  /* A run of a sweep sits under its sweep's header. */
  if (run->sweep_id != 0)
    {
      gtk_widget_set_margin_start (box, SWEEP_INDENT_PX);
      gtk_widget_add_css_class (box, "in-sweep");
    }
  return box;
}

static GtkWidget *
make_row (const PlabRunRecord *run)
{
  GtkWidget *row = gtk_list_box_row_new ();

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), make_row_content (run));
  gtk_widget_set_tooltip_text (row, "Click to show this run; Ctrl+click a second run to compare");
  return row;
}

/* Whether a row made for @a shows @b as well (its date aside). */
static gboolean
same_row (const PlabRunRecord *a, const PlabRunRecord *b)
{
  return a->id == b->id && a->status == b->status && a->wall_ns == b->wall_ns
         && a->workers == b->workers && a->started_at_us == b->started_at_us
         && !g_strcmp0 (a->demo, b->demo) && !g_strcmp0 (a->backend, b->backend);
}

static void
selected_rows_changed_cb (GtkListBox *list, PlabHistoryList *self)
{
  if (!self->reloading)
    g_signal_emit (self, signals[SELECTION_CHANGED], 0);
}

/* The natural height of @row at the list's width, margins included. */
static int
row_height (PlabHistoryList *self, GtkWidget *row)
{
  int width = gtk_widget_get_width (self->list);
  int height = 0;

  gtk_widget_measure (row, GTK_ORIENTATION_VERTICAL, width > 0 ? width : -1, NULL, &height, NULL,
                      NULL);
  return height;
}

static GtkListBoxRow *
row_at (PlabHistoryList *self, guint index)
{
  return gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->list), (int)index);
}

/* Removes row @index; returns whether it was selected. */
static gboolean
remove_row (PlabHistoryList *self, guint index)
{
  GtkListBoxRow *row = row_at (self, index);
  gboolean selected = gtk_list_box_row_is_selected (row);

  gtk_list_box_remove (GTK_LIST_BOX (self->list), GTK_WIDGET (row));
  g_ptr_array_remove_index (self->runs, index);
  return selected;
}

/* The list becomes @records (taken), row by row: a run still listed keeps
 * its row (so its selection and the keyboard focus stay), which shows the
 * run's new state when it changed, and new runs get rows of their own. Runs
 * listed above the first row in sight move the view by their height, so
 * that a list scrolled down keeps showing the same runs. */
static void
update_rows (PlabHistoryList *self, PlabRunRecord **records, size_t n_records)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));
  double top = gtk_adjustment_get_value (adj);
  GtkListBoxRow *first_seen
      = top > 0 ? gtk_list_box_get_row_at_y (GTK_LIST_BOX (self->list), (int)top) : NULL;
  gboolean above = first_seen != NULL; /* whether row i is above the one in sight */
  g_autoptr (GHashTable) listed = g_hash_table_new (g_int64_hash, g_int64_equal);
  double shift = 0;

  for (size_t i = 0; i < n_records; i++)
    g_hash_table_add (listed, &records[i]->id);

  /* Runs no longer listed (gone from the store, or past the last row). */
  for (guint i = self->runs->len; i-- > 0;)
    {
      const PlabRunRecord *old = g_ptr_array_index (self->runs, i);

      if (g_hash_table_contains (listed, &old->id))
        continue;
      if (first_seen != NULL && gtk_list_box_row_get_index (first_seen) > (int)i)
        shift -= row_height (self, GTK_WIDGET (row_at (self, i)));
      if (row_at (self, i) == first_seen)
        {
          first_seen = NULL;
          above = FALSE;
        }
      remove_row (self, i);
    }

  for (guint i = 0; i < n_records; i++)
    {
      PlabRunRecord *run = g_steal_pointer (&records[i]);
      PlabRunRecord *old = i < self->runs->len ? g_ptr_array_index (self->runs, i) : NULL;
      gboolean selected = FALSE;
      GtkWidget *row;

      if (old != NULL && old->id == run->id)
        {
          if (!same_row (old, run))
            gtk_list_box_row_set_child (row_at (self, i), make_row_content (run));
          g_ptr_array_index (self->runs, i) = run;
          plab_run_record_free (old);
        }
      else
        {
          /* A run listed further down (the order changed): its row moves here. */
          for (guint j = i + 1; j < self->runs->len; j++)
            if (((const PlabRunRecord *)g_ptr_array_index (self->runs, j))->id == run->id)
              {
                selected = remove_row (self, j);
                break;
              }
          row = make_row (run);
          gtk_list_box_insert (GTK_LIST_BOX (self->list), row, (int)i);
          g_ptr_array_insert (self->runs, (int)i, run);
          if (selected)
            gtk_list_box_select_row (GTK_LIST_BOX (self->list), GTK_LIST_BOX_ROW (row));
          if (above)
            shift += row_height (self, row);
        }
      if (row_at (self, i) == first_seen)
        above = FALSE;
    }

  if (shift != 0)
    {
      gtk_adjustment_set_upper (adj, MAX (gtk_adjustment_get_upper (adj),
                                          top + shift + gtk_adjustment_get_page_size (adj)));
      gtk_adjustment_set_value (adj, MAX (0, top + shift));
    }
}

/* How many listed runs sweep @sweep_id has. */
static guint
group_size (PlabHistoryList *self, gint64 sweep_id)
{
  guint n = 0;

  for (guint i = 0; i < self->runs->len; i++)
    if (((const PlabRunRecord *)g_ptr_array_index (self->runs, i))->sweep_id == sweep_id)
      n++;
  return n;
}

char *
plab_history_list_format_group (const PlabRunRecord *run, guint n_runs)
{
  if (run->sweep_label != NULL && run->sweep_label[0] != '\0')
    return g_strdup_printf ("Sweep %" G_GINT64_FORMAT " · %s · %u run%s", run->sweep_id,
                            run->sweep_label, n_runs, n_runs == 1 ? "" : "s");
  return g_strdup_printf ("Sweep %" G_GINT64_FORMAT " · %s · %u run%s", run->sweep_id, run->demo,
                          n_runs, n_runs == 1 ? "" : "s");
}

/* A folded group shows its newest run only (which carries the header). */
static void
apply_folds (PlabHistoryList *self)
{
  for (guint i = 0; i < self->runs->len; i++)
    {
      const PlabRunRecord *run = g_ptr_array_index (self->runs, i);
      const PlabRunRecord *prev = i > 0 ? g_ptr_array_index (self->runs, i - 1) : NULL;
      gboolean first = prev == NULL || prev->sweep_id != run->sweep_id;
      gboolean hidden
          = run->sweep_id != 0 && !first && g_hash_table_contains (self->folded, &run->sweep_id);

      gtk_widget_set_visible (GTK_WIDGET (row_at (self, i)), !hidden);
    }
}

static void
fold_clicked_cb (GtkButton *button, PlabHistoryList *self)
{
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (button), "plab-sweep"));

  plab_history_list_set_folded (self, id, !g_hash_table_contains (self->folded, &id));
}

static GtkWidget *
make_header (PlabHistoryList *self, const PlabRunRecord *run)
{
  gboolean folded = g_hash_table_contains (self->folded, &run->sweep_id);
  g_autofree char *text = plab_history_list_format_group (run, group_size (self, run->sweep_id));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  GtkWidget *button, *label;

  gtk_widget_add_css_class (box, "sweep-header");
  /* Clear of the overlay scroll bar, so that no word of the name is cut. */
  gtk_widget_set_margin_end (box, HEADER_MARGIN_END_PX);
  button = gtk_button_new_from_icon_name (folded ? "pan-end-symbolic" : "pan-down-symbolic");
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text (button, folded ? "Show every run of this sweep"
                                              : "Show only the newest run of this sweep");
  g_object_set_data (G_OBJECT (button), "plab-sweep", GSIZE_TO_POINTER ((gsize)run->sweep_id));
  g_signal_connect (button, "clicked", G_CALLBACK (fold_clicked_cb), self);
  label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (box), button);
  gtk_box_append (GTK_BOX (box), label);
  return box;
}

/* A header above the first (newest) listed run of each sweep. */
static void
header_func (GtkListBoxRow *row, GtkListBoxRow *before, gpointer user_data)
{
  PlabHistoryList *self = user_data;
  int i = gtk_list_box_row_get_index (row);
  const PlabRunRecord *run, *prev;

  /* Mid-update, rows and runs may disagree: update_rows () asks again. */
  if (i < 0 || (guint)i >= self->runs->len)
    {
      gtk_list_box_row_set_header (row, NULL);
      return;
    }
  run = g_ptr_array_index (self->runs, i);
  prev = i > 0 ? g_ptr_array_index (self->runs, i - 1) : NULL;
  if (run->sweep_id == 0 || (prev != NULL && prev->sweep_id == run->sweep_id))
    gtk_list_box_row_set_header (row, NULL);
  else
    gtk_list_box_row_set_header (row, make_header (self, run));
}

void
plab_history_list_set_folded (PlabHistoryList *self, gint64 sweep_id, gboolean folded)
{
  g_return_if_fail (PLAB_IS_HISTORY_LIST (self));

  if (folded)
    g_hash_table_add (self->folded, g_memdup2 (&sweep_id, sizeof sweep_id));
  else
    g_hash_table_remove (self->folded, &sweep_id);
  apply_folds (self);
  gtk_list_box_invalidate_headers (GTK_LIST_BOX (self->list));
}

guint
plab_history_list_get_groups (PlabHistoryList *self, gint64 *sweep_ids, char **titles, guint max)
{
  guint n = 0;

  g_return_val_if_fail (PLAB_IS_HISTORY_LIST (self), 0);

  for (guint i = 0; i < self->runs->len && n < max; i++)
    {
      const PlabRunRecord *run = g_ptr_array_index (self->runs, i);

      if (gtk_list_box_row_get_header (row_at (self, i)) == NULL)
        continue;
      sweep_ids[n] = run->sweep_id;
      if (titles != NULL)
        titles[n] = plab_history_list_format_group (run, group_size (self, run->sweep_id));
      n++;
    }
  return n;
}

gboolean
plab_history_list_reload (PlabHistoryList *self, PlabStore *store, GError **error)
{
  PlabRunFilter filter = { .limit = PLAB_HISTORY_MAX_RUNS };
  PlabRunRecord **records = NULL;
  size_t n_records = 0;
  int rc;

  g_return_val_if_fail (PLAB_IS_HISTORY_LIST (self), FALSE);

  if (store != NULL && (rc = plab_store_list_runs (store, &filter, &records, &n_records)) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot read the recorded runs: %s",
                   plab_store_errmsg (store));
      return FALSE;
    }

  self->reloading = TRUE;
  update_rows (self, records, n_records);
  apply_folds (self);
  gtk_list_box_invalidate_headers (GTK_LIST_BOX (self->list));
  self->reloading = FALSE;
  free (records);
  return TRUE;
}

guint
plab_history_list_get_n_runs (PlabHistoryList *self)
{
  g_return_val_if_fail (PLAB_IS_HISTORY_LIST (self), 0);
  return self->runs->len;
}

const PlabRunRecord *
plab_history_list_get_run (PlabHistoryList *self, guint index)
{
  g_return_val_if_fail (PLAB_IS_HISTORY_LIST (self), NULL);
  return index < self->runs->len ? g_ptr_array_index (self->runs, index) : NULL;
}

guint
plab_history_list_get_selected (PlabHistoryList *self, gint64 *ids, guint max)
{
  guint n = 0;

  g_return_val_if_fail (PLAB_IS_HISTORY_LIST (self), 0);

  for (guint i = 0; i < self->runs->len && n < max; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->list), (int)i);
      if (row != NULL && gtk_list_box_row_is_selected (row))
        ids[n++] = ((const PlabRunRecord *)g_ptr_array_index (self->runs, i))->id;
    }
  return n;
}

gboolean
plab_history_list_select_run (PlabHistoryList *self, gint64 id, gboolean extend)
{
  g_return_val_if_fail (PLAB_IS_HISTORY_LIST (self), FALSE);

  for (guint i = 0; i < self->runs->len; i++)
    if (((const PlabRunRecord *)g_ptr_array_index (self->runs, i))->id == id)
      {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->list), (int)i);
        if (!extend)
          gtk_list_box_unselect_all (GTK_LIST_BOX (self->list));
        gtk_list_box_select_row (GTK_LIST_BOX (self->list), row);
        return TRUE;
      }
  return FALSE;
}

void
plab_history_list_unselect_all (PlabHistoryList *self)
{
  g_return_if_fail (PLAB_IS_HISTORY_LIST (self));
  gtk_list_box_unselect_all (GTK_LIST_BOX (self->list));
}

static void
plab_history_list_dispose (GObject *object)
{
  PlabHistoryList *self = PLAB_HISTORY_LIST (object);

  /* Rows going away with the list are not a selection the user made. */
  if (self->list != NULL)
    g_signal_handlers_disconnect_by_data (self->list, self);
  g_clear_pointer (&self->scroller, gtk_widget_unparent);
  self->list = NULL;
  G_OBJECT_CLASS (plab_history_list_parent_class)->dispose (object);
}

static void
plab_history_list_finalize (GObject *object)
{
  PlabHistoryList *self = PLAB_HISTORY_LIST (object);

  g_clear_pointer (&self->runs, g_ptr_array_unref);
  g_clear_pointer (&self->folded, g_hash_table_unref);
  G_OBJECT_CLASS (plab_history_list_parent_class)->finalize (object);
}

static void
plab_history_list_class_init (PlabHistoryListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = plab_history_list_dispose;
  object_class->finalize = plab_history_list_finalize;

  /* Emitted when the user changed which runs are selected. */
  signals[SELECTION_CHANGED]
      = g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "plabhistory");
}

static void
plab_history_list_init (PlabHistoryList *self)
{
  GtkWidget *placeholder;

  self->runs = g_ptr_array_new_with_free_func ((GDestroyNotify)plab_run_record_free);
  self->folded = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->list), GTK_SELECTION_MULTIPLE);
  gtk_list_box_set_activate_on_single_click (GTK_LIST_BOX (self->list), FALSE);
  gtk_widget_add_css_class (self->list, "navigation-sidebar");
  placeholder = gtk_label_new ("No runs yet.\nPress Run to record one.");
  gtk_label_set_justify (GTK_LABEL (placeholder), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 24);
  gtk_widget_set_margin_bottom (placeholder, 24);
  gtk_list_box_set_placeholder (GTK_LIST_BOX (self->list), placeholder);
  g_signal_connect (self->list, "selected-rows-changed", G_CALLBACK (selected_rows_changed_cb),
                    self);
  gtk_list_box_set_header_func (GTK_LIST_BOX (self->list), header_func, self, NULL);

  self->scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), self->list);
  gtk_widget_set_vexpand (self->scroller, TRUE);
  gtk_widget_set_parent (self->scroller, GTK_WIDGET (self));
}

GtkWidget *
plab_history_list_new (void)
{
  return g_object_new (PLAB_TYPE_HISTORY_LIST, NULL);
}
