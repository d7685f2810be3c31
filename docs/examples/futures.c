/* futures.c: submit, as_completed, an endless imap and map_async.
 *
 *   cc -o futures futures.c $(pkg-config --cflags --libs plab)
 */
#include <plab.h>
#include <stdio.h>

static int
slow_square (const void *arg, void *result, void *user_data)
{
  int64_t x = *(const int64_t *)arg;

  plab_sleep_ns (PLAB_MS (10 * x));
  *(int64_t *)result = x * x;
  return 0;
}

static int
naturals (void *item, void *data)
{
  int64_t *next = data;

  *(int64_t *)item = (*next)++;
  return 1; /* never ends */
}

static void
all_done (PlabMapResult *result, void *data)
{
  (void)data;
  printf ("map_async done, successful: %s\n", plab_map_result_successful (result) ? "yes" : "no");
}

int
main (void)
{
  PlabPoolOptions options = { .backend = PLAB_BACKEND_PROCESSES, .workers = 2 };
  PlabPool *pool;
  PlabFuture *futures[3];
  int64_t questions[3] = { 30, 5, 12 }, answer, next = 0;
  size_t which;

  if (plab_pool_new (&options, &pool) != 0)
    return 1;
  for (int i = 0; i < 3; i++)
    {
      PlabTask task = { .func = slow_square,
                        .arg = &questions[i],
                        .arg_size = sizeof (int64_t),
                        .result_size = sizeof (int64_t) };
      plab_pool_submit (pool, &task, &futures[i]);
    }
  /* Earliest finished first: 5, then 12, then 30. */
  while (plab_pool_as_completed (pool, futures, 3, -1, &which) == 0)
    {
      plab_future_result (futures[which], &answer, 0);
      printf ("%lld squared is %lld\n", (long long)questions[which], (long long)answer);
    }

  PlabImap spec = { .func = slow_square,
                    .next = naturals,
                    .next_data = &next,
                    .item_size = sizeof (int64_t),
                    .result_size = sizeof (int64_t),
                    .window = 8 };
  PlabImapIter *it;
  size_t index;
  plab_pool_imap (pool, &spec, &it);
  for (int k = 0; k < 5 && plab_imap_next (it, &index, &answer, -1) == 0; k++)
    printf ("item %zu: %lld\n", index, (long long)answer);
  printf ("read %lld items of an endless input\n", (long long)next);
  plab_imap_free (it);

  /* map_async returns at once; the items run while the pool is waited on. */
  int64_t numbers[10], squares[10], sum = 0;
  for (int i = 0; i < 10; i++)
    numbers[i] = i;
  PlabMap map = { .func = slow_square,
                  .items = numbers,
                  .item_size = sizeof (int64_t),
                  .n_items = 10,
                  .results = squares,
                  .result_size = sizeof (int64_t) };
  PlabMapCallbacks callbacks = { .done = all_done };
  PlabMapResult *result;
  plab_pool_map_async (pool, &map, &callbacks, &result);
  if (plab_map_result_get (result, NULL, PLAB_SEC (30)) == 0)
    for (int i = 0; i < 10; i++)
      sum += squares[i];
  printf ("sum of the squares of 0..9 = %lld\n", (long long)sum);
  plab_map_result_free (result);

  for (int i = 0; i < 3; i++)
    plab_future_free (futures[i]);
  /* Executor.shutdown (wait=True): no new work, wait for what runs, reap. */
  plab_pool_shutdown (pool, true, false);
  plab_pool_free (pool);
  return 0;
}
