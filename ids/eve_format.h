// EVE JSON formatting: turns an AlertRecord into one line compatible with Suricata's eve.json
// alert records, plus vigil's own "vigil" object (tenant, port). Runs on the writer thread, off
// the fast path; never reads past a record's fields nor writes past the output buffer.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ids/eve_record.h"

namespace vigil::ids {

// Enough for any record: every text field escaped at its worst (6 bytes per byte) and the rest.
inline constexpr size_t kEveLineMax = 8192;

// Writes `rec` as one line of JSON ending in '\n' (no NUL) into out[0, cap). Returns the
// line's length, or 0 when it does not fit, the kind is not an alert or the address family is
// neither 4 nor 6 (the record cannot be written).
size_t format_alert(const AlertRecord& rec, char* out, size_t cap);

// Formats any record according to its kind (today only alerts); 0 when it cannot.
size_t format_event(const AlertRecord& rec, char* out, size_t cap);

// Suricata's name for an IP protocol ("TCP", "UDP", "ICMP", "IPv6-ICMP", "SCTP", ...), or
// nullptr when it has none (Suricata then writes the number on three digits, e.g. "047").
const char* eve_proto_name(uint8_t proto);

// "2026-11-28T16:53:43.123456+0000" (UTC) into out, which must hold 32 bytes; returns the
// length (31), or 0 when the time cannot be represented.
size_t format_eve_timestamp(uint64_t time_us, char* out);

}  // namespace vigil::ids
