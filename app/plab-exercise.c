/* plab-exercise.c: finding, starting and checking exercises (see
 * plab-exercise.h).
 *
 * A check goes through these steps, each a function below:
 *
 *   build ()          cc the student's file and the reference with the flags
 *                     pkg-config gives for libplab (build_flags ())
 *   run_program ()    each in its own process group, under the time limit,
 *                     its "@plab" lines read back (plab-exercise.h in core)
 *   finish_failed ()  a crashed or stopped program's run is marked failed
 *   judge ()          answers against the reference's, then the recording,
 *                     then the speed
 *   record ()         the attempt goes into the store
 *
 * The command line is single-threaded, so it may fork here; the window never
 * calls plab_exercise_check () itself.
 */
#include "plab-exercise.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define POLL_NS (10 * 1000000LL)
#define OUTPUT_TAIL 2000

/* --- Finding exercises --- */

void
plab_exercise_info_free (PlabExerciseInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->dir);
  g_free (info->title);
  g_free (info->type);
  g_free (info->summary);
  plab_json_free (info->json);
  g_free (info);
}

char **
plab_exercise_search_path (void)
{
  g_autoptr (GPtrArray) dirs = g_ptr_array_new ();
  const char *env = g_getenv ("PLAB_EXERCISES_PATH");

  if (env != NULL && *env != '\0')
    {
      g_auto (GStrv) parts = g_strsplit (env, ":", -1);

      for (int i = 0; parts[i] != NULL; i++)
        if (*parts[i] != '\0')
          g_ptr_array_add (dirs, g_strdup (parts[i]));
    }
  g_ptr_array_add (dirs, g_build_filename (g_get_user_data_dir (), "plab", "exercises", NULL));
  g_ptr_array_add (dirs, g_strdup (PLAB_SOURCE_EXERCISES));
  g_ptr_array_add (dirs, g_strdup (PLAB_INSTALLED_EXERCISES));
  g_ptr_array_add (dirs, NULL);
  return (char **)g_ptr_array_free (g_steal_pointer (&dirs), FALSE);
}

static PlabSpanKind
span_kind (const PlabJson *json)
{
  const char *name = plab_json_string (json, NULL);
  int kind = name != NULL ? plab_span_kind_from_name (name) : -1;

  return kind >= 0 ? (PlabSpanKind)kind : PLAB_N_SPAN_KINDS;
}

static PlabExerciseInfo *
load (const char *dir, const char *name, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, "exercise.json", NULL);
  g_autofree char *text = NULL;
  char why[160];
  PlabExerciseInfo *info;
  const PlabJson *rec;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  info = g_new0 (PlabExerciseInfo, 1);
  info->json = plab_json_parse (text, why, sizeof why);
  if (info->json == NULL || info->json->type != PLAB_JSON_OBJECT)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", path,
                   info->json ? "not a JSON object" : why);
      plab_exercise_info_free (info);
      return NULL;
    }
  info->name = g_strdup (name);
  info->dir = g_build_filename (dir, name, NULL);
  info->title = g_strdup (plab_json_string (plab_json_get (info->json, "title"), name));
  info->type = g_strdup (plab_json_string (plab_json_get (info->json, "type"), "other"));
  info->summary = g_strdup (plab_json_string (plab_json_get (info->json, "summary"), ""));
  info->order = plab_json_number (plab_json_get (info->json, "order"), 1000);
  info->time_limit_s = plab_json_number (plab_json_get (info->json, "time_limit_s"), 10);
  info->min_speed = plab_json_number (plab_json_get (info->json, "min_speed"), 0);
  rec = plab_json_get (info->json, "recording");
  info->min_busy_workers = (int)plab_json_number (plab_json_get (rec, "min_busy_workers"), 0);
  info->min_task_spans = (int)plab_json_number (plab_json_get (rec, "min_task_spans"), 0);
  info->max_task_spans = (int)plab_json_number (plab_json_get (rec, "max_task_spans"), 0);
  info->require_span = span_kind (plab_json_get (rec, "require_span"));
  info->forbid_span = span_kind (plab_json_get (rec, "forbid_span"));
  if (info->time_limit_s <= 0 || info->time_limit_s > 600)
    info->time_limit_s = 10;
  return info;
}

static gboolean
is_exercise (const char *dir, const char *name)
{
  g_autofree char *json = g_build_filename (dir, name, "exercise.json", NULL);
  g_autofree char *source = g_build_filename (dir, name, "solution.c", NULL);

  return g_file_test (json, G_FILE_TEST_IS_REGULAR) && g_file_test (source, G_FILE_TEST_IS_REGULAR);
}

/* The order a course takes them in (the descriptor's "order"), then by name. */
static int
by_order (gconstpointer a, gconstpointer b)
{
  const PlabExerciseInfo *x = *(PlabExerciseInfo *const *)a, *y = *(PlabExerciseInfo *const *)b;

  if (x->order != y->order)
    return x->order < y->order ? -1 : 1;
  return strcmp (x->name, y->name);
}

