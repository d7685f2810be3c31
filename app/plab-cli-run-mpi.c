/* plab-cli-run-mpi.c: the mpi backend of `plab run`.
 *
 * The runner does not link Open MPI: it starts the demo's ranks with
 * mpirun (plab-mpi-rank, one per worker, on this machine or on the hosts of
 * a host file), reads what every rank records (the line format is
 * described in plab-mpi-rank.c), and puts each rank's spans
 * into a lane of the run's trace named "host:rank", on the runner's clock.
 * The recording engine then stores the run as it stores any other.
 *
 * mpirun forwards the ranks' output in pieces of its own size and writes
 * the pieces of all ranks into its one stdout, where a piece may land in
 * the middle of another rank's line. So it is also told to write each
 * rank's output to a file of its own (--output-filename), which the runner
 * reads as the run goes: the lines there are whole and in order. A rank on
 * another host writes that file on its own host; where the runner never
 * sees it (no shared file system), the rank's lines are read from mpirun's
 * stdout at the end, and a line that another rank's piece cut into is left
 * out. Each rank says how many lines it wrote (its E line, before rank 0's
 * result, which is not counted), so the runner says how many were lost, on
 * stderr and in the run's result ("ranks_from_stdout").
 *
 * A rank's clock is brought to rank 0's with the offset the rank measured
 * at its start; the offset it measured at its end, and the uncertainty of
 * both, go into the run's result ("clock_offsets"). Rank 0's clock is the
 * runner's when rank 0 runs on this host (CLOCK_MONOTONIC is the host's);
 * on another host its hello line is taken as read when it arrived.
 *
 * mpirun runs in a process group of its own: Stop sends the group SIGTERM
 * (mpirun passes it on to every rank, on every host), and SIGKILL after
 * STOP_GRACE_NS. A rank that dies makes mpirun end the others; the line in
 * which mpirun says so names the rank and its host.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "plab-cli-run-private.h"
#include "plab-demo-private.h"
#include "plab-json-writer.h"
#include "plab-mpi-private.h"

#ifdef PLAB_HAVE_MPI

#define POLL_MS 50
#define STOP_GRACE_NS (3 * 1000000000LL)
#define STDERR_KEEP 8192

/* How far a rank's span may lie outside the run, on the runner's clock. */
#define SPAN_SLACK_NS 1000000000LL

typedef struct
{
  int lane; /* -1 until the rank said hello */
  int pid;
  char host[64];
  int64_t offset_ns[2]; /* start, end: the rank's clock minus rank 0's */
  int64_t uncert_ns[2];
  bool have[2];
  bool said_hello;
  bool ended;    /* its lane's end is set: mpirun named how it ended */
  GArray *early; /* PlabEvent: spans that came before the lane, times not yet shifted */
  /* The rank's spans on its lane summed by kind, its setup left out
   * (PLAB_MPI_START_LABEL). */
  int64_t kind_ns[PLAB_N_SPAN_KINDS];
  int64_t lines_read;    /* its lines the runner could read */
  int64_t lines_written; /* as its E line said; -1 until then */
  bool from_stdout;      /* its file was never seen: its lines came from mpirun's stdout */
} MpiRank;

typedef struct
{
  PlabDemoRun *run;
  GArray *ranks; /* MpiRank, by rank */
  int64_t rank0_to_runner_ns;
  int64_t started_ns; /* the runner's clock just before mpirun started */
  int next_lane_rank; /* lanes are made in rank order: the lowest rank without one */
  char here[64];      /* this host's name */
  bool rank0_here;
  char **result;     /* rank 0's R line, split: check_ok, check message, result JSON */
  GString *out_line; /* a partial stdout line */
  GString *err;      /* the end of mpirun's stderr */

  /* Each rank's output file, under out_dir (see the top of this file). */
  char *out_dir;
  GArray *files;       /* RankFile, by rank */
  GPtrArray *fallback; /* per rank, a GPtrArray of its lines on mpirun's stdout */
} MpiReader;

typedef struct
{
  int fd; /* -1 until the file is there */
  GString *partial;
} RankFile;

static MpiRank *
rank_at (MpiReader *self, int rank)
{
  MpiRank blank = { .lane = -1, .lines_written = -1 };

  if (rank < 0 || rank > 4096)
    return NULL;
  while ((int)self->ranks->len <= rank)
    g_array_append_val (self->ranks, blank);
  return &g_array_index (self->ranks, MpiRank, rank);
}

