#!/usr/bin/env bash
# cluster_slurm_test.sh BUILD_DIR WORK_DIR
# A two-node Slurm job over simulated hosts: scripts/cluster.sh up 2 --slurm (2 network
# namespaces with one MariaDB shard each; slurmctld in a namespace of its own, one slurmd per
# host namespace with NodeName=txc<N>n<h> NodeAddr=its address; a private munged).
#   1. jobs/backfill.sbatch via `sbatch --wait -N 2 --ntasks=2` (srun --mpi=pmix): the job is
#      COMPLETED 0:0 on NodeList txc<N>n[0-1]; each rank reports (a TXETL_BIN wrapper) the node
#      it ran on: rank r on node r, with that host's hostname and address; the shards equal the
#      txgen truth (counts reconcile, revenue_daily exact, rejects as expected);
#   2. jobs/incremental.sbatch with TXETL_LAUNCHER=mpirun (Open MPI's mpirun inside the
#      allocation, orted started on both nodes by srun): a change batch, truth again;
#   3. the same two loads on one host (scripts/shards.sh, 2 shards, mpiexec -n 2): every shard
#      table equal row for row (scripts/compare-builds.sh's dump), rejects byte for byte,
#      the backfill snapshots equal (snapcmp --rel 0);
#   4. down: no namespace, link or daemon of the cluster left.
# Exit 77 (skipped) only when the machine cannot do it at all: not root, no network
# namespaces, or Slurm/munge not installed (scripts/install-deps.sh installs them).
set -euo pipefail
build=$(cd "$1" && pwd) work=$(realpath -m -- "$2")
source "$(dirname "$0")/lib.sh"
cluster_sh=$src/scripts/cluster.sh shards_sh=$src/scripts/shards.sh
export TXETL_SHARD_BUFFER_POOL=${TXETL_SHARD_BUFFER_POOL:-128M} TXETL_SHARD_LOG_FILE=${TXETL_SHARD_LOG_FILE:-128M}
JOB_TIMEOUT=${TXETL_SLURM_JOB_TIMEOUT:-120}

# ---- can this machine do it? ----------------------------------------------------------------
need_netns "needs root (network namespaces, slurmd, munged)"
for b in slurmctld slurmd sbatch srun scontrol sinfo munge /usr/sbin/munged nsenter unshare; do
  command -v "$b" >/dev/null || { echo "SKIP: '$b' is not installed (scripts/install-deps.sh: slurm-wlm, munge, libpmix-dev)"; exit 77; }
done

