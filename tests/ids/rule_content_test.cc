// Rule parser: contents, their modifiers, sticky and Snort-style buffers, pcre, isdataat,
// bsize, urilen.
#include <gtest/gtest.h>

#include "ids/rule_parser.h"
#include "tests/ids/rule_test_util.h"

namespace vigil::ids {
namespace {

using testing::opts_ok;
using testing::opts_reason;

const std::string kHttp = "alert http any any -> any any";

TEST(RuleContent, HexBlocksAndEscapes) {
  Rule r = opts_ok(
      "content:\"GET |20 2f|x|00|\"; content:\"a\\\"b\\;c\\\\d\\:e\"; content:\"|41 42 4 3|\";");
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[0].kind, MatchKind::kContent);
  EXPECT_EQ(r.items[0].pattern, std::string("GET  /x\0", 8));
  EXPECT_EQ(r.items[1].pattern, "a\"b;c\\d:e");
  EXPECT_EQ(r.items[2].pattern, "ABC");  // spaces inside a hex block are ignored
  EXPECT_FALSE(r.items[0].negated);
  EXPECT_EQ(r.items[0].buffer, Buffer::kPayload);
}

TEST(RuleContent, Negation) {
  Rule r = opts_ok("content:!\"abc\"; content: ! \"|ff|\";");
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_TRUE(r.items[0].negated);
  EXPECT_EQ(r.items[0].pattern, "abc");
  EXPECT_TRUE(r.items[1].negated);
  EXPECT_EQ(r.items[1].pattern, "\xff");
}

TEST(RuleContent, BadContents) {
  EXPECT_EQ(opts_reason("content:\"\";"), "bad content");
  EXPECT_EQ(opts_reason("content:\"||\";"), "bad content");
  EXPECT_EQ(opts_reason("content:abc;"), "bad content");
  EXPECT_EQ(opts_reason("content:\"|4|\";"), "bad content");
  EXPECT_EQ(opts_reason("content:\"|4g|\";"), "bad content");
  EXPECT_EQ(opts_reason("content:\"|41\";"), "bad content");
  EXPECT_EQ(opts_reason("content:\"a\\x\";"), "bad content");
  EXPECT_EQ(opts_reason("content:\"a\"b\";"), "bad content");
  EXPECT_EQ(opts_reason("content:;"), "bad option syntax");
  EXPECT_EQ(opts_reason("content;"), "bad option syntax");
}

TEST(RuleContent, ModifiersBindToTheLatestContent) {
  Rule r = opts_ok(
      "content:\"abc\"; nocase; offset:2; depth:10; content:\"de\"; distance:-3; within:8; "
      "fast_pattern; content:\"f\"; rawbytes;");
  ASSERT_EQ(r.items.size(), 3u);
  const MatchItem& a = r.items[0];
  EXPECT_TRUE(a.nocase);
  EXPECT_TRUE(a.has_offset);
  EXPECT_EQ(a.offset, 2);
  EXPECT_TRUE(a.has_depth);
  EXPECT_EQ(a.depth, 10);
  EXPECT_FALSE(a.has_distance);
  EXPECT_FALSE(a.fast_pattern);
  const MatchItem& b = r.items[1];
  EXPECT_FALSE(b.nocase);
  EXPECT_TRUE(b.has_distance);
  EXPECT_EQ(b.distance, -3);
  EXPECT_TRUE(b.has_within);
  EXPECT_EQ(b.within, 8);
  EXPECT_TRUE(b.fast_pattern);
  EXPECT_FALSE(b.fast_pattern_only);
  EXPECT_FALSE(b.has_offset);
  const MatchItem& c = r.items[2];
  EXPECT_FALSE(c.nocase);
  EXPECT_FALSE(c.has_distance);
}

TEST(RuleContent, StartsWithEndsWith) {
  Rule r = opts_ok("content:\"ab\"; startswith; endswith; content:\"x\"; endswith;");
  EXPECT_TRUE(r.items[0].startswith);
  EXPECT_TRUE(r.items[0].endswith);
  EXPECT_FALSE(r.items[0].has_depth);
  EXPECT_FALSE(r.items[1].startswith);
  EXPECT_TRUE(r.items[1].endswith);
  EXPECT_EQ(opts_reason("content:\"ab\"; startswith; depth:5;"), "bad content modifier");
  EXPECT_EQ(opts_reason("content:\"ab\"; offset:1; startswith;"), "bad content modifier");
  EXPECT_EQ(opts_reason("content:\"ab\"; startswith; startswith;"), "bad content modifier");
  EXPECT_EQ(opts_reason("content:\"ab\"; endswith:1;"), "bad option syntax");
}

TEST(RuleContent, FastPatternForms) {
  Rule only = opts_ok("content:\"abcdef\"; fast_pattern:only;");
  EXPECT_TRUE(only.items[0].fast_pattern);
  EXPECT_TRUE(only.items[0].fast_pattern_only);
  Rule chop = opts_ok("content:\"abcdef\"; fast_pattern:2,3;");
  EXPECT_TRUE(chop.items[0].fast_pattern);
  EXPECT_TRUE(chop.items[0].has_fast_pattern_chop);
  EXPECT_EQ(chop.items[0].fp_chop_offset, 2);
  EXPECT_EQ(chop.items[0].fp_chop_length, 3);
  EXPECT_EQ(opts_reason("content:\"abc\"; fast_pattern:2,3;"), "bad fast_pattern");
  EXPECT_EQ(opts_reason("content:\"abc\"; fast_pattern:x;"), "bad fast_pattern");
  EXPECT_EQ(opts_reason("content:\"a\"; fast_pattern; content:\"b\"; fast_pattern;"),
            "bad fast_pattern");
  EXPECT_EQ(opts_reason("content:!\"a\"; fast_pattern:only;"), "bad fast_pattern");
  EXPECT_EQ(opts_reason("fast_pattern; content:\"a\";"), "bad content modifier");
}

TEST(RuleContent, PositionValidation) {
  // depth and within must cover the content; negatives only for distance.
  EXPECT_EQ(opts_reason("content:\"abcd\"; depth:3;"), "bad content modifier");
  EXPECT_EQ(opts_reason("content:\"abcd\"; within:3;"), "bad content modifier");
  EXPECT_EQ(opts_reason("content:\"abcd\"; offset:-1;"), "bad content modifier");
  EXPECT_EQ(opts_reason("content:\"abcd\"; within:-4;"), "bad content modifier");
  EXPECT_EQ(opts_reason("content:\"abcd\"; depth:x;"), "bad content modifier");
  EXPECT_EQ(opts_reason("content:\"abcd\"; depth:4; depth:5;"), "bad content modifier");
  EXPECT_EQ(opts_reason("content:\"abcd\"; depth:4; distance:0;"), "bad content modifier");
  EXPECT_EQ(opts_reason("content:\"abcd\"; within:4; offset:1;"), "bad content modifier");
  EXPECT_EQ(opts_reason("depth:4;"), "bad content modifier");
  // Equal to the content length is fine, and a relative modifier on a buffer's first content too.
  Rule r = opts_ok("content:\"abcd\"; depth:4; content:\"x\"; distance:0; within:1;");
  EXPECT_EQ(r.items[0].depth, 4);
  Rule first = opts_ok("http.uri; content:\"/a\"; distance:1;", kHttp);
  EXPECT_TRUE(first.items[0].has_distance);
  EXPECT_EQ(first.items[0].distance, 1);
}

TEST(RuleBuffers, StickyBuffersApplyToFollowingKeywords) {
  struct {
    const char* keyword;
    Buffer buffer;
  } cases[] = {
      {"http.uri", Buffer::kHttpUri},
      {"http.uri.raw", Buffer::kHttpUriRaw},
      {"http.method", Buffer::kHttpMethod},
      {"http.protocol", Buffer::kHttpProtocol},
      {"http.request_line", Buffer::kHttpRequestLine},
      {"http.host", Buffer::kHttpHost},
      {"http.host.raw", Buffer::kHttpHost},
      {"http.user_agent", Buffer::kHttpUserAgent},
      {"http.header", Buffer::kHttpHeader},
      {"http.header_names", Buffer::kHttpHeaderNames},
      {"http.cookie", Buffer::kHttpCookie},
      {"http.referer", Buffer::kHttpReferer},
      {"http.content_type", Buffer::kHttpContentType},
      {"http_content_type", Buffer::kHttpContentType},
      {"http.accept", Buffer::kHttpAccept},
      {"http.request_body", Buffer::kHttpRequestBody},
      {"http.client_body", Buffer::kHttpRequestBody},
      {"http.stat_code", Buffer::kHttpStatCode},
      {"http.stat_msg", Buffer::kHttpStatMsg},
      {"http.server", Buffer::kHttpServer},
      {"http.location", Buffer::kHttpLocation},
      {"http.response_line", Buffer::kHttpResponseLine},
      {"http.response_body", Buffer::kFileData},
      {"file.data", Buffer::kFileData},
      {"file_data", Buffer::kFileData},
  };
  for (const auto& c : cases) {
    Rule r = opts_ok(
        std::string(c.keyword) + "; content:\"a\"; pcre:\"/b/\"; isdataat:1; bsize:>1;", kHttp);
    ASSERT_EQ(r.items.size(), 4u) << c.keyword;
    for (const MatchItem& it : r.items) EXPECT_EQ(it.buffer, c.buffer) << c.keyword;
    EXPECT_EQ(r.proto, RuleProto::kHttp);
  }
  Rule dns = opts_ok("dns.query; content:\"evil\"; dns_query; content:\"x\";",
                     "alert dns any any -> any any");
  EXPECT_EQ(dns.items[0].buffer, Buffer::kDnsQuery);
  EXPECT_EQ(dns.items[1].buffer, Buffer::kDnsQuery);
  Rule tls =
      opts_ok("tls.sni; content:\"a\"; tls_sni; content:\"b\";", "alert tls any any -> any any");
  EXPECT_EQ(tls.items[0].buffer, Buffer::kTlsSni);
  EXPECT_EQ(tls.items[1].buffer, Buffer::kTlsSni);
}

TEST(RuleBuffers, PktDataGoesBackToPayload) {
  Rule r = opts_ok("http.uri; content:\"a\"; pkt_data; content:\"b\";", kHttp);
  EXPECT_EQ(r.items[0].buffer, Buffer::kHttpUri);
  EXPECT_EQ(r.items[1].buffer, Buffer::kPayload);
}

TEST(RuleBuffers, SnortStyleModifiersMoveThePrecedingContent) {
  struct {
    const char* modifier;
    Buffer buffer;
  } cases[] = {
      {"http_uri", Buffer::kHttpUri},
      {"http_raw_uri", Buffer::kHttpUriRaw},
      {"http_method", Buffer::kHttpMethod},
      {"http_header", Buffer::kHttpHeader},
      {"http_raw_header", Buffer::kHttpHeader},
      {"http_cookie", Buffer::kHttpCookie},
      {"http_user_agent", Buffer::kHttpUserAgent},
      {"http_host", Buffer::kHttpHost},
      {"http_raw_host", Buffer::kHttpHost},
      {"http_client_body", Buffer::kHttpRequestBody},
      {"http_stat_code", Buffer::kHttpStatCode},
      {"http_stat_msg", Buffer::kHttpStatMsg},
  };
  for (const auto& c : cases) {
    Rule r = opts_ok(
        std::string("content:\"a\"; content:\"b\"; ") + c.modifier + "; nocase; content:\"c\";",
        kHttp);
    ASSERT_EQ(r.items.size(), 3u);
    EXPECT_EQ(r.items[0].buffer, Buffer::kPayload) << c.modifier;
    EXPECT_EQ(r.items[1].buffer, c.buffer) << c.modifier;
    EXPECT_TRUE(r.items[1].nocase) << c.modifier;
    EXPECT_EQ(r.items[2].buffer, Buffer::kPayload) << c.modifier;
  }
}

TEST(RuleBuffers, ModifiersAfterTheBufferModifierStillApply) {
  Rule r = opts_ok(
      "content:\"GET\"; http_method; content:\"/x\"; http_uri; distance:0; within:10; "
      "fast_pattern;",
      kHttp);
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[0].buffer, Buffer::kHttpMethod);
  EXPECT_EQ(r.items[1].buffer, Buffer::kHttpUri);
  EXPECT_TRUE(r.items[1].has_distance);
  EXPECT_EQ(r.items[1].distance, 0);
  EXPECT_EQ(r.items[1].within, 10);
  EXPECT_TRUE(r.items[1].fast_pattern);
  EXPECT_FALSE(r.items[0].fast_pattern);
}

