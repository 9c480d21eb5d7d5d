#include "ids/detect_engine.h"

#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace vigil::ids {

struct DetectEngine::Worker {
  hs_scratch_t* hs = nullptr;
  MatchScratch match;
  std::vector<uint32_t> stamp;  // per rule: the epoch that last nominated it
  uint32_t epoch = 0;
  std::vector<uint32_t> candidates;  // capacity = rule count, so push_back never allocates
  ~Worker() {
    if (hs != nullptr) hs_free_scratch(hs);
    if (match.match_data != nullptr) pcre2_match_data_free(match.match_data);
    if (match.match_context != nullptr) pcre2_match_context_free(match.match_context);
  }
};

namespace {

std::atomic<uint32_t> g_generation{0};

uint8_t action_order(RuleAction a) {
  switch (a) {
    case RuleAction::kPass:
      return 0;
    case RuleAction::kDrop:
      return 1;
    case RuleAction::kReject:
      return 2;
    case RuleAction::kAlert:
      return 3;
  }
  return 3;
}

bool checks_flowbits(const Rule& r) {
  for (const Flowbit& f : r.flowbits) {
    if (f.op == FlowbitOp::kIsSet || f.op == FlowbitOp::kIsNotSet) return true;
  }
  return false;
}

// The content Hyperscan nominates the rule by, or null.
const MatchItem* fast_pattern_of(const Rule& r) {
  const MatchItem* best = nullptr;
  for (const MatchItem& it : r.items) {
    if (it.kind != MatchKind::kContent || it.negated || it.pattern.empty()) continue;
    if (it.fast_pattern) return &it;
    if (best == nullptr || it.pattern.size() > best->pattern.size()) best = &it;
  }
  return best;
}

// A pcre Hyperscan can run as a prefilter for a rule without a usable content, or null.
const MatchItem* pcre_prefilter_of(const Rule& r, unsigned* flags) {
  for (const MatchItem& it : r.items) {
    if (it.kind != MatchKind::kPcre || it.negated || it.pcre_extended) continue;
    if (it.pattern.find('\0') != std::string::npos) continue;
    unsigned f = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
    if (it.pcre_caseless) f |= HS_FLAG_CASELESS;
    if (it.pcre_dotall) f |= HS_FLAG_DOTALL;
    if (it.pcre_multiline) f |= HS_FLAG_MULTILINE;
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile(it.pattern.c_str(), f, HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
      hs_free_compile_error(err);
      continue;  // Hyperscan refuses it (backreferences, ...): pcre2 alone will decide
    }
    hs_free_database(db);
    *flags = f;
    return &it;
  }
  return nullptr;
}

// Patterns of one database under construction; equal patterns share an id.
struct PatternSet {
  std::vector<std::string> exprs;
  std::vector<unsigned> flags;
  std::map<std::pair<std::string, unsigned>, uint32_t> ids;
  std::vector<std::vector<uint32_t>> rules;  // per pattern id
  void add(const std::string& expr, unsigned f, uint32_t rule) {
    auto [it, fresh] = ids.try_emplace({expr, f}, static_cast<uint32_t>(exprs.size()));
    if (fresh) {
      exprs.push_back(expr);
      flags.push_back(f);
      rules.emplace_back();
    }
    rules[it->second].push_back(rule);
  }
};

struct MatchContext {
  const std::vector<uint32_t>* first;
  const std::vector<uint32_t>* rules;
  std::vector<uint32_t>* stamp;
  uint32_t epoch;
  std::vector<uint32_t>* candidates;
};

int on_match(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
  auto* c = static_cast<MatchContext*>(ctx);
  for (uint32_t k = (*c->first)[id]; k < (*c->first)[id + 1]; ++k) {
    const uint32_t r = (*c->rules)[k];
    if ((*c->stamp)[r] == c->epoch) continue;
    (*c->stamp)[r] = c->epoch;
    c->candidates->push_back(r);
  }
  return 0;
}

}  // namespace

