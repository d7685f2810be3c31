/* plab-runner-client.c: the window's client of the runner: a demo run in a
 * child process (`plab run ... --progress`), read as it happens. */
#include "plab-runner-client.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* For the stream's JSON reader (ui/plab-json.h; app/plab-json.h only writes). */
#include "plab-chart-export.h"
#include "plab-timeline-chart.h"

/* The last lines of the runner's stderr that a failure message quotes. */
#define MESSAGE_MAX_LINES 3

struct _PlabRunnerClient
{
  GObject parent_instance;

  /* Owned */
  char *program;
  char *db_path;
  char *command_line;
  GSubprocess *process;
  GDataInputStream *events;
  GMemoryOutputStream *errors;
  GCancellable *cancellable;
  GArray *batch; /* PlabEvent, reused for every spans line */
  guint kill_source;

  /* Set while a launch is in progress */
  int pending; /* stdout, stderr and the exit still to come */
  int pid;
  gboolean stop_requested;
  gboolean saw_done;
  char *last_status; /* status of the last "end" event */
  char *last_error;
  gint64 left_out;  /* spans and samples the stream left out of this run so far */
  gint64 origin_ns; /* the run's origin, CLOCK_MONOTONIC */
  guint slow_ms;    /* test builds: a pause before each line, for a reader that falls behind */
};

G_DEFINE_FINAL_TYPE (PlabRunnerClient, plab_runner_client, G_TYPE_OBJECT)

