/* test-cli.c: the plab command line, run as a program on temporary run stores.
 *
 * Every test runs the built binary ($PLAB_BUILD_DIR/app/plab) with
 * XDG_DATA_HOME pointing into a temporary folder, so no test touches the
 * user's own runs. JSON output is checked with python3's json module, and the
 * run store is read back with the core library (and its timeline drawn with
 * the charts library): the facts asserted are those the files really hold.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chart-test-util.h"
#include "plab-chart-data.h"
#include "plab.h"
#include "tmp-test-util.h"

/* A folder of its own for each test, with the path of a run store in it. */
typedef TmpTestFixture Fixture;

static char *plab_path;

static char **
plab_environ (const Fixture *f)
{
  char **env = g_get_environ ();

  env = g_environ_setenv (env, "XDG_DATA_HOME", f->dir, TRUE);
  env = g_environ_unsetenv (env, "DISPLAY");
  env = g_environ_unsetenv (env, "WAYLAND_DISPLAY");
  return env;
}

/* Runs plab with the NULL-terminated arguments; returns the exit status (or
 * 128 + signal). */
static int
run_plab_argv (const Fixture *f, const char *const *args, char **out, char **err)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_auto (GStrv) env = plab_environ (f);
  g_autoptr (GError) error = NULL;
  int wait_status = 0;

  g_ptr_array_add (argv, plab_path);
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *)args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **)argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                &wait_status, &error);
  g_assert_no_error (error);
  if (WIFEXITED (wait_status))
    return WEXITSTATUS (wait_status);
  return 128 + WTERMSIG (wait_status);
}

#define run_plab(f, out, err, ...)                                                                 \
  run_plab_argv ((f), (const char *const[]){ __VA_ARGS__, NULL }, (out), (err))

static int
count_lines (const char *text)
{
  int n = 0;

  for (const char *p = text; *p; p++)
    n += *p == '\n';
  return n;
}

/* Runs a python3 snippet with the file holding @text as sys.argv[1]; the
 * snippet asserts and prints. Returns its stdout; fails the test when the
 * snippet fails. */
static char *
python_check (const Fixture *f, const char *text, const char *script)
{
  g_autofree char *path = g_build_filename (f->dir, "check-input", NULL);
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  g_autofree char *err = NULL;
  int wait_status = 0;
  const char *argv[] = { "python3", "-c", script, path, NULL };

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                &wait_status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (wait_status, NULL))
    g_error ("python check failed: %s\non: %.2000s", err, text);
  return out;
}

static PlabStore *
open_store (const Fixture *f)
{
  PlabStore *store = NULL;

  g_assert_cmpint (plab_store_open (f->db, PLAB_STORE_READ_ONLY, &store), ==, 0);
  return store;
}

/* --- Help, version, list --- */

static void
test_help (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_plab (f, &out, &err, "--version"), ==, 0);
  g_assert_true (g_str_has_prefix (out, "plab 0."));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* No command and no display: one line on stderr saying so, then the help,
   * and a status that is not success (no window opened). */
  g_assert_cmpint (run_plab_argv (f, (const char *const[]){ NULL }, &out, &err), !=, 0);
  g_assert_nonnull (strstr (out, "Usage: plab"));
  g_assert_nonnull (strstr (err, "no display"));
  g_assert_nonnull (strstr (err, "help follows"));
  g_assert_nonnull (strchr (err, '\n'));
  g_assert_cmpstr (strchr (err, '\n') + 1, ==, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  const char *commands[] = { "run", "runs", "show", "export", "list" };
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_assert_cmpint (run_plab (f, &out, &err, commands[i], "--help"), ==, 0);
      g_assert_nonnull (strstr (out, "Usage:"));
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
    }

  /* A demo's own help has its lesson and its parameters with their ranges. */
  g_assert_cmpint (run_plab (f, &out, &err, "run", "squares", "--help"), ==, 0);
  g_assert_nonnull (strstr (out, "Pool.map"));
  g_assert_nonnull (strstr (out, "crash_item"));
  g_assert_nonnull (strstr (out, "an integer from 1 to 10000000"));
  /* ...and its Try this steps, each as the command that does it. */
  g_assert_nonnull (strstr (out, "Try this:"));
  g_assert_nonnull (strstr (out, "plab run squares -b processes --set chunk_size=1"));
}

static void
test_list (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *checked = NULL;

  g_assert_cmpint (run_plab (f, &out, &err, "list"), ==, 0);
  g_assert_true (g_str_has_prefix (out, "squares "));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_plab (f, &out, &err, "list", "--json"), ==, 0);
  checked = python_check (f, out,
                          "import json,sys\n"
                          "d=json.load(open(sys.argv[1]))['demos']\n"
                          "s=[x for x in d if x['name']=='squares'][0]\n"
                          "assert 'processes' in s['backends']\n"
                          "assert [p['name'] for p in s['params']][:2]==['n','chunk_size']\n"
                          "print(len(d))\n");
  g_assert_cmpint (atoi (checked), >=, 1);
}

/* --- Bad input --- */

static void
expect_usage_error (Fixture *f, const char *const *args, const char *needle, const char *needle2)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = run_plab_argv (f, args, &out, &err);

  if (status != 2 || count_lines (err) != 1 || !strstr (err, needle)
      || (needle2 && !strstr (err, needle2)))
    g_error ("plab %s ...: expected exit 2 and one line with '%s', got %d and: %s", args[0], needle,
             status, err);
  g_assert_cmpstr (out, ==, "");
}

static void
test_bad_input (Fixture *f, gconstpointer data)
{
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
  expect_usage_error (f, ARGS ("run", "nope", "--db", f->db), "unknown demo 'nope'", "squares");
  expect_usage_error (f, ARGS ("run", "squares", "--db", f->db, "--set", "n=abc"),
                      "n must be an integer from 1 to 10000000", "'abc'");
  expect_usage_error (f, ARGS ("run", "squares", "--db", f->db, "--set", "n=0"),
                      "from 1 to 10000000", "not 0");
  expect_usage_error (f, ARGS ("run", "squares", "--db", f->db, "--set", "n="), "n needs a value",
                      NULL);
  expect_usage_error (f, ARGS ("run", "squares", "--db", f->db, "--set", "bogus=1"),
                      "no parameter 'bogus'", "chunk_size");
  expect_usage_error (f, ARGS ("run", "squares", "--db", f->db, "--set", "n"), "KEY=VALUE", NULL);
  expect_usage_error (f, ARGS ("run", "squares", "--db", f->db, "-j", "0"), "-j must be", "from 1");
  expect_usage_error (f, ARGS ("run", "squares", "--db", f->db, "-j", "two"), "-j must be", NULL);
  expect_usage_error (f, ARGS ("run", "squares", "--db", f->db, "-b", "fibers"),
                      "unknown backend 'fibers'", NULL);
  expect_usage_error (f, ARGS ("run", "squares", "--db", f->db, "--sweep", "4..2"), "goes down",
                      NULL);
  expect_usage_error (f, ARGS ("run", "squares", "--db", f->db, "--frobnicate"), "--frobnicate",
                      NULL);
  expect_usage_error (f,
                      ARGS ("run", "squares", "--db", f->db, "-b", "threads", "--set",
                            "crash_item=3"),
                      "crash_item needs the processes backend", NULL);
  expect_usage_error (f, ARGS ("frobnicate"), "unknown command 'frobnicate'", NULL);
  expect_usage_error (f, ARGS ("export", "1", "--db", f->db, "--format", "xml"),
                      "unknown format 'xml'", NULL);
#undef ARGS
  /* Nothing was run, so nothing was recorded: the store was never created. */
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
}

static void
test_store_unusable (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;

  g_file_set_contents (f->db, "these are not the runs you are looking for\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (run_plab (f, &out, &err, "run", "squares", "--db", f->db, "--set", "n=10"), ==,
                   1);
  g_assert_cmpint (count_lines (err), ==, 1);
  g_assert_nonnull (strstr (err, f->db));
  /* The foreign file is left as it was. */
  g_file_get_contents (f->db, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "these are not the runs you are looking for\n");
}

/* A run store is a file anyone can edit: text that is not UTF-8 and
 * parameters or results that are not JSON (found by fuzzing the store) must
 * still give valid JSON from every command that writes it. */
