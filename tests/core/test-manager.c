/* test-manager.c: PlabManager's server process and its proxies, used by
 * real forked processes. */
#include <glib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"
#include "proc-test-util.h"

#define N_CHILDREN 4
#define N_ADDS 500

static void
test_counter_across_processes (void)
{
  PlabManager *mgr;
  pid_t pids[N_CHILDREN];
  int64_t v = -1;
  pid_t server;

  g_assert_cmpint (plab_manager_new (N_CHILDREN + 1, &mgr), ==, 0);
  server = plab_manager_pid (mgr);
  g_assert_cmpint (server, >, 0);
  for (int c = 0; c < N_CHILDREN; c++)
    if ((pids[c] = proc_test_fork ()) == 0)
      {
        PlabProxy *p = plab_manager_proxy (mgr, c);
        for (int i = 0; i < N_ADDS; i++)
          if (plab_proxy_add (p, "hits", 1, NULL) != 0)
            _exit (1);
        _exit (plab_proxy_set (p, c % 2 ? "odd" : "even", c) == 0 ? 0 : 1);
      }
  for (int c = 0; c < N_CHILDREN; c++)
    g_assert_cmpint (proc_test_wait_code (pids[c]), ==, 0);

  /* Every add went through the server one at a time: none was lost. */
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, N_CHILDREN), "hits", &v), ==, 0);
  g_assert_cmpint (v, ==, N_CHILDREN * N_ADDS);
  g_assert_cmpint (plab_proxy_add (plab_manager_proxy (mgr, N_CHILDREN), "hits", -10, &v), ==, 0);
  g_assert_cmpint (v, ==, N_CHILDREN * N_ADDS - 10);
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, N_CHILDREN), "odd", &v), ==, 0);
  g_assert_true (v == 1 || v == 3);
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, N_CHILDREN), "none", &v), ==,
                   PLAB_ENOTFOUND);
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, N_CHILDREN),
                                   "a key far too long to fit in the forty-eight bytes", &v),
                   ==, PLAB_EINVAL);
  g_assert_null (plab_manager_proxy (mgr, N_CHILDREN + 1));

  /* Freeing it ends the server and reaps it. */
  plab_manager_free (mgr);
  g_assert_cmpint (kill (server, 0), ==, -1);
}

static void
round_trips (void *user_data, const PlabEvent *events, size_t n)
{
  int *count = user_data;

  for (size_t i = 0; i < n; i++)
    if (strcmp (events[i].label, "manager: add hits") == 0)
      (*count)++;
}

static void
test_round_trips_on_the_timeline (void)
{
  PlabTrace *trace = plab_trace_new ();
  PlabTraceSink sink = { .events = round_trips };
  PlabManager *mgr;
  int count = 0;

  sink.user_data = &count;
  plab_trace_set_sink (trace, &sink);
  plab_trace_attach (trace, 0);
  g_assert_cmpint (plab_manager_new (1, &mgr), ==, 0);
  for (int i = 0; i < 5; i++)
    g_assert_cmpint (plab_proxy_add (plab_manager_proxy (mgr, 0), "hits", 1, NULL), ==, 0);
  plab_trace_drain (trace);
  g_assert_cmpint (count, ==, 5);
  plab_manager_free (mgr);
  plab_trace_detach ();
  plab_trace_free (trace);
}

static void
test_server_gone (void)
{
  PlabManager *mgr;
  int64_t v;

  g_assert_cmpint (plab_manager_new (0, &mgr), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_manager_new (1, &mgr), ==, 0);
  kill (plab_manager_pid (mgr), SIGKILL);
  /* A call to a dead server fails with a code; it does not hang. */
  g_assert_cmpint (plab_proxy_get (plab_manager_proxy (mgr, 0), "x", &v), <, 0);
  plab_manager_free (mgr);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/manager/counter-across-processes", test_counter_across_processes);
  g_test_add_func ("/plab/manager/round-trips-on-the-timeline", test_round_trips_on_the_timeline);
  g_test_add_func ("/plab/manager/server-gone", test_server_gone);
  return g_test_run ();
}
