// Names of the monitors' vocabulary (monitor_types.h) and of playbook actions (hsem.h), as the
// config, EVE events and vigilctl spell them.
#include <string>

#include "tenancy/hsem.h"
#include "tenancy/monitor_types.h"

namespace vigil {
namespace {

constexpr const char* kDetectionNames[] = {
#define VIGIL_DETECTION_NAME(id, name, help) name,
    VIGIL_DETECTIONS(VIGIL_DETECTION_NAME)
#undef VIGIL_DETECTION_NAME
};
static_assert(sizeof kDetectionNames / sizeof kDetectionNames[0] ==
              static_cast<std::size_t>(Detection::kCount));

constexpr const char* kVerdictNames[] = {"none", "attacker", "victim", "benign"};
constexpr const char* kEventNames[] = {"escalated", "verdict",  "released",
                                       "idle",      "overflow", "tamper"};
constexpr const char* kActionNames[] = {"alert", "rate_limit", "quarantine", "capture"};

}  // namespace

const char* verdict_name(Verdict v) {
  const auto i = static_cast<std::size_t>(v);
  return i < std::size(kVerdictNames) ? kVerdictNames[i] : "?";
}

bool parse_verdict(const std::string& name, Verdict* out) {
  for (std::size_t i = 0; i < std::size(kVerdictNames); ++i) {
    if (name == kVerdictNames[i]) {
      *out = static_cast<Verdict>(i);
      return true;
    }
  }
  return false;
}

const char* detection_name(Detection d) {
  const auto i = static_cast<std::size_t>(d);
  return i < std::size(kDetectionNames) ? kDetectionNames[i] : "?";
}

bool parse_detection(const std::string& name, Detection* out) {
  for (std::size_t i = 0; i < std::size(kDetectionNames); ++i) {
    if (name == kDetectionNames[i]) {
      *out = static_cast<Detection>(i);
      return true;
    }
  }
  return false;
}

const char* monitor_event_name(MonitorEventType t) {
  const auto i = static_cast<std::size_t>(t);
  return i < std::size(kEventNames) ? kEventNames[i] : "?";
}

const char* playbook_action_name(PlaybookAction a) {
  const auto i = static_cast<std::size_t>(a);
  return i < std::size(kActionNames) ? kActionNames[i] : "?";
}

bool parse_playbook_action(const std::string& name, PlaybookAction* out) {
  for (std::size_t i = 0; i < std::size(kActionNames); ++i) {
    if (name == kActionNames[i]) {
      *out = static_cast<PlaybookAction>(i);
      return true;
    }
  }
  return false;
}

}  // namespace vigil
