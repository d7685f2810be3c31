/* fuzz-store-common.c: reading a hostile store file the way the lab reads
 * one, and making the valid stores the fuzzers start from. */
#include "fuzz-store-common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plab-chart-export.h"
#include "plab-cli.h"
#include "plab-fuzz.h"
#include "plab-json.h"
#include "plab.h"

/* Runs read per file: enough to reach every kind of row, few enough to keep
 * an execution in milliseconds. */
#define MAX_RUNS_READ 4

static char work_dir[4096];

/* --- Files --- */

static void
remove_work_dir (void)
{
  DIR *dir;
  struct dirent *entry;

  if (work_dir[0] == '\0')
    return;
  dir = opendir (work_dir);
  if (dir != NULL)
    {
      while ((entry = readdir (dir)) != NULL)
        if (strcmp (entry->d_name, ".") != 0 && strcmp (entry->d_name, "..") != 0)
          unlinkat (dirfd (dir), entry->d_name, 0);
      closedir (dir);
    }
  rmdir (work_dir);
}

void
plab_fuzz_store_setup (void)
{
  const char *tmp = getenv ("TMPDIR");

  if (work_dir[0] != '\0')
    return;
  snprintf (work_dir, sizeof work_dir, "%s/plab-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  PLAB_FUZZ_CHECK (mkdtemp (work_dir) != NULL);
  atexit (remove_work_dir);
}

const char *
plab_fuzz_work_path (const char *name)
{
  /* A few names are in use at a time; each gets a slot of its own. */
  static char paths[8][4200];
  static const char *names[8];

  for (int i = 0; i < 8; i++)
    {
      if (names[i] == NULL)
        {
          names[i] = name;
          snprintf (paths[i], sizeof paths[i], "%s/%s", work_dir, name);
        }
      if (names[i] == name || strcmp (names[i], name) == 0)
        return paths[i];
    }
  plab_fuzz_fail (__FILE__, __LINE__, "too many work paths");
}

uint8_t *
plab_fuzz_read_file (const char *path, size_t *len_out)
{
  gchar *contents = NULL;
  gsize len = 0;
  uint8_t *copy;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return NULL;
  copy = malloc (len + 1);
  PLAB_FUZZ_CHECK (copy != NULL);
  memcpy (copy, contents, len);
  g_free (contents);
  *len_out = len;
  return copy;
}

void
plab_fuzz_write_file (const char *path, const uint8_t *bytes, size_t len)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  size_t done = 0;

  PLAB_FUZZ_CHECK (fd >= 0);
  while (done < len)
    {
      ssize_t n = write (fd, bytes + done, len - done);
      PLAB_FUZZ_CHECK (n > 0);
      done += (size_t)n;
    }
  close (fd);
}

static bool
path_exists (const char *path)
{
  struct stat st;

  return lstat (path, &st) == 0;
}

static void
remove_side_files (const char *path)
{
  static const char *const suffixes[] = { "-wal", "-shm", "-journal" };
  char side[4300];

  for (size_t i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      snprintf (side, sizeof side, "%s%s", path, suffixes[i]);
      unlink (side);
    }
}

/* The file holds exactly @bytes and has no -wal, -shm or -journal beside it. */
static void
check_untouched (const char *path, const uint8_t *bytes, size_t len)
{
  static const char *const suffixes[] = { "-wal", "-shm", "-journal" };
  char side[4300];
  size_t now_len = 0;
  uint8_t *now = plab_fuzz_read_file (path, &now_len);

  PLAB_FUZZ_CHECK (now != NULL);
  PLAB_FUZZ_CHECK (now_len == len);
  PLAB_FUZZ_CHECK (memcmp (now, bytes, len) == 0);
  free (now);
  for (size_t i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      snprintf (side, sizeof side, "%s%s", path, suffixes[i]);
      PLAB_FUZZ_CHECK (!path_exists (side));
    }
}

/* --- The command line, in this process --- */

static bool
is_open_error (int rc)
{
  return rc == PLAB_ESTORE_OPEN || rc == PLAB_ESTORE_FOREIGN || rc == PLAB_ESTORE_CORRUPT
         || rc == PLAB_ESTORE_NEWER || rc == PLAB_ESTORE_READONLY || rc == PLAB_ESTORE_BUSY
         || rc == PLAB_ESTORE_IO || rc == PLAB_ESTORE_FULL || rc == PLAB_ENOMEM;
}

