# Tests of the rule language part of the IDS (ids/rules.cmake).
add_executable(vigil_ids_rules_tests
  ${CMAKE_CURRENT_LIST_DIR}/rule_parser_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/rule_content_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/rule_flow_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/rule_vars_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/rule_loader_test.cc)
target_link_libraries(vigil_ids_rules_tests PRIVATE vigil_ids_rules GTest::gtest_main)
include(GoogleTest)
gtest_discover_tests(vigil_ids_rules_tests TEST_PREFIX "ids.rules.")

# The whole ET Open corpus through vigil-rulecheck (skipped, exit 77, when the corpus is absent).
add_test(NAME ids.et_open_parse
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/et_open_test.py
          $<TARGET_FILE:vigil-rulecheck> ${CMAKE_SOURCE_DIR}/../shared/corpus/rules/et-open)
set_tests_properties(ids.et_open_parse PROPERTIES SKIP_RETURN_CODE 77)
