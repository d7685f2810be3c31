#!/usr/bin/env python3
"""The C sources are formatted by the tree's .clang-format: clang-format, run
on every .c and .h file below app, core, demos, ui, tests and docs/examples,
would change nothing. TAP output, one test per folder; skipped when
clang-format is not installed (`./plab test` installs it)."""
import os
import shutil
import subprocess
import sys

src = os.environ.get("PLAB_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
folders = ["app", "core", "demos", "ui", "tests", os.path.join("docs", "examples")]
tool = shutil.which("clang-format")

print(f"1..{len(folders)}")
failed = 0
for n, folder in enumerate(folders, 1):
    if tool is None:
        print(f"ok {n} {folder} # SKIP clang-format is not installed")
        continue
    files = []
    for root, dirs, names in os.walk(os.path.join(src, folder)):
        dirs[:] = sorted(d for d in dirs if not d.startswith("build"))
        files += [os.path.join(root, f) for f in sorted(names) if f.endswith((".c", ".h"))]
    out = subprocess.run([tool, "--dry-run", "--Werror", *files], cwd=src,
                         capture_output=True, text=True)
    unformatted = sorted({line.split(":", 1)[0] for line in out.stderr.splitlines()
                          if ": error:" in line})
    if out.returncode == 0:
        print(f"ok {n} {folder}: {len(files)} files formatted")
    else:
        failed += 1
        print(f"not ok {n} {folder}: run clang-format -i on "
              + " ".join(os.path.relpath(f, src) for f in unformatted))
sys.exit(1 if failed else 0)
