/* plab-demo-futures.c: apply, apply_async, as_completed, imap and
 * imap_unordered.
 *
 * This demo teaches in which order results come back, and when. The classic
 * texts' slow_square sleeps before it returns x * x; here the tasks sleep
 * uneven times (5, 2, 1, 3 ... units). Called with apply, which waits for
 * each result before the next call, they run one after another however many
 * workers there are: the run pays the sum. Submitted one by one (apply_async, or an
 * executor's submit) and collected with as_completed, the results arrive as
 * the tasks finish: the short ones first. imap hands them back in input
 * order, holding a finished result back until every earlier one is there,
 * as map does; imap_unordered hands each over as soon as it is done. The
 * results are the same every time; only their order and when each arrives
 * change.
 */
#include "plab-demo-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_futures_lesson[]
    = "Slow squares sleep 5, 2, 1, 3, 4, 6, 2 and 1 units before they return x * x, like the "
      "texts' slow_square. First each is called with apply, which waits for its result before "
      "the next call: one worker works while the others idle, and the run pays the sum of the "
      "sleeps. Then every task is submitted at once (apply_async, or an executor's "
      "submit, which returns a future) and the futures are collected with as_completed: the "
      "short tasks come back first. Then the same tasks go through imap, which hands results "
      "back in input order as map does, holding a finished one back until all before it are "
      "there, and through imap_unordered, which hands each over as soon as it is done. The "
      "Result tab shows when each result arrived under each way: the squares are the same, "
      "only the order and the waiting differ.";

enum
{
  PARAM_TASKS,
  PARAM_UNIT_MS,
  N_PARAMS
};

#define MAX_TASKS 16

const PlabParamSpec _plab_demo_futures_params[N_PARAMS] = {
  [PARAM_TASKS] = { "tasks", PLAB_PARAM_INT,
                    "how many slow squares; they sleep 5, 2, 1, 3, 4, 6, 2, 1 units in turn", 8, 2,
                    MAX_TASKS, NULL, "tasks" },
  [PARAM_UNIT_MS] = { "unit_ms", PLAB_PARAM_INT, "length of one unit of sleep, in milliseconds",
                      100, 5, 2000, NULL, "ms" },
};

enum
{
  WAY_APPLY,
  WAY_AS_COMPLETED,
  WAY_IMAP,
  WAY_IMAP_UNORDERED,
  N_WAYS
};

static const char *const way_names[N_WAYS] = { "apply", "as_completed", "imap", "imap_unordered" };

typedef struct
{
  int64_t unit_ns;
  int n;
  int32_t next; /* imap's input */
  /* Per way: the task of each arrival, and when task i arrived (ns after
   * the way started). */
  int order[N_WAYS][MAX_TASKS];
  int64_t arrived_ns[N_WAYS][MAX_TASKS];
  int64_t way_ns[N_WAYS]; /* how long each way took */
  int wrong;              /* results that were not x * x */
} Futures;

/* The texts' slow_square: sleeps, then returns x * x for x = task + 1. */
static int
slow_square_cb (const void *item, void *result, void *user_data)
{
  const Futures *f = user_data;
  int32_t task = *(const int32_t *)item;
  int64_t x = task + 1;
  int rc = plab_sleep_ns (_plab_demo_sleep_units (task) * f->unit_ns);

  *(int64_t *)result = x * x;
  return rc;
}

static void
label_cb (size_t index, const void *item, char *label, size_t size, void *user_data)
{
  int32_t task = *(const int32_t *)item;

  snprintf (label, size, "square %d (%d units)", task + 1, _plab_demo_sleep_units (task));
}

static int
next_cb (void *item, void *data)
{
  Futures *f = data;

  if (f->next >= f->n)
    return 0;
  *(int32_t *)item = f->next++;
  return 1;
}

/* Notes arrival @k of way @way: task @task with @square, at @t0 + now. */
static void
arrived (Futures *f, int way, int k, int task, int64_t square, int64_t t0)
{
  f->order[way][k] = task;
  f->arrived_ns[way][task] = plab_now_ns () - t0;
  if (square != (int64_t)(task + 1) * (task + 1))
    f->wrong++;
}

