#include "dataplane/mac_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "tenancy/tenant_spec.h"

namespace vigil {
namespace {

constexpr uint64_t kSecond = 1'000'000;

MacAddress mac(uint32_t n) {
  return {0x02, 0, uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
}

TEST(MacTable, LearnsPerTenant) {
  MacTable t(16, 300 * kSecond);
  t.learn(0, mac(1).data(), 3, kSecond);
  EXPECT_EQ(t.lookup(0, mac(1).data(), kSecond), 3);
  EXPECT_EQ(t.lookup(1, mac(1).data(), kSecond), kNoPort);  // the same MAC in another tenant
  EXPECT_EQ(t.lookup(0, mac(2).data(), kSecond), kNoPort);
  EXPECT_EQ(t.stats().learned, 1u);
}

TEST(MacTable, MoveUpdatesThePort) {
  MacTable t(16, 300 * kSecond);
  t.learn(0, mac(1).data(), 3, kSecond);
  t.learn(0, mac(1).data(), 4, kSecond + 10);
  EXPECT_EQ(t.lookup(0, mac(1).data(), kSecond + 10), 4);
  EXPECT_EQ(t.stats().moves, 1u);
  EXPECT_EQ(t.occupied(), 1u);
}

TEST(MacTable, EntriesAge) {
  MacTable t(16, 2 * kSecond);
  t.learn(0, mac(1).data(), 3, 10 * kSecond);
  EXPECT_EQ(t.lookup(0, mac(1).data(), 12 * kSecond), 3);
  EXPECT_EQ(t.lookup(0, mac(1).data(), 12 * kSecond + 1000), kNoPort);
  t.learn(0, mac(1).data(), 5, 13 * kSecond);  // re-learned after expiry
  EXPECT_EQ(t.lookup(0, mac(1).data(), 13 * kSecond), 5);
  EXPECT_EQ(t.stats().aged, 1u);
  EXPECT_EQ(t.stats().moves, 0u);
}

TEST(MacTable, FullTableRefusesNewEntriesButReusesExpiredOnes) {
  MacTable t(4, 2 * kSecond);
  for (uint32_t i = 0; i < 6; ++i) t.learn(0, mac(i).data(), 1, kSecond);
  EXPECT_EQ(t.occupied(), 4u);
  EXPECT_EQ(t.stats().table_full, 2u);
  t.learn(0, mac(0).data(), 2, kSecond);  // a known entry still moves
  EXPECT_EQ(t.lookup(0, mac(0).data(), kSecond), 2);
  // Once the entries have expired, new MACs take their slots.
  int learned_later = 0;
  for (uint32_t i = 100; i < 140; ++i) {
    t.learn(0, mac(i).data(), 3, 10 * kSecond);
    learned_later += t.lookup(0, mac(i).data(), 10 * kSecond) == 3;
  }
  EXPECT_GT(learned_later, 0);
  EXPECT_EQ(t.occupied(), 4u);
}

TEST(MacTable, MatchesAReferenceModel) {
  // Random learns and lookups against a model of the documented semantics (refreshes within a
  // second of the last write are skipped).
  const uint64_t aging = 50 * kSecond;
  MacTable t(1024, aging);
  struct Ref {
    uint16_t port;
    uint64_t written;
  };
  std::map<std::pair<uint16_t, uint32_t>, Ref> ref;
  std::mt19937 rng(7);
  for (uint64_t step = 1; step < 200000; ++step) {
    const uint64_t now = step * 1000;  // 1 ms per step
    const uint16_t tenant = rng() % 3;
    const uint32_t m = rng() % 300;
    const auto key = std::make_pair(tenant, m);
    auto it = ref.find(key);
    const bool live = it != ref.end() && now / 1000 - it->second.written / 1000 <= aging / 1000;
    if (rng() % 2) {
      const uint16_t port = rng() % 8;
      t.learn(tenant, mac(m).data(), port, now);
      if (!live || it->second.port != port || now / 1000 >= it->second.written / 1000 + 1000) {
        ref[key] = Ref{port, now};
      }
    } else {
      ASSERT_EQ(t.lookup(tenant, mac(m).data(), now), live ? it->second.port : kNoPort)
          << "at step " << step;
    }
  }
}

TEST(MacTable, ConcurrentLearnersAgree) {
  // Two threads learn overlapping MACs; every MAC must end up in exactly one slot.
  MacTable t(4096, 300 * kSecond);
  auto worker = [&](uint16_t port) {
    for (int round = 0; round < 50; ++round) {
      for (uint32_t m = 0; m < 1500; ++m) t.learn(m % 2, mac(m).data(), port, kSecond);
    }
  };
  std::thread a(worker, 1), b(worker, 2);
  a.join();
  b.join();
  std::set<std::pair<uint16_t, uint64_t>> seen;
  size_t entries = 0;
  t.for_each(kSecond, [&](uint16_t tenant, uint64_t m, uint16_t port) {
    ++entries;
    seen.insert({tenant, m});
    EXPECT_TRUE(port == 1 || port == 2);
  });
  EXPECT_EQ(entries, 1500u);
  EXPECT_EQ(seen.size(), 1500u);
  EXPECT_EQ(t.occupied(), 1500u);
}

}  // namespace
}  // namespace vigil
