#!/usr/bin/env bash
# cdc_test.sh BUILD_DIR SHARDS_CNF WORK_DIR
# Change-data-capture semantics (docs/shards.md, docs/load.md) against 2 real shards, with 1, 2 and 3 ranks:
#  A. hand-written cases (tests/data/cdc_cases, README there): deletes before the transaction
#     was ever stored then an older / a newer insert in a later run, a move across the shard
#     boundary and back, equal last_updated (stale), several versions of one id on different
#     dates in one file (ties: the later position wins), a rerun (all stale); then a change
#     file with only the required columns + last_updated together with a full one in one run
#     (docs/input.md "Columns a file does not have": updates and moves across the boundary keep the
#     stored category/payment_method/currency, inserts and resurrections take defaults, the
#     full file overwrites, present-but-empty = default) and its rerun;
#  B. a txgen base extract with duplicates, two chained txgen change batches (every case of
#     txgen's change mode) and a rerun of the last one;
#  after every run: the shards equal the expected truth row for row, etl_runs has exactly the
#  expected counts in every shard and reconciles, audit_log has exactly one row per counted
#  update/move/delete (and insert with --audit-inserts) with old/new values equal to the
#  truths, revenue_daily is exact; shard contents are identical for every rank count.
#  C. equivalence: base + batches = one load of the final live rows into a wiped cluster.
#  D. shards of an older txetl: an audit_log without the payment_method/currency columns is
#     repaired (its rows kept); a directory of format 1 is refused before anything is written.
set -euo pipefail
build=$1 cnf=$2 work=$3
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
cdc="/usr/bin/python3 $here/cdc_check.py"
work_in "$work"


# load NP LOG FILE... [options]: one txetl load that must succeed.
load() {
  local np=$1 log=$2
  shift 2
  local t0=$SECONDS rc=0
  mpiexec --oversubscribe -n "$np" "$build/txetl" load --shards "$cnf" --no-snapshot \
    --rejects "$log.rejects.csv" "$@" >"$log" 2>&1 || rc=$?
  sed 's/^/    | /' "$log" | grep -v ' INFO ' || true
  if ((rc != 0)); then
    echo "FAIL: txetl load -n $np $* exited $rc (log $work/$log)"
    exit 1
  fi
  echo "    load -n $np $* : $((SECONDS - t0))s"
}

# after LABEL TRUTH COUNTS: the state and the last run after one load.
after() {
  local label=$1 truth=$2 counts=$3
  $check dump "$cnf" "$label.dump"
  $check truth "$label.dump" "$truth"
  # shellcheck disable=SC2046
  $check runs "$cnf" $(cat "$counts")
  $check revenue "$cnf"
}

