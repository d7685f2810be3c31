#!/usr/bin/env python3
"""test-faults.py: faults injected into real runs of the real plab binary.

Each test records a few runs in a fresh store, starts a run that lasts several
seconds on the processes backend (so there are worker processes), injects one
fault while it is going, and then checks what a user would check:

- the runner ends (or carries on) as it should, with the right exit status and
  a clear line on stderr, within a generous deadline;
- no process of ours is left: this script makes itself a child subreaper
  (prctl PR_SET_CHILD_SUBREAPER), so any worker or other process the runner leaves
  behind re-parents here, where it is seen (running or a zombie) instead of
  vanishing into init;
- nothing of ours is left in /dev/shm;
- the store passes PRAGMA integrity_check, every run recorded before the fault
  is byte for byte what it was, and the interrupted run is recorded failed or
  cancelled with the work it had done up to the fault (its lanes and spans).

The deadlines only guard against hangs; nothing here asserts how fast a thing
happened. Speaks TAP.

Usage: test-faults.py [BUILD_DIR]   (default: $PLAB_BUILD_DIR, else ./build)
"""

import ctypes
import errno
import hashlib
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

PR_SET_CHILD_SUBREAPER = 36

# Generous bounds for a loaded 2-core machine: they catch hangs, they do not time anything.
START_DEADLINE_S = 20.0  # until the run is going with its workers and has done some work
END_DEADLINE_S = 20.0  # until the runner has exited after the fault
CLEAN_DEADLINE_S = 15.0  # until every process it left has gone
RUN_DEADLINE_S = 45.0  # a whole run that carries on after a worker died

BUILD_DIR = (
    sys.argv[1]
    if len(sys.argv) > 1
    else os.environ.get("PLAB_BUILD_DIR", os.path.join(os.getcwd(), "build"))
)
PLAB = os.path.join(BUILD_DIR, "app", "plab")

# A squares run of several seconds: each item costs `work` loop rounds, and a
# chunk size of 50 gives the pool many small hand-overs, so spans reach the
# runner (and the progress stream) all the time; item_spans gives every item a
# span of its own, so each worker records without pause.
LONG_SQUARES = ["--set", "n=400000", "--set", "work=20000", "--set", "chunk_size=50",
                "--set", "item_spans=true"]


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


# --- Processes ---


def set_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl (PR_SET_CHILD_SUBREAPER)")


def proc_state(pid):
    """(state letter, ppid) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def proc_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def children_of(pid):
    kids = set()
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.update(int(x) for x in f.read().split())
        except OSError:
            pass
    return kids


def descendants(pid):
    seen, todo = set(), [pid]
    while todo:
        for kid in children_of(todo.pop()):
            if kid not in seen:
                seen.add(kid)
                todo.append(kid)
    return seen


def reap_zombie_children():
    """Reaps the zombies among this process's children (orphans of the runner
    re-parented here); returns their pids."""
    reaped = []
    for kid in children_of(os.getpid()):
        st = proc_state(kid)
        if st is not None and st[0] == "Z":
            try:
                os.waitpid(kid, os.WNOHANG)
                reaped.append(kid)
            except ChildProcessError:
                pass
    return reaped


def wait_no_descendants(deadline_s):
    """Waits until no process descends from this one. Zombies re-parented here
    are reaped (that is what a subreaper is for); processes still running at the
    deadline are named, killed and reported."""
    end = time.monotonic() + deadline_s
    while True:
        reap_zombie_children()
        left = descendants(os.getpid())
        if not left:
            return []
        if time.monotonic() > end:
            report = []
            for pid in sorted(left):
                st = proc_state(pid)
                report.append(f"{pid} ({st[0] if st else 'gone'}: {proc_cmdline(pid)})")
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.2)
            reap_zombie_children()
            return report
        time.sleep(0.05)


def shm_entries(pids):
    """Entries of /dev/shm made by any of @pids: plab names its segments
    plab.<creator pid>.<name>. (Other programs, other labs' tests among them,
    may use /dev/shm at the same time.)"""
    try:
        names = os.listdir("/dev/shm")
    except FileNotFoundError:
        return set()
    ours = set()
    for n in names:
        parts = n.split(".")
        if len(parts) >= 3 and parts[0] == "plab" and parts[1].isdigit() and int(parts[1]) in pids:
            ours.add(n)
    return ours


# --- The store ---


def connect(db):
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)


def run_fingerprint(db, run_id):
    """The run's row and a digest of its lanes, spans and counters."""
    con = connect(db)
    try:
        row = con.execute(
            "SELECT id, demo, backend, workers, params, seed, status, started_at_us, wall_ns, "
            "cpu_ns, result, check_ok, check_message, error, sweep_id, repeat, n_spans "
            "FROM runs WHERE id = ?",
            (run_id,),
        ).fetchone()
        digest = hashlib.sha256()
        counts = []
        for table, order in (
            ("lanes", "lane"),
            ("spans", "lane, start_ns, seq"),
            ("counters", "lane, name, t_ns, value"),
        ):
            n = 0
            for r in con.execute(f"SELECT * FROM {table} WHERE run_id = ? ORDER BY {order}", (run_id,)):
                digest.update(repr(r).encode())
                n += 1
            counts.append(n)
        return row, tuple(counts), digest.hexdigest()
    finally:
        con.close()


