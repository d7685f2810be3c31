/* plab-demo-barrier.c: painters working in phases who meet at a barrier.
 *
 * This demo teaches what a barrier costs when the work is uneven. A room is
 * sanded, primed, painted and varnished, wall by wall; no wall may be primed
 * before every wall is sanded, so the painters meet at a barrier after each
 * phase. Walls take different times, so in every phase some painter finishes
 * early and waits for the slowest one: the barrier waits on the timeline are
 * the load imbalance, and they are why the speedup stays below the number of
 * painters. The check proves the barrier's promise: no wall started a phase
 * before every wall had finished the one before.
 */
#include "plab-demo-private.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_barrier_lesson[]
    = "Painters sand, prime, paint and varnish the walls of a room, and nobody may start "
      "the next phase before every wall is done: after each phase they meet at a barrier. "
      "The walls take different times, so in every phase some painters finish early and "
      "wait for the slowest; on the timeline those are the wait spans before each new "
      "phase. Set Imbalance to 0 and the waits almost vanish; raise it and the speedup of "
      "more painters drops, although nobody is idle for lack of work. Choose Kind: wait to "
      "take the cores out of the picture. "
      "On the mpi backend the painters are ranks meeting at MPI_Barrier: the uneven walls "
      "show as collective waits on the faster ranks.";

enum
{
  PARAM_WALLS,
  PARAM_PHASES,
  PARAM_WALL_MS,
  PARAM_IMBALANCE,
  PARAM_KIND,
  N_PARAMS
};

#define MAX_WALLS 64
#define MAX_PHASES 6
#define MAX_PAINTERS 64

static const char *const kinds[] = { "cpu", "wait", NULL };

static const char *const phase_names[MAX_PHASES] = {
  "sand", "prime", "paint", "varnish", "polish", "inspect",
};

const PlabParamSpec _plab_demo_barrier_params[N_PARAMS] = {
  [PARAM_WALLS] = { "walls", PLAB_PARAM_INT, "walls in the room, shared out among the painters", 8,
                    1, MAX_WALLS, NULL, "walls" },
  [PARAM_PHASES]
  = { "phases", PLAB_PARAM_INT, "phases: sand, prime, paint, varnish, polish, inspect", 4, 1,
      MAX_PHASES, NULL, "phases" },
  [PARAM_WALL_MS] = { "wall_ms", PLAB_PARAM_DOUBLE,
                      "average milliseconds one wall takes in one phase", 40, 1, 1000, NULL, "ms" },
  [PARAM_IMBALANCE] = { "imbalance", PLAB_PARAM_DOUBLE,
                        "how uneven the walls are: 0 all equal, 1 from almost nothing to twice "
                        "the average",
                        0.6, 0, 1, NULL },
  [PARAM_KIND]
  = { "kind", PLAB_PARAM_CHOICE,
      "cpu: painting keeps a core busy; wait: painting is waiting (drying paint)", 0, 0, 0, kinds },
};

/* start_ns and end_ns of a (phase, wall) are written by the one painter who
 * paints it; painted counts atomically, so a wall painted twice would show;
 * busy_ns and wait_ns are written by each painter for itself. */
typedef struct
{
  int64_t start_ns[MAX_PHASES][MAX_WALLS];
  int64_t end_ns[MAX_PHASES][MAX_WALLS];
  _Atomic int painted[MAX_PHASES][MAX_WALLS];
  int64_t busy_ns[MAX_PAINTERS];
  int64_t wait_ns[MAX_PAINTERS];
} RoomShared;

typedef struct
{
  RoomShared *sh;
  PlabBarrier *barrier;
  int painters;
  int walls;
  int phases;
  bool cpu;
  int64_t wall_ns[MAX_PHASES][MAX_WALLS];
} Room;

