/* test-pool-async.c: futures, imap, the pool's states, initializers, worker
 * recycling, fail-fast and measured chunks, on every backend that has them. */
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"
#include "start-test-util.h"

#define MS 1000000LL
/* How long a task waits at the gate before it gives up: long enough that a
 * test which ends the wait early (terminate, cancel) is never confused with
 * one where the gate let go, on any machine, however busy. */
#define GATE_MAX_NS (120 * 1000 * MS)
/* A limit that only catches a hang, never a slow machine (valgrind on a
 * loaded 2-core laptop). */
#define HANG_NS (120 * 1000 * MS)

/* Counters shared with the workers: a named shared memory segment of this
 * test's process, mapped before the pools start, so forked workers inherit
 * it and spawned ones (which begin without it) open it by name. */
typedef struct
{
  _Atomic int runs;
  _Atomic int inits;
  _Atomic int gate; /* tasks that wait on it spin until it is set */
} Shared;

static Shared *shared;
static char shared_name[64];

/* The shared counters, opened by name in a worker started by spawn: its
 * parent is the test. */
static Shared *
shared_here (void)
{
  if (shared == NULL)
    {
      char name[64];
      int fd;

      g_snprintf (name, sizeof name, "/plab-test-pool-async-%d", (int)getppid ());
      fd = shm_open (name, O_RDWR, 0);
      g_assert_cmpint (fd, >=, 0);
      shared = mmap (NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      g_assert_true (shared != MAP_FAILED);
      close (fd);
    }
  return shared;
}

static void
shared_unlink (void)
{
  shm_unlink (shared_name);
}

static void
shared_reset (void)
{
  atomic_store (&shared->runs, 0);
  atomic_store (&shared->inits, 0);
  atomic_store (&shared->gate, 0);
}

typedef struct
{
  int64_t x;
  int64_t sleep_ms;
  int crash;     /* raise SIGSEGV */
  int fail;      /* return PLAB_EINVAL */
  int code;      /* non-zero: return it */
  int wait_gate; /* spin until shared->gate is set (at most GATE_MAX_NS) */
} Arg;

static int
task_square (const void *item, void *result, void *user_data)
{
  const Arg *a = item;

  (void)user_data;
  atomic_fetch_add (&shared_here ()->runs, 1);
  if (a->wait_gate)
    {
      int64_t give_up = plab_now_ns () + GATE_MAX_NS;

      while (!atomic_load (&shared_here ()->gate) && plab_now_ns () < give_up)
        plab_sleep_ns (MS);
    }
  if (a->sleep_ms > 0)
    plab_sleep_ns (a->sleep_ms * MS);
  if (a->crash)
    raise (SIGSEGV);
  if (a->fail)
    return PLAB_EINVAL;
  if (a->code != 0)
    return a->code;
  *(int64_t *)result = a->x * a->x;
  return 0;
}

static const PlabBackend all_backends[]
    = { PLAB_BACKEND_SERIAL, PLAB_BACKEND_THREADS, PLAB_BACKEND_PROCESSES, PLAB_BACKEND_GIL };

static PlabPool *
pool_on (PlabBackend backend, int workers)
{
  PlabPoolOptions opts
      = { .start_method = test_start_method, .backend = backend, .workers = workers };
  PlabPool *pool = NULL;

  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  return pool;
}

/* Frees the @n futures a test holds, then the pool they ran on. */
static void
free_futures_and_pool (PlabPool *pool, PlabFuture **futures, int n)
{
  for (int i = 0; i < n; i++)
    plab_future_free (futures[i]);
  plab_pool_free (pool);
}

static PlabFuture *
submit (PlabPool *pool, const Arg *arg)
{
  PlabTask task = {
    .func = task_square,
    .arg = arg,
    .arg_size = sizeof *arg,
    .result_size = sizeof (int64_t),
    .label = "square",
  };
  PlabFuture *f = NULL;

  g_assert_cmpint (plab_pool_submit (pool, &task, &f), ==, 0);
  g_assert_nonnull (f);
  return f;
}

static void
assert_no_children (void)
{
  /* Every worker was reaped: no child of this test is left, not even a
   * zombie. The fork server is one, so it goes first (the next forkserver
   * start begins another). */
  plab_forkserver_stop ();
  g_assert_cmpint (plab_forkserver_pid (), ==, 0);
  g_assert_cmpint (waitpid (-1, NULL, WNOHANG), ==, -1);
}

static void
test_submit_every_backend (void)
{
  for (size_t b = 0; b < G_N_ELEMENTS (all_backends); b++)
    {
      PlabPool *pool = pool_on (all_backends[b], 2);
      PlabFuture *futures[50];
      int64_t r;

      for (int i = 0; i < 50; i++)
        {
          Arg a = { .x = i };
          futures[i] = submit (pool, &a);
        }
      for (int i = 0; i < 50; i++)
        {
          g_assert_cmpint (plab_future_result (futures[i], &r, HANG_NS), ==, 0);
          g_assert_cmpint (r, ==, (int64_t)i * i);
          g_assert_true (plab_future_done (futures[i]));
          plab_future_free (futures[i]);
        }
      /* apply: submit and wait in one call. */
      {
        Arg a = { .x = 12 };
        PlabTask task
            = { .func = task_square, .arg = &a, .arg_size = sizeof a, .result_size = sizeof r };
        g_assert_cmpint (plab_pool_apply (pool, &task, &r), ==, 0);
        g_assert_cmpint (r, ==, 144);
      }
      plab_pool_free (pool);
    }
  assert_no_children ();
}

static void
test_more_tasks_than_slots (void)
{
  /* More futures than PLAB_POOL_MAX_TASKS at once: submit waits for a slot. */
  size_t n = PLAB_POOL_MAX_TASKS * 3;
  PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 2);
  PlabFuture **futures = g_new (PlabFuture *, n);
  int64_t r;

  for (size_t i = 0; i < n; i++)
    {
      Arg a = { .x = (int64_t)i };
      futures[i] = submit (pool, &a);
    }
  for (size_t i = 0; i < n; i++)
    {
      g_assert_cmpint (plab_future_result (futures[i], &r, -1), ==, 0);
      g_assert_cmpint (r, ==, (int64_t)(i * i));
      plab_future_free (futures[i]);
    }
  g_free (futures);
  plab_pool_free (pool);
}

static void
test_result_timeout (void)
{
  PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 1);
  Arg a = { .x = 3, .wait_gate = 1 };
  PlabFuture *f;
  int64_t r = 0;

  shared_reset ();
  f = submit (pool, &a);
  g_assert_cmpint (plab_future_result (f, &r, 30 * MS), ==, PLAB_ETIMEDOUT);
  g_assert_false (plab_future_done (f));
  g_assert_cmpint (plab_future_result (f, &r, 0), ==, PLAB_ETIMEDOUT);
  atomic_store (&shared->gate, 1);
  g_assert_cmpint (plab_future_result (f, &r, -1), ==, 0);
  g_assert_cmpint (r, ==, 9);
  plab_future_free (f);
  plab_pool_free (pool);
}

