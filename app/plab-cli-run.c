/* plab-cli-run.c: `plab run`, the runner.
 *
 * The runner is what actually runs demos, for the command line and for the
 * lab window alike (the window starts `plab run ... --progress` as a child and
 * reads its stream). It is a plain single-threaded process until a demo starts
 * its workers, so forking workers is safe here, and a crash in a demo can never
 * take the window down.
 *
 * For each configuration (backend x workers x repeat) it creates a trace,
 * begins a run in the store, points the trace at the store (and the progress
 * stream), runs the demo, drains what is left and finishes the run with its
 * status, times, result and check.
 *
 * SIGINT and SIGTERM set a flag that the demo's pool watches: the pool stops
 * and terminates its workers, the run is recorded as cancelled and the runner
 * exits with 128 + the signal. A second signal ends the runner at once (the
 * run is then found on the next open of the store and marked failed). SIGHUP
 * (a terminal that hung up, or the lab window's process gone: the window
 * starts the runner with SIGHUP as its parent-death signal) and a broken
 * progress stream cancel the run the same way, but never count as a second
 * signal: they may come more than once.
 */
#include "plab-cli-private.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plab-json-writer.h"
#include "plab-progress.h"

#define COMMAND "plab run"
#define MAX_REPEAT 100
#define PROGRESS_BAR_DELAY_NS 1000000000
#define PROGRESS_BAR_PERIOD_NS 100000000
#define PROGRESS_BAR_WIDTH 30
#define MAX_PENDING_EVENTS (1u << 20) /* 64 MiB of PlabEvent */

/* Set by the signal handler, read by the pool's map loop through
 * PlabDemoRun.cancel: 0 while running, else the signal that asked to stop
 * (SIGPIPE when the reader of the progress stream went away). */
static volatile sig_atomic_t cancel_signal;

/* SIGINT and SIGTERM received so far: a second one stops the runner at once.
 * SIGHUP is not counted, since the kernel sends a parent-death signal again
 * for every thread of the dying parent that the runner is handed on to. */
static volatile sig_atomic_t signals_received;

/* The runner's own pid. Workers forked by a pool inherit the handler; in them
 * it restores the default action, so a signal to a worker still ends it. */
static pid_t runner_pid;

static void
on_signal (int sig)
{
  static const char at_once[] = "plab run: second signal, stopping at once\n";

  if (getpid () != runner_pid)
    {
      signal (sig, SIG_DFL);
      raise (sig);
      return;
    }
  if (sig != SIGHUP && signals_received++ > 0)
    {
      /* Only async-signal-safe calls here. */
      if (write (STDERR_FILENO, at_once, sizeof at_once - 1) < 0)
        {
        }
      _exit (128 + sig);
    }
  if (cancel_signal == 0)
    cancel_signal = sig;
}

/* Why the run was cancelled, after "cancelled" or "stopped". */
static const char *
cancel_reason (void)
{
  switch (cancel_signal)
    {
    case SIGPIPE:
      return ": the reader of the progress stream went away";
    case SIGHUP:
      return " by SIGHUP: the terminal or the lab window that started the run went away";
    case SIGTERM:
      return " by SIGTERM";
    default:
      return " by SIGINT";
    }
}

static void
install_signal_handlers (void)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  /* One handler at a time, so that signals_received counts exactly. */
  sigemptyset (&sa.sa_mask);
  sigaddset (&sa.sa_mask, SIGINT);
  sigaddset (&sa.sa_mask, SIGTERM);
  sigaddset (&sa.sa_mask, SIGHUP);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);

  /* A reader of the progress stream that goes away must not kill the runner
   * halfway through writing a run: the write fails instead, and the run is
   * cancelled and recorded. */
  signal (SIGPIPE, SIG_IGN);
}

/* One configuration to run, and what came of it. */
typedef struct
{
  PlabBackend backend;
  int workers;
  int repeat;

  /* Outcome */
  gboolean ran;
  int64_t run_id;
  PlabRunStatus status;
  int64_t wall_ns;
  int64_t cpu_ns;
  gboolean check_ok;
  char *check;
  char *error;
  char *result_json;
  double speedup; /* NAN unless in a sweep with a baseline */
} RunConfig;

typedef struct
{
  /* Options */
  const PlabDemo *demo;
  PlabDemoRun proto; /* parameter values shared by every configuration */
  GArray *configs;   /* RunConfig */
  gboolean json;
  gboolean progress;
  char *db;
  uint64_t seed;

  /* Owned */
  PlabStore *store;
  char *db_path;
  PlabProgress *stream;
  int64_t sweep_id;

  /* The run in progress, for the trace sink */
  PlabTraceSink store_sink;
  GArray *pending; /* PlabEvent: events held back from the store until the run ends */
  PlabDemoRun *current;
  RunConfig *current_config;
  gboolean bar;
  int64_t bar_start_ns;
  int64_t bar_last_ns;
  int64_t tasks_done;
  gboolean bar_drawn;
  gboolean store_failed; /* a run could not be recorded whole; its line said so */
} Runner;

/* --- Option parsing --- */

