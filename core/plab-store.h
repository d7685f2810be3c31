/* plab-store.h: the run store, one SQLite file holding every run.
 *
 * WAL mode: one writer (the runner) and any number of readers (the GUI while
 * a run is live). The schema is versioned (PRAGMA user_version) and marked as
 * ours (PRAGMA application_id); a file that is not ours, is corrupt, or comes
 * from a newer plab is refused before anything is written to it.
 *
 * Opening for writing also finds runs whose runner died without finishing
 * (status "running", runner process gone) and marks them failed; their lanes
 * and spans stay.
 *
 * Span and counter times in the store are nanoseconds since the run's origin.
 *
 * A PlabStore is used by one thread at a time. Refused files are left byte
 * for byte as they were, with no -wal or -shm file added beside them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plab-machine-load.h"
#include "plab-trace.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PLAB_STORE_SCHEMA_VERSION 7
#define PLAB_STORE_APPLICATION_ID 0x504c4142 /* "PLAB" */

typedef struct PlabStore PlabStore;

typedef enum
{
  PLAB_STORE_READ_WRITE = 0, /* create when missing, migrate, repair interrupted runs */
  PLAB_STORE_READ_ONLY = 1,  /* never writes; the file must exist. Runs whose
                              * runner died read as failed (not repaired). */
} PlabStoreMode;

typedef enum
{
  PLAB_RUN_RUNNING = 0,
  PLAB_RUN_OK,
  PLAB_RUN_FAILED,
  PLAB_RUN_CANCELLED,
} PlabRunStatus;

/* "running", "ok", "failed", "cancelled". */
const char *plab_run_status_name (PlabRunStatus status);
int plab_run_status_from_name (const char *name); /* -1 when unknown */

/* The default path: $XDG_DATA_HOME/plab/runs.db, else ~/.local/share/plab/runs.db.
 * Returns a malloc'ed string (NULL when neither variable is set). */
char *plab_store_default_path (void);

/* Opens (and in READ_WRITE mode creates, with its folder) the store at @path.
 * Returns 0 or one of the PLAB_ESTORE_* codes; plab_store_open_error () then
 * gives a detail line (SQLite's own words). */
int plab_store_open (const char *path, PlabStoreMode mode, PlabStore **out);

/* The detail of the last failed plab_store_open () in this thread. */
const char *plab_store_open_error (void);

/* Finishes pending writes and closes the file (NULL is fine). */
void plab_store_close (PlabStore *self);

/* The detail of the last error of this store (SQLite's message). */
const char *plab_store_errmsg (PlabStore *self);

/* Number of runs marked failed by this open because their runner had died. */
int plab_store_repaired_runs (PlabStore *self);

/* A number that changes whenever another connection (another PlabStore,
 * process or window) commits to the file, and not for this store's own
 * writes: SQLite's PRAGMA data_version. A reader polls it to learn cheaply
 * when to read the runs again. Returns 0 or a PLAB_ESTORE_* code. */
int plab_store_data_version (PlabStore *self, int64_t *out);

/* --- Writing a run --- */

typedef struct
{
  const char *demo;
  const char *backend;
  int workers;
  const char *params_json; /* {"n": 1000, ...}; NULL: {} */
  uint64_t seed;
  int64_t sweep_id;  /* 0: not part of a sweep */
  int repeat;        /* index of the repeat within its configuration, from 0 */
  int64_t origin_ns; /* the trace origin; span times are stored relative to it */
} PlabRunSpec;

typedef struct
{
  PlabRunStatus status;
  int64_t wall_ns;
  int64_t cpu_ns;          /* user + system time of the runner and its workers */
  const char *result_json; /* the demo's result summary; NULL: {} */
  bool check_ok;
  const char *check_message;   /* the check's reason */
  const char *error;           /* what went wrong, when failed or cancelled */
  const PlabMachineLoad *load; /* the machine around the run; NULL: not measured */
} PlabRunOutcome;

/* Creates a sweep (a group of runs of one demo) and returns its id. */
int plab_store_new_sweep (PlabStore *self, const char *demo, const char *label, int64_t *id_out);

/* Inserts a run with status "running", this process as its runner and this
 * machine. Returns 0 or a PLAB_ESTORE_* code. */
int plab_store_begin_run (PlabStore *self, const PlabRunSpec *spec, int64_t *run_id_out);

/* Inserts or updates a lane of a run. */
int plab_store_put_lane (PlabStore *self, int64_t run_id, const PlabLaneInfo *lane);

/* Appends events (spans, instants and counter samples) of a run, in one
 * transaction. Absolute times are converted with the run's origin. */
int plab_store_add_events (PlabStore *self, int64_t run_id, const PlabEvent *events, size_t n);

