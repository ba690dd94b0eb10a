# Change-data-capture semantics (docs/shards.md, docs/load.md) and failure behaviour against real shards.
# (tests/CMakeLists.txt includes shards.cmake first: tx_add_shards2_test, TX_SHARDS2_CNF.)
include(${CMAKE_CURRENT_LIST_DIR}/shards.cmake)

# Hand-written cases + two chained txgen change batches + rerun, 1/2/3 ranks, on the shared
# 2-shard fixture; then base + batches = one load of the final rows.
tx_add_shards2_test(cdc_changes_1_2_3_ranks
  COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/cdc_test.sh
          ${CMAKE_BINARY_DIR} ${TX_SHARDS2_CNF} ${TX_TEST_WORK}/cdc_changes
  TIMEOUT 900)

# Shard down at start, shard SIGKILLed mid-load, rank SIGKILLed mid-run, two runs at once. It
# starts and kills its own 2 shards (under its work dir), so no fixture; it holds the shards2
# lock and both CPUs anyway, as its kill timing and "fails within N s" limits assume an
# otherwise idle box.
# tx_add_fault_test(NAME SCRIPT WORK): tests/integration/SCRIPT BUILD_DIR TEST_WORK/WORK as a
# fault test of its own 2 shards.
function(tx_add_fault_test name script work)
  add_test(NAME ${name}
           COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script}
                   ${CMAKE_BINARY_DIR} ${TX_TEST_WORK}/${work})
  set_tests_properties(${name} PROPERTIES
    RESOURCE_LOCK shards2 PROCESSORS 2 TIMEOUT 600 LABELS "integration;fault"
    ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
endfunction()
tx_add_fault_test(fault_shard_and_rank_kills fault_test.sh fault)

# The failed-run matrix (docs/load.md "A failed run"): a rank killed, a shard server killed and
# SIGINT to mpiexec at each phase of a backfill and of a change batch, then the same command, a
# different batch or `txetl snapshot`: the shards equal the completed or the never-started
# truth, the one txetl reported. Its own 2 shards, like the fault test.
tx_add_fault_test(fault_matrix_failed_run_completed_or_undone fault_matrix_test.sh fmx)
