/* plab-json-writer.c: JSON writing helpers of the command line. */
#include "plab-json-writer.h"

#include <math.h>

void
plab_json_append_string (GString *out, const char *text)
{
  if (text == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *)text; *p; p++)
    {
      switch (*p)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (*p < 0x20)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, (char)*p);
        }
    }
  g_string_append_c (out, '"');
}

void
plab_json_append_double (GString *out, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }
  /* g_ascii_formatd ignores the locale: a decimal comma would break JSON. */
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.9g", value));
}

void
plab_json_append_object (GString *out, const char *json)
{
  const char *p = json;

  while (p && g_ascii_isspace (*p))
    p++;
  if (p && *p == '{')
    g_string_append (out, p);
  else
    g_string_append (out, "{}");
}
