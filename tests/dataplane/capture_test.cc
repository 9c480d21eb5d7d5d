// Tests of dataplane/capture.*: bursts tapped as the pipeline would, files read back twice, with
// libpcap (bytes, lengths, timestamps) and with a small pcapng block reader (direction flags,
// interface ids). Has its own main: DPDK's EAL in plain memory, and ring ports so that the
// pcapng files have interfaces (DPDK port ids deliberately differ from vigil's port indices).
#include "dataplane/capture.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace vigil {
namespace {

using Bytes = std::vector<uint8_t>;

rte_mempool* g_pool = nullptr;     // the test's frames
std::vector<uint16_t> g_dpdk_ids;  // DPDK port of vigil ports vm1, vm2, up, vm3

constexpr uint16_t kVm1 = 0, kVm2 = 1, kUp = 2, kVm3 = 3;
constexpr uint16_t kBlue = 0, kRed = 1;  // VLANs 10 and 20
constexpr uint64_t kBaseUs = 1'700'000'000'123'456;

// An Ethernet frame of `len` bytes (+4 when tagged) whose payload is `marker` repeated.
Bytes frame(uint8_t marker, int vlan = -1, uint8_t pcp = 0, size_t len = 64) {
  Bytes b = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};
  if (vlan >= 0) {
    for (uint8_t x : {uint8_t(0x81), uint8_t(0x00), uint8_t(pcp << 5 | vlan >> 8), uint8_t(vlan)}) {
      b.push_back(x);
    }
  }
  b.push_back(0x88);  // local experimental EtherType
  b.push_back(0xb5);
  const size_t total = len + (vlan >= 0 ? 4 : 0);
  while (b.size() < total) b.push_back(marker);  // (resize trips GCC 12's -Warray-bounds)
  return b;
}

Bytes strip(Bytes b) {
  b.erase(b.begin() + 12, b.begin() + 16);
  return b;
}

Bytes push(const Bytes& b, uint16_t tci) {
  Bytes out(b.begin(), b.begin() + 12);
  for (uint8_t x : {uint8_t(0x81), uint8_t(0x00), uint8_t(tci >> 8), uint8_t(tci)}) {
    out.push_back(x);
  }
  for (size_t i = 12; i < b.size(); ++i) out.push_back(b[i]);
  return out;
}

struct Packet {
  Bytes bytes;
  uint64_t ts_ns = 0;
  uint32_t orig_len = 0;
  uint32_t ifid = 0;
  uint32_t flags = 0;  // epb_flags: 1 inbound, 2 outbound
};

uint32_t u32(const Bytes& f, size_t at) {
  uint32_t v;
  std::memcpy(&v, f.data() + at, 4);
  return v;
}

