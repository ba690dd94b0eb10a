#!/usr/bin/env bash
# bench/run.sh — txetl load benchmark against its peers, measured in one run on the same
# MariaDB server(s) and schema (issue "backfill", item 7).
#
#   bench/run.sh [--rows N] [--reps N] [--quick] [--skip-seed] [--seed-rows N]
#                [--skip-rss] [--rss-rows N] [--scaling] [--workdir DIR]
#                [--build-dir DIR] [--no-build] [--keep-shards] [--skip-change]
#                [--skip-reduce] [--reduce-customers N] [--clv-customers N] [--parse-only]
#
#   --rows N        rows of the main extract (default 1000000; txgen ~7.04 rows/customer)
#   --reps N        repetitions of every measured row (default 1); min/median/max printed
#   --quick         smoke test: 100000 rows, reps 1, RSS at 100k vs 400k
#   --skip-seed     skip the Python pandas/executemany peer
#   --seed-rows N   run the Python peer on an N-row extract and EXTRAPOLATE linearly to
#                   --rows (printed as such); default: the full extract
#   --skip-rss      skip the 4x-rows load (peak RSS growth)
#   --rss-rows N    rows of the RSS-growth extract (default 4 x --rows)
#   --scaling       also measure the rank-scaling table: R ranks / R shards, R = 1 2 4
#                   (--scale-ranks "1 2 4" to change the list)
#   --workdir DIR   scratch: extracts, shards, logs (default bench/work; git-ignored)
#   --build-dir DIR binaries (default build-bench); built with CMake Release first
#   --no-build      use the binaries as they are
#   --keep-shards   leave the shard servers running at exit (default: down --wipe)
#   --skip-change   skip the change-batch rows (cdc_base_*, change_*)
#   --skip-reduce   skip the reduce + snapshot rows and the clvfit microbench
#   --pipeline-customers N  also the whole-reduce rows pipeline_1r1s / pipeline_2r2s on N
#                   customers (issue #12: 1400000; off by default: loads take minutes)
#   --pipeline-2x   with --pipeline-customers: also pipeline_1r1s_2x / pipeline_2r1s_2x, the
#                   same customers with twice the transactions each (peak RSS of each rank
#                   must grow < 10 %)
#   --reduce-customers N  customers of the reduce + snapshot extract (default --rows/7.04,
#                   i.e. the main extract; 1 M customers ~ 7 M rows is NOT the default:
#                   too slow for a 2-core box)
#   --clv-customers N     customers of the clvfit_bench model-fit microbench (default 1000000)
#   --reshard-rows N      also bench/reshard_bench.sh on an N-row history (off by default):
#                   reshard 2 -> 4 shards (rows moved/s) against a fresh load into 4 shards
#   --parse-only    only the parse rows: csvbare, dry_1r, dry_2r, mpi_startup and (unless
#                   --skip-rss) csvbare_4x, dry_1r_4x; starts no MariaDB server (--dry-run
#                   connects to none: its shard files name sockets nobody listens on)
#
# Rows measured (each --reps times; before every load the Customer database is dropped and
# recreated, so every peer starts from the same empty server):
#   load_1r1s         mpiexec -n 1 txetl load --no-snapshot, 1 shard (+ peak RSS per rank)
#   loaddata          mariadb LOAD DATA LOCAL INFILE of the same file into sql/schema.sql
#   seed_executemany  bench/seed_executemany.py (pandas chunks 50k, 4 threads, executemany
#                     upserts of 1000 + commit)
#   dry_1r / dry_2r   txetl load --dry-run, 1 and 2 ranks (warm page cache)
#   csvbare           libcsv's bare parse of the same file (warm page cache)
#   load_2r2s         mpiexec -n 2 txetl load --no-snapshot, 2 shards
#   rss_4x            1 rank, 1 shard, --no-snapshot on the 4x extract (peak RSS growth)
#   csvbare_4x / dry_1r_4x   the parse peers again on the 4x extract (start-up weighs less)
#   mpi_startup       mpiexec -n 1 /bin/true (the fixed cost inside every txetl wall time)
#   scale_<R>r<R>s    (--scaling) R ranks, R shards; chart bench/results/scaling.png (gnuplot)
#   cdc_base_100k / cdc_base_1m   1 rank, 1 shard: load of an unshuffled base of 10% / 100%
#                     of --rows (untimed for the change rows; cdc_base_1m = the backfill ratio)
#   change_10k_on_100k / change_10k_on_1m   txetl load of ONE change batch of 1% of --rows
#                     (txgen --changes, ids of the 10% base) onto each base (base reloaded per rep)
#   reduce_load / reduce_snapshot   2 ranks, 2 shards: load --no-snapshot, then txetl snapshot
#   pipeline_1r1s / pipeline_2r1s / pipeline_2r2s   --pipeline-customers N (opt-in; the issue:
#                     1400000): load --no-snapshot, then txetl snapshot at 1 rank / 1 shard, 2
#                     ranks on that same 1-shard load, and 2 / 2: wall, own time, the fits' time
#                     (its "reduce:" line) and peak RSS per rank; ratios 1 rank / 2 ranks
#   pipeline_1r1s_2x  --pipeline-2x: the same N customers, twice the transactions each (txgen's
#                     extract of seed S plus the one of seed S+1, its transaction ids moved past
#                     the first's: same customer ids, two histories each), load at 1 rank /
#                     1 shard, then snapshot at 1 rank (pipeline_1r1s_2x) and at 2 ranks
#                     (pipeline_2r1s_2x); ratios: peak RSS growth of each rank against
#                     pipeline_1r1s / pipeline_2r1s
#   clvfit            build-bench/tests/clvfit_bench N (BG/NBD + Gamma-Gamma fits, 1 process)
#   reshard_2to4 / fresh_load_4s   --reshard-rows N (opt-in): bench/reshard_bench.sh (its own
#                     4 shards; report also in bench/results/reshard.md)
# Output: the report on stdout, bench/results/latest.json and latest.md (one structure; a
# --parse-only run writes them to WORKDIR/results-parse-only instead),
# raw per-rep lines in WORKDIR/results.jsonl, logs in WORKDIR/logs/.
set -euo pipefail

PROG=bench/run.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=/usr/bin/python3          # Debian's: python3-pandas, python3-mysqldb live there
LIB="$HERE/benchlib.py"

die() { echo "$PROG: error: $*" >&2; exit 1; }
note() { echo "$PROG: $*" >&2; }

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

