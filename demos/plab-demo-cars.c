/* plab-demo-cars.c: producers and consumers around a queue of cars.
 *
 * This demo teaches the producer-consumer pattern. Producers build cars and
 * put their names on a bounded queue; consumers get them and a shared counter
 * cnt counts the cars delivered. A full queue blocks the producers, an empty
 * one blocks the consumers, and both show on the timeline as queue waits while
 * the queue's depth is drawn as a counter track. When the last producer is
 * done it puts one sentinel per consumer on the queue, the classic way to say
 * "no more cars". The check proves what a queue promises: every car arrives
 * exactly once, and each consumer sees each producer's cars in the order they
 * were put.
 */
#include "plab-demo-private.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the window shows a student beside this demo. */
const char _plab_demo_cars_lesson[]
    = "A producer builds cars and puts their names on a queue in a loop; consumers get them "
      "and a shared counter, cnt, counts the deliveries (the classic code's cnt counts the cars "
      "put on the queue instead: the Result shows both, deliveries trail the cars put during the "
      "run, and at the end the two agree, which checks that the queue lost none). Watch the "
      "queue's "
      "depth track "
      "under the lanes: with fast producers it sits at the capacity and the producer's lane "
      "shows queue waits (the queue is full), with fast consumers it stays near zero and "
      "the consumers wait (empty). Change Producer ms, Consumer ms and Capacity to move the "
      "bottleneck. When all cars are built the last producer puts one sentinel per consumer "
      "on the queue, so every consumer knows when to stop. The check shows what a queue "
      "guarantees: every car arrives exactly once, and each producer's cars arrive in the "
      "order they were put.";

enum
{
  PARAM_CARS,
  PARAM_PRODUCERS,
  PARAM_CONSUMERS,
  PARAM_CAPACITY,
  PARAM_PRODUCER_MS,
  PARAM_CONSUMER_MS,
  N_PARAMS
};

#define MAX_CARS 100000
#define MAX_SIDE 8
#define QUEUE_TIMEOUT_NS 100000000 /* a blocked put or get looks at the stop flag this often */
#define FIGURE_POINTS 400

const PlabParamSpec _plab_demo_cars_params[N_PARAMS] = {
  [PARAM_CARS]
  = { "cars", PLAB_PARAM_INT, "cars to build and deliver", 200, 1, MAX_CARS, NULL, "cars" },
  [PARAM_PRODUCERS]
  = { "producers", PLAB_PARAM_INT, "workers building cars and putting them on the queue", 1, 1,
      MAX_SIDE, NULL, "workers" },
  [PARAM_CONSUMERS] = { "consumers", PLAB_PARAM_INT, "workers taking cars off the queue", 2, 1,
                        MAX_SIDE, NULL, "workers" },
  [PARAM_CAPACITY] = { "capacity", PLAB_PARAM_INT, "cars the queue holds before a put blocks", 5, 1,
                       1000, NULL, "cars" },
  [PARAM_PRODUCER_MS] = { "producer_ms", PLAB_PARAM_DOUBLE,
                          "milliseconds a producer takes to build a car", 4, 0, 1000, NULL, "ms" },
  [PARAM_CONSUMER_MS]
  = { "consumer_ms", PLAB_PARAM_DOUBLE, "milliseconds a consumer takes to deliver a car", 10, 0,
      1000, NULL, "ms" },
};

static const char *const makes[] = {
  "Volvo", "Saab",  "Toyota", "Honda", "Ford", "Fiat",    "Renault", "Peugeot", "Skoda", "Kia",
  "Mazda", "Tesla", "BMW",    "Audi",  "Opel", "Citroen", "Dacia",   "Nissan",  "Seat",  "Lada",
};

#define N_MAKES (sizeof makes / sizeof makes[0])
#define SENTINEL (-1)

/* One message on the queue. A sentinel has number SENTINEL. */
typedef struct
{
  int32_t number; /* the car's number, 0 .. cars - 1 */
  int32_t producer;
  char make[16];
} Car;

