# The detection engine (Hyperscan prefilters, pcre2, rule confirmation) on hand-built inspections.
add_executable(vigil_ids_engine_tests ${CMAKE_CURRENT_LIST_DIR}/detect_engine_test.cc)
target_link_libraries(vigil_ids_engine_tests PRIVATE vigil_ids_engine GTest::gtest_main)
include(GoogleTest)
gtest_discover_tests(vigil_ids_engine_tests)