/* Task @i as one call of slow_square, labelled in @label (PLAB_LABEL_MAX). */
static PlabTask
square_task (Futures *f, const int32_t *i, char *label)
{
  label_cb ((size_t)*i, i, label, PLAB_LABEL_MAX, NULL);
  return (PlabTask){
    .func = slow_square_cb,
    .user_data = f,
    .arg = i,
    .arg_size = sizeof *i,
    .result_size = sizeof (int64_t),
    .label = label,
  };
}

/* apply: each call waits for its result before the next is made. */
static int
collect_apply (PlabPool *pool, Futures *f)
{
  int64_t t0 = plab_now_ns ();
  int rc = 0;

  for (int32_t i = 0; i < f->n && rc == 0; i++)
    {
      char label[PLAB_LABEL_MAX];
      PlabTask task = square_task (f, &i, label);
      int64_t square = 0;

      rc = plab_pool_apply (pool, &task, &square);
      if (rc == 0)
        arrived (f, WAY_APPLY, i, i, square, t0);
    }
  return rc;
}

static int
collect_futures (PlabPool *pool, Futures *f)
{
  PlabFuture *futures[MAX_TASKS] = { 0 };
  int64_t t0 = plab_now_ns ();
  int rc = 0;

  for (int32_t i = 0; i < f->n && rc == 0; i++)
    {
      char label[PLAB_LABEL_MAX];
      PlabTask task = square_task (f, &i, label);

      rc = plab_pool_submit (pool, &task, &futures[i]);
    }
  for (int k = 0; k < f->n && rc == 0; k++)
    {
      size_t index;
      int64_t square = 0;

      rc = plab_pool_as_completed (pool, futures, (size_t)f->n, -1, &index);
      if (rc == 0)
        rc = plab_future_result (futures[index], &square, 0);
      if (rc == 0)
        arrived (f, WAY_AS_COMPLETED, k, (int)index, square, t0);
    }
  for (int i = 0; i < f->n; i++)
    plab_future_free (futures[i]);
  return rc;
}

static int
collect_imap (PlabPool *pool, Futures *f, int way)
{
  PlabImap imap = {
    .func = slow_square_cb,
    .user_data = f,
    .label = label_cb,
    .next = next_cb,
    .next_data = f,
    .item_size = sizeof (int32_t),
    .result_size = sizeof (int64_t),
    .unordered = way == WAY_IMAP_UNORDERED,
    .fail_fast = true,
  };
  PlabImapIter *it = NULL;
  int64_t t0 = plab_now_ns ();
  int rc;

  f->next = 0;
  rc = plab_pool_imap (pool, &imap, &it);
  for (int k = 0; rc == 0 && k < f->n; k++)
    {
      size_t index;
      int64_t square = 0;

      rc = plab_imap_next (it, &index, &square, -1);
      if (rc == 0)
        arrived (f, way, k, (int)index, square, t0);
    }
  plab_imap_free (it);
  return rc;
}

/* How many arrivals came before a task that was submitted earlier. */
static int
out_of_order (const Futures *f, int way)
{
  int count = 0;

  for (int k = 0; k < f->n; k++)
    for (int j = k + 1; j < f->n; j++)
      count += f->order[way][j] < f->order[way][k];
  return count;
}

/* "2, 3, 1, ...": the tasks of way @way in the order they arrived. */
static void
order_text (const Futures *f, int way, char *buf, size_t size)
{
  buf[0] = '\0';
  for (int k = 0, at = 0; k < f->n && at >= 0 && (size_t)at < size; k++)
    at += snprintf (buf + at, size - (size_t)at, "%s%d", k ? ", " : "", f->order[way][k] + 1);
}

