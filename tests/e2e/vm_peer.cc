// vm_peer: one simulated VM on a DPDK virtio-user port (the vhost-user frontend, as QEMU would be).
// Sends a gratuitous ARP whenever its link comes up, then UDP datagrams round-robin to its peers at
// a fixed rate; counts received frames by source MAC; writes its counters as JSON every second and
// at exit (SIGINT/SIGTERM or --duration). SIGUSR1 stops sending, so a test can quiesce the traffic
// before comparing counters. Sleeps between 10 ms ticks: it never busy-polls.
#include <arpa/inet.h>
#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr uint16_t kUdpPort = 5001;
constexpr uint32_t kMagic = 0x5649474c;  // "VIGL", first payload word; then the sequence number
constexpr uint16_t kPayload = 32;
volatile std::sig_atomic_t g_stop = 0, g_quiet = 0;  // SIGUSR1: stop sending, keep receiving

struct Peer {
  rte_ether_addr mac;
  uint32_t ip;  // network order
};

struct Options {
  std::string socket, stats, eal;
  bool server = false;
  Peer self{};
  std::vector<Peer> peers;
  double pps = 200, duration = 0;
  double queues = 1;  // queue pairs the device offers; the VM uses one, like a 1-vCPU guest
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(
      stderr,
      "vm_peer: %s\nusage: vm_peer --socket PATH [--server] --mac MAC --ip A.B.C.D "
      "--peers MAC/IP,... [--pps N] [--duration S] [--queues N] [--stats FILE] [--eal \"ARGS\"]\n",
      why.c_str());
  std::exit(2);
}

Peer ParsePeer(const std::string& mac, const std::string& ip) {
  Peer p{};
  in_addr a{};
  if (rte_ether_unformat_addr(mac.c_str(), &p.mac) != 0) Usage("bad MAC '" + mac + "'");
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1) Usage("bad IPv4 '" + ip + "'");
  p.ip = a.s_addr;
  return p;
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  std::string mac, ip, peers;
  const std::map<std::string, std::string*> text{{"--socket", &o.socket}, {"--mac", &mac},
                                                 {"--ip", &ip},           {"--peers", &peers},
                                                 {"--stats", &o.stats},   {"--eal", &o.eal}};
  const std::map<std::string, double*> number{
      {"--pps", &o.pps}, {"--duration", &o.duration}, {"--queues", &o.queues}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--server") {
      o.server = true;
    } else if (auto t = text.find(a); t != text.end()) {
      *t->second = value();
    } else if (auto d = number.find(a); d != number.end()) {
      std::string v = value();
      char* end = nullptr;
      *d->second = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0') Usage(a + " takes a number, not '" + v + "'");
    } else {
      Usage("unknown option " + a);
    }
  }
  if (o.socket.empty() || mac.empty() || ip.empty()) Usage("--socket, --mac and --ip are required");
  if (o.pps <= 0 || o.pps > 100000) Usage("--pps must be in (0, 100000]");
  if (o.queues < 1 || o.queues > 8 || o.queues != int(o.queues)) Usage("--queues must be 1..8");
  o.self = ParsePeer(mac, ip);
  std::stringstream ss(peers);
  for (std::string item; std::getline(ss, item, ',');) {
    auto slash = item.find('/');
    if (slash == std::string::npos) Usage("peer '" + item + "' is not MAC/IP");
    o.peers.push_back(ParsePeer(item.substr(0, slash), item.substr(slash + 1)));
  }
  return o;
}

std::string MacString(const rte_ether_addr& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m.addr_bytes[0], m.addr_bytes[1],
                m.addr_bytes[2], m.addr_bytes[3], m.addr_bytes[4], m.addr_bytes[5]);
  return buf;
}

// EAL defaults; an --eal option of the same kind (cores, memory) replaces the default.
std::vector<std::string> EalArgs(const Options& o) {
  std::vector<std::string> user, args{"vm_peer", "--no-pci", "--no-telemetry", "--log-level=4"};
  std::stringstream ss(o.eal);
  for (std::string t; ss >> t;) user.push_back(t);
  auto has = [&](std::initializer_list<const char*> keys) {
    for (auto& t : user)
      for (auto* k : keys)
        if (t == k || t.rfind(std::string(k) + "=", 0) == 0) return true;
    return false;
  };
  if (!has({"-l", "--lcores", "-c"})) args.insert(args.end(), {"-l", "0"});
  if (!has({"--no-huge", "--in-memory", "-m", "--socket-mem", "--huge-unlink"}))
    args.insert(args.end(), {"--no-huge", "-m", "256"});
  else if (!has({"--no-huge"}))
    args.push_back("--single-file-segments");  // virtio-user needs fd-shareable memory
  if (!has({"--file-prefix"})) args.push_back("--file-prefix=vmpeer" + std::to_string(getpid()));
  args.insert(args.end(), user.begin(), user.end());
  args.push_back("--vdev=net_virtio_user0,path=" + o.socket +
                 ",queues=" + std::to_string(int(o.queues)) + ",mac=" + MacString(o.self.mac) +
                 (o.server ? ",server=1" : ""));
  return args;
}

