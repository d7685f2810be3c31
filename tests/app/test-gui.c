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
#include <math.h>

#include "gui-test-util.h"
#include "hosts-test-util.h"
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

/* @data, when not NULL, is a shell script that stands in for the runner. */
static void
fixture_setup (Fixture *f, gconstpointer data)
{
  app_test_fixture_setup (f, data);
  if (data == NULL)
    app_test_fixture_open (f);
  else
    {
      g_autofree char *runner = g_build_filename (f->tmp.dir, "runner.sh", NULL);

      g_assert_true (g_file_set_contents (runner, data, -1, NULL));
      g_assert_cmpint (g_chmod (runner, 0700), ==, 0);
      f->window = app_test_open_window_with (f->tmp.db, runner, 1440, 900, &f->app);
    }
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
  app_test_select_backend (f->window, "processes");
  gtk_spin_button_set_value (f->window->workers_spin, 2);
  app_test_set_param (f->window, "n", for_pictures () ? 4000 : 20000);
  if (for_pictures ())
    app_test_set_param (f->window, "work", 200000);

  press_ctrl (f, "<Control>r", "win.run");
  g_assert_true (gui_test_wait (app_test_running_cond, f->window, RUN_TIMEOUT_MS));
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
  g_assert_true (gui_test_wait (app_test_loaded_cond, f->window, RUN_TIMEOUT_MS));
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
  app_test_select_backend (f->window, "processes");
  gtk_spin_button_set_value (f->window->workers_spin, 2);
  app_test_set_param (f->window, "n", 5000000);
  app_test_set_param (f->window, "work", 20000);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  /* The timeline grows while the run goes. */
  g_assert_true (gui_test_wait (has_live_spans_cond, f->window, RUN_TIMEOUT_MS));
  gui_test_spin (600);
  assert_not_blank (f, "gui-live.png");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window->progress_bar)));

  t0 = g_get_monotonic_time ();
  press_ctrl (f, "Escape", "win.stop");
  g_assert_true (gui_test_wait (app_test_not_running_cond, f->window, STOP_DEADLINE_MS + 1000));
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
  app_test_select_backend (f->window, "threads");
  app_test_set_param (f->window, "crash_item", 3);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  g_assert_true (gui_test_wait (app_test_running_cond, f->window, RUN_TIMEOUT_MS));
  g_assert_true (gui_test_wait (app_test_not_running_cond, f->window, RUN_TIMEOUT_MS));
  gui_test_spin (300);
  g_assert_true (gtk_revealer_get_reveal_child (f->window->error_revealer));
  text = gtk_label_get_text (f->window->error_label);
  g_test_message ("error shown: %s", text);
  g_assert_nonnull (strstr (text, "crash"));
  assert_not_blank (f, "gui-error.png");
}

/* Sweep on a demo without a worker axis: the sweep controls are
 * insensitive, one line says why, and Ctrl+Shift+R starts no runner, so
 * nothing is recorded. */
static void
test_sweep_refused (Fixture *f, gconstpointer data)
{
  const char *text;
  size_t n;
  PlabRunRecord **runs;

  g_assert_true (plab_window_select_demo (f->window, "cars"));
  g_assert_false (gtk_widget_is_sensitive (f->window->sweep_controls));
  /* Nor does Workers change it: its producers and consumers do, as the
   * tooltip says, and the command leaves -j out. */
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (f->window->workers_spin)));
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (GTK_WIDGET (f->window->workers_spin)),
                            "producers and consumers"));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (f->window->workers_help), "Not used: "));
  {
    g_auto (GStrv) args = _plab_window_build_args (f->window, FALSE);

    g_assert_false (g_strv_contains ((const char *const *)args, "-j"));
  }
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (f->window->sweep_counts_entry)));
  press_ctrl (f, "<Control><Shift>r", "win.sweep");
  gui_test_spin (300);
  g_assert_false (plab_window_is_running (f->window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window->sweep_reason)));
  text = gtk_label_get_text (f->window->sweep_reason);
  g_test_message ("reason shown: %s", text);
  g_assert_nonnull (strstr (text, "cars has no worker axis"));
  g_assert_null (strchr (text, '\n'));
  runs = store_runs (f, &n);
  g_assert_cmpuint (n, ==, 0);
  plab_run_records_free (runs, n);
  assert_not_blank (f, "gui-sweep-refused.png");
}

/* A sweep, the prediction on the speedup chart, two runs compared side by
 * side, presentation mode, and an export through the dialog. */
