/* plab-window-sweep.c: the sweep controls of the window.
 *
 * A sweep in the window is what `plab run DEMO --sweep 1,2 -b serial,threads
 * --repeat 3` is on the command line, and it goes the same way: the window
 * only builds those arguments, and the runner records the runs as one sweep
 * (one row of the store's sweeps table, with a readable name). The student
 * chooses the worker counts ("1,2,4"), the backends (one check button each)
 * and how often each configuration is repeated (3 by default: the charts show
 * the median and the spread). A demo that declares no worker axis cannot be
 * swept: the controls are insensitive and one line says why.
 */
#include "plab-window-private.h"

#define SWEEP_MAX_COUNTS 16
#define SWEEP_DEFAULT_REPEATS 3
#define SWEEP_MAX_REPEATS 20

/* Parses "1,2,4" into distinct worker counts from 1 to the spin button's
 * upper bound; FALSE with one line in @why when it cannot. */
static gboolean
parse_counts (PlabWindow *self, const char *text, int *counts, int *n_out, char **why)
{
  int max = (int)gtk_adjustment_get_upper (gtk_spin_button_get_adjustment (self->workers_spin));
  g_auto (GStrv) parts = g_strsplit_set (text, ", ", -1);
  int n = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      gint64 v;

      if (parts[i][0] == '\0')
        continue;
      if (!g_ascii_string_to_signed (parts[i], 10, 1, max, &v, NULL))
        {
          *why = g_strdup_printf ("Worker counts are whole numbers from 1 to %d, like 1,2,4; "
                                  "not “%s”",
                                  max, parts[i]);
          return FALSE;
        }
      for (int j = 0; j < n; j++)
        if (counts[j] == (int)v)
          {
            *why = g_strdup_printf ("Worker count %d is given twice", (int)v);
            return FALSE;
          }
      if (n == SWEEP_MAX_COUNTS)
        {
          *why = g_strdup_printf ("A sweep takes at most %d worker counts", SWEEP_MAX_COUNTS);
          return FALSE;
        }
      counts[n++] = (int)v;
    }
  if (n == 0)
    {
      *why = g_strdup ("Give the worker counts to sweep, like 1,2,4");
      return FALSE;
    }
  *n_out = n;
  return TRUE;
}

/* The backends checked, as bits of PLAB_BACKEND_BIT (). */
static unsigned
checked_backends (PlabWindow *self)
{
  unsigned bits = 0;

  for (int b = PLAB_BACKEND_SERIAL; b <= PLAB_BACKEND_MPI; b++)
    if (gtk_widget_get_sensitive (GTK_WIDGET (self->sweep_checks[b]))
        && gtk_check_button_get_active (self->sweep_checks[b]))
      bits |= PLAB_BACKEND_BIT (b);
  return bits;
}

gboolean
_plab_window_sweep_has_backend (PlabWindow *self, PlabBackend backend)
{
  return (checked_backends (self) & PLAB_BACKEND_BIT (backend)) != 0;
}

/* Whether the controls describe a sweep; else why not, in one line. */
static gboolean
sweep_check (PlabWindow *self, char **why)
{
  int counts[SWEEP_MAX_COUNTS], n;

  *why = NULL;
  if (self->demo == NULL)
    return FALSE;
  if (self->demo->no_worker_axis != NULL)
    {
      *why = g_strdup_printf ("No sweep: %s has no worker axis (%s)", self->demo->name,
                              self->demo->no_worker_axis);
      return FALSE;
    }
  if (!parse_counts (self, gtk_editable_get_text (GTK_EDITABLE (self->sweep_counts_entry)), counts,
                     &n, why))
    return FALSE;
  if (checked_backends (self) == 0)
    {
      *why = g_strdup ("Check at least one backend to sweep");
      return FALSE;
    }
  return _plab_window_mpi_ready (self, TRUE, why);
}

gboolean
_plab_window_sweep_ready (PlabWindow *self)
{
  g_autofree char *why = NULL;

  return sweep_check (self, &why);
}

char *
_plab_window_sweep_problem (PlabWindow *self)
{
  g_autofree char *why = NULL;

  if (sweep_check (self, &why))
    return NULL;
  return why != NULL ? g_steal_pointer (&why) : g_strdup ("the sweep's settings are not complete");
}

