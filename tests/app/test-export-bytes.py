#!/usr/bin/env python3
"""test-export-bytes.py: `plab export RUN --format csv|trace` writes exactly
the bytes an independent reader of the run store writes
(tests/util/plab_export_reference.py, which reads SQLite itself).

The exports stream from the store a batch of rows at a time; these cases
check that what streams out is the whole run, in order, byte for byte:

  - runs of real demos: squares on processes (labelled tasks, several
    lanes), cars (queue waits, flows, counter samples, spans clamped in the
    trace), squares with a crashing worker (an instant);
  - a store edited by hand with what a recording never makes: labels and
    lane names with commas, quotes, line breaks, control bytes, invalid and
    cut UTF-8; negative times, spans ending before they start, partial
    overlaps, spans that start together, unknown kinds, lanes without a pid,
    spans on lanes the run does not have, counters on such lanes;
  - more spans and counter samples than one read batch (4096 rows) and
    more text than one write buffer (64 KiB), also to stdout.

Usage: test-export-bytes.py BUILD_DIR (or PLAB_BUILD_DIR). Speaks TAP.
"""
import os
import sqlite3
import subprocess
import sys

# The shared helpers, without leaving compiled files in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "util"))
import plab_export_reference  # noqa: E402
import plab_test  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PLAB_BUILD_DIR", "build")
PLAB = os.path.abspath(os.path.join(BUILD, "app", "plab"))
DEADLINE = 120  # against hangs only


