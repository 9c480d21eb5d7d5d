#include "control/switch_runtime.h"

#include <arpa/inet.h>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "control/stats_report.h"
#include "dataplane/worker.h"
#include "ids/ids_stage.h"
#include "vigil_version.h"

namespace vigil {
namespace {

struct WorkerLaunch {
  Pipeline* pipeline;
  const std::vector<RxPort>* rx;
  const std::atomic<bool>* stop;
};

int worker_main(void* arg) {
  const auto* launch = static_cast<const WorkerLaunch*>(arg);
  run_live(*launch->pipeline, *launch->rx, *launch->stop);
  return 0;
}

std::string address_text(uint8_t family, const uint8_t* a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, sizeof buf);
  return buf;
}

const char* proto_text(uint8_t p) {
  switch (p) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 58:
      return "icmpv6";
    default:
      return "ip";
  }
}

}  // namespace

uint64_t SwitchRuntime::now_us() const {
  return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1'000'000);
}

SwitchRuntime::SwitchRuntime(const Config& config, const RunOptions& options, rte_mempool* pool)
    : config_(config), options_(options), pool_(pool) {
  ports_ = std::make_unique<Ports>(config.ports, pool);
  names_ = ports_->names();
  replay_ = ports_->all_replay();
  // A replay is one ordered stream, so one worker runs it, on the main lcore.
  workers_ = replay_ ? 1 : config.settings.workers;
  if (!replay_ && rte_lcore_count() < workers_ + 1) {
    throw std::runtime_error("workers: " + std::to_string(workers_) + " needs " +
                             std::to_string(workers_ + 1) + " EAL lcores (main + workers), got " +
                             std::to_string(rte_lcore_count()));
  }
  plan_ = std::make_unique<WorkerPlan>(ports_->list(), workers_);
  const SwitchSettings& s = config.settings;
  macs_ = std::make_unique<MacTable>(s.mac_table_size, uint64_t(s.mac_aging_s) * 1'000'000);
  for (const TenantSpec& t : config.tenancy.tenants) slots_.push_back(t.name);
  owned_state_ = build_switch_state(config.tenancy, names_);
  state_.store(owned_state_.get(), std::memory_order_release);
  // The firewall's connection table; its RCU also retires replaced tenancy snapshots.
  conns_ = std::make_unique<ConnTable>("vigil_conns", s.conntrack_size, workers_,
                                       ConnLimits{s.vm_max_connections, s.vm_max_new_per_second},
                                       s.timeouts);
  std::cerr << "vigild: connection table: " << conns_->capacity() << " connections, "
            << conns_->memory_bytes() / (1024 * 1024) << " MiB ("
            << conns_->memory_bytes() / conns_->capacity() << " B per connection)\n";
  ids_ = start_ids(config, names_, workers_, options.eve_log, std::cerr);
  CaptureOptions co;
  for (const auto& p : ports_->list()) co.dpdk_port_ids.push_back(p.port_id);
  co.clock = replay_ ? CaptureClock::kFrameTime : CaptureClock::kTsc;
  std::string capture_error;
  capture_ = CaptureTable::create(static_cast<uint16_t>(names_.size()), &capture_error, co);
  if (!capture_) throw std::runtime_error("capture: " + capture_error);
  if (config.monitor.enabled) {
    monitor_ = std::make_unique<MonitorRuntime>(config, names_, workers_, *plan_, options.eve_log,
                                                *capture_);
  }
  const ParseLimits limits{s.max_frame};
  for (unsigned w = 0; w < workers_; ++w) {
    std::unique_ptr<ids::IdsStage> inspector;
    if (ids_) {
      inspector = std::make_unique<ids::IdsStage>(ids_->shared(), w);
      ids_counters_.push_back(&inspector->counters());
    }
    PipelineExtras extras;
    extras.inspector = std::move(inspector);
    extras.capture = capture_.get();
    if (monitor_) {
      extras.responses = &monitor_->responses();
      extras.tap = &monitor_->collector().tap(w);
    }
    pipelines_.push_back(std::make_unique<Pipeline>(limits, state_, *conns_, *macs_,
                                                    ports_->links(), pool, plan_->worker(w).tx, w,
                                                    std::move(extras)));
    counters_.push_back(&pipelines_.back()->counters());
  }
  started_us_ = now_us();
}

