/* plab-chart-style.c: themes and the Okabe-Ito palette. */
#include "plab-chart-style.h"

#include <string.h>
#include <strings.h>

#include "plab-chart-private.h"

/* Okabe, M. and Ito, K., "Color Universal Design": eight colours that remain
 * distinct under protanopia, deuteranopia and tritanopia. */
#define OI_BLACK 0x000000
#define OI_ORANGE 0xE69F00
#define OI_SKY_BLUE 0x56B4E9
#define OI_BLUISH_GREEN 0x009E73
#define OI_YELLOW 0xF0E442
#define OI_BLUE 0x0072B2
#define OI_VERMILLION 0xD55E00
#define OI_REDDISH_PURPLE 0xCC79A7

/* Sleep: a light green outside the eight. Okabe-Ito's sky blue has the
 * hue of the task blue, so a sleeping worker looked like a working one in
 * a lighter shade; this green differs from the task blue by about 100
 * degrees of hue, and stays apart from every other span colour on both
 * backgrounds under simulated protanopia, deuteranopia and tritanopia
 * (CIELAB distance at least 24), where the sky blue came within 11 of the
 * GIL wait's purple. */
#define SLEEP_GREEN 0x8FD17A

/* Waiting for a core is drawn hatched over the spans, in a crimson apart from
 * the vermillion of lock waits (the hatching tells them apart where the
 * hues do not). */
#define CORE_WAIT_CRIMSON 0xC0143C
#define CORE_WAIT_CRIMSON_ON_DARK 0xFF5C7C

/* On a dark background the blue and the vermillion are too dark to read as
 * thin lines; these keep their hue and raise their lightness. */
#define OI_BLUE_ON_DARK 0x3D9BE0
#define OI_VERMILLION_ON_DARK 0xF07A2A

/* Text scale and line scale of the projector theme. */
#define PROJECTOR_TEXT_SCALE 1.35
#define PROJECTOR_LINE_SCALE 1.75

static const char *const theme_names[PLAB_N_THEMES] = { "light", "dark", "projector" };

static const char *const span_labels[PLAB_N_SPAN_KINDS] = {
  "task",  "lock wait", "queue wait", "GIL wait", "sleep",   "I/O",
  "start", "exit",      "waiting",    "crash",    "counter", "waiting for a core",
  "send",  "receive",   "collective",
};

static PlabRgba
rgb (unsigned hex)
{
  PlabRgba c
      = { ((hex >> 16) & 0xff) / 255.0, ((hex >> 8) & 0xff) / 255.0, (hex & 0xff) / 255.0, 1.0 };
  return c;
}

static PlabRgba
grey (double level, double alpha)
{
  PlabRgba c = { level, level, level, alpha };
  return c;
}

const char *
_plab_chart_name_of (const char *const *names, int n_names, int value, const char *fallback)
{
  return value >= 0 && value < n_names ? names[value] : fallback;
}

int
_plab_chart_name_find (const char *const *names, int n_names, const char *name, bool ignore_case)
{
  for (int i = 0; name != NULL && i < n_names; i++)
    if ((ignore_case ? strcasecmp (name, names[i]) : strcmp (name, names[i])) == 0)
      return i;
  return -1;
}

const char *
plab_theme_name (PlabTheme theme)
{
  return _plab_chart_name_of (theme_names, PLAB_N_THEMES, (int)theme, "light");
}

int
plab_theme_from_name (const char *name)
{
  return _plab_chart_name_find (theme_names, PLAB_N_THEMES, name, false);
}

const char *
plab_chart_span_kind_label (int kind)
{
  if (kind < 0 || kind >= PLAB_N_SPAN_KINDS)
    return "unknown";
  return span_labels[kind];
}

