/* plab-param-editor.c: controls for a demo's parameters, built from its descriptor.
 *
 * A number is checked as it is typed, by the demos' own parser (the one the
 * runner uses): a value out of range or not a number marks its field with
 * the CSS class "error", says under the row what is wrong, and makes the
 * editor invalid until it is fixed. The typed text is never replaced by the
 * nearest value that would do: GtkSpinButton clamps what it reads, so the
 * editor reads the text itself ("input") and leaves a wrong text where the
 * student typed it ("output").
 */
#include "plab-param-editor.h"

#include <math.h>
#include <string.h>

/* Real parameters get about this many steps across their range. */
#define DOUBLE_STEPS 100.0
#define MAX_DIGITS 4

/* One parameter's control and what it says about the text in it. */
typedef struct
{
  PlabParamEditor *editor; /* borrowed: the editor owns its fields; NULL for a field of its own */
  const PlabParamSpec *spec;
  GtkWidget *control; /* owned in an editor: a removed row's control may outlive it (focus);
                         borrowed in a field of its own, which the control owns */
  GtkWidget *message; /* the label under the row saying what is wrong; NULL unless a number */
  /* The text is not a value of the spec. The control keeps it as typed, and
   * its adjustment the last good value, @held, until the text is fixed or
   * the value changes (a click on + or -, a reset). */
  gboolean invalid;
  double held;
} Field;

struct _PlabParamEditor
{
  GtkWidget parent_instance;

  /* Owned */
  GtkWidget *list;   /* GtkListBox, our only child */
  GPtrArray *fields; /* one Field per parameter, in descriptor order */

  /* Borrowed */
  const PlabDemo *demo;

  gboolean valid;
};

G_DEFINE_FINAL_TYPE (PlabParamEditor, plab_param_editor, GTK_TYPE_WIDGET)

enum
{
  CHANGED,
  N_SIGNALS
};

enum
{
  PROP_0,
  PROP_VALID,
  N_PROPS
};

static guint signals[N_SIGNALS];
static GParamSpec *properties[N_PROPS];

static GtkWidget *
field_control (PlabParamEditor *self, guint index)
{
  return ((Field *)g_ptr_array_index (self->fields, index))->control;
}

char *
plab_param_editor_title_for (const char *name)
{
  char *title = g_strdup (name);

  for (char *p = title; *p; p++)
    if (*p == '_' || *p == '-')
      *p = ' ';
  if (title[0] != '\0')
    title[0] = g_ascii_toupper (title[0]);
  return title;
}

