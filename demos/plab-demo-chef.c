/* plab-demo-chef.c: the chef's kitchen, the classic first example of
 * processes.
 *
 * This demo teaches where parallel time is saved and where it is not. A
 * kitchen has tasks of two kinds: work that keeps a cook busy (kneading dough,
 * chopping onions: CPU work) and waiting (bread in the oven: nobody's CPU is
 * used). One chef doing them in a for loop pays the sum of all durations. One
 * process per task (the Process class) overlaps everything, but the busy tasks
 * still share the machine's cores, and the run's workers say how many tasks
 * may cook at once (a semaphore around the tasks); a pool of cooks does the
 * same with fewer processes; and a limited number of ovens (a semaphore) makes the waiting tasks
 * queue for an oven. The result is the time saved against a measured for
 * loop: the serial run of the same sweep, or a for loop run just before.
 */
#include "plab-demo-private.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_chef_lesson[]
    = "One chef kneads, chops and stirs (CPU work) and bakes (the oven works while no core "
      "does: the \"sleep: oven\" spans) in a for loop, so the meal takes the sum of all the "
      "tasks: choose Backend: serial to see it. With one process per task the baking "
      "overlaps everything else, and the busy tasks share the cores: on the timeline the "
      "oven spans lie side by side while the CPU tasks stretch when more of them run than "
      "there are cores (the hatched \"waiting for a core\" stripes along the bottom of a "
      "task). Workers is how many tasks cook at once: the others wait for a free worker "
      "(\"wait: semaphore workers\"), so 6 workers let all six go together, and Sweep shows "
      "what each extra worker buys. Mode pool hands the same tasks to a pool of that many "
      "cooks, and mode ovens makes the bakes queue for a limited number of Ovens (look for "
      "their wait spans). On the gil backend only the baking overlaps, because only one "
      "cook can hold the interpreter lock.";

enum
{
  PARAM_MODE,
  PARAM_TASKS,
  PARAM_UNIT_MS,
  PARAM_OVENS,
  N_PARAMS
};

enum
{
  MODE_PER_TASK,
  MODE_POOL,
  MODE_OVENS
};

static const char *const modes[] = { "per-task", "pool", "ovens", NULL };

typedef enum
{
  KIND_CPU,
  KIND_OVEN
} TaskKind;

typedef struct
{
  const char *name;
  TaskKind kind;
  int units;
} KitchenTask;

#define MAX_TASKS 8

static const KitchenTask kitchen[MAX_TASKS] = {
  { "knead dough", KIND_CPU, 5 },       { "bake bread", KIND_OVEN, 8 },
  { "chop onions", KIND_CPU, 3 },       { "stir sauce", KIND_CPU, 4 },
  { "bake cake", KIND_OVEN, 6 },        { "whisk eggs", KIND_CPU, 2 },
  { "roast vegetables", KIND_OVEN, 5 }, { "grate cheese", KIND_CPU, 2 },
};

const PlabParamSpec _plab_demo_chef_params[N_PARAMS] = {
  [PARAM_MODE] = { "mode", PLAB_PARAM_CHOICE,
                   "per-task: a worker per task (the Process class); pool: a pool of cooks; "
                   "ovens: a worker per task, ovens limited by a semaphore",
                   MODE_PER_TASK, 0, 0, modes },
  [PARAM_TASKS] = { "tasks", PLAB_PARAM_INT,
                    "how many of: knead dough, bake bread, chop onions, stir sauce, bake cake, "
                    "whisk eggs, roast vegetables, grate cheese",
                    6, 1, MAX_TASKS, NULL, "tasks" },
  [PARAM_UNIT_MS] = { "unit_ms", PLAB_PARAM_INT,
                      "milliseconds per unit of task time (kneading takes 5 units, baking bread 8)",
                      80, 5, 1000, NULL, "ms" },
  [PARAM_OVENS] = { "ovens", PLAB_PARAM_INT, "ovens in the kitchen (mode=ovens)", 1, 1, MAX_TASKS,
                    NULL, "ovens" },
};

/* Per task, written only by the worker doing it (done is counted atomically
 * so that a task done twice would show); read by the parent after the join. */
