#!/usr/bin/env python3
"""test-mpi.py: the mpi backend, on the real plab binary and Open MPI.

- every MPI demo with 2 and 4 ranks (--oversubscribe, which the runner
  always passes): the run is ok, its result agrees with the serial run of
  the same parameters, the store has one lane per rank named host:rank, the
  ranks' waits in MPI are collective spans, and every rank's clock offset
  lies within the uncertainty it was measured with (one machine, one clock);
- a rank that crashes: the run is failed, its error names the rank and the
  host, the runner ends, and the spans both ranks recorded are kept;
- Stop (SIGTERM to the runner) ends every rank and records the run cancelled;
- no mpirun, an unreadable host file, a host that cannot be reached: one
  clear line and a failed (or refused) run, never a hang;
- a rank whose clock is 30 s ahead (PLAB_TEST_CLOCK_SKEW_NS, as on another
  host): its measured offset cancels it, and its spans land inside the run;
- ranks whose output files the runner never sees (as on a host with no
  shared file system; here mpirun is not told to write them): their lines
  come from mpirun's stdout, and every task span that a cut line lost is
  counted in the result's ranks_from_stdout and named on stderr;
- two "hosts" on one machine: two network namespaces with their own
  addresses and host names, made here (skipped when not permitted), run one
  demo across both; the lanes name both hosts, and each rank's offset lies
  within its uncertainty.
- the Result figure of every demo but messages: a stacked bar per rank whose
  segments are the rank's spans summed by kind, as the store has them
  (computing, sending, receiving, collectives), and `plab export --chart
  result` draws it as a PNG (kept in $PLAB_SCREENSHOT_DIR when set).

Skipped as a whole, with a message, where Open MPI or plab-mpi-rank is
missing. Limits only catch hangs. Speaks TAP.

Usage: test-mpi.py [BUILD_DIR [CASE...]]   (default: $PLAB_BUILD_DIR, else ./build)
"""

import glob
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "util"))
from plab_test import Skip, have_plab, run_db_tests  # noqa: E402

BUILD_DIR = (
    sys.argv[1]
    if len(sys.argv) > 1
    else os.environ.get("PLAB_BUILD_DIR", os.path.join(os.getcwd(), "build"))
)
PLAB = os.path.join(os.path.abspath(BUILD_DIR), "app", "plab")
RANK = os.path.realpath(os.path.join(BUILD_DIR, "app", "plab-mpi-rank"))
HERE = os.path.dirname(os.path.abspath(__file__))

# A run that goes on longer than this hangs.
RUN_LIMIT_S = 240

# Small parameters, and how each demo's result is compared with the serial one.
DEMOS = {
    "squares": (["n=20000", "work=100"], lambda m, s: m["sum"] == s["sum"] and m["correct"] == m["n"]),
    "kde": (
        ["samples=2000", "grid=512"],
        lambda m, s: abs(m["integral"] - s["integral"]) < 1e-3
        and m["equal_to_serial"] == m["checked_points"],
    ),
    "list-append": (
        ["count=200000", "rounds=20"],
        lambda m, s: m["appended_in_workers"] == s["appended_in_workers"] == m["count"]
        and m["in_parent_lists"] == 0,
    ),
    # amdahl's values depend on each run's calibration, so its check
    # compares them inside the run; against serial, the plan is the same and
    # the law's figure is the one for this many ranks.
    "amdahl": (
        ["work_ms=200", "tasks=8"],
        lambda m, s: m["serial_fraction"] == s["serial_fraction"]
        and m["planned_one_worker_s"] == s["planned_one_worker_s"]
        and abs(m["amdahl_speedup"]
                - 1 / (m["serial_fraction"] + (1 - m["serial_fraction"]) / m["ranks"])) < 1e-3,
    ),
    "barrier": (
        ["walls=4", "phases=2", "wall_ms=5"],
        lambda m, s: m["painted"] == m["walls"] * m["phases"] == s["walls"] * s["phases"],
    ),
}


