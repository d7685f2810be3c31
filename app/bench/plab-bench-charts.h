/* plab-bench-charts.h: the timeline frame benchmark, for `plab bench charts`. */
#pragma once

#include <stdio.h>

/* Draws full-run timeline frames of 1e4, 1e5 and 1e6 spans at 1920 px and
 * prints the median frame times (one JSON object with @json). @frames 0: the
 * default count. Returns 0. */
int plab_bench_charts_run (FILE *out, int json, int frames);
