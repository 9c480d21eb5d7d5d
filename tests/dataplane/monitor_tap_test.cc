// Tests of dataplane/monitor_tap.*: crafted bursts (parsed by the real parser, stage verdicts set
// by hand) through MonitorTap, read back through MonitorCollector's samples and details. Holds
// the main of vigil_monitor_dp_tests: DPDK's EAL in plain memory and the tests' mbuf pool.
#include "dataplane/monitor_tap.h"

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/frame_parser.h"
#include "dataplane/reject_reply.h"
#include "tests/support/frame_builder.h"

namespace vigil::test {

rte_mempool* g_monitor_pool = nullptr;

namespace {

constexpr uint16_t kVm1 = 0, kVm2 = 1, kVm3 = 2, kUp = 3, kVm4 = 4;  // vm4 is in tenant red
constexpr uint16_t kBlue = 0;
constexpr uint64_t kT0 = 1'700'000'000'000'000;
constexpr std::array<uint8_t, 4> kVm1Ip = {10, 0, 10, 1}, kVm2Ip = {10, 0, 10, 2};
constexpr uint8_t kSyn = 0x02, kAck = 0x10, kRst = 0x04;

Bytes tcp(std::array<uint8_t, 4> src, std::array<uint8_t, 4> dst, uint16_t sport, uint16_t dport,
          uint8_t flags, int vlan = -1) {
  Bytes b = ipv4_on(ether(0x0800, vlan), 6, 20, 5, src, dst);
  const std::size_t l4 = b.size() - 20;
  put16(b, l4, sport);
  put16(b, l4 + 2, dport);
  b[l4 + 12] = 0x50;
  b[l4 + 13] = flags;
  return b;
}

Bytes udp(std::array<uint8_t, 4> src, std::array<uint8_t, 4> dst, uint16_t sport, uint16_t dport,
          int vlan = -1) {
  Bytes b = ipv4_on(ether(0x0800, vlan), 17, 8, 5, src, dst);
  const std::size_t l4 = b.size() - 8;
  put16(b, l4, sport);
  put16(b, l4 + 2, dport);
  put16(b, l4 + 4, 8);
  return b;
}

Bytes icmp(uint8_t type, int vlan = -1) {
  Bytes b = ipv4_on(ether(0x0800, vlan), 1, 8, 5, {192, 168, 1, 1}, kVm1Ip);
  b[b.size() - 8] = type;
  return b;
}

Bytes icmp6(uint8_t type, int vlan = -1) {
  Bytes b = ipv6_on(ether(0x86dd, vlan), 58, 8);
  b[b.size() - 8] = type;
  return b;
}

// A burst whose mbufs are freed with it. add() parses the frame as the parse stage would.
struct Burst {
  PacketBatch b;
  ~Burst() {
    for (uint16_t i = 0; i < b.count; ++i) rte_pktmbuf_free(b.pkts[i]);
  }
  PacketMeta& add(const Bytes& bytes, uint16_t in_port, uint16_t out_port,
                  DropReason drop = DropReason::kNone, uint64_t time_us = kT0) {
    rte_mbuf* m = rte_pktmbuf_alloc(g_monitor_pool);
    EXPECT_NE(m, nullptr);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size())), bytes.data(),
                bytes.size());
    PacketMeta& meta = b.meta[b.count];
    meta = PacketMeta{};
    EXPECT_EQ(parse_frame(bytes.data(), static_cast<uint32_t>(bytes.size()), {}, meta),
              DropReason::kNone);
    meta.in_port = in_port;
    meta.time_us = time_us;
    meta.tenant = in_port == kVm4 ? 1 : kBlue;
    meta.out_port = out_port;
    meta.drop = drop;
    b.pkts[b.count++] = m;
    return meta;
  }
  bool full() const { return b.count == kBurstSize; }
};

class MonitorTapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TenancySpec spec;
    TenantSpec blue{"blue", 10, {}, {}};
    TenantSpec red{"red", 20, {}, {}};
    for (const char* name : {"vm1", "vm2", "vm3"}) {
      VmSpec vm;
      vm.port = name;
      vm.mac = {0x02, 0, 0, 0, 0, static_cast<uint8_t>(blue.vms.size() + 1)};
      vm.ipv4 = {{10, 0, 10, static_cast<uint8_t>(blue.vms.size() + 1)}};
      blue.vms.push_back(vm);
    }
    VmSpec vm4;
    vm4.port = "vm4";
    vm4.mac = {0x02, 0, 0, 0, 0, 4};
    red.vms.push_back(vm4);
    spec.tenants = {blue, red};
    spec.trunks.push_back(TrunkSpec{"up", 0, {}});
    state_ = build_switch_state(spec, {"vm1", "vm2", "vm3", "up", "vm4"});
    std::string error;
    collector_ = MonitorCollector::create(5, 2, &error, 8);
    ASSERT_NE(collector_, nullptr) << error;
  }

  // The sample of `port` from a collect() now.
  VmSample sample(uint16_t port) {
    for (const VmSample& s : collector_->collect(1.0, state_->vm_port)) {
      if (s.port == port) return s;
    }
    ADD_FAILURE() << "no sample for port " << port;
    return {};
  }
  std::vector<VmSample> collect() { return collector_->collect(1.0, state_->vm_port); }
  void observe(Burst& burst, unsigned worker = 0) {
    collector_->tap(worker).observe(burst.b, *state_);
  }

  std::unique_ptr<SwitchState> state_;
  std::unique_ptr<MonitorCollector> collector_;
};

TEST_F(MonitorTapTest, CountsFramesFromTheVmByKind) {
  Burst burst;
  burst.add(tcp(kVm1Ip, kVm2Ip, 40000, 22, kSyn), kVm1, kVm2);         // 54 B
  burst.add(tcp(kVm1Ip, kVm2Ip, 40000, 22, kSyn | kAck), kVm1, kVm2);  // 54 B
  burst.add(arp(1, kSrcMac, kVm1Ip, kVm2Ip), kVm1, kFloodPort);        // 42 B
  burst.add(udp(kVm1Ip, {10, 0, 10, 9}, 5000, 53), kVm1, kNoPort, DropReason::kPolicyDeny);
  burst.add(udp(kVm1Ip, {192, 0, 2, 1}, 5000, 22), kVm1, kNoPort, DropReason::kHostAccess);
  burst.add(udp({10, 9, 9, 9}, kVm2Ip, 5000, 80), kVm1, kNoPort, DropReason::kSpoofedSrcIp);
  burst.add(arp(2, kSrcMac, {10, 0, 10, 7}, kVm2Ip), kVm1, kNoPort, DropReason::kSpoofedArp);
  burst.add(tcp(kVm1Ip, kVm2Ip, 40001, 22, kSyn), kVm1, kNoPort, DropReason::kMonitorConnLimit);
  burst.add(udp(kVm1Ip, kVm2Ip, 5000, 80), kVm1, kNoPort, DropReason::kMonitorRateLimit);
  observe(burst);

  const std::vector<VmSample> samples = collect();
  ASSERT_EQ(samples.size(), 4u);  // vm1, vm2, vm3, vm4: the trunk has none
  const VmSample& s = samples[0];
  EXPECT_EQ(s.port, kVm1);
  EXPECT_EQ(s.out_packets, 9u);
  EXPECT_EQ(s.out_bytes, 54u * 3 + 42 * 2 + 42 * 4);
  EXPECT_EQ(s.out_syn, 2u);  // the SYN-ACK is no attempt; the limited SYN is one
  EXPECT_EQ(s.out_arp, 2u);
  EXPECT_EQ(s.host_access, 1u);
  EXPECT_EQ(s.spoofed, 2u);
  EXPECT_EQ(s.limited, 2u);
  EXPECT_EQ(s.other_drops, 1u);
  EXPECT_EQ(s.in_packets, 0u);
  // Destinations: 10.0.10.2, .9, 192.0.2.1 (ARP targets count); ports 22/tcp, 53, 22, 80/udp.
  EXPECT_NEAR(s.distinct_dst_ips, 3, 0.1);
  EXPECT_NEAR(s.distinct_dst_ports, 4, 0.1);
  EXPECT_NEAR(s.distinct_inner_dsts, 1, 0.1);  // only the unicasts to vm2

  // vm2 received the two unicasts and the ARP flood; vm3 the flood; vm4 (red) nothing.
  EXPECT_EQ(samples[1].in_packets, 3u);
  EXPECT_EQ(samples[1].in_bytes, 54u * 2 + 42);
  EXPECT_EQ(samples[1].in_syn, 1u);
  EXPECT_EQ(samples[1].in_synack, 1u);
  EXPECT_NEAR(samples[1].distinct_src_ips, 1, 0.1);
  EXPECT_EQ(samples[1].out_packets, 0u);
  EXPECT_EQ(samples[2].in_packets, 1u);
  EXPECT_EQ(samples[3].port, kVm4);
  EXPECT_EQ(samples[3].in_packets, 0u);
}

