// Who a control API caller is: maps the socket peer's credentials (SO_PEERCRED) to a role under
// the `control:` section of the config (PROTOCOL.md "Who may do what"). Group membership comes
// from NSS by default and can be replaced for tests.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "control/control_config.h"
#include "control/control_types.h"

namespace vigil::control {

// The group database, as identify() needs it.
struct GroupDirectory {
  // Every gid the user `uid` belongs to; `gid` (the peer's gid) is always among them.
  std::function<std::vector<gid_t>(uid_t uid, gid_t gid)> groups_of;
  // The gid of the group called `name`; nullopt when there is none.
  std::function<std::optional<gid_t>(const std::string& name)> gid_of;
};

// The system's: getpwuid_r + getgrouplist (supplementary groups), getgrnam_r.
const GroupDirectory& system_groups();

// uid 0, or a uid/group of `control.admins` -> admin; else the first `control.operators` entry
// naming the uid or one of its groups -> operator of that entry's tenant; else Role::kNone.
// Group entries are numeric gids or group names.
Identity identify(const Peer& peer, const ControlSettings& settings,
                  const GroupDirectory& groups = system_groups());

}  // namespace vigil::control
