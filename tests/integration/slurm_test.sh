#!/usr/bin/env bash
# slurm_test.sh BUILD_DIR WORK_DIR
# jobs/*.sbatch on a real (single-node, local) Slurm cluster:
#   1. scripts/slurm-local.sh up (installs slurm-wlm/munge when missing), 2 shards of
#      our own (scripts/shards.sh, not the shared test fixture), a small txgen extract;
#   2. jobs/backfill.sbatch via `sbatch --wait --ntasks=2` (srun --mpi=pmix): exit 0,
#      txetl-<jobid>.out/.err, job COMPLETED 0:0, shard contents = txgen's truth,
#      a snapshot written;
#   3. jobs/incremental.sbatch with TXETL_LAUNCHER=mpirun re-loads the same file:
#      nothing changes (every record stale);
#   4. a job with a shard file pointing at no server: `sbatch --wait` exits non-zero,
#      the job is FAILED with ExitCode 1:0 and the error names the shard;
#   5. txetl with SLURM_NTASKS=3 but 1 rank exits 2 with a clear message, writes nothing;
#   6. the shards grown to 3 (shards.sh up 3), jobs/reshard.sbatch --ntasks=3 with --plan
#      (changes nothing), then for real: COMPLETED, contents = the truth, shard 2 not empty.
# Exit 77 (CTest skip) only when Slurm cannot be installed here (no root / no apt /
# apt fails); any other failure is a real failure. Everything started is stopped on exit.
set -euo pipefail
SKIP=77
build=$(realpath -- "$1")
work=$(realpath -m -- "$2")
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
check="/usr/bin/python3 $here/txcheck.py"
slurm_local=$src/scripts/slurm-local.sh
shards_sh=$src/scripts/shards.sh
t_start=$SECONDS

say() { echo "slurm_test: $*"; }
die() { echo "slurm_test: FAIL: $*" >&2; exit 1; }

