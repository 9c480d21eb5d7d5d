// Byte-pattern search for rule confirmation: the first occurrence of a pattern in a window of a
// buffer, case-sensitive or ASCII-case-insensitive (nocase). Hyperscan finds candidates; these
// confirm a rule's contents with their exact positions, where relative modifiers need them.
#pragma once

#include <cstdint>
#include <cstring>

namespace vigil::ids {

inline uint8_t ascii_lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

// Position of the first occurrence of pat[0..plen) that starts at or after `from` and ends at or
// before `to` (to <= len), or -1.
inline int64_t find_pattern(const uint8_t* buf, uint32_t to, uint32_t from, const uint8_t* pat,
                            uint32_t plen, bool nocase) {
  if (plen == 0 || from > to || to - from < plen) return -1;
  if (!nocase) {
    const void* hit = memmem(buf + from, to - from, pat, plen);
    return hit == nullptr ? -1 : static_cast<const uint8_t*>(hit) - buf;
  }
  const uint8_t first = ascii_lower(pat[0]);
  for (uint32_t i = from; i + plen <= to; ++i) {
    if (ascii_lower(buf[i]) != first) continue;
    uint32_t k = 1;
    while (k < plen && ascii_lower(buf[i + k]) == ascii_lower(pat[k])) ++k;
    if (k == plen) return i;
  }
  return -1;
}

}  // namespace vigil::ids
