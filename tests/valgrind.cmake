# valgrind memcheck over the pure-C unit tests (label "valgrind"): any invalid access, use of
# uninitialised memory or definite/indirect leak fails the test (--error-exitcode). Not in
# sanitizer or fuzz builds (ASan and valgrind do not mix). test_clv_recover is the slow one
# (~35 s: its threads run serialised under valgrind).
find_program(TX_VALGRIND valgrind)
if(TX_VALGRIND AND NOT TXETL_SANITIZE AND NOT TXETL_FUZZ)
  foreach(t test_record test_clv_cdnow test_clv_guards test_clv_recover)
    if(TARGET ${t})
      add_test(NAME valgrind_${t}
               COMMAND ${TX_VALGRIND} -q --error-exitcode=99 --leak-check=full
                       --errors-for-leak-kinds=definite,indirect
                       --show-leak-kinds=definite,indirect $<TARGET_FILE:${t}>
               WORKING_DIRECTORY ${TX_TEST_WORK})
      set_tests_properties(valgrind_${t} PROPERTIES LABELS valgrind TIMEOUT 240)
    endif()
  endforeach()
elseif(NOT TX_VALGRIND)
  message(STATUS "valgrind not found: no valgrind_* tests (Debian: apt-get install valgrind)")
endif()
