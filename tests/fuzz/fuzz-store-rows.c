/* fuzz-store-rows.c: the run store's loader on valid files with hostile rows.
 *
 * Random bytes rarely make valid SQLite pages, so this target starts from a
 * real store (three runs, lanes, spans, counters, a sweep, results with
 * figures) and lets the input drive changes made with plain SQLite: values
 * of any type in any column (NULL, extreme and negative integers, NaN, huge
 * and invalid UTF-8 text, blobs, broken and deeply nested JSON), rows added,
 * copied with one column changed (a span on a lane that does not exist, a
 * run with a negative span count) or deleted, constraints dropped, tables
 * and indexes dropped or renamed, triggers that refuse or undo writes,
 * schema version marks, WAL mode, other page sizes, a damaged schema table,
 * and finally a few raw bytes overwritten. The file then goes through the
 * same checks as fuzz-store-file (see fuzz-store-common.h).
 */
#include "fuzz-store-common.h"
#include "plab-fuzz.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>

#define MAX_OPS 24
#define MAX_POKES 8
#define MAX_TABLES 16
#define MAX_COLUMNS 32
#define MAX_INDEXES 16
#define NAME_MAX_LEN 64

typedef struct
{
  char name[NAME_MAX_LEN];
  char columns[MAX_COLUMNS][NAME_MAX_LEN];
  int n_columns;
} Table;

static Table tables[MAX_TABLES];
static int n_tables;
static char indexes[MAX_INDEXES][NAME_MAX_LEN];
static int n_indexes;
static uint8_t *template_bytes;
static size_t template_len;

typedef struct
{
  const uint8_t *p;
  size_t n;
} Input;

static uint8_t
take8 (Input *in)
{
  if (in->n == 0)
    return 0;
  in->n--;
  return *in->p++;
}

static uint64_t
take64 (Input *in)
{
  uint64_t v = 0;

  for (int i = 0; i < 8; i++)
    v = v << 8 | take8 (in);
  return v;
}

static size_t
take_bytes (Input *in, size_t want, const uint8_t **out)
{
  size_t n = want < in->n ? want : in->n;

  *out = in->p;
  in->p += n;
  in->n -= n;
  return n;
}

/* --- The template's schema --- */

