/* plab-cli-run-private.h: what the files of `plab run` share: the runner's
 * state (plab-cli-run.c) and its printed summaries (plab-cli-run-report.c).
 */
#pragma once

#include <stdio.h>

#include "plab-cli-private.h"
#include "plab-progress.h"

G_BEGIN_DECLS

/* One configuration to run, and what came of it. */
typedef struct
{
  PlabBackend backend;
  int workers;
  int repeat;

  /* Outcome */
  gboolean ran;
  int64_t run_id;
  PlabRunStatus status;
  int64_t wall_ns;
  int64_t cpu_ns;
  gboolean check_ok;
  char *check;
  char *error;
  char *result_json;
  double speedup;       /* NAN unless in a sweep with a baseline */
  PlabMachineLoad load; /* how busy the machine was around the run */
} RunConfig;

typedef struct
{
  /* Options */
  const PlabDemo *demo;
  PlabDemoRun proto; /* parameter values shared by every configuration */
  GArray *configs;   /* RunConfig */
  gboolean json;
  gboolean progress;
  gboolean yes;
  char *db;
  uint64_t seed;
  const char *backend_text; /* borrowed from the option parser, for the sweep's label */
  const char *sweep_text;
  char *hosts;            /* --hosts: Open MPI's host file, for the mpi backend */
  gboolean workers_given; /* -j was on the command line */

  /* Owned */
  PlabStore *store;
  char *db_path;
  PlabProgress *stream;
  PlabRecording *rec;
  int64_t sweep_id;

  /* The run in progress, for the live sink */
  PlabDemoRun *current;
  RunConfig *current_config;
  gboolean bar;
  int64_t bar_start_ns;
  int64_t bar_last_ns;
  int64_t tasks_done;
  gboolean bar_drawn;
  gboolean stream_given_up; /* the progress stream broke, and stderr said so */
  gboolean store_failed;    /* a run could not be recorded whole; its line said so */
} Runner;

/* "run 3: processes x2  ok  0.412 s (cpu 0.790 s)  check: ..." and its error. */
void _plab_cli_run_print_line (FILE *out, const RunConfig *c);

/* The speedup table of a sweep and where the runs are recorded. */
void _plab_cli_run_print_summary (Runner *self, FILE *out);

/* The --json summary on stdout. */
void _plab_cli_run_print_json (Runner *self);

/* Runs @run's ranks with mpirun (on the hosts of @hosts, or here when
 * NULL) and puts what they record into run->trace (plab-cli-run-mpi.c).
 * Returns 0, PLAB_ECANCELLED, or a negative code with run->error set. */
int _plab_cli_run_mpi (PlabDemoRun *run, const char *hosts);

G_END_DECLS
