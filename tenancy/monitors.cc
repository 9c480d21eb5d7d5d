// The Monitors facade: per-VM state by name, the per-interval pipeline VSEM -> HSEM -> HREM,
// and persistence / migration (see monitors.h).
#include "tenancy/monitors.h"

#include <algorithm>

namespace vigil {

using nlohmann::json;

namespace {

constexpr const char* kSaveFormat = "vigil-monitors";
constexpr const char* kExportFormat = "vigil-monitor-vm";
constexpr int kFormatVersion = 1;

const VmResponse kNoResponse{};

std::string episode_summary(const HsemState& h) {
  std::string s = std::string("was ") + verdict_name(h.verdict);
  for (std::size_t i = 0; i < h.detections.size(); ++i) {
    s += i == 0 ? ": " : ", ";
    s += detection_name(h.detections[i]);
  }
  return s;
}

bool check_format(const json& j, const char* format, std::string* error) {
  if (j.is_object()) {
    const auto f = j.find("format");
    const auto v = j.find("version");
    if (f != j.end() && *f == format && v != j.end() && *v == kFormatVersion) return true;
  }
  if (error) *error = std::string("expected a ") + format + " document, version 1";
  return false;
}

}  // namespace

Monitors::Monitors(MonitorSettings settings, std::vector<MonitoredVm> vms, MonitorTuning tuning)
    : settings_(std::move(settings)), tuning_(tuning), playbooks_(effective_playbooks(settings_)) {
  set_vms(std::move(vms));
}

void Monitors::set_vms(std::vector<MonitoredVm> vms) {
  std::stable_sort(vms.begin(), vms.end(),
                   [](const MonitoredVm& a, const MonitoredVm& b) { return a.port < b.port; });
  vms_ = std::move(vms);
  by_port_.clear();
  for (std::size_t i = 0; i < vms_.size(); ++i) {
    by_port_[vms_[i].port] = i;
    state_.try_emplace(vms_[i].name);
  }
  rebuild_book();
  ++generation_;  // ports may have moved: responses belong to other ports now
}

void Monitors::set_host_addresses(std::vector<IpAddress> addresses) {
  host_ = std::move(addresses);
  rebuild_book();
}

void Monitors::rebuild_book() {
  book_ = AddressBook{};
  for (const MonitoredVm& vm : vms_) {
    for (const IpAddress& a : vm.addresses) book_.vms[a] = {vm.name, vm.tenant};
  }
  book_.host = host_;
}

const MonitoredVm* Monitors::vm_at(uint16_t port) const {
  const auto it = by_port_.find(port);
  return it == by_port_.end() ? nullptr : &vms_[it->second];
}

const VmMonitorState* Monitors::state_at(uint16_t port) const {
  const MonitoredVm* vm = vm_at(port);
  if (vm == nullptr) return nullptr;
  const auto it = state_.find(vm->name);
  return it == state_.end() ? nullptr : &it->second;
}

const VmResponse& Monitors::response(uint16_t port) const {
  const VmMonitorState* st = state_at(port);
  return st ? st->hsem.response : kNoResponse;
}

int Monitors::level(uint16_t port) const {
  const VmMonitorState* st = state_at(port);
  return st ? st->vsem.level : 1;
}

MonitorEvent Monitors::event(uint64_t now_us, MonitorEventType type, const MonitoredVm& vm) const {
  MonitorEvent e;
  e.time_us = now_us;
  e.type = type;
  e.port = vm.port;
  e.vm = vm.name;
  e.tenant = vm.tenant;
  return e;
}

std::vector<MonitorEvent> Monitors::tick(uint64_t now_us, const std::vector<VmSample>& samples,
                                         const std::vector<DetailRecord>& details) {
  // Records of the interval that just ended, for VMs that were at level 2 during it.
  for (const DetailRecord& r : details) {
    const MonitoredVm* vm = vm_at(r.port);
    if (vm == nullptr) continue;
    VmMonitorState& st = state_[vm->name];
    if (st.vsem.level == 2) st.detail.add(r);
  }
  std::vector<const VmSample*> order;
  for (const VmSample& s : samples) {
    if (vm_at(s.port) != nullptr) order.push_back(&s);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const VmSample* a, const VmSample* b) { return a->port < b->port; });
  std::vector<MonitorEvent> events;
  for (const VmSample* s : order) {
    const MonitoredVm& vm = *vm_at(s->port);
    step(now_us, vm, *s, state_[vm.name], events);
  }
  return events;
}

