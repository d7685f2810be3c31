#!/usr/bin/env python3
"""test-bad-input.py: every option and every demo parameter, fed bad values.

A table of every command-line option of every command, and of every
parameter of every demo (read from `plab list --json`, so a new parameter or
demo is covered without touching this file), each tried with values out of
range, negative, huge, not numbers, empty, and with trailing or leading
garbage ("3x", "1e999", "nan", "inf", "0x10", " 5"). For every one the real
plab program must:

  - exit with status 2 (bad input), not crash or hang;
  - print exactly one line on stderr, naming the option or parameter and
    the allowed range or choices;
  - print nothing on stdout;
  - leave the run store byte for byte as it was (no run recorded).

A value the program would accept is never sent (it would run a demo): the
table computes which values are allowed with the same rules the program
states (plain decimal numbers only, inclusive ranges), so a value wrongly
accepted shows up as a run, a zero exit status or a changed store.

Usage: test-bad-input.py BUILD_DIR (or PLAB_BUILD_DIR). Speaks TAP.
"""
import concurrent.futures
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

# The shared helpers, without leaving compiled files in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "util"))
import plab_test  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PLAB_BUILD_DIR", "build")
PLAB = os.path.abspath(os.path.join(BUILD, "app", "plab"))
DEADLINE = 60  # against hangs only
# Under a sanitizer every start of plab costs several times as much: there,
# every option and parameter still gets bad values, but a third of them.
THIN = 3 if any(os.environ.get(v) for v in ("ASAN_OPTIONS", "TSAN_OPTIONS")) else 1
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1

# Values no number option may take, whatever its range.
GARBAGE = ["", "abc", "3x", "1e999", "nan", "-inf", "0x10", " 5", "5 ", "+", "1,5", "\uff15",
           "5\n"]
HUGE = ["99999999999999999999", "-99999999999999999999", "1" + "0" * 400]

INT_TEXT = re.compile(r"[+-]?[0-9]+")
NUMBER_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def int_ok(text, lo, hi):
    """What the command line takes for a whole-number option."""
    return bool(INT_TEXT.fullmatch(text)) and lo <= int(text) <= hi


def param_ok(text, spec):
    """What plab_param_parse takes for a demo parameter."""
    kind = spec["type"]
    if kind == "choice":
        return text in spec["choices"]
    if kind == "bool":
        return text.lower() in ("true", "false", "yes", "no", "on", "off") or text in ("0", "1")
    if not NUMBER_TEXT.fullmatch(text):
        return False
    v = float(text)
    if not math.isfinite(v) or (kind == "int" and v != math.floor(v)):
        return False
    return spec["min"] <= v <= spec["max"]


def sweep_ok(text):
    """What --sweep takes: counts and ranges (a..b, a..max) from 1 to 256."""
    for part in text.split(","):
        a, dots, b = part.partition("..")
        if not int_ok(a, 1, 256) or (dots and not (b == "max" or (int_ok(b, 1, 256)
                                                                and int(b) >= int(a)))):
            return False
    return True


def double_ok(text, lo, hi):
    if not NUMBER_TEXT.fullmatch(text):
        return False
    v = float(text)
    return math.isfinite(v) and lo <= v <= hi


def g(x):
    """A number as the program prints a range (%g, or a whole number)."""
    if isinstance(x, float) and x != math.floor(x):
        return "%g" % x
    return "%d" % x


def int_candidates(lo, hi):
    vals = GARBAGE + HUGE + [str(lo - 1), str(hi + 1), "-1", "0", "2.5", str(lo) + ".5",
                             str(hi) + "0", "1e3"]
    return [v for v in dict.fromkeys(vals) if not int_ok(v, lo, hi)]


# Every parameter goes through the same parser, so most get the short list
# (each kind of bad value once) and the first whole-number and the first
# decimal parameter get every value.
SHORT = ["", "abc", "3x", "1e999", "nan", "inf", "0x10", " 5", "5\n", "99999999999999999999"]


def param_candidates(spec, full):
    if spec["type"] == "choice":
        vals = ["", "abc", "0", "1", "-1", "99999999999999999999", " " + spec["choices"][0],
                spec["choices"][0] + " ", spec["choices"][0].upper(), spec["choices"][0] + "x"]
    elif spec["type"] == "bool":
        vals = ["", "maybe", "2", "-1", "truex", "nan", " true"]
    else:
        lo, hi = spec["min"], spec["max"]
        vals = SHORT + [repr(lo - 1), repr(hi + 1), "-1", "2.5"]
        if full:
            vals += GARBAGE + HUGE + [repr(lo - 0.001), repr(hi * 2 + 1), "0", "-0.5", "1e3",
                                      "-1e3", "1e-9"]
        vals = [v.removesuffix(".0") if v.endswith(".0") else v for v in vals]
    return [v for v in dict.fromkeys(vals) if not param_ok(v, spec)]


