/* plab-trace-private.h: what other core files need of the trace recorder. */
#pragma once

#include "plab-trace.h"

/* Appends @event to lane @lane from the parent, for a lane whose worker is
 * dead (so the single-writer rule still holds): a crash marker, say. */
void _plab_trace_append (PlabTrace *self, int lane, const PlabEvent *event);

/* The memfd behind a process lane while it has not ended (-1 otherwise),
 * and the size of its mapping: what a child started by spawn or forkserver
 * needs to record on the lane. The trace keeps the descriptor. */
int _plab_trace_lane_fd (PlabTrace *self, int lane, size_t *map_size);

/* In such a child: maps the lane from @fd (closed here) and records the
 * calling thread's spans on it. Returns 0 or PLAB_ESYS. */
int _plab_trace_attach_fd (int fd, size_t map_size);

/* The most items one call of _plab_trace_item_spans () records. */
#define PLAB_ITEM_SPANS_MAX 64

/* Records the task spans of @n map items (@task_ids, and @labels or NULL
 * for none) that ran one after the other, in that order, between @start_ns
 * and @end_ns, on the calling thread's lane: each gets an equal share of
 * the interval, so the clock is read once for the lot rather than twice an
 * item. The events are published with one store of the ring's head; those
 * that do not fit in the ring are dropped and counted. @n is at most
 * PLAB_ITEM_SPANS_MAX. */
void _plab_trace_item_spans (const int64_t *task_ids,
                             const char (*labels)[PLAB_LABEL_MAX],
                             size_t n,
                             int64_t start_ns,
                             int64_t end_ns);

/* How many events the calling thread has written to its lane (0 when it
 * records nothing): a caller compares two reads to learn whether anything
 * was recorded in between. */
uint64_t _plab_trace_written (void);

/* plab_span_begin () with a start time the caller has read already. */
int64_t _plab_span_begin_at (PlabSpanKind kind, int64_t task_id, const char *label, int64_t now);
