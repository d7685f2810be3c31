/* plab-export-file.c: the one place exports write files (see the header). */
#include "plab-export-file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plab-error.h"
#include "plab-mem.h"

#define TMP_ATTEMPTS 100

static void
clear (PlabExportFile *self)
{
  PLAB_FREE_ALL (self->path, self->target, self->tmp_path);
  memset (self, 0, sizeof *self);
}

/* "DIR/.NAME.XXXXXX.tmp" beside @target, created exclusively with mode 0666
 * less the umask, as a plain open () of the target would have made it. */
static int
open_temporary (PlabExportFile *self, const struct stat *old)
{
  const char *slash = strrchr (self->target, '/');
  size_t dir_len = slash ? (size_t)(slash - self->target) + 1 : 0;
  const char *name = self->target + dir_len;
  size_t len = strlen (self->target) + 32;
  unsigned seed = (unsigned)getpid () ^ (unsigned)time (NULL) ^ (unsigned)(uintptr_t)self;

  self->tmp_path = malloc (len);
  if (self->tmp_path == NULL)
    return -ENOMEM;
  for (int attempt = 0; attempt < TMP_ATTEMPTS; attempt++)
    {
      int fd;

      seed = seed * 1103515245u + 12345u;
      snprintf (self->tmp_path, len, "%.*s.%s.%08x.tmp", (int)dir_len, self->target, name, seed);
      fd = open (self->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd < 0 && errno == EEXIST)
        continue;
      if (fd < 0)
        return -errno;
      /* A file replaced keeps its permissions. */
      if (old != NULL)
        (void)fchmod (fd, old->st_mode & 07777);
      self->fp = fdopen (fd, "w");
      if (self->fp == NULL)
        {
          int err = errno;
          close (fd);
          unlink (self->tmp_path);
          return -err;
        }
      return 0;
    }
  return -EEXIST;
}

int
plab_export_file_open (PlabExportFile *self, const char *path, char *error, size_t error_len)
{
  struct stat st;
  bool exists;
  int err = 0;

  memset (self, 0, sizeof *self);
  if (path == NULL || path[0] == '\0')
    {
      snprintf (error, error_len, "no output file given");
      return PLAB_EINVAL;
    }
  if (strcmp (path, "-") == 0)
    {
      self->fp = stdout;
      self->is_stdout = true;
      return 0;
    }
  self->path = strdup (path);
  if (self->path == NULL)
    goto oom;

  /* stat () follows a symbolic link: what matters is what it points to. */
  exists = stat (path, &st) == 0;
  if (exists && S_ISDIR (st.st_mode))
    {
      snprintf (error, error_len, "cannot write %s: it is a folder; give a file name", path);
      clear (self);
      return PLAB_EINVAL;
    }
  if (exists && !S_ISREG (st.st_mode))
    {
      /* A device, a FIFO or a socket: written to as it is, never replaced. */
      self->fp = fopen (path, "w");
      if (self->fp == NULL)
        goto fail;
      return 0;
    }
  if (exists)
    self->target = realpath (path, NULL);
  else
    {
      struct stat lst;

      /* A dangling symbolic link is written through, which creates its target. */
      if (lstat (path, &lst) == 0 && S_ISLNK (lst.st_mode))
        {
          self->fp = fopen (path, "w");
          if (self->fp == NULL)
            goto fail;
          return 0;
        }
      self->target = strdup (path);
    }
  if (self->target == NULL)
    goto fail;
  err = open_temporary (self, exists ? &st : NULL);
  if (err != 0)
    {
      errno = -err;
      goto fail;
    }
  return 0;

oom:
  errno = ENOMEM;
fail:
  err = errno;
  snprintf (error, error_len, "cannot write %s: %s", path, strerror (err));
  clear (self);
  return err == ENOMEM ? PLAB_ENOMEM : PLAB_ESYS;
}

int
plab_export_file_commit (PlabExportFile *self, char *error, size_t error_len)
{
  const char *path = self->path ? self->path : "stdout";
  int err = 0;

  if (self->is_stdout)
    {
      if (fflush (stdout) != 0 || ferror (stdout))
        err = errno ? errno : EIO;
      clearerr (stdout);
      if (err != 0)
        snprintf (error, error_len, "cannot write to stdout: %s", strerror (err));
      clear (self);
      return err ? PLAB_ESYS : 0;
    }
  if (fflush (self->fp) != 0 || ferror (self->fp))
    err = errno ? errno : EIO;
  /* A rename must not make a file visible before its bytes are on disk. */
  if (err == 0 && self->tmp_path != NULL && fsync (fileno (self->fp)) != 0)
    err = errno;
  if (fclose (self->fp) != 0 && err == 0)
    err = errno;
  self->fp = NULL;
  if (err == 0 && self->tmp_path != NULL && rename (self->tmp_path, self->target) != 0)
    err = errno;
  if (err != 0)
    {
      snprintf (error, error_len, "cannot write %s: %s", path, strerror (err));
      if (self->tmp_path != NULL)
        unlink (self->tmp_path);
    }
  clear (self);
  return err ? PLAB_ESYS : 0;
}

void
plab_export_file_abort (PlabExportFile *self)
{
  if (self->is_stdout)
    fflush (stdout);
  else if (self->fp != NULL)
    fclose (self->fp);
  if (self->tmp_path != NULL)
    unlink (self->tmp_path);
  clear (self);
}