static void
test_hostile_text_json (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *check = NULL;
  g_autofree char *trace = g_build_filename (f->dir, "trace.json", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  PlabStore *store = NULL;
  PlabRunSpec spec = { .demo = "squares\xff\xfe",
                       .backend = "thr\xc3"
                                  "eads",
                       .workers = 1,
                       .params_json = "{\"n\": 1, broken",
                       .origin_ns = 1000 };
  PlabRunOutcome outcome = { .status = PLAB_RUN_OK,
                             .wall_ns = 10,
                             .result_json = "{\"ok\": \"\xed\xa0\x80\"}",
                             .check_ok = true,
                             .check_message = "bad \xff byte" };
  PlabLaneInfo lane = { .lane = 1, .kind = PLAB_LANE_THREAD, .name = "w\xff" };
  PlabEvent span = { .start_ns = 1000,
                     .end_ns = 2000,
                     .task_id = 0,
                     .kind = PLAB_SPAN_TASK,
                     .lane = 1,
                     .label = "lab\xc0"
                              "el" };
  int64_t id = 0;
  const char *script = "import json,sys\n"
                       "d=json.load(open(sys.argv[1], encoding='utf-8'))\n"
                       "r=d['runs'][0] if 'runs' in d else d\n"
                       "assert r['params'] == {} and r['result'] == {}, r\n"
                       "assert r['demo'] == 'squares\\ufffd\\ufffd', r['demo']\n"
                       "print(r['check'])\n";

  g_assert_cmpint (plab_store_open (f->db, PLAB_STORE_READ_WRITE, &store), ==, 0);
  g_assert_cmpint (plab_store_begin_run (store, &spec, &id), ==, 0);
  g_assert_cmpint (plab_store_put_lane (store, id, &lane), ==, 0);
  g_assert_cmpint (plab_store_add_events (store, id, &span, 1), ==, 0);
  g_assert_cmpint (plab_store_finish_run (store, id, &outcome), ==, 0);
  plab_store_close (store);

  g_assert_cmpint (run_plab (f, &out, &err, "runs", "--db", f->db, "--json"), ==, 0);
  check = python_check (f, out, script);
  g_assert_cmpstr (check, ==, "bad \xef\xbf\xbd byte\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&check, g_free);

  g_assert_cmpint (run_plab (f, &out, &err, "show", "last", "--db", f->db, "--json"), ==, 0);
  check = python_check (f, out, script);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_plab (f, &out, &err, "export", "last", "--db", f->db, "--format", "trace",
                             "-o", trace),
                   ==, 0);
  g_file_get_contents (trace, &contents, NULL, &error);
  g_assert_no_error (error);
  g_free (python_check (f, contents,
                        "import json,sys\n"
                        "d=json.load(open(sys.argv[1], encoding='utf-8'))\n"
                        "names=[e['name'] for e in d['traceEvents'] if e['ph'] == 'X']\n"
                        "assert names == ['lab\\ufffdel'], names\n"));
}

/* Span times before the run's origin (found by fuzzing the store: -1500 ns
 * came out as -1.-500), and a span from the far past to the far future: the
 * trace must stay valid JSON with the right numbers. */
static void
test_trace_extreme_times (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *contents = NULL, *check = NULL;
  g_autofree char *trace = g_build_filename (f->dir, "trace.json", NULL);
  g_autoptr (GError) error = NULL;
  PlabStore *store = NULL;
  PlabRunSpec spec = { .demo = "squares", .backend = "threads", .workers = 2 };
  PlabRunOutcome outcome = { .status = PLAB_RUN_OK, .wall_ns = 10, .check_ok = true };
  PlabEvent spans[2] = {
    { .start_ns = -1500, .end_ns = 500, .task_id = 1, .kind = PLAB_SPAN_TASK, .lane = 1 },
    { .start_ns = -4000000000000000000,
      .end_ns = 4000000000000000000,
      .task_id = 2,
      .kind = PLAB_SPAN_TASK,
      .lane = 2 },
  };
  int64_t id = 0;

  g_assert_cmpint (plab_store_open (f->db, PLAB_STORE_READ_WRITE, &store), ==, 0);
  g_assert_cmpint (plab_store_begin_run (store, &spec, &id), ==, 0);
  g_assert_cmpint (plab_store_add_events (store, id, spans, G_N_ELEMENTS (spans)), ==, 0);
  g_assert_cmpint (plab_store_finish_run (store, id, &outcome), ==, 0);
  plab_store_close (store);

  g_assert_cmpint (run_plab (f, &out, &err, "export", "last", "--db", f->db, "--format", "trace",
                             "-o", trace),
                   ==, 0);
  g_file_get_contents (trace, &contents, NULL, &error);
  g_assert_no_error (error);
  check = python_check (f, contents,
                        "import json,sys\n"
                        "d=json.load(open(sys.argv[1], encoding='utf-8'))\n"
                        "x=sorted((e['args']['task'], e['ts'], e['dur']) "
                        "for e in d['traceEvents'] if e['ph'] == 'X')\n"
                        "print(x[0][1], x[0][2], x[1][1], x[1][2])\n");
  g_assert_cmpstr (check, ==, "-1.5 2.0 -4000000000000000.0 8000000000000000.0\n");
}

/* --- Running --- */

static const char check_single_run[]
    = "import json,sys\n"
      "d=json.load(open(sys.argv[1]))\n"
      "assert d['sweep'] is None and d['db']\n"
      "(r,)=d['runs']\n"
      "print(r['id'], r['status'], r['check_ok'], r['workers'], r['backend'], r['error'] or '-', "
      "r['check'], sep='|')\n";

static void
test_run_processes (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *checked = NULL;
  g_auto (GStrv) fields = NULL;
  PlabLaneInfo *lanes = NULL;
  PlabEvent *spans = NULL;
  PlabRunRecord *record = NULL;
  size_t n_lanes = 0, n_spans = 0, n_tasks = 0;
  PlabStore *store;
  int64_t id;
  int pids[8];
  int n_pids = 0;

  /* item_spans: a span per item, which the store must hold every one of. */
  g_assert_cmpint (run_plab (f, &out, &err, "run", "squares", "-j", "2", "-b", "processes", "--db",
                             f->db, "--set", "n=20000", "--set", "work=100", "--set",
                             "item_spans=true", "--json"),
                   ==, 0);
  checked = python_check (f, out, check_single_run);
  fields = g_strsplit (g_strchomp (checked), "|", -1);
  g_assert_cmpstr (fields[1], ==, "ok");
  g_assert_cmpstr (fields[2], ==, "True");
  g_assert_cmpstr (fields[3], ==, "2");
  g_assert_cmpstr (fields[4], ==, "processes");
  g_assert_cmpstr (fields[6], ==, "all 20000 squares correct");
  id = g_ascii_strtoll (fields[0], NULL, 10);

  /* The store holds the run, a lane per worker process with its own pid, and
   * a task span per item. */
  store = open_store (f);
  g_assert_cmpint (plab_store_get_run (store, id, &record), ==, 0);
  g_assert_cmpint (record->status, ==, PLAB_RUN_OK);
  g_assert_true (record->check_ok);
  g_assert_cmpint (record->wall_ns, >, 0);
  g_assert_cmpint (plab_store_get_lanes (store, id, &lanes, &n_lanes), ==, 0);
  for (size_t i = 0; i < n_lanes; i++)
    if (lanes[i].kind == PLAB_LANE_PROCESS)
      {
        g_assert_cmpint (lanes[i].pid, >, 0);
        g_assert_cmpint (lanes[i].pid, !=, record->runner_pid);
        for (int k = 0; k < n_pids; k++)
          g_assert_cmpint (pids[k], !=, lanes[i].pid);
        if (n_pids < (int)G_N_ELEMENTS (pids))
          pids[n_pids++] = lanes[i].pid;
      }
  g_assert_cmpint (n_pids, ==, 2);
  g_assert_cmpint (plab_store_get_spans (store, id, 0, INT64_MAX, &spans, &n_spans), ==, 0);
  for (size_t i = 0; i < n_spans; i++)
    if (spans[i].kind == PLAB_SPAN_TASK)
      {
        n_tasks++;
        g_assert_cmpint (spans[i].end_ns, >=, spans[i].start_ns);
        g_assert_cmpint (spans[i].lane, >, 0);
      }
  g_assert_cmpuint (n_tasks, ==, 20000);
  free (lanes);
  free (spans);
  plab_run_record_free (record);
  plab_store_close (store);

  /* runs and show find it. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_plab (f, &out, &err, "runs", "--db", f->db), ==, 0);
  g_assert_nonnull (strstr (out, "squares"));
  g_assert_nonnull (strstr (out, "processes"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_plab (f, &out, &err, "show", "last", "--db", f->db), ==, 0);
  g_assert_nonnull (strstr (out, "squares on processes with 2 workers"));
  g_assert_nonnull (strstr (out, "worker 2"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_plab (f, &out, &err, "show", "999", "--db", f->db), ==, 2);
  g_assert_nonnull (strstr (err, "no run 999"));
}

static void
test_run_crash (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *checked = NULL;
  g_auto (GStrv) fields = NULL;
  PlabLaneInfo *lanes = NULL;
  size_t n_lanes = 0;
  gboolean killed = FALSE;
  PlabStore *store;
  gint64 t0 = g_get_monotonic_time ();

  g_assert_cmpint (run_plab (f, &out, &err, "run", "squares", "-j", "2", "-b", "processes", "--db",
                             f->db, "--set", "n=20000", "--set", "crash_item=5", "--json"),
                   ==, 1);
  /* A crashed worker fails its item and nothing waits for it: the limit
   * only catches a hang, not a slow machine. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 60 * G_USEC_PER_SEC);
  checked = python_check (f, out, check_single_run);
  fields = g_strsplit (g_strchomp (checked), "|", -1);
  g_assert_cmpstr (fields[1], ==, "failed");
  g_assert_cmpstr (fields[2], ==, "False");
  g_assert_nonnull (strstr (fields[5], "signal 11"));
  g_assert_true (g_str_has_prefix (fields[6], "19999 of 20000 correct; item 5 lost"));

  /* The dead worker's lane says how it died; its replacement has a lane too. */
  store = open_store (f);
  g_assert_cmpint (plab_store_get_lanes (store, g_ascii_strtoll (fields[0], NULL, 10), &lanes,
                                         &n_lanes),
                   ==, 0);
  for (size_t i = 0; i < n_lanes; i++)
    killed |= lanes[i].end == PLAB_LANE_KILLED && lanes[i].exit_signal == SIGSEGV;
  g_assert_true (killed);
  g_assert_cmpuint (n_lanes, >=, 4);
  free (lanes);
  plab_store_close (store);
}

static void
test_export (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *checked = NULL;
  g_autofree char *trace = g_build_filename (f->dir, "trace.json", NULL);
  g_autofree char *csv = g_build_filename (f->dir, "spans.csv", NULL);
  g_autofree char *text = NULL;

  g_assert_cmpint (run_plab (f, &out, &err, "run", "squares", "-j", "2", "-b", "processes", "--db",
                             f->db, "--set", "n=3000", "--set", "crash_item=7", "--set",
                             "item_spans=true", "--json"),
                   ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_plab (f, &out, &err, "export", "last", "--db", f->db, "--format", "trace",
                             "-o", trace),
                   ==, 0);
  g_assert_true (g_file_get_contents (trace, &text, NULL, NULL));
  /* Spans nest or follow each other in a lane. Times are microseconds with
   * decimals, so a span's end (ts + dur) may differ from its neighbour's
   * start by a rounding error: a nanosecond is allowed. */
  checked = python_check (f, text,
                          "import json,sys,collections\n"
                          "d=json.load(open(sys.argv[1]))\n"
                          "ev=d['traceEvents']\n"
                          "assert d['displayTimeUnit']=='ms'\n"
                          "for e in ev:\n"
                          "  assert isinstance(e.get('cat'),str) and e['cat'], e\n"
                          "  assert isinstance(e['pid'],int), e\n"
                          "  if e['ph']!='C': assert isinstance(e['tid'],int), e\n"
                          "names={(e['pid'],e['tid']) for e in ev if e['ph']=='M' and "
                          "e['name']=='thread_name'}\n"
                          "lanes=collections.defaultdict(list)\n"
                          "for e in ev:\n"
                          "  if e['ph']=='X':\n"
                          "    assert e['dur']>=0 and e['ts']>=0\n"
                          "    assert (e['pid'],e['tid']) in names\n"
                          "    lanes[(e['pid'],e['tid'])].append((e['ts'],e['ts']+e['dur']))\n"
                          "for spans in lanes.values():\n"
                          "  spans.sort(key=lambda s:(s[0],-s[1]))\n"
                          "  stack=[]\n"
                          "  for s,t in spans:\n"
                          "    while stack and stack[-1]<=s+1e-3: stack.pop()\n"
                          "    assert not stack or t<=stack[-1]+1e-3, ('partial "
                          "overlap',s,t,stack[-1])\n"
                          "    stack.append(t)\n"
                          "tasks=sum(1 for e in ev if e['ph']=='X' and e['cat']=='task')\n"
                          "pids={e['pid'] for e in ev if e['ph']=='X' and e['cat']=='task'}\n"
                          "print(tasks,len(pids),sum(1 for e in ev if e['ph']=='i'))\n");
  {
    g_auto (GStrv) n = g_strsplit (g_strchomp (checked), " ", -1);

    /* Every item but the crashed one, from at least two worker processes. */
    g_assert_cmpint (atoi (n[0]), ==, 2999);
    g_assert_cmpint (atoi (n[1]), >=, 2);
  }
  g_clear_pointer (&checked, g_free);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_plab (f, &out, &err, "export", "last", "--db", f->db, "--format", "csv",
                             "-o", csv),
                   ==, 0);
  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  checked
      = python_check (f, text,
                      "import csv,sys\n"
                      "rows=list(csv.DictReader(open(sys.argv[1],newline='')))\n"
                      "h=['record','run','lane','lane_name','pid','tid','kind','start_ns','end_ns',"
                      "'task_id','label','value']\n"
                      "assert list(rows[0].keys())==h, rows[0]\n"
                      "t=[r for r in rows if r['kind']=='task']\n"
                      "assert all(r['record']=='span' for r in t)\n"
                      "assert all(int(r['end_ns'])>=int(r['start_ns']) for r in t)\n"
                      "assert all(r['label']=='x=%s'%r['task_id'] for r in t)\n"
                      "assert any(r['kind']=='spawn' for r in rows)\n"
                      "print(len(t))\n");
  g_assert_cmpint (atoi (checked), ==, 2999);
  /* The timeline chart's CSV is the same file, from the same writer. */
  {
    g_autofree char *timeline_csv = g_build_filename (f->dir, "timeline.csv", NULL);
    g_autofree char *timeline_text = NULL;

    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_plab (f, &out, &err, "export", "last", "--db", f->db, "--chart",
                               "timeline", "--format", "csv", "-o", timeline_csv),
                     ==, 0);
    g_assert_true (g_file_get_contents (timeline_csv, &timeline_text, NULL, NULL));
    g_assert_cmpstr (timeline_text, ==, text);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* Charts are not a data format: --format png without --chart is refused. */
  g_assert_cmpint (run_plab (f, &out, &err, "export", "last", "--db", f->db, "--format", "png"), ==,
                   2);
  g_assert_cmpint (count_lines (err), ==, 1);
}

