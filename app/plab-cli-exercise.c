/* plab-cli-exercise.c: `plab exercise list|start|check|report`, a thin
 * client of plab-exercise.c.
 *
 * Exit statuses of check: 0 passed, 1 not yet (or the lab could not check),
 * 2 bad input (unknown exercise, missing file, a file that does not compile).
 */
#include "plab-cli-private.h"
#include "plab-exercise.h"
#include "plab-json-writer.h"

#include <stdio.h>
#include <string.h>

static const char exercise_help[]
    = "Usage:\n"
      "  plab exercise list [--json]           the exercises, one line each\n"
      "  plab exercise start NAME [DIR]        copy NAME's skeleton and a Makefile into DIR\n"
      "                                        (default: ./NAME)\n"
      "  plab exercise check NAME [DIR]        build DIR/NAME.c, run it beside the reference\n"
      "      [--db FILE] [--json] [--seed N] [-j N]\n"
      "  plab exercise report [--db FILE] [--json|--csv]   attempts in a run store\n"
      "  plab exercise show NAME [--reference] the statement, or the lab's solution\n";

static int
cmd_list (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[]
      = { { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output", NULL }, { NULL } };
  g_autoptr (GOptionContext) context = g_option_context_new ("- the exercises");
  g_autofree char *skipped = NULL;
  g_autoptr (GPtrArray) list = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!_plab_cli_parse (context, "plab exercise list", &argc, &argv))
    return PLAB_EXIT_USAGE;
  list = plab_exercise_list (&skipped);
  if (skipped != NULL)
    _plab_cli_error ("plab exercise list", "%s", skipped);
  if (json)
    fputs ("{\"exercises\": [", stdout);
  for (guint i = 0; i < list->len; i++)
    {
      PlabExerciseInfo *info = list->pdata[i];

      if (json)
        {
          g_autoptr (GString) out = g_string_new (i ? ", {\"name\": " : "{\"name\": ");

          plab_json_append_string (out, info->name);
          plab_json_append_string_member (out, "title", info->title);
          plab_json_append_string_member (out, "type", info->type);
          plab_json_append_string_member (out, "summary", info->summary);
          plab_json_append_string_member (out, "folder", info->dir);
          g_string_append (out, "}");
          fputs (out->str, stdout);
        }
      else
        printf ("%-12s %s\n", info->name, info->title);
    }
  if (json)
    fputs ("]}\n", stdout);
  return PLAB_EXIT_OK;
}

static PlabExerciseInfo *
find_or_complain (const char *command, const char *name)
{
  g_autoptr (GError) error = NULL;
  PlabExerciseInfo *info = plab_exercise_find (name, &error);

  if (info == NULL)
    _plab_cli_error (command, "%s", error->message);
  return info;
}

static int
cmd_show (int argc, char **argv)
{
  g_autoptr (PlabExerciseInfo) info = NULL;
  g_autofree char *text = NULL;

  g_autoptr (GError) error = NULL;
  gboolean reference = argc == 3 && !strcmp (argv[2], "--reference");

  if (argc != 2 && !reference)
    return _plab_cli_usage_error ("plab exercise show",
                                  "give one exercise (plab exercise list), and --reference for "
                                  "the lab's solution");
  if ((info = find_or_complain ("plab exercise show", argv[1])) == NULL)
    return PLAB_EXIT_USAGE;
  if (reference && (text = plab_exercise_source (info, PLAB_EXERCISE_REFERENCE, &error)) == NULL)
    {
      _plab_cli_error ("plab exercise show", "%s", error->message);
      return PLAB_EXIT_FAILED;
    }
  if (!reference)
    text = plab_exercise_statement (info);
  fputs (text != NULL ? text : info->summary, stdout);
  return PLAB_EXIT_OK;
}

static int
cmd_start (int argc, char **argv)
{
  g_autoptr (PlabExerciseInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  const char *dir;

  if (argc < 2 || argc > 3)
    return _plab_cli_usage_error ("plab exercise start", "give NAME [DIR] (plab exercise list)");
  if ((info = find_or_complain ("plab exercise start", argv[1])) == NULL)
    return PLAB_EXIT_USAGE;
  dir = argc == 3 ? argv[2] : info->name;
  if (!plab_exercise_start (info, dir, &error))
    {
      _plab_cli_error ("plab exercise start", "%s", error->message);
      return g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_EXIST) ? PLAB_EXIT_USAGE
                                                                       : PLAB_EXIT_FAILED;
    }
  printf ("%s: %s\n", info->name, info->title);
  printf ("Fill in the places marked TODO in %s/%s.c, then:\n", dir, info->name);
  printf ("  cd %s && make run                     build and run it\n", dir);
  printf ("  plab exercise check %s %s    check it beside the reference\n", info->name, dir);
  printf ("The statement: plab exercise show %s\n", info->name);
  return PLAB_EXIT_OK;
}

/* The verdict as one JSON object (the window reads it). */
static char *
verdict_to_json (const PlabExerciseInfo *info, const PlabExerciseVerdict *v)
{
  GString *out = g_string_new ("{");

  g_string_append (out, "\"exercise\": ");
  plab_json_append_string (out, info->name);
  plab_json_append_double_member (out, "status", v->status);
  plab_json_append_string_member (out, "verdict", v->verdict);
  plab_json_append_string_member (out, "message", v->message);
  plab_json_append_string_member (out, "hint", v->hint);
  plab_json_append_string_member (out, "compiler", v->compiler);
  plab_json_append_double_member (out, "attempt", (double)v->attempt_id);
  plab_json_append_double_member (out, "run", (double)v->run_id);
  plab_json_append_double_member (out, "reference_run", (double)v->reference_run_id);
  plab_json_append_double_member (out, "wall_s", v->wall_ns / 1e9);
  plab_json_append_double_member (out, "reference_wall_s", v->reference_wall_ns / 1e9);
  plab_json_append_double_member (out, "speed", v->speed);
  plab_json_append_double_member (out, "busy_workers", v->busy_workers);
  plab_json_append_double_member (out, "task_spans", (double)v->task_spans);
  plab_json_append_double_member (out, "seed", (double)v->seed);
  plab_json_append_double_member (out, "workers", v->workers);
  g_string_append (out, "}");
  return g_string_free (out, FALSE);
}

static void
print_verdict (const PlabExerciseInfo *info, const PlabExerciseVerdict *v)
{
  printf ("%s: %s\n", info->name, v->verdict);
  printf ("  %s\n", v->message);
  if (v->wall_ns > 0 && v->reference_wall_ns > 0)
    printf ("  time        %.3f s, the reference %.3f s (speed %.2f of the reference's, at "
            "least %.2f wanted)\n",
            v->wall_ns / 1e9, v->reference_wall_ns / 1e9, v->speed, info->min_speed);
  printf ("  recording   %d worker lane(s) ran tasks, %" G_GINT64_FORMAT
          " task span(s); %d workers, seed %" G_GUINT64_FORMAT "\n",
          v->busy_workers, v->task_spans, v->workers, v->seed);
  if (v->run_id > 0)
    printf ("  runs        yours %" G_GINT64_FORMAT ", the reference %" G_GINT64_FORMAT
            " (plab show RUN, or the lab window's Exercises page)\n",
            v->run_id, v->reference_run_id);
  if (v->hint != NULL)
    printf ("  hint        %s\n", v->hint);
  if (v->status != PLAB_EXERCISE_PASSED && v->student_output != NULL && *v->student_output)
    printf ("  its messages:\n%s", v->student_output);
}

static int
cmd_check (int argc, char **argv)
{
  g_autofree char *db = NULL;
  gboolean json = FALSE;
  gint64 seed = 0, workers = 0;
  g_autofree char *seed_text = NULL, *workers_text = NULL;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "The run store (default under $XDG_DATA_HOME)",
      "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable verdict", NULL },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &seed_text, "The input's seed (default: random)", "N" },
    { "workers", 'j', 0, G_OPTION_ARG_STRING, &workers_text, "Workers (default: 2 to 4)", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) context
      = g_option_context_new ("NAME [DIR] - check DIR/NAME.c beside the reference");
  g_autoptr (PlabExerciseInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  PlabExerciseVerdict v = { 0 };
  PlabExerciseStatus status;
  const char *dir;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!_plab_cli_parse (context, "plab exercise check", &argc, &argv)
      || !_plab_cli_db_given_ok ("plab exercise check", db))
    return PLAB_EXIT_USAGE;
  if (seed_text != NULL
      && !_plab_cli_parse_int ("plab exercise check", "--seed", seed_text, 1, G_MAXINT64, &seed))
    return PLAB_EXIT_USAGE;
  if (workers_text != NULL
      && !_plab_cli_parse_int ("plab exercise check", "--workers", workers_text, 1, 64, &workers))
    return PLAB_EXIT_USAGE;
  if (argc < 2 || argc > 3)
    return _plab_cli_usage_error ("plab exercise check", "give NAME [DIR] (plab exercise list)");
  if ((info = find_or_complain ("plab exercise check", argv[1])) == NULL)
    return PLAB_EXIT_USAGE;
  dir = argc == 3 ? argv[2] : (g_file_test (info->name, G_FILE_TEST_IS_DIR) ? info->name : ".");

  PlabExerciseCheckOptions options
      = { .db_path = db, .seed = (uint64_t)seed, .workers = (int)workers };
  if (!json && isatty (fileno (stdout)))
    printf ("checking %s/%s.c beside the reference...\n", dir, info->name);
  fflush (stdout);
  status = plab_exercise_check (info, dir, &options, &v, &error);
  if (v.compiler != NULL)
    fputs (v.compiler, stderr);
  if (error != NULL)
    _plab_cli_error ("plab exercise check", "%s", error->message);
  if (json)
    {
      g_autofree char *text = verdict_to_json (info, &v);

      puts (text);
    }
  else if (v.verdict != NULL)
    print_verdict (info, &v);
  plab_exercise_verdict_clear (&v);
  return (int)status;
}

