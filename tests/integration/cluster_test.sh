#!/usr/bin/env bash
# shellcheck disable=SC2046  # mpirun.args is split into words on purpose
# cluster_test.sh BUILD_DIR WORK_DIR [NODES]
# txetl across simulated hosts (scripts/cluster.sh: NODES network namespaces, default 3, one
# MariaDB shard on each, reached over TCP; ranks launched on the hosts by mpirun's launch agent,
# talking TCP) against the same work on one host (scripts/shards.sh: NODES shards on unix
# sockets, ranks over shared memory). For 1, 2 and 3 ranks, a backfill (bad, duplicate and
# tricky records), two change batches (updates, moves across shards on different hosts,
# deletes) and a snapshot must give:
#   - the txgen truth in the shards, reconciled counts, revenue_daily consistent;
#   - every shard table equal row for row to the single-host run with as many ranks
#     (scripts/compare-builds.sh's dump), rejects equal byte for byte, snapshots equal
#     (snapcmp --rel 0: every value equal; only run_id, created_utc, ranks, grad_norm not compared);
#   - `--verbose`: with ranks on several hosts txetl did not apply its single-node messaging
#     default (no "all ranks on one node" line), while one host does (the line is there).
# Exit 77 (skipped) only when the machine cannot make network namespaces.
set -euo pipefail
build=$(cd "$1" && pwd) work=$2 nodes=${3:-3}
source "$(dirname "$0")/lib.sh"
cluster_sh=$src/scripts/cluster.sh shards_sh=$src/scripts/shards.sh
export TXETL_SHARD_BUFFER_POOL=${TXETL_SHARD_BUFFER_POOL:-128M} TXETL_SHARD_LOG_FILE=${TXETL_SHARD_LOG_FILE:-128M}

# ---- can this machine host the cluster? ----------------------------------------------------
need_netns "needs root for network namespaces"

rm -rf "$work" && mkdir -p "$work" && cd "$work"
cdir=$work/c ldir=$work/l
cleanup() {
  bash "$cluster_sh" down "$cdir" --wipe >/dev/null 2>&1 || true
  bash "$shards_sh" down "$ldir" --wipe >/dev/null 2>&1 || true
}
trap cleanup EXIT

# compare-builds.sh's dump of every shard table (run ids and times left out), reused as is.
{ sed -n "/^dump() {/,/^PY$/p" "$src/scripts/compare-builds.sh"; echo "}"; } >dump.fn
grep -q "<<'PY'" dump.fn || die "could not read dump() from scripts/compare-builds.sh"
# shellcheck disable=SC1091
source ./dump.fn   # dump OUT, reading the shard file named by $cnf

say "inputs: base (bad, duplicate, tricky records) + two chained change batches"
"$build/txgen" --customers 2500 --seed 11 --bad-rate 0.004 --dup-rate 0.05 --tricky --shuffle \
  --out base.csv --truth base.truth --expect-rejects base.rej --fx-out fx.csv >/dev/null
"$build/txgen" --changes 2500 --truth-in base.truth --base base.csv --seed 12 \
  --out b1.csv --truth b1.truth >/dev/null
"$build/txgen" --changes 2500 --truth-in b1.truth --base base.csv --seed 13 \
  --out b2.csv --truth b2.truth >/dev/null
cat b1.csv.counts b2.csv.counts 2>/dev/null | tr '\n' ' '; echo

say "up: $nodes hosts (cluster.sh) and $nodes local shards (shards.sh)"
bash "$cluster_sh" up "$nodes" "$cdir" --fresh | tail -1
bash "$shards_sh" up "$nodes" "$ldir" --fresh | tail -1
grep -q '^socket' "$cdir/shards.cnf" && die "the cluster's shard file uses a unix socket"
read -r -a margs <"$cdir/mpirun.args"