/* How many lines of rank @r, read from mpirun's stdout, were cut and left
 * out; -1 when its E line, which says how many it wrote, never came whole.
 * Spans still waiting for a lane that never came (its hello was cut) are
 * lost too. */
static int64_t
lines_lost (const MpiRank *r)
{
  int64_t stranded = r->early != NULL ? (int64_t)r->early->len : 0;

  return r->lines_written >= 0 ? MAX (r->lines_written - r->lines_read + stranded, 0) : -1;
}

/* A pid names a process of this host only: the recording engine reads a
 * local rank's waits for a core from it, and must not read an unrelated
 * process of the same number for a rank elsewhere. 0 for a rank elsewhere. */
static int
local_pid (const MpiReader *self, const MpiRank *r)
{
  return strcmp (r->host, self->here) == 0 ? r->pid : 0;
}

/* Puts span @e of rank @r on its lane, moved onto the runner's clock.
 * Returns false, and drops it, when it does not lie within the run (a second
 * of slack for the clocks' offsets): a line that other ranks' output cut
 * into can still have the fields of a span, with numbers joined from two
 * lines. */
static bool
append_span (MpiReader *self, MpiRank *r, PlabEvent *e)
{
  int64_t shift = self->rank0_to_runner_ns - (r->have[0] ? r->offset_ns[0] : 0);
  int64_t start, end;

  if (__builtin_add_overflow (e->start_ns, shift, &start)
      || __builtin_add_overflow (e->end_ns, shift, &end) || start < self->started_ns - SPAN_SLACK_NS
      || end > plab_now_ns () + SPAN_SLACK_NS)
    return false;
  e->start_ns = start;
  e->end_ns = end;
  if (e->end_ns > e->start_ns && strcmp (e->label, PLAB_MPI_START_LABEL) != 0)
    r->kind_ns[e->kind] += e->end_ns - e->start_ns;
  plab_trace_append (self->run->trace, r->lane, e);
  return true;
}

/* Gives every rank that said hello, in rank order, its lane "host:rank"
 * and the spans it sent before it had one. */
static void
make_lanes (MpiReader *self)
{
  while (self->next_lane_rank < (int)self->ranks->len)
    {
      MpiRank *r = &g_array_index (self->ranks, MpiRank, self->next_lane_rank);
      char name[PLAB_LANE_NAME_MAX];

      if (!r->said_hello)
        return;
      snprintf (name, sizeof name, "%s:%d", r->host, self->next_lane_rank);
      if (plab_trace_add_lane (self->run->trace, PLAB_LANE_PROCESS, name, &r->lane) != 0)
        r->lane = -1;
      else
        plab_trace_set_lane_end (self->run->trace, r->lane, local_pid (self, r), PLAB_LANE_RUNNING,
                                 0, 0);
      /* Each early span was counted as read when it came. */
      for (guint i = 0; r->early && i < r->early->len; i++)
        if (r->lane < 0 || !append_span (self, r, &g_array_index (r->early, PlabEvent, i)))
          r->lines_read--;
      g_clear_pointer (&r->early, g_array_unref);
      self->next_lane_rank++;
    }
}

static bool
on_hello (MpiReader *self, int rank, char **f, int n)
{
  MpiRank *r = rank_at (self, rank);

  if (r == NULL || n < 3 || r->said_hello)
    return false;
  g_strlcpy (r->host, f[0], sizeof r->host);
  r->pid = atoi (f[1]);
  r->said_hello = true;
  if (rank == 0)
    {
      self->rank0_here = strcmp (self->here, r->host) == 0;
      self->rank0_to_runner_ns = self->rank0_here || n < 4 ? 0 : plab_now_ns () - atoll (f[3]);
    }
  make_lanes (self);
  return true;
}

static bool
on_offset (MpiReader *self, int rank, char **f, int n)
{
  MpiRank *r = rank_at (self, rank);
  int k = n >= 1 && strcmp (f[0], "end") == 0;

  if (r == NULL || n < 3)
    return false;
  r->offset_ns[k] = atoll (f[1]);
  r->uncert_ns[k] = atoll (f[2]);
  r->have[k] = true;
  return true;
}

