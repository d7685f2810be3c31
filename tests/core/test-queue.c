/* test-queue.c: PlabQueue between real processes. */
#include <glib.h>
#include <signal.h>
#include <string.h>
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

/* A message of the crash tests: its number, then bytes that depend on it. */
static void
fill_numbered (guint8 *msg, size_t size, int64_t n)
{
  memcpy (msg, &n, sizeof n);
  for (size_t k = sizeof n; k < size; k++)
    msg[k] = (guint8)(n + k);
}

static int64_t
check_numbered (const guint8 *msg, size_t size)
{
  int64_t n;

  memcpy (&n, msg, sizeof n);
  for (size_t k = sizeof n; k < size; k++)
    if (msg[k] != (guint8)(n + k))
      return -1;
  return n;
}

/* Kills @pid and waits until it is dead, leaving it a zombie. */
static void
kill_unreaped (pid_t pid)
{
  siginfo_t info;

  kill (pid, SIGKILL);
  g_assert_cmpint (waitid (P_PID, pid, &info, WEXITED | WNOWAIT), ==, 0);
}

static void
wait_killed (pid_t pid)
{
  int status;

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
}

/* A producer that runs alone (without the lock) is killed while it streams
 * large messages: what it published arrives whole and in order, and the
 * next producer takes over at once, although the dead one is not reaped
 * yet. */
static void
test_solo_producer_killed (void)
{
  enum
  {
    SIZE = 48 * 1024
  };
  static guint8 msg[SIZE];

  for (int round = 0; round < 6; round++)
    {
      PlabQueue *q = plab_queue_new ("crash", 0, 256 * 1024);
      int64_t expect = 0;
      size_t size = 0;
      pid_t pid = fork ();

      if (pid == 0)
        for (int64_t i = 0;; i++)
          {
            fill_numbered (msg, SIZE, i);
            if (plab_queue_put (q, msg, SIZE, -1) != 0)
              _exit (1);
          }
      for (int i = 0; i < 20 + round * 7; i++)
        {
          g_assert_cmpint (plab_queue_get (q, msg, SIZE, &size, HANG_NS), ==, 0);
          g_assert_cmpint (check_numbered (msg, size), ==, expect++);
        }
      kill_unreaped (pid);
      while (plab_queue_get (q, msg, SIZE, &size, 0) == 0)
        g_assert_cmpint (check_numbered (msg, size), ==, expect++);
      /* The dead producer is still a zombie: this put takes its place. */
      fill_numbered (msg, 64, -7);
      g_assert_cmpint (plab_queue_put (q, msg, 64, HANG_NS), ==, 0);
      g_assert_cmpint (plab_queue_get (q, msg, SIZE, &size, HANG_NS), ==, 0);
      g_assert_cmpint (check_numbered (msg, size), ==, -7);
      g_assert_cmpuint (plab_queue_depth (q), ==, 0);
      wait_killed (pid);
      plab_queue_free (q);
    }
}

/* A consumer that runs alone is killed while it takes messages: nothing it
 * did not take is lost or repeated; the parent takes the rest in order. */
static void
test_solo_consumer_killed (void)
{
  enum
  {
    SIZE = 4096,
    N = 3000
  };
  static guint8 msg[SIZE];
  PlabQueue *q = plab_queue_new ("crash", 0, 64 * 1024);
  int64_t first = -1, n;
  size_t size = 0;
  pid_t pid = fork ();

  if (pid == 0)
    for (;;)
      if (plab_queue_get (q, msg, SIZE, NULL, -1) != 0)
        _exit (1);
  for (int64_t i = 0; i < N; i++)
    {
      if (i == N / 2)
        kill_unreaped (pid);
      /* Once the consumer is gone, keep room for the next put. */
      while (i >= N / 2 && plab_queue_depth (q) >= 8)
        {
          g_assert_cmpint (plab_queue_get (q, msg, SIZE, &size, HANG_NS), ==, 0);
          n = check_numbered (msg, size);
          g_assert_cmpint (n, >=, 0);
          if (first >= 0)
            g_assert_cmpint (n, ==, first + 1);
          first = n;
        }
      fill_numbered (msg, SIZE, i);
      g_assert_cmpint (plab_queue_put (q, msg, SIZE, HANG_NS), ==, 0);
    }
  while (plab_queue_get (q, msg, SIZE, &size, 0) == 0)
    {
      n = check_numbered (msg, size);
      if (first >= 0)
        g_assert_cmpint (n, ==, first + 1);
      first = n;
    }
  g_assert_cmpint (first, ==, N - 1);
  wait_killed (pid);
  plab_queue_free (q);
}

static gpointer
get_until_closed_thread (gpointer data)
{
  int64_t v;

  return GINT_TO_POINTER (plab_queue_get (data, &v, sizeof v, NULL, HANG_NS));
}

/* Close while a producer streams and while others wait: the streaming
 * producer and a put blocked on a full queue end with PLAB_ECLOSED, a get
 * blocked on an empty queue too, and what was put before arrives. */
