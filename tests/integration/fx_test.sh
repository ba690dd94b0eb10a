#!/usr/bin/env bash
# fx_test.sh BUILD_DIR WORK_DIR
# Currencies (docs/analytics.md, docs/snapshot.md) on 2 shards of its own: a txgen extract in USD, EUR and GBP with
# txgen's --fx-out rates file.
#   1. revenue_daily holds one row per (date, currency) = GROUP BY (date, currency) over
#      TransactionsOptimized on every shard, after the backfill and after a txgen change batch;
#   2. the snapshot's /revenue/by_currency/{daily,monthly} = GROUP BY (date|month, currency);
#      /revenue/{daily,monthly} = the sum of every amount converted in Python (the latest rate on
#      or before its date, cents x rate rounded half away from zero); every customer's
#      revenue_cents = the converted sum of its amounts (analytics_check.py);
#   3. without --fx-rates, `txetl snapshot` refuses (exit 2, usage) naming EUR and GBP and
#      writes no snapshot file;
#   4. a load with a snapshot refuses before it writes when rates are missing: the first load
#      into empty shards and a mixed-currency change batch on stored EUR/GBP rows, without
#      --fx-rates, exit 2 naming EUR and GBP, every table's CHECKSUM TABLE unchanged but
#      etl_runs (which gets the run's row, failed, never succeeded), no snapshot file; a rates
#      file that covers neither from the first date is refused as well; with the rates file
#      the same batch loads and snapshots.
set -euo pipefail
build=$1 work=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
check="/usr/bin/python3 $src/tests/integration/txcheck.py"
ana="/usr/bin/python3 $src/tests/integration/analytics_check.py"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpirun="mpiexec --oversubscribe"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
dir=$(mktemp -d /tmp/txfx.XXXXXX)
cleanup() { "$src/scripts/shards.sh" down "$dir/shards" --wipe >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"$src/scripts/shards.sh" up 2 "$dir/shards" --fresh
cnf=$dir/shards/shards.cnf
step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
q() { mariadb --no-defaults --socket="$dir/shards/shard$1/sock" -uroot -N -B -e "$2"; }
# CHECKSUM TABLE of every table of Customer but etl_runs on both shards.
checksums() {
  local i t
  for i in 0 1; do
    for t in $(q "$i" "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA =
                       'Customer' AND TABLE_NAME <> 'etl_runs' ORDER BY 1"); do
      echo "shard$i $t $(q "$i" "CHECKSUM TABLE Customer.\`$t\`" | cut -f2)"
    done
  done
}
# refused_load NAME ARGS...: a load with a snapshot that must be refused before writing.
refused_load() {
  local name=$1 rc=0
  shift
  checksums >"$name.before"
  local ok_before
  ok_before=$(q 0 "SELECT COUNT(*) FROM Customer.etl_runs WHERE status = 'succeeded'" 2>/dev/null || echo 0)
  $mpirun -n 2 "$build/txetl" load --shards "$cnf" --snapshot-dir "snap-$name" --no-publish \
    --quiet --rejects /dev/null "$@" >"$name.out" 2>&1 || rc=$?
  grep 'txetl:' "$name.out" || true
  [[ $rc == 2 ]] || fail "$name: exit $rc, want 2 (refused)"
  grep -q "EUR .*GBP .* of the stored and incoming transactions have no rate into USD" \
    "$name.out" || fail "$name: the refusal does not name EUR and GBP and their shares"
  checksums >"$name.after"
  # every table as it was; a first load's schema (created before the scan) only as empty tables
  # but shard_state (the directory format, recorded at preflight)
  grep -vxFf "$name.before" "$name.after" | grep -v -e ' 0$' -e '^shard. shard_state ' &&
    fail "$name: a table changed"
  grep -vxFf "$name.after" "$name.before" && fail "$name: a table changed"
  local ok_after last
  ok_after=$(q 0 "SELECT COUNT(*) FROM Customer.etl_runs WHERE status = 'succeeded'")
  last=$(q 0 "SELECT CONCAT(status, ' ', rows_inserted + rows_updated + rows_moved + rows_deleted)
              FROM Customer.etl_runs ORDER BY started_at DESC LIMIT 1")
  [[ $ok_after == "$ok_before" && $last == "failed 0" ]] ||
    fail "$name: etl_runs: $ok_before -> $ok_after succeeded rows, last run '$last'"
  if compgen -G "snap-$name/*.h5*" >/dev/null; then fail "$name wrote a snapshot"; fi
  echo "ok   $name: exit 2 naming EUR and GBP, tables unchanged, its etl_runs row failed"
}

step "txgen: mixed-currency extract, rates file, change batch"
"$build/txgen" --customers 1500 --seed 71 --out base.csv --truth base.truth --dup-rate 0.05 \
  --fx-out fx.csv
"$build/txgen" --changes 1200 --truth-in base.truth --out b1.csv --truth t1.truth --seed 72
head -3 fx.csv
step "4. the first load without --fx-rates: refused before any row is written"
refused_load first_norates base.csv
[[ $(q 0 "SELECT COUNT(*) FROM Customer.TransactionsOptimized") == 0 &&
   $(q 1 "SELECT COUNT(*) FROM Customer.TransactionsOptimized") == 0 ]] ||
  fail "the refused first load stored rows"

step "1. backfill: revenue_daily per (date, currency)"
$mpirun -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot --quiet base.csv
$check revenue "$cnf"
n=$(/usr/bin/python3 -c "
import sys; sys.path.insert(0, '$src/tests/integration'); import txcheck
s = set()
for i in range(txcheck.shards('$cnf')):
    c = txcheck.connect('$cnf', i).cursor()
    c.execute('SELECT DISTINCT currency FROM revenue_daily')
    s |= {r[0] for r in c.fetchall()}
print(' '.join(sorted(s)))")
[[ $n == "EUR GBP USD" ]] || fail "revenue_daily holds currencies '$n', want EUR GBP USD"

step "1. change batch: revenue_daily per (date, currency)"
$mpirun -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot --quiet b1.csv
$check dump "$cnf" dump.csv
$check truth dump.csv t1.truth
$check revenue "$cnf"

step "4. a mixed-currency change batch without usable rates: refused before it writes"
"$build/txgen" --changes 600 --truth-in t1.truth --out b2.csv --truth t2.truth --seed 73
refused_load batch_norates b2.csv
# rates that start after every date: no rate on or before any transaction's date
printf 'date,currency,rate\n2099-01-01,EUR,1.1\n2099-01-01,GBP,1.3\n' >late.csv
refused_load batch_late_rates --fx-rates "$PWD/late.csv" b2.csv
grep -q "in --fx-rates $PWD/late.csv" batch_late_rates.out ||
  fail "the refusal does not name the rates file"
step "4. the same batch with --fx-rates: loaded, snapshot written"
$mpirun -n 2 "$build/txetl" load --shards "$cnf" --snapshot-dir snap-b2 --no-publish --quiet \
  --rejects /dev/null --fx-rates "$PWD/fx.csv" b2.csv
$check dump "$cnf" dump2.csv
$check truth dump2.csv t2.truth
$check revenue "$cnf"
[[ -e snap-b2/latest.h5 ]] || fail "the load with --fx-rates wrote no snapshot"

step "3. no --fx-rates: refused, naming EUR and GBP, no snapshot file"
set +e
$mpirun -n 2 "$build/txetl" snapshot --shards "$cnf" --snapshot-dir snap-norates --quiet \
  2> norates.err
rc=$?
set -e
cat norates.err
[[ $rc == 2 ]] || fail "txetl snapshot without --fx-rates exited $rc, want 2 (refused)"
grep -q EUR norates.err || fail "the refusal does not name EUR"
grep -q GBP norates.err || fail "the refusal does not name GBP"
if compgen -G "snap-norates/*.h5*" >/dev/null; then fail "a refused snapshot wrote $(ls snap-norates)"; fi

step "2. snapshot with --fx-rates"
$mpirun -n 2 "$build/txetl" snapshot --shards "$cnf" --snapshot-dir snap --quiet \
  --fx-rates "$PWD/fx.csv" --no-publish
/usr/bin/python3 - snap/latest.h5 <<'PYEOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
assert int(f.attrs["format_version"]) == 2, f.attrs["format_version"]
rep = f.attrs["reporting_currency"]
rep = rep.decode() if isinstance(rep, bytes) else str(rep)
assert rep == "USD", rep
cur = sorted({c.decode() for c in f["revenue/by_currency/daily/currency"][:]})
assert cur == ["EUR", "GBP", "USD"], cur
print(f"snapshot: reporting_currency {rep}, by-currency rows in {cur}")
PYEOF
$ana revenue "$cnf" snap/latest.h5 fx.csv
$ana customers "$cnf" snap/latest.h5 fx.csv
# one customer by hand: the one with most EUR/GBP transactions, its amounts from every shard
/usr/bin/python3 - "$cnf" snap/latest.h5 fx.csv "$src/tests/integration" <<'PYEOF'
import sys, h5py
sys.path.insert(0, sys.argv[4])
import analytics_check as a, txcheck
cnf, snap, fx = sys.argv[1:4]
rates, rows = a.read_fx(fx), []
for i in range(txcheck.shards(cnf)):
    c = txcheck.connect(cnf, i).cursor()
    c.execute("SELECT customer_id, transaction_date, CAST(transaction_amount * 100 AS SIGNED), "
              "COALESCE(currency, 'USD') FROM TransactionsOptimized")
    rows += c.fetchall()
foreign = {}
for cid, d, cents, cur in rows:
    foreign[cid] = foreign.get(cid, 0) + (cur != "USD")
cid = max(foreign, key=lambda k: (foreign[k], -k))
want = sum(a.convert(rates, cur, d, int(cents)) for k, d, cents, cur in rows if k == cid)
g = h5py.File(snap, "r")["customers"]
ids = list(g["customer_id"][:])
got = int(g["revenue_cents"][ids.index(cid)])
print(f"customer {cid}: {foreign[cid]} EUR/GBP transactions, revenue_cents {got}, converted sum {want}")
sys.exit(0 if got == want and foreign[cid] > 0 else 1)
PYEOF
echo "fx_test: all assertions held"
