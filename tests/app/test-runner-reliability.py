#!/usr/bin/env python3
"""test-runner-reliability.py: the runner where things go wrong around it.

On the real plab program:

  - a --progress reader that closes the stream, or stops reading, never
    holds the runs up: the stream is given up with one line on stderr, every
    run is recorded ok, and the exit status is 0 (not 141);
  - a worker stopped with SIGSTOP is reported on stderr and as a "stalled"
    event in the progress stream;
  - a runner killed mid-run leaves a run whose wall time is not 0;
  - output into a full device (/dev/full) is an error, not a silent success;
  - values echoed in an error are escaped and cut, on one line;
  - --db in a missing folder, or a path SQLite cannot take, is refused and
    creates nothing;
  - a run set estimated to take hours is refused without --yes;
  - plab export --help says where a chart goes without -o.

Usage: test-runner-reliability.py BUILD_DIR (or PLAB_BUILD_DIR). Speaks TAP.
Time limits here catch hangs only.
"""
import json
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PLAB_BUILD_DIR", "build")
PLAB = os.path.abspath(os.path.join(BUILD, "app", "plab"))
HANG = 180  # seconds: only a hang takes this long

TESTS = []


def test(func):
    TESTS.append(func)
    return func


def env_for(tmp):
    env = dict(os.environ)
    env["XDG_DATA_HOME"] = tmp
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def plab(tmp, *args, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL):
    return subprocess.run([PLAB, *args], env=env_for(tmp), stdout=stdout, stderr=subprocess.PIPE,
                          stdin=stdin, timeout=HANG)


def runs_of(db):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT id, status, wall_ns FROM runs ORDER BY id").fetchall()


def read_until(proc, needle, seen, timeout):
    """Reads proc.stdout into seen (a list of lines) until a line holds needle.
    Lines read past the one found wait for the next call."""
    deadline = time.monotonic() + timeout
    pending = getattr(proc, "plab_pending", [])
    buf = getattr(proc, "plab_buf", b"")
    while True:
        while pending:
            seen.append(pending.pop(0))
            if needle in seen[-1]:
                proc.plab_pending, proc.plab_buf = pending, buf
                return seen[-1]
        if time.monotonic() >= deadline:
            proc.plab_pending, proc.plab_buf = pending, buf
            return None
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if not r:
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            proc.plab_pending, proc.plab_buf = pending, buf
            return None
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            pending.append(line.decode())


