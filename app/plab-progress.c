/* plab-progress.c: the live event stream (format in plab-progress.h).
 *
 * The stream is written from the trace sink, which runs in the runner's main
 * thread while a pool waits for its workers, so a line must be cheap: events
 * are formatted into one GString and written with a single fwrite and fflush
 * per batch.
 */
#include "plab-progress.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "plab-json-writer.h"

struct _PlabProgress
{
  /* Borrowed */
  FILE *out;

  /* Owned */
  GString *line;

  GString *held; /* "lane" and "stalled" lines waiting for room in the pipe */

  int64_t run_id;
  int64_t origin_ns;
  const char *broken; /* why the stream was given up; NULL while it goes */

  /* The capacity of the pipe @out is, 0 when it is not a pipe. */
  int pipe_size;
  /* Spans and counter samples of this run left out of the stream because
   * the reader was behind. */
  int64_t spans_dropped;
  int64_t samples_dropped;

  /* The newest "open" line of each lane that found no room, by lane; NULL
   * where none waits. */
  GPtrArray *open_waiting;

  /* What the spans left out of each lane covered, by lane, until a "busy"
   * line says it: a few hundred bytes per lane, however long the reader is
   * behind. */
  GArray *busy;
  guint flush_turn; /* the lane each flush starts from turns */
};

/* The spans of one lane left out since its last "busy" line. */
typedef struct
{
  bool pending;
  int64_t start; /* since the origin */
  int64_t end;
  int64_t covered_end; /* the end of the time counted busy so far */
  int64_t sent_ns;     /* when the lane's last "busy" line was written (plab_now_ns ()) */
  int64_t busy_ns[PLAB_N_SPAN_KINDS];
  int64_t count[PLAB_N_SPAN_KINDS];
  /* The busy time over time: bin i covers bin0 + i * bin_ns, bin_ns long.
   * Bins start PLAB_PROGRESS_BUSY_BIN_MS long and double (two merged into
   * one) when the summary outgrows them, as a reader falls further behind. */
  int64_t bin0;
  int64_t bin_ns; /* 0: no bins yet */
  int n_bins;
  int64_t bins[PLAB_PROGRESS_BUSY_BINS];
} BusySummary;

static void
free_string (gpointer data)
{
  if (data != NULL)
    g_string_free (data, TRUE);
}

PlabProgress *
plab_progress_new (FILE *out)
{
  PlabProgress *self = g_new0 (PlabProgress, 1);

  struct stat st;

  self->out = out;
  self->line = g_string_sized_new (4096);
  self->held = g_string_new (NULL);
  self->open_waiting = g_ptr_array_new_with_free_func (free_string);
  self->busy = g_array_new (FALSE, TRUE, sizeof (BusySummary));
  if (fstat (fileno (out), &st) == 0 && S_ISFIFO (st.st_mode))
    {
      int size = fcntl (fileno (out), F_GETPIPE_SZ);
      int flags = fcntl (fileno (out), F_GETFL);

      self->pipe_size = size > 0 ? size : 0;
      /* Writes to the pipe never block: emit () waits in poll () instead,
       * with a deadline. Only the runner writes into this pipe. */
      if (flags >= 0)
        fcntl (fileno (out), F_SETFL, flags | O_NONBLOCK);
    }
  return self;
}

void
plab_progress_free (PlabProgress *self)
{
  if (self == NULL)
    return;
  g_string_free (self->line, TRUE);
  g_string_free (self->held, TRUE);
  g_ptr_array_unref (self->open_waiting);
  g_array_unref (self->busy);
  g_free (self);
}

bool
plab_progress_broken (PlabProgress *self)
{
  return self->broken != NULL;
}

const char *
plab_progress_broken_reason (PlabProgress *self)
{
  return self->broken;
}

/* Writes @len bytes of @p, waiting for the reader at most until @deadline_ns
 * (plab_now_ns ()). On a closed pipe or a reader that does not read in time,
 * gives the stream up. write (), not stdio: a signal (the Stop of the lab
 * window) may interrupt a write to a full pipe, and the line must still go out
 * whole. */