static gboolean
parse_int (const char *option, const char *text, int min, int max, int *out)
{
  gint64 v;

  if (!_plab_cli_parse_int (COMMAND, option, text, min, max, &v))
    return FALSE;
  *out = (int)v;
  return TRUE;
}

/* One worker count of a --sweep list, or "max" where @max_ok. */
static gboolean
parse_sweep_count (const char *text, const char *list, gboolean max_ok, int *out)
{
  gint64 v;

  if (max_ok && !strcmp (text, "max"))
    {
      *out = plab_usable_cpus ();
      return TRUE;
    }
  if (!g_ascii_string_to_signed (text, 10, 1, PLAB_POOL_MAX_WORKERS, &v, NULL))
    {
      _plab_cli_usage_error (COMMAND,
                             "--sweep takes worker counts from 1 to %d, like 1,2,4 or 1..max; "
                             "'%s' in '%s' is not one",
                             PLAB_POOL_MAX_WORKERS, text, list);
      return FALSE;
    }
  *out = (int)v;
  return TRUE;
}

/* "1,2,4", "1..4", "1..max", or a mix: "1,2..4". */
static gboolean
parse_sweep (const char *text, GArray *counts)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);

  for (int i = 0; parts[i]; i++)
    {
      char *dots = strstr (parts[i], "..");
      int lo, hi;

      if (dots)
        {
          g_autofree char *first = g_strndup (parts[i], (gsize)(dots - parts[i]));
          const char *last = dots + 2;

          if (!parse_sweep_count (first, text, FALSE, &lo)
              || !parse_sweep_count (last, text, TRUE, &hi))
            return FALSE;
          if (hi < lo)
            {
              _plab_cli_usage_error (COMMAND, "--sweep range %s goes down; write it as %d..%d",
                                     parts[i], hi, lo);
              return FALSE;
            }
        }
      else
        {
          if (!parse_sweep_count (parts[i], text, FALSE, &lo))
            return FALSE;
          hi = lo;
        }
      for (int w = lo; w <= hi; w++)
        {
          gboolean seen = FALSE;

          for (guint k = 0; k < counts->len; k++)
            seen |= g_array_index (counts, int, k) == w;
          if (!seen)
            g_array_append_val (counts, w);
        }
    }
  if (counts->len == 0)
    {
      _plab_cli_usage_error (COMMAND, "--sweep needs worker counts, like 1,2,4 or 1..max");
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_backends (const PlabDemo *demo, const char *text, GArray *backends)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);

  for (int i = 0; parts[i]; i++)
    {
      PlabBackend b;

      if (parts[i][0] == '\0' && parts[1] != NULL)
        {
          _plab_cli_usage_error (COMMAND,
                                 "--backend has an empty name in '%s' (backends: serial, threads, "
                                 "processes, gil)",
                                 text);
          return FALSE;
        }
      if (plab_backend_from_name (parts[i], &b) != 0)
        {
          _plab_cli_usage_error (COMMAND,
                                 "unknown backend '%s' (backends: serial, threads, processes, gil)",
                                 parts[i]);
          return FALSE;
        }
      if (!(demo->backends & PLAB_BACKEND_BIT (b)))
        {
          GString *names = g_string_new (NULL);

          for (int k = 0; k < PLAB_N_BACKENDS; k++)
            if (demo->backends & PLAB_BACKEND_BIT (k))
              g_string_append_printf (names, "%s%s", names->len ? ", " : "", plab_backend_name (k));
          _plab_cli_usage_error (COMMAND, "%s does not run on the %s backend (it runs on: %s)",
                                 demo->name, parts[i], names->str);
          g_string_free (names, TRUE);
          return FALSE;
        }
      g_array_append_val (backends, b);
    }
  if (backends->len == 0)
    {
      _plab_cli_usage_error (COMMAND, "--backend needs a name: serial, threads, processes or gil");
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_set (Runner *self, const char *assignment)
{
  const char *eq = strchr (assignment, '=');
  g_autofree char *key = NULL;
  char err[256];
  double value;
  int index;

  if (eq == NULL)
    {
      _plab_cli_usage_error (COMMAND, "--set needs KEY=VALUE, not '%s'", assignment);
      return FALSE;
    }
  key = g_strndup (assignment, (gsize)(eq - assignment));
  index = plab_demo_param_index (self->demo, key);
  if (index < 0)
    {
      GString *names = g_string_new (NULL);

      for (size_t i = 0; i < self->demo->n_params; i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "", self->demo->params[i].name);
      _plab_cli_usage_error (COMMAND, "%s has no parameter '%s' (parameters: %s)", self->demo->name,
                             key, names->len ? names->str : "none");
      g_string_free (names, TRUE);
      return FALSE;
    }
  if (plab_param_parse (&self->demo->params[index], eq + 1, &value, err, sizeof err) != 0)
    {
      _plab_cli_usage_error (COMMAND, "%s", err);
      return FALSE;
    }
  self->proto.values[index] = value;
  return TRUE;
}

/* --- The trace sink: the store, the progress stream, the progress bar --- */

static void
draw_bar (Runner *self, gboolean force)
{
  int64_t now = plab_now_ns ();
  int64_t total = self->current ? self->current->tasks_total : 0;
  RunConfig *c = self->current_config;
  char bar[PROGRESS_BAR_WIDTH + 1];
  int filled;

  if (!self->bar || now - self->bar_start_ns < PROGRESS_BAR_DELAY_NS)
    return;
  if (!force && now - self->bar_last_ns < PROGRESS_BAR_PERIOD_NS)
    return;
  self->bar_last_ns = now;
  self->bar_drawn = TRUE;

  if (total > 0)
    {
      double done = MIN (1.0, (double)self->tasks_done / (double)total);

      filled = (int)(done * PROGRESS_BAR_WIDTH);
      memset (bar, '#', (size_t)filled);
      memset (bar + filled, '.', (size_t)(PROGRESS_BAR_WIDTH - filled));
      bar[PROGRESS_BAR_WIDTH] = '\0';
      fprintf (stderr, "\r%s %s x%d [%s] %3.0f%%  %.1f s ", self->demo->name,
               plab_backend_name (c->backend), c->workers, bar, done * 100,
               (now - self->bar_start_ns) / 1e9);
    }
  else
    fprintf (stderr, "\r%s %s x%d  %" G_GINT64_FORMAT " tasks  %.1f s ", self->demo->name,
             plab_backend_name (c->backend), c->workers, self->tasks_done,
             (now - self->bar_start_ns) / 1e9);
  fflush (stderr);
}

static void
clear_bar (Runner *self)
{
  if (self->bar_drawn)
    fprintf (stderr, "\r\033[K");
  self->bar_drawn = FALSE;
}

/* Writes the held-back events to the store in one transaction, then starts
 * the run's journal afresh: everything it held is in the store now. */
static void
flush_pending (Runner *self)
{
  if (self->pending->len == 0)
    return;
  if (self->store_sink.events)
    self->store_sink.events (self->store_sink.user_data,
                             (const PlabEvent *)(void *)self->pending->data, self->pending->len);
  if (plab_store_sink_error (self->store) == 0)
    plab_store_journal_reset (self->store);
  g_array_set_size (self->pending, 0);
}

static void
sink_lane_cb (void *user_data, const PlabLaneInfo *lane)
{
  Runner *self = user_data;

  if (self->store_sink.lane)
    self->store_sink.lane (self->store_sink.user_data, lane);
  if (self->stream)
    plab_progress_lane (self->stream, lane);
}

static void
sink_events_cb (void *user_data, const PlabEvent *events, size_t n_events)
{
  Runner *self = user_data;

  /* Writing spans to SQLite costs about a microsecond each. Done while the
   * demo runs, that cost would land inside the measured time, and on the
   * serial backend (where the pool drains only at the end) entirely on the
   * critical path. So events wait in memory and go to the store after the
   * run has been timed, unless there are too many to hold. The journal keeps
   * a copy on disk for the case the runner is killed before then (one
   * write () per batch, like the progress stream's). */
  plab_store_journal_append (self->store, events, n_events);
  g_array_append_vals (self->pending, events, (guint)n_events);
  if (self->pending->len >= MAX_PENDING_EVENTS)
    flush_pending (self);
  if (self->stream)
    {
      plab_progress_events (self->stream, events, n_events);
      /* Nobody is listening any more: stop the run rather than compute for no one. */
      if (plab_progress_broken (self->stream) && cancel_signal == 0)
        cancel_signal = SIGPIPE;
    }
  if (self->bar)
    {
      for (size_t i = 0; i < n_events; i++)
        if (events[i].kind == PLAB_SPAN_TASK)
          self->tasks_done++;
      draw_bar (self, FALSE);
    }
}

/* --- Running one configuration --- */

static const char *
status_word (PlabRunStatus status)
{
  switch (status)
    {
    case PLAB_RUN_OK:
      return "ok";
    case PLAB_RUN_FAILED:
      return "FAILED";
    case PLAB_RUN_CANCELLED:
      return "cancelled";
    default:
      return "running";
    }
}

/* Whether a failed write's message (strerror text) says the disk or the
 * file size limit has no room left. */
static gboolean
no_room (const char *message)
{
  return message != NULL
         && (strstr (message, g_strerror (ENOSPC)) != NULL
             || strstr (message, g_strerror (EFBIG)) != NULL
             || strstr (message, g_strerror (EDQUOT)) != NULL);
}

/* Returns FALSE when the store failed (a line has been printed). */
static gboolean
run_one (Runner *self, RunConfig *c)
{
  PlabDemoRun run = self->proto;
  PlabTraceSink sink = { sink_lane_cb, sink_events_cb, self };
  PlabRunOutcome outcome = { 0 };
  PlabRunSpec spec = { 0 };
  g_autofree char *params = NULL;
  g_autofree char *error = NULL;
  g_autofree char *store_detail = NULL;
  PlabTrace *trace;
  int64_t t0, cpu0;
  int store_error;
  int rc;

  trace = plab_trace_new ();
  if (trace == NULL)
    {
      _plab_cli_error (COMMAND, "out of memory");
      return FALSE;
    }

  run.backend = c->backend;
  run.workers = c->workers;
  run.seed = self->seed + (uint64_t)c->repeat;
  run.trace = trace;
  run.cancel = &cancel_signal;
  run.result_json = NULL;
  params = plab_demo_run_params_json (&run);

  spec.demo = self->demo->name;
  spec.backend = plab_backend_name (c->backend);
  spec.workers = c->workers;
  spec.params_json = params;
  spec.seed = run.seed;
  spec.sweep_id = self->sweep_id;
  spec.repeat = c->repeat;
  spec.origin_ns = plab_trace_origin_ns (trace);
  rc = plab_store_begin_run (self->store, &spec, &c->run_id);
  if (rc != 0)
    {
      _plab_cli_error (COMMAND, "cannot record the run in %s: %s", self->db_path,
                       _plab_cli_store_error (self->store, rc));
      plab_trace_free (trace);
      return FALSE;
    }

  plab_store_sink_init (self->store, c->run_id, &self->store_sink);
  rc = plab_store_journal_begin (self->store, c->run_id);
  /* Without room on the disk the store's own writes fail as well, and that
   * one line says it all; otherwise the run goes on, unprotected, and the
   * user is told. */
  if (rc != 0 && !no_room (plab_store_errmsg (self->store)))
    _plab_cli_error (COMMAND,
                     "no journal for run %" G_GINT64_FORMAT
                     " (%s): if the runner is killed, its spans are lost",
                     c->run_id, plab_store_errmsg (self->store));
  plab_trace_set_sink (trace, &sink);
  self->current = &run;
  self->current_config = c;
  self->tasks_done = 0;
  self->bar_start_ns = plab_now_ns ();
  self->bar_last_ns = 0;

  if (self->stream)
    plab_progress_run_begin (self->stream, c->run_id, self->demo->name,
                             plab_backend_name (c->backend), c->workers, c->repeat, self->sweep_id,
                             run.seed, spec.origin_ns, params);

  cpu0 = plab_cpu_time_ns ();
  t0 = plab_now_ns ();
  rc = self->demo->run (&run);
  c->wall_ns = plab_now_ns () - t0;
  c->cpu_ns = plab_cpu_time_ns () - cpu0;
  /* The main lane ends with the run: the runner itself goes on to the next. */
  plab_trace_set_lane_end (trace, 0, getpid (), PLAB_LANE_EXITED, 0, 0);
  plab_trace_drain (trace);
  flush_pending (self);
  draw_bar (self, TRUE);
  clear_bar (self);

  /* The outcome. A run is ok only when it ran and its own check passed; a
   * check that fails makes the run failed with check_ok false. */
  c->check_ok = run.check_ok;
  c->check = g_strdup (run.check_message);
  if (cancel_signal != 0 || rc == PLAB_ECANCELLED)
    {
      c->status = PLAB_RUN_CANCELLED;
      c->check_ok = FALSE;
      error = g_strdup_printf ("cancelled%s", cancel_reason ());
      if (!c->check[0])
        {
          g_free (c->check);
          c->check = g_strdup ("not checked: the run was cancelled");
        }
    }
  else if (rc != 0)
    {
      c->status = PLAB_RUN_FAILED;
      c->check_ok = FALSE;
      error = g_strdup (run.error[0] ? run.error : plab_strerror (rc));
      if (!c->check[0])
        {
          g_free (c->check);
          c->check = g_strdup ("not checked: the run failed");
        }
    }
  else if (!run.check_ok)
    {
      c->status = PLAB_RUN_FAILED;
      error = run.error[0] ? g_strdup (run.error)
                           : g_strdup_printf ("check failed: %s", run.check_message);
    }
  else
    c->status = PLAB_RUN_OK;

  /* A run whose timeline did not all reach the store (the disk filled up,
   * another program kept the store locked) is not ok, whatever the demo
   * says: its spans are missing, and a reader must not take it for whole. */
  store_error = plab_store_sink_error (self->store);
  if (store_error != 0)
    {
      store_detail = g_strdup (_plab_cli_store_error (self->store, store_error));
      if (c->status == PLAB_RUN_OK)
        c->status = PLAB_RUN_FAILED;
      g_free (error);
      error = g_strdup_printf ("part of the run's timeline could not be written to the run "
                               "store: %s",
                               store_detail);
    }
  c->error = g_steal_pointer (&error);
  c->result_json = g_strdup (run.result_json ? run.result_json : "{}");
  c->ran = TRUE;

  outcome.status = c->status;
  outcome.wall_ns = c->wall_ns;
  outcome.cpu_ns = c->cpu_ns;
  outcome.result_json = c->result_json;
  outcome.check_ok = c->check_ok;
  outcome.check_message = c->check;
  outcome.error = c->error;
  rc = plab_store_finish_run (self->store, c->run_id, &outcome);
  /* The journal goes once the run's end is recorded. When that failed, the
   * run stays "running" and the journal with it: the next open for writing
   * imports what it holds and marks the run failed. */
  if (rc == 0)
    plab_store_journal_end (self->store);

  if (self->stream)
    plab_progress_run_end (self->stream, plab_run_status_name (c->status), c->wall_ns, c->cpu_ns,
                           c->check_ok, c->check, c->error);

  self->current = NULL;
  self->current_config = NULL;
  plab_trace_set_sink (trace, NULL);
  plab_trace_free (trace);
  plab_demo_run_clear (&run);

  /* One line, whichever writes failed. A run whose end could not be
   * written stays "running" in the store, and every reader shows it as
   * failed once this runner has exited. */
  if (rc != 0)
    {
      _plab_cli_error (COMMAND,
                       "run %" G_GINT64_FORMAT " could not be recorded in %s: %s; it will show as "
                       "failed",
                       c->run_id, self->db_path, _plab_cli_store_error (self->store, rc));
      self->store_failed = TRUE;
      return FALSE;
    }
  if (store_error != 0)
    {
      _plab_cli_error (COMMAND,
                       "run %" G_GINT64_FORMAT " is recorded as failed in %s: part of its "
                       "timeline could not be written: %s",
                       c->run_id, self->db_path, store_detail);
      self->store_failed = TRUE;
      return FALSE;
    }
  return TRUE;
}

/* --- Summaries --- */

typedef struct
{
  PlabBackend backend;
  int workers;
  double median_s; /* NAN when no repeat succeeded */
  double speedup;
  double efficiency;
} SweepRow;

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

/* The rows of the speedup table, one per (backend, workers) in run order, and
 * the baseline they are measured against. */
static GArray *
sweep_rows (Runner *self, const char **baseline_out)
{
  GArray *rows = g_array_new (FALSE, TRUE, sizeof (SweepRow));
  double serial = NAN;

  for (guint i = 0; i < self->configs->len; i++)
    {
      RunConfig *c = &g_array_index (self->configs, RunConfig, i);
      SweepRow *row = NULL;

      if (!c->ran)
        continue;
      for (guint k = 0; k < rows->len && row == NULL; k++)
        {
          SweepRow *r = &g_array_index (rows, SweepRow, k);

          if (r->backend == c->backend && r->workers == c->workers)
            row = r;
        }
      if (row == NULL)
        {
          SweepRow r = { c->backend, c->workers, NAN, NAN, NAN };
          g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (double));

          for (guint k = 0; k < self->configs->len; k++)
            {
              RunConfig *o = &g_array_index (self->configs, RunConfig, k);

              if (o->ran && o->status == PLAB_RUN_OK && o->backend == c->backend
                  && o->workers == c->workers)
                {
                  double s = o->wall_ns / 1e9;
                  g_array_append_val (times, s);
                }
            }
          if (times->len > 0)
            {
              g_array_sort (times, compare_doubles);
              r.median_s = times->len % 2 ? g_array_index (times, double, times->len / 2)
                                          : (g_array_index (times, double, times->len / 2 - 1)
                                             + g_array_index (times, double, times->len / 2))
                                                / 2;
            }
          g_array_append_val (rows, r);
        }
    }

  for (guint k = 0; k < rows->len; k++)
    {
      SweepRow *r = &g_array_index (rows, SweepRow, k);

      if (r->backend == PLAB_BACKEND_SERIAL)
        serial = r->median_s;
    }
  *baseline_out = isnan (serial) ? "1 worker of the same backend" : "serial";

  for (guint k = 0; k < rows->len; k++)
    {
      SweepRow *r = &g_array_index (rows, SweepRow, k);
      double base = serial;

      if (isnan (base))
        for (guint j = 0; j < rows->len; j++)
          {
            SweepRow *o = &g_array_index (rows, SweepRow, j);

            if (o->backend == r->backend && o->workers == 1)
              base = o->median_s;
          }
      if (!isnan (base) && !isnan (r->median_s) && r->median_s > 0)
        {
          r->speedup = base / r->median_s;
          r->efficiency = r->speedup / r->workers;
        }
    }

  /* Each run's own speedup against the same baseline. */
  for (guint i = 0; i < self->configs->len; i++)
    {
      RunConfig *c = &g_array_index (self->configs, RunConfig, i);

      c->speedup = NAN;
      for (guint k = 0; k < rows->len; k++)
        {
          SweepRow *r = &g_array_index (rows, SweepRow, k);

          if (r->backend == c->backend && r->workers == c->workers && !isnan (r->speedup)
              && c->status == PLAB_RUN_OK && c->wall_ns > 0)
            c->speedup = r->speedup * r->median_s / (c->wall_ns / 1e9);
        }
    }
  return rows;
}

