#!/usr/bin/env bash
# bench/reshard_bench.sh — `txetl reshard` throughput against a fresh load of the same rows,
# measured in one run on the same MariaDB servers.
#
#   bench/reshard_bench.sh [--rows N] [--reps N] [--ranks R] [--build-dir DIR] [--workdir DIR]
#                          [--jsonl FILE]
#
#   --rows N       rows of the history (default 1000000; txgen ~7.04 rows/customer, --shuffle)
#   --reps N       repetitions (default 1); medians reported
#   --ranks R      MPI ranks of the reshard and of the fresh load (default 4: one per shard)
#   --build-dir D  txetl/txgen binaries (default build-bench, else build)
#   --workdir D    scratch (default bench/work/reshard; git-ignored)
#   --jsonl FILE   also append the rows, in bench/run.sh's results.jsonl format, to FILE
#
# Rows (each rep: the Customer database dropped and recreated on all 4 shards first):
#   reshard_2to4     the history loaded into shards 0-1 (2 ranks, untimed), shards.sh up 4 grows
#                    the cluster, then `mpiexec -n R txetl reshard` (timed, wall): rows moved
#                    = rows whose shard changed (counted exactly afterwards: rows of each new
#                    shard outside its old range), rows moved / s = moved / wall
#   fresh_load_4s    `mpiexec -n R txetl load --no-snapshot` of the same file into the same 4
#                    servers, emptied: rows / s = rows / wall
# The ratio printed is reshard rows moved per second / fresh-load rows per second, by wall time
# and by txetl's own time (the reshard's summary line, the load's --summary-json). CPU seconds
# are printed too, as the box may be shared: the 4 mariadbd servers' (user + system, from
# /proc/PID/stat) and the txetl ranks' (/usr/bin/time on mpiexec, when installed), during each. The resharded
# cluster is checked to hold every row once (count) and equal to the fresh load's row count.
# Output: a Markdown report on stdout and in bench/results/reshard.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ROWS=1000000 REPS=1 RANKS=4 BUILD="" WORK=$ROOT/bench/work/reshard JSONL=""
while (($#)); do
  case $1 in
    --rows) ROWS=${2:?}; shift 2 ;;
    --reps) REPS=${2:?}; shift 2 ;;
    --ranks) RANKS=${2:?}; shift 2 ;;
    --build-dir) BUILD=${2:?}; shift 2 ;;
    --workdir) WORK=${2:?}; shift 2 ;;
    --jsonl) JSONL=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "reshard_bench.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