static void
changed_cb (PlabParamEditor *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

/* A bound of @spec as the window writes it: "2000", "0.001". */
static void
format_bound (const PlabParamSpec *spec, double value, char *buf, size_t size)
{
  if (spec->type == PLAB_PARAM_INT)
    g_snprintf (buf, size, "%.0f", value);
  else
    g_ascii_formatd (buf, (int)size, "%g", value);
}

char *
plab_param_editor_range_for (const PlabParamSpec *spec)
{
  char lo[G_ASCII_DTOSTR_BUF_SIZE], hi[G_ASCII_DTOSTR_BUF_SIZE];

  if (spec->type != PLAB_PARAM_INT && spec->type != PLAB_PARAM_DOUBLE)
    return g_strdup (spec->unit ? spec->unit : "");
  format_bound (spec, spec->min, lo, sizeof lo);
  format_bound (spec, spec->max, hi, sizeof hi);
  return g_strdup_printf ("%s\u2013%s%s%s", lo, hi, spec->unit ? " " : "",
                          spec->unit ? spec->unit : "");
}

/* Reads @text as a value of @spec with the runner's own parser. Returns
 * NULL with the value in *@value, or what is wrong, for the student
 * ("99999 is above the largest value, 2000 tasks"). */
static char *
check_text (const PlabParamSpec *spec, const char *text, double *value)
{
  g_autofree char *typed = g_strstrip (g_strdup (text));
  const char *sep = spec->unit ? " " : "", *unit = spec->unit ? spec->unit : "";
  char lo[G_ASCII_DTOSTR_BUF_SIZE], hi[G_ASCII_DTOSTR_BUF_SIZE], err[256];
  char *end = NULL;
  double v;
  int rc;

  rc = plab_param_parse (spec, typed, value, err, sizeof err);
  if (rc == 0)
    return NULL;
  format_bound (spec, spec->min, lo, sizeof lo);
  format_bound (spec, spec->max, hi, sizeof hi);
  if (typed[0] == '\0')
    return g_strdup_printf ("Type a number from %s to %s%s%s", lo, hi, sep, unit);
  if (rc == PLAB_ERANGE)
    {
      v = g_ascii_strtod (typed, NULL);
      if (v < spec->min)
        return g_strdup_printf ("%s is below the smallest value, %s%s%s", typed, lo, sep, unit);
      return g_strdup_printf ("%s is above the largest value, %s%s%s", typed, hi, sep, unit);
    }
  v = g_ascii_strtod (typed, &end);
  if (spec->type == PLAB_PARAM_INT && end != typed && *end == '\0' && isfinite (v))
    return g_strdup_printf ("%s is not a whole number: type one from %s to %s%s%s", typed, lo, hi,
                            sep, unit);
  return g_strdup_printf ("\u201c%s\u201d is not a number: type one from %s to %s%s%s", typed, lo,
                          hi, sep, unit);
}

static void
update_valid (PlabParamEditor *self)
{
  gboolean valid = TRUE;

  for (guint i = 0; i < self->fields->len; i++)
    valid = valid && !((Field *)g_ptr_array_index (self->fields, i))->invalid;
  if (valid == self->valid)
    return;
  self->valid = valid;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALID]);
}

/* Marks @field wrong with @problem, or right when it is NULL. */
static void
set_problem (Field *field, const char *problem)
{
  GtkAdjustment *adj = gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (field->control));

  if (problem != NULL && !field->invalid)
    field->held = gtk_adjustment_get_value (adj);
  field->invalid = problem != NULL;
  if (problem != NULL)
    {
      gtk_widget_add_css_class (field->control, "error");
      gtk_label_set_text (GTK_LABEL (field->message), problem);
    }
  else
    gtk_widget_remove_css_class (field->control, "error");
  gtk_widget_set_visible (field->message, problem != NULL);
  if (field->editor != NULL)
    update_valid (field->editor);
}

static void
text_changed_cb (GtkEditable *editable, Field *field)
{
  g_autofree char *problem = NULL;
  double value;

  problem = check_text (field->spec, gtk_editable_get_text (editable), &value);
  set_problem (field, problem);
  /* The command line under Run follows what is typed, wrong or not. A field
   * of its own has only the spin button's "changed", emitted after this. */
  if (field->editor != NULL)
    g_signal_emit (field->editor, signals[CHANGED], 0);
}

/* GtkSpinButton::input: the value of the text, never a clamped one. A wrong
 * text leaves the value as it was. */
static int
input_cb (GtkSpinButton *spin, double *new_value, Field *field)
{
  g_autofree char *problem = NULL;

  problem = check_text (field->spec, gtk_editable_get_text (GTK_EDITABLE (spin)), new_value);
  if (problem != NULL)
    *new_value = gtk_adjustment_get_value (gtk_spin_button_get_adjustment (spin));
  return TRUE;
}

/* GtkSpinButton::output: the value as C writes it (what the runner reads),
 * except that a wrong text stays until the value changes. */
static gboolean
output_cb (GtkSpinButton *spin, Field *field)
{
  double value = gtk_adjustment_get_value (gtk_spin_button_get_adjustment (spin));
  char format[16], text[G_ASCII_DTOSTR_BUF_SIZE];

  if (field->invalid && value == field->held)
    return TRUE;
  g_snprintf (format, sizeof format, "%%.%uf", gtk_spin_button_get_digits (spin));
  g_ascii_formatd (text, sizeof text, format, value);
  if (strcmp (text, gtk_editable_get_text (GTK_EDITABLE (spin))) != 0)
    gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

/* A number's spin button checks what is typed in it (see the top). */
static void
watch_number (Field *field)
{
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (field->control), FALSE);
  g_signal_connect (field->control, "input", G_CALLBACK (input_cb), field);
  g_signal_connect (field->control, "output", G_CALLBACK (output_cb), field);
  g_signal_connect (field->control, "changed", G_CALLBACK (text_changed_cb), field);
  output_cb (GTK_SPIN_BUTTON (field->control), field);
}

