/* plab-demo-kde.c: a Parzen-window kernel density estimate, split over
 * workers.
 *
 * This demo teaches data parallelism on a real computation. Samples are
 * drawn (seeded) from a known mixture of three Gaussians; the density is
 * estimated on a grid by putting a window of width h (a Gaussian bump or a
 * hypercube, the Parzen window) on every sample and adding them up. Every grid
 * point is independent of the others, so the grid is cut into chunks handed
 * to a pool: the speedup is close to the number of cores on processes and
 * threads, and absent under a GIL. The estimate does not depend on how the
 * grid was split, which the check proves, and it integrates to the mass the
 * windows put on the grid: about 1, less when wide windows spill over.
 */
#include "plab-demo-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plab-mem.h"

/* What the window shows a student beside this demo. */
const char _plab_demo_kde_lesson[]
    = "Samples come from a known mixture of three Gaussians, and the density is estimated "
      "by putting a window of width h on every sample and adding the windows up at each "
      "grid point. Each grid point is independent, so the grid is cut into chunks (the "
      "labels on the timeline, like grid 4096-4223) and shared out: on processes and "
      "threads two workers take about half the time when two cores are free, on the gil "
      "backend they take turns, one lane computing at a time, and gain nothing (vectorised NumPy "
      "code releases the GIL inside its loops, so Python threads "
      "can gain there). This is parallelism, work running on several cores at once, where the "
      "sleepers only overlap their waits, which is concurrency and needs no cores. Set more "
      "Workers "
      "than the machine has cores (8 on a four-core laptop) and look for the "
      "hatched \"waiting for a core\" stripes along the bottom of the tasks: tasks stretch "
      "when more run than there are cores. Compare the estimate with the true density in "
      "the Result tab and change H: too small and the curve is spiky, too large and the "
      "three bumps melt into one. Set Chunk to 8 to see many tiny tasks, or as large as the "
      "grid to leave one worker alone; "
      "on the mpi backend ranks share no memory: rank 0 broadcasts every sample to every rank "
      "(MPI_Bcast) before any rank can estimate its share of the grid, and the estimate is still "
      "the "
      "serial one.";

enum
{
  PARAM_SAMPLES,
  PARAM_GRID,
  PARAM_H,
  PARAM_KERNEL,
  PARAM_CHUNK,
  N_PARAMS
};

static const char *const kernels[] = { "gaussian", "hypercube", NULL };

const PlabParamSpec _plab_demo_kde_params[N_PARAMS] = {
  [PARAM_SAMPLES] = { "samples", PLAB_PARAM_INT, "samples drawn from the mixture", 30000, 10,
                      1000000, NULL, "samples" },
  [PARAM_GRID] = { "grid", PLAB_PARAM_INT, "grid points the density is estimated at", 8192, 16,
                   1000000, NULL, "points" },
  [PARAM_H] = { "h", PLAB_PARAM_DOUBLE, "window width (bandwidth)", 0.25, 0.001, 10, NULL },
  [PARAM_KERNEL] = { "kernel", PLAB_PARAM_CHOICE,
                     "gaussian: a smooth bump; hypercube: the Parzen window, 1 inside |u| <= 1/2",
                     0, 0, 0, kernels },
  [PARAM_CHUNK]
  = { "chunk", PLAB_PARAM_INT, "grid points per task", 128, 1, 1000000, NULL, "points" },
};

/* The true density: a mixture of three Gaussians. */
static const double mix_weight[] = { 0.5, 0.3, 0.2 };
static const double mix_mean[] = { -2.0, 1.0, 3.5 };
static const double mix_sd[] = { 0.8, 0.5, 1.0 };

#define N_MIX 3
#define GRID_LO (-6.0)
#define GRID_HI 8.0
#define CHECK_POINTS 64
#define FIGURE_POINTS 400
#define INV_SQRT_2PI 0.39894228040143267794

/* Read-only context of the tasks, set up before the pool starts. */
typedef struct
{
  const double *samples;
  size_t n_samples;
  double h;
  bool gaussian;
  size_t grid;
  double *density; /* shared: each task writes only its own range */
} KdeContext;

typedef struct
{
  int32_t start;
  int32_t end; /* exclusive */
} GridRange;

static double
grid_x (const KdeContext *ctx, size_t i)
{
  return _plab_demo_kde_grid_x (ctx->grid, i);
}

double
_plab_demo_kde_grid_x (size_t grid, size_t i)
{
  return GRID_LO + (GRID_HI - GRID_LO) * (double)i / (double)(grid - 1);
}