static void
test_sweep_compare_export (Fixture *f, gconstpointer data)
{
  FinishedRun finished = { f, PLAB_RUN_RUNNING };
  g_autofree char *png = g_build_filename (f->tmp.dir, "speedup.png", NULL);
  g_autofree char *small = g_build_filename (f->tmp.dir, "small.png", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  PlabExportDialog *dialog;
  gsize len;
  gint64 ids[2];
  const PlabRunRecord *a, *b;

  g_assert_true (plab_window_select_demo (f->window, "squares"));
  app_test_select_backend (f->window, for_pictures () ? "processes" : "threads");
  gtk_spin_button_set_value (f->window->workers_spin, 2);
  /* serial, and threads (or processes) on 1 and 2 workers, once each */
  gtk_editable_set_text (GTK_EDITABLE (f->window->sweep_counts_entry), "1,2");
  gtk_spin_button_set_value (f->window->repeat_spin, 1);
  for (int k = PLAB_BACKEND_SERIAL; k <= PLAB_BACKEND_GIL; k++)
    gtk_check_button_set_active (f->window->sweep_checks[k],
                                 k == PLAB_BACKEND_SERIAL
                                     || k
                                            == (for_pictures () ? PLAB_BACKEND_PROCESSES
                                                                : PLAB_BACKEND_THREADS));
  app_test_set_param (f->window, "n", for_pictures () ? 100000 : 20000);
  gtk_editable_set_text (GTK_EDITABLE (f->window->prediction_entry), "1.9");
  g_assert_true (f->window->have_prediction);

  press_ctrl (f, "<Control><Shift>r", "win.sweep");
  g_assert_true (gui_test_wait (app_test_running_cond, f->window, RUN_TIMEOUT_MS));
  g_assert_true (gui_test_wait (app_test_not_running_cond, f->window, RUN_TIMEOUT_MS * 2));
  g_assert_true (gui_test_wait (run_finished_cond, &finished, RUN_TIMEOUT_MS));
  /* For pictures, the "sweep finished" toast has gone by. */
  gui_test_spin (for_pictures () ? 5500 : 400);
  g_assert_true (gui_test_wait (app_test_loaded_cond, f->window, RUN_TIMEOUT_MS));
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
  g_assert_true (gui_test_wait (app_test_loaded_cond, f->window, RUN_TIMEOUT_MS));
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
  g_assert_true (gui_test_wait (app_test_loaded_cond, f->window, RUN_TIMEOUT_MS));
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
  /* A size too small to read is explained under the fields as it is typed,
   * and refused: nothing is written. The projector's type needs more. */
  g_assert_null (plab_export_dialog_get_message (dialog));
  plab_export_dialog_set_size (dialog, 100, 50);
  g_assert_nonnull (plab_export_dialog_get_message (dialog));
  g_assert_nonnull (strstr (plab_export_dialog_get_message (dialog), "too small to read"));
  g_assert_false (plab_export_dialog_write (dialog, small, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "640 x 360"));
  g_clear_error (&error);
  g_assert_false (g_file_test (small, G_FILE_TEST_EXISTS));
  plab_export_dialog_set_size (dialog, 800, 450);
  g_assert_null (plab_export_dialog_get_message (dialog));
  plab_export_dialog_set_theme (dialog, PLAB_THEME_PROJECTOR);
  g_assert_nonnull (strstr (plab_export_dialog_get_message (dialog), "864 x 486"));
  plab_export_dialog_set_theme (dialog, PLAB_THEME_LIGHT);
  plab_export_dialog_set_size (dialog, PLAB_EXPORT_DEFAULT_WIDTH, PLAB_EXPORT_DEFAULT_HEIGHT);
  g_assert_null (plab_export_dialog_get_message (dialog));
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
  app_test_set_param (f->window, "n", 2000);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  g_assert_true (gui_test_wait (run_finished_cond, &finished, RUN_TIMEOUT_MS));
  gui_test_spin (200);
  g_assert_true (gui_test_wait (app_test_loaded_cond, f->window, RUN_TIMEOUT_MS));

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

/* --- The live timeline: spans going on, and what the stream left out --- */

/* Generous: the runner starts, the demo starts, the window rebuilds, on a
 * busy machine. Catches spans that never show, not slow ones. */
#define LIVE_TIMEOUT_MS 30000

typedef struct
{
  PlabWindow *window;
  PlabSpanKind kind;
  const char *label_prefix; /* NULL: any */
  gboolean worker_lane;     /* not lane 0 (the runner) */
  int lane;                 /* only this lane; -1: any */
  PlabEvent found;
} OpenSpanWant;

/* An open span of the wanted kind (and label) in the live timeline's data. */
static gboolean
find_open_span (PlabTimelineData *data, OpenSpanWant *want)
{
  for (size_t i = 0; data != NULL && i < plab_timeline_data_n_spans (data); i++)
    {
      PlabEvent e;

      if (!plab_timeline_data_span_is_open (data, i) || !plab_timeline_data_get_span (data, i, &e)
          || e.kind != want->kind || (want->worker_lane && e.lane == 0)
          || (want->lane >= 0 && e.lane != want->lane))
        continue;
      if (want->label_prefix != NULL && !g_str_has_prefix (e.label, want->label_prefix))
        continue;
      want->found = e;
      return TRUE;
    }
  return FALSE;
}

static gboolean
open_span_cond (gpointer data)
{
  OpenSpanWant *want = data;

  return plab_window_is_running (want->window)
         && find_open_span (plab_timeline_view_get_data (want->window->timeline_view), want);
}

/* An open span as @want->found was, seen again with a later end. */
typedef struct
{
  OpenSpanWant *want;
  int64_t was_end_ns;
} GrowWant;

static gboolean
open_span_grew_cond (gpointer data)
{
  GrowWant *grow = data;

  return open_span_cond (grow->want) && grow->want->found.end_ns > grow->was_end_ns;
}

/* The pixels of lane @lane in the rendered timeline that have the colour of
 * @kind, between times @from_ns and @to_ns. */
static guint
count_kind_pixels (Fixture *f, int lane, PlabSpanKind kind, gint64 from_ns, gint64 to_ns)
{
  GtkWidget *view = GTK_WIDGET (f->window->timeline_view);
  g_autoptr (GdkTexture) shot = gui_test_render (view);
  PlabTimelineData *data = plab_timeline_view_get_data (f->window->timeline_view);
  int w = gdk_texture_get_width (shot), h = gdk_texture_get_height (shot);
  g_autofree guchar *pixels = g_malloc ((gsize)w * h * 4);
  PlabTimelineLayout layout;
  PlabChartStyle style;
  PlabRgba want;
  int row = lane;
  guint n = 0;
  double x0, x1;

  g_assert_true (plab_timeline_view_get_layout (f->window->timeline_view, &layout));
  plab_chart_style_init (&style, plab_timeline_view_get_theme (f->window->timeline_view), 1);
  want = plab_chart_style_span_colour (&style, kind);
  /* A live run has every lane from 0 up, drawn in the order of their numbers. */
  g_assert_nonnull (data);
  g_assert_cmpint (row, <, plab_timeline_data_n_lanes (data));
  x0 = MAX (layout.plot_x, plab_timeline_layout_x (&layout, from_ns));
  x1 = MIN (layout.plot_x + layout.plot_w, plab_timeline_layout_x (&layout, to_ns));
  gdk_texture_download (shot, pixels, (gsize)w * 4);
  for (int y = (int)(layout.lanes_y + row * layout.lane_h);
       y < (int)(layout.lanes_y + (row + 1) * layout.lane_h) && y < h; y++)
    for (int x = (int)x0; x < (int)x1 && x < w; x++)
      {
        const guchar *p = pixels + ((gsize)y * w + x) * 4;
        /* Downloaded as B, G, R, A (GDK_MEMORY_DEFAULT, premultiplied). */
        if (ABS (p[2] - want.r * 255) < 24 && ABS (p[1] - want.g * 255) < 24
            && ABS (p[0] - want.b * 255) < 24)
          n++;
      }
  return n;
}

static void
set_up_list_append (Fixture *f, const char *backend, int workers)
{
  g_assert_true (plab_window_select_demo (f->window, "list-append"));
  app_test_select_backend (f->window, backend);
  gtk_spin_button_set_value (f->window->workers_spin, workers);
  /* Tens of seconds of work: each task lasts far longer than the 5 s the
   * check needs, even on a fast idle machine. */
  app_test_set_param (f->window, "count", 40000000);
}

static void
stop_and_wait (Fixture *f)
{
  press_ctrl (f, "Escape", "win.stop");
  if (plab_window_is_running (f->window))
    gtk_widget_activate_action (GTK_WIDGET (f->window), "win.stop", NULL);
  g_assert_true (gui_test_wait (app_test_not_running_cond, f->window, STOP_DEADLINE_MS));
}

/* A long list_append task is drawn while it runs, as an open span with its
 * label on the worker's lane, in the task colour, growing. */
static void
test_live_open_task (Fixture *f, gconstpointer data)
{
  const char *backend
      = g_test_get_path ()[strlen ("/plab/gui/live-open-task-")] == 's' ? "serial" : "gil";
  gboolean serial = !g_strcmp0 (backend, "serial");
  OpenSpanWant task = { f->window, PLAB_SPAN_TASK, "list_append(", !serial, -1 };
  PlabTimeWindow first;
  PlabEvent was;
  GrowWant grow;

  set_up_list_append (f, backend, serial ? 1 : 2);
  press_ctrl (f, "<Control>r", "win.run");
  g_assert_true (gui_test_wait (open_span_cond, &task, LIVE_TIMEOUT_MS));
  g_test_message ("%s: open task '%s' on lane %d", backend, task.found.label, task.found.lane);
  was = task.found;
  task.lane = was.lane;
  first = plab_timeline_data_extent (plab_timeline_view_get_data (f->window->timeline_view));

  /* It grows with the time, still open (on a loaded machine the next
   * update may take a while: waited for, not slept on). */
  gui_test_spin (1500);
  grow.want = &task;
  grow.was_end_ns = was.end_ns;
  g_assert_true (gui_test_wait (open_span_grew_cond, &grow, LIVE_TIMEOUT_MS));
  g_assert_cmpint (task.found.start_ns, ==, was.start_ns);
  g_assert_cmpint (task.found.end_ns, >, was.end_ns);
  g_assert_cmpint (plab_timeline_data_extent (
                       plab_timeline_view_get_data (f->window->timeline_view))
                       .end_ns,
                   >, first.end_ns);

  /* Painted: the lane has the task colour from the task's start on. */
  gui_test_spin (200);
  g_assert_cmpuint (count_kind_pixels (f, task.found.lane, PLAB_SPAN_TASK, task.found.start_ns,
                                       task.found.end_ns),
                    >, 100);

  if (!serial)
    {
      /* Two threads take turns with the GIL: the waits show beside the tasks. */
      gboolean waits = FALSE;

      for (int tries = 0; tries < LIVE_TIMEOUT_MS / 100 && !waits; tries++)
        {
          PlabTimelineData *d = plab_timeline_view_get_data (f->window->timeline_view);

          for (size_t i = 0; d != NULL && i < plab_timeline_data_n_spans (d) && !waits; i++)
            {
              PlabEvent e;

              waits = plab_timeline_data_get_span (d, i, &e) && e.kind == PLAB_SPAN_GIL_WAIT;
            }
          if (!waits)
            gui_test_spin (100);
        }
      g_assert_true (waits);
      g_assert_true (
          find_open_span (plab_timeline_view_get_data (f->window->timeline_view), &task));
    }
  assert_not_blank (f, serial ? "gui-live-open-task-serial.png" : "gui-live-open-task-gil.png");
  stop_and_wait (f);
}

typedef struct
{
  PlabWindow *window;
  GHashTable *seen; /* labels of sleep spans seen open */
} SleepersSeen;

static gboolean
all_sleepers_seen_cond (gpointer data)
{
  SleepersSeen *s = data;
  PlabTimelineData *d = plab_timeline_view_get_data (s->window->timeline_view);

  for (size_t i = 0; d != NULL && i < plab_timeline_data_n_spans (d); i++)
    {
      PlabEvent e;

      if (plab_timeline_data_span_is_open (d, i) && plab_timeline_data_get_span (d, i, &e)
          && e.kind == PLAB_SPAN_SLEEP && e.lane != 0)
        g_hash_table_add (s->seen, g_strdup_printf ("%d %s", e.lane, e.label));
    }
  return g_hash_table_size (s->seen) >= 4 || !plab_window_is_running (s->window);
}

/* Each sleeper is drawn sleeping while it sleeps, and the finished run holds
 * its four sleeps once, as recorded. */
static void
test_live_sleepers_open (Fixture *f, gconstpointer data)
{
  SleepersSeen seen = { f->window, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL) };
  FinishedRun finished = { f, PLAB_RUN_RUNNING };
  g_autoptr (PlabRunData) run = NULL;
  size_t n_sleeps = 0;

  g_assert_true (plab_window_select_demo (f->window, "sleepers"));
  app_test_select_backend (f->window, "processes");
  gtk_spin_button_set_value (f->window->workers_spin, 4);
  /* The shortest sleeper sleeps 1 unit: seconds, for a window that
   * rebuilds every few hundred milliseconds on a busy machine. */
  app_test_set_param (f->window, "unit_ms", 2000);
  press_ctrl (f, "<Control>r", "win.run");
  g_assert_true (gui_test_wait (app_test_running_cond, f->window, LIVE_TIMEOUT_MS));
  g_assert_true (gui_test_wait (all_sleepers_seen_cond, &seen, LIVE_TIMEOUT_MS));
  g_assert_cmpuint (g_hash_table_size (seen.seen), ==, 4);

  g_assert_true (gui_test_wait (run_finished_cond, &finished, RUN_TIMEOUT_MS));
  g_assert_cmpint (finished.status, ==, PLAB_RUN_OK);
  g_assert_true (gui_test_wait (app_test_loaded_cond, f->window, RUN_TIMEOUT_MS));
  /* The run from the store: nothing open, each sleep once. */
  g_assert_cmpuint (plab_timeline_data_n_open (
                        plab_timeline_view_get_data (f->window->timeline_view)),
                    ==, 0);
  for (size_t i = 0;
       i < plab_timeline_data_n_spans (plab_timeline_view_get_data (f->window->timeline_view)); i++)
    {
      PlabEvent e;

      if (plab_timeline_data_get_span (plab_timeline_view_get_data (f->window->timeline_view), i,
                                       &e)
          && e.kind == PLAB_SPAN_SLEEP)
        n_sleeps++;
    }
  g_assert_cmpuint (n_sleeps, ==, 4);
  g_assert_null (
      plab_timeline_data_get_notice (plab_timeline_view_get_data (f->window->timeline_view)));
  g_hash_table_unref (seen.seen);
}

/* A runner whose stream says it left 1234 events out, then works on. */
static const char left_out_runner[]
    = "#!/bin/sh\n"
      "echo '{\"event\":\"run\",\"id\":1,\"demo\":\"squares\",\"backend\":\"threads\","
      "\"workers\":1,\"repeat\":0,\"sweep\":null,\"seed\":1,\"origin_ns\":0,\"params\":{}}'\n"
      "echo '{\"event\":\"lane\",\"id\":1,\"lane\":1,\"kind\":\"thread\",\"pid\":1,\"tid\":1,"
      "\"name\":\"worker 1\",\"end\":\"running\",\"code\":0,\"signal\":0}'\n"
      "echo '{\"event\":\"spans\",\"id\":1,\"lane\":1,\"spans\":[[0,1000000,\"task\",0,\"x=0\"]],"
      "\"left_out\":1234}'\n"
      "exec sleep 120\n";

static gboolean
notice_cond (gpointer data)
{
  PlabWindow *window = data;
  PlabTimelineData *d = plab_timeline_view_get_data (window->timeline_view);

  return d != NULL && plab_timeline_data_get_notice (d) != NULL;
}

/* Events the stream left out make the live timeline say that its picture
 * is incomplete, and how much is missing. */
static void
test_live_left_out_notice (Fixture *f, gconstpointer data)
{
  PlabTimelineData *d;
  const char *notice;

  g_assert_true (plab_window_select_demo (f->window, "squares"));
  press_ctrl (f, "<Control>r", "win.run");
  g_assert_true (gui_test_wait (notice_cond, f->window, LIVE_TIMEOUT_MS));
  d = plab_timeline_view_get_data (f->window->timeline_view);
  notice = plab_timeline_data_get_notice (d);
  g_test_message ("notice: %s", notice);
  g_assert_nonnull (strstr (notice, "incomplete"));
  g_assert_nonnull (strstr (notice, "1234 events left out"));
  assert_not_blank (f, "gui-live-left-out.png");
  stop_and_wait (f);
}

/* --- A slow window's live picture, thinned by level of detail --- */

/* What a lane of a rendered timeline shows over [0, @end_ns] at width x
 * height pixels: the share of its plot columns with anything drawn across
 * the middle of the lane (*@covered), and the share of ink they hold,
 * weighing each column by how far its colour is from the background towards
 * the solid colour of a task (*@ink): a faint density bar counts for less. */
static void
lane_drawn_busy (PlabTimelineData *data,
                 int lane,
                 gint64 end_ns,
                 const char *name,
                 double *covered,
                 double *ink)
{
  const int w = 1200, h = 400;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  cairo_t *cr = cairo_create (surface);
  PlabTimeWindow window = { 0, end_ns };
  g_autofree char *notice = g_strdup (plab_timeline_data_get_notice (data));
  PlabTimelineLayout layout;
  PlabChartStyle style;
  PlabRgba bg, task;
  const guchar *pixels;
  int stride, y, n = 0, drawn = 0;
  double sum = 0, full;

  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1);
  bg = style.background;
  task = plab_chart_style_span_colour (&style, PLAB_SPAN_TASK);
  full = fabs (task.r - bg.r) + fabs (task.g - bg.g) + fabs (task.b - bg.b);
  /* The notice box is drawn over the top of the lanes: not part of a lane. */
  plab_timeline_data_set_notice (data, NULL);
  plab_timeline_chart_draw (cr, data, &window, &style, w, h);
  plab_timeline_chart_layout (cr, data, &window, &style, w, h, &layout);
  plab_timeline_data_set_notice (data, notice);
  cairo_surface_flush (surface);
  if (g_getenv ("PLAB_SCREENSHOT_DIR") != NULL)
    {
      g_autofree char *path = g_build_filename (g_getenv ("PLAB_SCREENSHOT_DIR"), name, NULL);
      g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
    }
  pixels = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  /* Every lane from 0 up, in the order of their numbers. */
  g_assert_cmpint (lane, <, layout.n_lanes);
  y = (int)(layout.lanes_y + (lane + 0.5) * layout.lane_h);
  for (int x = (int)ceil (layout.plot_x);
       x < (int)floor (plab_timeline_layout_x (&layout, (double)end_ns)) && x < w; x++)
    {
      guint32 p = *(const guint32 *)(pixels + (gsize)y * stride + (gsize)x * 4);
      double d = fabs (((p >> 16) & 0xff) / 255.0 - bg.r) + fabs (((p >> 8) & 0xff) / 255.0 - bg.g)
                 + fabs ((p & 0xff) / 255.0 - bg.b);

      n++;
      drawn += d > 0.03;
      sum += MIN (1.0, d / full);
    }
  g_assert_cmpint (n, >, 100);
  *covered = (double)drawn / n;
  *ink = sum / n;
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}

