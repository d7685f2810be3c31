/* plab-start.c: the spawn and forkserver start methods.
 *
 * Both hand a child one boot message over an AF_UNIX SOCK_SEQPACKET socket:
 * a header (magic, what to run, the parent's pid, the parent's table of
 * loaded objects) followed by the payload of the kind, with the descriptors
 * the child needs attached as SCM_RIGHTS. One message per child, so a
 * truncated or foreign one is refused whole.
 *
 * spawn: the parent queues the message on a socket pair, forks, and the
 * child execs the program (the path /proc/self/exe links to) with
 * "--plab-spawn-child FD". The fresh program
 * meets plab_spawn_main () (from the library's constructor, before main),
 * reads the message and runs the boot function of its kind.
 *
 * forkserver: a server forked early reads requests in a loop. For each it
 * forks an intermediate that forks the worker and exits at once, so the
 * worker is orphaned and handed to the nearest subreaper: the process that
 * started the server (it made itself one). The server replies with the
 * worker's pid only after it has reaped the intermediate, so by then the
 * worker is already the caller's child and waitpid () works on it.
 *
 * Code addresses differ between the parent and a spawned child (each run of
 * a position-independent program loads at a new place), but the same file
 * is loaded in the same order: the parent sends where each object of its
 * image lies, and the child moves an address by the difference between the
 * two loads of the object that holds it (_plab_addr_local ()).
 */
#include "plab-start-private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab-error.h"
#include "plab-process-private.h"

#define BOOT_MAGIC 0x706c6231u /* "plb1" */
#define BOOT_MAX_OBJECTS 64
#define SPAWN_FLAG "--plab-spawn-child"
#define FORKSERVER_REPLY_MS 10000
#define REPARENT_WAIT_MS 5000

typedef struct
{
  uint64_t start; /* lowest address of the object's loaded segments */
  uint64_t end;   /* one past the highest */
} ObjRange;

typedef struct
{
  uint32_t magic;
  uint32_t kind;
  int32_t parent;
  uint32_t n_objects;
  uint64_t payload_size;
  ObjRange objects[BOOT_MAX_OBJECTS];
} BootHeader;

typedef struct
{
  uint32_t n;
  ObjRange r[BOOT_MAX_OBJECTS];
} ObjTable;

static const char *const method_names[PLAB_N_START_METHODS] = {
  [PLAB_START_FORK] = "fork",
  [PLAB_START_SPAWN] = "spawn",
  [PLAB_START_FORKSERVER] = "forkserver",
};

/* Set once in a booted child, before its boot function runs; read-only after. */
static bool relocating;
static ObjTable parent_objects;
static ObjTable local_objects;
static pid_t boot_parent;

/* The fork server of this process. Held while a request and its reply go
 * over the socket, so that replies match requests; fs_owner is the pid that
 * started the server, so a forked child never uses its parent's server. */
static pthread_mutex_t fs_lock = PTHREAD_MUTEX_INITIALIZER;
static int fs_sock = -1;
static pid_t fs_pid;
static pid_t fs_owner;

const char *
plab_start_method_name (PlabStartMethod method)
{
  return (unsigned)method < PLAB_N_START_METHODS ? method_names[method] : "unknown";
}

int
plab_start_method_from_name (const char *name, PlabStartMethod *out)
{
  for (int i = 0; name != NULL && i < PLAB_N_START_METHODS; i++)
    if (strcmp (name, method_names[i]) == 0)
      {
        *out = (PlabStartMethod)i;
        return 0;
      }
  return PLAB_EINVAL;
}

/* --- The program image --- */

static int
collect_object_cb (struct dl_phdr_info *info, size_t size, void *data)
{
  ObjTable *t = data;
  uint64_t lo = UINT64_MAX, hi = 0;

  (void)size;
  if (t->n == BOOT_MAX_OBJECTS)
    return 1;
  for (int i = 0; i < info->dlpi_phnum; i++)
    if (info->dlpi_phdr[i].p_type == PT_LOAD)
      {
        uint64_t s = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
        uint64_t e = s + info->dlpi_phdr[i].p_memsz;
        lo = s < lo ? s : lo;
        hi = e > hi ? e : hi;
      }
  if (hi == 0)
    lo = 0;
  t->r[t->n].start = lo;
  t->r[t->n].end = hi;
  t->n++;
  return 0;
}

static void
collect_objects (ObjTable *t)
{
  memset (t, 0, sizeof *t);
  dl_iterate_phdr (collect_object_cb, t);
}

