/* plab-json-writer.c: JSON writing helpers of the command line. */
#include "plab-json-writer.h"

#include <math.h>

#include "plab-json.h"

void
plab_json_append_string (GString *out, const char *text)
{
  g_autofree char *valid = NULL;

  if (text == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  /* JSON is UTF-8. Text read from a run store can be anything (the file is
   * anyone's to edit): bytes that are not UTF-8 become U+FFFD. */
  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);
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
  PlabJson *parsed = NULL;
  gboolean object;

  while (p && g_ascii_isspace (*p))
    p++;
  /* Starting with a brace is not enough: a damaged or edited store may hold
   * any text here, and what is written must stay valid JSON. */
  object = p != NULL && *p == '{' && g_utf8_validate (p, -1, NULL)
           && (parsed = plab_json_parse (p, NULL, 0)) != NULL && parsed->type == PLAB_JSON_OBJECT;
  plab_json_free (parsed);
  g_string_append (out, object ? p : "{}");
}
