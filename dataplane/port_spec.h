// How the config describes one port.
#pragma once

#include <string>

namespace vigil {

enum class PortType { kPcap, kRing, kVhostUser, kPci, kAfPacket, kTap };

struct PortSpec {
  std::string name;
  PortType type = PortType::kPcap;
  std::string rx_pcap;        // pcap: file to replay (empty: none)
  std::string tx_pcap;        // pcap: file to write (empty: transmitted frames are discarded)
  std::string iface;          // pcap: live interface instead of files; af_packet, tap: interface
  std::string device;         // pci: the PCI address (bound to a DPDK driver, see README)
  std::string socket;         // vhost-user: the unix socket path
  bool vhost_client = false;  // vhost-user: vigild connects (and reconnects) to the VM's socket
  uint16_t queues = 1;        // vhost-user: queue pairs
  int line = 0;               // config line, for error messages
};

}  // namespace vigil
