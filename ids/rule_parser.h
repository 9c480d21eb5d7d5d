// The Suricata rule parser: one rule line (continuations already joined) into a Rule, or a
// categorical reason why it is not loaded.
#pragma once

#include <string>
#include <string_view>

#include "ids/classification.h"
#include "ids/rule.h"
#include "ids/rule_vars.h"

namespace vigil::ids {

struct RuleError {
  // Categorical, for grouping in load reports: "unsupported keyword: byte_test",
  // "unsupported protocol: smtp", "unsupported transform: dotprefix", "bad content",
  // "bad content modifier", "bad address", "bad option syntax", "missing sid", ...
  std::string reason;
  // Exactly what and where: the option, its value, the rule text involved.
  std::string detail;
};

// Parses `line`. `classifications` may be null or empty (then classtype gives no category or
// priority, and any classtype is accepted); otherwise an unknown classtype skips the rule, as in
// Suricata. On failure returns false with *err filled and *out
// unspecified. rule.file / rule.line are left for the caller.
bool parse_rule(std::string_view line, const RuleVars& vars, const Classifications* classifications,
                Rule* out, RuleError* err);

}  // namespace vigil::ids
