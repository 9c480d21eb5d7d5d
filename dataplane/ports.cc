#include "dataplane/ports.h"

#include <rte_bus_vdev.h>
#include <rte_eth_ring.h>
#include <rte_eth_vhost.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "dataplane/packet_batch.h"

namespace vigil {
namespace {

constexpr uint16_t kRxDescriptors = 1024;
constexpr uint16_t kTxDescriptors = 1024;

std::runtime_error port_error(const PortSpec& spec, const std::string& what) {
  return std::runtime_error("port '" + spec.name + "': " + what);
}

uint16_t create_pcap(const PortSpec& spec) {
  const std::string vdev = "net_pcap_" + spec.name;
  std::string args;
  if (!spec.iface.empty()) {
    args = "iface=" + spec.iface;
  } else {
    // Without rx_pcap the PMD receives nothing; without tx_pcap it discards what is sent.
    if (!spec.rx_pcap.empty()) args.append("rx_pcap=").append(spec.rx_pcap);
    if (!spec.tx_pcap.empty()) {
      // The capture's folder is made on demand, like the file itself.
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(spec.tx_pcap).parent_path(), ec);
      if (ec)
        throw port_error(spec, "cannot create the folder of " + spec.tx_pcap + ": " + ec.message());
      if (!args.empty()) args.push_back(',');
      args.append("tx_pcap=").append(spec.tx_pcap);
    }
  }
  if (rte_vdev_init(vdev.c_str(), args.c_str()) != 0) {
    throw port_error(spec, "cannot create pcap device (" + args + ")");
  }
  uint16_t port_id;
  if (rte_eth_dev_get_port_by_name(vdev.c_str(), &port_id) != 0) {
    throw port_error(spec, "pcap device not found after creation");
  }
  return port_id;
}

uint16_t create_vhost(const PortSpec& spec) {
  struct stat st;
  if (!spec.vhost_client && ::stat(spec.socket.c_str(), &st) == 0) {
    // A socket left by an earlier vigild would make the bind fail; anything else is not ours.
    if (!S_ISSOCK(st.st_mode)) throw port_error(spec, spec.socket + " exists and is not a socket");
    ::unlink(spec.socket.c_str());
  }
  const std::string vdev = "net_vhost_" + spec.name;
  std::string args = "iface=" + spec.socket + ",queues=" + std::to_string(spec.queues);
  if (spec.vhost_client) args += ",client=1";
  if (rte_vdev_init(vdev.c_str(), args.c_str()) != 0) {
    throw port_error(spec, "cannot create vhost-user device (" + args + ")");
  }
  uint16_t port_id;
  if (rte_eth_dev_get_port_by_name(vdev.c_str(), &port_id) != 0) {
    throw port_error(spec, "vhost-user device not found after creation");
  }
  return port_id;
}

uint16_t create_vdev(const PortSpec& spec, const std::string& driver, const std::string& args) {
  const std::string vdev = driver + "_" + spec.name;
  if (rte_vdev_init(vdev.c_str(), args.c_str()) != 0) {
    throw port_error(spec, "cannot create " + driver + " device (" + args + ")");
  }
  uint16_t port_id;
  if (rte_eth_dev_get_port_by_name(vdev.c_str(), &port_id) != 0) {
    throw port_error(spec, driver + " device not found after creation");
  }
  return port_id;
}

uint16_t find_pci(const PortSpec& spec) {
  uint16_t port_id;
  if (rte_eth_dev_get_port_by_name(spec.device.c_str(), &port_id) != 0) {
    throw port_error(spec, "no DPDK port for PCI device " + spec.device +
                               " (is it bound to vfio-pci? see README, NIC ports)");
  }
  return port_id;
}

uint16_t create_ring(const PortSpec& spec) {
  const unsigned socket = rte_socket_id();
  auto make = [&](const std::string& suffix) {
    const std::string name = spec.name + suffix;
    rte_ring* ring = rte_ring_lookup(name.c_str());
    if (ring == nullptr)
      ring = rte_ring_create(name.c_str(), 4096, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (ring == nullptr) throw port_error(spec, "cannot create ring " + name);
    return ring;
  };
  rte_ring* rx = make("_rx");
  rte_ring* tx = make("_tx");
  const int id = rte_eth_from_rings(("net_ring_" + spec.name).c_str(), &rx, 1, &tx, 1, socket);
  if (id < 0) throw port_error(spec, "cannot create ring device");
  return static_cast<uint16_t>(id);
}

}  // namespace

Ports::Ports(const std::vector<PortSpec>& specs, rte_mempool* pool) {
  for (const PortSpec& spec : specs) open(spec, pool);
}

void Ports::open(const PortSpec& spec, rte_mempool* pool) {
  uint16_t port_id;
  switch (spec.type) {
    case PortType::kPcap:
      port_id = create_pcap(spec);
      break;
    case PortType::kRing:
      port_id = create_ring(spec);
      break;
    case PortType::kVhostUser:
      port_id = create_vhost(spec);
      break;
    case PortType::kAfPacket:
      port_id = create_vdev(spec, "net_af_packet", "iface=" + spec.iface);
      break;
    case PortType::kTap:
      port_id = create_vdev(spec, "net_tap", "iface=" + spec.iface);
      break;
    case PortType::kPci:
      port_id = find_pci(spec);
      break;
    default:
      throw port_error(spec, "this port kind is not supported yet");
  }
  const uint16_t queues = spec.type == PortType::kVhostUser ? spec.queues : 1;
  ports_.push_back(OpenPort{spec.name, port_id, spec.type,
                            spec.type == PortType::kPcap && spec.iface.empty(), queues});

  rte_eth_dev_info info;
  if (rte_eth_dev_info_get(port_id, &info) != 0) throw port_error(spec, "no device info");
  rte_eth_conf conf{};
  const bool reports_link = info.dev_flags != nullptr && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC);
  if (reports_link) {
    conf.intr_conf.lsc = 1;
    rte_eth_dev_callback_register(port_id, RTE_ETH_EVENT_INTR_LSC, on_link_change, this);
  }
  if (spec.type == PortType::kVhostUser) {
    rte_eth_dev_callback_register(port_id, RTE_ETH_EVENT_QUEUE_STATE, on_queue_state, this);
  }
  links_.set(static_cast<uint16_t>(ports_.size() - 1), !reports_link);
  if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
  }
  if (rte_eth_dev_configure(port_id, queues, queues, &conf) != 0) {
    throw port_error(spec, "configure failed");
  }
  uint16_t rx_desc = kRxDescriptors;
  uint16_t tx_desc = kTxDescriptors;
  rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rx_desc, &tx_desc);
  const int socket = rte_eth_dev_socket_id(port_id);
  for (uint16_t q = 0; q < queues; ++q) {
    if (rte_eth_rx_queue_setup(port_id, q, rx_desc, socket, nullptr, pool) != 0) {
      throw port_error(spec, "rx queue setup failed");
    }
    if (rte_eth_tx_queue_setup(port_id, q, tx_desc, socket, nullptr) != 0) {
      throw port_error(spec, "tx queue setup failed");
    }
  }
  if (rte_eth_dev_start(port_id) != 0) throw port_error(spec, "start failed");
  if (reports_link) on_link_change(port_id, RTE_ETH_EVENT_INTR_LSC, this, nullptr);
}

