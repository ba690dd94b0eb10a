# Integration tests against real shards (the shards2 fixture of tests/shards.cmake).
include(${CMAKE_CURRENT_LIST_DIR}/shards.cmake)

# tx_add_shard_test(NAME SCRIPT): bash SCRIPT BUILD_DIR SHARDS_CNF WORK_DIR, keeping its logs.
function(tx_add_shard_test name script)
  add_test(NAME ${name}
           COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script}
                   ${CMAKE_BINARY_DIR} ${TX_SHARDS2_CNF} ${TX_TEST_WORK}/${name})
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED shards2 RESOURCE_LOCK shards2
                       TIMEOUT 600 LABELS integration
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
endfunction()

tx_add_shard_test(load_backfill_1_2_3_ranks load_test.sh)
tx_add_shard_test(hostile_input_corpus hostile_input_test.sh)
