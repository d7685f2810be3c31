/* plab-cli-run.c: `plab run`, the runner's command line.
 *
 * The runner is what actually runs demos, for the command line and for the
 * lab window alike (the window starts `plab run ... --progress` as a child and
 * reads its stream). It is a plain single-threaded process until a demo starts
 * its workers, so forking workers is safe here, and a crash in a demo can never
 * take the window down.
 *
 * This file parses the options, turns them into configurations (backend x
 * workers x repeat), and hands each to the recording engine
 * (core/plab-recording.c), which runs it and writes it to the store. What
 * stays here is what the user sees: the progress bar, the --progress stream
 * (app/plab-progress.c), the run lines and the summary.
 *
 * SIGINT and SIGTERM set the engine's cancel flag, which the demo's pool
 * watches: the pool stops and terminates its workers, the run is recorded as
 * cancelled and the runner exits with 128 + the signal. A second signal ends
 * the runner at once (the run is then found on the next open of the store and
 * marked failed). SIGHUP (a terminal that hung up, or the lab window's process
 * gone: the window starts the runner with SIGHUP as its parent-death signal)
 * cancels the run the same way, but never counts as a second signal: it may
 * come more than once. A reader of the progress stream that closes it or stops
 * reading does not stop the runs: the stream is given up with one line on
 * stderr, and the runs go on and are recorded.
 */
#include "plab-cli-run-private.h"

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
      _plab_cli_error (COMMAND,
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
              _plab_cli_error (COMMAND, "--sweep range %s goes down; write it as %d..%d", parts[i],
                               hi, lo);
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
    return _plab_cli_reject (COMMAND, "--sweep needs worker counts, like 1,2,4 or 1..max");
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
        return _plab_cli_reject (COMMAND,
                                 "--backend has an empty name in '%s' (backends: serial, threads, "
                                 "processes, gil, mpi)",
                                 text);
      if (plab_backend_from_name (parts[i], &b) != 0)
        return _plab_cli_reject (COMMAND,
                                 "unknown backend '%s' (backends: serial, threads, processes, gil, "
                                 "mpi)",
                                 parts[i]);
      if (!(demo->backends & PLAB_BACKEND_BIT (b)))
        {
          GString *names = g_string_new (NULL);

          for (int k = 0; k <= PLAB_BACKEND_MPI; k++)
            if (demo->backends & PLAB_BACKEND_BIT (k))
              g_string_append_printf (names, "%s%s", names->len ? ", " : "", plab_backend_name (k));
          _plab_cli_error (COMMAND, "%s does not run on the %s backend (it runs on: %s)",
                           demo->name, parts[i], names->str);
          g_string_free (names, TRUE);
          return FALSE;
        }
      g_array_append_val (backends, b);
    }
  if (backends->len == 0)
    return _plab_cli_reject (COMMAND, "--backend needs a name: serial, threads, processes or gil");
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
    return _plab_cli_reject (COMMAND, "--set needs KEY=VALUE, not '%s'", assignment);
  key = g_strndup (assignment, (gsize)(eq - assignment));
  index = plab_demo_param_index (self->demo, key);
  if (index < 0)
    {
      GString *names = g_string_new (NULL);

      for (size_t i = 0; i < self->demo->n_params; i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "", self->demo->params[i].name);
      _plab_cli_error (COMMAND, "%s has no parameter '%s' (parameters: %s)", self->demo->name, key,
                       names->len ? names->str : "none");
      g_string_free (names, TRUE);
      return FALSE;
    }
  if (plab_param_parse (&self->demo->params[index], eq + 1, &value, err, sizeof err) != 0)
    return _plab_cli_reject (COMMAND, "%s", err);
  self->proto.values[index] = value;
  return TRUE;
}

/* --- What the user sees while a run goes: the progress bar and stream --- */

