// vigilctl's commands, one per protocol command (control/PROTOCOL.md), and the request each
// parsed command line becomes.
#pragma once

#include <string>
#include <vector>

#include "control/cli_args.h"
#include "control/control_types.h"

namespace vigil::control::cli {

// Every command, in the order help lists them.
const std::vector<CommandSpec>& command_table();

struct BuiltRequest {
  std::string command;  // e.g. "tenant.add"
  Json args = Json::object();
};

// The request for a parsed command line (inv.action == kRun). Files named by --file are read
// here; relative paths sent to vigild are made absolute against `cwd`. False with *error (a
// usage error: bad number, unreadable or malformed file, clashing options).
bool build_request(const Invocation& inv, const std::string& cwd, BuiltRequest* out,
                   std::string* error);

}  // namespace vigil::control::cli
