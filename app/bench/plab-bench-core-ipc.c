/* plab-bench-core-ipc.c: the core benchmark's workloads between processes:
 * a queue from one producer to one consumer and from several, a pipe round
 * trip and a counter under a process-shared lock, each next to the raw POSIX
 * equivalent.
 */
#include "plab-bench-core-private.h"

/* --- Queue: one producer process, one consumer process --- */

#define QUEUE_CAPACITY (1u << 20)

/* The raw queue: a single-producer, single-consumer byte ring in shared
 * memory, with no lock at all, what a hand-written C program would use.
 *
 * A message is an 8-byte length, then the payload padded to 8 bytes; it may
 * wrap around the end of the ring (copied in two pieces). tail counts the
 * bytes ever written, head those ever read, each on its own cache line and
 * written by one side only: the producer stores tail (release) after the
 * copy, the consumer stores head after reading. A side that finds the ring
 * full (or empty) spins a moment, then yields the CPU. Each side keeps its
 * last look at the other's index in its own process. */
typedef struct
{
  _Alignas(CACHE_LINE) _Atomic uint64_t tail;
  _Alignas(CACHE_LINE) _Atomic uint64_t head;
  _Alignas(CACHE_LINE) uint64_t capacity;
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
  RawRing *q = _plab_bench_raw_shared_alloc (sizeof (RawRing) + capacity);

  if (q == NULL)
    return NULL;
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
raw_ring_pause (int *spins)
{
  if (++*spins < 100)
    {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause ();
#endif
    }
  else
    sched_yield ();
}

static void
raw_ring_put (RawRing *q, uint64_t *head_seen, const void *data, uint64_t size)
{
  uint64_t frame = sizeof size + pad8 (size);
  uint64_t tail = atomic_load_explicit (&q->tail, memory_order_relaxed);
  int spins = 0;

  while (tail - *head_seen + frame > q->capacity)
    {
      *head_seen = atomic_load_explicit (&q->head, memory_order_acquire);
      if (tail - *head_seen + frame > q->capacity)
        raw_ring_pause (&spins);
    }
  /* The capacity is a multiple of 8, so the length itself never wraps. */
  memcpy (q->ring + tail % q->capacity, &size, sizeof size);
  ring_write (q, (tail + sizeof size) % q->capacity, data, size);
  atomic_store_explicit (&q->tail, tail + frame, memory_order_release);
}

static uint64_t
raw_ring_get (RawRing *q, uint64_t *tail_seen, void *buf)
{
  uint64_t head = atomic_load_explicit (&q->head, memory_order_relaxed);
  uint64_t size;
  int spins = 0;

  while (*tail_seen == head)
    {
      *tail_seen = atomic_load_explicit (&q->tail, memory_order_acquire);
      if (*tail_seen == head)
        raw_ring_pause (&spins);
    }
  memcpy (&size, q->ring + head % q->capacity, sizeof size);
  ring_read (q, (head + sizeof size) % q->capacity, buf, size);
  atomic_store_explicit (&q->head, head + sizeof size + pad8 (size), memory_order_release);
  return size;
}

typedef struct
{
  PlabQueue *queue;
  RawRing *ring;
  uint64_t seen; /* the raw ring's other index, as this process last saw it */
  size_t n_messages;
  size_t size;
} QueueJob;

/* Receives the next message into @buf; returns 0 when it came whole and had
 * the expected size. */
typedef int (*ReceiveFunc) (QueueJob *job, unsigned char *buf);

static int
plab_queue_receive (QueueJob *job, unsigned char *buf)
{
  size_t size;

  return plab_queue_get (job->queue, buf, job->size, &size, -1) != 0 || size != job->size;
}

static int
raw_queue_receive (QueueJob *job, unsigned char *buf)
{
  return raw_ring_get (job->ring, &job->seen, buf) != job->size;
}

/* Consumers check every size and the sequence number each message starts with. */
static int
consume (QueueJob *job, ReceiveFunc receive)
{
  unsigned char *buf = malloc (job->size);
  int bad = buf == NULL;

  for (size_t i = 0; i < job->n_messages && !bad; i++)
    {
      uint64_t seq;

      bad = receive (job, buf);
      memcpy (&seq, buf, sizeof seq);
      bad |= seq != i;
    }
  free (buf);
  return bad;
}

static int
plab_queue_consumer (void *arg)
{
  return consume (arg, plab_queue_receive);
}

static int
raw_queue_consumer (void *arg)
{
  return consume (arg, raw_queue_receive);
}

/* Returns the seconds one transfer of the job took, or a negative code. */
static double
plab_queue_round (void *arg, unsigned char *msg, int *rc_out)
{
  QueueJob *job = arg;
  PlabProcess *consumer;
  int64_t t0 = plab_now_ns ();
  int rc = _plab_bench_spawn (plab_queue_consumer, job, &consumer);
  double s;

  for (size_t i = 0; rc == 0 && i < job->n_messages; i++)
    {
      uint64_t seq = i;
      memcpy (msg, &seq, sizeof seq);
      rc = plab_queue_put (job->queue, msg, job->size, -1);
    }
  if (consumer != NULL)
    {
      int jrc = _plab_bench_reap (consumer);
      if (rc == 0)
        rc = jrc;
    }
  s = _plab_bench_elapsed_s (t0);
  *rc_out = rc;
  return s;
}

static double
raw_queue_round (void *arg, unsigned char *msg, int *rc_out)
{
  QueueJob *job = arg;
  int64_t t0;
  pid_t consumer;
  double s;

  /* A fresh ring each round: both sides start at 0. */
  job->ring->head = job->ring->tail = 0;
  job->seen = 0;
  t0 = plab_now_ns ();
  consumer = _plab_bench_raw_spawn (raw_queue_consumer, job);

  for (size_t i = 0; i < job->n_messages; i++)
    {
      uint64_t seq = i;
      memcpy (msg, &seq, sizeof seq);
      raw_ring_put (job->ring, &job->seen, msg, job->size);
    }
  *rc_out = _plab_bench_raw_reap (consumer) == 0 ? 0 : PLAB_ETASK;
  s = _plab_bench_elapsed_s (t0);
  return s;
}

/* The queue figures, by message size: small messages are judged by their
 * rate, large ones against the raw ring. */
static Figure *
queue_figure (Bench *b, size_t n_messages, size_t size)
{
  static const struct
  {
    size_t size;
    const char *id;
    const char *unit;
    TargetKind kind;
    double limit;
  } figures[] = {
    { 8, "queue_small", "B", TARGET_PLAB_AT_LEAST, 10 },
    { 64, "queue_64b", "B", TARGET_PLAB_AT_LEAST, 5 },
    { 4 * 1024, "queue_4k", "KiB", TARGET_RATIO_AT_MOST, 1.2 },
    { 64 * 1024, "queue_large", "KiB", TARGET_RATIO_AT_MOST, 1.2 },
  };
  /* Figures keep their names: one buffer per kind of figure. */
  static char names[sizeof figures / sizeof figures[0]][64];

  for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
    if (figures[i].size == size)
      {
        bool kib = figures[i].unit[0] == 'K';

        snprintf (names[i], sizeof names[i], "queue %zu x %zu %s, 1 producer -> 1 consumer",
                  n_messages, kib ? size / 1024 : size, figures[i].unit);
        return _plab_bench_add_figure (b, figures[i].id, names[i], kib ? "GB/s" : "M msgs/s", true,
                                       figures[i].kind, figures[i].limit);
      }
  return NULL;
}

/* One transfer of a queue workload: returns its seconds, *@rc_out 0 when
 * every message came whole and in order. */
typedef double (*QueueRound) (void *job, unsigned char *buf, int *rc_out);

enum
{
  QUEUE_ROUNDS = 3
};

/* Runs QUEUE_ROUNDS rounds of @plab_round and @raw_round on @job, each
 * moving @n_messages of @size bytes, and gives @f their medians in M msgs/s
 * (up to 64 bytes) or GB/s, judged; a round that fails fails @f. */
static void
queue_rounds (Bench *b,
              Figure *f,
              void *job,
              unsigned char *buf,
              QueueRound plab_round,
              QueueRound raw_round,
              size_t n_messages,
              size_t size)
{
  double per_s = size <= 64 ? n_messages / 1e6 : (double)n_messages * size / 1e9;
  double plab_fig[QUEUE_ROUNDS], raw_fig[QUEUE_ROUNDS];
  int rc = 0;

  for (int r = 0; r < QUEUE_ROUNDS; r++)
    {
      double s = plab_round (job, buf, &rc);
      if (rc != 0)
        {
          _plab_bench_fail_figure (b, f, rc, "plab queue");
          return;
        }
      plab_fig[r] = per_s / s;
      s = raw_round (job, buf, &rc);
      if (rc != 0)
        {
          _plab_bench_fail_figure (b, f, rc, "raw queue");
          return;
        }
      raw_fig[r] = per_s / s;
    }
  f->plab = _plab_bench_median (plab_fig, QUEUE_ROUNDS);
  f->raw = _plab_bench_median (raw_fig, QUEUE_ROUNDS);
  _plab_bench_judge (f);
}

void
_plab_bench_queue (Bench *b, size_t n_messages, size_t size)
{
  Figure *f = queue_figure (b, n_messages, size);
  QueueJob job = { .n_messages = n_messages, .size = size };
  unsigned char *msg = calloc (1, size);

  job.queue = plab_queue_new ("bench", 0, QUEUE_CAPACITY);
  job.ring = raw_ring_new (QUEUE_CAPACITY);
  if (msg == NULL || job.queue == NULL || job.ring == NULL)
    {
      _plab_bench_fail_figure (b, f, PLAB_ENOMEM, "queue setup");
      goto out;
    }
  queue_rounds (b, f, &job, msg, plab_queue_round, raw_queue_round, n_messages, size);
  if (f->error == 0)
    snprintf (f->note, sizeof f->note,
              "median of %d; both rings 1 MiB; raw: lock-free SPSC ring, spins then yields",
              QUEUE_ROUNDS);

out:
  if (job.ring != NULL)
    raw_ring_free (job.ring);
  plab_queue_free (job.queue);
  free (msg);
}

/* --- Queue: several producer processes, one consumer --- */

#define MAX_PRODUCERS 8

/* Each producer tags its messages with its index and its own count; the
 * consumer checks that every producer's messages come in the order it put
 * them (a queue keeps each producer's order, not an order across them). */
typedef struct
{
  PlabQueue *queue;
  RawRing *rings[MAX_PRODUCERS]; /* raw: one ring per producer */
  int n_producers;
  size_t per_producer;
  size_t size;
} ProducersJob;

typedef struct
{
  ProducersJob *job;
  int index;
} Producer;

static void
tag_message (unsigned char *msg, int producer, uint64_t seq)
{
  uint64_t tag = (uint64_t)producer << 48 | seq;

  memcpy (msg, &tag, sizeof tag);
}

/* Whether @msg is the next one expected from its producer; counts it. */
static bool
untag_message (const unsigned char *msg, uint64_t *next, int n_producers)
{
  uint64_t tag;
  int producer;

  memcpy (&tag, msg, sizeof tag);
  producer = (int)(tag >> 48);
  if (producer >= n_producers || (tag & ((1ull << 48) - 1)) != next[producer])
    return false;
  next[producer]++;
  return true;
}

static int
plab_queue_producer (void *arg)
{
  Producer *p = arg;
  ProducersJob *job = p->job;
  unsigned char *msg = calloc (1, job->size);
  int rc = msg == NULL ? PLAB_ENOMEM : 0;

  for (size_t i = 0; rc == 0 && i < job->per_producer; i++)
    {
      tag_message (msg, p->index, i);
      rc = plab_queue_put (job->queue, msg, job->size, -1);
    }
  free (msg);
  return rc != 0;
}

static int
raw_queue_producer (void *arg)
{
  Producer *p = arg;
  ProducersJob *job = p->job;
  unsigned char *msg = calloc (1, job->size);
  uint64_t head_seen = 0;

  if (msg == NULL)
    return 1;
  for (size_t i = 0; i < job->per_producer; i++)
    {
      tag_message (msg, p->index, i);
      raw_ring_put (job->rings[p->index], &head_seen, msg, job->size);
    }
  free (msg);
  return 0;
}

/* The consumer (this process) takes every message; the producers are
 * children. Returns the seconds it took, *@rc_out 0 when every message came
 * whole and in its producer's order. */
static double
plab_producers_round (void *arg, unsigned char *buf, int *rc_out)
{
  ProducersJob *job = arg;
  PlabProcess *producers[MAX_PRODUCERS] = { NULL };
  Producer args[MAX_PRODUCERS];
  uint64_t next[MAX_PRODUCERS] = { 0 };
  size_t total = job->per_producer * (size_t)job->n_producers;
  int64_t t0 = plab_now_ns ();
  int rc = 0;
  double s;

  for (int i = 0; rc == 0 && i < job->n_producers; i++)
    {
      args[i] = (Producer){ job, i };
      rc = _plab_bench_spawn (plab_queue_producer, &args[i], &producers[i]);
    }
  for (size_t i = 0; rc == 0 && i < total; i++)
    {
      size_t size;

      rc = plab_queue_get (job->queue, buf, job->size, &size, -1);
      if (rc == 0 && (size != job->size || !untag_message (buf, next, job->n_producers)))
        rc = PLAB_ETASK;
    }
  if (rc != 0)
    plab_queue_close (job->queue); /* producers still putting stop */
  for (int i = 0; i < job->n_producers; i++)
    if (producers[i] != NULL)
      {
        int jrc = _plab_bench_reap (producers[i]);
        if (rc == 0)
          rc = jrc;
      }
  s = _plab_bench_elapsed_s (t0);
  *rc_out = rc;
  return s;
}

static double
raw_producers_round (void *arg, unsigned char *buf, int *rc_out)
{
  ProducersJob *job = arg;
  pid_t producers[MAX_PRODUCERS];
  Producer args[MAX_PRODUCERS];
  uint64_t next[MAX_PRODUCERS] = { 0 };
  uint64_t tail_seen[MAX_PRODUCERS] = { 0 };
  size_t total = job->per_producer * (size_t)job->n_producers;
  int64_t t0;
  int rc = 0;
  double s;

  for (int i = 0; i < job->n_producers; i++)
    job->rings[i]->head = job->rings[i]->tail = 0;
  t0 = plab_now_ns ();
  for (int i = 0; i < job->n_producers; i++)
    {
      args[i] = (Producer){ job, i };
      producers[i] = _plab_bench_raw_spawn (raw_queue_producer, &args[i]);
    }
  /* Round robin over the rings: from each one that has messages, take them
   * all; when none has any, spin a moment, then yield. */
  for (size_t got = 0, spins = 0; got < total && rc == 0;)
    {
      bool any = false;

      for (int r = 0; r < job->n_producers && rc == 0; r++)
        {
          RawRing *q = job->rings[r];

          tail_seen[r] = atomic_load_explicit (&q->tail, memory_order_acquire);
          while (atomic_load_explicit (&q->head, memory_order_relaxed) != tail_seen[r])
            {
              if (raw_ring_get (q, &tail_seen[r], buf) != job->size
                  || !untag_message (buf, next, job->n_producers))
                rc = PLAB_ETASK;
              got++;
              any = true;
            }
        }
      if (any)
        spins = 0;
      else if (++spins < 100)
        {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause ();
#endif
        }
      else
        sched_yield ();
    }
  for (int i = 0; i < job->n_producers; i++)
    if (_plab_bench_raw_reap (producers[i]) != 0 && rc == 0)
      rc = PLAB_ETASK;
  s = _plab_bench_elapsed_s (t0);
  *rc_out = rc;
  return s;
}

void
_plab_bench_queue_producers (Bench *b, int n_producers, size_t n_messages, size_t size)
{
  static char names[3][72];
  int which = size > 64 ? 2 : n_producers == 2 ? 0 : 1;
  static const char *const ids[3] = { "queue_2p", "queue_4p", "queue_2p_large" };
  bool small = size <= 64;
  ProducersJob job = { .n_producers = n_producers,
                       .per_producer = n_messages / (size_t)n_producers,
                       .size = size };
  unsigned char *buf = calloc (1, size);
  size_t total = job.per_producer * (size_t)n_producers;
  Figure *f;
  int rc = 0;

  snprintf (names[which], sizeof names[which], "queue %zu x %zu %s, %d producers -> 1 consumer",
            total, small ? size : size / 1024, small ? "B" : "KiB", n_producers);
  f = _plab_bench_add_figure (b, ids[which], names[which], small ? "M msgs/s" : "GB/s", true,
                              TARGET_NONE, 0);
  job.queue = plab_queue_new ("bench", 0, QUEUE_CAPACITY);
  for (int i = 0; i < n_producers; i++)
    if ((job.rings[i] = raw_ring_new (QUEUE_CAPACITY / (size_t)n_producers)) == NULL)
      rc = PLAB_ENOMEM;
  if (buf == NULL || job.queue == NULL || rc != 0)
    {
      _plab_bench_fail_figure (b, f, PLAB_ENOMEM, "queue setup");
      goto out;
    }
  queue_rounds (b, f, &job, buf, plab_producers_round, raw_producers_round, total, size);
  if (f->error == 0)
    snprintf (f->note, sizeof f->note,
              "median of %d; order checked per producer; raw: one lock-free SPSC ring per "
              "producer (1 MiB in all), the consumer takes from each in turn",
              QUEUE_ROUNDS);

out:
  for (int i = 0; i < n_producers; i++)
    if (job.rings[i] != NULL)
      raw_ring_free (job.rings[i]);
  plab_queue_free (job.queue);
  free (buf);
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
  rc = _plab_bench_spawn (plab_echo, &job, &child);
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
  *us_out = _plab_bench_elapsed_s (t0) / n * 1e6;
  plab_conn_close (job.mine);
  if (rc == 0)
    return _plab_bench_reap (child);
  _plab_bench_reap (child);
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
  pid = _plab_bench_raw_spawn (raw_echo, &job);
  close (job.fds[1]);
  t0 = plab_now_ns ();
  for (uint64_t i = 0; rc == 0 && i < (uint64_t)n; i++)
    {
      uint64_t msg = i, back = 0;
      if (write (job.fds[0], &msg, sizeof msg) != sizeof msg
          || read (job.fds[0], &back, sizeof back) != sizeof back || back != i)
        rc = PLAB_ESYS;
    }
  *us_out = _plab_bench_elapsed_s (t0) / n * 1e6;
  close (job.fds[0]);
  if (_plab_bench_raw_reap (pid) != 0 && rc == 0)
    rc = PLAB_ETASK;
  return rc;
}

void
_plab_bench_pipe (Bench *b)
{
  enum
  {
    N = 20000,
    N_CROSS = 5000,
    ROUNDS = 5
  };
  Figure *f
      = _plab_bench_add_figure (b, "pipe_round_trip", "pipe round trip, 8 B, 2 processes on 1 CPU",
                                "us", false, TARGET_RATIO_AT_MOST, 1.25);
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
      _plab_bench_fail_figure (b, f, rc, "pipe round trip");
      return;
    }
  f->plab = _plab_bench_median (plab_us, ROUNDS);
  f->raw = _plab_bench_median (raw_us, ROUNDS);
  if (n_cpus == 2)
    {
      double px = _plab_bench_median (plab_x, ROUNDS), rx = _plab_bench_median (raw_x, ROUNDS);
      snprintf (f->note, sizeof f->note,
                "median of %d rounds of %d; raw: socketpair write/read; "
                "on 2 CPUs: plab %.2f us, raw %.2f us = %.2fx",
                ROUNDS, N, px, rx, px / rx);
    }
  else
    snprintf (f->note, sizeof f->note, "median of %d rounds of %d; raw: socketpair write/read",
              ROUNDS, N);
  _plab_bench_judge (f);
}

