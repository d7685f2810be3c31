/* plab-demo-amdahl.c: work with a chosen serial fraction, against Amdahl's
 * law.
 *
 * This demo teaches why speedup has a ceiling. A job of fixed size has a
 * serial part that one worker must do alone (here: preparing the input on the
 * main lane) and a parallel part split into tasks for a pool. With a serial
 * fraction f, N workers can at best reach 1 / (f + (1 - f) / N), never more
 * than 1 / f however many workers there are. The result draws that curve and
 * this run's own point; a sweep over worker counts shows the measured curve
 * under it, and the Speedup chart fits f back from the measurements.
 */
#include "plab-demo-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_amdahl_lesson[]
    = "A job has a serial part that only one worker can do and a parallel part that is "
      "split into tasks. On the timeline the serial part is the long span on the main lane, "
      "with every worker idle. With a serial fraction f, N workers reach at most 1 / (f + "
      "(1 - f) / N): with f = 0.2 two workers give 1.67x, not 2x, and no number of workers "
      "gives more than 5x. Press Sweep and compare the Speedup chart, which fits f back "
      "from your measurements, with the Serial fraction you set. Then set it to 0 and to "
      "0.5. "
      "On the mpi backend the serial part is rank 0's work while the other ranks wait in "
      "MPI_Bcast: the serial fraction becomes a collective wait you can see.";

enum
{
  PARAM_SERIAL_FRACTION,
  PARAM_WORK_MS,
  PARAM_TASKS,
  N_PARAMS
};

#define MAX_TASKS 100000
#define CURVE_MAX_WORKERS 16

const PlabParamSpec _plab_demo_amdahl_params[N_PARAMS] = {
  [PARAM_SERIAL_FRACTION] = { "serial_fraction", PLAB_PARAM_DOUBLE,
                              "share of the work only one worker can do", 0.2, 0, 1, NULL },
  [PARAM_WORK_MS]
  = { "work_ms", PLAB_PARAM_DOUBLE, "the whole job's CPU time on one worker, in milliseconds", 2000,
      10, 60000, NULL, "ms" },
  [PARAM_TASKS] = { "tasks", PLAB_PARAM_INT, "tasks the parallel part is split into", 64, 1,
                    MAX_TASKS, NULL, "tasks" },
};

/* Read-only context of the tasks. */
typedef struct
{
  uint64_t rounds_per_task;
} AmdahlContext;

static int
task_cb (const void *item, void *result, void *user_data)
{
  const AmdahlContext *ctx = user_data;
  uint32_t index;
  uint64_t out;

  memcpy (&index, item, sizeof index);
  out = _plab_demo_spin (ctx->rounds_per_task, index);
  if (plab_cancelled ())
    return PLAB_ECANCELLED;
  memcpy (result, &out, sizeof out);
  return 0;
}

static void
label_cb (size_t index, const void *item, char *label, size_t size, void *user_data)
{
  snprintf (label, size, "parallel part %zu", index + 1);
}

static double
amdahl (double f, double n)
{
  return 1.0 / (f + (1.0 - f) / n);
}

/* The classic text's times for its job on 1, 2 and 4 workers, shown beside
 * the measured time and never in its place. */
static const struct
{
  int workers;
  double s;
} text_times[] = { { 1, 2.0 }, { 2, 1.05 }, { 4, 0.54 } };

/* The text's time for @workers, or 0 when it gives none. */
static double
text_time_s (int workers)
{
  for (size_t i = 0; i < sizeof text_times / sizeof text_times[0]; i++)
    if (text_times[i].workers == workers)
      return text_times[i].s;
  return 0;
}

