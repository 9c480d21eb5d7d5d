// Lexical helpers of the rule language (rule_syntax.h).
#include "ids/rule_syntax.h"

#include <algorithm>
#include <limits>

namespace vigil::ids {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_content_escape(char c) {
  return c == '"' || c == ';' || c == '\\' || c == ':';
}

bool is_option_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// Where the value starting at `i` ends: the first ';' not escaped (and, with `quotes`, not
// inside double quotes), or the end of the body; npos for an unterminated quote.
size_t value_end(std::string_view body, size_t i, bool quotes) {
  bool quoted = false;
  while (i < body.size() && (quoted || body[i] != ';')) {
    if (body[i] == '\\') {
      ++i;  // the escaped character is skipped below
    } else if (quotes && body[i] == '"') {
      quoted = !quoted;
    }
    if (i < body.size()) ++i;
  }
  return quoted ? std::string_view::npos : std::min(i, body.size());
}

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool split_top_level(std::string_view s, char sep, std::vector<std::string_view>* out,
                     std::string* error) {
  out->clear();
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '[') {
      ++depth;
    } else if (s[i] == ']') {
      if (--depth < 0) {
        *error = "unbalanced ']'";
        return false;
      }
    } else if (s[i] == sep && depth == 0) {
      out->push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (depth != 0) {
    *error = "unbalanced '['";
    return false;
  }
  out->push_back(trim(s.substr(start)));
  return true;
}

std::vector<std::string_view> split_trimmed(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

bool parse_u32(std::string_view s, uint32_t* out) {
  s = trim(s);
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > std::numeric_limits<uint32_t>::max()) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool parse_i32(std::string_view s, int32_t* out) {
  s = trim(s);
  bool neg = !s.empty() && s.front() == '-';
  if (neg) s.remove_prefix(1);
  uint32_t v = 0;
  if (s.empty() || (s.front() < '0' || s.front() > '9') || !parse_u32(s, &v)) return false;
  const uint32_t limit = neg ? 2147483648u : 2147483647u;
  if (v > limit) return false;
  *out = neg ? static_cast<int32_t>(-static_cast<int64_t>(v)) : static_cast<int32_t>(v);
  return true;
}

bool parse_quoted(std::string_view s, std::string* out, std::string* error) {
  s = trim(s);
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') {
    *error = "expected a double-quoted string";
    return false;
  }
  s = s.substr(1, s.size() - 2);
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      char n = s[++i];
      if (!is_content_escape(n)) out->push_back('\\');
      out->push_back(n);
    } else if (c == '"' || c == '\\') {
      *error = "unescaped '\"' or trailing '\\' inside the string";
      return false;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool decode_content(std::string_view s, std::string* out, std::string* error) {
  out->clear();
  bool hex = false;
  int high = -1;  // first nibble of a pending hex byte
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (hex) {
      if (c == '|') {
        if (high >= 0) {
          *error = "odd number of hex digits in |...|";
          return false;
        }
        hex = false;
      } else if (is_space(c)) {
        continue;
      } else {
        int v = hex_value(c);
        if (v < 0) {
          *error = std::string("bad hex digit '") + c + "' in |...|";
          return false;
        }
        if (high < 0) {
          high = v;
        } else {
          out->push_back(static_cast<char>(high << 4 | v));
          high = -1;
        }
      }
    } else if (c == '|') {
      hex = true;
    } else if (c == '\\') {
      if (i + 1 >= s.size() || !is_content_escape(s[i + 1])) {
        *error = "bad escape (only \\\" \\; \\\\ \\: are allowed)";
        return false;
      }
      out->push_back(s[++i]);
    } else if (c == '"') {
      *error = "unescaped '\"'";
      return false;
    } else {
      out->push_back(c);
    }
  }
  if (hex) {
    *error = "unclosed |...| hex block";
    return false;
  }
  return true;
}

bool parse_num_check(std::string_view s, uint32_t max, NumCheck* out, std::string* error) {
  s = trim(s);
  NumCheck c;
  auto number = [&](std::string_view t, uint32_t* v) {
    if (!parse_u32(t, v)) {
      *error = cat({"'", std::string(trim(t)), "' is not a number"});
      return false;
    }
    if (*v > max) {
      *error = std::to_string(*v) + " is above the maximum " + std::to_string(max);
      return false;
    }
    return true;
  };
  struct Prefix {
    std::string_view text;
    NumCheck::Op op;
  };
  static constexpr Prefix kPrefixes[] = {{"<=", NumCheck::kLe}, {">=", NumCheck::kGe},
                                         {"<", NumCheck::kLt},  {">", NumCheck::kGt},
                                         {"!", NumCheck::kNe},  {"=", NumCheck::kEq}};
  for (const Prefix& p : kPrefixes) {
    if (s.substr(0, p.text.size()) == p.text) {
      c.op = p.op;
      if (!number(s.substr(p.text.size()), &c.lo)) return false;
      *out = c;
      return true;
    }
  }
  size_t between = s.find("<>");
  size_t dash = s.find('-');
  if (between != std::string_view::npos || dash != std::string_view::npos) {
    bool is_between = between != std::string_view::npos;
    size_t at = is_between ? between : dash;
    c.op = is_between ? NumCheck::kBetween : NumCheck::kRange;
    if (!number(s.substr(0, at), &c.lo) || !number(s.substr(at + (is_between ? 2 : 1)), &c.hi)) {
      return false;
    }
    if (is_between ? c.lo >= c.hi : c.lo > c.hi) {
      *error = cat({"empty range '", std::string(s), "'"});
      return false;
    }
    *out = c;
    return true;
  }
  c.op = NumCheck::kEq;
  if (!number(s, &c.lo)) return false;
  *out = c;
  return true;
}

bool split_options(std::string_view body, std::vector<RawOption>* out, std::string* error) {
  out->clear();
  size_t i = 0;
  while (true) {
    while (i < body.size() && is_space(body[i])) ++i;
    if (i >= body.size()) return true;
    size_t name_start = i;
    while (i < body.size() && body[i] != ':' && body[i] != ';') ++i;
    RawOption opt;
    opt.name = trim(body.substr(name_start, i - name_start));
    if (opt.name.empty()) {
      *error = cat({"empty option name at offset ", std::to_string(name_start)});
      return false;
    }
    for (char c : opt.name) {
      if (!is_option_name_char(c)) {
        *error = cat({"bad option name '", clip(opt.name, 40), "'"});
        return false;
      }
    }
    if (i < body.size() && body[i] == ':') {
      size_t value_start = ++i;
      i = value_end(body, value_start, true);
      // An odd quote (pcre:"/["']/") would swallow the rest of the rule: then the value ends at
      // the first unescaped ';', as in Suricata.
      if (i == std::string_view::npos) i = value_end(body, value_start, false);
      opt.has_value = true;
      opt.value = trim(body.substr(value_start, i - value_start));
    }
    out->push_back(opt);
    if (i < body.size()) ++i;  // the ';'
  }
}

std::string cat(std::initializer_list<std::string_view> parts) {
  size_t n = 0;
  for (std::string_view p : parts) n += p.size();
  std::string out;
  out.reserve(n);
  for (std::string_view p : parts) out.append(p);
  return out;
}

std::string clip(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "...";
}

}  // namespace vigil::ids