static bool
on_span (MpiReader *self, int rank, char **f, int n)
{
  MpiRank *r = rank_at (self, rank);
  PlabEvent e = { 0 };
  int kind;

  gint64 v[6];

  /* A line that another rank's output cut into has too many fields or a
   * field that is no number: it is left out, not read as a wrong span. */
  if (r == NULL || n != 7)
    return false;
  for (int i = 0; i < 6; i++)
    if (!g_ascii_string_to_signed (f[i], 10, G_MININT64, G_MAXINT64, &v[i], NULL))
      return false;
  kind = (int)v[0];
  if (kind < 0 || kind >= PLAB_N_SPAN_KINDS || v[2] < v[1] || v[4] < 0 || v[4] > 255)
    return false;
  e.kind = (uint8_t)kind;
  e.start_ns = v[1];
  e.end_ns = v[2];
  e.task_id = v[3];
  e.flow = (uint8_t)v[4];
  e.item = (int)v[5];
  g_strlcpy (e.label, f[6], sizeof e.label);
  if (r->lane >= 0)
    return append_span (self, r, &e);
  if (r->early == NULL)
    r->early = g_array_new (FALSE, FALSE, sizeof (PlabEvent));
  g_array_append_val (r->early, e);
  return true;
}

/* The kinds of span a rank's time went to, bottom to top of its bar in
 * the Result figure: work first, then waits for messages and collectives. */
static const PlabSpanKind figure_kinds[] = {
  PLAB_SPAN_TASK, PLAB_SPAN_SLEEP, PLAB_SPAN_SEND, PLAB_SPAN_RECV, PLAB_SPAN_COLLECTIVE,
};
static const char *const figure_names[] = {
  "computing", "sleeping", "sending", "receiving", "collectives",
};

/* Appends the Result figure of a run whose demo draws none: per rank, a
 * stacked bar of the time its spans took, by kind, in milliseconds. Work
 * against messages is what a distributed run is about: a rank that waits
 * in receives and collectives while another still computes shows how much
 * the distribution costs. A kind no rank recorded (sleep, on most demos) is
 * left out, apart from computing and collectives, and so is the lab's own
 * start (PLAB_MPI_START_LABEL). */
static void
append_rank_figure (MpiReader *self, GString *json)
{
  guint n = self->ranks->len;
  g_autofree double *values = g_new0 (double, n);
  PlabBuf buf;
  int64_t busy = 0, talk = 0;
  bool first = true;

  if (n == 0)
    return;
  plab_buf_init (&buf);
  _plab_demo_json_figure (&buf, "stacked", "Where each rank's time went", "rank", "time (ms)");
  for (guint i = 0; i < n; i++)
    {
      char name[32];
      const char *cat = name;

      snprintf (name, sizeof name, "rank %u", i);
      _plab_demo_json_strings (&buf, &cat, 1);
      if (i + 1 < n)
        plab_buf_append (&buf, ", ");
    }
  plab_buf_append (&buf, "], \"series\": [");
  for (size_t k = 0; k < G_N_ELEMENTS (figure_kinds); k++)
    {
      PlabSpanKind kind = figure_kinds[k];
      int64_t sum = 0;

      for (guint i = 0; i < n; i++)
        {
          int64_t ns = g_array_index (self->ranks, MpiRank, i).kind_ns[kind];

          values[i] = ns / 1e6;
          sum += ns;
        }
      busy += sum;
      if (kind == PLAB_SPAN_SEND || kind == PLAB_SPAN_RECV || kind == PLAB_SPAN_COLLECTIVE)
        talk += sum;
      if (sum == 0 && kind != PLAB_SPAN_TASK && kind != PLAB_SPAN_COLLECTIVE)
        continue;
      plab_buf_append (&buf, first ? "{\"name\": " : ", {\"name\": ");
      plab_json_write_string (&buf, figure_names[k]);
      plab_buf_append (&buf, ", \"span_kind\": ");
      plab_json_write_string (&buf, plab_span_kind_name (kind));
      plab_buf_append (&buf, ", \"values\": ");
      plab_json_write_numbers (&buf, values, n);
      plab_buf_append (&buf, "}");
      first = false;
    }
  plab_buf_append (&buf, "], \"notes\": [");
  plab_buf_printf (&buf,
                   "\"the ranks spent %.1f%% of their recorded time in sends, receives and "
                   "collectives\", \"not counted: the start, where the ranks wait for rank 0 to "
                   "measure the machine's speed\"]}",
                   busy > 0 ? 100.0 * talk / busy : 0.0);
  /* A figure that ran out of memory is left out: the run is whole without it. */
  if (buf.data != NULL && !buf.oom)
    {
      g_string_append (json, ", ");
      g_string_append (json, buf.data);
    }
  plab_buf_clear (&buf);
}

/* Rank 0's result, with every rank's clock offsets (known once all have
 * ended) spliced in before its last brace, and the figure of where the
 * ranks' time went when the demo draws none of its own. */
