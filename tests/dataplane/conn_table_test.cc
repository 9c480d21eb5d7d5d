#include "dataplane/conn_table.h"

#include <gtest/gtest.h>
#include <rte_lcore.h>

#include <atomic>
#include <thread>

namespace vigil {
namespace {

constexpr uint64_t kSecond = 1'000'000;
int table_serial = 0;

std::string unique_name() {
  return "ct_test" + std::to_string(table_serial++);
}

ConnKey udp_key(uint8_t a, uint8_t b, uint16_t sport, uint16_t dport, bool* src_is_lo = nullptr) {
  const uint8_t src[4] = {10, 0, 0, a};
  const uint8_t dst[4] = {10, 0, 0, b};
  return make_conn_key(1, 4, 17, src, dst, sport, dport, src_is_lo);
}

TEST(ConnKey, BothDirectionsShareOneKey) {
  bool fwd_lo, rev_lo;
  const ConnKey fwd = udp_key(1, 2, 1000, 53, &fwd_lo);
  const ConnKey rev = udp_key(2, 1, 53, 1000, &rev_lo);
  EXPECT_EQ(fwd, rev);
  EXPECT_NE(fwd_lo, rev_lo);
  EXPECT_NE(udp_key(1, 2, 1000, 53), udp_key(1, 2, 1001, 53));
  const uint8_t a[4] = {10, 0, 0, 1};
  EXPECT_NE(make_conn_key(1, 4, 17, a, a, 1, 2, nullptr),
            make_conn_key(2, 4, 17, a, a, 1, 2, nullptr))
      << "the tenant is part of the key";
}

TEST(ConnTable, CreateFindAndCount) {
  ConnTable t(unique_name(), 1024, 2, {}, {});
  ConnRefusal why;
  const ConnKey k = udp_key(1, 2, 1000, 53);
  EXPECT_EQ(t.find(k), nullptr);
  Conn* c = t.create(k, 0, 3, kSecond, &why);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(why, ConnRefusal::kNone);
  EXPECT_EQ(t.find(k), c);
  EXPECT_EQ(t.find(udp_key(2, 1, 53, 1000)), c);
  EXPECT_EQ(t.create(k, 1, 3, kSecond, &why), c) << "a second create finds the first";
  EXPECT_EQ(t.count(), 1u);
  EXPECT_EQ(t.owned_by(3), 1u);
  EXPECT_EQ(t.stats().created, 1u);
}

TEST(ConnTable, OneVmAtItsLimitDoesNotStopAnother) {
  ConnTable t(unique_name(), 1024, 2, ConnLimits{3, 0}, {});
  ConnRefusal why;
  for (uint16_t p = 0; p < 3; ++p)
    ASSERT_NE(t.create(udp_key(1, 2, p, 53), 0, 1, kSecond, &why), nullptr);
  EXPECT_EQ(t.create(udp_key(1, 2, 99, 53), 0, 1, kSecond, &why), nullptr);
  EXPECT_EQ(why, ConnRefusal::kVmConnectionLimit);
  EXPECT_NE(t.create(udp_key(5, 6, 1, 53), 0, 2, kSecond, &why), nullptr) << "VM 2 still works";
  EXPECT_EQ(t.stats().vm_connection_limit, 1u);
  EXPECT_EQ(t.owned_by(1), 3u);
}

TEST(ConnTable, NewConnectionRateIsPerVmAndPerSecond) {
  ConnTable t(unique_name(), 1024, 2, ConnLimits{0, 5}, {});
  ConnRefusal why;
  int accepted = 0;
  for (uint16_t p = 0; p < 8; ++p)
    accepted += t.create(udp_key(1, 2, p, 53), 0, 1, 10 * kSecond, &why) != nullptr;
  EXPECT_EQ(accepted, 5);
  EXPECT_EQ(why, ConnRefusal::kVmRateLimit);
  EXPECT_NE(t.create(udp_key(3, 4, 1, 53), 0, 2, 10 * kSecond, &why), nullptr);
  EXPECT_NE(t.create(udp_key(1, 2, 100, 53), 0, 1, 11 * kSecond, &why), nullptr) << "next second";
  EXPECT_EQ(t.stats().vm_rate_limit, 3u);
}

TEST(ConnTable, SweepExpiresIdleEntriesByProtocolState) {
  ConnTimeouts timeouts;  // udp_first 60 s, udp_multiple 30 s
  ConnTable t(unique_name(), 1024, 2, {}, timeouts);
  ConnRefusal why;
  Conn* one_way = t.create(udp_key(1, 2, 1, 53), 0, 1, 0, &why);
  Conn* answered = t.create(udp_key(1, 2, 2, 53), 0, 1, 0, &why);
  ASSERT_TRUE(one_way && answered);
  answered->replied = true;
  EXPECT_EQ(t.sweep(29 * kSecond), 0u);
  EXPECT_EQ(t.sweep(31 * kSecond), 1u);  // the answered flow: 30 s
  EXPECT_EQ(t.find(udp_key(1, 2, 2, 53)), nullptr);
  EXPECT_NE(t.find(udp_key(1, 2, 1, 53)), nullptr);
  one_way->last_seen_us = 40 * kSecond;  // traffic keeps it alive
  EXPECT_EQ(t.sweep(95 * kSecond), 0u);
  EXPECT_EQ(t.sweep(101 * kSecond), 1u);
  EXPECT_EQ(t.count(), 0u);
  EXPECT_EQ(t.owned_by(1), 0u);
  EXPECT_EQ(t.stats().expired, 2u);
}

TEST(ConnTable, TcpTimeoutFollowsTheState) {
  ConnTable t(unique_name(), 1024, 2, {}, {});
  ConnRefusal why;
  const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
  Conn* c = t.create(make_conn_key(1, 4, 6, a, b, 40000, 80, nullptr), 0, 1, 0, &why);
  ASSERT_NE(c, nullptr);
  c->tcp.state = TcpState::kSynSent;
  EXPECT_EQ(t.idle_timeout_s(*c), 30u);  // a half-open connection goes quickly
  c->tcp.state = TcpState::kEstablished;
  EXPECT_EQ(t.idle_timeout_s(*c), 86400u);
}

TEST(ConnTable, FullTableRefuses) {
  ConnTable t(unique_name(), 64, 2, {}, {});
  ConnRefusal why = ConnRefusal::kNone;
  int created = 0;
  for (uint16_t p = 0; p < 1000 && why == ConnRefusal::kNone; ++p) {
    created += t.create(udp_key(1, 2, p, 53), 0, 1, kSecond, &why) != nullptr;
  }
  EXPECT_EQ(why, ConnRefusal::kTableFull);
  EXPECT_GE(created, 64);
  EXPECT_EQ(t.stats().table_full, 1u);
}

TEST(ConnTable, WorkersAndSweeperRunTogether) {
  // Two registered workers create and look up flows while the control thread sweeps: deletes
  // wait for the workers' quiescent states, and every entry a worker holds stays its own.
  ConnTable t(unique_name(), 1 << 14, 2, {}, {});
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> mismatches{0};
  auto worker = [&](unsigned id) {
    ASSERT_EQ(rte_thread_register(), 0);  // rte_hash's multi-writer mode needs an lcore id
    t.register_worker(id);
    ConnRefusal why;
    uint64_t now = 0;
    for (int round = 0; round < 300; ++round) {
      for (uint16_t p = 0; p < 64; ++p) {
        const ConnKey k = udp_key(static_cast<uint8_t>(id + 1), 9, p, 53);
        Conn* c = t.find(k);
        if (c == nullptr) c = t.create(k, 0, static_cast<uint16_t>(id), now, &why);
        if (c != nullptr && !(c->key == k)) mismatches++;
      }
      now += kSecond;  // old flows idle out behind the workers
      t.quiescent(id);
    }
    t.unregister_worker(id);
    rte_thread_unregister();
  };
  std::thread sweeper([&] {
    ASSERT_EQ(rte_thread_register(), 0);
    uint64_t now = 0;
    while (!stop.load()) t.sweep(now += 10 * kSecond);
    rte_thread_unregister();
  });
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  stop = true;
  sweeper.join();
  EXPECT_EQ(mismatches.load(), 0u);
}

}  // namespace
}  // namespace vigil
