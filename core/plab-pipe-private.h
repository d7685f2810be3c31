/* plab-pipe-private.h: a connection end made from a descriptor that came
 * from elsewhere (a spawned child's boot message). */
#pragma once

#include <stddef.h>

#include "plab-pipe.h"

/* Wraps @fd, one end of a plab_pipe_new () socket pair passed down to this
 * process, as a connection that owns it. Returns NULL when out of memory
 * (@fd is left open). */
PlabConn *_plab_conn_from_fd (int fd, const char *name, size_t max_message);