# ------------------------------------------------------------------------------------------ options
ROWS=1000000 REPS=1 QUICK=0 SKIP_SEED=0 SEED_ROWS="" SKIP_RSS=0 RSS_ROWS="" SCALING=0
SCALE_RANKS="1 2 4" WORK="$ROOT/bench/work" BUILD="$ROOT/build-bench" DO_BUILD=1 KEEP=0
GEN_SEED=42 BUILD_NOTE="" SKIP_CHANGE=0 SKIP_REDUCE=0 REDUCE_CUST="" CLV_CUST=1000000 PARSE_ONLY=0
PIPE_CUST=0 PIPE_2X=0 RESHARD_ROWS=0
B_LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
ARGS=("$@")
while (($#)); do
  case $1 in
    --rows) ROWS=${2:?}; shift 2 ;;
    --reps) REPS=${2:?}; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --skip-seed) SKIP_SEED=1; shift ;;
    --seed-rows) SEED_ROWS=${2:?}; shift 2 ;;
    --skip-rss) SKIP_RSS=1; shift ;;
    --rss-rows) RSS_ROWS=${2:?}; shift 2 ;;
    --scaling) SCALING=1; shift ;;
    --scale-ranks) SCALE_RANKS=${2:?}; SCALING=1; shift 2 ;;
    --workdir) WORK=${2:?}; shift 2 ;;
    --build-dir) BUILD=${2:?}; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --keep-shards) KEEP=1; shift ;;
    --skip-change) SKIP_CHANGE=1; shift ;;
    --skip-reduce) SKIP_REDUCE=1; shift ;;
    --reduce-customers) REDUCE_CUST=${2:?}; shift 2 ;;
    --pipeline-customers) PIPE_CUST=${2:?}; shift 2 ;;
    --pipeline-2x) PIPE_2X=1; shift ;;
    --clv-customers) CLV_CUST=${2:?}; shift 2 ;;
    --reshard-rows) RESHARD_ROWS=${2:?}; shift 2 ;;
    --parse-only) PARSE_ONLY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "$PROG: unknown option '$1'" >&2; echo "Try '$PROG --help'." >&2; exit 2 ;;
  esac
done
if ((QUICK)); then ROWS=100000; REPS=1; fi
if ((PARSE_ONLY)); then SKIP_SEED=1 SKIP_CHANGE=1 SKIP_REDUCE=1; fi
[[ -z $RSS_ROWS ]] && RSS_ROWS=$((4 * ROWS))
[[ -z $REDUCE_CUST ]] && REDUCE_CUST=$(((ROWS * 142 + 500) / 1000))
for v in ROWS REPS RSS_ROWS REDUCE_CUST CLV_CUST ${SEED_ROWS:+SEED_ROWS}; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "$PROG: --${v,,} must be a positive integer" | tr _ - >&2; exit 2; }
done
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
LOGS="$WORK/logs"; DATA="$WORK/data"; RES="$WORK/results.jsonl"; META="$WORK/meta.json"
mkdir -p "$LOGS" "$DATA"
: >"$RES"

# ------------------------------------------------------------------------------------------ tools
[[ -x $PY ]] || die "$PY not found (Debian python3)"
$PY -c 'import pandas, MySQLdb' 2>/dev/null || { ((SKIP_SEED)) ||
  die "$PY lacks pandas/MySQLdb: apt-get install python3-pandas python3-mysqldb (or --skip-seed)"; }
command -v mpiexec >/dev/null || die "mpiexec not found (openmpi-bin)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
command -v mariadb >/dev/null || die "mariadb client not found"
if ((DO_BUILD)); then
  note "building txetl txgen csvbare in $BUILD (Release)"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$LOGS/cmake.log" 2>&1 &&
    cmake --build "$BUILD" -j"$(nproc)" --target txetl txgen csvbare >>"$LOGS/cmake.log" 2>&1 ||
    { tail -8 "$LOGS/cmake.log" >&2
      note "WARNING: build failed (log $LOGS/cmake.log; the tree may be mid-edit): using the binaries already in $BUILD"
      BUILD_NOTE="build failed at bench time: binaries in $BUILD as last built ($(date -u -r "$BUILD/txetl" +%FT%TZ 2>/dev/null || echo '?'))"; }
  # the model-fit microbench (tests/models.cmake); optional: its failure only skips the clvfit row
  if ((SKIP_REDUCE == 0)); then
    cmake --build "$BUILD" -j"$(nproc)" --target clvfit_bench >>"$LOGS/cmake.log" 2>&1 ||
      note "WARNING: clvfit_bench did not build (log $LOGS/cmake.log): clvfit row uses what is there, if anything"
  fi
fi
CLVFIT=""
for b in "$BUILD/clvfit_bench" "$BUILD/tests/clvfit_bench"; do [[ -x $b ]] && { CLVFIT=$b; break; }; done
TXETL="$BUILD/txetl" TXGEN="$BUILD/txgen" CSVBARE="$BUILD/csvbare"
for b in "$TXETL" "$TXGEN" "$CSVBARE"; do [[ -x $b ]] || die "$b missing"; done

if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
MPIEXEC=(mpiexec --oversubscribe --bind-to none)

