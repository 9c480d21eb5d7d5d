#include "tenancy/policy_compiler.h"

#include <arpa/inet.h>
#include <rte_acl.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <numeric>
#include <set>

#include "tenancy/cidr.h"

namespace vigil {

const char* policy_action_name(PolicyAction action) {
  switch (action) {
    case PolicyAction::kAllow:
      return "allow";
    case PolicyAction::kDeny:
      return "deny";
    case PolicyAction::kReject:
      return "reject";
    case PolicyAction::kLog:
      return "log";
  }
  return "?";
}

void fill_key_v4(AclKeyV4& key, const uint8_t* frame, uint16_t l3, uint16_t l4, uint8_t proto,
                 uint16_t tenant) {
  std::memset(&key, 0, sizeof key);
  key.proto = proto;
  std::memcpy(&key.src, frame + l3 + 12, 4);
  std::memcpy(&key.dst, frame + l3 + 16, 4);
  if (l4 != 0 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP)) {
    std::memcpy(&key.sport, frame + l4, 2);
    std::memcpy(&key.dport, frame + l4 + 2, 2);
  } else if (l4 != 0 && proto == IPPROTO_ICMP) {
    key.sport = htons(frame[l4]);
    key.dport = htons(frame[l4 + 1]);
  }
  key.tenant = htons(tenant);
}

void fill_key_v6(AclKeyV6& key, const uint8_t* frame, uint16_t l3, uint16_t l4, uint8_t proto,
                 uint16_t tenant) {
  std::memset(&key, 0, sizeof key);
  key.proto = proto;
  std::memcpy(key.src, frame + l3 + 8, 16);
  std::memcpy(key.dst, frame + l3 + 24, 16);
  if (l4 != 0 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP)) {
    std::memcpy(&key.sport, frame + l4, 2);
    std::memcpy(&key.dport, frame + l4 + 2, 2);
  } else if (l4 != 0 && proto == IPPROTO_ICMPV6) {
    key.sport = htons(frame[l4]);
    key.dport = htons(frame[l4 + 1]);
  }
  key.tenant = htons(tenant);
}

namespace {

// Field indexes; input indexes group them into the 4-byte words rte_acl reads.
enum FieldV4 { kV4Proto, kV4Tenant, kV4Pad, kV4Src, kV4Dst, kV4Sport, kV4Dport, kV4Fields };
enum FieldV6 {
  kV6Proto,
  kV6Tenant,
  kV6Pad,
  kV6Src,  // 4 words
  kV6Dst = kV6Src + 4,
  kV6Sport = kV6Dst + 4,
  kV6Dport,
  kV6Fields
};

RTE_ACL_RULE_DEF(AclRuleV4, kV4Fields);
RTE_ACL_RULE_DEF(AclRuleV6, kV6Fields);

// Ceiling on ACL rules per family: cross products of large groups could otherwise exhaust
// memory at build time.
constexpr size_t kMaxAclRules = 1 << 20;

rte_acl_field_def field(uint8_t type, uint8_t size, uint8_t index, uint8_t input, uint32_t offset) {
  return rte_acl_field_def{type, size, index, input, offset};
}

void v4_defs(rte_acl_config& cfg) {
  cfg.num_fields = kV4Fields;
  cfg.defs[kV4Proto] = field(RTE_ACL_FIELD_TYPE_BITMASK, 1, kV4Proto, 0, offsetof(AclKeyV4, proto));
  cfg.defs[kV4Tenant] =
      field(RTE_ACL_FIELD_TYPE_BITMASK, 2, kV4Tenant, 1, offsetof(AclKeyV4, tenant));
  cfg.defs[kV4Pad] = field(RTE_ACL_FIELD_TYPE_BITMASK, 2, kV4Pad, 1, offsetof(AclKeyV4, pad2));
  cfg.defs[kV4Src] = field(RTE_ACL_FIELD_TYPE_MASK, 4, kV4Src, 2, offsetof(AclKeyV4, src));
  cfg.defs[kV4Dst] = field(RTE_ACL_FIELD_TYPE_MASK, 4, kV4Dst, 3, offsetof(AclKeyV4, dst));
  cfg.defs[kV4Sport] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, kV4Sport, 4, offsetof(AclKeyV4, sport));
  cfg.defs[kV4Dport] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, kV4Dport, 4, offsetof(AclKeyV4, dport));
}

