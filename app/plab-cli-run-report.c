/* plab-cli-run-report.c: what `plab run` prints once runs are done: a line
 * per run, the speedup table of a sweep, and the --json summary; and the
 * spread of a run's configuration that `plab show` prints.
 */
#include "plab-cli-run-private.h"

#include <math.h>
#include <string.h>

#include "plab-chart-data.h"
#include "plab-json-writer.h"
#include "plab-result-chart.h"

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

/* --- Results in words --- */

/* The rows of @data, each number its configuration's repeats disagree on
 * followed by their median and min-max. */
static void
print_result_rows (const char *heading, const PlabResultChartData *data)
{
  const PlabJson *result = data->result;
  size_t indent = strlen (heading);
  const char *label;
  char value[256], spread[160];
  int rows = 0;

  for (size_t i = 0; i < plab_json_length (result); i++)
    {
      const PlabJson *m = &result->children[i];

      if (!plab_result_chart_row (data, m, &label, value, sizeof value))
        continue;
      if (m->type == PLAB_JSON_NUMBER
          && plab_result_chart_spread (data, m->key, spread, sizeof spread))
        printf ("%*s%s: %s (%s)\n", (int)indent, rows++ ? "" : heading, label, value, spread);
      else
        printf ("%*s%s: %s\n", (int)indent, rows++ ? "" : heading, label, value);
    }
  if (rows == 0)
    printf ("%snothing to show (plab show --json lists the whole result)\n", heading);
}

void
_plab_cli_print_result (const char *heading, const char *demo, const char *result_json)
{
  PlabJson *result = plab_json_parse (result_json ? result_json : "{}", NULL, 0);
  PlabResultChartData data
      = { .result = result, .demo = demo, .label_for = plab_demo_result_label_for };

  print_result_rows (heading, &data);
  plab_json_free (result);
}

void
_plab_cli_show_result (const char *heading, PlabStore *store, const PlabRunRecord *r)
{
  PlabChartData *data = NULL;
  char error[256];

  /* The group gives the repeats; without it, the run's own numbers. */
  if (plab_chart_data_load (store,
                            &(PlabChartRequest){ .run_id = r->id,
                                                 .what
                                                 = PLAB_CHART_LOAD_GROUP | PLAB_CHART_LOAD_RESULT },
                            &data, error, sizeof error)
      != 0)
    {
      _plab_cli_print_result (heading, r->demo, r->result_json);
      return;
    }
  data->result_chart.label_for = plab_demo_result_label_for;
  print_result_rows (heading, &data->result_chart);
  plab_chart_data_free (data);
}

/* --- Summaries --- */

typedef struct
{
  PlabBackend backend;
  int workers;
  PlabSpread time_s;    /* of the ok repeats; n = 0 when none succeeded */
  PlabRatio speedup;    /* from the medians, bounded by the extremes */
  PlabRatio efficiency; /* the speedup over the workers */
  gboolean is_baseline; /* the row the others are measured against */
} SweepRow;

/* The spread of the ok repeats of (@backend, @workers), in seconds. */
static void
config_spread (Runner *self, PlabBackend backend, int workers, PlabSpread *out)
{
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint k = 0; k < self->configs->len; k++)
    {
      RunConfig *o = &g_array_index (self->configs, RunConfig, k);

      if (o->ran && o->status == PLAB_RUN_OK && o->backend == backend && o->workers == workers)
        {
          double s = o->wall_ns / 1e9;
          g_array_append_val (times, s);
        }
    }
  plab_spread_of ((double *)(void *)times->data, times->len, out);
}

/* The row the others are measured against: the serial one, else for @r the
 * 1-worker row of its own backend; NULL when there is none. */
static SweepRow *
baseline_row (GArray *rows, const SweepRow *r)
{
  SweepRow *own = NULL;

  for (guint j = 0; j < rows->len; j++)
    {
      SweepRow *o = &g_array_index (rows, SweepRow, j);

      if (o->backend == PLAB_BACKEND_SERIAL && o->time_s.n > 0)
        return o;
      if (o->backend == r->backend && o->workers == 1 && o->time_s.n > 0)
        own = o;
    }
  return own;
}

/* The rows of the speedup table, one per (backend, workers) in run order, and
 * the baseline they are measured against. */