static void
test_cancel (void)
{
  PlabBackend backends[] = { PLAB_BACKEND_THREADS, PLAB_BACKEND_PROCESSES };

  for (size_t b = 0; b < G_N_ELEMENTS (backends); b++)
    {
      PlabPool *pool = pool_on (backends[b], 1);
      Arg blocker = { .x = 1, .wait_gate = 1 };
      PlabFuture *running, *queued[5], *after;
      int64_t r;

      shared_reset ();
      running = submit (pool, &blocker);
      for (int i = 0; i < 5; i++)
        {
          Arg a = { .x = 10 + i };
          queued[i] = submit (pool, &a);
        }
      /* Wait until the blocker runs, so what follows is really queued behind it. */
      for (int64_t give_up = plab_now_ns () + HANG_NS;
           atomic_load (&shared->runs) == 0 && plab_now_ns () < give_up;)
        plab_sleep_ns (MS);
      g_assert_cmpint (atomic_load (&shared->runs), ==, 1);
      g_assert_true (plab_future_running (running));
      g_assert_false (plab_future_running (queued[1]));
      g_assert_cmpint (plab_future_cancel (running), ==, PLAB_ESTATE);
      for (int i = 0; i < 5; i += 2)
        g_assert_cmpint (plab_future_cancel (queued[i]), ==, 0);
      atomic_store (&shared->gate, 1);
      g_assert_cmpint (plab_future_result (running, &r, -1), ==, 0);
      for (int i = 0; i < 5; i++)
        {
          int rc = plab_future_result (queued[i], &r, -1);
          if (i % 2 == 0)
            {
              g_assert_cmpint (rc, ==, PLAB_ECANCELLED);
              g_assert_true (plab_future_cancelled (queued[i]));
              g_assert_cmpint (plab_future_cancel (queued[i]), ==, PLAB_ESTATE);
            }
          else
            {
              g_assert_cmpint (rc, ==, 0);
              g_assert_false (plab_future_cancelled (queued[i]));
              g_assert_false (plab_future_running (queued[i]));
              g_assert_cmpint (r, ==, (10 + i) * (10 + i));
            }
        }
      /* The blocker and the two not cancelled: the cancelled three never ran. */
      after = submit (pool, &(Arg){ .x = 2 });
      g_assert_cmpint (plab_future_result (after, &r, -1), ==, 0);
      g_assert_cmpint (atomic_load (&shared->runs), ==, 1 + 2 + 1);
      plab_future_free (running);
      plab_future_free (after);
      free_futures_and_pool (pool, queued, 5);
    }
}

static void
test_wait_modes (void)
{
  PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 2);
  PlabFuture *f[3];
  size_t n_done = 0;

  shared_reset ();
  f[0] = submit (pool, &(Arg){ .x = 1 });
  f[1] = submit (pool, &(Arg){ .x = 2, .wait_gate = 1 });
  g_assert_cmpint (plab_pool_wait (pool, f, 2, PLAB_WAIT_FIRST_COMPLETED, -1, &n_done), ==, 0);
  g_assert_cmpuint (n_done, ==, 1);
  g_assert_true (plab_future_done (f[0]));
  g_assert_false (plab_future_done (f[1]));
  g_assert_cmpint (plab_pool_wait (pool, f, 2, PLAB_WAIT_ALL, 50 * MS, &n_done), ==,
                   PLAB_ETIMEDOUT);

  /* First error: a failing task ends the wait though another is still blocked. */
  f[2] = submit (pool, &(Arg){ .x = 3, .fail = 1 });
  g_assert_cmpint (plab_pool_wait (pool, f, 3, PLAB_WAIT_FIRST_ERROR, -1, &n_done), ==, 0);
  g_assert_cmpint (plab_future_result (f[2], NULL, 0), ==, PLAB_ETASK);
  g_assert_cmpint (plab_future_task_code (f[2]), ==, PLAB_EINVAL);
  g_assert_false (plab_future_done (f[1]));

  atomic_store (&shared->gate, 1);
  g_assert_cmpint (plab_pool_wait (pool, f, 3, PLAB_WAIT_ALL, -1, &n_done), ==, 0);
  g_assert_cmpuint (n_done, ==, 3);
  free_futures_and_pool (pool, f, 3);
}

static void
test_as_completed (void)
{
  PlabPool *pool = pool_on (PLAB_BACKEND_THREADS, 3);
  int64_t sleeps[3] = { 400, 10, 150 };
  PlabFuture *f[3];
  size_t order[3], index;

  for (int i = 0; i < 3; i++)
    f[i] = submit (pool, &(Arg){ .x = i, .sleep_ms = sleeps[i] });
  for (int k = 0; k < 3; k++)
    {
      g_assert_cmpint (plab_pool_as_completed (pool, f, 3, -1, &index), ==, 0);
      order[k] = index;
    }
  g_assert_cmpint (plab_pool_as_completed (pool, f, 3, -1, &index), ==, PLAB_EDONE);
  /* Finished first is handed out first: the shortest sleep, then the middle one. */
  g_assert_cmpuint (order[0], ==, 1);
  g_assert_cmpuint (order[1], ==, 2);
  g_assert_cmpuint (order[2], ==, 0);
  free_futures_and_pool (pool, f, 3);
}

static int done_calls;

static void
on_done (PlabFuture *f, void *data)
{
  int64_t r;

  g_assert_cmpint (plab_future_result (f, &r, 0), ==, 0);
  *(int64_t *)data += r;
  done_calls++;
}

static void
test_apply_async_callback (void)
{
  PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 2);
  PlabFuture *f[20];
  int64_t sum = 0;

  done_calls = 0;
  for (int i = 0; i < 20; i++)
    {
      Arg a = { .x = i };
      PlabTask task = { .func = task_square,
                        .arg = &a,
                        .arg_size = sizeof a,
                        .result_size = sizeof (int64_t),
                        .done = on_done,
                        .done_data = &sum };
      g_assert_cmpint (plab_pool_submit (pool, &task, &f[i]), ==, 0);
    }
  g_assert_cmpint (plab_pool_wait (pool, f, 20, PLAB_WAIT_ALL, -1, NULL), ==, 0);
  /* Each callback ran once, in this thread: sum of squares 0..19. */
  g_assert_cmpint (done_calls, ==, 20);
  g_assert_cmpint (sum, ==, 2470);
  free_futures_and_pool (pool, f, 20);
}

static void
test_task_crash (void)
{
  PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 2);
  PlabFuture *f[10];
  int64_t r;

  for (int i = 0; i < 10; i++)
    f[i] = submit (pool, &(Arg){ .x = i, .crash = i == 4 });
  for (int i = 0; i < 10; i++)
    {
      int rc = plab_future_result (f[i], &r, -1);
      if (i == 4)
        {
          g_assert_cmpint (rc, ==, PLAB_ECRASHED);
          g_assert_nonnull (strstr (plab_future_message (f[i]), "pid"));
          g_assert_nonnull (strstr (plab_future_message (f[i]), "signal 11"));
        }
      else
        {
          g_assert_cmpint (rc, ==, 0);
          g_assert_cmpint (r, ==, i * i);
        }
      plab_future_free (f[i]);
    }
  /* The pool replaced the worker and goes on. */
  g_assert_cmpint (plab_pool_state (pool), ==, PLAB_POOL_RUNNING);
  f[0] = submit (pool, &(Arg){ .x = 7 });
  g_assert_cmpint (plab_future_result (f[0], &r, -1), ==, 0);
  g_assert_cmpint (r, ==, 49);
  plab_future_free (f[0]);
  plab_pool_free (pool);
  assert_no_children ();
}

/* plab_future_exception (): 0 for a success, else why, with the task's own
 * code and the message, in one call; a crash reads as a crash. */
static void
test_future_exception (void)
{
  PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 2);
  PlabFuture *f[4];
  const char *message = NULL;
  int task_code = -1;
  int64_t r = 0;

  shared_reset ();
  f[0] = submit (pool, &(Arg){ .x = 3 });
  f[1] = submit (pool, &(Arg){ .x = 4, .code = 7 });
  f[2] = submit (pool, &(Arg){ .x = 5, .crash = 1 });
  f[3] = submit (pool, &(Arg){ .x = 6, .wait_gate = 1 });

  g_assert_cmpint (plab_future_exception (f[0], HANG_NS, &task_code, &message), ==, 0);
  g_assert_cmpint (task_code, ==, 0);
  g_assert_cmpstr (message, ==, "");
  g_assert_cmpint (plab_future_result (f[0], &r, 0), ==, 0);
  g_assert_cmpint (r, ==, 9);

  g_assert_cmpint (plab_future_exception (f[1], HANG_NS, &task_code, &message), ==, PLAB_ETASK);
  g_assert_cmpint (task_code, ==, 7);
  g_assert_nonnull (strstr (message, "7"));

  /* A worker killed by SIGSEGV: the library's code, no task code. */
  g_assert_cmpint (plab_future_exception (f[2], HANG_NS, &task_code, &message), ==, PLAB_ECRASHED);
  g_assert_cmpint (task_code, ==, 0);
  g_assert_nonnull (strstr (message, "signal 11"));

  g_assert_cmpint (plab_future_exception (f[3], PLAB_MS (30), NULL, NULL), ==, PLAB_ETIMEDOUT);
  atomic_store (&shared->gate, 1);
  g_assert_cmpint (plab_future_exception (f[3], HANG_NS, NULL, NULL), ==, 0);
  free_futures_and_pool (pool, f, 4);
  assert_no_children ();
}

