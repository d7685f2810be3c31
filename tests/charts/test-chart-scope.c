/* test-chart-scope.c: which runs the Execution time and Speedup charts of a
 * run hold, and how their titles name them (plab-chart-data.c).
 *
 * A run of a sweep is charted with its whole sweep, every backend of it,
 * under a title that names the sweep; a plain run (in no sweep) with its own
 * configuration only, under a title that says so, however many other runs of
 * the demo, of other backends or worker counts, the store holds.
 */
#include <glib.h>
#include <string.h>

#include "plab-chart-data.h"
#include "plab-store.h"
#include "tmp-test-util.h"

#define SWEEP_LABEL "squares: serial, threads ×1,2 · 2 repeats · 10:42"

typedef struct
{
  char *dir;
  char *db;
  PlabStore *store;
  int64_t sweep;
  int64_t sweep_run;
  int64_t plain_run;
} Fixture;

static int64_t
add_run (Fixture *fx, int64_t sweep, const char *backend, int workers, int64_t wall_ns)
{
  PlabRunSpec spec = { .demo = "squares",
                       .backend = backend,
                       .workers = workers,
                       .params_json = "{\"n\": 64}",
                       .seed = 1,
                       .sweep_id = sweep };
  PlabRunOutcome outcome = { .status = PLAB_RUN_OK, .wall_ns = wall_ns, .cpu_ns = wall_ns };
  int64_t id = 0;

  g_assert_cmpint (plab_store_begin_run (fx->store, &spec, &id), ==, 0);
  g_assert_cmpint (plab_store_finish_run (fx->store, id, &outcome), ==, 0);
  return id;
}

static void
fixture_set_up (Fixture *fx, gconstpointer user_data)
{
  fx->dir = tmp_test_dir_new ("plab-chart-scope-XXXXXX", &fx->db);
  g_assert_cmpint (plab_store_open (fx->db, PLAB_STORE_READ_WRITE, &fx->store), ==, 0);
  /* Plain runs of every kind before and after the sweep. */
  add_run (fx, 0, "processes", 2, 300000000);
  add_run (fx, 0, "threads", 2, 500000000);
  g_assert_cmpint (plab_store_new_sweep (fx->store, "squares", SWEEP_LABEL, &fx->sweep), ==, 0);
  for (int r = 0; r < 2; r++)
    {
      add_run (fx, fx->sweep, "serial", 1, 1000000000);
      add_run (fx, fx->sweep, "threads", 1, 1100000000);
      fx->sweep_run = add_run (fx, fx->sweep, "threads", 2, 600000000);
    }
  add_run (fx, 0, "gil", 2, 900000000);
  add_run (fx, 0, "threads", 2, 550000000);
  fx->plain_run = add_run (fx, 0, "threads", 2, 520000000);
  add_run (fx, 0, "serial", 1, 1000000000);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer user_data)
{
  plab_store_close (fx->store);
  tmp_test_dir_free (fx->dir, fx->db);
}

static gboolean
has_point (const PlabChartData *chart, const char *backend, int workers)
{
  for (size_t i = 0; i < chart->n_points; i++)
    if (!strcmp (chart->points[i].backend, backend) && chart->points[i].workers == workers)
      return TRUE;
  return FALSE;
}

/* The store gives every run of a sweep the sweep's name, and none to others. */
static void
test_sweep_label (Fixture *fx, gconstpointer data)
{
  PlabRunRecord *run = NULL;

  g_assert_cmpint (plab_store_get_run (fx->store, fx->sweep_run, &run), ==, 0);
  g_assert_cmpstr (run->sweep_label, ==, SWEEP_LABEL);
  plab_run_record_free (run);
  g_assert_cmpint (plab_store_get_run (fx->store, fx->plain_run, &run), ==, 0);
  g_assert_null (run->sweep_label);
  plab_run_record_free (run);
}

static void
test_sweep_run (Fixture *fx, gconstpointer data)
{
  PlabChartData *chart = NULL;
  char err[256];

  g_assert_cmpint (plab_chart_data_load (fx->store,
                                         &(PlabChartRequest){ .run_id = fx->sweep_run,
                                                              .what = PLAB_CHART_LOAD_GROUP },
                                         &chart, err, sizeof err),
                   ==, 0);
  g_test_message ("%s | %s", chart->time_title, chart->speedup_title);
  /* The sweep's three configurations, both backends, nothing from outside. */
  g_assert_cmpuint (chart->n_points, ==, 3);
  g_assert_true (has_point (chart, "serial", 1));
  g_assert_true (has_point (chart, "threads", 1));
  g_assert_true (has_point (chart, "threads", 2));
  g_assert_false (has_point (chart, "processes", 2));
  g_assert_false (has_point (chart, "gil", 2));
  g_assert_cmpint (chart->n_group_runs, ==, 6);
  g_assert_nonnull (strstr (chart->time_title, "sweep"));
  g_assert_nonnull (strstr (chart->time_title, SWEEP_LABEL));
  g_assert_nonnull (strstr (chart->speedup_title, SWEEP_LABEL));
  plab_chart_data_free (chart);

  /* Loading the sweep itself says the same. */
  g_assert_cmpint (plab_chart_data_load (fx->store,
                                         &(PlabChartRequest){ .sweep_id = fx->sweep,
                                                              .what = PLAB_CHART_LOAD_GROUP },
                                         &chart, err, sizeof err),
                   ==, 0);
  g_assert_cmpuint (chart->n_points, ==, 3);
  g_assert_nonnull (strstr (chart->time_title, SWEEP_LABEL));
  plab_chart_data_free (chart);
}

static void
test_plain_run (Fixture *fx, gconstpointer data)
{
  PlabChartData *chart = NULL;
  char err[256];

  g_assert_cmpint (plab_chart_data_load (fx->store,
                                         &(PlabChartRequest){ .run_id = fx->plain_run,
                                                              .what = PLAB_CHART_LOAD_GROUP },
                                         &chart, err, sizeof err),
                   ==, 0);
  g_test_message ("%s | %s", chart->time_title, chart->speedup_title);
  /* threads × 2 only: the three plain runs of it, not the sweep's. */
  g_assert_cmpuint (chart->n_points, ==, 1);
  g_assert_true (has_point (chart, "threads", 2));
  g_assert_cmpint (chart->n_group_runs, ==, 3);
  g_assert_cmpint (chart->points[0].n_repeats, ==, 3);
  g_assert_nonnull (strstr (chart->time_title, "threads × 2"));
  g_assert_nonnull (strstr (chart->time_title, "no sweep"));
  g_assert_null (strstr (chart->time_title, SWEEP_LABEL));
  plab_chart_data_free (chart);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/plab/chart/scope/sweep-label", test_sweep_label);
  ADD ("/plab/chart/scope/sweep-run", test_sweep_run);
  ADD ("/plab/chart/scope/plain-run", test_plain_run);
#undef ADD
  return g_test_run ();
}