// The Enhanced Packet Blocks of a pcapng file written on this host, and its interface count.
std::vector<Packet> read_blocks(const std::string& path, size_t* interfaces) {
  std::ifstream in(path, std::ios::binary);
  const Bytes f((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Packet> out;
  *interfaces = 0;
  size_t pos = 0;
  while (pos + 12 <= f.size()) {
    const uint32_t type = u32(f, pos), len = u32(f, pos + 4);
    if (len < 12 || len % 4 != 0 || pos + len > f.size() || u32(f, pos + len - 4) != len) {
      ADD_FAILURE() << path << ": bad block at " << pos;
      break;
    }
    if (type == 1) ++*interfaces;
    if (type == 6 && len >= 32) {
      Packet p;
      p.ifid = u32(f, pos + 8);
      p.ts_ns = uint64_t(u32(f, pos + 12)) << 32 | u32(f, pos + 16);
      const uint32_t cap = u32(f, pos + 20);
      p.orig_len = u32(f, pos + 24);
      EXPECT_LE(28 + cap + 4, len);
      p.bytes.assign(f.begin() + pos + 28, f.begin() + pos + 28 + cap);
      size_t opt = pos + 28 + (cap + 3) / 4 * 4;
      while (opt + 4 <= pos + len - 4) {
        const uint16_t code = uint16_t(f[opt] | f[opt + 1] << 8);
        const uint16_t olen = uint16_t(f[opt + 2] | f[opt + 3] << 8);
        if (code == 0 || opt + 4 + olen > pos + len - 4) break;
        if (code == 2 && olen == 4) p.flags = u32(f, opt + 4);
        opt += 4 + (olen + 3u) / 4 * 4;
      }
      out.push_back(p);
    }
    pos += len;
  }
  EXPECT_EQ(pos, f.size()) << path;
  return out;
}

// The same file through libpcap: frames and nanosecond timestamps.
std::vector<Packet> read_pcap(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  EXPECT_NE(p, nullptr) << err;
  std::vector<Packet> out;
  if (p == nullptr) return out;
  pcap_pkthdr* h;
  const u_char* data;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    Packet pk;
    pk.bytes.assign(data, data + h->caplen);
    pk.ts_ns = uint64_t(h->ts.tv_sec) * 1'000'000'000 + uint64_t(h->ts.tv_usec);
    pk.orig_len = h->len;
    out.push_back(pk);
  }
  EXPECT_EQ(rc, PCAP_ERROR_BREAK) << pcap_geterr(p);
  pcap_close(p);
  return out;
}

// One expected record: bytes, direction, frame time.
struct Want {
  Bytes bytes;
  bool out;
  uint64_t time_us;
};

class CaptureTest : public ::testing::Test {
 protected:
  CaptureTest() : tenancy_(spec(), {"vm1", "vm2", "up", "vm3"}) {
    char tmpl[] = "/tmp/vigil-capture-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~CaptureTest() override { std::filesystem::remove_all(dir_); }

  // Tenant blue (VLAN 10): vm1, vm2; red (VLAN 20): vm3; trunk "up" carries both, tagged.
  static TenancySpec spec() {
    const auto vm = [](const char* port, uint8_t mac) {
      VmSpec v;
      v.port = port;
      v.mac = {0x02, 0, 0, 0, 0, mac};
      return v;
    };
    TenancySpec s;
    s.tenants = {TenantSpec{"blue", 10, {vm("vm1", 1), vm("vm2", 2)}, {}},
                 TenantSpec{"red", 20, {vm("vm3", 3)}, {}}};
    s.trunks.push_back(TrunkSpec{"up", 0, {}});
    return s;
  }

  std::unique_ptr<CaptureTable> make(CaptureClock clock = CaptureClock::kFrameTime,
                                     uint32_t pool_size = 8191, uint32_t ring_size = 2048) {
    CaptureOptions o;
    o.dpdk_port_ids = g_dpdk_ids;
    o.clock = clock;
    o.pool_size = pool_size;
    o.ring_size = ring_size;
    std::string error;
    auto t = CaptureTable::create(4, &error, o);
    EXPECT_NE(t, nullptr) << error;
    return t;
  }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  static rte_mbuf* mbuf(const Bytes& b) {
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    EXPECT_NE(m, nullptr);
    auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(b.size())));
    EXPECT_NE(d, nullptr);
    if (!b.empty()) std::memcpy(d, b.data(), b.size());
    return m;
  }

  // Appends a frame to `batch` as the stages before tap would leave it.
  static PacketMeta& add(PacketBatch& batch, const Bytes& b, uint16_t in, uint16_t out,
                         uint16_t tenant) {
    const uint16_t i = batch.count++;
    batch.pkts[i] = mbuf(b);
    PacketMeta& m = batch.meta[i];
    m = PacketMeta{};
    m.in_port = in;
    m.out_port = out;
    m.tenant = tenant;
    m.tagged = b.size() >= 16 && b[12] == 0x81 && b[13] == 0x00;
    if (m.tagged) {
      m.vlan_id = uint16_t((b[14] & 0x0f) << 8 | b[15]);
      m.pcp = uint8_t(b[14] >> 5);
    }
    m.time_us = kBaseUs + i;
    return m;
  }

  void tap(CaptureTable& t, PacketBatch& batch) {
    t.tap(batch, tenancy_);
    for (uint16_t i = 0; i < batch.count; ++i) rte_pktmbuf_free(batch.pkts[i]);
    batch.clear();
  }

  // Checks `file` holds exactly `want`, in order, as port `port` (vigil index).
  static void expect_file(const std::string& file, uint16_t port, const std::vector<Want>& want) {
    size_t interfaces = 0;
    const std::vector<Packet> blocks = read_blocks(file, &interfaces);
    const std::vector<Packet> frames = read_pcap(file);
    EXPECT_EQ(interfaces, rte_eth_dev_count_avail());
    ASSERT_EQ(blocks.size(), want.size()) << file;
    ASSERT_EQ(frames.size(), want.size()) << file;
    for (size_t i = 0; i < want.size(); ++i) {
      SCOPED_TRACE(file + " record " + std::to_string(i));
      EXPECT_EQ(frames[i].bytes, want[i].bytes);
      EXPECT_EQ(blocks[i].bytes, want[i].bytes);
      EXPECT_EQ(frames[i].orig_len, want[i].bytes.size());
      EXPECT_EQ(blocks[i].flags & 3, want[i].out ? 2u : 1u);
      EXPECT_EQ(blocks[i].ifid, g_dpdk_ids[port]);  // ring ports are all the ethdevs, in order
      EXPECT_EQ(frames[i].ts_ns, want[i].time_us * 1000);
    }
  }

  TenancyMap tenancy_;
  std::string dir_;
};

