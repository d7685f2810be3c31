/* fuzz-seeds.c: writes the seed stores of the store fuzzers into a folder.
 *
 *   fuzz-seeds DIR
 *
 * Each is a small store made through the core API (or a file the store must
 * refuse), made afresh at test time so that seeds follow the schema.
 */
#include <stdio.h>

#include "fuzz-store-common.h"

int
main (int argc, char **argv)
{
  if (argc != 2)
    {
      fprintf (stderr, "usage: fuzz-seeds DIR\n");
      return 2;
    }
  for (int v = 0; v < PLAB_FUZZ_STORE_N_VARIANTS; v++)
    {
      char path[4096];

      snprintf (path, sizeof path, "%s/%s.db", argv[1], plab_fuzz_store_variant_name (v));
      if (plab_fuzz_make_store (path, v) != 0)
        return 1;
    }
  return 0;
}
