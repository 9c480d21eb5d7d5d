// The monitors' shared vocabulary (issue 6; tenancy/MONITORS.md describes the design):
//  - VmSample: one VM port's level-1 figures over one interval, made by the control thread from
//    the workers' counters (dataplane/monitor_tap.h);
//  - DetailRecord: one packet of a level-2 (suspect) VM, for per-destination evidence;
//  - MonitorEvent: what VSEM/VREM/HSEM/HREM report (escalations, verdicts, releases, ...);
//  - VmResponse: the limits the switch applies to a VM port (dataplane/response_stage.h);
//  - MonitorSettings: the `monitor:` config section.
// Plain data; nothing here runs on the fast path.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vigil {

// Level 1: every VM port, every interval. Counts are for the interval; distinct counts are
// HyperLogLog estimates over the interval.
struct VmSample {
  uint16_t port = 0;
  double seconds = 1;  // interval length
  // From the VM.
  uint64_t out_packets = 0, out_bytes = 0;
  uint64_t out_syn = 0;            // TCP SYN without ACK: connection attempts
  uint64_t out_arp = 0;            // ARP frames
  uint64_t host_access = 0;        // frames to the host's / management addresses (dropped)
  uint64_t spoofed = 0;            // frames with a source MAC/IP/ARP not bound to the VM (dropped)
  uint64_t other_drops = 0;        // the VM's other dropped frames (policy, limits, ...)
  double distinct_dst_ips = 0;     // distinct destination addresses
  double distinct_dst_ports = 0;   // distinct destination (TCP/UDP) ports
  double distinct_inner_dsts = 0;  // distinct destinations that are VMs on this host
  // To the VM.
  uint64_t in_packets = 0, in_bytes = 0;
  uint64_t in_syn = 0;          // connection attempts toward the VM
  uint64_t in_synack = 0;       // answers to the VM's own attempts
  uint64_t in_rst = 0;          // TCP RSTs delivered to the VM (refusals)
  uint64_t in_unreachable = 0;  // ICMP/ICMPv6 destination unreachable delivered to the VM
  double distinct_src_ips = 0;  // distinct sources sending to the VM
  // Reliability (VREM).
  uint64_t limited = 0;       // frames the monitors' limits dropped
  uint32_t rx_ring_used = 0;  // rx ring occupancy at the end of the interval
  uint32_t rx_ring_size = 0;
  bool link_up = true;
};

// Level 2: one packet of a suspect VM (from it or to it).
struct DetailRecord {
  uint64_t time_us = 0;
  uint16_t port = 0;
  bool inbound = false;  // to the VM
  uint8_t family = 4, proto = 0, tcp_flags = 0;
  std::array<uint8_t, 16> src{}, dst{};
  uint16_t sport = 0, dport = 0;
  uint16_t length = 0;
};

enum class Verdict : uint8_t { kNone, kAttacker, kVictim, kBenign };
const char* verdict_name(Verdict v);  // "none", "attacker", "victim", "benign"

#define VIGIL_DETECTIONS(X)                                                          \
  X(kHorizontalScan, "horizontal_scan", "one port across many addresses")            \
  X(kVerticalScan, "vertical_scan", "many ports of one address")                     \
  X(kSynFlood, "syn_flood", "connection attempts far above the VM's habit")          \
  X(kFlood, "flood", "packet rate far above the VM's habit")                         \
  X(kSpoofedFlood, "spoofed_flood", "inbound flood from many (spoofed) sources")     \
  X(kSpoofing, "spoofing", "frames with a source MAC/IP/ARP not bound to the VM")    \
  X(kFanOut, "fan_out", "contacting many neighbour VMs on this host")                \
  X(kHostAccess, "host_access", "attempts on the host or management addresses")      \
  X(kFailedConnections, "failed_connections", "many refused or unanswered attempts") \
  X(kOverflow, "overflow", "sustained load near the VM's limit, unlike its history") \
  X(kIdle, "idle", "no traffic for a long time (VM sprawl)")                         \
  X(kConfigTamper, "config_tamper", "vigil's config changed outside its control API")

enum class Detection : uint8_t {
#define VIGIL_DETECTION_ENUM(id, name, help) id,
  VIGIL_DETECTIONS(VIGIL_DETECTION_ENUM)
#undef VIGIL_DETECTION_ENUM
      kCount
};
const char* detection_name(Detection d);
bool parse_detection(const std::string& name, Detection* out);

// Evidence: a metric, its value this interval, and what the VM's baseline made of it.
struct Evidence {
  std::string metric;  // "out_syn_per_s", "distinct_dst_ips", ...
  double value = 0, baseline_mean = 0, threshold = 0;
};

enum class MonitorEventType : uint8_t {
  kEscalated,  // VSEM: the VM goes to level 2
  kVerdict,    // HSEM: attacker / victim, with detections and evidence
  kReleased,   // back to level 1 after the cool-down
  kIdle,       // VREM/HREM: the VM has been idle (sprawl)
  kOverflow,   // VREM/HREM: sustained load near its limit
  kTamper,     // the config file changed outside the API
};
const char* monitor_event_name(MonitorEventType t);  // "escalated", "verdict", ...

struct MonitorEvent {
  uint64_t time_us = 0;
  MonitorEventType type = MonitorEventType::kEscalated;
  uint16_t port = 0;
  std::string vm;  // the VM's port name
  std::string tenant;
  Verdict verdict = Verdict::kNone;
  std::vector<Detection> detections;
  std::vector<Evidence> evidence;
  // Level-2 detail: top destinations "10.0.0.5:22/tcp x120 (same tenant)" and the like.
  std::vector<std::string> details;
  std::vector<std::string> actions;  // responses applied: "rate_limit", "quarantine", ...
};

// What the switch enforces on a VM port while the monitors watch it.
struct VmResponse {
  bool quarantine = false;      // drop all but allowed management traffic
  uint64_t rate_pps = 0;        // 0: no packet-rate limit (from the VM)
  uint64_t new_conn_per_s = 0;  // 0: no limit on TCP SYNs from the VM
  bool capture = false;         // record the VM's traffic (pcapng)
  bool operator==(const VmResponse&) const = default;
};

enum class PlaybookAction : uint8_t { kAlert, kRateLimit, kQuarantine, kCapture };

struct Playbook {
  Verdict verdict = Verdict::kAttacker;
  std::vector<Detection> detections;  // empty: any
  std::vector<PlaybookAction> actions;
  uint64_t rate_pps = 1000;
  uint64_t new_conn_per_s = 10;
  uint32_t release_after_s = 300;  // then back to level 1 if nothing new
};

struct MonitorSettings {
  bool enabled = false;
  uint32_t interval_s = 1;
  uint32_t warmup_intervals = 30;        // no escalation before a VM has this much history
  double margin = 4.0;                   // anomalous: above mean + margin * stddev ...
  std::map<std::string, double> floors;  // ... and above this absolute floor (per metric)
  double ewma_alpha = 0.05;
  uint32_t cooldown_s = 60;      // level 2 with nothing anomalous this long: benign, released
  uint32_t idle_after_s = 3600;  // no traffic this long: reported idle
  std::string state;             // baselines persisted here (JSON); "" for none
  std::string eve;               // verdict events (EVE JSON lines); "" for the IDS's writer
  std::string syslog;            // "unix:/path" or "udp:host:port"
  std::vector<std::string> management;  // CIDRs a quarantined VM may still reach
  std::vector<Playbook> playbooks;
};

}  // namespace vigil
