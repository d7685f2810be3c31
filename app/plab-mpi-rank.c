/* plab-mpi-rank.c: one rank of a demo on the mpi backend.
 *
 * `plab run DEMO -b mpi -j N` starts N copies of this program with Open
 * MPI's mpirun (plab-cli-run-mpi.c), on this machine or on the hosts of a
 * host file. Memory is not shared between ranks: whatever a rank needs
 * travels in a message, and each demo here shows what that costs (a
 * scatter of the items, a broadcast of the samples, a gather of the
 * results), where the pool backends only hand out indices.
 *
 * A rank does not write to the run store (it may be on another host): it
 * writes what it records to its stdout, one line per event, each line in
 * one write (). mpirun writes each rank's stdout to a file of its own, whole
 * and in order, which the runner reads (plab-cli-run-mpi.c), and forwards
 * it to its own stdout too, in pieces that may land inside another rank's
 * line. The runner puts the lines into the run's trace.
 *
 *   @plab <rank> H <host> <pid> <size> <now>            hello
 *   @plab <rank> O <start|end> <offset_ns> <uncert_ns>  clock offset to rank 0
 *   @plab <rank> S <kind> <start> <end> <task> <flow> <item> <label>   a span
 *   @plab 0 R <check_ok> <check message> <result json>  the result (rank 0)
 *   @plab <rank> E <lines>                              lines written before this one
 *
 * and each line ends with a tab and a check of the rest
 * (plab_mpi_line_check ()), so that a line cut and joined on mpirun's
 * stdout is told from a whole one.
 * Times are this rank's CLOCK_MONOTONIC; the offset says how far it is
 * ahead of rank 0's (measured by ping-pong with rank 0, the best of
 * OFFSET_ROUNDS, at start and at end; the uncertainty is half the round
 * trip). Fields are separated by tabs; a label never holds one.
 */
#include <mpi.h>

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plab-demo-private.h"
#include "plab-demo.h"
#include "plab-mpi-private.h"

#define OFFSET_ROUNDS 16
#define LINE_MAX_BYTES 3800 /* below PIPE_BUF: one write () arrives whole */
#define TAG_CLOCK 1
#define TAG_WORK 2

typedef struct
{
  int rank;
  int size;
  PlabDemoRun run;
  char host[64];
} Rank;

/* This rank's clock: CLOCK_MONOTONIC, moved by PLAB_TEST_CLOCK_SKEW_NS on
 * every rank but 0. A test on one machine so gives its ranks clocks as far
 * apart as two hosts' may be; the offsets the ranks measure must cancel it. */
static int64_t clock_skew_ns;

static int64_t
rank_now (void)
{
  return plab_now_ns () + clock_skew_ns;
}

/* How many lines this rank has written: its last line says, so that the
 * runner can tell how many it lost where it reads them from mpirun's stdout. */
static long long lines_written;

static void
emit (const Rank *self, const char *format, ...)
{
  char line[LINE_MAX_BYTES];
  va_list ap;
  int n = snprintf (line, sizeof line, "@plab\t%d\t", self->rank);
  unsigned int check;
  bool cut;

  va_start (ap, format);
  n += vsnprintf (line + n, sizeof line - (size_t)n - 1, format, ap);
  va_end (ap);
  /* Room for the tab, the check and the newline. A line cut here to fit
   * is not whole: its check is made not to match, so that the runner
   * counts it lost rather than reading what is left of it. */
  cut = n > (int)sizeof line - PLAB_MPI_CHECK_DIGITS - 3;
  if (cut)
    n = (int)sizeof line - PLAB_MPI_CHECK_DIGITS - 3;
  check = plab_mpi_line_check (line, (size_t)n);
  n += snprintf (line + n, sizeof line - (size_t)n, "\t%08x\n", cut ? ~check : check);
  for (ssize_t done = 0, w; done < n; done += w)
    if ((w = write (STDOUT_FILENO, line + done, (size_t)(n - done))) <= 0)
      return;
  lines_written++;
}

static void
span_flow (const Rank *self,
           PlabSpanKind kind,
           int64_t start_ns,
           int64_t task,
           const char *label,
           PlabFlow flow,
           int item)
{
  emit (self, "S\t%d\t%lld\t%lld\t%lld\t%d\t%d\t%s", (int)kind, (long long)start_ns,
        (long long)rank_now (), (long long)task, (int)flow, item, label);
}

