/* plab-process.c: one child process running a function.
 *
 * The child is forked, not exec'd: it runs the function with the memory it
 * inherited and ends with _exit (), so it never runs the parent's atexit
 * handlers or flushes the parent's stdio buffers twice (the parent flushes
 * them just before the fork). Joining uses a pidfd, so a join with a timeout
 * sleeps in poll () instead of spinning on waitpid ().
 */
#include "plab-process-private.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab-error.h"
#include "plab-gil.h"
#include "plab-manager-private.h"
#include "plab-start-private.h"
#include "plab-trace-private.h"

struct PlabProcess
{
  char *name;
  PlabProcessFunc func;
  void *arg;

  PlabTrace *trace; /* borrowed */
  int lane;

  pid_t pid;
  int pidfd;
  bool daemon;
  PlabExitStatus status;

  PlabStartMethod method;
  size_t arg_size;  /* spawn and forkserver: bytes at arg copied to the child */
  PlabProxy *proxy; /* borrowed: handed to the child */

  /* In the started list (under started_lock) from start to free. */
  PlabProcess *next_started;
  pid_t started_by;
};

/* The processes started here and not freed yet, for plab_active_children ().
 * A forked child inherits a copy of the list; started_by tells its entries
 * apart from its own. */
static pthread_mutex_t started_lock = PTHREAD_MUTEX_INITIALIZER;
static PlabProcess *started;

static void
started_add (PlabProcess *self)
{
  self->started_by = getpid ();
  pthread_mutex_lock (&started_lock);
  self->next_started = started;
  started = self;
  pthread_mutex_unlock (&started_lock);
}

static void
started_remove (PlabProcess *self)
{
  pthread_mutex_lock (&started_lock);
  for (PlabProcess **p = &started; *p != NULL; p = &(*p)->next_started)
    if (*p == self)
      {
        *p = self->next_started;
        break;
      }
  pthread_mutex_unlock (&started_lock);
}

int
plab_active_children (PlabProcess **out, int max)
{
  pid_t me = getpid ();
  int n = 0;

  pthread_mutex_lock (&started_lock);
  for (PlabProcess *p = started; p != NULL; p = p->next_started)
    if (p->started_by == me && plab_process_is_alive (p))
      {
        if (out != NULL && n < max)
          out[n] = p;
        n++;
      }
  pthread_mutex_unlock (&started_lock);
  return n;
}

/* The boot message of a process started by spawn or forkserver, followed by
 * arg_size bytes of argument. Addresses are the parent's; the child moves
 * them (_plab_addr_local ()). */
typedef struct
{
  uint64_t func;
  uint64_t arg;
  uint64_t arg_size;
  int64_t start_ns;       /* when the parent began the start: the child's start span */
  uint64_t lane_map_size; /* > 0: the first descriptor is the trace lane */
  uint64_t has_proxy;     /* 1: the last descriptor is a manager connection */
  char name[64];
} ProcessBoot;

static int process_counter;

/* In a child started by plab_process_start (), the pid of the process that
 * started it; 0 elsewhere. */
static pid_t parent_pid;

void
_plab_child_setup (pid_t parent)
{
  struct sigaction sa;

  /* Die with the parent, so a runner killed with SIGKILL leaves no worker behind. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (127); /* the parent died between fork and prctl */

  /* Ctrl-C and a terminal's hang-up reach the whole process group; they are
   * for the parent, which stops its children in order. */
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  sa.sa_handler = SIG_DFL;
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGPIPE, &sa, NULL);
}

int
_plab_pidfd_open (pid_t pid)
{
#ifdef SYS_pidfd_open
  int fd = (int)syscall (SYS_pidfd_open, pid, 0);
  return fd >= 0 ? fd : -1;
#else
  return -1;
#endif
}

void
_plab_exit_status_from_wait (int wstatus, PlabExitStatus *status)
{
  memset (status, 0, sizeof *status);
  if (WIFEXITED (wstatus))
    {
      status->state = PLAB_PROCESS_EXITED;
      status->code = WEXITSTATUS (wstatus);
    }
  else if (WIFSIGNALED (wstatus))
    {
      status->state = PLAB_PROCESS_KILLED;
      status->signal = WTERMSIG (wstatus);
    }
  else
    status->state = PLAB_PROCESS_RUNNING;
}

