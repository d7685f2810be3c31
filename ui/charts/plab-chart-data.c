/* plab-chart-data.c: the one loader of chart data from the run store. */
#include "plab-chart-data.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plab-axis.h"
#include "plab-error.h"
#include "plab-mem.h"

/* "n=1000, bandwidth=0.2" from {"n": 1000, "bandwidth": 0.2}. */
static void
format_params (const char *params_json, char *buf, size_t len)
{
  PlabJson *params = plab_json_parse (params_json ? params_json : "{}", NULL, 0);
  size_t used = 0;

  buf[0] = '\0';
  /* Only an object has keys: a store anyone can edit may hold an array. */
  for (size_t i = 0; params != NULL && params->type == PLAB_JSON_OBJECT
                     && i < plab_json_length (params) && used < len;
       i++)
    {
      char value[64];
      plab_json_format_value (&params->children[i], value, sizeof value);
      used += (size_t)snprintf (buf + used, len - used, "%s%s=%s", i ? ", " : "",
                                params->children[i].key, value);
    }
  if (buf[0] == '\0')
    snprintf (buf, len, "default parameters");
  plab_json_free (params);
}

/* The footer every chart carries: what, with what, where, when. */
static void
make_footer (PlabStore *store, const PlabRunRecord *run, const char *what, char *buf, size_t len)
{
  PlabMachineRecord machine;
  char params[256], date[32] = "";
  char where[256] = "unknown machine";
  time_t t = (time_t)(run->started_at_us / 1000000);
  struct tm tm;

  format_params (run->params_json, params, sizeof params);
  memset (&machine, 0, sizeof machine);
  if (plab_store_get_machine (store, run->machine_id, &machine) == 0)
    {
      snprintf (where, sizeof where, "%s (%s, %d CPUs)", machine.host ? machine.host : "?",
                machine.cpu_model ? machine.cpu_model : "?", machine.usable_cpus);
      plab_machine_record_clear (&machine);
    }
  if (run->started_at_us > 0 && localtime_r (&t, &tm) != NULL)
    strftime (date, sizeof date, "%Y-%m-%d %H:%M", &tm);
  snprintf (buf, len, "demo %s · %s · %s · %s · %s", run->demo, params, what, where, date);
}

/* A footer's second line, when the run was measured on a busy machine: the
 * chart frame draws it in the warning colour. */
static void
append_footer_line (char *buf, size_t len, const char *line)
{
  size_t used = strlen (buf);

  /* It begins a sentence of its own there. */
  if (line[0] != '\0' && used + 1 < len)
    {
      snprintf (buf + used, len - used, "\n%s", line);
      buf[used + 1] = (char)toupper ((unsigned char)buf[used + 1]);
    }
}

/* The warning of a group's footer: how many of its finished runs were
 * measured while other programs used the CPUs, the busiest named. */
static void
group_load_warning (PlabRunRecord **runs, size_t n_runs, char *buf, size_t len)
{
  const PlabRunRecord *busiest = NULL;
  int n_ok = 0, n_busy = 0;
  char note[256];

  buf[0] = '\0';
  for (size_t i = 0; i < n_runs; i++)
    {
      if (runs[i]->status != PLAB_RUN_OK || runs[i]->wall_ns <= 0)
        continue;
      n_ok++;
      if (!plab_machine_load_is_busy (&runs[i]->load))
        continue;
      n_busy++;
      if (busiest == NULL || runs[i]->load.others_share > busiest->load.others_share)
        busiest = runs[i];
    }
  if (busiest == NULL)
    return;
  snprintf (buf, len,
            "%d of %d runs were measured on a busy machine; the busiest, run %" PRId64 ": %s",
            n_busy, n_ok, busiest->id,
            plab_machine_load_describe (&busiest->load, note, sizeof note));
}

typedef struct
{
  PlabTimelineBuilder *builder;
  PlabKeepGoingFunc keep_going;
  void *user_data;
} LoadSpans;