/* Output meant for other programs must be valid UTF-8 and valid JSON,
 * whatever the store held. */
static void
check_json_file (const char *path)
{
  size_t len = 0;
  uint8_t *text = plab_fuzz_read_file (path, &len);
  char error[256] = "";
  PlabJson *json;

  PLAB_FUZZ_CHECK (text != NULL);
  text[len] = '\0';
  PLAB_FUZZ_CHECK (strlen ((const char *)text) == len);
  PLAB_FUZZ_CHECK (g_utf8_validate ((const char *)text, (gssize)len, NULL));
  json = plab_json_parse ((const char *)text, error, sizeof error);
  if (json == NULL)
    fprintf (stderr, "%s: %s\n", path, error);
  PLAB_FUZZ_CHECK (json != NULL);
  plab_json_free (json);
  free (text);
}

/* Runs `plab ARGS...` with its standard output going to the file "stdout"
 * of the work folder; returns the exit status. */
static int
run_cli (const char *const *args)
{
  const char *out_path = plab_fuzz_work_path ("stdout");
  char *argv[16];
  int argc = 0, saved, fd, status;

  argv[argc++] = (char *)"plab";
  for (size_t i = 0; args[i] != NULL && argc < 15; i++)
    argv[argc++] = (char *)args[i];
  argv[argc] = NULL;

  fflush (stdout);
  saved = dup (STDOUT_FILENO);
  fd = open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  PLAB_FUZZ_CHECK (saved >= 0 && fd >= 0);
  dup2 (fd, STDOUT_FILENO);
  close (fd);
  status = plab_cli_main (argc, argv);
  fflush (stdout);
  dup2 (saved, STDOUT_FILENO);
  close (saved);
  /* 0 done, 1 the store could not be used, 2 nothing to show (no run). */
  PLAB_FUZZ_CHECK (status == 0 || status == 1 || status == 2);
  return status;
}

static void
read_with_cli (const char *path)
{
  const char *out = plab_fuzz_work_path ("export.out");
  const char *stdout_path = plab_fuzz_work_path ("stdout");

  if (run_cli ((const char *[]){ "runs", "--db", path, "--json", "-n", "0", NULL }) == 0)
    check_json_file (stdout_path);
  if (run_cli ((const char *[]){ "show", "last", "--db", path, "--json", NULL }) == 0)
    check_json_file (stdout_path);
  run_cli ((const char *[]){ "runs", "--db", path, NULL });
  run_cli ((const char *[]){ "show", "last", "--db", path, NULL });
  if (run_cli (
          (const char *[]){ "export", "last", "--db", path, "--format", "trace", "-o", out, NULL })
      == 0)
    check_json_file (out);
  run_cli ((const char *[]){ "export", "last", "--db", path, "--format", "csv", "-o", out, NULL });
}

/* --- Reading through the API --- */

/* Each chart of the run as CSV (the data the renderers get); the timeline
 * and the result chart, which draw the run's own rows, also as a small PNG;
 * the time and speedup charts of its sweep. */
static void
export_charts (PlabStore *store, const PlabRunRecord *run)
{
  const char *csv = plab_fuzz_work_path ("chart.csv");
  const char *png = plab_fuzz_work_path ("chart.png");

  for (int kind = 0; kind < PLAB_N_CHART_KINDS; kind++)
    {
      bool drawn = kind == PLAB_CHART_TIMELINE || kind == PLAB_CHART_RESULT;
      PlabExportOptions options = { .kind = kind, .format = PLAB_CHART_FORMAT_CSV, .path = csv };
      char error[512] = "";
      int rc;

      for (int pass = 0; pass < (drawn ? 2 : 1); pass++)
        {
          /* The smallest chart that is drawn: a smaller one is refused. */
          if (pass == 1)
            options = (PlabExportOptions){ .kind = kind,
                                           .format = PLAB_CHART_FORMAT_PNG,
                                           .path = png,
                                           .width = PLAB_EXPORT_MIN_WIDTH,
                                           .height = PLAB_EXPORT_MIN_HEIGHT };
          error[0] = '\0';
          rc = plab_chart_export_run (store, run->id, &options, error, sizeof error);
          PLAB_FUZZ_CHECK (rc <= 0);
          if (rc < 0)
            PLAB_FUZZ_CHECK (error[0] != '\0');
        }

      if (run->sweep_id != 0 && !drawn)
        {
          options
              = (PlabExportOptions){ .kind = kind, .format = PLAB_CHART_FORMAT_CSV, .path = csv };
          error[0] = '\0';
          rc = plab_chart_export_sweep (store, run->sweep_id, &options, error, sizeof error);
          PLAB_FUZZ_CHECK (rc <= 0);
          if (rc < 0)
            PLAB_FUZZ_CHECK (error[0] != '\0');
        }
    }
}

