/* test-trace.c: the trace recorder, across threads and processes. */
#include <glib.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plab.h"
#include "plab-trace-private.h"

typedef struct
{
  GArray *events; /* PlabEvent */
  GArray *lanes;  /* PlabLaneInfo, one per report */
} Collected;

static void
collect_events (void *user_data, const PlabEvent *events, size_t n)
{
  Collected *c = user_data;
  g_array_append_vals (c->events, events, n);
}

static void
collect_lane (void *user_data, const PlabLaneInfo *lane)
{
  Collected *c = user_data;
  g_array_append_val (c->lanes, *lane);
}

static PlabTrace *
new_collecting_trace (Collected *c)
{
  PlabTrace *trace = plab_trace_new ();
  PlabTraceSink sink = { collect_lane, collect_events, c };

  c->events = g_array_new (FALSE, TRUE, sizeof (PlabEvent));
  c->lanes = g_array_new (FALSE, TRUE, sizeof (PlabLaneInfo));
  plab_trace_set_sink (trace, &sink);
  return trace;
}

static void
collected_clear (Collected *c)
{
  g_array_unref (c->events);
  g_array_unref (c->lanes);
}

static void
test_kind_names (void)
{
  for (int k = 0; k < PLAB_N_SPAN_KINDS; k++)
    g_assert_cmpint (plab_span_kind_from_name (plab_span_kind_name (k)), ==, k);
  g_assert_cmpstr (plab_span_kind_name (PLAB_SPAN_GIL_WAIT), ==, "gil wait");
  g_assert_cmpint (plab_span_kind_from_name ("nonsense"), ==, -1);
}

/* A span that moves an item carries its flow and item through the drain; the
 * next plain span in the same ring slots carries none. */
static void
test_flow_roundtrip (void)
{
  Collected c;
  PlabTrace *trace = new_collecting_trace (&c);
  PlabEvent *e;

  g_assert_cmpstr (plab_flow_name (PLAB_FLOW_PUT), ==, "put");
  g_assert_cmpstr (plab_flow_name (PLAB_FLOW_GET), ==, "get");
  g_assert_null (plab_flow_name (PLAB_FLOW_NONE));
  plab_span_flow (PLAB_SPAN_TASK, 100, 200, 5, "build car 5", PLAB_FLOW_PUT, 5);
  plab_span_flow (PLAB_SPAN_TASK, 300, 400, 5, "car 5", PLAB_FLOW_GET, 5);
  g_assert_cmpuint (plab_trace_drain (trace), ==, 2);
  e = &g_array_index (c.events, PlabEvent, 0);
  g_assert_cmpint (e->flow, ==, PLAB_FLOW_PUT);
  g_assert_cmpint (e->item, ==, 5);
  e = &g_array_index (c.events, PlabEvent, 1);
  g_assert_cmpint (e->flow, ==, PLAB_FLOW_GET);
  g_assert_cmpint (e->item, ==, 5);
  g_assert_cmpstr (e->label, ==, "car 5");

  /* Ring slots are reused: what a plain span leaves must not read as a flow. */
  for (int i = 0; i < 4096; i++)
    plab_span_flow (PLAB_SPAN_TASK, i, i + 1, i, "x", PLAB_FLOW_PUT, i);
  plab_trace_drain (trace);
  g_array_set_size (c.events, 0);
  for (int i = 0; i < 4096; i++)
    plab_span (PLAB_SPAN_TASK, i, i + 1, i, "plain");
  plab_counter ("depth", 1);
  plab_trace_drain (trace);
  g_assert_cmpuint (c.events->len, >, 0);
  for (guint i = 0; i < c.events->len; i++)
    {
      e = &g_array_index (c.events, PlabEvent, i);
      g_assert_cmpint (e->flow, ==, PLAB_FLOW_NONE);
      g_assert_cmpint (e->item, ==, -1);
    }
  plab_trace_free (trace);
  collected_clear (&c);
}

