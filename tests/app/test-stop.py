#!/usr/bin/env python3
"""test-stop.py: Stop ends a long task at once, on every backend.

A thread cannot be killed, so Stop on serial, threads and gil used to wait
for the running task to finish. Now tasks stop cooperatively: every worker
watches a cancel flag, which list-append's inner loop looks at.

For each backend the test starts `plab run list-append` with two jobs whose
tasks would each run for about TASK_TARGET_S on this machine (measured here
first, with a short run of the same demo), waits until the runner has
started its workers (the worker lanes on the --progress stream) and the tasks
have run a moment, sends SIGTERM like the window's Stop, and checks what a
user would check:

- the runner exits with 128 + SIGTERM, saying the run was recorded as
  cancelled, within a quarter of one task's length: a limit that catches
  waiting for the task, not a deadline;
- `plab show` says cancelled, with a wall time that covers the time the run
  went on, and the store holds the task spans of the stopped tasks.

The calibration and the run are measured on the same machine at nearly the
same time, so a busy machine makes both slower and the limit still holds
(try it with tests/stress-beside.sh). Speaks TAP.

Usage: test-stop.py [BUILD_DIR]   (default: $PLAB_BUILD_DIR, else ./build)
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback

BUILD_DIR = (
    sys.argv[1]
    if len(sys.argv) > 1
    else os.environ.get("PLAB_BUILD_DIR", os.path.join(os.getcwd(), "build"))
)
PLAB = os.path.join(BUILD_DIR, "app", "plab")

BACKENDS = ["serial", "threads", "gil", "processes"]

# One task (half of the count) should take this long at the calibrated pace.
TASK_TARGET_S = 40.0
# The runner must have exited within this fraction of one task's length.
STOP_FRACTION = 0.25
# How long the tasks run before Stop, once the workers are there.
RUN_BEFORE_STOP_S = 1.0
# Generator steps per number: few numbers, so little memory, each one slow.
ROUNDS = 4000
CALIBRATION_COUNT = 20000
MAX_COUNT = 50000000
# Hang catchers for what is not measured.
START_DEADLINE_S = 60.0
SHOW_DEADLINE_S = 60.0
SPAN_KIND_TASK = 0


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def run_list_append(db, backend, count, extra):
    return [
        PLAB, "run", "list-append", "-b", backend, "-j", "2",
        "--set", "count=%d" % count, "--set", "rounds=%d" % ROUNDS,
        "--set", "jobs=2", "--db", db,
    ] + extra


def seconds_per_number(tmp):
    """The time one number takes on one core: the best of two short serial runs."""
    db = os.path.join(tmp, "calibration.db")
    best = None
    for _ in range(2):
        out = subprocess.run(
            run_list_append(db, "serial", CALIBRATION_COUNT, ["--json"]),
            capture_output=True, text=True, timeout=START_DEADLINE_S,
        )
        check(out.returncode == 0, "the calibration run failed: %s" % out.stderr.strip())
        wall = json.loads(out.stdout)["runs"][0]["wall_s"]
        best = wall if best is None else min(best, wall)
    return best / CALIBRATION_COUNT


def task_span_kind(db):
    """The kind number of "task" spans, from the store's own table of names."""
    with sqlite3.connect(db) as con:
        try:
            row = con.execute("SELECT kind FROM span_kinds WHERE name = 'task'").fetchone()
        except sqlite3.Error:
            row = None
    return row[0] if row else SPAN_KIND_TASK


def stop_one(tmp, backend, per_number):
    db = os.path.join(tmp, backend + ".db")
    count = min(MAX_COUNT, int(2 * TASK_TARGET_S / per_number))
    task_s = count / 2 * per_number
    limit_s = STOP_FRACTION * task_s
    proc = subprocess.Popen(
        run_list_append(db, backend, count, ["--progress"]),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    workers_up = threading.Event()
    stderr = []

    def read_progress():
        # Reads the stream to its end, so that the runner never waits for us.
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "lane" and (
                event.get("lane", 0) >= 1 or backend == "serial"
            ):
                workers_up.set()

    def read_stderr():
        stderr.append(proc.stderr.read())

    readers = [threading.Thread(target=read_progress), threading.Thread(target=read_stderr)]
    for t in readers:
        t.start()
    try:
        check(workers_up.wait(START_DEADLINE_S), "the run did not start its workers")
        time.sleep(RUN_BEFORE_STOP_S)
        check(proc.poll() is None, "the run ended before Stop: the tasks were too short")
        stopped = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=limit_s)
        except subprocess.TimeoutExpired:
            raise Failure(
                "the runner was still there %.1f s after SIGTERM (one task: %.1f s): "
                "it waited for the task" % (limit_s, task_s)
            )
        took = time.monotonic() - stopped
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for t in readers:
            t.join()

    err = "".join(stderr)
    check(
        proc.returncode == 128 + signal.SIGTERM,
        "exit status %d, not %d: %s" % (proc.returncode, 128 + signal.SIGTERM, err.strip()),
    )
    check("recorded as cancelled" in err, "stderr does not say cancelled: %s" % err.strip())

    show = subprocess.run(
        [PLAB, "show", "--json", "--db", db, "1"],
        capture_output=True, text=True, timeout=SHOW_DEADLINE_S,
    )
    check(show.returncode == 0, "plab show failed: %s" % show.stderr.strip())
    record = json.loads(show.stdout)
    check(record["status"] == "cancelled", "the run is %s, not cancelled" % record["status"])
    check(
        record["wall_s"] >= RUN_BEFORE_STOP_S * 0.9,
        "wall time %.3f s, though the run went on for %.1f s" % (record["wall_s"], RUN_BEFORE_STOP_S),
    )
    check(record["spans"] > 0, "no spans recorded")
    with sqlite3.connect(db) as con:
        tasks = con.execute(
            "SELECT COUNT(*) FROM spans WHERE run_id = 1 AND kind = ? AND label LIKE 'list_append%'",
            (task_span_kind(db),),
        ).fetchone()[0]
    # Each stopped task ended early, and its span with it: both tasks on the
    # backends that run them at once, the first one on serial (the second
    # never starts).
    check(tasks >= (1 if backend == "serial" else 2), "%d task spans recorded" % tasks)
    return "stopped %.0f ms after SIGTERM (one task: %.1f s, limit %.1f s), %d spans" % (
        1000 * took, task_s, limit_s, record["spans"],
    )


def main():
    print("1..%d" % len(BACKENDS))
    tmp = tempfile.mkdtemp(prefix="plab-test-stop-")
    failed = 0
    try:
        try:
            per_number = seconds_per_number(tmp)
        except Exception:
            per_number = None
            calibration_error = traceback.format_exc()
        for i, backend in enumerate(BACKENDS, 1):
            name = "stop a long list-append task on %s" % backend
            if per_number is None:
                print("not ok %d - %s" % (i, name))
                print("# " + calibration_error.replace("\n", "\n# "))
                failed += 1
                continue
            try:
                note = stop_one(tmp, backend, per_number)
                print("ok %d - %s" % (i, name))
                print("# " + note)
            except Exception as e:
                failed += 1
                print("not ok %d - %s" % (i, name))
                detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
                print("# " + detail.replace("\n", "\n# "))
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