double
_plab_demo_kde_estimate (const double *samples, size_t n_samples, double h, bool gaussian, double x)
{
  double inv_h = 1.0 / h;
  double sum = 0;

  if (gaussian)
    for (size_t s = 0; s < n_samples; s++)
      {
        double u = (x - samples[s]) * inv_h;
        sum += exp (-0.5 * u * u);
      }
  else
    for (size_t s = 0; s < n_samples; s++)
      sum += fabs ((x - samples[s]) * inv_h) <= 0.5;
  plab_checkpoint ();
  return (gaussian ? sum * INV_SQRT_2PI : sum) / ((double)n_samples * h);
}

/* The estimate at grid point @i. Serial and parallel runs (the mpi backend's
 * ranks included) all call _plab_demo_kde_estimate (), so the check can
 * demand bit-for-bit equal results. */
static double
estimate_at (const KdeContext *ctx, size_t i)
{
  return _plab_demo_kde_estimate (ctx->samples, ctx->n_samples, ctx->h, ctx->gaussian,
                                  grid_x (ctx, i));
}

static double
true_density (double x)
{
  double p = 0;

  for (int k = 0; k < N_MIX; k++)
    {
      double u = (x - mix_mean[k]) / mix_sd[k];
      p += mix_weight[k] * INV_SQRT_2PI / mix_sd[k] * exp (-0.5 * u * u);
    }
  return p;
}

/* The integral over the grid, [GRID_LO, GRID_HI], of the estimate for these
 * samples and this h, computed exactly, window by window. A window of a
 * sample near the edge, or a wide window, puts part of its mass outside the
 * grid: at h = 10 half of it. So the estimate on the grid integrates to this
 * figure, not to 1, and the check compares against it; only for small h
 * are the two the same. */
static double
grid_mass (const KdeContext *ctx)
{
  double mass = 0;

  for (size_t s = 0; s < ctx->n_samples; s++)
    {
      double x = ctx->samples[s];

      if (ctx->gaussian)
        mass += 0.5
                * (erfc ((GRID_LO - x) / (ctx->h * M_SQRT2))
                   - erfc ((GRID_HI - x) / (ctx->h * M_SQRT2)));
      else
        {
          double lo = fmax (x - 0.5 * ctx->h, GRID_LO);
          double hi = fmin (x + 0.5 * ctx->h, GRID_HI);

          mass += hi > lo ? (hi - lo) / ctx->h : 0;
        }
    }
  return mass / (double)ctx->n_samples;
}

static int
range_cb (const void *item, void *result, void *user_data)
{
  const KdeContext *ctx = user_data;
  GridRange r;

  memcpy (&r, item, sizeof r);
  for (int32_t i = r.start; i < r.end; i++)
    {
      ctx->density[i] = estimate_at (ctx, (size_t)i);
      /* A grid point is a sum over every sample: looking once per point
       * costs nothing beside it. */
      if (plab_cancelled ())
        return PLAB_ECANCELLED;
    }
  memset (result, 0, sizeof (int32_t));
  return 0;
}

static void
label_cb (size_t index, const void *item, char *label, size_t size, void *user_data)
{
  GridRange r;

  memcpy (&r, item, sizeof r);
  snprintf (label, size, "grid %d-%d", r.start, r.end - 1);
}

/* Draws @n samples of the mixture (xorshift and Box-Muller, seeded). */
void
_plab_demo_kde_draw_samples (double *out, size_t n, uint64_t seed)
{
  uint64_t x = seed * 0x9e3779b97f4a7c15u + 0x632be59bd9b4e019u;

  for (size_t i = 0; i < n; i++)
    {
      double u[3];
      double w, z;
      int k = 0;

      for (int j = 0; j < 3; j++)
        {
          x ^= x << 13;
          x ^= x >> 7;
          x ^= x << 17;
          u[j] = ((double)(x >> 11) + 0.5) / 9007199254740992.0;
        }
      for (w = u[0]; k < N_MIX - 1 && w > mix_weight[k]; k++)
        w -= mix_weight[k];
      z = sqrt (-2.0 * log (u[1])) * cos (2 * M_PI * u[2]);
      out[i] = mix_mean[k] + mix_sd[k] * z;
    }
}

