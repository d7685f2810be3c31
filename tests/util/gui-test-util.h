/* gui-test-util.h: a display for the GUI and widget tests.
 *
 * GUI tests need an X server. When $DISPLAY is unset, gui_test_init () starts
 * a private Xvfb (which picks a free display number and reports it through
 * -displayfd) and stops it when the program exits, so the tests run the same
 * under `meson test`, in CI and on a desktop. When no server can be had, every
 * test of the program is skipped, and TAP says so.
 */
#pragma once

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define GUI_TEST_XVFB_TIMEOUT_MS 10000

static GSubprocess *gui_test_xvfb;
static char *gui_test_skip_reason;
static gboolean gui_test_have_display;

static G_GNUC_UNUSED void
gui_test_stop_xvfb (void)
{
  if (gui_test_xvfb != NULL)
    {
      g_subprocess_send_signal (gui_test_xvfb, SIGTERM);
      g_subprocess_wait (gui_test_xvfb, NULL, NULL);
      g_clear_object (&gui_test_xvfb);
    }
}

/* In the forked child, before exec: the X server goes when the test goes,
 * even when the test aborts and its atexit handler never runs. */
static void
gui_test_xvfb_dies_with_us (gpointer data)
{
  (void)data;
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Starts Xvfb on a free display and points $DISPLAY at it. */
static G_GNUC_UNUSED gboolean
gui_test_start_xvfb (char **reason)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *xvfb = g_find_program_in_path ("Xvfb");
  char buf[32] = "";
  size_t used = 0;
  int fds[2];
  struct pollfd pfd;

  if (xvfb == NULL)
    {
      *reason = g_strdup ("no DISPLAY and no Xvfb to start one");
      return FALSE;
    }
  if (pipe (fds) != 0)
    {
      *reason = g_strdup ("pipe failed");
      return FALSE;
    }
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                        | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  g_subprocess_launcher_set_child_setup (launcher, gui_test_xvfb_dies_with_us, NULL, NULL);
  gui_test_xvfb
      = g_subprocess_launcher_spawn (launcher, &error, xvfb, "-displayfd", "3", "-screen", "0",
                                     "1600x1000x24", "-nolisten", "tcp", "-nolisten", "unix", NULL);
  if (gui_test_xvfb == NULL)
    {
      /* Some Xvfb builds need the unix socket; retry with it. */
      g_clear_error (&error);
      gui_test_xvfb
          = g_subprocess_launcher_spawn (launcher, &error, xvfb, "-displayfd", "3", "-screen", "0",
                                         "1600x1000x24", "-nolisten", "tcp", NULL);
    }
  g_clear_object (&launcher); /* closes our copy of the write end */
  if (gui_test_xvfb == NULL)
    {
      close (fds[0]);
      *reason = g_strdup_printf ("cannot start Xvfb: %s", error->message);
      return FALSE;
    }

  /* Xvfb writes the display number and a newline once it accepts clients. */
  pfd.fd = fds[0];
  pfd.events = POLLIN;
  while (used < sizeof buf - 1 && strchr (buf, '\n') == NULL)
    {
      ssize_t n;
      if (poll (&pfd, 1, GUI_TEST_XVFB_TIMEOUT_MS) <= 0)
        break;
      n = read (fds[0], buf + used, sizeof buf - 1 - used);
      if (n <= 0)
        break;
      used += (size_t)n;
      buf[used] = '\0';
    }
  close (fds[0]);
  if (strchr (buf, '\n') == NULL)
    {
      gui_test_stop_xvfb ();
      *reason = g_strdup ("Xvfb did not report a display");
      return FALSE;
    }
  g_strchomp (buf);
  {
    g_autofree char *display = g_strdup_printf (":%s", buf);
    g_setenv ("DISPLAY", display, TRUE);
  }
  atexit (gui_test_stop_xvfb);
  return TRUE;
}

/* The session bus is not there under Xvfb, and GTK says so once with a
 * warning; that one warning is not a failure of the lab. */
static G_GNUC_UNUSED gboolean
gui_test_fatal_handler (const char *domain,
                        GLogLevelFlags level,
                        const char *message,
                        gpointer data)
{
  if (message != NULL
      && (strstr (message, "Unable to acquire session bus") != NULL
          || strstr (message, "accessibility bus") != NULL))
    return FALSE;
  return TRUE;
}

