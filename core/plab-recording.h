/* plab-recording.h: the recording engine, which runs one configuration of a
 * program and writes it to the run store.
 *
 * A PlabRecording is given a store. Each plab_recording_run () makes a trace,
 * begins a run in the store, calls the caller's run function with the trace
 * and a cancel flag, drains the trace, and finishes the run with its status
 * (ok, failed or cancelled), wall and CPU time, result and check:
 *
 *   PlabRecording *rec;
 *   PlabRecordingConfig config = { .demo = "mine", .backend = "processes",
 *                                  .workers = 4, .func = my_run };
 *   PlabRecordingOutcome outcome;
 *
 *   plab_recording_new (store, &rec);
 *   plab_recording_run (rec, &config, &outcome);
 *   ... outcome.run_id, outcome.status ...
 *   plab_recording_outcome_clear (&outcome);
 *   plab_recording_free (rec);
 *
 * The engine knows nothing of demos: the run function does the work on the
 * trace it is given (a pool created with it records every worker) and reports
 * its result and check.
 *
 * Spans are held in memory while the run is timed (writing a span to SQLite
 * costs about a microsecond, which would land in the measured time), with a
 * journal beside the store so that a killed runner loses nothing; they go to
 * the store in batches once the run has been timed, or earlier when too many
 * wait. While the run goes, its wall time in the store is brought up to date
 * about once a second, so that a run that is killed keeps the time it ran.
 *
 * An optional live sink receives the same lanes and events while the run is
 * live (the `--progress` stream, a progress bar), and is told of workers
 * that make no progress.
 *
 * A PlabRecording is used by one thread at a time, the thread that drains
 * the trace (the one calling plab_recording_run ()).
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plab-store.h"
#include "plab-trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PlabRecording PlabRecording;

#define PLAB_RECORDING_TEXT_MAX 256

/* What the run function reports. The engine zeroes it before the call. */
typedef struct
{
  bool check_ok;                               /* the result is right */
  char check_message[PLAB_RECORDING_TEXT_MAX]; /* why (or why not) */
  char error[PLAB_RECORDING_TEXT_MAX];         /* what went wrong, when it returns non-zero */
  char *result_json; /* a malloc'ed JSON object, or NULL; the engine frees it */
} PlabRecordingReport;

/* Does the work of one run. The calling thread is attached to lane 0 of
 * @trace; @cancel becomes non-zero (the signal number) when the run should
 * stop. Returns 0 when it ran (its check may still fail), PLAB_ECANCELLED when
 * it stopped for @cancel, or another negative code with report->error set. */
typedef int (*PlabRecordingFunc) (void *user_data,
                                  PlabTrace *trace,
                                  const volatile sig_atomic_t *cancel,
                                  PlabRecordingReport *report);

/* One configuration. The strings are borrowed for the time of the call. */
typedef struct
{
  const char *demo;    /* the program's name */
  const char *backend; /* "serial", "threads", "processes", "gil" */
  int workers;
  const char *params_json; /* {"n": 1000, ...}; NULL: {} */
  uint64_t seed;
  int64_t sweep_id; /* 0: not part of a sweep */
  int repeat;       /* index of the repeat within its configuration, from 0 */
  PlabRecordingFunc func;
  void *user_data;
} PlabRecordingConfig;

/* What came of one plab_recording_run (). The strings are malloc'ed; free
 * them with plab_recording_outcome_clear (). */
typedef struct
{
  int64_t run_id; /* 0 when the run could not be begun in the store */
  PlabRunStatus status;
  int64_t wall_ns;
  int64_t cpu_ns;
  bool check_ok;
  char *check;          /* never NULL once the run ran */
  char *error;          /* NULL when the run is ok */
  char *result_json;    /* never NULL once the run ran */
  int store_error;      /* 0, or the first failed write of the run's timeline */
  bool recorded;        /* the run's end is in the store */
  PlabMachineLoad load; /* how busy the machine was around the run */
} PlabRecordingOutcome;

void plab_recording_outcome_clear (PlabRecordingOutcome *outcome);

