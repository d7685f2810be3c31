/* plab-demo-manager.c: a counter kept by a manager, against shared memory.
 *
 * This demo teaches what Python's multiprocessing.Manager () costs. Workers
 * add 1 to one counter many times, three ways: through a manager proxy (the
 * counter lives in a server process; every increment is a request and a
 * reply over a pipe, a round trip the timeline shows as a span), in shared
 * memory under a lock (as Python's Value with get_lock ()), and with an
 * atomic add on shared memory. All three count exactly: the server runs one
 * request at a time, the lock makes the read-add-write one step, the atomic
 * does it in one instruction. What differs is the cost of one increment,
 * which the Result compares: the manager pays two context switches for each.
 * Each worker that counted through the manager then appends its share to a
 * manager list, the kind of object shared memory cannot hold: one more round
 * trip per worker, and the parent reads every share back from the list.
 */
#include "plab-demo-private.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_manager_lesson[]
    = "Python's Manager () keeps shared objects in a server process, and every other process "
      "reaches them through a proxy: each call is a request and a reply over a pipe, a round trip "
      "that the timeline shows as a span on the worker's lane. Here workers add 1 to one counter "
      "three ways: through a manager proxy, in shared memory under a lock (Python's Value with "
      "get_lock ()), and with an atomic add on shared memory. All three count exactly, since the "
      "server runs one request at a time, but the manager costs more per operation than the lock "
      "and far more than the atomic: each increment pays two context switches. Each worker then "
      "appends its share to a manager list, one round trip more, and the parent reads them all "
      "back from the list. A manager is worth it for objects shared memory cannot hold (a dict, a "
      "list, a namespace) or processes on other machines, not for a hot counter.";

enum
{
  PARAM_MODE,
  PARAM_COUNTERS,
  PARAM_INCREMENTS,
  N_PARAMS
};

enum
{
  WAY_MANAGER,
  WAY_LOCK,
  WAY_ATOMIC,
  N_WAYS
};

static const char *const modes[] = { "all", "manager", "lock", "atomic", NULL };

/* The keys of the result, and the words of the timeline's task spans. */
static const char *const way_names[N_WAYS] = { "manager", "lock", "atomic" };
static const char *const way_labels[N_WAYS] = {
  "count through the manager",
  "count under a lock",
  "count atomically",
};

#define MAX_COUNTERS 16
#define COUNTER_KEY "counter"
#define RESULTS_LIST "results"

const PlabParamSpec _plab_demo_manager_params[N_PARAMS] = {
  [PARAM_MODE]
  = { "mode", PLAB_PARAM_CHOICE,
      "which counters to run: all three one after another, or one of them", 0, 0, 0, modes, NULL },
  [PARAM_COUNTERS] = { "counters", PLAB_PARAM_INT, "workers incrementing the counter", 4, 1,
                       MAX_COUNTERS, NULL, "workers" },
  [PARAM_INCREMENTS] = { "increments", PLAB_PARAM_INT,
                         "increments each worker makes each way (every one through the "
                         "manager is a round trip and a span on the timeline)",
                         2000, 1, 200000, NULL, "increments" },
};

/* Shared by every worker. locked_value is read and written only while
 * holding the lock; atomic_value only by atomic_fetch_add. Worker i writes
 * only its own begin_ns[i] and end_ns[i], read by the parent after the join. */
typedef struct
{
  volatile int64_t locked_value;
  _Atomic int64_t atomic_value;
  int64_t begin_ns[MAX_COUNTERS][N_WAYS];
  int64_t end_ns[MAX_COUNTERS][N_WAYS];
  int failed; /* a proxy call failed: the server is gone */
} ManagerShared;

typedef struct
{
  ManagerShared *sh;
  PlabManager *mgr;
  PlabLock *lock;
  PlabBarrier *barrier;
  bool ways[N_WAYS];
  int64_t increments;
} Counting;

typedef struct
{
  Counting *c;
  int index;
} CountArg;

/* One increment of way @w by worker @index; false when it failed. */
static bool
increment (Counting *c, int index, int w)
{
  switch (w)
    {
    case WAY_MANAGER:
      /* A request frame out, a reply frame back: the proxy records the
       * round trip as a span on this lane. */
      return plab_proxy_add (plab_manager_proxy (c->mgr, index), COUNTER_KEY, 1, NULL) == 0;
    case WAY_LOCK:
      if (plab_lock_acquire (c->lock, -1) != 0)
        return false;
      c->sh->locked_value = c->sh->locked_value + 1;
      plab_lock_release (c->lock);
      return true;
    default:
      atomic_fetch_add_explicit (&c->sh->atomic_value, 1, memory_order_relaxed);
      return true;
    }
}

