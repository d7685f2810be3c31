/* plab-store-db.c: the store's SQLite connection, as its other files use
 * it. A failed SQLite call is sorted into a PLAB_ESTORE_* code and put into
 * the words a user sees (for a failed open, in plab_store_open_error (); for
 * an open store, in plab_store_errmsg ()). Every statement of the store is
 * prepared once, on first use, and cached until the store closes.
 */
#include "plab.h"
#include "plab-store-private.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#define RUN_COLUMNS                                                                                \
  "id, demo, backend, workers, params, seed, status, started_at_us, wall_ns, cpu_ns, "             \
  "result, check_ok, check_message, error, sweep_id, repeat, machine_id, runner_pid, "             \
  "n_spans, runner_start, runner_host, load_avg_1m, load_cpus, load_others_share, "                \
  "load_steal_share, load_window_ns, "                                                             \
  "(SELECT label FROM sweeps WHERE sweeps.id = runs.sweep_id)"

static const char *const stmt_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_SAVEPOINT] = "SAVEPOINT batch",
  [STMT_RELEASE] = "RELEASE batch",
  [STMT_ROLLBACK_TO] = "ROLLBACK TO batch",
  [STMT_RUN_CURSOR] = "SELECT origin_ns, n_spans, max_span_ns FROM runs WHERE id = ?1",
  [STMT_INSERT_SPAN] = "INSERT INTO spans (run_id, lane, start_ns, seq, end_ns, kind, label, "
                       "task_id, flow, item) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
  [STMT_FINISH_RUN]
  = "UPDATE runs SET status = ?2, wall_ns = ?3, cpu_ns = ?4, result = ?5, "
    "check_ok = ?6, check_message = ?7, error = ?8, load_avg_1m = ?9, load_cpus = ?10, "
    "load_others_share = ?11, load_steal_share = ?12, load_window_ns = ?13 "
    "WHERE id = ?1",
  [STMT_NEW_SWEEP] = "INSERT INTO sweeps (demo, label, created_at_us) VALUES (?1, ?2, ?3)",
  [STMT_GET_RUN] = "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?1",
  [STMT_LIST_RUNS] = "SELECT " RUN_COLUMNS " FROM runs "
                     "WHERE (?1 IS NULL OR demo = ?1) AND (?2 = 0 OR sweep_id = ?2) "
                     "ORDER BY id DESC LIMIT ?3",
  [STMT_GET_LANES] = "SELECT lane, kind, pid, tid, name, end_state, exit_code, exit_signal, "
                     "dropped FROM lanes WHERE run_id = ?1 ORDER BY lane",
  /* The IN list walks the lanes of the run in order, and within a lane the
   * primary key gives a range scan on start_ns: no sort, no full scan. */
  [STMT_GET_SPANS] = "SELECT lane, start_ns, end_ns, kind, label, task_id, flow, item FROM spans "
                     "WHERE run_id = ?1 AND lane IN (SELECT lane FROM lanes WHERE run_id = ?1) "
                     "AND start_ns >= ?2 AND start_ns <= ?3 AND end_ns >= ?4 "
                     "ORDER BY lane, start_ns, seq",
  [STMT_GET_COUNTERS] = "SELECT lane, name, t_ns, value FROM counters WHERE run_id = ?1 "
                        "ORDER BY name, t_ns, rowid",
  [STMT_GET_MACHINE] = "SELECT id, host, cpu_model, usable_cpus, online_cpus, os, compiler, "
                       "plab_version FROM machines WHERE id = ?1",
  /* The runs of this host that may still be written to (see wait_for_runner
   * () and find_dead_runs ()). */
  [STMT_RUNNING_RUNS] = "SELECT id, runner_pid, runner_start FROM runs "
                        "WHERE status = 'running' AND runner_host = ?1",
};

/* --- Errors --- */

static _Thread_local char open_error[1024];

void
_plab_store_set_open_error (const char *path, const char *fmt, ...)
{
  char detail[768];
  va_list args;

  va_start (args, fmt);
  vsnprintf (detail, sizeof detail, fmt, args);
  va_end (args);
  snprintf (open_error, sizeof open_error, "%s: %s", path ? path : "(no path)", detail);
}

void
_plab_store_clear_open_error (void)
{
  open_error[0] = '\0';
}

const char *
plab_store_open_error (void)
{
  return open_error;
}

const char *
plab_store_errmsg (PlabStore *self)
{
  return self != NULL ? self->errmsg : open_error;
}

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
  dir = _plab_store_dir_of (path);
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

/* The code of the failed call @rc on @db, with its open error set. */
int
_plab_store_fail_open_sqlite (const char *path, sqlite3 *db, int rc)
{
  char detail[512];

  describe_sqlite (db, rc, path, detail, sizeof detail);
  _plab_store_set_open_error (path, "%s", detail);
  return error_from_sqlite_errno (rc, system_errno_of (db, rc, path));
}

/* Records what the failed call @rc means and returns its code. */
int
_plab_store_fail_sqlite (PlabStore *self, int rc)
{
  describe_sqlite (self->db, rc, self->path, self->errmsg, sizeof self->errmsg);
  return error_from_sqlite_errno (rc, system_errno_of (self->db, rc, self->path));
}

int
_plab_store_fail_with (PlabStore *self, int code, const char *message)
{
  snprintf (self->errmsg, sizeof self->errmsg, "%s", message);
  return code;
}

/* --- Statements --- */

/* "INSERT INTO spans ... VALUES (?1, ?2, ..., ?10), (?1, ?11, ..., ?19), ...":
 * SPAN_BLOCK rows sharing the run id. */
static char *
span_block_sql (void)
{
  static const char head[]
      = "INSERT INTO spans (run_id, lane, start_ns, seq, end_ns, kind, label, task_id, flow, item) "
        "VALUES ";
  size_t cap = sizeof head + SPAN_BLOCK * (8 + SPAN_PARAMS * 8);
  char *sql = malloc (cap);
  size_t len;

  if (sql == NULL)
    return NULL;
  len = (size_t)snprintf (sql, cap, "%s", head);
  for (int r = 0; r < SPAN_BLOCK; r++)
    {
      int p = 2 + r * SPAN_PARAMS;

      len += (size_t)snprintf (sql + len, cap - len,
                               "%s(?1, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d)",
                               r == 0 ? "" : ", ", p, p + 1, p + 2, p + 3, p + 4, p + 5, p + 6,
                               p + 7, p + 8);
    }
  return sql;
}

int
_plab_store_stmt_get (PlabStore *self, StmtId id, sqlite3_stmt **out)
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
            return _plab_store_fail_with (self, PLAB_ENOMEM, "out of memory");
          sql = block_sql;
        }
      rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &self->stmts[id],
                               NULL);
      free (block_sql);
      if (rc != SQLITE_OK)
        return _plab_store_fail_sqlite (self, rc);
    }
  *out = self->stmts[id];
  return 0;
}

void
_plab_store_finalize_all (PlabStore *self)
{
  for (int i = 0; i < N_STMTS; i++)
    {
      sqlite3_finalize (self->stmts[i]);
      self->stmts[i] = NULL;
    }
}

/* Runs a statement of one integer result; *out is left alone when there is no row. */
int
_plab_store_query_int (sqlite3 *db, const char *sql, int64_t *out)
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
