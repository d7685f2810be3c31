/* app-test-util.h: the plab application and its window, for the GUI tests.
 *
 * The tests of app/ drive the window as `plab --db FILE` shows it, with the
 * real runner the build made. Include after gui-test-util.h and
 * tmp-test-util.h.
 */
#pragma once

#include <gtk/gtk.h>

#include "plab-application.h"
#include "plab-param-editor.h"
#include "plab-window-private.h"

/* The plab program of this build: the runner the window starts. */
static G_GNUC_UNUSED char *
app_test_runner_path (void)
{
  const char *build = g_getenv ("PLAB_BUILD_DIR");

  return g_build_filename (build != NULL ? build : "build", "app", "plab", NULL);
}

/* Starts the application on the run store @db, as `plab --db FILE` does, and
 * returns its window, @width by @height. The application goes to @app. */
static G_GNUC_UNUSED PlabWindow *
app_test_open_window_with (const char *db,
                           const char *runner,
                           int width,
                           int height,
                           PlabApplication **app)
{
  g_autoptr (GError) error = NULL;
  PlabWindow *window;

  *app = plab_application_new (db, runner);
  g_application_register (G_APPLICATION (*app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (*app));
  window = PLAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (*app)));
  g_assert_nonnull (window);
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  return window;
}

/* The window of the lab on store @db with the plab program of this build as
 * its runner. */
static G_GNUC_UNUSED PlabWindow *
app_test_open_window (const char *db, int width, int height, PlabApplication **app)
{
  g_autofree char *runner = app_test_runner_path ();

  return app_test_open_window_with (db, runner, width, height, app);
}

/* Starts `plab run ARGS... --db DB` as a terminal would, its output dropped. */
static G_GNUC_UNUSED GSubprocess *
app_test_spawn_plab_run (const char *db, const char *const *args)
{
  g_autofree char *plab = app_test_runner_path ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  GSubprocess *proc;

  g_ptr_array_add (argv, plab);
  g_ptr_array_add (argv, (gpointer) "run");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, (gpointer) "--db");
  g_ptr_array_add (argv, (gpointer)db);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char *const *)argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                            &error);
  g_assert_no_error (error);
  return proc;
}

static G_GNUC_UNUSED gboolean
app_test_exited_cond (gpointer data)
{
  /* The identifier goes once the child is reaped (GLib's child watch). */
  return g_subprocess_get_identifier (data) == NULL;
}

/* Runs `plab run ARGS... --db DB` to a successful end within @timeout_ms,
 * while the window's main loop goes on. */
static G_GNUC_UNUSED void
app_test_plab_run (const char *db, const char *const *args, guint timeout_ms)
{
  g_autoptr (GSubprocess) proc = app_test_spawn_plab_run (db, args);

  g_subprocess_wait_async (proc, NULL, NULL, NULL);
  g_assert_true (gui_test_wait (app_test_exited_cond, proc, timeout_ms));
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
}

/* Conditions for gui_test_wait () on the window @data: it is running a
 * demo; its runner has ended; no load is left; both. */
static G_GNUC_UNUSED gboolean
app_test_running_cond (gpointer data)
{
  return plab_window_is_running (data);
}

static G_GNUC_UNUSED gboolean
app_test_not_running_cond (gpointer data)
{
  return !plab_window_is_running (data);
}

static G_GNUC_UNUSED gboolean
app_test_loaded_cond (gpointer data)
{
  return !plab_window_is_loading (data);
}

static G_GNUC_UNUSED gboolean
app_test_idle_cond (gpointer data)
{
  return !plab_window_is_running (data) && !plab_window_is_loading (data);
}

/* Sets parameter @name of the demo shown in @window's editor, as typing it
 * would. */
static G_GNUC_UNUSED void
app_test_set_param (PlabWindow *window, const char *name, double value)
{
  const PlabDemo *demo = plab_param_editor_get_demo (window->param_editor);
  int index = plab_demo_param_index (demo, name);

  g_assert_cmpint (index, >=, 0);
  plab_param_editor_set_value (window->param_editor, (guint)index, value);
}

/* Picks @backend in @window's backend menu, as a click would. */
static G_GNUC_UNUSED void
app_test_select_backend (PlabWindow *window, const char *backend)
{
  for (guint i = 0; i < window->backend_names->len; i++)
    if (!g_strcmp0 (g_ptr_array_index (window->backend_names, i), backend))
      {
        gtk_drop_down_set_selected (window->backend_dropdown, i);
        return;
      }
  g_assert_not_reached ();
}

/* The fixture of a test of the window: a folder of its own with the run
 * store in it, and the application once app_test_fixture_open () started it. */
typedef struct
{
  TmpTestFixture tmp;
  PlabApplication *app;
  PlabWindow *window;
} AppTestFixture;

static G_GNUC_UNUSED void
app_test_fixture_setup (AppTestFixture *f, gconstpointer data)
{
  tmp_test_fixture_setup (&f->tmp, data);
}

static G_GNUC_UNUSED void
app_test_fixture_open (AppTestFixture *f)
{
  f->window = app_test_open_window (f->tmp.db, 1440, 900, &f->app);
}

static G_GNUC_UNUSED void
app_test_fixture_teardown (AppTestFixture *f, gconstpointer data)
{
  if (f->window != NULL)
    {
      gtk_window_destroy (GTK_WINDOW (f->window));
      /* A load still running answers the destroyed window: let it. */
      gui_test_spin (300);
    }
  g_clear_object (&f->app);
  tmp_test_fixture_teardown (&f->tmp, data);
}

/* How freely the main loop ran while the window loaded a run (or, with
 * @while_running, while its runner ran): app_test_watch_tick_cb (), added
 * with g_timeout_add (), counts its ticks then and the longest gap between
 * two. Until @window is set, every tick counts. */
typedef struct
{
  PlabWindow *window;
  gboolean while_running;
  guint ticks;
  gint64 last_tick_us;
  gint64 max_gap_us;
} AppTestWatch;

static G_GNUC_UNUSED gboolean
app_test_watch_tick_cb (gpointer data)
{
  AppTestWatch *w = data;
  gint64 now = g_get_monotonic_time ();

  if (w->window != NULL
      && !(w->while_running ? plab_window_is_running (w->window)
                            : plab_window_is_loading (w->window)))
    return G_SOURCE_CONTINUE;
  w->ticks++;
  if (w->last_tick_us > 0)
    w->max_gap_us = MAX (w->max_gap_us, now - w->last_tick_us);
  w->last_tick_us = now;
  return G_SOURCE_CONTINUE;
}
