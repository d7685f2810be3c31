#!/usr/bin/env python3
"""Every relative link and image in README.md and docs/*.md names a file or
folder in the source tree (a #fragment is not checked). TAP output, one test
per Markdown file."""
import glob
import os
import re
import sys

src = os.environ.get("PLAB_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
pages = [os.path.join(src, "README.md")] + sorted(glob.glob(os.path.join(src, "docs", "*.md")))

# [text](target) and ![alt](target), with an optional "title"; code spans and
# fenced blocks are left out first, so that C or shell in them is not read as links.
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
CODE = re.compile(r"`[^`\n]*`")


def targets(text):
    text = CODE.sub("", FENCE.sub("", text))
    for m in LINK.finditer(text):
        yield m.group(1)


print(f"1..{len(pages)}")
failed = 0
for n, page in enumerate(pages, 1):
    rel = os.path.relpath(page, src)
    if not os.path.isfile(page):
        failed += 1
        print(f"not ok {n} {rel} is missing")
        continue
    broken = []
    checked = 0
    with open(page, encoding="utf-8") as f:
        text = f.read()
    for target in targets(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # a URL (http:, mailto:) or a fragment of this page
        path = target.split("#", 1)[0].split("?", 1)[0]
        full = os.path.normpath(os.path.join(os.path.dirname(page), path))
        checked += 1
        if not full.startswith(os.path.normpath(src) + os.sep) or not os.path.exists(full):
            broken.append(target)
    if broken:
        failed += 1
        print(f"not ok {n} {rel}")
        for target in broken:
            print(f"# no such file in the tree: {target}")
    else:
        print(f"ok {n} {rel}: {checked} relative links resolve")
sys.exit(1 if failed else 0)