// Builds the prefilters; a friend so the engine's layout stays private.
struct EngineBuilder {
  DetectEngine& e;
  PatternSet literal[kBufferCount][2];
  PatternSet regex[kBufferCount][2];

  void place(uint32_t index) {
    const CompiledRule& cr = e.rules_[index];
    const Rule& r = cr.rule;
    bool dirs[2] = {true, true};
    if (r.has_flow && r.flow.to_server) dirs[1] = false;
    if (r.has_flow && r.flow.to_client) dirs[0] = false;
    if (const MatchItem* fp = fast_pattern_of(r)) {
      std::string lit = fp->pattern;
      if (fp->has_fast_pattern_chop && fp->fp_chop_offset < lit.size()) {
        lit = lit.substr(fp->fp_chop_offset, fp->fp_chop_length);
      }
      if (lit.empty()) lit = fp->pattern;
      const unsigned f = HS_FLAG_SINGLEMATCH | (fp->nocase ? HS_FLAG_CASELESS : 0);
      for (int d = 0; d < 2; ++d) {
        if (dirs[d]) literal[static_cast<size_t>(fp->buffer)][d].add(lit, f, index);
      }
      ++e.report_.literal_prefiltered;
      return;
    }
    unsigned f = 0;
    if (const MatchItem* pc = pcre_prefilter_of(r, &f)) {
      for (int d = 0; d < 2; ++d) {
        if (dirs[d]) regex[static_cast<size_t>(pc->buffer)][d].add(pc->pattern, f, index);
      }
      ++e.report_.pcre_prefiltered;
      return;
    }
    // Header-only: the answer cannot change within a flow direction (flowbit sets persist, so
    // setting them on the first packet is the same as on every packet; toggles would not be).
    bool header_only = r.items.empty() && !r.has_dsize && !r.has_flow && !r.has_flags &&
                       !r.has_itype && !r.has_icode;
    for (const Flowbit& fb : r.flowbits) {
      if (fb.op != FlowbitOp::kSet && fb.op != FlowbitOp::kUnset && fb.op != FlowbitOp::kNoAlert) {
        header_only = false;
      }
    }
    if (header_only) {
      e.header_only_.push_back(index);
      ++e.report_.header_only;
      return;
    }
    e.unfiltered_.push_back(index);
    ++e.report_.unfiltered;
  }

