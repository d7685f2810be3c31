/* plab-demo-pipe.c: messages through a pipe, and a ping-pong.
 *
 * This demo teaches what a pipe guarantees and what a message costs. A sender
 * pushes a list of messages into one end of a pipe; the receiver at the other
 * end gets every one of them, whole and in order, with no lock in sight,
 * because the pipe frames and orders them. Then the two ends play ping-pong:
 * one sends a small message, the other answers at once, and the round trip
 * time is measured thousands of times. Between processes it is some
 * microseconds, the price of two system calls and two wake-ups each way, which
 * is why sending work item by item is slow and why pools send items in chunks.
 */
#include "plab-demo-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_pipe_lesson[]
    = "The sender pushes a list of messages into one end of a pipe and the receiver takes "
      "them out of the other: every message arrives whole and in the order it was sent, "
      "without any lock, because the pipe frames and orders them. Then the two play "
      "ping-pong: a small message there and straight back, thousands of times. Look at the "
      "round trip times in the Result tab: between processes a message costs microseconds "
      "(system calls and waking the other side), thousands of times a C function call, "
      "which the Result measures beside it (in Python, where a call itself costs far more, "
      "the factor is about 100 to 200), "
      "which is why pools send work in chunks. Compare the backends, and raise Size "
      "to see when copying starts to count.";

enum
{
  PARAM_MESSAGES,
  PARAM_PING_PONGS,
  PARAM_SIZE,
  N_PARAMS
};

#define MAX_MESSAGES 10000
#define MAX_PING_PONGS 1000000
#define MAX_SIZE 65536
#define RECV_TIMEOUT_NS 100000000 /* a blocked receive looks at the stop flag this often */
#define MESSAGE_MAX 64
#define N_BUCKETS 8
#define CALLS_PER_ROUND 100000
#define CALL_ROUNDS 21

const PlabParamSpec _plab_demo_pipe_params[N_PARAMS] = {
  [PARAM_MESSAGES] = { "messages", PLAB_PARAM_INT, "messages sent from one end to the other", 10, 1,
                       MAX_MESSAGES, NULL, "messages" },
  [PARAM_PING_PONGS] = { "ping_pongs", PLAB_PARAM_INT, "round trips to measure", 20000, 0,
                         MAX_PING_PONGS, NULL, "round trips" },
  [PARAM_SIZE]
  = { "size", PLAB_PARAM_INT, "bytes in each ping and pong", 64, 1, MAX_SIZE, NULL, "bytes" },
};

static const char *const words[] = {
  "hello", "from", "the", "other", "end", "of", "the", "pipe",
};

/* The receiver writes received[i] for message i in arrival order and
 * n_received; the pinger writes rtt_ns[i]. Each array has one writer. */
typedef struct
{
  int n_received;
  int received_ok; /* messages that matched what was sent, in place */
  int pongs_ok;
  /* A flexible array member, so that the round trip times start on an 8-byte
   * boundary after the three ints above. */
  int64_t rtt_ns[]; /* ping_pongs of them */
} PipeShared;

typedef struct
{
  PipeShared *sh;
  int64_t *rtt_ns;
  size_t sh_size;
  PlabConn *a; /* the sender's and pinger's end */
  PlabConn *b; /* the receiver's and ponger's end */
  int messages;
  int ping_pongs;
  size_t size;
} PipeDemo;

static void
message_text (int i, char *buf, size_t size)
{
  if (i < (int)(sizeof words / sizeof words[0]))
    snprintf (buf, size, "%s", words[i]);
  else
    snprintf (buf, size, "message %d", i);
}

/* Receives one message, waking up now and then to look at the stop flag. */
static int
recv_message (PlabCrew *crew, PlabConn *conn, void *buf, size_t size, size_t *got)
{
  for (;;)
    {
      int rc = plab_conn_recv (conn, buf, size, got, RECV_TIMEOUT_NS);

      if (rc != PLAB_ETIMEDOUT)
        return rc;
      if (_plab_crew_stopping (crew))
        return PLAB_ECANCELLED;
    }
}

