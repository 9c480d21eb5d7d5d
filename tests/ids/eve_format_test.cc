// Tests of ids/eve_format.h and eve_record.h: every field of an EVE alert line, IPv4 and IPv6,
// protocol names, timestamps, escaping of hostile text, bounds, and (through Python's json)
// that every line is valid JSON in valid UTF-8.
#include "ids/eve_format.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace vigil::ids {
namespace {

std::string fmt(const AlertRecord& r) {
  std::vector<char> buf(kEveLineMax);
  const size_t n = format_alert(r, buf.data(), buf.size());
  return std::string(buf.data(), n);
}

void set_v4(uint8_t (&dst)[16], const char* text) {
  std::memset(dst, 0, sizeof dst);
  ASSERT_EQ(inet_pton(AF_INET, text, dst), 1) << text;
}
void set_v6(uint8_t (&dst)[16], const char* text) {
  ASSERT_EQ(inet_pton(AF_INET6, text, dst), 1) << text;
}

// 2026-11-28T16:53:43.123456 UTC.
constexpr uint64_t kTime = 1795884823ULL * 1000000 + 123456;

AlertRecord http_alert() {
  AlertRecord r{};
  r.kind = EventKind::kAlert;
  r.action = AlertAction::kAllowed;
  r.family = 4;
  r.ip_proto = 6;
  r.to_server = true;
  r.severity = 2;
  r.in_port = 3;
  r.vlan = 10;
  r.src_port = 1234;
  r.dst_port = 80;
  r.gid = 1;
  r.sid = 2000001;
  r.rev = 3;
  r.time_us = kTime;
  r.flow_id = 1234567890123;
  set_v4(r.src_addr, "10.0.0.1");
  set_v4(r.dst_addr, "10.0.0.2");
  set_text(r.in_iface, "vb1");
  set_text(r.tenant, "blue");
  set_text(r.app_proto, "http");
  set_text(r.msg, "ET POLICY test alert");
  set_text(r.category, "Potentially Bad Traffic");
  set_text(r.http_hostname, "example.com");
  set_text(r.http_url, "/index.html?a=1");
  return r;
}

// The signature as written for a given msg.
std::string signature_of(const char* msg) {
  AlertRecord r = http_alert();
  std::memset(r.msg, 0, sizeof r.msg);
  std::memcpy(r.msg, msg, std::min(std::strlen(msg), sizeof r.msg));
  const std::string line = fmt(r);
  const std::string key = "\"signature\":\"";
  const size_t b = line.find(key);
  const size_t e = line.find("\",\"category\"");
  if (b == std::string::npos || e == std::string::npos) return "<missing>";
  return line.substr(b + key.size(), e - b - key.size());
}

TEST(EveFormat, FullIpv4HttpAlert) {
  EXPECT_EQ(fmt(http_alert()),
            "{\"timestamp\":\"2026-11-28T16:53:43.123456+0000\",\"flow_id\":1234567890123,"
            "\"in_iface\":\"vb1\",\"event_type\":\"alert\",\"vlan\":[10],\"src_ip\":\"10.0.0.1\","
            "\"src_port\":1234,\"dest_ip\":\"10.0.0.2\",\"dest_port\":80,\"proto\":\"TCP\","
            "\"app_proto\":\"http\",\"direction\":\"to_server\",\"alert\":{\"action\":\"allowed\","
            "\"gid\":1,\"signature_id\":2000001,\"rev\":3,\"signature\":\"ET POLICY test alert\","
            "\"category\":\"Potentially Bad Traffic\",\"severity\":2},\"http\":{\"hostname\":"
            "\"example.com\",\"url\":\"/index.html?a=1\"},\"vigil\":{\"tenant\":\"blue\","
            "\"port\":\"vb1\",\"port_id\":3}}\n");
}

TEST(EveFormat, MinimalBlockedAlertOmitsEmptyFields) {
  AlertRecord r{};
  r.family = 4;
  r.ip_proto = 17;
  r.action = AlertAction::kBlocked;
  r.to_server = false;
  r.severity = 1;
  r.src_port = 53;
  r.dst_port = 40000;
  r.gid = 1;
  r.sid = 7;
  r.rev = 1;
  set_v4(r.src_addr, "192.168.1.1");
  set_v4(r.dst_addr, "192.168.1.200");
  EXPECT_EQ(fmt(r),
            "{\"timestamp\":\"1970-01-01T00:00:00.000000+0000\",\"event_type\":\"alert\","
            "\"src_ip\":\"192.168.1.1\",\"src_port\":53,\"dest_ip\":\"192.168.1.200\","
            "\"dest_port\":40000,\"proto\":\"UDP\",\"direction\":\"to_client\",\"alert\":{"
            "\"action\":\"blocked\",\"gid\":1,\"signature_id\":7,\"rev\":1,\"signature\":\"\","
            "\"severity\":1},\"vigil\":{\"port_id\":0}}\n");
}

TEST(EveFormat, FlowIdMaskedTo51BitsAsSuricataDoes) {
  AlertRecord r = http_alert();
  r.flow_id = 0xFFF8000000000005ULL;  // high bits only and 5
  EXPECT_NE(fmt(r).find("\"flow_id\":5,"), std::string::npos) << fmt(r);
  r.flow_id = (1ULL << 51) - 1;
  EXPECT_NE(fmt(r).find("\"flow_id\":2251799813685247,"), std::string::npos);
}

TEST(EveFormat, Ipv6AddressesInCanonicalForm) {
  AlertRecord r = http_alert();
  r.family = 6;
  set_v6(r.src_addr, "2001:0db8:0000:0000:0000:0000:0000:0001");
  set_v6(r.dst_addr, "2001:db8:0:0:1:0:0:1");
  std::string line = fmt(r);
  EXPECT_NE(line.find("\"src_ip\":\"2001:db8::1\",\"src_port\":1234,"), std::string::npos) << line;
  EXPECT_NE(line.find("\"dest_ip\":\"2001:db8::1:0:0:1\","), std::string::npos) << line;
  set_v6(r.src_addr, "::");
  set_v6(r.dst_addr, "FE80::A:B");
  line = fmt(r);
  EXPECT_NE(line.find("\"src_ip\":\"::\","), std::string::npos) << line;
  EXPECT_NE(line.find("\"dest_ip\":\"fe80::a:b\","), std::string::npos) << line;
}

TEST(EveFormat, ProtoNamesPortsAndIcmpFields) {
  struct Case {
    uint8_t proto;
    const char* name;
    bool ports, icmp;
  };
  const Case cases[] = {{6, "TCP", true, false},        {17, "UDP", true, false},
                        {132, "SCTP", true, false},     {1, "ICMP", false, true},
                        {58, "IPv6-ICMP", false, true}, {2, "IGMP", false, false},
                        {47, "GRE", false, false},      {50, "050", false, false},
                        {0, "000", false, false},       {255, "255", false, false}};
  for (const Case& c : cases) {
    AlertRecord r = http_alert();
    r.ip_proto = c.proto;
    r.icmp_type = 8;
    r.icmp_code = 3;
    const std::string line = fmt(r);
    EXPECT_NE(line.find(std::string("\"proto\":\"") + c.name + "\""), std::string::npos) << line;
    EXPECT_EQ(line.find("\"src_port\":1234") != std::string::npos, c.ports) << line;
    EXPECT_EQ(line.find("\"dest_port\":80") != std::string::npos, c.ports) << line;
    EXPECT_EQ(line.find("\"icmp_type\":8,\"icmp_code\":3") != std::string::npos, c.icmp) << line;
  }
}

TEST(EveFormat, Timestamps) {
  char ts[32];
  ASSERT_EQ(format_eve_timestamp(0, ts), 31u);
  EXPECT_STREQ(ts, "1970-01-01T00:00:00.000000+0000");
  ASSERT_EQ(format_eve_timestamp(kTime, ts), 31u);
  EXPECT_STREQ(ts, "2026-11-28T16:53:43.123456+0000");
  ASSERT_EQ(format_eve_timestamp(1795884823ULL * 1000000 + 7, ts), 31u);
  EXPECT_STREQ(ts, "2026-11-28T16:53:43.000007+0000");
  // Leap day, last microsecond of a second.
  ASSERT_EQ(format_eve_timestamp(951782400ULL * 1000000 + 999999, ts), 31u);
  EXPECT_STREQ(ts, "2000-02-29T00:00:00.999999+0000");
  ASSERT_EQ(format_eve_timestamp(253402300799ULL * 1000000 + 999999, ts), 31u);
  EXPECT_STREQ(ts, "9999-12-31T23:59:59.999999+0000");
  // Past year 9999: not representable, and the record is not written.
  EXPECT_EQ(format_eve_timestamp(253402300800ULL * 1000000, ts), 0u);
  EXPECT_EQ(format_eve_timestamp(UINT64_MAX, ts), 0u);
  AlertRecord r = http_alert();
  r.time_us = UINT64_MAX;
  EXPECT_EQ(fmt(r), "");
}

TEST(EveFormat, DnsAndTlsSections) {
  AlertRecord r = http_alert();
  std::memset(r.http_hostname, 0, sizeof r.http_hostname);
  std::memset(r.http_url, 0, sizeof r.http_url);
  set_text(r.app_proto, "dns");
  set_text(r.dns_rrname, "evil.example.org");
  std::string line = fmt(r);
  EXPECT_EQ(line.find("\"http\""), std::string::npos);
  EXPECT_NE(line.find("\"severity\":2},\"dns\":{\"query\":[{\"type\":\"query\",\"rrname\":"
                      "\"evil.example.org\"}]},\"vigil\":{"),
            std::string::npos)
      << line;
  std::memset(r.dns_rrname, 0, sizeof r.dns_rrname);
  set_text(r.app_proto, "tls");
  set_text(r.tls_sni, "www.example.net");
  line = fmt(r);
  EXPECT_EQ(line.find("\"dns\""), std::string::npos);
  EXPECT_NE(line.find("\"app_proto\":\"tls\","), std::string::npos);
  EXPECT_NE(line.find("},\"tls\":{\"sni\":\"www.example.net\"},\"vigil\":"), std::string::npos)
      << line;
  // Only the URL: the hostname key is left out, the section stays.
  std::memset(r.tls_sni, 0, sizeof r.tls_sni);
  set_text(r.http_url, "/x");
  line = fmt(r);
  EXPECT_NE(line.find("},\"http\":{\"url\":\"/x\"},\"vigil\":"), std::string::npos) << line;
}

TEST(EveFormat, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(signature_of("a\"b\\c/d"), "a\\\"b\\\\c/d");
  EXPECT_EQ(signature_of("l1\nl2\r\t\x01\x1f\x7f."),
            "l1\\u000al2\\u000d\\u0009\\u0001\\u001f\\u007f.");
}

TEST(EveFormat, KeepsValidUtf8AndEscapesInvalidBytes) {
  EXPECT_EQ(signature_of("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");  // é € 😀 as they are
  EXPECT_EQ(signature_of("\xff\xfe"), "\\u00ff\\u00fe");
  EXPECT_EQ(signature_of("x\xc3"), "x\\u00c3");                      // truncated at the end
  EXPECT_EQ(signature_of("\xe2\x82x"), "\\u00e2\\u0082x");           // truncated in the middle
  EXPECT_EQ(signature_of("\xc0\xaf"), "\\u00c0\\u00af");             // overlong '/'
  EXPECT_EQ(signature_of("\xe0\x80\xaf"), "\\u00e0\\u0080\\u00af");  // overlong, 3 bytes
  EXPECT_EQ(signature_of("\xed\xa0\x80"), "\\u00ed\\u00a0\\u0080");  // UTF-16 surrogate
  EXPECT_EQ(signature_of("\xf4\x90\x80\x80"), "\\u00f4\\u0090\\u0080\\u0080");  // > U+10FFFF
  EXPECT_EQ(signature_of("\x80z"), "\\u0080z");  // stray continuation byte
}

TEST(EveFormat, FieldsWithoutNulAreReadWithinBounds) {
  AlertRecord r = http_alert();
  std::memset(r.in_iface, 'i', sizeof r.in_iface);
  std::memset(r.tenant, 't', sizeof r.tenant);
  std::memset(r.app_proto, 'a', sizeof r.app_proto);
  std::memset(r.msg, 'm', sizeof r.msg);
  std::memset(r.category, 'c', sizeof r.category);
  std::memset(r.http_hostname, 'h', sizeof r.http_hostname);
  std::memset(r.http_url, 'u', sizeof r.http_url);
  std::memset(r.dns_rrname, 'd', sizeof r.dns_rrname);
  std::memset(r.tls_sni, 's', sizeof r.tls_sni);
  const std::string line = fmt(r);
  EXPECT_NE(line.find("\"signature\":\"" + std::string(192, 'm') + "\","), std::string::npos);
  EXPECT_NE(line.find("\"category\":\"" + std::string(96, 'c') + "\","), std::string::npos);
  EXPECT_NE(line.find("\"in_iface\":\"" + std::string(32, 'i') + "\","), std::string::npos);
  EXPECT_NE(line.find("\"app_proto\":\"" + std::string(8, 'a') + "\","), std::string::npos);
  EXPECT_NE(line.find("\"sni\":\"" + std::string(128, 's') + "\"}"), std::string::npos);
  EXPECT_NE(line.find("\"rrname\":\"" + std::string(128, 'd') + "\"}"), std::string::npos);

  // The worst case, every text byte escaped, still fits kEveLineMax.
  std::memset(r.in_iface, 0xff, sizeof r.in_iface);
  std::memset(r.tenant, 0x01, sizeof r.tenant);
  std::memset(r.app_proto, '"', sizeof r.app_proto);
  std::memset(r.msg, 0xff, sizeof r.msg);
  std::memset(r.category, 0x80, sizeof r.category);
  std::memset(r.http_hostname, 0xfe, sizeof r.http_hostname);
  std::memset(r.http_url, 0x1f, sizeof r.http_url);
  std::memset(r.dns_rrname, 0xc3, sizeof r.dns_rrname);
  std::memset(r.tls_sni, 0xf5, sizeof r.tls_sni);
  const std::string worst = fmt(r);
  ASSERT_FALSE(worst.empty());
  EXPECT_GT(worst.size(), 5000u);
  EXPECT_LT(worst.size(), kEveLineMax);
}

TEST(EveFormat, NeverWritesPastCapacity) {
  const AlertRecord r = http_alert();
  const std::string full = fmt(r);
  ASSERT_FALSE(full.empty());
  std::vector<char> buf(full.size() + 16);
  for (size_t cap = 0; cap <= full.size(); ++cap) {
    std::fill(buf.begin(), buf.end(), '#');
    const size_t n = format_alert(r, buf.data(), cap);
    EXPECT_EQ(n, cap == full.size() ? full.size() : 0u) << "cap " << cap;
    for (size_t i = cap; i < buf.size(); ++i) ASSERT_EQ(buf[i], '#') << "cap " << cap;
  }
  EXPECT_EQ(format_alert(r, nullptr, 0), 0u);
}

TEST(EveFormat, UnwritableRecordsAreRefused) {
  AlertRecord r = http_alert();
  r.family = 5;
  EXPECT_EQ(fmt(r), "");
  r.family = 0;
  EXPECT_EQ(fmt(r), "");
  r = http_alert();
  r.kind = static_cast<EventKind>(9);
  std::vector<char> buf(kEveLineMax);
  EXPECT_EQ(format_event(r, buf.data(), buf.size()), 0u);
  r.kind = EventKind::kAlert;
  EXPECT_EQ(format_event(r, buf.data(), buf.size()), fmt(http_alert()).size());
}

TEST(EveRecord, SetTextCutsOnUtf8Boundaries) {
  char f[8];
  set_text(f, "abc");
  EXPECT_STREQ(f, "abc");
  set_text(f, "abcdefg");  // exactly 7: fits with the NUL
  EXPECT_STREQ(f, "abcdefg");
  set_text(f, "abcdefgh");
  EXPECT_STREQ(f, "abcdefg");
  set_text(f, "abcdef\xe2\x82\xac");  // '€' would be cut after its first byte
  EXPECT_STREQ(f, "abcdef");
  set_text(f, "abcde\xe2\x82\xac");  // cut after its second byte
  EXPECT_STREQ(f, "abcde");
  set_text(f, "abcd\xe2\x82\xac");  // exactly 7 bytes: fits
  EXPECT_STREQ(f, "abcd\xe2\x82\xac");
  set_text(f, "abcd\xf0\x9f\x98\x80!");  // 4-byte emoji cut after 3 of its bytes
  EXPECT_STREQ(f, "abcd");
  set_text(f, "");
  EXPECT_STREQ(f, "");
  // Only continuation bytes: the back-off stops after 3 (no sequence is longer), still cut.
  char g[8];
  set_text(g, "\x80\x80\x80\x80\x80\x80\x80\x80\x80");
  EXPECT_EQ(std::strlen(g), 4u);
}

// ---------------------------------------------------------------------------------------------
// Every line, hostile or random, is valid JSON in valid UTF-8 for an independent parser.

bool have_python() {
  return access(VIGIL_PYTHON, X_OK) == 0;
}

// Runs Python's json over `lines`; returns the signature_id of each line in order, or an error
// line ("ERROR ...") when one does not parse.
std::vector<std::string> python_parse(const std::vector<std::string>& lines) {
  char path[] = "/tmp/vigil-eve-json-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return {"ERROR mkstemp"};
  close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    for (const auto& l : lines) out << l;
  }
  const std::string cmd = std::string(VIGIL_PYTHON) +
                          " -c 'import json,sys\n"
                          "for n, raw in enumerate(open(sys.argv[1], \"rb\")):\n"
                          "  try:\n"
                          "    o = json.loads(raw.decode(\"utf-8\"))\n"
                          "    assert raw.endswith(b\"}\\n\") and raw.count(b\"\\n\") == 1\n"
                          "    assert o[\"event_type\"] == \"alert\"\n"
                          "    assert isinstance(o[\"alert\"][\"signature\"], str)\n"
                          "    print(o[\"alert\"][\"signature_id\"])\n"
                          "  except Exception as e:\n"
                          "    print(\"ERROR line\", n, repr(e))\n' " +
                          path;
  std::vector<std::string> result;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return {"ERROR popen"};
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
    std::string s(buf);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    result.push_back(s);
  }
  pclose(p);
  unlink(path);
  return result;
}

