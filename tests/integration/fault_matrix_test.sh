#!/usr/bin/env bash
# shellcheck disable=SC2046  # pid lists are split into words on purpose
# fault_matrix_test.sh BUILD_DIR WORK_DIR
# Whatever command comes next after a failed run, the cluster behaves as if that run had either
# completed or never started (docs/load.md "A failed run"). On 2 shards of its own (started here
# with scripts/shards.sh under WORK_DIR, stopped and wiped on exit), with 2 ranks, a matrix of
#   fault:  a rank killed (TXETL_TEST_HOOK kill), a shard server killed (hook pause, kill -9
#           mariadbd, the paused rank let go), SIGINT to mpiexec (hook pause, kill -INT);
#   phase:  scan, decide (rows staged / a backfill's rows stored), finish (staged), commit (one
#           shard applied, the other not), reduce (before the snapshot), of a backfill and of a
#           change batch;
#   next:   the same command, a different batch (updates, moves across shards, deletes),
#           `txetl snapshot`.
# After each: exit != 0 for the failed run (and its etl_runs row and message agree); `txetl
# status` names the unfinished run and what the next command does; the next command says what
# it did; the failed run's etl_runs row says "completed by" / "undone by" as expected for the
# phase (undone before every shard staged, completed after); the shards equal exactly the
# truth that outcome implies (reference dumps of uninterrupted runs), no transaction_id twice;
# revenue_daily equals a recount; a snapshot equals one computed from the shards.
set -euo pipefail
build=$1 work=$2
source "$(dirname "$0")/lib.sh"
cdc="/usr/bin/python3 $here/cdc_check.py"
fm="/usr/bin/python3 $here/fault_matrix_check.py"
export TXETL_SHARD_BUFFER_POOL=${TXETL_SHARD_BUFFER_POOL:-128M}
own_cluster "$work"
trap stop_own_cluster EXIT

t_start=$SECONDS
step() { echo; echo "=== [$((SECONDS - t_start))s] $*"; }
die() { echo "FAIL: $*"; exit 1; }
show() { sed 's/^/    | /' "$1" | grep -v -e ' INFO ' -e '^    | -*$' | head -${2:-8} || true; }
q() { mariadb --no-defaults --socket="$dir/shard$1/sock" -uroot -N -B -e "$2" 2>/dev/null || true; }
fx="--fx-rates $work/fx.csv"
load() { # log files...: an uninterrupted load, quiet
  local log=$1
  shift
  mpiexec -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot --rejects /dev/null "$@" \
    >"$log" 2>&1 || { show "$log" 20; die "load $* failed (log $work/$log)"; }
}

step "setup: 2 shards, a backfill extract and two change batches"
bash "$shards_sh" up 2 "$dir" | tail -1
"$build/txgen" --customers 400 --seed 61 --out big.csv --truth big.truth --shuffle --fx-out fx.csv
"$build/txgen" --changes 400 --truth-in big.truth --out ch.csv --truth ch.truth --seed 62
"$build/txgen" --changes 300 --truth-in big.truth --out ch2.csv --truth ch2.truth --seed 63
echo "    big.csv: $(($(wc -l <big.csv) - 1)) rows; ch.csv: $(cat ch.csv.counts); ch2.csv: $(cat ch2.csv.counts)"

# Reference states of uninterrupted runs: E empty, B = big, C = big + ch, B2 = big + ch2,
# C2 = big + ch + ch2, E2 = ch2 alone.
step "reference dumps of uninterrupted runs"
$check wipe "$cnf"
printf 'shard,transaction_id,customer_id,transaction_date,amount_cents,transaction_category,payment_method,currency,last_updated_us\n' >E.dump
load r1.log big.csv && $check dump "$cnf" B.dump && $check truth B.dump big.truth
load r2.log ch.csv && $check dump "$cnf" C.dump && $check truth C.dump ch.truth
load r3.log ch2.csv && $check dump "$cnf" C2.dump
$check wipe "$cnf"
load r4.log big.csv && load r5.log ch2.csv && $check dump "$cnf" B2.dump
$check truth B2.dump ch2.truth
$check wipe "$cnf"
load r6.log ch2.csv && $check dump "$cnf" E2.dump
refs="E=E.dump B=B.dump C=C.dump B2=B2.dump C2=C2.dump E2=E2.dump"
# after STATE BATCH: the reference state a batch leads to
after() {
  case "$1:$2" in
    E:big) echo B ;; B:big) echo B ;; B:ch) echo C ;; C:ch) echo C ;; B:ch2) echo B2 ;;
    C:ch2) echo C2 ;; E:ch2) echo E2 ;; *) die "no reference for $1 + $2" ;;
  esac
}

