/* plab-store-schema.c: the store's schema. A new store gets the whole
 * current schema (data/plab-schema.sql) at once; an older one is brought up
 * to date one step at a time (data/plab-migrate-N.sql), each step setting
 * PRAGMA user_version, all inside the transaction of the open that finds it
 * old. Every open also checks that the schema it finds is whole: every plab
 * table with every column, and every trigger.
 */
#include "plab.h"
#include "plab-migrate-2.h"
#include "plab-migrate-3.h"
#include "plab-migrate-4.h"
#include "plab-migrate-5.h"
#include "plab-migrate-6.h"
#include "plab-migrate-7.h"
#include "plab-schema.h"
#include "plab-store-private.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* One step of the schema's history: running @sql on a store at version
 * @version - 1 brings it to @version. A new store gets the whole current
 * schema (plab_schema_sql) at once instead. */
typedef struct
{
  int version;
  const char *sql;
} Migration;

static const Migration migrations[] = {
  { 2, plab_migrate_2_sql }, { 3, plab_migrate_3_sql }, { 4, plab_migrate_4_sql },
  { 5, plab_migrate_5_sql }, { 6, plab_migrate_6_sql }, { 7, plab_migrate_7_sql },
};

/* Brings the schema from @from up to PLAB_STORE_SCHEMA_VERSION, setting
 * user_version with each step. Runs inside the transaction of the open, so a
 * crash or an error leaves the store at the version it had. */
int
_plab_store_migrate (PlabStore *self, int64_t from)
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
      return rc == SQLITE_OK ? 0 : _plab_store_fail_sqlite (self, rc);
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
        return _plab_store_fail_sqlite (self, rc);
      from = migrations[i].version;
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
      _plab_store_set_open_error (self->path, "cannot check the schema: %s", sqlite3_errmsg (ref));
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
          rc = _plab_store_fail_open_sqlite (self->path, self->db, step);
          goto out;
        }
      /* A probe fails to compile when a table or column is gone; a
       * trigger's probe finds no row. */
      if (step != SQLITE_ROW && step != SQLITE_DONE)
        {
          _plab_store_set_open_error (self->path,
                                      "the file is damaged: plab's %s %s is missing or lacks "
                                      "columns "
                                      "(SQLite: %s)",
                                      what, name, sqlite3_errmsg (self->db));
          rc = PLAB_ESTORE_CORRUPT;
          goto out;
        }
      if (step == SQLITE_DONE && strcmp (what, "trigger") == 0)
        {
          _plab_store_set_open_error (self->path,
                                      "the file is damaged: plab's trigger %s is missing", name);
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
int
_plab_store_check_schema (PlabStore *self)
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
      _plab_store_set_open_error (self->path, "cannot check the schema: %s", sqlite3_errstr (rc));
      sqlite3_close (ref);
      return PLAB_ENOMEM;
    }
  rc = probe_schema (self, ref, tables_sql, "table");
  if (rc == 0)
    rc = probe_schema (self, ref, triggers_sql, "trigger");
  sqlite3_close (ref);
  return rc;
}
