/* plab-exercise-page.c: the window's Exercises page (see plab-exercise-page.h). */
#include "plab-exercise-page.h"

#include "plab-exercise.h"
#include "plab-resources.h"
#include "plab-run-data.h"

#include <string.h>

struct _PlabExercisePage
{
  GtkBox parent_instance;

  /* Template widgets */
  GtkListBox *list;
  GtkLabel *title;
  GtkLabel *statement;
  GtkEntry *folder_entry;
  GtkWidget *start_button;
  GtkWidget *open_button;
  GtkWidget *check_button;
  GtkSpinner *spinner;
  GtkLabel *verdict_label;
  GtkLabel *hint_label;
  GtkListBox *attempts;
  GtkLabel *student_label;
  GtkLabel *reference_label;
  PlabTimelineView *student_view;
  PlabTimelineView *reference_view;

  /* Owned */
  char *runner;
  char *db_path;
  GPtrArray *exercises; /* PlabExerciseInfo */
  PlabExerciseInfo *selected;
  GHashTable *folders; /* exercise name -> the folder typed for it */
  GSubprocess *checking;
  char *verdict;
  char *message;
};

G_DEFINE_FINAL_TYPE (PlabExercisePage, plab_exercise_page, GTK_TYPE_BOX)

static PlabExerciseInfo *
find_info (PlabExercisePage *self, const char *name)
{
  for (guint i = 0; self->exercises != NULL && i < self->exercises->len; i++)
    {
      PlabExerciseInfo *info = self->exercises->pdata[i];

      if (!strcmp (info->name, name))
        return info;
    }
  return NULL;
}

static char *
default_folder (const char *name)
{
  return g_build_filename (g_get_home_dir (), "plab-exercises", name, NULL);
}

/* --- The two timelines --- */

static PlabRunData *
load_run (PlabStore *store, gint64 run_id)
{
  g_autoptr (GError) error = NULL;

  if (run_id <= 0)
    return NULL;
  return plab_run_data_load (store, run_id, &error);
}

/* Shows the student's run and the reference's, the longer filling the width:
 * the same time scale in both. */
static void
show_runs (PlabExercisePage *self, gint64 run_id, gint64 reference_id)
{
  PlabStore *store = NULL;
  PlabRunData *runs[2] = { NULL, NULL };
  PlabTimelineView *views[2] = { self->student_view, self->reference_view };
  GtkLabel *labels[2] = { self->student_label, self->reference_label };
  const char *who[2] = { "Yours", "The reference" };
  gint64 duration = 0;

  if (plab_store_open (self->db_path, PLAB_STORE_READ_ONLY, &store) != 0)
    return;
  runs[0] = load_run (store, run_id);
  runs[1] = load_run (store, reference_id);
  plab_store_close (store);
  for (int i = 0; i < 2; i++)
    if (runs[i] != NULL)
      duration = MAX (duration, plab_timeline_data_extent (runs[i]->chart->timeline).end_ns);
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *text = NULL, *about = NULL;

      if (runs[i] == NULL)
        {
          plab_timeline_view_take_data (views[i], NULL, FALSE);
          gtk_label_set_text (labels[i], who[i]);
          continue;
        }
      about = plab_run_data_describe (runs[i]);
      text = g_strdup_printf ("%s: %s", who[i], about);
      gtk_label_set_text (labels[i], text);
      plab_timeline_view_set_lanes (views[i], runs[i]->chart->lanes, runs[i]->chart->n_lanes);
      plab_timeline_view_take_data (views[i], plab_run_data_steal_timeline (runs[i]), FALSE);
      plab_timeline_view_set_min_duration (views[i], duration);
      plab_run_data_unref (runs[i]);
    }
}

/* Zooming one timeline moves the other the same way. */
static void
window_changed_cb (PlabTimelineView *view, PlabExercisePage *self)
{
  PlabTimelineView *other = view == self->student_view ? self->reference_view : self->student_view;
  PlabTimeWindow window = plab_timeline_view_get_window (view);

  if (plab_timeline_view_get_zoomed (view))
    plab_timeline_view_set_window (other, &window);
  else
    plab_timeline_view_reset_zoom (other);
}

/* --- Attempts --- */

static void
attempt_activated_cb (GtkListBox *box, GtkListBoxRow *row, PlabExercisePage *self)
{
  gint64 *ids = g_object_get_data (G_OBJECT (row), "runs");

  if (ids != NULL)
    show_runs (self, ids[0], ids[1]);
}

