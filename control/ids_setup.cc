#include "control/ids_setup.h"

#include <algorithm>
#include <stdexcept>

namespace vigil {

std::unique_ptr<ids::IdsRuntime> start_ids(const Config& config,
                                           const std::vector<std::string>& port_names,
                                           unsigned workers, const std::string& eve_override,
                                           std::ostream& log) {
  const IdsSettings& s = config.ids;
  if (!s.enabled) return nullptr;
  ids::IdsOptions o;
  o.rule_files = s.rules;
  o.classification = s.classification;
  o.address_vars = s.address_vars;
  o.port_vars = s.port_vars;
  o.eve_path = eve_override.empty() ? s.eve : eve_override;
  o.syslog = s.syslog;
  o.flows = s.flows;
  o.stream_buffer = s.stream_buffer;
  o.stream_buffers = s.stream_buffers;
  o.eve_queue = s.eve_queue;
  o.workers = workers;
  o.inspect_all = s.tenants.empty();
  o.port_names = port_names;
  for (const TenantSpec& t : config.tenancy.tenants) {
    const bool listed = std::find(s.tenants.begin(), s.tenants.end(), t.name) != s.tenants.end();
    o.inspected.push_back(s.tenants.empty() || listed);
    o.tenant_names.push_back(t.name);
    o.tenant_vlans.push_back(t.vlan);
  }
  std::string error;
  std::unique_ptr<ids::IdsRuntime> rt = ids::IdsRuntime::create(o, &error);
  if (rt == nullptr) throw std::runtime_error("ids: " + error);
  print_ids_load(log, rt->load_report(), rt->engine_report());
  return rt;
}

void print_ids_load(std::ostream& out, const ids::LoadReport& load, const ids::EngineReport& e) {
  out << "vigild: ids: " << load.loaded << " rules loaded, " << load.skipped << " skipped, "
      << load.disabled << " disabled (commented out) in " << load.files << " files\n";
  for (const auto& [reason, n] : load.skipped_by_reason) {
    out << "vigild: ids:   skipped " << n << ": " << reason << "\n";
  }
  for (const auto& [reason, n] : e.dropped) {
    out << "vigild: ids:   not compiled " << n << ": " << reason << "\n";
  }
  out << "vigild: ids: " << e.rules << " rules compiled in " << e.compile_seconds
      << " s: " << e.literal_prefiltered << " by fast pattern, " << e.pcre_prefiltered
      << " by pcre prefilter, " << e.header_only << " header-only, " << e.unfiltered
      << " unfiltered; " << e.databases << " Hyperscan databases, " << e.patterns << " patterns, "
      << e.database_bytes / 1024 << " KiB, scratch " << e.scratch_bytes / 1024
      << " KiB per worker\n";
}

IdsStats gather_ids_stats(const ids::IdsRuntime& rt,
                          const std::vector<const ids::IdsCounters*>& workers) {
  IdsStats s;
  for (const ids::IdsCounters* c : workers) s.counters.add(*c);
  s.load = rt.load_report();
  s.engine = rt.engine_report();
  s.eve = rt.eve_counters();
  s.flows = const_cast<ids::IdsRuntime&>(rt).flows().count();
  s.stream_buffers_free = rt.stream_pool_free();
  s.reloads = rt.reloads();
  return s;
}

void print_ids_stats(std::ostream& out, const IdsStats& s) {
  const ids::IdsCounters& c = s.counters;
  out << "\nids: " << s.engine.rules << " rules; " << c.packets << " packets inspected, "
      << c.alerts << " alerts (" << s.eve.written << " written, "
      << c.alerts_lost + s.eve.lost_pool + s.eve.lost_ring << " lost), " << c.drops << " dropped, "
      << c.rejects << " rejected, " << c.passes << " passed\n"
      << "  flows " << s.flows << ", bypassed (encrypted) " << c.flows_bypassed << "; http "
      << c.http_requests << " requests / " << c.http_responses << " responses / " << c.http_errors
      << " errors; dns " << c.dns_queries << "; tls hellos " << c.tls_client_hellos << "\n"
      << "  stream: " << c.stream.in_order << " in order, " << c.stream.out_of_order
      << " out of order, " << c.stream.retransmit << " retransmitted, " << c.stream.overlap
      << " overlaps (" << c.stream.overlap_mismatch << " with different bytes), " << c.stream_gaps
      << " gaps given up\n";
}

void write_ids_json(std::ostream& out, const IdsStats& s) {
  const ids::IdsCounters& c = s.counters;
  out << "{\"rules_loaded\": " << s.load.loaded << ", \"rules_skipped\": " << s.load.skipped
      << ", \"rules_compiled\": " << s.engine.rules << ", \"reloads\": " << s.reloads
      << ", \"skipped_by_reason\": {";
  bool first = true;
  for (const auto& [reason, n] : s.load.skipped_by_reason) {
    std::string r;
    for (char ch : reason) {
      if (ch == '"' || ch == '\\') r += '\\';
      if (static_cast<unsigned char>(ch) >= 0x20) r += ch;
    }
    out << (first ? "" : ", ") << "\"" << r << "\": " << n;
    first = false;
  }
  out << "}, \"packets\": " << c.packets << ", \"bytes\": " << c.bytes
      << ", \"inspections\": " << c.inspections << ", \"candidates\": " << c.candidates
      << ", \"alerts\": " << c.alerts << ", \"alerts_suppressed\": " << c.alerts_suppressed
      << ", \"eve_written\": " << s.eve.written
      << ", \"eve_lost\": " << c.alerts_lost + s.eve.lost_pool + s.eve.lost_ring
      << ", \"eve_sink_errors\": " << s.eve.sink_errors << ", \"hits_lost\": " << c.hits_lost
      << ", \"drops\": " << c.drops << ", \"rejects\": " << c.rejects
      << ", \"passes\": " << c.passes << ", \"flows\": " << s.flows
      << ", \"flows_bypassed\": " << c.flows_bypassed
      << ", \"bypassed_packets\": " << c.bypassed_packets << ", \"fragments\": " << c.fragments
      << ", \"flow_table_full\": " << c.flow_table_full
      << ", \"no_stream_buffer\": " << c.no_stream_buffer
      << ", \"stream_buffers_free\": " << s.stream_buffers_free
      << ", \"http_requests\": " << c.http_requests << ", \"http_responses\": " << c.http_responses
      << ", \"http_errors\": " << c.http_errors << ", \"dns_queries\": " << c.dns_queries
      << ", \"dns_errors\": " << c.dns_errors << ", \"tls_client_hellos\": " << c.tls_client_hellos
      << ", \"flowbits_overflow\": " << c.flowbits_overflow
      << ", \"stream\": {\"in_order\": " << c.stream.in_order
      << ", \"out_of_order\": " << c.stream.out_of_order
      << ", \"retransmit\": " << c.stream.retransmit << ", \"overlap\": " << c.stream.overlap
      << ", \"overlap_mismatch\": " << c.stream.overlap_mismatch
      << ", \"beyond_buffer_bytes\": " << c.stream.beyond_buffer
      << ", \"ooo_dropped\": " << c.stream.ooo_dropped << ", \"gaps\": " << c.stream_gaps
      << ", \"window_slides\": " << c.stream_truncated << "}}";
}

}  // namespace vigil