static int
load_spans_cb (void *user_data, const PlabEvent *spans, size_t n_spans)
{
  LoadSpans *load = user_data;

  if (load->keep_going != NULL && !load->keep_going (load->user_data))
    return PLAB_ECANCELLED;
  return plab_timeline_builder_add (load->builder, spans, n_spans) == 0 ? 0 : PLAB_ENOMEM;
}

static int
timeline_load (PlabStore *store,
               int64_t run_id,
               PlabKeepGoingFunc keep_going,
               void *user_data,
               PlabLaneInfo **lanes_out,
               size_t *n_lanes_out,
               PlabTimelineData **out)
{
  PlabLaneInfo *lanes = NULL;
  size_t n_lanes = 0;
  LoadSpans load = { NULL, keep_going, user_data };
  int rc;

  *out = NULL;
  if ((rc = plab_store_get_lanes (store, run_id, &lanes, &n_lanes)) != 0)
    goto fail;
  load.builder = plab_timeline_builder_new (lanes, n_lanes);
  if (load.builder == NULL)
    {
      rc = PLAB_ENOMEM;
      goto fail;
    }
  /* The spans go from the store straight into the timeline's compact form,
   * a batch at a time: ten million of them never sit in memory twice. */
  if ((rc = plab_store_read_spans (store, run_id, 0, INT64_MAX, load_spans_cb, &load)) != 0
      || (rc = plab_store_read_counters (store, run_id, load_spans_cb, &load)) != 0)
    goto fail;
  if (keep_going != NULL && !keep_going (user_data))
    {
      rc = PLAB_ECANCELLED;
      goto fail;
    }
  *out = plab_timeline_builder_finish (load.builder);
  load.builder = NULL;
  rc = *out != NULL ? 0 : PLAB_ENOMEM;
  if (rc == 0 && lanes_out != NULL)
    {
      *lanes_out = lanes;
      *n_lanes_out = n_lanes;
      lanes = NULL;
    }

fail:
  plab_timeline_builder_free (load.builder);
  free (lanes);
  return rc;
}

int
plab_timeline_data_load (PlabStore *store,
                         int64_t run_id,
                         PlabKeepGoingFunc keep_going,
                         void *user_data,
                         PlabTimelineData **out)
{
  return timeline_load (store, run_id, keep_going, user_data, NULL, NULL, out);
}

static int
load_timeline (PlabChartData *self,
               PlabStore *store,
               PlabKeepGoingFunc keep_going,
               void *user_data,
               char *error,
               size_t error_len)
{
  int rc = timeline_load (store, self->run->id, keep_going, user_data, &self->lanes, &self->n_lanes,
                          &self->timeline);

  if (rc == PLAB_ECANCELLED)
    snprintf (error, error_len, "loading was cancelled");
  else if (rc == PLAB_ENOMEM)
    snprintf (error, error_len, "not enough memory for the %" PRId64 " spans of run %" PRId64,
              self->run->n_spans, self->run->id);
  else if (rc != 0)
    snprintf (error, error_len, "cannot read run %" PRId64 ": %s", self->run->id,
              plab_store_errmsg (store));
  if (rc != 0)
    return rc;
  snprintf (self->timeline_title, sizeof self->timeline_title, "Timeline · %s, run %" PRId64,
            self->run->demo, self->run->id);
  plab_timeline_data_set_caption (self->timeline, self->timeline_title, self->footer);
  return 0;
}

const PlabTimePoint *
plab_chart_data_run_point (const PlabChartData *self, const PlabSpeedupSeries **series, int *index)
{
  const PlabTimePoint *point = NULL;

  *series = NULL;
  for (size_t i = 0; i < self->n_points && point == NULL; i++)
    if (strcmp (self->points[i].backend, self->run->backend) == 0
        && self->points[i].workers == self->run->workers)
      point = &self->points[i];
  for (size_t k = 0; point != NULL && k < self->speedup.n_series; k++)
    for (int i = 0; i < self->series[k].n; i++)
      if (strcmp (self->series[k].name, self->run->backend) == 0
          && self->series[k].workers[i] == self->run->workers)
        {
          *series = &self->series[k];
          *index = i;
        }
  return point;
}

