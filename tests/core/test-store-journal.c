/* test-store-journal.c: the store's event journal, with writers that die.
 *
 * A forked child plays the runner: it opens the store, begins a run, keeps a
 * journal and dies (_exit, no finish) at a chosen point. The parent then opens
 * the store for writing, as the next runner would, and counts what the run
 * holds: every event the dead writer had journalled, once, whatever the point
 * it died at.
 */
#include "plab.h"

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tmp-test-util.h"

typedef struct
{
  char *dir;
  char *path;
  char *journal; /* the journal of run 1 */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = tmp_test_dir_new ("plab-journal-XXXXXX", &f->path);
  f->journal = g_strconcat (f->path, "-events-1", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  tmp_test_dir_free (f->dir, f->path);
  g_free (f->journal);
}

/* @n events from @first on: spans on lanes 1 and 2, every tenth a counter sample. */
static PlabEvent *
make_events (int first, int n)
{
  PlabEvent *ev = g_new0 (PlabEvent, n);

  for (int i = 0; i < n; i++)
    {
      int k = first + i;

      ev[i].start_ns = 1000 + (int64_t)k * 100;
      ev[i].end_ns = ev[i].start_ns + 50;
      ev[i].lane = (uint16_t)(1 + k % 2);
      if (k % 10 == 9)
        {
          ev[i].kind = PLAB_SPAN_COUNTER;
          ev[i].end_ns = ev[i].start_ns;
          ev[i].task_id = k;
          g_strlcpy (ev[i].label, "queue depth", sizeof ev[i].label);
        }
      else
        {
          ev[i].kind = PLAB_SPAN_TASK;
          ev[i].task_id = k;
          g_snprintf (ev[i].label, sizeof ev[i].label, "x=%d", k);
        }
    }
  return ev;
}

typedef enum
{
  DIE_AFTER_APPEND,         /* journalled, nothing committed */
  DIE_AFTER_COMMIT,         /* committed, the journal not yet reset */
  DIE_AFTER_RESET_AND_MORE, /* committed and reset, then more journalled */
  DIE_IN_A_WRITE,           /* half an event at the end of the journal */
} DeathPoint;

/* The dead runner: returns the events it journalled in all (0..n). */
static void
writer_child (const char *path, DeathPoint point, int n)
{
  PlabStore *store = NULL;
  PlabRunSpec spec = { .demo = "squares", .backend = "processes", .workers = 2 };
  PlabEvent *first = make_events (0, n), *more = make_events (n, n / 2);
  int64_t run_id = 0;

  if (plab_store_open (path, PLAB_STORE_READ_WRITE, &store) != 0
      || plab_store_begin_run (store, &spec, &run_id) != 0 || run_id != 1
      || plab_store_journal_begin (store, run_id) != 0
      || plab_store_journal_append (store, first, (size_t)n) != 0)
    _exit (2);
  switch (point)
    {
    case DIE_AFTER_APPEND:
      break;
    case DIE_AFTER_COMMIT:
      if (plab_store_add_events (store, run_id, first, (size_t)n) != 0)
        _exit (3);
      break;
    case DIE_AFTER_RESET_AND_MORE:
      if (plab_store_add_events (store, run_id, first, (size_t)n) != 0
          || plab_store_journal_reset (store) != 0
          || plab_store_journal_append (store, more, (size_t)(n / 2)) != 0)
        _exit (3);
      break;
    case DIE_IN_A_WRITE:
      {
        char *journal = g_strconcat (path, "-events-1", NULL);
        int fd = open (journal, O_WRONLY | O_APPEND);

        if (fd < 0 || write (fd, more, sizeof *more / 2) != (ssize_t)(sizeof *more / 2))
          _exit (3);
        close (fd);
      }
      break;
    }
  /* Killed: no finish, no journal end, no close. */
  _exit (0);
}

static void
run_writer (Fixture *f, DeathPoint point, int n)
{
  int status = 0;
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    writer_child (f->path, point, n);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_assert_true (g_file_test (f->journal, G_FILE_TEST_EXISTS));
}

static gint64
count (Fixture *f, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

/* Opens for writing (the repair) and checks run 1: failed, holding exactly
 * the events 0..@want-1 once each, with runs.n_spans right and no journal. */
static void
assert_repaired (Fixture *f, int want)
{
  PlabStore *store = NULL;
  int want_counters = 0;

  for (int k = 0; k < want; k++)
    want_counters += k % 10 == 9;
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_WRITE, &store), ==, 0);
  g_assert_cmpint (plab_store_repaired_runs (store), ==, 1);
  plab_store_close (store);

  g_assert_false (g_file_test (f->journal, G_FILE_TEST_EXISTS));
  g_assert_cmpint (count (f, "SELECT count(*) FROM runs WHERE id = 1 AND status = 'failed'"), ==,
                   1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM spans WHERE run_id = 1"), ==,
                   want - want_counters);
  g_assert_cmpint (count (f, "SELECT count(DISTINCT task_id) FROM spans WHERE run_id = 1"), ==,
                   want - want_counters);
  g_assert_cmpint (count (f, "SELECT n_spans FROM runs WHERE id = 1"), ==, want - want_counters);
  g_assert_cmpint (count (f, "SELECT count(*) FROM counters WHERE run_id = 1"), ==, want_counters);
  g_assert_cmpint (count (f, "SELECT max(task_id) FROM spans WHERE run_id = 1"), ==,
                   want % 10 == 0 ? want - 2 : want - 1);

  /* A second open finds nothing more to do. */
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_WRITE, &store), ==, 0);
  g_assert_cmpint (plab_store_repaired_runs (store), ==, 0);
  plab_store_close (store);
  g_assert_cmpint (count (f, "SELECT count(*) FROM spans WHERE run_id = 1"), ==,
                   want - want_counters);
}