enum
{
  RUN_STARTED,
  LANE,
  EVENTS,
  OPEN,
  BUSY,
  LEFT_OUT,
  RUN_ENDED,
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void read_next_line (PlabRunnerClient *self);

static void
parse_lane (PlabRunnerClient *self, const PlabJson *obj)
{
  PlabLaneInfo lane;
  const char *end = plab_json_string (plab_json_get (obj, "end"), "running");
  const char *kind = plab_json_string (plab_json_get (obj, "kind"), "main");

  memset (&lane, 0, sizeof lane);
  lane.lane = (int)plab_json_number (plab_json_get (obj, "lane"), 0);
  lane.kind = !strcmp (kind, "process")  ? PLAB_LANE_PROCESS
              : !strcmp (kind, "thread") ? PLAB_LANE_THREAD
                                         : PLAB_LANE_MAIN;
  lane.pid = (int)plab_json_number (plab_json_get (obj, "pid"), 0);
  lane.tid = (int)plab_json_number (plab_json_get (obj, "tid"), 0);
  g_strlcpy (lane.name, plab_json_string (plab_json_get (obj, "name"), ""), sizeof lane.name);
  lane.end = !strcmp (end, "exited")   ? PLAB_LANE_EXITED
             : !strcmp (end, "killed") ? PLAB_LANE_KILLED
                                       : PLAB_LANE_RUNNING;
  lane.exit_code = (int)plab_json_number (plab_json_get (obj, "code"), 0);
  lane.exit_signal = (int)plab_json_number (plab_json_get (obj, "signal"), 0);
  g_signal_emit (self, signals[LANE], 0, &lane);
}

/* Reads the "spans" of @obj into self->batch: rows [start, end, "kind",
 * task, "label"] when @has_end, with "put" or "get" and the item after the
 * label when the span moves one, else [start, "kind", task, "label"] (a span
 * still open, its end set to its start). A row too short or of an unknown
 * kind is skipped. Returns the lane they are on. */
static int
parse_span_rows (PlabRunnerClient *self, const PlabJson *obj, bool has_end)
{
  const PlabJson *spans = plab_json_get (obj, "spans");
  int lane = (int)plab_json_number (plab_json_get (obj, "lane"), 0);
  size_t col = has_end ? 1 : 0;

  g_array_set_size (self->batch, 0);
  for (size_t i = 0; i < plab_json_length (spans); i++)
    {
      const PlabJson *s = plab_json_at (spans, i);
      PlabEvent ev;
      int kind = plab_span_kind_from_name (plab_json_string (plab_json_at (s, col + 1), ""));

      if (plab_json_length (s) < col + 4 || kind < 0)
        continue;
      memset (&ev, 0, sizeof ev);
      ev.start_ns = (int64_t)plab_json_number (plab_json_at (s, 0), 0);
      ev.end_ns = (int64_t)plab_json_number (plab_json_at (s, col), 0);
      ev.kind = (uint8_t)kind;
      ev.task_id = (int64_t)plab_json_number (plab_json_at (s, col + 2), -1);
      ev.lane = (uint16_t)lane;
      g_strlcpy (ev.label, plab_json_string (plab_json_at (s, col + 3), ""), sizeof ev.label);
      ev.item = -1;
      if (has_end && plab_json_length (s) >= col + 6)
        {
          const char *flow = plab_json_string (plab_json_at (s, col + 4), "");
          double item = plab_json_number (plab_json_at (s, col + 5), -1);

          if (item >= 0 && item <= G_MAXINT32)
            {
              ev.flow = !g_strcmp0 (flow, "put")   ? PLAB_FLOW_PUT
                        : !g_strcmp0 (flow, "get") ? PLAB_FLOW_GET
                                                   : PLAB_FLOW_NONE;
              ev.item = ev.flow != PLAB_FLOW_NONE ? (int32_t)item : -1;
            }
        }
      g_array_append_val (self->batch, ev);
    }
  return lane;
}

static void
parse_spans (PlabRunnerClient *self, const PlabJson *obj)
{
  parse_span_rows (self, obj, true);
  if (self->batch->len > 0)
    g_signal_emit (self, signals[EVENTS], 0, self->batch->data, self->batch->len);
}

static void
parse_open (PlabRunnerClient *self, const PlabJson *obj)
{
  int lane = parse_span_rows (self, obj, false);

  g_signal_emit (self, signals[OPEN], 0, lane, self->batch->data, self->batch->len);
}

/* Lines written after some were left out say how many so far. */
static void
parse_left_out (PlabRunnerClient *self, const PlabJson *obj)
{
  const PlabJson *left_out = plab_json_get (obj, "left_out");
  gint64 n = (gint64)plab_json_number (left_out, 0);

  if (n > self->left_out)
    {
      self->left_out = n;
      g_signal_emit (self, signals[LEFT_OUT], 0, n);
    }
}

/* What the spans the stream left out of a lane covered: an interval per
 * bin of its busy time, the kinds shared out as over the whole. */
static void
parse_busy (PlabRunnerClient *self, const PlabJson *obj)
{
  const PlabJson *kinds = plab_json_get (obj, "kinds");
  const PlabJson *bins = plab_json_get (obj, "bins");
  gint64 bin0 = (gint64)plab_json_number (plab_json_get (obj, "bin0"), 0);
  gint64 bin_ns = (gint64)plab_json_number (plab_json_get (obj, "bin_ns"), 0);
  g_autoptr (GArray) out = g_array_new (FALSE, FALSE, sizeof (PlabTimelineCoverage));
  PlabTimelineCoverage whole;
  gint64 busy = 0;

  memset (&whole, 0, sizeof whole);
  whole.lane = (int)plab_json_number (plab_json_get (obj, "lane"), -1);
  whole.start_ns = (gint64)plab_json_number (plab_json_get (obj, "start"), 0);
  whole.end_ns = (gint64)plab_json_number (plab_json_get (obj, "end"), 0);
  if (whole.lane < 0 || whole.lane > G_MAXUINT16 || whole.end_ns < whole.start_ns)
    return;
  for (int k = 0; k < PLAB_N_SPAN_KINDS; k++)
    {
      const PlabJson *v = plab_json_get (kinds, plab_span_kind_name (k));

      whole.busy_ns[k] = MAX (0, (gint64)plab_json_number (plab_json_at (v, 0), 0));
      whole.count[k] = MAX (0, (gint64)plab_json_number (plab_json_at (v, 1), 0));
      busy += whole.busy_ns[k];
    }
  /* Without bins (or busy time to share), the interval as one. */
  if (bin_ns <= 0 || plab_json_length (bins) == 0 || busy <= 0)
    g_array_append_val (out, whole);
  for (size_t i = 0; bin_ns > 0 && busy > 0 && i < plab_json_length (bins); i++)
    {
      double share = plab_json_number (plab_json_at (bins, i), 0) / (double)busy;
      PlabTimelineCoverage c = whole;

      c.start_ns = MAX (whole.start_ns, bin0 + (gint64)i * bin_ns);
      c.end_ns = MIN (whole.end_ns, bin0 + (gint64)(i + 1) * bin_ns);
      if (c.end_ns <= c.start_ns || share <= 0)
        continue;
      for (int k = 0; k < PLAB_N_SPAN_KINDS; k++)
        {
          c.busy_ns[k] = (gint64)(whole.busy_ns[k] * share);
          c.count[k] = (gint64)ceil (whole.count[k] * share);
        }
      g_array_append_val (out, c);
    }
  if (out->len > 0)
    g_signal_emit (self, signals[BUSY], 0, out->data, out->len);
}

/* [t, "name", value] */
static void
parse_counters (PlabRunnerClient *self, const PlabJson *obj)
{
  const PlabJson *samples = plab_json_get (obj, "samples");
  int lane = (int)plab_json_number (plab_json_get (obj, "lane"), 0);

  g_array_set_size (self->batch, 0);
  for (size_t i = 0; i < plab_json_length (samples); i++)
    {
      const PlabJson *s = plab_json_at (samples, i);
      PlabEvent ev;

      if (plab_json_length (s) < 3)
        continue;
      memset (&ev, 0, sizeof ev);
      ev.start_ns = ev.end_ns = (int64_t)plab_json_number (plab_json_at (s, 0), 0);
      ev.kind = PLAB_SPAN_COUNTER;
      ev.lane = (uint16_t)lane;
      g_strlcpy (ev.label, plab_json_string (plab_json_at (s, 1), ""), sizeof ev.label);
      ev.task_id = (int64_t)plab_json_number (plab_json_at (s, 2), 0);
      g_array_append_val (self->batch, ev);
    }
  if (self->batch->len > 0)
    g_signal_emit (self, signals[EVENTS], 0, self->batch->data, self->batch->len);
}

/* The events that carry a batch of the live stream: each also says how much
 * the runner has left out of the stream so far. */
static const struct
{
  const char *event;
  void (*parse) (PlabRunnerClient *self, const PlabJson *obj);
} batch_events[] = {
  { "spans", parse_spans },
  { "counters", parse_counters },
  { "busy", parse_busy },
  { "open", parse_open },
};

static gboolean
parse_batch (PlabRunnerClient *self, const char *event, const PlabJson *obj)
{
  for (gsize i = 0; i < G_N_ELEMENTS (batch_events); i++)
    if (!strcmp (event, batch_events[i].event))
      {
        parse_left_out (self, obj);
        batch_events[i].parse (self, obj);
        return TRUE;
      }
  return FALSE;
}

static void
parse_line (PlabRunnerClient *self, const char *line)
{
  PlabJson *obj = plab_json_parse (line, NULL, 0);
  const char *event = plab_json_string (plab_json_get (obj, "event"), NULL);

  /* Lines that are not events (there should be none) are skipped, as the
   * stream's contract asks readers to skip what they do not know. */
  if (event == NULL || parse_batch (self, event, obj))
    goto out;
  if (!strcmp (event, "run"))
    {
      const PlabJson *sweep = plab_json_get (obj, "sweep");

      self->left_out = 0;
      self->origin_ns = (gint64)plab_json_number (plab_json_get (obj, "origin_ns"), 0);
      g_signal_emit (self, signals[RUN_STARTED], 0,
                     (gint64)plab_json_number (plab_json_get (obj, "id"), 0),
                     plab_json_string (plab_json_get (obj, "demo"), ""),
                     plab_json_string (plab_json_get (obj, "backend"), ""),
                     (int)plab_json_number (plab_json_get (obj, "workers"), 0),
                     (gint64)plab_json_number (sweep, 0));
    }
  else if (!strcmp (event, "lane"))
    parse_lane (self, obj);
  else if (!strcmp (event, "end"))
    {
      const char *status = plab_json_string (plab_json_get (obj, "status"), "failed");
      const char *error = plab_json_string (plab_json_get (obj, "error"), NULL);

      /* The end counts what was left out, spans and samples apart. */
      {
        gint64 n = (gint64)plab_json_number (plab_json_get (obj, "live_spans_dropped"), 0)
                   + (gint64)plab_json_number (plab_json_get (obj, "live_samples_dropped"), 0);

        if (n > self->left_out)
          {
            self->left_out = n;
            g_signal_emit (self, signals[LEFT_OUT], 0, n);
          }
      }
      g_free (self->last_status);
      self->last_status = g_strdup (status);
      g_free (self->last_error);
      self->last_error = g_strdup (error);
      g_signal_emit (self, signals[RUN_ENDED], 0,
                     (gint64)plab_json_number (plab_json_get (obj, "id"), 0), status, error,
                     plab_json_number (plab_json_get (obj, "wall_s"), 0),
                     plab_json_string (plab_json_get (obj, "check"), NULL));
    }
  else if (!strcmp (event, "done"))
    self->saw_done = TRUE;

out:
  plab_json_free (obj);
}

/* The last few non-empty lines of what the runner wrote on stderr. */
static char *
error_text (PlabRunnerClient *self)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  guint n, first, kept = 0;

