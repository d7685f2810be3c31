/* plab-demo-texts.c: what the window shows beside each demo's lesson.
 *
 * Two tables, one row per line, each demo's rows next to each other and in
 * the order of the registry: the words a student reads for the keys of a
 * demo's result (PlabResultLabel: demo, key, label, unit; a key without a
 * row stays in the store and in `plab show --json`, and the window does not
 * show it), and the two or three "Try this" steps that end its lesson
 * (PlabDemoTry: demo, text, backend or -1, workers or 0, params "name=value
 * ..." or NULL, sweep). A demo joins by adding its rows here under its name;
 * its descriptor names neither table. test-param-units and test-demo-tries
 * check that every row names a demo of the registry and that a demo's rows
 * are not split.
 */
#include "plab-demo-private.h"

#include <stddef.h>
#include <string.h>

/* The result labels, in the order a student reads them. */
static const PlabResultLabel result_labels[] = {
  { "squares", "n", "numbers squared", NULL },
  { "squares", "correct", "results correct", NULL },
  { "squares", "lost", "results lost", NULL },
  { "squares", "sum", "sum of the squares", NULL },
  { "squares", "imap_held_back", "results imap held back for order", NULL },
  { "squares", "imap_mean_wait_ms", "mean wait of a held-back result", "ms" },
  { "squares", "workers_used", "workers used", NULL },
  { "squares", "handover_ns_per_item",
    "hand-over time per item (median gap between two items on a worker)", "ns" },
  { "squares", "items_per_handover", "items per hand-over (the chunk)", NULL },
  { "chef", "tasks", "tasks cooked", NULL },
  { "chef", "for_loop_s", "time of the for loop, measured", "s" },
  { "chef", "for_loop_from", "for loop measured in", NULL },
  { "chef", "kitchen_s", "time in the kitchen, this run", "s" },
  { "chef", "saved_percent", "saved against the for loop (measured)", "%" },
  { "chef", "classic_saved_percent", "saved, the text's figure", "%" },
  { "chef", "cpu_s", "CPU time spent", "s" },
  { "cars", "cars", "cars built", NULL },
  { "cars", "delivered_once", "cars delivered exactly once", NULL },
  { "cars", "put", "cars put on the queue (the classic code's cnt)", NULL },
  { "cars", "cnt", "cars delivered, as the counter cnt counted them", NULL },
  { "cars", "fifo_violations", "cars taken out of order", NULL },
  { "cars", "producers", "producers", NULL },
  { "cars", "consumers", "consumers", NULL },
  { "cars", "capacity", "places on the queue", "cars" },
  { "cars", "taken_per_consumer", "cars each consumer took", NULL },
  { "cars", "total_s", "time of the run", "s" },
  { "kde", "samples", "samples", NULL },
  { "kde", "grid", "grid points", NULL },
  { "kde", "h", "window width h", NULL },
  { "kde", "kernel", "kernel", NULL },
  { "kde", "integral", "area under the estimate", NULL },
  { "kde", "grid_mass", "true area on the grid", NULL },
  { "kde", "max_error", "largest error against the true density", NULL },
  { "kde", "checked_points", "points compared with serial", NULL },
  { "kde", "equal_to_serial", "equal to the serial result", NULL },
  { "list-append", "count", "numbers appended in all", NULL },
  { "list-append", "jobs", "jobs (lists)", NULL },
  { "list-append", "appended_in_workers", "numbers appended by the workers", NULL },
  { "list-append", "in_parent_lists", "numbers in the parent's lists afterwards", NULL },
  { "list-append", "classic_threads_s", "2 threads, the text's figure", "s" },
  { "list-append", "classic_processes_2_s", "2 processes, the text's figure", "s" },
  { "list-append", "classic_processes_4_s", "4 processes, the text's figure", "s" },
  { "list-append", "classic_processes_4_speedup",
    "4 processes against 2 threads, the text's figure", "x" },
  { "sleepers", "sleepers", "sleepers", NULL },
  { "sleepers", "at_once", "sleeping at once", NULL },
  { "sleepers", "total_s", "time of the run", "s" },
  { "sleepers", "sum_s", "sum of the waits", "s" },
  { "sleepers", "longest_s", "longest wait", "s" },
  { "sleepers", "overlapped", "the waits overlapped", NULL },
  { "sleepers", "finish_order", "order they woke up in", NULL },
  { "sleepers", "join_order", "order they were joined in", NULL },
  { "counter", "counters", "workers counting", NULL },
  { "counter", "expected", "count expected", NULL },
  { "counter", "no-lock_count", "count without a lock", NULL },
  { "counter", "no-lock_lost", "updates lost without a lock", NULL },
  { "counter", "no-lock_s", "time without a lock", "s" },
  { "counter", "no-lock_ns_per_increment", "one increment without a lock", "ns" },
  { "counter", "lock_count", "count with a lock", NULL },
  { "counter", "lock_lost", "updates lost with a lock", NULL },
  { "counter", "lock_s", "time with a lock", "s" },
  { "counter", "lock_ns_per_increment", "one increment with a lock", "ns" },
  { "counter", "atomic_count", "count with an atomic add", NULL },
  { "counter", "atomic_lost", "updates lost with an atomic add", NULL },
  { "counter", "atomic_s", "time with an atomic add", "s" },
  { "counter", "atomic_ns_per_increment", "one increment with an atomic add", "ns" },
  { "pipe", "messages", "messages sent", NULL },
  { "pipe", "received_in_order", "messages received in order", NULL },
  { "pipe", "ping_pongs", "round trips measured", NULL },
  { "pipe", "size", "size of a ping", "bytes" },
  { "pipe", "rtt_median_us", "round trip, median", "µs" },
  { "pipe", "rtt_mean_us", "round trip, mean", "µs" },
  { "pipe", "rtt_p99_us", "round trip, slowest 1%", "µs" },
  { "pipe", "rtt_min_us", "round trip, fastest", "µs" },
  { "pipe", "call_ns", "a call of a C function, for comparison", "ns" },
  { "pipe", "message_calls", "a message (half the median round trip) in function calls", NULL },
  { "pool-vs-process", "kind", "kind of task", NULL },
  { "pool-vs-process", "tasks", "tasks, run both ways", NULL },
  { "pool-vs-process", "process_per_task_s", "time with a process per task", "s" },
  { "pool-vs-process", "pool_s", "time with a pool", "s" },
  { "pool-vs-process", "cpu_s", "CPU time spent, both ways", "s" },
  { "pool-vs-process", "faster", "faster", NULL },
  { "pool-vs-process", "text_process_per_task_s", "with a process per task, the text's figure",
    "s" },
  { "pool-vs-process", "text_pool_s", "with a pool, the text's figure", "s" },
  { "barrier", "painters", "painters", NULL },
  { "barrier", "walls", "walls", NULL },
  { "barrier", "phases", "phases", NULL },
  { "barrier", "total_s", "time of the run", "s" },
  { "barrier", "painting_s", "painting, all painters together", "s" },
  { "barrier", "cpu_s", "CPU time spent", "s" },
  { "barrier", "waiting_s", "waiting at the barrier, all painters together", "s" },
  { "barrier", "waiting_percent", "share of the time spent waiting", "%" },
  { "amdahl", "serial_fraction", "serial fraction", NULL },
  { "amdahl", "planned_one_worker_s", "planned time on one worker", "s" },
  { "amdahl", "wall_s", "time measured", "s" },
  { "amdahl", "cpu_s", "CPU time spent", "s" },
  { "amdahl", "speedup_vs_planned", "speedup against the plan", NULL },
  { "amdahl", "speedup_vs_serial", "speedup against the serial run (measured)", NULL },
  { "amdahl", "text_wall_s", "time for these workers, the text's figure", "s" },
  { "amdahl", "amdahl_speedup", "Amdahl's speedup for these workers", NULL },
  { "amdahl", "amdahl_ceiling", "Amdahl's ceiling (endless workers)", NULL },
  { "deadlock", "mode", "lock order", NULL },
  { "deadlock", "deadlocked", "deadlocked", NULL },
  { "deadlock", "cycle", "who waits for whom", NULL },
  { "deadlock", "worker1_waited_s", "worker 1 waited for its second lock", "s" },
  { "deadlock", "worker2_waited_s", "worker 2 waited for its second lock", "s" },
  { "deadlock", "timeout_s", "the demo gives up a wait after", "s" },
  { "deadlock", "put", "items the producer put", NULL },
  { "deadlock", "queued_at_join", "items still queued when its join returned", NULL },
  { "deadlock", "taken_after_join", "items taken after the join", NULL },
  { "futures", "tasks", "slow squares", NULL },
  { "futures", "apply_s", "time of apply, one call after another", "s" },
  { "futures", "as_completed_s", "time of the tasks submitted at once, as completed", "s" },
  { "futures", "apply_order", "order apply gave them", NULL },
  { "futures", "as_completed_order", "order as completed gave them", NULL },
  { "futures", "imap_order", "order imap gave them", NULL },
  { "futures", "imap_unordered_order", "order imap unordered gave them", NULL },
  { "futures", "as_completed_out_of_order", "pairs out of input order, as completed", NULL },
  { "futures", "imap_unordered_out_of_order", "pairs out of input order, imap unordered", NULL },
  { "shared", "plain_array_changed", "the ordinary array changed", NULL },
  { "shared", "value", "the Value reached", NULL },
  { "shared", "value_expected", "additions made", NULL },
  { "print", "lines", "lines printed in each pass", NULL },
  { "print", "no-lock_mixed", "mixed-up lines without a lock", NULL },
  { "print", "lock_mixed", "mixed-up lines with a lock", NULL },
  { "lifecycle", "worker_pid", "the worker's pid", NULL },
  { "lifecycle", "worker_parent_pid", "its parent, as the worker saw it", NULL },
  { "lifecycle", "parent_pid", "the parent's pid", NULL },
  { "lifecycle", "join_timeout", "join with a timeout returned", NULL },
  { "lifecycle", "alive_after_timeout", "still alive after it", NULL },
  { "lifecycle", "worker_exit_python_exitcode", "the worker's exitcode", NULL },
  { "lifecycle", "exit3_python_exitcode", "exitcode of a child returning 3", NULL },
  { "lifecycle", "terminate_python_exitcode", "exitcode after terminate ()", NULL },
  { "lifecycle", "kill_python_exitcode", "exitcode after kill ()", NULL },
  { "lifecycle", "restart", "starting a finished process again", NULL },
  { "lifecycle", "non_daemon_end_s", "the end waited for the non-daemon child", "s" },
  { "lifecycle", "daemon_end_s", "the end waited for the daemon", "s" },
  { "messages", "crossover_kb", "smallest message that costs more than its work", "KiB" },
  { "messages", "largest_ratio", "send time over work time, largest message", NULL },
  { "messages", "smallest_ratio", "send time over work time, 1 KiB message", NULL },
  { "start-methods", "starts", "children started under each method", NULL },
  { "start-methods", "parent_threads", "threads in the parent at the starts", NULL },
  { "start-methods", "fork_start_ms", "one start under fork (median)", "ms" },
  { "start-methods", "fork_global", "the global, as a forked child saw it", NULL },
  { "start-methods", "fork_threads", "threads in a forked child", NULL },
  { "start-methods", "fork_thread_memory", "the ticker's counter in a forked child", NULL },
  { "start-methods", "spawn_start_ms", "one start under spawn (median)", "ms" },
  { "start-methods", "spawn_global", "the global, as a spawned child saw it", NULL },
  { "start-methods", "spawn_threads", "threads in a spawned child", NULL },
  { "start-methods", "spawn_thread_memory", "the ticker's counter in a spawned child", NULL },
  { "start-methods", "forkserver_start_ms", "one start under forkserver (median)", "ms" },
  { "start-methods", "forkserver_global", "the global, as a fork server's child saw it", NULL },
  { "start-methods", "forkserver_threads", "threads in a fork server's child", NULL },
  { "start-methods", "forkserver_thread_memory", "the ticker's counter in a fork server's child",
    NULL },
  { "manager", "counters", "workers counting", NULL },
  { "manager", "expected", "count expected", NULL },
  { "manager", "manager_count", "count through the manager", NULL },
  { "manager", "manager_ns_per_increment", "one increment through the manager", "ns" },
  { "manager", "round_trips", "round trips to the manager", NULL },
  { "manager", "list_round_trips", "appends to the manager list", NULL },
  { "manager", "list_items", "shares on the manager list", NULL },
  { "manager", "list_sum", "shares on the list add up to", NULL },
  { "manager", "lock_count", "count under a lock", NULL },
  { "manager", "lock_ns_per_increment", "one increment under a lock", "ns" },
  { "manager", "atomic_count", "count with an atomic add", NULL },
  { "manager", "atomic_ns_per_increment", "one increment with an atomic add", "ns" },
  { "manager", "manager_over_lock", "the manager's cost over the lock's", "x" },
  { "manager", "manager_over_atomic", "the manager's cost over the atomic's", "x" },
};