static gpointer
open_gate_later (gpointer data)
{
  (void)data;
  plab_sleep_ns (PLAB_MS (100));
  atomic_store (&shared->gate, 1);
  return NULL;
}

/* Executor.shutdown (cancel_futures=True): what had not started is
 * cancelled, the running task goes on, and a later shutdown with wait
 * returns once it has finished. */
static void
test_shutdown_cancel_futures (void)
{
  PlabBackend backends[] = { PLAB_BACKEND_THREADS, PLAB_BACKEND_PROCESSES };

  for (size_t b = 0; b < G_N_ELEMENTS (backends); b++)
    {
      PlabPool *pool = pool_on (backends[b], 1);
      PlabFuture *running, *queued[5], *late = NULL;
      PlabTask task = { .func = task_square, .arg_size = sizeof (Arg) };
      GThread *opener;
      int64_t r = 0;

      g_test_message ("%s", plab_backend_name (backends[b]));
      shared_reset ();
      running = submit (pool, &(Arg){ .x = 1, .wait_gate = 1 });
      for (int i = 0; i < 5; i++)
        queued[i] = submit (pool, &(Arg){ .x = 10 + i });
      for (int64_t give_up = plab_now_ns () + HANG_NS;
           atomic_load (&shared->runs) == 0 && plab_now_ns () < give_up;)
        plab_sleep_ns (PLAB_MS (1));
      g_assert_true (plab_future_running (running));

      g_assert_cmpint (plab_pool_shutdown (pool, false, true), ==, 0);
      g_assert_cmpint (plab_pool_state (pool), ==, PLAB_POOL_CLOSING);
      for (int i = 0; i < 5; i++)
        {
          g_assert_true (plab_future_cancelled (queued[i]));
          g_assert_cmpint (plab_future_result (queued[i], &r, 0), ==, PLAB_ECANCELLED);
        }
      g_assert_false (plab_future_cancelled (running));
      g_assert_false (plab_future_done (running));
      /* No new work after a shutdown. */
      task.arg = &(Arg){ .x = 2 };
      g_assert_cmpint (plab_pool_submit (pool, &task, &late), ==, PLAB_ESTATE);
      g_assert_null (late);

      opener = g_thread_new ("opener", open_gate_later, NULL);
      g_assert_cmpint (plab_pool_shutdown (pool, true, false), ==, 0);
      g_thread_join (opener);
      g_assert_cmpint (plab_pool_state (pool), ==, PLAB_POOL_TERMINATED);
      g_assert_true (plab_future_done (running));
      g_assert_cmpint (plab_future_result (running, &r, 0), ==, 0);
      g_assert_cmpint (r, ==, 1);
      /* The five cancelled never ran. */
      g_assert_cmpint (atomic_load (&shared->runs), ==, 1);
      g_assert_cmpint (plab_pool_shutdown (pool, true, true), ==, 0);
      plab_future_free (running);
      free_futures_and_pool (pool, queued, 5);
    }
  assert_no_children ();
}

/* shutdown (wait=True) without cancelling: every queued task runs first, and
 * a worker that dies meanwhile fails only its own task. */
static void
test_shutdown_wait (void)
{
  for (size_t b = 0; b < G_N_ELEMENTS (all_backends); b++)
    {
      PlabPool *pool = pool_on (all_backends[b], 2);
      bool processes = all_backends[b] == PLAB_BACKEND_PROCESSES;
      PlabFuture *f[12];
      int64_t r;

      g_test_message ("%s", plab_backend_name (all_backends[b]));
      for (int i = 0; i < 12; i++)
        f[i] = submit (pool, &(Arg){ .x = i, .sleep_ms = 10, .crash = processes && i == 5 });
      g_assert_cmpint (plab_pool_shutdown (pool, true, false), ==, 0);
      g_assert_cmpint (plab_pool_state (pool), ==, PLAB_POOL_TERMINATED);
      for (int i = 0; i < 12; i++)
        {
          g_assert_true (plab_future_done (f[i]));
          if (processes && i == 5)
            {
              g_assert_cmpint (plab_future_result (f[i], &r, 0), ==, PLAB_ECRASHED);
              continue;
            }
          g_assert_cmpint (plab_future_result (f[i], &r, 0), ==, 0);
          g_assert_cmpint (r, ==, i * i);
        }
      free_futures_and_pool (pool, f, 12);
    }
  assert_no_children ();
}

/* What the callbacks of a map_async saw. */
typedef struct
{
  int done_calls;
  int error_calls;
  size_t error_index;
  int error_code;
  int error_task_code;
  char error_message[256];
} MapCalls;

static void
map_done_cb (PlabMapResult *result, void *data)
{
  MapCalls *calls = data;

  g_assert_true (plab_map_result_ready (result));
  calls->done_calls++;
}

static void
map_error_cb (PlabMapResult *result,
              size_t index,
              int code,
              int task_code,
              const char *message,
              void *data)
{
  MapCalls *calls = data;

  (void)result;
  calls->error_calls++;
  calls->error_index = index;
  calls->error_code = code;
  calls->error_task_code = task_code;
  g_strlcpy (calls->error_message, message, sizeof calls->error_message);
}

/* map_async returns before the items run (the first waits at the gate), and
 * more items than task slots all arrive, in order, with one done callback. */
static void
test_map_async (void)
{
  for (size_t b = 0; b < G_N_ELEMENTS (all_backends); b++)
    {
      bool serial = all_backends[b] == PLAB_BACKEND_SERIAL;
      size_t n = serial ? 100 : 2 * PLAB_POOL_MAX_TASKS + 5;
      PlabPool *pool = pool_on (all_backends[b], 2);
      Arg *args = g_new0 (Arg, n);
      int64_t *results = g_new0 (int64_t, n);
      int *status = g_new (int, n);
      MapCalls calls = { 0 };
      PlabMapCallbacks cb = { .done = map_done_cb, .error = map_error_cb, .data = &calls };
      PlabMap map = { .func = task_square,
                      .items = args,
                      .item_size = sizeof (Arg),
                      .n_items = n,
                      .results = results,
                      .result_size = sizeof (int64_t),
                      .status = status };
      PlabMapResult *ar;
      PlabMapReport report;

      g_test_message ("%s", plab_backend_name (all_backends[b]));
      shared_reset ();
      for (size_t i = 0; i < n; i++)
        args[i] = (Arg){ .x = (int64_t)i, .wait_gate = i == 0 && !serial };
      g_assert_cmpint (plab_pool_map_async (pool, &map, &cb, &ar), ==, 0);
      if (!serial)
        {
          /* It returned while item 0 waits at the gate. */
          g_assert_false (plab_map_result_ready (ar));
          g_assert_false (plab_map_result_successful (ar));
          g_assert_cmpint (plab_map_result_get (ar, &report, PLAB_MS (30)), ==, PLAB_ETIMEDOUT);
          g_assert_cmpint (calls.done_calls, ==, 0);
          atomic_store (&shared->gate, 1);
        }
      g_assert_cmpint (plab_map_result_get (ar, &report, HANG_NS), ==, 0);
      g_assert_true (plab_map_result_ready (ar));
      g_assert_true (plab_map_result_successful (ar));
      g_assert_cmpuint (report.n_failed, ==, 0);
      for (size_t i = 0; i < n; i++)
        {
          g_assert_cmpint (results[i], ==, (int64_t)(i * i));
          g_assert_cmpint (status[i], ==, 0);
        }
      g_assert_cmpint (atomic_load (&shared->runs), ==, (int)n);
      g_assert_cmpint (calls.done_calls, ==, 1);
      g_assert_cmpint (calls.error_calls, ==, 0);
      plab_map_result_free (ar);
      plab_pool_free (pool);
      g_free (args);
      g_free (results);
      g_free (status);
    }
  assert_no_children ();
}

