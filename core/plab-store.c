/* plab-store.c: the run store, one SQLite file holding every run.
 *
 * Opening is careful before it is fast. A file we did not create must come
 * out of a refused open exactly as it went in, and SQLite alone cannot promise
 * that: merely opening a database that is in WAL mode creates its -wal and
 * -shm files, and closing a connection may checkpoint into the main file. So
 * the first 100 bytes (the database header) and the schema page are read
 * first, under a shared lock, and judged: magic string, application id, schema
 * version, page count against file size, and whether an unmarked database is
 * empty. Only a file that passes (ours, or empty) is handed to SQLite. Should
 * SQLite still refuse it (corruption deeper in the file), closing lets SQLite
 * remove the -wal and -shm files it made, when no other process uses them.
 *
 * Writing: every statement is prepared once and cached. A batch of events is
 * one transaction; spans go to `spans`, counter samples to `counters`, times
 * made relative to the run's origin. The origin, the next span number and the
 * longest span of the run being written are cached, so a batch costs one
 * b-tree insert per event and one UPDATE of the run.
 *
 * A PlabStore is used by one thread at a time (the connection is opened
 * without SQLite's own mutexes, which would cost a lock per bound value).
 */
#include "plab.h"
#include "plab-migrate-2.h"
#include "plab-schema.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* How long a write waits for another program's writer to commit. */
#define BUSY_TIMEOUT_MS 3000

/* How long, in all, a write waits while the lock is held by other plab
 * runners of this store: several runners writing their runs at once queue
 * for each other, each commit of a million spans taking seconds on a busy
 * machine. Only a bound against a runner that stopped and never ends. */
#define RUNNER_WAIT_MS (10 * 60 * 1000)

#define INTERRUPTED_MESSAGE "the runner stopped before the run finished (it was killed or crashed)"
#define INTERRUPTED_CHECK "not checked: the run was interrupted before its end"

/* Byte offsets in the 100-byte SQLite database header. */
#define HDR_SIZE 100
#define HDR_PAGE_SIZE 16
#define HDR_WRITE_VERSION 18
#define HDR_READ_VERSION 19
#define HDR_CHANGE_COUNTER 24
#define HDR_N_PAGES 28
#define HDR_USER_VERSION 60
#define HDR_APPLICATION_ID 68
#define HDR_VALID_FOR 92
/* Page 1 holds the schema table's b-tree; its page header follows the file header. */
#define PAGE1_TYPE 100
#define PAGE1_N_CELLS 103
#define BTREE_LEAF_TABLE 0x0d
#define BTREE_INTERIOR_TABLE 0x05

typedef enum
{
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_SAVEPOINT,
  STMT_RELEASE,
  STMT_ROLLBACK_TO,
  STMT_RUN_CURSOR,
  STMT_INSERT_SPAN,
  STMT_INSERT_SPAN_BLOCK,
  STMT_INSERT_COUNTER,
  STMT_UPDATE_RUN_COUNTS,
  STMT_ENSURE_LANE,
  STMT_PUT_LANE,
  STMT_BEGIN_RUN,
  STMT_FINISH_RUN,
  STMT_NEW_SWEEP,
  STMT_GET_RUN,
  STMT_LIST_RUNS,
  STMT_GET_LANES,
  STMT_GET_SPANS,
  STMT_GET_COUNTERS,
  STMT_GET_MACHINE,
  N_STMTS
} StmtId;

#define RUN_COLUMNS                                                                                \
  "id, demo, backend, workers, params, seed, status, started_at_us, wall_ns, cpu_ns, "             \
  "result, check_ok, check_message, error, sweep_id, repeat, machine_id, runner_pid, "             \
  "n_spans, runner_start, runner_host"

static const char *const stmt_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_SAVEPOINT] = "SAVEPOINT batch",
  [STMT_RELEASE] = "RELEASE batch",
  [STMT_ROLLBACK_TO] = "ROLLBACK TO batch",
  [STMT_RUN_CURSOR] = "SELECT origin_ns, n_spans, max_span_ns FROM runs WHERE id = ?1",
  [STMT_INSERT_SPAN] = "INSERT INTO spans (run_id, lane, start_ns, seq, end_ns, kind, label, "
                       "task_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
  [STMT_INSERT_COUNTER] = "INSERT INTO counters (run_id, lane, name, t_ns, value) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_UPDATE_RUN_COUNTS] = "UPDATE runs SET n_spans = ?2, max_span_ns = ?3 WHERE id = ?1",
  [STMT_ENSURE_LANE] = "INSERT OR IGNORE INTO lanes (run_id, lane, kind, name) "
                       "VALUES (?1, ?2, ?3, ?4)",
  [STMT_PUT_LANE] = "INSERT INTO lanes (run_id, lane, kind, pid, tid, name, end_state, "
                    "exit_code, exit_signal, dropped) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                    "ON CONFLICT (run_id, lane) DO UPDATE SET kind = excluded.kind, "
                    "pid = excluded.pid, tid = excluded.tid, name = excluded.name, "
                    "end_state = excluded.end_state, exit_code = excluded.exit_code, "
                    "exit_signal = excluded.exit_signal, dropped = excluded.dropped",
  [STMT_BEGIN_RUN] = "INSERT INTO runs (demo, backend, workers, params, seed, status, "
                     "started_at_us, sweep_id, repeat, machine_id, runner_pid, runner_start, "
                     "runner_host, origin_ns) VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7, "
                     "?8, ?9, ?10, ?11, ?12, ?13)",
  [STMT_FINISH_RUN] = "UPDATE runs SET status = ?2, wall_ns = ?3, cpu_ns = ?4, result = ?5, "
                      "check_ok = ?6, check_message = ?7, error = ?8 WHERE id = ?1",
  [STMT_NEW_SWEEP] = "INSERT INTO sweeps (demo, label, created_at_us) VALUES (?1, ?2, ?3)",
  [STMT_GET_RUN] = "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?1",
  [STMT_LIST_RUNS] = "SELECT " RUN_COLUMNS " FROM runs "
                     "WHERE (?1 IS NULL OR demo = ?1) AND (?2 = 0 OR sweep_id = ?2) "
                     "ORDER BY id DESC LIMIT ?3",
  [STMT_GET_LANES] = "SELECT lane, kind, pid, tid, name, end_state, exit_code, exit_signal, "
                     "dropped FROM lanes WHERE run_id = ?1 ORDER BY lane",
  /* The IN list walks the lanes of the run in order, and within a lane the
   * primary key gives a range scan on start_ns: no sort, no full scan. */
  [STMT_GET_SPANS] = "SELECT lane, start_ns, end_ns, kind, label, task_id FROM spans "
                     "WHERE run_id = ?1 AND lane IN (SELECT lane FROM lanes WHERE run_id = ?1) "
                     "AND start_ns >= ?2 AND start_ns <= ?3 AND end_ns >= ?4 "
                     "ORDER BY lane, start_ns, seq",
  [STMT_GET_COUNTERS] = "SELECT lane, name, t_ns, value FROM counters WHERE run_id = ?1 "
                        "ORDER BY name, t_ns, rowid",
  [STMT_GET_MACHINE] = "SELECT id, host, cpu_model, usable_cpus, online_cpus, os, compiler, "
                       "plab_version FROM machines WHERE id = ?1",
};

/* One step of the schema's history: running @sql on a store at version
 * @version - 1 brings it to @version. A new store gets the whole current
 * schema (plab_schema_sql) at once instead. */
typedef struct
{
  int version;
  const char *sql;
} Migration;

static const Migration migrations[] = {
  { 2, plab_migrate_2_sql },
};

/* Spans are inserted SPAN_BLOCK rows per statement: a statement's fixed cost
 * (opening the table, starting and halting the program) is then paid once
 * for many rows, which makes bulk writes markedly faster. */
#define SPAN_BLOCK 64
#define SPAN_PARAMS 7 /* per row, after the shared ?1 (run id) */

#define N_LANE_WORDS (65536 / 64)

struct PlabStore
{
  sqlite3 *db;
  char *path;
  PlabStoreMode mode;
  int64_t machine_id;
  int repaired;
  char host[128];
  char errmsg[512];

  /* The file a writer opened, so that a store deleted, moved or replaced
   * under a run is noticed before the run is reported recorded. */
  dev_t file_dev;
  ino_t file_ino;

  /* Prepared on first use, finalized on close. */
  sqlite3_stmt *stmts[N_STMTS];

  /* The write cursor of the run last written to. Valid while cursor_run is
   * not 0; it mirrors runs.origin_ns, n_spans and max_span_ns of that run as
   * committed, and is dropped whenever a transaction fails. known_lanes has a
   * bit for every lane of that run known to have a row in `lanes`. */
  int64_t cursor_run;
  int64_t cursor_origin;
  int64_t cursor_n_spans;
  int64_t cursor_max_span;
  uint64_t known_lanes[N_LANE_WORDS];

  /* The sink writes to sink_run and remembers its first error. */
  int64_t sink_run;
  int sink_error;

  /* The event journal of journal_run, open for appending while journal_fd
   * is not -1 (see plab_store_journal_begin). journal_run stays set when an
   * append failed and closed the file: the file is there until the end. */
  int journal_fd;
  int64_t journal_run;

  /* Runs whose journals this open imported (or found already in the store):
   * removed once the open's transaction has committed. */
  int64_t *imported;
  size_t n_imported;
};

static _Thread_local char open_error[1024];

#ifdef PLAB_TEST_HOOKS
/* Crash tests kill the writer at a named point: PLAB_TEST_KILL_AT=POINT, or
 * POINT:N for its N-th passage. Compiled only into test builds. */
static void
kill_point (const char *point)
{
  static int passed;
  const char *at = getenv ("PLAB_TEST_KILL_AT");
  size_t len = strlen (point);

  if (at == NULL || strncmp (at, point, len) != 0 || (at[len] != '\0' && at[len] != ':'))
    return;
  if (++passed >= (at[len] == ':' ? atoi (at + len + 1) : 1))
    raise (SIGKILL);
}
#else
#define kill_point(point) ((void)0)
#endif

/* --- Names --- */

static const char *const run_status_names[] = { "running", "ok", "failed", "cancelled" };
static const char *const lane_kind_names[] = { "main", "process", "thread" };
static const char *const lane_end_names[] = { "running", "exited", "killed" };

#define N_ELEMENTS(a) (sizeof (a) / sizeof (a)[0])