GPtrArray *
plab_exercise_list (char **skipped)
{
  g_auto (GStrv) path = plab_exercise_search_path ();
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify)plab_exercise_info_free);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GString) problems = g_string_new (NULL);

  for (int i = 0; path[i] != NULL; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (path[i], 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          PlabExerciseInfo *info;

          if (g_hash_table_contains (seen, name) || !is_exercise (path[i], name))
            continue;
          g_autoptr (GError) error = NULL;

          if ((info = load (path[i], name, &error)) == NULL)
            {
              g_string_append_printf (problems, "%s%s (left out)", problems->len ? "\n" : "",
                                      error->message);
              continue;
            }
          g_hash_table_add (seen, g_strdup (name));
          g_ptr_array_add (list, info);
        }
    }
  g_ptr_array_sort (list, by_order);
  if (skipped != NULL)
    *skipped = problems->len ? g_strdup (problems->str) : NULL;
  return list;
}

PlabExerciseInfo *
plab_exercise_find (const char *name, GError **error)
{
  g_auto (GStrv) path = plab_exercise_search_path ();
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GString) known = g_string_new (NULL);

  if (strchr (name, '/') == NULL && name[0] != '.')
    for (int i = 0; path[i] != NULL; i++)
      if (is_exercise (path[i], name))
        return load (path[i], name, error);
  all = plab_exercise_list (NULL);
  for (guint i = 0; i < all->len; i++)
    g_string_append_printf (known, "%s%s", i ? ", " : "",
                            ((PlabExerciseInfo *)all->pdata[i])->name);
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "unknown exercise '%s' (exercises: %s)",
               name, known->len ? known->str : "none found");
  return NULL;
}

char *
plab_exercise_statement (const PlabExerciseInfo *info)
{
  g_autofree char *path = g_build_filename (info->dir, "statement.md", NULL);
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text;
}

const char *
plab_exercise_hint (const PlabExerciseInfo *info, int index)
{
  return plab_json_string (plab_json_at (plab_json_get (info->json, "hints"), index), NULL);
}

char *
plab_exercise_student_file (const PlabExerciseInfo *info, const char *dir)
{
  g_autofree char *file = g_strdup_printf ("%s.c", info->name);

  return g_build_filename (dir, file, NULL);
}

/* --- Building --- */

/* What `cc` needs to build a program on libplab: pkg-config's flags, with the
 * build tree's uninstalled libplab first when this plab runs from it, and an
 * rpath for each library folder, so that the program runs from any folder. */
static char **
build_flags (GError **error)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GPtrArray) flags = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) env = g_get_environ ();
  g_auto (GStrv) words = NULL;
  const char *argv[] = { "pkg-config", "--cflags", "--libs", "plab", NULL };
  const char *old = g_environ_getenv (env, "PKG_CONFIG_PATH");
  const char *extra = g_getenv ("PLAB_EXAMPLE_CFLAGS");
  int status;

  if (g_file_test (PLAB_BUILD_PKGCONFIG, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *path = old != NULL && *old != '\0'
                                  ? g_strdup_printf ("%s:%s", PLAB_BUILD_PKGCONFIG, old)
                                  : g_strdup (PLAB_BUILD_PKGCONFIG);

      env = g_environ_setenv (env, "PKG_CONFIG_PATH", path, TRUE);
    }
  if (!g_spawn_sync (NULL, (char **)argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                     error))
    return NULL;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                   "pkg-config does not know libplab: %s", g_strstrip (err));
      return NULL;
    }
  if (extra != NULL && !g_shell_parse_argv (extra, NULL, &words, NULL))
    words = NULL;
  for (int i = 0; words != NULL && words[i] != NULL; i++)
    g_ptr_array_add (flags, g_strdup (words[i]));
  g_clear_pointer (&words, g_strfreev);
  if (!g_shell_parse_argv (g_strstrip (out), NULL, &words, error))
    return NULL;
  for (int i = 0; words[i] != NULL; i++)
    {
      g_ptr_array_add (flags, g_strdup (words[i]));
      if (g_str_has_prefix (words[i], "-L"))
        g_ptr_array_add (flags, g_strdup_printf ("-Wl,-rpath,%s", words[i] + 2));
    }
  g_ptr_array_add (flags, NULL);
  return (char **)g_ptr_array_free (g_steal_pointer (&flags), FALSE);
}

/* Compiles @source into @exe. FALSE with the compiler's messages in
 * *messages when it does not compile. */
