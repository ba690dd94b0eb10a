# The issue-4 acceptance checks of the reduce step through the real pipeline (txetl load into
# the 2 real shards of the shards2 fixture, tests/shards.cmake): RFM and revenue against SQL,
# parameter recovery, rank-count independence, change batch = fresh load (analytics_test.sh), and
# the published CDNOW results (cdnow_test.sh). Both scripts wipe the shards before and after.
include(${CMAKE_CURRENT_LIST_DIR}/shards.cmake)

add_test(NAME analytics_pipeline
         COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/analytics_test.sh
                 ${CMAKE_BINARY_DIR} ${TX_SHARDS2_CNF} ${TX_TEST_WORK}/analytics_pipeline)
set_tests_properties(analytics_pipeline PROPERTIES
  FIXTURES_REQUIRED shards2 RESOURCE_LOCK shards2 TIMEOUT 900 LABELS "integration;analytics"
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")

# TX_CDNOW_CSV: tests/CMakeLists.txt; exit 77 (skipped) if the file is missing.
add_test(NAME analytics_cdnow
         COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/cdnow_test.sh
                 ${CMAKE_BINARY_DIR} ${TX_SHARDS2_CNF} ${TX_TEST_WORK}/analytics_cdnow
                 ${TX_CDNOW_CSV})
set_tests_properties(analytics_cdnow PROPERTIES
  FIXTURES_REQUIRED shards2 RESOURCE_LOCK shards2 TIMEOUT 300 SKIP_RETURN_CODE 77
  LABELS "integration;analytics"
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")

# `txetl snapshot --holdout-start` on CDNOW: the calibration fit is the published 39-week one,
# holdout actuals equal the event log, main contents unchanged, bad dates refused, report chart.
add_test(NAME analytics_holdout
         COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/holdout_test.sh
                 ${CMAKE_BINARY_DIR} ${TX_SHARDS2_CNF} ${TX_TEST_WORK}/analytics_holdout
                 ${TX_CDNOW_CSV})
set_tests_properties(analytics_holdout PROPERTIES
  FIXTURES_REQUIRED shards2 RESOURCE_LOCK shards2 TIMEOUT 300 SKIP_RETURN_CODE 77
  LABELS "integration;analytics"
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
