/* test-store.c: the run store, on real SQLite files in a temporary folder.
 *
 * Files the store must refuse (another program's database, garbage, a cut-off
 * store, a store from a newer plab) are checked byte for byte after the
 * refusal, and no -wal or -shm file may be left next to them.
 */
#include "plab.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tmp-test-util.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = tmp_test_dir_new ("plab-store-XXXXXX", &f->path);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  tmp_test_dir_free (f->dir, f->path);
}

/* --- Helpers --- */

static char *
file_checksum (const char *path)
{
  GError *error = NULL;
  char *contents = NULL;
  gsize len = 0;
  char *sum;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)contents, len);
  g_free (contents);
  return sum;
}

static gboolean
side_file_exists (const char *path, const char *suffix)
{
  char *side = g_strconcat (path, suffix, NULL);
  gboolean found = g_file_test (side, G_FILE_TEST_EXISTS);

  g_free (side);
  return found;
}

static void
assert_no_side_files (const char *path)
{
  g_assert_false (side_file_exists (path, "-wal"));
  g_assert_false (side_file_exists (path, "-shm"));
  g_assert_false (side_file_exists (path, "-journal"));
}

/* Opens @path in @mode, expects @code, and checks the file did not change
 * and gained no side files. */
static void
assert_refused_untouched_in (const char *path, PlabStoreMode mode, int code)
{
  char *before = file_checksum (path);
  PlabStore *store = NULL;
  char *after;
  int rc = plab_store_open (path, mode, &store);

  g_assert_cmpstr (plab_error_name (rc), ==, plab_error_name (code));
  g_assert_null (store);
  /* One line naming the file. */
  g_assert_nonnull (strstr (plab_store_open_error (), path));
  g_assert_null (strchr (plab_store_open_error (), '\n'));

  after = file_checksum (path);
  g_assert_cmpstr (after, ==, before);
  g_free (after);
  g_free (before);
  assert_no_side_files (path);
}

/* The same in both modes. */
static void
assert_refused_untouched (const char *path, int code)
{
  assert_refused_untouched_in (path, PLAB_STORE_READ_WRITE, code);
  assert_refused_untouched_in (path, PLAB_STORE_READ_ONLY, code);
}

static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static void
raw_exec (sqlite3 *db, const char *sql)
{
  char *err = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &err);

  if (rc != SQLITE_OK)
    g_error ("%s: %s", sql, err);
}

