/* plab-chart-style.c */
#include <cairo.h>
