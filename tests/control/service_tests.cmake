# Unit tests of the control service (control/service.cmake). Included by tests/CMakeLists.txt.
add_executable(vigil_control_service_tests
  ${CMAKE_CURRENT_LIST_DIR}/control_service_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/service_tenant_vm_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/service_policy_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/service_persistence_test.cc)
target_link_libraries(vigil_control_service_tests PRIVATE vigil_control_service GTest::gtest_main)
gtest_discover_tests(vigil_control_service_tests)