static int
name_index (const char *const *names, size_t n, const char *name)
{
  if (name == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (strcmp (names[i], name) == 0)
      return (int)i;
  return -1;
}

const char *
plab_run_status_name (PlabRunStatus status)
{
  if ((unsigned)status >= N_ELEMENTS (run_status_names))
    return "unknown";
  return run_status_names[status];
}

int
plab_run_status_from_name (const char *name)
{
  return name_index (run_status_names, N_ELEMENTS (run_status_names), name);
}

/* --- Errors --- */

/* The PLAB_ESTORE_* code for a failed SQLite call. An I/O error is sorted by
 * the system error behind it (@sys_errno, 0 when unknown): a file that may
 * not grow is as full as a full disk, and a read-only file system is
 * read-only whatever SQLite calls it. */
static int
error_from_sqlite_errno (int rc, int sys_errno)
{
  switch (rc & 0xff)
    {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return 0;
    case SQLITE_NOMEM:
      return PLAB_ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return PLAB_ESTORE_BUSY;
    case SQLITE_READONLY:
      return PLAB_ESTORE_READONLY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return PLAB_ESTORE_CORRUPT;
    case SQLITE_FULL:
      return PLAB_ESTORE_FULL;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      if (sys_errno == EACCES || sys_errno == EPERM || sys_errno == EROFS)
        return PLAB_ESTORE_READONLY;
      return PLAB_ESTORE_OPEN;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return PLAB_EINVAL;
    case SQLITE_IOERR:
      if (sys_errno == ENOSPC || sys_errno == EDQUOT || sys_errno == EFBIG)
        return PLAB_ESTORE_FULL;
      if (sys_errno == EROFS || sys_errno == EACCES || sys_errno == EPERM)
        return PLAB_ESTORE_READONLY;
      return PLAB_ESTORE_IO;
    default:
      return PLAB_ESTORE_IO;
    }
}

static char *dir_of (const char *path);

/* Room a write may need beyond the current end of a file: a -wal frame of
 * the largest page, with its header, and a page of the database. */
#define WRITE_HEADROOM (2 * 65536 + 4096)

/* SQLite does not always keep the errno of a failed write: a file that may
 * not grow any more (EFBIG) comes out as a plain "disk I/O error". So the
 * likely causes are looked for where the store lives: a file size limit
 * that the database or its -wal file has reached, or a disk without room. */
static int
diagnose_write_error (const char *path)
{
  char wal[PATH_MAX + 8];
  struct rlimit limit;
  struct statvfs vfs;
  struct stat st;
  off_t biggest = 0;
  char *dir;
  int err = 0;

  if (path == NULL)
    return 0;
  if (stat (path, &st) == 0)
    biggest = st.st_size;
  snprintf (wal, sizeof wal, "%s-wal", path);
  if (stat (wal, &st) == 0 && st.st_size > biggest)
    biggest = st.st_size;
  if (getrlimit (RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
      && (rlim_t)biggest + WRITE_HEADROOM >= limit.rlim_cur)
    return EFBIG;
  dir = dir_of (path);
  if (dir != NULL && statvfs (dir, &vfs) == 0
      && (uint64_t)vfs.f_bavail * vfs.f_frsize < WRITE_HEADROOM)
    err = ENOSPC;
  free (dir);
  return err;
}

/* The system error behind a failed call on @db for the store at @path,
 * when the failure was the system's (SQLite keeps the errno of its last
 * failed system call, which is stale for other errors). */
static int
system_errno_of (sqlite3 *db, int rc, const char *path)
{
  int primary = rc & 0xff;
  int err;

  if (db == NULL
      || (primary != SQLITE_IOERR && primary != SQLITE_CANTOPEN && primary != SQLITE_FULL))
    return 0;
  err = sqlite3_system_errno (db);
  if (err == 0 && primary != SQLITE_CANTOPEN)
    err = diagnose_write_error (path);
  return err;
}

/* What a failed SQLite call means for the store, in plain words, followed
 * by SQLite's own message as context: the line a user sees. */
static void
describe_sqlite (sqlite3 *db, int rc, const char *path, char *buf, size_t size)
{
  const char *msg = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);
  int sys_errno = system_errno_of (db, rc, path);

  switch (error_from_sqlite_errno (rc, sys_errno))
    {
    case PLAB_ESTORE_BUSY:
      snprintf (buf, size,
                "it is locked by another program, which has held it for more than %d s (SQLite: "
                "%s)",
                BUSY_TIMEOUT_MS / 1000, msg);
      break;
    case PLAB_ESTORE_FULL:
      snprintf (buf, size, "%s (SQLite: %s)",
                sys_errno == EFBIG    ? "the file may not grow any larger: the file size limit "
                                        "(ulimit -f) is reached"
                : sys_errno == EDQUOT ? "the disk quota is used up"
                                      : "no space is left on the disk",
                msg);
      break;
    case PLAB_ESTORE_CORRUPT:
      snprintf (buf, size, "the file is damaged (SQLite: %s)", msg);
      break;
    case PLAB_ESTORE_READONLY:
      snprintf (buf, size, "%s (SQLite: %s)",
                sys_errno == EROFS ? "the file system is mounted read-only"
                                   : "the file or its folder may not be written",
                msg);
      break;
    default:
      if (sys_errno != 0)
        snprintf (buf, size, "reading or writing the file failed: %s (SQLite: %s)",
                  strerror (sys_errno), msg);
      else
        snprintf (buf, size, "SQLite: %s", msg);
    }
}

static void
set_open_error (const char *path, const char *fmt, ...)
{
  char detail[768];
  va_list args;

  va_start (args, fmt);
  vsnprintf (detail, sizeof detail, fmt, args);
  va_end (args);
  snprintf (open_error, sizeof open_error, "%s: %s", path ? path : "(no path)", detail);
}

const char *
plab_store_open_error (void)
{
  return open_error;
}

/* The code of the failed call @rc on @db, with its open error set. */
static int
fail_open_sqlite (const char *path, sqlite3 *db, int rc)
{
  char detail[512];

  describe_sqlite (db, rc, path, detail, sizeof detail);
  set_open_error (path, "%s", detail);
  return error_from_sqlite_errno (rc, system_errno_of (db, rc, path));
}

/* Records what the failed call @rc means and returns its code. */
static int
fail_sqlite (PlabStore *self, int rc)
{
  describe_sqlite (self->db, rc, self->path, self->errmsg, sizeof self->errmsg);
  return error_from_sqlite_errno (rc, system_errno_of (self->db, rc, self->path));
}

static int
fail_with (PlabStore *self, int code, const char *message)
{
  snprintf (self->errmsg, sizeof self->errmsg, "%s", message);
  return code;
}

const char *
plab_store_errmsg (PlabStore *self)
{
  return self != NULL ? self->errmsg : open_error;
}

int
plab_store_repaired_runs (PlabStore *self)
{
  return self->repaired;
}

/* --- Paths --- */

char *
plab_store_default_path (void)
{
  const char *xdg = getenv ("XDG_DATA_HOME");
  const char *home = getenv ("HOME");
  char *path = NULL;
  size_t len;

  /* The XDG spec says a relative XDG_DATA_HOME is invalid and is ignored. */
  if (xdg != NULL && xdg[0] == '/')
    {
      len = strlen (xdg) + sizeof "/plab/runs.db";
      path = malloc (len);
      if (path != NULL)
        snprintf (path, len, "%s/plab/runs.db", xdg);
    }
  else if (home != NULL && home[0] != '\0')
    {
      len = strlen (home) + sizeof "/.local/share/plab/runs.db";
      path = malloc (len);
      if (path != NULL)
        snprintf (path, len, "%s/.local/share/plab/runs.db", home);
    }
  return path;
}

/* The folder part of @path ("." when there is none); malloc'ed. */
static char *
dir_of (const char *path)
{
  const char *slash = strrchr (path, '/');
  char *dir;

  if (slash == NULL)
    return strdup (".");
  if (slash == path)
    return strdup ("/");
  dir = strndup (path, (size_t)(slash - path));
  return dir;
}

/* mkdir -p, with the 0700 that the XDG spec asks for new data folders. */
static int
make_dirs (const char *dir)
{
  char buf[PATH_MAX];
  size_t len = strlen (dir);

  if (len == 0 || len >= sizeof buf)
    return len == 0 ? 0 : -1;
  memcpy (buf, dir, len + 1);
  for (char *p = buf + 1; *p != '\0'; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (buf, 0700) != 0 && errno != EEXIST)
        return -1;
      *p = '/';
    }
  if (mkdir (buf, 0700) != 0 && errno != EEXIST)
    return -1;
  return 0;
}

/* Writable for us, and not marked read-only by its owner: no write bit at
 * all counts as read-only even for root, who could write anyway. */
static bool
writable (const char *path, const struct stat *st)
{
  return access (path, W_OK) == 0 && (st->st_mode & 0222) != 0;
}

/* Why @path is not writable, for a message ("has no write permission"). */
static const char *
why_not_writable (const char *path)
{
  if (access (path, W_OK) != 0 && errno == EROFS)
    return "is on a file system mounted read-only";
  return "has no write permission";
}

/* "file:PATH" with the characters a URI gives a meaning to escaped, so
 * that a file name is never taken for URI parameters; malloc'ed. */
static char *
file_uri (const char *path, const char *params)
{
  size_t len = strlen (path);
  char *uri = malloc (sizeof "file://" + 3 * len + strlen (params) + 1);
  char *p;

  if (uri == NULL)
    return NULL;
  /* An absolute path gets an empty authority, so "//x" stays a path. */
  p = uri + sprintf (uri, "%s", path[0] == '/' ? "file://" : "file:");
  for (const char *c = path; *c; c++)
    if (*c == '%' || *c == '?' || *c == '#')
      p += sprintf (p, "%%%02X", (unsigned char)*c);
    else
      *p++ = *c;
  strcpy (p, params);
  return uri;
}

static bool
exists (const char *path)
{
  struct stat st;

  return lstat (path, &st) == 0;
}

/* --- Judging a file before SQLite sees it --- */

typedef enum
{
  FILE_EMPTY, /* no bytes, or an SQLite database with no schema and no marks */
  FILE_OURS,  /* carries our application id */
} FileKind;