void
_plab_window_workers_follow_demo (PlabWindow *self)
{
  gboolean no_axis = self->demo != NULL && self->demo->no_worker_axis != NULL;
  int cpus = (int)g_get_num_processors ();
  g_autofree char *help
      = no_axis ? g_strdup_printf ("Not used: %s", self->demo->no_worker_axis)
                : g_strdup_printf ("How many run at once; this machine has %d usable CPU%s", cpus,
                                   cpus == 1 ? "" : "s");

  gtk_widget_set_sensitive (GTK_WIDGET (self->workers_spin), !no_axis);
  gtk_label_set_text (self->workers_help, help);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->workers_spin), no_axis ? help : NULL);
}

/* The reason line and the entry's error mark follow the controls. */
static void
sweep_changed_cb (PlabWindow *self)
{
  g_autofree char *why = NULL;
  gboolean ok = sweep_check (self, &why);
  gboolean no_axis = self->demo != NULL && self->demo->no_worker_axis != NULL;

  gtk_widget_set_sensitive (self->sweep_controls, !no_axis);
  _plab_window_workers_follow_demo (self);
  gtk_label_set_text (self->sweep_reason, why != NULL ? why : "");
  gtk_widget_set_visible (GTK_WIDGET (self->sweep_reason), !ok && why != NULL);
  if (self->hosts_entry != NULL)
    _plab_window_mpi_update (self);
  _plab_widget_set_css_class (GTK_WIDGET (self->sweep_counts_entry), "error",
                              !ok && !no_axis && why != NULL && strstr (why, "backend") == NULL
                                  && strstr (why, "Unavailable") == NULL
                                  && strstr (why, "host file") == NULL);
  _plab_window_update_command_line (self);
  _plab_window_update_actions (self);
}

/* "--repeat N" from @spin, the one way Run and Sweep ask the runner to
 * repeat: nothing for one run, so that a plain Run reads as it always did.
 * The runner groups repeated runs as a sweep, and the Result shows their
 * median and spread. */
void
_plab_window_add_repeat_args (GStrvBuilder *builder, GtkSpinButton *spin)
{
  int n = gtk_spin_button_get_value_as_int (spin);
  g_autofree char *repeats = g_strdup_printf ("%d", n);

  if (n > 1)
    g_strv_builder_add_many (builder, "--repeat", repeats, NULL);
}

void
_plab_window_sweep_add_args (PlabWindow *self, GStrvBuilder *builder)
{
  g_autoptr (GString) backends = g_string_new (NULL);
  g_autoptr (GString) list = g_string_new (NULL);
  g_autofree char *why = NULL;
  unsigned bits = checked_backends (self);
  int counts[SWEEP_MAX_COUNTS], n = 0;

  if (!parse_counts (self, gtk_editable_get_text (GTK_EDITABLE (self->sweep_counts_entry)), counts,
                     &n, &why))
    return;
  for (int b = PLAB_BACKEND_SERIAL; b <= PLAB_BACKEND_MPI; b++)
    if (bits & PLAB_BACKEND_BIT (b))
      g_string_append_printf (backends, "%s%s", backends->len ? "," : "",
                              plab_backend_name ((PlabBackend)b));
  for (int i = 0; i < n; i++)
    g_string_append_printf (list, "%s%d", i ? "," : "", counts[i]);
  g_strv_builder_add_many (builder, "-b", backends->str, "--sweep", list->str, NULL);
  _plab_window_add_repeat_args (builder, self->repeat_spin);
}

/* Runs the sweep makes: serial runs once per repeat whatever the counts
 * (it has one worker), every other backend once per count and repeat. */
int
_plab_window_sweep_count_runs (PlabWindow *self)
{
  g_autofree char *why = NULL;
  unsigned bits = checked_backends (self);
  int counts[SWEEP_MAX_COUNTS], n = 0, configs = 0;

  if (!parse_counts (self, gtk_editable_get_text (GTK_EDITABLE (self->sweep_counts_entry)), counts,
                     &n, &why))
    return 0;
  for (int b = PLAB_BACKEND_SERIAL; b <= PLAB_BACKEND_MPI; b++)
    if (bits & PLAB_BACKEND_BIT (b))
      configs += b == PLAB_BACKEND_SERIAL ? 1 : n;
  return configs * gtk_spin_button_get_value_as_int (self->repeat_spin);
}

