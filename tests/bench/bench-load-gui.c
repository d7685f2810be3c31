/* bench-load-gui.c: how the lab window takes a big recorded run.
 *
 *   bench-load-gui DB [--screenshot FILE] [--seconds S] [--live N]
 *
 * Opens the window on the run store DB (on a private Xvfb when there is no
 * display), as `plab --db DB` does: it shows the newest run. Prints how long
 * opening the window took on the main thread, how long the run took to load
 * (in a worker thread), how often and how far apart the main loop ran
 * meanwhile, the memory of the process and of the timeline's data set, and
 * how long frames of the timeline take to draw, whole and zoomed in. With
 * --screenshot, saves the window as a PNG once it has settled. With --live N,
 * it then runs squares with N items on the serial backend from the window
 * (the runner streams every span to it live) and prints how far apart the
 * main loop ran while the run went on. A benchmark:
 * it measures and prints, and asserts nothing.
 */
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>

#include "gui-test-util.h"
#include "tmp-test-util.h"
#include "app-test-util.h"
#include "plab-application.h"
#include "plab-window-private.h"

#define TICK_MS 5
#define LOAD_TIMEOUT_MS (10 * 60 * 1000)

/* VmRSS or VmHWM of this process, in MB. */
static double
status_mb (const char *key)
{
  g_autofree char *text = NULL;
  const char *at;

  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL)
      || (at = strstr (text, key)) == NULL)
    return -1;
  return g_ascii_strtod (at + strlen (key) + 1, NULL) / 1024.0;
}

/* Milliseconds to draw the timeline widget once, as the screen would. */
static double
frame_ms (GtkWidget *widget)
{
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (GdkTexture) texture = gui_test_render (widget);

  return (g_get_monotonic_time () - t0) / 1e3;
}

int
main (int argc, char **argv)
{
  g_autofree char *screenshot = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new ("DB");
  PlabApplication *app;
  PlabWindow *window;
  PlabTimelineData *data;
  GtkWidget *timeline;
  AppTestWatch watch = { 0 };
  double seconds = 1;
  int live = 0;
  gint64 t0, t_open, t_loaded;
  guint tick;
  GOptionEntry entries[] = {
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &screenshot, "Save the window as PNG", "FILE" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Settle this long before the screenshot",
      "S" },
    { "live", 0, 0, G_OPTION_ARG_INT, &live, "Then run squares with N items from the window", "N" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      fprintf (stderr, "usage: bench-load-gui DB [--screenshot FILE] [--seconds S]\n");
      return 2;
    }
  if (!gui_test_init ())
    {
      fprintf (stderr, "bench-load-gui: %s\n", gui_test_skip_reason);
      return 1;
    }

  printf ("before the window: VmRSS %.0f MB\n", status_mb ("VmRSS:"));
  tick = g_timeout_add (TICK_MS, app_test_watch_tick_cb, &watch);
  t0 = g_get_monotonic_time ();
  window = app_test_open_window (argv[1], 1440, 900, &app);
  t_open = g_get_monotonic_time () - t0;
  watch.window = window;
  printf ("window open on the main thread: %.0f ms (loading: %s)\n", t_open / 1e3,
          plab_window_is_loading (window) ? "yes" : "no");

  if (!gui_test_wait (app_test_loaded_cond, window, LOAD_TIMEOUT_MS))
    {
      fprintf (stderr, "bench-load-gui: still loading after %d s\n", LOAD_TIMEOUT_MS / 1000);
      return 1;
    }
  t_loaded = g_get_monotonic_time () - t0;
  g_source_remove (tick);
  timeline = GTK_WIDGET (window->timeline_view);
  data = plab_timeline_view_get_data (window->timeline_view);
  printf ("run %" G_GINT64_FORMAT " loaded in %.2f s: %zu spans, %d lanes\n",
          plab_window_get_shown_run (window), t_loaded / 1e6,
          data ? plab_timeline_data_n_spans (data) : 0,
          data ? plab_timeline_data_n_lanes (data) : 0);
  printf ("main loop while loading: ran %u times (every %d ms asked), longest gap %.0f ms\n",
          watch.ticks, TICK_MS, watch.max_gap_us / 1e3);
  if (data != NULL)
    printf ("timeline data set: %.0f MB, %.1f bytes a span\n",
            plab_timeline_data_memory (data) / 1e6,
            (double)plab_timeline_data_memory (data) / MAX (1, plab_timeline_data_n_spans (data)));
  printf ("process: VmRSS %.0f MB, peak VmHWM %.0f MB\n", status_mb ("VmRSS:"),
          status_mb ("VmHWM:"));

  gui_test_spin (300);
  if (data != NULL && gtk_widget_get_width (timeline) > 0)
    {
      double whole = frame_ms (timeline), zoomed;

      plab_timeline_view_zoom (window->timeline_view, 64, -1);
      gui_test_spin (50);
      zoomed = frame_ms (timeline);
      printf ("timeline frame (%d px wide): whole run %.1f ms, zoomed in 64x %.1f ms\n",
              gtk_widget_get_width (timeline), whole, zoomed);
      plab_timeline_view_reset_zoom (window->timeline_view);
    }

  if (screenshot != NULL)
    {
      g_autoptr (GdkTexture) shot = NULL;

      gui_test_spin ((guint)(seconds * 1000));
      shot = gui_test_render (GTK_WIDGET (window));
      if (!gdk_texture_save_to_png (shot, screenshot))
        fprintf (stderr, "bench-load-gui: cannot write %s\n", screenshot);
      else
        printf ("screenshot: %s\n", screenshot);
    }
  if (live > 0)
    {
      AppTestWatch running = { window, TRUE, 0, 0, 0 };
      gint64 t_run;
      guint run_tick;

      plab_window_select_demo (window, "squares");
      for (guint i = 0; i < window->backend_names->len; i++)
        if (!g_strcmp0 (g_ptr_array_index (window->backend_names, i), "serial"))
          gtk_drop_down_set_selected (window->backend_dropdown, i);
      app_test_set_param (window, "n", live);
      app_test_set_param (window, "work", 0);
      run_tick = g_timeout_add (TICK_MS, app_test_watch_tick_cb, &running);
      t_run = g_get_monotonic_time ();
      gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
      gui_test_wait (app_test_running_cond, window, 10000);
      gui_test_wait (app_test_idle_cond, window, LOAD_TIMEOUT_MS);
      g_source_remove (run_tick);
      data = plab_timeline_view_get_data (window->timeline_view);
      printf ("live run of %d spans from the window: %.2f s until shown from the store; main "
              "loop ran %u times while it ran, longest gap %.0f ms; %zu spans shown\n",
              live, (g_get_monotonic_time () - t_run) / 1e6, running.ticks,
              running.max_gap_us / 1e3, data ? plab_timeline_data_n_spans (data) : 0);
      printf ("process: VmRSS %.0f MB, peak VmHWM %.0f MB\n", status_mb ("VmRSS:"),
              status_mb ("VmHWM:"));
    }

  gtk_window_destroy (GTK_WINDOW (window));
  gui_test_spin (100);
  g_object_unref (app);
  return 0;
}
