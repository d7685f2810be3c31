/* load-test-util.h: big recorded runs for the load tests.
 *
 * load_test_write_run () records a run the way the runner does (begin, lanes,
 * batches of events, finish) into a real SQLite run store: @n_tasks task
 * spans shared round-robin over @n_workers worker lanes, each labelled
 * "x=N" like the squares demo's, inside one long "map" wait span on the main
 * lane, plus a queue-depth counter sample every 1000 tasks.
 */
#pragma once

#include <glib.h>
#include <string.h>

#include "plab-store.h"

#define LOAD_TEST_TASK_NS 1000 /* each task lasts 1 us */
#define LOAD_TEST_GAP_NS 200

static G_GNUC_UNUSED gint64
load_test_write_run (const char *db, const char *demo, gint64 n_tasks, int n_workers)
{
  enum
  {
    BATCH = 8192
  };
  PlabStore *store = NULL;
  PlabRunSpec spec = { 0 };
  PlabRunOutcome outcome = { 0 };
  g_autofree PlabEvent *batch = g_new0 (PlabEvent, BATCH);
  gint64 run_id = 0, end_ns = 0;
  size_t n = 0;

  g_assert_cmpint (plab_store_open (db, PLAB_STORE_READ_WRITE, &store), ==, 0);
  spec.demo = demo;
  spec.backend = "processes";
  spec.workers = n_workers;
  spec.origin_ns = 0;
  g_assert_cmpint (plab_store_begin_run (store, &spec, &run_id), ==, 0);
  for (int w = 0; w <= n_workers; w++)
    {
      PlabLaneInfo lane;

      memset (&lane, 0, sizeof lane);
      lane.lane = w;
      lane.kind = w == 0 ? PLAB_LANE_MAIN : PLAB_LANE_PROCESS;
      lane.pid = 1000 + w;
      lane.end = w == 0 ? PLAB_LANE_RUNNING : PLAB_LANE_EXITED;
      g_snprintf (lane.name, sizeof lane.name, w == 0 ? "main" : "worker %d", w);
      g_assert_cmpint (plab_store_put_lane (store, run_id, &lane), ==, 0);
    }

  for (gint64 i = 0; i < n_tasks; i++)
    {
      int w = n_workers > 0 ? 1 + (int)(i % n_workers) : 0;
      gint64 slot = n_workers > 0 ? i / n_workers : i;
      PlabEvent *e = &batch[n++];

      memset (e, 0, sizeof *e);
      e->lane = (uint16_t)w;
      e->kind = PLAB_SPAN_TASK;
      e->start_ns = 1000 + slot * (LOAD_TEST_TASK_NS + LOAD_TEST_GAP_NS);
      e->end_ns = e->start_ns + LOAD_TEST_TASK_NS;
      e->task_id = i;
      g_snprintf (e->label, sizeof e->label, "x=%" G_GINT64_FORMAT, i);
      end_ns = MAX (end_ns, e->end_ns);
      if (i % 1000 == 0 && n < BATCH)
        {
          PlabEvent *c = &batch[n++];

          memset (c, 0, sizeof *c);
          c->kind = PLAB_SPAN_COUNTER;
          c->start_ns = c->end_ns = e->start_ns;
          c->task_id = i % 7;
          g_strlcpy (c->label, "queue depth", sizeof c->label);
        }
      if (n >= BATCH - 1 || i == n_tasks - 1)
        {
          g_assert_cmpint (plab_store_add_events (store, run_id, batch, n), ==, 0);
          n = 0;
        }
    }
  /* The main lane waits for the whole map, as a pool's parent does. */
  memset (batch, 0, sizeof *batch);
  batch[0].kind = PLAB_SPAN_WAIT;
  batch[0].start_ns = 500;
  batch[0].end_ns = end_ns + 500;
  batch[0].task_id = -1;
  g_strlcpy (batch[0].label, "map", sizeof batch[0].label);
  g_assert_cmpint (plab_store_add_events (store, run_id, batch, 1), ==, 0);

  outcome.status = PLAB_RUN_OK;
  outcome.wall_ns = end_ns + 1000;
  outcome.check_ok = TRUE;
  outcome.check_message = "written by the load test";
  g_assert_cmpint (plab_store_finish_run (store, run_id, &outcome), ==, 0);
  plab_store_close (store);
  return run_id;
}
