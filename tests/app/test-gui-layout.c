/* test-gui-layout.c: the window at a projector's 1280 x 720, on a real X server.
 *
 *   run-first            for every demo, Run and Sweep lie inside the window
 *                        without scrolling the setup pane
 *   presentation         in presentation mode the chart takes at least 70% of
 *                        the window's width, and no label on screen is
 *                        under 16 px
 *   chart-only           the chart-only view (F11) fills the window; Escape
 *                        leaves it without stopping anything
 *   try-this             clicking a Try this step of the lesson sets the
 *                        backend, the workers and the parameters it names
 *   welcome              an empty store shows the welcome instead of the
 *                        charts; Run replaces it at once with the timeline
 *                        saying the runner is starting
 *   tabs-during-run      Alt+3 during a run shows Speedup, and the tab bar
 *                        highlights the tab that is shown, also after a click
 *   command-line         for every demo, in both modes, the `plab run` line
 *                        under the prediction wraps only at spaces, with no
 *                        hyphen added, and fits the setup pane
 *
 * Runs are tiny; the deadlines only catch hangs.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "gui-test-util.h"
#include "tmp-test-util.h"
#include "app-test-util.h"
#include "plab-application.h"
#include "plab-window-private.h"
#include "xtest-test-util.h"

#define WIDTH 1280
#define HEIGHT 720
#define RUN_TIMEOUT_MS 60000  /* only against hangs: a busy machine may be slow */
#define SHOW_TIMEOUT_MS 20000 /* until the window has its size, or shows a run */
#define STARTING_MS 1000      /* the chart says something this soon after Run */
#define MIN_TEXT_PX 16.0
#define CSD_SLACK 24
/* The window's own size, which the checks measure against. */
#define WIN_W(f) gtk_widget_get_width (GTK_WIDGET ((f)->window))
#define WIN_H(f) gtk_widget_get_height (GTK_WIDGET ((f)->window))

typedef AppTestFixture Fixture;

/* Records a tiny run into the fixture's store with the plab program, as a
 * terminal would, before the window opens. */
