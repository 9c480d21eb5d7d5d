// The EAL command line vigild starts DPDK with: sensible defaults for a switch process (one
// lcore, no PCI scan, private in-memory mode, hugepages when the host has them reserved), each
// default dropped when the config's `eal:` list or --eal gives the same option.
#pragma once

#include <string>
#include <vector>

namespace vigil {

// `lcores`: how many lcores vigild needs (main + workers); by default lcore i runs on CPU
// i % (online CPUs).
std::vector<std::string> build_eal_args(const std::vector<std::string>& user_args, unsigned lcores);

// True when the host has at least `pages` free 2 MiB hugepages.
bool hugepages_available(long pages);

}  // namespace vigil
