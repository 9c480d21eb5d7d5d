// vigilctl from argv to exit code: parse, build the request, call vigild, print the result
// (or the error, as "vigilctl: <code>: <message>" on stderr). vigilctl_main.cc only wires the
// process's streams and environment to run().
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace vigil::control::cli {

struct RunContext {
  std::string version;     // printed by --version
  std::string cwd;         // relative file names sent to vigild are made absolute against it
  std::string env_socket;  // $VIGIL_SOCKET, empty when unset
};

// The exit code for an error response's code (control/PROTOCOL.md): forbidden 4, not_found 5,
// every other code 1.
int exit_code_for(const std::string& error_code);

// Runs vigilctl with `args` (argv without the program name); returns the exit code.
int run(const std::vector<std::string>& args, const RunContext& context, std::ostream& out,
        std::ostream& err);

}  // namespace vigil::control::cli