  bool compile(PatternSet& ps, DetectEngine::Prefilter& pf, bool literal_db, std::string* error) {
    if (ps.exprs.empty()) return true;
    std::vector<const char*> exprs;
    std::vector<size_t> lens;
    std::vector<unsigned> ids;
    for (size_t i = 0; i < ps.exprs.size(); ++i) {
      exprs.push_back(ps.exprs[i].c_str());
      lens.push_back(ps.exprs[i].size());
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_compile_error_t* err = nullptr;
    const auto n = static_cast<unsigned>(exprs.size());
    const hs_error_t rc =
        literal_db ? hs_compile_lit_multi(exprs.data(), ps.flags.data(), ids.data(), lens.data(), n,
                                          HS_MODE_BLOCK, nullptr, &pf.db, &err)
                   : hs_compile_multi(exprs.data(), ps.flags.data(), ids.data(), n, HS_MODE_BLOCK,
                                      nullptr, &pf.db, &err);
    if (rc != HS_SUCCESS) {
      *error = std::string("hyperscan: ") + (err != nullptr ? err->message : "compile failed");
      hs_free_compile_error(err);
      return false;
    }
    pf.first.push_back(0);
    for (const std::vector<uint32_t>& rs : ps.rules) {
      for (uint32_t r : rs) pf.rules.push_back(r);
      pf.first.push_back(static_cast<uint32_t>(pf.rules.size()));
    }
    size_t bytes = 0;
    hs_database_size(pf.db, &bytes);
    e.report_.database_bytes += bytes;
    e.report_.databases += 1;
    e.report_.patterns += n;
    return true;
  }
};

std::unique_ptr<DetectEngine> DetectEngine::build(std::vector<Rule> rules, unsigned max_workers,
                                                  EngineReport* report, std::string* error) {
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<DetectEngine> e(new DetectEngine());
  e->generation_ = ++g_generation;
  std::stable_sort(rules.begin(), rules.end(), [](const Rule& a, const Rule& b) {
    const int ka = action_order(a.action) * 2 + (checks_flowbits(a) ? 1 : 0);
    const int kb = action_order(b.action) * 2 + (checks_flowbits(b) ? 1 : 0);
    return ka < kb;
  });
  for (Rule& r : rules) {
    CompiledRule cr;
    cr.rule = std::move(r);
    std::string why;
    if (!compile_rule_pcres(cr, &why)) {
      e->report_.dropped["pcre refused by pcre2"]++;
      if (e->report_.samples.size() < 20) {
        e->report_.samples.push_back("sid " + std::to_string(cr.rule.sid) + ": " + why);
      }
      continue;
    }
    cr.action_order = action_order(cr.rule.action);
    std::map<Buffer, size_t> chain_of;
    bool payload_only = !cr.rule.items.empty();
    for (size_t i = 0; i < cr.rule.items.size(); ++i) {
      const Buffer b = cr.rule.items[i].buffer;
      if (b != Buffer::kPayload) payload_only = false;
      auto [it, fresh] = chain_of.try_emplace(b, cr.chains.size());
      if (fresh) cr.chains.emplace_back();
      cr.chains[it->second].push_back(static_cast<uint16_t>(i));
    }
    cr.stream_once = payload_only;  // applies when the payload is a rescanned stream window
    for (const Flowbit& fb : cr.rule.flowbits) {
      if (fb.op == FlowbitOp::kNoAlert) continue;
      CompiledFlowbit c{fb.op, fb.any_of, {}};
      for (const std::string& name : fb.names) {
        auto [it, fresh] =
            e->flowbit_ids_.try_emplace(name, static_cast<uint16_t>(e->flowbit_ids_.size()));
        c.ids.push_back(it->second);
      }
      cr.flowbits.push_back(std::move(c));
    }
    e->rules_.push_back(std::move(cr));
  }
  e->report_.rules = static_cast<uint32_t>(e->rules_.size());
  if (!e->compile(error)) return nullptr;
  for (unsigned w = 0; w < max_workers; ++w) {
    auto worker = std::make_unique<Worker>();
    worker->stamp.assign(e->rules_.size(), 0);
    worker->candidates.reserve(e->rules_.size());
    worker->match.match_data = pcre2_match_data_create(32, nullptr);
    worker->match.match_context = pcre2_match_context_create(nullptr);
    pcre2_set_match_limit(worker->match.match_context, 3500);
    pcre2_set_depth_limit(worker->match.match_context, 1500);
    e->workers_.push_back(std::move(worker));
  }
  hs_scratch_t* proto = nullptr;
  for (size_t b = 0; b < kBufferCount; ++b) {
    for (int d = 0; d < 2; ++d) {
      for (Prefilter* pf : {&e->literal_[b][d], &e->regex_[b][d]}) {
        if (pf->db != nullptr && hs_alloc_scratch(pf->db, &proto) != HS_SUCCESS) {
          *error = "hyperscan: cannot allocate scratch";
          return nullptr;
        }
      }
    }
  }
  if (proto != nullptr) {
    hs_scratch_size(proto, &e->report_.scratch_bytes);
    for (auto& w : e->workers_) {
      if (hs_clone_scratch(proto, &w->hs) != HS_SUCCESS) {
        hs_free_scratch(proto);
        *error = "hyperscan: cannot clone scratch";
        return nullptr;
      }
    }
    hs_free_scratch(proto);
  }
  e->thresholds_ = std::make_unique<ThresholdTable>();
  e->report_.compile_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (report != nullptr) *report = e->report_;
  return e;
}

bool DetectEngine::compile(std::string* error) {
  EngineBuilder b{*this, {}, {}};
  for (uint32_t i = 0; i < rules_.size(); ++i) b.place(i);
  for (size_t buf = 0; buf < kBufferCount; ++buf) {
    for (int d = 0; d < 2; ++d) {
      if (!b.compile(b.literal[buf][d], literal_[buf][d], true, error)) return false;
      if (!b.compile(b.regex[buf][d], regex_[buf][d], false, error)) return false;
    }
  }
  return true;
}

DetectEngine::~DetectEngine() {
  workers_.clear();
  for (size_t b = 0; b < kBufferCount; ++b) {
    for (int d = 0; d < 2; ++d) {
      hs_free_database(literal_[b][d].db);
      hs_free_database(regex_[b][d].db);
    }
  }
  for (CompiledRule& cr : rules_) free_rule_pcres(cr);
}

void DetectEngine::nominate(const Prefilter& pf, const BufferView& view, Worker& w) const {
  if (pf.db == nullptr) return;
  MatchContext ctx{&pf.first, &pf.rules, &w.stamp, w.epoch, &w.candidates};
  hs_scan(pf.db, reinterpret_cast<const char*>(view.data), view.len, 0, w.hs, on_match, &ctx);
}

void DetectEngine::apply_match(uint32_t index, const Inspection& insp, InspectResult& out) const {
  const CompiledRule& cr = rules_[index];
  if (insp.flowbits != nullptr) {
    for (const CompiledFlowbit& fb : cr.flowbits) {
      for (uint16_t id : fb.ids) {
        switch (fb.op) {
          case FlowbitOp::kSet:
            insp.flowbits->set(id);
            break;
          case FlowbitOp::kUnset:
            insp.flowbits->unset(id);
            break;
          case FlowbitOp::kToggle:
            if (insp.flowbits->has(id)) {
              insp.flowbits->unset(id);
            } else {
              insp.flowbits->set(id);
            }
            break;
          default:
            break;
        }
      }
    }
  }
  const Rule& r = cr.rule;
  if (r.action == RuleAction::kPass) {
    out.pass = true;
    return;
  }
  bool alert = !r.noalert;
  if (r.has_threshold) alert = thresholds_->allow(index, r.threshold, insp) && alert;
  if (r.action == RuleAction::kDrop) out.drop = true;
  if (r.action == RuleAction::kReject) out.reject = true;
  if (out.n_hits < InspectResult::kMaxHits) {
    out.hits[out.n_hits++] = RuleHit{index, alert};
  } else {
    ++out.lost_hits;
  }
}

void DetectEngine::inspect(const Inspection& insp, unsigned worker, InspectResult& out) const {
  Worker& w = *workers_[worker];
  out.clear();
  if (++w.epoch == 0) {
    std::fill(w.stamp.begin(), w.stamp.end(), 0);
    w.epoch = 1;
  }
  w.candidates.clear();
  const int dir = insp.to_server ? 0 : 1;
  for (size_t b = 0; b < kBufferCount; ++b) {
    const BufferView& view = insp.buffers[b];
    if (!view.present || view.len == 0) continue;
    nominate(literal_[b][dir], view, w);
    nominate(regex_[b][dir], view, w);
  }
  for (uint32_t r : unfiltered_) {
    if (w.stamp[r] == w.epoch) continue;
    w.stamp[r] = w.epoch;
    w.candidates.push_back(r);
  }
  if (insp.first_in_direction) {
    for (uint32_t r : header_only_) {
      w.stamp[r] = w.epoch;
      w.candidates.push_back(r);
    }
  }
  out.candidates = static_cast<uint32_t>(w.candidates.size());
  std::sort(w.candidates.begin(), w.candidates.end());
  for (uint32_t r : w.candidates) {
    const CompiledRule& cr = rules_[r];
    const bool once = cr.stream_once && insp.stream && insp.fired != nullptr;
    if (once && insp.fired->has(r)) continue;
    if (!rule_matches(cr, insp, w.match)) continue;
    if (once) insp.fired->add(r);
    apply_match(r, insp, out);
    if (out.pass) break;
  }
}

}  // namespace vigil::ids