/* --- Counter under a lock --- */

/* Increments in all, shared out among the contenders. */
#define COUNTER_TOTAL 2000000
#define MAX_CONTENDERS 8

/* The raw counter: a bare process-shared mutex guarding the count, in one
 * shared mapping. */
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
  int increments; /* per contender */
} CounterJob;

static int
plab_counter_worker (void *arg)
{
  CounterJob *job = arg;

  for (int i = 0; i < job->increments; i++)
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

  for (int i = 0; i < job->increments; i++)
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
  RawCounter *c = _plab_bench_raw_shared_alloc (sizeof *c);
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

/* @n raw processes counting on @c; returns the milliseconds, or NAN when
 * the count is wrong. */
static double
raw_counter_round (CounterJob *job, RawCounter *c, int n)
{
  CounterJob mine = *job;
  int64_t t0 = plab_now_ns ();
  pid_t pids[MAX_CONTENDERS];

  mine.raw = c;
  c->count = 0;
  for (int w = 0; w < n; w++)
    pids[w] = _plab_bench_raw_spawn (raw_counter_worker, &mine);
  for (int w = 0; w < n; w++)
    _plab_bench_raw_reap (pids[w]);
  return c->count == (int64_t)n * job->increments ? _plab_bench_elapsed_s (t0) * 1e3 : NAN;
}

/* @n plab processes counting under the plab lock; the milliseconds, or a
 * negative code in *@rc_out. */
static double
plab_counter_round (CounterJob *job, int n, int *rc_out)
{
  PlabProcess *p[MAX_CONTENDERS] = { NULL };
  int64_t t0 = plab_now_ns ();
  double ms;
  int rc = 0;

  *job->count = 0;
  for (int w = 0; w < n && rc == 0; w++)
    rc = _plab_bench_spawn (plab_counter_worker, job, &p[w]);
  for (int w = 0; w < n; w++)
    if (p[w] != NULL)
      {
        int jrc = _plab_bench_reap (p[w]);
        if (rc == 0)
          rc = jrc;
      }
  ms = _plab_bench_elapsed_s (t0) * 1e3;
  if (rc == 0 && *job->count != (int64_t)n * job->increments)
    rc = PLAB_ETASK;
  *rc_out = rc;
  return ms;
}

/* Two figures for @n contenders: plab's lock against the default
 * process-shared mutex (the id given), and against a robust error-checking
 * one, the kind plab's lock was built on before it became a futex word that
 * checks a dead owner itself (the id with "_robust"). */
void
_plab_bench_lock_counter (Bench *b, int n)
{
  enum
  {
    ROUNDS = 7
  };
  static char names[MAX_CONTENDERS + 1][2][80];
  static char ids[MAX_CONTENDERS + 1][2][32];
  Figure *f, *fr;
  PlabShared *shared = plab_shared_new ("counter", sizeof (int64_t), true);
  RawCounter *raw = raw_counter_new (false);
  RawCounter *robust = raw_counter_new (true);
  CounterJob job = { 0 };
  double plab_ms[ROUNDS], raw_ms[ROUNDS], robust_ms[ROUNDS];

  n = n < 2 ? 2 : n > MAX_CONTENDERS ? MAX_CONTENDERS : n;
  job.increments = COUNTER_TOTAL / n;
  snprintf (ids[n][0], sizeof ids[n][0], n == 2 ? "lock_counter" : "lock_counter_%d", n);
  snprintf (ids[n][1], sizeof ids[n][1], "lock_counter_%d_robust", n);
  snprintf (names[n][0], sizeof names[n][0], "counter += 1 under a lock, %d processes x %d", n,
            job.increments);
  snprintf (names[n][1], sizeof names[n][1], "  the same, raw robust errorcheck mutex");
  f = _plab_bench_add_figure (b, ids[n][0], names[n][0], "ms", false, TARGET_RATIO_AT_MOST, 1.3);
  fr = _plab_bench_add_figure (b, ids[n][1], names[n][1], "ms", false, TARGET_RATIO_AT_MOST, 1.3);
  if (shared == NULL || raw == NULL || robust == NULL)
    {
      _plab_bench_fail_figure (b, f, PLAB_ENOMEM, "counter setup");
      _plab_bench_fail_figure (b, fr, PLAB_ENOMEM, "counter setup");
      goto out;
    }
  job.lock = plab_shared_lock (shared);
  job.count = plab_shared_data (shared);

  /* The contended counter is bimodal on a small machine (the lock either
   * ping-pongs between the cores or stays with one for a while), hence more
   * rounds than elsewhere, the three kinds interleaved. */
  for (int r = 0; r < ROUNDS; r++)
    {
      int rc;

      plab_ms[r] = plab_counter_round (&job, n, &rc);
      if (rc != 0)
        {
          _plab_bench_fail_figure (b, f, rc, "plab lock counter");
          _plab_bench_fail_figure (b, fr, rc, "plab lock counter");
          goto out;
        }
      raw_ms[r] = raw_counter_round (&job, raw, n);
      robust_ms[r] = raw_counter_round (&job, robust, n);
      if (isnan (raw_ms[r]) || isnan (robust_ms[r]))
        {
          _plab_bench_fail_figure (b, f, PLAB_ETASK, "raw lock counter");
          _plab_bench_fail_figure (b, fr, PLAB_ETASK, "raw lock counter");
          goto out;
        }
    }
  f->plab = fr->plab = _plab_bench_median (plab_ms, ROUNDS);
  f->raw = _plab_bench_median (raw_ms, ROUNDS);
  fr->raw = _plab_bench_median (robust_ms, ROUNDS);
  snprintf (f->note, sizeof f->note,
            "median of %d, counts checked; raw: default process-shared mutex (robust: %.2fx it)",
            ROUNDS, fr->raw / f->raw);
  snprintf (fr->note, sizeof fr->note,
            "median of %d; raw: robust error-checking process-shared mutex, as plab's lock",
            ROUNDS);
  _plab_bench_judge (f);
  _plab_bench_judge (fr);

out:
  raw_counter_free (raw);
  raw_counter_free (robust);
  plab_shared_free (shared);
}
