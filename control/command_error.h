// How the control service's commands refuse: a protocol error code (control_types.h code::*) and
// a message for people. Thrown inside the service, turned into a failure Response at its edge.
#pragma once

#include <stdexcept>
#include <string>

namespace vigil::control {

class CommandError : public std::runtime_error {
 public:
  CommandError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

[[noreturn]] inline void fail(const char* code, const std::string& message) {
  throw CommandError(code, message);
}

}  // namespace vigil::control
