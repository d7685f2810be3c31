/* plab-bench-core.c: what the core library costs, next to the raw POSIX
 * equivalent, measured in one run on the machine at hand.
 *
 * Every workload runs a few rounds for plab and a few for the raw code,
 * interleaved (plab, raw, plab, raw, ...), and reports the median round, so a
 * burst of noise on a shared machine lands on both sides alike. The raw code
 * is what a careful student would write by hand: fork and waitpid, a ring in
 * shared memory under a process-shared mutex, a socketpair, a bare
 * process-shared mutex. It does no tracing, no error reporting, no crash
 * handling: the ratio is the price of those.
 */
#include "plab-bench-core-private.h"

/* --- Helpers --- */

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of @n values (sorts them). */
double
_plab_bench_median (double *values, int n)
{
  if (n <= 0)
    return NAN;
  qsort (values, (size_t)n, sizeof *values, compare_doubles);
  if (n % 2 == 1)
    return values[n / 2];
  return (values[n / 2 - 1] + values[n / 2]) / 2;
}

double
_plab_bench_elapsed_s (int64_t t0)
{
  return (double)(plab_now_ns () - t0) / 1e9;
}

Figure *
_plab_bench_add_figure (Bench *b,
                        const char *id,
                        const char *name,
                        const char *unit,
                        bool higher_is_better,
                        TargetKind kind,
                        double limit)
{
  Figure *f = &b->figures[b->n_figures++];

  *f = (Figure){ .id = id,
                 .name = name,
                 .unit = unit,
                 .higher_is_better = higher_is_better,
                 .plab = NAN,
                 .raw = NAN,
                 .target_kind = kind,
                 .limit = limit,
                 .met = -1 };
  switch (kind)
    {
    case TARGET_RATIO_AT_MOST:
      snprintf (f->target, sizeof f->target, "<= %.2fx raw", limit);
      break;
    case TARGET_PLAB_AT_LEAST:
      snprintf (f->target, sizeof f->target, ">= %g %s", limit, unit);
      break;
    case TARGET_PLAB_AT_MOST:
      snprintf (f->target, sizeof f->target, "<= %g %s", limit, unit);
      break;
    case TARGET_PYTHON:
      snprintf (f->target, sizeof f->target, "%gx Python", limit);
      break;
    case TARGET_NONE:
      snprintf (f->target, sizeof f->target, "none set");
      break;
    }
  return f;
}

/* plab's cost over raw's: above 1 plab is slower. NAN without both figures. */
static double
cost_ratio (const Figure *f)
{
  if (isnan (f->plab) || isnan (f->raw) || f->plab <= 0 || f->raw <= 0)
    return NAN;
  return f->higher_is_better ? f->raw / f->plab : f->plab / f->raw;
}

void
_plab_bench_judge (Figure *f)
{
  double ratio = cost_ratio (f);

  f->met = -1;
  if (isnan (f->plab))
    return;
  switch (f->target_kind)
    {
    case TARGET_RATIO_AT_MOST:
      if (!isnan (ratio))
        f->met = ratio <= f->limit;
      break;
    case TARGET_PLAB_AT_LEAST:
      f->met = f->plab >= f->limit;
      break;
    case TARGET_PLAB_AT_MOST:
      f->met = f->plab <= f->limit;
      break;
    case TARGET_PYTHON:
    case TARGET_NONE:
      break;
    }
}

void
_plab_bench_fail_figure (Bench *b, Figure *f, int rc, const char *what)
{
  f->error = rc;
  f->plab = NAN;
  snprintf (f->note, sizeof f->note, "failed: %s: %s", what, plab_strerror (rc));
  if (b->first_error == 0)
    b->first_error = rc;
}

/* A zeroed anonymous shared mapping, as a raw program would make one. */
void *
_plab_bench_raw_shared_alloc (size_t size)
{
  void *mem = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return mem == MAP_FAILED ? NULL : mem;
}

