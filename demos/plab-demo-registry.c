/* plab-demo-registry.c: the list of demos the lab offers.
 *
 * A demo joins the lab by adding its descriptor to the table below; the
 * command line, the GUI and the tests all find demos here and nowhere else.
 */
#include "plab-demo-private.h"

#include <string.h>

/* In the order the lab lists them: the first pool, the four classics, then
 * the finer points in the order of the catalogue in DESIGN.md. */
/* clang-format off */
static const PlabDemo *const demos[] = {
  &plab_demo_squares,
  &plab_demo_chef,
  &plab_demo_cars,
  &plab_demo_kde,
  &plab_demo_list_append,
  &plab_demo_sleepers,
  &plab_demo_counter,
  &plab_demo_pipe,
  &plab_demo_pool_vs_process,
  &plab_demo_barrier,
  &plab_demo_amdahl,
  &plab_demo_deadlock,
  &plab_demo_futures,
  &plab_demo_shared,
  &plab_demo_print,
  &plab_demo_lifecycle,
  &plab_demo_messages,
  &plab_demo_start_methods,
  &plab_demo_manager,
};
/* clang-format on */

const PlabDemo *const *
plab_demos (size_t *n_out)
{
  if (n_out)
    *n_out = sizeof demos / sizeof demos[0];
  return demos;
}

const PlabDemo *
plab_demo_find (const char *name)
{
  if (name == NULL)
    return NULL;
  for (size_t i = 0; i < sizeof demos / sizeof demos[0]; i++)
    if (!strcmp (demos[i]->name, name))
      return demos[i];
  return NULL;
}

int
plab_demo_param_index (const PlabDemo *demo, const char *name)
{
  if (demo == NULL || name == NULL)
    return -1;
  for (size_t i = 0; i < demo->n_params; i++)
    if (!strcmp (demo->params[i].name, name))
      return (int)i;
  return -1;
}
