/* manager-pool.c: pool workers started by spawn (fresh runs of this program,
 * sharing none of its memory) count words into a manager's dict. Each task
 * connects by the manager's address, which travels in the map's user_data,
 * as a Python task receives a Manager ().dict () proxy as an argument.
 *
 *   cc -o manager-pool manager-pool.c $(pkg-config --cflags --libs plab)
 */
#include <plab.h>
#include <stdio.h>
#include <string.h>

static const char *const words[] = { "red", "green", "blue", "green", "red", "green" };

enum
{
  N_WORDS = sizeof words / sizeof words[0]
};

/* What every task needs, copied to each worker process. */
typedef struct
{
  char address[PLAB_MANAGER_ADDRESS_MAX];
} Shared;

static int
count_word (const void *item, void *result, void *user_data)
{
  const Shared *shared = user_data;
  PlabProxy *proxy;
  /* The first call in a worker connects; later calls reuse that proxy. */
  int rc = plab_proxy_connect (shared->address, &proxy);

  if (rc == 0)
    rc = plab_proxy_dict_add (proxy, "counts", words[*(const int *)item], 1, NULL);
  *(int *)result = rc;
  return rc;
}

int
main (int argc, char **argv)
{
  /* A spawned worker runs its tasks from here and never returns. */
  plab_spawn_main (argc, argv);

  int items[N_WORDS], results[N_WORDS];
  PlabManager *mgr = NULL;
  PlabPool *pool = NULL;
  PlabMapReport report;
  Shared shared;
  int rc;

  for (int i = 0; i < N_WORDS; i++)
    items[i] = i;
  rc = plab_manager_new (1, &mgr);
  if (rc != 0)
    {
      fprintf (stderr, "manager: %s\n", plab_strerror (rc));
      return 1;
    }
  snprintf (shared.address, sizeof shared.address, "%s", plab_manager_address (mgr));

  PlabPoolOptions options
      = { .backend = PLAB_BACKEND_PROCESSES, .workers = 2, .start_method = PLAB_START_SPAWN };
  PlabMap map = { .func = count_word,
                  .user_data = &shared,
                  .user_data_size = sizeof shared,
                  .items = items,
                  .item_size = sizeof items[0],
                  .n_items = N_WORDS,
                  .results = results,
                  .result_size = sizeof results[0],
                  .chunk_size = 1 };
  rc = plab_pool_new (&options, &pool);
  if (rc == 0)
    rc = plab_pool_map (pool, &map, &report);
  plab_pool_free (pool);

  /* The parent reads the dict through its own proxy. */
  for (int i = 0; rc == 0 && i < 3; i++)
    {
      PlabManaged n;
      rc = plab_proxy_dict_get (plab_manager_proxy (mgr, 0), "counts", words[i], &n);
      if (rc == 0)
        printf ("%s: %lld\n", words[i], (long long)n.u.i);
    }
  if (rc != 0)
    fprintf (stderr, "%s\n", plab_strerror (rc));
  plab_manager_free (mgr);
  return rc == 0 ? 0 : 1;
}
