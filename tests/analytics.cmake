# The reduce step and its snapshot (docs/analytics.md, docs/snapshot.md): tx_analytics, tx_snapshot.

# snapcmp A.h5 B.h5: equal snapshots (integers exact, floats within 1e-9 relative), each laid
# out as the column tables of snapshot.h say (tx_snapshot).
add_executable(snapcmp ${CMAKE_CURRENT_SOURCE_DIR}/mpi/snapcmp.c)
target_link_libraries(snapcmp PRIVATE tx_snapshot tx_hdf5 MPI::MPI_C ${MATH_LIBRARY} tx_flags)

# The reduce against a serial reference, at 1, 2 and 3 ranks; each writes
# test-work/reduce-{day,week,empty}-np<N>/.
foreach(np 1 2 3)
  tx_add_mpi_test(test_reduce ${np} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mpi/test_reduce.c
                  LIBS tx_analytics tx_hdf5 ${MATH_LIBRARY})
  set_tests_properties(test_reduce_np${np} PROPERTIES FIXTURES_SETUP reduce_np${np})
endforeach()

# Rank-count independence: the snapshots of 2 and 3 ranks equal the one of 1 rank.
foreach(kind day week empty)
  foreach(np 2 3)
    add_test(NAME reduce_snapshot_${kind}_np1_equals_np${np}
             COMMAND snapcmp reduce-${kind}-np1/snapshot-test-${kind}.h5
                             reduce-${kind}-np${np}/snapshot-test-${kind}.h5
             WORKING_DIRECTORY ${TX_TEST_WORK})
    set_tests_properties(reduce_snapshot_${kind}_np1_equals_np${np} PROPERTIES
                         FIXTURES_REQUIRED "reduce_np1;reduce_np${np}")
  endforeach()
endforeach()

# h5py (Debian's python3-h5py) reads a snapshot through latest.h5: str attributes, §6 types.
add_test(NAME reduce_snapshot_reads_with_h5py
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/mpi/test_reduce_h5py.py
                 reduce-day-np2/latest.h5 reduce-empty-np2/latest.h5
         WORKING_DIRECTORY ${TX_TEST_WORK})
set_tests_properties(reduce_snapshot_reads_with_h5py PROPERTIES FIXTURES_REQUIRED reduce_np2)

# The fold's bounded buffer (TXETL_REDUCE_BUFFER, fold.c / fold_home.c): with room for 1
# partial, every rank sends its buffer to the customers' home ranks at each month it passes,
# so one customer's history arrives home in many pieces from every rank (and months cut between
# ranks from two); test_reduce's own checks at 2 and 3 ranks, and the same snapshots as 1 rank.
foreach(np 2 3)
  set(_tx_buf ${TX_TEST_WORK}/small-buffer-np${np})
  file(MAKE_DIRECTORY ${_tx_buf})
  add_test(NAME reduce_small_buffer_np${np}
           COMMAND ${TX_MPIEXEC} -n ${np} -x TXETL_REDUCE_BUFFER $<TARGET_FILE:test_reduce>
           WORKING_DIRECTORY ${_tx_buf})
  set_tests_properties(reduce_small_buffer_np${np} PROPERTIES TIMEOUT 300 LABELS analytics
    FIXTURES_SETUP reduce_buf_np${np}
    ENVIRONMENT "TXETL_REDUCE_BUFFER=1;OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
  foreach(kind day week holdout empty)
    add_test(NAME reduce_snapshot_${kind}_small_buffer_np${np}_equals_np1
             COMMAND snapcmp reduce-${kind}-np1/snapshot-test-${kind}.h5
                             small-buffer-np${np}/reduce-${kind}-np${np}/snapshot-test-${kind}.h5
             WORKING_DIRECTORY ${TX_TEST_WORK})
    set_tests_properties(reduce_snapshot_${kind}_small_buffer_np${np}_equals_np1 PROPERTIES
                         LABELS analytics FIXTURES_REQUIRED "reduce_np1;reduce_buf_np${np}")
  endforeach()
endforeach()
