# Export tests: `txetl export` writes the snapshot's tables as CSV; tests/export/check_export.py
# re-reads them with Python's csv module and compares every value with h5py's (docs/serving.md's
# customer and revenue tables as files; docs/export.md).
set(TX_EXPORT_TEST ${CMAKE_SOURCE_DIR}/tests/export/export_test.sh)
set(TX_EXPORT_ARGS $<TARGET_FILE:txetl> ${CMAKE_SOURCE_DIR}/tests/report/make_snapshot.py
                   ${TX_TEST_WORK}/export)
foreach(mode fixture_roundtrip errors_name_file)
  add_test(NAME export_${mode} COMMAND bash ${TX_EXPORT_TEST} ${mode} ${TX_EXPORT_ARGS})
  set_tests_properties(export_${mode} PROPERTIES TIMEOUT 120 LABELS export)
endforeach()
# The real writer's snapshots (test_reduce at 2 ranks), one of them with 0 customers.
add_test(NAME export_writer_roundtrip
         COMMAND bash ${TX_EXPORT_TEST} writer_roundtrip ${TX_EXPORT_ARGS}
                 ${TX_TEST_WORK}/reduce-day-np2/latest.h5 ${TX_TEST_WORK}/reduce-week-np2/latest.h5
                 ${TX_TEST_WORK}/reduce-empty-np2/latest.h5)
set_tests_properties(export_writer_roundtrip PROPERTIES TIMEOUT 120 LABELS export
                     FIXTURES_REQUIRED reduce_np2)