static void
test_main_lane_roundtrip (void)
{
  Collected c;
  PlabTrace *trace = new_collecting_trace (&c);
  char long_label[100];

  memset (long_label, 'x', sizeof long_label - 1);
  long_label[sizeof long_label - 1] = '\0';

  g_assert_true (plab_tracing ());
  plab_span (PLAB_SPAN_SLEEP, 100, 200, 7, "nap");
  plab_span (PLAB_SPAN_TASK, 300, 400, -1, long_label);
  plab_counter ("depth", 42);
  g_assert_cmpuint (plab_trace_drain (trace), ==, 3);

  g_assert_cmpuint (c.events->len, ==, 3);
  PlabEvent *e = &g_array_index (c.events, PlabEvent, 0);
  g_assert_cmpint (e->start_ns, ==, 100);
  g_assert_cmpint (e->end_ns, ==, 200);
  g_assert_cmpint (e->task_id, ==, 7);
  g_assert_cmpint (e->kind, ==, PLAB_SPAN_SLEEP);
  g_assert_cmpint (e->lane, ==, 0);
  g_assert_cmpstr (e->label, ==, "nap");
  e = &g_array_index (c.events, PlabEvent, 1);
  g_assert_cmpuint (strlen (e->label), ==, PLAB_LABEL_MAX - 1);
  e = &g_array_index (c.events, PlabEvent, 2);
  g_assert_cmpint (e->kind, ==, PLAB_SPAN_COUNTER);
  g_assert_cmpint (e->task_id, ==, 42);
  g_assert_cmpstr (e->label, ==, "depth");

  /* The main lane was reported once, with our pid. */
  g_assert_cmpuint (c.lanes->len, ==, 1);
  g_assert_cmpint (g_array_index (c.lanes, PlabLaneInfo, 0).pid, ==, getpid ());
  g_assert_cmpint (g_array_index (c.lanes, PlabLaneInfo, 0).kind, ==, PLAB_LANE_MAIN);

  /* Nothing twice. */
  g_assert_cmpuint (plab_trace_drain (trace), ==, 0);
  plab_trace_free (trace);
  g_assert_false (plab_tracing ());
  plab_span (PLAB_SPAN_TASK, 1, 2, 0, "ignored after free");
  collected_clear (&c);
}

/* A label longer than PLAB_LABEL_MAX - 1 bytes is cut before the character
 * that would be split, whatever its width: 2-, 3- and 4-byte characters, at
 * every offset against the cut. */
static void
test_label_cut_on_character (void)
{
  static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x8d\xb3" };
  Collected c;
  PlabTrace *trace = new_collecting_trace (&c);
  guint n = 0;

  for (guint k = 0; k < G_N_ELEMENTS (chars); k++)
    for (guint pad = 0; pad < 4; pad++)
      {
        GString *label = g_string_new (NULL);

        g_string_append_len (label, "abc", pad);
        while (label->len < 3 * PLAB_LABEL_MAX)
          g_string_append (label, chars[k]);
        plab_span (PLAB_SPAN_TASK, 1, 2, n++, label->str);
        g_string_free (label, TRUE);
      }
  g_assert_cmpuint (plab_trace_drain (trace), ==, n);
  for (guint i = 0; i < c.events->len; i++)
    {
      const PlabEvent *e = &g_array_index (c.events, PlabEvent, i);
      const char *ch = chars[e->task_id / 4];
      size_t len = strlen (e->label);
      size_t pad = (size_t)e->task_id % 4;

      g_assert_true (g_utf8_validate (e->label, -1, NULL));
      /* As much as fits: less than one character short of the limit. */
      g_assert_cmpuint (len, <=, PLAB_LABEL_MAX - 1);
      g_assert_cmpuint (len + strlen (ch), >, PLAB_LABEL_MAX - 1);
      g_assert_cmpuint ((len - pad) % strlen (ch), ==, 0);
    }
  plab_trace_free (trace);
  collected_clear (&c);
}

typedef struct
{
  PlabTrace *trace;
  int lane;
  int n;
} ThreadArgs;

static void *
thread_record (void *data)
{
  ThreadArgs *a = data;

  plab_trace_attach (a->trace, a->lane);
  for (int i = 0; i < a->n; i++)
    plab_span (PLAB_SPAN_TASK, i * 10, i * 10 + 5, i, NULL);
  plab_trace_detach ();
  return NULL;
}