static void
print_run_line (FILE *out, const RunConfig *c)
{
  fprintf (out, "run %" G_GINT64_FORMAT ": %s x%d  %s  %.3f s (cpu %.3f s)  check: %s\n", c->run_id,
           plab_backend_name (c->backend), c->workers, status_word (c->status), c->wall_ns / 1e9,
           c->cpu_ns / 1e9, c->check);
  if (c->error && c->status != PLAB_RUN_OK)
    fprintf (out, "  error: %s\n", c->error);
}

static void
print_summary (Runner *self, FILE *out)
{
  const char *baseline = NULL;
  g_autoptr (GArray) rows = NULL;
  int n_ran = 0;

  for (guint i = 0; i < self->configs->len; i++)
    if (g_array_index (self->configs, RunConfig, i).ran)
      n_ran++;

  if (self->sweep_id > 0)
    {
      rows = sweep_rows (self, &baseline);
      fprintf (out, "\nsweep %" G_GINT64_FORMAT ": %s, speedup against %s\n", self->sweep_id,
               self->demo->name, baseline);
      fprintf (out, "%-10s %7s %12s %8s %10s\n", "backend", "workers", "median (s)", "speedup",
               "efficiency");
      for (guint k = 0; k < rows->len; k++)
        {
          SweepRow *r = &g_array_index (rows, SweepRow, k);

          if (isnan (r->median_s))
            fprintf (out, "%-10s %7d %12s %8s %10s\n", plab_backend_name (r->backend), r->workers,
                     "failed", "-", "-");
          else if (isnan (r->speedup))
            fprintf (out, "%-10s %7d %12.3f %8s %10s\n", plab_backend_name (r->backend), r->workers,
                     r->median_s, "-", "-");
          else
            fprintf (out, "%-10s %7d %12.3f %8.2f %9.0f%%\n", plab_backend_name (r->backend),
                     r->workers, r->median_s, r->speedup, r->efficiency * 100);
        }
    }
  if (n_ran > 0 && !self->store_failed)
    fprintf (out, "recorded in %s (plab show %" G_GINT64_FORMAT ")\n", self->db_path,
             g_array_index (self->configs, RunConfig, n_ran - 1).run_id);
}

