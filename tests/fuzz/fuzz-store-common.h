/* fuzz-store-common.h: the run store's loader under hostile files.
 *
 * Both store targets end in plab_fuzz_store_check (): the bytes become a
 * file, which is opened read-only and read the way the command line and the
 * charts read it (every run, its lanes, spans, counters, machine, sweep,
 * result and parameters, the charts' data and the CLI's exports), and then
 * opened for writing on a copy and written to. The store must refuse or
 * read, never crash; a read-only open must leave the file byte for byte as
 * it was, with no -wal, -shm or -journal file left beside it; a refused
 * open for writing likewise.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Makes a private folder for the work files, under $TMPDIR, removed at exit. */
void plab_fuzz_store_setup (void);

/* Runs every check on a store file holding @bytes. */
void plab_fuzz_store_check (const uint8_t *bytes, size_t len);

typedef enum
{
  PLAB_FUZZ_STORE_RUNS = 0,  /* three runs (one in a sweep, one left running), rollback journal */
  PLAB_FUZZ_STORE_WAL,       /* the same, left in WAL mode */
  PLAB_FUZZ_STORE_EMPTY,     /* the schema, no runs */
  PLAB_FUZZ_STORE_NEWER,     /* runs, marked with a newer schema version */
  PLAB_FUZZ_STORE_FOREIGN,   /* another program's SQLite database */
  PLAB_FUZZ_STORE_UNMARKED,  /* an SQLite database with no tables and no marks */
  PLAB_FUZZ_STORE_TRUNCATED, /* runs, with the last page cut off */
  PLAB_FUZZ_STORE_N_VARIANTS
} PlabFuzzStoreVariant;

/* Writes a store of @variant to @path through the core API (and plain
 * SQLite for the files that are not stores), with 512-byte pages so seeds
 * stay small. Returns 0 or aborts: a seed that cannot be made is a bug. */
int plab_fuzz_make_store (const char *path, PlabFuzzStoreVariant variant);

/* The name of a variant, for seed file names. */
const char *plab_fuzz_store_variant_name (PlabFuzzStoreVariant variant);

/* Reads a whole file into a malloc'ed buffer; NULL when it cannot. */
uint8_t *plab_fuzz_read_file (const char *path, size_t *len_out);

/* Replaces @path with @len bytes. */
void plab_fuzz_write_file (const char *path, const uint8_t *bytes, size_t len);

/* A path inside the private folder, valid until exit. */
const char *plab_fuzz_work_path (const char *name);