# ---- A. hand-written cases --------------------------------------------------------------
for np in 1 2 3; do
  step "A. hand-written cases, $np rank(s)"
  $check wipe "$cnf"
  load $np a$np-0.log "$cases/step0.csv"
  after a$np-0 "$cases/step0.truth" "$cases/step0.counts"
  $cdc bounds "$cnf" 2023-01-11 2023-07-01
  $cdc placement a$np-0.dump "$cases/step0.truth"
  $cdc audit "$cnf" /dev/null "$cases/step0.truth" --counts "$cases/step0.counts"

  load $np a$np-1.log "$cases/run1.csv"
  after a$np-1 "$cases/step1.truth" "$cases/step1.counts"
  $cdc placement a$np-1.dump "$cases/step1.truth"
  $cdc audit "$cnf" "$cases/step0.truth" "$cases/step1.truth" --counts "$cases/step1.counts"

  load $np a$np-2.log --audit-inserts "$cases/run2.csv"
  after a$np-2 "$cases/step2.truth" "$cases/step2.counts"
  $cdc placement a$np-2.dump "$cases/step2.truth"
  $cdc audit "$cnf" "$cases/step1.truth" "$cases/step2.truth" --counts "$cases/step2.counts" \
    --audit-inserts

  load $np a$np-3.log "$cases/run2.csv"
  after a$np-3 "$cases/step2.truth" "$cases/step3.counts"
  $cdc audit "$cnf" "$cases/step2.truth" "$cases/step2.truth" --counts "$cases/step3.counts"
  $check same a$np-2.dump a$np-3.dump

  # columns a file does not have (README there): non-default values first, then a file with
  # only id, customer, date, amount, last_updated and a full one in the same run
  load $np a$np-4.log "$cases/run3.csv"
  after a$np-4 "$cases/step4.truth" "$cases/step4.counts"
  $cdc audit "$cnf" "$cases/step2.truth" "$cases/step4.truth" --counts "$cases/step4.counts"

  load $np a$np-5.log --audit-inserts "$cases/run4_partial.csv" "$cases/run4_full.csv"
  after a$np-5 "$cases/step5.truth" "$cases/step5.counts"
  $cdc placement a$np-5.dump "$cases/step5.truth"
  $cdc audit "$cnf" "$cases/step4.truth" "$cases/step5.truth" --counts "$cases/step5.counts" \
    --audit-inserts

  load $np a$np-6.log "$cases/run4_partial.csv" "$cases/run4_full.csv"
  after a$np-6 "$cases/step5.truth" "$cases/step6.counts"
  $cdc audit "$cnf" "$cases/step5.truth" "$cases/step5.truth" --counts "$cases/step6.counts"
  $check same a$np-5.dump a$np-6.dump
  if [[ $np != 1 ]]; then
    for k in 0 1 2 3 4 5 6; do $check same a1-$k.dump a$np-$k.dump; done
  fi
done

# ---- B. generated base + two chained change batches + rerun -------------------------------
step "B. txgen base extract and two chained change batches"
"$build/txgen" --customers 1200 --seed 31 --out base.csv --truth base.truth --dup-rate 0.1 \
  --shuffle 2>&1 | tee base.gen
"$build/txgen" --changes 1200 --truth-in base.truth --out b1.csv --truth t1.truth --seed 32
"$build/txgen" --changes 1200 --truth-in t1.truth --out b2.csv --truth t2.truth --seed 33
cat b1.csv.counts b2.csv.counts
read_n=$(sed -n 's/.* \([0-9]*\) records.*/\1/p' base.gen)
ids=$(($(wc -l <base.truth) - 1))
echo "read=$read_n rejected=0 inserted=$ids updated=0 moved=0 deleted=0 stale=0" \
  "superseded=$((read_n - ids))" >base.counts
b2_read=$(sed 's/.*read=\([0-9]*\).*/\1/' b2.csv.counts)
echo "read=$b2_read rejected=0 inserted=0 updated=0 moved=0 deleted=0 stale=$b2_read" \
  "superseded=0" >rerun.counts

for np in 1 2 3; do
  step "B. base + b1 + b2 + rerun of b2, $np rank(s)"
  $check wipe "$cnf"
  load $np g$np-0.log base.csv
  after g$np-0 base.truth base.counts
  $cdc audit "$cnf" /dev/null base.truth --counts base.counts
  if [[ $np == 1 ]]; then # every change case is in each batch (moves across the boundary too)
    $cdc cases "$cnf" base.truth t1.truth b1.csv
    $cdc cases "$cnf" t1.truth t2.truth b2.csv
  fi

  load $np g$np-1.log b1.csv
  after g$np-1 t1.truth b1.csv.counts
  $cdc audit "$cnf" base.truth t1.truth --counts b1.csv.counts

  if [[ $np == 2 ]]; then
    load $np g$np-2.log --audit-inserts b2.csv
    $cdc audit "$cnf" t1.truth t2.truth --counts b2.csv.counts --audit-inserts
  else
    load $np g$np-2.log b2.csv
    $cdc audit "$cnf" t1.truth t2.truth --counts b2.csv.counts
  fi
  after g$np-2 t2.truth b2.csv.counts

  load $np g$np-3.log b2.csv
  after g$np-3 t2.truth rerun.counts
  $cdc audit "$cnf" t2.truth t2.truth --counts rerun.counts
  $check same g$np-2.dump g$np-3.dump
  if [[ $np != 1 ]]; then
    for k in 0 1 2 3; do $check same g1-$k.dump g$np-$k.dump; done
  fi
