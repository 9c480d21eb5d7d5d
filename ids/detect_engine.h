// The detection engine: a rule set compiled once into Hyperscan databases, then shared read-only
// by every worker (each with its own Hyperscan scratch, cloned at build).
//
// Per (buffer, direction) there is a literal database of the rules' fast patterns (the author's
// fast_pattern, else the longest positive content) and a database of pcre prefilters for rules
// without a usable content (HS_FLAG_PREFILTER: Hyperscan accepts a superset; pcre2 confirms).
// Rules with neither are checked on every inspection, except header-only rules (addresses,
// ports, protocol: IP reputation lists), which Suricata's "IP-only" way checks on the first
// packet of each flow direction. An inspection scans each buffer it has once
// per database, collects the nominated rules, and confirms them in Suricata's action order
// (pass, drop, reject, alert; flowbit setters before checkers) with rule_match.h. A pass stops the
// inspection. Thresholds and flowbit updates follow a confirmed match.
// No allocation on inspect(): candidate lists and stamps are sized at build.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ids/inspection.h"
#include "ids/rule.h"
#include "ids/rule_match.h"
#include "ids/threshold_table.h"

struct hs_database;
struct hs_scratch;

namespace vigil::ids {

struct EngineReport {
  uint32_t rules = 0;
  uint32_t literal_prefiltered = 0;  // nominated by a fast pattern
  uint32_t pcre_prefiltered = 0;     // nominated by a Hyperscan pcre prefilter
  uint32_t unfiltered = 0;           // checked on every inspection
  uint32_t header_only = 0;          // addresses/ports/protocol only: first packet each way
  uint32_t databases = 0, patterns = 0;
  double compile_seconds = 0;
  size_t database_bytes = 0, scratch_bytes = 0;
  std::map<std::string, uint32_t> dropped;  // rules refused at compile time, by reason
  std::vector<std::string> samples;         // "sid N: reason: detail", a few
};

struct RuleHit {
  uint32_t rule;  // index into the engine's rules
  bool alert;     // false: noalert, or held back by its threshold
};

struct InspectResult {
  static constexpr uint16_t kMaxHits = 16;
  RuleHit hits[kMaxHits];
  uint16_t n_hits = 0;
  uint16_t lost_hits = 0;  // matches beyond kMaxHits (their actions still apply)
  bool pass = false, drop = false, reject = false;
  uint32_t candidates = 0;
  void clear() {
    n_hits = lost_hits = 0;
    pass = drop = reject = false;
    candidates = 0;
  }
};

class DetectEngine {
 public:
  // Compiles `rules` for up to `max_workers` concurrent inspecting threads. Rules whose pcre
  // pcre2 refuses are dropped and reported; a Hyperscan failure is an error (null + *error).
  static std::unique_ptr<DetectEngine> build(std::vector<Rule> rules, unsigned max_workers,
                                             EngineReport* report, std::string* error);
  ~DetectEngine();
  DetectEngine(const DetectEngine&) = delete;
  DetectEngine& operator=(const DetectEngine&) = delete;

  // Inspects with worker `worker`'s scratch (one thread per worker id at a time).
  void inspect(const Inspection& insp, unsigned worker, InspectResult& out) const;

  const Rule& rule(uint32_t index) const { return rules_[index].rule; }
  uint32_t rule_count() const { return static_cast<uint32_t>(rules_.size()); }
  uint32_t generation() const { return generation_; }
  const EngineReport& report() const { return report_; }
  uint64_t threshold_evictions() const { return thresholds_->evictions(); }

 private:
  struct Prefilter {
    hs_database* db = nullptr;
    std::vector<uint32_t> first;  // pattern id -> start in `rules` (size patterns + 1)
    std::vector<uint32_t> rules;
  };
  struct Worker;

  DetectEngine() = default;
  bool compile(std::string* error);
  void nominate(const Prefilter& pf, const BufferView& view, Worker& w) const;
  void apply_match(uint32_t index, const Inspection& insp, InspectResult& out) const;

  std::vector<CompiledRule> rules_;
  Prefilter literal_[kBufferCount][2];
  Prefilter regex_[kBufferCount][2];
  std::vector<uint32_t> unfiltered_;
  std::vector<uint32_t> header_only_;
  std::map<std::string, uint16_t> flowbit_ids_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<ThresholdTable> thresholds_;
  uint32_t generation_ = 0;
  EngineReport report_;

  friend struct EngineBuilder;
};

}  // namespace vigil::ids
