// vigilctl's command line: the shape of a command (its positionals and options, and how each
// becomes part of the request's args), and the parser that turns argv into an Invocation or a
// usage error. The command table itself is in cli_commands.h; help text in cli_help.h.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace vigil::control::cli {

// Exit codes (control/PROTOCOL.md).
enum Exit : int {
  kExitOk = 0,
  kExitError = 1,        // an error response
  kExitUsage = 2,        // bad command line (or an unreadable input file)
  kExitUnreachable = 3,  // cannot connect, timeout, broken reply
  kExitForbidden = 4,
  kExitNotFound = 5,
};

// How an argument's text becomes part of the request.
enum class ValueKind {
  kString,        // "key": "text"
  kPath,          // "key": the file name made absolute against the current directory
  kCount,         // "key": a non-negative integer
  kStrings,       // repeatable, commas split too: "key": ["a", "b"]
  kSetTrue,       // flag: "key": true
  kSetFalse,      // flag: "key": false
  kClearList,     // flag: "key": []
  kDocumentFile,  // "key": a YAML or JSON file's mapping
  kPolicyFile,    // as kDocumentFile, accepting `policy show --json` output or a `policy:` wrapper
  kDocumentText,  // "key": YAML or JSON text, a mapping
  kArgsObject,    // a JSON or YAML mapping merged into the args
  kCommandName,   // the protocol command itself (raw)
  kLocal,         // used by vigilctl, not sent (e.g. vm export --output)
};

struct ArgSpec {
  std::string name;     // "--vlan" for an option, "NAME" for a positional
  std::string metavar;  // an option's value ("N"); empty for a flag
  std::string key;      // where it goes in the args
  ValueKind kind = ValueKind::kString;
  bool required = false;
  std::string help;

  bool is_flag() const {
    return kind == ValueKind::kSetTrue || kind == ValueKind::kSetFalse ||
           kind == ValueKind::kClearList;
  }
  bool repeatable() const { return kind == ValueKind::kStrings; }
};

struct CommandSpec {
  std::string noun;
  std::string verb;     // empty for one-word commands (whoami, status)
  std::string command;  // the protocol's name, e.g. "policy.add_rule"; empty for raw
  std::string summary;  // one line
  std::vector<ArgSpec> positionals;
  std::vector<ArgSpec> options;
  std::string details;  // more help, may be empty
};

struct GlobalOptions {
  std::string socket;  // empty: $VIGIL_SOCKET or the default
  bool json = false;
  double timeout_s = 30;
};

inline constexpr char kDefaultSocket[] = "/run/vigil/vigild.sock";

struct Invocation {
  enum class Action { kRun, kHelp, kVersion, kUsageError };
  Action action = Action::kUsageError;
  GlobalOptions global;
  const CommandSpec* spec = nullptr;  // kRun, and kHelp of one command
  std::string help_noun;              // kHelp of a noun (spec null)
  std::string error;                  // kUsageError
  // Values by ArgSpec name: options in order given, a flag as one empty string.
  std::map<std::string, std::vector<std::string>> values;

  bool has(const std::string& name) const { return values.count(name) != 0; }
  const std::string& value(const std::string& name) const { return values.at(name).front(); }
};

// Parses argv[1..] (no program name) against `commands`. Global options (--socket, --json,
// --timeout, --help, --version) are accepted before or after the command words.
Invocation parse_command_line(const std::vector<std::string>& args,
                              const std::vector<CommandSpec>& commands);

// The socket: --socket, else $VIGIL_SOCKET (when `env_socket` is not null or empty), else the
// default.
std::string resolve_socket(const GlobalOptions& global, const char* env_socket);

// Strict non-negative integer ("12"; no sign, spaces or suffix); false when not one.
bool parse_count(const std::string& text, unsigned long long* out);

}  // namespace vigil::control::cli