def plab(db, *args, env=None, timeout=RUN_LIMIT_S, prefix=()):
    cmd = list(prefix) + [PLAB, "run", *args, "--db", db]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env
    )


def last_run(db):
    con = sqlite3.connect(db)
    try:
        row = con.execute(
            "SELECT id, status, result, error, check_ok FROM runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
        lanes = con.execute(
            "SELECT lane, name, pid, end_state, exit_signal FROM lanes "
            "WHERE run_id = ? AND kind = 'process' ORDER BY lane",
            (row[0],),
        ).fetchall()
        spans = con.execute(
            "SELECT lane, k.name, count(*) FROM spans JOIN span_kinds k USING (kind) "
            "WHERE run_id = ? GROUP BY lane, k.name",
            (row[0],),
        ).fetchall()
    finally:
        con.close()
    return {
        "id": row[0],
        "status": row[1],
        "result": json.loads(row[2] or "{}"),
        "error": row[3],
        "check_ok": row[4],
        "lanes": lanes,
        "spans": spans,
    }


def check_offsets(result, problems):
    for o in result.get("clock_offsets", []):
        for when in ("start", "end"):
            off, unc = o[when + "_ns"], o[when + "_uncertainty_ns"]
            if abs(off) > unc:
                problems.append(f"rank {o['rank']} {when} offset {off} ns beyond ±{unc} ns")


def check_lanes(run, ranks, hosts=None):
    names = [name for _, name, _, _, _ in run["lanes"]]
    assert len(names) == ranks, f"{len(names)} rank lanes for {ranks} ranks: {names}"
    for r, name in enumerate(names):
        assert name.endswith(f":{r}"), f"lane {name} is not rank {r}"
        if hosts:
            assert name.split(":")[0] in hosts, f"lane {name} on no host of {hosts}"
    busy = {lane for lane, kind, _ in run["spans"] if kind == "collective"}
    assert len(busy) == ranks, f"collective spans on {len(busy)} of {ranks} rank lanes"


# The kinds of span the Result figure of an mpi run stacks, by store name.
FIGURE_KINDS = ("task", "sleep", "send", "receive", "collective")
# The ranks' setup (app/plab-mpi-private.h), which the figure leaves out.
START_LABEL = "MPI_Bcast spin rate"


def span_ms_by_kind(db, run_id):
    """{(lane, kind name): milliseconds} of the run's spans in the store,
    the ranks' setup left out."""
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT lane, k.name, sum(end_ns - start_ns) FROM spans JOIN span_kinds k USING (kind) "
            "WHERE run_id = ? AND coalesce(label, '') != ? GROUP BY lane, k.name",
            (run_id, START_LABEL),
        ).fetchall()
    finally:
        con.close()
    return {(lane, kind): ns / 1e6 for lane, kind, ns in rows}


def check_rank_figure(db, run, ranks):
    """The figure is one stacked bar per rank, and each segment is what the
    store's spans of that kind on that rank's lane add up to; the setup
    span is in the store but not in the figure."""
    fig = run["result"].get("figure")
    assert fig and fig["kind"] == "stacked", f"no stacked figure: {fig}"
    assert fig["categories"] == [f"rank {r}" for r in range(ranks)], fig["categories"]
    sums = span_ms_by_kind(db, run["id"])
    lane_of = {int(name.rsplit(":", 1)[1]): lane for lane, name, _, _, _ in run["lanes"]}
    drawn = {s["span_kind"]: s["values"] for s in fig["series"]}
    assert "task" in drawn and "collective" in drawn, f"series {list(drawn)}"
    for kind in FIGURE_KINDS:
        store = [sums.get((lane_of[r], kind), 0.0) for r in range(ranks)]
        values = drawn.get(kind, [0.0] * ranks)
        assert len(values) == ranks, f"{kind}: {len(values)} values for {ranks} ranks"
        for r in range(ranks):
            assert abs(values[r] - store[r]) <= 1e-3 + 1e-6 * store[r], (
                f"rank {r} {kind}: figure {values[r]} ms, store {store[r]} ms"
            )
    assert sum(drawn["collective"]) > 0, "no time in collectives"
    assert any(lab == START_LABEL for lab in span_labels(db, run["id"])), "no setup span"


