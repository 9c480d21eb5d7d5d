#include "dataplane/mac_table.h"

#include <algorithm>
#include <bit>

namespace vigil {

MacTable::MacTable(uint32_t max_entries, uint64_t aging_us)
    : max_entries_(std::max<uint32_t>(max_entries, 1)), aging_us_(aging_us) {
  // At most half full keeps probe sequences short.
  const uint32_t capacity = std::bit_ceil(max_entries_ * 2);
  slots_.assign(capacity, Entry{kEmpty, 0, kNoPort});
  mask_ = capacity - 1;
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

uint32_t MacTable::find_slot(uint64_t key) const {
  uint32_t i = home(key);
  while (slots_[i].key != kEmpty && slots_[i].key != key) i = (i + 1) & mask_;
  return i;
}

void MacTable::erase_at(uint32_t index) {
  // Backward-shift deletion: pull later members of the probe run into the hole.
  uint32_t hole = index;
  uint32_t j = index;
  for (;;) {
    j = (j + 1) & mask_;
    if (slots_[j].key == kEmpty) break;
    const uint32_t h = home(slots_[j].key);
    // Move j into the hole unless its home lies cyclically in (hole, j].
    const bool home_after_hole = ((j - h) & mask_) < ((j - hole) & mask_);
    if (!home_after_hole) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole].key = kEmpty;
  --size_;
}

void MacTable::learn(uint16_t tenant, const uint8_t* mac, uint16_t port, uint64_t now_us) {
  const uint64_t key = make_key(tenant, mac);
  uint32_t i = find_slot(key);
  Entry& e = slots_[i];
  if (e.key == key) {
    if (expired(e, now_us)) {
      ++stats_.aged;
      ++stats_.learned;
    } else if (e.port != port) {
      ++stats_.moves;
    }
    e.port = port;
    e.last_seen_us = now_us;
    return;
  }
  if (size_ >= max_entries_) {
    ++stats_.table_full;
    return;
  }
  e = Entry{key, now_us, port};
  ++size_;
  ++stats_.learned;
}

uint16_t MacTable::lookup(uint16_t tenant, const uint8_t* mac, uint64_t now_us) {
  const uint64_t key = make_key(tenant, mac);
  const uint32_t i = find_slot(key);
  if (slots_[i].key != key) return kNoPort;
  if (expired(slots_[i], now_us)) {
    ++stats_.aged;
    erase_at(i);
    return kNoPort;
  }
  return slots_[i].port;
}

}  // namespace vigil
