"""What the Python tests of plab share: skipping when the program is not
built, reading a store's health with SQLite itself rather than plab, and
reporting a case in TAP."""
import os
import shutil
import sqlite3
import sys
import tempfile


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


class Skip(Exception):
    """Raised by a test that cannot run here: reported as a TAP skip, with its
    reason, not as a pass."""


def run_db_tests(tests, prefix):
    """Runs each of @tests (functions of a store path) on a fresh store in a
    folder of its own, removed after, and reports each in TAP: a failure is
    one "not ok" line and its message as comments, and the next goes on.
    Returns the exit status: 1 when any failed."""
    print(f"1..{len(tests)}")
    failed = 0
    for i, fn in enumerate(tests, 1):
        tmp = tempfile.mkdtemp(prefix=prefix)
        try:
            fn(os.path.join(tmp, "runs.db"))
            print(f"ok {i} {fn.__name__}")
        except Skip as e:
            print(f"ok {i} {fn.__name__} # SKIP {e}")
        except Exception as e:  # one line of TAP per failure, then go on
            failed += 1
            print(f"not ok {i} {fn.__name__}")
            for line in str(e).splitlines() or [repr(e)]:
                print(f"# {line}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        sys.stdout.flush()
    return 1 if failed else 0
