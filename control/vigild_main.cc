// vigild: the vigil switch daemon. Loads and validates the config, starts DPDK, opens the ports,
// and runs the worker pipeline: to the end of the captures in replay mode (every port a pcap
// file), otherwise until SIGINT/SIGTERM. On exit it prints its counters and, with
// --stats-json, writes them as JSON.
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "control/config.h"
#include "control/eal_args.h"
#include "control/stats_report.h"
#include "dataplane/pipeline.h"
#include "dataplane/ports.h"
#include "dataplane/replay_merger.h"
#include "dataplane/worker.h"
#include "tenancy/tenancy_map.h"
#include "vigil_version.h"

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop.store(true);
}

struct Options {
  std::string config;
  std::string stats_json;
  std::vector<std::string> eal;
};

constexpr const char* kUsage =
    "usage: vigild --config FILE [--stats-json FILE] [--eal \"EAL ARGS\"]\n"
    "  --config FILE      switch configuration (YAML; see README.md, Configuration)\n"
    "  --stats-json FILE  write the counters as JSON here on exit\n"
    "  --eal \"ARGS\"       extra DPDK EAL arguments (override vigild's defaults)\n"
    "  --version, --help\n";

int parse_options(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--version") {
      std::cout << "vigild " << VIGIL_VERSION << "\n";
      return 0;
    } else if (a == "--config" || a == "-c") {
      opt.config = value();
    } else if (a == "--stats-json") {
      opt.stats_json = value();
    } else if (a == "--eal") {
      std::istringstream words(value());
      for (std::string w; words >> w;) opt.eal.push_back(w);
    } else {
      throw std::invalid_argument("unknown option '" + a + "'");
    }
  }
  if (opt.config.empty()) throw std::invalid_argument("--config is required");
  return -1;
}

int run(const vigil::Config& config, const Options& opt) {
  using namespace vigil;
  std::vector<std::string> eal_user = config.eal_args;
  eal_user.insert(eal_user.end(), opt.eal.begin(), opt.eal.end());
  std::vector<std::string> eal_args = build_eal_args(eal_user);
  std::vector<char*> eal_argv;
  for (std::string& a : eal_args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::cerr << "vigild: DPDK EAL initialisation failed: " << rte_strerror(rte_errno) << "\n";
    return 1;
  }
  int ts_offset = -1;
  uint64_t ts_flag = 0;
  if (rte_mbuf_dyn_rx_timestamp_register(&ts_offset, &ts_flag) != 0) ts_offset = -1;

  // Enough mbufs for every rx ring, the tx rings and a burst in flight per port.
  rte_mempool* pool = rte_pktmbuf_pool_create("vigil_mbufs", 16383, 256, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
  if (pool == nullptr) {
    std::cerr << "vigild: cannot create the mbuf pool: " << rte_strerror(rte_errno) << "\n";
    return 1;
  }

  int rc = 0;
  try {
    Ports ports(config.ports, pool);
    const std::vector<std::string> names = ports.names();
    const TenancyMap tenancy(config.tenancy, names);
    PipelineConfig pc;
    pc.limits.max_frame = config.settings.max_frame;
    pc.mac_table_size = config.settings.mac_table_size;
    pc.mac_aging_us = uint64_t(config.settings.mac_aging_s) * 1'000'000;
    auto pipeline = std::make_unique<Pipeline>(pc, tenancy, pool, ports.port_ids(), 0);

    std::vector<RxPort> rx;
    for (uint16_t i = 0; i < ports.list().size(); ++i) rx.push_back({i, ports.list()[i].port_id});

    uint64_t end_us = 0;
    if (ports.all_replay()) {
      ReplayMerger merger(rx, ts_offset, ts_flag);
      run_replay(*pipeline, merger, g_stop);
      end_us = merger.last_timestamp_us();
    } else {
      std::cerr << "vigild: switching on " << names.size() << " ports; SIGINT or SIGTERM stops\n";
      run_live(*pipeline, rx, g_stop);
      end_us = rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1'000'000);
    }

    const StatsView view{names, pipeline->counters(), pipeline->macs(), tenancy, end_us};
    print_stats(std::cout, view);
    if (!opt.stats_json.empty()) {
      std::ofstream out(opt.stats_json);
      write_stats_json(out, view);
      if (!out) {
        std::cerr << "vigild: cannot write " << opt.stats_json << "\n";
        rc = 1;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "vigild: " << e.what() << "\n";
    rc = 1;
  }
  rte_mempool_free(pool);
  rte_eal_cleanup();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  vigil::Config config;
  try {
    const int rc = parse_options(argc, argv, opt);
    if (rc >= 0) return rc;
    config = vigil::load_config(opt.config);
  } catch (const std::exception& e) {
    std::cerr << "vigild: " << e.what() << "\n" << kUsage;
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  return run(config, opt);
}