/* Reads a FIFO to its end in a thread, as a program at the other end would. */
static gpointer
read_fifo_thread (gpointer path)
{
  g_autofree char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, NULL);
  return g_steal_pointer (&contents);
}

/* -o PATH writes through what PATH is: a regular file is replaced by a
 * rename, a symbolic link keeps pointing at its (new) target, and a FIFO or a
 * device is written to, never replaced by a regular file. */
static void
test_export_targets (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *expected = NULL, *text = NULL;
  g_autofree char *regular = g_build_filename (f->dir, "regular.csv", NULL);
  g_autofree char *target = g_build_filename (f->dir, "target.csv", NULL);
  g_autofree char *link = g_build_filename (f->dir, "link.csv", NULL);
  g_autofree char *svg_target = g_build_filename (f->dir, "target.svg", NULL);
  g_autofree char *svg_link = g_build_filename (f->dir, "link.svg", NULL);
  g_autofree char *fifo = g_build_filename (f->dir, "fifo.csv", NULL);
  g_autofree char *device = g_build_filename (f->dir, "null", NULL);
  g_autofree char *from_fifo = NULL;
  struct stat before, after;
  GThread *reader;

  g_assert_cmpint (run_plab (f, &out, &err, "run", "squares", "-j", "2", "--set", "n=500", "--db",
                             f->db),
                   ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_plab (f, &expected, NULL, "export", "last", "--format", "csv", "--db",
                             f->db),
                   ==, 0);
  g_assert_true (g_str_has_prefix (expected, "record,"));

  /* A regular file: replaced whole, by a new file renamed over it. */
  g_assert_true (g_file_set_contents (regular, "old", -1, NULL));
  g_assert_cmpint (stat (regular, &before), ==, 0);
  g_assert_cmpint (run_plab (f, NULL, NULL, "export", "last", "--format", "csv", "-o", regular,
                             "--db", f->db),
                   ==, 0);
  g_assert_cmpint (stat (regular, &after), ==, 0);
  g_assert_true (S_ISREG (after.st_mode));
  g_assert_cmpuint (after.st_ino, !=, before.st_ino);
  g_assert_true (g_file_get_contents (regular, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, expected);
  g_clear_pointer (&text, g_free);

  /* A symbolic link stays one; the file it points to gets the bytes. */
  g_assert_true (g_file_set_contents (target, "old", -1, NULL));
  g_assert_cmpint (symlink ("target.csv", link), ==, 0);
  g_assert_cmpint (run_plab (f, NULL, NULL, "export", "last", "--format", "csv", "-o", link, "--db",
                             f->db),
                   ==, 0);
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_get_contents (target, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, expected);
  g_clear_pointer (&text, g_free);
  /* Charts go through the same writer. */
  g_assert_cmpint (symlink ("target.svg", svg_link), ==, 0);
  g_assert_cmpint (run_plab (f, NULL, NULL, "export", "last", "--chart", "timeline", "-o", svg_link,
                             "--db", f->db),
                   ==, 0);
  g_assert_true (g_file_test (svg_link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_get_contents (svg_target, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "<?xml"));
  g_clear_pointer (&text, g_free);

  /* A FIFO: its reader gets every byte, and it is still a FIFO. */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  reader = g_thread_new ("fifo-reader", read_fifo_thread, fifo);
  g_assert_cmpint (run_plab (f, NULL, NULL, "export", "last", "--format", "csv", "-o", fifo, "--db",
                             f->db),
                   ==, 0);
  from_fifo = g_thread_join (reader);
  g_assert_cmpstr (from_fifo, ==, expected);
  g_assert_cmpint (lstat (fifo, &after), ==, 0);
  g_assert_true (S_ISFIFO (after.st_mode));

  /* Nothing temporary is left beside the targets. */
  {
    g_autoptr (GDir) dir = g_dir_open (f->dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      g_assert_false (g_str_has_suffix (name, ".tmp"));
  }

  /* A character device (a /dev/null of our own) stays a device. */
  if (mknod (device, S_IFCHR | 0666, makedev (1, 3)) != 0)
    {
      g_test_skip ("cannot make a character device here (mknod needs root)");
      return;
    }
  g_assert_cmpint (run_plab (f, NULL, NULL, "export", "last", "--format", "trace", "-o", device,
                             "--db", f->db),
                   ==, 0);
  g_assert_cmpint (lstat (device, &after), ==, 0);
  g_assert_true (S_ISCHR (after.st_mode));
  g_assert_cmpint (run_plab (f, NULL, NULL, "export", "last", "--chart", "time", "--format", "pdf",
                             "-o", device, "--db", f->db),
                   ==, 0);
  g_assert_cmpint (lstat (device, &after), ==, 0);
  g_assert_true (S_ISCHR (after.st_mode));
  unlink (device);
}

static void
test_sweep (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *checked = NULL;

  g_assert_cmpint (run_plab (f, &out, &err, "run", "squares", "--sweep", "1,2", "-b",
                             "serial,threads", "--db", f->db, "--set", "n=5000", "--json"),
                   ==, 0);
  checked
      = python_check (f, out,
                      "import json,sys\n"
                      "d=json.load(open(sys.argv[1]))\n"
                      "assert isinstance(d['sweep'],int) and d['baseline']=='serial'\n"
                      "c=[(r['backend'],r['workers']) for r in d['runs']]\n"
                      "assert c==[('serial',1),('threads',1),('threads',2)], c\n"
                      "assert all(r['status']=='ok' and r['speedup']>0 for r in d['runs'])\n"
                      "t=d['table']\n"
                      "assert len(t)==3 and abs(t[0]['speedup']-1)<1e-9\n"
                      "assert all(abs(r['efficiency']-r['speedup']/r['workers'])<1e-6 for r in t)\n"
                      "print('ok')\n");
  g_assert_cmpstr (checked, ==, "ok\n");
}

/* The most lanes of run @id that were doing their task at the same moment.
 * A lane's task is the hull of its spans other than its start, its exit, its
 * wait for a worker slot ("wait: semaphore workers") and its waits for a core
 * (sampled, so placed only as finely as the sampling): the work, the
 * sleep or the oven, however they are recorded. Sets *@n_lanes to the
 * worker lanes that have such a span. */
static int
most_tasks_at_once (PlabStore *store, int64_t id, int *n_lanes)
{
  g_autofree int64_t *from = NULL, *to = NULL;
  PlabLaneInfo *lanes = NULL;
  PlabEvent *spans = NULL;
  size_t n = 0, n_spans = 0;
  int most = 0;

  g_assert_cmpint (plab_store_get_lanes (store, id, &lanes, &n), ==, 0);
  from = g_new0 (int64_t, n);
  to = g_new0 (int64_t, n);
  for (size_t l = 0; l < n; l++)
    from[l] = INT64_MAX;
  g_assert_cmpint (plab_store_get_spans (store, id, 0, INT64_MAX, &spans, &n_spans), ==, 0);
  for (size_t i = 0; i < n_spans; i++)
    {
      PlabEvent *e = &spans[i];

      if (e->lane == 0 || e->lane >= n || e->kind == PLAB_SPAN_SPAWN || e->kind == PLAB_SPAN_EXIT
          || e->kind == PLAB_SPAN_CORE_WAIT
          || g_str_has_prefix (e->label, "wait: semaphore workers"))
        continue;
      from[e->lane] = MIN (from[e->lane], e->start_ns);
      to[e->lane] = MAX (to[e->lane], e->end_ns);
    }
  *n_lanes = 0;
  for (size_t a = 1; a < n; a++)
    {
      int at_once = 0;

      /* A lane with no span of work (a child killed as it started) is not
       * counted in @n_lanes: the callers compare that with the lanes that
       * should have worked. */
      if (lanes[a].kind == PLAB_LANE_MAIN || from[a] >= to[a])
        continue;
      (*n_lanes)++;
      /* Overlaps peak where some task starts: count the tasks running then. */
      for (size_t b = 1; b < n; b++)
        at_once += from[b] <= from[a] && from[a] < to[b];
      most = MAX (most, at_once);
    }
  free (lanes);
  free (spans);
  return most;
}

/* The per-task demos start a worker per task, and the run's workers are how
 * many of those tasks run at once: -j 1 runs them one at a time, -j 2 two
 * together, and each task keeps its lane. Times are not judged, only what
 * overlapped, which a busy machine cannot change. */
static void
test_per_task_workers (Fixture *f, gconstpointer data)
{
  const char *const *args = data;
  g_autofree char *out = NULL, *err = NULL;
  PlabRunRecord **runs = NULL;
  size_t n_runs = 0;
  PlabStore *store;

  g_assert_cmpint (run_plab (f, &out, &err, "run", args[0], "--sweep", "1,2", "-b", args[1], "--db",
                             f->db, "--set", args[2]),
                   ==, 0);
  store = open_store (f);
  g_assert_cmpint (plab_store_list_runs (store, &(PlabRunFilter){ 0 }, &runs, &n_runs), ==, 0);
  g_assert_cmpuint (n_runs, ==, 2);
  for (size_t i = 0; i < n_runs; i++)
    {
      int n_lanes = 0;
      int most = most_tasks_at_once (store, runs[i]->id, &n_lanes);

      g_test_message ("%s -j %d: %d tasks on %d lanes at most at once", args[0], runs[i]->workers,
                      most, n_lanes);
      g_assert_cmpint (runs[i]->status, ==, PLAB_RUN_OK);
      g_assert_cmpint (n_lanes, ==, atoi (args[3]));
      /* Never more than the workers; and with two, the longest task leaves
       * room for a second one beside it. */
      g_assert_cmpint (most, ==, runs[i]->workers);
    }
  plab_run_records_free (runs, n_runs);
  plab_store_close (store);
}

/* demo, backend, --set, task lanes */
static const char *const sleepers_case[] = { "sleepers", "processes", "unit_ms=100", "4" };
static const char *const chef_case[] = { "chef", "threads", "unit_ms=40", "6" };

/* A demo whose workers come from its own parameters has no worker axis: a
 * sweep over workers is refused with one line that says why, and nothing is
 * recorded. */
static void
test_sweep_without_worker_axis (Fixture *f, gconstpointer data)
{
  static const char *const demos[] = { "cars", "counter", "pipe" };

  for (size_t i = 0; i < G_N_ELEMENTS (demos); i++)
    {
      g_autofree char *out = NULL, *err = NULL;

      g_assert_cmpint (run_plab (f, &out, &err, "run", demos[i], "--sweep", "1,2", "--db", f->db),
                       ==, 2);
      g_assert_cmpint (count_lines (err), ==, 1);
      g_assert_nonnull (strstr (err, "has no worker axis to sweep"));
      g_assert_cmpstr (out, ==, "");
    }
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
}

/* A demo with no worker axis records as many workers as its values start,
 * whatever -j said (and says so once): the lanes of a run never have more
 * tasks at once than the run's workers, and where the demo keeps them all
 * busy together (a deadlock's two workers, a pipe's two ends, the
 * lifecycle's worker and daemon), exactly that many. */
static void
test_demo_workers (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *demo;
    const char *set;
    int workers;
    gboolean all_at_once;
  } cases[] = {
    { "cars", "producers=2", 4, FALSE },       { "counter", "counters=3", 3, FALSE },
    { "print", "writers=3", 3, FALSE },        { "pipe", "ping_pongs=2000", 2, TRUE },
    { "deadlock", "hold_ms=50", 2, TRUE },     { "lifecycle", "step_ms=100", 2, TRUE },
    { "start-methods", "starts=1", 1, FALSE }, { "manager", "increments=200", 4, FALSE },
    { "shared", "adders=3", 3, FALSE },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL, *err = NULL;
      PlabRunRecord **runs = NULL;
      size_t n_runs = 0;
      int n_lanes = 0, most;
      PlabStore *store;

      g_assert_cmpint (run_plab (f, &out, &err, "run", cases[i].demo, "-b", "processes", "-j", "6",
                                 "--set", cases[i].set, "--db", f->db),
                       ==, 0);
      g_assert_nonnull (strstr (err, "-j 6 is not used"));
      store = open_store (f);
      g_assert_cmpint (plab_store_list_runs (store, &(PlabRunFilter){ .limit = 1 }, &runs, &n_runs),
                       ==, 0);
      g_assert_cmpuint (n_runs, ==, 1);
      g_assert_cmpstr (runs[0]->demo, ==, cases[i].demo);
      most = most_tasks_at_once (store, runs[0]->id, &n_lanes);
      g_test_message ("%s: %d workers recorded, %d busy at once on %d lanes", cases[i].demo,
                      runs[0]->workers, most, n_lanes);
      g_assert_cmpint (runs[0]->workers, ==, cases[i].workers);
      g_assert_cmpint (most, <=, runs[0]->workers);
      if (cases[i].all_at_once)
        g_assert_cmpint (most, ==, runs[0]->workers);
      plab_run_records_free (runs, n_runs);
      plab_store_close (store);
    }
}

static void
test_export_charts (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *checked = NULL;
  static const char *const charts[] = { "timeline", "time", "speedup", "result" };

  g_assert_cmpint (run_plab (f, &out, &err, "run", "squares", "--sweep", "1,2", "-b",
                             "serial,processes", "--db", f->db, "--set", "n=5000"),
                   ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (charts); i++)
    {
      g_autofree char *png = g_strdup_printf ("%s/%s.png", f->dir, charts[i]);
      g_autofree char *svg = g_strdup_printf ("%s/%s.svg", f->dir, charts[i]);
      g_autofree char *pdf = g_strdup_printf ("%s/%s.pdf", f->dir, charts[i]);
      g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL;
      g_autofree char *bytes = NULL;
      gsize len = 0;

      g_assert_cmpint (run_plab (f, &o1, &e1, "export", "sweep:1", "--chart", charts[i], "--db",
                                 f->db, "-o", png, "--width", "800", "--height", "450"),
                       ==, 0);
      g_assert_cmpint (run_plab (f, &o2, &e2, "export", "last", "--chart", charts[i], "--db", f->db,
                                 "-o", svg),
                       ==, 0);
      g_assert_cmpint (run_plab (f, &o3, &e3, "export", "1", "--chart", charts[i], "--format",
                                 "pdf", "--db", f->db, "-o", pdf, "--theme", "projector"),
                       ==, 0);
      /* PNG of the asked size: width and height sit at bytes 16..23 of the IHDR. */
      g_assert_true (g_file_get_contents (png, &bytes, &len, NULL));
      g_assert_cmpuint (len, >, 24);
      g_assert_cmpint (memcmp (bytes, "\x89PNG", 4), ==, 0);
      g_assert_cmpuint (GUINT32_FROM_BE (*(guint32 *)(bytes + 16)), ==, 800);
      g_assert_cmpuint (GUINT32_FROM_BE (*(guint32 *)(bytes + 20)), ==, 450);
      g_clear_pointer (&bytes, g_free);
      g_assert_true (g_file_get_contents (pdf, &bytes, &len, NULL));
      g_assert_true (g_str_has_prefix (bytes, "%PDF-"));
      /* The document is titled (cairo writes the title in UTF-16, in hex). */
      g_assert_nonnull (memmem (bytes, len, "/Title <FEFF", strlen ("/Title <FEFF")));
      g_clear_pointer (&bytes, g_free);
      g_assert_true (g_file_get_contents (svg, &bytes, &len, NULL));
      g_clear_pointer (&checked, g_free);
      /* --width is in pixels, and so is the SVG a browser sizes. */
      checked = python_check (f, bytes,
                              "import sys, xml.etree.ElementTree as E\n"
                              "r=E.parse(sys.argv[1]).getroot()\n"
                              "assert r.tag.endswith('svg'), r.tag\n"
                              "assert r.get('width')=='1600px', r.get('width')\n"
                              "assert r.get('height')=='900px', r.get('height')\n"
                              "print('ok')\n");
      g_assert_cmpstr (checked, ==, "ok\n");
    }

  /* The result's CSV is one table: a csv reader meets one header, and every
   * row has its columns. */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_plab (f, &out, NULL, "export", "1", "--chart", "result", "--format", "csv",
                             "-o", "-", "--db", f->db),
                   ==, 0);
  g_clear_pointer (&checked, g_free);
  checked = python_check (f, out,
                          "import csv,sys\n"
                          "rows=list(csv.DictReader(open(sys.argv[1],newline='')))\n"
                          "h=['table','series','key','x','y','value']\n"
                          "assert list(rows[0].keys())==h, rows[0]\n"
                          "assert all(r['table'] in ('figure','result') for r in rows), rows\n"
                          "assert all(None not in r for r in rows)\n"
                          "assert any(r['table']=='figure' for r in rows)\n"
                          "assert any(r['table']=='result' for r in rows)\n"
                          "print('ok')\n");
  g_assert_cmpstr (checked, ==, "ok\n");

  /* Bad input: one line, exit status 2, and no file. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_plab (f, NULL, &err, "export", "1", "--chart", "pie", "--db", f->db), ==, 2);
  g_assert_nonnull (strstr (err, "timeline, time, speedup or result"));
  g_assert_cmpint (count_lines (err), ==, 1);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_plab (f, NULL, &err, "export", "sweep:99", "--chart", "time", "--db", f->db,
                             "-o", "never.png"),
                   ==, 2);
  g_assert_false (g_file_test ("never.png", G_FILE_TEST_EXISTS));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_plab (f, NULL, &err, "export", "1", "--chart", "time", "--theme", "neon",
                             "--db", f->db),
                   ==, 2);
  /* A chart too small to read: one line with the smallest size, status 2,
   * no file; the projector's larger type needs more than the light theme. */
  for (guint i = 0; i < G_N_ELEMENTS (charts); i++)
    {
      g_autofree char *small = g_strdup_printf ("%s/small-%s.png", f->dir, charts[i]);

      g_clear_pointer (&err, g_free);
      g_assert_cmpint (run_plab (f, NULL, &err, "export", "1", "--chart", charts[i], "--width",
                                 "100", "--height", "50", "-o", small, "--db", f->db),
                       ==, 2);
      g_assert_nonnull (strstr (err, "too small to read"));
      g_assert_nonnull (strstr (err, "640 x 360"));
      g_assert_cmpint (count_lines (err), ==, 1);
      g_assert_false (g_file_test (small, G_FILE_TEST_EXISTS));
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (run_plab (f, NULL, &err, "export", "1", "--chart", charts[i], "--width",
                                 "800", "--height", "450", "--theme", "projector", "-o", small,
                                 "--db", f->db),
                       ==, 2);
      g_assert_nonnull (strstr (err, "864 x 486"));
      g_assert_false (g_file_test (small, G_FILE_TEST_EXISTS));
    }
}

static void
test_progress_stream (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *checked = NULL;

  g_assert_cmpint (run_plab (f, &out, &err, "run", "squares", "-j", "2", "-b", "threads", "--db",
                             f->db, "--set", "n=3000", "--set", "item_spans=true", "--progress"),
                   ==, 0);
  checked = python_check (f, out,
                          "import json,sys\n"
                          "ev=[json.loads(l) for l in open(sys.argv[1])]\n"
                          "k=[e['event'] for e in ev]\n"
                          "assert k[0]=='run' and k[-2]=='end' and k[-1]=='done', k\n"
                          "assert ev[0]['demo']=='squares' and ev[0]['params']['n']==3000\n"
                          "lanes={e['lane'] for e in ev if e['event']=='lane'}\n"
                          "assert {0,1,2} <= lanes, lanes\n"
                          "tasks=[s for e in ev if e['event']=='spans' for s in e['spans'] if "
                          "s[2]=='task']\n"
                          "ids=[s[3] for s in tasks]\n"
                          "assert len(set(ids))==len(ids) and set(ids)<=set(range(3000))\n"
                          "dropped=ev[-2].get('live_spans_dropped',0)\n"
                          /* A pipe whose reader is behind gets fewer span lines;
                           * the end event counts what was left out. */
                          "assert len(ids)+dropped>=3000 and (dropped>0 or len(ids)==3000)\n"
                          "assert all(0<=s[0]<=s[1] for s in tasks)\n"
                          "assert ev[-2]['status']=='ok' and ev[-2]['check_ok'] is True\n"
                          "print('ok')\n");
  g_assert_cmpstr (checked, ==, "ok\n");
}

/* --- Waiting for a core --- */

/* What a run of CPU-bound workers recorded: the time its worker lanes spent
 * in tasks, the part of it they waited for a core, and the run's CPU time. */
typedef struct
{
  int64_t id;
  double busy_s;
  double wait_s;
  double cpu_s;
  int live_waits; /* core waits in the live stream, as spans or in "busy" lines */
} CoreWaitRun;

/* Runs kde on @workers processes (tasks of pure arithmetic) with its live
 * stream, and reads the run back from the store. */
static CoreWaitRun
run_core_wait (const Fixture *f, int workers)
{
  g_autofree char *out = NULL, *err = NULL, *checked = NULL,
                  *jobs = g_strdup_printf ("%d", workers);
  g_auto (GStrv) fields = NULL;
  CoreWaitRun r = { 0 };
  PlabRunRecord *record = NULL;
  PlabEvent *spans = NULL;
  size_t n_spans = 0;
  PlabStore *store;

  g_assert_cmpint (run_plab (f, &out, &err, "run", "kde", "-b", "processes", "-j", jobs, "--db",
                             f->db, "--set", "grid=4096", "--set", "chunk=16", "--progress"),
                   ==, 0);
  checked = python_check (f, out,
                          "import json,sys\n"
                          "ev=[json.loads(l) for l in open(sys.argv[1])]\n"
                          "assert ev[-2]['event']=='end' and ev[-2]['status']=='ok', ev[-2]\n"
                          "w=[s for e in ev if e['event']=='spans' for s in e['spans'] "
                          "if s[2]=='core wait']\n"
                          "assert all(0<=s[0]<=s[1] and s[3]==-1 for s in w)\n"
                          "b=sum(e['kinds'].get('core wait',[0,0])[1] for e in ev "
                          "if e['event']=='busy')\n"
                          "print(ev[0]['id'], len(w)+b, sep='|')\n");
  fields = g_strsplit (g_strchomp (checked), "|", -1);
  r.id = g_ascii_strtoll (fields[0], NULL, 10);
  r.live_waits = (int)g_ascii_strtoll (fields[1], NULL, 10);

  store = open_store (f);
  g_assert_cmpint (plab_store_get_run (store, r.id, &record), ==, 0);
  g_assert_cmpint (record->workers, ==, workers);
  r.cpu_s = record->cpu_ns / 1e9;
  g_assert_cmpint (plab_store_get_spans (store, r.id, 0, INT64_MAX, &spans, &n_spans), ==, 0);
  for (size_t i = 0; i < n_spans; i++)
    {
      double d = (spans[i].end_ns - spans[i].start_ns) / 1e9;

      if (spans[i].lane == 0)
        continue;
      if (spans[i].kind == PLAB_SPAN_TASK)
        r.busy_s += d;
      else if (spans[i].kind == PLAB_SPAN_CORE_WAIT)
        {
          g_assert_cmpint (spans[i].end_ns, >, spans[i].start_ns);
          r.wait_s += d;
        }
    }
  g_test_message ("%d workers: busy %.3f s, waiting for a core %.3f s (%.0f %%), cpu %.3f s, "
                  "%d waits live",
                  workers, r.busy_s, r.wait_s, 100 * r.wait_s / r.busy_s, r.cpu_s, r.live_waits);
  free (spans);
  plab_run_record_free (record);
  plab_store_close (store);
  return r;
}

/* The time a worker waits for a core, against the time it runs. */
static double
wait_per_run (const CoreWaitRun *r)
{
  return r->wait_s / MAX (r->busy_s - r->wait_s, 1e-3);
}

/* Three times as many CPU-bound workers as usable cores wait for a core
 * most of their busy time; one worker much less.
 *
 * The suite may run beside a busy loop on every core, and beside other
 * programs, so neither figure is fixed: with L other runnable threads per
 * core, sharing fairly, one worker waits L units of time per unit it runs,
 * and each of the many waits 2 + L (three to a core, plus the L). With
 * autogrouped sessions it is more apart still. So the test asserts the
 * direction and a gap in waiting per running of at least 0.5 (a quarter of
 * the least the model gives: other programs' load changes from one run to
 * the next), not a "zero" that a busy machine cannot give. The many are run
 * before and after the one and averaged, so that load that comes or goes
 * during the test shifts both sides alike. An absolute "under 0.1" for the
 * one would hold only on a machine known to be otherwise quiet, which
 * nothing here can know beforehand; the CPU time below tells it after the
 * fact, run by run.
 *
 * What does not depend on the load: a CPU-bound worker's task time is its
 * time on a CPU plus its time waiting for one. So the task time less the
 * recorded waits must come close to the run's CPU time, for the one worker
 * (whose waits are then near zero exactly when it had a core to itself) and,
 * allowing for the waits before each worker's first sample and after its
 * last, for the many. A run that recorded no waits, or waits where the
 * worker ran, fails this on any machine. The waits also reach the live
 * stream (as spans, or counted in a lane's "busy" line when the reader fell
 * behind, as it may under a sanitizer on a loaded machine), the CSV export
 * and the trace. */
static void
test_core_wait (Fixture *f, gconstpointer data)
{
  int cpus = plab_usable_cpus ();
  int many = 3 * cpus;
  CoreWaitRun before, one, after;
  double many_fraction, one_fraction, many_ratio;
  g_autofree char *out = NULL, *err = NULL, *id = NULL;

  before = run_core_wait (f, many);
  one = run_core_wait (f, 1);
  after = run_core_wait (f, many);

  /* Many: clearly waiting, and the waits account for the time not running. */
  for (int i = 0; i < 2; i++)
    {
      const CoreWaitRun *r = i == 0 ? &before : &after;

      g_assert_cmpfloat (r->wait_s, >, 0.3 * r->busy_s);
      g_assert_cmpfloat (r->busy_s - r->wait_s, <, 2.5 * r->cpu_s + many * 0.1);
      g_assert_cmpint (r->live_waits, >, 0);
    }
  many_fraction = (before.wait_s + after.wait_s) / (before.busy_s + after.busy_s);
  many_ratio = (wait_per_run (&before) + wait_per_run (&after)) / 2;

  /* One: less, by a wide gap. */
  one_fraction = one.wait_s / one.busy_s;
  g_assert_cmpfloat (one_fraction, <, many_fraction);
  g_assert_cmpfloat (wait_per_run (&one), <, many_ratio - 0.5);
  /* Its task time is its CPU time plus its waits, within a quarter. */
  g_assert_cmpfloat (ABS (one.busy_s - one.wait_s - one.cpu_s), <, 0.25 * one.busy_s + 0.05);
  /* Given a core for nine tenths of its task time, it recorded little
   * waiting: near zero on a machine that has a core for it. */
  if (one.cpu_s >= 0.9 * one.busy_s)
    g_assert_cmpfloat (one_fraction, <, 0.15);

  /* The exports carry them. */
  id = g_strdup_printf ("%" G_GINT64_FORMAT, after.id);
  g_assert_cmpint (run_plab (f, &out, &err, "export", id, "-f", "csv", "--db", f->db), ==, 0);
  g_assert_nonnull (strstr (out, ",core wait,"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_plab (f, &out, &err, "export", id, "-f", "trace", "--db", f->db), ==, 0);
  g_assert_nonnull (strstr (out, "core wait"));
}

/* The busy time of each lane of @spans (ordered by lane, then start), a span
 * inside another counted once and core waits (inside tasks) left out, into
 * @busy (at least 3 lanes), and its task spans into @tasks. */
static void
lane_busy (const PlabEvent *spans, size_t n, gint64 *busy, gint64 *tasks)
{
  gint64 covered_end = 0;
  int lane = -1;

  for (size_t i = 0; i < n; i++)
    {
      const PlabEvent *e = &spans[i];
      gint64 from;

      if (e->lane > 2 || e->kind == PLAB_SPAN_COUNTER || e->kind == PLAB_SPAN_CORE_WAIT)
        continue;
      if (e->lane != lane)
        lane = e->lane, covered_end = G_MININT64;
      from = MAX (e->start_ns, covered_end);
      if (e->end_ns > from)
        busy[e->lane] += e->end_ns - from;
      covered_end = MAX (covered_end, e->end_ns);
      tasks[e->lane] += e->kind == PLAB_SPAN_TASK;
    }
}

/* A reader far slower than the runner still learns how busy every lane was:
 * the spans left out of its stream are said, lane by lane, by "busy" lines,
 * and the spans lines and "busy" lines together count every task the store
 * has and the time they took. */
static void
test_progress_slow_reader (Fixture *f, gconstpointer data)
{
  const char *argv[] = { plab_path,      "run",   "squares",   "-j",         "2",       "-b",
                         "processes",    "--db",  f->db,       "--set",      "n=30000", "--set",
                         "chunk_size=1", "--set", "work=2000", "--progress", NULL };
  g_auto (GStrv) env = plab_environ (f);
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) seen = g_string_new (NULL);
  g_autoptr (GString) kinds = g_string_new (NULL);
  g_autofree char *script = NULL, *checked = NULL;
  gint64 busy[3] = { 0 }, tasks[3] = { 0 };
  PlabEvent *spans = NULL;
  size_t n_spans = 0;
  PlabStore *store;
  char buf[4096];
  GPid pid;
  int out_fd, wait_status;
  ssize_t n;

  g_spawn_async_with_pipes (NULL, (char **)argv, env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                            NULL, &out_fd, NULL, &error);
  g_assert_no_error (error);
  /* 4 KB every 20 ms: 200 KB a second, a few thousand spans, where the
   * workers record tens of thousands. */
  while ((n = read (out_fd, buf, sizeof buf)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      g_string_append_len (seen, buf, n);
      g_usleep (20000);
    }
  close (out_fd);
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (wait_status));
  g_assert_cmpint (WEXITSTATUS (wait_status), ==, 0);

  store = open_store (f);
  g_assert_cmpint (plab_store_get_spans (store, 1, 0, INT64_MAX, &spans, &n_spans), ==, 0);
  plab_store_close (store);
  lane_busy (spans, n_spans, busy, tasks);
  /* Every kind of span the store has on the worker lanes, core waits
   * included: the live stream must count each kind, not only tasks. */
  g_string_append_c (kinds, '{');
  for (int lane = 1; lane <= 2; lane++)
    for (int k = 0; k < PLAB_N_SPAN_KINDS; k++)
      {
        size_t count = 0;

        for (size_t i = 0; i < n_spans; i++)
          count += spans[i].lane == lane && spans[i].kind == k && k != PLAB_SPAN_COUNTER;
        if (count > 0)
          g_string_append_printf (kinds, "(%d,'%s'):%zu,", lane, plab_span_kind_name (k), count);
      }
  g_string_append_c (kinds, '}');
  free (spans);
  g_assert_cmpint (tasks[1] + tasks[2], ==, 30000);

  script = g_strdup_printf (
      "import json,sys\n"
      "ev=[json.loads(l) for l in open(sys.argv[1])]\n"
      "store_busy={1:%" G_GINT64_FORMAT ",2:%" G_GINT64_FORMAT "}\n"
      "store_tasks={1:%" G_GINT64_FORMAT ",2:%" G_GINT64_FORMAT "}\n"
      "end=ev[-2]\n"
      "assert end['event']=='end' and end['status']=='ok', end\n"
      "assert end.get('live_spans_dropped',0)>0, 'the reader was never behind'\n"
      "busy=[e for e in ev if e['event']=='busy']\n"
      "assert busy, 'no busy lines'\n"
      "for b in busy:\n"
      "  k=b['kinds']\n"
      "  assert b['start']<=b['end'] and 0<=b['busy_ns']<=b['end']-b['start'], b\n"
      "  assert sum(v[0] for v in k.values())==b['busy_ns'], b\n"
      "  assert sum(v[1] for v in k.values())==b['count'], b\n"
      /* At most PLAB_PROGRESS_BUSY_BINS (app/plab-progress.h) bins. */
      "  assert sum(b['bins'])==b['busy_ns'] and len(b['bins'])<=64, b\n"
      /* Every bin lies in the interval. Its first may begin after the
       * start: a core wait placed before spans already summed up adds only
       * its time past them. */
      "  assert not b['bins'] or (b['bin0']+b['bin_ns']>b['start']\n"
      "                          and b['bin0']+(len(b['bins'])-1)*b['bin_ns']<=b['end']), b\n"
      "for lane in (1,2):\n"
      /* Core waits lie inside tasks: "busy" lines count them, with no time. */
      "  sent=sorted((s[0],s[1]) for e in ev if e['event']=='spans' and e['lane']==lane\n"
      "              for s in e['spans'] if s[2]!='core wait')\n"
      "  t=sum(1 for e in ev if e['event']=='spans' and e['lane']==lane for s in e['spans']\n"
      "        if s[2]=='task')\n"
      "  t+=sum(b['kinds'].get('task',[0,0])[1] for b in busy if b['lane']==lane)\n"
      "  assert t==store_tasks[lane], (lane,t,store_tasks)\n"
      "  covered=0; end_=-1\n"
      "  for s,e in sent:\n"
      "    fr=max(s,end_)\n"
      "    if e>fr: covered+=e-fr\n"
      "    end_=max(end_,e)\n"
      "  total=covered+sum(b['busy_ns'] for b in busy if b['lane']==lane)\n"
      "  assert abs(total-store_busy[lane])<=0.02*store_busy[lane], (lane,total,store_busy)\n"
      "store_kinds=%s\n"
      "live={}\n"
      "for e in ev:\n"
      "  if e['event']=='spans' and e['lane'] in (1,2):\n"
      "    for s in e['spans']: live[(e['lane'],s[2])]=live.get((e['lane'],s[2]),0)+1\n"
      "  if e['event']=='busy' and e['lane'] in (1,2):\n"
      "    for k,v in e['kinds'].items(): live[(e['lane'],k)]=live.get((e['lane'],k),0)+v[1]\n"
      "assert live==store_kinds, (live,store_kinds)\n"
      "print('ok')\n",
      busy[1], busy[2], tasks[1], tasks[2], kinds->str);
  checked = python_check (f, seen->str, script);
  g_assert_cmpstr (checked, ==, "ok\n");
}

/* Reads stdout of the runner until a line containing @needle, at most @timeout_ms. */
static gboolean
wait_for_line (int fd, GString *seen, const char *needle, int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;
  char buf[65536];

  while (g_get_monotonic_time () < deadline)
    {
      struct pollfd p = { fd, POLLIN, 0 };
      ssize_t n;

      if (poll (&p, 1, 100) <= 0)
        continue;
      n = read (fd, buf, sizeof buf);
      if (n <= 0)
        return FALSE;
      g_string_append_len (seen, buf, n);
      if (strstr (seen->str, needle))
        return TRUE;
    }
  return FALSE;
}

static void
test_sigint (Fixture *f, gconstpointer data)
{
  const char *argv[]
      = { plab_path, "run",   "squares",   "-j",    "2",          "-b",         "processes", "--db",
          f->db,     "--set", "n=1000000", "--set", "work=20000", "--progress", NULL };
  g_auto (GStrv) env = plab_environ (f);
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) seen = g_string_new (NULL);
  PlabRunRecord **records = NULL;
  size_t n_records = 0;
  PlabStore *store;
  GPid pid;
  int out_fd;
  int wait_status;
  gint64 deadline;
  pid_t left;

  /* Workers orphaned by the runner would become our children: a runner that
   * leaves any behind is caught by waitpid () below. */
  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 1), ==, 0);

  g_spawn_async_with_pipes (NULL, (char **)argv, env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                            NULL, &out_fd, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (wait_for_line (out_fd, seen, "\"task\"", 10000));

  /* Stop it: the run ends as cancelled, with exit status 130. The limit
   * only catches a runner that ignores SIGINT; the uncancelled run takes
   * minutes. */
  kill (pid, SIGINT);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (waitpid (pid, &wait_status, WNOHANG) == 0)
    {
      if (g_get_monotonic_time () > deadline)
        {
          kill (pid, SIGKILL);
          g_error ("the runner did not stop within 60 s of SIGINT");
        }
      /* Keep reading, so the runner never blocks on a full pipe. */
      wait_for_line (out_fd, seen, "\"event\":\"done\"", 20);
    }
  g_assert_true (WIFEXITED (wait_status));
  g_assert_cmpint (WEXITSTATUS (wait_status), ==, 130);
  wait_for_line (out_fd, seen, "\"event\":\"done\"", 1000);
  close (out_fd);
  g_assert_nonnull (strstr (seen->str, "\"status\":\"cancelled\""));

  /* No worker outlived the runner. */
  g_usleep (300000);
  left = waitpid (-1, &wait_status, WNOHANG);
  g_assert_cmpint (left, ==, -1);
  g_assert_cmpint (errno, ==, ECHILD);

  store = open_store (f);
  g_assert_cmpint (plab_store_list_runs (store, &(PlabRunFilter){ .limit = 1 }, &records,
                                         &n_records),
                   ==, 0);
  g_assert_cmpuint (n_records, ==, 1);
  g_assert_cmpint (records[0]->status, ==, PLAB_RUN_CANCELLED);
  g_assert_nonnull (strstr (records[0]->error, "SIGINT"));
  /* Cut short: far less than the minutes the whole run takes. */
  g_assert_cmpint (records[0]->wall_ns, <, 90 * G_GINT64_CONSTANT (1000000000));
  plab_run_records_free (records, n_records);
  plab_store_close (store);
}