static void
span (const Rank *self, PlabSpanKind kind, int64_t start_ns, int64_t task, const char *label)
{
  span_flow (self, kind, start_ns, task, label, PLAB_FLOW_NONE, -1);
}

/* Each rank's clock against rank 0's, one rank after the other: the rank
 * sends its time, rank 0 answers with its own, and the rank takes the
 * middle of its round trip as the moment rank 0 read its clock. */
static void
measure_offset (const Rank *self, const char *when)
{
  for (int r = 1; r < self->size; r++)
    {
      if (self->rank == 0)
        for (int i = 0; i < OFFSET_ROUNDS; i++)
          {
            int64_t t;

            MPI_Recv (&t, 1, MPI_INT64_T, r, TAG_CLOCK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            t = rank_now ();
            MPI_Send (&t, 1, MPI_INT64_T, r, TAG_CLOCK, MPI_COMM_WORLD);
          }
      else if (self->rank == r)
        {
          int64_t best_rtt = INT64_MAX, best_offset = 0;

          for (int i = 0; i < OFFSET_ROUNDS; i++)
            {
              int64_t t1 = rank_now (), t0, t2;

              MPI_Send (&t1, 1, MPI_INT64_T, 0, TAG_CLOCK, MPI_COMM_WORLD);
              MPI_Recv (&t0, 1, MPI_INT64_T, 0, TAG_CLOCK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
              t2 = rank_now ();
              if (t2 - t1 < best_rtt)
                {
                  best_rtt = t2 - t1;
                  best_offset = t1 + (t2 - t1) / 2 - t0;
                }
            }
          emit (self, "O\t%s\t%lld\t%lld", when, (long long)best_offset,
                (long long)(best_rtt / 2 + 1));
        }
    }
  if (self->rank == 0)
    emit (self, "O\t%s\t0\t0", when);
}

static void
barrier (const Rank *self, const char *label)
{
  int64_t t0 = rank_now ();

  MPI_Barrier (MPI_COMM_WORLD);
  span (self, PLAB_SPAN_COLLECTIVE, t0, -1, label);
}

/* The share of @n items of rank @rank: [*start, *start + *count). */
static void
share_of (int64_t n, int size, int rank, int64_t *start, int64_t *count)
{
  *count = n / size + (rank < n % size);
  *start = rank * (n / size) + (rank < n % size ? rank : n % size);
}

static void
shares (int64_t n, int size, int *counts, int *displs, int unit)
{
  for (int r = 0; r < size; r++)
    {
      int64_t start, count;

      share_of (n, size, r, &start, &count);
      counts[r] = (int)(count * unit);
      displs[r] = (int)(start * unit);
    }
}

/* Rank 0's result line, held until every rank has written its last line:
 * see emit_result (). */
static char *held_result;

static void
report (const Rank *self, bool ok, const char *check, const char *json)
{
  if (self->rank != 0)
    return;
  free (held_result);
  if (asprintf (&held_result, "R\t%d\t%s\t%s", ok ? 1 : 0, check, json) < 0)
    held_result = NULL;
}

/* The runner reads each rank's output from a file of its own, whole; only
 * where it cannot see that file does it read mpirun's merged stdout, in
 * which another rank's piece may land inside a line. So rank 0 writes the
 * result last, after a barrier that every rank reaches once it has written
 * everything (its last line, E, says how many it wrote, the result not
 * counted): there, little else is left to cut it. No pause is made for
 * that case: it would be inside every run's measured time. */
static void
emit_result (const Rank *self)
{
  emit (self, "E\t%lld", lines_written);
  MPI_Barrier (MPI_COMM_WORLD);
  if (self->rank != 0 || held_result == NULL)
    return;
  emit (self, "%s", held_result);
  free (held_result);
  held_result = NULL;
}

/* --- squares: scatter the numbers, square them, gather the squares --- */

static int
run_squares (Rank *self)
{
  int64_t n = (int64_t)plab_demo_run_get (&self->run, "n");
  int64_t work = (int64_t)plab_demo_run_get (&self->run, "work");
  int64_t crash = (int64_t)plab_demo_run_get (&self->run, "crash_item");
  int64_t chunk = (int64_t)plab_demo_run_get (&self->run, "chunk_size");
  int *counts = calloc ((size_t)self->size, sizeof *counts);
  int *displs = calloc ((size_t)self->size, sizeof *displs);
  int64_t *all = NULL, *mine, *squares = NULL, start, count, t0;
  int64_t correct = 0;
  long double sum = 0;
  char check[160], json[400];

  share_of (n, self->size, self->rank, &start, &count);
  shares (n, self->size, counts, displs, 1);
  mine = malloc ((size_t)(count ? count : 1) * sizeof *mine);
  if (self->rank == 0)
    {
      all = malloc ((size_t)n * sizeof *all);
      squares = malloc ((size_t)n * sizeof *squares);
      for (int64_t i = 0; i < n; i++)
        all[i] = i;
    }
  if (chunk <= 0)
    chunk = count / 8 + 1;
  t0 = rank_now ();
  MPI_Scatterv (all, counts, displs, MPI_INT64_T, mine, (int)count, MPI_INT64_T, 0, MPI_COMM_WORLD);
  span (self, PLAB_SPAN_COLLECTIVE, t0, -1, "MPI_Scatterv numbers");
  for (int64_t c = 0; c < count; c += chunk)
    {
      int64_t end = c + chunk < count ? c + chunk : count;
      char label[PLAB_LABEL_MAX];

      t0 = rank_now ();
      for (int64_t i = c; i < end; i++)
        {
          uint64_t acc = (uint64_t)mine[i];

          /* The deliberate crash: the rank dies as a segfault would end it. */
          if (mine[i] == crash)
            raise (SIGSEGV);
          for (int64_t k = 0; k < work; k++)
            {
              acc = acc * 6364136223846793005u + 1442695040888963407u;
              __asm__ volatile("" : "+r"(acc));
            }
          mine[i] = mine[i] * mine[i] + (int64_t)(acc & 0);
        }
      snprintf (label, sizeof label, "squares %lld..%lld", (long long)(start + c),
                (long long)(start + end - 1));
      span (self, PLAB_SPAN_TASK, t0, (start + c) / chunk, label);
    }
  /* The squares come back by point-to-point messages, one per rank, so
   * that the timeline draws each as an arrow from its send to its receive
   * (the item is the sending rank). */
  if (self->rank != 0)
    {
      t0 = rank_now ();
      MPI_Send (mine, (int)count, MPI_INT64_T, 0, TAG_WORK, MPI_COMM_WORLD);
      span_flow (self, PLAB_SPAN_SEND, t0, -1, "MPI_Send squares", PLAB_FLOW_PUT, self->rank);
    }
  else
    {
      memcpy (squares, mine, (size_t)count * sizeof *mine);
      for (int r = 1; r < self->size; r++)
        {
          char label[PLAB_LABEL_MAX];

          snprintf (label, sizeof label, "MPI_Recv squares of %d", r);
          t0 = rank_now ();
          MPI_Recv (squares + displs[r], counts[r], MPI_INT64_T, r, TAG_WORK, MPI_COMM_WORLD,
                    MPI_STATUS_IGNORE);
          span_flow (self, PLAB_SPAN_RECV, t0, -1, label, PLAB_FLOW_GET, r);
        }
      for (int64_t i = 0; i < n; i++)
        {
          correct += squares[i] == i * i;
          sum += (long double)squares[i];
        }
      snprintf (check, sizeof check, "%lld of %lld squares correct", (long long)correct,
                (long long)n);
      snprintf (json, sizeof json,
                "{\"n\": %lld, \"correct\": %lld, \"lost\": 0, \"sum\": %.0Lf, \"ranks\": %d, "
                "\"bytes_sent\": %lld}",
                (long long)n, (long long)correct, sum, self->size, (long long)(2 * n * 8));
      report (self, correct == n, check, json);
    }
  PLAB_FREE_ALL (all, squares, mine, counts, displs);
  return 0;
}

/* --- kde: broadcast the samples, estimate a share of the grid, gather --- */

static int
run_kde (Rank *self)
{
  size_t n_samples = (size_t)plab_demo_run_get (&self->run, "samples");
  size_t grid = (size_t)plab_demo_run_get (&self->run, "grid");
  double h = plab_demo_run_get (&self->run, "h");
  bool gaussian = plab_demo_run_get (&self->run, "kernel") == 0;
  int64_t chunk = (int64_t)plab_demo_run_get (&self->run, "chunk");
  double *samples = malloc (n_samples * sizeof *samples);
  double *density = self->rank == 0 ? malloc (grid * sizeof *density) : NULL;
  int *counts = calloc ((size_t)self->size, sizeof *counts);
  int *displs = calloc ((size_t)self->size, sizeof *displs);
  int64_t start, count, t0;
  double *mine;
  char check[200], json[400];

  share_of ((int64_t)grid, self->size, self->rank, &start, &count);
  shares ((int64_t)grid, self->size, counts, displs, 1);
  mine = malloc ((size_t)(count ? count : 1) * sizeof *mine);
  if (self->rank == 0)
    {
      t0 = rank_now ();
      _plab_demo_kde_draw_samples (samples, n_samples, self->run.seed);
      span (self, PLAB_SPAN_TASK, t0, -1, "draw the samples");
    }
  t0 = rank_now ();
  MPI_Bcast (samples, (int)n_samples, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  span (self, PLAB_SPAN_COLLECTIVE, t0, -1, "MPI_Bcast samples");
  for (int64_t c = 0; c < count; c += chunk)
    {
      int64_t end = c + chunk < count ? c + chunk : count;
      char label[PLAB_LABEL_MAX];

      t0 = rank_now ();
      for (int64_t i = c; i < end; i++)
        mine[i] = _plab_demo_kde_estimate (samples, n_samples, h, gaussian,
                                           _plab_demo_kde_grid_x (grid, (size_t)(start + i)));
      snprintf (label, sizeof label, "points %lld..%lld", (long long)(start + c),
                (long long)(start + end - 1));
      span (self, PLAB_SPAN_TASK, t0, (start + c) / chunk, label);
    }
  t0 = rank_now ();
  MPI_Gatherv (mine, (int)count, MPI_DOUBLE, density, counts, displs, MPI_DOUBLE, 0,
               MPI_COMM_WORLD);
  span (self, PLAB_SPAN_COLLECTIVE, t0, -1, "MPI_Gatherv density");
  if (self->rank == 0)
    {
      double dx = (_plab_demo_kde_grid_x (grid, grid - 1) - _plab_demo_kde_grid_x (grid, 0))
                  / (double)(grid - 1);
      double integral = 0;
      int equal = 0, points = 64;

      for (size_t i = 0; i < grid; i++)
        integral += (i == 0 || i == grid - 1 ? 0.5 : 1.0) * density[i] * dx;
      for (int k = 0; k < points; k++)
        {
          size_t i = (size_t)k * (grid - 1) / (size_t)(points - 1);

          equal += _plab_demo_kde_estimate (samples, n_samples, h, gaussian,
                                            _plab_demo_kde_grid_x (grid, i))
                   == density[i];
        }
      snprintf (check, sizeof check,
                "%d of %d sampled points equal the serial result; integral %.4f", equal, points,
                integral);
      snprintf (json, sizeof json,
                "{\"samples\": %zu, \"grid\": %zu, \"integral\": %.17g, \"checked_points\": %d, "
                "\"equal_to_serial\": %d, \"ranks\": %d, \"bytes_sent\": %zu}",
                n_samples, grid, integral, points, equal, self->size,
                (n_samples * (size_t)(self->size - 1) + grid) * sizeof (double));
      report (self, equal == points, check, json);
    }
  PLAB_FREE_ALL (samples, density, mine, counts, displs);
  return 0;
}

/* --- list-append: every rank fills its own lists; only lengths come back --- */

static int
run_list_append (Rank *self)
{
  int64_t count = (int64_t)plab_demo_run_get (&self->run, "count");
  int jobs = (int)plab_demo_run_get (&self->run, "jobs");
  int64_t rounds = (int64_t)plab_demo_run_get (&self->run, "rounds");
  int64_t appended = 0, total = 0;
  char check[200], json[300];
  int64_t t0;

  if (jobs == 0)
    jobs = self->size;
  for (int j = self->rank; j < jobs; j += self->size)
    {
      int64_t n = count / jobs + (j < count % jobs);
      double *list = malloc ((size_t)(n ? n : 1) * sizeof *list);
      char label[PLAB_LABEL_MAX];

      t0 = rank_now ();
      for (int64_t i = 0; i < n; i++)
        list[i] = (double)_plab_demo_spin ((uint64_t)rounds, self->run.seed + (uint64_t)i);
      appended += n;
      snprintf (label, sizeof label, "list_append(%lld, %d)", (long long)n, j);
      span (self, PLAB_SPAN_TASK, t0, j, label);
      free (list);
    }
  t0 = rank_now ();
  MPI_Reduce (&appended, &total, 1, MPI_INT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
  span (self, PLAB_SPAN_COLLECTIVE, t0, -1, "MPI_Reduce lengths");
  snprintf (check, sizeof check,
            "%d jobs appended %lld numbers on their own ranks; rank 0's lists hold 0", jobs,
            (long long)total);
  snprintf (json, sizeof json,
            "{\"count\": %lld, \"jobs\": %d, \"appended_in_workers\": %lld, "
            "\"in_parent_lists\": 0, \"ranks\": %d}",
            (long long)count, jobs, (long long)total, self->size);
  report (self, total == count, check, json);
  return 0;
}

/* --- amdahl: rank 0 does the serial part while the others wait --- */

static int
run_amdahl (Rank *self)
{
  double f = plab_demo_run_get (&self->run, "serial_fraction");
  double work_ns = plab_demo_run_get (&self->run, "work_ms") * 1e6;
  int64_t tasks = (int64_t)plab_demo_run_get (&self->run, "tasks");
  uint64_t rounds = (uint64_t)(work_ns * (1 - f) / (double)tasks * _plab_demo_spin_rate () / 1e9);
  /* The first and the last task's values, 0 from the ranks that ran neither. */
  uint64_t mine[2] = { 0, 0 }, all[2] = { 0, 0 };
  bool ok;
  int64_t t0 = rank_now (), start = t0, flag = 1;
  char check[200], json[300];
  double wall_s;

  if (self->rank == 0)
    _plab_demo_cpu (NULL, (int64_t)(work_ns * f), -1, "serial part", NULL);
  t0 = rank_now ();
  MPI_Bcast (&flag, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  span (self, PLAB_SPAN_COLLECTIVE, t0, -1, "MPI_Bcast: serial part done");
  for (int64_t i = self->rank; i < tasks; i += self->size)
    {
      char label[PLAB_LABEL_MAX];

      t0 = rank_now ();
      uint64_t v = _plab_demo_spin (rounds, (uint64_t)i);

      mine[0] ^= i == 0 ? v : 0;
      mine[1] ^= i == tasks - 1 ? v : 0;
      snprintf (label, sizeof label, "parallel part %lld", (long long)i + 1);
      span (self, PLAB_SPAN_TASK, t0, i, label);
    }
  t0 = rank_now ();
  MPI_Reduce (mine, all, 2, MPI_UINT64_T, MPI_BXOR, 0, MPI_COMM_WORLD);
  span (self, PLAB_SPAN_COLLECTIVE, t0, -1, "MPI_Reduce results");
  if (self->rank == 0)
    {
      wall_s = (rank_now () - start) / 1e9;
      ok = all[0] == _plab_demo_spin (rounds, 0)
           && all[1] == (tasks == 1 ? all[0] : _plab_demo_spin (rounds, (uint64_t)(tasks - 1)));
      snprintf (check, sizeof check, "%s; %.2fx against the planned one-rank time",
                ok ? "tasks computed the right values" : "a task computed a wrong value",
                work_ns / 1e9 / wall_s);
      snprintf (json, sizeof json,
                "{\"serial_fraction\": %g, \"planned_one_worker_s\": %g, \"wall_s\": %g, "
                "\"speedup_vs_planned\": %g, \"amdahl_speedup\": %g, \"ranks\": %d}",
                f, work_ns / 1e9, wall_s, work_ns / 1e9 / wall_s, 1.0 / (f + (1 - f) / self->size),
                self->size);
      report (self, ok, check, json);
    }
  return 0;
}

/* --- barrier: painters on ranks meet at MPI_Barrier after each phase --- */

static int
run_barrier (Rank *self)
{
  static const char *const phase_names[]
      = { "sand", "prime", "paint", "varnish", "polish", "inspect" };
  int walls = (int)plab_demo_run_get (&self->run, "walls");
  int phases = (int)plab_demo_run_get (&self->run, "phases");
  double wall_ms = plab_demo_run_get (&self->run, "wall_ms");
  double imbalance = plab_demo_run_get (&self->run, "imbalance");
  bool cpu = plab_demo_run_get (&self->run, "kind") == 0;
  int64_t painted = 0, total = 0, t0;
  char check[200], json[300], label[PLAB_LABEL_MAX];

  for (int p = 0; p < phases; p++)
    {
      for (int w = self->rank; w < walls; w += self->size)
        {
          /* Walls differ by a fixed pattern, the same on every backend. */
          double u = (double)((w * 7 + p * 3) % 11) / 10.0;
          int64_t ns = (int64_t)(wall_ms * 1e6 * (1 - imbalance + 2 * imbalance * u));

          snprintf (label, sizeof label, "%s wall %d", phase_names[p % 6], w + 1);
          t0 = rank_now ();
          if (cpu)
            _plab_demo_cpu (NULL, ns, w, label, NULL);
          else
            {
              struct timespec ts = { ns / 1000000000, ns % 1000000000 };

              nanosleep (&ts, NULL);
              span (self, PLAB_SPAN_SLEEP, t0, w, label);
            }
          if (cpu)
            span (self, PLAB_SPAN_TASK, t0, w, label);
          painted++;
        }
      snprintf (label, sizeof label, "MPI_Barrier after %s", phase_names[p % 6]);
      barrier (self, label);
    }
  t0 = rank_now ();
  MPI_Reduce (&painted, &total, 1, MPI_INT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
  span (self, PLAB_SPAN_COLLECTIVE, t0, -1, "MPI_Reduce walls painted");
  snprintf (check, sizeof check, "%lld of %d walls painted once in each phase", (long long)total,
            walls * phases);
  snprintf (json, sizeof json,
            "{\"painters\": %d, \"walls\": %d, \"phases\": %d, \"painted\": %lld, \"ranks\": %d}",
            self->size, walls, phases, (long long)total, self->size);
  report (self, total == (int64_t)walls * phases, check, json);
  return 0;
}

/* --- messages: send time against work time as the message grows --- */

#define MAX_SIZES 32

static int
compare_ns (const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

  return (x > y) - (x < y);
}

/* The messages demo's result: the shortest send and the shortest work of
 * each size (a busy machine only ever adds time to either), their ratio,
 * and the figure of the ratio. */
static char *
messages_json (const Rank *self,
               int n_sizes,
               const double *log2_kb,
               const double *send_ms,
               const double *work_ms,
               double *crossover_kb)
{
  double ratio[MAX_SIZES];
  PlabBuf buf;

  *crossover_kb = 0;
  for (int k = 0; k < n_sizes; k++)
    {
      ratio[k] = work_ms[k] > 0 ? send_ms[k] / work_ms[k] : 0;
      if (*crossover_kb == 0 && ratio[k] >= 1)
        *crossover_kb = exp2 (log2_kb[k]);
    }
  plab_buf_init (&buf);
  plab_buf_printf (&buf, "{\"ranks\": %d", self->size);
  /* No crossing: no number, which a student would read as "0 KiB". */
  if (*crossover_kb > 0)
    _plab_demo_json_short (&buf, "crossover_kb", *crossover_kb);
  _plab_demo_json_short (&buf, "smallest_ratio", ratio[0]);
  _plab_demo_json_short (&buf, "largest_ratio", ratio[n_sizes - 1]);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "lines", "Send time over work time, by message size",
                          "message size (log2 of KiB: 0 is 1 KiB, 10 is 1 MiB)",
                          "send time / work time");
  _plab_demo_json_line_series (&buf, "send / work", "line", log2_kb, ratio, (size_t)n_sizes);
  plab_buf_append (&buf, "], \"notes\": [");
  if (*crossover_kb == 0)
    plab_buf_printf (&buf, "\"no message up to %.0f KiB cost more to send than its work\", ",
                     exp2 (log2_kb[n_sizes - 1]));
  plab_buf_append (&buf, "\"the shortest send of each size and the shortest work on it: a busy "
                         "machine only adds to either\"]}}");
  return plab_buf_steal (&buf);
}

static int
run_messages (Rank *self)
{
  int64_t max_kb = (int64_t)plab_demo_run_get (&self->run, "max_kb");
  int64_t work_ns = (int64_t)(plab_demo_run_get (&self->run, "work_ms") * 1e6);
  int rounds = (int)plab_demo_run_get (&self->run, "rounds");
  int n_sizes = 0, others = self->size - 1;
  double log2_kb[MAX_SIZES], send_ms[MAX_SIZES], work_ms[MAX_SIZES];
  int64_t *sends = calloc ((size_t)(rounds * (others > 0 ? others : 1)), sizeof *sends);
  char *data = calloc ((size_t)max_kb, 1024);
  char label[PLAB_LABEL_MAX], check[200];
  double answer = 0, crossover_kb;
  int item = 0;

  /* One untimed exchange with each rank first: the first message between
   * two ranks pays for setting up their connection, which is not the cost
   * of its size. */
  for (int r = 1; r < self->size; r++)
    if (self->rank == 0)
      {
        MPI_Send (data, 1024, MPI_BYTE, r, TAG_WORK, MPI_COMM_WORLD);
        MPI_Recv (&answer, 1, MPI_DOUBLE, r, TAG_WORK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      }
    else if (self->rank == r)
      {
        MPI_Recv (data, 1024, MPI_BYTE, 0, TAG_WORK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send (&answer, 1, MPI_DOUBLE, 0, TAG_WORK, MPI_COMM_WORLD);
      }
  for (int64_t kb = 1; kb <= max_kb && n_sizes < MAX_SIZES; kb *= 2, n_sizes++)
    {
      int bytes = (int)(kb * 1024);
      int64_t best = 0, work_min = INT64_MAX, t0;

      log2_kb[n_sizes] = log2 ((double)kb);
      for (int round = 0; round < rounds; round++)
        for (int r = 1; r < self->size; r++, item += 2)
          if (self->rank == 0)
            {
              snprintf (label, sizeof label, "MPI_Send %lld KiB to %d", (long long)kb, r);
              t0 = rank_now ();
              MPI_Send (data, bytes, MPI_BYTE, r, TAG_WORK, MPI_COMM_WORLD);
              sends[round * others + r - 1] = rank_now () - t0;
              span_flow (self, PLAB_SPAN_SEND, t0, -1, label, PLAB_FLOW_PUT, item);
              t0 = rank_now ();
              MPI_Recv (&answer, 1, MPI_DOUBLE, r, TAG_WORK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
              span_flow (self, PLAB_SPAN_RECV, t0, -1, "MPI_Recv answer", PLAB_FLOW_GET, item + 1);
            }
          else if (self->rank == r)
            {
              snprintf (label, sizeof label, "MPI_Recv %lld KiB", (long long)kb);
              t0 = rank_now ();
              MPI_Recv (data, bytes, MPI_BYTE, 0, TAG_WORK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
              span_flow (self, PLAB_SPAN_RECV, t0, -1, label, PLAB_FLOW_GET, item);
              snprintf (label, sizeof label, "work on %lld KiB", (long long)kb);
              t0 = rank_now ();
              _plab_demo_cpu (NULL, work_ns, -1, NULL, NULL);
              answer = (double)data[bytes - 1];
              span (self, PLAB_SPAN_TASK, t0, round, label);
              if (rank_now () - t0 < work_min)
                work_min = rank_now () - t0;
              t0 = rank_now ();
              MPI_Send (&answer, 1, MPI_DOUBLE, 0, TAG_WORK, MPI_COMM_WORLD);
              span_flow (self, PLAB_SPAN_SEND, t0, -1, "MPI_Send answer", PLAB_FLOW_PUT, item + 1);
            }
      t0 = rank_now ();
      MPI_Reduce (&work_min, &best, 1, MPI_INT64_T, MPI_MIN, 0, MPI_COMM_WORLD);
      span (self, PLAB_SPAN_COLLECTIVE, t0, -1, "MPI_Reduce work time");
      if (self->rank == 0)
        {
          qsort (sends, (size_t)(rounds * others), sizeof *sends, compare_ns);
          send_ms[n_sizes] = sends[0] / 1e6;
          work_ms[n_sizes] = best / 1e6;
        }
    }
  if (self->rank == 0)
    {
      char *json = messages_json (self, n_sizes, log2_kb, send_ms, work_ms, &crossover_kb);

      if (crossover_kb > 0)
        snprintf (check, sizeof check,
                  "%d sizes sent to %d ranks; from %.0f KiB a message costs more than its work",
                  n_sizes, others, crossover_kb);
      else
        snprintf (check, sizeof check,
                  "%d sizes sent to %d ranks; every message cost less than its work", n_sizes,
                  others);
      report (self, json != NULL, check, json ? json : "{}");
      free (json);
    }
  PLAB_FREE_ALL (sends, data);
  return 0;
}

typedef struct
{
  const char *demo;
  int (*run) (Rank *self);
} RankDemo;

static const RankDemo rank_demos[] = {
  { "squares", run_squares }, { "kde", run_kde },         { "list-append", run_list_append },
  { "amdahl", run_amdahl },   { "barrier", run_barrier }, { "messages", run_messages },
};

/* plab-mpi-rank DEMO SEED [NAME=VALUE...] */
static int
parse_args (Rank *self, int argc, char **argv, const RankDemo **out)
{
  const PlabDemo *demo;
  char err[256];

  if (argc < 3 || (demo = plab_demo_find (argv[1])) == NULL)
    {
      fprintf (stderr, "plab-mpi-rank: usage: plab-mpi-rank DEMO SEED [NAME=VALUE...]\n");
      return -1;
    }
  *out = NULL;
  for (size_t i = 0; i < sizeof rank_demos / sizeof rank_demos[0]; i++)
    if (strcmp (rank_demos[i].demo, demo->name) == 0)
      *out = &rank_demos[i];
  if (*out == NULL)
    {
      fprintf (stderr, "plab-mpi-rank: %s does not run on the mpi backend\n", demo->name);
      return -1;
    }
  plab_demo_run_init (&self->run, demo);
  self->run.backend = PLAB_BACKEND_MPI;
  self->run.workers = self->size;
  self->run.seed = strtoull (argv[2], NULL, 10);
  for (int i = 3; i < argc; i++)
    {
      char *eq = strchr (argv[i], '=');
      int k;

      if (eq == NULL)
        continue;
      *eq = '\0';
      k = plab_demo_param_index (demo, argv[i]);
      if (k < 0
          || plab_param_parse (&demo->params[k], eq + 1, &self->run.values[k], err, sizeof err)
                 != 0)
        {
          fprintf (stderr, "plab-mpi-rank: bad parameter %s: %s\n", argv[i], k < 0 ? "" : err);
          return -1;
        }
    }
  return 0;
}

#if defined(__SANITIZE_ADDRESS__)
/* Under AddressSanitizer (./plab test's asan stage): Open MPI unloads its
 * components in MPI_Finalize and leaves their memory behind, reported from
 * frames no suppression can name. A rank is checked for every other error;
 * the leak checker skips it, whatever ASAN_OPTIONS says. */
int __lsan_is_turned_off (void);

int
__lsan_is_turned_off (void)
{
  return 1;
}
#endif

int
main (int argc, char **argv)
{
  Rank self = { 0 };
  const RankDemo *demo = NULL;
  double rate = 0;
  int64_t t0;
  int rc;

  MPI_Init (&argc, &argv);
  MPI_Comm_rank (MPI_COMM_WORLD, &self.rank);
  MPI_Comm_size (MPI_COMM_WORLD, &self.size);
  if (self.rank != 0 && getenv ("PLAB_TEST_CLOCK_SKEW_NS") != NULL)
    clock_skew_ns = strtoll (getenv ("PLAB_TEST_CLOCK_SKEW_NS"), NULL, 10);
  if (parse_args (&self, argc, argv, &demo) != 0)
    MPI_Abort (MPI_COMM_WORLD, 2);
  if (gethostname (self.host, sizeof self.host) != 0)
    snprintf (self.host, sizeof self.host, "localhost");
  self.host[sizeof self.host - 1] = '\0';
  for (char *c = self.host; *c; c++)
    if (*c == '\t' || *c == '\n')
      *c = ' ';
  emit (&self, "H\t%s\t%d\t%d\t%lld", self.host, (int)getpid (), self.size, (long long)rank_now ());
  measure_offset (&self, "start");

  /* Every rank works at rank 0's rate, so that a task costs the same
   * everywhere; the broadcast is a collective like any other. */
  if (self.rank == 0)
    rate = plab_demo_measure_spin_rate (PLAB_DEMO_CALIBRATION_RUNS, NULL, NULL);
  t0 = rank_now ();
  MPI_Bcast (&rate, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  span (&self, PLAB_SPAN_COLLECTIVE, t0, -1, PLAB_MPI_START_LABEL);
  plab_demo_set_spin_rate (rate);

  rc = demo->run (&self);
  measure_offset (&self, "end");
  emit_result (&self);
  plab_demo_run_clear (&self.run);
  MPI_Finalize ();
  return rc == 0 ? 0 : 1;
}
