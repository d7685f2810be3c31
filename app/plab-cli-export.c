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
#include "plab-run-export.h"

#define COMMAND "plab export"

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
    char small[256];
    int min_w, min_h;

    /* A chart too small to read is refused before anything is read or
     * written; CSV is the data, which has no size. */
    plab_chart_export_min_size ((PlabTheme)th, &min_w, &min_h);
    if (fmt != PLAB_CHART_FORMAT_CSV
        && plab_chart_export_too_small ((PlabTheme)th, (int)w, (int)h, small, sizeof small))
      return _plab_cli_usage_error (COMMAND, "%s (--width %d --height %d)", small, min_w, min_h);
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
    {
      char name[128];

      plab_run_export_file_name (name, sizeof name, sweep, id, args->chart,
                                 plab_chart_format_name (fmt));
      output = default_output = g_strdup (name);
    }
  if (!output_writable (output))
    goto out;
  options.kind = kind;
  options.format = fmt;
  options.path = output;
  options.width = (int)width;
  options.height = (int)height;
  options.scale = scale;
  options.theme = th;
  options.result_labels = plab_demo_result_label_for;
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

/* The arguments of a CSV or trace export (no --chart), checked before the
 * store is opened. Returns PLAB_EXIT_OK or the usage error's status. */
static int
check_data_args (const ChartArgs *args, const char *run)
{
  const char *format = args->format, *output = args->output;

  if (args->width != NULL || args->height != NULL || args->scale != NULL || args->theme != NULL)
    return _plab_cli_usage_error (COMMAND,
                                  "--%s is for charts: add --chart timeline, time, "
                                  "speedup or result",
                                  args->width    ? "width"
                                  : args->height ? "height"
                                  : args->scale  ? "scale"
                                                 : "theme");
  if (format == NULL)
    return _plab_cli_usage_error (COMMAND, "which format? (--format csv or --format trace)");
  if (strcmp (format, "csv") && strcmp (format, "trace"))
    return _plab_cli_usage_error (COMMAND,
                                  "unknown format '%s' (csv or trace; charts need --chart)",
                                  format);
  if (g_str_has_prefix (run, "sweep:"))
    return _plab_cli_usage_error (COMMAND, "csv and trace export one run; sweep:ID is for --chart");
  if (output != NULL && output[0] == '\0')
    return _plab_cli_usage_error (COMMAND, "-o needs a FILE name (or - for stdout)");
  if (output != NULL && g_file_test (output, G_FILE_TEST_IS_DIR))
    return _plab_cli_usage_error (COMMAND, "-o %s is a folder; give a file name", output);
  return PLAB_EXIT_OK;
}

/* Writes run @run of the store as CSV or a trace (@format, checked) to
 * @output (NULL or "-": stdout), and says on stderr what it wrote. */
static int
export_run_data (const char *run, const char *format, const char *output, const char *db)
{
  g_autofree char *path = NULL;
  PlabStore *store = NULL;
  PlabRunExportStats stats = { 0 };
  char message[512] = "";
  gboolean missing;
  int64_t id;
  int status;
  int rc;

  store = _plab_cli_open_store (db, PLAB_STORE_READ_ONLY, &path, &missing);
  if (store == NULL)
    {
      if (!missing)
        return PLAB_EXIT_FAILED;
      status = _plab_cli_parse_run_id (COMMAND, NULL, path, run, NULL, &id);
      if (status == PLAB_EXIT_OK)
        status = _plab_cli_usage_error (COMMAND, "there is no run %s: %s holds no runs yet", run,
                                        path);
      return status;
    }
  status = _plab_cli_parse_run_id (COMMAND, store, path, run, NULL, &id);
  if (status != PLAB_EXIT_OK)
    goto out;
  status = PLAB_EXIT_FAILED;
  if (output != NULL && !output_writable (output))
    goto out;
  rc = plab_run_export (store, id,
                        strcmp (format, "csv") ? PLAB_RUN_EXPORT_TRACE : PLAB_RUN_EXPORT_CSV,
                        output ? output : "-", &stats, message, sizeof message);
  if (rc == PLAB_ENOTFOUND)
    {
      status
          = _plab_cli_usage_error (COMMAND, "there is no run %" G_GINT64_FORMAT " in %s", id, path);
      goto out;
    }
  if (rc != 0 && rc != PLAB_ESYS && rc != PLAB_ENOMEM && rc != PLAB_EINVAL)
    {
      /* The store failed: name the file, as every command does. */
      _plab_cli_error (COMMAND, "cannot read run %" G_GINT64_FORMAT " from %s: %s", id, path,
                       _plab_cli_store_error (store, rc));
      goto out;
    }
  if (rc != 0)
    {
      _plab_cli_error (COMMAND, "%s", message[0] ? message : plab_strerror (rc));
      goto out;
    }
  if (output != NULL && strcmp (output, "-") != 0)
    fprintf (stderr, "%s: wrote run %" G_GINT64_FORMAT " (%zu spans) to %s\n", COMMAND, id,
             stats.n_spans, output);
  if (stats.repaired > 0)
    fprintf (stderr, "%s: %zu spans overlapped the span they started in and were clamped to it\n",
             COMMAND, stats.repaired);
  status = PLAB_EXIT_OK;

out:
  plab_store_close (store);
  return status;
}

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
  GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_FILENAME, &format,
      "csv or trace (with --chart: png, svg, pdf)", "FORMAT" },
    { "chart", 0, 0, G_OPTION_ARG_FILENAME, &chart, "timeline, time, speedup or result", "KIND" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Write to FILE (default: stdout for --format csv or trace; with --chart, "
      "plab-runN-KIND.FORMAT (sweepN for a sweep) in the current folder)",
      "FILE" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "The run store (default under $XDG_DATA_HOME)",
      "FILE" },
    { "width", 0, 0, G_OPTION_ARG_FILENAME, &width,
      "Chart width in pixels, 640 to 20000 (default 1600; the projector theme needs 864)", "W" },
    { "height", 0, 0, G_OPTION_ARG_FILENAME, &height,
      "Chart height in pixels, 360 to 20000 (default 900; the projector theme needs 486)", "H" },
    { "scale", 0, 0, G_OPTION_ARG_FILENAME, &scale,
      "PNG pixel scale, 0.25 to 8, e.g. 2 for a sharp slide", "S" },
    { "theme", 0, 0, G_OPTION_ARG_FILENAME, &theme, "light, dark or projector", "THEME" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = NULL;
  int64_t id;
  int status;

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
  {
    ChartArgs args = { chart, format, output, width, height, scale, theme };

    status = check_data_args (&args, argv[1]);
    if (status != PLAB_EXIT_OK)
      return status;
  }
  return export_run_data (argv[1], format, output, db);
}