static uint32_t
be32 (const unsigned char *p)
{
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Reads the first @len bytes of @file into @buf, and its size into *size,
 * under a shared lock, as SQLite reads: a writer in rollback mode writes the
 * first page (with the new page count) before the pages it counts, and holds
 * its exclusive lock until the last of them is written. Waits for the lock
 * as long as SQLite's own reads do. Leaves the file unlocked, as SQLite
 * opened it. */
static int
read_header_locked (sqlite3_file *file, unsigned char *buf, int len, sqlite3_int64 *size)
{
  int waited_ms = 0;
  int rc;

  while ((rc = file->pMethods->xLock (file, SQLITE_LOCK_SHARED)) == SQLITE_BUSY
         && waited_ms < BUSY_TIMEOUT_MS)
    {
      struct timespec ms = { 0, 1000000 };

      nanosleep (&ms, NULL);
      waited_ms++;
    }
  if (rc != SQLITE_OK)
    return rc;
  rc = file->pMethods->xFileSize (file, size);
  if (rc == SQLITE_OK && *size > 0)
    {
      rc = file->pMethods->xRead (file, buf, len, 0);
      if (rc == SQLITE_IOERR_SHORT_READ)
        rc = SQLITE_OK;
    }
  file->pMethods->xUnlock (file, SQLITE_LOCK_NONE);
  return rc;
}

/* Reads the header of the database at @path, just opened as @db, and
 * decides whether SQLite may read it. @wal_frames says that a -wal file with
 * commits in it lies beside the database: the header may then be one that a
 * checkpoint was writing when it stopped (the disk filled up, say), ahead of
 * the pages behind it, and the -wal file still holds them all. Returns 0 with
 * *kind_out set, or a PLAB_ESTORE_* code with the open error set. Reads only. */
static int
judge_file (sqlite3 *db, const char *path, bool wal_frames, FileKind *kind_out)
{
  static const char magic[16] = "SQLite format 3";
  unsigned char hdr[HDR_SIZE + 8];
  uint32_t page_size, n_pages, app_id, user_version;
  sqlite3_file *file = NULL;
  sqlite3_int64 size = 0;
  int rc;

  /* The header is read through the connection's own file handle, which
   * SQLite opened but has not read or locked yet. Not with open () and
   * close (): closing any descriptor of a file drops every POSIX lock this
   * process holds on it, so a second store opened in a process (the lab
   * window's export dialog, a reader beside a writer) would take away the
   * first connection's locks, and a writer elsewhere could then checkpoint
   * and reset the -wal file under its feet. SQLite's own files keep
   * their locks. */
  if (sqlite3_file_control (db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK
      || file == NULL || file->pMethods == NULL)
    {
      set_open_error (path, "cannot read the file's header");
      return PLAB_ESTORE_IO;
    }
  memset (hdr, 0, sizeof hdr);
  rc = read_header_locked (file, hdr, (int)sizeof hdr, &size);
  if (rc == SQLITE_BUSY)
    {
      set_open_error (path, "it is locked by another program, which has held it for more than %d s",
                      BUSY_TIMEOUT_MS / 1000);
      return PLAB_ESTORE_BUSY;
    }
  if (rc != SQLITE_OK)
    {
      set_open_error (path, "cannot read the file's header: %s", sqlite3_errstr (rc));
      return PLAB_ESTORE_IO;
    }
  if (size == 0)
    {
      *kind_out = FILE_EMPTY;
      return 0;
    }

  if (size < (off_t)sizeof hdr || memcmp (hdr, magic, sizeof magic) != 0)
    {
      set_open_error (path, "the file is not an SQLite database");
      return PLAB_ESTORE_CORRUPT;
    }

  page_size = ((uint32_t)hdr[HDR_PAGE_SIZE] << 8) | hdr[HDR_PAGE_SIZE + 1];
  if (page_size == 1)
    page_size = 65536;
  if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0
      || hdr[HDR_WRITE_VERSION] < 1 || hdr[HDR_WRITE_VERSION] > 2 || hdr[HDR_READ_VERSION] < 1
      || hdr[HDR_READ_VERSION] > 2)
    {
      set_open_error (path, "the file's SQLite header is damaged");
      return PLAB_ESTORE_CORRUPT;
    }

  app_id = be32 (hdr + HDR_APPLICATION_ID);
  user_version = be32 (hdr + HDR_USER_VERSION);
  if (app_id != 0 && app_id != PLAB_STORE_APPLICATION_ID)
    {
      set_open_error (path, "it is an SQLite database of another program (application id 0x%08x)",
                      app_id);
      return PLAB_ESTORE_FOREIGN;
    }

  /* The page count in the header is trustworthy when the change counter and
   * the version-valid-for number agree and no -wal file has newer pages; a
   * file shorter than that lost its tail. */
  n_pages = be32 (hdr + HDR_N_PAGES);
  if ((size % (off_t)page_size) != 0 && !wal_frames)
    {
      set_open_error (path,
                      "the file is cut short: %lld bytes is not a whole number of %u-byte "
                      "pages",
                      (long long)size, page_size);
      return PLAB_ESTORE_CORRUPT;
    }
  if (n_pages != 0 && !wal_frames && be32 (hdr + HDR_CHANGE_COUNTER) == be32 (hdr + HDR_VALID_FOR)
      && (off_t)n_pages * page_size > size)
    {
      set_open_error (path, "the file is cut short: %lld bytes of the %lld its header gives",
                      (long long)size, (long long)n_pages * page_size);
      return PLAB_ESTORE_CORRUPT;
    }

  if (app_id == PLAB_STORE_APPLICATION_ID)
    {
      if (user_version > PLAB_STORE_SCHEMA_VERSION)
        {
          set_open_error (path,
                          "it was written by a newer plab (schema version %u; this plab knows "
                          "versions up to %d)",
                          user_version, PLAB_STORE_SCHEMA_VERSION);
          return PLAB_ESTORE_NEWER;
        }
      *kind_out = FILE_OURS;
      return 0;
    }

  /* Unmarked: ours to take only if nobody has put anything in it. */
  if (hdr[PAGE1_TYPE] == BTREE_LEAF_TABLE
      && ((hdr[PAGE1_N_CELLS] << 8) | hdr[PAGE1_N_CELLS + 1]) == 0 && user_version == 0)
    {
      *kind_out = FILE_EMPTY;
      return 0;
    }
  if (hdr[PAGE1_TYPE] != BTREE_LEAF_TABLE && hdr[PAGE1_TYPE] != BTREE_INTERIOR_TABLE)
    {
      set_open_error (path, "the first page, which lists the tables, is damaged");
      return PLAB_ESTORE_CORRUPT;
    }
  set_open_error (path, "it is an SQLite database of another program: it has tables that are not "
                        "plab's");
  return PLAB_ESTORE_FOREIGN;
}

/* --- Statements --- */

/* "INSERT INTO spans ... VALUES (?1, ?2, ..., ?8), (?1, ?9, ..., ?15), ...":
 * SPAN_BLOCK rows sharing the run id. */
static char *
span_block_sql (void)
{
  static const char head[]
      = "INSERT INTO spans (run_id, lane, start_ns, seq, end_ns, kind, label, task_id) VALUES ";
  size_t cap = sizeof head + SPAN_BLOCK * (8 + SPAN_PARAMS * 8);
  char *sql = malloc (cap);
  size_t len;

  if (sql == NULL)
    return NULL;
  len = (size_t)snprintf (sql, cap, "%s", head);
  for (int r = 0; r < SPAN_BLOCK; r++)
    {
      int p = 2 + r * SPAN_PARAMS;

      len += (size_t)snprintf (sql + len, cap - len, "%s(?1, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d)",
                               r == 0 ? "" : ", ", p, p + 1, p + 2, p + 3, p + 4, p + 5, p + 6);
    }
  return sql;
}

static int
stmt_get (PlabStore *self, StmtId id, sqlite3_stmt **out)
{
  int rc;

  if (self->stmts[id] == NULL)
    {
      char *block_sql = NULL;
      const char *sql = stmt_sql[id];

      if (id == STMT_INSERT_SPAN_BLOCK)
        {
          block_sql = span_block_sql ();
          if (block_sql == NULL)
            return fail_with (self, PLAB_ENOMEM, "out of memory");
          sql = block_sql;
        }
      rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &self->stmts[id],
                               NULL);
      free (block_sql);
      if (rc != SQLITE_OK)
        return fail_sqlite (self, rc);
    }
  *out = self->stmts[id];
  return 0;
}

static int64_t
monotonic_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool journal_exists (const PlabStore *self, int64_t run_id);

/* Whether a write that found the store locked (SQLite's busy timeout spent)
 * should try again: while another plab runner of this host has a run going
 * in the store, or a run of a dead runner waits for the open that imports
 * its journal, the lock is almost surely held by plab writing a run, which
 * ends. A lock held by another program (no runner of ours alive) is given up
 * on as before. Reads only: in WAL mode reading does not wait for a writer.
 * @since_ms is when the write began waiting. */
static bool
wait_for_runner (PlabStore *self, int64_t since_ms)
{
  sqlite3_stmt *stmt = NULL;
  int64_t own_start = plab_process_start_ticks ((int)getpid ());
  bool wait = false;
  struct timespec pause = { 0, 20 * 1000000 };

  if (self->mode != PLAB_STORE_READ_WRITE || monotonic_ms () - since_ms > RUNNER_WAIT_MS)
    return false;
  if (self->host[0] == '\0')
    {
      PlabMachineInfo info;

      plab_machine_info (&info);
      snprintf (self->host, sizeof self->host, "%s", info.host);
    }
  if (sqlite3_prepare_v2 (self->db,
                          "SELECT id, runner_pid, runner_start FROM runs "
                          "WHERE status = 'running' AND runner_host = ?1",
                          -1, &stmt, NULL)
      != SQLITE_OK)
    return false;
  sqlite3_bind_text (stmt, 1, self->host, -1, SQLITE_STATIC);
  while (!wait && sqlite3_step (stmt) == SQLITE_ROW)
    {
      int pid = sqlite3_column_int (stmt, 1);
      int64_t start = sqlite3_column_int64 (stmt, 2);
      bool alive = plab_process_start_ticks (pid) == start;

      if (pid == (int)getpid () && start == own_start)
        continue;
      wait = alive || journal_exists (self, sqlite3_column_int64 (stmt, 0));
    }
  sqlite3_finalize (stmt);
  /* A snapshot that went stale (SQLITE_BUSY_SNAPSHOT) comes back at once:
   * a short pause keeps the retries from spinning. */
  if (wait)
    nanosleep (&pause, NULL);
  return wait;
}

/* Runs a statement that returns no rows (or whose rows are not wanted). A
 * statement that starts a write (BEGIN IMMEDIATE, or one outside a
 * transaction) and finds the store locked by another plab runner waits for
 * it, see wait_for_runner (). */
static int
stmt_run (PlabStore *self, sqlite3_stmt *stmt)
{
  int64_t since_ms = 0;
  bool alone;
  int rc;

  for (;;)
    {
      alone = sqlite3_get_autocommit (self->db);
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      if ((rc & 0xff) != SQLITE_BUSY || !alone)
        break;
      if (since_ms == 0)
        since_ms = monotonic_ms ();
      if (!wait_for_runner (self, since_ms))
        break;
    }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return fail_sqlite (self, rc);
  return 0;
}

/* sqlite3_exec () with the same wait for other runners, for the statements
 * of an open that are not cached. */
static int
exec_waiting (PlabStore *self, const char *sql)
{
  int64_t since_ms = 0;
  int rc;

  for (;;)
    {
      bool alone = sqlite3_get_autocommit (self->db);

      rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);
      if ((rc & 0xff) != SQLITE_BUSY || !alone)
        return rc;
      if (since_ms == 0)
        since_ms = monotonic_ms ();
      if (!wait_for_runner (self, since_ms))
        return rc;
    }
}

static int
tx_begin (PlabStore *self)
{
  sqlite3_stmt *stmt = NULL;
  int rc = stmt_get (self, STMT_BEGIN, &stmt);

  return rc < 0 ? rc : stmt_run (self, stmt);
}

static int
tx_commit (PlabStore *self)
{
  sqlite3_stmt *stmt = NULL;
  int rc = stmt_get (self, STMT_COMMIT, &stmt);

  return rc < 0 ? rc : stmt_run (self, stmt);
}

/* Runs one of the transaction statements. */
static int
tx_exec (PlabStore *self, StmtId id)
{
  sqlite3_stmt *stmt = NULL;
  int rc = stmt_get (self, id, &stmt);

  return rc < 0 ? rc : stmt_run (self, stmt);
}

/* Undoes a savepoint's changes and ends it, keeping the first error's
 * message; the caller's transaction goes on. */
static void
tx_rollback_to (PlabStore *self)
{
  sqlite3_stmt *stmt = NULL;

  if (stmt_get (self, STMT_ROLLBACK_TO, &stmt) == 0)
    {
      sqlite3_step (stmt);
      sqlite3_reset (stmt);
    }
  if (stmt_get (self, STMT_RELEASE, &stmt) == 0)
    {
      sqlite3_step (stmt);
      sqlite3_reset (stmt);
    }
}

/* Undoes the open transaction, if any, keeping the first error's message. */
static void
tx_rollback (PlabStore *self)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_get_autocommit (self->db))
    return;
  if (stmt_get (self, STMT_ROLLBACK, &stmt) == 0)
    {
      sqlite3_step (stmt);
      sqlite3_reset (stmt);
    }
}