/* A new demo: its backends can be checked, serial and its default one are. */
void
_plab_window_sweep_set_demo (PlabWindow *self)
{
  for (int b = PLAB_BACKEND_SERIAL; b <= PLAB_BACKEND_MPI; b++)
    {
      gboolean has = (self->demo->backends & PLAB_BACKEND_BIT (b)) != 0;

      /* mpi where this plab cannot run it: shown, not checkable, saying why. */
      if (b == PLAB_BACKEND_MPI && _plab_window_mpi_unavailable () != NULL)
        {
          gtk_widget_set_tooltip_text (GTK_WIDGET (self->sweep_checks[b]),
                                       _plab_window_mpi_unavailable ());
          has = FALSE;
        }
      gtk_widget_set_sensitive (GTK_WIDGET (self->sweep_checks[b]), has);
      gtk_check_button_set_active (self->sweep_checks[b],
                                   has
                                       && (b == PLAB_BACKEND_SERIAL
                                           || (PlabBackend)b == self->demo->default_backend));
    }
  sweep_changed_cb (self);
}

/* "1,2" on two CPUs, "1,2,4,8" on eight: powers of two up to the CPUs, and
 * the CPUs themselves. */
static char *
default_counts (void)
{
  int cpus = MAX (1, (int)g_get_num_processors ());
  GString *text = g_string_new ("1");

  for (int p = 2; p < cpus; p *= 2)
    g_string_append_printf (text, ",%d", p);
  if (cpus > 1)
    g_string_append_printf (text, ",%d", cpus);
  return g_string_free (text, FALSE);
}

static GtkWidget *
caption (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  return label;
}

void
_plab_window_sweep_init (PlabWindow *self)
{
  g_autofree char *counts = default_counts ();
  GtkWidget *heading, *grid, *backends;

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->sweep_box), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (self->sweep_box, 6);
  gtk_widget_add_css_class (GTK_WIDGET (self->sweep_box), "sweep-box");
  heading = caption ("Sweep");
  gtk_widget_add_css_class (heading, "heading");
  gtk_widget_add_css_class (heading, "section-heading");
  gtk_box_append (self->sweep_box, heading);

  /* Captions above their fields and backends that wrap: the setup pane
   * stays narrow enough for presentation mode's large type. */
  self->sweep_controls = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_attach (GTK_GRID (grid), caption ("Workers"), 0, 0, 1, 1);
  self->sweep_counts_entry = GTK_ENTRY (gtk_entry_new ());
  gtk_editable_set_text (GTK_EDITABLE (self->sweep_counts_entry), counts);
  gtk_editable_set_width_chars (GTK_EDITABLE (self->sweep_counts_entry), 6);
  gtk_widget_set_hexpand (GTK_WIDGET (self->sweep_counts_entry), TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->sweep_counts_entry),
                               "The worker counts to run, separated by commas: 1,2,4");
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->sweep_counts_entry), 1, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), caption ("Repeats"), 0, 1, 1, 1);
  self->repeat_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (1, SWEEP_MAX_REPEATS, 1));
  gtk_spin_button_set_value (self->repeat_spin, SWEEP_DEFAULT_REPEATS);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->repeat_spin),
                               "How often each configuration runs: the charts show the median "
                               "and the spread");
  gtk_widget_set_halign (GTK_WIDGET (self->repeat_spin), GTK_ALIGN_START);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->repeat_spin), 1, 1, 1, 1);
  gtk_box_append (GTK_BOX (self->sweep_controls), grid);

  backends = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (backends), GTK_SELECTION_NONE);
  gtk_flow_box_set_min_children_per_line (GTK_FLOW_BOX (backends), 2);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (backends), PLAB_BACKEND_MPI + 1);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (backends), 4);
  for (int b = PLAB_BACKEND_SERIAL; b <= PLAB_BACKEND_MPI; b++)
    {
      self->sweep_checks[b]
          = GTK_CHECK_BUTTON (gtk_check_button_new_with_label (plab_backend_name ((PlabBackend)b)));
      g_signal_connect_swapped (self->sweep_checks[b], "toggled", G_CALLBACK (sweep_changed_cb),
                                self);
      gtk_flow_box_append (GTK_FLOW_BOX (backends), GTK_WIDGET (self->sweep_checks[b]));
    }
  gtk_box_append (GTK_BOX (self->sweep_controls), backends);
  gtk_box_append (self->sweep_box, self->sweep_controls);

  self->sweep_reason = GTK_LABEL (caption (""));
  gtk_label_set_wrap (self->sweep_reason, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->sweep_reason), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->sweep_reason), "caption");
  gtk_widget_set_visible (GTK_WIDGET (self->sweep_reason), FALSE);
  gtk_box_append (self->sweep_box, GTK_WIDGET (self->sweep_reason));

  g_signal_connect_swapped (self->sweep_counts_entry, "changed", G_CALLBACK (sweep_changed_cb),
                            self);
  g_signal_connect_swapped (self->repeat_spin, "value-changed", G_CALLBACK (sweep_changed_cb),
                            self);
}
