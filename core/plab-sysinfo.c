/* plab-sysinfo.c */
#include "plab.h"
