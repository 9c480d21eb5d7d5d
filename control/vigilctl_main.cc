// vigilctl: the operator's command-line client. The control API it talks to arrives with the
// control-plane issue; for now it reports its version.
#include <iostream>
#include <string>

#include "vigil_version.h"

int main(int argc, char** argv) {
  const std::string arg = argc > 1 ? argv[1] : "";
  if (arg == "--version" || arg == "version") {
    std::cout << "vigilctl " << VIGIL_VERSION << "\n";
    return 0;
  }
  std::cerr << "usage: vigilctl --version\n"
               "(the control API and its commands are not implemented yet)\n";
  return arg == "--help" || arg == "-h" ? 0 : 2;
}
