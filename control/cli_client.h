// vigilctl's side of the control socket: connect, send one request line, read one response
// line, check its shape (control/PROTOCOL.md). Every step is bounded by one deadline.
#pragma once

#include <string>

#include "control/control_types.h"

namespace vigil::control::cli {

struct Reply {
  bool ok = false;
  Json result;          // when ok
  std::string code;     // when !ok
  std::string message;  // when !ok
};

// Largest response accepted (a flows table can be big, but not unbounded).
inline constexpr size_t kMaxReplyBytes = 256u << 20;

// Sends `request` (a JSON object) to the unix socket `socket_path` and waits at most
// `timeout_s` for the whole exchange. False with *error when vigild cannot be reached, does
// not answer in time or answers something that is not a response; an error response is a
// true return with reply->ok false.
bool call(const std::string& socket_path, const Json& request, double timeout_s, Reply* reply,
          std::string* error);

// Checks and unpacks one response line; false with *error when it is not a well-formed
// response. `expected_id` must be echoed (a null id is accepted on errors: vigild answers a
// request it could not read with a null id).
bool parse_reply(const std::string& line, const Json& expected_id, Reply* reply,
                 std::string* error);

}  // namespace vigil::control::cli