TEST_F(MonitorTapTest, CountsAnswersAndRefusalsToTheVm) {
  Burst burst;
  const std::array<uint8_t, 4> far = {198, 51, 100, 7};
  burst.add(tcp(far, kVm1Ip, 443, 40000, kSyn | kAck, 10), kUp, kVm1);  // tagged: 58 B
  burst.add(tcp(far, kVm1Ip, 443, 40001, kRst | kAck, 10), kUp, kVm1);
  burst.add(tcp(far, kVm1Ip, 5555, 22, kSyn, 10), kUp, kVm1);
  burst.add(icmp(3, 10), kUp, kVm1);  // unreachable
  burst.add(icmp(8, 10), kUp, kVm1);  // echo request: nothing special
  burst.add(icmp6(1), kVm2, kVm1);    // ICMPv6 unreachable, from a neighbour
  burst.add(tcp(far, kVm1Ip, 443, 40002, kRst, 10), kUp, kVm1, DropReason::kTcpInvalid);
  observe(burst);

  const VmSample s = sample(kVm1);
  EXPECT_EQ(s.in_packets, 6u);  // the dropped RST never reached the VM
  EXPECT_EQ(s.in_bytes, 54u * 3 + 42 * 2 + (14 + 40 + 8));
  EXPECT_EQ(s.in_synack, 1u);
  EXPECT_EQ(s.in_rst, 1u);
  EXPECT_EQ(s.in_syn, 1u);
  EXPECT_EQ(s.in_unreachable, 2u);
  EXPECT_NEAR(s.distinct_src_ips, 3, 0.1);  // far, 192.168.1.1, fd00:10::1
  EXPECT_EQ(s.out_packets, 0u);
}

TEST_F(MonitorTapTest, RejectRepliesCountAsAttemptAndRefusal) {
  // The firewall rejected vm1's SYN to 10.0.10.7:443 and a UDP datagram to :161: the mbufs now
  // hold the RST and the ICMP unreachable sent back to vm1.
  Burst burst;
  collector_->set_detail(kVm1, true);
  for (const Bytes& orig :
       {tcp(kVm1Ip, {10, 0, 10, 7}, 40000, 443, kSyn), udp(kVm1Ip, {10, 0, 10, 7}, 40000, 161)}) {
    PacketMeta parsed;
    ASSERT_EQ(parse_frame(orig.data(), static_cast<uint32_t>(orig.size()), {}, parsed),
              DropReason::kNone);
    Bytes reply(kRejectReplyMax);
    reply.resize(
        build_reject_reply(orig.data(), static_cast<uint32_t>(orig.size()), parsed, reply.data()));
    ASSERT_FALSE(reply.empty());
    PacketMeta& m = burst.add(reply, kVm1, kVm1, DropReason::kPolicyReject);
    m.reply = true;
  }
  observe(burst);

  const VmSample s = sample(kVm1);
  EXPECT_EQ(s.out_packets, 2u);
  EXPECT_EQ(s.other_drops, 2u);
  EXPECT_EQ(s.out_syn, 1u);
  EXPECT_EQ(s.in_packets, 2u);
  EXPECT_EQ(s.in_rst, 1u);
  EXPECT_EQ(s.in_unreachable, 1u);
  EXPECT_NEAR(s.distinct_dst_ips, 1, 0.1);
  EXPECT_NEAR(s.distinct_dst_ports, 2, 0.1);  // 443/tcp and 161/udp, the latter from the quote

  const std::vector<DetailRecord> d = collector_->drain_details();
  ASSERT_EQ(d.size(), 4u);  // per reply: the VM's attempt, then the refusal it received
  EXPECT_FALSE(d[0].inbound);
  EXPECT_EQ(d[0].proto, 6);
  EXPECT_EQ(d[0].dport, 443);
  EXPECT_EQ(d[0].dst[3], 7);
  EXPECT_TRUE(d[1].inbound);
  EXPECT_EQ(d[1].tcp_flags, kRst | kAck);
  EXPECT_EQ(d[2].proto, 17);
  EXPECT_EQ(d[2].dport, 161);
  EXPECT_EQ(d[3].proto, 1);
}

