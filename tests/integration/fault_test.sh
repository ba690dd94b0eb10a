#!/usr/bin/env bash
# shellcheck disable=SC2046  # pid lists and query results are split into words on purpose
# fault_test.sh BUILD_DIR WORK_DIR
# Failures (docs/load.md "a failed run ... rerunning the same command reaches exactly the state of an
# uninterrupted run", §7 exit status and messages), on 2 shards of its own (started here with
# scripts/shards.sh under WORK_DIR, stopped and wiped on exit), as servers get killed:
#  a. shard 1 down at the start: exit 1 within seconds with 1, 2 and 3 ranks, the message names
#     the shard, nothing written to shard 0;
#  b. SIGKILL of shard 1's mariadbd while a ~160k-row load writes rows into it: exit != 0 within
#     120 s naming the shard; restart the shard, rerun: the state equals an uninterrupted run's,
#     counts reconcile, exactly one audit row per transaction (--audit-inserts) over both runs;
#  c. SIGKILL of one rank of a 2-rank run of big.csv (all stale by now) + a change batch
#     (as soon as rows stream into a shard):
#     mpiexec exits != 0; the rerun reaches the txgen truth, reconciles, and the failed run and
#     the rerun together audit every change exactly once;
#  d. two runs at once (the first loads big.csv twice, all stale, so it outlasts the second's
#     start-up): the second exits 1 naming the run lock and writes nothing, the first succeeds.
set -euo pipefail
build=$1 work=$2
source "$(dirname "$0")/lib.sh"
cdc="/usr/bin/python3 $here/cdc_check.py"
export TXETL_SHARD_BUFFER_POOL=${TXETL_SHARD_BUFFER_POOL:-256M}
own_cluster "$work"

trap stop_own_cluster EXIT

t_start=$SECONDS
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc | sed 's/^\./0./'; }
step() { echo; echo "=== [$((SECONDS - t_start))s] $*"; }
die() { echo "FAIL: $*"; exit 1; }
q() { # q SHARD SQL: one value, empty on error
  mariadb --no-defaults --socket="$dir/shard$1/sock" -uroot -N -B -e "$2" 2>/dev/null || true
}
txetl_load() { # np log args...: foreground, returns txetl's status
  local np=$1 log=$2
  shift 2
  mpiexec --oversubscribe -n "$np" "$build/txetl" load --shards "$cnf" --no-snapshot \
    --rejects "$log.rejects.csv" "$@" >"$log" 2>&1
}
show() { sed 's/^/    | /' "$1" | grep -v -e ' INFO ' -e '^    | -*$' | head -${2:-8} || true; }
# Statements running on shards $2 (default: 0 and 1) whose text matches SQL condition $1.
active() {
  local s n t=0 w="info IS NOT NULL AND info NOT LIKE '%processlist%' AND ($1)"
  for s in ${2:-0 1}; do
    n=$(q "$s" "SELECT COUNT(*) FROM information_schema.processlist WHERE $w")
    t=$((t + ${n:-0}))
  done
  echo $t
}
# Waits (max 60 s) until a statement matching condition $1 runs on shards $3 (default both);
# 1 if the background job $2 ends first.
wait_for_query() {
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    kill -0 "$2" 2>/dev/null || return 1
    (($(active "$1" "${3:-0 1}") > 0)) && return 0
    sleep 0.05
  done
  return 1
}
step "setup: 2 shards under $dir, a ~160k-row extract and a 60k change batch"
t0=$(now)
bash "$shards_sh" up 2 "$dir" | tail -1
"$build/txgen" --customers 22000 --seed 51 --out big.csv --truth big.truth --shuffle
"$build/txgen" --changes 60000 --truth-in big.truth --out ch.csv --truth ch.truth --seed 52
cat ch.csv.counts
echo "setup: $(since "$t0")s"

# ---- a. a shard unreachable at the start ---------------------------------------------------
step "a. shard 1 down at the start"
pid1=$(<"$dir/shard1/mariadbd.pid")
kill -TERM "$pid1"
while kill -0 "$pid1" 2>/dev/null; do sleep 0.2; done
for np in 1 2 3; do
  t0=$(now) rc=0
  timeout 60 mpiexec --oversubscribe -n $np "$build/txetl" load --shards "$cnf" --no-snapshot \
    --rejects a.rejects.csv big.csv >a$np.log 2>&1 || rc=$?
  el=$(since "$t0")
  show a$np.log 2
  echo "    -n $np: exit $rc in ${el}s"
  ((rc == 1)) || die "a: -n $np exited $rc, expected 1 (log $work/a$np.log)"
  (($(echo "$el < 15" | bc))) || die "a: -n $np took ${el}s to fail, expected a few seconds"
  grep -Eqi 'shard ?1\b' a$np.log || die "a: the message does not name shard 1 (a$np.log)"
  $cdc empty "$cnf" 0
