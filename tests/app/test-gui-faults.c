/* test-gui-faults.c: the lab window interrupted mid-run, on a real X server.
 *
 * Each test records two runs with the real plab binary, starts a long run from
 * the window (the runner is the real `plab run --progress`, with worker
 * processes), and interrupts it while it goes:
 *
 *   stop-mid-run        Escape (Stop), a real key press through XTest
 *   stop-gil-long-task  Escape during a long list-append task on gil threads
 *   stop-long-task/B    the same on serial, threads and processes: the runner
 *                       leaves well before the task would have ended
 *   close-mid-run       Ctrl+W closes the window, a real key press
 *   quit-mid-run        Ctrl+Q quits a lab running in a process of its own
 *   gui-killed-mid-run  that process killed with SIGKILL
 *
 * The last two need the lab in another process, since the test must outlive
 * it: this program runs itself with --host, which opens the same
 * PlabApplication on the same display, starts the run and writes the
 * runner's pid and its window's X id to a file.
 *
 * After each interruption the test checks, within generous deadlines that
 * only catch hangs: the runner and its workers are gone, no process is left
 * (this program is a child subreaper, so anything the runner leaves behind
 * re-parents here to be seen), nothing of ours is in /dev/shm, the store
 * passes PRAGMA integrity_check, the two earlier runs are byte for byte what
 * they were, and the interrupted run is recorded cancelled with the spans it
 * had made.
 */
#include <gdk/x11/gdkx.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "gui-test-util.h"
#include "tmp-test-util.h"
#include "app-test-util.h"
#include "plab-application.h"
#include "plab-window-private.h"
#include "xtest-test-util.h"

/* Generous bounds for a loaded 2-core machine: they catch hangs only. */
#define START_TIMEOUT_MS 60000 /* until the run is going and has drawn spans */
#define END_TIMEOUT_MS 60000   /* until the runner has gone after the fault */
#define CLEAN_TIMEOUT_MS 60000 /* until every process it left has gone */

/* --- Processes --- */

static GPid xvfb_pid;

static GArray *
children_of (int pid)
{
  GArray *kids = g_array_new (FALSE, FALSE, sizeof (int));
  g_autofree char *task_dir = g_strdup_printf ("/proc/%d/task", pid);
  g_autoptr (GDir) dir = g_dir_open (task_dir, 0, NULL);
  const char *tid;

  while (dir != NULL && (tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s/children", task_dir, tid);
      g_autofree char *text = NULL;
      g_auto (GStrv) words = NULL;

      if (!g_file_get_contents (path, &text, NULL, NULL))
        continue;
      words = g_strsplit_set (g_strstrip (text), " ", -1);
      for (guint i = 0; words[i] != NULL; i++)
        if (words[i][0] != '\0')
          {
            int kid = atoi (words[i]);
            g_array_append_val (kids, kid);
          }
    }
  return kids;
}

/* The state letter of a process ('Z' for a zombie), or 0 when it is gone. */
static char
proc_state (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *text = NULL;
  const char *paren;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  paren = strrchr (text, ')');
  return paren != NULL && paren[1] == ' ' ? paren[2] : 0;
}

/* Every process below this one but the X server (and @also_skip, a child
 * GLib is watching). */
static GArray *
our_descendants (int also_skip)
{
  GArray *all = g_array_new (FALSE, FALSE, sizeof (int));
  GArray *todo = g_array_new (FALSE, FALSE, sizeof (int));
  int self = getpid ();

  g_array_append_val (todo, self);
  while (todo->len > 0)
    {
      int pid = g_array_index (todo, int, todo->len - 1);
      g_autoptr (GArray) kids = NULL;

      g_array_remove_index (todo, todo->len - 1);
      kids = children_of (pid);
      for (guint i = 0; i < kids->len; i++)
        {
          int kid = g_array_index (kids, int, i);

          if (kid == xvfb_pid || kid == also_skip)
            continue;
          g_array_append_val (all, kid);
          g_array_append_val (todo, kid);
        }
    }
  g_array_unref (todo);
  return all;
}

/* Reaps zombies that re-parented here (orphans of a runner), never a child
 * that a GSubprocess owns (@keep). */
static void
reap_orphans (int keep)
{
  g_autoptr (GArray) kids = children_of (getpid ());

  for (guint i = 0; i < kids->len; i++)
    {
      int kid = g_array_index (kids, int, i);

      if (kid != xvfb_pid && kid != keep && proc_state (kid) == 'Z')
        waitpid (kid, NULL, WNOHANG);
    }
}

typedef struct
{
  int keep;
  GString *left;
} Leftovers;

static gboolean
no_descendants_cond (gpointer data)
{
  Leftovers *l = data;
  g_autoptr (GArray) left = NULL;

  reap_orphans (l->keep);
  left = our_descendants (l->keep);
  g_string_truncate (l->left, 0);
  for (guint i = 0; i < left->len; i++)
    {
      int pid = g_array_index (left, int, i);
      g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", pid);
      g_autofree char *cmd = NULL;
      gsize len = 0;

      if (g_file_get_contents (path, &cmd, &len, NULL))
        for (gsize k = 0; k + 1 < len; k++)
          if (cmd[k] == '\0')
            cmd[k] = ' ';
      g_string_append_printf (l->left, "%s%d (%c: %s)", i ? ", " : "", pid, proc_state (pid),
                              cmd ? cmd : "?");
    }
  return left->len == 0;
}

/* Asserts that no process is left below this one (but @keep, a GSubprocess
 * still being watched); kills what is left so later tests start clean. */
static void
assert_no_descendants (int keep)
{
  Leftovers l = { keep, g_string_new (NULL) };
  gboolean clean = gui_test_wait (no_descendants_cond, &l, CLEAN_TIMEOUT_MS);

  if (!clean)
    {
      g_autoptr (GArray) left = our_descendants (keep);

      for (guint i = 0; i < left->len; i++)
        kill (g_array_index (left, int, i), SIGKILL);
      g_test_message ("left behind: %s", l.left->str);
    }
  g_assert_true (clean);
  g_string_free (l.left, TRUE);
}

/* Entries of /dev/shm made by any of @pids: plab names its segments
 * plab.<creator pid>.<name>. (Other programs, other labs' tests among them,
 * may use /dev/shm at the same time.) */
static GPtrArray *
shm_entries (GArray *pids)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) dir = g_dir_open ("/dev/shm", 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      int pid = 0;

      if (sscanf (name, "plab.%d.", &pid) != 1)
        continue;
      for (guint i = 0; i < pids->len; i++)
        if (g_array_index (pids, int, i) == pid)
          g_ptr_array_add (names, g_strdup (name));
    }
  return names;
}

