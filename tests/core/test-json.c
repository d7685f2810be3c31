/* test-json.c: core's JSON reader and writer (core/plab-json.h). */
#include <glib.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plab-json.h"

static void
test_parse (void)
{
  char err[128];
  PlabJson *j = plab_json_parse (" {\"a\": [1, -2.5e3, true, null], \"s\": "
                                 "\"x\\\"y\\u00e9\\ud83d\\ude00\", \"o\": {}} ",
                                 err, sizeof err);

  g_assert_nonnull (j);
  g_assert_cmpint (j->type, ==, PLAB_JSON_OBJECT);
  g_assert_cmpuint (plab_json_length (j), ==, 3);
  g_assert_cmpfloat (plab_json_number (plab_json_at (plab_json_get (j, "a"), 1), 0), ==, -2500);
  g_assert_true (plab_json_at (plab_json_get (j, "a"), 2)->boolean);
  g_assert_cmpint (plab_json_at (plab_json_get (j, "a"), 3)->type, ==, PLAB_JSON_NULL);
  g_assert_null (plab_json_at (plab_json_get (j, "a"), 4));
  g_assert_cmpstr (plab_json_string (plab_json_get (j, "s"), NULL), ==,
                   "x\"y\xc3\xa9\xf0\x9f\x98\x80");
  g_assert_cmpint (plab_json_get (j, "o")->type, ==, PLAB_JSON_OBJECT);
  g_assert_null (plab_json_get (j, "missing"));
  g_assert_null (plab_json_get (plab_json_get (j, "missing"), "deeper"));
  /* Member order is kept. */
  g_assert_cmpstr (j->children[0].key, ==, "a");
  g_assert_cmpstr (j->children[2].key, ==, "o");
  plab_json_free (j);
}

static void
test_reject (void)
{
  const char *bad[]
      = { "",    "{",     "[1,]",    "{\"a\" 1}", "01",         "1.",          "-",    "+1",
          "nul", "\"abc", "\"\\x\"", "[1] 2",     "{\"a\":1,}", "\"\\ud800\"", "0x10", "\"a\tb\"" };
  char nested[200];
  char err[128];

  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      PlabJson *j = plab_json_parse (bad[i], err, sizeof err);
      if (j != NULL)
        g_error ("accepted bad JSON: %s", bad[i]);
      g_assert_nonnull (strstr (err, "offset"));
    }
  /* Deeper than the limit is refused rather than overflowing the stack. */
  memset (nested, '[', sizeof nested - 1);
  nested[sizeof nested - 1] = '\0';
  g_assert_null (plab_json_parse (nested, err, sizeof err));
  g_assert_nonnull (strstr (err, "deep"));
}

static void
test_format (void)
{
  PlabJson *j = plab_json_parse ("[3, 0.125, \"t\", false, [1,2]]", NULL, 0);
  char buf[64];

  plab_json_format_value (plab_json_at (j, 0), buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "3");
  plab_json_format_value (plab_json_at (j, 1), buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "0.125");
  plab_json_format_value (plab_json_at (j, 2), buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "t");
  plab_json_format_value (plab_json_at (j, 3), buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "false");
  plab_json_format_value (plab_json_at (j, 4), buf, sizeof buf);
  g_assert_cmpstr (buf, ==, "[2 items]");
  plab_json_free (j);
}

/* Takes what @buf holds, which must not have run out of memory. */
static char *
written (PlabBuf *buf)
{
  char *text = plab_buf_steal (buf);

  g_assert_nonnull (text);
  return text;
}

