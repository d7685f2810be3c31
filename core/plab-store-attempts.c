/* plab-store-attempts.c: attempts at exercises in the run store (see the
 * attempts table in data/plab-schema.sql). Rare writes and small reads: the
 * statements are prepared per call. */
#include "plab.h"
#include "plab-store-private.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *
column_text (sqlite3_stmt *stmt, int col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  return strdup (text != NULL ? (const char *)text : "");
}

static void
bind_id (sqlite3_stmt *stmt, int col, int64_t id)
{
  if (id > 0)
    sqlite3_bind_int64 (stmt, col, id);
  else
    sqlite3_bind_null (stmt, col);
}

int
plab_store_add_attempt (PlabStore *self, PlabAttempt *attempt)
{
  static const char sql[]
      = "INSERT INTO attempts (exercise, folder, checked_at_us, passed, verdict, message, "
        "run_id, reference_run_id, wall_ns, reference_wall_ns, speed) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
  sqlite3_stmt *stmt = NULL;
  struct timespec now;
  int rc;

  if (self == NULL || attempt == NULL || attempt->exercise == NULL || attempt->verdict == NULL)
    return PLAB_EINVAL;
  if ((rc = _plab_store_require_writable (self)) < 0)
    return rc;
  if (attempt->checked_at_us == 0)
    {
      clock_gettime (CLOCK_REALTIME, &now);
      attempt->checked_at_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
    }
  rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    return _plab_store_fail_sqlite (self, rc);
  sqlite3_bind_text (stmt, 1, attempt->exercise, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, attempt->folder ? attempt->folder : "", -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, attempt->checked_at_us);
  sqlite3_bind_int (stmt, 4, attempt->passed ? 1 : 0);
  sqlite3_bind_text (stmt, 5, attempt->verdict, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, attempt->message ? attempt->message : "", -1, SQLITE_STATIC);
  bind_id (stmt, 7, attempt->run_id);
  bind_id (stmt, 8, attempt->reference_run_id);
  bind_id (stmt, 9, attempt->wall_ns);
  bind_id (stmt, 10, attempt->reference_wall_ns);
  if (attempt->speed > 0)
    sqlite3_bind_double (stmt, 11, attempt->speed);
  else
    sqlite3_bind_null (stmt, 11);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return _plab_store_fail_sqlite (self, rc);
  attempt->id = sqlite3_last_insert_rowid (self->db);
  return 0;
}

void
plab_attempts_free (PlabAttempt **attempts, size_t n)
{
  if (attempts == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      if (attempts[i] == NULL)
        continue;
      free (attempts[i]->exercise);
      free (attempts[i]->folder);
      free (attempts[i]->verdict);
      free (attempts[i]->message);
      free (attempts[i]);
    }
  free (attempts);
}

int
plab_store_list_attempts (PlabStore *self, const char *exercise, PlabAttempt ***out, size_t *n_out)
{
  static const char sql[]
      = "SELECT id, exercise, folder, checked_at_us, passed, verdict, message, "
        "IFNULL (run_id, 0), IFNULL (reference_run_id, 0), IFNULL (wall_ns, 0), "
        "IFNULL (reference_wall_ns, 0), IFNULL (speed, 0) FROM attempts "
        "WHERE ?1 IS NULL OR exercise = ?1 ORDER BY id";
  sqlite3_stmt *stmt = NULL;
  PlabAttempt **list = NULL;
  size_t n = 0, cap = 0;
  int rc;

  if (self == NULL || out == NULL || n_out == NULL)
    return PLAB_EINVAL;
  *out = NULL;
  *n_out = 0;
  rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    return _plab_store_fail_sqlite (self, rc);
  if (exercise != NULL)
    sqlite3_bind_text (stmt, 1, exercise, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PlabAttempt *a;

      if (n == cap)
        {
          PlabAttempt **grown = realloc (list, (cap = cap ? 2 * cap : 16) * sizeof *list);

          if (grown == NULL)
            goto oom;
          list = grown;
        }
      if ((a = calloc (1, sizeof *a)) == NULL)
        goto oom;
      list[n++] = a;
      a->id = sqlite3_column_int64 (stmt, 0);
      a->exercise = column_text (stmt, 1);
      a->folder = column_text (stmt, 2);
      a->checked_at_us = sqlite3_column_int64 (stmt, 3);
      a->passed = sqlite3_column_int (stmt, 4) != 0;
      a->verdict = column_text (stmt, 5);
      a->message = column_text (stmt, 6);
      a->run_id = sqlite3_column_int64 (stmt, 7);
      a->reference_run_id = sqlite3_column_int64 (stmt, 8);
      a->wall_ns = sqlite3_column_int64 (stmt, 9);
      a->reference_wall_ns = sqlite3_column_int64 (stmt, 10);
      a->speed = sqlite3_column_double (stmt, 11);
      if (a->exercise == NULL || a->folder == NULL || a->verdict == NULL || a->message == NULL)
        goto oom;
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      plab_attempts_free (list, n);
      return _plab_store_fail_sqlite (self, rc);
    }
  *out = list;
  *n_out = n;
  return 0;

oom:
  sqlite3_finalize (stmt);
  plab_attempts_free (list, n);
  return PLAB_ENOMEM;
}