static void
draw_bar (Runner *self, gboolean force)
{
  int64_t now = plab_now_ns ();
  int64_t total
      = self->current ? __atomic_load_n (&self->current->tasks_total, __ATOMIC_RELAXED) : 0;
  RunConfig *c = self->current_config;
  char bar[PROGRESS_BAR_WIDTH + 1];
  int filled;

  if (!self->bar || c == NULL || now - self->bar_start_ns < PROGRESS_BAR_DELAY_NS)
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

/* Says once on stderr that the progress stream was given up. The runs go on:
 * the store gets them whole, and nobody is left waiting on a pipe. */
static void
check_stream (Runner *self)
{
  const char *why;

  if (self->stream == NULL || self->stream_given_up)
    return;
  why = plab_progress_broken_reason (self->stream);
  if (why == NULL)
    return;
  self->stream_given_up = TRUE;
  clear_bar (self);
  _plab_cli_error (COMMAND, "the progress stream is given up (%s); the runs go on and are recorded",
                   why);
}

static void
live_run_begin_cb (void *user_data,
                   int64_t run_id,
                   const PlabRecordingConfig *config,
                   int64_t origin_ns)
{
  Runner *self = user_data;

  if (self->stream)
    plab_progress_run_begin (self->stream, run_id, config, origin_ns);
  check_stream (self);
}

static void
live_lane_cb (void *user_data, const PlabLaneInfo *lane)
{
  Runner *self = user_data;

  if (self->stream)
    plab_progress_lane (self->stream, lane);
  check_stream (self);
}

static void
live_open_cb (void *user_data, int lane, const PlabEvent *open, size_t n_open)
{
  Runner *self = user_data;

  if (self->stream)
    plab_progress_open (self->stream, lane, open, n_open);
  check_stream (self);
}

/* Open spans left waiting for room in the pipe go out when it has some. */
static void
live_drained_cb (void *user_data)
{
  Runner *self = user_data;

  if (self->stream)
    plab_progress_flush (self->stream);
  check_stream (self);
}

static void
live_events_cb (void *user_data, const PlabEvent *events, size_t n_events)
{
  Runner *self = user_data;

  if (self->stream)
    plab_progress_events (self->stream, events, n_events);
  check_stream (self);
  if (self->bar)
    {
      for (size_t i = 0; i < n_events; i++)
        if (events[i].kind == PLAB_SPAN_TASK)
          self->tasks_done++;
      draw_bar (self, FALSE);
    }
}

static void
live_stalled_cb (void *user_data, const PlabLaneInfo *lane, int64_t idle_ns, bool stopped)
{
  Runner *self = user_data;

  clear_bar (self);
  if (lane == NULL)
    _plab_cli_error (COMMAND, "no worker has recorded anything for %.0f s; Ctrl+C stops the run",
                     idle_ns / 1e9);
  else
    _plab_cli_error (COMMAND, "%s (pid %d) has made no progress for %.0f s%s; Ctrl+C stops the run",
                     lane->name, lane->pid, idle_ns / 1e9,
                     stopped ? ": its process is stopped (SIGSTOP?), SIGCONT resumes it" : "");
  if (self->stream)
    plab_progress_stalled (self->stream, lane, idle_ns, stopped);
  check_stream (self);
}

static void
live_notice_cb (void *user_data, const char *message)
{
  Runner *self = user_data;

  clear_bar (self);
  _plab_cli_error (COMMAND, "%s", message);
}

static void
live_run_end_cb (void *user_data, const PlabRecordingOutcome *o)
{
  Runner *self = user_data;

  draw_bar (self, TRUE);
  clear_bar (self);
  /* The run's clock stopped before this line: a slow reader costs the
   * runner time, never the run. */
  if (self->stream)
    plab_progress_run_end (self->stream, plab_run_status_name (o->status), o->wall_ns, o->cpu_ns,
                           o->check_ok, o->check, o->error);
  check_stream (self);
}

/* --- Running one configuration --- */

/* The engine's run function for a demo: the demo runs on the engine's trace
 * and cancel flag, and reports its result and check. */
static int
demo_run_cb (void *user_data,
             PlabTrace *trace,
             const volatile sig_atomic_t *cancel,
             PlabRecordingReport *report)
{
  Runner *self = user_data;
  PlabDemoRun *run = self->current;
  int rc;

  run->trace = trace;
  run->cancel = cancel;
  if (run->backend == PLAB_BACKEND_MPI)
    rc = _plab_cli_run_mpi (run, self->hosts);
  else
    rc = run->demo->run (run);
  report->check_ok = run->check_ok;
  g_strlcpy (report->check_message, run->check_message, sizeof report->check_message);
  g_strlcpy (report->error, run->error, sizeof report->error);
  report->result_json = g_steal_pointer (&run->result_json);
  return rc;
}

/* Copies what the engine reports into @c. */
static void
keep_outcome (RunConfig *c, const PlabRecordingOutcome *o)
{
  c->run_id = o->run_id;
  c->status = o->status;
  c->wall_ns = o->wall_ns;
  c->cpu_ns = o->cpu_ns;
  c->load = o->load;
  c->check_ok = o->check_ok;
  c->check = g_strdup (o->check ? o->check : "");
  c->error = g_strdup (o->error);
  c->result_json = g_strdup (o->result_json ? o->result_json : "{}");
  c->ran = TRUE;
}

/* The result of the serial run of this run set that @c is measured
 * against: the same repeat when it ran, else the first that ran ok; NULL
 * when there is none (or @c is serial itself). Every configuration shares
 * the parameters, so the serial run is the same job as a for loop. */
static const char *
serial_result (Runner *self, const RunConfig *c)
{
  const RunConfig *found = NULL;

  if (c->backend == PLAB_BACKEND_SERIAL)
    return NULL;
  for (guint i = 0; i < self->configs->len; i++)
    {
      const RunConfig *s = &g_array_index (self->configs, RunConfig, i);

      if (s->backend != PLAB_BACKEND_SERIAL || !s->ran || s->status != PLAB_RUN_OK)
        continue;
      if (found == NULL || s->repeat == c->repeat)
        found = s;
    }
  return found ? found->result_json : NULL;
}

/* Returns FALSE when the store failed (a line has been printed). */
static gboolean
run_one (Runner *self, RunConfig *c)
{
  PlabDemoRun run = self->proto;
  PlabRecordingConfig config = { 0 };
  PlabRecordingOutcome o = { 0 };
  g_autofree char *params = NULL;
  int rc;

  run.backend = c->backend;
  run.workers = c->workers;
  run.seed = self->seed + (uint64_t)c->repeat;
  run.result_json = NULL;
  run.serial_result_json = serial_result (self, c);
  params = plab_demo_run_params_json (&run);

  config.demo = self->demo->name;
  config.backend = plab_backend_name (c->backend);
  config.workers = c->workers;
  config.params_json = params;
  config.seed = run.seed;
  config.sweep_id = self->sweep_id;
  config.repeat = c->repeat;
  config.func = demo_run_cb;
  config.user_data = self;

  self->current = &run;
  self->current_config = c;
  self->tasks_done = 0;
  self->bar_start_ns = plab_now_ns ();
  self->bar_last_ns = 0;
  rc = plab_recording_run (self->rec, &config, &o);
  self->current = NULL;
  self->current_config = NULL;
  plab_demo_run_clear (&run);

  if (o.run_id == 0)
    _plab_cli_error (COMMAND, "cannot record the run in %s: %s", self->db_path,
                     plab_recording_errmsg (self->rec));
  else
    keep_outcome (c, &o);
  /* One line, whichever writes failed. A run whose end could not be written
   * stays "running" in the store, and every reader shows it as failed once
   * this runner has exited. */
  if (o.run_id != 0 && !o.recorded)
    _plab_cli_error (COMMAND,
                     "run %" G_GINT64_FORMAT " could not be recorded in %s: %s; it will show as "
                     "failed",
                     o.run_id, self->db_path, plab_recording_errmsg (self->rec));
  else if (o.run_id != 0 && o.store_error != 0)
    _plab_cli_error (COMMAND,
                     "run %" G_GINT64_FORMAT " is recorded as failed in %s: part of its "
                     "timeline could not be written: %s",
                     o.run_id, self->db_path, plab_recording_errmsg (self->rec));
  if (o.run_id != 0 && rc != 0)
    self->store_failed = TRUE;
  plab_recording_outcome_clear (&o);
  return rc == 0;
}

/* --- Long run sets --- */

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

/* A run set estimated to take longer than this needs --yes (or a yes on a
 * terminal). */
#define LONG_SET_S 600.0
/* What one run is taken to cost when the store has never seen these
 * parameters: the demos' defaults finish in about a second. */
#define DEFAULT_RUN_S 1.0
#define ESTIMATE_HISTORY 50

/* Seconds one run is expected to take: the median of the newest ok runs of
 * the same demo and parameters in the store, else DEFAULT_RUN_S. */
static double
estimate_run_s (Runner *self)
{
  g_autofree char *params = plab_demo_run_params_json (&self->proto);
  PlabRunFilter filter = { .demo = self->demo->name, .limit = ESTIMATE_HISTORY };
  PlabRunRecord **records = NULL;
  double times[ESTIMATE_HISTORY];
  size_t n = 0, k = 0;

  if (plab_store_list_runs (self->store, &filter, &records, &n) != 0)
    return DEFAULT_RUN_S;
  for (size_t i = 0; i < n && k < ESTIMATE_HISTORY; i++)
    if (records[i]->status == PLAB_RUN_OK && g_strcmp0 (records[i]->params_json, params) == 0)
      times[k++] = records[i]->wall_ns / 1e9;
  plab_run_records_free (records, n);
  if (k == 0)
    return DEFAULT_RUN_S;
  qsort (times, k, sizeof times[0], compare_doubles);
  return times[k / 2];
}

static char *
format_duration (double s)
{
  if (s >= 3600)
    return g_strdup_printf ("%.1f hours", s / 3600);
  if (s >= 60)
    return g_strdup_printf ("%.0f minutes", s / 60);
  return g_strdup_printf ("%.0f seconds", s);
}

/* Whoever is at the terminal says yes. */
static gboolean
ask_yes (void)
{
  char answer[16];

  fprintf (stderr, "Start them? [y/N] ");
  fflush (stderr);
  if (fgets (answer, sizeof answer, stdin) == NULL)
    return FALSE;
  return answer[0] == 'y' || answer[0] == 'Y';
}

/* PLAB_EXIT_OK, or PLAB_EXIT_USAGE after one line when the run set is
 * estimated to take longer than LONG_SET_S and nobody said yes. */
static int
confirm_long_set (Runner *self)
{
  double per_run = estimate_run_s (self);
  double total = per_run * self->configs->len;
  g_autofree char *duration = NULL;

  if (total <= LONG_SET_S || self->yes)
    return PLAB_EXIT_OK;
  duration = format_duration (total);
  if (!self->progress && isatty (STDIN_FILENO) && isatty (STDERR_FILENO))
    {
      fprintf (stderr, "%s: %u runs, about %s (%.2f s a run%s)\n", COMMAND, self->configs->len,
               duration, per_run, per_run == DEFAULT_RUN_S ? ", a guess" : ", from earlier runs");
      if (ask_yes ())
        return PLAB_EXIT_OK;
    }
  return _plab_cli_usage_error (COMMAND,
                                "%u runs would take about %s (%.2f s a run%s); pass --yes to "
                                "start them, or fewer --repeat, --sweep or backends",
                                self->configs->len, duration, per_run,
                                per_run == DEFAULT_RUN_S ? ", a guess" : ", from earlier runs");
}

/* --- plab run --- */

/* The options as given, before they are checked. */
typedef struct
{
  char *workers_text;
  char *backend_text;
  char *sweep_text;
  char *repeat_text;
  char *seed_text;
  char **sets;
} RunArgs;

static void
run_args_clear (RunArgs *args)
{
  g_free (args->workers_text);
  g_free (args->backend_text);
  g_free (args->sweep_text);
  g_free (args->repeat_text);
  g_free (args->seed_text);
  g_strfreev (args->sets);
}

static void
runner_clear (Runner *self)
{
  g_clear_pointer (&self->hosts, g_free);
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
  plab_recording_free (self->rec);
  plab_progress_free (self->stream);
  if (self->store)
    plab_store_close (self->store);
  g_free (self->db_path);
  g_free (self->db);
}

/* The lesson's Try this steps, each with the command that does what the
 * step's click does in the window. */
static void
append_tries (GString *s, const PlabDemo *demo)
{
  size_t n;
  const PlabDemoTry *tries = plab_demo_tries (demo, &n);

  for (size_t i = 0; i < n; i++)
    {
      const PlabDemoTry *step = &tries[i];
      g_auto (GStrv) params = g_strsplit (step->params ? step->params : "", " ", -1);

      if (i == 0)
        g_string_append (s, "\nTry this:\n");
      g_string_append_printf (s, "  %zu. %s\n     plab run %s", i + 1, step->text, demo->name);
      if (step->backend >= 0)
        g_string_append_printf (s, " -b %s", plab_backend_name ((PlabBackend)step->backend));
      if (step->workers > 0)
        g_string_append_printf (s, " -j %d", step->workers);
      for (guint p = 0; params[p] != NULL; p++)
        if (params[p][0] != '\0')
          g_string_append_printf (s, " --set %s", params[p]);
      if (step->sweep)
        g_string_append (s, " --sweep 1..max");
      g_string_append_c (s, '\n');
    }
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
      g_string_append_printf (s, "  %-12s %s\n  %-12s %s, default %s%s%s\n", p->name, p->help, "",
                              allowed, def, p->unit ? " " : "", p->unit ? p->unit : "");
    }
  append_tries (s, demo);
  return g_string_free (s, FALSE);
}

