/* plab-pool.h: a pool of workers, like Python's multiprocessing.Pool and
 * concurrent.futures together, on a backend chosen by one parameter.
 *
 * Three ways to hand it work:
 *
 *   plab_pool_map ()     an array in, an array of results out, in order (map; a
 *                        map over an array of argument structs is starmap)
 *   plab_pool_map_async ()  the same map without waiting for it (map_async,
 *                        starmap_async): a PlabMapResult to wait on, with a
 *                        done and an error callback
 *   plab_pool_imap ()    items pulled from a callback as the pool has room
 *                        (a bounded window), results in order or as they come
 *   plab_pool_submit ()  one call, one future (apply_async, submit); wait for
 *                        many with plab_pool_wait () and plab_pool_as_completed ()
 *
 * Items, arguments and results are byte records. On the processes backend
 * they are copied through shared memory, so @user_data is seen by the workers
 * as it was when they were started by plab_pool_new (): set up read-only
 * context first, then create the pool. A pool is driven from one thread.
 *
 * The well-known failures of Python's pool are fixed:
 *  - a worker process that dies (segfault, abort, kill -9) fails exactly the
 *    task it was running, with an error naming its pid and the signal; the
 *    pool replaces it and everything else completes, on every call style;
 *  - an initializer that fails breaks the pool with a message instead of
 *    respawning workers forever;
 *  - nothing waits forever: every wait takes a timeout, and cancellation
 *    (PlabPoolOptions.cancel) ends any wait within about 20 ms;
 *  - a cancel reaches the running tasks: every worker watches the pool's
 *    cancel flag (plab_cancelled (), plab-error.h), raised when the pool is
 *    cancelled or terminated, so a task on threads or gil that checks it, or
 *    blocks in the library, ends within about 100 ms instead of being waited
 *    for. On serial the calling thread watches PlabPoolOptions.cancel while
 *    it runs a task.
 *
 * States: a pool starts RUNNING. plab_pool_close () makes it CLOSING (no new
 * work; what is queued still runs), plab_pool_join () then waits for that work
 * and stops the workers: TERMINATED. plab_pool_terminate () stops them at once
 * (unfinished futures fail with PLAB_ECANCELLED): TERMINATED.
 * plab_pool_shutdown () is Executor.shutdown (): close, optionally cancel what
 * has not started, optionally join. A pool is BROKEN
 * when a map was cancelled, an initializer failed, or workers die before
 * doing anything; plab_pool_message () says why.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plab-start.h"
#include "plab-trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  PLAB_BACKEND_SERIAL = 0, /* the calling thread, one item after another */
  PLAB_BACKEND_THREADS,    /* POSIX threads */
  PLAB_BACKEND_PROCESSES,  /* processes (forked, or PlabPoolOptions.start_method) */
  PLAB_BACKEND_GIL,        /* threads that must hold one simulated interpreter lock */
  PLAB_N_BACKENDS,
  /* Not a pool's backend (a pool refuses it, and PLAB_N_BACKENDS counts the
   * pool's): the runner launches the demo's ranks with Open MPI's mpirun. */
  PLAB_BACKEND_MPI = PLAB_N_BACKENDS,
} PlabBackend;

/* "serial", "threads", "processes", "gil", "mpi". */
const char *plab_backend_name (PlabBackend backend);

/* Returns 0 and sets *out, or PLAB_EINVAL for an unknown name. */
int plab_backend_from_name (const char *name, PlabBackend *out);

/* Computes one result from one item. Returns 0, or a negative code that fails
 * this item (the map goes on, unless it is fail-fast). */
typedef int (*PlabMapFunc) (const void *item, void *result, void *user_data);

/* Writes the timeline label of item @index (NUL-terminated, at most @size bytes). */
typedef void (
    *PlabLabelFunc) (size_t index, const void *item, char *label, size_t size, void *user_data);

/* Runs once in each worker before its first task. A non-zero return breaks
 * the pool (PLAB_EINIT) instead of starting the worker again and again. */
typedef int (*PlabInitFunc) (void *user_data);

#define PLAB_POOL_MAX_WORKERS 256

/* Tasks queued or running at once through plab_pool_submit (), plab_pool_imap ()
 * and plab_pool_map_async (). */
