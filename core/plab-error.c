/* plab-error.c: messages for the core error codes. */
#include "plab-error.h"

const char *
plab_strerror (int code)
{
  switch (code)
    {
#define PLAB_ERROR_TEXT(name, value, text)                                                         \
  case value:                                                                                      \
    return text;
      PLAB_ERROR_TABLE (PLAB_ERROR_TEXT)
#undef PLAB_ERROR_TEXT
    default:
      return "unknown error";
    }
}

const char *
plab_error_name (int code)
{
  switch (code)
    {
#define PLAB_ERROR_NAME(name, value, text)                                                         \
  case value:                                                                                      \
    return #name;
      PLAB_ERROR_TABLE (PLAB_ERROR_NAME)
#undef PLAB_ERROR_NAME
    default:
      return "PLAB_E?";
    }
}
