"""What the Python tests of plab share: skipping when the program is not
built, reading a store's health with SQLite itself rather than plab, and
reporting a case in TAP."""
import os
import sqlite3
import sys


def have_plab(plab):
    """Whether @plab can be run; when not, prints the TAP plan that skips the
    whole file, saying why."""
    if os.access(plab, os.X_OK):
        return True
    print("1..0 # SKIP no plab program at " + plab)
    return False


def integrity(path):
    """What SQLite's PRAGMA integrity_check says of the store at @path: "ok"
    when it is sound."""
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def tap_result(n, name, problems, note=""):
    """Prints TAP line @n for the case @name: "ok" (with @note after it) when
    it found no @problems, else "not ok" and each problem as a comment.
    Returns whether it passed."""
    if problems:
        print(f"not ok {n} - {name}")
        for p in problems:
            print(f"# {p}")
    else:
        print(f"ok {n} - {name}{note}")
    sys.stdout.flush()
    return not problems