static int
cmd_report (int argc, char **argv)
{
  g_autofree char *db = NULL, *path = NULL;
  gboolean json = FALSE, csv = FALSE, missing = FALSE;
  GOptionEntry entries[]
      = { { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "The run store (default under $XDG_DATA_HOME)",
            "FILE" },
          { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output", NULL },
          { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, "Comma-separated values", NULL },
          { NULL } };
  g_autoptr (GOptionContext) context
      = g_option_context_new ("- attempts per exercise and folder: passed, best speed, attempts");
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  PlabAttempt **list = NULL;
  size_t n = 0;
  PlabStore *store;
  int rc, rows = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!_plab_cli_parse (context, "plab exercise report", &argc, &argv)
      || !_plab_cli_db_given_ok ("plab exercise report", db))
    return PLAB_EXIT_USAGE;
  if (json && csv)
    return _plab_cli_usage_error ("plab exercise report", "give --json or --csv, not both");
  store = _plab_cli_open_store (db, PLAB_STORE_READ_ONLY, &path, &missing);
  if (store == NULL && !missing)
    return PLAB_EXIT_FAILED;
  if (store != NULL && (rc = plab_store_list_attempts (store, NULL, &list, &n)) != 0)
    {
      _plab_cli_error ("plab exercise report", "%s: %s", path, _plab_cli_store_error (store, rc));
      plab_store_close (store);
      return PLAB_EXIT_FAILED;
    }
  if (json)
    fputs ("{\"attempts\": [", stdout);
  else if (csv)
    puts ("exercise,folder,passed,best_speed,attempts,first,last");
  else if (n == 0)
    printf ("no attempts recorded in %s\n", path);
  else
    printf ("%-12s %-6s %-10s %-8s %-19s %s\n", "exercise", "passed", "best speed", "attempts",
            "last", "folder");
  /* One row per exercise and folder, in the order first attempted. */
  for (size_t i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("%s\n%s", list[i]->exercise, list[i]->folder);
      gboolean passed = FALSE;
      double best = 0;
      int count = 0;
      int64_t first = 0, last = 0;
      g_autoptr (GDateTime) when = NULL;
      g_autofree char *date = NULL;

      if (g_hash_table_contains (seen, key))
        continue;
      g_hash_table_add (seen, g_steal_pointer (&key));
      for (size_t j = i; j < n; j++)
        {
          if (strcmp (list[j]->exercise, list[i]->exercise)
              || strcmp (list[j]->folder, list[i]->folder))
            continue;
          count++;
          passed |= list[j]->passed;
          if (list[j]->passed && list[j]->speed > best)
            best = list[j]->speed;
          first = first ? first : list[j]->checked_at_us;
          last = list[j]->checked_at_us;
        }
      when = g_date_time_new_from_unix_local (last / 1000000);
      date = g_date_time_format (when, "%Y-%m-%d %H:%M:%S");
      if (json)
        {
          g_autoptr (GString) out = g_string_new (rows ? ", {\"exercise\": " : "{\"exercise\": ");

          plab_json_append_string (out, list[i]->exercise);
          plab_json_append_string_member (out, "folder", list[i]->folder);
          g_string_append_printf (out, ",\"passed\":%s", passed ? "true" : "false");
          plab_json_append_double_member (out, "best_speed", best);
          plab_json_append_double_member (out, "attempts", count);
          plab_json_append_double_member (out, "first_us", (double)first);
          plab_json_append_double_member (out, "last_us", (double)last);
          plab_json_append_string_member (out, "last", date);
          g_string_append (out, "}");
          fputs (out->str, stdout);
        }
      else if (csv)
        printf ("%s,\"%s\",%d,%.3f,%d,%" G_GINT64_FORMAT ",%s\n", list[i]->exercise,
                list[i]->folder, passed, best, count, first, date);
      else
        {
          g_autofree char *speed = best > 0 ? g_strdup_printf ("%.2f", best) : g_strdup ("-");

          printf ("%-12s %-6s %-10s %-8d %-19s %s\n", list[i]->exercise, passed ? "yes" : "no",
                  speed, count, date, list[i]->folder);
        }
      rows++;
    }
  if (json)
    fputs ("]}\n", stdout);
  plab_attempts_free (list, n);
  plab_store_close (store);
  return PLAB_EXIT_OK;
}

static const PlabCliCommand commands[] = {
  { "list", cmd_list },   { "show", cmd_show },     { "start", cmd_start },
  { "check", cmd_check }, { "report", cmd_report }, { NULL, NULL },
};

int
_plab_cli_exercise (int argc, char **argv)
{
  const char *sub = argc > 1 ? argv[1] : NULL;
  const PlabCliCommand *found;

  if (sub == NULL || _plab_cli_is_help (sub))
    {
      fputs (exercise_help, sub == NULL ? stderr : stdout);
      return sub == NULL ? PLAB_EXIT_USAGE : PLAB_EXIT_OK;
    }
  found = _plab_cli_find_command (commands, sub);
  if (found != NULL)
    return found->run (argc - 1, argv + 1);
  return _plab_cli_usage_error ("plab exercise",
                                "unknown command '%s' (list, show, start, check, report)", sub);
}