# ------------------------------------------------------------------------------------------ shards
S1="$WORK/s1" S2="$WORK/s2" SCALE_DIRS=()
if ((PARSE_ONLY)); then S1="$WORK/p1" S2="$WORK/p2"; fi
cleanup() {
  local rc=$?
  if ((KEEP == 0 && PARSE_ONLY == 0)); then
    for d in "$S1" "$S2" "${SCALE_DIRS[@]}"; do
      [[ -d $d ]] && "$ROOT/scripts/shards.sh" down "$d" --wipe >>"$LOGS/shards.log" 2>&1 || true
    done
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

shards_up() { # N DIR
  note "starting $1 shard(s) in $2"
  "$ROOT/scripts/shards.sh" up "$1" "$2" --fresh >>"$LOGS/shards.log" 2>&1 ||
    { tail -20 "$LOGS/shards.log" >&2; die "shards.sh up $1 $2 failed"; }
}
sock() { echo "$1/shard$2/sock"; }
nshards() { local n=0; while [[ -d $1/shard$n ]]; do n=$((n + 1)); done; echo $n; }
sql() { # DIR i [args...]   (the bench owns these local servers: root over the unix socket)
  local d=$1 i=$2; shift 2
  mariadb --no-defaults --socket="$(sock "$d" "$i")" -uroot "$@"
}
# Same empty server for every peer: drop and recreate the Customer database on every shard.
reset_db() { # DIR
  local i n; n=$(nshards "$1")
  for ((i = 0; i < n; i++)); do
    sql "$1" "$i" -e "DROP DATABASE IF EXISTS Customer;
      CREATE DATABASE Customer CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"
  done
}
# The txetl DDL for the non-txetl peers, plus the month partitions the file needs.
peer_schema() { # DIR FILE
  sql "$1" 0 Customer <"$ROOT/sql/schema.sql"
  sql "$1" 0 Customer <"$2.partitions.sql"
}
stored_rows() { # DIR -> total rows in TransactionsOptimized over the shards
  local i n t=0 c; n=$(nshards "$1")
  for ((i = 0; i < n; i++)); do
    c=$(sql "$1" "$i" -N -e "SELECT COUNT(*) FROM Customer.TransactionsOptimized" 2>/dev/null || echo 0)
    t=$((t + c))
  done
  echo $t
}

# ------------------------------------------------------------------------------------------ data
# gen ROWS -> sets GEN_FILE GEN_ROWS GEN_BYTES (cached in WORK/data by customer count and seed)
gen() {
  local cust=$((($1 * 142 + 500) / 1000))
  gen_cust "$cust" shuffle
}
# gen_cust CUSTOMERS shuffle|plain -> GEN_FILE GEN_ROWS GEN_BYTES (+ GEN_TRUTH for plain)
# plain = unshuffled ids in customer order + --truth: the first K customers of a bigger plain
# extract with the same seed hold exactly the rows (and ids) of the K-customer plain extract.
gen_cust() {
  local cust=$1 mode=$2 f opt=(--shuffle) tag=""
  ((cust >= 1)) || cust=1
  if [[ $mode == plain ]]; then tag=-plain; fi
  f="$DATA/tx$tag-c$cust-s$GEN_SEED.csv"
  [[ $mode == plain ]] && opt=(--truth "$f.truth")
  if [[ ! -s $f.ok ]]; then
    note "generating $f (~$((cust * 1000 / 142)) rows, $cust customers${tag:+, unshuffled + truth})"
    local t0=$EPOCHREALTIME
    "$TXGEN" --customers "$cust" --out "$f" --seed "$GEN_SEED" "${opt[@]}" >"$LOGS/txgen$tag-c$cust.log" 2>&1 ||
      { cat "$LOGS/txgen$tag-c$cust.log" >&2; die "txgen failed"; }
    local n
    n=$(sed -n 's/.*: \([0-9][0-9]*\) records.*/\1/p' "$LOGS/txgen$tag-c$cust.log" | head -1)
    [[ -n $n ]] || n=$(($(wc -l <"$f") - 1))
    if [[ $mode != plain ]]; then
      $PY "$LIB" partitions "$f" >"$f.partitions.sql"
      $PY "$LIB" loaddata "$f" >"$f.loaddata.sql"
    fi
    echo "$n $(elapsed "$t0")" >"$f.ok"
  fi
  GEN_FILE=$f
  GEN_ROWS=$(cut -d' ' -f1 "$f.ok")
  GEN_BYTES=$(stat -c %s "$f")
  GEN_TRUTH=""; [[ $mode == plain ]] && GEN_TRUTH=$f.truth
  return 0
}
warm() { cat "$1" >/dev/null; }

# ------------------------------------------------------------------------------------------ timing
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.4f", b-a}'; }
jstr() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }

# record ID GROUP LABEL RANKS SHARDS ROWS BYTES WALL INTERNAL RSS_CSV REP EXTRA_JSON
record() {
  local rss="[${10}]" wall=$8 internal=$9
  [[ -n $wall ]] || wall=null
  [[ -n $internal ]] || internal=null
  printf '{"id":%s,"group":%s,"label":%s,"ranks":%s,"shards":%s,"rows":%s,"bytes":%s,"wall_s":%s,"internal_s":%s,"rss_kb":%s,"rep":%s%s}\n' \
    "$(jstr "$1")" "$(jstr "$2")" "$(jstr "$3")" "$4" "$5" "$6" "$7" "$wall" "$internal" "$rss" "${11}" \
    "${12:+,${12}}" >>"$RES"
}

# run_txetl ID GROUP LABEL RANKS SHARD_DIR FILE ROWS BYTES REP [txetl load options...]
# mpiexec -n R, each rank under /usr/bin/time -f %M (peak RSS, KiB); wall timed around mpiexec.
run_txetl() {
  local id=$1 group=$2 label=$3 R=$4 sd=$5 file=$6 rows=$7 bytes=$8 rep=$9; shift 9
  RUN_RC=0   # the exit status, for callers (the function itself returns 0: set -e)
  local tag="$id.rep$rep" pfx="$WORK/rss.$id.rep$rep" sj="$WORK/summary.$id.rep$rep.json" t0 wall rc=0
  rm -f "$pfx".* "$sj"
  t0=$EPOCHREALTIME
  "${MPIEXEC[@]}" -n "$R" sh -c 'exec /usr/bin/time -f %M -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$pfx" \
    "$TXETL" load --shards "$sd/shards.cnf" --quiet --summary-json "$sj" \
    --rejects "$WORK/rejects.$tag.csv" --snapshot-dir "$WORK/snapshots" "$@" "$file" \
    >"$LOGS/$tag.log" 2>&1 || rc=$?
  wall=$(elapsed "$t0")
  local rss="" r
  for ((r = 0; r < R; r++)); do
    [[ -s $pfx.$r ]] && rss+="${rss:+,}$(tail -n1 "$pfx.$r")"
  done
  local internal=""
  [[ -s $sj ]] && internal=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$sj" 2>/dev/null || true)
  if ((rc != 0)); then
    note "FAILED ($rc): $id rep $rep — log $LOGS/$tag.log"; tail -5 "$LOGS/$tag.log" >&2
    record "$id" "$group" "$label" "$R" "$(nshards "$sd")" "$rows" "$bytes" "" "" "$rss" "$rep" "\"error\":\"exit $rc\""
    RUN_RC=$rc
    return 0
  fi
  local extra=${RUN_EXTRA:-}   # caller's extra JSON fields for this row (e.g. expect_stored)
  if [[ " $* " != *" --dry-run "* ]]; then extra+="${extra:+,}\"stored\":$(stored_rows "$sd")"; fi
  record "$id" "$group" "$label" "$R" "$(nshards "$sd")" "$rows" "$bytes" "$wall" "$internal" "$rss" "$rep" "$extra"
  note "$id rep $rep: ${wall}s (txetl ${internal:-?}s) rss/rank KiB [$rss]"
}

