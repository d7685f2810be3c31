/* test-chart-look.c: the "theme" and "placeholder" properties both chart
 * views take from their look (plab-chart-look.c), read and written through
 * GObject as a .ui file or a binding would, and the timeline view's own
 * "zoomed" next to them. */
#include "gui-test-util.h"
#include "plab-chart-view.h"
#include "plab-timeline-view.h"

static void
count_notify_cb (GObject *object, GParamSpec *pspec, int *count)
{
  (*count)++;
}

/* Sets and reads back the look's properties of @view by name. */
static void
check_look_properties (GtkWidget *view)
{
  g_autofree char *placeholder = NULL;
  int theme = -1, notified = 0;

  g_object_ref_sink (view);
  g_signal_connect (view, "notify::theme", G_CALLBACK (count_notify_cb), &notified);

  g_object_get (view, "theme", &theme, NULL);
  g_assert_cmpint (theme, ==, PLAB_THEME_LIGHT);
  g_object_set (view, "theme", PLAB_THEME_PROJECTOR, NULL);
  g_object_get (view, "theme", &theme, NULL);
  g_assert_cmpint (theme, ==, PLAB_THEME_PROJECTOR);
  g_assert_cmpint (notified, ==, 1);
  /* Setting the same value again notifies nothing. */
  g_object_set (view, "theme", PLAB_THEME_PROJECTOR, NULL);
  g_assert_cmpint (notified, ==, 1);

  g_object_set (view, "placeholder", "Press Run", NULL);
  g_object_get (view, "placeholder", &placeholder, NULL);
  g_assert_cmpstr (placeholder, ==, "Press Run");
  g_object_unref (view);
}

static void
test_chart_view (void)
{
  check_look_properties (plab_chart_view_new ());
}

static void
test_timeline_view (void)
{
  GtkWidget *view = plab_timeline_view_new ();
  gboolean zoomed = TRUE;

  g_object_ref_sink (view);
  g_object_get (view, "zoomed", &zoomed, NULL);
  g_assert_false (zoomed);
  g_assert_nonnull (g_object_class_find_property (G_OBJECT_GET_CLASS (view), "theme"));
  check_look_properties (g_object_ref (view));
  g_object_unref (view);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gui_test_init ();
  gui_test_add_func ("/plab/widget/chart-look/chart-view", test_chart_view);
  gui_test_add_func ("/plab/widget/chart-look/timeline-view", test_timeline_view);
  return g_test_run ();
}
