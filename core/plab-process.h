/* plab-process.h: a child process running a function, like Python's
 * multiprocessing.Process.
 *
 * By default the child is a fork of the caller: it sees the caller's memory
 * as it was at plab_process_start (). The spawn and forkserver start methods
 * (plab_process_set_start_method (), plab-start.h) begin it from a fresh run
 * of the program or from a fork server instead. It runs @func (@arg) and exits with its return value
 * (0..255). The child dies with its parent (PR_SET_PDEATHSIG), so a killed
 * runner never leaves workers behind.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "plab-manager.h"
#include "plab-start.h"
#include "plab-trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PlabProcess PlabProcess;

typedef int (*PlabProcessFunc) (void *arg);

typedef enum
{
  PLAB_PROCESS_NOT_STARTED = 0,
  PLAB_PROCESS_RUNNING,
  PLAB_PROCESS_EXITED, /* ended by exit; code says with what */
  PLAB_PROCESS_KILLED, /* ended by a signal; signal says which */
} PlabProcessState;

typedef struct
{
  PlabProcessState state;
  int code;   /* exit code when EXITED */
  int signal; /* signal number when KILLED */
} PlabExitStatus;

/* A new process, not started. @name is copied (NULL: "process N"). NULL
 * when @func is NULL or memory is short; plab_error_detail () says which. */
PlabProcess *plab_process_new (const char *name, PlabProcessFunc func, void *arg);

/* Frees the handle, reaping the child so that no zombie is left. A child
 * still running is waited for, as Python waits for non-daemon children at
 * exit; a daemon child is terminated instead (SIGTERM, then SIGKILL after a
 * second). */
void plab_process_free (PlabProcess *self);

/* Marks the child a daemon (before start; PLAB_ESTATE after). Every child
 * dies with its parent either way, so none outlives a killed runner. */
int plab_process_set_daemon (PlabProcess *self, bool daemon);
bool plab_process_daemon (const PlabProcess *self);

/* Inside a child started by plab_process_start (): the pid of the process
 * that started it (Python's parent_process ()). 0 in any other process. */
pid_t plab_process_parent_pid (void);

/* How the child begins (before start; PLAB_ESTATE after, PLAB_EINVAL for an
 * unknown method): fork (the default), spawn or forkserver (plab-start.h). */
int plab_process_set_start_method (PlabProcess *self, PlabStartMethod method);
PlabStartMethod plab_process_start_method (const PlabProcess *self);

/* Under spawn and forkserver, the child gets its own copy of the first @size
 * bytes at @arg (as Python pickles a Process's arguments); without it the
 * child gets @arg as a number, moved only when it points into the program's
 * globals. Fork needs none of this. Before start; PLAB_EINVAL when @arg is
 * NULL or @size is over 60 KiB. */
int plab_process_set_arg_size (PlabProcess *self, size_t size);

/* Hands the child @proxy, a manager proxy (plab-manager.h; borrowed, and
 * it must outlive the start), which the child's function finds with
 * plab_proxy_inherited () under every start method: a forked child gets the
 * pointer, a spawned or forkserver child a connection of its own made from
 * the proxy's descriptor, passed down with its boot message. The parent
 * must not use @proxy while the child does. Before start (PLAB_ESTATE
 * after); NULL hands none. */
int plab_process_set_proxy (PlabProcess *self, PlabProxy *proxy);

/* Record the child's spans on a new lane of @trace (set before start). */
void plab_process_set_trace (PlabProcess *self, PlabTrace *trace);

/* Forks the child. Returns 0, PLAB_ESTATE when already started, PLAB_ESYS. */
int plab_process_start (PlabProcess *self);

/* Waits for the child to end, at most @timeout_ns (negative: forever, 0: just
 * look). Fills *status (may be NULL). Returns 0 when it ended, PLAB_ETIMEDOUT
 * while it is still running, PLAB_ESTATE when it was never started. */
int plab_process_join (PlabProcess *self, int64_t timeout_ns, PlabExitStatus *status);

/* True while the child runs (looks without waiting; reaps it once ended). */
bool plab_process_is_alive (PlabProcess *self);

/* SIGTERM and SIGKILL. Returns 0, or PLAB_ESTATE when not running. */
int plab_process_terminate (PlabProcess *self);
int plab_process_kill (PlabProcess *self);

/* The child's pid (0 before start) and the name given at creation. */
pid_t plab_process_pid (const PlabProcess *self);
const char *plab_process_name (const PlabProcess *self);

/* A file descriptor that becomes readable when the child ends (Python's
 * Process.sentinel), for poll () loops and plab_wait_ready () (plab-wait.h).
 * It is a pidfd (Linux 5.3 or later), the same for the fork, spawn and
 * forkserver start methods, since the child is the caller's child under
 * each; it stays readable once the child has ended, joined or not. The
 * handle owns it: do not close it; it is valid until plab_process_free ().
 * Returns the descriptor, PLAB_ESTATE before start, or PLAB_ESYS where the
 * kernel has no pidfd_open (plab_error_detail () says so). */
int plab_process_sentinel (const PlabProcess *self);

/* The lane the child records on, or -1 without a trace. */
int plab_process_lane (const PlabProcess *self);

/* Python's active_children (): the processes this process started (and has
 * not freed) that are still running; those that ended are reaped on the
 * way. Writes up to @max of them to @out (may be NULL) and returns how many
 * there are. Safe to call from any thread. */
int plab_active_children (PlabProcess **out, int max);

/* Writes "exited with code 3" / "killed by signal 9 (Killed)" into @buf. */
void plab_exit_status_describe (const PlabExitStatus *status, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
