// Parses vigilctl's argv against the command table: global options, the command words, then the
// command's own options and positionals. Every problem is a usage error with a message; nothing
// here touches the network or the file system.
#include "control/cli_args.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace vigil::control::cli {
namespace {

bool is_help(const std::string& t) {
  return t == "--help" || t == "-h";
}

bool parse_timeout(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(v)) return false;
  if (v <= 0 || v > 86400) return false;
  *out = v;
  return true;
}

// Splits "--name=value"; `value` is set only when there was an '='.
void split_option(const std::string& token, std::string* name, std::string* value,
                  bool* has_value) {
  const auto eq = token.find('=');
  *has_value = eq != std::string::npos;
  *name = token.substr(0, eq);
  if (*has_value) *value = token.substr(eq + 1);
}

class Parser {
 public:
  Parser(const std::vector<std::string>& args, const std::vector<CommandSpec>& commands)
      : args_(args), commands_(commands) {}

  Invocation run() {
    if (!parse()) {
      // --help anywhere wins over what is wrong before it: the user asks how to fix it.
      if (std::any_of(args_.begin(), args_.end(), is_help)) return help();
      inv_.action = Invocation::Action::kUsageError;
      return inv_;
    }
    if (version_) {
      inv_.action = Invocation::Action::kVersion;
    } else if (help_) {
      return help();
    } else {
      inv_.action = Invocation::Action::kRun;
    }
    return inv_;
  }

 private:
  Invocation help() {
    inv_.action = Invocation::Action::kHelp;
    inv_.error.clear();
    return inv_;
  }

  bool fail(std::string message) {
    inv_.error = std::move(message);
    return false;
  }

  // Consumes a global option at args_[i_]; false when it is not one. Sets ok_ false on error.
  bool take_global() {
    const std::string& token = args_[i_];
    if (is_help(token)) {
      help_ = true;
      ++i_;
      return true;
    }
    std::string name, value;
    bool has_value = false;
    split_option(token, &name, &value, &has_value);
    if (name == "--json" || name == "--version") {
      if (has_value) {
        ok_ = fail(name + " takes no value");
        return true;
      }
      (name == "--json" ? inv_.global.json : version_) = true;
      ++i_;
      return true;
    }
    if (name != "--socket" && name != "--timeout") return false;
    ++i_;
    if (!has_value) {
      if (i_ >= args_.size()) {
        ok_ = fail(name + " needs a value " + std::string(name == "--socket" ? "PATH" : "S"));
        return true;
      }
      value = args_[i_++];
    }
    if (name == "--socket") {
      if (value.empty()) ok_ = fail("--socket: empty path");
      inv_.global.socket = value;
    } else if (!parse_timeout(value, &inv_.global.timeout_s)) {
      ok_ = fail("--timeout: expected seconds, more than 0 and at most 86400, not '" + value + "'");
    }
    return true;
  }

  // Skips global options; false on error. Leaves i_ at the next other token (or the end).
  bool skip_globals() {
    while (i_ < args_.size() && !args_[i_].empty() && args_[i_][0] == '-' && args_[i_] != "--") {
      if (!take_global()) {
        return fail("unknown option '" + args_[i_] + "'" +
                    (inv_.spec ? std::string() : std::string(" before the command")));
      }
      if (!ok_) return false;
    }
    return true;
  }

  std::string verbs_of(const std::string& noun) const {
    std::string out;
    for (const auto& c : commands_) {
      if (c.noun != noun) continue;
      if (!out.empty()) out += ", ";
      out += c.verb;
    }
    return out;
  }

