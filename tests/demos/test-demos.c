/* test-demos.c: the demo registry, typed parameters, and the squares demo on
 * every backend (including a worker that really segfaults). */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "plab-demo-private.h"
#include "plab-demo.h"

static void
test_registry (void)
{
  const PlabDemo *const *demos;
  size_t n = 0;

  demos = plab_demos (&n);
  g_assert_cmpuint (n, >=, 1);
  for (size_t i = 0; i < n; i++)
    {
      const PlabDemo *d = demos[i];

      g_assert_nonnull (d->name);
      g_assert_nonnull (d->title);
      g_assert_nonnull (d->summary);
      g_assert_nonnull (d->lesson);
      g_assert_nonnull (d->run);
      g_assert_cmpuint (d->n_params, <=, PLAB_DEMO_MAX_PARAMS);
      g_assert_true (d->backends & PLAB_BACKEND_BIT (d->default_backend));
      g_assert_true (plab_demo_find (d->name) == d);
      /* Every default is a value the demo accepts. */
      for (size_t p = 0; p < d->n_params; p++)
        {
          const PlabParamSpec *s = &d->params[p];

          g_assert_cmpint (plab_demo_param_index (d, s->name), ==, (int)p);
          if (s->type == PLAB_PARAM_INT || s->type == PLAB_PARAM_DOUBLE)
            {
              g_assert_cmpfloat (s->def, >=, s->min);
              g_assert_cmpfloat (s->def, <=, s->max);
            }
        }
    }
  g_assert_nonnull (plab_demo_find ("squares"));
  g_assert_null (plab_demo_find ("no-such-demo"));
  g_assert_null (plab_demo_find (NULL));
  g_assert_cmpint (plab_demo_param_index (plab_demo_find ("squares"), "nope"), ==, -1);
}

static void
test_param_parse (void)
{
  const PlabDemo *squares = plab_demo_find ("squares");
  const PlabParamSpec *n = &squares->params[plab_demo_param_index (squares, "n")];
  char err[256];
  double v = -7;

  g_assert_cmpint (plab_param_parse (n, "1234", &v, err, sizeof err), ==, 0);
  g_assert_cmpfloat (v, ==, 1234);
  g_assert_cmpint (plab_param_parse (n, "1e3", &v, err, sizeof err), ==, 0);
  g_assert_cmpfloat (v, ==, 1000);

  /* Not a number: the message names the parameter, the range and the text. */
  v = -7;
  g_assert_cmpint (plab_param_parse (n, "abc", &v, err, sizeof err), ==, PLAB_EINVAL);
  g_assert_cmpfloat (v, ==, -7);
  g_assert_nonnull (strstr (err, "n must be an integer from 1 to 10000000"));
  g_assert_nonnull (strstr (err, "'abc'"));

  /* Out of range, both ends. */
  g_assert_cmpint (plab_param_parse (n, "0", &v, err, sizeof err), ==, PLAB_ERANGE);
  g_assert_nonnull (strstr (err, "from 1 to 10000000"));
  g_assert_cmpint (plab_param_parse (n, "10000001", &v, err, sizeof err), ==, PLAB_ERANGE);
  g_assert_nonnull (strstr (err, "not 10000001"));

  /* Empty, fractional, padded, hex, nan: all refused. */
  g_assert_cmpint (plab_param_parse (n, "", &v, err, sizeof err), ==, PLAB_EINVAL);
  g_assert_nonnull (strstr (err, "n needs a value"));
  g_assert_cmpint (plab_param_parse (n, "2.5", &v, err, sizeof err), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_param_parse (n, " 5", &v, err, sizeof err), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_param_parse (n, "0x10", &v, err, sizeof err), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_param_parse (n, "nan", &v, err, sizeof err), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_param_parse (n, NULL, &v, err, sizeof err), ==, PLAB_EINVAL);
}