void v6_defs(rte_acl_config& cfg) {
  cfg.num_fields = kV6Fields;
  cfg.defs[kV6Proto] = field(RTE_ACL_FIELD_TYPE_BITMASK, 1, kV6Proto, 0, offsetof(AclKeyV6, proto));
  cfg.defs[kV6Tenant] =
      field(RTE_ACL_FIELD_TYPE_BITMASK, 2, kV6Tenant, 1, offsetof(AclKeyV6, tenant));
  cfg.defs[kV6Pad] = field(RTE_ACL_FIELD_TYPE_BITMASK, 2, kV6Pad, 1, offsetof(AclKeyV6, pad2));
  for (uint8_t w = 0; w < 4; ++w) {
    cfg.defs[kV6Src + w] =
        field(RTE_ACL_FIELD_TYPE_MASK, 4, kV6Src + w, 2 + w, offsetof(AclKeyV6, src) + 4 * w);
    cfg.defs[kV6Dst + w] =
        field(RTE_ACL_FIELD_TYPE_MASK, 4, kV6Dst + w, 6 + w, offsetof(AclKeyV6, dst) + 4 * w);
  }
  cfg.defs[kV6Sport] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, kV6Sport, 10, offsetof(AclKeyV6, sport));
  cfg.defs[kV6Dport] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, kV6Dport, 10, offsetof(AclKeyV6, dport));
}

// What one side (src or dst) of a rule expands to.
struct Endpoints {
  bool any = false;
  std::vector<Cidr> v4, v6;
};

class Expander {
 public:
  explicit Expander(const TenantSpec& tenant) : tenant_(tenant) {}

  bool expand(const std::vector<std::string>& names, Endpoints& out, std::string* error) {
    out = Endpoints{};
    if (names.empty()) out.any = true;
    for (const std::string& name : names) {
      std::set<std::string> visiting;
      if (!add(name, out, visiting, error)) return false;
    }
    if (out.any) {
      out.v4.clear();
      out.v6.clear();
    }
    // Groups often overlap: one ACL rule per distinct prefix is enough.
    for (std::vector<Cidr>* list : {&out.v4, &out.v6}) {
      auto key = [](const Cidr& c) { return std::make_pair(c.addr, c.len); };
      std::sort(list->begin(), list->end(),
                [&](const Cidr& a, const Cidr& b) { return key(a) < key(b); });
      list->erase(std::unique(list->begin(), list->end(),
                              [&](const Cidr& a, const Cidr& b) { return key(a) == key(b); }),
                  list->end());
    }
    return true;
  }

 private:
  bool add(const std::string& name, Endpoints& out, std::set<std::string>& visiting,
           std::string* error) {
    if (name == "any") {
      out.any = true;
      return true;
    }
    if (looks_like_cidr(name)) {
      Cidr c;
      if (!parse_cidr(name, &c, error)) return false;
      (c.v6 ? out.v6 : out.v4).push_back(c);
      return true;
    }
    for (const VmSpec& vm : tenant_.vms) {
      if (vm.port != name) continue;
      for (const auto& a : vm.ipv4) {
        Cidr c;
        std::copy(a.begin(), a.end(), c.addr.begin());
        c.len = 32;
        out.v4.push_back(c);
      }
      for (const auto& a : vm.ipv6) {
        Cidr c;
        c.v6 = true;
        c.addr = a;
        c.len = 128;
        out.v6.push_back(c);
      }
      return true;
    }
    const auto group = tenant_.policy.groups.find(name);
    if (group == tenant_.policy.groups.end()) {
      *error = "'" + name + "' is neither an address, a VM port nor a group of tenant '" +
               tenant_.name + "'";
      return false;
    }
    // A group met again on the current path adds nothing new: a cycle ends there.
    if (!visiting.insert(name).second) return true;
    for (const std::string& member : group->second) {
      if (!add(member, out, visiting, error)) return false;
    }
    visiting.erase(name);
    return true;
  }

