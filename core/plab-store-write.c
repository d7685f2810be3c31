/* plab-store-write.c: writing runs: sweeps, runs and their outcomes, lanes,
 * and batches of events; the sink that a trace flushes into; this machine's
 * row.
 *
 * Every statement is prepared once and cached. A batch of events is one
 * transaction; spans go to `spans`, counter samples to `counters`, times
 * made relative to the run's origin. The origin, the next span number and the
 * longest span of the run being written are cached, so a batch costs one
 * b-tree insert per event and one UPDATE of the run.
 *
 * Several plab runners may write to one store at once: a write that finds
 * the store locked by another runner waits for it (see wait_for_runner ()).
 */
#include "plab.h"
#include "plab-store-private.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long, in all, a write waits while the lock is held by other plab
 * runners of this store: several runners writing their runs at once queue
 * for each other, each commit of a million spans taking seconds on a busy
 * machine. Only a bound against a runner that stopped and never ends. */
#define RUNNER_WAIT_MS (10 * 60 * 1000)

/* --- Waiting for other runners --- */

static int64_t
monotonic_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
  if (_plab_store_stmt_get (self, STMT_RUNNING_RUNS, &stmt) < 0)
    return false;
  sqlite3_bind_text (stmt, 1, self->host, -1, SQLITE_STATIC);
  while (!wait && sqlite3_step (stmt) == SQLITE_ROW)
    {
      int pid = sqlite3_column_int (stmt, 1);
      int64_t start = sqlite3_column_int64 (stmt, 2);
      bool alive = plab_process_start_ticks (pid) == start;

      if (pid == (int)getpid () && start == own_start)
        continue;
      wait = alive || _plab_store_journal_exists (self, sqlite3_column_int64 (stmt, 0));
    }
  sqlite3_reset (stmt);
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
      if (self->no_wait || !wait_for_runner (self, since_ms))
        break;
    }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return _plab_store_fail_sqlite (self, rc);
  return 0;
}

/* --- Transactions --- */

/* Runs one of the transaction statements (BEGIN IMMEDIATE, COMMIT,
 * SAVEPOINT, RELEASE); BEGIN IMMEDIATE waits for other runners as every
 * write does. */
static int
tx_exec (PlabStore *self, StmtId id)
{
  sqlite3_stmt *stmt = NULL;
  int rc = _plab_store_stmt_get (self, id, &stmt);

  return rc < 0 ? rc : stmt_run (self, stmt);
}

int
_plab_store_tx_begin (PlabStore *self)
{
  return tx_exec (self, STMT_BEGIN);
}

/* Runs an undoing statement, whose own failure is not reported: the first
 * error's message is kept. */
static void
tx_undo (PlabStore *self, StmtId id)
{
  sqlite3_stmt *stmt = NULL;

  if (_plab_store_stmt_get (self, id, &stmt) == 0)
    {
      sqlite3_step (stmt);
      sqlite3_reset (stmt);
    }
}

/* Undoes a savepoint's changes and ends it, keeping the first error's
 * message; the caller's transaction goes on. */
static void
tx_rollback_to (PlabStore *self)
{
  tx_undo (self, STMT_ROLLBACK_TO);
  tx_undo (self, STMT_RELEASE);
}

/* Undoes the open transaction, if any, keeping the first error's message. */
void
_plab_store_tx_rollback (PlabStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    tx_undo (self, STMT_ROLLBACK);
}

static int64_t
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --- Writing --- */

int
_plab_store_require_writable (PlabStore *self)
{
  if (self->mode != PLAB_STORE_READ_WRITE)
    return _plab_store_fail_with (self, PLAB_ESTORE_READONLY, "the run store was opened read-only");
  return 0;
}