#define PLAB_POOL_MAX_TASKS 1024

typedef struct
{
  PlabBackend backend;
  int workers;      /* 0: the usable CPUs; at most PLAB_POOL_MAX_WORKERS */
  PlabTrace *trace; /* optional: worker lanes and task spans go here */
  /* Optional: work ends with PLAB_ECANCELLED once *cancel != 0. Set it from a
   * signal handler, or from another thread with __atomic_store_n (). */
  const volatile sig_atomic_t *cancel;
  const char *lane_prefix;      /* optional: lanes are "<prefix> N"; default "worker" */
  int64_t gil_switch_ns;        /* gil backend: the switch interval; 0: 5 ms */
  PlabInitFunc initializer;     /* optional */
  void *init_data;              /* passed to the initializer */
  int max_tasks_per_worker;     /* 0: no limit; else a worker is replaced after this many
                               tasks (a map chunk counts as one task), as Python's
                               maxtasksperchild */
  size_t task_max_bytes;        /* submit and imap: the most argument + result bytes of
                            one task; 0: 64 KiB */
  PlabStartMethod start_method; /* processes backend: how workers begin (plab-start.h);
                                   0: fork. Under spawn and forkserver, functions and
                                   pointers to globals reach the workers; user_data and
                                   init_data pointing elsewhere do not (the workers see
                                   the fresh program's or the server's memory) */
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
  size_t chunk_size;     /* items handed to a worker at a time; 0: automatic, measured so
                        that a chunk takes about 2 ms, and smaller near the end */
  int *status;           /* optional, n_items entries: the library's code for each item: 0,
                            PLAB_ETASK (its task returned non-zero: task_codes says what),
                            PLAB_ECRASHED (its worker died) or PLAB_ECANCELLED (not run, or
                            ended by the map's cancel) */
  bool fail_fast;        /* stop handing out items after the first failure; the items not
                     run get PLAB_ECANCELLED (default: collect every failure) */
  bool chunk_spans;      /* one task span per chunk ("1000 items from x=0"), not one per
                        item, so that recording the timeline costs nothing per item; on
                        the serial backend a chunk is chunk_size items (0: 1024) */
  size_t user_data_size; /* optional, at most PLAB_POOL_USER_DATA_MAX: worker processes
                            get a copy of these bytes at @user_data, made when the map
                            starts (needed under spawn and forkserver, whose workers
                            cannot read the caller's memory; 0: the pointer itself) */
  int *task_codes;       /* optional, n_items entries: what each item's task returned (0
                            when it succeeded or did not end by returning), kept apart
                            from the library's codes in status, as for futures and imap */
} PlabMap;

#define PLAB_POOL_USER_DATA_MAX 1024

/* What went wrong in a map: the count of failed items and the first failure. */
typedef struct
{
  size_t n_failed;     /* items that failed, not counting those skipped by fail-fast */
  size_t n_crashes;    /* workers that died during the map */
  size_t n_skipped;    /* fail-fast: items not run */
  size_t n_chunks;     /* chunks handed out (retries included) */
  size_t first_failed; /* index of the first failed item */
  int first_error;     /* its library code: PLAB_ETASK, PLAB_ECRASHED, ... */
  int first_task_code; /* when first_error is PLAB_ETASK, what its task returned */
  char
      message[256]; /* "item 5: worker 2 (pid 1234) was killed by signal 11 (Segmentation fault)" */
} PlabMapReport;

typedef enum
{
  PLAB_POOL_RUNNING = 0,
  PLAB_POOL_CLOSING,
  PLAB_POOL_TERMINATED,
  PLAB_POOL_BROKEN,
} PlabPoolState;

typedef struct PlabPool PlabPool;

/* Starts the workers. Returns 0, PLAB_EINVAL, PLAB_ENOMEM or PLAB_ESYS;
 * plab_error_detail () then says why (the option at fault, the call that
 * failed). */
int plab_pool_new (const PlabPoolOptions *options, PlabPool **out);

/* Terminates the pool if it is not terminated yet, reaps every worker and
 * frees the pool. Futures not freed yet stay valid to read and free. */
void plab_pool_free (PlabPool *self);

/* The number of workers, the backend and the state (see the top of this file). */
int plab_pool_workers (const PlabPool *self);
PlabBackend plab_pool_backend (const PlabPool *self);
PlabPoolState plab_pool_state (const PlabPool *self);