for v in ROWS REPS RANKS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "reshard_bench.sh: --${v,,} must be a positive integer" >&2; exit 2; }
done
if [[ -z $BUILD ]]; then BUILD=$ROOT/build-bench; [[ -x $BUILD/txetl ]] || BUILD=$ROOT/build; fi
BUILD=$(cd "$BUILD" && pwd)
[[ -x $BUILD/txetl && -x $BUILD/txgen ]] || { echo "reshard_bench.sh: no txetl/txgen in $BUILD" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
SH=$ROOT/scripts/shards.sh
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
S=$WORK/s
((${#S} <= 80)) || S=$(mktemp -d /tmp/txrsb.XXXXXX)/s
cleanup() {
  bash "$SH" down "$S" --wipe >/dev/null 2>&1 || true
  [[ $S == /tmp/txrsb.* ]] && rm -rf "${S%/s}"
  return 0
}
trap cleanup EXIT
note() { echo "reshard_bench: $*" >&2; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}'; }
sql() { mariadb --no-defaults --socket="$S/shard$1/sock" -uroot -N -B -e "$2"; }
reset_all() { bash "$ROOT/tests/integration/shards_reset.sh" "$S" 4 -- true >/dev/null; }
TCK=$(getconf CLK_TCK)
# CPU seconds used so far by the 4 servers (user + system)
server_cpu() { local i t=0 pid; for i in 0 1 2 3; do pid=$(<"$S/shard$i/mariadbd.pid"); t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; awk -v t=$t -v k="$TCK" 'BEGIN{printf "%.2f", t / k}'; }
# mpiexec under /usr/bin/time (user + system seconds of it and its ranks into $TIMEF)
TIMEF=$WORK/time.txt
timed() { if [[ -x /usr/bin/time ]]; then /usr/bin/time -f '%U %S' -o "$TIMEF" "$@"; else : >"$TIMEF"; "$@"; fi; }
rank_cpu() { awk '{printf "%.2f", $1 + $2; ok = 1} END {if (!ok) printf "0"}' "$TIMEF" 2>/dev/null || echo 0; }
count_all() { local i t=0; for i in 0 1 2 3; do t=$((t + $(sql $i "SELECT COUNT(*) FROM Customer.TransactionsOptimized" 2>/dev/null || echo 0))); done; echo $t; }
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
record() { # id label ranks shards rows wall internal rep extra
  [[ -n $JSONL ]] || return 0
  printf '{"id":"%s","group":"reshard","label":"%s","ranks":%s,"shards":%s,"rows":%s,"bytes":%s,"wall_s":%s,"internal_s":%s,"rss_kb":[],"rep":%s%s}\n' \
    "$1" "$2" "$3" "$4" "$5" "$BYTES" "$6" "$7" "$8" "${9:+,$9}" >>"$JSONL"
}

cust=$(((ROWS * 142 + 500) / 1000))
F=$WORK/h-c$cust.csv
if [[ ! -s $F ]]; then
  note "generating $F (txgen --customers $cust --seed 42 --shuffle)"
  "$BUILD/txgen" --customers "$cust" --seed 42 --shuffle --out "$F" >/dev/null
fi
NROWS=$(($(wc -l <"$F") - 1)) BYTES=$(stat -c %s "$F")
note "history: $NROWS rows ($BYTES bytes)"

bash "$SH" down "$S" --wipe >/dev/null 2>&1 || true
bash "$SH" up 2 "$S" --fresh >/dev/null
cp -p "$S/shards.cnf" "$WORK/two.cnf"
bash "$SH" up 4 "$S" >/dev/null   # grows the cluster: shard2, shard3 new and empty
load_avg_start=$(cut -d' ' -f1-3 /proc/loadavg)

: >"$WORK/rows.tsv"
for ((rep = 1; rep <= REPS; rep++)); do
  # ---- reshard 2 -> 4 ----
  reset_all
  t0=$EPOCHREALTIME
  mpiexec --oversubscribe -n 2 "$BUILD/txetl" load --shards "$WORK/two.cnf" --no-snapshot --quiet \
    --rejects "$WORK/r.csv" "$F" >"$WORK/load2.rep$rep.log" 2>&1 ||
    { tail -20 "$WORK/load2.rep$rep.log" >&2; exit 1; }
  load2=$(elapsed "$t0")
  old=$(for i in 0 1; do sql $i "SELECT shard_index, IFNULL(lower_date, ''), IFNULL(upper_date, '') FROM Customer.shard_map WHERE shard_index = $i"; done)
  before=$(count_all)
  c0=$(server_cpu)
  t0=$EPOCHREALTIME
  timed mpiexec --oversubscribe -n "$RANKS" "$BUILD/txetl" reshard --shards "$S/shards.cnf" \
    >"$WORK/reshard.rep$rep.log" 2>&1 || { tail -20 "$WORK/reshard.rep$rep.log" >&2; exit 1; }
  rwall=$(elapsed "$t0")
  rscpu=$(awk -v a="$c0" -v b="$(server_cpu)" 'BEGIN{printf "%.2f", b - a}') rrcpu=$(rank_cpu)
  # txetl's own time: its summary line "reshard: 2 -> 4 shards: ... moved in X s (...)"
  rown=$(sed -n 's/^reshard: .* moved in \([0-9.]*\) s .*/\1/p' "$WORK/reshard.rep$rep.log" | tail -n1)
  after=$(count_all)
  ((after == before && after == NROWS)) || { note "the reshard lost or doubled rows: $before before, $after after, $NROWS in the file"; exit 1; }
  # rows moved: on each new shard, the rows outside the range it had before (shards 2 and 3 had none)
  moved=0
  for i in 0 1 2 3; do
    range=$(awk -F'\t' -v i=$i '$1 == i {print $2 "\t" $3}' <<<"$old")
    if [[ -z $range ]]; then
      n=$(sql $i "SELECT COUNT(*) FROM Customer.TransactionsOptimized")
    else
      lo=${range%%$'\t'*} hi=${range#*$'\t'}
      n=$(sql $i "SELECT COUNT(*) FROM Customer.TransactionsOptimized WHERE
                  ('$lo' <> '' AND transaction_date < '$lo') OR ('$hi' <> '' AND transaction_date >= '$hi')")
    fi
    moved=$((moved + n))
  done
  per=$(for i in 0 1 2 3; do sql $i "SELECT COUNT(*) FROM Customer.TransactionsOptimized"; done | paste -sd/)
  note "rep $rep: load into 2 shards ${load2}s; reshard 2->4 ${rwall}s (CPU: servers ${rscpu}s, ranks ${rrcpu}s), $moved of $after rows moved; rows per shard $per"
  record reshard_2to4 "txetl reshard 2 -> 4 shards, mpiexec -n $RANKS (rows = rows moved)" "$RANKS" 4 "$moved" "$rwall" "${rown:-null}" "$rep" "\"stored\":$after,\"expect_stored\":$NROWS,\"rows_total\":$after,\"per_shard\":\"$per\",\"server_cpu_s\":$rscpu,\"rank_cpu_s\":$rrcpu"

  # ---- fresh load of the same rows into the 4 (emptied) servers ----
  reset_all
  c0=$(server_cpu)
  t0=$EPOCHREALTIME
  timed mpiexec --oversubscribe -n "$RANKS" "$BUILD/txetl" load --shards "$S/shards.cnf" --no-snapshot --quiet \
    --summary-json "$WORK/load4.rep$rep.json" --rejects "$WORK/r.csv" "$F" >"$WORK/load4.rep$rep.log" 2>&1 ||
    { tail -20 "$WORK/load4.rep$rep.log" >&2; exit 1; }
  fwall=$(elapsed "$t0")
  fscpu=$(awk -v a="$c0" -v b="$(server_cpu)" 'BEGIN{printf "%.2f", b - a}') frcpu=$(rank_cpu)
  fown=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$WORK/load4.rep$rep.json" 2>/dev/null || true)
  stored=$(count_all)
  ((stored == NROWS)) || { note "the fresh load stored $stored of $NROWS rows"; exit 1; }
  note "rep $rep: fresh load into 4 shards ${fwall}s (CPU: servers ${fscpu}s, ranks ${frcpu}s)"
  record fresh_load_4s "txetl load --no-snapshot, mpiexec -n $RANKS, 4 empty shards" "$RANKS" 4 "$NROWS" "$fwall" "${fown:-null}" "$rep" "\"stored\":$stored,\"server_cpu_s\":$fscpu,\"rank_cpu_s\":$frcpu"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$moved" "$rwall" "$fwall" "$per" "${rown:-0}" "${fown:-0}" \
    "$rscpu" "$rrcpu" "$fscpu" "$frcpu" >>"$WORK/rows.tsv"
done
load_avg_end=$(cut -d' ' -f1-3 /proc/loadavg)

moved=$(cut -f2 "$WORK/rows.tsv" | median)
rwall=$(cut -f3 "$WORK/rows.tsv" | median)
fwall=$(cut -f4 "$WORK/rows.tsv" | median)
per=$(tail -n1 "$WORK/rows.tsv" | cut -f5)
rown=$(cut -f6 "$WORK/rows.tsv" | median)
fown=$(cut -f7 "$WORK/rows.tsv" | median)
rscpu=$(cut -f8 "$WORK/rows.tsv" | median) rrcpu=$(cut -f9 "$WORK/rows.tsv" | median)
fscpu=$(cut -f10 "$WORK/rows.tsv" | median) frcpu=$(cut -f11 "$WORK/rows.tsv" | median)
out=$ROOT/bench/results/reshard.md
mkdir -p "${out%/*}"
{
  echo "# txetl reshard throughput (bench/reshard_bench.sh)"
  echo
  echo "$(date -u +%FT%TZ), git $(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo '?'), $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), shared with other jobs: load average $load_avg_start at the start, $load_avg_end at the end; $(mariadbd --version 2>/dev/null | awk '{print $3}'); median of $REPS rep(s)."
  echo
  echo "History: $NROWS rows (txgen --customers $cust --seed 42 --shuffle, $((BYTES / 1000000)) MB), loaded into 2 shards, then \`scripts/shards.sh up 4\` and \`mpiexec -n $RANKS txetl reshard\`. The fresh load writes the same file into the same 4 servers, emptied. Wall = the whole command (process and MPI start-up included)."
  echo
  echo "| row | rows | wall | rows/s (wall) | txetl's own time | rows/s (own) |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  awk -v m="$moved" -v w="$rwall" -v n="$NROWS" -v f="$fwall" -v r="$RANKS" -v ro="$rown" -v fo="$fown" 'BEGIN {
    if (ro <= 0) ro = w; if (fo <= 0) fo = f
    printf "| reshard 2 -> 4 shards, %d ranks (rows moved) | %d | %.2f s | %.0f | %.2f s | %.0f |\n", r, m, w, m / w, ro, m / ro
    printf "| reshard 2 -> 4 shards, all stored rows (info) | %d | %.2f s | %.0f | %.2f s | %.0f |\n", n, w, n / w, ro, n / ro
    printf "| fresh load into 4 empty shards, %d ranks | %d | %.2f s | %.0f | %.2f s | %.0f |\n", r, n, f, n / f, fo, n / fo
    printf "\nRatio: reshard rows moved per second / fresh-load rows per second = **%.2f** by wall time (%.2f by txetl'"'"'s own time); the reshard took %.2f x the fresh load'"'"'s wall time and moved %.0f %% of the rows.\n", (m / w) / (n / f), (m / ro) / (n / fo), w / f, 100 * m / n }'
  echo
  awk -v m="$moved" -v n="$NROWS" -v rs="$rscpu" -v rr="$rrcpu" -v fs="$fscpu" -v fr="$frcpu" 'BEGIN {
    printf "CPU (not disturbed by other jobs on the box as wall is): the reshard used %.2f s in the 4 servers + %.2f s in the txetl ranks (%.1f us per row moved), the fresh load %.2f s + %.2f s (%.1f us per row); by server CPU per row, moving a row costs **%.2f** x loading it (%.2f counting the ranks too).\n",
      rs, rr, 1e6 * (rs + rr) / m, fs, fr, 1e6 * (fs + fr) / n, (rs / m) / (fs / n), ((rs + rr) / m) / ((fs + fr) / n) }'
  echo
  echo "Rows per shard after the reshard: $per."
} >"$out"
cat "$out"
