/* plab-demo-counter.c: a shared counter, lost updates and their fix.
 *
 * This demo teaches why `counter += 1` is not one step. Workers increment one
 * shared counter: without a lock each of them reads the value, computes, and
 * writes back, so whenever another worker wrote in between, that worker's
 * updates are lost. With a lock the read-compute-write becomes one step for
 * everyone else and the count is exact, at the price of running the
 * increments one at a time; an atomic add is exact and cheap, but only
 * exists for simple operations. Under a simulated GIL the unlocked counter
 * still loses updates: the interpreter may switch threads between the read
 * and the write, exactly as CPython can.
 */
#include "plab-demo-private.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_counter_lesson[]
    = "Four workers each add 1 to a shared counter many times. Without a lock the total "
      "comes out short: an increment reads the value, computes and writes it back, and "
      "whatever another worker wrote in between is overwritten. With a lock the count is "
      "exact, but the whole increment now runs one worker at a time: look for the lock wait "
      "spans on the timeline and compare the times in the Result tab (with Mode lock, set "
      "Work to 0 and the lock's own cost shows; with Work 0 and no lock an increment is so "
      "short that a worker may finish before another starts, and then nothing is lost: the "
      "race is still there, only not hit). The increment is the critical section: the atomic add "
      "is exact and much cheaper than the lock, because the processor does the read-and-write "
      "as one step, though not always as cheap as the unlocked one (one run measured 1.4x at "
      "Work 0); Python's Value has no atomic add. On the gil backend the unlocked counter still "
      "loses updates, as in "
      "Python, but the simulation switches threads between the read and the write of every "
      "increment, so it loses far more than CPython threads doing x += 1 (rarely, since 3.10), "
      "while such losses are typical of Value.value += 1 across processes; only the serial "
      "backend never loses any.";

enum
{
  PARAM_MODE,
  PARAM_COUNTERS,
  PARAM_INCREMENTS,
  PARAM_WORK,
  N_PARAMS
};

enum
{
  VARIANT_NONE,
  VARIANT_LOCK,
  VARIANT_ATOMIC,
  N_VARIANTS
};

static const char *const modes[] = { "all", "no-lock", "lock", "atomic", NULL };

static const char *const variant_labels[N_VARIANTS] = {
  "count without lock",
  "count with lock",
  "count atomically",
};

static const char *const variant_names[N_VARIANTS] = { "no-lock", "lock", "atomic" };

#define MAX_COUNTERS 16

const PlabParamSpec _plab_demo_counter_params[N_PARAMS] = {
  [PARAM_MODE]
  = { "mode", PLAB_PARAM_CHOICE,
      "which counters to run: all three one after another, or one of them", 0, 0, 0, modes },
  [PARAM_COUNTERS] = { "counters", PLAB_PARAM_INT, "workers incrementing the shared counter", 4, 1,
                       MAX_COUNTERS, NULL, "workers" },
  [PARAM_INCREMENTS] = { "increments", PLAB_PARAM_INT, "increments each worker makes", 200000, 1,
                         10000000, NULL, "increments" },
  [PARAM_WORK] = { "work", PLAB_PARAM_INT,
                   "arithmetic between reading and writing the value (loop rounds), like the "
                   "interpreter's own steps in counter.value += 1",
                   200, 0, 100000, NULL, "loop rounds" },
};

/* The shared counters. The unlocked one is read and then written back by
 * every worker with no protection, each access atomic on its own but the pair
 * not (two relaxed operations, not one read-modify-write): updates are lost
 * exactly as with a plain `+=`, without the undefined behaviour of a plain
 * data race in C. value[VARIANT_LOCK] is read and written plainly (volatile,
 * so every access really happens) only while holding lock. The atomic one is
 * only changed by atomic_fetch_add. start_ns and end_ns are written by each
 * worker for its own index. */
typedef struct
{
  _Atomic int64_t unlocked_value;
  volatile int64_t value[N_VARIANTS];
  _Atomic int64_t atomic_value;
  int64_t start_ns[MAX_COUNTERS][N_VARIANTS];
  int64_t end_ns[MAX_COUNTERS][N_VARIANTS];
} CounterShared;