/* "running", "closing", "terminated", "broken". */
const char *plab_pool_state_name (PlabPoolState state);

/* Why the pool is broken or terminated ("" while it is running). */
const char *plab_pool_message (const PlabPool *self);

/* No new work from now on; queued tasks still run. RUNNING -> CLOSING.
 * Returns 0 or PLAB_ESTATE. */
int plab_pool_close (PlabPool *self);

/* After close: waits at most @timeout_ns (negative: forever) for the queued
 * tasks, then stops and reaps the workers: TERMINATED. Returns 0,
 * PLAB_ETIMEDOUT (still CLOSING; call again), PLAB_ESTATE when the pool was
 * not closed first (as in Python), or PLAB_ECANCELLED. */
int plab_pool_join (PlabPool *self, int64_t timeout_ns);

/* Stops the workers now (processes get SIGTERM, then SIGKILL after a second;
 * threads cannot be killed, so their running tasks are asked to end through
 * the cancel flag and waited for). Queued and running futures fail with
 * PLAB_ECANCELLED. Any state -> TERMINATED. */
void plab_pool_terminate (PlabPool *self);

/* concurrent.futures' Executor.shutdown (): no new work from now on (RUNNING ->
 * CLOSING; a later plab_pool_submit (), _apply (), _map (), _map_async () or
 * _imap () returns PLAB_ESTATE). With @cancel_futures, every task that has not
 * started is cancelled (its future reads PLAB_ECANCELLED and
 * plab_future_cancelled () is true), the items of a plab_pool_map_async ()
 * not started as well; running tasks go on. With @wait, it then joins: it
 * returns once the running tasks (and without @cancel_futures, the queued
 * ones) have finished and the workers are reaped: TERMINATED. Without @wait it
 * returns at once, CLOSING: the work goes on while the pool is driven, and
 * plab_pool_join () or plab_pool_free () ends it. May be called again, and on
 * a pool already closed. Returns 0 or, with @wait, what plab_pool_join ()
 * returns (PLAB_ECANCELLED, or the error that broke the pool). */
int plab_pool_shutdown (PlabPool *self, bool wait, bool cancel_futures);

/* Maps map->func over the items; results in input order. Returns 0 when every
 * item succeeded, PLAB_ETASK when some failed (see *report, may be NULL),
 * PLAB_ECANCELLED, PLAB_ESTATE when the pool is not running, or another error. */
int plab_pool_map (PlabPool *self, const PlabMap *map, PlabMapReport *report);

/* --- map_async (Python's AsyncResult) --- */

typedef struct PlabMapResult PlabMapResult;

/* Called once when every item has finished, successful or not. */
typedef void (*PlabMapDoneFunc) (PlabMapResult *result, void *data);

/* Called once, at the first item that fails: its index, the library's code
 * (PLAB_ETASK, PLAB_ECRASHED, PLAB_ECANCELLED), what its task returned when
 * that is PLAB_ETASK (else 0), and what happened ("worker 2 (pid 1234) was
 * killed by signal 11 (Segmentation fault)"; only valid during the call). */
typedef void (*PlabMapErrorFunc) (PlabMapResult *result,
                                  size_t index,
                                  int code,
                                  int task_code,
                                  const char *message,
                                  void *data);

typedef struct
{
  PlabMapDoneFunc done;   /* optional: Python's callback */
  PlabMapErrorFunc error; /* optional: Python's error_callback */
  void *data;
} PlabMapCallbacks;

/* Starts map->func over the items and returns at once (on the serial backend
 * the map runs here, inside this call). Items are arrays of structs, so a
 * starmap is a map over argument structs: there is no separate starmap_async.
 * Each item runs as one task (a future) of at most task_max_bytes of item and
 * result; they are handed out as slots free up, from inside whichever pool
 * call the caller makes (a wait, a result, a submit), and results, status and
 * task_codes are written into the caller's arrays as items finish: those and
 * the items must stay valid until the result is ready or freed. The callbacks
 * run in the thread driving the pool, from inside such a call; they must not
 * free the result. chunk_size and chunk_spans do not apply; user_data is
 * passed as to plab_pool_submit (), so user_data_size must be 0. Free the
 * result before the pool. Returns 0, PLAB_EINVAL, PLAB_EMSGSIZE, PLAB_ESTATE
 * or PLAB_ENOMEM. */