/* Hands plab_store_add_event_batches () its next batch of events: returns
 * them (valid until the next call) with their number in *n_out, or NULL
 * with 0 when there are no more. */
typedef const PlabEvent *(*PlabStoreEventBatches) (void *user_data, size_t *n_out);

/* As plab_store_add_events (), for events that come a batch at a time from
 * @next: every batch in the one transaction, so that a writer holding its
 * events in another form never makes them one array. */
int plab_store_add_event_batches (PlabStore *self,
                                  int64_t run_id,
                                  PlabStoreEventBatches next,
                                  void *user_data);

/* Sets the outcome of a run. */
int plab_store_finish_run (PlabStore *self, int64_t run_id, const PlabRunOutcome *outcome);

/* Brings running run @run_id's wall and CPU time up to date, so that a
 * runner killed later leaves a run that says how long it ran. Best effort:
 * one try that waits for no lock (PLAB_ESTORE_BUSY when another writer holds
 * it), for callers that must not stall, such as a run's drain. */
int plab_store_note_progress (PlabStore *self, int64_t run_id, int64_t wall_ns, int64_t cpu_ns);

/* A PlabTraceSink that writes lanes and events of @run_id to the store, each
 * batch in one transaction. One sink per store at a time (a new init replaces
 * the run and clears the error). Errors are remembered:
 * plab_store_sink_error () returns the first one. */
void plab_store_sink_init (PlabStore *self, int64_t run_id, PlabTraceSink *sink);
int plab_store_sink_error (PlabStore *self);

/* What the sink's events callback does, with the events pulled from @next
 * (see plab_store_add_event_batches ()); a failure is remembered the same
 * way. */
void plab_store_sink_add_batches (PlabStore *self, PlabStoreEventBatches next, void *user_data);

/* --- The event journal ---
 *
 * A writer that holds a run's events back (to write them after the run, out
 * of its measured time) can keep a journal of them beside the store, so that
 * a writer killed mid-run loses nothing: the next open for writing that finds
 * the run interrupted moves the journal's events into the store before it
 * marks the run failed. One journal per store at a time.
 *
 *   plab_store_journal_begin ()   starts the journal of @run_id
 *   plab_store_journal_append ()  appends events (a write () to a file); on an
 *                                 error (a full disk) the journal is removed, to
 *                                 leave the room to the store
 *   plab_store_journal_reset ()   call after every event appended so far went
 *                                 into the store in ONE plab_store_add_events ()
 *   plab_store_journal_end ()     the run's events are all in the store: removes it
 *
 * Each returns 0 or a negative PLAB_E* code; without a journal they do nothing. */
int plab_store_journal_begin (PlabStore *self, int64_t run_id);
int plab_store_journal_append (PlabStore *self, const PlabEvent *events, size_t n);
int plab_store_journal_reset (PlabStore *self);
void plab_store_journal_end (PlabStore *self);

/* --- Reading --- */

typedef struct
{
  int64_t id;
  char *demo;
  char *backend;
  int workers;
  char *params_json;
  uint64_t seed;
  PlabRunStatus status;
  int64_t started_at_us; /* wall clock, microseconds since the epoch */
  int64_t wall_ns;
  int64_t cpu_ns;
  char *result_json;
  bool check_ok;
  char *check_message; /* NULL when none */
  char *error;         /* NULL when none */
  int64_t sweep_id;
  char *sweep_label; /* the sweep's name, as its runner gave it; NULL when none */
  int repeat;
  int64_t machine_id;
  int runner_pid;
  int64_t n_spans;
  PlabMachineLoad load; /* load.measured is false for runs recorded without it */
} PlabRunRecord;

/* Free what plab_store_get_run () and plab_store_list_runs () return. */
void plab_run_record_free (PlabRunRecord *record);
void plab_run_records_free (PlabRunRecord **records, size_t n);

typedef struct
{
  const char *demo; /* NULL: every demo */
  int64_t sweep_id; /* 0: any */
  int limit;        /* 0: no limit */
} PlabRunFilter;

/* Runs matching @filter, newest first. */
int plab_store_list_runs (PlabStore *self,
                          const PlabRunFilter *filter,
                          PlabRunRecord ***out,
                          size_t *n_out);

/* PLAB_ENOTFOUND when there is no such run. */
int plab_store_get_run (PlabStore *self, int64_t run_id, PlabRunRecord **out);

/* Lanes of a run, ordered by lane index; free with free (). */
int plab_store_get_lanes (PlabStore *self, int64_t run_id, PlabLaneInfo **out, size_t *n_out);

/* Spans and instants (not counters) of a run overlapping [from_ns, to_ns],
 * times relative to the run's origin, ordered by lane then start; free with
 * free (). Pass 0 and INT64_MAX for all of them. */