/* How far the live data of worker lanes 1 and 2 both reach: the latest end
 * of their ended spans and of the intervals of left-out spans, the earlier
 * of the two lanes. What a reader has not been sent yet is latency, not
 * thinning: the comparison stops there. */
static gint64
live_known_end (PlabTimelineData *data)
{
  gint64 end[3] = { 0, 0, 0 };
  PlabTimelineCoverage c;
  PlabEvent e;

  for (size_t i = 0; i < plab_timeline_data_n_spans (data); i++)
    if (!plab_timeline_data_span_is_open (data, i) && plab_timeline_data_get_span (data, i, &e)
        && e.lane >= 1 && e.lane <= 2)
      end[e.lane] = MAX (end[e.lane], e.end_ns);
  for (size_t i = 0; plab_timeline_data_get_coverage (data, i, &c); i++)
    if (c.lane >= 1 && c.lane <= 2)
      end[c.lane] = MAX (end[c.lane], c.end_ns);
  return MIN (end[1], end[2]);
}

typedef struct
{
  PlabWindow *window;
  gint64 min_end_ns;
} ThinnedWant;

/* The live picture has been thinned (the stream left spans out), the run
 * has gone on for a while, and both worker lanes have been heard of for a
 * third of it (on a loaded machine the first lines can come late). */
