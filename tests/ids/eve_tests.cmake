# Tests of ids/eve_*: formatting (plain gtest) and the writer (needs DPDK's EAL: the shared main).
add_executable(vigil_ids_eve_tests
  ${CMAKE_SOURCE_DIR}/tests/dpdk_test_main.cc
  ${CMAKE_CURRENT_LIST_DIR}/eve_format_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/eve_writer_test.cc)
if(NOT DEFINED VIGIL_PYTHON)
  set(VIGIL_PYTHON /usr/bin/python3)
endif()
# Every line the tests write is checked by an independent JSON parser: Python's.
target_compile_definitions(vigil_ids_eve_tests PRIVATE VIGIL_PYTHON="${VIGIL_PYTHON}")
target_link_libraries(vigil_ids_eve_tests PRIVATE vigil_ids_eve GTest::gtest)
gtest_discover_tests(vigil_ids_eve_tests DISCOVERY_TIMEOUT 60)