  /* A runner killed before it wrote anything has no stderr at all. */
  if (self->errors == NULL || g_memory_output_stream_get_data_size (self->errors) == 0)
    return NULL;
  text = g_strndup (g_memory_output_stream_get_data (self->errors),
                    g_memory_output_stream_get_data_size (self->errors));
  lines = g_strsplit (g_strstrip (text), "\n", -1);
  n = g_strv_length (lines);
  first = n > MESSAGE_MAX_LINES ? n - MESSAGE_MAX_LINES : 0;
  for (guint i = first; i < n; i++)
    {
      const char *line = lines[i];

      /* The command line names itself for a terminal; the window need not. */
      if (g_str_has_prefix (line, "plab run: "))
        line += strlen ("plab run: ");
      if (line[0] != '\0')
        g_string_append_printf (out, "%s%s", kept++ ? "\n" : "", line);
    }
  return out->len > 0 ? g_strdup (out->str) : NULL;
}

/* Called as each of stdout, stderr and the exit completes; the last one reports. */
static void
step_done (PlabRunnerClient *self)
{
  g_autofree char *message = NULL;
  const char *status = "ok";

  if (--self->pending > 0)
    return;

  g_clear_handle_id (&self->kill_source, g_source_remove);
  if (self->process == NULL)
    return;

  if (g_subprocess_get_if_signaled (self->process))
    {
      int sig = g_subprocess_get_term_sig (self->process);
      status = self->stop_requested ? "cancelled" : "failed";
      if (!self->stop_requested)
        {
          g_autofree char *err = error_text (self);
          message = g_strdup_printf ("The runner was killed by signal %d (%s)%s%s", sig,
                                     g_strsignal (sig), err ? ":\n" : "", err ? err : "");
        }
      else
        message = g_strdup ("Stopped. The runner did not exit in time and was killed.");
    }
  else if (g_subprocess_get_exit_status (self->process) != 0)
    {
      int code = g_subprocess_get_exit_status (self->process);
      if (self->stop_requested || g_strcmp0 (self->last_status, "cancelled") == 0)
        {
          status = "cancelled";
          message = g_strdup ("Stopped. The run is recorded as cancelled.");
        }
      else
        {
          status = "failed";
          message = error_text (self);
          if (message == NULL)
            message = g_strdup (self->last_error);
          if (message == NULL)
            message = g_strdup_printf ("The runner exited with status %d", code);
        }
    }
  else if (g_strcmp0 (self->last_status, "ok") != 0 && self->last_status != NULL)
    {
      status = self->last_status;
      message = g_strdup (self->last_error);
    }

  self->pid = 0;
  g_clear_object (&self->process);
  g_clear_object (&self->events);
  g_object_ref (self);
  g_signal_emit (self, signals[FINISHED], 0, status, message);
  g_clear_object (&self->errors);
  g_object_unref (self);
}

