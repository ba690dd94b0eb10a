#!/usr/bin/env bash
# hostile_input_test.sh BUILD_DIR SHARDS_CNF WORK_DIR
# A corpus of hostile input files (made here by tests/integration/make_hostile.py) and the clear
# outcome each must have: rejects with reasons, or an error before any write naming the file;
# never a crash, a hang or a partial silent load. 1 and 3 ranks.
set -euo pipefail
build=$1 cnf=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
rm -rf "$work" && mkdir -p "$work" && cd "$work"
/usr/bin/python3 "$here/make_hostile.py" corpus
fails=0 checks=0

# run NP FILE... -> sets rc, out (stdout+stderr); a dry run, with a 60 s bound
run() {
  local np=$1; shift
  rc=0
  out=$(timeout 60 mpiexec --oversubscribe -n "$np" "$build/txetl" load --dry-run --quiet \
        --shards "$cnf" --rejects rej.csv "$@" 2>&1) || rc=$?
}
# expect NAME RC PATTERN: exit status and a message matching PATTERN
expect() {
  checks=$((checks + 1))
  if [[ $rc != "$2" ]] || ! grep -Eq -- "$3" <<<"$out"; then
    echo "FAIL $1: exit $rc (want $2), output does not match /$3/:"
    echo "$out" | head -5
    fails=$((fails + 1))
  else
    echo "ok   $1: exit $rc, /$3/"
  fi
}
# reasons NAME REASON...: the rejects file holds exactly these reason codes (as a set)
reasons() {
  checks=$((checks + 1))
  local name=$1; shift
  local got want
  got=$(/usr/bin/python3 -c 'import csv,sys; r=csv.reader(open("rej.csv",newline="",encoding="utf-8",errors="surrogateescape")); next(r); print(" ".join(sorted({x[3] for x in r})))')
  want=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ' | sed 's/ $//')
  if [[ $got != "$want" ]]; then
    echo "FAIL $name: reject reasons '$got', want '$want'"
    fails=$((fails + 1))
  else
    echo "ok   $name: rejects with reasons: $got"
  fi
}

# all_rejected NAME N: N rejects, each with a known reason code
all_rejected() {
  checks=$((checks + 1))
  local bad
  bad=$(/usr/bin/python3 "$here/make_hostile.py" check-rejects rej.csv "$2")
  if [[ -n $bad ]]; then
    echo "FAIL $1: $bad"
    fails=$((fails + 1))
  else
    echo "ok   $1: all $2 records rejected with known reason codes"
  fi
}

for np in 1 3; do
  echo "== $np rank(s)"
  run $np corpus/garbage.bin
  expect garbage_no_header 2 "garbage.bin.*(lacks|missing).*transaction_id"
  run $np --max-reject-rate 1 corpus/garbage_body.csv
  expect garbage_body 0 "rejected|read|DRY RUN"
  all_rejected garbage_body 301
  run $np corpus/garbage_body.csv
  expect garbage_body_rate 1 "over --max-reject-rate.*nothing was written"
  run $np --max-reject-rate 1 corpus/big_field.csv
  expect big_field 0 "DRY RUN"
  reasons big_field category_too_long record_too_long
  run $np corpus/wide_header.csv
  expect wide_header 2 "wide_header.csv.*(columns|header)"
  run $np --max-reject-rate 1 corpus/wide_record.csv
  expect wide_record 0 "DRY RUN"
  reasons wide_record field_count
  run $np --max-reject-rate 1 corpus/open_quote.csv
  expect open_quote 0 "DRY RUN"
  reasons open_quote unterminated_quote
  run $np --max-reject-rate 1 corpus/nul_bytes.csv
  expect nul_bytes 0 "DRY RUN"
  reasons nul_bytes nul_byte bad_transaction_id bad_amount
  run $np --max-reject-rate 1 corpus/long_line.csv
  expect long_line 0 "DRY RUN"
  reasons long_line record_too_long
  run $np --max-reject-rate 1 corpus/bad_utf8.csv
  expect bad_utf8 0 "DRY RUN"
  reasons bad_utf8 bad_utf8
  run $np corpus/bad_utf8_header.csv
  expect bad_utf8_header 2 "bad_utf8_header.csv.*transaction_id"
  run $np corpus/empty.csv
  expect empty 0 "read 0 "
  run $np corpus/header_only.csv
  expect header_only 0 "read 0 "
  run $np corpus/missing_column.csv
  expect missing_column 2 "missing_column.csv.*transaction_amount"
  run $np corpus
  expect directory 2 "corpus.*not a regular file"
  run $np corpus/does-not-exist.csv
  expect unreadable 2 "does-not-exist.csv.*cannot open"
done

# A real load of a mostly-bad file writes nothing: no rows, no etl_runs row but its own failed
# one (no applied counts), on any shard.
echo "== real load, reject rate exceeded"
before=$(/usr/bin/python3 "$here/make_hostile.py" footprint "$cnf")
rc=0
out=$(timeout 120 mpiexec --oversubscribe -n 2 "$build/txetl" load --quiet --no-snapshot \
      --shards "$cnf" --rejects rej.csv corpus/garbage_body.csv 2>&1) || rc=$?
expect real_load_rate 1 "over --max-reject-rate.*nothing was written"
after=$(/usr/bin/python3 "$here/make_hostile.py" footprint "$cnf")
checks=$((checks + 1))
if [[ $before != "$after" ]]; then
  echo "FAIL real_load_rate: the shards changed: $before -> $after"
  fails=$((fails + 1))
else
  echo "ok   real_load_rate: shards unchanged ($after)"
fi

echo "$((checks - fails)) passed, $fails failed"
((fails == 0))
