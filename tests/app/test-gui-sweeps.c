/* test-gui-sweeps.c: sweeps and the one selection of the window, on a real
 * X server (Xvfb), with the real runner and a real SQLite store.
 *
 *   two-backends       a sweep chosen in the window (serial and threads, on
 *                      1 and 2 workers, twice each) is ONE sweep in the store
 *                      with all its runs, one group in History, and the
 *                      Execution time and Speedup charts hold both backends
 *                      under a title that names the sweep; a plain Run after
 *                      it shows its own configuration under its own title
 *   refused            demos without a worker axis (cars, counter, pipe)
 *                      cannot be swept: the controls are insensitive and one
 *                      line says why; bad worker counts are refused too
 *   selection          selecting an older run of another demo switches the
 *                      demo, lesson and read-only parameters; "Run again
 *                      with these" copies them into the controls; two runs
 *                      selected are named both
 *   prediction         a prediction typed for one demo is never drawn on
 *                      another demo's speedup chart, and comes back with its
 *                      demo
 *   demo-picked        picking a demo in the sidebar shows its newest run,
 *                      or no run at all when it has none
 *   run-repeat         Run with Repeat 3 (chef on processes) goes the way a
 *                      sweep's repeats go: `--repeat 3` on the command line,
 *                      three runs grouped in the store, and the Result gives
 *                      the median wall time with its min-max, and each of its
 *                      numbers (the time saved against the measured for loop)
 *                      over the three; Repeat 1 is a plain run again
 *
 * With PLAB_SCREENSHOT_DIR set, the window at the end of the two-backend
 * sweep is saved there (Execution time and Speedup), and the Result of the
 * repeated chef run (gui-run-repeat-result.png). The deadlines only
 * catch hangs.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "gui-test-util.h"
#include "tmp-test-util.h"
#include "app-test-util.h"
#include "plab-application.h"
#include "plab-window-private.h"

#define RUN_TIMEOUT_MS 120000 /* only against hangs: a busy 2-core machine may be slow */

typedef AppTestFixture Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  app_test_fixture_setup (f, data);
  f->window = app_test_open_window (f->tmp.db, 1280, 720, &f->app);
  gui_test_spin (300);
}

/* Runs `plab run ARGS... --db DB` to its end, as a terminal would. */
static void
plab_run (Fixture *f, const char *const *args)
{
  app_test_plab_run (f->tmp.db, args, RUN_TIMEOUT_MS);
}

