# vigil_ids_engine: Hyperscan prefilters and rule confirmation (no DPDK).
# vigil_ids: the IDS as a pipeline stage (flows, streams, app layer, alerts).
pkg_check_modules(HYPERSCAN REQUIRED IMPORTED_TARGET libhs)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
add_library(vigil_ids_engine STATIC
  ${CMAKE_CURRENT_LIST_DIR}/detect_engine.cc
  ${CMAKE_CURRENT_LIST_DIR}/rule_match.cc
  ${CMAKE_CURRENT_LIST_DIR}/threshold_table.cc)
target_link_libraries(vigil_ids_engine PUBLIC vigil_ids_rules PkgConfig::HYPERSCAN PkgConfig::PCRE2)
add_library(vigil_ids STATIC
  ${CMAKE_CURRENT_LIST_DIR}/ids_stage.cc
  ${CMAKE_CURRENT_LIST_DIR}/ids_stage_http.cc
  ${CMAKE_CURRENT_LIST_DIR}/ids_stage_verdict.cc
  ${CMAKE_CURRENT_LIST_DIR}/ids_runtime.cc)
target_link_libraries(vigil_ids PUBLIC vigil_ids_engine vigil_ids_app vigil_ids_eve vigil_dataplane)