static void
assert_integrity_ok (const char *path)
{
  sqlite3 *db = raw_open (path);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static PlabEvent
make_event (int lane,
            int64_t start,
            int64_t end,
            PlabSpanKind kind,
            int64_t task,
            const char *label)
{
  PlabEvent ev;

  memset (&ev, 0, sizeof ev);
  ev.lane = (uint16_t)lane;
  ev.start_ns = start;
  ev.end_ns = end;
  ev.kind = (uint16_t)kind;
  ev.task_id = task;
  if (label != NULL)
    g_strlcpy (ev.label, label, sizeof ev.label);
  return ev;
}

static PlabStore *
open_rw (const char *path)
{
  PlabStore *store = NULL;
  int rc = plab_store_open (path, PLAB_STORE_READ_WRITE, &store);

  if (rc != 0)
    g_error ("open %s: %s (%s)", path, plab_strerror (rc), plab_store_open_error ());
  return store;
}

/* Records a finished run of @demo with @n_spans spans on two lanes. */
static int64_t
record_run (PlabStore *store, const char *demo, int64_t sweep_id, int n_spans)
{
  PlabRunSpec spec = {
    .demo = demo, .backend = "threads", .workers = 2, .sweep_id = sweep_id, .origin_ns = 1000000
  };
  PlabRunOutcome outcome
      = { .status = PLAB_RUN_OK, .wall_ns = 5000, .check_ok = true, .check_message = "fine" };
  PlabEvent *events = g_new0 (PlabEvent, MAX (n_spans, 1));
  int64_t id = 0;

  g_assert_cmpint (plab_store_begin_run (store, &spec, &id), ==, 0);
  for (int i = 0; i < n_spans; i++)
    events[i] = make_event (i % 2, spec.origin_ns + i * 10, spec.origin_ns + i * 10 + 15,
                            PLAB_SPAN_TASK, i, "task");
  g_assert_cmpint (plab_store_add_events (store, id, events, (size_t)n_spans), ==, 0);
  g_assert_cmpint (plab_store_finish_run (store, id, &outcome), ==, 0);
  g_free (events);
  return id;
}

/* Makes a store at @path holding one run of @demo with 10 spans, then runs
 * @sql on the file with SQLite itself, behind the store's back. */
static void
record_then_alter (const char *path, const char *demo, const char *sql)
{
  PlabStore *store = open_rw (path);
  sqlite3 *db;

  record_run (store, demo, 0, 10);
  plab_store_close (store);
  db = raw_open (path);
  raw_exec (db, sql);
  sqlite3_close (db);
}

/* --- Tests --- */

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  const int64_t origin = 5000000000;
  PlabRunSpec spec = {
    .demo = "cars",
    .backend = "processes",
    .workers = 3,
    .params_json = "{\"cars\": 12}",
    .seed = UINT64_C (0xfedcba9876543210),
    .repeat = 2,
    .origin_ns = origin,
  };
  PlabRunOutcome outcome = {
    .status = PLAB_RUN_OK,
    .wall_ns = 123456789,
    .cpu_ns = 98765432,
    .result_json = "{\"delivered\": 12}",
    .check_ok = true,
    .check_message = "every car delivered once",
  };
  PlabLaneInfo lanes[3] = {
    { .lane = 0, .kind = PLAB_LANE_MAIN, .pid = 100, .tid = 100, .name = "main" },
    { .lane = 1,
      .kind = PLAB_LANE_PROCESS,
      .pid = 101,
      .tid = 101,
      .name = "producer",
      .end = PLAB_LANE_EXITED,
      .exit_code = 0 },
    { .lane = 2,
      .kind = PLAB_LANE_PROCESS,
      .pid = 102,
      .tid = 102,
      .name = "consumer",
      .end = PLAB_LANE_KILLED,
      .exit_signal = SIGKILL,
      .dropped = 7 },
  };
  PlabEvent events[64];
  size_t n_events = 0, n_spans_expected = 0;
  PlabStore *store;
  PlabRunRecord *run = NULL;
  PlabLaneInfo *got_lanes = NULL;
  PlabEvent *spans = NULL, *counters = NULL;
  size_t n_lanes = 0, n_spans = 0, n_counters = 0;
  PlabMachineRecord machine;
  PlabMachineInfo info;
  int64_t run_id = 0;

  store = open_rw (f->path);
  g_assert_cmpint (plab_store_begin_run (store, &spec, &run_id), ==, 0);
  g_assert_cmpint (run_id, >, 0);
  for (int i = 0; i < 3; i++)
    g_assert_cmpint (plab_store_put_lane (store, run_id, &lanes[i]), ==, 0);

  /* Lane 1: tasks back to back, one 1000 ns long in the middle. Lane 2:
   * queue waits and a crash instant. Lane 3 is never described. */
  for (int i = 0; i < 10; i++)
    events[n_events++] = make_event (1, origin + i * 100, origin + i * 100 + (i == 5 ? 1000 : 50),
                                     PLAB_SPAN_TASK, i, i % 2 ? "odd" : NULL);
  for (int i = 0; i < 5; i++)
    events[n_events++]
        = make_event (2, origin + i * 200, origin + i * 200 + 150, PLAB_SPAN_QUEUE_WAIT, -1, "get");
  events[n_events++] = make_event (2, origin + 1100, origin + 1100, PLAB_SPAN_CRASH, -1, "SIGKILL");
  events[n_events++] = make_event (3, origin + 10, origin + 20, PLAB_SPAN_SLEEP, -1, "nap");
  n_spans_expected = n_events;
  events[n_events++]
      = make_event (0, origin + 300, origin + 300, PLAB_SPAN_COUNTER, 4, "queue depth");
  events[n_events++]
      = make_event (0, origin + 100, origin + 100, PLAB_SPAN_COUNTER, 2, "queue depth");
  events[n_events++]
      = make_event (1, origin + 200, origin + 200, PLAB_SPAN_COUNTER, 1, "busy workers");

  /* In two batches, so the span numbering continues across transactions. */
  g_assert_cmpint (plab_store_add_events (store, run_id, events, 7), ==, 0);
  g_assert_cmpint (plab_store_add_events (store, run_id, events + 7, n_events - 7), ==, 0);
  g_assert_cmpint (plab_store_finish_run (store, run_id, &outcome), ==, 0);
  plab_store_close (store);
  assert_no_side_files (f->path);

  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &store), ==, 0);

  g_assert_cmpint (plab_store_get_run (store, run_id, &run), ==, 0);
  g_assert_cmpstr (run->demo, ==, "cars");
  g_assert_cmpstr (run->backend, ==, "processes");
  g_assert_cmpint (run->workers, ==, 3);
  g_assert_cmpstr (run->params_json, ==, "{\"cars\": 12}");
  g_assert_cmpuint (run->seed, ==, UINT64_C (0xfedcba9876543210));
  g_assert_cmpint (run->status, ==, PLAB_RUN_OK);
  g_assert_cmpint (run->wall_ns, ==, 123456789);
  g_assert_cmpint (run->cpu_ns, ==, 98765432);
  g_assert_cmpstr (run->result_json, ==, "{\"delivered\": 12}");
  g_assert_true (run->check_ok);
  g_assert_cmpstr (run->check_message, ==, "every car delivered once");
  g_assert_null (run->error);
  g_assert_cmpint (run->repeat, ==, 2);
  g_assert_cmpint (run->sweep_id, ==, 0);
  g_assert_cmpint (run->runner_pid, ==, getpid ());
  g_assert_cmpint (run->n_spans, ==, (int64_t)n_spans_expected);
  g_assert_cmpint (run->started_at_us, >, g_get_real_time () - 60 * G_USEC_PER_SEC);
  g_assert_cmpint (run->started_at_us, <=, g_get_real_time ());

  g_assert_cmpint (plab_store_get_lanes (store, run_id, &got_lanes, &n_lanes), ==, 0);
  g_assert_cmpuint (n_lanes, ==, 4);
  for (int i = 0; i < 3; i++)
    {
      g_assert_cmpint (got_lanes[i].lane, ==, i);
      g_assert_cmpint (got_lanes[i].kind, ==, lanes[i].kind);
      g_assert_cmpint (got_lanes[i].pid, ==, lanes[i].pid);
      g_assert_cmpstr (got_lanes[i].name, ==, lanes[i].name);
      g_assert_cmpint (got_lanes[i].end, ==, lanes[i].end);
      g_assert_cmpint (got_lanes[i].exit_signal, ==, lanes[i].exit_signal);
      g_assert_cmpuint (got_lanes[i].dropped, ==, lanes[i].dropped);
    }
  /* A lane that only appeared in events is listed too. */
  g_assert_cmpint (got_lanes[3].lane, ==, 3);

  /* Everything, relative to the origin, ordered by lane then start. */
  g_assert_cmpint (plab_store_get_spans (store, run_id, 0, INT64_MAX, &spans, &n_spans), ==, 0);
  g_assert_cmpuint (n_spans, ==, n_spans_expected);
  for (size_t i = 1; i < n_spans; i++)
    g_assert_true (
        spans[i - 1].lane < spans[i].lane
        || (spans[i - 1].lane == spans[i].lane && spans[i - 1].start_ns <= spans[i].start_ns));
  g_assert_cmpint (spans[0].lane, ==, 1);
  g_assert_cmpint (spans[0].start_ns, ==, 0);
  g_assert_cmpint (spans[0].end_ns, ==, 50);
  g_assert_cmpint (spans[0].kind, ==, PLAB_SPAN_TASK);
  g_assert_cmpstr (spans[0].label, ==, "");
  g_assert_cmpstr (spans[1].label, ==, "odd");
  g_assert_cmpint (spans[1].task_id, ==, 1);
  g_assert_cmpint (spans[n_spans - 1].lane, ==, 3);
  g_assert_cmpstr (spans[n_spans - 1].label, ==, "nap");
  g_free (spans);

  /* A window: exactly the spans with start <= to and end >= from. The long
   * task (500..1500) starts well before the window and must be found. */
  {
    const int64_t from = 1050, to = 1150;
    size_t expected = 0;

    for (size_t i = 0; i < n_spans_expected; i++)
      if (events[i].start_ns - origin <= to && events[i].end_ns - origin >= from)
        expected++;
    g_assert_cmpuint (expected, >=, 2);
    g_assert_cmpint (plab_store_get_spans (store, run_id, from, to, &spans, &n_spans), ==, 0);
    g_assert_cmpuint (n_spans, ==, expected);
    for (size_t i = 0; i < n_spans; i++)
      {
        g_assert_cmpint (spans[i].start_ns, <=, to);
        g_assert_cmpint (spans[i].end_ns, >=, from);
      }
    g_assert_cmpint (spans[0].lane, ==, 1);
    g_assert_cmpint (spans[0].start_ns, ==, 500);
    g_assert_cmpint (spans[0].end_ns, ==, 1500);
    g_free (spans);
  }

  /* Counters by name then time. */
  g_assert_cmpint (plab_store_get_counters (store, run_id, &counters, &n_counters), ==, 0);
  g_assert_cmpuint (n_counters, ==, 3);
  g_assert_cmpstr (counters[0].label, ==, "busy workers");
  g_assert_cmpint (counters[0].lane, ==, 1);
  g_assert_cmpstr (counters[1].label, ==, "queue depth");
  g_assert_cmpint (counters[1].start_ns, ==, 100);
  g_assert_cmpint (counters[1].task_id, ==, 2);
  g_assert_cmpint (counters[2].start_ns, ==, 300);
  g_assert_cmpint (counters[2].task_id, ==, 4);
  g_assert_cmpint (counters[2].kind, ==, PLAB_SPAN_COUNTER);
  g_free (counters);

  plab_machine_info (&info);
  g_assert_cmpint (plab_store_get_machine (store, run->machine_id, &machine), ==, 0);
  g_assert_cmpstr (machine.host, ==, info.host);
  g_assert_cmpstr (machine.cpu_model, ==, info.cpu_model);
  g_assert_cmpint (machine.usable_cpus, ==, info.usable_cpus);
  g_assert_cmpstr (machine.os, ==, info.os);
  g_assert_cmpstr (machine.compiler, ==, info.compiler);
  g_assert_cmpstr (machine.plab_version, ==, info.version);
  plab_machine_record_clear (&machine);

  {
    PlabRunRecord *missing = NULL;
    g_assert_cmpint (plab_store_get_run (store, run_id + 100, &missing), ==, PLAB_ENOTFOUND);
    g_assert_null (missing);
  }
  g_assert_cmpint (plab_store_get_spans (store, run_id + 100, 0, INT64_MAX, &spans, &n_spans), ==,
                   PLAB_ENOTFOUND);

  /* A read-only store refuses writes. */
  g_assert_cmpint (plab_store_begin_run (store, &spec, &run_id), ==, PLAB_ESTORE_READONLY);

  plab_run_record_free (run);
  g_free (got_lanes);
  plab_store_close (store);
  /* Reading leaves nothing behind either. */
  assert_no_side_files (f->path);
  assert_integrity_ok (f->path);
}

static void
test_list_filter (Fixture *f, gconstpointer data)
{
  PlabStore *store = open_rw (f->path);
  PlabRunRecord **runs = NULL;
  PlabRunFilter filter = { 0 };
  int64_t sweep = 0, ids[5];
  size_t n = 0;

  g_assert_cmpint (plab_store_new_sweep (store, "kde", "1..2", &sweep), ==, 0);
  ids[0] = record_run (store, "chef", 0, 3);
  ids[1] = record_run (store, "kde", sweep, 4);
  ids[2] = record_run (store, "kde", sweep, 5);
  ids[3] = record_run (store, "kde", 0, 0);
  ids[4] = record_run (store, "chef", 0, 1);

  g_assert_cmpint (plab_store_list_runs (store, NULL, &runs, &n), ==, 0);
  g_assert_cmpuint (n, ==, 5);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpint (runs[i]->id, ==, ids[4 - i]);
  g_assert_cmpint (runs[4]->n_spans, ==, 3);
  plab_run_records_free (runs, n);

  filter.demo = "kde";
  g_assert_cmpint (plab_store_list_runs (store, &filter, &runs, &n), ==, 0);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpint (runs[0]->id, ==, ids[3]);
  g_assert_cmpint (runs[2]->id, ==, ids[1]);
  plab_run_records_free (runs, n);

  filter.sweep_id = sweep;
  g_assert_cmpint (plab_store_list_runs (store, &filter, &runs, &n), ==, 0);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (runs[0]->id, ==, ids[2]);
  g_assert_cmpint (runs[0]->sweep_id, ==, sweep);
  g_assert_cmpint (runs[0]->n_spans, ==, 5);
  plab_run_records_free (runs, n);

  filter.demo = NULL;
  filter.sweep_id = 0;
  filter.limit = 2;
  g_assert_cmpint (plab_store_list_runs (store, &filter, &runs, &n), ==, 0);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (runs[0]->id, ==, ids[4]);
  g_assert_cmpint (runs[1]->id, ==, ids[3]);
  plab_run_records_free (runs, n);

  filter.demo = "nothing";
  filter.limit = 0;
  g_assert_cmpint (plab_store_list_runs (store, &filter, &runs, &n), ==, 0);
  g_assert_cmpuint (n, ==, 0);
  plab_run_records_free (runs, n);

  /* A run of a sweep that does not exist is refused by the foreign key. */
  {
    PlabRunSpec spec = { .demo = "kde", .backend = "threads", .workers = 1, .sweep_id = 999 };
    int64_t id;
    g_assert_cmpint (plab_store_begin_run (store, &spec, &id), <, 0);
  }

  plab_store_close (store);
}

