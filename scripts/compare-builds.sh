#!/usr/bin/env bash
# compare-builds.sh — run the same loads through two txetl builds and compare what they wrote:
# every shard table (row for row, ordered by primary key; run ids and wall-clock times left
# out), the rejects files and the snapshots (snapcmp: integers exact, floats 1e-9 relative).
# For restructurings that must not change behaviour.
#
#   scripts/compare-builds.sh OLD_BUILD NEW_BUILD [--workdir DIR] [--customers N] [--ranks "1 2 3"]
#                             [--across-formats]
#
# --across-formats: for an OLD_BUILD from before a change of the shard tables' or the
# snapshot's layout (e.g. 7470de5): of the shard tables only TransactionsOptimized and its
# partitions are compared, the snapshots with bench/before_after.py (every object both hold:
# what the data alone determines must be equal, what the model fits determine is measured),
# and options an older build lacks (txgen --fx-out, snapshot --fx-rates) are left out for it.
#
# The inputs (made by OLD_BUILD's txgen): a base extract with bad records, duplicates and tricky
# records, then two chained change batches (updates, moves across shards, deletes). For each
# rank count: wipe 2 local shards, load base + batch 1 + batch 2 with each build (2 shards),
# a `txetl snapshot`, and compare. Exit 0 when everything is identical.
set -euo pipefail
PROG=compare-builds.sh
ROOT=$(cd "$(dirname "$0")/.." && pwd)
old=${1:?usage: $PROG OLD_BUILD NEW_BUILD [--workdir DIR] [--customers N] [--ranks LIST]}
new=${2:?usage: $PROG OLD_BUILD NEW_BUILD}
shift 2
work=$ROOT/build/compare-builds customers=20000 ranks="1 2 3" across=0
while (($#)); do
  case $1 in
    --across-formats) across=1; shift ;;
    --workdir) work=$2; shift 2 ;;
    --customers) customers=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    *) echo "$PROG: unknown option '$1'" >&2; exit 2 ;;
  esac
