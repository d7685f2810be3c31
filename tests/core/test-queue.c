/* test-queue.c: PlabQueue between real processes. */
#include <glib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"
#include "proc-test-util.h"

static void
test_fifo_across_processes (void)
{
  PlabQueue *q = plab_queue_new ("cars", 8, 0);
  enum
  {
    N = 20000
  };
  pid_t pid = fork ();

  if (pid == 0)
    {
      for (int64_t i = 0; i < N; i++)
        if (plab_queue_put (q, &i, sizeof i, -1) != 0)
          _exit (1);
      _exit (0);
    }
  for (int64_t i = 0; i < N; i++)
    {
      int64_t v = -1;
      size_t size = 0;
      g_assert_cmpint (plab_queue_get (q, &v, sizeof v, &size, HANG_NS), ==, 0);
      g_assert_cmpuint (size, ==, sizeof v);
      g_assert_cmpint (v, ==, i);
    }
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);
  g_assert_cmpuint (plab_queue_depth (q), ==, 0);
  plab_queue_free (q);
}

static void
test_full_and_empty_are_distinct (void)
{
  PlabQueue *q = plab_queue_new ("small", 2, 0);
  int v = 1;
  char buf[8];
  int64_t t0;

  g_assert_cmpint (plab_queue_get (q, buf, sizeof buf, NULL, 0), ==, PLAB_EEMPTY);
  t0 = plab_now_ns ();
  g_assert_cmpint (plab_queue_get (q, buf, sizeof buf, NULL, 20 * 1000000LL), ==, PLAB_EEMPTY);
  g_assert_cmpint (plab_now_ns () - t0, >=, 15 * 1000000LL);
  g_assert_cmpint (plab_queue_put (q, &v, sizeof v, 0), ==, 0);
  g_assert_cmpint (plab_queue_put (q, &v, sizeof v, 0), ==, 0);
  g_assert_cmpuint (plab_queue_depth (q), ==, 2);
  g_assert_cmpint (plab_queue_put (q, &v, sizeof v, 0), ==, PLAB_EFULL);
  g_assert_cmpint (plab_queue_put (q, &v, sizeof v, 20 * 1000000LL), ==, PLAB_EFULL);
  plab_queue_free (q);
}

static void
test_close_drains_then_reports (void)
{
  PlabQueue *q = plab_queue_new ("c", 0, 0);
  int v = 7, out = 0;

  g_assert_cmpint (plab_queue_put (q, &v, sizeof v, 0), ==, 0);
  plab_queue_close (q);
  g_assert_cmpint (plab_queue_put (q, &v, sizeof v, 0), ==, PLAB_ECLOSED);
  g_assert_cmpint (plab_queue_get (q, &out, sizeof out, NULL, -1), ==, 0);
  g_assert_cmpint (out, ==, 7);
  /* Closed and empty: a blocking get returns at once instead of hanging. */
  g_assert_cmpint (plab_queue_get (q, &out, sizeof out, NULL, -1), ==, PLAB_ECLOSED);
  plab_queue_free (q);
}

