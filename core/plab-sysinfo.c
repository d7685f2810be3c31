/* plab-sysinfo.c: placeholder until the full machine description lands. */
#include "plab-sysinfo.h"

#include <sched.h>
#include <unistd.h>
#include <string.h>

int
plab_usable_cpus (void)
{
  cpu_set_t set;

  if (sched_getaffinity (0, sizeof set, &set) == 0)
    return CPU_COUNT (&set) > 0 ? CPU_COUNT (&set) : 1;
  return 1;
}

void
plab_machine_info (PlabMachineInfo *out)
{
  *out = (PlabMachineInfo) { .usable_cpus = plab_usable_cpus () };
}