SwitchRuntime::~SwitchRuntime() {
  pipelines_.clear();  // flush tx buffers while the ports still exist
  monitor_.reset();    // persists the baselines
  capture_.reset();    // stops every capture, writing out what was tapped
}

TenancySpec SwitchRuntime::slotted(const TenancySpec& next) const {
  TenancySpec out = next;
  out.tenants.clear();
  std::vector<bool> placed(next.tenants.size(), false);
  for (const std::string& name : slots_) {
    TenantSpec t;  // an empty slot unless the tenant is still there
    for (size_t i = 0; i < next.tenants.size() && !name.empty(); ++i) {
      if (next.tenants[i].name == name) {
        t = next.tenants[i];
        placed[i] = true;
      }
    }
    out.tenants.push_back(std::move(t));
  }
  for (size_t i = 0; i < next.tenants.size(); ++i) {
    if (!placed[i]) out.tenants.push_back(next.tenants[i]);
  }
  return out;
}

std::unique_ptr<SwitchState> SwitchRuntime::publish(std::unique_ptr<SwitchState> next) {
  std::unique_ptr<SwitchState> old = std::move(owned_state_);
  owned_state_ = std::move(next);
  state_.store(owned_state_.get(), std::memory_order_release);
  return old;
}

bool SwitchRuntime::apply(const Config& next, std::string* error) {
  std::unique_ptr<SwitchState> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!apply_locked(next, &old, error)) return false;
  }
  conns_->synchronize();  // no worker still reads the old snapshot
  old.reset();
  return true;
}

bool SwitchRuntime::apply_locked(const Config& next, std::unique_ptr<SwitchState>* old,
                                 std::string* error) {
  const TenancySpec spec = slotted(next.tenancy);
  if (spec.tenants.size() > kMaxCrossTenants && !spec.cross_tenant.empty()) {
    *error = "too many tenant slots for cross-tenant rules; restart vigild";
    return false;
  }
  std::unique_ptr<SwitchState> state;
  try {
    state = build_switch_state(spec, names_);
  } catch (const std::exception& e) {
    *error = e.what();
    return false;
  }
  // Captures of ports whose VM changed (moved, removed, now another tenant's) stop: a
  // recording must not go on into somebody else's traffic.
  const auto owner = [](const Config& c, const std::string& port) {
    for (const TenantSpec& t : c.tenancy.tenants) {
      for (const VmSpec& vm : t.vms) {
        if (vm.port == port) return t.name + "/" + vm.port;
      }
    }
    return std::string();
  };
  for (const CaptureInfo& c : capture_->list()) {
    if (owner(config_, c.port) == owner(next, c.port)) continue;
    const int p = port_index(c.port);
    CaptureInfo stopped;
    if (p >= 0) capture_->stop(static_cast<uint16_t>(p), &stopped);
  }
  *old = publish(std::move(state));
  if (monitor_) monitor_->reconfigure(next);
  slots_.clear();
  for (const TenantSpec& t : spec.tenants) slots_.push_back(t.name);
  config_.tenancy = next.tenancy;
  config_.control = next.control;
  return true;
}

