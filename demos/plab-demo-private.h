/* plab-demo-private.h: helpers shared by the demos (not part of the contract).
 *
 * Demos are built on core/ only: they write their results with core's JSON
 * writer (plab-json.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plab-demo.h"
#include "plab-json.h"

/* --- Workers that are not a pool (plab-demo-crew.c) ---
 *
 * A crew is a set of workers started one by one, each running its own
 * function: one process per task, producers and consumers, painters. On the
 * processes backend each worker is a PlabProcess, on threads and gil a thread
 * with a lane of its own (under one simulated GIL on gil), and on serial the
 * function runs at once on the calling thread, as a for loop would.
 *
 * Joining drains the trace while it waits and watches run->cancel: then the
 * crew raises its stop flag (workers see it through _plab_crew_stopping () and
 * return), calls the poke callback so that nobody stays blocked, and after a
 * grace period terminates the processes that did not stop.
 */
typedef struct PlabCrew PlabCrew;

typedef int (*PlabCrewFunc) (PlabCrew *crew, void *arg);

PlabCrew *_plab_crew_new (PlabDemoRun *run);
void _plab_crew_free (PlabCrew *self);

/* Called every few milliseconds by the joining thread once stopping, to
 * release workers blocked where the stop flag cannot reach them. */
void _plab_crew_set_poke (PlabCrew *self, void (*poke) (void *user_data), void *user_data);

/* Starts worker @name running @func (@self, @arg). Returns its index, or a
 * negative code with run->error set (PLAB_ECANCELLED once the run is
 * cancelled: no worker starts after Stop). */
int _plab_crew_start (PlabCrew *self, const char *name, PlabCrewFunc func, void *arg);

