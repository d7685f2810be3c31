/* plab-machine-load.c: how busy the machine was around a run (see
 * plab-machine-load.h).
 */
#include "plab.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Rounding of the /proc/stat counters: each CPU's counters may be off by
 * up to a tick at each end of the window. */
#define RESOLUTION_TICKS 2

/* The clock tick of /proc/stat in ns (USER_HZ, 100 on Linux). */
static int64_t
tick_ns (void)
{
  long hz = sysconf (_SC_CLK_TCK);

  return 1000000000LL / (hz > 0 ? hz : 100);
}

/* Sums the busy and steal ticks of the CPUs this process may run on (all
 * online CPUs when the affinity mask cannot be read) from /proc/stat.
 * Returns the number of CPUs summed, 0 when /proc/stat cannot be read. */
static int
read_cpu_ticks (int64_t *busy_out, int64_t *steal_out)
{
  cpu_set_t mask;
  bool have_mask = sched_getaffinity (0, sizeof mask, &mask) == 0;
  char line[512];
  int64_t busy = 0, steal = 0;
  int cpus = 0;
  FILE *f = fopen ("/proc/stat", "re");

  if (f == NULL)
    return 0;
  while (fgets (line, sizeof line, f) != NULL)
    {
      /* cpuN user nice system idle iowait irq softirq steal guest guest_nice;
       * guest time is already counted in user. */
      long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, st = 0;
      int cpu;

      if (strncmp (line, "cpu", 3) != 0)
        break;
      if (sscanf (line, "cpu%d %lld %lld %lld %lld %lld %lld %lld %lld", &cpu, &user, &nice,
                  &system, &idle, &iowait, &irq, &softirq, &st)
          < 8)
        continue; /* the "cpu" line of all CPUs together */
      if (have_mask && (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET (cpu, &mask)))
        continue;
      busy += user + nice + system + irq + softirq;
      steal += st;
      cpus++;
    }
  fclose (f);
  *busy_out = busy;
  *steal_out = steal;
  return cpus;
}

static double
read_load_avg (void)
{
  double load = -1;
  FILE *f = fopen ("/proc/loadavg", "re");

  if (f == NULL)
    return -1;
  if (fscanf (f, "%lf", &load) != 1)
    load = -1;
  fclose (f);
  return load;
}

void
plab_machine_load_begin (PlabMachineLoadProbe *probe)
{
  memset (probe, 0, sizeof *probe);
  probe->load_avg = read_load_avg ();
  probe->cpus = read_cpu_ticks (&probe->busy_ticks, &probe->steal_ticks);
  probe->ok = probe->cpus > 0;
  probe->own_cpu_ns = plab_cpu_time_ns ();
  probe->t0_ns = plab_now_ns ();
}

void
plab_machine_load_end (const PlabMachineLoadProbe *probe, PlabMachineLoad *out)
{
  int64_t window = plab_now_ns () - probe->t0_ns;
  int64_t own = plab_cpu_time_ns () - probe->own_cpu_ns;
  int64_t busy = 0, steal = 0, others;
  int64_t tick = tick_ns ();
  double capacity;
  int cpus;

  memset (out, 0, sizeof *out);
  out->load_avg = probe->load_avg;
  cpus = read_cpu_ticks (&busy, &steal);
  /* A CPU that went on- or offline meanwhile makes the sums incomparable. */
  if (!probe->ok || cpus != probe->cpus || window <= 0)
    return;
  out->measured = true;
  out->cpus = cpus;
  out->window_ns = window;
  capacity = (double)window * cpus;
  others = (busy - probe->busy_ticks) * tick - own;
  out->others_share = others > 0 ? others / capacity : 0;
  out->steal_share
      = steal > probe->steal_ticks ? (steal - probe->steal_ticks) * tick / capacity : 0;
  if (out->others_share > 1)
    out->others_share = 1;
  if (out->steal_share > 1)
    out->steal_share = 1;
}

/* The share a measurement over @window_ns may be off by. */
static double
resolution (int64_t window_ns)
{
  return window_ns > 0 ? (double)RESOLUTION_TICKS * tick_ns () / window_ns : 1;
}

static bool
others_busy (const PlabMachineLoad *load)
{
  return load->others_share - resolution (load->window_ns) > PLAB_BUSY_OTHERS_SHARE;
}

static bool
steal_busy (const PlabMachineLoad *load)
{
  return load->steal_share - resolution (load->window_ns) > PLAB_BUSY_STEAL_SHARE;
}

bool
plab_machine_load_is_busy (const PlabMachineLoad *load)
{
  return load != NULL && load->measured && (others_busy (load) || steal_busy (load));
}

char *
plab_machine_load_describe (const PlabMachineLoad *load, char *buf, size_t size)
{
  int others = load != NULL ? (int)(load->others_share * 100 + 0.5) : 0;
  int steal = load != NULL ? (int)(load->steal_share * 100 + 0.5) : 0;
  const char *cpus_word = load != NULL && load->cpus == 1 ? "CPU" : "CPUs";

  if (size == 0)
    return buf;
  if (load == NULL || !load->measured)
    snprintf (buf, size, "not measured");
  else if (others_busy (load) && steal_busy (load))
    snprintf (buf, size,
              "other programs used %d%% of the %d %s and a hypervisor took %d%% during this run: "
              "times may be longer than on a quiet machine",
              others, load->cpus, cpus_word, steal);
  else if (others_busy (load))
    snprintf (buf, size,
              "other programs used %d%% of the %d %s during this run: times may be longer than "
              "on a quiet machine",
              others, load->cpus, cpus_word);
  else if (steal_busy (load))
    snprintf (buf, size,
              "a hypervisor gave %d%% of the %d %s to other machines during this run: times may "
              "be longer than on a quiet machine",
              steal, load->cpus, cpus_word);
  else
    snprintf (buf, size, "quiet: other programs used %d%% of the %d %s", others, load->cpus,
              cpus_word);
  return buf;
}
