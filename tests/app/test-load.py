#!/usr/bin/env python3
"""Load on the runner and the run store, on real processes and real SQLite files.

- One runner making 1,000 runs in a row (a sweep of four backends, 1..3
  workers, 100 repeats): while it runs, its open file descriptors
  (/proc/PID/fd) and resident memory (VmRSS) are sampled and matched to the
  number of runs finished. Between runs the runner must hold the same
  descriptors at the end as at the start, and after warm-up (the store's
  16 MiB page cache filling) its memory must stay flat.
- Hundreds of separate `plab run` processes, one after another, into one
  store: every run is listed, the file passes SQLite's integrity check, the
  write-ahead log stays small.
- 64 workers on a 2-core machine on the processes, threads and gil backends:
  the runs are correct, every worker is a lane with tasks on the timeline,
  every worker process exited, nothing is left behind (no orphan process, no
  shared memory segment), and the pool's limit (256 workers) is kept with a
  clear message for 257.

Orphans are caught by making this script a child subreaper: a worker that
outlived its runner would be re-parented here instead of to init.

Speaks TAP. `test-load.py runs` does the first two, `test-load.py workers`
the third (two meson tests, each well under a minute); with neither, all.
`--full` makes 1,000 separate runs instead of 200 (the benchmark,
tests/bench/load-runs.sh, uses it and prints the figures).
"""
import ctypes
import glob
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("PLAB_BUILD_DIR") or os.path.join(os.path.dirname(__file__), "..", "build")
PLAB = os.path.join(BUILD, "app", "plab")
FULL = "--full" in sys.argv
SEPARATE_RUNS = 1000 if FULL else 200
RUN_DEADLINE_S = 300  # only against hangs: the runs below take seconds
PR_SET_CHILD_SUBREAPER = 36

results = []


def check(ok, name, detail=""):
    results.append(ok)
    print(("ok" if ok else "not ok") + f" {len(results)} - {name}")
    if detail:
        for line in str(detail).splitlines():
            print(f"# {line}")
    sys.stdout.flush()


def note(text):
    print(f"# {text}")
    sys.stdout.flush()


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def adopted_children(exclude=()):
    """Processes re-parented to this script (a subreaper) that are still there."""
    me = os.getpid()
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the last ')'.
        fields = text[text.rfind(")") + 2:].split()
        pid = int(stat.split("/")[2])
        if int(fields[1]) == me and pid not in exclude:
            found.append((pid, text[text.find("(") + 1:text.rfind(")")], fields[0]))
    return found


def reap_zombies():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def store(db):
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)


def status_counts(db):
    with store(db) as c:
        return dict(c.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall())


def run_plab(args, db, timeout=RUN_DEADLINE_S):
    return subprocess.run([PLAB] + args + ["--db", db], capture_output=True, text=True,
                          timeout=timeout)


# --- 1,000 runs in one runner ---


FD_MARGIN = 4  # see test_thousand_runs_in_one_runner


def sample_runner(db, args):
    """Starts the runner and samples (runs finished, fds, RSS kB) every 20 ms."""
    p = subprocess.Popen([PLAB] + args + ["--db", db], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    samples, runs, last_query = [], 0, 0.0
    deadline = time.monotonic() + RUN_DEADLINE_S
    while p.poll() is None and time.monotonic() < deadline:
        now = time.monotonic()
        if now - last_query > 0.1 and os.path.exists(db):
            try:
                with store(db) as c:
                    runs = c.execute(
                        "SELECT count(*) FROM runs WHERE status != 'running'").fetchone()[0]
            except sqlite3.Error:
                pass
            last_query = now
        try:
            fds = len(os.listdir(f"/proc/{p.pid}/fd"))
            with open(f"/proc/{p.pid}/status", encoding="utf-8") as f:
                rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))
            samples.append((runs, fds, rss))
        except (OSError, StopIteration, ValueError):
            pass  # it just ended
        time.sleep(0.02)
    if p.poll() is None:
        p.kill()
    p.wait()
    return p, p.stderr.read(), samples


