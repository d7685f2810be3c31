/* test-widget-history.c: the history list reading a real run store. */
#include <glib/gstdio.h>

#include "gui-test-util.h"
#include "plab-history-list.h"
#include "tmp-test-util.h"

typedef struct
{
  char *dir;
  char *path;
  PlabStore *store;
  PlabHistoryList *list;
} Fixture;

static gint64
add_run (Fixture *f,
         const char *demo,
         const char *backend,
         int workers,
         PlabRunStatus status,
         gint64 wall_ns)
{
  PlabRunSpec spec = {
    .demo = demo, .backend = backend, .workers = workers, .params_json = "{\"n\": 10}", .seed = 1
  };
  PlabRunOutcome outcome = { .status = status,
                             .wall_ns = wall_ns,
                             .cpu_ns = wall_ns,
                             .check_ok = status == PLAB_RUN_OK,
                             .check_message = "checked",
                             .error = status == PLAB_RUN_FAILED ? "it broke" : NULL };
  int64_t id;

  g_assert_cmpint (plab_store_begin_run (f->store, &spec, &id), ==, 0);
  if (status != PLAB_RUN_RUNNING)
    g_assert_cmpint (plab_store_finish_run (f->store, id, &outcome), ==, 0);
  return id;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = tmp_test_dir_new ("plab-history-XXXXXX", &f->path);
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_WRITE, &f->store), ==, 0);
  f->list = g_object_ref_sink (PLAB_HISTORY_LIST (plab_history_list_new ()));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->list);
  plab_store_close (f->store);
  tmp_test_dir_free (f->dir, f->path);
}

static void
test_lists_newest_first (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gint64 a = add_run (f, "squares", "serial", 1, PLAB_RUN_OK, 412000000);
  gint64 b = add_run (f, "squares", "processes", 2, PLAB_RUN_CANCELLED, 1000000);
  gint64 c = add_run (f, "kde", "threads", 4, PLAB_RUN_FAILED, 5000);
  const PlabRunRecord *r;
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;

  g_assert_cmpuint (plab_history_list_get_n_runs (f->list), ==, 0);
  g_assert_true (plab_history_list_reload (f->list, f->store, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (plab_history_list_get_n_runs (f->list), ==, 3);

  g_assert_cmpint (plab_history_list_get_run (f->list, 0)->id, ==, c);
  g_assert_cmpint (plab_history_list_get_run (f->list, 1)->id, ==, b);
  g_assert_cmpint (plab_history_list_get_run (f->list, 2)->id, ==, a);
  g_assert_null (plab_history_list_get_run (f->list, 3));

  r = plab_history_list_get_run (f->list, 2);
  title = plab_history_list_format_title (r);
  subtitle = plab_history_list_format_subtitle (r);
  g_assert_cmpstr (title, ==, "squares · serial × 1");
  g_assert_nonnull (strstr (subtitle, "412.0 ms"));
  g_assert_nonnull (strstr (subtitle, "ok"));
  g_assert_nonnull (strstr (subtitle, "today"));

  g_free (subtitle);
  subtitle = plab_history_list_format_subtitle (plab_history_list_get_run (f->list, 1));
  g_assert_nonnull (strstr (subtitle, "cancelled"));
  g_free (subtitle);
  subtitle = plab_history_list_format_subtitle (plab_history_list_get_run (f->list, 0));
  g_assert_nonnull (strstr (subtitle, "failed"));
}

static void
selection_cb (PlabHistoryList *list, int *count)
{
  (*count)++;
}

static void
test_selection_survives_reload (Fixture *f, gconstpointer data)
{
  gint64 a = add_run (f, "squares", "threads", 2, PLAB_RUN_OK, 1000000);
  gint64 b = add_run (f, "squares", "processes", 2, PLAB_RUN_OK, 2000000);
  gint64 ids[4];
  int signals = 0;

  g_assert_true (plab_history_list_reload (f->list, f->store, NULL));
  g_signal_connect (f->list, "selection-changed", G_CALLBACK (selection_cb), &signals);

  g_assert_true (plab_history_list_select_run (f->list, a, FALSE));
  g_assert_cmpuint (plab_history_list_get_selected (f->list, ids, 4), ==, 1);
  g_assert_cmpint (ids[0], ==, a);
  g_assert_true (plab_history_list_select_run (f->list, b, TRUE));
  g_assert_cmpuint (plab_history_list_get_selected (f->list, ids, 4), ==, 2);
  g_assert_cmpint (ids[0], ==, b);
  g_assert_cmpint (ids[1], ==, a);
  g_assert_cmpint (signals, >=, 2);
  g_assert_false (plab_history_list_select_run (f->list, 999, FALSE));

  /* A new run arrives: the list grows, the two selected stay selected, and
   * the reload itself announces nothing. */
  signals = 0;
  add_run (f, "squares", "gil", 2, PLAB_RUN_OK, 3000000);
  g_assert_true (plab_history_list_reload (f->list, f->store, NULL));
  g_assert_cmpuint (plab_history_list_get_n_runs (f->list), ==, 3);
  g_assert_cmpuint (plab_history_list_get_selected (f->list, ids, 4), ==, 2);
  g_assert_cmpint (ids[0], ==, b);
  g_assert_cmpint (ids[1], ==, a);
  g_assert_cmpint (signals, ==, 0);

  /* Selecting one alone drops the other. */
  plab_history_list_select_run (f->list, a, FALSE);
  g_assert_cmpuint (plab_history_list_get_selected (f->list, ids, 4), ==, 1);

  g_assert_true (plab_history_list_reload (f->list, NULL, NULL));
  g_assert_cmpuint (plab_history_list_get_n_runs (f->list), ==, 0);
}

static void
test_reads_a_live_store (Fixture *f, gconstpointer data)
{
  PlabStore *reader = NULL;
  gint64 id;

  /* The window reads with its own read-only connection while the runner
   * writes: a run still going is listed as running. */
  g_assert_cmpint (plab_store_open (f->path, PLAB_STORE_READ_ONLY, &reader), ==, 0);
  id = add_run (f, "squares", "threads", 2, PLAB_RUN_RUNNING, 0);
  g_assert_true (plab_history_list_reload (f->list, reader, NULL));
  g_assert_cmpuint (plab_history_list_get_n_runs (f->list), ==, 1);
  g_assert_cmpint (plab_history_list_get_run (f->list, 0)->id, ==, id);
  g_assert_cmpint (plab_history_list_get_run (f->list, 0)->status, ==, PLAB_RUN_RUNNING);
  plab_store_close (reader);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gui_test_init ();

#define ADD(path, func) gui_test_add (path, Fixture, fixture_setup, func, fixture_teardown)

  ADD ("/plab/widget/history/lists-newest-first", test_lists_newest_first);
  ADD ("/plab/widget/history/selection-survives-reload", test_selection_survives_reload);
  ADD ("/plab/widget/history/reads-a-live-store", test_reads_a_live_store);
#undef ADD

  return g_test_run ();
}
