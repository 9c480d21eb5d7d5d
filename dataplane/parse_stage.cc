#include "dataplane/parse_stage.h"

#include <rte_mbuf.h>

namespace vigil {

void parse_batch(PacketBatch& batch, const ParseLimits& limits, WorkerCounters& counters) {
  counters.received += batch.count;
  for (uint16_t i = 0; i < batch.count; ++i) {
    rte_mbuf* m = batch.pkts[i];
    PacketMeta& meta = batch.meta[i];
    const uint16_t in_port = meta.in_port;
    const uint64_t time_us = meta.time_us;
    meta = PacketMeta{};
    meta.in_port = in_port;
    meta.time_us = time_us;
    PortCounters& pc = counters.ports[in_port];
    pc.rx_packets++;
    pc.rx_bytes += rte_pktmbuf_pkt_len(m);
    // The mempool's data room exceeds the largest max_frame accepted, so a frame spread over
    // several segments is always oversized.
    if (m->nb_segs > 1) {
      meta.drop = DropReason::kOversized;
      continue;
    }
    meta.drop =
        parse_frame(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), limits, meta);
  }
}

}  // namespace vigil
