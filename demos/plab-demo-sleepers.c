/* plab-demo-sleepers.c: four sleepers, and why waiting in parallel is free.
 *
 * This demo teaches that time spent waiting overlaps. Four sleepers wait 5, 2,
 * 1 and 3 units; started together, they are all done after 5 units, the
 * longest wait, not after 11, the sum, and that holds on every backend that
 * runs them at once, including the gil backend, because a waiting thread
 * releases the interpreter lock. The serial backend is the for loop that
 * pays the sum. The main lane joins the sleepers in start order, so it waits
 * for the longest one first and finds the others already finished. The run's
 * workers say how many may sleep at once (a semaphore around each sleep):
 * every sleeper has its own lane, and with fewer workers than sleepers the
 * others wait for a free worker, so a sweep over workers measures how far
 * waiting scales, past the number of cores.
 */
#include "plab-demo-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_sleepers_lesson[]
    = "Four sleepers wait 5, 2, 1 and 3 units. Run them on processes or threads with 4 "
      "Workers (one each) and the whole run takes 5 units, the longest wait, not 11, the "
      "sum: waiting does not use a CPU, so any number of waits overlap, even on a 2-core "
      "laptop: that is concurrency, not parallelism (work on several cores at once, as in "
      "kde). Workers is how many may sleep at once; the others wait for a free worker, so "
      "a Sweep goes from the sum to the longest wait, past the number of cores. The gil "
      "backend is just as fast, because a thread that sleeps or waits for I/O gives the "
      "interpreter lock away. On the timeline the main lane joins the sleepers in start "
      "order: it waits for sleeper 1, the longest, and then finds the others already done. "
      "Choose Backend: serial to see the for loop that pays the sum, and change Unit ms.";

enum
{
  PARAM_SLEEPERS,
  PARAM_UNIT_MS,
  N_PARAMS
};

#define MAX_SLEEPERS 8

const PlabParamSpec _plab_demo_sleepers_params[N_PARAMS] = {
  [PARAM_SLEEPERS] = { "sleepers", PLAB_PARAM_INT,
                       "how many sleepers; they wait 5, 2, 1, 3, 4, 6, 2, 1 units in turn", 4, 1,
                       MAX_SLEEPERS, NULL, "sleepers" },
  [PARAM_UNIT_MS] = { "unit_ms", PLAB_PARAM_INT, "length of one unit of waiting, in milliseconds",
                      200, 10, 2000, NULL, "ms" },
};

/* unit_ns is written by the parent before it starts the sleepers. Written
 * by sleeper i only (start_ns[i], end_ns[i]), read by the parent after it
 * joined sleeper i. */
typedef struct
{
  int64_t unit_ns;
  int64_t start_ns[MAX_SLEEPERS];
  int64_t end_ns[MAX_SLEEPERS];
} SleepersShared;

/* Sleeper i, the i-th started, waits _plab_demo_sleep_units (i) units. */
static int
sleeper_cb (PlabCrew *crew, void *arg)
{
  SleepersShared *sh = arg;
  int i = _plab_crew_index (crew);
  int units = _plab_demo_sleep_units (i);
  char label[PLAB_LABEL_MAX];

  snprintf (label, sizeof label, "sleep %d unit%s", units, units == 1 ? "" : "s");
  sh->start_ns[i] = plab_now_ns ();
  if (!_plab_demo_wait (crew, units * sh->unit_ns, PLAB_SPAN_SLEEP, i, label))
    return 1;
  sh->end_ns[i] = plab_now_ns ();
  return 0;
}

/* The speed claim of the lesson, as a sentence for the result's notes. It is
 * a note and not part of the check: the same correct run takes longer on a
 * loaded machine or after Ctrl-Z and fg. */