static GArray *
sweep_rows (Runner *self, const char **baseline_out)
{
  GArray *rows = g_array_new (FALSE, TRUE, sizeof (SweepRow));
  gboolean serial = FALSE;

  for (guint i = 0; i < self->configs->len; i++)
    {
      RunConfig *c = &g_array_index (self->configs, RunConfig, i);
      gboolean seen = FALSE;
      SweepRow r = { c->backend, c->workers };

      for (guint k = 0; k < rows->len && !seen; k++)
        seen = g_array_index (rows, SweepRow, k).backend == c->backend
               && g_array_index (rows, SweepRow, k).workers == c->workers;
      if (!c->ran || seen)
        continue;
      config_spread (self, c->backend, c->workers, &r.time_s);
      serial |= c->backend == PLAB_BACKEND_SERIAL && r.time_s.n > 0;
      g_array_append_val (rows, r);
    }
  *baseline_out = serial ? "serial" : "1 worker of the same backend";

  for (guint k = 0; k < rows->len; k++)
    {
      SweepRow *r = &g_array_index (rows, SweepRow, k);
      SweepRow *base = baseline_row (rows, r);
      PlabSpread none = { 0 };

      /* The baseline against itself is 1 by definition, not a spread. */
      r->is_baseline = base == r;
      plab_spread_ratio (base != NULL ? &base->time_s : &none, &r->time_s, &r->speedup);
      if (r->is_baseline)
        r->speedup.low = r->speedup.high = r->speedup.value;
      plab_ratio_scale (&r->speedup, r->workers, &r->efficiency);
    }

  /* Each run's own speedup against the same baseline. */
  for (guint i = 0; i < self->configs->len; i++)
    {
      RunConfig *c = &g_array_index (self->configs, RunConfig, i);

      c->speedup = NAN;
      for (guint k = 0; k < rows->len; k++)
        {
          SweepRow *r = &g_array_index (rows, SweepRow, k);

          if (r->backend == c->backend && r->workers == c->workers && !isnan (r->speedup.value)
              && c->status == PLAB_RUN_OK && c->wall_ns > 0)
            c->speedup = r->speedup.value * r->time_s.median / (c->wall_ns / 1e9);
        }
    }
  return rows;
}

/* One row of the table: "0.412 (0.401-0.430)", "1.80x (1.60-2.00)",
 * "90% (80-100)"; "1 run" where there is no spread. */
static void
print_row (FILE *out, const SweepRow *r)
{
  char time[64], speedup[64] = "-", efficiency[64] = "-";
  PlabRatio percent;

  if (r->time_s.n == 0)
    snprintf (time, sizeof time, "failed");
  else
    plab_spread_format (&r->time_s, 1, 3, "", time, sizeof time);
  if (r->is_baseline && !isnan (r->speedup.value))
    {
      snprintf (speedup, sizeof speedup, "1.00x (baseline)");
      snprintf (efficiency, sizeof efficiency, "%.0f%%", r->efficiency.value * 100);
    }
  else if (!isnan (r->speedup.value))
    {
      plab_ratio_format (&r->speedup, 2, "x", speedup, sizeof speedup);
      plab_ratio_scale (&r->efficiency, 0.01, &percent);
      plab_ratio_format (&percent, 0, "%", efficiency, sizeof efficiency);
    }
  fprintf (out, "%-10s %7d %4d  %-24s %-20s %s\n", plab_backend_name (r->backend), r->workers,
           r->time_s.n, time, speedup, efficiency);
}

void
_plab_cli_run_print_line (FILE *out, const RunConfig *c)
{
  fprintf (out, "run %" G_GINT64_FORMAT ": %s x%d  %s  %.3f s (cpu %.3f s)  check: %s\n", c->run_id,
           plab_backend_name (c->backend), c->workers, status_word (c->status), c->wall_ns / 1e9,
           c->cpu_ns / 1e9, c->check);
  if (c->error && c->status != PLAB_RUN_OK)
    fprintf (out, "  error: %s\n", c->error);
  if (plab_machine_load_is_busy (&c->load))
    {
      char note[256];

      fprintf (out, "  warning: %s\n", plab_machine_load_describe (&c->load, note, sizeof note));
    }
}