static void
test_param_types (void)
{
  static const char *const kernels[] = { "gaussian", "uniform", NULL };
  const PlabParamSpec b = { "verbose", PLAB_PARAM_BOOL, "", 0, 0, 1, NULL };
  const PlabParamSpec c = { "kernel", PLAB_PARAM_CHOICE, "", 0, 0, 0, kernels };
  const PlabParamSpec d = { "fraction", PLAB_PARAM_DOUBLE, "", 0.5, 0, 1, NULL };
  char err[256];
  char text[64];
  double v;

  g_assert_cmpint (plab_param_parse (&b, "true", &v, err, sizeof err), ==, 0);
  g_assert_cmpfloat (v, ==, 1);
  g_assert_cmpint (plab_param_parse (&b, "off", &v, err, sizeof err), ==, 0);
  g_assert_cmpfloat (v, ==, 0);
  g_assert_cmpint (plab_param_parse (&b, "maybe", &v, err, sizeof err), ==, PLAB_EINVAL);
  g_assert_nonnull (strstr (err, "true or false"));

  g_assert_cmpint (plab_param_parse (&c, "uniform", &v, err, sizeof err), ==, 0);
  g_assert_cmpfloat (v, ==, 1);
  plab_param_format (&c, v, text, sizeof text);
  g_assert_cmpstr (text, ==, "uniform");
  g_assert_cmpint (plab_param_parse (&c, "box", &v, err, sizeof err), ==, PLAB_EINVAL);
  g_assert_nonnull (strstr (err, "one of: gaussian, uniform"));

  g_assert_cmpint (plab_param_parse (&d, "0.25", &v, err, sizeof err), ==, 0);
  g_assert_cmpfloat (v, ==, 0.25);
  plab_param_format (&d, v, text, sizeof text);
  g_assert_cmpstr (text, ==, "0.25");
  g_assert_cmpint (plab_param_parse (&d, "1.5", &v, err, sizeof err), ==, PLAB_ERANGE);
  g_assert_nonnull (strstr (err, "a number from 0 to 1"));
}

static void
test_params_json (void)
{
  const PlabDemo *squares = plab_demo_find ("squares");
  PlabDemoRun run;
  char *json;

  plab_demo_run_init (&run, squares);
  g_assert_cmpfloat (plab_demo_run_get (&run, "n"), ==, 200000);
  g_assert_cmpfloat (plab_demo_run_get (&run, "crash_item"), ==, -1);
  g_assert_true (isnan (plab_demo_run_get (&run, "nope")));
  run.values[plab_demo_param_index (squares, "n")] = 77;
  json = plab_demo_run_params_json (&run);
  g_assert_cmpstr (json, ==,
                   "{\"n\": 77, \"chunk_size\": 0, \"work\": 2000, \"crash_item\": -1, "
                   "\"view\": \"workers\", \"item_spans\": false}");
  free (json);
}

/* Runs squares with small numbers on @backend and returns the run (caller clears). */
static int
run_squares (PlabDemoRun *run,
             PlabBackend backend,
             int workers,
             int n,
             int crash_item,
             PlabTrace *trace)
{
  const PlabDemo *squares = plab_demo_find ("squares");

  plab_demo_run_init (run, squares);
  run->backend = backend;
  run->workers = workers;
  run->trace = trace;
  run->values[plab_demo_param_index (squares, "n")] = n;
  run->values[plab_demo_param_index (squares, "work")] = 50;
  run->values[plab_demo_param_index (squares, "crash_item")] = crash_item;
  /* A span per item, so that progress counts items. */
  run->values[plab_demo_param_index (squares, "item_spans")] = 1;
  return squares->run (run);
}

