/* plab-window.h: the lab's one window. */
#pragma once

#include <adwaita.h>

#include "plab-application.h"

G_BEGIN_DECLS

#define PLAB_TYPE_WINDOW (plab_window_get_type ())
G_DECLARE_FINAL_TYPE (PlabWindow, plab_window, PLAB, WINDOW, AdwApplicationWindow)

PlabWindow *plab_window_new (PlabApplication *application);

/* Selects the demo named @name in the sidebar; FALSE when there is none. */
gboolean plab_window_select_demo (PlabWindow *self, const char *name);

/* The run shown (the newest of a comparison), or 0. */
gint64 plab_window_get_shown_run (PlabWindow *self);

/* TRUE while a recorded run is being loaded (in a worker thread) for the views. */
gboolean plab_window_is_loading (PlabWindow *self);

/* TRUE while the runner process is running. */
gboolean plab_window_is_running (PlabWindow *self);

G_END_DECLS
