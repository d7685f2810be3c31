/* plab-window.c: the lab's one window: building it, the sidebar of demos and
 * the setup pane of the selected demo. */
#include "plab-window-private.h"

#include "plab-error.h"
#include "plab-resources.h"
#include "plab-export-dialog.h"

G_DEFINE_FINAL_TYPE (PlabWindow, plab_window, ADW_TYPE_APPLICATION_WINDOW)

/* The command under the setup keeps words of up to this many characters
 * whole: about the narrowest setup pane's width in presentation mode's type. */
#define COMMAND_WORD_MAX_CHARS 24
#define COMMAND_SPACES " \n"

#define RUN_TOOLTIP "Run once with these settings (Ctrl+R)"
#define HEADER_RUN_TOOLTIP "Run the demo (Ctrl+R)"
#define SWEEP_TOOLTIP                                                                              \
  "Run every checked backend on every worker count, repeated, and chart the speedup "              \
  "(Ctrl+Shift+R)"

enum
{
  PROP_0,
  PROP_PRESENTATION,
  PROP_SHOW_SIDEBAR,
  PROP_CHART_ONLY,
  PROP_SHOW_LESSON,
  PROP_SHOW_EXERCISES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The Workers field, checked as a demo's parameters are: a number out of
 * range is kept as typed and explained under it, never clamped. */
static const PlabParamSpec workers_spec
    = { "workers", PLAB_PARAM_INT, "how many run at once", 2, 1, 64, NULL, NULL };

static const struct
{
  const char *name;
  const char *help;
} backend_help[] = {
  { "serial", "One worker in the main process: the baseline every speedup is measured against" },
  { "threads", "Threads of one process, sharing its memory" },
  { "processes", "Separate processes (fork), each with its own memory" },
  { "gil", "Threads that must hold one interpreter lock to run, as in CPython" },
  { "mpi", "Open MPI ranks started by mpirun, on this machine or on a host file's machines; "
           "they share nothing and send what they need" },
};

void
_plab_window_show_error (PlabWindow *self, const char *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
}

void
_plab_window_toast (PlabWindow *self, const char *message)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

void
_plab_window_set_status (PlabWindow *self, const char *message)
{
  /* Two lines at most; what they cannot hold is in the tooltip. */
  gtk_label_set_text (self->status_label, message);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), message);
}

PlabStore *
_plab_window_get_store (PlabWindow *self)
{
  int rc;

  if (self->store != NULL)
    return self->store;
  /* The file appears with the first run; until then there is nothing to read. */
  if (!g_file_test (self->db_path, G_FILE_TEST_EXISTS))
    return NULL;
  rc = plab_store_open (self->db_path, PLAB_STORE_READ_ONLY, &self->store);
  if (rc != 0)
    {
      g_autofree char *message
          = g_strdup_printf ("Cannot open the run store %s: %s (%s)", self->db_path,
                             plab_strerror (rc), plab_store_open_error ());
      _plab_window_show_error (self, message);
      self->store = NULL;
    }
  return self->store;
}

int
_plab_window_chart_theme (PlabWindow *self)
{
  if (self->presentation)
    return PLAB_THEME_PROJECTOR;
  return adw_style_manager_get_dark (adw_style_manager_get_default ()) ? PLAB_THEME_DARK
                                                                       : PLAB_THEME_LIGHT;
}

const char *
_plab_window_selected_backend (PlabWindow *self)
{
  guint i = gtk_drop_down_get_selected (self->backend_dropdown);

  if (self->backend_names == NULL || i >= self->backend_names->len)
    return NULL;
  return g_ptr_array_index (self->backend_names, i);
}