typedef struct
{
  _Atomic int done[MAX_TASKS];
  int64_t start_ns[MAX_TASKS];
  int64_t end_ns[MAX_TASKS];
} KitchenShared;

typedef struct
{
  KitchenShared *sh;
  PlabCrew *crew;       /* NULL in pool mode */
  PlabSemaphore *ovens; /* mode=ovens only */
  int64_t unit_ns;
} Kitchen;

typedef struct
{
  Kitchen *kitchen;
  int task;
} TaskArg;

/* Does task @t. Returns false when the run was stopped. */
static bool
do_task (Kitchen *k, int t)
{
  const KitchenTask *task = &kitchen[t];
  int64_t ns = task->units * k->unit_ns;
  char label[PLAB_LABEL_MAX];
  bool ok;

  k->sh->start_ns[t] = plab_now_ns ();
  if (task->kind == KIND_CPU)
    /* In pool mode the pool's own task span names the task. */
    ok = _plab_demo_cpu (k->crew, ns, t, k->crew ? task->name : NULL, NULL);
  else
    {
      if (k->ovens && plab_semaphore_acquire (k->ovens, -1) != 0)
        return false;
      snprintf (label, sizeof label, "oven: %s", task->name);
      ok = _plab_demo_wait (k->crew, ns, PLAB_SPAN_SLEEP, t, label);
      if (k->ovens)
        plab_semaphore_release (k->ovens);
    }
  k->sh->end_ns[t] = plab_now_ns ();
  if (ok)
    atomic_fetch_add (&k->sh->done[t], 1);
  return ok;
}

static int
task_cb (PlabCrew *crew, void *arg)
{
  TaskArg *a = arg;

  return do_task (a->kitchen, a->task) ? 0 : 1;
}

static int
pool_task_cb (const void *item, void *result, void *user_data)
{
  int32_t t;

  memcpy (&t, item, sizeof t);
  do_task (user_data, t);
  return 0;
}

static void
pool_label_cb (size_t index, const void *item, char *label, size_t size, void *user_data)
{
  int32_t t;

  memcpy (&t, item, sizeof t);
  snprintf (label, size, "%s", kitchen[t].name);
}

static int
run_pool (PlabDemoRun *run, Kitchen *k, int n)
{
  PlabMap map
      = { .func = pool_task_cb, .user_data = k, .label = pool_label_cb, .n_items = (size_t)n };

  return _plab_demo_pool_map_tasks (run, "cook", "cooks", &map);
}

static int
run_crew (PlabDemoRun *run, Kitchen *k, int n)
{
  TaskArg args[MAX_TASKS];
  int rc = 0;

  k->crew = _plab_crew_new (run);
  if (k->crew == NULL)
    return PLAB_ENOMEM;
  /* A process per task, at most as many cooking at once as there are
   * workers: the others wait for a free worker. */
  rc = _plab_crew_limit (k->crew, run->workers);
  for (int i = 0; i < n && rc >= 0; i++)
    {
      args[i] = (TaskArg){ k, i };
      rc = _plab_crew_start (k->crew, kitchen[i].name, task_cb, &args[i]);
    }
  if (rc >= 0)
    rc = _plab_crew_join (k->crew, "join the cooks");
  _plab_crew_free (k->crew);
  k->crew = NULL;
  return rc;
}

/* The classic text's figure for the time saved, shown beside the measured
 * one and never in its place. */
#define TEXT_SAVED_PERCENT 44.4

/* Where the for loop's time came from. */
typedef enum
{
  FOR_LOOP_THIS_RUN,    /* the serial backend: the run is the for loop */
  FOR_LOOP_SERIAL_RUN,  /* the serial run of the same sweep */
  FOR_LOOP_MEASURED_NOW /* a for loop measured just before the kitchen */
} ForLoopSource;

/* Short: the Result's value column is narrow. The notes say it in full. */
static const char *const for_loop_sources[] = {
  [FOR_LOOP_THIS_RUN] = "this run",
  [FOR_LOOP_SERIAL_RUN] = "sweep",
  [FOR_LOOP_MEASURED_NOW] = "this run",
};

