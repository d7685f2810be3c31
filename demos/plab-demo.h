/* plab-demo.h: what a demo is.
 *
 * A demo is a descriptor (name, title, lesson, typed parameters, backends) and
 * a run function written on core/ only. The runner fills a PlabDemoRun with the
 * chosen backend, workers and parameter values, calls run, and records what the
 * demo reports: its result summary (JSON) and the check of its own result.
 * Every descriptor is a row of the table in plab-demo-registry.c; the demo's
 * own file defines its lesson, parameters and run function.
 *
 * What the window shows beside the lesson lives in two tables of
 * plab-demo-texts.c, one row per line, the demo's name first: the "Try this"
 * steps (PlabDemoTry: demo, text, backend, workers, params, sweep) and the
 * labels of the result's keys (PlabResultLabel: demo, key, label, unit). A
 * new demo adds its rows there, next to each other, instead of a .tries
 * member and a result_labels array in its descriptor.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plab.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  PLAB_PARAM_INT = 0,
  PLAB_PARAM_DOUBLE,
  PLAB_PARAM_BOOL,
  PLAB_PARAM_CHOICE, /* one of choices[]; the value is the index */
} PlabParamType;

typedef struct
{
  const char *name; /* "n", "chunk_size", "crash_item" */
  PlabParamType type;
  const char *help; /* one line */
  double def;
  double min; /* inclusive; ignored for BOOL and CHOICE */
  double max;
  const char *const *choices; /* NULL-terminated, for CHOICE */
  const char *unit;           /* what a number counts: "ms", "tasks"; NULL for none */
} PlabParamSpec;

/* How the lab names a key of a demo's result for a student: "for_loop_s" is
 * "time of the for loop" in "s". A key without one stays in the store and
 * in `plab show --json`, and the window does not show it. One row of the
 * table of every demo's labels in plab-demo-texts.c. */
typedef struct
{
  const char *demo; /* the demo's name: "chef" */
  const char *key;
  const char *label;
  const char *unit; /* "s", "%", "µs"; NULL for a count or a word */
} PlabResultLabel;

#define PLAB_DEMO_MAX_PARAMS 16

/* Bits of PlabBackend, for PlabDemo.backends. */
#define PLAB_BACKEND_BIT(b) (1u << (b))
#define PLAB_ALL_BACKENDS                                                                          \
  (PLAB_BACKEND_BIT (PLAB_BACKEND_SERIAL) | PLAB_BACKEND_BIT (PLAB_BACKEND_THREADS)                \
   | PLAB_BACKEND_BIT (PLAB_BACKEND_PROCESSES) | PLAB_BACKEND_BIT (PLAB_BACKEND_GIL))

/* One "Try this" step at the end of a lesson: a sentence the student reads,
 * and the controls it sets when clicked in the window. One row of the table
 * of every demo's steps in plab-demo-texts.c. */
typedef struct
{
  const char *demo; /* the demo's name: "chef" */
  /* "Run it on 1 worker, then on 4: which is faster?" */
  const char *text;
  /* a PlabBackend to choose, or -1 to leave the choice alone */
  int backend;
  /* workers to set, or 0 to leave them alone */
  int workers;
  /* values to set, "chunk_size=1 work=0" (name=value, space-separated), or NULL */
  const char *params;
  /* the step is a sweep over workers: the window moves the focus to Sweep, not Run */
  bool sweep;
} PlabDemoTry;

#define PLAB_DEMO_MAX_TRIES 3

typedef struct PlabDemoRun PlabDemoRun;
typedef struct PlabDemo PlabDemo;

/* The parameters of a PlabDemo, with their count taken from the array: in
 * a descriptor, PLAB_DEMO_PARAMS (params). */
#define PLAB_DEMO_PARAMS(array) .params = (array), .n_params = sizeof (array) / sizeof (array)[0]

struct PlabDemo
{
  const char *name;    /* "squares" */
  const char *title;   /* "Squares with a pool" */
  const char *summary; /* one line for lists */
  const char *lesson;  /* a few plain sentences: what to try, what to look for, why */
  const PlabParamSpec *params;
  size_t n_params;
  unsigned backends; /* PLAB_BACKEND_BIT () of each supported backend */
  PlabBackend default_backend;
  /* Runs the demo. Returns 0 when it ran (its check may still fail), or a
   * negative code with run->error set. */
  int (*run) (PlabDemoRun *run);
  /* Optional: refuses a combination of backend, workers and values that the
   * demo cannot run (for example a deliberate crash on the threads backend,
   * which would take the whole program down). Called by the runner before any
   * run starts. Returns 0, or PLAB_EINVAL with one line in @err. */
  int (*validate) (const PlabDemoRun *run, char *err, size_t err_size);
  /* NULL when the run's workers set how many tasks run at once (a pool's
   * size, jobs, painters, or tasks allowed to run together). Otherwise the
   * demo has no worker axis, and this says why, as the end of a sentence
   * ("its producers and consumers parameters set how many workers run"):
   * the command line and the window then refuse to sweep it over workers,
   * since every worker count would measure the same run. */
  const char *no_worker_axis;
  /* With no_worker_axis: how many workers a run has at once, either the
   * sum of these parameters (cars: producers and consumers) or, where none
   * is named, fixed_workers. plab_demo_run_workers () gives the count; the
   * runner records it whatever -j said, so that the run's title
   * ("processes × 3") and its efficiency are true. */
  const char *worker_params[2];
  int fixed_workers;
  /* The lesson's "Try this" steps and the words for the result's keys are
   * not here: they are rows of two tables in plab-demo-texts.c, under the
   * demo's name (plab_demo_tries (), plab_demo_result_labels ()). */
};

