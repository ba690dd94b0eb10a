#!/usr/bin/env bash
# preflight_test.sh BUILD_DIR WORK_DIR
# What every command checks before it writes anything, on 2 shards of its own (started here with
# scripts/shards.sh under WORK_DIR, stopped and wiped on exit). Each refused command must exit 2
# (1 for a reject limit) with a message naming what is at fault and what to do, and leave every
# database and table of both servers as they were (SHOW DATABASES, CHECKSUM TABLE and SHOW CREATE
# TABLE of every table compared before and after); the run after the fix must succeed.
#  a. read-only: status/snapshot with a typo in database= create nothing; an unknown option name
#     in a [shardN] group (sockett=) is refused naming file, line, group and "did you mean";
#  b. identity: the first load records one cluster id with index/count on each shard; swapped
#     groups, two groups reaching one database, a group reaching a shard of another cluster, a
#     typo'd database beside identified shards are refused by load (1 and 2 ranks), snapshot,
#     status and load --plan (1 and 3 ranks); a shard whose identity is missing (first load died midway) gets it back;
#  c. servers: local_infile OFF, max_allowed_packet too small (SET GLOBAL);
#  d. tables: a retyped, a missing and an extra NOT NULL column; a dropped index is re-created
#     and the log says so;
#  e. --max-rejects / --max-reject-rate: the run fails before any shard's data is written and is
#     recorded in etl_runs as failed, with its message and 0 in the applied counts.
set -euo pipefail
build=$1 work=$2
source "$(dirname "$0")/lib.sh"
export TXETL_SHARD_BUFFER_POOL=${TXETL_SHARD_BUFFER_POOL:-128M}
own_cluster "$work"
trap 'bash "$shards_sh" down "$dir" --wipe >/dev/null 2>&1 || true' EXIT