  const TenantSpec& tenant_;
};

uint32_t host_word(const uint8_t* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return ntohl(w);
}

// The common fields of one ACL rule; the address fields are set by the family's writer.
template <typename Rule>
void common_fields(Rule& r, const PolicyRule& p, uint16_t tenant, int prio, uint32_t id,
                   int proto_f, int sport_f, int dport_f, int tenant_f, int pad_f) {
  std::memset(&r, 0, sizeof r);
  r.data.category_mask = 1;
  r.data.priority = prio;
  r.data.userdata = id;
  r.field[proto_f].value.u8 = p.proto;
  r.field[proto_f].mask_range.u8 = p.proto == 0 ? 0 : 0xff;
  const bool icmp = p.proto == IPPROTO_ICMP || p.proto == IPPROTO_ICMPV6;
  uint16_t slo = p.sport_lo, shi = p.sport_hi, dlo = p.dport_lo, dhi = p.dport_hi;
  if (icmp && p.icmp_type >= 0) slo = shi = static_cast<uint16_t>(p.icmp_type);
  if (icmp && p.icmp_code >= 0) dlo = dhi = static_cast<uint16_t>(p.icmp_code);
  r.field[sport_f].value.u16 = slo;
  r.field[sport_f].mask_range.u16 = shi;
  r.field[dport_f].value.u16 = dlo;
  r.field[dport_f].mask_range.u16 = dhi;
  r.field[tenant_f].value.u16 = tenant;
  r.field[tenant_f].mask_range.u16 = 0xffff;
  r.field[pad_f].value.u16 = 0;
  r.field[pad_f].mask_range.u16 = 0;
}

void set_v4(rte_acl_field& f, const Cidr* c) {
  f.value.u32 = c ? host_word(c->addr.data()) : 0;
  f.mask_range.u32 = c ? c->len : 0;
}

void set_v6(rte_acl_field* words, const Cidr* c) {
  for (int w = 0; w < 4; ++w) {
    words[w].value.u32 = c ? host_word(c->addr.data() + 4 * w) : 0;
    const int bits = c ? std::clamp(c->len - 32 * w, 0, 32) : 0;
    words[w].mask_range.u32 = static_cast<uint32_t>(bits);
  }
}

// Every (src, dst) pair of one family; nullptr stands for "any".
template <typename Fn>
void pairs(const Endpoints& s, const Endpoints& d, bool v6, Fn&& fn) {
  const std::vector<Cidr>& sl = v6 ? s.v6 : s.v4;
  const std::vector<Cidr>& dl = v6 ? d.v6 : d.v4;
  if (s.any && d.any) {
    fn(nullptr, nullptr);
  } else if (s.any) {
    for (const Cidr& b : dl) fn(nullptr, &b);
  } else if (d.any) {
    for (const Cidr& a : sl) fn(&a, nullptr);
  } else {
    for (const Cidr& a : sl)
      for (const Cidr& b : dl) fn(&a, &b);
  }
}

std::atomic<uint64_t> g_build_serial{0};