static void
record_run (Fixture *f)
{
  g_autofree char *plab = app_test_runner_path ();
  const char *argv[] = { plab, "run",   "squares", "-b",   "threads", "-j",
                         "1",  "--set", "n=2000",  "--db", f->tmp.db, NULL };
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static gboolean
sized_cond (gpointer data)
{
  GtkWidget *window = data;

  /* Without a window manager the window draws its own shadow inside the
   * size it was given: a few pixels on each side. */
  return ABS (gtk_widget_get_width (window) - WIDTH) <= CSD_SLACK
         && ABS (gtk_widget_get_height (window) - HEIGHT) <= CSD_SLACK;
}

static void
open_window (Fixture *f)
{
  f->window = app_test_open_window (f->tmp.db, WIDTH, HEIGHT, &f->app);
  /* Mapped already at its own default size: mapped again, it takes this one. */
  gtk_widget_set_visible (GTK_WIDGET (f->window), FALSE);
  gtk_window_present (GTK_WINDOW (f->window));
  if (!gui_test_wait (sized_cond, f->window, SHOW_TIMEOUT_MS))
    g_error ("the window is %dx%d, not %dx%d", gtk_widget_get_width (GTK_WIDGET (f->window)),
             gtk_widget_get_height (GTK_WIDGET (f->window)), WIDTH, HEIGHT);
  gui_test_spin (200);
}

static void
fixture_setup_empty (Fixture *f, gconstpointer data)
{
  app_test_fixture_setup (f, data);
  open_window (f);
}

static gboolean
shown_cond (gpointer data)
{
  PlabWindow *window = data;

  return plab_window_get_shown_run (window) > 0 && !plab_window_is_loading (window);
}

static void
fixture_setup_with_run (Fixture *f, gconstpointer data)
{
  app_test_fixture_setup (f, data);
  record_run (f);
  open_window (f);
  g_assert_true (gui_test_wait (shown_cond, f->window, SHOW_TIMEOUT_MS));
  gui_test_spin (200);
}

/* @widget's bounds in the window's coordinates. */
static graphene_rect_t
bounds_in_window (Fixture *f, GtkWidget *widget)
{
  graphene_rect_t r;

  g_assert_true (gtk_widget_compute_bounds (widget, GTK_WIDGET (f->window), &r));
  return r;
}

static void
assert_inside_window (Fixture *f, GtkWidget *widget, const char *what, const char *demo)
{
  graphene_rect_t r = bounds_in_window (f, widget);

  if (r.origin.x < 0 || r.origin.y < 0 || r.origin.x + r.size.width > WIN_W (f)
      || r.origin.y + r.size.height > WIN_H (f) || r.size.width <= 0 || r.size.height <= 0)
    g_error ("%s of %s lies at %.0f,%.0f %.0fx%.0f, outside the %dx%d window", what, demo,
             r.origin.x, r.origin.y, r.size.width, r.size.height, WIN_W (f), WIN_H (f));
}

static void
test_run_first (Fixture *f, gconstpointer data)
{
  size_t n_demos;
  const PlabDemo *const *demos = plab_demos (&n_demos);
  GtkAdjustment *scroll
      = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (f->window->setup_pane));

  g_assert_cmpuint (n_demos, >=, 11);
  for (size_t i = 0; i < n_demos; i++)
    {
      g_assert_true (plab_window_select_demo (f->window, demos[i]->name));
      gui_test_spin (150);
      g_assert_true (f->window->demo == demos[i]);
      /* The lesson is open, and still the controls come first. */
      g_assert_true (gtk_expander_get_expanded (f->window->lesson_expander));
      g_assert_cmpfloat (gtk_adjustment_get_value (scroll), ==, 0);
      g_assert_true (gtk_widget_is_drawable (f->window->run_button));
      assert_inside_window (f, f->window->run_button, "Run", demos[i]->name);
      assert_inside_window (f, f->window->sweep_button, "Sweep", demos[i]->name);
      assert_inside_window (f, GTK_WIDGET (f->window->backend_dropdown), "Backend", demos[i]->name);
      assert_inside_window (f, GTK_WIDGET (f->window->workers_spin), "Workers", demos[i]->name);
      /* Run comes before the lesson. */
      g_assert_cmpfloat (bounds_in_window (f, f->window->run_button).origin.y, <,
                         bounds_in_window (f, GTK_WIDGET (f->window->lesson_expander)).origin.y);
    }

  /* F1 closes the lesson and opens it again. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.show-lesson", NULL);
  g_assert_false (gtk_expander_get_expanded (f->window->lesson_expander));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.show-lesson", NULL);
  g_assert_true (gtk_expander_get_expanded (f->window->lesson_expander));
}

/* The size in pixels the label's text is drawn in. */
static double
label_px (GtkWidget *label)
{
  PangoContext *context = gtk_widget_get_pango_context (label);
  const PangoFontDescription *desc = pango_context_get_font_description (context);
  double size = (double)pango_font_description_get_size (desc) / PANGO_SCALE;

  if (pango_font_description_get_size_is_absolute (desc))
    return size;
  return size * 96.0 / 72.0;
}

/* Every drawn, non-empty label under @widget, with its size, that is
 * smaller than MIN_TEXT_PX goes into @small. */
static void
collect_small_labels (GtkWidget *widget, GString *small, guint *n_labels)
{
  if (!gtk_widget_is_drawable (widget))
    return;
  if (GTK_IS_LABEL (widget))
    {
      const char *text = gtk_label_get_text (GTK_LABEL (widget));
      double px = label_px (widget);

      if (text != NULL && text[0] != '\0')
        {
          (*n_labels)++;
          if (px < MIN_TEXT_PX - 0.01)
            g_string_append_printf (small, "'%.40s' at %.1f px; ", text, px);
        }
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_small_labels (child, small, n_labels);
}

/* The window has not grown past the projector's width: a header bar or a
 * pane whose type needs more would push its right edge (the window's own
 * buttons, the chart's end) off the screen. */
static void
assert_projector_width (Fixture *f, const char *what)
{
  if (WIN_W (f) > WIDTH + CSD_SLACK)
    g_error ("in presentation mode (%s) the window grew to %d px, past %d", what, WIN_W (f), WIDTH);
}

/* The chart tab just chosen is laid out. */
static gboolean
view_shown_cond (gpointer data)
{
  Fixture *f = data;
  GtkWidget *child = gtk_stack_get_visible_child (f->window->view_stack);

  return child != NULL && gtk_widget_get_mapped (child) && gtk_widget_get_width (child) > 0;
}

static gboolean
presentation_width_cond (gpointer data)
{
  Fixture *f = data;

  return gtk_widget_get_width (GTK_WIDGET (f->window->timeline_view)) >= 0.7 * WIN_W (f);
}

static void
test_presentation (Fixture *f, gconstpointer data)
{
  g_autoptr (GString) small = g_string_new (NULL);
  guint n_labels = 0;
  size_t n_demos;
  const PlabDemo *const *demos = plab_demos (&n_demos);

  /* The check finds small type where there is some: outside presentation
   * mode, captions are smaller than 16 px. */
  collect_small_labels (GTK_WIDGET (f->window), small, &n_labels);
  g_assert_cmpuint (small->len, >, 0);
  g_string_truncate (small, 0);
  n_labels = 0;

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.presentation", NULL);
  g_assert_true (f->window->presentation);
  if (!gui_test_wait (presentation_width_cond, f, SHOW_TIMEOUT_MS))
    g_error ("in presentation mode the chart is %d px of %d",
             gtk_widget_get_width (GTK_WIDGET (f->window->timeline_view)), WIN_W (f));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (f->window->view_stack)), >=, 0.7 * WIN_W (f));
  g_assert_cmpint (plab_timeline_view_get_theme (f->window->timeline_view), ==,
                   PLAB_THEME_PROJECTOR);

  /* Run stays on screen in presentation mode too, and the chart keeps its
   * share beside every demo's controls. */
  for (size_t i = 0; i < n_demos; i++)
    {
      int chart_w;

      g_assert_true (plab_window_select_demo (f->window, demos[i]->name));
      gui_test_spin (150);
      assert_inside_window (f, f->window->run_button, "Run (presentation)", demos[i]->name);
      chart_w = gtk_widget_get_width (GTK_WIDGET (f->window->view_stack));
      g_test_message ("%s: the chart is %d px of %d", demos[i]->name, chart_w, WIN_W (f));
      assert_projector_width (f, demos[i]->name);
      if (chart_w < 0.7 * WIN_W (f))
        g_error ("beside %s in presentation mode the chart is %d px of %d", demos[i]->name, chart_w,
                 WIN_W (f));
    }
  /* Every chart tab fits too. */
  for (const char *const *view
       = (const char *const[]){ "timeline", "time", "speedup", "result", "timeline", NULL };
       *view != NULL; view++)
    {
      gtk_stack_set_visible_child_name (f->window->view_stack, *view);
      gui_test_wait (view_shown_cond, f, SHOW_TIMEOUT_MS);
      assert_projector_width (f, *view);
    }

  collect_small_labels (GTK_WIDGET (f->window), small, &n_labels);
  g_assert_cmpuint (n_labels, >, 10);
  if (small->len > 0)
    g_error ("labels under %.0f px in presentation mode: %s", MIN_TEXT_PX, small->str);

  /* Leaving it gives the width back to the setup pane. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.presentation", NULL);
  gui_test_spin (300);
  g_assert_false (f->window->presentation);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (f->window->timeline_view)), <,
                   0.7 * WIN_W (f));
}

static gboolean
chart_fills_cond (gpointer data)
{
  Fixture *f = data;
  GtkWidget *chart = GTK_WIDGET (f->window->timeline_view);

  return gtk_widget_get_width (chart) >= 0.95 * WIN_W (f)
         && gtk_widget_get_height (chart) >= 0.85 * WIN_H (f);
}

static void
test_chart_only (Fixture *f, gconstpointer data)
{
  g_auto (GStrv) f11 = gtk_application_get_actions_for_accel (GTK_APPLICATION (f->app), "F11");

  g_assert_nonnull (f11);
  g_assert_true (g_strv_contains ((const char *const *)f11, "win.chart-only"));
  if (!xtest_press_accel (xtest_window_xid (GTK_WIDGET (f->window)), "F11"))
    gtk_widget_activate_action (GTK_WIDGET (f->window), "win.chart-only", NULL);
  if (!gui_test_wait (chart_fills_cond, f, SHOW_TIMEOUT_MS))
    g_error ("chart-only: the chart is %dx%d in a %dx%d window",
             gtk_widget_get_width (GTK_WIDGET (f->window->timeline_view)),
             gtk_widget_get_height (GTK_WIDGET (f->window->timeline_view)), WIN_W (f), WIN_H (f));
  g_assert_true (f->window->chart_only);
  g_assert_false (gtk_widget_is_drawable (f->window->header_bar));
  g_assert_false (gtk_widget_is_drawable (f->window->setup_pane));
  g_assert_false (gtk_widget_is_drawable (f->window->sidebar));

  /* Escape leaves the view, and stops nothing. */
  if (!xtest_press_accel (xtest_window_xid (GTK_WIDGET (f->window)), "Escape"))
    gtk_widget_activate_action (GTK_WIDGET (f->window), "win.stop", NULL);
  gui_test_spin (300);
  g_assert_false (f->window->chart_only);
  g_assert_true (gtk_widget_is_drawable (f->window->header_bar));
  g_assert_true (gtk_widget_is_drawable (f->window->setup_pane));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (f->window->timeline_view)), <,
                   0.95 * WIN_W (f));
}

