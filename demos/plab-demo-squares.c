/* plab-demo-squares.c: squares with a pool, the first parallel program.
 *
 * This demo teaches what a pool does for you and what it costs. A pool takes a
 * list of items, hands them to its workers and gives the results back in the
 * order of the items, whichever worker finished first: here each item x becomes
 * x * x. Squaring a number takes a nanosecond, handing it to another process
 * takes far longer, so the pool sends items in chunks; chunk_size=1 shows the
 * cost of a hand-over per item, and the automatic chunk size hides it. A chunk
 * is recorded as one span (item_spans records every item, at a cost per item
 * that would hide the hand-over), and the result measures the hand-over: the
 * median time a worker spends between two items. The work
 * parameter adds arithmetic to every task so that the speedup of more workers
 * becomes visible. Finally crash_item makes one task crash its worker (processes
 * only): the pool loses exactly that item, names the signal, starts a
 * replacement worker and finishes all the others.
 *
 * Python's pool also has imap, which hands results over one by one in input
 * order, and imap_unordered, which hands each over as soon as it is done. The
 * arrival view runs a real imap_unordered and notes when each result arrived;
 * imap would have handed item i over once items 0 to i had all arrived, so
 * the same run also says what imap would have held back.
 */
#include "plab-demo-private.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plab-mem.h"

/* What the window shows a student beside this demo. */
const char _plab_demo_squares_lesson[]
    = "A pool hands the items of a list to its workers and gives the results back in input "
      "order, like Python's Pool.map. Every hand-over costs time, so with tiny tasks a pool "
      "can spend more time passing items around than squaring them: compare Chunk size 1 "
      "with the automatic chunk size (0) and read the hand-over time per item in the Result "
      "(the time a worker spends between two items; the timeline shows one span per chunk, "
      "and Item spans records every item, which costs time per item too). More "
      "workers only help when each "
      "task does enough work; raise Work and watch the speedup grow. On the processes "
      "backend, Crash item makes one task kill its worker: the pool loses exactly that "
      "item, replaces the worker and finishes the rest (Python's Pool instead waits for ever "
      "for the lost task, and concurrent.futures raises BrokenProcessPool and loses the whole "
      "pool). Choose View: arrival for the order "
      "results arrive in: imap hands them over in input order, so a finished item waits for "
      "slower earlier ones, while imap_unordered hands each over as soon as it is done. "
      "On the mpi backend ranks share no memory: rank 0 scatters the numbers and each rank sends "
      "its "
      "squares back, 16 bytes for one multiplication each; raise Work until the tasks outweigh the "
      "messages.";

enum
{
  PARAM_N,
  PARAM_CHUNK_SIZE,
  PARAM_WORK,
  PARAM_CRASH_ITEM,
  PARAM_VIEW,
  PARAM_ITEM_SPANS,
  N_PARAMS
};

static const char *const views[] = { "workers", "arrival", NULL };

#define MAX_N 10000000
#define MAX_FIGURE_WORKERS 64
#define MAX_ARRIVAL_POINTS 1000

const PlabParamSpec _plab_demo_squares_params[N_PARAMS] = {
  [PARAM_N] = { "n", PLAB_PARAM_INT, "how many numbers to square (0 to n - 1)", 200000, 1, MAX_N,
                NULL, "numbers" },
  [PARAM_CHUNK_SIZE] = { "chunk_size", PLAB_PARAM_INT,
                         "items handed to a worker at a time; 0 picks a size automatically", 0, 0,
                         1000000, NULL, "items" },
  [PARAM_WORK] = { "work", PLAB_PARAM_INT,
                   "extra arithmetic per item (loop rounds) so that a task costs something", 2000,
                   0, 1000000, NULL, "loop rounds" },
  [PARAM_CRASH_ITEM] = { "crash_item", PLAB_PARAM_INT,
                         "the item whose task crashes its worker (processes only); -1: none", -1,
                         -1, MAX_N - 1, NULL },
  [PARAM_VIEW] = { "view", PLAB_PARAM_CHOICE,
                   "the result figure: items per worker, or the order results arrive in with "
                   "imap and imap_unordered",
                   0, 0, 0, views },
  [PARAM_ITEM_SPANS] = { "item_spans", PLAB_PARAM_BOOL,
                         "record every item as a span of its own (the recording then costs "
                         "time per item); off: one span per chunk",
                         0, 0, 1, NULL },
};