static void
reload_attempts (PlabExercisePage *self)
{
  g_autofree char *folder = NULL;
  PlabStore *store = NULL;
  PlabAttempt **list = NULL;
  size_t n = 0;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->attempts))) != NULL)
    gtk_list_box_remove (self->attempts, child);
  if (self->selected == NULL || plab_store_open (self->db_path, PLAB_STORE_READ_ONLY, &store) != 0)
    return;
  folder
      = g_canonicalize_filename (gtk_editable_get_text (GTK_EDITABLE (self->folder_entry)), NULL);
  if (plab_store_list_attempts (store, self->selected->name, &list, &n) == 0)
    for (size_t i = n; i-- > 0;)
      {
        g_autoptr (GDateTime) when
            = g_date_time_new_from_unix_local (list[i]->checked_at_us / 1000000);
        g_autofree char *time = g_date_time_format (when, "%H:%M:%S");
        g_autofree char *text
            = g_strdup_printf ("%s  %s: %s", time, list[i]->verdict, list[i]->message);
        GtkWidget *label = gtk_label_new (text);
        GtkWidget *row = gtk_list_box_row_new ();
        gint64 *ids = g_new (gint64, 2);

        if (strcmp (list[i]->folder, folder) != 0)
          {
            g_free (ids);
            g_object_ref_sink (row);
            g_object_unref (row);
            continue;
          }
        ids[0] = list[i]->run_id;
        ids[1] = list[i]->reference_run_id;
        gtk_label_set_xalign (GTK_LABEL (label), 0);
        gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
        gtk_widget_set_tooltip_text (label, list[i]->message);
        gtk_widget_add_css_class (label, list[i]->passed ? "success" : "dim-label");
        gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
        g_object_set_data_full (G_OBJECT (row), "runs", ids, g_free);
        gtk_list_box_append (self->attempts, row);
      }
  plab_attempts_free (list, n);
  plab_store_close (store);
}

/* --- Checking --- */

static void
set_verdict (PlabExercisePage *self, const char *verdict, const char *message, const char *hint)
{
  g_autofree char *text = NULL;

  g_free (self->verdict);
  self->verdict = g_strdup (verdict);
  g_free (self->message);
  self->message = g_strdup (message);
  text = verdict != NULL ? g_strdup_printf ("%s: %s", verdict, message ? message : "")
                         : g_strdup (message ? message : "");
  gtk_label_set_text (self->verdict_label, text);
  gtk_widget_remove_css_class (GTK_WIDGET (self->verdict_label), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->verdict_label), "error");
  if (verdict != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->verdict_label),
                              !strcmp (verdict, "passed") ? "success" : "error");
  gtk_widget_set_visible (GTK_WIDGET (self->hint_label), hint != NULL && *hint != '\0');
  if (hint != NULL)
    {
      g_autofree char *hint_text = g_strdup_printf ("Hint: %s", hint);

      gtk_label_set_text (self->hint_label, hint_text);
    }
}

static void
check_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PlabExercisePage) self = user_data;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  PlabJson *json = NULL;
  char why[128];

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &out, &err, &error);
  g_clear_object (&self->checking);
  gtk_spinner_stop (self->spinner);
  gtk_widget_set_sensitive (self->check_button, TRUE);
  if (error != NULL)
    {
      set_verdict (self, NULL, error->message, NULL);
      return;
    }
  json = out != NULL ? plab_json_parse (out, why, sizeof why) : NULL;
  if (json == NULL || plab_json_string (plab_json_get (json, "verdict"), NULL) == NULL)
    {
      /* Bad input: the compiler's messages or the reason, as the command said it. */
      const char *compiler
          = json ? plab_json_string (plab_json_get (json, "compiler"), NULL) : NULL;
      g_autofree char *text = g_strdup_printf ("%s%s", err ? err : "", compiler ? compiler : "");

      set_verdict (self, NULL, g_strstrip (text), NULL);
      plab_json_free (json);
      return;
    }
  set_verdict (self, plab_json_string (plab_json_get (json, "verdict"), NULL),
               plab_json_string (plab_json_get (json, "message"), NULL),
               plab_json_string (plab_json_get (json, "hint"), NULL));
  show_runs (self, (gint64)plab_json_number (plab_json_get (json, "run"), 0),
             (gint64)plab_json_number (plab_json_get (json, "reference_run"), 0));
  reload_attempts (self);
  plab_json_free (json);
}

