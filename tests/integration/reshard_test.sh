#!/usr/bin/env bash
# reshard_test.sh BUILD_DIR WORK_DIR
# `txetl reshard` (docs/reshard.md) against real servers it starts itself: 2 shards under
# WORK/old and 3 empty servers under WORK/new, whose groups are appended renamed [shard2]..
# [shard4] to copies of the 2-shard file (s3.cnf: 3 groups, s5.cnf: 5 groups).
#  A. a txgen history and a change batch (so tombstones exist) loaded into 2 shards; a
#     snapshot; `--plan` writes nothing anywhere (a fingerprint of every table of all 5
#     servers before and after); 2 -> 3 at 1 rank; then: the shards equal the truth row for
#     row, each transaction once, in the shard its date belongs to by the new map;
#     revenue_daily equals a recount per shard; identity, map, directory placement (hash % 3),
#     etl_runs in every shard; directory entries and tombstones kept; rows per shard within
#     15% of the mean; the snapshot equals the one before (snapcmp --data-only: customers,
#     revenue and model; ints exact, floats 1e-9; the root attributes record the shard count).
#  B. the same history loaded again into wiped shards, 2 -> 3 at 2 ranks killed (test hook) after
#     its first chunk of rows was copied: the journal holds; load, snapshot and a reshard to
#     another count are refused (exit 2, message), status shows it; the rerun resumes and
#     gives exactly the shards of A (placement included).
#  C. a change batch with updates, moves across the new boundaries and deletes loaded into 3
#     shards: the truth, the counts txgen expects; its rerun changes nothing.
#  D. 3 -> 5 at 3 ranks: the same checks, snapshot equal to the one before; another batch and
#     its rerun; a rerun of the reshard does nothing; a smaller shard file is refused.
set -euo pipefail
build=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
check="/usr/bin/python3 $here/txcheck.py"
rs="/usr/bin/python3 $here/reshard_check.py"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export TXETL_SHARD_BUFFER_POOL=${TXETL_SHARD_BUFFER_POOL:-64M}
export TXETL_SHARD_LOG_FILE=${TXETL_SHARD_LOG_FILE:-48M}
txetl=$build/txetl
rm -rf "$work" && mkdir -p "$work" && cd "$work"
t_start=$SECONDS
step() { echo; echo "=== [$((SECONDS - t_start))s] $*"; }
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