typedef struct
{
  CounterShared *sh;
  PlabLock *lock;
  PlabBarrier *barrier;
  bool variants[N_VARIANTS];
  int64_t increments;
  uint64_t work;
} Counting;

static int
counter_cb (PlabCrew *crew, void *arg)
{
  Counting *c = arg;
  CounterShared *sh = c->sh;
  int index = _plab_crew_index (crew);
  uint64_t acc = (uint64_t)index;

  for (int v = 0; v < N_VARIANTS; v++)
    {
      int64_t t0;

      if (!c->variants[v])
        continue;
      /* Everyone starts a variant together, so the workers really overlap. */
      if (_plab_crew_stopping (crew) || plab_barrier_wait (c->barrier, -1) < 0
          || _plab_crew_stopping (crew))
        return 1;
      t0 = plab_now_ns ();
      sh->start_ns[index][v] = t0;
      for (int64_t i = 0; i < c->increments; i++)
        {
          int64_t seen;
          bool stop;

          switch (v)
            {
            case VARIANT_NONE:
              seen = atomic_load_explicit (&sh->unlocked_value, memory_order_relaxed);
              acc = _plab_demo_spin (c->work, acc);
              /* The interpreter may switch threads here, as CPython can
               * between the bytecodes of `+=`. */
              stop = plab_checkpoint ();
              atomic_store_explicit (&sh->unlocked_value, seen + 1, memory_order_relaxed);
              break;
            case VARIANT_LOCK:
              /* Not held unless 0 or EOWNERDEAD: a cancel ends the wait. */
              if (plab_lock_acquire (c->lock, -1) == PLAB_ECANCELLED)
                return 1;
              seen = sh->value[v];
              acc = _plab_demo_spin (c->work, acc);
              stop = plab_checkpoint ();
              sh->value[v] = seen + 1;
              plab_lock_release (c->lock);
              break;
            default:
              acc = _plab_demo_spin (c->work, acc);
              stop = plab_checkpoint ();
              atomic_fetch_add_explicit (&sh->atomic_value, 1, memory_order_relaxed);
              break;
            }
          /* Cancelled: the run is cancelled, its counts are not judged. */
          if (stop)
            return 1;
        }
      sh->end_ns[index][v] = plab_now_ns ();
      plab_span (PLAB_SPAN_TASK, t0, sh->end_ns[index][v], v, variant_labels[v]);
    }
  return (int)(acc & 0); /* acc only keeps the work from being optimised away */
}

/* Releases workers blocked at the barrier once the run is stopping: a wait
 * that times out at once breaks the barrier for everyone waiting. */
static void
poke_cb (void *user_data)
{
  Counting *c = user_data;

  plab_barrier_wait (c->barrier, 1);
}

static int64_t
counted (const CounterShared *sh, int v)
{
  if (v == VARIANT_NONE)
    return atomic_load (&sh->unlocked_value);
  return v == VARIANT_ATOMIC ? atomic_load (&sh->atomic_value) : sh->value[v];
}

/* Seconds variant @v took: from the first start to the last end when the
 * workers ran together, the sum of their times when they ran one by one. */
static double
variant_seconds (const CounterShared *sh, int n, int v, bool serial)
{
  int64_t first = INT64_MAX, last = 0, sum = 0;

  for (int i = 0; i < n; i++)
    {
      first = sh->start_ns[i][v] < first ? sh->start_ns[i][v] : first;
      last = sh->end_ns[i][v] > last ? sh->end_ns[i][v] : last;
      sum += sh->end_ns[i][v] - sh->start_ns[i][v];
    }
  return (serial ? sum : last - first) / 1e9;
}

