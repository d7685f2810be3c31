/* test-wait.c: plab_wait_ready () over real child processes and a pipe. */
#include <glib.h>
#include <unistd.h>

#include "plab.h"

/* How long a wait for another process may take before the test calls it a
 * hang: generous, the tests claim nothing about speed. */
#define HANG_NS (60 * 1000000000LL)
#define N_CHILDREN 3

/* A child that ends only when the test writes a byte to its release pipe,
 * so the test decides the order in which the children end. */
static int
wait_release (void *arg)
{
  int fd = GPOINTER_TO_INT (arg);
  char c;

  return read (fd, &c, 1) == 1 ? 0 : 1;
}

/* Waits once and returns the index of the one entry ready, failing when
 * none or more than one is. */
static int
wait_one (PlabWaitable *objs, int n)
{
  int found = -1;

  g_assert_cmpint (plab_wait_ready (objs, n, HANG_NS), ==, 1);
  for (int i = 0; i < n; i++)
    if (objs[i].ready)
      found = i;
  g_assert_cmpint (found, >=, 0);
  return found;
}

static void
test_order (void)
{
  PlabProcess *children[N_CHILDREN];
  int release[N_CHILDREN][2];
  const int order[N_CHILDREN] = { 1, 2, 0 };
  PlabWaitable objs[N_CHILDREN + 1];
  PlabConn *a, *b;
  char buf[16];
  size_t size;
  int n = N_CHILDREN + 1;

  g_assert_cmpint (plab_pipe_new ("wait", 0, &a, &b), ==, 0);
  for (int i = 0; i < N_CHILDREN; i++)
    {
      g_assert_cmpint (pipe (release[i]), ==, 0);
      children[i] = plab_process_new (NULL, wait_release, GINT_TO_POINTER (release[i][0]));
      g_assert_cmpint (plab_process_start (children[i]), ==, 0);
      objs[i] = plab_waitable_process (children[i]);
    }
  objs[N_CHILDREN] = plab_waitable_conn (b);

  /* Nothing has ended and nothing was sent: the timeout returns none. */
  g_assert_cmpint (plab_wait_ready (objs, n, 50000000), ==, 0);
  for (int i = 0; i < n; i++)
    g_assert_false (objs[i].ready);

  /* The pipe with data first, alone. */
  g_assert_cmpint (plab_conn_send (a, "hello", 6), ==, 0);
  g_assert_cmpint (wait_one (objs, n), ==, N_CHILDREN);
  g_assert_cmpint (plab_conn_recv (b, buf, sizeof buf, &size, 0), ==, 0);
  g_assert_cmpstr (buf, ==, "hello");

  /* Then the children, each alone and in the order they were let go. A
   * ready entry is taken out, as a caller of Python's wait () does. */
  for (int k = 0; k < N_CHILDREN; k++)
    {
      int want = order[k];
      int got;

      g_assert_cmpint (write (release[want][1], "x", 1), ==, 1);
      got = wait_one (objs, n);
      g_assert_true (objs[got].kind == PLAB_WAITABLE_PROCESS);
      g_assert_true (objs[got].u.process == children[want]);
      g_assert_false (plab_process_is_alive (children[want]));
      objs[got] = objs[--n];
    }
  g_assert_cmpint (n, ==, 1);
  g_assert_cmpint (plab_wait_ready (objs, n, 20000000), ==, 0);

  for (int i = 0; i < N_CHILDREN; i++)
    {
      plab_process_free (children[i]);
      close (release[i][0]);
      close (release[i][1]);
    }
  plab_conn_close (a);
  plab_conn_close (b);
}

/* A message already read into the connection's own buffer, behind the one
 * received, leaves nothing on the descriptor: the wait must still see it. */
static void
test_buffered_message (void)
{
  PlabConn *a, *b;
  PlabWaitable w;
  char buf[16];
  size_t size;

  g_assert_cmpint (plab_pipe_new ("buffered", 0, &a, &b), ==, 0);
  g_assert_cmpint (plab_conn_send (a, "one", 4), ==, 0);
  g_assert_cmpint (plab_conn_send (a, "two", 4), ==, 0);
  g_assert_cmpint (plab_conn_recv (b, buf, sizeof buf, &size, HANG_NS), ==, 0);
  g_assert_cmpstr (buf, ==, "one");
  w = plab_waitable_conn (b);
  g_assert_cmpint (plab_wait_ready (&w, 1, 0), ==, 1);
  g_assert_true (w.ready);

  /* Every entry ready is marked, not only the buffered one. */
  g_assert_cmpint (plab_conn_send (b, "back", 5), ==, 0);
  {
    PlabWaitable both[2] = { plab_waitable_conn (b), plab_waitable_conn (a) };
    g_assert_cmpint (plab_wait_ready (both, 2, 0), ==, 2);
    g_assert_true (both[0].ready && both[1].ready);
  }
  g_assert_cmpint (plab_conn_recv (a, buf, sizeof buf, &size, 0), ==, 0);
  g_assert_cmpstr (buf, ==, "back");
  g_assert_cmpint (plab_conn_recv (b, buf, sizeof buf, &size, 0), ==, 0);
  g_assert_cmpstr (buf, ==, "two");
  g_assert_cmpint (plab_wait_ready (&w, 1, 0), ==, 0);
  g_assert_false (w.ready);
  plab_conn_close (a);
  plab_conn_close (b);
}

static void
test_bad_entries (void)
{
  PlabProcess *p = plab_process_new ("never started", wait_release, NULL);
  PlabWaitable w = plab_waitable_process (p);

  g_assert_cmpint (plab_wait_ready (&w, 1, 0), ==, PLAB_ESTATE);
  w = plab_waitable_fd (-1);
  g_assert_cmpint (plab_wait_ready (&w, 1, 0), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_wait_ready (NULL, 1, 0), ==, PLAB_EINVAL);
  g_assert_cmpint (plab_wait_ready (NULL, 0, 0), ==, 0);
  plab_process_free (p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/wait/order", test_order);
  g_test_add_func ("/plab/wait/buffered-message", test_buffered_message);
  g_test_add_func ("/plab/wait/bad-entries", test_bad_entries);
  return g_test_run ();
}
