/* test-cli.c: the plab command line, run as a program on temporary run stores.
 *
 * Every test runs the built binary ($PLAB_BUILD_DIR/app/plab) with
 * XDG_DATA_HOME pointing into a temporary folder, so no test touches the
 * user's own runs. JSON output is checked with python3's json module, and the
 * run store is read back with the core library: the facts asserted are those
 * the files really hold.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

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

  /* No command and no display: the help. */
  g_assert_cmpint (run_plab_argv (f, (const char *const[]){ NULL }, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "Usage: plab"));
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

  g_assert_cmpint (run_plab (f, &out, &err, "run", "squares", "-j", "2", "-b", "processes", "--db",
                             f->db, "--set", "n=20000", "--set", "work=100", "--json"),
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
                             f->db, "--set", "n=3000", "--set", "crash_item=7", "--json"),
                   ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_plab (f, &out, &err, "export", "last", "--db", f->db, "--format", "trace",
                             "-o", trace),
                   ==, 0);
  g_assert_true (g_file_get_contents (trace, &text, NULL, NULL));
  checked
      = python_check (f, text,
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
                      "    while stack and stack[-1]<=s: stack.pop()\n"
                      "    assert not stack or t<=stack[-1], ('partial overlap',s,t,stack[-1])\n"
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
}

static void
test_progress_stream (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *checked = NULL;

  g_assert_cmpint (run_plab (f, &out, &err, "run", "squares", "-j", "2", "-b", "threads", "--db",
                             f->db, "--set", "n=3000", "--progress"),
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
  ADD ("/plab/cli/export-charts", test_export_charts);
  ADD ("/plab/cli/progress", test_progress_stream);
  ADD ("/plab/cli/sigint", test_sigint);
  ADD ("/plab/cli/busy-run-warns", test_busy_run_warns);
  ADD ("/plab/cli/quiet-run-does-not-warn", test_quiet_run_does_not_warn);
#undef ADD

  return g_test_run ();
}