void SwitchRuntime::reload_signal() {
  // With the control API, vigild owns its config file and tenancy changes come through the
  // API; SIGHUP then reloads the IDS rules only.
  bool control;
  {
    std::lock_guard<std::mutex> lock(mu_);
    control = config_.control.enabled;
  }
  if (!control) {
    try {
      const Config fresh = load_config(config_.path);
      std::string error;
      if (apply(fresh, &error)) {
        std::cerr << "vigild: SIGHUP: tenancy and policy reloaded\n";
      } else {
        std::cerr << "vigild: SIGHUP: tenancy and policy not reloaded: " << error << "\n";
      }
    } catch (const std::exception& e) {
      std::cerr << "vigild: SIGHUP: tenancy and policy not reloaded: " << e.what() << "\n";
    }
  }
  if (ids_) {
    control::Json report;
    std::string error;
    if (ids_reload(&report, &error)) {
      std::cerr << "vigild: SIGHUP: IDS rules reloaded\n";
      print_ids_load(std::cerr, ids_->load_report(), ids_->engine_report());
    } else {
      std::cerr << "vigild: SIGHUP: IDS rules not reloaded, the running set stays: " << error
                << "\n";
    }
  }
}

bool SwitchRuntime::write_report(uint64_t now, bool final_report) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PortStatus> status;
  for (uint16_t p = 0; p < names_.size(); ++p) status.push_back(ports_->status(p));
  const auto sum = sum_counters(counters_);
  StatsView view{names_, *sum, status, *macs_, *owned_state_->tenancy, workers_, now, conns_.get()};
  IdsStats ids_stats;
  if (ids_) {
    ids_stats = gather_ids_stats(*ids_, ids_counters_);
    view.ids = &ids_stats;
  }
  if (final_report) print_stats(std::cout, view);
  if (!options_.stats_json.empty() && !write_stats_file(options_.stats_json, view)) {
    std::cerr << "vigild: cannot write " << options_.stats_json << "\n";
    return false;
  }
  return true;
}

int SwitchRuntime::run_live() {
  std::vector<WorkerLaunch> launches;
  for (unsigned w = 0; w < workers_; ++w) {
    launches.push_back({pipelines_[w].get(), &plan_->worker(w).rx, options_.stop});
  }
  unsigned w = 0;
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    if (w == workers_) break;
    rte_eal_remote_launch(worker_main, &launches[w++], lcore);
  }
  std::cerr << "vigild: switching on " << names_.size() << " ports with " << workers_
            << " worker(s); SIGINT or SIGTERM stops\n";
  std::vector<ConnTable*> tables{conns_.get()};
  if (ids_) tables.push_back(&ids_->flows());
  uint64_t last_report = now_us();
  uint64_t last_sweep = now_us();
  while (!options_.stop->load()) {
    if (options_.reload != nullptr && options_.reload->exchange(false)) reload_signal();
    usleep(100'000);
    if (now_us() - last_sweep >= 1'000'000) {
      for (ConnTable* t : tables) t->sweep(now_us());  // never waits on the workers
      last_sweep = now_us();
    }
    if (monitor_) {
      advance_monitors(
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count()));
    }
    if (now_us() - last_report >= options_.stats_interval_s * 1'000'000) {
      write_report(now_us(), false);
      last_report = now_us();
    }
  }
  rte_eal_mp_wait_lcore();
  return 0;
}

int SwitchRuntime::run() {
  if (replay_) {
    ReplayMerger merger(plan_->worker(0).rx, options_.ts_offset, options_.ts_flag);
    std::vector<ConnTable*> tables{conns_.get()};
    if (ids_) tables.push_back(&ids_->flows());
    std::function<void(uint64_t)> every_second;
    if (monitor_) every_second = [this](uint64_t t) { advance_monitors(t); };
    run_replay(*pipelines_[0], merger, *options_.stop, tables, every_second);
    end_us_ = merger.last_timestamp_us();
    if (monitor_) advance_monitors(end_us_ + 1);  // the intervals the last frames closed
  } else {
    run_live();
    end_us_ = now_us();
  }
  if (ids_) ids_->stop();  // every alert raised is in the EVE file before the report
  return write_report(end_us_, true) ? 0 : 1;
}

