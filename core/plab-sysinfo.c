/* plab-sysinfo.c: facts about the machine a run is measured on.
 *
 * Speedup charts compare a run against the number of CPUs the run could
 * really use, which is not the number the machine has: a container or a
 * `taskset` narrows the affinity mask, and a cgroup quota caps the CPU time
 * even when every CPU is in the mask. Both are taken into account here.
 */
#include "plab.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef PLAB_VERSION
#define PLAB_VERSION "unknown"
#endif

/* Reads the first line of @path into @buf; returns false when it cannot. */
static bool
read_line (const char *path, char *buf, size_t size)
{
  FILE *f = fopen (path, "re");
  bool ok = false;

  if (f == NULL)
    return false;
  if (fgets (buf, (int)size, f) != NULL)
    {
      buf[strcspn (buf, "\n")] = '\0';
      ok = true;
    }
  fclose (f);
  return ok;
}

/* Turns a quota of @quota microseconds per @period into whole CPUs, rounded
 * up: a quota of 1.5 CPUs lets two threads run, each part of the time. */
static int
quota_cpus (long long quota, long long period)
{
  long long n;

  if (quota <= 0 || period <= 0)
    return INT_MAX;
  n = (quota + period - 1) / period;
  return n < 1 ? 1 : (n > INT_MAX ? INT_MAX : (int)n);
}

/* The CPUs that the cgroup v2 cpu.max in folder @dir allows; INT_MAX for none. */
static int
cgroup2_limit_at (const char *dir)
{
  char path[PATH_MAX + 64];
  char line[128];
  char max[32];
  long long period = 0;

  snprintf (path, sizeof path, "%s/cpu.max", dir);
  if (read_line (path, line, sizeof line) && sscanf (line, "%31s %lld", max, &period) == 2
      && strcmp (max, "max") != 0)
    return quota_cpus (atoll (max), period);
  return INT_MAX;
}

/* The same for cgroup v1's cpu.cfs_quota_us and cpu.cfs_period_us. */
static int
cgroup1_limit_at (const char *dir)
{
  char path[PATH_MAX + 64];
  char line[64];
  long long quota = -1, period = 0;

  snprintf (path, sizeof path, "%s/cpu.cfs_quota_us", dir);
  if (read_line (path, line, sizeof line))
    quota = atoll (line);
  snprintf (path, sizeof path, "%s/cpu.cfs_period_us", dir);
  if (read_line (path, line, sizeof line))
    period = atoll (line);
  return quota_cpus (quota, period);
}

/* The tightest of the limits @limit_at finds on @cgroup_path (relative to
 * @mount) and its ancestors: a parent's quota limits all of its children. */
static int
cgroup_limit (const char *mount, const char *cgroup_path, int (*limit_at) (const char *dir))
{
  char rel[PATH_MAX];
  int best = INT_MAX;

  snprintf (rel, sizeof rel, "%s", cgroup_path);
  for (;;)
    {
      char dir[PATH_MAX + 32];
      char *slash;
      int n;

      snprintf (dir, sizeof dir, "%s%s", mount, strcmp (rel, "/") == 0 ? "" : rel);
      n = limit_at (dir);
      if (n < best)
        best = n;

      slash = strrchr (rel, '/');
      if (slash == NULL || slash == rel)
        {
          if (strcmp (rel, "/") == 0 || rel[0] == '\0')
            break;
          snprintf (rel, sizeof rel, "/");
          continue;
        }
      *slash = '\0';
    }
  return best;
}

/* The CPU limit of this process's cgroups, v2 and v1 (a hybrid system has
 * both); INT_MAX when there is none. Inside a cgroup namespace the path in
 * /proc/self/cgroup is "/", which is also the mount's root, so the lookup
 * lands on the right files either way. */
