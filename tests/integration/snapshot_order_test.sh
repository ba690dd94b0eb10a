#!/usr/bin/env bash
# snapshot_order_test.sh BUILD_DIR CNF WORK_DIR
# No snapshot is in place for a run that is not marked succeeded (docs/load.md "A failed run",
# docs/serving.md "When a publication fails"). On the shared 2-shard fixture, 2 ranks, the
# analytics database on the shard0 server (no [analytics] group):
#   1. a load A with a snapshot: latest.h5 and the analytics tables are A's;
#   2. load B (a change batch) SIGKILLed at load.reduced (snapshot written under its temporary
#      name, run not yet marked succeeded): latest.h5, the snapshot files and the analytics
#      tables are still A's, B's etl_runs row is not succeeded; the same load next marks B
#      failed (abandoned, its rows applied: nothing left to change), writes and publishes a
#      snapshot equal to the shards;
#   3. load C (another batch) SIGKILLed at load.succeeded (run marked succeeded, its snapshot
#      not yet in place): etl_runs says succeeded, latest.h5 and the tables are unchanged;
#      `txetl snapshot` next (nothing to resolve) puts a snapshot equal to the shards in place.
set -euo pipefail
build=$1 cnf=$2 work=$3
source "$(dirname "$0")/lib.sh"
work_in "$work"
sq() { # SHARD SQL
  local sock
  sock=$(awk -v g="[shard$1]" '$0 == g {f = 1; next} /^\[/ {f = 0} f && /^socket/ {sub(/^socket *= */, ""); print}' "$cnf")
  mariadb --no-defaults --socket="$sock" -uroot -N -B -e "$2"
}
fm="/usr/bin/python3 $here/fault_matrix_check.py"
txetl=$build/txetl
"$build/txgen" --customers 300 --seed 71 --out a.csv --truth a.truth --fx-out fx.csv >/dev/null
"$build/txgen" --changes 200 --truth-in a.truth --out b.csv --truth b.truth --seed 72 >/dev/null
"$build/txgen" --changes 150 --truth-in b.truth --out c.csv --truth c.truth --seed 73 >/dev/null
opts=(--shards "$cnf" --snapshot-dir snaps --rejects /dev/null --fx-rates "$PWD/fx.csv")
live() { sq 0 "SELECT (SELECT run_id FROM CustomerAnalytics.snapshots ORDER BY published DESC LIMIT 1), (SELECT MIN(run_id) FROM CustomerAnalytics.customer_scores), (SELECT MAX(run_id) FROM CustomerAnalytics.cohorts)"; }
latest() { basename "$(readlink snaps/latest.h5)" .h5 | sed 's/^snapshot-//'; }
runs() { # RUN: "status" on each shard
  local s
  for s in 0 1; do sq $s "SELECT status FROM Customer.etl_runs WHERE run_id = '$1'"; done | sort -u | xargs
}
# killed_load HOOK FILE LOG: the 2-rank load of FILE with TXETL_TEST_HOOK=HOOK (a rank killed)
# fails; rc = its exit status.
killed_load() {
  rc=0
  TXETL_TEST_HOOK=$1 $mpirun -n 2 "$txetl" load "${opts[@]}" "$2" > "$3" 2>&1 || rc=$?
  ((rc != 0)) || fail "the killed load exited 0"
}

step "1. load A with a snapshot, published"
$mpirun -n 2 "$txetl" load "${opts[@]}" a.csv > a.log 2>&1 || { cat a.log; fail "load A"; exit 1; }
A=$($fm lastrun "$cnf")
[[ $(latest) == "$A" ]] || fail "latest.h5 is $(latest), not run $A"
[[ $(live) == "$A"$'\t'"$A"$'\t'"$A" ]] || fail "analytics tables: $(live), not run $A"
grep -q "snapshot in place: snaps/snapshot-$A.h5" a.log || fail "no 'snapshot in place' line"
echo "    run $A: latest.h5 and the analytics tables"

