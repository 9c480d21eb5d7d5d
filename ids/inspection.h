// What the detection engine looks at in one inspection: a packet, a stretch of reassembled TCP
// stream, or one app-layer transaction (an HTTP request, a DNS query, a TLS ClientHello).
// Filled by the IDS stage (ids_stage.h) with views into the packet, the flow's stream buffer or
// the app-layer parser's output; plain data, nothing owned.
#pragma once

#include <cstdint>

#include "ids/rule.h"

namespace vigil::ids {

struct BufferView {
  const uint8_t* data = nullptr;
  uint32_t len = 0;
  bool present = false;  // an absent buffer never matches, an empty present one may (bsize:0)
  uint64_t base = 0;     // stream offset of data[0]: absolute offset/depth count from the start
};

enum class AppKind : uint8_t { kNone, kHttp, kDns, kTls };

// Flowbits of one flow: the few bit ids it holds (an engine maps names to ids).
struct FlowBits {
  static constexpr uint8_t kMax = 16;
  uint16_t ids[kMax];
  uint8_t count = 0;
  uint32_t engine_generation = 0;  // ids belong to this engine; another engine starts empty
  bool overflow = false;           // a set did not fit (counted by the stage)
  bool has(uint16_t id) const {
    for (uint8_t i = 0; i < count; ++i) {
      if (ids[i] == id) return true;
    }
    return false;
  }
  void set(uint16_t id) {
    if (has(id)) return;
    if (count == kMax) {
      overflow = true;
      return;
    }
    ids[count++] = id;
  }
  void unset(uint16_t id) {
    for (uint8_t i = 0; i < count; ++i) {
      if (ids[i] == id) {
        ids[i] = ids[--count];
        return;
      }
    }
  }
};

// Stream rules a flow direction already alerted on (a stream is rescanned as it grows).
struct FiredRules {
  static constexpr uint8_t kMax = 8;
  uint32_t rules[kMax];
  uint8_t count = 0;
  uint32_t engine_generation = 0;
  bool has(uint32_t r) const {
    for (uint8_t i = 0; i < count; ++i) {
      if (rules[i] == r) return true;
    }
    return false;
  }
  bool add(uint32_t r) {  // false when full (the rule may then alert again)
    if (count == kMax) return false;
    rules[count++] = r;
    return true;
  }
};

struct Inspection {
  BufferView buffers[kBufferCount];
  uint8_t family = 4;            // 4 or 6
  const uint8_t* src = nullptr;  // packet's source address (4 or 16 bytes)
  const uint8_t* dst = nullptr;
  uint16_t sport = 0, dport = 0;
  uint8_t ip_proto = 0;
  AppKind app = AppKind::kNone;
  bool to_server = true;  // sent by the side that opened the flow
  bool established = false;
  bool stream = false;             // the payload buffer is reassembled stream data
  bool first_in_direction = true;  // the flow's first packet this way: header-only rules run
  bool has_tcp = false;
  uint8_t tcp_flags = 0;
  bool has_icmp = false;
  uint8_t icmp_type = 0, icmp_code = 0;
  uint32_t dsize = 0;            // this packet's L4 payload length
  FlowBits* flowbits = nullptr;  // null: no flow (flowbits checks fail, sets are lost)
  FiredRules* fired = nullptr;   // this flow direction's, for stream rules; null: no flow
  uint64_t time_us = 0;
  uint16_t tenant = 0;

  void set_buffer(Buffer b, const uint8_t* data, uint32_t len, uint64_t base = 0) {
    buffers[static_cast<size_t>(b)] = BufferView{data, len, true, base};
  }
  const BufferView& buffer(Buffer b) const { return buffers[static_cast<size_t>(b)]; }
};

}  // namespace vigil::ids
