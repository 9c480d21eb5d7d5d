// Creates, configures and starts the DPDK ports the config names, and stops them on exit.
//  - pcap: DPDK's pcap PMD, from/to files (replay) or a live interface.
//  - ring: an ethdev over two rte_rings named "<port>_rx" and "<port>_tx", for in-process peers.
//  - af_packet: a Linux interface (e.g. a veth) through a packet socket; tap: a tap interface
//    vigild creates; pci: a NIC bound to a DPDK driver (EAL probes it from the allow list).
//  - vhost-user: DPDK's vhost PMD; server mode (vigild owns the socket; a stale socket file is
//    replaced) or client mode (the VM owns it; the PMD reconnects whenever it reappears).
// Rx timestamps are requested from every port that offers them (the pcap PMD gives the capture's).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/port_spec.h"

struct rte_mempool;

namespace vigil {

struct OpenPort {
  std::string name;
  uint16_t port_id;
  PortType type;
  bool replay;      // a pcap port reading a file: it ends
  uint16_t queues;  // rx queues = tx queues
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
  std::vector<uint16_t> port_ids() const;
  bool all_replay() const;
  // Link and rx-ring occupancy, read from the control thread while workers run.
  PortStatus status(uint16_t port) const;

 private:
  void open(const PortSpec& spec, rte_mempool* pool);
  std::vector<OpenPort> ports_;
};

}  // namespace vigil