  bool parse() {
    if (!skip_globals()) return false;
    if (i_ >= args_.size() || args_[i_] == "--") {
      if (help_ || version_) return true;
      return fail("missing command");
    }
    const std::string noun = args_[i_++];
    const bool known = std::any_of(commands_.begin(), commands_.end(),
                                   [&](const CommandSpec& c) { return c.noun == noun; });
    if (!known) return fail("unknown command '" + noun + "'");
    const auto one_word = std::find_if(commands_.begin(), commands_.end(), [&](const auto& c) {
      return c.noun == noun && c.verb.empty();
    });
    if (one_word != commands_.end()) {
      inv_.spec = &*one_word;
    } else {
      inv_.help_noun = noun;
      if (!skip_globals()) return false;
      if (i_ >= args_.size() || args_[i_] == "--") {
        if (help_ || version_) return true;
        return fail(noun + ": missing verb (" + verbs_of(noun) + ")");
      }
      const std::string verb = args_[i_++];
      const auto it = std::find_if(commands_.begin(), commands_.end(),
                                   [&](const auto& c) { return c.noun == noun && c.verb == verb; });
      if (it == commands_.end()) {
        return fail(noun + ": unknown verb '" + verb + "' (" + verbs_of(noun) + ")");
      }
      inv_.spec = &*it;
    }
    return parse_arguments() && (help_ || version_ || check_required());
  }

  const ArgSpec* find_option(const std::string& name) const {
    for (const auto& o : inv_.spec->options) {
      if (o.name == name) return &o;
    }
    return nullptr;
  }

  bool parse_arguments() {
    size_t positional = 0;
    bool options_done = false;
    while (i_ < args_.size()) {
      const std::string& token = args_[i_];
      if (!options_done && token == "--") {
        options_done = true;
        ++i_;
        continue;
      }
      if (!options_done && token.size() > 1 && token[0] == '-') {
        if (take_global()) {
          if (!ok_) return false;
          continue;
        }
        if (!take_option()) return false;
        continue;
      }
      const auto& positionals = inv_.spec->positionals;
      if (positional >= positionals.size()) {
        return fail(name() + ": unexpected argument '" + token + "'");
      }
      inv_.values[positionals[positional++].name].push_back(token);
      ++i_;
    }
    return true;
  }

  bool take_option() {
    std::string name, value;
    bool has_value = false;
    split_option(args_[i_++], &name, &value, &has_value);
    const ArgSpec* o = find_option(name);
    if (!o) return fail(this->name() + ": unknown option '" + name + "'");
    if (o->is_flag()) {
      if (has_value) return fail(this->name() + ": " + name + " takes no value");
      value.clear();
    } else if (!has_value) {
      if (i_ >= args_.size()) {
        return fail(this->name() + ": " + name + " needs a value " + o->metavar);
      }
      value = args_[i_++];
    }
    auto& slot = inv_.values[o->name];
    if (!slot.empty() && !o->repeatable()) {
      return fail(this->name() + ": " + name + " given more than once");
    }
    slot.push_back(value);
    return true;
  }

  bool check_required() {
    for (const auto& p : inv_.spec->positionals) {
      if (p.required && !inv_.has(p.name)) return fail(name() + ": missing " + p.name);
    }
    for (const auto& o : inv_.spec->options) {
      if (o.required && !inv_.has(o.name)) {
        return fail(name() + ": missing " + o.name + " " + o.metavar);
      }
    }
    return true;
  }

  std::string name() const {
    return inv_.spec->verb.empty() ? inv_.spec->noun : inv_.spec->noun + " " + inv_.spec->verb;
  }

  const std::vector<std::string>& args_;
  const std::vector<CommandSpec>& commands_;
  Invocation inv_;
  size_t i_ = 0;
  bool ok_ = true;
  bool help_ = false;
  bool version_ = false;
};

}  // namespace

Invocation parse_command_line(const std::vector<std::string>& args,
                              const std::vector<CommandSpec>& commands) {
  return Parser(args, commands).run();
}

std::string resolve_socket(const GlobalOptions& global, const char* env_socket) {
  if (!global.socket.empty()) return global.socket;
  if (env_socket && *env_socket) return env_socket;
  return kDefaultSocket;
}

bool parse_count(const std::string& text, unsigned long long* out) {
  if (text.empty() || text.size() > 19) return false;  // 19 digits always fit in 64 bits
  unsigned long long v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned long long>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace vigil::control::cli