/* Forks a child running @func (@arg) and exiting with its result. */
pid_t
_plab_bench_raw_spawn (int (*func) (void *), void *arg)
{
  pid_t pid = fork ();

  if (pid == 0)
    _exit (func (arg) & 0xff);
  return pid;
}

/* Waits for a raw child; returns its exit code, or -1 when it did not exit. */
int
_plab_bench_raw_reap (pid_t pid)
{
  int status;

  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* Starts a plab process running @func (@arg). */
int
_plab_bench_spawn (int (*func) (void *), void *arg, PlabProcess **out)
{
  PlabProcess *p = plab_process_new ("bench", func, arg);
  int rc;

  *out = NULL;
  if (p == NULL)
    return PLAB_ENOMEM;
  rc = plab_process_start (p);
  if (rc != 0)
    {
      plab_process_free (p);
      return rc;
    }
  *out = p;
  return 0;
}

/* Joins and frees a plab process; returns 0 when it exited with code 0. */
int
_plab_bench_reap (PlabProcess *p)
{
  PlabExitStatus st;
  int rc = plab_process_join (p, -1, &st);

  plab_process_free (p);
  if (rc != 0)
    return rc;
  return st.state == PLAB_PROCESS_EXITED && st.code == 0 ? 0 : PLAB_ETASK;
}

/* --- Recording one span --- */

void
_plab_bench_span (Bench *b)
{
  enum
  {
    BATCH = 100000,
    ROUNDS = 21
  };
  Figure *f = _plab_bench_add_figure (b, "span_record", "record one span (2 clock reads + store)",
                                      "ns", false, TARGET_PLAB_AT_MOST, 80);
  PlabTrace *trace = plab_trace_new ();
  double rec[ROUNDS], clk[ROUNDS];
  volatile int64_t sink = 0;
  PlabLaneInfo lane;

  if (trace == NULL)
    {
      _plab_bench_fail_figure (b, f, PLAB_ENOMEM, "plab_trace_new");
      return;
    }
  for (int r = 0; r < ROUNDS; r++)
    {
      int64_t t0 = plab_now_ns ();

      for (int i = 0; i < BATCH; i++)
        {
          int64_t s = plab_now_ns ();
          plab_span (PLAB_SPAN_TASK, s, plab_now_ns (), i, "x*x");
        }
      rec[r] = (double)(plab_now_ns () - t0) / BATCH;
      plab_trace_drain (trace);

      /* The same two clock reads, kept alive, without the store. */
      t0 = plab_now_ns ();
      for (int i = 0; i < BATCH; i++)
        {
          int64_t s = plab_now_ns ();
          sink += plab_now_ns () - s;
        }
      clk[r] = (double)(plab_now_ns () - t0) / BATCH;
    }
  plab_trace_get_lane (trace, 0, &lane);
  f->plab = _plab_bench_median (rec, ROUNDS);
  f->raw = _plab_bench_median (clk, ROUNDS);
  snprintf (f->note, sizeof f->note, "median of %d rounds of %d spans; %llu dropped", ROUNDS, BATCH,
            (unsigned long long)lane.dropped);
  plab_trace_free (trace);
  _plab_bench_judge (f);
}

/* --- Process start and join --- */

static int
do_nothing (void *arg)
{
  return 0;
}

void
_plab_bench_process_start (Bench *b)
{
  enum
  {
    N = 100,
    ROUNDS = 7
  };
  Figure *f = _plab_bench_add_figure (b, "process_start", "process start + join", "us", false,
                                      TARGET_RATIO_AT_MOST, 1.3);
  double plab_us[ROUNDS], raw_us[ROUNDS];

  for (int r = 0; r < ROUNDS; r++)
    {
      int64_t t0 = plab_now_ns ();

      for (int i = 0; i < N; i++)
        {
          PlabProcess *p;
          int rc = _plab_bench_spawn (do_nothing, NULL, &p);
          if (rc == 0)
            rc = _plab_bench_reap (p);
          if (rc != 0)
            {
              _plab_bench_fail_figure (b, f, rc, "plab process");
              return;
            }
        }
      plab_us[r] = _plab_bench_elapsed_s (t0) / N * 1e6;

      t0 = plab_now_ns ();
      for (int i = 0; i < N; i++)
        {
          pid_t pid = fork ();
          if (pid == 0)
            _exit (0);
          waitpid (pid, NULL, 0);
        }
      raw_us[r] = _plab_bench_elapsed_s (t0) / N * 1e6;
    }
  f->plab = _plab_bench_median (plab_us, ROUNDS);
  f->raw = _plab_bench_median (raw_us, ROUNDS);
  snprintf (f->note, sizeof f->note, "median of %d rounds of %d; raw: fork + waitpid", ROUNDS, N);
  _plab_bench_judge (f);
}

/* --- Output --- */

static void
print_json_string (FILE *out, const char *s)
{
  fputc ('"', out);
  for (; *s; s++)
    {
      unsigned char c = (unsigned char)*s;
      if (c == '"' || c == '\\')
        fprintf (out, "\\%c", c);
      else if (c < 0x20)
        fprintf (out, "\\u%04x", c);
      else
        fputc (c, out);
    }
  fputc ('"', out);
}

static void
print_json_number (FILE *out, double v)
{
  if (isnan (v) || isinf (v))
    fputs ("null", out);
  else
    fprintf (out, "%.6g", v);
}

static void
print_json (FILE *out, const Bench *b, const PlabMachineInfo *m)
{
  fputs ("{\"machine\": {\"host\": ", out);
  print_json_string (out, m->host);
  fputs (", \"cpu\": ", out);
  print_json_string (out, m->cpu_model);
  fprintf (out, ", \"usable_cpus\": %d, \"online_cpus\": %d, \"os\": ", m->usable_cpus,
           m->online_cpus);
  print_json_string (out, m->os);
  fputs (", \"compiler\": ", out);
  print_json_string (out, m->compiler);
  fputs (", \"version\": ", out);
  print_json_string (out, m->version);
  fputs ("}, \"figures\": [", out);
  for (int i = 0; i < b->n_figures; i++)
    {
      const Figure *f = &b->figures[i];

      fputs (i ? ",\n  {\"id\": " : "\n  {\"id\": ", out);
      print_json_string (out, f->id);
      fputs (", \"name\": ", out);
      print_json_string (out, f->name);
      fputs (", \"unit\": ", out);
      print_json_string (out, f->unit);
      fprintf (out,
               ", \"higher_is_better\": %s, \"plab\": ", f->higher_is_better ? "true" : "false");
      print_json_number (out, f->plab);
      fputs (", \"raw\": ", out);
      print_json_number (out, f->raw);
      fputs (", \"ratio\": ", out);
      print_json_number (out, cost_ratio (f));
      fputs (", \"target\": ", out);
      print_json_string (out, f->target);
      fprintf (out, ", \"met\": %s, \"note\": ", f->met < 0 ? "null" : f->met ? "true" : "false");
      print_json_string (out, f->note);
      fputc ('}', out);
    }
  fputs ("\n]}\n", out);
}

static void
print_value (FILE *out, double v, const char *unit)
{
  char buf[48];

  if (isnan (v))
    snprintf (buf, sizeof buf, "-");
  else
    snprintf (buf, sizeof buf, "%.*f %s", fabs (v) >= 100 ? 1 : fabs (v) >= 10 ? 2 : 3, v, unit);
  fprintf (out, " %16s", buf);
}

static void
print_table (FILE *out, const Bench *b, const PlabMachineInfo *m)
{
  fprintf (out, "machine: %s, %s, %d usable CPUs (%d online), %s, %s, plab %s\n",
           m->host[0] ? m->host : "?", m->cpu_model[0] ? m->cpu_model : "unknown CPU",
           m->usable_cpus, m->online_cpus, m->os[0] ? m->os : "?",
           m->compiler[0] ? m->compiler : "?", m->version[0] ? m->version : "?");
  fprintf (out, "%-52s %16s %16s %7s  %-18s %s\n", "workload", "plab", "raw", "ratio", "target",
           "met");
  for (int i = 0; i < b->n_figures; i++)
    {
      const Figure *f = &b->figures[i];
      double ratio = cost_ratio (f);

      fprintf (out, "%-52s", f->name);
      print_value (out, f->plab, f->unit);
      print_value (out, f->raw, f->unit);
      if (isnan (ratio))
        fprintf (out, " %7s", "-");
      else
        fprintf (out, " %6.2fx", ratio);
      fprintf (out, "  %-18s %s\n", f->target,
               f->met < 0 ? (f->target_kind == TARGET_PYTHON ? "(python)" : "-")
               : f->met   ? "yes"
                          : "no");
    }
  fputs ("\nratio: plab's cost over raw's (time over time, or rate inverted); 1.00x is as fast.\n"
         "Targets against Python: run tests/bench/python_compare.py.\n",
         out);
  for (int i = 0; i < b->n_figures; i++)
    if (b->figures[i].note[0])
      fprintf (out, "  %s: %s\n", b->figures[i].id, b->figures[i].note);
}

/* PLAB_BENCH_ONLY=id,id,... runs only those workloads (to look into one). */
static bool
selected (const char *id)
{
  const char *only = getenv ("PLAB_BENCH_ONLY");
  size_t len = strlen (id);

  if (only == NULL || only[0] == '\0')
    return true;
  for (const char *p = only; (p = strstr (p, id)) != NULL; p += len)
    if ((p == only || p[-1] == ',') && (p[len] == '\0' || p[len] == ','))
      return true;
  return false;
}

int
plab_bench_core_run (FILE *out, int json)
{
  Bench *b = calloc (1, sizeof *b);
  PlabMachineInfo m;
  int rc;

  if (b == NULL)
    return PLAB_ENOMEM;
  /* Children are forked below: nothing buffered may be written twice. */
  fflush (out);

  if (selected ("process_start"))
    _plab_bench_process_start (b);
  if (selected ("pool_map_chunk1"))
    _plab_bench_pool_map (b, 1);
  if (selected ("pool_map_auto"))
    _plab_bench_pool_map (b, 0);
  if (selected ("futures"))
    _plab_bench_futures (b);
  if (selected ("imap"))
    _plab_bench_imap (b);
  if (selected ("queue_small"))
    _plab_bench_queue (b, 1000000, 8);
  if (selected ("queue_64b"))
    _plab_bench_queue (b, 1000000, 64);
  if (selected ("queue_4k"))
    _plab_bench_queue (b, 100000, 4 * 1024);
  if (selected ("queue_large"))
    _plab_bench_queue (b, 10000, 64 * 1024);
  if (selected ("queue_2p"))
    _plab_bench_queue_producers (b, 2, 1000000, 8);
  if (selected ("queue_4p"))
    _plab_bench_queue_producers (b, 4, 1000000, 8);
  if (selected ("queue_2p_large"))
    _plab_bench_queue_producers (b, 2, 10000, 64 * 1024);
  if (selected ("pipe_round_trip"))
    _plab_bench_pipe (b);
  if (selected ("lock_counter"))
    _plab_bench_lock_counter (b, 2);
  if (selected ("lock_counter_4"))
    _plab_bench_lock_counter (b, 4);
  if (selected ("lock_counter_8"))
    _plab_bench_lock_counter (b, 8);
  if (selected ("span_record"))
    _plab_bench_span (b);
  if (selected ("trace_map_chunk1"))
    _plab_bench_trace_map (b, 1);
  if (selected ("trace_map_auto"))
    _plab_bench_trace_map (b, 0);
  if (selected ("trace_overhead"))
    _plab_bench_trace_overhead (b);
  if (selected ("drain_sqlite"))
    _plab_bench_drain (b);

  plab_machine_info (&m);
  if (json)
    print_json (out, b, &m);
  else
    print_table (out, b, &m);
  fflush (out);
  rc = b->first_error;
  free (b);
  return rc;
}