/* Read-only context of the tasks. On the processes backend the workers see it
 * as it was when the pool was created, so it is filled in before. */
typedef struct
{
  int64_t crash_item;
  int64_t work;
} SquaresContext;

/* One result: the square and who computed it, for the per-worker figure. */
typedef struct
{
  int64_t square;
  int64_t start_ns; /* when the task started */
  int64_t end_ns; /* when the task ended; in the arrival view, when imap_unordered handed it over */
  int32_t pid;
  int32_t tid;
} SquaresResult;

/* A real segmentation fault, as a bug in a task would cause: the pointer is
 * volatile, so the compiler cannot see that it is NULL and must emit the
 * store. The undefined-behaviour sanitizer is told to let this one store
 * through: it would otherwise stop the worker with its own report and exit
 * status, and the lesson is the signal. raise () is only the fallback. */
__attribute__ ((no_sanitize ("undefined"))) static void
crash_like_a_bug (void)
{
  int *volatile nowhere = NULL;

  *nowhere = 1;
  raise (SIGSEGV);
}

static int
square_cb (const void *item, void *result, void *user_data)
{
  const SquaresContext *ctx = user_data;
  SquaresResult *out = result;
  uint64_t acc;
  int64_t x;

  out->start_ns = plab_now_ns ();
  memcpy (&x, item, sizeof x);

  if (x == ctx->crash_item)
    crash_like_a_bug ();

  /* The extra work: a chain of multiplications the compiler may not remove or
   * shorten (the asm statement hides acc's value from it). */
  acc = (uint64_t)x;
  for (int64_t i = 0; i < ctx->work; i++)
    {
      acc = acc * 6364136223846793005u + 1442695040888963407u;
      __asm__ volatile("" : "+r"(acc));
      if ((i & 4095) == 4095 && plab_cancelled ())
        return PLAB_ECANCELLED;
    }

  out->square = x * x + (int64_t)(acc & 0);
  out->pid = (int32_t)getpid ();
  out->tid = (int32_t)syscall (SYS_gettid);
  out->end_ns = plab_now_ns ();
  return 0;
}

static void
label_cb (size_t index, const void *item, char *label, size_t size, void *user_data)
{
  int64_t x;

  memcpy (&x, item, sizeof x);
  snprintf (label, size, "x=%lld", (long long)x);
}

int
_plab_demo_squares_validate (const PlabDemoRun *run, char *err, size_t err_size)
{
  double n = run->values[PARAM_N];
  double crash = run->values[PARAM_CRASH_ITEM];

  /* On processes and on mpi a crash ends one process, never the runner. */
  if (crash >= 0 && run->backend != PLAB_BACKEND_PROCESSES && run->backend != PLAB_BACKEND_MPI)
    {
      snprintf (err, err_size,
                "crash_item needs the processes backend (or mpi): on %s a crashing task would take "
                "the whole program down with it",
                plab_backend_name (run->backend));
      return PLAB_EINVAL;
    }
  if (crash >= n)
    {
      snprintf (err, err_size, "crash_item must be below n (%.0f), or -1 for none, not %.0f", n,
                crash);
      return PLAB_EINVAL;
    }
  return 0;
}

/* The lane whose worker had thread id @tid (and its name in @buf), for the
 * figure; INT32_MAX when no lane matches. */
static int
worker_lane (PlabTrace *trace, int tid, char *buf, size_t size)
{
  PlabLaneInfo lane;

  for (int i = 0; trace && i < plab_trace_n_lanes (trace); i++)
    if (plab_trace_get_lane (trace, i, &lane) == 0 && lane.tid == tid && lane.name[0])
      {
        if (buf)
          snprintf (buf, size, "%s", lane.name);
        return i;
      }
  if (buf)
    snprintf (buf, size, "tid %d", tid);
  return INT32_MAX;
}