static void
test_default_path (Fixture *f, gconstpointer data)
{
  char *old_xdg = g_strdup (g_getenv ("XDG_DATA_HOME"));
  char *old_home = g_strdup (g_getenv ("HOME"));
  char *xdg = g_build_filename (f->dir, "xdg", "data", NULL);
  char *expected = g_build_filename (xdg, "plab", "runs.db", NULL);
  char *folder = g_build_filename (xdg, "plab", NULL);
  char *path;
  PlabStore *store;
  struct stat st;

  g_setenv ("XDG_DATA_HOME", xdg, TRUE);
  path = plab_store_default_path ();
  g_assert_cmpstr (path, ==, expected);
  g_assert_false (g_file_test (xdg, G_FILE_TEST_EXISTS));

  store = open_rw (path);
  plab_store_close (store);
  g_assert_true (g_file_test (expected, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (stat (folder, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  free (path);

  /* A relative XDG_DATA_HOME is ignored, as the spec says; HOME is used. */
  g_setenv ("XDG_DATA_HOME", "relative/dir", TRUE);
  g_setenv ("HOME", "/home/someone", TRUE);
  path = plab_store_default_path ();
  g_assert_cmpstr (path, ==, "/home/someone/.local/share/plab/runs.db");
  free (path);
  g_unsetenv ("XDG_DATA_HOME");
  path = plab_store_default_path ();
  g_assert_cmpstr (path, ==, "/home/someone/.local/share/plab/runs.db");
  free (path);

  tmp_test_restore_env ("XDG_DATA_HOME", old_xdg);
  tmp_test_restore_env ("HOME", old_home);
  g_free (xdg);
  g_free (folder);
  g_free (expected);
}

static void
test_foreign (Fixture *f, gconstpointer data)
{
  char *other = g_build_filename (f->dir, "marked.db", NULL);
  sqlite3 *db;

  /* Another program's database, in WAL mode: SQLite itself would make -wal
   * and -shm files just by reading it. */
  db = raw_open (f->path);
  raw_exec (db, "PRAGMA journal_mode = WAL;"
                "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);"
                "INSERT INTO notes (text) VALUES ('keep me'), ('and me');");
  sqlite3_close (db);
  assert_no_side_files (f->path);
  assert_refused_untouched (f->path, PLAB_ESTORE_FOREIGN);

  /* Empty, but marked as someone else's. */
  db = raw_open (other);
  raw_exec (db, "PRAGMA application_id = 1234; PRAGMA user_version = 1;");
  sqlite3_close (db);
  assert_refused_untouched (other, PLAB_ESTORE_FOREIGN);

  /* Our tables' names are not enough: no mark, no entry. */
  g_unlink (other);
  db = raw_open (other);
  raw_exec (db, "CREATE TABLE runs (id INTEGER PRIMARY KEY);");
  sqlite3_close (db);
  assert_refused_untouched (other, PLAB_ESTORE_FOREIGN);

  g_free (other);
}

static void
test_garbage (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char block[8192];
  GRand *rand = g_rand_new_with_seed (42);

  for (gsize i = 0; i < sizeof block; i++)
    block[i] = (char)g_rand_int_range (rand, 0, 256);
  g_rand_free (rand);

  g_file_set_contents (f->path, block, sizeof block, &error);
  g_assert_no_error (error);
  assert_refused_untouched (f->path, PLAB_ESTORE_CORRUPT);

  g_file_set_contents (f->path, "hello, this is a text file\n", -1, &error);
  g_assert_no_error (error);
  assert_refused_untouched (f->path, PLAB_ESTORE_CORRUPT);

  /* The right magic, garbage behind it. */
  memcpy (block, "SQLite format 3", 16);
  g_file_set_contents (f->path, block, sizeof block, &error);
  g_assert_no_error (error);
  assert_refused_untouched (f->path, PLAB_ESTORE_CORRUPT);
}

static void
test_truncated (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  char *contents = NULL;
  gsize len = 0;
  PlabStore *store = open_rw (f->path);

  record_run (store, "kde", 0, 20000);
  plab_store_close (store);
  assert_no_side_files (f->path);

  g_file_get_contents (f->path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, >, 16 * 4096);

  /* Cut in the middle of a page, and on a page boundary. */
  g_file_set_contents (f->path, contents, (gssize)(len / 2 + 123), &error);
  g_assert_no_error (error);
  assert_refused_untouched (f->path, PLAB_ESTORE_CORRUPT);

  g_file_set_contents (f->path, contents, (gssize)((len / 2) & ~(gsize)4095), &error);
  g_assert_no_error (error);
  assert_refused_untouched (f->path, PLAB_ESTORE_CORRUPT);

  /* Only the header left. */
  g_file_set_contents (f->path, contents, 60, &error);
  g_assert_no_error (error);
  assert_refused_untouched (f->path, PLAB_ESTORE_CORRUPT);
  g_free (contents);
}

/* A store damaged below what the header and schema show (found by fuzzing):
 * an index page that cannot be read. The open for writing reads it while
 * repairing interrupted runs, after switching the file to WAL mode and adding
 * this machine's row; it must refuse the file and leave it as it was. */
static void
test_damaged_index (Fixture *f, gconstpointer data)
{
  PlabStore *store = open_rw (f->path);
  sqlite3 *db;
  sqlite3_stmt *stmt = NULL;
  int64_t root = 0, page_size = 0;
  char *contents = NULL;
  gsize len = 0;
  GError *error = NULL;

  record_run (store, "squares", 0, 50);
  plab_store_close (store);

  /* A rollback journal (as a store copied from elsewhere may have), no row
   * for this machine, and the page of the index on run status made garbage. */
  db = raw_open (f->path);
  raw_exec (db, "PRAGMA journal_mode = DELETE; DELETE FROM machines;");
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT rootpage, (SELECT page_size FROM pragma_page_size) "
                                       "FROM sqlite_schema WHERE name = 'runs_status'",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  root = sqlite3_column_int64 (stmt, 0);
  page_size = sqlite3_column_int64 (stmt, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  assert_no_side_files (f->path);
  g_assert_cmpint (root, >, 1);

  g_file_get_contents (f->path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, >=, (gsize)(root * page_size));
  memset (contents + (root - 1) * page_size, 0xff, (gsize)page_size);
  g_file_set_contents (f->path, contents, (gssize)len, &error);
  g_assert_no_error (error);
  g_free (contents);

  assert_refused_untouched_in (f->path, PLAB_STORE_READ_WRITE, PLAB_ESTORE_CORRUPT);
}

/* A store in WAL mode whose schema format number SQLite does not know (found
 * by fuzzing): refused as damaged in both modes, with no -wal or -shm file
 * left beside it (they were, when it was refused as unreadable). */
static void
test_unknown_schema_format (Fixture *f, gconstpointer data)
{
  PlabStore *store = open_rw (f->path);
  char *contents = NULL;
  gsize len = 0;
  GError *error = NULL;

  record_run (store, "squares", 0, 10);
  plab_store_close (store);
  g_file_get_contents (f->path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, >, 100);
  /* WAL mode (file format versions 2), schema format number 99. */
  g_assert_cmpint (contents[18], ==, 2);
  contents[44] = 0;
  contents[45] = 0;
  contents[46] = 0;
  contents[47] = 99;
  g_file_set_contents (f->path, contents, (gssize)len, &error);
  g_assert_no_error (error);
  g_free (contents);
  assert_refused_untouched (f->path, PLAB_ESTORE_CORRUPT);
}

/* A store whose schema text was damaged so that a CHECK calls a function
 * that does not exist (found by fuzzing): the open for writing fails only
 * when the repair of an interrupted run updates it. Refused as damaged, byte
 * for byte, with no side files (it was refused as an I/O error and left
 * them). */
static void
test_damaged_check (Fixture *f, gconstpointer data)
{
  record_then_alter (f->path, "squares",
                     "UPDATE runs SET status = 'running', runner_pid = 999999999, runner_start = 1;"
                     "PRAGMA writable_schema = ON;"
                     "UPDATE sqlite_schema SET sql = replace (sql, 'CHECK (status IN', "
                     "'CHECK (no_such_function (status) IN') WHERE name = 'runs';"
                     "PRAGMA writable_schema = OFF;");
  assert_no_side_files (f->path);

  assert_refused_untouched_in (f->path, PLAB_STORE_READ_WRITE, PLAB_ESTORE_CORRUPT);
}

static void
test_newer (Fixture *f, gconstpointer data)
{
  record_then_alter (f->path, "kde", "PRAGMA user_version = 99;");
  assert_no_side_files (f->path);
  assert_refused_untouched (f->path, PLAB_ESTORE_NEWER);
}

/* The newer version is only in the -wal file (its writer left without a
 * checkpoint), so the main file's header still says version 1: SQLite has
 * to find it, and the -wal must come out unchanged. */
static void
test_newer_in_wal (Fixture *f, gconstpointer data)
{
  PlabStore *store = open_rw (f->path);
  char *wal = g_strconcat (f->path, "-wal", NULL);
  char *main_before, *wal_before, *main_after, *wal_after;
  gboolean had_shm;
  sqlite3 *db;

  record_run (store, "kde", 0, 10);
  plab_store_close (store);

  db = raw_open (f->path);
  sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  raw_exec (db, "PRAGMA user_version = 99;");
  sqlite3_close (db);
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  had_shm = side_file_exists (f->path, "-shm");

  main_before = file_checksum (f->path);
  wal_before = file_checksum (wal);
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_WRITE, &store), ==, PLAB_ESTORE_NEWER);
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &store), ==, PLAB_ESTORE_NEWER);
  main_after = file_checksum (f->path);
  wal_after = file_checksum (wal);
  g_assert_cmpstr (main_after, ==, main_before);
  g_assert_cmpstr (wal_after, ==, wal_before);
  g_assert_true (side_file_exists (f->path, "-shm") == had_shm);

  g_free (main_before);
  g_free (wal_before);
  g_free (main_after);
  g_free (wal_after);
  g_free (wal);
}

static void
test_read_only (Fixture *f, gconstpointer data)
{
  PlabStore *store = open_rw (f->path);
  PlabRunRecord **runs = NULL;
  size_t n = 0;
  char *before, *after;
  int64_t id;

  id = record_run (store, "chef", 0, 10);
  plab_store_close (store);
  g_assert_cmpint (g_chmod (f->path, 0444), ==, 0);
  before = file_checksum (f->path);

  store = NULL;
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_WRITE, &store), ==,
                   PLAB_ESTORE_READONLY);
  g_assert_null (store);
  assert_no_side_files (f->path);

  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &store), ==, 0);
  g_assert_cmpint (plab_store_list_runs (store, NULL, &runs, &n), ==, 0);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (runs[0]->id, ==, id);
  g_assert_cmpint (runs[0]->n_spans, ==, 10);
  plab_run_records_free (runs, n);
  plab_store_close (store);

  /* SQLite may leave -wal and -shm beside a file it could only read, but
   * the database itself is what it was. */
  after = file_checksum (f->path);
  g_assert_cmpstr (after, ==, before);
  g_free (before);
  g_free (after);

  /* A read-only folder refuses a writer too (WAL needs files beside the
   * database). */
  g_assert_cmpint (g_chmod (f->path, 0644), ==, 0);
  g_assert_cmpint (g_chmod (f->dir, 0555), ==, 0);
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_WRITE, &store), ==,
                   PLAB_ESTORE_READONLY);
  g_assert_cmpint (g_chmod (f->dir, 0700), ==, 0);

  /* Reading a store that is not there creates nothing. */
  {
    char *missing = g_build_filename (f->dir, "missing", "runs.db", NULL);
    g_assert_cmpint (plab_store_open (missing, PLAB_STORE_READ_ONLY, &store), ==, PLAB_ESTORE_OPEN);
    g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
    g_free (missing);
  }
}