def span_labels(db, run_id):
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("SELECT DISTINCT label FROM spans WHERE run_id = ?", (run_id,))]
    finally:
        con.close()


def export_result_png(db, run_id, name):
    """`plab export --chart result` as PNG: a real PNG of the asked size."""
    out_dir = os.environ.get("PLAB_SCREENSHOT_DIR") or os.path.dirname(db)
    path = os.path.join(out_dir, name)
    p = subprocess.run(
        [PLAB, "export", str(run_id), "--chart", "result", "--db", db, "-o", path,
         "--width", "1600", "--height", "900"],
        capture_output=True, text=True, timeout=RUN_LIMIT_S,
    )
    assert p.returncode == 0, f"export exit {p.returncode}: {p.stderr}"
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert (w, h) == (1600, 900), f"PNG is {w}x{h}"


def demo_case(demo, ranks):
    def case(db):
        params, agrees = DEMOS[demo]
        sets = [a for p in params for a in ("--set", p)]
        p = plab(db, demo, "-b", "serial", *sets)
        assert p.returncode == 0, f"serial run failed: {p.stderr}"
        serial = last_run(db)["result"]
        p = plab(db, demo, "-b", "mpi", "-j", str(ranks), *sets)
        assert p.returncode == 0, f"mpi run failed ({p.returncode}): {p.stdout}{p.stderr}"
        run = last_run(db)
        assert run["status"] == "ok" and run["check_ok"], f"run {run['status']}: {run['error']}"
        assert agrees(run["result"], serial), f"mpi {run['result']} against serial {serial}"
        check_lanes(run, ranks)
        problems = []
        check_offsets(run["result"], problems)
        assert not problems, "; ".join(problems)
        check_rank_figure(db, run, ranks)
        if ranks == 4:
            export_result_png(db, run["id"], f"mpi-result-{demo}.png")

    case.__name__ = f"{demo}_{ranks}_ranks"
    return case


def messages_ratio_grows(db):
    """The communication-vs-computation demo: from 1 KiB to 4 MiB the send
    time over the work time grows (a 4 MiB copy against a 1 KiB one)."""
    p = plab(db, "messages", "-j", "2", "--set", "max_kb=4096", "--set", "rounds=5")
    assert p.returncode == 0, f"exit {p.returncode}: {p.stdout}{p.stderr}"
    run = last_run(db)
    r = run["result"]
    assert r["figure"]["kind"] == "lines", "the demo's own figure was replaced"
    ys = r["figure"]["series"][0]["y"]
    assert len(ys) == 13, f"{len(ys)} sizes for 1 KiB .. 4 MiB"
    assert r["largest_ratio"] > r["smallest_ratio"], r
    # The crossing is a size where the ratio reached 1, or, where none did,
    # no number at all (never "0 KiB") and a note that says so.
    notes = " ".join(r["figure"]["notes"])
    if max(ys) >= 1:
        assert r.get("crossover_kb", 0) >= 1, r
    else:
        assert "crossover_kb" not in r and "no message up to 4096 KiB" in notes, r
    # Work of 0.01 ms: a 4 MiB message costs more to send than that.
    p = plab(db, "messages", "-j", "2", "--set", "max_kb=4096", "--set", "rounds=5",
             "--set", "work_ms=0.01")
    assert p.returncode == 0, f"exit {p.returncode}: {p.stdout}{p.stderr}"
    r2 = last_run(db)["result"]
    assert r2.get("crossover_kb", 0) >= 1, r2
    check_lanes(run, 2)
    kinds = {kind for _, kind, _ in run["spans"]}
    assert {"send", "receive", "task"} <= kinds, kinds


