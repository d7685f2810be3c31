/* test-gui-windows.c: more than one window, one store, on a real X server.
 *
 * The lab window reads History from its own connection to the run store,
 * and runs are recorded by whoever runs them: its own runner, another
 * window's, or `plab run` in a terminal. Each test opens the real window on
 * a fresh temporary store and has the real plab binary record runs beside
 * it, then checks what a user of that window would see in History:
 *
 *   run-from-terminal    a run `plab run` records appears, the first one
 *                        before the store file existed; the row the user
 *                        selected, the run shown and the focus stay
 *   running-elsewhere    a run another window is running is listed as
 *                        running, then as ok once it has ended; the window
 *                        that showed it running shows it ended
 *   killed-elsewhere     a run whose runner was killed (it commits nothing
 *                        more) is listed as failed, not running
 *
 * The deadlines are generous (the window looks once a second) and only
 * catch a window that never notices.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>

#include "gui-test-util.h"
#include "tmp-test-util.h"
#include "app-test-util.h"
#include "plab-application.h"
#include "plab-window-private.h"

/* Only against hangs: a busy 2-core machine may be slow. */
#define RUN_TIMEOUT_MS 60000
#define NOTICE_TIMEOUT_MS 30000 /* until History shows what the store says */

typedef AppTestFixture Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  app_test_fixture_setup (f, data);
  app_test_fixture_open (f);
  gui_test_spin (300);
}

/* Starts `plab run DEMO ARGS... --db DB` as a terminal would. */
static GSubprocess *
spawn_plab_run (Fixture *f, const char *const *args)
{
  return app_test_spawn_plab_run (f->tmp.db, args);
}

#define exited_cond app_test_exited_cond

/* Runs `plab run` to its end, while the window's main loop goes on. */
static void
plab_run (Fixture *f, const char *const *args)
{
  app_test_plab_run (f->tmp.db, args, RUN_TIMEOUT_MS);
}

typedef struct
{
  PlabWindow *window;
  gint64 id; /* 0: any run */
  int status;
  guint n_runs; /* 0: any number */
} Listed;

/* Whether the window's History lists run @id (the newest when 0) with
 * @status, and @n_runs runs in all. */
static gboolean
listed_cond (gpointer data)
{
  Listed *want = data;
  PlabHistoryList *history = want->window->history_list;
  guint n = plab_history_list_get_n_runs (history);

  if (want->n_runs > 0 && n != want->n_runs)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      const PlabRunRecord *r = plab_history_list_get_run (history, i);
      if ((want->id == 0 && i == 0) || r->id == want->id)
        return (int)r->status == want->status;
    }
  return FALSE;
}

static void
wait_listed (PlabWindow *window, gint64 id, PlabRunStatus status, guint n_runs)
{
  Listed want = { window, id, (int)status, n_runs };

  if (!gui_test_wait (listed_cond, &want, NOTICE_TIMEOUT_MS))
    g_error ("History never listed run %" G_GINT64_FORMAT " as %s among %u runs (it has %u)", id,
             plab_run_status_name (status), n_runs,
             plab_history_list_get_n_runs (window->history_list));
}

static const char *const small_run[]
    = { "squares", "-b", "serial", "-j", "1", "--set", "n=200", NULL };

/* Runs `plab run` records in the store appear in the open window's History,
 * the first one too, though the store did not exist when the window opened;
 * the run the user picked stays selected and shown, and the focus stays. */
