# txgen: same seed, same bytes (1 and 3 ranks); an independent reading of the extract gives
# exactly its --truth and --expect-rejects.
add_test(NAME txgen_deterministic
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/txgen_test.sh $<TARGET_FILE:txgen> ${TX_MPIEXEC}
         WORKING_DIRECTORY ${TX_TEST_WORK})
set_tests_properties(txgen_deterministic PROPERTIES TIMEOUT 300
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1")
