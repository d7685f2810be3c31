/* hosts-test-util.h: a run over two hosts, written by hand into a store.
 *
 * The lanes an mpi run over several hosts records: main, then one
 * "host:rank" lane per rank, a task on each, and a send on lane 1 whose
 * matching receive is on lane 2, for the timeline tests of the chart and of
 * the window.
 */
#pragma once

#include <glib.h>
#include <string.h>

#include "plab-store.h"

#define HOSTS_TEST_MS 1000000

/* Ranks 0 and 2 on plab-a, 1 and 3 on plab-b, in lane order as a host file
 * that deals ranks round the hosts records them. */
static const char *const hosts_test_two_hosts[]
    = { "plab-b:1", "plab-a:0", "plab-b:3", "plab-a:2" };

/* Writes one finished run into the store @db: lane 0 is main, lane i + 1
 * is @names[i]. Returns the run's id. */
static G_GNUC_UNUSED gint64
hosts_test_write_run (const char *db, const char *const *names, int n)
{
  PlabRunSpec spec = { .demo = "squares",
                       .backend = "mpi",
                       .workers = n,
                       .params_json = "{}",
                       .seed = 1,
                       .origin_ns = 0 };
  PlabRunOutcome outcome = { .status = PLAB_RUN_OK, .wall_ns = 100 * HOSTS_TEST_MS };
  PlabStore *store = NULL;
  PlabLaneInfo lane;
  PlabEvent ev;
  int64_t id = 0;

  g_assert_cmpint (plab_store_open (db, PLAB_STORE_READ_WRITE, &store), ==, 0);
  g_assert_cmpint (plab_store_begin_run (store, &spec, &id), ==, 0);
  for (int i = 0; i <= n; i++)
    {
      memset (&lane, 0, sizeof lane);
      lane.lane = i;
      lane.kind = i == 0 ? PLAB_LANE_MAIN : PLAB_LANE_PROCESS;
      g_snprintf (lane.name, sizeof lane.name, "%s", i == 0 ? "main" : names[i - 1]);
      g_assert_cmpint (plab_store_put_lane (store, id, &lane), ==, 0);

      ev = (PlabEvent){ .start_ns = 10 * HOSTS_TEST_MS,
                        .end_ns = 60 * HOSTS_TEST_MS,
                        .task_id = i,
                        .kind = PLAB_SPAN_TASK,
                        .lane = (uint16_t)i,
                        .item = -1 };
      g_snprintf (ev.label, sizeof ev.label, "task %d", i);
      g_assert_cmpint (plab_store_add_events (store, id, &ev, 1), ==, 0);
    }
  /* The send and its receive: one item, put on lane 1, got on lane 2. */
  for (int k = 0; k < 2; k++)
    {
      ev = (PlabEvent){ .start_ns = (60 + 20 * k) * HOSTS_TEST_MS,
                        .end_ns = (70 + 20 * k) * HOSTS_TEST_MS,
                        .task_id = -1,
                        .kind = k ? PLAB_SPAN_RECV : PLAB_SPAN_SEND,
                        .flow = k ? PLAB_FLOW_GET : PLAB_FLOW_PUT,
                        .lane = (uint16_t)(1 + k),
                        .item = 1 };
      g_snprintf (ev.label, sizeof ev.label, "%s squares", k ? "MPI_Recv" : "MPI_Send");
      g_assert_cmpint (plab_store_add_events (store, id, &ev, 1), ==, 0);
    }
  g_assert_cmpint (plab_store_finish_run (store, id, &outcome), ==, 0);
  plab_store_close (store);
  return id;
}