# ------------------------------------------------------------------------------------------ rows
bench_txetl_load() { # 1 rank / 1 shard, --no-snapshot; its RSS is also the 1x RSS point
  local rep
  for ((rep = 1; rep <= REPS; rep++)); do
    reset_db "$S1"
    run_txetl load_1r1s load "txetl load --no-snapshot, mpiexec -n 1, 1 shard" 1 "$S1" "$F" "$FROWS" "$FBYTES" "$rep" --no-snapshot
  done
}

bench_loaddata() {
  local rep t0 wall rc
  for ((rep = 1; rep <= REPS; rep++)); do
    reset_db "$S1"; peer_schema "$S1" "$F"
    warm "$F"; rc=0
    t0=$EPOCHREALTIME
    sql "$S1" 0 --local-infile=1 Customer <"$F.loaddata.sql" >"$LOGS/loaddata.rep$rep.log" 2>&1 || rc=$?
    wall=$(elapsed "$t0")
    if ((rc)); then
      note "FAILED: LOAD DATA (log $LOGS/loaddata.rep$rep.log)"; cat "$LOGS/loaddata.rep$rep.log" >&2
      record loaddata peer "plain LOAD DATA LOCAL INFILE (mariadb client), sql/schema.sql + month partitions" 1 1 "$FROWS" "$FBYTES" "" "" "" "$rep" '"error":"failed"'
      continue
    fi
    record loaddata peer "plain LOAD DATA LOCAL INFILE (mariadb client), sql/schema.sql + month partitions" 1 1 "$FROWS" "$FBYTES" "$wall" "" "" "$rep" "\"stored\":$(stored_rows "$S1")"
    note "loaddata rep $rep: ${wall}s"
  done
}

bench_seed() {
  ((SKIP_SEED)) && { note "seed peer skipped (--skip-seed)"; return 0; }
  local file=$F rows=$FROWS bytes=$FBYTES factor=1
  if [[ -n $SEED_ROWS && $SEED_ROWS -lt $ROWS ]]; then
    gen "$SEED_ROWS"; file=$GEN_FILE rows=$GEN_ROWS bytes=$GEN_BYTES
    factor=$(awk -v a="$FROWS" -v b="$rows" 'BEGIN{printf "%.6f", a/b}')
    note "seed peer on $rows rows; wall will be EXTRAPOLATED linearly x$factor to $FROWS rows"
  fi
  local rep t0 wall rc internal
  for ((rep = 1; rep <= REPS; rep++)); do
    reset_db "$S1"; peer_schema "$S1" "$file"
    warm "$file"; rc=0
    t0=$EPOCHREALTIME
    $PY "$HERE/seed_executemany.py" --socket "$(sock "$S1" 0)" "$file" >"$LOGS/seed.rep$rep.log" 2>&1 || rc=$?
    wall=$(elapsed "$t0")
    local lab="seed design: pandas read_csv chunks 50k, ThreadPoolExecutor 4 x MySQLdb, executemany upsert 1000 + commit"
    local extra="\"rows_full\":$FROWS,\"bytes_full\":$FBYTES,\"extrapolate_factor\":$factor"
    if ((rc)); then
      note "FAILED: seed peer (log $LOGS/seed.rep$rep.log)"; tail -5 "$LOGS/seed.rep$rep.log" >&2
      record seed_executemany peer "$lab" 1 1 "$rows" "$bytes" "" "" "" "$rep" "$extra,\"error\":\"failed\""
      continue
    fi
    internal=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["seconds"])' "$LOGS/seed.rep$rep.log" 2>/dev/null || true)
    record seed_executemany peer "$lab" 1 1 "$rows" "$bytes" "$wall" "$internal" "" "$rep" "$extra,\"stored\":$(stored_rows "$S1")"
    note "seed_executemany rep $rep: ${wall}s"
  done
}

# csvbare_row REP ID FILE ROWS BYTES LABEL: libcsv's bare parse of FILE as row ID (warm cache),
# leaving FILE warm for the txetl row that follows.
csvbare_row() {
  local rep=$1 id=$2 file=$3 rows=$4 bytes=$5 label=$6 t0 wall
  warm "$file"
  t0=$EPOCHREALTIME
  "$CSVBARE" "$file" >"$LOGS/$id.rep$rep.log" 2>&1 || die "csvbare failed (log $LOGS/$id.rep$rep.log)"
  wall=$(elapsed "$t0")
  record "$id" parse "$label" 1 0 "$rows" "$bytes" "$wall" "" "" "$rep" "\"bytes_full\":$bytes"
  warm "$file"
}

bench_parse() { # --dry-run (1 and 2 ranks) vs libcsv bare parse, warm cache
  local rep t0 wall
  for ((rep = 1; rep <= REPS; rep++)); do
    csvbare_row "$rep" csvbare "$F" "$FROWS" "$FBYTES" "libcsv bare parse (csv_parse, count fields), warm cache"
    run_txetl dry_1r parse "txetl load --dry-run, mpiexec -n 1 (wall incl. MPI start-up), warm cache" 1 "$S1" "$F" "$FROWS" "$FBYTES" "$rep" --dry-run --no-snapshot
    warm "$F"
    run_txetl dry_2r parse "txetl load --dry-run, mpiexec -n 2, 2 shards, warm cache" 2 "$S2" "$F" "$FROWS" "$FBYTES" "$rep" --dry-run --no-snapshot
    t0=$EPOCHREALTIME
    "${MPIEXEC[@]}" -n 1 /bin/true >/dev/null 2>&1 || true
    wall=$(elapsed "$t0")
    record mpi_startup info "mpiexec -n 1 /bin/true: fixed start-up cost inside every txetl wall time" 1 0 0 0 "$wall" "" "" "$rep"
  done
}

bench_2r2s() {
  local rep
  for ((rep = 1; rep <= REPS; rep++)); do
    reset_db "$S2"
    run_txetl load_2r2s load "txetl load --no-snapshot, mpiexec -n 2, 2 shards" 2 "$S2" "$F" "$FROWS" "$FBYTES" "$rep" --no-snapshot
  done
}

bench_rss() { # peak RSS per rank, 1 rank / 1 shard / --no-snapshot, at 4x rows (1x = load_1r1s)
  ((SKIP_RSS)) && { note "RSS growth row skipped (--skip-rss)"; return 0; }
  ((PARSE_ONLY)) && return 0
  gen "$RSS_ROWS"
  local f4=$GEN_FILE r4=$GEN_ROWS b4=$GEN_BYTES rep
  for ((rep = 1; rep <= REPS; rep++)); do
    reset_db "$S1"
    run_txetl rss_4x rss "txetl load --no-snapshot, mpiexec -n 1, 1 shard, $((RSS_ROWS / ROWS))x extract (peak RSS)" 1 "$S1" "$f4" "$r4" "$b4" "$rep" --no-snapshot
  done
}

