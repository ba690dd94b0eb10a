# load: the version sorter (packed entries, radix-sorted keys, spilled runs and their merge).
tx_add_unit_test(test_sorter SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_sorter.c LIBS tx_load)
target_include_directories(test_sorter PRIVATE ${CMAKE_SOURCE_DIR}/src/load)
# load: the directory's block encoding round trip and refusal of malformed blocks.
tx_add_unit_test(test_dirblock SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_dirblock.c LIBS tx_load)
target_include_directories(test_dirblock PRIVATE ${CMAKE_SOURCE_DIR}/src/load)