static void
test_message_sizes_and_wrap (void)
{
  PlabQueue *q = plab_queue_new ("bytes", 0, 256 * 1024);
  enum
  {
    N = 400
  };
  pid_t pid;
  char too_big[200 * 1024] = { 0 };

  g_assert_cmpint (plab_queue_put (q, too_big, sizeof too_big, 0), ==, PLAB_EMSGSIZE);

  pid = fork ();
  if (pid == 0)
    {
      GRand *r = g_rand_new_with_seed (42);
      static guint8 msg[64 * 1024];
      for (int i = 0; i < N; i++)
        {
          size_t size = g_rand_int_range (r, 0, sizeof msg);
          for (size_t k = 0; k < size; k++)
            msg[k] = (guint8)(i + k);
          if (plab_queue_put (q, msg, size, -1) != 0)
            _exit (1);
        }
      g_rand_free (r);
      _exit (0);
    }
  GRand *r = g_rand_new_with_seed (42);
  static guint8 buf[64 * 1024];
  for (int i = 0; i < N; i++)
    {
      size_t expect = g_rand_int_range (r, 0, sizeof buf), size = 0;
      g_assert_cmpint (plab_queue_get (q, buf, sizeof buf, &size, HANG_NS), ==, 0);
      g_assert_cmpuint (size, ==, expect);
      for (size_t k = 0; k < size; k++)
        if (buf[k] != (guint8)(i + k))
          g_assert_not_reached ();
    }
  g_rand_free (r);
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);

  /* A buffer too small leaves the message queued and says how large it is. */
  size_t size = 0;
  g_assert_cmpint (plab_queue_put (q, buf, 100, 0), ==, 0);
  g_assert_cmpint (plab_queue_get (q, buf, 10, &size, 0), ==, PLAB_EMSGSIZE);
  g_assert_cmpuint (size, ==, 100);
  g_assert_cmpint (plab_queue_get (q, buf, sizeof buf, &size, 0), ==, 0);
  plab_queue_free (q);
}

static void
test_join_task_done (void)
{
  PlabQueue *q = plab_queue_new ("jobs", 0, 0);
  pid_t pid;

  for (int i = 0; i < 5; i++)
    plab_queue_put (q, &i, sizeof i, -1);
  g_assert_cmpint (plab_queue_join (q, 10 * 1000000LL), ==, PLAB_ETIMEDOUT);
  pid = fork ();
  if (pid == 0)
    {
      int v;
      for (int i = 0; i < 5; i++)
        {
          plab_queue_get (q, &v, sizeof v, NULL, -1);
          g_usleep (2000);
          plab_queue_task_done (q);
        }
      _exit (0);
    }
  g_assert_cmpint (plab_queue_join (q, HANG_NS), ==, 0);
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);
  g_assert_cmpint (plab_queue_task_done (q), ==, PLAB_ERANGE);
  plab_queue_free (q);
}

static void
test_child_exits_with_unread_data (void)
{
  PlabQueue *q = plab_queue_new ("unread", 0, 0);
  pid_t pid = fork ();
  int64_t t0 = plab_now_ns ();

  if (pid == 0)
    {
      char msg[1000] = { 0 };
      for (int i = 0; i < 100; i++)
        plab_queue_put (q, msg, sizeof msg, -1);
      _exit (0);
    }
  /* The child exits although nobody read its messages: a child that waited
   * for a reader would never exit, so the limit only catches that hang and
   * holds on a machine however busy. */
  g_assert_cmpint (proc_test_wait_code (pid), ==, 0);
  g_assert_cmpint (plab_now_ns () - t0, <, HANG_NS);
  g_assert_cmpuint (plab_queue_depth (q), ==, 100);
  plab_queue_free (q);
}

static void
test_many_producers_many_consumers (void)
{
  PlabQueue *q = plab_queue_new ("mpmc", 16, 0);
  PlabShared *seen_mem = plab_shared_new ("seen", 4 * 5000, false);
  _Atomic int *seen = plab_shared_data (seen_mem);
  pid_t producers[2], consumers[2];

  for (int p = 0; p < 2; p++)
    if ((producers[p] = fork ()) == 0)
      {
        for (int i = 0; i < 2500; i++)
          {
            int v = p * 2500 + i;
            plab_queue_put (q, &v, sizeof v, -1);
          }
        _exit (0);
      }
  for (int c = 0; c < 2; c++)
    if ((consumers[c] = fork ()) == 0)
      {
        int v;
        while (plab_queue_get (q, &v, sizeof v, NULL, -1) == 0)
          __atomic_fetch_add ((int *)&seen[v], 1, __ATOMIC_RELAXED);
        _exit (0);
      }
  for (int p = 0; p < 2; p++)
    proc_test_wait_code (producers[p]);
  plab_queue_close (q);
  for (int c = 0; c < 2; c++)
    proc_test_wait_code (consumers[c]);
  for (int i = 0; i < 5000; i++)
    g_assert_cmpint (seen[i], ==, 1);
  plab_shared_free (seen_mem);
  plab_queue_free (q);
}

