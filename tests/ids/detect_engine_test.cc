// The detection engine end to end below the packet level: real rule text through the parser,
// real Hyperscan databases and pcre2, inspections built by hand. Each test states the Suricata
// semantics it checks and includes a near miss that must not match.
#include "ids/detect_engine.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "ids/rule_parser.h"

namespace vigil::ids {
namespace {

class Engine {
 public:
  explicit Engine(const std::vector<std::string>& texts) {
    std::vector<Rule> rules;
    for (const std::string& t : texts) {
      Rule r;
      RuleError err;
      EXPECT_TRUE(parse_rule(t, RuleVars::defaults(), nullptr, &r, &err))
          << t << ": " << err.reason << ": " << err.detail;
      rules.push_back(std::move(r));
    }
    std::string error;
    engine_ = DetectEngine::build(std::move(rules), 1, &report_, &error);
    EXPECT_NE(engine_, nullptr) << error;
  }
  // Sids that alert (in evaluation order) for `insp`.
  std::vector<uint32_t> alerts(const Inspection& insp) {
    engine_->inspect(insp, 0, last_);
    std::vector<uint32_t> sids;
    for (uint16_t i = 0; i < last_.n_hits; ++i) {
      if (last_.hits[i].alert) sids.push_back(engine_->rule(last_.hits[i].rule).sid);
    }
    return sids;
  }
  bool fires(uint32_t sid, const Inspection& insp) {
    for (uint32_t s : alerts(insp)) {
      if (s == sid) return true;
    }
    return false;
  }
  const InspectResult& last() const { return last_; }
  const EngineReport& report() const { return report_; }

 private:
  std::unique_ptr<DetectEngine> engine_;
  EngineReport report_;
  InspectResult last_;
};

struct Packet {
  uint8_t src[4], dst[4];
  std::string payload;
  Inspection insp;
  Packet(const char* s, uint16_t sport, const char* d, uint16_t dport, std::string data,
         uint8_t proto = 6) {
    inet_pton(AF_INET, s, src);
    inet_pton(AF_INET, d, dst);
    payload = std::move(data);
    insp.family = 4;
    insp.src = src;
    insp.dst = dst;
    insp.sport = sport;
    insp.dport = dport;
    insp.ip_proto = proto;
    insp.has_tcp = proto == 6;
    insp.tcp_flags = 0x18;
    insp.established = true;
    insp.dsize = static_cast<uint32_t>(payload.size());
    set(Buffer::kPayload, payload);
  }
  std::deque<std::string> kept;  // buffers other than the payload live here
  void set(Buffer b, const std::string& s) {
    const std::string& k = b == Buffer::kPayload ? s : kept.emplace_back(s);
    insp.set_buffer(b, reinterpret_cast<const uint8_t*>(k.data()), static_cast<uint32_t>(k.size()));
  }
};

std::string rule(const std::string& body, uint32_t sid,
                 const std::string& head = "alert tcp any any -> any any") {
  return head + " (msg:\"t\"; " + body + " sid:" + std::to_string(sid) + ";)";
}

TEST(DetectEngine, ContentNocaseAndNegation) {
  Engine e({rule("content:\"EvilThing\";", 1), rule("content:\"evilthing\"; nocase;", 2),
            rule("content:\"evil\"; nocase; content:!\"harmless\";", 3)});
  Packet p("10.0.0.1", 1234, "10.0.0.2", 80, "xx EVILTHING yy");
  EXPECT_EQ(e.alerts(p.insp), (std::vector<uint32_t>{2, 3}));
  Packet q("10.0.0.1", 1234, "10.0.0.2", 80, "xx EvilThing harmless");
  EXPECT_EQ(e.alerts(q.insp), (std::vector<uint32_t>{1, 2}));
}

TEST(DetectEngine, OffsetDepthStartsEnds) {
  Engine e({rule("content:\"abc\"; offset:2; depth:3;", 1), rule("content:\"GET\"; startswith;", 2),
            rule("content:\".exe\"; endswith;", 3)});
  EXPECT_EQ(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "xxabcyy").insp),
            (std::vector<uint32_t>{1}));
  EXPECT_TRUE(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "xxxabc").insp).empty());  // too deep
  EXPECT_TRUE(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "xabcGET a.exe.").insp).empty());
  EXPECT_EQ(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "GET /a.exe").insp),
            (std::vector<uint32_t>{2, 3}));
}

