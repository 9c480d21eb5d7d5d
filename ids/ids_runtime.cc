#include "ids/ids_runtime.h"

#include <rte_lcore.h>
#include <rte_mempool.h>

#include <atomic>

namespace vigil::ids {
namespace {

std::atomic<uint32_t> g_instances{0};

// The config reader checked the spec's scheme (parse_syslog_spec).
std::unique_ptr<EveSink> syslog_sink(const std::string& spec) {
  EveSyslogSink::Options o;
  parse_syslog_spec(spec, &o);
  return std::make_unique<EveSyslogSink>(o);
}

}  // namespace

bool IdsRuntime::build_engine(std::unique_ptr<DetectEngine>* out, LoadReport* load,
                              EngineReport* report, std::string* error) const {
  RuleVars vars = RuleVars::defaults();
  for (const auto& [k, v] : options_.address_vars) vars.address[k] = v;
  for (const auto& [k, v] : options_.port_vars) vars.port[k] = v;
  Classifications classes;
  std::vector<std::string> class_errors;
  if (!options_.classification.empty() &&
      !classes.load_file(options_.classification, &class_errors)) {
    *error = class_errors.empty() ? "cannot read " + options_.classification : class_errors[0];
    return false;
  }
  *load = LoadReport{};
  std::vector<Rule> rules = load_rules(options_.rule_files, vars, &classes, load);
  if (!load->file_errors.empty()) {
    *error = load->file_errors.front();
    return false;
  }
  *out = DetectEngine::build(std::move(rules), options_.workers, report, error);
  return *out != nullptr;
}

std::unique_ptr<IdsRuntime> IdsRuntime::create(const IdsOptions& options, std::string* error) {
  std::unique_ptr<IdsRuntime> rt(new IdsRuntime());
  rt->options_ = options;
  if (!rt->build_engine(&rt->engine_, &rt->load_report_, &rt->engine_report_, error)) {
    return nullptr;
  }
  const uint32_t n = g_instances++;
  const std::string suffix = std::to_string(n);
  ConnTimeouts timeouts;
  rt->flows_ = std::make_unique<ConnTable>("ids_flows" + suffix, options.flows, options.workers,
                                           ConnLimits{}, timeouts);
  rt->states_ = std::make_unique<IdsFlow[]>(rt->flows_->slots());
  rte_mempool* pool = rte_mempool_create(("ids_stream" + suffix).c_str(), options.stream_buffers,
                                         options.stream_buffer, 32, 0, nullptr, nullptr, nullptr,
                                         nullptr, SOCKET_ID_ANY, 0);
  if (pool == nullptr) {
    *error = "cannot allocate " + std::to_string(options.stream_buffers) + " stream buffers of " +
             std::to_string(options.stream_buffer) + " bytes";
    return nullptr;
  }
  IdsShared& s = rt->shared_;
  s.flows = rt->flows_.get();
  s.states = rt->states_.get();
  s.stream_pool = pool;
  s.stream_buffer = options.stream_buffer;
  s.inspected = options.inspected;
  s.inspect_all = options.inspect_all;
  s.port_names = options.port_names;
  s.tenant_names = options.tenant_names;
  s.tenant_vlans = options.tenant_vlans;
  IdsFlow* states = rt->states_.get();
  rt->flows_->set_expire_hook([states, pool](uint32_t index) {
    for (IdsDirection& d : states[index].dir) {
      if (d.buf != nullptr) rte_mempool_put(pool, d.buf);
      d.buf = nullptr;
    }
  });
  if (!options.eve_path.empty() || !options.syslog.empty()) {
    EveWriterConfig wc;
    wc.ring_size = options.eve_queue;
    wc.pool_size = options.eve_queue;
    rt->eve_ = EveWriter::create(wc, error);
    if (rt->eve_ == nullptr) return nullptr;
    if (!options.eve_path.empty())
      rt->eve_->add_sink(std::make_unique<EveFileSink>(options.eve_path));
    if (!options.syslog.empty()) rt->eve_->add_sink(syslog_sink(options.syslog));
    if (!rt->eve_->start(error)) return nullptr;
    s.eve = rt->eve_.get();
  }
  s.engine.store(rt->engine_.get(), std::memory_order_release);
  return rt;
}

IdsRuntime::~IdsRuntime() {
  stop();
  shared_.engine.store(nullptr);
  if (flows_ != nullptr) flows_->set_expire_hook(nullptr);
  if (shared_.stream_pool != nullptr) rte_mempool_free(shared_.stream_pool);
}

bool IdsRuntime::reload(std::string* error) {
  std::unique_ptr<DetectEngine> next;
  LoadReport load;
  EngineReport report;
  if (!build_engine(&next, &load, &report, error)) return false;
  shared_.engine.store(next.get(), std::memory_order_release);
  flows_->synchronize();  // no worker still inspects with the old engine
  std::lock_guard<std::mutex> lock(mu_);
  engine_ = std::move(next);
  load_report_ = std::move(load);
  engine_report_ = std::move(report);
  ++reloads_;
  return true;
}

void IdsRuntime::stop() {
  if (eve_ != nullptr) eve_->stop();
}

LoadReport IdsRuntime::load_report() const {
  std::lock_guard<std::mutex> lock(mu_);
  return load_report_;
}

EngineReport IdsRuntime::engine_report() const {
  std::lock_guard<std::mutex> lock(mu_);
  return engine_report_;
}

EveCounters IdsRuntime::eve_counters() const {
  return eve_ != nullptr ? eve_->counters() : EveCounters{};
}

uint64_t IdsRuntime::stream_pool_free() const {
  return shared_.stream_pool != nullptr ? rte_mempool_avail_count(shared_.stream_pool) : 0;
}

}  // namespace vigil::ids
