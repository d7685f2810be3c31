/* plab-mem.h: freeing the owned fields of a record in one call.
 *
 * A record the library hands out (a run, a machine, a chart's data) owns a
 * handful of strings and arrays; its free function releases them all:
 *
 *   PLAB_FREE_ALL (record->host, record->os, record);
 *
 * frees each pointer in the order given (NULL ones are skipped, as free ()
 * skips them), so the record itself comes last.
 */
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Frees each of the @n pointers of @ptrs, in order. */
void plab_free_all (void *const *ptrs, size_t n);

/* The pointers are listed once; sizeof does not evaluate them again. */
#define PLAB_FREE_ALL(...)                                                                         \
  plab_free_all ((void *const[]){ __VA_ARGS__ },                                                   \
                 sizeof ((void *const[]){ __VA_ARGS__ }) / sizeof (void *))

#ifdef __cplusplus
}
#endif
