/* plab-run-export.h: a recorded run as a file for other tools.
 *
 *   CSV    every span of the run, one row each, in the order of the store
 *          (by lane, then start), then its counter samples; RFC 4180 with
 *          CRLF line ends; the columns are PLAB_RUN_CSV_HEADER, described
 *          in docs/store.md. This is the one span CSV: `plab export RUN
 *          --format csv` and the timeline chart's CSV are both this file.
 *   trace  Chrome Trace Event JSON, which ui.perfetto.dev and
 *          chrome://tracing open: a track per lane, a complete ("X") event
 *          per span, counters as "C" events, crashes as instants ("i");
 *          every event has a "cat" (metadata: "__metadata", counters:
 *          "counter", spans: their kind)
 *
 * Both are written row by row while the store's spans are read a batch at a
 * time, so memory does not grow with the number of spans. No cairo, no GLib:
 * the command line and the window call the same functions.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plab-store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PLAB_RUN_CSV_HEADER                                                                        \
  "record,run,lane,lane_name,pid,tid,kind,start_ns,end_ns,task_id,label,value"

typedef enum
{
  PLAB_RUN_EXPORT_CSV = 0,
  PLAB_RUN_EXPORT_TRACE,
} PlabRunExportFormat;

typedef struct
{
  size_t n_spans;  /* spans written */
  size_t repaired; /* trace: spans clamped to end with the span they start in */
} PlabRunExportStats;

/* Writes run @run_id of @store to @out. Returns 0 or a negative PLAB_E* code
 * (PLAB_ENOTFOUND when there is no such run) with one line in @error. */
int plab_run_export_write (PlabStore *store,
                           int64_t run_id,
                           PlabRunExportFormat format,
                           FILE *out,
                           PlabRunExportStats *stats,
                           char *error,
                           size_t error_len);

/* The same, to the file @path ("-": stdout), through plab-export-file.h. */
int plab_run_export (PlabStore *store,
                     int64_t run_id,
                     PlabRunExportFormat format,
                     const char *path,
                     PlabRunExportStats *stats,
                     char *error,
                     size_t error_len);

/* The file name an export of run @id (or of sweep @id, when @sweep) is
 * given where the user names none: "plab-run18-time.png",
 * "plab-sweep3-speedup.svg", "plab-run18-trace.json". @what is the chart
 * or "trace", @extension the file's ending without its dot. The command
 * line and the window's export dialog both use it. */
void plab_run_export_file_name (char *buf,
                                size_t size,
                                bool sweep,
                                int64_t id,
                                const char *what,
                                const char *extension);

#ifdef __cplusplus
}
#endif