static void
test_run_from_terminal (Fixture *f, gconstpointer data)
{
  gint64 ids[2];
  GtkWidget *focus;

  g_assert_false (g_file_test (f->tmp.db, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (plab_history_list_get_n_runs (f->window->history_list), ==, 0);

  plab_run (f, small_run);
  wait_listed (f->window, 1, PLAB_RUN_OK, 1);

  /* The user picks that run; it is shown. */
  g_assert_true (plab_history_list_select_run (f->window->history_list, 1, FALSE));
  _plab_window_show_run (f->window, 1, FALSE);
  g_assert_true (gui_test_wait (app_test_loaded_cond, f->window, RUN_TIMEOUT_MS));
  g_assert_cmpint (plab_window_get_shown_run (f->window), ==, 1);
  gtk_widget_grab_focus (GTK_WIDGET (f->window->workers_spin));
  gui_test_spin (100);
  focus = gtk_root_get_focus (GTK_ROOT (f->window));
  g_assert_nonnull (focus);

  plab_run (f, small_run);
  wait_listed (f->window, 2, PLAB_RUN_OK, 2);
  g_assert_cmpint (plab_history_list_get_run (f->window->history_list, 0)->id, ==, 2);
  g_assert_cmpuint (plab_history_list_get_selected (f->window->history_list, ids, 2), ==, 1);
  g_assert_cmpint (ids[0], ==, 1);
  g_assert_cmpint (plab_window_get_shown_run (f->window), ==, 1);
  g_assert_true (gtk_root_get_focus (GTK_ROOT (f->window)) == focus);
}

static const char *const long_sleepers[][2] = {
  { "sleepers", "4" },
  { "unit_ms", "2000" }, /* the longest sleeper waits 10 s */
};

typedef struct
{
  PlabWindow *window;
  gboolean running;
} Running;

/* Whether the window is running a run of its own, or not, as wanted. */
static gboolean
running_cond (gpointer data)
{
  Running *want = data;

  return plab_window_is_running (want->window) == want->running;
}

/* Window A runs sleepers; window B, on the same store with a connection of
 * its own, lists the run as running while it goes and as ok once it ended.
 * B, showing the run while it ran, then shows it ended. */
static void
test_running_elsewhere (Fixture *f, gconstpointer data)
{
  PlabWindow *a = f->window, *b;
  const PlabDemo *demo;

  plab_run (f, small_run);
  b = plab_window_new (f->app);
  gtk_window_set_default_size (GTK_WINDOW (b), 1280, 720);
  gtk_window_present (GTK_WINDOW (b));
  wait_listed (b, 1, PLAB_RUN_OK, 1);

  g_assert_true (plab_window_select_demo (a, "sleepers"));
  demo = plab_param_editor_get_demo (a->param_editor);
  for (guint i = 0; i < G_N_ELEMENTS (long_sleepers); i++)
    plab_param_editor_set_value (a->param_editor,
                                 (guint)plab_demo_param_index (demo, long_sleepers[i][0]),
                                 g_ascii_strtod (long_sleepers[i][1], NULL));
  gtk_widget_activate_action (GTK_WIDGET (a), "win.run", NULL);
  g_assert_true (gui_test_wait (running_cond, &(Running){ a, TRUE }, RUN_TIMEOUT_MS));

  wait_listed (b, 2, PLAB_RUN_RUNNING, 2);
  g_assert_true (plab_window_is_running (a));
  /* The user of B looks at the run going on. */
  g_assert_true (plab_history_list_select_run (b->history_list, 2, FALSE));
  _plab_window_show_run (b, 2, FALSE);
  g_assert_true (gui_test_wait (app_test_loaded_cond, b, RUN_TIMEOUT_MS));
  g_assert_cmpint (plab_window_get_shown_run (b), ==, 2);

  g_assert_true (gui_test_wait (running_cond, &(Running){ a, FALSE }, RUN_TIMEOUT_MS));
  wait_listed (b, 2, PLAB_RUN_OK, 2);
  g_assert_true (gui_test_wait (app_test_loaded_cond, b, RUN_TIMEOUT_MS));
  gui_test_spin (1500);
  g_assert_true (gui_test_wait (app_test_loaded_cond, b, RUN_TIMEOUT_MS));
  g_assert_cmpint (plab_window_get_shown_run (b), ==, 2);
  g_assert_cmpint (b->shown->chart->run->status, ==, PLAB_RUN_OK);
  g_assert_false (plab_window_is_running (b));

  gtk_window_destroy (GTK_WINDOW (b));
}

static gboolean
run_in_store_cond (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

/* A runner killed outright writes nothing more: the run stays "running" in
 * the file, and History must still not show it running. */
static void
test_killed_elsewhere (Fixture *f, gconstpointer data)
{
  const char *const args[]
      = { "sleepers", "-b", "threads", "-j", "4", "--set", "unit_ms=2000", NULL };
  g_autoptr (GSubprocess) proc = spawn_plab_run (f, args);

  g_subprocess_wait_async (proc, NULL, NULL, NULL);
  g_assert_true (gui_test_wait (run_in_store_cond, f->tmp.db, RUN_TIMEOUT_MS));
  wait_listed (f->window, 1, PLAB_RUN_RUNNING, 1);
  g_subprocess_send_signal (proc, SIGKILL);
  g_assert_true (gui_test_wait (exited_cond, proc, RUN_TIMEOUT_MS));
  wait_listed (f->window, 1, PLAB_RUN_FAILED, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gui_test_init ();

#define ADD(path, func) gui_test_add (path, Fixture, fixture_setup, func, app_test_fixture_teardown)

  ADD ("/plab/gui-windows/run-from-terminal", test_run_from_terminal);
  ADD ("/plab/gui-windows/running-elsewhere", test_running_elsewhere);
  ADD ("/plab/gui-windows/killed-elsewhere", test_killed_elsewhere);
#undef ADD

  return g_test_run ();
}