int
plab_store_new_sweep (PlabStore *self, const char *demo, const char *label, int64_t *id_out)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || demo == NULL || id_out == NULL)
    return PLAB_EINVAL;
  if ((rc = _plab_store_require_writable (self)) < 0
      || (rc = _plab_store_stmt_get (self, STMT_NEW_SWEEP, &stmt)) < 0)
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
  if ((rc = _plab_store_require_writable (self)) < 0
      || (rc = _plab_store_stmt_get (self, STMT_BEGIN_RUN, &stmt)) < 0)
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
  if ((rc = _plab_store_stmt_get (self, STMT_RUN_CURSOR, &stmt)) < 0)
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
    return _plab_store_fail_with (self, PLAB_ENOTFOUND, "no such run");
  return _plab_store_fail_sqlite (self, rc);
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

  if ((rc = _plab_store_stmt_get (self, STMT_ENSURE_LANE, &stmt)) < 0)
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
  const char *kind, *end;
  int rc;

  if (self == NULL || lane == NULL || lane->lane < 0 || lane->lane >= 65536)
    return PLAB_EINVAL;
  if ((rc = _plab_store_require_writable (self)) < 0
      || (rc = _plab_store_stmt_get (self, STMT_PUT_LANE, &stmt)) < 0)
    return rc;

  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int (stmt, 2, lane->lane);
  _plab_store_lane_names (lane, &kind, &end);
  sqlite3_bind_text (stmt, 3, kind, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 4, lane->pid);
  sqlite3_bind_int (stmt, 5, lane->tid);
  sqlite3_bind_text (stmt, 6, lane->name, (int)strnlen (lane->name, sizeof lane->name),
                     SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, end, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 8, lane->exit_code);
  sqlite3_bind_int (stmt, 9, lane->exit_signal);
  sqlite3_bind_int64 (stmt, 10, (int64_t)lane->dropped);
  rc = stmt_run (self, stmt);
  if (rc == 0 && run_id == self->cursor_run)
    lane_mark_known (self, lane->lane);
  return rc;
}

/* Binds one span to the nine parameters from @first on: lane, start, seq,
 * end, kind, label, task, flow, item (NULL, NULL when it moves no item). */
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
  if (ev->flow == PLAB_FLOW_PUT || ev->flow == PLAB_FLOW_GET)
    {
      sqlite3_bind_int (stmt, first + 7, ev->flow);
      sqlite3_bind_int (stmt, first + 8, ev->item);
    }
  else
    {
      sqlite3_bind_null (stmt, first + 7);
      sqlite3_bind_null (stmt, first + 8);
    }
}

/* The one batch of plab_store_add_events (). */
typedef struct
{
  const PlabEvent *events;
  size_t n;
} OneBatch;

static const PlabEvent *
one_batch_next (void *user_data, size_t *n_out)
{
  OneBatch *batch = user_data;
  const PlabEvent *events = batch->events;

  *n_out = batch->n;
  batch->events = NULL;
  batch->n = 0;
  return events;
}

int
plab_store_add_events (PlabStore *self, int64_t run_id, const PlabEvent *events, size_t n)
{
  OneBatch batch = { events, n };

  if (self == NULL || (events == NULL && n > 0))
    return PLAB_EINVAL;
  return plab_store_add_event_batches (self, run_id, one_batch_next, &batch);
}

