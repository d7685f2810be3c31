/* plab-demo-print.c: workers printing to one stream, without and with a lock.
 *
 * This demo teaches that output is shared state too. Each writer prints
 * lines such as "writer 2 says line 3" to one stream, a piece at a time, as
 * print () writes its arguments and then the newline. Without a lock the
 * pieces of different writers land in between each other and the lines come
 * out mixed up; with a lock held around each whole line every line is whole,
 * and only the order of the lines changes from run to run. The stream is a
 * file all writers share (an unlinked temporary file, so nothing is left
 * behind), read back by the parent once the writers are done.
 */
#include "plab-demo-private.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_print_lesson[]
    = "Writers print lines such as \"writer 2 says line 3\" to one stream, a piece at a time, "
      "as print () writes its arguments and then the newline. Without a lock the pieces of "
      "different writers land in between each other and the Result shows lines cut into each "
      "other. With a lock held around each whole line every line comes out whole; only the "
      "order of the lines still changes from run to run. On the timeline the locked writers "
      "wait for each other, so printing under a lock takes longer.";

enum
{
  PARAM_MODE,
  PARAM_WRITERS,
  PARAM_LINES,
  PARAM_PIECE_MS,
  N_PARAMS
};

static const char *const modes[] = { "both", "no-lock", "lock", NULL };

#define MAX_WRITERS 8
#define SAMPLE_LINES 6

const PlabParamSpec _plab_demo_print_params[N_PARAMS] = {
  [PARAM_MODE]
  = { "mode", PLAB_PARAM_CHOICE, "both: without a lock, then with one; or only one of them", 0, 0,
      0, modes, NULL },
  [PARAM_WRITERS] = { "writers", PLAB_PARAM_INT, "workers printing to the one stream", 3, 1,
                      MAX_WRITERS, NULL, "workers" },
  [PARAM_LINES] = { "lines", PLAB_PARAM_INT, "lines each writer prints", 5, 1, 200, NULL, "lines" },
  [PARAM_PIECE_MS] = { "piece_ms", PLAB_PARAM_INT,
                       "time between the pieces of one line, as a print () of several "
                       "arguments takes",
                       20, 0, 1000, NULL, "ms" },
};

typedef struct
{
  int fd;
  PlabLock *lock; /* NULL: print without one */
  int lines;
  int64_t piece_ns;
} Printing;

typedef struct
{
  Printing *p;
  int index;
} WriterArg;

/* Prints each line in three writes: "writer N", " says line K", "\n". */
static int
writer_cb (PlabCrew *crew, void *arg)
{
  WriterArg *a = arg;
  Printing *p = a->p;

  for (int k = 1; k <= p->lines; k++)
    {
      char pieces[3][32];
      char label[PLAB_LABEL_MAX];
      int64_t t0;

      snprintf (pieces[0], sizeof pieces[0], "writer %d", a->index + 1);
      snprintf (pieces[1], sizeof pieces[1], " says line %d", k);
      snprintf (pieces[2], sizeof pieces[2], "\n");
      if (p->lock && plab_lock_acquire (p->lock, -1) == PLAB_ECANCELLED)
        return 1;
      t0 = plab_now_ns ();
      for (int i = 0; i < 3; i++)
        {
          size_t len = strlen (pieces[i]);

          if (write (p->fd, pieces[i], len) != (ssize_t)len
              || (i < 2 && !_plab_demo_wait (crew, p->piece_ns, PLAB_SPAN_IO, k, NULL)))
            {
              if (p->lock)
                plab_lock_release (p->lock);
              return 1;
            }
        }
      snprintf (label, sizeof label, "print line %d", k);
      plab_span (PLAB_SPAN_IO, t0, plab_now_ns (), k, label);
      if (p->lock)
        plab_lock_release (p->lock);
    }
  return 0;
}

/* What one pass printed, read back from the stream. */
typedef struct
{
  int whole;
  int mixed;
  int newlines; /* one per line printed, mixed up or not */
  char sample[SAMPLE_LINES * 72];
} Printed;

/* Reads back what the writers printed since @from and sorts the lines into
 * whole and mixed-up ones. */
static int
read_back (int fd, off_t from, Printed *out)
{
  off_t end = lseek (fd, 0, SEEK_END);
  char *text = end > from ? malloc ((size_t)(end - from) + 1) : NULL;
  char *line, *save = NULL;
  int n = 0;

  memset (out, 0, sizeof *out);
  if (text == NULL || pread (fd, text, (size_t)(end - from), from) != end - from)
    {
      free (text);
      return PLAB_ESYS;
    }
  text[end - from] = '\0';
  for (off_t i = 0; i < end - from; i++)
    out->newlines += text[i] == '\n';
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save), n++)
    {
      int w, k, used = 0;

      if (sscanf (line, "writer %d says line %d%n", &w, &k, &used) == 2
          && used == (int)strlen (line))
        out->whole++;
      else
        out->mixed++;
      if (n < SAMPLE_LINES)
        {
          size_t at = strlen (out->sample);

          snprintf (out->sample + at, sizeof out->sample - at, "%s%.64s", n ? " | " : "", line);
        }
    }
  free (text);
  return 0;
}

