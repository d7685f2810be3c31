/* plab-demo-registry.c */
#include "plab-demo.h"
