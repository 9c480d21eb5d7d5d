// The IDS as a pipeline stage, after the firewall and before the bridge.
//
// Per burst, for every live IPv4/IPv6 frame of an inspected tenant: find or open the flow in the
// IDS's flow table, honour the flow's earlier verdicts (dropped, passed, bypassed), then inspect:
//  - UDP, ICMP and other IP: the packet's payload (plus dns.query for DNS);
//  - TCP: the reassembled stream of the packet's direction (stream_reassembly.h) when it grew,
//    cut into app-layer transactions for HTTP (each request/response inspected once, with its
//    http.* buffers), DNS over TCP and the TLS ClientHello (tls.sni); packets that bring no new
//    stream data are inspected for packet-level rules (flags, dsize, ...).
// TLS application data and SSH after the banners bypass the flow (counted). Matches become EVE
// alerts (through the EveWriter ring); drop and reject rules drop the frame and the rest of its
// flow (reject also answers the sender). One thread per stage; the flow's spinlock serialises the
// two directions when they are on two workers.
#pragma once

#include <cstdint>

#include "dataplane/burst_stage.h"
#include "dataplane/packet_batch.h"
#include "dataplane/reject_reply.h"
#include "ids/dns_parser.h"
#include "ids/http_parser.h"
#include "ids/ids_context.h"
#include "ids/tls_parser.h"

struct rte_mbuf;

namespace vigil {
struct Conn;
}

namespace vigil::ids {

class IdsStage final : public BurstStage {
 public:
  // Registers `worker` as a reader of the IDS's flow table (RCU); unregisters when destroyed.
  IdsStage(IdsShared& shared, unsigned worker);
  ~IdsStage() override;
  void process(PacketBatch& batch) override;
  void quiescent() override;
  void offline() override;
  const IdsCounters& counters() const { return counters_; }

 private:
  struct Packet;  // one frame's parse, as the IDS needs it
  void handle(PacketBatch& batch, uint16_t i);
  bool parse(const PacketBatch& batch, uint16_t i, Packet& p);
  void fill_base(const Packet& p, bool to_server, bool established);
  void fill_flow_base(IdsFlow& f, const Packet& p, bool to_server, int d);
  void track_tcp(Conn& c, IdsFlow& f, int d, const Packet& p);
  void release_buffers(IdsFlow& f);
  // The stream of direction `d` grew: inspect it (app-layer aware). Returns false when the
  // stream could not be used (no buffer) and the packet must be inspected alone.
  bool inspect_stream(IdsFlow& f, int d, const Packet& p);
  void inspect_http(IdsFlow& f, int d, const Packet& p);
  // Follows the rest of an oversized body (IdsDirection::body_skip); false while it needs more
  // bytes, or when the framing is broken (then the flow is no longer parsed as HTTP).
  bool skip_body(IdsFlow& f, IdsDirection& sd);
  void inspect_raw_stream(IdsFlow& f, int d);
  void run(IdsFlow* f);  // engine over insp_, then apply the result to f and the frame
  void raise_alerts(const InspectResult& r);
  void apply_verdict(PacketBatch& batch, uint16_t i, IdsFlow* f);

  IdsShared& shared_;
  unsigned worker_;
  const DetectEngine* engine_ = nullptr;  // this burst's
  IdsCounters counters_;
  Inspection insp_;
  InspectResult result_;
  // The frame being handled and what its inspections decided.
  const PacketBatch* batch_ = nullptr;
  uint16_t index_ = 0;
  uint64_t flow_id_ = 0;
  bool verdict_drop_ = false, verdict_reject_ = false, verdict_pass_ = false;
  const HttpRequest* http_tx_ = nullptr;  // the request being inspected, for alert context
  bool dns_tx_ = false, tls_tx_ = false;  // dns_ / tls_ hold the inspected query / hello
  HttpRequest request_;
  HttpResponse response_;
  DnsQuery dns_;
  TlsClientHello tls_;
  uint8_t reply_[kRejectReplyMax];
  // "." + the value, for rules with the dotprefix transform.
  uint8_t dot_[kHttpHostMax + 2];
  void set_dotted(Buffer b, const char* value, uint32_t len);
};

}  // namespace vigil::ids
