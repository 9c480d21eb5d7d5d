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
#include "control/stats_report.h"
#include "dataplane/conn_table.h"
#include "dataplane/pipeline.h"
#include "dataplane/ports.h"
#include "dataplane/replay_merger.h"
#include "dataplane/worker.h"
#include "dataplane/worker_plan.h"
#include "ids/ids_stage.h"
#include "tenancy/policy_compiler.h"
#include "tenancy/port_security.h"
#include "tenancy/tenancy_map.h"
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

struct WorkerLaunch {
  vigil::Pipeline* pipeline;
  const std::vector<vigil::RxPort>* rx;
};

int worker_main(void* arg) {
  const auto* launch = static_cast<const WorkerLaunch*>(arg);
  vigil::run_live(*launch->pipeline, *launch->rx, g_stop);
  return 0;
}

uint64_t clock_us() {
  return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1'000'000);
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

// SIGHUP: rebuilds every tenant's policy from the config file off the fast path, publishes it
// with one atomic store, and frees the old one once every worker has moved past it (RCU): no
// packet is lost or held. Tracked connections keep the verdict they were opened with.
// Only policies and groups may change; anything else needs a restart.
void reload_policy(const std::string& path, const vigil::TenancySpec& running,
                   vigil::FirewallContext& firewall, vigil::ConnTable& conns,
                   std::unique_ptr<vigil::PolicyClassifier>& current) {
  using namespace vigil;
  try {
    const Config fresh = load_config(path);
    bool same = fresh.tenancy.tenants.size() == running.tenants.size();
    for (size_t t = 0; same && t < running.tenants.size(); ++t) {
      same = fresh.tenancy.tenants[t].name == running.tenants[t].name &&
             fresh.tenancy.tenants[t].policy.present == running.tenants[t].policy.present;
    }
    if (!same) {
      std::cerr << "vigild: SIGHUP: tenants or which of them have a policy changed; restart "
                   "vigild for that. Policy kept.\n";
      return;
    }
    std::string error;
    std::unique_ptr<PolicyClassifier> next = PolicyClassifier::build(fresh.tenancy, &error);
    if (!next) {
      std::cerr << "vigild: SIGHUP: policy not reloaded: " << error << "\n";
      return;
    }
    firewall.policy.store(next.get(), std::memory_order_release);
    conns.synchronize();
    current = std::move(next);  // the old classifier goes now that no worker holds it
    std::cerr << "vigild: SIGHUP: policy reloaded (" << current->rule_count() << " rules)\n";
  } catch (const std::exception& e) {
    std::cerr << "vigild: SIGHUP: policy not reloaded: " << e.what() << "\n";
  }
}

// SIGHUP, IDS part: recompiles the rule files off the fast path and swaps the engine in.
void reload_ids(vigil::ids::IdsRuntime& rt) {
  std::string error;
  if (!rt.reload(&error)) {
    std::cerr << "vigild: SIGHUP: IDS rules not reloaded, the running set stays: " << error << "\n";
    return;
  }
  std::cerr << "vigild: SIGHUP: IDS rules reloaded\n";
  vigil::print_ids_load(std::cerr, rt.load_report(), rt.engine_report());
}