n_case=0
# case NAME BASE BATCH FAULT WHERE RANK NEXT EXPECT
#   BASE: E (empty cluster: BATCH=big is a backfill) or B (BATCH=ch is a change batch)
#   FAULT: kill (the rank at WHERE SIGKILLs itself) | server (rank pauses at WHERE, shard
#          RANK's... see below) | sigint (rank pauses at WHERE, mpiexec gets SIGINT)
#   NEXT: same | ch2 | snapshot
#   EXPECT: none (nothing written) | undone | completed | applied
#   NP: ranks of the failing run (default 2; with 1 rank, load.apply_one lies between the
#       applies of shard 0 and shard 1)
run_case() {
  local name=$1 base=$2 batch=$3 fault=$4 where=$5 rank=$6 next=$7 expect=$8 np=${9:-2}
  n_case=$((n_case + 1))
  step "$n_case. $name: $fault at $where (rank $rank of $np) of $batch over $base, then $next; expect $expect"
  $check wipe "$cnf"
  [[ $base == E ]] || load "$name.base.log" big.csv
  local prev
  prev=$($fm lastrun "$cnf")
  local snapopt=(--no-snapshot) action=pause
  [[ $where == load.reduce ]] && snapopt=(--snapshot-dir "snap-$name" --no-publish $fx)
  [[ $fault == kill ]] && action=kill
  TXETL_TEST_HOOK="$where:$rank:$action" mpiexec -n "$np" "$build/txetl" load --shards "$cnf" \
    --rejects /dev/null "${snapopt[@]}" "$batch.csv" >"$name.fail.log" 2>&1 &
  local job=$!
  bg_pids+=("$job")
  if [[ $fault != kill ]]; then
    local deadline=$((SECONDS + 60))
    until grep -q "paused at $where" "$name.fail.log"; do
      kill -0 "$job" 2>/dev/null || { show "$name.fail.log" 20; die "$name: the run ended before pausing at $where"; }
      ((SECONDS < deadline)) || die "$name: no pause at $where within 60 s"
      sleep 0.05
    done
    if [[ $where == load.apply ]]; then
      # the paused rank has not applied its shard; wait until the other rank applied its own
      local other=$((1 - rank)) st="" rid
      rid=$($fm pending "$cnf" | awk '{print $1}')
      deadline=$((SECONDS + 30))
      while [[ $st != applied ]] && ((SECONDS < deadline)); do
        st=$(q $other "SELECT state FROM Customer.run_journal WHERE run_id = '$rid'")
        sleep 0.05
      done
      [[ $st == applied ]] || die "$name: shard $other did not apply run $rid"
      echo "    shard $other applied run $rid, shard $rank has not"
    fi
    local paused
    paused=$(sed -n "s/.*paused at $where (pid \([0-9]*\)).*/\1/p" "$name.fail.log" | head -1)
    if [[ $fault == server ]]; then
      local spid
      spid=$(<"$dir/shard$rank/mariadbd.pid")
      kill -9 "$spid"
      while kill -0 "$spid" 2>/dev/null; do sleep 0.05; done
      echo "    killed shard $rank's mariadbd (pid $spid); letting rank $rank (pid $paused) go on"
      kill -USR1 "$paused" # the hook's pause ends, the run goes on against the dead server
    else
      kill -INT "$job"
      echo "    SIGINT to mpiexec (pid $job)"
    fi
  fi
  local rc=0 deadline=$((SECONDS + 90))
  while kill -0 "$job" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -0 "$job" 2>/dev/null && { kill -9 -- $(descendants "$job") "$job"; die "$name: the failed run still runs after 90 s"; }
  wait "$job" || rc=$?
  show "$name.fail.log" 4
  ((rc != 0)) || die "$name: the failed run exited 0"
  echo "    the failed run exited $rc"
  bash "$shards_sh" up 2 "$dir" >/dev/null
  local fid
  fid=$($fm lastrun "$cnf")
  [[ $fid == "$prev" ]] && fid=""
  if [[ $fault == sigint ]]; then
    grep -q "interrupted by SIG" "$name.fail.log" || die "$name: no 'interrupted by' message"
    grep -q "\[run $fid failed: " "$name.fail.log" || die "$name: the message does not say what happens to run $fid"
    for s in 0 1; do
      st=$(q $s "SELECT CONCAT(status, ' ', message) FROM Customer.etl_runs WHERE run_id = '$fid'")
      [[ $st == "failed "*"interrupted by SIG"* ]] || die "$name: shard $s etl_runs says '$st' for the interrupted run"
    done
    echo "    etl_runs: failed, interrupted; exit $rc"
  fi
  # status: read-only, names the unfinished run and what the next command does with it
  local pend
  pend=$($fm pending "$cnf")
  mpiexec -n 1 "$build/txetl" status --shards "$cnf" >"$name.status.log" 2>&1 || true
  [[ $($fm pending "$cnf") == "$pend" ]] || die "$name: txetl status changed the journal"
  # killed between the shards' applies, the other rank may still have applied its shard
  # before mpiexec took it down: then the run is complete as it stands
  if [[ $expect == completed && -z $pend ]]; then
    echo "    (every shard had applied run $fid before the job died: nothing left to complete)"
    expect=applied
  fi
  case $expect in
    completed) grep -q "unfinished run $fid: .*" "$name.status.log" && grep -q "completes it first" "$name.status.log" ||
      { cat "$name.status.log"; die "$name: status does not say that the next command completes run $fid"; } ;;
    undone) grep -q "undoes it first" "$name.status.log" ||
      { cat "$name.status.log"; die "$name: status does not say that the next command undoes run $fid"; } ;;
    *) [[ -z $pend ]] || die "$name: journals hold unfinished run(s) $pend, expected none" ;;
  esac
  # the next command
  local nrc=0
  case $next in
    same) mpiexec -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot --rejects /dev/null \
            "$batch.csv" >"$name.next.log" 2>&1 || nrc=$? ;;
    ch2) mpiexec -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot --rejects /dev/null \
           ch2.csv >"$name.next.log" 2>&1 || nrc=$? ;;
    snapshot) mpiexec -n 2 "$build/txetl" snapshot --shards "$cnf" --snapshot-dir "snap-$name" \
                --no-publish $fx >"$name.next.log" 2>&1 || nrc=$? ;;
  esac
  ((nrc == 0)) || { show "$name.next.log" 20; die "$name: the next command ($next) exited $nrc"; }
  case $expect in
    completed) grep -q "completing it now" "$name.next.log" || die "$name: the next command did not say it completed run $fid" ;;
    undone) grep -q "undoing it now" "$name.next.log" || die "$name: the next command did not say it undid run $fid" ;;
  esac
  grep -E "completing it now|undoing it now" "$name.next.log" | sed 's/^/    | /' || true
  [[ -z $($fm pending "$cnf") ]] || die "$name: a run is still unfinished after the next command"
  if [[ -n $fid ]]; then
    local got
    got=$($fm outcome "$cnf" "$fid" | tail -1)
    [[ $got == "$expect" ]] || { $fm outcome "$cnf" "$fid"; die "$name: run $fid ended '$got', expected '$expect'"; }
    echo "    run $fid: $got (etl_runs agrees on every shard)"
  else
    [[ $expect == none ]] || die "$name: the failed run left no etl_runs row, expected '$expect'"
  fi
  # the truth the outcome implies
  local mid want
  case $expect in completed | applied) mid=$(after "$base" "$batch") ;; *) mid=$base ;; esac
  case $next in same) want=$(after "$base" "$batch") ;; ch2) want=$(after "$mid" ch2) ;; snapshot) want=$mid ;; esac
  $check dump "$cnf" "$name.dump" >/dev/null
  local picked
  picked=$($fm pick "$name.dump" $refs)
  [[ " $picked " == *" $want "* ]] || die "$name: the shards equal reference '$picked', expected '$want'"
  echo "    shards = reference $want (no transaction_id twice)"
  $check revenue "$cnf"
  $cdc indexes "$cnf"
  if [[ $next == snapshot ]]; then
    $ana customers "$cnf" "snap-$name/latest.h5" fx.csv
    $ana revenue "$cnf" "snap-$name/latest.h5" fx.csv
  fi
  if [[ $where == load.reduce && -e snap-$name/latest.h5 && $next != snapshot ]]; then
    die "$name: a snapshot was written for the failed run"
  fi
}

# backfill into an empty cluster
run_case bf-scan-kill     E big kill   load.scan      1 same     none
run_case bf-decide-server E big server load.decide    1 same     undone
run_case bf-staged-kill   E big kill   load.staged    0 ch2      completed
run_case bf-apply-sigint  E big sigint load.apply     1 snapshot completed
run_case bf-reduce-sigint E big sigint load.reduce    0 same     applied
# a change batch over the backfill
run_case ch-decide-sigint B ch  sigint load.decide    0 ch2      undone
run_case ch-decide-kill   B ch  kill   load.decide    1 ch2      undone
run_case ch-apply-server  B ch  server load.apply     1 ch2      completed
run_case ch-apply1-kill   B ch  kill   load.apply_one 0 same     completed
run_case ch-apply-kill    B ch  kill   load.apply     1 same     completed
run_case ch-apply1-np1    B ch  kill   load.apply_one 0 ch2      completed 1
run_case ch-staged-sigint B ch  sigint load.staged    1 snapshot completed
run_case ch-scan-server   B ch  server load.scan      0 snapshot none
run_case ch-reduce-kill   B ch  kill   load.reduce    1 same     applied

echo
echo "fault_matrix_test: $n_case cases, all assertions held in $((SECONDS - t_start))s"
