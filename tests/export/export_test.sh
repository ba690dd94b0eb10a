#!/usr/bin/env bash
# export_test.sh MODE TXETL MAKE_SNAPSHOT WORKDIR [SNAPSHOT...] - `txetl export` (tests/export.cmake).
#   fixture_roundtrip   tests/report/make_snapshot.py's snapshot, with a segment name holding
#                       , " CR LF and NaN / inf floats: every CSV value equals the snapshot's
#                       (check_export.py); a tampered CSV is caught by the check; a snapshot
#                       without /cohorts (an older txetl's) exports the rest, skips cohorts.csv
#                       with a one-line note
#   writer_roundtrip    the snapshots test_reduce wrote with the real writer (read through
#                       latest.h5, one with 0 customers): every value equals the snapshot's
#   errors_name_file    a missing dataset (also of /cohorts), an unnamed segment, a non-HDF5 file, an --out that is
#                       a regular file fail with status 1 naming the file (and object), leave the
#                       old CSVs untouched and no temporary file; usage errors exit 2
set -euo pipefail
mode=$1 txetl=$2 mksnap=$3 work=$4/$1
shift 4
source "$(dirname "$0")/../integration/lib.sh"
PY=/usr/bin/python3
check=$(dirname "$0")/check_export.py
work_in "$work"

case $mode in
fixture_roundtrip)
    "$PY" "$mksnap" fixture.h5
    "$PY" - fixture.h5 <<'PYEOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r+")
