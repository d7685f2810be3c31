/* plab-cli.c: the command line: dispatch, shared option handling, and the
 * commands that only read (list, runs, show).
 *
 * Every mistake of the user ends in one line on stderr that says what was wrong
 * and what would be right, and exit status 2; a store that cannot be used ends
 * in one line naming the file and the reason, and exit status 1.
 */
#include "plab-cli-private.h"

#include "plab-bench-charts.h"
#include "plab-bench-core.h"
#include "plab-cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plab-json-writer.h"
#ifdef PLAB_HAVE_GUI
#include "plab-application.h"
#endif

#ifndef PLAB_VERSION
#define PLAB_VERSION "unknown"
#endif

static const char main_help[]
    = "Usage: plab [COMMAND] [OPTIONS]\n"
      "\n"
      "Parallel Lab: run classic parallel programs, watch every worker on a timeline,\n"
      "measure speedups and keep every run for comparison.\n"
      "\n"
      "Commands:\n"
      "  (none)                  open the lab window (where there is no display: one line\n"
      "                          saying so, this help, and exit status 2)\n"
      "  list                    the demos, one line each\n"
      "  run DEMO [OPTIONS]      run a demo, record it, print a summary\n"
      "  runs [--demo DEMO]      recorded runs, newest first\n"
      "  show RUN                one run in detail (RUN is a run id or \"last\")\n"
      "  exercise list|start|check|report   exercises: write the parallel code, the lab\n"
      "                          checks it beside a reference (plab exercise help)\n"
      "  export RUN --format csv|trace [-o FILE]\n"
      "                          a run's spans as CSV, or a trace for ui.perfetto.dev\n"
      "  export RUN|sweep:ID --chart timeline|time|speedup|result [--format png|svg|pdf|csv]\n"
      "         [-o FILE] [--width W] [--height H] [--scale S] [--theme light|dark|projector]\n"
      "                          a chart for slides and reports\n"
      "  bench core|charts [--json]\n"
      "                          measure the core library (against raw POSIX) or the charts\n"
      "\n"
      "Options:\n"
      "  -h, --help              this help; every command has its own (plab run --help)\n"
      "  --version               plab's version\n"
      "  --db FILE               open the lab window on that run store\n"
      "\n"
      "Examples:\n"
      "  plab run squares -b processes -j 2\n"
      "  plab run squares --sweep 1..max -b serial,threads,processes\n"
      "  plab export last --format trace -o squares.json\n"
      "  plab export last --chart speedup -o speedup.png\n"
      "\n"
      "Runs are kept in $XDG_DATA_HOME/plab/runs.db (~/.local/share/plab/runs.db) unless\n"
      "--db FILE names another file.\n";

/* How much of one value (a word, or a quoted '...' part) a message echoes. */
#define ECHO_MAX 80
#define ECHO_KEEP (ECHO_MAX - 3)

/* Appends @message with every control character escaped: a control
 * character can only have come from what the user typed ("5\n"), and must
 * not split or garble the line. */
static void
append_escaped (GString *line, const char *message)
{
  for (const unsigned char *p = (const unsigned char *)message; *p; p++)
    {
      if (*p == '\n')
        g_string_append (line, "\\n");
      else if (*p == '\t')
        g_string_append (line, "\\t");
      else if (*p < 0x20 || *p == 0x7f)
        g_string_append_printf (line, "\\x%02x", *p);
      else
        g_string_append_c (line, (char)*p);
    }
}

/* Appends the value @text[0..len), cut to ECHO_KEEP bytes and "..." when it
 * is longer than ECHO_MAX (never inside a UTF-8 character). */
static void
append_cut (GString *line, const char *text, size_t len)
{
  size_t keep = len;

  if (len > ECHO_MAX)
    {
      keep = ECHO_KEEP;
      while (keep > 0 && ((unsigned char)text[keep] & 0xc0) == 0x80)
        keep--;
    }
  g_string_append_len (line, text, (gssize)keep);
  if (keep < len)
    g_string_append (line, "...");
}

/* Cuts every long value of the escaped @message: a quoted part ('...') or a
 * word longer than ECHO_MAX, so that a 10,000-character --db still makes a
 * line one can read. */
static void
append_cut_values (GString *line, const char *message)
{
  const char *p = message;

  while (*p)
    {
      const char *close = *p == '\'' ? strchr (p + 1, '\'') : NULL;
      size_t len;

      if (*p == ' ')
        {
          g_string_append_c (line, ' ');
          p++;
          continue;
        }
      if (close != NULL)
        {
          g_string_append_c (line, '\'');
          append_cut (line, p + 1, (size_t)(close - p - 1));
          g_string_append_c (line, '\'');
          p = close + 1;
          continue;
        }
      len = strcspn (p, " ");
      append_cut (line, p, len);
      p += len;
    }
}

