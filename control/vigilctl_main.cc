// vigilctl: the operator's command-line client of vigild's control API (control/PROTOCOL.md).
// Everything but the process wiring is in cli_run.cc; `vigilctl --help` lists the commands.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "control/cli_args.h"
#include "control/cli_run.h"
#include "vigil_version.h"

int main(int argc, char** argv) {
  vigil::control::cli::RunContext context;
  context.version = VIGIL_VERSION;
  if (const char* socket = std::getenv("VIGIL_SOCKET")) context.env_socket = socket;
  std::vector<char> cwd(4096);
  if (::getcwd(cwd.data(), cwd.size())) context.cwd = cwd.data();
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  const int status = vigil::control::cli::run(args, context, std::cout, std::cerr);
  std::cout.flush();
  // Output that could not be written (full disk...) is a failure even when vigild said ok.
  if (!std::cout && status == 0) return vigil::control::cli::kExitError;
  return status;
}
