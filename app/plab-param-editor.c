/* plab-param-editor.c: controls for a demo's parameters, built from its descriptor. */
#include "plab-param-editor.h"

#include <math.h>

/* Real parameters get about this many steps across their range. */
#define DOUBLE_STEPS 100.0
#define MAX_DIGITS 4

struct _PlabParamEditor
{
  GtkWidget parent_instance;

  /* Owned */
  GtkWidget *list;     /* GtkListBox, our only child */
  GPtrArray *controls; /* one borrowed GtkWidget per parameter, in descriptor order */

  /* Borrowed */
  const PlabDemo *demo;
};

G_DEFINE_FINAL_TYPE (PlabParamEditor, plab_param_editor, GTK_TYPE_WIDGET)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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
        gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (control), TRUE);
        gtk_spin_button_set_value (GTK_SPIN_BUTTON (control), spec->def);
        gtk_editable_set_width_chars (GTK_EDITABLE (control), 8);
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
        gtk_editable_set_width_chars (GTK_EDITABLE (control), 8);
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

static GtkWidget *
make_row (const PlabParamSpec *spec, GtkWidget *control)
{
  g_autofree char *title = plab_param_editor_title_for (spec->name);
  char described[128];
  g_autofree char *tooltip = NULL;
  GtkWidget *row, *box, *text, *label, *help;

  plab_param_describe (spec, described, sizeof described);
  tooltip = g_strdup_printf ("%s: %s", spec->name, described);

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_add_css_class (box, "param-row");
  text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_widget_set_valign (text, GTK_ALIGN_CENTER);
  label = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "title");
  help = gtk_label_new (spec->help);
  gtk_label_set_xalign (GTK_LABEL (help), 0);
  gtk_label_set_wrap (GTK_LABEL (help), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (help), 40);
  gtk_widget_add_css_class (help, "dim-label");
  gtk_widget_add_css_class (help, "caption");
  gtk_box_append (GTK_BOX (text), label);
  gtk_box_append (GTK_BOX (text), help);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), control);
  gtk_widget_set_tooltip_text (box, tooltip);

  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  return row;
}

void
plab_param_editor_set_demo (PlabParamEditor *self, const PlabDemo *demo)
{
  GtkWidget *child;

  g_return_if_fail (PLAB_IS_PARAM_EDITOR (self));

  self->demo = demo;
  g_ptr_array_set_size (self->controls, 0);
  while ((child = gtk_widget_get_first_child (self->list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (self->list), child);
  for (size_t i = 0; demo != NULL && i < demo->n_params; i++)
    {
      GtkWidget *control = make_control (self, &demo->params[i]);
      g_ptr_array_add (self->controls, control);
      gtk_list_box_append (GTK_LIST_BOX (self->list), make_row (&demo->params[i], control));
    }
  gtk_widget_set_visible (self->list, demo != NULL && demo->n_params > 0);
  g_signal_emit (self, signals[CHANGED], 0);
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
  g_return_val_if_fail (self->demo != NULL && index < self->controls->len, 0);

  spec = &self->demo->params[index];
  control = g_ptr_array_index (self->controls, index);
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
  g_return_if_fail (self->demo != NULL && index < self->controls->len);

  spec = &self->demo->params[index];
  control = g_ptr_array_index (self->controls, index);
  switch (spec->type)
    {
    case PLAB_PARAM_INT:
    case PLAB_PARAM_DOUBLE:
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

  for (guint i = 0; self->demo != NULL && i < self->controls->len; i++)
    if (g_strcmp0 (self->demo->params[i].name, name) == 0)
      return g_ptr_array_index (self->controls, i);
  return NULL;
}

char **
plab_param_editor_dup_assignments (PlabParamEditor *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (PLAB_IS_PARAM_EDITOR (self), NULL);

  for (guint i = 0; self->demo != NULL && i < self->controls->len; i++)
    {
      const PlabParamSpec *spec = &self->demo->params[i];
      char value[64];
      g_autofree char *assignment = NULL;

      /* GTK set the user's locale, where the decimal point may be a comma;
       * the runner reads C numbers. */
      if (spec->type == PLAB_PARAM_DOUBLE)
        g_ascii_formatd (value, sizeof value, "%.10g", plab_param_editor_get_value (self, i));
      else
        plab_param_format (spec, plab_param_editor_get_value (self, i), value, sizeof value);
      assignment = g_strdup_printf ("%s=%s", spec->name, value);
      g_strv_builder_add (builder, assignment);
    }
  return g_strv_builder_end (builder);
}

void
plab_param_editor_reset (PlabParamEditor *self)
{
  g_return_if_fail (PLAB_IS_PARAM_EDITOR (self));

  for (guint i = 0; self->demo != NULL && i < self->controls->len; i++)
    plab_param_editor_set_value (self, i, self->demo->params[i].def);
}

static void
plab_param_editor_dispose (GObject *object)
{
  PlabParamEditor *self = PLAB_PARAM_EDITOR (object);

  g_clear_pointer (&self->list, gtk_widget_unparent);
  g_clear_pointer (&self->controls, g_ptr_array_unref);
  G_OBJECT_CLASS (plab_param_editor_parent_class)->dispose (object);
}

static void
plab_param_editor_class_init (PlabParamEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = plab_param_editor_dispose;

  /* Emitted when any value changed, or the demo did. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "plabparameditor");
}

static void
plab_param_editor_init (PlabParamEditor *self)
{
  self->controls = g_ptr_array_new ();
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
