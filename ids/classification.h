// classification.config: `config classification: shortname,description,priority` lines, looked
// up by a rule's classtype for its category (EVE "category") and default priority.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::ids {

struct Classification {
  std::string description;
  uint8_t priority = 3;
};

class Classifications {
 public:
  // Adds the classifications in `text`. Comments and blank lines are skipped; a bad or
  // duplicate line is described in *errors ("origin:line: why") and skipped, never fatal.
  // Returns how many were added.
  size_t parse(std::string_view text, const std::string& origin, std::vector<std::string>* errors);
  // Reads a file; false (and a line in *errors) when it cannot be read.
  bool load_file(const std::string& path, std::vector<std::string>* errors);

  // By short name; case-insensitive (Suricata lowercases classtypes). Null when unknown.
  const Classification* find(std::string_view name) const;
  size_t size() const { return by_name_.size(); }

 private:
  std::map<std::string, Classification, std::less<>> by_name_;  // lowercased names
};

}  // namespace vigil::ids