/* A worker killed by SIGSEGV and a task returning 9: the error callback runs
 * once, with the failing item, its code and the message; everything else
 * completes, and get () reports both failures as map () would. */
static void
test_map_async_errors (void)
{
  PlabBackend backends[] = { PLAB_BACKEND_SERIAL, PLAB_BACKEND_PROCESSES };

  for (size_t b = 0; b < G_N_ELEMENTS (backends); b++)
    {
      enum
      {
        N = 40,
        CRASH = 7,
        FAIL = 12
      };
      bool processes = backends[b] == PLAB_BACKEND_PROCESSES;
      PlabPool *pool = pool_on (backends[b], 2);
      Arg args[N];
      int64_t results[N] = { 0 };
      int status[N], task_codes[N];
      MapCalls calls = { 0 };
      PlabMapCallbacks cb = { .done = map_done_cb, .error = map_error_cb, .data = &calls };
      PlabMap map = { .func = task_square,
                      .items = args,
                      .item_size = sizeof (Arg),
                      .n_items = N,
                      .results = results,
                      .result_size = sizeof (int64_t),
                      .status = status,
                      .task_codes = task_codes };
      PlabMapResult *ar;
      PlabMapReport report;

      g_test_message ("%s", plab_backend_name (backends[b]));
      for (int i = 0; i < N; i++)
        args[i] = (Arg){ .x = i, .crash = processes && i == CRASH, .code = i == FAIL ? 9 : 0 };
      g_assert_cmpint (plab_pool_map_async (pool, &map, &cb, &ar), ==, 0);
      g_assert_cmpint (plab_map_result_get (ar, &report, HANG_NS), ==, PLAB_ETASK);
      g_assert_false (plab_map_result_successful (ar));
      g_assert_cmpint (calls.error_calls, ==, 1);
      g_assert_cmpint (calls.done_calls, ==, 1);
      if (calls.error_index == CRASH)
        {
          g_assert_cmpint (calls.error_code, ==, PLAB_ECRASHED);
          g_assert_cmpint (calls.error_task_code, ==, 0);
          g_assert_nonnull (strstr (calls.error_message, "signal 11"));
        }
      else
        {
          g_assert_cmpuint (calls.error_index, ==, FAIL);
          g_assert_cmpint (calls.error_code, ==, PLAB_ETASK);
          g_assert_cmpint (calls.error_task_code, ==, 9);
          g_assert_nonnull (strstr (calls.error_message, "9"));
        }
      g_assert_cmpuint (report.n_failed, ==, processes ? 2 : 1);
      g_assert_cmpuint (report.first_failed, ==, processes ? CRASH : FAIL);
      for (int i = 0; i < N; i++)
        if (processes && i == CRASH)
          g_assert_cmpint (status[i], ==, PLAB_ECRASHED);
        else if (i == FAIL)
          {
            g_assert_cmpint (status[i], ==, PLAB_ETASK);
            g_assert_cmpint (task_codes[i], ==, 9);
          }
        else
          {
            g_assert_cmpint (status[i], ==, 0);
            g_assert_cmpint (task_codes[i], ==, 0);
            g_assert_cmpint (results[i], ==, i * i);
          }
      plab_map_result_free (ar);
      plab_pool_free (pool);
    }
  assert_no_children ();
}

/* fail_fast: after the first failure no more items start; those queued are
 * cancelled and counted as skipped, as in plab_pool_map (). */
static void
test_map_async_fail_fast (void)
{
  enum
  {
    N = 50,
    FAIL = 3
  };
  PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 1);
  Arg args[N];
  int64_t results[N] = { 0 };
  int status[N];
  PlabMap map = { .func = task_square,
                  .items = args,
                  .item_size = sizeof (Arg),
                  .n_items = N,
                  .results = results,
                  .result_size = sizeof (int64_t),
                  .status = status,
                  .fail_fast = true };
  PlabMapResult *ar;
  PlabMapReport report;
  size_t ok = 0, cancelled = 0;

  shared_reset ();
  /* The items after the failing one take 50 ms each: 2 s in all, far more
   * than the parent needs to see the failure and cancel them. */
  for (int i = 0; i < N; i++)
    args[i] = (Arg){ .x = i, .code = i == FAIL ? 5 : 0, .sleep_ms = i > FAIL ? 50 : 0 };
  g_assert_cmpint (plab_pool_map_async (pool, &map, NULL, &ar), ==, 0);
  g_assert_cmpint (plab_map_result_get (ar, &report, HANG_NS), ==, PLAB_ETASK);
  g_assert_cmpuint (report.n_failed, ==, 1);
  g_assert_cmpuint (report.first_failed, ==, FAIL);
  g_assert_cmpint (report.first_task_code, ==, 5);
  g_assert_cmpuint (report.n_skipped, >, 0);
  g_assert_nonnull (strstr (report.message, "fail-fast"));
  for (int i = 0; i < N; i++)
    {
      if (status[i] == 0)
        {
          g_assert_cmpint (results[i], ==, i * i);
          ok++;
        }
      else if (status[i] == PLAB_ECANCELLED)
        cancelled++;
      else
        g_assert_cmpint (i, ==, FAIL);
    }
  g_assert_cmpuint (cancelled, ==, report.n_skipped);
  g_assert_cmpuint (ok + cancelled + 1, ==, N);
  g_assert_cmpint (atomic_load (&shared->runs), <, N);
  plab_map_result_free (ar);
  plab_pool_free (pool);
}

/* A map_async is work started before a close: join waits for all of it, even
 * items that had no task slot yet when the pool was closed. */
static void
test_map_async_close_join (void)
{
  size_t n = PLAB_POOL_MAX_TASKS + 100;
  PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 2);
  Arg *args = g_new0 (Arg, n);
  int64_t *results = g_new0 (int64_t, n);
  PlabMap map = { .func = task_square,
                  .items = args,
                  .item_size = sizeof (Arg),
                  .n_items = n,
                  .results = results,
                  .result_size = sizeof (int64_t) };
  PlabMapResult *ar;

  shared_reset ();
  for (size_t i = 0; i < n; i++)
    args[i].x = (int64_t)i;
  g_assert_cmpint (plab_pool_map_async (pool, &map, NULL, &ar), ==, 0);
  g_assert_cmpint (plab_pool_close (pool), ==, 0);
  g_assert_cmpint (plab_pool_map_async (pool, &map, NULL, &(PlabMapResult *){ NULL }), ==,
                   PLAB_ESTATE);
  g_assert_cmpint (plab_pool_join (pool, HANG_NS), ==, 0);
  g_assert_cmpint (plab_pool_state (pool), ==, PLAB_POOL_TERMINATED);
  g_assert_cmpint (plab_map_result_get (ar, NULL, 0), ==, 0);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpint (results[i], ==, (int64_t)(i * i));
  g_assert_cmpint (atomic_load (&shared->runs), ==, (int)n);
  plab_map_result_free (ar);
  plab_pool_free (pool);
  g_free (args);
  g_free (results);
  assert_no_children ();
}

/* shutdown (cancel_futures) cancels the items of a map_async not started,
 * queued or not yet handed out; the running one finishes. */
