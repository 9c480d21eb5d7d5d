#include "dataplane/mac_table.h"

#include <algorithm>
#include <bit>

namespace vigil {

MacTable::MacTable(uint32_t max_entries, uint64_t aging_us)
    : max_entries_(std::max<uint32_t>(max_entries, 1)),
      aging_ms_(std::max<uint64_t>(aging_us / 1000, 1)) {
  // At most half full keeps probe sequences short.
  const uint32_t capacity = std::bit_ceil(max_entries_ * 2);
  slots_ = std::make_unique<Slot[]>(capacity);
  mask_ = capacity - 1;
}

MacTableStats MacTable::stats() const {
  return MacTableStats{
      learned_.load(std::memory_order_relaxed), moves_.load(std::memory_order_relaxed),
      table_full_.load(std::memory_order_relaxed), aged_.load(std::memory_order_relaxed)};
}

uint64_t MacTable::make_key(uint16_t tenant, const uint8_t* mac) {
  uint64_t key = uint64_t(tenant) << 48;
  for (int i = 0; i < 6; ++i) key |= uint64_t(mac[i]) << (8 * (5 - i));
  return key;
}

uint32_t MacTable::home(uint64_t key) const {
  // 64-bit mix (splitmix64 finaliser): MACs of one vendor share their high bytes.
  key ^= key >> 30;
  key *= 0xbf58476d1ce4e5b9ull;
  key ^= key >> 27;
  key *= 0x94d049bb133111ebull;
  key ^= key >> 31;
  return static_cast<uint32_t>(key) & mask_;
}

void MacTable::refresh(Slot& s, uint64_t old_value, uint16_t port, uint64_t now_us) {
  const bool was_expired = expired(old_value, now_us);
  if (!was_expired && port_of(old_value) == port && now_us / 1000 < ms_of(old_value) + 1000) {
    return;  // nothing worth a write
  }
  s.value.store(make_value(port, now_us), std::memory_order_release);
  if (was_expired) {
    aged_.fetch_add(1, std::memory_order_relaxed);
    learned_.fetch_add(1, std::memory_order_relaxed);
  } else if (port_of(old_value) != port) {
    moves_.fetch_add(1, std::memory_order_relaxed);
  }
}

void MacTable::learn(uint16_t tenant, const uint8_t* mac, uint16_t port, uint64_t now_us) {
  const uint64_t key = make_key(tenant, mac);
  uint32_t i = home(key);
  int64_t reusable = -1;  // first expired slot on the probe sequence
  uint64_t reusable_key = kEmpty;
  for (uint32_t probes = 0; probes <= mask_; ++probes, i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    uint64_t k = s.key.load(std::memory_order_acquire);
    if (k == key) {
      refresh(s, s.value.load(std::memory_order_acquire), port, now_us);
      return;
    }
    if (k != kEmpty) {
      if (reusable < 0 && expired(s.value.load(std::memory_order_acquire), now_us)) {
        reusable = i;
        reusable_key = k;
      }
      continue;
    }
    // End of the probe sequence: the MAC is new here.
    if (reusable < 0 && occupied_.load(std::memory_order_relaxed) >= max_entries_) break;
    Slot& target = reusable >= 0 ? slots_[reusable] : s;
    uint64_t expected = reusable_key;  // kEmpty when taking the empty slot
    if (target.key.compare_exchange_strong(expected, key, std::memory_order_acq_rel)) {
      target.value.store(make_value(port, now_us), std::memory_order_release);
      learned_.fetch_add(1, std::memory_order_relaxed);
      if (reusable >= 0) {
        aged_.fetch_add(1, std::memory_order_relaxed);
      } else {
        occupied_.fetch_add(1, std::memory_order_relaxed);
      }
      return;
    }
    if (expected == key) {  // another worker learned it first
      refresh(target, target.value.load(std::memory_order_acquire), port, now_us);
      return;
    }
    // The slot went to another MAC: start over (rare, bounded by concurrent learners).
    return learn(tenant, mac, port, now_us);
  }
  table_full_.fetch_add(1, std::memory_order_relaxed);
}

uint16_t MacTable::lookup(uint16_t tenant, const uint8_t* mac, uint64_t now_us) const {
  const uint64_t key = make_key(tenant, mac);
  uint32_t i = home(key);
  for (uint32_t probes = 0; probes <= mask_; ++probes, i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    const uint64_t k = s.key.load(std::memory_order_acquire);
    if (k == kEmpty) return kNoPort;
    if (k != key) continue;
    const uint64_t value = s.value.load(std::memory_order_acquire);
    // A slot reused for another MAC between the two loads reads as a miss.
    if (s.key.load(std::memory_order_acquire) != key || expired(value, now_us)) return kNoPort;
    return port_of(value);
  }
  return kNoPort;
}

}  // namespace vigil
