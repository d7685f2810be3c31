/* plab-start-private.h: starting a child by spawn or forkserver, for
 * processes and pools. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plab-start.h"

/* What a started child runs: each kind names a boot function of the library,
 * so the choice itself needs no pointer. */
enum
{
  BOOT_PROCESS = 1, /* _plab_process_boot () */
  BOOT_POOL_WORKER, /* _plab_pool_worker_boot () */
};

#define BOOT_MAX_FDS 8
#define BOOT_MAX_PAYLOAD (64 * 1024)

/* Starts a child by @method (SPAWN or FORKSERVER) that runs the boot
 * function of @kind with a copy of @payload and of the @n_fds descriptors
 * @fds. The child is a child of the caller either way (waitpid () works).
 * Returns 0 and sets *pid_out, or PLAB_EINVAL, PLAB_EMSGSIZE, PLAB_ESYS. */
int _plab_start_child (PlabStartMethod method,
                       int kind,
                       const void *payload,
                       size_t size,
                       const int *fds,
                       int n_fds,
                       pid_t *pid_out);

/* In a child started by spawn or forkserver: where the thing that lay at
 * @parent_addr in the parent's program image lies here (code or a global).
 * Any other address, and every address in other processes, is returned as
 * it is. */
void *_plab_addr_local (const void *parent_addr);

/* The pid of the process that asked for this child (the child's parent by
 * then), set before the boot function runs. */
pid_t _plab_boot_parent (void);

/* Boot functions, each in the file of its kind. They never return. */
_Noreturn void _plab_process_boot (const void *payload, size_t size, const int *fds, int n_fds);
_Noreturn void _plab_pool_worker_boot (const void *payload, size_t size, const int *fds, int n_fds);
