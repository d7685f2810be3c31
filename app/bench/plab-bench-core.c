/* plab-bench-core.c: what the core library costs, next to the raw POSIX
 * equivalent, measured in one run on the machine at hand.
 *
 * Every workload runs a few rounds for plab and a few for the raw code,
 * interleaved (plab, raw, plab, raw, ...), and reports the median round, so a
 * burst of noise on a shared machine lands on both sides alike. The raw code
 * is what a careful student would write by hand: fork and waitpid, a ring in
 * shared memory under a process-shared mutex, a socketpair, a bare
 * process-shared mutex. It does no tracing, no error reporting, no crash
 * handling: the ratio is the price of those.
 */
#include "plab-bench-core.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"

#define MAX_FIGURES 24
#define MAX_ROUNDS 32
#define CACHE_LINE 64

/* How a figure's target is judged. */
typedef enum
{
  TARGET_RATIO_AT_MOST, /* plab's cost over raw's is at most the limit */
  TARGET_PLAB_AT_LEAST, /* plab's own figure is at least the limit */
  TARGET_PLAB_AT_MOST,  /* plab's own figure is at most the limit */
  TARGET_PYTHON,        /* compared with Python: judged by python_compare.py */
} TargetKind;

typedef struct
{
  const char *id;
  const char *name;
  const char *unit;
  bool higher_is_better;
  double plab; /* NAN when the workload failed */
  double raw;  /* NAN when there is no raw equivalent */
  TargetKind target_kind;
  double limit;
  char target[48];
  int met; /* 1, 0, or -1 when judged elsewhere or not measured */
  int error;
  char note[200];
} Figure;

typedef struct
{
  Figure figures[MAX_FIGURES];
  int n_figures;
  int first_error;
} Bench;

/* --- Helpers --- */

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of @n values (sorts them). */
static double
median (double *values, int n)
{
  if (n <= 0)
    return NAN;
  qsort (values, (size_t)n, sizeof *values, compare_doubles);
  if (n % 2 == 1)
    return values[n / 2];
  return (values[n / 2 - 1] + values[n / 2]) / 2;
}

static double
elapsed_s (int64_t t0)
{
  return (double)(plab_now_ns () - t0) / 1e9;
}

static Figure *
add_figure (Bench *b,
            const char *id,
            const char *name,
            const char *unit,
            bool higher_is_better,
            TargetKind kind,
            double limit)
{
  Figure *f = &b->figures[b->n_figures++];

  *f = (Figure){ .id = id,
                 .name = name,
                 .unit = unit,
                 .higher_is_better = higher_is_better,
                 .plab = NAN,
                 .raw = NAN,
                 .target_kind = kind,
                 .limit = limit,
                 .met = -1 };
  switch (kind)
    {
    case TARGET_RATIO_AT_MOST:
      snprintf (f->target, sizeof f->target, "<= %.2fx raw", limit);
      break;
    case TARGET_PLAB_AT_LEAST:
      snprintf (f->target, sizeof f->target, ">= %g %s", limit, unit);
      break;
    case TARGET_PLAB_AT_MOST:
      snprintf (f->target, sizeof f->target, "<= %g %s", limit, unit);
      break;
    case TARGET_PYTHON:
      snprintf (f->target, sizeof f->target, "%gx Python", limit);
      break;
    }
  return f;
}

/* plab's cost over raw's: above 1 plab is slower. NAN without both figures. */
static double
cost_ratio (const Figure *f)
{
  if (isnan (f->plab) || isnan (f->raw) || f->plab <= 0 || f->raw <= 0)
    return NAN;
  return f->higher_is_better ? f->raw / f->plab : f->plab / f->raw;
}

static void
judge (Figure *f)
{
  double ratio = cost_ratio (f);

  f->met = -1;
  if (isnan (f->plab))
    return;
  switch (f->target_kind)
    {
    case TARGET_RATIO_AT_MOST:
      if (!isnan (ratio))
        f->met = ratio <= f->limit;
      break;
    case TARGET_PLAB_AT_LEAST:
      f->met = f->plab >= f->limit;
      break;
    case TARGET_PLAB_AT_MOST:
      f->met = f->plab <= f->limit;
      break;
    case TARGET_PYTHON:
      break;
    }
}

static void
fail_figure (Bench *b, Figure *f, int rc, const char *what)
{
  f->error = rc;
  f->plab = NAN;
  snprintf (f->note, sizeof f->note, "failed: %s: %s", what, plab_strerror (rc));
  if (b->first_error == 0)
    b->first_error = rc;
}

/* A zeroed anonymous shared mapping, as a raw program would make one. */
static void *
raw_shared_alloc (size_t size)
{
  void *mem = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return mem == MAP_FAILED ? NULL : mem;
}

/* Forks a child running @func (@arg) and exiting with its result. */
static pid_t
raw_spawn (int (*func) (void *), void *arg)
{
  pid_t pid = fork ();

  if (pid == 0)
    _exit (func (arg) & 0xff);
  return pid;
}

