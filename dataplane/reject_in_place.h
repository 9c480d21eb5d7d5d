// Turns a rejected frame's mbuf into the reply due to its sender (reject_reply.h), sent back out
// of its ingress port. Shared by the firewall's and the IDS's reject actions.
#pragma once

#include <rte_mbuf.h>

#include <cstring>

#include "dataplane/packet_meta.h"
#include "dataplane/reject_reply.h"

namespace vigil {

// `scratch` holds kRejectReplyMax bytes. Leaves the frame as it is when no reply is due.
inline void reject_in_place(rte_mbuf* mb, PacketMeta& m, uint8_t* scratch) {
  const uint32_t len = build_reject_reply(rte_pktmbuf_mtod(mb, const uint8_t*),
                                          rte_pktmbuf_data_len(mb), m, scratch);
  if (len == 0) return;
  // The rejected frame is spent: its buffer carries the reply (2 KB of room, a reply is less).
  mb->data_off = RTE_PKTMBUF_HEADROOM;
  mb->data_len = static_cast<uint16_t>(len);
  mb->pkt_len = len;
  std::memcpy(rte_pktmbuf_mtod(mb, uint8_t*), scratch, len);
  m.reply = true;
  m.tagged = false;  // built untagged; egress tags it for a trunk
  m.out_port = m.in_port;
}

}  // namespace vigil
