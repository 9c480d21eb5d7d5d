// vigild's declarative configuration (YAML): ports, tenants with their VLAN and VM ports, trunks,
// switch settings and extra EAL arguments. The reference is README.md ("Configuration").
// Loading validates everything before vigild touches a port: unknown keys, bad addresses,
// duplicate names or VLANs and dangling references are errors naming the file and line.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "control/control_config.h"
#include "control/ids_config.h"
#include "dataplane/conn_table.h"
#include "dataplane/port_spec.h"
#include "tenancy/monitor_types.h"
#include "tenancy/tenant_spec.h"

namespace vigil {

struct SwitchSettings {
  uint32_t max_frame = 1518;
  uint32_t mac_aging_s = 300;
  uint32_t mac_table_size = 4096;
  uint32_t workers = 1;
  uint32_t conntrack_size = 65536;     // connections tracked, all tenants together
  uint32_t vm_max_connections = 0;     // per VM port; 0: no limit
  uint32_t vm_max_new_per_second = 0;  // per VM port; 0: no limit
  ConnTimeouts timeouts;               // idle timeouts, OVS's defaults unless set
};

struct Config {
  std::string path;
  SwitchSettings settings;
  std::vector<std::string> eal_args;
  std::vector<PortSpec> ports;
  TenancySpec tenancy;
  IdsSettings ids;
  ControlSettings control;
  MonitorSettings monitor;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads and validates the file; throws ConfigError ("<file>:<line>: <key>: <problem>").
Config load_config(const std::string& path);
// Same, from text; `origin` names it in errors and relative paths resolve against `base_dir`.
Config parse_config(const std::string& text, const std::string& origin,
                    const std::string& base_dir);

}  // namespace vigil