static char *
result_json (const Futures *f)
{
  const char *cats[MAX_TASKS];
  char names[MAX_TASKS][32];
  double seconds[N_WAYS * MAX_TASKS];
  char order[4 * MAX_TASKS];
  PlabBuf buf;

  plab_buf_init (&buf);
  plab_buf_printf (&buf, "{\"tasks\": %d, \"wrong\": %d", f->n, f->wrong);
  for (int w = 0; w < N_WAYS; w++)
    {
      char key[48];

      snprintf (key, sizeof key, "%s_order", way_names[w]);
      order_text (f, w, order, sizeof order);
      plab_buf_printf (&buf, ", \"%s\": \"%s\"", key, order);
      plab_buf_printf (&buf, ", \"%s_out_of_order\": %d", way_names[w], out_of_order (f, w));
      plab_buf_printf (&buf, ", \"%s_s\": %.4f", way_names[w], f->way_ns[w] / 1e9);
    }
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "bars", "When each result arrived", "task (units of sleep)",
                          "seconds");
  for (int i = 0; i < f->n; i++)
    {
      snprintf (names[i], sizeof names[i], "%d (%d)", i + 1, _plab_demo_sleep_units (i));
      cats[i] = names[i];
    }
  for (int w = 0; w < N_WAYS; w++)
    for (int i = 0; i < f->n; i++)
      seconds[w * f->n + i] = f->arrived_ns[w][i] / 1e9;
  _plab_demo_json_bar_table (&buf, cats, (size_t)f->n, way_names, seconds, N_WAYS);
  plab_buf_append (&buf, ", \"notes\": [");
  for (int w = 0; w < N_WAYS; w++)
    {
      order_text (f, w, order, sizeof order);
      plab_buf_printf (&buf, "\"%s: %s (%d pairs out of input order)\", ", way_names[w], order,
                       out_of_order (f, w));
    }
  plab_buf_printf (&buf,
                   "\"apply took %.2f s, the sum of the sleeps; as_completed %.2f s, the tasks "
                   "overlapping\", ",
                   f->way_ns[WAY_APPLY] / 1e9, f->way_ns[WAY_AS_COMPLETED] / 1e9);
  plab_buf_append (&buf, "\"as_completed and imap_unordered hand results over as they finish; "
                         "imap holds them back for input order\"]}}");
  return plab_buf_steal (&buf);
}

int
_plab_demo_futures_run (PlabDemoRun *run)
{
  Futures *f = calloc (1, sizeof *f);
  PlabPool *pool = NULL;
  int rc = PLAB_ENOMEM;

  if (f == NULL)
    {
      snprintf (run->error, sizeof run->error, "out of memory");
      return rc;
    }
  f->n = (int)run->values[PARAM_TASKS];
  f->unit_ns = (int64_t)run->values[PARAM_UNIT_MS] * 1000000;
  plab_demo_run_set_tasks_total (run, N_WAYS * f->n);
  rc = _plab_demo_pool_new (run, NULL, "pool", &pool);
  if (rc != 0)
    goto fail;
  /* Each way is one span on the main lane, around its waits. */
  for (int w = 0; rc == 0 && w < N_WAYS; w++)
    {
      int64_t t0 = plab_now_ns ();

      if (w == WAY_APPLY)
        rc = collect_apply (pool, f);
      else if (w == WAY_AS_COMPLETED)
        rc = collect_futures (pool, f);
      else
        rc = collect_imap (pool, f, w);
      f->way_ns[w] = plab_now_ns () - t0;
      plab_span (PLAB_SPAN_TASK, t0, t0 + f->way_ns[w], -1, way_names[w]);
    }
  plab_pool_free (pool);
  if (rc != 0)
    {
      snprintf (run->error, sizeof run->error, "%s", plab_strerror (rc));
      goto fail;
    }
  /* Every result is x * x whatever the order; apply and imap keep input order. */
  run->check_ok
      = f->wrong == 0 && out_of_order (f, WAY_IMAP) == 0 && out_of_order (f, WAY_APPLY) == 0;
  snprintf (run->check_message, sizeof run->check_message,
            "%d results of %d were wrong in the four ways; apply and imap %s input order", f->wrong,
            N_WAYS * f->n,
            out_of_order (f, WAY_IMAP) || out_of_order (f, WAY_APPLY) ? "did NOT keep" : "kept");
  run->result_json = result_json (f);

fail:
  free (f);
  return rc;
}