bench_parse_4x() { # the parse peers again on the 4x extract: the fixed start-up weighs less
  ((SKIP_RSS)) && return 0
  gen "$RSS_ROWS"
  local f4=$GEN_FILE r4=$GEN_ROWS b4=$GEN_BYTES rep
  for ((rep = 1; rep <= REPS; rep++)); do
    csvbare_row "$rep" csvbare_4x "$f4" "$r4" "$b4" "libcsv bare parse of the $((RSS_ROWS / ROWS))x extract, warm cache"
    run_txetl dry_1r_4x parse "txetl load --dry-run of the $((RSS_ROWS / ROWS))x extract, mpiexec -n 1 (wall incl. MPI start-up), warm cache" 1 "$S1" "$f4" "$r4" "$b4" "$rep" --dry-run --no-snapshot
  done
}

bench_scaling() { # R ranks, R shards, load; 1 and 2 come from load_1r1s / load_2r2s
  ((SCALING)) || return 0
  local R rep d
  for R in $SCALE_RANKS; do
    ((R == 1 || R == 2)) && continue
    d="$WORK/s$R"; SCALE_DIRS+=("$d")
    shards_up "$R" "$d"
    for ((rep = 1; rep <= REPS; rep++)); do
      reset_db "$d"
      run_txetl "scale_${R}r${R}s" scaling "txetl load --no-snapshot, mpiexec -n $R, $R shards" "$R" "$d" "$F" "$FROWS" "$FBYTES" "$rep" --no-snapshot
    done
    "$ROOT/scripts/shards.sh" down "$d" --wipe >>"$LOGS/shards.log" 2>&1 || true
  done
}

# --- change batch and reduce + snapshot ---------------------------------------------------
# Issue: "applying a 10 k-row change batch to a 1 M-row cluster takes <= 1.5x the time of the
# same batch against a 100 k-row cluster, and <= 10% of the 1 M-row backfill time".
# Bases: unshuffled extracts of 10% and 100% of --rows, same seed, so the small base's ids are
# the first ids of the big one. ONE batch of 1% of --rows changes, from the small base's truth.
# txgen numbers the batch's new ids after the last id of --truth-in, which would collide with
# the big base's ids (inserts would become updates there); so --truth-in is the small base's
# truth plus ONE sentinel line, the big base's last truth row: new ids then lie above both
# bases. (At most that one row behaves differently between the two clusters.)
bench_change_batch() {
  ((SKIP_CHANGE)) && { note "change-batch rows skipped (--skip-change)"; return 0; }
  local cs=$((((ROWS / 10) * 142 + 500) / 1000)) cb=$(((ROWS * 142 + 500) / 1000)) nch=$((ROWS / 100))
  ((nch >= 1)) || nch=1
  gen_cust "$cs" plain; local fs=$GEN_FILE rs=$GEN_ROWS bs=$GEN_BYTES ts=$GEN_TRUTH
  gen_cust "$cb" plain; local fb=$GEN_FILE rb=$GEN_ROWS bb=$GEN_BYTES tb=$GEN_TRUTH
  head -n "$((rs + 1))" "$fb" | cmp -s - "$fs" ||
    note "WARNING: the first $cs customers of $fb are not byte-identical to $fs (txgen changed?)"
  local batch="$DATA/chg-n$nch-c$cs-c$cb-s$GEN_SEED.csv"
  local tin="$batch.truth-in" tnew="$batch.truth"
  if [[ ! -s $batch.ok ]]; then
    note "generating change batch $batch ($nch changes on the $rs-row base's ids)"
    { cat "$ts"; tail -n 1 "$tb"; } >"$tin"
    "$TXGEN" --changes "$nch" --truth-in "$tin" --out "$batch" --truth "$tnew" --seed "$GEN_SEED" \
      >"$LOGS/txgen-changes.log" 2>&1 || { cat "$LOGS/txgen-changes.log" >&2; die "txgen --changes failed"; }
    echo "$(($(wc -l <"$batch") - 1))" >"$batch.ok"
  fi
  local nb; nb=$(cat "$batch.ok")
  local bbytes; bbytes=$(stat -c %s "$batch")
  # expected stored rows after the batch: new truth minus the sentinel (small cluster: only if
  # the batch does not touch it); big cluster: big base + (new truth - truth-in)
  # (the new truth keeps deleted ids with a last column deleted=1: count the live ones)
  local sid n_new n_in e_small e_big
  sid=$(tail -n 1 "$tb" | cut -d, -f1)
  n_new=$(awk -F, 'NR > 1 && $NF == 0' "$tnew" | wc -l); n_in=$(($(wc -l <"$tin") - 1))
  e_small=$n_new
  if grep -q "^$sid,.*,0\$" "$tnew" && ! grep -q "^$sid," "$batch"; then e_small=$((n_new - 1)); fi
  e_big=$((rb + n_new - n_in))
  note "change batch: $nb rows; bases $rs / $rb rows"
  local which f r b e lab rep
  for which in 100k 1m; do
    if [[ $which == 100k ]]; then f=$fs r=$rs b=$bs e=$e_small; else f=$fb r=$rb b=$bb e=$e_big; fi
    for ((rep = 1; rep <= REPS; rep++)); do
      reset_db "$S1"
      run_txetl "cdc_base_$which" change "base for the change batch: txetl load --no-snapshot of $(fmtn "$r")-row unshuffled extract, 1 rank, 1 shard (backfill)" \
        1 "$S1" "$f" "$r" "$b" "$rep" --no-snapshot
      ((RUN_RC == 0)) || continue
      RUN_EXTRA="\"expect_stored\":$e,\"batch_rows\":$nb,\"base_rows\":$r"
      run_txetl "change_10k_on_$which" change "txetl load --no-snapshot of ONE $(fmtn "$nb")-row change batch (txgen --changes $nch) onto the $(fmtn "$r")-row cluster, 1 rank, 1 shard" \
        1 "$S1" "$batch" "$nb" "$bbytes" "$rep" --no-snapshot
      RUN_EXTRA=""
    done
  done
}
fmtn() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }   # 1012385 -> 1,012,385

