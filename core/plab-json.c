/* plab-json.c: a recursive-descent JSON parser into a tree. */
#include "plab-json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plab-mem.h"

typedef struct
{
  const char *text;
  const char *p;
  char *error;
  size_t error_len;
  bool failed;
} Parser;

static bool parse_value (Parser *ps, PlabJson *out, int depth);

static bool
fail (Parser *ps, const char *what)
{
  if (!ps->failed && ps->error != NULL && ps->error_len > 0)
    snprintf (ps->error, ps->error_len, "%s at offset %ld", what, (long)(ps->p - ps->text));
  ps->failed = true;
  return false;
}

static void
skip_space (Parser *ps)
{
  while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
    ps->p++;
}

static void
clear_node (PlabJson *json)
{
  for (size_t i = 0; i < json->n_children; i++)
    clear_node (&json->children[i]);
  PLAB_FREE_ALL (json->children, json->string, json->key);
  memset (json, 0, sizeof *json);
}

void
plab_json_free (PlabJson *json)
{
  if (json == NULL)
    return;
  clear_node (json);
  free (json);
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static bool
read_hex4 (Parser *ps, uint32_t *out)
{
  uint32_t v = 0;

  for (int i = 0; i < 4; i++)
    {
      int h = hex_value (ps->p[i]);
      if (h < 0)
        return fail (ps, "bad \\u escape");
      v = v * 16 + (uint32_t)h;
    }
  ps->p += 4;
  *out = v;
  return true;
}

static size_t
put_utf8 (char *out, uint32_t cp)
{
  if (cp < 0x80)
    {
      out[0] = (char)cp;
      return 1;
    }
  if (cp < 0x800)
    {
      out[0] = (char)(0xC0 | (cp >> 6));
      out[1] = (char)(0x80 | (cp & 0x3F));
      return 2;
    }
  if (cp < 0x10000)
    {
      out[0] = (char)(0xE0 | (cp >> 12));
      out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
      out[2] = (char)(0x80 | (cp & 0x3F));
      return 3;
    }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Decodes a string starting after its opening quote. Escapes only shrink
 * text (six bytes of \uXXXX give at most three; a surrogate pair's twelve
 * give four), so the raw length bounds the decoded one. */
static bool
parse_string (Parser *ps, char **out)
{
  const char *end = ps->p;
  char *buf, *w;

  while (*end && *end != '"')
    end += (*end == '\\' && end[1]) ? 2 : 1;
  if (*end != '"')
    return fail (ps, "unterminated string");
  buf = malloc ((size_t)(end - ps->p) + 1);
  if (buf == NULL)
    return fail (ps, "out of memory");
  w = buf;
  while (*ps->p != '"')
    {
      unsigned char c = (unsigned char)*ps->p;

      if (c < 0x20)
        {
          free (buf);
          return fail (ps, "control character in string");
        }
      if (c != '\\')
        {
          *w++ = (char)c;
          ps->p++;
          continue;
        }
      ps->p++;
      switch (*ps->p++)
        {
        case '"':
          *w++ = '"';
          break;
        case '\\':
          *w++ = '\\';
          break;
        case '/':
          *w++ = '/';
          break;
        case 'b':
          *w++ = '\b';
          break;
        case 'f':
          *w++ = '\f';
          break;
        case 'n':
          *w++ = '\n';
          break;
        case 'r':
          *w++ = '\r';
          break;
        case 't':
          *w++ = '\t';
          break;
        case 'u':
          {
            uint32_t cp, low;
            if (!read_hex4 (ps, &cp))
              {
                free (buf);
                return false;
              }
            if (cp >= 0xD800 && cp < 0xDC00)
              {
                if (ps->p[0] != '\\' || ps->p[1] != 'u')
                  {
                    free (buf);
                    return fail (ps, "lone surrogate");
                  }
                ps->p += 2;
                if (!read_hex4 (ps, &low) || low < 0xDC00 || low > 0xDFFF)
                  {
                    free (buf);
                    return fail (ps, "bad surrogate pair");
                  }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              }
            else if (cp >= 0xDC00 && cp < 0xE000)
              {
                free (buf);
                return fail (ps, "lone surrogate");
              }
            w += put_utf8 (w, cp);
            break;
          }
        default:
          free (buf);
          ps->p--;
          return fail (ps, "bad escape");
        }
    }
  ps->p++;
  *w = '\0';
  *out = buf;
  return true;
}

static bool
parse_number (Parser *ps, PlabJson *out)
{
  const char *s = ps->p;
  char *end;

  /* Check the JSON grammar first; strtod accepts more (hex, inf, "+1"). */
  if (*s == '-')
    s++;
  if (*s == '0')
    s++;
  else if (*s >= '1' && *s <= '9')
    while (*s >= '0' && *s <= '9')
      s++;
  else
    return fail (ps, "bad number");
  if (*s == '.')
    {
      s++;
      if (!(*s >= '0' && *s <= '9'))
        return fail (ps, "bad number");
      while (*s >= '0' && *s <= '9')
        s++;
    }
  if (*s == 'e' || *s == 'E')
    {
      s++;
      if (*s == '+' || *s == '-')
        s++;
      if (!(*s >= '0' && *s <= '9'))
        return fail (ps, "bad number");
      while (*s >= '0' && *s <= '9')
        s++;
    }
  errno = 0;
  out->type = PLAB_JSON_NUMBER;
  out->number = strtod (ps->p, &end);
  if (end != s)
    return fail (ps, "bad number");
  ps->p = s;
  return true;
}

static bool
append_child (Parser *ps, PlabJson *parent, size_t *capacity, PlabJson **child)
{
  if (parent->n_children == *capacity)
    {
      size_t cap = *capacity ? *capacity * 2 : 4;
      PlabJson *grown = realloc (parent->children, cap * sizeof (PlabJson));
      if (grown == NULL)
        return fail (ps, "out of memory");
      parent->children = grown;
      *capacity = cap;
    }
  *child = &parent->children[parent->n_children++];
  memset (*child, 0, sizeof **child);
  return true;
}

static bool
parse_container (Parser *ps, PlabJson *out, int depth, bool object)
{
  size_t capacity = 0;
  char close = object ? '}' : ']';

  out->type = object ? PLAB_JSON_OBJECT : PLAB_JSON_ARRAY;
  ps->p++;
  skip_space (ps);
  if (*ps->p == close)
    {
      ps->p++;
      return true;
    }
  for (;;)
    {
      PlabJson *child = NULL;
      char *key = NULL;

      skip_space (ps);
      if (object)
        {
          if (*ps->p != '"')
            return fail (ps, "expected a member name");
          ps->p++;
          if (!parse_string (ps, &key))
            return false;
          skip_space (ps);
          if (*ps->p != ':')
            {
              free (key);
              return fail (ps, "expected ':'");
            }
          ps->p++;
        }
      if (!append_child (ps, out, &capacity, &child))
        {
          free (key);
          return false;
        }
      child->key = key;
      if (!parse_value (ps, child, depth + 1))
        return false;
      skip_space (ps);
      if (*ps->p == ',')
        {
          ps->p++;
          continue;
        }
      if (*ps->p == close)
        {
          ps->p++;
          return true;
        }
      return fail (ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

/* The literal words of JSON and the values they stand for. */
static const struct
{
  const char *word;
  PlabJsonType type;
  bool boolean;
} json_words[] = {
  { "true", PLAB_JSON_BOOL, true },
  { "false", PLAB_JSON_BOOL, false },
  { "null", PLAB_JSON_NULL, false },
};

/* Reads true, false or null into @out. */
static bool
parse_word (Parser *ps, PlabJson *out)
{
  for (size_t i = 0; i < sizeof json_words / sizeof json_words[0]; i++)
    {
      size_t len = strlen (json_words[i].word);

      if (strncmp (ps->p, json_words[i].word, len) == 0)
        {
          ps->p += len;
          out->type = json_words[i].type;
          out->boolean = json_words[i].boolean;
          return true;
        }
    }
  return fail (ps, "unexpected word");
}

static bool
parse_value (Parser *ps, PlabJson *out, int depth)
{
  if (depth > PLAB_JSON_MAX_DEPTH)
    return fail (ps, "nested too deeply");
  skip_space (ps);
  switch (*ps->p)
    {
    case '{':
      return parse_container (ps, out, depth, true);
    case '[':
      return parse_container (ps, out, depth, false);
    case '"':
      ps->p++;
      out->type = PLAB_JSON_STRING;
      return parse_string (ps, &out->string);
    case 't':
    case 'f':
    case 'n':
      return parse_word (ps, out);
    case '\0':
      return fail (ps, "unexpected end");
    default:
      return parse_number (ps, out);
    }
}

PlabJson *
plab_json_parse (const char *text, char *error, size_t error_len)
{
  Parser ps = { text, text, error, error_len, false };
  PlabJson *root;

  if (text == NULL)
    {
      if (error != NULL && error_len > 0)
        snprintf (error, error_len, "no text");
      return NULL;
    }
  root = calloc (1, sizeof *root);
  if (root == NULL)
    return NULL;
  if (!parse_value (&ps, root, 0))
    goto fail;
  skip_space (&ps);
  if (*ps.p != '\0')
    {
      fail (&ps, "text after the value");
      goto fail;
    }
  return root;

fail:
  plab_json_free (root);
  return NULL;
}

const PlabJson *
plab_json_get (const PlabJson *object, const char *key)
{
  if (object == NULL || object->type != PLAB_JSON_OBJECT || key == NULL)
    return NULL;
  for (size_t i = 0; i < object->n_children; i++)
    if (object->children[i].key != NULL && strcmp (object->children[i].key, key) == 0)
      return &object->children[i];
  return NULL;
}

const PlabJson *
plab_json_at (const PlabJson *array, size_t index)
{
  if (array == NULL || array->type != PLAB_JSON_ARRAY || index >= array->n_children)
    return NULL;
  return &array->children[index];
}

size_t
plab_json_length (const PlabJson *json)
{
  if (json == NULL || (json->type != PLAB_JSON_ARRAY && json->type != PLAB_JSON_OBJECT))
    return 0;
  return json->n_children;
}

double
plab_json_number (const PlabJson *json, double fallback)
{
  if (json == NULL || json->type != PLAB_JSON_NUMBER)
    return fallback;
  return json->number;
}

const char *
plab_json_string (const PlabJson *json, const char *fallback)
{
  if (json == NULL || json->type != PLAB_JSON_STRING)
    return fallback;
  return json->string;
}

void
plab_json_format_value (const PlabJson *json, char *buf, size_t len)
{
  if (len == 0)
    return;
  if (json == NULL)
    {
      snprintf (buf, len, "—");
      return;
    }
  switch (json->type)
    {
    case PLAB_JSON_NULL:
      snprintf (buf, len, "null");
      break;
    case PLAB_JSON_BOOL:
      snprintf (buf, len, "%s", json->boolean ? "true" : "false");
      break;
    case PLAB_JSON_NUMBER:
      if (fabs (json->number) < 1e15 && json->number == floor (json->number))
        snprintf (buf, len, "%.0f", json->number);
      else
        snprintf (buf, len, "%.6g", json->number);
      break;
    case PLAB_JSON_STRING:
      snprintf (buf, len, "%s", json->string);
      break;
    case PLAB_JSON_ARRAY:
      snprintf (buf, len, "[%zu items]", json->n_children);
      break;
    case PLAB_JSON_OBJECT:
      snprintf (buf, len, "{%zu keys}", json->n_children);
      break;
    }
}
