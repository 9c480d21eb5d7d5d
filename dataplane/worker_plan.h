// Which worker polls which rx queue and transmits on which tx queue.
//
// Rx queues of all ports are dealt round-robin to the workers, queue 0 of every port first. Every
// worker transmits to every port: worker w uses tx queue w % queues of that port. When a port has
// fewer queues than there are workers, the workers sharing a queue serialise on a spinlock taken
// once per tx burst, as OVS-DPDK does for its shared tx queues; with enough queues no lock is
// taken.
#pragma once

#include <rte_spinlock.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/ports.h"

namespace vigil {

struct RxPort {
  uint16_t port;     // vigil port index
  uint16_t port_id;  // DPDK port id
  uint16_t queue = 0;
};

struct TxQueueRef {
  uint16_t port_id;
  uint16_t queue;
  rte_spinlock_t* lock;  // null when this worker owns the queue alone
  // Multiqueue vhost-user ports: the guest may not enable every queue, so the queue is chosen
  // per burst among the enabled ones (LinkState), always under that queue's lock.
  bool follows_guest = false;
  uint16_t worker = 0;
  rte_spinlock_t* queue_locks = nullptr;  // one per queue
  uint32_t stride = 0;                    // bytes between consecutive queue locks
};

struct WorkerAssignment {
  std::vector<RxPort> rx;
  std::vector<TxQueueRef> tx;  // indexed by vigil port
};

class WorkerPlan {
 public:
  WorkerPlan(const std::vector<OpenPort>& ports, unsigned workers);
  unsigned workers() const { return static_cast<unsigned>(assignments_.size()); }
  const WorkerAssignment& worker(unsigned w) const { return assignments_[w]; }

 private:
  struct alignas(64) PaddedLock {
    rte_spinlock_t lock = RTE_SPINLOCK_INITIALIZER;
  };
  std::vector<std::unique_ptr<PaddedLock[]>> locks_;  // per port, per tx queue
  std::vector<WorkerAssignment> assignments_;
};

}  // namespace vigil
