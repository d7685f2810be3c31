/* plab-store-read.c: reading runs back: the runs (one, or a filtered list),
 * their lanes, spans (whole or in batches), counter samples and the machine
 * a run was recorded on. Readers never write: a run whose runner died reads
 * as failed, as the next writer will record it.
 */
#include "plab.h"
#include "plab-store-private.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The machine's load around the run, from the five columns at @col on: a
 * run recorded before the store had them, or one that was not measured,
 * has NULL in each. */
static void
read_load (sqlite3_stmt *stmt, int col, PlabMachineLoad *load)
{
  memset (load, 0, sizeof *load);
  load->load_avg = -1;
  if (sqlite3_column_type (stmt, col + 1) == SQLITE_NULL)
    return;
  load->measured = true;
  if (sqlite3_column_type (stmt, col) != SQLITE_NULL)
    load->load_avg = sqlite3_column_double (stmt, col);
  load->cpus = sqlite3_column_int (stmt, col + 1);
  load->others_share = sqlite3_column_double (stmt, col + 2);
  load->steal_share = sqlite3_column_double (stmt, col + 3);
  load->window_ns = sqlite3_column_int64 (stmt, col + 4);
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
  read_load (stmt, 21, &r->load);
  r->sweep_label = column_strdup (stmt, 26, NULL);

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
      || (r->error == NULL && sqlite3_column_type (stmt, 13) != SQLITE_NULL)
      || (r->sweep_label == NULL && sqlite3_column_type (stmt, 26) != SQLITE_NULL))
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
  PLAB_FREE_ALL (record->demo, record->backend, record->params_json, record->result_json,
                 record->check_message, record->error, record->sweep_label, record);
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

/* --- Rows --- */

/* Fills @elem from the current row of @stmt. Returns 0, or a negative
 * PLAB_E* code with nothing left in @elem to free. */
typedef int (*RowFunc) (PlabStore *self, sqlite3_stmt *stmt, void *elem);

/* A growing array of elements of one size. */
typedef struct
{
  void *items;
  size_t n;
  size_t cap;
} Array;

/* Makes room in @a for @more elements of @size bytes; false when out of
 * memory (@a is then as it was). */
static bool
array_reserve (Array *a, size_t size, size_t more)
{
  size_t cap = a->cap ? a->cap : 64;
  void *grown;

  if (a->n + more <= a->cap)
    return true;
  while (cap < a->n + more)
    cap *= 2;
  grown = realloc (a->items, cap * size);
  if (grown == NULL)
    return false;
  a->items = grown;
  a->cap = cap;
  return true;
}

/* Steps @stmt, its parameters bound, through every row, each made an
 * element of @size bytes by @fill, and resets it. Returns a malloc'ed
 * array of *n_out elements (NULL when there are none); on an error, NULL
 * and none, with *rc_out set to the error and each element read so far
 * freed with @clear (when not NULL). */
static void *
read_rows (PlabStore *self,
           sqlite3_stmt *stmt,
           size_t size,
           RowFunc fill,
           void (*clear) (void *elem),
           size_t *n_out,
           int *rc_out)
{
  Array a = { NULL, 0, 0 };
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      rc = array_reserve (&a, size, 1) ? fill (self, stmt, (char *)a.items + a.n * size)
                                       : PLAB_ENOMEM;
      if (rc < 0)
        break;
      a.n++;
    }
  if (rc > 0)
    rc = rc == SQLITE_DONE ? 0 : _plab_store_fail_sqlite (self, rc);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc < 0)
    {
      for (size_t i = 0; clear != NULL && i < a.n; i++)
        clear ((char *)a.items + i * size);
      free (a.items);
      a.items = NULL;
      a.n = 0;
    }
  *n_out = a.n;
  *rc_out = rc;
  return a.items;
}

/* The rows of the statement @id for the run @run_id (its one parameter),
 * as read_rows () gives them, with nothing to free but the array. */