static gboolean
thinned_cond (gpointer data)
{
  ThinnedWant *want = data;
  PlabTimelineData *d = plab_timeline_view_get_data (want->window->timeline_view);

  return plab_window_is_running (want->window) && d != NULL && want->window->live_left_out > 0
         && plab_timeline_data_extent (d).end_ns >= want->min_end_ns
         && live_known_end (d) > want->min_end_ns / 3;
}

/* With the window's reader slowed down so far that the runner leaves most
 * spans out of its stream, each worker's lane is still drawn as busy as
 * the finished run shows it over the same time: the spans left out are
 * drawn as density, not as an idle lane. */
static void
test_live_slow_reader_busy (Fixture *f, gconstpointer data)
{
  ThinnedWant want = { f->window, 1500000000 };
  FinishedRun finished = { f, PLAB_RUN_RUNNING };
  double live_covered[3], live_ink[3], covered, ink;
  size_t n_coverage;
  gint64 end_ns;

  g_assert_true (plab_window_select_demo (f->window, "squares"));
  app_test_select_backend (f->window, "processes");
  gtk_spin_button_set_value (f->window->workers_spin, 2);
  /* A task per item: thousands of spans a second per worker, a few
   * seconds long even on a fast machine. */
  app_test_set_param (f->window, "n", 300000);
  app_test_set_param (f->window, "chunk_size", 1);
  app_test_set_param (f->window, "work", 20000);
  g_setenv ("PLAB_TEST_SLOW_READER_MS", "30", TRUE);
  press_ctrl (f, "<Control>r", "win.run");
  g_assert_true (gui_test_wait (app_test_running_cond, f->window, LIVE_TIMEOUT_MS));
  g_unsetenv ("PLAB_TEST_SLOW_READER_MS");
  g_assert_true (gui_test_wait (thinned_cond, &want, RUN_TIMEOUT_MS));

  {
    PlabTimelineData *live = plab_timeline_view_get_data (f->window->timeline_view);

    end_ns = live_known_end (live);
    n_coverage = plab_timeline_data_n_coverage (live);
    g_test_message ("live: %" G_GINT64_FORMAT " events left out, %zu coverage intervals, "
                    "%zu spans, known to %.2f s of %.2f s",
                    f->window->live_left_out, n_coverage, plab_timeline_data_n_spans (live),
                    end_ns / 1e9, plab_timeline_data_extent (live).end_ns / 1e9);
    g_assert_cmpint (end_ns, >, 500000000);
    for (int lane = 1; lane <= 2; lane++)
      lane_drawn_busy (live, lane, end_ns, "gui-live-slow-reader-live.png", &live_covered[lane],
                       &live_ink[lane]);
  }

  /* 300,000 tasks under a sanitizer on a loaded machine may take minutes. */
  g_assert_true (gui_test_wait (run_finished_cond, &finished, 4 * RUN_TIMEOUT_MS));
  g_assert_cmpint (finished.status, ==, PLAB_RUN_OK);
  g_assert_true (gui_test_wait (app_test_loaded_cond, f->window, RUN_TIMEOUT_MS));
  for (int lane = 1; lane <= 2; lane++)
    {
      PlabTimelineData *run = plab_timeline_view_get_data (f->window->timeline_view);

      g_assert_nonnull (run);
      g_assert_cmpuint (plab_timeline_data_n_coverage (run), ==, 0);
      lane_drawn_busy (run, lane, end_ns, "gui-live-slow-reader-finished.png", &covered, &ink);
      g_test_message ("lane %d over 0-%.2f s: live %.1f%% drawn (%.1f%% ink), "
                      "finished %.1f%% drawn (%.1f%% ink)",
                      lane, end_ns / 1e9, live_covered[lane] * 100, live_ink[lane] * 100,
                      covered * 100, ink * 100);
      /* The worker was busy, and the live picture says so as much as the run. */
      g_assert_cmpfloat (covered, >, 0.2);
      g_assert_cmpfloat (fabs (live_covered[lane] - covered), <=, 0.10);
      g_assert_cmpfloat (fabs (live_ink[lane] - ink), <=, 0.10);
    }
  /* What was left out was drawn from the stream's summaries of it. */
  g_assert_cmpuint (n_coverage, >, 0);
}