void
plab_chart_style_init (PlabChartStyle *self, PlabTheme theme, double scale)
{
  bool dark = theme == PLAB_THEME_DARK;
  double text_scale = 1.0;
  double line_scale = 1.0;

  memset (self, 0, sizeof *self);
  if (scale <= 0)
    scale = 1.0;
  if ((int)theme < 0 || theme >= PLAB_N_THEMES)
    theme = PLAB_THEME_LIGHT;
  self->theme = theme;
  self->scale = scale;

  if (theme == PLAB_THEME_PROJECTOR)
    {
      text_scale = PROJECTOR_TEXT_SCALE;
      line_scale = PROJECTOR_LINE_SCALE;
    }

  if (dark)
    {
      self->background = rgb (0x1E1E22);
      self->foreground = grey (0.93, 1.0);
      self->muted = grey (0.70, 1.0);
      self->grid = grey (1.0, 0.13);
      self->lane_stripe = grey (1.0, 0.045);
    }
  else
    {
      self->background = grey (1.0, 1.0);
      self->foreground = grey (0.08, 1.0);
      self->muted = grey (theme == PLAB_THEME_PROJECTOR ? 0.22 : 0.35, 1.0);
      self->grid = grey (0.0, theme == PLAB_THEME_PROJECTOR ? 0.16 : 0.11);
      self->lane_stripe = grey (0.0, 0.035);
    }

  /* Entry 0 is the foreground-like colour; series start at entry 1. */
  self->palette[0] = dark ? grey (0.85, 1.0) : rgb (OI_BLACK);
  self->palette[1] = dark ? rgb (OI_BLUE_ON_DARK) : rgb (OI_BLUE);
  self->palette[2] = rgb (OI_ORANGE);
  self->palette[3] = rgb (OI_BLUISH_GREEN);
  self->palette[4] = rgb (OI_REDDISH_PURPLE);
  self->palette[5] = rgb (OI_SKY_BLUE);
  self->palette[6] = dark ? rgb (OI_VERMILLION_ON_DARK) : rgb (OI_VERMILLION);
  self->palette[7] = rgb (OI_YELLOW);

  /* Work is blue, the three kinds of waiting for another worker are warm
   * colours (the ones a student should notice), and the kinds that are
   * neither work nor contention are cool or neutral. */
  /* Spans are large fills, where Okabe-Ito blue reads on both backgrounds;
   * sleep is green, so "asleep" and "working" differ in hue at a glance. */
  self->span[PLAB_SPAN_TASK] = rgb (OI_BLUE);
  self->span[PLAB_SPAN_LOCK_WAIT] = self->palette[6];
  self->span[PLAB_SPAN_QUEUE_WAIT] = rgb (OI_ORANGE);
  self->span[PLAB_SPAN_GIL_WAIT] = rgb (OI_REDDISH_PURPLE);
  self->span[PLAB_SPAN_SLEEP] = rgb (SLEEP_GREEN);
  self->span[PLAB_SPAN_IO] = rgb (OI_BLUISH_GREEN);
  self->span[PLAB_SPAN_SPAWN] = rgb (OI_YELLOW);
  self->span[PLAB_SPAN_EXIT] = dark ? grey (0.80, 1.0) : grey (0.30, 1.0);
  /* Waiting for others (the main process during a map) is the backdrop of
   * a run, not its subject: a light neutral that recedes behind the work. */
  self->span[PLAB_SPAN_WAIT] = dark ? grey (0.42, 1.0) : grey (0.80, 1.0);
  self->span[PLAB_SPAN_CRASH] = self->palette[6];
  self->span[PLAB_SPAN_COUNTER] = self->foreground;
  self->span[PLAB_SPAN_CORE_WAIT]
      = dark ? rgb (CORE_WAIT_CRIMSON_ON_DARK) : rgb (CORE_WAIT_CRIMSON);
  /* An MPI rank's waits for the others: sending cool, receiving and the
   * collectives warm, like the waits for another worker above. */
  self->span[PLAB_SPAN_SEND] = rgb (OI_SKY_BLUE);
  self->span[PLAB_SPAN_RECV] = rgb (OI_ORANGE);
  self->span[PLAB_SPAN_COLLECTIVE] = rgb (OI_REDDISH_PURPLE);
  self->warning = self->palette[6];

  self->font_family = "DejaVu Sans";
  self->title_size = 26.0 * scale * text_scale;
  self->label_size = 18.0 * scale * text_scale;
  self->tick_size = 15.0 * scale * text_scale;
  self->small_size = 12.5 * scale * text_scale;

  self->line_width = 2.5 * scale * line_scale;
  self->thin_line_width = 1.0 * scale * (line_scale > 1 ? 1.5 : 1.0);
  self->marker_radius = 5.0 * scale * line_scale;
  self->padding = 16.0 * scale * (text_scale > 1 ? 1.2 : 1.0);
}

PlabRgba
plab_chart_style_span_colour (const PlabChartStyle *self, int kind)
{
  if (kind < 0 || kind >= PLAB_N_SPAN_KINDS)
    return grey (0.5, 1.0);
  return self->span[kind];
}

PlabRgba
plab_chart_style_series_colour (const PlabChartStyle *self, int index)
{
  if (index < 0)
    index = -index;
  return self->palette[1 + index % (PLAB_PALETTE_SIZE - 1)];
}

PlabRgba
plab_chart_style_backend_colour (const PlabChartStyle *self, const char *backend)
{
  unsigned hash = 5381;

  if (backend == NULL)
    return self->muted;
  if (strcmp (backend, "serial") == 0)
    return self->palette[0];
  if (strcmp (backend, "threads") == 0)
    return self->palette[1];
  if (strcmp (backend, "processes") == 0)
    return self->palette[2];
  if (strcmp (backend, "gil") == 0)
    return self->palette[4];

  /* Other names: entries not taken by the four backends above. */
  for (const char *p = backend; *p; p++)
    hash = hash * 33 + (unsigned char)*p;
  {
    static const int free_entries[] = { 3, 5, 6, 7 };
    return self->palette[free_entries[hash % 4]];
  }
}