/* Notes the runner @pid and its workers as processes of this test. */
static void
note_runner (GArray *pids, int pid)
{
  g_autoptr (GArray) kids = children_of (pid);

  g_array_append_val (pids, pid);
  g_array_append_vals (pids, kids->data, kids->len);
}

/* --- The store --- */

/* One text for a run: its row and every lane, span and counter, in order. */
static char *
run_fingerprint (const char *db, gint64 run_id)
{
  static const char *const queries[]
      = { "SELECT id, demo, backend, workers, params, seed, status, started_at_us, wall_ns, "
          "cpu_ns, result, check_ok, check_message, error, sweep_id, repeat, n_spans "
          "FROM runs WHERE id = ?1",
          "SELECT * FROM lanes WHERE run_id = ?1 ORDER BY lane",
          "SELECT * FROM spans WHERE run_id = ?1 ORDER BY lane, start_ns, seq",
          "SELECT * FROM counters WHERE run_id = ?1 ORDER BY lane, name, t_ns, value" };
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  sqlite3 *con = NULL;
  guint rows = 0;

  g_assert_cmpint (sqlite3_open_v2 (db, &con, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (con, queries[q], -1, &stmt, NULL), ==, SQLITE_OK);
      sqlite3_bind_int64 (stmt, 1, run_id);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          for (int c = 0; c < sqlite3_column_count (stmt); c++)
            {
              const unsigned char *text = sqlite3_column_text (stmt, c);
              g_checksum_update (sum, text ? text : (const guchar *)"<null>", -1);
              g_checksum_update (sum, (const guchar *)"|", 1);
            }
          rows++;
        }
      sqlite3_finalize (stmt);
    }
  sqlite3_close (con);
  return g_strdup_printf ("%u rows, %s", rows, g_checksum_get_string (sum));
}

static gint64
query_int (const char *db, const char *sql, gint64 arg)
{
  sqlite3 *con = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  g_assert_cmpint (sqlite3_open_v2 (db, &con, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (con, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, arg);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (con);
  return value;
}

static char *
query_text (const char *db, const char *sql, gint64 arg)
{
  sqlite3 *con = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  g_assert_cmpint (sqlite3_open_v2 (db, &con, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (con, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, arg);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    value = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (con);
  return value;
}

/* --- The lab under test --- */

typedef struct
{
  char *dir;
  char *db;
  char *runner;
  GArray *seen_pids; /* the runner and its workers */
  gint64 earlier[2];
  char *earlier_print[2];

  /* In this process */
  PlabApplication *app;
  PlabWindow *window; /* weak: closing the window clears it */

  /* In a process of its own */
  GSubprocess *host;
  int host_runner_pid;
  gulong host_xid;
} Fixture;

static void
plab_run (Fixture *f, const char *const *args, int want_status)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_ptr_array_add (argv, f->runner);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *)args[i]);
  g_ptr_array_add (argv, (char *)"--db");
  g_ptr_array_add (argv, f->db);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                               NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != want_status)
    g_error ("plab %s exited with status %d: %s", args[0], status, err);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  const char *const ok_run[] = { "run",   "squares", "-b",    "processes",       "-j", "2",
                                 "--set", "n=20000", "--set", "item_spans=true", NULL };
  const char *const crash_run[]
      = { "run",   "squares",      "-b",    "processes",       "-j", "2", "--set", "n=20000",
          "--set", "crash_item=9", "--set", "item_spans=true", NULL };

  f->dir = tmp_test_dir_new ("plab-gui-faults-XXXXXX", &f->db);
  f->runner = app_test_runner_path ();
  f->seen_pids = g_array_new (FALSE, FALSE, sizeof (int));

  plab_run (f, ok_run, 0);
  plab_run (f, crash_run, 1);
  for (int i = 0; i < 2; i++)
    {
      f->earlier[i] = i + 1;
      f->earlier_print[i] = run_fingerprint (f->db, f->earlier[i]);
      g_assert_nonnull (strstr (f->earlier_print[i], "rows"));
    }
  g_assert_cmpint (query_int (f->db, "SELECT count(*) FROM runs WHERE ?1", 1), ==, 2);
}