/* Runs a statement of one integer result; *out is left alone when there is no row. */
static int
query_int (sqlite3 *db, const char *sql, int64_t *out)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          *out = sqlite3_column_int64 (stmt, 0);
          rc = SQLITE_OK;
        }
      else if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    }
  sqlite3_finalize (stmt);
  return rc;
}

static int64_t
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --- Opening --- */

static pthread_once_t sqlite_config_once = PTHREAD_ONCE_INIT;

/* SQLite counts every allocation under a global mutex unless told not to;
 * that is a lock per row of a batch. The setting only takes when SQLite is
 * not initialised yet (before the first open in the process) and is
 * harmlessly refused otherwise. */
static void
configure_sqlite (void)
{
  sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Brings the schema from @from up to PLAB_STORE_SCHEMA_VERSION, setting
 * user_version with each step. Runs inside the transaction of the open, so a
 * crash or an error leaves the store at the version it had. */
static int
migrate (PlabStore *self, int64_t from)
{
  char pragma[96];
  int rc = SQLITE_OK;

  if (from == 0)
    {
      snprintf (pragma, sizeof pragma, "PRAGMA application_id = %d; PRAGMA user_version = %d",
                PLAB_STORE_APPLICATION_ID, PLAB_STORE_SCHEMA_VERSION);
      rc = sqlite3_exec (self->db, plab_schema_sql, NULL, NULL, NULL);
      if (rc == SQLITE_OK)
        rc = sqlite3_exec (self->db, pragma, NULL, NULL, NULL);
      return rc == SQLITE_OK ? 0 : fail_sqlite (self, rc);
    }
  for (size_t i = 0; i < N_ELEMENTS (migrations); i++)
    {
      if (migrations[i].version <= from)
        continue;
      rc = sqlite3_exec (self->db, migrations[i].sql, NULL, NULL, NULL);
      if (rc == SQLITE_OK)
        {
          snprintf (pragma, sizeof pragma, "PRAGMA user_version = %d", migrations[i].version);
          rc = sqlite3_exec (self->db, pragma, NULL, NULL, NULL);
        }
      if (rc != SQLITE_OK)
        return fail_sqlite (self, rc);
      from = migrations[i].version;
    }
  return 0;
}

/* This machine's row, found or added. */
static int
find_machine (PlabStore *self)
{
  static const char select_sql[]
      = "SELECT id FROM machines WHERE host = ?1 AND cpu_model = ?2 AND usable_cpus = ?3 "
        "AND online_cpus = ?4 AND os = ?5 AND compiler = ?6 AND plab_version = ?7";
  static const char insert_sql[]
      = "INSERT INTO machines (host, cpu_model, usable_cpus, online_cpus, os, compiler, "
        "plab_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
  PlabMachineInfo info;
  sqlite3_stmt *stmt = NULL;
  int rc;

  plab_machine_info (&info);
  snprintf (self->host, sizeof self->host, "%s", info.host);

  for (int pass = 0; pass < 2; pass++)
    {
      rc = sqlite3_prepare_v2 (self->db, pass == 0 ? select_sql : insert_sql, -1, &stmt, NULL);
      if (rc != SQLITE_OK)
        goto fail;
      sqlite3_bind_text (stmt, 1, info.host, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, info.cpu_model, -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 3, info.usable_cpus);
      sqlite3_bind_int (stmt, 4, info.online_cpus);
      sqlite3_bind_text (stmt, 5, info.os, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 6, info.compiler, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 7, info.version, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (pass == 0 && rc == SQLITE_ROW)
        {
          self->machine_id = sqlite3_column_int64 (stmt, 0);
          sqlite3_finalize (stmt);
          return 0;
        }
      if (rc != SQLITE_DONE)
        goto fail;
      sqlite3_finalize (stmt);
      stmt = NULL;
    }
  self->machine_id = sqlite3_last_insert_rowid (self->db);
  return 0;

fail:
  rc = fail_sqlite (self, rc);
  sqlite3_finalize (stmt);
  return rc;
}

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

static int require_writable (PlabStore *self);

#define JOURNAL_MAGIC "PLABEVJ1"
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

static bool
journal_exists (const PlabStore *self, int64_t run_id)
{
  char *path = journal_path (self, run_id);
  bool found = path != NULL && exists (path);

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
  return rc == SQLITE_OK ? 0 : fail_sqlite (self, rc);
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
          rc = fail_with (self, PLAB_ESTORE_IO, "cannot read the journal of an interrupted run");
          goto out;
        }
      /* They join the open's transaction: in the store when it commits. */
      if ((rc = plab_store_add_events (self, run_id, events, n)) < 0)
        goto out;
    }
  /* Removed after the commit (see remove_imported_journals ()): removed now,
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

static void
remove_imported_journals (PlabStore *self, bool committed)
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
  if ((rc = require_writable (self)) < 0)
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
      rc = fail_with (self, PLAB_ESYS, strerror (errno));
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
static void
journal_drop (PlabStore *self)
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

          journal_drop (self);
          return fail_with (self, PLAB_ESYS, strerror (err));
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
  if (ftruncate (self->journal_fd, sizeof (JournalHeader)) < 0 || (kill_point ("journal-reset"), 0)
      || journal_write_header (self->journal_fd, self->journal_run, rows) < 0)
    {
      rc = fail_with (self, PLAB_ESYS, strerror (errno));
      journal_drop (self);
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
    journal_drop (self);
}

/* Marks failed every run of this host still "running" whose runner is gone:
 * no process with its pid, or one that started at another time (the pid was
 * reused). Lanes, spans and counters are kept. Runs inside the transaction
 * of the open. */
static int
repair_interrupted (PlabStore *self)
{
  sqlite3_stmt *select = NULL, *update = NULL;
  int64_t *dead = NULL;
  size_t n_dead = 0, cap = 0;
  int rc;

  rc = sqlite3_prepare_v2 (self->db,
                           "SELECT id, runner_pid, runner_start FROM runs "
                           "WHERE status = 'running' AND runner_host = ?1",
                           -1, &select, NULL);
  if (rc != SQLITE_OK)
    goto fail_sqlite;
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
              goto fail_sqlite;
            }
          dead = grown;
          cap = new_cap;
        }
      dead[n_dead++] = sqlite3_column_int64 (select, 0);
    }
  if (rc != SQLITE_DONE)
    goto fail_sqlite;
  sqlite3_finalize (select);
  select = NULL;

  if (n_dead == 0)
    return 0;

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
  rc = fail_sqlite (self, rc);
  self->repaired = 0;
  sqlite3_finalize (select);
  sqlite3_finalize (update);
  free (dead);
  return rc;
}

/* Checks what SQLite sees, which may be newer than the main file's header
 * when the last writer left changes in the -wal file. Reads only. */
static int
check_identity (PlabStore *self, FileKind kind, int64_t *version_out)
{
  int64_t app_id = 0, version = 0, n_objects = 0;
  int rc;

  /* The three answers come from one read transaction: a runner creating
   * the store can commit its schema between two statements, and an
   * unmarked file with tables would then read as another program's. */
  rc = sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = query_int (self->db, "PRAGMA application_id", &app_id);
  if (rc == SQLITE_OK)
    rc = query_int (self->db, "PRAGMA user_version", &version);
  /* Counting the schema reads it, which is where a damaged file shows. */
  if (rc == SQLITE_OK)
    rc = query_int (self->db, "SELECT count(*) FROM sqlite_schema", &n_objects);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      int code = fail_open_sqlite (self->path, self->db, rc);

      if (!sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      /* A plain SQLITE_ERROR here is the file's format that SQLite cannot
       * read ("unsupported file format": a schema format number it does not
       * know): the file is damaged, and is refused as such. */
      return (rc & 0xff) == SQLITE_ERROR ? PLAB_ESTORE_CORRUPT : code;
    }

  if (app_id != PLAB_STORE_APPLICATION_ID && !(app_id == 0 && n_objects == 0 && version == 0))
    {
      set_open_error (self->path, "it is an SQLite database of another program");
      return PLAB_ESTORE_FOREIGN;
    }
  if (version > PLAB_STORE_SCHEMA_VERSION)
    {
      set_open_error (self->path,
                      "it was written by a newer plab (schema version %lld; this plab knows "
                      "versions up to %d)",
                      (long long)version, PLAB_STORE_SCHEMA_VERSION);
      return PLAB_ESTORE_NEWER;
    }
  if (version == 0 && n_objects != 0)
    {
      set_open_error (self->path,
                      "it is marked as a plab run store but has no schema version: it is damaged");
      return PLAB_ESTORE_CORRUPT;
    }
  if (version == 0 && self->mode == PLAB_STORE_READ_ONLY)
    {
      set_open_error (self->path, "the run store is empty: nothing has been recorded yet");
      return PLAB_ESTORE_OPEN;
    }
  if (version < PLAB_STORE_SCHEMA_VERSION && self->mode == PLAB_STORE_READ_ONLY)
    {
      set_open_error (self->path,
                      "schema version %lld is old; open it once for writing to "
                      "upgrade it",
                      (long long)version);
      return PLAB_ESTORE_OPEN;
    }
  (void)kind;
  *version_out = version;
  return 0;
}

/* Stores up to this size are checked whole before a writer adds to them.
 * PRAGMA quick_check reads every page (about 10 ms per MiB from the page
 * cache, much more from a cold disk), so in a bigger store only the tables
 * that say which runs exist are checked, and damage among the spans shows
 * when they are read. */
#define FULL_CHECK_MAX_BYTES ((off_t)8 << 20)

static const char *const small_tables[]
    = { "sqlite_schema", "machines", "sweeps", "runs", "lanes", "span_kinds" };

/* Runs one quick_check statement; 0, or PLAB_ESTORE_CORRUPT (or what stopped
 * the check) with the open error set to its first finding. */
static int
quick_check (PlabStore *self, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char finding[256] = "";
  int rc;

  rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *text = (const char *)sqlite3_column_text (stmt, 0);

      snprintf (finding, sizeof finding, "%s", text ? text : "");
      rc = SQLITE_OK;
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_OK)
    {
      int code = fail_open_sqlite (self->path, self->db, rc);

      /* A plain SQLITE_ERROR is a schema the check cannot run with (a CHECK
       * calling a function that does not exist): damage, like a finding. */
      return (rc & 0xff) == SQLITE_ERROR ? PLAB_ESTORE_CORRUPT : code;
    }
  if (strcmp (finding, "ok") == 0)
    return 0;
  /* The finding names pages and cells: no help to the user, but a context
   * to report; one line. */
  for (char *c = finding; *c; c++)
    if (*c == '\n')
      *c = ' ';
  set_open_error (self->path, "the file is damaged (SQLite's check found: %s)", finding);
  return PLAB_ESTORE_CORRUPT;
}

/* Before a writer adds anything: is the store sound? Adding runs to a
 * damaged file would spread the damage and bury it under new data. Reads
 * only. */
static int
check_damage (PlabStore *self, off_t size)
{
  char sql[96];
  int rc;

  if (size <= FULL_CHECK_MAX_BYTES)
    return quick_check (self, "PRAGMA quick_check(1)");
  for (size_t i = 0; i < N_ELEMENTS (small_tables); i++)
    {
      snprintf (sql, sizeof sql, "PRAGMA quick_check(%s)", small_tables[i]);
      if ((rc = quick_check (self, sql)) < 0)
        return rc;
    }
  return 0;
}