TEST_F(MonitorTapTest, SketchesEstimateAThousandDestinations) {
  for (int i = 0; i < 1000;) {
    Burst burst;
    for (; i < 1000 && !burst.full(); ++i) {
      const std::array<uint8_t, 4> dst = {10, 1, static_cast<uint8_t>(i >> 8),
                                          static_cast<uint8_t>(i)};
      // The first 200 go to vm2 (a neighbour on this host), the rest out of the trunk.
      burst.add(udp(kVm1Ip, dst, 5000, static_cast<uint16_t>(1000 + i % 50)), kVm1,
                i < 200 ? kVm2 : kUp);
    }
    observe(burst, static_cast<unsigned>(i / kBurstSize % 2));  // spread over both workers
  }
  const std::vector<VmSample> samples = collect();
  const VmSample& s = samples[0];
  EXPECT_EQ(s.out_packets, 1000u);
  EXPECT_NEAR(s.distinct_dst_ips, 1000, 100);
  EXPECT_NEAR(s.distinct_dst_ports, 50, 5);
  EXPECT_NEAR(s.distinct_inner_dsts, 200, 20);
  EXPECT_EQ(samples[1].in_packets, 200u);
  EXPECT_NEAR(samples[1].distinct_src_ips, 1, 0.1);
}

TEST_F(MonitorTapTest, EachIntervalHasItsOwnSketches) {
  auto send = [&](int first, int n) {
    Burst burst;
    for (int i = first; i < first + n; ++i) {
      burst.add(udp(kVm1Ip, {10, 2, 0, static_cast<uint8_t>(i)}, 5000, 53), kVm1, kUp);
    }
    observe(burst);
  };
  const uint32_t e1 = collector_->epoch();
  send(0, 30);
  EXPECT_NEAR(sample(kVm1).distinct_dst_ips, 30, 1);
  EXPECT_EQ(collector_->epoch(), e1 + 1);

  send(100, 5);  // new addresses only: the old interval's 30 are not carried over
  VmSample s = sample(kVm1);
  EXPECT_NEAR(s.distinct_dst_ips, 5, 0.5);
  EXPECT_EQ(s.out_packets, 5u);

  // An interval without traffic: no counts, and the buffer of two intervals ago (same parity)
  // is not read again.
  s = sample(kVm1);
  EXPECT_EQ(s.out_packets, 0u);
  EXPECT_EQ(s.distinct_dst_ips, 0);

  send(0, 3);  // the buffer of the first interval is reused, cleared first
  EXPECT_NEAR(sample(kVm1).distinct_dst_ips, 3, 0.5);

  // The tap itself: worker 1 saw nothing, worker 0 tagged the interval it wrote.
  const uint32_t e = collector_->epoch();
  send(7, 1);
  TapSketches merged;
  EXPECT_TRUE(collector_->tap(0).merge_sketches(e, kVm1, merged));
  EXPECT_FALSE(collector_->tap(1).merge_sketches(e, kVm1, merged));
  EXPECT_FALSE(collector_->tap(0).merge_sketches(e - 2, kVm1, merged));  // same buffer
}

TEST_F(MonitorTapTest, CollectorSumsTheWorkersAndDifferences) {
  Burst a, b;
  a.add(udp(kVm1Ip, {10, 3, 0, 1}, 5000, 53), kVm1, kUp);
  a.add(udp(kVm1Ip, {10, 3, 0, 2}, 5000, 53), kVm1, kUp);
  b.add(udp(kVm1Ip, {10, 3, 0, 2}, 5000, 53), kVm1, kUp);
  b.add(udp(kVm1Ip, {10, 3, 0, 3}, 5000, 53), kVm1, kUp);
  b.add(udp(kVm1Ip, {10, 3, 0, 4}, 5000, 53), kVm1, kUp);
  observe(a, 0);
  observe(b, 1);
  VmSample s = sample(kVm1);
  EXPECT_EQ(s.out_packets, 5u);
  EXPECT_EQ(s.out_bytes, 5u * 42);
  EXPECT_NEAR(s.distinct_dst_ips, 4, 0.1);  // the union, not 2 + 3

  TapSnapshot raw;
  collector_->tap(0).read(kVm1, raw);
  collector_->tap(1).read(kVm1, raw);
  EXPECT_EQ(raw[TapCounter::kOutPackets], 5u);  // taps count since start; samples difference

  observe(a, 1);
  s = sample(kVm1);
  EXPECT_EQ(s.out_packets, 2u);
  EXPECT_NEAR(s.distinct_dst_ips, 2, 0.1);
}

