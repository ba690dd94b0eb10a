#!/usr/bin/env bash
# serve_publish_test.sh BUILD_DIR WORK_DIR
# docs/serving.md analytics database on shards of its own (2 shards, [analytics] on the shard0 server
# by default): after a load with a snapshot, customer_scores / revenue_* / model_params /
# snapshots equal the snapshot (h5py); a reader polling all tables while further snapshots
# publish only ever sees one run_id across all tables; --no-publish publishes nothing; the BI
# role of sql/grants_analytics.sql reads but cannot write; the error names the group at fault;
# a load (and a `txetl snapshot`) whose publication fails keeps its rows and snapshot, exits 0
# with a warning naming the analytics server and the `txetl publish` to rerun, which then works;
# a snapshot without /cohorts (an older txetl's) publishes with the cohorts table empty.
set -euo pipefail
build=$1 work=$2
source "$(dirname "$0")/lib.sh"
work_in "$work"
dir=$(mktemp -d /tmp/txpub.XXXXXX)
poller=""
cleanup() {
  [[ -n $poller ]] && kill "$poller" 2>/dev/null || true
  "$src/scripts/shards.sh" down "$dir" --wipe >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$src/scripts/shards.sh" up 2 "$dir" --fresh
cnf=$dir/shards.cnf
sql() { mariadb --no-defaults --socket="$dir/shard0/sock" -uroot -N -e "$1"; }

"$build/txgen" --customers 3000 --seed 5 --out a.csv --truth a.truth --fx-out fx.csv >/dev/null
# txgen's extract holds USD, EUR and GBP: every snapshot converts with its rates
fx=(--fx-rates "$PWD/fx.csv")
# --no-publish: the snapshot is written, the analytics database is not
$mpirun -n 2 "$build/txetl" load --shards "$cnf" --snapshot-dir snaps --no-publish "${fx[@]}" a.csv
[[ -z $(sql "SHOW DATABASES LIKE 'CustomerAnalytics'") ]] || { echo "FAIL: --no-publish published"; exit 1; }
# the load's own hook publishes
$mpirun -n 2 "$build/txetl" load --shards "$cnf" --snapshot-dir snaps "${fx[@]}" a.csv 2>&1 |
  tee load.log
grep -q 'published .* to CustomerAnalytics (\[shard0\])' load.log
$serve values "$cnf" snaps/latest.h5

# a reader polling during further publications sees one snapshot at a time
rm -f stop
$serve poll "$cnf" stop seen.txt & poller=$!
sleep 1
for d in 2024-06-30 2024-09-30; do
  $mpirun -n 2 "$build/txetl" snapshot --shards "$cnf" --snapshot-dir snaps --as-of $d --quiet \
    "${fx[@]}"
  "$build/txetl" publish snaps/latest.h5 --shards "$cnf"
done
touch stop
wait "$poller"; poller=""
(( $(wc -l < seen.txt) >= 3 )) || { echo "FAIL: the poller saw only $(cat seen.txt)"; exit 1; }
$serve values "$cnf" snaps/latest.h5
# every publication has its row, the live one is the newest
[[ $(sql "SELECT COUNT(*) FROM CustomerAnalytics.snapshots") == 3 ]]
[[ -z $(sql "SHOW TABLES FROM CustomerAnalytics LIKE '%\\_new'") && \
   -z $(sql "SHOW TABLES FROM CustomerAnalytics LIKE '%\\_old'") ]]

# least privilege: a publisher account and a BI account from sql/grants_analytics.sql
mariadb --no-defaults --socket="$dir/shard0/sock" -uroot < "$src/sql/grants_analytics.sql"
sql "CREATE USER IF NOT EXISTS 'pub'@'localhost' IDENTIFIED BY 'pub-secret-1';
     GRANT txetl_publisher TO 'pub'@'localhost'; SET DEFAULT ROLE txetl_publisher FOR 'pub'@'localhost';
     CREATE USER IF NOT EXISTS 'bi'@'localhost' IDENTIFIED BY 'bi-secret-1';
     GRANT txetl_bi TO 'bi'@'localhost'; SET DEFAULT ROLE txetl_bi FOR 'bi'@'localhost';"
{ cat "$cnf"; printf '\n[analytics]\nsocket=%s\nuser=pub\npassword=pub-secret-1\n' "$dir/shard0/sock"; } > pub.cnf
chmod 600 pub.cnf
"$build/txetl" publish snaps/latest.h5 --shards pub.cnf --verbose 2> publish_verbose.log | tee publish.log
grep -q '(\[analytics\])' publish.log
! grep -q 'pub-secret-1' publish_verbose.log publish.log
$serve values pub.cnf snaps/latest.h5
printf '[analytics]\nsocket=%s\nuser=bi\npassword=bi-secret-1\n[shard0]\nsocket=%s\n' "$dir/shard0/sock" "$dir/shard0/sock" > bi.cnf
chmod 600 bi.cnf
$serve grants bi.cnf
# a publication the BI account attempts fails, names the group, and changes nothing
if "$build/txetl" publish snaps/latest.h5 --shards bi.cnf 2> bi_err.log; then
  echo "FAIL: publish with the BI account succeeded"; exit 1
fi
grep -q 'analytics server' bi_err.log
$serve values pub.cnf snaps/latest.h5

# A load whose publication fails (the [analytics] account lacks the grant): its rows and its
# snapshot stand, exit 0 with one warning naming the analytics server and the `txetl publish`
# to rerun, etl_runs says succeeded with that message on every shard, the --summary-json has
# it; the live tables are the previous snapshot's; that `txetl publish` then works.
t_fail=$SECONDS
"$build/txgen" --changes 300 --truth-in a.truth --out b.csv --truth b.truth --seed 6 >/dev/null
{ cat "$cnf"; printf '\n[analytics]\nsocket=%s\nuser=bi\npassword=bi-secret-1\n' "$dir/shard0/sock"; } > nogrant.cnf
chmod 600 nogrant.cnf
rc=0
$mpirun -n 2 "$build/txetl" load --shards nogrant.cnf --snapshot-dir snaps2 --summary-json nogrant.json \
  "${fx[@]}" b.csv > nogrant.log 2>&1 || rc=$?
grep -E 'WARN|publish' nogrant.log || true
[[ $rc == 0 ]] || { echo "FAIL: a load whose publication failed exited $rc"; exit 1; }
snap2=$(readlink -f snaps2/latest.h5)
run2=$(basename "$snap2" .h5); run2=${run2#snapshot-}
[[ -n $run2 && -f $snap2 ]] || { echo "FAIL: no snapshot in place after the failed publication"; exit 1; }
want="rows applied, snapshot written (snaps2/snapshot-$run2.h5), publish failed: "
[[ $(grep -c -F "$want" nogrant.log) == 1 ]] || { echo "FAIL: no (or more than one) warning '$want'"; exit 1; }
grep -F "$want" nogrant.log | grep -q "analytics server.*rerun \`txetl publish snaps2/snapshot-$run2.h5 --shards nogrant.cnf\`" ||
  { echo "FAIL: the warning does not name the server and the command"; exit 1; }
for s in 0 1; do
  st=$(mariadb --no-defaults --socket="$dir/shard$s/sock" -uroot -N -e \
       "SELECT CONCAT(status, '|', message) FROM Customer.etl_runs WHERE run_id = '$run2'")
  [[ $st == "succeeded|$want"* ]] || { echo "FAIL: shard $s etl_runs for $run2: '$st'"; exit 1; }
done
/usr/bin/python3 -c "import json, sys; j = json.load(open('nogrant.json')); sys.exit(not (j['status'] == 'succeeded' and j['warning'].startswith(sys.argv[1])))" "$want" ||
  { echo "FAIL: --summary-json: $(cat nogrant.json)"; exit 1; }
live() { sql "SELECT CONCAT((SELECT run_id FROM CustomerAnalytics.snapshots ORDER BY published DESC LIMIT 1), ' ', (SELECT MIN(run_id) FROM CustomerAnalytics.customer_scores), ' ', (SELECT MAX(run_id) FROM CustomerAnalytics.cohorts))"; }
run1=$(basename "$(readlink snaps/latest.h5)" .h5); run1=${run1#snapshot-}
[[ $(live) == "$run1 $run1 $run1" ]] || { echo "FAIL: the live tables are $(live), not run $run1's"; exit 1; }
"$build/txetl" publish snaps2/latest.h5 --shards pub.cnf
$serve values pub.cnf snaps2/latest.h5
# the analytics server unreachable: `txetl snapshot` too writes its snapshot and warns, exit 0
{ cat "$cnf"; printf '\n[analytics]\nsocket=%s\nuser=root\n' "$dir/no-such.sock"; } > noserver.cnf
chmod 600 noserver.cnf
$mpirun -n 2 "$build/txetl" snapshot --shards noserver.cnf --snapshot-dir snaps3 "${fx[@]}" \
  > noserver.log 2>&1 || { cat noserver.log; echo "FAIL: txetl snapshot failed on the publication"; exit 1; }
grep -q "WARN  snapshot written (snaps3/snapshot-.*), publish failed: .*analytics server.*no-such.sock.*rerun \`txetl publish snaps3/snapshot-" noserver.log ||
  { cat noserver.log; echo "FAIL: no warning naming the unreachable analytics server"; exit 1; }
[[ -f snaps3/latest.h5 ]]
[[ $(live) == "$run2 $run2 $run2" ]] || { echo "FAIL: the live tables changed: $(live)"; exit 1; }

# A snapshot of a txetl before /cohorts (format_version 2 without the group): published, with
# the cohorts table empty for it and a one-line note
/usr/bin/python3 -c "import h5py, shutil; shutil.copy('snaps2/latest.h5', 'old.h5'); del h5py.File('old.h5', 'r+')['cohorts']"
"$build/txetl" publish old.h5 --shards pub.cnf > old.log
cat old.log
[[ $(grep -c '^note: old.h5 has no /cohorts' old.log) == 1 ]] || { echo "FAIL: no note for the missing /cohorts"; exit 1; }
[[ $(sql "SELECT COUNT(*) FROM CustomerAnalytics.cohorts") == 0 ]]
$serve values pub.cnf old.h5
echo "publication failures and the snapshot without /cohorts: $((SECONDS - t_fail)) s"

# timing line (docs/serving.md)
grep -o 'in [0-9.]* s (read.*' publish.log
echo "serve_publish: ok"
