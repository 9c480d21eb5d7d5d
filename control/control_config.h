// The `control:` section of vigild's config: the API socket, the audit log, and who may do what
// (admins; tenant operators). Read by config.cc; the reference is README.md ("Control API").
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace vigil {

namespace detail {
class Reader;
}

struct Principals {
  std::vector<uid_t> uids;
  std::vector<std::string> groups;  // group names or numeric gids, as written
};

struct OperatorSpec {
  std::string tenant;
  Principals who;
};

struct ControlSettings {
  bool enabled = false;     // a `control:` section is present
  std::string socket;       // absolute path of the unix socket
  std::string audit;        // absolute path of the audit log (JSON lines); "" for none
  std::string capture_dir;  // where operators' captures may be written; "" for nowhere
  uint32_t max_clients = 16;
  uint32_t max_request_bytes = 4 << 20;
  Principals admins;  // uid 0 is always an admin
  std::vector<OperatorSpec> operators;
};

// Reads `node` into `out`; operator tenants are checked against `tenants`.
void read_control(const detail::Reader& r, const YAML::Node& node,
                  const std::vector<std::string>& tenants, ControlSettings& out);

}  // namespace vigil
