// Replay input: reads every replay port and yields frames in capture-timestamp order across
// ports, so a replay is deterministic and means what the captures' clocks say. A port is done
// when its rx returns nothing (the pcap PMD reads files synchronously: empty means end of file).
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/packet_batch.h"
#include "dataplane/worker_plan.h"

namespace vigil {

class ReplayMerger {
 public:
  // timestamp_offset/flag: the mbuf rx-timestamp dynamic field and flag (rte_mbuf_dyn.h).
  ReplayMerger(const std::vector<RxPort>& inputs, int timestamp_offset, uint64_t timestamp_flag);
  ~ReplayMerger();

  // Fills `batch` with the next frames in time order (in_port and time_us set), stopping before
  // the first frame stamped at or after `before_us`; false when the batch is empty. Then
  // pending() tells whether frames remain (from next_timestamp_us() on) or the captures ended.
  bool next(PacketBatch& batch, uint64_t before_us = UINT64_MAX);
  bool pending() const { return pending_; }
  uint64_t next_timestamp_us() const { return next_ts_us_; }
  uint64_t last_timestamp_us() const { return last_ts_us_; }

 private:
  struct Queue {
    RxPort input;
    rte_mbuf* pkts[kBurstSize];
    uint16_t head = 0;
    uint16_t count = 0;
    bool done = false;
  };
  void refill(Queue& q);
  uint64_t timestamp_us(const rte_mbuf* m) const;

  std::vector<Queue> queues_;
  int ts_offset_;
  uint64_t ts_flag_;
  uint64_t last_ts_us_ = 0;
  bool pending_ = false;
  uint64_t next_ts_us_ = 0;
};

}  // namespace vigil