static int
count_cb (PlabCrew *crew, void *arg)
{
  CountArg *a = arg;
  Counting *c = a->c;

  for (int w = 0; w < N_WAYS; w++)
    {
      int64_t t0;

      if (!c->ways[w])
        continue;
      /* Everyone starts a way together, so the workers really contend. */
      if (_plab_crew_stopping (crew) || plab_barrier_wait (c->barrier, -1) < 0)
        return 1;
      t0 = plab_now_ns ();
      c->sh->begin_ns[a->index][w] = t0;
      for (int64_t i = 0; i < c->increments; i++)
        {
          if (!increment (c, a->index, w))
            {
              c->sh->failed = 1;
              return 1;
            }
          if ((i & 255) == 0 && (_plab_crew_stopping (crew) || plab_checkpoint ()))
            return 1;
        }
      c->sh->end_ns[a->index][w] = plab_now_ns ();
      plab_span (PLAB_SPAN_TASK, t0, c->sh->end_ns[a->index][w], w, way_labels[w]);
      if (w == WAY_MANAGER)
        {
          /* The worker's share goes on the manager's list: one round trip,
           * after the timed loop so the cost per increment stays the
           * counter's alone. */
          PlabManaged share = plab_managed_int64 (c->increments);
          if (plab_proxy_list_append (plab_manager_proxy (c->mgr, a->index), RESULTS_LIST, &share,
                                      NULL)
              != 0)
            {
              c->sh->failed = 1;
              return 1;
            }
        }
    }
  return 0;
}

/* Releases workers blocked at the barrier once the run is stopping. */
static void
poke_cb (void *user_data)
{
  Counting *c = user_data;

  plab_barrier_wait (c->barrier, 1);
}

static int64_t
counted (const Counting *c, int w)
{
  int64_t v = 0;

  if (w == WAY_MANAGER)
    plab_proxy_get (plab_manager_proxy (c->mgr, 0), COUNTER_KEY, &v);
  else
    v = w == WAY_LOCK ? c->sh->locked_value : atomic_load (&c->sh->atomic_value);
  return v;
}

/* The manager list of the workers' shares: how many items it holds and
 * what they add up to (both 0 when it cannot be read). */
static void
list_shares (const Counting *c, int64_t *items, int64_t *sum)
{
  PlabProxy *p = plab_manager_proxy (c->mgr, 0);

  *items = 0;
  *sum = 0;
  if (plab_proxy_list_len (p, RESULTS_LIST, items) != 0)
    return;
  for (int64_t i = 0; i < *items; i++)
    {
      PlabManaged v;
      if (plab_proxy_list_get (p, RESULTS_LIST, i, &v) == 0 && v.type == PLAB_MANAGED_INT64)
        *sum += v.u.i;
    }
}

/* Nanoseconds one increment of way @w took a worker: the time each worker
 * spent counting that way, added up, over all the increments made. A worker
 * that waits for the lock or the server pays the wait; the skew between
 * workers' starts costs nothing. */
static double
ns_per_increment (const Counting *c, int n, int w)
{
  int64_t sum = 0;

  for (int i = 0; i < n; i++)
    sum += c->sh->end_ns[i][w] - c->sh->begin_ns[i][w];
  return (double)sum / (double)(c->increments * n);
}

