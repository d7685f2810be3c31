/* plab-sync.h: locks, semaphores, event flags, conditions and barriers that
 * work between threads and between processes alike.
 *
 * Each object lives in its own anonymous shared mapping: create it before you
 * start the processes that use it (they inherit it), as with Python's
 * multiprocessing.Lock (). Every wait that blocks is recorded on the timeline
 * as a span naming the object ("wait: lock counter"). Timeouts are in
 * nanoseconds: negative waits forever, 0 only tries.
 *
 * Mutexes are robust: when a process dies holding a lock, the next acquirer
 * gets the lock together with PLAB_EOWNERDEAD, and an instant "owner died"
 * is recorded on its lane, so the lab can show it.
 *
 * A thread that watches a cancel flag (plab_cancel_watch (), plab-error.h)
 * looks at it every PLAB_CANCEL_SLICE_NS (50 ms) while it waits: once it is
 * up, every wait below ends with PLAB_ECANCELLED, without what it waited
 * for. A wait of a thread that watches no flag is one system call, as before.
 *
 * A constructor that returns NULL says why in plab_error_detail ()
 * (plab-error.h): the argument at fault, or the system call refused
 * ("mmap of 4096 bytes of shared memory: Cannot allocate memory").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PLAB_SYNC_NAME_MAX 32

/* --- Lock and RLock --- */

typedef struct PlabLock PlabLock;

/* A lock shared by threads and forked processes; @name labels its wait spans.
 * Returns NULL when out of memory. */
PlabLock *plab_lock_new (const char *name);
/* A lock its holder may acquire again; it is free once released as often. */
PlabLock *plab_rlock_new (const char *name);
void plab_lock_free (PlabLock *self);

/* Returns 0, PLAB_ETIMEDOUT, PLAB_EOWNERDEAD (acquired all the same),
 * PLAB_EDEADLK (a lock, not an rlock, that the caller already holds; it
 * stays held once), or PLAB_ECANCELLED (not acquired: see the top of this
 * file). */
int plab_lock_acquire (PlabLock *self, int64_t timeout_ns);
/* Returns 0, or PLAB_ESTATE when the caller does not hold it. */
int plab_lock_release (PlabLock *self);
const char *plab_lock_name (const PlabLock *self);

/* --- Semaphore and bounded semaphore --- */

typedef struct PlabSemaphore PlabSemaphore;

/* @max 0: unbounded; otherwise release beyond @max fails with PLAB_ERANGE. */
PlabSemaphore *plab_semaphore_new (const char *name, unsigned value, unsigned max);
void plab_semaphore_free (PlabSemaphore *self);
int plab_semaphore_acquire (PlabSemaphore *self, int64_t timeout_ns);
int plab_semaphore_release (PlabSemaphore *self);
unsigned plab_semaphore_value (PlabSemaphore *self);

/* --- Event flag (Python's multiprocessing.Event) --- */

typedef struct PlabEventFlag PlabEventFlag;

/* A flag, clear at first (NULL when out of memory); set wakes every waiter,
 * clear makes later waits block again. */
PlabEventFlag *plab_event_flag_new (const char *name);
void plab_event_flag_free (PlabEventFlag *self);
void plab_event_flag_set (PlabEventFlag *self);
void plab_event_flag_clear (PlabEventFlag *self);
bool plab_event_flag_is_set (PlabEventFlag *self);
/* Returns 0 once set, PLAB_ETIMEDOUT or PLAB_ECANCELLED. */
int plab_event_flag_wait (PlabEventFlag *self, int64_t timeout_ns);

/* --- Condition --- */

typedef struct PlabCondition PlabCondition;

/* A condition on its own lock (plab_condition_lock () gives it). */
PlabCondition *plab_condition_new (const char *name);
void plab_condition_free (PlabCondition *self);
PlabLock *plab_condition_lock (PlabCondition *self);
/* Call with the lock held; it is released while waiting and held again on
 * return (also on PLAB_ETIMEDOUT and PLAB_ECANCELLED). */
int plab_condition_wait (PlabCondition *self, int64_t timeout_ns);
void plab_condition_notify (PlabCondition *self);
void plab_condition_notify_all (PlabCondition *self);
/* Wakes up to @n waiters (Python's notify (n)); call with the lock held. */
void plab_condition_notify_n (PlabCondition *self, unsigned n);

/* True when what a waiter waits for holds. */
typedef bool (*PlabPredicateFunc) (void *data);

/* Python's wait_for: with the lock held, waits until @predicate (@data) is
 * true, looking again at every wake-up. Returns 0 once it is (the lock
 * held), PLAB_ETIMEDOUT when it is still false at the deadline, or
 * PLAB_ECANCELLED. */
int plab_condition_wait_for (PlabCondition *self,
                             PlabPredicateFunc predicate,
                             void *data,
                             int64_t timeout_ns);

/* --- Barrier --- */

typedef struct PlabBarrier PlabBarrier;

/* A barrier for @parties callers, used again and again (NULL when out of
 * memory or @parties is 0). */
PlabBarrier *plab_barrier_new (const char *name, unsigned parties);
void plab_barrier_free (PlabBarrier *self);
/* Waits until @parties callers arrived. Returns the caller's arrival index
 * (0 .. parties - 1) or a negative code: PLAB_ETIMEDOUT (or PLAB_ECANCELLED)
 * breaks the barrier for everyone waiting, who then get PLAB_EBROKEN, as do later callers
 * until plab_barrier_reset (). */
int plab_barrier_wait (PlabBarrier *self, int64_t timeout_ns);
void plab_barrier_reset (PlabBarrier *self);
unsigned plab_barrier_parties (const PlabBarrier *self);

/* Run by the last party to arrive, before any party goes on (Python's
 * action); a non-zero return breaks the barrier. Under processes @action
 * and @data must be valid in every party (set it before the fork). */
typedef int (*PlabBarrierAction) (void *data);
void plab_barrier_set_action (PlabBarrier *self, PlabBarrierAction action, void *data);

/* Breaks the barrier: every waiting and later party gets PLAB_EBROKEN until
 * plab_barrier_reset () (Python's abort). */
void plab_barrier_abort (PlabBarrier *self);

/* Parties waiting now (0 when broken), and whether it is broken. */
unsigned plab_barrier_n_waiting (PlabBarrier *self);
bool plab_barrier_broken (PlabBarrier *self);

/* --- Sleep --- */

/* Sleeps, recording a sleep span. Returns 0, or PLAB_ECANCELLED when the
 * calling thread's cancel flag (plab_cancel_watch ()) went up meanwhile: the
 * sleep then ends within PLAB_CANCEL_SLICE_NS. */
int plab_sleep_ns (int64_t ns);

/* --- Shared memory for values and arrays --- */

typedef struct PlabShared PlabShared;

/* @size bytes of zeroed shared memory (an array or a single value), with a
 * lock when @with_lock. Use C11 atomics on the data for lock-free updates. */
PlabShared *plab_shared_new (const char *name, size_t size, bool with_lock);
void plab_shared_free (PlabShared *self);
void *plab_shared_data (PlabShared *self);
size_t plab_shared_size (const PlabShared *self);
/* NULL when created without a lock. */
PlabLock *plab_shared_lock (PlabShared *self);

#ifdef __cplusplus
}
#endif
