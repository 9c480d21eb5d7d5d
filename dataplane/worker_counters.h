// Counters one worker keeps. Only its worker writes them; the control thread reads snapshots
// (plain 64-bit loads, which are atomic on x86-64), so the fast path never locks.
#pragma once

#include <cstdint>

#include "dataplane/drop_reason.h"

namespace vigil {

inline constexpr uint16_t kMaxPorts = 64;

struct PortCounters {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_dropped = 0;
};

struct alignas(64) WorkerCounters {
  uint64_t received = 0;   // frames taken from rx queues
  uint64_t forwarded = 0;  // frames handed to at least one tx queue
  uint64_t dropped = 0;    // frames dropped whole; received = forwarded + dropped
  // By reason: frames, or copies for the per-copy reasons (port_down, no_mbuf, tx_full), so
  // the frame reasons add up to `dropped`.
  uint64_t drops[kDropReasonCount] = {};
  uint64_t fw_logged = 0;   // frames that opened a connection through a `log` rule
  uint64_t fw_related = 0;  // ICMP errors passed as related to a tracked connection
  PortCounters ports[kMaxPorts];
  // Drops by port: the ingress port, or the egress port for the per-copy reasons.
  uint64_t port_drops[kMaxPorts][kDropReasonCount] = {};
};

}  // namespace vigil