/* A number field as wide as the largest value it takes (at least four
 * characters, at most eight), so that a narrow pane keeps room for the
 * title beside it. */
static int
field_chars (const PlabParamSpec *spec, int digits)
{
  char text[64];
  int n = g_snprintf (text, sizeof text, "%.*f", digits, MAX (fabs (spec->max), fabs (spec->min)));

  return CLAMP (n + (spec->min < 0), 4, 8);
}

static GtkWidget *
make_control (PlabParamEditor *self, const PlabParamSpec *spec)
{
  GtkWidget *control = NULL;

  switch (spec->type)
    {
    case PLAB_PARAM_INT:
      {
        double range = spec->max - spec->min;
        control = gtk_spin_button_new_with_range (spec->min, spec->max, 1);
        gtk_spin_button_set_increments (GTK_SPIN_BUTTON (control), 1,
                                        range >= 1000 ? range / 100 : 10);
        gtk_spin_button_set_value (GTK_SPIN_BUTTON (control), spec->def);
        gtk_editable_set_width_chars (GTK_EDITABLE (control), field_chars (spec, 0));
        g_signal_connect_swapped (control, "value-changed", G_CALLBACK (changed_cb), self);
        break;
      }
    case PLAB_PARAM_DOUBLE:
      {
        double range = spec->max - spec->min;
        double step = range > 0 ? pow (10, floor (log10 (range / DOUBLE_STEPS))) : 0.1;
        int digits = step < 1 ? (int)MIN (MAX_DIGITS, ceil (-log10 (step))) : 0;

        /* Show the default exactly even when it is finer than the step. */
        while (digits < MAX_DIGITS
               && fabs (spec->def * pow (10, digits) - round (spec->def * pow (10, digits))) > 1e-9)
          digits++;
        control = gtk_spin_button_new_with_range (spec->min, spec->max, step);
        gtk_spin_button_set_digits (GTK_SPIN_BUTTON (control), (guint)digits);
        gtk_spin_button_set_value (GTK_SPIN_BUTTON (control), spec->def);
        gtk_editable_set_width_chars (GTK_EDITABLE (control), field_chars (spec, digits));
        g_signal_connect_swapped (control, "value-changed", G_CALLBACK (changed_cb), self);
        break;
      }
    case PLAB_PARAM_BOOL:
      control = gtk_switch_new ();
      gtk_switch_set_active (GTK_SWITCH (control), spec->def != 0);
      g_signal_connect_swapped (control, "notify::active", G_CALLBACK (changed_cb), self);
      break;
    case PLAB_PARAM_CHOICE:
      control = gtk_drop_down_new_from_strings ((const char *const *)spec->choices);
      gtk_drop_down_set_selected (GTK_DROP_DOWN (control), (guint)spec->def);
      g_signal_connect_swapped (control, "notify::selected", G_CALLBACK (changed_cb), self);
      break;
    default:
      g_return_val_if_reached (NULL);
    }
  gtk_widget_set_valign (control, GTK_ALIGN_CENTER);
  gtk_widget_set_name (control, spec->name);
  return control;
}

/* The title over the range with its unit ("1–8 tasks") over the
 * help, the control beside them, and under them the message of a wrong
 * value (hidden while there is none). */
