// Rule parser: header, meta options, contents and their modifiers, buffers, pcre.
#include "ids/rule_parser.h"

#include <gtest/gtest.h>

#include "tests/ids/rule_test_util.h"

namespace vigil::ids {
namespace {

using testing::opts_ok;
using testing::opts_reason;
using testing::parse_bad;
using testing::parse_ok;

// ---- header ----

TEST(RuleHeader, ActionsAndProtocols) {
  EXPECT_EQ(parse_ok("alert tcp any any -> any any (sid:1;)").action, RuleAction::kAlert);
  EXPECT_EQ(parse_ok("drop tcp any any -> any any (sid:1;)").action, RuleAction::kDrop);
  EXPECT_EQ(parse_ok("pass tcp any any -> any any (sid:1;)").action, RuleAction::kPass);
  EXPECT_EQ(parse_ok("reject tcp any any -> any any (sid:1;)").action, RuleAction::kReject);
  EXPECT_EQ(parse_ok("rejectsrc tcp any any -> any any (sid:1;)").action, RuleAction::kReject);
  EXPECT_EQ(parse_ok("rejectdst tcp any any -> any any (sid:1;)").action, RuleAction::kReject);
  EXPECT_EQ(parse_ok("rejectboth tcp any any -> any any (sid:1;)").action, RuleAction::kReject);
  struct {
    const char* word;
    RuleProto proto;
  } cases[] = {
      {"ip", RuleProto::kIp},          {"tcp", RuleProto::kTcp},     {"tcp-pkt", RuleProto::kTcp},
      {"tcp-stream", RuleProto::kTcp}, {"udp", RuleProto::kUdp},     {"icmp", RuleProto::kIcmp},
      {"icmpv4", RuleProto::kIcmp},    {"icmpv6", RuleProto::kIcmp}, {"http", RuleProto::kHttp},
      {"http1", RuleProto::kHttp},     {"dns", RuleProto::kDns},     {"tls", RuleProto::kTls}};
  for (const auto& c : cases) {
    Rule r = parse_ok(std::string("alert ") + c.word + " any any -> any any (sid:1;)");
    EXPECT_EQ(r.proto, c.proto) << c.word;
  }
}

TEST(RuleHeader, TcpPktAndStreamSetStreamFlags) {
  Rule pkt = parse_ok("alert tcp-pkt any any -> any any (flow:established; sid:1;)");
  EXPECT_TRUE(pkt.has_flow);
  EXPECT_TRUE(pkt.flow.no_stream);
  EXPECT_TRUE(pkt.flow.established);
  Rule stream = parse_ok("alert tcp-stream any any -> any any (sid:1;)");
  EXPECT_TRUE(stream.flow.only_stream);
  EXPECT_FALSE(stream.flow.no_stream);
  EXPECT_EQ(parse_bad("alert tcp-pkt any any -> any any (flow:only_stream; sid:1;)").reason,
            "bad flow");
  Rule plain = parse_ok("alert tcp any any -> any any (sid:1;)");
  EXPECT_FALSE(plain.has_flow);
}

TEST(RuleHeader, UnsupportedProtocolAndAction) {
  EXPECT_EQ(parse_bad("alert smtp any any -> any any (sid:1;)").reason,
            "unsupported protocol: smtp");
  EXPECT_EQ(parse_bad("alert ftp-data any any -> any any (sid:1;)").reason,
            "unsupported protocol: ftp-data");
  EXPECT_EQ(parse_bad("alert T%P any any -> any any (sid:1;)").reason, "bad header");
  EXPECT_EQ(parse_bad("log tcp any any -> any any (sid:1;)").reason, "unsupported action");
  EXPECT_EQ(parse_bad("sdrop tcp any any -> any any (sid:1;)").reason, "unsupported action");
}

TEST(RuleHeader, DirectionAndFieldCount) {
  EXPECT_FALSE(parse_ok("alert tcp any any -> any any (sid:1;)").bidirectional);
  EXPECT_TRUE(parse_ok("alert tcp any any <> any any (sid:1;)").bidirectional);
  EXPECT_EQ(parse_bad("alert tcp any any <- any any (sid:1;)").reason, "bad header");
  EXPECT_EQ(parse_bad("alert tcp any any any any (sid:1;)").reason, "bad header");
  EXPECT_EQ(parse_bad("alert tcp any any -> any any extra (sid:1;)").reason, "bad header");
  EXPECT_EQ(parse_bad("alert tcp any any -> any any sid:1;").reason, "bad header");
  EXPECT_EQ(parse_bad("alert tcp any any -> any any (sid:1;").reason, "bad option syntax");
  EXPECT_EQ(parse_bad("alert tcp any any -> any any (sid:1;) trailing").reason,
            "bad option syntax");
}

TEST(RuleHeader, AddressesPortsAndVariables) {
  Rule r = parse_ok("alert tcp $HOME_NET [1024:,!3306] -> !$HOME_NET $HTTP_PORTS (sid:1;)");
  EXPECT_FALSE(r.src.any);
  ASSERT_EQ(r.src.include.size(), 3u);
  EXPECT_EQ(r.src.include[0].addr[0], 192);
  EXPECT_EQ(r.src.include[0].len, 16);
  EXPECT_FALSE(r.src_ports.any);
  ASSERT_EQ(r.src_ports.include.size(), 1u);
  EXPECT_EQ(r.src_ports.include[0].lo, 1024);
  EXPECT_EQ(r.src_ports.include[0].hi, 65535);
  ASSERT_EQ(r.src_ports.exclude.size(), 1u);
  EXPECT_EQ(r.src_ports.exclude[0].lo, 3306);
  EXPECT_TRUE(r.dst.any);
  EXPECT_EQ(r.dst.exclude.size(), 3u);
  ASSERT_EQ(r.dst_ports.include.size(), 1u);
  EXPECT_EQ(r.dst_ports.include[0].lo, 80);
  // Whitespace inside a list is part of the field.
  Rule spaced = parse_ok("alert tcp [1.2.3.4, 5.6.7.8] any -> any [80, 443] (sid:1;)");
  EXPECT_EQ(spaced.src.include.size(), 2u);
  EXPECT_EQ(spaced.dst_ports.include.size(), 2u);
  EXPECT_EQ(parse_bad("alert tcp $NOPE any -> any any (sid:1;)").reason, "bad address");
  EXPECT_EQ(parse_bad("alert tcp any any -> 300.1.1.1 any (sid:1;)").reason, "bad address");
  EXPECT_EQ(parse_bad("alert tcp any 70000 -> any any (sid:1;)").reason, "bad port");
  EXPECT_EQ(parse_bad("alert tcp any any -> any $HOME_NET (sid:1;)").reason, "bad port");
}

// ---- meta ----

TEST(RuleMeta, MsgSidRevGidPriority) {
  Rule r = parse_ok(
      "alert tcp any any -> any any (msg:\"ET a \\\"quoted\\\" \\; semi\\: \\\\ \\d\"; "
      "sid:2000001; "
      "rev:7; gid:3; priority:2;)");
  EXPECT_EQ(r.msg, "ET a \"quoted\" ; semi: \\ \\d");
  EXPECT_EQ(r.sid, 2000001u);
  EXPECT_EQ(r.rev, 7u);
  EXPECT_EQ(r.gid, 3u);
  EXPECT_EQ(r.priority, 2);
  Rule d = parse_ok("alert tcp any any -> any any (sid:5;)");
  EXPECT_EQ(d.gid, 1u);
  EXPECT_EQ(d.rev, 0u);
  EXPECT_EQ(d.priority, 3);
  EXPECT_EQ(d.msg, "");
}

TEST(RuleMeta, MsgWithSemicolonInsideQuotes) {
  Rule r = opts_ok("msg:\"a;b\"; content:\"x;y\";");
  EXPECT_EQ(r.msg, "a;b");
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].pattern, "x;y");
}

