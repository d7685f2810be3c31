/* test-chart-type-size.c: the type sizes the chart views draw in on screen.
 *
 * A chart on screen is drawn at a scale that follows its size. On a
 * projector (presentation mode) no text may be smaller than 16 px, however
 * small the view: the back row of a lecture room must read the tick labels
 * and the labels inside spans. The light theme may go smaller on a small
 * view; that is what shows the check is not always true.
 */
#include <gtk/gtk.h>

#include "plab-widgets-private.h"

#define MIN_PROJECTOR_TEXT_PX 16.0

static const double sizes[][2] = {
  { 300, 200 }, { 560, 600 }, { 900, 610 }, { 1270, 710 }, { 1600, 900 }, { 2560, 1400 },
};

static void
assert_min_text (const PlabChartStyle *style, double min_px)
{
  g_assert_cmpfloat (style->small_size, >=, min_px - 1e-9);
  g_assert_cmpfloat (style->tick_size, >=, style->small_size);
  g_assert_cmpfloat (style->label_size, >=, style->tick_size);
  g_assert_cmpfloat (style->title_size, >=, style->label_size);
}

static void
test_projector_min_text (void)
{
  PlabChartLook look = { .theme = PLAB_THEME_PROJECTOR };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      PlabChartStyle style;

      _plab_chart_look_style (&look, sizes[i][0], sizes[i][1], &style);
      g_test_message ("projector %gx%g: small text %.1f px", sizes[i][0], sizes[i][1],
                      style.small_size);
      assert_min_text (&style, MIN_PROJECTOR_TEXT_PX);
    }
}

static void
test_light_follows_size (void)
{
  PlabChartLook look = { .theme = PLAB_THEME_LIGHT };
  PlabChartStyle small, large;

  _plab_chart_look_style (&look, 560, 600, &small);
  _plab_chart_look_style (&look, 2560, 1400, &large);
  /* Without the projector's floor a small view draws small type. */
  g_assert_cmpfloat (small.small_size, <, MIN_PROJECTOR_TEXT_PX);
  g_assert_cmpfloat (small.small_size, <, large.small_size);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/chart-look/projector-min-text", test_projector_min_text);
  g_test_add_func ("/plab/chart-look/light-follows-size", test_light_follows_size);
  return g_test_run ();
}