static GOptionContext *
new_context (Runner *self, RunArgs *args)
{
  GOptionEntry entries[]
      = { { "workers", 'j', 0, G_OPTION_ARG_FILENAME, &args->workers_text,
            "Workers (default: the usable CPUs)", "N" },
          { "backend", 'b', 0, G_OPTION_ARG_FILENAME, &args->backend_text,
            "serial, threads, processes, gil or mpi; a comma list runs each", "NAME[,NAME]" },
          { "sweep", 0, 0, G_OPTION_ARG_FILENAME, &args->sweep_text,
            "Worker counts to run, like 1,2,4 or 1..max; prints a speedup table", "LIST" },
          { "repeat", 0, 0, G_OPTION_ARG_FILENAME, &args->repeat_text,
            "Repeats per configuration; the median is reported", "N" },
          { "set", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args->sets, "A demo parameter (repeatable)",
            "KEY=VALUE" },
          { "seed", 0, 0, G_OPTION_ARG_FILENAME, &args->seed_text,
            "Seed of the demo's random numbers (default 1)", "N" },
          { "hosts", 0, 0, G_OPTION_ARG_FILENAME, &self->hosts,
            "Open MPI's host file for the mpi backend (default: this machine)", "FILE" },
          { "db", 0, 0, G_OPTION_ARG_FILENAME, &self->db,
            "The run store (default under $XDG_DATA_HOME)", "FILE" },
          { "json", 0, 0, G_OPTION_ARG_NONE, &self->json, "A machine-readable summary on stdout",
            NULL },
          { "progress", 0, 0, G_OPTION_ARG_NONE, &self->progress,
            "The live event stream on stdout, as JSON Lines (used by the lab window)", NULL },
          { "yes", 'y', 0, G_OPTION_ARG_NONE, &self->yes,
            "Start a run set estimated to take more than 10 minutes without asking", NULL },
          { NULL } };
  g_autofree char *known = _plab_cli_known_demos ();
  g_autofree char *desc = g_strdup_printf ("%s.\nplab run DEMO --help describes a demo and its "
                                           "parameters.\n\nExit status: 0 every run ok, 1 a run "
                                           "failed or the store could not be used, 2 bad input "
                                           "or a long run set refused, 128 + N stopped by signal "
                                           "N (130 SIGINT, 143 SIGTERM, 129 SIGHUP). A progress "
                                           "stream whose reader goes away or stops reading is "
                                           "given up; the runs go on.",
                                           known);
  GOptionContext *context = g_option_context_new ("DEMO - run a demo, record it, print a summary");

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context, desc);
  return context;
}

