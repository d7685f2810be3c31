/* plab-bench-charts.c: how long a timeline frame takes as the number of spans grows.
 *
 * Builds synthetic runs of 1e4, 1e5 and 1e6 spans over eight worker lanes and
 * a main lane, all lasting one second, indexes each once, then draws full-run
 * frames 1920 px wide into an image surface and reports the median frame time.
 * The level-of-detail index should keep the 1e6 frame close to the 1e4 one.
 *
 *   plab bench charts [--json]      (or build/tests/bench/bench-charts [--json] [--frames N])
 *
 * A benchmark measures and prints; it does not judge.
 */
#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plab-bench-charts.h"
#include "plab-chart-style.h"
#include "plab-timeline-chart.h"

#define N_WORKERS 8
#define RUN_NS 1000000000LL
#define FRAME_WIDTH 1920
#define FRAME_HEIGHT 1080
#define DEFAULT_FRAMES 15

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t
next_random (uint64_t *state)
{
  /* xorshift64*: reproducible and fast enough to fill a million spans. */
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return *state * 2685821657736338717ULL;
}

/* Spans of every worker lane follow each other: a task, sometimes a lock
 * wait inside it, then a short queue wait. */
static PlabEvent *
make_spans (size_t n, size_t *n_out)
{
  PlabEvent *spans = calloc (n + N_WORKERS * 4, sizeof *spans);
  uint64_t rnd = 0x9E3779B97F4A7C15ULL;
  size_t k = 0, per_lane = n / N_WORKERS;
  int64_t mean = RUN_NS / (int64_t)per_lane;

  for (int w = 1; w <= N_WORKERS && spans != NULL; w++)
    {
      int64_t t = 0;
      for (size_t i = 0; i < per_lane && k < n; i++)
        {
          int64_t d = mean / 2 + (int64_t)(next_random (&rnd) % (uint64_t)mean);
          int64_t task = d * 4 / 5;
          PlabEvent *e = &spans[k++];

          e->lane = (uint16_t)w;
          e->kind = PLAB_SPAN_TASK;
          e->start_ns = t;
          e->end_ns = t + task;
          e->task_id = (int64_t)k;
          snprintf (e->label, sizeof e->label, "task %zu", k);
          if (i % 5 == 2 && k < n)
            {
              PlabEvent *lw = &spans[k++];
              lw->lane = (uint16_t)w;
              lw->kind = PLAB_SPAN_LOCK_WAIT;
              lw->start_ns = t + task / 4;
              lw->end_ns = t + task / 2;
              lw->task_id = -1;
              i++;
            }
          else if (k < n)
            {
              PlabEvent *qw = &spans[k++];
              qw->lane = (uint16_t)w;
              qw->kind = PLAB_SPAN_QUEUE_WAIT;
              qw->start_ns = t + task;
              qw->end_ns = t + d;
              qw->task_id = -1;
              i++;
            }
          t += d;
        }
    }
  *n_out = k;
  return spans;
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct
{
  size_t n_spans;
  double build_ms;
  double frame_ms;
  double min_ms;
} Result;

static void
measure (size_t n, int frames, Result *out)
{
  PlabLaneInfo lanes[N_WORKERS + 1];
  PlabChartStyle style;
  cairo_surface_t *surface;
  cairo_t *cr;
  PlabTimelineData *data;
  PlabEvent *spans;
  size_t n_spans;
  double *times = calloc ((size_t)frames, sizeof (double));
  double t;

  memset (lanes, 0, sizeof lanes);
  for (int i = 0; i <= N_WORKERS; i++)
    {
      lanes[i].lane = i;
      lanes[i].kind = i == 0 ? PLAB_LANE_MAIN : PLAB_LANE_THREAD;
      lanes[i].pid = 1000;
      lanes[i].tid = 1000 + i;
      snprintf (lanes[i].name, sizeof lanes[i].name, i == 0 ? "main" : "worker-%d", i);
    }
  spans = make_spans (n, &n_spans);

  t = now_ms ();
  data = plab_timeline_data_new (lanes, N_WORKERS + 1, spans, n_spans, NULL, 0);
  out->build_ms = now_ms () - t;
  free (spans);

  plab_chart_style_init (&style, PLAB_THEME_LIGHT, 1.0);
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, FRAME_WIDTH, FRAME_HEIGHT);
  cr = cairo_create (surface);

  /* One frame to warm caches and the font cache, not counted. */
  plab_timeline_chart_draw (cr, data, NULL, &style, FRAME_WIDTH, FRAME_HEIGHT);
  for (int i = 0; i < frames; i++)
    {
      t = now_ms ();
      plab_timeline_chart_draw (cr, data, NULL, &style, FRAME_WIDTH, FRAME_HEIGHT);
      cairo_surface_flush (surface);
      times[i] = now_ms () - t;
    }
  qsort (times, (size_t)frames, sizeof (double), compare_double);
  out->n_spans = n_spans;
  out->frame_ms = times[frames / 2];
  out->min_ms = times[0];

  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  plab_timeline_data_free (data);
  free (times);
}

int
plab_bench_charts_run (FILE *out, int json, int frames)
{
  static const size_t sizes[] = { 10000, 100000, 1000000 };
  Result results[3];

  if (frames < 1)
    frames = DEFAULT_FRAMES;

  for (int i = 0; i < 3; i++)
    measure (sizes[i], frames, &results[i]);

  if (json)
    {
      fprintf (out,
               "{\"benchmark\": \"charts\", \"width\": %d, \"height\": %d, \"frames\": %d,"
               " \"timeline\": [",
               FRAME_WIDTH, FRAME_HEIGHT, frames);
      for (int i = 0; i < 3; i++)
        fprintf (out,
                 "%s{\"spans\": %zu, \"build_ms\": %.2f, \"frame_ms\": %.3f, \"frame_min_ms\": "
                 "%.3f}",
                 i ? ", " : "", results[i].n_spans, results[i].build_ms, results[i].frame_ms,
                 results[i].min_ms);
      fprintf (out, "], \"ratio_1e5_1e4\": %.3f, \"ratio_1e6_1e4\": %.3f}\n",
               results[1].frame_ms / results[0].frame_ms,
               results[2].frame_ms / results[0].frame_ms);
      return 0;
    }

  fprintf (out, "timeline frame, %d x %d px, %d lanes, median of %d frames\n", FRAME_WIDTH,
           FRAME_HEIGHT, N_WORKERS + 1, frames);
  fprintf (out, "%10s  %10s  %10s  %10s\n", "spans", "index ms", "frame ms", "best ms");
  for (int i = 0; i < 3; i++)
    fprintf (out, "%10zu  %10.1f  %10.2f  %10.2f\n", results[i].n_spans, results[i].build_ms,
             results[i].frame_ms, results[i].min_ms);
  fprintf (out, "frame ratio 1e5/1e4: %.2f   1e6/1e4: %.2f\n",
           results[1].frame_ms / results[0].frame_ms, results[2].frame_ms / results[0].frame_ms);
  return 0;
}
