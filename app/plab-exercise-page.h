/* plab-exercise-page.h: the window's Exercises page: an exercise's statement,
 * the student's folder (start, open, Check), the check's verdict and next
 * hint, the attempts, and the student's and the reference's timelines on one
 * time scale.
 *
 * Check runs `plab exercise check NAME DIR --json` as a child process, as the
 * window runs demos: the window never forks.
 */
#pragma once

#include <gtk/gtk.h>

#include "plab-timeline-view.h"

G_BEGIN_DECLS

#define PLAB_TYPE_EXERCISE_PAGE (plab_exercise_page_get_type ())
G_DECLARE_FINAL_TYPE (PlabExercisePage, plab_exercise_page, PLAB, EXERCISE_PAGE, GtkBox)

/* @runner: the plab program; @db_path: the run store the window shows. */
GtkWidget *plab_exercise_page_new (const char *runner, const char *db_path);

/* Selects exercise @name; FALSE when there is none. */
gboolean plab_exercise_page_select (PlabExercisePage *self, const char *name);

/* The student's folder for the selected exercise. */
void plab_exercise_page_set_folder (PlabExercisePage *self, const char *folder);
const char *plab_exercise_page_get_folder (PlabExercisePage *self);

/* Starts a check (as the Check button does); FALSE when one is going, or
 * when the folder has no file to check yet (the page then says to press
 * Start). */
gboolean plab_exercise_page_check (PlabExercisePage *self);
gboolean plab_exercise_page_get_checking (PlabExercisePage *self);

/* The last verdict ("passed", "wrong", ...; NULL before any), its message. */
const char *plab_exercise_page_get_verdict (PlabExercisePage *self);
const char *plab_exercise_page_get_message (PlabExercisePage *self);

/* The student's and the reference's timelines. */
PlabTimelineView *plab_exercise_page_get_timeline (PlabExercisePage *self, gboolean reference);

G_END_DECLS