static void
read_run (PlabStore *store, const PlabRunRecord *listed, bool charts)
{
  PlabRunRecord *run = NULL;
  PlabLaneInfo *lanes = NULL;
  PlabEvent *spans = NULL, *window = NULL, *counters = NULL;
  PlabMachineRecord machine;
  PlabRunRecord **same = NULL;
  size_t n_lanes = 0, n_spans = 0, n_window = 0, n_counters = 0, n_same = 0;
  int64_t end = 0;
  int rc;

  rc = plab_store_get_run (store, listed->id, &run);
  PLAB_FUZZ_CHECK (rc <= 0);
  if (rc == 0)
    {
      PLAB_FUZZ_CHECK (run != NULL && run->demo != NULL && run->backend != NULL
                       && run->params_json != NULL && run->result_json != NULL);
      PLAB_FUZZ_CHECK ((unsigned)run->status <= PLAB_RUN_CANCELLED);
    }
  else
    PLAB_FUZZ_CHECK (run == NULL);

  rc = plab_store_get_lanes (store, listed->id, &lanes, &n_lanes);
  PLAB_FUZZ_CHECK (rc <= 0);
  for (size_t i = 0; i < n_lanes; i++)
    {
      PLAB_FUZZ_CHECK (memchr (lanes[i].name, '\0', sizeof lanes[i].name) != NULL);
      PLAB_FUZZ_CHECK ((unsigned)lanes[i].kind <= PLAB_LANE_THREAD);
      PLAB_FUZZ_CHECK ((unsigned)lanes[i].end <= PLAB_LANE_KILLED);
    }

  rc = plab_store_get_spans (store, listed->id, 0, INT64_MAX, &spans, &n_spans);
  PLAB_FUZZ_CHECK (rc <= 0);
  for (size_t i = 0; i < n_spans; i++)
    {
      PLAB_FUZZ_CHECK (memchr (spans[i].label, '\0', sizeof spans[i].label) != NULL);
      if (spans[i].end_ns > end)
        end = spans[i].end_ns;
    }
  /* A window in the middle of the run, as the timeline asks when zoomed. */
  rc = plab_store_get_spans (store, listed->id, end / 3, end / 3 * 2, &window, &n_window);
  PLAB_FUZZ_CHECK (rc <= 0);

  rc = plab_store_get_counters (store, listed->id, &counters, &n_counters);
  PLAB_FUZZ_CHECK (rc <= 0);
  for (size_t i = 0; i < n_counters; i++)
    PLAB_FUZZ_CHECK (memchr (counters[i].label, '\0', sizeof counters[i].label) != NULL);

  rc = plab_store_get_machine (store, listed->machine_id, &machine);
  PLAB_FUZZ_CHECK (rc <= 0);
  if (rc == 0)
    {
      PLAB_FUZZ_CHECK (machine.host != NULL && machine.cpu_model != NULL && machine.os != NULL
                       && machine.compiler != NULL && machine.plab_version != NULL);
      plab_machine_record_clear (&machine);
    }

  /* The history list and the comparison views: runs of the same demo and sweep. */
  rc = plab_store_list_runs (store,
                             &(PlabRunFilter){ .demo = listed->demo, .sweep_id = listed->sweep_id },
                             &same, &n_same);
  PLAB_FUZZ_CHECK (rc <= 0);
  plab_run_records_free (same, n_same);

  if (run != NULL && charts)
    export_charts (store, run);

  free (lanes);
  free (spans);
  free (window);
  free (counters);
  plab_run_record_free (run);
}