/* The @n-th Try this button of the lesson (from 0). */
static GtkWidget *
try_button (Fixture *f, int n)
{
  GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (f->window->try_box));

  for (int i = 0; i < n && child != NULL; i++)
    child = gtk_widget_get_next_sibling (child);
  g_assert_nonnull (child);
  g_assert_true (GTK_IS_BUTTON (child));
  return child;
}

static void
test_try_this (Fixture *f, gconstpointer data)
{
  size_t n_demos;
  const PlabDemo *const *demos = plab_demos (&n_demos);
  int mode;

  /* Every demo shows two or three steps. */
  for (size_t i = 0; i < n_demos; i++)
    {
      int n = 0;
      g_assert_true (plab_window_select_demo (f->window, demos[i]->name));
      gui_test_spin (50);
      for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (f->window->try_box)); c != NULL;
           c = gtk_widget_get_next_sibling (c))
        n++;
      g_assert_cmpint (n, >=, 2);
      g_assert_cmpint (n, <=, PLAB_DEMO_MAX_TRIES);
      g_assert_true (gtk_widget_get_visible (f->window->try_heading));
    }

  /* The chef: "the for loop" sets serial and one worker... */
  g_assert_true (plab_window_select_demo (f->window, "chef"));
  gui_test_spin (100);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.reset-params", NULL);
  gtk_spin_button_set_value (f->window->workers_spin, 3);
  g_signal_emit_by_name (try_button (f, 0), "clicked");
  gui_test_spin (50);
  g_assert_cmpstr (_plab_window_selected_backend (f->window), ==, "serial");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (f->window->workers_spin), ==, 1);
  g_assert_true (gtk_widget_has_focus (f->window->run_button));

  /* ...the next one processes and six workers... */
  g_signal_emit_by_name (try_button (f, 1), "clicked");
  gui_test_spin (50);
  g_assert_cmpstr (_plab_window_selected_backend (f->window), ==, "processes");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (f->window->workers_spin), ==, 6);

  /* ...and the squares' first step sets parameter values. */
  g_assert_true (plab_window_select_demo (f->window, "squares"));
  gui_test_spin (100);
  g_signal_emit_by_name (try_button (f, 0), "clicked");
  gui_test_spin (50);
  mode = plab_demo_param_index (f->window->demo, "chunk_size");
  g_assert_cmpint (mode, >=, 0);
  g_assert_cmpfloat (plab_param_editor_get_value (f->window->param_editor, (guint)mode), ==, 1);
  /* The command line the window shows says the same. */
  g_assert_nonnull (strstr (gtk_label_get_text (f->window->command_label), "chunk_size=1"));
  /* A step that is a sweep moves the focus to Sweep. */
  g_assert_true (plab_window_select_demo (f->window, "amdahl"));
  gui_test_spin (100);
  g_signal_emit_by_name (try_button (f, 0), "clicked");
  gui_test_spin (50);
  g_assert_true (gtk_widget_has_focus (f->window->sweep_button));
}