int
plab_store_add_event_batches (PlabStore *self,
                              int64_t run_id,
                              PlabStoreEventBatches next,
                              void *user_data)
{
  sqlite3_stmt *span = NULL, *block = NULL, *counter = NULL, *update = NULL;
  const PlabEvent *pending[SPAN_BLOCK];
  const PlabEvent *events;
  int n_pending = 0;
  int64_t n_spans, max_span, origin;
  size_t n = 0;
  bool nested;
  int rc;

  if (self == NULL || next == NULL)
    return PLAB_EINVAL;
  events = next (user_data, &n);
  if (events == NULL || n == 0)
    return 0;
  if ((rc = _plab_store_require_writable (self)) < 0
      || (rc = _plab_store_stmt_get (self, STMT_INSERT_SPAN, &span)) < 0
      || (rc = _plab_store_stmt_get (self, STMT_INSERT_SPAN_BLOCK, &block)) < 0
      || (rc = _plab_store_stmt_get (self, STMT_INSERT_COUNTER, &counter)) < 0
      || (rc = _plab_store_stmt_get (self, STMT_UPDATE_RUN_COUNTS, &update)) < 0)
    return rc;

  /* Within a transaction of the caller (an open for writing imports the
   * journal of a dead runner inside its own), the batch is a savepoint of
   * it: all of its events go in, or none, and the caller's work stays. */
  nested = !sqlite3_get_autocommit (self->db);
  if ((rc = tx_exec (self, nested ? STMT_SAVEPOINT : STMT_BEGIN)) < 0)
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

  for (; events != NULL && n > 0; events = next (user_data, &n))
    {
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
              _plab_store_kill_point ("span-block");
              n_spans += SPAN_BLOCK;
              n_pending = 0;
            }
        }

      /* The rest of the batch, fewer than a block, one row at a time: the
       * next batch may take the place of this one. */
      for (int r = 0; r < n_pending; r++)
        {
          bind_span (span, 2, pending[r], n_spans++, origin);
          if ((rc = stmt_run (self, span)) < 0)
            goto fail;
        }
      n_pending = 0;
    }

  sqlite3_bind_int64 (update, 1, run_id);
  sqlite3_bind_int64 (update, 2, n_spans);
  sqlite3_bind_int64 (update, 3, max_span);
  if ((rc = stmt_run (self, update)) < 0)
    goto fail;
  _plab_store_kill_point (nested ? "import" : "commit");
  if ((rc = tx_exec (self, nested ? STMT_RELEASE : STMT_COMMIT)) < 0)
    goto fail;
  _plab_store_kill_point (nested ? "imported" : "committed");

  self->cursor_n_spans = n_spans;
  self->cursor_max_span = max_span;
  return 0;

fail:
  if (nested)
    tx_rollback_to (self);
  else
    _plab_store_tx_rollback (self);
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
      _plab_store_journal_drop (self);
      return _plab_store_fail_with (self, PLAB_ESTORE_IO,
                                    "the store file was deleted or moved while the run was "
                                    "written: "
                                    "nothing of the run is kept");
    }
  if (st.st_dev != self->file_dev || st.st_ino != self->file_ino)
    {
      _plab_store_journal_drop (self);
      return _plab_store_fail_with (self, PLAB_ESTORE_IO,
                                    "the store file was replaced by another file while the run was "
                                    "written: the run went to the old file, which is no longer "
                                    "there");
    }
  return 0;
}

/* The machine's load around a run into the five parameters from @param on;
 * NULL (not measured) binds NULL to each. */
static void
bind_load (sqlite3_stmt *stmt, int param, const PlabMachineLoad *load)
{
  if (load == NULL || !load->measured)
    {
      for (int i = 0; i < 5; i++)
        sqlite3_bind_null (stmt, param + i);
      return;
    }
  if (load->load_avg >= 0)
    sqlite3_bind_double (stmt, param, load->load_avg);
  else
    sqlite3_bind_null (stmt, param);
  sqlite3_bind_int (stmt, param + 1, load->cpus);
  sqlite3_bind_double (stmt, param + 2, load->others_share);
  sqlite3_bind_double (stmt, param + 3, load->steal_share);
  sqlite3_bind_int64 (stmt, param + 4, load->window_ns);
}

int
plab_store_finish_run (PlabStore *self, int64_t run_id, const PlabRunOutcome *outcome)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || outcome == NULL || (unsigned)outcome->status > PLAB_RUN_CANCELLED)
    return PLAB_EINVAL;
  if ((rc = _plab_store_require_writable (self)) < 0
      || (rc = _plab_store_stmt_get (self, STMT_FINISH_RUN, &stmt)) < 0)
    return rc;
  _plab_store_kill_point ("finish");

  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_text (stmt, 2, plab_run_status_name (outcome->status), -1, SQLITE_STATIC);
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
  bind_load (stmt, 9, outcome->load);
  rc = stmt_run (self, stmt);
  sqlite3_clear_bindings (stmt);
  if (rc < 0)
    return rc;
  if (sqlite3_changes (self->db) == 0)
    return _plab_store_fail_with (self, PLAB_ENOTFOUND, "no such run");
  return check_still_there (self);
}

