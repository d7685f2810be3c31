/* test-demo-tries.c: the lessons are written for the window, and their
 * "Try this" steps set controls that exist, to values the demo accepts.
 *
 * The window shows each demo's lesson with two or three steps a student
 * clicks to set the backend, the workers and parameter values. A step that
 * names a parameter the demo lacks, a value out of its range or a backend it
 * does not support would do nothing, or something else, in front of a class;
 * this finds it before the window does. The lesson names controls, not the
 * command line's flags ("-b serial", "--sweep 1,2", "chunk_size=1").
 */
#include <glib.h>
#include <string.h>

#include "plab-demo-private.h"

/* Applies @step's values to @run as the window does. */
static void
apply_step (const PlabDemo *d, const PlabDemoTry *step, PlabDemoRun *run)
{
  g_auto (GStrv) parts = NULL;

  if (step->backend >= 0)
    run->backend = (PlabBackend)step->backend;
  if (step->workers > 0)
    run->workers = step->workers;
  if (step->params == NULL)
    return;
  parts = g_strsplit (step->params, " ", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *eq = strchr (parts[i], '=');
      char err[256] = "";
      int index;

      g_assert_nonnull (eq);
      *eq = '\0';
      index = plab_demo_param_index (d, parts[i]);
      if (index < 0)
        g_error ("%s: a Try this step sets '%s', which is no parameter of it", d->name, parts[i]);
      if (plab_param_parse (&d->params[index], eq + 1, &run->values[index], err, sizeof err) != 0)
        g_error ("%s: a Try this step sets %s to %s: %s", d->name, parts[i], eq + 1, err);
    }
}

static void
test_steps (void)
{
  size_t n = 0, all_steps = 0, n_labels;
  const PlabDemo *const *demos = plab_demos (&n);

  g_assert_cmpuint (n, >=, 11);
  for (size_t i = 0; i < n; i++)
    {
      const PlabDemo *d = demos[i];
      PlabDemoRun run;
      size_t n_tries;
      const PlabDemoTry *tries = plab_demo_tries (d, &n_tries);
      int steps = 0;

      /* Steps build on each other, as clicks in the window do. */
      plab_demo_run_init (&run, d);
      run.backend = d->default_backend;
      run.workers = 2;
      for (size_t t = 0; t < n_tries; t++)
        {
          const PlabDemoTry *step = &tries[t];
          char err[256] = "";

          steps++;
          g_assert_cmpstr (step->demo, ==, d->name);
          g_assert_cmpuint (strlen (step->text), >, 10);
          g_assert_true (step->backend == -1
                         || (step->backend >= PLAB_BACKEND_SERIAL
                             && step->backend <= PLAB_BACKEND_MPI
                             && (d->backends & PLAB_BACKEND_BIT (step->backend))));
          g_assert_cmpint (step->workers, >=, 0);
          g_assert_cmpint (step->workers, <=, 64);
          g_assert_true (step->backend >= 0 || step->workers > 0 || step->params != NULL);
          /* A sweep step on a demo without a worker axis would be refused. */
          g_assert_true (!step->sweep || d->no_worker_axis == NULL);
          /* Nor would workers change such a demo's run: its values do. */
          g_assert_true (step->workers == 0 || d->no_worker_axis == NULL);
          apply_step (d, step, &run);
          if (plab_demo_run_validate (&run, err, sizeof err) != 0)
            g_error ("%s: Try this step %zu makes a run the demo refuses: %s", d->name, t + 1, err);
        }
      g_test_message ("%s: %d steps", d->name, steps);
      g_assert_cmpint (steps, >=, 2);
      g_assert_cmpint (steps, <=, PLAB_DEMO_MAX_TRIES);
      all_steps += n_tries;
      plab_demo_run_clear (&run);
    }
  /* Every row of the table belongs to a demo and was found with it. */
  g_assert_cmpuint (all_steps, ==, _plab_demo_text_rows (&n_labels));
}

static void
test_lessons_name_controls (void)
{
  size_t n = 0;
  const PlabDemo *const *demos = plab_demos (&n);
  const char *flags[] = { " -b ", " -j ", "--sweep", "--set", "--repeat", "-b serial" };

  for (size_t i = 0; i < n; i++)
    {
      const PlabDemo *d = demos[i];

      for (size_t f = 0; f < G_N_ELEMENTS (flags); f++)
        if (strstr (d->lesson, flags[f]) != NULL)
          g_error ("%s: the lesson uses the command line's '%s'", d->name, flags[f]);
      /* "chunk_size=1" is the command line's way to say "Chunk size 1". */
      for (size_t p = 0; p < d->n_params; p++)
        {
          g_autofree char *assignment = g_strdup_printf ("%s=", d->params[p].name);
          if (strstr (d->lesson, assignment) != NULL)
            g_error ("%s: the lesson writes '%s…' as on the command line", d->name, assignment);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/demo-tries/steps", test_steps);
  g_test_add_func ("/plab/demo-tries/lessons-name-controls", test_lessons_name_controls);
  return g_test_run ();
}
