/* plab-wait.c: one poll () over the sentinels of processes, the descriptors
 * of connections and raw descriptors.
 *
 * A connection may already hold a whole message in its own buffer, read
 * along with an earlier one; poll () on its descriptor would not see it, so
 * each connection is asked first (plab_conn_poll () with no wait), and only
 * when nothing is ready does the call block in poll ().
 */
#include "plab-wait.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include "plab-error.h"
#include "plab-gil.h"
#include "plab-trace.h"

#define WAIT_MAX 1024
/* How often a process without a sentinel is asked whether it ended. */
#define ASKED_SLICE_NS 10000000LL

PlabWaitable
plab_waitable_process (PlabProcess *process)
{
  return (PlabWaitable){ .kind = PLAB_WAITABLE_PROCESS, .u.process = process };
}

PlabWaitable
plab_waitable_conn (PlabConn *conn)
{
  return (PlabWaitable){ .kind = PLAB_WAITABLE_CONN, .u.conn = conn };
}

PlabWaitable
plab_waitable_fd (int fd)
{
  return (PlabWaitable){ .kind = PLAB_WAITABLE_FD, .u.fd = fd };
}

/* Fills @pfds from @objs. Returns 0 or a negative code. */
static int
collect_fds (PlabWaitable *objs, int n, struct pollfd *pfds)
{
  for (int i = 0; i < n; i++)
    {
      int fd = -1;

      switch (objs[i].kind)
        {
        case PLAB_WAITABLE_PROCESS:
          if (objs[i].u.process == NULL)
            return PLAB_EINVAL;
          fd = plab_process_sentinel (objs[i].u.process);
          if (fd == PLAB_ESYS)
            {
              /* No pidfd (a kernel before 5.3, or valgrind): poll ()
               * skips the entry, and poll_ready () asks the process. */
              pfds[i] = (struct pollfd){ .fd = -1 };
              continue;
            }
          if (fd < 0)
            return fd;
          break;
        case PLAB_WAITABLE_CONN:
          if (objs[i].u.conn == NULL)
            return PLAB_EINVAL;
          fd = plab_conn_fd (objs[i].u.conn);
          break;
        case PLAB_WAITABLE_FD:
          fd = objs[i].u.fd;
          break;
        default:
          return PLAB_EINVAL;
        }
      if (fd < 0)
        return PLAB_EINVAL;
      pfds[i] = (struct pollfd){ .fd = fd, .events = POLLIN };
    }
  return 0;
}

/* Connections with a whole message already buffered are ready without a
 * poll. Returns how many there are, or a negative code. */
static int
buffered_ready (PlabWaitable *objs, int n)
{
  int ready = 0;

  for (int i = 0; i < n; i++)
    if (objs[i].kind == PLAB_WAITABLE_CONN)
      {
        int r = plab_conn_poll (objs[i].u.conn, 0);
        if (r < 0)
          return r;
        if (r > 0)
          {
            objs[i].ready = true;
            ready++;
          }
      }
  return ready;
}

/* poll () until something is ready or @deadline (negative: none) passes,
 * in slices when the thread watches a cancel flag. */
/* Marks the processes without a sentinel that have ended. Returns how many. */
static int
ended_without_sentinel (PlabWaitable *objs, int n, const struct pollfd *pfds)
{
  int ready = 0;

  for (int i = 0; i < n; i++)
    if (objs[i].kind == PLAB_WAITABLE_PROCESS && pfds[i].fd < 0
        && !plab_process_is_alive (objs[i].u.process))
      {
        objs[i].ready = true;
        ready++;
      }
  return ready;
}

static int
poll_ready (PlabWaitable *objs, int n, struct pollfd *pfds, int64_t deadline)
{
  bool watched = plab_cancel_flag () != NULL;
  bool asked = false;

  for (int i = 0; i < n; i++)
    asked = asked || (objs[i].kind == PLAB_WAITABLE_PROCESS && pfds[i].fd < 0);
  /* Processes without a sentinel are asked every slice. */
  watched = watched || asked;
  for (;;)
    {
      bool forever = deadline < 0;
      int64_t left = forever ? 0 : deadline - plab_now_ns ();
      bool sliced;
      int ms, r, ready = 0;

      if (left < 0)
        left = 0;
      if (watched && plab_cancelled ())
        return PLAB_ECANCELLED;
      sliced = watched && (forever || left > PLAB_CANCEL_SLICE_NS);
      if (sliced)
        ms = (int)((asked ? ASKED_SLICE_NS : PLAB_CANCEL_SLICE_NS) / 1000000);
      else if (forever)
        ms = -1;
      else
        ms = (int)((left + 999999) / 1000000);
      r = poll (pfds, (nfds_t)n, ms);
      if (r < 0 && errno != EINTR)
        return _plab_error_syscall ("poll", errno);
      for (int i = 0; r > 0 && i < n; i++)
        if (pfds[i].fd >= 0 && pfds[i].revents != 0)
          {
            objs[i].ready = true;
            ready++;
          }
      if (asked)
        ready += ended_without_sentinel (objs, n, pfds);
      if (ready > 0)
        return ready;
      if (r == 0 && !sliced)
        return 0;
    }
}

static int
wait_ready_blocking (PlabWaitable *objs, int n, int64_t timeout_ns)
{
  struct pollfd stack_pfds[16];
  struct pollfd *pfds = n <= 16 ? stack_pfds : calloc ((size_t)n, sizeof *pfds);
  int64_t t0 = plab_now_ns ();
  int rc;

  if (pfds == NULL)
    return PLAB_ENOMEM;
  for (int i = 0; i < n; i++)
    objs[i].ready = false;
  rc = collect_fds (objs, n, pfds);
  if (rc == 0)
    rc = buffered_ready (objs, n);
  /* With a message already buffered, the poll only looks, so that every
   * entry ready now is marked, not only the buffered ones. */
  if (rc >= 0)
    rc = poll_ready (objs, n, pfds, rc > 0 ? t0 : timeout_ns < 0 ? -1 : t0 + timeout_ns);
  if (rc >= 0)
    {
      rc = 0;
      for (int i = 0; i < n; i++)
        rc += objs[i].ready;
    }
  /* A wait that blocked is a wait on the timeline; a look is not. */
  if (timeout_ns != 0 && plab_tracing () && plab_now_ns () - t0 > 20000)
    plab_span (PLAB_SPAN_WAIT, t0, plab_now_ns (), -1, "wait: ready");
  if (pfds != stack_pfds)
    free (pfds);
  return rc;
}

int
plab_wait_ready (PlabWaitable *objs, int n, int64_t timeout_ns)
{
  bool gil;
  int rc;

  if (n < 0 || n > WAIT_MAX || (n > 0 && objs == NULL))
    return PLAB_EINVAL;
  /* Blocking calls let other threads run under a simulated GIL, as in CPython. */
  gil = timeout_ns != 0 && plab_gil_release ();
  rc = wait_ready_blocking (objs, n, timeout_ns);
  plab_gil_acquire (gil);
  return rc;
}
