#!/usr/bin/env bash
# shellcheck disable=SC2046
# cluster_cut_test.sh BUILD_DIR WORK_DIR
# One host of a 2-host cluster (scripts/cluster.sh) fails while a change batch is applied by
# 2 ranks, one on each host:
#   A. its link is cut (cluster.sh cut: the host and its processes live on, unreachable);
#   B. every process in its namespace is killed (a crashed host: rank, Open MPI daemon and
#      MariaDB server).
# Each time: mpirun exits non-zero within LIMIT (60) s of the fault with a message naming the
# host at fault (its address; shard s and rank r live on host s mod 2 and r mod 2), no txetl
# or orted is left on any host after LIMIT s, and once the host is back (heal / up) the rerun
# of the same command reaches the txgen truth exactly (counts reconcile, revenue_daily exact).
# Exit 77 (skipped) only when the machine cannot make network namespaces.
set -euo pipefail
build=$(cd "$1" && pwd) work=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
here=$src/tests/integration
check="/usr/bin/python3 $here/txcheck.py"
cluster_sh=$src/scripts/cluster.sh
LIMIT=${TXETL_CUT_LIMIT:-60}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export TXETL_SHARD_BUFFER_POOL=${TXETL_SHARD_BUFFER_POOL:-128M} TXETL_SHARD_LOG_FILE=${TXETL_SHARD_LOG_FILE:-128M}
t_start=$SECONDS
say() { echo "=== [$((SECONDS - t_start))s] $*"; }
die() { echo "FAIL: $*"; exit 1; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc | sed 's/^\./0./'; }

if (($(id -u) != 0)); then echo "SKIP: needs root for network namespaces"; exit 77; fi
if ! command -v ip >/dev/null || ! ip netns add txcprobe$$ 2>/dev/null; then
  echo "SKIP: 'ip netns add' does not work here (no iproute2 or no CAP_SYS_ADMIN)"; exit 77
fi
ip netns del txcprobe$$

rm -rf "$work" && mkdir -p "$work" && cd "$work"
cdir=$work/c cnf=$cdir/shards.cnf
job=""
cleanup() {
  [[ -n $job ]] && kill -9 "$job" 2>/dev/null
  bash "$cluster_sh" down "$cdir" --wipe >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "setup: 2 hosts, a ~155k-row base and two 60k change batches"
bash "$cluster_sh" up 2 "$cdir" --fresh | tail -1
read -r -a margs <"$cdir/mpirun.args"
# shellcheck disable=SC1091
source "$cdir/cluster.env"
h1=10.231.$NET.12 ns0=txc${NET}h0 ns1=txc${NET}h1
"$build/txgen" --customers 22000 --seed 51 --out big.csv --truth big.truth --shuffle >/dev/null
"$build/txgen" --changes 60000 --truth-in big.truth --out c1.csv --truth c1.truth --seed 52 >/dev/null
"$build/txgen" --changes 60000 --truth-in c1.truth --out c2.csv --truth c2.truth --seed 53 >/dev/null
load() { # log file: 2 ranks across the hosts, foreground
  timeout 300 mpirun "${margs[@]}" -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot \
    --rejects "$1.rejects.csv" "$2" >"$1" 2>&1
}
t0=$(now)
load base.log big.csv || { tail base.log; die "base load failed"; }
echo "base load: $(since "$t0")s"

q1() { mariadb --no-defaults --socket="$cdir/host1/shard1/sock" -uroot -N -B -e "$1" 2>/dev/null || true; }
# txetl and orted processes still alive in the hosts' namespaces
leftovers() {
  local ns p
  for ns in "$ns0" "$ns1"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do
      case $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null) in *txetl*|*orted*) echo "$ns:$p" ;; esac
    done
  done
}
# Sessions of txetl's user still open on shard $1's server (the dead run's, until the server
# notices them: TCP keepalive 10 s + 3 x 2 s, see cluster.sh).
sessions() {
  local sd=$cdir/host$(($1 % 2))/shard$1
  mariadb --no-defaults --socket="$sd/sock" -uroot -N -B -e \
    "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'txetl'" 2>/dev/null || echo 0
}

