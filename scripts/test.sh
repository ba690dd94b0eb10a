#!/usr/bin/env bash
# test.sh — install dependencies, build with -Werror, run the whole CTest suite
# (unit, MPI and integration tests against real local MariaDB shards).
# CI runs this via .ci/run on a fresh clone, as root, with no services running.
#
#   scripts/test.sh [--sanitize] [-- CTEST-ARGS...]
#
#   --sanitize   build in build-asan/ with -DTXETL_SANITIZE=ON (ASan+UBSan)
#                and run the tests there (instead of build/); no extra passes
#   --no-extra   skip the sanitizer and fuzz passes below
#   --no-deps    skip scripts/install-deps.sh
#   -- ARGS      extra ctest arguments, e.g. -- -R shards (also skips the passes)
#
# After the normal suite (which includes valgrind memcheck of the unit tests,
# CTest label "valgrind"), two reliability passes run, each counted in the
# final line:
#   sanitizer  build-asan/ (-DTXETL_SANITIZE=ON, gcc): every test except the
#              integration ones (labels integration/shards: they start their own
#              MariaDB shards and load at 1-3 ranks, several minutes more under
#              ASan); ASan leak checking off (Open MPI's allocations at exit).
#   fuzz       build-fuzz/ (clang, -DTXETL_FUZZ=ON): each libFuzzer target of
#              tests/fuzz/ for TXETL_FUZZ_SECONDS (default 60; 0 skips) on a
#              copy of its seed corpus; crashes land in build-fuzz/fuzz-artifacts/.
#
# Environment: TXETL_CTEST_TIMEOUT (whole ctest run, seconds, default 2400),
# TXETL_TEST_TIMEOUT (per test, default 300), TXETL_BUILD_DIR (absolute build
# directory instead of build/ or build-asan/), TXETL_FUZZ_SECONDS.
#
# The last line printed is always "N passed, N failed" (CI reads it); the exit
# status is non-zero if anything failed, including configure/build (reported
# as "0 passed, 1 failed").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

sanitize=0 deps=1 extra=1 ctest_extra=()
while (($#)); do
  case $1 in
    --sanitize) sanitize=1; extra=0; shift ;;
    --no-extra) extra=0; shift ;;
    --no-deps) deps=0; shift ;;
    --) shift; ctest_extra=("$@"); extra=0; break ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

# Open MPI's own allocations are reported as leaks at exit; keep ASan's
# memory-error checks, skip leak checking unless the caller asks for it.
# (Only sanitizer builds read these.)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if ((sanitize)); then
  BUILD=${TXETL_BUILD_DIR:-$ROOT/build-asan}
  cmake_flags=(-DTXETL_SANITIZE=ON)
else
  BUILD=${TXETL_BUILD_DIR:-$ROOT/build}
  cmake_flags=(-DTXETL_SANITIZE=OFF)
fi

# Stop every shard server the test run may have started under $BUILD: the
# fixture's shards_down does this normally; this covers crashes, timeouts, ^C.
cleaned=0
stop_test_shards() {
  ((cleaned)) && return 0
  cleaned=1
  local d p args
  for d in "$BUILD"/test-shards* "$BUILD"/test-work/*/shards; do
    [[ -d $d ]] && bash "$ROOT/scripts/shards.sh" down "$d" >/dev/null 2>&1 || true
  done
  # Strays whose shard dir is gone or unreadable: match our --defaults-file.
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    mapfile -d '' -t args </proc/"$p"/cmdline 2>/dev/null || continue
    [[ ${#args[@]} -ge 2 && ${args[0]##*/} == mariadbd && ${args[1]} == --defaults-file="$BUILD"/test-shards* ]] || continue
    echo "test.sh: killing stray mariadbd pid $p (${args[1]})" >&2
    kill -TERM "$p" 2>/dev/null || true
  done
}
trap stop_test_shards EXIT
trap 'exit 130' INT TERM

summary() { # passed failed
  stop_test_shards
  echo "$1 passed, $2 failed"
  if (($2 == 0)); then exit 0; else exit 1; fi
}

t0=$SECONDS
if ((deps)); then
  bash "$ROOT/scripts/install-deps.sh" || { echo "test.sh: dependency installation failed"; summary 0 1; }
fi

# Leftovers of an interrupted run: start from empty shards.
for d in "$BUILD"/test-shards*; do
  [[ -d $d ]] && bash "$ROOT/scripts/shards.sh" down "$d" --wipe >/dev/null || true
done

echo "== configure ($BUILD)"
mkdir -p "$BUILD"
if ! cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTXETL_WERROR=ON \
      "${cmake_flags[@]}" >"$BUILD/configure.log" 2>&1; then
  cat "$BUILD/configure.log"
  echo "test.sh: cmake configure failed"
  summary 0 1
fi
echo "== build"
if ! cmake --build "$BUILD" -j2; then
  echo "test.sh: build failed"
  summary 0 1
fi
echo "== build done in $((SECONDS - t0))s"

