/* plab-runner-client.h: the window's client of the runner: a demo run in a
 * child process (`plab run ... --progress`), read as it happens.
 *
 * The lab window never forks: forking a multi-threaded GTK process can
 * deadlock the child. A PlabRunnerClient launches the command line's runner, `plab
 * run ... --progress --db FILE`, as a GSubprocess and reads its JSON Lines
 * event stream (see plab-progress.h) asynchronously on the main loop,
 * turning each line into a signal. Stop sends the runner SIGTERM (it records
 * the run as cancelled and exits) and SIGKILL if it is still there after
 * PLAB_RUNNER_CLIENT_KILL_DELAY_MS.
 */
#pragma once

#include <gio/gio.h>

#include "plab.h"

G_BEGIN_DECLS

/* SIGKILL is for a runner that does not react to SIGTERM. One that does
 * stops its workers at once but then records the spans it held back: a
 * million and a half of them (a few seconds of squares with chunk_size=1)
 * take it 1.4 s on an idle 2-core machine, longer on a loaded one, and a
 * runner killed then leaves its run marked failed instead of cancelled. */
#define PLAB_RUNNER_CLIENT_KILL_DELAY_MS 5000

#define PLAB_TYPE_RUNNER_CLIENT (plab_runner_client_get_type ())
G_DECLARE_FINAL_TYPE (PlabRunnerClient, plab_runner_client, PLAB, RUNNER_CLIENT, GObject)

/* A runner that will launch @program (the plab executable) on the store @db_path. */
PlabRunnerClient *plab_runner_client_new (const char *program, const char *db_path);

/* Launches `PROGRAM run ARGS... --db DB --progress`. Signals follow on the
 * main loop:
 *
 *   run-started (id, demo, backend, workers, sweep_id)   a run began
 *   lane (const PlabLaneInfo *)                           a lane appeared or changed
 *   events (const PlabEvent *, guint n)                   spans and counter samples (kind
 *                                                         PLAB_SPAN_COUNTER), times
 *                                                         relative to the run's origin
 *   open (lane, const PlabEvent *, guint n)               the spans open now on a lane
 *                                                         (replacing its earlier ones),
 *                                                         end_ns == start_ns
 *   busy (const PlabTimelineCoverage *, guint n)          what spans the stream left out of
 *                                                         a lane covered (its "busy" line),
 *                                                         an interval per bin
 *   left-out (n)                                          the stream has left n spans and
 *                                                         samples of the run out so far
 *   run-ended (id, status, error, wall_s, check)          a run finished
 *   finished (status, message)                            the runner exited; status is
 *                                                         "ok", "failed" or "cancelled",
 *                                                         message says why when not ok
 */
gboolean plab_runner_client_start (PlabRunnerClient *self, const char *const *args, GError **error);

/* Asks the runner to stop (SIGTERM, then SIGKILL after the delay). */
void plab_runner_client_stop (PlabRunnerClient *self);

gboolean plab_runner_client_is_running (PlabRunnerClient *self);

/* The pid of the runner process while it runs, else 0. */
int plab_runner_client_get_pid (PlabRunnerClient *self);

/* The origin of the current run (its "run" event): CLOCK_MONOTONIC in ns,
 * the clock of g_get_monotonic_time (). */
gint64 plab_runner_client_get_origin_ns (PlabRunnerClient *self);

/* The command line of the last launch, for the user ("plab run squares -j 2 ..."). */
const char *plab_runner_client_get_command_line (PlabRunnerClient *self);

G_END_DECLS
