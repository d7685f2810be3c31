/* xtest-test-util.h: real key presses for the window tests.
 *
 * Programs built with PLAB_HAVE_XTEST (meson finds libXtst) press keys
 * through the XTest extension of the X server, as a user's keyboard would;
 * without it xtest_press_accel () says so and the test activates the action
 * the key is bound to instead.
 */
#pragma once

#include <gdk/x11/gdkx.h>
#include <gtk/gtk.h>

#ifdef PLAB_HAVE_XTEST
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>
#endif

#include "gui-test-util.h"

/* The X window of @widget's toplevel surface. */
static G_GNUC_UNUSED gulong
xtest_window_xid (GtkWidget *widget)
{
  return gdk_x11_surface_get_xid (gtk_native_get_surface (gtk_widget_get_native (widget)));
}

#ifdef PLAB_HAVE_XTEST
static void
xtest_modifiers (Display *xdpy, GdkModifierType mods, Bool down)
{
  if (mods & GDK_CONTROL_MASK)
    XTestFakeKeyEvent (xdpy, XKeysymToKeycode (xdpy, XK_Control_L), down, 0);
  if (mods & GDK_SHIFT_MASK)
    XTestFakeKeyEvent (xdpy, XKeysymToKeycode (xdpy, XK_Shift_L), down, 0);
  if (mods & GDK_ALT_MASK)
    XTestFakeKeyEvent (xdpy, XKeysymToKeycode (xdpy, XK_Alt_L), down, 0);
}
#endif

/* Presses @accel ("<Control>r", "Escape") on the X window @xid through
 * XTest, after giving that window the focus (no window manager runs under
 * Xvfb). FALSE when there is no XTest to press it with. */
static G_GNUC_UNUSED gboolean
xtest_press_accel (gulong xid, const char *accel)
{
#ifdef PLAB_HAVE_XTEST
  Display *xdpy = gdk_x11_display_get_xdisplay (gdk_display_get_default ());
  int event_base, error_base, major, minor;
  guint keyval;
  GdkModifierType mods;
  KeyCode key;

  if (!XTestQueryExtension (xdpy, &event_base, &error_base, &major, &minor)
      || !gtk_accelerator_parse (accel, &keyval, &mods))
    return FALSE;
  key = XKeysymToKeycode (xdpy, keyval);
  gdk_x11_display_error_trap_push (gdk_display_get_default ());
  XRaiseWindow (xdpy, xid);
  XSetInputFocus (xdpy, xid, RevertToParent, CurrentTime);
  XSync (xdpy, False);
  gdk_x11_display_error_trap_pop_ignored (gdk_display_get_default ());
  gui_test_spin (100);
  xtest_modifiers (xdpy, mods, True);
  XTestFakeKeyEvent (xdpy, key, True, 0);
  XTestFakeKeyEvent (xdpy, key, False, 0);
  xtest_modifiers (xdpy, mods, False);
  XSync (xdpy, False);
  return TRUE;
#else
  return FALSE;
#endif
}
