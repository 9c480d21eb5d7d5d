#include "dataplane/worker_plan.h"

#include <algorithm>

namespace vigil {

WorkerPlan::WorkerPlan(const std::vector<OpenPort>& ports, unsigned workers)
    : assignments_(workers) {
  // Queue-major: every port's queue 0 (the one a guest always uses) first, so they spread
  // over the workers before any second queue does.
  uint16_t max_queues = 0;
  for (const OpenPort& port : ports) max_queues = std::max(max_queues, port.queues);
  unsigned next = 0;
  for (uint16_t q = 0; q < max_queues; ++q) {
    for (uint16_t p = 0; p < ports.size(); ++p) {
      if (q < ports[p].queues) {
        assignments_[next++ % workers].rx.push_back(RxPort{p, ports[p].port_id, q});
      }
    }
  }
  for (uint16_t p = 0; p < ports.size(); ++p) {
    const uint16_t queues = ports[p].queues;
    locks_.push_back(std::make_unique<PaddedLock[]>(queues));
    const bool shared = workers > queues;
    const bool follows_guest = ports[p].type == PortType::kVhostUser && queues > 1;
    for (unsigned w = 0; w < workers; ++w) {
      const uint16_t q = static_cast<uint16_t>(w % queues);
      TxQueueRef ref{ports[p].port_id, q, shared ? &locks_.back()[q].lock : nullptr};
      if (follows_guest) {
        ref.follows_guest = true;
        ref.worker = static_cast<uint16_t>(w);
        ref.queue_locks = &locks_.back()[0].lock;
        ref.stride = sizeof(PaddedLock);
      }
      assignments_[w].tx.push_back(ref);
    }
  }
}

}  // namespace vigil
