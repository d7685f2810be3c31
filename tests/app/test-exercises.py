#!/usr/bin/env python3
"""`plab exercise` on every exercise of data/exercises/: the reference passes,
the untouched skeleton fails with its exercise's message, and a wrong, a
crashing, a hanging and a serial version of the reference each get their own
verdict; a file that does not compile is bad input and records nothing; an
answer copied from an earlier check fails on the next seed; the report counts
the attempts. TAP output.

Usage: test-exercises.py BUILD_DIR SOURCE_DIR [EXERCISE...]"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "util"))
from plab_test import have_plab, tap_result  # noqa: E402

build, src = sys.argv[1], sys.argv[2]
plab = os.path.join(build, "app", "plab")
exercises_dir = os.path.join(src, "data", "exercises")

# The untouched skeleton: its verdict and a phrase its message must hold.
SKELETON = {
    "pool-map": ("serial", "did you use the pool"),
    "chunk-size": ("recording", "chunk size"),
    "race-lock": ("wrong", "updates were lost"),
    "race-atomic": ("wrong", "atomic"),
    "queue": ("hung", "sentinel"),
    "barrier": ("wrong", "before the others had finished"),
    "deadlock": ("hung", "deadlock"),
    "amdahl": ("wrong", "f is 0"),
    "ping-pong": ("wrong", "through the child"),
}

# A serial "solution" of each exercise: the reference with its work taken
# off the workers (text replaced: old, new).
BARRIER_SERIAL = """  for (int p = 1; p <= PHASES; p++)
    for (int w = 0; w < workers; w++)
      {
        int64_t total = 0;
        int64_t t0 = plab_now_ns ();

        for (int u = 0; u < workers; u++)
          total += v[(p - 1) * workers + u];
        v[p * workers + w] = (total * 31 + w + p) % 1000003;
        plab_span (PLAB_SPAN_TASK, t0, plab_now_ns (), p, "phase");
      }
  (void)procs;
  (void)painter;
"""
# The workers' functions called one after another on the main lane, in place
# of plab_exercise_start_workers ().
SERIAL_WORKERS = """static int
serial_workers (PlabExercise *ex, const char *name, PlabProcessFunc func, void *args,
                size_t arg_size, int n, PlabProcess **procs)
{
  for (int i = 0; i < n; i++)
    {
      func ((char *)args + (size_t)i * arg_size);
      procs[i] = NULL;
    }
  return 0;
}

static int
solve (PlabExercise *ex)
"""
ON_MAIN_LANE = [("static int\nsolve (PlabExercise *ex)\n", SERIAL_WORKERS),
                ("plab_exercise_start_workers (", "serial_workers (")]
SERIAL = {
    "pool-map": [("PLAB_BACKEND_PROCESSES", "PLAB_BACKEND_SERIAL")],
    "chunk-size": [("PLAB_BACKEND_PROCESSES", "PLAB_BACKEND_SERIAL")],
    "amdahl": [("PLAB_BACKEND_PROCESSES", "PLAB_BACKEND_SERIAL")],
    "race-lock": ON_MAIN_LANE,
    "race-atomic": ON_MAIN_LANE,
    "deadlock": ON_MAIN_LANE,
    "queue": [("int consumers = plab_exercise_workers (ex);", "int consumers = 1;")],
    "ping-pong": [(re.compile(r"if \(plab_conn_send \(mine.*?break;", re.S),
                   "x = (x * 3 + 1) % 1000003;")],
    "barrier": [(re.compile(r"  plab_exercise_start_workers \(ex, \"painter\".*?"
                            r"plab_exercise_join_workers \(procs, workers\);\n", re.S),
                 BARRIER_SERIAL)],
}


def replace(text, old, new):
    if isinstance(old, str):
        if old not in text:
            raise AssertionError(f"the reference lacks {old!r}")
        return text.replace(old, new)
    text2, n = old.subn(lambda m: new, text, count=1)
    if n == 0:
        raise AssertionError(f"the reference lacks /{old.pattern}/")
    return text2


def reference_text(name):
    """The lab's reference solution of @name, as `plab exercise show --reference` gives it."""
    r = subprocess.run([plab, "exercise", "show", name, "--reference"], capture_output=True,
                       text=True, check=True)
    return r.stdout


