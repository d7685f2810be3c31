/* plab-wait.h: waiting for the first of several processes and connections
 * to be ready, like Python's multiprocessing.connection.wait ().
 *
 * Fill an array of PlabWaitable, one per thing to watch, and call
 * plab_wait_ready (): it returns as soon as at least one is ready, marks
 * which, and leaves the rest for the next call. A process is ready once it
 * has ended (its sentinel, plab_process_sentinel (), is readable), a
 * connection once a message or end of file can be read without blocking,
 * and a raw descriptor once it is readable. A loop that takes out what was
 * ready and waits again sees the things in the order they became ready.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "plab-pipe.h"
#include "plab-process.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  PLAB_WAITABLE_PROCESS,
  PLAB_WAITABLE_CONN,
  PLAB_WAITABLE_FD,
} PlabWaitableKind;

typedef struct
{
  PlabWaitableKind kind;
  union
  {
    PlabProcess *process; /* PLAB_WAITABLE_PROCESS: started, borrowed */
    PlabConn *conn;       /* PLAB_WAITABLE_CONN: borrowed */
    int fd;               /* PLAB_WAITABLE_FD */
  } u;
  /* Set by plab_wait_ready (): true when this one is ready. */
  bool ready;
} PlabWaitable;

/* Shorthands that fill one entry. */
PlabWaitable plab_waitable_process (PlabProcess *process);
PlabWaitable plab_waitable_conn (PlabConn *conn);
PlabWaitable plab_waitable_fd (int fd);

/* Waits until at least one of the @n entries of @objs is ready, at most
 * @timeout_ns (negative: forever, 0: just look). Sets each entry's ready
 * flag and returns how many are ready: 0 when the timeout passed first.
 * Returns PLAB_EINVAL for a bad entry or @n out of 0..1024, PLAB_ESTATE for
 * a process never started, PLAB_ESYS, or PLAB_ECANCELLED when the calling
 * thread's cancel flag went up while it waited (plab-error.h). A wait that
 * blocks is recorded as a wait span and lets other threads run under the
 * gil backend. */
int plab_wait_ready (PlabWaitable *objs, int n, int64_t timeout_ns);

#ifdef __cplusplus
}
#endif