static char *
result_json (const Counting *c, int n, bool serial)
{
  int64_t expected = c->increments * n;
  double counts[N_VARIANTS], expect[N_VARIANTS];
  const char *cats[N_VARIANTS];
  int k = 0;
  PlabBuf buf;

  plab_buf_init (&buf);
  plab_buf_printf (&buf, "{\"counters\": %d, \"expected\": %lld", n, (long long)expected);
  for (int v = 0; v < N_VARIANTS; v++)
    {
      double s;

      if (!c->variants[v])
        continue;
      s = variant_seconds (c->sh, n, v, serial);
      plab_buf_printf (&buf,
                       ", \"%s_count\": %lld, \"%s_lost\": %lld, \"%s_s\": ", variant_names[v],
                       (long long)counted (c->sh, v), variant_names[v],
                       (long long)(expected - counted (c->sh, v)), variant_names[v]);
      plab_json_write_short (&buf, s);
      plab_buf_printf (&buf, ", \"%s_ns_per_increment\": ", variant_names[v]);
      plab_json_write_short (&buf, s * 1e9 / (double)expected);
      counts[k] = (double)counted (c->sh, v);
      expect[k] = (double)expected;
      cats[k++] = variant_names[v];
    }
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "bars", "What the counter reached", "counter", "count");
  _plab_demo_json_strings (&buf, cats, (size_t)k);
  plab_buf_append (&buf, "], \"series\": [");
  _plab_demo_json_bars_series (&buf, "counted", counts, (size_t)k);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_bars_series (&buf, "expected", expect, (size_t)k);
  plab_buf_append (&buf, "], \"notes\": [");
  for (int v = 0, shown = 0; v < N_VARIANTS; v++)
    if (c->variants[v])
      _plab_demo_json_note (&buf, shown++, "%s: %lld of %lld in %.3f s", variant_labels[v],
                            (long long)counted (c->sh, v), (long long)expected,
                            variant_seconds (c->sh, n, v, serial));
  plab_buf_append (&buf, "]}}");
  return plab_buf_steal (&buf);
}

int
_plab_demo_counter_run (PlabDemoRun *run)
{
  int mode = (int)run->values[PARAM_MODE];
  int n = (int)run->values[PARAM_COUNTERS];
  bool serial = run->backend == PLAB_BACKEND_SERIAL;
  Counting c = {
    .increments = (int64_t)run->values[PARAM_INCREMENTS],
    .work = (uint64_t)run->values[PARAM_WORK],
  };
  PlabCrew *crew = NULL;
  int64_t expected = c.increments * n;
  bool exact = true;
  int rc = 0;

  for (int v = 0; v < N_VARIANTS; v++)
    c.variants[v] = mode == 0 || mode == v + 1;
  c.sh = _plab_demo_shared_new (sizeof *c.sh);
  c.lock = plab_lock_new ("counter");
  /* On the serial backend the workers run one after another: nobody to wait for. */
  c.barrier = plab_barrier_new ("start", serial ? 1 : (unsigned)n);
  crew = c.sh && c.lock && c.barrier ? _plab_crew_new (run) : NULL;
  if (crew == NULL)
    {
      rc = PLAB_ENOMEM;
      snprintf (run->error, sizeof run->error, "cannot make the shared counter");
      goto fail;
    }
  _plab_crew_set_poke (crew, poke_cb, &c);
  plab_demo_run_set_tasks_total (run, (int64_t)n * (c.variants[0] + c.variants[1] + c.variants[2]));

  for (int i = 0; i < n && rc >= 0; i++)
    rc = _plab_crew_startf (crew, counter_cb, &c, "counter %d", i + 1);
  if (rc >= 0)
    rc = _plab_crew_join (crew, "join the counters");
  if (rc != 0)
    goto fail;

  /* The check: with a lock and atomically the count is exact; without a
   * lock it can only be too low, never too high. */
  for (int v = 0; v < N_VARIANTS; v++)
    {
      int64_t got = counted (c.sh, v);

      if (!c.variants[v])
        continue;
      if (v == VARIANT_NONE ? got > expected || got < 1 : got != expected)
        exact = false;
      _plab_demo_check_append (run, "%s %lld of %lld", variant_names[v], (long long)got,
                               (long long)expected);
    }
  run->check_ok = exact;
  run->result_json = result_json (&c, n, serial);
  rc = 0;

fail:
  _plab_crew_free (crew);
  plab_barrier_free (c.barrier);
  plab_lock_free (c.lock);
  _plab_demo_shared_free (c.sh, sizeof *c.sh);
  return rc;
}