char *
_plab_window_run_problem (PlabWindow *self, gboolean sweep)
{
  const char *what = sweep ? "Sweep" : "Run";
  const char *workers = plab_param_editor_field_problem (self->workers_spin);
  g_autofree char *why = NULL;

  if (self->runner != NULL && plab_runner_client_is_running (self->runner))
    return g_strdup ("A run is going: wait for it to end, or press Stop (Escape).");
  if (self->demo == NULL)
    return g_strdup_printf ("%s needs a demo: pick one in the list on the left.", what);
  /* A value typed wrong is explained where it was typed; nothing runs
   * until it is fixed. */
  for (size_t i = 0; i < self->demo->n_params; i++)
    {
      g_autofree char *problem
          = plab_param_editor_dup_problem (self->param_editor, self->demo->params[i].name);

      if (problem != NULL)
        {
          g_autofree char *title = plab_param_editor_title_for (self->demo->params[i].name);

          return g_strdup_printf ("%s waits until %s is fixed: %s.", what, title, problem);
        }
    }
  /* A demo with no worker axis leaves Workers out (greyed): its text does
   * not hold the run up. */
  if (workers != NULL && self->demo->no_worker_axis == NULL)
    return g_strdup_printf ("%s waits until Workers is fixed: %s.", what, workers);
  if (self->hosts_entry != NULL && !_plab_window_mpi_ready (self, sweep, &why))
    return g_strdup_printf ("%s waits: %s", what, why != NULL ? why : "mpi cannot run here");
  if (sweep && (why = _plab_window_sweep_problem (self)) != NULL)
    return g_strdup_printf ("Sweep waits: %s", why);
  return NULL;
}

/* The button's tooltip says what it does, or why it waits. */
static void
set_action_tooltip (GtkWidget *button, const char *problem, const char *usual)
{
  if (button != NULL)
    gtk_widget_set_tooltip_text (button, problem != NULL ? problem : usual);
}

void
_plab_window_update_actions (PlabWindow *self)
{
  gboolean running = self->runner != NULL && plab_runner_client_is_running (self->runner);
  gboolean have_run = self->shown != NULL && self->loading == NULL;
  g_autofree char *run_problem = _plab_window_run_problem (self, FALSE);
  g_autofree char *sweep_problem = _plab_window_run_problem (self, TRUE);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.run", run_problem == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sweep", sweep_problem == NULL);
  set_action_tooltip (self->run_button, run_problem, RUN_TOOLTIP);
  set_action_tooltip (GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (self),
                                                                 PLAB_TYPE_WINDOW,
                                                                 "header_run_button")),
                      run_problem, HEADER_RUN_TOOLTIP);
  set_action_tooltip (self->sweep_button, sweep_problem, SWEEP_TOOLTIP);
  /* Escape is Stop; in the chart-only view it first leaves the view. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.stop", running || self->chart_only);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export", have_run);
  /* The chart's "starting" note goes with the run. */
  if (!running && self->loading == NULL && self->idle_placeholder != NULL)
    plab_timeline_view_set_placeholder (self->timeline_view, self->idle_placeholder);
  _plab_window_update_welcome (self);
}

/* Shows @command in @label as a student would type it: lines break only at
 * the spaces between words, and never with a hyphen Pango would add where it
 * breaks a word (students copy the line by hand). A word longer than
 * COMMAND_WORD_MAX_CHARS (a host file's path) may still break inside, or it
 * would make the setup pane wider than the window. */
static void
set_command_text (GtkLabel *label, const char *command)
{
  PangoAttrList *attrs = pango_attr_list_new ();
  const char *p = command;

  pango_attr_list_insert (attrs, pango_attr_insert_hyphens_new (FALSE));
  while (*p != '\0')
    {
      const char *word = p + strspn (p, COMMAND_SPACES);

      p = word + strcspn (word, COMMAND_SPACES);
      if (p > word && g_utf8_strlen (word, p - word) <= COMMAND_WORD_MAX_CHARS)
        {
          PangoAttribute *whole = pango_attr_allow_breaks_new (FALSE);

          whole->start_index = (guint)(word - command);
          whole->end_index = (guint)(p - command);
          pango_attr_list_insert (attrs, whole);
        }
    }
  gtk_label_set_text (label, command);
  gtk_label_set_attributes (label, attrs);
  pango_attr_list_unref (attrs);
}