static GtkWidget *
make_row (Field *field)
{
  const PlabParamSpec *spec = field->spec;
  g_autofree char *title = plab_param_editor_title_for (spec->name);
  g_autofree char *range = plab_param_editor_range_for (spec);
  char described[128];
  g_autofree char *tooltip = NULL;
  GtkWidget *row, *outer, *box, *text, *heading, *label, *help;

  plab_param_describe (spec, described, sizeof described);
  tooltip = g_strdup_printf ("%s: %s", spec->name, described);

  outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_add_css_class (outer, "param-row");
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_widget_set_valign (text, GTK_ALIGN_CENTER);
  heading = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  /* Title and range wrap where the pane is narrow (presentation mode's
   * large type), so that the control keeps its place beside them. */
  label = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "title");
  gtk_box_append (GTK_BOX (heading), label);
  if (range[0] != '\0')
    {
      GtkWidget *range_label = gtk_label_new (range);
      gtk_label_set_xalign (GTK_LABEL (range_label), 0);
      gtk_label_set_wrap (GTK_LABEL (range_label), TRUE);
      gtk_widget_add_css_class (range_label, "dim-label");
      gtk_widget_add_css_class (range_label, "param-range");
      gtk_widget_set_name (range_label, "range");
      gtk_box_append (GTK_BOX (heading), range_label);
    }
  help = gtk_label_new (spec->help);
  gtk_label_set_xalign (GTK_LABEL (help), 0);
  gtk_label_set_wrap (GTK_LABEL (help), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (help), 40);
  gtk_widget_add_css_class (help, "dim-label");
  gtk_widget_add_css_class (help, "caption");
  gtk_box_append (GTK_BOX (text), heading);
  gtk_box_append (GTK_BOX (text), help);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), field->control);
  gtk_widget_set_tooltip_text (box, tooltip);
  gtk_box_append (GTK_BOX (outer), box);
  if (field->message != NULL)
    gtk_box_append (GTK_BOX (outer), field->message);

  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), outer);
  return row;
}

static Field *
field_new (PlabParamEditor *self, const PlabParamSpec *spec)
{
  Field *field = g_new0 (Field, 1);

  field->editor = self;
  field->spec = spec;
  field->control = g_object_ref (make_control (self, spec));
  if (spec->type == PLAB_PARAM_INT || spec->type == PLAB_PARAM_DOUBLE)
    {
      field->message = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (field->message), 0);
      gtk_label_set_wrap (GTK_LABEL (field->message), TRUE);
      gtk_widget_add_css_class (field->message, "error");
      gtk_widget_set_name (field->message, "problem");
      gtk_widget_set_visible (field->message, FALSE);
      watch_number (field);
    }
  return field;
}

/* A control that outlives its field (the focus may hold it) must not call
 * it any more. */
static void
field_free (gpointer data)
{
  Field *field = data;

  g_signal_handlers_disconnect_by_data (field->control, field);
  g_object_unref (field->control);
  g_free (field);
}

