/* plab-store-journal.c: the event journal of a run being written, and the
 * repair of runs whose runner died: an open for writing moves their
 * journals into the store and marks them failed.
 */
#include "plab.h"
#include "plab-store-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- The event journal ---
 *
 * A runner keeps a run's events in memory until the run ends and writes them
 * to the store only then, so that SQLite's cost stays out of the measured time.
 * A runner killed with SIGKILL would lose them all. So it also appends every
 * batch of events to a journal file beside the store, "<store>-events-<run>":
 * one sequential write () per batch, which the kernel keeps when the process
 * dies. The file is a JournalHeader followed by whole PlabEvents.
 *
 * base is the number of rows (spans and counter samples) the store held for
 * the run when the journal was (re)started, and every event in the journal
 * came after them. The runner commits events to the store in one transaction
 * each time, then truncates the journal and writes the new base. Whatever the
 * moment the runner dies, the journal's events belong in the store exactly
 * when the store still holds base rows for the run: after a commit that the
 * journal has not caught up with, it holds more, and importing again would
 * duplicate them. */

/* 2: events carry an item and its flow (put or get) in place of four label
 * bytes; a journal of the older layout is left alone. */
#define JOURNAL_MAGIC "PLABEVJ2"
#define JOURNAL_MAX_BYTES ((int64_t)1 << 30) /* sanity bound on a file to import */

typedef struct
{
  char magic[8];
  uint32_t event_size; /* sizeof (PlabEvent) of the writer */
  uint32_t reserved;
  int64_t run_id;
  int64_t base;
} JournalHeader;

static char *
journal_path (const PlabStore *self, int64_t run_id)
{
  size_t len = strlen (self->path) + 32;
  char *path = malloc (len);

  if (path != NULL)
    snprintf (path, len, "%s-events-%lld", self->path, (long long)run_id);
  return path;
}

bool
_plab_store_journal_exists (const PlabStore *self, int64_t run_id)
{
  char *path = journal_path (self, run_id);
  bool found = path != NULL && _plab_store_exists (path);

  free (path);
  return found;
}

/* The rows of @run_id that count for the journal: spans and counter samples. */
static int
journal_rows (PlabStore *self, int64_t run_id, int64_t *rows)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  *rows = 0;
  rc = sqlite3_prepare_v2 (self->db,
                           "SELECT (SELECT n_spans FROM runs WHERE id = ?1) "
                           "+ (SELECT count(*) FROM counters WHERE run_id = ?1)",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, run_id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          *rows = sqlite3_column_int64 (stmt, 0);
          rc = SQLITE_OK;
        }
    }
  sqlite3_finalize (stmt);
  return rc == SQLITE_OK ? 0 : _plab_store_fail_sqlite (self, rc);
}

static int
journal_write_header (int fd, int64_t run_id, int64_t base)
{
  JournalHeader header;

  memset (&header, 0, sizeof header);
  memcpy (header.magic, JOURNAL_MAGIC, sizeof header.magic);
  header.event_size = sizeof (PlabEvent);
  header.run_id = run_id;
  header.base = base;
  if (pwrite (fd, &header, sizeof header, 0) != (ssize_t)sizeof header)
    return PLAB_ESYS;
  /* Appends go on from the end of the file. */
  return lseek (fd, 0, SEEK_END) < 0 ? PLAB_ESYS : 0;
}

/* Moves the journal of @run_id, whose runner is gone, into the store and
 * removes it. A journal that is missing, not ours, or already in the store is
 * only removed (or left, when unreadable). */
