# Models area (tx_models): BG/NBD + Gamma-Gamma fits and predictions.
tx_add_unit_test(test_clv_cdnow SOURCES unit/test_clv_cdnow.c LIBS tx_models)
target_compile_definitions(test_clv_cdnow PRIVATE
  CDNOW_CSV="${TX_CDNOW_CSV}")

find_package(Threads REQUIRED)
tx_add_unit_test(test_clv_recover SOURCES unit/test_clv_recover.c LIBS tx_models Threads::Threads)
tx_add_unit_test(test_clv_guards SOURCES unit/test_clv_guards.c LIBS tx_models)

# Benchmark (not a test): bench/run.sh calls `clvfit_bench [N]`.
add_executable(clvfit_bench ${CMAKE_SOURCE_DIR}/bench/clvfit_bench.c)
target_include_directories(clvfit_bench PRIVATE ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(clvfit_bench PRIVATE tx_models)

# Benchmark (not a test): the real reduce step on a txgen extract without a database,
# `clvfit_csv EXTRACT.csv SNAPSHOT_DIR [--week]`; the log line times the fits.
add_executable(clvfit_csv ${CMAKE_SOURCE_DIR}/bench/clvfit_csv.c)
target_link_libraries(clvfit_csv PRIVATE tx_analytics tx_hdf5)