def squares_task_spans(db, run_id):
    """squares' task spans on ranks (chunk 1), each labelled "squares K..K"
    for its task K: how many are whole, for how many tasks, how many are
    not, and one of those."""
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT count(*) FILTER (WHERE whole), count(DISTINCT task_id) FILTER (WHERE whole), "
            "count(*) FILTER (WHERE NOT whole), min(label) FILTER (WHERE NOT whole) "
            "FROM (SELECT task_id, label, label = 'squares ' || task_id || '..' || task_id AS whole "
            "FROM spans JOIN span_kinds k USING (kind) WHERE run_id = ? AND k.name = 'task')",
            (run_id,)).fetchone()
    finally:
        con.close()


def every_span_arrives(db):
    """Four ranks writing 40,000 task spans at once: mpirun merges their
    output in pieces that cut lines, so every span must come from the rank's
    own file, whole; none lost, none read wrong, no folder left behind."""
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "plab-mpi-*")))
    n = 40000
    p = plab(db, "squares", "-b", "mpi", "-j", "4", "--set", f"n={n}", "--set", "chunk_size=1",
             "--set", "work=0")
    assert p.returncode == 0, f"exit {p.returncode}: {p.stdout}{p.stderr}"
    run = last_run(db)
    tasks = sum(c for _, kind, c in run["spans"] if kind == "task")
    assert tasks == n, f"{tasks} task spans of {n}"
    whole, distinct, wrong, _ = squares_task_spans(db, run["id"])
    assert (whole, distinct, wrong) == (n, n, 0), f"{whole} ({distinct}) whole task spans of {n}"
    left = set(glob.glob(os.path.join(tempfile.gettempdir(), "plab-mpi-*"))) - before
    assert not left, f"left behind: {left}"


def skewed_clock_cancelled(db):
    """Rank 1's clock 30 s ahead of rank 0's, as another host's may be: the
    offset it measures is 30 s within its uncertainty, and its spans land
    inside the run, not 30 s after it (a wrong shift would put them there)."""
    skew = 30_000_000_000
    env = dict(os.environ, PLAB_TEST_CLOCK_SKEW_NS=str(skew))
    p = plab(db, "squares", "-b", "mpi", "-j", "2", env=env)
    assert p.returncode == 0, f"exit {p.returncode}: {p.stdout}{p.stderr}"
    run = last_run(db)
    rank1 = run["result"]["clock_offsets"][1]
    for when in ("start", "end"):
        off, unc = rank1[when + "_ns"], rank1[when + "_uncertainty_ns"]
        assert abs(off - skew) <= unc, f"{when} offset {off} ns, {skew} ± {unc} expected"
    con = sqlite3.connect(db)
    try:
        (wall,) = con.execute("SELECT wall_ns FROM runs WHERE id = ?", (run["id"],)).fetchone()
        spans = con.execute("SELECT l.name, min(s.start_ns), max(s.end_ns) FROM spans s "
                            "JOIN lanes l ON l.run_id = s.run_id AND l.lane = s.lane "
                            "WHERE s.run_id = ? GROUP BY s.lane", (run["id"],)).fetchall()
    finally:
        con.close()
    assert any(name.endswith(":1") for name, _, _ in spans), spans
    for name, first, last in spans:
        # A second of slack for the runner's own start and end; 30 s is far.
        assert -1e9 <= first and last <= wall + 1e9, f"{name}: {first}..{last} ns, run {wall} ns"


# An mpirun that drops the runner's --output-filename, so that the ranks'
# lines come on its stdout only, and changes the label of every 97th task
# span of rank 1 there to "forged" (its check left as it was), as a cut that
# joined two lines into one that looks whole would. It counts those it
# changed in the file named by FORGED_COUNT.
FORGING_MPIRUN = """#!/usr/bin/env python3
import os, signal, subprocess, sys
args = sys.argv[1:]
if args[:1] == ["--output-filename"]:
    args = args[2:]
p = subprocess.Popen([%r] + args, stdout=subprocess.PIPE)
signal.signal(signal.SIGTERM, lambda *_: p.terminate())
seen = forged = 0
for line in p.stdout:
    f = line.split(b"\\t")
    if f[:3] == [b"@plab", b"1", b"S"] and len(f) == 11 and f[9].startswith(b"squares "):
        seen += 1
        if seen %% 97 == 0:
            f[9] = b"forged"
            line = b"\\t".join(f)
            forged += 1
    sys.stdout.buffer.write(line)
    sys.stdout.buffer.flush()
with open(os.environ["FORGED_COUNT"], "w") as out:
    out.write(str(forged))
rc = p.wait()
sys.exit(rc if rc >= 0 else 128 - rc)
"""


