# Report tests: render the dashboard from a fixture snapshot (tests/report/make_snapshot.py)
# through the report_cli driver, then check the HTML and the DOM headless chromium builds.

add_executable(report_cli ${CMAKE_SOURCE_DIR}/tests/report/report_cli.c)
target_link_libraries(report_cli PRIVATE tx_report tx_util tx_flags)

set(TX_REPORT_TEST ${CMAKE_SOURCE_DIR}/tests/report/report_test.sh)
foreach(mode renders empty_snapshot unconverged_fit_flagged missing_dataset_fails)
  add_test(NAME report_${mode}
           COMMAND bash ${TX_REPORT_TEST} ${mode} $<TARGET_FILE:report_cli>
                   ${CMAKE_SOURCE_DIR}/tests/report/make_snapshot.py ${TX_TEST_WORK}/report)
  set_tests_properties(report_${mode} PROPERTIES TIMEOUT 180)
endforeach()

# The report as a new user sees it: headless Chromium at 1280 px and 390 px wide, a JS probe for
# sideways scrolling, the daily chart's panels, plurals, the footer's file; screenshots kept in
# test-work/report/layout/ (named in the log). Skipped (77) only without chromium.
add_test(NAME report_layout_desktop_and_phone
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/report/report_layout_test.sh
                 $<TARGET_FILE:report_cli> ${CMAKE_SOURCE_DIR}/tests/report/make_snapshot.py
                 ${TX_TEST_WORK}/report)
set_tests_properties(report_layout_desktop_and_phone PROPERTIES TIMEOUT 300 LABELS report
                     SKIP_RETURN_CODE 77)

# The dashboard's MTD / MoM / YoY comparisons (src/report/report_period.c), a pure function.
tx_add_unit_test(test_report_period SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_report_period.c
                 LIBS tx_report tx_util)
target_include_directories(test_report_period PRIVATE ${CMAKE_SOURCE_DIR}/src/report)
