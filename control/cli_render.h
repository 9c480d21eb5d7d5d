// vigilctl's human-readable output: aligned tables for lists (tenants, VMs, ports, drops,
// flows, captures, rules) and "key: value" lines for objects. --json bypasses all of this.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "control/control_types.h"

namespace vigil::control::cli {

// Columns separated by two spaces, padded to the widest cell; numeric columns right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> headers, std::vector<bool> numeric = {});
  void add(std::vector<std::string> row);
  size_t rows() const { return rows_.size(); }
  void print(std::ostream& out, const std::string& indent = "") const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> numeric_;
  std::vector<std::vector<std::string>> rows_;
};

// A scalar as a table cell: strings bare, booleans yes/no, null "-", lists of scalars joined
// with ", " ("-" when empty), anything else compact JSON.
std::string cell(const Json& value);

// Any result: an object as "key: value" lines (nested objects indented), a list of objects as
// a table, a scalar on its own line; an empty object prints nothing.
void render_value(const Json& value, std::ostream& out);

// The result of `command` (sent with `args`) for people.
void render(const std::string& command, const Json& args, const Json& result, std::ostream& out);

}  // namespace vigil::control::cli