/* The same run (and sweep) from a terminal, so that what the window does is
 * no mystery. */
void
_plab_window_update_command_line (PlabWindow *self)
{
  g_auto (GStrv) args = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *text = NULL;

  if (self->demo == NULL || self->sweep_counts_entry == NULL)
    return;
  args = _plab_window_build_args (self, FALSE);
  joined = g_strjoinv (" ", args);
  text = g_strdup_printf ("$ plab run %s", joined);
  if (_plab_window_sweep_ready (self))
    {
      g_auto (GStrv) sweep = _plab_window_build_args (self, TRUE);
      g_autofree char *sweep_joined = g_strjoinv (" ", sweep);
      char *both = g_strdup_printf ("%s\nSweep: $ plab run %s", text, sweep_joined);

      g_free (text);
      text = both;
    }
  set_command_text (self->command_label, text);
}

static void
backend_changed_cb (PlabWindow *self)
{
  const char *backend = _plab_window_selected_backend (self);

  gtk_label_set_text (self->backend_help, "");
  for (gsize i = 0; backend != NULL && i < G_N_ELEMENTS (backend_help); i++)
    if (!g_strcmp0 (backend_help[i].name, backend))
      gtk_label_set_text (self->backend_help, backend_help[i].help);
  /* mpi stays in the list where this plab cannot run it, saying why. */
  if (!g_strcmp0 (backend, plab_backend_name (PLAB_BACKEND_MPI))
      && _plab_window_mpi_unavailable () != NULL)
    gtk_label_set_text (self->backend_help, _plab_window_mpi_unavailable ());
  _plab_window_mpi_update (self);
  _plab_window_update_command_line (self);
  _plab_window_update_actions (self);
}

static void
set_demo (PlabWindow *self, const PlabDemo *demo)
{
  g_autoptr (GtkStringList) model = gtk_string_list_new (NULL);
  const PlabDemo *old_demo = self->demo;
  guint selected = 0;

  if (self->demo == demo)
    return;
  self->demo = demo;
  gtk_label_set_text (self->demo_title, demo->title);
  gtk_label_set_text (self->demo_summary, demo->summary);
  _plab_window_show_lesson (self, demo);
  plab_param_editor_set_demo (self->param_editor, demo);

  g_ptr_array_set_size (self->backend_names, 0);
  for (int b = PLAB_BACKEND_SERIAL; b <= PLAB_BACKEND_MPI; b++)
    if (demo->backends & PLAB_BACKEND_BIT (b))
      {
        if ((PlabBackend)b == demo->default_backend)
          selected = self->backend_names->len;
        g_ptr_array_add (self->backend_names, (gpointer)plab_backend_name ((PlabBackend)b));
        gtk_string_list_append (model, plab_backend_name ((PlabBackend)b));
      }
  gtk_drop_down_set_model (self->backend_dropdown, G_LIST_MODEL (model));
  gtk_drop_down_set_selected (self->backend_dropdown, selected);
  backend_changed_cb (self);
  _plab_window_sweep_set_demo (self);
  _plab_window_selection_demo_changed (self, old_demo);
  _plab_window_update_actions (self);
}

static GtkWidget *
make_demo_row (const PlabDemo *demo)
{
  GtkWidget *row, *box, *title;

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  gtk_widget_add_css_class (box, "demo-row");
  title = gtk_label_new (demo->title);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_widget_add_css_class (title, "heading");
  /* The titles alone, so that all the demos fit a 720-pixel screen; the
   * summary is the tooltip, and heads the setup pane once chosen. */
  gtk_widget_set_tooltip_text (box, demo->summary);
  gtk_box_append (GTK_BOX (box), title);

  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data (G_OBJECT (row), "plab-demo", (gpointer)demo);
  return row;
}