TEST(RuleMeta, BadIds) {
  EXPECT_EQ(parse_bad("alert tcp any any -> any any (msg:\"x\";)").reason, "missing sid");
  EXPECT_EQ(parse_bad("alert tcp any any -> any any (sid:0;)").reason, "bad sid");
  EXPECT_EQ(parse_bad("alert tcp any any -> any any (sid:-1;)").reason, "bad sid");
  EXPECT_EQ(parse_bad("alert tcp any any -> any any (sid:12x;)").reason, "bad sid");
  EXPECT_EQ(parse_bad("alert tcp any any -> any any (sid:99999999999;)").reason, "bad sid");
  EXPECT_EQ(parse_bad("alert tcp any any -> any any (sid:1; sid:2;)").reason, "bad sid");
  EXPECT_EQ(parse_bad("alert tcp any any -> any any (sid;)").reason, "bad option syntax");
  EXPECT_EQ(opts_reason("rev:x;"), "bad rev");
  EXPECT_EQ(opts_reason("gid:;"), "bad option syntax");
  EXPECT_EQ(opts_reason("priority:0;"), "bad priority");
  EXPECT_EQ(opts_reason("priority:256;"), "bad priority");
  EXPECT_EQ(opts_reason("msg:unquoted;"), "bad msg");
  EXPECT_EQ(opts_reason("msg:\"a\"; msg:\"b\";"), "bad msg");
}

