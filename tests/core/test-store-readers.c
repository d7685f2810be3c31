/* test-store-readers.c: readers never see a half-written run.
 *
 * The real runner (`plab run`, a separate process) records sweeps of runs
 * into a store while this program keeps loading every run through the same
 * read calls, in the same order, as the lab window's loader
 * (plab_store_get_run, then lanes, spans and counters): once with one
 * connection kept open, as the window does, and once with a fresh open per
 * pass, as `plab show` does. Whatever moment a pass hits:
 *
 *   - every call succeeds (a reader is never locked out by the writer);
 *   - a run that reads as finished ("ok") has all of its spans: as many as
 *     its record counts, every one on a lane the run lists, and it never
 *     changes again;
 *   - a run that reads as running only ever grows;
 *   - no run reads as failed or cancelled (all of them succeed).
 *
 * And, the faults behind earlier versions of this test failing: a second
 * store opened in a process leaves the first connection its locks; a reader
 * opening a store while the runner creates it never takes it for another
 * program's (or a damaged) file, nor removes the runner's -wal and -shm
 * files.
 */
#include "plab.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tmp-test-util.h"

#define WRITER_DEADLINE_US (90 * G_USEC_PER_SEC)
#define MAX_RUNS 64
#define CREATE_ROUNDS 40

static char *plab_path;

typedef struct
{
  int64_t spans_when_finished; /* -1 until the run has read as ok */
  int64_t most_spans_running;
  gboolean seen_running;
} RunSeen;

typedef struct
{
  RunSeen runs[MAX_RUNS + 1];
  int passes;
  int finished_reads;
  int running_reads;
  int runs_seen_running; /* runs caught between their start and their end */
} Observations;

static GPid
spawn_writer (const char *db, const char *const *run_args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) env = g_get_environ ();
  GPid pid = 0;

  env = g_environ_unsetenv (env, "DISPLAY");
  g_ptr_array_add (argv, plab_path);
  g_ptr_array_add (argv, (char *)"run");
  for (int i = 0; run_args[i]; i++)
    g_ptr_array_add (argv, (char *)run_args[i]);
  g_ptr_array_add (argv, (char *)"--db");
  g_ptr_array_add (argv, (char *)db);
  g_ptr_array_add (argv, NULL);
  g_spawn_async (NULL, (char **)argv->pdata, env,
                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  return pid;
}

/* Loads every run of @store the way the lab window does and checks what a
 * reader may and may not see. */
static void
read_pass (PlabStore *store, Observations *obs)
{
  PlabRunRecord **runs = NULL;
  size_t n_runs = 0;

  g_assert_cmpint (plab_store_list_runs (store, NULL, &runs, &n_runs), ==, 0);
  g_assert_cmpuint (n_runs, <=, MAX_RUNS);
  for (size_t i = 0; i < n_runs; i++)
    {
      PlabRunRecord *run = NULL;
      PlabLaneInfo *lanes = NULL;
      PlabEvent *spans = NULL, *counters = NULL;
      size_t n_lanes = 0, n_spans = 0, n_counters = 0;
      int64_t id = runs[i]->id;
      RunSeen *seen;

      g_assert_cmpint (id, >=, 1);
      g_assert_cmpint (id, <=, MAX_RUNS);
      seen = &obs->runs[id];

      /* The loader's order: the record first, then what hangs off it. */
      g_assert_cmpint (plab_store_get_run (store, id, &run), ==, 0);
      g_assert_cmpint (plab_store_get_lanes (store, id, &lanes, &n_lanes), ==, 0);
      {
        int rc = plab_store_get_spans (store, id, 0, INT64_MAX, &spans, &n_spans);
        if (rc != 0)
          g_error ("spans of run %" G_GINT64_FORMAT ": %s: %s", id, plab_strerror (rc),
                   plab_store_errmsg (store));
      }
      g_assert_cmpint (plab_store_get_counters (store, id, &counters, &n_counters), ==, 0);

      if (run->status != PLAB_RUN_OK && run->status != PLAB_RUN_RUNNING)
        g_error ("run %" G_GINT64_FORMAT " reads as %s: %s", id, plab_run_status_name (run->status),
                 run->error ? run->error : "");

      if (run->status == PLAB_RUN_OK)
        {
          obs->finished_reads++;
          /* Everything the record counts is there, and nothing more. */
          g_assert_cmpint ((int64_t)n_spans, ==, run->n_spans);
          g_assert_cmpint (run->n_spans, >, 0);
          g_assert_true (run->check_ok);
          g_assert_true (run->result_json[0] == '{' && strlen (run->result_json) > 2);
          g_assert_cmpint (run->wall_ns, >, 0);
          g_assert_cmpuint (n_lanes, >=, 1);
          for (size_t s = 0; s < n_spans; s++)
            {
              gboolean listed = FALSE;

              for (size_t l = 0; l < n_lanes && !listed; l++)
                listed = lanes[l].lane == spans[s].lane;
              if (!listed)
                g_error ("run %" G_GINT64_FORMAT ": a span on lane %d, which the run does not list",
                         id, spans[s].lane);
            }
          /* A finished run never changes again. */
          if (seen->spans_when_finished < 0)
            seen->spans_when_finished = (int64_t)n_spans;
          g_assert_cmpint ((int64_t)n_spans, ==, seen->spans_when_finished);
        }
      else
        {
          /* Running: its spans only grow, and it has not read as finished. */
          obs->running_reads++;
          g_assert_cmpint (seen->spans_when_finished, <, 0);
          g_assert_cmpint ((int64_t)n_spans, >=, run->n_spans);
          g_assert_cmpint ((int64_t)n_spans, >=, seen->most_spans_running);
          seen->most_spans_running = (int64_t)n_spans;
          if (!seen->seen_running)
            obs->runs_seen_running++;
          seen->seen_running = TRUE;
        }

      free (lanes);
      free (spans);
      free (counters);
      plab_run_record_free (run);
    }
  plab_run_records_free (runs, n_runs);
  obs->passes++;
}

