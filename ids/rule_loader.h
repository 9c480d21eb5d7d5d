// Loading rule files: continuation lines joined, comments and disabled rules counted, each rule
// parsed, duplicates dropped, and a report of what loaded and why the rest did not.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ids/classification.h"
#include "ids/rule.h"
#include "ids/rule_vars.h"

namespace vigil::ids {

struct LoadReport {
  uint32_t files = 0;
  uint32_t enabled = 0;              // non-comment rule lines (after joining continuations)
  uint32_t disabled = 0;             // commented-out rules ("# alert ...")
  uint32_t loaded = 0, skipped = 0;  // loaded + skipped == enabled
  std::map<std::string, uint32_t> skipped_by_reason;
  std::vector<std::string> samples;  // first few "file:line: reason: detail" per reason
  std::vector<std::string> file_errors;

  std::string to_text() const;
  std::string to_json() const;
};

// Loads every file in order; a (gid, sid) seen before is skipped as "duplicate sid". A file that
// cannot be read is a file_error. `classifications` may be null. `report` may be null.
std::vector<Rule> load_rules(const std::vector<std::string>& files, const RuleVars& vars,
                             const Classifications* classifications, LoadReport* report);

// The same for text in memory; `origin` names it in rule.file and the report (one file).
std::vector<Rule> load_rules_text(std::string_view text, const std::string& origin,
                                  const RuleVars& vars, const Classifications* classifications,
                                  LoadReport* report);

}  // namespace vigil::ids