static int
cgroup_cpu_limit (void)
{
  FILE *f = fopen ("/proc/self/cgroup", "re");
  char line[PATH_MAX + 64];
  int best = INT_MAX;

  if (f == NULL)
    return INT_MAX;

  while (fgets (line, sizeof line, f) != NULL)
    {
      char *controllers, *path;
      int n = INT_MAX;

      line[strcspn (line, "\n")] = '\0';
      controllers = strchr (line, ':');
      if (controllers == NULL)
        continue;
      controllers++;
      path = strchr (controllers, ':');
      if (path == NULL)
        continue;
      *path++ = '\0';

      if (controllers[0] == '\0')
        {
          /* cgroup v2: mounted at /sys/fs/cgroup, or at .../unified on a
           * hybrid system. */
          int a = cgroup_limit ("/sys/fs/cgroup", path, cgroup2_limit_at);
          int b = cgroup_limit ("/sys/fs/cgroup/unified", path, cgroup2_limit_at);
          n = a < b ? a : b;
        }
      else
        {
          char *save = NULL;
          bool has_cpu = false;

          for (char *tok = strtok_r (controllers, ",", &save); tok != NULL;
               tok = strtok_r (NULL, ",", &save))
            if (strcmp (tok, "cpu") == 0)
              has_cpu = true;
          if (has_cpu)
            {
              int a = cgroup_limit ("/sys/fs/cgroup/cpu", path, cgroup1_limit_at);
              int b = cgroup_limit ("/sys/fs/cgroup/cpu,cpuacct", path, cgroup1_limit_at);
              n = a < b ? a : b;
            }
        }
      if (n < best)
        best = n;
    }
  fclose (f);
  return best;
}

static int
affinity_cpus (void)
{
  cpu_set_t set;
  int n;

  if (sched_getaffinity (0, sizeof set, &set) != 0)
    return plab_online_cpus ();
  n = CPU_COUNT (&set);
  return n > 0 ? n : 1;
}

int
plab_usable_cpus (void)
{
  int n = affinity_cpus ();
  int limit = cgroup_cpu_limit ();

  if (limit < n)
    n = limit;
  return n < 1 ? 1 : n;
}

int
plab_online_cpus (void)
{
  long n = sysconf (_SC_NPROCESSORS_ONLN);

  return n < 1 ? 1 : (int)n;
}

/* The "model name" line of /proc/cpuinfo (x86), or "Processor"/"cpu model"
 * on other architectures; the machine name from uname otherwise. */
static void
cpu_model (char *buf, size_t size, const char *fallback)
{
  static const char *const keys[] = { "model name", "Processor", "cpu model", "cpu" };
  FILE *f = fopen ("/proc/cpuinfo", "re");
  char line[512];
  int best_rank = (int)(sizeof keys / sizeof keys[0]);

  snprintf (buf, size, "%s", fallback);
  if (f == NULL)
    return;
  while (fgets (line, sizeof line, f) != NULL)
    {
      char *colon = strchr (line, ':');
      char *value;
      size_t klen;

      if (colon == NULL)
        continue;
      klen = (size_t)(colon - line);
      while (klen > 0 && isspace ((unsigned char)line[klen - 1]))
        klen--;
      value = colon + 1;
      while (isspace ((unsigned char)*value))
        value++;
      value[strcspn (value, "\n")] = '\0';
      if (*value == '\0')
        continue;
      for (int i = 0; i < best_rank; i++)
        if (strlen (keys[i]) == klen && strncmp (line, keys[i], klen) == 0)
          {
            snprintf (buf, size, "%s", value);
            best_rank = i;
            break;
          }
      if (best_rank == 0)
        break;
    }
  fclose (f);
}

