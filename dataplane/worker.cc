#include "dataplane/worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <algorithm>

namespace vigil {

void run_replay(Pipeline& pipeline, ReplayMerger& input, const std::atomic<bool>& stop,
                const std::vector<ConnTable*>& tables,
                const std::function<void(uint64_t)>& every_second) {
  PacketBatch batch;
  // With connection tables, bursts end where a second of capture time has passed since the
  // last sweep, and the sweep runs before the frames after it: idle connections are gone (and
  // no longer count against their VM) within a second of capture time, however dense the burst.
  uint64_t next_sweep_us = tables.empty() ? UINT64_MAX : 0;
  // `every_second` runs on a fixed grid of whole seconds from the first frame, with every frame
  // before the grid point processed and none after it: the monitors' intervals are exact.
  uint64_t next_tick_us = every_second ? 0 : UINT64_MAX;
  while (!stop.load(std::memory_order_relaxed)) {
    if (input.next(batch, std::min(next_sweep_us, next_tick_us))) {
      pipeline.process(batch);
      continue;
    }
    if (!input.pending()) break;
    const uint64_t ts = input.next_timestamp_us();
    if (ts >= next_sweep_us) {
      for (ConnTable* t : tables) t->sweep(ts);
      next_sweep_us = ts + 1'000'000;
    }
    if (ts >= next_tick_us) {
      if (next_tick_us == 0) next_tick_us = ts;
      while (next_tick_us <= ts) {
        every_second(next_tick_us);
        next_tick_us += 1'000'000;
      }
    }
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
  pipeline.offline();  // a change still in flight on the control thread must not wait for us
}

}  // namespace vigil