def run_row(db, run_id):
    con = connect(db)
    con.row_factory = sqlite3.Row
    try:
        row = con.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        n_lanes = con.execute("SELECT count(*) FROM lanes WHERE run_id = ?", (run_id,)).fetchone()[0]
        n_spans = con.execute("SELECT count(*) FROM spans WHERE run_id = ?", (run_id,)).fetchone()[0]
        n_tasks = con.execute(
            "SELECT count(*) FROM spans WHERE run_id = ? AND kind = 0", (run_id,)
        ).fetchone()[0]
        return dict(row) if row else None, n_lanes, n_spans, n_tasks
    finally:
        con.close()


def run_ids(db):
    con = connect(db)
    try:
        return [r[0] for r in con.execute("SELECT id FROM runs ORDER BY id")]
    finally:
        con.close()


def integrity(db):
    con = connect(db)
    try:
        return [r[0] for r in con.execute("PRAGMA integrity_check")]
    finally:
        con.close()


# --- One fault ---


class Lab:
    """A fresh store with a few earlier runs, and the run a fault hits."""

    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"plab-faults-{name}-")
        self.db = os.path.join(self.dir, "runs.db")
        self.seen_pids = set()  # every process seen below this one while the lab ran
        self.earlier = {}
        self.proc = None
        self.stdout_lines = []
        self.stderr = b""
        self.worker_pids = set()

    def plab(self, *args, check_rc=0):
        r = subprocess.run([PLAB, *args, "--db", self.db], capture_output=True, timeout=120)
        if check_rc is not None and r.returncode != check_rc:
            raise Failure(
                f"plab {' '.join(args)} exited {r.returncode}, not {check_rc}: "
                f"{r.stderr.decode(errors='replace').strip()}"
            )
        return r

    def record_earlier_runs(self):
        """An ok run on processes, a run whose worker crashed, and a cars run."""
        self.plab("run", "squares", "-b", "processes", "-j", "2", "--set", "n=20000",
                  "--set", "item_spans=true")
        self.plab("run", "squares", "-b", "processes", "-j", "2", "--set", "n=20000",
                  "--set", "crash_item=7", "--set", "item_spans=true", check_rc=1)
        self.plab("run", "cars", "-b", "threads", "-j", "2", "--set", "cars=30",
                  "--set", "producer_ms=0", "--set", "consumer_ms=0")
        for run_id in run_ids(self.db):
            self.earlier[run_id] = run_fingerprint(self.db, run_id)
        check(len(self.earlier) == 3, f"3 earlier runs recorded, got {len(self.earlier)}")

    def start(self, *args, progress=True):
        argv = [PLAB, "run", *args, "--db", self.db] + (["--progress"] if progress else [])
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Readers on threads, so that a full pipe never stops the runner.
        self._out = threading.Thread(target=self._read_stdout, daemon=True)
        self._err = threading.Thread(target=self._read_stderr, daemon=True)
        self._out.start()
        self._err.start()
        self._watch = threading.Thread(target=self._watch_pids, daemon=True)
        self._watch.start()

    def _watch_pids(self):
        while self.proc.poll() is None:
            self.seen_pids |= descendants(os.getpid())
            time.sleep(0.02)

    def _read_stdout(self):
        for line in self.proc.stdout:
            self.stdout_lines.append(line)

    def _read_stderr(self):
        self.stderr = self.proc.stderr.read()

    def workers(self):
        return children_of(self.proc.pid)

    def task_spans_streamed(self):
        """Task spans the runner has streamed so far (with --progress)."""
        n = 0
        for line in list(self.stdout_lines):
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event") == "spans":
                n += sum(1 for s in ev.get("spans", []) if len(s) > 2 and s[2] == "task")
        return n

    def lane_pid(self, name):
        """The pid of the worker whose lane is @name, from the progress stream."""
        pid = 0
        for line in list(self.stdout_lines):
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event") == "lane" and ev.get("name") == name and ev.get("pid", 0) > 0:
                pid = ev["pid"]
        return pid

    def wait_mid_run(self, min_workers=2, min_tasks=20):
        """Waits until the runner has its workers and has streamed some finished tasks."""
        end = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < end:
            check(self.proc.poll() is None,
                  f"the runner ended before the fault (status {self.proc.returncode}): "
                  f"{self.stderr.decode(errors='replace').strip()}")
            kids = self.workers()
            self.worker_pids |= kids
            if len(kids) >= min_workers and (min_tasks == 0 or self.task_spans_streamed() >= min_tasks):
                return kids
            time.sleep(0.05)
        raise Failure(f"the run did not get going within {START_DEADLINE_S:.0f} s")

    def wait_end(self, deadline_s=END_DEADLINE_S):
        try:
            rc = self.proc.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure(f"the runner was still there {deadline_s:.0f} s after the fault")
        self._out.join(5)
        self._err.join(5)
        return rc

    def stderr_text(self):
        return self.stderr.decode(errors="replace")

    def the_run(self):
        """The run the fault hit: the one recorded after the earlier ones."""
        new = [i for i in run_ids(self.db) if i not in self.earlier]
        check(len(new) == 1, f"one new run in the store, found {new}")
        return new[0]

    def check_aftermath(self):
        """Nothing left running, nothing in /dev/shm, the store sound and the earlier runs intact."""
        left = wait_no_descendants(CLEAN_DEADLINE_S)
        check(not left, f"processes left behind: {', '.join(left)}")
        leaked = shm_entries(self.seen_pids | {self.proc.pid})
        check(not leaked, f"left in /dev/shm: {sorted(leaked)}")
        check(integrity(self.db) == ["ok"], f"integrity_check: {integrity(self.db)}")
        for run_id, fp in self.earlier.items():
            now = run_fingerprint(self.db, run_id)
            check(now == fp, f"earlier run {run_id} changed: {fp[:2]} -> {now[:2]}")

    def journals(self):
        """Event journals beside the store (those of runs not yet repaired)."""
        return sorted(n for n in os.listdir(self.dir) if "-events-" in n)

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        wait_no_descendants(2)
        shutil.rmtree(self.dir, ignore_errors=True)


