#include "dataplane/replay_merger.h"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

namespace vigil {

ReplayMerger::ReplayMerger(const std::vector<RxPort>& inputs, int timestamp_offset,
                           uint64_t timestamp_flag)
    : ts_offset_(timestamp_offset), ts_flag_(timestamp_flag) {
  for (const RxPort& in : inputs) {
    queues_.emplace_back();
    queues_.back().input = in;
  }
}

ReplayMerger::~ReplayMerger() {
  for (Queue& q : queues_) {
    for (uint16_t i = q.head; i < q.count; ++i) rte_pktmbuf_free(q.pkts[i]);
  }
}

void ReplayMerger::refill(Queue& q) {
  q.head = 0;
  q.count = rte_eth_rx_burst(q.input.port_id, q.input.queue, q.pkts, kBurstSize);
  if (q.count == 0) q.done = true;
}

uint64_t ReplayMerger::timestamp_us(const rte_mbuf* m) const {
  if (ts_offset_ < 0 || !(m->ol_flags & ts_flag_)) return 0;
  // The pcap PMD stores the capture time in microseconds.
  return *RTE_MBUF_DYNFIELD(m, ts_offset_, const rte_mbuf_timestamp_t*);
}

bool ReplayMerger::next(PacketBatch& batch, uint64_t before_us) {
  batch.clear();
  pending_ = false;
  while (batch.count < kBurstSize) {
    Queue* best = nullptr;
    uint64_t best_ts = 0;
    for (Queue& q : queues_) {
      if (q.head == q.count && !q.done) refill(q);
      if (q.head == q.count) continue;
      const uint64_t ts = timestamp_us(q.pkts[q.head]);
      if (best == nullptr || ts < best_ts) {  // ties: the port listed first
        best = &q;
        best_ts = ts;
      }
    }
    if (best == nullptr) break;
    if (best_ts >= before_us) {  // the caller has work to do at this time first
      pending_ = true;
      next_ts_us_ = best_ts;
      break;
    }
    batch.pkts[batch.count] = best->pkts[best->head++];
    batch.meta[batch.count].in_port = best->input.port;
    batch.meta[batch.count].time_us = best_ts;
    batch.count++;
    last_ts_us_ = best_ts;
  }
  return batch.count > 0;
}

}  // namespace vigil
