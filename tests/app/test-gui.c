/* test-gui.c: the lab window end to end, on a real X server (Xvfb).
 *
 * Each test starts the application on a fresh temporary run store, with the
 * freshly built plab as its runner, and drives it as a user would: Ctrl+R is
 * a real key press sent through the XTest extension when it is there (else
 * the action the accelerator map names is activated), and what is checked is
 * what a user would see: runs in the SQLite store, the window's pixels, the
 * error banner, files written by the export.
 *
 * With PLAB_SCREENSHOT_DIR set, the rendered window of each step is also
 * saved there as PNG (the README's screenshots come from here).
 */
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "gui-test-util.h"
#include "tmp-test-util.h"
#include "app-test-util.h"
#include "plab-application.h"
#include "plab-export-dialog.h"
#include "plab-window-private.h"
#include "xtest-test-util.h"

/* Generous bounds: a 2-core CI machine under load. */
#define RUN_TIMEOUT_MS 60000 /* only against hangs: a busy machine may be slow */
/* Stop must end the run, not end it fast: the run it stops would take
 * minutes, so this only catches a Stop that does nothing, on a machine
 * however busy (a stop on a loaded 2-core laptop took 2.8 s). */
#define STOP_DEADLINE_MS 60000

typedef AppTestFixture Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  app_test_fixture_setup (f, data);
  app_test_fixture_open (f);
  gui_test_spin (300);
}

/* The runs of the store, newest first (none when the file does not exist yet). */
static PlabRunRecord **
store_runs (Fixture *f, size_t *n)
{
  PlabStore *store = NULL;
  PlabRunRecord **runs = NULL;
  PlabRunFilter filter = { 0 };

  *n = 0;
  if (!g_file_test (f->tmp.db, G_FILE_TEST_EXISTS)
      || plab_store_open (f->tmp.db, PLAB_STORE_READ_ONLY, &store) != 0)
    return NULL;
  if (plab_store_list_runs (store, &filter, &runs, n) != 0)
    *n = 0;
  plab_store_close (store);
  return runs;
}

typedef struct
{
  Fixture *f;
  PlabRunStatus status;
} FinishedRun;

static gboolean
run_finished_cond (gpointer data)
{
  FinishedRun *want = data;
  size_t n;
  PlabRunRecord **runs = store_runs (want->f, &n);
  gboolean done
      = n > 0 && runs[0]->status != PLAB_RUN_RUNNING && !plab_window_is_running (want->f->window);

  if (done)
    want->status = runs[0]->status;
  plab_run_records_free (runs, n);
  return done;
}

static gboolean
is_running_cond (gpointer data)
{
  return plab_window_is_running (data);
}

static gboolean
not_running_cond (gpointer data)
{
  return !plab_window_is_running (data);
}

/* A recorded run is loaded for the views in a worker thread: wait for it. */
static gboolean
loaded_cond (gpointer data)
{
  return !plab_window_is_loading (data);
}

static gboolean
has_live_spans_cond (gpointer data)
{
  PlabWindow *window = data;
  return window->live_spans != NULL && window->live_spans->len > 100
         && plab_timeline_view_get_data (window->timeline_view) != NULL;
}

/* Presses Ctrl+@keysym on the window. A real key press through XTest when
 * the X server has the extension; otherwise the action the application's
 * accelerator map gives for the key is activated, which still checks the map. */
static void
press_ctrl (Fixture *f, const char *accel, const char *want_action)
{
  g_auto (GStrv) actions = gtk_application_get_actions_for_accel (GTK_APPLICATION (f->app), accel);

  g_assert_nonnull (actions);
  g_assert_true (g_strv_contains ((const char *const *)actions, want_action));

  if (!xtest_press_accel (xtest_window_xid (GTK_WIDGET (f->window)), accel))
    gtk_widget_activate_action (GTK_WIDGET (f->window), want_action, NULL);
}

