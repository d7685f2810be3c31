/* plab-trace.c */
#include "plab.h"