def check_partial_run(lab, run_id, status, error_has):
    row, n_lanes, n_spans, n_tasks = run_row(lab.db, run_id)
    check(row["status"] == status, f"run {run_id} is {row['status']}, not {status} ({row['error']})")
    check(row["error"] and error_has in row["error"],
          f"run {run_id}'s error {row['error']!r} does not say {error_has!r}")
    # The work done before the fault is kept: the main lane and the two
    # workers, and task spans (at least those the runner had already streamed).
    check(n_lanes >= 3, f"run {run_id} has {n_lanes} lanes, expected the main one and 2 workers")
    check(n_tasks > 0, f"run {run_id} kept no task spans of the work done before the fault")
    check(row["n_spans"] == n_spans, f"runs.n_spans {row['n_spans']} but {n_spans} span rows")
    return row, n_tasks


# --- The faults ---


def fault_runner_signal(sig, demo_args, want_rc, word):
    lab = Lab(f"runner-{signal.Signals(sig).name.lower()}")
    try:
        lab.record_earlier_runs()
        lab.start(*demo_args)
        lab.wait_mid_run()
        streamed = lab.task_spans_streamed()
        os.kill(lab.proc.pid, sig)
        rc = lab.wait_end()
        err = lab.stderr_text()
        check(rc == want_rc, f"exit status {rc}, not {want_rc}; stderr: {err.strip()}")
        check(f"stopped by {word}" in err and "recorded as cancelled" in err,
              f"stderr does not say it was stopped by {word} and recorded as cancelled: {err.strip()}")
        lab.check_aftermath()
        check(lab.journals() == [], f"journals left by a runner that recorded its run: {lab.journals()}")
        row, n_tasks = check_partial_run(lab, lab.the_run(), "cancelled", f"cancelled by {word}")
        check(n_tasks >= streamed, f"the store kept {n_tasks} task spans, fewer than the {streamed} streamed")
        return f"exit {rc}, run cancelled with {n_tasks} task spans"
    finally:
        lab.cleanup()