/* The demo named by the one argument left after the options. */
static int
find_demo (Runner *self, int argc, char **argv)
{
  g_autofree char *known = _plab_cli_known_demos ();

  if (argc < 2)
    return _plab_cli_usage_error (COMMAND, "which demo? (%s)", known);
  if (argc > 2)
    return _plab_cli_usage_error (COMMAND, "one demo at a time: unexpected '%s'", argv[2]);
  self->demo = plab_demo_find (argv[1]);
  if (self->demo == NULL)
    return _plab_cli_usage_error (COMMAND, "unknown demo '%s' (%s)", argv[1], known);
  plab_demo_run_init (&self->proto, self->demo);
  return PLAB_EXIT_OK;
}

static gboolean
parse_seed (Runner *self, const char *text)
{
  guint64 seed;

  self->seed = 1;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &seed, NULL))
    return _plab_cli_reject (COMMAND,
                             "--seed must be a whole number from 0 to %" G_GUINT64_FORMAT
                             ", not '%s'",
                             G_MAXUINT64, text);
  self->seed = seed;
  return TRUE;
}

/* --hosts goes with the mpi backend, and names a file Open MPI can read. */
static gboolean
check_hosts (Runner *self, GArray *backends)
{
  gboolean mpi = FALSE;

  for (guint i = 0; i < backends->len; i++)
    mpi |= g_array_index (backends, PlabBackend, i) == PLAB_BACKEND_MPI;
  if (!mpi)
    return _plab_cli_reject (COMMAND, "--hosts is for the mpi backend: add -b mpi");
  if (access (self->hosts, R_OK) != 0)
    return _plab_cli_reject (COMMAND, "cannot read the host file '%s': %s", self->hosts,
                             g_strerror (errno));
  return TRUE;
}