rte_mbuf* BuildGarp(rte_mempool* pool, const Peer& self) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) return nullptr;
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  std::memset(eth->dst_addr.addr_bytes, 0xff, RTE_ETHER_ADDR_LEN);
  eth->src_addr = self.mac;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
  *arp = rte_arp_hdr{};
  arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = RTE_ETHER_ADDR_LEN;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
  arp->arp_data.arp_sha = self.mac;
  arp->arp_data.arp_sip = self.ip;
  arp->arp_data.arp_tip = self.ip;
  m->data_len = m->pkt_len = RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN;  // padded to 60 B
  std::memset(arp + 1, 0, m->data_len - sizeof(*eth) - sizeof(*arp));
  return m;
}

rte_mbuf* BuildUdp(rte_mempool* pool, const Peer& self, const Peer& dst, uint64_t seq) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) return nullptr;
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  eth->dst_addr = dst.mac;
  eth->src_addr = self.mac;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
  *ip = rte_ipv4_hdr{};
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(rte_udp_hdr) + kPayload);
  ip->packet_id = rte_cpu_to_be_16(static_cast<uint16_t>(seq));
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_UDP;
  ip->src_addr = self.ip;
  ip->dst_addr = dst.ip;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  udp->src_port = udp->dst_port = rte_cpu_to_be_16(kUdpPort);
  udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + kPayload);
  udp->dgram_cksum = 0;
  auto* payload = reinterpret_cast<uint8_t*>(udp + 1);
  std::memset(payload, 0, kPayload);
  uint32_t magic = rte_cpu_to_be_32(kMagic);
  uint64_t seq_be = rte_cpu_to_be_64(seq);
  std::memcpy(payload, &magic, sizeof magic);
  std::memcpy(payload + sizeof magic, &seq_be, sizeof seq_be);
  m->data_len = m->pkt_len = sizeof(*eth) + sizeof(*ip) + sizeof(*udp) + kPayload;
  return m;
}

struct Counters {
  uint64_t sent = 0, tx_failed = 0, garps = 0, link_ups = 0;
  double link_up_seconds = 0;
  bool link_up = false;
  std::map<std::string, uint64_t> received, broadcast, not_for_me;
  std::map<std::string, uint64_t> last_seq, out_of_order;  // a sequence number not above the last
};

void WriteStats(const std::string& path, const Counters& c) {
  if (path.empty()) return;
  auto map_json = [](const std::map<std::string, uint64_t>& m) {
    std::string s = "{";
    for (auto& [k, v] : m) s += (s.size() > 1 ? ", \"" : "\"") + k + "\": " + std::to_string(v);
    return s + "}";
  };
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << "{\"sent\": " << c.sent << ", \"tx_failed\": " << c.tx_failed << ", \"garps\": " << c.garps
      << ", \"received\": " << map_json(c.received) << ", \"broadcast\": " << map_json(c.broadcast)
      << ", \"not_for_me\": " << map_json(c.not_for_me)
      << ", \"out_of_order\": " << map_json(c.out_of_order) << ", \"link\": \""
      << (c.link_up ? "up" : "down") << "\", \"link_ups\": " << c.link_ups
      << ", \"link_up_seconds\": " << c.link_up_seconds << "}\n";
  }
  std::rename(tmp.c_str(), path.c_str());
}

// Counts a frame addressed to us; a vm_peer datagram whose sequence number is not above the last
// one from the same source (duplicated or reordered) is counted as out of order too.
void CountUnicast(rte_mbuf* m, const std::string& src, Counters& c) {
  ++c.received[src];
  constexpr size_t kOff = sizeof(rte_ether_hdr) + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr);
  if (rte_pktmbuf_data_len(m) < kOff + 12) return;
  auto* payload = rte_pktmbuf_mtod_offset(m, const uint8_t*, kOff);
  uint32_t magic;
  uint64_t seq;
  std::memcpy(&magic, payload, sizeof magic);
  std::memcpy(&seq, payload + sizeof magic, sizeof seq);
  if (rte_be_to_cpu_32(magic) != kMagic) return;
  seq = rte_be_to_cpu_64(seq) + 1;  // stored +1: 0 means none yet
  auto& last = c.last_seq[src];
  if (seq <= last) ++c.out_of_order[src];
  last = std::max(last, seq);
}

