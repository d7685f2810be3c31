/* plab-pool.h: a pool of workers mapping a function over an array, like
 * Python's multiprocessing.Pool.map, on a backend chosen by one parameter.
 *
 * Items and results are fixed-size byte records. On the processes backend they
 * are copied through shared memory, so @user_data is seen by the workers as it
 * was when they were started by plab_pool_new (): set up read-only context
 * first, then create the pool.
 *
 * A worker process that dies (segfault, abort, kill -9) fails exactly the item
 * it was running, with an error naming its pid and the signal; the pool
 * replaces it and the rest of the map completes. Nothing waits forever.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plab-trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  PLAB_BACKEND_SERIAL = 0, /* the calling thread, one item after another */
  PLAB_BACKEND_THREADS,    /* POSIX threads */
  PLAB_BACKEND_PROCESSES,  /* forked processes */
  PLAB_BACKEND_GIL,        /* threads that must hold one simulated interpreter lock */
  PLAB_N_BACKENDS
} PlabBackend;

/* "serial", "threads", "processes", "gil". */
const char *plab_backend_name (PlabBackend backend);

/* Returns 0 and sets *out, or PLAB_EINVAL for an unknown name. */
int plab_backend_from_name (const char *name, PlabBackend *out);

/* Computes one result from one item. Returns 0, or a negative code that fails
 * this item (the map goes on). */
typedef int (*PlabMapFunc) (const void *item, void *result, void *user_data);

/* Writes the timeline label of item @index (NUL-terminated, at most @size bytes). */
typedef void (
    *PlabLabelFunc) (size_t index, const void *item, char *label, size_t size, void *user_data);

#define PLAB_POOL_MAX_WORKERS 256

typedef struct
{
  PlabBackend backend;
  int workers;      /* 0: the usable CPUs */
  PlabTrace *trace; /* optional: worker lanes and task spans go here */
  const volatile sig_atomic_t
      *cancel;             /* optional: a map returns PLAB_ECANCELLED once *cancel != 0 */
  const char *lane_prefix; /* optional: lanes are "<prefix> N"; default "worker" */
  int64_t gil_switch_ns;   /* gil backend: the switch interval; 0: 5 ms */
} PlabPoolOptions;

typedef struct
{
  PlabMapFunc func;
  void *user_data;
  PlabLabelFunc label; /* optional; without it task spans have no label, only the item index */
  const void *items;
  size_t item_size;
  size_t n_items;
  void *results; /* n_items * result_size bytes */
  size_t result_size;
  size_t chunk_size; /* items handed to a worker at a time; 0: automatic */
  int *status;       /* optional, n_items entries: 0 or the item's error code */
} PlabMap;

/* What went wrong in a map: the count of failed items and the first failure. */
typedef struct
{
  size_t n_failed;
  size_t n_crashes;    /* workers that died during the map */
  size_t first_failed; /* index of the first failed item */
  int first_error;     /* its code */
  char
      message[256]; /* "item 5: worker 2 (pid 1234) was killed by signal 11 (Segmentation fault)" */
} PlabMapReport;

typedef struct PlabPool PlabPool;

/* Starts the workers. Returns 0, PLAB_EINVAL, PLAB_ENOMEM or PLAB_ESYS. */
int plab_pool_new (const PlabPoolOptions *options, PlabPool **out);

/* Stops the workers (terminating them if needed), reaps them, frees the pool. */
void plab_pool_free (PlabPool *self);

int plab_pool_workers (const PlabPool *self);
PlabBackend plab_pool_backend (const PlabPool *self);

/* Maps map->func over the items; results in input order. Returns 0 when every
 * item succeeded, PLAB_ETASK when some failed (see *report, may be NULL),
 * PLAB_ECANCELLED, or another error. */
int plab_pool_map (PlabPool *self, const PlabMap *map, PlabMapReport *report);

/* Pids of the live worker processes (processes backend), for tests and tools.
 * Returns how many were written. */
int plab_pool_worker_pids (const PlabPool *self, int *pids, int max);

#ifdef __cplusplus
}
#endif