static void
demo_selected_cb (GtkListBox *list, GtkListBoxRow *row, PlabWindow *self)
{
  if (row == NULL)
    return;
  set_demo (self, g_object_get_data (G_OBJECT (row), "plab-demo"));
  _plab_window_demo_picked (self);
}

gboolean
plab_window_select_demo (PlabWindow *self, const char *name)
{
  g_return_val_if_fail (PLAB_IS_WINDOW (self), FALSE);

  for (int i = 0;; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->demo_list, i);
      const PlabDemo *demo;

      if (row == NULL)
        return FALSE;
      demo = g_object_get_data (G_OBJECT (row), "plab-demo");
      if (!g_strcmp0 (demo->name, name))
        {
          gtk_list_box_select_row (self->demo_list, row);
          return TRUE;
        }
    }
}

gint64
plab_window_get_shown_run (PlabWindow *self)
{
  g_return_val_if_fail (PLAB_IS_WINDOW (self), 0);
  return self->shown ? self->shown->chart->run->id : 0;
}

gboolean
plab_window_is_loading (PlabWindow *self)
{
  g_return_val_if_fail (PLAB_IS_WINDOW (self), FALSE);
  return _plab_window_is_loading (self);
}

gboolean
plab_window_is_running (PlabWindow *self)
{
  g_return_val_if_fail (PLAB_IS_WINDOW (self), FALSE);
  return self->runner != NULL && plab_runner_client_is_running (self->runner);
}

static void
set_show_sidebar (PlabWindow *self, gboolean show)
{
  if (self->show_sidebar == show)
    return;
  self->show_sidebar = show;
  gtk_widget_set_visible (self->sidebar, show && !self->chart_only);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_SIDEBAR]);
}

void
_plab_widget_set_css_class (GtkWidget *widget, const char *name, gboolean on)
{
  if (on)
    gtk_widget_add_css_class (widget, name);
  else
    gtk_widget_remove_css_class (widget, name);
}

/* The setup pane's width in presentation mode: at 1280 px the chart keeps
 * more than 70% of the window. */
#define PRESENTATION_SETUP_WIDTH 340

static void
set_presentation (PlabWindow *self, gboolean presentation)
{
  GObject *exercises_button = gtk_widget_get_template_child (GTK_WIDGET (self), PLAB_TYPE_WINDOW,
                                                             "header_exercises_button");

  if (self->presentation == presentation)
    return;
  self->presentation = presentation;
  /* On a projector the charts need the width: the sidebar steps aside
   * (F9 brings it back), the setup pane narrows, and both return when the
   * presentation ends. The Exercises button steps aside too (Ctrl+Shift+X
   * still opens them), so that the header bar's larger type fits 1280 px. */
  _plab_widget_set_css_class (GTK_WIDGET (self), "presentation", presentation);
  gtk_widget_set_visible (GTK_WIDGET (exercises_button), !presentation);
  if (presentation)
    {
      self->sidebar_before_presentation = self->show_sidebar;
      self->setup_width_before_presentation = gtk_paned_get_position (self->inner_paned);
      set_show_sidebar (self, FALSE);
      gtk_paned_set_position (self->inner_paned, PRESENTATION_SETUP_WIDTH);
    }
  else
    {
      set_show_sidebar (self, self->sidebar_before_presentation);
      gtk_paned_set_position (self->inner_paned, self->setup_width_before_presentation);
    }
  _plab_window_apply_theme (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRESENTATION]);
}

/* Only the chart, its legend and the run's title (drawn in the chart) fill
 * the window; everything else hides until Escape or F11. */
static void
set_chart_only (PlabWindow *self, gboolean chart_only)
{
  if (self->chart_only == chart_only)
    return;
  self->chart_only = chart_only;
  gtk_widget_set_visible (self->header_bar, !chart_only);
  gtk_widget_set_visible (self->setup_pane, !chart_only);
  gtk_widget_set_visible (self->status_bar, !chart_only);
  gtk_widget_set_visible (self->sidebar, !chart_only && self->show_sidebar);
  _plab_widget_set_css_class (GTK_WIDGET (self), "chart-only", chart_only);
  _plab_window_update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHART_ONLY]);
}