control::Json SwitchRuntime::stats() {
  std::ostringstream out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<PortStatus> status;
    for (uint16_t p = 0; p < names_.size(); ++p) status.push_back(ports_->status(p));
    const auto sum = sum_counters(counters_);
    StatsView view{names_,   *sum,     status,      *macs_, *owned_state_->tenancy,
                   workers_, now_us(), conns_.get()};
    IdsStats ids_stats;
    if (ids_) {
      ids_stats = gather_ids_stats(*ids_, ids_counters_);
      view.ids = &ids_stats;
    }
    write_stats_json(out, view);
  }
  return control::Json::parse(out.str());
}

control::Json SwitchRuntime::flows(size_t top, const std::string& tenant) {
  struct Row {
    ConnKey key;
    uint8_t origin;
    uint64_t packets, bytes;
    TcpState state;
  };
  std::vector<Row> rows;
  std::vector<std::string> slots;
  {
    std::lock_guard<std::mutex> lock(mu_);
    slots = slots_;
  }
  // Under each entry's lock only a copy: no allocation while a worker may wait for it.
  int wanted = -1;
  if (!tenant.empty()) {
    for (size_t i = 0; i < slots.size(); ++i) {
      if (slots[i] == tenant) wanted = static_cast<int>(i);
    }
    if (wanted < 0) return control::Json::array();
  }
  rows.reserve(conns_->count() + 1024);
  conns_->for_each([&](const Conn& c) {
    if (wanted >= 0 && c.key.tenant != wanted) return;
    if (rows.size() < rows.capacity()) {
      rows.push_back(Row{c.key, c.origin, c.packets, c.bytes, c.tcp.state});
    }
  });
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.bytes > b.bytes; });
  control::Json out = control::Json::array();
  for (size_t i = 0; i < rows.size() && i < top; ++i) {
    const Row& c = rows[i];
    const bool lo_first = c.origin == 0;
    const uint8_t* src = lo_first ? c.key.addr_lo : c.key.addr_hi;
    const uint8_t* dst = lo_first ? c.key.addr_hi : c.key.addr_lo;
    out.push_back({{"tenant", c.key.tenant < slots.size() ? slots[c.key.tenant] : ""},
                   {"proto", proto_text(c.key.proto)},
                   {"src", address_text(c.key.family, src)},
                   {"sport", lo_first ? c.key.port_lo : c.key.port_hi},
                   {"dst", address_text(c.key.family, dst)},
                   {"dport", lo_first ? c.key.port_hi : c.key.port_lo},
                   {"packets", c.packets},
                   {"bytes", c.bytes},
                   {"state", c.key.proto == 6 ? std::string(tcp_state_name(c.state))
                                              : std::string("tracked")}});
  }
  return out;
}

void SwitchRuntime::advance_monitors(uint64_t epoch_us) {
  std::vector<bool> vm_port;
  std::vector<PortStatus> status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    vm_port = owned_state_->vm_port;
  }
  for (uint16_t p = 0; p < names_.size(); ++p) status.push_back(ports_->status(p));
  monitor_->advance(epoch_us, vm_port, status);
}

control::Json SwitchRuntime::monitor_status() {
  return monitor_ ? monitor_->status() : control::Json::object();
}

bool SwitchRuntime::monitor_release(const std::string& vm, std::string* error) {
  if (!monitor_) {
    *error = "monitors are not configured (no monitor: section)";
    return false;
  }
  return monitor_->release(vm, error);
}