static void
write_all (PlabProgress *self, const char *p, size_t left, int64_t deadline_ns)
{
  if (self->broken == NULL && fflush (self->out) != 0)
    self->broken = "it could not be written";
  while (self->broken == NULL && left > 0)
    {
      ssize_t n = write (fileno (self->out), p, left);

      if (n > 0)
        {
          p += n;
          left -= (size_t)n;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          struct pollfd pfd = { .fd = fileno (self->out), .events = POLLOUT };
          int64_t wait_ms = (deadline_ns - plab_now_ns ()) / 1000000;

          if (wait_ms <= 0)
            {
              self->broken
                  = "its reader read nothing for " G_STRINGIFY (PLAB_PROGRESS_DEADLINE_MS) " ms";
              break;
            }
          if (poll (&pfd, 1, (int)MIN (wait_ms, 1000)) < 0 && errno != EINTR)
            self->broken = "it could not be written";
          continue;
        }
      self->broken = n < 0 && errno == EPIPE ? "its reader closed it" : "it could not be written";
    }
}

/* Writes the line, waiting for the reader at most PLAB_PROGRESS_DEADLINE_MS. */
static void
emit (PlabProgress *self)
{
  int64_t deadline = plab_now_ns () + (int64_t)PLAB_PROGRESS_DEADLINE_MS * 1000000;

  g_string_append_c (self->line, '\n');
  if (self->held->len > 0)
    {
      write_all (self, self->held->str, self->held->len, deadline);
      g_string_truncate (self->held, 0);
    }
  write_all (self, self->line->str, self->line->len, deadline);
  g_string_truncate (self->line, 0);
}

/* Whether a line of @len bytes can go into the pipe without waiting for the
 * reader. A reader that draws more slowly than the workers record (the lab
 * window on a busy machine) would otherwise hold the runner up in write (),
 * inside the run's measured time. Lines bigger than the whole pipe go when it
 * is empty. */
static bool
room_for (PlabProgress *self, size_t len)
{
  int unread = 0;

  if (self->pipe_size == 0 || ioctl (fileno (self->out), FIONREAD, &unread) != 0)
    return true;
  if (unread == 0)
    return true;
  return (size_t)(self->pipe_size - unread) >= len + 1;
}

/* Whether a line of @len bytes that can wait or be summed up (an "open",
 * "busy" or "spans" line) should go now: when the pipe holds less than
 * PLAB_PROGRESS_SHORT_BUDGET bytes (a short line: with it), that is, when
 * the reader has nearly caught up. A reader that is behind then has only a
 * line or two to read before it is up to date, however many lanes change
 * how often: what it reads next is recent. */
static bool
reader_caught_up (PlabProgress *self, size_t len)
{
  int unread = 0;

  if (self->pipe_size == 0 || ioctl (fileno (self->out), FIONREAD, &unread) != 0)
    return true;
  if (len >= PLAB_PROGRESS_SHORT_BUDGET)
    return (size_t)unread < PLAB_PROGRESS_SHORT_BUDGET && room_for (self, len);
  return (size_t)unread + len + 1 <= PLAB_PROGRESS_SHORT_BUDGET;
}

/* Writes the held lines when the pipe has room for them all. */
static bool
release_held (PlabProgress *self)
{
  if (self->held->len == 0)
    return true;
  if (self->broken != NULL || !room_for (self, self->held->len))
    return false;
  write_all (self, self->held->str, self->held->len,
             plab_now_ns () + (int64_t)PLAB_PROGRESS_DEADLINE_MS * 1000000);
  g_string_truncate (self->held, 0);
  return true;
}

/* Adds "left_out" to the line (an object, closed) when something of this
 * run was left out already. */
static void
note_left_out (PlabProgress *self)
{
  int64_t left_out = self->spans_dropped + self->samples_dropped;

  if (left_out == 0 || self->line->len == 0 || self->line->str[self->line->len - 1] != '}')
    return;
  g_string_truncate (self->line, self->line->len - 1);
  g_string_append_printf (self->line, ",\"left_out\":%" G_GINT64_FORMAT "}", left_out);
}

