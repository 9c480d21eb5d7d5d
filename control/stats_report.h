// vigild's exit report: per-port packets, drops by reason, what the bridge learned. As a table
// for people (stdout) and as JSON for scripts (--stats-json), from one worker's counters.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "dataplane/mac_table.h"
#include "dataplane/worker_counters.h"
#include "tenancy/tenancy_map.h"

namespace vigil {

struct StatsView {
  const std::vector<std::string>& port_names;
  const WorkerCounters& counters;
  const MacTable& macs;
  const TenancyMap& tenancy;
  uint64_t now_us;  // for MAC aging in the table dump
};

void print_stats(std::ostream& out, const StatsView& view);
void write_stats_json(std::ostream& out, const StatsView& view);

}  // namespace vigil
