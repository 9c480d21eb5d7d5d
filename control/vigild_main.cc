// vigild: the vigil switch daemon. Loads and validates the config, starts DPDK, opens the ports,
// and runs the worker pipeline: to the end of the captures in replay mode (every port a pcap
// file), otherwise until SIGINT/SIGTERM. On exit it prints its counters and, with
// --stats-json, writes them as JSON.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "control/config.h"
#include "control/eal_args.h"
#include "control/ids_setup.h"
#include "control/switch_runtime.h"
#ifdef VIGIL_HAVE_CONTROL_API
#include "control/control_api.h"
#endif
#include "vigil_version.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

void on_reload_signal(int) {
  g_reload.store(true);
}

void on_signal(int) {
  g_stop.store(true);
}

struct Options {
  std::string config;
  std::string stats_json;
  std::string eve_log;
  std::vector<std::string> eal;
  uint64_t stats_interval_s = 1;
};

constexpr const char* kUsage =
    "usage: vigild --config FILE [--stats-json FILE] [--eve-log FILE] [--eal \"EAL ARGS\"]\n"
    "  --config FILE      switch configuration (YAML; see README.md, Configuration)\n"
    "  --stats-json FILE  write the counters as JSON here on exit (and, live, periodically)\n"
    "  --stats-interval S seconds between JSON rewrites in live mode (default 1)\n"
    "  --eve-log FILE     IDS alerts (EVE JSON lines) go here instead of the config's ids.eve\n"
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
    } else if (a == "--eve-log") {
      opt.eve_log = value();
    } else if (a == "--stats-interval") {
      const std::string v = value();
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(v) == 0) {
        throw std::invalid_argument("--stats-interval takes a whole number of seconds > 0");
      }
      opt.stats_interval_s = std::stoul(v);
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

// Enough mbufs for every rx and tx ring and the bursts in flight, as 2^n - 1 (mempool's best size).
unsigned mbuf_count(const vigil::Config& config) {
  unsigned queues = 0;
  for (const vigil::PortSpec& p : config.ports) queues += p.queues;
  unsigned n = 8192 + queues * 2048;
  unsigned size = 1;
  while (size < n) size <<= 1;
  return size - 1;
}

int run_switch(const vigil::Config& config, const Options& opt, rte_mempool* pool, int ts_offset,
               uint64_t ts_flag) {
  vigil::RunOptions ro;
  ro.stats_json = opt.stats_json;
  ro.eve_log = opt.eve_log;
  ro.stats_interval_s = opt.stats_interval_s;
  ro.ts_offset = ts_offset;
  ro.ts_flag = ts_flag;
  ro.stop = &g_stop;
  ro.reload = &g_reload;
  vigil::SwitchRuntime runtime(config, ro, pool);
#ifdef VIGIL_HAVE_CONTROL_API
  // The control API (live mode only): its own thread, serialising requests; changes reach the
  // workers through the runtime's atomically published snapshots.
  std::unique_ptr<vigil::control::ControlApi> api;
  if (config.control.enabled && !runtime.replay()) {
    api = vigil::control::start_control_api(config, runtime);
  }
#endif
  return runtime.run();
}

int run(const vigil::Config& config, const Options& opt) {
  using namespace vigil;
  std::vector<std::string> eal_user = config.eal_args;
  for (const PortSpec& p : config.ports) {
    if (p.type == PortType::kPci) eal_user.insert(eal_user.end(), {"-a", p.device});  // probe it
  }
  eal_user.insert(eal_user.end(), opt.eal.begin(), opt.eal.end());
  std::vector<std::string> eal_args = build_eal_args(eal_user, config.settings.workers + 1);
  std::vector<char*> eal_argv;
  for (std::string& a : eal_args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::cerr << "vigild: DPDK EAL initialisation failed: " << rte_strerror(rte_errno) << "\n";
    return 1;
  }
  int ts_offset = -1;
  uint64_t ts_flag = 0;
  if (rte_mbuf_dyn_rx_timestamp_register(&ts_offset, &ts_flag) != 0) ts_offset = -1;

  rte_mempool* pool = rte_pktmbuf_pool_create("vigil_mbufs", mbuf_count(config), 256, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
  if (pool == nullptr) {
    std::cerr << "vigild: cannot create the mbuf pool: " << rte_strerror(rte_errno) << "\n";
    rte_eal_cleanup();
    return 1;
  }
  int rc;
  try {
    rc = run_switch(config, opt, pool, ts_offset, ts_flag);
  } catch (const std::exception& e) {
    std::cerr << "vigild: " << e.what() << "\n";
    g_stop.store(true);
    rte_eal_mp_wait_lcore();
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
  std::signal(SIGHUP, on_reload_signal);
  return run(config, opt);
}
