/* test-widget-param-editor.c: controls built from a demo's descriptor. */
#include "gui-test-util.h"
#include "plab-param-editor.h"

static const char *const shapes[] = { "gaussian", "uniform", "triangle", NULL };

/* A descriptor with one parameter of every type, as a demo would declare. */
static const PlabParamSpec test_params[] = {
  { "n", PLAB_PARAM_INT, "how many items", 1000, 1, 100000, NULL },
  { "bandwidth", PLAB_PARAM_DOUBLE, "kernel width", 0.25, 0.01, 5, NULL },
  { "use_lock", PLAB_PARAM_BOOL, "take the lock around each update", 1, 0, 1, NULL },
  { "kernel", PLAB_PARAM_CHOICE, "kernel shape", 1, 0, 0, shapes },
};

static const PlabDemo test_demo = {
  .name = "test",
  .title = "A test demo",
  .summary = "one parameter of each type",
  .lesson = "Nothing to learn here.",
  .params = test_params,
  .n_params = G_N_ELEMENTS (test_params),
  .backends = PLAB_ALL_BACKENDS,
  .default_backend = PLAB_BACKEND_THREADS,
};

static PlabParamEditor *
new_editor (void)
{
  PlabParamEditor *editor = PLAB_PARAM_EDITOR (plab_param_editor_new ());

  g_object_ref_sink (editor);
  plab_param_editor_set_demo (editor, &test_demo);
  return editor;
}

static void
test_controls_match_types (void)
{
  g_autoptr (PlabParamEditor) editor = new_editor ();
  GtkWidget *n = plab_param_editor_get_control (editor, "n");
  GtkWidget *bw = plab_param_editor_get_control (editor, "bandwidth");
  GtkWidget *lock = plab_param_editor_get_control (editor, "use_lock");
  GtkWidget *kernel = plab_param_editor_get_control (editor, "kernel");
  GtkAdjustment *adj;
  GListModel *model;

  g_assert_true (GTK_IS_SPIN_BUTTON (n));
  adj = gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (n));
  g_assert_cmpfloat (gtk_adjustment_get_lower (adj), ==, 1);
  g_assert_cmpfloat (gtk_adjustment_get_upper (adj), ==, 100000);
  g_assert_cmpuint (gtk_spin_button_get_digits (GTK_SPIN_BUTTON (n)), ==, 0);
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (n)), ==, 1000);

  g_assert_true (GTK_IS_SPIN_BUTTON (bw));
  adj = gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (bw));
  g_assert_cmpfloat (gtk_adjustment_get_lower (adj), ==, 0.01);
  g_assert_cmpfloat (gtk_adjustment_get_upper (adj), ==, 5);
  g_assert_cmpuint (gtk_spin_button_get_digits (GTK_SPIN_BUTTON (bw)), >=, 2);
  g_assert_cmpfloat_with_epsilon (gtk_spin_button_get_value (GTK_SPIN_BUTTON (bw)), 0.25, 1e-9);

  g_assert_true (GTK_IS_SWITCH (lock));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (lock)));

  g_assert_true (GTK_IS_DROP_DOWN (kernel));
  model = gtk_drop_down_get_model (GTK_DROP_DOWN (kernel));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), 2), ==, "triangle");
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (kernel)), ==, 1);

  g_assert_null (plab_param_editor_get_control (editor, "missing"));
}

static void
test_values_become_assignments (void)
{
  g_autoptr (PlabParamEditor) editor = new_editor ();
  g_auto (GStrv) defaults = plab_param_editor_dup_assignments (editor);
  g_auto (GStrv) changed = NULL;

  g_assert_cmpuint (g_strv_length (defaults), ==, 4);
  g_assert_cmpstr (defaults[0], ==, "n=1000");
  g_assert_cmpstr (defaults[1], ==, "bandwidth=0.25");
  g_assert_cmpstr (defaults[2], ==, "use_lock=true");
  g_assert_cmpstr (defaults[3], ==, "kernel=uniform");

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (plab_param_editor_get_control (editor, "n")), 4242);
  gtk_switch_set_active (GTK_SWITCH (plab_param_editor_get_control (editor, "use_lock")), FALSE);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (plab_param_editor_get_control (editor, "kernel")), 0);
  changed = plab_param_editor_dup_assignments (editor);
  g_assert_cmpstr (changed[0], ==, "n=4242");
  g_assert_cmpstr (changed[2], ==, "use_lock=false");
  g_assert_cmpstr (changed[3], ==, "kernel=gaussian");
  g_assert_cmpfloat (plab_param_editor_get_value (editor, 0), ==, 4242);

  /* Every assignment parses back with the demos' own parser to the value shown. */
  for (guint i = 0; changed[i] != NULL; i++)
    {
      const char *eq = strchr (changed[i], '=');
      double value;
      char err[128];
      g_assert_nonnull (eq);
      g_assert_cmpint (plab_param_parse (&test_params[i], eq + 1, &value, err, sizeof err), ==, 0);
      g_assert_cmpfloat_with_epsilon (value, plab_param_editor_get_value (editor, i), 1e-9);
    }

  plab_param_editor_reset (editor);
  g_assert_cmpfloat (plab_param_editor_get_value (editor, 0), ==, 1000);
  g_assert_cmpfloat (plab_param_editor_get_value (editor, 3), ==, 1);
}

