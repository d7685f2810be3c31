#!/usr/bin/env python3
"""test-cli-spread.py: `plab run --repeat` and `plab show` give medians with
their spread, computed from the runs they report.

Runs the real plab program on a fresh run store with the quick squares demo:

  - `plab run squares -b threads -j 2 --repeat 3`: the table gives the
    median and min-max of the three runs (checked against the wall times
    the same command prints per run, and against --json);
  - a sweep over serial and threads at 1 and 2 workers, 3 repeats, with
    --json: each row's speedup is the serial median over its median, its
    bounds serial min / row max .. serial max / row min, the efficiency the
    speedup over the workers; the text table of the same sweep shows
    "x (low-high)";
  - a single run: `plab show` says "1 run" and invents no spread; a
    repeated run's `plab show` gives the median and min-max of its sweep,
    and of each number of its result the repeats disagree on.

Timings are never asserted, only what is computed from them.
Usage: test-cli-spread.py BUILD_DIR (or PLAB_BUILD_DIR). Speaks TAP.
"""
import json
import os
import re
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
QUICK = ["--set", "n=20000"]

tests = []


def test(fn):
    tests.append(fn)
    return fn


def plab(db, *args):
    p = subprocess.run([PLAB, *args, "--db", db], capture_output=True, text=True,
                       timeout=DEADLINE)
    assert p.returncode == 0, f"plab {' '.join(args)}: exit {p.returncode}: {p.stderr}"
    return p.stdout


def close(a, b):
    """JSON numbers carry nine significant digits."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def spread(values):
    return statistics.median(values), min(values), max(values)


@test
def repeat_prints_median_and_min_max(db):
    out = plab(db, "run", "squares", "-b", "threads", "-j", "2", "--repeat", "3", *QUICK)
    walls = [float(m) for m in re.findall(r"^run \d+: threads x2\s+ok\s+([0-9.]+) s", out, re.M)]
    assert len(walls) == 3, out
    row = re.search(r"^threads\s+2\s+3\s+([0-9.]+) \(([0-9.]+)-([0-9.]+)\)", out, re.M)
    assert row, f"no 'median (min-max)' row in:\n{out}"
    med, lo, hi = spread(walls)
    # The per-run lines round to 3 decimals too: compare within that.
    for shown, want in zip(map(float, row.groups()), (med, lo, hi)):
        assert abs(shown - want) <= 0.0011, (row.group(0), walls)
    assert "median (min-max)" in out and "medians of the repeats" in out, out


@test
def sweep_speedup_bounds_from_extremes(db):
    args = ["run", "squares", "--sweep", "1,2", "-b", "serial,threads", "--repeat", "3", *QUICK]
    summary = json.loads(plab(db, *args, "--json"))
    times = {}
    for r in summary["runs"]:
        assert r["status"] == "ok", r
        times.setdefault((r["backend"], r["workers"]), []).append(r["wall_s"])
    s_med, s_lo, s_hi = spread(times[("serial", 1)])
    rows = summary["table"]
    assert len(rows) == 3, rows
    for row in rows:
        med, lo, hi = spread(times[(row["backend"], row["workers"])])
        assert row["runs"] == 3
        assert close(row["median_s"], med) and close(row["min_s"], lo), row
        assert close(row["max_s"], hi), row
        assert row["q1_s"] is None  # three repeats: no quartiles
        assert close(row["speedup"], s_med / med), row
        assert close(row["efficiency"], row["speedup"] / row["workers"]), row
        if row["backend"] == "serial":
            # The baseline against itself is 1, not a spread.
            assert row["speedup_low"] == row["speedup_high"] == row["speedup"], row
            continue
        assert close(row["speedup_low"], s_lo / hi), row
        assert close(row["speedup_high"], s_hi / lo), row
        assert row["speedup_low"] <= row["speedup"] <= row["speedup_high"], row
        assert close(row["efficiency_high"], row["speedup_high"] / row["workers"]), row

    out = plab(db, *args)
    assert re.search(r"^serial\s+1\s+3\s+.*1\.00x \(baseline\)", out, re.M), out
    for workers in (1, 2):
        assert re.search(rf"^threads\s+{workers}\s+3\s+[0-9.]+ \([0-9.]+-[0-9.]+\)\s+"
                         r"[0-9.]+x \([0-9.]+-[0-9.]+\)\s+[0-9]+% \([0-9]+-[0-9]+\)", out,
                         re.M), out


@test
def show_says_one_run(db):
    plab(db, "run", "squares", "-b", "threads", "-j", "2", *QUICK, "--set", "work=1")
    out = plab(db, "show", "last")
    assert re.search(r"^  repeats\s+1 run of threads x2: no spread to show", out, re.M), out
    assert not re.search(r"\([0-9.]+-[0-9.]+\)", out), out


@test
def show_gives_the_spread_of_its_sweep(db):
    summary = json.loads(plab(db, "run", "squares", "-b", "threads", "-j", "2", "--repeat",
                              "3", *QUICK, "--set", "work=2", "--json"))
    walls = [r["wall_s"] for r in summary["runs"]]
    out = plab(db, "show", str(summary["runs"][-1]["id"]))
    m = re.search(r"^  repeats\s+3 runs of threads x2: median ([0-9.]+) s \(([0-9.]+)-([0-9.]+)\)",
                  out, re.M)
    assert m, out
    for shown, want in zip(map(float, m.groups()), spread(walls)):
        assert abs(shown - want) <= 0.0006, (m.group(0), walls)



@test
def show_gives_each_result_number_its_spread(db):
    """chef repeated: a number the repeats disagree on (the time saved) is
    followed by the median and min-max of the three; one they agree on
    (the text's figure) is not."""
    summary = json.loads(plab(db, "run", "chef", "-b", "threads", "-j", "2", "--repeat", "3",
                              "--set", "unit_ms=10", "--json"))
    saved = [r["result"]["saved_percent"] for r in summary["runs"]]
    out = plab(db, "show", str(summary["runs"][-1]["id"]))
    m = re.search(r"^\s+saved against the for loop \(measured\): [-0-9.]+% "
                  r"\(median ([-0-9.]+)%, ([-0-9.]+)–([-0-9.]+)%\)$", out, re.M)
    if len(set(saved)) == 1:  # three equal times: nothing to spread
        assert not m, out
        return
    assert m, out
    for shown, want in zip(map(float, m.groups()), spread(saved)):
        # plab_format_number keeps three significant digits.
        assert abs(shown - want) <= 0.051 * max(1.0, abs(want) / 10), (m.group(0), saved)
    assert re.search(r"^\s+saved, the text's figure: 44.4%$", out, re.M), out

def main():
    return plab_test.run_db_tests(tests, "plab-cli-spread-")


if __name__ == "__main__":
    sys.exit(main())
