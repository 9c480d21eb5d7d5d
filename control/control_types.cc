// The shared protocol types' behaviour (control_types.h): role names and the response shapes of
// control/PROTOCOL.md.
#include "control/control_types.h"

#include <utility>

namespace vigil::control {

const char* role_name(Role r) {
  switch (r) {
    case Role::kAdmin:
      return "admin";
    case Role::kOperator:
      return "operator";
    case Role::kNone:
      break;
  }
  return "none";
}

Response Response::success(const Json& id, Json result) {
  Response r;
  r.id = id;
  r.ok = true;
  r.result = std::move(result);
  return r;
}

Response Response::failure(const Json& id, std::string code, std::string message) {
  Response r;
  r.id = id;
  r.ok = false;
  r.error_code = std::move(code);
  r.error_message = std::move(message);
  return r;
}

Json Response::to_json() const {
  Json j = Json::object();
  j["id"] = id;
  j["ok"] = ok;
  if (ok) {
    // A success always carries a result, even when the handler had nothing to say.
    j["result"] = result.is_null() ? Json::object() : result;
  } else {
    j["error"] = Json{{"code", error_code}, {"message", error_message}};
  }
  return j;
}

}  // namespace vigil::control
