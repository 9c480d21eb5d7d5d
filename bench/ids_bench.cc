// IDS benchmark: compiles a rule set (time, database size, resident memory), then runs a capture
// through vigil's real IDS stage (parse -> IdsStage: flows, reassembly, app layer, Hyperscan,
// confirmation) on one core, `loops` times, and, in the same run, a plain Hyperscan block scan
// of the same packets' L4 payloads against a database of every content of the rule set.
// Prints one JSON object. Not a test: figures vary with the machine.
//
//   ids_bench --pcap FILE [--loops N] [--classification FILE] RULEFILE...
#include <hs/hs.h>
#include <pcap/pcap.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "dataplane/parse_stage.h"
#include "ids/ids_runtime.h"
#include "ids/ids_stage.h"

namespace {

using Clock = std::chrono::steady_clock;

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long v;
      in >> v;
      return v;
    }
    in.ignore(1 << 16, '\n');
  }
  return -1;
}

std::vector<std::string> read_pcap(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (p == nullptr) throw std::runtime_error(path + ": " + err);
  std::vector<std::string> frames;
  pcap_pkthdr* h;
  const u_char* data;
  while (pcap_next_ex(p, &h, &data) == 1) {
    frames.emplace_back(reinterpret_cast<const char*>(data), h->caplen);
  }
  pcap_close(p);
  return frames;
}