/* What the workers share. made_ns[c] is written by car c's producer before it
 * puts the car, delivered_ns[c] and consumer[c] by the consumer that got it;
 * deliveries[c], cnt and the other counts are updated atomically, since a
 * wrong count is exactly what the check looks for. */
typedef struct
{
  _Atomic int64_t put; /* cars put on the queue: what the classic code's cnt counts */
  _Atomic int64_t cnt; /* cars delivered */
  _Atomic int producers_done;
  _Atomic int fifo_violations;
  _Atomic int put_errors;
  int taken[MAX_SIDE]; /* cars per consumer, written by that consumer only */
  /* Followed by per-car arrays (see CarsLayout). */
} CarsShared;

typedef struct
{
  CarsShared *sh;
  size_t sh_size;
  int64_t *made_ns;
  int64_t *delivered_ns;
  _Atomic int32_t *deliveries;
  int32_t *consumer;

  PlabQueue *queue;
  int cars;
  int producers;
  int consumers;
  int capacity;
  int64_t producer_ns;
  int64_t consumer_ns;
  uint64_t seed;
} Factory;

typedef struct
{
  Factory *f;
  int index;
} Side;

static const char *
make_of (const Factory *f, int number)
{
  uint64_t x = f->seed + (uint64_t)number * 0x9e3779b97f4a7c15u;

  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9u;
  x ^= x >> 29;
  return makes[x % N_MAKES];
}

/* Puts @car, retrying while the queue is full; false when stopped. */
static bool
put_car (PlabCrew *crew, Factory *f, const Car *car)
{
  for (;;)
    {
      int rc = plab_queue_put (f->queue, car, sizeof *car, QUEUE_TIMEOUT_NS);

      if (rc == 0)
        return true;
      /* Cancelled while it waited for room: stopped, not an error. */
      if (rc == PLAB_ECANCELLED)
        return false;
      if (rc != PLAB_EFULL || _plab_crew_stopping (crew))
        {
          if (rc != PLAB_EFULL)
            atomic_fetch_add (&f->sh->put_errors, 1);
          return false;
        }
    }
}

static int
producer_cb (PlabCrew *crew, void *arg)
{
  Side *side = arg;
  Factory *f = side->f;
  char label[PLAB_LABEL_MAX];

  /* Producer p builds cars p, p + producers, p + 2 * producers, ... */
  for (int number = side->index; number < f->cars; number += f->producers)
    {
      Car car = { .number = number, .producer = side->index };

      snprintf (car.make, sizeof car.make, "%s", make_of (f, number));
      snprintf (label, sizeof label, "build car %d: %s", number, car.make);
      /* The car's number links this span to the consumer's that takes it:
       * the timeline draws an arrow from one to the other. */
      if (!_plab_demo_wait_flow (crew, f->producer_ns, PLAB_SPAN_TASK, number, label, PLAB_FLOW_PUT,
                                 number))
        return 1;
      f->made_ns[number] = plab_now_ns ();
      if (!put_car (crew, f, &car))
        return 1;
      atomic_fetch_add (&f->sh->put, 1);
    }

  /* The last producer to finish tells every consumer to go home. */
  if (atomic_fetch_add (&f->sh->producers_done, 1) + 1 == f->producers)
    for (int i = 0; i < f->consumers; i++)
      {
        Car sentinel = { .number = SENTINEL, .producer = -1, .make = "" };

        if (!put_car (crew, f, &sentinel))
          return 1;
      }
  return 0;
}