/* Prints "COMMAND: MESSAGE" as exactly one line, every value in it escaped
 * and cut to about ECHO_MAX characters. Every error of the command line
 * goes through here. */
static void
print_one_line (const char *command, const char *message)
{
  g_autoptr (GString) escaped = g_string_new (NULL);
  g_autoptr (GString) line = g_string_new (NULL);

  append_escaped (escaped, message);
  g_string_append_printf (line, "%s: ", command);
  append_cut_values (line, escaped->str);
  g_string_append_c (line, '\n');
  fputs (line->str, stderr);
}

void
_plab_cli_error (const char *command, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  print_one_line (command, message);
}

gboolean
_plab_cli_parse (GOptionContext *context, const char *command, int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;

  if (g_option_context_parse (context, argc, argv, &error))
    return TRUE;
  return _plab_cli_reject (command, "%s (see %s --help)", error->message, command);
}

gboolean
_plab_cli_parse_int (const char *command,
                     const char *option,
                     const char *text,
                     gint64 min,
                     gint64 max,
                     gint64 *out)
{
  gint64 v;

  /* g_ascii_string_to_signed () refuses blanks, signs it does not expect,
   * trailing characters and values that overflow; the range is ours. */
  if (text == NULL || !g_ascii_string_to_signed (text, 10, min, max, &v, NULL))
    return _plab_cli_reject (command,
                             "%s must be a whole number from %" G_GINT64_FORMAT
                             " to %" G_GINT64_FORMAT ", not '%s'",
                             option, min, max, text ? text : "");
  *out = v;
  return TRUE;
}

gboolean
_plab_cli_parse_double (const char *command,
                        const char *option,
                        const char *text,
                        double min,
                        double max,
                        double *out)
{
  char *end = NULL;
  double v = NAN;

  if (text != NULL && text[0] != '\0' && text[strspn (text, "0123456789+-.eE")] == '\0')
    v = g_ascii_strtod (text, &end);
  if (end == NULL || end == text || *end != '\0' || !isfinite (v) || v < min || v > max)
    return _plab_cli_reject (command, "%s must be a number from %g to %g, not '%s'", option, min,
                             max, text ? text : "");
  *out = v;
  return TRUE;
}

int
_plab_cli_find_negative (int argc, char **argv, const char *const *value_options)
{
  for (int i = 1; i < argc; i++)
    {
      if (!strcmp (argv[i], "--"))
        return 0;
      if (argv[i][0] == '-' && g_ascii_isdigit (argv[i][1]))
        return i;
      if (g_strv_contains (value_options, argv[i]))
        i++;
    }
  return 0;
}

const char *
_plab_cli_store_error (PlabStore *store, int rc)
{
  const char *detail = plab_store_errmsg (store);

  return detail != NULL && detail[0] != '\0' ? detail : plab_strerror (rc);
}

gboolean
_plab_cli_db_given_ok (const char *command, const char *db)
{
  if (db == NULL || db[0] != '\0')
    return TRUE;
  return _plab_cli_reject (command, "--db needs a FILE name, not an empty one");
}

char *
_plab_cli_known_demos (void)
{
  const PlabDemo *const *demos;
  GString *s = g_string_new ("known demos:");
  size_t n;

  demos = plab_demos (&n);
  for (size_t i = 0; i < n; i++)
    g_string_append_printf (s, "%s %s", i ? "," : "", demos[i]->name);
  return g_string_free (s, FALSE);
}

/* SQLite refuses a path of 512 bytes or more; its -journal file beside the
 * store needs 8 more. */
#define STORE_PATH_MAX (512 - sizeof "-journal")

/* Refuses, with one line and before anything is created, a store path that
 * SQLite cannot take, and an explicit --db in a folder that does not exist
 * (a typo must not start a new, empty store somewhere): only the default
 * store's folder is created. */
static gboolean
store_path_ok (const char *chosen, PlabStoreMode mode, gboolean explicit)
{
  g_autofree char *absolute = g_canonicalize_filename (chosen, NULL);
  g_autofree char *folder = g_path_get_dirname (absolute);
  const char *verb = mode == PLAB_STORE_READ_WRITE ? "record runs in" : "read";

  if (strlen (absolute) > STORE_PATH_MAX)
    {
      _plab_cli_error ("plab",
                       "cannot %s the run store %s: its path is %zu bytes long, and SQLite takes "
                       "at most %zu",
                       verb, chosen, strlen (absolute), (size_t)STORE_PATH_MAX);
      return FALSE;
    }
  if (explicit && mode == PLAB_STORE_READ_WRITE && !g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      _plab_cli_error ("plab",
                       "cannot record runs in the run store %s: the folder %s does not exist "
                       "(create it first)",
                       chosen, folder);
      return FALSE;
    }
  return TRUE;
}