/* As _plab_crew_start (), the worker named by a printf format. */
int _plab_crew_startf (PlabCrew *self, PlabCrewFunc func, void *arg, const char *name_format, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Waits for worker @index, recording a wait span labelled @label on the
 * calling lane (NULL: none). Returns 0, PLAB_ECANCELLED, or PLAB_ETASK when
 * the worker failed (run->error says how). */
int _plab_crew_join_one (PlabCrew *self, int index, const char *label);

/* Joins every worker in start order; the first failure is returned, and a
 * cancel sets run->error to "cancelled". */
int _plab_crew_join (PlabCrew *self, const char *label);

/* True once the run is being cancelled; callable from any worker. */
bool _plab_crew_stopping (PlabCrew *self);

/* The index of the calling worker, in the order the crew started it (0 for
 * the first): what _plab_crew_start () returned for it. Called from a
 * worker's function, so that workers of one function need no argument
 * struct each to know which one they are; -1 outside a worker. */
int _plab_crew_index (PlabCrew *self);

/* How many workers were started. */
int _plab_crew_count (const PlabCrew *self);

/* Lets at most @slots of the crew's workers run their function at once, as
 * a semaphore of that size around each task does in the classic code: the
 * others are started (a lane each) and wait for a slot, which the timeline
 * shows as "wait: semaphore workers". This is how a demo that starts one
 * worker per task makes the run's worker count mean what it means for a
 * pool: how many tasks run at once. Call it before the first start; no
 * effect on the serial backend. Returns 0 or PLAB_ENOMEM (run->error set). */
int _plab_crew_limit (PlabCrew *self, int slots);

/* Waits @ns without using a CPU, in slices so that a stop is noticed within
 * a fraction of a second, and records one span of @kind labelled @label.
 * Lets other threads run under a simulated GIL. Returns false when stopped.
 * @label NULL records no span (the caller's span covers the wait). */
bool _plab_demo_wait (PlabCrew *crew,
                      int64_t ns,
                      PlabSpanKind kind,
                      int64_t task_id,
                      const char *label);

/* _plab_demo_wait () whose span moves item @item between lanes (@flow:
 * PLAB_FLOW_PUT, the span ends with the item handed on; PLAB_FLOW_GET, it
 * begins with the item taken), so that the timeline links the two. */
bool _plab_demo_wait_flow (PlabCrew *crew,
                           int64_t ns,
                           PlabSpanKind kind,
                           int64_t task_id,
                           const char *label,
                           PlabFlow flow,
                           int32_t item);

/* CPU work: @rounds of a multiply-add chain the compiler cannot shorten,
 * with a GIL checkpoint every 1024 rounds. Returns the chain's value; it
 * stops early at a checkpoint once the calling thread's work is cancelled,
 * so a caller asks plab_cancelled () after it. */
uint64_t _plab_demo_spin (uint64_t rounds, uint64_t seed);

/* Rounds of _plab_demo_spin () per CPU second on this machine: the rate
 * plab_demo_set_spin_rate () set, else measured on the first call (make it
 * in the parent before starting workers, so that they inherit it). */
double _plab_demo_spin_rate (void);

/* CPU work of @ns of CPU time, recorded as one task span.
 * Checks the stop flag (crew may be NULL) and the calling thread's cancel
 * flag, and returns false when stopped.
 * @label NULL records no span. */
bool _plab_demo_cpu (PlabCrew *crew, int64_t ns, int64_t task_id, const char *label, uint64_t *out);

/* Shared zeroed memory that a crew's processes and threads all see. */
void *_plab_demo_shared_new (size_t size);
void _plab_demo_shared_free (void *data, size_t size);

/* The kde demo's pieces that its ranks on the mpi backend share: the
 * samples of @seed, the x of grid point @i of @grid, and the estimate at x. */
void _plab_demo_kde_draw_samples (double *out, size_t n, uint64_t seed);
double _plab_demo_kde_grid_x (size_t grid, size_t i);
double _plab_demo_kde_estimate (const double *samples,
                                size_t n_samples,
                                double h,
                                bool gaussian,
                                double x);

/* What each demo's file gives the registry (plab-demo-registry.c), which
 * holds the rest of its descriptor: the lesson, the @n_params parameters
 * indexed by the file's enum, and the run function. The parameters' count
 * here is checked by the compiler against the file's definition. */
#define PLAB_DEMO_FILE(id, n_params)                                                               \
  extern const char _plab_demo_##id##_lesson[];                                                    \
  extern const PlabParamSpec _plab_demo_##id##_params[n_params];                                   \
  int _plab_demo_##id##_run (PlabDemoRun *run)

PLAB_DEMO_FILE (amdahl, 3);
PLAB_DEMO_FILE (barrier, 5);
PLAB_DEMO_FILE (cars, 6);
PLAB_DEMO_FILE (chef, 4);
PLAB_DEMO_FILE (counter, 4);
PLAB_DEMO_FILE (deadlock, 3);
PLAB_DEMO_FILE (futures, 2);
PLAB_DEMO_FILE (kde, 5);
PLAB_DEMO_FILE (lifecycle, 1);
PLAB_DEMO_FILE (list_append, 3);
PLAB_DEMO_FILE (manager, 3);
PLAB_DEMO_FILE (messages, 3);
PLAB_DEMO_FILE (pipe, 3);
PLAB_DEMO_FILE (pool_vs_process, 5);
PLAB_DEMO_FILE (print, 4);
PLAB_DEMO_FILE (shared, 3);
PLAB_DEMO_FILE (sleepers, 2);
PLAB_DEMO_FILE (squares, 6);
PLAB_DEMO_FILE (start_methods, 2);

/* The demos that refuse some combinations of backend, workers and values. */
int _plab_demo_barrier_validate (const PlabDemoRun *run, char *err, size_t err_size);
int _plab_demo_squares_validate (const PlabDemoRun *run, char *err, size_t err_size);

/* How many rows the tables of plab-demo-texts.c hold: the Try this steps
 * (returned) and the result labels (*@n_labels). A test adds up each demo's
 * rows and compares: a row under a misspelt name, or a demo's rows split
 * apart, is found nowhere else. */
size_t _plab_demo_text_rows (size_t *n_labels);

/* --- Pool runs --- */

/* Starts a pool in *@out with the run's backend, workers, trace and cancel
 * flag, its lanes named "@lane_prefix N" (NULL: "worker"). On failure it
 * writes "cannot start the @what: ..." into run->error. */
int _plab_demo_pool_new (PlabDemoRun *run,
                         const char *lane_prefix,
                         const char *what,
                         PlabPool **out);

/* Runs @map on a pool with the run's backend, workers, trace and cancel flag,
 * its lanes named "@lane_prefix N" (NULL: "worker"), then frees the pool. On
 * failure it writes why into run->error: "cannot start the @what: ..." when
 * the pool did not start, "cancelled", or the pool's first failure (the item
 * and, for a crash, the worker's pid and signal). */
int _plab_demo_pool_map (PlabDemoRun *run,
                         const char *lane_prefix,
                         const char *what,
                         const PlabMap *map);

/* What the sleepers demo measured, one entry per sleeper: how long it was
 * asked to wait, when it started and woke (end_ns 0: it never woke), and when
 * the main lane's join of it returned. */
typedef struct
{
  int n;
  bool serial;
  const int64_t *wait_ns;
  const int64_t *start_ns;
  const int64_t *end_ns;
  const int64_t *joined_ns;
} PlabSleepersTimes;

/* How many units task @task of the sleepers and futures demos waits: 5, 2,
 * 1, 3, 4, 6, 2, 1 in turn, the sleeps of the texts' examples. */
static inline int
_plab_demo_sleep_units (int task)
{
  static const int units[] = { 5, 2, 1, 3, 4, 6, 2, 1 };

  return units[task % (int)(sizeof units / sizeof units[0])];
}

/* The sleepers demo's check, apart from the run so that a test can give it
 * any timings. It judges correctness only: every sleeper woke, none woke
 * before its time, each join returned after its sleeper woke, and on the
 * serial backend each sleeper started after the one before it woke. How long
 * the whole run took is not judged: a busy or paused machine makes a correct
 * run slower, so the speed claim is a note of the result, not the check.
 * Writes the reason into @message and returns whether the check passed. */
bool _plab_sleepers_check (const PlabSleepersTimes *times, char *message, size_t size);

/* Runs @map with one item a task, as _plab_demo_pool_map () does: @items
 * and @results are arrays of @map->n_items elements of @item_size and
 * @result_size bytes. Fills in the rest of @map. */
static inline int
_plab_demo_pool_map_items (PlabDemoRun *run,
                           const char *lane_prefix,
                           const char *what,
                           PlabMap *map,
                           const void *items,
                           size_t item_size,
                           void *results,
                           size_t result_size)
{
  map->items = items;
  map->item_size = item_size;
  map->results = results;
  map->result_size = result_size;
  map->chunk_size = 1;
  return _plab_demo_pool_map (run, lane_prefix, what, map);
}

/* Runs @map->func on the task numbers 0 .. @map->n_items - 1 (int32_t
 * items, one task a chunk, int32_t results the caller does not see) as
 * _plab_demo_pool_map () does: for demos whose tasks are a fixed list that
 * @map->user_data describes. Fills in the rest of @map. */
int _plab_demo_pool_map_tasks (PlabDemoRun *run,
                               const char *lane_prefix,
                               const char *what,
                               PlabMap *map);

/* --- Result JSON (plab-demo-util.c) --- */

/* Appends one part to run->check_message, after "; " when it holds one
 * already; what does not fit is cut. */
void _plab_demo_check_append (PlabDemoRun *run, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Appends note @index of a result's "notes" list, formatted as printf ()
 * does and written as a JSON string: after ", " when @index is above 0. */
void _plab_demo_json_note (PlabBuf *buf, int index, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Appends the member `, "@key": @value`, the value as
 * plab_json_write_short () writes it: a member after the first. */
void _plab_demo_json_short (PlabBuf *buf, const char *key, double value);

/* The number @key of the result of the serial run of the same sweep
 * (PlabDemoRun.serial_result_json), or 0 when there is none or it is not
 * above 0. */
double _plab_demo_serial_number (const PlabDemoRun *run, const char *key);

/* Opens the member "figure" of a result: its @kind ("bars", "stacked" or
 * "lines"), @title and axis labels, then the list that follows,
 * "categories": [ for bars and stacked bars and "series": [ for lines, which
 * the caller fills and closes. */
void _plab_demo_json_figure (PlabBuf *buf,
                             const char *kind,
                             const char *title,
                             const char *x_label,
                             const char *y_label);

/* Appends @n strings as JSON strings separated by ", ": the items of a
 * figure's categories. */
void _plab_demo_json_strings (PlabBuf *buf, const char *const *strings, size_t n);

/* Fills a bars figure opened by _plab_demo_json_figure () that has one
 * series: its @n @categories, then the series @series of @n values, and
 * closes the list of series. */
void _plab_demo_json_bar_values (PlabBuf *buf,
                                 const char *const *categories,
                                 const char *series,
                                 const double *values,
                                 size_t n);

/* Fills a bars figure opened by _plab_demo_json_figure () that has
 * @n_series series: its @n @categories, then series s named @series[s] with
 * the @n values from @values[s * @n], and closes the list of series. */
void _plab_demo_json_bar_table (PlabBuf *buf,
                                const char *const *categories,
                                size_t n,
                                const char *const *series,
                                const double *values,
                                size_t n_series);

/* Appends one series of a bars figure: {"name": @name, "values": [...]}. */
void _plab_demo_json_bars_series (PlabBuf *buf, const char *name, const double *values, size_t n);

/* Appends one series of a lines figure: {"name": @name, "style": @style,
 * "x": [...], "y": [...]}, @n points. */
void _plab_demo_json_line_series (PlabBuf *buf,
                                  const char *name,
                                  const char *style,
                                  const double *xs,
                                  const double *ys,
                                  size_t n);