def test_thousand_runs_in_one_runner(tmp):
    db = os.path.join(tmp, "one.db")
    # serial runs once per repeat, the other three backends on 1, 2 and 3
    # workers: 100 + 3 * 3 * 100 = 1,000 runs. n=5000 spans per run fill
    # the store's page cache within the first hundred runs.
    args = ["run", "squares", "-b", "serial,threads,processes,gil", "--sweep", "1..3",
            "--repeat", "100", "--set", "n=5000", "--set", "work=0", "--set", "item_spans=true",
            "--yes"]
    t0 = time.monotonic()
    p, err, samples = sample_runner(db, args)
    elapsed = time.monotonic() - t0
    counts = status_counts(db) if os.path.exists(db) else {}
    check(p.returncode == 0 and counts == {"ok": 1000},
          "one runner makes 1,000 runs in a row, all ok",
          f"exit {p.returncode}, runs {counts}, {elapsed:.1f} s\n{err[-500:]}")

    def window(lo, hi):
        return [s for s in samples if lo <= s[0] < hi]

    # Samples taken once the last run is recorded see the runner closing its
    # store on the way out: the late window ends before that.
    early, late = window(100, 300), window(800, 1000)
    enough = len(early) >= 3 and len(late) >= 3
    check(enough, "the runner was sampled before and after 800 runs",
          f"{len(samples)} samples, {len(early)} in runs 100-299, {len(late)} in runs 800-999")
    if not enough:
        return
    # Between runs the runner holds its own descriptors (stdio, the store,
    # its WAL); during a run the workers' pipes come and go. A descriptor
    # lost per run would lift the floor by hundreds. The floor is the fewest
    # seen in a window, so on a busy machine, where the short gaps between
    # runs may escape every sample, the late floor can sit a few above the
    # early one without anything lost: a margin of FD_MARGIN allows for that
    # and still catches a leak of one descriptor in 100 runs.
    floor_early, floor_late = min(s[1] for s in early), min(s[1] for s in late)
    peak_fds = max(s[1] for s in samples)
    check(floor_late <= floor_early + FD_MARGIN and peak_fds < 64,
          "open files: the same between runs after 1,000 runs, never many",
          f"fds between runs: {floor_early} (runs 100-299), {floor_late} (runs 800-999); "
          f"peak {peak_fds}")
    rss_early, rss_late = max(s[2] for s in early), max(s[2] for s in late)
    check(rss_late - rss_early < 2048,
          "memory: no growth between run 100 and run 1,000 (< 2 MiB)",
          f"peak VmRSS {rss_early} kB in runs 100-299, {rss_late} kB in runs 800-999 "
          f"({rss_late - rss_early:+d} kB)")
    note(f"figures: 1000 runs in {elapsed:.1f} s, fds {floor_early}..{peak_fds}, "
         f"VmRSS {rss_early} -> {rss_late} kB")


# --- Separate runners into one store ---

COMBOS = [
    ("squares", "serial", ["--set", "n=200", "--set", "work=0"]),
    ("squares", "threads", ["--set", "n=200", "--set", "work=0"]),
    ("squares", "processes", ["--set", "n=200", "--set", "work=0"]),
    ("squares", "gil", ["--set", "n=200", "--set", "work=0"]),
    ("counter", "processes", ["--set", "increments=1000"]),
    ("pipe", "threads", ["--set", "ping_pongs=50"]),
]


def test_separate_runners(tmp):
    db = os.path.join(tmp, "many.db")
    failures = []
    t0 = time.monotonic()
    for i in range(SEPARATE_RUNS):
        demo, backend, extra = COMBOS[i % len(COMBOS)]
        r = run_plab(["run", demo, "-b", backend, "-j", "2"] + extra, db)
        if r.returncode != 0:
            failures.append((i, demo, backend, r.returncode, r.stderr[-200:]))
    elapsed = time.monotonic() - t0
    check(not failures, f"{SEPARATE_RUNS} separate plab run processes into one store all succeed",
          f"{elapsed:.1f} s ({elapsed / SEPARATE_RUNS * 1000:.0f} ms a run); failures: "
          f"{failures[:3]}")

    with store(db) as c:
        integrity = c.execute("PRAGMA integrity_check").fetchall()
        n_runs, n_ok = c.execute(
            "SELECT count(*), sum(status = 'ok') FROM runs").fetchone()
        n_machines = c.execute("SELECT count(*) FROM machines").fetchone()[0]
    check(integrity == [("ok",)] and n_runs == SEPARATE_RUNS and n_ok == SEPARATE_RUNS,
          "the store passes integrity_check and holds every run, ok",
          f"integrity {integrity[:3]}, {n_runs} runs, {n_ok} ok")
    check(n_machines == 1, "the machine is recorded once, not once per run", f"{n_machines}")

    listed = run_plab(["runs", "--limit", "0", "--json"], db)
    try:
        doc = json.loads(listed.stdout)
        rows = doc if isinstance(doc, list) else doc.get("runs", [])
    except ValueError:
        rows = []
    check(listed.returncode == 0 and len(rows) == SEPARATE_RUNS,
          f"plab runs lists all {SEPARATE_RUNS} runs", f"exit {listed.returncode}, {len(rows)} rows")

    wal = db + "-wal"
    wal_size = os.path.getsize(wal) if os.path.exists(wal) else 0
    db_size = os.path.getsize(db)
    check(wal_size < 16 * 1024 * 1024, "the write-ahead log stays small",
          f"store {db_size / 1e6:.1f} MB, WAL {wal_size / 1e6:.1f} MB")
    note(f"figures: {SEPARATE_RUNS} separate runs in {elapsed:.1f} s, store {db_size / 1e6:.1f} MB")


# --- 64 workers on 2 cores ---


