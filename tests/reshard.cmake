# Growing a cluster (txetl reshard, docs/reshard.md).
include(${CMAKE_CURRENT_LIST_DIR}/shards.cmake)

# The boundary rule: equal rows, the open-ended last shard 0.9 of the others' share.
tx_add_unit_test(test_reshard_choose SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_reshard_choose.c
                 LIBS tx_reshard tx_util)

# 2 -> 3 (1 rank; 2 ranks killed after the first chunk, refusals, resume) and 3 -> 5 (3 ranks)
# on servers it starts itself (2 + 3 under its work dir, so no fixture): truth row for row,
# placement by the new map and directory hash, revenue_daily, balance within 15%, snapshot
# unchanged, change batches after the reshard and their reruns, --plan writes nothing.
add_test(NAME reshard_grow_2_3_5
         COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/reshard_test.sh
                 ${CMAKE_BINARY_DIR} ${TX_TEST_WORK}/reshard)
set_tests_properties(reshard_grow_2_3_5 PROPERTIES
  TIMEOUT 600 LABELS "integration;reshard"
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