/* One number from the store file, with SQLite itself. */
static gint64
sql_int (Fixture *f, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  g_assert_cmpint (sqlite3_open_v2 (f->tmp.db, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static char *
sql_text (Fixture *f, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  g_assert_cmpint (sqlite3_open_v2 (f->tmp.db, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

/* Waits until the window shows run @id, loaded. */
typedef struct
{
  PlabWindow *window;
  gint64 id;
} Shown;

static gboolean
shown_cond (gpointer data)
{
  Shown *want = data;

  return !plab_window_is_loading (want->window)
         && plab_window_get_shown_run (want->window) == want->id;
}

static void
select_and_wait (Fixture *f, gint64 id)
{
  Shown want = { f->window, id };

  g_assert_true (plab_history_list_select_run (f->window->history_list, id, FALSE));
  g_assert_true (gui_test_wait (shown_cond, &want, RUN_TIMEOUT_MS));
  gui_test_spin (100);
}

/* History reads the store once a second: wait until it lists @n runs. */
typedef struct
{
  PlabWindow *window;
  guint n;
} Listed;

static gboolean
listed_cond (gpointer data)
{
  Listed *want = data;

  return plab_history_list_get_n_runs (want->window->history_list) == want->n;
}

static void
wait_listed (Fixture *f, guint n)
{
  Listed want = { f->window, n };

  g_assert_true (gui_test_wait (listed_cond, &want, RUN_TIMEOUT_MS));
}

/* The run History lists with @demo, newest first; 0 when none. */
static gint64
listed_run_of (Fixture *f, const char *demo)
{
  guint n = plab_history_list_get_n_runs (f->window->history_list);

  for (guint i = 0; i < n; i++)
    {
      const PlabRunRecord *r = plab_history_list_get_run (f->window->history_list, i);
      if (!g_strcmp0 (r->demo, demo))
        return r->id;
    }
  return 0;
}

static void
set_sweep (Fixture *f, const char *counts, int repeats, PlabBackend b1, PlabBackend b2)
{
  gtk_editable_set_text (GTK_EDITABLE (f->window->sweep_counts_entry), counts);
  gtk_spin_button_set_value (f->window->repeat_spin, repeats);
  for (int b = PLAB_BACKEND_SERIAL; b <= PLAB_BACKEND_GIL; b++)
    gtk_check_button_set_active (f->window->sweep_checks[b], b == (int)b1 || b == (int)b2);
}

static double
get_param (Fixture *f, const char *name)
{
  int index = plab_demo_param_index (f->window->demo, name);

  g_assert_cmpint (index, >=, 0);
  return plab_param_editor_get_value (f->window->param_editor, (guint)index);
}

static void
save_shot (Fixture *f, const char *page, const char *name)
{
  const char *dir = g_getenv ("PLAB_SCREENSHOT_DIR");
  g_autofree char *path = NULL;
  g_autoptr (GdkTexture) shot = NULL;

  if (dir == NULL)
    return;
  gtk_stack_set_visible_child_name (f->window->view_stack, page);
  gui_test_spin (400);
  shot = gui_test_render (GTK_WIDGET (f->window));
  path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (shot, path));
}

/* History's rows in sight (a folded group hides all but its newest run). */
static guint
visible_rows (Fixture *f)
{
  GtkWidget *list = gtk_widget_get_first_child (
      gtk_widget_get_first_child (GTK_WIDGET (f->window->history_list)));
  guint n = 0;

  while (list != NULL && !GTK_IS_LIST_BOX (list))
    list = gtk_widget_get_first_child (list);
  g_assert_nonnull (list);
  for (int i = 0;; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), i);
      if (row == NULL)
        return n;
      n += gtk_widget_get_visible (GTK_WIDGET (row));
    }
}

/* Whether the time chart has a point of @backend. */
static gboolean
time_has_backend (const PlabChartData *chart, const char *backend)
{
  for (size_t i = 0; i < chart->time.n_points; i++)
    if (!g_strcmp0 (chart->time.points[i].backend, backend))
      return TRUE;
  return FALSE;
}

static void
test_two_backends (Fixture *f, gconstpointer data)
{
  const PlabChartData *chart;
  g_autofree char *label = NULL;
  g_autofree char *title = NULL;
  gint64 sweep_id, groups[4];
  char *titles[4];
  guint n_groups;
  gboolean threads_series = FALSE;

  g_assert_true (plab_window_select_demo (f->window, "squares"));
  app_test_set_param (f->window, "n", 3000);
  app_test_set_param (f->window, "work", 200);
  set_sweep (f, "1,2", 2, PLAB_BACKEND_SERIAL, PLAB_BACKEND_THREADS);
  g_assert_cmpint (_plab_window_sweep_count_runs (f->window), ==, 6);
  gtk_editable_set_text (GTK_EDITABLE (f->window->prediction_entry), "1.9");
  /* The window says what the same sweep is on the command line. */
  g_test_message ("%s", gtk_label_get_text (f->window->command_label));
  g_assert_nonnull (strstr (gtk_label_get_text (f->window->command_label),
                            "Sweep: $ plab run squares -b serial,threads --sweep 1,2 --repeat 2"));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.sweep", NULL);
  g_assert_true (gui_test_wait (app_test_running_cond, f->window, RUN_TIMEOUT_MS));
  g_assert_true (gui_test_wait (app_test_idle_cond, f->window, RUN_TIMEOUT_MS * 2));
  gui_test_spin (300);
  g_assert_true (gui_test_wait (app_test_idle_cond, f->window, RUN_TIMEOUT_MS));

  /* The store: one sweep, and every run in it (serial twice, threads x1
   * and x2 twice each). */
  g_assert_cmpint (sql_int (f, "SELECT COUNT(*) FROM sweeps"), ==, 1);
  sweep_id = sql_int (f, "SELECT id FROM sweeps");
  g_assert_cmpint (sql_int (f, "SELECT COUNT(*) FROM runs"), ==, 6);
  g_assert_cmpint (sql_int (f, "SELECT COUNT(*) FROM runs WHERE sweep_id = (SELECT id FROM sweeps) "
                               "AND status = 'ok'"),
                   ==, 6);
  g_assert_cmpint (sql_int (f, "SELECT COUNT(DISTINCT backend) FROM runs"), ==, 2);
  label = sql_text (f, "SELECT label FROM sweeps");
  g_test_message ("sweep %" G_GINT64_FORMAT ": %s", sweep_id, label);
  g_assert_true (g_str_has_prefix (label, "squares: serial, threads ×1,2 · 2 repeats · "));

  /* History: one group, named after the sweep, holding the six runs. */
  wait_listed (f, 6);
  n_groups = plab_history_list_get_groups (f->window->history_list, groups, titles, 4);
  g_assert_cmpuint (n_groups, ==, 1);
  g_assert_cmpint (groups[0], ==, sweep_id);
  g_test_message ("group: %s", titles[0]);
  g_assert_nonnull (strstr (titles[0], label));
  g_assert_nonnull (strstr (titles[0], "6 runs"));
  g_free (titles[0]);

  /* The charts: both backends, titles naming the sweep. */
  g_assert_nonnull (f->window->shown);
  chart = f->window->shown->chart;
  g_assert_cmpint (chart->run->sweep_id, ==, sweep_id);
  g_assert_true (time_has_backend (chart, "serial"));
  g_assert_true (time_has_backend (chart, "threads"));
  g_assert_cmpuint (chart->time.n_points, ==, 3);
  for (size_t i = 0; i < chart->speedup.n_series; i++)
    threads_series |= !g_strcmp0 (chart->speedup.series[i].name, "threads");
  g_assert_true (threads_series);
  title = g_strdup_printf ("sweep %" G_GINT64_FORMAT " · %s", sweep_id, label);
  g_test_message ("titles: %s | %s", chart->time.title, chart->speedup.title);
  g_assert_nonnull (strstr (chart->time.title, title));
  g_assert_nonnull (strstr (chart->speedup.title, title));
  g_assert_true (f->window->speedup_shown.title == chart->speedup.title);
  /* The prediction made before the sweep is the sweep's: it stays beside
   * it when the entry changes afterwards. */
  g_assert_nonnull (f->window->speedup_shown.predicted);
  gtk_editable_set_text (GTK_EDITABLE (f->window->prediction_entry), "");
  g_assert_false (f->window->have_prediction);
  g_assert_nonnull (f->window->speedup_shown.predicted);
  g_assert_cmpfloat (f->window->speedup_shown.predicted->speedup[1], ==, 1.9);

  /* Folded, the group shows its newest run under its header; open, all six. */
  plab_history_list_set_folded (f->window->history_list, sweep_id, TRUE);
  g_assert_cmpuint (visible_rows (f), ==, 1);
  g_assert_cmpuint (plab_history_list_get_groups (f->window->history_list, groups, NULL, 4), ==, 1);
  plab_history_list_set_folded (f->window->history_list, sweep_id, FALSE);
  g_assert_cmpuint (visible_rows (f), ==, 6);

  save_shot (f, "time", "gui-sweep-time.png");
  save_shot (f, "speedup", "gui-sweep-speedup.png");
  if (g_getenv ("PLAB_SCREENSHOT_DIR") != NULL)
    {
      /* The sweep controls, scrolled into sight. */
      GtkWidget *scroller
          = gtk_widget_get_ancestor (GTK_WIDGET (f->window->sweep_box), GTK_TYPE_SCROLLED_WINDOW);
      GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));

      gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
      save_shot (f, "speedup", "gui-sweep-controls.png");
    }

  /* "Run again with these" on a run of the sweep sets the sweep controls
   * to that sweep again. */
  set_sweep (f, "3", 1, PLAB_BACKEND_PROCESSES, PLAB_BACKEND_PROCESSES);
  g_signal_emit_by_name (f->window->run_again_button, "clicked");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (f->window->sweep_counts_entry)), ==, "1,2");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (f->window->repeat_spin), ==, 2);
  g_assert_true (gtk_check_button_get_active (f->window->sweep_checks[PLAB_BACKEND_SERIAL]));
  g_assert_true (gtk_check_button_get_active (f->window->sweep_checks[PLAB_BACKEND_THREADS]));
  g_assert_false (gtk_check_button_get_active (f->window->sweep_checks[PLAB_BACKEND_PROCESSES]));
  g_assert_cmpint (_plab_window_sweep_count_runs (f->window), ==, 6);

  /* A plain Run afterwards shows its own configuration, and says so. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  g_assert_true (gui_test_wait (app_test_running_cond, f->window, RUN_TIMEOUT_MS));
  g_assert_true (gui_test_wait (app_test_idle_cond, f->window, RUN_TIMEOUT_MS));
  wait_listed (f, 7);
  select_and_wait (f, 7);
  chart = f->window->shown->chart;
  g_assert_cmpint (chart->run->sweep_id, ==, 0);
  g_assert_cmpuint (chart->time.n_points, ==, 1);
  g_test_message ("plain run title: %s", chart->time.title);
  g_assert_nonnull (strstr (chart->time.title, "no sweep"));
  g_assert_null (strstr (chart->time.title, "sweep 1"));
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  const char *demos[] = { "cars", "counter", "pipe" };

  for (guint i = 0; i < G_N_ELEMENTS (demos); i++)
    {
      const char *reason;

      g_assert_true (plab_window_select_demo (f->window, demos[i]));
      g_assert_false (gtk_widget_is_sensitive (f->window->sweep_controls));
      g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window->sweep_reason)));
      reason = gtk_label_get_text (f->window->sweep_reason);
      g_test_message ("%s: %s", demos[i], reason);
      g_assert_nonnull (strstr (reason, "no worker axis"));
      g_assert_nonnull (strstr (reason, demos[i]));
      g_assert_null (strchr (reason, '\n'));
      gtk_widget_activate_action (GTK_WIDGET (f->window), "win.sweep", NULL);
      gui_test_spin (200);
      g_assert_false (plab_window_is_running (f->window));
    }
  g_assert_false (g_file_test (f->tmp.db, G_FILE_TEST_EXISTS));

  /* A demo with a worker axis can be swept, but not over nonsense. */
  g_assert_true (plab_window_select_demo (f->window, "squares"));
  g_assert_true (gtk_widget_is_sensitive (f->window->sweep_controls));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->window->sweep_reason)));
  g_assert_true (_plab_window_sweep_ready (f->window));
  gtk_editable_set_text (GTK_EDITABLE (f->window->sweep_counts_entry), "1,x");
  g_assert_false (_plab_window_sweep_ready (f->window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window->sweep_reason)));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (f->window->sweep_counts_entry), "error"));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.sweep", NULL);
  gui_test_spin (200);
  g_assert_false (plab_window_is_running (f->window));
  gtk_editable_set_text (GTK_EDITABLE (f->window->sweep_counts_entry), "1,2");
  for (int b = PLAB_BACKEND_SERIAL; b <= PLAB_BACKEND_GIL; b++)
    gtk_check_button_set_active (f->window->sweep_checks[b], FALSE);
  g_assert_false (_plab_window_sweep_ready (f->window));
  g_assert_nonnull (strstr (gtk_label_get_text (f->window->sweep_reason), "backend"));
  g_assert_false (g_file_test (f->tmp.db, G_FILE_TEST_EXISTS));
}