# cut_case NAME BATCH TRUTH FAULT HEAL
cut_case() {
  local name=$1 batch=$2 truth=$3 fault=$4 heal=$5 rc=0 t_fault el
  say "$name: apply $batch, fault: $fault"
  timeout 300 mpirun "${margs[@]}" -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot \
    --rejects "$name.rejects.csv" "$batch" >"$name.log" 2>&1 &
  job=$!
  # The apply phase: shard 1 (host 1) is being written (staged rows, LOAD DATA, DELETE ... JOIN).
  local deadline=$((SECONDS + 120)) seen=""
  while ((SECONDS < deadline)) && kill -0 "$job" 2>/dev/null; do
    seen=$(q1 "SELECT LEFT(info, 70) FROM information_schema.processlist WHERE user = 'txetl'
               AND (info LIKE 'LOAD DATA%' OR info LIKE 'DELETE%' OR info LIKE 'INSERT%')
               AND info NOT LIKE '%processlist%' LIMIT 1")
    [[ -n $seen ]] && break
    sleep 0.05
  done
  [[ -n $seen ]] || die "$name: the load ended before shard 1 was seen applying rows"
  $fault
  t_fault=$(now)
  echo "    fault while shard 1 ran: $seen"
  while kill -0 "$job" 2>/dev/null && (($(echo "$(since "$t_fault") < $LIMIT + 30" | bc))); do sleep 0.2; done
  if kill -0 "$job" 2>/dev/null; then die "$name: mpirun still running $LIMIT+30 s after the fault"; fi
  wait "$job" || rc=$?
  job=""
  el=$(since "$t_fault")
  grep -v -e ' INFO ' -e DEBUG "$name.log" | grep -v '^-*$' | head -8 | sed 's/^/    | /'
  echo "    mpirun exited $rc ${el}s after the fault"
  ((rc != 0)) || die "$name: the run succeeded although host 1 failed"
  (($(echo "$el <= $LIMIT" | bc))) || die "$name: took ${el}s to fail (limit ${LIMIT}s)"
  grep -q "$h1" "$name.log" || die "$name: the message does not name host 1 ($h1)"
  local left
  while left=$(leftovers); [[ -n $left ]] && (($(echo "$(since "$t_fault") < $LIMIT" | bc))); do sleep 0.5; done
  [[ -z $left ]] || die "$name: processes still alive ${LIMIT}s after the fault: $left"
  echo "    no txetl or orted left on any host $(since "$t_fault")s after the fault"
  $heal
  # The dead run's sessions (the run lock with them) go once the servers notice.
  local t_h; t_h=$(now)
  while (($(sessions 0) + $(sessions 1) > 0)) && (($(echo "$(since "$t_h") < 60" | bc))); do sleep 0.5; done
  (($(sessions 0) + $(sessions 1) == 0)) || die "$name: the failed run's sessions still open 60 s after recovery"
  echo "    failed run's sessions gone $(since "$t_h")s after recovery"
  t0=$(now)
  load "$name.rerun.log" "$batch" || { tail "$name.rerun.log"; die "$name: rerun failed"; }
  echo "    rerun: $(since "$t0")s; $(grep -m1 '^run ' "$name.rerun.log")"
  $check dump "$cnf" "$name.dump"
  $check truth "$name.dump" "$truth"
  $check runs "$cnf"
  $check revenue "$cnf"
}

cut_link() { bash "$cluster_sh" cut "$cdir" 1 >/dev/null; }
heal_link() { bash "$cluster_sh" heal "$cdir" 1 >/dev/null; }
kill_host() { ip netns pids "$ns1" | xargs -r kill -9; }
restart_host() { bash "$cluster_sh" up 2 "$cdir" | tail -1; }

cut_case A c1.csv c1.truth cut_link heal_link
cut_case B c2.csv c2.truth kill_host restart_host
say "all assertions held"
