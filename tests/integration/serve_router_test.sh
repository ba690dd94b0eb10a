#!/usr/bin/env bash
# serve_router_test.sh BUILD_DIR WORK_DIR
# docs/serving.md one endpoint: 3 shards and a Spider router (scripts/shards.sh --router); after a
# load (three currencies), `txetl router` builds the Spider tables; through the router
# COUNT(*), SUM by month and by currency, revenue_daily and a date-bounded query equal the
# sums over the shards queried directly; the date-bounded query reaches only the shard of its
# range (the shards' general logs); `txetl router` is re-runnable, follows a changed shard
# map (a 2-shard file over the same servers: partitions and servers follow, the third
# server is dropped), and refuses a shard file without [router].
set -euo pipefail
build=$1 work=$2
source "$(dirname "$0")/lib.sh"
work_in "$work"
# CREATE SERVER keeps 64 bytes of a socket path: a short directory
dir=$(mktemp -d /tmp/txrt.XXXXXX)
trap '"$src/scripts/shards.sh" down "$dir" --wipe >/dev/null 2>&1 || true' EXIT
"$src/scripts/shards.sh" up 3 "$dir" --fresh --router
cnf=$dir/shards.cnf
grep -q '^\[router\]' "$cnf"
router_sql() { mariadb --no-defaults --socket="$dir/router/sock" -uroot -N Customer -e "$1"; }

"$build/txgen" --customers 2000 --seed 9 --out plain.csv --fx-out fx.csv >/dev/null
$serve currencies plain.csv a.csv
$mpirun -n 2 "$build/txetl" load --shards "$cnf" --snapshot-dir snaps --no-publish \
  --fx-rates "$PWD/fx.csv" a.csv

# a shard file without [router] is refused, naming the group
grep -v -e '^\[router\]' "$cnf" | sed '/^socket=.*router/d' > norouter.cnf
chmod 600 norouter.cnf
if "$build/txetl" router --shards norouter.cnf 2> err.log; then echo "FAIL: no [router] accepted"; exit 1; fi
grep -q 'no \[router\] group' err.log

"$build/txetl" router --shards "$cnf" | tee router1.log
for i in 0 1 2; do
  mariadb --no-defaults --socket="$dir/shard$i/sock" -uroot -e \
    "SET GLOBAL general_log_file='$dir/shard$i/general.log'; SET GLOBAL log_output='FILE'; SET GLOBAL general_log=1"
done
$serve router "$cnf" 3 "$dir"
# the router's tables are Spider tables, one partition per shard
[[ $(router_sql "SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA='Customer' AND TABLE_NAME='TransactionsOptimized'") == 3 ]]
[[ $(router_sql "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA='Customer' AND TABLE_NAME='revenue_daily'") == SPIDER ]]

# re-runnable: same answers
"$build/txetl" router --shards "$cnf"
$serve router "$cnf" 3 "$dir"

# the shard map changes (here: a 2-shard cluster over shard0 and shard1, shard1 unbounded);
# a re-run follows it: 2 partitions, the third server dropped, totals those of 2 shards
awk '/^\[shard2\]/{skip=1} /^\[router\]/{skip=0} !skip' "$cnf" > two.cnf && chmod 600 two.cnf
for i in 0 1; do
  mariadb --no-defaults --socket="$dir/shard$i/sock" -uroot Customer -e \
    "DELETE FROM shard_map WHERE shard_index = 2; UPDATE shard_map SET shard_count = 2;
     UPDATE shard_map SET upper_date = NULL WHERE shard_index = 1"
done
"$build/txetl" router --shards two.cnf | tee router2.log
grep -q 'stale servers dropped' router2.log
[[ $(router_sql "SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA='Customer' AND TABLE_NAME='TransactionsOptimized'") == 2 ]]
[[ $(router_sql "SELECT COUNT(*) FROM mysql.servers WHERE Server_name LIKE 'txetl\\_Customer\\_shard%'") == 2 ]]
want=$(( $(mariadb --no-defaults --socket="$dir/shard0/sock" -uroot -N Customer -e "SELECT COUNT(*) FROM TransactionsOptimized") +
         $(mariadb --no-defaults --socket="$dir/shard1/sock" -uroot -N Customer -e "SELECT COUNT(*) FROM TransactionsOptimized") ))
[[ $(router_sql "SELECT COUNT(*) FROM TransactionsOptimized") == "$want" ]]

# the BI role of sql/grants_router.sql reads through the router and cannot write
mariadb --no-defaults --socket="$dir/router/sock" -uroot < "$src/sql/grants_router.sql"
router_sql "CREATE USER IF NOT EXISTS 'bi'@'localhost' IDENTIFIED BY 'bi-secret-2'; GRANT txetl_bi TO 'bi'@'localhost'; SET DEFAULT ROLE txetl_bi FOR 'bi'@'localhost';"
mariadb --no-defaults --socket="$dir/router/sock" -ubi -pbi-secret-2 -N Customer -e "SELECT COUNT(*) FROM revenue_daily" > /dev/null
if mariadb --no-defaults --socket="$dir/router/sock" -ubi -pbi-secret-2 Customer -e "DELETE FROM revenue_daily" 2>/dev/null; then
  echo "FAIL: the BI account wrote through the router"; exit 1
fi
echo "serve_router: ok"