static void
test_empty_files (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  PlabStore *store;
  sqlite3 *db;

  /* A zero-byte file, as `touch` leaves it, becomes a store. */
  g_file_set_contents (f->path, "", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &store), ==, PLAB_ESTORE_OPEN);
  store = open_rw (f->path);
  record_run (store, "chef", 0, 2);
  plab_store_close (store);
  assert_integrity_ok (f->path);

  /* So does an SQLite database with nothing in it. */
  g_unlink (f->path);
  db = raw_open (f->path);
  raw_exec (db, "PRAGMA page_size = 8192; VACUUM;");
  sqlite3_close (db);
  store = open_rw (f->path);
  record_run (store, "chef", 0, 2);
  plab_store_close (store);
  assert_integrity_ok (f->path);
}

/* A child that records a run of @demo, says so on @ready_fd, waits until
 * @go_fd is closed, and then dies without finishing the run: by _exit () or
 * by SIGKILL. */
static pid_t
spawn_runner (const char *path, const char *demo, gboolean sigkill, int go_fd, int ready_fd)
{
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      PlabRunSpec spec = { .demo = demo, .backend = "processes", .workers = 4, .origin_ns = 1000 };
      PlabLaneInfo lane = { .lane = 0, .kind = PLAB_LANE_MAIN, .pid = getpid (), .name = "main" };
      PlabEvent events[1000];
      PlabStore *store = NULL;
      int64_t id;
      char c = 1;

      /* Only the parent may hold the write end of go_fd, or the read below
       * never sees its end. */
      for (int fd = 3; fd < 1024; fd++)
        if (fd != go_fd && fd != ready_fd)
          close (fd);

      if (plab_store_open (path, PLAB_STORE_READ_WRITE, &store) != 0
          || plab_store_begin_run (store, &spec, &id) != 0
          || plab_store_put_lane (store, id, &lane) != 0)
        _exit (3);
      for (int i = 0; i < 1000; i++)
        events[i] = make_event (i % 3, 1000 + i * 10, 1000 + i * 10 + 5, PLAB_SPAN_SLEEP, i, NULL);
      if (plab_store_add_events (store, id, events, 1000) != 0)
        _exit (4);
      if (write (ready_fd, &c, 1) != 1)
        _exit (5);
      while (read (go_fd, &c, 1) > 0)
        ;
      if (sigkill)
        raise (SIGKILL);
      _exit (0);
    }
  return pid;
}

static void
wait_ready (int fd)
{
  char c;

  g_assert_cmpint (read (fd, &c, 1), ==, 1);
}