TEST(RuleBuffers, ModifierConflicts) {
  EXPECT_EQ(opts_reason("http_uri; content:\"a\";", kHttp), "bad content modifier");
  EXPECT_EQ(opts_reason("http.method; content:\"a\"; http_uri;", kHttp), "bad content modifier");
  EXPECT_EQ(opts_reason("content:\"a\"; http_uri:1;", kHttp), "bad option syntax");
  EXPECT_EQ(opts_reason("http.uri:1; content:\"a\";", kHttp), "bad option syntax");
  // The same buffer twice is harmless.
  EXPECT_EQ(opts_ok("http.uri; content:\"a\"; http_uri;", kHttp).items[0].buffer, Buffer::kHttpUri);
  Rule uc = opts_ok("uricontent:\"/x\"; nocase;", kHttp);
  EXPECT_EQ(uc.items[0].buffer, Buffer::kHttpUri);
  EXPECT_TRUE(uc.items[0].nocase);
}

TEST(RuleBuffers, AppBuffersSetTheRuleProtocol) {
  EXPECT_EQ(opts_ok("content:\"a\"; http_uri;").proto, RuleProto::kHttp);
  EXPECT_EQ(opts_ok("file_data; content:\"a\";").proto, RuleProto::kHttp);
  EXPECT_EQ(opts_ok("dns.query; content:\"a\";", "alert udp any any -> any 53").proto,
            RuleProto::kDns);
  EXPECT_EQ(opts_ok("tls.sni; content:\"a\";", "alert ip any any -> any any").proto,
            RuleProto::kTls);
  EXPECT_EQ(opts_ok("content:\"a\";").proto, RuleProto::kTcp);
  EXPECT_EQ(opts_reason("http.uri; content:\"a\";", "alert dns any any -> any any"),
            "protocol conflict");
  EXPECT_EQ(opts_reason("http.uri; content:\"a\"; dns.query; content:\"b\";"), "protocol conflict");
  EXPECT_EQ(opts_reason("http.uri; content:\"a\";", "alert udp any any -> any any"),
            "protocol conflict");
  EXPECT_EQ(opts_reason("tls.sni; content:\"a\";", "alert icmp any any -> any any"),
            "protocol conflict");
}