def test_runner_sigint():
    return fault_runner_signal(signal.SIGINT, ["squares", "-b", "processes", "-j", "2", *LONG_SQUARES],
                               130, "SIGINT")


def test_runner_sigterm():
    # cars: producer and consumer processes that are not a pool, on a queue.
    return fault_runner_signal(
        signal.SIGTERM,
        ["cars", "-b", "processes", "-j", "2", "--set", "cars=2000", "--set", "producer_ms=2",
         "--set", "consumer_ms=4"],
        143, "SIGTERM")


def test_runner_sighup():
    # A terminal that hangs up, or the lab window's process gone (its parent-death signal).
    return fault_runner_signal(signal.SIGHUP, ["squares", "-b", "processes", "-j", "2", *LONG_SQUARES],
                               129, "SIGHUP")


def test_runner_second_sigint():
    """Ctrl-C twice: the runner leaves at once; the run is found and marked failed later."""
    lab = Lab("runner-sigint-twice")
    try:
        lab.record_earlier_runs()
        lab.start("squares", "-b", "processes", "-j", "2", *LONG_SQUARES)
        lab.wait_mid_run()
        os.kill(lab.proc.pid, signal.SIGINT)
        # Two signals sent at once may arrive as one: leave the handler a moment.
        time.sleep(0.005)
        os.kill(lab.proc.pid, signal.SIGINT)
        rc = lab.wait_end()
        err = lab.stderr_text()
        # The first signal may already have finished the run before the second came.
        check(rc == 130, f"exit status {rc}, not 130; stderr: {err.strip()}")
        check("second signal, stopping at once" in err or "recorded as cancelled" in err,
              f"stderr does not say how it stopped: {err.strip()}")
        lab.check_aftermath()
        run_id = lab.the_run()
        lab.plab("run", "squares", "-b", "serial", "--set", "n=100")  # the next writer
        row, _, _, n_tasks = run_row(lab.db, run_id)
        check(row["status"] in ("failed", "cancelled"), f"run {run_id} is {row['status']}")
        check(n_tasks > 0, f"run {run_id} kept no task spans")
        check(lab.journals() == [], f"journals left: {lab.journals()}")
        how = "stopped at once" if "second signal" in err else "the first signal had done it all"
        return f"exit {rc} ({how}), run {row['status']}"
    finally:
        lab.cleanup()


def runner_sigkill(name, demo_args):
    lab = Lab(name)
    try:
        lab.record_earlier_runs()
        lab.start(*demo_args)
        workers = lab.wait_mid_run()
        streamed = lab.task_spans_streamed()
        os.kill(lab.proc.pid, signal.SIGKILL)
        rc = lab.wait_end()
        check(rc == -signal.SIGKILL, f"exit status {rc}, not killed by SIGKILL")
        # The workers die with their parent (PR_SET_PDEATHSIG) and re-parent here.
        lab.check_aftermath()
        for pid in workers:
            check(proc_state(pid) is None, f"worker {pid} is still there")
        run_id = lab.the_run()

        # A reader already tells it apart from a live run...
        shown = json.loads(lab.plab("show", str(run_id), "--json").stdout)
        check(shown["status"] == "failed", f"plab show says {shown['status']}")
        # ...and the next writer records it failed, with the work it had done:
        # the spans the runner held back come from its journal.
        check(lab.journals() == [f"runs.db-events-{run_id}"], f"journals: {lab.journals()}")
        lab.plab("run", "squares", "-b", "serial", "--set", "n=100")
        row, n_tasks = check_partial_run(lab, run_id, "failed", "killed or crashed")
        check(n_tasks >= streamed, f"the store kept {n_tasks} task spans, fewer than the {streamed} streamed")
        check(integrity(lab.db) == ["ok"], "integrity_check after the repair")
        check(lab.journals() == [], f"journals left after the repair: {lab.journals()}")
        # Opening again imports nothing twice.
        lab.plab("run", "squares", "-b", "serial", "--set", "n=100")
        check(run_row(lab.db, run_id)[3] == n_tasks, "a second open changed the repaired run")
        return f"killed, run failed on the next open with {n_tasks} task spans"
    finally:
        lab.cleanup()


def test_runner_sigkill():
    return runner_sigkill("runner-sigkill", ["squares", "-b", "processes", "-j", "2", *LONG_SQUARES])