static void
test_interrupted (Fixture *f, gconstpointer data)
{
  PlabStore *store = open_rw (f->path);
  PlabRunRecord **runs = NULL;
  int die[2], live[2], ready[2];
  int64_t finished;
  pid_t a, b, alive;
  int status;
  size_t n = 0;

  finished = record_run (store, "chef", 0, 50);
  plab_store_close (store);

  g_assert_cmpint (pipe (die), ==, 0);
  g_assert_cmpint (pipe (live), ==, 0);
  g_assert_cmpint (pipe (ready), ==, 0);

  /* Three runners at once, so no one's open sees another one dead: two will
   * die without finishing (one by _exit (), one by SIGKILL), one stays. */
  a = spawn_runner (f->path, "sleepers", FALSE, die[0], ready[1]);
  wait_ready (ready[0]);
  b = spawn_runner (f->path, "sleepers", TRUE, die[0], ready[1]);
  wait_ready (ready[0]);
  alive = spawn_runner (f->path, "live", FALSE, live[0], ready[1]);
  wait_ready (ready[0]);
  close (die[0]);
  close (live[0]);

  close (die[1]);
  g_assert_cmpint (waitpid (a, &status, 0), ==, a);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  g_assert_cmpint (waitpid (b, &status, 0), ==, b);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

  /* A reader already shows them failed, without writing. */
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &store), ==, 0);
  g_assert_cmpint (plab_store_list_runs (store, NULL, &runs, &n), ==, 0);
  g_assert_cmpuint (n, ==, 4);
  for (size_t i = 0; i < n; i++)
    if (g_str_equal (runs[i]->demo, "sleepers"))
      g_assert_cmpint (runs[i]->status, ==, PLAB_RUN_FAILED);
    else if (g_str_equal (runs[i]->demo, "live"))
      g_assert_cmpint (runs[i]->status, ==, PLAB_RUN_RUNNING);
  plab_run_records_free (runs, n);
  plab_store_close (store);

  store = open_rw (f->path);
  g_assert_cmpint (plab_store_repaired_runs (store), ==, 2);

  g_assert_cmpint (plab_store_list_runs (store, NULL, &runs, &n), ==, 0);
  g_assert_cmpuint (n, ==, 4);
  for (size_t i = 0; i < n; i++)
    {
      PlabEvent *spans = NULL;
      PlabLaneInfo *lanes = NULL;
      size_t n_spans = 0, n_lanes = 0;

      if (runs[i]->id == finished)
        {
          g_assert_cmpint (runs[i]->status, ==, PLAB_RUN_OK);
          g_assert_null (runs[i]->error);
          g_assert_cmpint (runs[i]->n_spans, ==, 50);
          continue;
        }
      if (g_str_equal (runs[i]->demo, "live"))
        {
          g_assert_cmpint (runs[i]->status, ==, PLAB_RUN_RUNNING);
          g_assert_cmpint (runs[i]->runner_pid, ==, alive);
          continue;
        }
      g_assert_cmpstr (runs[i]->demo, ==, "sleepers");
      g_assert_cmpint (runs[i]->status, ==, PLAB_RUN_FAILED);
      g_assert_cmpstr (runs[i]->error, ==,
                       "the runner stopped before the run finished (it was killed or crashed)");
      g_assert_true (runs[i]->runner_pid == a || runs[i]->runner_pid == b);
      g_assert_cmpint (runs[i]->n_spans, ==, 1000);
      /* Its wall time is where its timeline ends, and its check says it
       * was not made. */
      g_assert_cmpint (runs[i]->wall_ns, ==, 9995);
      g_assert_false (runs[i]->check_ok);
      g_assert_cmpstr (runs[i]->check_message, ==,
                       "not checked: the run was interrupted before its end");
      g_assert_cmpint (plab_store_get_spans (store, runs[i]->id, 0, INT64_MAX, &spans, &n_spans),
                       ==, 0);
      g_assert_cmpuint (n_spans, ==, 1000);
      g_free (spans);
      g_assert_cmpint (plab_store_get_lanes (store, runs[i]->id, &lanes, &n_lanes), ==, 0);
      g_assert_cmpuint (n_lanes, ==, 3);
      g_free (lanes);
    }
  plab_run_records_free (runs, n);
  plab_store_close (store);

  /* Repaired once only. */
  store = open_rw (f->path);
  g_assert_cmpint (plab_store_repaired_runs (store), ==, 0);
  plab_store_close (store);

  /* Now the last runner goes too. */
  close (live[1]);
  g_assert_cmpint (waitpid (alive, &status, 0), ==, alive);
  store = open_rw (f->path);
  g_assert_cmpint (plab_store_repaired_runs (store), ==, 1);
  plab_store_close (store);

  close (ready[0]);
  close (ready[1]);
  assert_integrity_ok (f->path);
}

static void
test_busy (Fixture *f, gconstpointer data)
{
  PlabRunSpec spec = { .demo = "chef", .backend = "serial", .workers = 1 };
  PlabStore *store = open_rw (f->path);
  sqlite3 *db;
  int64_t id, t0;

  db = raw_open (f->path);
  raw_exec (db, "BEGIN IMMEDIATE; INSERT INTO sweeps (demo, created_at_us) VALUES ('x', 0);");

  t0 = g_get_monotonic_time ();
  g_assert_cmpint (plab_store_begin_run (store, &spec, &id), ==, PLAB_ESTORE_BUSY);
  /* It waited for the other writer before giving up. */
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 1 * G_USEC_PER_SEC);
  g_assert_cmpstr (plab_store_errmsg (store), !=, "");

  raw_exec (db, "COMMIT;");
  g_assert_cmpint (plab_store_begin_run (store, &spec, &id), ==, 0);
  sqlite3_close (db);
  plab_store_close (store);
}

static void
test_sink (Fixture *f, gconstpointer data)
{
  PlabStore *store = open_rw (f->path);
  PlabRunSpec spec = { .demo = "squares", .backend = "threads", .workers = 2, .origin_ns = 777 };
  PlabLaneInfo lane = { .lane = 1, .kind = PLAB_LANE_THREAD, .tid = 55, .name = "worker 1" };
  PlabEvent events[3];
  PlabTraceSink sink;
  PlabEvent *spans = NULL;
  PlabLaneInfo *lanes = NULL;
  size_t n_spans = 0, n_lanes = 0;
  int64_t id;

  g_assert_cmpint (plab_store_begin_run (store, &spec, &id), ==, 0);
  plab_store_sink_init (store, id, &sink);
  g_assert_nonnull (sink.lane);
  g_assert_nonnull (sink.events);

  sink.lane (sink.user_data, &lane);
  events[0] = make_event (1, 800, 900, PLAB_SPAN_TASK, 0, "x=0");
  events[1] = make_event (1, 900, 1000, PLAB_SPAN_TASK, 1, "x=1");
  events[2] = make_event (1, 950, 950, PLAB_SPAN_COUNTER, 3, "busy workers");
  sink.events (sink.user_data, events, 3);
  g_assert_cmpint (plab_store_sink_error (store), ==, 0);

  g_assert_cmpint (plab_store_get_spans (store, id, 0, INT64_MAX, &spans, &n_spans), ==, 0);
  g_assert_cmpuint (n_spans, ==, 2);
  g_assert_cmpint (spans[0].start_ns, ==, 23);
  g_assert_cmpstr (spans[1].label, ==, "x=1");
  g_free (spans);
  g_assert_cmpint (plab_store_get_lanes (store, id, &lanes, &n_lanes), ==, 0);
  g_assert_cmpuint (n_lanes, ==, 1);
  g_assert_cmpstr (lanes[0].name, ==, "worker 1");
  g_free (lanes);

  /* A sink on a run that does not exist remembers the first error. */
  plab_store_sink_init (store, id + 1000, &sink);
  sink.events (sink.user_data, events, 3);
  g_assert_cmpint (plab_store_sink_error (store), ==, PLAB_ENOTFOUND);
  sink.events (sink.user_data, events, 3);
  g_assert_cmpint (plab_store_sink_error (store), ==, PLAB_ENOTFOUND);

  plab_store_close (store);
}

/* The sink under a real trace: what a lane records arrives in the store. */
static void
test_trace_sink (Fixture *f, gconstpointer data)
{
  PlabStore *store = open_rw (f->path);
  PlabTrace *trace = plab_trace_new ();
  PlabRunSpec spec = { .demo = "squares", .backend = "serial", .workers = 1 };
  PlabTraceSink sink;
  PlabEvent *spans = NULL, *counters = NULL;
  PlabLaneInfo *lanes = NULL;
  size_t n_spans = 0, n_counters = 0, n_lanes = 0;
  int64_t id, start;

  g_assert_nonnull (trace);
  spec.origin_ns = plab_trace_origin_ns (trace);
  g_assert_cmpint (plab_store_begin_run (store, &spec, &id), ==, 0);
  plab_store_sink_init (store, id, &sink);
  plab_trace_set_sink (trace, &sink);

  start = plab_now_ns ();
  for (int i = 0; i < 100; i++)
    plab_span (PLAB_SPAN_TASK, start + i * 1000, start + i * 1000 + 500, i, "square");
  plab_counter ("busy workers", 1);
  plab_trace_drain (trace);
  g_assert_cmpint (plab_store_sink_error (store), ==, 0);

  g_assert_cmpint (plab_store_get_spans (store, id, 0, INT64_MAX, &spans, &n_spans), ==, 0);
  g_assert_cmpuint (n_spans, ==, 100);
  g_assert_cmpint (spans[0].start_ns, ==, start - spec.origin_ns);
  g_assert_cmpint (spans[99].task_id, ==, 99);
  g_assert_cmpstr (spans[0].label, ==, "square");
  g_assert_cmpint (plab_store_get_counters (store, id, &counters, &n_counters), ==, 0);
  g_assert_cmpuint (n_counters, ==, 1);
  g_assert_cmpint (counters[0].task_id, ==, 1);
  g_assert_cmpint (plab_store_get_lanes (store, id, &lanes, &n_lanes), ==, 0);
  g_assert_cmpuint (n_lanes, ==, 1);
  g_assert_cmpint (lanes[0].kind, ==, PLAB_LANE_MAIN);
  g_assert_cmpint (lanes[0].pid, ==, getpid ());

  g_free (spans);
  g_free (counters);
  g_free (lanes);
  plab_trace_free (trace);
  plab_store_close (store);
}