/* Opens @path read-only and reads everything; returns whether it opened. */
static bool
read_store (const char *path)
{
  PlabStore *store = NULL;
  PlabRunRecord **runs = NULL;
  size_t n_runs = 0;
  int rc;

  rc = plab_store_open (path, PLAB_STORE_READ_ONLY, &store);
  if (rc != 0)
    {
      PLAB_FUZZ_CHECK (is_open_error (rc));
      PLAB_FUZZ_CHECK (store == NULL);
      PLAB_FUZZ_CHECK (plab_store_open_error ()[0] != '\0');
      return false;
    }
  PLAB_FUZZ_CHECK (store != NULL);

  rc = plab_store_list_runs (store, NULL, &runs, &n_runs);
  PLAB_FUZZ_CHECK (rc <= 0);
  if (rc < 0)
    PLAB_FUZZ_CHECK (plab_store_errmsg (store)[0] != '\0' && runs == NULL && n_runs == 0);
  for (size_t i = 0; i < n_runs && i < MAX_RUNS_READ; i++)
    read_run (store, runs[i], i == 0);
  plab_run_records_free (runs, n_runs);
  plab_store_close (store);
  return true;
}

/* --- Writing to a copy --- */

static void
write_store (const char *path, const uint8_t *bytes, size_t len)
{
  PlabStore *store = NULL;
  PlabRunSpec spec = { .demo = "squares",
                       .backend = "threads",
                       .workers = 2,
                       .params_json = "{\"n\": 10}",
                       .origin_ns = 1000 };
  PlabLaneInfo lane = { .lane = 1, .kind = PLAB_LANE_THREAD, .name = "worker 1" };
  PlabEvent events[3] = {
    { .start_ns = 1000, .end_ns = 5000, .task_id = 0, .kind = PLAB_SPAN_TASK, .lane = 1 },
    { .start_ns = 5000, .end_ns = 5000, .task_id = -1, .kind = PLAB_SPAN_CRASH, .lane = 1 },
    { .start_ns = 2000,
      .end_ns = 2000,
      .task_id = 3,
      .kind = PLAB_SPAN_COUNTER,
      .lane = 0,
      .label = "busy" },
  };
  PlabRunOutcome outcome = { .status = PLAB_RUN_OK,
                             .wall_ns = 4000,
                             .result_json = "{}",
                             .check_ok = true,
                             .check_message = "fine" };
  PlabRunRecord *run = NULL;
  int64_t sweep = 0, id = 0;
  int rc;

  plab_fuzz_write_file (path, bytes, len);
  remove_side_files (path);
  rc = plab_store_open (path, PLAB_STORE_READ_WRITE, &store);
  if (rc != 0)
    {
      /* Refused for writing: left as it was found. */
      PLAB_FUZZ_CHECK (is_open_error (rc) || rc == PLAB_EINVAL);
      PLAB_FUZZ_CHECK (plab_store_open_error ()[0] != '\0');
      check_untouched (path, bytes, len);
      return;
    }

  /* A store taken for writing may refuse a write, but must not crash. */
  if (plab_store_new_sweep (store, "squares", "fuzz", &sweep) == 0)
    spec.sweep_id = sweep;
  if (plab_store_begin_run (store, &spec, &id) == 0)
    {
      PLAB_FUZZ_CHECK (plab_store_put_lane (store, id, &lane) <= 0);
      PLAB_FUZZ_CHECK (plab_store_add_events (store, id, events, G_N_ELEMENTS (events)) <= 0);
      PLAB_FUZZ_CHECK (plab_store_finish_run (store, id, &outcome) <= 0);
      rc = plab_store_get_run (store, id, &run);
      PLAB_FUZZ_CHECK (rc <= 0);
      plab_run_record_free (run);
    }
  plab_store_close (store);
  remove_side_files (path);
}

void
plab_fuzz_store_check (const uint8_t *bytes, size_t len)
{
  const char *path = plab_fuzz_work_path ("runs.db");

  plab_fuzz_write_file (path, bytes, len);
  remove_side_files (path);
  if (read_store (path))
    read_with_cli (path);
  /* Reading, refused or not, changes nothing. */
  check_untouched (path, bytes, len);

  write_store (plab_fuzz_work_path ("write.db"), bytes, len);
}

/* --- Making stores --- */

static void
exec_sql (sqlite3 *db, const char *sql)
{
  char *error = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &error) != SQLITE_OK)
    {
      fprintf (stderr, "%s: %s\n", sql, error ? error : "?");
      plab_fuzz_fail (__FILE__, __LINE__, "SQL of a seed store failed");
    }
}

/* Rewrites the file at @path with @sql (run on plain SQLite) and small pages,
 * as one file with no journal beside it. */
