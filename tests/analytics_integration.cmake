# The issue-4 acceptance checks of the reduce step through the real pipeline (txetl load into
# the 2 real shards of the shards2 fixture, tests/shards.cmake): RFM and revenue against SQL,
# parameter recovery, rank-count independence, change batch = fresh load (analytics_test.sh), and
# the published CDNOW results (cdnow_test.sh). Each starts on reset shards (tx_add_shards2_test).
include(${CMAKE_CURRENT_LIST_DIR}/shards.cmake)

tx_add_shards2_test(analytics_pipeline
  COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/analytics_test.sh
          ${CMAKE_BINARY_DIR} ${TX_SHARDS2_CNF} ${TX_TEST_WORK}/analytics_pipeline
  TIMEOUT 900 LABELS integration analytics)

# TX_CDNOW_CSV: tests/CMakeLists.txt; exit 77 (skipped) if the file is missing.
tx_add_shards2_test(analytics_cdnow
  COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/cdnow_test.sh
          ${CMAKE_BINARY_DIR} ${TX_SHARDS2_CNF} ${TX_TEST_WORK}/analytics_cdnow ${TX_CDNOW_CSV}
  TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS integration analytics)

# `txetl snapshot --holdout-start` on CDNOW: the calibration fit is the published 39-week one,
# holdout actuals equal the event log, main contents unchanged, bad dates refused, report chart.
tx_add_shards2_test(analytics_holdout
  COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/holdout_test.sh
          ${CMAKE_BINARY_DIR} ${TX_SHARDS2_CNF} ${TX_TEST_WORK}/analytics_holdout ${TX_CDNOW_CSV}
  TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS integration analytics)

# Currencies on 2 shards of its own (scripts/shards.sh under /tmp, stopped by trap): revenue_daily
# per (date, currency) after a backfill and a change batch, the by-currency snapshot tables and
# the converted totals against SQL and Python, the refusal without --fx-rates (fx_test.sh).
add_test(NAME analytics_currencies_fx
         COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/fx_test.sh
                 ${CMAKE_BINARY_DIR} ${TX_TEST_WORK}/analytics_currencies_fx)
set_tests_properties(analytics_currencies_fx PROPERTIES TIMEOUT 600 LABELS "integration;analytics"
                     ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
