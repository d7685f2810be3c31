/* plab-param-editor.h: controls for a demo's parameters, built from its descriptor.
 *
 * One row per parameter: its name as a title with its range and unit beside
 * it ("Tasks  1–8 tasks"), its help line under it, and a control that fits
 * its type: a spin button for integers and reals, a switch for booleans, a
 * drop-down for choices. A number typed out of range or not a number at all
 * is kept as typed, marked (CSS class "error") and explained under its row,
 * and the editor is not valid until it is fixed; nothing is clamped. The
 * editor gives the values back as the `--set name=value` arguments the runner
 * takes, formatted by the demos' own plab_param_format ().
 */
#pragma once

#include <gtk/gtk.h>

#include "plab-demo.h"

G_BEGIN_DECLS

#define PLAB_TYPE_PARAM_EDITOR (plab_param_editor_get_type ())
G_DECLARE_FINAL_TYPE (PlabParamEditor, plab_param_editor, PLAB, PARAM_EDITOR, GtkWidget)

GtkWidget *plab_param_editor_new (void);

/* Rebuilds the controls for @demo (borrowed; demos are static), with its
 * defaults. NULL empties the editor. */
void plab_param_editor_set_demo (PlabParamEditor *self, const PlabDemo *demo);
const PlabDemo *plab_param_editor_get_demo (PlabParamEditor *self);

/* The value of parameter @index, as the demo stores it (a choice's index,
 * 0 or 1 for a boolean). While its text is wrong, the last good value. */
double plab_param_editor_get_value (PlabParamEditor *self, guint index);
void plab_param_editor_set_value (PlabParamEditor *self, guint index, double value);

/* The control of parameter @name (a GtkSpinButton, GtkSwitch or GtkDropDown), or NULL. */
GtkWidget *plab_param_editor_get_control (PlabParamEditor *self, const char *name);

/* Whether every value is one the demo takes (the "valid" property). */
gboolean plab_param_editor_is_valid (PlabParamEditor *self);

/* What is wrong with parameter @name (NULL: the first wrong one), as its row
 * says it, or NULL when nothing is. */
char *plab_param_editor_dup_problem (PlabParamEditor *self, const char *name);

/* Every parameter as "name=value", NULL-terminated, a wrong text as it was
 * typed; free with g_strfreev (). */
char **plab_param_editor_dup_assignments (PlabParamEditor *self);

/* Makes @spin, a number field outside an editor (the window's Workers),
 * check what is typed in it against @spec as an editor's fields do: its
 * range becomes the spec's, a wrong text is kept as typed, marked and
 * explained in @message (a GtkLabel under the field, shown only then), and
 * the spin button's value stays the last good one. @spec is borrowed and
 * must outlive @spin. */
void plab_param_editor_watch_field (GtkSpinButton *spin,
                                    const PlabParamSpec *spec,
                                    GtkWidget *message);

/* What is wrong with the text of @spin, a field watched so, as its message
 * says it, or NULL when nothing is. */
const char *plab_param_editor_field_problem (GtkSpinButton *spin);

/* The value typed in a watched field, before Enter or Tab commits it; while
 * the text is wrong, the last good value. */
double plab_param_editor_field_get_value (GtkSpinButton *spin);

/* Sets a watched field's value, replacing a wrong text typed in it. */
void plab_param_editor_field_set_value (GtkSpinButton *spin, double value);

/* Back to the demo's defaults. */
void plab_param_editor_reset (PlabParamEditor *self);

/* "1–2000 tasks": the range of a number with its unit; a choice's unit or
 * "". */
char *plab_param_editor_range_for (const PlabParamSpec *spec);

/* "chunk_size" -> "Chunk size". */
char *plab_param_editor_title_for (const char *name);

G_END_DECLS
