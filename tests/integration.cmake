# Integration tests against real shards (the shards2 fixture of tests/shards.cmake).
include(${CMAKE_CURRENT_LIST_DIR}/shards.cmake)

# tx_add_shard_test(NAME SCRIPT): bash SCRIPT BUILD_DIR SHARDS_CNF WORK_DIR, keeping its logs.
function(tx_add_shard_test name script)
  tx_add_shards2_test(${name}
    COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script}
            ${CMAKE_BINARY_DIR} ${TX_SHARDS2_CNF} ${TX_TEST_WORK}/${name})
endfunction()

tx_add_shard_test(load_backfill_1_2_3_ranks load_test.sh)
tx_add_shard_test(hostile_input_corpus hostile_input_test.sh)
