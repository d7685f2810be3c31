/* bench-store.c: how fast the run store takes in and gives back spans.
 *
 * Writes a synthetic run the way a drained trace arrives (batches of one lane,
 * each lane's spans back to back, a few counter samples), then reads it back:
 * every span, and a narrow window in the middle. Prints the figures; it
 * asserts nothing about them.
 *
 *   bench-store [--spans N] [--lanes L] [--batch B] [--db FILE] [--json]
 */
#include "plab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double
seconds_since (int64_t t0)
{
  return (double)(plab_now_ns () - t0) / 1e9;
}

static void
usage (void)
{
  fprintf (stderr, "usage: bench-store [--spans N] [--lanes L] [--batch B] [--db FILE] [--json]\n");
}

int
main (int argc, char **argv)
{
  long n_spans = 1000000, n_lanes = 4, batch = 8192;
  const char *db_path = NULL;
  char tmp_path[] = "/tmp/plab-bench-store-XXXXXX";
  char path[sizeof tmp_path + 16];
  bool json = false, own_dir = false;
  PlabStore *store = NULL;
  PlabRunSpec spec = { .demo = "bench", .backend = "processes", .workers = 4 };
  PlabRunOutcome outcome = { .status = PLAB_RUN_OK, .check_ok = true };
  PlabEvent *events = NULL;
  PlabEvent *read = NULL;
  size_t n_read = 0, n_window = 0;
  int64_t run_id, t0, write_ns = 0, *lane_clock = NULL;
  double write_s, read_s, window_s, open_s;
  long written = 0;
  int rc = 1;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = true;
      else if (strcmp (argv[i], "--spans") == 0 && i + 1 < argc)
        n_spans = atol (argv[++i]);
      else if (strcmp (argv[i], "--lanes") == 0 && i + 1 < argc)
        n_lanes = atol (argv[++i]);
      else if (strcmp (argv[i], "--batch") == 0 && i + 1 < argc)
        batch = atol (argv[++i]);
      else if (strcmp (argv[i], "--db") == 0 && i + 1 < argc)
        db_path = argv[++i];
      else
        {
          usage ();
          return 2;
        }
    }
  if (n_spans < 1 || n_lanes < 1 || n_lanes > 1024 || batch < 1)
    {
      usage ();
      return 2;
    }

  if (db_path == NULL)
    {
      if (mkdtemp (tmp_path) == NULL)
        {
          perror ("mkdtemp");
          return 1;
        }
      own_dir = true;
      snprintf (path, sizeof path, "%s/runs.db", tmp_path);
      db_path = path;
    }

  t0 = plab_now_ns ();
  if (plab_store_open (db_path, PLAB_STORE_READ_WRITE, &store) != 0)
    {
      fprintf (stderr, "bench-store: %s\n", plab_store_open_error ());
      goto out;
    }
  open_s = seconds_since (t0);

  spec.origin_ns = plab_now_ns ();
  if (plab_store_begin_run (store, &spec, &run_id) != 0)
    goto store_error;

  events = calloc ((size_t)batch, sizeof *events);
  lane_clock = calloc ((size_t)n_lanes, sizeof *lane_clock);
  if (events == NULL || lane_clock == NULL)
    goto out;
  for (long l = 0; l < n_lanes; l++)
    lane_clock[l] = spec.origin_ns;

  /* Only the time spent in plab_store_add_events () counts: making up the
   * events is not the store's work. */
  for (long lane = 0; written < n_spans; lane = (lane + 1) % n_lanes)
    {
      long n = n_spans - written < batch ? n_spans - written : batch;

      for (long i = 0; i < n; i++)
        {
          PlabEvent *ev = &events[i];
          int64_t length = 1000 + (written + i) % 5000;

          memset (ev, 0, sizeof *ev);
          ev->lane = (uint16_t)lane;
          /* One sample in 64 is a counter, the rest are tasks and waits. */
          if ((written + i) % 64 == 63)
            {
              ev->kind = PLAB_SPAN_COUNTER;
              ev->start_ns = ev->end_ns = lane_clock[lane];
              ev->task_id = (written + i) % 17;
              snprintf (ev->label, sizeof ev->label, "queue depth");
            }
          else
            {
              ev->kind = (written + i) % 3 == 0 ? PLAB_SPAN_QUEUE_WAIT : PLAB_SPAN_TASK;
              ev->start_ns = lane_clock[lane];
              ev->end_ns = ev->start_ns + length;
              ev->task_id = written + i;
              if (ev->kind == PLAB_SPAN_TASK)
                snprintf (ev->label, sizeof ev->label, "x=%ld", written + i);
              lane_clock[lane] = ev->end_ns + 200;
            }
        }
      t0 = plab_now_ns ();
      if (plab_store_add_events (store, run_id, events, (size_t)n) != 0)
        goto store_error;
      write_ns += plab_now_ns () - t0;
      written += n;
    }
  write_s = (double)write_ns / 1e9;

  outcome.wall_ns = lane_clock[0] - spec.origin_ns;
  if (plab_store_finish_run (store, run_id, &outcome) != 0)
    goto store_error;

  t0 = plab_now_ns ();
  if (plab_store_get_spans (store, run_id, 0, INT64_MAX, &read, &n_read) != 0)
    goto store_error;
  read_s = seconds_since (t0);
  free (read);
  read = NULL;

  /* A window of a thousandth of the run, as a zoomed-in timeline asks for. */
  {
    int64_t span = outcome.wall_ns;
    int64_t from = span / 2, to = span / 2 + span / 1000;

    t0 = plab_now_ns ();
    if (plab_store_get_spans (store, run_id, from, to, &read, &n_window) != 0)
      goto store_error;
    window_s = seconds_since (t0);
  }

  if (json)
    printf ("{\"spans\": %ld, \"lanes\": %ld, \"batch\": %ld, \"open_s\": %.6f, "
            "\"write_s\": %.6f, \"write_spans_per_s\": %.0f, \"read_all\": %zu, "
            "\"read_all_s\": %.6f, \"read_spans_per_s\": %.0f, \"window_spans\": %zu, "
            "\"window_s\": %.6f}\n",
            n_spans, n_lanes, batch, open_s, write_s, n_spans / write_s, n_read, read_s,
            n_read / read_s, n_window, window_s);
  else
    {
      printf ("store: open %.3f s\n", open_s);
      printf ("store: %ld spans in %.2f s = %.2f M spans/s (%ld lanes, batches of %ld)\n", n_spans,
              write_s, n_spans / write_s / 1e6, n_lanes, batch);
      printf ("store: read %zu spans in %.2f s = %.2f M spans/s\n", n_read, read_s,
              n_read / read_s / 1e6);
      printf ("store: window of 1/1000 of the run: %zu spans in %.2f ms\n", n_window,
              window_s * 1e3);
    }
  rc = 0;
  goto out;

store_error:
  fprintf (stderr, "bench-store: %s\n", plab_store_errmsg (store));
out:
  free (read);
  free (events);
  free (lane_clock);
  plab_store_close (store);
  if (own_dir)
    {
      char side[sizeof path + 8];

      unlink (path);
      snprintf (side, sizeof side, "%s-wal", path);
      unlink (side);
      snprintf (side, sizeof side, "%s-shm", path);
      unlink (side);
      rmdir (tmp_path);
    }
  return rc;
}
