// The monitors end to end on synthetic samples: each detection gives the right verdict for the
// right VM, responses follow the playbooks and are lifted on release, benign load raises
// nothing, overflow and idle are reported once, VMs move with their state, output is
// deterministic.
#include "tenancy/monitors.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/tenancy/monitor_scenario.h"

namespace vigil {
namespace {

using test::Events;
using test::Scenario;

const VmResponse kRateLimited{false, 1000, 10, false};

std::vector<std::string> metrics(const std::vector<Evidence>& e) {
  std::vector<std::string> out;
  for (const Evidence& x : e) out.push_back(x.metric);
  return out;
}

TEST(Monitors, HorizontalScanIsAnAttackerLimitedThenReleased) {
  Scenario sc;
  sc.warm_up();
  EXPECT_EQ(sc.mon().level(1), 1);
  const uint64_t g0 = sc.mon().generation();

  std::vector<VmSample> s = sc.normal();
  test::horizontal_scan(test::at(s, 1));
  EXPECT_EQ(sc.tick(s),
            (Events{"escalated a",
                    "verdict a attacker horizontal_scan,failed_connections [rate_limit]"}));
  const MonitorEvent& esc = sc.last()[0];
  EXPECT_EQ(esc.port, 1);
  EXPECT_EQ(esc.tenant, "blue");
  EXPECT_EQ(esc.time_us, sc.now());
  EXPECT_EQ(metrics(esc.evidence),
            (std::vector<std::string>{"out_syn_per_s", "failed_per_s", "distinct_dst_ips"}));
  EXPECT_EQ(esc.evidence[2].value, 50);
  EXPECT_EQ(esc.evidence[2].threshold, 20);  // the floor: the VM's own spread is smaller
  EXPECT_NEAR(esc.evidence[2].baseline_mean, 6, 1.5);
  EXPECT_EQ(sc.mon().level(1), 2);
  EXPECT_TRUE(sc.mon().wants_detail(1));
  EXPECT_EQ(sc.mon().response(1), kRateLimited);
  EXPECT_EQ(sc.mon().level(2), 1);
  EXPECT_EQ(sc.mon().response(2), VmResponse{});
  const uint64_t g1 = sc.mon().generation();
  EXPECT_GT(g1, g0);

  // The scan goes on, now recorded in detail: no new verdict, the evidence grows.
  s = sc.normal();
  test::horizontal_scan(test::at(s, 1));
  std::vector<DetailRecord> details;
  for (uint8_t i = 1; i <= 50; ++i) {
    details.push_back(test::record(1, false, test::v4(10, 0, 0, 1), test::v4(10, 9, 0, i), 6, 22));
  }
  for (int i = 0; i < 3; ++i) {
    details.push_back(test::record(1, false, test::v4(10, 0, 0, 1), test::v4(10, 0, 0, 2), 6, 22));
  }
  details.push_back(test::record(3, false, test::v4(10, 0, 0, 3), test::v4(10, 0, 0, 1), 6, 80));
  EXPECT_EQ(sc.tick(s, details), Events{});
  EXPECT_EQ(sc.mon().generation(), g1);
  const nlohmann::json st = sc.mon().status();
  EXPECT_EQ(st["vms"][0]["vm"], "a");
  EXPECT_EQ(st["vms"][0]["verdict"], "attacker");
  EXPECT_EQ(st["vms"][0]["detail_records"], 53);  // c's record is not a's, c is at level 1
  EXPECT_EQ(st["vms"][0]["top_destinations"][0], "10.0.0.2:22/tcp x3 (vm b, same tenant)");
  EXPECT_EQ(st["vms"][0]["top_destinations"][1], "10.9.0.1:22/tcp x1 (off host)");
  EXPECT_FALSE(st["vms"][2].contains("top_destinations"));

  // Quiet: released after cooldown_s (10) ordinary intervals, limits lifted.
  for (int i = 1; i < 10; ++i) ASSERT_EQ(sc.tick(), Events{}) << i;
  EXPECT_EQ(sc.tick(), Events{"released a benign [release]"});
  EXPECT_EQ(sc.last()[0].details.at(0), "was attacker: horizontal_scan, failed_connections");
  EXPECT_EQ(sc.last()[0].details.at(1), "10.0.0.2:22/tcp x3 (vm b, same tenant)");
  EXPECT_EQ(sc.mon().level(1), 1);
  EXPECT_FALSE(sc.mon().wants_detail(1));
  EXPECT_EQ(sc.mon().response(1), VmResponse{});
  EXPECT_GT(sc.mon().generation(), g1);
  EXPECT_EQ(sc.mon().status()["vms"][0]["escalations"], 1);
}

TEST(Monitors, VerticalScanGivesAnAttackerAndItsVictim) {
  Scenario sc;
  sc.warm_up();
  std::vector<VmSample> s = sc.normal();
  VmSample& a = test::at(s, 1);
  VmSample& b = test::at(s, 2);
  a.out_syn += 100;  // 100 ports of b, refused
  a.out_packets += 100;
  a.distinct_dst_ips += 1;
  a.distinct_dst_ports = 100;
  a.in_rst += 100;
  a.in_packets += 100;
  b.in_syn += 100;
  b.in_packets += 100;
  b.distinct_src_ips += 1;
  b.out_packets += 100;  // the RSTs
  b.distinct_dst_ips += 1;
  b.distinct_dst_ports += 1;
  EXPECT_EQ(sc.tick(s), (Events{"escalated a",
                                "verdict a attacker vertical_scan,failed_connections [rate_limit]",
                                "escalated b", "verdict b victim syn_flood [alert]"}));
  EXPECT_EQ(sc.mon().response(1), kRateLimited);
  EXPECT_EQ(sc.mon().response(2), VmResponse{});  // victims are not limited
  EXPECT_EQ(sc.mon().level(2), 2);
}

TEST(Monitors, SynFloodBetweenTwoVmsTellsAttackerFromAnsweringVictim) {
  Scenario sc;
  sc.warm_up();
  for (int i = 0; i < 3; ++i) {
    std::vector<VmSample> s = sc.normal();
    test::syn_flood(test::at(s, 1), test::at(s, 2), 2000);
    const Events want = i == 0 ? Events{"escalated a", "verdict a attacker syn_flood [rate_limit]",
                                        "escalated b", "verdict b victim syn_flood [alert]"}
                               : Events{};
    EXPECT_EQ(sc.tick(s), want) << "interval " << i;
  }
  EXPECT_EQ(sc.mon().response(1), kRateLimited);
  EXPECT_EQ(sc.mon().level(3), 1);
}

TEST(Monitors, SpoofedSynFloodThroughTheTrunkMakesAVictim) {
  Scenario sc;
  sc.warm_up();
  std::vector<VmSample> s = sc.normal();
  VmSample& b = test::at(s, 2);
  b.in_syn += 3000;
  b.in_packets += 3000;
  b.distinct_src_ips = 2500;
  b.out_packets += 3000;  // SYN-ACKs to the spoofed sources
  b.distinct_dst_ips = 2500;
  b.distinct_dst_ports += 2500;
  EXPECT_EQ(sc.tick(s),
            (Events{"escalated b", "verdict b victim syn_flood,spoofed_flood [alert]"}));
  EXPECT_EQ(metrics(sc.last()[0].evidence),
            (std::vector<std::string>{"out_pps", "distinct_dst_ips", "distinct_dst_ports", "in_pps",
                                      "in_syn_per_s", "distinct_src_ips"}));

  // The flood goes on; level 2 records name the sources.
  std::vector<DetailRecord> details;
  for (int i = 0; i < 4; ++i) {
    details.push_back(
        test::record(2, true, test::v4(198, 51, 100, 7), test::v4(10, 0, 0, 2), 6, 80));
  }
  details.push_back(test::record(2, true, test::v4(10, 1, 0, 4), test::v4(10, 0, 0, 2), 6, 80));
  sc.tick(s, details);
  const nlohmann::json st = sc.mon().status()["vms"][1];
  EXPECT_EQ(st["top_sources"][0], "from 198.51.100.7 to port 80/tcp x4 (off host)");
  EXPECT_EQ(st["top_sources"][1], "from 10.1.0.4 to port 80/tcp x1 (vm d, tenant red)");
}

TEST(Monitors, UdpFloodAttackerAndVictim) {
  Scenario sc;
  sc.warm_up();
  std::vector<VmSample> s = sc.normal();
  VmSample& a = test::at(s, 1);
  VmSample& b = test::at(s, 2);
  a.out_packets += 20000;
  a.out_bytes += 20000 * 1000;
  a.distinct_dst_ips += 1;
  a.distinct_dst_ports += 1;
  b.in_packets += 20000;
  b.in_bytes += 20000 * 1000;
  b.distinct_src_ips += 1;
  EXPECT_EQ(sc.tick(s), (Events{"escalated a", "verdict a attacker flood [rate_limit]",
                                "escalated b", "verdict b victim flood [alert]"}));
}

TEST(Monitors, SpoofingAndHostAccessNeedNoWarmUp) {
  Scenario sc;
  sc.warm_up(5);
  std::vector<VmSample> s = sc.normal();
  VmSample& a = test::at(s, 1);
  a.spoofed = 10;
  a.host_access = 3;
  test::horizontal_scan(test::at(s, 3), 500);  // c is not warm: statistics do not count yet
  EXPECT_EQ(sc.tick(s), (Events{"escalated a",
                                "verdict a attacker spoofing,host_access [quarantine,capture]"}));
  EXPECT_EQ(metrics(sc.last()[0].evidence), (std::vector<std::string>{"host_access", "spoofed"}));
  EXPECT_EQ(sc.last()[0].evidence[0].value, 3);
  EXPECT_EQ(sc.last()[0].evidence[0].threshold, 0);
  EXPECT_EQ(sc.mon().response(1), (VmResponse{true, 0, 0, true}));
  EXPECT_EQ(sc.mon().level(3), 1);
}

TEST(Monitors, FanOutAcrossNeighbours) {
  Scenario sc;
  sc.warm_up();
  std::vector<VmSample> s = sc.normal();
  VmSample& a = test::at(s, 1);
  a.distinct_dst_ips = 7;  // every other VM of an 8-VM host, 60 ports each, mostly refused
  a.distinct_inner_dsts = 7;
  a.distinct_dst_ports = 60;
  a.out_syn += 420;
  a.out_packets += 420;
  a.in_rst += 400;
  a.in_packets += 400;
  EXPECT_EQ(sc.tick(s),
            (Events{"escalated a",
                    "verdict a attacker vertical_scan,fan_out,failed_connections [rate_limit]"}));
}

TEST(Monitors, FailedConnectionsAlone) {
  Scenario sc;
  sc.warm_up();
  std::vector<VmSample> s = sc.normal();
  VmSample& a = test::at(s, 1);
  a.out_syn = 15;  // none answered: below the SYN floor (20), above the failure floor (10)
  a.in_synack = 0;
  EXPECT_EQ(sc.tick(s),
            (Events{"escalated a", "verdict a attacker failed_connections [rate_limit]"}));
}

TEST(Monitors, VerdictEventsOnlyForNewDetectionsAndTheyCarryDetails) {
  Scenario sc;
  sc.mon().set_host_addresses({test::v4(192, 0, 2, 1)});
  sc.warm_up();
  std::vector<VmSample> s = sc.normal();
  test::horizontal_scan(test::at(s, 1));
  EXPECT_EQ(sc.tick(s).size(), 2u);
  for (int i = 0; i < 3; ++i) {
    s = sc.normal();
    test::horizontal_scan(test::at(s, 1));
    EXPECT_EQ(sc.tick(s), Events{});
  }
  // Now it also knocks on the host.
  s = sc.normal();
  test::horizontal_scan(test::at(s, 1));
  test::at(s, 1).host_access = 5;
  std::vector<DetailRecord> details;
  for (int i = 0; i < 5; ++i) {
    details.push_back(test::record(1, false, test::v4(10, 0, 0, 1), test::v4(192, 0, 2, 1), 6, 22));
  }
  details.push_back(test::record(1, false, test::v4(10, 0, 0, 1), test::v4(10, 9, 0, 1), 6, 22));
  EXPECT_EQ(sc.tick(s, details),
            (Events{"verdict a attacker horizontal_scan,host_access,failed_connections "
                    "[quarantine,capture]"}));
  EXPECT_EQ(sc.last()[0].details, (std::vector<std::string>{"192.0.2.1:22/tcp x5 (host)",
                                                            "10.9.0.1:22/tcp x1 (off host)"}));
  EXPECT_EQ(metrics(sc.last()[0].evidence),
            (std::vector<std::string>{"out_syn_per_s", "failed_per_s", "distinct_dst_ips",
                                      "host_access"}));
  EXPECT_EQ(sc.mon().response(1), (VmResponse{true, 0, 0, true}));
}

TEST(Monitors, ConfiguredPlaybooksDecideResponsesAndRelease) {
  MonitorSettings settings = test::scenario_settings();
  Playbook watch;
  watch.verdict = Verdict::kAttacker;
  watch.detections = {Detection::kHorizontalScan};
  watch.actions = {PlaybookAction::kCapture, PlaybookAction::kAlert};
  watch.release_after_s = 3;
  settings.playbooks = {watch};
  Scenario sc(settings);
  sc.warm_up();
  std::vector<VmSample> s = sc.normal();
  test::horizontal_scan(test::at(s, 1));
  test::syn_flood(test::at(s, 3), test::at(s, 2), 2000);
  EXPECT_EQ(sc.tick(s),
            (Events{"escalated a",
                    "verdict a attacker horizontal_scan,failed_connections [capture,alert]",
                    "escalated b", "verdict b victim syn_flood", "escalated c",
                    "verdict c attacker syn_flood"}));
  EXPECT_EQ(sc.mon().response(1), (VmResponse{false, 0, 0, true}));
  EXPECT_EQ(sc.mon().response(3), VmResponse{});  // no playbook matches: alert only
  EXPECT_EQ(sc.tick(), Events{});
  EXPECT_EQ(sc.tick(), Events{});
  EXPECT_EQ(sc.tick(), Events{"released a benign [release]"});  // its playbook: 3 s
  for (int i = 4; i < 10; ++i) ASSERT_EQ(sc.tick(), Events{}) << i;
  EXPECT_EQ(sc.tick(), (Events{"released b benign [release]", "released c benign [release]"}));
}

TEST(Monitors, OverflowOncePerEpisode) {
  Scenario sc;
  sc.warm_up();
  std::vector<std::string> all;
  int first = -1;
  for (int i = 0; i < 14; ++i) {
    std::vector<VmSample> s = sc.normal();
    VmSample& a = test::at(s, 1);
    a.out_packets = 150;  // 2.5 times its habit, under the out_pps floor: no escalation
    a.rx_ring_used = 240;
    for (const std::string& e : sc.tick(s)) {
      all.push_back(e);
      if (first < 0) first = i;
    }
  }
  EXPECT_EQ(all, Events{"overflow a overflow"});
  EXPECT_EQ(first, 9);  // the tenth interval in a row
  EXPECT_EQ(sc.mon().level(1), 1);
  sc.tick();  // the episode ends
  for (int i = 0; i < 10; ++i) {
    std::vector<VmSample> s = sc.normal();
    test::at(s, 1).out_packets = 150;
    test::at(s, 1).rx_ring_used = 250;
    const Events got = sc.tick(s);
    EXPECT_EQ(got, i == 9 ? Events{"overflow a overflow"} : Events{}) << i;
  }
  EXPECT_EQ(sc.last().at(0).evidence.at(1).metric, "ring_occupancy");
  EXPECT_DOUBLE_EQ(sc.last().at(0).evidence.at(1).value, 250.0 / 256);
}

TEST(Monitors, IdleOncePerSilence) {
  MonitorSettings settings = test::scenario_settings();
  settings.idle_after_s = 20;
  Scenario sc(settings);
  sc.warm_up();
  const auto silent_c = [&sc] {
    std::vector<VmSample> s = sc.normal();
    VmSample& c = test::at(s, 3);
    c = VmSample{};
    c.port = 3;
    return sc.tick(s);
  };
  for (int i = 1; i <= 25; ++i) {
    EXPECT_EQ(silent_c(), i == 20 ? Events{"idle c idle"} : Events{}) << i;
  }
  EXPECT_EQ(sc.last().size(), 0u);
  sc.tick();  // c speaks
  for (int i = 1; i <= 20; ++i) {
    EXPECT_EQ(silent_c(), i == 20 ? Events{"idle c idle"} : Events{}) << i;
  }
}

TEST(Monitors, OperatorRelease) {
  Scenario sc;
  sc.warm_up();
  std::vector<VmSample> s = sc.normal();
  test::horizontal_scan(test::at(s, 1));
  sc.tick(s);
  const uint64_t g = sc.mon().generation();
  MonitorEvent e;
  ASSERT_TRUE(sc.mon().release("a", &e));
  EXPECT_EQ(test::brief(e), "released a benign [operator_release]");
  EXPECT_EQ(e.port, 1);
  EXPECT_EQ(e.details,
            (std::vector<std::string>{"was attacker: horizontal_scan, failed_connections"}));
  EXPECT_EQ(sc.mon().level(1), 1);
  EXPECT_EQ(sc.mon().response(1), VmResponse{});
  EXPECT_GT(sc.mon().generation(), g);
  EXPECT_FALSE(sc.mon().release("a"));
  EXPECT_FALSE(sc.mon().release("nobody"));
  EXPECT_EQ(sc.tick(), Events{});
}

TEST(Monitors, VmsMoveAndComeBackWithTheirState) {
  Scenario sc;
  sc.warm_up();
  std::vector<VmSample> s = sc.normal();
  test::horizontal_scan(test::at(s, 1));
  sc.tick(s);
  std::vector<MonitoredVm> vms = test::scenario_vms();
  vms[0].port = 7;  // a moves
  sc.mon().set_vms(vms);
  EXPECT_EQ(sc.mon().level(7), 2);
  EXPECT_EQ(sc.mon().response(7), kRateLimited);
  EXPECT_EQ(sc.mon().level(1), 1);
  EXPECT_EQ(sc.mon().response(1), VmResponse{});
  EXPECT_EQ(sc.tick(), Events{});  // port 1's sample belongs to nobody now

  vms.erase(vms.begin());  // a detached
  sc.mon().set_vms(vms);
  EXPECT_EQ(sc.mon().status()["parked"], nlohmann::json::array({"a"}));
  EXPECT_EQ(sc.mon().status()["vms"].size(), 3u);
  EXPECT_EQ(sc.mon().level(7), 1);

  vms = test::scenario_vms();  // re-attached on its old port
  sc.mon().set_vms(vms);
  EXPECT_EQ(sc.mon().level(1), 2);
  EXPECT_FALSE(sc.mon().forget("a"));  // attached
  vms.erase(vms.begin());
  sc.mon().set_vms(vms);
  EXPECT_TRUE(sc.mon().forget("a"));
  sc.mon().set_vms(test::scenario_vms());
  EXPECT_EQ(sc.mon().level(1), 1);
  EXPECT_EQ(sc.mon().status()["vms"][0]["intervals"], 0);  // a fresh history
}

TEST(Monitors, BenignDiurnalLoadRaisesNothing) {
  Scenario sc(test::scenario_settings(), 2024);
  test::Profile busy;  // a front end: most figures above their floors
  busy.out_pps = 400;
  busy.bytes_per_packet = 800;
  busy.out_syn = 30;
  busy.dst_ips = 30;
  busy.dst_ports = 25;
  busy.inner = 3;
  busy.in_pps = 900;
  busy.in_syn = 40;
  busy.src_ips = 70;
  test::Profile server;
  server.in_pps = 600;
  server.in_syn = 45;
  server.src_ips = 60;
  server.out_pps = 500;
  sc.set_profile(1, busy);
  sc.set_profile(3, server);
  int events = 0;
  constexpr int kDay = 2000;
  for (int t = 0; t < kDay; ++t) {
    const double scale = 1 + 0.3 * std::sin(2 * M_PI * t / kDay);  // +-30 % over the "day"
    for (const std::string& e : sc.tick(sc.normal(scale))) {
      ADD_FAILURE() << "interval " << t << ": " << e;
      ++events;
    }
  }
  EXPECT_EQ(events, 0);
  // The busy VM's baselines are above the floors: the statistics were in charge.
  const nlohmann::json m = sc.mon().status()["vms"][0]["metrics"];
  EXPECT_GT(m["out_pps"]["mean"].get<double>(), 200);
  EXPECT_GT(m["distinct_dst_ips"]["mean"].get<double>(), 20);
  EXPECT_GT(m["in_pps"]["mean"].get<double>(), 500);
}

std::vector<std::string> scripted_run(uint32_t seed) {
  Scenario sc(test::scenario_settings(), seed);
  std::vector<std::string> out;
  const auto keep = [&out](const std::vector<MonitorEvent>& events) {
    for (const MonitorEvent& e : events) out.push_back(test::full(e));
  };
  for (int i = 0; i < 40; ++i) keep((sc.tick(), sc.last()));
  for (int i = 0; i < 3; ++i) {
    std::vector<VmSample> s = sc.normal();
    test::horizontal_scan(test::at(s, 1));
    test::syn_flood(test::at(s, 4), test::at(s, 3), 1500);
    std::vector<DetailRecord> d;
    for (uint8_t k = 1; k <= 20; ++k) {
      d.push_back(test::record(1, false, test::v4(10, 0, 0, 1), test::v4(10, 7, 0, k), 6, 22));
    }
    sc.tick(s, d);
    keep(sc.last());
  }
  for (int i = 0; i < 15; ++i) keep((sc.tick(), sc.last()));
  return out;
}

TEST(Monitors, SameInputsSameEvents) {
  const std::vector<std::string> one = scripted_run(5);
  const std::vector<std::string> two = scripted_run(5);
  EXPECT_EQ(one, two);
  EXPECT_EQ(one.size(), 9u);  // a, c and d: escalated, verdict, released
}

}  // namespace
}  // namespace vigil