static int
try_reap (pid_t pid, PlabExitStatus *status)
{
  int wstatus;
  pid_t r;

  do
    r = waitpid (pid, &wstatus, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == pid)
    {
      _plab_exit_status_from_wait (wstatus, status);
      return 0;
    }
  if (r < 0 && errno == ECHILD)
    {
      /* Someone else reaped it; we cannot know how it ended. */
      memset (status, 0, sizeof *status);
      status->state = PLAB_PROCESS_EXITED;
      status->code = -1;
      return 0;
    }
  return PLAB_ETIMEDOUT;
}

int
_plab_wait_pid (pid_t pid, int pidfd, int64_t timeout_ns, PlabExitStatus *status)
{
  int64_t deadline = timeout_ns < 0 ? -1 : plab_now_ns () + timeout_ns;
  int64_t sleep_ns = 1000000;

  for (;;)
    {
      int64_t left;

      if (try_reap (pid, status) == 0)
        return 0;
      left = deadline < 0 ? -1 : deadline - plab_now_ns ();
      if (deadline >= 0 && left <= 0)
        return PLAB_ETIMEDOUT;

      if (pidfd >= 0)
        {
          struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
          int ms = left < 0 ? -1 : (int)((left + 999999) / 1000000);
          if (poll (&pfd, 1, ms) < 0 && errno != EINTR)
            return PLAB_ESYS;
        }
      else
        {
          /* No pidfd: poll waitpid with a growing sleep, capped at 10 ms. */
          struct timespec ts;
          int64_t ns = sleep_ns;
          if (left >= 0 && left < ns)
            ns = left;
          ts.tv_sec = ns / 1000000000;
          ts.tv_nsec = ns % 1000000000;
          nanosleep (&ts, NULL);
          if (sleep_ns < 10000000)
            sleep_ns *= 2;
        }
    }
}

PlabProcess *
plab_process_new (const char *name, PlabProcessFunc func, void *arg)
{
  PlabProcess *self;
  char buf[32];

  if (func == NULL)
    {
      _plab_error_set (PLAB_EINVAL, "plab_process_new %s: func is NULL", name ? name : "");
      return NULL;
    }
  self = calloc (1, sizeof *self);
  if (self == NULL)
    {
      _plab_error_set (PLAB_ENOMEM, "plab_process_new: out of memory");
      return NULL;
    }
  if (name == NULL)
    {
      snprintf (buf, sizeof buf, "process %d",
                __atomic_add_fetch (&process_counter, 1, __ATOMIC_RELAXED));
      name = buf;
    }
  self->name = strdup (name);
  if (self->name == NULL)
    {
      _plab_error_set (PLAB_ENOMEM, "plab_process_new: out of memory");
      free (self);
      return NULL;
    }
  self->func = func;
  self->arg = arg;
  self->lane = -1;
  self->pidfd = -1;
  return self;
}

void
plab_process_free (PlabProcess *self)
{
  if (self == NULL)
    return;
  if (self->status.state == PLAB_PROCESS_RUNNING && self->daemon)
    {
      /* A daemon does not outlive its handle: asked to stop, then forced. */
      kill (self->pid, SIGTERM);
      if (plab_process_join (self, 1000000000LL, NULL) != 0)
        {
          kill (self->pid, SIGKILL);
          plab_process_join (self, -1, NULL);
        }
    }
  else if (self->status.state == PLAB_PROCESS_RUNNING)
    /* Not a daemon: it finishes its work first, as Python waits for
     * non-daemon children at exit. */
    plab_process_join (self, -1, NULL);
  if (self->pidfd >= 0)
    close (self->pidfd);
  if (self->status.state != PLAB_PROCESS_NOT_STARTED)
    started_remove (self);
  free (self->name);
  free (self);
}

int
plab_process_set_daemon (PlabProcess *self, bool daemon)
{
  if (self->status.state != PLAB_PROCESS_NOT_STARTED)
    return PLAB_ESTATE;
  self->daemon = daemon;
  return 0;
}

bool
plab_process_daemon (const PlabProcess *self)
{
  return self->daemon;
}

pid_t
plab_process_parent_pid (void)
{
  return parent_pid;
}

int
plab_process_set_proxy (PlabProcess *self, PlabProxy *proxy)
{
  if (self->status.state != PLAB_PROCESS_NOT_STARTED)
    return PLAB_ESTATE;
  self->proxy = proxy;
  return 0;
}

void
plab_process_set_trace (PlabProcess *self, PlabTrace *trace)
{
  self->trace = trace;
}

int
plab_process_set_start_method (PlabProcess *self, PlabStartMethod method)
{
  if ((unsigned)method >= PLAB_N_START_METHODS)
    return PLAB_EINVAL;
  if (self->status.state != PLAB_PROCESS_NOT_STARTED)
    return PLAB_ESTATE;
  self->method = method;
  return 0;
}