static void
test_threads_concurrent_drain (void)
{
  Collected c;
  PlabTrace *trace = new_collecting_trace (&c);
  enum
  {
    N_THREADS = 3,
    N_EVENTS = 200000
  };
  pthread_t threads[N_THREADS];
  ThreadArgs args[N_THREADS];
  gint64 next[N_THREADS + 1] = { 0 };
  gboolean running = TRUE;

  /* A small ring, drained while the threads write: nothing lost, order kept. */
  plab_trace_set_capacity (trace, 4096);
  for (int t = 0; t < N_THREADS; t++)
    {
      args[t].trace = trace;
      args[t].n = N_EVENTS;
      g_assert_cmpint (plab_trace_add_lane (trace, PLAB_LANE_THREAD, "t", &args[t].lane), ==, 0);
      pthread_create (&threads[t], NULL, thread_record, &args[t]);
    }
  while (running)
    {
      PlabLaneInfo info;
      guint64 dropped = 0;

      plab_trace_drain (trace);
      for (int t = 0; t < N_THREADS; t++)
        {
          plab_trace_get_lane (trace, args[t].lane, &info);
          dropped += info.dropped;
        }
      running = c.events->len + (gint64)dropped < (gint64)N_THREADS * N_EVENTS;
    }
  for (int t = 0; t < N_THREADS; t++)
    pthread_join (threads[t], NULL);
  plab_trace_drain (trace);

  /* Every lane's events arrive in the order they were recorded. Some may be
   * dropped when the ring is full; then the drop counter says how many. */
  guint64 seen[N_THREADS + 1] = { 0 };
  for (guint i = 0; i < c.events->len; i++)
    {
      PlabEvent *e = &g_array_index (c.events, PlabEvent, i);
      g_assert_cmpint (e->lane, >=, 1);
      g_assert_cmpint (e->task_id, >=, next[e->lane]);
      g_assert_cmpint (e->end_ns - e->start_ns, ==, 5);
      next[e->lane] = e->task_id + 1;
      seen[e->lane]++;
    }
  for (int t = 0; t < N_THREADS; t++)
    {
      PlabLaneInfo info;
      plab_trace_get_lane (trace, args[t].lane, &info);
      g_assert_cmpuint (seen[args[t].lane] + info.dropped, ==, N_EVENTS);
      g_assert_cmpint (info.kind, ==, PLAB_LANE_THREAD);
      g_assert_cmpint (info.tid, !=, 0);
    }
  plab_trace_free (trace);
  collected_clear (&c);
}

static void
test_full_ring_drops (void)
{
  Collected c;
  PlabTrace *trace = new_collecting_trace (&c);
  ThreadArgs a = { trace, 0, 1000 };
  pthread_t th;
  PlabLaneInfo info;

  plab_trace_set_capacity (trace, 64);
  g_assert_cmpint (plab_trace_add_lane (trace, PLAB_LANE_THREAD, "small", &a.lane), ==, 0);
  pthread_create (&th, NULL, thread_record, &a);
  pthread_join (th, NULL);
  g_assert_cmpuint (plab_trace_drain (trace), ==, 64);
  plab_trace_get_lane (trace, a.lane, &info);
  g_assert_cmpuint (info.dropped, ==, 1000 - 64);
  /* The first 64 were kept. */
  g_assert_cmpint (g_array_index (c.events, PlabEvent, 63).task_id, ==, 63);
  plab_trace_free (trace);
  collected_clear (&c);
}

/* Map items timed together: a run of consecutive unlabelled items comes out
 * of the drain as one span per item, each an equal share of the run, the
 * last ending at the run's end; labelled or scattered items as spans of
 * their own. A full ring drops and counts items, not ring events. */
