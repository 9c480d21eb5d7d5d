// VSEM, the per-VM security monitor (DESIGN.md, "The monitors"):
//  - level 1, every VM every interval: the metrics of a VmSample, judged against the VM's
//    baseline; any anomalous metric escalates the VM to level 2;
//  - level 2, suspects only: the VM's packets (DetailRecords) aggregated per destination (or,
//    inbound, per source), each labelled as a VM of this host (same or other tenant), the host
//    itself, or off this host; the top ones become the evidence's details.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tenancy/monitor_baseline.h"
#include "tenancy/monitor_types.h"

namespace vigil {

// An IPv4 (first 4 bytes) or IPv6 address, as DetailRecord carries them.
struct IpAddress {
  uint8_t family = 4;
  std::array<uint8_t, 16> bytes{};
  auto operator<=>(const IpAddress&) const = default;
};
std::string format_address(const IpAddress& a);
bool parse_address(const std::string& text, IpAddress* out);  // "10.0.0.1" or "fd00::1"

// Who owns the addresses a level-2 VM talks to, for labelling details.
struct AddressBook {
  struct Owner {
    std::string vm, tenant;
  };
  std::map<IpAddress, Owner> vms;  // addresses of the VMs on this host
  std::vector<IpAddress> host;     // the host's own / management addresses
};

// The level-1 metrics of one sample (monitor_baseline.h says the units).
MetricValues compute_metrics(const VmSample& s);

// Evidence for the anomalous metrics of a judgement, in metric order.
std::vector<Evidence> evidence_of(const MetricValues& v, const Judgement& j, const Baseline& b);

// A level-2 VM's packets, counted per peer. Bounded: past kMaxPeers peers per direction new
// peers are only counted in `others`.
class DetailAggregate {
 public:
  static constexpr std::size_t kMaxPeers = 4096;

  void add(const DetailRecord& r);
  void clear();
  uint64_t records() const { return records_; }
  std::size_t peers(bool inbound) const { return (inbound ? in_ : out_).size(); }
  // The n busiest peers as "10.0.0.5:22/tcp x120 (vm b, same tenant)" (outbound) or
  // "from 198.51.100.7 to :80/tcp x300 (off host)" (inbound); ties in peer order.
  std::vector<std::string> top(bool inbound, std::size_t n, const AddressBook& book,
                               const std::string& tenant) const;

 private:
  struct Key {
    IpAddress addr;  // outbound: destination; inbound: source
    uint8_t proto = 0;
    uint16_t port = 0;  // destination port (for inbound: the VM's port being hit)
    auto operator<=>(const Key&) const = default;
  };
  std::map<Key, uint64_t> out_, in_;
  uint64_t records_ = 0, others_[2] = {0, 0};
};

// A VM's VSEM state.
struct VsemState {
  Baseline baseline;
  int level = 1;
  uint64_t escalations = 0;  // how many times it went to level 2
  MetricValues last{};       // the last interval's metrics (for status)
  Judgement last_judgement;
};

// One interval of VSEM for one VM.
struct VsemReport {
  MetricValues values{};
  Judgement judgement;
  bool escalated = false;  // went from level 1 to level 2 this interval
};

// Judges the sample, learns it if it was not anomalous, escalates on any anomaly.
VsemReport vsem_observe(VsemState& st, const VmSample& s, const MonitorSettings& settings,
                        const MonitorTuning& tuning);

}  // namespace vigil
