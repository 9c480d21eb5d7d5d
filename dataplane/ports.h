// Creates, configures and starts the DPDK ports the config names, and stops them on exit.
//  - pcap: DPDK's pcap PMD, from/to files (replay) or a live interface.
//  - ring: an ethdev over two rte_rings named "<port>_rx" and "<port>_tx", for in-process peers.
//  - af_packet: a Linux interface (e.g. a veth) through a packet socket; tap: a tap interface
//    vigild creates; pci: a NIC bound to a DPDK driver (EAL probes it from the allow list).
//  - vhost-user: DPDK's vhost PMD; server mode (vigild owns the socket; a stale socket file is
//    replaced) or client mode (the VM owns it; the PMD reconnects whenever it reappears).
// Rx timestamps are requested from every port that offers them (the pcap PMD gives the capture's).
#pragma once

#include <rte_ethdev.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/port_spec.h"
#include "dataplane/worker_counters.h"

struct rte_mempool;

namespace vigil {

struct OpenPort {
  std::string name;
  uint16_t port_id;
  PortType type;
  bool replay;      // a pcap port reading a file: it ends
  uint16_t queues;  // rx queues = tx queues
};

// Whether each port can take frames, and on which tx queues. Ports that report link changes
// (vhost-user: a VM attached or gone) follow their link through the PMD's link-state interrupt;
// the others count as up. A vhost-user guest may enable fewer queue pairs than the port has
// (Linux enables one per vCPU): the PMD's queue-state events keep the mask of the tx queues it
// can use. Workers read both per frame or burst: relaxed loads.
class LinkState {
 public:
  bool up(uint16_t port) const { return up_[port].load(std::memory_order_relaxed); }
  void set(uint16_t port, bool up) { up_[port].store(up, std::memory_order_relaxed); }
  // Bit q set: tx queue q enabled by the guest. 0: not known (no event seen).
  uint32_t tx_queues(uint16_t port) const { return tx_mask_[port].load(std::memory_order_relaxed); }
  void set_tx_queue(uint16_t port, uint16_t queue, bool enabled) {
    if (enabled) {
      tx_mask_[port].fetch_or(1u << queue, std::memory_order_relaxed);
    } else {
      tx_mask_[port].fetch_and(~(1u << queue), std::memory_order_relaxed);
    }
  }
  void clear_tx_queues(uint16_t port) { tx_mask_[port].store(0, std::memory_order_relaxed); }

 private:
  std::atomic<bool> up_[kMaxPorts] = {};
  std::atomic<uint32_t> tx_mask_[kMaxPorts] = {};
};

struct PortStatus {
  bool link_up = false;
  int64_t rx_queue_used = -1;  // descriptors waiting in the rx queues; -1 when the PMD can't tell
};

class Ports {
 public:
  // Throws std::runtime_error naming the port that failed.
  Ports(const std::vector<PortSpec>& specs, rte_mempool* pool);
  ~Ports();
  Ports(const Ports&) = delete;
  Ports& operator=(const Ports&) = delete;

  const std::vector<OpenPort>& list() const { return ports_; }
  std::vector<std::string> names() const;
  bool all_replay() const;
  // Link and rx-ring occupancy, read from the control thread while workers run.
  PortStatus status(uint16_t port) const;
  const LinkState& links() const { return links_; }

 private:
  void open(const PortSpec& spec, rte_mempool* pool);
  static int on_link_change(uint16_t port_id, rte_eth_event_type event, void* self, void*);
  static int on_queue_state(uint16_t port_id, rte_eth_event_type event, void* self, void*);
  int index_of(uint16_t port_id) const;
  std::vector<OpenPort> ports_;
  LinkState links_;
};

}  // namespace vigil