def variant(name, kind):
    """The reference changed into a @kind "solution"."""
    text = reference_text(name)
    answer = re.compile(r"plab_exercise_answer \(ex, (\"\w+\"), (.*?)\);", re.S)
    if kind == "wrong":  # the first answer off by one
        return answer.sub(lambda m: f"plab_exercise_answer (ex, {m.group(1)}, ({m.group(2)}) + 1);",
                          text, count=1)
    if kind == "crash":  # the main process dies of SIGSEGV once the work is done
        # raise (), not a store through NULL: built with UBSan (the suite's
        # sanitizer stages), that store is reported and exits with status 1.
        return "#include <signal.h>\n" + replace(text, "  plab_exercise_answer (ex,",
                                                  "  raise (SIGSEGV);\n  plab_exercise_answer (ex,")
    if kind == "hang":  # never reports
        return replace(text, "  plab_exercise_answer (ex,", "  for (;;)\n"
                       "    plab_sleep_ns (1000000000);\n  plab_exercise_answer (ex,")
    if kind == "serial":
        for old, new in SERIAL[name]:
            text = replace(text, old, new)
        return text
    raise ValueError(kind)


def check(name, folder, db):
    """Runs plab exercise check; returns (exit status, verdict object, stderr)."""
    r = subprocess.run([plab, "exercise", "check", name, folder, "--db", db, "--json", "-j", "2"],
                       capture_output=True, text=True, timeout=300)
    try:
        verdict = json.loads(r.stdout)
    except ValueError:
        verdict = {}
    return r.returncode, verdict, r.stderr


def run_status(db, run):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT status, IFNULL (error, '') FROM runs WHERE id = ?",
                           (run,)).fetchone()
    finally:
        con.close()


def n_attempts(db):
    if not os.path.exists(db):
        return 0
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM attempts").fetchone()[0]
    finally:
        con.close()


EXPECT = {"wrong": "wrong", "crash": "crashed", "hang": "hung", "serial": "serial"}


def cases_for(name, tmp):
    """(case name, function returning problems) for exercise @name."""
    db = os.path.join(tmp, "runs.db")
    folder = os.path.join(tmp, name)

    def start():
        problems = []
        r = subprocess.run([plab, "exercise", "start", name, folder], capture_output=True,
                           text=True)
        if r.returncode != 0:
            return [f"start: exit {r.returncode}: {r.stderr}"]
        for f in (f"{name}.c", "Makefile"):
            if not os.path.exists(os.path.join(folder, f)):
                problems.append(f"start made no {f}")
        again = subprocess.run([plab, "exercise", "start", name, folder], capture_output=True,
                               text=True)
        if again.returncode != 2 or "there already" not in again.stderr:
            problems.append(f"a second start did not refuse: {again.returncode} {again.stderr}")
        # The Makefile builds from the folder itself, with nothing set.
        env = {k: v for k, v in os.environ.items() if k != "PKG_CONFIG_PATH"}
        make = subprocess.run(["make", "-s", "-C", folder], capture_output=True, text=True,
                              env=env)
        if make.returncode != 0:
            problems.append(f"make: {make.stderr}")
        return problems

    def skeleton():
        want, phrase = SKELETON[name]
        rc, v, err = check(name, folder, db)
        problems = []
        if rc != 1 or v.get("verdict") != want:
            problems.append(f"skeleton: exit {rc}, verdict {v.get('verdict')} (want {want}): "
                            f"{v.get('message')} {err}")
        elif phrase not in v.get("message", ""):
            problems.append(f"skeleton's message lacks {phrase!r}: {v.get('message')}")
        elif not v.get("hint"):
            problems.append("a failed attempt shows no hint")
        return problems

    def reference():
        with open(os.path.join(folder, f"{name}.c"), "w") as f:
            f.write(reference_text(name))
        rc, v, err = check(name, folder, db)
        if rc != 0 or v.get("verdict") != "passed":
            return [f"reference: exit {rc}, verdict {v.get('verdict')}: {v.get('message')} {err}"]
        if v.get("run", 0) <= 0 or v.get("reference_run", 0) <= 0:
            return [f"no runs named: {v}"]
        status = run_status(db, v["run"])
        if status is None or status[0] != "ok":
            return [f"the student's run is {status}"]
        return []

    def bad(kind):
        def fn():
            with open(os.path.join(folder, f"{name}.c"), "w") as f:
                f.write(variant(name, kind))
            rc, v, err = check(name, folder, db)
            want = EXPECT[kind]
            if rc != 1 or v.get("verdict") != want:
                return [f"{kind}: exit {rc}, verdict {v.get('verdict')} (want {want}): "
                        f"{v.get('message')} {err}"]
            if kind in ("crash", "hang"):
                status = run_status(db, v.get("run", 0))
                word = "SIGSEGV" if kind == "crash" else "limit"
                if status is None or status[0] != "failed" or word not in status[1]:
                    return [f"{kind}: the run is recorded as {status}"]
            return []
        fn.__name__ = kind
        return fn

    return [("start", start), ("skeleton", skeleton), ("reference", reference)] + \
        [(k, bad(k)) for k in ("wrong", "crash", "hang", "serial")]


