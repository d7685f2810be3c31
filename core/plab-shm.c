/* plab-shm.c: named shared memory with a watchdog.
 *
 * The watchdog is a grandchild of the first creating process (double fork,
 * so nobody has to reap it and it is no one's zombie). It closes every file
 * descriptor but the read end of a pipe, whose write end the creator keeps.
 * The creator writes "+name\n" when it creates a segment and "-name\n" when it
 * unlinks one. When the creator dies, however it dies, the kernel closes the
 * write end; the watchdog reads end of file, unlinks what is left and exits.
 */
#include "plab-shm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab-error.h"
#include "plab-sysinfo.h"

#define PREFIX "plab."
#define MAX_SEGMENTS 1024

struct PlabShm
{
  char name[PLAB_SHM_NAME_MAX];
  void *data;
  size_t size;
  int owner; /* created here: unlink on close */
};

/* Guarded by watchdog_lock: the pipe to the watchdog of this process (-1:
 * none yet) and the pid it was started for (a forked child starts its own). */
static pthread_mutex_t watchdog_lock = PTHREAD_MUTEX_INITIALIZER;
static int watchdog_fd = -1;
static pid_t watchdog_for;

static bool
valid_name (const char *name)
{
  size_t n = name ? strlen (name) : 0;

  if (n == 0 || n > 32)
    return false;
  for (size_t i = 0; i < n; i++)
    {
      char c = name[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
            || c == '_'))
        return false;
    }
  return true;
}

static void
watchdog_main (int fd)
{
  char names[MAX_SEGMENTS][PLAB_SHM_NAME_MAX];
  int n = 0;
  char buf[4096];
  size_t len = 0;

  for (;;)
    {
      ssize_t r = read (fd, buf + len, sizeof buf - len);
      char *line, *nl;

      if (r <= 0)
        break;
      len += (size_t)r;
      line = buf;
      while ((nl = memchr (line, '\n', len - (size_t)(line - buf))) != NULL)
        {
          *nl = '\0';
          if (line[0] == '+' && n < MAX_SEGMENTS)
            snprintf (names[n++], PLAB_SHM_NAME_MAX, "%s", line + 1);
          else if (line[0] == '-')
            for (int i = 0; i < n; i++)
              if (strcmp (names[i], line + 1) == 0)
                {
                  memcpy (names[i], names[--n], PLAB_SHM_NAME_MAX);
                  break;
                }
          line = nl + 1;
        }
      len -= (size_t)(line - buf);
      memmove (buf, line, len);
    }
  /* The creator is gone: whatever it still had is nobody's now. */
  for (int i = 0; i < n; i++)
    shm_unlink (names[i]);
}

/* Moves @fd above the standard descriptors, which a program started with
 * one of them closed hands out first, and which the watchdog points at
 * /dev/null: the new descriptor (close-on-exec) or -1. */
static int
above_standard_fds (int fd)
{
  int moved;

  if (fd > 2)
    return fd;
  moved = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  close (fd);
  return moved;
}

/* Starts this process's watchdog if it has none. Returns its socket or -1.
 * A socket rather than a pipe so that a write to a watchdog that is gone
 * fails with EPIPE instead of raising SIGPIPE in the program. */
static int
watchdog_get (void)
{
  int fds[2];
  pid_t pid;

  if (watchdog_fd >= 0 && watchdog_for == getpid ())
    return watchdog_fd;
  if (watchdog_fd >= 0)
    close (watchdog_fd); /* inherited from the process we were forked from */
  watchdog_fd = -1;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    return -1;
  fds[0] = above_standard_fds (fds[0]);
  fds[1] = above_standard_fds (fds[1]);
  if (fds[0] < 0 || fds[1] < 0)
    {
      if (fds[0] >= 0)
        close (fds[0]);
      if (fds[1] >= 0)
        close (fds[1]);
      return -1;
    }
  pid = fork ();
  if (pid < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return -1;
    }
  if (pid == 0)
    {
      /* The intermediate child: fork the watchdog and leave at once. */
      if (fork () == 0)
        {
          int devnull = open ("/dev/null", O_RDWR);
          long max = sysconf (_SC_OPEN_MAX);

          setsid (); /* out of the creator's process group: a Ctrl-C there is not ours */
          signal (SIGINT, SIG_IGN);
          signal (SIGTERM, SIG_IGN);
          signal (SIGHUP, SIG_IGN);
          if (devnull >= 0)
            {
              dup2 (devnull, 0);
              dup2 (devnull, 1);
              dup2 (devnull, 2);
            }
          /* Hold nothing of the creator's open: no pipe to a reader may wait for us. */
          for (int fd = 3; fd < (max > 0 ? max : 1024); fd++)
            if (fd != fds[0])
              close (fd);
          watchdog_main (fds[0]);
          _exit (0);
        }
      _exit (0);
    }
  close (fds[0]);
  waitpid (pid, NULL, 0);
  watchdog_fd = fds[1];
  watchdog_for = getpid ();
  return watchdog_fd;
}