static void
test_map_async_shutdown (void)
{
  enum
  {
    N = 20
  };
  PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 1);
  Arg args[N] = { { .x = 5, .wait_gate = 1 } };
  int64_t results[N] = { 0 };
  int status[N];
  MapCalls calls = { 0 };
  PlabMapCallbacks cb = { .done = map_done_cb, .error = map_error_cb, .data = &calls };
  PlabMap map = { .func = task_square,
                  .items = args,
                  .item_size = sizeof (Arg),
                  .n_items = N,
                  .results = results,
                  .result_size = sizeof (int64_t),
                  .status = status };
  PlabMapResult *ar;
  GThread *opener;

  shared_reset ();
  g_assert_cmpint (plab_pool_map_async (pool, &map, &cb, &ar), ==, 0);
  for (int64_t give_up = plab_now_ns () + HANG_NS;
       atomic_load (&shared->runs) == 0 && plab_now_ns () < give_up;)
    plab_sleep_ns (PLAB_MS (1));
  g_assert_cmpint (plab_pool_shutdown (pool, false, true), ==, 0);
  opener = g_thread_new ("opener", open_gate_later, NULL);
  g_assert_cmpint (plab_pool_shutdown (pool, true, false), ==, 0);
  g_thread_join (opener);
  g_assert_cmpint (plab_map_result_get (ar, NULL, HANG_NS), ==, PLAB_ECANCELLED);
  g_assert_cmpint (status[0], ==, 0);
  g_assert_cmpint (results[0], ==, 25);
  for (int i = 1; i < N; i++)
    g_assert_cmpint (status[i], ==, PLAB_ECANCELLED);
  g_assert_cmpint (atomic_load (&shared->runs), ==, 1);
  g_assert_cmpint (calls.done_calls, ==, 1);
  g_assert_cmpint (calls.error_calls, ==, 1);
  g_assert_cmpint (calls.error_code, ==, PLAB_ECANCELLED);
  plab_map_result_free (ar);
  plab_pool_free (pool);
  assert_no_children ();
}

/* An input that counts what was read, to check the window. */
typedef struct
{
  int64_t next;
  int64_t limit; /* -1: endless */
  int64_t crash_at;
  size_t taken;
  size_t max_ahead;
} Input;

static int
input_next (void *item, void *data)
{
  Input *in = data;
  Arg *a = item;

  if (in->limit >= 0 && in->next >= in->limit)
    return 0;
  memset (a, 0, sizeof *a);
  a->x = in->next;
  a->crash = a->x == in->crash_at;
  in->next++;
  if ((size_t)in->next - in->taken > in->max_ahead)
    in->max_ahead = (size_t)in->next - in->taken;
  return 1;
}

/* An imap of task_square over the Args that @next makes from @in; a test
 * sets the window and the flags it needs on top. */
static PlabImap
square_imap (PlabNextFunc next, Input *in)
{
  return (PlabImap){
    .func = task_square,
    .next = next,
    .next_data = in,
    .item_size = sizeof (Arg),
    .result_size = sizeof (int64_t),
  };
}

static void
imap_case (PlabBackend backend, bool unordered)
{
  PlabPool *pool = pool_on (backend, 2);
  Input in = { .limit = 300, .crash_at = -1 };
  PlabImap spec = square_imap (input_next, &in);
  PlabImapIter *it;
  gboolean *seen = g_new0 (gboolean, 300);
  size_t index, count = 0;
  int64_t r;
  int rc;

  spec.window = 6;
  spec.unordered = unordered;
  g_assert_cmpint (plab_pool_imap (pool, &spec, &it), ==, 0);
  while ((rc = plab_imap_next (it, &index, &r, -1)) == 0)
    {
      if (!unordered)
        g_assert_cmpuint (index, ==, count);
      g_assert_cmpuint (index, <, 300);
      g_assert_false (seen[index]);
      seen[index] = TRUE;
      g_assert_cmpint (r, ==, (int64_t)(index * index));
      in.taken++;
      count++;
    }
  g_assert_cmpint (rc, ==, PLAB_EDONE);
  g_assert_cmpuint (count, ==, 300);
  /* The input was never read more than a window (and the one in hand) ahead. */
  g_assert_cmpuint (in.max_ahead, <=, 7);
  plab_imap_free (it);
  plab_pool_free (pool);
  g_free (seen);
}

static void
test_imap_ordered (void)
{
  for (size_t b = 0; b < G_N_ELEMENTS (all_backends); b++)
    imap_case (all_backends[b], false);
}

static void
test_imap_unordered (void)
{
  for (size_t b = 0; b < G_N_ELEMENTS (all_backends); b++)
    imap_case (all_backends[b], true);
}

static int
gated_input_next (void *item, void *data)
{
  int rc = input_next (item, data);
  Arg *a = item;

  if (rc == 1 && a->x == 0)
    a->wait_gate = 1;
  return rc;
}

static void
test_imap_unordered_overtakes (void)
{
  PlabPool *pool = pool_on (PLAB_BACKEND_THREADS, 2);
  Input in = { .limit = 20, .crash_at = -1 };
  PlabImap spec = square_imap (gated_input_next, &in);
  PlabImapIter *it;
  size_t index;
  int64_t r;
  int got = 0;

  spec.window = 4;
  spec.unordered = true;
  shared_reset ();
  g_assert_cmpint (plab_pool_imap (pool, &spec, &it), ==, 0);
  /* Item 0 is held at the gate, yet the other worker delivers items 1.. meanwhile. */
  for (int k = 0; k < 5; k++)
    {
      g_assert_cmpint (plab_imap_next (it, &index, &r, HANG_NS), ==, 0);
      g_assert_cmpuint (index, !=, 0);
      got++;
    }
  atomic_store (&shared->gate, 1);
  while (plab_imap_next (it, &index, &r, -1) == 0)
    got++;
  g_assert_cmpint (got, ==, 20);
  plab_imap_free (it);
  plab_pool_free (pool);
}

static void
test_imap_endless_input (void)
{
  PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 2);
  Input in = { .limit = -1, .crash_at = -1 };
  PlabImap spec = square_imap (input_next, &in);
  PlabImapIter *it;
  size_t index;
  int64_t r;

  g_assert_cmpint (plab_pool_imap (pool, &spec, &it), ==, 0);
  for (int k = 0; k < 100; k++)
    {
      g_assert_cmpint (plab_imap_next (it, &index, &r, -1), ==, 0);
      g_assert_cmpuint (index, ==, (size_t)k);
      in.taken++;
    }
  /* Default window: 4 per worker. */
  g_assert_cmpint (in.next, <=, 100 + 8);
  plab_imap_free (it);
  plab_pool_free (pool);
  assert_no_children ();
}

static void
test_imap_crash (void)
{
  for (int fail_fast = 0; fail_fast < 2; fail_fast++)
    {
      PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 2);
      Input in = { .limit = 30, .crash_at = 7 };
      PlabImap spec = square_imap (input_next, &in);
      PlabImapIter *it;
      size_t index;
      int64_t r;
      int rc, ok = 0, failed = 0;

      spec.fail_fast = fail_fast;
      g_assert_cmpint (plab_pool_imap (pool, &spec, &it), ==, 0);
      while ((rc = plab_imap_next (it, &index, &r, -1)) != PLAB_EDONE)
        {
          if (rc == 0)
            {
              g_assert_cmpint (r, ==, (int64_t)(index * index));
              ok++;
            }
          else
            {
              g_assert_cmpint (rc, ==, PLAB_ECRASHED);
              g_assert_cmpuint (index, ==, 7);
              g_assert_nonnull (strstr (plab_imap_message (it), "signal 11"));
              failed++;
            }
        }
      g_assert_cmpint (failed, ==, 1);
      /* Collect-all: every other item; fail-fast: it stops at item 7 (ordered). */
      g_assert_cmpint (ok, ==, fail_fast ? 7 : 29);
      plab_imap_free (it);
      plab_pool_free (pool);
    }
  assert_no_children ();
}

static int
init_ok (void *data)
{
  (void)data;
  atomic_fetch_add (&shared_here ()->inits, 1);
  return 0;
}

static int
init_fails (void *data)
{
  (void)data;
  atomic_fetch_add (&shared_here ()->inits, 1);
  return PLAB_ENOTFOUND;
}

