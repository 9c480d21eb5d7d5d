#include "control/control_api.h"

#include <iostream>
#include <stdexcept>

namespace vigil::control {

ControlApi::~ControlApi() {
  if (server) server->stop();  // before the service it calls goes away
}

std::unique_ptr<ControlApi> start_control_api(const Config& config, DataplaneControl& dataplane) {
  auto api = std::make_unique<ControlApi>();
  std::string error;
  if (!config.control.audit.empty()) {
    api->audit = std::make_unique<AuditLog>();
    if (!api->audit->open(config.control.audit, &error)) {
      throw std::runtime_error("control.audit: " + error);
    }
  }
  try {
    api->service = ControlService::open(config.path, dataplane);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("control: ") + e.what());
  }
  api->server = std::make_unique<ApiServer>(config.control, *api->service, api->audit.get());
  if (!api->server->start(&error)) throw std::runtime_error("control.socket: " + error);
  std::cerr << "vigild: control API on " << config.control.socket << "\n";
  return api;
}

}  // namespace vigil::control