static gboolean
student_file_exists (PlabExercisePage *self, const char *folder)
{
  g_autofree char *file = plab_exercise_student_file (self->selected, folder);

  return g_file_test (file, G_FILE_TEST_IS_REGULAR);
}

/* The folder typed for the work, or NULL when the field is empty: then the
 * verdict line asks for one and the field takes the focus. */
static const char *
typed_folder (PlabExercisePage *self)
{
  const char *folder = gtk_editable_get_text (GTK_EDITABLE (self->folder_entry));

  if (folder[strspn (folder, " \t")] != '\0')
    return folder;
  set_verdict (self, NULL, "Type the folder for your work in the field above first.", NULL);
  gtk_widget_grab_focus (GTK_WIDGET (self->folder_entry));
  return NULL;
}

gboolean
plab_exercise_page_check (PlabExercisePage *self)
{
  g_autoptr (GError) error = NULL;
  const char *folder;

  if (self->checking != NULL || self->selected == NULL || (folder = typed_folder (self)) == NULL)
    return FALSE;
  /* The command line's message names `plab exercise start`; here the
   * Start button is beside Check. */
  if (!student_file_exists (self, folder))
    {
      g_autofree char *text
          = g_strdup_printf ("There is no %s.c in %s yet: press Start to copy the exercise's "
                             "file and a Makefile there, fill in the places marked TODO, then "
                             "press Check.",
                             self->selected->name, folder);

      set_verdict (self, NULL, text, NULL);
      gtk_widget_grab_focus (self->start_button);
      return FALSE;
    }
  self->checking
      = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                          self->runner, "exercise", "check", self->selected->name, folder, "--db",
                          self->db_path, "--json", NULL);
  if (self->checking == NULL)
    {
      set_verdict (self, NULL, error->message, NULL);
      return FALSE;
    }
  gtk_widget_set_sensitive (self->check_button, FALSE);
  gtk_spinner_start (self->spinner);
  set_verdict (self, NULL, "Checking: building your file, running it and the reference…", NULL);
  g_subprocess_communicate_utf8_async (self->checking, NULL, NULL, check_done_cb,
                                       g_object_ref (self));
  return TRUE;
}

gboolean
plab_exercise_page_get_checking (PlabExercisePage *self)
{
  return self->checking != NULL;
}

static void
check_clicked_cb (PlabExercisePage *self)
{
  plab_exercise_page_check (self);
}

static void
start_clicked_cb (PlabExercisePage *self)
{
  g_autoptr (GError) error = NULL;
  const char *folder;

  if (self->selected == NULL || (folder = typed_folder (self)) == NULL)
    return;
  /* As for Check, the button beside it, not the command line's wording. */
  if (student_file_exists (self, folder))
    {
      g_autofree char *text
          = g_strdup_printf ("%s/%s.c is there already: press Check to check it, or type "
                             "another folder above to start afresh.",
                             folder, self->selected->name);

      set_verdict (self, NULL, text, NULL);
      gtk_widget_grab_focus (self->check_button);
      return;
    }
  if (!plab_exercise_start (self->selected, folder, &error))
    set_verdict (self, NULL, error->message, NULL);
  else
    {
      g_autofree char *text = g_strdup_printf ("Started: fill in the places marked TODO in "
                                               "%s/%s.c, then press Check.",
                                               folder, self->selected->name);

      set_verdict (self, NULL, text, NULL);
    }
}

static void
open_clicked_cb (PlabExercisePage *self)
{
  g_autoptr (GFile) file
      = g_file_new_for_path (gtk_editable_get_text (GTK_EDITABLE (self->folder_entry)));
  g_autofree char *uri = g_file_get_uri (file);
  g_autoptr (GError) error = NULL;

  if (!g_app_info_launch_default_for_uri (uri, NULL, &error))
    set_verdict (self, NULL, error->message, NULL);
}

static void
folder_changed_cb (PlabExercisePage *self)
{
  if (self->selected != NULL)
    g_hash_table_replace (self->folders, g_strdup (self->selected->name),
                          g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->folder_entry))));
  reload_attempts (self);
}

/* --- Selecting an exercise --- */

/* Appends @text to @out as Pango markup, with the statement's inline
 * Markdown: `code` in a fixed-width face, **words** in bold. */