/* Checks every option before anything runs; FALSE after one line. */
static gboolean
check_options (Runner *self, RunArgs *args, GArray *backends, GArray *counts, int *repeats)
{
  if (args->backend_text)
    {
      if (!parse_backends (self->demo, args->backend_text, backends))
        return FALSE;
    }
  else
    g_array_append_val (backends, self->demo->default_backend);
  if (self->hosts && !check_hosts (self, backends))
    return FALSE;

  if (args->sweep_text && args->workers_text)
    return _plab_cli_reject (COMMAND, "give either -j or --sweep, not both");
  if (args->sweep_text && self->demo->no_worker_axis)
    {
      _plab_cli_error (COMMAND,
                       "%s has no worker axis to sweep: %s, so every worker count would "
                       "measure the same run (leave out --sweep; --repeat repeats it)",
                       self->demo->name, self->demo->no_worker_axis);
      return FALSE;
    }
  if (args->sweep_text)
    {
      if (!parse_sweep (args->sweep_text, counts))
        return FALSE;
    }
  else
    {
      int w = plab_usable_cpus ();

      if (args->workers_text && !parse_int ("-j", args->workers_text, 1, PLAB_POOL_MAX_WORKERS, &w))
        return FALSE;
      self->workers_given = args->workers_text != NULL;
      g_array_append_val (counts, w);
    }
  if (args->repeat_text && !parse_int ("--repeat", args->repeat_text, 1, MAX_REPEAT, repeats))
    return FALSE;
  if (!parse_seed (self, args->seed_text))
    return FALSE;
  for (int i = 0; args->sets && args->sets[i]; i++)
    if (!parse_set (self, args->sets[i]))
      return FALSE;
  self->backend_text = args->backend_text;
  self->sweep_text = args->sweep_text;
  return TRUE;
}