template <typename Rule>
rte_acl_ctx* make_context(const char* prefix, const std::vector<Rule>& rules,
                          const rte_acl_config& cfg, std::string* error) {
  if (rules.empty()) return nullptr;
  // Names must be unique among live contexts; a reload builds beside the running classifier.
  const std::string name = std::string(prefix) + std::to_string(g_build_serial++);
  rte_acl_param param{};
  param.name = name.c_str();
  param.socket_id = SOCKET_ID_ANY;
  param.rule_size = RTE_ACL_RULE_SZ(cfg.num_fields);
  param.max_rule_num = static_cast<uint32_t>(rules.size());
  rte_acl_ctx* ctx = rte_acl_create(&param);
  if (ctx == nullptr) {
    *error = "rte_acl_create failed (is EAL initialised?): " + std::to_string(rte_errno);
    return nullptr;
  }
  int rc = rte_acl_add_rules(ctx, reinterpret_cast<const rte_acl_rule*>(rules.data()),
                             static_cast<uint32_t>(rules.size()));
  if (rc == 0) rc = rte_acl_build(ctx, &cfg);
  if (rc != 0) {
    *error = std::string("rte_acl ") + (rc == -ENOMEM ? "ran out of memory" : "build failed") +
             " (" + std::to_string(rc) + ") for " + std::to_string(rules.size()) + " rules";
    rte_acl_free(ctx);
    return nullptr;
  }
  return ctx;
}

}  // namespace

namespace {

// ACL priorities for rules that compete with each other (one tenant's, or one cross-tenant
// pair's): higher `priority` first, config order among equals; the first ranked gets the highest.
template <typename PriorityOf>
std::vector<int> rank(size_t n, PriorityOf priority_of) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return priority_of(a) > priority_of(b); });
  std::vector<int> acl_prio(n);
  for (size_t r = 0; r < n; ++r) acl_prio[order[r]] = static_cast<int>(n - r);
  return acl_prio;
}

// Adds one policy rule, its endpoints expanded, as ACL rules of both families.
// Returns an error, or "" when done.
std::string add_rule(const PolicyRule& p, const Endpoints& src, const Endpoints& dst,
                     uint16_t acl_tenant, int prio, uint32_t id, std::vector<AclRuleV4>& v4,
                     std::vector<AclRuleV6>& v6) {
  if (p.sport_lo > p.sport_hi || p.dport_lo > p.dport_hi) return "empty port range";
  pairs(src, dst, false, [&](const Cidr* s, const Cidr* d) {
    AclRuleV4& r = v4.emplace_back();
    common_fields(r, p, acl_tenant, prio, id, kV4Proto, kV4Sport, kV4Dport, kV4Tenant, kV4Pad);
    set_v4(r.field[kV4Src], s);
    set_v4(r.field[kV4Dst], d);
  });
  pairs(src, dst, true, [&](const Cidr* s, const Cidr* d) {
    AclRuleV6& r = v6.emplace_back();
    common_fields(r, p, acl_tenant, prio, id, kV6Proto, kV6Sport, kV6Dport, kV6Tenant, kV6Pad);
    set_v6(&r.field[kV6Src], s);
    set_v6(&r.field[kV6Dst], d);
  });
  if (v4.size() > kMaxAclRules || v6.size() > kMaxAclRules) {
    return "the policy expands to more than " + std::to_string(kMaxAclRules) +
           " ACL rules (large groups on both sides multiply)";
  }
  return "";
}

}  // namespace