int run_switch(const vigil::Config& config, const Options& opt, rte_mempool* pool, int ts_offset,
               uint64_t ts_flag) {
  using namespace vigil;
  Ports ports(config.ports, pool);
  const std::vector<std::string> names = ports.names();
  const TenancyMap tenancy(config.tenancy, names);
  const PortSecurity security(config.tenancy, names);
  MacTable macs(config.settings.mac_table_size, uint64_t(config.settings.mac_aging_s) * 1'000'000);
  const bool replay = ports.all_replay();
  // A replay is one ordered stream, so one worker runs it, on the main lcore.
  const unsigned workers = replay ? 1 : config.settings.workers;
  if (!replay && rte_lcore_count() < workers + 1) {
    throw std::runtime_error("workers: " + std::to_string(workers) + " needs " +
                             std::to_string(workers + 1) + " EAL lcores (main + workers), got " +
                             std::to_string(rte_lcore_count()));
  }
  const WorkerPlan plan(ports.list(), workers);

  // The stateful firewall, when a tenant has a policy.
  std::unique_ptr<PolicyClassifier> policy;
  std::unique_ptr<ConnTable> conns;
  std::unique_ptr<FirewallContext> firewall;
  // Traffic from one tenant's VMs into another is always checked (denied unless a cross_tenant
  // rule allows it), so two tenants with bound addresses enable the firewall too.
  const AddressOwners owners(config.tenancy);
  const bool cross_possible = config.tenancy.tenants.size() > 1 && !owners.empty();
  bool any_policy = false;
  for (const TenantSpec& t : config.tenancy.tenants) any_policy |= t.policy.present;
  if (any_policy || cross_possible) {
    std::string error;
    policy = PolicyClassifier::build(config.tenancy, &error);
    if (!policy) throw std::runtime_error("policy: " + error);
    const SwitchSettings& s = config.settings;
    conns = std::make_unique<ConnTable>("vigil_conns", s.conntrack_size, workers,
                                        ConnLimits{s.vm_max_connections, s.vm_max_new_per_second},
                                        s.timeouts);
    std::cerr << "vigild: connection table: " << conns->capacity() << " connections, "
              << conns->memory_bytes() / (1024 * 1024) << " MiB ("
              << conns->memory_bytes() / conns->capacity() << " B per connection)\n";
    firewall = std::make_unique<FirewallContext>();
    firewall->policy = policy.get();
    firewall->conns = conns.get();
    for (const TenantSpec& ts : config.tenancy.tenants)
      firewall->filtered.push_back(ts.policy.present);
    firewall->vm_port.assign(names.size(), false);
    firewall->owners = cross_possible ? &owners : nullptr;
    for (const TenantSpec& ts : config.tenancy.tenants) {
      for (const VmSpec& vm : ts.vms) {
        for (size_t p = 0; p < names.size(); ++p)
          firewall->vm_port[p] = firewall->vm_port[p] || names[p] == vm.port;
      }
    }
  }
  // The IDS, when the config has an `ids:` section: rules compiled before any packet flows.
  std::unique_ptr<ids::IdsRuntime> ids_rt =
      start_ids(config, names, workers, opt.eve_log, std::cerr);
  std::vector<ConnTable*> tables;
  if (conns) tables.push_back(conns.get());
  if (ids_rt) tables.push_back(&ids_rt->flows());

  const ParseLimits limits{config.settings.max_frame};
  std::vector<std::unique_ptr<Pipeline>> pipelines;
  std::vector<const WorkerCounters*> counters;
  std::vector<const ids::IdsCounters*> ids_counters;
  for (unsigned w = 0; w < workers; ++w) {
    std::unique_ptr<ids::IdsStage> inspector;
    if (ids_rt) {
      inspector = std::make_unique<ids::IdsStage>(ids_rt->shared(), w);
      ids_counters.push_back(&inspector->counters());
    }
    pipelines.push_back(std::make_unique<Pipeline>(limits, tenancy, security, macs, ports.links(),
                                                   pool, plan.worker(w).tx, firewall.get(), w,
                                                   std::move(inspector)));
    counters.push_back(&pipelines.back()->counters());
  }

  auto report = [&](uint64_t now_us, bool final_report) {
    std::vector<PortStatus> status;
    for (uint16_t p = 0; p < names.size(); ++p) status.push_back(ports.status(p));
    const auto sum = sum_counters(counters);
    StatsView view{names, *sum, status, macs, tenancy, workers, now_us, conns.get()};
    IdsStats ids_stats;
    if (ids_rt) {
      ids_stats = gather_ids_stats(*ids_rt, ids_counters);
      view.ids = &ids_stats;
    }
    if (final_report) print_stats(std::cout, view);
    if (!opt.stats_json.empty() && !write_stats_file(opt.stats_json, view)) {
      std::cerr << "vigild: cannot write " << opt.stats_json << "\n";
      return false;
    }
    return true;
  };

  uint64_t end_us;
  if (replay) {
    ReplayMerger merger(plan.worker(0).rx, ts_offset, ts_flag);
    run_replay(*pipelines[0], merger, g_stop, tables);
    end_us = merger.last_timestamp_us();
  } else {
    std::vector<WorkerLaunch> launches;
    for (unsigned w = 0; w < workers; ++w)
      launches.push_back({pipelines[w].get(), &plan.worker(w).rx});
    unsigned w = 0;
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) {
      if (w == workers) break;
      rte_eal_remote_launch(worker_main, &launches[w++], lcore);
    }
    std::cerr << "vigild: switching on " << names.size() << " ports with " << workers
              << " worker(s); SIGINT or SIGTERM stops\n";
    uint64_t last_report = clock_us();
    uint64_t last_sweep = clock_us();
    while (!g_stop.load()) {
      if (g_reload.exchange(false)) {
        if (firewall) {
          reload_policy(opt.config, config.tenancy, *firewall, *conns, policy);
        } else {
          std::cerr << "vigild: SIGHUP: no tenant has a policy, no policy to reload\n";
        }
        if (ids_rt) reload_ids(*ids_rt);
      }
      usleep(100'000);
      if (!tables.empty() && clock_us() - last_sweep >= 1'000'000) {
        for (ConnTable* t : tables) t->sweep(clock_us());  // never waits on the workers
        last_sweep = clock_us();
      }
      if (clock_us() - last_report >= opt.stats_interval_s * 1'000'000) {
        report(clock_us(), false);
        last_report = clock_us();
      }
    }
    rte_eal_mp_wait_lcore();
    end_us = clock_us();
  }
  if (ids_rt) ids_rt->stop();  // every alert raised is in the EVE file before the report
  const bool written = report(end_us, true);
  pipelines.clear();  // flush tx buffers while the ports still exist
  return written ? 0 : 1;
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