static gboolean
build (const char *source, const char *exe, char **messages, GError **error)
{
  g_auto (GStrv) flags = build_flags (error);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  int status;

  if (flags == NULL)
    return FALSE;
  for (const char *a = "cc\0-std=c11\0-O2\0-Wall\0-Werror=implicit-function-declaration\0-o\0";
       *a != '\0'; a += strlen (a) + 1)
    g_ptr_array_add (argv, (char *)a);
  g_ptr_array_add (argv, (char *)exe);
  g_ptr_array_add (argv, (char *)source);
  for (int i = 0; flags[i] != NULL; i++)
    g_ptr_array_add (argv, flags[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      *messages = g_strconcat (out, err, NULL);
      return FALSE;
    }
  return TRUE;
}

static char *
makefile_text (const PlabExerciseInfo *info, GError **error)
{
  g_auto (GStrv) flags = build_flags (error);
  g_autofree char *joined = NULL, *plab = g_file_read_link ("/proc/self/exe", NULL);

  if (flags == NULL)
    return NULL;
  joined = g_strjoinv (" ", flags);
  return g_strdup_printf ("# Made by `plab exercise start %1$s`: `make` builds %1$s from %1$s.c "
                          "on\n"
                          "# libplab, `make run` runs it (the run goes to the lab's History), and\n"
                          "# `make check` asks the lab to check it beside the reference.\n"
                          "PLAB_FLAGS = %2$s\n"
                          "CFLAGS ?= -std=c11 -O2 -Wall\n\n"
                          "%1$s: %1$s.c\n"
                          "\t$(CC) $(CFLAGS) -o $@ %1$s.c $(PLAB_FLAGS)\n\n"
                          "run: %1$s\n"
                          "\t./%1$s\n\n"
                          "check:\n"
                          "\t%3$s exercise check %1$s .\n\n"
                          ".PHONY: run check\n",
                          info->name, joined, plab != NULL ? plab : "plab");
}

gboolean
plab_exercise_start (const PlabExerciseInfo *info, const char *dir, GError **error)
{
  g_autofree char *file = plab_exercise_student_file (info, dir);
  g_autofree char *makefile = g_build_filename (dir, "Makefile", NULL);
  g_autofree char *text = NULL, *make = NULL;

  if (g_file_test (file, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                   "%s is there already: check it with `plab exercise check %s %s`, or start "
                   "in another folder",
                   file, info->name, dir);
      return FALSE;
    }
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot make %s: %s", dir,
                   g_strerror (errno));
      return FALSE;
    }
  if ((text = plab_exercise_source (info, PLAB_EXERCISE_SKELETON, error)) == NULL
      || (make = makefile_text (info, error)) == NULL)
    return FALSE;
  return g_file_set_contents (file, text, -1, error)
         && g_file_set_contents (makefile, make, -1, error);
}

/* --- The skeleton and the reference, from one source --- */

#define MARK_BEGIN "/* SOLUTION BEGIN: "
#define MARK_ELSE "/* SOLUTION ELSE */"
#define MARK_END "/* SOLUTION END */"

typedef enum
{
  IN_BOTH,
  IN_TODO,     /* the TODO comment opened by MARK_BEGIN: skeleton only */
  IN_SOLUTION, /* reference only */
  IN_STAND_IN, /* after MARK_ELSE: skeleton only */
} Region;

static void
source_error (const PlabExerciseInfo *info, int line, const char *what, GError **error)
{
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s/solution.c:%d: %s", info->dir, line,
               what);
}

char *
plab_exercise_source (const PlabExerciseInfo *info, PlabExerciseSource which, GError **error)
{
  g_autofree char *path = g_build_filename (info->dir, "solution.c", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GString *out = g_string_new (NULL);
  gboolean skeleton = which == PLAB_EXERCISE_SKELETON;
  Region region = IN_BOTH;
  int n = 0, begin = 0;

  if (!g_file_get_contents (path, &text, NULL, error))
    goto fail;
  if (skeleton)
    g_string_append_printf (out,
                            "/* %1$s: your solution. Fill in the places marked TODO; `plab "
                            "exercise check\n * %1$s` builds it, runs it beside the reference "
                            "and says what it sees. */\n",
                            info->name);
  else
    g_string_append_printf (out, "/* %s: the reference solution. */\n", info->name);
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (*l));
      gboolean keep;

      n++;
      if (l[1] == NULL && **l == '\0')
        break; /* the text's last newline */
      if (g_str_has_prefix (trimmed, MARK_BEGIN))
        {
          if (region != IN_BOTH)
            {
              source_error (info, n, "SOLUTION BEGIN inside a region", error);
              goto fail;
            }
          region = IN_TODO;
          begin = n;
          if (skeleton)
            {
              const char *at = strstr (*l, MARK_BEGIN);

              g_string_append_len (out, *l, at - *l);
              g_string_append (out, "/* ");
              g_string_append (out, at + strlen (MARK_BEGIN));
              g_string_append_c (out, '\n');
            }
          if (strstr (trimmed, "*/") != NULL)
            region = IN_SOLUTION;
          continue;
        }
      if (!strcmp (trimmed, MARK_ELSE) || !strcmp (trimmed, MARK_END))
        {
          if (region != IN_SOLUTION && !(region == IN_STAND_IN && !strcmp (trimmed, MARK_END)))
            {
              source_error (info, n, "SOLUTION ELSE or END without a BEGIN", error);
              goto fail;
            }
          region = !strcmp (trimmed, MARK_END) ? IN_BOTH : IN_STAND_IN;
          continue;
        }
      keep = region == IN_BOTH || (skeleton ? region != IN_SOLUTION : region == IN_SOLUTION);
      if (keep)
        {
          g_string_append (out, *l);
          g_string_append_c (out, '\n');
        }
      if (region == IN_TODO && strstr (trimmed, "*/") != NULL)
        region = IN_SOLUTION;
    }
  if (region != IN_BOTH)
    {
      source_error (info, begin, "this SOLUTION BEGIN is not closed by SOLUTION END", error);
      goto fail;
    }
  return g_string_free (out, FALSE);

fail:
  g_string_free (out, TRUE);
  return NULL;
}

/* --- Running --- */

typedef struct
{
  gboolean started;
  gboolean hung;
  int exit_code; /* when it exited */
  int signal;    /* when a signal ended it */
  int64_t elapsed_ns;
  int64_t run_id;
  int64_t wall_ns;
  GHashTable *answers; /* key -> double *, owned */
  char *stderr_tail;
} Program;

static void
program_clear (Program *p)
{
  g_clear_pointer (&p->answers, g_hash_table_unref);
  g_clear_pointer (&p->stderr_tail, g_free);
}

