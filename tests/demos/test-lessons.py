#!/usr/bin/env python3
"""test-lessons.py: what the lessons promise holds when the demos run with
their defaults.

Runs the real plab program on a fresh run store. Each test checks the
direction of an effect a lesson teaches, never a timing threshold, and
repeats the runs so that a busy machine (a build beside the suite on two
cores) cannot flip the answer by one unlucky pause:

  - squares: with chunk_size=1 the hand-over time per item (the median gap
    between two items on a worker) is greater than with the automatic chunk,
    and the automatic chunk hands over many items at a time; a chunk is one
    span on the timeline unless item_spans asks for one per item;
  - pool-vs-process: for waiting-bound work (the defaults: 12 files, 200 ms
    of device latency each) a process per task, started all at once, beats a
    pool of 2 and of 4 workers on every run;
  - counter: with its defaults the count without a lock comes out short on
    every run and every backend that runs the counters together, while the
    lock and the atomic add count exactly.

Usage: test-lessons.py BUILD_DIR (or PLAB_BUILD_DIR). Speaks TAP.
"""
import json
import os
import statistics
import subprocess
import sys

# The shared helpers, without leaving compiled files in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "util"))
import plab_test  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PLAB_BUILD_DIR", "build")
PLAB = os.path.abspath(os.path.join(BUILD, "app", "plab"))
DEADLINE = 300  # against hangs only
REPEATS = "3"

tests = []


def test(fn):
    tests.append(fn)
    return fn


def runs(db, *args):
    """Runs plab run ... --json and returns its runs, all checked ok."""
    p = subprocess.run([PLAB, "run", *args, "--db", db, "--json"], capture_output=True,
                       text=True, timeout=DEADLINE)
    assert p.returncode == 0, f"plab run {' '.join(args)}: exit {p.returncode}: {p.stderr}"
    out = json.loads(p.stdout)["runs"]
    for r in out:
        assert r["status"] == "ok" and r["check_ok"], r
    return out


def spans(db, run_id):
    p = subprocess.run([PLAB, "show", str(run_id), "--db", db], capture_output=True, text=True,
                       timeout=DEADLINE)
    assert p.returncode == 0, p.stderr
    for line in p.stdout.splitlines():
        if line.startswith("  spans"):
            return int(line.split()[1])
    raise AssertionError(f"no spans line in:\n{p.stdout}")


@test
def squares_chunk_size_one_costs_hand_overs(db):
    one = runs(db, "squares", "-b", "processes", "-j", "2", "--set", "chunk_size=1",
               "--repeat", REPEATS)
    auto = runs(db, "squares", "-b", "processes", "-j", "2", "--repeat", REPEATS)
    one_ns = statistics.median(r["result"]["handover_ns_per_item"] for r in one)
    auto_ns = statistics.median(r["result"]["handover_ns_per_item"] for r in auto)
    assert one_ns > auto_ns, (one_ns, auto_ns)
    for r in one:
        assert r["result"]["items_per_handover"] == 1, r["result"]
    for r in auto:
        assert r["result"]["items_per_handover"] > 1, r["result"]
    # A chunk is one span: far fewer spans than the 200000 items.
    assert spans(db, auto[0]["id"]) < 200000 // 10
    assert spans(db, one[0]["id"]) >= 200000


@test
def squares_item_spans_records_every_item(db):
    (r,) = runs(db, "squares", "-b", "threads", "-j", "2", "--set", "n=5000",
                "--set", "item_spans=true")
    assert spans(db, r["id"]) >= 5000
    (r,) = runs(db, "squares", "-b", "serial", "--set", "n=5000")
    # Serial chunks of 1024 items: 5 spans of tasks.
    assert spans(db, r["id"]) < 5000 // 10


@test
def pool_vs_process_io_process_per_task_wins(db):
    out = runs(db, "pool-vs-process", "-b", "processes", "--sweep", "2,4", "--repeat", REPEATS)
    assert len(out) == 2 * int(REPEATS), out
    for r in out:
        res = r["result"]
        assert res["kind"] == "io" and res["tasks"] == 12, res
        assert res["process_per_task_s"] < res["pool_s"], (r["workers"], res)
        assert res["faster"] == "Process per task", res
        assert res["text_process_per_task_s"] == 0.1 and res["text_pool_s"] == 0.2, res


@test
def counter_without_lock_is_short_every_run(db):
    for backend in ("processes", "threads", "gil"):
        for r in runs(db, "counter", "-b", backend, "--repeat", REPEATS):
            res = r["result"]
            assert res["no-lock_lost"] > 0, (backend, res)
            assert res["no-lock_count"] < res["expected"], (backend, res)
            assert res["lock_lost"] == 0 and res["atomic_lost"] == 0, (backend, res)


def main():
    return plab_test.run_db_tests(tests, "plab-lessons-")


if __name__ == "__main__":
    sys.exit(main())