static void
rewrite_file (const char *path, const char *sql)
{
  sqlite3 *db = NULL;

  PLAB_FUZZ_CHECK (sqlite3_open (path, &db) == SQLITE_OK);
  exec_sql (db, "PRAGMA journal_mode = DELETE; PRAGMA page_size = 512; VACUUM;");
  if (sql != NULL)
    exec_sql (db, sql);
  PLAB_FUZZ_CHECK (sqlite3_close (db) == SQLITE_OK);
  remove_side_files (path);
}

static const char result_bars[]
    = "{\"items\": 1000, \"sum\": 332833500, \"figure\": {\"kind\": \"bars\", "
      "\"title\": \"Items per worker\", \"x_label\": \"worker\", \"y_label\": \"items\", "
      "\"categories\": [\"main\", \"worker 1\", \"worker 2\"], \"series\": [{\"name\": "
      "\"items\", \"values\": [0, 520, 480]}], \"notes\": [\"worker 2 was killed\", "
      "\"\\u00e9t\\u00e9 \\ud83d\\ude00\"]}}";

static const char result_lines[]
    = "{\"bandwidth\": 0.2, \"peak\": 1.5e-3, \"ok\": true, \"none\": null, \"figure\": "
      "{\"kind\": \"lines\", \"title\": \"Density\", \"series\": [{\"name\": \"kde\", "
      "\"style\": \"dashed\", \"x\": [0, 0.5, 1, 1.5], \"y\": [0.1, 0.4, 0.35, 0.05]}, "
      "{\"name\": \"points\", \"style\": \"points\", \"x\": [0.2, 1.1], \"y\": [0, 0]}]}}";

static void
record_run (PlabStore *store,
            int64_t sweep,
            const char *backend,
            int workers,
            const char *result,
            bool finish)
{
  PlabRunSpec spec = { .demo = "squares",
                       .backend = backend,
                       .workers = workers,
                       .params_json = "{\"n\": 1000, \"chunk\": 8, \"name\": \"caf\\u00e9\"}",
                       .seed = 42,
                       .sweep_id = sweep,
                       .origin_ns = 1000000 };
  PlabEvent events[48];
  size_t n = 0;
  int64_t id, t = spec.origin_ns;

  PLAB_FUZZ_CHECK (plab_store_begin_run (store, &spec, &id) == 0);
  for (int w = 0; w <= workers; w++)
    {
      PlabLaneInfo lane = { .lane = w,
                            .kind = w == 0 ? PLAB_LANE_MAIN : PLAB_LANE_PROCESS,
                            .pid = 4000 + w,
                            .tid = 4000 + w };
      if (w == 0)
        snprintf (lane.name, sizeof lane.name, "main");
      else
        snprintf (lane.name, sizeof lane.name, "worker %d", w);
      if (w == 2)
        {
          lane.end = PLAB_LANE_KILLED;
          lane.exit_signal = SIGSEGV;
          lane.dropped = 3;
        }
      else if (w > 0)
        lane.end = PLAB_LANE_EXITED;
      PLAB_FUZZ_CHECK (plab_store_put_lane (store, id, &lane) == 0);
    }
  for (int i = 0; i < 12; i++)
    {
      uint16_t lane = (uint16_t)(1 + i % workers);
      int64_t start = t + 10000 * i, stop = start + 9000;

      events[n++] = (PlabEvent){
        .start_ns = start, .end_ns = stop, .task_id = i, .kind = PLAB_SPAN_TASK, .lane = lane
      };
      events[n++] = (PlabEvent){ .start_ns = start + 1000,
                                 .end_ns = start + 3000,
                                 .task_id = -1,
                                 .kind = (uint16_t)(1 + i % 8),
                                 .lane = lane };
      if (i % 2)
        snprintf (events[n - 1].label, sizeof events[n - 1].label, "wait: queue cars");
      else
        snprintf (events[n - 1].label, sizeof events[n - 1].label, "lock \xc3\xa9t\xc3\xa9 %d", i);
      if (i % 4 == 0)
        {
          events[n++] = (PlabEvent){
            .start_ns = start, .end_ns = start, .task_id = i, .kind = PLAB_SPAN_COUNTER, .lane = 0
          };
          snprintf (events[n - 1].label, sizeof events[n - 1].label, "busy workers");
        }
    }
  events[n++] = (PlabEvent){ .start_ns = t + 50000,
                             .end_ns = t + 50000,
                             .task_id = 5,
                             .kind = PLAB_SPAN_CRASH,
                             .lane = 2 % (uint16_t)(workers + 1),
                             .label = "signal 11" };
  events[n++] = (PlabEvent){ .start_ns = t,
                             .end_ns = t + 130000,
                             .task_id = -1,
                             .kind = PLAB_SPAN_WAIT,
                             .lane = 0,
                             .label = "join" };
  PLAB_FUZZ_CHECK (plab_store_add_events (store, id, events, n) == 0);
  if (finish)
    {
      PlabRunOutcome outcome = { .status = PLAB_RUN_OK,
                                 .wall_ns = 130000 + workers * 1000,
                                 .cpu_ns = 200000,
                                 .result_json = result,
                                 .check_ok = true,
                                 .check_message = "every square is right" };
      PLAB_FUZZ_CHECK (plab_store_finish_run (store, id, &outcome) == 0);
    }
}