static void
test_close_while_busy (void)
{
  PlabQueue *q = plab_queue_new ("busy", 64, 0);
  PlabQueue *full = plab_queue_new ("full", 1, 0);
  PlabQueue *empty = plab_queue_new ("empty", 0, 0);
  int64_t expect = 0, v = 0;
  pid_t streamer, blocked;
  GThread *getter;
  int rc;

  streamer = fork ();
  if (streamer == 0)
    {
      for (int64_t i = 0;; i++)
        if ((rc = plab_queue_put (q, &i, sizeof i, HANG_NS)) != 0)
          _exit (rc == PLAB_ECLOSED ? 0 : 1);
    }
  g_assert_cmpint (plab_queue_put (full, &v, sizeof v, 0), ==, 0);
  blocked = fork ();
  if (blocked == 0)
    _exit (plab_queue_put (full, &v, sizeof v, HANG_NS) == PLAB_ECLOSED ? 0 : 1);
  getter = g_thread_new ("getter", get_until_closed_thread, empty);

  for (int i = 0; i < 5000; i++)
    {
      g_assert_cmpint (plab_queue_get (q, &v, sizeof v, NULL, HANG_NS), ==, 0);
      g_assert_cmpint (v, ==, expect++);
    }
  g_usleep (20000);
  plab_queue_close (q);
  plab_queue_close (full);
  plab_queue_close (empty);
  g_assert_cmpint (proc_test_wait_code (streamer), ==, 0);
  g_assert_cmpint (proc_test_wait_code (blocked), ==, 0);
  g_assert_cmpint (GPOINTER_TO_INT (g_thread_join (getter)), ==, PLAB_ECLOSED);
  while ((rc = plab_queue_get (q, &v, sizeof v, NULL, HANG_NS)) == 0)
    g_assert_cmpint (v, ==, expect++);
  g_assert_cmpint (rc, ==, PLAB_ECLOSED);
  plab_queue_free (q);
  plab_queue_free (full);
  plab_queue_free (empty);
}

/* Threads of one process: one producer runs alone first, then more join in
 * while it works, and consumers the same; every message arrives once, and
 * each producer's in its order. */
enum
{
  THREAD_PRODUCERS = 3,
  THREAD_CONSUMERS = 2,
  THREAD_MESSAGES = 20000
};

typedef struct
{
  PlabQueue *queue;
  int index;
  int seen[THREAD_PRODUCERS];
  int bad;
} ThreadSide;

static gpointer
thread_producer (gpointer data)
{
  ThreadSide *side = data;

  for (int i = 0; i < THREAD_MESSAGES; i++)
    {
      int64_t v = (int64_t)side->index << 32 | i;
      if (plab_queue_put (side->queue, &v, sizeof v, HANG_NS) != 0)
        side->bad++;
    }
  return NULL;
}

static gpointer
thread_consumer (gpointer data)
{
  ThreadSide *side = data;
  int last[THREAD_PRODUCERS];
  int64_t v;

  for (int p = 0; p < THREAD_PRODUCERS; p++)
    last[p] = -1;
  while (plab_queue_get (side->queue, &v, sizeof v, NULL, HANG_NS) == 0)
    {
      int p = (int)(v >> 32), i = (int)(uint32_t)v;

      if (p < 0 || p >= THREAD_PRODUCERS || i <= last[p])
        side->bad++;
      else
        {
          last[p] = i;
          side->seen[p]++;
        }
    }
  return NULL;
}

static void
test_threads_join_a_solo_side (void)
{
  PlabQueue *q = plab_queue_new ("threads", 4, 0);
  ThreadSide producers[THREAD_PRODUCERS] = { 0 }, consumers[THREAD_CONSUMERS] = { 0 };
  GThread *pt[THREAD_PRODUCERS], *ct[THREAD_CONSUMERS];

  for (int c = 0; c < THREAD_CONSUMERS; c++)
    {
      consumers[c].queue = q;
      ct[c] = g_thread_new ("consumer", thread_consumer, &consumers[c]);
      g_usleep (2000);
    }
  for (int p = 0; p < THREAD_PRODUCERS; p++)
    {
      producers[p].queue = q;
      producers[p].index = p;
      pt[p] = g_thread_new ("producer", thread_producer, &producers[p]);
      g_usleep (2000);
    }
  for (int p = 0; p < THREAD_PRODUCERS; p++)
    g_thread_join (pt[p]);
  plab_queue_close (q);
  for (int c = 0; c < THREAD_CONSUMERS; c++)
    g_thread_join (ct[c]);
  for (int p = 0; p < THREAD_PRODUCERS; p++)
    {
      int total = 0;

      g_assert_cmpint (producers[p].bad, ==, 0);
      for (int c = 0; c < THREAD_CONSUMERS; c++)
        total += consumers[c].seen[p];
      g_assert_cmpint (total, ==, THREAD_MESSAGES);
    }
  for (int c = 0; c < THREAD_CONSUMERS; c++)
    g_assert_cmpint (consumers[c].bad, ==, 0);
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
  g_test_add_func ("/plab/queue/solo-producer-killed", test_solo_producer_killed);
  g_test_add_func ("/plab/queue/solo-consumer-killed", test_solo_consumer_killed);
  g_test_add_func ("/plab/queue/close-while-busy", test_close_while_busy);
  g_test_add_func ("/plab/queue/threads-join-a-solo-side", test_threads_join_a_solo_side);
  return g_test_run ();
}