void
plab_param_editor_set_demo (PlabParamEditor *self, const PlabDemo *demo)
{
  GtkWidget *child;

  g_return_if_fail (PLAB_IS_PARAM_EDITOR (self));

  self->demo = demo;
  while ((child = gtk_widget_get_first_child (self->list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (self->list), child);
  g_ptr_array_set_size (self->fields, 0);
  for (size_t i = 0; demo != NULL && i < demo->n_params; i++)
    {
      Field *field = field_new (self, &demo->params[i]);
      g_ptr_array_add (self->fields, field);
      gtk_list_box_append (GTK_LIST_BOX (self->list), make_row (field));
    }
  gtk_widget_set_visible (self->list, demo != NULL && demo->n_params > 0);
  update_valid (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

gboolean
plab_param_editor_is_valid (PlabParamEditor *self)
{
  g_return_val_if_fail (PLAB_IS_PARAM_EDITOR (self), FALSE);
  return self->valid;
}

char *
plab_param_editor_dup_problem (PlabParamEditor *self, const char *name)
{
  g_return_val_if_fail (PLAB_IS_PARAM_EDITOR (self), NULL);

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);
      if (field->invalid && (name == NULL || g_strcmp0 (field->spec->name, name) == 0))
        return g_strdup (gtk_label_get_text (GTK_LABEL (field->message)));
    }
  return NULL;
}

const PlabDemo *
plab_param_editor_get_demo (PlabParamEditor *self)
{
  g_return_val_if_fail (PLAB_IS_PARAM_EDITOR (self), NULL);
  return self->demo;
}

double
plab_param_editor_get_value (PlabParamEditor *self, guint index)
{
  const PlabParamSpec *spec;
  GtkWidget *control;

  g_return_val_if_fail (PLAB_IS_PARAM_EDITOR (self), 0);
  g_return_val_if_fail (self->demo != NULL && index < self->fields->len, 0);

  spec = &self->demo->params[index];
  control = field_control (self, index);
  switch (spec->type)
    {
    case PLAB_PARAM_INT:
      /* Commit text typed but not yet activated. */
      gtk_spin_button_update (GTK_SPIN_BUTTON (control));
      return (double)gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (control));
    case PLAB_PARAM_DOUBLE:
      gtk_spin_button_update (GTK_SPIN_BUTTON (control));
      return gtk_spin_button_get_value (GTK_SPIN_BUTTON (control));
    case PLAB_PARAM_BOOL:
      return gtk_switch_get_active (GTK_SWITCH (control)) ? 1 : 0;
    case PLAB_PARAM_CHOICE:
      return (double)gtk_drop_down_get_selected (GTK_DROP_DOWN (control));
    default:
      g_return_val_if_reached (0);
    }
}

void
plab_param_editor_set_value (PlabParamEditor *self, guint index, double value)
{
  const PlabParamSpec *spec;
  GtkWidget *control;

  g_return_if_fail (PLAB_IS_PARAM_EDITOR (self));
  g_return_if_fail (self->demo != NULL && index < self->fields->len);

  spec = &self->demo->params[index];
  control = field_control (self, index);
  switch (spec->type)
    {
    case PLAB_PARAM_INT:
    case PLAB_PARAM_DOUBLE:
      /* A value set replaces whatever wrong text was typed. */
      set_problem (g_ptr_array_index (self->fields, index), NULL);
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (control), value);
      break;
    case PLAB_PARAM_BOOL:
      gtk_switch_set_active (GTK_SWITCH (control), value != 0);
      break;
    case PLAB_PARAM_CHOICE:
      gtk_drop_down_set_selected (GTK_DROP_DOWN (control), (guint)value);
      break;
    default:
      g_return_if_reached ();
    }
}

GtkWidget *
plab_param_editor_get_control (PlabParamEditor *self, const char *name)
{
  g_return_val_if_fail (PLAB_IS_PARAM_EDITOR (self), NULL);

  for (guint i = 0; self->demo != NULL && i < self->fields->len; i++)
    if (g_strcmp0 (self->demo->params[i].name, name) == 0)
      return field_control (self, i);
  return NULL;
}

/* The value @field shows: a number as typed (read without committing it,
 * which would reformat the text under the student's cursor). */
static double
field_value (Field *field)
{
  g_autofree char *problem = NULL;
  double value;

  if (field->message == NULL)
    return plab_param_editor_get_value (field->editor,
                                        (guint)(field->spec - field->editor->demo->params));
  problem = check_text (field->spec, gtk_editable_get_text (GTK_EDITABLE (field->control)), &value);
  if (problem != NULL)
    value = gtk_spin_button_get_value (GTK_SPIN_BUTTON (field->control));
  return value;
}

char **
plab_param_editor_dup_assignments (PlabParamEditor *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (PLAB_IS_PARAM_EDITOR (self), NULL);

  for (guint i = 0; self->demo != NULL && i < self->fields->len; i++)
    {
      const PlabParamSpec *spec = &self->demo->params[i];
      Field *field = g_ptr_array_index (self->fields, i);
      char value[64];
      g_autofree char *assignment = NULL;

      /* A wrong text goes as typed, never as a value near it: the runner
       * refuses it and says why. GTK set the user's locale, where the
       * decimal point may be a comma; the runner reads C numbers. */
      if (field->invalid)
        g_strlcpy (value, gtk_editable_get_text (GTK_EDITABLE (field->control)), sizeof value);
      else if (spec->type == PLAB_PARAM_DOUBLE)
        g_ascii_formatd (value, sizeof value, "%.10g", field_value (field));
      else
        plab_param_format (spec, field_value (field), value, sizeof value);
      assignment = g_strdup_printf ("%s=%s", spec->name, value);
      g_strv_builder_add (builder, assignment);
    }
  return g_strv_builder_end (builder);
}

