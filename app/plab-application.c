/* plab-application.c: the lab as a GtkApplication. */
#include "plab-application.h"

#include "plab-store.h"
#include "plab-window.h"

struct _PlabApplication
{
  AdwApplication parent_instance;

  /* Owned */
  char *db_path;
  char *runner_path;
};

G_DEFINE_FINAL_TYPE (PlabApplication, plab_application, ADW_TYPE_APPLICATION)

enum
{
  PROP_0,
  PROP_DB_PATH,
  PROP_RUNNER_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Accelerators of the window's actions, listed in the shortcuts window too
 * (data/gtk/help-overlay.ui). */
static const struct
{
  const char *action;
  const char *accels[3];
} accels[] = {
  { "win.run", { "<Control>r", NULL } },
  { "win.stop", { "Escape", NULL } },
  { "win.sweep", { "<Control><Shift>r", NULL } },
  { "win.export", { "<Control>e", NULL } },
  { "win.exercises", { "<Control><Shift>x", NULL } },
  { "win.presentation", { "F5", NULL } },
  { "win.chart-only", { "F11", NULL } },
  { "win.fullscreen", { "<Shift>F11", NULL } },
  { "win.show-lesson", { "F1", NULL } },
  { "win.show-sidebar", { "F9", NULL } },
  { "win.zoom-in", { "<Control>plus", "<Control>equal", NULL } },
  { "win.zoom-out", { "<Control>minus", NULL } },
  { "win.zoom-reset", { "<Control>0", NULL } },
  { "win.view('timeline')", { "<Alt>1", NULL } },
  { "win.view('time')", { "<Alt>2", NULL } },
  { "win.view('speedup')", { "<Alt>3", NULL } },
  { "win.view('result')", { "<Alt>4", NULL } },
  { "win.close", { "<Control>w", NULL } },
  { "app.quit", { "<Control>q", NULL } },
};

/* Quitting closes every window instead of leaving the main loop at once: a
 * window with a run going stops it and goes when the runner has recorded the
 * run as cancelled, and the application ends with its last window. */
static void
quit_cb (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (user_data)));

  if (windows == NULL)
    g_application_quit (G_APPLICATION (user_data));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
}

static void
about_cb (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  static const char *developers[] = { "The Parallel Lab authors", NULL };
  GtkWidget *about;

  about
      = g_object_new (ADW_TYPE_ABOUT_WINDOW, "transient-for",
                      gtk_application_get_active_window (app), "application-name", "Parallel Lab",
                      "application-icon", PLAB_APPLICATION_ID, "version", PLAB_VERSION, "comments",
                      "A laboratory for teaching parallel programming: run classic "
                      "demos on threads, processes and a simulated GIL, watch every "
                      "worker on a live timeline, and compare the speedups.",
                      "developers", developers, "license-type", GTK_LICENSE_MIT_X11, "issue-url",
                      "https://github.com/parallellab/plab/issues", NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_cb },
  { .name = "about", .activate = about_cb },
};

static void
plab_application_activate (GApplication *app)
{
  PlabApplication *self = PLAB_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (plab_window_new (self));
  gtk_window_present (window);
}

static void
plab_application_startup (GApplication *app)
{
  G_APPLICATION_CLASS (plab_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions),
                                   app);
  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action,
                                           accels[i].accels);
}

static void
plab_application_finalize (GObject *object)
{
  PlabApplication *self = PLAB_APPLICATION (object);

  g_free (self->db_path);
  g_free (self->runner_path);
  G_OBJECT_CLASS (plab_application_parent_class)->finalize (object);
}

static void
plab_application_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PlabApplication *self = PLAB_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_DB_PATH:
      g_value_set_string (value, self->db_path);
      break;
    case PROP_RUNNER_PATH:
      g_value_set_string (value, self->runner_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plab_application_set_property (GObject *object,
                               guint prop_id,
                               const GValue *value,
                               GParamSpec *pspec)
{
  PlabApplication *self = PLAB_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_DB_PATH:
      g_free (self->db_path);
      self->db_path = g_value_dup_string (value);
      break;
    case PROP_RUNNER_PATH:
      g_free (self->runner_path);
      self->runner_path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plab_application_constructed (GObject *object)
{
  PlabApplication *self = PLAB_APPLICATION (object);

  G_OBJECT_CLASS (plab_application_parent_class)->constructed (object);

  if (self->db_path == NULL)
    {
      char *path = plab_store_default_path ();
      self->db_path = g_strdup (path ? path : "runs.db");
      free (path);
    }
  if (self->runner_path == NULL)
    {
      /* This very executable is the runner: `plab run` is one of its commands. */
      self->runner_path = g_file_read_link ("/proc/self/exe", NULL);
      if (self->runner_path == NULL)
        self->runner_path = g_strdup (g_get_prgname ());
    }
}

static void
plab_application_class_init (PlabApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = plab_application_finalize;
  object_class->get_property = plab_application_get_property;
  object_class->set_property = plab_application_set_property;
  object_class->constructed = plab_application_constructed;
  app_class->activate = plab_application_activate;
  app_class->startup = plab_application_startup;

  properties[PROP_DB_PATH]
      = g_param_spec_string ("db-path", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNER_PATH]
      = g_param_spec_string ("runner-path", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
plab_application_init (PlabApplication *self)
{
}

PlabApplication *
plab_application_new (const char *db_path, const char *runner_path)
{
  /* Not unique: two labs on two stores are two processes, and a second
   * `plab --db other.db` must not just raise the first window. */
  return g_object_new (PLAB_TYPE_APPLICATION, "application-id", PLAB_APPLICATION_ID, "flags",
                       G_APPLICATION_NON_UNIQUE, "resource-base-path", "/org/parallellab/Plab",
                       "db-path", db_path, "runner-path", runner_path, NULL);
}

const char *
plab_application_get_db_path (PlabApplication *self)
{
  g_return_val_if_fail (PLAB_IS_APPLICATION (self), NULL);
  return self->db_path;
}

const char *
plab_application_get_runner_path (PlabApplication *self)
{
  g_return_val_if_fail (PLAB_IS_APPLICATION (self), NULL);
  return self->runner_path;
}

int
plab_application_main (const char *db_path)
{
  g_autoptr (PlabApplication) app = plab_application_new (db_path, NULL);
  char *argv[] = { (char *)"plab", NULL };

  return g_application_run (G_APPLICATION (app), 1, argv);
}
