# Serving the results in SQL (docs/serving.md): the analytics database (`txetl
# publish` and the load's post-snapshot hook) and the Spider router (`txetl router`), each on
# real servers of its own (scripts/shards.sh under a short /tmp directory, stopped by trap).
# The built sql/analytics.sql (CMakeLists.txt) is its head and what the tool prints now.
add_test(NAME serve_ddl_matches_sql_file
         COMMAND ${TX_BASH} -c "diff <(cat ${CMAKE_SOURCE_DIR}/sql/analytics.sql.in && $<TARGET_FILE:txetl> publish --print-ddl) ${CMAKE_BINARY_DIR}/sql/analytics.sql")
set_tests_properties(serve_ddl_matches_sql_file PROPERTIES TIMEOUT 30 LABELS serve)

foreach(pair "publish:serve_publish_equals_snapshot_and_swaps_atomically"
             "router:serve_router_spider_equals_shards_and_prunes")
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 t)
  list(GET pair 1 name)
  add_test(NAME ${name}
           COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/serve_${t}_test.sh
                   ${CMAKE_BINARY_DIR} ${TX_TEST_WORK}/${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600 LABELS "serve;integration"
                       ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
endforeach()
# The order that keeps a snapshot from being in place (latest.h5, the analytics tables) for a
# run not marked succeeded: loads killed at load.reduced and load.succeeded, then the next
# command (docs/load.md "A failed run").
include(${CMAKE_CURRENT_LIST_DIR}/shards.cmake)
tx_add_shards2_test(serve_snapshot_order_after_kill
  COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/snapshot_order_test.sh
          ${CMAKE_BINARY_DIR} ${TX_SHARDS2_CNF} ${TX_TEST_WORK}/serve_snapshot_order
  TIMEOUT 300 LABELS integration serve)