static void
print_json_summary (Runner *self)
{
  g_autoptr (GString) s = g_string_new ("{\"runs\":[");
  g_autoptr (GArray) rows = NULL;
  const char *baseline = NULL;
  gboolean first = TRUE;

  if (self->sweep_id > 0)
    rows = sweep_rows (self, &baseline);

  for (guint i = 0; i < self->configs->len; i++)
    {
      RunConfig *c = &g_array_index (self->configs, RunConfig, i);

      if (!c->ran)
        continue;
      if (!first)
        g_string_append_c (s, ',');
      first = FALSE;
      g_string_append_printf (s, "{\"id\":%" G_GINT64_FORMAT ",\"demo\":", c->run_id);
      plab_json_append_string (s, self->demo->name);
      g_string_append_printf (s,
                              ",\"backend\":\"%s\",\"workers\":%d,\"repeat\":%d,\"status\":\"%s\"",
                              plab_backend_name (c->backend), c->workers, c->repeat,
                              plab_run_status_name (c->status));
      g_string_append (s, ",\"wall_s\":");
      plab_json_append_double (s, c->wall_ns / 1e9);
      g_string_append (s, ",\"cpu_s\":");
      plab_json_append_double (s, c->cpu_ns / 1e9);
      g_string_append_printf (s, ",\"check_ok\":%s,\"check\":", c->check_ok ? "true" : "false");
      plab_json_append_string (s, c->check);
      g_string_append (s, ",\"error\":");
      plab_json_append_string (s, c->status == PLAB_RUN_OK ? NULL : c->error);
      g_string_append (s, ",\"speedup\":");
      plab_json_append_double (s, self->sweep_id > 0 ? c->speedup : NAN);
      g_string_append (s, ",\"result\":");
      plab_json_append_object (s, c->result_json);
      g_string_append_c (s, '}');
    }
  g_string_append (s, "],\"sweep\":");
  if (self->sweep_id > 0)
    {
      g_string_append_printf (s, "%" G_GINT64_FORMAT ",\"baseline\":", self->sweep_id);
      plab_json_append_string (s, baseline);
      g_string_append (s, ",\"table\":[");
      for (guint k = 0; k < rows->len; k++)
        {
          SweepRow *r = &g_array_index (rows, SweepRow, k);

          g_string_append_printf (s, "%s{\"backend\":\"%s\",\"workers\":%d,\"median_s\":",
                                  k ? "," : "", plab_backend_name (r->backend), r->workers);
          plab_json_append_double (s, r->median_s);
          g_string_append (s, ",\"speedup\":");
          plab_json_append_double (s, r->speedup);
          g_string_append (s, ",\"efficiency\":");
          plab_json_append_double (s, r->efficiency);
          g_string_append_c (s, '}');
        }
      g_string_append_c (s, ']');
    }
  else
    g_string_append (s, "null");
  g_string_append (s, ",\"db\":");
  plab_json_append_string (s, self->db_path);
  g_string_append (s, "}\n");
  fputs (s->str, stdout);
  fflush (stdout);
}