/* --- The timeline of a recorded run --- */

#define EDGE_CHART_W 1600
#define EDGE_CHART_H 900
/* Pairs each worker lane must have told apart: most of its 32 tasks follow
 * one another at once, only a pair with a gap or a span under a few pixels
 * is left out. */
#define EDGE_MIN_PAIRS 8

/* The timeline of a real kde run on two threads, drawn as plab export draws
 * it: each worker takes chunk after chunk of the grid with no gap between
 * them, and every pair of back-to-back tasks is told apart by an edge. The
 * chart tests check this on made-up spans; here the spans are the runner's. */
static void
test_timeline_edges (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  char message[256] = "";
  PlabChartData *chart = NULL;
  PlabChartStyle style;
  PlabTimelineLayout layout;
  cairo_surface_t *surface;
  PlabStore *store;
  cairo_t *cr;
  int found = 0;

  /* 64 tasks of 128 grid points, some 10 ms each: about 32 per worker. */
  g_assert_cmpint (run_plab (f, &out, &err, "run", "kde", "-b", "threads", "-j", "2", "--db", f->db,
                             "--set", "samples=20000", "--set", "grid=8192", "--set", "chunk=128"),
                   ==, 0);
  store = open_store (f);
  if (plab_chart_data_load (store,
                            &(PlabChartRequest){ .run_id = 1, .what = PLAB_CHART_LOAD_TIMELINE },
                            &chart, message, sizeof message)
      != 0)
    g_error ("loading run 1: %s", message);

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, EDGE_CHART_W, EDGE_CHART_H);
  cr = cairo_create (surface);
  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
  plab_timeline_chart_draw (cr, chart->timeline, NULL, &style, EDGE_CHART_W, EDGE_CHART_H);
  plab_timeline_chart_layout (cr, chart->timeline, NULL, &style, EDGE_CHART_W, EDGE_CHART_H,
                              &layout);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);

  for (int row = 0; row < plab_timeline_data_n_lanes (chart->timeline); row++)
    {
      PlabLaneSummary lane;
      /* In the bar's upper part: above the task labels and the waits for a
       * core along the bar's bottom. */
      double y = layout.lanes_y + (row + 0.25) * layout.lane_h;
      int pairs;

      g_assert_true (plab_timeline_data_lane_summary (chart->timeline, row, &lane));
      if (lane.info.lane != 1 && lane.info.lane != 2)
        continue;
      g_assert_cmpuint (lane.n_tasks, >, EDGE_MIN_PAIRS);
      pairs = chart_test_assert_edges (surface, chart->timeline, &layout, &style, lane.info.lane, y,
                                       4);
      if (g_test_verbose ())
        g_test_message ("lane %d: %zu tasks, %d back-to-back pairs checked", lane.info.lane,
                        lane.n_tasks, pairs);
      g_assert_cmpint (pairs, >=, EDGE_MIN_PAIRS);
      found++;
    }
  g_assert_cmpint (found, ==, 2);

  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  plab_chart_data_free (chart);
  plab_store_close (store);
}

