// vigilctl's help text, generated from the command table so that it lists every option.
#pragma once

#include <string>
#include <vector>

#include "control/cli_args.h"

namespace vigil::control::cli {

// "vigilctl tenant add NAME --vlan N": the command's words and arguments, optional ones in [].
std::string synopsis(const CommandSpec& spec);

// `vigilctl --help`: global options, every command with every option, exit codes.
std::string main_help(const std::vector<CommandSpec>& commands);
// `vigilctl NOUN --help`: each verb of the noun with its arguments.
std::string noun_help(const std::string& noun, const std::vector<CommandSpec>& commands);
// `vigilctl NOUN VERB --help`.
std::string command_help(const CommandSpec& spec);

}  // namespace vigil::control::cli