static const char *const for_loop_notes[] = {
  [FOR_LOOP_THIS_RUN] = "the serial backend is the for loop: nothing to save against; run "
                        "another backend to compare",
  [FOR_LOOP_SERIAL_RUN] = "the for loop is this sweep's serial run",
  [FOR_LOOP_MEASURED_NOW] = "the for loop was measured in this run, just before the kitchen: "
                            "the wall time holds both",
};

static char *
result_json (PlabDemoRun *run,
             const Kitchen *k,
             int n,
             ForLoopSource source,
             double for_loop_s,
             double kitchen_s,
             double cpu_s)
{
  const char *mode = modes[(int)run->values[PARAM_MODE]];
  bool serial = source == FOR_LOOP_THIS_RUN;
  double saved = 100.0 * (1.0 - kitchen_s / for_loop_s);
  double bars[2] = { for_loop_s, kitchen_s };
  char name[96];
  const char *categories[2] = { "for loop", name };
  PlabBuf buf;

  /* "processes ×2", "pool ×2": the title and footer say the rest. */
  snprintf (name, sizeof name, "%s ×%d",
            mode == modes[MODE_PER_TASK] ? plab_backend_name (run->backend) : mode, run->workers);

  plab_buf_init (&buf);
  plab_buf_printf (&buf, "{\"tasks\": %d", n);
  _plab_demo_json_short (&buf, "for_loop_s", for_loop_s);
  plab_buf_append (&buf, ", \"for_loop_from\": ");
  plab_json_write_string (&buf, for_loop_sources[source]);
  /* A serial run is the for loop: nothing is saved against itself. */
  if (!serial)
    {
      _plab_demo_json_short (&buf, "kitchen_s", kitchen_s);
      _plab_demo_json_short (&buf, "saved_percent", saved);
      _plab_demo_json_short (&buf, "classic_saved_percent", TEXT_SAVED_PERCENT);
    }
  _plab_demo_json_short (&buf, "cpu_s", cpu_s);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "bars", "Time in the kitchen", "kitchen", "seconds");
  _plab_demo_json_bar_values (&buf, categories, "time (s)", bars, serial ? 1 : 2);
  plab_buf_append (&buf, ", \"notes\": [");
  if (!serial)
    plab_buf_printf (&buf,
                     "\"%.1f%% saved against the measured for loop; the text's figure is "
                     "%.1f%%, from its own tasks and machine: the cores, other programs and "
                     "the start of a worker move it\", ",
                     saved, TEXT_SAVED_PERCENT);
  plab_json_write_string (&buf, for_loop_notes[source]);
  for (int t = 0; t < n; t++)
    plab_buf_printf (&buf, ", \"%s (%s, %d units): %.2f s\"", kitchen[t].name,
                     kitchen[t].kind == KIND_CPU ? "cpu" : "oven", kitchen[t].units,
                     (k->sh->end_ns[t] - k->sh->start_ns[t]) / 1e9);
  plab_buf_append (&buf, "]}}");
  return plab_buf_steal (&buf);
}

/* One chef does the @n tasks one after another on the calling lane, as the
 * for loop of the classic text does, each recorded as "for loop: TASK".
 * Returns false when the run was stopped. */
static bool
measure_for_loop (const Kitchen *k, int n, int64_t *ns_out)
{
  int64_t t0 = plab_now_ns ();
  char label[PLAB_LABEL_MAX];
  bool ok = true;

  for (int t = 0; t < n && ok; t++)
    {
      int64_t ns = kitchen[t].units * k->unit_ns;

      snprintf (label, sizeof label, "for loop: %s", kitchen[t].name);
      if (kitchen[t].kind == KIND_CPU)
        ok = _plab_demo_cpu (NULL, ns, t, label, NULL);
      else
        ok = _plab_demo_wait (NULL, ns, PLAB_SPAN_SLEEP, t, label);
    }
  *ns_out = plab_now_ns () - t0;
  return ok;
}