g = f["customers"]
names = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["segment_names"]]
names[1] = 'Loyal, "very"\r\nloyal'     # segment 1 is used by the fixture
g.attrs["segment_names"] = np.array(names, dtype=h5py.string_dtype())
clv = g["clv"][:]
clv[0], clv[1], clv[2] = np.nan, np.inf, -1e-300
g["clv"][...] = clv
assert (g["segment"][:] == 1).any()
PYEOF
    "$txetl" export fixture.h5 --out csv > export.out
    cat export.out
    grep -qx "exported csv/customers.csv (300 rows)" export.out || fail "stdout: $(cat export.out)"
    grep -qx "exported csv/revenue_daily.csv (90 rows)" export.out || fail "daily rows"
    grep -qx "exported csv/revenue_monthly.csv (3 rows)" export.out || fail "monthly rows"
    grep -qx "exported csv/revenue_by_currency_daily.csv (90 rows)" export.out ||
        fail "by-currency daily rows"
    grep -qx "exported csv/revenue_by_currency_monthly.csv (3 rows)" export.out ||
        fail "by-currency monthly rows"
    grep -qx "exported csv/cohorts.csv (6 rows)" export.out || fail "cohort rows"
    head -1 csv/cohorts.csv | grep -qx $'cohort_month,offset,customers,revenue,cohort_size\r' ||
        fail "cohorts.csv header: $(head -1 csv/cohorts.csv)"
    grep -qF '"Loyal, ""very""' csv/customers.csv || fail "segment name not quoted per RFC 4180"
    "$PY" "$check" fixture.h5 csv || fail "CSV differs from the snapshot"
    # The check can fail: one cent off in one customer's revenue is caught.
    mkdir -p tampered && cp csv/*.csv tampered/
    "$PY" - tampered/customers.csv <<'PYEOF'
import csv, sys
from decimal import Decimal
rows = list(csv.reader(open(sys.argv[1], newline="")))
rows[2][4] = str(Decimal(rows[2][4]) + Decimal("0.01"))
csv.writer(open(sys.argv[1], "w", newline="")).writerows(rows)
PYEOF
    if "$PY" "$check" fixture.h5 tampered > tampered.log 2>&1; then
        fail "check_export.py accepted a tampered customers.csv"
    else
        grep -F "MISMATCH" tampered.log
    fi
    ls csv | grep -q tmp && fail "temporary file left in csv/"
    # A snapshot of a txetl before /cohorts (format_version 2 without the group): the other
    # files as ever, cohorts.csv skipped with a one-line note, the older export's copy removed
    "$PY" "$mksnap" --no-cohorts old.h5
    "$txetl" export old.h5 --out csv > old.out || fail "export of a snapshot without /cohorts"
    cat old.out
    [[ $(grep -c '^exported ' old.out) == 5 && $(grep -c '^note: ' old.out) == 1 ]] ||
        fail "export without /cohorts: $(cat old.out)"
    grep -qx "note: old.h5 has no /cohorts (written by a txetl before that table existed): cohorts.csv not written (the older csv/cohorts.csv removed)" old.out ||
        fail "the note: $(grep note old.out)"
    [[ ! -e csv/cohorts.csv ]] || fail "cohorts.csv of the newer snapshot left beside old.h5's files"
    "$PY" "$check" old.h5 csv || fail "CSV differs from the snapshot without /cohorts"
    ;;
writer_roundtrip)
    for snap in "$@"; do
        [[ -L $snap ]] || fail "$snap is not the latest.h5 symlink"
        out=csv-$(basename "$(dirname "$snap")")
        "$txetl" export "$snap" --out "$out/sub" || { fail "export of $snap failed"; continue; }
        "$PY" "$check" "$snap" "$out/sub" || fail "$out differs from $snap"
    done
    ;;
errors_name_file)
    check_fails() { # WANT-STATUS DIR TEXT... -- ARGS...
        local want=$1 dir=$2 rc=0 texts=()
        shift 2
        while [[ $1 != -- ]]; do texts+=("$1"); shift; done
        shift
        "$txetl" export "$@" > out.txt 2> err.txt || rc=$?
        [[ $rc == "$want" ]] || fail "export $*: status $rc, want $want ($(cat err.txt))"
        local t
        for t in "${texts[@]}"; do
            grep -qF -- "$t" err.txt || fail "export $*: message lacks '$t': $(cat err.txt)"
        done
        if [[ -d $dir ]] && ls "$dir" | grep -q '\.tmp\.'; then fail "temporary file left in $dir"; fi
        return 0
    }
    "$PY" "$mksnap" good.h5
    "$txetl" export good.h5 --out csv > /dev/null
    sha256sum csv/*.csv > before.sum
    "$PY" "$mksnap" --drop /revenue/monthly/new_customers nonew.h5
    check_fails 1 csv nonew.h5 /revenue/monthly/new_customers -- nonew.h5 --out csv
    "$PY" "$mksnap" --drop /customers/clv noclv.h5
    check_fails 1 csv noclv.h5 /customers/clv -- noclv.h5 --out csv
    "$PY" "$mksnap" --drop /cohorts/revenue_cents nocrev.h5 # /cohorts there, but incomplete
    check_fails 1 csv nocrev.h5 /cohorts/revenue_cents -- nocrev.h5 --out csv
    "$PY" "$mksnap" badseg.h5
    "$PY" -c "
import h5py; f = h5py.File('badseg.h5', 'r+'); s = f['customers/segment']; v = s[:]; v[7] = 42; s[...] = v"
    check_fails 1 csv badseg.h5 /customers/segment 'row 7' -- badseg.h5 --out csv
    sha256sum -c --quiet before.sum || fail "a failed export changed the old CSV files"
    echo "not hdf5" > text.h5
    check_fails 1 csv text.h5 -- text.h5 --out csv
    check_fails 1 csv missing.h5 -- missing.h5 --out csv
    touch plainfile
    check_fails 1 plainfile plainfile -- good.h5 --out plainfile
    check_fails 2 csv '--out DIR is required' -- good.h5
    check_fails 2 csv 'exactly one SNAPSHOT.h5' -- good.h5 nonew.h5 --out csv
    check_fails 2 csv 'unknown option' -- good.h5 --out csv --bogus
    "$txetl" export --help | grep -q 'usage: txetl export SNAPSHOT.h5 --out DIR' || fail "--help"
    "$txetl" --help | grep -q 'txetl export SNAPSHOT.h5 --out DIR' || fail "txetl --help lacks export"
    ;;
*)
    echo "unknown mode $mode" >&2
    exit 2
    ;;
esac

finish "$mode"