TEST(RuleMeta, ClasstypeWithClassifications) {
  Classifications cls;
  cls.parse(
      "config classification: trojan-activity,A Network Trojan was detected, 1\n"
      "config classification: misc-activity,Misc activity,3\n",
      "test", nullptr);
  Rule r =
      testing::parse_ok("alert tcp any any -> any any (classtype:trojan-activity; sid:1;)", &cls);
  EXPECT_EQ(r.classtype, "trojan-activity");
  EXPECT_EQ(r.category, "A Network Trojan was detected");
  EXPECT_EQ(r.priority, 1);
  // An explicit priority wins, before or after classtype.
  EXPECT_EQ(
      testing::parse_ok(
          "alert tcp any any -> any any (priority:2; classtype:trojan-activity; sid:1;)", &cls)
          .priority,
      2);
  EXPECT_EQ(
      testing::parse_ok(
          "alert tcp any any -> any any (classtype:trojan-activity; priority:4; sid:1;)", &cls)
          .priority,
      4);
  RuleError e = parse_bad("alert tcp any any -> any any (classtype:nope; sid:1;)",
                          RuleVars::defaults(), &cls);
  EXPECT_EQ(e.reason, "unknown classtype");
  // Without a classification table any name is accepted, with no category.
  Rule free = opts_ok("classtype:whatever;");
  EXPECT_EQ(free.classtype, "whatever");
  EXPECT_EQ(free.category, "");
  EXPECT_EQ(free.priority, 3);
  EXPECT_EQ(opts_reason("classtype:bad name;"), "bad classtype");
  Classifications empty;
  EXPECT_EQ(
      testing::parse_ok("alert tcp any any -> any any (classtype:x; sid:1;)", &empty).classtype,
      "x");
}

TEST(RuleMeta, MetadataAndReferences) {
  Rule r = opts_ok(
      "metadata:affected_product Web_Browsers, created_at 2020_03_24, lonely; "
      "metadata:tag Phishing; reference:url,example.com/a,b; reference: cve , 2021-1234 ;");
  ASSERT_EQ(r.metadata.size(), 4u);
  EXPECT_EQ(r.metadata[0],
            std::make_pair(std::string("affected_product"), std::string("Web_Browsers")));
  EXPECT_EQ(r.metadata[1], std::make_pair(std::string("created_at"), std::string("2020_03_24")));
  EXPECT_EQ(r.metadata[2], std::make_pair(std::string("lonely"), std::string("")));
  EXPECT_EQ(r.metadata[3], std::make_pair(std::string("tag"), std::string("Phishing")));
  ASSERT_EQ(r.references.size(), 2u);
  EXPECT_EQ(r.references[0], "url,example.com/a,b");
  EXPECT_EQ(r.references[1], "cve,2021-1234");
  EXPECT_EQ(opts_reason("reference:nocomma;"), "bad reference");
  EXPECT_EQ(opts_reason("reference:url,;"), "bad reference");
}

