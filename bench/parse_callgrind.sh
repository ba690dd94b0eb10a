#!/usr/bin/env bash
# bench/parse_callgrind.sh — instructions of the parse, counted by valgrind's callgrind: libcsv's
# bare parse (csvbare) against `txetl load --dry-run` (1 rank, a rejects file in the work dir), and
# optionally an older txetl build, on the same txgen extract. Instruction counts do not depend
# on what else runs on the machine, so they compare builds where wall times cannot (a shared box).
#
#   bench/parse_callgrind.sh [--build DIR] [--old DIR] [--customers N] [--workdir DIR]
#
#   --build DIR      txetl, txgen, csvbare to measure (default build-bench; built in Release
#                    by bench/run.sh, or: cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release)
#   --old DIR        also measure DIR/txetl (e.g. a build of an earlier commit)
#   --customers N    extract size (default 28200: ~200 000 records, ~15 MB)
#   --workdir DIR    scratch (default bench/work/callgrind)
#
# Prints, per program: instructions on the extract, on a 1 000-record head of it (the fixed
# start-up cost: loader, MPI_Init, set-up), and the marginal instructions per byte and per
# record between the two; and txetl's own share (txetl minus csvbare, per byte). To turn them
# into MB/s, divide a calibration (instructions per second of this CPU, e.g. csvbare's count
# over its CPU time on a quiet machine) by the instructions per byte.
set -euo pipefail
PROG=bench/parse_callgrind.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-bench OLD="" CUST=28200 WORK=$ROOT/bench/work/callgrind
while (($#)); do
  case $1 in
    --build) BUILD=${2:?}; shift 2 ;;
    --old) OLD=${2:?}; shift 2 ;;
    --customers) CUST=${2:?}; shift 2 ;;
    --workdir) WORK=${2:?}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "$PROG: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
command -v valgrind >/dev/null || { echo "$PROG: needs valgrind (Debian: valgrind)" >&2; exit 1; }
for b in txetl txgen csvbare; do
  [[ -x $BUILD/$b ]] || { echo "$PROG: $BUILD/$b missing: build it first (see --help)" >&2; exit 1; }
done
[[ -z $OLD || -x $OLD/txetl ]] || { echo "$PROG: $OLD/txetl missing" >&2; exit 1; }
BUILD=$(cd "$BUILD" && pwd)
[[ -z $OLD ]] || OLD=$(cd "$OLD" && pwd)
mkdir -p "$WORK/shard0"
cd "$WORK"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# --dry-run connects to no server: the shard file names a socket nobody listens on
printf '[shard0]\nsocket=%s/shard0/none.sock\nuser=root\n' "$WORK" >shards.cnf
chmod 600 shards.cnf
f=$WORK/tx-c$CUST.csv
[[ -s $f ]] || "$BUILD/txgen" --customers "$CUST" --seed 42 --shuffle --out "$f" >/dev/null
head -1001 "$f" >head.csv
bytes=$(stat -c %s "$f") hbytes=$(stat -c %s head.csv)
recs=$(($(wc -l <"$f") - 1)) hrecs=1000

count() { # count PROGRAM ARGS... -> instructions
  valgrind --tool=callgrind --callgrind-out-file=callgrind.out "$@" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
# A rejects file of its own, never /dev/null: a txetl older than the /dev/null guard (an --old
# build) renames its joined rejects over the path and would replace the device.
dry() { echo "$1" load --shards shards.cnf --dry-run --no-snapshot --quiet --rejects rejects.csv; }

echo "extract: $f ($bytes bytes, $recs records); head: $hrecs records, $hbytes bytes"
printf '%-10s %15s %13s %12s %12s\n' program instructions fixed instr/byte instr/record
declare -A per
row() { # row NAME CMD... (the file is appended)
  local name=$1; shift
  local all fix
  all=$(count "$@" "$f") fix=$(count "$@" head.csv)
  per[$name]=$(awk -v a="$all" -v f="$fix" -v b="$bytes" -v h="$hbytes" 'BEGIN{printf "%.2f", (a-f)/(b-h)}')
  printf '%-10s %15s %13s %12s %12s\n' "$name" "$all" "$fix" "${per[$name]}" \
    "$(awk -v a="$all" -v f="$fix" -v r="$recs" -v h="$hrecs" 'BEGIN{printf "%.0f", (a-f)/(r-h)}')"
}
row csvbare "$BUILD/csvbare"
# shellcheck disable=SC2046
row txetl $(dry "$BUILD/txetl")
# shellcheck disable=SC2046
[[ -z $OLD ]] || row old $(dry "$OLD/txetl")
echo "txetl's own (txetl - csvbare): $(awk -v t="${per[txetl]}" -v c="${per[csvbare]}" 'BEGIN{printf "%.2f", t-c}') instructions/byte"