static int
consumer_cb (PlabCrew *crew, void *arg)
{
  Side *side = arg;
  Factory *f = side->f;
  int last[MAX_SIDE];
  char label[PLAB_LABEL_MAX];

  for (int p = 0; p < MAX_SIDE; p++)
    last[p] = -1;
  for (;;)
    {
      Car car;
      size_t size = 0;
      int rc = plab_queue_get (f->queue, &car, sizeof car, &size, QUEUE_TIMEOUT_NS);
      int64_t cnt;

      if (rc == PLAB_EEMPTY || rc == PLAB_ECANCELLED)
        {
          if (rc == PLAB_ECANCELLED || _plab_crew_stopping (crew))
            return 1;
          continue;
        }
      if (rc != 0 || size != sizeof car)
        return 2;
      if (car.number == SENTINEL)
        return 0;
      if (car.number < 0 || car.number >= f->cars || car.producer < 0
          || car.producer >= f->producers)
        return 3;

      /* A queue is first in, first out: this producer's numbers only grow. */
      if (car.number <= last[car.producer])
        atomic_fetch_add (&f->sh->fifo_violations, 1);
      last[car.producer] = car.number;

      snprintf (label, sizeof label, "car %d: %s", car.number, car.make);
      if (!_plab_demo_wait_flow (crew, f->consumer_ns, PLAB_SPAN_TASK, car.number, label,
                                 PLAB_FLOW_GET, car.number))
        return 1;
      f->delivered_ns[car.number] = plab_now_ns ();
      f->consumer[car.number] = side->index;
      atomic_fetch_add (&f->deliveries[car.number], 1);
      f->sh->taken[side->index]++;
      cnt = atomic_fetch_add (&f->sh->cnt, 1) + 1;
      plab_counter ("cnt", cnt);
    }
}

static int
compare_i64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

  return (x > y) - (x < y);
}

/* Appends a series of the cumulative count of @times (sorted in place) against seconds. */
static void
cumulative_series (PlabBuf *buf, const char *name, int64_t *times, int n, int64_t t0)
{
  double xs[FIGURE_POINTS + 2];
  double ys[FIGURE_POINTS + 2];
  int k = 0;
  int step = n > FIGURE_POINTS ? (n + FIGURE_POINTS - 1) / FIGURE_POINTS : 1;

  qsort (times, (size_t)n, sizeof *times, compare_i64);
  xs[k] = 0;
  ys[k++] = 0;
  for (int i = step - 1; i < n; i += step)
    {
      xs[k] = (times[i] - t0) / 1e9;
      ys[k++] = i + 1;
    }
  if (ys[k - 1] != n && n > 0)
    {
      xs[k] = (times[n - 1] - t0) / 1e9;
      ys[k++] = n;
    }
  _plab_demo_json_line_series (buf, name, "line", xs, ys, (size_t)k);
}

static char *
result_json (Factory *f, int64_t t0, int64_t total_ns, int once)
{
  int64_t *times = malloc ((size_t)f->cars * sizeof *times);
  PlabBuf buf;

  if (times == NULL)
    return NULL;
  plab_buf_init (&buf);
  plab_buf_printf (&buf,
                   "{\"cars\": %d, \"delivered_once\": %d, \"put\": %lld, \"cnt\": %lld, "
                   "\"fifo_violations\": %d, \"producers\": %d, \"consumers\": %d, "
                   "\"capacity\": %d, \"taken_per_consumer\": \"",
                   f->cars, once, (long long)atomic_load (&f->sh->put),
                   (long long)atomic_load (&f->sh->cnt), atomic_load (&f->sh->fifo_violations),
                   f->producers, f->consumers, f->capacity);
  for (int c = 0; c < f->consumers; c++)
    plab_buf_printf (&buf, "%s%d", c ? ", " : "", f->sh->taken[c]);
  plab_buf_append (&buf, "\", \"total_s\": ");
  plab_json_write_short (&buf, total_ns / 1e9);
  plab_buf_append (&buf, ", ");
  _plab_demo_json_figure (&buf, "lines", "Cars built and delivered", "seconds", "cars");
  memcpy (times, f->made_ns, (size_t)f->cars * sizeof *times);
  cumulative_series (&buf, "built (put on the queue)", times, f->cars, t0);
  plab_buf_append (&buf, ", ");
  memcpy (times, f->delivered_ns, (size_t)f->cars * sizeof *times);
  cumulative_series (&buf, "delivered (cnt)", times, f->cars, t0);
  plab_buf_append (&buf, "], \"notes\": [\"the gap between the lines is the cars in the queue "
                         "or in a consumer's hands\", ");
  plab_buf_printf (&buf, "\"%d of %d cars delivered exactly once\"]}}", once, f->cars);
  free (times);
  return plab_buf_steal (&buf);
}

