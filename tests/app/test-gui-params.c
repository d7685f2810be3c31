/* test-gui-params.c: parameters that say what they take, in the real window.
 *
 * Each test opens the window at 1280 x 720 on a fresh store, on a real X
 * server, and types into a parameter's field as a student would:
 *
 *   out-of-range   99999 tasks for the chef (1 to 8): the field is marked,
 *                  the message under it names the largest value, Run and
 *                  Sweep are disabled (and Run does nothing), the text stays
 *                  99999 after Enter, and so does the command line under
 *                  Run; the tooltips of Run and Sweep say which parameter
 *                  waits to be fixed and why, and so does the status line
 *                  when Ctrl+R is pressed; typing 4 enables Run again
 *   not-a-number   "abc" for the sleepers' unit: the same, the message says
 *                  it is not a number and gives the range with its unit
 *   range-shown    every number of every demo shows its range and unit
 *                  beside its title
 *   workers        0 in Workers, then Tab: the field keeps the 0 (it was
 *                  turned into 1), is marked, the message under it gives
 *                  the smallest value, Run and Sweep wait, the command line
 *                  shows -j 0, Run's tooltip names Workers; typing 3
 *                  enables Run again
 */
#include "gui-test-util.h"
#include "tmp-test-util.h"
#include "app-test-util.h"
#include "plab-param-editor.h"
#include "plab-window-private.h"
#include "xtest-test-util.h"

#define WIDTH 1280
#define HEIGHT 720
/* Only against hangs: a busy machine may be slow to start a runner. */
#define NO_RUN_MS 1500

typedef AppTestFixture Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  app_test_fixture_setup (f, data);
  f->window = app_test_open_window (f->tmp.db, WIDTH, HEIGHT, &f->app);
  gui_test_spin (300);
}

/* The first widget under @root (itself included) named @name, or NULL. */
static GtkWidget *
find_named (GtkWidget *root, const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_named (c, name);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Every widget under @root acting on @action goes to @out. */
static void
find_actionables (GtkWidget *root, const char *action, GPtrArray *out)
{
  if (GTK_IS_ACTIONABLE (root)
      && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (root)), action) == 0)
    g_ptr_array_add (out, root);
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    find_actionables (c, action, out);
}

/* Whether every button of @action in the window can be pressed; there must
 * be at least one. */
static gboolean
buttons_sensitive (Fixture *f, const char *action)
{
  g_autoptr (GPtrArray) buttons = g_ptr_array_new ();
  gboolean all = TRUE;

  find_actionables (GTK_WIDGET (f->window), action, buttons);
  g_assert_cmpuint (buttons->len, >, 0);
  for (guint i = 0; i < buttons->len; i++)
    all = all && gtk_widget_is_sensitive (g_ptr_array_index (buttons, i));
  return all;
}

/* The row of parameter @name: its control, the range beside its title and
 * the message under it. */
static GtkWidget *
param_control (Fixture *f, const char *name, GtkWidget **range, GtkWidget **problem)
{
  GtkWidget *control = plab_param_editor_get_control (f->window->param_editor, name);
  GtkWidget *row;

  g_assert_nonnull (control);
  row = gtk_widget_get_ancestor (control, GTK_TYPE_LIST_BOX_ROW);
  g_assert_nonnull (row);
  if (range != NULL)
    *range = find_named (row, "range");
  if (problem != NULL)
    *problem = find_named (row, "problem");
  return control;
}

/* Types @text into @control as a student would: the whole text, then the
 * main loop runs. */
static void
type_text (GtkWidget *control, const char *text)
{
  gtk_widget_grab_focus (control);
  gtk_editable_set_text (GTK_EDITABLE (control), text);
  gui_test_spin (100);
}

/* Run, Sweep, the mark and the message while @control holds a wrong
 * @text; the message must hold each of @words. */
static void
assert_refused (Fixture *f,
                GtkWidget *control,
                GtkWidget *problem,
                const char *text,
                const char *const *words)
{
  g_assert_false (plab_param_editor_is_valid (f->window->param_editor));
  g_assert_false (buttons_sensitive (f, "win.run"));
  g_assert_false (buttons_sensitive (f, "win.sweep"));
  g_assert_true (gtk_widget_has_css_class (control, "error"));
  g_assert_true (gtk_widget_get_visible (problem));
  for (guint i = 0; words[i] != NULL; i++)
    if (strstr (gtk_label_get_text (GTK_LABEL (problem)), words[i]) == NULL)
      g_error ("the message '%s' does not say '%s'", gtk_label_get_text (GTK_LABEL (problem)),
               words[i]);

  /* Enter and Run: the text is kept as typed (never clamped), and nothing
   * runs. */
  g_signal_emit_by_name (gtk_editable_get_delegate (GTK_EDITABLE (control)), "activate");
  gtk_spin_button_update (GTK_SPIN_BUTTON (control));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  gui_test_spin (NO_RUN_MS);
  g_assert_false (plab_window_is_running (f->window));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (control)), ==, text);
  g_assert_true (gtk_widget_has_css_class (control, "error"));
}

