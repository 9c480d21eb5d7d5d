// The worker loops that feed a Pipeline:
//  - run_replay: frames from pcap files in timestamp order until every file ends (or stop).
//  - run_live: DPDK l2fwd-style polling of rx queues, tx buffers drained every 100 us, until stop.
#pragma once

#include <atomic>
#include <functional>
#include <vector>

#include "dataplane/pipeline.h"
#include "dataplane/replay_merger.h"

namespace vigil {

// `tables` (the firewall's and the IDS's connection tables, when they exist): swept for idle
// connections as capture time passes.
// `every_second` (may be empty) is called with the capture time at those same points (the
// monitors' clock in replay).
void run_replay(Pipeline& pipeline, ReplayMerger& input, const std::atomic<bool>& stop,
                const std::vector<ConnTable*>& tables = {},
                const std::function<void(uint64_t)>& every_second = {});
void run_live(Pipeline& pipeline, const std::vector<RxPort>& rx_ports,
              const std::atomic<bool>& stop);

}  // namespace vigil