TEST(DetectEngine, RelativeMatchesRetryLaterOccurrences) {
  // The first "abc" leaves no "YY" within 2 bytes after a 3-byte gap; the second does.
  Engine e({rule("content:\"abc\"; content:\"YY\"; distance:3; within:2;", 1),
            rule("content:\"abc\"; content:\"ZZ\"; distance:0; within:2;", 2)});
  EXPECT_EQ(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "abcXXXabcQQQYY").insp),
            (std::vector<uint32_t>{1}));
  EXPECT_TRUE(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "abcQQQQYY abc ZZ").insp).empty());
  EXPECT_EQ(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "abc-ZZ").insp).size(), 0u);
  EXPECT_EQ(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "abcZZ").insp), (std::vector<uint32_t>{2}));
}

TEST(DetectEngine, NegativeDistance) {
  Engine e({rule("content:\"def\"; content:\"abc\"; distance:-6; within:3;", 1)});
  EXPECT_EQ(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "abcdef").insp),
            (std::vector<uint32_t>{1}));
  EXPECT_TRUE(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "abcxdef").insp).empty());
}

TEST(DetectEngine, IsDataAtAndSizes) {
  Engine e({rule("content:\"key=\"; isdataat:5,relative;", 1),
            rule("content:\"key=\"; isdataat:!1,relative;", 2), rule("dsize:>10;", 3),
            rule("http.uri; content:\"k\"; bsize:<4;", 4, "alert http any any -> any any")});
  EXPECT_EQ(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "key=12345").insp),
            (std::vector<uint32_t>{1}));
  EXPECT_EQ(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "key=").insp), (std::vector<uint32_t>{2}));
  Packet uri("1.1.1.1", 1, "2.2.2.2", 2, "kk");
  uri.insp.app = AppKind::kHttp;
  uri.set(Buffer::kHttpUri, "kkk");
  EXPECT_EQ(e.alerts(uri.insp), (std::vector<uint32_t>{4}));
  uri.set(Buffer::kHttpUri, "kkkk");
  EXPECT_TRUE(e.alerts(uri.insp).empty());
  EXPECT_EQ(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "key=1234567").insp),
            (std::vector<uint32_t>{1, 3}));
}

TEST(DetectEngine, PcreRelativeAndPrefilterOnly) {
  Engine e({rule("content:\"id=\"; pcre:\"/^[0-9]{4}/R\";", 1),
            rule("pcre:\"/user=[a-z]+admin/i\";", 2)});
  EXPECT_EQ(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "x id=1234").insp),
            (std::vector<uint32_t>{1}));
  EXPECT_TRUE(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "x id=12a4 1234").insp).empty());
  EXPECT_EQ(e.alerts(Packet("1.1.1.1", 1, "2.2.2.2", 2, "USER=bobADMIN").insp),
            (std::vector<uint32_t>{2}));
  EXPECT_EQ(e.report().pcre_prefiltered, 1u);
}

TEST(DetectEngine, StickyBuffersKeepContentsApart) {
  Engine e({rule("http.uri; content:\"/admin\";", 1, "alert http any any -> any any"),
            rule("content:\"/admin\"; http_uri;", 2, "alert http any any -> any any"),
            rule("http.host; content:\"evil.example\";", 3, "alert http any any -> any any"),
            rule("content:\"/admin\";", 4, "alert http any any -> any any")});
  Packet p("10.0.0.1", 1234, "10.0.0.2", 80, "GET /admin HTTP/1.1\r\nHost: evil.example\r\n\r\n");
  p.insp.app = AppKind::kHttp;
  p.set(Buffer::kHttpUri, "/admin");
  p.set(Buffer::kHttpHost, "good.example");
  EXPECT_EQ(e.alerts(p.insp), (std::vector<uint32_t>{1, 2, 4}));
  p.insp.app = AppKind::kNone;  // not an HTTP flow: http rules never match
  EXPECT_TRUE(e.alerts(p.insp).empty());
}

