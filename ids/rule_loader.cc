// Rule files into rules and a load report (rule_loader.h).
#include "ids/rule_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "ids/rule_parser.h"
#include "ids/rule_syntax.h"

namespace vigil::ids {
namespace {

constexpr size_t kSamplesPerReason = 3;

using SeenSids = std::map<std::pair<uint32_t, uint32_t>, std::string>;  // (gid, sid) -> where

bool starts_with_action(std::string_view s) {
  for (std::string_view a :
       {"alert", "drop", "pass", "reject", "rejectsrc", "rejectdst", "rejectboth"}) {
    if (s.size() > a.size() && s.substr(0, a.size()) == a &&
        (s[a.size()] == ' ' || s[a.size()] == '\t')) {
      return true;
    }
  }
  return false;
}

void skip(LoadReport* report, const std::string& where, const RuleError& e) {
  ++report->skipped;
  uint32_t& n = report->skipped_by_reason[e.reason];
  if (++n <= kSamplesPerReason) {
    report->samples.push_back(where + ": " + e.reason + ": " + clip(e.detail, 200));
  }
}

void load_text(std::string_view text, const std::string& origin, const RuleVars& vars,
               const Classifications* classifications, LoadReport* report, SeenSids* seen,
               std::vector<Rule>* rules) {
  ++report->files;
  uint32_t line_no = 0;
  while (!text.empty()) {
    // One logical line: physical lines joined while they end with a backslash.
    std::string logical;
    const uint32_t first_line = line_no + 1;
    bool more = true;
    while (more && !text.empty()) {
      size_t nl = text.find('\n');
      std::string_view phys = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      ++line_no;
      while (!phys.empty() && (phys.back() == '\r' || phys.back() == ' ' || phys.back() == '\t')) {
        phys.remove_suffix(1);
      }
      more = !phys.empty() && phys.back() == '\\';
      if (more) phys.remove_suffix(1);
      logical.append(phys);
    }
    std::string_view s = trim(logical);
    if (s.empty()) continue;
    if (s.front() == '#') {
      size_t body = s.find_first_not_of('#');
      if (body != std::string_view::npos && starts_with_action(trim(s.substr(body)))) {
        ++report->disabled;
      }
      continue;
    }
    ++report->enabled;
    const std::string where = origin + ":" + std::to_string(first_line);
    Rule rule;
    RuleError err;
    if (!parse_rule(s, vars, classifications, &rule, &err)) {
      skip(report, where, err);
      continue;
    }
    auto [it, fresh] = seen->emplace(std::make_pair(rule.gid, rule.sid), where);
    if (!fresh) {
      skip(report, where,
           RuleError{"duplicate sid", std::to_string(rule.gid) + ":" + std::to_string(rule.sid) +
                                          " first loaded at " + it->second});
      continue;
    }
    rule.file = origin;
    rule.line = first_line;
    ++report->loaded;
    rules->push_back(std::move(rule));
  }
}

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0.
size_t utf8_length(std::string_view s) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(0);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  }
  if (n == 0 || s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
  }
  return n;
}

// JSON string with control characters escaped and invalid UTF-8 replaced by U+FFFD.
std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else {
      size_t n = utf8_length(s.substr(i));
      if (n > 0) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out += "\\ufffd";
        ++i;
      }
    }
  }
  return out + "\"";
}

std::vector<std::pair<std::string, uint32_t>> by_count(const std::map<std::string, uint32_t>& m) {
  std::vector<std::pair<std::string, uint32_t>> v(m.begin(), m.end());
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return v;
}

}  // namespace

std::vector<Rule> load_rules(const std::vector<std::string>& files, const RuleVars& vars,
                             const Classifications* classifications, LoadReport* report) {
  LoadReport local;
  if (!report) report = &local;
  SeenSids seen;
  std::vector<Rule> rules;
  for (const std::string& path : files) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      report->file_errors.push_back(path + ": is a directory");
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      report->file_errors.push_back(path + ": cannot open");
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
      report->file_errors.push_back(path + ": read error");
      continue;
    }
    load_text(text.str(), path, vars, classifications, report, &seen, &rules);
  }
  return rules;
}

std::vector<Rule> load_rules_text(std::string_view text, const std::string& origin,
                                  const RuleVars& vars, const Classifications* classifications,
                                  LoadReport* report) {
  LoadReport local;
  SeenSids seen;
  std::vector<Rule> rules;
  load_text(text, origin, vars, classifications, report ? report : &local, &seen, &rules);
  return rules;
}

std::string LoadReport::to_text() const {
  std::ostringstream o;
  o << "files: " << files << "\n"
    << "rules: " << enabled << " enabled, " << disabled << " disabled (commented out)\n"
    << "loaded: " << loaded << "\n"
    << "skipped: " << skipped << "\n";
  if (!skipped_by_reason.empty()) o << "skipped by reason:\n";
  for (const auto& [reason, n] : by_count(skipped_by_reason)) {
    o << "  " << n << "\t" << reason << "\n";
  }
  if (!samples.empty()) o << "samples:\n";
  for (const std::string& s : samples) o << "  " << s << "\n";
  if (!file_errors.empty()) o << "file errors:\n";
  for (const std::string& s : file_errors) o << "  " << s << "\n";
  return o.str();
}

std::string LoadReport::to_json() const {
  std::ostringstream o;
  o << "{\"files\":" << files << ",\"enabled\":" << enabled << ",\"disabled\":" << disabled
    << ",\"loaded\":" << loaded << ",\"skipped\":" << skipped << ",\"skipped_by_reason\":{";
  bool first = true;
  for (const auto& [reason, n] : by_count(skipped_by_reason)) {
    o << (first ? "" : ",") << json_string(reason) << ":" << n;
    first = false;
  }
  o << "},\"samples\":[";
  for (size_t i = 0; i < samples.size(); ++i) o << (i ? "," : "") << json_string(samples[i]);
  o << "],\"file_errors\":[";
  for (size_t i = 0; i < file_errors.size(); ++i) {
    o << (i ? "," : "") << json_string(file_errors[i]);
  }
  o << "]}\n";
  return o.str();
}

}  // namespace vigil::ids