TEST(RuleMeta, IgnoredKeywordsAndNoalert) {
  Rule r = opts_ok("target:src_ip; tag:session,5,packets; noalert;");
  EXPECT_TRUE(r.noalert);
  EXPECT_FALSE(opts_ok("target:dest_ip;").noalert);
}

TEST(RuleMeta, UnsupportedKeywordsAndTransforms) {
  EXPECT_EQ(opts_reason("content:\"a\"; byte_test:1,>,0,6;"), "unsupported keyword: byte_test");
  EXPECT_EQ(opts_reason("byte_jump:4,0,relative;"), "unsupported keyword: byte_jump");
  EXPECT_EQ(opts_reason("byte_extract:1,0,var;"), "unsupported keyword: byte_extract");
  EXPECT_EQ(opts_reason("base64_decode; base64_data;"), "unsupported keyword: base64_decode");
  EXPECT_EQ(opts_reason("ja3.hash; content:\"abc\";", "alert tls any any -> any any"),
            "unsupported keyword: ja3.hash");
  EXPECT_EQ(opts_reason("tls.cert_subject; content:\"x\";", "alert tls any any -> any any"),
            "unsupported keyword: tls.cert_subject");
  EXPECT_EQ(opts_reason("app-layer-protocol:http;"), "unsupported keyword: app-layer-protocol");
  EXPECT_EQ(opts_reason("stream_size:client,<,10;"), "unsupported keyword: stream_size");
  EXPECT_EQ(opts_reason("xbits:set,a,track ip_src;"), "unsupported keyword: xbits");
  // dotprefix is supported right after dns.query, tls.sni and http.host, nowhere else.
  EXPECT_EQ(
      opts_reason("http.uri; dotprefix; content:\".a.com\";", "alert http any any -> any any"),
      "unsupported transform: dotprefix");
  EXPECT_EQ(opts_reason("dns.query; content:\"x\"; dotprefix; content:\".a.com\";",
                        "alert dns any any -> any any"),
            "bad transform");
  EXPECT_EQ(opts_reason("http.uri; to_lowercase; content:\"a\";", "alert http any any -> any any"),
            "unsupported transform: to_lowercase");
}

TEST(RuleSyntax, OptionSyntaxErrors) {
  EXPECT_EQ(parse_bad("").reason, "not a rule");
  EXPECT_EQ(parse_bad("   ").reason, "not a rule");
  EXPECT_EQ(parse_bad("# just a comment").reason, "not a rule");
  EXPECT_EQ(parse_bad("#alert tcp any any -> any any (sid:1;)").reason, "not a rule");
  EXPECT_EQ(parse_bad("alert tcp any any -> any any (; sid:1;)").reason, "bad option syntax");
  EXPECT_EQ(parse_bad("alert tcp any any -> any any (:x; sid:1;)").reason, "bad option syntax");
  EXPECT_EQ(parse_bad("alert tcp any any -> any any (s id:1;)").reason, "bad option syntax");
  EXPECT_EQ(opts_reason("nocase:1; content:\"a\";"), "bad content modifier");
  // The last ';' may be missing; whitespace is allowed anywhere.
  Rule r = parse_ok("  alert   tcp any  any ->  any any  ( msg : \"m\" ;  sid : 9 ; rev:2 )  ");
  EXPECT_EQ(r.sid, 9u);
  EXPECT_EQ(r.rev, 2u);
  EXPECT_EQ(r.msg, "m");
}

}  // namespace
}  // namespace vigil::ids
