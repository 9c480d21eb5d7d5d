# The control service: the control API's commands (state edits, validation, persistence,
# authorization). Included by control/CMakeLists.txt.
add_library(vigil_control_service STATIC
  ${CMAKE_CURRENT_LIST_DIR}/control_service.cc
  ${CMAKE_CURRENT_LIST_DIR}/running_config.cc
  ${CMAKE_CURRENT_LIST_DIR}/state_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/yaml_json.cc
  ${CMAKE_CURRENT_LIST_DIR}/command_support.cc
  ${CMAKE_CURRENT_LIST_DIR}/commands_misc.cc
  ${CMAKE_CURRENT_LIST_DIR}/commands_tenant.cc
  ${CMAKE_CURRENT_LIST_DIR}/commands_vm.cc
  ${CMAKE_CURRENT_LIST_DIR}/commands_vm_transfer.cc
  ${CMAKE_CURRENT_LIST_DIR}/vm_edit.cc
  ${CMAKE_CURRENT_LIST_DIR}/commands_policy.cc)
target_link_libraries(vigil_control_service PUBLIC vigil_control vigil_control_api
                      nlohmann_json::nlohmann_json)
