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

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MAX_ANSWERS 16
#define KEY_MAX 48
#define MAX_START_LINES 16
#define START_LINE_NS 1000000000LL
#define SLOW_ADD_SPINS 3000
#define SLOW_ADD_YIELD_EVERY 64

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
  /* One counter per plab_exercise_start_workers () call, in anonymous shared
   * memory that the workers inherit: each worker adds one on arrival and
   * waits until all of its call have. Mapped at the first call. */
  int *start_lines;
  int n_start_lines;
};

/* What a worker started by plab_exercise_start_workers () runs; the parent's
 * copy is freed once every worker is forked with its own. */
typedef struct
{
  PlabProcessFunc func;
  void *arg;
  int *ready; /* NULL: no start line */
  int n;
} StartArg;

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

static int
start_line_cb (void *arg)
{
  StartArg *start = arg;
  int64_t deadline = plab_now_ns () + START_LINE_NS;
  struct timespec pause = { 0, 20000 };

  if (start->ready != NULL)
    {
      __atomic_add_fetch (start->ready, 1, __ATOMIC_SEQ_CST);
      while (__atomic_load_n (start->ready, __ATOMIC_SEQ_CST) < start->n
             && plab_now_ns () < deadline)
        nanosleep (&pause, NULL);
    }
  return start->func (start->arg);
}

int
plab_exercise_start_workers (PlabExercise *ex,
                             const char *name,
                             PlabProcessFunc func,
                             void *args,
                             size_t arg_size,
                             int n,
                             PlabProcess **procs)
{
  StartArg *starts = calloc (n > 0 ? (size_t)n : 1, sizeof *starts);
  int *ready = NULL;
  int rc = 0;

  if (starts == NULL)
    return PLAB_ENOMEM;
  if (ex->start_lines == NULL)
    {
      void *map = mmap (NULL, MAX_START_LINES * sizeof (int), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);

      ex->start_lines = map == MAP_FAILED ? NULL : map;
    }
  if (ex->start_lines != NULL && ex->n_start_lines < MAX_START_LINES)
    ready = &ex->start_lines[ex->n_start_lines++];
  for (int i = 0; i < n; i++)
    {
      starts[i] = (StartArg){ func, (char *)args + (size_t)i * arg_size, ready, n };
      procs[i] = plab_process_new (name, start_line_cb, &starts[i]);
      if (procs[i] == NULL)
        {
          rc = rc != 0 ? rc : PLAB_ENOMEM;
          continue;
        }
      plab_process_set_trace (procs[i], ex->trace);
      if (rc == 0)
        rc = plab_process_start (procs[i]);
    }
  if (rc != 0)
    fprintf (stderr, "%s: starting the workers: %s\n", ex->name, plab_strerror (rc));
  free (starts);
  return rc;
}

int
plab_exercise_join_workers (PlabProcess **procs, int n)
{
  int failed = 0;

  for (int i = 0; i < n; i++)
    {
      PlabExitStatus status = { 0 };

      if (procs[i] == NULL)
        continue;
      if (plab_process_join (procs[i], -1, &status) != 0 || status.state != PLAB_PROCESS_EXITED
          || status.code != 0)
        failed = 1;
      plab_process_free (procs[i]);
      procs[i] = NULL;
    }
  return failed;
}

int
plab_exercise_map (PlabExercise *ex, PlabBackend backend, int workers, const PlabMap *map)
{
  PlabPoolOptions options = { .backend = backend, .workers = workers, .trace = ex->trace };
  PlabPool *pool = NULL;
  PlabMapReport report;
  int rc;

  rc = plab_pool_new (&options, &pool);
  if (rc == 0)
    rc = plab_pool_map (pool, map, &report);
  plab_pool_free (pool);
  if (rc != 0)
    fprintf (stderr, "%s: pool map: %s\n", ex->name, plab_strerror (rc));
  return rc;
}

int64_t
plab_exercise_slow_add (int64_t value, int64_t step)
{
  static unsigned calls; /* per process: each worker counts its own */
  volatile int64_t v = value;

  for (int spin = 0; spin < SLOW_ADD_SPINS; spin++)
    v = v + 0;
  /* On CPUs of their own the workers overlap in the spin above; on a shared
   * CPU the other worker runs here, between the read and the write. Not at
   * every call: with a lock held, each yield can hand the CPU to another
   * program, and the reference would pay for it. */
  if (++calls % SLOW_ADD_YIELD_EVERY == 0)
    sched_yield ();
  return v + step;
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
  if (ex.start_lines != NULL)
    munmap (ex.start_lines, MAX_START_LINES * sizeof (int));
  plab_recording_outcome_clear (&outcome);
  plab_recording_free (rec);
  plab_store_close (store);
  free (demo);
  free (params);
  free (path);
  return status;
}