/* Ctrl+R runs squares (@n numbers) on 2 ranks of the backend chosen, mpi:
 * the run ends ok, recorded on mpi, and shows main and one lane per rank. */
static void
run_mpi_squares (Fixture *f, int n_numbers)
{
  FinishedRun finished = { f, PLAB_RUN_RUNNING };
  PlabRunRecord **runs;
  size_t n;

  gtk_spin_button_set_value (f->window->workers_spin, 2);
  app_test_set_param (f->window, "n", n_numbers);
  press_ctrl (f, "<Control>r", "win.run");
  g_assert_true (gui_test_wait (run_finished_cond, &finished, RUN_TIMEOUT_MS));
  g_assert_cmpint (finished.status, ==, PLAB_RUN_OK);
  runs = store_runs (f, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpstr (runs[0]->backend, ==, "mpi");
  g_assert_cmpint (runs[0]->workers, ==, 2);
  g_assert_cmpint (runs[0]->n_spans, >, 0);
  plab_run_records_free (runs, n);
  gui_test_spin (for_pictures () ? 3000 : 400);
  g_assert_true (gui_test_wait (app_test_loaded_cond, f->window, RUN_TIMEOUT_MS));
  g_assert_cmpint (plab_timeline_data_n_lanes (
                       plab_timeline_view_get_data (f->window->timeline_view)),
                   ==, 3);
}

/* The mpi backend is one of the window's backends for squares: Ctrl+R runs
 * the ranks through mpirun, and the run has a lane per rank. Skipped where
 * plab was built without Open MPI or mpirun is missing. */
static void
test_mpi_backend_run (Fixture *f, gconstpointer data)
{
  g_autofree char *rank
      = g_build_filename (g_getenv ("PLAB_BUILD_DIR"), "app", "plab-mpi-rank", NULL);
  g_autofree char *mpirun = g_find_program_in_path ("mpirun");

  if (!g_file_test (rank, G_FILE_TEST_IS_EXECUTABLE) || mpirun == NULL)
    {
      g_test_skip ("plab was built without Open MPI, or there is no mpirun");
      return;
    }
  g_assert_true (plab_window_select_demo (f->window, "squares"));
  app_test_select_backend (f->window, "mpi");
  run_mpi_squares (f, for_pictures () ? 400000 : 20000);
  assert_not_blank (f, "gui-mpi-timeline.png");
}

/* Whether @args holds @flag followed by @value. */
static gboolean
args_have (char **args, const char *flag, const char *value)
{
  for (guint i = 0; args[i] != NULL && args[i + 1] != NULL; i++)
    if (!g_strcmp0 (args[i], flag) && !g_strcmp0 (args[i + 1], value))
      return TRUE;
  return FALSE;
}

/* The host file goes with mpi, for Run and for a Sweep that checks mpi: the
 * row shows only then, a file that cannot be read stops Run with the reason
 * under the field, a readable one goes to the runner as --hosts, and a run
 * on it records one lane per rank. Where this plab cannot run mpi, the
 * backend stays listed with the reason, and neither Run nor Sweep starts. */
static void
test_mpi_host_file (Fixture *f, gconstpointer data)
{
  g_autofree char *hosts = g_build_filename (f->tmp.dir, "hosts", NULL);
  g_autofree char *missing = g_build_filename (f->tmp.dir, "no-such-hosts", NULL);
  const char *unavailable = _plab_window_mpi_unavailable ();
  g_auto (GStrv) run_args = NULL;
  g_auto (GStrv) sweep_args = NULL;

  g_assert_true (plab_window_select_demo (f->window, "squares"));
  app_test_select_backend (f->window, "threads");
  gui_test_spin (100);
  g_assert_false (gtk_widget_get_visible (f->window->hosts_row));
  app_test_select_backend (f->window, "mpi");
  gui_test_spin (100);
  g_assert_true (gtk_widget_get_visible (f->window->hosts_row));
  if (unavailable != NULL)
    {
      g_assert_cmpstr (gtk_label_get_text (f->window->backend_help), ==, unavailable);
      g_assert_false (
          gtk_widget_is_sensitive (GTK_WIDGET (f->window->sweep_checks[PLAB_BACKEND_MPI])));
      g_assert_false (gtk_widget_is_sensitive (f->window->run_button));
      g_test_skip ("plab was built without Open MPI, or there is no mpirun");
      return;
    }

  /* A file that is not there: Run waits, and says why under the field. */
  gtk_editable_set_text (GTK_EDITABLE (f->window->hosts_entry), missing);
  gui_test_spin (100);
  g_assert_false (gtk_widget_is_sensitive (f->window->run_button));
  g_assert_nonnull (
      strstr (gtk_label_get_text (f->window->hosts_help), "Cannot read the host file"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (f->window->hosts_entry), "error"));

  g_assert_true (g_file_set_contents (hosts, "# this machine only\nlocalhost slots=4\n", -1, NULL));
  gtk_editable_set_text (GTK_EDITABLE (f->window->hosts_entry), hosts);
  gui_test_spin (100);
  g_assert_true (gtk_widget_is_sensitive (f->window->run_button));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (f->window->hosts_entry), "error"));
  run_args = _plab_window_build_args (f->window, FALSE);
  g_assert_true (args_have (run_args, "-b", "mpi"));
  g_assert_true (args_have (run_args, "--hosts", hosts));
  g_assert_nonnull (strstr (gtk_label_get_text (f->window->command_label), "--hosts"));

  /* The Sweep panel offers mpi too, and takes the host file along. */
  for (int b = PLAB_BACKEND_SERIAL; b <= PLAB_BACKEND_MPI; b++)
    gtk_check_button_set_active (f->window->sweep_checks[b], b == PLAB_BACKEND_MPI);
  gtk_editable_set_text (GTK_EDITABLE (f->window->sweep_counts_entry), "1,2");
  gui_test_spin (100);
  g_assert_true (_plab_window_sweep_ready (f->window));
  g_assert_cmpint (_plab_window_sweep_count_runs (f->window), ==,
                   2 * gtk_spin_button_get_value_as_int (f->window->repeat_spin));
  sweep_args = _plab_window_build_args (f->window, TRUE);
  g_assert_true (args_have (sweep_args, "-b", "mpi"));
  g_assert_true (args_have (sweep_args, "--sweep", "1,2"));
  g_assert_true (args_have (sweep_args, "--hosts", hosts));

  /* Run on the host file: main and one lane per rank. */
  run_mpi_squares (f, 20000);
}

