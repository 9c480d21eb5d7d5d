// Alert rate state for rules with threshold: or detection_filter:, shared by all workers.
// A fixed table of slots keyed by (rule, tracked addresses), each behind its own tiny spinlock;
// only matches of thresholded rules touch it, so contention is rare. A full neighbourhood evicts
// the slot whose window ended longest ago; evictions are counted.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "ids/inspection.h"
#include "ids/rule.h"

namespace vigil::ids {

class ThresholdTable {
 public:
  explicit ThresholdTable(uint32_t slots = 8192);
  // Counts this match of rule `rule_index` and says whether it may alert (time: insp.time_us).
  bool allow(uint32_t rule_index, const Threshold& t, const Inspection& insp);
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    std::atomic<bool> busy{false};
    bool used = false;
    uint32_t rule = 0;
    uint8_t key[32] = {};
    uint64_t window_start_us = 0;
    uint32_t count = 0;
  };
  std::unique_ptr<Slot[]> slots_;
  uint32_t mask_;
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace vigil::ids