static void
test_initializer (void)
{
  PlabBackend backends[] = { PLAB_BACKEND_THREADS, PLAB_BACKEND_PROCESSES, PLAB_BACKEND_GIL };

  for (size_t b = 0; b < G_N_ELEMENTS (backends); b++)
    {
      PlabPoolOptions opts = { .start_method = test_start_method,
                               .backend = backends[b],
                               .workers = 2,
                               .initializer = init_ok };
      PlabPool *pool;
      PlabFuture *f;
      int64_t r;

      shared_reset ();
      g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
      f = submit (pool, &(Arg){ .x = 5 });
      g_assert_cmpint (plab_future_result (f, &r, -1), ==, 0);
      plab_future_free (f);
      plab_pool_free (pool);
      g_assert_cmpint (atomic_load (&shared->inits), ==, 2);
    }
}

static void
test_initializer_fails (void)
{
  PlabBackend backends[] = { PLAB_BACKEND_THREADS, PLAB_BACKEND_PROCESSES };

  for (size_t b = 0; b < G_N_ELEMENTS (backends); b++)
    {
      PlabPoolOptions opts = { .start_method = test_start_method,
                               .backend = backends[b],
                               .workers = 2,
                               .initializer = init_fails };
      PlabPool *pool;
      PlabFuture *f, *refused;
      shared_reset ();
      g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
      f = submit (pool, &(Arg){ .x = 5 });
      /* Python would start workers forever; here the pool breaks and says why. */
      g_assert_cmpint (plab_future_result (f, NULL, HANG_NS), ==, PLAB_EINIT);
      g_assert_cmpint (plab_pool_state (pool), ==, PLAB_POOL_BROKEN);
      g_assert_nonnull (strstr (plab_pool_message (pool), "initializer failed"));
      g_assert_nonnull (strstr (plab_future_message (f), "initializer failed"));
      g_assert_cmpint (plab_pool_submit (pool, &(PlabTask){ .func = task_square }, &refused), ==,
                       PLAB_ESTATE);
      g_assert_null (refused);
      plab_future_free (f);
      plab_pool_free (pool);
      /* Each worker tried once; none was started again. */
      g_assert_cmpint (atomic_load (&shared->inits), <=, 2);
    }
  assert_no_children ();
}

static int
task_pid (const void *item, void *result, void *user_data)
{
  (void)item;
  (void)user_data;
  *(int64_t *)result = getpid ();
  return 0;
}

static void
test_max_tasks_per_worker (void)
{
  PlabPoolOptions opts = { .start_method = test_start_method,
                           .backend = PLAB_BACKEND_PROCESSES,
                           .workers = 2,
                           .max_tasks_per_worker = 2,
                           .initializer = init_ok };
  PlabPool *pool;
  int64_t items[20] = { 0 }, pids[20];
  PlabMap map = { .func = task_pid,
                  .items = items,
                  .item_size = sizeof (int64_t),
                  .n_items = 20,
                  .results = pids,
                  .result_size = sizeof (int64_t),
                  .chunk_size = 1 };
  PlabMapReport report;
  GHashTable *distinct = g_hash_table_new (NULL, NULL);
  PlabFuture *f[6];

  shared_reset ();
  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  g_assert_cmpint (plab_pool_map (pool, &map, &report), ==, 0);
  /* A retired worker that reads as a crash: say how it ended. */
  if (report.n_crashes != 0)
    g_test_message ("%zu crash(es): %s", report.n_crashes, report.message);
  g_assert_cmpuint (report.n_crashes, ==, 0);
  for (int i = 0; i < 20; i++)
    g_hash_table_add (distinct, GINT_TO_POINTER ((int)pids[i]));
  /* Two tasks per worker process: twenty chunks of one need ten processes. */
  g_assert_cmpuint (g_hash_table_size (distinct), >=, 10);

  /* Futures too. */
  for (int i = 0; i < 6; i++)
    {
      PlabTask task = { .func = task_pid,
                        .arg = items,
                        .arg_size = sizeof (int64_t),
                        .result_size = sizeof (int64_t) };
      g_assert_cmpint (plab_pool_submit (pool, &task, &f[i]), ==, 0);
    }
  g_assert_cmpint (plab_pool_wait (pool, f, 6, PLAB_WAIT_ALL, -1, NULL), ==, 0);
  for (int i = 0; i < 6; i++)
    {
      g_assert_cmpint (plab_future_result (f[i], NULL, 0), ==, 0);
      plab_future_free (f[i]);
    }
  g_assert_cmpint (plab_pool_state (pool), ==, PLAB_POOL_RUNNING);
  plab_pool_free (pool);
  /* Every process ran the initializer. */
  g_assert_cmpint (atomic_load (&shared->inits), >=, 10);
  g_hash_table_unref (distinct);
  assert_no_children ();
}

static void
test_states_close_join (void)
{
  for (size_t b = 0; b < G_N_ELEMENTS (all_backends); b++)
    {
      PlabPool *pool = pool_on (all_backends[b], 2);
      PlabFuture *f[8];
      int64_t r, item = 3, result;
      PlabMap map = { .func = task_pid,
                      .items = &item,
                      .item_size = sizeof item,
                      .n_items = 1,
                      .results = &result,
                      .result_size = sizeof result };

      g_assert_cmpint (plab_pool_state (pool), ==, PLAB_POOL_RUNNING);
      g_assert_cmpint (plab_pool_join (pool, -1), ==, PLAB_ESTATE);
      for (int i = 0; i < 8; i++)
        f[i] = submit (pool, &(Arg){ .x = i, .sleep_ms = 5 });
      g_assert_cmpint (plab_pool_close (pool), ==, 0);
      g_assert_cmpint (plab_pool_state (pool), ==, PLAB_POOL_CLOSING);
      g_assert_cmpstr (plab_pool_state_name (plab_pool_state (pool)), ==, "closing");
      g_assert_cmpint (plab_pool_close (pool), ==, PLAB_ESTATE);
      g_assert_cmpint (plab_pool_map (pool, &map, NULL), ==, PLAB_ESTATE);
      {
        PlabFuture *g;
        Arg a = { 0 };
        PlabTask task = { .func = task_square, .arg = &a, .arg_size = sizeof a };
        g_assert_cmpint (plab_pool_submit (pool, &task, &g), ==, PLAB_ESTATE);
      }
      /* Join runs what was queued before close. */
      g_assert_cmpint (plab_pool_join (pool, -1), ==, 0);
      g_assert_cmpint (plab_pool_state (pool), ==, PLAB_POOL_TERMINATED);
      for (int i = 0; i < 8; i++)
        {
          g_assert_cmpint (plab_future_result (f[i], &r, 0), ==, 0);
          g_assert_cmpint (r, ==, i * i);
          plab_future_free (f[i]);
        }
      plab_pool_free (pool);
    }
  assert_no_children ();
}

static void
test_terminate (void)
{
  PlabBackend backends[] = { PLAB_BACKEND_THREADS, PLAB_BACKEND_PROCESSES };

  for (size_t b = 0; b < G_N_ELEMENTS (backends); b++)
    {
      PlabPool *pool = pool_on (backends[b], 2);
      PlabFuture *f[6];
      int64_t t0;

      shared_reset ();
      for (int i = 0; i < 6; i++)
        f[i] = submit (pool, &(Arg){ .x = i, .wait_gate = backends[b] == PLAB_BACKEND_PROCESSES });
      g_assert_cmpint (plab_future_result (f[5], NULL, 20 * MS), !=, PLAB_ECANCELLED);
      t0 = plab_now_ns ();
      plab_pool_terminate (pool);
      /* Processes are killed, not waited for: terminate returns before the
       * gate would have let them go, and (below) none of them finished. */
      if (backends[b] == PLAB_BACKEND_PROCESSES)
        g_assert_cmpint (plab_now_ns () - t0, <, GATE_MAX_NS);
      g_assert_cmpint (plab_pool_state (pool), ==, PLAB_POOL_TERMINATED);
      for (int i = 0; i < 6; i++)
        {
          int rc = plab_future_result (f[i], NULL, 0);
          g_assert_true (plab_future_done (f[i]));
          g_assert_true (rc == 0 || rc == PLAB_ECANCELLED);
          if (backends[b] == PLAB_BACKEND_PROCESSES)
            g_assert_cmpint (rc, ==, PLAB_ECANCELLED);
          plab_future_free (f[i]);
        }
      plab_pool_free (pool);
    }
  assert_no_children ();
}

