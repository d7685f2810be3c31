/* plab-cli.h: the command line of plab. */
#pragma once

/* Runs `plab ARGS...` and returns the exit status. */
int plab_cli_main (int argc, char **argv);