def lanes_of(db, run_id):
    with store(db) as c:
        lanes = c.execute("SELECT lane, kind, end_state, exit_code, dropped FROM lanes "
                          "WHERE run_id = ? ORDER BY lane", (run_id,)).fetchall()
        with_tasks = c.execute("SELECT count(DISTINCT lane) FROM spans WHERE run_id = ? "
                               "AND kind = 0 AND lane > 0", (run_id,)).fetchone()[0]
        started = c.execute("SELECT count(DISTINCT lane) FROM spans WHERE run_id = ? "
                            "AND kind = 6 AND lane > 0", (run_id,)).fetchone()[0]
    return lanes, with_tasks, started


def newest_run(db):
    with store(db) as c:
        return c.execute("SELECT id, status, workers, check_ok FROM runs "
                         "ORDER BY id DESC LIMIT 1").fetchone()


def shm_of(pid):
    return glob.glob(f"/dev/shm/plab.{pid}.*")


def test_64_workers(tmp):
    db = os.path.join(tmp, "wide.db")
    cases = [
        # Grid chunks of 16 points: 512 tasks, enough for every worker to get some.
        ("kde", ["--set", "chunk=16"]),
        # One item per task, each costing a little: the squares pool with chunk 1.
        ("squares", ["--set", "n=20000", "--set", "chunk_size=1", "--set", "work=20000"]),
    ]
    for demo, extra in cases:
        for backend in ("processes", "threads", "gil"):
            t0 = time.monotonic()
            p = subprocess.Popen([PLAB, "run", demo, "-j", "64", "-b", backend, "--db", db] + extra,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            runner = p.pid
            try:
                out, err = p.communicate(timeout=RUN_DEADLINE_S)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
            elapsed = time.monotonic() - t0
            run_id, status, workers, check_ok = newest_run(db)
            lanes, with_tasks, started = lanes_of(db, run_id)
            workers_lanes = [l for l in lanes if l[0] > 0]
            check(p.returncode == 0 and status == "ok" and check_ok == 1 and workers == 64,
                  f"{demo} -j 64 -b {backend} on {os.cpu_count()} CPUs: correct",
                  f"exit {p.returncode}, {status}, check {check_ok}, {elapsed:.1f} s\n{err[-300:]}")
            # Every worker is a lane with its start span. Which workers get
            # tasks is up to the scheduler (a worker forked last on a busy
            # machine may find the work gone), so only most must have some.
            check(len(workers_lanes) == 64 and started == 64 and with_tasks >= 32
                  and sum(l[4] for l in lanes) == 0,
                  f"{demo} -j 64 -b {backend}: 64 worker lanes on the timeline, tasks spread",
                  f"{len(workers_lanes)} worker lanes, {started} with a start span, "
                  f"{with_tasks} with task spans; dropped {sum(l[4] for l in lanes)}")
            if backend == "processes":
                ends = sorted(set((l[2], l[3]) for l in workers_lanes))
                check(ends == [("exited", 0)], f"{demo} -j 64 -b processes: every worker exited 0",
                      f"{ends}")
            time.sleep(0.2)
            reap_zombies()
            left = adopted_children()
            check(not left and not shm_of(runner),
                  f"{demo} -j 64 -b {backend}: no process or shared memory left behind",
                  f"orphans {left}, shm {shm_of(runner)}")

    r = run_plab(["run", "squares", "-j", "256", "-b", "threads", "--set", "n=5000",
                  "--set", "work=0"], db)
    run_id, status, workers, _ = newest_run(db)
    lanes, _, _ = lanes_of(db, run_id)
    check(r.returncode == 0 and status == "ok" and workers == 256 and len(lanes) == 257,
          "-j 256 (PLAB_POOL_MAX_WORKERS) runs, with 256 worker lanes",
          f"exit {r.returncode}, {status}, {workers} workers, {len(lanes)} lanes\n{r.stderr[-300:]}")

    with store(db) as c:
        before = c.execute("SELECT count(*) FROM runs").fetchone()[0]
    for args in (["-j", "257"], ["--sweep", "1,257"], ["-j", "0"]):
        r = run_plab(["run", "squares", "-b", "threads"] + args, db)
        line = r.stderr.strip()
        check(r.returncode == 2 and "256" in line and len(line.splitlines()) == 1,
              f"{' '.join(args)} is refused with one clear line naming the limit", line)
    with store(db) as c:
        after = c.execute("SELECT count(*) FROM runs").fetchone()[0]
    check(after == before, "a refused worker count records nothing", f"{before} -> {after}")


def main():
    if not os.access(PLAB, os.X_OK):
        print("1..0 # SKIP no plab binary at " + PLAB)
        return 0
    parts = [a for a in sys.argv[1:] if not a.startswith("--")] or ["runs", "workers"]
    subreaper = become_subreaper()
    with tempfile.TemporaryDirectory(prefix="plab-load-") as tmp:
        if "runs" in parts:
            test_thousand_runs_in_one_runner(tmp)
            test_separate_runners(tmp)
        if "workers" in parts:
            test_64_workers(tmp)
    reap_zombies()
    check(subreaper, "this script was the subreaper that would have caught orphans")
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
