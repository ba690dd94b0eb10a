#!/usr/bin/env bash
# demo.sh — the whole pipeline end to end on a laptop-sized data set:
# dependencies, build, 2 local MariaDB shards, a generated extract with
# tricky/bad/duplicate rows, an MPI load with 2 ranks, status, HTML report.
#
#   scripts/demo.sh [--customers N] [--ranks R] [--no-deps]
#
# Everything lands in demo-out/ (git-ignored). The shards are left running so
# you can look around; the last lines say how to stop them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/demo-out
SHARDS=$OUT/shards
CNF=$SHARDS/shards.cnf

customers=20000 ranks=2 deps=1
while (($#)); do
  case $1 in
    --customers) customers=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    --no-deps) deps=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

step() { printf '\n== %s\n' "$*"; }
# A step "succeeding" without its output is a failure (catches stubs too).
produced() {
  [[ -s $1 ]] || { echo "demo.sh: error: $2 did not produce $1" >&2; exit 1; }
}
t0=$SECONDS

if ((deps)); then
  step "dependencies"
  bash scripts/install-deps.sh
fi

step "build (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2

step "2 MariaDB shards under $SHARDS"
mkdir -p "$OUT"
bash scripts/shards.sh up 2 "$SHARDS"

step "generate $customers customers -> demo-out/extract.csv"
build/txgen --customers "$customers" --out "$OUT/extract.csv" --seed 42 \
  --bad-rate 0.001 --dup-rate 0.02 --tricky --fx-out "$OUT/fx.csv"
produced "$OUT/extract.csv" "txgen"
ls -l "$OUT/extract.csv"

step "load with $ranks MPI ranks"
# A re-run of the demo loads the same extract again: the load is idempotent
# (docs/load.md), so the second run reports the rows as stale, not as new inserts.
mpirun --allow-run-as-root --oversubscribe -n "$ranks" build/txetl load \
  --shards "$CNF" --snapshot-dir "$OUT/snapshots" --rejects "$OUT/rejects.csv" \
  --fx-rates "$OUT/fx.csv" "$OUT/extract.csv"
produced "$OUT/snapshots/latest.h5" "txetl load"

step "status"
build/txetl status --shards "$CNF"

step "report"
build/txetl report "$OUT/snapshots/latest.h5" --out "$OUT/report.html"
produced "$OUT/report.html" "txetl report"

step "done in $((SECONDS - t0))s"
cat <<EOF
  extract     $OUT/extract.csv
  rejects     $OUT/rejects.csv
  snapshots   $OUT/snapshots/ (latest: $OUT/snapshots/latest.h5)
  report      $OUT/report.html
  shard file  $CNF
  shard logs  $SHARDS/shard<i>/error.log

The shards are still running. Look inside with, e.g.:
  mariadb --socket $SHARDS/shard0/sock -uroot Customer -e 'SELECT * FROM etl_runs\\G'
Stop them with:
  bash scripts/shards.sh down $SHARDS          (keep the data)
  bash scripts/shards.sh down $SHARDS --wipe   (delete it)
EOF
