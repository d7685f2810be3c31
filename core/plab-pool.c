/* plab-pool.c */
#include "plab.h"
