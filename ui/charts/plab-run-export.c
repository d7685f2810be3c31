/* plab-run-export.c: a recorded run as CSV or Chrome trace JSON, written
 * while the store's spans are read (see the header). */
#include "plab-run-export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "plab-error.h"
#include "plab-export-file.h"
#include "plab-json.h"
#include "plab-mem.h"

/* Text is built in a buffer and handed to stdio when it holds this much. */
#define FLUSH_BYTES (64 * 1024)
/* Synthetic ids for lanes whose worker never attached (pid or tid 0): high
 * enough not to meet a real pid, and distinct per lane. */
#define SYNTHETIC_ID_BASE 4000000
/* Spans open at once on one lane that the trace's nesting repair follows. */
#define MAX_NESTING 64

typedef struct
{
  PlabStore *store;
  PlabRunRecord *run;
  PlabLaneInfo *lanes;
  size_t n_lanes;
  FILE *out;
  PlabBuf buf;
  int write_errno;
  PlabRunExportStats stats;

  /* Trace: the spans of one lane that start at the same time, held until
   * the next start so that the outer (longer) one goes first. */
  PlabEvent *group;
  size_t n_group;
  size_t group_cap;
  const PlabEvent **order;
  /* Trace: the ends of the spans open on the current lane. */
  int current_lane;
  int64_t last_start;
  int64_t open_ends[MAX_NESTING];
  size_t depth;
  bool first_event;
} Export;

/* Hands the buffer to stdio once it is large, or always with @force. Returns
 * 0 or PLAB_ENOMEM / PLAB_ESYS, which stop the reading. */
static int
flush (Export *x, bool force)
{
  if (x->buf.oom)
    return PLAB_ENOMEM;
  if (x->buf.len == 0 || (!force && x->buf.len < FLUSH_BYTES))
    return 0;
  if (fwrite (x->buf.data, 1, x->buf.len, x->out) != x->buf.len)
    {
      x->write_errno = errno ? errno : EIO;
      return PLAB_ESYS;
    }
  x->buf.len = 0;
  x->buf.data[0] = '\0';
  return 0;
}

static const PlabLaneInfo *
find_lane (const Export *x, int lane)
{
  for (size_t i = 0; i < x->n_lanes; i++)
    if (x->lanes[i].lane == lane)
      return &x->lanes[i];
  return NULL;
}

/* --- CSV --- */

/* Quotes only when needed, doubling quotes inside (RFC 4180). */
static void
csv_field (PlabBuf *buf, const char *text)
{
  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      plab_buf_append (buf, text);
      return;
    }
  plab_buf_append_len (buf, "\"", 1);
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        plab_buf_append_len (buf, "\"", 1);
      plab_buf_append_len (buf, p, 1);
    }
  plab_buf_append_len (buf, "\"", 1);
}

/* The lane's number, name, pid and tid, as the first columns after run. */
static void
csv_lane (Export *x, int lane_number)
{
  const PlabLaneInfo *lane = find_lane (x, lane_number);

  plab_buf_printf (&x->buf, "%d,", lane_number);
  csv_field (&x->buf, lane ? lane->name : "");
  if (lane != NULL)
    plab_buf_printf (&x->buf, ",%d,%d,", lane->pid, lane->tid);
  else
    plab_buf_append (&x->buf, ",,,");
}

static int
csv_spans_cb (void *user_data, const PlabEvent *spans, size_t n_spans)
{
  Export *x = user_data;

  for (size_t i = 0; i < n_spans; i++)
    {
      const PlabEvent *e = &spans[i];

      plab_buf_printf (&x->buf, "span,%" PRId64 ",", x->run->id);
      csv_lane (x, e->lane);
      csv_field (&x->buf, plab_span_kind_name (e->kind));
      plab_buf_printf (&x->buf, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",", e->start_ns, e->end_ns,
                       e->task_id);
      csv_field (&x->buf, e->label);
      plab_buf_append (&x->buf, ",\r\n");
    }
  x->stats.n_spans += n_spans;
  return flush (x, false);
}

/* Writes each counter sample of the run through @write, with @runner handed
 * on to it. */
typedef struct
{
  Export *x;
  void (*write) (Export *x, const PlabEvent *e, int runner);
  int runner;
} EachCounter;

static int
each_counter_cb (void *user_data, const PlabEvent *counters, size_t n_counters)
{
  EachCounter *each = user_data;
  int rc = 0;

  for (size_t i = 0; rc == 0 && i < n_counters; i++)
    {
      each->write (each->x, &counters[i], each->runner);
      rc = flush (each->x, false);
    }
  return rc;
}

/* Calls @write on each counter sample of the run as the store hands them
 * over, a batch at a time, flushing after each; @runner is handed on to it. */
