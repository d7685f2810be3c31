/* plab-machine-load.h: how busy the machine was around a run.
 *
 * A time measured while other programs use the CPUs is longer than the same
 * run on a quiet machine, and a number on a projector is believed. So the
 * recording engine measures the machine around every run and stores it with
 * the run:
 *
 *   PlabMachineLoadProbe probe;
 *   PlabMachineLoad load;
 *
 *   plab_machine_load_begin (&probe);
 *   ... the run ...
 *   plab_machine_load_end (&probe, &load);
 *   if (plab_machine_load_is_busy (&load))
 *     ... plab_machine_load_describe (&load, text, sizeof text) ...
 *
 * What is measured, from /proc (Linux):
 *
 * - the 1-minute load average just before the run (/proc/loadavg), for the
 *   record: it also counts the runs just before this one, so it does not
 *   decide anything;
 * - the CPU time other programs used during the run on the CPUs this
 *   process may run on: their busy time in /proc/stat, less the CPU time of
 *   this process and its reaped children (getrusage ()), which is the run's
 *   own;
 * - the time a hypervisor gave to other machines (steal in /proc/stat).
 *
 * Both are shares of the time those CPUs had during the run (wall time x
 * CPUs). /proc/stat counts in clock ticks (10 ms), so a short run is
 * measured coarsely: a share is only taken as busy when it is above its
 * threshold by more than that resolution.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A run's times are not to be trusted when other programs used more than
 * this share of the CPUs during it ... */
#define PLAB_BUSY_OTHERS_SHARE 0.25
/* ... or a hypervisor gave more than this share of them to other machines. */
#define PLAB_BUSY_STEAL_SHARE 0.10

/* How busy the machine was around one run. */
typedef struct
{
  bool measured;       /* false: not measured (recorded before plab measured, or no /proc) */
  double load_avg;     /* the 1-minute load average before the run; < 0 when unknown */
  int cpus;            /* the CPUs measured: those this process may run on */
  double others_share; /* CPU time of other programs / (window x cpus), 0..1 */
  double steal_share;  /* time stolen by a hypervisor / (window x cpus), 0..1 */
  int64_t window_ns;   /* how long the measurement lasted */
} PlabMachineLoad;

/* The machine as plab_machine_load_begin () found it. */
typedef struct
{
  bool ok;
  double load_avg;
  int cpus;
  int64_t t0_ns;
  int64_t own_cpu_ns;
  int64_t busy_ticks;
  int64_t steal_ticks;
} PlabMachineLoadProbe;

/* Reads the machine before a run. Never fails: a machine without /proc
 * gives a probe whose load reads "not measured". */
void plab_machine_load_begin (PlabMachineLoadProbe *probe);

/* Reads it again after the run and fills *@out with what happened between. */
void plab_machine_load_end (const PlabMachineLoadProbe *probe, PlabMachineLoad *out);

/* Whether the run's times are not to be trusted: other programs' share or
 * the steal share is above its threshold by more than the resolution of
 * the measurement. False when not measured. */
bool plab_machine_load_is_busy (const PlabMachineLoad *load);

/* A sentence for the user (no capital, no full stop, so that it fits in a
 * line of a table or after a label): "other programs used 60% of the 2
 * CPUs during this run: times may be longer than on a quiet machine" when
 * busy, "quiet: other programs used 3% of the 2 CPUs" when not, "not
 * measured" when not measured. Returns @buf. */
char *plab_machine_load_describe (const PlabMachineLoad *load, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