static void
test_future_outlives_pool (void)
{
  PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 1);
  PlabFuture *done_f = submit (pool, &(Arg){ .x = 4 });
  PlabFuture *running, *queued;
  int64_t r;

  g_assert_cmpint (plab_future_result (done_f, &r, -1), ==, 0);
  shared_reset ();
  running = submit (pool, &(Arg){ .x = 1, .wait_gate = 1 }); /* its worker ends with the pool */
  queued = submit (pool, &(Arg){ .x = 2 });
  plab_pool_free (pool);
  /* The finished one keeps its result; the queued one failed, without a pool to ask. */
  g_assert_cmpint (plab_future_result (done_f, &r, -1), ==, 0);
  g_assert_cmpint (r, ==, 16);
  g_assert_cmpint (plab_future_result (queued, &r, -1), ==, PLAB_ECANCELLED);
  plab_future_free (done_f);
  plab_future_free (running);
  plab_future_free (queued);
  assert_no_children ();
}

static void
test_task_too_large (void)
{
  PlabPoolOptions opts = { .start_method = test_start_method,
                           .backend = PLAB_BACKEND_PROCESSES,
                           .workers = 1,
                           .task_max_bytes = 256 };
  PlabPool *pool;
  char big[300] = { 0 };
  PlabTask task = { .func = task_square, .arg = big, .arg_size = sizeof big };
  PlabFuture *f;

  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  g_assert_cmpint (plab_pool_submit (pool, &task, &f), ==, PLAB_EMSGSIZE);
  g_assert_null (f);
  plab_pool_free (pool);
}

typedef struct
{
  int32_t a;
  int32_t b;
} Pair;

static int
multiply (const void *item, void *result, void *user_data)
{
  const Pair *p = item;
  (void)user_data;
  *(int64_t *)result = (int64_t)p->a * p->b;
  return 0;
}

static void
test_starmap (void)
{
  /* starmap: a map over argument structs. */
  Pair pairs[100];
  int64_t products[100];
  PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 2);
  PlabMap map = { .func = multiply,
                  .items = pairs,
                  .item_size = sizeof (Pair),
                  .n_items = 100,
                  .results = products,
                  .result_size = sizeof (int64_t) };

  for (int i = 0; i < 100; i++)
    pairs[i] = (Pair){ i, 100 - i };
  g_assert_cmpint (plab_pool_map (pool, &map, NULL), ==, 0);
  for (int i = 0; i < 100; i++)
    g_assert_cmpint (products[i], ==, (int64_t)i * (100 - i));
  plab_pool_free (pool);
}

static void
test_fail_fast_map (void)
{
  for (size_t b = 0; b < G_N_ELEMENTS (all_backends); b++)
    {
      PlabPool *pool = pool_on (all_backends[b], 2);
      Arg items[200];
      int64_t results[200];
      int status[200];
      PlabMap map = { .func = task_square,
                      .items = items,
                      .item_size = sizeof (Arg),
                      .n_items = 200,
                      .results = results,
                      .result_size = sizeof (int64_t),
                      .chunk_size = 1,
                      .status = status,
                      .fail_fast = true };
      PlabMapReport report;
      size_t skipped = 0;

      for (int i = 0; i < 200; i++)
        items[i] = (Arg){ .x = i, .fail = i == 3, .sleep_ms = 1 };
      g_assert_cmpint (plab_pool_map (pool, &map, &report), ==, PLAB_ETASK);
      g_assert_cmpuint (report.first_failed, ==, 3);
      g_assert_cmpint (status[3], ==, PLAB_ETASK);
      g_assert_cmpint (report.first_task_code, ==, PLAB_EINVAL);
      for (int i = 0; i < 200; i++)
        if (status[i] == PLAB_ECANCELLED)
          skipped++;
      /* Most items never started; the report counts exactly those. */
      g_assert_cmpuint (skipped, >, 150);
      g_assert_cmpuint (report.n_skipped, ==, skipped);
      g_assert_nonnull (strstr (report.message, "fail-fast"));
      /* The pool is fine for the next map, collect-all this time. */
      map.fail_fast = false;
      g_assert_cmpint (plab_pool_map (pool, &map, &report), ==, PLAB_ETASK);
      g_assert_cmpuint (report.n_failed, ==, 1);
      g_assert_cmpuint (report.n_skipped, ==, 0);
      plab_pool_free (pool);
    }
}

static void
test_measured_chunks (void)
{
  PlabPool *pool = pool_on (PLAB_BACKEND_PROCESSES, 2);
  size_t n = 100000;
  Arg *items = g_new0 (Arg, n);
  int64_t *results = g_new (int64_t, n);
  PlabMap map = { .func = task_square,
                  .items = items,
                  .item_size = sizeof (Arg),
                  .n_items = n,
                  .results = results,
                  .result_size = sizeof (int64_t) };
  PlabMapReport report;

  for (size_t i = 0; i < n; i++)
    items[i].x = (int64_t)i;
  /* Tiny items: a few dozen chunks, not one per item and not a fixed eight. */
  g_assert_cmpint (plab_pool_map (pool, &map, &report), ==, 0);
  g_assert_cmpuint (report.n_chunks, <, 1000);
  g_assert_cmpuint (report.n_chunks, >, 8);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpint (results[i], ==, (int64_t)(i * i));

  /* Items of 5 ms each: longer than the 2 ms aim, so every chunk is one item. */
  map.n_items = 16;
  for (size_t i = 0; i < 16; i++)
    items[i].sleep_ms = 5;
  g_assert_cmpint (plab_pool_map (pool, &map, &report), ==, 0);
  g_assert_cmpuint (report.n_chunks, ==, 16);
  plab_pool_free (pool);
  g_free (items);
  g_free (results);
}

static volatile sig_atomic_t cancel_flag;

static gpointer
cancel_soon (gpointer data)
{
  (void)data;
  g_usleep (100000);
  __atomic_store_n (&cancel_flag, 1, __ATOMIC_RELAXED);
  return NULL;
}

static void
test_cancel_flag_ends_waits (void)
{
  PlabPoolOptions opts = { .start_method = test_start_method,
                           .backend = PLAB_BACKEND_PROCESSES,
                           .workers = 2,
                           .cancel = &cancel_flag };
  PlabPool *pool;
  PlabFuture *f;
  GThread *t;
  int64_t t0;

  cancel_flag = 0;
  shared_reset ();
  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  f = submit (pool, &(Arg){ .x = 1, .wait_gate = 1 });
  t = g_thread_new ("cancel", cancel_soon, NULL);
  t0 = plab_now_ns ();
  /* The task would wait at its gate until GATE_MAX_NS; the cancel flag
   * ends the wait first, and the task never finished. */
  g_assert_cmpint (plab_future_result (f, NULL, -1), ==, PLAB_ECANCELLED);
  g_assert_cmpint (plab_now_ns () - t0, <, GATE_MAX_NS);
  g_assert_cmpint (plab_pool_state (pool), ==, PLAB_POOL_BROKEN);
  g_assert_cmpstr (plab_pool_message (pool), ==, "cancelled");
  g_thread_join (t);
  plab_future_free (f);
  plab_pool_free (pool);
  assert_no_children ();
}

static void
count_waits (void *user_data, const PlabEvent *events, size_t n)
{
  int *counts = user_data;

  for (size_t i = 0; i < n; i++)
    if (events[i].lane == 0 && events[i].kind == PLAB_SPAN_WAIT)
      {
        if (strcmp (events[i].label, "wait: future") == 0)
          counts[0]++;
        else if (strcmp (events[i].label, "wait: imap") == 0)
          counts[1]++;
      }
    else if (events[i].lane > 0 && events[i].kind == PLAB_SPAN_TASK
             && strcmp (events[i].label, "square") == 0)
      counts[2]++;
}