t_start=$SECONDS
step() { echo; echo "=== [$((SECONDS - t_start))s] $*"; }
die() { echo "FAIL: $*"; exit 1; }
q() { mariadb --no-defaults --socket="$dir/shard$1/sock" -uroot -N -B -e "$2"; }
# Every user database and table of both servers: name, checksum, definition.
footprint() {
  local i db t
  for i in 0 1; do
    echo "shard$i databases: $(q "$i" 'SHOW DATABASES' | tr '\n' ' ')"
    for db in $(q "$i" "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT
                        IN ('mysql','information_schema','performance_schema','sys') ORDER BY 1"); do
      for t in $(q "$i" "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA =
                         '$db' ORDER BY 1"); do
        echo "shard$i $db.$t $(q "$i" "CHECKSUM TABLE \`$db\`.\`$t\`" | cut -f2)" \
             "$(q "$i" "SHOW CREATE TABLE \`$db\`.\`$t\`" | md5sum | cut -c1-12)"
      done
    done
  done
}
# refused NAME RC PATTERN CMD...: CMD exits RC, its output matches PATTERN, nothing changed.
refused() {
  local name=$1 want=$2 pat=$3 rc=0
  shift 3
  footprint >"$name.before"
  "$@" >"$name.log" 2>&1 || rc=$?
  sed 's/^/    | /' "$name.log" | grep -v -e ' INFO ' -e '^    | -*$' | grep 'txetl\|shard' | head -4
  ((rc == want)) || die "$name: exit $rc, expected $want"
  grep -Eq -- "$pat" "$name.log" || die "$name: no message matching '$pat'"
  footprint >"$name.after"
  diff "$name.before" "$name.after" >/dev/null || { diff "$name.before" "$name.after"; die "$name: a server changed"; }
  echo "ok   $name: exit $rc, message, nothing changed"
}
load() { # load NP SHARDFILE [args...] FILE
  local np=$1 f=$2
  shift 2
  mpiexec --oversubscribe -n "$np" "$build/txetl" load --shards "$f" --no-snapshot --quiet \
    --rejects rej.csv "$@"
}
ok() { # ok NAME CMD...: CMD succeeds
  local name=$1
  shift
  "$@" >"$name.log" 2>&1 || { cat "$name.log"; die "$name: failed"; }
  echo "ok   $name"
}
cnf_of() { # cnf_of OUT SED-SCRIPT: a shard file derived from the fixture's
  sed -e "$2" "$cnf" >"$1"
  chmod 600 "$1"
}

step "setup: 2 shards under $dir, an extract of ~2k rows and one with rejects"
bash "$shards_sh" up 2 "$dir" --fresh >/dev/null
"$build/txgen" --customers 300 --out a.csv --seed 11 >/dev/null 2>&1
"$build/txgen" --customers 100 --out bad.csv --seed 12 --bad-rate 0.01 >/dev/null 2>&1
cnf_of typo.cnf 's/^database=Customer/database=Custmer/'
cnf_of swap.cnf 's/^\[shard0\]/[shardX]/; s/^\[shard1\]/[shard0]/; s/^\[shardX\]/[shard1]/'
cnf_of dup.cnf "s|^socket=.*/shard1/sock|socket=$dir/shard0/sock|"
cnf_of opt.cnf '0,/^socket=/s/^socket=/sockett=/'
cnf_of other.cnf 's/^database=Customer/database=Other/'
# [shard0] of this cluster, [shard1] of the Other cluster (its own ids, on the same servers)
cnf_of mixed.cnf '/^\[shard1\]/,$s/^database=Customer/database=Other/'
cnf_of typo1.cnf '0,/^database=Customer/s//database=Custmer/'

step "a. read-only commands create nothing; unknown option names are refused"
refused status_typo 2 "shard 0: database Custmer does not exist on the server at socket .*shard0/sock: check database= in \[shard0\] of .*typo.cnf" \
  "$build/txetl" status --shards typo.cnf
refused snapshot_typo 2 "database Custmer does not exist" \
  mpiexec --oversubscribe -n 2 "$build/txetl" snapshot --shards typo.cnf --snapshot-dir snaps
refused status_option 2 "opt.cnf:5: \[shard0\] has option 'sockett', which the client library does not know.*did you mean socket\?" \
  "$build/txetl" status --shards opt.cnf
refused load_option 2 "\[shard0\] has option 'sockett'.*did you mean socket\?" load 2 opt.cnf a.csv
refused snapshot_fresh 2 "no txetl table" \
  mpiexec --oversubscribe -n 1 "$build/txetl" snapshot --shards "$cnf" --snapshot-dir snaps
footprint >st.before
"$build/txetl" status --shards "$cnf" >status_fresh.log 2>&1 || die "status of a fresh cluster failed"
grep -q "no txetl schema yet" status_fresh.log || die "status of a fresh cluster: no 'no txetl schema yet'"
footprint >st.after
diff st.before st.after >/dev/null || die "status of a fresh cluster changed a server"
echo "ok   status_fresh: exit 0, nothing changed"

step "b. identity: recorded at the first load, then checked by every command"
ok first_load load 2 "$cnf" a.csv
id0=$(q 0 "SELECT CONCAT(cluster_id, ' ', shard_index, ' ', shard_count) FROM Customer.cluster_identity")
id1=$(q 1 "SELECT CONCAT(cluster_id, ' ', shard_index, ' ', shard_count) FROM Customer.cluster_identity")
cid=${id0%% *}
[[ $cid =~ ^[0-9a-f]{32}$ && $id0 == "$cid 0 2" && $id1 == "$cid 1 2" ]] ||
  die "identity after the first load: shard0 '$id0', shard1 '$id1'"
echo "ok   identity: cluster $cid, shard 0 of 2 and shard 1 of 2"
swap_pat="\[shard0\] reaches shard 1 of cluster ${cid:0:8}.*\[shard1\] reaches shard 0 of cluster ${cid:0:8}.*the groups are swapped"
refused load_swapped_1 2 "$swap_pat" load 1 swap.cnf a.csv
refused load_swapped_2 2 "$swap_pat" load 2 swap.cnf a.csv
refused snapshot_swapped 2 "$swap_pat" \
  mpiexec --oversubscribe -n 2 "$build/txetl" snapshot --shards swap.cnf --snapshot-dir snaps
refused status_swapped 2 "$swap_pat" "$build/txetl" status --shards swap.cnf
refused plan_swapped_1 2 "$swap_pat" load 1 swap.cnf --plan a.csv
refused plan_swapped_3 2 "$swap_pat" load 3 swap.cnf --plan a.csv
refused plan_dup 2 "\[shard0\] and \[shard1\] reach the same database Customer" load 2 dup.cnf --plan a.csv
refused load_dup 2 "\[shard0\] and \[shard1\] reach the same database Customer on the server at socket .*shard0/sock" \
  load 2 dup.cnf a.csv
refused load_typo_beside 2 "\[shard0\] reaches database Custmer .*which does not exist, while \[shard1\] reaches shard 1 of cluster ${cid:0:8}" \
  load 2 typo1.cnf a.csv
ok other_first_load load 1 other.cnf a.csv
oid=$(q 1 "SELECT cluster_id FROM Other.cluster_identity")
[[ $oid != "$cid" ]] || die "a second cluster got the same id"
refused load_foreign 2 "\[shard0\] reaches shard 0 of cluster ${cid:0:8}.*\[shard1\] reaches shard 1 of cluster ${oid:0:8}.*2 different clusters" \
  load 2 mixed.cnf a.csv
q 1 "DROP DATABASE Other"; q 0 "DROP DATABASE Other"
q 1 "DELETE FROM Customer.cluster_identity"
ok load_partial_identity load 2 "$cnf" a.csv
[[ $(q 1 "SELECT CONCAT(cluster_id, ' ', shard_index, ' ', shard_count) FROM Customer.cluster_identity") == "$cid 1 2" ]] ||
  die "shard 1 did not get its identity back"
echo "ok   partial identity: shard 1 got '$cid 1 2' back"

step "c. servers: local_infile, max_allowed_packet"
q 1 "SET GLOBAL local_infile = 0"
refused load_local_infile 2 "shard 1 \(the server at socket .*shard1/sock\): the server refuses LOAD DATA LOCAL.*local_infile is OFF.*SET GLOBAL local_infile = 1.*local_infile = 1 under \[mysqld\]" \
  load 2 "$cnf" a.csv
q 1 "SET GLOBAL local_infile = 1"
q 0 "SET GLOBAL max_allowed_packet = 65536"
refused load_packet 2 "shard 0 .*max_allowed_packet is 65536 bytes, txetl needs 1048576.*SET GLOBAL max_allowed_packet = 1048576" \
  load 2 "$cnf" a.csv
q 0 "SET GLOBAL max_allowed_packet = 1048576"; q 1 "SET GLOBAL max_allowed_packet = 1048576"
# at exactly the size asked for, a first load over every month of its extract succeeds
"$build/txgen" --customers 300 --out wide.csv --seed 13 >/dev/null 2>&1
ok load_packet_fixed load 2 other.cnf wide.csv
q 1 "DROP DATABASE Other"; q 0 "DROP DATABASE Other"
q 0 "SET GLOBAL max_allowed_packet = 268435456"; q 1 "SET GLOBAL max_allowed_packet = 268435456"

step "d. tables against sql/schema.sql"
q 1 "ALTER TABLE Customer.etl_runs MODIFY rows_read INT NOT NULL"
refused load_retyped 2 "shard 1 \(database Customer on .*\): table etl_runs column rows_read is int NOT NULL, sql/schema.sql has rows_read BIGINT UNSIGNED NOT NULL DEFAULT 0: ALTER TABLE etl_runs MODIFY rows_read BIGINT UNSIGNED NOT NULL DEFAULT 0" \
  load 2 "$cnf" a.csv
refused snapshot_retyped 2 "table etl_runs column rows_read is int" \
  mpiexec --oversubscribe -n 2 "$build/txetl" snapshot --shards "$cnf" --snapshot-dir snaps
q 1 "ALTER TABLE Customer.etl_runs MODIFY rows_read BIGINT UNSIGNED NOT NULL DEFAULT 0"
q 0 "ALTER TABLE Customer.audit_log DROP COLUMN applied_at"
refused load_missing_col 2 "table audit_log has no column applied_at \(sql/schema.sql: applied_at DATETIME\(6\) NOT NULL\): ALTER TABLE audit_log ADD COLUMN" \
  load 2 "$cnf" a.csv
q 0 "ALTER TABLE Customer.audit_log ADD COLUMN applied_at DATETIME(6) NOT NULL"
q 0 "ALTER TABLE Customer.TransactionsOptimized ADD COLUMN note INT NOT NULL"
refused load_extra_notnull 2 "table TransactionsOptimized has column note NOT NULL without a default" \
  load 2 "$cnf" a.csv
q 0 "ALTER TABLE Customer.TransactionsOptimized MODIFY note INT NULL" # allowed: more columns
q 1 "ALTER TABLE Customer.TransactionsOptimized DROP INDEX idx_customer_date"
mpiexec --oversubscribe -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot --rejects rej.csv \
  a.csv >index.log 2>&1 || { cat index.log; die "load after the fixes failed"; }
grep -q "WARN  shard 1: table TransactionsOptimized has no index idx_customer_date .*re-creating it" index.log ||
  { cat index.log; die "the re-created index is not in the log"; }
[[ $(q 1 "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'Customer' AND INDEX_NAME = 'idx_customer_date'") -gt 0 ]] ||
  die "idx_customer_date was not re-created"
echo "ok   load after the fixes: succeeded, extra nullable column kept, index re-created and logged"

step "e. reject limits: nothing applied, the failed run recorded"
rows_of() { echo "$(q 0 'SELECT COUNT(*) FROM Customer.TransactionsOptimized') $(q 1 'SELECT COUNT(*) FROM Customer.TransactionsOptimized')"; }
for lim in "--max-rejects 1 --max-reject-rate 1" "--max-reject-rate 0.001"; do
  before=$(rows_of)
  rc=0
  load 2 "$cnf" $lim bad.csv >rej.log 2>&1 || rc=$?
  ((rc == 1)) || { cat rej.log; die "$lim: exit $rc, expected 1"; }
  grep -q "records rejected.*over ${lim%% *}.*nothing was written but this run's failed etl_runs row" rej.log ||
    { cat rej.log; die "$lim: no message"; }
  [[ $(rows_of) == "$before" ]] || die "$lim: rows changed"
  for i in 0 1; do
    row=$(q "$i" "SELECT status, rows_read > 0, rows_rejected > 0, rows_inserted + rows_updated + rows_moved + rows_deleted + rows_stale + rows_superseded, message LIKE '%over ${lim%% *}%' FROM Customer.etl_runs ORDER BY started_at DESC LIMIT 1")
    [[ $row == $'failed\t1\t1\t0\t1' ]] || die "$lim: shard $i's last etl_runs row is '$row'"
  done
  echo "ok   ${lim%% *}: exit 1, no rows, etl_runs: failed with its message and 0 applied"
done
ok max_rejects_high load 2 "$cnf" --max-rejects 100000 --max-reject-rate 1 bad.csv
[[ $(q 0 "SELECT status FROM Customer.etl_runs ORDER BY started_at DESC LIMIT 1") == succeeded ]] ||
  die "the run under the limits is not recorded as succeeded"
echo
echo "preflight_test: all assertions held ($((SECONDS - t_start)) s)"