/* What the table's numbers mean, and the ones not to believe. */
static void
print_table_notes (FILE *out, GArray *rows)
{
  gboolean repeated = FALSE, above_one = FALSE;

  for (guint k = 0; k < rows->len; k++)
    {
      SweepRow *r = &g_array_index (rows, SweepRow, k);

      repeated |= r->time_s.n > 1;
      above_one |= !r->is_baseline && r->efficiency.value > 1;
    }
  if (repeated)
    fprintf (out, "medians of the repeats; the bounds pair the fastest and slowest runs\n");
  if (above_one)
    fprintf (out, "an efficiency above 100%% is noise or cache effects, not a real gain\n");
}

void
_plab_cli_run_print_summary (Runner *self, FILE *out)
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
      fprintf (out, "%-10s %7s %4s  %-24s %-20s %s\n", "backend", "workers", "runs",
               "median (min-max) s", "speedup (min-max)", "efficiency");
      for (guint k = 0; k < rows->len; k++)
        print_row (out, &g_array_index (rows, SweepRow, k));
      print_table_notes (out, rows);
    }
  if (n_ran > 0 && !self->store_failed)
    fprintf (out, "recorded in %s (plab show %" G_GINT64_FORMAT ")\n", self->db_path,
             g_array_index (self->configs, RunConfig, n_ran - 1).run_id);
}

static void
append_member_double (GString *s, const char *name, double value)
{
  g_string_append_printf (s, ",\"%s\":", name);
  plab_json_append_double (s, value);
}

void
_plab_cli_run_print_json (Runner *self)
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
      g_string_append (s, ",\"machine_load\":");
      plab_json_append_machine_load (s, &c->load);
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

          g_string_append_printf (s,
                                  "%s{\"backend\":\"%s\",\"workers\":%d,\"runs\":%d,"
                                  "\"median_s\":",
                                  k ? "," : "", plab_backend_name (r->backend), r->workers,
                                  r->time_s.n);
          plab_json_append_double (s, r->time_s.median);
          append_member_double (s, "min_s", r->time_s.min);
          append_member_double (s, "max_s", r->time_s.max);
          append_member_double (s, "q1_s", r->time_s.q1);
          append_member_double (s, "q3_s", r->time_s.q3);
          append_member_double (s, "speedup", r->speedup.value);
          append_member_double (s, "speedup_low", r->speedup.low);
          append_member_double (s, "speedup_high", r->speedup.high);
          append_member_double (s, "efficiency", r->efficiency.value);
          append_member_double (s, "efficiency_low", r->efficiency.low);
          append_member_double (s, "efficiency_high", r->efficiency.high);
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

void
_plab_cli_show_spread (PlabStore *store, const PlabRunRecord *r)
{
  PlabChartData *data = NULL;
  const PlabSpeedupSeries *series;
  const PlabTimePoint *point;
  PlabSpread time;
  char text[96], efficiency[64], error[256];
  int i = 0;

  if (r->status != PLAB_RUN_OK
      || plab_chart_data_load (store,
                               &(PlabChartRequest){ .run_id = r->id,
                                                    .what = PLAB_CHART_LOAD_GROUP },
                               &data, error, sizeof error)
             != 0)
    return;
  point = plab_chart_data_run_point (data, &series, &i);
  if (point != NULL)
    {
      plab_time_point_spread (point, &time);
      if (time.n == 1)
        printf ("  repeats     1 run of %s x%d: no spread to show (plab run --repeat 3)\n",
                r->backend, r->workers);
      else
        printf ("  repeats     %d runs of %s x%d: median %s\n", time.n, r->backend, r->workers,
                plab_spread_format (&time, 1e-9, 3, " s", text, sizeof text));
    }
  if (point != NULL && series != NULL && series->workers[i] > 0)
    {
      PlabRatio speedup = { series->speedup[i], series->low[i], series->high[i],
                            plab_speedup_series_has_spread (series, i) };
      PlabRatio percent;

      plab_ratio_scale (&speedup, plab_speedup_series_relative_p (series, i) / 100, &percent);
      printf ("  speedup     %s against %s, efficiency %s%s\n",
              plab_ratio_format (&speedup, 2, "x", text, sizeof text),
              plab_time_points_serial (data->points, data->n_points) != NULL
                  ? "serial"
                  : "the fewest workers of the same backend",
              plab_ratio_format (&percent, 0, "%", efficiency, sizeof efficiency),
              percent.value > 100 ? " (above 100%: noise or cache effects)" : "");
    }
  plab_chart_data_free (data);
}