void *
_plab_addr_local (const void *parent_addr)
{
  uint64_t a = (uint64_t)(uintptr_t)parent_addr;
  uint32_t n;

  if (!relocating || a == 0)
    return (void *)parent_addr;
  n = parent_objects.n < local_objects.n ? parent_objects.n : local_objects.n;
  for (uint32_t i = 0; i < n; i++)
    if (a >= parent_objects.r[i].start && a < parent_objects.r[i].end)
      return (void *)(uintptr_t)(a - parent_objects.r[i].start + local_objects.r[i].start);
  return (void *)parent_addr;
}

pid_t
_plab_boot_parent (void)
{
  return boot_parent;
}

/* --- The boot message --- */

static int
send_boot (int sock, int kind, const void *payload, size_t size, const int *fds, int n_fds)
{
  BootHeader h;
  struct iovec iov[2];
  struct msghdr msg;
  union
  {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int) * BOOT_MAX_FDS)];
  } control;
  ssize_t n;

  memset (&h, 0, sizeof h);
  h.magic = BOOT_MAGIC;
  h.kind = (uint32_t)kind;
  h.parent = (int32_t)getpid ();
  h.payload_size = size;
  {
    ObjTable t;
    collect_objects (&t);
    h.n_objects = t.n;
    memcpy (h.objects, t.r, sizeof h.objects);
  }
  iov[0].iov_base = &h;
  iov[0].iov_len = sizeof h;
  iov[1].iov_base = (void *)payload;
  iov[1].iov_len = size;
  memset (&msg, 0, sizeof msg);
  msg.msg_iov = iov;
  msg.msg_iovlen = size > 0 ? 2 : 1;
  if (n_fds > 0)
    {
      struct cmsghdr *c;
      memset (&control, 0, sizeof control);
      msg.msg_control = control.buf;
      msg.msg_controllen = CMSG_SPACE (sizeof (int) * (size_t)n_fds);
      c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int) * (size_t)n_fds);
      memcpy (CMSG_DATA (c), fds, sizeof (int) * (size_t)n_fds);
    }
  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return _plab_error_syscall ("sendmsg", errno);
  return 0;
}

/* Reads one boot message into @buf (BootHeader + BOOT_MAX_PAYLOAD bytes).
 * Returns its size, 0 at end of file, or -1 for an error or a foreign
 * message (its descriptors are closed). */
static ssize_t
recv_boot (int sock, char *buf, int *fds, int *n_fds)
{
  struct iovec iov = { buf, sizeof (BootHeader) + BOOT_MAX_PAYLOAD };
  struct msghdr msg;
  union
  {
    struct cmsghdr align;
    char buf[CMSG_SPACE (sizeof (int) * BOOT_MAX_FDS)];
  } control;
  const BootHeader *h = (const BootHeader *)buf;
  ssize_t n;

  *n_fds = 0;
  memset (&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return n;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c != NULL; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        int k = (int)((c->cmsg_len - CMSG_LEN (0)) / sizeof (int));
        memcpy (fds + *n_fds, CMSG_DATA (c), sizeof (int) * (size_t)k);
        *n_fds += k;
      }
  if ((size_t)n < sizeof *h || h->magic != BOOT_MAGIC || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
      || h->payload_size != (size_t)n - sizeof *h || h->n_objects > BOOT_MAX_OBJECTS)
    {
      for (int i = 0; i < *n_fds; i++)
        close (fds[i]);
      *n_fds = 0;
      errno = EPROTO;
      return -1;
    }
  return n;
}

/* Runs the boot function named by the message in @buf; never returns. */
static _Noreturn void
boot_run (const char *buf, const int *fds, int n_fds)
{
  const BootHeader *h = (const BootHeader *)buf;

  parent_objects.n = h->n_objects;
  memcpy (parent_objects.r, h->objects, sizeof parent_objects.r);
  collect_objects (&local_objects);
  boot_parent = h->parent;
  relocating = true;
  switch (h->kind)
    {
    case BOOT_PROCESS:
      _plab_process_boot (buf + sizeof *h, h->payload_size, fds, n_fds);
    case BOOT_POOL_WORKER:
      _plab_pool_worker_boot (buf + sizeof *h, h->payload_size, fds, n_fds);
    default:
      _exit (127);
    }
}

/* --- spawn --- */

int
plab_spawn_main (int argc, char **argv)
{
  static char buf[sizeof (BootHeader) + BOOT_MAX_PAYLOAD];
  int fds[BOOT_MAX_FDS];
  int n_fds, sock;

  if (argc < 3 || argv == NULL || argv[1] == NULL || strcmp (argv[1], SPAWN_FLAG) != 0)
    return 0;
  sock = atoi (argv[2]);
  if (recv_boot (sock, buf, fds, &n_fds) <= 0)
    {
      fprintf (stderr, "plab: a spawned child got no valid start message\n");
      _exit (127);
    }
  close (sock);
  boot_run (buf, fds, n_fds);
}