TEST(EveFormat, EveryLineIsValidJson) {
  if (!have_python()) GTEST_SKIP() << "skipped: no " << VIGIL_PYTHON;
  std::mt19937_64 rng(20261128);
  std::vector<std::string> lines;
  std::vector<std::string> sids;
  const auto add = [&](const AlertRecord& r) {
    const std::string line = fmt(r);
    ASSERT_FALSE(line.empty());
    lines.push_back(line);
    sids.push_back(std::to_string(r.sid));
  };
  // Hostile text in every field.
  const char* hostile[] = {"\"}\\\n{\"x\":", "\xff\xc3\x28\xed\xa0\x80\xf4\x90\x80\x80",
                           "\x01\x02\x1b[31m\x7f", "\xe2\x80\xa8\xe2\x80\xa9 ok \xc3\xa9",
                           "\\u0000\\"};
  uint32_t sid = 1;
  for (const char* h : hostile) {
    AlertRecord r = http_alert();
    r.sid = sid++;
    set_text(r.in_iface, h);
    set_text(r.tenant, h);
    set_text(r.app_proto, h);
    set_text(r.msg, h);
    set_text(r.category, h);
    set_text(r.http_hostname, h);
    set_text(r.http_url, h);
    set_text(r.dns_rrname, h);
    set_text(r.tls_sni, h);
    add(r);
  }
  // Random bytes everywhere (NULs included), random numbers, both families.
  for (int i = 0; i < 3000; ++i) {
    AlertRecord r{};
    auto* bytes = reinterpret_cast<uint8_t*>(&r);
    for (size_t k = 0; k < sizeof r; ++k) bytes[k] = static_cast<uint8_t>(rng());
    r.kind = EventKind::kAlert;
    r.family = (i & 1) ? 6 : 4;
    r.action = static_cast<AlertAction>(rng() & 1);
    r.to_server = (rng() & 1) != 0;
    r.time_us = rng() % (4102444800ULL * 1000000);  // before 2100
    r.sid = static_cast<uint32_t>(rng());
    add(r);
  }
  const std::vector<std::string> parsed = python_parse(lines);
  ASSERT_EQ(parsed.size(), lines.size()) << (parsed.empty() ? "" : parsed[0]);
  for (size_t i = 0; i < parsed.size(); ++i) {
    ASSERT_EQ(parsed[i], sids[i]) << "line " << i << ": " << lines[i];
  }
}

}  // namespace
}  // namespace vigil::ids
