#!/usr/bin/env python3
"""test-store-crash.py: the run store survives its writer killed at any point.

In the manner of SQLite's crash tests: the real plab runner is killed with
SIGKILL at named points of writing a run (PLAB_TEST_KILL_AT, compiled into
test builds only): after N blocks of spans, just before and just after a
commit, between truncating the event journal and writing its new header,
before the run's end is written, and while the next open imports the journal
of a killed run. After each kill the store must pass PRAGMA integrity_check,
the earlier runs must be as they were, the killed run must be shown failed
(never ok, never running once a writer has opened the store), and its span
count must match its rows. Asserts correctness only, never timing.

Usage: test-store-crash.py BUILD_DIR (or PLAB_BUILD_DIR). Speaks TAP.
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile

# The shared helpers, without leaving compiled files in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "util"))
import plab_test  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PLAB_BUILD_DIR", "build")
PLAB = os.path.abspath(os.path.join(BUILD, "app", "plab"))
RUN = ["run", "squares", "-b", "threads", "-j", "2", "--set", "n=3000", "--set", "work=0",
       "--set", "item_spans=true"]
DEADLINE = 120  # only against hangs
INTERRUPTED = "the runner stopped before the run finished (it was killed or crashed)"

POINTS = ["span-block:1", "span-block:20", "span-block:46", "commit", "committed",
          "journal-reset", "finish"]


def plab(args, db, kill_at=None):
    env = dict(os.environ)
    env.pop("PLAB_TEST_KILL_AT", None)
    if kill_at:
        env["PLAB_TEST_KILL_AT"] = kill_at
    p = subprocess.run([PLAB] + args + ["--db", db], capture_output=True, text=True,
                       timeout=DEADLINE, env=env)
    return p.returncode, p.stdout, p.stderr


def snapshot(db):
    """Every run with its status and the rows it holds, read with SQLite itself."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT id, status, n_spans, (SELECT count(*) FROM spans s WHERE s.run_id = r.id), "
            "(SELECT count(*) FROM lanes l WHERE l.run_id = r.id), error FROM runs r")}
    finally:
        con.close()


def check_after_kill(db, before, killed_id, problems, what):
    if plab_test.integrity(db) != "ok":
        problems.append(f"{what}: integrity_check fails")
    # A reader shows the killed run failed before any writer repaired it.
    rc, out, err = plab(["runs", "--json"], db)
    if rc != 0:
        problems.append(f"{what}: plab runs fails: {err!r}")
    else:
        shown = {r["id"]: r["status"] for r in json.loads(out)["runs"]}
        if killed_id is not None and shown.get(killed_id) != "failed":
            problems.append(f"{what}: a reader shows run {killed_id} as {shown.get(killed_id)}")
    # The next runner repairs it and records its own run.
    rc, out, err = plab(RUN, db)
    if rc != 0:
        problems.append(f"{what}: the next run fails: {err!r}")
    after = snapshot(db)
    for rid, row in before.items():
        if after.get(rid) != row:
            problems.append(f"{what}: run {rid} changed: {row} -> {after.get(rid)}")
    if killed_id is not None:
        status, n_spans, rows, _, error = after[killed_id]
        if status != "failed" or error != INTERRUPTED:
            problems.append(f"{what}: killed run is {status} ({error!r})")
        if n_spans != rows:
            problems.append(f"{what}: killed run counts {n_spans} spans, holds {rows}")
    if plab_test.integrity(db) != "ok":
        problems.append(f"{what}: integrity_check fails after the next run")
    return after


def kill_case(tmp, point):
    problems = []
    db = os.path.join(tmp, "runs.db")
    rc, _, err = plab(RUN, db)
    if rc != 0:
        return [f"cannot build a store: {err!r}"]
    before = snapshot(db)
    rc, out, err = plab(RUN, db, kill_at=point)
    if rc != -signal.SIGKILL:
        return [f"{point}: the runner was not killed (exit {rc}): {err!r}"]
    new = set(snapshot(db)) - set(before)
    killed = max(new) if new else None
    check_after_kill(db, before, killed, problems, point)
    return problems


def import_case(tmp):
    """The open that imports a killed run's journal is killed too, then redone."""
    problems = []
    db = os.path.join(tmp, "runs.db")
    plab(RUN, db)
    before = snapshot(db)
    rc, _, _ = plab(RUN, db, kill_at="span-block:10")
    killed = max(set(snapshot(db)) - set(before))
    for point in ("import", "imported"):
        rc, _, err = plab(RUN, db, kill_at=point)
        if rc != -signal.SIGKILL:
            problems.append(f"{point}: the importing open was not killed (exit {rc}): {err!r}")
        if plab_test.integrity(db) != "ok":
            problems.append(f"{point}: integrity_check fails")
    # The importer's own runs died with it, before their rows were written
    # or with them: only what was before and the first killed run are judged.
    after = check_after_kill(db, before, killed, problems, "import")
    status, n_spans, rows, lanes, _ = after[killed]
    if rows == 0:
        problems.append(f"import: the killed run's journaled spans were not imported")
    return problems


def main():
    if not plab_test.have_plab(PLAB):
        return 0
    cases = [(p, lambda tmp, p=p: kill_case(tmp, p)) for p in POINTS]
    cases.append(("import", import_case))
    print(f"1..{len(cases)}")
    failed = 0
    for i, (name, fn) in enumerate(cases, 1):
        tmp = tempfile.mkdtemp(prefix="plab-crash-")
        os.environ["XDG_DATA_HOME"] = tmp
        try:
            problems = fn(tmp)
        except Exception as e:
            problems = [f"{type(e).__name__}: {e}"]
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if not plab_test.tap_result(i, f"killed at {name}", problems):
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
