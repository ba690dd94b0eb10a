#!/usr/bin/env bash
# cdnow_test.sh BUILD_DIR SHARDS_CNF WORK_DIR CDNOW_ELOG
# docs/analytics.md's published check through the real pipeline: the CDNOW sample (shared/data/cdnow/,
# 2,357 customers, 6,919 purchases) converted to an extract (rows numbered as transaction_id,
# customer_id = sampleid, date from YYYYMMDD, amount = sales), loaded with 2 ranks into 2 real
# shards, then `txetl snapshot --as-of 1997-09-30 --clv-unit week`: BG/NBD r, alpha, a, b, LL
# and Gamma-Gamma p, q, v within 0.5% of the published values, both fits converged, and customer
# sampleid 1 with frequency 2, recency 30.43, T 38.86 weeks. Exit 77 (skipped) without the data.
set -euo pipefail
build=$1 cnf=$2 work=$3 elog=$4
source "$(dirname "$0")/lib.sh"
need_file "$elog" cdnow_test
work_in "$work"

$ana cdnow-extract "$elog" cdnow.csv
$check wipe "$cnf"
# The load's own snapshot has the default analytics (as-of = the last purchase, 1998-06-30).
$mpirun -n 2 "$build/txetl" load --shards "$cnf" --snapshot-dir snap-load --quiet cdnow.csv
$check runs "$cnf" read=6919 rejected=0 inserted=6919
$mpirun -n 2 "$build/txetl" snapshot --shards "$cnf" --snapshot-dir snap --quiet \
  --as-of 1997-09-30 --clv-unit week
$ana cdnow snap/latest.h5
# The snapshot also agrees with the database on the customers and revenue.
$ana customers "$cnf" snap/latest.h5
$ana revenue "$cnf" snap/latest.h5
# docs/snapshot.md: its h5dump commands and its h5py/pandas snippet run on this snapshot and
# print what the page shows.
doc=$here/../../docs/snapshot.md
ln -sfn snap snapshots
sed -n '/^```sh$/,/^```$/p' "$doc" | grep '^h5' | sed 's/ *#.*//' > doc_h5.sh
[[ $(wc -l < doc_h5.sh) -ge 5 ]] || { echo "FAIL: no h5dump commands found in $doc"; exit 1; }
bash -e doc_h5.sh > doc_h5.out
grep -q '(0): 0.242595' doc_h5.out || { echo "FAIL: h5dump of /model/bgnbd/r"; exit 1; }
grep -q '(0): 36.274, 4.64094, 8.34448' doc_h5.out ||
  { echo "FAIL: h5dump of /customers/clv"; exit 1; }
sed -n '/^```python$/,/^```$/p' "$doc" | sed '1d;$d' > doc_snippet.py
/usr/bin/python3 doc_snippet.py > doc_snippet.out
for want in "1997-09-30" "'converged': 1, 'unit': 'week'" "T            38.857143" \
            "segment      Champions" "Champions             467  103.12" \
            "199701               781            781        2859270           885"; do
  if ! grep -qF "$want" doc_snippet.out; then
    echo "FAIL: $doc's snippet did not print '$want'"; cat doc_snippet.out; exit 1
  fi
done
echo "ok: docs/snapshot.md's h5dump commands and h5py/pandas snippet print what the page shows"
$check wipe "$cnf"
echo "cdnow_test: all assertions held"