/* Run's and Sweep's tooltips say what waits to be fixed: @what and each of
 * @words; and Ctrl+R says it in the status line. */
/* The status line holds every one of some words. */
typedef struct
{
  PlabWindow *window;
  const char **words;
  size_t n;
} StatusSays;

static gboolean
status_says_cond (gpointer data)
{
  const StatusSays *says = data;
  const char *status = gtk_label_get_text (says->window->status_label);

  for (size_t i = 0; i < says->n; i++)
    if (strstr (status, says->words[i]) == NULL)
      return FALSE;
  return TRUE;
}

static void
assert_reason_shown (Fixture *f, const char *what, const char *const *words)
{
  GtkWidget *buttons[] = { f->window->run_button, f->window->sweep_button };
  const char *status;

  for (guint b = 0; b < G_N_ELEMENTS (buttons); b++)
    {
      const char *tip = gtk_widget_get_tooltip_text (buttons[b]);

      g_assert_nonnull (tip);
      if (strstr (tip, what) == NULL || strstr (tip, "fixed") == NULL)
        g_error ("the tooltip '%s' does not say that %s waits to be fixed", tip, what);
      for (guint i = 0; words[i] != NULL; i++)
        if (strstr (tip, words[i]) == NULL)
          g_error ("the tooltip '%s' does not say '%s'", tip, words[i]);
    }
  if (!xtest_press_accel (xtest_window_xid (GTK_WIDGET (f->window)), "<Control>r"))
    {
      g_test_message ("no XTest: Ctrl+R not pressed");
      return;
    }
  /* The key press goes through the X server: wait for it, on a busy
   * machine too, with a bound only against a hang. */
  {
    const char *want[] = { what, words[0] };
    StatusSays says = { f->window, want, G_N_ELEMENTS (want) };

    gui_test_wait (status_says_cond, &says, 10000);
  }
  status = gtk_label_get_text (f->window->status_label);
  if (strstr (status, what) == NULL || strstr (status, words[0]) == NULL)
    g_error ("after Ctrl+R the status line says '%s', not why Run waits", status);
  g_assert_false (plab_window_is_running (f->window));
}

/* After a good value: nothing marked, Run and Sweep back. */
static void
assert_fixed (Fixture *f, GtkWidget *control, GtkWidget *problem)
{
  g_assert_true (plab_param_editor_is_valid (f->window->param_editor));
  g_assert_true (buttons_sensitive (f, "win.run"));
  g_assert_true (buttons_sensitive (f, "win.sweep"));
  g_assert_false (gtk_widget_has_css_class (control, "error"));
  g_assert_false (gtk_widget_get_visible (problem));
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (f->window->run_button), "Ctrl+R"));
}

static void
test_out_of_range (Fixture *f, gconstpointer data)
{
  const char *const words[] = { "99999", "above", "8 tasks", NULL };
  GtkWidget *range, *problem, *tasks;
  int index;

  g_assert_true (plab_window_select_demo (f->window, "chef"));
  gui_test_spin (200);
  tasks = param_control (f, "tasks", &range, &problem);
  g_assert_nonnull (range);
  g_assert_nonnull (problem);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (range)), ==, "1\u20138 tasks");
  g_assert_true (buttons_sensitive (f, "win.run"));

  type_text (tasks, "99999");
  assert_refused (f, tasks, problem, "99999", words);
  assert_reason_shown (f, "Tasks", words);
  /* The command line shows what was typed, which `plab run` refuses too. */
  g_assert_nonnull (strstr (gtk_label_get_text (f->window->command_label), "--set tasks=99999"));
  /* The value behind the field is not the largest one put in its place. */
  index = plab_demo_param_index (plab_param_editor_get_demo (f->window->param_editor), "tasks");
  g_assert_cmpfloat (plab_param_editor_get_value (f->window->param_editor, (guint)index), !=, 8);

  type_text (tasks, "4");
  assert_fixed (f, tasks, problem);
  g_assert_cmpfloat (plab_param_editor_get_value (f->window->param_editor, (guint)index), ==, 4);
}

