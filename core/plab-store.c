/* plab-store.c: the run store, one SQLite file holding every run: opening
 * and closing it, and the checks at open that refuse a file that is not
 * ours, comes from a newer plab, or is damaged. The rest of the store is in
 * the files plab-store-private.h lists.
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
 * An open goes in stages, each a function below: look at the path (create
 * the folder of a new store), connect (judging the file first), check what
 * SQLite sees (identity, schema, damage), then, for a writer, write what an
 * open writes in one transaction and switch to WAL mode.
 */
#include "plab.h"
#include "plab-store-private.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

#ifdef PLAB_TEST_HOOKS
void
_plab_store_kill_point (const char *point)
{
  static int passed;
  const char *at = getenv ("PLAB_TEST_KILL_AT");
  size_t len = strlen (point);

  if (at == NULL || strncmp (at, point, len) != 0 || (at[len] != '\0' && at[len] != ':'))
    return;
  if (++passed >= (at[len] == ':' ? atoi (at + len + 1) : 1))
    raise (SIGKILL);
}
#endif

/* --- Names --- */

static const char *const run_status_names[] = { "running", "ok", "failed", "cancelled" };
static const char *const lane_kind_names[] = { "main", "process", "thread" };
static const char *const lane_end_names[] = { "running", "exited", "killed" };

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

void
_plab_store_lane_names (const PlabLaneInfo *lane, const char **kind, const char **end)
{
  *kind = (unsigned)lane->kind < N_ELEMENTS (lane_kind_names) ? lane_kind_names[lane->kind]
                                                              : "thread";
  *end = (unsigned)lane->end < N_ELEMENTS (lane_end_names) ? lane_end_names[lane->end] : "running";
}