static void
test_item_spans (void)
{
  Collected c;
  PlabTrace *trace = new_collecting_trace (&c);
  int64_t run[PLAB_ITEM_SPANS_MAX], scattered[] = { 5, 7, 8 };
  const char labels[3][PLAB_LABEL_MAX] = { "x=5", "x=7", "" };
  PlabLaneInfo info;
  int lane;

  plab_trace_set_capacity (trace, 64);
  g_assert_cmpint (plab_trace_add_lane (trace, PLAB_LANE_THREAD, "items", &lane), ==, 0);
  plab_trace_attach (trace, lane);
  for (int k = 0; k < PLAB_ITEM_SPANS_MAX; k++)
    run[k] = 100 + k;
  _plab_trace_item_spans (run, NULL, PLAB_ITEM_SPANS_MAX, 1000,
                          1000 + 10 * PLAB_ITEM_SPANS_MAX + 3);
  _plab_trace_item_spans (scattered, labels, 3, 5000, 5030);
  _plab_trace_item_spans (scattered, NULL, 3, 6000, 6030);
  g_assert_cmpuint (plab_trace_drain (trace), ==, PLAB_ITEM_SPANS_MAX + 6);
  g_assert_cmpuint (c.events->len, ==, PLAB_ITEM_SPANS_MAX + 6);
  for (int k = 0; k < PLAB_ITEM_SPANS_MAX; k++)
    {
      const PlabEvent *e = &g_array_index (c.events, PlabEvent, k);

      g_assert_cmpint (e->kind, ==, PLAB_SPAN_TASK);
      g_assert_cmpint (e->task_id, ==, 100 + k);
      g_assert_cmpint (e->start_ns, ==, 1000 + 10 * k);
      g_assert_cmpint (e->end_ns, ==, k + 1 < PLAB_ITEM_SPANS_MAX ? 1010 + 10 * k : 1643);
      g_assert_cmpint (e->lane, ==, lane);
      g_assert_cmpint (e->flow, ==, PLAB_FLOW_NONE);
      g_assert_cmpint (e->item, ==, -1);
      g_assert_cmpstr (e->label, ==, "");
    }
  for (int k = 0; k < 6; k++)
    {
      const PlabEvent *e = &g_array_index (c.events, PlabEvent, PLAB_ITEM_SPANS_MAX + k);
      int64_t t0 = k < 3 ? 5000 : 6000;

      g_assert_cmpint (e->task_id, ==, scattered[k % 3]);
      g_assert_cmpint (e->start_ns, ==, t0 + 10 * (k % 3));
      g_assert_cmpint (e->end_ns, ==, t0 + 10 * (k % 3) + 10);
      g_assert_cmpstr (e->label, ==, k < 3 ? labels[k] : "");
    }

  /* 64 runs fill the ring; the next loses its 64 items. */
  for (int r = 0; r <= 64; r++)
    _plab_trace_item_spans (run, NULL, PLAB_ITEM_SPANS_MAX, 7000, 8000);
  plab_trace_detach ();
  g_assert_cmpuint (plab_trace_drain (trace), ==, 64 * PLAB_ITEM_SPANS_MAX);
  plab_trace_get_lane (trace, lane, &info);
  g_assert_cmpuint (info.dropped, ==, PLAB_ITEM_SPANS_MAX);
  plab_trace_free (trace);
  collected_clear (&c);
}

