/* plab-cli-export.c: `plab export`, a recorded run as a file for other tools.
 *
 *   --format csv    the spans, one row each: run, lane, lane name, kind,
 *                   start_ns, end_ns, task, label (RFC 4180 quoting)
 *   --format trace  Chrome Trace Event JSON, which ui.perfetto.dev and
 *                   chrome://tracing open: a track per lane, a complete ("X")
 *                   event per span, counters as "C" events, crashes as
 *                   instants ("i")
 *   --chart KIND    a chart (timeline, time, speedup, result) as PNG, SVG or
 *                   PDF, drawn by the chart renderers of ui/
 */
#include "plab-cli-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plab-chart-export.h"
#include "plab-json-writer.h"

#define COMMAND "plab export"

/* Synthetic ids for lanes whose worker never attached (pid or tid 0): high
 * enough not to meet a real pid, and distinct per lane. */
#define SYNTHETIC_ID_BASE 4000000

typedef struct
{
  PlabStore *store;
  PlabRunRecord *run;
  PlabLaneInfo *lanes;
  size_t n_lanes;
  PlabEvent *spans;
  size_t n_spans;
  PlabEvent *counters;
  size_t n_counters;
} ExportData;

static void
export_data_clear (ExportData *d)
{
  free (d->lanes);
  free (d->spans);
  free (d->counters);
  plab_run_record_free (d->run);
}

static const PlabLaneInfo *
find_lane (const ExportData *d, int lane)
{
  for (size_t i = 0; i < d->n_lanes; i++)
    if (d->lanes[i].lane == lane)
      return &d->lanes[i];
  return NULL;
}

/* --- CSV --- */

