/* plab-demo-pool-vs-process.c: one Process per task against a Pool, for
 * I/O-bound and for CPU-bound tasks.
 *
 * This demo teaches that the right tool depends on what the tasks wait for.
 * Writing a file to a slow device is mostly waiting, so starting one process
 * per task, all at once, lets all the waits overlap, while a pool of two
 * workers writes two files at a time: the classic text measured 0.10 s with a
 * Process per task against 0.20 s with a Pool. That holds only while the
 * wait is much longer than starting a process (a few milliseconds): the
 * defaults, 12 files each waiting 200 ms for the device, make it so on any
 * laptop, while 200 files with no extra latency usually let the Pool win.
 * CPU-bound tasks flip the answer too: the processes still share the cores,
 * and each one costs a start, so the pool, which starts its workers once,
 * wins. Both ways run in every run, one after the other, on the same tasks.
 */
#include "plab-demo-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_pool_vs_process_lesson[]
    = "Each run does the same tasks twice: first with one Process per task, all started at "
      "once, then with a Pool of Workers. With Kind io each task writes a file, syncs it, "
      "closes it and waits for the device: Latency ms (200 by default) stands for a slow "
      "disk or a network share. A process per task wins when that wait is much longer than "
      "starting a process (a few milliseconds), the condition behind the classic text's "
      "0.10 s against 0.20 s: the 12 waits overlap and the whole takes about one wait, while "
      "a Pool of 2 waits 6 times in a row. Set Tasks to 200 and Latency to 0: "
      "the waits are now about as short as the starts, and the Pool usually wins. Choose "
      "Kind cpu and the answer flips too: "
      "the processes only share the cores, each start costs time, and the pool, started "
      "once, is faster. The waits overlap on the gil backend as well, because a thread "
      "blocked in I/O gives the interpreter lock away.";

enum
{
  PARAM_KIND,
  PARAM_TASKS,
  PARAM_SIZE_KB,
  PARAM_LATENCY_MS,
  PARAM_CPU_MS,
  N_PARAMS
};

enum
{
  KIND_IO,
  KIND_CPU
};

#define MAX_TASKS 200

/* The classic text's times for its I/O tasks, shown as its figures. */
#define TEXT_PROCESS_S 0.10
#define TEXT_POOL_S 0.20
#define MAX_SIZE_KB 4096

static const char *const kinds[] = { "io", "cpu", NULL };

const PlabParamSpec _plab_demo_pool_vs_process_params[N_PARAMS] = {
  [PARAM_KIND]
  = { "kind", PLAB_PARAM_CHOICE,
      "io: each task writes a file and closes it; cpu: each task computes", KIND_IO, 0, 0, kinds },
  [PARAM_TASKS]
  = { "tasks", PLAB_PARAM_INT, "tasks, run both ways", 12, 1, MAX_TASKS, NULL, "tasks" },
  [PARAM_SIZE_KB] = { "size_kb", PLAB_PARAM_INT, "kilobytes each io task writes (then fsync)", 16,
                      1, MAX_SIZE_KB, NULL, "KB" },
  [PARAM_LATENCY_MS] = { "latency_ms", PLAB_PARAM_DOUBLE,
                         "extra device latency per file, standing for a slow disk or a network "
                         "share (0: only your disk's own)",
                         200, 0, 1000, NULL, "ms" },
  [PARAM_CPU_MS] = { "cpu_ms", PLAB_PARAM_DOUBLE, "milliseconds of CPU work per cpu task", 10, 0.1,
                     1000, NULL, "ms" },
};

/* done[phase][task] counts how often a task ran (atomically, so that a task
 * run twice would show). Everything else is read-only once workers start. */
typedef struct
{
  _Atomic int done[2][MAX_TASKS];
} FilesShared;

typedef struct
{
  FilesShared *sh;
  bool io;
  char dir[256];
  size_t size;
  int64_t latency_ns;
  int64_t cpu_ns;
  const char *block; /* size bytes of text to write */
} Files;

typedef struct
{
  Files *f;
  int phase;
  int task;
} TaskArg;

static void
file_path (const Files *f, int phase, int task, char *buf, size_t size)
{
  snprintf (buf, size, "%s/%s-%03d.txt", f->dir, phase == 0 ? "process" : "pool", task);
}