static void
save_screenshot (GdkTexture *texture, const char *name)
{
  const char *dir = g_getenv ("PLAB_SCREENSHOT_DIR");
  g_autofree char *path = NULL;

  if (dir == NULL)
    return;
  path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

static void
assert_not_blank (Fixture *f, const char *name)
{
  g_autoptr (GdkTexture) shot = gui_test_render (GTK_WIDGET (f->window));
  guint colours;
  double fraction;

  gui_test_texture_stats (shot, &colours, &fraction);
  g_test_message ("%s: %u colours, %.1f%% not background", name, colours, fraction * 100);
  /* A laid-out window with a drawn timeline has text, controls and coloured spans. */
  g_assert_cmpuint (colours, >, 16);
  g_assert_cmpfloat (fraction, >, 0.05);
  save_screenshot (shot, name);
}

/* Screenshots for people want runs long enough to show a real speedup;
 * the tests alone keep them short. */
static gboolean
for_pictures (void)
{
  return g_getenv ("PLAB_SCREENSHOT_DIR") != NULL;
}

static void
set_param (Fixture *f, const char *name, double value)
{
  const PlabDemo *demo = plab_param_editor_get_demo (f->window->param_editor);
  int index = plab_demo_param_index (demo, name);

  g_assert_cmpint (index, >=, 0);
  plab_param_editor_set_value (f->window->param_editor, (guint)index, value);
}

static void
select_backend (Fixture *f, const char *backend)
{
  for (guint i = 0; i < f->window->backend_names->len; i++)
    if (!g_strcmp0 (g_ptr_array_index (f->window->backend_names, i), backend))
      {
        gtk_drop_down_set_selected (f->window->backend_dropdown, i);
        return;
      }
  g_assert_not_reached ();
}

/* Ctrl+R runs the selected demo in a runner process; the run lands in the
 * store and the window shows it. */
static void
test_ctrl_r_records_run (Fixture *f, gconstpointer data)
{
  FinishedRun finished = { f, PLAB_RUN_RUNNING };
  size_t n;
  PlabRunRecord **runs;

  g_assert_true (plab_window_select_demo (f->window, "squares"));
  assert_not_blank (f, "gui-start.png");
  select_backend (f, "processes");
  gtk_spin_button_set_value (f->window->workers_spin, 2);
  set_param (f, "n", for_pictures () ? 4000 : 20000);
  if (for_pictures ())
    set_param (f, "work", 200000);

  press_ctrl (f, "<Control>r", "win.run");
  g_assert_true (gui_test_wait (is_running_cond, f->window, RUN_TIMEOUT_MS));
  g_assert_cmpint (plab_runner_client_get_pid (f->window->runner), >, 0);
  g_assert_cmpint (plab_runner_client_get_pid (f->window->runner), !=, getpid ());

  g_assert_true (gui_test_wait (run_finished_cond, &finished, RUN_TIMEOUT_MS));
  g_assert_cmpint (finished.status, ==, PLAB_RUN_OK);
  runs = store_runs (f, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpstr (runs[0]->demo, ==, "squares");
  g_assert_cmpstr (runs[0]->backend, ==, "processes");
  g_assert_cmpint (runs[0]->workers, ==, 2);
  g_assert_cmpint (runs[0]->n_spans, >, 0);

  /* The window shows the run it recorded, in the history and the views. */
  gui_test_spin (for_pictures () ? 5500 : 400);
  g_assert_true (gui_test_wait (loaded_cond, f->window, RUN_TIMEOUT_MS));
  g_assert_cmpint (plab_window_get_shown_run (f->window), ==, runs[0]->id);
  g_assert_cmpuint (plab_history_list_get_n_runs (f->window->history_list), ==, 1);
  g_assert_nonnull (plab_timeline_view_get_data (f->window->timeline_view));
  g_assert_nonnull (plab_chart_view_get_input (f->window->result_view));
  assert_not_blank (f, "gui-timeline.png");
  plab_run_records_free (runs, n);
}

/* Stop ends a long run (it would take minutes); the store says cancelled. */
static void
test_stop_cancels (Fixture *f, gconstpointer data)
{
  FinishedRun finished = { f, PLAB_RUN_RUNNING };
  gint64 t0;

  g_assert_true (plab_window_select_demo (f->window, "squares"));
  select_backend (f, "processes");
  gtk_spin_button_set_value (f->window->workers_spin, 2);
  set_param (f, "n", 5000000);
  set_param (f, "work", 20000);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  /* The timeline grows while the run goes. */
  g_assert_true (gui_test_wait (has_live_spans_cond, f->window, RUN_TIMEOUT_MS));
  gui_test_spin (600);
  assert_not_blank (f, "gui-live.png");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window->progress_bar)));

  t0 = g_get_monotonic_time ();
  press_ctrl (f, "Escape", "win.stop");
  g_assert_true (gui_test_wait (not_running_cond, f->window, STOP_DEADLINE_MS + 1000));
  g_test_message ("stopped after %.0f ms", (g_get_monotonic_time () - t0) / 1000.0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, (STOP_DEADLINE_MS + 500) * 1000);
  g_assert_true (gui_test_wait (run_finished_cond, &finished, RUN_TIMEOUT_MS));
  g_assert_cmpint (finished.status, ==, PLAB_RUN_CANCELLED);
}