#ifdef PLAB_TEST_HOOKS
static gboolean
read_later_cb (gpointer user_data)
{
  PlabRunnerClient *self = user_data;

  if (self->events != NULL && !g_cancellable_is_cancelled (self->cancellable))
    read_next_line (self);
  return G_SOURCE_REMOVE;
}
#endif

static void
read_line_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PlabRunnerClient *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  gsize len;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, &len,
                                                    &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  if (line == NULL)
    {
      /* End of the stream (or a broken pipe): the runner is exiting. */
      step_done (self);
      g_object_unref (self);
      return;
    }
  parse_line (self, line);
#ifdef PLAB_TEST_HOOKS
  /* The next line is read a while later; the window goes on meanwhile. */
  if (self->slow_ms > 0 && self->process != NULL)
    {
      g_timeout_add_full (G_PRIORITY_DEFAULT, self->slow_ms, read_later_cb, g_object_ref (self),
                          g_object_unref);
      g_object_unref (self);
      return;
    }
#endif
  read_next_line (self);
  g_object_unref (self);
}

static void
read_next_line (PlabRunnerClient *self)
{
  g_data_input_stream_read_line_async (self->events, G_PRIORITY_DEFAULT, self->cancellable,
                                       read_line_cb, g_object_ref (self));
}

