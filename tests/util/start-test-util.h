/* start-test-util.h: running the tests of processes and pools again under
 * the spawn and forkserver start methods.
 *
 * A test reads test_start_method when it makes a process or a pool; the
 * fork run keeps its usual path, and start_test_add () adds the same
 * function under /PREFIX/spawn/NAME and /PREFIX/forkserver/NAME.
 */
#pragma once

#include <glib.h>

#include "plab.h"

static PlabStartMethod test_start_method = PLAB_START_FORK;

typedef struct
{
  PlabStartMethod method;
  GTestFunc func;
} StartTestCase;

static G_GNUC_UNUSED void
start_test_run (gconstpointer data)
{
  const StartTestCase *c = data;

  test_start_method = c->method;
  c->func ();
  test_start_method = PLAB_START_FORK;
}

/* Adds @func as /@prefix/@name under fork, and under spawn and forkserver. */
static G_GNUC_UNUSED void
start_test_add (const char *prefix, const char *name, GTestFunc func)
{
  char *path = g_strdup_printf ("/%s/%s", prefix, name);

  g_test_add_func (path, func);
  g_free (path);
  for (int m = PLAB_START_SPAWN; m < PLAB_N_START_METHODS; m++)
    {
      StartTestCase *c = g_new (StartTestCase, 1);
      c->method = (PlabStartMethod)m;
      c->func = func;
      path = g_strdup_printf ("/%s/%s/%s", prefix, plab_start_method_name (c->method), name);
      g_test_add_data_func_full (path, c, start_test_run, g_free);
      g_free (path);
    }
}