def rank_files_unseen(db):
    """Four ranks writing 40,000 task spans at once, with no output files:
    mpirun's stdout cuts some lines, and every span lost is counted; a line
    whose check does not match (here forged, as a cut could join two lines
    into one that looks whole) is left out and counted lost, never read as
    a wrong span."""
    n = 40000
    with tempfile.TemporaryDirectory(prefix="plab-mpirun-") as d:
        wrapper = os.path.join(d, "mpirun")
        with open(wrapper, "w") as f:
            f.write(FORGING_MPIRUN % shutil.which("mpirun"))
        os.chmod(wrapper, 0o755)
        count = os.path.join(d, "forged")
        env = dict(os.environ, PLAB_MPIRUN=wrapper, FORGED_COUNT=count)
        p = plab(db, "squares", "-b", "mpi", "-j", "4", "--set", f"n={n}", "--set",
                 "chunk_size=1", "--set", "work=0", env=env)
        with open(count) as f:
            forged = int(f.read())
    assert p.returncode == 0, f"exit {p.returncode}: {p.stdout}{p.stderr}"
    assert forged > 0, "the wrapper changed no line"
    run = last_run(db)
    tasks = sum(c for _, kind, c in run["spans"] if kind == "task")
    ranks = run["result"].get("ranks_from_stdout")
    assert ranks is not None and [r["rank"] for r in ranks] == [0, 1, 2, 3], ranks
    for r in ranks:
        assert f"rank {r['rank']} on " in p.stderr and "mpirun's stdout" in p.stderr, p.stderr
    known = [r["lines_lost"] for r in ranks if r["lines_lost"] is not None]
    assert 0 < tasks <= n - forged, f"{tasks} task spans of {n}, {forged} of them forged"
    _, _, wrong, example = squares_task_spans(db, run["id"])
    assert wrong == 0, f"{wrong} task spans read wrong, such as {example!r}"
    # Each task span missing is a line lost, and counted (unless a rank's
    # count itself was cut, which leaves its loss unknown, never zero).
    if len(known) == len(ranks):
        assert sum(known) >= n - tasks, f"{sum(known)} lines lost counted, {n - tasks} spans missing"
    else:
        assert "unknown" in p.stderr, p.stderr


def crashed_rank(db):
    """Rank 1 holds item 15000 of 20000 and dies of SIGSEGV on it."""
    t0 = time.monotonic()
    p = plab(db, "squares", "-b", "mpi", "-j", "2", "--set", "n=20000", "--set", "crash_item=15000")
    assert p.returncode == 1, f"exit {p.returncode}: {p.stderr}"
    run = last_run(db)
    assert run["status"] == "failed", run["status"]
    assert "rank 1 on host" in (run["error"] or ""), run["error"]
    assert "rank 1 on host" in p.stdout + p.stderr, p.stdout + p.stderr
    lanes = {lane for lane, _, _ in run["spans"]}
    assert len([l for l in run["lanes"] if l[0] in lanes]) == 2, f"spans kept: {run['spans']}"
    assert any(l[3] == "killed" and l[4] == signal.SIGSEGV for l in run["lanes"]), run["lanes"]
    # The rank that mpirun stopped is shown stopped, not still running.
    ranks = [l for l in run["lanes"] if ":" in l[1]]
    assert len(ranks) == 2 and all(l[3] == "killed" for l in ranks), run["lanes"]
    assert any(l[4] == signal.SIGTERM for l in ranks), run["lanes"]
    assert time.monotonic() - t0 < RUN_LIMIT_S


