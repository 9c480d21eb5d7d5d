# The monitors' decision logic (issue 6): VSEM/VREM per VM, HSEM/HREM per host, baselines,
# playbooks and persistence. Pure C++ (no DPDK); the control thread drives it.
find_package(nlohmann_json 3 REQUIRED)
add_library(vigil_monitors STATIC
  ${CMAKE_CURRENT_LIST_DIR}/monitor_baseline.cc
  ${CMAKE_CURRENT_LIST_DIR}/monitor_names.cc
  ${CMAKE_CURRENT_LIST_DIR}/monitor_state.cc
  ${CMAKE_CURRENT_LIST_DIR}/vsem.cc
  ${CMAKE_CURRENT_LIST_DIR}/vrem.cc
  ${CMAKE_CURRENT_LIST_DIR}/hsem.cc
  ${CMAKE_CURRENT_LIST_DIR}/monitors.cc)
target_link_libraries(vigil_monitors PUBLIC nlohmann_json::nlohmann_json)
