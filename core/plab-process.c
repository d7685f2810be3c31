/* plab-process.c */
#include "plab.h"
