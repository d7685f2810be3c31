/* plab-chart-export.c: drawing a chart into a PNG, SVG, PDF or CSV file. */
#include "plab-chart-export.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plab-chart-data.h"
#include "plab-chart-private.h"
#include "plab-error.h"
#include "plab-export-file.h"
#include "plab-run-export.h"

/* A size computed from the type is rounded up, but not for the last bit of
 * a double (640 x 1.35 is not 864 exactly). */
#define SIZE_SLACK 1e-6

static const char *const kind_names[PLAB_N_CHART_KINDS]
    = { "timeline", "time", "speedup", "result" };
static const char *const format_names[PLAB_N_CHART_FORMATS] = { "png", "svg", "pdf", "csv" };

const char *
plab_chart_kind_name (PlabChartKind kind)
{
  return _plab_chart_name_of (kind_names, PLAB_N_CHART_KINDS, (int)kind, "unknown");
}

int
plab_chart_kind_from_name (const char *name)
{
  return _plab_chart_name_find (kind_names, PLAB_N_CHART_KINDS, name, false);
}

const char *
plab_chart_format_name (PlabChartFormat format)
{
  return _plab_chart_name_of (format_names, PLAB_N_CHART_FORMATS, (int)format, "unknown");
}

int
plab_chart_format_from_name (const char *name)
{
  return _plab_chart_name_find (format_names, PLAB_N_CHART_FORMATS, name, true);
}

int
plab_chart_format_from_path (const char *path)
{
  const char *dot = path ? strrchr (path, '.') : NULL;
  return dot ? plab_chart_format_from_name (dot + 1) : -1;
}

/* The renderer of each kind but the timeline, whose renderer takes its window
 * besides its data. */
static PlabChartRenderer *const renderers[PLAB_N_CHART_KINDS] = {
  [PLAB_CHART_TIME] = plab_time_chart_draw,
  [PLAB_CHART_SPEEDUP] = plab_speedup_chart_draw,
  [PLAB_CHART_RESULT] = plab_result_chart_draw,
};

void
plab_chart_draw (cairo_t *cr,
                 const PlabChartInput *input,
                 const PlabChartStyle *style,
                 double width,
                 double height)
{
  if (input->kind == PLAB_CHART_TIMELINE)
    {
      PlabTimelineLayout layout;

      /* Exports carry the send-to-receive arrows too, where they are few
       * enough to read, as the window draws them. */
      plab_timeline_chart_draw (cr, input->timeline, input->window, style, width, height);
      plab_timeline_chart_layout (cr, input->timeline, input->window, style, width, height,
                                  &layout);
      plab_timeline_chart_draw_flows (cr, input->timeline, &layout, style,
                                      (size_t)(layout.plot_w / PLAB_TIMELINE_FLOW_ARROW_MIN_PX));
    }
  else if ((unsigned)input->kind < PLAB_N_CHART_KINDS)
    renderers[input->kind](cr, input, style, width, height);
}

static int
write_csv (const PlabChartInput *input, FILE *out)
{
  switch (input->kind)
    {
    case PLAB_CHART_TIMELINE:
      /* The spans' CSV is written from the store: see export_loaded (). */
      return -1;
    case PLAB_CHART_TIME:
      return input->time ? plab_time_chart_write_csv (input->time, out) : -1;
    case PLAB_CHART_SPEEDUP:
      return input->speedup ? plab_speedup_chart_write_csv (input->speedup, out) : -1;
    case PLAB_CHART_RESULT:
      return input->result ? plab_result_chart_write_csv (input->result, out) : -1;
    case PLAB_N_CHART_KINDS:
    default:
      return -1;
    }
}

static cairo_status_t
write_stream_cb (void *closure, const unsigned char *data, unsigned int length)
{
  return fwrite (data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                     : CAIRO_STATUS_WRITE_ERROR;
}

/* The title a PDF names in its metadata: the chart's own. */
static const char *
document_title (const PlabChartInput *input, const PlabExportOptions *options)
{
  const char *title = options->title;

  switch (input->kind)
    {
    case PLAB_CHART_TIMELINE:
      break;
    case PLAB_CHART_TIME:
      title = title ? title : input->time ? input->time->title : NULL;
      break;
    case PLAB_CHART_SPEEDUP:
      title = title ? title : input->speedup ? input->speedup->title : NULL;
      break;
    case PLAB_CHART_RESULT:
      title = title ? title : input->result ? input->result->title : NULL;
      break;
    case PLAB_N_CHART_KINDS:
    default:
      break;
    }
  return title && title[0] ? title : "Parallel Lab chart";
}

static cairo_surface_t *
create_surface (const PlabChartInput *input,
                const PlabExportOptions *options,
                FILE *out,
                int width,
                int height,
                double scale)
{
  cairo_surface_t *surface = NULL;

  switch (options->format)
    {
    case PLAB_CHART_FORMAT_PNG:
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int)(width * scale + 0.5),
                                            (int)(height * scale + 0.5));
      break;
    case PLAB_CHART_FORMAT_SVG:
      surface = cairo_svg_surface_create_for_stream (write_stream_cb, out, width, height);
      /* --width is in pixels: so is the SVG (cairo's default unit is pt). */
      cairo_svg_surface_set_document_unit (surface, CAIRO_SVG_UNIT_PX);
      break;
    case PLAB_CHART_FORMAT_PDF:
      surface = cairo_pdf_surface_create_for_stream (write_stream_cb, out, width, height);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE,
                                      document_title (input, options));
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Parallel Lab");
      break;
    case PLAB_CHART_FORMAT_CSV:
    case PLAB_N_CHART_FORMATS:
    default:
      break;
    }
  return surface;
}