/* "Wall time: median 0.41 s, min–max 0.40 s–0.43 s over 3 runs of threads
 * × 2", or "Wall time: 0.41 s, 1 run of threads × 2": the Result says how
 * sure its run's time is. */
static void
result_spread (PlabChartData *self)
{
  const PlabSpeedupSeries *series;
  const PlabTimePoint *p;
  char median[32], low[32], high[32];
  int index;

  self->result_spread[0] = '\0';
  p = plab_chart_data_run_point (self, &series, &index);
  if (p == NULL)
    return;
  plab_format_duration (p->median_ns, median, sizeof median);
  plab_format_duration (p->min_ns, low, sizeof low);
  plab_format_duration (p->max_ns, high, sizeof high);
  if (p->n_repeats > 1)
    snprintf (self->result_spread, sizeof self->result_spread,
              "Wall time: median %s, min–max %s–%s over %d runs of %s × %d", median, low, high,
              p->n_repeats, p->backend, p->workers);
  else
    snprintf (self->result_spread, sizeof self->result_spread, "Wall time: %s, 1 run of %s × %d",
              median, p->backend, p->workers);
  self->result_chart.spread = self->result_spread;
}

/* Keeps the results of @runs that finished, with their configurations, so
 * that the Result can give the spread of each number over the repeats of
 * its run's configuration (repeat_results ()). Out of memory, it keeps
 * none: the Result then shows the run's own numbers only. */
static void
keep_group_results (PlabChartData *self, PlabRunRecord **runs, size_t n_runs)
{
  size_t n = 0;

  self->group_results = calloc (n_runs + 1, sizeof *self->group_results);
  self->group_backends = calloc (n_runs + 1, sizeof *self->group_backends);
  self->group_workers = calloc (n_runs + 1, sizeof *self->group_workers);
  if (self->group_results == NULL || self->group_backends == NULL || self->group_workers == NULL)
    return;
  for (size_t i = 0; i < n_runs; i++)
    {
      if (runs[i]->status != PLAB_RUN_OK || runs[i]->result_json == NULL)
        continue;
      self->group_results[n] = plab_json_parse (runs[i]->result_json, NULL, 0);
      self->group_backends[n] = strdup (runs[i]->backend);
      self->group_workers[n] = runs[i]->workers;
      if (self->group_results[n] == NULL || self->group_backends[n] == NULL)
        {
          plab_json_free (self->group_results[n]);
          free (self->group_backends[n]);
          continue;
        }
      n++;
    }
  self->n_group_results = n;
}

/* Points the Result at the kept results of the run's own configuration. */
static void
repeat_results (PlabChartData *self)
{
  size_t n = 0;

  if (self->n_group_results < 2)
    return;
  self->repeat_results = calloc (self->n_group_results, sizeof *self->repeat_results);
  if (self->repeat_results == NULL)
    return;
  for (size_t i = 0; i < self->n_group_results; i++)
    if (strcmp (self->group_backends[i], self->run->backend) == 0
        && self->group_workers[i] == self->run->workers)
      self->repeat_results[n++] = self->group_results[i];
  self->result_chart.repeats = (const PlabJson *const *)self->repeat_results;
  self->result_chart.n_repeats = n;
}

static void
load_result (PlabChartData *self)
{
  const char *json = self->run->result_json ? self->run->result_json : "{}";
  char perr[128];

  self->result = plab_json_parse (json, perr, sizeof perr);
  if (self->result == NULL)
    {
      snprintf (self->result_error, sizeof self->result_error,
                "run %" PRId64 " has an unreadable result: %s", self->run->id, perr);
      self->result = plab_json_parse ("{}", NULL, 0);
    }
  snprintf (self->result_title, sizeof self->result_title, "Result · %s, run %" PRId64,
            self->run->demo, self->run->id);
  self->result_chart.title = self->result_title;
  self->result_chart.footer = self->footer;
  self->result_chart.result = self->result;
  result_spread (self);
  repeat_results (self);
  self->result_chart.demo = self->run->demo;
}

