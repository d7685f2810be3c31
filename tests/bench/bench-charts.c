/* bench-charts.c: the timeline frame benchmark as a program of its own.
 *
 *   bench-charts [--json] [--frames N]
 */
#include <stdlib.h>
#include <string.h>

#include "plab-bench-charts.h"

int
main (int argc, char **argv)
{
  int frames = 0;
  int json = 0;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = 1;
      else if (strcmp (argv[i], "--frames") == 0 && i + 1 < argc)
        frames = atoi (argv[++i]);
      else
        {
          fprintf (stderr, "usage: %s [--json] [--frames N]\n", argv[0]);
          return 2;
        }
    }
  return plab_bench_charts_run (stdout, json, frames);
}