static void
read_schema (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  PLAB_FUZZ_CHECK (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
  PLAB_FUZZ_CHECK (sqlite3_prepare_v2 (db,
                                       "SELECT type, name FROM sqlite_schema WHERE name NOT LIKE "
                                       "'sqlite_%' AND type IN ('table', 'index') ORDER BY name",
                                       -1, &stmt, NULL)
                   == SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *type = (const char *)sqlite3_column_text (stmt, 0);
      const char *name = (const char *)sqlite3_column_text (stmt, 1);

      if (strcmp (type, "table") == 0 && n_tables < MAX_TABLES)
        snprintf (tables[n_tables++].name, NAME_MAX_LEN, "%s", name);
      else if (strcmp (type, "index") == 0 && n_indexes < MAX_INDEXES)
        snprintf (indexes[n_indexes++], NAME_MAX_LEN, "%s", name);
    }
  sqlite3_finalize (stmt);

  for (int t = 0; t < n_tables; t++)
    {
      PLAB_FUZZ_CHECK (
          sqlite3_prepare_v2 (db, "SELECT name FROM pragma_table_info (?1)", -1, &stmt, NULL)
          == SQLITE_OK);
      sqlite3_bind_text (stmt, 1, tables[t].name, -1, SQLITE_STATIC);
      while (sqlite3_step (stmt) == SQLITE_ROW && tables[t].n_columns < MAX_COLUMNS)
        snprintf (tables[t].columns[tables[t].n_columns++], NAME_MAX_LEN, "%s",
                  (const char *)sqlite3_column_text (stmt, 0));
      sqlite3_finalize (stmt);
    }
  sqlite3_close (db);
  PLAB_FUZZ_CHECK (n_tables > 0 && n_indexes > 0);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  const char *path;

  plab_fuzz_store_setup ();
  path = plab_fuzz_work_path ("template.db");
  plab_fuzz_make_store (path, PLAB_FUZZ_STORE_RUNS);
  template_bytes = plab_fuzz_read_file (path, &template_len);
  PLAB_FUZZ_CHECK (template_bytes != NULL);
  read_schema (path);
  return 0;
}

/* --- Values --- */

static const int64_t interesting_ints[] = {
  0,
  1,
  -1,
  2,
  7,
  63,
  64,
  255,
  65535,
  65536,
  -65536,
  INT16_MAX,
  INT32_MAX,
  INT32_MIN,
  (int64_t)INT32_MAX + 1,
  UINT32_MAX,
  INT64_MAX,
  INT64_MIN,
  INT64_MAX / 2,
  INT64_MIN / 2,
  1000000000000000000,
  -1000000000000000000,
};

static const char *const words[] = {
  "running", "ok",       "failed", "cancelled",    "main",      "process", "thread",
  "exited",  "killed",   "",       "squares",      "processes", "threads", "serial",
  "gil",     "last",     "12",     "-5",           "1e3",       "0x10",    " 7",
  "NaN",     "\xff\xfe", "\xc3",   "\xed\xa0\x80", "a\"b\\c\n",
};

static const char *const json_pieces[] = {
  "{",
  "}",
  "[",
  "]",
  "\"",
  ":",
  ",",
  "\"figure\"",
  "\"series\"",
  "\"x\"",
  "\"y\"",
  "\"values\"",
  "\"categories\"",
  "\"kind\"",
  "\"bars\"",
  "\"lines\"",
  "\"notes\"",
  "\"name\"",
  "1e999",
  "-1e999",
  "-0",
  "0.5",
  "123456789012345678901234567890",
  "null",
  "true",
  "false",
  "\"\\ud800\"",
  "\"\\udc00x\"",
  "\"\\u0000\"",
  "\"\xff\"",
  "\\",
  " ",
  "\n",
  "[[[[[[[[[[",
  "{\"a\":{\"a\":{\"a\":",
  "\"title\"",
  "\"style\"",
  "\"points\"",
  "\"dashed\"",
  "NaN",
};

/* Binds a value chosen by the input to parameter @i. */
static void
bind_value (sqlite3_stmt *stmt, int i, Input *in)
{
  uint8_t tag = take8 (in);
  const uint8_t *bytes;
  size_t n;

  switch (tag % 12)
    {
    case 0:
      sqlite3_bind_null (stmt, i);
      break;
    case 1:
      sqlite3_bind_int64 (stmt, i, (int8_t)take8 (in));
      break;
    case 2:
      sqlite3_bind_int64 (stmt, i,
                          interesting_ints[take8 (in)
                                           % (sizeof interesting_ints
                                              / sizeof interesting_ints[0])]);
      break;
    case 3:
      sqlite3_bind_int64 (stmt, i, (int64_t)take64 (in));
      break;
    case 4:
      {
        static const double reals[]
            = { NAN, INFINITY, -INFINITY, -0.0, 1e308, 5e-324, 0.5, 9.3e18, -9.3e18, 1.5 };
        uint8_t k = take8 (in);
        double d;
        uint64_t raw;

        if (k < 128)
          d = reals[k % (sizeof reals / sizeof reals[0])];
        else
          {
            raw = take64 (in);
            memcpy (&d, &raw, sizeof d);
          }
        sqlite3_bind_double (stmt, i, d);
      }
      break;
    case 5:
      n = take_bytes (in, take8 (in), &bytes);
      sqlite3_bind_text (stmt, i, (const char *)bytes, (int)n, SQLITE_TRANSIENT);
      break;
    case 6:
      n = take_bytes (in, take8 (in), &bytes);
      sqlite3_bind_blob (stmt, i, bytes, (int)n, SQLITE_TRANSIENT);
      break;
    case 7:
      {
        /* Long text: up to 64 KiB of one character. */
        size_t len = ((size_t)take8 (in) << 8) | take8 (in);
        char *text = malloc (len + 1);

        PLAB_FUZZ_CHECK (text != NULL);
        memset (text, 'a' + take8 (in) % 26, len);
        text[len] = '\0';
        sqlite3_bind_text (stmt, i, text, (int)len, free);
      }
      break;
    case 8:
      {
        /* JSON-like text: pieces that parsers trip on. */
        char text[4096];
        size_t len = 0;
        int pieces = take8 (in) % 48;

        for (int k = 0; k < pieces; k++)
          {
            const char *piece
                = json_pieces[take8 (in) % (sizeof json_pieces / sizeof json_pieces[0])];
            size_t plen = strlen (piece);
            if (len + plen >= sizeof text)
              break;
            memcpy (text + len, piece, plen);
            len += plen;
          }
        sqlite3_bind_text (stmt, i, text, (int)len, SQLITE_TRANSIENT);
      }
      break;
    case 9:
      sqlite3_bind_text (stmt, i, words[take8 (in) % (sizeof words / sizeof words[0])], -1,
                         SQLITE_STATIC);
      break;
    case 10:
      sqlite3_bind_zeroblob (stmt, i, take8 (in) * 256);
      break;
    default:
      {
        /* Deep nesting, far past any parser's limit. */
        size_t depth = 100 + (size_t)take8 (in) * 40;
        char *text = malloc (depth + 1);

        PLAB_FUZZ_CHECK (text != NULL);
        memset (text, take8 (in) % 2 ? '[' : '{', depth);
        text[depth] = '\0';
        sqlite3_bind_text (stmt, i, text, (int)depth, free);
      }
      break;
    }
}

/* --- Changes --- */

typedef struct
{
  size_t offset;
  uint8_t bytes[16];
  size_t n;
} Poke;

static void
run_statement (sqlite3 *db, const char *sql, Input *in, int n_values, int64_t offset)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return;
  for (int i = 1; i <= n_values; i++)
    bind_value (stmt, i, in);
  if (offset >= 0)
    sqlite3_bind_int64 (stmt, n_values + 1, offset);
  /* A change the schema refuses (NOT NULL, a unique key) is simply not made. */
  sqlite3_step (stmt);
  sqlite3_finalize (stmt);
}

