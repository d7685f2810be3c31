#!/usr/bin/env python3
"""The layer rules, checked on the real build: core/ compiles with no GLib, GTK or
cairo on its include path, the chart renderers (ui/charts/) compile without GTK
or GLib, ui/ sees no demo header, and the shipped program links nothing built
from tests/.

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
    ("core/plab-pool.c", "plab-demo.h", False, "core cannot include a demo header"),
    ("demos/plab-demo-squares.c", "glib.h", False, "demos cannot include GLib"),
    ("ui/charts/plab-timeline-draw.c", "gtk/gtk.h", False, "chart renderers cannot include GTK"),
    ("ui/charts/plab-timeline-draw.c", "cairo.h", True, "chart renderers can include cairo"),
    ("ui/charts/plab-timeline-draw.c", "plab-demo.h", False, "chart renderers cannot include a demo header"),
    ("ui/widgets/plab-timeline-view.c", "plab-demo.h", False, "widgets cannot include a demo header"),
]


def sources(folder):
    """The C sources and headers of a folder of the tree, with their text."""
    root = os.path.join(source, folder)
    for name in sorted(os.listdir(root)):
        if name.endswith((".c", ".h")):
            with open(os.path.join(root, name), encoding="utf-8") as f:
                yield f"{folder}/{name}", f.read()


# What each folder's sources may not name, even where the compiler could find
# it (cairo's own flags put GLib on the charts' include path, so for GLib in
# the charts the source is the check): lower layers never include a higher
# one's header.
TOOLKITS = r"#include\s*[<\"](glib|gio|gtk|gdk|cairo|adwaita)"
DEMOS = r"#include\s*[<\"]plab-demo"
source_rules = [
    ("core", TOOLKITS, "core sources include no GLib, GTK or cairo"),
    ("demos", TOOLKITS, "demos sources include no GLib, GTK or cairo"),
    ("ui/charts", r"#include\s*[<\"](glib|gio|gtk|gdk|adwaita)", "chart sources include no GLib or GTK"),
    ("core", DEMOS, "core sources include no demo header"),
    ("ui/charts", DEMOS, "chart sources include no demo header"),
    ("ui/widgets", DEMOS, "widget sources include no demo header"),
]


def links_from_tests():
    """The inputs of the plab executable's link step that were built from tests/."""
    with open(os.path.join(build, "build.ninja"), encoding="utf-8") as f:
        text = f.read().replace("$\n", " ")
    for line in text.splitlines():
        m = re.match(r"build app/plab: \S+ (.*)", line)
        if m:
            inputs = m.group(1).split("||")[0].replace("|", " ").split()
            return [i for i in inputs if i.startswith("tests/")]
    raise SystemExit("Bail out! no link step for app/plab in build.ninja")


print(f"1..{len(checks) + len(source_rules) + 1}")
n = 0
failed = False
for path, header, allowed, text in checks:
    n += 1
    ok = compiles(command_for(path), header) == allowed
    failed |= not ok
    print(f"{'ok' if ok else 'not ok'} {n} {text}")

for folder, forbidden, text in source_rules:
    n += 1
    bad = [name for name, body in sources(folder) if re.search(forbidden, body)]
    failed |= bool(bad)
    print(f"{'ok' if not bad else 'not ok'} {n} {text}" + (f" # {', '.join(bad)}" if bad else ""))

n += 1
bad = links_from_tests()
failed |= bool(bad)
print(f"{'ok' if not bad else 'not ok'} {n} the plab program links nothing built from tests/"
      + (f" # {', '.join(bad)}" if bad else ""))
sys.exit(1 if failed else 0)
