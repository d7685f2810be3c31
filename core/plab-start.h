/* plab-start.h: how a child process begins, like Python's start methods
 * (multiprocessing.set_start_method ()).
 *
 *   fork        the child is a copy of the caller at the moment of the start:
 *               it sees every global and heap object as the caller had them,
 *               but only the thread that forked (the default).
 *   spawn       the child is a fresh run of the program (/proc/self/exe): it
 *               sees globals as the program starts with them, none of the
 *               caller's heap, and no thread. What it runs, and its argument,
 *               travel over a socket as one framed message.
 *   forkserver  a server process, started early (plab_forkserver_start ()),
 *               forks each child on request: the child sees the memory the
 *               program had when the server started, not what the caller did
 *               since. The child is handed back to the caller, which waits
 *               for it as for any child of its own.
 *
 * Under spawn and forkserver a function pointer is valid in the child (it is
 * moved to where the same code lies there); a pointer into the program's
 * globals points to the child's own copy of that global; any other pointer
 * (the heap, the stack) is passed as the same number, which the child cannot
 * use: copy such an argument (plab_process_set_arg_size ()). Shared mappings
 * the library made (pool arenas, task slots) are passed as file descriptors.
 */
#pragma once

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  PLAB_START_FORK = 0,
  PLAB_START_SPAWN,
  PLAB_START_FORKSERVER,
  PLAB_N_START_METHODS
} PlabStartMethod;

/* "fork", "spawn", "forkserver". */
const char *plab_start_method_name (PlabStartMethod method);

/* Returns 0 and sets *out, or PLAB_EINVAL for an unknown name. */
int plab_start_method_from_name (const char *name, PlabStartMethod *out);

/* Call it first in main (): in a child started by the spawn method it runs
 * what the parent asked for and exits, never returning; in any other process
 * it returns 0 at once. The library also calls it from a constructor before
 * main (), so a program that forgets cannot run its main () again in a
 * spawned child; calling it keeps the program's intent readable. */
int plab_spawn_main (int argc, char **argv);

/* Starts this process's fork server now, while the program is still small
 * and has one thread (as Python starts its server at the first start). The
 * first forkserver start does it otherwise. The calling process becomes a
 * child subreaper (prctl PR_SET_CHILD_SUBREAPER), so that the server's
 * children are handed to it. Returns 0 or PLAB_ESYS. */
int plab_forkserver_start (void);

/* Stops the fork server (it exits when its socket closes) and reaps it. The
 * children it started live on. */
void plab_forkserver_stop (void);

/* The fork server's pid, 0 when none runs. */
int plab_forkserver_pid (void);

#ifdef __cplusplus
}
#endif