static int
painter_cb (PlabCrew *crew, void *arg)
{
  Room *r = arg;
  int index = _plab_crew_index (crew);
  char label[PLAB_LABEL_MAX];

  for (int phase = 0; phase < r->phases; phase++)
    {
      int64_t t0;

      /* Painter i takes walls i, i + painters, i + 2 * painters, ... */
      for (int wall = index; wall < r->walls; wall += r->painters)
        {
          bool ok;

          snprintf (label, sizeof label, "%s wall %d", phase_names[phase], wall + 1);
          r->sh->start_ns[phase][wall] = plab_now_ns ();
          if (r->cpu)
            ok = _plab_demo_cpu (crew, r->wall_ns[phase][wall], wall, label, NULL);
          else
            ok = _plab_demo_wait (crew, r->wall_ns[phase][wall], PLAB_SPAN_TASK, wall, label);
          r->sh->end_ns[phase][wall] = plab_now_ns ();
          r->sh->busy_ns[index] += r->sh->end_ns[phase][wall] - r->sh->start_ns[phase][wall];
          if (!ok)
            return 1;
          atomic_fetch_add (&r->sh->painted[phase][wall], 1);
        }
      t0 = plab_now_ns ();
      if (_plab_crew_stopping (crew) || plab_barrier_wait (r->barrier, -1) < 0)
        return 1;
      r->sh->wait_ns[index] += plab_now_ns () - t0;
    }
  return 0;
}

/* Releases painters blocked at the barrier once the run is stopping: a wait
 * that times out at once breaks the barrier for everyone waiting. */
static void
poke_cb (void *user_data)
{
  Room *r = user_data;

  plab_barrier_wait (r->barrier, 1);
}

static char *
result_json (const Room *r, double total_s, double cpu_s)
{
  double busy[MAX_PAINTERS], wait[MAX_PAINTERS];
  double busy_sum = 0, wait_sum = 0;
  PlabBuf buf;

  for (int p = 0; p < r->painters; p++)
    {
      busy[p] = r->sh->busy_ns[p] / 1e9;
      wait[p] = r->sh->wait_ns[p] / 1e9;
      busy_sum += busy[p];
      wait_sum += wait[p];
    }
  plab_buf_init (&buf);
  plab_buf_printf (&buf,
                   "{\"painters\": %d, \"walls\": %d, \"phases\": %d, \"total_s\": ", r->painters,
                   r->walls, r->phases);
  plab_json_write_short (&buf, total_s);
  _plab_demo_json_short (&buf, "painting_s", busy_sum);
  _plab_demo_json_short (&buf, "cpu_s", cpu_s);
  _plab_demo_json_short (&buf, "waiting_s", wait_sum);
  _plab_demo_json_short (&buf, "waiting_percent",
                         busy_sum + wait_sum > 0 ? 100 * wait_sum / (busy_sum + wait_sum) : 0);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "bars", "Painting and waiting at the barrier", "painter",
                          "seconds");
  for (int p = 0; p < r->painters; p++)
    plab_buf_printf (&buf, "%s\"painter %d\"", p ? ", " : "", p + 1);
  plab_buf_append (&buf, "], \"series\": [");
  _plab_demo_json_bars_series (&buf, "painting (s)", busy, (size_t)r->painters);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_bars_series (&buf, "waiting at the barrier (s)", wait, (size_t)r->painters);
  plab_buf_printf (&buf,
                   "], \"notes\": [\"%.0f%% of the painters' time went to waiting for the "
                   "slowest one\"]}}",
                   busy_sum + wait_sum > 0 ? 100 * wait_sum / (busy_sum + wait_sum) : 0.0);
  return plab_buf_steal (&buf);
}

/* Every painter is a worker, and the room has a painter's worth of
 * bookkeeping for at most MAX_PAINTERS of them: more workers are refused,
 * not quietly left out. */
int
_plab_demo_barrier_validate (const PlabDemoRun *run, char *err, size_t err_size)
{
  if (run->backend != PLAB_BACKEND_SERIAL && run->workers > MAX_PAINTERS)
    {
      snprintf (err, err_size, "barrier has room for 1 to %d painters (workers), not %d",
                MAX_PAINTERS, run->workers);
      return PLAB_EINVAL;
    }
  return 0;
}