int
plab_store_note_progress (PlabStore *self, int64_t run_id, int64_t wall_ns, int64_t cpu_ns)
{
  PlabRunOutcome so_far = { .status = PLAB_RUN_RUNNING, .wall_ns = wall_ns, .cpu_ns = cpu_ns };
  int rc;

  if (self == NULL || self->db == NULL)
    return PLAB_EINVAL;
  /* One try that waits for no lock: a run's drain calls this, and a drain
   * held up by another runner's long commit would let the workers' rings
   * overflow. The next call, a second later, tries again. */
  self->no_wait = true;
  sqlite3_busy_timeout (self->db, 0);
  rc = plab_store_finish_run (self, run_id, &so_far);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  self->no_wait = false;
  return rc;
}

/* This machine's row, found or added. */
int
_plab_store_find_machine (PlabStore *self)
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
  rc = _plab_store_fail_sqlite (self, rc);
  sqlite3_finalize (stmt);
  return rc;
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
plab_store_sink_add_batches (PlabStore *self, PlabStoreEventBatches next, void *user_data)
{
  int rc = plab_store_add_event_batches (self, self->sink_run, next, user_data);

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

/* --- Calibrations of this machine --- */

/* Prepares @sql, a statement on the calibrations table whose ?1 is this
 * machine and ?2 the calibration's @name, in a writable store. */
static int
prepare_calibration (PlabStore *self, const char *sql, const char *name, sqlite3_stmt **stmt)
{
  int rc;

  if ((rc = _plab_store_require_writable (self)) < 0)
    return rc;
  rc = sqlite3_prepare_v2 (self->db, sql, -1, stmt, NULL);
  if (rc != SQLITE_OK)
    return _plab_store_fail_sqlite (self, rc);
  sqlite3_bind_int64 (*stmt, 1, self->machine_id);
  sqlite3_bind_text (*stmt, 2, name, -1, SQLITE_STATIC);
  return 0;
}

int
plab_store_get_calibration (PlabStore *self, const char *name, PlabCalibration *out)
{
  static const char sql[] = "SELECT value, cpu_ns, wall_ns, measured_at_us FROM calibrations "
                            "WHERE machine_id = ?1 AND name = ?2";
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || name == NULL || out == NULL)
    return PLAB_EINVAL;
  if ((rc = prepare_calibration (self, sql, name, &stmt)) < 0)
    return rc;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      out->value = sqlite3_column_double (stmt, 0);
      out->cpu_ns = sqlite3_column_int64 (stmt, 1);
      out->wall_ns = sqlite3_column_int64 (stmt, 2);
      out->measured_at_us = sqlite3_column_int64 (stmt, 3);
      rc = 0;
    }
  else if (rc == SQLITE_DONE)
    rc = PLAB_ENOTFOUND;
  else
    rc = _plab_store_fail_sqlite (self, rc);
  sqlite3_finalize (stmt);
  return rc;
}

int
plab_store_put_calibration (PlabStore *self, const char *name, const PlabCalibration *calibration)
{
  static const char sql[]
      = "INSERT OR REPLACE INTO calibrations (machine_id, name, value, cpu_ns, wall_ns, "
        "measured_at_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || name == NULL || calibration == NULL || !(calibration->value > 0))
    return PLAB_EINVAL;
  if ((rc = prepare_calibration (self, sql, name, &stmt)) < 0)
    return rc;
  sqlite3_bind_double (stmt, 3, calibration->value);
  sqlite3_bind_int64 (stmt, 4, calibration->cpu_ns);
  sqlite3_bind_int64 (stmt, 5, calibration->wall_ns);
  sqlite3_bind_int64 (stmt, 6,
                      calibration->measured_at_us ? calibration->measured_at_us : now_us ());
  rc = stmt_run (self, stmt);
  sqlite3_finalize (stmt);
  return rc;
}