static void
append_inline (GString *out, const char *text)
{
  gboolean code = FALSE, bold = FALSE;

  for (const char *c = text; *c != '\0'; c++)
    {
      if (*c == '`')
        {
          g_string_append (out, code ? "</tt>" : "<tt>");
          code = !code;
        }
      else if (!code && c[0] == '*' && c[1] == '*')
        {
          g_string_append (out, bold ? "</b>" : "<b>");
          bold = !bold;
          c++;
        }
      else if (*c == '\n')
        g_string_append_c (out, ' ');
      else
        {
          g_autofree char *one = g_markup_escape_text (c, g_utf8_next_char (c) - c);

          g_string_append (out, one);
          c = g_utf8_next_char (c) - 1;
        }
    }
  /* An unclosed mark in the statement must not break the whole markup. */
  if (code)
    g_string_append (out, "</tt>");
  if (bold)
    g_string_append (out, "</b>");
}

/* The statement's Markdown as Pango markup for a label: headings larger and
 * bold, a paragraph's lines joined, list items one a line with a bullet,
 * code blocks in a fixed-width face as they are. */
static char *
statement_markup (const char *markdown)
{
  g_auto (GStrv) paragraphs = g_strsplit (markdown, "\n\n", -1);
  GString *out = g_string_new (NULL);

  for (int i = 0; paragraphs[i] != NULL; i++)
    {
      char *p = g_strstrip (paragraphs[i]);

      /* The title above says it already. */
      if (*p == '\0' || (i == 0 && g_str_has_prefix (p, "# ")))
        continue;
      if (out->len > 0)
        g_string_append (out, "\n\n");
      if (g_str_has_prefix (p, "```"))
        {
          const char *body = strchr (p, '\n') ? strchr (p, '\n') + 1 : "";
          g_autofree char *code
              = g_strndup (body, strlen (body) - (g_str_has_suffix (body, "```") ? 3 : 0));
          g_autofree char *escaped = g_markup_escape_text (g_strchomp (code), -1);

          g_string_append_printf (out, "<tt>%s</tt>", escaped);
        }
      else if (p[0] == '#')
        {
          gboolean top = p[1] != '#';

          g_string_append (out, top ? "<span size=\"large\" weight=\"bold\">" : "<b>");
          append_inline (out, g_strchug (p + strspn (p, "#")));
          g_string_append (out, top ? "</span>" : "</b>");
        }
      else if (g_str_has_prefix (p, "- ") || g_str_has_prefix (p, "* "))
        {
          g_auto (GStrv) items = g_strsplit (p, "\n", -1);

          for (int k = 0; items[k] != NULL; k++)
            {
              const char *item = items[k];
              gboolean new_item = g_str_has_prefix (item, "- ") || g_str_has_prefix (item, "* ");

              if (new_item)
                g_string_append (out, k > 0 ? "\n• " : "• ");
              else
                g_string_append_c (out, ' ');
              append_inline (out, g_strstrip ((char *)item + (new_item ? 2 : 0)));
            }
        }
      else
        append_inline (out, p);
    }
  return g_string_free (out, FALSE);
}

static void
apply_selection (PlabExercisePage *self, PlabExerciseInfo *info)
{
  g_autofree char *statement = NULL, *folder = NULL;
  const char *typed;

  self->selected = info;
  gtk_label_set_text (self->title, info->title);
  statement = plab_exercise_statement (info);
  if (statement != NULL)
    {
      g_autofree char *markup = statement_markup (statement);

      gtk_label_set_markup (self->statement, markup);
    }
  else
    gtk_label_set_text (self->statement, info->summary);
  typed = g_hash_table_lookup (self->folders, info->name);
  folder = typed != NULL ? g_strdup (typed) : default_folder (info->name);
  gtk_editable_set_text (GTK_EDITABLE (self->folder_entry), folder);
  set_verdict (self, NULL, "Start the exercise in a folder, fill in its TODOs, press Check.", NULL);
  show_runs (self, 0, 0);
  reload_attempts (self);
}

static void
row_selected_cb (GtkListBox *box, GtkListBoxRow *row, PlabExercisePage *self)
{
  PlabExerciseInfo *info;

  if (row == NULL)
    return;
  info = find_info (self, g_object_get_data (G_OBJECT (row), "name"));
  if (info != NULL)
    apply_selection (self, info);
}

