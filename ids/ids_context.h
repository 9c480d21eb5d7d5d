// What the IDS's workers share (built by vigild, see ids_runtime.h) and what each one counts.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/conn_table.h"
#include "ids/detect_engine.h"
#include "ids/eve_writer.h"
#include "ids/ids_flow.h"
#include "ids/stream_reassembly.h"

struct rte_mempool;

namespace vigil::ids {

struct IdsShared {
  std::atomic<const DetectEngine*> engine{nullptr};  // swapped on reload, RCU-retired
  ConnTable* flows = nullptr;                        // the IDS's own flow table
  IdsFlow* states = nullptr;                         // parallel to flows' entries
  rte_mempool* stream_pool = nullptr;                // stream buffers of stream_buffer bytes
  uint32_t stream_buffer = 8192;
  EveWriter* eve = nullptr;     // null: alerts are counted only
  std::vector<bool> inspected;  // per tenant slot at startup
  bool inspect_all = true;      // every tenant, including ones added later (ids.tenants empty)
  std::vector<std::string> port_names;    // per port
  std::vector<std::string> tenant_names;  // per tenant
  std::vector<uint16_t> tenant_vlans;     // per tenant
};

// Per worker; summed by the stats report.
struct IdsCounters {
  uint64_t packets = 0, bytes = 0;  // IP frames seen by the IDS (inspected tenants)
  uint64_t inspections = 0;         // engine runs (packets, stream stretches, transactions)
  uint64_t candidates = 0;          // rules nominated by Hyperscan (or unfiltered)
  uint64_t alerts = 0;              // alerts raised (handed to the EVE writer or lost there)
  uint64_t alerts_suppressed = 0;   // matches held back by threshold/noalert
  uint64_t alerts_lost = 0;         // the EVE writer had no room
  uint64_t hits_lost = 0;           // matches beyond a result's capacity
  uint64_t drops = 0, rejects = 0, passes = 0;
  uint64_t flows_bypassed = 0;    // encrypted flows no longer inspected
  uint64_t bypassed_packets = 0;  // packets of bypassed or passed flows
  uint64_t fragments = 0;         // IP fragments, not inspected (no IP reassembly)
  uint64_t flow_table_full = 0;   // inspected without flow state
  uint64_t no_stream_buffer = 0;  // stream buffer pool empty: packet inspected alone
  uint64_t stream_gaps = 0;       // a hole given up on (buffer full)
  uint64_t stream_truncated = 0;  // stream window slid: offsets restart
  uint64_t http_requests = 0, http_responses = 0, http_errors = 0;
  uint64_t dns_queries = 0, dns_errors = 0;
  uint64_t tls_client_hellos = 0;
  uint64_t flowbits_overflow = 0;
  StreamCounters stream{};

  void add(const IdsCounters& o);
};

}  // namespace vigil::ids
