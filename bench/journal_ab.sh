#!/usr/bin/env bash
# bench/journal_ab.sh OLD_TXETL NEW_TXETL [ROWS_CUSTOMERS] [REPS]
# A/B of two txetl binaries in one run, on the same 2 local shards (scripts/shards.sh), 2
# ranks: a backfill of a txgen extract into an empty cluster and a change batch on top of it,
# REPS times each, the binaries alternating. Prints each run's wall time, the medians and the
# ratio NEW / OLD. Used to price the intent journal (docs/load.md "A failed run": the
# directory and audit rows are staged and copied in the apply transaction).
set -euo pipefail
old=$1 new=$2 customers=${3:-22000} reps=${4:-3}
src=$(cd "$(dirname "$0")/.." && pwd)
work=${TMPDIR:-/tmp}/txetl-journal-ab
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
rm -rf "$work" && mkdir -p "$work" && cd "$work"
dir=$work/s
cnf=$dir/shards.cnf
trap 'bash "$src/scripts/shards.sh" down "$dir" --wipe >/dev/null 2>&1 || true' EXIT
bash "$src/scripts/shards.sh" up 2 "$dir" | tail -1
txgen=$(dirname "$new")/txgen
"$txgen" --customers "$customers" --seed 51 --out big.csv --truth big.truth --shuffle
"$txgen" --changes $((customers * 2)) --truth-in big.truth --out ch.csv --truth ch.truth --seed 52
echo "extract: $(($(wc -l <big.csv) - 1)) rows; change batch: $(($(wc -l <ch.csv) - 1)) rows"
wipe() { /usr/bin/python3 "$src/tests/integration/txcheck.py" wipe "$cnf"; }
timed() { # bin files... -> seconds
  local bin=$1 t0
  shift
  t0=$(date +%s.%N)
  mpiexec -n 2 "$bin" load --shards "$cnf" --no-snapshot --quiet --rejects /dev/null "$@" >/dev/null
  echo "$(date +%s.%N) - $t0" | bc
}
declare -A res
for ((r = 1; r <= reps; r++)); do
  for which in old new; do
    bin=${!which}
    wipe
    b=$(timed "$bin" big.csv)
    c=$(timed "$bin" ch.csv)
    echo "rep $r $which: backfill ${b}s change ${c}s"
    res[$which.b]+="$b " res[$which.c]+="$c "
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
for k in b c; do
  o=$(median "${res[old.$k]}") n=$(median "${res[new.$k]}")
  printf '%-9s median old %.2f s new %.2f s  new/old %.3f\n' "$([[ $k == b ]] && echo backfill || echo change)" \
    "$o" "$n" "$(echo "$n / $o" | bc -l)"
done