# Issue: "the whole reduce + snapshot write for 1 M customers at 2 ranks takes <= 20% of that
# load's time". 2 ranks / 2 shards: load --no-snapshot (reduce_load), then txetl snapshot
# (reduce_snapshot: internal = its "reduce and snapshot in X s" log line). Default extract:
# --rows/7.04 customers (the main extract's customers); 1 M customers (~7 M rows) is too slow
# for a 2-core box, so that target is checked at --reduce-customers (printed), not at 1 M.
bench_reduce_snapshot() {
  ((SKIP_REDUCE)) && { note "reduce + snapshot rows skipped (--skip-reduce)"; return 0; }
  gen_cust "$REDUCE_CUST" shuffle
  local f=$GEN_FILE r=$GEN_ROWS b=$GEN_BYTES rep snapdir="$WORK/snapshots.reduce"
  for ((rep = 1; rep <= REPS; rep++)); do
    reset_db "$S2"
    RUN_EXTRA="\"customers\":$REDUCE_CUST"
    run_txetl reduce_load reduce "txetl load --no-snapshot, mpiexec -n 2, 2 shards, $(fmtn "$REDUCE_CUST") customers (load part of the reduce ratio)" \
      2 "$S2" "$f" "$r" "$b" "$rep" --no-snapshot
    RUN_EXTRA=""
    ((RUN_RC == 0)) || continue
    rm -rf "$snapdir"; mkdir -p "$snapdir"
    local tag="reduce_snapshot.rep$rep" pfx="$WORK/rss.reduce_snapshot.rep$rep" t0 wall rc=0 internal rss="" k
    rm -f "$pfx".*
    t0=$EPOCHREALTIME
    "${MPIEXEC[@]}" -n 2 sh -c 'exec /usr/bin/time -f %M -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$pfx" \
      "$TXETL" snapshot --shards "$S2/shards.cnf" --snapshot-dir "$snapdir" >"$LOGS/$tag.log" 2>&1 || rc=$?
    wall=$(elapsed "$t0")
    for ((k = 0; k < 2; k++)); do [[ -s $pfx.$k ]] && rss+="${rss:+,}$(tail -n1 "$pfx.$k")"; done
    internal=$(snapshot_seconds "$LOGS/$tag.log")
    local lab="txetl snapshot (reduce + snapshot write), mpiexec -n 2, 2 shards, $(fmtn "$REDUCE_CUST") customers; own time = its log '(reduce X s)'"
    if ((rc)); then
      note "FAILED ($rc): reduce_snapshot rep $rep — log $LOGS/$tag.log"; tail -5 "$LOGS/$tag.log" >&2
      record reduce_snapshot reduce "$lab" 2 2 "$r" "$b" "" "" "$rss" "$rep" "\"customers\":$REDUCE_CUST,\"error\":\"exit $rc\""
      continue
    fi
    record reduce_snapshot reduce "$lab" 2 2 "$r" "$b" "$wall" "$internal" "$rss" "$rep" \
      "\"customers\":$REDUCE_CUST,\"snapshot_bytes\":$(du -sb "$snapdir" | cut -f1)"
    note "reduce_snapshot rep $rep: ${wall}s (txetl ${internal:-?}s) rss/rank KiB [$rss]"
  done
}

# The whole reduce (issue #12): `txetl snapshot` of PIPE_CUST customers at 1 rank / 1 shard
# (S1) and 2 ranks / 2 shards (S2), each after its own load --no-snapshot, and 2 ranks on the
# same 1-shard load (pipeline_2r1s: the read scales with ranks, not shards). Rates for the
# extract's EUR and GBP from txgen --fx-out. Extra fields: the fits' time and the read+fold
# time from the "reduce:" log line, customers.
bench_reduce_pipeline() {
  ((PIPE_CUST > 0)) || return 0
  gen_cust "$PIPE_CUST" shuffle
  local f=$GEN_FILE r=$GEN_ROWS b=$GEN_BYTES rep R S sd
  PIPE_FX="$DATA/fx.csv"
  [[ -s $PIPE_FX ]] || "$TXGEN" --customers 1 --seed 1 --out "$DATA/fx-tiny.csv" --fx-out "$PIPE_FX" >/dev/null 2>&1 ||
    die "txgen --fx-out failed"
  for ((rep = 1; rep <= REPS; rep++)); do
    for R in 1 2; do
      sd=$S1; ((R == 2)) && sd=$S2
      reset_db "$sd"
      run_txetl "pipeline_load_${R}r${R}s" pipeline "txetl load --no-snapshot (before pipeline_${R}r${R}s)" \
        "$R" "$sd" "$f" "$r" "$b" "$rep" --no-snapshot
      ((RUN_RC == 0)) || continue
      for S in $R $((R == 1 ? 2 : 0)); do # 1 shard: at 1 rank, then at 2 (pipeline_2r1s)
        ((S > 0)) || continue
        pipeline_snapshot "pipeline_${S}r${R}s" "$S" "$R" "$sd" "$r" "$b" "$rep" ""
      done
    done
  done
  ((PIPE_2X)) || return 0
  local f2="$DATA/tx-c$PIPE_CUST-s$GEN_SEED-2x.csv" r2 b2
  if [[ ! -s $f2.ok ]]; then # seed S's extract + seed S+1's, ids moved past the first's
    note "generating $f2 (the same $PIPE_CUST customers, two histories each)"
    local s2="$DATA/tx-c$PIPE_CUST-s$((GEN_SEED + 1)).csv" off
    "$TXGEN" --customers "$PIPE_CUST" --out "$s2" --seed $((GEN_SEED + 1)) --shuffle >"$LOGS/txgen-2x.log" 2>&1 ||
      { cat "$LOGS/txgen-2x.log" >&2; die "txgen failed"; }
    off=$(awk -F, 'NR > 1 && $1 + 0 > m { m = $1 + 0 } END { print m + 0 }' "$f")
    { cat "$f"; tail -n +2 "$s2" | awk -F, -v OFS=, -v off="$off" '{ $1 += off; print }'; } >"$f2"
    rm -f "$s2"
    echo "$(($(wc -l <"$f2") - 1))" >"$f2.ok"
  fi
  r2=$(cat "$f2.ok") b2=$(stat -c %s "$f2")
  for ((rep = 1; rep <= REPS; rep++)); do
    reset_db "$S1"
    run_txetl pipeline_load_1r1s_2x pipeline "txetl load --no-snapshot (before pipeline_1r1s_2x)" \
      1 "$S1" "$f2" "$r2" "$b2" "$rep" --no-snapshot
    ((RUN_RC == 0)) || continue
    pipeline_snapshot pipeline_1r1s_2x 1 1 "$S1" "$r2" "$b2" "$rep" ", twice the transactions per customer"
    pipeline_snapshot pipeline_2r1s_2x 2 1 "$S1" "$r2" "$b2" "$rep" ", twice the transactions per customer"
  done
}