done
$cdc revdump "$cnf" incremental.rev

# ---- C. equivalence: incremental state = one load of the final live rows -------------------
step "C. base + b1 + b2 = one extract of t2.truth's live rows into a wiped cluster"
$cdc extract t2.truth final.csv
live=$(($(wc -l <final.csv) - 1))
# load_final LABEL: final.csv loaded (2 ranks) into the cluster as it is now stores what the
# incremental runs stored, and the same revenue.
load_final() {
  load 2 "$1.log" final.csv
  after "$1" t2.truth <(echo "read=$live inserted=$live superseded=0 stale=0")
  $cdc revdump "$cnf" "$1.rev"
  $cdc equiv g3-3.dump incremental.rev "$1.dump" "$1.rev"
}
$cdc savemap "$cnf" incremental.map
$check wipe "$cnf"
load_final final

step "C2. the same into a wiped cluster given the incremental cluster's boundaries: same rows per shard"
$check wipe "$cnf"
$cdc seedmap "$cnf" incremental.map "$here/../../sql/schema.sql"
load_final final2

# ---- D. shards of an older txetl ----------------------------------------------------------
step "D1. an audit_log without payment_method/currency columns gets them, its rows kept"
$check wipe "$cnf"
load 2 d-0.log "$cases/step0.csv"
load 2 d-1.log "$cases/run1.csv"
$cdc oldaudit "$cnf"
kept=$($cdc rows "$cnf" audit_log)
((kept == 6)) || { echo "FAIL: $kept audit rows after run1.csv, expected 6"; exit 1; }
load 2 d-2.log --audit-inserts "$cases/run2.csv"
after d-2 "$cases/step2.truth" "$cases/step2.counts"
$cdc auditcols "$cnf" "$kept"
$cdc audit "$cnf" "$cases/step1.truth" "$cases/step2.truth" --counts "$cases/step2.counts" \
  --audit-inserts

step "D2. a directory of format 1 (before payment_method/currency) is refused, nothing written"
$cdc oldlayout "$cnf" 1
$check dump "$cnf" d-old.dump
runs_before=$($cdc rows "$cnf" etl_runs)
audit_before=$($cdc rows "$cnf" audit_log)
rc=0
mpiexec --oversubscribe -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot \
  --rejects d-3.rejects.csv "$cases/run3.csv" >d-3.log 2>&1 || rc=$?
sed 's/^/    | /' d-3.log | grep -v ' INFO ' || true
((rc == 2)) || { echo "FAIL: a load onto a format-1 directory exited $rc, expected 2"; exit 1; }
grep -q "shard 1: txn_directory has the layout of an older txetl (directory format 1" d-3.log ||
  { echo "FAIL: no message naming shard 1 and the old directory format"; exit 1; }
grep -q "load the extracts again" d-3.log ||
  { echo "FAIL: the message does not say what to do"; exit 1; }
$check dump "$cnf" d-3.dump
$check same d-old.dump d-3.dump
[[ $($cdc rows "$cnf" etl_runs) == "$runs_before" && $($cdc rows "$cnf" audit_log) == \
   "$audit_before" ]] || { echo "FAIL: the refused run wrote etl_runs or audit_log rows"; exit 1; }
$check wipe "$cnf" # the shared shards must not keep the old layout for the tests after this one

echo
echo "cdc_test: all assertions held in $((SECONDS - t_start))s"