/* Emits a "counters" line of @n samples, or leaves it out when the reader is
 * behind (has not nearly caught up, or lines wait for it) and adds @n to *@dropped: the live view is a
 * preview, and the run store gets everything anyway. */
static void
emit_or_drop (PlabProgress *self, size_t n, int64_t *dropped)
{
  note_left_out (self);
  if (release_held (self) && reader_caught_up (self, self->line->len))
    emit (self);
  else
    {
      *dropped += (int64_t)n;
      g_string_truncate (self->line, 0);
    }
}

static BusySummary *
busy_of (PlabProgress *self, int lane)
{
  if ((guint)lane >= self->busy->len)
    g_array_set_size (self->busy, (guint)lane + 1);
  return &g_array_index (self->busy, BusySummary, lane);
}

typedef struct
{
  int64_t start;
  int64_t end;
  int kind;
} Extent;

static int
compare_extents (const void *a, const void *b)
{
  const Extent *x = a, *y = b;

  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  return x->end > y->end ? -1 : (x->end < y->end);
}

/* @t rounded down to a multiple of @step (> 0), also below zero. */
static int64_t
floor_to (int64_t t, int64_t step)
{
  int64_t q = t / step;

  if (t % step != 0 && t < 0)
    q--;
  return q * step;
}

/* Merges the summary's bins two by two: half as many, twice as long. */
static void
coarsen_bins (BusySummary *b)
{
  int64_t bins[PLAB_PROGRESS_BUSY_BINS] = { 0 };
  int64_t w = b->bin_ns * 2;
  int64_t bin0 = floor_to (b->bin0, w);
  int n = 0;

  for (int i = 0; i < b->n_bins; i++)
    {
      int j = (int)((b->bin0 + i * b->bin_ns - bin0) / w);

      bins[j] += b->bins[i];
      n = j + 1;
    }
  memcpy (b->bins, bins, sizeof bins);
  b->bin0 = bin0;
  b->bin_ns = w;
  b->n_bins = n;
}

/* Adds the busy time from @from to @to to the summary's bins. */
static void
add_busy_time (BusySummary *b, int64_t from, int64_t to)
{
  if (b->bin_ns == 0)
    {
      b->bin_ns = (int64_t)PLAB_PROGRESS_BUSY_BIN_MS * 1000000;
      b->bin0 = floor_to (from, b->bin_ns);
      b->n_bins = 0;
    }
  from = MAX (from, b->bin0);
  while (to - b->bin0 > b->bin_ns * PLAB_PROGRESS_BUSY_BINS)
    coarsen_bins (b);
  for (int i = (int)((from - b->bin0) / b->bin_ns); i < PLAB_PROGRESS_BUSY_BINS; i++)
    {
      int64_t lo = MAX (from, b->bin0 + i * b->bin_ns);
      int64_t hi = MIN (to, b->bin0 + (i + 1) * b->bin_ns);

      if (hi <= lo)
        break;
      b->bins[i] += hi - lo;
      b->n_bins = MAX (b->n_bins, i + 1);
    }
}

/* Counts spans @first .. @last - 1 of @events, left out, into the summary
 * of @lane: the time they cover (a span inside another counts once, as the
 * outer one), by kind, and how many of each kind. */
