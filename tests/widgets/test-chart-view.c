/* test-chart-view.c: the widget that shows one chart (execution time, speedup,
 * result) on screen, drawn by the same renderer as the exports. */
#include "gui-test-util.h"
#include "plab-chart-view.h"
#include "plab-core-error.h"
#include "plab-error.h"

typedef struct
{
  GtkWidget *window;
  PlabChartView *view;
  int theme_notified;
} Fixture;

static void
theme_notify_cb (GObject *object, GParamSpec *pspec, Fixture *f)
{
  f->theme_notified++;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 800, 450);
  f->view = PLAB_CHART_VIEW (plab_chart_view_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->view));
  g_signal_connect (f->view, "notify::theme", G_CALLBACK (theme_notify_cb), f);
  gtk_window_present (GTK_WINDOW (f->window));
  gui_test_spin (100);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  gui_test_spin (20);
}

static void
test_properties_notify_once (Fixture *f, gconstpointer data)
{
  int theme = plab_chart_view_get_theme (f->view);
  int other = theme == PLAB_THEME_DARK ? PLAB_THEME_LIGHT : PLAB_THEME_DARK;

  /* A setter that changes nothing notifies nothing. */
  plab_chart_view_set_theme (f->view, theme);
  g_assert_cmpint (f->theme_notified, ==, 0);
  plab_chart_view_set_theme (f->view, other);
  g_assert_cmpint (plab_chart_view_get_theme (f->view), ==, other);
  g_assert_cmpint (f->theme_notified, ==, 1);

  plab_chart_view_set_placeholder (f->view, "Run a sweep to see times");
  g_assert_cmpstr (plab_chart_view_get_placeholder (f->view), ==, "Run a sweep to see times");
}

static void
count_free_cb (gpointer data)
{
  (*(int *)data)++;
}

static void
test_input_drawn_and_owner_freed (Fixture *f, gconstpointer data)
{
  PlabTimePoint points[2]
      = { { "serial", 1, 2e9, 1.9e9, 2.1e9, 3 }, { "processes", 2, 1.1e9, 1.0e9, 1.2e9, 3 } };
  PlabTimeChartData time = { .title = "squares", .points = points, .n_points = 2 };
  PlabChartInput input = { .kind = PLAB_CHART_TIME, .time = &time };
  g_autoptr (GdkTexture) empty = NULL;
  g_autoptr (GdkTexture) drawn = NULL;
  guint colours_empty, colours_drawn;
  double ink_empty, ink_drawn;
  int freed = 0;

  plab_chart_view_set_placeholder (f->view, "");
  gui_test_spin (50);
  empty = gui_test_render (GTK_WIDGET (f->view));
  gui_test_texture_stats (empty, &colours_empty, &ink_empty);

  plab_chart_view_set_input (f->view, &input, &freed, count_free_cb);
  /* The input is copied: what it points to is the owner's. */
  g_assert_nonnull (plab_chart_view_get_input (f->view));
  g_assert_true (plab_chart_view_get_input (f->view)->time == &time);
  gui_test_spin (50);
  drawn = gui_test_render (GTK_WIDGET (f->view));
  gui_test_texture_stats (drawn, &colours_drawn, &ink_drawn);
  /* Bars, axes and labels: more colours and more ink than an empty view. */
  g_assert_cmpuint (colours_drawn, >, colours_empty);
  g_assert_cmpfloat (ink_drawn, >, ink_empty + 0.01);

  /* Replacing the input releases what owned the previous one, once. */
  plab_chart_view_set_input (f->view, NULL, NULL, NULL);
  g_assert_cmpint (freed, ==, 1);
  g_assert_null (plab_chart_view_get_input (f->view));
}

static void
test_core_error (void)
{
  g_autoptr (GError) error = NULL;

  plab_set_core_error (&error, PLAB_ETIMEDOUT, "waiting for run %d", 3);
  /* GError codes are positive: the core code negated. */
  g_assert_error (error, PLAB_CORE_ERROR, -PLAB_ETIMEDOUT);
  g_assert_cmpstr (error->message, ==, "waiting for run 3: timed out");
  /* A NULL error is allowed, as everywhere in GLib. */
  plab_set_core_error (NULL, PLAB_ESYS, "ignored");
}

int
main (int argc, char **argv)
{
  gboolean have_display;

  g_test_init (&argc, &argv, NULL);
  have_display = gui_test_init ();
  g_test_add_func ("/plab/widget/core-error/message", test_core_error);

#define ADD(path, func)                                                                            \
  if (have_display)                                                                                \
    g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown);                       \
  else                                                                                             \
    g_test_add_data_func (path, NULL, gui_test_skip)

  ADD ("/plab/widget/chart-view/properties-notify-once", test_properties_notify_once);
  ADD ("/plab/widget/chart-view/input-drawn-and-owner-freed", test_input_drawn_and_owner_freed);
#undef ADD

  return g_test_run ();
}