typedef struct
{
  int64_t end_ns;
  int64_t index;
} Arrival;

static int
compare_arrivals (const void *a, const void *b)
{
  const Arrival *x = a, *y = b;

  if (x->end_ns != y->end_ns)
    return (x->end_ns > y->end_ns) - (x->end_ns < y->end_ns);
  return (x->index > y->index) - (x->index < y->index);
}

/* What imap would have held back: items that arrived while an earlier item was
 * still missing, and the mean time they would have waited for it. */
static void
imap_holdback (const SquaresResult *results,
               const int *status,
               size_t n,
               size_t *held,
               double *mean_wait_ms)
{
  int64_t prefix_max = INT64_MIN;
  double wait_ns = 0;
  size_t ok = 0;

  *held = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (status[i] != 0)
        continue;
      ok++;
      if (results[i].end_ns < prefix_max)
        {
          (*held)++;
          wait_ns += (double)(prefix_max - results[i].end_ns);
        }
      else
        prefix_max = results[i].end_ns;
    }
  *mean_wait_ms = ok ? wait_ns / (double)ok / 1e6 : 0;
}

/* The arrival figure: item index against arrival rank under imap_unordered
 * (points), and imap's diagonal (every item in its own place). */
static void
append_arrival_figure (PlabBuf *buf, const SquaresResult *results, const int *status, size_t n)
{
  Arrival *order = malloc (n * sizeof *order);
  double *xs = malloc (MAX_ARRIVAL_POINTS * sizeof *xs);
  double *ys = malloc (MAX_ARRIVAL_POINTS * sizeof *ys);
  double diag[2];
  size_t m = 0, k = 0, step;

  if (order == NULL || xs == NULL || ys == NULL)
    {
      plab_buf_append (buf, "\"figure\": null");
      goto out;
    }
  for (size_t i = 0; i < n; i++)
    if (status[i] == 0)
      order[m++] = (Arrival){ results[i].end_ns, (int64_t)i };
  qsort (order, m, sizeof *order, compare_arrivals);
  step = m > MAX_ARRIVAL_POINTS ? (m + MAX_ARRIVAL_POINTS - 1) / MAX_ARRIVAL_POINTS : 1;
  for (size_t r = 0; r < m && k < MAX_ARRIVAL_POINTS; r += step)
    {
      xs[k] = (double)r;
      ys[k++] = (double)order[r].index;
    }
  diag[0] = 0;
  diag[1] = m ? (double)(m - 1) : 0;
  _plab_demo_json_figure (buf, "lines", "The order results arrive in", "arrival", "item");
  _plab_demo_json_line_series (buf, "imap_unordered", "points", xs, ys, k);
  plab_buf_append (buf, ", ");
  _plab_demo_json_line_series (buf, "imap and map (input order)", "dashed", diag, diag, 2);
  plab_buf_append (buf, "], \"notes\": [\"the order plab_imap_next () handed the results "
                        "over in, with imap_unordered\"]}");
out:
  PLAB_FREE_ALL (order, xs, ys);
}

#define MAX_GAPS 1000000

static int
compare_int64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

  return (x > y) - (x < y);
}

/* The time a worker spends between finishing one item and starting its next:
 * claiming the next chunk, and recording spans. A worker takes its chunks in
 * increasing item order and runs a chunk's items in order, so in item order
 * each worker's items follow one another in time. The median of those gaps,
 * not the mean: a worker the system paused for a few milliseconds (another
 * program, the runner) makes one gap huge, which says nothing about the
 * hand-over. Returns NAN when no worker did two items. */
