/* plab-queue.h: a bounded queue of byte messages between threads or processes,
 * like Python's multiprocessing.JoinableQueue, without its feeder thread.
 *
 * Messages are copied into a ring in shared memory by put () itself, so a
 * process that exits never waits for a background thread to flush unread data,
 * and a join can never deadlock on it. Create the queue before starting the
 * processes that use it. Every blocked put or get is a "wait: queue NAME" span,
 * and the depth is recorded as the counter track "queue NAME" (at most every
 * 5 us, and whenever the queue runs empty). With one producer and one
 * consumer thread, neither takes a lock; a second one on a side makes that
 * side take its lock from then on.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PlabQueue PlabQueue;

/* At most @max_items messages (0: no count limit) and @capacity bytes of
 * framed data (0: 1 MiB). A message may be up to capacity / 2 bytes. NULL
 * when the memory or its locks are refused; plab_error_detail () says why. */
PlabQueue *plab_queue_new (const char *name, size_t max_items, size_t capacity);
void plab_queue_free (PlabQueue *self);

/* Copies @size bytes in. Returns 0, PLAB_EFULL when still full at the timeout,
 * PLAB_ECLOSED, or PLAB_EMSGSIZE. Timeouts: negative forever, 0 only tries.
 * Every wait of this file also ends with PLAB_ECANCELLED, within 50 ms, once
 * the calling thread's cancel flag goes up (plab_cancelled (), plab-error.h). */
int plab_queue_put (PlabQueue *self, const void *data, size_t size, int64_t timeout_ns);

/* Takes the oldest message into @buf (@buf_size bytes) and stores its size.
 * Returns 0, PLAB_EEMPTY when still empty at the timeout, PLAB_ECLOSED when
 * closed and drained, or PLAB_EMSGSIZE when @buf is too small (the message
 * stays queued; *size_out says how large it is). */
int plab_queue_get (PlabQueue *self,
                    void *buf,
                    size_t buf_size,
                    size_t *size_out,
                    int64_t timeout_ns);

/* Messages queued now (exact). */
size_t plab_queue_depth (PlabQueue *self);

/* No more puts; gets drain what is left, then fail with PLAB_ECLOSED. */
void plab_queue_close (PlabQueue *self);

/* A consumer says one message it got is fully handled. PLAB_ERANGE when
 * called more often than messages were put. */
int plab_queue_task_done (PlabQueue *self);

/* Waits until every message put has been marked done. 0, PLAB_ETIMEDOUT or
 * PLAB_ECANCELLED. */
int plab_queue_join (PlabQueue *self, int64_t timeout_ns);

/* The name given at creation, as in its wait spans and counter track. */
const char *plab_queue_name (const PlabQueue *self);

#ifdef __cplusplus
}
#endif