/* The Try this steps, in the order the window offers them. */
static const PlabDemoTry tries[] = {
  { "squares",
    "Chunk size 1: every item is handed over alone. Compare the hand-over time per item.",
    PLAB_BACKEND_PROCESSES, 0, "chunk_size=1 n=20000", false },
  { "squares", "Crash item 500: the pool loses that item and carries on.", PLAB_BACKEND_PROCESSES,
    0, "crash_item=500 chunk_size=0", false },
  { "squares", "View arrival: the order results come back in.", PLAB_BACKEND_PROCESSES, 0,
    "view=arrival crash_item=-1", false },
  { "chef", "The for loop: Backend serial, one worker. The meal takes the sum.",
    PLAB_BACKEND_SERIAL, 1, "mode=per-task", false },
  { "chef", "A process per task, all six at once: what does the oven overlap?",
    PLAB_BACKEND_PROCESSES, 6, "mode=per-task", false },
  { "chef", "Choose Backend: gil: only the baking overlaps now.", PLAB_BACKEND_GIL, 6,
    "mode=per-task", false },
  { "cars", "Slow consumers: the queue fills up and the producer waits.", PLAB_BACKEND_PROCESSES, 0,
    "producer_ms=2 consumer_ms=20", false },
  { "cars", "Slow producer: the queue stays empty and the consumers wait.", PLAB_BACKEND_PROCESSES,
    0, "producer_ms=20 consumer_ms=2", false },
  { "cars", "A queue of capacity 1 with three consumers: every put waits for a get.",
    PLAB_BACKEND_THREADS, 0, "capacity=1 consumers=3", false },
  { "kde", "Sweep on processes: two workers take about half the time.", PLAB_BACKEND_PROCESSES, 0,
    NULL, true },
  { "kde", "A window too narrow: H 0.02 makes the curve spiky (see Result).",
    PLAB_BACKEND_PROCESSES, 0, "h=0.02", false },
  { "kde", "Eight workers on this machine: find the \"waiting for a core\" stripes.",
    PLAB_BACKEND_PROCESSES, 8, "h=0.25", false },
  { "list-append", "Sweep on processes: the time almost halves with each doubling.",
    PLAB_BACKEND_PROCESSES, 0, NULL, true },
  { "list-append", "Sweep on gil: threads under an interpreter lock gain nothing.",
    PLAB_BACKEND_GIL, 0, NULL, true },
  { "list-append", "Two workers on gil, then look at the timeline: the threads take turns.",
    PLAB_BACKEND_GIL, 2, NULL, false },
  { "sleepers", "Four workers on processes: the run takes the longest wait, not the sum.",
    PLAB_BACKEND_PROCESSES, 4, NULL, false },
  { "sleepers", "Backend serial: the for loop pays the sum, 11 units.", PLAB_BACKEND_SERIAL, 1,
    NULL, false },
  { "sleepers", "Backend gil with 4 workers: sleeping threads give the lock away.",
    PLAB_BACKEND_GIL, 4, NULL, false },
  { "counter", "Run all three counters on processes and read the totals in Result.",
    PLAB_BACKEND_PROCESSES, 0, "mode=all", false },
  { "counter", "Only the lock, with Work 0: how much does the lock itself cost?",
    PLAB_BACKEND_PROCESSES, 0, "mode=lock work=0", false },
  { "counter", "Choose Backend: gil: does the unlocked counter still lose updates?",
    PLAB_BACKEND_GIL, 0, "mode=no-lock", false },
  { "pipe", "Ping-pong between processes: read the round trip in Result.", PLAB_BACKEND_PROCESSES,
    0, "size=64", false },
  { "pipe", "The same between threads: is a round trip cheaper?", PLAB_BACKEND_THREADS, 0,
    "size=64", false },
  { "pipe", "Messages of 64 KB: when does copying start to count?", PLAB_BACKEND_PROCESSES, 0,
    "size=65536 ping_pongs=2000", false },
  { "pool-vs-process",
    "Kind io, 12 files waiting 200 ms: which wins, a process per task or the pool?",
    PLAB_BACKEND_PROCESSES, 2, "kind=io tasks=12 latency_ms=200", false },
  { "pool-vs-process",
    "200 files with no extra latency: the starts weigh as much as the waits. Which wins?",
    PLAB_BACKEND_PROCESSES, 2, "kind=io tasks=200 latency_ms=0", false },
  { "pool-vs-process", "Kind io on the gil backend: the waits still overlap.", PLAB_BACKEND_GIL, 0,
    "kind=io", false },
  { "barrier", "Run with uneven walls (Imbalance 1) and find the waits before each phase.",
    PLAB_BACKEND_PROCESSES, 0, "imbalance=1", false },
  { "barrier", "Set Imbalance to 0 and run again: the waits almost vanish.", PLAB_BACKEND_PROCESSES,
    0, "imbalance=0", false },
  { "barrier", "Choose Kind: wait and sweep: painting that waits scales past the cores.",
    PLAB_BACKEND_PROCESSES, 0, "kind=wait imbalance=0.5", true },
  { "amdahl", "Sweep with a serial fraction of 0.2: does the fitted f come out near 0.2?",
    PLAB_BACKEND_PROCESSES, 0, "serial_fraction=0.2", true },
  { "amdahl", "Set the serial fraction to 0 and sweep: how close to the ideal line?",
    PLAB_BACKEND_PROCESSES, 0, "serial_fraction=0", true },
  { "amdahl", "Set it to 0.5 and sweep: two workers give at most 1.33x.", PLAB_BACKEND_PROCESSES, 0,
    "serial_fraction=0.5", true },
  { "deadlock", "Mode opposite on threads: both lanes wait for each other's lock.",
    PLAB_BACKEND_THREADS, 0, "mode=opposite", false },
  { "deadlock", "Mode one-order: the same work, one lock order, no deadlock.", PLAB_BACKEND_THREADS,
    0, "mode=one-order", false },
  { "deadlock", "Mode queue-join on processes: the producer is joined before its items are taken.",
    PLAB_BACKEND_PROCESSES, 0, "mode=queue-join", false },
  { "futures", "Two workers on processes: compare apply's time with the others', and the orders.",
    PLAB_BACKEND_PROCESSES, 2, NULL, false },
  { "futures", "Backend serial: every way gives input order, one task after another.",
    PLAB_BACKEND_SERIAL, 1, NULL, false },
  { "futures", "Four workers on gil: sleeping threads give the lock away.", PLAB_BACKEND_GIL, 4,
    NULL, false },
  { "shared", "On processes: the shared Array doubles, the ordinary array does not.",
    PLAB_BACKEND_PROCESSES, 0, NULL, false },
  { "shared", "On threads: both arrays double, since threads share all memory.",
    PLAB_BACKEND_THREADS, 0, NULL, false },
  { "print", "Both passes on processes: compare the lines in Result.", PLAB_BACKEND_PROCESSES, 0,
    "mode=both", false },
  { "print", "Backend serial: one writer after another never mixes lines.", PLAB_BACKEND_SERIAL, 0,
    "mode=no-lock", false },
  { "lifecycle", "Run it and read the main lane from left to right.", PLAB_BACKEND_PROCESSES, 0,
    NULL, false },
  { "lifecycle", "Longer steps: every span on the timeline grows.", PLAB_BACKEND_PROCESSES, 0,
    "step_ms=800", false },
  { "messages", "Run it on 2 ranks: from which size does a message cost more than its work?",
    PLAB_BACKEND_MPI, 2, NULL, false },
  { "messages", "Give each message ten times the work: where does the crossing move?",
    PLAB_BACKEND_MPI, 2, "work_ms=20", false },
  { "start-methods", "Run all three: which start costs most, and which child saw the change?",
    PLAB_BACKEND_PROCESSES, 0, "mode=all", false },
  { "start-methods", "Only spawn, eight children: find the start spans on the main lane.",
    PLAB_BACKEND_PROCESSES, 0, "mode=spawn starts=8", false },
  { "manager", "Run all three counters on processes: compare the cost of one increment.",
    PLAB_BACKEND_PROCESSES, 0, "mode=all", false },
  { "manager", "Only the manager, then zoom the timeline: every increment is a round trip.",
    PLAB_BACKEND_PROCESSES, 0, "mode=manager increments=200", false },
  { "manager", "On threads: does the manager cost less when nobody changes process?",
    PLAB_BACKEND_THREADS, 0, "mode=all", false },
};

