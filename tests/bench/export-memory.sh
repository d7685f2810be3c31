#!/bin/sh
# Peak memory of recording and exporting runs of N spans (default: a
# million; give several, e.g. 1000000 10000000). Measures and prints; asserts
# nothing.
#
#   tests/bench/export-memory.sh [BUILD_DIR] [N_SPANS...]
#
# For each N:
#   record   `plab run squares -b threads -j 2 --set chunk_size=1 --set work=0
#            --set n=N` (a task span per item): the runner's peak RSS, next to
#            the same run with the automatic chunk size (a few thousand
#            spans); the difference over N is what the runner holds per span
#            (its held-back events, and the lanes' rings once they wrap)
#   export   `plab export last --format csv|trace`: peak RSS, time and size,
#            next to the raw equivalent measured in the same run, the sqlite3
#            shell writing the run's spans as CSV (SQLite streaming rows)
#   same     for N <= PLAB_BENCH_COMPARE_MAX (default 1000000), both files
#            compared byte for byte with tests/util/plab_export_reference.py,
#            an independent reader of the store; with PLAB_REF=PROGRAM, also
#            with that plab program's exports (an older build, say)
#
# Each figure is the maximum resident set size of that one process, from
# /usr/bin/time (Debian package `time`). It needs about 1.5 GB of disk in
# $TMPDIR per ten million spans.
set -eu
build=${1:-build}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- 1000000
plab="$build/app/plab"
here=$(dirname "$0")
compare_max=${PLAB_BENCH_COMPARE_MAX:-1000000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

if [ ! -x /usr/bin/time ]; then
  echo "export-memory.sh: needs /usr/bin/time (Debian package time)" >&2
  exit 1
fi

# peak COMMAND...: runs COMMAND, output to /dev/null, and sets $kb (peak RSS)
# and $seconds.
peak ()
{
  /usr/bin/time -f "%M %e" -o "$dir/time" "$@" >/dev/null 2>"$dir/err" || {
    echo "failed: $*" >&2
    cat "$dir/err" >&2
    exit 1
  }
  read -r kb seconds <"$dir/time"
}

mb ()
{
  echo "$1" | awk '{ printf "%.1f", $1 / 1024 }'
}

file_mb ()
{
  stat -c %s "$1" | awk '{ printf "%.1f", $1 / 1048576 }'
}

echo "plab memory benchmark: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "$@"; do
  db="$dir/runs-$n.db"
  echo
  peak "$plab" run squares -b threads -j 2 --set n="$n" --set chunk_size=0 --set work=0 --db "$dir/base.db"
  base_kb=$kb
  peak "$plab" run squares -b threads -j 2 --set n="$n" --set chunk_size=1 --set work=0 --db "$db"
  run=$(sqlite3 "$db" "SELECT max(id) FROM runs")
  spans=$(sqlite3 "$db" "SELECT n_spans FROM runs WHERE id = $run")
  printf 'record %10s spans  runner peak RSS %7s MB  %6.2f s  (automatic chunk: %s MB)  %s bytes/span\n' \
    "$spans" "$(mb "$kb")" "$seconds" "$(mb "$base_kb")" \
    "$(echo "$kb $base_kb $spans" | awk '{ printf "%.1f", ($1 - $2) * 1024 / $3 }')"
  rm -f "$dir/base.db"*

  peak sqlite3 -csv "$db" "SELECT * FROM spans WHERE run_id = $run ORDER BY lane, start_ns, seq"
  raw_kb=$kb
  raw_seconds=$seconds
  for format in csv trace; do
    out="$dir/out.$format"
    peak "$plab" export "$run" --format "$format" --db "$db" -o "$out"
    printf 'export %-5s %9s spans  peak RSS %7s MB  %6.2f s  %8s MB written  (sqlite3 -csv: %s MB, %.2f s; ratio %.2f)\n' \
      "$format" "$spans" "$(mb "$kb")" "$seconds" "$(file_mb "$out")" "$(mb "$raw_kb")" \
      "$raw_seconds" "$(echo "$kb $raw_kb" | awk '{ print $1 / $2 }')"
    if [ "$n" -le "$compare_max" ]; then
      python3 "$here/../util/plab_export_reference.py" "$db" "$run" "$format" "$dir/ref"
      if cmp -s "$out" "$dir/ref"; then
        echo "    same bytes as the reference reader"
      else
        echo "    DIFFERS from the reference reader: $(cmp "$out" "$dir/ref" 2>&1 || true)"
      fi
    fi
    if [ -n "${PLAB_REF:-}" ]; then
      "$PLAB_REF" export "$run" --format "$format" --db "$db" -o "$dir/ref" 2>/dev/null
      if cmp -s "$out" "$dir/ref"; then
        echo "    same bytes as $PLAB_REF"
      else
        echo "    DIFFERS from $PLAB_REF: $(cmp "$out" "$dir/ref" 2>&1 || true)"
      fi
    fi
    rm -f "$out" "$dir/ref"
  done
  rm -f "$db"*
done