static const char *
speed_note (int n, bool serial, int workers, bool overlapped)
{
  if (n == 1)
    return "one sleeper: nothing to overlap";
  if (serial)
    return "one after another, the for loop pays the sum of the waits";
  if (workers == 1)
    return "one worker: the sleepers took turns, like the for loop";
  if (overlapped)
    return "the waits overlapped: together less than the sum";
  return "this time the waits did not overlap: the machine was busy or the run was paused, "
         "which delays the sleepers without making them wrong";
}

static char *
result_json (int n,
             int workers,
             int64_t unit_ns,
             const SleepersShared *sh,
             int64_t t0,
             int64_t total_ns,
             bool serial)
{
  double slept[MAX_SLEEPERS];
  double finished[MAX_SLEEPERS];
  int order[MAX_SLEEPERS];
  int sum = 0, longest = 0;
  PlabBuf buf;

  for (int i = 0; i < n; i++)
    {
      int units = _plab_demo_sleep_units (i);

      sum += units;
      longest = units > longest ? units : longest;
      slept[i] = (sh->end_ns[i] - sh->start_ns[i]) / 1e9;
      finished[i] = (sh->end_ns[i] - t0) / 1e9;
      order[i] = i;
    }
  /* Finish order: by end time. */
  for (int a = 1; a < n; a++)
    for (int b = a; b > 0 && sh->end_ns[order[b - 1]] > sh->end_ns[order[b]]; b--)
      {
        int t = order[b];
        order[b] = order[b - 1];
        order[b - 1] = t;
      }

  plab_buf_init (&buf);
  plab_buf_printf (&buf, "{\"sleepers\": %d, \"at_once\": %d", n, workers < n ? workers : n);
  _plab_demo_json_short (&buf, "total_s", total_ns / 1e9);
  _plab_demo_json_short (&buf, "sum_s", sum * unit_ns / 1e9);
  _plab_demo_json_short (&buf, "longest_s", longest * unit_ns / 1e9);
  plab_buf_printf (&buf, ", \"overlapped\": %s", total_ns < sum * unit_ns ? "true" : "false");
  plab_buf_append (&buf, ", \"finish_order\": \"");
  for (int i = 0; i < n; i++)
    plab_buf_printf (&buf, "%s%d (%d)", i ? ", " : "", order[i] + 1,
                     _plab_demo_sleep_units (order[i]));
  plab_buf_append (&buf, "\", \"join_order\": \"");
  for (int i = 0; i < n; i++)
    plab_buf_printf (&buf, "%s%d (%d)", i ? ", " : "", i + 1, _plab_demo_sleep_units (i));
  plab_buf_append (&buf, "\", ");
  _plab_demo_json_figure (&buf, "bars", "When each sleeper finished", "sleeper (units)", "seconds");
  for (int i = 0; i < n; i++)
    {
      char name[48];

      snprintf (name, sizeof name, "sleeper %d (%d)", i + 1, _plab_demo_sleep_units (i));
      if (i)
        plab_buf_append (&buf, ", ");
      plab_json_write_string (&buf, name);
    }
  plab_buf_append (&buf, "], \"series\": [");
  _plab_demo_json_bars_series (&buf, "slept (s)", slept, (size_t)n);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_bars_series (&buf, "finished after (s)", finished, (size_t)n);
  plab_buf_printf (&buf,
                   "], \"notes\": [\"all done after %.2f s; the longest wait is %.2f s, the "
                   "sum %.2f s\", \"%s\"]}}",
                   total_ns / 1e9, longest * unit_ns / 1e9, sum * unit_ns / 1e9,
                   speed_note (n, serial, workers, total_ns < sum * unit_ns));
  return plab_buf_steal (&buf);
}