static gboolean
idle_cond (gpointer data)
{
  PlabWindow *window = data;

  return !plab_window_is_running (window) && !plab_window_is_loading (window)
         && plab_window_get_shown_run (window) > 0;
}

/* Whether the chart says something: lanes, or a placeholder. */
static gboolean
chart_speaks (Fixture *f)
{
  g_autofree char *placeholder = NULL;

  g_object_get (f->window->timeline_view, "placeholder", &placeholder, NULL);
  return placeholder != NULL && g_str_has_prefix (placeholder, "Starting the runner");
}

static void
test_welcome (Fixture *f, gconstpointer data)
{
  GtkWidget *label = NULL;
  gint64 asked;

  g_assert_true (gtk_widget_is_drawable (f->window->welcome_box));
  g_assert_false (gtk_widget_is_drawable (GTK_WIDGET (f->window->view_stack)));
  for (GtkWidget *c = gtk_widget_get_first_child (f->window->welcome_box); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_LABEL (c) && strstr (gtk_label_get_text (GTK_LABEL (c)), "Press Run") != NULL)
      label = c;
  g_assert_nonnull (label);
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (label)), "Pick a demo"));

  /* Run: the welcome goes, and within a second the chart says what happens. */
  g_assert_true (plab_window_select_demo (f->window, "squares"));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.reset-params", NULL);
  gtk_spin_button_set_value (f->window->workers_spin, 1);
  g_assert_true (plab_param_editor_get_control (f->window->param_editor, "n") != NULL);
  plab_param_editor_set_value (f->window->param_editor,
                               (guint)plab_demo_param_index (f->window->demo, "n"), 2000);
  asked = g_get_monotonic_time ();
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  g_assert_true (gui_test_wait (app_test_running_cond, f->window, RUN_TIMEOUT_MS));
  if (g_get_monotonic_time () - asked < STARTING_MS * 1000)
    g_assert_true (chart_speaks (f) || f->window->live_run_id > 0);
  g_assert_false (gtk_widget_get_visible (f->window->welcome_box));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window->view_stack)));

  g_assert_true (gui_test_wait (idle_cond, f->window, RUN_TIMEOUT_MS));
  g_assert_false (gtk_widget_get_visible (f->window->welcome_box));
  g_assert_false (chart_speaks (f));
}

