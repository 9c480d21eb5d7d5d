// vigilctl's flow: command line -> request -> one exchange with vigild -> output and exit code.
#include "control/cli_run.h"

#include <fstream>

#include "control/cli_args.h"
#include "control/cli_client.h"
#include "control/cli_commands.h"
#include "control/cli_help.h"
#include "control/cli_render.h"
#include "control/control_types.h"

namespace vigil::control::cli {
namespace {

int usage_error(const Invocation& inv, std::ostream& err) {
  err << "vigilctl: " << inv.error << "\n";
  if (inv.spec) {
    err << "usage: " << synopsis(*inv.spec) << "\n";
    err << "(vigilctl " << inv.spec->noun << (inv.spec->verb.empty() ? "" : " ") << inv.spec->verb
        << " --help for more)\n";
  } else if (!inv.help_noun.empty()) {
    err << "(vigilctl " << inv.help_noun << " --help for its verbs)\n";
  } else {
    err << "usage: vigilctl [--socket PATH] [--json] [--timeout S] <noun> <verb> [args]\n"
           "(vigilctl --help for the commands)\n";
  }
  return kExitUsage;
}

std::string pretty(const Json& j) {
  return j.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

int exit_code_for(const std::string& error_code) {
  if (error_code == code::kForbidden) return kExitForbidden;
  if (error_code == code::kNotFound) return kExitNotFound;
  return kExitError;
}

int run(const std::vector<std::string>& args, const RunContext& context, std::ostream& out,
        std::ostream& err) {
  const auto& commands = command_table();
  const Invocation inv = parse_command_line(args, commands);
  switch (inv.action) {
    case Invocation::Action::kVersion:
      out << "vigilctl " << context.version << "\n";
      return kExitOk;
    case Invocation::Action::kHelp:
      if (inv.spec) {
        out << command_help(*inv.spec);
      } else if (!inv.help_noun.empty()) {
        out << noun_help(inv.help_noun, commands);
      } else {
        out << main_help(commands);
      }
      return kExitOk;
    case Invocation::Action::kUsageError:
      return usage_error(inv, err);
    case Invocation::Action::kRun:
      break;
  }

  BuiltRequest built;
  std::string error;
  if (!build_request(inv, context.cwd, &built, &error)) {
    err << "vigilctl: " << error << "\n";
    return kExitUsage;
  }
  const Json request = {{"id", 1}, {"command", built.command}, {"args", built.args}};
  try {
    (void)request.dump();  // throws on invalid UTF-8, which vigild would refuse anyway
  } catch (const Json::exception&) {
    err << "vigilctl: the arguments are not valid UTF-8\n";
    return kExitUsage;
  }

  // vm export --output: find out now, before asking vigild, that the file can be written.
  const std::string output = inv.has("--output") ? inv.value("--output") : "";
  if (!output.empty()) {
    std::ofstream probe(output, std::ios::app);
    if (!probe) {
      err << "vigilctl: --output: cannot write " << output << "\n";
      return kExitUsage;
    }
  }

  Reply reply;
  const std::string socket = resolve_socket(inv.global, context.env_socket.c_str());
  if (!call(socket, request, inv.global.timeout_s, &reply, &error)) {
    err << "vigilctl: " << error << "\n";
    return kExitUnreachable;
  }
  if (!reply.ok) {
    err << "vigilctl: " << reply.code << ": " << reply.message << "\n";
    return exit_code_for(reply.code);
  }

  if (!output.empty()) {
    std::ofstream file(output, std::ios::trunc);
    file << pretty(reply.result) << "\n";
    file.close();
    if (!file) {
      err << "vigilctl: cannot write " << output << "\n";
      return kExitError;
    }
    if (!inv.global.json) {
      out << "exported port " << built.args.value("port", "") << " to " << output << "\n";
      return kExitOk;
    }
  }
  if (inv.global.json || inv.spec->noun == "raw") {
    out << pretty(reply.result) << "\n";
  } else {
    render(built.command, built.args, reply.result, out);
  }
  return kExitOk;
}

}  // namespace vigil::control::cli
