/* Producers and consumers on a bounded queue with sentinels: PRODUCERS
 * producers put numbers on a queue, one consumer per worker takes them. */
#include <plab.h>

#define PRODUCERS 2
#define ITEMS_PER_PRODUCER 400
#define SENTINEL (-1)

typedef struct
{
  PlabQueue *queue; /* bounded: a producer waits while it is full */
  PlabShared *sums; /* int64_t per consumer: its sum, then its count */
  uint64_t seed;
  int index;
} Job;

static int
producer (void *arg)
{
  Job *job = arg;

  for (int i = 0; i < ITEMS_PER_PRODUCER; i++)
    {
      int64_t item = (int64_t)(plab_exercise_random (job->seed, job->index * 100000 + i) % 1000);

      if (plab_queue_put (job->queue, &item, sizeof item, -1) != 0)
        return 1;
    }
  return 0;
}

static int
consumer (void *arg)
{
  Job *job = arg;
  int64_t *mine = (int64_t *)plab_shared_data (job->sums) + 2 * job->index;
  int64_t item;
  size_t size;

  for (;;)
    {
      if (plab_queue_get (job->queue, &item, sizeof item, &size, -1) != 0)
        return 1;
      if (item == SENTINEL)
        return 0;
      int64_t t0 = plab_now_ns ();
      mine[0] += item;
      mine[1] += 1;
      plab_sleep_ns (20000); /* handling an item takes a while */
      plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), item, "item");
    }
}

static int
solve (PlabExercise *ex)
{
  int consumers = plab_exercise_workers (ex);
  PlabQueue *queue = plab_queue_new ("items", 8, 0);
  PlabShared *sums = plab_shared_new ("sums", 2 * sizeof (int64_t) * consumers, false);
  PlabProcess *producers[PRODUCERS], *takers[64];
  Job jobs[PRODUCERS + 64];
  int64_t *totals, sum = 0, count = 0, sentinel = SENTINEL;

  if (queue == NULL || sums == NULL)
    return 1;
  for (int j = 0; j < PRODUCERS + consumers; j++)
    jobs[j] = (Job){ queue, sums, plab_exercise_seed (ex), j < PRODUCERS ? j : j - PRODUCERS };
  plab_exercise_start_workers (ex, "consumer", consumer, jobs + PRODUCERS, sizeof jobs[0],
                               consumers, takers);
  plab_exercise_start_workers (ex, "producer", producer, jobs, sizeof jobs[0], PRODUCERS,
                               producers);
  plab_exercise_join_workers (producers, PRODUCERS);
  /* SOLUTION BEGIN: TODO 1: every item is queued, but each consumer waits for more. Tell
   * every consumer to stop: put one SENTINEL per consumer on the queue. */
  /* Every item is queued: one sentinel per consumer tells each to stop. */
  for (int c = 0; c < consumers; c++)
    plab_queue_put (queue, &sentinel, sizeof sentinel, -1);
  /* SOLUTION ELSE */
  (void)sentinel;
  /* SOLUTION END */
  plab_exercise_join_workers (takers, consumers);
  totals = plab_shared_data (sums);
  for (int c = 0; c < consumers; c++)
    {
      sum += totals[2 * c];
      count += totals[2 * c + 1];
    }
  plab_exercise_answer (ex, "sum", (double)sum);
  plab_exercise_answer (ex, "count", (double)count);
  plab_shared_free (sums);
  plab_queue_free (queue);
  return 0;
}

int
main (int argc, char **argv)
{
  return plab_exercise_main ("queue", argc, argv, solve);
}