static void
test_readers_during_writes (void)
{
  g_autofree char *db = NULL;
  g_autofree char *dir = tmp_test_dir_new ("plab-readers-XXXXXX", &db);
  /* Two writers, one after the other: sweeps on every backend (spans on
   * many lanes, written in batches after each run), then cars (counter
   * samples, producers and consumers). */
  const char *const squares[] = { "squares", "-b",        "serial,threads,processes",
                                  "--sweep", "1,2",       "--repeat",
                                  "2",       "--set",     "n=30000",
                                  "--set",   "work=2000", NULL };
  const char *const cars[] = { "cars",
                               "-b",
                               "threads",
                               "-j",
                               "2",
                               "--repeat",
                               "3",
                               "--set",
                               "cars=300",
                               "--set",
                               "producer_ms=0.2",
                               "--set",
                               "consumer_ms=0.2",
                               NULL };
  const char *const *writers[] = { squares, cars };
  Observations obs;
  PlabStore *kept = NULL;
  PlabRunRecord **runs = NULL;
  size_t n_runs = 0;
  gint64 deadline = g_get_monotonic_time () + WRITER_DEADLINE_US;

  memset (&obs, 0, sizeof obs);
  for (int i = 0; i <= MAX_RUNS; i++)
    obs.runs[i].spans_when_finished = -1;

  for (size_t w = 0; w < G_N_ELEMENTS (writers); w++)
    {
      GPid pid = spawn_writer (db, writers[w]);
      int wait_status = 0;
      pid_t done = 0;

      while ((done = waitpid (pid, &wait_status, WNOHANG)) == 0)
        {
          if (g_get_monotonic_time () > deadline)
            {
              kill (pid, SIGKILL);
              waitpid (pid, &wait_status, 0);
              g_error ("the writer did not finish within %d s", WRITER_DEADLINE_US / 1000000);
            }
          /* The store appears with the first run; until then there is
           * nothing to read. */
          if (kept == NULL && g_file_test (db, G_FILE_TEST_EXISTS))
            {
              if (plab_store_open (db, PLAB_STORE_READ_ONLY, &kept) != 0)
                {
                  kept = NULL;
                  g_usleep (1000);
                  continue;
                }
            }
          if (kept == NULL)
            {
              g_usleep (1000);
              continue;
            }
          if (obs.passes % 2 == 0)
            read_pass (kept, &obs);
          else
            {
              PlabStore *fresh = NULL;

              if (plab_store_open (db, PLAB_STORE_READ_ONLY, &fresh) != 0)
                g_error ("a reader could not open the store: %s", plab_store_open_error ());
              read_pass (fresh, &obs);
              plab_store_close (fresh);
            }
        }
      g_assert_cmpint (done, ==, pid);
      g_spawn_close_pid (pid);
      g_assert_true (WIFEXITED (wait_status));
      g_assert_cmpint (WEXITSTATUS (wait_status), ==, 0);
    }

  /* After the writers: every run is there, finished, and as it was read. */
  g_assert_nonnull (kept);
  read_pass (kept, &obs);
  g_assert_cmpint (plab_store_list_runs (kept, NULL, &runs, &n_runs), ==, 0);
  g_assert_cmpuint (n_runs, ==, 10 + 3);
  for (size_t i = 0; i < n_runs; i++)
    g_assert_cmpint (runs[i]->status, ==, PLAB_RUN_OK);
  plab_run_records_free (runs, n_runs);
  plab_store_close (kept);

  g_assert_cmpint (obs.finished_reads, >, 0);
  g_test_message ("%d passes: %d reads of finished runs, %d of running ones; %d runs caught "
                  "while running",
                  obs.passes, obs.finished_reads, obs.running_reads, obs.runs_seen_running);
  tmp_test_remove_tree (dir);
}