/* Counts the rows of @table that belong to @run_id, with a plain SQLite
 * connection. */
static int64_t
raw_count (const char *path, const char *table, int64_t run_id)
{
  sqlite3 *db = raw_open (path);
  sqlite3_stmt *stmt = NULL;
  char *sql
      = g_strdup_printf ("SELECT count(*) FROM %s WHERE run_id = %" G_GINT64_FORMAT, table, run_id);
  int64_t n;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_free (sql);
  return n;
}

/* A run deleted by another client (the sqlite3 shell, which does not turn
 * foreign keys on) takes its spans, counters and lanes with it, and its id
 * is never given to a later run, which then holds only its own rows. */
static void
test_delete_run_cascades (Fixture *f, gconstpointer data)
{
  PlabStore *store = open_rw (f->path);
  PlabEvent counter = make_event (1, 1000500, 1000500, PLAB_SPAN_COUNTER, 3, "depth");
  int64_t first, newest, next;
  sqlite3 *db;

  first = record_run (store, "chef", 0, 40);
  newest = record_run (store, "chef", 0, 30);
  g_assert_cmpint (plab_store_add_events (store, newest, &counter, 1), ==, 0);
  plab_store_close (store);
  g_assert_cmpint (raw_count (f->path, "counters", newest), ==, 1);

  db = raw_open (f->path);
  raw_exec (db, "PRAGMA foreign_keys = OFF;");
  {
    char *sql = g_strdup_printf ("DELETE FROM runs WHERE id = %" G_GINT64_FORMAT, newest);

    raw_exec (db, sql);
    g_free (sql);
  }
  sqlite3_close (db);
  g_assert_cmpint (raw_count (f->path, "spans", newest), ==, 0);
  g_assert_cmpint (raw_count (f->path, "counters", newest), ==, 0);
  g_assert_cmpint (raw_count (f->path, "lanes", newest), ==, 0);
  g_assert_cmpint (raw_count (f->path, "spans", first), ==, 40);

  store = open_rw (f->path);
  next = record_run (store, "chef", 0, 7);
  g_assert_cmpint (next, >, newest);
  plab_store_close (store);
  g_assert_cmpint (raw_count (f->path, "spans", next), ==, 7);
  g_assert_cmpint (raw_count (f->path, "counters", next), ==, 0);
  g_assert_cmpint (raw_count (f->path, "lanes", next), ==, 2);
  assert_integrity_ok (f->path);
}

/* A store of schema version 1 (runs without AUTOINCREMENT, no trigger, and
 * spans left behind by a deleted run) is brought to the current version on
 * the first open for writing, keeping every run with its rows. */
static void
test_migrate_v1 (Fixture *f, gconstpointer data)
{
  const char *source_dir = g_getenv ("PLAB_SOURCE_DIR");
  char *schema_path = g_build_filename (source_dir ? source_dir : "..", "tests", "core",
                                        "store-schema-v1.sql", NULL);
  char *schema = NULL;
  PlabStore *store;
  PlabRunRecord *run = NULL;
  sqlite3 *db;
  int64_t next;
  GError *error = NULL;

  g_file_get_contents (schema_path, &schema, NULL, &error);
  g_assert_no_error (error);
  db = raw_open (f->path);
  raw_exec (db, schema);
  raw_exec (db, "PRAGMA application_id = 1347174722; PRAGMA user_version = 1;"
                "INSERT INTO runs (id, demo, backend, workers, status, started_at_us, runner_pid,"
                "  runner_start, runner_host, n_spans) "
                "  VALUES (1, 'chef', 'threads', 2, 'ok', 1, 1, 1, 'h', 2);"
                "INSERT INTO lanes (run_id, lane, kind, name) VALUES (1, 0, 'main', 'main');"
                "INSERT INTO spans VALUES (1, 0, 0, 0, 10, 0, 'a', 0), (1, 0, 5, 1, 9, 0, 'b', 1);"
                "INSERT INTO spans VALUES (2, 0, 0, 0, 10, 0, 'orphan', 0);"
                "INSERT INTO counters VALUES (2, 0, 'depth', 0, 1);");
  sqlite3_close (db);
  g_assert_cmpint (PLAB_STORE_APPLICATION_ID, ==, 1347174722);

  /* A reader asks for the upgrade, a writer does it. */
  store = NULL;
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &store), ==, PLAB_ESTORE_OPEN);
  store = open_rw (f->path);
  g_assert_cmpint (plab_store_get_run (store, 1, &run), ==, 0);
  g_assert_cmpint (run->n_spans, ==, 2);
  plab_run_record_free (run);
  next = record_run (store, "chef", 0, 3);
  g_assert_cmpint (next, ==, 2);
  plab_store_close (store);
  g_assert_cmpint (raw_count (f->path, "spans", 1), ==, 2);
  g_assert_cmpint (raw_count (f->path, "lanes", 1), ==, 1);
  g_assert_cmpint (raw_count (f->path, "spans", 2), ==, 3);
  g_assert_cmpint (raw_count (f->path, "counters", 2), ==, 0);

  /* Now with AUTOINCREMENT and the trigger. */
  db = raw_open (f->path);
  raw_exec (db, "DELETE FROM runs WHERE id = 2;");
  sqlite3_close (db);
  g_assert_cmpint (raw_count (f->path, "spans", 2), ==, 0);
  store = open_rw (f->path);
  g_assert_cmpint (record_run (store, "chef", 0, 1), ==, 3);
  plab_store_close (store);
  assert_integrity_ok (f->path);
  g_free (schema);
  g_free (schema_path);
}

/* A store of schema version 2 gets the machine-load columns of version 4 on
 * the first open for writing: its runs read "not measured", a new run's
 * load is written and read back, and a reader no longer asks for an upgrade. */
static void
test_migrate_v2 (Fixture *f, gconstpointer data)
{
  const char *source_dir = g_getenv ("PLAB_SOURCE_DIR");
  g_autofree char *schema_path = g_build_filename (source_dir ? source_dir : "..", "tests", "core",
                                                   "store-schema-v2.sql", NULL);
  g_autofree char *schema = NULL;
  PlabMachineLoad load = { .measured = true,
                           .load_avg = 3.5,
                           .cpus = 2,
                           .others_share = 0.6,
                           .steal_share = 0.01,
                           .window_ns = 2000000000 };
  PlabRunSpec spec = { .demo = "chef", .backend = "processes", .workers = 2 };
  PlabRunOutcome outcome = { .status = PLAB_RUN_OK, .wall_ns = 2000000000, .load = &load };
  PlabStore *store = NULL;
  PlabRunRecord *run = NULL;
  char note[256];
  sqlite3 *db;
  int64_t id = 0;
  GError *error = NULL;

  g_file_get_contents (schema_path, &schema, NULL, &error);
  g_assert_no_error (error);
  db = raw_open (f->path);
  raw_exec (db, schema);
  raw_exec (db, "PRAGMA application_id = 1347174722; PRAGMA user_version = 2;"
                "INSERT INTO runs (demo, backend, workers, status, started_at_us, wall_ns, "
                "  runner_pid, runner_start, runner_host) "
                "  VALUES ('chef', 'threads', 2, 'ok', 1, 5000, 1, 1, 'h');");
  sqlite3_close (db);

  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &store), ==, PLAB_ESTORE_OPEN);
  store = open_rw (f->path);
  g_assert_cmpint (plab_store_get_run (store, 1, &run), ==, 0);
  g_assert_cmpint (run->wall_ns, ==, 5000);
  g_assert_false (run->load.measured);
  g_assert_false (plab_machine_load_is_busy (&run->load));
  g_assert_cmpstr (plab_machine_load_describe (&run->load, note, sizeof note), ==, "not measured");
  plab_run_record_free (run);

  g_assert_cmpint (plab_store_begin_run (store, &spec, &id), ==, 0);
  g_assert_cmpint (id, ==, 2);
  g_assert_cmpint (plab_store_finish_run (store, id, &outcome), ==, 0);
  plab_store_close (store);

  store = NULL;
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &store), ==, 0);
  g_assert_cmpint (plab_store_get_run (store, id, &run), ==, 0);
  g_assert_true (run->load.measured);
  g_assert_cmpfloat_with_epsilon (run->load.load_avg, 3.5, 1e-9);
  g_assert_cmpint (run->load.cpus, ==, 2);
  g_assert_cmpfloat_with_epsilon (run->load.others_share, 0.6, 1e-9);
  g_assert_cmpfloat_with_epsilon (run->load.steal_share, 0.01, 1e-9);
  g_assert_cmpint (run->load.window_ns, ==, 2000000000);
  g_assert_true (plab_machine_load_is_busy (&run->load));
  plab_run_record_free (run);
  g_assert_cmpint (plab_store_get_run (store, 1, &run), ==, 0);
  g_assert_false (run->load.measured);
  plab_run_record_free (run);
  plab_store_close (store);

  db = raw_open (f->path);
  raw_exec (db, "SELECT load_avg_1m, load_cpus, load_others_share, load_steal_share, "
                "load_window_ns FROM runs");
  sqlite3_close (db);
  assert_integrity_ok (f->path);
}

