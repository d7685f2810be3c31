#!/usr/bin/env python3
"""Compiles every example program in docs/examples/ against the uninstalled
build with pkg-config, as docs/library.md tells a student to, and runs it.
TAP output."""
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

src = os.environ.get("PLAB_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
build = os.environ.get("PLAB_BUILD_DIR", os.path.join(src, "build"))
examples = sorted(glob.glob(os.path.join(src, "docs", "examples", "*.c")))

# What each program must print (docs/library.md's promises about it).
expect = {
    "pool-map.c": [r"run \d+: 99999\^2 = 9999800001 \(success\)"],
    "futures.c": [r"5 squared is 25\n12 squared is 144\n30 squared is 900",
                  r"item 0: 0\nitem 1: 1\nitem 2: 4\nitem 3: 9\nitem 4: 16",
                  r"read (\d+) items of an endless input",
                  r"map_async done, successful: yes\nsum of the squares of 0\.\.9 = 285"],
    "queue.c": [r"sum of 1\.\.1000 = 500500\nproducer exited with code 0"],
    "manager-pool.c": [r"red: 2\ngreen: 3\nblue: 1"],
}

# A program the promises name but the folder lacks is a failure, not a skip.
missing = sorted(set(expect) - {os.path.basename(p) for p in examples})
if missing:
    print("1..1")
    print(f"not ok 1 docs/examples/ lacks {', '.join(missing)}")
    sys.exit(1)
print(f"1..{len(examples)}")
failed = 0
for n, path in enumerate(examples, 1):
    name = os.path.basename(path)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(build, "meson-uninstalled"),
                   XDG_DATA_HOME=tmp)
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "plab"], env=env,
                               capture_output=True, text=True)
        exe = os.path.join(tmp, name[:-2])
        # PLAB_EXAMPLE_CFLAGS: a sanitizer build (meson -Dsanitize=...) sets its flags here, so
        # the example is instrumented like the library it links with.
        cc = subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", "-o", exe, path]
                            + shlex.split(os.environ.get("PLAB_EXAMPLE_CFLAGS", ""))
                            + flags.stdout.split()
                            + [f"-Wl,-rpath,{os.path.join(build, 'core')}"],
                            env=env, capture_output=True, text=True)
        problem = None
        if flags.returncode != 0:
            problem = f"pkg-config: {flags.stderr.strip()}"
        elif cc.returncode != 0:
            problem = f"does not compile:\n{cc.stderr}"
        else:
            run = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=60)
            if run.returncode != 0:
                problem = f"exit {run.returncode}: {run.stderr}"
            for pattern in expect.get(name, []):
                found = re.search(pattern, run.stdout)
                if not found:
                    problem = f"output lacks /{pattern}/:\n{run.stdout}"
                elif found.groups() and int(found.group(1)) > 5 + 8 + 1:
                    problem = f"imap read {found.group(1)} items ahead of a window of 8"
        if problem:
            failed += 1
            print(f"not ok {n} {name}")
            for line in problem.splitlines():
                print(f"# {line}")
        else:
            print(f"ok {n} {name} compiles and runs")
sys.exit(1 if failed else 0)