static gboolean
window_idle_cond (gpointer data)
{
  Fixture *f = data;

  return f->window == NULL
         || (!plab_window_is_running (f->window) && !_plab_window_is_loading (f->window));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  /* A load of the shown run still in its worker thread would keep the
   * window, and with it this application, alive into the next test, beside
   * that test's own application. */
  if (f->window != NULL)
    gui_test_wait (window_idle_cond, f, 10000);
  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  gui_test_spin (50);
  g_clear_object (&f->app);
  if (f->host != NULL)
    {
      g_subprocess_force_exit (f->host);
      g_subprocess_wait (f->host, NULL, NULL);
      g_clear_object (&f->host);
    }
  tmp_test_dir_free (f->dir, f->db);
  g_free (f->runner);
  g_array_unref (f->seen_pids);
  for (int i = 0; i < 2; i++)
    g_free (f->earlier_print[i]);
}

/* The squares run the tests interrupt: long (about a minute if left alone),
 * on two worker processes, with a task span for every item. */
static const char *const long_params[][2] = {
  { "n", "5000000" },
  { "work", "20000" },
  { "chunk_size", "50" },
  { "item_spans", "1" },
};

/* A list-append run on gil whose two tasks would take about half a minute
 * (more on a busy machine): threads cannot be killed, so Stop must reach the
 * running task through its cancel flag. Before, the runner waited for the
 * task, the window killed it after 5 s and the run read failed. */
static const char *const long_gil_params[][2] = {
  { "count", "2000000" },
  { "rounds", "4000" },
  { "jobs", "2" },
};

static void
set_up_run (PlabWindow *window,
            const char *demo_name,
            const char *backend,
            const char *const (*params)[2],
            guint n_params)
{
  const PlabDemo *demo;

  g_assert_true (plab_window_select_demo (window, demo_name));
  demo = plab_param_editor_get_demo (window->param_editor);
  for (guint i = 0; i < window->backend_names->len; i++)
    if (!g_strcmp0 (g_ptr_array_index (window->backend_names, i), backend))
      gtk_drop_down_set_selected (window->backend_dropdown, i);
  gtk_spin_button_set_value (window->workers_spin, 2);
  for (guint i = 0; i < n_params; i++)
    {
      int index = plab_demo_param_index (demo, params[i][0]);

      g_assert_cmpint (index, >=, 0);
      plab_param_editor_set_value (window->param_editor, (guint)index,
                                   g_ascii_strtod (params[i][1], NULL));
    }
}

static void
set_up_long_run (PlabWindow *window)
{
  set_up_run (window, "squares", "processes", long_params, G_N_ELEMENTS (long_params));
}

static gboolean
has_live_spans_cond (gpointer data)
{
  PlabWindow *window = data;

  return plab_window_is_running (window) && window->live_spans != NULL
         && window->live_spans->len > 100 && plab_runner_client_get_pid (window->runner) > 0;
}

static guint
live_task_spans (PlabWindow *window)
{
  guint n = 0;

  for (guint i = 0; i < window->live_spans->len; i++)
    if (g_array_index (window->live_spans, PlabEvent, i).kind == PLAB_SPAN_TASK)
      n++;
  return n;
}

static gboolean
process_gone_cond (gpointer data)
{
  int pid = GPOINTER_TO_INT (data);
  char state = proc_state (pid);

  /* A zombie is gone for this purpose once it re-parented here: reap it. */
  if (state == 'Z')
    reap_orphans (0);
  return proc_state (pid) == 0;
}

/* What every fault must leave: no process, nothing in /dev/shm, a sound
 * store with the earlier runs intact, and the interrupted run (the newest)
 * cancelled with at least @min_tasks task spans on at least @min_lanes lanes
 * (the main one and the workers'). Returns that run's id. */