/* The workers of a run of a demo with no worker axis: as many as its
 * values start, whatever -j said (@asked); a -j that differs is told so. */
static int
demo_workers (Runner *self, int asked)
{
  int workers = plab_demo_run_workers (&self->proto);

  if (self->workers_given && asked != workers)
    g_printerr ("plab run: %s: -j %d is not used: %s; recorded as %d worker%s\n", self->demo->name,
                asked, self->demo->no_worker_axis, workers, workers == 1 ? "" : "s");
  self->workers_given = FALSE; /* said once */
  return workers;
}

/* The configurations: every backend with every worker count, each repeated.
 * The serial backend has one worker whatever the sweep says, so it runs once,
 * and first: the other runs are measured against it (serial_result ()). */
static gboolean
build_configs (Runner *self, GArray *backends, GArray *counts, int repeats)
{
  char err[256];

  self->configs = g_array_new (FALSE, TRUE, sizeof (RunConfig));
  for (guint b = 0; b < backends->len; b++)
    if (g_array_index (backends, PlabBackend, b) == PLAB_BACKEND_SERIAL && b > 0)
      {
        PlabBackend serial = PLAB_BACKEND_SERIAL;

        g_array_remove_index (backends, b);
        g_array_prepend_val (backends, serial);
        break;
      }
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
          else if (self->demo->no_worker_axis != NULL)
            workers = demo_workers (self, workers);
          self->proto.backend = backend;
          self->proto.workers = workers;
          if (plab_demo_run_validate (&self->proto, err, sizeof err) != 0)
            return _plab_cli_reject (COMMAND, "%s", err);
          for (int r = 0; r < repeats; r++)
            {
              RunConfig c = { .backend = backend, .workers = workers, .repeat = r };

              c.speedup = NAN;
              g_array_append_val (self->configs, c);
            }
        }
    }
  return TRUE;
}

