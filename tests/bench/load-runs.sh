#!/bin/sh
# load-runs.sh: the runner and the run store under many runs and many workers.
#
#   tests/bench/load-runs.sh [BUILD_DIR]
#
# Runs tests/app/test-load.py --full: 1,000 runs in one runner (open files and
# memory sampled), 1,000 separate `plab run` processes into one store, and
# 64 workers on every parallel backend, and prints its figures. The same
# script with 300 separate runs is part of `./plab test`.
set -eu

build=${1:-build}
[ -x "$build/app/plab" ] || { echo "load-runs: no $build/app/plab; build first" >&2; exit 2; }
echo "plab load benchmark: $(nproc) CPUs, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
PLAB_BUILD_DIR=$(cd "$build" && pwd) python3 "$(dirname "$0")/../app/test-load.py" --full