/* Runs @sql (one row of names, then the SQL that must work on the store) on
 * the reference database @ref and each resulting probe on the store. */
static int
probe_schema (PlabStore *self, sqlite3 *ref, const char *sql, const char *what)
{
  sqlite3_stmt *list = NULL, *probe = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (ref, sql, -1, &list, NULL);
  if (rc != SQLITE_OK)
    {
      set_open_error (self->path, "cannot check the schema: %s", sqlite3_errmsg (ref));
      rc = PLAB_ESTORE_IO;
      goto out;
    }
  while ((rc = sqlite3_step (list)) == SQLITE_ROW)
    {
      const char *name = (const char *)sqlite3_column_text (list, 0);
      int step;

      rc = sqlite3_prepare_v2 (self->db, (const char *)sqlite3_column_text (list, 1), -1, &probe,
                               NULL);
      step = rc == SQLITE_OK ? sqlite3_step (probe) : rc;
      if ((step & 0xff) == SQLITE_BUSY)
        {
          rc = fail_open_sqlite (self->path, self->db, step);
          goto out;
        }
      /* A probe fails to compile when a table or column is gone; a
       * trigger's probe finds no row. */
      if (step != SQLITE_ROW && step != SQLITE_DONE)
        {
          set_open_error (self->path,
                          "the file is damaged: plab's %s %s is missing or lacks columns "
                          "(SQLite: %s)",
                          what, name, sqlite3_errmsg (self->db));
          rc = PLAB_ESTORE_CORRUPT;
          goto out;
        }
      if (step == SQLITE_DONE && strcmp (what, "trigger") == 0)
        {
          set_open_error (self->path, "the file is damaged: plab's trigger %s is missing", name);
          rc = PLAB_ESTORE_CORRUPT;
          goto out;
        }
      sqlite3_finalize (probe);
      probe = NULL;
    }
  rc = rc == SQLITE_DONE ? 0 : PLAB_ESTORE_IO;

out:
  sqlite3_finalize (probe);
  sqlite3_finalize (list);
  return rc;
}

/* Reads every plab table with every column the current schema gives it,
 * and looks for every trigger: a table dropped or rebuilt by another program
 * would otherwise show only when a run is written or read (a run "recorded"
 * in a store without spans). The tables and columns come from the schema
 * itself, applied to a database in memory, so that this check cannot fall
 * behind it. Reads only. */
static int
check_schema (PlabStore *self)
{
  /* Names in brackets: SQLite takes a double-quoted name that is not a
   * column for a string, and the probe would pass. */
  static const char tables_sql[]
      = "SELECT m.name, 'SELECT ' || group_concat ('[' || p.name || ']', ', ') "
        "|| ' FROM [' || m.name || '] LIMIT 0' "
        "FROM sqlite_schema m, pragma_table_info (m.name) p "
        "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' GROUP BY m.name";
  static const char triggers_sql[]
      = "SELECT name, 'SELECT 1 FROM sqlite_schema WHERE type = ''trigger'' AND name = ''' "
        "|| name || '''' FROM sqlite_schema WHERE type = 'trigger'";
  sqlite3 *ref = NULL;
  int rc;

  rc = sqlite3_open_v2 (":memory:", &ref, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec (ref, plab_schema_sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      set_open_error (self->path, "cannot check the schema: %s", sqlite3_errstr (rc));
      sqlite3_close (ref);
      return PLAB_ENOMEM;
    }
  rc = probe_schema (self, ref, tables_sql, "table");
  if (rc == 0)
    rc = probe_schema (self, ref, triggers_sql, "trigger");
  sqlite3_close (ref);
  return rc;
}

static void
finalize_all (PlabStore *self)
{
  for (int i = 0; i < N_STMTS; i++)
    {
      sqlite3_finalize (self->stmts[i]);
      self->stmts[i] = NULL;
    }
}

/* Everything an open for writing writes, in one transaction: the schema
 * (or the steps to the current version), this machine's row and the repair
 * of interrupted runs. A store can be damaged deeper than its header and
 * schema show, and then one of these fails: the rollback leaves the file as
 * it was, as a refused file must be. */
static int
write_on_open (PlabStore *self)
{
  int64_t version = 0;
  int rc;

  rc = exec_waiting (self, "BEGIN IMMEDIATE");
  if (rc != SQLITE_OK)
    {
      rc = fail_sqlite (self, rc);
      set_open_error (self->path, "%s", self->errmsg);
      return rc;
    }
  /* Read again inside the transaction: another runner may have created the
   * schema since check_identity () looked. */
  rc = query_int (self->db, "PRAGMA user_version", &version);
  if (rc != SQLITE_OK)
    {
      rc = fail_sqlite (self, rc);
      set_open_error (self->path, "%s", self->errmsg);
      goto fail;
    }
  if (version < PLAB_STORE_SCHEMA_VERSION && (rc = migrate (self, version)) < 0)
    {
      set_open_error (self->path, "cannot create the schema: %s", self->errmsg);
      goto fail;
    }
  if (version < PLAB_STORE_SCHEMA_VERSION && (rc = check_schema (self)) < 0)
    goto fail_checked;
  if ((rc = find_machine (self)) < 0 || (rc = repair_interrupted (self)) < 0)
    {
      set_open_error (self->path, "%s", self->errmsg);
      goto fail;
    }
  rc = sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      rc = fail_sqlite (self, rc);
      set_open_error (self->path, "%s", self->errmsg);
      goto fail;
    }
  remove_imported_journals (self, true);
  return 0;

fail:
  /* A plain SQLITE_ERROR from plab's own statements means the schema is not
   * the one plab wrote (a table or column missing, a CHECK calling a function
   * that does not exist): the store is damaged, and is refused as such.
   * Read before the rollback resets it. */
  if (rc == PLAB_ESTORE_IO && (sqlite3_errcode (self->db) & 0xff) == SQLITE_ERROR)
    rc = PLAB_ESTORE_CORRUPT;
fail_checked:
  tx_rollback (self);
  remove_imported_journals (self, false);
  self->repaired = 0;
  return rc;
}

int
plab_store_open (const char *path, PlabStoreMode mode, PlabStore **out)
{
  PlabStore *self = NULL;
  char *dir = NULL;
  char wal_path[PATH_MAX + 16];
  bool wal_existed = false;
  bool file_existed = true;
  bool wal_frames = false;
  bool immutable = false;
  FileKind kind = FILE_EMPTY;
  struct stat st, wal_st;
  int64_t version = 0;
  char *journal = NULL;
  char *uri = NULL;
  int flags;
  int rc;

  pthread_once (&sqlite_config_once, configure_sqlite);
  open_error[0] = '\0';
  if (out == NULL || path == NULL || path[0] == '\0'
      || (mode != PLAB_STORE_READ_WRITE && mode != PLAB_STORE_READ_ONLY))
    {
      set_open_error (path, "invalid arguments");
      return PLAB_EINVAL;
    }
  *out = NULL;
  if (strlen (path) >= PATH_MAX)
    {
      set_open_error (path, "the path is too long");
      return PLAB_EINVAL;
    }

  self = calloc (1, sizeof *self);
  if (self == NULL)
    return PLAB_ENOMEM;
  self->journal_fd = -1;
  self->path = strdup (path);
  dir = dir_of (path);
  if (self->path == NULL || dir == NULL)
    {
      rc = PLAB_ENOMEM;
      goto fail;
    }
  self->mode = mode;

  snprintf (wal_path, sizeof wal_path, "%s-wal", path);
  wal_existed = exists (wal_path);
  /* A -wal file holds commits when it is longer than its 32-byte header. */
  wal_frames = stat (wal_path, &wal_st) == 0 && wal_st.st_size > 32;

  if (stat (path, &st) != 0)
    {
      if (errno != ENOENT)
        {
          set_open_error (path, "%s", strerror (errno));
          rc = errno == EACCES ? PLAB_ESTORE_READONLY : PLAB_ESTORE_OPEN;
          goto fail;
        }
      file_existed = false;
      if (mode == PLAB_STORE_READ_ONLY)
        {
          set_open_error (path, "no such file: nothing has been recorded there yet");
          rc = PLAB_ESTORE_OPEN;
          goto fail;
        }
      if (make_dirs (dir) != 0)
        {
          int err = errno;

          set_open_error (path, "cannot create its folder %s: %s", dir, strerror (err));
          rc = err == EACCES || err == EROFS || err == EPERM ? PLAB_ESTORE_READONLY
                                                             : PLAB_ESTORE_OPEN;
          goto fail;
        }
    }
  else
    {
      if (!S_ISREG (st.st_mode))
        {
          set_open_error (path, S_ISDIR (st.st_mode) ? "it is a folder, not a file"
                                                     : "it is not a regular file");
          rc = PLAB_ESTORE_OPEN;
          goto fail;
        }
      if (access (path, R_OK) != 0)
        {
          set_open_error (path, "the file may not be read: %s", strerror (errno));
          rc = PLAB_ESTORE_OPEN;
          goto fail;
        }
    }

  /* WAL mode keeps two files next to the database, so a writer needs a
   * writable folder too. */
  if (mode == PLAB_STORE_READ_WRITE && (!file_existed || writable (path, &st)))
    {
      struct stat dst;

      if (stat (dir, &dst) != 0 || !writable (dir, &dst))
        {
          set_open_error (path,
                          "its folder %s %s, and a writer must create files beside the "
                          "store",
                          dir, why_not_writable (dir));
          rc = PLAB_ESTORE_READONLY;
          goto fail;
        }
    }

  /* A reader opens a writable store read-write but query-only: a truly
   * read-only SQLite connection never removes the -wal and -shm files it
   * made, so every `plab runs` would leave them behind. A file or folder we
   * may not write to is opened read-only. With no -wal file beside it, it is
   * also opened as immutable: nobody is writing it (a writer of ours refuses
   * such a store, and would have a -wal file), and SQLite then reads it
   * without making -wal and -shm files, which it otherwise does wherever it
   * can (as root, in spite of the permissions). */
  flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_URI;
  if (mode == PLAB_STORE_READ_WRITE)
    flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  else
    {
      struct stat dst;

      if (writable (path, &st) && stat (dir, &dst) == 0 && writable (dir, &dst))
        flags |= SQLITE_OPEN_READWRITE;
      else
        {
          flags |= SQLITE_OPEN_READONLY;
          immutable = !wal_existed;
        }
    }
  uri = file_uri (path, immutable ? "?immutable=1" : "");
  if (uri == NULL)
    {
      rc = PLAB_ENOMEM;
      goto fail;
    }
  rc = sqlite3_open_v2 (uri, &self->db, flags, NULL);
  if (rc != SQLITE_OK)
    {
      rc = fail_open_sqlite (path, self->db, rc);
      goto fail;
    }
  if (file_existed)
    {
      rc = judge_file (self->db, path, wal_frames, &kind);
      if (rc < 0)
        goto fail;
      if (mode == PLAB_STORE_READ_WRITE && !writable (path, &st))
        {
          set_open_error (path, "the file %s; it can still be read", why_not_writable (path));
          rc = PLAB_ESTORE_READONLY;
          goto fail;
        }
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  if (mode == PLAB_STORE_READ_ONLY)
    sqlite3_exec (self->db, "PRAGMA query_only = 1", NULL, NULL, NULL);

  /* Until the file is known to be ours, closing must not checkpoint: that
   * would copy someone else's -wal into their database. */
  sqlite3_db_config (self->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);

  rc = check_identity (self, kind, &version);
  if (rc == 0 && version == PLAB_STORE_SCHEMA_VERSION)
    rc = check_schema (self);
  if (rc == 0 && mode == PLAB_STORE_READ_WRITE && version > 0)
    rc = check_damage (self, st.st_size + (wal_frames ? wal_st.st_size : 0));
  if (rc < 0)
    goto fail;
  sqlite3_db_config (self->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);

  if (mode == PLAB_STORE_READ_ONLY)
    {
      PlabMachineInfo info;

      plab_machine_info (&info);
      snprintf (self->host, sizeof self->host, "%s", info.host);
      *out = self;
      free (uri);
      free (dir);
      return 0;
    }

  /* From here on the file is ours (or empty), and writing to it is allowed. */
  rc = write_on_open (self);
  if (rc < 0)
    goto fail;
  if (stat (path, &st) == 0)
    {
      self->file_dev = st.st_dev;
      self->file_ino = st.st_ino;
    }

  /* The schema is written before the switch to WAL, so the application id
   * and version are in the main file's header from the first commit on. The
   * switch is the first write outside that transaction: the file has shown
   * it can be written by now. */
  {
    sqlite3_stmt *stmt = NULL;

    rc = sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        journal = strdup ((const char *)sqlite3_column_text (stmt, 0));
        rc = SQLITE_OK;
      }
    if (rc != SQLITE_OK)
      rc = fail_open_sqlite (path, self->db, rc);
    sqlite3_finalize (stmt);
    if (rc < 0)
      goto fail;
    if (journal == NULL || strcmp (journal, "wal") != 0)
      {
        set_open_error (path, "cannot switch to WAL mode (journal mode stays %s)",
                        journal ? journal : "unknown");
        rc = PLAB_ESTORE_IO;
        goto fail;
      }
  }

  /* NORMAL is durable across a crash of the runner in WAL mode (only a power
   * cut may lose the last commits); 16 MiB of cache keeps the pages that
   * batches append to in memory. */
  rc = sqlite3_exec (self->db,
                     "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
                     "PRAGMA cache_size = -16384;",
                     NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      rc = fail_open_sqlite (path, self->db, rc);
      goto fail;
    }

  free (journal);
  free (uri);
  free (dir);
  *out = self;
  return 0;

fail:
  free (journal);
  free (uri);
  if (self != NULL)
    {
      finalize_all (self);
      /* A refused file is left as it was found. The -wal and -shm files
       * this open made are SQLite's to remove: closing checkpoints and
       * removes them when this is the last connection to the file, which
       * only SQLite's locks can tell. Another process may have started
       * using them since they were looked for (a runner creating the store
       * a reader waits for), and removing them under it parts its readers
       * from its writes: they read the main file while it checkpoints into
       * it. Closing checkpoints nothing of this open's, which wrote nothing
       * or rolled it back. Not when a -wal file was there before: its
       * commits are another writer's (or wait for the next open), and the
       * database may be what failed (a full disk). */
      if (self->db != NULL)
        {
          sqlite3_db_config (self->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, wal_existed ? 1 : 0, NULL);
          sqlite3_close (self->db);
        }
      /* A database file this open created goes again. */
      if (self->db != NULL && !file_existed)
        unlink (path);
      free (self->path);
      free (self);
    }
  free (dir);
  return rc;
}

