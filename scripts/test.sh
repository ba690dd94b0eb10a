#!/usr/bin/env bash
# test.sh — install dependencies, build with -Werror, run the whole CTest suite
# (unit, MPI and integration tests against real local MariaDB shards).
# CI runs this via .ci/run on a fresh clone, as root, with no services running.
#
#   scripts/test.sh [--sanitize] [-- CTEST-ARGS...]
#
#   --sanitize   build in build-asan/ with -DTXETL_SANITIZE=ON (ASan+UBSan)
#                and run the tests there (instead of build/)
#   --no-deps    skip scripts/install-deps.sh
#   -- ARGS      extra ctest arguments, e.g. -- -R shards
#
# Environment: TXETL_CTEST_TIMEOUT (whole ctest run, seconds, default 720),
# TXETL_TEST_TIMEOUT (per test, default 300), TXETL_BUILD_DIR (absolute build
# directory instead of build/ or build-asan/).
#
# The last line printed is always "N passed, N failed" (CI reads it); the exit
# status is non-zero if anything failed, including configure/build (reported
# as "0 passed, 1 failed").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

sanitize=0 deps=1 ctest_extra=()
while (($#)); do
  case $1 in
    --sanitize) sanitize=1; shift ;;
    --no-deps) deps=0; shift ;;
    --) shift; ctest_extra=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

if ((sanitize)); then
  BUILD=${TXETL_BUILD_DIR:-$ROOT/build-asan}
  cmake_flags=(-DTXETL_SANITIZE=ON)
  # Open MPI's own allocations are reported as leaks at exit; keep ASan's
  # memory-error checks, skip leak checking unless the caller asks for it.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
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
  for d in "$BUILD"/test-shards*; do
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

echo "== ctest"
log=$BUILD/ctest.log
set +e
(cd "$BUILD" && timeout -k 30 "${TXETL_CTEST_TIMEOUT:-720}" \
  ctest --output-on-failure -j1 --timeout "${TXETL_TEST_TIMEOUT:-300}" "${ctest_extra[@]}") 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

# "97% tests passed, 1 tests failed out of 34"
line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
if [[ -n $line ]]; then
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  failed=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  passed=$((total - failed))
elif grep -q 'No tests were found' "$log"; then
  passed=0 failed=0
else
  # ctest killed (timeout) or crashed: count the per-test result lines.
  passed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed' "$log" || true)
  failed=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*(\*\*\*|Not Run|Failed)' "$log" || true)
  echo "test.sh: ctest did not finish (exit $rc; timeout ${TXETL_CTEST_TIMEOUT:-720}s?); counting the test still running as failed"
  failed=$((failed + 1))
fi
if ((rc != 0 && failed == 0)); then
  echo "test.sh: ctest exited $rc without a failed test; counting it as a failure"
  failed=1
fi
echo "== total time $((SECONDS - t0))s"
summary "$passed" "$failed"