def allowed_words(spec):
    if spec["type"] == "choice":
        return list(spec["choices"])
    if spec["type"] == "bool":
        return ["true or false"]
    return [f"from {g(spec['min'])} to {g(spec['max'])}"]


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def plab(args, env):
    try:
        p = subprocess.run([PLAB] + args, capture_output=True, text=True, timeout=DEADLINE,
                           env=env, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return "timeout", "", ""


class Table:
    """Groups of cases: (title, [(argv, words that the message must hold)])."""

    def __init__(self):
        self.groups = []

    def add(self, title, cases):
        self.groups.append((title, cases[::THIN]))


def build_table(db, demos):
    t = Table()
    DB = ["--db", db]

    # plab run: the options that take numbers, each with its range.
    for opts, words, lo, hi in ((["-j"], ["-j", "from 1 to 256"], 1, 256),
                                (["--workers"], ["-j", "from 1 to 256"], 1, 256),
                                (["--repeat"], ["--repeat", "from 1 to 100"], 1, 100),
                                (["--seed"], ["--seed", f"from 0 to {UINT64_MAX}"], 0, UINT64_MAX)):
        t.add(f"run {opts[0]}", [(["run", "squares"] + opts + [v] + DB, words)
                                 for v in int_candidates(lo, hi)])
    sweeps = int_candidates(1, 256) + ["1..", "..2", "2..1", "1...2", "1..max..2", ",", "1,,2",
                                       "1,", "max", "max..2", "0..2", "1..257", "1,2,x"]
    t.add("run --sweep", [(["run", "squares", "--sweep", v] + DB,
                           ["--sweep"] + (["from 1 to 256"] if v not in ("", "2..1") else []))
                          for v in dict.fromkeys(sweeps) if not sweep_ok(v)])
    backends = ["", "abc", "Threads", "threads,", ",threads", "threads,,gil", "serial threads", "0",
                "99999999999999999999", "threads;gil", " threads"]
    t.add("run --backend", [(["run", "squares", opt, v] + DB, ["serial", "threads", "processes", "gil"])
                            for v in backends for opt in ("-b", "--backend")])
    # Every parameter of every demo, from the program's own list.
    full_done = set()
    for demo in demos:
        for spec in demo["params"]:
            full = spec["type"] not in full_done
            full_done.add(spec["type"])
            t.add(f"run {demo['name']} --set {spec['name']}",
                  [(["run", demo["name"], "--set", f"{spec['name']}={v}"] + DB,
                    [spec["name"]] + allowed_words(spec)) for v in param_candidates(spec, full)])
        names = [p["name"] for p in demo["params"]]
        t.add(f"run {demo['name']} --set malformed",
              [(["run", demo["name"], "--set", v] + DB, w) for v, w in (
                  ("", ["KEY=VALUE"]), ("=5", names or ["none"]), ("nosuch=1", names or ["none"]),
                  (names[0] if names else "x", ["KEY=VALUE"]),
                  ((names[0].upper() + "=1") if names else "X=1", names or ["none"]))])
    # Combinations a demo refuses (its own check), and the demo name itself.
    t.add("run combinations", [
        (["run", "squares", "-b", "threads", "--set", "crash_item=3"] + DB,
         ["crash_item", "processes"]),
        (["run", "squares", "-b", "processes", "--set", "n=10", "--set", "crash_item=10"] + DB,
         ["crash_item", "below n"]),
        (["run", "barrier", "-j", "65"] + DB, ["barrier", "1 to 64"]),
        (["run", "squares", "-j", "2", "--sweep", "1,2"] + DB, ["-j", "--sweep"]),
    ])
    known = [d["name"] for d in demos]
    t.add("run DEMO", [(["run", v] + DB, known) for v in ("", "nosuch", "SQUARES", "squares ", " squares",
                                                          "99999999999999999999")]
          + [(["run"] + DB, known), (["run", "squares", "kde"] + DB, ["one demo"])])

    # plab runs
    t.add("runs --limit", [(["runs", "--limit", v] + DB, ["--limit", "from 0 to 2147483647"])
                           for v in int_candidates(0, 2**31 - 1)]
          + [(["runs", "-n", v] + DB, ["--limit", "from 0 to 2147483647"]) for v in ("-1", "x")])
    t.add("runs --demo, --db", [(["runs", "--demo", ""] + DB, ["--demo"]),
                                (["runs", "--db", ""], ["--db"]), (["runs", "extra"] + DB, ["extra"])])

    # Run ids, for show and export.
    bad_ids = ["", "0", "-1", "abc", "1x", "0x1", " 1", "1 ", "1.0", "1e2",
               "99999999999999999999", str(INT64_MAX + 1), "last ", "LAST", "sweep:1"]
    t.add("show RUN", [(["show", v] + DB, ["is not a run", f"from 1 to {INT64_MAX}", "last"])
                       for v in bad_ids if v != "sweep:1"]
          + [(["show", "999"] + DB, ["no run 999"]), (["show"] + DB, ["which run"]),
             (["show", "1", "2"] + DB, ["one run"]), (["show", "1", "--db", ""], ["--db"])])
    t.add("export RUN", [(["export", v, "--format", "csv"] + DB,
                          ["is not a run", f"from 1 to {INT64_MAX}", "last"])
                         for v in bad_ids if v != "sweep:1"]
          + [(["export", "999", "--format", "csv"] + DB, ["no run 999"])])
    t.add("export sweep:ID", [(["export", "sweep:" + v, "--chart", "time", "-o", "x.png"] + DB,
                               ["sweep:ID", f"from 1 to {INT64_MAX}"])
                              for v in ("", "0", "-1", "x", "1x", " 1", "99999999999999999999")]
          + [(["export", "sweep:1", "--format", "csv"] + DB, ["--chart"])])

    # plab export: choices and numbers.
    t.add("export --format", [(["export", "1", "--format", v] + DB, ["csv", "trace"])
                              for v in ("", "CSV", "xml", "png", "csv ", "99999999999999999999")]
          + [(["export", "1"] + DB, ["csv", "trace"])])
    t.add("export --chart", [(["export", "1", "--chart", v, "-o", "x.png"] + DB,
                              ["timeline", "time", "speedup", "result"])
                             for v in ("", "pie", "Timeline", "timeline ", "0")])
    t.add("export --chart --format", [(["export", "1", "--chart", "time", "--format", v, "-o", "x"] + DB,
                                       ["png", "svg", "pdf", "csv"])
                                      for v in ("", "trace", "bmp", "png ", "jpeg")]
          + [(["export", "1", "--chart", "time", "-o", "x.bmp"] + DB, ["png", "svg", "pdf"])])
    t.add("export --theme", [(["export", "1", "--chart", "time", "--theme", v, "-o", "x.png"] + DB,
                              ["light", "dark", "projector"])
                             for v in ("", "Dark", "blue", "0", "dark ")])
    for opt, lo, hi in (("--width", 1, 20000), ("--height", 1, 20000)):
        t.add(f"export {opt}", [(["export", "1", "--chart", "timeline", opt, v, "-o", "x.png"] + DB,
                                 [opt, f"from {lo} to {hi}"]) for v in int_candidates(lo, hi)])
    t.add("export too small to read",
          [(["export", "1", "--chart", c, "--width", w, "--height", h, "-o", "x.png"] + DB,
            ["too small", "640 x 360"])
           for c in ("timeline", "time", "speedup", "result")
           for w, h in (("100", "50"), ("639", "900"), ("1600", "359"))]
          + [(["export", "1", "--chart", "time", "--width", "800", "--height", "450", "--theme",
               "projector", "-o", "x.png"] + DB, ["too small", "864 x 486"])])
    t.add("export --scale", [(["export", "1", "--chart", "timeline", "--scale", v, "-o", "x.png"] + DB,
                              ["--scale", "from 0.25 to 8"])
                             for v in dict.fromkeys(GARBAGE + HUGE + ["0", "-1", "0.2", "8.01", "1e3",
                                                                       "-0.25"])
                             if not double_ok(v, 0.25, 8)]
          + [(["export", "1", "--chart", "timeline", "--width", "20000", "--height", "20000", "-o",
               "x.png"] + DB, ["million pixels"])])
    t.add("export chart options without --chart",
          [(["export", "1", "--format", "csv", o, v] + DB, [o, "--chart"])
           for o, v in (("--width", "800"), ("--height", "abc"), ("--scale", "2"),
                        ("--theme", "dark"))])
    t.add("export -o", [(["export", "1", "--format", "csv", "-o", ""] + DB, ["-o"]),
                        (["export", "1", "--chart", "time", "-o", ""] + DB, ["-o"]),
                        (["export", "1", "--chart", "time", "-o", os.path.dirname(db)] + DB,
                         ["-o", "folder"]),
                        (["export", "1", "--chart", "time", "-o", "-"] + DB, ["stdout"])])

    # list, bench, and the program itself.
    t.add("list", [(["list", "extra"], ["extra"]), (["list", "--json", "x"], ["x"]),
                   (["list", "--nosuch"], ["--nosuch"])])
    t.add("bench", [(["bench"], ["core", "charts"]), (["bench", ""], ["core", "charts"]),
                    (["bench", "nope"], ["core", "charts"]), (["bench", "CORE"], ["core", "charts"]),
                    (["bench", "core", "charts"], ["core", "charts"])])
    t.add("plab", [(["nosuch"], ["list", "run", "runs", "show", "export", "bench"]),
                   (["--nosuch"], ["--nosuch"]), (["--db", ""], ["--db"]),
                   (["--db"], ["--db"]), ([""], ["list", "run"])])

    # Options given no value at all (the last word on the line).
    t.add("options without a value", [
        (["run", "squares"] + DB + [o], [o]) for o in ("-j", "--workers", "-b", "--backend",
                                                         "--sweep", "--repeat", "--set", "--seed")]
        + [(["export", "1"] + DB + ["--chart", "time", o], [o])
           for o in ("--width", "--height", "--scale", "--theme", "--format", "-o")]
        + [(["runs"] + DB + [o], [o]) for o in ("--limit", "--demo")]
        + [(["run", "squares", "--db"], ["--db"])])
    return t


def check(case, env, store, before):
    args, words = case
    rc, out, err = plab(args, env)
    problems = []
    lines = [l for l in err.splitlines() if l.strip()]
    shown = " ".join(repr(a) if (a == "" or a != a.strip()) else a for a in args)
    if rc != 2:
        problems.append(f"plab {shown}: exit status {rc}, expected 2 (stderr {err[:300]!r})")
    if len(lines) != 1:
        problems.append(f"plab {shown}: {len(lines)} lines on stderr, expected 1: {err[:400]!r}")
    elif not lines[0].startswith("plab"):
        problems.append(f"plab {shown}: the message does not start with plab: {lines[0]!r}")
    else:
        missing = [w for w in words if w not in lines[0]]
        if missing:
            problems.append(f"plab {shown}: the message lacks {missing}: {lines[0]!r}")
    if out:
        problems.append(f"plab {shown}: stdout is not empty: {out[:200]!r}")
    if os.path.exists(store) and sha(store) != before:
        problems.append(f"plab {shown}: the run store changed")
    return problems


def main():
    if not plab_test.have_plab(PLAB):
        return 0
    tmp = tempfile.mkdtemp(prefix="plab-bad-input-")
    try:
        env = dict(os.environ, XDG_DATA_HOME=tmp, HOME=tmp)
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        db = os.path.join(tmp, "runs.db")
        # A store with a run and a sweep to point at.
        for args in (["run", "squares", "-b", "threads", "-j", "1", "--set", "n=100"],
                     ["run", "squares", "-b", "threads", "--sweep", "1,2", "--set", "n=100"]):
            rc, out, err = plab(args + ["--db", db], env)
            if rc != 0:
                print("1..0 # SKIP cannot record the runs the cases point at: " + err.strip())
                return 1
        rc, out, err = plab(["list", "--json"], env)
        demos = json.loads(out)["demos"]
        before = sha(db)
        table = build_table(db, demos)
        # Relative output names (x.png) land in the temporary folder.
        os.chdir(tmp)

        print(f"1..{len(table.groups) + 1}")
        t0 = time.monotonic()
        n_cases = 0
        failed = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            for i, (title, cases) in enumerate(table.groups, 1):
                problems = []
                for p in pool.map(lambda c: check(c, env, db, before), cases):
                    problems += p
                n_cases += len(cases)
                if not cases:
                    problems.append("no bad values to try (the table is empty)")
                leftovers = [f for f in os.listdir(tmp) if f not in ("runs.db",)]
                if leftovers:
                    problems.append(f"files written by refused commands: {leftovers}")
                    for f in leftovers:
                        path = os.path.join(tmp, f)
                        shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
                if problems:
                    failed += 1
                    print(f"not ok {i} - {title} ({len(cases)} values)")
                    for p in problems[:40]:
                        print("# " + p.replace("\n", "\\n"))
                    if len(problems) > 40:
                        print(f"# ... and {len(problems) - 40} more")
                else:
                    print(f"ok {i} - {title} ({len(cases)} values)")
                sys.stdout.flush()
        # Finally, the store as a whole: the runs recorded before, and no other.
        rc, out, err = plab(["runs", "--json", "--db", db], env)
        ids = sorted(r["id"] for r in json.loads(out)["runs"]) if rc == 0 else None
        n = len(table.groups) + 1
        if ids == [1, 2, 3] and sha(db) == before:
            print(f"ok {n} - the store holds the 3 runs it held before and nothing else")
        else:
            failed += 1
            print(f"not ok {n} - the store changed: runs {ids}")
        print(f"# {n_cases} bad values tried in {time.monotonic() - t0:.1f} s"
              + (f" (one in {THIN}, under a sanitizer)" if THIN > 1 else ""))
        return 1 if failed else 0
    finally:
        os.chdir("/")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
