#include "control/eal_args.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace vigil {
namespace {

struct DefaultGroup {
  std::vector<std::string> args;
  std::vector<std::string> overridden_by;  // option prefixes that replace this default
};

bool user_gives(const std::vector<std::string>& user, const std::vector<std::string>& prefixes) {
  return std::any_of(user.begin(), user.end(), [&](const std::string& a) {
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](const std::string& p) { return a.rfind(p, 0) == 0; });
  });
}

}  // namespace

bool hugepages_available(long pages) {
  std::ifstream in("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
  long free_pages = 0;
  return (in >> free_pages) && free_pages >= pages;
}

std::vector<std::string> build_eal_args(const std::vector<std::string>& user_args,
                                        unsigned lcores) {
  const long cpus = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  std::string map;
  for (unsigned i = 0; i < std::max(1u, lcores); ++i) {
    if (i > 0) map.push_back(',');
    map.append(std::to_string(i)).append("@").append(std::to_string(i % cpus));
  }
  std::vector<DefaultGroup> defaults = {
      {{"--lcores", map}, {"-l", "--lcores", "-c"}},
      {{"--no-pci"}, {"--no-pci", "-a", "--allow", "-b", "--block"}},
      {{"--no-telemetry"}, {"--telemetry", "--no-telemetry"}},
      {{"--log-level=5", "--log-level=lib.eal:4"}, {"--log-level"}},  // EAL: errors only
  };
  // Private memory, so several vigild (and test peers) run side by side: hugepages when 512 MiB
  // of them are free, else plain memory (slower; --in-memory is refused with --no-huge).
  const std::vector<std::string> memory_options = {
      "--in-memory",  "--file-prefix", "--no-huge",     "-m",
      "--socket-mem", "--legacy-mem",  "--huge-unlink", "--no-shconf"};
  if (hugepages_available(256)) {
    defaults.push_back({{"--in-memory"}, memory_options});
  } else {
    defaults.push_back({{"--no-huge", "-m", "512", "--no-shconf"}, memory_options});
  }

  std::vector<std::string> out = {"vigild"};
  for (const DefaultGroup& g : defaults) {
    if (!user_gives(user_args, g.overridden_by))
      out.insert(out.end(), g.args.begin(), g.args.end());
  }
  out.insert(out.end(), user_args.begin(), user_args.end());
  return out;
}

}  // namespace vigil
