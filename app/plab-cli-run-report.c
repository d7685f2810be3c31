/* plab-cli-run-report.c: what `plab run` prints once runs are done: a line
 * per run, the speedup table of a sweep, and the --json summary.
 */
#include "plab-cli-run-private.h"

#include <math.h>
#include <string.h>

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

void
_plab_cli_print_result (const char *heading, const char *demo, const char *result_json)
{
  PlabJson *result = plab_json_parse (result_json ? result_json : "{}", NULL, 0);
  PlabResultChartData data
      = { .result = result, .demo = demo, .label_for = plab_demo_result_label_for };
  size_t indent = strlen (heading);
  const char *label;
  char value[256];
  int rows = 0;

  for (size_t i = 0; i < plab_json_length (result); i++)
    if (plab_result_chart_row (&data, &result->children[i], &label, value, sizeof value))
      printf ("%*s%s: %s\n", (int)indent, rows++ ? "" : heading, label, value);
  if (rows == 0)
    printf ("%snothing to show (plab show --json lists the whole result)\n", heading);
  plab_json_free (result);
}

/* --- Summaries --- */

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

typedef struct
{
  PlabBackend backend;
  int workers;
  double median_s; /* NAN when no repeat succeeded */
  double speedup;
  double efficiency;
} SweepRow;

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