static int
journal_import (PlabStore *self, int64_t run_id)
{
  char *path = journal_path (self, run_id);
  JournalHeader header;
  PlabEvent *events = NULL;
  struct stat st;
  int64_t rows;
  size_t n = 0;
  int fd = -1, rc = 0;

  if (path == NULL)
    return PLAB_ENOMEM;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    goto out; /* none: the run had nothing held back */
  if (fstat (fd, &st) < 0 || st.st_size < (off_t)sizeof header || st.st_size > JOURNAL_MAX_BYTES
      || pread (fd, &header, sizeof header, 0) != (ssize_t)sizeof header
      || memcmp (header.magic, JOURNAL_MAGIC, sizeof header.magic) != 0
      || header.event_size != sizeof (PlabEvent) || header.run_id != run_id)
    goto out; /* not a journal this plab wrote for this run: leave it be */

  if ((rc = journal_rows (self, run_id, &rows)) < 0)
    goto out;
  /* A torn last event (the runner died in the middle of a write) is dropped. */
  n = (size_t)(st.st_size - (off_t)sizeof header) / sizeof (PlabEvent);
  if (rows == header.base && n > 0)
    {
      events = malloc (n * sizeof (PlabEvent));
      if (events == NULL)
        {
          rc = PLAB_ENOMEM;
          goto out;
        }
      if (pread (fd, events, n * sizeof (PlabEvent), sizeof header)
          != (ssize_t)(n * sizeof (PlabEvent)))
        {
          rc = _plab_store_fail_with (self, PLAB_ESTORE_IO,
                                      "cannot read the journal of an interrupted run");
          goto out;
        }
      /* They join the open's transaction: in the store when it commits. */
      if ((rc = plab_store_add_events (self, run_id, events, n)) < 0)
        goto out;
    }
  /* Removed after the commit (see _plab_store_remove_imported_journals ()): removed now,
   * a failed commit would lose the events. */
  {
    int64_t *grown = realloc (self->imported, (self->n_imported + 1) * sizeof *grown);

    if (grown == NULL)
      {
        rc = PLAB_ENOMEM;
        goto out;
      }
    self->imported = grown;
    self->imported[self->n_imported++] = run_id;
  }

out:
  if (fd >= 0)
    close (fd);
  free (events);
  free (path);
  return rc;
}

void
_plab_store_remove_imported_journals (PlabStore *self, bool committed)
{
  for (size_t i = 0; committed && i < self->n_imported; i++)
    {
      char *path = journal_path (self, self->imported[i]);

      if (path != NULL)
        unlink (path);
      free (path);
    }
  free (self->imported);
  self->imported = NULL;
  self->n_imported = 0;
}

int
plab_store_journal_begin (PlabStore *self, int64_t run_id)
{
  char *path;
  int64_t rows;
  int rc;

  if (self == NULL)
    return PLAB_EINVAL;
  if ((rc = _plab_store_require_writable (self)) < 0)
    return rc;
  plab_store_journal_end (self);
  if ((rc = journal_rows (self, run_id, &rows)) < 0)
    return rc;
  path = journal_path (self, run_id);
  if (path == NULL)
    return PLAB_ENOMEM;
  self->journal_fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (self->journal_fd < 0 || journal_write_header (self->journal_fd, run_id, rows) < 0)
    {
      rc = _plab_store_fail_with (self, PLAB_ESYS, strerror (errno));
      if (self->journal_fd >= 0)
        close (self->journal_fd);
      self->journal_fd = -1;
      unlink (path);
      free (path);
      return rc;
    }
  self->journal_run = run_id;
  free (path);
  return 0;
}

/* Closes and removes the journal of this store, if any. */
void
_plab_store_journal_drop (PlabStore *self)
{
  char *path;

  if (self->journal_fd >= 0)
    close (self->journal_fd);
  self->journal_fd = -1;
  if (self->journal_run == 0)
    return;
  path = journal_path (self, self->journal_run);
  if (path != NULL)
    unlink (path);
  free (path);
  self->journal_run = 0;
}

int
plab_store_journal_append (PlabStore *self, const PlabEvent *events, size_t n)
{
  const char *p = (const char *)events;
  size_t left = n * sizeof *events;

  if (self == NULL || self->journal_fd < 0)
    return 0;
  while (left > 0)
    {
      ssize_t w = write (self->journal_fd, p, left);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        {
          /* The disk is full, or worse. The store needs the room more than
           * the journal does: the run can still be recorded when it ends,
           * it only loses its cover against a kill. */
          int err = w < 0 ? errno : ENOSPC;

          _plab_store_journal_drop (self);
          return _plab_store_fail_with (self, PLAB_ESYS, strerror (err));
        }
      p += w;
      left -= (size_t)w;
    }
  return 0;
}

int
plab_store_journal_reset (PlabStore *self)
{
  int64_t rows;
  int rc;

  if (self == NULL || self->journal_fd < 0)
    return 0;
  if ((rc = journal_rows (self, self->journal_run, &rows)) < 0)
    return rc;
  /* Truncate first: a journal that is empty whatever its base imports nothing. */
  if (ftruncate (self->journal_fd, sizeof (JournalHeader)) < 0
      || (_plab_store_kill_point ("journal-reset"), 0)
      || journal_write_header (self->journal_fd, self->journal_run, rows) < 0)
    {
      rc = _plab_store_fail_with (self, PLAB_ESYS, strerror (errno));
      _plab_store_journal_drop (self);
      return rc;
    }
  return 0;
}

