// 802.1Q tag removal and insertion in place, on single-segment mbufs.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstring>

namespace vigil {

// Removes the outer 802.1Q tag: the MAC addresses move 4 bytes forward.
inline void strip_vlan_tag(rte_mbuf* m) {
  uint8_t* data = rte_pktmbuf_mtod(m, uint8_t*);
  std::memmove(data + 4, data, 12);
  rte_pktmbuf_adj(m, 4);
}

// Inserts an 802.1Q tag with the given TCI; false when the mbuf has no headroom left.
inline bool push_vlan_tag(rte_mbuf* m, uint16_t tci) {
  uint8_t* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 4));
  if (data == nullptr) return false;
  std::memmove(data, data + 4, 12);
  data[12] = 0x81;
  data[13] = 0x00;
  data[14] = static_cast<uint8_t>(tci >> 8);
  data[15] = static_cast<uint8_t>(tci);
  return true;
}

}  // namespace vigil