/* --- The busy-machine warning --- */

/* Starts one busy loop per usable CPU, each dying with this test. */
static GArray *
start_hogs (void)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (pid_t));
  int n = plab_usable_cpus ();

  for (int i = 0; i < n; i++)
    {
      pid_t pid = fork ();

      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          volatile unsigned long spin = 0;

          prctl (PR_SET_PDEATHSIG, SIGKILL);
          for (;;)
            spin++;
        }
      g_array_append_val (pids, pid);
    }
  return pids;
}

/* Kills and reaps them: no zombie is left. */
static void
stop_hogs (GArray *pids)
{
  for (guint i = 0; i < pids->len; i++)
    kill (g_array_index (pids, pid_t, i), SIGKILL);
  for (guint i = 0; i < pids->len; i++)
    g_assert_cmpint (waitpid (g_array_index (pids, pid_t, i), NULL, 0), ==,
                     g_array_index (pids, pid_t, i));
  g_array_free (pids, TRUE);
}

static PlabRunRecord *
get_run (const Fixture *f, int64_t id)
{
  PlabStore *store = open_store (f);
  PlabRunRecord *r = NULL;

  g_assert_cmpint (plab_store_get_run (store, id, &r), ==, 0);
  plab_store_close (store);
  return r;
}

/* Member @key of run @id's result, as a number (NAN when it has none) and,
 * when @text is given, as a string. */