# run WHERE NP LOG CMD...: WHERE = cluster (mpirun.args) or local (plain mpiexec)
run() {
  local where=$1 np=$2 log=$3; shift 3
  local t0=$SECONDS rc=0
  if [[ $where == cluster ]]; then
    timeout 300 mpirun "${margs[@]}" -n "$np" "$@" >"$log" 2>&1 || rc=$?
  else
    timeout 300 mpiexec --oversubscribe -n "$np" "$@" >"$log" 2>&1 || rc=$?
  fi
  ((rc == 0)) || { tail -20 "$log"; die "$where -n $np: $* exited $rc (log $log)"; }
  echo "$((SECONDS - t0))" >>"times.$where"
}

declare -A wall
for np in 1 2 3; do
  for where in local cluster; do
    if [[ $where == cluster ]]; then cnf=$cdir/shards.cnf; else cnf=$ldir/shards.cnf; fi
    $check wipe "$cnf"
    rm -rf "snap-$where-$np"
    t0=$SECONDS
    for step in base b1 b2; do
      v=(); [[ $step == base ]] && v=(--verbose)
      run $where "$np" "log-$where-$np-$step.txt" "$build/txetl" load --shards "$cnf" "${v[@]}" \
        --no-snapshot --rejects "rej-$where-$np-$step.csv" "$step.csv"
    done
    run $where "$np" "log-$where-$np-snap.txt" "$build/txetl" snapshot --shards "$cnf" \
      --snapshot-dir "snap-$where-$np" --fx-rates "$PWD/fx.csv"
    wall[$where-$np]=$((SECONDS - t0))
    $check dump "$cnf" "truth-$where-$np.csv"
    $check truth "truth-$where-$np.csv" b2.truth
    $check runs "$cnf"
    $check revenue "$cnf"
    $check rejects "rej-$where-$np-base.csv" base.rej
    dump "dump-$where-$np.txt"
  done
  # The single-node default: logged by rank 0 when it applies.
  line='all ranks on one node: OMPI_MCA_pml=ob1'
  grep -q "$line" "log-local-$np-base.txt" || die "local -n $np: no '$line' in the --verbose log"
  if ((np > 1)); then
    ! grep -q "$line" "log-cluster-$np-base.txt" ||
      die "cluster -n $np: txetl applied its single-node default across hosts"
    note="single-node default not applied"
  else
    grep -q "$line" "log-cluster-$np-base.txt" || die "cluster -n 1: one rank is one node, yet no '$line'"
    note="1 rank = 1 node: default applied"
  fi
  for step in base b1 b2; do
    cmp -s "rej-local-$np-$step.csv" "rej-cluster-$np-$step.csv" || die "-n $np: rejects of $step differ"
  done
  cmp -s "dump-local-$np.txt" "dump-cluster-$np.txt" ||
    { diff "dump-local-$np.txt" "dump-cluster-$np.txt" | head; die "-n $np: shard tables differ"; }
  "$build/tests/snapcmp" --rel 0 "snap-local-$np/latest.h5" "snap-cluster-$np/latest.h5" >snapcmp-$np.txt 2>&1 ||
    { cat snapcmp-$np.txt; die "-n $np: snapshots differ"; }
  say "-n $np: truth held on both; shard tables ($(wc -l <"dump-cluster-$np.txt") rows), rejects, snapshot identical; $note; wall local ${wall[local-$np]}s, cluster ${wall[cluster-$np]}s"
done

# Where did the ranks run? (one line per rank: its host's address)
mpirun "${margs[@]}" -n 3 sh -c 'echo "rank $OMPI_COMM_WORLD_RANK on $(ip -4 -br addr show eth0 | awk "{print \$3}") local_size=$OMPI_COMM_WORLD_LOCAL_SIZE"' | sort

say "down: no namespace, link or process of the cluster left"
bash "$cluster_sh" down "$cdir" --wipe
net=$(sed -n 's/.*10\.231\.\([0-9]*\)\.0.*/\1/p' <<<"${margs[*]}" | head -1)
[[ -z $(ip netns list | grep "^txc${net}h") ]] || die "namespaces left: $(ip netns list)"
[[ -z $(ip -br link | grep "^txc${net}") ]] || die "links left: $(ip -br link | grep "^txc${net}")"
pgrep -f -- "$cdir/" >/dev/null && die "processes left: $(pgrep -af -- "$cdir/")"
say "all assertions held"
