/* bench-core.c: the core benchmark as a program of its own.
 *
 *   build/tests/bench/bench-core [--json]
 *
 * The workloads live in plab-bench-core.c, shared with `plab bench core`.
 */
#include <stdio.h>
#include <string.h>

#include "plab-bench-core.h"
#include "plab-error.h"

int
main (int argc, char **argv)
{
  int json = 0;
  int rc;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = 1;
      else
        {
          fprintf (stderr, "usage: %s [--json]\n", argv[0]);
          return 2;
        }
    }
  rc = plab_bench_core_run (stdout, json);
  if (rc != 0)
    fprintf (stderr, "bench-core: a workload failed: %s\n", plab_strerror (rc));
  return rc == 0 ? 0 : 1;
}
