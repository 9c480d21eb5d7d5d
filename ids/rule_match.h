// Confirms one rule against an inspection: header (protocol, addresses, ports), flow, flags,
// dsize, ICMP type/code, flowbit checks, then every buffer's chain of contents, pcres, isdataat
// and bsize with Suricata's semantics (offset/depth absolute, distance/within relative to the end
// of the previous match in the same buffer, retried at later occurrences when a relative
// successor fails). Hyperscan only nominates candidates (detect_engine.h); this decides.
#pragma once

#include <cstdint>
#include <vector>

#include "ids/inspection.h"
#include "ids/rule.h"

typedef struct pcre2_real_code_8 pcre2_code_8;
typedef struct pcre2_real_match_data_8 pcre2_match_data_8;
typedef struct pcre2_real_match_context_8 pcre2_match_context_8;

namespace vigil::ids {

// A flowbit operation with its names resolved to the engine's ids.
struct CompiledFlowbit {
  FlowbitOp op;
  bool any_of;
  std::vector<uint16_t> ids;
};

struct CompiledRule {
  Rule rule;
  // Item indices grouped by buffer, each group in rule order (a chain).
  std::vector<std::vector<uint16_t>> chains;
  std::vector<pcre2_code_8*> pcres;  // per item; null unless the item is a pcre
  std::vector<CompiledFlowbit> flowbits;
  bool stream_once = false;  // payload-only rule: on a TCP stream, alerts once per direction
  uint8_t action_order = 3;  // pass 0, drop 1, reject 2, alert 3 (Suricata's action-order)
};

// Per-thread scratch for confirmation (pcre2 match data); made once, reused.
struct MatchScratch {
  pcre2_match_data_8* match_data = nullptr;
  // Suricata's bounds on one pcre run (match_limit 3500, recursion 1500): a hostile payload
  // cannot make a rule's pcre take long; hitting them counts as no match.
  pcre2_match_context_8* match_context = nullptr;
  uint32_t steps = 0;  // backtracking budget of the current rule
};

// Compiles the rule's pcres (JIT when available); false with *error on an expression pcre2
// refuses.
bool compile_rule_pcres(CompiledRule& cr, std::string* error);
void free_rule_pcres(CompiledRule& cr);

// Whether the rule's header, flow and packet-level checks pass (cheap; before any buffer).
bool header_matches(const CompiledRule& cr, const Inspection& insp);
// Full confirmation: header_matches plus flowbit checks and every chain.
bool rule_matches(const CompiledRule& cr, const Inspection& insp, MatchScratch& scratch);

bool address_matches(const AddressSet& set, uint8_t family, const uint8_t* addr);
bool port_matches(const PortSet& set, uint16_t port);

}  // namespace vigil::ids
