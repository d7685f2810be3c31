# bench-lib.sh: what the benchmark scripts of tests/bench/ share; sourced,
# not run.

# bench_setup NAME BUILD_DIR: sets plab to BUILD_DIR's plab (leaving with
# status 2 when it was not built), tmp to a throwaway folder removed at exit,
# and db to a run store in it.
bench_setup ()
{
  plab="$2/app/plab"
  [ -x "$plab" ] || { echo "$1: no $plab; build first (ninja -C $2)" >&2; exit 2; }
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/plab-$1-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  db="$tmp/runs.db"
}

# bench_machine: the machine the figures were measured on, for the first line.
bench_machine ()
{
  echo "$(nproc) CPUs, $(uname -sr)"
}
