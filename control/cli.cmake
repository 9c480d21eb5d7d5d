# vigilctl, the command-line client of the control API (control/PROTOCOL.md): the library
# (argument parsing, request building, socket client, rendering) is unit-tested on its own.
add_library(vigil_cli STATIC
  ${CMAKE_CURRENT_LIST_DIR}/cli_args.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_commands.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_document.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_help.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_render.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_run.cc)
target_link_libraries(vigil_cli PUBLIC nlohmann_json::nlohmann_json PkgConfig::YAMLCPP)

add_executable(vigilctl ${CMAKE_CURRENT_LIST_DIR}/vigilctl_main.cc)
target_include_directories(vigilctl PRIVATE ${CMAKE_BINARY_DIR}/generated)
target_link_libraries(vigilctl PRIVATE vigil_cli)
set_target_properties(vigilctl PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
