/* plab-progress.h: the live event stream of a running runner.
 *
 * `plab run ... --progress` writes JSON Lines to stdout: one JSON object per
 * line, flushed after every batch, so a reader (the lab window, a script) can
 * draw a run while it happens. Times are integer nanoseconds since the run's
 * origin (the "origin_ns" of its "run" event, CLOCK_MONOTONIC). Every event has
 * an "event" key; readers must ignore keys and events they do not know.
 *
 *   {"event":"run","id":3,"demo":"squares","backend":"processes","workers":2,
 *    "repeat":0,"sweep":null,"seed":1,"origin_ns":123456789,"params":{"n":200000,...}}
 *       a run starts; the events until its "end" belong to it.
 *   {"event":"lane","id":3,"lane":1,"kind":"process","pid":123,"tid":123,
 *    "name":"worker 1","end":"running","code":0,"signal":0}
 *       a lane appeared or changed; "end" is "running", "exited" (with "code")
 *       or "killed" (with "signal"). Lane 0 is the runner itself.
 *   {"event":"spans","id":3,"lane":1,"spans":[[start,end,"task",41,"x=41"],...]}
 *       finished spans of one lane, oldest first: start and end in ns since
 *       the origin, the kind (see plab_span_kind_name ()), the task id (-1 for
 *       none) and the label. Instants (a "crash") have start == end. A span
 *       that moves an item between lanes (a car put on a queue, then got)
 *       has two more: "put" or "get" and the item's id:
 *       [start,end,"task",7,"car 7: Fiat","get",7].
 *   {"event":"counters","id":3,"lane":0,"samples":[[t,"busy workers",2],...]}
 *       counter samples: time, counter name, value.
 *   {"event":"open","id":3,"lane":1,"spans":[[start,"task",41,"x=41"],...]}
 *       the spans of one lane that have begun and not ended yet, oldest
 *       first (a task, a wait inside it): start, kind, task id, label. Each
 *       "open" line replaces the lane's earlier one; [] when none is open. A
 *       span in it arrives in a "spans" line when it ends, and is no longer
 *       open from then on. Sent when the set changes; one that finds the
 *       pipe holding PLAB_PROGRESS_SHORT_BUDGET bytes or more waits, replaced
 *       by a newer one of its lane, so it is never left out, only late, and
 *       a reader that is behind never has many of them to read.
 *   {"event":"busy","id":3,"lane":1,"start":12000000,"end":23000000,
 *    "busy_ns":10900000,"count":412,"kinds":{"task":[10900000,412]},
 *    "bin0":10000000,"bin_ns":10000000,"bins":[2000000,8900000],"left_out":412}
 *       what the spans of one lane that were left out (see "end") covered:
 *       from the earliest start to the latest end of them, the time they
 *       cover (a span inside another counts once), and by kind that time and
 *       how many spans; and that busy time over time, in bins: bin i covers
 *       bin0 + i * bin_ns, bin_ns long (PLAB_PROGRESS_BUSY_BIN_MS, doubled as
 *       often as it takes to fit PLAB_PROGRESS_BUSY_BINS). A reader draws
 *       each bin as that much busy time rather than as an idle lane. The spans it counts came after the
 *       lane's earlier "spans" lines and before its later ones. A lane has at
 *       most one waiting, which waits as "open" lines do, and one goes at
 *       most every PLAB_PROGRESS_BUSY_INTERVAL_MS; spans left out meanwhile
 *       join it (and the lane's "spans" lines wait for it), so a reader that
 *       is behind gets a few short lines a second per lane, however far
 *       behind it is, and the time they stand for stays recent.
 *   {"event":"end","id":3,"status":"ok","wall_s":0.41,"cpu_s":0.79,
 *    "check_ok":true,"check":"all 200000 squares correct","error":null}
 *       the run finished: status is "ok", "failed" or "cancelled". When the
 *       reader of a pipe fell behind, "spans" and "counters" lines were left
 *       out rather than hold the run up; "live_spans_dropped" and
 *       "live_samples_dropped" say how many; the run store has them all.
 *       A "spans", "counters" or "open" line written after some were left
 *       out carries "left_out": how many spans and samples of this run were
 *       left out so far, so that a reader can say while the run goes that
 *       its picture is incomplete.
 *   {"event":"stalled","id":3,"lane":1,"pid":123,"idle_s":5.2,"stopped":true}
 *       a worker made no progress for idle_s seconds; "stopped" when its
 *       process is stopped (SIGSTOP). "lane" and "pid" are null when no
 *       worker at all recorded anything. The run goes on.
 *   {"event":"done","sweep":null,"db":"/home/me/.local/share/plab/runs.db"}
 *       the runner is about to exit; nothing follows.
 *
 * A "spans" line holds at most PLAB_PROGRESS_MAX_BATCH spans.
 *
 * The stream never holds a run up. "spans" and "counters" lines are left out
 * when the pipe has no room (the spans then said by a "busy" line); "lane" and "stalled" lines wait in memory until
 * it has, and "spans" lines are left out while they wait; "run", "end" and
 * "done" lines are written when the run's clock is not running, and wait at
 * most PLAB_PROGRESS_DEADLINE_MS for the reader. A reader that closes the
 * stream, or lets a line wait longer than that, loses the stream: nothing more
 * is written (plab_progress_broken_reason () says why), and the runs go on.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "plab.h"

#define PLAB_PROGRESS_MAX_BATCH 1000
#define PLAB_PROGRESS_DEADLINE_MS 10000
#define PLAB_PROGRESS_BUSY_INTERVAL_MS 100
#define PLAB_PROGRESS_SHORT_BUDGET 2048
#define PLAB_PROGRESS_BUSY_BIN_MS 10
#define PLAB_PROGRESS_BUSY_BINS 64

typedef struct _PlabProgress PlabProgress;

/* A stream writing to @out (borrowed, usually stdout). */
PlabProgress *plab_progress_new (FILE *out);
void plab_progress_free (PlabProgress *self);

/* The "run" event of run @run_id of @config, whose spans count from
 * @origin_ns: what the recording's sink hears when the run begins. */
void plab_progress_run_begin (PlabProgress *self,
                              int64_t run_id,
                              const PlabRecordingConfig *config,
                              int64_t origin_ns);

void plab_progress_lane (PlabProgress *self, const PlabLaneInfo *lane);

void plab_progress_events (PlabProgress *self, const PlabEvent *events, size_t n_events);

/* The spans open now on @lane (see the "open" event). */
void plab_progress_open (PlabProgress *self, int lane, const PlabEvent *open, size_t n_open);

/* Writes the "open" lines that wait for room in the pipe, if it has some. */
void plab_progress_flush (PlabProgress *self);

void plab_progress_run_end (PlabProgress *self,
                            const char *status,
                            int64_t wall_ns,
                            int64_t cpu_ns,
                            bool check_ok,
                            const char *check,
                            const char *error);

void plab_progress_done (PlabProgress *self, int64_t sweep_id, const char *db_path);

void plab_progress_stalled (PlabProgress *self,
                            const PlabLaneInfo *lane,
                            int64_t idle_ns,
                            bool stopped);

/* True once the stream was given up: the reader closed it, or did not read
 * for PLAB_PROGRESS_DEADLINE_MS. */
bool plab_progress_broken (PlabProgress *self);

/* Why the stream was given up, in a few words; NULL while it goes. */
const char *plab_progress_broken_reason (PlabProgress *self);
