/* plab-exercise.h: exercises (data/exercises/NAME/): finding them, starting
 * one in a student's folder, and checking the student's program against the
 * reference. The command line (plab exercise ...) is a thin client of this
 * file; the window runs `plab exercise check --json` as a child process, so
 * that it never forks itself.
 *
 * An exercise is a folder with exercise.json (the check's rules, messages
 * and hints), statement.md and solution.c, the reference solution with the
 * student's places marked, from which the skeleton is written;
 * docs/exercises.md documents the format.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "plab.h"

G_BEGIN_DECLS

typedef struct
{
  char *name;
  char *dir; /* the exercise's folder */
  char *title;
  char *type;
  char *summary;
  double order; /* where the lists put it: by order, then by name */
  double time_limit_s;
  double min_speed; /* the student's speed / the reference's, at least */
  int min_busy_workers;
  int min_task_spans;        /* 0: no limit */
  int max_task_spans;        /* 0: no limit */
  PlabSpanKind require_span; /* PLAB_N_SPAN_KINDS: none */
  PlabSpanKind forbid_span;
  PlabJson *json; /* the whole descriptor: answers, messages, hints */
} PlabExerciseInfo;

void plab_exercise_info_free (PlabExerciseInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlabExerciseInfo, plab_exercise_info_free)

/* The folders searched, first first: $PLAB_EXERCISES_PATH (a colon list),
 * $XDG_DATA_HOME/plab/exercises, the source tree's data/exercises, the
 * installed one. A teacher adds an exercise by dropping a folder in one. */
char **plab_exercise_search_path (void);

/* Every exercise found, in its order (an array of PlabExerciseInfo *;
 * never NULL). A folder that cannot be read as an exercise is left out, and
 * *@skipped (when not NULL) gets a line per such folder saying why, or NULL
 * when there was none: one broken folder hides no other exercise. */
GPtrArray *plab_exercise_list (char **skipped);

/* The exercise @name, or NULL with @error saying which exist. */
PlabExerciseInfo *plab_exercise_find (const char *name, GError **error);

/* The statement's text (malloc'ed), or NULL. */
char *plab_exercise_statement (const PlabExerciseInfo *info);

/* Hint @index (from 0), or NULL past the last. */
const char *plab_exercise_hint (const PlabExerciseInfo *info, int index);

/* The student's file in @dir: DIR/NAME.c (malloc'ed). */
char *plab_exercise_student_file (const PlabExerciseInfo *info, const char *dir);

typedef enum
{
  PLAB_EXERCISE_SKELETON,  /* what `start` gives the student */
  PLAB_EXERCISE_REFERENCE, /* what the check builds beside it */
} PlabExerciseSource;

/* The skeleton or the reference (malloc'ed), written from the exercise's
 * solution.c: each region from a line "SOLUTION BEGIN: TEXT" (a comment) to
 * "SOLUTION END" is the reference's code, which the skeleton replaces by the
 * comment TEXT and the lines after an optional "SOLUTION ELSE". NULL with
 * @error on a file that cannot be read or a region left open. */
char *plab_exercise_source (const PlabExerciseInfo *info, PlabExerciseSource which, GError **error);

/* Writes the skeleton to DIR/NAME.c and writes DIR/Makefile, creating @dir;
 * refuses to replace a NAME.c that is there. */
gboolean plab_exercise_start (const PlabExerciseInfo *info, const char *dir, GError **error);

typedef enum
{
  PLAB_EXERCISE_PASSED = 0,
  PLAB_EXERCISE_NOT_YET = 1,
  PLAB_EXERCISE_BAD_INPUT = 2,
} PlabExerciseStatus;

typedef struct
{
  PlabExerciseStatus status;
  char *verdict; /* passed, wrong, crashed, hung, failed, serial, recording, slow; NULL: none */
  char *message;
  char *hint;           /* the next hint after a failed attempt, or NULL */
  char *compiler;       /* the compiler's messages when the file did not compile */
  char *student_output; /* the end of the student's stderr */
  int64_t attempt_id;
  int64_t run_id;
  int64_t reference_run_id;
  int64_t wall_ns;
  int64_t reference_wall_ns;
  double speed;
  int busy_workers;
  int64_t task_spans;
  uint64_t seed;
  int workers;
} PlabExerciseVerdict;

void plab_exercise_verdict_clear (PlabExerciseVerdict *verdict);

typedef struct
{
  const char *db_path; /* the run store; NULL: the default */
  uint64_t seed;       /* 0: a random one */
  int workers;         /* 0: the usable CPUs, from 2 to 4 */
} PlabExerciseCheckOptions;

/* Builds DIR/NAME.c, runs it and the reference under the recorder, and
 * judges. Fills @verdict and returns its status; bad input (a missing file,
 * a compile error) records nothing. @error is set only for
 * PLAB_EXERCISE_BAD_INPUT and for failures of the lab itself (status
 * PLAB_EXERCISE_NOT_YET, verdict NULL). */
PlabExerciseStatus plab_exercise_check (const PlabExerciseInfo *info,
                                        const char *dir,
                                        const PlabExerciseCheckOptions *options,
                                        PlabExerciseVerdict *verdict,
                                        GError **error);

G_END_DECLS