/* The Exercises page takes the place of the demos, the controls and the charts. */
static void
set_show_exercises (PlabWindow *self, gboolean show)
{
  if (self->show_exercises == show)
    return;
  self->show_exercises = show;
  if (self->exercise_page != NULL)
    gtk_widget_set_visible (self->exercise_page, show);
  gtk_widget_set_visible (GTK_WIDGET (self->toast_overlay), !show);
  /* The demos' Run, Stop, lesson, chart tabs and chart modes have nothing to
   * act on there. */
  for (const char *const *id
       = (const char *const[]){ "header_run_button", "header_stop_button", "view_switcher",
                                "header_lesson_button", "header_chart_only_button",
                                "header_presentation_button", "header_export_button", NULL };
       *id != NULL; id++)
    {
      GObject *child = gtk_widget_get_template_child (GTK_WIDGET (self), PLAB_TYPE_WINDOW, *id);

      if (GTK_IS_WIDGET (child))
        gtk_widget_set_visible (GTK_WIDGET (child), !show);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_EXERCISES]);
}

static void
set_show_lesson (PlabWindow *self, gboolean show)
{
  if (self->show_lesson == show)
    return;
  self->show_lesson = show;
  gtk_expander_set_expanded (self->lesson_expander, show);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_LESSON]);
}

static void
lesson_expanded_cb (PlabWindow *self)
{
  set_show_lesson (self, gtk_expander_get_expanded (self->lesson_expander));
}

/* --- Actions --- */

static void
run_action (GtkWidget *widget, const char *name, GVariant *param)
{
  _plab_window_run (PLAB_WINDOW (widget), FALSE);
}

static void
sweep_action (GtkWidget *widget, const char *name, GVariant *param)
{
  _plab_window_run (PLAB_WINDOW (widget), TRUE);
}

/* Ctrl+R or Ctrl+Shift+R while Run or Sweep waits: the keys reach no
 * action then, so the status line says why instead of nothing happening.
 * While they can start, the application's accelerators run them. */
static gboolean
run_refused_cb (GtkWidget *widget, GVariant *args, gpointer data)
{
  PlabWindow *self = PLAB_WINDOW (widget);
  g_autofree char *problem = _plab_window_run_problem (self, GPOINTER_TO_INT (data));

  if (problem == NULL || plab_runner_client_is_running (self->runner))
    return FALSE;
  _plab_window_set_status (self, problem);
  return TRUE;
}

static void
stop_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PlabWindow *self = PLAB_WINDOW (widget);

  /* In front of a class, Escape out of the chart-only view must not end the
   * run on show: it leaves the view, and a second Escape stops. */
  if (self->chart_only)
    set_chart_only (self, FALSE);
  else
    _plab_window_stop (self);
}

static void
exported_cb (PlabExportDialog *dialog, const char *path, PlabWindow *self)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *text = g_strdup_printf ("Saved %s", base);

  _plab_window_toast (self, text);
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PlabWindow *self = PLAB_WINDOW (widget);
  const char *page = gtk_stack_get_visible_child_name (self->view_stack);
  PlabExportDialog *dialog;

  if (self->shown == NULL)
    return;
  dialog = plab_export_dialog_new (GTK_WINDOW (self), self->db_path, self->shown->chart->run->id,
                                   self->shown->chart->run->sweep_id);
  plab_export_dialog_set_chart (dialog, plab_chart_kind_from_name (page));
  plab_export_dialog_set_theme (dialog, _plab_window_chart_theme (self));
  if (_plab_window_prediction_for (self, self->shown->chart->run) != NULL)
    plab_export_dialog_set_prediction (dialog,
                                       _plab_window_prediction_for (self, self->shown->chart->run));
  g_signal_connect_object (dialog, "exported", G_CALLBACK (exported_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
fullscreen_action (GtkWidget *widget, const char *name, GVariant *param)
{
  if (gtk_window_is_fullscreen (GTK_WINDOW (widget)))
    gtk_window_unfullscreen (GTK_WINDOW (widget));
  else
    gtk_window_fullscreen (GTK_WINDOW (widget));
}

static void
zoom_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PlabWindow *self = PLAB_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->view_stack, "timeline");
  if (!g_strcmp0 (name, "win.zoom-in"))
    plab_timeline_view_zoom (self->timeline_view, 2.0, -1);
  else if (!g_strcmp0 (name, "win.zoom-out"))
    plab_timeline_view_zoom (self->timeline_view, 0.5, -1);
  else
    plab_timeline_view_reset_zoom (self->timeline_view);
}