PlabStore *
_plab_cli_open_store (const char *path, PlabStoreMode mode, char **path_out, gboolean *missing)
{
  g_autofree char *chosen = NULL;
  PlabStore *store = NULL;
  const char *detail;
  int rc;

  if (missing)
    *missing = FALSE;
  if (path != NULL)
    chosen = g_strdup (path);
  else
    {
      char *def = plab_store_default_path ();

      chosen = g_strdup (def);
      free (def);
    }
  if (chosen == NULL)
    {
      _plab_cli_error ("plab", "no place for the run store: set XDG_DATA_HOME or HOME, or pass "
                               "--db FILE");
      return NULL;
    }

  if (!store_path_ok (chosen, mode, path != NULL))
    return NULL;

  if (mode == PLAB_STORE_READ_ONLY && !g_file_test (chosen, G_FILE_TEST_EXISTS))
    {
      if (missing)
        *missing = TRUE;
      if (path_out)
        *path_out = g_steal_pointer (&chosen);
      return NULL;
    }

  rc = plab_store_open (chosen, mode, &store);
  if (rc != 0)
    {
      detail = plab_store_open_error ();
      /* The detail may start with the path again; the line names it once.
       * It says in plain words what is wrong with the file, so it stands in
       * for the shorter plab_strerror () when there is one. */
      if (detail && g_str_has_prefix (detail, chosen)
          && g_str_has_prefix (detail + strlen (chosen), ": "))
        detail += strlen (chosen) + 2;
      _plab_cli_error ("plab", "cannot %s the run store %s: %s",
                       mode == PLAB_STORE_READ_WRITE ? "record runs in" : "read", chosen,
                       detail && detail[0] ? detail : plab_strerror (rc));
      return NULL;
    }
  if (path_out)
    *path_out = g_steal_pointer (&chosen);
  return store;
}

int
_plab_cli_parse_run_id (const char *command,
                        PlabStore *store,
                        const char *path,
                        const char *text,
                        const char *others,
                        int64_t *id_out)
{
  guint64 id;

  if (g_strcmp0 (text, "last") == 0 && store == NULL)
    return _plab_cli_usage_error (command, "there is no last run: %s holds no runs yet", path);
  if (g_strcmp0 (text, "last") == 0)
    {
      PlabRunFilter filter = { .limit = 1 };
      PlabRunRecord **records = NULL;
      size_t n = 0;
      int rc = plab_store_list_runs (store, &filter, &records, &n);

      if (rc != 0)
        {
          _plab_cli_error (command, "cannot read %s: %s", path, _plab_cli_store_error (store, rc));
          return PLAB_EXIT_FAILED;
        }
      if (n == 0)
        return _plab_cli_usage_error (command, "there is no last run: %s holds no runs yet", path);
      *id_out = records[0]->id;
      plab_run_records_free (records, n);
      return PLAB_EXIT_OK;
    }
  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &id, NULL))
    return _plab_cli_usage_error (command,
                                  "'%s' is not a run: give a run id from 1 to %" G_GINT64_FORMAT
                                  "%s\"last\"%s%s",
                                  text ? text : "", G_MAXINT64, others ? ", " : " or ",
                                  others ? " or " : "", others ? others : "");
  *id_out = (int64_t)id;
  return PLAB_EXIT_OK;
}

/* --- plab list --- */

typedef void (*AppendJsonFunc) (GString *s, gconstpointer item);

/* Starts a JSON object whose first member @key holds @items as an array, each
 * written by @append; the caller adds any further members and the closing brace. */
static GString *
json_object_with_array (const char *key,
                        gconstpointer const *items,
                        size_t n_items,
                        AppendJsonFunc append)
{
  GString *s = g_string_new ("{");

  plab_json_append_string (s, key);
  g_string_append (s, ":[");
  for (size_t i = 0; i < n_items; i++)
    {
      if (i)
        g_string_append_c (s, ',');
      append (s, items[i]);
    }
  g_string_append_c (s, ']');
  return s;
}

