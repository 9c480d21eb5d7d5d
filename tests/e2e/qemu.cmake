# Real QEMU guests (TCG) on vigild's vhost-user ports: tenant isolation and switch restart
# (tests/e2e/qemu_test.py). The guest kernel + initramfs is built once into build/guest by
# scripts/guest/build_guest.sh (apt-get download; needs qemu-system-x86, installs it if missing).
# Include from tests/e2e/CMakeLists.txt (or tests/CMakeLists.txt): include(${...}/qemu.cmake)
if(NOT DEFINED VIGIL_PYTHON)
  set(VIGIL_PYTHON /usr/bin/python3)
endif()
add_test(NAME e2e.qemu
  COMMAND ${VIGIL_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/qemu_test.py
          --vigild $<TARGET_FILE:vigild> --guest-dir ${CMAKE_BINARY_DIR}/guest)
set_tests_properties(e2e.qemu PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 RUN_SERIAL TRUE)
