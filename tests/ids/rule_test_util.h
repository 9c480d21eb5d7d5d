// Helpers shared by the rule parser tests: parse a rule that must load, or one that must not.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "ids/classification.h"
#include "ids/rule_parser.h"

namespace vigil::ids::testing {

// Parses `line`; a failure is reported with the parser's reason and detail.
inline Rule parse_ok(const std::string& line, const Classifications* cls = nullptr,
                     const RuleVars& vars = RuleVars::defaults()) {
  Rule r;
  RuleError e;
  EXPECT_TRUE(parse_rule(line, vars, cls, &r, &e))
      << line << "\n  -> " << e.reason << ": " << e.detail;
  return r;
}

// A rule with these options and sid:1 appended.
inline Rule opts_ok(const std::string& options,
                    const std::string& header = "alert tcp any any -> any any") {
  return parse_ok(header + " (" + options + " sid:1;)");
}

// Parses `line`, which must fail; returns the error.
inline RuleError parse_bad(const std::string& line, const RuleVars& vars = RuleVars::defaults(),
                           const Classifications* cls = nullptr) {
  Rule r;
  RuleError e;
  EXPECT_FALSE(parse_rule(line, vars, cls, &r, &e)) << "accepted: " << line;
  EXPECT_FALSE(e.reason.empty()) << line;
  EXPECT_FALSE(e.detail.empty()) << line;
  return e;
}

inline std::string opts_reason(const std::string& options,
                               const std::string& header = "alert tcp any any -> any any") {
  return parse_bad(header + " (" + options + " sid:1;)").reason;
}

}  // namespace vigil::ids::testing