@test
def progress_reader_closes(tmp):
    db = os.path.join(tmp, "runs.db")
    p = subprocess.Popen([PLAB, "run", "squares", "-j", "2", "-b", "threads", "--repeat", "3",
                          "--set", "n=20000", "--progress", "--db", db],
                         env=env_for(tmp), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # the reader goes away before the first line
    _, err = p.communicate(timeout=HANG)
    err = err.decode()
    assert p.returncode == 0, (p.returncode, err)
    assert "progress stream is given up" in err and "closed" in err, err
    assert [r[1] for r in runs_of(db)] == ["ok"] * 3, runs_of(db)


@test
def progress_reader_stops_reading(tmp):
    db = os.path.join(tmp, "runs.db")
    # Small chunks make many spans: the pipe fills within the first run.
    p = subprocess.Popen([PLAB, "run", "squares", "-j", "2", "-b", "processes", "--repeat", "4",
                          "--set", "n=100000", "--set", "chunk_size=1", "--set", "work=0",
                          "--progress", "--db", db],
                         env=env_for(tmp), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Never read stdout; stderr is read by communicate only at the end,
        # and holds few lines.
        p.wait(timeout=HANG)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("the runner hung on a reader that stopped reading")
    err = p.stderr.read().decode()
    p.stdout.close()
    assert p.returncode == 0, (p.returncode, err)
    runs = runs_of(db)
    assert [r[1] for r in runs] == ["ok"] * 4, runs
    if "given up" in err:
        assert "read nothing" in err, err
    # The wait for the reader is not part of any run's time: each run is far
    # shorter than the stream's 10 s deadline would make it.
    assert all(r[2] < 60 * 10**9 for r in runs), runs


@test
def open_task_streamed_before_it_ends(tmp):
    """A long task on the serial backend (run in the runner's own thread) is
    streamed as open while it runs, with its label, and its span follows
    with the same start; the store holds each task once."""
    db = os.path.join(tmp, "runs.db")
    r = plab(tmp, "run", "list-append", "-b", "serial", "-j", "1", "--set", "count=5000000",
             "--progress", "--db", db)
    assert r.returncode == 0, r.stderr.decode()
    events = [json.loads(line) for line in r.stdout.decode().splitlines()]
    opened = [(e["lane"], s) for e in events if e["event"] == "open" for s in e["spans"]
              if s[1] == "task"]
    assert opened, [e["event"] for e in events]
    lane, task = opened[0]
    assert task[3].startswith("list_append("), task
    ended = [s for e in events if e["event"] == "spans" and e["lane"] == lane
             for s in e["spans"] if s[2] == "task"]
    assert [s[0] for s in ended] == [task[0]], (ended, task)
    # Open before it ended: its "open" line comes before its "spans" line.
    first_open = next(i for i, e in enumerate(events) if e["event"] == "open")
    first_span = next(i for i, e in enumerate(events)
                      if e["event"] == "spans" and any(s[2] == "task" for s in e["spans"]))
    assert first_open < first_span
    with sqlite3.connect(db) as c:
        n = c.execute("SELECT count(*) FROM spans JOIN span_kinds USING (kind) "
                      "WHERE name = 'task'").fetchone()[0]
    assert n == 1, n


def start_long_run(tmp, db):
    return subprocess.Popen([PLAB, "run", "squares", "-j", "2", "-b", "processes", "--set",
                             "n=1000000", "--set", "work=20000", "--progress", "--db", db],
                            env=env_for(tmp), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def worker_pid(runner_pid):
    """A child process of the runner: one of its pool's workers."""
    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/task/%d/children" % (runner_pid, runner_pid)) as f:
                children = [int(c) for c in f.read().split()]
        except OSError:
            children = []
        if children:
            return children[0]
        time.sleep(0.1)
    raise AssertionError("the runner started no worker process")


@test
def stopped_worker_reported(tmp):
    db = os.path.join(tmp, "runs.db")
    p = start_long_run(tmp, db)
    seen = []
    try:
        # The workers are the runner's children; their lane lines may come
        # late on a busy machine, so the test finds them in /proc instead.
        assert read_until(p, '"task"', seen, HANG) is not None, seen[-5:]
        lane = {"pid": worker_pid(p.pid)}
        os.kill(lane["pid"], signal.SIGSTOP)
        stalled = read_until(p, '"event":"stalled"', seen, HANG)
        assert stalled is not None, "no stalled event"
        event = json.loads(stalled)
        assert event["pid"] == lane["pid"] and event["stopped"] is True, event
        os.kill(lane["pid"], signal.SIGCONT)
        p.send_signal(signal.SIGINT)
        read_until(p, '"event":"done"', seen, HANG)
        p.wait(timeout=HANG)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    err = p.stderr.read().decode()
    assert "no progress" in err and str(lane["pid"]) in err, err
    assert p.returncode == 130, p.returncode


@test
def killed_run_keeps_wall_time(tmp):
    db = os.path.join(tmp, "runs.db")
    p = start_long_run(tmp, db)
    seen = []
    try:
        assert read_until(p, '"task"', seen, HANG) is not None
        # Three times the second the test asks for, so a busy machine that
        # holds the runner up a while still leaves it time to write.
        end = time.monotonic() + 3
        while time.monotonic() < end:  # keep reading: the runner must not wait on us
            read_until(p, "never", seen, 0.2)
        p.kill()
        p.wait()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    runs = runs_of(db)
    assert len(runs) == 1, runs
    # Written about once a second while the run went: at least 1 s of it.
    assert runs[0][2] >= 10**9, runs


@test
def full_stdout_fails(tmp):
    db = os.path.join(tmp, "runs.db")
    assert plab(tmp, "run", "squares", "-j", "1", "--set", "n=1000", "--db", db).returncode == 0
    for args in (["runs", "--db", db], ["list", "--json"], ["show", "1", "--json", "--db", db],
                 ["run", "squares", "-j", "1", "--set", "n=1000", "--json", "--db", db]):
        with open("/dev/full", "w") as full:
            r = plab(tmp, *args, stdout=full)
        err = r.stderr.decode()
        assert r.returncode != 0, (args, err)
        assert err.count("\n") == 1 and "standard output" in err, (args, err)


@test
def process_limit_named(tmp):
    """A pool that cannot fork for RLIMIT_NPROC says which call failed and which
    limit to raise. Root is not held to the limit, so as root the runner runs
    as nobody (setpriv); the limit counts the user's threads and processes."""
    db = os.path.join(tmp, "runs.db")
    prefix = ["prlimit", "--nproc=2:2", "--"]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            print("# skipped part: no setpriv to drop root")
            return
        os.chmod(tmp, 0o777)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + prefix
    r = subprocess.run(prefix + [PLAB, "run", "squares", "-b", "processes", "-j", "4",
                                 "--set", "n=1000", "--db", db],
                       env=env_for(tmp), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=HANG)
    err = r.stdout.decode() + r.stderr.decode()
    assert r.returncode != 0, err
    assert runs_of(db)[-1][1] == "failed", runs_of(db)
    assert "fork: Resource temporarily unavailable" in err, err
    assert "RLIMIT_NPROC" in err and "at most 2 " in err, err


@test
def echoed_values_escaped_and_cut(tmp):
    r = plab(tmp, "run", "squares", "--db", "a\nb/x.db")
    err = r.stderr.decode()
    assert r.returncode != 0 and err.count("\n") == 1 and "a\\nb" in err, err
    r = plab(tmp, "runs", "--db", "x" * 10000)
    err = r.stderr.decode()
    assert r.returncode != 0 and err.count("\n") == 1, err
    assert len(err) < 400 and "..." in err, len(err)
    r = plab(tmp, "run", "x" * 10000)
    err = r.stderr.decode()
    assert r.returncode == 2 and err.count("\n") == 1 and len(err) < 400, err


@test
def db_in_missing_folder(tmp):
    db = os.path.join(tmp, "typo", "deeper", "runs.db")
    r = plab(tmp, "run", "squares", "-j", "1", "--set", "n=1000", "--db", db)
    err = r.stderr.decode()
    assert r.returncode != 0 and err.count("\n") == 1, err
    assert os.path.join(tmp, "typo", "deeper") in err and "does not exist" in err, err
    assert not os.path.exists(os.path.join(tmp, "typo"))

    deep = os.path.join(tmp, "long", *(["d" * 50] * 12), "runs.db")
    r = plab(tmp, "run", "squares", "-j", "1", "--set", "n=1000", "--db", deep)
    err = r.stderr.decode()
    assert r.returncode != 0 and err.count("\n") == 1 and "SQLite" in err, err
    assert not os.path.exists(os.path.join(tmp, "long"))


@test
def long_run_set_needs_yes(tmp):
    db = os.path.join(tmp, "runs.db")
    r = plab(tmp, "run", "squares", "-b", "serial,threads,processes", "--sweep", "1..256",
             "--repeat", "100", "--db", db)
    err = r.stderr.decode()
    assert r.returncode == 2 and err.count("\n") == 1, err
    assert "--yes" in err and "hours" in err, err
    assert runs_of(db) == []


@test
def export_help_names_chart_file(tmp):
    r = plab(tmp, "export", "--help")
    assert "plab-runN-KIND.FORMAT" in r.stdout.decode(), r.stdout.decode()


def main():
    print("1..%d" % len(TESTS))
    failed = 0
    for i, func in enumerate(TESTS, 1):
        with tempfile.TemporaryDirectory(prefix="plab-rel-") as tmp:
            try:
                func(tmp)
                print("ok %d - %s" % (i, func.__name__))
            except Exception as e:  # noqa: BLE001 - every failure is reported
                failed += 1
                print("not ok %d - %s" % (i, func.__name__))
                for line in repr(e).splitlines():
                    print("# " + line[:2000])
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
