/* plab-bench-core-private.h: what the core benchmark's files share: the
 * table of figures, the helpers that measure, judge and record a figure, the
 * spawn and reap of a child (plab's and the raw fork), and the workloads the
 * driver in plab-bench-core.c runs.
 */
#pragma once

#include "plab-bench-core.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"

#define MAX_FIGURES 40
#define MAX_ROUNDS 32
#define CACHE_LINE 64

/* How a figure's target is judged. */
typedef enum
{
  TARGET_RATIO_AT_MOST, /* plab's cost over raw's is at most the limit */
  TARGET_PLAB_AT_LEAST, /* plab's own figure is at least the limit */
  TARGET_PLAB_AT_MOST,  /* plab's own figure is at most the limit */
  TARGET_PYTHON,        /* compared with Python: judged by python_compare.py */
  TARGET_NONE,          /* a figure to read, with no target set */
} TargetKind;

typedef struct
{
  const char *id;
  const char *name;
  const char *unit;
  bool higher_is_better;
  double plab; /* NAN when the workload failed */
  double raw;  /* NAN when there is no raw equivalent */
  TargetKind target_kind;
  double limit;
  char target[48];
  int met; /* 1, 0, or -1 when judged elsewhere or not measured */
  int error;
  char note[200];
} Figure;

typedef struct
{
  Figure figures[MAX_FIGURES];
  int n_figures;
  int first_error;
} Bench;

/* Helpers (plab-bench-core.c) */

double _plab_bench_median (double *values, int n);
double _plab_bench_elapsed_s (int64_t t0);
Figure *_plab_bench_add_figure (Bench *b,
                                const char *id,
                                const char *name,
                                const char *unit,
                                bool higher_is_better,
                                TargetKind kind,
                                double limit);
void _plab_bench_judge (Figure *f);
void _plab_bench_fail_figure (Bench *b, Figure *f, int rc, const char *what);
void *_plab_bench_raw_shared_alloc (size_t size);
pid_t _plab_bench_raw_spawn (int (*func) (void *), void *arg);
int _plab_bench_raw_reap (pid_t pid);
int _plab_bench_spawn (int (*func) (void *), void *arg, PlabProcess **out);
int _plab_bench_reap (PlabProcess *p);

/* Workloads in plab-bench-core.c */

void _plab_bench_span (Bench *b);
void _plab_bench_process_start (Bench *b);

/* Workloads in plab-bench-core-pool.c */

void _plab_bench_pool_map (Bench *b, size_t chunk);
void _plab_bench_futures (Bench *b);
void _plab_bench_imap (Bench *b);
void _plab_bench_trace_map (Bench *b, size_t chunk);
void _plab_bench_trace_overhead (Bench *b);
void _plab_bench_drain (Bench *b);

/* Workloads in plab-bench-core-ipc.c */

/* One producer process to one consumer process, @n_messages of @size bytes
 * (8, 64, 4096 or 65536), next to a raw lock-free ring. */
void _plab_bench_queue (Bench *b, size_t n_messages, size_t size);
/* @n_producers (2 to 8) producer processes to one consumer, @n_messages of
 * @size bytes in all, next to one raw lock-free ring per producer. */
void _plab_bench_queue_producers (Bench *b, int n_producers, size_t n_messages, size_t size);
void _plab_bench_pipe (Bench *b);
/* @n (2 to 8) processes add to one counter under plab's lock, next to the
 * default and the robust process-shared mutex. */
void _plab_bench_lock_counter (Bench *b, int n);