static void
test_not_a_number (Fixture *f, gconstpointer data)
{
  const char *const words[] = { "abc", "not a number", "10", "2000 ms", NULL };
  GtkWidget *problem, *unit;

  g_assert_true (plab_window_select_demo (f->window, "sleepers"));
  gui_test_spin (200);
  unit = param_control (f, "unit_ms", NULL, &problem);

  type_text (unit, "abc");
  assert_refused (f, unit, problem, "abc", words);
  type_text (unit, "150");
  assert_fixed (f, unit, problem);

  /* Another demo starts with nothing wrong, whatever was left typed. */
  type_text (unit, "1");
  g_assert_false (buttons_sensitive (f, "win.run"));
  g_assert_true (plab_window_select_demo (f->window, "chef"));
  gui_test_spin (200);
  g_assert_true (plab_param_editor_is_valid (f->window->param_editor));
  g_assert_true (buttons_sensitive (f, "win.run"));
}

static void
test_range_shown (Fixture *f, gconstpointer data)
{
  size_t n_demos;
  const PlabDemo *const *demos = plab_demos (&n_demos);

  for (size_t d = 0; d < n_demos; d++)
    {
      g_assert_true (plab_window_select_demo (f->window, demos[d]->name));
      gui_test_spin (50);
      for (size_t i = 0; i < demos[d]->n_params; i++)
        {
          const PlabParamSpec *spec = &demos[d]->params[i];
          g_autofree char *want = plab_param_editor_range_for (spec);
          GtkWidget *range;

          if (spec->type != PLAB_PARAM_INT && spec->type != PLAB_PARAM_DOUBLE)
            continue;
          param_control (f, spec->name, &range, NULL);
          g_assert_nonnull (range);
          g_assert_true (gtk_widget_get_visible (range));
          g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (range)), ==, want);
          if (spec->unit != NULL)
            g_assert_true (g_str_has_suffix (want, spec->unit));
        }
    }
}

static void
test_workers (Fixture *f, gconstpointer data)
{
  GtkWidget *workers = GTK_WIDGET (f->window->workers_spin);
  GtkWidget *row = gtk_widget_get_ancestor (workers, GTK_TYPE_LIST_BOX_ROW);
  GtkWidget *problem = find_named (row, "problem");

  g_assert_true (plab_window_select_demo (f->window, "squares"));
  gui_test_spin (200);
  g_assert_true (buttons_sensitive (f, "win.run"));

  /* Tab takes the focus to the next field, which commits the text. */
  type_text (workers, "0");
  gtk_widget_grab_focus (GTK_WIDGET (f->window->prediction_entry));
  gui_test_spin (100);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (workers)), ==, "0");
  g_assert_true (gtk_widget_has_css_class (workers, "error"));
  g_assert_nonnull (problem);
  g_assert_true (gtk_widget_get_visible (problem));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (problem)), "0 is below"));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (problem)), "smallest value, 1"));
  g_assert_false (buttons_sensitive (f, "win.run"));
  g_assert_false (buttons_sensitive (f, "win.sweep"));
  g_assert_nonnull (strstr (gtk_label_get_text (f->window->command_label), "-j 0 "));
  {
    const char *const words[] = { "0 is below", NULL };

    assert_reason_shown (f, "Workers", words);
  }
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.run", NULL);
  gui_test_spin (NO_RUN_MS);
  g_assert_false (plab_window_is_running (f->window));

  /* A demo whose own values set its workers greys the field: its text does
   * not hold that demo's Run up, and the command leaves -j out. */
  g_assert_true (plab_window_select_demo (f->window, "cars"));
  gui_test_spin (200);
  g_assert_false (gtk_widget_is_sensitive (workers));
  g_assert_true (buttons_sensitive (f, "win.run"));
  g_assert_null (strstr (gtk_label_get_text (f->window->command_label), "-j"));
  g_assert_true (plab_window_select_demo (f->window, "squares"));
  gui_test_spin (200);
  g_assert_false (buttons_sensitive (f, "win.run"));

  type_text (workers, "3");
  g_assert_false (gtk_widget_has_css_class (workers, "error"));
  g_assert_false (gtk_widget_get_visible (problem));
  g_assert_true (buttons_sensitive (f, "win.run"));
  g_assert_nonnull (strstr (gtk_label_get_text (f->window->command_label), "-j 3 "));

  /* A value set by the window (a Try this step, a run's settings) replaces
   * a wrong text, even when it is the value held behind it. */
  type_text (workers, "65");
  g_assert_true (gtk_widget_get_visible (problem));
  plab_param_editor_field_set_value (GTK_SPIN_BUTTON (workers), 3);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (workers)), ==, "3");
  g_assert_false (gtk_widget_get_visible (problem));
  g_assert_true (buttons_sensitive (f, "win.run"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gui_test_init ();

#define ADD(path, func) gui_test_add (path, Fixture, fixture_setup, func, app_test_fixture_teardown)

  ADD ("/plab/gui-params/out-of-range", test_out_of_range);
  ADD ("/plab/gui-params/not-a-number", test_not_a_number);
  ADD ("/plab/gui-params/range-shown", test_range_shown);
  ADD ("/plab/gui-params/workers", test_workers);
#undef ADD

  return g_test_run ();
}