TEST(RulePcre, FlagsAndExpression) {
  Rule r = opts_ok("pcre:\"/^a[b;]c\\/d/ismxAEGRO\";");
  ASSERT_EQ(r.items.size(), 1u);
  const MatchItem& p = r.items[0];
  EXPECT_EQ(p.kind, MatchKind::kPcre);
  EXPECT_EQ(p.pattern, "^a[b;]c\\/d");
  EXPECT_TRUE(p.pcre_caseless);
  EXPECT_TRUE(p.pcre_dotall);
  EXPECT_TRUE(p.pcre_multiline);
  EXPECT_TRUE(p.pcre_extended);
  EXPECT_TRUE(p.pcre_anchored);
  EXPECT_TRUE(p.pcre_dollar_endonly);
  EXPECT_TRUE(p.pcre_ungreedy);
  EXPECT_TRUE(p.relative);
  EXPECT_FALSE(p.negated);
  EXPECT_EQ(p.buffer, Buffer::kPayload);
  Rule plain = opts_ok("pcre:\"/x/\";");
  EXPECT_FALSE(plain.items[0].pcre_caseless);
  EXPECT_FALSE(plain.items[0].relative);
  EXPECT_TRUE(opts_ok("pcre:!\"/x/\";").items[0].negated);
  EXPECT_TRUE(opts_ok("pcre:\"!/x/i\";").items[0].negated);
}