static void
summarize_left_out (PlabProgress *self,
                    int lane,
                    const PlabEvent *events,
                    size_t first,
                    size_t last)
{
  BusySummary *b = busy_of (self, lane);
  Extent *items = g_new (Extent, last - first);
  size_t n = 0;

  for (size_t i = first; i < last; i++)
    if (events[i].kind != PLAB_SPAN_COUNTER)
      {
        items[n].start = events[i].start_ns - self->origin_ns;
        items[n].end = MAX (events[i].end_ns, events[i].start_ns) - self->origin_ns;
        items[n].kind = events[i].kind;
        n++;
      }
  qsort (items, n, sizeof (Extent), compare_extents);
  for (size_t i = 0; i < n; i++)
    {
      int64_t from = MAX (items[i].start, b->covered_end);

      if (!b->pending)
        {
          b->pending = true;
          b->start = items[i].start;
          b->end = items[i].end;
        }
      b->start = MIN (b->start, items[i].start);
      b->end = MAX (b->end, items[i].end);
      b->count[items[i].kind]++;
      /* A wait for a core lies inside the task that waited: counted, but
       * its time is the task's, covered by it. */
      if (items[i].kind != PLAB_SPAN_CORE_WAIT && items[i].end > from)
        {
          b->busy_ns[items[i].kind] += items[i].end - from;
          add_busy_time (b, from, items[i].end);
          b->covered_end = items[i].end;
        }
    }
  g_free (items);
}

/* Writes the "busy" line of @lane, if it has one waiting, the pipe has room
 * for it and the lane's last one went out PLAB_PROGRESS_BUSY_INTERVAL_MS ago
 * or more: a reader that is behind gets a few lines a second per lane, each
 * saying more, rather than more lines than it can read. With @now (the
 * run's clock has stopped), it goes at once, waiting for the reader as the
 * "end" line does. Returns whether none waits any more. */
static bool
emit_busy (PlabProgress *self, int lane, bool now)
{
  BusySummary *b;
  g_autoptr (GString) s = NULL;
  int64_t busy = 0, count = 0;
  bool first = true;

  if ((guint)lane >= self->busy->len || !g_array_index (self->busy, BusySummary, lane).pending)
    return true;
  if (now && self->held->len > 0)
    {
      write_all (self, self->held->str, self->held->len,
                 plab_now_ns () + (int64_t)PLAB_PROGRESS_DEADLINE_MS * 1000000);
      g_string_truncate (self->held, 0);
    }
  if (self->broken != NULL || !release_held (self))
    return false;
  b = busy_of (self, lane);
  if (!now && b->sent_ns > 0
      && plab_now_ns () - b->sent_ns < (int64_t)PLAB_PROGRESS_BUSY_INTERVAL_MS * 1000000)
    return false;
  for (int k = 0; k < PLAB_N_SPAN_KINDS; k++)
    {
      busy += b->busy_ns[k];
      count += b->count[k];
    }
  s = g_string_new (NULL);
  g_string_append_printf (s,
                          "{\"event\":\"busy\",\"id\":%" G_GINT64_FORMAT
                          ",\"lane\":%d,\"start\":%" G_GINT64_FORMAT ",\"end\":%" G_GINT64_FORMAT
                          ",\"busy_ns\":%" G_GINT64_FORMAT ",\"count\":%" G_GINT64_FORMAT
                          ",\"kinds\":{",
                          self->run_id, lane, b->start, b->end, busy, count);
  for (int k = 0; k < PLAB_N_SPAN_KINDS; k++)
    if (b->count[k] > 0)
      {
        g_string_append_printf (s, "%s\"%s\":[%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]",
                                first ? "" : ",", plab_span_kind_name (k), b->busy_ns[k],
                                b->count[k]);
        first = false;
      }
  g_string_append_printf (s,
                          "},\"bin0\":%" G_GINT64_FORMAT ",\"bin_ns\":%" G_GINT64_FORMAT
                          ",\"bins\":[",
                          b->bin0, b->bin_ns);
  for (int i = 0; i < b->n_bins; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "", b->bins[i]);
  g_string_append_printf (s, "],\"left_out\":%" G_GINT64_FORMAT "}\n",
                          self->spans_dropped + self->samples_dropped);
  if (!now && !reader_caught_up (self, s->len))
    return false;
  write_all (self, s->str, s->len, plab_now_ns () + (int64_t)PLAB_PROGRESS_DEADLINE_MS * 1000000);
  b->pending = false;
  b->sent_ns = plab_now_ns ();
  memset (b->busy_ns, 0, sizeof b->busy_ns);
  memset (b->count, 0, sizeof b->count);
  memset (b->bins, 0, sizeof b->bins);
  b->n_bins = 0;
  b->bin_ns = 0;
  return true;
}