control::Json SwitchRuntime::recent_events(size_t limit, const std::string& tenant) {
  // The EVE files' tails (the last MiB of each): alerts carry vigil.tenant, monitor events
  // monitor.tenant. Off the fast path; the writer threads append whole lines.
  std::vector<std::string> paths;
  const std::string ids_eve = options_.eve_log.empty() ? config_.ids.eve : options_.eve_log;
  const std::string mon_eve = options_.eve_log.empty() ? config_.monitor.eve : options_.eve_log;
  if (ids_ && !ids_eve.empty()) paths.push_back(ids_eve);
  if (monitor_ && !mon_eve.empty() && mon_eve != ids_eve) paths.push_back(mon_eve);
  std::vector<std::pair<std::string, control::Json>> events;  // (timestamp, event)
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    const std::streamoff from = std::max<std::streamoff>(0, size - (1 << 20));
    in.seekg(from);
    std::string line;
    if (from > 0) std::getline(in, line);  // a partial first line
    while (std::getline(in, line)) {
      const control::Json e = control::Json::parse(line, nullptr, false);
      if (!e.is_object()) continue;
      std::string t;
      if (e.contains("vigil") && e["vigil"].is_object()) t = e["vigil"].value("tenant", "");
      if (e.contains("monitor") && e["monitor"].is_object()) t = e["monitor"].value("tenant", "");
      if (!tenant.empty() && t != tenant) continue;
      events.emplace_back(e.value("timestamp", ""), e);
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  control::Json out = control::Json::array();
  const size_t skip = events.size() > limit ? events.size() - limit : 0;
  for (size_t i = skip; i < events.size(); ++i) out.push_back(events[i].second);
  return out;
}

control::Json SwitchRuntime::monitor_export(const std::string& vm) {
  return monitor_ ? monitor_->export_vm(vm) : control::Json(nullptr);
}

bool SwitchRuntime::monitor_import(const control::Json& state, const std::string& vm,
                                   std::string* error) {
  if (!monitor_) {
    *error = "monitors are not configured (no monitor: section)";
    return false;
  }
  return monitor_->import_vm(state, vm, error);
}

control::Json SwitchRuntime::status() {
  return {{"version", VIGIL_VERSION},
          {"uptime_s", (now_us() - started_us_) / 1'000'000},
          {"workers", workers_},
          {"config", std::filesystem::absolute(config_.path).string()},
          {"ports", names_}};
}

bool SwitchRuntime::ids_reload(control::Json* report, std::string* error) {
  if (!ids_) {
    *error = "the IDS is not configured (no ids: section)";
    return false;
  }
  if (!ids_->reload(error)) return false;
  *report = ids_report();
  return true;
}

control::Json SwitchRuntime::ids_report() {
  if (!ids_) return control::Json::object();
  control::Json j = control::Json::parse(ids_->load_report().to_json());
  const ids::EngineReport e = ids_->engine_report();
  j["compiled"] = {{"rules", e.rules},
                   {"fast_pattern", e.literal_prefiltered},
                   {"pcre_prefilter", e.pcre_prefiltered},
                   {"header_only", e.header_only},
                   {"unfiltered", e.unfiltered},
                   {"databases", e.databases},
                   {"patterns", e.patterns},
                   {"database_bytes", e.database_bytes},
                   {"compile_seconds", e.compile_seconds}};
  return j;
}

namespace {

control::Json capture_json(const CaptureInfo& c) {
  control::Json j = {{"port", c.port},       {"file", c.file},     {"packets", c.packets},
                     {"dropped", c.dropped}, {"active", c.active}, {"max_packets", c.max_packets}};
  if (!c.error.empty()) j["error"] = c.error;
  return j;
}

}  // namespace

int SwitchRuntime::port_index(const std::string& name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

bool SwitchRuntime::capture_start(const std::string& port, const std::string& file,
                                  uint64_t max_packets, std::string* error) {
  const int p = port_index(port);
  if (p < 0) {
    *error = "no port named '" + port + "'";
    return false;
  }
  return capture_->start(static_cast<uint16_t>(p), port, file, max_packets, error);
}

bool SwitchRuntime::capture_stop(const std::string& port, control::Json* result) {
  const int p = port_index(port);
  CaptureInfo info;
  if (p < 0 || !capture_->stop(static_cast<uint16_t>(p), &info)) return false;
  *result = capture_json(info);
  return true;
}

control::Json SwitchRuntime::capture_list() {
  control::Json out = control::Json::array();
  for (const CaptureInfo& c : capture_->list()) {
    control::Json j = capture_json(c);
    const int p = port_index(c.port);
    j["by_monitor"] = monitor_ && p >= 0 && monitor_->owns_capture(static_cast<uint16_t>(p));
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace vigil
