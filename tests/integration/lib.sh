# lib.sh - sourced by the test scripts (tests/integration, tests/export, tests/report): the
# setup they share. Sets $here (this folder), $src (the source tree), $check, $ana and $serve
# (the Python checkers), $cases, the MPI environment and $mpirun; defines step, work_in,
# own_cluster, stop_own_cluster (with bg_pids and descendants), say, die, need_netns,
# need_file, fail and finish (fail counts in $fails, finish reports them).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
check="/usr/bin/python3 $here/txcheck.py"
ana="/usr/bin/python3 $here/analytics_check.py"
serve="/usr/bin/python3 $here/serve_check.py"
cases=$src/tests/data/cdc_cases # the hand-written CDC cases (README there)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpirun="mpiexec --oversubscribe"
fails=0

step() { echo; say "$*"; } # a blank line, then say's (below)

# work_in DIR: DIR made anew, empty, and the current directory.
work_in() { rm -rf "$1" && mkdir -p "$1" && cd "$1"; }

# own_cluster WORK: WORK made anew as the current directory, and the names for 2 shards of the
# test's own there (the caller starts them with "$shards_sh" up "$dir" and stops them on exit):
# $shards_sh, $dir (WORK/s: short, unix socket paths are limited to 107 bytes) and $cnf.
own_cluster() {
  work_in "$1"
  shards_sh="$src/scripts/shards.sh"
  dir=$1/s
  cnf=$dir/shards.cnf
}

# Processes a test starts in the background go on bg_pids; stop_own_cluster (its EXIT trap)
# kills them with every process below them, then stops and wipes own_cluster's shards.
bg_pids=()
descendants() { # every process below pid $1
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done
}
stop_own_cluster() {
  local p
  # shellcheck disable=SC2046  # the pid list is split into words on purpose
  for p in "${bg_pids[@]}"; do kill -9 -- $(descendants "$p") "$p" 2>/dev/null || true; done
  bash "$shards_sh" down "$dir" --wipe >/dev/null 2>&1 || true
}

# say / die: a line with the seconds since the script started; die ends it (status 1).
t_start=$SECONDS
say() { echo "=== [$((SECONDS - t_start))s] $*"; }
die() { echo "FAIL: $*"; exit 1; }

# need_netns WHY: exit 77 (skipped, saying WHY) unless root, and 'ip netns add' works.
need_netns() {
  if (($(id -u) != 0)); then echo "SKIP: $1"; exit 77; fi
  if ! command -v ip >/dev/null || ! ip netns add txcprobe$$ 2>/dev/null; then
    echo "SKIP: 'ip netns add' does not work here (no iproute2 or no CAP_SYS_ADMIN)"; exit 77
  fi
  ip netns del txcprobe$$
}

# need_file FILE TEST: exit 77 (skipped) when FILE (data from shared/) is not readable.
need_file() {
  if [[ ! -r $1 ]]; then
    echo "$2: $1 not found (shared/ beside the clone); skipped"
    exit 77
  fi
}

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# finish NAME: exit 1 when a check failed, else say NAME is ok.
finish() {
  if ((fails)); then
    echo "$1: $fails check(s) failed" >&2
    exit 1
  fi
  echo "$1: ok"
}
