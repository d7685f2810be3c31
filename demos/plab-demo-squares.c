/* plab-demo-squares.c */
#include "plab-demo.h"
