#!/usr/bin/env python3
"""Turns an SQL file into a C header holding it as one string constant."""
import sys

src, dst, name = sys.argv[1], sys.argv[2], sys.argv[3]
with open(src, encoding="utf-8") as f:
    text = f.read()
lines = []
for line in text.splitlines():
    esc = line.replace("\\", "\\\\").replace('"', '\\"')
    lines.append(f'  "{esc}\\n"')
with open(dst, "w", encoding="utf-8") as f:
    f.write(f"/* Generated from {src.split('/')[-1]}; do not edit. */\n#pragma once\n\n")
    f.write(f"static const char {name}[] =\n" + "\n".join(lines) + ";\n")
