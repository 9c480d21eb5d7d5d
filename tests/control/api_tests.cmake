# Unit tests of the control API's server side (control/api.cmake). Included by tests/CMakeLists.txt.
add_executable(vigil_control_api_tests
  ${CMAKE_CURRENT_LIST_DIR}/api_server_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/access_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/audit_log_test.cc)
target_link_libraries(vigil_control_api_tests PRIVATE vigil_control_api GTest::gtest_main)
gtest_discover_tests(vigil_control_api_tests)
