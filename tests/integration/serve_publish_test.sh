#!/usr/bin/env bash
# serve_publish_test.sh BUILD_DIR WORK_DIR
# docs/serving.md analytics database on shards of its own (2 shards, [analytics] on the shard0 server
# by default): after a load with a snapshot, customer_scores / revenue_* / model_params /
# snapshots equal the snapshot (h5py); a reader polling all tables while further snapshots
# publish only ever sees one run_id across all tables; --no-publish publishes nothing; the BI
# role of sql/grants_analytics.sql reads but cannot write; the error names the group at fault.
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

"$build/txgen" --customers 3000 --seed 5 --out a.csv --fx-out fx.csv >/dev/null
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
# timing line (docs/serving.md)
grep -o 'in [0-9.]* s (read.*' publish.log
echo "serve_publish: ok"
