/* plab-chart-data.h: the one loader of chart data from the run store.
 *
 * Reads a run (or a sweep) into what the renderers draw: the timeline data
 * set of its lanes, spans and counters; the execution-time points and
 * speedup series of the runs it is compared with; its result; and the
 * titles and footers every chart carries. The window, `plab export` and the
 * tests all load through it, so a chart looks the same wherever it is drawn.
 *
 * The group a run is compared with is its sweep when it belongs to one, else
 * every finished run of the same demo with the same parameters. A sweep's
 * own timeline and result are those of its newest finished run.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plab-chart-export.h"
#include "plab-json.h"
#include "plab-store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PLAB_CHART_DATA_MAX_SERIES 8
#define PLAB_CHART_DATA_TITLE_MAX 192
#define PLAB_CHART_DATA_FOOTER_MAX 512

/* What to load: the timeline is the costly part (every span). */
typedef enum
{
  PLAB_CHART_LOAD_TIMELINE = 1 << 0,
  PLAB_CHART_LOAD_GROUP = 1 << 1, /* the time and speedup charts */
  PLAB_CHART_LOAD_RESULT = 1 << 2,
  PLAB_CHART_LOAD_ALL = 7
} PlabChartLoad;

typedef struct
{
  PlabRunRecord *run;                      /* the run; for a sweep, its newest finished run */
  char footer[PLAB_CHART_DATA_FOOTER_MAX]; /* a second line warns when the machine was busy */
  /* "other programs used 60% of the 2 CPUs during this run: times may be
   * longer than on a quiet machine" when the run's times are not to be
   * trusted (plab_machine_load_is_busy ()), else "" */
  char load_warning[256];

  /* PLAB_CHART_LOAD_TIMELINE */
  PlabLaneInfo *lanes;
  size_t n_lanes;
  PlabTimelineData *timeline; /* may be stolen (set it to NULL) */
  char timeline_title[PLAB_CHART_DATA_TITLE_MAX];

  /* PLAB_CHART_LOAD_GROUP */
  int n_group_runs; /* finished runs in the group */
  PlabTimePoint *points;
  size_t n_points;
  PlabSpeedupSeries series[PLAB_CHART_DATA_MAX_SERIES];
  PlabTimeChartData time;
  PlabSpeedupChartData speedup;
  char time_title[PLAB_CHART_DATA_TITLE_MAX];
  char speedup_title[PLAB_CHART_DATA_TITLE_MAX];
  char group_footer[PLAB_CHART_DATA_FOOTER_MAX]; /* a second line: runs measured while busy */
  /* The group's finished runs' results, parsed, with their configurations */
  PlabJson **group_results;
  char **group_backends;
  int *group_workers;
  size_t n_group_results;

  /* PLAB_CHART_LOAD_RESULT: an unreadable result shows as {} and says why
   * in result_error */
  PlabJson *result;
  PlabResultChartData result_chart;
  char result_title[PLAB_CHART_DATA_TITLE_MAX];
  char result_spread[PLAB_CHART_DATA_TITLE_MAX]; /* with the group: the run's configuration */
  char result_error[160];
  /* Those of group_results that are the run's configuration (borrowed) */
  const PlabJson **repeat_results;
} PlabChartData;

/* Whether to go on reading; asked between batches of spans. */
typedef bool (*PlabKeepGoingFunc) (void *user_data);

/* What to load: a run, or a sweep when @sweep_id is not 0, the parts in
 * @what, and optionally a @keep_going function asked between batches of
 * spans (NULL: read to the end). */
typedef struct
{
  int64_t run_id;
  int64_t sweep_id; /* a sweep: its runs as the group, its newest finished run as the run */
  PlabChartLoad what;
  PlabKeepGoingFunc keep_going;
  void *user_data;
} PlabChartRequest;

/* Loads what @request names. Returns 0 with *@out set, or a negative PLAB_E*
 * code (PLAB_ENOTFOUND: no such run, or a sweep with no runs;
 * PLAB_ECANCELLED: @keep_going said stop) with one line for the user in
 * @error. */
int plab_chart_data_load (PlabStore *store,
                          const PlabChartRequest *request,
                          PlabChartData **out,
                          char *error,
                          size_t error_len);

void plab_chart_data_free (PlabChartData *self);

/* The group's point of the run's own configuration (its backend and
 * workers), with @series and @index its speedup point when there is one
 * (else *@series is NULL); NULL when the group was not loaded or holds no
 * finished run of it. */
const PlabTimePoint *plab_chart_data_run_point (const PlabChartData *self,
                                                const PlabSpeedupSeries **series,
                                                int *index);

/* Fills @input with the chart @kind of @self. */
void plab_chart_data_input (const PlabChartData *self, PlabChartKind kind, PlabChartInput *input);

/* Reads the lanes, spans and counters of run @run_id into a new timeline
 * data set, a batch of spans at a time (never all of them as PlabEvent).
 * @keep_going, when not NULL, is asked between batches; once it returns
 * false the reading stops and PLAB_ECANCELLED is returned. Returns 0 or a
 * negative PLAB_E* code (plab_store_errmsg () says more). */
int plab_timeline_data_load (PlabStore *store,
                             int64_t run_id,
                             PlabKeepGoingFunc keep_going,
                             void *user_data,
                             PlabTimelineData **out);

#ifdef __cplusplus
}
#endif