/* Schema changes; @T is the table, @C a column of it, @I an index. */
static const char *const ddl[] = {
  "DROP TABLE \"@T\"",
  "DROP INDEX \"@I\"",
  /* The same rows without any constraint, key or declared type. */
  "CREATE TABLE fuzz_copy AS SELECT * FROM \"@T\"; DROP TABLE \"@T\"; "
  "ALTER TABLE fuzz_copy RENAME TO \"@T\"",
  "ALTER TABLE \"@T\" DROP COLUMN \"@C\"",
  "ALTER TABLE \"@T\" RENAME COLUMN \"@C\" TO fuzz_column",
  "ALTER TABLE \"@T\" ADD COLUMN fuzz_extra TEXT DEFAULT 'x'",
  "CREATE INDEX fuzz_index ON \"@T\" (\"@C\" DESC)",
  "CREATE VIEW fuzz_view AS SELECT * FROM \"@T\"",
  "CREATE TRIGGER fuzz_refuse BEFORE INSERT ON \"@T\" BEGIN SELECT RAISE (ABORT, 'no'); END",
  "CREATE TRIGGER fuzz_refuse_update BEFORE UPDATE ON \"@T\" BEGIN SELECT RAISE (FAIL, 'no'); "
  "END",
  "CREATE TRIGGER fuzz_undo AFTER UPDATE ON \"@T\" BEGIN DELETE FROM \"@T\"; END",
  "CREATE TRIGGER fuzz_more AFTER INSERT ON \"@T\" BEGIN INSERT INTO \"@T\" SELECT * FROM "
  "\"@T\" LIMIT 1; END",
  "DELETE FROM \"@T\"",
  "PRAGMA journal_mode = WAL",
  "PRAGMA journal_mode = DELETE; PRAGMA page_size = 1024; VACUUM",
  "PRAGMA journal_mode = DELETE; PRAGMA auto_vacuum = FULL; VACUUM",
  "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace (sql, 'INTEGER', 'TEXT') "
  "WHERE name = '@T'; PRAGMA writable_schema = OFF",
  "PRAGMA writable_schema = ON; DELETE FROM sqlite_schema WHERE name = '@I'; "
  "PRAGMA writable_schema = OFF",
  "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET rootpage = rootpage + 1 WHERE name = "
  "'@T'; PRAGMA writable_schema = OFF",
  "UPDATE \"@T\" SET \"@C\" = -\"@C\"",
  "UPDATE \"@T\" SET \"@C\" = \"@C\" || x'ff00c3'",
};

/* Copies @pattern into @out with @T, @C and @I replaced. */
static void
expand (char *out, size_t size, const char *pattern, const char *t, const char *c, const char *i)
{
  size_t len = 0;

  for (const char *p = pattern; *p != '\0' && len + 1 < size; p++)
    {
      const char *with = NULL;

      if (p[0] == '@' && (p[1] == 'T' || p[1] == 'C' || p[1] == 'I'))
        with = p[1] == 'T' ? t : p[1] == 'C' ? c : i;
      if (with == NULL)
        {
          out[len++] = *p;
          continue;
        }
      len += (size_t)snprintf (out + len, size - len, "%s", with);
      if (len >= size)
        len = size - 1;
      p++;
    }
  out[len] = '\0';
}

