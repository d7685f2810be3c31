/* plab-window-mpi.c: the mpi backend in the window: whether this plab can
 * run it (built with Open MPI, mpirun on PATH) and the optional host file
 * that goes to the runner as --hosts, for Run and for a Sweep that checks
 * mpi. */
#include "plab-window-private.h"

#include <errno.h>
#include <unistd.h>

const char *
_plab_window_mpi_unavailable (void)
{
#ifdef PLAB_HAVE_MPI
  static char *mpirun = NULL;
  static gboolean looked = FALSE;

  /* PATH does not change under a running window: look once. */
  if (!looked)
    {
      mpirun = g_find_program_in_path ("mpirun");
      looked = TRUE;
    }
  if (mpirun == NULL)
    return "Unavailable: mpirun not found: install Open MPI (Debian: apt install openmpi-bin)";
  return NULL;
#else
  return "Unavailable: this plab was built without Open MPI (install libopenmpi-dev and "
         "openmpi-bin, then rebuild)";
#endif
}

/* Whether the run (or the sweep) about to start uses the mpi backend. */
static gboolean
uses_mpi (PlabWindow *self, gboolean sweep)
{
  if (sweep)
    return self->sweep_checks[PLAB_BACKEND_MPI] != NULL
           && _plab_window_sweep_has_backend (self, PLAB_BACKEND_MPI);
  return !g_strcmp0 (_plab_window_selected_backend (self), plab_backend_name (PLAB_BACKEND_MPI));
}

gboolean
_plab_window_mpi_ready (PlabWindow *self, gboolean sweep, char **why)
{
  const char *hosts = gtk_editable_get_text (GTK_EDITABLE (self->hosts_entry));
  const char *unavailable = _plab_window_mpi_unavailable ();

  *why = NULL;
  if (!uses_mpi (self, sweep))
    return TRUE;
  if (unavailable != NULL)
    {
      *why = g_strdup (unavailable);
      return FALSE;
    }
  if (hosts[0] != '\0' && access (hosts, R_OK) != 0)
    {
      *why = g_strdup_printf ("Cannot read the host file '%s': %s", hosts, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

void
_plab_window_mpi_add_args (PlabWindow *self, GStrvBuilder *builder, gboolean sweep)
{
  const char *hosts = gtk_editable_get_text (GTK_EDITABLE (self->hosts_entry));

  if (uses_mpi (self, sweep) && hosts[0] != '\0')
    g_strv_builder_add_many (builder, "--hosts", hosts, NULL);
}

/* The host file row shows while mpi is the backend or among the sweep's;
 * what is wrong with it is said under it. */
void
_plab_window_mpi_update (PlabWindow *self)
{
  g_autofree char *why = NULL;
  gboolean run = uses_mpi (self, FALSE), sweep = uses_mpi (self, TRUE);
  gboolean ok = _plab_window_mpi_ready (self, run ? FALSE : TRUE, &why);

  gtk_widget_set_visible (self->hosts_row, run || sweep);
  gtk_label_set_text (self->hosts_help, ok ? "Open MPI's host file; empty: this machine" : why);
  _plab_widget_set_css_class (GTK_WIDGET (self->hosts_entry), "error", !ok);
}

static void
hosts_changed_cb (PlabWindow *self)
{
  _plab_window_mpi_update (self);
  _plab_window_update_command_line (self);
  _plab_window_update_actions (self);
}

void
_plab_window_mpi_init (PlabWindow *self)
{
  g_signal_connect_swapped (self->hosts_entry, "changed", G_CALLBACK (hosts_changed_cb), self);
}