static void
test_selection (Fixture *f, gconstpointer data)
{
  const char *const sleepers[] = { "sleepers", "-b",         "threads", "-j",         "3",
                                   "--set",    "unit_ms=30", "--set",   "sleepers=3", NULL };
  const char *const squares[] = { "squares", "-b", "serial", "-j", "1", "--set", "n=500", NULL };
  const PlabDemo *demo;
  const char *shown;
  gint64 old_run, new_run, ids[2];

  plab_run (f, sleepers);
  plab_run (f, squares);
  wait_listed (f, 2);
  old_run = listed_run_of (f, "sleepers");
  new_run = listed_run_of (f, "squares");
  g_assert_cmpint (old_run, >, 0);

  /* The window shows squares; selecting the older sleepers run switches
   * the demo, its lesson and the parameters shown. */
  g_assert_true (plab_window_select_demo (f->window, "squares"));
  select_and_wait (f, new_run);
  g_assert_cmpstr (f->window->demo->name, ==, "squares");
  select_and_wait (f, old_run);
  demo = plab_demo_find ("sleepers");
  g_assert_cmpstr (f->window->demo->name, ==, "sleepers");
  g_assert_cmpstr (gtk_label_get_text (f->window->demo_title), ==, demo->title);
  g_assert_cmpstr (gtk_label_get_text (f->window->demo_lesson), ==, demo->lesson);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window->shown_run_box)));
  shown = gtk_label_get_text (f->window->shown_run_label);
  g_test_message ("shown: %s", shown);
  g_assert_nonnull (strstr (shown, "Unit ms: 30"));
  g_assert_nonnull (strstr (shown, "sleepers · threads × 3"));
  /* The controls still hold the defaults until the user asks. */
  g_assert_cmpfloat (get_param (f, "unit_ms"), !=, 30);

  g_signal_emit_by_name (f->window->run_again_button, "clicked");
  gui_test_spin (100);
  g_assert_cmpfloat (get_param (f, "unit_ms"), ==, 30);
  g_assert_cmpfloat (get_param (f, "sleepers"), ==, 3);
  g_assert_cmpstr (_plab_window_selected_backend (f->window), ==, "threads");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (f->window->workers_spin), ==, 3);

  /* Two runs compared: both are named. */
  g_assert_true (plab_history_list_select_run (f->window->history_list, new_run, FALSE));
  g_assert_true (plab_history_list_select_run (f->window->history_list, old_run, TRUE));
  g_assert_cmpuint (plab_history_list_get_selected (f->window->history_list, ids, 2), ==, 2);
  g_assert_true (gui_test_wait (app_test_idle_cond, f->window, RUN_TIMEOUT_MS));
  gui_test_spin (200);
  shown = gtk_label_get_text (f->window->shown_run_label);
  g_test_message ("compared: %s", shown);
  {
    g_autofree char *a = g_strdup_printf ("Run %" G_GINT64_FORMAT " ", old_run);
    g_autofree char *b = g_strdup_printf ("Run %" G_GINT64_FORMAT " ", new_run);
    g_assert_nonnull (strstr (shown, a));
    g_assert_nonnull (strstr (shown, b));
  }
  g_assert_false (gtk_widget_get_visible (f->window->run_again_button));
}

