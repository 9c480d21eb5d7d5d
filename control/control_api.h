// vigild's control API, assembled: the audit log, the service (commands over the running
// configuration and the switch) and the unix-socket server that feeds it. Live mode only.
#pragma once

#include <memory>

#include "control/api_server.h"
#include "control/audit_log.h"
#include "control/config.h"
#include "control/control_service.h"
#include "control/dataplane_control.h"

namespace vigil::control {

struct ControlApi {
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<ControlService> service;
  std::unique_ptr<ApiServer> server;
  ~ControlApi();
};

// Starts serving `config.control.socket`; throws std::runtime_error saying why it cannot.
std::unique_ptr<ControlApi> start_control_api(const Config& config, DataplaneControl& dataplane);

}  // namespace vigil::control
