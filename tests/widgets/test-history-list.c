/* test-widget-history.c: the history list reading a real run store. */
#include <glib/gstdio.h>

#include "gui-test-util.h"
#include "plab-history-list.h"
#include "tmp-test-util.h"

typedef struct
{
  char *dir;
  char *path;
  PlabStore *store;
  PlabHistoryList *list;
} Fixture;

static gint64
add_run (Fixture *f,
         const char *demo,
         const char *backend,
         int workers,
         PlabRunStatus status,
         gint64 wall_ns)
{
  PlabRunSpec spec = {
    .demo = demo, .backend = backend, .workers = workers, .params_json = "{\"n\": 10}", .seed = 1
  };
  PlabRunOutcome outcome = { .status = status,
                             .wall_ns = wall_ns,
                             .cpu_ns = wall_ns,
                             .check_ok = status == PLAB_RUN_OK,
                             .check_message = "checked",
                             .error = status == PLAB_RUN_FAILED ? "it broke" : NULL };
  int64_t id;

  g_assert_cmpint (plab_store_begin_run (f->store, &spec, &id), ==, 0);
  if (status != PLAB_RUN_RUNNING)
    g_assert_cmpint (plab_store_finish_run (f->store, id, &outcome), ==, 0);
  return id;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = tmp_test_dir_new ("plab-history-XXXXXX", &f->path);
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_WRITE, &f->store), ==, 0);
  f->list = g_object_ref_sink (PLAB_HISTORY_LIST (plab_history_list_new ()));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->list);
  plab_store_close (f->store);
  tmp_test_dir_free (f->dir, f->path);
}

