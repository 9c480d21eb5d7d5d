# Unit and scenario tests of the monitors' decision logic (tenancy/monitors.cmake).
add_executable(vigil_monitors_tests
  ${CMAKE_CURRENT_LIST_DIR}/monitor_baseline_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/hsem_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/monitors_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/monitors_state_test.cc)
target_link_libraries(vigil_monitors_tests PRIVATE vigil_monitors GTest::gtest_main)
include(GoogleTest)
gtest_discover_tests(vigil_monitors_tests)
