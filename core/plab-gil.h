/* plab-gil.h: a simulated global interpreter lock, to show why CPU-bound
 * Python threads do not speed up while I/O-bound ones do.
 *
 * A thread attached to a GIL must hold it to run. plab_checkpoint () is the
 * interpreter's "eval breaker": once the holder has run for the switch
 * interval (5 ms by default, as in CPython) and another thread waits, it gives
 * the lock up and queues for it again. Every blocking call of the library
 * (sleep, queue, pipe, lock, semaphore, event, barrier, condition, join)
 * releases it while it blocks. Waiting for it is a "gil wait" span.
 *
 * The pool's gil backend does all of this for its workers; a demo's CPU loop
 * only calls plab_checkpoint () now and then, and stops when it returns true
 * (the run was cancelled: see plab_cancelled () in plab-error.h). Threads not attached to a GIL
 * pay nothing for any of it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PLAB_GIL_DEFAULT_SWITCH_NS 5000000

typedef struct PlabGil PlabGil;

/* @switch_interval_ns 0: PLAB_GIL_DEFAULT_SWITCH_NS. */
PlabGil *plab_gil_new (int64_t switch_interval_ns);
void plab_gil_free (PlabGil *self);

/* The calling thread runs under @gil from now on (NULL: none), and takes it. */
void plab_gil_attach (PlabGil *gil);
/* Gives the lock up and detaches the calling thread. */
void plab_gil_detach (void);

/* Lets another thread run if the switch interval has passed and one waits.
 * Returns plab_cancelled (): true once the calling thread's work is
 * cancelled, so that a CPU loop that checkpoints stops there as well. Costs
 * a few nanoseconds on any thread, attached to a GIL or not. */
bool plab_checkpoint (void);

/* Explicit release and take, for code that blocks outside the library. */
bool plab_gil_release (void);
void plab_gil_acquire (bool was_released);

/* Forced switches so far (for tests and the lab's explanations). */
uint64_t plab_gil_switches (PlabGil *self);

#ifdef __cplusplus
}
#endif
