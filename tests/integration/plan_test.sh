#!/usr/bin/env bash
# plan_test.sh BUILD_DIR SHARDS_CNF WORK_DIR
# `txetl load --plan` (docs/load.md) on the 2 shared shards, at 1 and 3 ranks, over the CDC
# scenario: the hand-written cases of tests/data/cdc_cases (a first load into a cluster without
# a database, moves across the shard boundary and back, deletes of ids never stored, ties,
# reruns, files without the optional columns), then a txgen base and two chained change batches
# (every change case, at 3 ranks). Before every real load, a --plan of the same files:
#  - prints the counts the real load then reports (the summary lines and --summary-json,
#    total and per shard, parsed and compared);
#  - leaves both servers exactly as they were: every database, every table's CHECKSUM TABLE
#    and SHOW CREATE TABLE (partitions included) compared before and after;
#  - works for a user with only SELECT on the database (one step of B);
#  - sends no write statement: the servers' general logs (SET GLOBAL general_log_file /
#    general_log) during the plan hold no INSERT/UPDATE/DELETE/REPLACE/CREATE/ALTER/DROP/
#    LOAD DATA; the same check on a real load's logs finds writes (so it can fail).
set -euo pipefail
build=$1 cnf=$2 work=$3
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
pc="/usr/bin/python3 $here/plan_check.py"
work_in "$work"
sdir=$(cd "$(dirname "$cnf")" && pwd)
q() { mariadb --no-defaults --socket="$sdir/shard$1/sock" -uroot -N -B -e "$2"; }
trap 'for i in 0 1; do q $i "SET GLOBAL general_log = 0; DROP USER IF EXISTS txplan@localhost" \
        2>/dev/null || true; done' EXIT

