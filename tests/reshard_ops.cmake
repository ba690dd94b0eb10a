# txetl reshard under faults (tests/integration/reshard_fault_test.sh), on 3 shards of its own
# (scripts/shards.sh up 2, then up 3): a rank SIGKILLed at every phase, a source and a target
# server SIGKILLed, SIGINT to mpiexec; loads and snapshots refused meanwhile; every rerun ends
# in the state of an uninterrupted reshard (per-shard dumps compared); a ~210k-row history for a
# kill between two 50,000-row chunks. ~2.5 min on the 2-core box.
include(${CMAKE_CURRENT_LIST_DIR}/shards.cmake) # TX_BASH (include_guard: no double registration)

add_test(NAME reshard_fault_matrix
         COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/reshard_fault_test.sh
                 ${CMAKE_BINARY_DIR} ${TX_TEST_WORK}/reshard_fault)
set_tests_properties(reshard_fault_matrix PROPERTIES
  PROCESSORS 2 TIMEOUT 480 LABELS "integration;fault;reshard"
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
