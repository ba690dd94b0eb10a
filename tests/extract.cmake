# The exact parallel split of RFC 4180 input, 1-4 ranks.
foreach(np 1 2 3 4)
  tx_add_mpi_test(test_split ${np} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mpi/test_split.c LIBS tx_extract)
endforeach()
