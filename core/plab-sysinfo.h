/* plab-sysinfo.h: facts about the machine a run is measured on. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CPUs this process may use: its affinity mask, reduced by a cgroup CPU quota
 * (cpu.max) when there is one. At least 1. */
int plab_usable_cpus (void);

/* CPUs online in the system. */
int plab_online_cpus (void);

typedef struct
{
  char host[128];
  char cpu_model[128];
  int usable_cpus;
  int online_cpus;
  char os[128];      /* "Linux 6.1.0-18-amd64 x86_64" */
  char compiler[64]; /* "gcc 12.2.0" */
  char version[32];  /* plab's version */
} PlabMachineInfo;

/* Fills *out with this machine, for the run store and benchmark headers. */
void plab_machine_info (PlabMachineInfo *out);

/* CPU time (user + system) of this process and its reaped children, in ns. */
int64_t plab_cpu_time_ns (void);

/* The start time of process @pid in clock ticks since boot (field 22 of
 * /proc/PID/stat), or -1 when there is no such process or it has already
 * exited (a zombie waiting to be reaped). Together with the pid it names a
 * process even after the pid is reused. */
int64_t plab_process_start_ticks (int pid);

/* How long thread @tid of process @pid has been runnable but waiting for a
 * CPU core, in ns, into *ns_out: the kernel's run delay, the second field of
 * /proc/PID/task/TID/schedstat (/proc/PID/schedstat, the main thread, when
 * @tid <= 0). It only grows while the thread lives. Returns 0; PLAB_EINVAL
 * for a bad argument; PLAB_ENOTFOUND when there is no such thread (it ended)
 * or the kernel keeps no schedstat (then *ns_out is untouched). */
int plab_sched_run_delay (int pid, int tid, int64_t *ns_out);

#ifdef __cplusplus
}
#endif