/* Both tables are found by the name each row starts with. */
_Static_assert(offsetof (PlabResultLabel, demo) == 0, "a result label starts with its demo");
_Static_assert(offsetof (PlabDemoTry, demo) == 0, "a Try this step starts with its demo");

/* The rows of @demo in @rows (@n_rows of @row_size bytes, each starting
 * with the demo's name): the first in *@first, and their count. */
static size_t
find_rows (const PlabDemo *demo,
           const void *rows,
           size_t n_rows,
           size_t row_size,
           const void **first)
{
  const char *row = rows;
  size_t i = 0, n = 0;

  *first = NULL;
  if (demo == NULL)
    return 0;
  while (i < n_rows && strcmp (*(const char *const *)(row + i * row_size), demo->name) != 0)
    i++;
  while (i + n < n_rows
         && strcmp (*(const char *const *)(row + (i + n) * row_size), demo->name) == 0)
    n++;
  if (n > 0)
    *first = row + i * row_size;
  return n;
}

const PlabDemoTry *
plab_demo_tries (const PlabDemo *demo, size_t *n_out)
{
  const void *first;

  *n_out = find_rows (demo, tries, sizeof tries / sizeof tries[0], sizeof tries[0], &first);
  return first;
}

const PlabResultLabel *
plab_demo_result_labels (const PlabDemo *demo, size_t *n_out)
{
  const void *first;

  *n_out = find_rows (demo, result_labels, sizeof result_labels / sizeof result_labels[0],
                      sizeof result_labels[0], &first);
  return first;
}

size_t
_plab_demo_text_rows (size_t *n_labels)
{
  *n_labels = sizeof result_labels / sizeof result_labels[0];
  return sizeof tries / sizeof tries[0];
}
