/* plab-application.h: the lab as a GtkApplication. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PLAB_APPLICATION_ID "org.parallellab.Plab"

#define PLAB_TYPE_APPLICATION (plab_application_get_type ())
G_DECLARE_FINAL_TYPE (PlabApplication, plab_application, PLAB, APPLICATION, AdwApplication)

/* An application on the run store @db_path (NULL: the default store) that
 * launches @runner_path (NULL: this executable) to run demos. */
PlabApplication *plab_application_new (const char *db_path, const char *runner_path);

/* The store the windows show. */
const char *plab_application_get_db_path (PlabApplication *self);

/* The plab executable runs are launched with. */
const char *plab_application_get_runner_path (PlabApplication *self);

/* Runs the lab window on @db_path until it is closed; the exit status. For
 * `plab` and `plab --db FILE`. */
int plab_application_main (const char *db_path);

G_END_DECLS