PlabStartMethod
plab_process_start_method (const PlabProcess *self)
{
  return self->method;
}

int
plab_process_set_arg_size (PlabProcess *self, size_t size)
{
  if (self->status.state != PLAB_PROCESS_NOT_STARTED)
    return PLAB_ESTATE;
  if (size > BOOT_MAX_PAYLOAD - sizeof (ProcessBoot) || (size > 0 && self->arg == NULL))
    return PLAB_EINVAL;
  self->arg_size = size;
  return 0;
}

/* The child's side, after fork or in a booted child: runs the function and
 * ends with its return value. */
static _Noreturn void
process_child_run (PlabProcessFunc func, void *arg, int64_t fork_ns)
{
  int rc;

  /* The flag the parent's thread watched is its own memory, a copy here
   * that nothing will raise: a child watches no flag until it says so. */
  plab_cancel_watch (NULL);
  if (fork_ns != 0)
    plab_span (PLAB_SPAN_SPAWN, fork_ns, plab_now_ns (), -1, "start");
  rc = func (arg);
  plab_instant (PLAB_SPAN_EXIT, "exit");
  fflush (NULL);
  _exit (rc & 0xff);
}

void
_plab_process_boot (const void *payload, size_t size, const int *fds, int n_fds)
{
  const ProcessBoot *b = payload;
  int64_t start_ns = 0;
  void *arg;

  if (size < sizeof *b || b->arg_size != size - sizeof *b)
    _exit (127);
  if (b->lane_map_size > 0 && n_fds >= 1 && _plab_trace_attach_fd (fds[0], b->lane_map_size) == 0)
    start_ns = b->start_ns;
  if (b->has_proxy && n_fds == (b->lane_map_size > 0 ? 2 : 1)
      && _plab_proxy_adopt_fd (fds[n_fds - 1]) != 0)
    _exit (127);
  parent_pid = _plab_boot_parent ();
  if (b->arg_size > 0)
    {
      /* The child's own copy, as Python unpickles the arguments. */
      arg = malloc (b->arg_size);
      if (arg == NULL)
        _exit (127);
      memcpy (arg, b + 1, b->arg_size);
    }
  else
    arg = _plab_addr_local ((void *)(uintptr_t)b->arg);
  process_child_run ((PlabProcessFunc)_plab_addr_local ((void *)(uintptr_t)b->func), arg, start_ns);
}

/* Starts the child by spawn or forkserver. */
static int
process_start_booted (PlabProcess *self)
{
  size_t size = sizeof (ProcessBoot) + self->arg_size;
  ProcessBoot *b = calloc (1, size);
  size_t map_size = 0;
  int fd = _plab_trace_lane_fd (self->trace, self->lane, &map_size);
  int fds[2];
  int n_fds = 0;
  int rc;

  if (b == NULL)
    return PLAB_ENOMEM;
  b->start_ns = plab_now_ns ();
  b->lane_map_size = fd >= 0 ? map_size : 0;
  b->func = (uint64_t)(uintptr_t)self->func;
  b->arg = (uint64_t)(uintptr_t)self->arg;
  b->arg_size = self->arg_size;
  snprintf (b->name, sizeof b->name, "%s", self->name);
  if (self->arg_size > 0)
    memcpy (b + 1, self->arg, self->arg_size);
  if (fd >= 0)
    fds[n_fds++] = fd;
  if (self->proxy != NULL)
    {
      b->has_proxy = 1;
      fds[n_fds++] = _plab_proxy_fd (self->proxy);
    }
  rc = _plab_start_child (self->method, BOOT_PROCESS, b, size, fds, n_fds, &self->pid);
  free (b);
  return rc;
}

int
plab_process_start (PlabProcess *self)
{
  pid_t parent = getpid ();
  int64_t fork_ns;
  pid_t pid;

  if (self->status.state != PLAB_PROCESS_NOT_STARTED)
    return PLAB_ESTATE;
  if (self->trace != NULL && self->lane < 0)
    {
      int rc = plab_trace_add_lane (self->trace, PLAB_LANE_PROCESS, self->name, &self->lane);
      if (rc != 0)
        return rc;
    }
  if (self->method != PLAB_START_FORK)
    {
      int rc = process_start_booted (self);
      if (rc != 0)
        return rc;
      self->pidfd = _plab_pidfd_open (self->pid);
      self->status.state = PLAB_PROCESS_RUNNING;
      started_add (self);
      return 0;
    }

  /* Flush now, or the child would write out the parent's buffered output again. */
  fflush (NULL);
  fork_ns = plab_now_ns ();
  pid = fork ();
  if (pid < 0)
    return _plab_error_syscall ("fork", errno);

  if (pid == 0)
    {
      _plab_child_setup (parent);
      parent_pid = parent;
      if (self->trace != NULL)
        plab_trace_attach (self->trace, self->lane);
      _plab_proxy_set_inherited (self->proxy);
      process_child_run (self->func, self->arg, self->trace != NULL ? fork_ns : 0);
    }

  self->pid = pid;
  self->pidfd = _plab_pidfd_open (pid);
  self->status.state = PLAB_PROCESS_RUNNING;
  started_add (self);
  return 0;
}

