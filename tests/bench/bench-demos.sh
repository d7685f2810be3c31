#!/bin/sh
# bench-demos.sh: the demos' speedup tables, measured through the plab binary.
#
# Runs the sweeps the demos are judged by (CPU-bound kde and list-append, and
# the I/O-bound demos on every backend, gil included) and prints each speedup
# table as plab prints it, then one summary line per question. A benchmark,
# not a test: it measures and prints, it asserts nothing.
#
#   tests/bench/bench-demos.sh [BUILD_DIR] [REPEATS]
#
# The runs go to a throwaway store in a temporary directory. The machine should
# be otherwise idle: another busy program shares the same cores.
set -eu

. "$(dirname "$0")/bench-lib.sh"

build=${1:-build}
repeats=${2:-3}
bench_setup bench-demos "$build"

echo "plab demo benchmark: $(bench_machine), repeats $repeats, load $(cut -d' ' -f1-3 /proc/loadavg)"

# sweep DEMO [--set K=V ...]: serial, threads, processes and gil on 1 and 2
# workers; prints plab's table and keeps its JSON for the summary.
sweep ()
{
  demo=$1
  shift
  echo
  echo "== $demo $*"
  "$plab" run "$demo" --sweep 1,2 -b serial,threads,processes,gil --repeat "$repeats" \
    --db "$db" --json "$@" >"$tmp/$demo.json"
  python3 - "$tmp/$demo.json" <<'EOF'
import json, sys

d = json.load(open(sys.argv[1]))
print("%-10s %7s %-22s %s" % ("backend", "workers", "median (min-max) s", "speedup (min-max)"))
for r in d["table"]:
    sp = r["speedup"]
    t = "failed" if r["median_s"] is None else "%.3f (%.3f-%.3f)" % (r["median_s"], r["min_s"],
                                                                     r["max_s"])
    print("%-10s %7d %-22s %s" % (r["backend"], r["workers"], t, "-" if sp is None else
                                  "%.2f (%.2f-%.2f)" % (sp, r["speedup_low"], r["speedup_high"])))
bad = [r for r in d["runs"] if r["status"] != "ok"]
print("runs: %d, not ok: %d" % (len(d["runs"]), len(bad)))
for r in bad:
    print("  run %d %s x%d: %s" % (r["id"], r["backend"], r["workers"], r["error"]))
EOF
}

# speedups DEMO BACKEND: 2 workers against 1 of the same backend, and against serial.
speedups ()
{
  python3 - "$tmp/$1.json" "$2" <<'EOF'
import json, sys

d = json.load(open(sys.argv[1]))
t = {r["workers"]: r["median_s"] for r in d["table"] if r["backend"] == sys.argv[2]}
s = [r["median_s"] for r in d["table"] if r["backend"] == "serial"][0]
print("%8.2f %10.2f" % (t[1] / t[2], s / t[2]))
EOF
}

# line DEMO BACKEND WANTED: one line of the summary.
line ()
{
  printf '%-16s %-10s %s   %s\n' "$1" "$2" "$(speedups "$1" "$2")" "$3"
}

sweep kde
sweep list-append
sweep sleepers
sweep chef
sweep pool-vs-process

echo
echo "== summary: 2 workers against 1 of the same backend, and against serial"
printf '%-16s %-10s %8s %10s   %s\n' demo backend "2 vs 1" "vs serial" "wanted"
line kde processes "2 vs 1 >= 1.8"
line list-append processes "2 vs 1 >= 1.8"
line list-append gil "2 vs 1 from 0.8 to 1.15"
for demo in sleepers chef pool-vs-process; do
  for b in threads processes gil; do
    line "$demo" "$b" "faster than serial (I/O-bound)"
  done
done
