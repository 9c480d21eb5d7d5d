// Rule loader: continuation lines, comments, disabled rules, duplicate sids, report counts and
// formats; and random mutations of real rule lines, which must never crash the parser.
#include "ids/rule_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "ids/rule_parser.h"

namespace vigil::ids {
namespace {

const char* kRules =
    "# header comment\n"
    "\n"
    "alert tcp any any -> any any (msg:\"one\"; content:\"a\"; sid:1; rev:1;)\n"
    "#alert tcp any any -> any any (msg:\"disabled\"; sid:2;)\n"
    "# alert udp any any -> any any (msg:\"disabled too\"; sid:3;)\n"
    "# alerting people is not a rule\n"
    "alert http $HOME_NET any -> $EXTERNAL_NET any (msg:\"two\"; \\\n"
    "    flow:established,to_server; http.uri; \\\n"
    "    content:\"/x\"; sid:4;)\r\n"
    "alert tcp any any -> any any (msg:\"dup\"; sid:1;)\n"
    "alert tcp any any -> any any (msg:\"other gid\"; gid:2; sid:1;)\n"
    "alert smtp any any -> any any (msg:\"smtp\"; sid:5;)\n"
    "alert tcp any any -> any any (msg:\"bt\"; byte_test:1,>,0,0; sid:6;)\n"
    "alert tcp any any -> any any (msg:\"bt2\"; byte_test:1,>,0,0; sid:7;)\n"
    "garbage line\n"
    "drop tcp any any -> any any (msg:\"last\"; sid:8;)";  // no final newline

TEST(RuleLoader, CountsAndRules) {
  LoadReport rep;
  std::vector<Rule> rules =
      load_rules_text(kRules, "mem.rules", RuleVars::defaults(), nullptr, &rep);
  EXPECT_EQ(rep.files, 1u);
  EXPECT_EQ(rep.enabled, 9u);
  EXPECT_EQ(rep.disabled, 2u);
  EXPECT_EQ(rep.loaded, 4u);
  EXPECT_EQ(rep.skipped, 5u);
  EXPECT_EQ(rep.loaded + rep.skipped, rep.enabled);
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0].sid, 1u);
  EXPECT_EQ(rules[0].msg, "one");
  EXPECT_EQ(rules[0].file, "mem.rules");
  EXPECT_EQ(rules[0].line, 3u);
  // The continued rule: joined, numbered by its first line.
  EXPECT_EQ(rules[1].sid, 4u);
  EXPECT_EQ(rules[1].line, 7u);
  ASSERT_EQ(rules[1].items.size(), 1u);
  EXPECT_EQ(rules[1].items[0].buffer, Buffer::kHttpUri);
  EXPECT_EQ(rules[1].items[0].pattern, "/x");
  EXPECT_TRUE(rules[1].flow.to_server);
  // Same sid under another gid is not a duplicate.
  EXPECT_EQ(rules[2].gid, 2u);
  EXPECT_EQ(rules[2].sid, 1u);
  EXPECT_EQ(rules[3].sid, 8u);
  EXPECT_EQ(rules[3].action, RuleAction::kDrop);
  EXPECT_EQ(rules[3].line, 16u);

  EXPECT_EQ(rep.skipped_by_reason.at("duplicate sid"), 1u);
  EXPECT_EQ(rep.skipped_by_reason.at("unsupported protocol: smtp"), 1u);
  EXPECT_EQ(rep.skipped_by_reason.at("unsupported keyword: byte_test"), 2u);
  EXPECT_EQ(rep.skipped_by_reason.at("unsupported action"), 1u);
  ASSERT_EQ(rep.samples.size(), 5u);
  EXPECT_EQ(rep.samples[0].rfind("mem.rules:10: duplicate sid: 1:1 first loaded at mem.rules:3", 0),
            0u)
      << rep.samples[0];
  EXPECT_TRUE(rep.file_errors.empty());
}