int
_plab_demo_barrier_run (PlabDemoRun *run)
{
  double imbalance = run->values[PARAM_IMBALANCE];
  Room *r = calloc (1, sizeof *r);
  PlabCrew *crew = NULL;
  uint64_t x = run->seed * 0x9e3779b97f4a7c15u + 1;
  int64_t t0, total_ns, cpu0, cpu_ns;
  int once = 0, ordered = 0;
  int rc = 0;

  if (r == NULL)
    {
      snprintf (run->error, sizeof run->error, "out of memory");
      return PLAB_ENOMEM;
    }
  if (_plab_demo_barrier_validate (run, run->error, sizeof run->error) != 0)
    {
      free (r);
      return PLAB_EINVAL;
    }
  r->painters = run->backend == PLAB_BACKEND_SERIAL ? 1 : run->workers;
  r->walls = (int)run->values[PARAM_WALLS];
  r->phases = (int)run->values[PARAM_PHASES];
  r->cpu = run->values[PARAM_KIND] == 0;
  /* Wall times, from a seeded generator so that every backend paints the same room. */
  for (int ph = 0; ph < r->phases; ph++)
    for (int w = 0; w < r->walls; w++)
      {
        double u;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        u = (double)(x >> 11) / 9007199254740992.0;
        r->wall_ns[ph][w]
            = (int64_t)(run->values[PARAM_WALL_MS] * 1e6 * (1 + imbalance * (2 * u - 1)));
      }

  r->sh = _plab_demo_shared_new (sizeof *r->sh);
  r->barrier = plab_barrier_new ("phase", (unsigned)r->painters);
  crew = r->sh && r->barrier ? _plab_crew_new (run) : NULL;
  if (crew == NULL)
    {
      rc = PLAB_ENOMEM;
      snprintf (run->error, sizeof run->error, "cannot make the barrier");
      goto fail;
    }
  _plab_crew_set_poke (crew, poke_cb, r);
  plab_demo_run_set_tasks_total (run, r->walls * r->phases);
  if (r->cpu)
    _plab_demo_spin_rate ();

  cpu0 = plab_cpu_time_ns ();
  t0 = plab_now_ns ();
  for (int p = 0; p < r->painters && rc >= 0; p++)
    rc = _plab_crew_startf (crew, painter_cb, r, "painter %d", p + 1);
  if (rc >= 0)
    rc = _plab_crew_join (crew, "join the painters");
  total_ns = plab_now_ns () - t0;
  /* The join reaped the painters' processes: their CPU time is counted. */
  cpu_ns = plab_cpu_time_ns () - cpu0;
  if (rc != 0)
    goto fail;

  /* The check: each wall painted once per phase, and every phase started
   * after the previous one had ended on every wall. */
  for (int ph = 0; ph < r->phases; ph++)
    {
      int64_t prev_end = 0;

      for (int w = 0; w < r->walls; w++)
        once += atomic_load (&r->sh->painted[ph][w]) == 1;
      for (int w = 0; ph > 0 && w < r->walls; w++)
        prev_end = r->sh->end_ns[ph - 1][w] > prev_end ? r->sh->end_ns[ph - 1][w] : prev_end;
      for (int w = 0; w < r->walls; w++)
        ordered += r->sh->start_ns[ph][w] >= prev_end;
    }
  run->check_ok = once == r->walls * r->phases && ordered == r->walls * r->phases;
  if (run->check_ok)
    snprintf (run->check_message, sizeof run->check_message,
              "%d walls x %d phases painted once each, no phase begun before the last ended",
              r->walls, r->phases);
  else
    snprintf (run->check_message, sizeof run->check_message,
              "%d of %d wall phases painted once, %d started after the phase before ended", once,
              r->walls * r->phases, ordered);
  run->result_json = result_json (r, total_ns / 1e9, cpu_ns / 1e9);
  rc = 0;

fail:
  _plab_crew_free (crew);
  plab_barrier_free (r->barrier);
  _plab_demo_shared_free (r->sh, sizeof *r->sh);
  free (r);
  return rc;
}