static void
test_waits_on_the_timeline (void)
{
  PlabTrace *trace = plab_trace_new ();
  PlabTraceSink sink = { .events = count_waits };
  PlabPoolOptions opts = { .start_method = test_start_method,
                           .backend = PLAB_BACKEND_PROCESSES,
                           .workers = 2,
                           .trace = trace };
  PlabPool *pool;
  PlabFuture *f;
  Input in = { .limit = 4, .crash_at = -1 };
  PlabImap spec = square_imap (gated_input_next, &in);
  PlabImapIter *it;
  size_t index;
  int64_t r;
  int counts[3] = { 0 };

  sink.user_data = counts;
  plab_trace_set_sink (trace, &sink);
  g_assert_cmpint (plab_pool_new (&opts, &pool), ==, 0);
  f = submit (pool, &(Arg){ .x = 3, .sleep_ms = 30 });
  g_assert_cmpint (plab_future_result (f, &r, -1), ==, 0);
  plab_future_free (f);
  shared_reset ();
  atomic_store (&shared->gate, 1);
  g_assert_cmpint (plab_pool_imap (pool, &spec, &it), ==, 0);
  in.next = 0;
  while (plab_imap_next (it, &index, &r, -1) == 0)
    ;
  plab_imap_free (it);
  plab_pool_free (pool);
  plab_trace_drain (trace);
  /* The caller's lane shows it waited for the future; the workers' lanes show the task. */
  g_assert_cmpint (counts[0], >=, 1);
  g_assert_cmpint (counts[2], >=, 1);
  plab_trace_free (trace);
}

/* A task's own return value is kept apart from the library's codes: -4 is
 * PLAB_ETIMEDOUT's number and -5 PLAB_ECRASHED's, yet a task returning them
 * is done, failed with PLAB_ETASK, and says what it returned. */
static int
next_code (void *item, void *data)
{
  static const int codes[] = { -4, -5, 7, 0 };
  int *i = data;

  if (*i == (int)G_N_ELEMENTS (codes))
    return 0;
  *(Arg *)item = (Arg){ .x = *i, .code = codes[*i] };
  ++*i;
  return 1;
}

static void
test_task_code_apart (void)
{
  for (size_t b = 0; b < G_N_ELEMENTS (all_backends); b++)
    {
      static const int codes[] = { -4, -5, 7, 0 };
      PlabPool *pool = pool_on (all_backends[b], 2);
      PlabFuture *f[4];
      PlabImap spec = { .func = task_square,
                        .next = next_code,
                        .item_size = sizeof (Arg),
                        .result_size = sizeof (int64_t) };
      PlabImapIter *it;
      int64_t r;
      size_t index;
      int k = 0, rc;

      g_test_message ("%s", plab_backend_name (all_backends[b]));
      for (int i = 0; i < 4; i++)
        f[i] = submit (pool, &(Arg){ .x = i, .code = codes[i] });
      for (int i = 0; i < 4; i++)
        {
          g_assert_cmpint (plab_future_result (f[i], &r, HANG_NS), ==, codes[i] ? PLAB_ETASK : 0);
          g_assert_true (plab_future_done (f[i]));
          g_assert_false (plab_future_cancelled (f[i]));
          g_assert_cmpint (plab_future_task_code (f[i]), ==, codes[i]);
          /* A poll of a done future answers at once, with the same code. */
          g_assert_cmpint (plab_future_result (f[i], NULL, 0), ==, codes[i] ? PLAB_ETASK : 0);
        }
      g_assert_nonnull (strstr (plab_future_message (f[0]), "-4"));

      spec.next_data = &k;
      g_assert_cmpint (plab_pool_imap (pool, &spec, &it), ==, 0);
      for (int i = 0; i < 4; i++)
        {
          rc = plab_imap_next (it, &index, &r, HANG_NS);
          g_assert_cmpuint (index, ==, (size_t)i);
          g_assert_cmpint (rc, ==, codes[i] ? PLAB_ETASK : 0);
          g_assert_cmpint (plab_imap_task_code (it), ==, codes[i]);
        }
      g_assert_cmpint (plab_imap_next (it, &index, &r, HANG_NS), ==, PLAB_EDONE);
      plab_imap_free (it);
      free_futures_and_pool (pool, f, 4);
    }
}

int
main (int argc, char **argv)
{
  int fd;

  plab_spawn_main (argc, argv);
  g_test_init (&argc, &argv, NULL);
  g_snprintf (shared_name, sizeof shared_name, "/plab-test-pool-async-%d", (int)getpid ());
  fd = shm_open (shared_name, O_RDWR | O_CREAT | O_EXCL, 0600);
  g_assert_cmpint (fd, >=, 0);
  atexit (shared_unlink);
  g_assert_cmpint (ftruncate (fd, sizeof *shared), ==, 0);
  shared = mmap (NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  g_assert_true (shared != MAP_FAILED);
  close (fd);
  g_assert_cmpint (plab_forkserver_start (), ==, 0);

  start_test_add ("plab/pool-async", "submit-every-backend", test_submit_every_backend);
  start_test_add ("plab/pool-async", "task-code-apart", test_task_code_apart);
  start_test_add ("plab/pool-async", "more-tasks-than-slots", test_more_tasks_than_slots);
  start_test_add ("plab/pool-async", "result-timeout", test_result_timeout);
  start_test_add ("plab/pool-async", "cancel", test_cancel);
  start_test_add ("plab/pool-async", "wait-modes", test_wait_modes);
  start_test_add ("plab/pool-async", "as-completed", test_as_completed);
  start_test_add ("plab/pool-async", "apply-async-callback", test_apply_async_callback);
  start_test_add ("plab/pool-async", "task-crash", test_task_crash);
  start_test_add ("plab/pool-async", "future-exception", test_future_exception);
  start_test_add ("plab/pool-async", "shutdown-cancel-futures", test_shutdown_cancel_futures);
  start_test_add ("plab/pool-async", "shutdown-wait", test_shutdown_wait);
  start_test_add ("plab/pool-async", "map-async", test_map_async);
  start_test_add ("plab/pool-async", "map-async-errors", test_map_async_errors);
  start_test_add ("plab/pool-async", "map-async-fail-fast", test_map_async_fail_fast);
  start_test_add ("plab/pool-async", "map-async-close-join", test_map_async_close_join);
  start_test_add ("plab/pool-async", "map-async-shutdown", test_map_async_shutdown);
  start_test_add ("plab/pool-async", "imap-ordered", test_imap_ordered);
  start_test_add ("plab/pool-async", "imap-unordered", test_imap_unordered);
  start_test_add ("plab/pool-async", "imap-unordered-overtakes", test_imap_unordered_overtakes);
  start_test_add ("plab/pool-async", "imap-endless-input", test_imap_endless_input);
  start_test_add ("plab/pool-async", "imap-crash", test_imap_crash);
  start_test_add ("plab/pool-async", "initializer", test_initializer);
  start_test_add ("plab/pool-async", "initializer-fails", test_initializer_fails);
  start_test_add ("plab/pool-async", "max-tasks-per-worker", test_max_tasks_per_worker);
  start_test_add ("plab/pool-async", "close-join", test_states_close_join);
  start_test_add ("plab/pool-async", "terminate", test_terminate);
  start_test_add ("plab/pool-async", "future-outlives-pool", test_future_outlives_pool);
  start_test_add ("plab/pool-async", "task-too-large", test_task_too_large);
  start_test_add ("plab/pool-async", "starmap", test_starmap);
  start_test_add ("plab/pool-async", "fail-fast-map", test_fail_fast_map);
  start_test_add ("plab/pool-async", "measured-chunks", test_measured_chunks);
  start_test_add ("plab/pool-async", "waits-on-the-timeline", test_waits_on_the_timeline);
  start_test_add ("plab/pool-async", "cancel-flag-ends-waits", test_cancel_flag_ends_waits);
  return g_test_run ();
}