TEST(RuleLoader, SamplesAreCappedPerReason) {
  std::string text;
  for (int i = 1; i <= 10; ++i) {
    text += std::string("alert tcp any any -> any any (byte_jump:1,0; sid:") + std::to_string(i) +
            ";)\n";
  }
  LoadReport rep;
  load_rules_text(text, "x", RuleVars::defaults(), nullptr, &rep);
  EXPECT_EQ(rep.skipped_by_reason.at("unsupported keyword: byte_jump"), 10u);
  EXPECT_EQ(rep.samples.size(), 3u);
  EXPECT_EQ(rep.samples[2].rfind("x:3: unsupported keyword: byte_jump: byte_jump:1,0", 0), 0u)
      << rep.samples[2];
}

TEST(RuleLoader, FilesDuplicatesAcrossFilesAndFileErrors) {
  auto dir =
      std::filesystem::temp_directory_path() / ("vigil_rules_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.rules") << "alert tcp any any -> any any (sid:10;)\n";
  std::ofstream(dir / "b.rules") << "alert tcp any any -> any any (sid:10;)\n"
                                 << "alert tcp any any -> any any (sid:11;)\n";
  LoadReport rep;
  std::vector<Rule> rules =
      load_rules({(dir / "a.rules").string(), (dir / "missing.rules").string(),
                  (dir / "b.rules").string(), dir.string()},
                 RuleVars::defaults(), nullptr, &rep);
  EXPECT_EQ(rep.files, 2u);
  EXPECT_EQ(rep.enabled, 3u);
  EXPECT_EQ(rep.loaded, 2u);
  EXPECT_EQ(rep.skipped_by_reason.at("duplicate sid"), 1u);
  ASSERT_EQ(rep.file_errors.size(), 2u);
  EXPECT_NE(rep.file_errors[0].find("missing.rules: cannot open"), std::string::npos);
  EXPECT_NE(rep.file_errors[1].find("is a directory"), std::string::npos);
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[1].sid, 11u);
  EXPECT_EQ(rules[1].file, (dir / "b.rules").string());
  EXPECT_EQ(rules[1].line, 2u);
  std::filesystem::remove_all(dir);
}