static char *
result_json (const KdeContext *ctx, double integral, double expected, double max_err, int equal)
{
  size_t n = ctx->grid < FIGURE_POINTS ? ctx->grid : FIGURE_POINTS;
  double *xs = malloc (n * sizeof *xs);
  double *est = malloc (n * sizeof *est);
  double *tru = malloc (n * sizeof *tru);
  PlabBuf buf;

  plab_buf_init (&buf);
  if (xs == NULL || est == NULL || tru == NULL)
    goto out;
  for (size_t k = 0; k < n; k++)
    {
      size_t i = n > 1 ? k * (ctx->grid - 1) / (n - 1) : 0;

      xs[k] = grid_x (ctx, i);
      est[k] = ctx->density[i];
      tru[k] = true_density (xs[k]);
    }
  plab_buf_printf (&buf, "{\"samples\": %zu, \"grid\": %zu, \"h\": ", ctx->n_samples, ctx->grid);
  plab_json_write_short (&buf, ctx->h);
  plab_buf_printf (&buf, ", \"kernel\": \"%s\", \"integral\": ", kernels[ctx->gaussian ? 0 : 1]);
  plab_json_write_short (&buf, integral);
  _plab_demo_json_short (&buf, "grid_mass", expected);
  _plab_demo_json_short (&buf, "max_error", max_err);
  plab_buf_printf (&buf, ", \"checked_points\": %d, \"equal_to_serial\": %d", CHECK_POINTS, equal);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "lines", "Density estimate", "x", "density");
  _plab_demo_json_line_series (&buf, "estimate", "line", xs, est, n);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_line_series (&buf, "true density", "dashed", xs, tru, n);
  plab_buf_printf (&buf,
                   "], \"notes\": [\"integral %.4f of the %.4f the windows put on the "
                   "grid\", \"largest distance from the true "
                   "density %.4f\", \"%d of %d checked points equal to the serial "
                   "result\"]}}",
                   integral, expected, max_err, equal, CHECK_POINTS);
out:
  PLAB_FREE_ALL (xs, est, tru);
  return plab_buf_steal (&buf);
}

int
_plab_demo_kde_run (PlabDemoRun *run)
{
  KdeContext ctx = {
    .n_samples = (size_t)run->values[PARAM_SAMPLES],
    .h = run->values[PARAM_H],
    .gaussian = run->values[PARAM_KERNEL] == 0,
    .grid = (size_t)run->values[PARAM_GRID],
  };
  size_t chunk = (size_t)run->values[PARAM_CHUNK];
  size_t n_ranges = (ctx.grid + chunk - 1) / chunk;
  double *samples = NULL;
  GridRange *ranges = NULL;
  int32_t *results = NULL;
  PlabMap map = { .func = range_cb, .user_data = &ctx, .label = label_cb, .n_items = n_ranges };
  double integral = 0, expected, max_err = 0, dx;
  int equal = 0;
  int rc;

  samples = malloc (ctx.n_samples * sizeof *samples);
  ranges = malloc (n_ranges * sizeof *ranges);
  results = calloc (n_ranges, sizeof *results);
  ctx.density = _plab_demo_shared_new (ctx.grid * sizeof (double));
  if (samples == NULL || ranges == NULL || results == NULL || ctx.density == NULL)
    {
      rc = PLAB_ENOMEM;
      snprintf (run->error, sizeof run->error, "out of memory for %zu grid points", ctx.grid);
      goto fail;
    }
  _plab_demo_kde_draw_samples (samples, ctx.n_samples, run->seed);
  ctx.samples = samples;
  for (size_t k = 0; k < n_ranges; k++)
    {
      ranges[k].start = (int32_t)(k * chunk);
      ranges[k].end = (int32_t)((k + 1) * chunk < ctx.grid ? (k + 1) * chunk : ctx.grid);
    }
  plab_demo_run_set_tasks_total (run, (int64_t)n_ranges);

  /* The context is complete before the pool forks its workers. */
  rc = _plab_demo_pool_map_items (run, NULL, "pool", &map, ranges, sizeof *ranges, results,
                                  sizeof *results);
  if (rc != 0)
    goto fail;

  /* The check: points spread over the grid, recomputed here one by one,
   * equal the parallel result exactly; and the estimate integrates to the
   * mass its windows put on the grid (about 1 unless h is wide). */
  for (int k = 0; k < CHECK_POINTS; k++)
    {
      size_t i = (size_t)k * (ctx.grid - 1) / (CHECK_POINTS - 1);

      equal += estimate_at (&ctx, i) == ctx.density[i];
    }
  dx = (GRID_HI - GRID_LO) / (double)(ctx.grid - 1);
  for (size_t i = 0; i < ctx.grid; i++)
    {
      double err = fabs (ctx.density[i] - true_density (grid_x (&ctx, i)));

      integral += (i == 0 || i == ctx.grid - 1 ? 0.5 : 1.0) * ctx.density[i] * dx;
      max_err = err > max_err ? err : max_err;
    }
  expected = grid_mass (&ctx);
  run->check_ok = equal == CHECK_POINTS && fabs (integral - expected) < 0.02;
  snprintf (run->check_message, sizeof run->check_message,
            "%d of %d sampled points equal the serial result; integral %.4f, the windows put "
            "%.4f on the grid",
            equal, CHECK_POINTS, integral, expected);
  run->result_json = result_json (&ctx, integral, expected, max_err, equal);
  rc = 0;

fail:
  PLAB_FREE_ALL (samples, ranges, results);
  _plab_demo_shared_free (ctx.density, ctx.grid * sizeof (double));
  return rc;
}
