// The `monitor:` section of vigild's config (tenancy/monitor_types.h MonitorSettings): interval,
// baselines, floors, playbooks, where verdict events go. Read by config.cc; the reference is
// README.md ("Monitors").
#pragma once

#include "tenancy/monitor_types.h"

namespace YAML {
class Node;
}

namespace vigil {

namespace detail {
class Reader;
}

void read_monitor(const detail::Reader& r, const YAML::Node& node, MonitorSettings& out);

}  // namespace vigil
