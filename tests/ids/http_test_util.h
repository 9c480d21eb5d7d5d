// Helpers shared by the HTTP parser tests: string <-> byte views and view bounds checks.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "ids/http_parser.h"

namespace vigil::ids::test {

inline const uint8_t* bytes(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}
inline uint32_t size32(const std::string& s) {
  return static_cast<uint32_t>(s.size());
}
inline std::string str(HttpView v) {
  return std::string(v.str());
}

// A view must be empty or lie inside [data, data+len) or inside the output struct.
inline bool view_inside(HttpView v, const uint8_t* data, uint32_t len, const void* obj,
                        size_t obj_size) {
  if (v.len == 0) return true;
  const uint8_t* o = static_cast<const uint8_t*>(obj);
  const bool in_data = v.ptr >= data && v.ptr + v.len <= data + len;
  const bool in_obj = v.ptr >= o && v.ptr + v.len <= o + obj_size;
  return in_data || in_obj;
}

// The parsers return views into their input: a temporary input is kept here until the next
// call, so a test can write parse_req("GET / ...", r) and then look at r's views.
inline const std::string& keep(std::string&& s) {
  static std::string kept;
  kept = std::move(s);
  return kept;
}

inline HttpParse parse_req(const std::string& s, HttpRequest& r) {
  return parse_http_request(bytes(s), size32(s), r);
}
inline HttpParse parse_req(std::string&& s, HttpRequest& r) {
  return parse_req(keep(std::move(s)), r);
}
inline HttpParse parse_resp(const std::string& s, HttpResponse& r, HttpResponseContext ctx = {}) {
  return parse_http_response(bytes(s), size32(s), r, ctx);
}
inline HttpParse parse_resp(std::string&& s, HttpResponse& r, HttpResponseContext ctx = {}) {
  return parse_resp(keep(std::move(s)), r, ctx);
}

}  // namespace vigil::ids::test