done
bash "$shards_sh" up 2 "$dir" | tail -1

# ---- reference: an uninterrupted load --------------------------------------------------------
step "reference: uninterrupted load of big.csv (2 ranks, --audit-inserts)"
t0=$(now)
txetl_load 2 ref.log --audit-inserts big.csv || { show ref.log 20; die "reference load failed"; }
show ref.log 2
ref_s=$(since "$t0")
echo "    reference load: ${ref_s}s"
$check dump "$cnf" ref.dump
$check truth ref.dump big.truth
$check runs "$cnf" inserted=$(($(wc -l <big.truth) - 1)) superseded=0 stale=0
$cdc audit "$cnf" /dev/null big.truth --audit-inserts --new-since /dev/null
$cdc revdump "$cnf" ref.rev

# ---- b. SIGKILL of a shard server mid-load -----------------------------------------------------
step "b. kill -9 shard 1's mariadbd while the load streams into it"
$check wipe "$cnf"
t0=$(now)
mpiexec --oversubscribe -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot \
  --rejects b.rejects.csv --audit-inserts big.csv >b.log 2>&1 &
job=$!
bg_pids+=("$job")
# Kill when shard 1 is writing rows into TransactionsOptimized (the apply phase: part of the
# rows may be committed), not at the index DDL.
wait_for_query "info LIKE '%TransactionsOptimized%' AND info NOT LIKE 'SELECT%' AND
                info NOT LIKE 'ALTER%'" "$job" 1 ||
  die "b: the load ended before shard 1 was seen writing rows; make the extract bigger"
