# load: the version sorter (packed entries, radix-sorted keys, spilled runs and their merge).
tx_add_unit_test(test_sorter SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_sorter.c LIBS tx_load)
target_include_directories(test_sorter PRIVATE ${CMAKE_SOURCE_DIR}/src/load)
# load: the directory's block encoding round trip and refusal of malformed blocks.
tx_add_unit_test(test_dirblock SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_dirblock.c LIBS tx_load)
target_include_directories(test_dirblock PRIVATE ${CMAKE_SOURCE_DIR}/src/load)
# load: where --rejects may point (a file, /dev/null kept a device, others refused); no server.
add_test(NAME rejects_target_file_devnull_refused
         COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/rejects_target_test.sh
                 ${CMAKE_BINARY_DIR} ${TX_TEST_WORK}/rejects_target)
set_tests_properties(rejects_target_file_devnull_refused PROPERTIES TIMEOUT 120
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
