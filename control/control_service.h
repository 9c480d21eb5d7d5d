// The control API's commands (PROTOCOL.md): the ControlHandler the API server calls. It keeps the
// running configuration (the config file's YAML document and its parsed Config), decides who may
// run what (admins; operators of one tenant), and turns every change into an edited copy of the
// configuration that is validated whole, persisted atomically and applied to the dataplane before
// it is acknowledged.
#pragma once

#include <memory>
#include <string>

#include "control/access.h"
#include "control/control_types.h"
#include "control/dataplane_control.h"
#include "control/running_config.h"
#include "control/state_store.h"

namespace vigil::control {

class ControlService : public ControlHandler {
 public:
  // `config_text` is the content of `store.path()` that vigild started with. Throws ConfigError
  // when it is not a valid configuration. `groups` (default: the system's) resolves group
  // membership for roles.
  ControlService(StateStore store, const std::string& config_text, DataplaneControl& dataplane,
                 const GroupDirectory& groups = system_groups());

  // Reads the config file at `path`; throws ConfigError when it cannot be read or is invalid.
  static std::unique_ptr<ControlService> open(const std::string& path, DataplaneControl& dataplane);

  Identity identify(const Peer& peer) override;
  // Never throws: every failure is a protocol error response.
  Response handle(const Request& request, const Identity& who) override;

  // The running configuration (as last committed).
  const Config& config() const { return running_.config(); }
  const RunningConfig& running() const { return running_; }

 private:
  RunningConfig running_;
  DataplaneControl& dataplane_;
  const GroupDirectory& groups_;
};

}  // namespace vigil::control
