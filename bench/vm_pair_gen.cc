// Two VMs for the vhost-user benchmark, in one process on one core: virtio-user ports 0 and 1
// (the sockets vigild, testpmd or OVS connect to as vhost-user clients), each sending 64 B
// UDP frames from its own MAC and IP to the other's as fast as the ring takes them, and
// counting what it receives. Open loop: what the switch cannot take is refused at the VM's tx
// ring, not lost inside the measurement. Prints one line per second:
//   rx_pps <port0+port1 received> tx_pps <sent>
// With FLOWS > 1, frames cycle through that many UDP port pairs (port 1 sends the reverse of
// port 0's flows), for the firewall benchmark's connection counts.
// Usage: vm_pair_gen SOCKET0 SOCKET1 SECONDS [FLOWS] [EAL args...]
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr uint16_t kBurst = 32;
constexpr uint16_t kFrameLen = 60;  // 64 B on the wire with the FCS

const rte_ether_addr kMac[2] = {{{0x02, 0, 0, 0, 0x0a, 0x01}}, {{0x02, 0, 0, 0, 0x0a, 0x02}}};
const uint32_t kIp[2] = {RTE_IPV4(10, 0, 10, 1), RTE_IPV4(10, 0, 10, 2)};

// The frame port `from` sends to the other VM.
void build_frame(uint8_t* f, int from) {
  const int to = 1 - from;
  std::memset(f, 0, kFrameLen);
  auto* eth = reinterpret_cast<rte_ether_hdr*>(f);
  eth->dst_addr = kMac[to];
  eth->src_addr = kMac[from];
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
  ip->version_ihl = 0x45;
  ip->total_length = rte_cpu_to_be_16(kFrameLen - sizeof(rte_ether_hdr));
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_UDP;
  ip->src_addr = rte_cpu_to_be_32(kIp[from]);
  ip->dst_addr = rte_cpu_to_be_32(kIp[to]);
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  udp->src_port = rte_cpu_to_be_16(1024);
  udp->dst_port = rte_cpu_to_be_16(1024);
  udp->dgram_len = rte_cpu_to_be_16(kFrameLen - sizeof(rte_ether_hdr) - sizeof(rte_ipv4_hdr));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: vm_pair_gen SOCKET0 SOCKET1 SECONDS [FLOWS] [EAL args...]\n");
    return 2;
  }
  const double seconds = std::atof(argv[3]);
  int first_eal = 4;
  uint64_t flows = 1;
  if (argc > 4 && argv[4][0] != '-') {
    flows = std::strtoull(argv[4], nullptr, 10);
    first_eal = 5;
    if (flows == 0) flows = 1;
  }
  std::vector<std::string> args = {"vm_pair_gen"};
  for (int i = first_eal; i < argc; ++i) args.emplace_back(argv[i]);
  for (int p = 0; p < 2; ++p) {
    char mac[18];
    rte_ether_format_addr(mac, sizeof mac, &kMac[p]);
    args.push_back("--vdev=net_virtio_user" + std::to_string(p) + ",path=" + argv[1 + p] +
                   ",server=1,queue_size=1024,mac=" + mac);
  }
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "vm_pair_gen: EAL init failed\n");
    return 1;
  }
  rte_mempool* pool =
      rte_pktmbuf_pool_create("gen", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
  uint8_t frame[2][kFrameLen];
  for (uint16_t p = 0; p < 2; ++p) {
    build_frame(frame[p], p);
    rte_eth_conf conf{};
    if (pool == nullptr || rte_eth_dev_configure(p, 1, 1, &conf) != 0 ||
        rte_eth_rx_queue_setup(p, 0, 1024, rte_socket_id(), nullptr, pool) != 0 ||
        rte_eth_tx_queue_setup(p, 0, 1024, rte_socket_id(), nullptr) != 0 ||
        rte_eth_dev_start(p) != 0) {
      std::fprintf(stderr, "vm_pair_gen: port %u setup failed\n", p);
      return 1;
    }
  }
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t end = rte_get_tsc_cycles() + static_cast<uint64_t>(seconds * hz);
  uint64_t next_report = rte_get_tsc_cycles() + hz;
  uint64_t rx = 0, tx = 0;
  uint64_t flow[2] = {0, 0};
  rte_mbuf* pkts[kBurst];
  constexpr size_t kUdpPorts = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr);
  while (rte_get_tsc_cycles() < end) {
    for (uint16_t p = 0; p < 2; ++p) {
      const uint16_t n = rte_eth_rx_burst(p, 0, pkts, kBurst);
      rx += n;
      rte_pktmbuf_free_bulk(pkts, n);
      if (rte_pktmbuf_alloc_bulk(pool, pkts, kBurst) != 0) continue;
      for (rte_mbuf* m : pkts) {
        auto* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kFrameLen));
        std::memcpy(f, frame[p], kFrameLen);
        if (flows > 1) {  // flow n: ports 1024 + n % 60000 -> 1024 + n / 60000, reversed on port 1
          const uint64_t n = flow[p]++ % flows;
          const uint16_t a = rte_cpu_to_be_16(static_cast<uint16_t>(1024 + n % 60000));
          const uint16_t b = rte_cpu_to_be_16(static_cast<uint16_t>(1024 + n / 60000));
          std::memcpy(f + kUdpPorts, p == 0 ? &a : &b, 2);
          std::memcpy(f + kUdpPorts + 2, p == 0 ? &b : &a, 2);
        }
      }
      const uint16_t sent = rte_eth_tx_burst(p, 0, pkts, kBurst);
      tx += sent;
      rte_pktmbuf_free_bulk(pkts + sent, kBurst - sent);
    }
    if (rte_get_tsc_cycles() >= next_report) {
      std::printf("rx_pps %lu tx_pps %lu\n", rx, tx);
      std::fflush(stdout);
      rx = tx = 0;
      next_report += hz;
    }
  }
  // Exit without stopping the ports: virtio-user in server mode can crash stopping a port whose
  // backend is gone (DPDK 22.11), and the process ends here anyway.
  return 0;
}