int
_plab_demo_chef_run (PlabDemoRun *run)
{
  int mode = (int)run->values[PARAM_MODE];
  int n = (int)run->values[PARAM_TASKS];
  Kitchen k = { .unit_ns = (int64_t)run->values[PARAM_UNIT_MS] * 1000000 };
  ForLoopSource source = FOR_LOOP_THIS_RUN;
  double for_loop_s = 0;
  int64_t t0, cpu0, kitchen_ns, cpu_ns, for_loop_ns;
  int n_cpu = 0;
  int once = 0;
  int rc;

  k.sh = _plab_demo_shared_new (sizeof *k.sh);
  if (k.sh == NULL)
    {
      snprintf (run->error, sizeof run->error, "out of memory");
      return PLAB_ENOMEM;
    }
  if (mode == MODE_OVENS)
    {
      k.ovens = plab_semaphore_new ("ovens", (unsigned)run->values[PARAM_OVENS], 0);
      if (k.ovens == NULL)
        {
          rc = PLAB_ENOMEM;
          snprintf (run->error, sizeof run->error, "cannot make the ovens");
          goto fail;
        }
    }
  for (int t = 0; t < n; t++)
    n_cpu += kitchen[t].kind == KIND_CPU;
  if (run->backend != PLAB_BACKEND_SERIAL)
    {
      for_loop_s = _plab_demo_serial_number (run, "for_loop_s");
      source = for_loop_s > 0 ? FOR_LOOP_SERIAL_RUN : FOR_LOOP_MEASURED_NOW;
    }
  /* Progress counts task spans: every task in a pool, only the busy ones
   * otherwise (a bake is an oven span), and the busy ones of a for loop
   * measured first. */
  plab_demo_run_set_tasks_total (run, (source == FOR_LOOP_MEASURED_NOW ? n_cpu : 0)
                                          + (mode == MODE_POOL ? n : n_cpu));

  /* Measured before the clock starts and before any worker exists, so every
   * worker inherits the same figure for "5 units of kneading". */
  _plab_demo_spin_rate ();

  /* Without a serial run to compare with, the for loop is measured here,
   * with the same tasks on the same machine a moment before the kitchen:
   * the saved time compares two measurements, never a nominal sum. */
  if (source == FOR_LOOP_MEASURED_NOW)
    {
      if (!measure_for_loop (&k, n, &for_loop_ns))
        {
          rc = PLAB_ECANCELLED;
          snprintf (run->error, sizeof run->error, "cancelled");
          goto fail;
        }
      for_loop_s = for_loop_ns / 1e9;
    }

  cpu0 = plab_cpu_time_ns ();
  t0 = plab_now_ns ();
  if (mode == MODE_POOL)
    rc = run_pool (run, &k, n);
  else
    rc = run_crew (run, &k, n);
  kitchen_ns = plab_now_ns () - t0;
  /* The pool and the crew have reaped their processes by now, so their CPU
   * time is counted among this process's children. */
  cpu_ns = plab_cpu_time_ns () - cpu0;
  if (rc != 0)
    goto fail;
  if (source == FOR_LOOP_THIS_RUN)
    for_loop_s = kitchen_ns / 1e9;

  /* The check: every task done exactly once. */
  for (int t = 0; t < n; t++)
    once += atomic_load (&k.sh->done[t]) == 1;
  run->check_ok = once == n;
  if (!run->check_ok)
    snprintf (run->check_message, sizeof run->check_message,
              "only %d of %d tasks were done exactly once", once, n);
  else if (source == FOR_LOOP_THIS_RUN)
    snprintf (run->check_message, sizeof run->check_message,
              "all %d tasks done once, one after another: this is the for loop", n);
  else
    snprintf (run->check_message, sizeof run->check_message,
              "all %d tasks done once; %.1f%% saved against the measured for loop", n,
              100.0 * (1.0 - kitchen_ns / 1e9 / for_loop_s));
  run->result_json = result_json (run, &k, n, source, for_loop_s, kitchen_ns / 1e9, cpu_ns / 1e9);
  rc = 0;

fail:
  plab_semaphore_free (k.ovens);
  _plab_demo_shared_free (k.sh, sizeof *k.sh);
  return rc;
}