int plab_pool_map_async (PlabPool *self,
                         const PlabMap *map,
                         const PlabMapCallbacks *callbacks,
                         PlabMapResult **out);

/* Whether every item has finished (looks, never waits). */
bool plab_map_result_ready (PlabMapResult *result);

/* Waits at most @timeout_ns (negative: forever) until it is ready. Returns 0
 * once it is ready (a pool cancelled, terminated or shut down with
 * cancel_futures makes it ready too: plab_map_result_get () then says
 * PLAB_ECANCELLED), PLAB_ETIMEDOUT, or the error of a pool that broke
 * without finishing it. */
int plab_map_result_wait (PlabMapResult *result, int64_t timeout_ns);

/* Whether it is ready and every item succeeded (false while not ready). */
bool plab_map_result_successful (PlabMapResult *result);

/* Waits like plab_map_result_wait (), then returns what plab_pool_map ()
 * would have: 0, PLAB_ETASK when some items failed (see *report, may be NULL,
 * and map->status), PLAB_ECANCELLED (the pool's cancel, or a shutdown that
 * cancelled items not started); or PLAB_ETIMEDOUT while it is not ready. The
 * results are in map->results. */
int plab_map_result_get (PlabMapResult *result, PlabMapReport *report, int64_t timeout_ns);

/* Cancels the items not started (a running one finishes unseen, writing
 * nothing more into the caller's arrays) and frees the result. */
void plab_map_result_free (PlabMapResult *result);

/* --- Futures (concurrent.futures, apply_async) --- */

typedef struct PlabFuture PlabFuture;

/* Called when a future finishes, in the thread driving the pool, from inside
 * whichever pool call noticed it (a wait, a result, a submit). */
typedef void (*PlabDoneFunc) (PlabFuture *future, void *data);

typedef struct
{
  PlabMapFunc func;
  void *user_data;
  const void *arg; /* copied at submit */
  size_t arg_size;
  size_t result_size;
  const char *label; /* optional: the task's label on the timeline */
  PlabDoneFunc done; /* optional: apply_async's callback */
  void *done_data;
} PlabTask;

/* Queues one call of task->func (arg, result, user_data). When PLAB_POOL_MAX_TASKS
 * tasks are in flight, waits for one to finish first. On the serial backend
 * the task runs at once, inside this call. Returns 0, PLAB_EINVAL, PLAB_EMSGSIZE
 * (argument + result larger than task_max_bytes), PLAB_ESTATE, PLAB_ENOMEM. */
int plab_pool_submit (PlabPool *self, const PlabTask *task, PlabFuture **out);

/* Submits and waits: Python's apply. Returns what plab_future_result () returns. */
int plab_pool_apply (PlabPool *self, const PlabTask *task, void *result);

/* Whether it has finished (looks, never waits). */
bool plab_future_done (PlabFuture *future);

/* Waits at most @timeout_ns (negative: forever, 0: just look) and copies the
 * result (result_size bytes; @result may be NULL). Returns 0, PLAB_ETASK when
 * the task returned non-zero (plab_future_task_code () says what),
 * PLAB_ECRASHED (its worker died), PLAB_ECANCELLED, PLAB_EINIT, or
 * PLAB_ETIMEDOUT when it has not finished yet. A task's own value never
 * reads as one of the library's codes. */
int plab_future_result (PlabFuture *future, void *result, int64_t timeout_ns);

/* What the task returned, once it has finished by returning; 0 while it
 * runs, when it succeeded, or when it did not end by itself (crashed,
 * cancelled). */
int plab_future_task_code (const PlabFuture *future);

/* Python's Future.exception (timeout): waits like plab_future_result (), and
 * returns 0 when the task succeeded, else why it failed: PLAB_ETASK (then
 * *task_code is what it returned), PLAB_ECRASHED, PLAB_ECANCELLED, PLAB_EINIT,
 * or PLAB_ETIMEDOUT when it has not finished. Sets *task_code (as
 * plab_future_task_code ()) and *message (as plab_future_message (): "" on
 * success; owned by the future); either may be NULL. The result stays to be
 * read with plab_future_result (). */