/* Runs `plab run` with @args on @db to the end; asserts it succeeded. */
static void
run_writer (const char *db, const char *const *args)
{
  GPid pid = spawn_writer (db, args);
  int wait_status = 0;

  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (wait_status));
  g_assert_cmpint (WEXITSTATUS (wait_status), ==, 0);
}

/* A second store opened (and closed) in a process must not take the locks
 * of the first: POSIX drops every lock a process holds on a file when any
 * descriptor of it is closed. The first connection's lock on the database
 * is what tells a writer that closes that it is not the last one, and must
 * not checkpoint and delete the -wal file; so with the lock gone, the -wal
 * file disappears under a reader that still uses it. */
static void
test_second_open_keeps_locks (void)
{
  g_autofree char *db = NULL;
  g_autofree char *dir = tmp_test_dir_new ("plab-readers-XXXXXX", &db);
  g_autofree char *wal = NULL;
  const char *const small[] = { "squares", "-b", "serial", "--set", "n=200", NULL };
  PlabStore *window = NULL, *dialog = NULL;
  PlabRunRecord **runs = NULL;
  size_t n_runs = 0;

  wal = g_strconcat (db, "-wal", NULL);
  run_writer (db, small);

  /* The window's connection, kept open; then another open and close in
   * the same process, as the export dialog does. */
  g_assert_cmpint (plab_store_open (db, PLAB_STORE_READ_ONLY, &window), ==, 0);
  g_assert_cmpint (plab_store_list_runs (window, NULL, &runs, &n_runs), ==, 0);
  g_assert_cmpuint (n_runs, ==, 1);
  plab_run_records_free (runs, n_runs);
  g_assert_cmpint (plab_store_open (db, PLAB_STORE_READ_ONLY, &dialog), ==, 0);
  plab_store_close (dialog);

  /* A runner records a run and exits: the window is still there, so the
   * runner is not the last connection and leaves the -wal file alone. */
  run_writer (db, small);
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_cmpint (plab_store_list_runs (window, NULL, &runs, &n_runs), ==, 0);
  g_assert_cmpuint (n_runs, ==, 2);
  plab_run_records_free (runs, n_runs);
  plab_store_close (window);
  tmp_test_remove_tree (dir);
}

/* The data version a window polls moves when another process commits a run,
 * and stays put while nothing is written: the window reads its history again
 * only then. The store's own writes do not move its own version. */