static void
finish_result (MpiReader *self)
{
  PlabDemoRun *run = self->run;
  PlabJson *parsed;
  GString *json;
  const char *end;

  if (self->result == NULL || g_strv_length (self->result) < 3
      || (end = strrchr (self->result[2], '}')) == NULL)
    return;
  run->check_ok = atoi (self->result[0]) != 0;
  g_strlcpy (run->check_message, self->result[1], sizeof run->check_message);
  json = g_string_new_len (self->result[2], end - self->result[2]);
  g_strchomp (json->str);
  g_string_set_size (json, strlen (json->str));
  /* An empty object ("{}", a rank that ran out of memory) takes no comma. */
  g_string_append (json, g_str_has_suffix (json->str, "{") ? "" : ", ");
  g_string_append (json, "\"clock_offsets\": [");
  for (guint i = 0; i < self->ranks->len; i++)
    {
      MpiRank *r = &g_array_index (self->ranks, MpiRank, i);

      g_string_append_printf (json, "%s{\"rank\": %u, \"host\": ", i ? ", " : "", i);
      plab_json_append_string (json, r->host);
      g_string_append_printf (json,
                              ", \"start_ns\": %" G_GINT64_FORMAT
                              ", \"start_uncertainty_ns\": %" G_GINT64_FORMAT
                              ", \"end_ns\": %" G_GINT64_FORMAT
                              ", \"end_uncertainty_ns\": %" G_GINT64_FORMAT "}",
                              r->offset_ns[0], r->uncert_ns[0], r->offset_ns[1], r->uncert_ns[1]);
    }
  g_string_append (json, "], \"ranks_from_stdout\": [");
  for (guint i = 0, shown = 0; i < self->ranks->len; i++)
    {
      const MpiRank *r = &g_array_index (self->ranks, MpiRank, i);
      int64_t lost = lines_lost (r);

      if (!r->from_stdout)
        continue;
      g_string_append_printf (json, "%s{\"rank\": %u, \"lines_read\": %" G_GINT64_FORMAT,
                              shown++ ? ", " : "", i, r->lines_read);
      if (lost >= 0)
        g_string_append_printf (json, ", \"lines_lost\": %" G_GINT64_FORMAT "}", lost);
      else
        g_string_append (json, ", \"lines_lost\": null}");
    }
  g_string_append (json, "]");
  parsed = plab_json_parse (self->result[2], NULL, 0);
  if (plab_json_get (parsed, "figure") == NULL)
    append_rank_figure (self, json);
  plab_json_free (parsed);
  g_string_append (json, "}");
  g_free (run->result_json);
  run->result_json = g_string_free (json, FALSE);
}

/* @line without its check, or NULL where the check is missing or does not
 * match what comes before it (plab-mpi-private.h). */
static char *
checked_line (const char *line)
{
  const char *tab = strrchr (line, '\t');
  guint64 check;

  if (tab == NULL || strlen (tab + 1) != PLAB_MPI_CHECK_DIGITS
      || !g_ascii_string_to_unsigned (tab + 1, 16, 0, G_MAXUINT32, &check, NULL)
      || check != plab_mpi_line_check (line, (size_t)(tab - line)))
    return NULL;
  return g_strndup (line, (gsize)(tab - line));
}

/* A line of the rank protocol, from a rank's file or, for a rank whose
 * file never came, from mpirun's stdout. */
static void
on_line (MpiReader *self, const char *whole)
{
  g_autofree char *line = NULL;
  g_auto (GStrv) f = NULL;
  MpiRank *r;
  bool read = false;
  int n, rank;

  if (!g_str_has_prefix (whole, "@plab\t") || strstr (whole + 1, "@plab\t") != NULL)
    return; /* two ranks' pieces in one line: neither can be read */
  if ((line = checked_line (whole)) == NULL)
    return; /* cut, and joined to another piece */
  f = g_strsplit (line, "\t", 11);
  n = (int)g_strv_length (f);
  if (n < 3)
    return;
  rank = atoi (f[1]);
  if ((r = rank_at (self, rank)) == NULL)
    return;
  if (!strcmp (f[2], "H"))
    read = on_hello (self, rank, f + 3, n - 3);
  else if (!strcmp (f[2], "O"))
    read = on_offset (self, rank, f + 3, n - 3);
  else if (!strcmp (f[2], "S"))
    read = on_span (self, rank, f + 3, n - 3);
  else if (!strcmp (f[2], "E") && n == 4
           && !g_ascii_string_to_signed (f[3], 10, 0, G_MAXINT64, &r->lines_written, NULL))
    r->lines_written = -1;
  else if (!strcmp (f[2], "R") && rank == 0)
    {
      g_strfreev (self->result);
      g_strfreev (f);
      f = g_strsplit (line, "\t", 6);
      self->result = g_strv_length (f) == 6 ? g_strdupv (f + 3) : NULL;
    }
  if (read)
    r->lines_read++;
}