/* A store of schema version 4 gets the flow and item columns of spans on the
 * first open for writing: its spans move nothing, a new run's puts and gets
 * are written and read back with their items, and the old rows hold NULL. */
static void
test_migrate_v4 (Fixture *f, gconstpointer data)
{
  const char *source_dir = g_getenv ("PLAB_SOURCE_DIR");
  g_autofree char *schema_path = g_build_filename (source_dir ? source_dir : "..", "tests", "core",
                                                   "store-schema-v4.sql", NULL);
  g_autofree char *schema = NULL;
  PlabRunSpec spec = { .demo = "cars", .backend = "processes", .workers = 2 };
  PlabRunOutcome outcome = { .status = PLAB_RUN_OK, .wall_ns = 100 };
  PlabEvent events[3];
  PlabStore *store = NULL;
  PlabEvent *spans = NULL;
  size_t n_spans = 0;
  sqlite3 *db;
  sqlite3_stmt *stmt;
  int64_t id = 0;
  GError *error = NULL;

  g_file_get_contents (schema_path, &schema, NULL, &error);
  g_assert_no_error (error);
  db = raw_open (f->path);
  raw_exec (db, schema);
  raw_exec (db, "PRAGMA application_id = 1347174722; PRAGMA user_version = 4;"
                "INSERT INTO runs (demo, backend, workers, status, started_at_us, wall_ns, "
                "  runner_pid, runner_start, runner_host, n_spans, max_span_ns) "
                "  VALUES ('cars', 'threads', 2, 'ok', 1, 5000, 1, 1, 'h', 1, 10);"
                "INSERT INTO lanes (run_id, lane, kind, name) VALUES (1, 0, 'main', 'main');"
                "INSERT INTO spans VALUES (1, 0, 0, 0, 10, 0, 'car 3: Fiat', 3);");
  sqlite3_close (db);

  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &store), ==, PLAB_ESTORE_OPEN);
  store = open_rw (f->path);
  g_assert_cmpint (plab_store_get_spans (store, 1, 0, INT64_MAX, &spans, &n_spans), ==, 0);
  g_assert_cmpuint (n_spans, ==, 1);
  g_assert_cmpstr (spans[0].label, ==, "car 3: Fiat");
  g_assert_cmpint (spans[0].flow, ==, PLAB_FLOW_NONE);
  g_assert_cmpint (spans[0].item, ==, -1);
  g_clear_pointer (&spans, free);

  events[0] = make_event (1, 0, 10, PLAB_SPAN_TASK, 7, "build car 7: Fiat");
  events[0].flow = PLAB_FLOW_PUT;
  events[0].item = 7;
  events[1] = make_event (2, 20, 30, PLAB_SPAN_TASK, 7, "car 7: Fiat");
  events[1].flow = PLAB_FLOW_GET;
  events[1].item = 7;
  events[2] = make_event (2, 40, 50, PLAB_SPAN_TASK, 8, "car 8: Opel");
  events[2].item = 8; /* no flow: the item means nothing */
  g_assert_cmpint (plab_store_begin_run (store, &spec, &id), ==, 0);
  g_assert_cmpint (id, ==, 2);
  g_assert_cmpint (plab_store_add_events (store, id, events, 3), ==, 0);
  g_assert_cmpint (plab_store_finish_run (store, id, &outcome), ==, 0);
  plab_store_close (store);

  store = NULL;
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &store), ==, 0);
  g_assert_cmpint (plab_store_get_spans (store, id, 0, INT64_MAX, &spans, &n_spans), ==, 0);
  g_assert_cmpuint (n_spans, ==, 3);
  g_assert_cmpint (spans[0].flow, ==, PLAB_FLOW_PUT);
  g_assert_cmpint (spans[0].item, ==, 7);
  g_assert_cmpint (spans[1].flow, ==, PLAB_FLOW_GET);
  g_assert_cmpint (spans[1].item, ==, 7);
  g_assert_cmpint (spans[2].flow, ==, PLAB_FLOW_NONE);
  g_assert_cmpint (spans[2].item, ==, -1);
  free (spans);
  plab_store_close (store);

  db = raw_open (f->path);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT COUNT (*) FROM spans WHERE flow IS NULL"
                                       " AND item IS NULL",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 2);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  assert_integrity_ok (f->path);
}

/* A store of schema version 5 gets the calibrations table of version 6 on
 * the first open for writing (a reader asks for the upgrade first), keeps
 * its runs, and then keeps this machine's calibration across opens. */
static void
test_migrate_v5 (Fixture *f, gconstpointer data)
{
  PlabCalibration c = { .value = 1.5e9, .cpu_ns = 20000000, .wall_ns = 21000000 };
  PlabCalibration got = { 0 };
  PlabStore *store = open_rw (f->path);
  PlabRunRecord *run = NULL;
  sqlite3 *db;

  record_run (store, "chef", 0, 3);
  plab_store_close (store);
  /* Version 5 is version 7 without the calibrations and attempts tables. */
  db = raw_open (f->path);
  raw_exec (db, "DROP TABLE calibrations; DROP TABLE attempts; PRAGMA user_version = 5;");
  sqlite3_close (db);

  store = NULL;
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &store), ==, PLAB_ESTORE_OPEN);
  store = open_rw (f->path);
  g_assert_cmpint (plab_store_get_run (store, 1, &run), ==, 0);
  g_assert_cmpint (run->n_spans, ==, 3);
  plab_run_record_free (run);
  g_assert_cmpint (plab_store_get_calibration (store, "spin_rate", &got), ==, PLAB_ENOTFOUND);
  g_assert_cmpint (plab_store_put_calibration (store, "spin_rate", &c), ==, 0);
  plab_store_close (store);

  store = open_rw (f->path);
  g_assert_cmpint (plab_store_get_calibration (store, "spin_rate", &got), ==, 0);
  g_assert_cmpfloat (got.value, ==, 1.5e9);
  g_assert_cmpint (got.cpu_ns, ==, 20000000);
  g_assert_cmpint (got.wall_ns, ==, 21000000);
  g_assert_cmpint (got.measured_at_us, >, 0);
  /* Replaced, not added; a rate that is not above 0 is refused. */
  c.value = 2e9;
  g_assert_cmpint (plab_store_put_calibration (store, "spin_rate", &c), ==, 0);
  g_assert_cmpint (plab_store_get_calibration (store, "spin_rate", &got), ==, 0);
  g_assert_cmpfloat (got.value, ==, 2e9);
  c.value = 0;
  g_assert_cmpint (plab_store_put_calibration (store, "spin_rate", &c), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_store_get_calibration (store, "other", &got), ==, PLAB_ENOTFOUND);
  plab_store_close (store);

  /* A reader cannot ask: the machine is the one a writer opened on. */
  store = NULL;
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &store), ==, 0);
  g_assert_cmpint (plab_store_get_calibration (store, "spin_rate", &got), ==, PLAB_ESTORE_READONLY);
  plab_store_close (store);
  assert_integrity_ok (f->path);
}

/* A store missing one of plab's tables, columns or triggers is refused as
 * damaged, by readers and writers, and left as it is. */
