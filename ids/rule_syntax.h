// Lexical pieces of the Suricata rule language shared by the header, option and loader code:
// trimming, bracket-aware splitting, numbers, quoted strings, content bytes, numeric
// comparisons and the split of a rule body into `name[:value];` options.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "ids/rule.h"

namespace vigil::ids {

std::string_view trim(std::string_view s);

// Splits `s` at `sep` where it is outside [...] brackets. False (with *error) on unbalanced
// brackets. Pieces are trimmed.
bool split_top_level(std::string_view s, char sep, std::vector<std::string_view>* out,
                     std::string* error);

// Splits at every `sep`, trimming each piece (no bracket awareness).
std::vector<std::string_view> split_trimmed(std::string_view s, char sep);

// Decimal numbers, surrounding whitespace allowed, nothing else; overflow is an error.
bool parse_u32(std::string_view s, uint32_t* out);
bool parse_i32(std::string_view s, int32_t* out);  // an optional leading '-'

// A double-quoted string (surrounding whitespace allowed); \" \; \\ \: stand for the character,
// any other backslash is kept as written (Suricata's msg is that lenient).
bool parse_quoted(std::string_view s, std::string* out, std::string* error);

// The text between a content's quotes: |hex| blocks (spaces allowed inside) and the escapes
// \" \; \\ \:. An unescaped '"', a bad escape, odd hex or an unclosed '|' is an error.
bool decode_content(std::string_view s, std::string* out, std::string* error);

// "N", "<N", ">N", "<=N", ">=N", "!N", "N<>M" (lo < hi), "N-M" (lo <= hi); values <= max.
bool parse_num_check(std::string_view s, uint32_t max, NumCheck* out, std::string* error);

// One `name[:value]` option of a rule body, views into the body.
struct RawOption {
  std::string_view name;
  std::string_view value;  // trimmed; empty when !has_value
  bool has_value = false;
};

// Splits the text between a rule's parentheses into options. Values end at a ';' outside
// double quotes (or, when a value's quotes do not pair up, at the first ';' as Suricata does);
// a backslash escapes the next character. The final ';' may be missing.
bool split_options(std::string_view body, std::vector<RawOption>* out, std::string* error);

// Concatenation; used instead of `"literal" + std::string`, on which GCC 12 reports a false
// -Wrestrict.
std::string cat(std::initializer_list<std::string_view> parts);

// `s` cut to at most `max` bytes (with "..." when cut), for error details.
std::string clip(std::string_view s, size_t max = 120);

}  // namespace vigil::ids