void Monitors::step(uint64_t now_us, const MonitoredVm& vm, const VmSample& s, VmMonitorState& st,
                    std::vector<MonitorEvent>& events) {
  const VmResponse response_before = st.hsem.response;
  const int level_before = st.vsem.level;

  // VSEM (and VREM's figures).
  const VsemReport r = vsem_observe(st.vsem, s, settings_, tuning_);
  vrem_observe(st.vrem, s, !r.judgement.any(), settings_, tuning_);
  if (r.escalated) {
    st.hsem = HsemState{};
    st.detail.clear();
    MonitorEvent e = event(now_us, MonitorEventType::kEscalated, vm);
    e.evidence = evidence_of(r.values, r.judgement, st.vsem.baseline);
    events.push_back(std::move(e));
  }

  // HSEM, for level-2 VMs (from the escalating interval on, so limits come at once).
  if (st.vsem.level == 2) {
    const Classification c = classify(r.values, r.judgement, s.seconds, tuning_);
    const HsemStep h = hsem_step(st.hsem, c, r.judgement.any(), s.seconds, settings_, playbooks_);
    const bool victim = st.hsem.verdict == Verdict::kVictim;
    if (h.verdict_changed) {
      st.hsem.evidence = evidence_of(r.values, r.judgement, st.vsem.baseline);
      MonitorEvent e = event(now_us, MonitorEventType::kVerdict, vm);
      e.verdict = st.hsem.verdict;
      e.detections = st.hsem.detections;
      e.evidence = st.hsem.evidence;
      e.details = st.detail.top(victim, tuning_.top_details, book_, vm.tenant);
      e.actions = st.hsem.actions;
      events.push_back(std::move(e));
    }
    if (h.release) {
      MonitorEvent e = event(now_us, MonitorEventType::kReleased, vm);
      e.verdict = Verdict::kBenign;
      e.details.push_back(episode_summary(st.hsem));
      for (std::string& d : st.detail.top(victim, tuning_.top_details, book_, vm.tenant)) {
        e.details.push_back(std::move(d));
      }
      e.actions = {"release"};
      events.push_back(std::move(e));
      st.release();
    }
  }

  // HREM.
  if (hrem_overflow(st.vrem, s, settings_, tuning_)) {
    const Ewma& pps = st.vrem.out_pps;
    MonitorEvent e = event(now_us, MonitorEventType::kOverflow, vm);
    e.detections = {Detection::kOverflow};
    e.evidence = {{"out_pps", r.values[idx(Metric::kOutPps)], pps.mean(),
                   pps.threshold(settings_.margin, tuning_.min_ratio, 0)},
                  {"ring_occupancy", st.vrem.ring_occupancy, 0, tuning_.ring_full},
                  {"limited_per_s", st.vrem.limited_per_s, 0, 0},
                  {"near_capacity_intervals", static_cast<double>(st.vrem.near_capacity_run), 0,
                   static_cast<double>(tuning_.overflow_intervals)}};
    events.push_back(std::move(e));
  }
  if (hrem_idle(st.vrem, settings_)) {
    MonitorEvent e = event(now_us, MonitorEventType::kIdle, vm);
    e.detections = {Detection::kIdle};
    e.evidence = {
        {"inactive_s", st.vrem.inactive_s, 0, static_cast<double>(settings_.idle_after_s)}};
    events.push_back(std::move(e));
  }

  if (!(st.hsem.response == response_before) || st.vsem.level != level_before) ++generation_;
}

bool Monitors::release(const std::string& vm, MonitorEvent* event) {
  const auto it = state_.find(vm);
  if (it == state_.end() || it->second.vsem.level != 2) return false;
  if (event != nullptr) {
    *event = MonitorEvent{};
    event->type = MonitorEventType::kReleased;
    event->vm = vm;
    for (const MonitoredVm& v : vms_) {
      if (v.name == vm) {
        event->port = v.port;
        event->tenant = v.tenant;
      }
    }
    event->verdict = Verdict::kBenign;
    event->details = {episode_summary(it->second.hsem)};
    event->actions = {"operator_release"};
  }
  it->second.release();
  ++generation_;
  return true;
}

bool Monitors::forget(const std::string& vm) {
  for (const MonitoredVm& v : vms_) {
    if (v.name == vm) return false;  // attached: its state is live
  }
  return state_.erase(vm) > 0;
}

json Monitors::status() const {
  json vms = json::array();
  for (const MonitoredVm& vm : vms_) {
    const VmMonitorState& st = state_.at(vm.name);
    json one = {{"vm", vm.name}, {"port", vm.port}, {"tenant", vm.tenant}};
    one.update(state_status(st, settings_));
    if (st.vsem.level == 2) {
      one["top_destinations"] = st.detail.top(false, tuning_.top_details, book_, vm.tenant);
      one["top_sources"] = st.detail.top(true, tuning_.top_details, book_, vm.tenant);
    }
    vms.push_back(std::move(one));
  }
  json parked = json::array();
  for (const auto& [name, st] : state_) {
    const bool attached =
        std::any_of(vms_.begin(), vms_.end(), [&](const MonitoredVm& v) { return v.name == name; });
    if (!attached) parked.push_back(name);
  }
  return json{{"vms", vms}, {"parked", parked}};
}

json Monitors::save() const {
  json vms = json::object();
  for (const auto& [name, st] : state_) vms[name] = state_to_json(st);
  return json{{"format", kSaveFormat}, {"version", kFormatVersion}, {"vms", vms}};
}

bool Monitors::load(const json& j, std::string* error) {
  if (!check_format(j, kSaveFormat, error)) return false;
  const auto vms = j.find("vms");
  if (vms == j.end() || !vms->is_object()) {
    if (error) *error = "monitors state: \"vms\" must be an object";
    return false;
  }
  std::map<std::string, VmMonitorState> loaded;
  for (const auto& [name, one] : vms->items()) {
    std::string why;
    if (!state_from_json(one, &loaded[name], &why)) {
      if (error) *error = "vm " + name + ": " + why;
      return false;
    }
  }
  state_ = std::move(loaded);
  for (const MonitoredVm& vm : vms_) state_.try_emplace(vm.name);
  ++generation_;
  return true;
}

json Monitors::export_vm(const std::string& vm) const {
  const auto it = state_.find(vm);
  if (it == state_.end()) return json();
  return json{{"format", kExportFormat},
              {"version", kFormatVersion},
              {"vm", vm},
              {"state", state_to_json(it->second)}};
}

bool Monitors::import_vm(const json& j, std::string* error) {
  if (!check_format(j, kExportFormat, error)) return false;
  const auto name = j.find("vm");
  const auto one = j.find("state");
  if (name == j.end() || !name->is_string() || name->get<std::string>().empty() || one == j.end()) {
    if (error) *error = "monitor export: needs \"vm\" and \"state\"";
    return false;
  }
  VmMonitorState st;
  if (!state_from_json(*one, &st, error)) return false;
  state_[name->get<std::string>()] = std::move(st);
  ++generation_;
  return true;
}

}  // namespace vigil
