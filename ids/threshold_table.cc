#include "ids/threshold_table.h"

#include <cstring>

namespace vigil::ids {
namespace {

constexpr uint32_t kProbes = 8;

uint64_t hash_key(uint32_t rule, const uint8_t* key) {
  uint64_t h = 1469598103934665603ull ^ rule;
  for (int i = 0; i < 32; ++i) h = (h ^ key[i]) * 1099511628211ull;
  return h;
}

class SlotLock {
 public:
  explicit SlotLock(std::atomic<bool>& b) : b_(b) {
    while (b_.exchange(true, std::memory_order_acquire)) {
    }
  }
  ~SlotLock() { b_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool>& b_;
};

}  // namespace

ThresholdTable::ThresholdTable(uint32_t slots) {
  uint32_t n = 64;
  while (n < slots) n <<= 1;
  slots_ = std::make_unique<Slot[]>(n);
  mask_ = n - 1;
}

bool ThresholdTable::allow(uint32_t rule_index, const Threshold& t, const Inspection& insp) {
  uint8_t key[32] = {};
  const size_t alen = insp.family == 6 ? 16 : 4;
  if ((t.track == TrackBy::kSrc || t.track == TrackBy::kBoth) && insp.src != nullptr) {
    std::memcpy(key, insp.src, alen);
  }
  if ((t.track == TrackBy::kDst || t.track == TrackBy::kBoth) && insp.dst != nullptr) {
    std::memcpy(key + 16, insp.dst, alen);
  }
  const uint64_t now = insp.time_us;
  const uint64_t window = uint64_t(t.seconds) * 1'000'000;
  const uint64_t h = hash_key(rule_index, key) ^ (uint64_t(insp.family) << 56);
  key[31] ^= insp.family;  // v4 a.b.c.d and v6 a.b.c.d:: are different sources
  Slot* chosen = nullptr;
  Slot* oldest = nullptr;
  for (uint32_t p = 0; p < kProbes && chosen == nullptr; ++p) {
    Slot& s = slots_[(h + p) & mask_];
    SlotLock lock(s.busy);
    if (s.used && s.rule == rule_index && std::memcmp(s.key, key, sizeof(key)) == 0) {
      chosen = &s;
    } else if (!s.used) {
      s.used = true;
      s.rule = rule_index;
      std::memcpy(s.key, key, sizeof(key));
      s.window_start_us = now;
      s.count = 0;
      chosen = &s;
    } else if (oldest == nullptr || s.window_start_us < oldest->window_start_us) {
      oldest = &s;
    }
  }
  if (chosen == nullptr) {
    evictions_.fetch_add(1, std::memory_order_relaxed);
    SlotLock lock(oldest->busy);
    oldest->rule = rule_index;
    std::memcpy(oldest->key, key, sizeof(key));
    oldest->window_start_us = now;
    oldest->count = 0;
    chosen = oldest;
  }
  SlotLock lock(chosen->busy);
  if (now >= chosen->window_start_us + window) {
    chosen->window_start_us = now;
    chosen->count = 0;
  }
  const uint32_t n = ++chosen->count;
  switch (t.type) {
    case Threshold::kLimit:
      return n <= t.count;
    case Threshold::kThreshold:
      if (n < t.count) return false;
      chosen->count = 0;  // every count-th match within the window alerts
      return true;
    case Threshold::kBoth:
      return n == t.count;
    case Threshold::kDetectionFilter:
      return n > t.count;
  }
  return true;
}

}  // namespace vigil::ids
