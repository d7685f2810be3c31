/* test-gui-exercises.c: the window's Exercises page, on a real X server.
 *
 *   check    the page opens on an exercise started in a folder of the test's
 *            own; Check on the untouched skeleton gives its verdict and a
 *            hint, Check on the reference solution passes, and both the
 *            student's timeline and the reference's show, on one time scale
 *
 *   check-before-start  Check with no folder typed asks for one; Check on a
 *            folder with nothing in it yet, and Start on one started
 *            already, point at the page's Start and Check buttons, not at
 *            the command line's `plab exercise`
 *
 * With PLAB_SCREENSHOT_DIR set, the window is also saved there as PNG after
 * each check, at PLAB_SCREENSHOT_SIZE (WIDTHxHEIGHT, default 1280x720): the
 * screenshots of docs/exercises.md.
 */
#include <glib/gstdio.h>

#include "gui-test-util.h"
#include "tmp-test-util.h"
#include "app-test-util.h"
#include "plab-application.h"
#include "plab-exercise.h"
#include "plab-window-private.h"

/* Only against hangs: a check builds two programs and runs them. */
#define CHECK_TIMEOUT_MS 180000

typedef AppTestFixture Fixture;

static void
window_size (int *width, int *height)
{
  const char *size = g_getenv ("PLAB_SCREENSHOT_SIZE");

  *width = 1280;
  *height = 720;
  if (size != NULL)
    sscanf (size, "%dx%d", width, height);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  int width, height;

  app_test_fixture_setup (f, data);
  window_size (&width, &height);
  f->window = app_test_open_window (f->tmp.db, width, height, &f->app);
  gtk_window_present (GTK_WINDOW (f->window));
  gui_test_spin (300);
}

static gboolean
check_done_cond (gpointer data)
{
  return !plab_exercise_page_get_checking (data);
}

static void
screenshot (PlabWindow *window, const char *name)
{
  const char *dir = g_getenv ("PLAB_SCREENSHOT_DIR");
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *file = NULL, *path = NULL;
  int width, height;

  if (dir == NULL)
    return;
  window_size (&width, &height);
  gui_test_spin (500);
  texture = gui_test_render (GTK_WIDGET (window));
  file = g_strdup_printf ("%s-%dx%d.png", name, width, height);
  path = g_build_filename (dir, file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

/* Presses Check and waits for the verdict. */
static const char *
check (PlabExercisePage *page)
{
  g_assert_true (plab_exercise_page_check (page));
  g_assert_true (gui_test_wait (check_done_cond, page, CHECK_TIMEOUT_MS));
  return plab_exercise_page_get_verdict (page);
}

static void
test_check (Fixture *f, gconstpointer data)
{
  g_autoptr (PlabExerciseInfo) info = plab_exercise_find ("pool-map", NULL);
  g_autofree char *folder = g_build_filename (f->tmp.dir, "pool-map", NULL);
  g_autofree char *file = g_build_filename (folder, "pool-map.c", NULL);
  g_autofree char *text = NULL;
  PlabExercisePage *page;
  PlabTimelineView *mine, *theirs;
  PlabTimeWindow wa, wb;
  const char *verdict;

  g_assert_nonnull (info);
  g_assert_true (plab_exercise_start (info, folder, NULL));

  /* The page takes the window's place and opens on the exercise. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.exercises", NULL);
  page = PLAB_EXERCISE_PAGE (f->window->exercise_page);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (page)));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->window->toast_overlay)));
  g_assert_true (plab_exercise_page_select (page, "pool-map"));
  plab_exercise_page_set_folder (page, folder);

  /* The untouched skeleton: not yet, with the exercise's message and a hint. */
  verdict = check (page);
  g_assert_cmpstr (verdict, ==, "serial");
  g_assert_nonnull (strstr (plab_exercise_page_get_message (page), "did you use the pool"));
  screenshot (f->window, "exercise-skeleton");

  /* The reference solution passes, and both timelines show. */
  text = plab_exercise_source (info, PLAB_EXERCISE_REFERENCE, NULL);
  g_assert_nonnull (text);
  g_assert_true (g_file_set_contents (file, text, -1, NULL));
  verdict = check (page);
  g_assert_cmpstr (verdict, ==, "passed");
  mine = plab_exercise_page_get_timeline (page, FALSE);
  theirs = plab_exercise_page_get_timeline (page, TRUE);
  g_assert_nonnull (plab_timeline_view_get_data (mine));
  g_assert_nonnull (plab_timeline_view_get_data (theirs));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (mine)));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (theirs)));
  /* One time scale: both show the same span of time. */
  gui_test_spin (300);
  wa = plab_timeline_view_get_window (mine);
  wb = plab_timeline_view_get_window (theirs);
  g_assert_cmpint (wa.end_ns - wa.start_ns, ==, wb.end_ns - wb.start_ns);
  screenshot (f->window, "exercise-passed");
}

/* The button of @page labelled @label ("_Start"). */
static GtkWidget *
find_button (GtkWidget *widget, const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_check_before_start (Fixture *f, gconstpointer data)
{
  g_autofree char *folder = g_build_filename (f->tmp.dir, "not-started", NULL);
  g_autofree char *file = g_build_filename (folder, "pool-map.c", NULL);
  PlabExercisePage *page;
  GtkWidget *start;
  const char *message;

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.exercises", NULL);
  page = PLAB_EXERCISE_PAGE (f->window->exercise_page);
  g_assert_true (plab_exercise_page_select (page, "pool-map"));

  /* No folder typed: nothing runs, and the page asks for one. */
  plab_exercise_page_set_folder (page, "  ");
  g_assert_false (plab_exercise_page_check (page));
  g_assert_nonnull (strstr (plab_exercise_page_get_message (page), "Type the folder"));

  plab_exercise_page_set_folder (page, folder);

  /* Check first: the page says to press Start, the button beside Check. */
  if (plab_exercise_page_check (page))
    g_assert_true (gui_test_wait (check_done_cond, page, CHECK_TIMEOUT_MS));
  message = plab_exercise_page_get_message (page);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "press Start"));
  g_assert_null (strstr (message, "plab exercise"));
  g_assert_null (plab_exercise_page_get_verdict (page));

  /* Start copies the file; a second Start says to press Check. */
  start = find_button (GTK_WIDGET (page), "_Start");
  g_assert_nonnull (start);
  g_signal_emit_by_name (start, "clicked");
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  g_assert_nonnull (strstr (plab_exercise_page_get_message (page), "then press Check"));
  g_signal_emit_by_name (start, "clicked");
  message = plab_exercise_page_get_message (page);
  g_assert_nonnull (strstr (message, "press Check"));
  g_assert_null (strstr (message, "plab exercise"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gui_test_init ();

  gui_test_add ("/plab/gui-exercises/check", Fixture, fixture_setup, test_check,
                app_test_fixture_teardown);
  gui_test_add ("/plab/gui-exercises/check-before-start", Fixture, fixture_setup,
                test_check_before_start, app_test_fixture_teardown);
  return g_test_run ();
}