/* Writes the waiting "busy" lines that may go, starting one lane further on
 * each time, so that with little room every lane has its turn. Returns
 * whether none waits any more. */
static bool
flush_busy (PlabProgress *self)
{
  guint n = self->busy->len;
  bool all = true;

  self->flush_turn++;
  for (guint i = 0; i < n; i++)
    all = emit_busy (self, (int)((i + self->flush_turn) % n), false) && all;
  return all;
}

/* Emits the "spans" line of spans @first .. @last - 1 of @events, all of
 * @lane, once no lane's "busy" line waits: a long line of one lane must not
 * keep taking the room another lane's summary waits for. When the reader is
 * behind, or a "busy" line still waits, the spans are left out and go into
 * the lane's summary instead, so that the reader still learns how busy the
 * lane was. */
static void
emit_spans_or_summarize (PlabProgress *self,
                         int lane,
                         const PlabEvent *events,
                         size_t first,
                         size_t last,
                         size_t n)
{
  note_left_out (self);
  if (flush_busy (self) && release_held (self) && reader_caught_up (self, self->line->len))
    emit (self);
  else
    {
      self->spans_dropped += (int64_t)n;
      g_string_truncate (self->line, 0);
      summarize_left_out (self, lane, events, first, last);
    }
}

/* Emits a line that must not be left out while the run's clock runs: when
 * the reader is behind, it waits in memory for the next line that finds
 * room, or for the run's end. */
static void
emit_or_hold (PlabProgress *self)
{
  if (release_held (self) && room_for (self, self->line->len))
    emit (self);
  else if (self->broken == NULL)
    {
      g_string_append_len (self->held, self->line->str, (gssize)self->line->len);
      g_string_append_c (self->held, '\n');
      g_string_truncate (self->line, 0);
    }
  else
    g_string_truncate (self->line, 0);
}

static void
append_id (PlabProgress *self, const char *event)
{
  g_string_append_printf (self->line, "{\"event\":\"%s\",\"id\":%" G_GINT64_FORMAT, event,
                          self->run_id);
}

void
plab_progress_run_begin (PlabProgress *self,
                         int64_t run_id,
                         const PlabRecordingConfig *config,
                         int64_t origin_ns)
{
  GString *s = self->line;

  self->run_id = run_id;
  self->origin_ns = origin_ns;
  g_array_set_size (self->busy, 0);
  append_id (self, "run");
  plab_json_append_string_member (s, "demo", config->demo);
  plab_json_append_string_member (s, "backend", config->backend);
  g_string_append_printf (s, ",\"workers\":%d,\"repeat\":%d,\"sweep\":", config->workers,
                          config->repeat);
  if (config->sweep_id > 0)
    g_string_append_printf (s, "%" G_GINT64_FORMAT, config->sweep_id);
  else
    g_string_append (s, "null");
  g_string_append_printf (s,
                          ",\"seed\":%" G_GUINT64_FORMAT ",\"origin_ns\":%" G_GINT64_FORMAT
                          ",\"params\":",
                          config->seed, origin_ns);
  plab_json_append_object (s, config->params_json);
  g_string_append_c (s, '}');
  emit (self);
}

static const char *
lane_end_name (PlabLaneEnd end)
{
  switch (end)
    {
    case PLAB_LANE_EXITED:
      return "exited";
    case PLAB_LANE_KILLED:
      return "killed";
    default:
      return "running";
    }
}

void
plab_progress_lane (PlabProgress *self, const PlabLaneInfo *lane)
{
  GString *s = self->line;

  append_id (self, "lane");
  g_string_append_printf (s, ",\"lane\":%d,\"kind\":\"%s\",\"pid\":%d,\"tid\":%d,\"name\":",
                          lane->lane, plab_lane_kind_name (lane->kind), lane->pid, lane->tid);
  plab_json_append_string (s, lane->name);
  g_string_append_printf (s, ",\"end\":\"%s\",\"code\":%d,\"signal\":%d}",
                          lane_end_name (lane->end), lane->exit_code, lane->exit_signal);
  emit_or_hold (self);
}