static double
handover_ns_per_item (const SquaresResult *results, const int *status, size_t n)
{
  int tids[MAX_FIGURE_WORKERS];
  int64_t last_end[MAX_FIGURE_WORKERS];
  size_t n_workers = 0, w = 0, gaps = 0;
  size_t step = n > MAX_GAPS ? (n + MAX_GAPS - 1) / MAX_GAPS : 1;
  int64_t *gap = malloc ((n / step + 1) * sizeof *gap);
  double median = NAN;

  if (gap == NULL)
    return NAN;
  for (size_t i = 0; i < n; i++)
    {
      if (status[i] != 0)
        continue;
      /* Most items are on the same worker as the item before. */
      if (w >= n_workers || tids[w] != results[i].tid)
        for (w = 0; w < n_workers && tids[w] != results[i].tid; w++)
          ;
      if (w == n_workers)
        {
          if (n_workers == MAX_FIGURE_WORKERS)
            continue;
          tids[n_workers++] = results[i].tid;
        }
      else if (results[i].start_ns >= last_end[w] && i % step == 0)
        gap[gaps++] = results[i].start_ns - last_end[w];
      last_end[w] = results[i].end_ns;
    }
  if (gaps > 0)
    {
      qsort (gap, gaps, sizeof *gap, compare_int64);
      median = gaps % 2 ? (double)gap[gaps / 2]
                        : ((double)gap[gaps / 2 - 1] + (double)gap[gaps / 2]) / 2;
    }
  free (gap);
  return median;
}

/* Writes the result summary: numbers, and a bar figure of the items each
 * worker computed, which shows how evenly the pool shared the work. */
static char *
result_json (PlabDemoRun *run,
             const SquaresResult *results,
             const int *status,
             size_t n,
             size_t correct,
             long double sum,
             const PlabMapReport *report)
{
  int tids[MAX_FIGURE_WORKERS];
  size_t counts[MAX_FIGURE_WORKERS];
  size_t n_workers = 0;
  size_t other = 0;
  char name[PLAB_LANE_NAME_MAX + 16];
  size_t held;
  double wait_ms, handover;
  PlabBuf buf;

  for (size_t i = 0; i < n; i++)
    {
      size_t w;

      if (status[i] != 0)
        continue;
      for (w = 0; w < n_workers && tids[w] != results[i].tid; w++)
        ;
      if (w == n_workers)
        {
          if (n_workers == MAX_FIGURE_WORKERS)
            {
              other++;
              continue;
            }
          tids[n_workers] = results[i].tid;
          counts[n_workers++] = 0;
        }
      counts[w]++;
    }

  /* Bars in lane order (worker 1, worker 2, ...), not in order of appearance. */
  for (size_t a = 1; a < n_workers; a++)
    for (size_t b = a; b > 0
                       && worker_lane (run->trace, tids[b - 1], NULL, 0)
                              > worker_lane (run->trace, tids[b], NULL, 0);
         b--)
      {
        int t = tids[b];
        size_t c = counts[b];

        tids[b] = tids[b - 1];
        counts[b] = counts[b - 1];
        tids[b - 1] = t;
        counts[b - 1] = c;
      }

  plab_buf_init (&buf);
  plab_buf_printf (&buf, "{\"n\": %zu, \"correct\": %zu, \"lost\": %zu, \"sum\": ", n, correct,
                   n - correct);
  plab_json_write_number (&buf, (double)sum);
  imap_holdback (results, status, n, &held, &wait_ms);
  plab_buf_printf (&buf, ", \"imap_held_back\": %zu, \"imap_mean_wait_ms\": ", held);
  plab_json_write_short (&buf, wait_ms);
  plab_buf_printf (&buf, ", \"workers_used\": %zu", n_workers);
  if (run->values[PARAM_VIEW] == 1)
    {
      plab_buf_append (&buf, ", ");
      append_arrival_figure (&buf, results, status, n);
      plab_buf_append (&buf, "}");
      return plab_buf_steal (&buf);
    }
  /* The hand-over cost is the lesson of chunk_size; the arrival view's
   * end times are arrivals, not ends of tasks, so only a map measures it. */
  handover = handover_ns_per_item (results, status, n);
  if (!isnan (handover))
    _plab_demo_json_short (&buf, "handover_ns_per_item", handover);
  if (report->n_chunks > 0)
    _plab_demo_json_short (&buf, "items_per_handover", (double)n / (double)report->n_chunks);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "bars", "Items squared by each worker", "worker", "items");
  for (size_t w = 0; w < n_workers; w++)
    {
      worker_lane (run->trace, tids[w], name, sizeof name);
      if (w > 0)
        plab_buf_append (&buf, ", ");
      plab_json_write_string (&buf, name);
    }
  if (other)
    plab_buf_append (&buf, n_workers ? ", \"others\"" : "\"others\"");
  plab_buf_append (&buf, "], \"series\": [{\"name\": \"items\", \"values\": [");
  for (size_t w = 0; w < n_workers; w++)
    plab_buf_printf (&buf, "%s%zu", w ? ", " : "", counts[w]);
  if (other)
    plab_buf_printf (&buf, "%s%zu", n_workers ? ", " : "", other);
  plab_buf_append (&buf, "]}], \"notes\": [");
  plab_buf_printf (&buf, "\"%zu of %zu squares correct\", ", correct, n);
  if (!isnan (handover))
    plab_buf_printf (&buf,
                     "\"%.0f ns between one item and the next on a worker (the median): the "
                     "hand-over (claiming the next chunk%s)\", ",
                     handover, run->values[PARAM_ITEM_SPANS] ? ", recording each item's span" : "");
  plab_buf_append (&buf, "\"results come back in input order, whoever computed them\"]}}");
  return plab_buf_steal (&buf);
}