/* Writes one file and closes it: the I/O-bound task. */
static bool
write_file (PlabCrew *crew, Files *f, int phase, int task)
{
  char path[300];
  bool ok = true;
  bool gil;
  int fd;

  file_path (f, phase, task, path, sizeof path);
  /* Blocking system calls give the interpreter lock away, as in CPython. */
  gil = plab_gil_release ();
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write (fd, f->block, f->size) != (ssize_t)f->size || fsync (fd) != 0)
    ok = false;
  if (fd >= 0 && close (fd) != 0)
    ok = false;
  plab_gil_acquire (gil);
  if (ok && f->latency_ns > 0)
    ok = _plab_demo_wait (crew, f->latency_ns, PLAB_SPAN_IO, task, NULL);
  return ok;
}

static bool
do_task (PlabCrew *crew, Files *f, int phase, int task, bool record)
{
  char label[PLAB_LABEL_MAX];
  int64_t t0 = plab_now_ns ();
  bool ok;

  if (f->io)
    {
      snprintf (label, sizeof label, "write file %d", task);
      ok = write_file (crew, f, phase, task);
      if (record)
        plab_span (PLAB_SPAN_IO, t0, plab_now_ns (), task, label);
    }
  else
    {
      snprintf (label, sizeof label, "compute %d", task);
      ok = _plab_demo_cpu (crew, f->cpu_ns, task, record ? label : NULL, NULL);
    }
  if (ok)
    atomic_fetch_add (&f->sh->done[phase][task], 1);
  return ok;
}

static int
process_task_cb (PlabCrew *crew, void *arg)
{
  TaskArg *a = arg;

  return do_task (crew, a->f, a->phase, a->task, true) ? 0 : 1;
}

static int
pool_task_cb (const void *item, void *result, void *user_data)
{
  int32_t task;

  memcpy (&task, item, sizeof task);
  /* The pool's own task span names the task. */
  return do_task (NULL, user_data, 1, task, false) ? 0 : PLAB_ESYS;
}

static void
label_cb (size_t index, const void *item, char *label, size_t size, void *user_data)
{
  const Files *f = user_data;

  snprintf (label, size, f->io ? "write file %zu" : "compute %zu", index);
}

static int
run_processes (PlabDemoRun *run, Files *f, int n)
{
  TaskArg *args = calloc ((size_t)n, sizeof *args);
  PlabCrew *crew = args ? _plab_crew_new (run) : NULL;
  int rc = 0;

  if (crew == NULL)
    {
      free (args);
      return PLAB_ENOMEM;
    }
  for (int i = 0; i < n && rc >= 0; i++)
    {
      args[i] = (TaskArg){ f, 0, i };
      rc = _plab_crew_startf (crew, process_task_cb, &args[i], "task %d", i);
    }
  if (rc >= 0)
    rc = _plab_crew_join (crew, "join the tasks");
  _plab_crew_free (crew);
  free (args);
  return rc;
}

static int
run_pool (PlabDemoRun *run, Files *f, int n)
{
  PlabMap map = { .func = pool_task_cb, .user_data = f, .label = label_cb, .n_items = (size_t)n };

  return _plab_demo_pool_map_tasks (run, NULL, "pool", &map);
}

/* Counts the files of @phase that exist with the right size, and removes them. */
static int
check_and_remove (const Files *f, int phase, int n)
{
  int good = 0;

  for (int i = 0; i < n; i++)
    {
      char path[300];
      struct stat st;

      file_path (f, phase, i, path, sizeof path);
      if (stat (path, &st) == 0 && (size_t)st.st_size == f->size)
        good++;
      unlink (path);
    }
  return good;
}

