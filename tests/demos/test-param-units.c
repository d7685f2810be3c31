/* test-param-units.c: a parameter says what it counts, and a result what
 * its values mean.
 *
 *   units-in-words   every number of every demo with a unit names it where
 *                    its range is described and where a value out of range
 *                    is refused; `plab run DEMO --help` shows it with the
 *                    range and the default
 *   result-labels    every demo labels its result, in words (no key like
 *                    for_loop_s), and plab_demo_result_label_for ()
 *                    hides what a known demo does not label and shows every
 *                    key of a demo the lab does not know
 */
#include <glib.h>
#include <string.h>

#include "plab-demo-private.h"

static void
test_units_in_words (void)
{
  size_t n_demos;
  const PlabDemo *const *demos = plab_demos (&n_demos);
  const char *build = g_getenv ("PLAB_BUILD_DIR");
  g_autofree char *plab = g_build_filename (build ? build : "build", "app", "plab", NULL);
  const char *argv[] = { plab, "run", "chef", "--help", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  int status = 0;

  for (size_t d = 0; d < n_demos; d++)
    for (size_t i = 0; i < demos[d]->n_params; i++)
      {
        const PlabParamSpec *spec = &demos[d]->params[i];
        char described[160], err[256], text[64];
        double value;

        if (spec->unit == NULL)
          continue;
        g_assert_true (spec->type == PLAB_PARAM_INT || spec->type == PLAB_PARAM_DOUBLE);
        plab_param_describe (spec, described, sizeof described);
        g_assert_true (g_str_has_suffix (described, spec->unit));
        g_snprintf (text, sizeof text, "%.0f", spec->max + 1);
        g_assert_cmpint (plab_param_parse (spec, text, &value, err, sizeof err), ==, PLAB_ERANGE);
        g_assert_nonnull (strstr (err, described));
      }

  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (out, "an integer from 5 to 1000 ms, default 80 ms"));
  g_assert_nonnull (strstr (out, "an integer from 1 to 8 tasks, default 6 tasks"));
}

static void
test_result_labels (void)
{
  size_t n_demos, n_labels, all_labels = 0;
  const PlabDemo *const *demos = plab_demos (&n_demos);
  const char *label, *unit;

  for (size_t d = 0; d < n_demos; d++)
    {
      const PlabResultLabel *labels = plab_demo_result_labels (demos[d], &n_labels);

      g_assert_cmpuint (n_labels, >, 0);
      all_labels += n_labels;
      for (size_t i = 0; i < n_labels; i++)
        {
          const PlabResultLabel *l = &labels[i];

          g_assert_cmpstr (l->demo, ==, demos[d]->name);
          /* Words, not a program's key ("saved against the for loop"). */
          g_assert_null (strchr (l->label, '_'));
          g_assert_true (plab_demo_result_label (demos[d], l->key) == l);
          g_assert_true (plab_demo_result_label_for (demos[d]->name, l->key, &label, &unit));
          g_assert_cmpstr (label, ==, l->label);
          g_assert_cmpstr (unit, ==, l->unit);
        }
      g_assert_false (plab_demo_result_label_for (demos[d]->name, "no_such_key", &label, &unit));
    }
  /* Every row of the table belongs to a demo and was found with it. */
  _plab_demo_text_rows (&n_labels);
  g_assert_cmpuint (all_labels, ==, n_labels);
  g_assert_true (plab_demo_result_label_for ("chef", "cpu_s", &label, &unit));
  g_assert_cmpstr (label, ==, "CPU time spent");
  g_assert_cmpstr (unit, ==, "s");
  g_assert_true (plab_demo_result_label_for ("my-program", "cpu_s", &label, &unit));
  g_assert_cmpstr (label, ==, "cpu_s");
  g_assert_null (unit);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/demos/units-in-words", test_units_in_words);
  g_test_add_func ("/plab/demos/result-labels", test_result_labels);
  return g_test_run ();
}