static gint64
assert_aftermath_lanes (Fixture *f, int keep, guint min_tasks, int min_lanes)
{
  g_autoptr (GPtrArray) shm_after = NULL;
  g_autofree char *integrity = NULL;
  g_autofree char *status = NULL;
  g_autofree char *error = NULL;
  gint64 run_id, n_tasks, n_lanes;

  assert_no_descendants (keep);

  shm_after = shm_entries (f->seen_pids);
  for (guint i = 0; i < shm_after->len; i++)
    g_test_message ("left in /dev/shm: %s", (const char *)g_ptr_array_index (shm_after, i));
  g_assert_cmpuint (shm_after->len, ==, 0);

  integrity = query_text (f->db, "PRAGMA integrity_check", 0);
  g_assert_cmpstr (integrity, ==, "ok");
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *now = run_fingerprint (f->db, f->earlier[i]);
      g_assert_cmpstr (now, ==, f->earlier_print[i]);
    }

  run_id = query_int (f->db, "SELECT max(id) FROM runs WHERE ?1", 1);
  g_assert_cmpint (run_id, ==, 3);
  status = query_text (f->db, "SELECT status FROM runs WHERE id = ?1", run_id);
  error = query_text (f->db, "SELECT error FROM runs WHERE id = ?1", run_id);
  n_tasks = query_int (f->db, "SELECT count(*) FROM spans WHERE run_id = ?1 AND kind = 0", run_id);
  n_lanes = query_int (f->db, "SELECT count(*) FROM lanes WHERE run_id = ?1", run_id);
  g_test_message ("run %" G_GINT64_FORMAT ": %s (%s), %" G_GINT64_FORMAT
                  " task spans, %" G_GINT64_FORMAT " lanes",
                  run_id, status, error, n_tasks, n_lanes);
  g_assert_cmpstr (status, ==, "cancelled");
  g_assert_nonnull (error);
  g_assert_cmpint (n_lanes, >=, min_lanes);
  g_assert_cmpint (n_tasks, >=, MAX (1, min_tasks));
  return run_id;
}

/* The same, for a run of two workers: three lanes at least. */
static gint64
assert_aftermath (Fixture *f, int keep, guint min_tasks)
{
  return assert_aftermath_lanes (f, keep, min_tasks, 3);
}

/* --- In this process --- */

static void
open_window (Fixture *f)
{
  f->window = app_test_open_window (f->db, 1200, 800, &f->app);
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *)&f->window);
  gui_test_spin (300);
}

static void
run_and_wait_for_spans (Fixture *f)
{
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  g_assert_true (gui_test_wait (has_live_spans_cond, f->window, START_TIMEOUT_MS));
}

static void
start_window (Fixture *f)
{
  open_window (f);
  set_up_long_run (f->window);
  run_and_wait_for_spans (f);
}

static gboolean
window_gone_cond (gpointer data)
{
  Fixture *f = data;

  return f->window == NULL;
}

static gboolean
window_stopped_cond (gpointer data)
{
  Fixture *f = data;

  return !plab_window_is_running (f->window);
}

/* Starts the long run in the window, presses @accel mid-run (or activates
 * @action when there is no XTest), waits until @done_cond (f) holds and the
 * runner is gone, and checks what a fault must leave. */
static void
interrupt_mid_run (Fixture *f,
                   const char *accel,
                   const char *action,
                   gboolean (*done_cond) (gpointer))
{
  int runner_pid;
  guint tasks;

  start_window (f);
  runner_pid = plab_runner_client_get_pid (f->window->runner);
  note_runner (f->seen_pids, runner_pid);
  tasks = live_task_spans (f->window);
  if (!xtest_press_accel (xtest_window_xid (GTK_WIDGET (f->window)), accel))
    gtk_widget_activate_action (GTK_WIDGET (f->window), action, NULL);
  g_assert_true (gui_test_wait (done_cond, f, END_TIMEOUT_MS));
  g_assert_true (gui_test_wait (process_gone_cond, GINT_TO_POINTER (runner_pid), END_TIMEOUT_MS));
  assert_aftermath (f, 0, tasks);
}

/* Stop (Escape) mid-run: the runner cancels, records the run and leaves. */
static void
test_stop_mid_run (Fixture *f, gconstpointer data)
{
  interrupt_mid_run (f, "Escape", "win.stop", window_stopped_cond);
  /* The window carries on, ready for the next run. */
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window)));
  g_assert_false (plab_window_is_running (f->window));
}

/* Stop during a long gil task (the live spans are its GIL waits): the task
 * ends through its cancel flag, the runner records the run cancelled with its
 * task spans and leaves, before the window would kill it. */
