// Tests of dataplane/response_stage.*: quarantine, packet-rate and SYN-rate limits on crafted
// bursts whose frame times simulate a second, with the exact counts rte_meter's token buckets
// give; publication of responses to a running worker. (main() is in monitor_tap_test.cc.)
#include "dataplane/response_stage.h"

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "dataplane/frame_parser.h"
#include "tests/support/frame_builder.h"

namespace vigil::test {

extern rte_mempool* g_monitor_pool;

namespace {

constexpr uint64_t kT0 = 1'700'000'000'000'000;
constexpr std::array<uint8_t, 4> kVmIp = {10, 0, 10, 1};
constexpr uint8_t kSyn = 0x02, kAck = 0x10;

Bytes udp4(std::array<uint8_t, 4> dst) {
  Bytes b = ipv4_on(ether(0x0800), 17, 8, 5, kVmIp, dst);
  put16(b, b.size() - 4, 8);
  return b;
}

Bytes udp6(std::array<uint8_t, 16> dst) {
  Bytes b =
      ipv6_on(ether(0x86dd), 17, 8, {0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, dst);
  put16(b, b.size() - 4, 8);
  return b;
}

Bytes icmp6(uint8_t type, std::array<uint8_t, 16> dst) {
  Bytes b =
      ipv6_on(ether(0x86dd), 58, 8, {0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, dst);
  b[b.size() - 8] = type;
  return b;
}

Bytes tcp(uint8_t flags) {
  Bytes b = ipv4_on(ether(0x0800), 6, 20, 5, kVmIp, {10, 0, 10, 2});
  b[b.size() - 8] = 0x50;
  b[b.size() - 7] = flags;
  return b;
}

struct Burst {
  PacketBatch b;
  ~Burst() { clear(); }
  void clear() {
    for (uint16_t i = 0; i < b.count; ++i) rte_pktmbuf_free(b.pkts[i]);
    b.count = 0;
  }
  void add(const Bytes& bytes, uint16_t in_port, uint64_t time_us = kT0,
           DropReason drop = DropReason::kNone) {
    rte_mbuf* m = rte_pktmbuf_alloc(g_monitor_pool);
    ASSERT_NE(m, nullptr);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size())), bytes.data(),
                bytes.size());
    PacketMeta& meta = b.meta[b.count];
    meta = PacketMeta{};
    ASSERT_EQ(parse_frame(bytes.data(), static_cast<uint32_t>(bytes.size()), {}, meta),
              DropReason::kNone);
    meta.in_port = in_port;
    meta.time_us = time_us;
    meta.drop = drop;
    b.pkts[b.count++] = m;
  }
  int count(DropReason r) const {
    int n = 0;
    for (uint16_t i = 0; i < b.count; ++i) n += b.meta[i].drop == r;
    return n;
  }
};

const std::vector<std::string> kManagement = {"192.0.2.0/24", "fd00:99::/64"};

// Sends `n` frames from port 0, one every `gap_us` from kT0, in bursts; returns how many passed.
int send_spaced(ResponseStage& stage, int n, uint64_t gap_us, uint64_t start = kT0) {
  int passed = 0;
  for (int i = 0; i < n;) {
    Burst burst;
    for (; i < n && burst.b.count < kBurstSize; ++i) {
      burst.add(udp4({10, 0, 10, 2}), 0, start + uint64_t(i) * gap_us);
    }
    stage.process(burst.b);
    passed += burst.count(DropReason::kNone);
    EXPECT_EQ(burst.count(DropReason::kNone) + burst.count(DropReason::kMonitorRateLimit) +
                  burst.count(DropReason::kMonitorQuarantine),
              burst.b.count);
  }
  return passed;
}

// What an srTCM with cir `rate` pkt/s, cbs max(rate / 10, 16) and ebs 0 lets through when the
// frames come faster than its tokens: the full bucket, then every token made until the last.
int expected_passes(uint64_t rate, uint64_t first_us, uint64_t last_us) {
  rte_meter_srtcm_params params{};
  params.cir = rate;
  params.cbs = std::max<uint64_t>(rate / 10, 16);
  rte_meter_srtcm_profile profile;
  EXPECT_EQ(rte_meter_srtcm_profile_config(&profile, &params), 0);
  const uint64_t elapsed = ResponseStage::to_tsc(last_us) - ResponseStage::to_tsc(first_us);
  return static_cast<int>(params.cbs + elapsed / profile.cir_period * profile.cir_bytes_per_period);
}

TEST(ResponseStage, QuarantineLetsOnlyManagementAndNeighbourDiscoveryThrough) {
  ResponseTable table(4, 1, kManagement);
  ResponseStage stage(table);
  VmResponse q;
  q.quarantine = true;
  table.set(0, q);
  EXPECT_EQ(table.get(0), q);

  Burst burst;
  burst.add(arp(1, kSrcMac, kVmIp, {10, 0, 10, 2}), 0);                              // 0
  burst.add(udp4({192, 0, 2, 10}), 0);                                               // 1
  burst.add(udp4({192, 0, 3, 10}), 0);                                               // 2
  burst.add(udp4({10, 0, 10, 2}), 0);                                                // 3
  burst.add(udp6({0xfd, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5}), 0);        // 4
  burst.add(udp6({0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}), 0);        // 5
  burst.add(icmp6(135, {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 2}), 0);  // 6
  burst.add(icmp6(128, {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 2}), 0);  // 7
  burst.add(udp4({10, 0, 10, 2}), 1);                                                // 8
  burst.add(udp4({10, 0, 10, 2}), 0, kT0, DropReason::kSpoofedSrcIp);                // 9
  stage.process(burst.b);

  const DropReason q_drop = DropReason::kMonitorQuarantine, none = DropReason::kNone;
  const DropReason expected[] = {none,   none, q_drop, q_drop, none,
                                 q_drop, none, q_drop, none,   DropReason::kSpoofedSrcIp};
  for (uint16_t i = 0; i < burst.b.count; ++i) {
    EXPECT_EQ(burst.b.meta[i].drop, expected[i]) << "frame " << i;
  }
}

TEST(ResponseStage, RateLimitPassesTheRateOverASimulatedSecond) {
  ResponseTable table(4, 1, kManagement);
  ResponseStage stage(table);
  VmResponse r;
  r.rate_pps = 1000;
  table.set(0, r);
  // 3000 frames over a second (one every 333 us): 100 from the bucket, then one per ms.
  const int passed = send_spaced(stage, 3000, 333);
  EXPECT_EQ(passed, expected_passes(1000, kT0, kT0 + 2999 * 333));
  EXPECT_GE(passed, 1095);
  EXPECT_LE(passed, 1100);
  // Replaying the same times on a fresh stage gives the same count.
  ResponseStage again(table);
  EXPECT_EQ(send_spaced(again, 3000, 333), passed);
}

TEST(ResponseStage, RateIsSharedAmongTheWorkersReceivingThePort) {
  ResponseTable shared(4, 2, kManagement);
  EXPECT_EQ(shared.worker_rate(0, 1001), 501u);
  ResponseStage stage(shared);
  VmResponse r;
  r.rate_pps = 1000;
  shared.set(0, r);
  EXPECT_EQ(send_spaced(stage, 3000, 333), expected_passes(500, kT0, kT0 + 2999 * 333));

  ResponseTable single(4, 2, kManagement, {1});  // port 0 is polled by one worker only
  EXPECT_EQ(single.worker_rate(0, 1000), 1000u);
  EXPECT_EQ(single.worker_rate(1, 1000), 500u);
}

TEST(ResponseStage, ConnectionLimitOnlyHitsSyns) {
  ResponseTable table(4, 1, kManagement);
  ResponseStage stage(table);
  VmResponse r;
  r.new_conn_per_s = 10;  // bucket of 16
  table.set(0, r);
  int syn_passed = 0, others_dropped = 0, conn_drops = 0;
  for (int round = 0; round < 5; ++round) {
    Burst burst;
    for (int i = 0; i < 8; ++i) {
      burst.add(tcp(kSyn), 0);
      burst.add(tcp(kAck), 0);
      burst.add(tcp(kSyn | kAck), 0);
      burst.add(udp4({10, 0, 10, 2}), 0);
    }
    stage.process(burst.b);
    for (uint16_t i = 0; i < burst.b.count; ++i) {
      const bool syn = i % 4 == 0;
      const DropReason d = burst.b.meta[i].drop;
      if (syn && d == DropReason::kNone) syn_passed++;
      if (!syn && d != DropReason::kNone) others_dropped++;
      conn_drops += d == DropReason::kMonitorConnLimit;
    }
  }
  EXPECT_EQ(syn_passed, 16);
  EXPECT_EQ(conn_drops, 40 - 16);
  EXPECT_EQ(others_dropped, 0);

  Burst other_port;  // no response on port 1
  for (int i = 0; i < 20; ++i) other_port.add(tcp(kSyn), 1);
  stage.process(other_port.b);
  EXPECT_EQ(other_port.count(DropReason::kNone), 20);
}

TEST(ResponseStage, ClearingAResponseLiftsItsLimits) {
  ResponseTable table(4, 1, kManagement);
  ResponseStage stage(table);
  VmResponse r;
  r.rate_pps = 1000;  // bucket of 100
  table.set(0, r);
  EXPECT_EQ(send_spaced(stage, 300, 0), 100);
  EXPECT_EQ(send_spaced(stage, 300, 0), 0);  // still empty at the same instant
  table.clear(0);
  EXPECT_EQ(table.get(0), VmResponse{});
  EXPECT_EQ(send_spaced(stage, 300, 0), 300);
  table.set(0, r);  // a new meter: full again
  EXPECT_EQ(send_spaced(stage, 300, 0), 100);

  VmResponse q;
  q.quarantine = true;
  table.set(0, q);
  EXPECT_EQ(send_spaced(stage, 10, 0), 0);
  table.set(0, VmResponse{});
  EXPECT_EQ(send_spaced(stage, 10, 0), 10);
}

TEST(ResponseStage, FramesOlderThanTheMeterDoNotRefillIt) {
  ResponseTable table(4, 1, kManagement);
  ResponseStage stage(table);
  VmResponse r;
  r.rate_pps = 1000;
  table.set(0, r);
  EXPECT_EQ(send_spaced(stage, 100, 0, kT0 + 1'000'000), 100);
  // Earlier frame times (another queue's replay, a clock step) are metered as "now".
  EXPECT_EQ(send_spaced(stage, 50, 0, kT0), 0);
}

TEST(ResponseStage, WorkersSeeWholeResponsesWhileTheyChange) {
  ResponseTable table(4, 1, kManagement);
  ResponseStage stage(table);
  const uint64_t g0 = table.generation();
  VmResponse q;
  q.quarantine = true;
  table.set(0, q);
  EXPECT_EQ(table.generation(), g0 + 2);

  std::atomic<bool> stop{false};
  std::thread control([&] {
    for (int i = 0; !stop.load(); ++i) table.set(0, i % 2 ? q : VmResponse{});
  });
  int mixed = 0;
  for (int round = 0; round < 2000; ++round) {
    Burst burst;
    for (int i = 0; i < kBurstSize; ++i) burst.add(udp4({10, 0, 10, 2}), 0);
    stage.process(burst.b);
    const int dropped = burst.count(DropReason::kMonitorQuarantine);
    mixed += dropped != 0 && dropped != kBurstSize;  // a burst uses one view of the table
  }
  stop = true;
  control.join();
  EXPECT_EQ(mixed, 0);
}

TEST(ResponseTable, RefusesBadManagementAddresses) {
  EXPECT_THROW(ResponseTable(4, 1, {"192.0.2.1/24"}), std::invalid_argument);
  EXPECT_THROW(ResponseTable(4, 1, {"not an address"}), std::invalid_argument);
  EXPECT_THROW(ResponseTable(65, 1, {}), std::invalid_argument);
  EXPECT_THROW(ResponseTable(4, 0, {}), std::invalid_argument);
  ResponseTable t(4, 1, {"10.9.0.0/16", "fd00:99:0:8000::/49"});
  const uint8_t in4[] = {10, 9, 200, 1}, out4[] = {10, 8, 0, 1};
  EXPECT_TRUE(t.management(true, in4));
  EXPECT_FALSE(t.management(true, out4));
  std::array<uint8_t, 16> in6 = {0xfd, 0, 0, 0x99, 0, 0, 0x80, 1};
  std::array<uint8_t, 16> out6 = {0xfd, 0, 0, 0x99, 0, 0, 0x7f, 1};
  EXPECT_TRUE(t.management(false, in6.data()));
  EXPECT_FALSE(t.management(false, out6.data()));
}

}  // namespace
}  // namespace vigil::test