/* The input of imap: the items, read one at a time as the pool has room. */
typedef struct
{
  const int64_t *items;
  size_t next;
  size_t n;
} Feed;

static int
feed_next (void *item, void *data)
{
  Feed *feed = data;

  if (feed->next >= feed->n)
    return 0;
  memcpy (item, &feed->items[feed->next++], sizeof (int64_t));
  return 1;
}

/* The arrival view runs @map as a real imap_unordered: each result's end_ns
 * becomes the moment the pool handed it over, and failures go into
 * map->status and @report as a map would put them. */
static int
squares_imap_unordered (PlabPool *pool, const PlabMap *map, PlabMapReport *report)
{
  Feed feed = { map->items, 0, map->n_items };
  PlabImap spec = {
    .func = map->func,
    .user_data = map->user_data,
    .label = map->label,
    .next = feed_next,
    .next_data = &feed,
    .item_size = map->item_size,
    .result_size = map->result_size,
    .unordered = true,
  };
  SquaresResult *results = map->results;
  int *status = map->status;
  PlabImapIter *it;
  SquaresResult r;
  size_t index;
  int rc;

  for (size_t i = 0; i < map->n_items; i++)
    status[i] = PLAB_ECANCELLED;
  rc = plab_pool_imap (pool, &spec, &it);
  if (rc != 0)
    return rc;
  while ((rc = plab_imap_next (it, &index, &r, -1)) != PLAB_EDONE)
    {
      if (index == SIZE_MAX)
        break;
      status[index] = rc;
      if (rc == 0)
        {
          results[index] = r;
          results[index].end_ns = plab_now_ns ();
          continue;
        }
      if (report->n_failed == 0 || index < report->first_failed)
        {
          report->first_failed = index;
          report->first_error = rc;
          report->first_task_code = rc == PLAB_ETASK ? plab_imap_task_code (it) : 0;
          snprintf (report->message, sizeof report->message, "item %zu: %s", index,
                    plab_imap_message (it)[0] ? plab_imap_message (it) : plab_strerror (rc));
        }
      report->n_failed++;
    }
  plab_imap_free (it);
  if (rc == PLAB_EDONE)
    rc = report->n_failed > 0 ? PLAB_ETASK : 0;
  return rc;
}

/* Stage 1: run the pool over the items, as a map or an unordered imap, and
 * name a failure of the pool itself (not of an item) in run->error. */