static void
parse_output (Program *p, const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  p->answers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (int i = 0; lines[i] != NULL; i++)
    {
      char key[64];
      double value;
      long long n;

      if (sscanf (lines[i], "@plab run %lld", &n) == 1)
        p->run_id = n;
      else if (sscanf (lines[i], "@plab wall_ns %lld", &n) == 1)
        p->wall_ns = n;
      else if (sscanf (lines[i], "@plab answer %63s %lf", key, &value) == 2)
        g_hash_table_replace (p->answers, g_strdup (key), g_memdup2 (&value, sizeof value));
    }
}

/* Runs @exe in its own process group with the exercise's environment, its
 * output into files of @tmp; stops it (the whole group) after @limit_s. The
 * command line has one thread, so fork () is safe here. */
static gboolean
run_program (const char *exe,
             const char *tmp,
             const char *role,
             const char *db,
             uint64_t seed,
             int workers,
             double limit_s,
             Program *p,
             GError **error)
{
  g_autofree char *out_path = g_build_filename (tmp, "stdout", NULL);
  g_autofree char *err_path = g_build_filename (tmp, "stderr", NULL);
  g_autofree char *out = NULL, *err = NULL;
  int64_t t0 = plab_now_ns (), limit_ns = (int64_t)(limit_s * 1e9);
  int status = 0;
  pid_t pid, done = 0;
  char text[32];

  memset (p, 0, sizeof *p);
  pid = fork ();
  if (pid < 0)
    {
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FORK, "fork: %s", g_strerror (errno));
      return FALSE;
    }
  if (pid == 0)
    {
      int o = open (out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int e = open (err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

      setpgid (0, 0);
      if (o < 0 || e < 0 || dup2 (o, 1) < 0 || dup2 (e, 2) < 0)
        _exit (127);
      snprintf (text, sizeof text, "%llu", (unsigned long long)seed);
      setenv ("PLAB_EXERCISE_SEED", text, 1);
      snprintf (text, sizeof text, "%d", workers);
      setenv ("PLAB_EXERCISE_WORKERS", text, 1);
      setenv ("PLAB_EXERCISE_ROLE", role, 1);
      setenv ("PLAB_EXERCISE_DB", db, 1);
      execl (exe, exe, (char *)NULL);
      _exit (127);
    }
  setpgid (pid, pid);
  p->started = TRUE;
  while ((done = waitpid (pid, &status, WNOHANG)) == 0)
    {
      if (plab_now_ns () - t0 > limit_ns)
        {
          p->hung = TRUE;
          kill (-pid, SIGKILL);
          kill (pid, SIGKILL);
          done = waitpid (pid, &status, 0);
          break;
        }
      plab_sleep_ns (POLL_NS);
    }
  p->elapsed_ns = plab_now_ns () - t0;
  /* Workers left behind by the program go with it. */
  kill (-pid, SIGKILL);
  if (done == pid && WIFSIGNALED (status) && !p->hung)
    p->signal = WTERMSIG (status);
  else if (done == pid && WIFEXITED (status))
    p->exit_code = WEXITSTATUS (status);

  g_file_get_contents (out_path, &out, NULL, NULL);
  g_file_get_contents (err_path, &err, NULL, NULL);
  parse_output (p, out != NULL ? out : "");
  if (err != NULL)
    {
      size_t len = strlen (err);

      p->stderr_tail = g_strdup (len > OUTPUT_TAIL ? err + len - OUTPUT_TAIL : err);
    }
  return TRUE;
}

/* A program that crashed or was stopped leaves its run "running" (or
 * repaired as failed without a reason): say what happened to it. */
static void
finish_failed (PlabStore *store, const Program *p, const char *error)
{
  PlabRunOutcome outcome = { .status = PLAB_RUN_FAILED,
                             .wall_ns = p->elapsed_ns,
                             .check_ok = false,
                             .check_message = error,
                             .error = error };

  if (p->run_id > 0)
    plab_store_finish_run (store, p->run_id, &outcome);
}

/* Writes the verdict into the student's run, as a demo's check. */
static void
set_run_check (PlabStore *store, int64_t run_id, gboolean passed, const char *message)
{
  PlabRunRecord *r = NULL;

  if (run_id <= 0 || plab_store_get_run (store, run_id, &r) != 0)
    return;
  if (r->status == PLAB_RUN_OK)
    {
      PlabRunOutcome outcome = { .status = r->status,
                                 .wall_ns = r->wall_ns,
                                 .cpu_ns = r->cpu_ns,
                                 .result_json = r->result_json,
                                 .check_ok = passed,
                                 .check_message = message,
                                 .load = r->load.measured ? &r->load : NULL };

      plab_store_finish_run (store, run_id, &outcome);
    }
  plab_run_record_free (r);
}

/* --- Judging --- */

/* @template with each {name} or {name:format} replaced by its value in
 * @values (pairs of name and text, NULL-terminated). */
static char *
expand (const char *template, const char *const *values)
{
  GString *out = g_string_new (NULL);

  for (const char *s = template; *s != '\0'; s++)
    {
      const char *end = *s == '{' ? strchr (s, '}') : NULL;
      gboolean found = FALSE;

      if (end != NULL)
        {
          size_t len = strcspn (s + 1, ":}");

          for (int i = 0; values[i] != NULL; i += 2)
            if (strlen (values[i]) == len && !strncmp (values[i], s + 1, len))
              {
                g_string_append (out, values[i + 1]);
                found = TRUE;
                break;
              }
        }
      if (found)
        s = end;
      else
        g_string_append_c (out, *s);
    }
  return g_string_free (out, FALSE);
}

static char *
message (const PlabExerciseInfo *info,
         const char *verdict,
         const char *fallback,
         const char *const *values)
{
  const char *own
      = plab_json_string (plab_json_get (plab_json_get (info->json, "messages"), verdict), NULL);

  return expand (own != NULL ? own : fallback, values);
}

static char *
number_text (double value)
{
  if (value == floor (value) && fabs (value) < 1e15)
    return g_strdup_printf ("%.0f", value);
  return g_strdup_printf ("%.4g", value);
}

typedef struct
{
  int busy_workers;
  int64_t task_spans;
  int64_t kinds[PLAB_N_SPAN_KINDS];
  /* The serial fraction the timeline shows: the main lane's tasks over the
   * time from the first of them to the end of the first worker lane (the
   * first pool's); negative when the run has no such spans. */
  double serial_fraction;
} Recording;

/* What the student's run recorded: the worker lanes that did a task, the
 * tasks, and the kinds of span seen. */
static int
read_recording (PlabStore *store, int64_t run_id, Recording *out)
{
  PlabLaneInfo *lanes = NULL;
  PlabEvent *spans = NULL;
  size_t n_lanes = 0, n_spans = 0;
  g_autofree gboolean *busy = NULL;
  int64_t serial_ns = 0, serial_start = 0, first_worker_end = 0;
  int first_worker = -1;
  int rc;

  memset (out, 0, sizeof *out);
  if ((rc = plab_store_get_lanes (store, run_id, &lanes, &n_lanes)) != 0
      || (rc = plab_store_get_spans (store, run_id, 0, INT64_MAX, &spans, &n_spans)) != 0)
    {
      free (lanes);
      return rc;
    }
  busy = g_new0 (gboolean, n_lanes + 1);
  for (size_t l = 0; l < n_lanes; l++)
    if (lanes[l].kind != PLAB_LANE_MAIN && (first_worker < 0 || lanes[l].lane < first_worker))
      first_worker = lanes[l].lane;
  for (size_t i = 0; i < n_spans; i++)
    {
      if (spans[i].lane == first_worker)
        first_worker_end = MAX (first_worker_end, spans[i].end_ns);
      if (spans[i].kind == PLAB_SPAN_TASK && spans[i].lane == 0)
        {
          serial_start = serial_ns == 0 ? spans[i].start_ns : MIN (serial_start, spans[i].start_ns);
          serial_ns += spans[i].end_ns - spans[i].start_ns;
        }
      if ((unsigned)spans[i].kind < PLAB_N_SPAN_KINDS)
        out->kinds[spans[i].kind]++;
      if (spans[i].kind != PLAB_SPAN_TASK)
        continue;
      out->task_spans++;
      for (size_t l = 0; l < n_lanes; l++)
        if (lanes[l].lane == spans[i].lane && lanes[l].kind != PLAB_LANE_MAIN && !busy[l])
          {
            busy[l] = TRUE;
            out->busy_workers++;
          }
    }
  out->serial_fraction = serial_ns > 0 && first_worker_end > serial_start
                             ? (double)serial_ns / (double)(first_worker_end - serial_start)
                             : -1;
  free (lanes);
  free (spans);
  return 0;
}

/* The oracle: every answer the exercise names, against the reference's. */
static char *
judge_answers (const PlabExerciseInfo *info,
               const Program *student,
               const Program *reference,
               const Recording *rec,
               int workers)
{
  const PlabJson *answers = plab_json_get (info->json, "answers");

  for (size_t i = 0;
       answers != NULL && answers->type == PLAB_JSON_OBJECT && i < answers->n_children; i++)
    {
      const PlabJson *rule = &answers->children[i];
      const char *key = rule->key;
      const double *got = g_hash_table_lookup (student->answers, key);
      const double *want = g_hash_table_lookup (reference->answers, key);
      const char *amdahl_of = plab_json_string (plab_json_get (rule, "amdahl_of"), NULL);
      double rel = plab_json_number (plab_json_get (rule, "tolerance"), 0);
      double abs_tol = plab_json_number (plab_json_get (rule, "absolute"), 0);
      double expect;
      g_autofree char *got_text = NULL, *want_text = NULL, *f_text = NULL, *w_text = NULL;

      if (got == NULL)
        return g_strdup_printf ("your program did not report its %s (plab_exercise_answer (ex, "
                                "\"%s\", ...))",
                                key, key);
      if (amdahl_of != NULL)
        {
          const double *f = g_hash_table_lookup (student->answers, amdahl_of);

          if (f == NULL)
            continue;
          expect = 1.0 / (*f + (1.0 - *f) / workers);
          if (fabs (*got - expect) <= rel * fabs (expect) + 1e-9)
            continue;
          got_text = number_text (*got);
          want_text = number_text (expect);
          f_text = g_strdup_printf ("%.6g", *f);
          w_text = g_strdup_printf ("%d", workers);
          const char *values[] = { "key", key,    "got",     got_text, "want", want_text,
                                   "f",   f_text, "workers", w_text,   NULL };
          return message (info, "amdahl", "{key} is {got}; Amdahl's law gives {want}", values);
        }
      if (plab_json_get (rule, "recorded_fraction") != NULL)
        {
          /* Against the student's own timeline, which a busy machine slows
           * down as much as the student's own clock. */
          if (rec->serial_fraction < 0 || fabs (*got - rec->serial_fraction) <= abs_tol)
            continue;
          got_text = number_text (*got);
          want_text = number_text (rec->serial_fraction);
          const char *values[] = { "key", key, "got", got_text, "want", want_text, NULL };
          return message (info, "recorded", "{key} is {got} but your own timeline shows {want}",
                          values);
        }
      if (want == NULL)
        continue;
      if (fabs (*got - *want) <= rel * fabs (*want) + abs_tol && !isnan (*got))
        continue;
      got_text = number_text (*got);
      want_text = number_text (*want);
      const char *values[] = { "key", key, "got", got_text, "want", want_text, NULL };
      return message (info, "wrong", "{key} is {got} but the reference's is {want}", values);
    }
  return NULL;
}

static char *
judge_recording (const PlabExerciseInfo *info, const Recording *r, const char **verdict)
{
  g_autofree char *busy = g_strdup_printf ("%d", r->busy_workers);
  g_autofree char *tasks = g_strdup_printf ("%" G_GINT64_FORMAT, r->task_spans);
  g_autofree char *want = g_strdup_printf ("%d", info->min_busy_workers);
  g_autofree char *min_tasks = g_strdup_printf ("%d", info->min_task_spans);
  const char *values[]
      = { "busy",           busy,      "task_spans", tasks, "min_busy_workers", want,
          "min_task_spans", min_tasks, NULL };

  if (r->busy_workers < info->min_busy_workers)
    {
      *verdict = "serial";
      return message (info, "serial",
                      "only {busy} worker lane(s) did any task ({min_busy_workers} wanted): is "
                      "the work done by the workers?",
                      values);
    }
  *verdict = "recording";
  /* A verdict of its own words ("few_tasks" in the exercise's messages). */
  if (info->min_task_spans > 0 && r->task_spans < info->min_task_spans)
    return message (info, "few_tasks",
                    "the recording shows {task_spans} task(s), at least {min_task_spans} "
                    "wanted: one task keeps one worker busy while the others wait",
                    values);
  if (info->max_task_spans > 0 && r->task_spans > info->max_task_spans)
    return message (info, "recording", "the recording shows {task_spans} tasks: too many", values);
  if (info->forbid_span < PLAB_N_SPAN_KINDS && r->kinds[info->forbid_span] > 0)
    return message (info, "recording", "the recording shows spans this exercise rules out", values);
  if (info->require_span < PLAB_N_SPAN_KINDS && r->kinds[info->require_span] == 0)
    return message (info, "recording", "the recording lacks what this exercise asks for", values);
  return NULL;
}

static int
count_failed_before (PlabStore *store, const PlabExerciseInfo *info, const char *folder)
{
  PlabAttempt **list = NULL;
  size_t n = 0;
  int failed = 0;

  if (plab_store_list_attempts (store, info->name, &list, &n) != 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    {
      if (strcmp (list[i]->folder, folder) != 0)
        continue;
      failed = list[i]->passed ? 0 : failed + 1;
    }
  plab_attempts_free (list, n);
  return failed;
}

void
plab_exercise_verdict_clear (PlabExerciseVerdict *verdict)
{
  g_free (verdict->verdict);
  g_free (verdict->message);
  g_free (verdict->hint);
  g_free (verdict->compiler);
  g_free (verdict->student_output);
  memset (verdict, 0, sizeof *verdict);
}

static char *
signal_text (int sig)
{
  const char *abbrev = sigabbrev_np (sig);

  return g_strdup_printf ("SIG%s (%s)", abbrev != NULL ? abbrev : "?", strsignal (sig));
}

/* The verdict on a program that did not finish by itself: NULL when it did. */
static char *
judge_ending (const PlabExerciseInfo *info, const Program *p, const char **verdict)
{
  g_autofree char *limit = g_strdup_printf ("%g", info->time_limit_s);
  g_autofree char *sig = NULL, *code = NULL;

  if (p->hung)
    {
      const char *values[] = { "limit", limit, NULL };

      *verdict = "hung";
      return message (info, "hung",
                      "stopped after {limit} s, the exercise's limit: a worker waiting forever?",
                      values);
    }
  if (p->signal != 0)
    {
      sig = signal_text (p->signal);
      const char *values[] = { "signal", sig, NULL };

      *verdict = "crashed";
      return message (info, "crashed", "crashed: killed by {signal}", values);
    }
  if (p->exit_code != 0)
    {
      code = g_strdup_printf ("%d", p->exit_code);
      const char *values[] = { "code", code, NULL };

      *verdict = "failed";
      return message (info, "failed",
                      "the program exited with status {code} (its messages are below)", values);
    }
  return NULL;
}

/* How far judge_student () got with one run. */
typedef enum
{
  JUDGED_ENDING,    /* it ended badly or recorded no run; the recording was not read */
  JUDGED_RECORDING, /* its recording was read and judged */
  JUDGED_NO_STORE,  /* the store could not be read */
} Judged;

/* Judges one run @p of the student's program, in order: how it ended (a bad
 * ending is finished in the store as failed), that it recorded a run, its
 * answers against @reference's, then its recording, read into *@rec. Sets
 * *@msg to what is wrong, with *@verdict, or to NULL when all is right. */
static Judged
judge_student (const PlabExerciseInfo *info,
               PlabStore *store,
               const Program *p,
               const Program *reference,
               int workers,
               Recording *rec,
               char **msg,
               const char **verdict)
{
  if ((*msg = judge_ending (info, p, verdict)) != NULL)
    {
      finish_failed (store, p, *msg);
      return JUDGED_ENDING;
    }
  if (p->run_id <= 0)
    {
      *verdict = "failed";
      *msg = g_strdup ("the program did not record a run: does its main () call "
                       "plab_exercise_main ()?");
      return JUDGED_ENDING;
    }
  if (read_recording (store, p->run_id, rec) != 0)
    return JUDGED_NO_STORE;
  *verdict = "wrong";
  *msg = judge_answers (info, p, reference, rec, workers);
  if (*msg == NULL)
    *msg = judge_recording (info, rec, verdict);
  return JUDGED_RECORDING;
}

/* Takes run @p, recorded as @rec, as the student's run the verdict speaks of. */
static void
keep_student_run (PlabExerciseVerdict *v,
                  const Program *p,
                  const Recording *rec,
                  const Program *reference)
{
  v->run_id = p->run_id;
  v->wall_ns = p->wall_ns;
  v->busy_workers = rec->busy_workers;
  v->task_spans = rec->task_spans;
  /* The student's time is only compared once everything else is right. */
  v->speed = (double)reference->wall_ns / (double)MAX (p->wall_ns, 1);
}

static int
default_workers (void)
{
  return CLAMP (plab_usable_cpus (), 2, 4);
}

PlabExerciseStatus
plab_exercise_check (const PlabExerciseInfo *info,
                     const char *dir,
                     const PlabExerciseCheckOptions *options,
                     PlabExerciseVerdict *v,
                     GError **error)
{
  g_autofree char *file = plab_exercise_student_file (info, dir);
  g_autofree char *folder = NULL, *tmp = NULL, *student_exe = NULL, *reference_exe = NULL;
  g_autofree char *reference_src = NULL, *reference_text = NULL;
  g_autofree char *db = NULL, *msg = NULL, *ref_messages = NULL;
  Program student = { 0 }, reference = { 0 };
  PlabStore *store = NULL;
  PlabAttempt attempt = { 0 };
  Recording rec = { 0 };
  const char *verdict = NULL;
  Judged judged;
  int rc;

  memset (v, 0, sizeof *v);
  v->status = PLAB_EXERCISE_BAD_INPUT;
  v->seed = options->seed != 0 ? options->seed : (uint64_t)g_random_int_range (1, G_MAXINT32);
  v->workers = options->workers > 0 ? options->workers : default_workers ();
  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "%s is not there: start with `plab exercise start %s %s`", file, info->name,
                   dir);
      return v->status;
    }
  folder = g_canonicalize_filename (dir, NULL);
  if ((tmp = g_dir_make_tmp ("plab-check-XXXXXX", error)) == NULL)
    return v->status;
  student_exe = g_build_filename (tmp, "student", NULL);
  reference_exe = g_build_filename (tmp, "reference", NULL);

  /* A file that does not compile is bad input: its messages, nothing recorded. */
  if (!build (file, student_exe, &v->compiler, error))
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                     "%s does not compile (the compiler's messages are above); nothing was "
                     "recorded",
                     file);
      goto out;
    }
  v->status = PLAB_EXERCISE_NOT_YET;
  reference_src = g_build_filename (tmp, "reference.c", NULL);
  if ((reference_text = plab_exercise_source (info, PLAB_EXERCISE_REFERENCE, error)) == NULL
      || !g_file_set_contents (reference_src, reference_text, -1, error))
    goto out;
  if (!build (reference_src, reference_exe, &ref_messages, error))
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                     "the reference of %s does not compile here: %s", info->name, ref_messages);
      goto out;
    }

  db = options->db_path != NULL ? g_strdup (options->db_path) : plab_store_default_path ();
  if (db == NULL || (rc = plab_store_open (db, PLAB_STORE_READ_WRITE, &store)) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", db ? db : "run store",
                   db ? plab_store_open_error () : "no default path (HOME unset)");
      goto out;
    }

  /* The reference first, on the same input and machine. */
  if (!run_program (reference_exe, tmp, "reference", db, v->seed, v->workers,
                    info->time_limit_s * 3, &reference, error))
    goto out;
  if (reference.hung || reference.signal || reference.exit_code || reference.wall_ns <= 0)
    {
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                   "the reference of %s did not run here (%s): %s", info->name,
                   reference.hung ? "stopped at the time limit" : "it failed",
                   reference.stderr_tail ? reference.stderr_tail : "");
      goto out;
    }
  v->reference_run_id = reference.run_id;
  v->reference_wall_ns = reference.wall_ns;

  if (!run_program (student_exe, tmp, "student", db, v->seed, v->workers, info->time_limit_s,
                    &student, error))
    goto out;
  v->run_id = student.run_id;
  v->wall_ns = student.wall_ns;
  v->student_output = g_strdup (student.stderr_tail);

  judged = judge_student (info, store, &student, &reference, v->workers, &rec, &msg, &verdict);
  if (judged == JUDGED_NO_STORE)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", db,
                   plab_store_errmsg (store));
      goto out;
    }
  if (judged == JUDGED_RECORDING)
    keep_student_run (v, &student, &rec, &reference);
  /* On a busy machine a pool's second worker may start only after the first
   * took every item. A program whose workers did run tasks gets two more
   * runs before it is called serial; each is judged whole, and one kept
   * only when more of its workers ran tasks. */
  for (int tries = 0; tries < 2 && judged == JUDGED_RECORDING && msg != NULL
                      && !strcmp (verdict, "serial") && rec.busy_workers > 0;
       tries++)
    {
      Program again = { 0 };
      Recording rec_again = { 0 };
      const char *verdict_again = NULL;
      char *msg_again = NULL;

      if (run_program (student_exe, tmp, "student", db, v->seed, v->workers, info->time_limit_s,
                       &again, NULL)
          && judge_student (info, store, &again, &reference, v->workers, &rec_again, &msg_again,
                            &verdict_again)
                 == JUDGED_RECORDING
          && rec_again.busy_workers > rec.busy_workers)
        {
          g_free (msg);
          msg = g_steal_pointer (&msg_again);
          verdict = msg != NULL ? verdict_again : verdict;
          rec = rec_again;
          program_clear (&student);
          student = again;
          keep_student_run (v, &student, &rec, &reference);
          continue;
        }
      g_free (msg_again);
      program_clear (&again);
    }
  if (msg == NULL && v->speed < info->min_speed)
    {
      /* One more try of both before calling it slow: a busy machine may have
       * held up one of them. */
      Program again = { 0 }, ref_again = { 0 };

      if (run_program (reference_exe, tmp, "reference", db, v->seed, v->workers,
                       info->time_limit_s * 3, &ref_again, NULL)
          && run_program (student_exe, tmp, "student", db, v->seed, v->workers, info->time_limit_s,
                          &again, NULL)
          && again.wall_ns > 0 && ref_again.wall_ns > 0 && !again.hung && !again.signal)
        {
          v->reference_wall_ns = MIN (reference.wall_ns, ref_again.wall_ns);
          v->wall_ns = MIN (student.wall_ns, again.wall_ns);
          v->speed = (double)v->reference_wall_ns / (double)MAX (v->wall_ns, 1);
          if (again.wall_ns < student.wall_ns)
            v->run_id = again.run_id;
          if (ref_again.wall_ns < reference.wall_ns)
            v->reference_run_id = ref_again.run_id;
        }
      program_clear (&again);
      program_clear (&ref_again);
      if (v->speed < info->min_speed)
        {
          g_autofree char *speed = g_strdup_printf ("%.2f", v->speed);
          g_autofree char *min = g_strdup_printf ("%.2f", info->min_speed);
          const char *values[] = { "speed", speed, "min_speed", min, NULL };

          verdict = "slow";
          msg = message (info, "slow",
                         "correct, but {speed} times the reference's speed (at least "
                         "{min_speed} wanted)",
                         values);
        }
    }
  if (msg == NULL)
    {
      g_autofree char *speed = g_strdup_printf ("%.2f", v->speed);
      const char *values[] = { "speed", speed, NULL };

      verdict = "passed";
      msg = message (info, "passed",
                     "the answers match the reference's, the recording shows the work shared, "
                     "at {speed} times the reference's speed",
                     values);
    }

  v->verdict = g_strdup (verdict);
  v->message = g_steal_pointer (&msg);
  v->status = !strcmp (verdict, "passed") ? PLAB_EXERCISE_PASSED : PLAB_EXERCISE_NOT_YET;
  if (v->status != PLAB_EXERCISE_PASSED)
    {
      const char *hint = plab_exercise_hint (info, count_failed_before (store, info, folder));

      if (hint == NULL)
        {
          int n = (int)plab_json_length (plab_json_get (info->json, "hints"));

          hint = n > 0 ? plab_exercise_hint (info, n - 1) : NULL;
        }
      v->hint = g_strdup (hint);
    }
  set_run_check (store, v->run_id, v->status == PLAB_EXERCISE_PASSED, v->message);

  attempt.exercise = info->name;
  attempt.folder = folder;
  attempt.passed = v->status == PLAB_EXERCISE_PASSED;
  attempt.verdict = v->verdict;
  attempt.message = v->message;
  attempt.run_id = v->run_id;
  attempt.reference_run_id = v->reference_run_id;
  attempt.wall_ns = v->wall_ns;
  attempt.reference_wall_ns = v->reference_wall_ns;
  attempt.speed = v->speed;
  if ((rc = plab_store_add_attempt (store, &attempt)) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: the attempt was not recorded: %s",
                   db, plab_store_errmsg (store));
      v->status = PLAB_EXERCISE_NOT_YET;
      g_clear_pointer (&v->verdict, g_free);
      goto out;
    }
  v->attempt_id = attempt.id;

out:
  program_clear (&student);
  program_clear (&reference);
  plab_store_close (store);
  if (tmp != NULL)
    {
      g_unlink (student_exe);
      g_unlink (reference_exe);
      if (reference_src != NULL)
        g_unlink (reference_src);
      g_autofree char *o = g_build_filename (tmp, "stdout", NULL);
      g_autofree char *e = g_build_filename (tmp, "stderr", NULL);
      g_unlink (o);
      g_unlink (e);
      g_rmdir (tmp);
    }
  return v->status;
}
