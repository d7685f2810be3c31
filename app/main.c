/* main.c: plab's entry point. Everything happens in plab-cli.c. */
#include "plab-cli.h"

int
main (int argc, char **argv)
{
  return plab_cli_main (argc, argv);
}