/* The time and speedup charts of @runs: the finished ones, by configuration.
 * @model names the demo, parameters and machine in the footer; @group_name
 * says in both titles which runs they show ("sweep 3 · chef: serial,
 * threads ×1,2 · 2 repeats · 10:42"), so that a chart never changes scope
 * without saying so. */
static int
load_group (PlabChartData *self,
            PlabStore *store,
            PlabRunRecord **runs,
            size_t n_runs,
            const PlabRunRecord *model,
            const char *group_name)
{
  PlabRunSample *samples = calloc (n_runs + 1, sizeof *samples);
  size_t n_samples = 0;
  int max_repeats = 0;
  char what[160];

  if (samples == NULL)
    return PLAB_ENOMEM;
  for (size_t i = 0; i < n_runs; i++)
    if (runs[i]->status == PLAB_RUN_OK && runs[i]->wall_ns > 0)
      {
        samples[n_samples].backend = runs[i]->backend;
        samples[n_samples].workers = runs[i]->workers;
        samples[n_samples].wall_ns = runs[i]->wall_ns;
        n_samples++;
      }
  self->n_group_runs = (int)n_samples;
  keep_group_results (self, runs, n_runs);
  /* The points copy the backend names the samples borrow from @runs. */
  if (plab_time_points_from_samples (samples, n_samples, &self->points, &self->n_points) != 0)
    {
      free (samples);
      return PLAB_ENOMEM;
    }
  free (samples);
  for (size_t i = 0; i < self->n_points; i++)
    if (self->points[i].n_repeats > max_repeats)
      max_repeats = self->points[i].n_repeats;
  if (max_repeats > 1)
    snprintf (what, sizeof what, "%s, %zu configurations × up to %d repeats", group_name,
              self->n_points, max_repeats);
  else
    snprintf (what, sizeof what, "%s, %zu configurations, one run each", group_name,
              self->n_points);
  make_footer (store, model, what, self->group_footer, sizeof self->group_footer);
  {
    char warning[PLAB_CHART_DATA_FOOTER_MAX / 2];

    group_load_warning (runs, n_runs, warning, sizeof warning);
    append_footer_line (self->group_footer, sizeof self->group_footer, warning);
  }

  snprintf (self->time_title, sizeof self->time_title, "Execution time · %s", group_name);
  self->time.title = self->time_title;
  self->time.footer = self->group_footer;
  self->time.points = self->points;
  self->time.n_points = self->n_points;
  self->time.baseline_ns = plab_time_points_serial_baseline (self->points, self->n_points);

  snprintf (self->speedup_title, sizeof self->speedup_title, "Speedup · %s", group_name);
  self->speedup.title = self->speedup_title;
  self->speedup.footer = self->group_footer;
  self->speedup.series = self->series;
  self->speedup.n_series
      = plab_speedup_series_from_points (self->points, self->n_points, self->series,
                                         PLAB_CHART_DATA_MAX_SERIES);
  self->speedup.fit_amdahl = true;
  return 0;
}

/* Every run of sweep @sweep_id, newest first; PLAB_ENOTFOUND when none. */
static int
list_sweep (PlabStore *store,
            int64_t sweep_id,
            PlabRunRecord ***runs,
            size_t *n_runs,
            char *error,
            size_t error_len)
{
  PlabRunFilter filter = { .sweep_id = sweep_id };
  int rc = plab_store_list_runs (store, &filter, runs, n_runs);

  if (rc != 0)
    snprintf (error, error_len, "cannot list the runs of sweep %" PRId64 ": %s", sweep_id,
              plab_store_errmsg (store));
  else if (*n_runs == 0)
    {
      snprintf (error, error_len, "there is no sweep %" PRId64 " (or it has no runs)", sweep_id);
      plab_run_records_free (*runs, *n_runs);
      *runs = NULL;
      rc = PLAB_ENOTFOUND;
    }
  return rc;
}