# pipeline_snapshot ID RANKS SHARDS SHARD_DIR ROWS BYTES REP LABEL_TAIL: `txetl snapshot` of
# what SHARD_DIR holds at RANKS ranks (the whole reduce), recorded as row ID with the fits' and
# the read+fold time from its "reduce:" line and the peak RSS of every rank.
pipeline_snapshot() {
  local id=$1 ranks=$2 shards=$3 sd=$4 r=$5 b=$6 rep=$7 tail=$8 snapdir="$WORK/snapshots.pipeline"
  local tag="$id.rep$rep" pfx="$WORK/rss.$id.rep$rep" t0 wall rc=0 internal rss="" k fits fold
  rm -rf "$snapdir"; mkdir -p "$snapdir"
  rm -f "$pfx".*
  t0=$EPOCHREALTIME
  "${MPIEXEC[@]}" -n "$ranks" sh -c 'exec /usr/bin/time -f %M -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$pfx" \
    "$TXETL" snapshot --shards "$sd/shards.cnf" --snapshot-dir "$snapdir" --fx-rates "$PIPE_FX" --no-publish \
    >"$LOGS/$tag.log" 2>&1 || rc=$?
  wall=$(elapsed "$t0")
  for ((k = 0; k < ranks; k++)); do [[ -s $pfx.$k ]] && rss+="${rss:+,}$(tail -n1 "$pfx.$k")"; done
  internal=$(snapshot_seconds "$LOGS/$tag.log")
  fits=$(sed -n 's/.*reduce: .* fits \([0-9.][0-9.]*\) s.*/\1/p' "$LOGS/$tag.log" | tail -1)
  fold=$(sed -n 's/.*reduce: .* read+fold \([0-9.][0-9.]*\) s.*/\1/p' "$LOGS/$tag.log" | tail -1)
  local lab="txetl snapshot, the whole reduce, mpiexec -n $ranks, $shards shard(s), $(fmtn "$PIPE_CUST") customers$tail"
  if ((rc)); then
    note "FAILED ($rc): $id rep $rep — log $LOGS/$tag.log"; tail -5 "$LOGS/$tag.log" >&2
    record "$id" pipeline "$lab" "$ranks" "$shards" "$r" "$b" "" "" "$rss" "$rep" "\"customers\":$PIPE_CUST,\"error\":\"exit $rc\""
    return 0
  fi
  record "$id" pipeline "$lab" "$ranks" "$shards" "$r" "$b" "$wall" "$internal" "$rss" "$rep" \
    "\"customers\":$PIPE_CUST,\"fits_s\":${fits:-null},\"read_fold_s\":${fold:-null}"
  note "$id rep $rep: ${wall}s (txetl ${internal:-?}s, fits ${fits:-?}s, read+fold ${fold:-?}s) rss/rank KiB [$rss]"
}

# txetl's own reduce + snapshot time from a log: `txetl snapshot` ends with "snapshot written:
# FILE (reduce X s)" (X = redistribute + rfm/revenue + fits + snapshot write, as its "reduce:"
# line itemises); a load without --no-snapshot logs "reduce and snapshot in X s".
snapshot_seconds() { # LOG
  local x
  x=$(sed -n 's/.*reduce and snapshot in \([0-9.][0-9.]*\) s.*/\1/p' "$1" | tail -1)
  [[ -n $x ]] || x=$(sed -n 's/.*snapshot written: .*(reduce \([0-9.][0-9.]*\) s).*/\1/p' "$1" | tail -1)
  echo "$x"
}

bench_clvfit() { # the model-fit microbench: BG/NBD + Gamma-Gamma fits of N customers, 1 process
  ((SKIP_REDUCE)) && return 0
  [[ -n $CLVFIT ]] || { note "clvfit_bench not built: clvfit row skipped"; return 0; }
  local rep t0 wall rc out bg gg both pr ppc xt tr
  for ((rep = 1; rep <= REPS; rep++)); do
    rc=0; t0=$EPOCHREALTIME
    "$CLVFIT" "$CLV_CUST" >"$LOGS/clvfit.rep$rep.log" 2>&1 || rc=$?
    wall=$(elapsed "$t0")
    out=$(cat "$LOGS/clvfit.rep$rep.log")
    local lab="$CLVFIT $CLV_CUST: BG/NBD + Gamma-Gamma fits (own time = both_fits_s; wall incl. simulation + both prediction paths)"
    if ((rc)); then
      note "FAILED: clvfit_bench (log $LOGS/clvfit.rep$rep.log)"; tail -3 "$LOGS/clvfit.rep$rep.log" >&2
      record clvfit models "$lab" 1 0 0 0 "" "" "" "$rep" "\"customers\":$CLV_CUST,\"error\":\"exit $rc\""
      continue
    fi
    bg=$(sed -n 's/.*bgnbd_fit_s=\([0-9.]*\).*/\1/p' <<<"$out" | head -1)
    gg=$(sed -n 's/.*gg_fit_s=\([0-9.]*\).*/\1/p' <<<"$out" | head -1)
    both=$(sed -n 's/.*both_fits_s=\([0-9.]*\).*/\1/p' <<<"$out" | head -1)
    pr=$(sed -n 's/.*predict_cpu_s=\([0-9.]*\).*/\1/p' <<<"$out" | head -1)
    ppc=$(sed -n 's/.*predict_percustomer_cpu_s=\([0-9.]*\).*/\1/p' <<<"$out" | head -1)
    xt=$(sed -n 's/.*distinct_xT=\([0-9]*\).*/\1/p' <<<"$out" | head -1)
    tr=$(sed -n 's/.*distinct_triples=\([0-9]*\).*/\1/p' <<<"$out" | head -1)
    record clvfit models "$lab" 1 0 0 0 "$wall" "$both" "" "$rep" \
      "\"customers\":$CLV_CUST,\"distinct_triples\":${tr:-null},\"bgnbd_fit_s\":${bg:-null},\"gg_fit_s\":${gg:-null},\"predict_cpu_s\":${pr:-null},\"predict_percustomer_cpu_s\":${ppc:-null},\"distinct_xT\":${xt:-null}"
    note "clvfit rep $rep: fits ${both:-?}s (bgnbd ${bg:-?}s, gg ${gg:-?}s; ${tr:-?} distinct (x, t_x, T)); predictions ${pr:-?}s CPU grouped over ${xt:-?} (x, T) vs ${ppc:-?}s per customer; wall ${wall}s"
  done
}