void
plab_chart_export_min_size (PlabTheme theme, int *width, int *height)
{
  PlabChartStyle style, plain;
  double grow;

  /* The minimum grows with the type: the label size stands for it all. */
  plab_chart_style_init (&style, theme, 1.0);
  plab_chart_style_init (&plain, PLAB_THEME_LIGHT, 1.0);
  grow = style.label_size / plain.label_size;
  *width = (int)ceil (PLAB_EXPORT_MIN_WIDTH * grow - SIZE_SLACK);
  *height = (int)ceil (PLAB_EXPORT_MIN_HEIGHT * grow - SIZE_SLACK);
}

bool
plab_chart_export_too_small (PlabTheme theme,
                             int width,
                             int height,
                             char *message,
                             size_t message_len)
{
  int min_w, min_h;

  plab_chart_export_min_size (theme, &min_w, &min_h);
  if (width >= min_w && height >= min_h)
    return false;
  snprintf (message, message_len,
            "a %d x %d chart is too small to read: its title, legend, axes and footer need at "
            "least %d x %d%s",
            width, height, min_w, min_h,
            theme == PLAB_THEME_PROJECTOR ? " in the projector theme's large type" : "");
  return true;
}

/* Draws @input into @out in a vector or image format. */
static int
write_drawing (const PlabChartInput *input,
               const PlabExportOptions *options,
               FILE *out,
               char *error,
               size_t error_len)
{
  int width = options->width > 0 ? options->width : PLAB_EXPORT_DEFAULT_WIDTH;
  int height = options->height > 0 ? options->height : PLAB_EXPORT_DEFAULT_HEIGHT;
  double scale = options->scale > 0 ? options->scale : 1.0;
  cairo_surface_t *surface;
  cairo_status_t status;
  PlabChartStyle style;
  cairo_t *cr;

  if ((double)width * scale * (double)height * scale > PLAB_EXPORT_MAX_PIXELS || width * scale < 1
      || height * scale < 1)
    {
      snprintf (error, error_len, "a %d x %d chart at scale %g is too large", width, height, scale);
      return PLAB_ERANGE;
    }
  surface = create_surface (input, options, out, width, height, scale);
  if (surface == NULL)
    {
      snprintf (error, error_len, "unknown format");
      return PLAB_EINVAL;
    }
  plab_chart_style_init (&style, options->theme, 1.0);
  cr = cairo_create (surface);
  if (options->format == PLAB_CHART_FORMAT_PNG)
    cairo_scale (cr, scale, scale);
  plab_chart_draw (cr, input, &style, width, height);
  status = cairo_status (cr);
  if (status == CAIRO_STATUS_SUCCESS && options->format == PLAB_CHART_FORMAT_PNG)
    status = cairo_surface_write_to_png_stream (surface, write_stream_cb, out);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      snprintf (error, error_len, "cannot write %s: %s", options->path,
                status == CAIRO_STATUS_WRITE_ERROR ? strerror (errno)
                                                   : cairo_status_to_string (status));
      return PLAB_ESYS;
    }
  return 0;
}