def common_cases(tmp):
    db = os.path.join(tmp, "runs.db")
    folder = os.path.join(tmp, "broken")

    def compile_error():
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "pool-map.c"), "w") as f:
            f.write("int main (void) { return undeclared; }\n")
        before = n_attempts(db)
        rc, v, err = check("pool-map", folder, db)
        problems = []
        if rc != 2:
            problems.append(f"exit {rc}, not 2")
        if "undeclared" not in err or "does not compile" not in err:
            problems.append(f"the compiler's messages are not shown: {err}")
        if n_attempts(db) != before:
            problems.append("a file that does not compile was recorded")
        return problems

    def bad_input():
        problems = []
        for args, phrase in ((["check", "no-such"], "unknown exercise"),
                             (["check", "pool-map", os.path.join(tmp, "nowhere")], "not there"),
                             (["frobnicate"], "unknown command")):
            r = subprocess.run([plab, "exercise"] + args + ["--db", db] * (args[0] == "check"),
                               capture_output=True, text=True)
            if r.returncode != 2 or phrase not in r.stderr:
                problems.append(f"{args}: exit {r.returncode}: {r.stderr}")
        return problems

    def report():
        r = subprocess.run([plab, "exercise", "report", "--db", db, "--json"],
                           capture_output=True, text=True)
        rows = json.loads(r.stdout)["attempts"] if r.returncode == 0 else []
        problems = [] if r.returncode == 0 else [f"report: exit {r.returncode}: {r.stderr}"]
        by = {row["exercise"]: row for row in rows
              if os.path.basename(row["folder"]) == row["exercise"]}
        for name in exercises:
            row = by.get(name)
            if row is None:
                problems.append(f"report lacks {name}")
            elif not row["passed"] or row["attempts"] != 6 or row["best_speed"] <= 0:
                problems.append(f"report row of {name}: {row}")
        csv = subprocess.run([plab, "exercise", "report", "--db", db, "--csv"],
                             capture_output=True, text=True)
        if not csv.stdout.startswith("exercise,folder,passed,best_speed,attempts"):
            problems.append(f"csv: {csv.stdout[:200]}")
        return problems

    def listing():
        r = subprocess.run([plab, "exercise", "list", "--json"], capture_output=True, text=True)
        names = [e["name"] for e in json.loads(r.stdout)["exercises"]]
        return [] if sorted(SKELETON) == sorted(n for n in names if n in SKELETON) and \
            len(names) >= 8 else [f"list: {names}"]

    def broken_folder():
        """A folder whose exercise.json is broken, dropped in by a teacher, is
        named on stderr and left out; every other exercise is still listed."""
        root = os.path.join(tmp, "dropped-in")
        os.makedirs(os.path.join(root, "broken"), exist_ok=True)
        with open(os.path.join(root, "broken", "exercise.json"), "w") as f:
            f.write("{ not json")
        with open(os.path.join(root, "broken", "solution.c"), "w") as f:
            f.write("int\nmain (void)\n{\n  return 0;\n}\n")
        env = dict(os.environ, PLAB_EXERCISES_PATH=root)
        r = subprocess.run([plab, "exercise", "list", "--json"], capture_output=True, text=True,
                           env=env)
        names = [e["name"] for e in json.loads(r.stdout)["exercises"]] if r.returncode == 0 else []
        problems = []
        if r.returncode != 0 or sorted(SKELETON) != sorted(n for n in names if n in SKELETON):
            problems.append(f"broken folder hid the others: exit {r.returncode}, {names}")
        if "broken" in names or "broken/exercise.json" not in r.stderr \
                or "left out" not in r.stderr:
            problems.append(f"broken folder not named: {r.stderr!r}")
        return problems

    def one_chunk():
        """chunk-size solved with every item in one chunk: the answer is right,
        but one task keeps one worker busy while the other waits."""
        folder2 = os.path.join(tmp, "one-chunk")
        os.makedirs(folder2, exist_ok=True)
        text = reference_text("chunk-size")
        one = text.replace("int chunk_size = N_ITEMS / 8 / workers;", "int chunk_size = N_ITEMS;")
        if one == text:
            return ["chunk-size: the reference's chunk size line has changed"]
        with open(os.path.join(folder2, "chunk-size.c"), "w") as f:
            f.write(one)
        status, verdict, err = check("chunk-size", folder2, os.path.join(tmp, "one-chunk.db"))
        if status != 1 or verdict.get("verdict") != "recording" \
                or "1 task(s)" not in verdict.get("message", ""):
            return [f"one chunk: exit {status}, {verdict}, {err}"]
        return []

    def hard_coded():
        """An answer copied from an earlier check passes that seed only: the
        check's random seed catches it."""
        folder2 = os.path.join(tmp, "hard-coded")
        os.makedirs(folder2, exist_ok=True)
        text = reference_text("pool-map")
        with open(os.path.join(folder2, "pool-map.c"), "w") as f:
            f.write(text)
        r = subprocess.run([plab, "exercise", "check", "pool-map", folder2, "--db", db, "--json",
                            "--seed", "7"], capture_output=True, text=True, timeout=300)
        run = json.loads(r.stdout).get("run", 0)
        con = sqlite3.connect(db)
        try:
            result = json.loads(con.execute("SELECT result FROM runs WHERE id = ?",
                                            (run,)).fetchone()[0])
        finally:
            con.close()
        cheat = re.sub(r"plab_exercise_answer \(ex, \"sum\", sum\);",
                       f"plab_exercise_answer (ex, \"sum\", {result['sum']:.1f});", text)
        with open(os.path.join(folder2, "pool-map.c"), "w") as f:
            f.write(cheat)
        rc, v, err = check("pool-map", folder2, db)
        if rc != 1 or v.get("verdict") != "wrong":
            return [f"a hard-coded sum: exit {rc}, verdict {v.get('verdict')}: {v.get('message')}"]
        return []

    def markers():
        """A teacher's solution.c: start writes the TODO text and the stand-in,
        the reference keeps the solution; a region left open is refused with
        its line."""
        root = os.path.join(tmp, "teacher")
        problems = []
        for name, body in (("marked", "  /* SOLUTION BEGIN: TODO 1: add one. */\n  x += 1;\n"
                            "  /* SOLUTION ELSE */\n  x += 0;\n  /* SOLUTION END */\n"),
                           ("open", "  /* SOLUTION BEGIN: TODO 1: add one. */\n  x += 1;\n")):
            os.makedirs(os.path.join(root, name), exist_ok=True)
            shutil.copy(os.path.join(exercises_dir, "pool-map", "exercise.json"),
                        os.path.join(root, name, "exercise.json"))
            with open(os.path.join(root, name, "solution.c"), "w") as f:
                f.write("int\nmain (void)\n{\n  int x = 0;\n" + body + "  return x;\n}\n")
        env = dict(os.environ, PLAB_EXERCISES_PATH=root)
        folder3 = os.path.join(tmp, "marked")
        r = subprocess.run([plab, "exercise", "start", "marked", folder3], capture_output=True,
                           text=True, env=env)
        skel = open(os.path.join(folder3, "marked.c")).read() if r.returncode == 0 else ""
        if r.returncode != 0 or "/* TODO 1: add one. */\n  x += 0;\n  return x;" not in skel \
                or "SOLUTION" in skel or "x += 1" in skel:
            problems.append(f"skeleton: exit {r.returncode} {r.stderr}: {skel!r}")
        r = subprocess.run([plab, "exercise", "show", "marked", "--reference"],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0 or "{\n  int x = 0;\n  x += 1;\n  return x;" not in r.stdout \
                or "TODO" in r.stdout or "SOLUTION" in r.stdout:
            problems.append(f"reference: exit {r.returncode} {r.stderr}: {r.stdout!r}")
        r = subprocess.run([plab, "exercise", "start", "open", os.path.join(tmp, "open")],
                           capture_output=True, text=True, env=env)
        if r.returncode == 0 or "solution.c:5: this SOLUTION BEGIN is not closed" not in r.stderr:
            problems.append(f"an open region: exit {r.returncode}: {r.stderr}")
        return problems

    return [("list", listing), ("broken folder", broken_folder), ("one chunk", one_chunk),
            ("compile error", compile_error), ("bad input", bad_input),
            ("hard-coded answer", hard_coded), ("solution markers", markers)], [("report", report)]


if not have_plab(plab):
    sys.exit(0)
exercises = sys.argv[3:] or sorted(SKELETON)
tmp = tempfile.mkdtemp(prefix="plab-test-exercises-")
os.environ["XDG_DATA_HOME"] = tmp
try:
    first, last = common_cases(tmp)
    cases = list(first)
    for name in exercises:
        cases += [(f"{name}: {c}", fn) for c, fn in cases_for(name, tmp)]
    cases += last
    print(f"1..{len(cases)}")
    failed = 0
    for n, (label, fn) in enumerate(cases, 1):
        try:
            problems = fn()
        except Exception as e:  # one TAP line per failure, then go on
            problems = [repr(e)]
        failed += not tap_result(n, label, problems)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(1 if failed else 0)
