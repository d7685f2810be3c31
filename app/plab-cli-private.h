/* plab-cli-private.h: what the files of the command line share.
 *
 * Exit statuses: 0 success, 1 a run failed, the store could not be used or
 * stdout could not be written, 2 bad input (unknown command, demo, option or
 * value, or a run set estimated over 10 minutes without --yes), 128 + signal
 * when a run was cancelled by SIGINT, SIGTERM or SIGHUP. A --progress stream
 * whose reader goes away or stops reading changes nothing: the stream is
 * given up, the runs go on, and the status is theirs (never 141, SIGPIPE).
 */
#pragma once

#include <glib.h>

#include "plab-demo.h"
#include "plab.h"

G_BEGIN_DECLS

enum
{
  PLAB_EXIT_OK = 0,
  PLAB_EXIT_FAILED = 1,
  PLAB_EXIT_USAGE = 2,
};

/* Prints "plab COMMAND: MESSAGE" as one line on stderr (control characters
 * that came with the user's text escaped). */
void _plab_cli_error (const char *command, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Prints the line as _plab_cli_error () does and returns PLAB_EXIT_USAGE. */
#define _plab_cli_usage_error(command, ...)                                                        \
  (_plab_cli_error ((command), __VA_ARGS__), PLAB_EXIT_USAGE)

/* The same for a parser that answers whether the text was good: prints the
 * line and returns FALSE. */
#define _plab_cli_reject(command, ...) (_plab_cli_error ((command), __VA_ARGS__), FALSE)

/* Parses the options of @command; on an error prints one line and returns FALSE. */
gboolean _plab_cli_parse (GOptionContext *context, const char *command, int *argc, char ***argv);

/* Opens the run store at @path (NULL: the default path). On failure prints one
 * line naming the file and the reason and returns NULL. *path_out receives the
 * path used (free with g_free). In READ_ONLY mode a missing file is not an
 * error: *missing is set and NULL returned silently. */
PlabStore *_plab_cli_open_store (const char *path,
                                 PlabStoreMode mode,
                                 char **path_out,
                                 gboolean *missing);

/* Parse @text, the value of @option, as a whole number from @min to @max,
 * or as a number from @min to @max. Only plain decimal text is a number: no
 * blanks, hex, "nan", "inf" or trailing characters; a value out of range is
 * refused, never clamped. On failure they print one line naming the option
 * and the allowed range ("plab export: --width must be a whole number from 1
 * to 20000, not '0'") and return FALSE. */
gboolean _plab_cli_parse_int (const char *command,
                              const char *option,
                              const char *text,
                              gint64 min,
                              gint64 max,
                              gint64 *out);
gboolean _plab_cli_parse_double (const char *command,
                                 const char *option,
                                 const char *text,
                                 double min,
                                 double max,
                                 double *out);

/* What went wrong in the last failed call (@rc) on @store, in plain words. */
const char *_plab_cli_store_error (PlabStore *store, int rc);

/* FALSE, with one line on stderr, when --db was given an empty name. */
gboolean _plab_cli_db_given_ok (const char *command, const char *db);

/* "known demos: squares, kde". */
char *_plab_cli_known_demos (void);

/* Parses a run id ("12", or "last" for the newest run) of the store at
 * @path. Returns PLAB_EXIT_OK, or prints one line and returns the exit
 * status (PLAB_EXIT_USAGE for text that is not a run, or "last" in a store
 * without runs). @store may be NULL when the file does not exist yet.
 * @others names what else the command takes ("sweep:ID"), or is NULL. */
int _plab_cli_parse_run_id (const char *command,
                            PlabStore *store,
                            const char *path,
                            const char *text,
                            const char *others,
                            int64_t *id_out);

/* The index of the first argument that is a negative number ("-1") where
 * a run id goes, which GLib would otherwise report as an unknown option;
 * 0 when there is none. @value_options (NULL-terminated) are the options
 * whose next argument is their value. */
int _plab_cli_find_negative (int argc, char **argv, const char *const *value_options);

/* Prints a run's result as the Result panel names it, a line a value
 * ("time of the for loop: 0.560 s"), the first after @heading and the others
 * under it; keys its demo does not label are left to `plab show --json`. */
void _plab_cli_print_result (const char *heading, const char *demo, const char *result_json);

/* As _plab_cli_print_result () for recorded run @r, each number its
 * configuration's repeats disagree on followed by "(median 47.0%,
 * 45.1–49.0%)": the runs the charts compare @r with. */
void _plab_cli_show_result (const char *heading, PlabStore *store, const PlabRunRecord *r);

int _plab_cli_run (int argc, char **argv);
int _plab_cli_export (int argc, char **argv);
int _plab_cli_exercise (int argc, char **argv);

/* A command of `plab` or of one of its commands (`plab exercise list`): its
 * name, and what runs it with the arguments from its name on. A table of
 * them ends with a NULL name. */
typedef struct
{
  const char *name;
  int (*run) (int argc, char **argv);
} PlabCliCommand;

/* Whether @arg asks for help: --help, -h or help. */
gboolean _plab_cli_is_help (const char *arg);

/* The command of @commands named @name, or NULL. */
const PlabCliCommand *_plab_cli_find_command (const PlabCliCommand *commands, const char *name);

/* plab show's lines on the configuration of run @r: the median and min-max
 * of its finished runs in the group the charts compare it with (its sweep,
 * else the runs with the same parameters), and its speedup with bounds;
 * nothing when @r did not finish or the group cannot be read. */
void _plab_cli_show_spread (PlabStore *store, const PlabRunRecord *r);

G_END_DECLS