static int
sender_cb (PlabCrew *crew, void *arg)
{
  PipeDemo *d = arg;
  char *buf = calloc (1, d->size > MESSAGE_MAX ? d->size : MESSAGE_MAX);
  char label[PLAB_LABEL_MAX];
  int rc = 0;

  if (buf == NULL)
    return 2;
  for (int i = 0; i < d->messages && rc == 0; i++)
    {
      int64_t t0 = plab_now_ns ();

      message_text (i, buf, MESSAGE_MAX);
      rc = plab_conn_send (d->a, buf, strlen (buf) + 1);
      snprintf (label, sizeof label, "send: %s", buf);
      /* Message i is the receiver's i-th: the timeline links the two. */
      plab_span_flow (PLAB_SPAN_TASK, t0, plab_now_ns (), i, label, PLAB_FLOW_PUT, i);
    }

  /* Ping-pong: send, wait for the answer, measure. */
  if (rc == 0 && d->ping_pongs > 0)
    {
      int64_t t0 = plab_now_ns ();

      for (int i = 0; i < d->ping_pongs && rc == 0; i++)
        {
          int64_t s = plab_now_ns ();
          int32_t seq = i, back = -1;
          size_t got = 0;

          if ((i & 1023) == 1023 && _plab_crew_stopping (crew))
            {
              rc = PLAB_ECANCELLED;
              break;
            }
          memcpy (buf, &seq, sizeof seq);
          rc = plab_conn_send (d->a, buf, d->size);
          if (rc == 0)
            rc = recv_message (crew, d->a, buf, d->size, &got);
          if (rc == 0 && got == d->size)
            {
              memcpy (&back, buf, sizeof back);
              d->rtt_ns[i] = plab_now_ns () - s;
              d->sh->pongs_ok += back == seq;
            }
        }
      snprintf (label, sizeof label, "ping %d times", d->ping_pongs);
      plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), -1, label);
    }
  free (buf);
  return rc == 0 ? 0 : 1;
}

static int
receiver_cb (PlabCrew *crew, void *arg)
{
  PipeDemo *d = arg;
  char *buf = calloc (1, d->size > MESSAGE_MAX ? d->size : MESSAGE_MAX);
  char expected[MESSAGE_MAX];
  char label[PLAB_LABEL_MAX];
  int rc = 0;

  if (buf == NULL)
    return 2;
  for (int i = 0; i < d->messages && rc == 0; i++)
    {
      size_t got = 0;
      int64_t t0;

      rc = recv_message (crew, d->b, buf, MESSAGE_MAX, &got);
      if (rc != 0)
        break;
      t0 = plab_now_ns ();
      buf[got ? got - 1 : 0] = '\0';
      message_text (i, expected, sizeof expected);
      d->sh->received_ok += strcmp (buf, expected) == 0;
      d->sh->n_received++;
      snprintf (label, sizeof label, "recv: %s", buf);
      plab_span_flow (PLAB_SPAN_TASK, t0, plab_now_ns (), i, label, PLAB_FLOW_GET, i);
    }
  if (rc == 0 && d->ping_pongs > 0)
    {
      int64_t t0 = plab_now_ns ();

      for (int i = 0; i < d->ping_pongs && rc == 0; i++)
        {
          size_t got = 0;

          rc = recv_message (crew, d->b, buf, d->size, &got);
          if (rc == 0)
            rc = plab_conn_send (d->b, buf, got);
        }
      snprintf (label, sizeof label, "pong %d times", d->ping_pongs);
      plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), -1, label);
    }
  free (buf);
  return rc == 0 ? 0 : 1;
}

static int
compare_i64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

  return (x > y) - (x < y);
}

/* The yardstick the lesson compares a message with: a plain C function call.
 * Called through a volatile pointer, it can be neither inlined nor left out. */
static __attribute__ ((noinline)) int64_t
add_one (int64_t x)
{
  return x + 1;
}

/* Nanoseconds per call of add_one (), in the fastest of a few short rounds:
 * a busy machine can only make a round longer, never shorter. */
static double
call_ns (void)
{
  int64_t (*volatile fn) (int64_t) = add_one;
  int64_t best = INT64_MAX;
  volatile int64_t sink = 0;

  for (int r = 0; r < CALL_ROUNDS; r++)
    {
      int64_t t0 = plab_now_ns ();
      int64_t x = 0;

      for (int i = 0; i < CALLS_PER_ROUND; i++)
        x = fn (x);
      t0 = plab_now_ns () - t0;
      best = t0 < best ? t0 : best;
      sink += x;
    }
  (void)sink;
  return (double)best / CALLS_PER_ROUND;
}