static char *
result_json (const Counting *c, int n, int64_t items, int64_t sum)
{
  int64_t expected = c->increments * n;
  double cost[N_WAYS];
  const char *cats[N_WAYS];
  int k = 0;
  PlabBuf buf;

  plab_buf_init (&buf);
  plab_buf_printf (&buf, "{\"counters\": %d, \"expected\": %lld", n, (long long)expected);
  for (int w = 0; w < N_WAYS; w++)
    {
      char key[48];

      if (!c->ways[w])
        continue;
      plab_buf_printf (&buf, ", \"%s_count\": %lld", way_names[w], (long long)counted (c, w));
      snprintf (key, sizeof key, "%s_ns_per_increment", way_names[w]);
      cost[k] = ns_per_increment (c, n, w);
      _plab_demo_json_short (&buf, key, cost[k]);
      cats[k++] = way_names[w];
    }
  if (c->ways[WAY_MANAGER])
    plab_buf_printf (&buf,
                     ", \"round_trips\": %lld, \"list_round_trips\": %d, \"list_items\": %lld, "
                     "\"list_sum\": %lld",
                     (long long)expected, n, (long long)items, (long long)sum);
  if (c->ways[WAY_MANAGER] && c->ways[WAY_ATOMIC] && cost[k - 1] > 0)
    _plab_demo_json_short (&buf, "manager_over_atomic", cost[0] / cost[k - 1]);
  if (c->ways[WAY_MANAGER] && c->ways[WAY_LOCK])
    _plab_demo_json_short (&buf, "manager_over_lock", cost[1] > 0 ? cost[0] / cost[1] : 0);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "bars", "The cost of one increment", "counter", "ns per increment");
  _plab_demo_json_bar_values (&buf, cats, "ns per increment", cost, (size_t)k);
  plab_buf_append (&buf, ", \"notes\": [");
  for (int w = 0, i = 0; w < N_WAYS; w++)
    if (c->ways[w])
      {
        plab_buf_printf (&buf, "%s\"%s: %lld of %lld, %.0f ns each\"", i ? ", " : "", way_labels[w],
                         (long long)counted (c, w), (long long)expected, cost[i]);
        i++;
      }
  if (c->ways[WAY_MANAGER])
    plab_buf_printf (&buf,
                     ", \"the manager list: %lld shares adding up to %lld, one round trip each\"",
                     (long long)items, (long long)sum);
  plab_buf_append (&buf, "]}}");
  return plab_buf_steal (&buf);
}

int
_plab_demo_manager_run (PlabDemoRun *run)
{
  int mode = (int)run->values[PARAM_MODE];
  int n = (int)run->values[PARAM_COUNTERS];
  bool serial = run->backend == PLAB_BACKEND_SERIAL;
  Counting c = { .increments = (int64_t)run->values[PARAM_INCREMENTS] };
  CountArg args[MAX_COUNTERS];
  PlabCrew *crew = NULL;
  int64_t expected = c.increments * n;
  bool exact = true;
  int64_t items = 0, sum = 0;
  int rc;

  for (int w = 0; w < N_WAYS; w++)
    c.ways[w] = mode == 0 || mode == w + 1;
  c.sh = _plab_demo_shared_new (sizeof *c.sh);
  c.lock = plab_lock_new ("counter");
  c.barrier = plab_barrier_new ("start", serial ? 1 : (unsigned)n);
  /* The server is forked now, before the workers: each gets its own proxy. */
  rc = c.sh && c.lock && c.barrier ? plab_manager_new (n, &c.mgr) : PLAB_ENOMEM;
  if (rc == 0 && (rc = plab_proxy_set (plab_manager_proxy (c.mgr, 0), COUNTER_KEY, 0)) == 0)
    crew = _plab_crew_new (run);
  if (crew == NULL)
    {
      snprintf (run->error, sizeof run->error, "cannot start the manager: %s",
                plab_strerror (rc ? rc : PLAB_ENOMEM));
      rc = rc ? rc : PLAB_ENOMEM;
      goto fail;
    }
  _plab_crew_set_poke (crew, poke_cb, &c);
  plab_demo_run_set_tasks_total (run, (int64_t)n * (c.ways[0] + c.ways[1] + c.ways[2]));

  for (int i = 0; i < n && rc >= 0; i++)
    {
      args[i] = (CountArg){ &c, i };
      rc = _plab_crew_startf (crew, count_cb, &args[i], "counter %d", i + 1);
    }
  if (rc >= 0)
    rc = _plab_crew_join (crew, "join the counters");
  if (rc != 0)
    goto fail;

  /* The check: all three ways count exactly. */
  for (int w = 0; w < N_WAYS; w++)
    {
      int64_t got;

      if (!c.ways[w])
        continue;
      got = counted (&c, w);
      exact = exact && got == expected;
      _plab_demo_check_append (run, "%s %lld of %lld", way_names[w], (long long)got,
                               (long long)expected);
    }
  /* And the list: one share from each worker, none lost. */
  if (c.ways[WAY_MANAGER])
    {
      list_shares (&c, &items, &sum);
      exact = exact && items == n && sum == expected;
      _plab_demo_check_append (run, "manager list %lld of %d shares", (long long)items, n);
    }
  run->check_ok = exact && !c.sh->failed;
  run->result_json = result_json (&c, n, items, sum);
  rc = 0;

fail:
  _plab_crew_free (crew);
  plab_manager_free (c.mgr);
  plab_barrier_free (c.barrier);
  plab_lock_free (c.lock);
  _plab_demo_shared_free (c.sh, sizeof *c.sh);
  return rc;
}
