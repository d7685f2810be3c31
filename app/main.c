/* main.c: plab's entry point. Everything happens in plab-cli.c; a child
 * started by the spawn method runs its task in plab_spawn_main () instead. */
#include "plab-cli.h"
#include "plab-start.h"

int
main (int argc, char **argv)
{
  plab_spawn_main (argc, argv);
  return plab_cli_main (argc, argv);
}