/* --- A field of its own --- */

#define OWN_FIELD_KEY "plab-param-field"

void
plab_param_editor_watch_field (GtkSpinButton *spin, const PlabParamSpec *spec, GtkWidget *message)
{
  Field *field;

  g_return_if_fail (GTK_IS_SPIN_BUTTON (spin));
  g_return_if_fail (spec != NULL
                    && (spec->type == PLAB_PARAM_INT || spec->type == PLAB_PARAM_DOUBLE));
  g_return_if_fail (GTK_IS_LABEL (message));

  field = g_new0 (Field, 1);
  field->spec = spec;
  field->control = GTK_WIDGET (spin);
  field->message = message;
  gtk_widget_add_css_class (message, "error");
  gtk_widget_set_visible (message, FALSE);
  gtk_spin_button_set_range (spin, spec->min, spec->max);
  g_object_set_data_full (G_OBJECT (spin), OWN_FIELD_KEY, field, g_free);
  watch_number (field);
}

static Field *
own_field (GtkSpinButton *spin)
{
  Field *field = g_object_get_data (G_OBJECT (spin), OWN_FIELD_KEY);

  g_return_val_if_fail (field != NULL, NULL);
  return field;
}

const char *
plab_param_editor_field_problem (GtkSpinButton *spin)
{
  Field *field = own_field (spin);

  if (field == NULL || !field->invalid)
    return NULL;
  return gtk_label_get_text (GTK_LABEL (field->message));
}

double
plab_param_editor_field_get_value (GtkSpinButton *spin)
{
  Field *field = own_field (spin);
  g_autofree char *problem = NULL;
  double value;

  if (field == NULL)
    return gtk_spin_button_get_value (spin);
  /* Read without committing it, which would reformat the text under the
   * cursor. */
  problem = check_text (field->spec, gtk_editable_get_text (GTK_EDITABLE (spin)), &value);
  if (problem != NULL)
    value = gtk_spin_button_get_value (spin);
  return value;
}

void
plab_param_editor_field_set_value (GtkSpinButton *spin, double value)
{
  Field *field = own_field (spin);

  /* A value set replaces whatever wrong text was typed. */
  if (field != NULL)
    set_problem (field, NULL);
  gtk_spin_button_set_value (spin, value);
  /* The same value as the one held keeps the adjustment still: the text
   * must still be the value's. */
  if (field != NULL)
    output_cb (spin, field);
}

void
plab_param_editor_reset (PlabParamEditor *self)
{
  g_return_if_fail (PLAB_IS_PARAM_EDITOR (self));

  for (guint i = 0; self->demo != NULL && i < self->fields->len; i++)
    plab_param_editor_set_value (self, i, self->demo->params[i].def);
}

static void
plab_param_editor_dispose (GObject *object)
{
  PlabParamEditor *self = PLAB_PARAM_EDITOR (object);

  g_clear_pointer (&self->list, gtk_widget_unparent);
  g_clear_pointer (&self->fields, g_ptr_array_unref);
  G_OBJECT_CLASS (plab_param_editor_parent_class)->dispose (object);
}

static void
plab_param_editor_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PlabParamEditor *self = PLAB_PARAM_EDITOR (object);

  switch (prop_id)
    {
    case PROP_VALID:
      g_value_set_boolean (value, self->valid);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plab_param_editor_class_init (PlabParamEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = plab_param_editor_dispose;
  object_class->get_property = plab_param_editor_get_property;

  /* Whether every value typed is one the demo takes; Run waits for it. */
  properties[PROP_VALID]
      = g_param_spec_boolean ("valid", NULL, NULL, TRUE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Emitted when any value changed, or the demo did. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "plabparameditor");
}

static void
plab_param_editor_init (PlabParamEditor *self)
{
  self->fields = g_ptr_array_new_with_free_func (field_free);
  self->valid = TRUE;
  self->list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (self->list, "boxed-list");
  gtk_widget_set_parent (self->list, GTK_WIDGET (self));
}

GtkWidget *
plab_param_editor_new (void)
{
  return g_object_new (PLAB_TYPE_PARAM_EDITOR, NULL);
}
