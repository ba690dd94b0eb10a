# Real MariaDB shards for integration tests (CTest fixture "shards2").
#
# An integration test that needs two live shards is registered with
#   tx_add_shards2_test(my_test COMMAND bash my_test.sh ... ${TX_SHARDS2_CNF} ...
#                       [TIMEOUT S] [LABELS ...] [SKIP_RETURN_CODE C])
# It then requires the fixture and holds its lock (CTest runs shards_up, fresh empty shards,
# before the first such test and shards_down, which wipes them, after the last), and it starts
# through tests/integration/shards_reset.sh: other connections ended, every database dropped,
# an empty Customer created, exactly the state shards_up leaves. So tests do not depend on
# each other's leftovers or on their order (`ctest --schedule-random` passes). A test adding
# FIXTURES_REQUIRED shards2 by hand fails the configure (tests/CMakeLists.txt checks).
# Resetting costs ~0.1 s per test; a pair of fresh servers per test would cost several
# seconds each.
# NOTE: tests/*.cmake are included in alphabetical order; tests/CMakeLists.txt includes this
# file first (it has an include guard), so every file sees the helper and TX_SHARDS2_CNF.

include_guard()  # tests/CMakeLists.txt may include this file early, then glob it again

find_program(TX_BASH bash REQUIRED)
find_program(TX_MARIADB_CLIENT NAMES mariadb mysql)

set(TX_SHARDS2_DIR ${CMAKE_BINARY_DIR}/test-shards2)
set(TX_SHARDS2_CNF ${TX_SHARDS2_DIR}/shards.cnf)
set(TX_SHARDS_SH ${CMAKE_SOURCE_DIR}/scripts/shards.sh)
set(TX_SHARDS_RESET ${CMAKE_CURRENT_LIST_DIR}/integration/shards_reset.sh)

# tx_add_shards2_test(NAME COMMAND cmd args... [TIMEOUT S] [LABELS l...] [SKIP_RETURN_CODE C])
function(tx_add_shards2_test name)
  cmake_parse_arguments(T "" "TIMEOUT;SKIP_RETURN_CODE" "COMMAND;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS integration)
  endif()
  add_test(NAME ${name}
           COMMAND ${TX_BASH} ${TX_SHARDS_RESET} ${TX_SHARDS2_DIR} 2 -- ${T_COMMAND})
  set_tests_properties(${name} PROPERTIES
    FIXTURES_REQUIRED shards2 RESOURCE_LOCK shards2 TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
    ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
  if(T_SKIP_RETURN_CODE)
    set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE ${T_SKIP_RETURN_CODE})
  endif()
  set_property(GLOBAL APPEND PROPERTY TX_SHARDS2_TESTS ${name})
endfunction()

add_test(NAME shards_up
         COMMAND ${TX_BASH} ${TX_SHARDS_SH} up 2 ${TX_SHARDS2_DIR} --fresh)
set_tests_properties(shards_up PROPERTIES
  FIXTURES_SETUP shards2
  RESOURCE_LOCK shards2
  TIMEOUT 180
  LABELS "shards;integration")

add_test(NAME shards_down
         COMMAND ${TX_BASH} ${TX_SHARDS_SH} down ${TX_SHARDS2_DIR} --wipe)
set_tests_properties(shards_down PROPERTIES
  FIXTURES_CLEANUP shards2
  RESOURCE_LOCK shards2
  TIMEOUT 180
  LABELS "shards;integration")

# Each shard answers on its socket, and the shard file's [shardI] groups are
# read by the client library (as txetl reads them): database, local_infile,
# byte-exact collation.
if(TX_MARIADB_CLIENT)
  set(_tx_answer_script ${CMAKE_CURRENT_BINARY_DIR}/shards_answer.sh)
  file(WRITE ${_tx_answer_script} [=[
#!/usr/bin/env bash
# Generated from tests/shards.cmake.
set -euo pipefail
client=$1 dir=$2 n=$3
cnf=$dir/shards.cnf
[[ -f $cnf ]] || { echo "no shard file $cnf"; exit 1; }
perm=$(stat -c %a "$cnf")
[[ $perm == 600 ]] || { echo "$cnf has mode $perm, want 600"; exit 1; }
for ((i = 0; i < n; i++)); do
  out=$("$client" --no-defaults --socket "$dir/shard$i/sock" -uroot -N -B -e 'SELECT 1')
  [[ $out == 1 ]] || { echo "shard$i: SELECT 1 gave '$out'"; exit 1; }
  grep -q "^\[shard$i\]" "$cnf" || { echo "no [shard$i] in $cnf"; exit 1; }
  echo "shard$i: answers"
done
if grep -q "^\[shard$n\]" "$cnf"; then echo "unexpected [shard$n] in $cnf"; exit 1; fi
# Read the groups through libmariadb's option-file parser, as txetl does.
if /usr/bin/python3 -c 'import MySQLdb' 2>/dev/null; then
  /usr/bin/python3 - "$cnf" "$n" <<'EOF'
import sys, MySQLdb
cnf, n = sys.argv[1], int(sys.argv[2])
socks = set()
for i in range(n):
    c = MySQLdb.connect(read_default_file=cnf, read_default_group=f"shard{i}")
    cur = c.cursor()
    cur.execute("SELECT DATABASE(), @@local_infile, @@collation_database, @@socket")
    db, infile, coll, sock = cur.fetchone()
    assert db == "Customer", (i, db)
    assert int(infile) == 1, (i, infile)
    assert coll == "utf8mb4_nopad_bin", (i, coll)
    assert sock.endswith(f"/shard{i}/sock"), (i, sock)
    socks.add(sock)
    # Columns take the database default collation: byte-exact comparisons.
    cur.execute("CREATE TEMPORARY TABLE tx_coll (s VARCHAR(8) NOT NULL)")
    cur.execute("INSERT INTO tx_coll VALUES ('a')")
    cur.execute("SELECT SUM(s = 'a'), SUM(s = 'a '), SUM(s = 'A') FROM tx_coll")
    assert tuple(map(int, cur.fetchone())) == (1, 0, 0), "text comparison is not byte-exact"
    c.close()
    print(f"shard{i}: shards.cnf group ok ({sock})")
assert len(socks) == n, socks
EOF
else
  echo "note: /usr/bin/python3 MySQLdb missing; skipped the option-file check"
fi
]=])
  tx_add_shards2_test(shards_answer
    COMMAND ${TX_BASH} ${_tx_answer_script} ${TX_MARIADB_CLIENT} ${TX_SHARDS2_DIR} 2
    TIMEOUT 60 LABELS shards integration)
endif()

# scripts/shards.sh up M on a DIR holding N < M shards (growing for txetl reshard), on shards of
# its own: the existing groups byte for byte unchanged, the new shards reachable and empty,
# fewer refused, a [router] group and its TCP port kept. ~15 s.
add_test(NAME shards_grow
         COMMAND ${TX_BASH} ${CMAKE_CURRENT_LIST_DIR}/integration/shards_grow_test.sh
                 ${CMAKE_BINARY_DIR} ${CMAKE_BINARY_DIR}/test-work/grow)
set_tests_properties(shards_grow PROPERTIES
  TIMEOUT 180 LABELS "shards;integration"
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
