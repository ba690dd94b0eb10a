# versions: docs/load.md's decision as pure functions (src/versions), every rule on hand-made cases,
# random histories against a reference model, and the load's sorter in the same order (so it
# links tx_load for src/load/spill.c).
tx_add_unit_test(test_versions SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_versions.c
                 LIBS tx_versions tx_load)
target_include_directories(test_versions PRIVATE ${CMAKE_SOURCE_DIR}/src/load)