void
plab_store_close (PlabStore *self)
{
  if (self == NULL)
    return;
  /* A journal still open belongs to a run that did not finish: it stays for
   * the next open to find. */
  if (self->journal_fd >= 0)
    close (self->journal_fd);
  finalize_all (self);
  /* The last connection to close checkpoints the WAL and removes it. */
  sqlite3_close (self->db);
  free (self->path);
  free (self);
}

/* --- Writing --- */

static int
require_writable (PlabStore *self)
{
  if (self->mode != PLAB_STORE_READ_WRITE)
    return fail_with (self, PLAB_ESTORE_READONLY, "the run store was opened read-only");
  return 0;
}

int
plab_store_new_sweep (PlabStore *self, const char *demo, const char *label, int64_t *id_out)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || demo == NULL || id_out == NULL)
    return PLAB_EINVAL;
  if ((rc = require_writable (self)) < 0 || (rc = stmt_get (self, STMT_NEW_SWEEP, &stmt)) < 0)
    return rc;
  sqlite3_bind_text (stmt, 1, demo, -1, SQLITE_STATIC);
  if (label != NULL)
    sqlite3_bind_text (stmt, 2, label, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 2);
  sqlite3_bind_int64 (stmt, 3, now_us ());
  rc = stmt_run (self, stmt);
  sqlite3_clear_bindings (stmt);
  if (rc < 0)
    return rc;
  *id_out = sqlite3_last_insert_rowid (self->db);
  return 0;
}

static void
cursor_reset (PlabStore *self)
{
  self->cursor_run = 0;
  memset (self->known_lanes, 0, sizeof self->known_lanes);
}

int
plab_store_begin_run (PlabStore *self, const PlabRunSpec *spec, int64_t *run_id_out)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || spec == NULL || spec->demo == NULL || spec->backend == NULL
      || run_id_out == NULL)
    return PLAB_EINVAL;
  if ((rc = require_writable (self)) < 0 || (rc = stmt_get (self, STMT_BEGIN_RUN, &stmt)) < 0)
    return rc;

  sqlite3_bind_text (stmt, 1, spec->demo, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, spec->backend, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, spec->workers);
  sqlite3_bind_text (stmt, 4, spec->params_json ? spec->params_json : "{}", -1, SQLITE_STATIC);
  /* The seed's 64 bits are stored as they are; read back as uint64_t. */
  sqlite3_bind_int64 (stmt, 5, (int64_t)spec->seed);
  sqlite3_bind_int64 (stmt, 6, now_us ());
  if (spec->sweep_id != 0)
    sqlite3_bind_int64 (stmt, 7, spec->sweep_id);
  else
    sqlite3_bind_null (stmt, 7);
  sqlite3_bind_int (stmt, 8, spec->repeat);
  if (self->machine_id != 0)
    sqlite3_bind_int64 (stmt, 9, self->machine_id);
  else
    sqlite3_bind_null (stmt, 9);
  sqlite3_bind_int (stmt, 10, (int)getpid ());
  sqlite3_bind_int64 (stmt, 11, plab_process_start_ticks ((int)getpid ()));
  sqlite3_bind_text (stmt, 12, self->host, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 13, spec->origin_ns);
  rc = stmt_run (self, stmt);
  sqlite3_clear_bindings (stmt);
  if (rc < 0)
    return rc;

  *run_id_out = sqlite3_last_insert_rowid (self->db);
  cursor_reset (self);
  self->cursor_run = *run_id_out;
  self->cursor_origin = spec->origin_ns;
  self->cursor_n_spans = 0;
  self->cursor_max_span = 0;
  return 0;
}

/* Points the write cursor at @run_id, loading it from the runs table when
 * another run was written last. */
static int
cursor_load (PlabStore *self, int64_t run_id)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self->cursor_run == run_id && run_id != 0)
    return 0;
  cursor_reset (self);
  if ((rc = stmt_get (self, STMT_RUN_CURSOR, &stmt)) < 0)
    return rc;
  sqlite3_bind_int64 (stmt, 1, run_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      self->cursor_origin = sqlite3_column_int64 (stmt, 0);
      self->cursor_n_spans = sqlite3_column_int64 (stmt, 1);
      self->cursor_max_span = sqlite3_column_int64 (stmt, 2);
      self->cursor_run = run_id;
      sqlite3_reset (stmt);
      return 0;
    }
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE)
    return fail_with (self, PLAB_ENOTFOUND, "no such run");
  return fail_sqlite (self, rc);
}

static void
lane_mark_known (PlabStore *self, int lane)
{
  if (lane >= 0 && lane < 65536)
    self->known_lanes[lane / 64] |= UINT64_C (1) << (lane % 64);
}

static bool
lane_is_known (PlabStore *self, int lane)
{
  return (self->known_lanes[lane / 64] >> (lane % 64)) & 1;
}

/* Events may arrive before their lane is described; a placeholder row keeps
 * every lane with spans listed in `lanes` (range queries walk that list), and
 * plab_store_put_lane () fills it in later. */
static int
ensure_lane (PlabStore *self, int64_t run_id, int lane)
{
  sqlite3_stmt *stmt = NULL;
  char name[32];
  int rc;

  if ((rc = stmt_get (self, STMT_ENSURE_LANE, &stmt)) < 0)
    return rc;
  snprintf (name, sizeof name, lane == 0 ? "main" : "lane %d", lane);
  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int (stmt, 2, lane);
  sqlite3_bind_text (stmt, 3, lane == 0 ? "main" : "thread", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, name, -1, SQLITE_TRANSIENT);
  rc = stmt_run (self, stmt);
  if (rc == 0)
    lane_mark_known (self, lane);
  return rc;
}

int
plab_store_put_lane (PlabStore *self, int64_t run_id, const PlabLaneInfo *lane)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || lane == NULL || lane->lane < 0 || lane->lane >= 65536)
    return PLAB_EINVAL;
  if ((rc = require_writable (self)) < 0 || (rc = stmt_get (self, STMT_PUT_LANE, &stmt)) < 0)
    return rc;

  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int (stmt, 2, lane->lane);
  sqlite3_bind_text (stmt, 3,
                     (unsigned)lane->kind < N_ELEMENTS (lane_kind_names)
                         ? lane_kind_names[lane->kind]
                         : "thread",
                     -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 4, lane->pid);
  sqlite3_bind_int (stmt, 5, lane->tid);
  sqlite3_bind_text (stmt, 6, lane->name, (int)strnlen (lane->name, sizeof lane->name),
                     SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7,
                     (unsigned)lane->end < N_ELEMENTS (lane_end_names) ? lane_end_names[lane->end]
                                                                       : "running",
                     -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 8, lane->exit_code);
  sqlite3_bind_int (stmt, 9, lane->exit_signal);
  sqlite3_bind_int64 (stmt, 10, (int64_t)lane->dropped);
  rc = stmt_run (self, stmt);
  if (rc == 0 && run_id == self->cursor_run)
    lane_mark_known (self, lane->lane);
  return rc;
}

/* Binds one span to the seven parameters from @first on: lane, start, seq,
 * end, kind, label, task. */
static void
bind_span (sqlite3_stmt *stmt, int first, const PlabEvent *ev, int64_t seq, int64_t origin)
{
  int label_len = (int)strnlen (ev->label, sizeof ev->label);

  sqlite3_bind_int (stmt, first, ev->lane);
  sqlite3_bind_int64 (stmt, first + 1, ev->start_ns - origin);
  sqlite3_bind_int64 (stmt, first + 2, seq);
  sqlite3_bind_int64 (stmt, first + 3, ev->end_ns - origin);
  sqlite3_bind_int (stmt, first + 4, ev->kind);
  if (label_len > 0)
    sqlite3_bind_text (stmt, first + 5, ev->label, label_len, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, first + 5);
  sqlite3_bind_int64 (stmt, first + 6, ev->task_id);
}