/* Adds event @e to the current line: a span as [start, end, kind, task, label]
 * ([..., label, "put" or "get", item] when it moves an item) or a counter
 * sample as [time, label, value], times from the run's origin. */
static void
append_event (PlabProgress *self, const PlabEvent *e)
{
  GString *s = self->line;

  if (e->kind == PLAB_SPAN_COUNTER)
    {
      g_string_append_printf (s, "[%" G_GINT64_FORMAT ",", e->start_ns - self->origin_ns);
      plab_json_append_string (s, e->label);
      g_string_append_printf (s, ",%" G_GINT64_FORMAT "]", e->task_id);
      return;
    }
  g_string_append_printf (s,
                          "[%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",\"%s\",%" G_GINT64_FORMAT ",",
                          e->start_ns - self->origin_ns, e->end_ns - self->origin_ns,
                          plab_span_kind_name (e->kind), e->task_id);
  plab_json_append_string (s, e->label);
  if (plab_flow_name (e->flow) != NULL)
    g_string_append_printf (s, ",\"%s\",%d", plab_flow_name (e->flow), (int)e->item);
  g_string_append_c (s, ']');
}

/* Writes the spans of @events, or with @counters their counter samples, in
 * lines of at most PLAB_PROGRESS_MAX_BATCH. */
static void
write_batches (PlabProgress *self, const PlabEvent *events, size_t n_events, gboolean counters)
{
  GString *s = self->line;
  size_t in_line = 0, line_first = 0;
  int line_lane = 0;

  for (size_t i = 0; i < n_events; i++)
    {
      const PlabEvent *e = &events[i];

      if ((e->kind == PLAB_SPAN_COUNTER) != counters)
        continue;
      if (in_line == 0)
        {
          append_id (self, counters ? "counters" : "spans");
          g_string_append_printf (s, ",\"lane\":%d,\"%s\":[", e->lane,
                                  counters ? "samples" : "spans");
          line_first = i;
          line_lane = e->lane;
        }
      else
        g_string_append_c (s, ',');
      append_event (self, e);
      if (++in_line == PLAB_PROGRESS_MAX_BATCH)
        {
          g_string_append (s, "]}");
          if (counters)
            emit_or_drop (self, in_line, &self->samples_dropped);
          else
            emit_spans_or_summarize (self, line_lane, events, line_first, i + 1, in_line);
          in_line = 0;
        }
    }
  if (in_line > 0)
    {
      g_string_append (s, "]}");
      if (counters)
        emit_or_drop (self, in_line, &self->samples_dropped);
      else
        emit_spans_or_summarize (self, line_lane, events, line_first, n_events, in_line);
    }
}

void
plab_progress_events (PlabProgress *self, const PlabEvent *events, size_t n_events)
{
  /* Spans first, then counter samples. */
  write_batches (self, events, n_events, FALSE);
  write_batches (self, events, n_events, TRUE);
}

/* Writes lane @lane's waiting "open" line if the pipe has room for it. */
static void
flush_open (PlabProgress *self, guint lane)
{
  GString *waiting;

  if (lane >= self->open_waiting->len)
    return;
  waiting = g_ptr_array_index (self->open_waiting, lane);
  if (waiting == NULL || self->broken != NULL)
    return;
  if (!release_held (self) || !reader_caught_up (self, waiting->len))
    return;
  g_ptr_array_index (self->open_waiting, lane) = NULL;
  g_string_assign (self->line, waiting->str);
  g_string_free (waiting, TRUE);
  emit (self);
}

void
plab_progress_flush (PlabProgress *self)
{
  guint n_open = self->open_waiting->len;

  flush_busy (self);
  for (guint i = 0; i < n_open; i++)
    flush_open (self, (i + self->flush_turn) % n_open);
}

