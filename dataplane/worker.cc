#include "dataplane/worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>

namespace vigil {

void run_replay(Pipeline& pipeline, ReplayMerger& input, const std::atomic<bool>& stop,
                const std::vector<ConnTable*>& tables) {
  PacketBatch batch;
  // With connection tables, bursts end where a second of capture time has passed since the
  // last sweep, and the sweep runs before the frames after it: idle connections are gone (and
  // no longer count against their VM) within a second of capture time, however dense the burst.
  uint64_t next_sweep_us = tables.empty() ? UINT64_MAX : 0;
  while (!stop.load(std::memory_order_relaxed)) {
    if (input.next(batch, next_sweep_us)) {
      pipeline.process(batch);
      continue;
    }
    if (!input.pending()) break;
    for (ConnTable* t : tables) t->sweep(input.next_timestamp_us());
    next_sweep_us = input.next_timestamp_us() + 1'000'000;
  }
  pipeline.flush();
}

void run_live(Pipeline& pipeline, const std::vector<RxPort>& rx_ports,
              const std::atomic<bool>& stop) {
  PacketBatch batch;
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t drain_cycles = hz / 10'000;  // 100 us
  uint64_t last_drain = rte_get_tsc_cycles();
  while (!stop.load(std::memory_order_relaxed)) {
    const uint64_t now = rte_get_tsc_cycles();
    const uint64_t now_us = now / (hz / 1'000'000);
    for (const RxPort& in : rx_ports) {
      batch.count = rte_eth_rx_burst(in.port_id, in.queue, batch.pkts, kBurstSize);
      if (batch.count == 0) continue;
      for (uint16_t i = 0; i < batch.count; ++i) {
        batch.meta[i].in_port = in.port;
        batch.meta[i].time_us = now_us;
      }
      pipeline.process(batch);
    }
    pipeline.quiescent();
    if (now - last_drain > drain_cycles) {
      pipeline.flush();
      last_drain = now;
    }
  }
  pipeline.flush();
}

}  // namespace vigil
