/* plab-store-private.h: the PlabStore struct and the internals that the
 * store's files share. plab-store.c opens and closes the store and judges a
 * file before anything is written to it; plab-store-db.c puts SQLite's
 * failures into words and caches the prepared statements;
 * plab-store-schema.c creates, migrates and checks the schema;
 * plab-store-write.c writes runs (and waits for other runners);
 * plab-store-journal.c keeps the event journal and repairs interrupted runs;
 * plab-store-read.c reads runs back. See plab-store.c for the design.
 *
 * A PlabStore is used by one thread at a time (the connection is opened
 * without SQLite's own mutexes, which would cost a lock per bound value).
 */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plab-store.h"

/* How long a write waits for another program's writer to commit. */
#define BUSY_TIMEOUT_MS 3000

#define INTERRUPTED_MESSAGE "the runner stopped before the run finished (it was killed or crashed)"
#define INTERRUPTED_CHECK "not checked: the run was interrupted before its end"

/* Spans are inserted SPAN_BLOCK rows per statement: a statement's fixed cost
 * (opening the table, starting and halting the program) is then paid once
 * for many rows, which makes bulk writes markedly faster. */
#define SPAN_BLOCK 64
#define SPAN_PARAMS 9 /* per row, after the shared ?1 (run id) */

#define N_LANE_WORDS (65536 / 64)

#define N_ELEMENTS(a) (sizeof (a) / sizeof (a)[0])

/* The cached statements; their SQL is in plab-store-db.c. */
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
  STMT_RUNNING_RUNS,
  N_STMTS
} StmtId;

struct PlabStore
{
  sqlite3 *db;
  char *path;
  PlabStoreMode mode;
  /* Set while a best-effort write runs (plab_store_note_progress ()): a
   * locked store is given up on at once, not waited for. */
  bool no_wait;
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

/* --- plab-store.c --- */

/* The names the lanes table keeps for a lane's kind and end (a value it
 * has no name for as "thread" and "running"), and back (an unknown name as
 * PLAB_LANE_THREAD and PLAB_LANE_RUNNING). */
void _plab_store_lane_names (const PlabLaneInfo *lane, const char **kind, const char **end);
void _plab_store_lane_from_names (PlabLaneInfo *lane, const char *kind, const char *end);

/* The folder part of @path ("." when there is none); malloc'ed. */
char *_plab_store_dir_of (const char *path);

/* Whether anything (a link too) is at @path. */
bool _plab_store_exists (const char *path);

#ifdef PLAB_TEST_HOOKS
/* Crash tests kill the writer at a named point: PLAB_TEST_KILL_AT=POINT, or
 * POINT:N for its N-th passage. Compiled only into test builds. */
void _plab_store_kill_point (const char *point);
#else
#define _plab_store_kill_point(point) ((void)0)
#endif

/* --- plab-store-db.c --- */

/* Sets the detail plab_store_open_error () gives: "@path: <message>";
 * clearing it starts an open. */
void _plab_store_set_open_error (const char *path, const char *fmt, ...);
void _plab_store_clear_open_error (void);

/* The code of the failed call @rc on @db, with its open error set. */
int _plab_store_fail_open_sqlite (const char *path, sqlite3 *db, int rc);

/* Records what the failed call @rc means and returns its code. */
int _plab_store_fail_sqlite (PlabStore *self, int rc);

/* Records @message as the store's error and returns @code. */
int _plab_store_fail_with (PlabStore *self, int code, const char *message);

/* The cached statement @id, prepared on first use. */
int _plab_store_stmt_get (PlabStore *self, StmtId id, sqlite3_stmt **out);
void _plab_store_finalize_all (PlabStore *self);

/* Runs a statement of one integer result; *out is left alone when there is
 * no row. Returns an SQLite code. */
int _plab_store_query_int (sqlite3 *db, const char *sql, int64_t *out);

/* --- plab-store-schema.c --- */

int _plab_store_migrate (PlabStore *self, int64_t from);
int _plab_store_check_schema (PlabStore *self);

/* --- plab-store-write.c --- */

int _plab_store_require_writable (PlabStore *self);
int _plab_store_find_machine (PlabStore *self);
int _plab_store_tx_begin (PlabStore *self);
void _plab_store_tx_rollback (PlabStore *self);

/* --- plab-store-journal.c --- */

bool _plab_store_journal_exists (const PlabStore *self, int64_t run_id);
void _plab_store_journal_drop (PlabStore *self);
int _plab_store_repair_interrupted (PlabStore *self);
void _plab_store_remove_imported_journals (PlabStore *self, bool committed);
