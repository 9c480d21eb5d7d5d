# vigilctl: unit tests of the client library (no vigild), and the end-to-end test of the whole
# control API against a live vigild (root; skipped with 77 when it cannot run here).
add_executable(vigil_cli_tests ${CMAKE_CURRENT_LIST_DIR}/cli_test.cc
                               ${CMAKE_CURRENT_LIST_DIR}/cli_client_test.cc)
target_link_libraries(vigil_cli_tests PRIVATE vigil_cli GTest::gtest_main)
gtest_discover_tests(vigil_cli_tests)

add_test(NAME e2e.control
  COMMAND ${VIGIL_PYTHON} ${CMAKE_SOURCE_DIR}/tests/e2e/control_test.py
          --vigild $<TARGET_FILE:vigild> --vigilctl $<TARGET_FILE:vigilctl>)
set_tests_properties(e2e.control PROPERTIES RUN_SERIAL TRUE TIMEOUT 120 SKIP_RETURN_CODE 77)
