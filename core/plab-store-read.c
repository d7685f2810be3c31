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
  if ((rc = _plab_store_stmt_get (self, STMT_LIST_RUNS, &stmt)) < 0)
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
      rc = _plab_store_fail_sqlite (self, rc);
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
  if ((rc = _plab_store_stmt_get (self, STMT_GET_RUN, &stmt)) < 0)
    return rc;
  sqlite3_bind_int64 (stmt, 1, run_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *out = run_record_from_row (self, stmt);
      rc = *out != NULL ? 0 : PLAB_ENOMEM;
    }
  else if (rc == SQLITE_DONE)
    rc = _plab_store_fail_with (self, PLAB_ENOTFOUND, "no such run");
  else
    rc = _plab_store_fail_sqlite (self, rc);
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
  if ((rc = _plab_store_stmt_get (self, STMT_GET_LANES, &stmt)) < 0)
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
      idx = _plab_store_name_index (_plab_store_lane_kind_names,
                                    N_ELEMENTS (_plab_store_lane_kind_names),
                                    (const char *)sqlite3_column_text (stmt, 1));
      l->kind = idx < 0 ? PLAB_LANE_THREAD : (PlabLaneKind)idx;
      l->pid = sqlite3_column_int (stmt, 2);
      l->tid = sqlite3_column_int (stmt, 3);
      name = (const char *)sqlite3_column_text (stmt, 4);
      snprintf (l->name, sizeof l->name, "%s", name ? name : "");
      idx = _plab_store_name_index (_plab_store_lane_end_names,
                                    N_ELEMENTS (_plab_store_lane_end_names),
                                    (const char *)sqlite3_column_text (stmt, 5));
      l->end = idx < 0 ? PLAB_LANE_RUNNING : (PlabLaneEnd)idx;
      l->exit_code = sqlite3_column_int (stmt, 6);
      l->exit_signal = sqlite3_column_int (stmt, 7);
      l->dropped = (uint64_t)sqlite3_column_int64 (stmt, 8);
    }
  if (rc != SQLITE_DONE)
    {
      rc = _plab_store_fail_sqlite (self, rc);
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
  rc = _plab_store_query_int (self->db, sql, &max_span);
  if (rc != SQLITE_OK)
    return _plab_store_fail_sqlite (self, rc);
  if (max_span < 0)
    return _plab_store_fail_with (self, PLAB_ENOTFOUND, "no such run");
  lowest_start = from_ns < INT64_MIN + max_span ? INT64_MIN : from_ns - max_span;

  batch = malloc (PLAB_STORE_SPAN_BATCH * sizeof *batch);
  if (batch == NULL)
    return PLAB_ENOMEM;
  if ((rc = _plab_store_stmt_get (self, STMT_GET_SPANS, &stmt)) < 0)
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
      rc = _plab_store_fail_sqlite (self, rc);
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
  if ((rc = _plab_store_stmt_get (self, STMT_GET_COUNTERS, &stmt)) < 0)
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
      rc = _plab_store_fail_sqlite (self, rc);
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
  if ((rc = _plab_store_stmt_get (self, STMT_GET_MACHINE, &stmt)) < 0)
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
    rc = _plab_store_fail_with (self, PLAB_ENOTFOUND, "no such machine");
  else
    rc = _plab_store_fail_sqlite (self, rc);
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
