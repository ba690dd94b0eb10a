# route: the exchange rounds, the bounded all-to-all of fixed-size elements and the status
# agreement (tx_outbox / tx_exchange / tx_exchange_blocks / tx_agree), at 1, 2 and 3 ranks:
# uneven and empty sends, self-delivery, many rounds, a rank failing in round k (no hang).
foreach(np 1 2 3)
  tx_add_mpi_test(test_route ${np} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mpi/test_route.c
                  LIBS tx_route)
  set_tests_properties(test_route_np${np} PROPERTIES TIMEOUT 180 LABELS route)
endforeach()