gboolean
plab_exercise_page_select (PlabExercisePage *self, const char *name)
{
  for (int i = 0;; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->list, i);

      if (row == NULL)
        return FALSE;
      if (!g_strcmp0 (g_object_get_data (G_OBJECT (row), "name"), name))
        {
          gtk_list_box_select_row (self->list, row);
          return TRUE;
        }
    }
}

void
plab_exercise_page_set_folder (PlabExercisePage *self, const char *folder)
{
  gtk_editable_set_text (GTK_EDITABLE (self->folder_entry), folder);
}

const char *
plab_exercise_page_get_folder (PlabExercisePage *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->folder_entry));
}

const char *
plab_exercise_page_get_verdict (PlabExercisePage *self)
{
  return self->verdict;
}

const char *
plab_exercise_page_get_message (PlabExercisePage *self)
{
  return self->message;
}

PlabTimelineView *
plab_exercise_page_get_timeline (PlabExercisePage *self, gboolean reference)
{
  return reference ? self->reference_view : self->student_view;
}

/* --- Building the page --- */

static void
plab_exercise_page_init (PlabExercisePage *self)
{
  g_autofree char *skipped = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->folders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  plab_timeline_view_set_placeholder (self->student_view, "Press Check to see the timeline here");
  plab_timeline_view_set_placeholder (self->reference_view, "Press Check to see the timeline here");

  /* The exercises, one row each; a folder that is no exercise is named on
   * stderr, as `plab exercise list` names it. */
  self->exercises = plab_exercise_list (&skipped);
  if (skipped != NULL)
    g_printerr ("plab: %s\n", skipped);
  for (guint i = 0; self->exercises != NULL && i < self->exercises->len; i++)
    {
      PlabExerciseInfo *info = self->exercises->pdata[i];
      GtkWidget *row = gtk_list_box_row_new ();
      GtkWidget *label = gtk_label_new (info->title);

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_set_tooltip_text (label, info->summary);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
      g_object_set_data_full (G_OBJECT (row), "name", g_strdup (info->name), g_free);
      gtk_list_box_append (self->list, row);
    }
}

static void
plab_exercise_page_dispose (GObject *object)
{
  PlabExercisePage *self = PLAB_EXERCISE_PAGE (object);

  if (self->checking != NULL)
    g_subprocess_force_exit (self->checking);
  g_clear_object (&self->checking);
  gtk_widget_dispose_template (GTK_WIDGET (self), PLAB_TYPE_EXERCISE_PAGE);
  G_OBJECT_CLASS (plab_exercise_page_parent_class)->dispose (object);
}

static void
plab_exercise_page_finalize (GObject *object)
{
  PlabExercisePage *self = PLAB_EXERCISE_PAGE (object);

  g_clear_pointer (&self->exercises, g_ptr_array_unref);
  g_clear_pointer (&self->folders, g_hash_table_unref);
  g_free (self->runner);
  g_free (self->db_path);
  g_free (self->verdict);
  g_free (self->message);
  G_OBJECT_CLASS (plab_exercise_page_parent_class)->finalize (object);
}

static void
plab_exercise_page_class_init (PlabExercisePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = plab_exercise_page_dispose;
  object_class->finalize = plab_exercise_page_finalize;

  g_type_ensure (PLAB_TYPE_TIMELINE_VIEW);
  /* Referencing the resource links it in from the static library, and its
   * constructor registers it. */
  (void)plab_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/parallellab/Plab/plab-exercise-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, list);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, title);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, statement);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, folder_entry);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, start_button);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, open_button);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, check_button);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, spinner);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, verdict_label);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, hint_label);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, attempts);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, student_label);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, reference_label);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, student_view);
  gtk_widget_class_bind_template_child (widget_class, PlabExercisePage, reference_view);
  gtk_widget_class_bind_template_callback (widget_class, row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, attempt_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, window_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, folder_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, start_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, open_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, check_clicked_cb);
}

GtkWidget *
plab_exercise_page_new (const char *runner, const char *db_path)
{
  PlabExercisePage *self = g_object_new (PLAB_TYPE_EXERCISE_PAGE, NULL);

  self->runner = g_strdup (runner);
  self->db_path = g_strdup (db_path);
  if (self->exercises != NULL && self->exercises->len > 0)
    gtk_list_box_select_row (self->list, gtk_list_box_get_row_at_index (self->list, 0));
  return GTK_WIDGET (self);
}
