/* plab-chart-export-store.c: loading a run or a sweep from the run store
 * and handing it to plab_chart_export_data (). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plab-chart-export.h"
#include "plab-error.h"
#include "plab-json.h"

#define FOOTER_MAX 512
#define MAX_SERIES 8

/* "n=1000, bandwidth=0.2" from {"n": 1000, "bandwidth": 0.2}. */
static void
format_params (const char *params_json, char *buf, size_t len)
{
  PlabJson *params = plab_json_parse (params_json ? params_json : "{}", NULL, 0);
  size_t used = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < plab_json_length (params) && used < len; i++)
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

/* The footer every exported chart carries: what, with what, where, when. */
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

typedef struct
{
  PlabTimelineBuilder *builder;
  bool (*keep_going) (void *user_data);
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

int
plab_timeline_data_load (PlabStore *store,
                         int64_t run_id,
                         bool (*keep_going) (void *user_data),
                         void *user_data,
                         PlabTimelineData **out)
{
  PlabLaneInfo *lanes = NULL;
  PlabEvent *counters = NULL;
  size_t n_lanes = 0, n_counters = 0;
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
  if ((rc = plab_store_read_spans (store, run_id, 0, INT64_MAX, load_spans_cb, &load)) != 0
      || (rc = plab_store_get_counters (store, run_id, &counters, &n_counters)) != 0)
    goto fail;
  if (plab_timeline_builder_add (load.builder, counters, n_counters) != 0)
    {
      rc = PLAB_ENOMEM;
      goto fail;
    }
  if (keep_going != NULL && !keep_going (user_data))
    {
      rc = PLAB_ECANCELLED;
      goto fail;
    }
  *out = plab_timeline_builder_finish (load.builder);
  load.builder = NULL;
  rc = *out != NULL ? 0 : PLAB_ENOMEM;

fail:
  plab_timeline_builder_free (load.builder);
  free (lanes);
  free (counters);
  return rc;
}

static int
export_timeline (PlabStore *store,
                 const PlabRunRecord *run,
                 const PlabExportOptions *options,
                 char *error,
                 size_t error_len)
{
  PlabTimelineData *data = NULL;
  PlabChartInput input = { .kind = PLAB_CHART_TIMELINE };
  char title[128], what[64], footer[FOOTER_MAX];
  int rc;

  rc = plab_timeline_data_load (store, run->id, NULL, NULL, &data);
  if (rc == PLAB_ENOMEM)
    {
      snprintf (error, error_len, "out of memory");
      goto fail;
    }
  if (rc != 0)
    {
      snprintf (error, error_len, "cannot read run %lld: %s", (long long)run->id,
                plab_store_errmsg (store));
      goto fail;
    }
  snprintf (title, sizeof title, "Timeline · %s, run %lld", run->demo, (long long)run->id);
  snprintf (what, sizeof what, "%s × %d", run->backend, run->workers);
  make_footer (store, run, what, footer, sizeof footer);
  plab_timeline_data_set_caption (data, title, footer);
  input.timeline = data;
  rc = plab_chart_export_data (&input, options, error, error_len);

fail:
  plab_timeline_data_free (data);
  return rc;
}

static int
export_result (PlabStore *store,
               const PlabRunRecord *run,
               const PlabExportOptions *options,
               char *error,
               size_t error_len)
{
  char title[128], what[64], footer[FOOTER_MAX], perr[128];
  PlabJson *result
      = plab_json_parse (run->result_json ? run->result_json : "{}", perr, sizeof perr);
  PlabResultChartData data;
  PlabChartInput input = { .kind = PLAB_CHART_RESULT };
  int rc;

  if (result == NULL)
    {
      snprintf (error, error_len, "run %lld has an unreadable result: %s", (long long)run->id,
                perr);
      return PLAB_EINVAL;
    }
  snprintf (title, sizeof title, "Result · %s, run %lld", run->demo, (long long)run->id);
  snprintf (what, sizeof what, "%s × %d", run->backend, run->workers);
  make_footer (store, run, what, footer, sizeof footer);
  data.title = title;
  data.footer = footer;
  data.result = result;
  input.result = &data;
  rc = plab_chart_export_data (&input, options, error, error_len);
  plab_json_free (result);
  return rc;
}

/* Time or speedup of a group of runs: the finished ones, grouped by
 * configuration. */
static int
export_group (PlabStore *store,
              PlabRunRecord **runs,
              size_t n_runs,
              const PlabRunRecord *model,
              const char *group_name,
              const PlabExportOptions *options,
              char *error,
              size_t error_len)
{
  PlabRunSample *samples = calloc (n_runs + 1, sizeof *samples);
  PlabTimePoint *points = NULL;
  size_t n_samples = 0, n_points = 0;
  PlabSpeedupSeries series[MAX_SERIES];
  PlabTimeChartData time_data;
  PlabSpeedupChartData speedup_data;
  PlabChartInput input;
  char title[128], what[128], footer[FOOTER_MAX];
  int rc = PLAB_ENOMEM, max_repeats = 0;

  if (samples == NULL)
    goto fail;
  for (size_t i = 0; i < n_runs; i++)
    if (runs[i]->status == PLAB_RUN_OK && runs[i]->wall_ns > 0)
      {
        samples[n_samples].backend = runs[i]->backend;
        samples[n_samples].workers = runs[i]->workers;
        samples[n_samples].wall_ns = runs[i]->wall_ns;
        n_samples++;
      }
  if (plab_time_points_from_samples (samples, n_samples, &points, &n_points) != 0)
    goto fail;
  for (size_t i = 0; i < n_points; i++)
    if (points[i].n_repeats > max_repeats)
      max_repeats = points[i].n_repeats;

  if (max_repeats > 1)
    snprintf (what, sizeof what, "%s, %zu configurations × up to %d repeats", group_name, n_points,
              max_repeats);
  else
    snprintf (what, sizeof what, "%s, %zu configurations, one run each", group_name, n_points);
  make_footer (store, model, what, footer, sizeof footer);
  memset (&input, 0, sizeof input);
  input.kind = options->kind;
  if (options->kind == PLAB_CHART_TIME)
    {
      snprintf (title, sizeof title, "Execution time · %s", model->demo);
      time_data.title = title;
      time_data.footer = footer;
      time_data.points = points;
      time_data.n_points = n_points;
      time_data.baseline_ns = plab_time_points_serial_baseline (points, n_points);
      time_data.baseline_label = NULL;
      input.time = &time_data;
    }
  else
    {
      snprintf (title, sizeof title, "Speedup · %s", model->demo);
      speedup_data.title = title;
      speedup_data.footer = footer;
      speedup_data.series = series;
      speedup_data.n_series
          = plab_speedup_series_from_points (points, n_points, series, MAX_SERIES);
      speedup_data.predicted = options->predicted;
      speedup_data.fit_amdahl = true;
      input.speedup = &speedup_data;
    }
  rc = plab_chart_export_data (&input, options, error, error_len);

fail:
  if (rc == PLAB_ENOMEM && error_len > 0 && error[0] == '\0')
    snprintf (error, error_len, "out of memory");
  free (samples);
  free (points);
  return rc;
}

int
plab_chart_export_run (PlabStore *store,
                       int64_t run_id,
                       const PlabExportOptions *options,
                       char *error,
                       size_t error_len)
{
  PlabRunRecord *run = NULL, **runs = NULL, **same = NULL;
  size_t n_runs = 0, n_same = 0;
  PlabRunFilter filter = { 0 };
  int rc;

  if (error_len > 0)
    error[0] = '\0';
  rc = plab_store_get_run (store, run_id, &run);
  if (rc != 0)
    {
      snprintf (error, error_len,
                rc == PLAB_ENOTFOUND ? "there is no run %lld" : "cannot read run %lld: %s",
                (long long)run_id, rc == PLAB_ENOTFOUND ? "" : plab_store_errmsg (store));
      return rc;
    }

  switch (options->kind)
    {
    case PLAB_CHART_TIMELINE:
      rc = export_timeline (store, run, options, error, error_len);
      break;
    case PLAB_CHART_RESULT:
      rc = export_result (store, run, options, error, error_len);
      break;
    case PLAB_CHART_TIME:
    case PLAB_CHART_SPEEDUP:
      if (run->sweep_id != 0)
        {
          int64_t sweep_id = run->sweep_id;
          plab_run_record_free (run);
          return plab_chart_export_sweep (store, sweep_id, options, error, error_len);
        }
      /* Not in a sweep: every run of the same demo with the same parameters. */
      filter.demo = run->demo;
      rc = plab_store_list_runs (store, &filter, &runs, &n_runs);
      if (rc != 0)
        {
          snprintf (error, error_len, "cannot list runs: %s", plab_store_errmsg (store));
          break;
        }
      same = calloc (n_runs + 1, sizeof *same);
      if (same == NULL)
        {
          rc = PLAB_ENOMEM;
          break;
        }
      for (size_t i = 0; i < n_runs; i++)
        if (strcmp (runs[i]->params_json ? runs[i]->params_json : "",
                    run->params_json ? run->params_json : "")
            == 0)
          same[n_same++] = runs[i];
      rc = export_group (store, same, n_same, run, "runs with these parameters", options, error,
                         error_len);
      break;
    case PLAB_N_CHART_KINDS:
    default:
      snprintf (error, error_len, "unknown chart");
      rc = PLAB_EINVAL;
      break;
    }

  free (same);
  if (runs != NULL)
    plab_run_records_free (runs, n_runs);
  plab_run_record_free (run);
  return rc;
}

int
plab_chart_export_sweep (PlabStore *store,
                         int64_t sweep_id,
                         const PlabExportOptions *options,
                         char *error,
                         size_t error_len)
{
  PlabRunRecord **runs = NULL;
  size_t n_runs = 0;
  PlabRunFilter filter = { 0 };
  char name[64];
  int rc;

  if (error_len > 0)
    error[0] = '\0';
  filter.sweep_id = sweep_id;
  rc = plab_store_list_runs (store, &filter, &runs, &n_runs);
  if (rc != 0)
    {
      snprintf (error, error_len, "cannot list the runs of sweep %lld: %s", (long long)sweep_id,
                plab_store_errmsg (store));
      return rc;
    }
  if (n_runs == 0)
    {
      snprintf (error, error_len, "there is no sweep %lld (or it has no runs)",
                (long long)sweep_id);
      rc = PLAB_ENOTFOUND;
      goto out;
    }

  if (options->kind == PLAB_CHART_TIMELINE || options->kind == PLAB_CHART_RESULT)
    {
      /* Runs come newest first: show the newest finished one. */
      size_t pick = 0;
      for (size_t i = 0; i < n_runs; i++)
        if (runs[i]->status == PLAB_RUN_OK)
          {
            pick = i;
            break;
          }
      rc = options->kind == PLAB_CHART_TIMELINE
               ? export_timeline (store, runs[pick], options, error, error_len)
               : export_result (store, runs[pick], options, error, error_len);
      goto out;
    }

  snprintf (name, sizeof name, "sweep %lld", (long long)sweep_id);
  rc = export_group (store, runs, n_runs, runs[n_runs - 1], name, options, error, error_len);

out:
  plab_run_records_free (runs, n_runs);
  return rc;
}