static void
test_squares_backend (gconstpointer data)
{
  PlabBackend backend = GPOINTER_TO_INT (data);
  PlabTrace *trace = plab_trace_new ();
  PlabDemoRun run;
  int rc;

  rc = run_squares (&run, backend, 2, 20000, -1, trace);
  g_assert_cmpint (rc, ==, 0);
  g_assert_true (run.check_ok);
  g_assert_cmpstr (run.check_message, ==, "all 20000 squares correct");
  g_assert_nonnull (run.result_json);
  g_assert_nonnull (strstr (run.result_json, "\"correct\": 20000"));
  g_assert_nonnull (strstr (run.result_json, "\"lost\": 0"));
  /* 0^2 + ... + 19999^2 */
  g_assert_nonnull (strstr (run.result_json, "\"sum\": 2666466670000"));
  g_assert_nonnull (strstr (run.result_json, "\"figure\": {\"kind\": \"bars\""));
  g_assert_cmpint (run.tasks_total, ==, 20000);
  if (backend != PLAB_BACKEND_SERIAL)
    {
      /* The main lane and a lane per worker; the figure names workers by lane. */
      g_assert_cmpint (plab_trace_n_lanes (trace), >=, 3);
      /* Under load one worker may take every chunk, so either may be named. */
      g_assert_true (strstr (run.result_json, "\"worker 1\"") != NULL
                     || strstr (run.result_json, "\"worker 2\"") != NULL);
    }
  plab_demo_run_clear (&run);
  g_assert_null (run.result_json);
  plab_trace_free (trace);
}

static void
test_squares_crash (void)
{
  PlabTrace *trace = plab_trace_new ();
  PlabDemoRun run;
  gint64 t0 = g_get_monotonic_time ();
  int rc;

  rc = run_squares (&run, PLAB_BACKEND_PROCESSES, 2, 5000, 5, trace);
  /* The demo ran; its check fails because exactly one item was lost. */
  g_assert_cmpint (rc, ==, 0);
  g_assert_false (run.check_ok);
  g_assert_true (g_str_has_prefix (run.check_message, "4999 of 5000 correct; item 5 lost: "));
  g_assert_nonnull (strstr (run.check_message, "signal 11"));
  g_assert_nonnull (strstr (run.error, "signal 11"));
  g_assert_nonnull (strstr (run.result_json, "\"lost\": 1"));
  /* Only against a hang on the crashed item, not a speed claim. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 60 * G_USEC_PER_SEC);
  plab_demo_run_clear (&run);
  plab_trace_free (trace);
}

static void
test_squares_crash_refused (void)
{
  const PlabDemo *squares = plab_demo_find ("squares");
  PlabBackend refused[] = { PLAB_BACKEND_SERIAL, PLAB_BACKEND_THREADS, PLAB_BACKEND_GIL };
  PlabDemoRun run;
  char err[256];

  for (size_t i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      plab_demo_run_init (&run, squares);
      run.backend = refused[i];
      run.values[plab_demo_param_index (squares, "crash_item")] = 5;
      g_assert_cmpint (plab_demo_run_validate (&run, err, sizeof err), ==, PLAB_EINVAL);
      g_assert_true (g_str_has_prefix (err, "crash_item needs the processes backend"));
      /* The run function refuses it too, without crashing the test. */
      g_assert_cmpint (squares->run (&run), ==, PLAB_EINVAL);
      g_assert_true (g_str_has_prefix (run.error, "crash_item needs the processes backend"));
    }

  plab_demo_run_init (&run, squares);
  run.backend = PLAB_BACKEND_PROCESSES;
  run.values[plab_demo_param_index (squares, "n")] = 10;
  run.values[plab_demo_param_index (squares, "crash_item")] = 10;
  g_assert_cmpint (plab_demo_run_validate (&run, err, sizeof err), ==, PLAB_EINVAL);
  g_assert_nonnull (strstr (err, "crash_item must be below n (10)"));
  run.values[plab_demo_param_index (squares, "crash_item")] = 9;
  g_assert_cmpint (plab_demo_run_validate (&run, err, sizeof err), ==, 0);
}

/* The sleepers' check judges correctness, never speed: a run that took far
 * longer than the sum of the waits (a busy machine, Ctrl-Z and fg) passes,
 * and each broken property fails with its own message. */
