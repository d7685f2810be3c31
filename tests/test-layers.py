#!/usr/bin/env python3
"""The layer rules, checked on the real build: core/ compiles with no GLib, GTK or
cairo on its include path, and the chart renderers compile without GTK.

Takes each layer's own compile command from compile_commands.json, swaps the
source for a probe that includes a forbidden header, and expects the compiler
to refuse it. Speaks TAP.
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

build = os.environ.get("PLAB_BUILD_DIR") or sys.argv[1]
source = os.environ.get("PLAB_SOURCE_DIR") or sys.argv[2]
with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as f:
    commands = json.load(f)


def command_for(path_part):
    for c in commands:
        if path_part in c["file"]:
            return c
    raise SystemExit(f"Bail out! no compile command for {path_part}")


def compiles(entry, header):
    args = shlex.split(entry["command"])
    with tempfile.TemporaryDirectory() as d:
        probe = os.path.join(d, "probe.c")
        with open(probe, "w", encoding="utf-8") as f:
            f.write(f"#include <{header}>\nint probe_layer (void);\nint probe_layer (void) {{ return 0; }}\n")
        out = os.path.join(d, "probe.o")
        cmd = []
        skip = False
        for a in args:
            if skip:
                skip = False
                continue
            if a in ("-o", "-MF", "-MQ"):
                skip = True
                continue
            if a == "-c" or a == entry["file"] or a.endswith(os.path.basename(entry["file"])):
                continue
            cmd.append(a)
        cmd += ["-c", probe, "-o", out]
        r = subprocess.run(cmd, cwd=entry["directory"], capture_output=True)
        return r.returncode == 0


checks = [
    ("core/plab-pool.c", "glib.h", False, "core cannot include GLib"),
    ("core/plab-pool.c", "gtk/gtk.h", False, "core cannot include GTK"),
    ("core/plab-pool.c", "cairo.h", False, "core cannot include cairo"),
    ("core/plab-pool.c", "sqlite3.h", True, "core can include SQLite"),
    ("demos/plab-demo-squares.c", "glib.h", False, "demos cannot include GLib"),
    ("ui/plab-timeline-chart.c", "gtk/gtk.h", False, "chart renderers cannot include GTK"),
    ("ui/plab-timeline-chart.c", "cairo.h", True, "chart renderers can include cairo"),
]
print(f"1..{len(checks) + 1}")
n = 0
failed = False
for path, header, allowed, text in checks:
    n += 1
    ok = compiles(command_for(path), header) == allowed
    failed |= not ok
    print(f"{'ok' if ok else 'not ok'} {n} {text}")

# No source of a lower layer names a higher layer's header.
n += 1
bad = []
for layer, forbidden in (("core", r"#include\s*[<\"](glib|gio|gtk|cairo|adwaita)"),
                         ("demos", r"#include\s*[<\"](glib|gio|gtk|cairo|adwaita)")):
    for name in os.listdir(os.path.join(source, layer)):
        if name.endswith((".c", ".h")):
            with open(os.path.join(source, layer, name), encoding="utf-8") as f:
                if re.search(forbidden, f.read()):
                    bad.append(f"{layer}/{name}")
print(f"{'ok' if not bad else 'not ok'} {n} core and demos sources include no GLib, GTK or cairo"
      + (f" # {', '.join(bad)}" if bad else ""))
failed |= bool(bad)
sys.exit(1 if failed else 0)