static void
test_stop_gil_long_task (Fixture *f, gconstpointer data)
{
  int runner_pid;

  open_window (f);
  set_up_run (f->window, "list-append", "gil", long_gil_params, G_N_ELEMENTS (long_gil_params));
  run_and_wait_for_spans (f);
  runner_pid = plab_runner_client_get_pid (f->window->runner);
  note_runner (f->seen_pids, runner_pid);
  if (!xtest_press_accel (xtest_window_xid (GTK_WIDGET (f->window)), "Escape"))
    gtk_widget_activate_action (GTK_WIDGET (f->window), "win.stop", NULL);
  g_assert_true (gui_test_wait (window_stopped_cond, f, END_TIMEOUT_MS));
  g_assert_true (gui_test_wait (process_gone_cond, GINT_TO_POINTER (runner_pid), END_TIMEOUT_MS));
  /* Cancelled, not failed: the window did not have to kill the runner. Both
   * stopped tasks have their spans. */
  assert_aftermath (f, 0, 2);
}

/* --- Stop during one long task, per backend ---
 *
 * The length of a task is calibrated first, as test-stop.py does: a short
 * serial list-append run of the same rounds gives the time of one number on
 * one core, and the count is chosen so that each of the two tasks would take
 * about LONG_TASK_S. Stop must end the runner within STOP_FRACTION of that:
 * a limit that catches waiting for the task, not a deadline (calibration and
 * run are measured on the same machine at nearly the same time, so a busy
 * machine makes both slower).
 */

#define LONG_TASK_S 40.0
#define STOP_FRACTION 0.25
#define LONG_TASK_ROUNDS 4000
#define CALIBRATION_COUNT 20000
#define MAX_LONG_COUNT 50000000
#define RUN_BEFORE_STOP_MS 1000

/* Seconds one number of list-append takes on one core: the best of two
 * short serial runs of the real runner. */
static double
seconds_per_number (Fixture *f)
{
  g_autofree char *db = g_build_filename (f->dir, "calibration.db", NULL);
  g_autofree char *count = g_strdup_printf ("count=%d", CALIBRATION_COUNT);
  g_autofree char *rounds = g_strdup_printf ("rounds=%d", LONG_TASK_ROUNDS);
  const char *const argv[]
      = { f->runner, "run",  "list-append", "-b",     "serial", "-j",   "2", "--set", count,
          "--set",   rounds, "--set",       "jobs=2", "--json", "--db", db,  NULL };
  double best = G_MAXDOUBLE;

  for (int i = 0; i < 2; i++)
    {
      g_autofree char *out = NULL;
      g_autoptr (GError) error = NULL;
      const char *wall;
      int status = 0;

      g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                                   NULL, &out, NULL, &status, &error));
      g_assert_no_error (error);
      g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
      wall = strstr (out, "\"wall_s\":");
      g_assert_nonnull (wall);
      best = MIN (best, g_ascii_strtod (wall + strlen ("\"wall_s\":"), NULL));
    }
  g_assert_cmpfloat (best, >, 0);
  return best / CALIBRATION_COUNT;
}

/* The live run has a task going on (the stream told its start). */
static gboolean
task_going_cond (gpointer data)
{
  PlabWindow *window = data;

  if (!plab_window_is_running (window) || plab_runner_client_get_pid (window->runner) <= 0
      || window->live_open == NULL)
    return FALSE;
  for (guint i = 0; i < window->live_open->len; i++)
    if (g_array_index (window->live_open, PlabEvent, i).kind == PLAB_SPAN_TASK)
      return TRUE;
  return FALSE;
}

/* How many spans of @kind the window's timeline has. */
static guint
shown_spans_of_kind (PlabWindow *window, PlabSpanKind kind)
{
  PlabTimelineData *data = plab_timeline_view_get_data (window->timeline_view);
  size_t n = data != NULL ? plab_timeline_data_n_spans (data) : 0;
  guint found = 0;

  for (size_t i = 0; i < n; i++)
    {
      PlabEvent e;
      if (plab_timeline_data_get_span (data, i, &e) && e.kind == kind)
        found++;
    }
  return found;
}

static gboolean
shown_loaded_cond (gpointer data)
{
  Fixture *f = data;

  return !plab_window_is_running (f->window) && !_plab_window_is_loading (f->window)
         && plab_window_get_shown_run (f->window) == 3;
}

/* Stop (Escape) during a long list-append task on backend @data: the runner
 * leaves well before the task would have ended, the run is cancelled with
 * the stopped tasks' spans, and the window draws them. */