static void
test_wrong_text_is_kept (void)
{
  g_autoptr (PlabParamEditor) editor = new_editor ();
  GtkWidget *n = plab_param_editor_get_control (editor, "n");
  GtkWidget *bw = plab_param_editor_get_control (editor, "bandwidth");
  g_auto (GStrv) sets = NULL;
  g_autofree char *problem = NULL;

  /* A value set by the program (history, a reset) is held to the range. */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (n), 1e9);
  g_assert_cmpfloat (plab_param_editor_get_value (editor, 0), ==, 100000);
  g_assert_true (plab_param_editor_is_valid (editor));

  /* Typed text out of range is kept, marked and explained, never clamped:
   * committing it (what Run does) leaves the text and the last good value. */
  gtk_editable_set_text (GTK_EDITABLE (n), "-5");
  g_assert_false (plab_param_editor_is_valid (editor));
  g_assert_true (gtk_widget_has_css_class (n, "error"));
  g_assert_cmpfloat (plab_param_editor_get_value (editor, 0), ==, 100000);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (n)), ==, "-5");
  problem = plab_param_editor_dup_problem (editor, "n");
  g_assert_cmpstr (problem, ==, "-5 is below the smallest value, 1");
  sets = plab_param_editor_dup_assignments (editor);
  g_assert_cmpstr (sets[0], ==, "n=-5");

  /* A second wrong field keeps the editor invalid until both are fixed. */
  gtk_editable_set_text (GTK_EDITABLE (bw), "wide");
  g_assert_true (gtk_widget_has_css_class (bw, "error"));
  gtk_editable_set_text (GTK_EDITABLE (n), "42");
  g_assert_false (gtk_widget_has_css_class (n, "error"));
  g_assert_false (plab_param_editor_is_valid (editor));
  gtk_editable_set_text (GTK_EDITABLE (bw), "0.5");
  g_assert_true (plab_param_editor_is_valid (editor));
  g_assert_cmpfloat (plab_param_editor_get_value (editor, 0), ==, 42);
  g_assert_cmpfloat_with_epsilon (plab_param_editor_get_value (editor, 1), 0.5, 1e-9);

  /* A reset replaces a wrong text with the default. */
  gtk_editable_set_text (GTK_EDITABLE (n), "1e9");
  g_assert_false (plab_param_editor_is_valid (editor));
  plab_param_editor_reset (editor);
  g_assert_true (plab_param_editor_is_valid (editor));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (n)), ==, "1000");
}

static void
changed_cb (PlabParamEditor *editor, int *count)
{
  (*count)++;
}

static void
test_changed_signal_and_real_demos (void)
{
  g_autoptr (PlabParamEditor) editor = new_editor ();
  const PlabDemo *const *demos;
  size_t n_demos;
  int count = 0;

  g_signal_connect (editor, "changed", G_CALLBACK (changed_cb), &count);
  gtk_switch_set_active (GTK_SWITCH (plab_param_editor_get_control (editor, "use_lock")), FALSE);
  g_assert_cmpint (count, ==, 1);

  /* Every registered demo gets one control per parameter, with its default. */
  demos = plab_demos (&n_demos);
  g_assert_cmpuint (n_demos, >, 0);
  for (size_t d = 0; d < n_demos; d++)
    {
      plab_param_editor_set_demo (editor, demos[d]);
      for (size_t i = 0; i < demos[d]->n_params; i++)
        {
          g_assert_nonnull (plab_param_editor_get_control (editor, demos[d]->params[i].name));
          g_assert_cmpfloat_with_epsilon (plab_param_editor_get_value (editor, (guint)i),
                                          demos[d]->params[i].def, 1e-9);
        }
    }
  {
    g_autofree char *title = plab_param_editor_title_for ("chunk_size");
    g_assert_cmpstr (title, ==, "Chunk size");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gui_test_init ();

#define ADD(path, func) gui_test_add_func (path, func)

  ADD ("/plab/widget/param-editor/controls-match-types", test_controls_match_types);
  ADD ("/plab/widget/param-editor/values-become-assignments", test_values_become_assignments);
  ADD ("/plab/widget/param-editor/wrong-text-is-kept", test_wrong_text_is_kept);
  ADD ("/plab/widget/param-editor/changed-and-real-demos", test_changed_signal_and_real_demos);
#undef ADD

  return g_test_run ();
}
