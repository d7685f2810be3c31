#!/usr/bin/env python3
"""Run the test suite in stages and end with one line: N passed, M failed[, K skipped].

    run-tests.py BUILD [--quick] [MESON TEST ARGS...]

Stages, in order (each prints its own count and how long it took):

  normal    the whole suite in BUILD
  asan      the whole suite under AddressSanitizer and UndefinedBehaviorSanitizer,
            in BUILD-asan (meson -Dsanitize=address-undefined), but for the
            'measures' suite (memory and file figures)
  tsan      the 'threads' suite under ThreadSanitizer, in BUILD-tsan
            (meson -Dsanitize=thread -Dgui=disabled)
  memcheck  the 'core' suite under valgrind memcheck, in BUILD (--setup valgrind)
  fuzz      the 'fuzz' suite, in BUILD-fuzz (clang, -Dfuzz=true), when
            tests/fuzz/meson.build exists

All stages run by default (CI). --quick runs only the normal stage; so do extra
meson test arguments (a test name, --suite ...). PLAB_TEST_STAGES=normal,tsan
picks stages by name and wins over both.

PLAB_TEST_HOG=1 runs the stages beside a CPU hog, a busy loop per core
(tests/stress-beside.sh), to show the suite holds on a busy machine: no test
may depend on how fast the machine is, only on what the code does.

Each GTest program speaks TAP, so the count is of test cases, not of programs. A
program that crashes or times out before reporting counts as one failure, and so
does a stage whose build fails.
"""
import json
import os
import re
import subprocess
import sys
import time

STAGES = ["normal", "asan", "tsan", "memcheck", "fuzz"]

build = os.path.abspath(sys.argv[1])
args = sys.argv[2:]
quick = "--quick" in args
extra = [a for a in args if a != "--quick"]
source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
jobs = ["--num-processes", "2"]

tap_ok = re.compile(r"^ok\b(.*)$")
tap_not_ok = re.compile(r"^not ok\b(.*)$")


def count(log):
    """Counts test cases in a meson JSON test log: (passed, failed, skipped)."""
    passed = failed = skipped = 0
    try:
        with open(log, encoding="utf-8") as f:
            entries = [json.loads(line) for line in f if line.strip()]
    except OSError:
        entries = []
    for e in entries:
        out = e.get("stdout") or ""
        p = f = s = 0
        for line in out.splitlines():
            m = tap_ok.match(line)
            if m:
                if "# SKIP" in m.group(1).upper():
                    s += 1
                else:
                    p += 1
                continue
            m = tap_not_ok.match(line)
            if m:
                if "# TODO" in m.group(1).upper():
                    s += 1
                else:
                    f += 1
        result = e.get("result", "")
        if p + f + s == 0:
            # Not a TAP program (or it died before saying anything): count the program.
            if result in ("OK", "EXPECTEDFAIL"):
                p = 1
            elif result == "SKIP":
                s = 1
            else:
                f = 1
        elif result not in ("OK", "EXPECTEDFAIL", "SKIP") and f == 0:
            # It reported passes, then crashed or timed out.
            f = 1
        passed += p
        failed += f
        skipped += s
    if not entries:
        failed = max(failed, 1)
    return passed, failed, skipped


def summary(p, f, s):
    line = f"{p} passed, {f} failed"
    if s:
        line += f", {s} skipped"
    return line


def configure(builddir, options, env=None):
    """meson setup (once) and ninja, quietly; the log is shown when either fails."""
    if not os.path.exists(os.path.join(builddir, "build.ninja")):
        r = subprocess.run(["meson", "setup", builddir, source] + options, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            print(r.stdout, file=sys.stderr)
            subprocess.run(["rm", "-rf", builddir])
            return False
    r = subprocess.run(["ninja", "-C", builddir], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        print(r.stdout, file=sys.stderr)
        return False
    return True


def meson_test(builddir, options, log_name="testlog.json"):
    log = os.path.join(builddir, "meson-logs", log_name)
    try:
        os.remove(log)
    except OSError:
        pass
    subprocess.call(["meson", "test", "-C", builddir, "--print-errorlogs"]
                    + jobs + options)
    return count(log)


def stage_normal():
    return None, meson_test(build, extra)


def stage_asan():
    d = build + "-asan"
    t0 = time.monotonic()
    if not configure(d, ["-Dsanitize=address-undefined"]):
        return time.monotonic() - t0, (0, 1, 0)
    built = time.monotonic() - t0
    # 'measures' asserts memory figures, which ASan's quarantine inflates on purpose.
    return built, meson_test(d, ["--timeout-multiplier", "3", "--no-suite", "measures"] + extra)


def stage_tsan():
    d = build + "-tsan"
    t0 = time.monotonic()
    if not configure(d, ["-Dsanitize=thread", "-Dgui=disabled"]):
        return time.monotonic() - t0, (0, 1, 0)
    built = time.monotonic() - t0
    return built, meson_test(d, ["--suite", "threads", "--timeout-multiplier", "3"] + extra)


def stage_memcheck():
    # Scripts are left out: the interpreter is not ours to memcheck.
    return None, meson_test(build, ["--setup", "valgrind", "--suite", "core",
                                    "--no-suite", "script"] + extra,
                            log_name="testlog-valgrind.json")


def stage_fuzz():
    if not os.path.exists(os.path.join(source, "tests", "fuzz", "meson.build")):
        print("stage fuzz: no tests/fuzz/meson.build, nothing to run")
        return None, (0, 0, 0)
    d = build + "-fuzz"
    env = dict(os.environ, CC="clang")
    t0 = time.monotonic()
    if not configure(d, ["-Dfuzz=true", "-Dgui=disabled"], env=env):
        return time.monotonic() - t0, (0, 1, 0)
    built = time.monotonic() - t0
    return built, meson_test(d, ["--suite", "fuzz"] + extra)


RUNNERS = {
    "normal": stage_normal,
    "asan": stage_asan,
    "tsan": stage_tsan,
    "memcheck": stage_memcheck,
    "fuzz": stage_fuzz,
}

# Beside a hog: the runner starts itself again under tests/stress-beside.sh,
# which stops the hog when the stages end or on Ctrl-C.
if os.environ.get("PLAB_TEST_HOG", "") not in ("", "0") and not os.environ.get("PLAB_UNDER_HOG"):
    hog = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stress-beside.sh")
    os.environ["PLAB_UNDER_HOG"] = "1"
    os.execv(hog, [hog, sys.executable] + sys.argv)

chosen = os.environ.get("PLAB_TEST_STAGES", "").strip()
if chosen:
    stages = [s.strip() for s in chosen.split(",") if s.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        print(f"run-tests: unknown stage {', '.join(unknown)} (stages: {', '.join(STAGES)})",
              file=sys.stderr)
        sys.exit(2)
elif quick or extra:
    stages = ["normal"]
else:
    stages = STAGES

total = [0, 0, 0]
lines = []
start = time.monotonic()
for name in stages:
    print(f"=== stage {name}", flush=True)
    t0 = time.monotonic()
    built, (p, f, s) = RUNNERS[name]()
    took = time.monotonic() - t0
    timing = f"{took:.0f} s"
    if built is not None:
        timing += f", of which {built:.0f} s building"
    line = f"stage {name}: {summary(p, f, s)} ({timing})"
    print(line, flush=True)
    lines.append(line)
    total[0] += p
    total[1] += f
    total[2] += s

if len(stages) > 1:
    print(f"=== {len(stages)} stages in {time.monotonic() - start:.0f} s")
    for line in lines:
        print(line)
print(summary(*total))
sys.exit(1 if total[1] else 0)
