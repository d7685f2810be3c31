/* plab-mpi-private.h: what a rank (plab-mpi-rank.c) and the runner that
 * reads it (plab-cli-run-mpi.c) agree on beyond the line protocol.
 */
#pragma once

/* The label of every rank's first span: the broadcast of rank 0's spin
 * rate, in which the other ranks wait while rank 0 measures the machine.
 * It is the lab's own setup, not the demo's: the Result figure of where
 * the ranks' time went leaves it out (the timeline shows it). */
#define PLAB_MPI_START_LABEL "MPI_Bcast spin rate"