/* The name of sweep @sweep_id in chart titles: "sweep 3 · chef: serial,
 * threads ×1,2 · 2 repeats · 10:42" (its label, from @run of the sweep). */
static void
sweep_name (const PlabRunRecord *run, char *buf, size_t len)
{
  if (run->sweep_label != NULL && run->sweep_label[0] != '\0')
    snprintf (buf, len, "sweep %" PRId64 " · %s", run->sweep_id, run->sweep_label);
  else
    snprintf (buf, len, "%s · sweep %" PRId64, run->demo, run->sweep_id);
}

/* The group of self->run when it is in no sweep: its own configuration
 * (backend and workers) with the same parameters, repeated by plain runs
 * outside any sweep. A plain run never pulls other backends or worker
 * counts into its charts. */
static int
load_same_params (PlabChartData *self, PlabStore *store, char *error, size_t error_len)
{
  PlabRunFilter filter = { .demo = self->run->demo };
  PlabRunRecord **runs = NULL, **same = NULL;
  const char *params = self->run->params_json ? self->run->params_json : "";
  size_t n_runs = 0, n_same = 0;
  char name[PLAB_CHART_DATA_TITLE_MAX];
  int rc = plab_store_list_runs (store, &filter, &runs, &n_runs);

  if (rc != 0)
    {
      snprintf (error, error_len, "cannot list runs: %s", plab_store_errmsg (store));
      return rc;
    }
  same = calloc (n_runs + 1, sizeof *same);
  if (same == NULL)
    rc = PLAB_ENOMEM;
  for (size_t i = 0; same != NULL && i < n_runs; i++)
    if (strcmp (runs[i]->params_json ? runs[i]->params_json : "", params) == 0
        && runs[i]->sweep_id == 0 && runs[i]->workers == self->run->workers
        && strcmp (runs[i]->backend, self->run->backend) == 0)
      same[n_same++] = runs[i];
  snprintf (name, sizeof name, "%s · %s × %d only (plain runs, no sweep)", self->run->demo,
            self->run->backend, self->run->workers);
  if (rc == 0)
    rc = load_group (self, store, same, n_same, self->run, name);
  free (same);
  plab_run_records_free (runs, n_runs);
  return rc;
}

/* What every load does once the group (if any) is read: the run's own
 * footer and, when asked for, its result. */
static void
load_own (PlabChartData *self, PlabStore *store, PlabChartLoad what)
{
  char run_what[96];

  snprintf (run_what, sizeof run_what, "%s × %d", self->run->backend, self->run->workers);
  make_footer (store, self->run, run_what, self->footer, sizeof self->footer);
  if (plab_machine_load_is_busy (&self->run->load))
    plab_machine_load_describe (&self->run->load, self->load_warning, sizeof self->load_warning);
  append_footer_line (self->footer, sizeof self->footer, self->load_warning);
  if (what & PLAB_CHART_LOAD_RESULT)
    load_result (self);
}

/* A load begins with nothing out and no error yet, then a new data object
 * (NULL when out of memory, which finish () reports). */
static PlabChartData *
start (PlabChartData **out, char *error, size_t error_len)
{
  *out = NULL;
  if (error_len > 0)
    error[0] = '\0';
  return calloc (1, sizeof (PlabChartData));
}

static int
finish (PlabChartData *self, int rc, PlabChartData **out, char *error, size_t error_len)
{
  if (rc == PLAB_ENOMEM && error_len > 0 && error[0] == '\0')
    snprintf (error, error_len, "out of memory");
  if (rc != 0)
    {
      plab_chart_data_free (self);
      return rc;
    }
  *out = self;
  return 0;
}

/* Reads sweep @request->sweep_id into @self: its runs as the group, its
 * newest finished run as the run. */
