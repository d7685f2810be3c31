/* plab-demo-registry.c: the list of demos the lab offers.
 *
 * A demo joins the lab by adding its row to the table below: its name, title,
 * backends and the parts its own file defines. The command line, the GUI and
 * the tests all find demos here and nowhere else.
 */
#include "plab-demo-private.h"

#include <string.h>

/* What a demo's own file defines: the lesson it teaches, its parameters (in
 * the order of its enum of parameter indexes) and its run function, under
 * the names plab-demo-private.h declares. */
#define DEMO_FILE(id)                                                                              \
  .lesson = _plab_demo_##id##_lesson, PLAB_DEMO_PARAMS (_plab_demo_##id##_params),                 \
  .run = _plab_demo_##id##_run

/* In the order the lab lists them: the first pool, the four classics, then
 * the finer points in the order of the catalogue in DESIGN.md. Each row is
 * a descriptor of static storage (a compound literal at file scope). */
static const PlabDemo *const demos[] = {
  &(const PlabDemo){
      .name = "squares",
      .title = "Squares with a pool",
      .summary
      = "Pool.map of x * x: ordered results, per-task overhead, chunk size, a crashing worker",
      DEMO_FILE (squares),
      .backends = PLAB_ALL_BACKENDS | PLAB_BACKEND_BIT (PLAB_BACKEND_MPI),
      .default_backend = PLAB_BACKEND_PROCESSES,
      .validate = _plab_demo_squares_validate,
  },
  &(const PlabDemo){
      .name = "chef",
      .title = "The chef's kitchen",
      .summary = "baking, stirring, kneading and chopping: a for loop vs a process per task",
      DEMO_FILE (chef),
      .backends = PLAB_ALL_BACKENDS,
      .default_backend = PLAB_BACKEND_PROCESSES,
  },
  &(const PlabDemo){
      .name = "cars",
      .title = "Cars on a queue: producers and consumers",
      .summary = "producers put car names on a bounded queue, consumers get them, cnt counts",
      DEMO_FILE (cars),
      .backends = PLAB_BACKEND_BIT (PLAB_BACKEND_THREADS)
                  | PLAB_BACKEND_BIT (PLAB_BACKEND_PROCESSES) | PLAB_BACKEND_BIT (PLAB_BACKEND_GIL),
      .default_backend = PLAB_BACKEND_PROCESSES,
      .no_worker_axis = "its producers and consumers parameters set how many workers run",
      .worker_params = { "producers", "consumers" },
  },
  &(const PlabDemo){
      .name = "kde",
      .title = "Kernel density estimate (Parzen window)",
      .summary = "a density estimated on a grid split over workers; parallel equals serial",
      DEMO_FILE (kde),
      .backends = PLAB_ALL_BACKENDS | PLAB_BACKEND_BIT (PLAB_BACKEND_MPI),
      .default_backend = PLAB_BACKEND_PROCESSES,
  },
  &(const PlabDemo){
      .name = "list-append",
      .title = "list_append: threads, processes and the GIL",
      .summary = "appending random numbers to lists: serial vs threads vs processes vs gil",
      DEMO_FILE (list_append),
      .backends = PLAB_ALL_BACKENDS | PLAB_BACKEND_BIT (PLAB_BACKEND_MPI),
      .default_backend = PLAB_BACKEND_PROCESSES,
  },
  &(const PlabDemo){
      .name = "sleepers",
      .title = "Sleepers: waiting in parallel",
      .summary = "four sleepers wait 5, 2, 1 and 3 units: the total is the longest, not the sum",
      DEMO_FILE (sleepers),
      .backends = PLAB_ALL_BACKENDS,
      .default_backend = PLAB_BACKEND_PROCESSES,
  },
  &(const PlabDemo){
      .name = "counter",
      .title = "A shared counter: lost updates, a lock, an atomic",
      .summary = "workers increment one counter without a lock, with a lock and atomically",
      DEMO_FILE (counter),
      .backends = PLAB_ALL_BACKENDS,
      .default_backend = PLAB_BACKEND_PROCESSES,
      .no_worker_axis = "its counters parameter sets how many workers increment the counter",
      .worker_params = { "counters" },
  },
  &(const PlabDemo){
      .name = "pipe",
      .title = "A pipe: messages and ping-pong",
      .summary = "a list of messages sent through a pipe, and a ping-pong measuring the round trip",
      DEMO_FILE (pipe),
      .backends = PLAB_BACKEND_BIT (PLAB_BACKEND_THREADS)
                  | PLAB_BACKEND_BIT (PLAB_BACKEND_PROCESSES) | PLAB_BACKEND_BIT (PLAB_BACKEND_GIL),
      .default_backend = PLAB_BACKEND_PROCESSES,
      .no_worker_axis = "it always runs two workers, a sender and a receiver",
      .fixed_workers = 2,
  },
  &(const PlabDemo){
      .name = "pool-vs-process",
      .title = "Process per task or Pool",
      .summary = "writing files with one Process per task vs a Pool, then the same with CPU work",
      DEMO_FILE (pool_vs_process),
      .backends = PLAB_ALL_BACKENDS,
      .default_backend = PLAB_BACKEND_PROCESSES,
  },
  &(const PlabDemo){
      .name = "barrier",
      .title = "Painters at a barrier",
      .summary = "painters work in phases and meet at a barrier; uneven walls show as waiting",
      DEMO_FILE (barrier),
      .backends = PLAB_ALL_BACKENDS | PLAB_BACKEND_BIT (PLAB_BACKEND_MPI),
      .default_backend = PLAB_BACKEND_PROCESSES,
      .validate = _plab_demo_barrier_validate,
  },
  &(const PlabDemo){
      .name = "amdahl",
      .title = "Amdahl's law",
      .summary = "work with a chosen serial fraction: measured speedup against Amdahl's curve",
      DEMO_FILE (amdahl),
      .backends = PLAB_ALL_BACKENDS | PLAB_BACKEND_BIT (PLAB_BACKEND_MPI),
      .default_backend = PLAB_BACKEND_PROCESSES,
  },
  &(const PlabDemo){
      .name = "deadlock",
      .title = "Deadlock: two locks in opposite order",
      .summary = "two workers take locks A and B in opposite order and wait for each other",
      DEMO_FILE (deadlock),
      .backends = PLAB_ALL_BACKENDS,
      .default_backend = PLAB_BACKEND_THREADS,
      .no_worker_axis = "it always runs two workers, one for each lock order",
      .fixed_workers = 2,
  },
  &(const PlabDemo){
      .name = "futures",
      .title = "Futures: results as they finish, or in order",
      .summary = "slow squares of uneven length through apply, apply_async with as_completed, "
                 "imap and imap_unordered",
      DEMO_FILE (futures),
      .backends = PLAB_ALL_BACKENDS,
      .default_backend = PLAB_BACKEND_PROCESSES,
  },
  &(const PlabDemo){
      .name = "shared",
      .title = "Shared memory: an Array and a Value with its lock",
      .summary = "a child doubles [1, 2, 3, 4, 5] in a shared Array and in an ordinary array",
      DEMO_FILE (shared),
      .backends = PLAB_ALL_BACKENDS,
      .default_backend = PLAB_BACKEND_PROCESSES,
      .no_worker_axis = "it starts one child for the arrays and its adders parameter sets how many "
                        "workers add to the Value",
      .worker_params = { "adders" },
  },
  &(const PlabDemo){
      .name = "print",
      .title = "Printing under a lock",
      .summary = "writers print lines to one stream, mixed up without a lock, whole with one",
      DEMO_FILE (print),
      .backends = PLAB_ALL_BACKENDS,
      .default_backend = PLAB_BACKEND_PROCESSES,
      .no_worker_axis = "its writers parameter sets how many workers print",
      .worker_params = { "writers" },
  },
  &(const PlabDemo){
      .name = "lifecycle",
      .title = "The life of a process",
      .summary = "start, join with a timeout, exit codes, terminate and kill, daemons, restart",
      DEMO_FILE (lifecycle),
      .backends = PLAB_BACKEND_BIT (PLAB_BACKEND_PROCESSES),
      .default_backend = PLAB_BACKEND_PROCESSES,
      .no_worker_axis = "it starts its own children, one for each step",
      .fixed_workers = 2, /* the worker and the daemon, then one child at a time */
  },
  &(const PlabDemo){
      .name = "messages",
      .title = "Communication against computation",
      .summary = "MPI ranks: time to send a message against time to compute on it, as it grows",
      DEMO_FILE (messages),
      .backends = PLAB_BACKEND_BIT (PLAB_BACKEND_MPI),
      .default_backend = PLAB_BACKEND_MPI,
  },
  &(const PlabDemo){
      .name = "start-methods",
      .title = "Start methods: fork, spawn, forkserver",
      .summary = "what a child costs to start and what it inherits under each start method",
      DEMO_FILE (start_methods),
      .backends = PLAB_BACKEND_BIT (PLAB_BACKEND_PROCESSES),
      .default_backend = PLAB_BACKEND_PROCESSES,
      .no_worker_axis = "it starts its own children, a few under each start method",
      .fixed_workers = 1, /* each child ends before the next starts */
  },
  &(const PlabDemo){
      .name = "manager",
      .title = "A manager's counter against shared memory",
      .summary = "a counter through a manager proxy, under a lock in shared memory, and atomically",
      DEMO_FILE (manager),
      .backends = PLAB_BACKEND_BIT (PLAB_BACKEND_SERIAL) | PLAB_BACKEND_BIT (PLAB_BACKEND_THREADS)
                  | PLAB_BACKEND_BIT (PLAB_BACKEND_PROCESSES),
      .default_backend = PLAB_BACKEND_PROCESSES,
      .no_worker_axis = "its counters parameter sets how many workers increment the counter",
      .worker_params = { "counters" },
  },
};

const PlabDemo *const *
plab_demos (size_t *n_out)
{
  if (n_out)
    *n_out = sizeof demos / sizeof demos[0];
  return demos;
}

const PlabDemo *
plab_demo_find (const char *name)
{
  if (name == NULL)
    return NULL;
  for (size_t i = 0; i < sizeof demos / sizeof demos[0]; i++)
    if (!strcmp (demos[i]->name, name))
      return demos[i];
  return NULL;
}

int
plab_demo_param_index (const PlabDemo *demo, const char *name)
{
  if (demo == NULL || name == NULL)
    return -1;
  for (size_t i = 0; i < demo->n_params; i++)
    if (!strcmp (demo->params[i].name, name))
      return (int)i;
  return -1;
}
