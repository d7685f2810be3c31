/* plab-error.h: error codes of the core library, and cooperative
 * cancellation, the way work ends with PLAB_ECANCELLED.
 *
 * Every core function that can fail returns 0 or one of the negative codes below.
 * plab_strerror () turns a code into a sentence fragment for a message.
 *
 * A thread cannot be killed, so work on threads stops by being asked. Each
 * thread may watch one cancel flag: a pool's workers watch their pool's (in
 * shared memory on the processes backend, so a forked worker sees it too),
 * the thread running a serial map watches the run's. Once the flag is
 * raised, every blocking call of the library (queue put and get, lock,
 * semaphore, event, condition and barrier waits, pipe receive, sleep) wakes
 * within PLAB_CANCEL_SLICE_NS and returns PLAB_ECANCELLED, and a long CPU loop
 * ends early if it asks now and then:
 *
 *   for (i = 0; i < n; i++)
 *     {
 *       work (i);
 *       if ((i & 4095) == 4095 && plab_cancelled ())
 *         return PLAB_ECANCELLED;
 *     }
 *
 * plab_checkpoint () (plab-gil.h) gives the same answer at a GIL switch point.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One table, so the enum and the messages cannot drift apart. */
#define PLAB_ERROR_TABLE(X)                                                                        \
  X (PLAB_OK, 0, "success")                                                                        \
  X (PLAB_EINVAL, -1, "invalid argument")                                                          \
  X (PLAB_ENOMEM, -2, "out of memory")                                                             \
  X (PLAB_ESYS, -3, "a system call failed")                                                        \
  X (PLAB_ETIMEDOUT, -4, "timed out")                                                              \
  X (PLAB_ECRASHED, -5, "the worker running the task died")                                        \
  X (PLAB_ETASK, -6, "a task failed")                                                              \
  X (PLAB_ECANCELLED, -7, "cancelled")                                                             \
  X (PLAB_ESTATE, -8, "not allowed in the current state")                                          \
  X (PLAB_EFULL, -9, "full")                                                                       \
  X (PLAB_EEMPTY, -10, "empty")                                                                    \
  X (PLAB_ECLOSED, -11, "closed")                                                                  \
  X (PLAB_ENOTFOUND, -12, "not found")                                                             \
  X (PLAB_ERANGE, -13, "value out of range")                                                       \
  X (PLAB_EOWNERDEAD, -14, "acquired, but its previous holder died holding it")                    \
  X (PLAB_EBROKEN, -15, "the barrier is broken (a party timed out or aborted)")                    \
  X (PLAB_EMSGSIZE, -16, "the message is too large")                                               \
  X (PLAB_EPROTO, -17, "malformed message")                                                        \
  X (PLAB_EDONE, -18, "no more results")                                                           \
  X (PLAB_EINIT, -19, "a worker's initializer failed")                                             \
  X (PLAB_ESTORE_OPEN, -20, "cannot open the run store")                                           \
  X (PLAB_ESTORE_FOREIGN, -21, "not a plab run store: it belongs to another program")              \
  X (PLAB_ESTORE_CORRUPT, -22, "the run store is corrupt or not a database")                       \
  X (PLAB_ESTORE_NEWER, -23, "the run store was written by a newer plab")                          \
  X (PLAB_ESTORE_READONLY, -24, "the run store is read-only")                                      \
  X (PLAB_ESTORE_BUSY, -25, "the run store is locked by another program")                          \
  X (PLAB_ESTORE_IO, -26, "the run store could not be read or written")                            \
  X (PLAB_ESTORE_FULL, -27, "no room is left to write the run store")                              \
  X (PLAB_EDEADLK, -28, "the caller already holds this lock: waiting for it would never end")      \
  X (PLAB_ETYPE, -29, "the value has another type than the call expects")

typedef enum
{
#define PLAB_ERROR_ENUM(name, value, text) name = value,
  PLAB_ERROR_TABLE (PLAB_ERROR_ENUM)
#undef PLAB_ERROR_ENUM
} PlabError;

/* A static string for @code; never NULL, also for unknown codes. */
const char *plab_strerror (int code);

/* The symbolic name of @code ("PLAB_ETIMEDOUT"). */
const char *plab_error_name (int code);

/* Why the last failure in the core on this thread failed, beyond its code:
 * the call or the argument, the system's reason and the limit involved, as
 * "fork: Resource temporarily unavailable (this user may run at most 20
 * processes: RLIMIT_NPROC)", "shm_open /plab.12.x: Too many open files" or
 * "plab_barrier_new counter: parties must be 1 or more". Every constructor
 * that returns NULL or a negative code says why here (plab_process_new (),
 * plab_pool_new (), plab_shm_create (), plab_queue_new (), the plab-sync.h
 * and plab-value.h constructors), as do the system calls of the core. Empty
 * when nothing failed yet. Per thread, so a worker's failure never changes
 * what another thread reads; the text stays until the next failure, so read
 * it right after the call that failed. */
const char *plab_error_detail (void);

/* The code the detail above goes with (0 when nothing failed yet). */
int plab_error_detail_code (void);

/* A message for @code with the detail when the last failure on this thread
 * had that code ("a system call failed: fork: ..."), else plab_strerror
 * (@code). Written into @buf of @len bytes, which is returned. */
const char *plab_error_describe (int code, char *buf, unsigned long len);

/* Notes that system call @call failed with @errnum on this thread (for
 * plab_error_detail ()); returns PLAB_ESYS, so a caller can return it. */
int _plab_error_syscall (const char *call, int errnum);

/* Notes why a call fails with @code, as a printf format; returns @code. */
int _plab_error_set (int code, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

/* A blocking call that watches a flag looks at it at least this often. */
#define PLAB_CANCEL_SLICE_NS 50000000

/* True once the flag the calling thread watches is non-zero; false when it
 * watches none. A thread-local load and a relaxed atomic load, a few
 * nanoseconds: cheap enough to call every few thousand iterations of an
 * inner loop. */
bool plab_cancelled (void);

/* The calling thread watches @flag from now on (NULL: none). Returns the flag
 * it watched before, so that a caller can put it back. The flag is set from
 * a signal handler, or from another thread or process with
 * __atomic_store_n (); it must outlive the watching. */
const volatile sig_atomic_t *plab_cancel_watch (const volatile sig_atomic_t *flag);

/* The flag the calling thread watches, or NULL: a thread a task starts may
 * watch it too. */
const volatile sig_atomic_t *plab_cancel_flag (void);

#ifdef __cplusplus
}
#endif
