// What the IDS keeps per flow, beside the flow's entry in its connection table (the same
// ConnTable class the firewall uses: lock-free lookup, per-entry spinlock, expiry by the control
// thread). IdsFlow lives in an array parallel to the table's entries; `generation` tells whether
// it still belongs to the connection now in that entry. Stream buffers come from a mempool on a
// flow's first payload and go back when the entry expires.
#pragma once

#include <cstdint>

#include "dataplane/drop_reason.h"
#include "ids/app_detect.h"
#include "ids/inspection.h"
#include "ids/stream_reassembly.h"

namespace vigil::ids {

struct IdsDirection {
  StreamState stream{};
  uint8_t* buf = nullptr;  // stream buffer (stream_buffer bytes), null until payload arrives
  uint64_t skip = 0;       // HTTP body bytes announced beyond the buffer, not inspected
  FiredRules fired{};
  uint32_t isn = 0;
  bool syn_seen = false;
  bool fin_seen = false;
  bool data_seen = false;
  bool header_checked = false;     // header-only rules ran on this direction's first packet
  bool http_head_pending = false;  // to_server: the last request was HEAD
  // A body larger than the buffer, after its inspected part was consumed: the rest of a chunked
  // body (chunk framing followed, data skipped), its trailers, or a body that runs to the end
  // of the stream. The next message starts after it.
  enum class BodySkip : uint8_t { kNone, kChunks, kTrailers, kToEnd };
  BodySkip body_skip = BodySkip::kNone;
};

struct IdsFlow {
  uint32_t generation = 0;  // the Conn generation this state belongs to
  IdsDirection dir[2];      // 0: data from the side that opened the flow (to_server)
  FlowBits bits{};
  AppProto app = AppProto::kUnknown;
  bool synack_seen = false;
  bool established = false;
  bool passed = false;    // a pass rule matched: no more inspection
  bool bypassed = false;  // encrypted (TLS application data, SSH after banners)
  bool tls_hello_done = false;
  DropReason dropped = DropReason::kNone;  // a drop/reject rule matched: drop the rest

  // Starts over for a new connection, keeping the stream buffers (they belong to the entry).
  void reset(uint32_t gen) {
    uint8_t* keep[2] = {dir[0].buf, dir[1].buf};
    *this = IdsFlow{};
    generation = gen;
    dir[0].buf = keep[0];
    dir[1].buf = keep[1];
  }
};

}  // namespace vigil::ids
