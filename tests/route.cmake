# route: the exchange rounds, the bounded all-to-all of fixed-size elements and the status
# agreement (tx_outbox / tx_exchange / tx_exchange_blocks / tx_agree), at 1, 2 and 3 ranks:
# uneven and empty sends, self-delivery, many rounds, a rank failing in round k (no hang).
foreach(np 1 2 3)
  tx_add_mpi_test(test_route ${np} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mpi/test_route.c
                  LIBS tx_route)
  set_tests_properties(test_route_np${np} PROPERTIES TIMEOUT 180 LABELS route)
endforeach()

# The reduce's sample sort and score return in tiny rounds (64 bytes: one or two elements per
# destination and round): test_reduce's own checks at 3 ranks, and the same snapshots as in
# default rounds.
set(_tx_tiny ${TX_TEST_WORK}/tiny-rounds)
file(MAKE_DIRECTORY ${_tx_tiny})
add_test(NAME reduce_in_tiny_rounds_np3
         COMMAND ${TX_MPIEXEC} -n 3 -x TXETL_ROUND_BYTES $<TARGET_FILE:test_reduce>
         WORKING_DIRECTORY ${_tx_tiny})
set_tests_properties(reduce_in_tiny_rounds_np3 PROPERTIES TIMEOUT 300 LABELS route
  FIXTURES_SETUP reduce_tiny
  ENVIRONMENT "TXETL_ROUND_BYTES=64;OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
foreach(kind day week holdout empty)
  add_test(NAME reduce_snapshot_${kind}_tiny_rounds_equals_default
           COMMAND snapcmp reduce-${kind}-np3/snapshot-test-${kind}.h5
                           tiny-rounds/reduce-${kind}-np3/snapshot-test-${kind}.h5
           WORKING_DIRECTORY ${TX_TEST_WORK})
  set_tests_properties(reduce_snapshot_${kind}_tiny_rounds_equals_default PROPERTIES
                       LABELS route FIXTURES_REQUIRED "reduce_np3;reduce_tiny")
endforeach()
