// Help text of vigilctl, built from the command table (cli_commands.cc) so it cannot drift
// from what the parser accepts.
#include "control/cli_help.h"

#include <algorithm>
#include <sstream>

namespace vigil::control::cli {
namespace {

constexpr char kGlobalOptions[] =
    "global options (before or after the command):\n"
    "  --socket PATH  vigild's control socket (default: $VIGIL_SOCKET, else "
    "/run/vigil/vigild.sock)\n"
    "  --json         print the result as one JSON document (for scripts) instead of tables\n"
    "  --timeout S    give up after S seconds without an answer (default 30)\n"
    "  --help, -h     help: 'vigilctl NOUN --help', 'vigilctl NOUN VERB --help' for a command\n"
    "  --version      print vigilctl's version\n";

constexpr char kExitCodes[] =
    "exit status: 0 success, 1 error response, 2 usage error (bad command line or input file),\n"
    "3 cannot reach vigild (no socket, timeout, broken reply), 4 forbidden, 5 not found.\n";

std::string argument(const ArgSpec& a) {
  std::string text = a.name;
  if (!a.metavar.empty()) text.append(" ").append(a.metavar);
  if (a.required) return text;
  std::string optional = "[";
  optional.append(text).append("]");
  if (a.repeatable()) optional.append("...");
  return optional;
}

std::string words(const CommandSpec& spec) {
  return spec.verb.empty() ? spec.noun : spec.noun + " " + spec.verb;
}

// Two aligned columns: "  left  right".
void columns(std::ostringstream& out,
             const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  for (const auto& r : rows) {
    out << "  " << r.first << std::string(width - r.first.size() + 2, ' ') << r.second << "\n";
  }
}

void arguments(std::ostringstream& out, const CommandSpec& spec) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& p : spec.positionals) rows.emplace_back(p.name, p.help);
  for (const auto& o : spec.options) {
    rows.emplace_back(o.metavar.empty() ? o.name : o.name + " " + o.metavar, o.help);
  }
  columns(out, rows);
}

}  // namespace

std::string synopsis(const CommandSpec& spec) {
  std::string text = "vigilctl " + words(spec);
  for (const auto& p : spec.positionals) {
    text.append(p.required ? " " : " [").append(p.name).append(p.required ? "" : "]");
  }
  for (const auto& o : spec.options) text.append(" ").append(argument(o));
  return text;
}

std::string main_help(const std::vector<CommandSpec>& commands) {
  std::ostringstream out;
  out << "usage: vigilctl [--socket PATH] [--json] [--timeout S] <noun> <verb> [args]\n\n"
         "vigilctl manages a running vigild through its control API (tenants, VM ports,\n"
         "firewall policies, IDS, stats, captures). Output is human-readable; --json for "
         "scripts.\n\n"
      << kGlobalOptions << "\ncommands:\n";
  std::string noun;
  for (const auto& c : commands) {
    if (c.noun != noun && !noun.empty()) out << "\n";
    noun = c.noun;
    out << "  " << synopsis(c) << "\n      " << c.summary << "\n";
  }
  out << "\n" << kExitCodes;
  return out.str();
}

std::string noun_help(const std::string& noun, const std::vector<CommandSpec>& commands) {
  std::ostringstream out;
  out << "usage: vigilctl " << noun << " <verb> [args]\n";
  for (const auto& c : commands) {
    if (c.noun != noun) continue;
    out << "\n" << synopsis(c) << "\n  " << c.summary << "\n";
    if (!c.positionals.empty() || !c.options.empty()) arguments(out, c);
  }
  out << "\n" << kGlobalOptions << "\n" << kExitCodes;
  return out.str();
}

std::string command_help(const CommandSpec& spec) {
  std::ostringstream out;
  out << "usage: " << synopsis(spec) << "\n\n" << spec.summary;
  if (!spec.command.empty()) out << " (request: " << spec.command << ")";
  out << "\n";
  if (!spec.positionals.empty() || !spec.options.empty()) {
    out << "\narguments:\n";
    arguments(out, spec);
  }
  if (!spec.details.empty()) out << "\n" << spec.details << "\n";
  out << "\n" << kGlobalOptions << "\n" << kExitCodes;
  return out.str();
}

}  // namespace vigil::control::cli