static void *
read_run_rows (PlabStore *self,
               StmtId id,
               int64_t run_id,
               size_t size,
               RowFunc fill,
               size_t *n_out,
               int *rc_out)
{
  sqlite3_stmt *stmt = NULL;

  *n_out = 0;
  if ((*rc_out = _plab_store_stmt_get (self, id, &stmt)) < 0)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  return read_rows (self, stmt, size, fill, NULL, n_out, rc_out);
}

/* Steps @stmt, its parameters bound, through every row, each made a
 * PlabEvent by @fill, hands them to @func in batches of at most
 * PLAB_STORE_SPAN_BATCH, and resets it. Returns 0, a store error, or what
 * @func returned to stop. */
static int
read_events (PlabStore *self,
             sqlite3_stmt *stmt,
             RowFunc fill,
             PlabStoreSpanFunc func,
             void *user_data)
{
  PlabEvent *batch = malloc (PLAB_STORE_SPAN_BATCH * sizeof *batch);
  size_t n = 0;
  int rc;

  if (batch == NULL)
    {
      rc = PLAB_ENOMEM;
      goto out;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      fill (self, stmt, &batch[n++]);
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
      rc = _plab_store_fail_sqlite (self, rc);
      goto out;
    }
  rc = n > 0 ? func (user_data, batch, n) : 0;

out:
  sqlite3_reset (stmt);
  free (batch);
  return rc;
}

/* Collects the batches of read_events () into one array. */
static int
collect_events_cb (void *user_data, const PlabEvent *events, size_t n)
{
  Array *a = user_data;

  if (!array_reserve (a, sizeof *events, n))
    return PLAB_ENOMEM;
  memcpy ((PlabEvent *)a->items + a->n, events, n * sizeof *events);
  a->n += n;
  return 0;
}

/* Fills @elem from the one row of the statement @id for @key, and resets
 * it; PLAB_ENOTFOUND, with @missing for the message, when there is none. */
static int
read_row (PlabStore *self, StmtId id, int64_t key, RowFunc fill, void *elem, const char *missing)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if ((rc = _plab_store_stmt_get (self, id, &stmt)) < 0)
    return rc;
  sqlite3_bind_int64 (stmt, 1, key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    rc = fill (self, stmt, elem);
  else if (rc == SQLITE_DONE)
    rc = _plab_store_fail_with (self, PLAB_ENOTFOUND, missing);
  else
    rc = _plab_store_fail_sqlite (self, rc);
  sqlite3_reset (stmt);
  return rc;
}

/* --- Rows of each table --- */

/* A run's row into the PlabRunRecord * at @elem. */
static int
run_row (PlabStore *self, sqlite3_stmt *stmt, void *elem)
{
  PlabRunRecord **record = elem;

  *record = run_record_from_row (self, stmt);
  return *record != NULL ? 0 : PLAB_ENOMEM;
}

static void
run_row_clear (void *elem)
{
  plab_run_record_free (*(PlabRunRecord **)elem);
}

static int
lane_row (PlabStore *self, sqlite3_stmt *stmt, void *elem)
{
  PlabLaneInfo *l = elem;
  const char *name = (const char *)sqlite3_column_text (stmt, 4);

  (void)self;
  memset (l, 0, sizeof *l);
  l->lane = sqlite3_column_int (stmt, 0);
  l->pid = sqlite3_column_int (stmt, 2);
  l->tid = sqlite3_column_int (stmt, 3);
  snprintf (l->name, sizeof l->name, "%s", name ? name : "");
  _plab_store_lane_from_names (l, (const char *)sqlite3_column_text (stmt, 1),
                               (const char *)sqlite3_column_text (stmt, 5));
  l->exit_code = sqlite3_column_int (stmt, 6);
  l->exit_signal = sqlite3_column_int (stmt, 7);
  l->dropped = (uint64_t)sqlite3_column_int64 (stmt, 8);
  return 0;
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
  ev->kind = (uint8_t)kind;
  ev->task_id = task_id;
  ev->item = -1;
  if (label != NULL)
    snprintf (ev->label, sizeof ev->label, "%s", label);
}