/* A stored rate this much slower than a check measured now is measured
 * again: the machine got faster (a laptop back on mains power). */
#define CALIBRATION_RECHECK 1.25

/* The demos' CPU work is calibrated once per machine and kept in the store,
 * so that "80 ms of CPU work" is the same work in every run, whatever ran
 * beside the run that measured it. Each run set checks the kept rate against
 * one short run timed in CPU time; only a check faster by a quarter measures
 * again, never a slower one, since a busy machine (a sibling hyperthread at
 * work) slows even the CPU time of a loop, and a rate measured then would
 * make the work smaller. Without a store that can keep it, the demos measure
 * the rate themselves. */
static void
calibrate (Runner *self)
{
  PlabCalibration kept = { 0 };
  PlabCalibration fresh = { 0 };
  double check;

  check = plab_demo_measure_spin_rate (1, NULL, NULL);
  if (plab_store_get_calibration (self->store, "spin_rate", &kept) == 0
      && check <= kept.value * CALIBRATION_RECHECK)
    {
      plab_demo_set_spin_rate (kept.value);
      return;
    }
  fresh.value
      = plab_demo_measure_spin_rate (PLAB_DEMO_CALIBRATION_RUNS, &fresh.cpu_ns, &fresh.wall_ns);
  if (fresh.value < check)
    fresh.value = check;
  if (fresh.value < kept.value)
    fresh.value = kept.value;
  plab_demo_set_spin_rate (fresh.value);
  if (plab_store_put_calibration (self->store, "spin_rate", &fresh) != 0)
    _plab_cli_error (COMMAND, "cannot keep the CPU work's calibration in %s: %s", self->db_path,
                     plab_store_errmsg (self->store));
}

/* The store; FALSE after one line. */
static gboolean
open_store (Runner *self)
{
  self->store = _plab_cli_open_store (self->db, PLAB_STORE_READ_WRITE, &self->db_path, NULL);
  return self->store != NULL;
}

/* A sweep's name, as History and the charts show it: "chef: serial,
 * processes ×1,2 · 3 repeats · 10:42". */
static char *
sweep_label (Runner *self)
{
  g_autoptr (GString) label = g_string_new (self->demo->name);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%H:%M");
  unsigned named = 0; /* PLAB_BACKEND_BIT of the backends named so far */
  int repeats = 0, workers = 1;

  g_string_append (label, ":");
  for (guint i = 0; i < self->configs->len; i++)
    {
      const RunConfig *c = &g_array_index (self->configs, RunConfig, i);

      repeats = MAX (repeats, c->repeat + 1);
      /* Without --sweep every backend but serial runs the -j workers. */
      workers = MAX (workers, c->workers);
      if (named & PLAB_BACKEND_BIT (c->backend))
        continue;
      g_string_append_printf (label, "%s %s", named ? "," : "", plab_backend_name (c->backend));
      named |= PLAB_BACKEND_BIT (c->backend);
    }
  if (self->sweep_text != NULL)
    g_string_append_printf (label, " ×%s", self->sweep_text);
  else
    g_string_append_printf (label, " ×%d", workers);
  g_string_append_printf (label, " · %d repeat%s · %s", repeats, repeats == 1 ? "" : "s", time);
  return g_string_free (g_steal_pointer (&label), FALSE);
}

/* The sweep the runs belong to, and the engine; FALSE after one line. */
static gboolean
start_recording (Runner *self)
{
  int rc;

  if (self->configs->len > 1)
    {
      g_autofree char *label = sweep_label (self);

      rc = plab_store_new_sweep (self->store, self->demo->name, label, &self->sweep_id);
      if (rc != 0)
        {
          _plab_cli_error (COMMAND, "cannot record a sweep in %s: %s", self->db_path,
                           _plab_cli_store_error (self->store, rc));
          return FALSE;
        }
    }
  rc = plab_recording_new (self->store, &self->rec);
  if (rc == 0)
    rc = plab_recording_catch_signals (self->rec);
  if (rc != 0)
    {
      _plab_cli_error (COMMAND, "cannot start recording: %s", plab_strerror (rc));
      return FALSE;
    }
  return TRUE;
}