static void
test_data_version (void)
{
  g_autofree char *db = NULL;
  g_autofree char *dir = tmp_test_dir_new ("plab-readers-XXXXXX", &db);
  const char *const small[] = { "squares", "-b", "serial", "--set", "n=200", NULL };
  PlabStore *window = NULL, *writer = NULL;
  PlabRunSpec spec = { .demo = "squares", .backend = "serial", .workers = 1 };
  int64_t v0 = -1, v1 = -1, v2 = -1, own0 = -1, own1 = -1, run_id = 0;

  g_assert_cmpint (plab_store_data_version (NULL, &v0), ==, PLAB_EINVAL);
  run_writer (db, small);
  g_assert_cmpint (plab_store_open (db, PLAB_STORE_READ_ONLY, &window), ==, 0);
  g_assert_cmpint (plab_store_data_version (window, &v0), ==, 0);
  g_assert_cmpint (plab_store_data_version (window, &v1), ==, 0);
  g_assert_cmpint (v1, ==, v0);

  /* Another process records a run. */
  run_writer (db, small);
  g_assert_cmpint (plab_store_data_version (window, &v1), ==, 0);
  g_assert_cmpint (v1, !=, v0);

  /* Another connection in this process begins one. */
  g_assert_cmpint (plab_store_open (db, PLAB_STORE_READ_WRITE, &writer), ==, 0);
  g_assert_cmpint (plab_store_data_version (writer, &own0), ==, 0);
  g_assert_cmpint (plab_store_begin_run (writer, &spec, &run_id), ==, 0);
  g_assert_cmpint (plab_store_data_version (writer, &own1), ==, 0);
  g_assert_cmpint (own1, ==, own0);
  g_assert_cmpint (plab_store_data_version (window, &v2), ==, 0);
  g_assert_cmpint (v2, !=, v1);

  plab_store_close (writer);
  plab_store_close (window);
  tmp_test_remove_tree (dir);
}

/* A reader that opens a store while the runner is creating it finds it
 * missing, empty or busy, but never someone else's or damaged: the runner
 * commits its schema between any two of the reader's statements. A reader
 * that took the store for someone else's used to remove its -wal and -shm
 * files on the way out, while the runner went on writing to them, and later
 * readers then read pages the runner was checkpointing. */
static void
test_open_while_created (void)
{
  const char *const small[] = { "squares", "-b", "serial", "--set", "n=200", NULL };
  int refusals = 0;

  for (int round = 0; round < CREATE_ROUNDS; round++)
    {
      g_autofree char *db = NULL;
      g_autofree char *dir = tmp_test_dir_new ("plab-readers-XXXXXX", &db);
      gint64 deadline = g_get_monotonic_time () + WRITER_DEADLINE_US;
      PlabStore *store = NULL;
      PlabRunRecord **runs = NULL;
      size_t n_runs = 0;
      int wait_status = 0;
      pid_t done = 0;
      GPid pid;

      pid = spawn_writer (db, small);
      while ((done = waitpid (pid, &wait_status, WNOHANG)) == 0)
        {
          int rc;

          if (g_get_monotonic_time () > deadline)
            {
              kill (pid, SIGKILL);
              waitpid (pid, &wait_status, 0);
              g_error ("the writer did not finish within %d s", WRITER_DEADLINE_US / 1000000);
            }
          rc = plab_store_open (db, PLAB_STORE_READ_ONLY, &store);
          if (rc == 0)
            plab_store_close (store);
          else if (rc == PLAB_ESTORE_OPEN || rc == PLAB_ESTORE_BUSY)
            refusals++;
          else
            g_error ("a store being created was refused: %s: %s", plab_error_name (rc),
                     plab_store_open_error ());
        }
      g_assert_cmpint (done, ==, pid);
      g_spawn_close_pid (pid);
      g_assert_true (WIFEXITED (wait_status));
      g_assert_cmpint (WEXITSTATUS (wait_status), ==, 0);

      g_assert_cmpint (plab_store_open (db, PLAB_STORE_READ_ONLY, &store), ==, 0);
      g_assert_cmpint (plab_store_list_runs (store, NULL, &runs, &n_runs), ==, 0);
      g_assert_cmpuint (n_runs, ==, 1);
      g_assert_cmpint (runs[0]->status, ==, PLAB_RUN_OK);
      plab_run_records_free (runs, n_runs);
      plab_store_close (store);
      tmp_test_remove_tree (dir);
    }
  g_test_message ("%d rounds, %d opens found the store missing, empty or busy", CREATE_ROUNDS,
                  refusals);
}

int
main (int argc, char **argv)
{
  const char *build = g_getenv ("PLAB_BUILD_DIR");

  g_test_init (&argc, &argv, NULL);
  plab_path = g_build_filename (build ? build : "build", "app", "plab", NULL);
  g_test_add_func ("/plab/store-readers/second-open-keeps-locks", test_second_open_keeps_locks);
  g_test_add_func ("/plab/store-readers/open-while-created", test_open_while_created);
  g_test_add_func ("/plab/store-readers/data-version", test_data_version);
  g_test_add_func ("/plab/store-readers/during-writes", test_readers_during_writes);
  return g_test_run ();
}
