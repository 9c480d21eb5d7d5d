// Compiles every tenant's firewall policy (tenancy/policy_spec.h) into two DPDK rte_acl
// contexts, one for IPv4 and one for IPv6, shared by all tenants: the tenant index is an ACL
// field, so a worker classifies a whole burst of one family with one rte_acl_classify call.
//
// Names are expanded at build time: a VM port name becomes that VM's bound addresses (/32,
// /128), a group its members (recursively; a cycle only adds nothing), "any" a wildcard. A rule
// becomes one ACL rule per (src, dst) pair of the same family; a rule whose names expand to no
// address of a family has no ACL rule in that family and so never matches it.
//
// Keys are in network byte order (as rte_acl expects its input; rules are given in host order).
// For ICMP/ICMPv6 the sport/dport fields carry the type and code. A classify result is 0 when
// no rule matched (the tenant's default applies) or a 1-based rule id (see rule()).
//
// The contexts are immutable after build() and freed with the object; every build uses fresh
// context names, so a reload builds a new classifier beside the one the workers still use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tenancy/policy_spec.h"
#include "tenancy/tenant_spec.h"

struct rte_acl_ctx;

namespace vigil {

// IPv4 classify key. rte_acl reads the first field as one byte, then groups of 4 bytes
// ("input indexes"): proto | src | dst | sport,dport | tenant,pad.
struct AclKeyV4 {
  uint8_t proto;
  uint8_t pad[3];
  uint32_t src;  // network byte order, as in the header
  uint32_t dst;
  uint16_t sport;   // network byte order; ICMP type for ICMP
  uint16_t dport;   // network byte order; ICMP code for ICMP
  uint16_t tenant;  // network byte order
  uint16_t pad2;
};
static_assert(sizeof(AclKeyV4) == 20);

// IPv6 classify key: proto | tenant,pad | src (4 x 4 bytes) | dst (4 x 4 bytes) | sport,dport.
struct AclKeyV6 {
  uint8_t proto;  // the upper-layer protocol after the extension headers
  uint8_t pad[3];
  uint16_t tenant;
  uint16_t pad2;
  uint8_t src[16];
  uint8_t dst[16];
  uint16_t sport;
  uint16_t dport;
};
static_assert(sizeof(AclKeyV6) == 44);

// Fills a key from a parsed frame: `l3` and `l4` are offsets of the IP and L4 headers in
// `frame` (l4 == 0 or a non-first fragment: no ports), `proto` the L4 protocol. The frame must
// hold the full L3 header and, when l4 != 0, at least 4 bytes of L4 header (2 for ICMP).
void fill_key_v4(AclKeyV4& key, const uint8_t* frame, uint16_t l3, uint16_t l4, uint8_t proto,
                 uint16_t tenant);
void fill_key_v6(AclKeyV6& key, const uint8_t* frame, uint16_t l3, uint16_t l4, uint8_t proto,
                 uint16_t tenant);

// What a compiled rule id stands for.
struct CompiledRule {
  PolicyAction action;
  uint16_t tenant;
  int line;        // config line of the rule
  uint32_t index;  // the rule's index in its tenant's policy.rules
};

// The ACL "tenant" of traffic from tenant `from`'s VMs arriving in tenant `to`: cross-tenant
// rules live beside the tenants' own, and what none of them allows is denied.
inline constexpr uint16_t kMaxCrossTenants = 128;
inline constexpr uint16_t cross_tenant_code(uint16_t from, uint16_t to) {
  return static_cast<uint16_t>(0x8000 | from << 7 | to);
}
inline constexpr bool is_cross_tenant(uint16_t code) {
  return code & 0x8000;
}

class PolicyClassifier {
 public:
  // Builds the classifier for all tenants (tenant i of spec.tenants is tenant index i); nullptr
  // with *error set when a name does not resolve, an address is bad or rte_acl fails.
  // Needs an initialised EAL (rte_acl allocates from the DPDK heap).
  static std::unique_ptr<PolicyClassifier> build(const TenancySpec& spec, std::string* error);
  ~PolicyClassifier();
  PolicyClassifier(const PolicyClassifier&) = delete;
  PolicyClassifier& operator=(const PolicyClassifier&) = delete;

  // Classifies n keys (AclKeyV4 / AclKeyV6 pointers); results[i] is 0 or a rule id.
  void classify_v4(const uint8_t* const* keys, uint32_t n, uint32_t* results) const;
  void classify_v6(const uint8_t* const* keys, uint32_t n, uint32_t* results) const;

  // The verdict for a result of `tenant`'s packet (its default when result is 0).
  PolicyAction action_of(uint16_t tenant, uint32_t result) const {
    if (result != 0) return rules_[result - 1].action;
    return is_cross_tenant(tenant) ? PolicyAction::kDeny : defaults_[tenant];
  }
  const CompiledRule& rule(uint32_t result) const { return rules_[result - 1]; }
  // Policy rules compiled (ids 1..rule_count()), and ACL rules generated per family.
  size_t rule_count() const { return rules_.size(); }
  size_t acl_rule_count_v4() const { return acl_rules_v4_; }
  size_t acl_rule_count_v6() const { return acl_rules_v6_; }

 private:
  PolicyClassifier() = default;

  rte_acl_ctx* v4_ = nullptr;  // nullptr when the family has no rule: every result is 0
  rte_acl_ctx* v6_ = nullptr;
  std::vector<CompiledRule> rules_;
  std::vector<PolicyAction> defaults_;  // per tenant
  size_t acl_rules_v4_ = 0;
  size_t acl_rules_v6_ = 0;
};

}  // namespace vigil
