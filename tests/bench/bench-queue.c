/* bench-queue.c: one producer process and one consumer process moving
 * messages through a PlabQueue, with nothing else in the run, for a profiler
 * to look at the queue alone.
 *
 *   build/tests/bench/bench-queue SIZE MESSAGES ROUNDS
 *
 * SIZE is the message size in bytes (at least 8), MESSAGES how many one
 * round moves, ROUNDS how many rounds one queue makes. Prints each round's
 * rate. `plab bench core` measures the same transfer next to a raw ring
 * (queue_small, queue_64b, queue_4k, queue_large).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plab.h"

typedef struct
{
  PlabQueue *queue;
  size_t size;
  size_t n_messages;
} Job;

/* The consumer checks each message's size and the sequence number it starts
 * with, as the benchmark does. */
static int
consume (void *arg)
{
  Job *job = arg;
  unsigned char *buf = malloc (job->size);
  int bad = buf == NULL;

  for (size_t i = 0; i < job->n_messages && !bad; i++)
    {
      size_t size;
      uint64_t seq;

      bad = plab_queue_get (job->queue, buf, job->size, &size, -1) != 0 || size != job->size;
      memcpy (&seq, buf, sizeof seq);
      bad |= seq != i;
    }
  free (buf);
  return bad;
}

int
main (int argc, char **argv)
{
  Job job;
  unsigned char *msg;
  int rounds, rc = 0;

  if (argc != 4 || atol (argv[1]) < 8 || atol (argv[2]) < 1 || (rounds = atoi (argv[3])) < 1)
    {
      fprintf (stderr, "usage: %s SIZE MESSAGES ROUNDS (SIZE >= 8)\n", argv[0]);
      return 2;
    }
  job.size = (size_t)atol (argv[1]);
  job.n_messages = (size_t)atol (argv[2]);
  /* The benchmark's ring: 1 MiB. */
  job.queue = plab_queue_new ("bench", 0, 1u << 20);
  msg = calloc (1, job.size);
  if (job.queue == NULL || msg == NULL)
    return 1;
  for (int r = 0; rc == 0 && r < rounds; r++)
    {
      int64_t t0 = plab_now_ns ();
      PlabProcess *consumer = plab_process_new ("consumer", consume, &job);
      PlabExitStatus st;
      double s;

      rc = consumer == NULL ? PLAB_ENOMEM : plab_process_start (consumer);
      for (size_t i = 0; rc == 0 && i < job.n_messages; i++)
        {
          uint64_t seq = i;

          memcpy (msg, &seq, sizeof seq);
          rc = plab_queue_put (job.queue, msg, job.size, -1);
        }
      if (consumer != NULL && plab_process_join (consumer, -1, &st) == 0 && rc == 0
          && (st.state != PLAB_PROCESS_EXITED || st.code != 0))
        rc = PLAB_ETASK;
      plab_process_free (consumer);
      s = (double)(plab_now_ns () - t0) / 1e9;
      if (rc == 0)
        printf ("round %d: %.2f M msgs/s, %.2f GB/s\n", r + 1, job.n_messages / s / 1e6,
                (double)job.n_messages * job.size / s / 1e9);
    }
  plab_queue_free (job.queue);
  free (msg);
  if (rc != 0)
    fprintf (stderr, "bench-queue: %s\n", plab_strerror (rc));
  return rc != 0;
}