int
plab_store_add_events (PlabStore *self, int64_t run_id, const PlabEvent *events, size_t n)
{
  sqlite3_stmt *span = NULL, *block = NULL, *counter = NULL, *update = NULL;
  const PlabEvent *pending[SPAN_BLOCK];
  int n_pending = 0;
  int64_t n_spans, max_span, origin;
  bool nested;
  int rc;

  if (self == NULL || (events == NULL && n > 0))
    return PLAB_EINVAL;
  if (n == 0)
    return 0;
  if ((rc = require_writable (self)) < 0 || (rc = stmt_get (self, STMT_INSERT_SPAN, &span)) < 0
      || (rc = stmt_get (self, STMT_INSERT_SPAN_BLOCK, &block)) < 0
      || (rc = stmt_get (self, STMT_INSERT_COUNTER, &counter)) < 0
      || (rc = stmt_get (self, STMT_UPDATE_RUN_COUNTS, &update)) < 0)
    return rc;

  /* Within a transaction of the caller (an open for writing imports the
   * journal of a dead runner inside its own), the batch is a savepoint of
   * it: all of its events go in, or none, and the caller's work stays. */
  nested = !sqlite3_get_autocommit (self->db);
  if ((rc = nested ? tx_exec (self, STMT_SAVEPOINT) : tx_begin (self)) < 0)
    return rc;
  if ((rc = cursor_load (self, run_id)) < 0)
    goto fail;

  origin = self->cursor_origin;
  n_spans = self->cursor_n_spans;
  max_span = self->cursor_max_span;

  /* The run id never changes within the batch: bind it once. */
  sqlite3_bind_int64 (span, 1, run_id);
  sqlite3_bind_int64 (block, 1, run_id);
  sqlite3_bind_int64 (counter, 1, run_id);

  for (size_t i = 0; i < n; i++)
    {
      const PlabEvent *ev = &events[i];

      if (!lane_is_known (self, ev->lane) && (rc = ensure_lane (self, run_id, ev->lane)) < 0)
        goto fail;

      if (ev->kind == PLAB_SPAN_COUNTER)
        {
          sqlite3_bind_int (counter, 2, ev->lane);
          sqlite3_bind_text (counter, 3, ev->label, (int)strnlen (ev->label, sizeof ev->label),
                             SQLITE_STATIC);
          sqlite3_bind_int64 (counter, 4, ev->start_ns - origin);
          sqlite3_bind_int64 (counter, 5, ev->task_id);
          if ((rc = stmt_run (self, counter)) < 0)
            goto fail;
          continue;
        }

      if (ev->end_ns - ev->start_ns > max_span)
        max_span = ev->end_ns - ev->start_ns;
      pending[n_pending++] = ev;
      if (n_pending == SPAN_BLOCK)
        {
          for (int r = 0; r < SPAN_BLOCK; r++)
            bind_span (block, 2 + r * SPAN_PARAMS, pending[r], n_spans + r, origin);
          if ((rc = stmt_run (self, block)) < 0)
            goto fail;
          kill_point ("span-block");
          n_spans += SPAN_BLOCK;
          n_pending = 0;
        }
    }

  /* The rest, fewer than a block, one row at a time. */
  for (int r = 0; r < n_pending; r++)
    {
      bind_span (span, 2, pending[r], n_spans++, origin);
      if ((rc = stmt_run (self, span)) < 0)
        goto fail;
    }

  sqlite3_bind_int64 (update, 1, run_id);
  sqlite3_bind_int64 (update, 2, n_spans);
  sqlite3_bind_int64 (update, 3, max_span);
  if ((rc = stmt_run (self, update)) < 0)
    goto fail;
  kill_point (nested ? "import" : "commit");
  if ((rc = nested ? tx_exec (self, STMT_RELEASE) : tx_commit (self)) < 0)
    goto fail;
  kill_point (nested ? "imported" : "committed");

  self->cursor_n_spans = n_spans;
  self->cursor_max_span = max_span;
  return 0;

fail:
  if (nested)
    tx_rollback_to (self);
  else
    tx_rollback (self);
  /* The cursor may have counted spans that were rolled back. */
  cursor_reset (self);
  return rc;
}

/* Whether the path still names the file this store wrote to. A store file
 * deleted or moved while a run was written takes every commit with it (the
 * open descriptor keeps writing to the unlinked file), so a run that ends
 * that way must not be reported recorded. */
static int
check_still_there (PlabStore *self)
{
  struct stat st;

  if (stat (self->path, &st) != 0)
    {
      journal_drop (self);
      return fail_with (self, PLAB_ESTORE_IO,
                        "the store file was deleted or moved while the run was written: "
                        "nothing of the run is kept");
    }
  if (st.st_dev != self->file_dev || st.st_ino != self->file_ino)
    {
      journal_drop (self);
      return fail_with (self, PLAB_ESTORE_IO,
                        "the store file was replaced by another file while the run was "
                        "written: the run went to the old file, which is no longer there");
    }
  return 0;
}

int
plab_store_finish_run (PlabStore *self, int64_t run_id, const PlabRunOutcome *outcome)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || outcome == NULL || (unsigned)outcome->status > PLAB_RUN_CANCELLED)
    return PLAB_EINVAL;
  if ((rc = require_writable (self)) < 0 || (rc = stmt_get (self, STMT_FINISH_RUN, &stmt)) < 0)
    return rc;
  kill_point ("finish");

  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_text (stmt, 2, run_status_names[outcome->status], -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, outcome->wall_ns);
  sqlite3_bind_int64 (stmt, 4, outcome->cpu_ns);
  sqlite3_bind_text (stmt, 5, outcome->result_json ? outcome->result_json : "{}", -1,
                     SQLITE_STATIC);
  sqlite3_bind_int (stmt, 6, outcome->check_ok ? 1 : 0);
  if (outcome->check_message != NULL)
    sqlite3_bind_text (stmt, 7, outcome->check_message, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 7);
  if (outcome->error != NULL)
    sqlite3_bind_text (stmt, 8, outcome->error, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 8);
  rc = stmt_run (self, stmt);
  sqlite3_clear_bindings (stmt);
  if (rc < 0)
    return rc;
  if (sqlite3_changes (self->db) == 0)
    return fail_with (self, PLAB_ENOTFOUND, "no such run");
  return check_still_there (self);
}

/* --- The sink --- */

static void
sink_lane_cb (void *user_data, const PlabLaneInfo *lane)
{
  PlabStore *self = user_data;
  int rc = plab_store_put_lane (self, self->sink_run, lane);

  if (rc < 0 && self->sink_error == 0)
    self->sink_error = rc;
}

static void
sink_events_cb (void *user_data, const PlabEvent *events, size_t n_events)
{
  PlabStore *self = user_data;
  int rc = plab_store_add_events (self, self->sink_run, events, n_events);

  if (rc < 0 && self->sink_error == 0)
    self->sink_error = rc;
}

void
plab_store_sink_init (PlabStore *self, int64_t run_id, PlabTraceSink *sink)
{
  self->sink_run = run_id;
  self->sink_error = 0;
  /* Every field, so a sink made on the stack never carries garbage into a
   * callback the store does not set. */
  *sink = (PlabTraceSink){ .lane = sink_lane_cb, .events = sink_events_cb, .user_data = self };
}

int
plab_store_sink_error (PlabStore *self)
{
  return self->sink_error;
}

/* --- Reading --- */

static char *
column_strdup (sqlite3_stmt *stmt, int col, const char *fallback)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  if (text == NULL)
    return fallback ? strdup (fallback) : NULL;
  return strdup ((const char *)text);
}

static bool
same_text (const char *a, const char *b)
{
  return a != NULL && b != NULL && strcmp (a, b) == 0;
}

static PlabRunRecord *
run_record_from_row (PlabStore *self, sqlite3_stmt *stmt)
{
  PlabRunRecord *r = calloc (1, sizeof *r);
  int status;

  if (r == NULL)
    return NULL;
  r->id = sqlite3_column_int64 (stmt, 0);
  r->demo = column_strdup (stmt, 1, "");
  r->backend = column_strdup (stmt, 2, "");
  r->workers = sqlite3_column_int (stmt, 3);
  r->params_json = column_strdup (stmt, 4, "{}");
  r->seed = (uint64_t)sqlite3_column_int64 (stmt, 5);
  status = plab_run_status_from_name ((const char *)sqlite3_column_text (stmt, 6));
  r->status = status < 0 ? PLAB_RUN_FAILED : (PlabRunStatus)status;
  r->started_at_us = sqlite3_column_int64 (stmt, 7);
  r->wall_ns = sqlite3_column_int64 (stmt, 8);
  r->cpu_ns = sqlite3_column_int64 (stmt, 9);
  r->result_json = column_strdup (stmt, 10, "{}");
  r->check_ok = sqlite3_column_int (stmt, 11) != 0;
  r->check_message = column_strdup (stmt, 12, NULL);
  r->error = column_strdup (stmt, 13, NULL);
  r->sweep_id = sqlite3_column_int64 (stmt, 14);
  r->repeat = sqlite3_column_int (stmt, 15);
  r->machine_id = sqlite3_column_int64 (stmt, 16);
  r->runner_pid = sqlite3_column_int (stmt, 17);
  r->n_spans = sqlite3_column_int64 (stmt, 18);

  /* A reader does not repair the store, but it need not show a dead run as
   * running either: it says what the next writer will record. */
  if (r->status == PLAB_RUN_RUNNING && self->host[0] != '\0'
      && same_text ((const char *)sqlite3_column_text (stmt, 20), self->host)
      && plab_process_start_ticks (r->runner_pid) != sqlite3_column_int64 (stmt, 19))
    {
      r->status = PLAB_RUN_FAILED;
      if (r->error == NULL)
        r->error = strdup (INTERRUPTED_MESSAGE);
      if (r->check_message == NULL || r->check_message[0] == '\0')
        {
          free (r->check_message);
          r->check_message = strdup (INTERRUPTED_CHECK);
          if (r->check_message == NULL)
            {
              plab_run_record_free (r);
              return NULL;
            }
        }
    }

  if (r->demo == NULL || r->backend == NULL || r->params_json == NULL || r->result_json == NULL
      || (r->check_message == NULL && sqlite3_column_type (stmt, 12) != SQLITE_NULL)
      || (r->error == NULL && sqlite3_column_type (stmt, 13) != SQLITE_NULL))
    {
      plab_run_record_free (r);
      return NULL;
    }
  return r;
}

void
plab_run_record_free (PlabRunRecord *record)
{
  if (record == NULL)
    return;
  free (record->demo);
  free (record->backend);
  free (record->params_json);
  free (record->result_json);
  free (record->check_message);
  free (record->error);
  free (record);
}