sdir=$work/slurm   # the cluster (state, spool, logs, munge)
jdir=$work/job     # the jobs' working directory (txetl-<jobid>.out/.err land here)
# Shard sockets must fit in sun_path (107 bytes): fall back to /tmp for a deep build dir.
shdir=$work/shards
if ((${#shdir} > 80)); then shdir=$(mktemp -d /tmp/txslurm.XXXXXX)/shards; fi

# A local Slurm cluster needs root (slurmd/slurmctld as SlurmUser root, munged as the
# munge user, packages from apt): without root it genuinely cannot run here.
if (($(id -u) != 0)); then
  say "SKIP: a local Slurm cluster needs root (slurmd, munged as the munge user, apt-get); running as $(id -un)"
  exit $SKIP
fi

# A previous, interrupted run may have left daemons behind: stop them before wiping.
bash "$slurm_local" down "$sdir" >/dev/null 2>&1 || true
bash "$shards_sh" down "$work/shards" --wipe >/dev/null 2>&1 || true
rm -rf -- "$work"
mkdir -p "$work" "$jdir"

cluster_started=0
cleanup() {
  local rc=$?
  set +e
  if ((rc != 0 && rc != SKIP)); then
    for f in "$sdir/log/slurmctld.log" "$sdir/log/slurmd.log" "$jdir"/txetl-*.err; do
      [[ -f $f ]] || continue
      echo "---- last lines of $f ----" >&2
      tail -n 15 "$f" >&2
    done
  fi
  ((cluster_started)) && bash "$slurm_local" down "$sdir"
  bash "$shards_sh" down "$shdir" --wipe >/dev/null 2>&1
  [[ $shdir == /tmp/txslurm.* ]] && rmdir "${shdir%/shards}" 2>/dev/null
  say "wall time $((SECONDS - t_start)) s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- 1. cluster, shards, extract -------------------------------------------------------
# A free port pair for slurmctld/slurmd (another cluster may hold the default 6817).
port_in_use() {
  local hex; hex=$(printf '%04X' "$1")
  awk -v h=":$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
port=""
for p in 16817 16827 16837 16847 16857 16867 16877 16887; do
  if ! port_in_use "$p" && ! port_in_use $((p + 1)); then port=$p; break; fi
done
[[ -n $port ]] || die "no free port pair for slurmctld/slurmd in 16817..16888"

cluster_started=1
if ! SLURM_LOCAL_PORT=$port SLURM_LOCAL_TIMEOUT=60 bash "$slurm_local" up "$sdir" >"$work/slurm-up.log" 2>&1; then
  cat "$work/slurm-up.log" >&2
  # Genuinely impossible here = the packages are not there and could not be installed.
  missing=()
  for p in slurm-wlm munge libpmix-dev; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || missing+=("$p")
  done
  if ((${#missing[@]})); then
    if (($(id -u) != 0)); then why="not root"; elif ! command -v apt-get >/dev/null; then why="no apt-get"
    else why="apt-get failed (see above)"; fi
    say "SKIP: Slurm cannot be installed on this machine (${missing[*]} missing: $why)"
    exit $SKIP
  fi
  die "the packages are installed but the local Slurm cluster did not start (see above)"
fi
say "local Slurm up on port $port in $((SECONDS - t_start)) s"
export SLURM_CONF=$sdir/slurm.conf

bash "$shards_sh" up 2 "$shdir" --fresh >"$work/shards-up.log" 2>&1 ||
  { cat "$work/shards-up.log" >&2; die "shards.sh up 2 $shdir failed"; }
cnf=$shdir/shards.cnf
[[ $(stat -c %a "$cnf") == 600 ]] || die "$cnf is not mode 600"

cd "$jdir"
"$build/txgen" --customers 400 --seed 23 --out a.csv --truth a.truth --dup-rate 0.05 \
  --fx-out fx.csv >/dev/null 2>&1 ||
  die "txgen failed"

# The job environment: the submitting shell's (sbatch --export=ALL).
export TXETL_BIN=$build/txetl
unset TXETL_SHARDS TXETL_INPUTS TXETL_LAUNCHER TXETL_LOAD_ARGS TXETL_NO_SNAPSHOT TXETL_ANY_RANKS
# txgen's extract holds USD, EUR and GBP: the jobs' snapshots convert with its rates
export TXETL_LOAD_ARGS="--fx-rates $PWD/fx.csv"

job_field() { # jobid field -> value from scontrol show job (kept MinJobAge=300 s)
  scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1
}

# submit NAME EXPECT(0|fail) sbatch-args... -> sets $jobid; checks sbatch --wait's status
submit() {
  local name=$1 expect=$2; shift 2
  local rc=0 t0=$SECONDS
  timeout 120 sbatch --wait --parsable --chdir="$jdir" "$@" >"$work/$name.sbatch.out" 2>"$work/$name.sbatch.err" || rc=$?
  jobid=$(grep -Eo '^[0-9]+' "$work/$name.sbatch.out" | head -n1 || true)
  ((rc != 124)) || { [[ -n $jobid ]] && scancel "$jobid"; die "$name: sbatch --wait timed out after 120 s (job ${jobid:-?})"; }
  [[ -n $jobid ]] || { cat "$work/$name.sbatch.err" >&2; die "$name: sbatch printed no job id (exit $rc)"; }
  say "$name: job $jobid, sbatch --wait exit $rc, $((SECONDS - t0)) s"
  if [[ $expect == 0 ]]; then
    ((rc == 0)) || { cat "$work/$name.sbatch.err" >&2; die "$name: sbatch --wait exited $rc, want 0"; }
  else
    ((rc != 0)) || die "$name: sbatch --wait exited 0 for a job that must fail"
  fi
  # Output and error files named by job id, in the job's working directory.
  [[ -f $jdir/txetl-$jobid.out ]] || die "$name: no $jdir/txetl-$jobid.out"
  [[ -f $jdir/txetl-$jobid.err ]] || die "$name: no $jdir/txetl-$jobid.err"
  [[ ! -e $jdir/slurm-$jobid.out ]] || die "$name: Slurm's default slurm-$jobid.out was written"
}

# ---- 2. backfill with srun --mpi=pmix ---------------------------------------------------
submit backfill 0 --ntasks=2 "$src/jobs/backfill.sbatch" "$cnf" a.csv
[[ $(job_field "$jobid" JobState) == COMPLETED ]] || die "backfill: job state $(job_field "$jobid" JobState)"
[[ $(job_field "$jobid" ExitCode) == 0:0 ]] || die "backfill: job ExitCode $(job_field "$jobid" ExitCode)"
grep -q 'srun --mpi=pmix --ntasks=2' "txetl-$jobid.out" || die "backfill: not launched with srun --mpi=pmix -n 2"
grep -q '^run .*2 ranks, 2 shards' "txetl-$jobid.out" || die "backfill: no 2-rank run summary in txetl-$jobid.out"
[[ -s txetl-$jobid.summary.json ]] || die "backfill: no txetl-$jobid.summary.json"
[[ -e snapshots/latest.h5 ]] || die "backfill: no snapshots/latest.h5"
$check dump "$cnf" dump1.csv
$check truth dump1.csv a.truth
say "backfill: shard contents equal the truth ($(($(wc -l <dump1.csv) - 1)) rows)"

# ---- 3. incremental with mpirun inside the allocation: same file again, nothing changes ----
TXETL_LAUNCHER=mpirun submit incremental 0 --ntasks=2 "$src/jobs/incremental.sbatch" "$cnf" a.csv
grep -q 'mpirun .*-n 2 ' "txetl-$jobid.out" || die "incremental: not launched with mpirun -n 2"
grep -q 'inserted 0  updated 0  moved 0  deleted 0' "txetl-$jobid.out" ||
  die "incremental: a re-load changed something: $(grep -m1 'read ' "txetl-$jobid.out")"
$check dump "$cnf" dump2.csv
$check same dump1.csv dump2.csv

# ---- 4. a failing job: the shard file points at no server ----------------------------------
printf '[shard0]\nsocket=%s/none0.sock\nuser=root\ndatabase=Customer\n\n[shard1]\nsocket=%s/none1.sock\nuser=root\ndatabase=Customer\n' \
  "$jdir" "$jdir" >bad.cnf
chmod 600 bad.cnf
submit badshards fail --ntasks=2 "$src/jobs/backfill.sbatch" bad.cnf a.csv
[[ $(job_field "$jobid" JobState) == FAILED ]] || die "badshards: job state $(job_field "$jobid" JobState), want FAILED"
[[ $(job_field "$jobid" ExitCode) == 1:0 ]] || die "badshards: job ExitCode $(job_field "$jobid" ExitCode), want 1:0 (txetl: run failed)"
grep -q 'shard0' "txetl-$jobid.err" || die "badshards: txetl-$jobid.err does not name the shard"
grep -q 'failed with exit status 1' "txetl-$jobid.err" || die "badshards: no failure line from the job script"

# ---- 5. SLURM_NTASKS=3 but 1 rank: refused with exit 2, nothing written ---------------------
rc=0
env -u SLURM_JOB_ID -u SLURM_JOBID -u SLURM_STEP_ID SLURM_NTASKS=3 \
  "$build/txetl" load --shards "$cnf" --no-snapshot --rejects mismatch.rejects.csv a.csv \
  >mismatch.out 2>mismatch.err || rc=$?
((rc == 2)) || { cat mismatch.out mismatch.err >&2; die "mismatch: txetl exited $rc, want 2"; }
grep -q 'SLURM_NTASKS is 3 but this MPI job has 1 rank' mismatch.err ||
  { cat mismatch.err >&2; die "mismatch: no clear message naming SLURM_NTASKS and the rank count"; }
$check dump "$cnf" dump3.csv
$check same dump1.csv dump3.csv
say "mismatch: exit 2: $(grep -m1 SLURM_NTASKS mismatch.err)"

# ---- 6. reshard.sbatch: the cluster grown to 3 shards (shards.sh up 3), --plan, then the job ----
bash "$shards_sh" up 3 "$shdir" >"$work/shards-up3.log" 2>&1 ||
  { cat "$work/shards-up3.log" >&2; die "shards.sh up 3 $shdir failed"; }
TXETL_RESHARD_ARGS=--plan submit reshard-plan 0 --ntasks=3 "$src/jobs/reshard.sbatch" "$cnf"
grep -q 'shard 2' "txetl-$jobid.out" || die "reshard-plan: no plan for shard 2 in txetl-$jobid.out"
t2=$(mariadb --no-defaults --socket="$shdir/shard2/sock" -uroot -N -B -e \
  "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'Customer'")
[[ $t2 == 0 ]] || die "reshard-plan: --plan wrote into the new shard 2 ($t2 tables)"
submit reshard 0 --ntasks=3 "$src/jobs/reshard.sbatch" "$cnf"
[[ $(job_field "$jobid" JobState) == COMPLETED ]] || die "reshard: job state $(job_field "$jobid" JobState)"
grep -q 'srun --mpi=pmix --ntasks=3 .* reshard --shards' "txetl-$jobid.out" || die "reshard: not launched with srun --mpi=pmix -n 3"
$check dump "$cnf" dump5.csv
$check truth dump5.csv a.truth
$check revenue "$cnf"
n2=$(grep -c '^2,' dump5.csv || true)
((n2 > 0)) || die "reshard: the new shard 2 holds no rows"
say "reshard: 2 -> 3 shards, $n2 rows now on shard 2, contents still equal the truth"

say "all assertions held"
