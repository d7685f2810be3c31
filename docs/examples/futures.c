/* futures.c: submit, as_completed and an endless imap.
 *
 *   cc -o futures futures.c $(pkg-config --cflags --libs plab)
 */
#include <plab.h>
#include <stdio.h>

static int
slow_square (const void *arg, void *result, void *user_data)
{
  int64_t x = *(const int64_t *)arg;

  plab_sleep_ns (x * 10000000LL); /* x * 10 ms */
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

  for (int i = 0; i < 3; i++)
    plab_future_free (futures[i]);
  plab_pool_close (pool);
  plab_pool_join (pool, -1);
  plab_pool_free (pool);
  return 0;
}