void
plab_store_journal_end (PlabStore *self)
{
  /* The file goes even when an append failed and closed it (a full disk):
   * the run is over, and no later open would look at its journal again. */
  if (self != NULL)
    _plab_store_journal_drop (self);
}

/* The runs of this host still "running" whose runner is gone: no process
 * with its pid, or one that started at another time (the pid was reused).
 * Returns 0 with a malloc'ed array of *n_out ids in *out, or an error. */
static int
find_dead_runs (PlabStore *self, int64_t **out, size_t *n_out)
{
  sqlite3_stmt *select = NULL;
  int64_t *dead = NULL;
  size_t n_dead = 0, cap = 0;
  int rc;

  if ((rc = _plab_store_stmt_get (self, STMT_RUNNING_RUNS, &select)) < 0)
    return rc;
  sqlite3_bind_text (select, 1, self->host, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (select)) == SQLITE_ROW)
    {
      int pid = sqlite3_column_int (select, 1);
      int64_t start = sqlite3_column_int64 (select, 2);

      if (plab_process_start_ticks (pid) == start)
        continue;
      if (n_dead == cap)
        {
          size_t new_cap = cap ? cap * 2 : 8;
          int64_t *grown = realloc (dead, new_cap * sizeof *dead);
          if (grown == NULL)
            {
              rc = SQLITE_NOMEM;
              break;
            }
          dead = grown;
          cap = new_cap;
        }
      dead[n_dead++] = sqlite3_column_int64 (select, 0);
    }
  rc = rc == SQLITE_DONE ? 0 : _plab_store_fail_sqlite (self, rc);
  sqlite3_reset (select);
  if (rc < 0)
    {
      free (dead);
      return rc;
    }
  *out = dead;
  *n_out = n_dead;
  return 0;
}

/* Marks failed every run of this host still "running" whose runner is gone,
 * after moving its journal into the store. Lanes, spans and counters are
 * kept. Runs inside the transaction of the open. */
int
_plab_store_repair_interrupted (PlabStore *self)
{
  sqlite3_stmt *update = NULL;
  int64_t *dead = NULL;
  size_t n_dead = 0;
  int rc;

  if ((rc = find_dead_runs (self, &dead, &n_dead)) < 0)
    return rc;
  if (n_dead == 0)
    {
      free (dead);
      return 0;
    }

  /* The events the runner held back go in first: once the run is marked
   * failed, no later open looks at it again. */
  for (size_t i = 0; i < n_dead; i++)
    if ((rc = journal_import (self, dead[i])) < 0)
      {
        free (dead);
        return rc;
      }

  /* The run's wall time is what its timeline shows it reached: the end of
   * its last span or counter sample, times being relative to its origin. */
  rc = sqlite3_prepare_v2 (self->db,
                           "UPDATE runs SET status = 'failed', error = ?2, check_ok = 0, "
                           "check_message = coalesce (nullif (check_message, ''), ?3), "
                           "wall_ns = CASE WHEN coalesce (wall_ns, 0) > 0 THEN wall_ns ELSE max ("
                           "  coalesce ((SELECT max (end_ns) FROM spans WHERE run_id = ?1), 0),"
                           "  coalesce ((SELECT max (t_ns) FROM counters WHERE run_id = ?1), 0)) "
                           "END "
                           "WHERE id = ?1 AND status = 'running'",
                           -1, &update, NULL);
  if (rc != SQLITE_OK)
    goto fail_sqlite;
  for (size_t i = 0; i < n_dead; i++)
    {
      sqlite3_bind_int64 (update, 1, dead[i]);
      sqlite3_bind_text (update, 2, INTERRUPTED_MESSAGE, -1, SQLITE_STATIC);
      sqlite3_bind_text (update, 3, INTERRUPTED_CHECK, -1, SQLITE_STATIC);
      rc = sqlite3_step (update);
      sqlite3_reset (update);
      if (rc != SQLITE_DONE)
        goto fail_sqlite;
      self->repaired += sqlite3_changes (self->db);
    }
  sqlite3_finalize (update);
  free (dead);
  return 0;

fail_sqlite:
  rc = _plab_store_fail_sqlite (self, rc);
  self->repaired = 0;
  sqlite3_finalize (update);
  free (dead);
  return rc;
}