static void
test_prediction (Fixture *f, gconstpointer data)
{
  const char *const sleepers[]
      = { "sleepers", "-b", "serial,threads", "--sweep", "1,2", "--set", "unit_ms=20", NULL };
  const char *const list_append[]
      = { "list-append", "-b",          "serial,threads", "--sweep",   "1,2",
          "--set",       "count=20000", "--set",          "rounds=10", NULL };
  gint64 sleepers_run, append_run;

  plab_run (f, sleepers);
  plab_run (f, list_append);
  wait_listed (f, 6);
  sleepers_run = listed_run_of (f, "sleepers");
  append_run = listed_run_of (f, "list-append");

  /* The student predicts for sleepers: drawn beside sleepers' measurement. */
  select_and_wait (f, sleepers_run);
  g_assert_cmpstr (f->window->demo->name, ==, "sleepers");
  gtk_editable_set_text (GTK_EDITABLE (f->window->prediction_entry), "1.8");
  g_assert_true (f->window->have_prediction);
  g_assert_cmpuint (f->window->speedup_shown.n_series, >=, 1);
  g_assert_nonnull (f->window->speedup_shown.predicted);

  /* list-append's chart never shows it. */
  select_and_wait (f, append_run);
  g_assert_cmpstr (f->window->demo->name, ==, "list-append");
  g_assert_cmpuint (f->window->speedup_shown.n_series, >=, 1);
  g_assert_null (f->window->speedup_shown.predicted);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (f->window->prediction_entry)), ==, "");
  /* Back on sleepers, the prediction is there again. */
  select_and_wait (f, sleepers_run);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (f->window->prediction_entry)), ==, "1.8");
  g_assert_nonnull (f->window->speedup_shown.predicted);
}