/* One execution of a demo, filled in by the runner and the demo. */
struct PlabDemoRun
{
  /* Set by the runner */
  const PlabDemo *demo;
  PlabBackend backend;
  int workers;
  double values[PLAB_DEMO_MAX_PARAMS]; /* one per demo->params, validated */
  uint64_t seed;
  PlabTrace *trace; /* the run's trace; the calling thread is attached to lane 0 */
  const volatile sig_atomic_t *cancel;
  /* The result of the serial run of the same sweep with the same parameters
   * (the same repeat when there is one), or NULL: a demo that compares with
   * a for loop compares with that measured run instead of measuring its own
   * for loop first. Borrowed. */
  const char *serial_result_json;

  /* Set by the demo */
  /* Items the run will map, for a progress bar; 0: unknown. Set with
   * plab_demo_run_set_tasks_total (): the runner's watching thread reads it
   * while the demo runs. */
  int64_t tasks_total;
  bool check_ok;
  char check_message[256];
  char *result_json; /* malloc'ed JSON object, or NULL */
  char error[256];   /* why the run failed, when it returns non-zero */
};

/* Every demo, in the order the lab lists them. */
const PlabDemo *const *plab_demos (size_t *n_out);

/* NULL when there is no demo of that name. */
const PlabDemo *plab_demo_find (const char *name);

/* Index of parameter @name in @demo, or -1. */
int plab_demo_param_index (const PlabDemo *demo, const char *name);

/* The value of parameter @name (its default when the run has none set). */
double plab_demo_run_get (const PlabDemoRun *run, const char *name);

/* Parses @text as a value of @spec into *value. On failure returns
 * PLAB_EINVAL or PLAB_ERANGE and writes a message naming the allowed values
 * into @err ("n must be an integer from 1 to 10000000, not 'abc'"). */
int plab_param_parse (const PlabParamSpec *spec,
                      const char *text,
                      double *value,
                      char *err,
                      size_t err_size);

/* Formats a value of @spec as text ("1000", "0.25", "true", "gaussian"). */
void plab_param_format (const PlabParamSpec *spec, double value, char *buf, size_t size);

/* Sets all values of @run to their defaults (and everything else to zero). */
void plab_demo_run_init (PlabDemoRun *run, const PlabDemo *demo);

/* Frees what a run owns (result_json) and sets it to NULL. */
void plab_demo_run_clear (PlabDemoRun *run);

/* Sets @run's tasks_total while it runs (an atomic store). */
static inline void
plab_demo_run_set_tasks_total (PlabDemoRun *run, int64_t n)
{
  __atomic_store_n (&run->tasks_total, n, __ATOMIC_RELAXED);
}

/* How many workers @run has at once: its workers, or for a demo with no
 * worker axis as many as its values start (PlabDemo.worker_params). */
int plab_demo_run_workers (const PlabDemoRun *run);

/* Calls demo->validate when there is one. */
int plab_demo_run_validate (const PlabDemoRun *run, char *err, size_t err_size);

/* Describes @spec's allowed values: "an integer from 1 to 10000000",
 * "an integer from 5 to 1000 ms", "true or false", "one of: gaussian, uniform". */
void plab_param_describe (const PlabParamSpec *spec, char *buf, size_t size);

/* The "Try this" steps of @demo, in order: *@n_out of them (at most
 * PLAB_DEMO_MAX_TRIES; 0 and NULL for none). */
const PlabDemoTry *plab_demo_tries (const PlabDemo *demo, size_t *n_out);

/* The labelled keys of @demo's result, in the order a student reads them:
 * *@n_out of them (0 and NULL for none). */
const PlabResultLabel *plab_demo_result_labels (const PlabDemo *demo, size_t *n_out);

/* The label of result key @key of @demo, or NULL when it has none. */
const PlabResultLabel *plab_demo_result_label (const PlabDemo *demo, const char *key);

/* The label and unit of result key @key of the demo named @demo, for a
 * table a student reads. A demo that labels its keys shows only those; a
 * run of a demo the lab does not know (a program of your own) shows every
 * key under its own name. Returns whether to show the key. */
bool plab_demo_result_label_for (const char *demo,
                                 const char *key,
                                 const char **label,
                                 const char **unit);

/* Runs of the loop a calibration takes the best of. */
#define PLAB_DEMO_CALIBRATION_RUNS 5

/* The demos' CPU work ("80 ms of kneading") is a number of rounds of one
 * loop: the rounds a CPU second holds on this machine times the seconds. The
 * rate is measured against the calling thread's CPU time, so a busy machine
 * makes the work take longer on the wall clock, never makes it smaller.
 * Returns the best of @runs short runs (each about 4 million rounds, a few
 * milliseconds); @cpu_ns and @wall_ns (either may be NULL) get what it took. */
double plab_demo_measure_spin_rate (int runs, int64_t *cpu_ns, int64_t *wall_ns);

/* Sets the rate every later run of this process uses (a calibration kept
 * in the run store), instead of measuring it. Ignores a rate not above 0. */
void plab_demo_set_spin_rate (double rounds_per_cpu_s);

/* The run's parameters as a JSON object ({"n": 1000, "kernel": "gaussian"}); malloc'ed. */
char *plab_demo_run_params_json (const PlabDemoRun *run);

#ifdef __cplusplus
}
#endif
