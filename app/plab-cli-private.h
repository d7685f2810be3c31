/* plab-cli-private.h: what the files of the command line share.
 *
 * Exit statuses: 0 success, 1 a run failed or the store could not be used,
 * 2 bad input (unknown command, demo, option or value), 128 + signal when a
 * run was cancelled by SIGINT or SIGTERM.
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

/* Prints "plab COMMAND: MESSAGE" as one line on stderr and returns PLAB_EXIT_USAGE. */
int _plab_cli_usage_error (const char *command, const char *format, ...) G_GNUC_PRINTF (2, 3);

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

/* "known demos: squares, kde". */
char *_plab_cli_known_demos (void);

/* Parses a run id ("12", or "last" for the newest run). */
gboolean _plab_cli_parse_run_id (PlabStore *store, const char *text, int64_t *id_out);

int _plab_cli_run (int argc, char **argv);
int _plab_cli_export (int argc, char **argv);

G_END_DECLS