bool
_plab_sleepers_check (const PlabSleepersTimes *times, char *message, size_t size)
{
  int n = times->n;

  for (int i = 0; i < n; i++)
    {
      if (times->end_ns[i] == 0)
        {
          snprintf (message, size, "sleeper %d never woke up", i + 1);
          return false;
        }
      /* The monotonic clock never runs backwards, so a busy or stopped
       * machine can only make a sleep longer, never shorter. */
      if (times->end_ns[i] - times->start_ns[i] < times->wait_ns[i])
        {
          snprintf (message, size, "sleeper %d woke up before its time", i + 1);
          return false;
        }
      if (times->joined_ns[i] < times->end_ns[i])
        {
          snprintf (message, size, "the join of sleeper %d returned before it woke up", i + 1);
          return false;
        }
      if (i > 0 && times->joined_ns[i] < times->joined_ns[i - 1])
        {
          snprintf (message, size, "sleeper %d was joined before sleeper %d", i + 1, i);
          return false;
        }
      /* The for loop runs one sleeper after another: that is its lesson,
       * and it holds however slow the machine is. */
      if (times->serial && i > 0 && times->start_ns[i] < times->end_ns[i - 1])
        {
          snprintf (message, size, "on the serial backend sleeper %d started before %d woke up",
                    i + 1, i);
          return false;
        }
    }
  snprintf (message, size, "all %d sleepers slept their time and were joined in start order%s", n,
            times->serial ? ", one after another" : "");
  return true;
}

int
_plab_demo_sleepers_run (PlabDemoRun *run)
{
  int n = (int)run->values[PARAM_SLEEPERS];
  int64_t unit_ns = (int64_t)run->values[PARAM_UNIT_MS] * 1000000;
  SleepersShared *sh = NULL;
  PlabCrew *crew = NULL;
  int64_t wait_ns[MAX_SLEEPERS];
  int64_t joined_ns[MAX_SLEEPERS];
  PlabSleepersTimes times;
  int64_t t0, total_ns;
  int rc;

  sh = _plab_demo_shared_new (sizeof *sh);
  crew = sh ? _plab_crew_new (run) : NULL;
  if (crew == NULL)
    {
      rc = PLAB_ENOMEM;
      snprintf (run->error, sizeof run->error, "out of memory");
      goto fail;
    }
  /* At most as many asleep at once as the run has workers. */
  rc = _plab_crew_limit (crew, run->workers);
  if (rc != 0)
    goto fail;
  /* Sleepers record sleep spans, not tasks: no progress bar to fill. */
  plab_demo_run_set_tasks_total (run, 0);

  sh->unit_ns = unit_ns;
  t0 = plab_now_ns ();
  for (int i = 0; i < n; i++)
    {
      char name[PLAB_LANE_NAME_MAX];
      int units = _plab_demo_sleep_units (i);

      wait_ns[i] = units * unit_ns;
      snprintf (name, sizeof name, "sleeper %d (%d unit%s)", i + 1, units, units == 1 ? "" : "s");
      rc = _plab_crew_start (crew, name, sleeper_cb, sh);
      if (rc < 0)
        goto fail;
    }
  /* Joined in start order, as the classic loop over the processes does. */
  for (int i = 0; i < n; i++)
    {
      char label[PLAB_LABEL_MAX];

      snprintf (label, sizeof label, "join sleeper %d", i + 1);
      rc = _plab_crew_join_one (crew, i, label);
      if (rc == PLAB_ECANCELLED)
        {
          snprintf (run->error, sizeof run->error, "cancelled");
          goto fail;
        }
      if (rc != 0)
        goto fail;
      joined_ns[i] = plab_now_ns ();
    }
  total_ns = plab_now_ns () - t0;

  times = (PlabSleepersTimes){
    .n = n,
    .serial = run->backend == PLAB_BACKEND_SERIAL,
    .wait_ns = wait_ns,
    .start_ns = sh->start_ns,
    .end_ns = sh->end_ns,
    .joined_ns = joined_ns,
  };
  run->check_ok = _plab_sleepers_check (&times, run->check_message, sizeof run->check_message);
  run->result_json
      = result_json (n, times.serial ? 1 : run->workers, unit_ns, sh, t0, total_ns, times.serial);
  rc = 0;

fail:
  _plab_crew_free (crew);
  _plab_demo_shared_free (sh, sizeof *sh);
  return rc;
}
