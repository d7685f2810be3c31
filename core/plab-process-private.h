/* plab-process-private.h: fork and wait helpers shared by processes and pools. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "plab-process.h"

/* Prepares a freshly forked child: it dies with its parent (checking that
 * the parent @parent did not already go before prctl took effect), ignores
 * SIGINT and SIGHUP (the parent decides what Ctrl+C and a hang-up mean), and
 * takes default SIGTERM. */
void _plab_child_setup (pid_t parent);

/* pidfd_open (), or -1 where the kernel lacks it. */
int _plab_pidfd_open (pid_t pid);

/* Waits until @pid ends or @timeout_ns passes (negative: forever), using
 * @pidfd when it is >= 0. Reaps it and fills *status. Returns 0 or
 * PLAB_ETIMEDOUT. */
int _plab_wait_pid (pid_t pid, int pidfd, int64_t timeout_ns, PlabExitStatus *status);

/* Turns a waitpid () status into a PlabExitStatus. */
void _plab_exit_status_from_wait (int wstatus, PlabExitStatus *status);