TEST(DetectEngine, FlowDirectionAndFlags) {
  Engine e({rule("flow:established,to_server; content:\"x\";", 1),
            rule("flow:to_client; content:\"x\";", 2), rule("flags:S;", 3),
            rule("flags:S,CE; flow:not_established;", 4)});
  Packet p("1.1.1.1", 1, "2.2.2.2", 2, "x");
  EXPECT_EQ(e.alerts(p.insp), (std::vector<uint32_t>{1}));
  p.insp.to_server = false;
  EXPECT_EQ(e.alerts(p.insp), (std::vector<uint32_t>{2}));
  Packet syn("1.1.1.1", 1, "2.2.2.2", 2, "");
  syn.insp.tcp_flags = 0x02 | 0x40;  // SYN + ECE
  syn.insp.established = false;
  EXPECT_EQ(e.alerts(syn.insp), (std::vector<uint32_t>{4}));
  syn.insp.tcp_flags = 0x02;
  EXPECT_EQ(e.alerts(syn.insp), (std::vector<uint32_t>{3, 4}));
}

TEST(DetectEngine, AddressesPortsAndBidirectional) {
  Engine e({rule("content:\"x\";", 1, "alert tcp $HOME_NET any -> !$HOME_NET [80,8000:8080]"),
            rule("content:\"x\";", 2, "alert tcp 10.9.9.9 any <> any 22")});
  EXPECT_EQ(e.alerts(Packet("10.0.0.1", 5, "8.8.8.8", 8080, "x").insp), (std::vector<uint32_t>{1}));
  EXPECT_TRUE(e.alerts(Packet("10.0.0.1", 5, "10.0.0.2", 80, "x").insp).empty());
  EXPECT_TRUE(e.alerts(Packet("10.0.0.1", 5, "8.8.8.8", 8081, "x").insp).empty());
  EXPECT_EQ(e.alerts(Packet("8.8.8.8", 22, "10.9.9.9", 40000, "x").insp),
            (std::vector<uint32_t>{2}));
}

TEST(DetectEngine, FlowbitsSetThenCheckInOneFlow) {
  // The checker comes first in the file; setters still run first (Suricata's ordering).
  Engine e({rule("flow:to_client; content:\"200\"; flowbits:isset,asked;", 2),
            rule("flow:to_server; content:\"ask\"; flowbits:set,asked; flowbits:noalert;", 1)});
  FlowBits bits;
  Packet req("1.1.1.1", 1, "2.2.2.2", 2, "ask");
  req.insp.flowbits = &bits;
  EXPECT_TRUE(e.alerts(req.insp).empty());  // noalert
  EXPECT_EQ(e.last().n_hits, 1);
  Packet resp("2.2.2.2", 2, "1.1.1.1", 1, "HTTP 200");
  resp.insp.to_server = false;
  FlowBits other;
  resp.insp.flowbits = &other;
  EXPECT_TRUE(e.alerts(resp.insp).empty());  // another flow: the bit is not set there
  resp.insp.flowbits = &bits;
  EXPECT_EQ(e.alerts(resp.insp), (std::vector<uint32_t>{2}));
}