int plab_future_exception (PlabFuture *future,
                           int64_t timeout_ns,
                           int *task_code,
                           const char **message);

/* Whether a worker is running it now (looks, never waits). */
bool plab_future_running (const PlabFuture *future);

/* Whether it was cancelled (by plab_future_cancel () or a pool terminate). */
bool plab_future_cancelled (const PlabFuture *future);

/* Cancels a task that has not started. Returns 0 (it will never run),
 * PLAB_ESTATE when it is running or finished. */
int plab_future_cancel (PlabFuture *future);

/* "" or what happened: "worker 2 (pid 1234) killed by signal 9 (Killed)". */
const char *plab_future_message (const PlabFuture *future);

/* Frees a future. A queued task is cancelled; a running one finishes unseen. */
void plab_future_free (PlabFuture *future);

typedef enum
{
  PLAB_WAIT_ALL = 0,         /* every future finished */
  PLAB_WAIT_FIRST_COMPLETED, /* at least one finished */
  PLAB_WAIT_FIRST_ERROR,     /* one failed, or else all finished */
} PlabWaitMode;

/* Waits until @mode is met or @timeout_ns passes (negative: forever). Sets
 * *n_done (may be NULL) to how many have finished. Returns 0, PLAB_ETIMEDOUT
 * or PLAB_ECANCELLED. */
int plab_pool_wait (PlabPool *self,
                    PlabFuture *const *futures,
                    size_t n,
                    PlabWaitMode mode,
                    int64_t timeout_ns,
                    size_t *n_done);

/* as_completed: sets *index to a finished future of @futures not handed out by
 * an earlier call (earliest finished first). Returns 0, PLAB_EDONE when every
 * one was handed out, PLAB_ETIMEDOUT, PLAB_ECANCELLED. */
int plab_pool_as_completed (PlabPool *self,
                            PlabFuture *const *futures,
                            size_t n,
                            int64_t timeout_ns,
                            size_t *index);

/* --- imap --- */

/* Writes the next input item into @item. Returns 1 when it wrote one, 0 at
 * the end of the input, or a negative code that ends the imap with it. */
typedef int (*PlabNextFunc) (void *item, void *data);

typedef struct
{
  PlabMapFunc func;
  void *user_data;
  PlabLabelFunc label; /* optional */
  PlabNextFunc next;
  void *next_data;
  size_t item_size;
  size_t result_size;
  size_t window;  /* items in flight at most; 0: 4 per worker. The input is read only
                     as results are taken, so an endless input is fine. */
  bool unordered; /* imap_unordered: results as they finish */
  bool fail_fast; /* the first failure ends the iteration */
} PlabImap;

typedef struct PlabImapIter PlabImapIter;

/* Starts an imap: nothing is read from the input until the first
 * plab_imap_next (). Free the iterator before the pool. Returns 0,
 * PLAB_EINVAL, PLAB_ESTATE or PLAB_ENOMEM. */
int plab_pool_imap (PlabPool *self, const PlabImap *imap, PlabImapIter **out);

/* The next result: sets *index (the item's position in the input) and copies
 * the result. Returns 0; the item's error: PLAB_ETASK when its task returned
 * non-zero (plab_imap_task_code () says what), PLAB_ECRASHED, ... (collect-all:
 * call again for the next one; plab_imap_message () says more); PLAB_EDONE at the end (and
 * after a fail-fast failure); PLAB_ETIMEDOUT; PLAB_ECANCELLED; or the error of
 * the input callback. *index is SIZE_MAX when the error is not an item's. */
int plab_imap_next (PlabImapIter *it, size_t *index, void *result, int64_t timeout_ns);

/* What the task of the item last handed out returned (0 when it did not
 * return by itself). */
int plab_imap_task_code (const PlabImapIter *it);

/* What happened to the last failed item, "" otherwise. */
const char *plab_imap_message (const PlabImapIter *it);

/* Stops reading the input, cancels what has not started and frees the iterator. */
void plab_imap_free (PlabImapIter *it);

/* Pids of the live worker processes (processes backend), for tests and tools;
 * safe to call from any thread. Returns how many were written. */
int plab_pool_worker_pids (const PlabPool *self, int *pids, int max);

#ifdef __cplusplus
}
#endif
