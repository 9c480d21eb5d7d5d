# vigil_ids_rules: the Suricata rule language (parser, variables, classification.config, file
# loader), plain C++ without DPDK or Hyperscan; and vigil-rulecheck, which prints a load report.
add_library(vigil_ids_rules STATIC
  ${CMAKE_CURRENT_LIST_DIR}/rule.cc
  ${CMAKE_CURRENT_LIST_DIR}/rule_syntax.cc
  ${CMAKE_CURRENT_LIST_DIR}/rule_vars.cc
  ${CMAKE_CURRENT_LIST_DIR}/classification.cc
  ${CMAKE_CURRENT_LIST_DIR}/rule_parser.cc
  ${CMAKE_CURRENT_LIST_DIR}/rule_options.cc
  ${CMAKE_CURRENT_LIST_DIR}/rule_match_options.cc
  ${CMAKE_CURRENT_LIST_DIR}/rule_loader.cc)

add_executable(vigil-rulecheck ${CMAKE_CURRENT_LIST_DIR}/rulecheck_main.cc)
target_link_libraries(vigil-rulecheck PRIVATE vigil_ids_rules)
set_target_properties(vigil-rulecheck PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