/* glibc passes the program's arguments to constructors: a spawned child runs
 * its boot function here, before the program's main () can run again. */
__attribute__ ((constructor)) static void
spawn_constructor (int argc, char **argv, char **envp)
{
  (void)envp;
  plab_spawn_main (argc, argv);
}

static int
spawn_child (int kind, const void *payload, size_t size, const int *fds, int n_fds, pid_t *pid_out)
{
  char exe[PATH_MAX];
  ssize_t len = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  char fd_arg[16];
  char *argv[] = { "plab-spawn", SPAWN_FLAG, fd_arg, NULL };
  pid_t parent = getpid ();
  int sv[2];
  pid_t pid;
  int rc;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return _plab_error_syscall ("socketpair", errno);
  /* Queued now, read by the child once it runs: the child needs nothing
   * else from the parent. */
  rc = send_boot (sv[0], kind, payload, size, fds, n_fds);
  close (sv[0]);
  if (rc != 0)
    {
      close (sv[1]);
      return rc;
    }
  /* The program's path, read through the link: a tool that runs the
   * program (valgrind) answers with the program, not itself. A program
   * replaced on disk since it started is run from the link itself. */
  if (len <= 0 || (exe[len] = '\0', strstr (exe, " (deleted)") != NULL))
    snprintf (exe, sizeof exe, "/proc/self/exe");
  snprintf (fd_arg, sizeof fd_arg, "%d", sv[1]);
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      rc = _plab_error_syscall ("fork", errno);
      close (sv[1]);
      return rc;
    }
  if (pid == 0)
    {
      /* Only async-signal-safe calls between fork and exec: the parent may
       * have threads. The death signal and ignored signals survive exec. */
      _plab_child_setup (parent);
      fcntl (sv[1], F_SETFD, 0);
      execv (exe, argv);
      _exit (127);
    }
  close (sv[1]);
  *pid_out = pid;
  return 0;
}

/* --- forkserver --- */

/* In a worker forked by the server: waits until the intermediate has gone
 * and the worker belongs to @runner, then takes the usual child setup
 * (its death signal is tied to the runner from here on). */
static _Noreturn void
forkserver_worker (pid_t runner, const char *buf, const int *fds, int n_fds)
{
  int64_t deadline = plab_now_ns () + REPARENT_WAIT_MS * 1000000LL;

  while (getppid () != runner)
    {
      struct timespec ts = { 0, 50000 };
      if (plab_now_ns () > deadline)
        _exit (127);
      nanosleep (&ts, NULL);
    }
  _plab_child_setup (runner);
  boot_run (buf, fds, n_fds);
}

/* The server's boot message buffer. Held at file scope: a worker forked
 * from the server runs on from inside forkserver_main () and never frees
 * it, and a pointer here keeps it reachable to a leak checker there.
 * volatile, or the compiler drops a store that nothing reads. */
static char *volatile forkserver_buf;

static _Noreturn void
forkserver_main (int sock, pid_t runner)
{
  char *buf = forkserver_buf = malloc (sizeof (BootHeader) + BOOT_MAX_PAYLOAD);
  int fds[BOOT_MAX_FDS];
  int n_fds;

  /* The server keeps nothing of its parent's but the socket: a pipe end
   * held here would keep another process from seeing end of file. */
  if (dup2 (sock, 3) < 0)
    _exit (1);
  sock = 3;
  syscall (SYS_close_range, 4u, ~0u, 0u);
  if (buf == NULL)
    _exit (1);

  for (;;)
    {
      ssize_t n = recv_boot (sock, buf, fds, &n_fds);
      int32_t reply = -EPROTO;
      int p[2];

      /* End of file or a broken socket: the runner closed it or is gone. */
      if (n == 0 || (n < 0 && errno != EPROTO))
        _exit (0);
      if (n > 0 && pipe2 (p, O_CLOEXEC) == 0)
        {
          pid_t mid = fork ();
          if (mid == 0)
            {
              pid_t w = fork ();
              if (w == 0)
                {
                  close (p[0]);
                  close (p[1]);
                  close (sock);
                  forkserver_worker (runner, buf, fds, n_fds);
                }
              if (write (p[1], &w, sizeof w) != sizeof w)
                _exit (1);
              _exit (0);
            }
          close (p[1]);
          reply = -errno;
          if (mid > 0)
            {
              pid_t w = -1;
              reply = read (p[0], &w, sizeof w) == sizeof w && w > 0 ? (int32_t)w : -ECHILD;
              /* Reaped before the reply: the worker is the runner's child by now. */
              while (waitpid (mid, NULL, 0) < 0 && errno == EINTR)
                ;
            }
          close (p[0]);
        }
      for (int i = 0; i < n_fds; i++)
        close (fds[i]);
      if (send (sock, &reply, sizeof reply, MSG_NOSIGNAL) < 0)
        _exit (0);
    }
}