static int
each_counter (Export *x, void (*write) (Export *x, const PlabEvent *e, int runner), int runner)
{
  EachCounter each = { x, write, runner };

  return plab_store_read_counters (x->store, x->run->id, each_counter_cb, &each);
}

/* Counter samples after the spans: the sampling lane, the time as start
 * and end, the counter's name as label, and its value. */
static void
csv_counter (Export *x, const PlabEvent *e, int runner)
{
  plab_buf_printf (&x->buf, "counter,%" PRId64 ",", x->run->id);
  csv_lane (x, e->lane);
  plab_buf_printf (&x->buf, "counter,%" PRId64 ",%" PRId64 ",,", e->start_ns, e->start_ns);
  csv_field (&x->buf, e->label);
  plab_buf_printf (&x->buf, ",%" PRId64 "\r\n", e->task_id);
}

static int
write_csv (Export *x)
{
  int rc;

  plab_buf_append (&x->buf, PLAB_RUN_CSV_HEADER "\r\n");
  rc = plab_store_read_spans (x->store, x->run->id, 0, INT64_MAX, csv_spans_cb, x);
  return rc == 0 ? each_counter (x, csv_counter, 0) : rc;
}

/* --- Chrome trace --- */

static int
lane_pid (const PlabLaneInfo *lane)
{
  if (lane && lane->pid > 0)
    return lane->pid;
  /* A lane that never attached: show it as its own process. */
  return SYNTHETIC_ID_BASE + (lane ? lane->lane : 0);
}

static int
lane_tid (const PlabLaneInfo *lane)
{
  if (lane && lane->tid > 0)
    return lane->tid;
  return SYNTHETIC_ID_BASE + (lane ? lane->lane : 0);
}

static const char *
separator (Export *x)
{
  if (x->first_event)
    {
      x->first_event = false;
      return "";
    }
  return ",\n";
}

/* Microseconds with nanosecond precision: Chrome trace times are in µs. The
 * sign goes in front once: -1500 ns is -1.500, not -1.-500. */
static void
write_us (PlabBuf *buf, int64_t ns)
{
  uint64_t magnitude = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;

  plab_buf_printf (buf, "%s%" PRIu64 ".%03u", ns < 0 ? "-" : "", magnitude / 1000,
                   (unsigned)(magnitude % 1000));
}

/* The length of a span in µs; a span ending before it starts (only a damaged
 * store holds one) lasts 0, and one from far in the past to far in the
 * future does not overflow. */