/* --- plab run --- */

static void
runner_clear (Runner *self)
{
  if (self->configs)
    {
      for (guint i = 0; i < self->configs->len; i++)
        {
          RunConfig *c = &g_array_index (self->configs, RunConfig, i);

          g_free (c->check);
          g_free (c->error);
          g_free (c->result_json);
        }
      g_array_free (self->configs, TRUE);
    }
  if (self->pending)
    g_array_free (self->pending, TRUE);
  plab_progress_free (self->stream);
  if (self->store)
    plab_store_close (self->store);
  g_free (self->db_path);
  g_free (self->db);
}

static char *
demo_help (const PlabDemo *demo)
{
  GString *s = g_string_new (NULL);
  char allowed[160];
  char def[64];

  g_string_append_printf (s, "%s: %s\n\n%s\n\nParameters (--set KEY=VALUE):\n", demo->name,
                          demo->title, demo->lesson);
  for (size_t i = 0; i < demo->n_params; i++)
    {
      const PlabParamSpec *p = &demo->params[i];

      plab_param_describe (p, allowed, sizeof allowed);
      plab_param_format (p, p->def, def, sizeof def);
      g_string_append_printf (s, "  %-12s %s\n  %-12s %s, default %s\n", p->name, p->help, "",
                              allowed, def);
    }
  return g_string_free (s, FALSE);
}