/* Runs every configuration; returns the exit status so far. */
static int
run_all (Runner *self)
{
  PlabRecordingSink sink = {
    .run_begin = live_run_begin_cb,
    .lane = live_lane_cb,
    .events = live_events_cb,
    .open = live_open_cb,
    .drained = live_drained_cb,
    .stalled = live_stalled_cb,
    .notice = live_notice_cb,
    .run_end = live_run_end_cb,
    .user_data = self,
  };
  int status = PLAB_EXIT_OK;

  plab_recording_set_sink (self->rec, &sink);
  if (self->progress)
    self->stream = plab_progress_new (stdout);
  self->bar = !self->progress && isatty (STDERR_FILENO);

  for (guint i = 0; i < self->configs->len && plab_recording_cancelled (self->rec) == 0; i++)
    {
      RunConfig *c = &g_array_index (self->configs, RunConfig, i);

      if (!run_one (self, c))
        {
          status = PLAB_EXIT_FAILED;
          break;
        }
      if (c->status == PLAB_RUN_FAILED)
        status = PLAB_EXIT_FAILED;
      if (!self->json)
        _plab_cli_run_print_line (self->progress ? stderr : stdout, c);
    }
  return status;
}

/* The summary, the stream's last line, and a word on a cancelled run. */
static int
finish (Runner *self, int status)
{
  int sig = plab_recording_cancelled (self->rec);

  if (self->json)
    _plab_cli_run_print_json (self);
  else
    _plab_cli_run_print_summary (self, self->progress ? stderr : stdout);
  if (self->stream)
    {
      plab_progress_done (self->stream, self->sweep_id, self->db_path);
      check_stream (self);
    }

  if (sig != 0)
    {
      RunConfig *last = NULL;

      for (guint i = 0; i < self->configs->len; i++)
        if (g_array_index (self->configs, RunConfig, i).ran)
          last = &g_array_index (self->configs, RunConfig, i);
      fprintf (stderr, "%s: stopped%s", COMMAND, plab_recording_cancel_reason (sig));
      if (last)
        fprintf (stderr, "; run %" G_GINT64_FORMAT " recorded as %s\n", last->run_id,
                 plab_run_status_name (last->status));
      else
        fprintf (stderr, "\n");
      status = 128 + sig;
    }
  return status;
}

int
_plab_cli_run (int argc, char **argv)
{
  g_autoptr (GArray) backends = g_array_new (FALSE, FALSE, sizeof (PlabBackend));
  g_autoptr (GArray) counts = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GOptionContext) context = NULL;
  RunArgs args = { 0 };
  Runner self = { 0 };
  int repeats = 1;
  int status;

  /* Shared memory left by a runner that was killed together with its
   * watchdog goes now, before this run makes any. */
  plab_shm_reap_stale ();
  /* A reader of stdout that goes away makes writes fail (they are checked),
   * rather than end the runner in the middle of recording a run. */
  signal (SIGPIPE, SIG_IGN);
  g_set_prgname ("plab run");
  context = new_context (&self, &args);

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

  status = PLAB_EXIT_USAGE;
  if (!_plab_cli_parse (context, COMMAND, &argc, &argv)
      || !_plab_cli_db_given_ok (COMMAND, self.db))
    goto out;
  status = find_demo (&self, argc, argv);
  if (status != PLAB_EXIT_OK)
    goto out;
  status = PLAB_EXIT_USAGE;
  if (!check_options (&self, &args, backends, counts, &repeats)
      || !build_configs (&self, backends, counts, repeats))
    goto out;

  status = PLAB_EXIT_FAILED;
  if (!open_store (&self))
    goto out;
  status = confirm_long_set (&self);
  if (status != PLAB_EXIT_OK)
    goto out;
  calibrate (&self);
  status = PLAB_EXIT_FAILED;
  if (!start_recording (&self))
    goto out;
  status = finish (&self, run_all (&self));

out:
  runner_clear (&self);
  run_args_clear (&args);
  return status;
}