static int
load_sweep (PlabChartData *self,
            PlabStore *store,
            const PlabChartRequest *request,
            char *error,
            size_t error_len)
{
  PlabRunRecord **runs = NULL;
  size_t n_runs = 0, pick = 0;
  char name[PLAB_CHART_DATA_TITLE_MAX];
  int rc;

  rc = list_sweep (store, request->sweep_id, &runs, &n_runs, error, error_len);
  if (rc != 0)
    return rc;
  /* Runs come newest first; the oldest names the sweep's parameters. */
  sweep_name (runs[n_runs - 1], name, sizeof name);
  if (request->what & PLAB_CHART_LOAD_GROUP)
    rc = load_group (self, store, runs, n_runs, runs[n_runs - 1], name);
  for (size_t i = 0; i < n_runs; i++)
    if (runs[i]->status == PLAB_RUN_OK)
      {
        pick = i;
        break;
      }
  self->run = runs[pick];
  runs[pick] = NULL;
  plab_run_records_free (runs, n_runs);
  return rc;
}

/* Reads run @request->run_id into @self, with its sweep, or the runs of the
 * same parameters, as the group. */
static int
load_run (PlabChartData *self,
          PlabStore *store,
          const PlabChartRequest *request,
          char *error,
          size_t error_len)
{
  int64_t run_id = request->run_id;
  int rc;

  rc = plab_store_get_run (store, run_id, &self->run);
  if (rc != 0)
    {
      if (rc == PLAB_ENOTFOUND)
        snprintf (error, error_len, "there is no run %" PRId64, run_id);
      else
        snprintf (error, error_len, "cannot read run %" PRId64 ": %s", run_id,
                  plab_store_errmsg (store));
      return rc;
    }
  if ((request->what & PLAB_CHART_LOAD_GROUP) && self->run->sweep_id != 0)
    {
      PlabRunRecord **runs = NULL;
      size_t n_runs = 0;
      char name[PLAB_CHART_DATA_TITLE_MAX];

      sweep_name (self->run, name, sizeof name);
      rc = list_sweep (store, self->run->sweep_id, &runs, &n_runs, error, error_len);
      if (rc == 0)
        rc = load_group (self, store, runs, n_runs, runs[n_runs - 1], name);
      if (runs != NULL)
        plab_run_records_free (runs, n_runs);
    }
  else if (request->what & PLAB_CHART_LOAD_GROUP)
    rc = load_same_params (self, store, error, error_len);
  return rc;
}

int
plab_chart_data_load (PlabStore *store,
                      const PlabChartRequest *request,
                      PlabChartData **out,
                      char *error,
                      size_t error_len)
{
  PlabChartData *self = start (out, error, error_len);
  int rc;

  if (self == NULL)
    return finish (self, PLAB_ENOMEM, out, error, error_len);
  if (request->sweep_id != 0)
    rc = load_sweep (self, store, request, error, error_len);
  else
    rc = load_run (self, store, request, error, error_len);
  if (rc == 0)
    load_own (self, store, request->what);
  if (rc == 0 && (request->what & PLAB_CHART_LOAD_TIMELINE))
    rc = load_timeline (self, store, request->keep_going, request->user_data, error, error_len);
  return finish (self, rc, out, error, error_len);
}

void
plab_chart_data_free (PlabChartData *self)
{
  if (self == NULL)
    return;
  plab_run_record_free (self->run);
  plab_timeline_data_free (self->timeline);
  plab_json_free (self->result);
  for (size_t i = 0; i < self->n_group_results; i++)
    {
      plab_json_free (self->group_results[i]);
      free (self->group_backends[i]);
    }
  PLAB_FREE_ALL (self->lanes, self->points, self->group_results, self->group_backends,
                 self->group_workers, self->repeat_results, self);
}

void
plab_chart_data_input (const PlabChartData *self, PlabChartKind kind, PlabChartInput *input)
{
  memset (input, 0, sizeof *input);
  input->kind = kind;
  input->timeline = self->timeline;
  input->time = &self->time;
  input->speedup = &self->speedup;
  input->result = &self->result_chart;
}
