// vigild's side of the IDS: builds the IdsRuntime from the config, says what loaded, gathers
// the IDS's counters for the stats report and writes them (text and JSON).
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "control/config.h"
#include "ids/ids_runtime.h"

namespace vigil {

// Null when the config has no `ids:` section. `eve_override` (--eve-log) replaces ids.eve.
// Throws std::runtime_error when the IDS cannot start. Prints the rule load report to `log`.
std::unique_ptr<ids::IdsRuntime> start_ids(const Config& config,
                                           const std::vector<std::string>& port_names,
                                           unsigned workers, const std::string& eve_override,
                                           std::ostream& log);

// Prints how rules loaded and compiled.
void print_ids_load(std::ostream& out, const ids::LoadReport& load, const ids::EngineReport& eng);

struct IdsStats {
  ids::IdsCounters counters;  // summed over workers
  ids::LoadReport load;
  ids::EngineReport engine;
  ids::EveCounters eve;
  uint32_t flows = 0;
  uint64_t stream_buffers_free = 0;
  uint32_t reloads = 0;
};
IdsStats gather_ids_stats(const ids::IdsRuntime& rt,
                          const std::vector<const ids::IdsCounters*>& workers);
void print_ids_stats(std::ostream& out, const IdsStats& s);
// The value of the stats JSON's "ids" key.
void write_ids_json(std::ostream& out, const IdsStats& s);

}  // namespace vigil