/* A thread blocked in a get (or a put) that watches a cancel flag. */
typedef struct
{
  PlabQueue *queue;
  volatile sig_atomic_t cancel;
  bool put;
  int rc;
  int64_t returned_ns;
} CancelWaiter;

static gpointer
cancel_waiter_thread (gpointer data)
{
  CancelWaiter *w = data;
  int64_t v = 1;

  plab_cancel_watch (&w->cancel);
  w->rc = w->put ? plab_queue_put (w->queue, &v, sizeof v, -1)
                 : plab_queue_get (w->queue, &v, sizeof v, NULL, -1);
  __atomic_store_n (&w->returned_ns, plab_now_ns (), __ATOMIC_RELEASE);
  plab_cancel_watch (NULL);
  return NULL;
}

/* A get on an empty queue, and a put on a full one, waiting forever, end
 * with PLAB_ECANCELLED once the flag their thread watches goes up, and not
 * before; the queue is still usable afterwards. */
static void
test_cancel_wakes_waits (void)
{
  for (int put = 0; put <= 1; put++)
    {
      CancelWaiter w = { .queue = plab_queue_new ("stop", 1, 0), .put = put };
      int64_t v = 7;

      if (put)
        g_assert_cmpint (plab_queue_put (w.queue, &v, sizeof v, 0), ==, 0);
      /* It must still be waiting after a few slices, and end once the flag is up. */
      g_assert_cmpint (proc_test_cancel_blocked (cancel_waiter_thread, &w, &w.cancel,
                                                 &w.returned_ns),
                       <, HANG_NS);
      g_assert_cmpint (w.rc, ==, PLAB_ECANCELLED);
      /* Nothing was taken or added by the cancelled call. */
      g_assert_cmpuint (plab_queue_depth (w.queue), ==, put ? 1 : 0);
      plab_queue_free (w.queue);
    }
}

/* A thread that watches a flag still down waits exactly as before: a timed
 * get runs to its timeout (the slices do not end it early). */
static void
test_watched_timeout_unchanged (void)
{
  PlabQueue *q = plab_queue_new ("slices", 1, 0);
  volatile sig_atomic_t cancel = 0;
  int64_t v, t0 = plab_now_ns ();

  plab_cancel_watch (&cancel);
  g_assert_cmpint (plab_queue_get (q, &v, sizeof v, NULL, 3 * PLAB_CANCEL_SLICE_NS), ==,
                   PLAB_EEMPTY);
  g_assert_cmpint (plab_now_ns () - t0, >=, 3 * PLAB_CANCEL_SLICE_NS);
  plab_cancel_watch (NULL);
  plab_queue_free (q);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/queue/fifo-order", test_fifo_across_processes);
  g_test_add_func ("/plab/queue/full-and-empty", test_full_and_empty_are_distinct);
  g_test_add_func ("/plab/queue/close", test_close_drains_then_reports);
  g_test_add_func ("/plab/queue/sizes-and-wrap", test_message_sizes_and_wrap);
  g_test_add_func ("/plab/queue/join", test_join_task_done);
  g_test_add_func ("/plab/queue/child-exit-unread", test_child_exits_with_unread_data);
  g_test_add_func ("/plab/queue/mpmc", test_many_producers_many_consumers);
  g_test_add_func ("/plab/queue/cancel-wakes-waits", test_cancel_wakes_waits);
  g_test_add_func ("/plab/queue/watched-timeout-unchanged", test_watched_timeout_unchanged);
  return g_test_run ();
}
