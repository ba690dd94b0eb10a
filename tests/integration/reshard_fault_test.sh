#!/usr/bin/env bash
# shellcheck disable=SC2046  # pid lists are split into words on purpose
# reshard_fault_test.sh BUILD_DIR WORK_DIR
# `txetl reshard` interrupted at each of its phases, then rerun (docs/reshard.md: killed at any
# point, the rerun reaches the same end state), on 3 shards of its own (scripts/shards.sh under
# WORK_DIR: up 2, then up 3 grows it; stopped and wiped on exit). One history (a txgen extract
# and a change batch with updates, moves and deletes, so the directory holds tombstones) is
# loaded into shards 0 and 1 (the 2-group file) before every case, then resharded onto 3.
#   reference: an uninterrupted 2-rank reshard, once: its end state = the txgen truth, each
#     transaction once, in the shard its date now belongs to, revenue_daily = GROUP BY;
#     per-shard dumps of TransactionsOptimized, revenue_daily, txn_directory, shard_map and
#     cluster_identity kept;
#   cases (each: reset, load, interrupted reshard, then checks, then the rerun):
#     rank SIGKILL (hook kill) at every phase: journal, rows, revenue, directory, switch,
#       cleanup (2 ranks; rows once more with 3 ranks, rank 1);
#     a source shard's mariadbd (shard 0: it only sends) and the target shard's (shard 2: it
#       only receives) SIGKILLed while rank 0 is paused at reshard.rows, then the paused rank
#       SIGKILLed (the run fails); the server restarted with shards.sh;
#     SIGINT to mpiexec while rank 1 is paused at reshard.rows;
#     a bigger history (~210k rows, more than one 50,000-row chunk from shard 1 to shard 2):
#       rank 1 SIGKILLed after the first chunk reached the target, before it left the source
#       (TXETL_RESHARD_FAULT_BIG=0 skips it);
#   after the last of them, a change batch loaded into the resharded cluster gives the truth;
#   after each interruption: a kill at rows leaves rows in two shards, which the end-state check
#   must report (so it can fail); while a journal is in the shards (every case but cleanup,
#   whose kill may come after the last one went), `txetl load` with the new and with the old
#   shard file is refused with exit 2, the message naming the unfinished reshard (and `txetl
#   snapshot` too, in the rows case); the rerun of the same reshard command exits 0 and the
#   per-shard dumps equal the reference's, no journal left, no transaction stored twice.
set -euo pipefail
build=$(realpath -- "$1")
work=$(realpath -m -- "$2")
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
rcheck="/usr/bin/python3 $here/reshard_fault_check.py"
shards_sh="$src/scripts/shards.sh"
export TXETL_SHARD_BUFFER_POOL=${TXETL_SHARD_BUFFER_POOL:-128M} TXETL_SHARD_LOG_FILE=${TXETL_SHARD_LOG_FILE:-96M}
rm -rf "$work" && mkdir -p "$work" && cd "$work"
dir=$work/s   # short: unix socket paths are limited to 107 bytes
if ((${#dir} > 80)); then dir=$(mktemp -d /tmp/txrsf.XXXXXX)/s; fi
cnf2=$work/old.cnf   # the cluster's 2 groups, as before growing
cnf=$dir/shards.cnf  # 3 groups: the 2 unchanged, then the new empty server
: "${TXETL_RESHARD_FAULT_CUSTOMERS:=2500}"

cleanup() { # lib.sh's stop (background processes, the shards), then the short socket folder
  stop_own_cluster
  [[ $dir == /tmp/txrsf.* ]] && rm -rf "${dir%/s}"
  return 0
}
trap cleanup EXIT

die() { echo "FAIL: $*" >&2; exit 1; } # to stderr (lib.sh's: stdout)
show() { sed 's/^/    | /' "$1" | grep -v ' INFO ' | tail -n "${2:-6}"; }

step "setup: 2 shards, a history, then grown to 3"
bash "$shards_sh" up 2 "$dir" | tail -1
cp -p "$cnf" "$cnf2"
bash "$shards_sh" up 3 "$dir" | tail -1
"$build/txgen" --customers "$TXETL_RESHARD_FAULT_CUSTOMERS" --seed 61 --shuffle --out h.csv --truth h.truth
"$build/txgen" --changes 1500 --truth-in h.truth --out ch.csv --truth ch.truth --seed 62
echo "history: $(($(wc -l <h.csv) - 1)) records + $(($(wc -l <ch.csv) - 1)) changes"

# reset: every shard back to an empty Customer (other connections ended first).
reset() { bash "$here/shards_reset.sh" "$dir" 3 -- true >/dev/null; }
history=(h.csv ch.csv) ref=ref   # what load2 loads, and the reference dumps the cases compare with
load2() { # the history into shards 0 and 1 (2 ranks): the extract, then the change batch
  local f
  for f in "${history[@]}"; do
    mpiexec --oversubscribe -n 2 "$build/txetl" load --shards "$cnf2" --no-snapshot --quiet \
      --rejects "$work/load.rejects.csv" "$f" >"$work/load.log" 2>&1 ||
      { show "$work/load.log" 20; die "loading $f into 2 shards failed"; }
  done
}
reshard() { # np log [env...]: the reshard in the foreground, its exit status
  local np=$1 log=$2
  shift 2
  timeout 180 env "$@" mpiexec --oversubscribe -n "$np" "$build/txetl" reshard --shards "$cnf" \
    >"$log" 2>&1
}
# Starts the reshard in the background (SIGINT at its default, so mpiexec can be interrupted
# like on a terminal); sets $job.
reshard_bg() { # np log hook
  env --default-signal=INT TXETL_TEST_HOOK="$3" \
    mpiexec --oversubscribe -n "$1" "$build/txetl" reshard --shards "$cnf" >"$2" 2>&1 &
  job=$!
  bg_pids+=("$job")
}
# Waits (max 90 s) for mpiexec $job to end; its exit status in $rc.
wait_job() {
  local deadline=$((SECONDS + 90))
  while kill -0 "$job" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$job" 2>/dev/null; then
    kill -9 -- $(descendants "$job") "$job" 2>/dev/null || true
    fail "mpiexec $job still running 90 s after the interruption (killed)"
  fi
  rc=0
  wait "$job" || rc=$?
}
# Waits (max 60 s) for "paused at WHERE" in log $1; sets $paused to the paused pid.
wait_paused() {
  local deadline=$((SECONDS + 60))
  paused=""
  while ((SECONDS < deadline)) && kill -0 "$job" 2>/dev/null; do
    paused=$(sed -n "s/.*txetl test hook: rank [0-9]* paused at $2 (pid \([0-9]*\)).*/\1/p" "$1" | head -n1)
    [[ -n $paused ]] && return 0
    sleep 0.1
  done
  return 1
}
kill_server() { # shard
  local pid
  pid=$(<"$dir/shard$1/mariadbd.pid")
  kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  echo "    killed shard $1's mariadbd (pid $pid)"
}

# ---- reference -------------------------------------------------------------------------------
step "reference: uninterrupted reshard 2 -> 3 shards (2 ranks)"
reset
load2
$check dump "$cnf2" pre.dump
$check truth pre.dump ch.truth || fail "the history loaded into 2 shards is not the txgen truth"
t0=$SECONDS
reshard 2 ref.log || { show ref.log 30; die "the uninterrupted reshard failed (exit $?)"; }
show ref.log 4
echo "    reshard: $((SECONDS - t0)) s"
$check dump "$cnf" ref.dump
$check truth ref.dump ch.truth || fail "reference: the resharded cluster is not the txgen truth"
$check revenue "$cnf" || fail "reference: revenue_daily or placement wrong"
$rcheck state "$cnf" || fail "reference: end state"
$rcheck dump "$cnf" ref
for i in 0 1 2; do
  echo "    shard$i: $(($(wc -l <ref/shard$i.tx))) rows, $(($(wc -l <ref/shard$i.dir))) directory blocks," \
    "map $(head -c 200 ref/shard$i.map | tr '\n\t' '; ')"
done
[[ $(wc -l <ref/shard2.tx) -gt 1 ]] || fail "reference: the new shard received no rows"

# ---- the cases ---------------------------------------------------------------------------
# after_interruption NAME RC LOG: the checks while the reshard is unfinished, then the rerun.
after_interruption() {
  local name=$1 rc=$2 log=$3 np=${4:-2} j lrc
  echo "    interrupted run exited $rc"; show "$log" 3
  ((rc != 0)) || fail "$name: the interrupted reshard exited 0"
  bash "$shards_sh" up 3 "$dir" >"$name.up.log" 2>&1 || { cat "$name.up.log"; die "$name: restarting the shards failed"; }
  if [[ $name == rank-rows* ]]; then
    # Killed between a chunk's write into its target and its removal from the source: those
    # rows are in two shards now, and the end-state check must see it (it can fail).
    if $rcheck state "$cnf" >"$name.state" 2>&1; then
      fail "$name: the interrupted cluster passes the end-state check"
    elif ! grep -q 'stored more than once' "$name.state"; then
      fail "$name: the interrupted cluster holds no transaction twice: $(head -3 "$name.state")"
    else
      echo "    interrupted state (as expected): $(grep -o '[0-9]* transaction ids stored more than once' "$name.state")"
    fi
  fi
  j=$($rcheck journals "$cnf")
  echo "    journal in $j of 3 shards"
  if ((j > 0)); then
    lrc=0
    timeout 60 mpiexec --oversubscribe -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot \
      --rejects "$name.rej.csv" ch.csv >"$name.load.log" 2>&1 || lrc=$?
    ((lrc == 2)) || fail "$name: a load during the unfinished reshard exited $lrc, want 2"
    grep -qi 'reshard' "$name.load.log" ||
      fail "$name: the refused load's message does not name the reshard: $(grep -v INFO "$name.load.log" | head -3)"
    echo "    load (new file) refused: exit $lrc: $(grep -i reshard "$name.load.log" | head -n1)"
    lrc=0
    timeout 60 mpiexec --oversubscribe -n 2 "$build/txetl" load --shards "$cnf2" --no-snapshot \
      --rejects "$name.rej2.csv" ch.csv >"$name.load2.log" 2>&1 || lrc=$?
    ((lrc == 2)) || fail "$name: a load with the old shard file during the unfinished reshard exited $lrc, want 2"
    echo "    load (old file) refused: exit $lrc: $(grep -v INFO "$name.load2.log" | head -n1)"
    if [[ $name == rank-rows ]]; then
      lrc=0
      timeout 60 "$build/txetl" snapshot --shards "$cnf" --snapshot-dir "$name.snap" \
        >"$name.snap.log" 2>&1 || lrc=$?
      ((lrc == 2)) || fail "$name: a snapshot during the unfinished reshard exited $lrc, want 2"
      echo "    snapshot refused: exit $lrc: $(grep -v INFO "$name.snap.log" | head -n1)"
    fi
  elif [[ $name != *cleanup* ]]; then
    fail "$name: no shard holds a reshard journal after an interruption past the journal phase"
  fi
  local t0=$SECONDS rrc=0
  reshard "$np" "$name.rerun.log" || rrc=$?
  show "$name.rerun.log" 2
  echo "    rerun (-n $np): exit $rrc in $((SECONDS - t0)) s"
  ((rrc == 0)) || { show "$name.rerun.log" 20; fail "$name: the rerun exited $rrc"; return 0; }
  $rcheck state "$cnf" || fail "$name: end state after the rerun"
  $rcheck dump "$cnf" "$name.out" >/dev/null
  diff -rq "$ref" "$name.out" || { fail "$name: the rerun's end state differs from the uninterrupted reshard's";
    diff -r "$ref" "$name.out" | head -10; }
}

case_rank_kill() { # phase rank np [name suffix]
  local name=rank-$1${4:+-$4} rc=0
  (($3 == 2)) || name=rank-$1-np$3
  step "$name: rank $2 of $3 SIGKILLs itself at reshard.$1"
  reset
  load2
  reshard "$3" "$name.log" TXETL_TEST_HOOK="reshard.$1:$2:kill" || rc=$?
  grep -q "rank $2 killed at reshard.$1" "$name.log" || fail "$name: the hook did not fire (phase $1 never reached?)"
  after_interruption "$name" "$rc" "$name.log" "$3"
}

case_server_kill() { # role shard
  local name=server-$1 rc=0
  step "$name: shard $2's mariadbd SIGKILLed while rank 0 is paused at reshard.rows"
  reset
  load2
  reshard_bg 2 "$name.log" "reshard.rows:0:pause"
  wait_paused "$name.log" reshard.rows || { fail "$name: rank 0 did not pause at reshard.rows"; show "$name.log" 10; }
  kill_server "$2"
  sleep 2 # the other rank may run into the dead server meanwhile
  [[ -n $paused ]] && kill -9 "$paused" 2>/dev/null && echo "    killed the paused rank (pid $paused)"
  wait_job
  after_interruption "$name" "$rc" "$name.log"
}

case_sigint() {
  local name=sigint rc=0
  step "$name: SIGINT to mpiexec while rank 1 is paused at reshard.rows"
  reset
  load2
  reshard_bg 2 "$name.log" "reshard.rows:1:pause"
  wait_paused "$name.log" reshard.rows || { fail "$name: rank 1 did not pause at reshard.rows"; show "$name.log" 10; }
  kill -INT "$job"
  echo "    SIGINT to mpiexec (pid $job)"
  wait_job
  # every rank stops at its next step with a message (mpiexec forwards the signal as SIGTERM)
  grep -q "interrupted by SIG" "$name.log" || { show "$name.log" 10; fail "$name: no 'interrupted by' message"; }
  after_interruption "$name" "$rc" "$name.log"
}

ranks=(0 1)
i=0
for phase in journal rows revenue directory switch cleanup; do
  case_rank_kill "$phase" "${ranks[i % 2]}" 2
  i=$((i + 1))
done
case_rank_kill rows 1 3
case_server_kill source 0
case_server_kill target 2
case_sigint

# The cluster the last rerun left takes a change batch like any other (3 ranks, the new file).
step "after the last rerun: a change batch (updates, moves across the new boundaries, deletes)"
"$build/txgen" --changes 1200 --truth-in ch.truth --out ch2.csv --truth ch2.truth --seed 64 >/dev/null
cat ch2.csv.counts
mpiexec --oversubscribe -n 3 "$build/txetl" load --shards "$cnf" --no-snapshot --quiet \
  --rejects ch2.rejects.csv ch2.csv >ch2.log 2>&1 || { show ch2.log 20; fail "the change batch after the reshard failed"; }
$check dump "$cnf" ch2.dump >/dev/null
$check truth ch2.dump ch2.truth || fail "after the change batch: not the txgen truth"
$check revenue "$cnf" || fail "after the change batch: revenue_daily or placement wrong"
$rcheck state "$cnf" || fail "after the change batch: end state"

# ---- several chunks: a history big enough that shard 1 sends shard 2 more than one chunk of
# rows (50,000), killed after the first chunk was written into the target but before it was
# removed from the source; the rerun against an uninterrupted reshard of that history.
if [[ ${TXETL_RESHARD_FAULT_BIG:-1} == 1 ]]; then
  step "big history: ~210k rows, its uninterrupted reshard"
  "$build/txgen" --customers 30000 --seed 63 --shuffle --out big.csv --truth big.truth >/dev/null
  history=(big.csv) ref=bigref
  reset
  load2
  reshard 2 bigref.log || { show bigref.log 30; die "the uninterrupted reshard of the big history failed"; }
  show bigref.log 5
  $check dump "$cnf" bigref.dump >/dev/null
  $check truth bigref.dump big.truth || fail "big reference: not the txgen truth"
  $rcheck state "$cnf" || fail "big reference: end state"
  $rcheck dump "$cnf" bigref
  recv=$(($(wc -l <bigref/shard2.tx)))
  echo "    shard 2 received $recv rows"
  ((recv > 50000)) || fail "big reference: shard 2 received $recv rows, not more than one chunk (50,000)"
  case_rank_kill rows 1 2 big
fi

step "done in $((SECONDS - t_start)) s"
if ((fails)); then echo "reshard_fault: $fails check(s) failed" >&2; exit 1; fi
echo "reshard_fault: ok"
