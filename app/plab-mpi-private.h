/* plab-mpi-private.h: what a rank (plab-mpi-rank.c) and the runner that
 * reads it (plab-cli-run-mpi.c) agree on beyond the line protocol.
 */
#pragma once

/* The label of every rank's first span: the broadcast of rank 0's spin
 * rate, in which the other ranks wait while rank 0 measures the machine.
 * It is the lab's own setup, not the demo's: the Result figure of where
 * the ranks' time went leaves it out (the timeline shows it). */
#define PLAB_MPI_START_LABEL "MPI_Bcast spin rate"

/* Every line a rank writes ends with a tab and this check of what comes
 * before it, in eight hex digits (32-bit FNV-1a). On mpirun's merged stdout
 * another rank's piece may cut a line and leave two lines' numbers joined
 * into one that still looks whole; its check no longer matches, so the
 * runner leaves it out (and counts it lost) instead of reading a wrong span. */
#define PLAB_MPI_CHECK_DIGITS 8

static inline unsigned int
plab_mpi_line_check (const char *line, size_t n)
{
  unsigned int h = 2166136261u;

  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)line[i]) * 16777619u;
  return h;
}