/* Writes the "busy" lines that wait: the run's clock has stopped, and its
 * reader is told about every span. */
static void
end_busy (PlabProgress *self)
{
  for (guint lane = 0; lane < self->busy->len; lane++)
    emit_busy (self, (int)lane, true);
  g_array_set_size (self->busy, 0);
}

void
plab_progress_open (PlabProgress *self, int lane, const PlabEvent *open, size_t n_open)
{
  GString *s = self->line;

  if (lane < 0)
    return;
  append_id (self, "open");
  g_string_append_printf (s, ",\"lane\":%d,\"spans\":[", lane);
  for (size_t i = 0; i < n_open; i++)
    {
      const PlabEvent *e = &open[i];

      g_string_append_printf (s, "%s[%" G_GINT64_FORMAT ",\"%s\",%" G_GINT64_FORMAT ",",
                              i > 0 ? "," : "", e->start_ns - self->origin_ns,
                              plab_span_kind_name (e->kind), e->task_id);
      plab_json_append_string (s, e->label);
      g_string_append_c (s, ']');
    }
  g_string_append (s, "]}");
  note_left_out (self);

  /* The newest set of the lane replaces one still waiting. */
  if ((guint)lane >= self->open_waiting->len)
    g_ptr_array_set_size (self->open_waiting, lane + 1);
  free_string (g_ptr_array_index (self->open_waiting, lane));
  g_ptr_array_index (self->open_waiting, lane) = g_string_new_len (s->str, (gssize)s->len);
  g_string_truncate (s, 0);
  flush_open (self, (guint)lane);
}

void
plab_progress_run_end (PlabProgress *self,
                       const char *status,
                       int64_t wall_ns,
                       int64_t cpu_ns,
                       bool check_ok,
                       const char *check,
                       const char *error)
{
  GString *s = self->line;

  /* Every span has ended, or never will: nothing is open any more. */
  g_ptr_array_set_size (self->open_waiting, 0);
  end_busy (self);
  append_id (self, "end");
  plab_json_append_string_member (s, "status", status);
  plab_json_append_double_member (s, "wall_s", wall_ns / 1e9);
  plab_json_append_double_member (s, "cpu_s", cpu_ns / 1e9);
  g_string_append_printf (s, ",\"check_ok\":%s,\"check\":", check_ok ? "true" : "false");
  plab_json_append_string (s, check);
  plab_json_append_string_member (s, "error", error && error[0] ? error : NULL);
  if (self->spans_dropped > 0)
    g_string_append_printf (s, ",\"live_spans_dropped\":%" G_GINT64_FORMAT, self->spans_dropped);
  if (self->samples_dropped > 0)
    g_string_append_printf (s, ",\"live_samples_dropped\":%" G_GINT64_FORMAT,
                            self->samples_dropped);
  g_string_append_c (s, '}');
  emit (self);
  self->spans_dropped = 0;
  self->samples_dropped = 0;
}

void
plab_progress_done (PlabProgress *self, int64_t sweep_id, const char *db_path)
{
  GString *s = self->line;

  g_string_append (s, "{\"event\":\"done\",\"sweep\":");
  if (sweep_id > 0)
    g_string_append_printf (s, "%" G_GINT64_FORMAT, sweep_id);
  else
    g_string_append (s, "null");
  plab_json_append_string_member (s, "db", db_path);
  g_string_append_c (s, '}');
  emit (self);
}

void
plab_progress_stalled (PlabProgress *self, const PlabLaneInfo *lane, int64_t idle_ns, bool stopped)
{
  GString *s = self->line;

  append_id (self, "stalled");
  if (lane != NULL)
    g_string_append_printf (s, ",\"lane\":%d,\"pid\":%d", lane->lane, lane->pid);
  else
    g_string_append (s, ",\"lane\":null,\"pid\":null");
  plab_json_append_double_member (s, "idle_s", idle_ns / 1e9);
  g_string_append_printf (s, ",\"stopped\":%s}", stopped ? "true" : "false");
  emit_or_hold (self);
}