static void
test_lists_newest_first (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gint64 a = add_run (f, "squares", "serial", 1, PLAB_RUN_OK, 412000000);
  gint64 b = add_run (f, "squares", "processes", 2, PLAB_RUN_CANCELLED, 1000000);
  gint64 c = add_run (f, "kde", "threads", 4, PLAB_RUN_FAILED, 5000);
  const PlabRunRecord *r;
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;

  g_assert_cmpuint (plab_history_list_get_n_runs (f->list), ==, 0);
  g_assert_true (plab_history_list_reload (f->list, f->store, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (plab_history_list_get_n_runs (f->list), ==, 3);

  g_assert_cmpint (plab_history_list_get_run (f->list, 0)->id, ==, c);
  g_assert_cmpint (plab_history_list_get_run (f->list, 1)->id, ==, b);
  g_assert_cmpint (plab_history_list_get_run (f->list, 2)->id, ==, a);
  g_assert_null (plab_history_list_get_run (f->list, 3));

  r = plab_history_list_get_run (f->list, 2);
  title = plab_history_list_format_title (r);
  subtitle = plab_history_list_format_subtitle (r);
  g_assert_cmpstr (title, ==, "squares · serial × 1");
  g_assert_nonnull (strstr (subtitle, "412.0 ms"));
  g_assert_nonnull (strstr (subtitle, "ok"));
  g_assert_nonnull (strstr (subtitle, "today"));

  g_free (subtitle);
  subtitle = plab_history_list_format_subtitle (plab_history_list_get_run (f->list, 1));
  g_assert_nonnull (strstr (subtitle, "cancelled"));
  g_free (subtitle);
  subtitle = plab_history_list_format_subtitle (plab_history_list_get_run (f->list, 0));
  g_assert_nonnull (strstr (subtitle, "failed"));
}

static void
selection_cb (PlabHistoryList *list, int *count)
{
  (*count)++;
}

static void
test_selection_survives_reload (Fixture *f, gconstpointer data)
{
  gint64 a = add_run (f, "squares", "threads", 2, PLAB_RUN_OK, 1000000);
  gint64 b = add_run (f, "squares", "processes", 2, PLAB_RUN_OK, 2000000);
  gint64 ids[4];
  int signals = 0;

  g_assert_true (plab_history_list_reload (f->list, f->store, NULL));
  g_signal_connect (f->list, "selection-changed", G_CALLBACK (selection_cb), &signals);

  g_assert_true (plab_history_list_select_run (f->list, a, FALSE));
  g_assert_cmpuint (plab_history_list_get_selected (f->list, ids, 4), ==, 1);
  g_assert_cmpint (ids[0], ==, a);
  g_assert_true (plab_history_list_select_run (f->list, b, TRUE));
  g_assert_cmpuint (plab_history_list_get_selected (f->list, ids, 4), ==, 2);
  g_assert_cmpint (ids[0], ==, b);
  g_assert_cmpint (ids[1], ==, a);
  g_assert_cmpint (signals, >=, 2);
  g_assert_false (plab_history_list_select_run (f->list, 999, FALSE));

  /* A new run arrives: the list grows, the two selected stay selected, and
   * the reload itself announces nothing. */
  signals = 0;
  add_run (f, "squares", "gil", 2, PLAB_RUN_OK, 3000000);
  g_assert_true (plab_history_list_reload (f->list, f->store, NULL));
  g_assert_cmpuint (plab_history_list_get_n_runs (f->list), ==, 3);
  g_assert_cmpuint (plab_history_list_get_selected (f->list, ids, 4), ==, 2);
  g_assert_cmpint (ids[0], ==, b);
  g_assert_cmpint (ids[1], ==, a);
  g_assert_cmpint (signals, ==, 0);

  /* Selecting one alone drops the other. */
  plab_history_list_select_run (f->list, a, FALSE);
  g_assert_cmpuint (plab_history_list_get_selected (f->list, ids, 4), ==, 1);

  g_assert_true (plab_history_list_reload (f->list, NULL, NULL));
  g_assert_cmpuint (plab_history_list_get_n_runs (f->list), ==, 0);
}

static void
test_reads_a_live_store (Fixture *f, gconstpointer data)
{
  PlabStore *reader = NULL;
  gint64 id;

  /* The window reads with its own read-only connection while the runner
   * writes: a run still going is listed as running. */
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &reader), ==, 0);
  id = add_run (f, "squares", "threads", 2, PLAB_RUN_RUNNING, 0);
  g_assert_true (plab_history_list_reload (f->list, reader, NULL));
  g_assert_cmpuint (plab_history_list_get_n_runs (f->list), ==, 1);
  g_assert_cmpint (plab_history_list_get_run (f->list, 0)->id, ==, id);
  g_assert_cmpint (plab_history_list_get_run (f->list, 0)->status, ==, PLAB_RUN_RUNNING);
  plab_store_close (reader);
}

static GtkListBox *
list_box_of (PlabHistoryList *list)
{
  GtkWidget *scroller = gtk_widget_get_first_child (GTK_WIDGET (list));
  GtkWidget *viewport = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scroller));

  return GTK_LIST_BOX (gtk_viewport_get_child (GTK_VIEWPORT (viewport)));
}

static GtkAdjustment *
vadjustment_of (PlabHistoryList *list)
{
  GtkWidget *scroller = gtk_widget_get_first_child (GTK_WIDGET (list));

  return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
}

/* The run of the first row in sight. */
static gint64
first_run_in_sight (PlabHistoryList *list)
{
  double top = gtk_adjustment_get_value (vadjustment_of (list));
  GtkListBoxRow *row = gtk_list_box_get_row_at_y (list_box_of (list), (int)top + 1);

  g_assert_nonnull (row);
  return plab_history_list_get_run (list, (guint)gtk_list_box_row_get_index (row))->id;
}

/* Another window's runs arrive while this list is scrolled down, with a row
 * focused and one selected: the rows of the runs already listed stay the
 * same widgets (so selection and focus stay), the run that was running reads
 * as what it ended as, the new runs come in at the top, and the same runs
 * stay in sight. */