/* A line of mpirun's stdout: a rank's line is kept for the end, in case
 * its file never comes; anything else is mpirun's or a library's (a demo
 * never prints). */
static void
on_stdout_line (MpiReader *self, const char *line)
{
  gint64 rank;
  const char *tab, *glued;
  GPtrArray **lines;

  /* A piece of one rank that mpirun wrote after the cut-off start of
   * another rank's line begins a line of its own there (rank 0's result,
   * written alone after a barrier, arrives so): the fragment before it is
   * lost, the line after it kept. */
  if ((glued = g_strrstr (line, "@plab\t")) != NULL && glued != line)
    line = glued;
  if (!g_str_has_prefix (line, "@plab\t"))
    {
      g_string_append_printf (self->err, "%s\n", line);
      return;
    }
  tab = strchr (line + 6, '\t');
  if (tab == NULL)
    return;
  {
    g_autofree char *field = g_strndup (line + 6, (gsize)(tab - line - 6));

    if (!g_ascii_string_to_signed (field, 10, 0, self->run->workers - 1, &rank, NULL))
      return;
  }
  if (g_array_index (self->files, RankFile, rank).fd >= 0)
    return; /* its file gives it whole */
  if (self->fallback->len <= (guint)rank)
    g_ptr_array_set_size (self->fallback, (guint)rank + 1);
  lines = (GPtrArray **)&self->fallback->pdata[rank];
  if (*lines == NULL)
    *lines = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (*lines, g_strdup (line));
}

/* Where mpirun writes rank @rank's stdout under out_dir: JOB/rank.N/stdout,
 * JOB being the one folder it made. NULL while there is none. */
static char *
rank_file_path (MpiReader *self, int rank)
{
  g_autoptr (GDir) dir = g_dir_open (self->out_dir, 0, NULL);
  const char *job;

  while (dir != NULL && (job = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *name = g_strdup_printf ("rank.%d", rank);
      char *path = g_build_filename (self->out_dir, job, name, "stdout", NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return path;
      g_free (path);
    }
  return NULL;
}

/* Adds @n bytes of @buf to @partial, handing each whole line to @line_cb
 * (without its newline); what follows the last newline waits in @partial. */
static void
split_lines (MpiReader *self,
             GString *partial,
             const char *buf,
             ssize_t n,
             void (*line_cb) (MpiReader *self, const char *line))
{
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == '\n')
      {
        line_cb (self, partial->str);
        g_string_truncate (partial, 0);
      }
    else
      g_string_append_c (partial, buf[i]);
}

/* Reads what there is on @fd. Returns false at its end. */
static bool
read_fd (MpiReader *self, int fd, bool is_stdout)
{
  char buf[4096];
  ssize_t n = read (fd, buf, sizeof buf);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  if (!is_stdout)
    {
      g_string_append_len (self->err, buf, n);
      return true;
    }
  split_lines (self, self->out_line, buf, n, on_stdout_line);
  return true;
}

/* Reads what has come into each rank's file since the last call, line by
 * line; a file not there yet is looked for again. */
static void
read_rank_files (MpiReader *self)
{
  for (guint r = 0; r < self->files->len; r++)
    {
      RankFile *rf = &g_array_index (self->files, RankFile, r);
      char buf[16384];
      ssize_t n;

      if (rf->fd < 0)
        {
          g_autofree char *path = rank_file_path (self, (int)r);

          if (path == NULL || (rf->fd = open (path, O_RDONLY | O_CLOEXEC)) < 0)
            continue;
        }
      while ((n = read (rf->fd, buf, sizeof buf)) > 0)
        split_lines (self, rf->partial, buf, n, on_line);
    }
}

/* The lines of the ranks whose file the runner never saw, as mpirun's
 * stdout gave them. */
static void
read_fallback (MpiReader *self)
{
  for (guint r = 0; r < self->fallback->len && r < self->files->len; r++)
    {
      GPtrArray *lines = g_ptr_array_index (self->fallback, r);

      if (lines == NULL || g_array_index (self->files, RankFile, r).fd >= 0)
        continue;
      for (guint i = 0; i < lines->len; i++)
        on_line (self, lines->pdata[i]);
      rank_at (self, (int)r)->from_stdout = true;
    }
}

/* Says on stderr, for each rank whose file the runner never saw, that its
 * lines came from mpirun's stdout and how many of them were lost. */
static void
tell_stdout_ranks (MpiReader *self)
{
  for (guint i = 0; i < self->ranks->len; i++)
    {
      const MpiRank *r = &g_array_index (self->ranks, MpiRank, i);
      int64_t lost = lines_lost (r);

      if (!r->from_stdout)
        continue;
      g_autofree char *how
          = lost >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT " of its %" G_GINT64_FORMAT
                                         " lines were cut by other ranks' output there and are "
                                         "left out",
                                         lost, r->lines_written)
                      : g_strdup ("the line in which it counts them did not come whole (or it "
                                  "did not end), so how many were lost is unknown");

      _plab_cli_error ("plab run",
                       "rank %u on %s: its output file was not seen here (no shared file "
                       "system?), so its lines were read from mpirun's stdout; %s",
                       i, r->host[0] ? r->host : "?", how);
    }
}

