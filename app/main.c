/* main.c: plab's entry point. */
#include <stdio.h>

int
main (int argc,
      char **argv)
{
  printf ("plab\n");
  return 0;
}