def test_runner_sigkill_cars():
    return runner_sigkill(
        "runner-sigkill-cars",
        ["cars", "-b", "processes", "-j", "2", "--set", "cars=2000", "--set", "producer_ms=2",
         "--set", "consumer_ms=4"])


def worker_fault(name, inject, want_signal, signal_words):
    """A worker dies mid-run: the pool fails exactly the item it held, starts
    another worker and finishes the rest; the run is recorded failed, naming
    the worker's pid and the signal, and the runner exits 1."""
    lab = Lab(name)
    try:
        lab.record_earlier_runs()
        lab.start("squares", "-b", "processes", "-j", "2", "--set", "n=100000", "--set", "work=20000",
                  "--set", "chunk_size=50", "--set", "item_spans=true", *inject.get("args", []),
                  progress=True)
        victim = None
        if "signal" in inject:
            workers = lab.wait_mid_run()
            victim = min(workers)
            os.kill(victim, inject["signal"])
            # The runner reaps it (no zombie while the runner goes on) and carries on.
            end = time.monotonic() + END_DEADLINE_S
            while proc_state(victim) is not None and lab.proc.poll() is None and time.monotonic() < end:
                time.sleep(0.05)
            st = proc_state(victim)
            check(st is None or lab.proc.poll() is not None,
                  f"worker {victim} left as {st} while the runner goes on")
        rc = lab.wait_end(RUN_DEADLINE_S)
        out = b"".join(lab.stdout_lines).decode(errors="replace")
        err = lab.stderr_text()
        check(rc == 1, f"exit status {rc}, not 1; stderr: {err.strip()}")
        lab.check_aftermath()
        check(lab.journals() == [], f"journals left by a runner that recorded its run: {lab.journals()}")
        run_id = lab.the_run()
        row, n_lanes, n_spans, n_tasks = run_row(lab.db, run_id)
        check(row["status"] == "failed", f"run {run_id} is {row['status']}, not failed")
        error = row["error"] or ""
        check(f"signal {want_signal}" in error and signal_words in error and "pid" in error,
              f"the error does not name the pid and signal {want_signal}: {error!r}")
        if victim is not None:
            check(f"pid {victim}" in error, f"the error does not name pid {victim}: {error!r}")
        check("FAILED" in err and error in err, f"stderr does not show the failure: {err.strip()}")
        result = json.loads(row["result"])
        check(result.get("lost") == 1 and result.get("correct") == result.get("n") - 1,
              f"not exactly one item lost: {result.get('correct')} of {result.get('n')} correct")
        # The replacement worker is a lane of its own: 2 workers + 1 replacement + main.
        check(n_lanes >= 4, f"{n_lanes} lanes: no replacement worker recorded")
        check(n_tasks >= result["n"] - 1,
              f"{n_tasks} task spans for {result['n']} items")
        check('"event":"done"' in out.replace(" ", ""), "the progress stream did not end with done")
        return f"exit {rc}, run failed: {error}"
    finally:
        lab.cleanup()


def crew_fault(name, demo_args, victim_lane, min_workers):
    """A worker of a demo that is not a pool dies mid-run: the run fails at
    once, naming the worker and the signal, and the rest of its crew is
    stopped rather than left waiting for what the dead one will never do."""
    lab = Lab(name)
    try:
        lab.record_earlier_runs()
        lab.start(*demo_args)
        lab.wait_mid_run(min_workers=min_workers, min_tasks=5)
        victim = lab.lane_pid(victim_lane)
        check(victim in lab.workers(), f"no running worker '{victim_lane}' ({victim})")
        os.kill(victim, signal.SIGKILL)
        rc = lab.wait_end()
        err = lab.stderr_text()
        out = b"".join(lab.stdout_lines).decode(errors="replace")
        check(rc == 1, f"exit status {rc}, not 1; stderr: {err.strip()}")
        lab.check_aftermath()
        check(lab.journals() == [], f"journals left by a runner that recorded its run: {lab.journals()}")
        run_id = lab.the_run()
        want = f"{victim_lane} killed by signal 9"
        row, n_tasks = check_partial_run(lab, run_id, "failed", want)
        check(want in err, f"stderr does not say '{want}': {err.strip()}")
        check('"event":"done"' in out.replace(" ", ""), "the progress stream did not end with done")
        return f"exit {rc}, run failed: {row['error']}, {n_tasks} task spans kept"
    finally:
        lab.cleanup()


