# store: the null back end connects to nothing, writes nothing and reads back nothing (the
# MariaDB back end is exercised by the integration and security tests against real servers).
tx_add_unit_test(test_store_null SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_store_null.c
                 LIBS tx_store tx_util)
# store: the preflight's pure decisions - server version policy, what the groups of a shard file
# reached (swapped, duplicate, foreign, partly identified), unknown option names in [shardN].
tx_add_unit_test(test_preflight SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_preflight.c
                 LIBS tx_store tx_util)