int plab_store_get_spans (PlabStore *self,
                          int64_t run_id,
                          int64_t from_ns,
                          int64_t to_ns,
                          PlabEvent **out,
                          size_t *n_out);

/* Receives a batch of spans from plab_store_read_spans (). A non-zero
 * return stops the reading, and plab_store_read_spans () returns it. */
typedef int (*PlabStoreSpanFunc) (void *user_data, const PlabEvent *spans, size_t n_spans);

/* The spans plab_store_get_spans () returns, in the same order, handed to
 * @func in batches of at most PLAB_STORE_SPAN_BATCH instead of one array:
 * a reader of ten million spans need not hold 640 MB of PlabEvent at once.
 * Returns 0, a store error, or what @func returned to stop. */
#define PLAB_STORE_SPAN_BATCH 4096
int plab_store_read_spans (PlabStore *self,
                           int64_t run_id,
                           int64_t from_ns,
                           int64_t to_ns,
                           PlabStoreSpanFunc func,
                           void *user_data);

/* Counter samples of a run (kind PLAB_SPAN_COUNTER, name in label, value in
 * task_id, the sampling lane in lane), ordered by name then time; free with
 * free (). */
int plab_store_get_counters (PlabStore *self, int64_t run_id, PlabEvent **out, size_t *n_out);

/* The counter samples plab_store_get_counters () returns, in the same order,
 * handed to @func in batches of at most PLAB_STORE_SPAN_BATCH, as
 * plab_store_read_spans () hands spans: a queue's run can hold a sample per
 * message. Returns 0, a store error, or what @func returned to stop. */
int plab_store_read_counters (PlabStore *self,
                              int64_t run_id,
                              PlabStoreSpanFunc func,
                              void *user_data);

typedef struct
{
  int64_t id;
  char *host;
  char *cpu_model;
  int usable_cpus;
  int online_cpus;
  char *os;
  char *compiler;
  char *plab_version;
} PlabMachineRecord;

/* The machine a run was recorded on (PlabRunRecord.machine_id). Returns 0,
 * PLAB_ENOTFOUND or a store error; free the strings with
 * plab_machine_record_clear (). */
int plab_store_get_machine (PlabStore *self, int64_t machine_id, PlabMachineRecord *out);
void plab_machine_record_clear (PlabMachineRecord *record);

/* A measurement this machine made once and every run on it reuses (the
 * calibrations table): "spin_rate" is rounds of the demos' CPU loop per CPU
 * second. Kept per row of machines, so a new CPU, compiler or plab version
 * measures again. */
typedef struct
{
  double value;
  int64_t cpu_ns;         /* CPU time the measurement took */
  int64_t wall_ns;        /* and its wall time */
  int64_t measured_at_us; /* wall clock; 0 when putting: now */
} PlabCalibration;

/* This machine's calibration @name, on a store opened for writing (the
 * machine is the one it opened on). Returns 0, PLAB_ENOTFOUND, or a store
 * error. */
int plab_store_get_calibration (PlabStore *self, const char *name, PlabCalibration *out);

/* Stores (or replaces) this machine's calibration @name. Returns 0 or a
 * store error (PLAB_EINVAL for a value that is not above 0). */
int plab_store_put_calibration (PlabStore *self,
                                const char *name,
                                const PlabCalibration *calibration);

/* --- Attempts at exercises ---
 *
 * `plab exercise check` records each attempt it ran: the exercise, the
 * student's folder, the verdict and the student's and the reference's runs. */

typedef struct
{
  int64_t id;
  char *exercise;
  char *folder;
  int64_t checked_at_us; /* wall clock; 0 when adding: now */
  bool passed;
  char *verdict; /* "passed", "wrong", "crashed", "hung", "serial", "slow", "failed" */
  char *message;
  int64_t run_id;           /* 0: none */
  int64_t reference_run_id; /* 0: none */
  int64_t wall_ns;          /* 0: not measured */
  int64_t reference_wall_ns;
  double speed; /* reference_wall_ns / wall_ns; 0: not measured */
} PlabAttempt;

/* Adds @attempt (its id and, when 0, checked_at_us are filled in). Returns
 * 0 or a store error. */
int plab_store_add_attempt (PlabStore *self, PlabAttempt *attempt);

/* Attempts at @exercise (NULL: every exercise), oldest first. Free with
 * plab_attempts_free (). */
int plab_store_list_attempts (PlabStore *self,
                              const char *exercise,
                              PlabAttempt ***out,
                              size_t *n_out);
void plab_attempts_free (PlabAttempt **attempts, size_t n);

#ifdef __cplusplus
}
#endif