/* The line in which mpirun names a rank that died, made into one sentence,
 * with the rank's lane marked killed. NULL when there is none. */
static char *
dead_rank (MpiReader *self)
{
  const char *p = strstr (self->err->str, "process rank ");
  int rank, pid, sig = 0;
  char node[128] = "";

  const char *q = strstr (self->err->str, "Process name: [[");
  int job, code;

  /* "Process name: [[27592,1],1]  Exit code: 1": a rank that exited with a
   * failure status; its host is the one it said hello from. */
  if (p == NULL && q != NULL
      && sscanf (q, "Process name: [[%d,%d],%d] Exit code: %d", &job, &pid, &rank, &code) == 4)
    {
      MpiRank *r = rank_at (self, rank);

      if (r && r->lane >= 0)
        {
          plab_trace_set_lane_end (self->run->trace, r->lane, local_pid (self, r), PLAB_LANE_EXITED,
                                   code, 0);
          r->ended = true;
        }
      return g_strdup_printf ("rank %d on host %s exited with status %d", rank,
                              r && r->host[0] ? r->host : "unknown", code);
    }
  if (p == NULL
      || sscanf (p, "process rank %d with PID %d on node %127s exited on signal %d", &rank, &pid,
                 node, &sig)
             < 3)
    return NULL;
  if (sig > 0)
    {
      MpiRank *r = rank_at (self, rank);

      if (r && r->lane >= 0)
        {
          plab_trace_set_lane_end (self->run->trace, r->lane, local_pid (self, r), PLAB_LANE_KILLED,
                                   0, sig);
          r->ended = true;
        }
      return g_strdup_printf ("rank %d on host %s died of signal %d (%s)", rank, node, sig,
                              strsignal (sig));
    }
  return g_strdup_printf ("rank %d on host %s exited early", rank, node);
}

/* The first line of mpirun's complaint worth showing, for a failed launch. */
static char *
launch_problem (MpiReader *self)
{
  static const char *const hints[]
      = { "ssh:", "Could not resolve", "unable to", "not find", "not enough slots", "No such file",
          "ERROR" };
  g_auto (GStrv) lines = g_strsplit (self->err->str, "\n", -1);

  /* A rank's own complaint first: it says what it refused. */
  for (int i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], "plab-mpi-rank: "))
      return g_strstrip (g_strdup (lines[i]));

  for (size_t h = 0; h < G_N_ELEMENTS (hints); h++)
    for (int i = 0; lines[i]; i++)
      if (strstr (lines[i], hints[h]))
        return g_strstrip (g_strdup (lines[i]));
  for (int i = g_strv_length (lines) - 1; i >= 0; i--)
    if (*g_strstrip (lines[i]) && lines[i][0] != '-')
      return g_strdup (lines[i]);
  return g_strdup ("no message");
}

static char *
find_rank_program (void)
{
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *given = g_getenv ("PLAB_MPI_RANK");

  if (given && *given)
    return g_strdup (given);
  if (self_exe)
    {
      g_autofree char *dir = g_path_get_dirname (self_exe);
      char *path = g_build_filename (dir, "plab-mpi-rank", NULL);

      if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
        return path;
      g_free (path);
    }
  return g_find_program_in_path ("plab-mpi-rank");
}

static void
free_lines (gpointer lines)
{
  if (lines != NULL)
    g_ptr_array_unref (lines);
}

/* Removes @path and what is under it (the ranks' output files: a few
 * folders deep). */