void
plab_run_records_free (PlabRunRecord **records, size_t n)
{
  if (records == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    plab_run_record_free (records[i]);
  free (records);
}

int
plab_store_list_runs (PlabStore *self,
                      const PlabRunFilter *filter,
                      PlabRunRecord ***out,
                      size_t *n_out)
{
  PlabRunRecord **records = NULL;
  size_t n = 0, cap = 0;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || out == NULL || n_out == NULL)
    return PLAB_EINVAL;
  *out = NULL;
  *n_out = 0;
  if ((rc = stmt_get (self, STMT_LIST_RUNS, &stmt)) < 0)
    return rc;

  if (filter != NULL && filter->demo != NULL)
    sqlite3_bind_text (stmt, 1, filter->demo, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 1);
  sqlite3_bind_int64 (stmt, 2, filter != NULL ? filter->sweep_id : 0);
  sqlite3_bind_int (stmt, 3, filter != NULL && filter->limit > 0 ? filter->limit : -1);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PlabRunRecord *r;

      if (n == cap)
        {
          size_t new_cap = cap ? cap * 2 : 16;
          PlabRunRecord **grown = realloc (records, new_cap * sizeof *records);
          if (grown == NULL)
            {
              rc = PLAB_ENOMEM;
              goto fail;
            }
          records = grown;
          cap = new_cap;
        }
      r = run_record_from_row (self, stmt);
      if (r == NULL)
        {
          rc = PLAB_ENOMEM;
          goto fail;
        }
      records[n++] = r;
    }
  if (rc != SQLITE_DONE)
    {
      rc = fail_sqlite (self, rc);
      goto fail;
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  *out = records;
  *n_out = n;
  return 0;

fail:
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  plab_run_records_free (records, n);
  return rc;
}

int
plab_store_get_run (PlabStore *self, int64_t run_id, PlabRunRecord **out)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || out == NULL)
    return PLAB_EINVAL;
  *out = NULL;
  if ((rc = stmt_get (self, STMT_GET_RUN, &stmt)) < 0)
    return rc;
  sqlite3_bind_int64 (stmt, 1, run_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *out = run_record_from_row (self, stmt);
      rc = *out != NULL ? 0 : PLAB_ENOMEM;
    }
  else if (rc == SQLITE_DONE)
    rc = fail_with (self, PLAB_ENOTFOUND, "no such run");
  else
    rc = fail_sqlite (self, rc);
  sqlite3_reset (stmt);
  return rc;
}

/* Appends room for one more element to a growing array. */
static void *
grow (void *array, size_t elem, size_t n, size_t *cap)
{
  void *grown;
  size_t new_cap;

  if (n < *cap)
    return array;
  new_cap = *cap ? *cap * 2 : 64;
  grown = realloc (array, new_cap * elem);
  if (grown != NULL)
    *cap = new_cap;
  return grown;
}

int
plab_store_get_lanes (PlabStore *self, int64_t run_id, PlabLaneInfo **out, size_t *n_out)
{
  PlabLaneInfo *lanes = NULL;
  size_t n = 0, cap = 0;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || out == NULL || n_out == NULL)
    return PLAB_EINVAL;
  *out = NULL;
  *n_out = 0;
  if ((rc = stmt_get (self, STMT_GET_LANES, &stmt)) < 0)
    return rc;
  sqlite3_bind_int64 (stmt, 1, run_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PlabLaneInfo *l;
      const char *name;
      int idx;
      void *grown = grow (lanes, sizeof *lanes, n, &cap);

      if (grown == NULL)
        {
          rc = PLAB_ENOMEM;
          goto fail;
        }
      lanes = grown;
      l = &lanes[n++];
      memset (l, 0, sizeof *l);
      l->lane = sqlite3_column_int (stmt, 0);
      idx = name_index (lane_kind_names, N_ELEMENTS (lane_kind_names),
                        (const char *)sqlite3_column_text (stmt, 1));
      l->kind = idx < 0 ? PLAB_LANE_THREAD : (PlabLaneKind)idx;
      l->pid = sqlite3_column_int (stmt, 2);
      l->tid = sqlite3_column_int (stmt, 3);
      name = (const char *)sqlite3_column_text (stmt, 4);
      snprintf (l->name, sizeof l->name, "%s", name ? name : "");
      idx = name_index (lane_end_names, N_ELEMENTS (lane_end_names),
                        (const char *)sqlite3_column_text (stmt, 5));
      l->end = idx < 0 ? PLAB_LANE_RUNNING : (PlabLaneEnd)idx;
      l->exit_code = sqlite3_column_int (stmt, 6);
      l->exit_signal = sqlite3_column_int (stmt, 7);
      l->dropped = (uint64_t)sqlite3_column_int64 (stmt, 8);
    }
  if (rc != SQLITE_DONE)
    {
      rc = fail_sqlite (self, rc);
      goto fail;
    }
  sqlite3_reset (stmt);
  *out = lanes;
  *n_out = n;
  return 0;

fail:
  sqlite3_reset (stmt);
  free (lanes);
  return rc;
}

static void
event_from_columns (PlabEvent *ev,
                    int lane,
                    int64_t start,
                    int64_t end,
                    int kind,
                    const char *label,
                    int64_t task_id)
{
  memset (ev, 0, sizeof *ev);
  ev->lane = (uint16_t)lane;
  ev->start_ns = start;
  ev->end_ns = end;
  ev->kind = (uint16_t)kind;
  ev->task_id = task_id;
  if (label != NULL)
    snprintf (ev->label, sizeof ev->label, "%s", label);
}

int
plab_store_read_spans (PlabStore *self,
                       int64_t run_id,
                       int64_t from_ns,
                       int64_t to_ns,
                       PlabStoreSpanFunc func,
                       void *user_data)
{
  PlabEvent *batch = NULL;
  size_t n = 0;
  sqlite3_stmt *stmt = NULL;
  int64_t max_span = -1, lowest_start;
  char sql[64];
  int rc;

  if (self == NULL || func == NULL)
    return PLAB_EINVAL;

  snprintf (sql, sizeof sql, "SELECT max_span_ns FROM runs WHERE id = %lld", (long long)run_id);
  rc = query_int (self->db, sql, &max_span);
  if (rc != SQLITE_OK)
    return fail_sqlite (self, rc);
  if (max_span < 0)
    return fail_with (self, PLAB_ENOTFOUND, "no such run");
  lowest_start = from_ns < INT64_MIN + max_span ? INT64_MIN : from_ns - max_span;

  batch = malloc (PLAB_STORE_SPAN_BATCH * sizeof *batch);
  if (batch == NULL)
    return PLAB_ENOMEM;
  if ((rc = stmt_get (self, STMT_GET_SPANS, &stmt)) < 0)
    goto out;
  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int64 (stmt, 2, lowest_start);
  sqlite3_bind_int64 (stmt, 3, to_ns);
  sqlite3_bind_int64 (stmt, 4, from_ns);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      event_from_columns (&batch[n++], sqlite3_column_int (stmt, 0), sqlite3_column_int64 (stmt, 1),
                          sqlite3_column_int64 (stmt, 2), sqlite3_column_int (stmt, 3),
                          (const char *)sqlite3_column_text (stmt, 4),
                          sqlite3_column_int64 (stmt, 5));
      if (n == PLAB_STORE_SPAN_BATCH)
        {
          rc = func (user_data, batch, n);
          n = 0;
          if (rc != 0)
            goto out;
        }
    }
  if (rc != SQLITE_DONE)
    {
      rc = fail_sqlite (self, rc);
      goto out;
    }
  rc = n > 0 ? func (user_data, batch, n) : 0;

out:
  if (stmt != NULL)
    sqlite3_reset (stmt);
  free (batch);
  return rc;
}

/* Collects the batches of plab_store_read_spans () into one array. */
typedef struct
{
  PlabEvent *events;
  size_t n;
  size_t cap;
} SpanArray;

static int
collect_spans_cb (void *user_data, const PlabEvent *events, size_t n)
{
  SpanArray *a = user_data;

  if (a->n + n > a->cap)
    {
      size_t cap = a->cap ? a->cap : 64;
      PlabEvent *grown;

      while (cap < a->n + n)
        cap *= 2;
      grown = realloc (a->events, cap * sizeof *grown);
      if (grown == NULL)
        return PLAB_ENOMEM;
      a->events = grown;
      a->cap = cap;
    }
  memcpy (a->events + a->n, events, n * sizeof *events);
  a->n += n;
  return 0;
}

int
plab_store_get_spans (PlabStore *self,
                      int64_t run_id,
                      int64_t from_ns,
                      int64_t to_ns,
                      PlabEvent **out,
                      size_t *n_out)
{
  SpanArray a = { NULL, 0, 0 };
  int rc;

  if (self == NULL || out == NULL || n_out == NULL)
    return PLAB_EINVAL;
  *out = NULL;
  *n_out = 0;
  rc = plab_store_read_spans (self, run_id, from_ns, to_ns, collect_spans_cb, &a);
  if (rc != 0)
    {
      free (a.events);
      return rc;
    }
  *out = a.events;
  *n_out = a.n;
  return 0;
}

int
plab_store_get_counters (PlabStore *self, int64_t run_id, PlabEvent **out, size_t *n_out)
{
  PlabEvent *events = NULL;
  size_t n = 0, cap = 0;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || out == NULL || n_out == NULL)
    return PLAB_EINVAL;
  *out = NULL;
  *n_out = 0;
  if ((rc = stmt_get (self, STMT_GET_COUNTERS, &stmt)) < 0)
    return rc;
  sqlite3_bind_int64 (stmt, 1, run_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      int64_t t = sqlite3_column_int64 (stmt, 2);
      void *grown = grow (events, sizeof *events, n, &cap);

      if (grown == NULL)
        {
          rc = PLAB_ENOMEM;
          goto fail;
        }
      events = grown;
      event_from_columns (&events[n++], sqlite3_column_int (stmt, 0), t, t, PLAB_SPAN_COUNTER,
                          (const char *)sqlite3_column_text (stmt, 1),
                          sqlite3_column_int64 (stmt, 3));
    }
  if (rc != SQLITE_DONE)
    {
      rc = fail_sqlite (self, rc);
      goto fail;
    }
  sqlite3_reset (stmt);
  *out = events;
  *n_out = n;
  return 0;

fail:
  sqlite3_reset (stmt);
  free (events);
  return rc;
}

int
plab_store_get_machine (PlabStore *self, int64_t machine_id, PlabMachineRecord *out)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || out == NULL)
    return PLAB_EINVAL;
  memset (out, 0, sizeof *out);
  if ((rc = stmt_get (self, STMT_GET_MACHINE, &stmt)) < 0)
    return rc;
  sqlite3_bind_int64 (stmt, 1, machine_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      out->id = sqlite3_column_int64 (stmt, 0);
      out->host = column_strdup (stmt, 1, "");
      out->cpu_model = column_strdup (stmt, 2, "");
      out->usable_cpus = sqlite3_column_int (stmt, 3);
      out->online_cpus = sqlite3_column_int (stmt, 4);
      out->os = column_strdup (stmt, 5, "");
      out->compiler = column_strdup (stmt, 6, "");
      out->plab_version = column_strdup (stmt, 7, "");
      rc = 0;
      if (out->host == NULL || out->cpu_model == NULL || out->os == NULL || out->compiler == NULL
          || out->plab_version == NULL)
        {
          plab_machine_record_clear (out);
          rc = PLAB_ENOMEM;
        }
    }
  else if (rc == SQLITE_DONE)
    rc = fail_with (self, PLAB_ENOTFOUND, "no such machine");
  else
    rc = fail_sqlite (self, rc);
  sqlite3_reset (stmt);
  return rc;
}

void
plab_machine_record_clear (PlabMachineRecord *record)
{
  if (record == NULL)
    return;
  free (record->host);
  free (record->cpu_model);
  free (record->os);
  free (record->compiler);
  free (record->plab_version);
  memset (record, 0, sizeof *record);
}
