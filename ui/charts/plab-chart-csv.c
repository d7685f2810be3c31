/* plab-chart-csv.c: what the charts' CSV writers share. */
#include "plab-chart-private.h"

void
_plab_chart_csv_text (FILE *out, const char *text)
{
  fputc ('"', out);
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        fputc ('"', out);
      fputc (*p, out);
    }
  fputc ('"', out);
}