static int
squares_map (PlabDemoRun *run,
             SquaresContext *ctx,
             const int64_t *items,
             SquaresResult *results,
             int *status,
             size_t n,
             PlabMapReport *report)
{
  PlabMap map = { 0 };
  PlabPool *pool = NULL;
  int rc;

  rc = _plab_demo_pool_new (run, "worker", "pool", &pool);
  if (rc != 0)
    return rc;

  map.func = square_cb;
  map.user_data = ctx;
  map.label = label_cb;
  map.items = items;
  map.item_size = sizeof *items;
  map.n_items = n;
  map.results = results;
  map.result_size = sizeof *results;
  map.chunk_size = (size_t)run->values[PARAM_CHUNK_SIZE];
  map.status = status;
  map.chunk_spans = !run->values[PARAM_ITEM_SPANS];
  if (run->values[PARAM_VIEW] == 1)
    rc = squares_imap_unordered (pool, &map, report);
  else
    rc = plab_pool_map (pool, &map, report);
  plab_pool_free (pool);

  if (rc == PLAB_ECANCELLED)
    snprintf (run->error, sizeof run->error, "cancelled");
  else if (rc != 0 && rc != PLAB_ETASK)
    snprintf (run->error, sizeof run->error, "the pool failed: %s", plab_strerror (rc));
  return rc;
}

/* Stage 2, the check: every item that succeeded must hold exactly its square.
 * Returns how many did, adds their squares to @sum and writes the verdict. */
static size_t
squares_check (PlabDemoRun *run,
               const SquaresResult *results,
               int *status,
               size_t n,
               const PlabMapReport *report,
               long double *sum)
{
  size_t correct = 0;
  const char *why;

  for (size_t i = 0; i < n; i++)
    {
      int64_t x = (int64_t)i;

      if (status[i] == 0 && results[i].square == x * x)
        {
          correct++;
          *sum += (long double)x * (long double)x;
        }
      else if (status[i] == 0)
        status[i] = PLAB_ETASK; /* wrong, so it does not count in the figure */
    }

  run->check_ok = correct == n;
  if (run->check_ok)
    {
      snprintf (run->check_message, sizeof run->check_message, "all %zu squares correct", n);
      return correct;
    }
  /* The pool's message starts with "item N: "; the check names the item itself. */
  why = report->message;
  if (!strncmp (why, "item ", 5) && strstr (why, ": "))
    why = strstr (why, ": ") + 2;
  if (report->n_failed > 0)
    snprintf (run->check_message, sizeof run->check_message,
              "%zu of %zu correct; item %zu%s lost: %.160s", correct, n, report->first_failed,
              n - correct > 1 ? " and others" : "",
              why[0] ? why : plab_strerror (report->first_error));
  else
    snprintf (run->check_message, sizeof run->check_message,
              "%zu of %zu correct; some results are wrong", correct, n);
  if (report->message[0])
    snprintf (run->error, sizeof run->error, "%.250s", report->message);
  return correct;
}

int
_plab_demo_squares_run (PlabDemoRun *run)
{
  size_t n = (size_t)run->values[PARAM_N];
  SquaresContext ctx = {
    .crash_item = (int64_t)run->values[PARAM_CRASH_ITEM],
    .work = (int64_t)run->values[PARAM_WORK],
  };
  PlabMapReport report = { 0 };
  int64_t *items = NULL;
  SquaresResult *results = NULL;
  int *status = NULL;
  size_t correct;
  long double sum = 0;
  int rc;

  if (_plab_demo_squares_validate (run, run->error, sizeof run->error) != 0)
    return PLAB_EINVAL;

  items = malloc (n * sizeof *items);
  results = calloc (n, sizeof *results);
  status = calloc (n, sizeof *status);
  if (items == NULL || results == NULL || status == NULL)
    {
      rc = PLAB_ENOMEM;
      snprintf (run->error, sizeof run->error, "no memory for %zu items", n);
      goto fail;
    }
  for (size_t i = 0; i < n; i++)
    items[i] = (int64_t)i;
  /* Progress counts task spans: one per item when every item has one (and
   * in imap, which hands items over one by one), else an unknown number of
   * chunks. */
  plab_demo_run_set_tasks_total (run, run->values[PARAM_ITEM_SPANS] || run->values[PARAM_VIEW] == 1
                                          ? (int64_t)n
                                          : 0);

  rc = squares_map (run, &ctx, items, results, status, n, &report);
  if (rc != 0 && rc != PLAB_ETASK)
    goto fail;

  correct = squares_check (run, results, status, n, &report, &sum);
  run->result_json = result_json (run, results, status, n, correct, sum, &report);
  rc = 0;

fail:
  PLAB_FREE_ALL (items, results, status);
  return rc;
}
