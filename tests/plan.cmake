# `txetl load --plan` (docs/load.md): read-only (general logs, checksums) and its counts equal to
# the real load's, on the CDC scenario at 1 and 3 ranks, on the shared 2-shard fixture.
# (tests/CMakeLists.txt includes shards.cmake first: tx_add_shards2_test, TX_SHARDS2_CNF.)
include(${CMAKE_CURRENT_LIST_DIR}/shards.cmake)

tx_add_shards2_test(load_plan_equals_run_read_only
  COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/plan_test.sh
          ${CMAKE_BINARY_DIR} ${TX_SHARDS2_CNF} ${TX_TEST_WORK}/plan
  TIMEOUT 600)
