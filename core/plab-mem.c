/* plab-mem.c: freeing the owned fields of a record in one call. */
#include "plab-mem.h"

#include <stdlib.h>

void
plab_free_all (void *const *ptrs, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (ptrs[i]);
}
