// JSON <-> YAML::Node conversion and the service's YAML emitter (yaml_json.h).
#include "control/yaml_json.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace vigil::control {
namespace {

void check_depth(int depth) {
  if (depth > kMaxNesting) {
    throw std::invalid_argument("nested deeper than " + std::to_string(kMaxNesting) + " levels");
  }
}

// A plain scalar that reads as a whole number fitting int64 (YAML's own int syntax, decimal only).
bool whole_number(const std::string& s, int64_t* value) {
  const std::size_t digits = s.size() - (s[0] == '-' ? 1 : 0);
  if (digits == 0 || digits > 18) return false;
  if (!std::all_of(s.begin() + (s[0] == '-' ? 1 : 0), s.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return false;
  }
  // "007" stays a string: it would not come back the same.
  if (digits > 1 && s[s.size() - digits] == '0') return false;
  *value = std::stoll(s);
  return true;
}

Json scalar_to_json(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted: a string whatever it looks like
  if (s.empty()) return s;
  if (s == "true") return true;
  if (s == "false") return false;
  int64_t n;
  if (whole_number(s, &n)) return n;
  return s;
}

Json to_json(const YAML::Node& node, int depth) {
  check_depth(depth);
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const YAML::Node& item : node) out.push_back(to_json(item, depth + 1));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) out[kv.first.Scalar()] = to_json(kv.second, depth + 1);
      return out;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return nullptr;
}

YAML::Node to_yaml(const Json& value, int depth) {
  check_depth(depth);
  switch (value.type()) {
    case Json::value_t::object: {
      YAML::Node out(YAML::NodeType::Map);
      for (const auto& [key, item] : value.items()) out[key] = to_yaml(item, depth + 1);
      return out;
    }
    case Json::value_t::array: {
      YAML::Node out(YAML::NodeType::Sequence);
      for (const Json& item : value) out.push_back(to_yaml(item, depth + 1));
      return out;
    }
    case Json::value_t::string:
      return YAML::Node(value.get<std::string>());
    case Json::value_t::boolean:
      return YAML::Node(std::string(value.get<bool>() ? "true" : "false"));
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return YAML::Node(value.dump());
    case Json::value_t::null:
    case Json::value_t::binary:
    case Json::value_t::discarded:
      break;
  }
  return YAML::Node(YAML::NodeType::Null);
}

void set_block_style(YAML::Node node, int depth) {
  check_depth(depth);
  if (node.IsMap()) {
    node.SetStyle(YAML::EmitterStyle::Block);
    for (auto kv : node) set_block_style(kv.second, depth + 1);
  } else if (node.IsSequence()) {
    node.SetStyle(YAML::EmitterStyle::Block);
    for (auto item : node) set_block_style(item, depth + 1);
  }
}

YAML::Node sorted(const YAML::Node& node, int depth) {
  check_depth(depth);
  if (node.IsMap()) {
    std::map<std::string, YAML::Node> items;
    for (const auto& kv : node) items.emplace(kv.first.Scalar(), kv.second);
    YAML::Node out(YAML::NodeType::Map);
    for (const auto& [key, value] : items) out[key] = sorted(value, depth + 1);
    return out;
  }
  if (node.IsSequence()) {
    YAML::Node out(YAML::NodeType::Sequence);
    for (const YAML::Node& item : node) out.push_back(sorted(item, depth + 1));
    return out;
  }
  return YAML::Clone(node);
}

}  // namespace

Json yaml_to_json(const YAML::Node& node) {
  return to_json(node, 0);
}

YAML::Node json_to_yaml(const Json& value) {
  return to_yaml(value, 0);
}

std::string emit_yaml(const YAML::Node& node) {
  // Styles are set on a copy: the caller's node (often the running document) stays as it is.
  YAML::Node copy = YAML::Clone(node);
  set_block_style(copy, 0);
  YAML::Emitter out;
  out << copy;
  std::string text = out.c_str();
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

std::string canonical_yaml(const YAML::Node& node) {
  return emit_yaml(sorted(node, 0));
}

}  // namespace vigil::control
