/* plab-exercise.h: the frame of an exercise program, the part of a student's
 * program that the lab writes.
 *
 * An exercise program (data/exercises/NAME/solution.c) keeps its main () to
 * one line and does its work in a function of its own:
 *
 *   static int
 *   solve (PlabExercise *ex)
 *   {
 *     PlabPoolOptions options = { .backend = PLAB_BACKEND_PROCESSES,
 *                                 .workers = plab_exercise_workers (ex),
 *                                 .trace = plab_exercise_trace (ex) };
 *     ...
 *     plab_exercise_answer (ex, "sum", sum);
 *     return 0;
 *   }
 *
 *   int
 *   main (int argc, char **argv)
 *   {
 *     return plab_exercise_main ("pool-map", argc, argv, solve);
 *   }
 *
 * plab_exercise_main () records solve () as a run of the run store, like a
 * demo's (demo "exercise:NAME"), so that its lanes and spans show in the lab
 * window, and prints what `plab exercise check` reads on standard output,
 * lines that begin with "@plab ":
 *
 *   @plab run 42              as soon as the run is in the store
 *   @plab answer sum 1234     one line per plab_exercise_answer ()
 *   @plab wall_ns 81234567    the time solve () took
 *
 * The check sets the environment: PLAB_EXERCISE_SEED (the input's seed,
 * default 1), PLAB_EXERCISE_WORKERS (default: the usable CPUs, at least 2),
 * PLAB_EXERCISE_ROLE ("student" or "reference"), and PLAB_EXERCISE_DB (the
 * run store; default plab_store_default_path ()).
 */
#pragma once

#include <stdint.h>

#include "plab-pool.h"
#include "plab-process.h"
#include "plab-trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PlabExercise PlabExercise;

/* The student's work. Returns 0, or non-zero when it gave up (the run is
 * then recorded as failed). */
typedef int (*PlabExerciseFunc) (PlabExercise *ex);

/* Runs @func under the recorder as exercise @name. Returns the exit status
 * for main (): 0 when @func returned 0 and the run was recorded, 1 otherwise. */
int plab_exercise_main (const char *name, int argc, char **argv, PlabExerciseFunc func);

/* The seed of the input; the answer must depend on it. */
uint64_t plab_exercise_seed (const PlabExercise *ex);

/* How many workers to use. */
int plab_exercise_workers (const PlabExercise *ex);

/* The trace to give to pools and processes (PlabPoolOptions.trace,
 * plab_process_set_trace ()), so that their workers show as lanes. */
PlabTrace *plab_exercise_trace (const PlabExercise *ex);

/* Reports a result, named @key, for the check to compare with the
 * reference's. At most 16 answers. */
void plab_exercise_answer (PlabExercise *ex, const char *key, double value);

/* The parts most exercises share, so that a student's file holds the idea
 * of the exercise and little else. */

/* Starts @n worker processes named @name, traced on the exercise's trace,
 * each running @func on its own argument: @args + i * @arg_size (every one on
 * @args when @arg_size is 0). The workers meet at a start line (untraced, at
 * most a second) before @func, so that they really run at the same time even
 * on a busy machine. Fills @procs (at most 64); returns 0 or the first error
 * of plab_process_start (), printed on stderr. */
int plab_exercise_start_workers (PlabExercise *ex,
                                 const char *name,
                                 PlabProcessFunc func,
                                 void *args,
                                 size_t arg_size,
                                 int n,
                                 PlabProcess **procs);

/* Joins and frees the @n processes of @procs (NULL entries are skipped).
 * Returns 0 when every one exited with 0, 1 otherwise. */
int plab_exercise_join_workers (PlabProcess **procs, int n);

/* Maps @map over a pool of @workers on @backend, traced on the exercise's
 * trace (chunk spans when the map asks for them). Returns 0, or the error of
 * plab_pool_new () or plab_pool_map (), printed on stderr. */
int plab_exercise_map (PlabExercise *ex, PlabBackend backend, int workers, const PlabMap *map);

/* @value + @step, slowly: a few microseconds of spinning and a yield of the
 * CPU between reading @value and returning the sum. Used as
 * `*counter = plab_exercise_slow_add (*counter, step)`, it holds open the
 * window between the read and the write in which another worker's update
 * gets lost, so that an unprotected counter loses updates every time. */
int64_t plab_exercise_slow_add (int64_t value, int64_t step);

/* A deterministic pseudo-random number for item @index of input @seed
 * (splitmix64): the same in the student's program and the reference. */
uint64_t plab_exercise_random (uint64_t seed, uint64_t index);

#ifdef __cplusplus
}
#endif
