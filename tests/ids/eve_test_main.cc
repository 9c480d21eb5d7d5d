// main() of vigil_ids_eve_tests: the writer's ring and pool need DPDK's EAL, initialised once in
// plain memory with no devices (as tests/dpdk_test_main.cc does), then the tests run.
#include <gtest/gtest.h>
#include <rte_eal.h>

#include <cstdio>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  char* eal_argv[] = {argv[0],
                      const_cast<char*>("--no-huge"),
                      const_cast<char*>("-m"),
                      const_cast<char*>("256"),
                      const_cast<char*>("--no-pci"),
                      const_cast<char*>("--no-shconf"),
                      const_cast<char*>("--no-telemetry"),
                      const_cast<char*>("-l"),
                      const_cast<char*>("0"),
                      const_cast<char*>("--file-prefix"),
                      const_cast<char*>("vigil-eve-test"),
                      const_cast<char*>("--log-level=*:error")};
  if (rte_eal_init(sizeof eal_argv / sizeof eal_argv[0], eal_argv) < 0) {
    std::fprintf(stderr, "cannot initialise DPDK's EAL\n");
    return 1;
  }
  const int rc = RUN_ALL_TESTS();
  rte_eal_cleanup();
  return rc;
}