static void
view_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PlabWindow *self = PLAB_WINDOW (widget);
  const char *page = g_variant_get_string (param, NULL);

  if (gtk_stack_get_child_by_name (self->view_stack, page) != NULL)
    gtk_stack_set_visible_child_name (self->view_stack, page);
}

static void
dismiss_error_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gtk_revealer_set_reveal_child (PLAB_WINDOW (widget)->error_revealer, FALSE);
}

static void
reset_params_action (GtkWidget *widget, const char *name, GVariant *param)
{
  plab_param_editor_reset (PLAB_WINDOW (widget)->param_editor);
}

static void
close_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gtk_window_close (GTK_WINDOW (widget));
}

/* --- Class --- */

static void
dark_changed_cb (PlabWindow *self)
{
  _plab_window_apply_theme (self);
}

static gboolean
plab_window_close_request (GtkWindow *window)
{
  if (_plab_window_close_request (PLAB_WINDOW (window)))
    return TRUE;
  return GTK_WINDOW_CLASS (plab_window_parent_class)->close_request (window);
}

static void
plab_window_dispose (GObject *object)
{
  PlabWindow *self = PLAB_WINDOW (object);

  g_signal_handlers_disconnect_by_data (adw_style_manager_get_default (), self);
  _plab_window_run_dispose (self);
  _plab_window_views_dispose (self);
  _plab_window_selection_dispose (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PLAB_TYPE_WINDOW);
  G_OBJECT_CLASS (plab_window_parent_class)->dispose (object);
}

static void
plab_window_finalize (GObject *object)
{
  PlabWindow *self = PLAB_WINDOW (object);

  g_clear_pointer (&self->store, plab_store_close);
  g_clear_pointer (&self->backend_names, g_ptr_array_unref);
  g_free (self->db_path);
  g_free (self->runner_path);
  G_OBJECT_CLASS (plab_window_parent_class)->finalize (object);
}