/* Starts the server; fs_lock held. */
static int
forkserver_start_locked (void)
{
  pid_t parent = getpid ();
  int sv[2];
  pid_t pid;

  if (fs_sock >= 0 && fs_owner == parent)
    return 0;
  if (fs_owner != parent && fs_sock >= 0)
    {
      /* Inherited from the process we were forked from: its server, not ours. */
      close (fs_sock);
      fs_sock = -1;
      fs_pid = 0;
    }
  if (prctl (PR_SET_CHILD_SUBREAPER, 1) < 0)
    return _plab_error_syscall ("prctl", errno);
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return _plab_error_syscall ("socketpair", errno);
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      int rc = _plab_error_syscall ("fork", errno);
      close (sv[0]);
      close (sv[1]);
      return rc;
    }
  if (pid == 0)
    {
      /* The runner's end goes, wherever it lies: when the runner's stdin was
       * closed it is fd 0, which the server's close_range () keeps, and a
       * server holding both ends never sees the end of file that stops it. */
      close (sv[0]);
      _plab_child_setup (parent);
      forkserver_main (sv[1], parent);
    }
  close (sv[1]);
  fs_sock = sv[0];
  fs_pid = pid;
  fs_owner = parent;
  return 0;
}

int
plab_forkserver_start (void)
{
  int rc;

  pthread_mutex_lock (&fs_lock);
  rc = forkserver_start_locked ();
  pthread_mutex_unlock (&fs_lock);
  return rc;
}

void
plab_forkserver_stop (void)
{
  pthread_mutex_lock (&fs_lock);
  if (fs_sock >= 0 && fs_owner == getpid ())
    {
      close (fs_sock);
      while (waitpid (fs_pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  fs_sock = -1;
  fs_pid = 0;
  pthread_mutex_unlock (&fs_lock);
}

int
plab_forkserver_pid (void)
{
  int pid;

  pthread_mutex_lock (&fs_lock);
  pid = fs_owner == getpid () ? (int)fs_pid : 0;
  pthread_mutex_unlock (&fs_lock);
  return pid;
}

/* One request and its reply; fs_lock held. */
static int
forkserver_request (int kind,
                    const void *payload,
                    size_t size,
                    const int *fds,
                    int n_fds,
                    pid_t *pid_out)
{
  struct pollfd pfd;
  int32_t reply;
  ssize_t n;
  int rc;

  rc = send_boot (fs_sock, kind, payload, size, fds, n_fds);
  if (rc != 0)
    return rc;
  pfd.fd = fs_sock;
  pfd.events = POLLIN;
  do
    rc = poll (&pfd, 1, FORKSERVER_REPLY_MS);
  while (rc < 0 && errno == EINTR);
  if (rc <= 0)
    return _plab_error_syscall ("the fork server did not answer", rc == 0 ? ETIMEDOUT : errno);
  n = recv (fs_sock, &reply, sizeof reply, 0);
  if (n != sizeof reply)
    return _plab_error_syscall ("the fork server went away", n < 0 ? errno : EPIPE);
  if (reply <= 0)
    return _plab_error_syscall ("the fork server could not fork", -reply);
  *pid_out = (pid_t)reply;
  return 0;
}

int
_plab_start_child (PlabStartMethod method,
                   int kind,
                   const void *payload,
                   size_t size,
                   const int *fds,
                   int n_fds,
                   pid_t *pid_out)
{
  int rc;

  if (n_fds < 0 || n_fds > BOOT_MAX_FDS)
    return PLAB_EINVAL;
  if (size > BOOT_MAX_PAYLOAD)
    return PLAB_EMSGSIZE;
  if (method == PLAB_START_SPAWN)
    return spawn_child (kind, payload, size, fds, n_fds, pid_out);
  if (method != PLAB_START_FORKSERVER)
    return PLAB_EINVAL;

  pthread_mutex_lock (&fs_lock);
  rc = forkserver_start_locked ();
  if (rc == 0)
    {
      rc = forkserver_request (kind, payload, size, fds, n_fds, pid_out);
      if (rc != 0 && fs_pid > 0 && waitpid (fs_pid, NULL, WNOHANG) == fs_pid)
        {
          /* The server died (killed from outside): start another, once. */
          close (fs_sock);
          fs_sock = -1;
          fs_pid = 0;
          rc = forkserver_start_locked ();
          if (rc == 0)
            rc = forkserver_request (kind, payload, size, fds, n_fds, pid_out);
        }
    }
  pthread_mutex_unlock (&fs_lock);
  return rc;
}
