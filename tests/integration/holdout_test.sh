#!/usr/bin/env bash
# holdout_test.sh BUILD_DIR SHARDS_CNF WORK_DIR CDNOW_ELOG
# `txetl snapshot --holdout-start` (the calibration / holdout check, snapshot group /holdout)
# through the real pipeline on the CDNOW sample (loaded with 2 ranks into 2 real shards),
# --clv-unit week, as-of 1998-06-30, holdout from 1997-10-01:
#   1. the calibration fit is the published 39-week one (r 0.243, alpha 4.414, a 0.793,
#      b 2.426 within 0.5%); actual holdout purchase days = a direct count from the event log
#      (per customer and in total); sum_predicted within 10% of sum_actual
#      (analytics_check.py cdnow-holdout);
#   2. /customers, /revenue and /model are exactly those of the same snapshot without the
#      option, which has no /holdout group; 1 and 2 ranks give equal snapshots, /holdout included;
#   3. bad --holdout-start dates fail with status 2 naming the option, leaving no snapshot;
#   4. the report draws the "Model check (holdout)" chart.
# Exit 77 (skipped) without the data.
set -euo pipefail
build=$1 cnf=$2 work=$3 elog=$4
source "$(dirname "$0")/lib.sh"
snapcmp=$build/tests/snapcmp
need_file "$elog" holdout_test
work_in "$work"
opts=(--as-of 1998-06-30 --clv-unit week)

$ana cdnow-extract "$elog" cdnow.csv
$check wipe "$cnf"
$mpirun -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot --quiet cdnow.csv

step "1. snapshot --holdout-start 1997-10-01 (2 ranks)"
$mpirun -n 2 "$build/txetl" snapshot --shards "$cnf" --snapshot-dir snap-hold --quiet \
  "${opts[@]}" --holdout-start 1997-10-01
$ana cdnow-holdout snap-hold/latest.h5 "$elog"

step "2. the main contents are those without the option; 1 rank = 2 ranks"
$mpirun -n 2 "$build/txetl" snapshot --shards "$cnf" --snapshot-dir snap-main --quiet "${opts[@]}"
/usr/bin/python3 -c "
import sys, h5py
sys.exit('FAIL: /holdout without --holdout-start' if 'holdout' in h5py.File('snap-main/latest.h5', 'r') else 0)"
"$snapcmp" --data-only snap-main/latest.h5 snap-hold/latest.h5
"$build/txetl" snapshot --shards "$cnf" --snapshot-dir snap-hold1 --quiet "${opts[@]}" \
  --holdout-start 1997-10-01
"$snapcmp" snap-hold1/latest.h5 snap-hold/latest.h5

step "3. bad --holdout-start dates"
refuse() { # WANT-TEXT ARGS...
  local want=$1 rc=0
  shift
  $mpirun -n 2 "$build/txetl" snapshot --shards "$cnf" --snapshot-dir snap-bad --quiet "$@" \
    > bad.out 2> bad.err || rc=$?
  [[ $rc == 2 ]] || { echo "FAIL: $* exited $rc, want 2"; cat bad.err; exit 1; }
  grep -q -- "--holdout-start" bad.err && grep -q -- "$want" bad.err ||
    { echo "FAIL: $*: message lacks --holdout-start / '$want'"; cat bad.err; exit 1; }
  echo "refused: $(grep -m1 -- --holdout-start bad.err)"
}
refuse "not after the first transaction date 1997-01-01" "${opts[@]}" --holdout-start 1997-01-01
refuse "is after the as-of date 1998-06-30" "${opts[@]}" --holdout-start 1998-07-01
refuse "not a date" "${opts[@]}" --holdout-start 1997-13-01
[[ ! -e snap-bad/latest.h5 ]] || { echo "FAIL: a refused run left a snapshot"; exit 1; }

step "4. the report's holdout section"
"$build/txetl" report snap-hold/latest.h5 --out report.html
for want in 'id="chart-holdout"' 'Model check (holdout)' 'id="holdout-table"' \
            '<td>calibration end</td><td class="n">1997-09-30</td>'; do
  grep -qF -- "$want" report.html || { echo "FAIL: report.html lacks $want"; exit 1; }
done
"$build/txetl" report snap-main/latest.h5 --out report-main.html
! grep -q 'chart-holdout' report-main.html || { echo "FAIL: holdout chart without /holdout"; exit 1; }
$check wipe "$cnf"
echo "holdout_test: all assertions held"
