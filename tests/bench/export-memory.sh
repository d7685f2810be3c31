#!/bin/sh
# Peak RSS of `plab export --format csv|trace` on a run of about a million
# spans: the exports stream from the store, so the figure must not grow with
# the number of spans. Measures and prints; asserts nothing.
#
#   tests/bench/export-memory.sh [BUILD_DIR] [N_SPANS]
set -eu
build=${1:-build}
n=${2:-1000000}
plab="$build/app/plab"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$plab" run squares -b threads -j 2 --set n="$n" --set chunk_size=1 --set work=0 \
  --db "$dir/runs.db" >/dev/null
spans=$(sqlite3 "$dir/runs.db" "SELECT n_spans FROM runs ORDER BY id DESC LIMIT 1")
for format in csv trace; do
  /usr/bin/time -f "%M %e" -o "$dir/time" \
    "$plab" export last --format "$format" --db "$dir/runs.db" -o "$dir/out" 2>/dev/null
  read -r kb seconds < "$dir/time"
  printf 'export %-5s %9s spans  peak RSS %6.1f MB  %5.2f s  %6.1f MB written\n' "$format" \
    "$spans" "$(echo "$kb / 1024" | bc -l)" "$seconds" \
    "$(echo "$(stat -c %s "$dir/out") / 1048576" | bc -l)"
done
