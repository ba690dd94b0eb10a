# store: the null back end connects to nothing, writes nothing and reads back nothing (the
# MariaDB back end is exercised by the integration and security tests against real servers).
tx_add_unit_test(test_store_null SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_store_null.c
                 LIBS tx_store tx_util)
