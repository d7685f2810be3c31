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
};

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

/* Emits a "spans" or "counters" line of @n items, or leaves it out when the
 * reader is behind (or lines wait for it) and adds @n to *@dropped: the live
 * view is a preview, and the run store gets everything anyway. */
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

static void
emit_or_drop (PlabProgress *self, size_t n, int64_t *dropped)
{
  note_left_out (self);
  if (release_held (self) && room_for (self, self->line->len))
    emit (self);
  else
    {
      *dropped += (int64_t)n;
      g_string_truncate (self->line, 0);
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
                         const char *demo,
                         const char *backend,
                         int workers,
                         int repeat,
                         int64_t sweep_id,
                         uint64_t seed,
                         int64_t origin_ns,
                         const char *params_json)
{
  GString *s = self->line;

  self->run_id = run_id;
  self->origin_ns = origin_ns;
  append_id (self, "run");
  plab_json_append_string_member (s, "demo", demo);
  plab_json_append_string_member (s, "backend", backend);
  g_string_append_printf (s, ",\"workers\":%d,\"repeat\":%d,\"sweep\":", workers, repeat);
  if (sweep_id > 0)
    g_string_append_printf (s, "%" G_GINT64_FORMAT, sweep_id);
  else
    g_string_append (s, "null");
  g_string_append_printf (s,
                          ",\"seed\":%" G_GUINT64_FORMAT ",\"origin_ns\":%" G_GINT64_FORMAT
                          ",\"params\":",
                          seed, origin_ns);
  plab_json_append_object (s, params_json);
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
 * or a counter sample as [time, label, value], times from the run's origin. */
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
  g_string_append_c (s, ']');
}

/* Writes the spans of @events, or with @counters their counter samples, in
 * lines of at most PLAB_PROGRESS_MAX_BATCH. */
static void
write_batches (PlabProgress *self, const PlabEvent *events, size_t n_events, gboolean counters)
{
  GString *s = self->line;
  int64_t *dropped = counters ? &self->samples_dropped : &self->spans_dropped;
  size_t in_line = 0;

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
        }
      else
        g_string_append_c (s, ',');
      append_event (self, e);
      if (++in_line == PLAB_PROGRESS_MAX_BATCH)
        {
          g_string_append (s, "]}");
          emit_or_drop (self, in_line, dropped);
          in_line = 0;
        }
    }
  if (in_line > 0)
    {
      g_string_append (s, "]}");
      emit_or_drop (self, in_line, dropped);
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
  if (!release_held (self) || !room_for (self, waiting->len))
    return;
  g_ptr_array_index (self->open_waiting, lane) = NULL;
  g_string_assign (self->line, waiting->str);
  g_string_free (waiting, TRUE);
  emit (self);
}

void
plab_progress_flush (PlabProgress *self)
{
  for (guint lane = 0; lane < self->open_waiting->len; lane++)
    flush_open (self, lane);
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
