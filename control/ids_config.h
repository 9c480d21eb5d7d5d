// The `ids:` section of vigild's config: rule files, variables, where alerts go, and the IDS's
// memory bounds. Read by config.cc; the reference is README.md ("IDS").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace vigil {

namespace detail {
class Reader;
}

struct IdsSettings {
  bool enabled = false;                             // an `ids:` section is present
  std::vector<std::string> rules;                   // rule files, absolute
  std::string classification;                       // classification.config, absolute; "" for none
  std::map<std::string, std::string> address_vars;  // over suricata.yaml's defaults
  std::map<std::string, std::string> port_vars;
  std::vector<std::string> tenants;  // inspected tenants; empty: all
  std::string eve;                   // EVE JSON alerts file; "" for none
  std::string syslog;                // "unix:/dev/log" or "udp:host:port"; "" for none
  uint32_t flows = 65536;            // flows tracked by the IDS
  uint32_t stream_buffer = 8192;     // bytes of reassembly per flow direction
  uint32_t stream_buffers = 8192;    // buffers in the pool (all flows together)
  uint32_t eve_queue = 8192;         // alerts in flight to the writer
};

// Reads `node` into `out`; tenant names are checked against `tenants`.
void read_ids(const detail::Reader& r, const YAML::Node& node,
              const std::vector<std::string>& tenants, IdsSettings& out);

}  // namespace vigil