static void
plab_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PlabWindow *self = PLAB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PRESENTATION:
      g_value_set_boolean (value, self->presentation);
      break;
    case PROP_SHOW_SIDEBAR:
      g_value_set_boolean (value, self->show_sidebar);
      break;
    case PROP_CHART_ONLY:
      g_value_set_boolean (value, self->chart_only);
      break;
    case PROP_SHOW_LESSON:
      g_value_set_boolean (value, self->show_lesson);
      break;
    case PROP_SHOW_EXERCISES:
      g_value_set_boolean (value, self->show_exercises);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plab_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PlabWindow *self = PLAB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PRESENTATION:
      set_presentation (self, g_value_get_boolean (value));
      break;
    case PROP_SHOW_SIDEBAR:
      set_show_sidebar (self, g_value_get_boolean (value));
      break;
    case PROP_CHART_ONLY:
      set_chart_only (self, g_value_get_boolean (value));
      break;
    case PROP_SHOW_LESSON:
      set_show_lesson (self, g_value_get_boolean (value));
      break;
    case PROP_SHOW_EXERCISES:
      set_show_exercises (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plab_window_class_init (PlabWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = plab_window_dispose;
  object_class->finalize = plab_window_finalize;
  object_class->get_property = plab_window_get_property;
  object_class->set_property = plab_window_set_property;
  window_class->close_request = plab_window_close_request;

  properties[PROP_PRESENTATION]
      = g_param_spec_boolean ("presentation", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_SIDEBAR]
      = g_param_spec_boolean ("show-sidebar", NULL, NULL, TRUE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CHART_ONLY]
      = g_param_spec_boolean ("chart-only", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_LESSON]
      = g_param_spec_boolean ("show-lesson", NULL, NULL, TRUE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_EXERCISES]
      = g_param_spec_boolean ("show-exercises", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PLAB_TYPE_CHART_VIEW);
  g_type_ensure (PLAB_TYPE_HISTORY_LIST);
  g_type_ensure (PLAB_TYPE_PARAM_EDITOR);
  g_type_ensure (PLAB_TYPE_TIMELINE_VIEW);

  /* Referencing the resource links it in from the static library, and its
   * constructor registers it. */
  (void)plab_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/parallellab/Plab/plab-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, demo_list);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, history_list);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, demo_title);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, demo_summary);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, demo_lesson);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, lesson_expander);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, try_heading);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, try_box);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, param_editor);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, backend_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, backend_help);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, workers_spin);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, workers_problem);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, run_repeat_spin);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, workers_help);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, hosts_row);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, hosts_entry);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, hosts_help);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, prediction_entry);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, command_label);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, sweep_box);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, shown_run_box);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, run_button);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, sweep_button);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, setup_pane);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, inner_paned);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, welcome_box);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, status_bar);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, timeline_view);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, compare_view);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, time_view);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, speedup_view);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, result_view);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, PlabWindow, progress_bar);
  /* Looked up by name only, to hide while the Exercises page shows (and
   * the Exercises button in presentation mode). */
  gtk_widget_class_bind_template_child_full (widget_class, "header_run_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "header_stop_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "view_switcher", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "header_lesson_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "header_chart_only_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "header_presentation_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "header_export_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "header_exercises_button", FALSE, 0);

  gtk_widget_class_install_action (widget_class, "win.run", NULL, run_action);
  gtk_widget_class_install_action (widget_class, "win.sweep", NULL, sweep_action);
  gtk_widget_class_install_action (widget_class, "win.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "win.export", NULL, export_action);
  gtk_widget_class_install_property_action (widget_class, "win.presentation", "presentation");
  gtk_widget_class_install_property_action (widget_class, "win.show-sidebar", "show-sidebar");
  gtk_widget_class_install_property_action (widget_class, "win.chart-only", "chart-only");
  gtk_widget_class_install_property_action (widget_class, "win.show-lesson", "show-lesson");
  gtk_widget_class_install_property_action (widget_class, "win.exercises", "show-exercises");
  gtk_widget_class_install_action (widget_class, "win.fullscreen", NULL, fullscreen_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-reset", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "win.view", "s", view_action);
  gtk_widget_class_install_action (widget_class, "win.dismiss-error", NULL, dismiss_error_action);
  gtk_widget_class_install_action (widget_class, "win.reset-params", NULL, reset_params_action);
  gtk_widget_class_install_action (widget_class, "win.close", NULL, close_action);
}

static void
plab_window_init (PlabWindow *self)
{
  const PlabDemo *const *demos;
  size_t n_demos;
  int cpus = (int)g_get_num_processors ();
  GtkEventController *refused;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->backend_names = g_ptr_array_new ();
  self->show_sidebar = TRUE;
  _plab_window_sweep_init (self);
  _plab_window_mpi_init (self);
  _plab_window_selection_init (self);
  self->show_lesson = TRUE;
  gtk_expander_set_expanded (self->lesson_expander, TRUE);
  g_signal_connect_swapped (self->lesson_expander, "notify::expanded",
                            G_CALLBACK (lesson_expanded_cb), self);

  demos = plab_demos (&n_demos);
  for (size_t i = 0; i < n_demos; i++)
    gtk_list_box_append (self->demo_list, make_demo_row (demos[i]));
  g_signal_connect (self->demo_list, "row-selected", G_CALLBACK (demo_selected_cb), self);

  _plab_window_workers_follow_demo (self);
  plab_param_editor_watch_field (self->workers_spin, &workers_spec,
                                 GTK_WIDGET (self->workers_problem));
  plab_param_editor_field_set_value (self->workers_spin, cpus);

  g_signal_connect_swapped (self->backend_dropdown, "notify::selected",
                            G_CALLBACK (backend_changed_cb), self);
  g_signal_connect_swapped (self->workers_spin, "value-changed",
                            G_CALLBACK (_plab_window_update_command_line), self);
  /* What is typed, before it is a value: the command line shows it and Run
   * waits while it is wrong. */
  g_signal_connect_swapped (self->workers_spin, "changed",
                            G_CALLBACK (_plab_window_update_command_line), self);
  g_signal_connect_swapped (self->workers_spin, "changed", G_CALLBACK (_plab_window_update_actions),
                            self);
  g_signal_connect_swapped (self->run_repeat_spin, "value-changed",
                            G_CALLBACK (_plab_window_update_command_line), self);
  g_signal_connect_swapped (self->param_editor, "changed",
                            G_CALLBACK (_plab_window_update_command_line), self);
  g_signal_connect_swapped (self->param_editor, "notify::valid",
                            G_CALLBACK (_plab_window_update_actions), self);
  /* Run's and Sweep's tooltips say what is wrong, which changes as it is
   * typed while the editor stays invalid. */
  g_signal_connect_swapped (self->param_editor, "changed", G_CALLBACK (_plab_window_update_actions),
                            self);
  g_signal_connect_swapped (adw_style_manager_get_default (), "notify::dark",
                            G_CALLBACK (dark_changed_cb), self);

  refused = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (refused),
                                        gtk_shortcut_new (gtk_shortcut_trigger_parse_string (
                                                              "<Control>r"),
                                                          gtk_callback_action_new (run_refused_cb,
                                                                                   GINT_TO_POINTER (
                                                                                       FALSE),
                                                                                   NULL)));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (refused),
                                        gtk_shortcut_new (gtk_shortcut_trigger_parse_string (
                                                              "<Control><Shift>r"),
                                                          gtk_callback_action_new (run_refused_cb,
                                                                                   GINT_TO_POINTER (
                                                                                       TRUE),
                                                                                   NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self), refused);

  _plab_window_views_init (self);
  _plab_window_update_actions (self);
}

