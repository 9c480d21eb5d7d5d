# Unit and randomized robustness tests of the IDS's stream reassembly and app-layer parsers.
add_executable(vigil_ids_app_tests
  ${CMAKE_CURRENT_LIST_DIR}/stream_reassembly_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_parser_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_response_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/dns_parser_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/tls_parser_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/app_detect_test.cc)
target_link_libraries(vigil_ids_app_tests PRIVATE vigil_ids_app GTest::gtest_main)
include(GoogleTest)
gtest_discover_tests(vigil_ids_app_tests)