static gboolean
gui_test_open_display (void)
{
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_setenv ("NO_AT_BRIDGE", "1", TRUE);
  /* The cairo renderer draws the same pixels on every machine, GL or not. */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_unsetenv ("WAYLAND_DISPLAY");
  /* Each test starts the application anew in one process: off the session
   * bus (a desktop's, or one dbus-launch would start), so that no window of
   * an earlier test still holds the application's name or object path. */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "disabled:", TRUE);
  g_test_log_set_fatal_handler (gui_test_fatal_handler, NULL);

  if (g_getenv ("DISPLAY") == NULL || g_getenv ("DISPLAY")[0] == '\0')
    {
      if (!gui_test_start_xvfb (&gui_test_skip_reason))
        return FALSE;
    }
  if (!gtk_init_check ())
    {
      gui_test_skip_reason = g_strdup_printf ("cannot open display %s", g_getenv ("DISPLAY"));
      return FALSE;
    }
  return TRUE;
}

/* Call after g_test_init (). Returns FALSE (and the tests must skip) when
 * there is no display. */
static G_GNUC_UNUSED gboolean
gui_test_init (void)
{
  gui_test_have_display = gui_test_open_display ();
  return gui_test_have_display;
}

static G_GNUC_UNUSED void
gui_test_skip (gconstpointer data)
{
  g_test_skip (gui_test_skip_reason ? gui_test_skip_reason : "no display");
}

/* Adds a test after gui_test_init (): with no display, the test is still
 * listed, and skips saying why. */
static G_GNUC_UNUSED void
gui_test_add_vtable (const char *path,
                     gsize fixture_size,
                     GTestFixtureFunc setup,
                     GTestFixtureFunc func,
                     GTestFixtureFunc teardown)
{
  if (gui_test_have_display)
    g_test_add_vtable (path, fixture_size, NULL, setup, func, teardown);
  else
    g_test_add_data_func (path, NULL, gui_test_skip);
}

/* As g_test_add () and g_test_add_func (), for tests that need a display. */
#define gui_test_add(path, Fixture, setup, func, teardown)                                         \
  gui_test_add_vtable (path, sizeof (Fixture), (GTestFixtureFunc)(void (*) (void)) (setup),        \
                       (GTestFixtureFunc)(void (*) (void)) (func),                                 \
                       (GTestFixtureFunc)(void (*) (void)) (teardown))
#define gui_test_add_func(path, func)                                                              \
  gui_test_add_vtable (path, 0, NULL, (GTestFixtureFunc)(void (*) (void)) (func), NULL)

/* Runs the main loop until @cond (data) holds or @timeout_ms passes;
 * returns whether it held. */
static G_GNUC_UNUSED gboolean
gui_test_wait (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      /* Never block: the condition may change without any event (a file). */
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (5000);
    }
  return TRUE;
}

static G_GNUC_UNUSED gboolean
gui_test_true (gpointer data)
{
  return FALSE;
}

/* Lets the main loop run for @ms (redraws, timers). */
static G_GNUC_UNUSED void
gui_test_spin (guint ms)
{
  gui_test_wait (gui_test_true, NULL, ms);
}

/* Renders @widget as it is on screen into a texture. */
static G_GNUC_UNUSED GdkTexture *
gui_test_render (GtkWidget *widget)
{
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));

  g_assert_cmpint (w, >, 0);
  g_assert_cmpint (h, >, 0);
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  /* A widget between two frames may have nothing to draw yet: give it a few. */
  for (int tries = 0; node == NULL && tries < 50; tries++)
    {
      gui_test_wait (gui_test_true, NULL, 20);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, snapshot, w, h);
      node = gtk_snapshot_free_to_node (snapshot);
    }
  g_assert_nonnull (node);
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
}

/* How many distinct colours (of 4096 buckets) and what fraction of the pixels
 * differ from the commonest colour: a blank window has 1 and 0. */
static G_GNUC_UNUSED void
gui_test_texture_stats (GdkTexture *texture, guint *n_colours, double *non_background)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  gsize stride = (gsize)w * 4;
  g_autofree guchar *pixels = g_malloc (stride * h);
  g_autofree guint *buckets = g_new0 (guint, 4096);
  guint best = 0, distinct = 0;

  gdk_texture_download (texture, pixels, stride);
  for (int i = 0; i < w * h; i++)
    {
      const guchar *p = pixels + (gsize)i * 4;
      guint key = ((p[0] >> 4) << 8) | ((p[1] >> 4) << 4) | (p[2] >> 4);
      if (buckets[key]++ == 0)
        distinct++;
    }
  for (guint k = 0; k < 4096; k++)
    best = MAX (best, buckets[k]);
  *n_colours = distinct;
  *non_background = 1.0 - (double)best / (w * h);
}