static void
test_missing_table (Fixture *f, gconstpointer data)
{
  static const char *const damage[] = {
    "DROP TABLE spans;",
    "DROP TABLE counters;",
    "DROP TABLE lanes;",
    "DROP TABLE machines;",
    "DROP TABLE span_kinds;",
    "DROP TABLE calibrations;",
    "ALTER TABLE runs DROP COLUMN check_message;",
    "ALTER TABLE spans RENAME COLUMN label TO text;",
    "DROP TRIGGER runs_delete;",
  };

  for (guint i = 0; i < G_N_ELEMENTS (damage); i++)
    {
      PlabStore *store = open_rw (f->path);
      sqlite3 *db;

      record_run (store, "chef", 0, 5);
      plab_store_close (store);
      db = raw_open (f->path);
      raw_exec (db, damage[i]);
      sqlite3_close (db);
      g_test_message ("%s", damage[i]);
      assert_refused_untouched (f->path, PLAB_ESTORE_CORRUPT);
      g_assert_nonnull (strstr (plab_store_open_error (), "damaged"));
      g_unlink (f->path);
    }
}

/* A store file deleted, moved or replaced while a run is written: the run
 * is not reported recorded. */
static void
test_gone_mid_run (Fixture *f, gconstpointer data)
{
  PlabRunSpec spec = { .demo = "chef", .backend = "serial", .workers = 1, .origin_ns = 0 };
  PlabRunOutcome outcome = { .status = PLAB_RUN_OK, .wall_ns = 5, .check_ok = true };
  PlabEvent ev = make_event (0, 1, 2, PLAB_SPAN_TASK, 0, "t");
  char *moved = g_strconcat (f->path, ".moved", NULL);

  for (int how = 0; how < 3; how++)
    {
      PlabStore *store = open_rw (f->path);
      int64_t id;

      g_assert_cmpint (plab_store_begin_run (store, &spec, &id), ==, 0);
      g_assert_cmpint (plab_store_add_events (store, id, &ev, 1), ==, 0);
      if (how == 0)
        g_assert_cmpint (g_unlink (f->path), ==, 0);
      else
        g_assert_cmpint (g_rename (f->path, moved), ==, 0);
      /* Another file takes its place. */
      if (how == 2)
        g_assert_true (g_file_set_contents (f->path, "", 0, NULL));
      g_assert_cmpint (plab_store_finish_run (store, id, &outcome), ==, PLAB_ESTORE_IO);
      g_assert_nonnull (
          strstr (plab_store_errmsg (store), how == 2 ? "replaced" : "deleted or moved"));
      plab_store_close (store);
      for (guint k = 0; k < 2; k++)
        {
          const char *base = k == 0 ? f->path : moved;
          char *wal = g_strconcat (base, "-wal", NULL);
          char *shm = g_strconcat (base, "-shm", NULL);

          g_unlink (base);
          g_unlink (wal);
          g_unlink (shm);
          g_free (wal);
          g_free (shm);
        }
    }
  g_free (moved);
}

/* Another plab runner holding the store's write lock longer than the busy
 * timeout (a big commit on a loaded machine) is waited for. */
static void
test_waits_for_runner (Fixture *f, gconstpointer data)
{
  PlabRunSpec spec = { .demo = "chef", .backend = "serial", .workers = 1 };
  PlabStore *store = open_rw (f->path);
  int locked[2];
  pid_t pid;
  int64_t id;
  int status;
  char c;

  plab_store_close (store);
  g_assert_cmpint (pipe (locked), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      PlabStore *runner = NULL;
      sqlite3 *db = NULL;
      int64_t run;

      /* A runner with a run going, whose commit takes 5 s. */
      if (plab_store_open (f->path, PLAB_STORE_READ_WRITE, &runner) != 0
          || plab_store_begin_run (runner, &spec, &run) != 0
          || sqlite3_open (f->path, &db) != SQLITE_OK
          || sqlite3_exec (db,
                           "BEGIN IMMEDIATE; INSERT INTO sweeps (demo, created_at_us) "
                           "VALUES ('x', 0);",
                           NULL, NULL, NULL)
                 != SQLITE_OK
          || write (locked[1], "x", 1) != 1)
        _exit (3);
      g_usleep (5 * G_USEC_PER_SEC);
      if (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        _exit (4);
      sqlite3_close (db);
      /* Closed, so that under valgrind the child leaks nothing (it would
       * exit 99 with a leak report). */
      plab_store_close (runner);
      _exit (0);
    }
  /* The open (which writes) and the run's first row both come after the
   * other runner's commit, 5 s on, past the 3 s busy timeout. */
  g_assert_cmpint (read (locked[0], &c, 1), ==, 1);
  store = open_rw (f->path);
  g_assert_cmpint (plab_store_begin_run (store, &spec, &id), ==, 0);
  plab_store_close (store);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  close (locked[0]);
  close (locked[1]);
}

/* A store of schema version 6 gets the attempts table of version 7 on the
 * first open for writing and keeps its runs; attempts then go in and come
 * back in order, per exercise, with their runs. */
static void
test_attempts (Fixture *f, gconstpointer data)
{
  PlabStore *store = open_rw (f->path);
  PlabAttempt a = { .exercise = (char *)"pool-map",
                    .folder = (char *)"/home/student/pool-map",
                    .verdict = (char *)"serial",
                    .message = (char *)"only 0 worker lane(s) did any task",
                    .run_id = 1,
                    .wall_ns = 200000000,
                    .reference_wall_ns = 100000000,
                    .speed = 0.5 };
  PlabAttempt b = { .exercise = (char *)"queue",
                    .folder = (char *)"/home/student/queue",
                    .passed = true,
                    .verdict = (char *)"passed",
                    .message = (char *)"ok" };
  PlabAttempt **list = NULL;
  size_t n = 0;
  sqlite3 *db;

  record_run (store, "chef", 0, 3);
  plab_store_close (store);
  /* Version 6 is version 7 without the attempts table. */
  db = raw_open (f->path);
  raw_exec (db, "DROP TABLE attempts; PRAGMA user_version = 6;");
  sqlite3_close (db);

  store = open_rw (f->path);
  g_assert_cmpint (plab_store_list_attempts (store, NULL, &list, &n), ==, 0);
  g_assert_cmpuint (n, ==, 0);
  plab_attempts_free (list, n);
  g_assert_cmpint (plab_store_add_attempt (store, &a), ==, 0);
  g_assert_cmpint (plab_store_add_attempt (store, &b), ==, 0);
  g_assert_cmpint (a.id, <, b.id);
  g_assert_cmpint (a.checked_at_us, >, 0);
  plab_store_close (store);

  store = open_rw (f->path);
  g_assert_cmpint (plab_store_list_attempts (store, NULL, &list, &n), ==, 0);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpstr (list[0]->exercise, ==, "pool-map");
  g_assert_cmpstr (list[0]->verdict, ==, "serial");
  g_assert_false (list[0]->passed);
  g_assert_cmpint (list[0]->run_id, ==, 1);
  g_assert_cmpint (list[0]->reference_run_id, ==, 0);
  g_assert_cmpfloat (list[0]->speed, ==, 0.5);
  g_assert_true (list[1]->passed);
  plab_attempts_free (list, n);
  g_assert_cmpint (plab_store_list_attempts (store, "queue", &list, &n), ==, 0);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpstr (list[0]->folder, ==, "/home/student/queue");
  plab_attempts_free (list, n);
  plab_store_close (store);
  assert_integrity_ok (f->path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func)                                                                            \
  g_test_add ("/plab/store/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("round-trip", test_round_trip);
  ADD ("list-filter", test_list_filter);
  ADD ("default-path", test_default_path);
  ADD ("foreign", test_foreign);
  ADD ("garbage", test_garbage);
  ADD ("truncated", test_truncated);
  ADD ("damaged-index", test_damaged_index);
  ADD ("unknown-schema-format", test_unknown_schema_format);
  ADD ("damaged-check", test_damaged_check);
  ADD ("newer", test_newer);
  ADD ("newer-in-wal", test_newer_in_wal);
  ADD ("read-only", test_read_only);
  ADD ("empty-files", test_empty_files);
  ADD ("interrupted", test_interrupted);
  ADD ("busy", test_busy);
  ADD ("sink", test_sink);
  ADD ("trace-sink", test_trace_sink);
  ADD ("delete-run-cascades", test_delete_run_cascades);
  ADD ("migrate-v1", test_migrate_v1);
  ADD ("migrate-v2", test_migrate_v2);
  ADD ("migrate-v4", test_migrate_v4);
  ADD ("migrate-v5", test_migrate_v5);
  ADD ("attempts", test_attempts);
  ADD ("missing-table", test_missing_table);
  ADD ("gone-mid-run", test_gone_mid_run);
  ADD ("waits-for-runner", test_waits_for_runner);
#undef ADD

  return g_test_run ();
}
