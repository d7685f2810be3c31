/* queue.c: a producer process puts numbers on a bounded queue and the parent
 * takes them off, like a multiprocessing.Process feeding a Queue. The queue
 * holds at most four messages, so the producer waits whenever it is full.
 *
 *   cc -o queue queue.c $(pkg-config --cflags --libs plab)
 */
#include <plab.h>
#include <stdio.h>

enum
{
  COUNT = 1000,
  SENTINEL = -1
};

/* Made before the fork: the child inherits it, and its ring lives in shared
 * memory, so both processes see the same queue. */
static PlabQueue *queue;

static int
produce (void *arg)
{
  int64_t count = *(const int64_t *)arg, sentinel = SENTINEL;

  for (int64_t i = 1; i <= count; i++)
    if (plab_queue_put (queue, &i, sizeof i, -1) != 0)
      return 1;
  /* One sentinel tells the consumer there is nothing more to come. */
  return plab_queue_put (queue, &sentinel, sizeof sentinel, -1) == 0 ? 0 : 1;
}

int
main (void)
{
  int64_t count = COUNT, value, sum = 0;
  PlabExitStatus status;
  PlabProcess *producer;
  size_t size;
  int rc;

  queue = plab_queue_new ("numbers", 4, 0);
  if (queue == NULL)
    return 1;
  producer = plab_process_new ("producer", produce, &count);
  rc = plab_process_start (producer);
  if (rc != 0)
    {
      fprintf (stderr, "cannot start the producer: %s\n", plab_strerror (rc));
      return 1;
    }

  while ((rc = plab_queue_get (queue, &value, sizeof value, &size, -1)) == 0 && value != SENTINEL)
    sum += value;
  plab_process_join (producer, -1, &status);

  printf ("sum of 1..%lld = %lld\n", (long long)count, (long long)sum);
  printf ("producer exited with code %d\n", status.state == PLAB_PROCESS_EXITED ? status.code : -1);
  plab_process_free (producer);
  plab_queue_free (queue);
  return rc == 0 && sum == COUNT * (COUNT + 1) / 2 ? 0 : 1;
}