int
plab_chart_export_data (const PlabChartInput *input,
                        const PlabExportOptions *options,
                        char *error,
                        size_t error_len)
{
  PlabExportFile file;
  int rc;

  if (error_len > 0)
    error[0] = '\0';
  if ((int)options->format < 0 || options->format >= PLAB_N_CHART_FORMATS)
    {
      snprintf (error, error_len, "unknown format");
      return PLAB_EINVAL;
    }
  /* Refused before the file is opened, so that nothing is written. */
  if (options->format != PLAB_CHART_FORMAT_CSV
      && plab_chart_export_too_small (options->theme,
                                      options->width > 0 ? options->width
                                                         : PLAB_EXPORT_DEFAULT_WIDTH,
                                      options->height > 0 ? options->height
                                                          : PLAB_EXPORT_DEFAULT_HEIGHT,
                                      error, error_len))
    return PLAB_ERANGE;
  if (options->format != PLAB_CHART_FORMAT_CSV && options->path != NULL
      && strcmp (options->path, "-") == 0)
    {
      snprintf (error, error_len, "only CSV can go to stdout");
      return PLAB_EINVAL;
    }
  if (options->format == PLAB_CHART_FORMAT_CSV && input->kind == PLAB_CHART_TIMELINE)
    {
      snprintf (error, error_len,
                "a timeline's CSV is the run's spans: write it from the store "
                "with plab_run_export ()");
      return PLAB_EINVAL;
    }
  rc = plab_export_file_open (&file, options->path, error, error_len);
  if (rc != 0)
    return rc;
  if (options->format == PLAB_CHART_FORMAT_CSV)
    {
      rc = write_csv (input, file.fp) == 0 ? 0 : PLAB_ESYS;
      if (rc != 0)
        snprintf (error, error_len, "cannot write %s", options->path);
    }
  else
    rc = write_drawing (input, options, file.fp, error, error_len);
  if (rc != 0)
    {
      plab_export_file_abort (&file);
      return rc;
    }
  return plab_export_file_commit (&file, error, error_len);
}

/* What a chart of @kind needs from the store: the timeline is costly. */
static PlabChartLoad
load_for_kind (PlabChartKind kind, PlabChartFormat format)
{
  switch (kind)
    {
    case PLAB_CHART_TIMELINE:
      return format == PLAB_CHART_FORMAT_CSV ? 0 : PLAB_CHART_LOAD_TIMELINE;
    case PLAB_CHART_RESULT:
      /* The group gives the spread of the run's configuration. */
      return PLAB_CHART_LOAD_RESULT | PLAB_CHART_LOAD_GROUP;
    case PLAB_CHART_TIME:
    case PLAB_CHART_SPEEDUP:
      return PLAB_CHART_LOAD_GROUP;
    case PLAB_N_CHART_KINDS:
    default:
      return 0;
    }
}

static int
export_loaded (PlabStore *store,
               const PlabChartData *data,
               const PlabExportOptions *options,
               char *error,
               size_t error_len)
{
  PlabSpeedupChartData speedup = data->speedup;
  PlabResultChartData result = data->result_chart;
  PlabExportOptions with_title = *options;
  PlabChartInput input;

  if (options->kind == PLAB_CHART_RESULT && data->result_error[0] != '\0')
    {
      snprintf (error, error_len, "%s", data->result_error);
      return PLAB_EINVAL;
    }
  /* The data behind a timeline are the run's spans and counters, written
   * by the one span CSV writer, row by row from the store. */
  if (options->kind == PLAB_CHART_TIMELINE && options->format == PLAB_CHART_FORMAT_CSV)
    return plab_run_export (store, data->run->id, PLAB_RUN_EXPORT_CSV, options->path, NULL, error,
                            error_len);
  plab_chart_data_input (data, options->kind, &input);
  speedup.predicted = options->predicted;
  input.speedup = &speedup;
  result.label_for = options->result_labels;
  input.result = &result;
  if (with_title.title == NULL && options->kind == PLAB_CHART_TIMELINE)
    with_title.title = data->timeline_title;
  return plab_chart_export_data (&input, &with_title, error, error_len);
}

/* The one path from the store to a file: a run and a sweep differ only in
 * which loader reads them. */
static int
export_from_store (PlabStore *store,
                   int64_t id,
                   bool sweep,
                   const PlabExportOptions *options,
                   char *error,
                   size_t error_len)
{
  PlabChartData *data = NULL;
  PlabChartRequest request = { 0 };
  int rc;

  if ((int)options->kind < 0 || options->kind >= PLAB_N_CHART_KINDS)
    {
      snprintf (error, error_len, "unknown chart");
      return PLAB_EINVAL;
    }
  request.what = load_for_kind (options->kind, options->format);
  if (sweep)
    request.sweep_id = id;
  else
    request.run_id = id;
  rc = plab_chart_data_load (store, &request, &data, error, error_len);
  if (rc == 0)
    rc = export_loaded (store, data, options, error, error_len);
  plab_chart_data_free (data);
  return rc;
}

int
plab_chart_export_run (PlabStore *store,
                       int64_t run_id,
                       const PlabExportOptions *options,
                       char *error,
                       size_t error_len)
{
  return export_from_store (store, run_id, false, options, error, error_len);
}

int
plab_chart_export_sweep (PlabStore *store,
                         int64_t sweep_id,
                         const PlabExportOptions *options,
                         char *error,
                         size_t error_len)
{
  return export_from_store (store, sweep_id, true, options, error, error_len);
}
