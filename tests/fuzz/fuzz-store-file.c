/* fuzz-store-file.c: the run store's loader on a file of arbitrary bytes.
 *
 * The input is the whole database file. Seeds are real stores (see
 * fuzz-seeds.c), so mutations reach SQLite's pages and plab's rows as well
 * as the header that plab judges before SQLite sees the file. See
 * fuzz-store-common.h for what is checked.
 */
#include "fuzz-store-common.h"
#include "plab-fuzz.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  plab_fuzz_store_setup ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  plab_fuzz_store_check (data, size);
  return 0;
}