static int
process_join_blocking (PlabProcess *self, int64_t timeout_ns, PlabExitStatus *status)
{
  int rc;

  if (self->status.state == PLAB_PROCESS_NOT_STARTED)
    return PLAB_ESTATE;
  if (self->status.state == PLAB_PROCESS_RUNNING)
    {
      PlabExitStatus st;
      int64_t t0 = plab_now_ns ();
      rc = _plab_wait_pid (self->pid, self->pidfd, timeout_ns, &st);
      /* A join that blocked is a wait on the timeline, named after the child;
       * a look that found it already gone is not. */
      if (timeout_ns != 0 && plab_tracing () && plab_now_ns () - t0 > 20000)
        {
          char label[PLAB_LABEL_MAX];
          snprintf (label, sizeof label, "wait: join %s", self->name);
          plab_span (PLAB_SPAN_WAIT, t0, plab_now_ns (), -1, label);
        }
      if (rc == 0)
        {
          self->status = st;
          if (self->trace != NULL)
            plab_trace_set_lane_end (self->trace, self->lane, self->pid,
                                     st.state == PLAB_PROCESS_KILLED ? PLAB_LANE_KILLED
                                                                     : PLAB_LANE_EXITED,
                                     st.code, st.signal);
        }
      else if (rc != PLAB_ETIMEDOUT)
        return rc;
    }
  if (status != NULL)
    *status = self->status;
  return self->status.state == PLAB_PROCESS_RUNNING ? PLAB_ETIMEDOUT : 0;
}

bool
plab_process_is_alive (PlabProcess *self)
{
  return plab_process_join (self, 0, NULL) == PLAB_ETIMEDOUT;
}

static int
send_signal (PlabProcess *self, int sig)
{
  if (self->status.state != PLAB_PROCESS_RUNNING)
    return PLAB_ESTATE;
  /* The child is not reaped until we join it, so its pid cannot be reused yet. */
  if (kill (self->pid, sig) < 0)
    return PLAB_ESYS;
  return 0;
}

int
plab_process_terminate (PlabProcess *self)
{
  return send_signal (self, SIGTERM);
}

int
plab_process_kill (PlabProcess *self)
{
  return send_signal (self, SIGKILL);
}

pid_t
plab_process_pid (const PlabProcess *self)
{
  return self->pid;
}

const char *
plab_process_name (const PlabProcess *self)
{
  return self->name;
}

int
plab_process_sentinel (const PlabProcess *self)
{
  if (self->status.state == PLAB_PROCESS_NOT_STARTED)
    return PLAB_ESTATE;
  /* Opened at start: a pidfd refers to the process itself, not to its pid
   * number, so it stays right after the child is reaped and the number reused. */
  if (self->pidfd < 0)
    return _plab_error_syscall ("pidfd_open", ENOSYS);
  return self->pidfd;
}

int
plab_process_lane (const PlabProcess *self)
{
  return self->lane;
}

void
plab_exit_status_describe (const PlabExitStatus *status, char *buf, size_t size)
{
  switch (status->state)
    {
    case PLAB_PROCESS_NOT_STARTED:
      snprintf (buf, size, "not started");
      break;
    case PLAB_PROCESS_RUNNING:
      snprintf (buf, size, "still running");
      break;
    case PLAB_PROCESS_EXITED:
      snprintf (buf, size, "exited with code %d", status->code);
      break;
    case PLAB_PROCESS_KILLED:
      snprintf (buf, size, "killed by signal %d (%s)", status->signal, strsignal (status->signal));
      break;
    }
}

int
plab_process_join (PlabProcess *self, int64_t timeout_ns, PlabExitStatus *status)
{
  /* Blocking calls let other threads run under a simulated GIL, as in CPython. */
  bool gil = timeout_ns != 0 && plab_gil_release ();
  int rc = process_join_blocking (self, timeout_ns, status);

  plab_gil_acquire (gil);
  return rc;
}
