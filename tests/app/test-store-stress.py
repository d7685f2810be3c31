#!/usr/bin/env python3
"""test-store-stress.py: the run store under stress, through the real plab program.

Each case builds a real store with `plab run`, spoils it the way a user's disk
or another program would (a read-only file, folder or file system, a lock held
by another writer, random bytes in the middle, a cut-off file, another
program's database, a newer schema, a full disk, a file size limit), runs the
plab commands on it and asserts what the user gets: exactly one line on stderr
that names the file and says what is wrong, a non-zero exit status that is
not a signal, nothing on stdout, and the file byte for byte as it was, with no
-wal or -shm file left beside it that was not there before.

The full disk is a real one: a small tmpfs in a private mount namespace
(`unshare -m` as root, `unshare -rm` otherwise). Where namespaces are not
allowed (some containers) that case is skipped with the reason, and the file
size limit (RLIMIT_FSIZE, with SIGXFSZ ignored), which works everywhere, still
fills the store up mid-run.

Usage: test-store-stress.py BUILD_DIR (or PLAB_BUILD_DIR in the environment).
Speaks TAP.
"""
import contextlib
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time

# The shared helpers, without leaving compiled files in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "util"))
import plab_test  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else os.environ.get(
    "PLAB_BUILD_DIR", "build")
PLAB = os.path.abspath(os.path.join(BUILD, "app", "plab"))

# A run small enough to be quick on a loaded 2-core machine, big enough to
# spread its spans over a few hundred pages.
SMALL_RUN = ["squares", "-b", "threads", "-j", "2", "--set", "n=8000", "--set", "work=0",
             "--set", "item_spans=true"]
# Generous: only against hangs. The store's own busy timeout is 3 s.
DEADLINE = 60

results = []


def plab(args, db=None, preexec=None, env=None, timeout=DEADLINE):
    """Runs plab; returns (returncode, stdout, stderr, seconds)."""
    argv = [PLAB] + list(args) + (["--db", db] if db else [])
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       preexec_fn=preexec, env=env)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def side_files(path):
    return {s for s in ("-wal", "-shm", "-journal") if os.path.exists(path + s)}


class Check:
    """Collects failed facts of one case, so a case reports all of them."""

    def __init__(self):
        self.problems = []

    def that(self, fact, what):
        if not fact:
            self.problems.append(what)
        return fact

    def one_line_refusal(self, result, words, path=None, status=1):
        rc, out, err, _ = result
        lines = [l for l in err.splitlines() if l.strip()]
        self.that(rc == status, f"exit status {rc}, expected {status}; stderr: {err!r}")
        self.that(len(lines) == 1, f"{len(lines)} lines on stderr, expected one: {err!r}")
        self.that(out == "", f"stdout should be empty: {out[:200]!r}")
        if lines:
            line = lines[0]
            self.that(line.startswith("plab"), f"message does not start with plab: {line!r}")
            if path:
                self.that(path in line, f"message does not name {path}: {line!r}")
            for w in words:
                self.that(w in line, f"message lacks {w!r}: {line!r}")

    def unchanged(self, path, before_sha, before_sides):
        self.that(os.path.exists(path), f"{path} is gone")
        if os.path.exists(path):
            self.that(sha(path) == before_sha, f"{path} changed")
        self.that(side_files(path) == before_sides,
                  f"side files now {sorted(side_files(path))}, before {sorted(before_sides)}")


def case(name):
    def wrap(fn):
        results.append((name, fn))
        return fn
    return wrap


def make_store(path, runs=2):
    """A store of @runs finished runs, its -wal checkpointed away."""
    for _ in range(runs):
        rc, out, err, _ = plab(["run"] + SMALL_RUN, path)
        if rc != 0:
            raise RuntimeError(f"could not build a store: {err}")
    return path