phase=$(q 1 "SELECT LEFT(info, 60) FROM information_schema.processlist WHERE info IS NOT NULL
             AND info NOT LIKE '%processlist%' LIMIT 1")
n=$(q 1 "SELECT COUNT(*) FROM Customer.TransactionsOptimized")
pid1=$(<"$dir/shard1/mariadbd.pid")
kill -9 "$pid1"
t_kill=$(now)
echo "    killed shard 1 (pid $pid1) $(since "$t0")s into the load, running: ${phase:-?}" \
  "(TransactionsOptimized: ${n:-?} committed rows)"
rc=0
while kill -0 "$job" 2>/dev/null && (($(echo "$(since "$t_kill") < 150" | bc))); do sleep 0.2; done
if kill -0 "$job" 2>/dev/null; then
  kill -9 -- $(descendants "$job") "$job" 2>/dev/null || true
  die "b: txetl still running 150 s after shard 1 was killed"
fi
wait "$job" || rc=$?
el=$(since "$t_kill")
show b.log 4
echo "    txetl exited $rc ${el}s after the kill"
((rc != 0)) || die "b: txetl exited 0 although shard 1 died mid-load"
(($(echo "$el < 120" | bc))) || die "b: txetl took ${el}s to notice the dead shard (limit 120 s)"
grep -Eqi 'shard ?1\b' b.log || die "b: the message does not name shard 1 (b.log)"
t0=$(now)
bash "$shards_sh" up 2 "$dir" | tail -1
echo "    shard 1 restarted in $(since "$t0")s"
t0=$(now)
txetl_load 2 b-rerun.log --audit-inserts big.csv || { show b-rerun.log 20; die "b: rerun failed"; }
show b-rerun.log 2
echo "    rerun: $(since "$t0")s"
$check dump "$cnf" b.dump
$check same ref.dump b.dump
$check runs "$cnf" read=$(($(wc -l <big.csv) - 1))
$check revenue "$cnf"
$cdc revdump "$cnf" b.rev
$cdc equiv ref.dump ref.rev b.dump b.rev
$cdc indexes "$cnf"
$cdc audit "$cnf" /dev/null big.truth --audit-inserts --new-since /dev/null
for s in 0 1; do # report only: a shard that died cannot record the failure itself
  echo "    NOTE (not asserted) shard $s etl_runs after the rerun:" \
    $(q $s "SELECT CONCAT(run_id, ' ', status) FROM Customer.etl_runs ORDER BY started_at")
done

# ---- c. SIGKILL of one rank mid-run (a change batch) ---------------------------------------
step "c. kill -9 one txetl rank of a 2-rank run of a change batch"
$cdc runids "$cnf" c.before
t0=$(now)
mpiexec --oversubscribe -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot \
  --rejects c.rejects.csv big.csv ch.csv >c.log 2>&1 &
job=$!
bg_pids+=("$job")
# The two rank processes, then the kill as soon as rows stream into a shard (mid-run).
ranks=()
deadline=$((SECONDS + 30))
while ((SECONDS < deadline && ${#ranks[@]} < 2)) && kill -0 "$job" 2>/dev/null; do
  ranks=()
  for p in $(descendants "$job"); do
    [[ $(ps -o comm= -p "$p" 2>/dev/null) == txetl ]] && ranks+=("$p")
  done
  sleep 0.05
done
((${#ranks[@]} == 2)) || die "c: found ${#ranks[@]} txetl processes under mpiexec $job, expected 2"
wait_for_query "info LIKE 'LOAD DATA%'" "$job" || die "c: the run ended before it streamed rows"
phase=$(q 0 "SELECT LEFT(info, 40) FROM information_schema.processlist WHERE info IS NOT NULL
             AND info NOT LIKE '%processlist%' LIMIT 1")
kill -9 "${ranks[1]}"
t_kill=$(now)
echo "    killed rank process ${ranks[1]} (of ${ranks[*]}) $(since "$t0")s into the run" \
  "(shard 0 was running: ${phase:-?})"
while kill -0 "$job" 2>/dev/null && (($(echo "$(since "$t_kill") < 120" | bc))); do sleep 0.2; done
if kill -0 "$job" 2>/dev/null; then
  kill -9 -- $(descendants "$job") "$job" 2>/dev/null || true
  die "c: mpiexec still running 120 s after a rank was killed"
fi
rc=0
wait "$job" || rc=$?
show c.log 3
echo "    mpiexec exited $rc $(since "$t_kill")s after the kill"
((rc != 0)) || die "c: mpiexec exited 0 although a rank was killed"
sleep 1 # the server notices the closed connections (and frees the run lock)
t0=$(now)
txetl_load 2 c-rerun.log big.csv ch.csv || { show c-rerun.log 20; die "c: rerun failed"; }
show c-rerun.log 2
echo "    rerun: $(since "$t0")s"
$check dump "$cnf" c.dump
$check truth c.dump ch.truth
$check runs "$cnf" "read=$(($(wc -l <big.csv) - 1 + $(sed 's/.*read=\([0-9]*\).*/\1/' ch.csv.counts)))"
$check revenue "$cnf"
$cdc audit "$cnf" big.truth ch.truth --counts ch.csv.counts --new-since c.before
$cdc indexes "$cnf"

# ---- d. two runs at once -------------------------------------------------------------------
step "d. a second run while the first holds the run lock"
$cdc runids "$cnf" d.before
t0=$(now)
# The first run re-reads the extract six times (all stale, nothing written): long enough
# (seconds) that the second run, started once the lock is seen held, meets it still held.
mpiexec --oversubscribe -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot \
  --rejects d1.rejects.csv big.csv big.csv big.csv big.csv big.csv big.csv >d1.log 2>&1 &
job=$!
bg_pids+=("$job")
deadline=$((SECONDS + 60)) held=0
while ((SECONDS < deadline)) && kill -0 "$job" 2>/dev/null; do
  held=$(q 0 "SELECT IS_USED_LOCK('txetl_run') IS NOT NULL")
  ((${held:-0} == 1)) && break
  sleep 0.05
done
((${held:-0} == 1)) || die "d: the first run ended before it was seen holding the run lock"
t1=$(now) rc=0
timeout 60 mpiexec --oversubscribe -n 1 "$build/txetl" load --shards "$cnf" --no-snapshot \
  --rejects d2.rejects.csv "$src/tests/data/cdc_cases/step0.csv" >d2.log 2>&1 || rc=$?
el=$(since "$t1")
show d2.log 3
echo "    second run: exit $rc in ${el}s"
kill -0 "$job" 2>/dev/null || echo "    (note: the first run had already ended)"
rc1=0
wait "$job" || rc1=$?
show d1.log 2
echo "    first run: exit $rc1 after $(since "$t0")s"
((rc == 1)) || die "d: the second run exited $rc, expected 1"
grep -qi 'lock' d2.log || die "d: the second run's message does not mention the run lock"
(($(echo "$el < 15" | bc))) || die "d: the second run took ${el}s to give up"
((rc1 == 0)) || { show d1.log 20; die "d: the first run failed (exit $rc1)"; }
$check runs "$cnf" inserted=0 updated=0 moved=0 deleted=0 superseded=0
$cdc runids "$cnf" d.after
new=$(comm -13 d.before d.after | wc -l)
((new == 1)) || die "d: $new new run ids in etl_runs/audit_log, expected 1 (the first run's)"
$check dump "$cnf" d.dump
$check same c.dump d.dump

echo
echo "fault_test: all assertions held in $((SECONDS - t_start))s"