/* Receives what happens while a run is live. Every member may be NULL. All
 * are called in the thread that runs plab_recording_run (). */
typedef struct
{
  /* The run was begun in the store; its trace's origin is @origin_ns. */
  void (*run_begin) (void *user_data,
                     int64_t run_id,
                     const PlabRecordingConfig *config,
                     int64_t origin_ns);
  /* A lane appeared or changed. */
  void (*lane) (void *user_data, const PlabLaneInfo *lane);
  /* A batch of events of one lane, as drained. */
  void (*events) (void *user_data, const PlabEvent *events, size_t n_events);
  /* A worker made no progress for @idle_ns: it recorded nothing, and
   * @stopped says whether its process is stopped (SIGSTOP, a debugger).
   * @lane is NULL when no worker at all recorded anything. Called once per
   * stall; a worker that records again may stall again. */
  void (*stalled) (void *user_data, const PlabLaneInfo *lane, int64_t idle_ns, bool stopped);
  /* Something the user should know that does not stop the run. */
  void (*notice) (void *user_data, const char *message);
  /* The run is timed and recorded (or could not be). */
  void (*run_end) (void *user_data, const PlabRecordingOutcome *outcome);
  void *user_data;
  /* The spans open now on lane @lane, when they changed (see the open
   * callback of PlabTraceSink): live readers only, never stored. */
  void (*open) (void *user_data, int lane, const PlabEvent *open, size_t n_open);
  /* A drain ended (every few milliseconds while a pool waits). */
  void (*drained) (void *user_data);
} PlabRecordingSink;

/* A new engine on @store (borrowed: it must outlive the engine). Returns 0,
 * PLAB_EINVAL or PLAB_ENOMEM. */
int plab_recording_new (PlabStore *store, PlabRecording **out);

/* Frees the engine (NULL is fine); if it catches signals, it stops. */
void plab_recording_free (PlabRecording *self);

/* Where live events go (copied; NULL: nowhere). */
void plab_recording_set_sink (PlabRecording *self, const PlabRecordingSink *sink);

/* After how long without an event a worker counts as stalled (default
 * PLAB_RECORDING_STALL_NS for a stopped process; a worker that merely
 * records nothing is reported after eight times as long). */
#define PLAB_RECORDING_STALL_NS (5 * 1000000000LL)
void plab_recording_set_stall_ns (PlabRecording *self, int64_t ns);

/* Runs one configuration and records it. Fills *outcome in every case.
 * Returns 0 when the run is in the store whole (whatever its status), or a
 * negative code when the store failed: outcome->run_id is 0 when the run
 * could not be begun, outcome->recorded false when its end could not be
 * written (it shows as failed once this process has exited), and
 * outcome->store_error is set when part of its timeline could not be
 * written (it is recorded as failed). plab_recording_errmsg () then says
 * what went wrong. */
int plab_recording_run (PlabRecording *self,
                        const PlabRecordingConfig *config,
                        PlabRecordingOutcome *outcome);

/* What the last failed store call of plab_recording_run () said. */
const char *plab_recording_errmsg (PlabRecording *self);

/* --- Cancelling ---
 *
 * A run is cancelled by setting the engine's cancel flag to a signal
 * number. plab_recording_catch_signals () has SIGINT, SIGTERM and SIGHUP set
 * it (and ignores SIGPIPE, so that a closed pipe is a failed write, not the
 * end of the process); a second SIGINT or SIGTERM ends the process at once
 * with 128 + the signal. One engine at a time catches signals; its process
 * forks workers, which restore the default action when a signal reaches
 * them. */
int plab_recording_catch_signals (PlabRecording *self);

/* Async-signal-safe: asks the run to stop, for @sig (the first reason wins). */
void plab_recording_cancel (PlabRecording *self, int sig);

/* The signal that asked to stop, 0 while none did. */
int plab_recording_cancelled (PlabRecording *self);

/* Why a run was cancelled by @sig, after "cancelled" or "stopped": " by
 * SIGTERM", " by SIGHUP: the terminal or the lab window ..." (static). */
const char *plab_recording_cancel_reason (int sig);

#ifdef __cplusplus
}
#endif