/* Waits for a raw child; returns its exit code, or -1 when it did not exit. */
static int
raw_reap (pid_t pid)
{
  int status;

  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* Starts a plab process running @func (@arg). */
static int
plab_spawn (int (*func) (void *), void *arg, PlabProcess **out)
{
  PlabProcess *p = plab_process_new ("bench", func, arg);
  int rc;

  *out = NULL;
  if (p == NULL)
    return PLAB_ENOMEM;
  rc = plab_process_start (p);
  if (rc != 0)
    {
      plab_process_free (p);
      return rc;
    }
  *out = p;
  return 0;
}

/* Joins and frees a plab process; returns 0 when it exited with code 0. */
static int
plab_reap (PlabProcess *p)
{
  PlabExitStatus st;
  int rc = plab_process_join (p, -1, &st);

  plab_process_free (p);
  if (rc != 0)
    return rc;
  return st.state == PLAB_PROCESS_EXITED && st.code == 0 ? 0 : PLAB_ETASK;
}

/* --- Recording one span --- */

static void
bench_span (Bench *b)
{
  enum
  {
    BATCH = 100000,
    ROUNDS = 21
  };
  Figure *f = add_figure (b, "span_record", "record one span (2 clock reads + store)", "ns", false,
                          TARGET_PLAB_AT_MOST, 80);
  PlabTrace *trace = plab_trace_new ();
  double rec[ROUNDS], clk[ROUNDS];
  volatile int64_t sink = 0;
  PlabLaneInfo lane;

  if (trace == NULL)
    {
      fail_figure (b, f, PLAB_ENOMEM, "plab_trace_new");
      return;
    }
  for (int r = 0; r < ROUNDS; r++)
    {
      int64_t t0 = plab_now_ns ();

      for (int i = 0; i < BATCH; i++)
        {
          int64_t s = plab_now_ns ();
          plab_span (PLAB_SPAN_TASK, s, plab_now_ns (), i, "x*x");
        }
      rec[r] = (double)(plab_now_ns () - t0) / BATCH;
      plab_trace_drain (trace);

      /* The same two clock reads, kept alive, without the store. */
      t0 = plab_now_ns ();
      for (int i = 0; i < BATCH; i++)
        {
          int64_t s = plab_now_ns ();
          sink += plab_now_ns () - s;
        }
      clk[r] = (double)(plab_now_ns () - t0) / BATCH;
    }
  plab_trace_get_lane (trace, 0, &lane);
  f->plab = median (rec, ROUNDS);
  f->raw = median (clk, ROUNDS);
  snprintf (f->note, sizeof f->note, "median of %d rounds of %d spans; %llu dropped", ROUNDS, BATCH,
            (unsigned long long)lane.dropped);
  plab_trace_free (trace);
  judge (f);
}

/* --- Process start and join --- */

static int
do_nothing (void *arg)
{
  return 0;
}

static void
bench_process_start (Bench *b)
{
  enum
  {
    N = 100,
    ROUNDS = 7
  };
  Figure *f = add_figure (b, "process_start", "process start + join", "us", false,
                          TARGET_RATIO_AT_MOST, 1.3);
  double plab_us[ROUNDS], raw_us[ROUNDS];

  for (int r = 0; r < ROUNDS; r++)
    {
      int64_t t0 = plab_now_ns ();

      for (int i = 0; i < N; i++)
        {
          PlabProcess *p;
          int rc = plab_spawn (do_nothing, NULL, &p);
          if (rc == 0)
            rc = plab_reap (p);
          if (rc != 0)
            {
              fail_figure (b, f, rc, "plab process");
              return;
            }
        }
      plab_us[r] = elapsed_s (t0) / N * 1e6;

      t0 = plab_now_ns ();
      for (int i = 0; i < N; i++)
        {
          pid_t pid = fork ();
          if (pid == 0)
            _exit (0);
          waitpid (pid, NULL, 0);
        }
      raw_us[r] = elapsed_s (t0) / N * 1e6;
    }
  f->plab = median (plab_us, ROUNDS);
  f->raw = median (raw_us, ROUNDS);
  snprintf (f->note, sizeof f->note, "median of %d rounds of %d; raw: fork + waitpid", ROUNDS, N);
  judge (f);
}

/* --- Pool map --- */

#define POOL_ITEMS 100000
#define POOL_WORKERS 2

static int
square (const void *item, void *result, void *user_data)
{
  int64_t x = *(const int64_t *)item;
  *(int64_t *)result = x * x;
  return 0;
}

/* The raw pool: POOL_WORKERS forked workers and one shared block.
 *
 * The mutex is held while reading or changing generation, done and quit.
 * Workers sleep on wake only while generation is the one they last finished
 * and quit is 0; the parent sleeps on finished only while done < workers.
 * Items are claimed without the mutex, a chunk at a time, by fetch_add on
 * next; a worker touches only the results of the chunks it claimed, and
 * counts itself done (under the mutex) once next is past the end. */
typedef struct
{
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  pthread_cond_t finished;
  uint64_t generation;
  int done;
  int quit;
  uint64_t n_items;
  uint64_t chunk;
  _Alignas(CACHE_LINE) _Atomic uint64_t next;
  _Alignas(CACHE_LINE) int64_t data[]; /* n_items items, then n_items results */
} RawPool;

typedef struct
{
  RawPool *shared;
  size_t map_size;
  pid_t pids[POOL_WORKERS];
} RawPoolHandle;

static int
raw_pool_worker (void *arg)
{
  RawPool *p = arg;
  uint64_t seen = 0;

  for (;;)
    {
      int64_t *items = p->data, *results;
      uint64_t n;

      pthread_mutex_lock (&p->mutex);
      while (p->generation == seen && !p->quit)
        pthread_cond_wait (&p->wake, &p->mutex);
      if (p->quit)
        {
          pthread_mutex_unlock (&p->mutex);
          return 0;
        }
      seen = p->generation;
      n = p->n_items;
      pthread_mutex_unlock (&p->mutex);

      results = p->data + n;
      for (;;)
        {
          uint64_t start = atomic_fetch_add_explicit (&p->next, p->chunk, memory_order_relaxed);
          uint64_t end = start + p->chunk < n ? start + p->chunk : n;
          if (start >= n)
            break;
          for (uint64_t i = start; i < end; i++)
            square (&items[i], &results[i], NULL);
        }

      pthread_mutex_lock (&p->mutex);
      if (++p->done == POOL_WORKERS)
        pthread_cond_signal (&p->finished);
      pthread_mutex_unlock (&p->mutex);
    }
}

static int
raw_pool_new (size_t max_items, RawPoolHandle *h)
{
  pthread_mutexattr_t ma;
  pthread_condattr_t ca;

  h->map_size = sizeof (RawPool) + 2 * max_items * sizeof (int64_t);
  h->shared = raw_shared_alloc (h->map_size);
  if (h->shared == NULL)
    return PLAB_ESYS;
  pthread_mutexattr_init (&ma);
  pthread_mutexattr_setpshared (&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init (&h->shared->mutex, &ma);
  pthread_mutexattr_destroy (&ma);
  pthread_condattr_init (&ca);
  pthread_condattr_setpshared (&ca, PTHREAD_PROCESS_SHARED);
  pthread_cond_init (&h->shared->wake, &ca);
  pthread_cond_init (&h->shared->finished, &ca);
  pthread_condattr_destroy (&ca);
  for (int w = 0; w < POOL_WORKERS; w++)
    h->pids[w] = raw_spawn (raw_pool_worker, h->shared);
  return 0;
}

static void
raw_pool_free (RawPoolHandle *h)
{
  pthread_mutex_lock (&h->shared->mutex);
  h->shared->quit = 1;
  pthread_cond_broadcast (&h->shared->wake);
  pthread_mutex_unlock (&h->shared->mutex);
  for (int w = 0; w < POOL_WORKERS; w++)
    raw_reap (h->pids[w]);
  munmap (h->shared, h->map_size);
}

/* Copies the items in, runs one generation, copies the results out, as
 * plab's pool does through its own shared arena. */
static void
raw_pool_map (RawPoolHandle *h, const int64_t *items, int64_t *results, size_t n, size_t chunk)
{
  RawPool *p = h->shared;

  memcpy (p->data, items, n * sizeof *items);
  pthread_mutex_lock (&p->mutex);
  p->n_items = n;
  p->chunk = chunk;
  atomic_store (&p->next, 0);
  p->done = 0;
  p->generation++;
  pthread_cond_broadcast (&p->wake);
  while (p->done < POOL_WORKERS)
    pthread_cond_wait (&p->finished, &p->mutex);
  pthread_mutex_unlock (&p->mutex);
  memcpy (results, p->data + n, n * sizeof *results);
}

static bool
squares_ok (const int64_t *results, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (results[i] != (int64_t)i * (int64_t)i)
      return false;
  return true;
}

/* The raw workers' chunk for the automatic case: four chunks a worker, as
 * Python's Pool.map picks it (plab measures its own instead). */
static size_t
auto_chunk_size (size_t n, int workers)
{
  size_t chunks = (size_t)workers * 4;
  return (n + chunks - 1) / chunks;
}

static void
bench_pool_map (Bench *b, size_t chunk)
{
  enum
  {
    ROUNDS = 7
  };
  Figure *f;
  PlabPoolOptions opts = { .backend = PLAB_BACKEND_PROCESSES, .workers = POOL_WORKERS };
  PlabPool *pool = NULL;
  RawPoolHandle raw = { 0 };
  int64_t *items = malloc (POOL_ITEMS * sizeof *items);
  int64_t *results = malloc (POOL_ITEMS * sizeof *results);
  PlabMap map = { .func = square,
                  .items = items,
                  .item_size = sizeof (int64_t),
                  .n_items = POOL_ITEMS,
                  .results = results,
                  .result_size = sizeof (int64_t),
                  .chunk_size = chunk };
  double plab_rate[ROUNDS], raw_rate[ROUNDS];
  size_t raw_chunk = chunk ? chunk : auto_chunk_size (POOL_ITEMS, POOL_WORKERS);
  int rc;

  if (chunk == 1)
    f = add_figure (b, "pool_map_chunk1", "pool map x*x, 100000 items, 2 processes, chunk 1",
                    "M tasks/s", true, TARGET_PLAB_AT_LEAST, 2);
  else
    f = add_figure (b, "pool_map_auto", "pool map x*x, 100000 items, 2 processes, auto chunk",
                    "M tasks/s", true, TARGET_PYTHON, 20);

  if (items == NULL || results == NULL)
    {
      fail_figure (b, f, PLAB_ENOMEM, "malloc");
      goto out;
    }
  for (size_t i = 0; i < POOL_ITEMS; i++)
    items[i] = (int64_t)i;
  rc = plab_pool_new (&opts, &pool);
  if (rc != 0)
    {
      fail_figure (b, f, rc, "plab_pool_new");
      goto out;
    }
  rc = raw_pool_new (POOL_ITEMS, &raw);
  if (rc != 0)
    {
      fail_figure (b, f, rc, "raw pool");
      goto out;
    }

  for (int r = 0; r < ROUNDS; r++)
    {
      int64_t t0;

      memset (results, 0, POOL_ITEMS * sizeof *results);
      t0 = plab_now_ns ();
      rc = plab_pool_map (pool, &map, NULL);
      plab_rate[r] = POOL_ITEMS / elapsed_s (t0) / 1e6;
      if (rc != 0 || !squares_ok (results, POOL_ITEMS))
        {
          fail_figure (b, f, rc ? rc : PLAB_ETASK, "plab_pool_map");
          goto out;
        }

      memset (results, 0, POOL_ITEMS * sizeof *results);
      t0 = plab_now_ns ();
      raw_pool_map (&raw, items, results, POOL_ITEMS, raw_chunk);
      raw_rate[r] = POOL_ITEMS / elapsed_s (t0) / 1e6;
      if (!squares_ok (results, POOL_ITEMS))
        {
          fail_figure (b, f, PLAB_ETASK, "raw pool map");
          goto out;
        }
    }
  f->plab = median (plab_rate, ROUNDS);
  f->raw = median (raw_rate, ROUNDS);
  snprintf (f->note, sizeof f->note,
            "median of %d maps; raw: 2 forked workers claiming chunks of %zu with fetch_add",
            ROUNDS, raw_chunk);
  judge (f);

out:
  if (raw.shared != NULL)
    raw_pool_free (&raw);
  plab_pool_free (pool);
  free (items);
  free (results);
}

/* --- Futures and imap: one task at a time through the task table --- */

#define FUTURE_TASKS 20000

static void
bench_futures (Bench *b)
{
  enum
  {
    ROUNDS = 5
  };
  Figure *f = add_figure (b, "futures", "submit + result x*x, 20000 futures, 2 processes",
                          "k tasks/s", true, TARGET_PYTHON, 1);
  PlabPoolOptions opts = { .backend = PLAB_BACKEND_PROCESSES, .workers = POOL_WORKERS };
  PlabPool *pool = NULL;
  PlabFuture **futures = calloc (FUTURE_TASKS, sizeof *futures);
  double rate[ROUNDS];
  int rc;

  if (futures == NULL)
    {
      fail_figure (b, f, PLAB_ENOMEM, "calloc");
      return;
    }
  rc = plab_pool_new (&opts, &pool);
  if (rc != 0)
    {
      fail_figure (b, f, rc, "plab_pool_new");
      goto out;
    }
  for (int r = 0; r < ROUNDS; r++)
    {
      int64_t t0 = plab_now_ns ();

      for (int64_t i = 0; i < FUTURE_TASKS; i++)
        {
          PlabTask task = {
            .func = square, .arg = &i, .arg_size = sizeof i, .result_size = sizeof (int64_t)
          };
          rc = plab_pool_submit (pool, &task, &futures[i]);
          if (rc != 0)
            {
              fail_figure (b, f, rc, "plab_pool_submit");
              goto out;
            }
        }
      for (int64_t i = 0; i < FUTURE_TASKS; i++)
        {
          int64_t result = -1;
          rc = plab_future_result (futures[i], &result, -1);
          plab_future_free (futures[i]);
          futures[i] = NULL;
          if (rc != 0 || result != i * i)
            {
              fail_figure (b, f, rc ? rc : PLAB_ETASK, "plab_future_result");
              goto out;
            }
        }
      rate[r] = FUTURE_TASKS / elapsed_s (t0) / 1e3;
    }
  f->plab = median (rate, ROUNDS);
  snprintf (f->note, sizeof f->note,
            "median of %d rounds; all submitted, then every result read in order", ROUNDS);
  judge (f);

out:
  for (int i = 0; i < FUTURE_TASKS; i++)
    plab_future_free (futures[i]);
  free (futures);
  plab_pool_free (pool);
}

typedef struct
{
  int64_t next;
  int64_t n;
} Counter;

static int
count_next (void *item, void *data)
{
  Counter *c = data;

  if (c->next >= c->n)
    return 0;
  *(int64_t *)item = c->next++;
  return 1;
}

static void
bench_imap (Bench *b)
{
  enum
  {
    ROUNDS = 5,
    ITEMS = 100000
  };
  Figure *f = add_figure (b, "imap", "imap x*x, 100000 items, 2 processes, window 8", "k tasks/s",
                          true, TARGET_PYTHON, 1);
  PlabPoolOptions opts = { .backend = PLAB_BACKEND_PROCESSES, .workers = POOL_WORKERS };
  PlabPool *pool = NULL;
  double rate[ROUNDS];
  int rc;

  rc = plab_pool_new (&opts, &pool);
  if (rc != 0)
    {
      fail_figure (b, f, rc, "plab_pool_new");
      return;
    }
  for (int r = 0; r < ROUNDS; r++)
    {
      Counter c = { 0, ITEMS };
      PlabImap spec = { .func = square,
                        .next = count_next,
                        .next_data = &c,
                        .item_size = sizeof (int64_t),
                        .result_size = sizeof (int64_t) };
      PlabImapIter *it;
      int64_t t0 = plab_now_ns (), result;
      size_t index, got = 0;

      rc = plab_pool_imap (pool, &spec, &it);
      if (rc != 0)
        {
          fail_figure (b, f, rc, "plab_pool_imap");
          goto out;
        }
      while ((rc = plab_imap_next (it, &index, &result, -1)) == 0)
        if (index == got && result == (int64_t)(index * index))
          got++;
      plab_imap_free (it);
      if (rc != PLAB_EDONE || got != ITEMS)
        {
          fail_figure (b, f, rc == PLAB_EDONE ? PLAB_ETASK : rc, "plab_imap_next");
          goto out;
        }
      rate[r] = ITEMS / elapsed_s (t0) / 1e3;
    }
  f->plab = median (rate, ROUNDS);
  snprintf (f->note, sizeof f->note, "median of %d rounds; one task per item, in order", ROUNDS);
  judge (f);

out:
  plab_pool_free (pool);
}

/* --- Queue: one producer process, one consumer process --- */

#define QUEUE_CAPACITY (1u << 20)

/* The raw queue: a byte ring in shared memory under one process-shared mutex.
 *
 * A message is an 8-byte length, then the payload padded to 8 bytes; it may
 * wrap around the end of the ring (copied in two pieces). Held while reading
 * or changing head, tail, used, count and the waiter counts: head is where the
 * oldest message starts, tail where the next goes, used the bytes between
 * them. The producer sleeps on not_full only while the message does not fit;
 * the consumer sleeps on not_empty only while count is 0. The waiter counts
 * let either side skip the signal when nobody sleeps. */
typedef struct
{
  pthread_mutex_t mutex;
  pthread_cond_t not_empty;
  pthread_cond_t not_full;
  uint64_t capacity;
  uint64_t head;
  uint64_t tail;
  uint64_t used;
  uint64_t count;
  uint32_t getters_waiting;
  uint32_t putters_waiting;
  _Alignas(CACHE_LINE) unsigned char ring[];
} RawRing;

static size_t
pad8 (size_t n)
{
  return (n + 7) & ~(size_t)7;
}

static RawRing *
raw_ring_new (size_t capacity)
{
  RawRing *q = raw_shared_alloc (sizeof (RawRing) + capacity);
  pthread_mutexattr_t ma;
  pthread_condattr_t ca;

  if (q == NULL)
    return NULL;
  pthread_mutexattr_init (&ma);
  pthread_mutexattr_setpshared (&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init (&q->mutex, &ma);
  pthread_mutexattr_destroy (&ma);
  pthread_condattr_init (&ca);
  pthread_condattr_setpshared (&ca, PTHREAD_PROCESS_SHARED);
  pthread_cond_init (&q->not_empty, &ca);
  pthread_cond_init (&q->not_full, &ca);
  pthread_condattr_destroy (&ca);
  q->capacity = capacity;
  return q;
}

static void
raw_ring_free (RawRing *q)
{
  munmap (q, sizeof (RawRing) + q->capacity);
}

static void
ring_write (RawRing *q, uint64_t at, const void *data, size_t n)
{
  size_t first = q->capacity - at < n ? q->capacity - at : n;

  memcpy (q->ring + at, data, first);
  memcpy (q->ring, (const unsigned char *)data + first, n - first);
}

static void
ring_read (RawRing *q, uint64_t at, void *data, size_t n)
{
  size_t first = q->capacity - at < n ? q->capacity - at : n;

  memcpy (data, q->ring + at, first);
  memcpy ((unsigned char *)data + first, q->ring, n - first);
}

static void
raw_ring_put (RawRing *q, const void *data, uint64_t size)
{
  uint64_t frame = sizeof size + pad8 (size);

  pthread_mutex_lock (&q->mutex);
  while (q->used + frame > q->capacity)
    {
      q->putters_waiting++;
      pthread_cond_wait (&q->not_full, &q->mutex);
      q->putters_waiting--;
    }
  /* The capacity is a multiple of 8, so the length itself never wraps. */
  memcpy (q->ring + q->tail, &size, sizeof size);
  ring_write (q, (q->tail + sizeof size) % q->capacity, data, size);
  q->tail = (q->tail + frame) % q->capacity;
  q->used += frame;
  q->count++;
  if (q->getters_waiting > 0)
    pthread_cond_signal (&q->not_empty);
  pthread_mutex_unlock (&q->mutex);
}

static uint64_t
raw_ring_get (RawRing *q, void *buf)
{
  uint64_t size, frame;

  pthread_mutex_lock (&q->mutex);
  while (q->count == 0)
    {
      q->getters_waiting++;
      pthread_cond_wait (&q->not_empty, &q->mutex);
      q->getters_waiting--;
    }
  memcpy (&size, q->ring + q->head, sizeof size);
  ring_read (q, (q->head + sizeof size) % q->capacity, buf, size);
  frame = sizeof size + pad8 (size);
  q->head = (q->head + frame) % q->capacity;
  q->used -= frame;
  q->count--;
  if (q->putters_waiting > 0)
    pthread_cond_signal (&q->not_full);
  pthread_mutex_unlock (&q->mutex);
  return size;
}

typedef struct
{
  PlabQueue *queue;
  RawRing *ring;
  size_t n_messages;
  size_t size;
} QueueJob;

/* Consumers check every size and the sequence number each message starts with. */
static int
plab_queue_consumer (void *arg)
{
  QueueJob *job = arg;
  unsigned char *buf = malloc (job->size);
  int bad = buf == NULL;

  for (size_t i = 0; i < job->n_messages && !bad; i++)
    {
      size_t size;
      uint64_t seq;
      if (plab_queue_get (job->queue, buf, job->size, &size, -1) != 0 || size != job->size)
        bad = 1;
      memcpy (&seq, buf, sizeof seq);
      bad |= seq != i;
    }
  free (buf);
  return bad;
}

static int
raw_queue_consumer (void *arg)
{
  QueueJob *job = arg;
  unsigned char *buf = malloc (job->size);
  int bad = buf == NULL;

  for (size_t i = 0; i < job->n_messages && !bad; i++)
    {
      uint64_t seq;
      bad = raw_ring_get (job->ring, buf) != job->size;
      memcpy (&seq, buf, sizeof seq);
      bad |= seq != i;
    }
  free (buf);
  return bad;
}

/* Returns the seconds one transfer of the job took, or a negative code. */
static double
plab_queue_round (QueueJob *job, unsigned char *msg, int *rc_out)
{
  PlabProcess *consumer;
  int64_t t0 = plab_now_ns ();
  int rc = plab_spawn (plab_queue_consumer, job, &consumer);
  double s;

  for (size_t i = 0; rc == 0 && i < job->n_messages; i++)
    {
      uint64_t seq = i;
      memcpy (msg, &seq, sizeof seq);
      rc = plab_queue_put (job->queue, msg, job->size, -1);
    }
  if (consumer != NULL)
    {
      int jrc = plab_reap (consumer);
      if (rc == 0)
        rc = jrc;
    }
  s = elapsed_s (t0);
  *rc_out = rc;
  return s;
}

static double
raw_queue_round (QueueJob *job, unsigned char *msg, int *rc_out)
{
  int64_t t0 = plab_now_ns ();
  pid_t consumer = raw_spawn (raw_queue_consumer, job);
  double s;

  for (size_t i = 0; i < job->n_messages; i++)
    {
      uint64_t seq = i;
      memcpy (msg, &seq, sizeof seq);
      raw_ring_put (job->ring, msg, job->size);
    }
  *rc_out = raw_reap (consumer) == 0 ? 0 : PLAB_ETASK;
  s = elapsed_s (t0);
  return s;
}

static void
bench_queue (Bench *b, size_t n_messages, size_t size)
{
  enum
  {
    ROUNDS = 3
  };
  bool small = size <= 64;
  Figure *f = small
                  ? add_figure (b, "queue_small", "queue 1000000 x 8 B, 1 producer -> 1 consumer",
                                "M msgs/s", true, TARGET_PLAB_AT_LEAST, 5)
                  : add_figure (b, "queue_large", "queue 10000 x 64 KiB, 1 producer -> 1 consumer",
                                "GB/s", true, TARGET_PLAB_AT_LEAST, 4);
  QueueJob job = { .n_messages = n_messages, .size = size };
  unsigned char *msg = calloc (1, size);
  double plab_fig[ROUNDS], raw_fig[ROUNDS];
  int rc = 0;

  job.queue = plab_queue_new ("bench", 0, QUEUE_CAPACITY);
  job.ring = raw_ring_new (QUEUE_CAPACITY);
  if (msg == NULL || job.queue == NULL || job.ring == NULL)
    {
      fail_figure (b, f, PLAB_ENOMEM, "queue setup");
      goto out;
    }
  for (int r = 0; r < ROUNDS; r++)
    {
      double s = plab_queue_round (&job, msg, &rc);
      if (rc != 0)
        {
          fail_figure (b, f, rc, "plab queue");
          goto out;
        }
      plab_fig[r] = small ? n_messages / s / 1e6 : (double)n_messages * size / s / 1e9;

      s = raw_queue_round (&job, msg, &rc);
      if (rc != 0)
        {
          fail_figure (b, f, rc, "raw queue");
          goto out;
        }
      raw_fig[r] = small ? n_messages / s / 1e6 : (double)n_messages * size / s / 1e9;
    }
  f->plab = median (plab_fig, ROUNDS);
  f->raw = median (raw_fig, ROUNDS);
  snprintf (f->note, sizeof f->note,
            "median of %d; both rings 1 MiB; raw: shared ring + process-shared mutex/cond", ROUNDS);
  judge (f);

out:
  if (job.ring != NULL)
    raw_ring_free (job.ring);
  plab_queue_free (job.queue);
  free (msg);
}

/* --- Pipe round trip --- */

/* A ping-pong's time depends mostly on where the scheduler puts the two
 * processes: on one CPU a round trip is two context switches; on two CPUs
 * each message also wakes an idle CPU, which in a virtual machine costs tens
 * of microseconds and varies from run to run. So both placements are pinned:
 * the figure is the one-CPU round trip (the cost of the code), and the
 * two-CPU one goes into the note. */

typedef struct
{
  PlabConn *mine;
  PlabConn *theirs;
  int fds[2];
  int n;
  int child_cpu; /* -1: stay on the parent's CPU */
} PipeJob;

static void
pin_to_cpu (int cpu)
{
  cpu_set_t set;

  CPU_ZERO (&set);
  CPU_SET (cpu, &set);
  sched_setaffinity (0, sizeof set, &set);
}

static int
plab_echo (void *arg)
{
  PipeJob *job = arg;
  uint64_t msg;
  size_t size;

  if (job->child_cpu >= 0)
    pin_to_cpu (job->child_cpu);
  plab_conn_close (job->mine);
  for (int i = 0; i < job->n; i++)
    if (plab_conn_recv (job->theirs, &msg, sizeof msg, &size, -1) != 0
        || plab_conn_send (job->theirs, &msg, size) != 0)
      return 1;
  return 0;
}

static int
raw_echo (void *arg)
{
  PipeJob *job = arg;
  uint64_t msg;

  if (job->child_cpu >= 0)
    pin_to_cpu (job->child_cpu);
  close (job->fds[0]);
  for (int i = 0; i < job->n; i++)
    if (read (job->fds[1], &msg, sizeof msg) != sizeof msg
        || write (job->fds[1], &msg, sizeof msg) != sizeof msg)
      return 1;
  return 0;
}

/* One round of @n plab round trips; stores microseconds per round trip. */
static int
plab_pipe_round (int n, int child_cpu, double *us_out)
{
  PipeJob job = { .n = n, .child_cpu = child_cpu };
  PlabProcess *child;
  int64_t t0;
  int rc = plab_pipe_new ("bench", 0, &job.mine, &job.theirs);

  if (rc != 0)
    return rc;
  rc = plab_spawn (plab_echo, &job, &child);
  plab_conn_close (job.theirs);
  if (rc != 0)
    {
      plab_conn_close (job.mine);
      return rc;
    }
  t0 = plab_now_ns ();
  for (uint64_t i = 0; rc == 0 && i < (uint64_t)n; i++)
    {
      uint64_t msg = i, back = 0;
      size_t size;
      rc = plab_conn_send (job.mine, &msg, sizeof msg);
      if (rc == 0)
        rc = plab_conn_recv (job.mine, &back, sizeof back, &size, -1);
      if (rc == 0 && back != i)
        rc = PLAB_EPROTO;
    }
  *us_out = elapsed_s (t0) / n * 1e6;
  plab_conn_close (job.mine);
  if (rc == 0)
    return plab_reap (child);
  plab_reap (child);
  return rc;
}

static int
raw_pipe_round (int n, int child_cpu, double *us_out)
{
  PipeJob job = { .n = n, .child_cpu = child_cpu };
  int64_t t0;
  pid_t pid;
  int rc = 0;

  if (socketpair (AF_UNIX, SOCK_STREAM, 0, job.fds) < 0)
    return PLAB_ESYS;
  pid = raw_spawn (raw_echo, &job);
  close (job.fds[1]);
  t0 = plab_now_ns ();
  for (uint64_t i = 0; rc == 0 && i < (uint64_t)n; i++)
    {
      uint64_t msg = i, back = 0;
      if (write (job.fds[0], &msg, sizeof msg) != sizeof msg
          || read (job.fds[0], &back, sizeof back) != sizeof back || back != i)
        rc = PLAB_ESYS;
    }
  *us_out = elapsed_s (t0) / n * 1e6;
  close (job.fds[0]);
  if (raw_reap (pid) != 0 && rc == 0)
    rc = PLAB_ETASK;
  return rc;
}

static void
bench_pipe (Bench *b)
{
  enum
  {
    N = 20000,
    N_CROSS = 5000,
    ROUNDS = 5
  };
  Figure *f = add_figure (b, "pipe_round_trip", "pipe round trip, 8 B, 2 processes on 1 CPU", "us",
                          false, TARGET_RATIO_AT_MOST, 1.25);
  double plab_us[ROUNDS], raw_us[ROUNDS], plab_x[ROUNDS], raw_x[ROUNDS];
  cpu_set_t saved, allowed;
  int cpus[2] = { -1, -1 }, n_cpus = 0;
  int rc = 0;

  /* The parent runs on the first usable CPU, the other side on the same one
   * or on the second. */
  sched_getaffinity (0, sizeof saved, &saved);
  allowed = saved;
  for (int c = 0; c < CPU_SETSIZE && n_cpus < 2; c++)
    if (CPU_ISSET (c, &allowed))
      cpus[n_cpus++] = c;
  pin_to_cpu (cpus[0]);

  for (int r = 0; r < ROUNDS && rc == 0; r++)
    {
      plab_x[r] = raw_x[r] = NAN;
      rc = plab_pipe_round (N, -1, &plab_us[r]);
      if (rc == 0)
        rc = raw_pipe_round (N, -1, &raw_us[r]);
      if (rc == 0 && n_cpus == 2)
        rc = plab_pipe_round (N_CROSS, cpus[1], &plab_x[r]);
      if (rc == 0 && n_cpus == 2)
        rc = raw_pipe_round (N_CROSS, cpus[1], &raw_x[r]);
    }
  sched_setaffinity (0, sizeof saved, &saved);
  if (rc != 0)
    {
      fail_figure (b, f, rc, "pipe round trip");
      return;
    }
  f->plab = median (plab_us, ROUNDS);
  f->raw = median (raw_us, ROUNDS);
  if (n_cpus == 2)
    {
      double px = median (plab_x, ROUNDS), rx = median (raw_x, ROUNDS);
      snprintf (f->note, sizeof f->note,
                "median of %d rounds of %d; raw: socketpair write/read; "
                "on 2 CPUs: plab %.2f us, raw %.2f us = %.2fx",
                ROUNDS, N, px, rx, px / rx);
    }
  else
    snprintf (f->note, sizeof f->note, "median of %d rounds of %d; raw: socketpair write/read",
              ROUNDS, N);
  judge (f);
}

/* --- Counter under a lock --- */

#define COUNTER_INCREMENTS 1000000

/* The raw counter: a bare process-shared mutex (default type) guarding the
 * count, in one shared mapping. */
typedef struct
{
  pthread_mutex_t mutex;
  int64_t count;
} RawCounter;

typedef struct
{
  PlabLock *lock;
  int64_t *count; /* in plab shared memory */
  RawCounter *raw;
} CounterJob;

static int
plab_counter_worker (void *arg)
{
  CounterJob *job = arg;

  for (int i = 0; i < COUNTER_INCREMENTS; i++)
    {
      int rc = plab_lock_acquire (job->lock, -1);
      if (rc != 0 && rc != PLAB_EOWNERDEAD)
        return 1;
      (*job->count)++;
      plab_lock_release (job->lock);
    }
  return 0;
}

static int
raw_counter_worker (void *arg)
{
  CounterJob *job = arg;

  for (int i = 0; i < COUNTER_INCREMENTS; i++)
    {
      pthread_mutex_lock (&job->raw->mutex);
      job->raw->count++;
      pthread_mutex_unlock (&job->raw->mutex);
    }
  return 0;
}

/* A raw counter's mutex: process-shared, and robust with error checking when
 * @robust (the attributes plab's locks carry), to tell the two costs apart. */
static RawCounter *
raw_counter_new (bool robust)
{
  RawCounter *c = raw_shared_alloc (sizeof *c);
  pthread_mutexattr_t ma;

  if (c == NULL)
    return NULL;
  pthread_mutexattr_init (&ma);
  pthread_mutexattr_setpshared (&ma, PTHREAD_PROCESS_SHARED);
  if (robust)
    {
      pthread_mutexattr_setrobust (&ma, PTHREAD_MUTEX_ROBUST);
      pthread_mutexattr_settype (&ma, PTHREAD_MUTEX_ERRORCHECK);
    }
  pthread_mutex_init (&c->mutex, &ma);
  pthread_mutexattr_destroy (&ma);
  return c;
}

static void
raw_counter_free (RawCounter *c)
{
  if (c == NULL)
    return;
  pthread_mutex_destroy (&c->mutex);
  munmap (c, sizeof *c);
}

/* Two raw processes counting on @c; returns the milliseconds, or NAN when
 * the count is wrong. */
static double
raw_counter_round (CounterJob *job, RawCounter *c)
{
  CounterJob mine = *job;
  int64_t t0 = plab_now_ns ();
  pid_t pids[2];

  mine.raw = c;
  c->count = 0;
  for (int w = 0; w < 2; w++)
    pids[w] = raw_spawn (raw_counter_worker, &mine);
  for (int w = 0; w < 2; w++)
    raw_reap (pids[w]);
  return c->count == 2 * COUNTER_INCREMENTS ? elapsed_s (t0) * 1e3 : NAN;
}

static void
bench_lock_counter (Bench *b)
{
  enum
  {
    ROUNDS = 9
  };
  Figure *f = add_figure (b, "lock_counter", "counter += 1 under a lock, 2 processes x 1000000",
                          "ms", false, TARGET_RATIO_AT_MOST, 1.3);
  PlabShared *shared = plab_shared_new ("counter", sizeof (int64_t), true);
  RawCounter *raw = raw_counter_new (false);
  RawCounter *robust = raw_counter_new (true);
  CounterJob job = { 0 };
  double plab_ms[ROUNDS], raw_ms[ROUNDS], robust_ms[ROUNDS];

  if (shared == NULL || raw == NULL || robust == NULL)
    {
      fail_figure (b, f, PLAB_ENOMEM, "counter setup");
      goto out;
    }
  job.lock = plab_shared_lock (shared);
  job.count = plab_shared_data (shared);

  /* The contended counter is bimodal on a small machine (the lock either
   * ping-pongs between the cores or stays with one for a while), hence more
   * rounds than elsewhere. */
  for (int r = 0; r < ROUNDS; r++)
    {
      PlabProcess *p[2] = { NULL, NULL };
      int64_t t0 = plab_now_ns ();
      int rc = 0;

      *job.count = 0;
      for (int w = 0; w < 2 && rc == 0; w++)
        rc = plab_spawn (plab_counter_worker, &job, &p[w]);
      for (int w = 0; w < 2; w++)
        if (p[w] != NULL)
          {
            int jrc = plab_reap (p[w]);
            if (rc == 0)
              rc = jrc;
          }
      plab_ms[r] = elapsed_s (t0) * 1e3;
      if (rc == 0 && *job.count != 2 * COUNTER_INCREMENTS)
        rc = PLAB_ETASK;
      if (rc != 0)
        {
          fail_figure (b, f, rc, "plab lock counter");
          goto out;
        }

      raw_ms[r] = raw_counter_round (&job, raw);
      robust_ms[r] = raw_counter_round (&job, robust);
      if (isnan (raw_ms[r]) || isnan (robust_ms[r]))
        {
          fail_figure (b, f, PLAB_ETASK, "raw lock counter");
          goto out;
        }
    }
  f->plab = median (plab_ms, ROUNDS);
  f->raw = median (raw_ms, ROUNDS);
  snprintf (f->note, sizeof f->note,
            "median of %d, counts checked; raw: default process-shared mutex; "
            "raw robust+errorcheck mutex (plab's kind): %.2f ms = %.2fx raw",
            ROUNDS, median (robust_ms, ROUNDS), median (robust_ms, ROUNDS) / f->raw);
  judge (f);

out:
  raw_counter_free (raw);
  raw_counter_free (robust);
  plab_shared_free (shared);
}

/* --- Recording on vs off on a CPU-bound map --- */

#define SPIN_ITEMS 32
#define SPIN_ITEM_NS 2000000

static uint64_t
spin (uint64_t x, uint64_t iterations)
{
  /* A dependent chain of multiply-adds: pure arithmetic, no memory traffic. */
  for (uint64_t i = 0; i < iterations; i++)
    x = x * 6364136223846793005u + 1442695040888963407u;
  return x;
}

static int
spin_item (const void *item, void *result, void *user_data)
{
  const uint64_t *iterations = user_data;

  *(uint64_t *)result = spin (*(const uint64_t *)item, *iterations);
  return 0;
}

static void
bench_trace_overhead (Bench *b)
{
  enum
  {
    ROUNDS = 11
  };
  Figure *f
      = add_figure (b, "trace_overhead", "CPU-bound map (32 x 2 ms, 2 proc): recording on/off",
                    "ms", false, TARGET_RATIO_AT_MOST, 1.03);
  PlabTrace *trace = plab_trace_new ();
  uint64_t items[SPIN_ITEMS], results[SPIN_ITEMS];
  uint64_t iterations;
  double on_ms[ROUNDS], off_ms[ROUNDS];
  int64_t t0;
  volatile uint64_t keep;

  if (trace == NULL)
    {
      fail_figure (b, f, PLAB_ENOMEM, "plab_trace_new");
      return;
    }
  /* Calibrate the spin so that one item takes about SPIN_ITEM_NS. */
  t0 = plab_now_ns ();
  keep = spin (1, 10000000);
  iterations = (uint64_t)(10000000.0 * SPIN_ITEM_NS / (double)(plab_now_ns () - t0));
  (void)keep;
  for (int i = 0; i < SPIN_ITEMS; i++)
    items[i] = (uint64_t)i + 1;

  for (int r = 0; r < 2 * ROUNDS; r++)
    {
      /* Workers inherit the switch when they are forked: set it before the pool. */
      bool on = r % 2 == 0;
      PlabPoolOptions opts
          = { .backend = PLAB_BACKEND_PROCESSES, .workers = POOL_WORKERS, .trace = trace };
      PlabMap map = { .func = spin_item,
                      .user_data = &iterations,
                      .items = items,
                      .item_size = sizeof items[0],
                      .n_items = SPIN_ITEMS,
                      .results = results,
                      .result_size = sizeof results[0],
                      .chunk_size = 1 };
      PlabPool *pool;
      double ms;
      int rc;

      plab_trace_set_enabled (on);
      rc = plab_pool_new (&opts, &pool);
      if (rc != 0)
        {
          fail_figure (b, f, rc, "plab_pool_new");
          goto out;
        }
      /* An untimed map first: a worker forked a moment ago may not be
       * running yet, and the other would then take every item. */
      rc = plab_pool_map (pool, &map, NULL);
      t0 = plab_now_ns ();
      if (rc == 0)
        rc = plab_pool_map (pool, &map, NULL);
      ms = elapsed_s (t0) * 1e3;
      plab_pool_free (pool);
      plab_trace_drain (trace);
      if (rc != 0)
        {
          fail_figure (b, f, rc, "plab_pool_map");
          goto out;
        }
      if (on)
        on_ms[r / 2] = ms;
      else
        off_ms[r / 2] = ms;
    }
  /* CPU-bound and noisy: the best round is the one least disturbed. */
  {
    double on_best = on_ms[0], off_best = off_ms[0];
    for (int r = 1; r < ROUNDS; r++)
      {
        on_best = on_ms[r] < on_best ? on_ms[r] : on_best;
        off_best = off_ms[r] < off_best ? off_ms[r] : off_best;
      }
    f->plab = on_best;
    f->raw = off_best;
    snprintf (f->note, sizeof f->note,
              "plab column: recording on, raw column: off; best of %d each: %+.2f%%; "
              "medians %+.2f%%",
              ROUNDS, (on_best / off_best - 1) * 100,
              (median (on_ms, ROUNDS) / median (off_ms, ROUNDS) - 1) * 100);
  }
  judge (f);

out:
  plab_trace_set_enabled (true);
  plab_trace_free (trace);
}

/* --- Draining spans into SQLite --- */

#define DRAIN_SPANS 1000000

static void
bench_drain (Bench *b)
{
  enum
  {
    ROUNDS = 3
  };
  Figure *f = add_figure (b, "drain_sqlite", "drain 1000000 spans into SQLite (store sink)",
                          "M spans/s", true, TARGET_PLAB_AT_LEAST, 1);
  char dir[] = "/tmp/plab-bench-XXXXXX";
  char path[64], side[80];
  PlabStore *store = NULL;
  double rate[ROUNDS];
  int rc;

  if (mkdtemp (dir) == NULL)
    {
      fail_figure (b, f, PLAB_ESYS, "mkdtemp");
      return;
    }
  snprintf (path, sizeof path, "%s/runs.db", dir);
  rc = plab_store_open (path, PLAB_STORE_READ_WRITE, &store);
  if (rc != 0)
    {
      fail_figure (b, f, rc, "plab_store_open");
      goto out;
    }

  for (int r = 0; r < ROUNDS; r++)
    {
      PlabTrace *trace = plab_trace_new ();
      PlabRunSpec spec = { .demo = "bench", .backend = "serial", .workers = 1 };
      PlabRunOutcome outcome = { .status = PLAB_RUN_OK };
      PlabTraceSink sink;
      int64_t run_id, t0, origin;
      size_t moved;
      int lane;

      if (trace == NULL)
        {
          fail_figure (b, f, PLAB_ENOMEM, "plab_trace_new");
          goto out;
        }
      /* One lane large enough for every span, so nothing is dropped. */
      plab_trace_set_capacity (trace, DRAIN_SPANS);
      rc = plab_trace_add_lane (trace, PLAB_LANE_THREAD, "bench", &lane);
      if (rc != 0)
        {
          plab_trace_free (trace);
          fail_figure (b, f, rc, "plab_trace_add_lane");
          goto out;
        }
      plab_trace_attach (trace, lane);
      origin = plab_trace_origin_ns (trace);
      for (int i = 0; i < DRAIN_SPANS; i++)
        plab_span (PLAB_SPAN_TASK, origin + i * 1000, origin + i * 1000 + 800, i, "x*x");
      plab_trace_attach (trace, 0);

      spec.origin_ns = origin;
      rc = plab_store_begin_run (store, &spec, &run_id);
      if (rc != 0)
        {
          plab_trace_free (trace);
          fail_figure (b, f, rc, "plab_store_begin_run");
          goto out;
        }
      plab_store_sink_init (store, run_id, &sink);
      plab_trace_set_sink (trace, &sink);
      t0 = plab_now_ns ();
      moved = plab_trace_drain (trace);
      rate[r] = moved / elapsed_s (t0) / 1e6;
      rc = plab_store_sink_error (store);
      outcome.wall_ns = 0;
      plab_store_finish_run (store, run_id, &outcome);
      plab_trace_free (trace);
      if (rc == 0 && moved < DRAIN_SPANS)
        rc = PLAB_ETASK;
      if (rc != 0)
        {
          fail_figure (b, f, rc, "drain into the store");
          goto out;
        }
    }
  f->plab = median (rate, ROUNDS);
  snprintf (f->note, sizeof f->note, "median of %d; WAL store in %s; no raw equivalent", ROUNDS,
            "/tmp");
  judge (f);

out:
  plab_store_close (store);
  unlink (path);
  snprintf (side, sizeof side, "%s-wal", path);
  unlink (side);
  snprintf (side, sizeof side, "%s-shm", path);
  unlink (side);
  rmdir (dir);
}

/* --- Output --- */

static void
print_json_string (FILE *out, const char *s)
{
  fputc ('"', out);
  for (; *s; s++)
    {
      unsigned char c = (unsigned char)*s;
      if (c == '"' || c == '\\')
        fprintf (out, "\\%c", c);
      else if (c < 0x20)
        fprintf (out, "\\u%04x", c);
      else
        fputc (c, out);
    }
  fputc ('"', out);
}

static void
print_json_number (FILE *out, double v)
{
  if (isnan (v) || isinf (v))
    fputs ("null", out);
  else
    fprintf (out, "%.6g", v);
}

static void
print_json (FILE *out, const Bench *b, const PlabMachineInfo *m)
{
  fputs ("{\"machine\": {\"host\": ", out);
  print_json_string (out, m->host);
  fputs (", \"cpu\": ", out);
  print_json_string (out, m->cpu_model);
  fprintf (out, ", \"usable_cpus\": %d, \"online_cpus\": %d, \"os\": ", m->usable_cpus,
           m->online_cpus);
  print_json_string (out, m->os);
  fputs (", \"compiler\": ", out);
  print_json_string (out, m->compiler);
  fputs (", \"version\": ", out);
  print_json_string (out, m->version);
  fputs ("}, \"figures\": [", out);
  for (int i = 0; i < b->n_figures; i++)
    {
      const Figure *f = &b->figures[i];

      fputs (i ? ",\n  {\"id\": " : "\n  {\"id\": ", out);
      print_json_string (out, f->id);
      fputs (", \"name\": ", out);
      print_json_string (out, f->name);
      fputs (", \"unit\": ", out);
      print_json_string (out, f->unit);
      fprintf (out,
               ", \"higher_is_better\": %s, \"plab\": ", f->higher_is_better ? "true" : "false");
      print_json_number (out, f->plab);
      fputs (", \"raw\": ", out);
      print_json_number (out, f->raw);
      fputs (", \"ratio\": ", out);
      print_json_number (out, cost_ratio (f));
      fputs (", \"target\": ", out);
      print_json_string (out, f->target);
      fprintf (out, ", \"met\": %s, \"note\": ", f->met < 0 ? "null" : f->met ? "true" : "false");
      print_json_string (out, f->note);
      fputc ('}', out);
    }
  fputs ("\n]}\n", out);
}

static void
print_value (FILE *out, double v, const char *unit)
{
  char buf[48];

  if (isnan (v))
    snprintf (buf, sizeof buf, "-");
  else
    snprintf (buf, sizeof buf, "%.*f %s", fabs (v) >= 100 ? 1 : fabs (v) >= 10 ? 2 : 3, v, unit);
  fprintf (out, " %16s", buf);
}

static void
print_table (FILE *out, const Bench *b, const PlabMachineInfo *m)
{
  fprintf (out, "machine: %s, %s, %d usable CPUs (%d online), %s, %s, plab %s\n",
           m->host[0] ? m->host : "?", m->cpu_model[0] ? m->cpu_model : "unknown CPU",
           m->usable_cpus, m->online_cpus, m->os[0] ? m->os : "?",
           m->compiler[0] ? m->compiler : "?", m->version[0] ? m->version : "?");
  fprintf (out, "%-52s %16s %16s %7s  %-18s %s\n", "workload", "plab", "raw", "ratio", "target",
           "met");
  for (int i = 0; i < b->n_figures; i++)
    {
      const Figure *f = &b->figures[i];
      double ratio = cost_ratio (f);

      fprintf (out, "%-52s", f->name);
      print_value (out, f->plab, f->unit);
      print_value (out, f->raw, f->unit);
      if (isnan (ratio))
        fprintf (out, " %7s", "-");
      else
        fprintf (out, " %6.2fx", ratio);
      fprintf (out, "  %-18s %s\n", f->target,
               f->met < 0 ? (f->target_kind == TARGET_PYTHON ? "(python)" : "-")
               : f->met   ? "yes"
                          : "no");
    }
  fputs ("\nratio: plab's cost over raw's (time over time, or rate inverted); 1.00x is as fast.\n"
         "Targets against Python: run tests/bench/python_compare.py.\n",
         out);
  for (int i = 0; i < b->n_figures; i++)
    if (b->figures[i].note[0])
      fprintf (out, "  %s: %s\n", b->figures[i].id, b->figures[i].note);
}

/* PLAB_BENCH_ONLY=id,id,... runs only those workloads (to look into one). */
static bool
selected (const char *id)
{
  const char *only = getenv ("PLAB_BENCH_ONLY");
  size_t len = strlen (id);

  if (only == NULL || only[0] == '\0')
    return true;
  for (const char *p = only; (p = strstr (p, id)) != NULL; p += len)
    if ((p == only || p[-1] == ',') && (p[len] == '\0' || p[len] == ','))
      return true;
  return false;
}

int
plab_bench_core_run (FILE *out, int json)
{
  Bench *b = calloc (1, sizeof *b);
  PlabMachineInfo m;
  int rc;

  if (b == NULL)
    return PLAB_ENOMEM;
  /* Children are forked below: nothing buffered may be written twice. */
  fflush (out);

  if (selected ("process_start"))
    bench_process_start (b);
  if (selected ("pool_map_chunk1"))
    bench_pool_map (b, 1);
  if (selected ("pool_map_auto"))
    bench_pool_map (b, 0);
  if (selected ("futures"))
    bench_futures (b);
  if (selected ("imap"))
    bench_imap (b);
  if (selected ("queue_small"))
    bench_queue (b, 1000000, 8);
  if (selected ("queue_large"))
    bench_queue (b, 10000, 64 * 1024);
  if (selected ("pipe_round_trip"))
    bench_pipe (b);
  if (selected ("lock_counter"))
    bench_lock_counter (b);
  if (selected ("span_record"))
    bench_span (b);
  if (selected ("trace_overhead"))
    bench_trace_overhead (b);
  if (selected ("drain_sqlite"))
    bench_drain (b);

  plab_machine_info (&m);
  if (json)
    print_json (out, b, &m);
  else
    print_table (out, b, &m);
  fflush (out);
  rc = b->first_error;
  free (b);
  return rc;
}
