// IdsStage's outcome part: runs the engine over the prepared inspection, raises EVE alerts and
// applies pass/drop/reject to the flow and the frame.
#include <rte_mbuf.h>

#include "dataplane/reject_in_place.h"
#include "ids/ids_stage.h"

namespace vigil::ids {
namespace {

const char* app_name(AppKind a) {
  switch (a) {
    case AppKind::kHttp:
      return "http";
    case AppKind::kDns:
      return "dns";
    case AppKind::kTls:
      return "tls";
    default:
      return "";
  }
}

}  // namespace

void IdsStage::run(IdsFlow* f) {
  engine_->inspect(insp_, worker_, result_);
  if (f != nullptr) {
    f->dir[insp_.to_server ? 0 : 1].header_checked = true;
    insp_.first_in_direction = false;  // later inspections of this packet skip them too
  }
  ++counters_.inspections;
  counters_.candidates += result_.candidates;
  counters_.hits_lost += result_.lost_hits;
  raise_alerts(result_);
  if (result_.pass) {
    verdict_pass_ = true;
    ++counters_.passes;
    if (f != nullptr) f->passed = true;
  }
  verdict_drop_ |= result_.drop;
  verdict_reject_ |= result_.reject;
}

void IdsStage::raise_alerts(const InspectResult& r) {
  const PacketMeta& m = batch_->meta[index_];
  for (uint16_t k = 0; k < r.n_hits; ++k) {
    if (!r.hits[k].alert) {
      ++counters_.alerts_suppressed;
      continue;
    }
    ++counters_.alerts;
    if (shared_.eve == nullptr) continue;
    AlertRecord* rec = shared_.eve->acquire();
    if (rec == nullptr) continue;  // counted by the writer (lost_pool)
    const Rule& rule = engine_->rule(r.hits[k].rule);
    rec->kind = EventKind::kAlert;
    const bool blocks = rule.action == RuleAction::kDrop || rule.action == RuleAction::kReject;
    rec->action = blocks ? AlertAction::kBlocked : AlertAction::kAllowed;
    rec->family = insp_.family;
    rec->ip_proto = insp_.ip_proto;
    rec->to_server = insp_.to_server;
    rec->severity = rule.priority;
    rec->icmp_type = insp_.icmp_type;
    rec->icmp_code = insp_.icmp_code;
    rec->in_port = m.in_port;
    rec->vlan = m.tenant < shared_.tenant_vlans.size() ? shared_.tenant_vlans[m.tenant] : 0;
    rec->src_port = insp_.sport;
    rec->dst_port = insp_.dport;
    rec->gid = rule.gid;
    rec->sid = rule.sid;
    rec->rev = rule.rev;
    rec->time_us = insp_.time_us;
    rec->flow_id = flow_id_;
    const size_t alen = insp_.family == 6 ? 16 : 4;
    std::memcpy(rec->src_addr, insp_.src, alen);
    std::memcpy(rec->dst_addr, insp_.dst, alen);
    if (m.in_port < shared_.port_names.size())
      set_text(rec->in_iface, shared_.port_names[m.in_port]);
    if (m.tenant < shared_.tenant_names.size())
      set_text(rec->tenant, shared_.tenant_names[m.tenant]);
    set_text(rec->app_proto, app_name(insp_.app));
    set_text(rec->msg, rule.msg);
    set_text(rec->category, rule.category);
    if (http_tx_ != nullptr) {
      set_text(rec->http_hostname, http_tx_->host.str());
      set_text(rec->http_url, http_tx_->uri_raw.str());
    }
    if (dns_tx_) set_text(rec->dns_rrname, dns_.name_view());
    if (tls_tx_) set_text(rec->tls_sni, std::string_view(tls_.sni, tls_.sni_len));
    shared_.eve->publish(rec);  // a full ring is counted by the writer (lost_ring)
  }
}

void IdsStage::apply_verdict(PacketBatch& batch, uint16_t i, IdsFlow* f) {
  if (verdict_reject_) {
    ++counters_.rejects;
    if (f != nullptr) f->dropped = DropReason::kIdsReject;
    batch.drop(i, DropReason::kIdsReject);
    reject_in_place(batch.pkts[i], batch.meta[i], reply_);
  } else if (verdict_drop_) {
    ++counters_.drops;
    if (f != nullptr) f->dropped = DropReason::kIdsDrop;
    batch.drop(i, DropReason::kIdsDrop);
  }
}

}  // namespace vigil::ids