static void
test_write_string (void)
{
  PlabBuf buf;
  char *text;
  PlabJson *back;

  plab_buf_init (&buf);
  plab_json_write_string (&buf, "a\"b\\c\n\t\x01 \xc3\xa9");
  text = written (&buf);
  g_assert_cmpstr (text, ==, "\"a\\\"b\\\\c\\n\\t\\u0001 \xc3\xa9\"");
  back = plab_json_parse (text, NULL, 0);
  g_assert_nonnull (back);
  g_assert_cmpstr (plab_json_string (back, NULL), ==, "a\"b\\c\n\t\x01 \xc3\xa9");
  plab_json_free (back);
  free (text);

  /* Bytes that are not UTF-8 (a stray continuation byte, a character cut
   * short, an overlong form) become U+FFFD, so the output stays valid. */
  plab_json_write_string (&buf, "x\x80y\xc3\xf0\x9f\x98z\xc0\xaf");
  text = written (&buf);
  g_assert_true (plab_utf8_valid (text));
  g_assert_cmpstr (text, ==,
                   "\"x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz"
                   "\xef\xbf\xbd\xef\xbf\xbd\"");
  free (text);

  plab_json_write_string (&buf, NULL);
  text = written (&buf);
  g_assert_cmpstr (text, ==, "null");
  free (text);
}

static void
test_write_numbers (void)
{
  PlabBuf buf;
  double values[] = { 1.5, 1e-7, NAN };
  char *text;

  plab_buf_init (&buf);
  plab_json_write_number (&buf, 42);
  plab_buf_append (&buf, " ");
  plab_json_write_number (&buf, 0.1);
  plab_buf_append (&buf, " ");
  plab_json_write_number (&buf, INFINITY);
  plab_buf_append (&buf, " ");
  plab_json_write_digits (&buf, 3.14159265358979, 9);
  plab_buf_append (&buf, " ");
  plab_json_write_numbers (&buf, values, 3);
  text = written (&buf);
  g_assert_cmpstr (text, ==, "42 0.10000000000000001 null 3.14159265 [1.5, 1e-07, null]");
  free (text);

  /* A locale with a decimal comma (where one is installed) changes nothing. */
  if (setlocale (LC_NUMERIC, "de_DE.UTF-8") != NULL
      || setlocale (LC_NUMERIC, "fr_FR.UTF-8") != NULL)
    {
      plab_json_write_short (&buf, 2.5);
      text = written (&buf);
      g_assert_cmpstr (text, ==, "2.5");
      free (text);
      setlocale (LC_NUMERIC, "C");
    }
}

static void
test_write_object (void)
{
  PlabBuf buf;
  char *text;

  g_assert_true (plab_json_is_object ("  {\"a\": [1, 2]}"));
  g_assert_false (plab_json_is_object ("[1]"));
  g_assert_false (plab_json_is_object ("{\"a\": 1"));
  g_assert_false (plab_json_is_object ("{\"a\": \"\xff\"}"));
  g_assert_false (plab_json_is_object (NULL));

  plab_buf_init (&buf);
  plab_json_write_object (&buf, " {\"k\": true}");
  plab_buf_append (&buf, ",");
  plab_json_write_object (&buf, "{broken");
  text = written (&buf);
  g_assert_cmpstr (text, ==, "{\"k\": true},{}");
  free (text);
}

static void
test_utf8_boundaries (void)
{
  const unsigned char e_acute[] = { 0xc3, 0xa9, 0 };
  const unsigned char emoji[] = { 0xf0, 0x9f, 0x98, 0x80, 0 };
  const unsigned char surrogate[] = { 0xed, 0xa0, 0x80, 0 };

  g_assert_cmpuint (plab_utf8_sequence_length ((const unsigned char *)"a"), ==, 1);
  g_assert_cmpuint (plab_utf8_sequence_length (e_acute), ==, 2);
  g_assert_cmpuint (plab_utf8_sequence_length (e_acute + 1), ==, 0);
  g_assert_cmpuint (plab_utf8_sequence_length (emoji), ==, 4);
  g_assert_cmpuint (plab_utf8_sequence_length (surrogate), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/json/parse", test_parse);
  g_test_add_func ("/plab/json/reject", test_reject);
  g_test_add_func ("/plab/json/format", test_format);
  g_test_add_func ("/plab/json/write-string", test_write_string);
  g_test_add_func ("/plab/json/write-numbers", test_write_numbers);
  g_test_add_func ("/plab/json/write-object", test_write_object);
  g_test_add_func ("/plab/json/utf8-boundaries", test_utf8_boundaries);
  return g_test_run ();
}