static void
test_forked_child_does_not_write_parent_lane (void)
{
  Collected c;
  PlabTrace *trace = new_collecting_trace (&c);
  int lane;
  pid_t pid;
  int status;

  g_assert_cmpint (plab_trace_add_lane (trace, PLAB_LANE_PROCESS, "child", &lane), ==, 0);
  pid = fork ();
  if (pid == 0)
    {
      /* Inherited attachment is dropped at fork. */
      if (plab_tracing ())
        _exit (3);
      plab_span (PLAB_SPAN_TASK, 1, 2, 0, "lost");
      plab_trace_attach (trace, lane);
      plab_span (PLAB_SPAN_IO, 10, 20, 1, "from child");
      _exit (0);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  plab_trace_drain (trace);
  g_assert_cmpuint (c.events->len, ==, 1);
  g_assert_cmpstr (g_array_index (c.events, PlabEvent, 0).label, ==, "from child");
  g_assert_cmpint (g_array_index (c.events, PlabEvent, 0).lane, ==, lane);

  PlabLaneInfo info;
  plab_trace_get_lane (trace, lane, &info);
  g_assert_cmpint (info.pid, ==, pid);
  plab_trace_free (trace);
  collected_clear (&c);
}

static void
test_disabled_records_nothing (void)
{
  Collected c;
  PlabTrace *trace = new_collecting_trace (&c);

  plab_trace_set_enabled (false);
  plab_span (PLAB_SPAN_TASK, 1, 2, 0, "off");
  plab_trace_set_enabled (true);
  plab_span (PLAB_SPAN_TASK, 1, 2, 0, "on");
  plab_trace_drain (trace);
  g_assert_cmpuint (c.events->len, ==, 1);
  g_assert_cmpstr (g_array_index (c.events, PlabEvent, 0).label, ==, "on");
  plab_trace_free (trace);
  collected_clear (&c);
}

/* The open sets a sink was given, one array of PlabEvent per call. */
typedef struct
{
  GPtrArray *sets;
  GArray *events;
} OpenCollected;

static void
collect_open (void *user_data, int lane, const PlabEvent *open, size_t n_open)
{
  OpenCollected *c = user_data;
  GArray *set = g_array_new (FALSE, TRUE, sizeof (PlabEvent));

  g_array_append_vals (set, open, n_open);
  for (size_t k = 0; k < n_open; k++)
    g_assert_cmpint (open[k].lane, ==, lane);
  g_ptr_array_add (c->sets, set);
}

static void
collect_open_events (void *user_data, const PlabEvent *events, size_t n)
{
  OpenCollected *c = user_data;
  g_array_append_vals (c->events, events, n);
}

static GArray *
last_open_set (OpenCollected *c)
{
  g_assert_cmpuint (c->sets->len, >, 0);
  return g_ptr_array_index (c->sets, c->sets->len - 1);
}

/* A begun span is reported open (kind, start, task, label) until it ends;
 * then the ended span arrives as an event, the open set becomes empty, and
 * the open mark itself is never an event. */
static void
test_span_begin_open (void)
{
  OpenCollected c = { g_ptr_array_new_with_free_func ((GDestroyNotify)g_array_unref),
                      g_array_new (FALSE, TRUE, sizeof (PlabEvent)) };
  PlabTrace *trace = plab_trace_new ();
  PlabTraceSink sink = { .events = collect_open_events, .open = collect_open, .user_data = &c };
  int64_t task_t0, wait_t0;
  GArray *set;

  plab_trace_set_sink (trace, &sink);
  task_t0 = plab_span_begin (PLAB_SPAN_TASK, 41, "x=41");
  g_assert_cmpuint (plab_trace_drain (trace), ==, 0);
  set = last_open_set (&c);
  g_assert_cmpuint (set->len, ==, 1);
  g_assert_cmpint (g_array_index (set, PlabEvent, 0).kind, ==, PLAB_SPAN_TASK);
  g_assert_cmpint (g_array_index (set, PlabEvent, 0).start_ns, ==, task_t0);
  g_assert_cmpint (g_array_index (set, PlabEvent, 0).task_id, ==, 41);
  g_assert_cmpstr (g_array_index (set, PlabEvent, 0).label, ==, "x=41");

  /* Nothing changed: nothing reported. */
  plab_trace_drain (trace);
  g_assert_cmpuint (c.sets->len, ==, 1);

  /* A wait inside the task: both open, oldest first. */
  wait_t0 = plab_span_begin (PLAB_SPAN_GIL_WAIT, -1, "wait: gil");
  plab_trace_drain (trace);
  set = last_open_set (&c);
  g_assert_cmpuint (set->len, ==, 2);
  g_assert_cmpint (g_array_index (set, PlabEvent, 1).kind, ==, PLAB_SPAN_GIL_WAIT);

  /* A wait too short to record is forgotten; the task stays open. */
  plab_span_forget (PLAB_SPAN_GIL_WAIT, wait_t0);
  plab_trace_drain (trace);
  set = last_open_set (&c);
  g_assert_cmpuint (set->len, ==, 1);
  g_assert_cmpint (g_array_index (set, PlabEvent, 0).kind, ==, PLAB_SPAN_TASK);
  g_assert_cmpuint (c.events->len, ==, 0);

  /* Its end: recorded once, as a span, and no longer open. */
  plab_span (PLAB_SPAN_TASK, task_t0, plab_now_ns (), 41, "x=41");
  g_assert_cmpuint (plab_trace_drain (trace), ==, 1);
  g_assert_cmpuint (c.events->len, ==, 1);
  g_assert_cmpint (g_array_index (c.events, PlabEvent, 0).start_ns, ==, task_t0);
  g_assert_cmpint (g_array_index (c.events, PlabEvent, 0).end_ns, >=, task_t0);
  g_assert_cmpuint (last_open_set (&c)->len, ==, 0);

  /* A span recorded without a beginning leaves the open set alone. */
  plab_span (PLAB_SPAN_SLEEP, 1, 2, -1, "nap");
  plab_trace_drain (trace);
  g_assert_cmpuint (last_open_set (&c)->len, ==, 0);

  plab_trace_free (trace);
  g_ptr_array_unref (c.sets);
  g_array_unref (c.events);
}

/* A forked worker's open span is seen by the parent through the shared
 * lane while the worker waits in it, and ends with the worker's span. */
static void
test_span_begin_forked (void)
{
  OpenCollected c = { g_ptr_array_new_with_free_func ((GDestroyNotify)g_array_unref),
                      g_array_new (FALSE, TRUE, sizeof (PlabEvent)) };
  PlabTrace *trace = plab_trace_new ();
  PlabTraceSink sink = { .events = collect_open_events, .open = collect_open, .user_data = &c };
  int go[2], status, lane;
  gboolean seen = FALSE;
  pid_t pid;
  char byte = 0;

  plab_trace_set_sink (trace, &sink);
  g_assert_cmpint (plab_trace_add_lane (trace, PLAB_LANE_PROCESS, "worker", &lane), ==, 0);
  g_assert_cmpint (pipe (go), ==, 0);
  pid = fork ();
  if (pid == 0)
    {
      int64_t t0;

      plab_trace_attach (trace, lane);
      t0 = plab_span_begin (PLAB_SPAN_SLEEP, 7, "sleeping");
      /* Waits until the parent has seen the span open. */
      if (read (go[0], &byte, 1) != 1)
        _exit (2);
      plab_span (PLAB_SPAN_SLEEP, t0, plab_now_ns (), 7, "sleeping");
      _exit (0);
    }
  /* Generous: this only catches a span that never shows. */
  for (int i = 0; i < 3000 && !seen; i++)
    {
      plab_trace_drain (trace);
      for (guint s = 0; s < c.sets->len && !seen; s++)
        {
          GArray *set = g_ptr_array_index (c.sets, s);
          seen = set->len == 1 && g_array_index (set, PlabEvent, 0).lane == lane
                 && g_array_index (set, PlabEvent, 0).kind == PLAB_SPAN_SLEEP
                 && !g_strcmp0 (g_array_index (set, PlabEvent, 0).label, "sleeping");
        }
      if (!seen)
        g_usleep (10000);
    }
  g_assert_true (seen);
  g_assert_cmpint (write (go[1], &byte, 1), ==, 1);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  plab_trace_drain (trace);
  g_assert_cmpuint (c.events->len, ==, 1);
  g_assert_cmpint (g_array_index (c.events, PlabEvent, 0).kind, ==, PLAB_SPAN_SLEEP);
  g_assert_cmpuint (last_open_set (&c)->len, ==, 0);

  close (go[0]);
  close (go[1]);
  plab_trace_free (trace);
  g_ptr_array_unref (c.sets);
  g_array_unref (c.events);
}

typedef struct
{
  /* A pthread mutex, not a GMutex: GLib's are futexes ThreadSanitizer does
   * not see, so it would report the watch thread's writes as a race. */
  pthread_mutex_t lock;
  int n_open;  /* open spans in the last report */
  int reports; /* open reports so far */
} WatchSeen;

static void
watch_open (void *user_data, int lane, const PlabEvent *open, size_t n_open)
{
  WatchSeen *seen = user_data;

  pthread_mutex_lock (&seen->lock);
  seen->n_open = (int)n_open;
  seen->reports++;
  pthread_mutex_unlock (&seen->lock);
}

static int
watch_seen_open (WatchSeen *seen)
{
  int n;

  pthread_mutex_lock (&seen->lock);
  n = seen->reports > 0 ? seen->n_open : -1;
  pthread_mutex_unlock (&seen->lock);
  return n;
}

/* A thread busy in a long span drains nothing itself: the watching thread
 * does, and reports the span open, then no longer open once it ended. */
static void
test_watch_drains_busy_thread (void)
{
  WatchSeen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
  PlabTrace *trace = plab_trace_new ();
  PlabTraceSink sink = { .open = watch_open, .user_data = &seen };
  int64_t t0, deadline;

  plab_trace_set_sink (trace, &sink);
  g_assert_cmpint (plab_trace_start_watch (trace, 10000000), ==, 0);
  t0 = plab_span_begin (PLAB_SPAN_TASK, 1, "busy");
  /* Generous: only a watch that never drains fails. */
  deadline = plab_now_ns () + 20 * (int64_t)G_TIME_SPAN_SECOND * 1000;
  while (watch_seen_open (&seen) != 1 && plab_now_ns () < deadline)
    g_usleep (1000);
  g_assert_cmpint (watch_seen_open (&seen), ==, 1);
  plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), 1, "busy");
  while (watch_seen_open (&seen) != 0 && plab_now_ns () < deadline)
    g_usleep (1000);
  g_assert_cmpint (watch_seen_open (&seen), ==, 0);
  plab_trace_stop_watch (trace);
  plab_trace_stop_watch (trace); /* twice is fine */
  plab_trace_free (trace);
  pthread_mutex_destroy (&seen.lock);
}

