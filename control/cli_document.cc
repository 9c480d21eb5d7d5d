// YAML/JSON documents for vigilctl: JSON parsed by nlohmann::json, YAML by yaml-cpp and then
// converted node by node (see cli_document.h for the typing of scalars).
#include "control/cli_document.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

namespace vigil::control::cli {
namespace {

constexpr size_t kMaxFileBytes = 64u << 20;
constexpr int kMaxDepth = 128;  // deeper nesting is refused, not followed down the stack

class ConvertError : public std::runtime_error {
 public:
  ConvertError(const YAML::Mark& mark, const std::string& what)
      : std::runtime_error(what), mark(mark) {}
  YAML::Mark mark;
};

// A plain (unquoted) scalar, typed as YAML 1.2's core schema does.
Json plain_scalar(const std::string& s) {
  static const std::regex kNull("~|null|Null|NULL|");
  static const std::regex kTrue("true|True|TRUE");
  static const std::regex kFalse("false|False|FALSE");
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (std::regex_match(s, kNull)) return nullptr;
  if (std::regex_match(s, kTrue)) return true;
  if (std::regex_match(s, kFalse)) return false;
  if (std::regex_match(s, kInt)) {
    errno = 0;
    char* end = nullptr;
    if (s[0] == '-') {
      const long long v = std::strtoll(s.c_str(), &end, 10);
      if (errno == 0) return v;
    } else {
      const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
      if (errno == 0) return v;
    }
    return s;  // out of 64-bit range: keep the digits rather than lose them
  }
  if (std::regex_match(s, kFloat)) return std::strtod(s.c_str(), nullptr);
  return s;
}

Json convert(const YAML::Node& node, int depth) {
  if (depth > kMaxDepth) throw ConvertError(node.Mark(), "nested too deeply");
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      // yaml-cpp tags a quoted scalar "!" and a plain one "?": quotes (or !!str) make a string.
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return node.Scalar();
      return plain_scalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(convert(item, depth + 1));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) throw ConvertError(kv.first.Mark(), "a key must be a scalar");
        const std::string key = kv.first.Scalar();
        if (out.contains(key)) throw ConvertError(kv.first.Mark(), "duplicate key '" + key + "'");
        out[key] = convert(kv.second, depth + 1);
      }
      return out;
    }
  }
  return nullptr;
}

std::string where(const std::string& origin, const YAML::Mark& mark) {
  if (mark.is_null()) return origin;
  return origin + ": line " + std::to_string(mark.line + 1) + ", column " +
         std::to_string(mark.column + 1);
}

bool looks_like_json(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string::npos && (text[first] == '{' || text[first] == '[');
}

}  // namespace

bool parse_document(const std::string& text, const std::string& origin, Json* out,
                    std::string* error) {
  // JSON first: exact numbers and strings; a YAML flow mapping such as {action: allow} is not
  // JSON and falls through to yaml-cpp.
  if (looks_like_json(text)) {
    Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) {
      *out = std::move(parsed);
      return true;
    }
  }
  try {
    const YAML::Node root = YAML::Load(text);
    *out = convert(root, 0);
    return true;
  } catch (const ConvertError& e) {
    *error = where(origin, e.mark) + ": " + e.what();
  } catch (const YAML::Exception& e) {
    *error = where(origin, e.mark) + ": " + e.msg;
  } catch (const std::exception& e) {
    *error = origin + ": " + e.what();
  }
  return false;
}

bool read_document_file(const std::string& path, Json* out, std::string* error) {
  if (path == "-") return read_document_stream(std::cin, "stdin", out, error);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    *error = "cannot read " + path + ": it is a directory";
    return false;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    *error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  return read_document_stream(file, path, out, error);
}

bool read_document_stream(std::istream& in, const std::string& path, Json* out,
                          std::string* error) {
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes) {
      *error = "cannot read " + path + ": larger than 64 MiB";
      return false;
    }
  }
  if (in.bad()) {
    *error = "cannot read " + path + ": read error";
    return false;
  }
  return parse_document(text, path, out, error);
}

}  // namespace vigil::control::cli