static void
csv_field (GString *out, const char *text)
{
  /* Quote only when needed, doubling quotes inside (RFC 4180). */
  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
write_csv (const ExportData *d, GString *out)
{
  g_string_append (out, "run,lane,lane_name,kind,start_ns,end_ns,task,label\r\n");
  for (size_t i = 0; i < d->n_spans; i++)
    {
      const PlabEvent *e = &d->spans[i];
      const PlabLaneInfo *lane = find_lane (d, e->lane);

      g_string_append_printf (out, "%" G_GINT64_FORMAT ",%d,", d->run->id, e->lane);
      csv_field (out, lane ? lane->name : "");
      g_string_append_c (out, ',');
      csv_field (out, plab_span_kind_name (e->kind));
      g_string_append_printf (out,
                              ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",",
                              e->start_ns, e->end_ns, e->task_id);
      csv_field (out, e->label);
      g_string_append (out, "\r\n");
    }
}

/* --- Chrome trace --- */

static int
lane_pid (const ExportData *d, const PlabLaneInfo *lane)
{
  if (lane && lane->pid > 0)
    return lane->pid;
  /* A lane that never attached: show it as its own process. */
  return SYNTHETIC_ID_BASE + (lane ? lane->lane : 0);
}

static int
lane_tid (const ExportData *d, const PlabLaneInfo *lane)
{
  if (lane && lane->tid > 0)
    return lane->tid;
  return SYNTHETIC_ID_BASE + (lane ? lane->lane : 0);
}

static void
append_us (GString *out, int64_t ns)
{
  /* Microseconds with nanosecond precision: Chrome trace times are in µs.
   * The sign goes in front once: -1500 ns is -1.500, not -1.-500. */
  uint64_t magnitude = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;

  g_string_append_printf (out, "%s%" G_GUINT64_FORMAT ".%03u", ns < 0 ? "-" : "", magnitude / 1000,
                          (unsigned)(magnitude % 1000));
}

/* The length of a span in µs, as append_us (); a span ending before it starts
 * (only a damaged store holds one) lasts 0, and one from far in the past to
 * far in the future does not overflow. */
static void
append_duration_us (GString *out, const PlabEvent *e)
{
  uint64_t ns = e->end_ns > e->start_ns ? (uint64_t)e->end_ns - (uint64_t)e->start_ns : 0;

  g_string_append_printf (out, "%" G_GUINT64_FORMAT ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

/* A span whose start is inside an open span but whose end is after it would
 * overlap partially, which trace viewers draw wrongly (or drop). Such a span is
 * clamped to end with the span it starts in, so the spans of a lane are only
 * nested or disjoint. Returns how many were clamped. */
static size_t
repair_lane (PlabEvent *spans, size_t n)
{
  int64_t stack[64];
  size_t depth = 0;
  size_t repaired = 0;

  for (size_t i = 0; i < n; i++)
    {
      PlabEvent *e = &spans[i];

      if (e->kind == PLAB_SPAN_CRASH || e->kind == PLAB_SPAN_COUNTER)
        continue;
      if (e->end_ns < e->start_ns)
        {
          e->end_ns = e->start_ns;
          repaired++;
        }
      while (depth > 0 && stack[depth - 1] <= e->start_ns)
        depth--;
      if (depth > 0 && e->end_ns > stack[depth - 1])
        {
          e->end_ns = stack[depth - 1];
          repaired++;
        }
      if (depth < G_N_ELEMENTS (stack))
        stack[depth++] = e->end_ns;
    }
  return repaired;
}

static int
compare_spans (const void *a, const void *b)
{
  const PlabEvent *x = a, *y = b;

  if (x->lane != y->lane)
    return x->lane < y->lane ? -1 : 1;
  if (x->start_ns != y->start_ns)
    return x->start_ns < y->start_ns ? -1 : 1;
  /* At the same start, the longer span is the outer one and comes first. */
  if (x->end_ns != y->end_ns)
    return x->end_ns > y->end_ns ? -1 : 1;
  return 0;
}

static void
append_args_label (GString *out, const PlabEvent *e)
{
  g_string_append (out, ",\"args\":{");
  if (e->task_id >= 0)
    g_string_append_printf (out, "\"task\":%" G_GINT64_FORMAT, e->task_id);
  if (e->label[0])
    {
      g_string_append (out, e->task_id >= 0 ? ",\"label\":" : "\"label\":");
      plab_json_append_string (out, e->label);
    }
  g_string_append_c (out, '}');
}

static size_t
write_trace (ExportData *d, GString *out)
{
  g_autoptr (GHashTable) named_pids = g_hash_table_new (NULL, NULL);
  int runner = d->run->runner_pid > 0 ? d->run->runner_pid : lane_pid (d, find_lane (d, 0));
  size_t repaired = 0;
  size_t start = 0;
  gboolean first = TRUE;

#define SEP() (first ? (first = FALSE, "") : ",\n")

  g_string_append (out, "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"demo\":");
  plab_json_append_string (out, d->run->demo);
  g_string_append (out, ",\"backend\":");
  plab_json_append_string (out, d->run->backend);
  g_string_append_printf (out, ",\"workers\":%d,\"run\":%" G_GINT64_FORMAT ",\"status\":\"%s\"},\n",
                          d->run->workers, d->run->id, plab_run_status_name (d->run->status));
  g_string_append (out, "\"traceEvents\":[\n");

  /* Metadata: a name for every process and every lane. */
  for (size_t i = 0; i < d->n_lanes; i++)
    {
      const PlabLaneInfo *l = &d->lanes[i];
      int pid = lane_pid (d, l);

      if (!g_hash_table_contains (named_pids, GINT_TO_POINTER (pid)))
        {
          g_hash_table_add (named_pids, GINT_TO_POINTER (pid));
          g_string_append_printf (out,
                                  "%s{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"tid\":%d,"
                                  "\"args\":{\"name\":",
                                  SEP (), pid, lane_tid (d, l));
          if (l->kind == PLAB_LANE_PROCESS)
            plab_json_append_string (out, l->name);
          else
            {
              g_autofree char *name = g_strdup_printf ("plab %s (runner)", d->run->demo);
              plab_json_append_string (out, name);
            }
          g_string_append (out, "}}");
          g_string_append_printf (out,
                                  "%s{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":%d,"
                                  "\"tid\":%d,\"args\":{\"sort_index\":%d}}",
                                  SEP (), pid, lane_tid (d, l), l->lane);
        }
      g_string_append_printf (out,
                              "%s{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,"
                              "\"args\":{\"name\":",
                              SEP (), pid, lane_tid (d, l));
      plab_json_append_string (out, l->name);
      g_string_append (out, "}}");
      g_string_append_printf (out,
                              "%s{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%d,"
                              "\"tid\":%d,\"args\":{\"sort_index\":%d}}",
                              SEP (), pid, lane_tid (d, l), l->lane);
    }

  /* Spans, lane by lane, made strictly nested first. A run without spans
   * has no array at all, and qsort () must not be given NULL. */
  if (d->n_spans > 0)
    qsort (d->spans, d->n_spans, sizeof *d->spans, compare_spans);
  for (size_t i = 1; i <= d->n_spans; i++)
    if (i == d->n_spans || d->spans[i].lane != d->spans[start].lane)
      {
        repaired += repair_lane (d->spans + start, i - start);
        start = i;
      }

  for (size_t i = 0; i < d->n_spans; i++)
    {
      const PlabEvent *e = &d->spans[i];
      const PlabLaneInfo *l = find_lane (d, e->lane);
      const char *name = e->label[0] ? e->label : plab_span_kind_name (e->kind);

      if (e->kind == PLAB_SPAN_CRASH)
        {
          g_string_append_printf (out, "%s{\"ph\":\"i\",\"s\":\"p\",\"cat\":\"crash\",\"name\":",
                                  SEP ());
          plab_json_append_string (out, name);
          g_string_append_printf (out, ",\"pid\":%d,\"tid\":%d,\"ts\":", lane_pid (d, l),
                                  lane_tid (d, l));
          append_us (out, e->start_ns);
          append_args_label (out, e);
          g_string_append_c (out, '}');
          continue;
        }
      g_string_append_printf (out, "%s{\"ph\":\"X\",\"cat\":", SEP ());
      plab_json_append_string (out, plab_span_kind_name (e->kind));
      g_string_append (out, ",\"name\":");
      plab_json_append_string (out, name);
      g_string_append_printf (out, ",\"pid\":%d,\"tid\":%d,\"ts\":", lane_pid (d, l),
                              lane_tid (d, l));
      append_us (out, e->start_ns);
      g_string_append (out, ",\"dur\":");
      append_duration_us (out, e);
      append_args_label (out, e);
      g_string_append_c (out, '}');
    }

  /* Counters belong to the run as a whole: they go on the runner's process. */
  for (size_t i = 0; i < d->n_counters; i++)
    {
      const PlabEvent *e = &d->counters[i];

      g_string_append_printf (out, "%s{\"ph\":\"C\",\"name\":", SEP ());
      plab_json_append_string (out, e->label);
      g_string_append_printf (out, ",\"pid\":%d,\"ts\":", runner);
      append_us (out, e->start_ns);
      g_string_append_printf (out, ",\"args\":{\"value\":%" G_GINT64_FORMAT "}}", e->task_id);
    }
  g_string_append (out, "\n]}\n");
#undef SEP
  return repaired;
}

/* --- Charts --- */

#define MAX_CHART_SIDE 20000
#define MIN_CHART_SCALE 0.25
#define MAX_CHART_SCALE 8.0

/* The chart options, checked before anything is read or drawn. */
typedef struct
{
  const char *chart;
  const char *format;
  const char *output;
  const char *width;
  const char *height;
  const char *scale;
  const char *theme;
} ChartArgs;

/* Where the output goes must be a folder we can write in: checked first,
 * so that the message names the file and the folder rather than whatever
 * the writer meets (cairo calls it an "error while writing to output
 * stream"). */
static gboolean
output_writable (const char *output)
{
  g_autofree char *dir = NULL;

  if (output == NULL || !strcmp (output, "-"))
    return TRUE;
  if (g_file_test (output, G_FILE_TEST_IS_DIR))
    {
      _plab_cli_error (COMMAND, "cannot write %s: it is a folder; give a file name", output);
      return FALSE;
    }
  dir = g_path_get_dirname (output);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      _plab_cli_error (COMMAND, "cannot write %s: there is no folder %s", output, dir);
      return FALSE;
    }
  if (access (dir, W_OK) != 0
      || (g_file_test (output, G_FILE_TEST_EXISTS) && access (output, W_OK) != 0))
    {
      _plab_cli_error (COMMAND, "cannot write %s: %s", output, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* Charts are drawn by the renderers in ui/, the same code the lab window
 * uses. WHAT is a run id, "last" or "sweep:ID". */
static int
export_chart (const char *what, const ChartArgs *args, const char *db)
{
  PlabExportOptions options = { 0 };
  g_autofree char *path = NULL;
  g_autofree char *default_output = NULL;
  const char *output = args->output;
  PlabStore *store = NULL;
  gboolean missing;
  gboolean sweep = g_str_has_prefix (what, "sweep:");
  gint64 id = 0, width = 0, height = 0;
  double scale = 0;
  char error[512] = "";
  int kind, fmt, th = PLAB_THEME_LIGHT, rc;
  int status = PLAB_EXIT_FAILED;

  kind = plab_chart_kind_from_name (args->chart);
  if (kind < 0)
    return _plab_cli_usage_error (COMMAND, "unknown chart '%s' (timeline, time, speedup or result)",
                                  args->chart);
  if (output != NULL && output[0] == '\0')
    return _plab_cli_usage_error (COMMAND, "-o needs a FILE name (or - for stdout)");
  if (output != NULL && g_file_test (output, G_FILE_TEST_IS_DIR))
    return _plab_cli_usage_error (COMMAND, "-o %s is a folder; give a file name", output);
  if (args->format != NULL)
    fmt = plab_chart_format_from_name (args->format);
  else if (output != NULL && strcmp (output, "-") != 0)
    {
      fmt = plab_chart_format_from_path (output);
      if (fmt < 0)
        return _plab_cli_usage_error (COMMAND,
                                      "which format? %s does not end in .png, .svg, .pdf or "
                                      ".csv; give --format png, svg, pdf or csv",
                                      output);
    }
  else
    fmt = PLAB_CHART_FORMAT_PNG;
  if (fmt < 0)
    return _plab_cli_usage_error (COMMAND, "unknown chart format '%s' (png, svg, pdf or csv)",
                                  args->format);
  if (args->theme != NULL && (th = plab_theme_from_name (args->theme)) < 0)
    return _plab_cli_usage_error (COMMAND, "unknown theme '%s' (light, dark or projector)",
                                  args->theme);
  /* An option given is used as given: 0 is not "the default" here. */
  if (args->width != NULL
      && !_plab_cli_parse_int (COMMAND, "--width", args->width, 1, MAX_CHART_SIDE, &width))
    return PLAB_EXIT_USAGE;
  if (args->height != NULL
      && !_plab_cli_parse_int (COMMAND, "--height", args->height, 1, MAX_CHART_SIDE, &height))
    return PLAB_EXIT_USAGE;
  if (args->scale != NULL
      && !_plab_cli_parse_double (COMMAND, "--scale", args->scale, MIN_CHART_SCALE, MAX_CHART_SCALE,
                                  &scale))
    return PLAB_EXIT_USAGE;
  {
    double w = width ? width : PLAB_EXPORT_DEFAULT_WIDTH;
    double h = height ? height : PLAB_EXPORT_DEFAULT_HEIGHT;
    double k = scale ? scale : 1;

    if (w * k * h * k > PLAB_EXPORT_MAX_PIXELS)
      return _plab_cli_usage_error (COMMAND,
                                    "a %.0f x %.0f chart at scale %g has %.0f million pixels; at "
                                    "most %d million fit in memory",
                                    w, h, k, w * k * h * k / 1e6, PLAB_EXPORT_MAX_PIXELS / 1000000);
  }
  if (output != NULL && !strcmp (output, "-") && fmt != PLAB_CHART_FORMAT_CSV)
    return _plab_cli_usage_error (COMMAND, "only csv can go to stdout; give -o FILE");
  if (sweep
      && !_plab_cli_parse_int (COMMAND, "sweep:ID", what + strlen ("sweep:"), 1, G_MAXINT64, &id))
    return PLAB_EXIT_USAGE;

  store = _plab_cli_open_store (db, PLAB_STORE_READ_ONLY, &path, &missing);
  if (store == NULL)
    {
      if (!missing)
        return PLAB_EXIT_FAILED;
      if (!sweep
          && (status = _plab_cli_parse_run_id (COMMAND, NULL, path, what, "sweep:ID", &id))
                 != PLAB_EXIT_OK)
        return status;
      return _plab_cli_usage_error (COMMAND, "there is no %s: %s holds no runs yet", what, path);
    }
  if (!sweep
      && (status = _plab_cli_parse_run_id (COMMAND, store, path, what, "sweep:ID", &id))
             != PLAB_EXIT_OK)
    goto out;
  status = PLAB_EXIT_FAILED;

  if (output == NULL)
    output = default_output
        = g_strdup_printf ("plab-%s%" G_GINT64_FORMAT "-%s.%s", sweep ? "sweep" : "run", id,
                           args->chart, plab_chart_format_name (fmt));
  if (!output_writable (output))
    goto out;
  options.kind = kind;
  options.format = fmt;
  options.path = output;
  options.width = (int)width;
  options.height = (int)height;
  options.scale = scale;
  options.theme = th;
  rc = sweep ? plab_chart_export_sweep (store, id, &options, error, sizeof error)
             : plab_chart_export_run (store, id, &options, error, sizeof error);
  if (rc == PLAB_ENOTFOUND)
    {
      status = _plab_cli_usage_error (COMMAND, "%s", error);
      goto out;
    }
  if (rc != 0)
    {
      _plab_cli_error (COMMAND, "%s", error[0] ? error : plab_strerror (rc));
      goto out;
    }
  if (strcmp (output, "-") != 0)
    fprintf (stderr, "%s: wrote the %s chart of %s %" G_GINT64_FORMAT " to %s\n", COMMAND,
             args->chart, sweep ? "sweep" : "run", id, output);
  status = PLAB_EXIT_OK;

out:
  plab_store_close (store);
  return status;
}

/* --- plab export --- */

int
_plab_cli_export (int argc, char **argv)
{
  g_autofree char *db = NULL;
  g_autofree char *format = NULL;
  g_autofree char *chart = NULL;
  g_autofree char *output = NULL;
  g_autofree char *path = NULL;
  g_autofree char *theme = NULL;
  g_autofree char *width = NULL;
  g_autofree char *height = NULL;
  g_autofree char *scale = NULL;
  GOptionEntry entries[]
      = { { "format", 'f', 0, G_OPTION_ARG_FILENAME, &format,
            "csv or trace (with --chart: png, svg, pdf)", "FORMAT" },
          { "chart", 0, 0, G_OPTION_ARG_FILENAME, &chart, "timeline, time, speedup or result",
            "KIND" },
          { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
            "Write to FILE (default: stdout for --format csv or trace; with --chart, "
            "plab-runN-KIND.FORMAT (sweepN for a sweep) in the current folder)",
            "FILE" },
          { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "The run store (default under $XDG_DATA_HOME)",
            "FILE" },
          { "width", 0, 0, G_OPTION_ARG_FILENAME, &width,
            "Chart width in pixels, 1 to 20000 (default 1600)", "W" },
          { "height", 0, 0, G_OPTION_ARG_FILENAME, &height,
            "Chart height in pixels, 1 to 20000 (default 900)", "H" },
          { "scale", 0, 0, G_OPTION_ARG_FILENAME, &scale,
            "PNG pixel scale, 0.25 to 8, e.g. 2 for a sharp slide", "S" },
          { "theme", 0, 0, G_OPTION_ARG_FILENAME, &theme, "light, dark or projector", "THEME" },
          { NULL } };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GString) out = NULL;
  g_autoptr (GError) error = NULL;
  ExportData d = { 0 };
  gboolean missing;
  int64_t id;
  int status = PLAB_EXIT_FAILED;
  size_t repaired = 0;
  int rc;

  g_set_prgname ("plab export");
  context = g_option_context_new (
      "RUN|sweep:ID - a chart as PNG, SVG or PDF, or a run as CSV or trace");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
                                    "RUN is a run id or \"last\".\n"
                                    "--format trace writes Chrome Trace Event JSON: open it in "
                                    "https://ui.perfetto.dev or chrome://tracing.\n"
                                    "--format csv writes one row per span.\n"
                                    "--chart timeline|time|speedup|result draws a chart "
                                    "(--format png, svg, pdf, or csv for the data behind it);\n"
                                    "the time and speedup charts of a run cover its sweep.");
  {
    static const char *const value_options[]
        = { "--format", "-f",       "--chart", "--output", "-o", "--db",
            "--width",  "--height", "--scale", "--theme",  NULL };
    int negative = _plab_cli_find_negative (argc, argv, value_options);

    if (negative > 0)
      return _plab_cli_parse_run_id (COMMAND, NULL, NULL, argv[negative], "sweep:ID", &id);
  }
  if (!_plab_cli_parse (context, COMMAND, &argc, &argv))
    return PLAB_EXIT_USAGE;
  if (!_plab_cli_db_given_ok (COMMAND, db))
    return PLAB_EXIT_USAGE;
  if (argc != 2)
    return _plab_cli_usage_error (COMMAND,
                                  argc < 2 ? "which run? (plab export RUN --format csv|trace)"
                                           : "one run at a time, not '%s'",
                                  argc > 2 ? argv[2] : "");
  if (chart)
    {
      ChartArgs args = { chart, format, output, width, height, scale, theme };

      return export_chart (argv[1], &args, db);
    }
  if (width != NULL || height != NULL || scale != NULL || theme != NULL)
    return _plab_cli_usage_error (COMMAND,
                                  "--%s is for charts: add --chart timeline, time, "
                                  "speedup or result",
                                  width    ? "width"
                                  : height ? "height"
                                  : scale  ? "scale"
                                           : "theme");
  if (format == NULL)
    return _plab_cli_usage_error (COMMAND, "which format? (--format csv or --format trace)");
  if (strcmp (format, "csv") && strcmp (format, "trace"))
    return _plab_cli_usage_error (COMMAND,
                                  "unknown format '%s' (csv or trace; charts need --chart)",
                                  format);
  if (g_str_has_prefix (argv[1], "sweep:"))
    return _plab_cli_usage_error (COMMAND, "csv and trace export one run; sweep:ID is for --chart");
  if (output != NULL && output[0] == '\0')
    return _plab_cli_usage_error (COMMAND, "-o needs a FILE name (or - for stdout)");
  if (output != NULL && g_file_test (output, G_FILE_TEST_IS_DIR))
    return _plab_cli_usage_error (COMMAND, "-o %s is a folder; give a file name", output);

  d.store = _plab_cli_open_store (db, PLAB_STORE_READ_ONLY, &path, &missing);
  if (d.store == NULL)
    {
      if (!missing)
        return PLAB_EXIT_FAILED;
      status = _plab_cli_parse_run_id (COMMAND, NULL, path, argv[1], NULL, &id);
      if (status == PLAB_EXIT_OK)
        status = _plab_cli_usage_error (COMMAND, "there is no run %s: %s holds no runs yet",
                                        argv[1], path);
      return status;
    }
  status = _plab_cli_parse_run_id (COMMAND, d.store, path, argv[1], NULL, &id);
  if (status != PLAB_EXIT_OK)
    goto out;
  status = PLAB_EXIT_FAILED;
  rc = plab_store_get_run (d.store, id, &d.run);
  if (rc == PLAB_ENOTFOUND)
    {
      status
          = _plab_cli_usage_error (COMMAND, "there is no run %" G_GINT64_FORMAT " in %s", id, path);
      goto out;
    }
  if (rc == 0)
    rc = plab_store_get_lanes (d.store, id, &d.lanes, &d.n_lanes);
  if (rc == 0)
    rc = plab_store_get_spans (d.store, id, 0, INT64_MAX, &d.spans, &d.n_spans);
  if (rc == 0 && !strcmp (format, "trace"))
    rc = plab_store_get_counters (d.store, id, &d.counters, &d.n_counters);
  if (rc != 0)
    {
      _plab_cli_error (COMMAND, "cannot read run %" G_GINT64_FORMAT " from %s: %s", id, path,
                       _plab_cli_store_error (d.store, rc));
      goto out;
    }
  if (output != NULL && !output_writable (output))
    goto out;

  out = g_string_sized_new (64 * d.n_spans + 4096);
  if (!strcmp (format, "csv"))
    write_csv (&d, out);
  else
    repaired = write_trace (&d, out);

  if (output == NULL || !strcmp (output, "-"))
    {
      if (fwrite (out->str, 1, out->len, stdout) != out->len || fflush (stdout) != 0)
        {
          _plab_cli_error (COMMAND, "cannot write to stdout: %s", g_strerror (errno));
          goto out;
        }
    }
  else if (!g_file_set_contents (output, out->str, (gssize)out->len, &error))
    {
      _plab_cli_error (COMMAND, "cannot write %s: %s", output, error->message);
      goto out;
    }
  else
    fprintf (stderr, "%s: wrote run %" G_GINT64_FORMAT " (%zu spans) to %s\n", COMMAND, id,
             d.n_spans, output);
  if (repaired > 0)
    fprintf (stderr, "%s: %zu spans overlapped the span they started in and were clamped to it\n",
             COMMAND, repaired);
  status = PLAB_EXIT_OK;

out:
  export_data_clear (&d);
  plab_store_close (d.store);
  return status;
}
