# What every command checks before it writes anything (shard identity, read-only status and
# snapshot, unknown shard-file options, server settings, tables against sql/schema.sql, reject
# limits and their etl_runs row), against 2 real shards of its own (started and wiped by the
# script under its work dir: no fixture, independent of the order of the other tests).
add_test(NAME preflight_identity_servers_tables
         COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/preflight_test.sh
                 ${CMAKE_BINARY_DIR} ${TX_TEST_WORK}/preflight)
set_tests_properties(preflight_identity_servers_tables PROPERTIES
  TIMEOUT 600 LABELS integration
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
