/* plab-exercise.c: the frame of an exercise program (see plab-exercise.h).
 *
 * The frame records the student's function with the same engine as a demo
 * (plab_recording_run ()), so an attempt's timeline is stored and drawn like
 * any run. What the check needs to read back goes to standard output as
 * "@plab " lines, each flushed at once: a program that crashes later has
 * still said which run it was.
 */
#include "plab.h"
#include "plab-exercise.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANSWERS 16
#define KEY_MAX 48

struct PlabExercise
{
  const char *name;
  uint64_t seed;
  int workers;
  PlabTrace *trace; /* borrowed from the engine while the run goes */
  PlabExerciseFunc func;
  int n_answers;
  char keys[MAX_ANSWERS][KEY_MAX];
  double values[MAX_ANSWERS];
};

uint64_t
plab_exercise_random (uint64_t seed, uint64_t index)
{
  uint64_t z = seed * 0x9e3779b97f4a7c15ULL + (index + 1) * 0xbf58476d1ce4e5b9ULL;

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t
plab_exercise_seed (const PlabExercise *ex)
{
  return ex->seed;
}

int
plab_exercise_workers (const PlabExercise *ex)
{
  return ex->workers;
}

PlabTrace *
plab_exercise_trace (const PlabExercise *ex)
{
  return ex->trace;
}

void
plab_exercise_answer (PlabExercise *ex, const char *key, double value)
{
  int i;

  for (i = 0; i < ex->n_answers; i++)
    if (!strcmp (ex->keys[i], key))
      break;
  if (i == MAX_ANSWERS)
    return;
  if (i == ex->n_answers)
    {
      snprintf (ex->keys[i], KEY_MAX, "%s", key);
      ex->n_answers++;
    }
  ex->values[i] = value;
}

static long long
env_number (const char *name, long long fallback)
{
  const char *text = getenv (name);
  char *end;
  long long value;

  if (text == NULL || *text == '\0')
    return fallback;
  value = strtoll (text, &end, 10);
  return *end == '\0' ? value : fallback;
}

static void
run_begin_cb (void *user_data, int64_t run_id, const PlabRecordingConfig *config, int64_t origin_ns)
{
  printf ("@plab run %lld\n", (long long)run_id);
  fflush (stdout);
}

static int
run_cb (void *user_data,
        PlabTrace *trace,
        const volatile sig_atomic_t *cancel,
        PlabRecordingReport *report)
{
  PlabExercise *ex = user_data;
  PlabBuf result;
  int rc;

  ex->trace = trace;
  rc = ex->func (ex);
  ex->trace = NULL;

  plab_buf_init (&result);
  plab_buf_append (&result, "{");
  for (int i = 0; i < ex->n_answers; i++)
    plab_buf_printf (&result, "%s\"%s\": %.17g", i ? ", " : "", ex->keys[i], ex->values[i]);
  plab_buf_append (&result, "}");
  report->result_json = plab_buf_steal (&result);
  report->check_ok = rc == 0;
  snprintf (report->check_message, sizeof report->check_message, "%s",
            rc == 0 ? "finished; `plab exercise check` compares it with the reference"
                    : "the program gave up");
  if (rc != 0)
    {
      snprintf (report->error, sizeof report->error, "the exercise's function returned %d", rc);
      return PLAB_EINVAL;
    }
  return 0;
}

int
plab_exercise_main (const char *name, int argc, char **argv, PlabExerciseFunc func)
{
  PlabExercise ex = { .name = name, .func = func };
  const char *role = getenv ("PLAB_EXERCISE_ROLE");
  const char *db = getenv ("PLAB_EXERCISE_DB");
  char *path = NULL, *demo = NULL, *params = NULL;
  PlabStore *store = NULL;
  PlabRecording *rec = NULL;
  PlabRecordingOutcome outcome = { 0 };
  PlabRecordingSink sink = { .run_begin = run_begin_cb };
  int status = 1, rc;

  (void)argc;
  (void)argv;
  ex.seed = (uint64_t)env_number ("PLAB_EXERCISE_SEED", 1);
  ex.workers = (int)env_number ("PLAB_EXERCISE_WORKERS", plab_usable_cpus ());
  if (ex.workers < 2)
    ex.workers = 2;
  if (role == NULL || *role == '\0')
    role = "student";

  path = db != NULL && *db != '\0' ? strdup (db) : plab_store_default_path ();
  if (path == NULL)
    {
      fprintf (stderr, "%s: no run store: set PLAB_EXERCISE_DB or HOME\n", name);
      goto fail;
    }
  if ((rc = plab_store_open (path, PLAB_STORE_READ_WRITE, &store)) != 0)
    {
      fprintf (stderr, "%s: %s: %s\n", name, path, plab_strerror (rc));
      goto fail;
    }
  if ((rc = plab_recording_new (store, &rec)) != 0)
    goto fail;
  plab_recording_set_sink (rec, &sink);

  demo = malloc (strlen (name) + sizeof "exercise:");
  params = malloc (strlen (name) + strlen (role) + 64);
  if (demo == NULL || params == NULL)
    goto fail;
  sprintf (demo, "exercise:%s", name);
  sprintf (params, "{\"exercise\": \"%s\", \"role\": \"%s\"}", name, role);
  PlabRecordingConfig config = { .demo = demo,
                                 .backend = "processes",
                                 .workers = ex.workers,
                                 .params_json = params,
                                 .seed = ex.seed,
                                 .func = run_cb,
                                 .user_data = &ex };
  rc = plab_recording_run (rec, &config, &outcome);
  for (int i = 0; i < ex.n_answers; i++)
    printf ("@plab answer %s %.17g\n", ex.keys[i], ex.values[i]);
  printf ("@plab wall_ns %lld\n", (long long)outcome.wall_ns);
  fflush (stdout);
  if (rc != 0)
    fprintf (stderr, "%s: %s\n", name, plab_recording_errmsg (rec));
  else if (outcome.status != PLAB_RUN_OK)
    fprintf (stderr, "%s: %s\n", name, outcome.error ? outcome.error : "the run failed");
  status = rc == 0 && outcome.status == PLAB_RUN_OK ? 0 : 1;

fail:
  plab_recording_outcome_clear (&outcome);
  plab_recording_free (rec);
  plab_store_close (store);
  free (demo);
  free (params);
  free (path);
  return status;
}