# run_ctest BUILD_DIR LOG [CTEST-ARGS...]: runs ctest, adds to passed/failed.
passed=0 failed=0
run_ctest() {
  local dir=$1 log=$2 line total f p rc
  shift 2
  set +e
  (cd "$dir" && timeout -k 30 "${TXETL_CTEST_TIMEOUT:-2400}" \
    ctest --output-on-failure -j1 --timeout "${TXETL_TEST_TIMEOUT:-300}" "$@") 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  # "97% tests passed, 1 tests failed out of 34"
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [[ -n $line ]]; then
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    f=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
    p=$((total - f))
  elif grep -q 'No tests were found' "$log"; then
    p=0 f=0
  else
    # ctest killed (timeout) or crashed: count the per-test result lines.
    p=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed' "$log" || true)
    f=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*(\*\*\*|Not Run|Failed)' "$log" || true)
    echo "test.sh: ctest did not finish (exit $rc; timeout ${TXETL_CTEST_TIMEOUT:-2400}s?); counting the test still running as failed"
    f=$((f + 1))
  fi
  if ((rc != 0 && f == 0)); then
    echo "test.sh: ctest exited $rc without a failed test; counting it as a failure"
    f=1
  fi
  passed=$((passed + p)) failed=$((failed + f))
}

echo "== ctest"
run_ctest "$BUILD" "$BUILD/ctest.log" "${ctest_extra[@]}"
echo "== ctest done at $((SECONDS - t0))s: $passed passed, $failed failed"

if ((extra)); then
  # --- sanitizer pass: ASan + UBSan over everything but the integration tests.
  ASAN_BUILD=$ROOT/build-asan
  echo "== sanitizer build ($ASAN_BUILD, ASan+UBSan)"
  mkdir -p "$ASAN_BUILD"
  if cmake -S "$ROOT" -B "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTXETL_WERROR=ON \
       -DTXETL_SANITIZE=ON >"$ASAN_BUILD/configure.log" 2>&1 &&
     cmake --build "$ASAN_BUILD" -j2 >"$ASAN_BUILD/build.log" 2>&1; then
    echo "== sanitizer ctest (not labels integration|shards) at $((SECONDS - t0))s"
    run_ctest "$ASAN_BUILD" "$ASAN_BUILD/ctest.log" -LE 'integration|shards'
    if grep -qE 'runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer' "$ASAN_BUILD/ctest.log"; then
      echo "test.sh: sanitizer reports in $ASAN_BUILD/ctest.log (counted as a failure)"
      failed=$((failed + 1))
    fi
  else
    tail -n 30 "$ASAN_BUILD/configure.log" "$ASAN_BUILD/build.log" 2>/dev/null || true
    echo "test.sh: sanitizer build failed"
    failed=$((failed + 1))
  fi

  # --- fuzz pass: each libFuzzer target for a bounded time.
  fuzz_s=${TXETL_FUZZ_SECONDS:-60}
  if ((fuzz_s > 0)); then
    FUZZ_BUILD=$ROOT/build-fuzz
    echo "== fuzz build ($FUZZ_BUILD, clang, libFuzzer+ASan+UBSan) at $((SECONDS - t0))s"
    mkdir -p "$FUZZ_BUILD"
    if CC=clang cmake -S "$ROOT" -B "$FUZZ_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         -DTXETL_WERROR=ON -DTXETL_FUZZ=ON >"$FUZZ_BUILD/configure.log" 2>&1 &&
       cmake --build "$FUZZ_BUILD" -j2 --target fuzz_record fuzz_shardfile \
         >"$FUZZ_BUILD/build.log" 2>&1; then
      for t in fuzz_record fuzz_shardfile; do
        work=$FUZZ_BUILD/fuzz-work/$t art=$FUZZ_BUILD/fuzz-artifacts/$t
        rm -rf "$work"; mkdir -p "$work" "$art"
        cp "$ROOT/tests/fuzz/corpus/$t/"* "$work/"
        flog=$FUZZ_BUILD/$t.log
        set +e
        timeout -k 10 $((fuzz_s + 60)) "$FUZZ_BUILD/tests/fuzz/$t" -max_total_time="$fuzz_s" \
          -print_final_stats=1 -artifact_prefix="$art/" "$work" >"$flog" 2>&1
        frc=$?
        set -e
        execs=$(awk -F: '/^stat::number_of_executed_units/ {gsub(/[ \t]/, "", $NF); print $NF}' "$flog" || true)
        cov=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$flog" | tail -n 1 |
              sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [^ ]+).*/\1/' || true)
        if ((frc == 0)); then
          echo "== fuzz $t: ${execs:-?} executions in ${fuzz_s}s, no finding ($cov)"
          passed=$((passed + 1))
        else
          echo "== fuzz $t: FAILED (exit $frc) after ${execs:-?} executions; log $flog, inputs in $art/"
          grep -E 'ERROR:|runtime error|invariant broken|SUMMARY' "$flog" | head -n 10 || true
          failed=$((failed + 1))
        fi
      done
    else
      tail -n 30 "$FUZZ_BUILD/configure.log" "$FUZZ_BUILD/build.log" 2>/dev/null || true
      echo "test.sh: fuzz build failed"
      failed=$((failed + 1))
    fi
  fi
fi
echo "== total time $((SECONDS - t0))s"
summary "$passed" "$failed"
