// The MAC learning table: (tenant, MAC) -> port, aged by packet time, shared by all workers.
//
// Open addressing with linear probing over slots sized once at construction, so the fast path
// never allocates or locks. Workers learn and look up concurrently:
//  - a slot's key and value are 64-bit atomics; a key is claimed with compare-and-swap, so two
//    workers learning the same MAC end in the same slot;
//  - slots are never emptied: an expired entry is reused in place by the next new MAC whose probe
//    sequence passes it, which keeps every other probe sequence intact;
//  - a refresh that would change nothing (same port, seen less than a second ago) writes nothing,
//    so steady traffic does not bounce cache lines between workers.
// A reader re-checks the key after reading the value: a slot being reused reads as a miss.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "dataplane/packet_meta.h"

namespace vigil {

struct MacTableStats {
  uint64_t learned = 0;     // new entries (including a MAC re-learned after it expired)
  uint64_t moves = 0;       // a live MAC seen on another port
  uint64_t table_full = 0;  // learning refused: no free or expired slot
  uint64_t aged = 0;        // expired entries replaced or re-learned
};

class MacTable {
 public:
  MacTable(uint32_t max_entries, uint64_t aging_us);

  // Records that `mac` was seen on `port` in `tenant` at time `now_us`.
  void learn(uint16_t tenant, const uint8_t* mac, uint16_t port, uint64_t now_us);
  // The port `mac` was learned on in `tenant`, or kNoPort if unknown or expired.
  uint16_t lookup(uint16_t tenant, const uint8_t* mac, uint64_t now_us) const;

  uint32_t occupied() const { return occupied_.load(std::memory_order_relaxed); }
  MacTableStats stats() const;

  template <typename Fn>  // fn(tenant, mac_as_u64, port) for each live entry
  void for_each(uint64_t now_us, Fn&& fn) const {
    for (uint32_t i = 0; i <= mask_; ++i) {
      const uint64_t key = slots_[i].key.load(std::memory_order_acquire);
      const uint64_t value = slots_[i].value.load(std::memory_order_acquire);
      if (key != kEmpty && !expired(value, now_us)) {
        fn(static_cast<uint16_t>(key >> 48), key & kMacMask, port_of(value));
      }
    }
  }

 private:
  struct Slot {
    std::atomic<uint64_t> key{kEmpty};
    std::atomic<uint64_t> value{0};  // last seen in ms << 16 | port
  };
  static constexpr uint64_t kEmpty = ~0ull;
  static constexpr uint64_t kMacMask = (1ull << 48) - 1;

  static uint64_t make_key(uint16_t tenant, const uint8_t* mac);
  static uint64_t make_value(uint16_t port, uint64_t now_us) {
    return (now_us / 1000) << 16 | port;
  }
  static uint16_t port_of(uint64_t value) { return static_cast<uint16_t>(value); }
  static uint64_t ms_of(uint64_t value) { return value >> 16; }
  bool expired(uint64_t value, uint64_t now_us) const {
    const uint64_t now_ms = now_us / 1000;
    return value == 0 || (now_ms > ms_of(value) && now_ms - ms_of(value) > aging_ms_);
  }
  uint32_t home(uint64_t key) const;
  // Updates an existing entry for `key` in slot `s`.
  void refresh(Slot& s, uint64_t value_now, uint16_t port, uint64_t now_us);

  std::unique_ptr<Slot[]> slots_;
  uint32_t mask_;
  uint32_t max_entries_;
  uint64_t aging_ms_;
  std::atomic<uint32_t> occupied_{0};
  mutable std::atomic<uint64_t> learned_{0}, moves_{0}, table_full_{0}, aged_{0};
};

}  // namespace vigil