static char *
result_json (PipeDemo *d, double call)
{
  static const double edges_us[N_BUCKETS] = { 5, 10, 20, 50, 100, 200, 500, 1000 };
  static const char *const names[N_BUCKETS + 1] = {
    "< 5", "5-10", "10-20", "20-50", "50-100", "100-200", "200-500", "500-1000", "> 1000",
  };
  double counts[N_BUCKETS + 1] = { 0 };
  double median = NAN, p99 = NAN, mean = NAN, fastest = NAN;
  PlabBuf buf;
  int n = d->ping_pongs;

  if (n > 0)
    {
      double sum = 0;

      qsort (d->rtt_ns, (size_t)n, sizeof *d->rtt_ns, compare_i64);
      for (int i = 0; i < n; i++)
        {
          double us = d->rtt_ns[i] / 1e3;
          int b = 0;

          while (b < N_BUCKETS && us >= edges_us[b])
            b++;
          counts[b]++;
          sum += us;
        }
      mean = sum / n;
      median = d->rtt_ns[n / 2] / 1e3;
      fastest = d->rtt_ns[0] / 1e3;
      p99 = d->rtt_ns[(int)((n - 1) * 0.99)] / 1e3;
    }
  plab_buf_init (&buf);
  plab_buf_printf (&buf,
                   "{\"messages\": %d, \"received_in_order\": %d, \"ping_pongs\": %d, "
                   "\"size\": %zu, \"rtt_median_us\": ",
                   d->messages, d->sh->received_ok, n, d->size);
  plab_json_write_short (&buf, median);
  _plab_demo_json_short (&buf, "rtt_mean_us", mean);
  /* The best round trip: what the pipe and the copy cost when neither side
   * waited for a core, which other programs hardly move. */
  _plab_demo_json_short (&buf, "rtt_min_us", fastest);
  _plab_demo_json_short (&buf, "rtt_p99_us", p99);
  /* A message is half a round trip. */
  _plab_demo_json_short (&buf, "call_ns", call);
  _plab_demo_json_short (&buf, "message_calls", n > 0 ? median * 1e3 / 2 / call : NAN);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "bars", "Round trip times", "microseconds", "round trips");
  _plab_demo_json_bar_values (&buf, names, "round trips", counts, N_BUCKETS + 1);
  plab_buf_printf (&buf,
                   ", \"notes\": [\"%d of %d messages arrived whole and in order\", "
                   "\"median round trip %.1f us: a message costs about %.0f calls of a C "
                   "function\"]}}",
                   d->sh->received_ok, d->messages, median, median * 1e3 / 2 / call);
  return plab_buf_steal (&buf);
}

int
_plab_demo_pipe_run (PlabDemoRun *run)
{
  PipeDemo d = {
    .messages = (int)run->values[PARAM_MESSAGES],
    .ping_pongs = (int)run->values[PARAM_PING_PONGS],
    .size = (size_t)run->values[PARAM_SIZE],
  };
  PlabCrew *crew = NULL;
  char *mem;
  int rc = 0;

  if (d.size < sizeof (int32_t))
    d.size = sizeof (int32_t);
  d.sh_size = sizeof (PipeShared) + (size_t)d.ping_pongs * sizeof (int64_t);
  mem = _plab_demo_shared_new (d.sh_size);
  if (mem == NULL || plab_pipe_new ("conn", 0, &d.a, &d.b) != 0)
    {
      rc = PLAB_ENOMEM;
      snprintf (run->error, sizeof run->error, "cannot make the pipe");
      goto fail;
    }
  d.sh = (PipeShared *)mem;
  d.rtt_ns = d.sh->rtt_ns;
  plab_demo_run_set_tasks_total (run, 2 * d.messages + (d.ping_pongs > 0 ? 2 : 0));

  crew = _plab_crew_new (run);
  if (crew == NULL)
    {
      rc = PLAB_ENOMEM;
      goto fail;
    }
  rc = _plab_crew_start (crew, "receiver", receiver_cb, &d);
  if (rc >= 0)
    rc = _plab_crew_start (crew, "sender", sender_cb, &d);
  if (rc >= 0)
    rc = _plab_crew_join (crew, "join sender and receiver");
  if (rc != 0)
    goto fail;

  run->check_ok = d.sh->n_received == d.messages && d.sh->received_ok == d.messages
                  && d.sh->pongs_ok == d.ping_pongs;
  snprintf (run->check_message, sizeof run->check_message,
            "%d of %d messages arrived in order; %d of %d pongs answered the right ping",
            d.sh->received_ok, d.messages, d.sh->pongs_ok, d.ping_pongs);
  run->result_json = result_json (&d, call_ns ());
  rc = 0;

fail:
  _plab_crew_free (crew);
  plab_conn_close (d.a);
  plab_conn_close (d.b);
  _plab_demo_shared_free (mem, d.sh_size);
  return rc;
}