/* Whether the tab bar highlights page @name, and no other; its button goes
 * to @button_out. The switcher has a button per page, in the pages' order. */
static gboolean
tab_highlighted (Fixture *f, const char *name, GtkWidget **button_out)
{
  GtkWidget *switcher = adw_header_bar_get_title_widget (ADW_HEADER_BAR (f->window->header_bar));
  g_autoptr (GtkSelectionModel) pages = gtk_stack_get_pages (f->window->view_stack);
  gboolean only = TRUE;
  guint i = 0;

  g_assert_true (GTK_IS_STACK_SWITCHER (switcher));
  *button_out = NULL;
  for (GtkWidget *b = gtk_widget_get_first_child (switcher); b != NULL;
       b = gtk_widget_get_next_sibling (b), i++)
    {
      g_autoptr (GObject) page = g_list_model_get_item (G_LIST_MODEL (pages), i);
      gboolean active = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (b));
      gboolean want = !g_strcmp0 (gtk_stack_page_get_name (GTK_STACK_PAGE (page)), name);

      if (want)
        *button_out = b;
      if (active != want)
        only = FALSE;
    }
  g_assert_cmpuint (i, ==, g_list_model_get_n_items (G_LIST_MODEL (pages)));
  return only;
}

static gboolean
stack_shows_cond (gpointer data)
{
  void **args = data;
  Fixture *f = args[0];
  GtkWidget *button;

  return !g_strcmp0 (gtk_stack_get_visible_child_name (f->window->view_stack), args[1])
         && tab_highlighted (f, args[1], &button);
}

static void
wait_shows (Fixture *f, const char *name)
{
  void *args[2] = { f, (void *)name };
  GtkWidget *button;

  if (!gui_test_wait (stack_shows_cond, args, SHOW_TIMEOUT_MS))
    g_error ("the window shows '%s' (tab '%s' highlighted: %d), not '%s'",
             gtk_stack_get_visible_child_name (f->window->view_stack), name,
             tab_highlighted (f, name, &button), name);
}

static void
test_tabs_during_run (Fixture *f, gconstpointer data)
{
  GtkWidget *button = NULL;
  guint sleepers;

  /* The sleepers wait long enough to press keys during the run. */
  g_assert_true (plab_window_select_demo (f->window, "sleepers"));
  gui_test_spin (100);
  sleepers = (guint)plab_demo_param_index (f->window->demo, "unit_ms");
  plab_param_editor_set_value (f->window->param_editor, sleepers, 600);
  gtk_spin_button_set_value (f->window->workers_spin, 4);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  g_assert_true (gui_test_wait (app_test_running_cond, f->window, RUN_TIMEOUT_MS));
  wait_shows (f, "timeline");
  /* The keys work wherever the focus is, a number field included. */
  gtk_widget_grab_focus (GTK_WIDGET (f->window->workers_spin));
  if (!xtest_press_accel (xtest_window_xid (GTK_WIDGET (f->window)), "<Alt>3"))
    gtk_widget_activate_action (GTK_WIDGET (f->window), "win.view", "s", "speedup");
  wait_shows (f, "speedup");
  g_assert_true (plab_window_is_running (f->window));

  /* A click on a tab shows that tab, highlighted. */
  tab_highlighted (f, "result", &button);
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  wait_shows (f, "result");

  if (!xtest_press_accel (xtest_window_xid (GTK_WIDGET (f->window)), "<Alt>1"))
    gtk_widget_activate_action (GTK_WIDGET (f->window), "win.view", "s", "timeline");
  wait_shows (f, "timeline");
  g_assert_true (gui_test_wait (idle_cond, f->window, RUN_TIMEOUT_MS));
}