static void
test_stop_long_task (Fixture *f, gconstpointer data)
{
  const char *backend = data;
  gboolean serial = !g_strcmp0 (backend, "serial");
  double per_number = seconds_per_number (f);
  double count = MIN (MAX_LONG_COUNT, (double)(gint64)(2 * LONG_TASK_S / per_number));
  double task_s = count / 2 * per_number;
  char count_text[32], rounds_text[32];
  const char *const params[][2] = {
    { "count", count_text },
    { "rounds", rounds_text },
    { "jobs", "2" },
  };
  gint64 t0, stop_us;
  int runner_pid;

  g_snprintf (count_text, sizeof count_text, "%.0f", count);
  g_snprintf (rounds_text, sizeof rounds_text, "%d", LONG_TASK_ROUNDS);
  g_test_message ("%s: %.0f numbers, a task of about %.1f s", backend, count, task_s);

  open_window (f);
  set_up_run (f->window, "list-append", backend, params, G_N_ELEMENTS (params));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  g_assert_true (gui_test_wait (task_going_cond, f->window, START_TIMEOUT_MS));
  runner_pid = plab_runner_client_get_pid (f->window->runner);
  note_runner (f->seen_pids, runner_pid);
  gui_test_spin (RUN_BEFORE_STOP_MS);
  g_assert_true (plab_window_is_running (f->window));

  t0 = g_get_monotonic_time ();
  if (!xtest_press_accel (xtest_window_xid (GTK_WIDGET (f->window)), "Escape"))
    gtk_widget_activate_action (GTK_WIDGET (f->window), "win.stop", NULL);
  g_assert_true (gui_test_wait (process_gone_cond, GINT_TO_POINTER (runner_pid), END_TIMEOUT_MS));
  stop_us = g_get_monotonic_time () - t0;
  g_test_message ("%s: the runner left %.0f ms after Stop (limit %.0f ms)", backend,
                  stop_us / 1000.0, STOP_FRACTION * task_s * 1000);
  g_assert_cmpfloat (stop_us / 1e6, <, STOP_FRACTION * task_s);

  g_assert_true (gui_test_wait (window_stopped_cond, f, END_TIMEOUT_MS));
  /* Serial runs its tasks one after the other in the main process: the
   * stopped one is the first. The others run both at once on two workers. */
  assert_aftermath_lanes (f, 0, serial ? 1 : 2, serial ? 1 : 3);
  /* The window shows the cancelled run from the store, its tasks drawn. */
  g_assert_true (gui_test_wait (shown_loaded_cond, f, END_TIMEOUT_MS));
  g_assert_cmpint (f->window->shown->chart->run->status, ==, PLAB_RUN_CANCELLED);
  g_assert_cmpuint (shown_spans_of_kind (f->window, PLAB_SPAN_TASK), >=, serial ? 1 : 2);
}

/* Ctrl+W mid-run: the window goes at once, takes its run with it (recorded
 * cancelled, not left running or killed), and then closes for good. */
static void
test_close_mid_run (Fixture *f, gconstpointer data)
{
  interrupt_mid_run (f, "<Control>w", "win.close", window_gone_cond);
}

static gboolean
error_shown_cond (gpointer data)
{
  Fixture *f = data;

  return !plab_window_is_running (f->window)
         && gtk_revealer_get_reveal_child (f->window->error_revealer);
}

/* A worker segfaults mid-run: the pool fails its item and finishes, the run
 * is recorded failed, and the window says why and carries on. */
static void
test_worker_crash_in_window (Fixture *f, gconstpointer data)
{
  const PlabDemo *demo;
  const char *text;
  g_autofree char *status = NULL;
  g_autofree char *error = NULL;

  f->app = plab_application_new (f->db, f->runner);
  g_application_register (G_APPLICATION (f->app), NULL, NULL);
  g_application_activate (G_APPLICATION (f->app));
  f->window = PLAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (f->app)));
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *)&f->window);
  set_up_long_run (f->window);
  demo = plab_param_editor_get_demo (f->window->param_editor);
  plab_param_editor_set_value (f->window->param_editor, plab_demo_param_index (demo, "n"), 100000);
  plab_param_editor_set_value (f->window->param_editor, plab_demo_param_index (demo, "crash_item"),
                               50000);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  g_assert_true (gui_test_wait (has_live_spans_cond, f->window, START_TIMEOUT_MS));
  note_runner (f->seen_pids, plab_runner_client_get_pid (f->window->runner));
  g_assert_true (gui_test_wait (error_shown_cond, f, START_TIMEOUT_MS * 2));
  text = gtk_label_get_text (f->window->error_label);
  g_test_message ("error shown: %s", text);
  g_assert_nonnull (strstr (text, "signal 11"));
  g_assert_nonnull (strstr (text, "item 50000"));

  assert_no_descendants (0);
  status = query_text (f->db, "SELECT status FROM runs WHERE id = ?1", 3);
  error = query_text (f->db, "SELECT error FROM runs WHERE id = ?1", 3);
  g_assert_cmpstr (status, ==, "failed");
  g_assert_nonnull (strstr (error, "Segmentation fault"));
  g_assert_cmpint (query_int (f->db, "SELECT count(*) FROM spans WHERE run_id = ?1 AND kind = 0",
                              3),
                   ==, 100000 - 1);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window)));
}

