// vigild's report: per-port packets, link and drops, drops by reason, what the bridge learned.
// As a table for people (stdout at exit) and as JSON for scripts (--stats-json, rewritten
// periodically in live mode), from the sum of every worker's counters.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "control/ids_setup.h"
#include "dataplane/conn_table.h"
#include "dataplane/mac_table.h"
#include "dataplane/ports.h"
#include "dataplane/worker_counters.h"
#include "tenancy/tenancy_map.h"

namespace vigil {

struct StatsView {
  const std::vector<std::string>& port_names;
  const WorkerCounters& counters;  // summed over workers
  const std::vector<PortStatus>& status;
  const MacTable& macs;
  const TenancyMap& tenancy;
  unsigned workers;
  uint64_t now_us;                   // for MAC aging in the table dump
  const ConnTable* conns = nullptr;  // the firewall's, when a tenant has a policy
  const IdsStats* ids = nullptr;     // when the IDS runs
};

// Adds up the workers' counters. Reads while workers write: each value is a single aligned
// 64-bit load, so it is one the worker stored, at most a burst behind.
std::unique_ptr<WorkerCounters> sum_counters(const std::vector<const WorkerCounters*>& workers);

void print_stats(std::ostream& out, const StatsView& view);
void write_stats_json(std::ostream& out, const StatsView& view);
// Writes the JSON to path atomically (temporary file, then rename); false on failure.
bool write_stats_file(const std::string& path, const StatsView& view);

}  // namespace vigil
