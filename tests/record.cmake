# record: docs/input.md header matching and record validation (pure C, no MPI).
tx_add_unit_test(test_record SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_record.c LIBS tx_record)
# calendar.h, fmt.h, hash.h: the shared primitives against gmtime, snprintf and strftime.
tx_add_unit_test(test_calendar_fmt SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_calendar_fmt.c
                 LIBS tx_util)