bench_reshard() { # --reshard-rows N: bench/reshard_bench.sh appends its rows to results.jsonl
  ((RESHARD_ROWS > 0)) || return 0
  bash "$HERE/reshard_bench.sh" --rows "$RESHARD_ROWS" --reps "$REPS" --build-dir "$BUILD" \
    --workdir "$WORK/reshard" --jsonl "$RES" >"$LOGS/reshard_bench.log" 2>&1 ||
    { note "FAILED: bench/reshard_bench.sh — log $LOGS/reshard_bench.log"; tail -5 "$LOGS/reshard_bench.log" >&2; }
}

# ------------------------------------------------------------------------------------------ main
gen "$ROWS"; F=$GEN_FILE FROWS=$GEN_ROWS FBYTES=$GEN_BYTES
note "extract: $F ($FROWS rows, $FBYTES bytes)"
if ((PARSE_ONLY)); then # shard files for --dry-run only: nothing listens on these sockets
  for d in "$S1" "$S2"; do
    rm -rf "$d"; mkdir -p "$d"
    n=1; [[ $d == "$S2" ]] && n=2
    for ((i = 0; i < n; i++)); do
      mkdir -p "$d/shard$i"; printf '[shard%d]\nsocket=%s\nuser=root\n' "$i" "$(sock "$d" "$i")"
    done >"$d/shards.cnf"
    chmod 600 "$d/shards.cnf"
  done
else
  shards_up 1 "$S1"
  shards_up 2 "$S2"
fi

GIT_SHA=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]]; then GIT_SHA+="+dirty"; fi
export B_LOAD_START B_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) B_GIT=$GIT_SHA B_CMD="$PROG ${ARGS[*]}" B_HOST=$(hostname)
export B_CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
export B_CORES=$(nproc) B_MEM=$(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
if ((PARSE_ONLY)); then B_MARIADB="none started (--parse-only)"; else B_MARIADB=$(sql "$S1" 0 -N -e 'SELECT VERSION()'); fi
export B_MARIADB B_MPI=$(mpiexec --version 2>&1 | head -1)
export B_BUILD_NOTE=$BUILD_NOTE
export B_TXETL="$("$TXETL" --version 2>&1 | head -1) ($TXETL)"
export B_SETTINGS=$(cat <<EOF
{"rows": "$FROWS (txgen --customers $(((ROWS * 142 + 500) / 1000)) --seed $GEN_SEED --shuffle)",
 "file": "$F ($(awk -v b="$FBYTES" 'BEGIN{printf "%.1f MB", b/1e6}'))",
 "reps": "$REPS (min/median/max; ratios use medians)",
 "rss_rows": "$( ((SKIP_RSS)) && echo skipped || echo "$RSS_ROWS requested")",
 "seed_peer": "$( ((SKIP_SEED)) && echo skipped || echo "${SEED_ROWS:-full extract}")",
 "mpiexec": "${MPIEXEC[*]} -n R sh -c 'exec /usr/bin/time -f %M ...' txetl load --quiet ...",
 "shards": "$( ((PARSE_ONLY)) && echo "none (--parse-only: --dry-run rows only, shard files naming unused sockets)" || echo "scripts/shards.sh up 1 / up 2 (--fresh); innodb_buffer_pool_size ${TXETL_SHARD_BUFFER_POOL:-512M}")",
 "db_reset": "DROP + CREATE DATABASE Customer on every shard before every load row",
 "peer_schema": "sql/schema.sql + ALTER TABLE TransactionsOptimized REORGANIZE PARTITION gmin INTO (month partitions of the file), untimed",
 "change_batch": "$( ((SKIP_CHANGE)) && echo skipped || echo "1 rank/1 shard; bases txgen --customers $((((ROWS / 10) * 142 + 500) / 1000)) and $(((ROWS * 142 + 500) / 1000)) --seed $GEN_SEED (unshuffled, --truth); ONE batch txgen --changes $((ROWS / 100 > 0 ? ROWS / 100 : 1)) --truth-in (small base truth + sentinel: the big base's last row, so new ids do not collide); base reloaded every rep")",
 "reduce": "$( ((SKIP_REDUCE)) && echo skipped || echo "2 ranks/2 shards, $REDUCE_CUST customers (--reduce-customers; the issue's 1 M customers ~ 7 M rows is not run on this box and not extrapolated); clvfit_bench $CLV_CUST customers ($([[ -n $CLVFIT ]] && echo "${CLVFIT#$ROOT/}" || echo 'not built'))")",
 "wall": "external wall clock around the whole command (process + MPI start-up included)"}
EOF
)

if ((PARSE_ONLY)); then
  bench_parse
  bench_parse_4x
else
  bench_txetl_load
  bench_loaddata
  bench_seed
  bench_parse
  bench_2r2s
  bench_rss
  bench_parse_4x
  bench_scaling
  bench_change_batch
  bench_reduce_snapshot
  bench_reduce_pipeline
  bench_clvfit
  bench_reshard
fi
export B_LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

$PY - "$META" <<'EOF'
import json, os, sys
e = os.environ
meta = {"load_avg": "start %s / end %s (1, 5, 15 min; /proc/loadavg)" % (e["B_LOAD_START"], e["B_LOAD_END"]),
        "date": e["B_DATE"], "git": e["B_GIT"], "command": e["B_CMD"], "host": e["B_HOST"],
        "cpu": e["B_CPU"], "cores": int(e["B_CORES"]), "mem": e["B_MEM"], "mariadb": e["B_MARIADB"],
        "mpi": e["B_MPI"], "txetl": e["B_TXETL"], "settings": json.loads(e["B_SETTINGS"]),
        "notes": ["plain LOAD DATA and the seed peer run on sql/schema.sql with the file's month "
                  "partitions pre-created (one ALTER TABLE ... REORGANIZE PARTITION gmin INTO (...), "
                  "untimed), so they do not fail for missing partitions; txetl creates its own.",
                  "txetl rows use --no-snapshot (load only; reduce + snapshot is a separate row).",
                  "peak RSS = /usr/bin/time %M per rank (KiB -> MiB), max over ranks."]}
if e.get("B_BUILD_NOTE"):
    meta["notes"].append("WARNING: " + e["B_BUILD_NOTE"])
json.dump(meta, open(sys.argv[1], "w"), indent=1)
EOF
echo
# a --parse-only run is partial: it leaves bench/results (the full run's report) alone
OUT="$ROOT/bench/results"; ((PARSE_ONLY)) && OUT="$WORK/results-parse-only"
mkdir -p "$OUT"
$PY "$LIB" report "$RES" "$META" "$OUT"
echo
echo "written: ${OUT#$ROOT/}/latest.json ${OUT#$ROOT/}/latest.md (raw: $RES, logs: $LOGS)"
