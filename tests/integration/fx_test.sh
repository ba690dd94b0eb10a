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
#      writes no snapshot file.
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

step "txgen: mixed-currency extract, rates file, change batch"
"$build/txgen" --customers 1500 --seed 71 --out base.csv --truth base.truth --dup-rate 0.05 \
  --fx-out fx.csv
"$build/txgen" --changes 1200 --truth-in base.truth --out b1.csv --truth t1.truth --seed 72
head -3 fx.csv
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