TEST(RulePcre, OddQuoteInsideTheExpression) {
  // Suricata ends such a value at the first ';'; so does the parser.
  Rule r = opts_ok("content:\"method=\"; pcre:\"/^[\"']?post/Ri\"; classtype:x;");
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[1].pattern, "^[\"']?post");
  EXPECT_TRUE(r.items[1].relative);
  EXPECT_EQ(r.classtype, "x");
}

TEST(RulePcre, BufferLetters) {
  struct {
    char letter;
    Buffer buffer;
  } cases[] = {
      {'U', Buffer::kHttpUri},     {'I', Buffer::kHttpUriRaw},      {'H', Buffer::kHttpHeader},
      {'D', Buffer::kHttpHeader},  {'M', Buffer::kHttpMethod},      {'C', Buffer::kHttpCookie},
      {'K', Buffer::kHttpCookie},  {'P', Buffer::kHttpRequestBody}, {'S', Buffer::kHttpStatCode},
      {'Y', Buffer::kHttpStatMsg}, {'V', Buffer::kHttpUserAgent},   {'W', Buffer::kHttpHost},
      {'Q', Buffer::kFileData}};
  for (const auto& c : cases) {
    Rule r = opts_ok(std::string("pcre:\"/x/i") + c.letter + "\";", kHttp);
    EXPECT_EQ(r.items[0].buffer, c.buffer) << c.letter;
    EXPECT_TRUE(r.items[0].pcre_caseless) << c.letter;
  }
  EXPECT_EQ(opts_ok("pcre:\"/x/B\";").items[0].buffer, Buffer::kPayload);
  EXPECT_EQ(opts_reason("pcre:\"/x/UH\";", kHttp), "bad pcre");
  EXPECT_EQ(opts_reason("http.method; pcre:\"/x/U\";", kHttp), "bad pcre");
  EXPECT_EQ(opts_ok("http.uri; pcre:\"/x/U\";", kHttp).items[0].buffer, Buffer::kHttpUri);
}