static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
child_setup_cb (gpointer user_data)
{
  setpgid (0, 0);
}

static GPtrArray *
mpirun_argv (PlabDemoRun *run,
             const char *mpirun,
             const char *rank_program,
             const char *hosts,
             const char *out_dir)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  char value[64];

  g_ptr_array_add (argv, g_strdup (mpirun));
  g_ptr_array_add (argv, g_strdup ("--output-filename"));
  g_ptr_array_add (argv, g_strdup (out_dir));
  g_ptr_array_add (argv, g_strdup ("-n"));
  g_ptr_array_add (argv, g_strdup_printf ("%d", run->workers));
  /* More ranks than cores is a lesson, not an error. */
  g_ptr_array_add (argv, g_strdup ("--oversubscribe"));
  if (getuid () == 0)
    g_ptr_array_add (argv, g_strdup ("--allow-run-as-root"));
  if (hosts)
    {
      g_ptr_array_add (argv, g_strdup ("--hostfile"));
      g_ptr_array_add (argv, g_strdup (hosts));
      /* A host that asks for a password or does not answer fails the run
       * instead of waiting for ever. */
      g_ptr_array_add (argv, g_strdup ("--mca"));
      g_ptr_array_add (argv, g_strdup ("plm_rsh_args"));
      g_ptr_array_add (argv, g_strdup ("-o BatchMode=yes -o ConnectTimeout=10"));
    }
  g_ptr_array_add (argv, g_strdup (rank_program));
  g_ptr_array_add (argv, g_strdup (run->demo->name));
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GUINT64_FORMAT, run->seed));
  for (size_t i = 0; i < run->demo->n_params; i++)
    {
      plab_param_format (&run->demo->params[i], run->values[i], value, sizeof value);
      g_ptr_array_add (argv, g_strdup_printf ("%s=%s", run->demo->params[i].name, value));
    }
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Waits for mpirun, reading both pipes, passing Stop on. Returns its wait status. */
static int
watch (MpiReader *self, GPid pid, int out_fd, int err_fd)
{
  struct pollfd fds[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
  int64_t term_at = 0;
  int status = 0;

  while (fds[0].fd >= 0 || fds[1].fd >= 0)
    {
      if (self->run->cancel && *self->run->cancel && term_at == 0)
        {
          kill (-pid, SIGTERM);
          term_at = plab_now_ns ();
        }
      if (term_at && plab_now_ns () - term_at > STOP_GRACE_NS)
        kill (-pid, SIGKILL);
      if (poll (fds, 2, POLL_MS) > 0)
        for (int i = 0; i < 2; i++)
          if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
              && !read_fd (self, fds[i].fd, i == 0))
            fds[i].fd = -1;
      read_rank_files (self);
      if (self->err->len > STDERR_KEEP)
        g_string_erase (self->err, 0, self->err->len - STDERR_KEEP);
      plab_trace_drain (self->run->trace);
    }
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  /* A rank left behind in the group (mpirun killed) goes too. */
  kill (-pid, SIGKILL);
  return status;
}