# Every user database and table of both servers: name, checksum, definition (partitions
# included); a few client calls per shard.
footprint() {
  local i db tabs t
  for i in 0 1; do
    echo "shard$i databases: $(q "$i" 'SHOW DATABASES' | tr '\n' ' ')"
    for db in $(q "$i" "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT
                        IN ('mysql','information_schema','performance_schema','sys') ORDER BY 1"); do
      tabs=$(q "$i" "SELECT GROUP_CONCAT(CONCAT('\`$db\`.\`', TABLE_NAME, '\`') ORDER BY
                     TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$db'")
      [[ $tabs == NULL ]] && continue
      q "$i" "CHECKSUM TABLE $tabs" | sed "s/^/shard$i /"
      echo "shard$i $db definitions $(q "$i" "$(for t in ${tabs//,/ }; do
        echo "SHOW CREATE TABLE $t;"; done)" | md5sum | cut -c1-12)"
    done
  done
}
# logged NAME CMD...: CMD runs with both servers' general logs going to NAME.s0.log, NAME.s1.log
logged() {
  local name=$1 i rc=0
  shift
  for i in 0 1; do
    : >"$PWD/$name.s$i.log"
    q $i "SET GLOBAL general_log_file = '$PWD/$name.s$i.log'; SET GLOBAL general_log = 1"
  done
  "$@" || rc=$?
  for i in 0 1; do q $i "SET GLOBAL general_log = 0"; done
  return $rc
}
txload() { # txload NP OUT [args...]: one txetl load (stdout+stderr to OUT) that must succeed
  local np=$1 out=$2
  shift 2
  mpiexec --oversubscribe -n "$np" "$build/txetl" load --shards "${TXCNF:-$cnf}" --no-snapshot --quiet \
    "$@" >"$out" 2>&1 || { sed 's/^/    | /' "$out"; die "txetl load -n $np $* failed"; }
}
# planned NP LABEL FILE... [options]: --plan, checked read-only, then the real load, compared.
planned() {
  local np=$1 label=$2
  shift 2
  footprint >"$label.before"
  TXCNF=${plan_cnf:-$cnf} logged "$label.plan" txload "$np" "$label.plan.out" --plan \
    --summary-json "$label.plan.json" --rejects "$label.plan.rej" "$@"
  footprint >"$label.after"
  diff "$label.before" "$label.after" >/dev/null ||
    { diff "$label.before" "$label.after"; die "$label: --plan changed a server"; }
  $pc writes "$label.plan.s0.log" "$label.plan.s1.log"
  grep -q "^  shard 1: versions" "$label.plan.out" || die "$label: the plan printed no per-shard line"
  if [[ $label == *-1 ]]; then # the check can fail: a real load's logs hold writes
    logged "$label.run" txload "$np" "$label.run.out" --summary-json "$label.run.json" \
      --rejects "$label.run.rej" "$@"
    $pc has-writes "$label.run.s0.log" "$label.run.s1.log"
    footprint >"$label.after-run" # and the footprint sees what a real load changes
    ! diff -q "$label.after" "$label.after-run" >/dev/null ||
      die "$label: the footprint of the servers did not change with the real load"
  else
    txload "$np" "$label.run.out" --summary-json "$label.run.json" --rejects "$label.run.rej" "$@"
  fi
  $pc same "$label.plan.out" "$label.run.out" "$label.plan.json" "$label.run.json"
}

"$build/txgen" --customers 400 --seed 41 --out base.csv --truth base.truth --dup-rate 0.1 \
  --shuffle >/dev/null 2>&1
"$build/txgen" --changes 400 --truth-in base.truth --out b1.csv --truth t1.truth --seed 42 >/dev/null
"$build/txgen" --changes 400 --truth-in t1.truth --out b2.csv --truth t2.truth --seed 43 >/dev/null

for np in 1 3; do
  step "A. hand-written CDC cases, $np rank(s): --plan before every load"
  $check wipe "$cnf" # no database at all: the plan must not create one
  planned $np a$np-0 "$cases/step0.csv"
  planned $np a$np-1 "$cases/run1.csv"
  grep -q "transaction 1: 2023-01-01 (shard 0) -> 2023-07-20 (shard 1)" a$np-1.plan.out ||
    die "a$np-1: the plan does not show the move of transaction 1 across the boundary"
  grep -q "transaction 100: never stored -> deleted" a$np-1.plan.out ||
    die "a$np-1: the plan does not show the delete of transaction 100"
  grep -q "transaction 5: 2023-01-05 (shard 0) -> deleted" a$np-1.plan.out ||
    die "a$np-1: the plan does not show the delete of transaction 5"
  planned $np a$np-2 --audit-inserts "$cases/run2.csv"
  grep -q "transaction 1: 2023-07-20 (shard 1) -> 2023-01-01 (shard 0)" a$np-2.plan.out ||
    die "a$np-2: the plan does not show the move of transaction 1 back"
  planned $np a$np-3 "$cases/run2.csv"
  planned $np a$np-4 "$cases/run3.csv"
  planned $np a$np-5 --audit-inserts "$cases/run4_partial.csv" "$cases/run4_full.csv"
  planned $np a$np-6 "$cases/run4_partial.csv" "$cases/run4_full.csv"
  $check dump "$cnf" a$np.dump >/dev/null
  $check truth a$np.dump "$cases/step5.truth"
done

step "B. txgen base + two chained change batches, 3 ranks"
$check wipe "$cnf"
for i in 0 1; do # an empty database this time
  q $i "CREATE DATABASE Customer CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"
done
planned 3 g3-0 base.csv
planned 3 g3-1 b1.csv
# a user with SELECT on the database only (and no other privilege) can plan
for i in 0 1; do
  q $i "CREATE USER IF NOT EXISTS txplan@localhost IDENTIFIED BY 'plan-pw';
        GRANT SELECT ON Customer.* TO txplan@localhost"
done
sed -e 's/^user=.*/user=txplan\npassword=plan-pw/' "$cnf" >select-only.cnf
chmod 600 select-only.cnf
plan_cnf=$PWD/select-only.cnf planned 3 g3-2 b2.csv
grep -q "^  shard 0: versions" g3-2.plan.out || die "the SELECT-only user's plan printed no plan"
planned 3 g3-3 b2.csv
$check dump "$cnf" g3.dump >/dev/null
$check truth g3.dump t2.truth
$check wipe "$cnf"
echo
echo "plan_test: all assertions held in $((SECONDS - t_start))s"