TEST(RulePcre, RelativeFollowsThePreviousMatchBuffer) {
  Rule r =
      opts_ok("content:\"a\"; http_uri; pcre:\"/b/R\"; isdataat:!1,relative; pcre:\"/c/\";", kHttp);
  ASSERT_EQ(r.items.size(), 4u);
  EXPECT_EQ(r.items[1].buffer, Buffer::kHttpUri);
  EXPECT_EQ(r.items[2].buffer, Buffer::kHttpUri);
  EXPECT_EQ(r.items[3].buffer, Buffer::kPayload);
}

TEST(RulePcre, BadPcre) {
  EXPECT_EQ(opts_reason("pcre:\"x\";"), "bad pcre");
  EXPECT_EQ(opts_reason("pcre:\"/x\";"), "bad pcre");
  EXPECT_EQ(opts_reason("pcre:\"//i\";"), "bad pcre");
  EXPECT_EQ(opts_reason("pcre:\"/x/z\";"), "bad pcre");
  EXPECT_EQ(opts_reason("pcre:/x/;"), "bad pcre");
  EXPECT_EQ(opts_reason("pcre:\"\";"), "bad pcre");
  EXPECT_EQ(opts_reason("pcre:\"/;"), "bad pcre");
}

TEST(RuleIsDataAt, Forms) {
  Rule r = opts_ok("content:\"a\"; isdataat:!1,relative; isdataat:100; isdataat:5,rawbytes;");
  ASSERT_EQ(r.items.size(), 4u);
  EXPECT_EQ(r.items[1].kind, MatchKind::kIsDataAt);
  EXPECT_TRUE(r.items[1].negated);
  EXPECT_TRUE(r.items[1].relative);
  EXPECT_EQ(r.items[1].value, 1u);
  EXPECT_FALSE(r.items[2].negated);
  EXPECT_FALSE(r.items[2].relative);
  EXPECT_EQ(r.items[2].value, 100u);
  EXPECT_EQ(r.items[3].value, 5u);
  EXPECT_EQ(opts_reason("isdataat:x;"), "bad isdataat");
  EXPECT_EQ(opts_reason("isdataat:1,sideways;"), "bad isdataat");
  EXPECT_EQ(opts_reason("isdataat:-1;"), "bad isdataat");
}

