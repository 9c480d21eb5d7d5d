// What the control API's parts share: who is asking (from the socket's SO_PEERCRED), with which
// role, and the request/response shapes of the protocol (control/PROTOCOL.md). JSON through
// nlohmann::json; nothing here is on the fast path.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>

namespace vigil::control {

using Json = nlohmann::json;

struct Peer {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
};

enum class Role { kNone, kAdmin, kOperator };
const char* role_name(Role r);  // "none", "admin", "operator"

struct Identity {
  Peer peer;
  Role role = Role::kNone;
  std::string tenant;  // the operator's tenant
};

// Error codes of the protocol (PROTOCOL.md), and the vigilctl exit code each maps to.
namespace code {
inline constexpr char kBadRequest[] = "bad_request";          // exit 1
inline constexpr char kUnknownCommand[] = "unknown_command";  // exit 1
inline constexpr char kInvalid[] = "invalid";                 // exit 1
inline constexpr char kConflict[] = "conflict";               // exit 1
inline constexpr char kUnavailable[] = "unavailable";         // exit 1
inline constexpr char kInternal[] = "internal";               // exit 1
inline constexpr char kTooLarge[] = "too_large";              // exit 1
inline constexpr char kForbidden[] = "forbidden";             // exit 4
inline constexpr char kNotFound[] = "not_found";              // exit 5
}  // namespace code

struct Request {
  Json id;  // echoed back; null when absent
  std::string command;
  Json args = Json::object();
};

struct Response {
  Json id;
  bool ok = true;
  Json result;             // when ok
  std::string error_code;  // when !ok: one of code::*
  std::string error_message;

  static Response success(const Json& id, Json result);
  static Response failure(const Json& id, std::string code, std::string message);
  Json to_json() const;
};

// Answers one request for one identity; called from the API server's thread, one request at a
// time (the server serialises them), so implementations need no locking against each other.
class ControlHandler {
 public:
  virtual ~ControlHandler() = default;
  // The caller's role under the running configuration (which the handler may change).
  virtual Identity identify(const Peer& peer) = 0;
  virtual Response handle(const Request& request, const Identity& who) = 0;
};

}  // namespace vigil::control