static char *
result_json (PlabDemoRun *run, double f, double planned_s, double wall_s, double cpu_s)
{
  double serial_s = _plab_demo_serial_number (run, "wall_s");
  int workers = run->backend == PLAB_BACKEND_SERIAL ? 1 : run->workers;
  int max_n = workers * 2 > CURVE_MAX_WORKERS ? workers * 2 : CURVE_MAX_WORKERS;
  double *xs = malloc ((size_t)max_n * sizeof *xs);
  double *ys = malloc ((size_t)max_n * sizeof *ys);
  double measured = planned_s / wall_s;
  double ideal[2] = { 1, (double)max_n };
  double point_x = workers;
  PlabBuf buf;

  plab_buf_init (&buf);
  if (xs == NULL || ys == NULL)
    goto out;
  for (int n = 1; n <= max_n; n++)
    {
      xs[n - 1] = n;
      ys[n - 1] = amdahl (f, n);
    }
  plab_buf_append (&buf, "{\"serial_fraction\": ");
  plab_json_write_short (&buf, f);
  _plab_demo_json_short (&buf, "planned_one_worker_s", planned_s);
  _plab_demo_json_short (&buf, "wall_s", wall_s);
  _plab_demo_json_short (&buf, "cpu_s", cpu_s);
  _plab_demo_json_short (&buf, "speedup_vs_planned", measured);
  if (serial_s > 0)
    _plab_demo_json_short (&buf, "speedup_vs_serial", serial_s / wall_s);
  if (text_time_s (workers) > 0)
    _plab_demo_json_short (&buf, "text_wall_s", text_time_s (workers));
  _plab_demo_json_short (&buf, "amdahl_speedup", amdahl (f, workers));
  _plab_demo_json_short (&buf, "amdahl_ceiling", f > 0 ? 1.0 / f : INFINITY);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "lines", "Amdahl's law", "workers", "speedup");
  _plab_demo_json_line_series (&buf, "Amdahl", "line", xs, ys, (size_t)max_n);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_line_series (&buf, "ideal", "dashed", ideal, ideal, 2);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_line_series (&buf, "this run", "points", &point_x, &measured, 1);
  plab_buf_printf (&buf,
                   "], \"notes\": [\"f = %.3g: at most %.2fx with %d workers, never more than "
                   "%.3gx\", \"this run: %.2fx against the planned one-worker time\"",
                   f, amdahl (f, workers), workers, f > 0 ? 1.0 / f : INFINITY, measured);
  if (serial_s > 0)
    plab_buf_printf (&buf, ", \"against the serial run of this sweep (%.2f s, measured): %.2fx\"",
                     serial_s, serial_s / wall_s);
  if (text_time_s (workers) > 0)
    plab_buf_printf (&buf,
                     ", \"the text's figure for %d worker%s: %.2f s (2.0 / 1.05 / 0.54 s on 1 / 2 "
                     "/ 4); its job and machine were not these, and the cores here, what else "
                     "runs and the start of the workers move the times\"",
                     workers, workers == 1 ? "" : "s", text_time_s (workers));
  plab_buf_append (&buf, "]}}");
out:
  free (xs);
  free (ys);
  return plab_buf_steal (&buf);
}

int
_plab_demo_amdahl_run (PlabDemoRun *run)
{
  double f = run->values[PARAM_SERIAL_FRACTION];
  double work_ns = run->values[PARAM_WORK_MS] * 1e6;
  size_t tasks = (size_t)run->values[PARAM_TASKS];
  AmdahlContext ctx;
  uint32_t *items = NULL;
  uint64_t *results = NULL;
  PlabMap map = { .func = task_cb, .user_data = &ctx, .label = label_cb, .n_items = tasks };
  uint64_t first, last;
  int64_t t0, cpu0, wall_ns, cpu_ns;
  int rc;

  items = malloc (tasks * sizeof *items);
  results = calloc (tasks, sizeof *results);
  if (items == NULL || results == NULL)
    {
      rc = PLAB_ENOMEM;
      snprintf (run->error, sizeof run->error, "out of memory");
      goto fail;
    }
  for (size_t i = 0; i < tasks; i++)
    items[i] = (uint32_t)i;
  ctx.rounds_per_task
      = (uint64_t)(work_ns * (1 - f) / (double)tasks * _plab_demo_spin_rate () / 1e9);
  plab_demo_run_set_tasks_total (run, (int64_t)tasks);

  cpu0 = plab_cpu_time_ns ();
  t0 = plab_now_ns ();
  /* The serial part: only the main lane works, everyone else waits. */
  _plab_demo_cpu (NULL, (int64_t)(work_ns * f), -1, "serial part", NULL);
  if (run->cancel && *run->cancel)
    {
      rc = PLAB_ECANCELLED;
      snprintf (run->error, sizeof run->error, "cancelled");
      goto fail;
    }

  rc = _plab_demo_pool_map_items (run, NULL, "pool", &map, items, sizeof *items, results,
                                  sizeof *results);
  wall_ns = plab_now_ns () - t0;
  /* The pool has reaped its processes: their CPU time is among the children's. */
  cpu_ns = plab_cpu_time_ns () - cpu0;
  if (rc != 0)
    goto fail;

  /* The check: the first and the last task computed what the same chain
   * computes here. */
  first = _plab_demo_spin (ctx.rounds_per_task, 0);
  last = _plab_demo_spin (ctx.rounds_per_task, (uint64_t)(tasks - 1));
  run->check_ok = results[0] == first && results[tasks - 1] == last;
  snprintf (run->check_message, sizeof run->check_message,
            "%s; %.2fx against the planned one-worker time, Amdahl allows %.2fx",
            run->check_ok ? "tasks computed the right values" : "a task computed a wrong value",
            (work_ns / 1e9) / (wall_ns / 1e9),
            amdahl (f, run->backend == PLAB_BACKEND_SERIAL ? 1 : run->workers));
  run->result_json = result_json (run, f, work_ns / 1e9, wall_ns / 1e9, cpu_ns / 1e9);
  rc = 0;

fail:
  free (items);
  free (results);
  return rc;
}
