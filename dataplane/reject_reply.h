// What a `reject` verdict sends back to the sender of the rejected frame: a TCP RST for TCP
// (RFC 9293 reset generation), otherwise an ICMP/ICMPv6 "administratively prohibited"
// unreachable quoting it. Nothing for frames a reply must never answer: to a multicast or
// broadcast MAC, non-first fragments, ICMP errors and ICMPv6 non-echo messages, TCP RSTs.
// Pure function over bytes, unit-tested without DPDK.
#pragma once

#include <cstdint>

#include "dataplane/packet_meta.h"

namespace vigil {

inline constexpr uint32_t kRejectReplyMax = 14 + 40 + 8 + 1232;

// Writes the untagged reply frame to `out` (kRejectReplyMax bytes) and returns its length, or
// 0 when no reply is due. `frame`/`len`: the rejected frame as received, `m` its parse.
uint32_t build_reject_reply(const uint8_t* frame, uint32_t len, const PacketMeta& m, uint8_t* out);

}  // namespace vigil