/* Ends a step whose call finished with @error (NULL when it went well): a
 * cancelled step is not counted. Drops the reference the call held. */
static void
step_finished (PlabRunnerClient *self, const GError *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    step_done (self);
  g_object_unref (self);
}

static void
splice_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, &error);
  step_finished (user_data, error);
}

static void
wait_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error);
  step_finished (user_data, error);
}

/* Runs in the runner between fork and exec. The runner must not outlive
 * the lab: a lab that is killed, or crashes, cannot stop its run, so the
 * kernel sends the runner SIGHUP when the lab goes (PR_SET_PDEATHSIG), and
 * the runner cancels its run, records it as cancelled and exits as on Stop.
 * (The broken progress stream stops the runner too, but only at its next
 * write, and a demo can go a long time without writing.) The signal follows
 * the thread that forked, the main thread here, which lives as long as the
 * process; the kernel may send it again as it hands the runner to another
 * thread of the dying lab, which is why it is SIGHUP, which the runner never
 * counts as a second, impatient signal. A lab that died before prctl took
 * effect shows in getppid (). Only async-signal-safe calls here. */
static void
runner_child_setup (gpointer user_data)
{
  pid_t lab = (pid_t)GPOINTER_TO_INT (user_data);

  prctl (PR_SET_PDEATHSIG, SIGHUP);
  if (getppid () != lab)
    _exit (128 + SIGHUP);
}

gboolean
plab_runner_client_start (PlabRunnerClient *self, const char *const *args, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  GInputStream *err_pipe;
  const char *pid_text;

  g_return_val_if_fail (PLAB_IS_RUNNER_CLIENT (self), FALSE);

  if (plab_runner_client_is_running (self))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, "A run is already going");
      return FALSE;
    }

  g_ptr_array_add (argv, self->program);
  g_ptr_array_add (argv, (char *)"run");
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *)args[i]);
  g_ptr_array_add (argv, (char *)"--db");
  g_ptr_array_add (argv, self->db_path);
  g_ptr_array_add (argv, (char *)"--progress");
  g_ptr_array_add (argv, NULL);

  g_free (self->command_line);
  self->command_line = g_strjoinv (" ", (char **)argv->pdata + 1);

  launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, runner_child_setup,
                                         GINT_TO_POINTER ((int)getpid ()), NULL);
  self->process = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, error);
  if (self->process == NULL)
    return FALSE;

#ifdef PLAB_TEST_HOOKS
  /* Tests make the window's reader fall behind the runner with
   * PLAB_TEST_SLOW_READER_MS: a pause before every line read, in which the
   * window goes on as usual. */
  self->slow_ms
      = (guint)CLAMP (g_ascii_strtoll (g_getenv ("PLAB_TEST_SLOW_READER_MS") ?: "0", NULL, 10), 0,
                      10000);
#endif
  pid_text = g_subprocess_get_identifier (self->process);
  self->pid = pid_text ? atoi (pid_text) : 0;
  self->stop_requested = FALSE;
  self->saw_done = FALSE;
  g_clear_pointer (&self->last_status, g_free);
  g_clear_pointer (&self->last_error, g_free);
  g_cancellable_reset (self->cancellable);

  self->events = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  /* Spans lines can be long (a thousand spans); no limit is wanted. */
  g_buffered_input_stream_set_buffer_size (G_BUFFERED_INPUT_STREAM (self->events), 64 * 1024);
  self->errors = G_MEMORY_OUTPUT_STREAM (g_memory_output_stream_new_resizable ());
  err_pipe = g_subprocess_get_stderr_pipe (self->process);

  self->pending = 3;
  read_next_line (self);
  g_output_stream_splice_async (G_OUTPUT_STREAM (self->errors), err_pipe,
                                G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE
                                    | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                G_PRIORITY_DEFAULT, self->cancellable, splice_cb,
                                g_object_ref (self));
  g_subprocess_wait_async (self->process, self->cancellable, wait_cb, g_object_ref (self));
  return TRUE;
}