TEST(RuleLoader, ReportFormats) {
  LoadReport rep;
  load_rules_text(kRules, "m\"q", RuleVars::defaults(), nullptr, &rep);
  rep.file_errors.push_back("bad\x01\xff file");
  std::string text = rep.to_text();
  EXPECT_NE(text.find("loaded: 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("skipped: 5\n"), std::string::npos);
  EXPECT_NE(text.find("9 enabled, 2 disabled"), std::string::npos);
  // Reasons by count, the largest first.
  EXPECT_LT(text.find("unsupported keyword: byte_test"), text.find("duplicate sid"));
  std::string json = rep.to_json();
  EXPECT_EQ(json.rfind("{\"files\":1,\"enabled\":9,\"disabled\":2,\"loaded\":4,\"skipped\":5,", 0),
            0u)
      << json;
  EXPECT_NE(json.find("\"unsupported keyword: byte_test\":2"), std::string::npos);
  EXPECT_NE(json.find("m\\\"q:10: duplicate sid"), std::string::npos) << json;
  EXPECT_NE(json.find("bad\\u0001\\ufffd file"), std::string::npos) << json;
}

// Rule lines in the style of ET Open, covering most of the keywords.
const char* kSeeds[] = {
    "alert http $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET MALWARE x\"; "
    "flow:established,to_server; http.method; content:\"POST\"; http.uri; content:\"/gate.php\"; "
    "fast_pattern; endswith; http.user_agent; content:\"Mozilla\"; startswith; bsize:>10; "
    "reference:url,example.com; classtype:trojan-activity; sid:2000001; rev:2; metadata:a b, c d;)",
    "alert dns $HOME_NET any -> any any (msg:\"ET DNS q\"; dns.query; content:\"evil.example\"; "
    "nocase; endswith; threshold: type limit, track by_src, seconds 60, count 1; sid:2000002;)",
    "alert tcp $EXTERNAL_NET any -> $HOME_NET [139,445] (msg:\"ET X\"; flow:to_server,established; "
    "content:\"|ff|SMB|25 00|\"; offset:4; depth:10; content:\"|5c 00|P|00|I|00|\"; distance:0; "
    "within:50; isdataat:!1,relative; pcre:\"/^\\x00{4}/R\"; flowbits:set,smb.x; flowbits:noalert; "
    "sid:2000003; rev:1;)",
    "alert tls $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET SNI\"; flow:established,to_server; "
    "tls.sni; content:\"bad.example\"; bsize:11; fast_pattern; sid:2000004;)",
    "alert tcp any any -> $HOME_NET 22 (msg:\"scan\"; flags:S,12; dsize:0; "
    "detection_filter:track by_src, count 15, seconds 2; sid:2000005;)",
    "alert icmp any any -> any any (msg:\"ping\"; itype:8; icode:0; content:\"abcd\"; "
    "depth:4; sid:2000006;)",
    "alert http any any -> any any (msg:\"old\"; content:\"GET\"; http_method; "
    "content:\"/a.php?id=\"; http_uri; nocase; content:\"x\"; http_header; "
    "pcre:\"/id=[0-9]{3}/Ui\"; urilen:<100; sid:2000007;)",
    "alert http any any -> any any (msg:\"fd\"; flow:established,to_client; file_data; "
    "content:\"<script\"; content:!\"safe\"; distance:0; within:20; sid:2000008;)",
};

TEST(RuleFuzz, SeedsParse) {
  for (const char* seed : kSeeds) {
    Rule r;
    RuleError e;
    EXPECT_TRUE(parse_rule(seed, RuleVars::defaults(), nullptr, &r, &e))
        << seed << "\n  -> " << e.reason << ": " << e.detail;
    EXPECT_GT(r.sid, 2000000u);
  }
}

// Random byte edits, deletions, duplications and splices of the seeds: every outcome is either a
// rule or a non-empty reason. (Run under ASan/UBSan to catch out-of-bounds reads.)
TEST(RuleFuzz, MutationsNeverCrash) {
  std::mt19937 rng(12345);
  static const char kAlphabet[] = "\"\\;:|!,[]()$-<>/ 0123456789abcAZ\x00\xff";
  const std::string alphabet(kAlphabet, sizeof(kAlphabet) - 1);
  size_t ok = 0, bad = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = kSeeds[rng() % std::size(kSeeds)];
    int edits = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < edits && !s.empty(); ++k) {
      size_t pos = rng() % s.size();
      switch (rng() % 5) {
        case 0:
          s[pos] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          s.erase(pos, 1 + rng() % 8);
          break;
        case 2:
          s.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 3:
          s.insert(pos, s.substr(rng() % s.size(), rng() % 16));
          break;
        case 4:
          s.resize(pos);
          break;
      }
    }
    Rule r;
    RuleError e;
    if (parse_rule(s, RuleVars::defaults(), nullptr, &r, &e)) {
      ++ok;
      EXPECT_GT(r.sid, 0u) << s;
    } else {
      ++bad;
      ASSERT_FALSE(e.reason.empty()) << s;
      ASSERT_FALSE(e.detail.empty()) << s;
    }
  }
  // Both outcomes happen: the mutations are neither all harmless nor all fatal.
  EXPECT_GT(ok, 100u);
  EXPECT_GT(bad, 100u);
  // And the loader copes with the same kind of damage across lines.
  std::string text;
  for (int i = 0; i < 200; ++i) {
    std::string s = kSeeds[rng() % std::size(kSeeds)];
    s.resize(rng() % (s.size() + 1));
    text += s + ((rng() % 4) ? "\n" : "\\\n");
  }
  LoadReport rep;
  load_rules_text(text, "fuzz", RuleVars::defaults(), nullptr, &rep);
  EXPECT_EQ(rep.loaded + rep.skipped, rep.enabled);
  (void)rep.to_json();
}

}  // namespace
}  // namespace vigil::ids