/* A span's row (STMT_GET_SPANS) into a PlabEvent. */
static int
span_row (PlabStore *self, sqlite3_stmt *stmt, void *elem)
{
  (void)self;
  event_from_columns (elem, sqlite3_column_int (stmt, 0), sqlite3_column_int64 (stmt, 1),
                      sqlite3_column_int64 (stmt, 2), sqlite3_column_int (stmt, 3),
                      (const char *)sqlite3_column_text (stmt, 4), sqlite3_column_int64 (stmt, 5));
  /* A flow that is neither put nor get (a damaged or newer store) is none. */
  if (sqlite3_column_type (stmt, 6) != SQLITE_NULL && sqlite3_column_type (stmt, 7) != SQLITE_NULL)
    {
      int flow = sqlite3_column_int (stmt, 6);
      int64_t item = sqlite3_column_int64 (stmt, 7);

      if ((flow == PLAB_FLOW_PUT || flow == PLAB_FLOW_GET) && item >= 0 && item <= INT32_MAX)
        {
          ((PlabEvent *)elem)->flow = (uint8_t)flow;
          ((PlabEvent *)elem)->item = (int32_t)item;
        }
    }
  return 0;
}

/* A counter sample's row (STMT_GET_COUNTERS) into a PlabEvent. */
static int
counter_row (PlabStore *self, sqlite3_stmt *stmt, void *elem)
{
  int64_t t = sqlite3_column_int64 (stmt, 2);

  (void)self;
  event_from_columns (elem, sqlite3_column_int (stmt, 0), t, t, PLAB_SPAN_COUNTER,
                      (const char *)sqlite3_column_text (stmt, 1), sqlite3_column_int64 (stmt, 3));
  return 0;
}

static int
machine_row (PlabStore *self, sqlite3_stmt *stmt, void *elem)
{
  PlabMachineRecord *m = elem;

  (void)self;
  m->id = sqlite3_column_int64 (stmt, 0);
  m->host = column_strdup (stmt, 1, "");
  m->cpu_model = column_strdup (stmt, 2, "");
  m->usable_cpus = sqlite3_column_int (stmt, 3);
  m->online_cpus = sqlite3_column_int (stmt, 4);
  m->os = column_strdup (stmt, 5, "");
  m->compiler = column_strdup (stmt, 6, "");
  m->plab_version = column_strdup (stmt, 7, "");
  if (m->host == NULL || m->cpu_model == NULL || m->os == NULL || m->compiler == NULL
      || m->plab_version == NULL)
    {
      plab_machine_record_clear (m);
      return PLAB_ENOMEM;
    }
  return 0;
}

/* --- The readers --- */

int
plab_store_list_runs (PlabStore *self,
                      const PlabRunFilter *filter,
                      PlabRunRecord ***out,
                      size_t *n_out)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || out == NULL || n_out == NULL)
    return PLAB_EINVAL;
  *out = NULL;
  *n_out = 0;
  if ((rc = _plab_store_stmt_get (self, STMT_LIST_RUNS, &stmt)) < 0)
    return rc;

  if (filter != NULL && filter->demo != NULL)
    sqlite3_bind_text (stmt, 1, filter->demo, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 1);
  sqlite3_bind_int64 (stmt, 2, filter != NULL ? filter->sweep_id : 0);
  sqlite3_bind_int (stmt, 3, filter != NULL && filter->limit > 0 ? filter->limit : -1);
  *out = read_rows (self, stmt, sizeof **out, run_row, run_row_clear, n_out, &rc);
  return rc;
}

int
plab_store_data_version (PlabStore *self, int64_t *out)
{
  int rc;

  if (self == NULL || out == NULL)
    return PLAB_EINVAL;
  *out = 0;
  rc = _plab_store_query_int (self->db, "PRAGMA data_version", out);
  if (rc != SQLITE_OK)
    return _plab_store_fail_sqlite (self, rc);
  return 0;
}

int
plab_store_get_run (PlabStore *self, int64_t run_id, PlabRunRecord **out)
{
  if (self == NULL || out == NULL)
    return PLAB_EINVAL;
  *out = NULL;
  return read_row (self, STMT_GET_RUN, run_id, run_row, out, "no such run");
}