std::unique_ptr<PolicyClassifier> PolicyClassifier::build(const TenancySpec& spec,
                                                          std::string* error) {
  std::unique_ptr<PolicyClassifier> pc(new PolicyClassifier());
  std::vector<AclRuleV4> v4;
  std::vector<AclRuleV6> v6;
  // One rule: expanded (src names in `src_tenant`, dst names in `dst_tenant`), recorded, emitted.
  auto compile = [&](const PolicyRule& p, const TenantSpec& src_tenant,
                     const TenantSpec& dst_tenant, uint16_t acl_tenant, int prio, uint32_t index,
                     const std::string& what) {
    Endpoints src, dst;
    std::string why;
    if (!Expander(src_tenant).expand(p.src, src, &why)) {
      why = "src: " + why;
    } else if (!Expander(dst_tenant).expand(p.dst, dst, &why)) {
      why = "dst: " + why;
    } else {
      pc->rules_.push_back(CompiledRule{p.action, acl_tenant, p.line, index});
      why =
          add_rule(p, src, dst, acl_tenant, prio, static_cast<uint32_t>(pc->rules_.size()), v4, v6);
    }
    if (!why.empty()) *error = what + " at line " + std::to_string(p.line) + ": " + why;
    return why.empty();
  };

  for (size_t t = 0; t < spec.tenants.size(); ++t) {
    const TenantSpec& tenant = spec.tenants[t];
    pc->defaults_.push_back(tenant.policy.default_action);
    const std::vector<PolicyRule>& rules = tenant.policy.rules;
    if (rules.size() >= static_cast<size_t>(RTE_ACL_MAX_PRIORITY)) {
      *error = "tenant '" + tenant.name + "': too many rules";
      return nullptr;
    }
    // Priorities only compete within a tenant (the tenant field).
    const std::vector<int> prio = rank(rules.size(), [&](size_t i) { return rules[i].priority; });
    for (size_t i = 0; i < rules.size(); ++i) {
      if (!compile(rules[i], tenant, tenant, static_cast<uint16_t>(t), prio[i],
                   static_cast<uint32_t>(i), "tenant '" + tenant.name + "' rule")) {
        return nullptr;
      }
    }
  }

  // Cross-tenant rules: one ACL "tenant" per (from, to) pair.
  auto tenant_index = [&](const std::string& name) {
    for (size_t t = 0; t < spec.tenants.size(); ++t) {
      if (spec.tenants[t].name == name) return static_cast<int>(t);
    }
    return -1;
  };
  const std::vector<CrossTenantRule>& cross = spec.cross_tenant;
  const std::vector<int> prio =
      rank(cross.size(), [&](size_t i) { return cross[i].rule.priority; });
  for (size_t i = 0; i < cross.size(); ++i) {
    const int from = tenant_index(cross[i].from), to = tenant_index(cross[i].to);
    if (from < 0 || to < 0 || from >= kMaxCrossTenants || to >= kMaxCrossTenants) {
      *error = "cross-tenant rule at line " + std::to_string(cross[i].rule.line) +
               ": both tenants must exist and be among the first 128";
      return nullptr;
    }
    const uint16_t code = cross_tenant_code(static_cast<uint16_t>(from), static_cast<uint16_t>(to));
    if (!compile(cross[i].rule, spec.tenants[from], spec.tenants[to], code, prio[i],
                 static_cast<uint32_t>(i), "cross-tenant rule")) {
      return nullptr;
    }
  }

  rte_acl_config cfg{};
  cfg.num_categories = 1;
  v4_defs(cfg);
  pc->v4_ = make_context("vigil_acl4_", v4, cfg, error);
  if (!v4.empty() && pc->v4_ == nullptr) return nullptr;
  cfg = rte_acl_config{};
  cfg.num_categories = 1;
  v6_defs(cfg);
  pc->v6_ = make_context("vigil_acl6_", v6, cfg, error);
  if (!v6.empty() && pc->v6_ == nullptr) return nullptr;
  pc->acl_rules_v4_ = v4.size();
  pc->acl_rules_v6_ = v6.size();
  return pc;
}

PolicyClassifier::~PolicyClassifier() {
  rte_acl_free(v4_);
  rte_acl_free(v6_);
}

namespace {

void classify(const rte_acl_ctx* ctx, const uint8_t* const* keys, uint32_t n, uint32_t* results) {
  if (ctx == nullptr) {
    std::fill(results, results + n, 0u);
    return;
  }
  // rte_acl's signature lacks the inner const; it only reads the keys.
  rte_acl_classify(ctx, const_cast<const uint8_t**>(keys), results, n, 1);
}

}  // namespace

void PolicyClassifier::classify_v4(const uint8_t* const* keys, uint32_t n,
                                   uint32_t* results) const {
  classify(v4_, keys, n, results);
}

void PolicyClassifier::classify_v6(const uint8_t* const* keys, uint32_t n,
                                   uint32_t* results) const {
  classify(v6_, keys, n, results);
}

}  // namespace vigil