TEST(RuleBsize, NeedsAStickyBufferAndParsesChecks) {
  Rule r = opts_ok("http.uri; content:\"/a\"; bsize:10<>20; http.host; bsize:>=3;", kHttp);
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[1].kind, MatchKind::kBsize);
  EXPECT_EQ(r.items[1].buffer, Buffer::kHttpUri);
  EXPECT_EQ(r.items[1].check.op, NumCheck::kBetween);
  EXPECT_EQ(r.items[1].check.lo, 10u);
  EXPECT_EQ(r.items[1].check.hi, 20u);
  EXPECT_EQ(r.items[2].buffer, Buffer::kHttpHost);
  EXPECT_EQ(r.items[2].check.op, NumCheck::kGe);
  EXPECT_EQ(opts_reason("bsize:10;"), "bad bsize");
  EXPECT_EQ(opts_reason("http.uri; bsize:ten;", kHttp), "bad bsize");
  EXPECT_EQ(opts_reason("http.uri; bsize:20<>10;", kHttp), "bad bsize");
}

TEST(RuleUrilen, IsABsizeOnTheUri) {
  Rule r = opts_ok("urilen:<100; content:\"x\";", kHttp);
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[0].kind, MatchKind::kBsize);
  EXPECT_EQ(r.items[0].buffer, Buffer::kHttpUri);
  EXPECT_EQ(r.items[0].check.op, NumCheck::kLt);
  EXPECT_EQ(r.items[0].check.lo, 100u);
  EXPECT_EQ(r.items[1].buffer, Buffer::kPayload);  // urilen is not a sticky buffer
  EXPECT_EQ(opts_ok("urilen:5,raw;", kHttp).items[0].buffer, Buffer::kHttpUriRaw);
  EXPECT_EQ(opts_ok("urilen:5, norm;", kHttp).items[0].buffer, Buffer::kHttpUri);
  EXPECT_EQ(opts_ok("urilen:5-9;", kHttp).items[0].check.op, NumCheck::kRange);
  EXPECT_EQ(opts_reason("urilen:5,weird;", kHttp), "bad urilen");
  EXPECT_EQ(opts_reason("urilen:;", kHttp), "bad option syntax");
}

}  // namespace
}  // namespace vigil::ids

namespace vigil::ids {
namespace {

TEST(RuleContent, DotprefixMovesTheStickyBufferToItsDottedForm) {
  Rule r;
  RuleError err;
  ASSERT_TRUE(
      parse_rule("alert dns any any -> any any (msg:\"d\"; dns.query; dotprefix; "
                 "content:\".evil.com\"; endswith; sid:9;)",
                 RuleVars::defaults(), nullptr, &r, &err))
      << err.reason << ": " << err.detail;
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].buffer, Buffer::kDnsQueryDotPrefix);
  EXPECT_EQ(r.proto, RuleProto::kDns);
  ASSERT_TRUE(
      parse_rule("alert tls any any -> any any (msg:\"t\"; tls.sni; dotprefix; "
                 "content:\".evil.com\"; endswith; sid:10;)",
                 RuleVars::defaults(), nullptr, &r, &err));
  EXPECT_EQ(r.items[0].buffer, Buffer::kTlsSniDotPrefix);
}

}  // namespace
}  // namespace vigil::ids
