#!/usr/bin/env bash
# load_test.sh BUILD_DIR SHARDS_CNF WORK_DIR
# Backfill into 2 real shards with 1, 2 and 3 ranks: shard contents equal txgen's truth row for
# row (tricky valid records, duplicates across dates, CRLF + BOM + permuted columns in a second
# file), rejects at their lines with their reasons, counts reconcile, placement is identical
# for every rank count, and a re-load changes nothing.
set -euo pipefail
build=$1 cnf=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
check="/usr/bin/python3 $here/txcheck.py"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpirun="mpiexec --oversubscribe"
rm -rf "$work" && mkdir -p "$work" && cd "$work"

# File 1: shuffled ids, duplicates (also on far-away dates), tricky and malformed records.
"$build/txgen" --customers 1500 --seed 11 --out a.csv --truth a.truth --expect-rejects a.rej \
  --bad-rate 0.004 --dup-rate 0.08 --tricky --shuffle
# File 2: CRLF, BOM, permuted and differently-cased columns with unknown extras (loaded into a
# fresh cluster of its own below, as its ids overlap file 1's).
"$build/txgen" --customers 300 --seed 12 --out b.csv --truth b.truth --crlf --bom \
  --columns 'Customer_ID,note,TRANSACTION_ID,transaction_date,Transaction_Amount,currency,extra2,payment_method,transaction_category,last_updated'

for np in 1 2 3; do
  $check wipe "$cnf"
  $mpirun -n $np "$build/txetl" load --shards "$cnf" --no-snapshot --rejects rej$np.csv \
    --max-reject-rate 0.05 a.csv
  $check dump "$cnf" dump$np.csv
  $check truth dump$np.csv a.truth
  $check rejects rej$np.csv a.rej
  nrej=$(($(wc -l < a.rej) - 1))
  $check runs "$cnf" rejected=$nrej
  $check revenue "$cnf"
  cmp rej1.csv rej$np.csv
  [[ $np == 1 ]] || $check same dump1.csv dump$np.csv
done

# Versions spilled as many small sorted runs and merged (the path of inputs larger than a
# rank's in-memory sort) give the same shards.
$check wipe "$cnf"
TXETL_SORT_RECORDS=1000 $mpirun -n 2 -x TXETL_SORT_RECORDS "$build/txetl" load --shards "$cnf" \
  --no-snapshot --quiet --rejects rej-spill.csv --max-reject-rate 0.05 a.csv
$check dump "$cnf" dump-spill.csv
$check same dump1.csv dump-spill.csv

# Re-loading the same file changes nothing: every valid version is stale.
$mpirun -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot --rejects rej-again.csv \
  --max-reject-rate 0.05 a.csv
$check runs "$cnf" inserted=0 updated=0 moved=0 deleted=0 superseded=0
$check dump "$cnf" dump-again.csv
$check same dump1.csv dump-again.csv

# CRLF + BOM + permuted columns, 2 ranks, into a fresh cluster.
$check wipe "$cnf"
$mpirun -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot --rejects rejb.csv b.csv
$check dump "$cnf" dumpb.csv
$check truth dumpb.csv b.truth
$check runs "$cnf" rejected=0
# A directory in the layout of txetl before 0.2 (DATE/DATETIME/DECIMAL text columns) fails the
# run before anything is written, naming the shard.
$check wipe "$cnf"
/usr/bin/python3 -c '
import sys, MySQLdb
c = MySQLdb.connect(read_default_file=sys.argv[1], read_default_group="shard1", db="mysql")
cur = c.cursor()
cur.execute("CREATE DATABASE Customer")
cur.execute("CREATE TABLE Customer.txn_directory (transaction_id BIGINT UNSIGNED NOT NULL "
            "PRIMARY KEY, transaction_date DATE NOT NULL, last_updated DATETIME(6) NOT NULL, "
            "deleted TINYINT NOT NULL, amount DECIMAL(14,2) NOT NULL, category VARCHAR(64) "
            "NOT NULL, run_id VARCHAR(64) NOT NULL)")
' "$cnf"
if $mpirun -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot --quiet --rejects rej-old.csv \
     b.csv 2>old.err; then
  echo "FAIL: a load onto an old directory layout succeeded"; exit 1
fi
grep -q "shard 1: txn_directory has the layout of an older txetl" old.err ||
  { echo "FAIL: no clear message for the old directory layout:"; cat old.err; exit 1; }
$check runs "$cnf" >/dev/null 2>&1 && { echo "FAIL: a succeeded run was recorded"; exit 1; }
$check wipe "$cnf" # the shared shards must not keep the old layout for the tests after this one
echo "load_test: all assertions held"
