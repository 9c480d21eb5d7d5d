// Conversion between the config's YAML nodes and the control API's JSON: policies and VMs travel
// in the config's YAML shape (PROTOCOL.md), and the service writes the config back as YAML text.
#pragma once

#include <yaml-cpp/yaml.h>

#include <stdexcept>
#include <string>

#include "control/control_types.h"

namespace vigil::control {

// Deeper JSON or YAML is refused: the conversions recurse, and no config needs more.
inline constexpr int kMaxNesting = 32;

// YAML scalars have no types; a plain (unquoted) one that reads as a whole number becomes a JSON
// number, true/false a boolean, ~/null a null; everything else (and every quoted scalar) is a
// string. Throws std::invalid_argument past kMaxNesting.
Json yaml_to_json(const YAML::Node& node);

// Numbers and booleans become plain scalars ("80", "true"), null a null node. Whether the result
// is a valid config is for parse_config to say. Throws std::invalid_argument past kMaxNesting.
YAML::Node json_to_yaml(const Json& value);

// `node` as block-style YAML text; the flow style of a loaded file (`[a, b]`) is not kept, so
// equal documents give equal text.
std::string emit_yaml(const YAML::Node& node);

// emit_yaml of `node` with every mapping's keys sorted: equal for documents that differ only in
// key order (which the config never depends on), e.g. a policy that went through JSON.
std::string canonical_yaml(const YAML::Node& node);

}  // namespace vigil::control
