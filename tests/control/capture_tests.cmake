# Tests of dataplane/capture.* (per-port capture to pcapng): own main, which initialises DPDK's
# EAL and creates ring ports; files are read back with libpcap.
add_executable(vigil_capture_tests ${CMAKE_SOURCE_DIR}/tests/dataplane/capture_test.cc)
target_link_libraries(vigil_capture_tests PRIVATE vigil_dataplane pcap GTest::gtest)
include(GoogleTest)
gtest_discover_tests(vigil_capture_tests DISCOVERY_TIMEOUT 60)