step "2. load B killed at load.reduced: nothing of B's snapshot is in place"
killed_load load.reduced:0:kill b.csv b.log
B=$($fm lastrun "$cnf")
[[ $B != "$A" ]] || fail "load B wrote no etl_runs row"
[[ $(runs "$B") == running ]] || fail "run $B: etl_runs says '$(runs "$B")', expected running (killed)"
[[ -e snaps/.snapshot-$B.h5.tmp ]] || fail "B's snapshot was not staged under its temporary name"
[[ ! -e snaps/snapshot-$B.h5 ]] || fail "snaps/snapshot-$B.h5 is in place for a run not succeeded"
[[ $(latest) == "$A" ]] || fail "latest.h5 points at $(latest), not at A's"
[[ $(live) == "$A"$'\t'"$A"$'\t'"$A" ]] || fail "analytics tables changed: $(live)"
[[ -z $($fm pending "$cnf") ]] || fail "journals hold $($fm pending "$cnf") (every shard had applied)"
echo "    exit $rc; run $B running, staged file only; latest.h5 and the tables still run $A"
mpiexec -n 1 "$txetl" status --shards "$cnf" > b.status 2>&1 || true
sed 's/^/    | /' b.status | head -12
$mpirun -n 2 "$txetl" load "${opts[@]}" b.csv > s.log 2>&1 || { cat s.log; fail "the same load after the kill"; }
S=$(latest)
[[ $S != "$A" && $S != "$B" && -e snaps/snapshot-$S.h5 ]] || fail "the next load put no snapshot of its own in place ($S)"
[[ $(live) == "$S"$'\t'"$S"$'\t'"$S" ]] || fail "analytics tables after the next load: $(live), not $S"
st=$(sq 0 "SELECT CONCAT(status, ': ', COALESCE(message, '')) FROM Customer.etl_runs WHERE run_id = '$B'")
[[ $(runs "$B") == failed && $st == *"abandoned"*"applied on every shard (no snapshot was written for it)"* ]] ||
  fail "run $B after the next load: $st"
[[ $(sq 0 "SELECT rows_inserted + rows_updated + rows_moved + rows_deleted FROM Customer.etl_runs WHERE run_id = '$S'") == 0 ]] ||
  fail "the same batch again changed rows: B had not been applied"
$ana customers "$cnf" snaps/latest.h5 fx.csv
/usr/bin/python3 "$here/serve_check.py" values "$cnf" snaps/latest.h5
echo "    the same load again: $S in place and published; run $B: $st"

step "3. load C: rank 0 (it puts the snapshot in place) killed at load.succeeded; then txetl snapshot"
killed_load load.succeeded:0:kill c.csv c.log
C=$($fm lastrun "$cnf")
[[ $C != "$B" && $(runs "$C") == succeeded ]] || fail "run $C: etl_runs says '$(runs "$C")', expected succeeded"
[[ ! -e snaps/snapshot-$C.h5 && $(latest) == "$S" ]] || fail "C's snapshot in place ($(latest))"
[[ $(live) == "$S"$'\t'"$S"$'\t'"$S" ]] || fail "analytics tables changed: $(live)"
$mpirun -n 2 "$txetl" snapshot --shards "$cnf" --snapshot-dir snaps --fx-rates "$PWD/fx.csv" > c2.log 2>&1 ||
  { cat c2.log; fail "txetl snapshot after C"; }
grep -qE "completing it now|undoing it now" c2.log && fail "txetl snapshot after C resolved a run: $(grep -E 'it now' c2.log)"
D=$(latest)
[[ $D != "$S" && $(live) == "$D"$'\t'"$D"$'\t'"$D" ]] || fail "txetl snapshot: latest $D, tables $(live)"
$ana customers "$cnf" snaps/latest.h5 fx.csv
$ana revenue "$cnf" snaps/latest.h5 fx.csv
echo "    run $C succeeded without its snapshot in place; txetl snapshot next: $D in place and published"
ls -a snaps | sed 's/^/    | /'
finish snapshot_order
