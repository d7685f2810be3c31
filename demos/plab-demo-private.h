/* plab-demo-private.h: helpers shared by the demos (not part of the contract).
 *
 * Demos are built on core/ only, so they have no GLib to write JSON with. A
 * PlabBuf is a growable NUL-terminated string; the _plab_json_* functions
 * append JSON to it. A buffer that failed to grow remembers it (oom) and
 * ignores later appends, so a writer checks once at the end.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plab-demo.h"

typedef struct
{
  char *data;
  size_t len;
  size_t cap;
  bool oom;
} PlabBuf;

void _plab_buf_init (PlabBuf *buf);
void _plab_buf_clear (PlabBuf *buf);
void _plab_buf_append (PlabBuf *buf, const char *text);
void _plab_buf_printf (PlabBuf *buf, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Takes the string out of @buf (NULL when it ran out of memory). */
char *_plab_buf_steal (PlabBuf *buf);

/* Appends @text as a quoted JSON string. */
void _plab_json_string (PlabBuf *buf, const char *text);

/* Appends a number: integers without a fraction, others with enough digits to
 * read back the same double; NaN and infinities (not JSON) as null. */
void _plab_json_number (PlabBuf *buf, double value);

/* The demos' descriptors, listed by plab-demo-registry.c. */
extern const PlabDemo plab_demo_squares;