static void
test_sleepers_check (void)
{
  /* Waits of 5, 2, 1 and 3 units of 100 ms, started together at 1 s. */
  const int64_t ms = 1000000;
  int64_t wait[4] = { 500 * ms, 200 * ms, 100 * ms, 300 * ms };
  int64_t start[4] = { 1000 * ms, 1000 * ms, 1001 * ms, 1001 * ms };
  int64_t end[4] = { 1500 * ms, 1200 * ms, 1101 * ms, 1301 * ms };
  int64_t joined[4] = { 1500 * ms, 1500 * ms, 1500 * ms, 1500 * ms };
  PlabSleepersTimes t = { 4, false, wait, start, end, joined };
  char msg[256];

  g_assert_true (_plab_sleepers_check (&t, msg, sizeof msg));
  g_assert_cmpstr (msg, ==, "all 4 sleepers slept their time and were joined in start order");

  /* Stopped for 10 s in the middle: all woke late, together far more than
   * the sum of 1.1 s. Still correct. */
  for (int i = 0; i < 4; i++)
    {
      end[i] += 10000 * ms;
      joined[i] = 11600 * ms + i;
    }
  g_assert_true (_plab_sleepers_check (&t, msg, sizeof msg));

  /* A sleeper that never woke, or woke early, fails. */
  end[2] = 0;
  g_assert_false (_plab_sleepers_check (&t, msg, sizeof msg));
  g_assert_cmpstr (msg, ==, "sleeper 3 never woke up");
  end[2] = start[2] + wait[2] - 1;
  g_assert_false (_plab_sleepers_check (&t, msg, sizeof msg));
  g_assert_cmpstr (msg, ==, "sleeper 3 woke up before its time");
  end[2] = 11101 * ms;

  /* A join that returned before its sleeper woke fails. */
  joined[3] = end[3] - 1;
  g_assert_false (_plab_sleepers_check (&t, msg, sizeof msg));
  g_assert_nonnull (strstr (msg, "join of sleeper 4 returned before"));
  joined[3] = 11600 * ms + 3;
  g_assert_true (_plab_sleepers_check (&t, msg, sizeof msg));

  /* Serial: started together is wrong; one after another is right however
   * slow. */
  t.serial = true;
  g_assert_false (_plab_sleepers_check (&t, msg, sizeof msg));
  g_assert_nonnull (strstr (msg, "serial backend sleeper 2 started before 1 woke"));
  for (int i = 0; i < 4; i++)
    {
      start[i] = (i ? end[i - 1] : 1000 * ms) + 5000 * ms;
      end[i] = start[i] + wait[i] + 3000 * ms;
      joined[i] = end[i] + 1;
    }
  g_assert_true (_plab_sleepers_check (&t, msg, sizeof msg));
}

/* kde at bandwidths its range allows but whose windows spill over the grid:
 * the estimate integrates to less than 1 there, and the run still passes
 * its check because that is the mass the grid can hold. */
static void
test_kde_wide (gconstpointer data)
{
  const char *kernel = data;
  const PlabDemo *kde = plab_demo_find ("kde");
  const double hs[] = { 2.5, 5, 10 };

  for (size_t k = 0; k < G_N_ELEMENTS (hs); k++)
    {
      PlabDemoRun run;
      const char *p;
      double integral, mass;

      plab_demo_run_init (&run, kde);
      run.backend = PLAB_BACKEND_THREADS;
      run.workers = 2;
      run.values[plab_demo_param_index (kde, "samples")] = 2000;
      run.values[plab_demo_param_index (kde, "grid")] = 1024;
      run.values[plab_demo_param_index (kde, "h")] = hs[k];
      run.values[plab_demo_param_index (kde, "kernel")] = !strcmp (kernel, "gaussian") ? 0 : 1;
      g_assert_cmpint (kde->run (&run), ==, 0);
      g_test_message ("h = %g: %s", hs[k], run.check_message);
      g_assert_true (run.check_ok);
      g_assert_nonnull (strstr (run.result_json, "\"equal_to_serial\": 64"));
      p = strstr (run.result_json, "\"integral\": ");
      g_assert_nonnull (p);
      integral = g_ascii_strtod (p + strlen ("\"integral\": "), NULL);
      p = strstr (run.result_json, "\"grid_mass\": ");
      g_assert_nonnull (p);
      mass = g_ascii_strtod (p + strlen ("\"grid_mass\": "), NULL);
      g_assert_cmpfloat_with_epsilon (integral, mass, 0.02);
      /* At h = 10 a Gaussian window puts about half its mass off the grid. */
      if (hs[k] == 10 && !strcmp (kernel, "gaussian"))
        g_assert_cmpfloat (integral, <, 0.6);
      plab_demo_run_clear (&run);
    }
}