int
_plab_cli_run (int argc, char **argv)
{
  g_autofree char *workers_text = NULL;
  g_autofree char *backend_text = NULL;
  g_autofree char *sweep_text = NULL;
  g_autofree char *repeat_text = NULL;
  g_autofree char *seed_text = NULL;
  g_auto (GStrv) sets = NULL;
  g_autoptr (GArray) backends = g_array_new (FALSE, FALSE, sizeof (PlabBackend));
  g_autoptr (GArray) counts = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GOptionContext) context = NULL;
  Runner self = { 0 };
  int repeats = 1;
  int status = PLAB_EXIT_OK;
  char err[256];
  GOptionEntry entries[]
      = { { "workers", 'j', 0, G_OPTION_ARG_FILENAME, &workers_text,
            "Workers (default: the usable CPUs)", "N" },
          { "backend", 'b', 0, G_OPTION_ARG_FILENAME, &backend_text,
            "serial, threads, processes or gil; a comma list runs each", "NAME[,NAME]" },
          { "sweep", 0, 0, G_OPTION_ARG_FILENAME, &sweep_text,
            "Worker counts to run, like 1,2,4 or 1..max; prints a speedup table", "LIST" },
          { "repeat", 0, 0, G_OPTION_ARG_FILENAME, &repeat_text,
            "Repeats per configuration; the median is reported", "N" },
          { "set", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &sets, "A demo parameter (repeatable)",
            "KEY=VALUE" },
          { "seed", 0, 0, G_OPTION_ARG_FILENAME, &seed_text,
            "Seed of the demo's random numbers (default 1)", "N" },
          { "db", 0, 0, G_OPTION_ARG_FILENAME, &self.db,
            "The run store (default under $XDG_DATA_HOME)", "FILE" },
          { "json", 0, 0, G_OPTION_ARG_NONE, &self.json, "A machine-readable summary on stdout",
            NULL },
          { "progress", 0, 0, G_OPTION_ARG_NONE, &self.progress,
            "The live event stream on stdout, as JSON Lines (used by the lab window)", NULL },
          { NULL } };

  /* Shared memory left by a runner that was killed together with its
   * watchdog goes now, before this run makes any. */
  plab_shm_reap_stale ();
  g_set_prgname ("plab run");
  context = g_option_context_new ("DEMO - run a demo, record it, print a summary");
  g_option_context_add_main_entries (context, entries, NULL);
  {
    g_autofree char *known = _plab_cli_known_demos ();
    g_autofree char *desc = g_strdup_printf ("%s.\nplab run DEMO --help describes a demo and its "
                                             "parameters.",
                                             known);
    g_option_context_set_description (context, desc);
  }

  /* "plab run squares --help" describes the demo itself. */
  if (argc >= 3 && plab_demo_find (argv[1])
      && (g_strv_contains ((const char *const *)argv, "--help")
          || g_strv_contains ((const char *const *)argv, "-h")))
    {
      g_autofree char *help = demo_help (plab_demo_find (argv[1]));
      g_autofree char *options = g_option_context_get_help (context, TRUE, NULL);

      printf ("%s\n%s", help, options);
      return PLAB_EXIT_OK;
    }

  if (!_plab_cli_parse (context, COMMAND, &argc, &argv))
    {
      g_free (self.db);
      return PLAB_EXIT_USAGE;
    }

  if (!_plab_cli_db_given_ok (COMMAND, self.db))
    {
      status = PLAB_EXIT_USAGE;
      goto out;
    }

  /* The demo. */
  if (argc < 2)
    {
      g_autofree char *known = _plab_cli_known_demos ();

      status = _plab_cli_usage_error (COMMAND, "which demo? (%s)", known);
      goto out;
    }
  if (argc > 2)
    {
      status = _plab_cli_usage_error (COMMAND, "one demo at a time: unexpected '%s'", argv[2]);
      goto out;
    }
  self.demo = plab_demo_find (argv[1]);
  if (self.demo == NULL)
    {
      g_autofree char *known = _plab_cli_known_demos ();

      status = _plab_cli_usage_error (COMMAND, "unknown demo '%s' (%s)", argv[1], known);
      goto out;
    }
  plab_demo_run_init (&self.proto, self.demo);

  /* Options, all checked before anything runs. */
  status = PLAB_EXIT_USAGE;
  if (backend_text)
    {
      if (!parse_backends (self.demo, backend_text, backends))
        goto out;
    }
  else
    g_array_append_val (backends, self.demo->default_backend);

  if (sweep_text && workers_text)
    {
      _plab_cli_usage_error (COMMAND, "give either -j or --sweep, not both");
      goto out;
    }
  if (sweep_text)
    {
      if (!parse_sweep (sweep_text, counts))
        goto out;
    }
  else
    {
      int w = plab_usable_cpus ();

      if (workers_text && !parse_int ("-j", workers_text, 1, PLAB_POOL_MAX_WORKERS, &w))
        goto out;
      g_array_append_val (counts, w);
    }
  if (repeat_text && !parse_int ("--repeat", repeat_text, 1, MAX_REPEAT, &repeats))
    goto out;
  self.seed = 1;
  if (seed_text)
    {
      guint64 seed;

      if (!g_ascii_string_to_unsigned (seed_text, 10, 0, G_MAXUINT64, &seed, NULL))
        {
          _plab_cli_usage_error (COMMAND,
                                 "--seed must be a whole number from 0 to %" G_GUINT64_FORMAT
                                 ", not '%s'",
                                 G_MAXUINT64, seed_text);
          goto out;
        }
      self.seed = seed;
    }
  for (int i = 0; sets && sets[i]; i++)
    if (!parse_set (&self, sets[i]))
      goto out;

  /* The configurations: every backend with every worker count, each repeated.
   * The serial backend has one worker whatever the sweep says, so it runs once. */
  self.configs = g_array_new (FALSE, TRUE, sizeof (RunConfig));
  for (guint b = 0; b < backends->len; b++)
    {
      PlabBackend backend = g_array_index (backends, PlabBackend, b);
      gboolean serial_done = FALSE;

      for (guint k = 0; k < counts->len; k++)
        {
          int workers = g_array_index (counts, int, k);

          if (backend == PLAB_BACKEND_SERIAL)
            {
              if (serial_done)
                continue;
              serial_done = TRUE;
              workers = 1;
            }
          for (int r = 0; r < repeats; r++)
            {
              RunConfig c = { .backend = backend, .workers = workers, .repeat = r };

              self.proto.backend = backend;
              self.proto.workers = workers;
              if (plab_demo_run_validate (&self.proto, err, sizeof err) != 0)
                {
                  _plab_cli_usage_error (COMMAND, "%s", err);
                  goto out;
                }
              c.speedup = NAN;
              g_array_append_val (self.configs, c);
            }
        }
    }

  /* The store. */
  status = PLAB_EXIT_FAILED;
  self.store = _plab_cli_open_store (self.db, PLAB_STORE_READ_WRITE, &self.db_path, NULL);
  if (self.store == NULL)
    goto out;
  if (self.configs->len > 1)
    {
      g_autofree char *label
          = g_strdup_printf ("%s%s%s", backend_text ? backend_text : "", backend_text ? " x " : "",
                             sweep_text ? sweep_text : "repeats");
      int rc = plab_store_new_sweep (self.store, self.demo->name, label, &self.sweep_id);

      if (rc != 0)
        {
          _plab_cli_error (COMMAND, "cannot record a sweep in %s: %s", self.db_path,
                           _plab_cli_store_error (self.store, rc));
          goto out;
        }
    }

  self.pending = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
  runner_pid = getpid ();
  install_signal_handlers ();
  if (self.progress)
    self.stream = plab_progress_new (stdout);
  self.bar = !self.progress && isatty (STDERR_FILENO);

  status = PLAB_EXIT_OK;
  for (guint i = 0; i < self.configs->len && cancel_signal == 0; i++)
    {
      RunConfig *c = &g_array_index (self.configs, RunConfig, i);

      if (!run_one (&self, c))
        {
          status = PLAB_EXIT_FAILED;
          break;
        }
      if (c->status == PLAB_RUN_FAILED)
        status = PLAB_EXIT_FAILED;
      if (!self.json)
        print_run_line (self.progress ? stderr : stdout, c);
    }

  if (self.json)
    print_json_summary (&self);
  else
    print_summary (&self, self.progress ? stderr : stdout);
  if (self.stream)
    plab_progress_done (self.stream, self.sweep_id, self.db_path);

  if (cancel_signal != 0)
    {
      RunConfig *last = NULL;

      for (guint i = 0; i < self.configs->len; i++)
        if (g_array_index (self.configs, RunConfig, i).ran)
          last = &g_array_index (self.configs, RunConfig, i);
      fprintf (stderr, "%s: stopped%s", COMMAND, cancel_reason ());
      if (last)
        fprintf (stderr, "; run %" G_GINT64_FORMAT " recorded as %s\n", last->run_id,
                 plab_run_status_name (last->status));
      else
        fprintf (stderr, "\n");
      status = 128 + cancel_signal;
    }

out:
  runner_clear (&self);
  return status;
}