TEST_F(MonitorTapTest, DetailsOnlyForLevelTwoPorts) {
  collector_->set_detail(kVm2, true);
  EXPECT_TRUE(collector_->detail(kVm2));
  EXPECT_FALSE(collector_->detail(kVm1));
  Burst burst;
  burst.add(tcp(kVm1Ip, {10, 0, 10, 3}, 40000, 22, kSyn, -1), kVm1, kVm3);  // neither
  burst.add(tcp(kVm2Ip, {10, 0, 10, 3}, 40001, 80, kSyn, -1), kVm2, kVm3, DropReason::kPolicyDeny,
            kT0 + 5);  // from vm2
  burst.add(tcp(kVm1Ip, kVm2Ip, 40002, 443, kSyn, -1), kVm1, kVm2, DropReason::kNone,
            kT0 + 6);  // to vm2
  burst.add(tcp(kVm1Ip, kVm2Ip, 40003, 443, kSyn, -1), kVm1, kVm2,
            DropReason::kPolicyDeny);  // dropped: never reaches vm2
  observe(burst);

  std::vector<DetailRecord> d = collector_->drain_details();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].port, kVm2);
  EXPECT_FALSE(d[0].inbound);
  EXPECT_EQ(d[0].time_us, kT0 + 5);
  EXPECT_EQ(d[0].family, 4);
  EXPECT_EQ(d[0].proto, 6);
  EXPECT_EQ(d[0].tcp_flags, kSyn);
  EXPECT_EQ(d[0].sport, 40001);
  EXPECT_EQ(d[0].dport, 80);
  EXPECT_EQ(d[0].length, 54);
  EXPECT_EQ(std::vector<uint8_t>(d[0].dst.begin(), d[0].dst.begin() + 4),
            (std::vector<uint8_t>{10, 0, 10, 3}));
  EXPECT_EQ(d[1].port, kVm2);
  EXPECT_TRUE(d[1].inbound);
  EXPECT_EQ(d[1].dport, 443);
  EXPECT_TRUE(collector_->drain_details().empty());

  // The ring holds 7 records: the rest are counted lost, never waited for.
  Burst many;
  for (int i = 0; i < 10; ++i) many.add(udp(kVm2Ip, kVm1Ip, 5000, 53), kVm2, kVm1);
  observe(many);
  EXPECT_EQ(collector_->drain_details().size(), 7u);
  EXPECT_EQ(collector_->details_lost(), 3u);

  collector_->set_detail(kVm2, false);
  Burst after;
  after.add(udp(kVm2Ip, kVm1Ip, 5000, 53), kVm2, kVm1);
  observe(after);
  EXPECT_TRUE(collector_->drain_details().empty());
}

TEST(MonitorCollectorCreate, RefusesBadSizes) {
  std::string error;
  EXPECT_EQ(MonitorCollector::create(0, 1, &error), nullptr);
  EXPECT_EQ(MonitorCollector::create(65, 1, &error), nullptr);
  EXPECT_EQ(MonitorCollector::create(4, 1, &error, 100), nullptr);  // not a power of two
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace vigil::test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (GTEST_FLAG_GET(list_tests)) return RUN_ALL_TESTS();
  char* eal_argv[] = {argv[0],
                      const_cast<char*>("--no-huge"),
                      const_cast<char*>("-m"),
                      const_cast<char*>("256"),
                      const_cast<char*>("--no-pci"),
                      const_cast<char*>("--no-shconf"),
                      const_cast<char*>("--no-telemetry"),
                      const_cast<char*>("-l"),
                      const_cast<char*>("0"),
                      const_cast<char*>("--file-prefix"),
                      const_cast<char*>("vigil-monitor-dp-test"),
                      const_cast<char*>("--log-level=*:error")};
  if (rte_eal_init(sizeof eal_argv / sizeof eal_argv[0], eal_argv) < 0) {
    std::fprintf(stderr, "cannot initialise DPDK's EAL\n");
    return 1;
  }
  vigil::test::g_monitor_pool = rte_pktmbuf_pool_create("monitor_test", 1023, 0, 0,
                                                        2048 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
  if (vigil::test::g_monitor_pool == nullptr) {
    std::fprintf(stderr, "cannot create the test's mbuf pool\n");
    return 1;
  }
  const int rc = RUN_ALL_TESTS();
  rte_eal_cleanup();
  return rc;
}
