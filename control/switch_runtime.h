// The running switch, as vigild builds it from its config: ports, the tenancy snapshot, the MAC
// and connection tables, the IDS, the workers' pipelines, and the loops that drive them (replay
// to the end of the captures, or live until stopped). It is also what the control API changes
// and reads (DataplaneControl): a new configuration's tenancy is built off the fast path and
// published atomically; tenants keep their slot for the life of the process (tenancy_map.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "control/config.h"
#include "control/dataplane_control.h"
#include "control/ids_setup.h"
#include "control/monitor_runtime.h"
#include "dataplane/capture.h"
#include "dataplane/conn_table.h"
#include "dataplane/mac_table.h"
#include "dataplane/pipeline.h"
#include "dataplane/ports.h"
#include "dataplane/switch_state.h"
#include "dataplane/worker_plan.h"

struct rte_mempool;

namespace vigil {

struct RunOptions {
  std::string stats_json;
  std::string eve_log;
  uint64_t stats_interval_s = 1;
  int ts_offset = -1;  // the pcap PMD's rx-timestamp dynfield, -1 when absent
  uint64_t ts_flag = 0;
  const std::atomic<bool>* stop = nullptr;
  std::atomic<bool>* reload = nullptr;  // SIGHUP
};

class SwitchRuntime final : public control::DataplaneControl {
 public:
  // Opens the ports and builds everything; throws std::runtime_error on a problem.
  SwitchRuntime(const Config& config, const RunOptions& options, rte_mempool* pool);
  ~SwitchRuntime() override;

  // Runs to the end (replay) or until *options.stop (live); the exit code.
  int run();
  bool replay() const { return replay_; }

  // DataplaneControl (called from the control API's thread).
  bool apply(const Config& next, std::string* error) override;
  control::Json stats() override;
  control::Json flows(size_t top, const std::string& tenant) override;
  control::Json status() override;
  bool ids_enabled() override { return ids_ != nullptr; }
  bool ids_reload(control::Json* report, std::string* error) override;
  control::Json ids_report() override;
  bool capture_start(const std::string& port, const std::string& file, uint64_t max_packets,
                     std::string* error) override;
  bool capture_stop(const std::string& port, control::Json* result) override;
  control::Json capture_list() override;
  bool monitor_enabled() override { return monitor_ != nullptr; }
  control::Json monitor_status() override;
  bool monitor_release(const std::string& vm, std::string* error) override;
  control::Json monitor_export(const std::string& vm) override;
  control::Json recent_events(size_t limit, const std::string& tenant) override;
  bool monitor_import(const control::Json& state, const std::string& vm,
                      std::string* error) override;

 private:
  // `next` laid out in the running tenant slots (new tenants appended, removed ones emptied).
  TenancySpec slotted(const TenancySpec& next) const;
  bool apply_locked(const Config& next, std::unique_ptr<SwitchState>* old, std::string* error);
  // Publishes `next` (caller holds mu_); returns the old snapshot, to be freed after
  // conns_->synchronize() (without mu_: a worker may wait on mu_ meanwhile).
  std::unique_ptr<SwitchState> publish(std::unique_ptr<SwitchState> next);
  bool write_report(uint64_t now_us, bool final_report);
  void reload_signal();  // SIGHUP
  int run_live();
  uint64_t now_us() const;
  // The monitors' clock: wall-clock time since the epoch live (capture time in replay).
  void advance_monitors(uint64_t epoch_us);
  int port_index(const std::string& name) const;  // -1 when there is none

  Config config_;
  RunOptions options_;
  rte_mempool* pool_;
  std::unique_ptr<Ports> ports_;
  std::vector<std::string> names_;
  bool replay_ = false;
  unsigned workers_ = 1;
  std::unique_ptr<WorkerPlan> plan_;
  std::unique_ptr<MacTable> macs_;
  std::unique_ptr<ConnTable> conns_;
  std::vector<std::string> slots_;  // tenant name per slot; "" for a removed tenant
  std::atomic<const SwitchState*> state_{nullptr};
  std::unique_ptr<SwitchState> owned_state_;
  std::unique_ptr<ids::IdsRuntime> ids_;
  std::unique_ptr<CaptureTable> capture_;
  std::unique_ptr<MonitorRuntime> monitor_;
  std::vector<std::unique_ptr<Pipeline>> pipelines_;
  std::vector<const WorkerCounters*> counters_;
  std::vector<const ids::IdsCounters*> ids_counters_;
  uint64_t started_us_ = 0;
  uint64_t end_us_ = 0;
  // Serialises changes (control API, SIGHUP) with readers of the snapshot off the fast path.
  mutable std::mutex mu_;
};

}  // namespace vigil
