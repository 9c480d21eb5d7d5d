# The control API's server side: unix-socket server, peer credentials, roles, audit log.
# Included by control/CMakeLists.txt.
find_package(Threads REQUIRED)
add_library(vigil_control_api STATIC
  ${CMAKE_CURRENT_LIST_DIR}/control_types.cc
  ${CMAKE_CURRENT_LIST_DIR}/access.cc
  ${CMAKE_CURRENT_LIST_DIR}/audit_log.cc
  ${CMAKE_CURRENT_LIST_DIR}/api_server.cc)
target_link_libraries(vigil_control_api PUBLIC vigil_control nlohmann_json::nlohmann_json
                      Threads::Threads)
