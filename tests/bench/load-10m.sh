#!/bin/sh
# load-10m.sh: a run of ten million spans, recorded, exported and opened in
# the lab window.
#
#   tests/bench/load-10m.sh [BUILD_DIR] [N] [SCREENSHOT.png]
#
# Records `plab run squares -b serial --set n=N --set work=0` (N = 10000000 by
# default: one task span per item; the serial backend drains its buffer as it
# goes, so none is lost), then times `plab export` of the timeline chart, of
# the CSV and of the Chrome trace, and opens the run in the window (on a
# private Xvfb when there is no display) with tests/bench/bench-load-gui, which
# prints how long it loaded, how long the main loop stalled meanwhile, and the
# memory it took. Every command is printed with its wall time and peak memory
# (the maximum resident set size of that process). A benchmark, not a test: it
# measures and prints, it asserts nothing. It needs about 3 GB of memory and
# 3 GB of disk in $TMPDIR.
set -eu

. "$(dirname "$0")/bench-lib.sh"

build=${1:-build}
n=${2:-10000000}
screenshot=${3:-}
bench_setup load-10m "$build"

echo "plab load benchmark: $n spans; $(bench_machine), load $(cut -d' ' -f1-3 /proc/loadavg)"

# measure LABEL COMMAND...: runs COMMAND and prints its wall time and peak RSS.
measure ()
{
  python3 - "$@" <<'EOF'
import os, subprocess, sys, time

label, cmd = sys.argv[1], sys.argv[2:]
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(p.pid, 0)
elapsed = time.monotonic() - t0
err = p.stderr.read().decode(errors="replace").strip().splitlines()
code = os.waitstatus_to_exitcode(status)
print("%-24s %8.2f s  peak %6.0f MB  exit %d" % (label, elapsed, usage.ru_maxrss / 1024, code))
print("    $ " + " ".join(cmd))
if code != 0 and err:
    print("    " + err[-1])
EOF
}

size_mb ()
{
  python3 -c 'import os, sys; print("%.0f MB" % (os.path.getsize(sys.argv[1]) / 1e6))' "$1"
}

echo
measure "record (runner)" "$plab" run squares -b serial --set n="$n" --set work=0 --db "$db"
sqlite3 "$db" "SELECT '    run ' || id || ': ' || n_spans || ' spans, status ' || status FROM runs" 2>/dev/null || true
sqlite3 "$db" "SELECT '    events lost: ' || sum(dropped) FROM lanes" 2>/dev/null || true
echo "    store: $(size_mb "$db")"

echo
measure "export timeline PNG" "$plab" export last --db "$db" --chart timeline -o "$tmp/timeline.png"
measure "export CSV" "$plab" export last --db "$db" --format csv -o "$tmp/spans.csv"
echo "    $(size_mb "$tmp/spans.csv")"
rm -f "$tmp/spans.csv"
measure "export trace" "$plab" export last --db "$db" --format trace -o "$tmp/trace.json"
echo "    $(size_mb "$tmp/trace.json")"
rm -f "$tmp/trace.json"

echo
gui="$build/tests/bench/bench-load-gui"
if [ -x "$gui" ]; then
  echo "== the window (tests/bench/bench-load-gui)"
  if [ -n "$screenshot" ]; then
    PLAB_BUILD_DIR="$build" GSK_RENDERER=cairo "$gui" "$db" --screenshot "$screenshot"
  else
    PLAB_BUILD_DIR="$build" GSK_RENDERER=cairo "$gui" "$db"
  fi
else
  echo "(no $gui: built without the GUI)"
fi