static void
test_killed_before_commit (Fixture *f, gconstpointer data)
{
  run_writer (f, DIE_AFTER_APPEND, 1000);
  /* A reader neither imports nor removes it. */
  {
    PlabStore *store = NULL;
    g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &store), ==, 0);
    plab_store_close (store);
    g_assert_true (g_file_test (f->journal, G_FILE_TEST_EXISTS));
  }
  assert_repaired (f, 1000);
}

/* Where the writer dies after journalling 1000 events, and how many the
 * repaired run must hold. */
typedef struct
{
  DeathPoint point;
  int want;
} Killed;

/* The store already has them: importing the journal again would double them. */
static const Killed killed_after_commit = { DIE_AFTER_COMMIT, 1000 };
static const Killed killed_after_reset = { DIE_AFTER_RESET_AND_MORE, 1500 };
/* The torn last event is dropped; the whole ones before it are kept. */
static const Killed killed_in_a_write = { DIE_IN_A_WRITE, 1000 };

static void
test_killed (Fixture *f, gconstpointer data)
{
  const Killed *killed = data;

  run_writer (f, killed->point, 1000);
  assert_repaired (f, killed->want);
}

static void
test_foreign_journal_left_alone (Fixture *f, gconstpointer data)
{
  static const char junk[] = "this is not a journal of plab's, and it stays as it is";
  PlabStore *store = NULL;
  char *contents = NULL;

  run_writer (f, DIE_AFTER_APPEND, 100);
  g_assert_true (g_file_set_contents (f->journal, junk, -1, NULL));
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_WRITE, &store), ==, 0);
  g_assert_cmpint (plab_store_repaired_runs (store), ==, 1);
  plab_store_close (store);
  g_assert_cmpint (count (f, "SELECT count(*) FROM spans WHERE run_id = 1"), ==, 0);
  g_assert_true (g_file_get_contents (f->journal, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, junk);
  g_free (contents);
}

static void
test_finished_run_leaves_no_journal (Fixture *f, gconstpointer data)
{
  PlabStore *store = NULL;
  PlabRunSpec spec = { .demo = "squares", .backend = "serial", .workers = 1 };
  PlabRunOutcome outcome = { .status = PLAB_RUN_OK, .check_ok = true };
  PlabEvent *ev = make_events (0, 200);
  int64_t run_id = 0;

  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_WRITE, &store), ==, 0);
  g_assert_cmpint (plab_store_begin_run (store, &spec, &run_id), ==, 0);
  g_assert_cmpint (plab_store_journal_begin (store, run_id), ==, 0);
  g_assert_cmpint (plab_store_journal_append (store, ev, 200), ==, 0);
  g_assert_true (g_file_test (f->journal, G_FILE_TEST_EXISTS));
  g_assert_cmpint (plab_store_add_events (store, run_id, ev, 200), ==, 0);
  plab_store_journal_end (store);
  g_assert_false (g_file_test (f->journal, G_FILE_TEST_EXISTS));
  g_assert_cmpint (plab_store_finish_run (store, run_id, &outcome), ==, 0);
  plab_store_close (store);
  g_assert_cmpint (count (f, "SELECT n_spans FROM runs WHERE id = 1"), ==, 180);
  g_free (ev);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/plab/store-journal/killed-before-commit", test_killed_before_commit);
  g_test_add ("/plab/store-journal/killed-after-commit", Fixture, &killed_after_commit,
              fixture_setup, test_killed, fixture_teardown);
  g_test_add ("/plab/store-journal/killed-after-reset", Fixture, &killed_after_reset, fixture_setup,
              test_killed, fixture_teardown);
  g_test_add ("/plab/store-journal/killed-in-a-write", Fixture, &killed_in_a_write, fixture_setup,
              test_killed, fixture_teardown);
  ADD ("/plab/store-journal/foreign-journal-left-alone", test_foreign_journal_left_alone);
  ADD ("/plab/store-journal/finished-run-leaves-none", test_finished_run_leaves_no_journal);
#undef ADD

  return g_test_run ();
}