void Receive(uint16_t port, const Peer& self, Counters& c) {
  rte_mbuf* pkts[32];
  for (uint16_t n; (n = rte_eth_rx_burst(port, 0, pkts, 32)) > 0;) {
    for (uint16_t i = 0; i < n; ++i) {
      if (rte_pktmbuf_data_len(pkts[i]) >= sizeof(rte_ether_hdr)) {
        auto* eth = rte_pktmbuf_mtod(pkts[i], rte_ether_hdr*);
        std::string src = MacString(eth->src_addr);
        if (rte_is_multicast_ether_addr(&eth->dst_addr))
          ++c.broadcast[src];
        else if (rte_is_same_ether_addr(&eth->dst_addr, &self.mac))
          CountUnicast(pkts[i], src, c);
        else
          ++c.not_for_me[src];
      }
      rte_pktmbuf_free(pkts[i]);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = ParseArgs(argc, argv);
  std::vector<std::string> eal = EalArgs(opt);
  std::vector<char*> eal_argv;
  for (auto& s : eal) eal_argv.push_back(s.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "vm_peer: EAL init failed: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  std::signal(SIGUSR1, [](int) { g_quiet = 1; });

  uint16_t port = 0;
  rte_mempool* pool = rte_pktmbuf_pool_create("vm_peer", 2047, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                              static_cast<int>(rte_socket_id()));
  rte_eth_conf conf{};
  if (rte_eth_dev_count_avail() != 1 || pool == nullptr ||
      rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
      rte_eth_rx_queue_setup(port, 0, 256, rte_eth_dev_socket_id(port), nullptr, pool) != 0 ||
      rte_eth_tx_queue_setup(port, 0, 256, rte_eth_dev_socket_id(port), nullptr) != 0 ||
      rte_eth_dev_start(port) != 0) {
    std::fprintf(stderr, "vm_peer: port setup failed (%s)\n", rte_strerror(rte_errno));
    rte_eal_cleanup();
    return 1;
  }

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto tick = std::chrono::milliseconds(10);
  auto last_stats = start, last_link = start, next = start;
  Counters c;
  double credit = 0;
  // Sequence numbers start at the wall clock in microseconds: a restarted VM continues above its
  // previous life's, so a receiver's duplicate/reorder count stays meaningful across restarts.
  uint64_t seq = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  size_t next_peer = 0;
  while (!g_stop) {
    auto now = Clock::now();
    if (opt.duration > 0 && now - start >= std::chrono::duration<double>(opt.duration)) break;
    if (now - last_link >= std::chrono::milliseconds(100)) {  // also drives server-mode reconnect
      if (c.link_up) c.link_up_seconds += std::chrono::duration<double>(now - last_link).count();
      last_link = now;
      rte_eth_link link{};
      rte_eth_link_get_nowait(port, &link);
      bool up = link.link_status == RTE_ETH_LINK_UP;
      if (up && !c.link_up) {
        ++c.link_ups;
        if (rte_mbuf* garp = BuildGarp(pool, opt.self)) {
          if (rte_eth_tx_burst(port, 0, &garp, 1) == 1)
            ++c.garps;
          else
            rte_pktmbuf_free(garp);
        }
        credit = 0;
      }
      c.link_up = up;
    }
    Receive(port, opt.self, c);
    if (c.link_up && !g_quiet && !opt.peers.empty()) {
      credit = std::min(credit + opt.pps * 0.010, 32.0);
      rte_mbuf* burst[32];
      uint16_t n = 0;
      for (; n < static_cast<uint16_t>(credit); ++n) {
        burst[n] = BuildUdp(pool, opt.self, opt.peers[next_peer], seq + n);
        if (burst[n] == nullptr) break;
        next_peer = (next_peer + 1) % opt.peers.size();
      }
      uint16_t ok = rte_eth_tx_burst(port, 0, burst, n);
      rte_pktmbuf_free_bulk(burst + ok, n - ok);  // a full ring (peer not polling) loses them
      c.sent += ok;
      c.tx_failed += n - ok;
      seq += n;
      credit -= n;
    }
    if (now - last_stats >= std::chrono::seconds(1)) {
      last_stats = now;
      WriteStats(opt.stats, c);
    }
    next += tick;
    if (next < Clock::now()) next = Clock::now();
    std::this_thread::sleep_until(next);
  }
  WriteStats(opt.stats, c);
  // DPDK 22.11's virtio-user panics (eal-intr-thread: epoll_ctl EBADF) when stopped while its
  // backend is gone or after a server-mode reconnect: only a never-lost link is stopped gracefully.
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(port, &link) != 0 || link.link_status != RTE_ETH_LINK_UP ||
      c.link_ups != 1)
    std::_Exit(0);
  rte_eth_dev_stop(port);
  rte_eth_dev_close(port);
  rte_eal_cleanup();
  return 0;
}