static void
append_demo_json (GString *s, gconstpointer item)
{
  const PlabDemo *demo = item;

  char text[64];

  g_string_append (s, "{\"name\":");
  plab_json_append_string (s, demo->name);
  plab_json_append_string_member (s, "title", demo->title);
  plab_json_append_string_member (s, "summary", demo->summary);
  plab_json_append_string_member (s, "lesson", demo->lesson);
  g_string_append (s, ",\"backends\":[");
  for (int b = 0, first = 1; b <= PLAB_BACKEND_MPI; b++)
    if (demo->backends & PLAB_BACKEND_BIT (b))
      {
        g_string_append_printf (s, "%s\"%s\"", first ? "" : ",", plab_backend_name (b));
        first = 0;
      }
  g_string_append (s, "],\"default_backend\":");
  plab_json_append_string (s, plab_backend_name (demo->default_backend));
  g_string_append (s, ",\"params\":[");
  for (size_t i = 0; i < demo->n_params; i++)
    {
      const PlabParamSpec *p = &demo->params[i];
      static const char *const types[] = { "int", "double", "bool", "choice" };

      g_string_append (s, i ? ",{\"name\":" : "{\"name\":");
      plab_json_append_string (s, p->name);
      g_string_append_printf (s, ",\"type\":\"%s\",\"help\":", types[p->type]);
      plab_json_append_string (s, p->help);
      plab_param_format (p, p->def, text, sizeof text);
      plab_json_append_string_member (s, "default", text);
      plab_json_append_double_member (s, "min", p->min);
      plab_json_append_double_member (s, "max", p->max);
      if (p->unit != NULL)
        plab_json_append_string_member (s, "unit", p->unit);
      if (p->type == PLAB_PARAM_CHOICE && p->choices)
        {
          g_string_append (s, ",\"choices\":[");
          for (size_t c = 0; p->choices[c]; c++)
            {
              if (c)
                g_string_append_c (s, ',');
              plab_json_append_string (s, p->choices[c]);
            }
          g_string_append_c (s, ']');
        }
      g_string_append_c (s, '}');
    }
  g_string_append (s, "]}");
}

static int
cmd_list (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = { { "json", 0, 0, G_OPTION_ARG_NONE, &json,
                               "Demos with their lessons and parameters as JSON", NULL },
                             { NULL } };
  g_autoptr (GOptionContext) context = g_option_context_new ("- the demos, one line each");
  const PlabDemo *const *demos;
  size_t n;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!_plab_cli_parse (context, "plab list", &argc, &argv))
    return PLAB_EXIT_USAGE;
  if (argc > 1)
    return _plab_cli_usage_error ("plab list", "unexpected argument '%s'", argv[1]);

  demos = plab_demos (&n);
  if (json)
    {
      g_autoptr (GString) s
          = json_object_with_array ("demos", (gconstpointer const *)demos, n, append_demo_json);

      g_string_append (s, "}\n");
      fputs (s->str, stdout);
      return PLAB_EXIT_OK;
    }
  /* The name column is as wide as the longest name. */
  int width = 0;
  for (size_t i = 0; i < n; i++)
    width = MAX (width, (int)strlen (demos[i]->name));
  for (size_t i = 0; i < n; i++)
    printf ("%-*s  %s\n", width, demos[i]->name, demos[i]->summary);
  return PLAB_EXIT_OK;
}

/* --- plab runs --- */