down() {
  bash "$src/scripts/shards.sh" down "$work/old" --wipe >/dev/null 2>&1 || true
  bash "$src/scripts/shards.sh" down "$work/new" --wipe >/dev/null 2>&1 || true
}
trap down EXIT
bash "$src/scripts/shards.sh" up 2 "$work/old" --fresh --router >/dev/null
bash "$src/scripts/shards.sh" up 3 "$work/new" --fresh >/dev/null
old=$work/old/shards.cnf
router_sql() { mariadb --no-defaults --socket="$work/old/router/sock" -uroot -N Customer -e "$1"; }
# router_ok N DUMP: the router (refreshed by the reshard) reads the dump's rows through N
# partitions, one per shard
router_ok() {
  local want got parts
  want=$(awk -F, 'NR > 1' "$2" | wc -l)
  got=$(router_sql "SELECT COUNT(*) FROM TransactionsOptimized")
  parts=$(router_sql "SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA =
    'Customer' AND TABLE_NAME = 'TransactionsOptimized'")
  if [[ $got != "$want" || $parts != "$1" ]]; then
    fail "router: $got rows through $parts partitions, want $want through $1"
  else
    echo "ok: the router reads $got rows through $parts shard partitions"
  fi
}

# grow OUT K: the 2-shard file, then the first K groups of the new servers as [shard2]..
grow() {
  { cat "$old"; awk -v k="$2" '/^\[shard[0-9]+\]/ { i = substr($0, 7) + 0; keep = i < k;
      if (keep) print "[shard" i + 2 "]"; next } keep { print }' "$work/new/shards.cnf"; } >"$1"
  chmod 600 "$1"
}
grow s3.cnf 1
grow s5.cnf 3

# run NP LOG CMD ARGS...: one txetl command that must succeed
run() {
  local np=$1 log=$2
  shift 2
  local rc=0
  mpiexec --oversubscribe -n "$np" "$txetl" "$@" >"$log" 2>&1 || rc=$?
  grep -v ' INFO ' "$log" | sed 's/^/    | /' || true
  if ((rc != 0)); then
    echo "FAIL: txetl $* (-n $np) exited $rc (log $work/$log)"
    exit 1
  fi
}

# refused LOG WHAT CMD ARGS...: a txetl command that must exit 2 with WHAT in its message
refused() {
  local log=$1 what=$2
  shift 2
  local rc=0
  mpiexec --oversubscribe -n 2 "$txetl" "$@" >"$log" 2>&1 || rc=$?
  if ((rc != 2)) || ! grep -q -- "$what" "$log"; then
    fail "txetl $* exited $rc, want 2 with '$what' (log $work/$log)"
    sed 's/^/    | /' "$log" | head -5
  else
    echo "    refused as expected: $(grep -m1 'txetl:' "$log" | cut -c1-160)"
  fi
}

# checks LABEL CNF TRUTH: the state after a reshard or a load
checks() {
  $check dump "$2" "$1.dump"
  $check truth "$1.dump" "$3"
  $check revenue "$2"
  $rs cluster "$2"
  $rs balance "$2" 15
}

# resharded NP CNF X N TRUTH: the reshard onto CNF (N shards) at NP ranks (log X-reshard.log),
# then the state checks (label XN), the router through N partitions, and the directory totals
# as they were before it (X-dir-before.txt)
resharded() {
  run "$1" "$3-reshard.log" reshard --shards "$2"
  grep "reshard:" "$3-reshard.log" | tail -5
  checks "$3$4" "$2" "$5"
  router_ok "$4" "$3$4.dump"
  $rs dirtotals "$2" >"$3-dir-after.txt"
  cmp -s "$3-dir-before.txt" "$3-dir-after.txt" ||
    fail "directory totals changed: $(cat "$3-dir-after.txt")"
}

load() { # load NP LOG CNF FILE
  run "$1" "$2" load --shards "$3" --no-snapshot --rejects "$2.rejects.csv" "$4"
}
snap() { # snap CNF DIR
  run 2 "$2.log" snapshot --shards "$1" --snapshot-dir "$2" --no-publish --fx-rates fx.csv
}

"$build/txgen" --customers 2500 --seed 41 --out base.csv --truth base.truth --fx-out fx.csv \
  >/dev/null
"$build/txgen" --changes 1500 --truth-in base.truth --out b1.csv --truth t1.truth --seed 42 \
  >/dev/null
"$build/txgen" --changes 1500 --truth-in t1.truth --out b2.csv --truth t2.truth --seed 43 \
  >/dev/null
"$build/txgen" --changes 1500 --truth-in t2.truth --out b3.csv --truth t3.truth --seed 44 \
  >/dev/null
stale() { echo "read=$1 rejected=0 inserted=0 updated=0 moved=0 deleted=0 stale=$1 superseded=0"; }

# ---- A --------------------------------------------------------------------------------------
step "A. history + batch into 2 shards; --plan writes nothing; 2 -> 3 at 1 rank"
load 2 a-base.log "$old" base.csv
load 2 a-b1.log "$old" b1.csv
$check dump "$old" a-before.dump
$check truth a-before.dump t1.truth
$rs dirtotals "$old" | tee a-dir-before.txt
snap "$old" snap-a2
$rs fingerprint s5.cnf fp-before.txt
run 2 plan.log reshard --shards s3.cnf --plan
cat plan.log
$rs fingerprint s5.cnf fp-after.txt
cmp -s fp-before.txt fp-after.txt || fail "--plan changed a server: $(diff fp-before.txt fp-after.txt | head -5)"
grep -q "rows now" plan.log || fail "--plan printed no per-shard rows"
resharded 1 s3.cnf a 3 t1.truth
# the plan's "after" column is what the shards hold now
for i in 0 1 2; do
  want=$(sed -n "s/.*shard $i: .* after \([0-9]*\) .*/\1/p" plan.log)
  got=$(awk -F, -v s="$i" 'NR > 1 && $1 == s' a3.dump | wc -l)
  [[ $want == "$got" ]] || fail "shard $i holds $got rows, the plan said $want"
done
snap s3.cnf snap-a3
"$build/tests/snapcmp" --data-only snap-a2/latest.h5 snap-a3/latest.h5 || fail "snapshot after 2 -> 3 differs"
"$txetl" status --shards s3.cnf >a-status.txt
grep -q "^balance: rows per shard" a-status.txt || fail "status shows no balance"

# ---- B --------------------------------------------------------------------------------------
step "B. the same history again; 2 -> 3 at 2 ranks killed after its first chunk; refusals; resume"
$check wipe s3.cnf
load 2 b-base.log "$old" base.csv
load 2 b-b1.log "$old" b1.csv
rc=0
TXETL_TEST_HOOK=reshard.rows:1:kill mpiexec --oversubscribe -n 2 "$txetl" reshard \
  --shards s3.cnf >b-killed.log 2>&1 || rc=$?
((rc != 0)) || fail "the reshard with a kill hook exited 0"
$rs journal s3.cnf || fail "no journal after the killed reshard"
refused b-load.log "reshard of this cluster from 2 to 3 shards is unfinished" \
  load --shards s3.cnf --no-snapshot b2.csv
refused b-load-old.log "is unfinished" load --shards "$old" --no-snapshot b2.csv
refused b-snap.log "is unfinished" snapshot --shards s3.cnf --snapshot-dir snap-x --no-publish \
  --fx-rates fx.csv
refused b-other.log "from 2 to 3 shards is unfinished" reshard --shards s5.cnf
"$txetl" status --shards s3.cnf >b-status.txt 2>&1 || true
grep -q "reshard: UNFINISHED, 2 -> 3" b-status.txt || fail "status does not show the unfinished reshard"
run 2 b-resume.log reshard --shards s3.cnf
grep -q "resuming" b-resume.log || fail "the rerun did not resume"
checks b3 s3.cnf t1.truth
$check same a3.dump b3.dump

# ---- C --------------------------------------------------------------------------------------
step "C. a change batch into 3 shards, and its rerun"
load 2 c-b2.log s3.cnf b2.csv
# shellcheck disable=SC2046
$check runs s3.cnf $(cat b2.csv.counts)
checks c3 s3.cnf t2.truth
load 3 c-b2-rerun.log s3.cnf b2.csv
# shellcheck disable=SC2046
$check runs s3.cnf $(stale "$(sed 's/.*read=\([0-9]*\).*/\1/' b2.csv.counts)")
$check dump s3.cnf c3r.dump
$check same c3.dump c3r.dump

# ---- D --------------------------------------------------------------------------------------
step "D. 3 -> 5 at 3 ranks; a batch and its rerun"
snap s3.cnf snap-c3
$rs dirtotals s3.cnf >d-dir-before.txt
resharded 3 s5.cnf d 5 t2.truth
snap s5.cnf snap-d5
"$build/tests/snapcmp" --data-only snap-c3/latest.h5 snap-d5/latest.h5 || fail "snapshot after 3 -> 5 differs"
load 3 d-b3.log s5.cnf b3.csv
# shellcheck disable=SC2046
$check runs s5.cnf $(cat b3.csv.counts)
checks d5b s5.cnf t3.truth
load 2 d-b3-rerun.log s5.cnf b3.csv
$check dump s5.cnf d5r.dump
$check same d5b.dump d5r.dump
run 2 d-again.log reshard --shards s5.cnf
grep -q "nothing to do" d-again.log || fail "a rerun of a finished reshard did not say nothing to do"
refused d-smaller.log "only grows a cluster" reshard --shards s3.cnf
# a sixth group that is not an empty server: one of the cluster's own, a database holding a
# transaction, a database holding another cluster's identity
new0=$work/new/shard0/sock
mariadb --no-defaults --socket="$new0" -uroot -e "CREATE DATABASE Full; CREATE TABLE
  Full.TransactionsOptimized (transaction_id BIGINT UNSIGNED PRIMARY KEY); INSERT INTO
  Full.TransactionsOptimized VALUES (7); CREATE DATABASE Other; CREATE TABLE
  Other.cluster_identity LIKE Customer.cluster_identity; INSERT INTO Other.cluster_identity
  SELECT * FROM Customer.cluster_identity"
sixth() { { cat s5.cnf; printf '\n[shard5]\nsocket=%s\nuser=root\ndatabase=%s\n' "$1" "$2"; } >"$3"
  chmod 600 "$3"; }
sixth "$work/old/shard0/sock" Customer s6-dup.cnf
sixth "$new0" Full s6-full.cnf
sixth "$new0" Other s6-other.cnf
refused d-dup.log "\[shard0\] and \[shard5\] reach the same database" reshard --shards s6-dup.cnf
refused d-full.log "\[shard5\] is a new shard but database Full .* holds txetl data" \
  reshard --shards s6-full.cnf --plan
refused d-other.log "\[shard5\] is a new shard but reaches shard 2 of 5" \
  reshard --shards s6-other.cnf
$check dump s5.cnf d5x.dump
$check same d5b.dump d5x.dump

echo
if ((fails)); then
  echo "reshard_test: $fails check(s) failed" >&2
  exit 1
fi
echo "reshard_test: ok ($((SECONDS - t_start)) s)"