def plab(*args, ok=(0,)):
    """Runs plab; returns its stdout (bytes), failing on an exit not in @ok."""
    p = subprocess.run([PLAB, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=DEADLINE)
    if p.returncode not in ok:
        raise AssertionError("plab %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                      p.stderr.decode(errors="replace")))
    return p.stdout


def record(db, demo, *args, ok=(0,)):
    """Records a run of @demo in @db; returns its id."""
    plab("run", demo, "--db", db, *args, ok=ok)
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT max(id) FROM runs").fetchone()[0]
    finally:
        con.close()


def first_difference(a, b):
    n = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    return "%d and %d bytes; first difference at byte %d: plab %r, reference %r" % (
        len(a), len(b), n, a[max(0, n - 40):n + 40], b[max(0, n - 40):n + 40])


def check_same(db, run_id, stdout=False):
    """Exports run @run_id of @db in both formats and compares each with the
    reference; @stdout also sends the CSV to stdout."""
    out = db + ".out"
    for fmt in ("csv", "trace"):
        plab("export", str(run_id), "--format", fmt, "--db", db, "-o", out)
        with open(out, "rb") as f:
            got = f.read()
        want = plab_export_reference.export(db, run_id, fmt)
        if got != want:
            raise AssertionError("run %d, %s: %s" % (run_id, fmt, first_difference(got, want)))
        if len(want) < 100:
            raise AssertionError("run %d, %s: only %d bytes" % (run_id, fmt, len(want)))
    if stdout:
        got = plab("export", str(run_id), "--format", "csv", "--db", db)
        want = plab_export_reference.export(db, run_id, "csv")
        if got != want:
            raise AssertionError("run %d, csv to stdout: %s"
                                 % (run_id, first_difference(got, want)))


def test_demos(db):
    runs = [record(db, "squares", "-b", "processes", "-j", "2", "--set", "n=400",
                   "--set", "chunk_size=1"),
            record(db, "cars", "-j", "2")]
    con = sqlite3.connect(db)
    n_counters = con.execute("SELECT count(*) FROM counters WHERE run_id = ?",
                             (runs[1],)).fetchone()[0]
    con.close()
    if n_counters == 0:
        raise AssertionError("cars recorded no counter samples: nothing to compare")
    for run_id in runs:
        check_same(db, run_id)


def test_crash(db):
    run_id = record(db, "squares", "-b", "processes", "-j", "2", "--set", "n=200",
                    "--set", "chunk_size=1", "--set", "crash_item=50", ok=(0, 1))
    con = sqlite3.connect(db)
    crashes = con.execute("SELECT count(*) FROM spans WHERE run_id = ? AND kind = 9",
                          (run_id,)).fetchone()[0]
    con.close()
    if crashes == 0:
        raise AssertionError("the crashing worker left no crash instant")
    check_same(db, run_id)


# Labels a recording does not make, as SQL text (some are bytes that are not
# UTF-8, written with CAST (X'..' AS TEXT)).
ODD_LABELS = [
    "'a,b'", "'say \"hi\"'", "'two' || char(13, 10) || 'lines'", "'tab' || char(9) || 'x\\y'",
    "'bell' || char(1)", "CAST (X'41C328FF42' AS TEXT)", "'caf' || char(233)",
    "'ab' || char(128512)", "'" + "x" * 29 + "' || char(233) || 'more'",
    "'" + "y" * 40 + "'", "NULL", "''",
]


def edit_store(db, run_id):
    """Writes into run @run_id of @db the rows a recording never makes."""
    con = sqlite3.connect(db)
    lanes = [r[0] for r in con.execute("SELECT lane FROM lanes WHERE run_id = ? ORDER BY lane",
                                       (run_id,))]
    if len(lanes) < 3:
        raise AssertionError("expected at least 3 lanes, got %r" % lanes)
    con.execute("UPDATE runs SET demo = 'sq\"uares', runner_pid = 0, max_span_ns = 5000000 "
                "WHERE id = ?", (run_id,))
    con.execute("UPDATE lanes SET name = 'w,\"1\"' || char(10) || 'x', pid = 0, tid = 0 "
                "WHERE run_id = ? AND lane = ?", (run_id, lanes[1]))
    con.execute("UPDATE lanes SET name = '" + "n" * 30 + "' || char(233) "
                "WHERE run_id = ? AND lane = ?", (run_id, lanes[2]))
    seq = 1 << 40
    rows = [
        # lane, start, end, kind, label, task
        (lanes[0], -1500, 2000, 0, 0, 7),        # starts before the origin
        (lanes[0], -900000000, -5, 0, 1, 1),     # ends before it: not in the range
        (lanes[0], 10000, 5000, 0, 2, 1),        # ends before it starts
        (lanes[0], 20000, 90000, 0, 3, 2),       # the outer one of three at one start
        (lanes[0], 20000, 90000, 1, 4, -1),
        (lanes[0], 20000, 30000, 4, 5, -1),
        (lanes[0], 25000, 120000, 2, 6, 3),      # overlaps the outer one partly
        (lanes[0], 60000, 60000, 9, 7, 4),       # a crash instant
        (lanes[1], 1000, 4000, 42, 8, 5),        # an unknown kind
        (lanes[1], 3000, 7000, 300, 9, -1),      # a kind that is not a byte
        (lanes[1], 3000, 3000, 11, 10, 0),
        (lanes[2], 8000, 9000, 3, 11, 6),
        (lanes[2], 8500, 8600, 5, 0, -1),
        (9999, 100, 200, 0, 0, 1),               # a lane the run does not have
    ]
    for lane, start, end, kind, label, task in rows:
        con.execute("INSERT INTO spans (run_id, lane, start_ns, seq, end_ns, kind, label, task_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, %s, ?)" % ODD_LABELS[label],
                    (run_id, lane, start, seq, end, kind, task))
        seq += 1
    for i, label in enumerate(ODD_LABELS[:10]):
        con.execute("INSERT INTO counters (run_id, lane, name, t_ns, value) "
                    "VALUES (?, ?, %s, ?, ?)" % label,
                    (run_id, [lanes[0], 77, lanes[1]][i % 3], 1000 * i - 3000, -i * 12345))
    con.commit()
    con.close()


def test_edited(db):
    run_id = record(db, "squares", "-b", "processes", "-j", "2", "--set", "n=100",
                    "--set", "chunk_size=1")
    edit_store(db, run_id)
    check_same(db, run_id)


def test_batches(db):
    """More rows than one read batch and more text than one write buffer."""
    run_id = record(db, "squares", "-b", "threads", "-j", "2", "--set", "n=10000",
                    "--set", "chunk_size=1", "--set", "work=0")
    con = sqlite3.connect(db)
    con.executemany("INSERT INTO counters (run_id, lane, name, t_ns, value) VALUES (?, 0, ?, ?, ?)",
                    [(run_id, "depth" if i % 2 else "busy", i * 10, i % 7) for i in range(9000)])
    con.commit()
    n_spans = con.execute("SELECT count(*) FROM spans WHERE run_id = ?", (run_id,)).fetchone()[0]
    con.close()
    if n_spans <= 4096:
        raise AssertionError("only %d spans: fewer than one read batch" % n_spans)
    check_same(db, run_id, stdout=True)


if __name__ == "__main__":
    if not plab_test.have_plab(PLAB):
        sys.exit(0)
    sys.exit(plab_test.run_db_tests([test_demos, test_crash, test_edited, test_batches],
                                    "plab-export-bytes-"))