/* The runner killed under the window (SIGKILL: the OOM killer, or kill -9):
 * its workers die with it, the window says what happened and carries on, the
 * store reads the run as failed at once, and the next run, whose runner opens
 * the store for writing, records it failed with the spans it had made. */
static void
test_runner_killed_under_window (Fixture *f, gconstpointer data)
{
  PlabStore *store = NULL;
  PlabRunRecord *record = NULL;
  const char *text;
  int runner_pid;
  guint tasks;
  g_autofree char *status = NULL;

  start_window (f);
  runner_pid = plab_runner_client_get_pid (f->window->runner);
  note_runner (f->seen_pids, runner_pid);
  tasks = live_task_spans (f->window);
  g_assert_cmpint (kill (runner_pid, SIGKILL), ==, 0);
  g_assert_true (gui_test_wait (error_shown_cond, f, END_TIMEOUT_MS));
  text = gtk_label_get_text (f->window->error_label);
  g_test_message ("error shown: %s", text);
  g_assert_nonnull (strstr (text, "signal 9"));
  assert_no_descendants (0);

  g_assert_cmpint (plab_store_open (f->db, PLAB_STORE_READ_ONLY, &store), ==, 0);
  g_assert_cmpint (plab_store_get_run (store, 3, &record), ==, 0);
  g_assert_cmpint (record->status, ==, PLAB_RUN_FAILED);
  plab_run_record_free (record);
  plab_store_close (store);

  /* The next run from the window. */
  {
    const PlabDemo *demo = plab_param_editor_get_demo (f->window->param_editor);
    plab_param_editor_set_value (f->window->param_editor, plab_demo_param_index (demo, "n"), 2000);
  }
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  g_assert_true (gui_test_wait (window_stopped_cond, f, START_TIMEOUT_MS));
  status = query_text (f->db, "SELECT status FROM runs WHERE id = ?1", 3);
  g_assert_cmpstr (status, ==, "failed");
  g_assert_cmpint (query_int (f->db, "SELECT count(*) FROM spans WHERE run_id = ?1 AND kind = 0",
                              3),
                   >=, MAX (1, tasks));
  g_free (status);
  status = query_text (f->db, "SELECT status FROM runs WHERE id = ?1", 4);
  g_assert_cmpstr (status, ==, "ok");
  assert_no_descendants (0);
}

/* --- In a process of its own --- */

typedef struct
{
  char *ready_path;
  PlabWindow *window;
} Host;

static gboolean
host_poll_cb (gpointer data)
{
  Host *host = data;
  g_autofree char *line = NULL;
  g_autofree char *tmp = NULL;

  if (host->window == NULL || !has_live_spans_cond (host->window)
      || !gtk_widget_get_mapped (GTK_WIDGET (host->window)))
    return G_SOURCE_CONTINUE;
  line = g_strdup_printf ("%d %lu %u\n", plab_runner_client_get_pid (host->window->runner),
                          xtest_window_xid (GTK_WIDGET (host->window)),
                          live_task_spans (host->window));
  tmp = g_strconcat (host->ready_path, ".tmp", NULL);
  g_file_set_contents (tmp, line, -1, NULL);
  g_rename (tmp, host->ready_path);
  return G_SOURCE_REMOVE;
}

static void
host_activate_cb (GApplication *app, Host *host)
{
  host->window = PLAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_object_add_weak_pointer (G_OBJECT (host->window), (gpointer *)&host->window);
  gtk_window_set_default_size (GTK_WINDOW (host->window), 1200, 800);
  set_up_long_run (host->window);
  gtk_widget_activate_action (GTK_WIDGET (host->window), "win.run", NULL);
  g_timeout_add (50, host_poll_cb, host);
}

/* plab's window in this process, on @db, with @runner: starts the long run
 * and writes "RUNNER_PID XID TASKS" to @ready_path when it is going. */
static int
host_main (const char *db, const char *runner, const char *ready_path)
{
  Host host = { g_strdup (ready_path), NULL };
  PlabApplication *app;
  char *argv[] = { (char *)"plab", NULL };
  int status;

  if (!gui_test_init ())
    return 77;
  app = plab_application_new (db, runner);
  g_signal_connect_after (app, "activate", G_CALLBACK (host_activate_cb), &host);
  status = g_application_run (G_APPLICATION (app), 1, argv);
  g_object_unref (app);
  g_free (host.ready_path);
  return status;
}