/* Each worker of a crew counts itself in the slot of its index. */
static int
count_index_cb (PlabCrew *crew, void *arg)
{
  int *slots = arg;
  int index = _plab_crew_index (crew);

  if (index < 0 || index >= 3)
    return 1;
  slots[index]++;
  return 0;
}

/* A crew worker knows its index, the order it was started in, on every
 * backend a crew runs on; outside a worker there is none. */
static void
test_crew_index (gconstpointer data)
{
  PlabTrace *trace = plab_trace_new ();
  int *slots = _plab_demo_shared_new (3 * sizeof (int));
  PlabDemoRun run;
  PlabCrew *crew;

  plab_demo_run_init (&run, plab_demo_find ("barrier"));
  run.backend = GPOINTER_TO_INT (data);
  run.workers = 3;
  run.trace = trace;
  crew = _plab_crew_new (&run);
  g_assert_nonnull (crew);
  g_assert_cmpint (_plab_crew_index (crew), ==, -1);
  for (int i = 0; i < 3; i++)
    g_assert_cmpint (_plab_crew_startf (crew, count_index_cb, slots, "worker %d", i + 1), ==, i);
  g_assert_cmpint (_plab_crew_join (crew, NULL), ==, 0);
  g_assert_cmpint (_plab_crew_index (crew), ==, -1);
  for (int i = 0; i < 3; i++)
    g_assert_cmpint (slots[i], ==, 1);
  _plab_crew_free (crew);
  _plab_demo_shared_free (slots, 3 * sizeof (int));
  plab_demo_run_clear (&run);
  plab_trace_free (trace);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/plab/demos/registry", test_registry);
  g_test_add_func ("/plab/demos/param-parse", test_param_parse);
  g_test_add_func ("/plab/demos/param-types", test_param_types);
  g_test_add_func ("/plab/demos/params-json", test_params_json);
  for (int b = 0; b < PLAB_N_BACKENDS; b++)
    {
      g_autofree char *path = g_strdup_printf ("/plab/demos/squares/%s", plab_backend_name (b));

      g_test_add_data_func (path, GINT_TO_POINTER (b), test_squares_backend);
    }
  for (int b = 0; b < PLAB_N_BACKENDS; b++)
    {
      g_autofree char *path = g_strdup_printf ("/plab/demos/crew/index/%s", plab_backend_name (b));

      g_test_add_data_func (path, GINT_TO_POINTER (b), test_crew_index);
    }
  g_test_add_func ("/plab/demos/squares/crash-fails-one-item", test_squares_crash);
  g_test_add_func ("/plab/demos/squares/crash-refused", test_squares_crash_refused);
  g_test_add_func ("/plab/demos/sleepers/check-ignores-speed", test_sleepers_check);
  g_test_add_data_func ("/plab/demos/kde/wide-h/gaussian", "gaussian", test_kde_wide);
  g_test_add_data_func ("/plab/demos/kde/wide-h/hypercube", "hypercube", test_kde_wide);

  return g_test_run ();
}