/* A run over two hosts in the window at 1280 x 720: the timeline groups the
 * ranks by host under main (a band per host in the host column), as the
 * exports do. The run is written by hand, or for the pictures copied from
 * the store PLAB_MPI_HOSTS_STORE names (a real run over two hosts). */
static void
hosts_setup (Fixture *f, gconstpointer data)
{
  const char *real = g_getenv ("PLAB_MPI_HOSTS_STORE");

  app_test_fixture_setup (f, NULL);
  if (real != NULL)
    {
      g_autofree char *bytes = NULL;
      gsize len;

      g_assert_true (g_file_get_contents (real, &bytes, &len, NULL));
      g_assert_true (g_file_set_contents (f->tmp.db, bytes, len, NULL));
    }
  else
    hosts_test_write_run (f->tmp.db, hosts_test_two_hosts, 4);
  f->window = app_test_open_window (f->tmp.db, 1280, 720, &f->app);
  gui_test_spin (300);
}

static void
test_mpi_hosts_timeline (Fixture *f, gconstpointer data)
{
  PlabRunRecord **runs;
  const PlabTimelineData *timeline;
  PlabTimelineLayout layout;
  char host[64], above[64] = "";
  int groups = 0, n_lanes;
  size_t n;

  runs = store_runs (f, &n);
  g_assert_cmpuint (n, >=, 1);
  g_assert_true (plab_history_list_select_run (f->window->history_list, runs[0]->id, FALSE));
  _plab_window_show_run (f->window, runs[0]->id, FALSE);
  plab_run_records_free (runs, n);
  g_assert_true (gui_test_wait (app_test_loaded_cond, f->window, RUN_TIMEOUT_MS));
  gui_test_spin (300);

  timeline = plab_timeline_view_get_data (f->window->timeline_view);
  n_lanes = plab_timeline_data_n_lanes (timeline);
  g_assert_cmpint (n_lanes, >=, 5);
  /* main on top, then each host's ranks together: the group number only
   * ever steps up by one, at a new host. */
  g_assert_cmpint (plab_timeline_data_lane_host (timeline, 0, NULL, 0), ==, -1);
  for (int row = 1; row < n_lanes; row++)
    {
      int group = plab_timeline_data_lane_host (timeline, row, host, sizeof host);

      g_assert_cmpint (group, >=, 0);
      if (strcmp (host, above) != 0)
        {
          g_assert_cmpint (group, ==, groups);
          groups++;
        }
      g_assert_cmpint (group, ==, groups - 1);
      g_strlcpy (above, host, sizeof above);
    }
  g_assert_cmpint (groups, ==, 2);
  g_assert_true (plab_timeline_view_get_layout (f->window->timeline_view, &layout));
  g_assert_cmpfloat (layout.host_w, >, 0);
  /* The run's backend in the setup pane, with its host file field. */
  app_test_select_backend (f->window, "mpi");
  gui_test_spin (200);
  assert_not_blank (f, "gui-mpi-two-hosts.png");
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
  ADD ("/plab/gui/sweep-refused", test_sweep_refused);
  ADD ("/plab/gui/sweep-compare-export", test_sweep_compare_export);
  ADD ("/plab/gui/export-trace", test_export_trace);
  ADD ("/plab/gui/live-open-task-serial", test_live_open_task);
  ADD ("/plab/gui/live-open-task-gil", test_live_open_task);
  ADD ("/plab/gui/live-sleepers-open", test_live_sleepers_open);
  ADD ("/plab/gui/live-slow-reader-busy", test_live_slow_reader_busy);
  ADD ("/plab/gui/mpi-backend-run", test_mpi_backend_run);
  ADD ("/plab/gui/mpi-host-file", test_mpi_host_file);
  gui_test_add ("/plab/gui/mpi-hosts-timeline", Fixture, hosts_setup, test_mpi_hosts_timeline,
                app_test_fixture_teardown);
  if (gui_test_have_display)
    g_test_add ("/plab/gui/live-left-out-notice", Fixture, left_out_runner, fixture_setup,
                test_live_left_out_notice, app_test_fixture_teardown);
  else
    g_test_add_data_func ("/plab/gui/live-left-out-notice", NULL, gui_test_skip);
#undef ADD

  return g_test_run ();
}