static void
apply_change (sqlite3 *db, Input *in, Poke *pokes, int *n_pokes)
{
  const Table *t = &tables[take8 (in) % n_tables];
  const char *column = t->columns[t->n_columns ? take8 (in) % t->n_columns : 0];
  const char *key = t->columns[t->n_columns ? take8 (in) % t->n_columns : 0];
  const char *index = indexes[take8 (in) % n_indexes];
  char sql[8192];
  size_t len;
  uint8_t op = take8 (in);

  if (t->n_columns == 0)
    return;
  switch (op % 8)
    {
    case 0:
      /* One value in rows picked by another column's value. */
      snprintf (sql, sizeof sql,
                "UPDATE \"%s\" SET \"%s\" = ?1 WHERE \"%s\" IS (SELECT \"%s\" FROM \"%s\" "
                "LIMIT 1 OFFSET ?2)",
                t->name, column, key, key, t->name);
      run_statement (db, sql, in, 1, take8 (in) % 8);
      break;
    case 1:
      snprintf (sql, sizeof sql, "UPDATE \"%s\" SET \"%s\" = ?1", t->name, column);
      run_statement (db, sql, in, 1, -1);
      break;
    case 2:
      /* A new row, every value chosen. */
      len = (size_t)snprintf (sql, sizeof sql, "INSERT INTO \"%s\" VALUES (", t->name);
      for (int c = 0; c < t->n_columns; c++)
        len += (size_t)snprintf (sql + len, sizeof sql - len, "%s?%d", c ? ", " : "", c + 1);
      snprintf (sql + len, sizeof sql - len, ")");
      run_statement (db, sql, in, t->n_columns, -1);
      break;
    case 3:
      /* A copy of a row with one column changed, replacing any row it clashes with. */
      len = (size_t)snprintf (sql, sizeof sql, "INSERT OR REPLACE INTO \"%s\" SELECT ", t->name);
      for (int c = 0; c < t->n_columns; c++)
        len += (size_t)snprintf (sql + len, sizeof sql - len, "%s%s%s%s", c ? ", " : "",
                                 t->columns[c] == column ? "?1" : "\"",
                                 t->columns[c] == column ? "" : t->columns[c],
                                 t->columns[c] == column ? "" : "\"");
      snprintf (sql + len, sizeof sql - len, " FROM \"%s\" LIMIT 1 OFFSET ?2", t->name);
      run_statement (db, sql, in, 1, take8 (in) % 8);
      break;
    case 4:
      snprintf (sql, sizeof sql,
                "DELETE FROM \"%s\" WHERE \"%s\" IS (SELECT \"%s\" FROM \"%s\" LIMIT 1 OFFSET ?1)",
                t->name, key, key, t->name);
      run_statement (db, sql, in, 0, take8 (in) % 8);
      break;
    case 5:
      expand (sql, sizeof sql, ddl[take8 (in) % (sizeof ddl / sizeof ddl[0])], t->name, column,
              index);
      sqlite3_exec (db, sql, NULL, NULL, NULL);
      break;
    case 6:
      snprintf (sql, sizeof sql, "PRAGMA %s = %lld",
                take8 (in) % 2 ? "user_version" : "application_id",
                (long long)(int32_t)(take8 (in) % 4 == 0 ? (uint32_t)take64 (in)
                                                         : (uint32_t)(take8 (in) % 4)));
      sqlite3_exec (db, sql, NULL, NULL, NULL);
      break;
    default:
      if (*n_pokes < MAX_POKES)
        {
          Poke *p = &pokes[(*n_pokes)++];
          const uint8_t *bytes;

          p->offset = (size_t)take64 (in);
          p->n = take_bytes (in, 1 + take8 (in) % sizeof p->bytes, &bytes);
          memcpy (p->bytes, bytes, p->n);
        }
      break;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *path = plab_fuzz_work_path ("rows.db");
  Input in = { data, size };
  Poke pokes[MAX_POKES];
  int n_pokes = 0;
  sqlite3 *db = NULL;
  uint8_t *bytes;
  size_t len = 0;

  plab_fuzz_write_file (path, template_bytes, template_len);
  PLAB_FUZZ_CHECK (sqlite3_open (path, &db) == SQLITE_OK);
  /* Values that CHECK constraints would refuse are exactly the ones wanted. */
  sqlite3_exec (db, "PRAGMA ignore_check_constraints = ON", NULL, NULL, NULL);
  for (int i = 0; i < MAX_OPS && in.n > 0; i++)
    apply_change (db, &in, pokes, &n_pokes);
  PLAB_FUZZ_CHECK (sqlite3_close (db) == SQLITE_OK);

  bytes = plab_fuzz_read_file (path, &len);
  PLAB_FUZZ_CHECK (bytes != NULL);
  for (int i = 0; i < n_pokes && len > 0; i++)
    for (size_t k = 0; k < pokes[i].n; k++)
      bytes[(pokes[i].offset + k) % len] = pokes[i].bytes[k];
  plab_fuzz_store_check (bytes, len);
  free (bytes);
  return 0;
}
