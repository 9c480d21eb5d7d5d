#include "dataplane/mac_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "tenancy/tenant_spec.h"

namespace vigil {
namespace {

MacAddress mac(uint32_t n) {
  return {0x02, 0, uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
}

TEST(MacTable, LearnsPerTenant) {
  MacTable t(16, 1'000'000);
  t.learn(0, mac(1).data(), 3, 0);
  EXPECT_EQ(t.lookup(0, mac(1).data(), 0), 3);
  EXPECT_EQ(t.lookup(1, mac(1).data(), 0), kNoPort);  // the same MAC in another tenant
  EXPECT_EQ(t.lookup(0, mac(2).data(), 0), kNoPort);
  EXPECT_EQ(t.stats().learned, 1u);
}

TEST(MacTable, MoveUpdatesThePort) {
  MacTable t(16, 1'000'000);
  t.learn(0, mac(1).data(), 3, 0);
  t.learn(0, mac(1).data(), 4, 10);
  EXPECT_EQ(t.lookup(0, mac(1).data(), 10), 4);
  EXPECT_EQ(t.stats().moves, 1u);
  EXPECT_EQ(t.size(), 1u);
}

TEST(MacTable, EntriesAge) {
  MacTable t(16, 100);
  t.learn(0, mac(1).data(), 3, 1000);
  EXPECT_EQ(t.lookup(0, mac(1).data(), 1100), 3);
  EXPECT_EQ(t.lookup(0, mac(1).data(), 1101), kNoPort);
  EXPECT_EQ(t.stats().aged, 1u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(MacTable, FullTableRefusesNewEntries) {
  MacTable t(4, 1'000'000);
  for (uint32_t i = 0; i < 6; ++i) t.learn(0, mac(i).data(), 1, 0);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.stats().table_full, 2u);
  t.learn(0, mac(0).data(), 2, 0);  // refreshing a known entry still works
  EXPECT_EQ(t.lookup(0, mac(0).data(), 0), 2);
}

TEST(MacTable, MatchesAReferenceMapUnderChurn) {
  // Random learns, lookups and expiries against std::map: exercises probing and deletion.
  MacTable t(512, 50);
  std::map<std::pair<uint16_t, uint32_t>, std::pair<uint16_t, uint64_t>> ref;
  std::mt19937 rng(7);
  for (uint64_t now = 0; now < 20000; ++now) {
    const uint16_t tenant = rng() % 3;
    const uint32_t m = rng() % 300;
    const auto key = std::make_pair(tenant, m);
    if (rng() % 2) {
      const uint16_t port = rng() % 8;
      auto it = ref.find(key);
      const bool live = it != ref.end() && now - it->second.second <= 50;
      if (live || t.size() < 512) {
        t.learn(tenant, mac(m).data(), port, now);
        ref[key] = {port, now};
      }
    } else {
      auto it = ref.find(key);
      const bool live = it != ref.end() && now - it->second.second <= 50;
      const uint16_t expected = live ? it->second.first : kNoPort;
      ASSERT_EQ(t.lookup(tenant, mac(m).data(), now), expected) << "at " << now;
      if (!live && it != ref.end()) ref.erase(it);
    }
  }
}

}  // namespace
}  // namespace vigil