def run_ids(path):
    """Ids and statuses of the runs in a store, read with SQLite itself."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [tuple(r) for r in db.execute("SELECT id, status, n_spans FROM runs ORDER BY id")]
    finally:
        db.close()


def all_commands(path):
    """Every command that opens the store, writer first."""
    return [
        ("run", ["run"] + SMALL_RUN),
        ("runs", ["runs"]),
        ("show", ["show", "1"]),
        ("export", ["export", "1", "--format", "csv", "-o", os.devnull]),
    ]


# --- Namespaces: a real read-only file system and a real full disk ---

def unshare_prefix():
    """The command that gives a private mount namespace where a tmpfs can be
    mounted, or None."""
    if shutil.which("unshare") is None:
        return None
    probe = tempfile.mkdtemp(prefix="plab-probe-")
    try:
        for prefix in (["unshare", "-m"], ["unshare", "-rm"]):
            if prefix == ["unshare", "-m"] and os.geteuid() != 0:
                continue
            try:
                p = subprocess.run(prefix + ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe],
                                   capture_output=True, timeout=DEADLINE)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if p.returncode == 0:
                return prefix
        return None
    finally:
        os.rmdir(probe)


UNSHARE = unshare_prefix()


NO_NAMESPACE = "SKIP no private mount namespace here (unshare -m / -rm refused)"


def namespace_folder(tmp, name):
    """A new folder @name in @tmp for a case run in a private mount namespace;
    None when this machine gives none."""
    if UNSHARE is None:
        return None
    folder = os.path.join(tmp, name)
    os.mkdir(folder)
    return folder


def in_namespace(script, *args):
    """Runs a shell @script (with $1.. = @args) in a private mount namespace."""
    p = subprocess.run(UNSHARE + ["sh", "-c", script, "sh"] + list(args), capture_output=True,
                       text=True, timeout=DEADLINE * 2)
    return p.returncode, p.stdout, p.stderr


# --- The cases ---

@case("read-only file: run refused in one line, readers read, file unchanged")
def read_only_file(tmp, c):
    db = make_store(os.path.join(tmp, "runs.db"))
    os.chmod(db, 0o444)
    before, sides = sha(db), side_files(db)
    c.one_line_refusal(plab(["run"] + SMALL_RUN, db), ["no write permission"], db)
    c.unchanged(db, before, sides)
    for name, args in all_commands(db)[1:]:
        rc, out, err, _ = plab(args, db)
        c.that(rc == 0, f"{name} on a read-only store: {rc} {err!r}")
        c.unchanged(db, before, sides)
    rc, out, _, _ = plab(["runs", "--json"], db)
    c.that(rc == 0 and len(json.loads(out)["runs"]) == 2, "plab runs does not list both runs")


@case("read-only folder: run refused, no file created, readers leave no side files")
def read_only_folder(tmp, c):
    folder = os.path.join(tmp, "ro")
    os.mkdir(folder)
    db = make_store(os.path.join(folder, "runs.db"))
    os.chmod(folder, 0o555)
    try:
        before, sides = sha(db), side_files(db)
        c.one_line_refusal(plab(["run"] + SMALL_RUN, db), ["folder", "no write permission"], db)
        c.unchanged(db, before, sides)
        for name, args in all_commands(db)[1:]:
            rc, out, err, _ = plab(args, db)
            c.that(rc == 0, f"{name} in a read-only folder: {rc} {err!r}")
            c.unchanged(db, before, sides)
        new = os.path.join(folder, "new.db")
        c.one_line_refusal(plab(["run"] + SMALL_RUN, new), ["folder", "no write permission"], new)
        c.that(not os.path.exists(new), "a store was created in a read-only folder")
    finally:
        os.chmod(folder, 0o755)


@case("read-only for a normal user (root drops to nobody): refused, readable, unchanged")
def read_only_other_user(tmp, c):
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return "SKIP not root (the other cases run as this user already) or no setpriv"
    os.chmod(tmp, 0o755)
    db = make_store(os.path.join(tmp, "runs.db"))
    os.chmod(db, 0o644)
    before, sides = sha(db), side_files(db)
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

    def as_nobody(args):
        t0 = time.monotonic()
        p = subprocess.run(drop + [PLAB] + args + ["--db", db], capture_output=True, text=True,
                           timeout=DEADLINE, env=dict(os.environ, HOME="/nonexistent"))
        return p.returncode, p.stdout, p.stderr, time.monotonic() - t0

    c.one_line_refusal(as_nobody(["run"] + SMALL_RUN), ["no write permission"], db)
    rc, out, err, _ = as_nobody(["runs", "--json"])
    c.that(rc == 0 and len(json.loads(out or "{}").get("runs", [])) == 2,
           f"nobody cannot list the runs: {rc} {err!r}")
    c.unchanged(db, before, sides)


@case("read-only file system (bind mount remounted ro): refused in one line, unchanged")
def read_only_mount(tmp, c):
    folder = namespace_folder(tmp, "mnt")
    if folder is None:
        return NO_NAMESPACE
    db = make_store(os.path.join(folder, "runs.db"))
    before, sides = sha(db), side_files(db)
    rc, out, err = in_namespace(
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 90; '
        'shift; exec "$@"', folder, PLAB, "run", *SMALL_RUN, "--db", db)
    if rc == 90:
        return "SKIP cannot remount a bind mount read-only here"
    c.one_line_refusal((rc, out, err, 0), ["read-only"], db)
    rc, out, err = in_namespace(
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 90; '
        'shift; exec "$@"', folder, PLAB, "runs", "--json", "--db", db)
    c.that(rc == 0 and len(json.loads(out or "{}").get("runs", [])) == 2,
           f"runs on a read-only file system: {rc} {err!r}")
    c.unchanged(db, before, sides)


@case("several runners on one store at once: every run waits its turn and is stored ok")
def concurrent_runners(tmp, c):
    db = make_store(os.path.join(tmp, "runs.db"), runs=1)
    n_runners, n = 5, 200000
    argv = [PLAB, "run", "squares", "-b", "threads", "-j", "2", "--set", f"n={n}",
            "--set", "work=0", "--set", "item_spans=true", "--db", db]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(n_runners)]
    for p in procs:
        out, err = p.communicate(timeout=DEADLINE * 4)
        c.that(p.returncode == 0, f"a runner failed: {p.returncode} {err!r}")
        c.that("recorded in" in out, f"a runner did not say it recorded its run: {out[-300:]!r}")
    runs = run_ids(db)
    c.that(len(runs) == 1 + n_runners, f"{len(runs)} runs in the store: {runs}")
    for rid, status, n_spans in runs[1:]:
        c.that(status == "ok", f"run {rid} is {status}")
        c.that(n_spans >= n, f"run {rid} has {n_spans} spans, fewer than {n}")
    c.that(plab_test.integrity(db) == "ok", "integrity_check fails")


@case("the store deleted or moved mid-run: the run fails in one line, not 'recorded'")
def store_gone_mid_run(tmp, c):
    for how in ("delete", "move"):
        db = make_store(os.path.join(tmp, f"{how}.db"), runs=1)
        # The sleepers take a second or two: long enough to take the file away.
        p = subprocess.Popen([PLAB, "run", "sleepers", "--db", db], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and p.poll() is None:
            if [r for r in run_ids(db) if r[1] == "running"]:
                break
            time.sleep(0.02)
        if how == "delete":
            os.unlink(db)
        else:
            os.rename(db, db + ".moved")
        out, err = p.communicate(timeout=DEADLINE)
        lines = [l for l in err.splitlines() if l.strip()]
        c.that(p.returncode not in (0, None) and p.returncode > 0,
               f"{how}: exit status {p.returncode}: {err!r}")
        c.that("recorded in" not in out, f"{how}: the run is said to be recorded: {out!r}")
        c.that(len(lines) == 1 and "deleted or moved" in err, f"{how}: stderr {err!r}")


@contextlib.contextmanager
def holding_lock(db, *statements):
    """Runs @statements on a connection of this process to @db and holds the
    locks they take until the block ends (rolled back, closed)."""
    holder = sqlite3.connect(db, isolation_level=None)
    for statement in statements:
        holder.execute(statement)
    try:
        yield holder
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@case("locked by another writer: run waits a bounded time, says so, records nothing")
def locked_writer(tmp, c):
    db = make_store(os.path.join(tmp, "runs.db"))
    before_runs = run_ids(db)
    with holding_lock(db, "BEGIN EXCLUSIVE"):
        before = sha(db)
        result = plab(["run"] + SMALL_RUN, db)
        c.one_line_refusal(result, ["locked by another program"], db)
        c.that(result[3] < 30, f"run took {result[3]:.1f} s against a lock")
        # Readers are not stopped by a writer in WAL mode.
        rc, out, err, _ = plab(["runs", "--json"], db)
        c.that(rc == 0 and len(json.loads(out)["runs"]) == 2, f"runs under a write lock: {err!r}")
        c.that(sha(db) == before, "the store changed under the lock")
    c.that(run_ids(db) == before_runs, "the runs changed")
    rc, _, err, _ = plab(["run"] + SMALL_RUN, db)
    c.that(rc == 0, f"the store is not usable once the lock is gone: {err!r}")


@case("locked exclusively (readers too): every command ends in one line within the deadline")
def locked_exclusive(tmp, c):
    db = make_store(os.path.join(tmp, "runs.db"))
    before_runs = run_ids(db)
    with holding_lock(db, "PRAGMA locking_mode = EXCLUSIVE", "BEGIN EXCLUSIVE",
                      "INSERT INTO sweeps (demo, label, created_at_us) VALUES ('x', 'held', 0)"):
        for name, args in (("run", ["run"] + SMALL_RUN), ("runs", ["runs"])):
            result = plab(args, db)
            c.one_line_refusal(result, ["locked by another program"], db)
            c.that(result[3] < 30, f"{name} took {result[3]:.1f} s against a lock")
    c.that(run_ids(db) == before_runs, "the runs changed")


def spoil_middle(path, seed=7):
    """Random bytes over the middle fifth of the file, page-aligned."""
    size = os.path.getsize(path)
    page = 4096
    start = (size * 2 // 5) // page * page
    end = (size * 3 // 5) // page * page
    rnd = random.Random(seed)
    with open(path, "r+b") as f:
        f.seek(start)
        f.write(bytes(rnd.getrandbits(8) for _ in range(max(end - start, page))))


@case("corrupt file (random middle pages): run refused, reads of damage say so, unchanged")
def corrupt_middle(tmp, c):
    db = make_store(os.path.join(tmp, "runs.db"))
    spoil_middle(db)
    before, sides = sha(db), side_files(db)
    c.one_line_refusal(plab(["run"] + SMALL_RUN, db), ["damaged"], db)
    c.unchanged(db, before, sides)
    damaged_seen = False
    for run in ("1", "2"):
        for args in (["export", run, "--format", "csv", "-o", os.devnull],
                     ["export", run, "--format", "trace", "-o", os.devnull]):
            rc, out, err, _ = plab(args, db)
            c.that(rc in (0, 1), f"{' '.join(args)}: exit {rc}: {err!r}")
            if rc == 1:
                damaged_seen = True
                c.one_line_refusal((rc, out, err, 0), ["damaged"], db)
            c.unchanged(db, before, sides)
    c.that(damaged_seen, "no export met the damage")


@case("truncated file (mid-page and at a page boundary): every command refuses, unchanged")
def truncated(tmp, c):
    good = make_store(os.path.join(tmp, "good.db"))
    size = os.path.getsize(good)
    for cut, label in ((size // 2 + 100, "mid-page"), (size // 2 // 4096 * 4096, "page")):
        db = os.path.join(tmp, f"cut-{label}.db")
        with open(good, "rb") as src, open(db, "wb") as dst:
            dst.write(src.read(cut))
        before, sides = sha(db), side_files(db)
        for name, args in all_commands(db):
            c.one_line_refusal(plab(args, db), ["cut short"], db)
            c.unchanged(db, before, sides)


@case("another program's SQLite file (plain and WAL mode): refused, unchanged")
def foreign(tmp, c):
    for wal in (False, True):
        db = os.path.join(tmp, f"foreign-{wal}.db")
        other = sqlite3.connect(db, isolation_level=None)
        if wal:
            other.execute("PRAGMA journal_mode = WAL")
        other.execute("CREATE TABLE notes (body TEXT)")
        other.execute("INSERT INTO notes VALUES ('keep me')")
        other.close()
        before, sides = sha(db), side_files(db)
        for name, args in all_commands(db):
            c.one_line_refusal(plab(args, db), ["another program"], db)
            c.unchanged(db, before, sides)
    db = make_store(os.path.join(tmp, "marked.db"))
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("PRAGMA application_id = 305419896")
    other.close()
    before, sides = sha(db), side_files(db)
    c.one_line_refusal(plab(["run"] + SMALL_RUN, db), ["another program", "0x12345678"], db)
    c.unchanged(db, before, sides)


@case("a file from a newer plab (schema version 99): every command refuses, unchanged")
def newer(tmp, c):
    db = make_store(os.path.join(tmp, "runs.db"))
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("PRAGMA user_version = 99")
    other.close()
    before, sides = sha(db), side_files(db)
    for name, args in all_commands(db):
        c.one_line_refusal(plab(args, db), ["newer plab", "99"], db)
        c.unchanged(db, before, sides)


@case("not a database at all (text, a folder): refused in one line, unchanged")
def not_a_database(tmp, c):
    db = os.path.join(tmp, "notes.db")
    with open(db, "w") as f:
        f.write("these are my lecture notes, not runs\n" * 200)
    before, sides = sha(db), side_files(db)
    for name, args in all_commands(db):
        c.one_line_refusal(plab(args, db), ["not an SQLite database"], db)
        c.unchanged(db, before, sides)
    folder = os.path.join(tmp, "a-folder")
    os.mkdir(folder)
    c.one_line_refusal(plab(["run"] + SMALL_RUN, folder), ["folder"], folder)
    c.that(os.listdir(folder) == [], "something was written into the folder")


def fill_run_args():
    # About 200000 spans: far more than the room left, so the disk fills
    # while the run's timeline is written.
    return ["squares", "-b", "threads", "-j", "2", "--set", "n=200000", "--set", "work=0",
            "--set", "item_spans=true"]


def orphan_journals(db, runs):
    """Event journals beside @db whose run is not waiting for an import (a
    journal stays only with a run still marked running)."""
    folder, name = os.path.split(db)
    running = {r[0] for r in runs if r[1] == "running"}
    return [f for f in os.listdir(folder) if f.startswith(name + "-events-")
            and int(f.rsplit("-", 1)[1]) not in running]


def check_after_fill(c, db, result, words):
    """The state of a store whose second run met a full disk."""
    c.one_line_refusal(result, words, db)
    runs = run_ids(db)
    c.that(not orphan_journals(db, runs), f"journals left behind: {orphan_journals(db, runs)}")
    c.that(len(runs) >= 1 and runs[0][1] == "ok", f"the earlier run is not intact: {runs}")
    c.that(all(r[1] != "ok" for r in runs[1:]), f"a run that did not fit is marked ok: {runs}")
    rc, out, err, _ = plab(["runs", "--json"], db)
    listed = json.loads(out)["runs"] if rc == 0 else []
    c.that(rc == 0 and [r["status"] for r in listed][-1:] == ["ok"]
           and all(r["status"] == "failed" for r in listed[:-1]),
           f"plab runs after the full disk: {rc} {err!r} {[r['status'] for r in listed]}")
    c.that(plab_test.integrity(db) == "ok", "the store is damaged after the full disk")


@case("disk full mid-run (RLIMIT_FSIZE, SIGXFSZ ignored): one line, earlier runs kept")
def file_size_limit(tmp, c):
    db = make_store(os.path.join(tmp, "runs.db"), runs=1)
    limit = os.path.getsize(db) + 1024 * 1024

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = plab(["run"] + fill_run_args(), db, preexec=limited)
    check_after_fill(c, db, result, ["file size limit"])
    # Without the limit the store takes runs again.
    rc, _, err, _ = plab(["run"] + SMALL_RUN, db)
    c.that(rc == 0, f"the store does not take runs once there is room: {err!r}")


@case("disk full mid-run (a 3 MiB tmpfs): one line, earlier runs kept, and again when full")
def full_disk(tmp, c):
    folder = namespace_folder(tmp, "disk")
    if folder is None:
        return NO_NAMESPACE
    # Everything happens inside the namespace, where the tmpfs is; a small
    # Python program there reports what it saw as JSON.
    inner = os.path.join(tmp, "inner.py")
    with open(inner, "w") as f:
        f.write(INNER_PY)
    rc, out, err = in_namespace(
        'mount -t tmpfs -o size=3m tmpfs "$1" || exit 90; exec python3 "$2" "$1" "$3" "$4"',
        folder, inner, PLAB, json.dumps(fill_run_args()))
    if rc == 90:
        return "SKIP cannot mount a tmpfs in the namespace"
    if not c.that(rc == 0, f"the inner program failed: {rc} {err!r}"):
        return None
    seen = json.loads(out)
    fill = seen["fill"]
    c.one_line_refusal(tuple(fill) + (0,), ["no space is left on the disk"], seen["db"])
    c.that(seen["runs"][0][1] == "ok", f"the earlier run is not intact: {seen['runs']}")
    c.that(all(r[1] != "ok" for r in seen["runs"][1:]), f"a run that did not fit is ok: {seen}")
    c.that(seen["listed"][-1:] == ["ok"] and all(s == "failed" for s in seen["listed"][:-1]),
           f"plab runs on the full disk shows {seen['listed']}")
    c.that(seen["integrity"] == "ok", f"integrity after the full disk: {seen['integrity']}")
    c.that(not seen["orphans"], f"journals left behind: {seen['orphans']}")
    before, after = seen["runs_before_again"], seen["runs_after_again"]
    if seen["again"][0] == 0:
        c.that(after[:len(before)] == before and len(after) == len(before) + 1
               and after[-1][1] == "ok", f"a run that fitted: {before} -> {after}")
    else:
        # Refused when it opened the store (the database file as it was),
        # or stopped by the disk in the middle of its run (that run not ok).
        c.one_line_refusal(tuple(seen["again"]) + (0,), ["no space is left on the disk"],
                           seen["db"])
        c.that(after[:len(before)] == before, f"earlier runs changed: {before} -> {after}")
        c.that(all(r[1] != "ok" for r in after[len(before):]), f"a run on a full disk is ok: {after}")
        if len(after) == len(before):
            c.that(seen["db_unchanged"], "a refused writer on the full disk changed the database")
    c.that(seen["integrity_after"] == "ok", f"integrity at the end: {seen['integrity_after']}")


INNER_PY = r'''
import hashlib, json, os, sqlite3, subprocess, sys
folder, plab, fill_args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
db = os.path.join(folder, "runs.db")
def run(args):
    p = subprocess.run([plab] + args + ["--db", db], capture_output=True, text=True, timeout=120)
    return [p.returncode, p.stdout, p.stderr]
def sha():
    return hashlib.sha256(open(db, "rb").read()).hexdigest()
def runs_now():
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [list(r) for r in con.execute("SELECT id, status, n_spans FROM runs ORDER BY id")]
    finally:
        con.close()
first = run(["run", "squares", "-b", "threads", "-j", "2", "--set", "n=2000"])
assert first[0] == 0, first
fill = run(["run"] + fill_args)
runs = runs_now()
running = {r[0] for r in runs if r[1] == "running"}
orphans = [f for f in os.listdir(folder) if f.startswith("runs.db-events-")
           and int(f.rsplit("-", 1)[1]) not in running]
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
integ = con.execute("PRAGMA integrity_check").fetchone()[0]
con.close()
listed = run(["runs", "--json"])
statuses = [r["status"] for r in json.loads(listed[1])["runs"]] if listed[0] == 0 else ["error: " + listed[2]]
# Fill what room is left, then try again: the writer either fits its run
# into the space the -wal file already has, or is refused. (Readers are
# looked at once there is room again: on a disk without a free page even
# reading may fail, when SQLite must grow its -shm file.)
before_sha, before_runs = sha(), runs_now()
filler = os.path.join(folder, "filler")
try:
    with open(filler, "wb") as f:
        while True:
            f.write(b"x" * 65536)
            f.flush()
except OSError:
    pass  # full: what this was for
again = run(["run", "squares", "-b", "threads", "-j", "2", "--set", "n=2000"])
unchanged = sha() == before_sha
if os.path.exists(filler):
    os.unlink(filler)
print(json.dumps({"db": db, "fill": fill, "orphans": orphans, "runs": runs, "integrity": integ, "listed": statuses,
                  "again": again, "db_unchanged": unchanged,
                  "runs_before_again": before_runs, "runs_after_again": runs_now(),
                  "integrity_after": sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0]}))
'''


def main():
    if not plab_test.have_plab(PLAB):
        return 0
    print(f"1..{len(results)}")
    failed = 0
    for i, (name, fn) in enumerate(results, 1):
        tmp = tempfile.mkdtemp(prefix="plab-stress-")
        env_home = os.environ.get("XDG_DATA_HOME")
        os.environ["XDG_DATA_HOME"] = tmp  # never the user's own store
        c = Check()
        t0 = time.monotonic()
        try:
            outcome = fn(tmp, c)
        except Exception as e:  # a crash of the test is a failure, with its reason
            outcome = None
            c.problems.append(f"{type(e).__name__}: {e}")
        finally:
            for root, dirs, _ in os.walk(tmp):
                for d in dirs:
                    os.chmod(os.path.join(root, d), 0o755)
            shutil.rmtree(tmp, ignore_errors=True)
            if env_home is None:
                os.environ.pop("XDG_DATA_HOME", None)
            else:
                os.environ["XDG_DATA_HOME"] = env_home
        dt = time.monotonic() - t0
        if isinstance(outcome, str) and outcome.startswith("SKIP"):
            print(f"ok {i} - {name} # SKIP {outcome[5:]}")
            sys.stdout.flush()
        elif not plab_test.tap_result(i, name, c.problems, f" ({dt:.1f} s)"):
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