int
_plab_demo_cars_run (PlabDemoRun *run)
{
  Factory f = {
    .cars = (int)run->values[PARAM_CARS],
    .producers = (int)run->values[PARAM_PRODUCERS],
    .consumers = (int)run->values[PARAM_CONSUMERS],
    .capacity = (int)run->values[PARAM_CAPACITY],
    .producer_ns = (int64_t)(run->values[PARAM_PRODUCER_MS] * 1e6),
    .consumer_ns = (int64_t)(run->values[PARAM_CONSUMER_MS] * 1e6),
    .seed = run->seed,
  };
  Side producers[MAX_SIDE];
  Side consumers[MAX_SIDE];
  PlabCrew *crew = NULL;
  char *mem;
  int64_t t0, total_ns;
  int once = 0;
  int rc = 0;

  /* One shared block: the header, then the per-car arrays. */
  f.sh_size = sizeof (CarsShared) + (size_t)f.cars * (2 * sizeof (int64_t) + 2 * sizeof (int32_t));
  mem = _plab_demo_shared_new (f.sh_size);
  f.queue = plab_queue_new ("cars", (size_t)f.capacity, 0);
  if (mem == NULL || f.queue == NULL)
    {
      rc = PLAB_ENOMEM;
      snprintf (run->error, sizeof run->error, "cannot make the queue and the car records");
      goto fail;
    }
  f.sh = (CarsShared *)mem;
  f.made_ns = (int64_t *)(mem + sizeof (CarsShared));
  f.delivered_ns = f.made_ns + f.cars;
  f.deliveries = (_Atomic int32_t *)(f.delivered_ns + f.cars);
  f.consumer = (int32_t *)(f.deliveries + f.cars);
  plab_demo_run_set_tasks_total (run, 2 * f.cars);

  crew = _plab_crew_new (run);
  if (crew == NULL)
    {
      rc = PLAB_ENOMEM;
      goto fail;
    }
  t0 = plab_now_ns ();
  for (int i = 0; i < f.consumers && rc >= 0; i++)
    {
      consumers[i] = (Side){ &f, i };
      rc = _plab_crew_startf (crew, consumer_cb, &consumers[i], "consumer %d", i + 1);
    }
  for (int i = 0; i < f.producers && rc >= 0; i++)
    {
      producers[i] = (Side){ &f, i };
      rc = _plab_crew_startf (crew, producer_cb, &producers[i], "producer %d", i + 1);
    }
  if (rc >= 0)
    rc = _plab_crew_join (crew, "join producers and consumers");
  total_ns = plab_now_ns () - t0;
  if (rc != 0)
    goto fail;

  /* The check. */
  for (int c = 0; c < f.cars; c++)
    once += atomic_load (&f.deliveries[c]) == 1;
  run->check_ok = once == f.cars && atomic_load (&f.sh->fifo_violations) == 0
                  && atomic_load (&f.sh->cnt) == f.cars && atomic_load (&f.sh->put) == f.cars;
  if (run->check_ok)
    snprintf (run->check_message, sizeof run->check_message,
              "all %d cars delivered exactly once, in order per producer; %d put, cnt = %d", f.cars,
              f.cars, f.cars);
  else
    snprintf (run->check_message, sizeof run->check_message,
              "%d of %d cars delivered exactly once, %d out of order, %lld put, cnt = %lld", once,
              f.cars, atomic_load (&f.sh->fifo_violations), (long long)atomic_load (&f.sh->put),
              (long long)atomic_load (&f.sh->cnt));
  run->result_json = result_json (&f, t0, total_ns, once);
  rc = 0;

fail:
  _plab_crew_free (crew);
  plab_queue_free (f.queue);
  _plab_demo_shared_free (mem, f.sh_size);
  return rc;
}
