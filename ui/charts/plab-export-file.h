/* plab-export-file.h: the one place exports write files.
 *
 * Every export (charts, CSV, traces; from the command line and the window)
 * opens its output here, writes to the FILE * it gets, and commits or
 * aborts. What happens to the target depends on what it is:
 *
 *   missing, or a regular file   written to a temporary file beside it and
 *                                renamed over it on commit, so a reader never
 *                                sees half a file and a failed export leaves
 *                                the old one as it was
 *   a symbolic link              resolved first: the file it points to is
 *                                replaced as above, and the link stays a link
 *   anything else (a device,     written directly, as a shell redirection
 *   a FIFO, a socket)            would: /dev/null stays a device, a FIFO's
 *                                reader gets the bytes
 *   "-"                          stdout
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  FILE *fp;       /* write here */
  char *path;     /* the path asked for */
  char *target;   /* the file renamed over on commit; NULL when written directly */
  char *tmp_path; /* the temporary file; NULL when written directly */
  bool is_stdout;
} PlabExportFile;

/* Opens @path for writing. Returns 0, or a negative PLAB_E* code with one line
 * for the user in @error. */
int plab_export_file_open (PlabExportFile *self, const char *path, char *error, size_t error_len);

/* Flushes and closes the output and, for a temporary file, renames it over
 * the target. Returns 0, or a negative PLAB_E* code with a message; the
 * target is then left as it was. */
int plab_export_file_commit (PlabExportFile *self, char *error, size_t error_len);

/* Closes the output and removes the temporary file: the target is left as it
 * was (a device or FIFO may have received part of the output). */
void plab_export_file_abort (PlabExportFile *self);

#ifdef __cplusplus
}
#endif