PlabWindow *
plab_window_new (PlabApplication *application)
{
  PlabWindow *self = g_object_new (PLAB_TYPE_WINDOW, "application", application, NULL);

  self->db_path = g_strdup (plab_application_get_db_path (application));
  self->runner_path = g_strdup (plab_application_get_runner_path (application));
  self->runner = plab_runner_client_new (self->runner_path, self->db_path);
  _plab_window_run_init (self);
  self->exercise_page = plab_exercise_page_new (self->runner_path, self->db_path);
  gtk_widget_set_vexpand (self->exercise_page, TRUE);
  gtk_widget_set_visible (self->exercise_page, self->show_exercises);
  gtk_box_append (GTK_BOX (adw_application_window_get_content (ADW_APPLICATION_WINDOW (self))),
                  self->exercise_page);

  gtk_list_box_select_row (self->demo_list, gtk_list_box_get_row_at_index (self->demo_list, 0));
  _plab_window_apply_theme (self);
  _plab_window_reload_history (self);
  if (plab_history_list_get_n_runs (self->history_list) > 0)
    {
      const PlabRunRecord *newest = plab_history_list_get_run (self->history_list, 0);
      /* The lesson and controls beside the run shown are its demo's. */
      plab_window_select_demo (self, newest->demo);
      plab_history_list_select_run (self->history_list, newest->id, FALSE);
      _plab_window_show_run (self, newest->id, FALSE);
    }
  else
    _plab_window_set_status (self, "Pick a demo, set its parameters and press Run (Ctrl+R).");
  return self;
}
