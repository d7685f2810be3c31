/* plab-json-writer.c: core's JSON writer on a GString (see the header). */
#include "plab-json-writer.h"

#include <math.h>

#include "plab-json.h"

/* Hands what @buf holds over to @out: a writer that ran out of memory wrote
 * nothing, and GLib aborts on out of memory anyway. */
static void
append_buf (GString *out, PlabBuf *buf)
{
  if (buf->data != NULL)
    g_string_append_len (out, buf->data, (gssize)buf->len);
  plab_buf_clear (buf);
}

/* Runs @write, a call of one of core's writers on the scratch buffer buf,
 * and appends what it wrote to @out. */
#define APPEND_WRITTEN(out, write)                                                                 \
  do                                                                                               \
    {                                                                                              \
      PlabBuf buf;                                                                                 \
                                                                                                   \
      plab_buf_init (&buf);                                                                        \
      write;                                                                                       \
      append_buf ((out), &buf);                                                                    \
    }                                                                                              \
  while (0)

void
plab_json_append_string (GString *out, const char *text)
{
  APPEND_WRITTEN (out, plab_json_write_string (&buf, text));
}

void
plab_json_append_double (GString *out, double value)
{
  APPEND_WRITTEN (out, plab_json_write_digits (&buf, value, 9));
}

void
plab_json_append_string_member (GString *out, const char *key, const char *text)
{
  g_string_append_printf (out, ",\"%s\":", key);
  plab_json_append_string (out, text);
}

void
plab_json_append_double_member (GString *out, const char *key, double value)
{
  g_string_append_printf (out, ",\"%s\":", key);
  plab_json_append_double (out, value);
}

void
plab_json_append_object (GString *out, const char *json)
{
  APPEND_WRITTEN (out, plab_json_write_object (&buf, json));
}

void
plab_json_append_machine_load (GString *out, const PlabMachineLoad *load)
{
  char note[256];

  if (load == NULL || !load->measured)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_printf (out, "{\"busy\":%s,\"load_avg_1m\":",
                          plab_machine_load_is_busy (load) ? "true" : "false");
  plab_json_append_double (out, load->load_avg >= 0 ? load->load_avg : NAN);
  g_string_append_printf (out, ",\"cpus\":%d,\"others_share\":", load->cpus);
  plab_json_append_double (out, load->others_share);
  g_string_append (out, ",\"steal_share\":");
  plab_json_append_double (out, load->steal_share);
  g_string_append (out, ",\"note\":");
  plab_json_append_string (out, plab_machine_load_describe (load, note, sizeof note));
  g_string_append_c (out, '}');
}