static char *
format_started (int64_t started_at_us)
{
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_local (started_at_us / G_USEC_PER_SEC);

  return t ? g_date_time_format (t, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
}

static void
append_run_json (GString *s, gconstpointer item)
{
  const PlabRunRecord *r = item;

  g_string_append_printf (s, "{\"id\":%" G_GINT64_FORMAT ",\"demo\":", r->id);
  plab_json_append_string (s, r->demo);
  plab_json_append_string_member (s, "backend", r->backend);
  g_string_append_printf (s,
                          ",\"workers\":%d,\"status\":\"%s\",\"started_at_us\":%" G_GINT64_FORMAT
                          ",\"wall_s\":",
                          r->workers, plab_run_status_name (r->status), r->started_at_us);
  plab_json_append_double (s, r->wall_ns / 1e9);
  plab_json_append_double_member (s, "cpu_s", r->cpu_ns / 1e9);
  g_string_append_printf (s, ",\"check_ok\":%s,\"check\":", r->check_ok ? "true" : "false");
  plab_json_append_string (s, r->check_message);
  plab_json_append_string_member (s, "error", r->error && r->error[0] ? r->error : NULL);
  g_string_append_printf (s, ",\"seed\":%" G_GUINT64_FORMAT ",\"sweep\":", r->seed);
  if (r->sweep_id > 0)
    g_string_append_printf (s, "%" G_GINT64_FORMAT, r->sweep_id);
  else
    g_string_append (s, "null");
  g_string_append_printf (s, ",\"repeat\":%d,\"spans\":%" G_GINT64_FORMAT ",\"params\":", r->repeat,
                          r->n_spans);
  plab_json_append_object (s, r->params_json);
  g_string_append (s, ",\"result\":");
  plab_json_append_object (s, r->result_json);
  g_string_append (s, ",\"machine_load\":");
  plab_json_append_machine_load (s, &r->load);
  g_string_append_c (s, '}');
}

static int
cmd_runs (int argc, char **argv)
{
  g_autofree char *db = NULL;
  g_autofree char *demo = NULL;
  g_autofree char *path = NULL;
  g_autofree char *limit_text = NULL;
  gboolean json = FALSE;
  gint64 limit = 20;
  GOptionEntry entries[]
      = { { "demo", 0, 0, G_OPTION_ARG_FILENAME, &demo, "Only runs of this demo", "DEMO" },
          { "limit", 'n', 0, G_OPTION_ARG_FILENAME, &limit_text,
            "At most N runs (default 20, 0: all)", "N" },
          { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "The run store (default under $XDG_DATA_HOME)",
            "FILE" },
          { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output", NULL },
          { NULL } };
  g_autoptr (GOptionContext) context = g_option_context_new ("- recorded runs, newest first");
  PlabRunFilter filter = { 0 };
  PlabRunRecord **records = NULL;
  PlabStore *store;
  gboolean missing;
  size_t n = 0;
  int rc;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!_plab_cli_parse (context, "plab runs", &argc, &argv))
    return PLAB_EXIT_USAGE;
  if (argc > 1)
    return _plab_cli_usage_error ("plab runs", "unexpected argument '%s'", argv[1]);
  if (limit_text != NULL
      && !_plab_cli_parse_int ("plab runs", "--limit", limit_text, 0, G_MAXINT, &limit))
    return PLAB_EXIT_USAGE;
  if (demo != NULL && demo[0] == '\0')
    return _plab_cli_usage_error ("plab runs", "--demo needs a demo name, not an empty one");
  if (!_plab_cli_db_given_ok ("plab runs", db))
    return PLAB_EXIT_USAGE;

  store = _plab_cli_open_store (db, PLAB_STORE_READ_ONLY, &path, &missing);
  if (store == NULL && !missing)
    return PLAB_EXIT_FAILED;
  if (store)
    {
      filter.demo = demo;
      filter.limit = (int)limit;
      rc = plab_store_list_runs (store, &filter, &records, &n);
      if (rc != 0)
        {
          _plab_cli_error ("plab runs", "cannot read %s: %s", path,
                           _plab_cli_store_error (store, rc));
          plab_store_close (store);
          return PLAB_EXIT_FAILED;
        }
    }

  if (json)
    {
      g_autoptr (GString) s
          = json_object_with_array ("runs", (gconstpointer const *)records, n, append_run_json);

      plab_json_append_string_member (s, "db", path);
      g_string_append (s, "}\n");
      fputs (s->str, stdout);
    }
  else if (n == 0)
    printf ("No runs recorded in %s yet. Try: plab run squares\n", path);
  else
    {
      printf ("%6s  %-19s  %-15s %-10s %7s  %-9s %9s  %s\n", "RUN", "STARTED", "DEMO", "BACKEND",
              "WORKERS", "STATUS", "WALL (s)", "CHECK");
      for (size_t i = 0; i < n; i++)
        {
          const PlabRunRecord *r = records[i];
          g_autofree char *started = format_started (r->started_at_us);

          printf ("%6" G_GINT64_FORMAT "  %-19s  %-15s %-10s %7d  %-9s %9.3f  %s\n", r->id, started,
                  r->demo, r->backend, r->workers, plab_run_status_name (r->status),
                  r->wall_ns / 1e9, r->check_message ? r->check_message : "");
        }
    }

  plab_run_records_free (records, n);
  if (store)
    plab_store_close (store);
  return PLAB_EXIT_OK;
}

/* --- plab show --- */

static const char *
lane_end_text (const PlabLaneInfo *lane, char *buf, size_t size)
{
  switch (lane->end)
    {
    case PLAB_LANE_EXITED:
      snprintf (buf, size, "exited with code %d", lane->exit_code);
      break;
    case PLAB_LANE_KILLED:
      snprintf (buf, size, "killed by signal %d (%s)", lane->exit_signal,
                g_strsignal (lane->exit_signal));
      break;
    default:
      snprintf (buf, size, "-");
    }
  return buf;
}

/* plab show --json: the run's summary with its lanes and its machine (null
 * when the store has none for it). */
static void
print_show_json (const PlabRunRecord *r,
                 const PlabLaneInfo *lanes,
                 size_t n_lanes,
                 const PlabMachineRecord *machine)
{
  g_autoptr (GString) s = g_string_new (NULL);

  append_run_json (s, r);
  g_string_truncate (s, s->len - 1);
  g_string_append (s, ",\"lanes\":[");
  for (size_t i = 0; i < n_lanes; i++)
    {
      const PlabLaneInfo *l = &lanes[i];

      g_string_append_printf (s, "%s{\"lane\":%d,\"kind\":\"%s\",\"pid\":%d,\"tid\":%d,\"name\":",
                              i ? "," : "", l->lane, plab_lane_kind_name (l->kind), l->pid, l->tid);
      plab_json_append_string (s, l->name);
      g_string_append_printf (s,
                              ",\"end\":\"%s\",\"code\":%d,\"signal\":%d,\"dropped\":"
                              "%" G_GUINT64_FORMAT "}",
                              l->end == PLAB_LANE_KILLED   ? "killed"
                              : l->end == PLAB_LANE_EXITED ? "exited"
                                                           : "running",
                              l->exit_code, l->exit_signal, l->dropped);
    }
  g_string_append (s, "],\"machine\":");
  if (machine != NULL)
    {
      g_string_append (s, "{\"host\":");
      plab_json_append_string (s, machine->host);
      plab_json_append_string_member (s, "cpu_model", machine->cpu_model);
      g_string_append_printf (s, ",\"usable_cpus\":%d,\"online_cpus\":%d,\"os\":",
                              machine->usable_cpus, machine->online_cpus);
      plab_json_append_string (s, machine->os);
      plab_json_append_string_member (s, "compiler", machine->compiler);
      plab_json_append_string_member (s, "plab_version", machine->plab_version);
      g_string_append_c (s, '}');
    }
  else
    g_string_append (s, "null");
  g_string_append (s, "}\n");
  fputs (s->str, stdout);
}

/* How busy the machine was: a warning line of its own when the run's
 * times are not to be trusted. */
static void
print_show_load (const PlabMachineLoad *load)
{
  char note[256], avg[64] = "";

  plab_machine_load_describe (load, note, sizeof note);
  if (load->measured && load->load_avg >= 0)
    snprintf (avg, sizeof avg, "load average %.2f before the run", load->load_avg);
  if (plab_machine_load_is_busy (load))
    {
      printf ("  WARNING     %s\n", note);
      if (avg[0])
        printf ("  load        %s\n", avg);
    }
  else
    printf ("  load        %s%s%s\n", note, avg[0] ? "; " : "", avg);
}

/* plab show: the run in a few aligned lines, then one line a lane. */
static void
print_show_text (PlabStore *store,
                 const PlabRunRecord *r,
                 const PlabLaneInfo *lanes,
                 size_t n_lanes,
                 const PlabMachineRecord *machine)
{
  g_autofree char *started = format_started (r->started_at_us);
  char end[64];

  printf ("Run %" G_GINT64_FORMAT ": %s on %s with %d worker%s\n", r->id, r->demo, r->backend,
          r->workers, r->workers == 1 ? "" : "s");
  printf ("  status      %s\n", plab_run_status_name (r->status));
  printf ("  started     %s\n", started);
  printf ("  wall time   %.3f s\n", r->wall_ns / 1e9);
  _plab_cli_show_spread (store, r);
  printf ("  cpu time    %.3f s\n", r->cpu_ns / 1e9);
  print_show_load (&r->load);
  printf ("  parameters  %s (seed %" G_GUINT64_FORMAT ")\n", r->params_json ? r->params_json : "{}",
          r->seed);
  printf ("  check       %s%s\n",
          r->check_ok ? "ok: " : "FAILED: ", r->check_message ? r->check_message : "");
  if (r->error && r->error[0])
    printf ("  error       %s\n", r->error);
  if (r->sweep_id > 0)
    printf ("  sweep       %" G_GINT64_FORMAT "%s%s (this run: repeat %d)\n", r->sweep_id,
            r->sweep_label ? " · " : "", r->sweep_label ? r->sweep_label : "", r->repeat + 1);
  _plab_cli_show_result ("  result      ", store, r);
  if (machine != NULL)
    printf ("  machine     %s, %s, %d usable CPUs, %s, %s, plab %s\n", machine->host,
            machine->cpu_model, machine->usable_cpus, machine->os, machine->compiler,
            machine->plab_version);
  printf ("  spans       %" G_GINT64_FORMAT "\n", r->n_spans);
  printf ("  lanes\n");
  for (size_t i = 0; i < n_lanes; i++)
    printf ("    %3d  %-8s pid %-7d tid %-7d %-16s %s%s\n", lanes[i].lane,
            plab_lane_kind_name (lanes[i].kind), lanes[i].pid, lanes[i].tid, lanes[i].name,
            lane_end_text (&lanes[i], end, sizeof end),
            lanes[i].dropped ? " (events dropped)" : "");
}

static int
cmd_show (int argc, char **argv)
{
  g_autofree char *db = NULL;
  g_autofree char *path = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[]
      = { { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "The run store (default under $XDG_DATA_HOME)",
            "FILE" },
          { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output", NULL },
          { NULL } };
  g_autoptr (GOptionContext) context
      = g_option_context_new ("RUN - one run in detail (RUN: a run id or \"last\")");
  PlabMachineRecord machine = { 0 };
  PlabRunRecord *r = NULL;
  PlabLaneInfo *lanes = NULL;
  size_t n_lanes = 0;
  PlabStore *store = NULL;
  gboolean missing;
  gboolean have_machine = FALSE;
  int64_t id;
  int status = PLAB_EXIT_FAILED;
  int rc;

  g_option_context_add_main_entries (context, entries, NULL);
  {
    static const char *const value_options[] = { "--db", NULL };
    int negative = _plab_cli_find_negative (argc, argv, value_options);

    if (negative > 0)
      return _plab_cli_parse_run_id ("plab show", NULL, NULL, argv[negative], NULL, &id);
  }
  if (!_plab_cli_parse (context, "plab show", &argc, &argv))
    return PLAB_EXIT_USAGE;
  if (argc != 2)
    return _plab_cli_usage_error ("plab show",
                                  argc < 2 ? "which run? (plab show RUN, see plab runs)"
                                           : "one run at a time, not '%s'",
                                  argc > 2 ? argv[2] : "");
  if (!_plab_cli_db_given_ok ("plab show", db))
    return PLAB_EXIT_USAGE;

  store = _plab_cli_open_store (db, PLAB_STORE_READ_ONLY, &path, &missing);
  if (store == NULL)
    {
      if (!missing)
        return PLAB_EXIT_FAILED;
      status = _plab_cli_parse_run_id ("plab show", NULL, path, argv[1], NULL, &id);
      if (status == PLAB_EXIT_OK)
        status = _plab_cli_usage_error ("plab show", "there is no run %s: %s holds no runs yet",
                                        argv[1], path);
      return status;
    }
  status = _plab_cli_parse_run_id ("plab show", store, path, argv[1], NULL, &id);
  if (status != PLAB_EXIT_OK)
    goto out;
  status = PLAB_EXIT_FAILED;
  rc = plab_store_get_run (store, id, &r);
  if (rc == PLAB_ENOTFOUND)
    {
      status = _plab_cli_usage_error ("plab show", "there is no run %" G_GINT64_FORMAT " in %s", id,
                                      path);
      goto out;
    }
  if (rc == 0)
    rc = plab_store_get_lanes (store, id, &lanes, &n_lanes);
  if (rc != 0)
    {
      _plab_cli_error ("plab show", "cannot read %s: %s", path, _plab_cli_store_error (store, rc));
      goto out;
    }
  have_machine = r->machine_id > 0 && plab_store_get_machine (store, r->machine_id, &machine) == 0;

  if (json)
    print_show_json (r, lanes, n_lanes, have_machine ? &machine : NULL);
  else
    print_show_text (store, r, lanes, n_lanes, have_machine ? &machine : NULL);
  status = PLAB_EXIT_OK;

out:
  if (have_machine)
    plab_machine_record_clear (&machine);
  free (lanes);
  plab_run_record_free (r);
  plab_store_close (store);
  return status;
}

/* --- plab bench --- */

/* The benchmarks measure and print; they live with the tests (tests/bench/)
 * and are linked in so that anyone can measure the machine at hand. */
static int
cmd_bench (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[]
      = { { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object on stdout", NULL }, { NULL } };
  g_autoptr (GOptionContext) context = NULL;

  g_set_prgname ("plab bench");
  context = g_option_context_new ("core|charts - measure the core library or the chart renderers");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (
      context,
      "core: processes, pool, queue, pipe, lock and trace recording, each next to the raw\n"
      "POSIX equivalent, with the targets. charts: timeline frame times at 1e4, 1e5 and\n"
      "1e6 spans, 1920 px wide.");
  if (!_plab_cli_parse (context, "plab bench", &argc, &argv))
    return PLAB_EXIT_USAGE;
  if (argc != 2)
    return _plab_cli_usage_error ("plab bench",
                                  "which benchmark? (plab bench core or plab bench charts)");
  if (!strcmp (argv[1], "core"))
    return plab_bench_core_run (stdout, json) == 0 ? PLAB_EXIT_OK : PLAB_EXIT_FAILED;
  if (!strcmp (argv[1], "charts"))
    return plab_bench_charts_run (stdout, json, 0) == 0 ? PLAB_EXIT_OK : PLAB_EXIT_FAILED;
  return _plab_cli_usage_error ("plab bench", "unknown benchmark '%s' (core or charts)", argv[1]);
}

/* --- Dispatch --- */

/* `plab` and `plab --db FILE`: the lab window, where there is a display. */
static int
open_window (int argc, char **argv)
{
  const char *db = NULL;

  if (argc >= 2 && g_str_has_prefix (argv[1], "--db="))
    db = argv[1] + strlen ("--db=");
  else if (argc >= 3 && !strcmp (argv[1], "--db"))
    db = argv[2];
  else if (argc >= 2)
    return _plab_cli_usage_error ("plab", "'--db' needs a FILE (plab --db FILE)");
  if (db != NULL && db[0] == '\0')
    return _plab_cli_usage_error ("plab", "--db needs a FILE name, not an empty one");
  gboolean have_display = g_getenv ("DISPLAY") || g_getenv ("WAYLAND_DISPLAY");

#ifdef PLAB_HAVE_GUI
  if (have_display)
    return plab_application_main (db);
#endif
  /* One line says why no window opened, before the help it prints instead;
   * the status says it did not do what was asked. */
  if (have_display)
    fputs ("plab: this plab was built without the lab window; the command-line help follows\n",
           stderr);
  else
    fputs ("plab: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set), so no window; "
           "the command-line help follows\n",
           stderr);
  fflush (stderr);
  fputs (main_help, stdout);
  return PLAB_EXIT_USAGE;
}

gboolean
_plab_cli_is_help (const char *arg)
{
  return !strcmp (arg, "--help") || !strcmp (arg, "-h") || !strcmp (arg, "help");
}

const PlabCliCommand *
_plab_cli_find_command (const PlabCliCommand *commands, const char *name)
{
  for (; commands->name != NULL; commands++)
    if (!strcmp (commands->name, name))
      return commands;
  return NULL;
}

/* Each command parses its own options; argv[0] becomes "plab COMMAND". */
static const PlabCliCommand commands[] = {
  { "list", cmd_list },
  { "run", _plab_cli_run },
  { "runs", cmd_runs },
  { "show", cmd_show },
  { "export", _plab_cli_export },
  { "bench", cmd_bench },
  { "exercise", _plab_cli_exercise },
  { NULL, NULL },
};

static int
dispatch (const char *command, int argc, char **argv)
{
  const PlabCliCommand *found = _plab_cli_find_command (commands, command);

  if (found != NULL)
    return found->run (argc - 1, argv + 1);
  if (_plab_cli_is_help (command))
    {
      fputs (main_help, stdout);
      return PLAB_EXIT_OK;
    }
  if (!strcmp (command, "--version") || !strcmp (command, "version"))
    {
      printf ("plab %s\n", PLAB_VERSION);
      return PLAB_EXIT_OK;
    }
  if (command[0] == '-')
    return _plab_cli_usage_error ("plab", "unknown option '%s' (see plab --help)", command);
  return _plab_cli_usage_error ("plab",
                                "unknown command '%s' (commands: list, run, runs, show, export, "
                                "bench, exercise)",
                                command);
}

/* Output lost on the way (a full disk, /dev/full) is a failure, not a
 * success with nothing written. */
static int
check_stdout (const char *command, int status)
{
  int err = 0;

  if (fflush (stdout) != 0)
    err = errno;
  if (err == 0 && ferror (stdout))
    err = EIO;
  if (err == 0)
    return status;
  _plab_cli_error (command, "cannot write to standard output: %s", g_strerror (err));
  return status == PLAB_EXIT_OK ? PLAB_EXIT_FAILED : status;
}

int
plab_cli_main (int argc, char **argv)
{
  g_autofree char *command = NULL;

  g_set_prgname ("plab");
  if (argc < 2 || (argc <= 3 && g_str_has_prefix (argv[1], "--db")))
    return open_window (argc, argv);
  command = g_strdup_printf ("plab %s", argv[1]);
  return check_stdout (command, dispatch (argv[1], argc, argv));
}