void
_plab_store_lane_from_names (PlabLaneInfo *lane, const char *kind, const char *end)
{
  int kind_index = name_index (lane_kind_names, N_ELEMENTS (lane_kind_names), kind);
  int end_index = name_index (lane_end_names, N_ELEMENTS (lane_end_names), end);

  lane->kind = kind_index < 0 ? PLAB_LANE_THREAD : (PlabLaneKind)kind_index;
  lane->end = end_index < 0 ? PLAB_LANE_RUNNING : (PlabLaneEnd)end_index;
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
char *
_plab_store_dir_of (const char *path)
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

bool
_plab_store_exists (const char *path)
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

/* Reads the first @len bytes of the database @db has just opened at @path
 * into @hdr, and its size into *size. Returns 0, or a PLAB_ESTORE_* code
 * with the open error set. */
static int
read_file_header (sqlite3 *db, const char *path, unsigned char *hdr, int len, sqlite3_int64 *size)
{
  sqlite3_file *file = NULL;
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
      _plab_store_set_open_error (path, "cannot read the file's header");
      return PLAB_ESTORE_IO;
    }
  rc = read_header_locked (file, hdr, len, size);
  if (rc == SQLITE_BUSY)
    {
      _plab_store_set_open_error (path,
                                  "it is locked by another program, which has held it for more "
                                  "than %d s",
                                  BUSY_TIMEOUT_MS / 1000);
      return PLAB_ESTORE_BUSY;
    }
  if (rc != SQLITE_OK)
    {
      _plab_store_set_open_error (path, "cannot read the file's header: %s", sqlite3_errstr (rc));
      return PLAB_ESTORE_IO;
    }
  return 0;
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
  sqlite3_int64 size = 0;
  int rc;

  memset (hdr, 0, sizeof hdr);
  if ((rc = read_file_header (db, path, hdr, (int)sizeof hdr, &size)) < 0)
    return rc;
  if (size == 0)
    {
      *kind_out = FILE_EMPTY;
      return 0;
    }

  if (size < (off_t)sizeof hdr || memcmp (hdr, magic, sizeof magic) != 0)
    {
      _plab_store_set_open_error (path, "the file is not an SQLite database");
      return PLAB_ESTORE_CORRUPT;
    }

  page_size = ((uint32_t)hdr[HDR_PAGE_SIZE] << 8) | hdr[HDR_PAGE_SIZE + 1];
  if (page_size == 1)
    page_size = 65536;
  if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0
      || hdr[HDR_WRITE_VERSION] < 1 || hdr[HDR_WRITE_VERSION] > 2 || hdr[HDR_READ_VERSION] < 1
      || hdr[HDR_READ_VERSION] > 2)
    {
      _plab_store_set_open_error (path, "the file's SQLite header is damaged");
      return PLAB_ESTORE_CORRUPT;
    }

  app_id = be32 (hdr + HDR_APPLICATION_ID);
  user_version = be32 (hdr + HDR_USER_VERSION);
  if (app_id != 0 && app_id != PLAB_STORE_APPLICATION_ID)
    {
      _plab_store_set_open_error (
          path, "it is an SQLite database of another program (application id 0x%08x)", app_id);
      return PLAB_ESTORE_FOREIGN;
    }

  /* The page count in the header is trustworthy when the change counter and
   * the version-valid-for number agree and no -wal file has newer pages; a
   * file shorter than that lost its tail. */
  n_pages = be32 (hdr + HDR_N_PAGES);
  if ((size % (off_t)page_size) != 0 && !wal_frames)
    {
      _plab_store_set_open_error (path,
                                  "the file is cut short: %lld bytes is not a whole number of "
                                  "%u-byte "
                                  "pages",
                                  (long long)size, page_size);
      return PLAB_ESTORE_CORRUPT;
    }
  if (n_pages != 0 && !wal_frames && be32 (hdr + HDR_CHANGE_COUNTER) == be32 (hdr + HDR_VALID_FOR)
      && (off_t)n_pages * page_size > size)
    {
      _plab_store_set_open_error (path,
                                  "the file is cut short: %lld bytes of the %lld its header gives",
                                  (long long)size, (long long)n_pages * page_size);
      return PLAB_ESTORE_CORRUPT;
    }

  if (app_id == PLAB_STORE_APPLICATION_ID)
    {
      if (user_version > PLAB_STORE_SCHEMA_VERSION)
        {
          _plab_store_set_open_error (path,
                                      "it was written by a newer plab (schema version %u; this "
                                      "plab knows "
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
      _plab_store_set_open_error (path, "the first page, which lists the tables, is damaged");
      return PLAB_ESTORE_CORRUPT;
    }
  _plab_store_set_open_error (path, "it is an SQLite database of another program: it has tables "
                                    "that are not "
                                    "plab's");
  return PLAB_ESTORE_FOREIGN;
}

/* --- Checking what SQLite sees --- */

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
    rc = _plab_store_query_int (self->db, "PRAGMA application_id", &app_id);
  if (rc == SQLITE_OK)
    rc = _plab_store_query_int (self->db, "PRAGMA user_version", &version);
  /* Counting the schema reads it, which is where a damaged file shows. */
  if (rc == SQLITE_OK)
    rc = _plab_store_query_int (self->db, "SELECT count(*) FROM sqlite_schema", &n_objects);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      int code = _plab_store_fail_open_sqlite (self->path, self->db, rc);

      if (!sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      /* A plain SQLITE_ERROR here is the file's format that SQLite cannot
       * read ("unsupported file format": a schema format number it does not
       * know): the file is damaged, and is refused as such. */
      return (rc & 0xff) == SQLITE_ERROR ? PLAB_ESTORE_CORRUPT : code;
    }

  if (app_id != PLAB_STORE_APPLICATION_ID && !(app_id == 0 && n_objects == 0 && version == 0))
    {
      _plab_store_set_open_error (self->path, "it is an SQLite database of another program");
      return PLAB_ESTORE_FOREIGN;
    }
  if (version > PLAB_STORE_SCHEMA_VERSION)
    {
      _plab_store_set_open_error (self->path,
                                  "it was written by a newer plab (schema version %lld; this plab "
                                  "knows "
                                  "versions up to %d)",
                                  (long long)version, PLAB_STORE_SCHEMA_VERSION);
      return PLAB_ESTORE_NEWER;
    }
  if (version == 0 && n_objects != 0)
    {
      _plab_store_set_open_error (self->path, "it is marked as a plab run store but has no schema "
                                              "version: it is damaged");
      return PLAB_ESTORE_CORRUPT;
    }
  if (version == 0 && self->mode == PLAB_STORE_READ_ONLY)
    {
      _plab_store_set_open_error (self->path,
                                  "the run store is empty: nothing has been recorded yet");
      return PLAB_ESTORE_OPEN;
    }
  if (version < PLAB_STORE_SCHEMA_VERSION && self->mode == PLAB_STORE_READ_ONLY)
    {
      _plab_store_set_open_error (self->path,
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
    = { "sqlite_schema", "machines", "calibrations", "sweeps", "runs", "lanes", "span_kinds" };

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
      int code = _plab_store_fail_open_sqlite (self->path, self->db, rc);

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
  _plab_store_set_open_error (self->path, "the file is damaged (SQLite's check found: %s)",
                              finding);
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

  rc = _plab_store_tx_begin (self);
  if (rc < 0)
    {
      _plab_store_set_open_error (self->path, "%s", self->errmsg);
      return rc;
    }
  /* Read again inside the transaction: another runner may have created the
   * schema since check_identity () looked. */
  rc = _plab_store_query_int (self->db, "PRAGMA user_version", &version);
  if (rc != SQLITE_OK)
    {
      rc = _plab_store_fail_sqlite (self, rc);
      _plab_store_set_open_error (self->path, "%s", self->errmsg);
      goto fail;
    }
  if (version < PLAB_STORE_SCHEMA_VERSION && (rc = _plab_store_migrate (self, version)) < 0)
    {
      _plab_store_set_open_error (self->path, "cannot create the schema: %s", self->errmsg);
      goto fail;
    }
  if (version < PLAB_STORE_SCHEMA_VERSION && (rc = _plab_store_check_schema (self)) < 0)
    goto fail_checked;
  if ((rc = _plab_store_find_machine (self)) < 0
      || (rc = _plab_store_repair_interrupted (self)) < 0)
    {
      _plab_store_set_open_error (self->path, "%s", self->errmsg);
      goto fail;
    }
  rc = sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      rc = _plab_store_fail_sqlite (self, rc);
      _plab_store_set_open_error (self->path, "%s", self->errmsg);
      goto fail;
    }
  _plab_store_remove_imported_journals (self, true);
  return 0;

fail:
  /* A plain SQLITE_ERROR from plab's own statements means the schema is not
   * the one plab wrote (a table or column missing, a CHECK calling a function
   * that does not exist): the store is damaged, and is refused as such.
   * Read before the rollback resets it. */
  if (rc == PLAB_ESTORE_IO && (sqlite3_errcode (self->db) & 0xff) == SQLITE_ERROR)
    rc = PLAB_ESTORE_CORRUPT;
fail_checked:
  _plab_store_tx_rollback (self);
  _plab_store_remove_imported_journals (self, false);
  self->repaired = 0;
  return rc;
}

/* What an open found out about the path, for its later stages and for
 * leaving a refused file as it was found. */
typedef struct
{
  char *dir;         /* the store's folder; malloc'ed */
  bool file_existed; /* the store file was there before this open */
  bool wal_existed;  /* a -wal file was there before this open */
  bool wal_frames;   /* that -wal file holds commits */
  struct stat st;    /* the store file, when it existed */
  struct stat wal_st;
  FileKind kind;
  int64_t version; /* the schema version SQLite sees */
} OpenState;

/* The store file is missing: only a writer goes on, creating its folder. */
static int
prepare_missing_file (PlabStore *self, OpenState *os)
{
  os->file_existed = false;
  if (self->mode == PLAB_STORE_READ_ONLY)
    {
      _plab_store_set_open_error (self->path, "no such file: nothing has been recorded there yet");
      return PLAB_ESTORE_OPEN;
    }
  if (make_dirs (os->dir) != 0)
    {
      int err = errno;

      _plab_store_set_open_error (self->path, "cannot create its folder %s: %s", os->dir,
                                  strerror (err));
      return err == EACCES || err == EROFS || err == EPERM ? PLAB_ESTORE_READONLY
                                                           : PLAB_ESTORE_OPEN;
    }
  return 0;
}

/* Looks at the path before SQLite does: the store file and its -wal file,
 * whether they may be read, and whether a writer may write beside them. */
static int
look_at_path (PlabStore *self, OpenState *os)
{
  const char *path = self->path;
  char wal_path[PATH_MAX + 16];
  int rc;

  snprintf (wal_path, sizeof wal_path, "%s-wal", path);
  os->wal_existed = _plab_store_exists (wal_path);
  /* A -wal file holds commits when it is longer than its 32-byte header. */
  os->wal_frames = stat (wal_path, &os->wal_st) == 0 && os->wal_st.st_size > 32;

  if (stat (path, &os->st) != 0)
    {
      if (errno != ENOENT)
        {
          _plab_store_set_open_error (path, "%s", strerror (errno));
          return errno == EACCES ? PLAB_ESTORE_READONLY : PLAB_ESTORE_OPEN;
        }
      if ((rc = prepare_missing_file (self, os)) < 0)
        return rc;
    }
  else if (!S_ISREG (os->st.st_mode))
    {
      _plab_store_set_open_error (path, S_ISDIR (os->st.st_mode) ? "it is a folder, not a file"
                                                                 : "it is not a regular file");
      return PLAB_ESTORE_OPEN;
    }
  else if (access (path, R_OK) != 0)
    {
      _plab_store_set_open_error (path, "the file may not be read: %s", strerror (errno));
      return PLAB_ESTORE_OPEN;
    }

  /* WAL mode keeps two files next to the database, so a writer needs a
   * writable folder too. */
  if (self->mode == PLAB_STORE_READ_WRITE && (!os->file_existed || writable (path, &os->st)))
    {
      struct stat dst;

      if (stat (os->dir, &dst) != 0 || !writable (os->dir, &dst))
        {
          _plab_store_set_open_error (path,
                                      "its folder %s %s, and a writer must create files beside "
                                      "the store",
                                      os->dir, why_not_writable (os->dir));
          return PLAB_ESTORE_READONLY;
        }
    }
  return 0;
}

/* The flags SQLite opens the store with, and whether it is opened as
 * immutable.
 *
 * A reader opens a writable store read-write but query-only: a truly
 * read-only SQLite connection never removes the -wal and -shm files it
 * made, so every `plab runs` would leave them behind. A file or folder we
 * may not write to is opened read-only. With no -wal file beside it, it is
 * also opened as immutable: nobody is writing it (a writer of ours refuses
 * such a store, and would have a -wal file), and SQLite then reads it
 * without making -wal and -shm files, which it otherwise does wherever it
 * can (as root, in spite of the permissions). */
static int
open_flags (PlabStore *self, const OpenState *os, bool *immutable)
{
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_URI;
  struct stat dst;

  *immutable = false;
  if (self->mode == PLAB_STORE_READ_WRITE)
    return flags | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (writable (self->path, &os->st) && stat (os->dir, &dst) == 0 && writable (os->dir, &dst))
    return flags | SQLITE_OPEN_READWRITE;
  *immutable = !os->wal_existed;
  return flags | SQLITE_OPEN_READONLY;
}

/* Opens the SQLite connection, and judges an existing file's header before
 * SQLite reads any of it. */
static int
open_connection (PlabStore *self, OpenState *os)
{
  bool immutable;
  int flags = open_flags (self, os, &immutable);
  char *uri = file_uri (self->path, immutable ? "?immutable=1" : "");
  int rc;

  if (uri == NULL)
    return PLAB_ENOMEM;
  rc = sqlite3_open_v2 (uri, &self->db, flags, NULL);
  free (uri);
  if (rc != SQLITE_OK)
    return _plab_store_fail_open_sqlite (self->path, self->db, rc);
  if (os->file_existed)
    {
      rc = judge_file (self->db, self->path, os->wal_frames, &os->kind);
      if (rc < 0)
        return rc;
      if (self->mode == PLAB_STORE_READ_WRITE && !writable (self->path, &os->st))
        {
          _plab_store_set_open_error (self->path, "the file %s; it can still be read",
                                      why_not_writable (self->path));
          return PLAB_ESTORE_READONLY;
        }
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  if (self->mode == PLAB_STORE_READ_ONLY)
    sqlite3_exec (self->db, "PRAGMA query_only = 1", NULL, NULL, NULL);
  return 0;
}

/* Checks what SQLite sees: whose file it is, its schema, and (before a
 * writer adds to it) whether it is sound. Reads only. */
static int
check_store (PlabStore *self, OpenState *os)
{
  int rc;

  /* Until the file is known to be ours, closing must not checkpoint: that
   * would copy someone else's -wal into their database. */
  sqlite3_db_config (self->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);

  rc = check_identity (self, os->kind, &os->version);
  if (rc == 0 && os->version == PLAB_STORE_SCHEMA_VERSION)
    rc = _plab_store_check_schema (self);
  if (rc == 0 && self->mode == PLAB_STORE_READ_WRITE && os->version > 0)
    rc = check_damage (self, os->st.st_size + (os->wal_frames ? os->wal_st.st_size : 0));
  if (rc < 0)
    return rc;
  sqlite3_db_config (self->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
  return 0;
}

/* The schema is written before the switch to WAL, so the application id
 * and version are in the main file's header from the first commit on. The
 * switch is the first write outside that transaction: the file has shown
 * it can be written by now. */
static int
switch_to_wal (PlabStore *self)
{
  sqlite3_stmt *stmt = NULL;
  char *journal = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      journal = strdup ((const char *)sqlite3_column_text (stmt, 0));
      rc = SQLITE_OK;
    }
  if (rc != SQLITE_OK)
    rc = _plab_store_fail_open_sqlite (self->path, self->db, rc);
  sqlite3_finalize (stmt);
  if (rc == 0 && (journal == NULL || strcmp (journal, "wal") != 0))
    {
      _plab_store_set_open_error (self->path, "cannot switch to WAL mode (journal mode stays %s)",
                                  journal ? journal : "unknown");
      rc = PLAB_ESTORE_IO;
    }
  free (journal);
  if (rc < 0)
    return rc;

  /* NORMAL is durable across a crash of the runner in WAL mode (only a power
   * cut may lose the last commits); 16 MiB of cache keeps the pages that
   * batches append to in memory. */
  rc = sqlite3_exec (self->db,
                     "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
                     "PRAGMA cache_size = -16384;",
                     NULL, NULL, NULL);
  return rc == SQLITE_OK ? 0 : _plab_store_fail_open_sqlite (self->path, self->db, rc);
}

/* The writer's part of an open: what it writes, then the switch to WAL. */
static int
open_for_writing (PlabStore *self)
{
  struct stat st;
  int rc;

  /* From here on the file is ours (or empty), and writing to it is allowed. */
  if ((rc = write_on_open (self)) < 0)
    return rc;
  if (stat (self->path, &st) == 0)
    {
      self->file_dev = st.st_dev;
      self->file_ino = st.st_ino;
    }
  return switch_to_wal (self);
}

/* Frees a store whose open failed. A refused file is left as it was found. */
static void
discard_failed_open (PlabStore *self, const OpenState *os)
{
  _plab_store_finalize_all (self);
  /* The -wal and -shm files this open made are SQLite's to remove: closing
   * checkpoints and removes them when this is the last connection to the
   * file, which only SQLite's locks can tell. Another process may have
   * started using them since they were looked for (a runner creating the
   * store a reader waits for), and removing them under it parts its readers
   * from its writes: they read the main file while it checkpoints into it.
   * Closing checkpoints nothing of this open's, which wrote nothing or
   * rolled it back. Not when a -wal file was there before: its commits are
   * another writer's (or wait for the next open), and the database may be
   * what failed (a full disk). */
  if (self->db != NULL)
    {
      sqlite3_db_config (self->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, os->wal_existed ? 1 : 0, NULL);
      sqlite3_close (self->db);
    }
  /* A database file this open created goes again. */
  if (self->db != NULL && !os->file_existed)
    unlink (self->path);
  free (self->path);
  free (self);
}

int
plab_store_open (const char *path, PlabStoreMode mode, PlabStore **out)
{
  PlabStore *self = NULL;
  OpenState os = { .file_existed = true, .kind = FILE_EMPTY };
  int rc;

  pthread_once (&sqlite_config_once, configure_sqlite);
  _plab_store_clear_open_error ();
  if (out == NULL || path == NULL || path[0] == '\0'
      || (mode != PLAB_STORE_READ_WRITE && mode != PLAB_STORE_READ_ONLY))
    {
      _plab_store_set_open_error (path, "invalid arguments");
      return PLAB_EINVAL;
    }
  *out = NULL;
  if (strlen (path) >= PATH_MAX)
    {
      _plab_store_set_open_error (path, "the path is too long");
      return PLAB_EINVAL;
    }

  self = calloc (1, sizeof *self);
  if (self == NULL)
    return PLAB_ENOMEM;
  self->journal_fd = -1;
  self->mode = mode;
  self->path = strdup (path);
  os.dir = _plab_store_dir_of (path);
  if (self->path == NULL || os.dir == NULL)
    {
      rc = PLAB_ENOMEM;
      goto fail;
    }

  if ((rc = look_at_path (self, &os)) < 0 || (rc = open_connection (self, &os)) < 0
      || (rc = check_store (self, &os)) < 0)
    goto fail;
  if (mode == PLAB_STORE_READ_ONLY)
    {
      PlabMachineInfo info;

      plab_machine_info (&info);
      snprintf (self->host, sizeof self->host, "%s", info.host);
    }
  else if ((rc = open_for_writing (self)) < 0)
    goto fail;

  free (os.dir);
  *out = self;
  return 0;

fail:
  discard_failed_open (self, &os);
  free (os.dir);
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
  _plab_store_finalize_all (self);
  /* The last connection to close checkpoints the WAL and removes it. */
  sqlite3_close (self->db);
  free (self->path);
  free (self);
}
