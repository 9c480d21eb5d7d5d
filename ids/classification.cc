// classification.config parsing (classification.h).
#include "ids/classification.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ids/rule_syntax.h"

namespace vigil::ids {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool valid_name(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

size_t Classifications::parse(std::string_view text, const std::string& origin,
                              std::vector<std::string>* errors) {
  size_t added = 0;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    auto bad = [&](const std::string& why) {
      if (errors) errors->push_back(origin + ":" + std::to_string(line_no) + ": " + why);
    };
    constexpr std::string_view kPrefix = "config classification:";
    if (line.substr(0, kPrefix.size()) != kPrefix) {
      bad("not a 'config classification:' line");
      continue;
    }
    std::string_view rest = trim(line.substr(kPrefix.size()));
    // The description may hold commas: the name ends at the first, the priority follows the last.
    size_t first = rest.find(','), last = rest.rfind(',');
    if (first == std::string_view::npos || first == last) {
      bad("expected shortname,description,priority");
      continue;
    }
    std::string_view name = trim(rest.substr(0, first));
    std::string_view desc = trim(rest.substr(first + 1, last - first - 1));
    uint32_t prio = 0;
    if (!valid_name(name)) {
      bad(cat({"bad short name '", clip(name, 40), "'"}));
      continue;
    }
    if (!parse_u32(rest.substr(last + 1), &prio) || prio < 1 || prio > 255) {
      bad(cat({"bad priority '", clip(trim(rest.substr(last + 1)), 40), "' (1..255)"}));
      continue;
    }
    std::string key = lower(name);
    if (by_name_.count(key)) {
      bad(cat({"duplicate classification '", key, "' (the first is kept)"}));
      continue;
    }
    by_name_[key] = Classification{std::string(desc), static_cast<uint8_t>(prio)};
    ++added;
  }
  return added;
}

bool Classifications::load_file(const std::string& path, std::vector<std::string>* errors) {
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  if (std::filesystem::is_directory(path, ec) || !in) {
    if (errors) errors->push_back(path + ": cannot open");
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  parse(text.str(), path, errors);
  return true;
}

const Classification* Classifications::find(std::string_view name) const {
  auto it = by_name_.find(lower(name));
  return it == by_name_.end() ? nullptr : &it->second;
}

}  // namespace vigil::ids