static void
test_reload_in_place (Fixture *f, gconstpointer data)
{
  GtkWidget *window = gtk_window_new ();
  GtkListBox *box = list_box_of (f->list);
  GtkAdjustment *adj = vadjustment_of (f->list);
  PlabRunOutcome ok = { .status = PLAB_RUN_OK, .wall_ns = 7000000, .check_ok = true };
  GtkListBoxRow *running_row, *focused_row, *selected_row;
  gint64 running, in_sight, ids[2];
  guint running_index;

  for (int i = 0; i < 40; i++)
    add_run (f, "squares", "serial", 1, PLAB_RUN_OK, 1000000 + i);
  running = add_run (f, "squares", "threads", 2, PLAB_RUN_RUNNING, 0);
  for (int i = 0; i < 5; i++)
    add_run (f, "squares", "serial", 1, PLAB_RUN_OK, 2000000 + i);

  gtk_window_set_default_size (GTK_WINDOW (window), 320, 400);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (f->list));
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (plab_history_list_reload (f->list, f->store, NULL));
  gui_test_spin (300);
  g_assert_cmpfloat (gtk_adjustment_get_upper (adj), >, 2 * gtk_adjustment_get_page_size (adj));

  running_index = 5;
  g_assert_cmpint (plab_history_list_get_run (f->list, running_index)->id, ==, running);
  running_row = gtk_list_box_get_row_at_index (box, (int)running_index);
  focused_row = gtk_list_box_get_row_at_index (box, 20);
  selected_row = gtk_list_box_get_row_at_index (box, 22);
  g_assert_true (
      plab_history_list_select_run (f->list, plab_history_list_get_run (f->list, 22)->id, FALSE));
  gtk_widget_grab_focus (GTK_WIDGET (focused_row));
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) / 3);
  gui_test_spin (200);
  in_sight = first_run_in_sight (f->list);
  g_assert_cmpint (in_sight, <, running);

  g_assert_cmpint (plab_store_finish_run (f->store, running, &ok), ==, 0);
  for (int i = 0; i < 3; i++)
    add_run (f, "kde", "processes", 2, PLAB_RUN_OK, 3000000 + i);
  g_assert_true (plab_history_list_reload (f->list, f->store, NULL));
  gui_test_spin (300);

  g_assert_cmpuint (plab_history_list_get_n_runs (f->list), ==, 49);
  g_assert_cmpstr (plab_history_list_get_run (f->list, 0)->demo, ==, "kde");
  g_assert_cmpint (plab_history_list_get_run (f->list, running_index + 3)->id, ==, running);
  g_assert_cmpint (plab_history_list_get_run (f->list, running_index + 3)->status, ==, PLAB_RUN_OK);
  g_assert_true (gtk_list_box_get_row_at_index (box, (int)running_index + 3) == running_row);
  g_assert_true (gtk_list_box_get_row_at_index (box, 23) == focused_row);
  g_assert_true (gtk_root_get_focus (GTK_ROOT (window)) == GTK_WIDGET (focused_row));
  g_assert_cmpuint (plab_history_list_get_selected (f->list, ids, 2), ==, 1);
  g_assert_true (gtk_list_box_get_row_at_index (box, 25) == selected_row);
  g_assert_true (gtk_list_box_row_is_selected (selected_row));
  g_assert_cmpint (first_run_in_sight (f->list), ==, in_sight);

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gui_test_init ();

#define ADD(path, func) gui_test_add (path, Fixture, fixture_setup, func, fixture_teardown)

  ADD ("/plab/widget/history/lists-newest-first", test_lists_newest_first);
  ADD ("/plab/widget/history/selection-survives-reload", test_selection_survives_reload);
  ADD ("/plab/widget/history/reads-a-live-store", test_reads_a_live_store);
  ADD ("/plab/widget/history/reload-in-place", test_reload_in_place);
#undef ADD

  return g_test_run ();
}