done
old=$(cd "$old" && pwd) new=$(cd "$new" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p "$work" && cd "$work"
snapcmp=$new/tests/snapcmp
[[ -x $snapcmp ]] || snapcmp=$old/tests/snapcmp

fxout=(--fx-out fx.csv)
rm -f fx.csv
"$old/txgen" --help 2>&1 | grep -q -- --fx-out || fxout=()
"$old/txgen" --customers "$customers" --seed 11 --bad-rate 0.004 --dup-rate 0.05 --tricky \
  --out base.csv --truth base.truth "${fxout[@]}" >/dev/null
if [[ ! -s fx.csv ]]; then # an older txetl summed amounts across currencies as they were: rate 1
  { echo date,currency,rate
    tail -n +2 base.csv | cut -d, -f7 | sort -u | grep -x '[A-Z][A-Z][A-Z]' | grep -vx USD |
      sed 's/^/1970-01-01,/; s/$/,1/'; } >fx.csv
fi
"$old/txgen" --changes $((customers / 10)) --truth-in base.truth --base base.csv --seed 12 \
  --out b1.csv --truth b1.truth >/dev/null
"$old/txgen" --changes $((customers / 10)) --truth-in b1.truth --base base.csv --seed 13 \
  --out b2.csv --truth b2.truth >/dev/null
bash "$ROOT/scripts/shards.sh" up 2 "$work/shards" --fresh >/dev/null
trap 'bash "$ROOT/scripts/shards.sh" down "$work/shards" --wipe >/dev/null 2>&1 || true' EXIT
cnf=$work/shards/shards.cnf

dump() { # dump OUT: every table of every shard (--across-formats: the rows'), canonical text
  /usr/bin/python3 - "$cnf" "$1" "${across:-0}" <<'PY'
import configparser, sys, MySQLdb
cnf, out, across = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
cp = configparser.ConfigParser(allow_no_value=True, strict=False, interpolation=None)
cp.read(cnf)
q = {
 "TransactionsOptimized": "SELECT * FROM TransactionsOptimized ORDER BY transaction_id, transaction_date",
 "audit_log": "SELECT transaction_id, action, old_date, new_date, old_amount, new_amount, "
              "old_category, new_category, old_last_updated, new_last_updated FROM audit_log "
              "ORDER BY audit_id",
 "etl_runs": "SELECT status, ranks, shards, input_files, rows_read, rows_rejected, rows_inserted, "
             "rows_updated, rows_moved, rows_deleted, rows_stale, rows_superseded, message "
             "FROM etl_runs ORDER BY started_at",
 "revenue_daily": "SELECT * FROM revenue_daily ORDER BY 1",
 "shard_map": "SELECT shard_index, shard_count, lower_date, upper_date FROM shard_map ORDER BY 1",
 "txn_directory": "SELECT * FROM txn_directory ORDER BY block",
 "partitions": "SELECT PARTITION_NAME, PARTITION_DESCRIPTION FROM information_schema.PARTITIONS "
               "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'TransactionsOptimized' "
               "ORDER BY PARTITION_ORDINAL_POSITION",
 "indexes": "SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'TransactionsOptimized' ORDER BY 1, 2",
}
if across:
    q = {k: v for k, v in q.items() if k in ("TransactionsOptimized", "partitions")}
with open(out, "w") as f:
    i = 0
    while cp.has_section(f"shard{i}"):
        c = MySQLdb.connect(read_default_file=cnf, read_default_group=f"shard{i}", charset="utf8mb4")
        cur = c.cursor()
        for name, sql in q.items():
            cur.execute(sql)
            for row in cur.fetchall():
                f.write(f"shard{i}\t{name}\t" + "\t".join(repr(v) for v in row) + "\n")
        c.close()
        i += 1
PY
}

fail=0
for np in $ranks; do
  for b in old new; do
    bin=${!b}
    /usr/bin/python3 "$ROOT/tests/integration/txcheck.py" wipe "$cnf"
    rm -rf "snap-$b-$np"
    for step in base b1 b2; do
      mpiexec -n "$np" "$bin/txetl" load --shards "$cnf" --quiet --no-snapshot \
        --rejects "rej-$b-$np-$step.csv" "$step.csv" >"log-$b-$np-$step.txt" 2>&1 ||
        { echo "$PROG: $b build: load $step at $np ranks failed (log-$b-$np-$step.txt)"; exit 1; }
    done
    fx=()
    [[ -s fx.csv ]] && "$bin/txetl" snapshot --help 2>&1 | grep -q -- --fx-rates && fx=(--fx-rates fx.csv)
    mpiexec -n "$np" "$bin/txetl" snapshot --shards "$cnf" --snapshot-dir "snap-$b-$np" "${fx[@]}" \
      >"log-$b-$np-snapshot.txt" 2>&1 ||
      { echo "$PROG: $b build: snapshot at $np ranks failed"; exit 1; }
    dump "dump-$b-$np.txt"
  done
  for step in base b1 b2; do
    if cmp -s "rej-old-$np-$step.csv" "rej-new-$np-$step.csv"; then
      echo "ranks $np: rejects of $step identical ($(($(wc -l <"rej-new-$np-$step.csv") - 1)) rejects)"
    else
      echo "ranks $np: rejects of $step DIFFER"; fail=1
    fi
  done
  if cmp -s "dump-old-$np.txt" "dump-new-$np.txt"; then
    echo "ranks $np: shard tables identical ($(wc -l <"dump-new-$np.txt") rows over $( ((across)) && echo "TransactionsOptimized and its partitions" || echo "all tables"))"
  else
    echo "ranks $np: shard tables DIFFER:"; diff "dump-old-$np.txt" "dump-new-$np.txt" | head -20; fail=1
  fi
  if ((across)); then
    if /usr/bin/python3 "$ROOT/bench/before_after.py" "snap-old-$np/latest.h5" "snap-new-$np/latest.h5" \
      >"before-after-$np.txt"; then
      echo "ranks $np: snapshots: what the data determines identical (bench/before_after.py):"
    else
      echo "ranks $np: snapshots: what the data determines DIFFERS (bench/before_after.py):"; fail=1
    fi
    sed 's/^/    /' "before-after-$np.txt"
  elif "$snapcmp" "snap-old-$np/latest.h5" "snap-new-$np/latest.h5"; then
    echo "ranks $np: snapshots identical (snapcmp)"
  else
    echo "ranks $np: snapshots DIFFER"; fail=1
  fi
done
exit $fail
