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
