/* plab-demo-messages.c: communication against computation, on the mpi backend.
 *
 * What it teaches: ranks share no memory, so every byte a rank works on has
 * to be sent to it first, and a message costs time that grows with its
 * size while the work it feeds may not. Rank 0 sends every other rank
 * messages of doubling size; each rank computes for a fixed time on each
 * and answers. The Result plots the time a message takes to send against
 * the time spent computing on it, size by size: where the ratio passes 1,
 * more ranks stop paying off.
 *
 * The ranks' side is in app/plab-mpi-rank.c (the demo runs nowhere else:
 * there is nothing to send between threads that share memory); this file
 * is the descriptor the runner, the window and the tests read.
 */
#include "plab-demo-private.h"

#include <stdio.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_messages_lesson[]
    = "Ranks share no memory, so every byte a rank works on must be sent to it first. Rank 0 "
      "sends each other rank messages of doubling size, and each rank computes for a fixed "
      "time on every message before it answers. On the timeline the sends and receives grow "
      "with the size while the tasks stay the same. The Result shows send time over work "
      "time for each size: where it passes 1, moving the data costs more than the work it "
      "feeds, and more ranks stop helping.";

enum
{
  PARAM_MAX_KB,
  PARAM_WORK_MS,
  PARAM_ROUNDS,
  N_PARAMS
};

const PlabParamSpec _plab_demo_messages_params[N_PARAMS] = {
  [PARAM_MAX_KB]
  = { "max_kb", PLAB_PARAM_INT, "the largest message; sizes double from 1 KiB up to it", 16384, 1,
      262144, NULL, "KiB" },
  [PARAM_WORK_MS]
  = { "work_ms", PLAB_PARAM_DOUBLE, "CPU time a rank computes on each message it receives", 2, 0.01,
      1000, NULL, "ms" },
  [PARAM_ROUNDS]
  = { "rounds", PLAB_PARAM_INT, "messages of each size sent to every rank (the shortest counts)", 5,
      1, 100, NULL, "messages" },
};

int
_plab_demo_messages_run (PlabDemoRun *run)
{
  snprintf (run->error, sizeof run->error,
            "messages runs on the mpi backend only: its ranks send each other messages");
  return PLAB_EINVAL;
}
