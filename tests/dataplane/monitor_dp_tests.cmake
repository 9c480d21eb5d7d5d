# Tests of dataplane/monitor_tap.* and dataplane/response_stage.*: own main (in
# monitor_tap_test.cc), which initialises DPDK's EAL in plain memory and makes the mbuf pool.
add_executable(vigil_monitor_dp_tests
  ${CMAKE_SOURCE_DIR}/tests/dataplane/monitor_tap_test.cc
  ${CMAKE_SOURCE_DIR}/tests/dataplane/response_stage_test.cc)
target_link_libraries(vigil_monitor_dp_tests PRIVATE vigil_dataplane GTest::gtest)
include(GoogleTest)
gtest_discover_tests(vigil_monitor_dp_tests DISCOVERY_TIMEOUT 60)