void
plab_machine_info (PlabMachineInfo *out)
{
  struct utsname u;

  memset (out, 0, sizeof *out);

  if (gethostname (out->host, sizeof out->host - 1) != 0 || out->host[0] == '\0')
    snprintf (out->host, sizeof out->host, "localhost");

  if (uname (&u) == 0)
    {
      snprintf (out->os, sizeof out->os, "%.40s %.60s %.20s", u.sysname, u.release, u.machine);
      cpu_model (out->cpu_model, sizeof out->cpu_model, u.machine);
    }
  else
    {
      snprintf (out->os, sizeof out->os, "unknown");
      cpu_model (out->cpu_model, sizeof out->cpu_model, "unknown");
    }

  out->usable_cpus = plab_usable_cpus ();
  out->online_cpus = plab_online_cpus ();

#if defined(__clang__)
  snprintf (out->compiler, sizeof out->compiler, "clang %d.%d.%d", __clang_major__, __clang_minor__,
            __clang_patchlevel__);
#elif defined(__GNUC__)
  snprintf (out->compiler, sizeof out->compiler, "gcc %d.%d.%d", __GNUC__, __GNUC_MINOR__,
            __GNUC_PATCHLEVEL__);
#elif defined(__VERSION__)
  snprintf (out->compiler, sizeof out->compiler, "%s", __VERSION__);
#else
  snprintf (out->compiler, sizeof out->compiler, "unknown");
#endif

  snprintf (out->version, sizeof out->version, "%s", PLAB_VERSION);
}

int64_t
plab_cpu_time_ns (void)
{
  struct rusage self, children;
  int64_t total = 0;

  if (getrusage (RUSAGE_SELF, &self) == 0)
    total += ((int64_t)self.ru_utime.tv_sec + self.ru_stime.tv_sec) * 1000000000
             + ((int64_t)self.ru_utime.tv_usec + self.ru_stime.tv_usec) * 1000;
  if (getrusage (RUSAGE_CHILDREN, &children) == 0)
    total += ((int64_t)children.ru_utime.tv_sec + children.ru_stime.tv_sec) * 1000000000
             + ((int64_t)children.ru_utime.tv_usec + children.ru_stime.tv_usec) * 1000;
  return total;
}

/* A zombie has finished: its pid is still reserved, but it will never write
 * to the store again, so it counts as gone. */
int64_t
plab_process_start_ticks (int pid)
{
  char path[64];
  char buf[1024];
  FILE *f;
  size_t len;
  const char *p;
  char state;
  long long ticks;
  int field;

  if (pid <= 0)
    return -1;
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  f = fopen (path, "re");
  if (f == NULL)
    return -1;
  len = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[len] = '\0';

  /* The command name (field 2) is in parentheses and may itself hold spaces
   * and parentheses, so the fields are counted from the last ')'. */
  p = strrchr (buf, ')');
  if (p == NULL)
    return -1;
  p++;
  while (*p == ' ')
    p++;
  state = *p;
  if (state == 'Z' || state == 'X' || state == 'x')
    return -1;

  /* p is at field 3; field 22 is 19 fields further on. */
  for (field = 3; field < 22; field++)
    {
      p = strchr (p, ' ');
      if (p == NULL)
        return -1;
      p++;
    }
  errno = 0;
  ticks = strtoll (p, NULL, 10);
  if (errno != 0 || ticks < 0)
    return -1;
  return ticks;
}

/* Read with open () and read () rather than stdio: the recording engine calls
 * this for every worker many times a second while the workers run, and a
 * FILE costs an allocation and a larger read. */
int
plab_sched_run_delay (int pid, int tid, int64_t *ns_out)
{
  char path[64];
  char buf[128];
  char *p, *end;
  long long delay;
  ssize_t len;
  int fd;

  if (pid <= 0 || ns_out == NULL)
    return PLAB_EINVAL;
  if (tid > 0)
    snprintf (path, sizeof path, "/proc/%d/task/%d/schedstat", pid, tid);
  else
    snprintf (path, sizeof path, "/proc/%d/schedstat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return PLAB_ENOTFOUND;
  do
    len = read (fd, buf, sizeof buf - 1);
  while (len < 0 && errno == EINTR);
  close (fd);
  if (len <= 0)
    return PLAB_ENOTFOUND;
  buf[len] = '\0';

  /* "RUN_NS DELAY_NS TIMESLICES": time on a CPU, time runnable and waiting
   * for one, and how many times it ran. */
  errno = 0;
  strtoll (buf, &p, 10);
  if (p == buf || errno != 0)
    return PLAB_ENOTFOUND;
  delay = strtoll (p, &end, 10);
  if (end == p || errno != 0 || delay < 0)
    return PLAB_ENOTFOUND;
  *ns_out = delay;
  return 0;
}
