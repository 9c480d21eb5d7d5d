// The IDS as vigild runs it: loads the rule files, compiles the engine, owns the flow table,
// the stream buffer pool and the EVE writer, and swaps in a recompiled engine on reload without
// stopping the workers (the new one is built off the fast path; the old one is freed once every
// worker has passed a quiescent state).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ids/ids_context.h"
#include "ids/rule_loader.h"

namespace vigil::ids {

struct IdsOptions {
  std::vector<std::string> rule_files;
  std::string classification;  // "" for none
  std::map<std::string, std::string> address_vars, port_vars;
  std::string eve_path;  // "" for none
  std::string syslog;    // "unix:/path" or "udp:host:port"; "" for none
  uint32_t flows = 65536;
  uint32_t stream_buffer = 8192;
  uint32_t stream_buffers = 8192;
  uint32_t eve_queue = 8192;
  unsigned workers = 1;
  std::vector<bool> inspected;  // per tenant
  bool inspect_all = true;      // tenants added later are inspected too
  std::vector<std::string> port_names, tenant_names;
  std::vector<uint16_t> tenant_vlans;
};

class IdsRuntime {
 public:
  // Needs DPDK's EAL (mempool, ring, hash). Null with *error when the rules yield no usable
  // engine or DPDK cannot provide memory; rules that fail to parse are skipped and reported.
  static std::unique_ptr<IdsRuntime> create(const IdsOptions& options, std::string* error);
  ~IdsRuntime();

  IdsShared& shared() { return shared_; }
  ConnTable& flows() { return *flows_; }
  // Reloads the rule files; on failure the running engine stays and *error says why.
  bool reload(std::string* error);
  // Expires idle flows (control thread, or the replay worker between bursts).
  uint32_t sweep(uint64_t now_us) { return flows_->sweep(now_us); }
  // Writes out every alert raised so far and stops the writer.
  void stop();

  LoadReport load_report() const;
  EngineReport engine_report() const;
  EveCounters eve_counters() const;
  uint64_t stream_pool_free() const;
  uint32_t reloads() const { return reloads_; }

 private:
  IdsRuntime() = default;
  bool build_engine(std::unique_ptr<DetectEngine>* out, LoadReport* load, EngineReport* report,
                    std::string* error) const;

  IdsOptions options_;
  IdsShared shared_;
  std::unique_ptr<ConnTable> flows_;
  std::unique_ptr<IdsFlow[]> states_;
  std::unique_ptr<DetectEngine> engine_;
  std::unique_ptr<EveWriter> eve_;
  mutable std::mutex mu_;  // reload vs. report readers (control thread side only)
  LoadReport load_report_;
  EngineReport engine_report_;
  uint32_t reloads_ = 0;
};

}  // namespace vigil::ids