int
_plab_demo_pool_vs_process_run (PlabDemoRun *run)
{
  int n = (int)run->values[PARAM_TASKS];
  Files f = {
    .io = run->values[PARAM_KIND] == KIND_IO,
    .size = (size_t)run->values[PARAM_SIZE_KB] * 1024,
    .latency_ns = (int64_t)(run->values[PARAM_LATENCY_MS] * 1e6),
    .cpu_ns = (int64_t)(run->values[PARAM_CPU_MS] * 1e6),
  };
  const char *tmp = getenv ("TMPDIR");
  char *block = NULL;
  int64_t t0, cpu0, process_ns = 0, pool_ns = 0;
  int once = 0, files = 0;
  bool have_dir = false;
  PlabBuf buf;
  double bars[2];
  char name[64];
  const char *categories[2] = { "Process per task", name };
  int rc;

  f.sh = _plab_demo_shared_new (sizeof *f.sh);
  block = malloc (f.size);
  if (f.sh == NULL || block == NULL)
    {
      rc = PLAB_ENOMEM;
      snprintf (run->error, sizeof run->error, "out of memory");
      goto fail;
    }
  for (size_t i = 0; i < f.size; i++)
    block[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
  f.block = block;
  if (f.io)
    {
      snprintf (f.dir, sizeof f.dir, "%s/plab-files-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
      if (mkdtemp (f.dir) == NULL)
        {
          rc = PLAB_ESYS;
          snprintf (run->error, sizeof run->error, "cannot make a directory for the files: %s",
                    strerror (errno));
          goto fail;
        }
      have_dir = true;
    }
  else
    _plab_demo_spin_rate ();
  /* Progress counts task spans; a file written by its own process is an I/O span. */
  plab_demo_run_set_tasks_total (run, f.io ? n : 2 * n);

  /* One Process (or thread) per task, then the same tasks on a pool. */
  cpu0 = plab_cpu_time_ns ();
  t0 = plab_now_ns ();
  rc = run_processes (run, &f, n);
  process_ns = plab_now_ns () - t0;
  if (rc == 0)
    {
      t0 = plab_now_ns ();
      rc = run_pool (run, &f, n);
      pool_ns = plab_now_ns () - t0;
    }
  if (rc == PLAB_ECANCELLED)
    snprintf (run->error, sizeof run->error, "cancelled");
  else if (rc != 0 && run->error[0] == '\0')
    snprintf (run->error, sizeof run->error, "%s", plab_strerror (rc));
  if (rc != 0)
    goto fail;

  /* The check: every task ran once each way, and every file is complete. */
  for (int p = 0; p < 2; p++)
    for (int i = 0; i < n; i++)
      once += atomic_load (&f.sh->done[p][i]) == 1;
  if (f.io)
    files = check_and_remove (&f, 0, n) + check_and_remove (&f, 1, n);
  run->check_ok = once == 2 * n && (!f.io || files == 2 * n);
  snprintf (run->check_message, sizeof run->check_message,
            "%d of %d tasks ran once each way%s; Process per task %.3f s, Pool %.3f s", once / 2, n,
            f.io ? (files == 2 * n ? ", all files complete" : ", FILES MISSING") : "",
            process_ns / 1e9, pool_ns / 1e9);

  bars[0] = process_ns / 1e9;
  bars[1] = pool_ns / 1e9;
  snprintf (name, sizeof name, "Pool of %d",
            run->backend == PLAB_BACKEND_SERIAL ? 1 : run->workers);
  plab_buf_init (&buf);
  plab_buf_printf (&buf, "{\"kind\": \"%s\", \"tasks\": %d, \"process_per_task_s\": ",
                   kinds[f.io ? KIND_IO : KIND_CPU], n);
  plab_json_write_short (&buf, bars[0]);
  _plab_demo_json_short (&buf, "pool_s", bars[1]);
  /* Both ways; their processes have been reaped. */
  _plab_demo_json_short (&buf, "cpu_s", (plab_cpu_time_ns () - cpu0) / 1e9);
  plab_buf_printf (&buf, ", \"faster\": \"%s\"",
                   process_ns < pool_ns ? "Process per task" : "Pool");
  /* The classic text's figures, for I/O, beside the measured ones. */
  if (f.io)
    {
      _plab_demo_json_short (&buf, "text_process_per_task_s", TEXT_PROCESS_S);
      _plab_demo_json_short (&buf, "text_pool_s", TEXT_POOL_S);
    }
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "bars", "Process per task or Pool", "how", "seconds");
  _plab_demo_json_bar_values (&buf, categories, "time (s)", bars, 2);
  plab_buf_printf (&buf, ", \"notes\": [\"%s tasks: %s was faster (measured)\"",
                   f.io ? "I/O-bound" : "CPU-bound",
                   process_ns < pool_ns ? "a Process per task" : "the Pool");
  if (f.io)
    plab_buf_printf (&buf,
                     ", \"the text's figures: %.2f s with a Process per task, %.2f s with a "
                     "Pool; its files, device and machine were not these, so the times differ: "
                     "what carries over is which way wins while the wait dominates the start\"",
                     TEXT_PROCESS_S, TEXT_POOL_S);
  plab_buf_append (&buf, "]}}");
  run->result_json = plab_buf_steal (&buf);
  rc = 0;

fail:
  if (have_dir)
    {
      if (rc != 0)
        {
          check_and_remove (&f, 0, n);
          check_and_remove (&f, 1, n);
        }
      rmdir (f.dir);
    }
  free (block);
  _plab_demo_shared_free (f.sh, sizeof *f.sh);
  return rc;
}
