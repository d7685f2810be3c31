/* plab-sync-private.h: helpers shared by the synchronisation objects, the
 * queue and the pipe. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A zeroed anonymous shared mapping of at least @size bytes, or NULL. */
void *_plab_shared_alloc (size_t size);
void _plab_shared_release (void *mem, size_t size);

/* Initialises a process-shared robust mutex (recursive when asked) and a
 * process-shared condition variable on CLOCK_MONOTONIC. */
int _plab_mutex_init (pthread_mutex_t *mutex, int recursive);
int _plab_cond_init (pthread_cond_t *cond);

/* The absolute CLOCK_MONOTONIC deadline of a relative timeout; -1 forever. */
int64_t _plab_deadline (int64_t timeout_ns);

/* Locks @mutex until @deadline (-1: forever). Returns 0, PLAB_ETIMEDOUT,
 * PLAB_EOWNERDEAD (locked; made consistent) or PLAB_ECANCELLED (not locked:
 * the calling thread's cancel flag went up while it waited; looked at every
 * PLAB_CANCEL_SLICE_NS). */
int _plab_mutex_lock (pthread_mutex_t *mutex, int64_t deadline);

/* Waits on @cond until @deadline. Returns 0, PLAB_ETIMEDOUT, PLAB_EOWNERDEAD
 * or PLAB_ECANCELLED (at once when the calling thread's cancel flag is up,
 * or within PLAB_CANCEL_SLICE_NS once it goes up); @mutex is held again on
 * every return. */
int _plab_cond_wait (pthread_cond_t *cond, pthread_mutex_t *mutex, int64_t deadline);

/* The calling thread as a number unique on the machine while it runs:
 * process id << 32 | thread id (a forked child gets its own). */
uint64_t _plab_thread_id (void);
/* Whether thread @tid still runs (a zombie does not). */
bool _plab_thread_alive (uint32_t tid);

/* An asymmetric fence between processes. A thread that will run the light
 * side (a store, a compiler barrier, a load) registers its process first
 * (once per process; later calls only say the answer); false when the system
 * cannot do it (use sequentially consistent atomics on both sides then). The heavy side, after its store, runs
 * _plab_asym_fence_heavy () before its load. */
bool _plab_asym_fence_register (void);
void _plab_asym_fence_heavy (void);

/* Whether spinning a moment on something another thread is about to change
 * can help: only with another CPU to run that thread meanwhile. */
bool _plab_spin_worthwhile (void);

/* One pause of a spin loop. */
static inline void
_plab_cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

/* Sleeps on the shared futex @word while it holds @expected, until a wake,
 * a slice of PLAB_CANCEL_SLICE_NS when the thread watches a cancel flag, or
 * @deadline (-1: forever). Returns 0 (look again at what you wait for),
 * PLAB_ETIMEDOUT once @deadline has passed, or PLAB_ECANCELLED. */
int _plab_futex_wait (_Atomic uint32_t *word, uint32_t expected, int64_t deadline);
/* Bumps @word and wakes every thread sleeping on it. */
void _plab_futex_wake_all (_Atomic uint32_t *word);

/* Blocking calls let other threads run under a simulated GIL, as in CPython.
 * A call that may block (@timeout_ns non-zero) lets the GIL go first with
 * _plab_gil_let_go (), which says whether it did; _plab_gil_back () takes it
 * back after the call and returns the call's @rc. */
bool _plab_gil_let_go (int64_t timeout_ns);
int _plab_gil_back (bool let_go, int rc);
