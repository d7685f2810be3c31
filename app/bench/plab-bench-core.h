/* plab-bench-core.h: the core benchmark, callable from any program.
 *
 * Measures what libplab costs next to the raw POSIX code a student would write
 * by hand, on the machine at hand, in one run: process start, pool map, queue,
 * pipe, lock, span recording and draining into SQLite, a tiny-task map with
 * tracing on against off, and futures against a raw pool. Each figure is measured
 * for plab and, where there is one, for the raw equivalent, in the same run,
 * with the repeats of the two interleaved so that a noisy machine hurts both
 * alike.
 *
 * A benchmark, not a test: it prints figures and whether each meets its
 * target, and asserts nothing.
 *
 * Plain C on core/ only: the `plab` executable links the static library
 * `plab-bench` (tests/bench/meson.build, dependency `plab_bench_dep`) and
 * calls plab_bench_core_run () for `plab bench core [--json]`.
 *
 * It forks: call it from a single-threaded process (the runner, never the GUI).
 */
#pragma once

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Runs every workload and writes the results to @out: a table with the
 * machine line when @json is 0, one JSON object (and a newline) otherwise.
 * The JSON object has the keys "machine" (host, cpu, usable_cpus,
 * online_cpus, os, compiler, version) and "figures", a list of objects with
 * "id", "name", "unit", "higher_is_better", "plab", "raw" (null when there is
 * no raw equivalent), "ratio" (plab's cost over raw's; null without raw),
 * "target", "met" (true, false, or null when the target compares with Python
 * and only tests/bench/python_compare.py can judge it) and "note".
 *
 * Returns 0 when every workload ran (met or not), or the first negative
 * PLAB_E* code of a workload that failed; the other workloads still run and
 * the failed one is printed with its error.
 *
 * The environment variable PLAB_BENCH_ONLY (a comma list of figure ids, such
 * as "pipe_round_trip,lock_counter") runs only those workloads. */
int plab_bench_core_run (FILE *out, int json);

#ifdef __cplusplus
}
#endif