static char *
result_json (const Printed *printed, const bool *ran, int expected)
{
  static const char *const names[2] = { "no-lock", "lock" };
  static const char *const cats[2] = { "without a lock", "with a lock" };
  const char *used[2];
  double values[4], mixed[2]; /* whole lines, then mixed-up ones */
  int k = 0;
  PlabBuf buf;

  plab_buf_init (&buf);
  plab_buf_printf (&buf, "{\"lines\": %d", expected);
  for (int m = 0; m < 2; m++)
    {
      char key[32];

      if (!ran[m])
        continue;
      plab_buf_printf (&buf, ", \"%s_whole\": %d, \"%s_mixed\": %d, ", names[m], printed[m].whole,
                       names[m], printed[m].mixed);
      snprintf (key, sizeof key, "%s_output", names[m]);
      plab_json_write_string (&buf, key);
      plab_buf_append (&buf, ": ");
      plab_json_write_string (&buf, printed[m].sample);
      used[k] = cats[m];
      values[k] = printed[m].whole;
      mixed[k++] = printed[m].mixed;
    }
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "bars", "Lines as they came out of the stream", "", "lines");
  for (int i = 0; i < k; i++)
    values[k + i] = mixed[i];
  _plab_demo_json_bar_table (&buf, used, (size_t)k,
                             (const char *const[]){ "whole lines", "mixed-up lines" }, values, 2);
  plab_buf_append (&buf, ", \"notes\": [");
  for (int m = 0, shown = 0; m < 2; m++)
    if (ran[m])
      _plab_demo_json_note (&buf, shown++, "%s", printed[m].sample);
  plab_buf_append (&buf, "]}}");
  return plab_buf_steal (&buf);
}

int
_plab_demo_print_run (PlabDemoRun *run)
{
  int mode = (int)run->values[PARAM_MODE];
  int writers = (int)run->values[PARAM_WRITERS];
  Printing p = {
    .lines = (int)run->values[PARAM_LINES],
    .piece_ns = (int64_t)run->values[PARAM_PIECE_MS] * 1000000,
  };
  char path[] = "/tmp/plab-print-XXXXXX";
  PlabLock *lock = plab_lock_new ("stdout");
  WriterArg args[MAX_WRITERS];
  Printed printed[2] = { 0 };
  bool ran[2] = { mode != 2, mode != 1 };
  int expected = writers * p.lines;
  PlabCrew *crew = NULL;
  int rc = PLAB_ESYS;

  /* Unlinked at once: the stream lives as long as its descriptor. */
  p.fd = mkstemp (path);
  if (p.fd >= 0)
    unlink (path);
  crew = p.fd >= 0 && lock ? _plab_crew_new (run) : NULL;
  if (crew == NULL)
    {
      snprintf (run->error, sizeof run->error, "cannot make the stream to print to");
      goto fail;
    }
  plab_demo_run_set_tasks_total (run, 0);

  for (int m = 0; m < 2; m++)
    {
      off_t from = lseek (p.fd, 0, SEEK_END);

      if (!ran[m])
        continue;
      p.lock = m == 1 ? lock : NULL;
      rc = 0;
      for (int i = 0; i < writers && rc >= 0; i++)
        {
          args[i] = (WriterArg){ &p, i };
          rc = _plab_crew_startf (crew, writer_cb, &args[i], "writer %d%s", i + 1,
                                  m ? " (lock)" : "");
        }
      if (rc >= 0)
        rc = _plab_crew_join (crew, m ? "join the writers (lock)" : "join the writers");
      if (rc == 0)
        rc = read_back (p.fd, from, &printed[m]);
      if (rc != 0)
        goto fail;
    }

  /* With the lock every line is whole; without it no piece is lost, but
   * the lines may be cut into each other. */
  run->check_ok = (!ran[0] || printed[0].newlines == expected)
                  && (!ran[1] || (printed[1].whole == expected && printed[1].mixed == 0));
  snprintf (run->check_message, sizeof run->check_message,
            "%d lines a pass; without a lock %d mixed up; with a lock %d of them whole", expected,
            ran[0] ? printed[0].mixed : 0, ran[1] ? printed[1].whole : 0);
  run->result_json = result_json (printed, ran, expected);
  rc = 0;

fail:
  _plab_crew_free (crew);
  if (p.fd >= 0)
    close (p.fd);
  plab_lock_free (lock);
  return rc;
}
