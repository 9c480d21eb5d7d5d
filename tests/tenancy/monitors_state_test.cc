// Persistence and migration: save/load keeps baselines and decisions (a restarted monitor
// continues exactly where the old one was), export/import moves one VM's state to another host,
// and damaged documents are refused without touching the running state.
#include <gtest/gtest.h>

#include "tenancy/monitors.h"
#include "tests/tenancy/monitor_scenario.h"

namespace vigil {
namespace {

using nlohmann::json;
using test::Events;
using test::Scenario;

// A scenario with a at level 2 (horizontal scan), after warm-up.
void escalate_a(Scenario& sc) {
  sc.warm_up();
  std::vector<VmSample> s = sc.normal();
  test::horizontal_scan(test::at(s, 1));
  ASSERT_EQ(sc.tick(s).size(), 2u);
}

TEST(MonitorState, SaveLoadRoundTripPreservesDecisions) {
  Scenario sc;
  escalate_a(sc);
  for (int i = 0; i < 4; ++i) sc.tick();  // 4 of the 10 quiet seconds before release
  const std::string saved = sc.mon().save().dump();

  Monitors restarted(test::scenario_settings(), test::scenario_vms());
  std::string error;
  ASSERT_TRUE(restarted.load(json::parse(saved), &error)) << error;
  EXPECT_EQ(restarted.save().dump(), saved);  // exact, doubles included
  EXPECT_EQ(restarted.level(1), 2);
  EXPECT_TRUE(restarted.wants_detail(1));
  EXPECT_EQ(restarted.response(1), sc.mon().response(1));
  EXPECT_EQ(restarted.response(1).rate_pps, 1000u);
  const json st = restarted.status()["vms"][0];
  EXPECT_EQ(st["verdict"], "attacker");
  EXPECT_EQ(st["detections"], json::array({"horizontal_scan", "failed_connections"}));
  EXPECT_EQ(st["quiet_s"], 4);

  // Both continue identically: same releases at the same time, same later judgements.
  for (int i = 0; i < 12; ++i) {
    std::vector<VmSample> s = sc.normal();
    if (i == 8) test::at(s, 2).spoofed = 1;
    const Events before = sc.tick(s);
    const Events after = test::briefs(restarted.tick(sc.now(), s, {}));
    EXPECT_EQ(after, before) << i;
    if (i == 5) {
      EXPECT_EQ(after, Events{"released a benign [release]"});
    }
  }
  EXPECT_EQ(restarted.save().dump(), sc.mon().save().dump());
}

TEST(MonitorState, LoadKeepsUnknownVmsParkedAndGivesNewOnesAFreshStart) {
  Scenario sc;
  escalate_a(sc);
  json saved = sc.mon().save();
  saved["vms"]["gone"] = saved["vms"]["b"];
  saved["vms"].erase("c");
  Monitors m(test::scenario_settings(), test::scenario_vms());
  std::string error;
  ASSERT_TRUE(m.load(saved, &error)) << error;
  EXPECT_EQ(m.status()["parked"], json::array({"gone"}));
  EXPECT_EQ(m.status()["vms"][2]["intervals"], 0);   // c
  EXPECT_EQ(m.status()["vms"][1]["intervals"], 41);  // b
}

TEST(MonitorState, DamagedDocumentsAreRefused) {
  Scenario sc;
  escalate_a(sc);
  const json good = sc.mon().save();
  const std::string before = sc.mon().save().dump();
  const auto refused = [&](json doc, const std::string& want) {
    std::string error;
    EXPECT_FALSE(sc.mon().load(doc, &error));
    EXPECT_NE(error.find(want), std::string::npos) << error;
    EXPECT_EQ(sc.mon().save().dump(), before);
  };
  refused(json::array(), "vigil-monitors");
  json doc = good;
  doc["version"] = 2;
  refused(doc, "version 1");
  doc = good;
  doc["vms"]["a"]["level"] = 3;
  refused(doc, "vm a: monitor state: level must be 1 or 2");
  doc = good;
  doc["vms"]["a"]["verdict"] = "culprit";
  refused(doc, "unknown verdict");
  doc = good;
  doc["vms"]["a"]["detections"] = json::array({"portscan"});
  refused(doc, "unknown detection");
  doc = good;
  doc["vms"]["b"]["baselines"]["out_pps"]["variance"] = -1;
  refused(doc, "negative variance");
  doc = good;
  doc["vms"]["b"]["baselines"]["out_pps"]["mean"] = "lots";
  refused(doc, "monitor state:");
  doc = good;
  doc["vms"]["b"]["verdict"] = "attacker";  // b is at level 1
  refused(doc, "level-1 VM");
  EXPECT_EQ(sc.mon().level(1), 2);
}

TEST(MonitorState, ExportImportMigratesAVm) {
  Scenario sc;
  escalate_a(sc);
  const json exported = sc.mon().export_vm("a");
  EXPECT_EQ(exported["vm"], "a");
  EXPECT_TRUE(sc.mon().export_vm("nobody").is_null());

  // Another host where a lands on port 9.
  Monitors other(test::scenario_settings(), {{9, "a", "blue", {test::v4(10, 0, 0, 1)}}});
  EXPECT_EQ(other.level(9), 1);
  const uint64_t g = other.generation();
  std::string error;
  ASSERT_TRUE(other.import_vm(json::parse(exported.dump()), &error)) << error;
  EXPECT_GT(other.generation(), g);
  EXPECT_EQ(other.level(9), 2);
  EXPECT_EQ(other.response(9), sc.mon().response(1));
  const json here = sc.mon().status()["vms"][0]["metrics"]["out_pps"];
  const json there = other.status()["vms"][0]["metrics"]["out_pps"];
  EXPECT_EQ(there["mean"], here["mean"]);
  EXPECT_EQ(there["stddev"], here["stddev"]);
  EXPECT_EQ(other.export_vm("a"), exported);

  json bad = exported;
  bad["format"] = "vigil-monitors";
  EXPECT_FALSE(other.import_vm(bad, &error));
  bad = exported;
  bad.erase("vm");
  EXPECT_FALSE(other.import_vm(bad, &error));
  EXPECT_NE(error.find("\"vm\""), std::string::npos) << error;
}

}  // namespace
}  // namespace vigil