static void
make_runs (const char *path)
{
  PlabStore *store = NULL;
  int64_t sweep = 0;

  PLAB_FUZZ_CHECK (plab_store_open (path, PLAB_STORE_READ_WRITE, &store) == 0);
  PLAB_FUZZ_CHECK (plab_store_new_sweep (store, "squares", "workers 1..2", &sweep) == 0);
  record_run (store, sweep, "processes", 2, result_bars, true);
  record_run (store, sweep, "threads", 1, result_lines, true);
  /* Left running: its runner is this process, which the reader may find gone. */
  record_run (store, 0, "processes", 2, NULL, false);
  plab_store_close (store);
}

int
plab_fuzz_make_store (const char *path, PlabFuzzStoreVariant variant)
{
  sqlite3 *db = NULL;
  size_t len = 0;
  uint8_t *bytes;

  unlink (path);
  remove_side_files (path);
  switch (variant)
    {
    case PLAB_FUZZ_STORE_RUNS:
      make_runs (path);
      rewrite_file (path, NULL);
      break;
    case PLAB_FUZZ_STORE_WAL:
      make_runs (path);
      rewrite_file (path, "PRAGMA journal_mode = WAL;");
      break;
    case PLAB_FUZZ_STORE_EMPTY:
      {
        PlabStore *store = NULL;
        PLAB_FUZZ_CHECK (plab_store_open (path, PLAB_STORE_READ_WRITE, &store) == 0);
        plab_store_close (store);
        rewrite_file (path, NULL);
      }
      break;
    case PLAB_FUZZ_STORE_NEWER:
      make_runs (path);
      rewrite_file (path, "PRAGMA user_version = 99;");
      break;
    case PLAB_FUZZ_STORE_FOREIGN:
      PLAB_FUZZ_CHECK (sqlite3_open (path, &db) == SQLITE_OK);
      exec_sql (db, "PRAGMA page_size = 512; PRAGMA application_id = 305419896; "
                    "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); "
                    "INSERT INTO notes (text) VALUES ('not a run store');");
      PLAB_FUZZ_CHECK (sqlite3_close (db) == SQLITE_OK);
      break;
    case PLAB_FUZZ_STORE_UNMARKED:
      PLAB_FUZZ_CHECK (sqlite3_open (path, &db) == SQLITE_OK);
      exec_sql (db, "PRAGMA page_size = 512; CREATE TABLE t (x); DROP TABLE t;");
      PLAB_FUZZ_CHECK (sqlite3_close (db) == SQLITE_OK);
      break;
    case PLAB_FUZZ_STORE_TRUNCATED:
      make_runs (path);
      rewrite_file (path, NULL);
      bytes = plab_fuzz_read_file (path, &len);
      PLAB_FUZZ_CHECK (bytes != NULL && len > 512);
      plab_fuzz_write_file (path, bytes, len - 512);
      free (bytes);
      break;
    default:
      return -1;
    }
  remove_side_files (path);
  return 0;
}

const char *
plab_fuzz_store_variant_name (PlabFuzzStoreVariant variant)
{
  static const char *const names[PLAB_FUZZ_STORE_N_VARIANTS]
      = { "runs", "wal", "empty", "newer", "foreign", "unmarked", "truncated" };

  return (unsigned)variant < PLAB_FUZZ_STORE_N_VARIANTS ? names[variant] : "unknown";
}
