// Per-tenant MAC learning table: (tenant, MAC) -> port, aged by packet time. Open addressing with
// linear probing and backward-shift deletion over a table sized once at construction, so learning
// and lookup never allocate. Expired entries are removed when a lookup or learn meets them.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/packet_meta.h"

namespace vigil {

struct MacTableStats {
  uint64_t learned = 0;     // new entries
  uint64_t moves = 0;       // a known MAC seen on another port
  uint64_t table_full = 0;  // learning refused: max_entries reached
  uint64_t aged = 0;        // entries expired
};

class MacTable {
 public:
  MacTable(uint32_t max_entries, uint64_t aging_us);

  // Records that `mac` was seen on `port` in `tenant` at time `now_us`.
  void learn(uint16_t tenant, const uint8_t* mac, uint16_t port, uint64_t now_us);
  // The port `mac` was learned on in `tenant`, or kNoPort if unknown or expired.
  uint16_t lookup(uint16_t tenant, const uint8_t* mac, uint64_t now_us);

  uint32_t size() const { return size_; }
  const MacTableStats& stats() const { return stats_; }

  template <typename Fn>  // fn(tenant, mac_as_u64, port) for each live entry
  void for_each(uint64_t now_us, Fn&& fn) const {
    for (const Entry& e : slots_) {
      if (e.key != kEmpty && !expired(e, now_us))
        fn(uint16_t(e.key >> 48), e.key & kMacMask, e.port);
    }
  }

 private:
  struct Entry {
    uint64_t key;
    uint64_t last_seen_us;
    uint16_t port;
  };
  static constexpr uint64_t kEmpty = ~0ull;
  static constexpr uint64_t kMacMask = (1ull << 48) - 1;

  static uint64_t make_key(uint16_t tenant, const uint8_t* mac);
  uint32_t home(uint64_t key) const;
  bool expired(const Entry& e, uint64_t now_us) const {
    return now_us > e.last_seen_us && now_us - e.last_seen_us > aging_us_;
  }
  // Index of key's slot, or of the empty slot ending its probe sequence.
  uint32_t find_slot(uint64_t key) const;
  void erase_at(uint32_t index);

  std::vector<Entry> slots_;
  uint32_t mask_;
  uint32_t max_entries_;
  uint32_t size_ = 0;
  uint64_t aging_us_;
  MacTableStats stats_;
};

}  // namespace vigil