def test_producer_sigkill():
    return crew_fault("producer-sigkill",
                      ["cars", "-b", "processes", "-j", "2", "--set", "cars=2000",
                       "--set", "producer_ms=2", "--set", "consumer_ms=4"], "producer 1", 3)


def test_painter_sigkill():
    return crew_fault("painter-sigkill",
                      ["barrier", "-b", "processes", "-j", "2", "--set", "walls=32", "--set", "wall_ms=60",
                       "--set", "phases=6"], "painter 2", 2)


def test_worker_sigkill():
    return worker_fault("worker-sigkill", {"signal": signal.SIGKILL}, 9, "Killed")


def test_worker_segfault():
    # crash_item makes the task of that item dereference a null pointer.
    return worker_fault("worker-segfault", {"args": ["--set", "crash_item=30000"]}, 11,
                        "Segmentation fault")


def test_worker_abort():
    return worker_fault("worker-abort", {"signal": signal.SIGABRT}, 6, "Aborted")


def test_runner_stopped_and_continued():
    """Ctrl-Z and fg: the runner and its sleepers are stopped for longer than
    the sum of the waits and continued. A pause makes the run slower, not
    wrong, so it must be stored ok, with the speed claim only in a note."""
    lab = Lab("sigstop")
    try:
        # Four sleepers of 5, 2, 1 and 3 units of 100 ms: the sum is 1.1 s.
        lab.start("sleepers", "-b", "processes", "-j", "4", "--set", "unit_ms=100")
        lab.wait_mid_run(min_workers=4, min_tasks=0)
        stopped = [lab.proc.pid] + sorted(descendants(lab.proc.pid))
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(1.5)
        for pid in stopped:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        rc = lab.wait_end(RUN_DEADLINE_S)
        err = lab.stderr_text()
        check(rc == 0, f"exit status {rc}, not 0, after a pause; stderr: {err.strip()}")
        row, n_lanes, _, _ = run_row(lab.db, lab.the_run())
        check(row["status"] == "ok", f"the paused run is {row['status']}: {row['check_message']}")
        summary = json.loads(row["result"])
        check(summary["total_s"] > summary["sum_s"],
              f"the pause did not show in the run's time: {summary['total_s']} s, sum {summary['sum_s']} s")
        check(summary["overlapped"] is False and any("did not overlap" in n for n in summary["figure"]["notes"]),
              f"the note does not say the waits did not overlap: {summary['figure']['notes']}")
        check(n_lanes >= 5, f"{n_lanes} lanes, expected the main one and 4 sleepers")
        lab.check_aftermath()
        return f"stopped {len(stopped)} processes for 1.5 s; stored ok after {summary['total_s']} s"
    finally:
        lab.cleanup()


TESTS = [
    ("runner SIGINT mid-run", test_runner_sigint),
    ("runner SIGTERM mid-run (cars)", test_runner_sigterm),
    ("runner SIGHUP mid-run", test_runner_sighup),
    ("runner SIGINT twice mid-run", test_runner_second_sigint),
    ("runner SIGKILL mid-run", test_runner_sigkill),
    ("runner SIGKILL mid-run (cars)", test_runner_sigkill_cars),
    ("worker SIGKILL mid-run", test_worker_sigkill),
    ("worker segfault mid-run", test_worker_segfault),
    ("worker SIGABRT mid-run", test_worker_abort),
    ("producer SIGKILL mid-run (cars)", test_producer_sigkill),
    ("painter SIGKILL mid-run (barrier)", test_painter_sigkill),
    ("runner and sleepers SIGSTOP, then SIGCONT", test_runner_stopped_and_continued),
]


def main():
    print(f"1..{len(TESTS)}")
    if not os.access(PLAB, os.X_OK):
        for i, (name, _) in enumerate(TESTS, 1):
            print(f"not ok {i} - {name}: no plab binary at {PLAB}")
        return 1
    set_subreaper()
    # A worker that aborts or segfaults must not leave core files behind.
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    failed = 0
    for i, (name, func) in enumerate(TESTS, 1):
        t0 = time.monotonic()
        try:
            what = func()
            print(f"ok {i} - {name}")
            print(f"# {what} ({time.monotonic() - t0:.1f} s)")
        except Exception as e:  # noqa: BLE001 - every failure is reported in TAP
            failed += 1
            print(f"not ok {i} - {name}")
            for line in (str(e) if isinstance(e, Failure) else traceback.format_exc()).splitlines():
                print(f"#   {line}")
            print(f"# ({time.monotonic() - t0:.1f} s)")
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