int
plab_store_get_lanes (PlabStore *self, int64_t run_id, PlabLaneInfo **out, size_t *n_out)
{
  int rc;

  if (self == NULL || out == NULL || n_out == NULL)
    return PLAB_EINVAL;
  *out = read_run_rows (self, STMT_GET_LANES, run_id, sizeof **out, lane_row, n_out, &rc);
  return rc;
}

int
plab_store_read_spans (PlabStore *self,
                       int64_t run_id,
                       int64_t from_ns,
                       int64_t to_ns,
                       PlabStoreSpanFunc func,
                       void *user_data)
{
  sqlite3_stmt *stmt = NULL;
  int64_t max_span = -1, lowest_start;
  char sql[64];
  int rc;

  if (self == NULL || func == NULL)
    return PLAB_EINVAL;

  snprintf (sql, sizeof sql, "SELECT max_span_ns FROM runs WHERE id = %lld", (long long)run_id);
  rc = _plab_store_query_int (self->db, sql, &max_span);
  if (rc != SQLITE_OK)
    return _plab_store_fail_sqlite (self, rc);
  if (max_span < 0)
    return _plab_store_fail_with (self, PLAB_ENOTFOUND, "no such run");
  lowest_start = from_ns < INT64_MIN + max_span ? INT64_MIN : from_ns - max_span;

  if ((rc = _plab_store_stmt_get (self, STMT_GET_SPANS, &stmt)) < 0)
    return rc;
  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int64 (stmt, 2, lowest_start);
  sqlite3_bind_int64 (stmt, 3, to_ns);
  sqlite3_bind_int64 (stmt, 4, from_ns);
  return read_events (self, stmt, span_row, func, user_data);
}

int
plab_store_read_counters (PlabStore *self, int64_t run_id, PlabStoreSpanFunc func, void *user_data)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (self == NULL || func == NULL)
    return PLAB_EINVAL;
  if ((rc = _plab_store_stmt_get (self, STMT_GET_COUNTERS, &stmt)) < 0)
    return rc;
  sqlite3_bind_int64 (stmt, 1, run_id);
  return read_events (self, stmt, counter_row, func, user_data);
}

/* The spans (@counters false) or the counter samples of a run in one
 * malloc'ed array, for plab_store_get_spans () and
 * plab_store_get_counters (). */
static int
collect_events (PlabStore *self,
                int64_t run_id,
                int64_t from_ns,
                int64_t to_ns,
                bool counters,
                PlabEvent **out,
                size_t *n_out)
{
  Array a = { NULL, 0, 0 };
  int rc;

  if (self == NULL || out == NULL || n_out == NULL)
    return PLAB_EINVAL;
  *out = NULL;
  *n_out = 0;
  if (!counters)
    rc = plab_store_read_spans (self, run_id, from_ns, to_ns, collect_events_cb, &a);
  else
    rc = plab_store_read_counters (self, run_id, collect_events_cb, &a);
  if (rc != 0)
    {
      free (a.items);
      return rc;
    }
  *out = a.items;
  *n_out = a.n;
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
  return collect_events (self, run_id, from_ns, to_ns, false, out, n_out);
}

int
plab_store_get_counters (PlabStore *self, int64_t run_id, PlabEvent **out, size_t *n_out)
{
  return collect_events (self, run_id, 0, 0, true, out, n_out);
}

int
plab_store_get_machine (PlabStore *self, int64_t machine_id, PlabMachineRecord *out)
{
  if (self == NULL || out == NULL)
    return PLAB_EINVAL;
  memset (out, 0, sizeof *out);
  return read_row (self, STMT_GET_MACHINE, machine_id, machine_row, out, "no such machine");
}

void
plab_machine_record_clear (PlabMachineRecord *record)
{
  if (record == NULL)
    return;
  PLAB_FREE_ALL (record->host, record->cpu_model, record->os, record->compiler,
                 record->plab_version);
  memset (record, 0, sizeof *record);
}