/* Picking a demo in the sidebar takes the views along: to its newest run,
 * or to nothing when it has none; never another demo's run beside its
 * lesson. */
static void
test_demo_picked (Fixture *f, gconstpointer data)
{
  const char *const sleepers[]
      = { "sleepers", "-b", "threads", "-j", "2", "--set", "unit_ms=20", NULL };
  const char *const squares[] = { "squares", "-b", "serial", "-j", "1", "--set", "n=500", NULL };
  Shown want = { f->window, 0 };
  gint64 ids[2];

  plab_run (f, sleepers);
  plab_run (f, squares);
  wait_listed (f, 2);
  select_and_wait (f, listed_run_of (f, "squares"));

  g_assert_true (plab_window_select_demo (f->window, "sleepers"));
  want.id = listed_run_of (f, "sleepers");
  g_assert_true (gui_test_wait (shown_cond, &want, RUN_TIMEOUT_MS));
  g_assert_cmpstr (f->window->shown->chart->run->demo, ==, "sleepers");
  g_assert_cmpuint (plab_history_list_get_selected (f->window->history_list, ids, 2), ==, 1);
  g_assert_cmpint (ids[0], ==, want.id);

  g_assert_true (plab_window_select_demo (f->window, "chef"));
  gui_test_spin (200);
  g_assert_null (f->window->shown);
  g_assert_cmpuint (plab_history_list_get_selected (f->window->history_list, ids, 2), ==, 0);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->window->shown_run_box)));
  g_assert_nonnull (strstr (gtk_label_get_text (f->window->status_label), "No run of chef"));
}