/* PLAB_MS () and PLAB_SEC () give nanoseconds, as every timeout and the
 * clock count them, without overflowing an int on the way. */
static void
test_time_units (void)
{
  int n = 3;
  int64_t t0;

  g_assert_cmpint (PLAB_MS (250), ==, 250000000LL);
  g_assert_cmpint (PLAB_SEC (1), ==, PLAB_MS (1000));
  /* 3 * 10^9 does not fit an int: the macro widens before it multiplies. */
  g_assert_cmpint (PLAB_SEC (n), ==, 3000000000LL);
  g_assert_cmpint (PLAB_MS (n + 1), ==, 4000000LL);
  g_assert_cmpint (PLAB_SEC (-1), <, 0);

  /* On the clock: a sleep of PLAB_MS (20) lasts at least that long. */
  t0 = plab_now_ns ();
  plab_sleep_ns (PLAB_MS (20));
  g_assert_cmpint (plab_now_ns () - t0, >=, PLAB_MS (20));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plab/trace/kind-names", test_kind_names);
  g_test_add_func ("/plab/trace/main-lane-roundtrip", test_main_lane_roundtrip);
  g_test_add_func ("/plab/trace/flow-roundtrip", test_flow_roundtrip);
  g_test_add_func ("/plab/trace/label-cut-on-character", test_label_cut_on_character);
  g_test_add_func ("/plab/trace/threads-concurrent-drain", test_threads_concurrent_drain);
  g_test_add_func ("/plab/trace/full-ring-drops", test_full_ring_drops);
  g_test_add_func ("/plab/trace/item-spans", test_item_spans);
  g_test_add_func ("/plab/trace/forked-child", test_forked_child_does_not_write_parent_lane);
  g_test_add_func ("/plab/trace/disabled", test_disabled_records_nothing);
  g_test_add_func ("/plab/trace/span-begin-open", test_span_begin_open);
  g_test_add_func ("/plab/trace/span-begin-forked", test_span_begin_forked);
  g_test_add_func ("/plab/trace/watch-drains-busy-thread", test_watch_drains_busy_thread);
  g_test_add_func ("/plab/trace/time-units", test_time_units);
  return g_test_run ();
}