static double
result_member (const Fixture *f, int64_t id, const char *key, char **text)
{
  PlabRunRecord *r = get_run (f, id);
  PlabJson *json = plab_json_parse (r->result_json, NULL, 0);
  const PlabJson *v;
  double value;

  g_assert_nonnull (json);
  v = plab_json_get (json, key);
  value = v ? plab_json_number (v, NAN) : NAN;
  if (text)
    *text = g_strdup (plab_json_string (v, ""));
  plab_json_free (json);
  plab_run_record_free (r);
  return value;
}

/* chef's time saved compares measured times only: a serial run is the for
 * loop and saves nothing; a sweep measures the others against its serial
 * run (run first, whatever the order of -b); a run of its own measures a
 * for loop just before its kitchen. */
static void
test_chef_measured_baseline (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *show = NULL, *serr = NULL;
  g_autofree char *from2 = NULL, *from3 = NULL;
  PlabRunRecord *r;

  g_assert_cmpint (run_plab (f, &out, &err, "run", "chef", "-b", "processes,serial", "--sweep", "2",
                             "--set", "unit_ms=20", "--db", f->db),
                   ==, 0);
  r = get_run (f, 1);
  g_assert_cmpstr (r->backend, ==, "serial");
  plab_run_record_free (r);
  g_assert_true (isnan (result_member (f, 1, "saved_percent", NULL)));
  g_assert_cmpfloat (result_member (f, 1, "for_loop_s", NULL), >, 0);
  /* The processes run's for loop is the serial run's, to the digit. */
  g_assert_cmpfloat (result_member (f, 2, "for_loop_s", NULL), ==,
                     result_member (f, 1, "for_loop_s", NULL));
  result_member (f, 2, "for_loop_from", &from2);
  g_assert_cmpstr (from2, ==, "sweep");
  g_assert_false (isnan (result_member (f, 2, "saved_percent", NULL)));
  g_assert_cmpfloat (result_member (f, 2, "classic_saved_percent", NULL), ==, 44.4);

  /* Alone, a processes run measures its own for loop first. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_plab (f, &out, &err, "run", "chef", "-b", "processes", "--set", "unit_ms=20",
                             "--db", f->db),
                   ==, 0);
  g_assert_cmpfloat (result_member (f, 3, "for_loop_s", NULL), >, 0);
  result_member (f, 3, "for_loop_from", &from3);
  g_assert_cmpstr (from3, ==, "this run");
  r = get_run (f, 3);
  g_assert_nonnull (strstr (r->result_json, "the for loop was measured in this run, just before"));
  plab_run_record_free (r);
  g_assert_cmpint (run_plab (f, &show, &serr, "show", "3", "--db", f->db), ==, 0);
  g_assert_nonnull (strstr (show, "saved against the for loop (measured): "));
  g_assert_nonnull (strstr (show, "saved, the text's figure: 44.4%"));
  g_assert_null (strstr (show, "sum of the tasks"));
}

/* A run beside a busy loop on every usable CPU warns in plab run and plab
 * show, and its load is stored as busy. */
static void
test_busy_run_warns (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *show = NULL, *serr = NULL;
  GArray *hogs = start_hogs ();
  PlabRunRecord *r;
  int rc = run_plab (f, &out, &err, "run", "chef", "--db", f->db);

  stop_hogs (hogs);
  g_assert_cmpint (rc, ==, 0);
  g_assert_nonnull (strstr (out, "warning: other programs used"));
  g_assert_cmpint (run_plab (f, &show, &serr, "show", "last", "--db", f->db), ==, 0);
  g_assert_nonnull (strstr (show, "WARNING     other programs used"));
  g_assert_nonnull (strstr (show, "times may be longer than on a quiet machine"));
  r = get_run (f, 1);
  g_assert_true (r->load.measured);
  g_assert_cmpint (r->load.cpus, >=, 1);
  g_assert_cmpfloat (r->load.others_share, >, PLAB_BUSY_OTHERS_SHARE);
  g_assert_true (plab_machine_load_is_busy (&r->load));
  plab_run_record_free (r);
}

/* The demos' CPU work is a fixed amount: calibrated on the first run against
 * CPU time and kept in the store, so a run beside a busy loop on every CPU
 * spends at least the CPU time it was asked for (it takes longer on the
 * wall clock instead), and a later run reuses the kept calibration. */
static void
test_cpu_work_kept (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  /* chef's busy tasks: 5 + 3 + 4 + 2 units of 20 ms. */
  const double asked_s = 14 * 0.020;
  PlabCalibration first = { 0 }, second = { 0 };
  PlabStore *store = NULL;
  GArray *hogs;
  int rc;

  g_assert_cmpint (run_plab (f, &out, &err, "run", "chef", "-b", "serial", "--set", "unit_ms=20",
                             "--db", f->db),
                   ==, 0);
  g_assert_cmpint (plab_store_open (f->db, PLAB_STORE_READ_WRITE, &store), ==, 0);
  g_assert_cmpint (plab_store_get_calibration (store, "spin_rate", &first), ==, 0);
  plab_store_close (store);
  g_assert_cmpfloat (first.value, >, 0);
  g_assert_cmpint (first.cpu_ns, >, 0);

  hogs = start_hogs ();
  rc = run_plab (f, &out2, &err2, "run", "chef", "-b", "serial", "--set", "unit_ms=20", "--db",
                 f->db);
  stop_hogs (hogs);
  g_assert_cmpint (rc, ==, 0);
  /* The work did not shrink with the load; its CPU time is what was asked
   * (less a margin for clock granularity, never half of it). */
  g_assert_cmpfloat (result_member (f, 2, "cpu_s", NULL), >=, 0.8 * asked_s);
  g_assert_cmpint (plab_store_open (f->db, PLAB_STORE_READ_WRITE, &store), ==, 0);
  g_assert_cmpint (plab_store_get_calibration (store, "spin_rate", &second), ==, 0);
  plab_store_close (store);
  /* A busy machine never lowers the kept rate. */
  g_assert_cmpfloat (second.value, >=, first.value);
}

/* A run with no load started beside it does not warn: its own workers are
 * not other programs. The test measures the other programs itself around
 * the run (the runner is its child, so its CPU time is the test's own);
 * when they already use the CPUs (the suite beside a busy loop per core),
 * a quiet run cannot be had and the assertion is skipped. */
static void
test_quiet_run_does_not_warn (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *show = NULL, *serr = NULL;
  PlabMachineLoadProbe probe;
  PlabMachineLoad around;
  PlabRunRecord *r;
  int rc;

  plab_machine_load_begin (&probe);
  rc = run_plab (f, &out, &err, "run", "chef", "--db", f->db);
  plab_machine_load_end (&probe, &around);
  g_assert_cmpint (rc, ==, 0);
  r = get_run (f, 1);
  g_assert_true (r->load.measured);
  if (!around.measured || around.others_share > PLAB_BUSY_OTHERS_SHARE / 2)
    {
      g_autofree char *why = g_strdup_printf ("other programs already used %.0f%% of the CPUs "
                                              "around the run: no quiet run to check",
                                              around.others_share * 100);
      plab_run_record_free (r);
      g_test_skip (why);
      return;
    }
  g_assert_false (plab_machine_load_is_busy (&r->load));
  g_assert_null (strstr (out, "warning:"));
  g_assert_cmpint (run_plab (f, &show, &serr, "show", "last", "--db", f->db), ==, 0);
  g_assert_null (strstr (show, "WARNING"));
  g_assert_nonnull (strstr (show, "quiet: other programs used"));
  plab_run_record_free (r);
}

int
main (int argc, char **argv)
{
  const char *build = g_getenv ("PLAB_BUILD_DIR");

  g_test_init (&argc, &argv, NULL);
  if (build == NULL)
    {
      g_printerr ("PLAB_BUILD_DIR is not set (run with meson test)\n");
      return 77;
    }
  plab_path = g_build_filename (build, "app", "plab", NULL);

#define ADD(path, func)                                                                            \
  g_test_add (path, Fixture, NULL, tmp_test_fixture_setup, func, tmp_test_fixture_teardown)
  ADD ("/plab/cli/help", test_help);
  ADD ("/plab/cli/chef-measured-baseline", test_chef_measured_baseline);
  ADD ("/plab/cli/cpu-work-kept", test_cpu_work_kept);
  ADD ("/plab/cli/list", test_list);
  ADD ("/plab/cli/bad-input", test_bad_input);
  ADD ("/plab/cli/store-unusable", test_store_unusable);
  ADD ("/plab/cli/hostile-text-json", test_hostile_text_json);
  ADD ("/plab/cli/trace-extreme-times", test_trace_extreme_times);
  ADD ("/plab/cli/run-processes", test_run_processes);
  ADD ("/plab/cli/crash", test_run_crash);
  ADD ("/plab/cli/export", test_export);
  ADD ("/plab/cli/export-targets", test_export_targets);
  ADD ("/plab/cli/sweep", test_sweep);
  ADD ("/plab/cli/sweep-without-worker-axis", test_sweep_without_worker_axis);
  ADD ("/plab/cli/demo-workers", test_demo_workers);
  g_test_add ("/plab/cli/per-task-workers/sleepers", Fixture, sleepers_case, tmp_test_fixture_setup,
              test_per_task_workers, tmp_test_fixture_teardown);
  g_test_add ("/plab/cli/per-task-workers/chef", Fixture, chef_case, tmp_test_fixture_setup,
              test_per_task_workers, tmp_test_fixture_teardown);
  ADD ("/plab/cli/export-charts", test_export_charts);
  ADD ("/plab/cli/timeline-edges", test_timeline_edges);
  ADD ("/plab/cli/progress", test_progress_stream);
  ADD ("/plab/cli/core-wait", test_core_wait);
  ADD ("/plab/cli/progress-slow-reader", test_progress_slow_reader);
  ADD ("/plab/cli/sigint", test_sigint);
  ADD ("/plab/cli/busy-run-warns", test_busy_run_warns);
  ADD ("/plab/cli/quiet-run-does-not-warn", test_quiet_run_does_not_warn);
#undef ADD

  return g_test_run ();
}