int on_hs_match(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
  ++*static_cast<uint64_t*>(ctx);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string pcap_path, classification;
  unsigned loops = 20;
  std::vector<std::string> rule_files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--pcap" && i + 1 < argc) {
      pcap_path = argv[++i];
    } else if (a == "--loops" && i + 1 < argc) {
      loops = static_cast<unsigned>(std::stoul(argv[++i]));
    } else if (a == "--classification" && i + 1 < argc) {
      classification = argv[++i];
    } else {
      rule_files.push_back(a);
    }
  }
  if (pcap_path.empty() || rule_files.empty()) {
    std::cerr << "usage: ids_bench --pcap FILE [--loops N] [--classification F] RULEFILE...\n";
    return 2;
  }
  const char* eal[] = {
      "ids_bench", "-l",       "0",           "--no-huge",      "-m",
      "1024",      "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=*:error"};
  if (rte_eal_init(static_cast<int>(std::size(eal)), const_cast<char**>(eal)) < 0) return 1;

  using namespace vigil;
  const long rss0 = rss_kib();
  ids::IdsOptions o;
  o.rule_files = rule_files;
  o.classification = classification;
  o.workers = 1;
  o.inspected = {true};
  o.port_names = {"trace"};
  o.tenant_names = {"bench"};
  o.tenant_vlans = {10};
  std::string error;
  const auto t0 = Clock::now();
  auto rt = ids::IdsRuntime::create(o, &error);
  const double load_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (rt == nullptr) {
    std::cerr << "ids_bench: " << error << "\n";
    return 1;
  }
  const long rss1 = rss_kib();
  const ids::LoadReport load = rt->load_report();
  const ids::EngineReport eng = rt->engine_report();

  // The capture, in mbufs that every loop reuses (the IDS does not change alerting frames).
  const std::vector<std::string> frames = read_pcap(pcap_path);
  rte_mempool* pool = rte_pktmbuf_pool_create("bench", static_cast<unsigned>(frames.size()) + 64, 0,
                                              0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  std::vector<rte_mbuf*> mbufs;
  uint64_t frame_bytes = 0;
  for (const std::string& f : frames) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    const uint16_t n = static_cast<uint16_t>(std::min<size_t>(f.size(), 2048));
    std::memcpy(rte_pktmbuf_append(m, n), f.data(), n);
    mbufs.push_back(m);
    frame_bytes += n;
  }
  // Parse once: the template metadata every loop starts from.
  std::vector<PacketBatch> batches;
  WorkerCounters wc;
  for (size_t i = 0; i < mbufs.size(); i += kBurstSize) {
    PacketBatch b;
    for (size_t k = i; k < mbufs.size() && b.count < kBurstSize; ++k) {
      b.pkts[b.count] = mbufs[k];
      b.meta[b.count] = PacketMeta{};
      b.meta[b.count].time_us = 1'000'000 + k;
      ++b.count;
    }
    parse_batch(b, ParseLimits{9000}, wc);
    for (uint16_t k = 0; k < b.count; ++k) b.meta[k].tenant = 0;
    batches.push_back(b);
  }

  ids::IdsStage stage(rt->shared(), 0);
  double ids_s = 0;
  for (unsigned l = 0; l < loops; ++l) {
    std::vector<PacketBatch> work = batches;
    const auto s = Clock::now();
    for (PacketBatch& b : work) {
      stage.process(b);
      stage.quiescent();
    }
    ids_s += std::chrono::duration<double>(Clock::now() - s).count();
    rt->sweep(UINT64_MAX / 2);  // every flow expires: the next loop starts them afresh
  }

  // Plain Hyperscan: every positive content of the loaded rules, one block database, one scan
  // per packet over its L4 payload.
  ids::RuleVars vars = ids::RuleVars::defaults();
  ids::LoadReport unused;
  std::set<std::pair<std::string, bool>> lits;
  for (const ids::Rule& r : ids::load_rules(rule_files, vars, nullptr, &unused)) {
    for (const ids::MatchItem& it : r.items) {
      if (it.kind == ids::MatchKind::kContent && !it.negated) lits.insert({it.pattern, it.nocase});
    }
  }
  std::vector<const char*> exprs;
  std::vector<size_t> lens;
  std::vector<unsigned> flags, ids_;
  for (const auto& [p, nocase] : lits) {
    exprs.push_back(p.data());
    lens.push_back(p.size());
    flags.push_back(HS_FLAG_SINGLEMATCH | (nocase ? HS_FLAG_CASELESS : 0));
    ids_.push_back(static_cast<unsigned>(ids_.size()));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* cerr = nullptr;
  hs_scratch_t* scratch = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids_.data(), lens.data(),
                           static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                           &cerr) != HS_SUCCESS ||
      hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
    std::cerr << "ids_bench: plain database: " << (cerr ? cerr->message : "scratch") << "\n";
    return 1;
  }
  uint64_t hs_matches = 0;
  double hs_s = 0;
  for (unsigned l = 0; l < loops; ++l) {
    const auto s = Clock::now();
    for (const PacketBatch& b : batches) {
      for (uint16_t k = 0; k < b.count; ++k) {
        const PacketMeta& m = b.meta[k];
        if (m.l4_offset == 0) continue;
        const uint32_t len = rte_pktmbuf_data_len(b.pkts[k]);
        if (len <= m.l4_offset) continue;
        hs_scan(db, rte_pktmbuf_mtod_offset(b.pkts[k], const char*, m.l4_offset), len - m.l4_offset,
                0, scratch, on_hs_match, &hs_matches);
      }
    }
    hs_s += std::chrono::duration<double>(Clock::now() - s).count();
  }

  ids::IdsCounters c = stage.counters();
  const double bits = double(frame_bytes) * 8 * loops;
  std::printf(
      "{\"rules_enabled\": %u, \"rules_loaded\": %u, \"rules_compiled\": %u, "
      "\"load_and_compile_s\": %.3f, \"compile_s\": %.3f, \"database_kib\": %zu, "
      "\"rss_growth_mib\": %.1f, \"frames\": %zu, \"frame_bytes\": %lu, \"loops\": %u, "
      "\"ids_gbps\": %.3f, \"ids_mpps\": %.3f, \"plain_hyperscan_gbps\": %.3f, "
      "\"plain_patterns\": %zu, \"alerts_per_loop\": %.1f, \"http_requests_per_loop\": %.1f, "
      "\"inspections_per_loop\": %.1f, \"candidates_per_inspection\": %.2f}\n",
      load.enabled, load.loaded, eng.rules, load_s, eng.compile_seconds, eng.database_bytes / 1024,
      (rss1 - rss0) / 1024.0, frames.size(), static_cast<unsigned long>(frame_bytes), loops,
      bits / ids_s / 1e9, double(frames.size()) * loops / ids_s / 1e6, bits / hs_s / 1e9,
      exprs.size(), double(c.alerts) / loops, double(c.http_requests) / loops,
      double(c.inspections) / loops,
      c.inspections ? double(c.candidates) / double(c.inspections) : 0.0);
  hs_free_scratch(scratch);
  hs_free_database(db);
  return 0;
}