static void
watchdog_say (char op, const char *name)
{
  char line[PLAB_SHM_NAME_MAX + 3];
  int n = snprintf (line, sizeof line, "%c%s\n", op, name);
  int fd;

  pthread_mutex_lock (&watchdog_lock);
  fd = watchdog_get ();
  if (fd >= 0 && send (fd, line, (size_t)n, MSG_NOSIGNAL) != n)
    {
      /* The watchdog is gone; plab_shm_reap_stale () is the fallback. */
    }
  pthread_mutex_unlock (&watchdog_lock);
}

static int
map_segment (int fd, size_t size, PlabShm *self)
{
  int errnum;

  self->data = mmap (NULL, size ? size : 1, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  errnum = errno;
  close (fd);
  if (self->data == MAP_FAILED)
    {
      char call[PLAB_SHM_NAME_MAX + 32];
      snprintf (call, sizeof call, "mmap %s (%zu bytes)", self->name, size);
      return _plab_error_syscall (call, errnum);
    }
  self->size = size;
  return 0;
}

int
plab_shm_create (const char *name, size_t size, PlabShm **out)
{
  PlabShm *self;
  int fd, rc;

  *out = NULL;
  if (!valid_name (name))
    return _plab_error_set (PLAB_EINVAL,
                            "plab_shm_create: \"%s\" is not a segment name (at most 32 letters, "
                            "digits, '-' and '_')",
                            name ? name : "(null)");
  if (size == 0)
    return _plab_error_set (PLAB_EINVAL, "plab_shm_create %s: size is 0", name);
  self = calloc (1, sizeof *self);
  if (self == NULL)
    return _plab_error_set (PLAB_ENOMEM, "plab_shm_create: out of memory");
  snprintf (self->name, sizeof self->name, "/" PREFIX "%d.%s", (int)getpid (), name);
  /* Registered before it exists, so no moment is left when it could leak. */
  watchdog_say ('+', self->name);
  fd = shm_open (self->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      char call[PLAB_SHM_NAME_MAX + 16];
      snprintf (call, sizeof call, "shm_open %s", self->name);
      if (errno == EEXIST)
        rc = _plab_error_set (PLAB_EINVAL, "%s: this process already has a segment of that name",
                              call);
      else
        rc = _plab_error_syscall (call, errno);
      goto fail;
    }
  if (ftruncate (fd, (off_t)size) < 0)
    {
      char call[PLAB_SHM_NAME_MAX + 48];
      snprintf (call, sizeof call, "ftruncate %s to %zu bytes", self->name, size);
      _plab_error_syscall (call, errno);
      close (fd);
      shm_unlink (self->name);
      rc = PLAB_ESYS;
      goto fail;
    }
  rc = map_segment (fd, size, self);
  if (rc != 0)
    {
      shm_unlink (self->name);
      goto fail;
    }
  self->owner = 1;
  *out = self;
  return 0;

fail:
  watchdog_say ('-', self->name);
  free (self);
  return rc;
}

int
plab_shm_open (const char *full_name, PlabShm **out)
{
  PlabShm *self;
  struct stat st;
  int fd, rc;

  *out = NULL;
  if (full_name == NULL || strncmp (full_name, "/" PREFIX, strlen (PREFIX) + 1) != 0
      || strlen (full_name) >= PLAB_SHM_NAME_MAX)
    return PLAB_EINVAL;
  fd = shm_open (full_name, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0)
    return errno == ENOENT ? PLAB_ENOTFOUND : PLAB_ESYS;
  if (fstat (fd, &st) < 0)
    {
      close (fd);
      return PLAB_ESYS;
    }
  self = calloc (1, sizeof *self);
  if (self == NULL)
    {
      close (fd);
      return PLAB_ENOMEM;
    }
  snprintf (self->name, sizeof self->name, "%s", full_name);
  rc = map_segment (fd, (size_t)st.st_size, self);
  if (rc != 0)
    {
      free (self);
      return rc;
    }
  *out = self;
  return 0;
}

void
plab_shm_close (PlabShm *self)
{
  if (self == NULL)
    return;
  munmap (self->data, self->size ? self->size : 1);
  if (self->owner)
    {
      shm_unlink (self->name);
      watchdog_say ('-', self->name);
    }
  free (self);
}

void *
plab_shm_data (PlabShm *self)
{
  return self->data;
}

size_t
plab_shm_size (const PlabShm *self)
{
  return self->size;
}

const char *
plab_shm_name (const PlabShm *self)
{
  return self->name;
}

int
plab_shm_reap_stale (void)
{
  DIR *dir = opendir ("/dev/shm");
  struct dirent *d;
  int reaped = 0;

  if (dir == NULL)
    return 0;
  while ((d = readdir (dir)) != NULL)
    {
      char path[PLAB_SHM_NAME_MAX + 2];
      int pid;

      if (strncmp (d->d_name, PREFIX, strlen (PREFIX)) != 0
          || sscanf (d->d_name + strlen (PREFIX), "%d.", &pid) != 1 || pid <= 0)
        continue;
      if (kill (pid, 0) == 0 || errno == EPERM)
        continue; /* its creator still lives */
      snprintf (path, sizeof path, "/%s", d->d_name);
      if (shm_unlink (path) == 0)
        reaped++;
    }
  closedir (dir);
  return reaped;
}
