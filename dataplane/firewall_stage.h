// The stateful inter-VM firewall, for the IP traffic of tenants that have a policy.
//
// Per burst: every IPv4/IPv6 frame of a filtered tenant is looked up in the connection table
// (conn_table.h). A frame of a tracked connection passes in either direction without the policy
// (return traffic needs no rule), TCP segments once the state machine (tcp_tracker.h) accepts
// them. The others are classified by the tenants' policies in one rte_acl call per family for
// the whole burst; allowed ones open a connection (within the VM's limits), caching the verdict.
// ICMP errors about a tracked connection pass as related. Frames dropped here are never learned.
// Non-first IP fragments carry no ports: they are classified with ports 0 and open nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "dataplane/conn_table.h"
#include "dataplane/packet_batch.h"
#include "dataplane/reject_reply.h"
#include "dataplane/worker_counters.h"
#include "tenancy/address_owners.h"
#include "tenancy/policy_compiler.h"

namespace vigil {

// The policy side of the firewall. The control thread replaces it whole (switch_state.h); a
// burst uses the one in force at its start, freed once every worker has passed a quiescent state.
struct FirewallPolicyView {
  const PolicyClassifier* policy = nullptr;
  const std::vector<bool>* filtered = nullptr;  // per tenant: it has a policy
  const std::vector<bool>* vm_port = nullptr;   // per port: a VM port (its limits are charged)
  const AddressOwners* owners = nullptr;        // cross-tenant detection; null: none
};

class FirewallStage {
 public:
  FirewallStage(ConnTable& conns, WorkerCounters& counters) : conns_(conns), counters_(counters) {}
  void use(const FirewallPolicyView& view) { view_ = view; }
  void process(PacketBatch& batch);

 private:
  struct Pending {  // frames waiting for the policy, per family
    uint16_t index[kBurstSize];
    const uint8_t* keys[kBurstSize];
    uint32_t results[kBurstSize];
    uint16_t count = 0;
  };
  void prepare(PacketBatch& batch, uint16_t i, uint16_t acl_tenant);
  // Passes, drops, defers (to the next round) or queues frame i for the policy.
  void screen(PacketBatch& batch, uint16_t i, uint16_t* deferred, uint16_t& n_deferred);
  bool waits_for_pending(const ConnKey& key) const;
  // Handles a frame of a known connection; false if it has none (then it goes to the policy).
  bool track(PacketBatch& batch, uint16_t i);
  void decide(PacketBatch& batch, uint16_t i, PolicyAction action);
  // Turns a rejected frame into its TCP RST / ICMP unreachable (reject_reply.h), when one is due.
  void answer_reject(PacketBatch& batch, uint16_t i);
  // The connection an ICMP error quotes; false when the quote is cut short.
  bool quoted_key(const PacketMeta& m, const uint8_t* frame, ConnKey& key) const;

  ConnTable& conns_;
  WorkerCounters& counters_;
  FirewallPolicyView view_;
  // Per frame of the burst, filled by the first pass.
  struct Frame {
    const uint8_t* data;
    ConnKey key;
    uint8_t side;       // 0: the sender is the key's lo end
    uint32_t l4_len;    // bytes of L4 header and payload, from the IP length
    const uint8_t* l4;  // the L4 header, when the parser checked one
    uint8_t proto;
    uint16_t acl_tenant;  // the tenant, or the cross-tenant code of (sender's tenant, tenant)
    Conn* reopen;         // an expired or TIME_WAIT/CLOSE connection this frame may start anew
  } frames_[kBurstSize];
  AclKeyV4 keys_v4_[kBurstSize];
  AclKeyV6 keys_v6_[kBurstSize];
  Pending v4_, v6_;
  uint8_t reply_[kRejectReplyMax];
};

}  // namespace vigil