TEST_F(CaptureTest, RecordsInOutFloodAndDropsOnTwoPortsAtOnce) {
  auto t = make();
  ASSERT_NE(t, nullptr);
  std::string error;
  ASSERT_TRUE(t->start(kVm2, "vm2", path("vm2.pcapng"), 0, &error)) << error;
  ASSERT_TRUE(t->start(kUp, "up", path("up.pcapng"), 0, &error)) << error;
  const uint16_t blue_tag = 10, red_tag = 20;
  const Bytes a = frame(0xa), b = frame(0xb), c = frame(0xc), d = frame(0xd), e = frame(0xe),
              f = frame(0xf), g = frame(0x10, 10, 3), h = frame(0x11),
              reply = frame(0x12, -1, 0, 70), j = frame(0x13, 10, 5, 100), k = frame(0x14),
              l = frame(0x15, 10), reply_up = frame(0x16);
  PacketBatch batch;
  add(batch, a, kVm1, kVm2, kBlue);                                       // 0 unicast to vm2
  add(batch, b, kVm2, kVm1, kBlue);                                       // 1 from vm2
  add(batch, c, kVm1, kVm2, kBlue).drop = DropReason::kSpoofedSrcIp;      // 2 dropped, not sent
  add(batch, d, kVm2, kNoPort, kBlue).drop = DropReason::kSpoofedSrcMac;  // 3 dropped from vm2
  add(batch, e, kVm1, kFloodPort, kBlue);                                 // 4 flood
  add(batch, f, kVm2, kFloodPort, kBlue);                                 // 5 flood from vm2
  add(batch, g, kUp, kFloodPort, kBlue);                                  // 6 tagged flood
  add(batch, h, kVm1, kUp, kBlue);                                        // 7 to the trunk
  PacketMeta& r = add(batch, reply, kVm2, kVm2, kBlue);                   // 8 reject reply
  r.drop = DropReason::kSpoofedSrcIp;
  r.reply = true;
  const uint64_t t0 = kBaseUs;
  tap(*t, batch);
  add(batch, j, kUp, kVm2, kBlue);                                     // 0 tagged unicast
  add(batch, k, kVm3, kFloodPort, kRed);                               // 1 other tenant
  add(batch, l, kUp, kNoPort, kBlue).drop = DropReason::kUnknownVlan;  // 2 dropped on trunk
  PacketMeta& r2 = add(batch, reply_up, kUp, kUp, kBlue);              // 3 reply to trunk
  r2.drop = DropReason::kSpoofedSrcIp;
  r2.reply = true;
  tap(*t, batch);

  const std::vector<CaptureInfo> running = t->list();
  ASSERT_EQ(running.size(), 2u);
  EXPECT_EQ(running[0].port, "vm2");
  EXPECT_EQ(running[1].port, "up");
  EXPECT_TRUE(running[0].active);

  CaptureInfo vm2, up;
  ASSERT_TRUE(t->stop(kVm2, &vm2));
  ASSERT_TRUE(t->stop(kUp, &up));
  EXPECT_EQ(vm2.port, "vm2");
  EXPECT_EQ(vm2.file, path("vm2.pcapng"));
  EXPECT_EQ(vm2.packets, 8u);
  EXPECT_EQ(vm2.dropped, 0u);
  EXPECT_FALSE(vm2.active);
  EXPECT_EQ(up.packets, 8u);
  EXPECT_EQ(up.dropped, 0u);
  EXPECT_TRUE(t->list().empty());

  expect_file(path("vm2.pcapng"), kVm2,
              {{a, true, t0 + 0},
               {b, false, t0 + 1},
               {d, false, t0 + 3},
               {e, true, t0 + 4},
               {f, false, t0 + 5},
               {strip(g), true, t0 + 6},
               {reply, true, t0 + 8},
               {strip(j), true, t0 + 0}});
  expect_file(path("up.pcapng"), kUp,
              {{push(e, blue_tag), true, t0 + 4},
               {push(f, blue_tag), true, t0 + 5},
               {g, false, t0 + 6},
               {push(h, blue_tag), true, t0 + 7},
               {j, false, t0 + 0},
               {push(k, red_tag), true, t0 + 1},
               {l, false, t0 + 2},
               {push(reply_up, blue_tag), true, t0 + 3}});
  struct stat st;
  ASSERT_EQ(stat(path("vm2.pcapng").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST_F(CaptureTest, TaggedFrameToATrunkKeepsItsTagWithTheTenantsVlanAndPcp) {
  auto t = make();
  ASSERT_NE(t, nullptr);
  std::string error;
  ASSERT_TRUE(t->start(kUp, "up", path("up.pcapng"), 0, &error)) << error;
  // A tagged frame switched back out of a trunk is re-tagged by tx: same VID, the frame's PCP,
  // DEI cleared (0x1000 set in the received tag).
  Bytes in = frame(0x20, 10, 6);
  in[14] |= 0x10;
  PacketBatch batch;
  add(batch, in, kUp, kUp, kBlue);
  tap(*t, batch);
  CaptureInfo info;
  ASSERT_TRUE(t->stop(kUp, &info));
  Bytes want = in;
  want[14] &= ~0x10;
  expect_file(path("up.pcapng"), kUp, {{in, false, kBaseUs}, {want, true, kBaseUs}});
}

TEST_F(CaptureTest, StopsRecordingAfterMaxPackets) {
  auto t = make();
  ASSERT_NE(t, nullptr);
  std::string error;
  ASSERT_TRUE(t->start(kVm1, "vm1", path("max.pcapng"), 3, &error)) << error;
  PacketBatch batch;
  std::vector<Bytes> sent;
  for (uint8_t i = 0; i < 5; ++i) {
    sent.push_back(frame(0x30 + i));
    add(batch, sent.back(), kVm1, kVm2, kBlue);
  }
  tap(*t, batch);
  const std::vector<CaptureInfo> running = t->list();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_FALSE(running[0].active);  // finished, listed until stopped
  EXPECT_EQ(running[0].max_packets, 3u);
  add(batch, frame(0x40), kVm2, kVm1, kBlue);  // the capture takes nothing more
  tap(*t, batch);
  CaptureInfo info;
  ASSERT_TRUE(t->stop(kVm1, &info));
  EXPECT_EQ(info.packets, 3u);
  EXPECT_EQ(info.dropped, 0u);
  EXPECT_EQ(info.max_packets, 3u);
  expect_file(
      path("max.pcapng"), kVm1,
      {{sent[0], false, kBaseUs}, {sent[1], false, kBaseUs + 1}, {sent[2], false, kBaseUs + 2}});
}

TEST_F(CaptureTest, RefusesBadRequestsWithAReason) {
  auto t = make();
  ASSERT_NE(t, nullptr);
  std::string error;
  ASSERT_TRUE(t->start(kVm1, "vm1", path("one.pcapng"), 0, &error)) << error;

  EXPECT_FALSE(t->start(kVm1, "vm1", path("two.pcapng"), 0, &error));
  EXPECT_NE(error.find("vm1 is already being captured to " + path("one.pcapng")), std::string::npos)
      << error;
  EXPECT_FALSE(std::filesystem::exists(path("two.pcapng")));

  error.clear();
  EXPECT_FALSE(t->start(kVm2, "vm2", path("missing/dir/x.pcapng"), 0, &error));
  EXPECT_NE(
      error.find("cannot create " + path("missing/dir/x.pcapng") + ": No such file or directory"),
      std::string::npos)
      << error;

  error.clear();
  EXPECT_FALSE(t->start(kVm2, "vm2", path("one.pcapng"), 0, &error));  // never overwritten
  EXPECT_NE(error.find("File exists"), std::string::npos) << error;

  error.clear();
  EXPECT_FALSE(t->start(4, "nope", path("x.pcapng"), 0, &error));
  EXPECT_EQ(error, "capture: no port 4");
  error.clear();
  EXPECT_FALSE(t->start(kVm2, "vm2", path("x.pcapng"), uint64_t{1} << 40, &error));
  EXPECT_NE(error.find("max_packets"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(t->start(kVm2, "vm2", "", 0, &error));
  EXPECT_EQ(error, "capture: no file name");

  CaptureInfo info;
  EXPECT_FALSE(t->stop(kVm2, &info));  // never started
  EXPECT_FALSE(t->stop(200, &info));   // no such port
  ASSERT_EQ(t->list().size(), 1u);
  EXPECT_EQ(t->list()[0].port, "vm1");

  // Refused requests left vm2 free to capture.
  ASSERT_TRUE(t->start(kVm2, "vm2", path("vm2.pcapng"), 0, &error)) << error;
  ASSERT_TRUE(t->stop(kVm1, &info));
  EXPECT_FALSE(t->stop(kVm1, &info));  // already stopped
  EXPECT_EQ(t->list().size(), 1u);

  // A port without a DPDK device is refused before any file is made.
  CaptureOptions o;
  o.dpdk_port_ids = {g_dpdk_ids[0], RTE_MAX_ETHPORTS - 1};
  auto bad = CaptureTable::create(2, &error, o);
  ASSERT_NE(bad, nullptr) << error;
  EXPECT_FALSE(bad->start(1, "ghost", path("ghost.pcapng"), 0, &error));
  EXPECT_NE(error.find("ghost has no DPDK port"), std::string::npos) << error;
  EXPECT_FALSE(std::filesystem::exists(path("ghost.pcapng")));

  EXPECT_EQ(CaptureTable::create(0, &error), nullptr);
  EXPECT_NE(error.find("0 ports"), std::string::npos) << error;
  EXPECT_EQ(CaptureTable::create(65, &error), nullptr);
  o.dpdk_port_ids = {1, 2, 3};
  EXPECT_EQ(CaptureTable::create(2, &error, o), nullptr);
  EXPECT_NE(error.find("3 DPDK port ids for 2 ports"), std::string::npos) << error;
}

TEST_F(CaptureTest, NoCaptureMeansTapTouchesNothing) {
  auto t = make();
  ASSERT_NE(t, nullptr);
  // Frames tap must not look at: null mbufs, a tenant that does not exist. Reading any of them
  // would crash.
  PacketBatch batch;
  batch.count = kBurstSize;
  for (uint16_t i = 0; i < kBurstSize; ++i) {
    batch.pkts[i] = nullptr;
    batch.meta[i] = PacketMeta{};
    batch.meta[i].in_port = kVm1;
    batch.meta[i].out_port = kFloodPort;
    batch.meta[i].tenant = 999;
  }
  t->tap(batch, tenancy_);
  // The same after a capture came and went.
  std::string error;
  ASSERT_TRUE(t->start(kVm1, "vm1", path("gone.pcapng"), 0, &error)) << error;
  CaptureInfo info;
  ASSERT_TRUE(t->stop(kVm1, &info));
  EXPECT_EQ(info.packets, 0u);
  t->tap(batch, tenancy_);
  EXPECT_TRUE(t->list().empty());
  expect_file(path("gone.pcapng"), kVm1, {});
}

TEST_F(CaptureTest, ARestartedCaptureHoldsOnlyItsOwnFrames) {
  auto t = make();
  ASSERT_NE(t, nullptr);
  std::string error;
  CaptureInfo info;
  PacketBatch batch;
  const Bytes first = frame(0x50), second = frame(0x51);
  ASSERT_TRUE(t->start(kVm1, "vm1", path("first.pcapng"), 0, &error)) << error;
  add(batch, first, kVm1, kVm2, kBlue);
  tap(*t, batch);
  ASSERT_TRUE(t->stop(kVm1, &info));
  EXPECT_EQ(info.packets, 1u);
  add(batch, frame(0x5f), kVm1, kVm2, kBlue);  // between captures: nowhere
  tap(*t, batch);
  ASSERT_TRUE(t->start(kVm1, "vm1", path("second.pcapng"), 0, &error)) << error;
  add(batch, second, kVm2, kVm1, kBlue);
  tap(*t, batch);
  ASSERT_TRUE(t->stop(kVm1, &info));
  EXPECT_EQ(info.packets, 1u);
  expect_file(path("first.pcapng"), kVm1, {{first, false, kBaseUs}});
  expect_file(path("second.pcapng"), kVm1, {{second, true, kBaseUs}});
}

TEST_F(CaptureTest, LostCopiesAreCountedNotWaitedFor) {
  // A ring of 3 copies and a pool of 16: a burst of 32 cannot all be queued.
  auto t = make(CaptureClock::kFrameTime, 16, 4);
  ASSERT_NE(t, nullptr);
  std::string error;
  ASSERT_TRUE(t->start(kVm1, "vm1", path("lossy.pcapng"), 0, &error)) << error;
  PacketBatch batch;
  std::vector<Bytes> sent;
  for (uint16_t i = 0; i < kBurstSize; ++i) {
    sent.push_back(frame(static_cast<uint8_t>(i)));
    add(batch, sent.back(), kVm1, kVm2, kBlue);
  }
  tap(*t, batch);
  CaptureInfo info;
  ASSERT_TRUE(t->stop(kVm1, &info));
  EXPECT_EQ(info.packets + info.dropped, kBurstSize);
  EXPECT_GT(info.dropped, 0u);
  EXPECT_GE(info.packets, 3u);
  // What was written is a subsequence of what was tapped, in order.
  const std::vector<Packet> frames = read_pcap(path("lossy.pcapng"));
  ASSERT_EQ(frames.size(), info.packets);
  size_t next = 0;
  for (const Packet& p : frames) {
    while (next < sent.size() && sent[next] != p.bytes) ++next;
    ASSERT_LT(next, sent.size()) << "a frame out of order or not tapped";
    EXPECT_EQ(p.ts_ns, (kBaseUs + next) * 1000);
    ++next;
  }
}

TEST_F(CaptureTest, LongFramesAreTruncatedRuntsAndSegmentedOnesKept) {
  auto t = make();
  ASSERT_NE(t, nullptr);
  std::string error;
  ASSERT_TRUE(t->start(kVm1, "vm1", path("long.pcapng"), 0, &error)) << error;
  PacketBatch batch;
  const Bytes big = frame(0x60, -1, 0, 3000);
  add(batch, big, kVm1, kNoPort, kBlue).drop = DropReason::kOversized;
  // A two-segment frame of 1600 B.
  const Bytes chained = frame(0x61, -1, 0, 1600);
  rte_mbuf* head = mbuf(Bytes(chained.begin(), chained.begin() + 1000));
  rte_mbuf* tail = mbuf(Bytes(chained.begin() + 1000, chained.end()));
  ASSERT_EQ(rte_pktmbuf_chain(head, tail), 0);
  add(batch, frame(0), kVm1, kVm2, kBlue);
  rte_pktmbuf_free(batch.pkts[1]);
  batch.pkts[1] = head;
  const Bytes runt = {0xff};
  add(batch, runt, kVm1, kNoPort, kNoTenant).drop = DropReason::kRunt;
  // An empty mbuf: rte_pktmbuf_copy refuses it, the capture counts it lost.
  add(batch, {}, kVm1, kNoPort, kNoTenant).drop = DropReason::kRunt;
  tap(*t, batch);
  CaptureInfo info;
  ASSERT_TRUE(t->stop(kVm1, &info));
  EXPECT_EQ(info.packets, 3u);
  EXPECT_EQ(info.dropped, 1u);
  const std::vector<Packet> frames = read_pcap(path("long.pcapng"));
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[2].bytes, runt);
  EXPECT_EQ(frames[0].bytes, Bytes(big.begin(), big.begin() + 2048));
  EXPECT_EQ(frames[0].orig_len, 3000u);
  EXPECT_EQ(frames[1].bytes, chained);
  EXPECT_EQ(frames[1].orig_len, 1600u);
}

TEST_F(CaptureTest, WallClockStampsTheTapTime) {
  auto t = make(CaptureClock::kTsc);
  ASSERT_NE(t, nullptr);
  std::string error;
  ASSERT_TRUE(t->start(kVm1, "vm1", path("wall.pcapng"), 0, &error)) << error;
  const auto now_ns = [] {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
  };
  PacketBatch batch;
  add(batch, frame(0x70), kVm1, kVm2, kBlue);  // time_us (2023) is not used
  const uint64_t before = now_ns();
  tap(*t, batch);
  const uint64_t after = now_ns();
  CaptureInfo info;
  ASSERT_TRUE(t->stop(kVm1, &info));
  const std::vector<Packet> frames = read_pcap(path("wall.pcapng"));
  ASSERT_EQ(frames.size(), 1u);
  // The TSC's rate is measured, not exact: allow 50 ms of error either side.
  EXPECT_GE(frames[0].ts_ns + 50'000'000, before);
  EXPECT_LE(frames[0].ts_ns, after + 50'000'000);
}

TEST_F(CaptureTest, WorkersTapWhileCapturesStartAndStop) {
  auto t = make(CaptureClock::kFrameTime, 1023, 256);
  ASSERT_NE(t, nullptr);
  std::atomic<bool> done{false};
  // Each worker taps bursts of its own frames, numbered in their payload, into vm1.
  const auto worker = [&](uint8_t id) {
    PacketBatch batch;
    for (uint16_t i = 0; i < kBurstSize; ++i) add(batch, frame(id), kVm1, kVm2, kBlue);
    for (uint32_t seq = 0; !done.load(); ++seq) {
      for (uint16_t i = 0; i < kBurstSize; ++i) {
        const uint32_t n = seq * kBurstSize + i;
        std::memcpy(rte_pktmbuf_mtod_offset(batch.pkts[i], uint8_t*, 20), &n, 4);
        batch.meta[i].time_us = n;
      }
      t->tap(batch, tenancy_);
    }
    for (uint16_t i = 0; i < kBurstSize; ++i) rte_pktmbuf_free(batch.pkts[i]);
  };
  std::thread w1(worker, 1), w2(worker, 2);
  std::vector<CaptureInfo> infos;
  for (int round = 0; round < 8; ++round) {
    std::string error;
    const std::string file = path("round" + std::to_string(round) + ".pcapng");
    ASSERT_TRUE(t->start(kVm1, "vm1", file, round % 2 == 0 ? 0 : 500, &error)) << error;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CaptureInfo info;
    ASSERT_TRUE(t->stop(kVm1, &info));
    infos.push_back(info);
  }
  done = true;
  w1.join();
  w2.join();
  uint64_t total = 0;
  for (size_t round = 0; round < infos.size(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    size_t interfaces;
    const std::vector<Packet> blocks = read_blocks(infos[round].file, &interfaces);
    ASSERT_EQ(blocks.size(), infos[round].packets);
    if (round % 2 == 1) {
      EXPECT_LE(infos[round].packets + infos[round].dropped, 500u);
    }
    total += blocks.size();
    // Every record is a worker's frame, and each worker's frames are in the order tapped.
    int64_t last[3] = {-1, -1, -1};
    for (const Packet& p : blocks) {
      ASSERT_EQ(p.bytes.size(), 64u);
      const uint8_t id = p.bytes.back();
      ASSERT_TRUE(id == 1 || id == 2);
      uint32_t n;
      std::memcpy(&n, p.bytes.data() + 20, 4);
      EXPECT_EQ(p.ts_ns, uint64_t(n) * 1000);
      EXPECT_GT(int64_t(n), last[id]);
      last[id] = n;
    }
  }
  EXPECT_GT(total, 0u);
}

}  // namespace
}  // namespace vigil

// EAL in plain memory, then four ring ports behind a first one, so that vigil's port i is DPDK
// port i + 1.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (GTEST_FLAG_GET(list_tests)) return RUN_ALL_TESTS();
  std::vector<std::string> args = {argv[0],
                                   "--no-huge",
                                   "-m",
                                   "256",
                                   "--no-pci",
                                   "--no-shconf",
                                   "--no-telemetry",
                                   "-l",
                                   "0",
                                   "--file-prefix",
                                   "vigil-capture-test",
                                   "--log-level=*:error"};
  std::vector<char*> eal_argv;
  for (std::string& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "cannot initialise DPDK's EAL\n");
    return 1;
  }
  vigil::g_pool = rte_pktmbuf_pool_create("capture_test", 1023, 0, 0, 4096 + RTE_PKTMBUF_HEADROOM,
                                          SOCKET_ID_ANY);
  if (vigil::g_pool == nullptr) {
    std::fprintf(stderr, "cannot create the test's mbuf pool\n");
    return 1;
  }
  for (int i = 0; i < 5; ++i) {
    const std::string name = "cap_test_" + std::to_string(i);
    rte_ring* r = rte_ring_create(name.c_str(), 64, SOCKET_ID_ANY, 0);
    const int id =
        r == nullptr ? -1 : rte_eth_from_rings(name.c_str(), &r, 1, &r, 1, SOCKET_ID_ANY);
    if (id < 0) {
      std::fprintf(stderr, "cannot create ring port %s\n", name.c_str());
      return 1;
    }
    if (i > 0) vigil::g_dpdk_ids.push_back(static_cast<uint16_t>(id));
  }
  const int rc = RUN_ALL_TESTS();
  rte_eal_cleanup();
  return rc;
}