TEST(DetectEngine, ThresholdAndDetectionFilter) {
  Engine e({rule("content:\"a\"; threshold:type limit, track by_src, count 2, seconds 10;", 1),
            rule("content:\"b\"; detection_filter:track by_src, count 3, seconds 10;", 2)});
  Packet p("1.1.1.1", 1, "2.2.2.2", 2, "ab");
  std::vector<int> a, b;
  for (int i = 0; i < 6; ++i) {
    p.insp.time_us = 1'000'000ull * i;
    const auto s = e.alerts(p.insp);
    a.push_back(std::count(s.begin(), s.end(), 1u));
    b.push_back(std::count(s.begin(), s.end(), 2u));
  }
  EXPECT_EQ(a, (std::vector<int>{1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(b, (std::vector<int>{0, 0, 0, 1, 1, 1}));
  p.insp.time_us = 20'000'000;  // a new window
  EXPECT_EQ(e.alerts(p.insp), (std::vector<uint32_t>{1}));
  Packet other("1.1.1.9", 1, "2.2.2.2", 2, "a");  // tracked by source: its own count
  other.insp.time_us = 20'000'000;
  EXPECT_EQ(e.alerts(other.insp), (std::vector<uint32_t>{1}));
}

TEST(DetectEngine, PassStopsAndDropRejectFlag) {
  Engine e({rule("content:\"bad\";", 1), rule("content:\"bad\";", 2, "drop tcp any any -> any any"),
            rule("content:\"ok-bad\";", 3, "pass tcp any any -> any any"),
            rule("content:\"rej\";", 4, "reject tcp any any -> any any")});
  Packet p("1.1.1.1", 1, "2.2.2.2", 2, "bad");
  EXPECT_EQ(e.alerts(p.insp), (std::vector<uint32_t>{2, 1}));  // drop before alert
  EXPECT_TRUE(e.last().drop);
  Packet q("1.1.1.1", 1, "2.2.2.2", 2, "ok-bad");
  EXPECT_TRUE(e.alerts(q.insp).empty());
  EXPECT_TRUE(e.last().pass);
  EXPECT_FALSE(e.last().drop);
  Packet r("1.1.1.1", 1, "2.2.2.2", 2, "rej");
  EXPECT_EQ(e.alerts(r.insp), (std::vector<uint32_t>{4}));
  EXPECT_TRUE(e.last().reject);
}

TEST(DetectEngine, StreamRulesAlertOncePerDirectionAndUseStreamOffsets) {
  Engine e({rule("content:\"MAGIC\"; depth:8;", 1), rule("content:\"later\";", 2)});
  FiredRules fired;
  Packet p("1.1.1.1", 1, "2.2.2.2", 2, "xxMAGIC later");
  p.insp.fired = &fired;
  p.insp.stream = true;
  EXPECT_EQ(e.alerts(p.insp), (std::vector<uint32_t>{1, 2}));
  EXPECT_TRUE(e.alerts(p.insp).empty());  // rescanning the same stream: no repeat
  p.insp.stream = false;                  // a packet on its own (UDP, say) alerts every time
  EXPECT_EQ(e.alerts(p.insp), (std::vector<uint32_t>{1, 2}));
  // A window that starts 100 bytes into the stream: depth 8 counts from the stream's start.
  Packet late("1.1.1.1", 1, "2.2.2.2", 2, "MAGIC");
  late.insp.set_buffer(Buffer::kPayload, reinterpret_cast<const uint8_t*>(late.payload.data()), 5,
                       100);
  EXPECT_TRUE(e.alerts(late.insp).empty());
}

TEST(DetectEngine, IcmpTypeAndUdp) {
  Engine e({rule("itype:8; icode:0;", 1, "alert icmp any any -> any any"),
            rule("content:\"q\";", 2, "alert udp any any -> any 53")});
  Packet ping("1.1.1.1", 0, "2.2.2.2", 0, "", 1);
  ping.insp.has_icmp = true;
  ping.insp.icmp_type = 8;
  EXPECT_EQ(e.alerts(ping.insp), (std::vector<uint32_t>{1}));
  ping.insp.icmp_type = 0;
  EXPECT_TRUE(e.alerts(ping.insp).empty());
  EXPECT_EQ(e.alerts(Packet("1.1.1.1", 999, "2.2.2.2", 53, "q", 17).insp),
            (std::vector<uint32_t>{2}));
  EXPECT_TRUE(e.alerts(Packet("1.1.1.1", 999, "2.2.2.2", 54, "q", 17).insp).empty());
}

}  // namespace
}  // namespace vigil::ids

namespace vigil::ids {
namespace {

TEST(DetectEngine, DotprefixMatchesDomainAndSubdomainsOnly) {
  Engine e({rule("dns.query; dotprefix; content:\".evil.example\"; endswith;", 1,
                 "alert dns any any -> any any"),
            rule("tls.sni; dotprefix; content:\".evil.example\"; endswith;", 2,
                 "alert tls any any -> any any")});
  for (const char* name : {"evil.example", "a.b.evil.example", "notevil.example"}) {
    Packet p("10.0.0.1", 5353, "10.0.0.53", 53, "q", 17);
    p.insp.app = AppKind::kDns;
    p.set(Buffer::kDnsQueryDotPrefix, std::string(".") + name);
    const bool want = std::string(name) != "notevil.example";
    EXPECT_EQ(e.fires(1, p.insp), want) << name;
  }
  Packet t("10.0.0.1", 40000, "10.0.0.2", 443, "hello");
  t.insp.app = AppKind::kTls;
  t.set(Buffer::kTlsSniDotPrefix, ".www.evil.example");
  EXPECT_EQ(e.alerts(t.insp), (std::vector<uint32_t>{2}));
}

}  // namespace
}  // namespace vigil::ids