cdir=$work/c ldir=$work/l jdir=$work/job
# An interrupted earlier run: stop its daemons before wiping.
bash "$cluster_sh" down "$cdir" --wipe >/dev/null 2>&1 || true
bash "$shards_sh" down "$ldir" --wipe >/dev/null 2>&1 || true
rm -rf "$work" && mkdir -p "$work" "$jdir" && chmod 755 "$work" && cd "$work"
cleanup() {
  local rc=$?
  set +e
  if ((rc != 0)); then
    for f in "$cdir"/slurm/log/*.log "$jdir"/txetl-*.err; do
      [[ -s $f ]] || continue; echo "---- last lines of $f ----"; tail -n 15 "$f"
    done
  fi
  bash "$cluster_sh" down "$cdir" --wipe >/dev/null 2>&1
  bash "$shards_sh" down "$ldir" --wipe >/dev/null 2>&1
  echo "cluster_slurm_test: wall time $((SECONDS - t_start)) s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

{ sed -n "/^dump() {/,/^PY$/p" "$src/scripts/compare-builds.sh"; echo "}"; } >dump.fn
grep -q "<<'PY'" dump.fn || die "could not read dump() from scripts/compare-builds.sh"
# shellcheck disable=SC1091
source ./dump.fn   # dump OUT, reading the shard file named by $cnf

say "inputs: base (bad, duplicate, tricky records) + a change batch"
"$build/txgen" --customers 1500 --seed 31 --bad-rate 0.004 --dup-rate 0.05 --tricky --shuffle \
  --out "$jdir/base.csv" --truth base.truth --expect-rejects base.rej --fx-out "$jdir/fx.csv" \
  >/dev/null
"$build/txgen" --changes 1500 --truth-in base.truth --base "$jdir/base.csv" --seed 32 \
  --out "$jdir/b1.csv" --truth b1.truth >/dev/null

say "up: 2 hosts with Slurm (cluster.sh --slurm) and 2 local shards (shards.sh)"
timeout 180 bash "$cluster_sh" up 2 "$cdir" --slurm --fresh >up.log 2>&1 || { cat up.log; die "cluster.sh up 2 --slurm failed"; }
grep 'slurm:' up.log
timeout 120 bash "$shards_sh" up 2 "$ldir" --fresh | tail -1
# shellcheck disable=SC1091
source "$cdir/slurm.env"
net=$(sed -n 's/^NET=//p' "$cdir/cluster.env")

ccnf=$cdir/shards.cnf lcnf=$ldir/shards.cnf

# Each rank writes where it runs, then becomes txetl (the job scripts' TXETL_BIN).
cat >"$work/txetl-where" <<EOF
#!/bin/sh
r=\${OMPI_COMM_WORLD_RANK:-\${SLURM_PROCID:-x}}  # mpirun: its rank; srun: the task id
echo "rank \$r host \$(hostname) addr \$(ip -4 -br addr show eth0 | awk '{print \$3}') node \${SLURMD_NODENAME:-?}" >"$jdir/where.\${SLURM_JOB_ID:-0}.\$r"
exec "$build/txetl" "\$@"
EOF
chmod 755 "$work/txetl-where"
export TXETL_BIN=$work/txetl-where
unset TXETL_SHARDS TXETL_INPUTS TXETL_LAUNCHER TXETL_LOAD_ARGS TXETL_NO_SNAPSHOT TXETL_ANY_RANKS
export TXETL_LOAD_ARGS="--fx-rates $jdir/fx.csv" # txgen writes USD, EUR and GBP

job_field() { scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1; }
submit() { # NAME sbatch-args... -> $jobid; the job must succeed on both nodes
  local name=$1 rc=0 t0=$SECONDS; shift
  timeout "$JOB_TIMEOUT" sbatch --wait --parsable --chdir="$jdir" --nodes=2 --ntasks=2 --ntasks-per-node=1 \
    "$@" >"$name.sbatch.out" 2>"$name.sbatch.err" || rc=$?
  jobid=$(grep -Eo '^[0-9]+' "$name.sbatch.out" | head -n1 || true)
  ((rc != 124)) || { [[ -n $jobid ]] && scancel "$jobid"; die "$name: sbatch --wait timed out after $JOB_TIMEOUT s (job ${jobid:-?})"; }
  [[ -n $jobid ]] || { cat "$name.sbatch.err"; die "$name: sbatch printed no job id (exit $rc)"; }
  ((rc == 0)) || { cat "$name.sbatch.err" "$jdir/txetl-$jobid.out" "$jdir/txetl-$jobid.err"; die "$name: sbatch --wait exited $rc"; }
  [[ $(job_field "$jobid" JobState) == COMPLETED ]] || die "$name: job state $(job_field "$jobid" JobState)"
  [[ $(job_field "$jobid" ExitCode) == 0:0 ]] || die "$name: ExitCode $(job_field "$jobid" ExitCode)"
  local nl; nl=$(job_field "$jobid" NodeList)
  [[ $nl == "txc${net}n[0-1]" && $(job_field "$jobid" NumNodes) == 2 ]] ||
    die "$name: job ran on '$nl' ($(job_field "$jobid" NumNodes) nodes), want txc${net}n[0-1]"
  # rank r on node r: its own hostname and its host's address
  local r want
  for r in 0 1; do
    want="rank $r host txc${net}n$r addr 10.231.$net.$((11 + r))/24 node txc${net}n$r"
    [[ $(cat "$jdir/where.$jobid.$r" 2>/dev/null) == "$want" ]] ||
      die "$name: rank $r reported '$(cat "$jdir/where.$jobid.$r" 2>/dev/null)', want '$want'"
  done
  grep -q '^run .*2 ranks, 2 shards' "$jdir/txetl-$jobid.out" || die "$name: no 2-rank run summary in txetl-$jobid.out"
  say "$name: job $jobid COMPLETED 0:0 on $nl in $((SECONDS - t0)) s; $(cat "$jdir/where.$jobid.0"); $(cat "$jdir/where.$jobid.1")"
}

# ---- 1. backfill across both nodes (srun --mpi=pmix) -----------------------------------------
$check wipe "$ccnf"
submit backfill "$src/jobs/backfill.sbatch" "$ccnf" base.csv
grep -q 'running: srun --mpi=pmix --ntasks=2 ' "$jdir/txetl-$jobid.out" || die "backfill: not launched with srun --mpi=pmix"
[[ -s $jdir/snapshots/latest.h5 ]] || die "backfill: no snapshot written"
cp "$jdir/txetl-$jobid.rejects.csv" rej-cluster-base.csv
cp -L "$jdir/snapshots/latest.h5" snap-cluster.h5
$check dump "$ccnf" truth-cluster-base.csv
$check truth truth-cluster-base.csv base.truth
$check rejects rej-cluster-base.csv base.rej
$check revenue "$ccnf"

# ---- 2. change batch across both nodes (mpirun inside the allocation) ------------------------
TXETL_LAUNCHER=mpirun TXETL_NO_SNAPSHOT=1 submit incremental "$src/jobs/incremental.sbatch" "$ccnf" b1.csv
grep -q 'running: mpirun .*-n 2 ' "$jdir/txetl-$jobid.out" || die "incremental: not launched with mpirun -n 2"
cp "$jdir/txetl-$jobid.rejects.csv" rej-cluster-b1.csv
$check dump "$ccnf" truth-cluster-b1.csv
$check truth truth-cluster-b1.csv b1.truth
$check runs "$ccnf"
$check revenue "$ccnf"
cnf=$ccnf dump dump-cluster.txt

# ---- 3. the same loads on one host ------------------------------------------------------------
say "single host: the same backfill and change batch, 2 ranks, 2 local shards"
$check wipe "$lcnf"
(cd "$jdir" && timeout 120 mpiexec --oversubscribe -n 2 "$build/txetl" load --shards "$lcnf" \
   --snapshot-dir "$work/snap-local" --rejects "$work/rej-local-base.csv" --fx-rates fx.csv \
   base.csv) >local-base.log 2>&1 ||
  { tail -20 local-base.log; die "single-host backfill failed"; }
(cd "$jdir" && timeout 120 mpiexec --oversubscribe -n 2 "$build/txetl" load --shards "$lcnf" \
   --no-snapshot --rejects "$work/rej-local-b1.csv" b1.csv) >local-b1.log 2>&1 ||
  { tail -20 local-b1.log; die "single-host change batch failed"; }
cnf=$lcnf dump dump-local.txt
cmp -s dump-local.txt dump-cluster.txt ||
  { diff dump-local.txt dump-cluster.txt | head; die "shard tables differ between the Slurm job and one host"; }
for step in base b1; do
  cmp -s "rej-local-$step.csv" "rej-cluster-$step.csv" || die "rejects of $step differ"
done
"$build/tests/snapcmp" --rel 0 "$work/snap-local/latest.h5" snap-cluster.h5 >snapcmp.txt 2>&1 ||
  { cat snapcmp.txt; die "backfill snapshots differ"; }
say "two-node Slurm jobs = one host: shard tables ($(wc -l <dump-cluster.txt) rows), rejects, snapshot identical"

# ---- 4. down ---------------------------------------------------------------------------------
timeout 120 bash "$cluster_sh" down "$cdir" --wipe | tail -1
[[ -z $(ip netns list | grep "^txc${net}[hc]") ]] || die "namespaces left: $(ip netns list)"
[[ -z $(ip -br link | grep "^txc${net}") ]] || die "links left: $(ip -br link | grep "^txc${net}")"
pgrep -f -- "$cdir/" >/dev/null && die "processes left: $(pgrep -af -- "$cdir/")"
say "all assertions held"