static void
test_run_repeat (Fixture *f, gconstpointer data)
{
  const PlabChartData *chart;
  const char *command;
  gint64 newest;

  g_assert_true (plab_window_select_demo (f->window, "chef"));
  app_test_select_backend (f->window, "processes");
  gtk_spin_button_set_value (f->window->workers_spin, 2);
  app_test_set_param (f->window, "unit_ms", 20);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (f->window->run_repeat_spin), ==, 1);
  command = gtk_label_get_text (f->window->command_label);
  g_assert_null (strstr (command, "-j 2 --repeat"));
  gtk_spin_button_set_value (f->window->run_repeat_spin, 3);
  command = gtk_label_get_text (f->window->command_label);
  g_test_message ("%s", command);
  g_assert_nonnull (strstr (command, "$ plab run chef -b processes -j 2 --repeat 3"));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  g_assert_true (gui_test_wait (app_test_running_cond, f->window, RUN_TIMEOUT_MS));
  g_assert_true (gui_test_wait (app_test_idle_cond, f->window, RUN_TIMEOUT_MS * 2));
  wait_listed (f, 3);
  g_assert_cmpint (sql_int (f, "SELECT COUNT(*) FROM runs WHERE status = 'ok'"), ==, 3);
  g_assert_cmpint (sql_int (f, "SELECT COUNT(DISTINCT sweep_id) FROM runs"), ==, 1);
  newest = sql_int (f, "SELECT MAX(id) FROM runs");
  select_and_wait (f, newest);

  /* The Result: the median of the three and their min-max, and the time
   * saved against the for loop each run measured. */
  chart = f->window->shown->chart;
  g_assert_nonnull (chart->result_chart.spread);
  g_test_message ("%s", chart->result_chart.spread);
  g_assert_nonnull (strstr (chart->result_chart.spread, "median"));
  g_assert_nonnull (strstr (chart->result_chart.spread, "over 3 runs of processes × 2"));
  g_assert_nonnull (plab_json_get (chart->result, "saved_percent"));
  /* Each number of the Result comes with the three runs' spread. */
  g_assert_cmpuint (chart->result_chart.n_repeats, ==, 3);
  g_assert_cmpstr (plab_json_string (plab_json_get (chart->result, "for_loop_from"), ""), ==,
                   "this run");
  save_shot (f, "result", "gui-run-repeat-result.png");

  /* Repeat 1 again: a plain Run, as before. */
  gtk_spin_button_set_value (f->window->run_repeat_spin, 1);
  g_assert_null (strstr (gtk_label_get_text (f->window->command_label), "-j 2 --repeat"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gui_test_init ();

#define ADD(path, func) gui_test_add (path, Fixture, fixture_setup, func, app_test_fixture_teardown)

  ADD ("/plab/gui-sweeps/two-backends", test_two_backends);
  ADD ("/plab/gui-sweeps/refused", test_refused);
  ADD ("/plab/gui-sweeps/selection", test_selection);
  ADD ("/plab/gui-sweeps/prediction", test_prediction);
  ADD ("/plab/gui-sweeps/demo-picked", test_demo_picked);
  ADD ("/plab/gui-sweeps/run-repeat", test_run_repeat);
#undef ADD

  return g_test_run ();
}