/* A runner that refuses its parameters: the user reads why in the window. */
static void
test_failure_is_shown (Fixture *f, gconstpointer data)
{
  const char *text;

  g_assert_true (plab_window_select_demo (f->window, "squares"));
  /* A deliberate crash on the threads backend would take the whole runner
   * down, so the demo refuses it before running. */
  select_backend (f, "threads");
  set_param (f, "crash_item", 3);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  g_assert_true (gui_test_wait (is_running_cond, f->window, RUN_TIMEOUT_MS));
  g_assert_true (gui_test_wait (not_running_cond, f->window, RUN_TIMEOUT_MS));
  gui_test_spin (300);
  g_assert_true (gtk_revealer_get_reveal_child (f->window->error_revealer));
  text = gtk_label_get_text (f->window->error_label);
  g_test_message ("error shown: %s", text);
  g_assert_nonnull (strstr (text, "crash"));
  assert_not_blank (f, "gui-error.png");
}

/* A sweep, the prediction on the speedup chart, two runs compared side by
 * side, presentation mode, and an export through the dialog. */
static void
test_sweep_compare_export (Fixture *f, gconstpointer data)
{
  FinishedRun finished = { f, PLAB_RUN_RUNNING };
  g_autofree char *png = g_build_filename (f->tmp.dir, "speedup.png", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  PlabExportDialog *dialog;
  gsize len;
  gint64 ids[2];
  const PlabRunRecord *a, *b;

  g_assert_true (plab_window_select_demo (f->window, "squares"));
  select_backend (f, for_pictures () ? "processes" : "threads");
  gtk_spin_button_set_value (f->window->workers_spin, 2);
  set_param (f, "n", for_pictures () ? 100000 : 20000);
  gtk_editable_set_text (GTK_EDITABLE (f->window->prediction_entry), "1.9");
  g_assert_true (f->window->have_prediction);

  press_ctrl (f, "<Control><Shift>r", "win.sweep");
  g_assert_true (gui_test_wait (is_running_cond, f->window, RUN_TIMEOUT_MS));
  g_assert_true (gui_test_wait (not_running_cond, f->window, RUN_TIMEOUT_MS * 2));
  g_assert_true (gui_test_wait (run_finished_cond, &finished, RUN_TIMEOUT_MS));
  /* For pictures, the "sweep finished" toast has gone by. */
  gui_test_spin (for_pictures () ? 5500 : 400);
  g_assert_true (gui_test_wait (loaded_cond, f->window, RUN_TIMEOUT_MS));
  /* serial x1, threads x1, threads x2 */
  g_assert_cmpuint (plab_history_list_get_n_runs (f->window->history_list), ==, 3);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (f->window->view_stack), ==, "speedup");
  g_assert_true (f->window->speedup_shown.predicted != NULL);
  g_assert_cmpuint (f->window->speedup_shown.n_series, >=, 1);
  assert_not_blank (f, "gui-speedup.png");

  gtk_stack_set_visible_child_name (f->window->view_stack, "time");
  gui_test_spin (200);
  assert_not_blank (f, "gui-time.png");

  /* Compare threads x2 with serial x1 on one time scale. */
  a = plab_history_list_get_run (f->window->history_list, 0);
  b = plab_history_list_get_run (f->window->history_list, 2);
  plab_history_list_select_run (f->window->history_list, a->id, FALSE);
  plab_history_list_select_run (f->window->history_list, b->id, TRUE);
  g_assert_cmpuint (plab_history_list_get_selected (f->window->history_list, ids, 2), ==, 2);
  g_assert_true (gui_test_wait (loaded_cond, f->window, RUN_TIMEOUT_MS));
  gui_test_spin (300);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window->compare_view)));
  g_assert_nonnull (f->window->compared);
  g_assert_cmpint (plab_timeline_view_get_window (f->window->timeline_view).end_ns, ==,
                   plab_timeline_view_get_window (f->window->compare_view).end_ns);
  assert_not_blank (f, "gui-compare.png");

  /* F5: presentation mode draws every chart with the projector theme. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.presentation", NULL);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (f->window), "presentation"));
  g_assert_false (gtk_widget_get_visible (f->window->sidebar));
  g_assert_cmpint (plab_timeline_view_get_theme (f->window->timeline_view), ==,
                   PLAB_THEME_PROJECTOR);
  plab_history_list_select_run (f->window->history_list, a->id, FALSE);
  gtk_stack_set_visible_child_name (f->window->view_stack, "timeline");
  g_assert_true (gui_test_wait (loaded_cond, f->window, RUN_TIMEOUT_MS));
  gui_test_spin (300);
  assert_not_blank (f, "gui-presentation.png");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.presentation", NULL);
  g_assert_cmpint (plab_timeline_view_get_theme (f->window->timeline_view), !=,
                   PLAB_THEME_PROJECTOR);
  g_assert_true (gtk_widget_get_visible (f->window->sidebar));

  /* Export the speedup chart as PNG, as the dialog does after the file chooser. */
  dialog = plab_export_dialog_new (GTK_WINDOW (f->window), f->tmp.db,
                                   plab_window_get_shown_run (f->window),
                                   f->window->shown->chart->run->sweep_id);
  plab_export_dialog_set_chart (dialog, PLAB_CHART_SPEEDUP);
  gtk_window_present (GTK_WINDOW (dialog));
  gui_test_spin (200);
  {
    g_autoptr (GdkTexture) shot = gui_test_render (GTK_WIDGET (dialog));
    save_screenshot (shot, "gui-export-dialog.png");
  }
  g_assert_true (plab_export_dialog_write (dialog, png, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (png, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 1000);
  g_assert_cmpint (memcmp (contents, "\x89PNG", 4), ==, 0);
}

static void
exported_cb (PlabExportDialog *dialog, const char *path, char **out)
{
  *out = g_strdup (path);
}

static gboolean
string_set_cond (gpointer data)
{
  return *(char **)data != NULL;
}

/* A Chrome trace, written in a worker thread of the window's process. */
static void
test_export_trace (Fixture *f, gconstpointer data)
{
  FinishedRun finished = { f, PLAB_RUN_RUNNING };
  g_autofree char *path = g_build_filename (f->tmp.dir, "run.json", NULL);
  g_autofree char *written = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  PlabExportDialog *dialog;

  g_assert_true (plab_window_select_demo (f->window, "squares"));
  set_param (f, "n", 2000);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  g_assert_true (gui_test_wait (run_finished_cond, &finished, RUN_TIMEOUT_MS));
  gui_test_spin (200);
  g_assert_true (gui_test_wait (loaded_cond, f->window, RUN_TIMEOUT_MS));

  dialog = plab_export_dialog_new (GTK_WINDOW (f->window), f->tmp.db,
                                   plab_window_get_shown_run (f->window), 0);
  plab_export_dialog_set_format (dialog, PLAB_EXPORT_FORMAT_TRACE);
  g_signal_connect (dialog, "exported", G_CALLBACK (exported_cb), &written);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (plab_export_dialog_write (dialog, path, &error));
  g_assert_no_error (error);
  g_assert_true (gui_test_wait (string_set_cond, &written, RUN_TIMEOUT_MS));
  g_assert_cmpstr (written, ==, path);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "traceEvents"));
  g_assert_nonnull (strstr (contents, "x=1"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gui_test_init ();

#define ADD(path, func) gui_test_add (path, Fixture, fixture_setup, func, app_test_fixture_teardown)

  ADD ("/plab/gui/ctrl-r-records-run", test_ctrl_r_records_run);
  ADD ("/plab/gui/stop-cancels", test_stop_cancels);
  ADD ("/plab/gui/failure-is-shown", test_failure_is_shown);
  ADD ("/plab/gui/sweep-compare-export", test_sweep_compare_export);
  ADD ("/plab/gui/export-trace", test_export_trace);
#undef ADD

  return g_test_run ();
}