static gboolean
kill_cb (gpointer user_data)
{
  PlabRunnerClient *self = user_data;

  self->kill_source = 0;
  if (self->process != NULL)
    g_subprocess_force_exit (self->process);
  return G_SOURCE_REMOVE;
}

void
plab_runner_client_stop (PlabRunnerClient *self)
{
  g_return_if_fail (PLAB_IS_RUNNER_CLIENT (self));

  if (self->process == NULL || self->stop_requested)
    return;
  self->stop_requested = TRUE;
  g_subprocess_send_signal (self->process, SIGTERM);
  self->kill_source = g_timeout_add (PLAB_RUNNER_CLIENT_KILL_DELAY_MS, kill_cb, self);
}

gboolean
plab_runner_client_is_running (PlabRunnerClient *self)
{
  g_return_val_if_fail (PLAB_IS_RUNNER_CLIENT (self), FALSE);
  return self->process != NULL;
}

int
plab_runner_client_get_pid (PlabRunnerClient *self)
{
  g_return_val_if_fail (PLAB_IS_RUNNER_CLIENT (self), 0);
  return self->pid;
}

gint64
plab_runner_client_get_origin_ns (PlabRunnerClient *self)
{
  g_return_val_if_fail (PLAB_IS_RUNNER_CLIENT (self), 0);
  return self->origin_ns;
}

const char *
plab_runner_client_get_command_line (PlabRunnerClient *self)
{
  g_return_val_if_fail (PLAB_IS_RUNNER_CLIENT (self), NULL);
  return self->command_line;
}

static void
plab_runner_client_dispose (GObject *object)
{
  PlabRunnerClient *self = PLAB_RUNNER_CLIENT (object);

  /* A window closing mid-run takes its run with it: the runner sees its
   * stream break and cancels, and SIGKILL makes sure it does. */
  if (self->process != NULL)
    {
      g_subprocess_send_signal (self->process, SIGTERM);
      g_subprocess_force_exit (self->process);
    }
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->kill_source, g_source_remove);
  g_clear_object (&self->process);
  g_clear_object (&self->events);
  g_clear_object (&self->errors);
  G_OBJECT_CLASS (plab_runner_client_parent_class)->dispose (object);
}

static void
plab_runner_client_finalize (GObject *object)
{
  PlabRunnerClient *self = PLAB_RUNNER_CLIENT (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->batch, g_array_unref);
  g_free (self->program);
  g_free (self->db_path);
  g_free (self->command_line);
  g_free (self->last_status);
  g_free (self->last_error);
  G_OBJECT_CLASS (plab_runner_client_parent_class)->finalize (object);
}

static void
plab_runner_client_class_init (PlabRunnerClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = plab_runner_client_dispose;
  object_class->finalize = plab_runner_client_finalize;

  signals[RUN_STARTED] = g_signal_new ("run-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 5, G_TYPE_INT64,
                                       G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT, G_TYPE_INT64);
  signals[LANE] = g_signal_new ("lane", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[EVENTS] = g_signal_new ("events", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                  NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_UINT);
  signals[OPEN] = g_signal_new ("open", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                NULL, G_TYPE_NONE, 3, G_TYPE_INT, G_TYPE_POINTER, G_TYPE_UINT);
  signals[BUSY] = g_signal_new ("busy", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_UINT);
  signals[LEFT_OUT] = g_signal_new ("left-out", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[RUN_ENDED] = g_signal_new ("run-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 5, G_TYPE_INT64, G_TYPE_STRING,
                                     G_TYPE_STRING, G_TYPE_DOUBLE, G_TYPE_STRING);
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
plab_runner_client_init (PlabRunnerClient *self)
{
  self->cancellable = g_cancellable_new ();
  self->batch = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
}

PlabRunnerClient *
plab_runner_client_new (const char *program, const char *db_path)
{
  PlabRunnerClient *self = g_object_new (PLAB_TYPE_RUNNER_CLIENT, NULL);

  self->program = g_strdup (program);
  self->db_path = g_strdup (db_path);
  return self;
}
