// A burst of at most kBurstSize frames and their metadata: the unit of work of every stage.
#pragma once

#include <cstdint>

#include "dataplane/packet_meta.h"

struct rte_mbuf;

namespace vigil {

inline constexpr uint16_t kBurstSize = 32;

struct PacketBatch {
  uint16_t count = 0;
  rte_mbuf* pkts[kBurstSize];
  PacketMeta meta[kBurstSize];

  void clear() { count = 0; }
  // Marks frame i dropped; the first reason given wins.
  void drop(uint16_t i, DropReason reason) {
    if (meta[i].drop == DropReason::kNone) meta[i].drop = reason;
  }
  bool alive(uint16_t i) const { return meta[i].drop == DropReason::kNone; }
};

}  // namespace vigil