static gboolean
file_exists_cond (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

static guint
start_host (Fixture *f)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autofree char *ready = g_build_filename (f->dir, "host-ready", NULL);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *line = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) words = NULL;

  /* The host's own warnings (no D-Bus under Xvfb) are not this test's failures. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  f->host = g_subprocess_launcher_spawn (launcher, &error, self_exe, "--host", f->db, f->runner,
                                         ready, NULL);
  g_assert_no_error (error);
  g_assert_true (gui_test_wait (file_exists_cond, ready, START_TIMEOUT_MS));
  g_assert_true (g_file_get_contents (ready, &line, NULL, NULL));
  words = g_strsplit (g_strstrip (line), " ", -1);
  g_assert_cmpuint (g_strv_length (words), ==, 3);
  f->host_runner_pid = atoi (words[0]);
  f->host_xid = strtoul (words[1], NULL, 10);
  g_assert_cmpint (f->host_runner_pid, >, 0);
  note_runner (f->seen_pids, f->host_runner_pid);
  return (guint)atoi (words[2]);
}

static gboolean
subprocess_done_cond (gpointer data)
{
  GSubprocess *process = data;

  /* get_identifier () is NULL once GLib has reaped it. */
  return g_subprocess_get_identifier (process) == NULL;
}

/* Ctrl+Q mid-run: the lab stops the run, waits for the runner to record it,
 * and only then ends. */
static void
test_quit_mid_run (Fixture *f, gconstpointer data)
{
  g_autofree char *status = NULL;
  guint tasks = start_host (f);
  int host_pid = atoi (g_subprocess_get_identifier (f->host));

  if (!xtest_press_accel (f->host_xid, "<Control>q"))
    {
      g_test_skip ("no XTest: cannot press Ctrl+Q in another process");
      return;
    }
  g_assert_true (gui_test_wait (subprocess_done_cond, f->host, END_TIMEOUT_MS));
  g_assert_true (g_subprocess_get_if_exited (f->host));
  g_assert_cmpint (g_subprocess_get_exit_status (f->host), ==, 0);
  /* It ended after the runner had recorded the run, not before. */
  status = query_text (f->db, "SELECT status FROM runs WHERE id = ?1", 3);
  g_assert_cmpstr (status, ==, "cancelled");
  g_assert_true (
      gui_test_wait (process_gone_cond, GINT_TO_POINTER (f->host_runner_pid), END_TIMEOUT_MS));
  assert_aftermath (f, host_pid, tasks);
}

/* The lab's process killed mid-run: its runner notices that the lab is gone
 * (PR_SET_PDEATHSIG, and the broken progress stream), cancels and records the
 * run, and leaves nothing behind. */
static void
test_gui_killed_mid_run (Fixture *f, gconstpointer data)
{
  guint tasks = start_host (f);
  int host_pid = atoi (g_subprocess_get_identifier (f->host));

  g_subprocess_force_exit (f->host);
  g_assert_true (gui_test_wait (subprocess_done_cond, f->host, END_TIMEOUT_MS));
  g_assert_true (
      gui_test_wait (process_gone_cond, GINT_TO_POINTER (f->host_runner_pid), END_TIMEOUT_MS));
  assert_aftermath (f, host_pid, tasks);
}

int
main (int argc, char **argv)
{
  if (argc == 5 && !strcmp (argv[1], "--host"))
    return host_main (argv[2], argv[3], argv[4]);

  g_test_init (&argc, &argv, NULL);
  /* Orphans of the runner re-parent here, where the tests can see them. */
  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), ==, 0);
  gui_test_init ();
  if (gui_test_xvfb != NULL)
    xvfb_pid = atoi (g_subprocess_get_identifier (gui_test_xvfb));

#define ADD(path, func) gui_test_add (path, Fixture, fixture_setup, func, fixture_teardown)

  ADD ("/plab/gui-faults/stop-mid-run", test_stop_mid_run);
  ADD ("/plab/gui-faults/stop-gil-long-task", test_stop_gil_long_task);
  if (gui_test_have_display)
    {
      g_test_add ("/plab/gui-faults/stop-long-task/serial", Fixture, "serial", fixture_setup,
                  test_stop_long_task, fixture_teardown);
      g_test_add ("/plab/gui-faults/stop-long-task/threads", Fixture, "threads", fixture_setup,
                  test_stop_long_task, fixture_teardown);
      g_test_add ("/plab/gui-faults/stop-long-task/processes", Fixture, "processes", fixture_setup,
                  test_stop_long_task, fixture_teardown);
    }
  else
    {
      g_test_add_data_func ("/plab/gui-faults/stop-long-task/serial", NULL, gui_test_skip);
      g_test_add_data_func ("/plab/gui-faults/stop-long-task/threads", NULL, gui_test_skip);
      g_test_add_data_func ("/plab/gui-faults/stop-long-task/processes", NULL, gui_test_skip);
    }
  ADD ("/plab/gui-faults/close-mid-run", test_close_mid_run);
  ADD ("/plab/gui-faults/worker-crash-in-window", test_worker_crash_in_window);
  ADD ("/plab/gui-faults/runner-killed-under-window", test_runner_killed_under_window);
  ADD ("/plab/gui-faults/quit-mid-run", test_quit_mid_run);
  ADD ("/plab/gui-faults/gui-killed-mid-run", test_gui_killed_mid_run);
#undef ADD

  return g_test_run ();
}
