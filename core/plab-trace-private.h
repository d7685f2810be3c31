/* plab-trace-private.h: what other core files need of the trace recorder. */
#pragma once

#include "plab-trace.h"

/* Appends @event to lane @lane from the parent, for a lane whose worker is
 * dead (so the single-writer rule still holds): a crash marker, say. */
void _plab_trace_append (PlabTrace *self, int lane, const PlabEvent *event);
