/* plab-store.c */
#include "plab.h"