int Ports::index_of(uint16_t port_id) const {
  for (uint16_t p = 0; p < ports_.size(); ++p) {
    if (ports_[p].port_id == port_id) return p;
  }
  return -1;
}

int Ports::on_link_change(uint16_t port_id, rte_eth_event_type, void* self, void*) {
  // Runs on DPDK's interrupt thread.
  auto* ports = static_cast<Ports*>(self);
  const int p = ports->index_of(port_id);
  if (p < 0) return 0;
  rte_eth_link link{};
  const bool up =
      rte_eth_link_get_nowait(port_id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
  if (!up) ports->links_.clear_tx_queues(p);  // a returning guest enables its queues anew
  ports->links_.set(p, up);
  return 0;
}

int Ports::on_queue_state(uint16_t port_id, rte_eth_event_type, void* self, void*) {
  auto* ports = static_cast<Ports*>(self);
  const int p = ports->index_of(port_id);
  rte_eth_vhost_queue_event event;
  while (rte_eth_vhost_get_queue_event(port_id, &event) == 0) {
    // The guest's rx rings are vigil's tx queues.
    if (p >= 0 && !event.rx && event.queue_id < 32) {
      ports->links_.set_tx_queue(p, event.queue_id, event.enable);
    }
  }
  return 0;
}

Ports::~Ports() {
  for (const OpenPort& p : ports_) {
    rte_eth_dev_callback_unregister(p.port_id, RTE_ETH_EVENT_INTR_LSC, on_link_change, this);
    rte_eth_dev_callback_unregister(p.port_id, RTE_ETH_EVENT_QUEUE_STATE, on_queue_state, this);
    rte_eth_dev_stop(p.port_id);
    rte_eth_dev_close(p.port_id);
  }
}

std::vector<std::string> Ports::names() const {
  std::vector<std::string> out;
  for (const OpenPort& p : ports_) out.push_back(p.name);
  return out;
}

PortStatus Ports::status(uint16_t port) const {
  const OpenPort& p = ports_[port];
  PortStatus s;
  s.rx_queue_used = p.type == PortType::kVhostUser ? 0 : -1;
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(p.port_id, &link) == 0)
    s.link_up = link.link_status == RTE_ETH_LINK_UP;
  // Only the vhost PMD counts, and only with a VM attached.
  if (p.type == PortType::kVhostUser && s.link_up) {
    int64_t used = 0;
    for (uint16_t q = 0; q < p.queues; ++q) {
      const int n = rte_eth_rx_queue_count(p.port_id, q);
      if (n > 0) used += n;
    }
    s.rx_queue_used = used;
  }
  return s;
}

bool Ports::all_replay() const {
  for (const OpenPort& p : ports_) {
    if (!p.replay) return false;
  }
  return !ports_.empty();
}

}  // namespace vigil
