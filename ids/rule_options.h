// Internal to the rule parser: the state carried from option to option while a rule body is
// read, and the option handlers. rule_options.cc dispatches and handles meta/flow options;
// rule_match_options.cc handles contents, their modifiers, pcre and buffers.
#pragma once

#include <string>
#include <string_view>

#include "ids/classification.h"
#include "ids/rule.h"
#include "ids/rule_parser.h"
#include "ids/rule_syntax.h"

namespace vigil::ids {

struct OptionContext {
  Rule* rule = nullptr;
  const Classifications* classifications = nullptr;
  Buffer sticky = Buffer::kPayload;  // set by sticky buffer keywords, reset by pkt_data
  int last_content = -1;             // index in rule->items of the latest content
  int last_match = -1;               // latest content or pcre (relative keywords follow it)
  bool has_sid = false, has_rev = false, has_gid = false, has_msg = false;
  bool has_classtype = false, has_priority = false, has_fast_pattern = false;
};

// Fills *err with reason and a detail naming the option.
bool option_error(RuleError* err, std::string reason, const RawOption& opt, std::string why);

// "bad option syntax" unless the option has a non-empty value / has no value at all.
bool need_value(const RawOption& opt, RuleError* err);
bool no_value(const RawOption& opt, RuleError* err);

// Applies one option to ctx.rule.
bool apply_option(OptionContext& ctx, const RawOption& opt, RuleError* err);

// Content/pcre/buffer family (rule_match_options.cc). Each returns false when `opt.name` is
// handled and bad; *handled says whether the name belongs to this family.
bool apply_match_option(OptionContext& ctx, const RawOption& opt, bool* handled, RuleError* err);

}  // namespace vigil::ids