static void
write_duration_us (PlabBuf *buf, const PlabEvent *e)
{
  uint64_t ns = e->end_ns > e->start_ns ? (uint64_t)e->end_ns - (uint64_t)e->start_ns : 0;

  plab_buf_printf (buf, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

static void
write_args_label (PlabBuf *buf, const PlabEvent *e)
{
  plab_buf_append (buf, ",\"args\":{");
  if (e->task_id >= 0)
    plab_buf_printf (buf, "\"task\":%" PRId64, e->task_id);
  if (e->label[0])
    {
      plab_buf_append (buf, e->task_id >= 0 ? ",\"label\":" : "\"label\":");
      plab_json_write_string (buf, e->label);
    }
  plab_buf_append (buf, "}");
}

static void
write_metadata (Export *x, const char *what, const PlabLaneInfo *l, const char *key)
{
  plab_buf_printf (&x->buf,
                   "%s{\"ph\":\"M\",\"cat\":\"__metadata\",\"name\":\"%s\",\"pid\":%d,\"tid\":%d,"
                   "\"args\":{",
                   separator (x), what, lane_pid (l), lane_tid (l));
  if (key != NULL)
    plab_buf_printf (&x->buf, "\"%s\":%d}}", key, l->lane);
}

/* A name and a place for every process and every lane. */
static void
write_lane_names (Export *x)
{
  for (size_t i = 0; i < x->n_lanes; i++)
    {
      const PlabLaneInfo *l = &x->lanes[i];
      bool named = false;

      for (size_t j = 0; j < i && !named; j++)
        named = lane_pid (&x->lanes[j]) == lane_pid (l);
      if (!named)
        {
          write_metadata (x, "process_name", l, NULL);
          plab_buf_append (&x->buf, "\"name\":");
          if (l->kind == PLAB_LANE_PROCESS)
            plab_json_write_string (&x->buf, l->name);
          else
            {
              char name[256];
              snprintf (name, sizeof name, "plab %s (runner)", x->run->demo);
              plab_json_write_string (&x->buf, name);
            }
          plab_buf_append (&x->buf, "}}");
          write_metadata (x, "process_sort_index", l, "sort_index");
        }
      write_metadata (x, "thread_name", l, NULL);
      plab_buf_append (&x->buf, "\"name\":");
      plab_json_write_string (&x->buf, l->name);
      plab_buf_append (&x->buf, "}}");
      write_metadata (x, "thread_sort_index", l, "sort_index");
    }
}

static void
write_span_event (Export *x, const PlabEvent *e)
{
  const PlabLaneInfo *l = find_lane (x, e->lane);
  const char *name = e->label[0] ? e->label : plab_span_kind_name (e->kind);

  if (e->kind == PLAB_SPAN_CRASH)
    {
      plab_buf_printf (&x->buf,
                       "%s{\"ph\":\"i\",\"s\":\"p\",\"cat\":\"crash\",\"name\":", separator (x));
      plab_json_write_string (&x->buf, name);
      plab_buf_printf (&x->buf, ",\"pid\":%d,\"tid\":%d,\"ts\":", lane_pid (l), lane_tid (l));
      write_us (&x->buf, e->start_ns);
      write_args_label (&x->buf, e);
      plab_buf_append (&x->buf, "}");
      return;
    }
  plab_buf_printf (&x->buf, "%s{\"ph\":\"X\",\"cat\":", separator (x));
  plab_json_write_string (&x->buf, plab_span_kind_name (e->kind));
  plab_buf_append (&x->buf, ",\"name\":");
  plab_json_write_string (&x->buf, name);
  plab_buf_printf (&x->buf, ",\"pid\":%d,\"tid\":%d,\"ts\":", lane_pid (l), lane_tid (l));
  write_us (&x->buf, e->start_ns);
  plab_buf_append (&x->buf, ",\"dur\":");
  write_duration_us (&x->buf, e);
  write_args_label (&x->buf, e);
  plab_buf_append (&x->buf, "}");
}

/* A span whose start is inside an open span but whose end is after it would
 * overlap partially, which trace viewers draw wrongly (or drop). Such a span
 * is clamped to end with the span it starts in, so the spans of a lane are
 * only nested or disjoint. Spans come by start, the outer one first. */
static void
repair (Export *x, PlabEvent *e)
{
  if (e->kind == PLAB_SPAN_CRASH || e->kind == PLAB_SPAN_COUNTER)
    return;
  if (e->end_ns < e->start_ns)
    {
      e->end_ns = e->start_ns;
      x->stats.repaired++;
    }
  while (x->depth > 0 && x->open_ends[x->depth - 1] <= e->start_ns)
    x->depth--;
  if (x->depth > 0 && e->end_ns > x->open_ends[x->depth - 1])
    {
      e->end_ns = x->open_ends[x->depth - 1];
      x->stats.repaired++;
    }
  if (x->depth < MAX_NESTING)
    x->open_ends[x->depth++] = e->end_ns;
}

/* At the same start the longer span is the outer one and goes first; spans
 * equal in both keep the store's order (the address of their copy). */
static int
compare_group (const void *a, const void *b)
{
  const PlabEvent *x = *(const PlabEvent *const *)a, *y = *(const PlabEvent *const *)b;

  if (x->end_ns != y->end_ns)
    return x->end_ns > y->end_ns ? -1 : 1;
  return x < y ? -1 : x > y;
}

static void
write_group (Export *x)
{
  if (x->n_group == 0)
    return;
  /* A new lane starts with nothing open; so does a lane whose rows a
   * damaged store gives out of order, written in the order they come. */
  if (x->group[0].lane != x->current_lane || x->group[0].start_ns < x->last_start)
    {
      x->current_lane = x->group[0].lane;
      x->depth = 0;
    }
  x->last_start = x->group[0].start_ns;
  for (size_t i = 0; i < x->n_group; i++)
    x->order[i] = &x->group[i];
  if (x->n_group > 1)
    qsort (x->order, x->n_group, sizeof *x->order, compare_group);
  for (size_t i = 0; i < x->n_group; i++)
    {
      repair (x, (PlabEvent *)x->order[i]);
      write_span_event (x, x->order[i]);
    }
  x->stats.n_spans += x->n_group;
  x->n_group = 0;
}

static int
trace_spans_cb (void *user_data, const PlabEvent *spans, size_t n_spans)
{
  Export *x = user_data;

  for (size_t i = 0; i < n_spans; i++)
    {
      const PlabEvent *e = &spans[i];

      if (x->n_group > 0 && (e->lane != x->group[0].lane || e->start_ns != x->group[0].start_ns))
        write_group (x);
      if (x->n_group == x->group_cap)
        {
          size_t cap = x->group_cap ? 2 * x->group_cap : 64;
          PlabEvent *group = realloc (x->group, cap * sizeof *group);
          const PlabEvent **order = group ? realloc (x->order, cap * sizeof *order) : NULL;

          if (group != NULL)
            x->group = group;
          if (order == NULL)
            return PLAB_ENOMEM;
          x->order = order;
          x->group_cap = cap;
        }
      x->group[x->n_group++] = *e;
    }
  return flush (x, false);
}

static void
trace_counter (Export *x, const PlabEvent *e, int runner)
{
  plab_buf_printf (&x->buf, "%s{\"ph\":\"C\",\"cat\":\"counter\",\"name\":", separator (x));
  plab_json_write_string (&x->buf, e->label);
  plab_buf_printf (&x->buf, ",\"pid\":%d,\"ts\":", runner);
  write_us (&x->buf, e->start_ns);
  plab_buf_printf (&x->buf, ",\"args\":{\"value\":%" PRId64 "}}", e->task_id);
}

/* Counters belong to the run as a whole: they go on the runner's process. */
static int
write_counters (Export *x)
{
  int runner = x->run->runner_pid > 0 ? x->run->runner_pid : lane_pid (find_lane (x, 0));

  return each_counter (x, trace_counter, runner);
}

static int
write_trace (Export *x)
{
  int rc;

  x->first_event = true;
  x->current_lane = -1;
  plab_buf_append (&x->buf, "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"demo\":");
  plab_json_write_string (&x->buf, x->run->demo);
  plab_buf_append (&x->buf, ",\"backend\":");
  plab_json_write_string (&x->buf, x->run->backend);
  plab_buf_printf (&x->buf, ",\"workers\":%d,\"run\":%" PRId64 ",\"status\":\"%s\"},\n",
                   x->run->workers, x->run->id, plab_run_status_name (x->run->status));
  plab_buf_append (&x->buf, "\"traceEvents\":[\n");
  write_lane_names (x);

  rc = plab_store_read_spans (x->store, x->run->id, 0, INT64_MAX, trace_spans_cb, x);
  if (rc == 0)
    {
      write_group (x);
      rc = write_counters (x);
    }
  plab_buf_append (&x->buf, "\n]}\n");
  return rc;
}

int
plab_run_export_write (PlabStore *store,
                       int64_t run_id,
                       PlabRunExportFormat format,
                       FILE *out,
                       PlabRunExportStats *stats,
                       char *error,
                       size_t error_len)
{
  Export x = { .store = store, .out = out };
  int rc;

  if (error_len > 0)
    error[0] = '\0';
  plab_buf_init (&x.buf);
  rc = plab_store_get_run (store, run_id, &x.run);
  if (rc == PLAB_ENOTFOUND)
    {
      snprintf (error, error_len, "there is no run %" PRId64, run_id);
      return rc;
    }
  if (rc == 0)
    rc = plab_store_get_lanes (store, run_id, &x.lanes, &x.n_lanes);
  if (rc == 0)
    rc = format == PLAB_RUN_EXPORT_CSV ? write_csv (&x) : write_trace (&x);
  if (rc == 0)
    rc = flush (&x, true);
  if (rc == PLAB_ESYS)
    snprintf (error, error_len, "cannot write: %s", strerror (x.write_errno));
  else if (rc == PLAB_ENOMEM)
    snprintf (error, error_len, "out of memory");
  else if (rc != 0)
    snprintf (error, error_len, "cannot read run %" PRId64 ": %s", run_id,
              plab_store_errmsg (store));
  if (stats != NULL)
    *stats = x.stats;
  plab_buf_clear (&x.buf);
  PLAB_FREE_ALL (x.group, x.order, x.lanes);
  plab_run_record_free (x.run);
  return rc;
}

int
plab_run_export (PlabStore *store,
                 int64_t run_id,
                 PlabRunExportFormat format,
                 const char *path,
                 PlabRunExportStats *stats,
                 char *error,
                 size_t error_len)
{
  PlabExportFile file;
  char detail[256];
  int rc;

  rc = plab_export_file_open (&file, path, error, error_len);
  if (rc != 0)
    return rc;
  rc = plab_run_export_write (store, run_id, format, file.fp, stats, detail, sizeof detail);
  if (rc != 0)
    {
      plab_export_file_abort (&file);
      if (rc == PLAB_ESYS)
        snprintf (error, error_len, "cannot write %s: %s", path,
                  detail + strlen ("cannot write: "));
      else
        snprintf (error, error_len, "%s", detail);
      return rc;
    }
  return plab_export_file_commit (&file, error, error_len);
}

void
plab_run_export_file_name (char *buf,
                           size_t size,
                           bool sweep,
                           int64_t id,
                           const char *what,
                           const char *extension)
{
  snprintf (buf, size, "plab-%s%lld-%s.%s", sweep ? "sweep" : "run", (long long)id, what,
            extension);
}
