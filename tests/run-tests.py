#!/usr/bin/env python3
"""Run the whole test suite with meson and end with one line: N passed, M failed[, K skipped].

Each GTest program speaks TAP, so the count is of test cases, not of programs. A program
that crashes or times out before reporting counts as one failure.
"""
import json
import os
import re
import subprocess
import sys

build = sys.argv[1]
extra = sys.argv[2:]

cmd = ["meson", "test", "-C", build, "--print-errorlogs", "--num-processes", "2"] + extra
rc = subprocess.call(cmd)

log = os.path.join(build, "meson-logs", "testlog.json")
passed = failed = skipped = 0
try:
    with open(log, encoding="utf-8") as f:
        entries = [json.loads(line) for line in f if line.strip()]
except OSError:
    entries = []

tap_ok = re.compile(r"^ok\b(.*)$")
tap_not_ok = re.compile(r"^not ok\b(.*)$")
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

line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(rc if rc != 0 else (1 if failed else 0))