int
_plab_cli_run_mpi (PlabDemoRun *run, const char *hosts)
{
  g_autofree char *mpirun = NULL;
  g_autofree char *rank_program = find_rank_program ();
  g_autoptr (GPtrArray) argv = NULL;
  g_autoptr (GError) error = NULL;
  MpiReader reader = { .run = run };
  const char *given = g_getenv ("PLAB_MPIRUN");
  int64_t t0;
  GPid pid;
  int out_fd, err_fd, status, rc = 0;

  mpirun = given ? g_strdup (given) : g_find_program_in_path ("mpirun");
  if (mpirun == NULL || !g_file_test (mpirun, G_FILE_TEST_IS_EXECUTABLE))
    {
      snprintf (run->error, sizeof run->error,
                "mpirun not found: install Open MPI (Debian: apt install openmpi-bin)");
      return PLAB_ENOTFOUND;
    }
  if (rank_program == NULL)
    {
      snprintf (run->error, sizeof run->error,
                "plab-mpi-rank not found next to plab or on PATH: build plab with Open MPI");
      return PLAB_ENOTFOUND;
    }
  reader.out_dir = g_dir_make_tmp ("plab-mpi-XXXXXX", &error);
  if (reader.out_dir == NULL)
    {
      snprintf (run->error, sizeof run->error, "cannot make a folder for the ranks' output: %s",
                error->message);
      return PLAB_ESYS;
    }
  argv = mpirun_argv (run, mpirun, rank_program, hosts, reader.out_dir);
  reader.started_ns = plab_now_ns ();
  if (!g_spawn_async_with_pipes (NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                 child_setup_cb, NULL, &pid, NULL, &out_fd, &err_fd, &error))
    {
      snprintf (run->error, sizeof run->error, "cannot start mpirun: %s", error->message);
      remove_tree (reader.out_dir);
      g_free (reader.out_dir);
      return PLAB_ESYS;
    }
  reader.files = g_array_new (FALSE, TRUE, sizeof (RankFile));
  g_array_set_size (reader.files, (guint)run->workers);
  for (int r = 0; r < run->workers; r++)
    {
      g_array_index (reader.files, RankFile, r).fd = -1;
      g_array_index (reader.files, RankFile, r).partial = g_string_new (NULL);
    }
  reader.fallback = g_ptr_array_new_with_free_func (free_lines);
  reader.ranks = g_array_new (FALSE, TRUE, sizeof (MpiRank));
  gethostname (reader.here, sizeof reader.here - 1);
  reader.out_line = g_string_new (NULL);
  reader.err = g_string_new (NULL);
  plab_demo_run_set_tasks_total (run, 0);

  t0 = plab_now_ns ();
  status = watch (&reader, pid, out_fd, err_fd);
  plab_span (PLAB_SPAN_WAIT, t0, plab_now_ns (), -1, "mpirun");
  close (out_fd);
  close (err_fd);
  if (reader.out_line->len)
    on_stdout_line (&reader, reader.out_line->str);
  read_rank_files (&reader);
  read_fallback (&reader);
  tell_stdout_ranks (&reader);

  if (run->cancel && *run->cancel)
    {
      snprintf (run->error, sizeof run->error, "cancelled: every rank was stopped");
      rc = PLAB_ECANCELLED;
    }
  else if (!WIFEXITED (status) || WEXITSTATUS (status) != 0 || reader.result == NULL)
    {
      g_autofree char *dead = dead_rank (&reader);
      g_autofree char *why = dead ? NULL : launch_problem (&reader);

      if (dead)
        snprintf (run->error, sizeof run->error, "%s; the other ranks were stopped", dead);
      else if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
        snprintf (run->error, sizeof run->error,
                  "every rank ended, but rank 0's result did not arrive whole%s",
                  rank_at (&reader, 0)->from_stdout
                      ? " (its output file was not seen here, and other ranks' output on "
                        "mpirun's stdout cut into it)"
                      : "");
      else
        snprintf (run->error, sizeof run->error, "mpirun failed (%s %d): %s",
                  WIFEXITED (status) ? "exit status" : "signal",
                  WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status), why);
      rc = PLAB_ETASK;
    }
  if (rc == 0)
    finish_result (&reader);
  for (guint i = 0; i < reader.ranks->len; i++)
    {
      MpiRank *r = &g_array_index (reader.ranks, MpiRank, i);

      /* After a failure or Stop, mpirun ended the ranks still running
       * with SIGTERM. */
      if (r->lane >= 0 && !r->ended)
        plab_trace_set_lane_end (run->trace, r->lane, local_pid (&reader, r),
                                 rc == 0 ? PLAB_LANE_EXITED : PLAB_LANE_KILLED, 0,
                                 rc == 0 ? 0 : SIGTERM);
    }
  plab_trace_drain (run->trace);
  for (guint i = 0; i < reader.ranks->len; i++)
    g_clear_pointer (&g_array_index (reader.ranks, MpiRank, i).early, g_array_unref);
  g_array_unref (reader.ranks);
  g_strfreev (reader.result);
  g_string_free (reader.out_line, TRUE);
  g_string_free (reader.err, TRUE);
  for (guint r = 0; r < reader.files->len; r++)
    {
      RankFile *rf = &g_array_index (reader.files, RankFile, r);

      if (rf->fd >= 0)
        close (rf->fd);
      g_string_free (rf->partial, TRUE);
    }
  g_array_unref (reader.files);
  g_ptr_array_unref (reader.fallback);
  remove_tree (reader.out_dir);
  g_free (reader.out_dir);
  return rc;
}

#else /* !PLAB_HAVE_MPI */

int
_plab_cli_run_mpi (PlabDemoRun *run, const char *hosts)
{
  snprintf (run->error, sizeof run->error,
            "the mpi backend is unavailable: this plab was built without Open MPI (install "
            "libopenmpi-dev and openmpi-bin, then build again)");
  return PLAB_EINVAL;
}

#endif /* PLAB_HAVE_MPI */