def rank_pids():
    """The processes running this build's plab-mpi-rank."""
    pids = []
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                if f.read().split(b"\0")[0].decode() == RANK:
                    pids.append(int(d))
        except (OSError, ValueError):
            pass
    return pids


def stop_ends_every_rank(db):
    p = subprocess.Popen(
        [PLAB, "run", "barrier", "-b", "mpi", "-j", "2", "--db", db, "--set", "wall_ms=1000",
         "--set", "phases=6", "--set", "walls=8", "--set", "kind=wait"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(rank_pids()) < 2:
        time.sleep(0.5)
    pids = rank_pids()
    assert len(pids) == 2, f"{len(pids)} ranks started"
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("the runner did not end within 60 s of SIGTERM")
    assert p.returncode == 128 + signal.SIGTERM, f"exit {p.returncode}: {err}"
    run = last_run(db)
    assert run["status"] == "cancelled", run["status"]
    ranks = [l for l in run["lanes"] if ":" in l[1]]
    assert ranks and all(l[3] == "killed" and l[4] == signal.SIGTERM for l in ranks), run["lanes"]
    time.sleep(1.0)
    alive = [pid for pid in pids if pid in rank_pids()]
    assert not alive, f"ranks still running: {alive}"


def listed_backends(db):
    """`plab list --json` offers mpi for the MPI demos, and only them."""
    p = subprocess.run([PLAB, "list", "--json"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    mpi = sorted(d["name"] for d in json.loads(p.stdout)["demos"] if "mpi" in d["backends"])
    assert mpi == sorted(list(DEMOS) + ["messages"]), f"mpi offered for {mpi}"


def no_mpirun(db):
    env = dict(os.environ, PLAB_MPIRUN="/nonexistent/mpirun")
    p = plab(db, "squares", "-b", "mpi", "-j", "2", "--set", "n=100", env=env)
    assert p.returncode == 1, p.returncode
    assert "mpirun not found" in p.stdout + p.stderr, p.stdout + p.stderr


def bad_host_file(db):
    p = plab(db, "squares", "-b", "mpi", "-j", "2", "--hosts", "/nonexistent/hosts")
    assert p.returncode == 2 and "cannot read the host file" in p.stderr, p.stderr
    p = plab(db, "squares", "-b", "threads", "--hosts", "/etc/hostname")
    assert p.returncode == 2 and "-b mpi" in p.stderr, p.stderr


def unreachable_host(db):
    hosts = os.path.join(os.path.dirname(db), "hosts")
    with open(hosts, "w") as f:
        f.write("plab-no-such-host.invalid slots=2\n")
    p = plab(db, "squares", "-b", "mpi", "-j", "2", "--hosts", hosts, "--set", "n=100",
             timeout=120)
    assert p.returncode == 1, f"exit {p.returncode}: {p.stderr}"
    assert "mpirun failed" in p.stdout + p.stderr, p.stdout + p.stderr
    assert last_run(db)["status"] == "failed"


NS = ("plab-test-a", "plab-test-b")
ADDR = ("10.231.0.1", "10.231.0.2")


def netns(*args):
    return subprocess.run(["ip", *args], capture_output=True, text=True)


def make_hosts():
    """Two namespaces joined by a veth pair; None when not permitted."""
    if shutil.which("ip") is None or shutil.which("unshare") is None:
        return "no ip or unshare command"
    drop_hosts()
    steps = [
        ["netns", "add", NS[0]], ["netns", "add", NS[1]],
        ["link", "add", "plabtva", "type", "veth", "peer", "name", "plabtvb"],
        ["link", "set", "plabtva", "netns", NS[0]], ["link", "set", "plabtvb", "netns", NS[1]],
        ["-n", NS[0], "addr", "add", ADDR[0] + "/24", "dev", "plabtva"],
        ["-n", NS[1], "addr", "add", ADDR[1] + "/24", "dev", "plabtvb"],
        ["-n", NS[0], "link", "set", "plabtva", "up"], ["-n", NS[1], "link", "set", "plabtvb", "up"],
        ["-n", NS[0], "link", "set", "lo", "up"], ["-n", NS[1], "link", "set", "lo", "up"],
    ]
    for s in steps:
        r = netns(*s)
        if r.returncode != 0:
            drop_hosts()
            return f"ip {' '.join(s)}: {r.stderr.strip()}"
    return None


def drop_hosts():
    for ns in NS:
        netns("netns", "del", ns)


def two_hosts(db):
    if os.geteuid() != 0:
        raise Skip("network namespaces need root")
    why = make_hosts()
    if why:
        raise Skip(f"network namespaces not permitted here ({why})")
    try:
        tmp = os.path.dirname(db)
        agent = os.path.join(tmp, "agent.sh")
        # Open MPI starts its daemon on the other host with this instead of
        # ssh: in that host's namespace, under that host's name.
        with open(agent, "w") as f:
            f.write(
                "#!/bin/sh\n"
                'while [ "${1#-}" != "$1" ]; do shift 2; done\n'
                "host=$1; shift\n"
                f"case $host in {ADDR[1]}) ns={NS[1]};; *) ns={NS[0]};; esac\n"
                'exec ip netns exec $ns unshare --uts sh -c "hostname $ns; $*"\n'
            )
        os.chmod(agent, 0o755)
        hosts = os.path.join(tmp, "hosts")
        with open(hosts, "w") as f:
            f.write(f"{ADDR[0]} slots=2\n{ADDR[1]} slots=2\n")
        env = dict(
            os.environ,
            OMPI_MCA_plm_rsh_agent=agent,
            OMPI_MCA_btl_tcp_if_include="10.231.0.0/24",
            OMPI_MCA_oob_tcp_if_include="10.231.0.0/24",
        )
        prefix = ["ip", "netns", "exec", NS[0], "unshare", "--uts", "sh", "-c",
                  f'hostname {NS[0]}; exec "$@"', "sh"]
        p = plab(db, "barrier", "-b", "mpi", "-j", "4", "--hosts", hosts, "--set", "wall_ms=5",
                 env=env, prefix=prefix)
        assert p.returncode == 0, f"exit {p.returncode}: {p.stdout}{p.stderr}"
        run = last_run(db)
        check_lanes(run, 4, hosts=NS)
        named = {name.split(":")[0] for _, name, _, _, _ in run["lanes"]}
        assert named == set(NS), f"lanes name {named}, not both hosts"
        problems = []
        check_offsets(run["result"], problems)
        assert not problems, "; ".join(problems)
    finally:
        drop_hosts()


def main():
    if not have_plab(PLAB):
        return 0
    if not os.access(RANK, os.X_OK):
        print("1..0 # SKIP plab was built without Open MPI (install libopenmpi-dev and "
              "openmpi-bin, then build again)")
        return 0
    if shutil.which("mpirun") is None:
        print("1..0 # SKIP no mpirun: install Open MPI (openmpi-bin)")
        return 0
    os.environ.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    # Under AddressSanitizer (./plab test's asan stage): Open MPI unloads its
    # components in MPI_Finalize and leaves their memory behind, which the
    # leak checker reports from frames it can no longer name, so no
    # suppression matches. The ranks and this runner are checked for every
    # other error; the runner's leaks are checked by the other tests.
    if os.environ.get("ASAN_OPTIONS"):
        os.environ["ASAN_OPTIONS"] += ":detect_leaks=0"
    tests = [demo_case(d, n) for d in DEMOS for n in (2, 4)]
    tests += [listed_backends, messages_ratio_grows, every_span_arrives, skewed_clock_cancelled, rank_files_unseen, crashed_rank, stop_ends_every_rank, no_mpirun, bad_host_file, unreachable_host]
    tests.append(two_hosts)
    # test-mpi.py BUILD_DIR NAME... runs only the cases named.
    if len(sys.argv) > 2:
        tests = [t for t in tests if t.__name__ in sys.argv[2:]]
    return run_db_tests(tests, "plab-mpi-")


if __name__ == "__main__":
    sys.exit(main())
