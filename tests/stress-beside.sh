#!/bin/sh
# stress-beside.sh: runs a command beside a CPU hog, one busy loop per core,
# to show that the tests hold on a busy machine (a teacher's laptop with a
# browser and a video call, a CI runner shared with other jobs).
#
#   tests/stress-beside.sh meson test -C build --suite core --suite gui
#   PLAB_HOG_PER_CORE=2 tests/stress-beside.sh ./plab test
#
# The hogs are killed when the command ends, and on Ctrl-C or a kill of this
# script, so no busy loop is left behind. The exit status is the command's.
set -u

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

per_core=${PLAB_HOG_PER_CORE:-1}
n=$(( $(nproc) * per_core ))
hogs=""

stop_hogs () {
  for pid in $hogs; do
    kill "$pid" 2>/dev/null
  done
  for pid in $hogs; do
    wait "$pid" 2>/dev/null
  done
  hogs=""
}

# On Ctrl-C or a kill of this script, the command is sent the same signal
# and the hogs are stopped. The command runs in the background and the script
# waits for it with wait, which a trapped signal interrupts at once; a
# foreground command would delay the trap until it ended. A script starts its
# background commands with SIGINT ignored, so env gives the command the
# default action back, and Ctrl-C still stops it.
cmd=""
on_signal () {
  [ -n "$cmd" ] && kill "-$1" "$cmd" 2>/dev/null
  stop_hogs
  [ -n "$cmd" ] && wait "$cmd" 2>/dev/null
  exit "$2"
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP
trap 'stop_hogs' EXIT

i=0
while [ "$i" -lt "$n" ]; do
  # A separate shell per hog, at nice 0 like the tests, so they really
  # compete for the cores. Each spins while this script lives, so even a
  # SIGKILL of the script, which no trap sees, leaves no hog behind.
  sh -c "while kill -0 $$ 2>/dev/null; do :; done" &
  hogs="$hogs $!"
  i=$((i + 1))
done
echo "stress-beside: $n busy loops beside: $*" >&2

env --default-signal=INT,QUIT "$@" <&0 &
cmd=$!
wait "$cmd"
rc=$?
cmd=""
stop_hogs
exit "$rc"