/* The `plab run` line is copied by hand: each of its lines ends at a space
 * or where a line of the text ends, and Pango added no glyph to it (the
 * hyphen it inserts where it breaks a word). */
static void
assert_command_wraps_at_spaces (Fixture *f, const char *demo)
{
  GtkLabel *label = f->window->command_label;
  PangoLayout *layout = gtk_label_get_layout (label);
  const char *text = pango_layout_get_text (layout);
  graphene_rect_t r = bounds_in_window (f, GTK_WIDGET (label));
  graphene_rect_t pane = bounds_in_window (f, f->window->setup_pane);
  guint n_lines = 0;

  g_assert_true (g_str_has_prefix (text, "$ plab run "));
  for (GSList *l = pango_layout_get_lines_readonly (layout); l != NULL; l = l->next)
    {
      PangoLayoutLine *line = l->data;
      const char *start = text + line->start_index, *end = start + line->length;
      int glyphs = 0;

      n_lines++;
      for (GSList *run = line->runs; run != NULL; run = run->next)
        glyphs += ((PangoGlyphItem *)run->data)->glyphs->num_glyphs;
      if (glyphs != g_utf8_strlen (start, line->length))
        g_error ("%s: a hyphen was added to the command's line '%.*s'", demo, line->length, start);
      if (l->next != NULL && *end != '\n' && (line->length == 0 || end[-1] != ' '))
        g_error ("%s: the command breaks inside a word after '%.*s'", demo, line->length, start);
    }
  /* The checks above saw a wrapped command. */
  g_assert_cmpuint (n_lines, >, 1);
  if (r.origin.x + r.size.width > pane.origin.x + pane.size.width + 0.5)
    g_error ("%s: the command is %.0f px wide, past the setup pane's right edge", demo,
             r.size.width);
}

/* The command label's layout holds its current text, wrapped. */
static gboolean
command_laid_out_cond (gpointer data)
{
  Fixture *f = data;
  GtkLabel *label = f->window->command_label;
  PangoLayout *layout = gtk_label_get_layout (label);

  return gtk_widget_get_width (GTK_WIDGET (label)) > 0
         && g_strcmp0 (pango_layout_get_text (layout), gtk_label_get_text (label)) == 0
         && pango_layout_get_line_count (layout) > 1;
}

static void
test_command_line (Fixture *f, gconstpointer data)
{
  size_t n_demos;
  const PlabDemo *const *demos = plab_demos (&n_demos);

  for (int presentation = 0; presentation < 2; presentation++)
    {
      if (presentation)
        {
          gtk_widget_activate_action (GTK_WIDGET (f->window), "win.presentation", NULL);
          g_assert_true (f->window->presentation);
        }
      for (size_t i = 0; i < n_demos; i++)
        {
          g_assert_true (plab_window_select_demo (f->window, demos[i]->name));
          /* Until the label is laid out again for this demo (bounded only
           * against a hang: a wrong layout then fails below). */
          gui_test_wait (command_laid_out_cond, f, SHOW_TIMEOUT_MS);
          assert_command_wraps_at_spaces (f, demos[i]->name);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gui_test_init ();

  gui_test_add ("/plab/gui-layout/run-first", Fixture, fixture_setup_empty, test_run_first,
                app_test_fixture_teardown);
  gui_test_add ("/plab/gui-layout/presentation", Fixture, fixture_setup_with_run, test_presentation,
                app_test_fixture_teardown);
  gui_test_add ("/plab/gui-layout/chart-only", Fixture, fixture_setup_with_run, test_chart_only,
                app_test_fixture_teardown);
  gui_test_add ("/plab/gui-layout/try-this", Fixture, fixture_setup_empty, test_try_this,
                app_test_fixture_teardown);
  gui_test_add ("/plab/gui-layout/welcome", Fixture, fixture_setup_empty, test_welcome,
                app_test_fixture_teardown);
  gui_test_add ("/plab/gui-layout/tabs-during-run", Fixture, fixture_setup_with_run,
                test_tabs_during_run, app_test_fixture_teardown);
  gui_test_add ("/plab/gui-layout/command-line", Fixture, fixture_setup_empty, test_command_line,
                app_test_fixture_teardown);
  return g_test_run ();
}
